// Every view's state lives in the URL (the hash, so it works the same in a browser and in the
// desktop app's webview): a reload or a bookmark brings back the same view.

export type Route =
  | { view: "live"; q?: string; selected?: string }
  | { view: "event"; id: string }
  | { view: "conversations"; q?: string; selected?: string }
  | { view: "conversation"; id: string; turn?: number }
  | { view: "calls"; q?: string; selected?: string }
  | { view: "call"; id: string; turn?: number }
  | { view: "custom"; key?: string; value?: string }
  | { view: "status" };

export type Navigate = (to: Route) => void;

const enc = encodeURIComponent;

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
    case "custom":
      path = "custom";
      put("key", route.key);
      put("value", route.value);
      break;
    case "status":
      path = "status";
      break;
  }
  const query = params.toString();
  return `#/${path}${query ? `?${query}` : ""}`;
}

/** The route a hash names; anything unknown is the Live view. */
export function hashToRoute(hash: string): Route {
  const raw = hash.replace(/^#\/?/, "");
  const [path, query = ""] = raw.split("?", 2);
  const params = new URLSearchParams(query);
  const get = (k: string) => params.get(k) ?? undefined;
  const num = (k: string) => {
    const v = params.get(k);
    return v !== null && /^\d+$/.test(v) ? Number(v) : undefined;
  };
  const [head, ...rest] = path.split("/");
  const id = rest.length ? decodeURIComponent(rest.join("/")) : undefined;
  switch (head) {
    case "events":
      return id ? { view: "event", id } : { view: "live", q: get("q") };
    case "conversations":
      return id ? { view: "conversation", id, turn: num("turn") } : { view: "conversations", q: get("q"), selected: get("selected") };
    case "calls":
      return id ? { view: "call", id, turn: num("turn") } : { view: "calls", q: get("q"), selected: get("selected") };
    case "custom":
      return { view: "custom", key: get("key"), value: get("value") };
    case "status":
      return { view: "status" };
    default:
      return { view: "live", q: get("q"), selected: get("selected") };
  }
}
