import { afterEach, describe, expect, it, vi } from "vitest";
import { act, cleanup, fireEvent, render, renderHook, screen } from "@testing-library/react";
import type { ProjectionStats } from "../api/types/ProjectionStats";
import type { Status } from "../api/types/Status";
import type { EventRow } from "../api/types/EventRow";
import type { LiveFeed } from "../liveFeed";
import {
  LAG_SHOWN_MS,
  PROJECTION_POLL_MS,
  ProjectionBanner,
  projectionNotice,
  useProjection,
} from "./ProjectionBanner";

const NOW = 1_800_000_000_000;

function projection(p: Partial<ProjectionStats>): ProjectionStats {
  return {
    projected_through: 0,
    pending: 0,
    oldest_pending_at: null,
    rebuilding_through: null,
    deriver_version: 6,
    giving_way_since: null,
    ...p,
  };
}

const caughtUp = projection({ projected_through: 150_000 });
const rebuilding = projection({ projected_through: 40_960, pending: 109_040, oldest_pending_at: NOW - 60_000, rebuilding_through: 150_000 });

afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

describe("projectionNotice", () => {
  it("tells a rebuild and how far it is", () => {
    expect(projectionNotice(rebuilding, NOW, false)).toEqual({
      kind: "rebuilding",
      done: 40_960,
      target: 150_000,
      share: 27,
      givingWay: false,
    });
  });

  it("tells events still to derive only once they have waited a while", () => {
    const lag = (ms: number) => projection({ projected_through: 10, pending: 500, oldest_pending_at: NOW - ms });
    expect(projectionNotice(lag(LAG_SHOWN_MS - 1), NOW, false)).toBeNull();
    expect(projectionNotice(lag(8_000), NOW, false)).toEqual({ kind: "behind", pending: 500, behindMs: 8_000, givingWay: false });
    const pausing = { ...lag(8_000), giving_way_since: NOW - 2_000 };
    expect(projectionNotice(pausing, NOW, false)).toMatchObject({ kind: "behind", givingWay: true });
  });

  it("says everything is derived only to a view that was told rows were missing", () => {
    expect(projectionNotice(caughtUp, NOW, false)).toBeNull();
    expect(projectionNotice(caughtUp, NOW, true)).toEqual({ kind: "caught_up" });
    expect(projectionNotice(null, NOW, true)).toBeNull();
  });
});

describe("ProjectionBanner", () => {
  it("shows a rebuild, then that it is done, and a refresh reads the view again and ends it", () => {
    const onRefresh = vi.fn();
    const { rerender } = render(<ProjectionBanner projection={rebuilding} onRefresh={onRefresh} viewKey="#/conversations" />);
    const banner = screen.getByTestId("projection-banner");
    expect(banner.dataset.kind).toBe("rebuilding");
    expect(banner.textContent).toContain("Deriving every stored event again");
    expect(banner.textContent).toContain("40,960 of 150,000 events (27%)");

    rerender(<ProjectionBanner projection={caughtUp} onRefresh={onRefresh} viewKey="#/conversations" />);
    expect(screen.getByTestId("projection-banner").textContent).toContain("Every stored event is derived now.");
    fireEvent.click(screen.getByTestId("projection-refresh"));
    expect(onRefresh).toHaveBeenCalledTimes(1);
    rerender(<ProjectionBanner projection={caughtUp} onRefresh={onRefresh} viewKey="#/conversations#.1" />);
    expect(screen.queryByTestId("projection-banner")).toBeNull();
  });

  it("says nothing once caught up to a view opened after the rows were all derived", () => {
    const { rerender } = render(<ProjectionBanner projection={rebuilding} onRefresh={vi.fn()} viewKey="#/calls" />);
    expect(screen.getByTestId("projection-banner")).toBeTruthy();
    rerender(<ProjectionBanner projection={caughtUp} onRefresh={vi.fn()} viewKey="#/trends" />);
    expect(screen.queryByTestId("projection-banner")).toBeNull();
  });

  it("tells a view opened during the rebuild when it is done", () => {
    const { rerender } = render(<ProjectionBanner projection={rebuilding} onRefresh={vi.fn()} viewKey="#/calls" />);
    rerender(<ProjectionBanner projection={rebuilding} onRefresh={vi.fn()} viewKey="#/trends" />);
    rerender(<ProjectionBanner projection={caughtUp} onRefresh={vi.fn()} viewKey="#/trends" />);
    expect(screen.getByTestId("projection-banner").dataset.kind).toBe("caught_up");
  });

  it("counts one event in the singular, and says when projection pauses for a burst", () => {
    render(
      <ProjectionBanner
        projection={projection({ pending: 1, oldest_pending_at: Date.now() - 5_000, giving_way_since: Date.now() - 1_000 })}
        onRefresh={vi.fn()}
        viewKey="#/calls"
      />,
    );
    const text = screen.getByTestId("projection-banner").textContent ?? "";
    expect(text).toContain("1 event still to derive");
    expect(text).toContain("Paused while a burst of requests is acknowledged.");
  });
});

