import { describe, expect, it, vi } from "vitest";
import type { LiveCursor, LiveHandlers, Transport } from "./api/client";
import type { EventRow } from "./api/types/EventRow";
import { compareNewestFirst, createBatcher, loadCursor, mergeRows, resumeCursor, rowKey, saveCursor } from "./live";
import type { Schedule } from "./live";
import { LiveFeed } from "./liveFeed";

function row(source: "accepted" | "rejected", id: number, at: number, summary = ""): EventRow {
  return {
    id,
    source,
    received_at: at,
    kind: source === "rejected" ? "rejected" : "message_logged",
    status: source === "rejected" ? 401 : 200,
    reason: source === "rejected" ? "bad signature" : null,
    endpoint: null,
    path: "/",
    auth: "jwt",
    verified: source === "accepted",
    bytes: 100,
    remote_addr: null,
    duplicates: 0,
    summary,
    log_id: null,
    session_id: null,
    global_session_id: null,
    forwarding: null,
    replay_of: null,
    replays: 0,
  };
}

const keys = (rows: EventRow[]) => rows.map(rowKey);

/** A schedule the test runs by hand. */
function manualSchedule() {
  const queue: (() => void)[] = [];
  const schedule: Schedule = (run) => {
    queue.push(run);
    return () => {
      const i = queue.indexOf(run);
      if (i >= 0) queue.splice(i, 1);
    };
  };
  return {
    schedule,
    pending: () => queue.length,
    runAll: () => queue.splice(0).forEach((f) => f()),
  };
}

describe("mergeRows", () => {
  it("keys rejected rows apart from accepted ones", () => {
    expect(rowKey(row("accepted", 12, 0))).toBe("12");
    expect(rowKey(row("rejected", 12, 0))).toBe("r12");
  });

  it("puts new arrivals first, newest first", () => {
    const page = [row("accepted", 3, 300), row("rejected", 1, 250), row("accepted", 2, 200)];
    const { rows, added, addedAbove } = mergeRows(page, [row("accepted", 4, 400), row("rejected", 2, 500)]);
    expect(keys(rows)).toEqual(["r2", "4", "3", "r1", "2"]);
    expect(keys(added)).toEqual(["r2", "4"]);
    expect(addedAbove).toBe(2);
  });

  it("drops rows already listed and repeats within a delivery", () => {
    const page = [row("accepted", 3, 300), row("accepted", 2, 200)];
    const result = mergeRows(page, [row("accepted", 3, 300), row("accepted", 2, 200)]);
    expect(result.rows).toBe(page); // nothing new: the same array, no re-render
    expect(result.added).toEqual([]);
    const again = mergeRows(page, [row("accepted", 4, 400), row("accepted", 4, 400), row("accepted", 3, 300)]);
    expect(keys(again.rows)).toEqual(["4", "3", "2"]);
  });

  it("tells accepted and rejected rows with the same id apart", () => {
    const { rows } = mergeRows([row("accepted", 7, 100)], [row("rejected", 7, 100)]);
    expect(keys(rows)).toEqual(["7", "r7"]);
  });

  it("places older rows (a later page, a catch-up) where they belong", () => {
    const list = [row("accepted", 10, 1000), row("accepted", 8, 800)];
    const { rows, addedAbove } = mergeRows(list, [row("accepted", 9, 900), row("accepted", 7, 700), row("accepted", 11, 1100)]);
    expect(keys(rows)).toEqual(["11", "10", "9", "8", "7"]);
    expect(addedAbove).toBe(1);
  });

  it("orders ties in the same millisecond by source and id", () => {
    const { rows } = mergeRows([], [row("rejected", 1, 5), row("accepted", 1, 5), row("accepted", 2, 5)]);
    expect(keys(rows)).toEqual(["2", "1", "r1"]);
    expect(compareNewestFirst(row("accepted", 2, 5), row("accepted", 2, 5))).toBe(0);
  });

  it("does not modify its inputs", () => {
    const list = [row("accepted", 2, 200)];
    const incoming = [row("accepted", 1, 100), row("accepted", 3, 300)];
    mergeRows(list, incoming);
    expect(keys(list)).toEqual(["2"]);
    expect(keys(incoming)).toEqual(["1", "3"]);
  });

  it("keeps up with 100,000 rows", () => {
    let list: EventRow[] = [];
    const start = performance.now();
    for (let b = 0; b < 100; b++) {
      const batch: EventRow[] = [];
      for (let i = 0; i < 1000; i++) {
        const id = b * 1000 + i + 1;
        batch.push(row("accepted", id, id));
      }
      list = mergeRows(list, batch).rows;
    }
    expect(list).toHaveLength(100_000);
    expect(list[0].id).toBe(100_000);
    // Re-delivering a whole batch adds nothing.
    const again = mergeRows(list, list.slice(500, 1500));
    expect(again.rows).toBe(list);
    expect(performance.now() - start).toBeLessThan(5_000);
  });
});

