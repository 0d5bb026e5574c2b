// The app shell: the header (view tabs, the search box with its time range, export, the live
// badge) and the current route's view. The route lives in the URL hash; the keyboard shortcuts
// (`/`, `j`, `k`, `Enter`, `Esc`) are handled here once for every view.
import { useCallback, useEffect, useRef, useState } from "react";
import { api } from "./api";
import { ClientError } from "./api/client";
import type { Kind } from "./api/types/Kind";
import { ErrorBoundary } from "./components/ErrorBoundary";
import { ExportMenu } from "./components/ExportMenu";
import { LiveBadge } from "./components/LiveBadge";
import { ConnectionBanner } from "./components/ConnectionBanner";
import { ProjectionBanner, useProjection } from "./components/ProjectionBanner";
import { SearchBox } from "./components/SearchBox";
import type { SearchBoxHandle } from "./components/SearchBox";
import { currentListKeys, isTypingTarget } from "./hooks";
import { liveFeed, useLiveState } from "./liveFeed";
import { customTerm, effectiveQuery } from "./query";
import { TIME_RANGES, hashToRoute, isListRoute, parentList, routeToHash, searchTarget } from "./routes";
import type { ListRoute, ListView, Route, TimeRange } from "./routes";
import { CallsView } from "./views/CallsView";
import { ConversationsView } from "./views/ConversationsView";
import { LiveView } from "./views/LiveView";
import { SettingsView } from "./views/SettingsView";
import { StatusView } from "./views/StatusView";
import { TrendsView } from "./views/TrendsView";
import { CallView } from "./views/detail/CallView";
import { ConversationView } from "./views/detail/ConversationView";
import { CustomDataView } from "./views/detail/CustomDataView";
import { EventDetailView } from "./views/detail/EventDetailView";
import { CompareView } from "./views/CompareView";

type TabId = ListView | "custom" | "compare" | "status" | "settings";

/** Settings only in the desktop app: `logbook serve` takes them on its command line. */
const TABS: { id: TabId; label: string }[] = [
  { id: "live", label: "Live" },
  { id: "conversations", label: "Conversations" },
  { id: "calls", label: "Calls" },
  { id: "custom", label: "Custom data" },
  { id: "trends", label: "Trends" },
  { id: "compare", label: "Compare" },
  { id: "status", label: "Status" },
  ...(api.desktop ? [{ id: "settings" as const, label: "Settings" }] : []),
];

const RANGE_LABELS: Record<TimeRange, string> = {
  "1h": "Last hour",
  "24h": "Last 24 hours",
  "7d": "Last 7 days",
  "30d": "Last 30 days",
};

function tabOf(route: Route): TabId {
  if (route.view === "custom" || route.view === "compare" || route.view === "status" || route.view === "settings") return route.view;
  return parentList(route) ?? (route.view as ListView);
}

/** The views that read rows derived from the stored bodies (Live, Compare and an event's detail
 *  read the stored events themselves; Status says how far derivation is on its own). */
function readsDerived(route: Route): boolean {
  switch (route.view) {
    case "conversations":
    case "conversation":
    case "calls":
    case "call":
    case "custom":
    case "trends":
      return true;
    default:
      return false;
  }
}

/** What the Export menu offers first on each view. */
function exportKindOf(route: Route): Kind {
  switch (route.view) {
    case "conversations":
    case "conversation":
      return "messages";
    case "calls":
    case "call":
      return "calls";
    case "custom":
      return "custom_data";
    default:
      return "events";
  }
}

const feed = liveFeed(api);

