// A searchable list with keyset paging and facet counts: the frame of the Conversations and Calls
// views. The first page brings the facets; scrolling to the end asks for the next page by its
// cursor. Requests arriving meanwhile are announced, not spliced in (the order is the core's).
import { useCallback, useEffect, useRef, useState } from "react";
import type { ReactNode } from "react";
import { ClientError } from "../api/client";
import type { ListRequest } from "../api/client";
import type { Facet } from "../api/types/Facet";
import type { Page } from "../api/types/Page";
import { FixTheSearch } from "../components/EmptyStates";
import { ErrorBanner } from "../components/ErrorBanner";
import { Facets } from "../components/Facets";
import { TotalCount, useTotal } from "../components/TotalCount";
import { ColumnsMenu, useColumnPrefs } from "../components/ColumnsMenu";
import type { Subject } from "../api/types/Subject";
import { VirtualList } from "../components/VirtualList";
import type { Column } from "../components/VirtualList";
import { formatCount } from "../format";
import type { LiveFeed } from "../liveFeed";
import { useLiveRows } from "../liveFeed";
import { effectiveQuery, toggleTerm } from "../query";

import type { TimeRange } from "../routes";

export const PAGE_ROWS = 200;

interface Props<T> {
  /** What the rows are, plural: "conversations", and one of them: "conversation". */
  noun: string;
  nounOne: string;
  /** Which list this is, for its total. */
  subject: Subject;
  q: string | undefined;
  range: TimeRange | undefined;
  selected: string | undefined;
  fetchPage: (req: ListRequest) => Promise<Page<T>>;
  columns: Column<T>[];
  rowId: (row: T) => string;
  onSelect: (id: string) => void;
  /** Opens a row (the row itself when it is loaded). */
  onOpen: (id: string, row: T | undefined) => void;
  /** A new query (from a facet click). */
  onQuery: (q: string) => void;
  onQueryError: (error: ClientError | null) => void;
  feed: LiveFeed;
  /** Shown when the list is empty without a search. */
  emptyHint: ReactNode;
}

