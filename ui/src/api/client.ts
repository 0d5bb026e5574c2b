// The one way the UI reaches the core. Two transports implement `Transport`: HTTP (for
// `logbook serve` in a browser) and Tauri IPC (the desktop app). Nothing else in ui/ knows which one
// it runs on; views import `api` from "./index".
import type { CommandName, Commands, ReadCommandName } from "./commands";
import type { ApiError } from "./types/ApiError";
import type { ApiErrorKind } from "./types/ApiErrorKind";
import type { Call } from "./types/Call";
import type { CallMatch } from "./types/CallMatch";
import type { CallRow } from "./types/CallRow";
import type { Comparison } from "./types/Comparison";
import type { Conversation } from "./types/Conversation";
import type { ConversationRow } from "./types/ConversationRow";
import type { EventDetail } from "./types/EventDetail";
import type { EventForwarding } from "./types/EventForwarding";
import type { EventRow } from "./types/EventRow";
import type { ExportProgress } from "./types/ExportProgress";
import type { ExportResult } from "./types/ExportResult";
import type { Format } from "./types/Format";
import type { KeyCount } from "./types/KeyCount";
import type { Kind } from "./types/Kind";
import type { ListRequest } from "./types/ListRequest";
import type { LiveBatch } from "./types/LiveBatch";
import type { LiveCursor } from "./types/LiveCursor";
import type { MessageRow } from "./types/MessageRow";
import type { OpenTeamStore } from "./types/OpenTeamStore";
import type { Page } from "./types/Page";
import type { PullRow } from "./types/PullRow";
import type { PullSettings } from "./types/PullSettings";
import type { Qualifier } from "./types/Qualifier";
import type { ReplayRequest } from "./types/ReplayRequest";
import type { ReplayView } from "./types/ReplayView";
import type { Settings } from "./types/Settings";
import type { SettingsView } from "./types/SettingsView";
import type { StartPull } from "./types/StartPull";
import type { Status } from "./types/Status";
import type { TunnelStatus } from "./types/TunnelStatus";
import type { Trends } from "./types/Trends";
import type { TrendsRequest } from "./types/TrendsRequest";
import type { TunnelTool } from "./types/TunnelTool";
import type { ValueCount } from "./types/ValueCount";
import type { ValueHint } from "./types/ValueHint";
import type { Subject } from "./types/Subject";
import type { Total } from "./types/Total";

// One page request of a list (`q`, `cursor`, `limit`, `facets`); where live updates resume from;
// what an export produced: the service's types, generated from Rust.
export type { ExportResult, ListRequest, LiveCursor };

/** What a command of the service's list is sent. */
export type RequestOf<K extends CommandName> = Commands[K]["request"];
/** What a command of the service's list answers. */
export type AnswerOf<K extends CommandName> = Commands[K]["answer"];

/**
 * The live stream's state, for the connection badge: `down` when Logbook does not answer at all,
 * `signed_out` when it answers but refuses this page (it was restarted: a new token).
 */
export type LiveState = "connecting" | "live" | "reconnecting" | "closed" | "down" | "signed_out";

export interface LiveHandlers {
  onBatch: (batch: LiveBatch) => void;
  onState: (state: LiveState) => void;
}

