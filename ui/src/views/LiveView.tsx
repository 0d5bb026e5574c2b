// Every request as it arrives, accepted and rejected, newest first. The first page comes from the
// events list; live batches are merged in (each request once); scrolling to the end pages older
// rows. Selecting a row shows it beside the list.
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { api } from "../api";
import { ClientError } from "../api/client";
import type { EventRow } from "../api/types/EventRow";
import type { Stats } from "../api/types/Stats";
import { EventDetailView } from "./detail/EventDetailView";
import { FixTheSearch, NoEventsYet } from "../components/EmptyStates";
import { ErrorBanner } from "../components/ErrorBanner";
import { TotalCount, useTotal } from "../components/TotalCount";
import { ColumnsMenu, useColumnPrefs } from "../components/ColumnsMenu";
import { VirtualList } from "../components/VirtualList";
import type { Column } from "../components/VirtualList";
import { withMatch } from "../components/HitSnippet";
import { formatBytes, formatCount, formatForwarding, formatReplays, formatTime } from "../format";
import { useAsync } from "../hooks";
import { mergeRows, rowKey } from "../live";
import type { LiveFeed } from "../liveFeed";
import { useLiveRows } from "../liveFeed";
import { effectiveQuery } from "../query";
import type { Navigate, Route } from "../routes";

/** Rows per page, first and older. */
export const PAGE_ROWS = 200;

/** How often the forwarding state of rows still being delivered is asked for again. */
export const FORWARDING_REFRESH_MS = 2_000;
/** Rows asked about at once (the command takes at most 500). */
const FORWARDING_IDS = 500;

/** With a search, live rows are not shown as they come (the core decides what matches): the first
 * page is asked for again, at most this often. */
const FILTERED_REFRESH_MS = 1_000;

type LiveRoute = Extract<Route, { view: "live" }>;

function statusBadge(r: EventRow) {
  const cls = r.source === "rejected" || r.status >= 400 ? "badge-error" : r.status >= 200 && r.status < 300 ? "badge-ok" : "";
  return <span className={`badge ${cls}`}>{r.status}</span>;
}

function kindLabel(kind: string): string {
  if (kind === "message_logged") return "message";
  if (kind === "cdr_logged") return "call";
  return kind;
}

function reasonText(r: EventRow): string {
  if (r.reason) return r.reason;
  const parts: string[] = [];
  if (r.duplicates > 0) parts.push(`duplicate ×${r.duplicates}`);
  if (r.source === "accepted" && !r.verified) parts.push("unverified");
  return parts.join(", ");
}

/** The columns only a store that forwards, or that replays, has anything to show in. */
const FORWARDED = "Forwarded";
const REPLAY = "Replay";

/**
 * Which of the optional columns have anything to show: Forwarded once anything in the store was
 * forwarded, Replay once a replay was sent from it or a row arrived as one. The store's totals
 * decide (`stats`, `null` until they come); the rows shown count too, so a row that arrives
 * forwarded or as a replay brings its column with it. (Events that arrived as replays are only seen
 * in the rows: counting them store-wide would read every event.)
 */
export function optionalColumns(stats: Stats | null, rows: readonly EventRow[]): { forwarded: boolean; replayed: boolean } {
  return {
    forwarded: (stats?.forwarding.length ?? 0) > 0 || rows.some((r) => r.forwarding !== null),
    replayed: (stats?.replays_sent ?? 0) > 0 || rows.some((r) => r.replay_of !== null || r.replays > 0),
  };
}

const COLUMNS: Column<EventRow>[] = [
  { title: "Time", min: 100, ideal: 108, priority: 1, className: "mono", render: (r) => formatTime(r.received_at) },
  { title: "Status", min: 50, ideal: 56, priority: 1, render: statusBadge },
  {
    title: "Kind",
    min: 72, ideal: 84, priority: 2,
    render: (r) => kindLabel(r.kind),
    title_: (r) => r.kind,
  },
  {
    title: "Reason",
    min: 70, ideal: 110, priority: 3,
    render: (r) => {
      const text = reasonText(r);
      return r.source === "rejected" ? <span style={{ color: "var(--error)" }}>{text}</span> : <span className="muted">{text}</span>;
    },
    title_: (r) => reasonText(r) || undefined,
  },
  {
    title: FORWARDED,
    min: 72, ideal: 96, priority: 3,
    render: (r) => {
      const f = formatForwarding(r.forwarding);
      return f ? <span className={`fwd-state fwd-${f.tone}`} data-testid="row-forwarding">{f.text}</span> : null;
    },
    title_: (r) => formatForwarding(r.forwarding)?.title,
  },
  {
    title: REPLAY,
    min: 64, ideal: 80, priority: 4,
    render: (r) => {
      const note = formatReplays(r);
      return note ? <span className="muted" data-testid="row-replay">{note.text}</span> : null;
    },
    title_: (r) => formatReplays(r)?.title,
  },
  { title: "Path", min: 50, ideal: 90, priority: 4, className: "mono", render: (r) => r.path, title_: (r) => r.path },
  { title: "Size", min: 64, ideal: 72, priority: 4, className: "num", render: (r) => formatBytes(r.bytes) },
  { title: "Summary", min: 280, ideal: 400, grow: 1, priority: 1, render: (r) => r.summary, title_: (r) => r.summary },
];

