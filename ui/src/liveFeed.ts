// One live subscription for the whole page: the header's badge shows its state, and whichever
// views are on screen listen to its (coalesced) rows. It resumes from the ids kept in
// sessionStorage, so a reload asks only for what it has not seen.
import { useEffect, useRef, useSyncExternalStore } from "react";
import type { LiveCursor, LiveState, Transport } from "./api/client";
import type { EventRow } from "./api/types/EventRow";
import { createBatcher, loadCursor, resumeCursor, saveCursor } from "./live";

/** How long to wait before asking for the status again when the core is not reachable. */
const START_RETRY_MS = 3_000;

type RowsListener = (rows: EventRow[]) => void;

function sessionStore(): Storage | null {
  try {
    return typeof sessionStorage === "undefined" ? null : sessionStorage;
  } catch {
    return null;
  }
}

export class LiveFeed {
  private state: LiveState = "connecting";
  private stateListeners = new Set<() => void>();
  private rowListeners = new Set<RowsListener>();
  private stop: (() => void) | null = null;
  private started = false;
  private retry: ReturnType<typeof setTimeout> | null = null;
  private batcher = createBatcher<EventRow>((rows) => {
    for (const l of this.rowListeners) l(rows);
  });
  private cursor: LiveCursor | null = null;

  constructor(private readonly api: Transport) {}

  getState = (): LiveState => this.state;

  subscribeState = (listener: () => void): (() => void) => {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  };

  /** Rows as they arrive (oldest first within a delivery), at most one delivery per frame. */
  subscribeRows(listener: RowsListener): () => void {
    this.rowListeners.add(listener);
    return () => this.rowListeners.delete(listener);
  }

  private setState(state: LiveState) {
    if (state === this.state) return;
    this.state = state;
    for (const l of this.stateListeners) l();
  }

  /** Starts the subscription once; later calls do nothing. */
  start(): void {
    if (this.started) return;
    this.started = true;
    void this.begin();
  }

  private async begin(): Promise<void> {
    let newest: LiveCursor;
    try {
      const status = await this.api.status();
      newest = {
        lastEventId: status.stats.last_event_id ?? 0,
        lastRejectionId: status.last_rejection_id ?? 0,
      };
    } catch {
      this.setState("connecting");
      this.retry = setTimeout(() => void this.begin(), START_RETRY_MS);
      return;
    }
    if (!this.started) return;
    const storage = sessionStore();
    this.cursor = resumeCursor(loadCursor(storage), newest);
    saveCursor(storage, this.cursor);
    this.stop = this.api.live(this.cursor, {
      onState: (s) => this.setState(s),
      onBatch: (batch) => {
        const prev = this.cursor ?? { lastEventId: 0, lastRejectionId: 0 };
        this.cursor = {
          lastEventId: Math.max(prev.lastEventId, batch.last_event_id),
          lastRejectionId: Math.max(prev.lastRejectionId, batch.last_rejection_id),
        };
        saveCursor(storage, this.cursor);
        this.batcher.push(batch.rows);
      },
    });
  }

  /** Stops the subscription (tests; the page itself keeps it for its lifetime). */
  close(): void {
    this.started = false;
    if (this.retry !== null) clearTimeout(this.retry);
    this.batcher.cancel();
    this.stop?.();
    this.stop = null;
  }
}

let feed: LiveFeed | null = null;

/** The page's feed, created on first use. */
export function liveFeed(api: Transport): LiveFeed {
  feed ??= new LiveFeed(api);
  return feed;
}

/** The live connection's state, for the badge. */
export function useLiveState(f: LiveFeed): LiveState {
  return useSyncExternalStore(f.subscribeState, f.getState, f.getState);
}

/** Calls `listener` with each delivery of live rows while the component is mounted. */
export function useLiveRows(f: LiveFeed, listener: RowsListener): void {
  const ref = useRef(listener);
  ref.current = listener;
  useEffect(() => f.subscribeRows((rows) => ref.current(rows)), [f]);
}