describe("useProjection", () => {
  function fakeFeed() {
    let listener: ((rows: EventRow[]) => void) | null = null;
    const feed = {
      subscribeRows: (l: (rows: EventRow[]) => void) => {
        listener = l;
        return () => {
          listener = null;
        };
      },
    } as unknown as LiveFeed;
    return { feed, arrive: () => listener?.([]) };
  }

  function statusOf(p: ProjectionStats): Status {
    return { stats: { projection: p } } as unknown as Status;
  }

  it("asks again while behind, stops once caught up, and asks once when requests arrive", async () => {
    vi.useFakeTimers();
    const answers = [rebuilding, rebuilding, caughtUp, rebuilding, caughtUp];
    const status = vi.fn(() => Promise.resolve(statusOf(answers.shift() ?? caughtUp)));
    const { feed, arrive } = fakeFeed();
    const { result } = renderHook(() => useProjection(feed, { status }));
    await act(async () => {});
    expect(status).toHaveBeenCalledTimes(1);
    expect(result.current?.rebuilding_through).toBe(150_000);

    for (const calls of [2, 3]) {
      await act(async () => {
        vi.advanceTimersByTime(PROJECTION_POLL_MS);
      });
      expect(status).toHaveBeenCalledTimes(calls);
    }
    expect(result.current?.rebuilding_through).toBeNull();
    // Caught up: no more asking until something arrives.
    await act(async () => {
      vi.advanceTimersByTime(PROJECTION_POLL_MS * 5);
    });
    expect(status).toHaveBeenCalledTimes(3);

    // Many arrivals, one ask; it finds projection behind again and follows it until caught up.
    act(() => {
      arrive();
      arrive();
      arrive();
    });
    await act(async () => {
      vi.advanceTimersByTime(PROJECTION_POLL_MS);
    });
    expect(status).toHaveBeenCalledTimes(4);
    expect(result.current?.rebuilding_through).toBe(150_000);
    await act(async () => {
      vi.advanceTimersByTime(PROJECTION_POLL_MS * 5);
    });
    expect(status).toHaveBeenCalledTimes(5);
    expect(result.current?.pending).toBe(0);
  });

  it("keeps the last answer when the status cannot be read", async () => {
    vi.useFakeTimers();
    const status = vi
      .fn<() => Promise<Status>>()
      .mockResolvedValueOnce(statusOf(rebuilding))
      .mockRejectedValueOnce(new Error("down"));
    const { feed } = fakeFeed();
    const { result } = renderHook(() => useProjection(feed, { status }));
    await act(async () => {});
    await act(async () => {
      vi.advanceTimersByTime(PROJECTION_POLL_MS);
    });
    expect(status).toHaveBeenCalledTimes(2);
    expect(result.current?.projected_through).toBe(40_960);
  });
});
