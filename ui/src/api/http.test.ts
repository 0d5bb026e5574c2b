import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ClientError } from "./client";
import { HttpTransport } from "./http";
import type { LiveBatch } from "./types/LiveBatch";

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

const PAGE = { items: [], next_cursor: null, facets: [] };

describe("HttpTransport", () => {
  let fetchMock: ReturnType<typeof vi.fn>;
  const t = new HttpTransport();

  beforeEach(() => {
    fetchMock = vi.fn(async () => json(PAGE));
    vi.stubGlobal("fetch", fetchMock);
  });
  afterEach(() => vi.unstubAllGlobals());

  const url = () => fetchMock.mock.calls.at(-1)![0] as string;
  const init = () => fetchMock.mock.calls.at(-1)![1] as RequestInit;

  it("builds list URLs with query, cursor, limit and facets", async () => {
    await t.events({ q: 'channel:"Web chat" café & more', cursor: "abc=", limit: 200, facets: true });
    const u = new URL(url(), "http://x");
    expect(u.pathname).toBe("/api/events");
    expect(u.searchParams.get("q")).toBe('channel:"Web chat" café & more');
    expect(u.searchParams.get("cursor")).toBe("abc=");
    expect(u.searchParams.get("limit")).toBe("200");
    expect(u.searchParams.get("facets")).toBe("1");
    expect(init()).toMatchObject({ method: "GET", credentials: "same-origin" });

    await t.calls({ q: "" , facets: false });
    expect(url()).toBe("/api/calls?q=");
    await t.conversations({ q: "x", cursor: null });
    expect(url()).toBe("/api/conversations?q=x");
    await t.messages({ q: "y", limit: 5 });
    expect(url()).toBe("/api/messages?q=y&limit=5");
  });

  it("encodes ids in paths", async () => {
    fetchMock.mockImplementation(async () => json({}));
    await t.event("r12");
    expect(url()).toBe("/api/events/r12");
    await t.conversation("a/b?c#d e");
    expect(url()).toBe("/api/conversations/a%2Fb%3Fc%23d%20e");
    await t.call("17");
    expect(url()).toBe("/api/calls/17");
  });

  it("builds the other endpoints", async () => {
    fetchMock.mockImplementation(async () => json([]));
    await t.status();
    expect(url()).toBe("/api/status");
    await t.qualifiers();
    expect(url()).toBe("/api/qualifiers");
    await t.customKeys();
    expect(url()).toBe("/api/custom-data/keys");
    await t.customValues("tier plan", 50);
    expect(url()).toBe("/api/custom-data/values?key=tier+plan&limit=50");
    await t.customCalls("tier", "gold & co", 10);
    expect(url()).toBe("/api/custom-data/calls?key=tier&value=gold+%26+co&limit=10");
    await t.customCalls("tier", null);
    expect(url()).toBe("/api/custom-data/calls?key=tier");
  });

  it("turns an ApiError body into a ClientError with its span", async () => {
    fetchMock.mockImplementation(async () =>
      json({ kind: "bad_query", message: 'unknown qualifier "bogus"', span: [7, 12] }, 400),
    );
    const err = await t.events({ q: "kind:x bogus:1" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClientError);
    expect(err).toMatchObject({ kind: "bad_query", message: 'unknown qualifier "bogus"', span: [7, 12] });
  });

  it("falls back on the status when the body is not an ApiError", async () => {
    fetchMock.mockImplementation(async () => new Response("<html>nope</html>", { status: 401 }));
    await expect(t.status()).rejects.toMatchObject({ kind: "unauthorized" });
    fetchMock.mockImplementation(async () => new Response("", { status: 503 }));
    await expect(t.status()).rejects.toMatchObject({ kind: "unavailable" });
    fetchMock.mockImplementation(async () => json({ kind: "not_found", message: "no call 9", span: null }, 404));
    await expect(t.call("9")).rejects.toMatchObject({ kind: "not_found", message: "no call 9", span: null });
  });

  it("reports a network failure as unavailable", async () => {
    fetchMock.mockImplementation(async () => {
      throw new TypeError("Failed to fetch");
    });
    const err = await t.status().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClientError);
    expect((err as ClientError).kind).toBe("unavailable");
  });

  it("exports through a temporary download link", async () => {
    const clicked: string[] = [];
    const spy = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push(this.getAttribute("href")!);
      expect(this.hasAttribute("download")).toBe(true);
    });
    const result = await t.exportRows("call_turns", "csv", "end_reason:failed after:7d");
    expect(result).toEqual({ rows: null, path: null });
    expect(clicked).toEqual(["/api/export?kind=call_turns&format=csv&q=end_reason%3Afailed+after%3A7d"]);
    expect(document.querySelectorAll("a").length).toBe(0);
    spy.mockRestore();
  });
});

class FakeEventSource {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSED = 2;
  static instances: FakeEventSource[] = [];
  readyState = FakeEventSource.CONNECTING;
  onopen: (() => void) | null = null;
  onerror: (() => void) | null = null;
  listeners = new Map<string, (e: MessageEvent) => void>();
  closed = false;
  constructor(readonly url: string) {
    FakeEventSource.instances.push(this);
  }
  addEventListener(type: string, fn: (e: MessageEvent) => void) {
    this.listeners.set(type, fn);
  }
  close() {
    this.closed = true;
    this.readyState = FakeEventSource.CLOSED;
  }
  open() {
    this.readyState = FakeEventSource.OPEN;
    this.onopen?.();
  }
  send(batch: LiveBatch) {
    this.listeners.get("batch")?.(new MessageEvent("batch", { data: JSON.stringify(batch) }));
  }
  fail(closed: boolean) {
    this.readyState = closed ? FakeEventSource.CLOSED : FakeEventSource.CONNECTING;
    this.onerror?.();
  }
}

describe("HttpTransport.live", () => {
  beforeEach(() => {
    FakeEventSource.instances = [];
    vi.stubGlobal("EventSource", FakeEventSource);
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it("streams batches, reports its state, and resumes from the last ids after giving up", () => {
    const states: string[] = [];
    const batches: LiveBatch[] = [];
    const stop = new HttpTransport().live(
      { lastEventId: 10, lastRejectionId: 3 },
      { onBatch: (b) => batches.push(b), onState: (s) => states.push(s) },
    );
    const first = FakeEventSource.instances[0];
    expect(first.url).toBe("/api/live?since=10&since_rejection=3");
    first.open();
    first.send({ rows: [], last_event_id: 15, last_rejection_id: 4, more: false });
    expect(batches).toHaveLength(1);
    first.fail(false); // the browser retries by itself
    expect(FakeEventSource.instances).toHaveLength(1);
    first.open();
    first.fail(true); // the browser gave up (e.g. a 503)
    vi.advanceTimersByTime(5_000);
    expect(FakeEventSource.instances).toHaveLength(2);
    expect(FakeEventSource.instances[1].url).toBe("/api/live?since=15&since_rejection=4");
    expect(states).toEqual(["connecting", "live", "reconnecting", "live", "reconnecting", "reconnecting"]);
    stop();
    expect(FakeEventSource.instances[1].closed).toBe(true);
    expect(states.at(-1)).toBe("closed");
  });
});
