import { afterEach, describe, expect, it, vi } from "vitest";
import { Profiler } from "react";
import { act, cleanup, render, screen } from "@testing-library/react";
import type { LiveHandlers, ListRequest } from "../api/client";
import type { EventRow } from "../api/types/EventRow";

function row(source: "accepted" | "rejected", id: number, at: number): EventRow {
  return {
    id, source, received_at: at, kind: "message_logged", status: 200, reason: null, endpoint: null, path: "/",
    auth: "jwt", verified: true, bytes: 10, remote_addr: null, duplicates: 0, summary: `row ${source} ${id}`,
    log_id: null, session_id: null, global_session_id: null, forwarding: null, replay_of: null, replays: 0,
  };
}

/** What the Status command answers: a store that never forwarded nor replayed, unless changed. */
function status(stats: { forwarding?: unknown[]; replays_sent?: number } = {}) {
  return {
    stats: { last_event_id: 3, forwarding: [], replays_sent: 0, ...stats },
    last_rejection_id: 1,
    receiver_url: "http://127.0.0.1:7420",
  };
}

let handlers: LiveHandlers | null = null;
const events = vi.fn(async (req: ListRequest) => ({
  items: req.q === "" ? [row("accepted", 3, 300), row("rejected", 1, 250), row("accepted", 2, 200)] : [],
  next_cursor: null,
  facets: [],
}));

vi.mock("../api", () => ({
  api: {
    status: vi.fn(async () => status()),
    events: (req: ListRequest) => events(req),
    // More are stored than the first page shows.
    count: vi.fn(async () => ({ count: 12, exact: true })),
    event: vi.fn(() => new Promise(() => undefined)),
    live: vi.fn((_c: unknown, h: LiveHandlers) => {
      handlers = h;
      return () => undefined;
    }),
  },
}));

vi.mock("./detail/EventDetailView", () => ({ EventDetailView: () => null }));

const { LiveView } = await import("./LiveView");
const { LiveFeed } = await import("../liveFeed");
const { api } = await import("../api");

afterEach(() => {
  cleanup();
  sessionStorage.clear();
});

describe("LiveView", () => {
  it("merges the first page with live bursts, each request once, in one update per frame", async () => {
    const feed = new LiveFeed(api);
    const commits = vi.fn();
    render(
      <Profiler id="live" onRender={commits}>
        <LiveView route={{ view: "live" }} navigate={vi.fn()} replace={vi.fn()} feed={feed} onQueryError={vi.fn()} />
      </Profiler>,
    );
    feed.start();
    await act(async () => {});
    expect(screen.getByTestId("row-count").textContent).toBe("3 of 12 requests");
    expect(handlers).not.toBeNull();

    vi.useFakeTimers();
    try {
      const before = commits.mock.calls.length;
      act(() => {
        // A burst: 200 batches, overlapping the first page and each other.
        for (let i = 0; i < 200; i++) {
          handlers!.onBatch({
            rows: [row("accepted", 3, 300), row("accepted", 4 + i, 400 + i), row("accepted", 4 + i, 400 + i)],
            last_event_id: 4 + i,
            last_rejection_id: 1,
            more: false,
          });
        }
        vi.advanceTimersByTime(1000);
      });
      // The total grows by the requests that arrived, each counted once.
      expect(screen.getByTestId("row-count").textContent).toBe("203 of 212 requests");
      // 200 batches, one delivery: one commit.
      expect(commits.mock.calls.length - before).toBe(1);
    } finally {
      vi.useRealTimers();
    }
    feed.close();
  });

  it("shows what to do on an empty database", async () => {
    events.mockImplementationOnce(async () => ({ items: [], next_cursor: null, facets: [] }));
    const feed = new LiveFeed(api);
    render(<LiveView route={{ view: "live" }} navigate={vi.fn()} replace={vi.fn()} feed={feed} onQueryError={vi.fn()} />);
    await act(async () => {});
    expect(screen.getByTestId("empty").textContent).toContain(
      "logbook send --url http://127.0.0.1:7420/ --secret-file <your secret file> tests/samples",
    );
  });

  describe("the Forwarded and Replay columns", () => {
    const heads = () => screen.getAllByRole("columnheader").map((h) => h.textContent);

    async function show() {
      const feed = new LiveFeed(api);
      render(<LiveView route={{ view: "live" }} navigate={vi.fn()} replace={vi.fn()} feed={feed} onQueryError={vi.fn()} />);
      feed.start();
      await act(async () => {});
      return feed;
    }

    it("are left out while nothing was forwarded or replayed", async () => {
      const feed = await show();
      expect(heads()).toEqual(["Time", "Status", "Kind", "Reason", "Path", "Size", "Summary"]);
      feed.close();
    });

    it("are shown when the store forwarded and sent replays", async () => {
      vi.mocked(api.status).mockImplementationOnce(async () =>
        status({ forwarding: [{ target: "http://127.0.0.1:9/in", delivered: 3, pending: 0, gave_up: 0 }], replays_sent: 1 }) as never,
      );
      const feed = await show();
      expect(heads()).toEqual(["Time", "Status", "Kind", "Reason", "Forwarded", "Replay", "Path", "Size", "Summary"]);
      feed.close();
    });

    it("come with the first row that was forwarded, or arrived as a replay", async () => {
      const feed = await show();
      vi.useFakeTimers();
      try {
        act(() => {
          handlers!.onBatch({
            rows: [{ ...row("accepted", 4, 400), forwarding: { delivered: 0, pending: 1, gave_up: 0, attempts: 0, next_at: 400 } }],
            last_event_id: 4,
            last_rejection_id: 1,
            more: false,
          });
          vi.advanceTimersByTime(1000);
        });
        expect(heads()).toContain("Forwarded");
        expect(heads()).not.toContain("Replay");
        act(() => {
          handlers!.onBatch({ rows: [{ ...row("accepted", 5, 500), replay_of: 2 }], last_event_id: 5, last_rejection_id: 1, more: false });
          vi.advanceTimersByTime(1000);
        });
        expect(heads()).toContain("Replay");
      } finally {
        vi.useRealTimers();
      }
      feed.close();
    });
  });
});