describe("createBatcher", () => {
  it("delivers a burst in one call per frame", () => {
    const s = manualSchedule();
    const delivered: number[][] = [];
    const b = createBatcher<number>((items) => delivered.push(items), s.schedule);
    for (let i = 0; i < 1000; i++) b.push([i]);
    expect(delivered).toEqual([]);
    expect(s.pending()).toBe(1);
    s.runAll();
    expect(delivered).toHaveLength(1);
    expect(delivered[0]).toHaveLength(1000);
    expect(delivered[0].slice(0, 3)).toEqual([0, 1, 2]);
    b.push([1000]);
    s.runAll();
    expect(delivered).toEqual([delivered[0], [1000]]);
  });

  it("ignores empty pushes, flushes on demand, and cancels", () => {
    const s = manualSchedule();
    const delivered: number[][] = [];
    const b = createBatcher<number>((items) => delivered.push(items), s.schedule);
    b.push([]);
    expect(s.pending()).toBe(0);
    b.push([1, 2]);
    b.flush();
    expect(delivered).toEqual([[1, 2]]);
    expect(s.pending()).toBe(0);
    b.push([3]);
    b.cancel();
    s.runAll();
    expect(delivered).toEqual([[1, 2]]);
  });
});

describe("cursor storage", () => {
  it("round-trips and rejects garbage", () => {
    const store = new Map<string, string>();
    const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) };
    expect(loadCursor(storage)).toBeNull();
    saveCursor(storage, { lastEventId: 42, lastRejectionId: 7 });
    expect(loadCursor(storage)).toEqual({ lastEventId: 42, lastRejectionId: 7 });
    store.set("logbook.live.cursor", "{not json");
    expect(loadCursor(storage)).toBeNull();
    store.set("logbook.live.cursor", '{"lastEventId":"1","lastRejectionId":2}');
    expect(loadCursor(storage)).toBeNull();
    expect(loadCursor(null)).toBeNull();
  });

  it("resumes from the stored ids unless the store went backwards", () => {
    const newest = { lastEventId: 100, lastRejectionId: 5 };
    expect(resumeCursor({ lastEventId: 40, lastRejectionId: 5 }, newest)).toEqual({ lastEventId: 40, lastRejectionId: 5 });
    expect(resumeCursor(null, newest)).toEqual(newest);
    expect(resumeCursor({ lastEventId: 400, lastRejectionId: 1 }, newest)).toEqual(newest);
  });
});

describe("LiveFeed", () => {
  it("starts from the stored cursor, coalesces a burst into one delivery, and saves the ids", async () => {
    sessionStorage.clear();
    saveCursor(sessionStorage, { lastEventId: 5, lastRejectionId: 1 });
    let handlers: LiveHandlers | null = null;
    let since: LiveCursor | null = null;
    const transport = {
      status: vi.fn(async () => ({ stats: { last_event_id: 9 }, last_rejection_id: 2 })),
      live: vi.fn((c: LiveCursor, h: LiveHandlers) => {
        since = c;
        handlers = h;
        return () => h.onState("closed");
      }),
    } as unknown as Transport;
    vi.useFakeTimers();
    try {
      const feed = new LiveFeed(transport);
      const deliveries: EventRow[][] = [];
      feed.subscribeRows((rows) => deliveries.push(rows));
      feed.start();
      await vi.waitFor(() => expect(handlers).not.toBeNull());
      expect(since).toEqual({ lastEventId: 5, lastRejectionId: 1 });
      handlers!.onState("live");
      expect(feed.getState()).toBe("live");
      for (let i = 6; i <= 9; i++) {
        handlers!.onBatch({ rows: [row("accepted", i, i)], last_event_id: i, last_rejection_id: 1, more: false });
      }
      handlers!.onBatch({ rows: [row("rejected", 2, 10)], last_event_id: 9, last_rejection_id: 2, more: false });
      expect(deliveries).toEqual([]);
      vi.advanceTimersByTime(1_000);
      expect(deliveries).toHaveLength(1);
      expect(keys(deliveries[0])).toEqual(["6", "7", "8", "9", "r2"]);
      expect(loadCursor(sessionStorage)).toEqual({ lastEventId: 9, lastRejectionId: 2 });
      feed.close();
      expect(feed.getState()).toBe("closed");
    } finally {
      vi.useRealTimers();
    }
  });
});