export function LiveView(props: {
  route: LiveRoute;
  navigate: Navigate;
  /** Changes the URL without a history entry (selection). */
  replace: Navigate;
  feed: LiveFeed;
  onQueryError: (error: ClientError | null) => void;
}) {
  const { route, navigate, replace, feed, onQueryError } = props;
  const typed = (route.q ?? "").trim();
  const q = effectiveQuery(route.q, route.range);

  const [rows, setRowsState] = useState<EventRow[]>([]);
  const rowsRef = useRef<EventRow[]>([]);
  const [fresh, setFresh] = useState<ReadonlySet<string>>(new Set());
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [loadingMore, setLoadingMore] = useState(false);
  const [error, setError] = useState<ClientError | null>(null);
  const [badQuery, setBadQuery] = useState(false);
  const generation = useRef(0);
  const status = useAsync(() => api.status(), []);

  const { total, setTotal, counting, countExactly } = useTotal("events", q);
  const { forwarded, replayed } = optionalColumns(status.data?.stats ?? null, rows);
  const columns = useMemo(() => {
    const shown = COLUMNS.filter((c) => (c.title !== FORWARDED || forwarded) && (c.title !== REPLAY || replayed));
    return withMatch(shown, route.q, shown.length - 1);
  }, [route.q, forwarded, replayed]);
  const columnPrefs = useColumnPrefs("live");

  /**
   * Merges rows into the list; one state update, nothing when all were there already. Rows that
   * arrived live (`flash`) are new to the store too: the total grows by them.
   */
  const merge = useCallback(
    (incoming: readonly EventRow[], flash: boolean) => {
      const result = mergeRows(rowsRef.current, incoming);
      if (result.rows === rowsRef.current) return;
      rowsRef.current = result.rows;
      setRowsState(result.rows);
      if (flash) {
        setFresh(new Set(result.added.map(rowKey)));
        const added = result.added.length;
        setTotal((t) => (t ? { ...t, count: t.count + added } : t));
      }
    },
    [setTotal],
  );

  // A new search: start over from its first page.
  useEffect(() => {
    const mine = ++generation.current;
    rowsRef.current = [];
    setRowsState([]);
    setFresh(new Set());
    setNextCursor(null);
    setLoading(true);
    setError(null);
    setBadQuery(false);
    api.events({ q, limit: PAGE_ROWS }).then(
      (page) => {
        if (generation.current !== mine) return;
        merge(page.items, false);
        setNextCursor(page.next_cursor);
        setLoading(false);
        onQueryError(null);
      },
      (e: unknown) => {
        if (generation.current !== mine) return;
        const err = ClientError.from(e);
        setLoading(false);
        if (err.kind === "bad_query") {
          setBadQuery(true);
          onQueryError(err);
        } else setError(err);
      },
    );
  }, [q, merge, onQueryError]);

  // With a search, a burst of arrivals asks for the first page again (once per interval).
  const refreshTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(
    () => () => {
      if (refreshTimer.current) clearTimeout(refreshTimer.current);
    },
    [],
  );
  const refreshFiltered = useCallback(() => {
    if (refreshTimer.current) return;
    refreshTimer.current = setTimeout(() => {
      refreshTimer.current = null;
      const mine = generation.current;
      api.events({ q, limit: PAGE_ROWS }).then(
        (page) => {
          if (generation.current === mine) merge(page.items, true);
        },
        () => undefined, // The next arrival tries again; the first page's error is already shown.
      );
    }, FILTERED_REFRESH_MS);
  }, [q, merge]);

  useLiveRows(feed, (incoming) => {
    if (typed === "") merge(incoming, true);
    else refreshFiltered();
  });

  const loadMore = useCallback(() => {
    if (!nextCursor || loadingMore) return;
    const mine = generation.current;
    setLoadingMore(true);
    api.events({ q, cursor: nextCursor, limit: PAGE_ROWS }).then(
      (page) => {
        if (generation.current !== mine) return;
        merge(page.items, false);
        setNextCursor(page.next_cursor);
        setLoadingMore(false);
      },
      (e: unknown) => {
        if (generation.current !== mine) return;
        setLoadingMore(false);
        setNextCursor(null);
        setError(ClientError.from(e));
      },
    );
  }, [q, nextCursor, loadingMore, merge]);

  // Rows still being forwarded change state without a new row: ask for theirs again now and then.
  useEffect(() => {
    const timer = setInterval(() => {
      const waiting = rowsRef.current
        .filter((r) => r.source === "accepted" && r.forwarding !== null && r.forwarding.pending > 0)
        .slice(0, FORWARDING_IDS)
        .map((r) => r.id);
      if (!waiting.length) return;
      api.forwarding(waiting).then(
        (states) => {
          const byId = new Map(states.map((s) => [s.id, s.state]));
          let changed = false;
          const next = rowsRef.current.map((r) => {
            const state = r.source === "accepted" ? byId.get(r.id) : undefined;
            if (!state || JSON.stringify(state) === JSON.stringify(r.forwarding)) return r;
            changed = true;
            return { ...r, forwarding: state };
          });
          if (changed) {
            rowsRef.current = next;
            setRowsState(next);
          }
        },
        () => undefined, // the next tick asks again
      );
    }, FORWARDING_REFRESH_MS);
    return () => clearInterval(timer);
  }, []);

  const select = useCallback(
    (id: string | undefined) => replace({ ...route, selected: id }),
    [replace, route],
  );
  const open = useCallback((id: string) => navigate({ view: "event", id }), [navigate]);
  const isNew = useCallback((r: EventRow) => fresh.has(rowKey(r)), [fresh]);

  const footer = loadingMore
    ? "Loading older requests…"
    : nextCursor
      ? (
          <button type="button" className="btn-link" onClick={loadMore}>
            Load older requests
          </button>
        )
      : rows.length
        ? `That is all: ${formatCount(rows.length)} request${rows.length === 1 ? "" : "s"}.`
        : null;

  return (
    <div className="list-layout">
      <div className="list-pane">
        <div className="list-toolbar">
          {loading ? (
            <span data-testid="row-count">Loading…</span>
          ) : (
            <TotalCount
              loaded={rows.length}
              more={nextCursor !== null}
              total={total}
              counting={counting}
              onCountExactly={countExactly}
              noun="requests"
              nounOne="request"
            />
          )}
          <span className="muted">newest first{typed ? " · matching the search" : ""}</span>
          <span className="toolbar-end">
            <ColumnsMenu columns={columns} prefs={columnPrefs.prefs} onPrefs={columnPrefs.onPrefs} dropped={columnPrefs.dropped} />
          </span>
        </div>
        {error ? <ErrorBanner error={error} /> : null}
        {badQuery ? <FixTheSearch /> : null}
        {!loading && !rows.length && !error && !badQuery ? (
          typed || route.range ? (
            <div className="empty" data-testid="empty">
              <p>
                <strong>No request matches{typed ? <> <code>{typed}</code></> : null}</strong>
                {route.range ? ` in the last ${route.range}` : ""}.
              </p>
              <p>Clear the search or widen the time range. New matching requests will appear here.</p>
            </div>
          ) : (
            <NoEventsYet status={status.data} />
          )
        ) : null}
        {rows.length ? (
          <VirtualList
            label="Requests"
            rows={rows}
            columns={columns}
            rowId={rowKey}
            selected={route.selected}
            onSelect={select}
            onOpen={open}
            hasMore={nextCursor !== null}
            loadingMore={loadingMore}
            onEndReached={loadMore}
            footer={footer}
            isNew={isNew}
            anchorTop
            prefs={columnPrefs.prefs}
            onPrefs={columnPrefs.onPrefs}
            onDropped={columnPrefs.onDropped}
          />
        ) : null}
      </div>
      {route.selected ? (
        <aside className="side-panel" aria-label="Selected request" data-testid="side-panel">
          <div className="side-panel-head">
            <button type="button" className="btn" onClick={() => open(route.selected!)}>
              Open full page
            </button>
            <button type="button" className="btn" aria-label="Close" title="Close (Esc)" onClick={() => select(undefined)}>
              ×
            </button>
          </div>
          <EventDetailView key={route.selected} id={route.selected} navigate={navigate} />
        </aside>
      ) : null}
    </div>
  );
}