/** The calls every view makes. Errors are thrown as `ClientError`. */
export interface Transport {
  status(): Promise<Status>;
  qualifiers(): Promise<Qualifier[]>;
  /** How many rows `subject`'s list holds for `q`: exact, or an estimate unless `exact` is asked. */
  count(subject: Subject, q: string, exact?: boolean): Promise<Total>;
  /** The values qualifier `key` can take that start with `prefix`, most frequent first. */
  qualifierValues(key: string, prefix: string, limit?: number): Promise<ValueHint[]>;
  events(req: ListRequest): Promise<Page<EventRow>>;
  event(id: string): Promise<EventDetail>;
  messages(req: ListRequest): Promise<Page<MessageRow>>;
  conversations(req: ListRequest): Promise<Page<ConversationRow>>;
  conversation(sessionId: string): Promise<Conversation>;
  calls(req: ListRequest): Promise<Page<CallRow>>;
  call(id: string): Promise<Call>;
  customKeys(): Promise<KeyCount[]>;
  customValues(key: string, limit?: number): Promise<ValueCount[]>;
  customCalls(key: string, value: string | null, limit?: number): Promise<CallMatch[]>;
  /** The Trends view's figures for a query (its range in `after:` / `before:`). */
  trends(req: TrendsRequest): Promise<Trends>;
  /** The newest pulls from Watson's logs API, with how far each has come. */
  pulls(): Promise<PullRow[]>;
  /** The forwarding state of these events (those forwarded; at most 500 ids). */
  forwarding(ids: number[]): Promise<EventForwarding[]>;
  /** The structural diff of two events' bodies (each by number, log_id or global_session_id). */
  compare(left: string, right: string): Promise<Comparison>;
  /** Sends a replay of an event to the URL the user typed, and answers with what was kept. */
  replay(request: ReplayRequest): Promise<ReplayView>;
  /** `onProgress` hears how many rows are written, when the transport knows (the desktop app). */
  exportRows(
    kind: Kind,
    format: Format,
    q: string,
    onProgress?: (progress: ExportProgress) => void,
  ): Promise<ExportResult>;
  /** Starts live updates from `since`; returns a function that stops them. */
  live(since: LiveCursor, handlers: LiveHandlers): () => void;
  /**
   * What only the desktop app can do: its settings and its tunnel helper. Absent in a browser
   * (`logbook serve` takes its settings as command-line options), so views show these controls
   * only when it is there.
   */
  desktop?: DesktopApi;
}

/** The desktop app's own commands. Errors are thrown as `ClientError` (`bad_request` for invalid settings). */
export interface DesktopApi {
  /** The saved settings (secrets masked) and what the receiver made of them. */
  settings(): Promise<SettingsView>;
  /** Validates and saves `settings`, then restarts the receiver with them. */
  saveSettings(settings: Settings): Promise<SettingsView>;
  /** The text of an endpoint's stored secret, to paste into Watson. */
  revealSecret(endpointId: string): Promise<string>;
  /**
   * Every view reads the team's PostgreSQL store from now on (and after a restart), once it is
   * checked; refused with `bad_request` naming what was tried (never the password), the store shown
   * staying as it was.
   */
  openTeamStore(request: OpenTeamStore): Promise<SettingsView>;
  /** Back to this computer's store; `forget` also removes the saved URL and password. */
  closeTeamStore(forget: boolean): Promise<SettingsView>;
  tunnelStatus(): Promise<TunnelStatus>;
  /** Starts `tool` (or the first installed) and waits for its public URL: takes seconds. */
  startTunnel(tool?: TunnelTool): Promise<TunnelStatus>;
  stopTunnel(): Promise<TunnelStatus>;
  /** The "Pull history" panel's saved settings, the API key masked. */
  pullSettings(): Promise<PullSettings>;
  /** Saves the settings and starts a pull; answers once its first page is stored (or its error). */
  startPull(request: StartPull): Promise<PullSettings>;
}

/**
 * Which `Transport` method calls each command of the service's list (`desktop.*`: the desktop app's
 * own). The typecheck fails when the list has a command the client does not call.
 */
export const METHODS = {
  status: "status",
  qualifiers: "qualifiers",
  qualifier_values: "qualifierValues",
  count: "count",
  events: "events",
  messages: "messages",
  conversations: "conversations",
  calls: "calls",
  event: "event",
  conversation: "conversation",
  call: "call",
  custom_keys: "customKeys",
  custom_values: "customValues",
  custom_calls: "customCalls",
  trends: "trends",
  pulls: "pulls",
  forwarding: "forwarding",
  compare: "compare",
  replay_event: "replay",
  export_rows: "exportRows",
  live: "live",
  stop_live: "live",
  get_settings: "desktop.settings",
  save_settings: "desktop.saveSettings",
  reveal_secret: "desktop.revealSecret",
  open_team_store: "desktop.openTeamStore",
  close_team_store: "desktop.closeTeamStore",
  pull_settings: "desktop.pullSettings",
  start_pull: "desktop.startPull",
  tunnel_status: "desktop.tunnelStatus",
  start_tunnel: "desktop.startTunnel",
  stop_tunnel: "desktop.stopTunnel",
} as const satisfies { readonly [K in CommandName]: keyof Transport | `desktop.${keyof DesktopApi}` };

