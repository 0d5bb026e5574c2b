// One live subscription for the whole page: the header's badge shows its state, and whichever
// views are on screen listen to its (coalesced) rows. It resumes from the ids kept in
// sessionStorage, so a reload asks only for what it has not seen.
import { useEffect, useRef, useSyncExternalStore } from "react";
import { ClientError } from "./api/client";
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
  /** Why the stream is not live, once the status was asked: Logbook down, or this page signed out. */
  private problem: "down" | "signed_out" | null = null;
  private probing: ReturnType<typeof setTimeout> | null = null;
  private probeRunning = false;

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

  /** What a failed status request says about the connection. */
  private static problemOf(e: unknown): "down" | "signed_out" | null {
    const kind = ClientError.from(e).kind;
    return kind === "unavailable" ? "down" : kind === "unauthorized" ? "signed_out" : null;
  }

  /**
   * The transport says it is (re)connecting: ask the status why, and again every few seconds
   * while Logbook is down or refuses this page, so the badge and the banner say which.
   */
  private probe(): void {
    if (this.probeRunning || !this.started) return;
    this.probeRunning = true;
    this.api.status().then(
      () => {
        this.probeRunning = false;
        this.problem = null;
        // Reachable and signed in: the transport's own retry brings the stream back.
        if (this.state === "down" || this.state === "signed_out") this.setState("reconnecting");
      },
      (e: unknown) => {
        this.probeRunning = false;
        this.problem = LiveFeed.problemOf(e);
        if (this.problem && this.state !== "live") this.setState(this.problem);
        if (this.started && this.state !== "live") this.probing = setTimeout(() => this.probe(), START_RETRY_MS);
      },
    );
  }

  private onTransportState(s: LiveState): void {
    if (s === "live" || s === "closed") {
      this.problem = null;
      if (this.probing !== null) clearTimeout(this.probing);
      this.probing = null;
      this.setState(s);
      return;
    }
    // Keep saying what is wrong while the transport retries.
    this.setState(this.problem ?? s);
    this.probe();
  }

  private async begin(): Promise<void> {
    let newest: LiveCursor;
    try {
      const status = await this.api.status();
      newest = {
        lastEventId: status.stats.last_event_id ?? 0,
        lastRejectionId: status.last_rejection_id ?? 0,
      };
    } catch (e) {
      this.setState(LiveFeed.problemOf(e) ?? "connecting");
      this.retry = setTimeout(() => void this.begin(), START_RETRY_MS);
      return;
    }
    if (!this.started) return;
    const storage = sessionStore();
    this.cursor = resumeCursor(loadCursor(storage), newest);
    saveCursor(storage, this.cursor);
    this.stop = this.api.live(this.cursor, {
      onState: (s) => this.onTransportState(s),
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
    if (this.probing !== null) clearTimeout(this.probing);
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
