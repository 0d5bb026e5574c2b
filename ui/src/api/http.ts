// The HTTP transport: `logbook serve`'s JSON API on the page's own origin. The server set an auth
// cookie when the page was opened with `?token=…`, so every call is a plain same-origin GET. The
// read commands' paths come from the service's list (`commands.ts`, generated).
import { ClientError, ReadClient } from "./client";
import type { AnswerOf, ExportResult, LiveCursor, LiveHandlers, RequestOf, Transport } from "./client";
import { COMMANDS, kindOfStatus } from "./commands";
import type { ReadCommandName } from "./commands";
import type { Format } from "./types/Format";
import type { Kind } from "./types/Kind";
import type { LiveBatch } from "./types/LiveBatch";
import type { ReplayRequest } from "./types/ReplayRequest";
import type { ReplayView } from "./types/ReplayView";

/** How long to wait before opening a new stream after the browser gave up on one. */
const LIVE_RETRY_MS = 3_000;

type Param = string | number | boolean | null | undefined;

/** The query string of a request, leaving out absent values. */
export function queryString(params: Record<string, Param>): string {
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

/**
 * The URL of a command's `GET` path (`/api/events/{id}`): each `{field}` is that request field as a
 * path segment, every other field goes in the query string.
 */
export function commandUrl(pattern: string, request: object): string {
  const params: Record<string, Param> = { ...(request as Record<string, Param>) };
  const path = pattern.replace(/\{(\w+)\}/g, (_, field: string) => {
    const value = params[field];
    delete params[field];
    return encodeURIComponent(String(value ?? ""));
  });
  return path + queryString(params);
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
      ? "This page is not signed in."
      : `The server answered ${res.status}${res.statusText ? ` ${res.statusText}` : ""}.`;
  return new ClientError({ kind, message, span: null });
}

/** `desktop` stays undefined: `logbook serve` takes its settings on the command line, and has no tunnel helper. */
export class HttpTransport extends ReadClient implements Transport {
  /** `base` is prepended to every path: "" for the page's own origin. */
  constructor(private readonly base = "") {
    super();
  }

  protected run<K extends ReadCommandName>(name: K, request: RequestOf<K>): Promise<AnswerOf<K>> {
    const pattern = COMMANDS[name].http;
    if (pattern === null) {
      return Promise.reject(new ClientError({ kind: "not_found", message: `${name} is not served over HTTP`, span: null }));
    }
    return this.get<AnswerOf<K>>(commandUrl(pattern, request));
  }

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

  /** The API's one write: a `POST` with the request as JSON (the cookie carries the token). */
  async replay(request: ReplayRequest): Promise<ReplayView> {
    let res: Response;
    try {
      res = await fetch(this.base + (COMMANDS.replay_event.http ?? ""), {
        method: "POST",
        credentials: "same-origin",
        headers: { Accept: "application/json", "Content-Type": "application/json" },
        body: JSON.stringify(request),
      });
    } catch (e) {
      throw ClientError.from(e);
    }
    if (!res.ok) throw await errorOf(res);
    return (await res.json()) as ReplayView;
  }

  /** A browser download: the server streams the file as an attachment. */
  async exportRows(kind: Kind, format: Format, q: string): Promise<ExportResult> {
    const a = document.createElement("a");
    const request: RequestOf<"export_rows"> = { kind, format, q };
    a.href = this.base + commandUrl(COMMANDS.export_rows.http ?? "", request);
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
        `${COMMANDS.live.http}${queryString({ since: cursor.lastEventId, since_rejection: cursor.lastRejectionId })}`;
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