/**
 * The read commands, written once for both transports: each transport only says how it runs a read
 * command of the service's list (`run`), from the command's name and its request.
 */
export abstract class ReadClient {
  protected abstract run<K extends ReadCommandName>(name: K, request: RequestOf<K>): Promise<AnswerOf<K>>;

  private list<K extends "events" | "messages" | "conversations" | "calls">(name: K, req: ListRequest) {
    // In this order, so that URLs read the same every time.
    return this.run(name, { q: req.q, cursor: req.cursor ?? null, limit: req.limit, facets: req.facets });
  }

  status(): Promise<Status> {
    return this.run("status", {});
  }
  qualifiers(): Promise<Qualifier[]> {
    return this.run("qualifiers", {});
  }
  count(subject: Subject, q: string, exact?: boolean): Promise<Total> {
    return this.run("count", { subject, q, exact });
  }
  qualifierValues(key: string, prefix: string, limit?: number): Promise<ValueHint[]> {
    return this.run("qualifier_values", { key, prefix, limit });
  }
  events(req: ListRequest): Promise<Page<EventRow>> {
    return this.list("events", req);
  }
  event(id: string): Promise<EventDetail> {
    return this.run("event", { id });
  }
  messages(req: ListRequest): Promise<Page<MessageRow>> {
    return this.list("messages", req);
  }
  conversations(req: ListRequest): Promise<Page<ConversationRow>> {
    return this.list("conversations", req);
  }
  conversation(sessionId: string): Promise<Conversation> {
    return this.run("conversation", { sessionId });
  }
  calls(req: ListRequest): Promise<Page<CallRow>> {
    return this.list("calls", req);
  }
  call(id: string): Promise<Call> {
    return this.run("call", { id });
  }
  customKeys(): Promise<KeyCount[]> {
    return this.run("custom_keys", {});
  }
  customValues(key: string, limit?: number): Promise<ValueCount[]> {
    return this.run("custom_values", { key, limit });
  }
  customCalls(key: string, value: string | null, limit?: number): Promise<CallMatch[]> {
    return this.run("custom_calls", { key, value, limit });
  }
  trends(req: TrendsRequest): Promise<Trends> {
    // In this order, so that URLs read the same every time.
    return this.run("trends", { q: req.q, bucket: req.bucket ?? null, compare: req.compare ?? null, custom: req.custom ?? null });
  }
  pulls(): Promise<PullRow[]> {
    return this.run("pulls", {});
  }
  forwarding(ids: number[]): Promise<EventForwarding[]> {
    return this.run("forwarding", { ids: ids.join(",") });
  }

  compare(left: string, right: string): Promise<Comparison> {
    return this.run("compare", { left, right });
  }
}

/** An error from the core, with the kind the UI branches on. */
export class ClientError extends Error {
  readonly kind: ApiErrorKind;
  readonly span: [number, number] | null;

  constructor(error: ApiError) {
    super(error.message);
    this.kind = error.kind;
    this.span = error.span;
  }

  /** Anything thrown, as a ClientError (network failures become kind "unavailable"). */
  static from(e: unknown): ClientError {
    if (e instanceof ClientError) return e;
    if (e && typeof e === "object" && "kind" in e && "message" in e) {
      const err = e as { kind: unknown; message: unknown; span?: unknown };
      return new ClientError({
        kind: String(err.kind) as ApiErrorKind,
        message: String(err.message),
        span: Array.isArray(err.span) ? (err.span as [number, number]) : null,
      });
    }
    // A network failure ("Failed to fetch", "NetworkError…"): the browser's words say nothing more.
    return new ClientError({ kind: "unavailable", message: "Logbook did not answer.", span: null });
  }
}
