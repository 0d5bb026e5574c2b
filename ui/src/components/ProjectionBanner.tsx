// Conversations, calls, custom data and trends are read from what is derived from the stored
// bodies; Live shows each request as soon as it is acknowledged. While derivation is behind (a
// rebuild after an upgrade, or a burst it gave way to), the views that read derived rows say so,
// with how far it has come, and once it has caught up a refresh shows everything.
import { useEffect, useRef, useState } from "react";
import type { Transport } from "../api/client";
import type { ProjectionStats } from "../api/types/ProjectionStats";
import { formatCount, formatMs, rebuildShare } from "../format";
import { useLiveRows } from "../liveFeed";
import type { LiveFeed } from "../liveFeed";

/** How often the projection is asked about while it is behind (and at most, when requests arrive). */
export const PROJECTION_POLL_MS = 2_000;
/** A lag shorter than this is how projection normally runs, not worth a word. */
export const LAG_SHOWN_MS = 3_000;

export type ProjectionNotice =
  | { kind: "rebuilding"; done: number; target: number; share: number; givingWay: boolean }
  | { kind: "behind"; pending: number; behindMs: number; givingWay: boolean }
  | { kind: "caught_up" };

/** Whether derived rows are missing: a rebuild, or events still to derive. */
export function isBehind(p: ProjectionStats): boolean {
  return p.rebuilding_through != null || p.pending > 0;
}

/**
 * What to tell the user at `now` about `p`: a rebuild and how far it is, events still to derive
 * for longer than [`LAG_SHOWN_MS`], or (`noticed`: one of those was told since the view last read
 * its rows) that everything is derived now. Nothing otherwise.
 */
export function projectionNotice(p: ProjectionStats | null, now: number, noticed: boolean): ProjectionNotice | null {
  if (p == null) return null;
  const givingWay = p.giving_way_since != null;
  if (p.rebuilding_through != null) {
    const target = p.rebuilding_through;
    return { kind: "rebuilding", done: p.projected_through, target, share: rebuildShare(p.projected_through, target), givingWay };
  }
  if (p.pending > 0 && p.oldest_pending_at != null) {
    const behindMs = Math.max(0, now - p.oldest_pending_at);
    if (behindMs >= LAG_SHOWN_MS) return { kind: "behind", pending: p.pending, behindMs, givingWay };
  }
  if (!isBehind(p) && noticed) return { kind: "caught_up" };
  return null;
}

/**
 * The projection as the status tells it: asked once, then every [`PROJECTION_POLL_MS`] while it is
 * behind, and once requests arrive (at most that often) while it is not. `null` until the first
 * answer; a failed ask keeps the last (the connection banner says why).
 */
export function useProjection(feed: LiveFeed, source: Pick<Transport, "status">): ProjectionStats | null {
  const [projection, setProjection] = useState<ProjectionStats | null>(null);
  // Asks again in a while, unless an ask is in flight or due already (set by the effect below).
  const askSoon = useRef<() => void>(() => undefined);
  // The latest `source`: a caller may pass a new object each render without starting over.
  const from = useRef(source);
  from.current = source;
  useEffect(() => {
    let alive = true;
    // An ask in flight or due: at most one at a time.
    let busy = false;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const ask = () => {
      busy = true;
      from.current.status().then(
        (status) => {
          if (!alive) return;
          busy = false;
          setProjection(status.stats.projection);
          if (isBehind(status.stats.projection)) soon();
        },
        () => {
          busy = false;
        },
      );
    };
    const soon = () => {
      if (busy || !alive) return;
      busy = true;
      timer = setTimeout(() => {
        timer = null;
        ask();
      }, PROJECTION_POLL_MS);
    };
    askSoon.current = soon;
    ask();
    return () => {
      alive = false;
      if (timer) clearTimeout(timer);
    };
  }, []);
  useLiveRows(feed, () => askSoon.current());
  return projection;
}

export function ProjectionBanner(props: {
  projection: ProjectionStats | null;
  /** Reads the view's rows again. */
  onRefresh: () => void;
  /** Changes when the view reads its rows anew (another view, another search). */
  viewKey: string;
}) {
  const { projection, onRefresh, viewKey } = props;
  // The view (its key) shown a notice of missing rows since it last read its rows.
  const [noticedIn, setNoticedIn] = useState<string | null>(null);
  const notice = projectionNotice(projection, Date.now(), noticedIn === viewKey);
  const missing = notice != null && notice.kind !== "caught_up";
  useEffect(() => {
    if (missing && noticedIn !== viewKey) setNoticedIn(viewKey);
  }, [missing, noticedIn, viewKey]);
  if (notice == null) return null;
  const refresh = () => {
    setNoticedIn(null);
    onRefresh();
  };
  const givingWay =
    notice.kind !== "caught_up" && notice.givingWay ? " Paused while a burst of requests is acknowledged." : "";
  return (
    <div className="notice-banner" role="status" data-testid="projection-banner" data-kind={notice.kind}>
      {notice.kind === "rebuilding" ? (
        <span>
          <strong>Deriving every stored event again</strong> for this version of Logbook:{" "}
          {formatCount(notice.done)} of {formatCount(notice.target)} events ({notice.share}%). This view shows what is
          derived so far.{givingWay}
        </span>
      ) : notice.kind === "behind" ? (
        <span>
          <strong>
            {formatCount(notice.pending)} {notice.pending === 1 ? "event" : "events"} still to derive
          </strong>{" "}
          ({formatMs(notice.behindMs)} behind): they are on Live already, and appear here once derived.{givingWay}
        </span>
      ) : (
        <span>
          <strong>Every stored event is derived now.</strong>
        </span>
      )}{" "}
      <button type="button" className="btn-link" data-testid="projection-refresh" onClick={refresh}>
        {notice.kind === "caught_up" ? "Refresh to see them all" : "Refresh"}
      </button>
    </div>
  );
}
