// The Live list's data: merging rows from pages and live batches (newest first, each request
// once), coalescing bursts into one update per frame, and remembering the last ids seen so a
// reload catches up from there.
import type { LiveCursor } from "./api/client";
import type { EventRow } from "./api/types/EventRow";

/**
 * A row's id across both sources, as the event detail route takes it: accepted events by their
 * number (`12`), rejected requests prefixed (`r12`) since the two id sequences overlap.
 */
export function rowKey(row: Pick<EventRow, "id" | "source">): string {
  return row.source === "rejected" ? `r${row.id}` : String(row.id);
}

/**
 * The list's order: newest arrival first; within the same millisecond, accepted before rejected
 * and higher ids first. A total order, so a row's place is a function of the row alone.
 */
export function compareNewestFirst(a: EventRow, b: EventRow): number {
  if (a.received_at !== b.received_at) return b.received_at - a.received_at;
  if (a.source !== b.source) return a.source === "rejected" ? 1 : -1;
  return b.id - a.id;
}

/** Index of `row`'s slot in `rows` (sorted newest first): the first element not before it. */
function lowerBound(rows: EventRow[], row: EventRow): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareNewestFirst(rows[mid], row) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface MergeResult {
  rows: EventRow[];
  /** Rows that were not in the list before. */
  added: EventRow[];
  /** How many of them went above the previous first row (the scroll position shifts by that). */
  addedAbove: number;
}

/**
 * Merges `incoming` (in any order, possibly overlapping the list or itself) into `rows` (newest
 * first). Pure: `rows` is not modified, and when nothing is new the same array comes back. A row
 * already present is recognised by its place in the order, so there is no index to keep in sync;
 * a row already listed keeps its old copy.
 */
export function mergeRows(rows: EventRow[], incoming: readonly EventRow[]): MergeResult {
  if (!incoming.length) return { rows, added: [], addedAbove: 0 };
  const sorted = [...incoming].sort(compareNewestFirst);
  const fresh: EventRow[] = [];
  for (const row of sorted) {
    const last = fresh[fresh.length - 1];
    if (last && last.id === row.id && last.source === row.source) continue;
    const at = lowerBound(rows, row);
    const there = rows[at];
    if (there && there.id === row.id && there.source === row.source) continue;
    fresh.push(row);
  }
  if (!fresh.length) return { rows, added: [], addedAbove: 0 };
  const head = rows[0];
  let addedAbove = 0;
  if (head) {
    for (const row of fresh) {
      if (compareNewestFirst(row, head) < 0) addedAbove++;
      else break;
    }
  } else {
    addedAbove = fresh.length;
  }
  // The usual case, new arrivals all newer than the list: one concatenation.
  if (addedAbove === fresh.length) return { rows: fresh.concat(rows), added: fresh, addedAbove };
  const out: EventRow[] = new Array(rows.length + fresh.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < rows.length && j < fresh.length) {
    out[k++] = compareNewestFirst(fresh[j], rows[i]) < 0 ? fresh[j++] : rows[i++];
  }
  while (i < rows.length) out[k++] = rows[i++];
  while (j < fresh.length) out[k++] = fresh[j++];
  return { rows: out, added: fresh, addedAbove };
}

/** Schedules a flush: once per animation frame where there is one, else after a short delay. */
export type Schedule = (run: () => void) => () => void;

export const frameSchedule: Schedule = (run) => {
  if (typeof requestAnimationFrame === "function" && typeof document !== "undefined" && !document.hidden) {
    const id = requestAnimationFrame(run);
    return () => cancelAnimationFrame(id);
  }
  // Hidden tabs get no frames; a timer still drains the buffer, at a slower pace.
  const id = setTimeout(run, 250);
  return () => clearTimeout(id);
};

export interface Batcher<T> {
  push(items: readonly T[]): void;
  /** Delivers what is waiting now. */
  flush(): void;
  /** Drops what is waiting and stops. */
  cancel(): void;
}

/**
 * Coalesces bursts: everything pushed before the scheduled flush runs is delivered in one call,
 * so a thousand batches in a second make one state update per frame, not a thousand.
 */
export function createBatcher<T>(deliver: (items: T[]) => void, schedule: Schedule = frameSchedule): Batcher<T> {
  let pending: T[] = [];
  let cancelScheduled: (() => void) | null = null;
  const flush = () => {
    cancelScheduled = null;
    if (!pending.length) return;
    const items = pending;
    pending = [];
    deliver(items);
  };
  return {
    push(items) {
      if (!items.length) return;
      for (const item of items) pending.push(item);
      if (!cancelScheduled) cancelScheduled = schedule(flush);
    },
    flush() {
      cancelScheduled?.();
      flush();
    },
    cancel() {
      cancelScheduled?.();
      cancelScheduled = null;
      pending = [];
    },
  };
}

const CURSOR_KEY = "logbook.live.cursor";

/** The last ids this tab saw, if it saw any. */
export function loadCursor(storage: Pick<Storage, "getItem"> | null): LiveCursor | null {
  try {
    const raw = storage?.getItem(CURSOR_KEY);
    if (!raw) return null;
    const v = JSON.parse(raw) as Partial<LiveCursor>;
    if (Number.isSafeInteger(v.lastEventId) && Number.isSafeInteger(v.lastRejectionId)) {
      return { lastEventId: v.lastEventId!, lastRejectionId: v.lastRejectionId! };
    }
  } catch {
    // Storage disabled or a garbled value: start from the present.
  }
  return null;
}

export function saveCursor(storage: Pick<Storage, "setItem"> | null, cursor: LiveCursor): void {
  try {
    storage?.setItem(CURSOR_KEY, JSON.stringify(cursor));
  } catch {
    // Storage full or disabled: a reload then starts from the newest page, which is fine.
  }
}

/**
 * Where to resume: the stored cursor when it is still within what the store holds (a different or
 * recreated database has lower ids), else the store's newest ids.
 */
export function resumeCursor(stored: LiveCursor | null, newest: LiveCursor): LiveCursor {
  if (stored && stored.lastEventId <= newest.lastEventId && stored.lastRejectionId <= newest.lastRejectionId) {
    return stored;
  }
  return newest;
}
