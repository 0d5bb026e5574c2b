// The one way the UI reaches the core. Two transports implement `Transport`: HTTP (for
// `logbook serve` in a browser) and Tauri IPC (the desktop app). Nothing else in ui/ knows which one
// it runs on; views import `api` from "./index".
import type { ApiError } from "./types/ApiError";
import type { Call } from "./types/Call";
import type { CallMatch } from "./types/CallMatch";
import type { CallRow } from "./types/CallRow";
import type { Conversation } from "./types/Conversation";
import type { ConversationRow } from "./types/ConversationRow";
import type { EventDetail } from "./types/EventDetail";
import type { EventRow } from "./types/EventRow";
import type { ExportProgress } from "./types/ExportProgress";
import type { Format } from "./types/Format";
import type { KeyCount } from "./types/KeyCount";
import type { Kind } from "./types/Kind";
import type { LiveBatch } from "./types/LiveBatch";
import type { MessageRow } from "./types/MessageRow";
import type { Page } from "./types/Page";
import type { Qualifier } from "./types/Qualifier";
import type { Settings } from "./types/Settings";
import type { SettingsView } from "./types/SettingsView";
import type { Status } from "./types/Status";
import type { TunnelStatus } from "./types/TunnelStatus";
import type { TunnelTool } from "./types/TunnelTool";
import type { ValueCount } from "./types/ValueCount";

/** One page request of a list. */
export interface ListRequest {
  q: string;
  cursor?: string | null;
  limit?: number;
  facets?: boolean;
}

/** Where live updates resume from: the last ids the UI has seen. */
export interface LiveCursor {
  lastEventId: number;
  lastRejectionId: number;
}

/** The live stream's state, for the connection badge. */
export type LiveState = "connecting" | "live" | "reconnecting" | "closed";

export interface LiveHandlers {
  onBatch: (batch: LiveBatch) => void;
  onState: (state: LiveState) => void;
}

/** What an export produced: a browser download, or a file the desktop app wrote. */
export interface ExportResult {
  /** Rows written, when the transport knows (the desktop app does; a browser download does not). */
  rows: number | null;
  /** Where the file went, when the transport chose it (desktop save dialog). */
  path: string | null;
}

/** The calls every view makes. Errors are thrown as `ClientError`. */
export interface Transport {
  status(): Promise<Status>;
  qualifiers(): Promise<Qualifier[]>;
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
  tunnelStatus(): Promise<TunnelStatus>;
  /** Starts `tool` (or the first installed) and waits for its public URL: takes seconds. */
  startTunnel(tool?: TunnelTool): Promise<TunnelStatus>;
  stopTunnel(): Promise<TunnelStatus>;
}

/** An error from the core, with the kind the UI branches on. */
export class ClientError extends Error {
  readonly kind: string;
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
        kind: String(err.kind),
        message: String(err.message),
        span: Array.isArray(err.span) ? (err.span as [number, number]) : null,
      });
    }
    const message = e instanceof Error ? e.message : String(e);
    return new ClientError({ kind: "unavailable", message: `Logbook is not reachable: ${message}`, span: null });
  }
}
