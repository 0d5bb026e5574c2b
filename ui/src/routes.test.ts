import { describe, expect, it } from "vitest";
import { hashToRoute, isListRoute, parentList, routeToHash, searchTarget } from "./routes";
import type { ListRoute, ListView, Route } from "./routes";

const ROUTES: Route[] = [
  { view: "live" },
  { view: "live", q: "kind:rejected", selected: "r12" },
  { view: "live", q: "end_reason:failed", range: "24h" },
  { view: "live", range: "1h" },
  { view: "event", id: "42" },
  { view: "event", id: "r7" },
  { view: "conversations" },
  { view: "conversations", q: 'channel:"Web chat" intent:pay_bill', selected: "sess/1?x=2&y#z", range: "7d" },
  { view: "conversation", id: "a1b2-c3" },
  { view: "conversation", id: "weird id/with?chars&=#%", turn: 3 },
  { view: "conversation", id: "x", turn: 0 },
  { view: "calls" },
  { view: "calls", q: "custom.account:* -failed:true", selected: "17", range: "30d" },
  { view: "call", id: "17" },
  { view: "call", id: "17", turn: 12 },
  { view: "custom" },
  { view: "custom", key: "account_id" },
  { view: "custom", key: "tier", value: "gold plus" },
  { view: "custom", key: "ünïcødé 🎉", value: '{"a":1}' },
  { view: "trends" },
  { view: "trends", q: "channel:Phone", range: "7d", compare: "previous", custom: "call_reason" },
  { view: "status" },
  { view: "settings" },
  { view: "live", q: "héllo wörld 日本 😀 \"quoted\" + & = ? #" },
];

describe("routes", () => {
  it.each(ROUTES.map((r) => [routeToHash(r), r] as const))("%s round-trips", (hash, route) => {
    expect(hash.startsWith("#/")).toBe(true);
    expect(hashToRoute(hash)).toEqual(route);
    // And the hash itself is stable.
    expect(routeToHash(hashToRoute(hash))).toBe(hash);
  });

  it("unknown hashes are the Live view", () => {
    expect(hashToRoute("")).toEqual({ view: "live" });
    expect(hashToRoute("#")).toEqual({ view: "live" });
    expect(hashToRoute("#/nope")).toEqual({ view: "live" });
    expect(hashToRoute("#/events")).toEqual({ view: "live" });
  });

  it("names the settings view, ignoring stray parameters", () => {
    expect(routeToHash({ view: "settings" })).toBe("#/settings");
    expect(hashToRoute("#/settings?q=x")).toEqual({ view: "settings" });
    expect(hashToRoute("#/settings/")).toEqual({ view: "settings" });
  });

  it("ignores malformed parameters", () => {
    expect(hashToRoute("#/calls/5?turn=abc")).toEqual({ view: "call", id: "5" });
    expect(hashToRoute("#/calls?range=2y")).toEqual({ view: "calls" });
    expect(hashToRoute("#/conversations/%E0%A4%A")).toEqual({ view: "conversations" });
  });

  it("names the list of each detail", () => {
    expect(parentList({ view: "event", id: "1" })).toBe("live");
    expect(parentList({ view: "conversation", id: "s" })).toBe("conversations");
    expect(parentList({ view: "call", id: "1" })).toBe("calls");
    expect(parentList({ view: "status" })).toBeNull();
    expect(parentList({ view: "settings" })).toBeNull();
    expect(isListRoute({ view: "settings" })).toBe(false);
    expect(isListRoute({ view: "calls" })).toBe(true);
    expect(isListRoute({ view: "call", id: "1" })).toBe(false);
  });
});

describe("what the search acts on", () => {
  const lists: Record<ListView, ListRoute> = {
    live: { view: "live", q: "kind:rejected" },
    conversations: { view: "conversations", q: "refund", range: "7d" },
    calls: { view: "calls", q: "failed:true", range: "1h" },
    trends: { view: "trends", q: "kind:call", range: "30d" },
  };

  it("is the list on screen, with its own query and range", () => {
    expect(searchTarget({ view: "calls", q: "x" }, lists)).toEqual({ view: "calls", q: "x" });
    expect(searchTarget({ view: "trends", q: "y" }, lists)).toEqual({ view: "trends", q: "y" });
  });

  it("is the list a detail view belongs to, as it was left", () => {
    expect(searchTarget({ view: "call", id: "g" }, lists)).toBe(lists.calls);
    expect(searchTarget({ view: "conversation", id: "s" }, lists)).toBe(lists.conversations);
    expect(searchTarget({ view: "event", id: "1" }, lists)).toBe(lists.live);
  });

  it("is nothing on views without a list: a range chosen there does not jump to Live", () => {
    expect(searchTarget({ view: "custom", key: "k" }, lists)).toBeNull();
    expect(searchTarget({ view: "status" }, lists)).toBeNull();
  });
});
