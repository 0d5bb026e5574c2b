import { afterEach, describe, expect, it, vi } from "vitest";
import { ClientError } from "./api/client";
import type { LiveHandlers, Transport } from "./api/client";
import { LiveFeed } from "./liveFeed";

const STATUS = { stats: { last_event_id: 1 }, last_rejection_id: 0 };

function transport(status: () => Promise<unknown>) {
  let handlers: LiveHandlers | null = null;
  const api = {
    status: vi.fn(status),
    live: vi.fn((_since: unknown, h: LiveHandlers) => {
      handlers = h;
      return () => undefined;
    }),
  } as unknown as Transport;
  return { api, handlers: () => handlers! };
}

afterEach(() => vi.useRealTimers());

describe("LiveFeed says why it is not live", () => {
  it("Logbook not answering is 'down'; answering again brings the stream back", async () => {
    vi.useFakeTimers();
    let up = true;
    const t = transport(async () => {
      if (!up) throw new TypeError("Failed to fetch");
      return STATUS;
    });
    const feed = new LiveFeed(t.api);
    feed.start();
    await vi.advanceTimersByTimeAsync(0);
    t.handlers().onState("live");
    expect(feed.getState()).toBe("live");

    up = false;
    t.handlers().onState("reconnecting");
    await vi.advanceTimersByTimeAsync(0);
    expect(feed.getState()).toBe("down");
    // The transport's retries keep failing: the state stays "down", not "reconnecting".
    t.handlers().onState("reconnecting");
    expect(feed.getState()).toBe("down");

    up = true;
    await vi.advanceTimersByTimeAsync(3_000);
    expect(feed.getState()).toBe("reconnecting");
    t.handlers().onState("live");
    expect(feed.getState()).toBe("live");
    feed.close();
  });

  it("a restarted Logbook that refuses this page is 'signed_out', from the start too", async () => {
    vi.useFakeTimers();
    const t = transport(async () => {
      throw new ClientError({ kind: "unauthorized", message: "not signed in", span: null });
    });
    const feed = new LiveFeed(t.api);
    feed.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(feed.getState()).toBe("signed_out");
    feed.close();
  });
});
