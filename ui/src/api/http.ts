// The HTTP transport: `logbook serve`'s JSON API on the page's own origin. The server set an auth
// cookie when the page was opened with `?token=…`, so every call is a plain same-origin GET.
import { ClientError } from "./client";
import type { ExportResult, ListRequest, LiveCursor, LiveHandlers, Transport } from "./client";
import type { Format } from "./types/Format";
import type { Kind } from "./types/Kind";
import type { LiveBatch } from "./types/LiveBatch";

/** How long to wait before opening a new stream after the browser gave up on one. */
const LIVE_RETRY_MS = 3_000;

/** What an HTTP status means when the body says nothing we can read. */
function kindOfStatus(status: number): string {
  if (status === 400) return "bad_request";
  if (status === 401) return "unauthorized";
  if (status === 403) return "forbidden";
  if (status === 404) return "not_found";
  if (status === 502 || status === 503 || status === 504) return "unavailable";
  return "internal";
}

/** The query string of a request, leaving out absent values. */
export function queryString(params: Record<string, string | number | boolean | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === null || v === undefined) continue;
    if (typeof v === "boolean") {
      if (v) search.set(k, "1");
      continue;
    }
    search.set(k, String(v));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

function listQuery(req: ListRequest): string {
  return queryString({ q: req.q, cursor: req.cursor ?? undefined, limit: req.limit, facets: req.facets });
}

/** Turns a non-2xx answer into a ClientError, reading the `ApiError` body when there is one. */
async function errorOf(res: Response): Promise<ClientError> {
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    // Not JSON (a proxy's page, an empty body): fall back on the status.
  }
  if (body && typeof body === "object" && "kind" in body && "message" in body) {
    return ClientError.from(body);
  }
  const kind = kindOfStatus(res.status);
  const message =
    kind === "unauthorized"
      ? "This page is not signed in: open the link `logbook serve` printed (the one with ?token=…)."
      : `The server answered ${res.status}${res.statusText ? ` ${res.statusText}` : ""}.`;
  return new ClientError({ kind, message, span: null });
}

/** `desktop` stays undefined: `logbook serve` takes its settings on the command line, and has no tunnel helper. */
export class HttpTransport implements Transport {
  /** `base` is prepended to every path: "" for the page's own origin. */
  constructor(private readonly base = "") {}

  private async get<T>(path: string): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.base + path, {
        method: "GET",
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
    } catch (e) {
      throw ClientError.from(e);
    }
    if (!res.ok) throw await errorOf(res);
    try {
      return (await res.json()) as T;
    } catch (e) {
      throw new ClientError({
        kind: "internal",
        message: `The server's answer was not JSON: ${e instanceof Error ? e.message : String(e)}`,
        span: null,
      });
    }
  }

  status() {
    return this.get<Awaited<ReturnType<Transport["status"]>>>("/api/status");
  }
  qualifiers() {
    return this.get<Awaited<ReturnType<Transport["qualifiers"]>>>("/api/qualifiers");
  }
  events(req: ListRequest) {
    return this.get<Awaited<ReturnType<Transport["events"]>>>(`/api/events${listQuery(req)}`);
  }
  event(id: string) {
    return this.get<Awaited<ReturnType<Transport["event"]>>>(`/api/events/${encodeURIComponent(id)}`);
  }
  messages(req: ListRequest) {
    return this.get<Awaited<ReturnType<Transport["messages"]>>>(`/api/messages${listQuery(req)}`);
  }
  conversations(req: ListRequest) {
    return this.get<Awaited<ReturnType<Transport["conversations"]>>>(`/api/conversations${listQuery(req)}`);
  }
  conversation(sessionId: string) {
    return this.get<Awaited<ReturnType<Transport["conversation"]>>>(
      `/api/conversations/${encodeURIComponent(sessionId)}`,
    );
  }
  calls(req: ListRequest) {
    return this.get<Awaited<ReturnType<Transport["calls"]>>>(`/api/calls${listQuery(req)}`);
  }
  call(id: string) {
    return this.get<Awaited<ReturnType<Transport["call"]>>>(`/api/calls/${encodeURIComponent(id)}`);
  }
  customKeys() {
    return this.get<Awaited<ReturnType<Transport["customKeys"]>>>("/api/custom-data/keys");
  }
  customValues(key: string, limit?: number) {
    return this.get<Awaited<ReturnType<Transport["customValues"]>>>(
      `/api/custom-data/values${queryString({ key, limit })}`,
    );
  }
  customCalls(key: string, value: string | null, limit?: number) {
    return this.get<Awaited<ReturnType<Transport["customCalls"]>>>(
      `/api/custom-data/calls${queryString({ key, value, limit })}`,
    );
  }

  /** A browser download: the server streams the file as an attachment. */
  async exportRows(kind: Kind, format: Format, q: string): Promise<ExportResult> {
    const a = document.createElement("a");
    a.href = this.base + `/api/export${queryString({ kind, format, q })}`;
    a.download = "";
    a.rel = "noopener";
    a.style.display = "none";
    document.body.appendChild(a);
    try {
      a.click();
    } finally {
      a.remove();
    }
    return { rows: null, path: null };
  }

  /**
   * Server-Sent Events. EventSource reconnects by itself (sending Last-Event-ID, which the server
   * prefers over `since`); when it gives up (a non-200 answer closes it for good) we open a new
   * one from the last ids seen.
   */
  live(since: LiveCursor, handlers: LiveHandlers): () => void {
    let cursor = { ...since };
    let source: EventSource | null = null;
    let retry: ReturnType<typeof setTimeout> | null = null;
    let stopped = false;
    let everOpen = false;

    const open = () => {
      if (stopped) return;
      handlers.onState(everOpen ? "reconnecting" : "connecting");
      const url =
        this.base +
        `/api/live${queryString({ since: cursor.lastEventId, since_rejection: cursor.lastRejectionId })}`;
      const es = new EventSource(url);
      source = es;
      es.onopen = () => {
        everOpen = true;
        handlers.onState("live");
      };
      es.addEventListener("batch", (e) => {
        let batch: LiveBatch;
        try {
          batch = JSON.parse((e as MessageEvent<string>).data) as LiveBatch;
        } catch {
          return; // A garbled message: the next one carries the ids again.
        }
        cursor = {
          lastEventId: Math.max(cursor.lastEventId, batch.last_event_id),
          lastRejectionId: Math.max(cursor.lastRejectionId, batch.last_rejection_id),
        };
        handlers.onBatch(batch);
      });
      es.onerror = () => {
        if (stopped) return;
        if (es.readyState === EventSource.CLOSED) {
          es.close();
          source = null;
          handlers.onState(everOpen ? "reconnecting" : "connecting");
          retry = setTimeout(open, LIVE_RETRY_MS);
        } else {
          // The browser is retrying on its own.
          handlers.onState(everOpen ? "reconnecting" : "connecting");
        }
      };
    };

    open();
    return () => {
      stopped = true;
      if (retry !== null) clearTimeout(retry);
      source?.close();
      source = null;
      handlers.onState("closed");
    };
  }
}
