// Every view's state lives in the URL (the hash, so it works the same in a browser and in the
// desktop app's webview): a reload or a bookmark brings back the same view.

/** The time range control: the lists show only rows received within it (`after:<range>`). */
export type TimeRange = "1h" | "24h" | "7d" | "30d";
export const TIME_RANGES: readonly TimeRange[] = ["1h", "24h", "7d", "30d"];

export type Route =
  | { view: "live"; q?: string; selected?: string; range?: TimeRange }
  | { view: "event"; id: string }
  | { view: "conversations"; q?: string; selected?: string; range?: TimeRange }
  | { view: "conversation"; id: string; turn?: number }
  | { view: "calls"; q?: string; selected?: string; range?: TimeRange }
  | { view: "call"; id: string; turn?: number }
  | { view: "custom"; key?: string; value?: string }
  /** Trends of the search over its range; `compare` (`previous`) and `custom` (a custom-data key). */
  | { view: "trends"; q?: string; range?: TimeRange; compare?: string; custom?: string; selected?: string }
  /** Two events' bodies compared (each by number, log_id or global_session_id). */
  | { view: "compare"; left?: string; right?: string }
  | { view: "status" }
  /** The desktop app's settings (in a browser the view says where `logbook serve` takes them). */
  | { view: "settings" };

export type Navigate = (to: Route) => void;

/** The routes that show a searchable list. */
export type ListRoute = Extract<Route, { view: "live" | "conversations" | "calls" | "trends" }>;
export type ListView = ListRoute["view"];

export function isListRoute(route: Route): route is ListRoute {
  return route.view === "live" || route.view === "conversations" || route.view === "calls" || route.view === "trends";
}

/** The list a detail view belongs to (where `Esc` goes back to), or null. */
export function parentList(route: Route): ListView | null {
  switch (route.view) {
    case "event":
      return "live";
    case "conversation":
      return "conversations";
    case "call":
      return "calls";
    default:
      return null;
  }
}

/**
 * The list the search box and the time range act on: the list on screen, or the list a detail view
 * belongs to (its state as last seen). Null on views without a list (custom data, status, settings):
 * there the box does nothing rather than move the user elsewhere. Each list keeps its own query and
 * range.
 */
export function searchTarget(route: Route, lists: Record<ListView, ListRoute>): ListRoute | null {
  if (isListRoute(route)) return route;
  const parent = parentList(route);
  return parent ? lists[parent] : null;
}

const enc = encodeURIComponent;

function isTimeRange(v: string | undefined): v is TimeRange {
  return v !== undefined && (TIME_RANGES as readonly string[]).includes(v);
}

/** `#/calls?q=end_reason%3Afailed` and friends. */
export function routeToHash(route: Route): string {
  const params = new URLSearchParams();
  const put = (k: string, v: string | number | undefined) => {
    if (v !== undefined && v !== "") params.set(k, String(v));
  };
  let path: string;
  switch (route.view) {
    case "live":
    case "conversations":
    case "calls":
      path = route.view;
      put("q", route.q);
      put("range", route.range);
      put("selected", route.selected);
      break;
    case "event":
      path = `events/${enc(route.id)}`;
      break;
    case "conversation":
      path = `conversations/${enc(route.id)}`;
      put("turn", route.turn);
      break;
    case "call":
      path = `calls/${enc(route.id)}`;
      put("turn", route.turn);
      break;
    case "trends":
      path = "trends";
      put("q", route.q);
      put("range", route.range);
      put("compare", route.compare);
      put("custom", route.custom);
      break;
    case "custom":
      path = "custom";
      put("key", route.key);
      put("value", route.value);
      break;
    case "compare":
      path = "compare";
      put("left", route.left);
      put("right", route.right);
      break;
    case "status":
    case "settings":
      path = route.view;
      break;
  }
  const query = params.toString();
  return `#/${path}${query ? `?${query}` : ""}`;
}

function decode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined; // A hand-edited hash with a stray `%`.
  }
}

/** The route a hash names; anything unknown is the Live view. */
export function hashToRoute(hash: string): Route {
  const raw = hash.replace(/^#\/?/, "");
  const mark = raw.indexOf("?");
  const path = mark < 0 ? raw : raw.slice(0, mark);
  const params = new URLSearchParams(mark < 0 ? "" : raw.slice(mark + 1));
  const get = (k: string) => {
    const v = params.get(k);
    return v === null || v === "" ? undefined : v;
  };
  const num = (k: string) => {
    const v = params.get(k);
    return v !== null && /^\d+$/.test(v) ? Number(v) : undefined;
  };
  const range = () => {
    const v = get("range");
    return isTimeRange(v) ? v : undefined;
  };
  const slash = path.indexOf("/");
  const head = slash < 0 ? path : path.slice(0, slash);
  const id = slash < 0 || slash === path.length - 1 ? undefined : decode(path.slice(slash + 1));
  switch (head) {
    case "events":
      return id ? { view: "event", id } : { view: "live", q: get("q"), selected: get("selected"), range: range() };
    case "conversations":
      return id
        ? { view: "conversation", id, turn: num("turn") }
        : { view: "conversations", q: get("q"), selected: get("selected"), range: range() };
    case "calls":
      return id
        ? { view: "call", id, turn: num("turn") }
        : { view: "calls", q: get("q"), selected: get("selected"), range: range() };
    case "trends":
      return { view: "trends", q: get("q"), range: range(), compare: get("compare"), custom: get("custom") };
    case "custom":
      return { view: "custom", key: get("key"), value: get("value") };
    case "compare":
      return { view: "compare", left: get("left"), right: get("right") };
    case "status":
      return { view: "status" };
    case "settings":
      return { view: "settings" };
    default:
      return { view: "live", q: get("q"), selected: get("selected"), range: range() };
  }
}