export function PagedList<T>(props: Props<T>) {
  const { q: typed, range, fetchPage, rowId, onQueryError } = props;
  const q = effectiveQuery(typed, range);
  const [rows, setRows] = useState<T[]>([]);
  const [facets, setFacets] = useState<Facet[]>([]);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [loadingMore, setLoadingMore] = useState(false);
  const [error, setError] = useState<ClientError | null>(null);
  const [badQuery, setBadQuery] = useState(false);
  const [arrived, setArrived] = useState(0);
  const [reloads, setReloads] = useState(0);
  const generation = useRef(0);
  const shownQuery = useRef<string | null>(null);

  useEffect(() => {
    const mine = ++generation.current;
    if (shownQuery.current !== q) {
      // Another search: its rows must not be mistaken for the previous one's while loading.
      shownQuery.current = q;
      setRows([]);
      setFacets([]);
      setNextCursor(null);
    }
    setLoading(true);
    setError(null);
    setBadQuery(false);
    setArrived(0);
    fetchPage({ q, limit: PAGE_ROWS, facets: true }).then(
      (page) => {
        if (generation.current !== mine) return;
        setRows(page.items);
        setFacets(page.facets);
        setNextCursor(page.next_cursor);
        setLoading(false);
        onQueryError(null);
      },
      (e: unknown) => {
        if (generation.current !== mine) return;
        const err = ClientError.from(e);
        setLoading(false);
        setRows([]);
        setFacets([]);
        setNextCursor(null);
        if (err.kind === "bad_query") {
          setBadQuery(true);
          onQueryError(err);
        } else setError(err);
      },
    );
  }, [q, fetchPage, onQueryError, reloads]);

  useLiveRows(props.feed, (incoming) => setArrived((n) => n + incoming.length));
  const { total, counting, countExactly } = useTotal(props.subject, q, reloads);
  const columnPrefs = useColumnPrefs(props.subject);
  // On a narrow window the facets are a drawer, opened from the toolbar.
  const [drawer, setDrawer] = useState(false);

  const loadMore = useCallback(() => {
    if (!nextCursor || loadingMore) return;
    const mine = generation.current;
    setLoadingMore(true);
    fetchPage({ q, cursor: nextCursor, limit: PAGE_ROWS, facets: false }).then(
      (page) => {
        if (generation.current !== mine) return;
        setRows((prev) => {
          // Keyset pages do not overlap, but a row can move between pages if it changed: keep one.
          const seen = new Set(prev.map(rowId));
          return prev.concat(page.items.filter((r) => !seen.has(rowId(r))));
        });
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
  }, [q, nextCursor, loadingMore, fetchPage, rowId]);

  const footer = loadingMore ? (
    "Loading more…"
  ) : nextCursor ? (
    <button type="button" className="btn-link" onClick={loadMore}>
      Load more
    </button>
  ) : rows.length ? (
    `That is all: ${formatCount(rows.length)} ${rows.length === 1 ? props.nounOne : props.noun}.`
  ) : null;

  const searching = (typed ?? "").trim() !== "" || range !== undefined;

  return (
    <div className="list-layout">
      <Facets
        facets={facets}
        total={total}
        query={typed ?? ""}
        open={drawer}
        onClose={() => setDrawer(false)}
        onToggle={(term) => props.onQuery(toggleTerm(typed ?? "", term))}
      />
      <div className="list-pane">
        <div className="list-toolbar">
          {facets.length ? (
            <button
              type="button"
              className="btn facets-toggle"
              aria-expanded={drawer}
              data-testid="facets-toggle"
              onClick={() => setDrawer((d) => !d)}
            >
              Refine
            </button>
          ) : null}
          {loading ? (
            <span data-testid="row-count">Loading…</span>
          ) : (
            <TotalCount
              loaded={rows.length}
              more={nextCursor !== null}
              total={total}
              counting={counting}
              onCountExactly={countExactly}
              noun={props.noun}
              nounOne={props.nounOne}
            />
          )}
          <span className="toolbar-end">
            <ColumnsMenu columns={props.columns} prefs={columnPrefs.prefs} onPrefs={columnPrefs.onPrefs} dropped={columnPrefs.dropped} />
          </span>
          {arrived > 0 ? (
            <button type="button" className="btn-link" data-testid="refresh" onClick={() => setReloads((n) => n + 1)}>
              {formatCount(arrived)} new request{arrived === 1 ? "" : "s"} arrived — refresh
            </button>
          ) : null}
        </div>
        {error ? <ErrorBanner error={error} onRetry={() => setReloads((n) => n + 1)} /> : null}
        {badQuery ? <FixTheSearch /> : null}
        {!loading && !rows.length && !error && !badQuery ? (
          searching ? (
            <div className="empty" data-testid="empty">
              <p>
                <strong>
                  No {props.noun} match{typed ? <> <code>{typed}</code></> : null}
                  {range ? ` in the last ${range}` : ""}.
                </strong>
              </p>
              <p>Clear the search, remove a qualifier or widen the time range.</p>
            </div>
          ) : (
            <div className="empty" data-testid="empty">
              {props.emptyHint}
            </div>
          )
        ) : null}
        {rows.length ? (
          <VirtualList
            label={props.noun}
            rows={rows}
            columns={props.columns}
            rowId={rowId}
            selected={props.selected}
            onSelect={props.onSelect}
            onOpen={(id) => props.onOpen(id, rows.find((r) => rowId(r) === id))}
            clickOpens
            hasMore={nextCursor !== null}
            loadingMore={loadingMore}
            onEndReached={loadMore}
            footer={footer}
            prefs={columnPrefs.prefs}
            onPrefs={columnPrefs.onPrefs}
            onDropped={columnPrefs.onDropped}
          />
        ) : null}
      </div>
    </div>
  );
}