export function App() {
  const [route, setRoute] = useState<Route>(() => hashToRoute(window.location.hash));
  const [queryError, setQueryError] = useState<ClientError | null>(null);
  const liveState = useLiveState(feed);
  // Back from "not running" or "signed out": the view on screen reads its data again.
  const [recoveries, setRecoveries] = useState(0);
  const lastState = useRef(liveState);
  useEffect(() => {
    const was = lastState.current;
    lastState.current = liveState;
    if ((was === "down" || was === "signed_out") && liveState === "live") setRecoveries((n) => n + 1);
  }, [liveState]);
  const search = useRef<SearchBoxHandle>(null);
  const projection = useProjection(feed, api);
  // Asked for by the projection banner's Refresh: the view on screen reads its rows again.
  const [refreshes, setRefreshes] = useState(0);

  // The last state of each list, so tabs and `Esc` return to it (query, range, selection).
  const lists = useRef<Record<ListView, ListRoute>>({
    live: { view: "live" },
    conversations: { view: "conversations" },
    calls: { view: "calls" },
    trends: { view: "trends" },
  });
  const lastCustom = useRef<Route>({ view: "custom" });
  if (isListRoute(route)) {
    lists.current[route.view] = route;
  } else if (route.view === "custom") {
    lastCustom.current = route;
  }
  const routeRef = useRef(route);
  routeRef.current = route;

  useEffect(() => {
    feed.start();
    const onHash = () => setRoute(hashToRoute(window.location.hash));
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);

  const navigate = useCallback((to: Route) => {
    const hash = routeToHash(to);
    if (window.location.hash !== hash) window.location.hash = hash;
    else setRoute(hashToRoute(hash));
  }, []);

  /** Changes the URL without a history entry: selection moves are not worth a Back press each. */
  const replace = useCallback((to: Route) => {
    const hash = routeToHash(to);
    if (window.location.hash !== hash) window.history.replaceState(window.history.state, "", hash);
    setRoute(hashToRoute(hash));
  }, []);

  // The search applies to the list on screen, or to the list a detail view belongs to; each list
  // keeps its own query and range. Views without a list have none.
  const context: ListRoute | null = searchTarget(route, lists.current);
  const q = context?.q ?? "";
  const range = context?.range;

  useEffect(() => setQueryError(null), [q, range]);

  const submit = useCallback(
    (text: string) => {
      if (context) navigate({ ...context, q: text || undefined, selected: undefined });
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [navigate, context?.view, context?.range, context?.q],
  );

  const tabRoute = (id: TabId): Route => {
    if (id === "custom") return lastCustom.current;
    if (id === "status" || id === "settings" || id === "compare") return { view: id };
    // Each list as it was left: its own query, range and selection.
    return lists.current[id];
  };

  // Keyboard shortcuts; not while typing in a field (except Esc, which the field handles itself).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
      const typing = isTypingTarget(e.target);
      const r = routeRef.current;
      if (e.key === "Escape") {
        if (typing) return;
        const parent = parentList(r);
        if (parent && "id" in r) {
          e.preventDefault();
          navigate({ ...lists.current[parent], selected: r.id });
        } else if (isListRoute(r) && r.selected) {
          e.preventDefault();
          replace({ ...r, selected: undefined });
        } else if (r.view === "custom" && r.key !== undefined) {
          e.preventDefault();
          navigate(r.value !== undefined ? { view: "custom", key: r.key } : { view: "custom" });
        }
        return;
      }
      if (typing) return;
      if (e.key === "/") {
        e.preventDefault();
        search.current?.focus();
      } else if (e.key === "j" || e.key === "k") {
        const list = currentListKeys();
        if (list) {
          e.preventDefault();
          list.move(e.key === "j" ? 1 : -1);
        }
      } else if (e.key === "Enter") {
        const target = e.target instanceof Element ? e.target : null;
        if (target?.closest("button, a, summary, [role='button'], [role='option']")) return;
        const list = currentListKeys();
        if (list) {
          e.preventDefault();
          list.open();
        }
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [navigate, replace]);

  const active = tabOf(route);
  const exportQuery =
    route.view === "custom" && route.key !== undefined
      ? (customTerm(route.key, route.value) ?? "")
      : effectiveQuery(q, range);

  // Changes whenever the view on screen reads its rows anew: another route, a recovery, a refresh.
  const viewKey = `${routeToHash(route)}#${recoveries}.${refreshes}`;
  return (
    <div className="app">
      <header className="app-header">
        <span className="app-title">Assistant Logbook</span>
        <nav className="tabs" aria-label="Views">
          {TABS.map((t) => (
            <a
              key={t.id}
              className="tab"
              href={routeToHash(tabRoute(t.id))}
              data-testid={`tab-${t.id}`}
              aria-current={active === t.id ? "page" : undefined}
            >
              {t.label}
            </a>
          ))}
        </nav>
        <div className="header-search">
          <SearchBox
            ref={search}
            value={q}
            onSubmit={submit}
            error={isListRoute(route) ? queryError : null}
            disabled={context === null}
            placeholder={context === null ? "Search and time range apply to Live, Conversations and Calls" : undefined}
          />
          <select
            aria-label="Time range"
            data-testid="time-range"
            value={range ?? ""}
            disabled={context === null}
            title={context === null ? "The time range applies to Live, Conversations and Calls" : undefined}
            onChange={(e) => {
              if (context)
                navigate({ ...context, range: (e.target.value || undefined) as TimeRange | undefined, selected: undefined });
            }}
          >
            <option value="">All time</option>
            {TIME_RANGES.map((r) => (
              <option key={r} value={r}>
                {RANGE_LABELS[r]}
              </option>
            ))}
          </select>
        </div>
        <div className="header-tools">
          <ExportMenu defaultKind={exportKindOf(route)} query={exportQuery} routeKey={routeToHash(route)} />
          <LiveBadge state={liveState} />
        </div>
      </header>
      <ConnectionBanner state={liveState} origin={window.location.origin} desktop={api.desktop !== undefined} />
      {readsDerived(route) ? (
        <ProjectionBanner projection={projection} onRefresh={() => setRefreshes((n) => n + 1)} viewKey={viewKey} />
      ) : null}
      <main className="app-main">
        <ErrorBoundary resetKey={viewKey}>
          <RouteView
            key={`${recoveries}.${refreshes}`}
            route={route}
            navigate={navigate}
            replace={replace}
            onQueryError={setQueryError}
          />
        </ErrorBoundary>
      </main>
    </div>
  );
}

function RouteView(props: {
  route: Route;
  navigate: (to: Route) => void;
  replace: (to: Route) => void;
  onQueryError: (error: ClientError | null) => void;
}) {
  const { route, navigate, replace, onQueryError } = props;
  switch (route.view) {
    case "live":
      return <LiveView route={route} navigate={navigate} replace={replace} feed={feed} onQueryError={onQueryError} />;
    case "conversations":
      return (
        <ConversationsView route={route} navigate={navigate} replace={replace} feed={feed} onQueryError={onQueryError} />
      );
    case "calls":
      return <CallsView route={route} navigate={navigate} replace={replace} feed={feed} onQueryError={onQueryError} />;
    case "trends":
      return <TrendsView route={route} navigate={navigate} onQueryError={onQueryError} />;
    case "event":
      return (
        <div className="scroll-page">
          <EventDetailView key={route.id} id={route.id} navigate={navigate} />
        </div>
      );
    case "conversation":
      return (
        <div className="scroll-page">
          <ConversationView key={route.id} id={route.id} turn={route.turn} navigate={navigate} />
        </div>
      );
    case "call":
      return (
        <div className="scroll-page">
          <CallView key={route.id} id={route.id} turn={route.turn} navigate={navigate} />
        </div>
      );
    case "custom":
      return (
        <div className="scroll-page">
          <CustomDataView keyName={route.key} value={route.value} navigate={navigate} />
        </div>
      );
    case "compare":
      return (
        <div className="scroll-page">
          <CompareView key={`${route.left ?? ""}|${route.right ?? ""}`} left={route.left} right={route.right} navigate={navigate} />
        </div>
      );
    case "status":
      return <StatusView feed={feed} />;
    case "settings":
      return <SettingsView />;
  }
}
