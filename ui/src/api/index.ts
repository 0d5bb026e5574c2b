// The client the views use: `import { api } from "../api"`. The transport is chosen once, at
// startup: Tauri IPC inside the desktop app (its webview defines `__TAURI_INTERNALS__`), else the
// HTTP API of `logbook serve` on this page's origin.
import { HttpTransport } from "./http";
import { TauriTransport } from "./tauri";
import type { Transport } from "./client";

declare global {
  interface Window {
    __TAURI_INTERNALS__?: unknown;
  }
}

/** Whether the UI runs inside the desktop app. */
export const inDesktopApp = typeof window !== "undefined" && window.__TAURI_INTERNALS__ !== undefined;

export const api: Transport = inDesktopApp ? new TauriTransport() : new HttpTransport();

export { ClientError } from "./client";
export type { DesktopApi, ExportResult, ListRequest, LiveCursor, LiveHandlers, LiveState, Transport } from "./client";
export { useAsync } from "../hooks";
export type { AsyncState } from "../hooks";
export type { JsonValue } from "./types/serde_json/JsonValue";
export type * from "./types/ApiError";
export type * from "./types/ApiErrorKind";
export type * from "./types/AuthMode";
export type * from "./types/Call";
export type * from "./types/CallLink";
export type * from "./types/CallMatch";
export type * from "./types/CallResponse";
export type * from "./types/CallRow";
export type * from "./types/CallTurn";
export type * from "./types/CallTurnExport";
export type * from "./types/CallTurnLink";
export type * from "./types/Change";
export type * from "./types/Choice";
export type * from "./types/Citation";
export type * from "./types/ContextVar";
export type * from "./types/Conversation";
export type * from "./types/ConversationRow";
export type * from "./types/CustomValue";
export type * from "./types/EndpointInfo";
export type * from "./types/EndpointSettings";
export type * from "./types/EntityHit";
export type * from "./types/EventDetail";
export type * from "./types/EventRow";
export type * from "./types/ExportProgress";
export type * from "./types/Facet";
export type * from "./types/FacetValue";
export type * from "./types/Format";
export type * from "./types/KeyCount";
export type * from "./types/Kind";
export type * from "./types/Latencies";
export type * from "./types/LinkedMessage";
export type * from "./types/LiveBatch";
export type * from "./types/LogMessage";
export type * from "./types/MergeStep";
export type * from "./types/MessageRow";
export type * from "./types/OutputItem";
export type * from "./types/Page";
export type * from "./types/Qualifier";
export type * from "./types/ReceiverProblem";
export type * from "./types/ReceiverState";
export type * from "./types/Retention";
export type * from "./types/Rtp";
export type * from "./types/RtpStream";
export type * from "./types/RunningTunnel";
export type * from "./types/Scored";
export type * from "./types/SearchHit";
export type * from "./types/Security";
export type * from "./types/Settings";
export type * from "./types/SettingsView";
export type * from "./types/Sip";
export type * from "./types/Stats";
export type * from "./types/Status";
export type * from "./types/Stt";
export type * from "./types/SttAlternative";
export type * from "./types/Subject";
export type * from "./types/Summary";
export type * from "./types/TunnelStatus";
export type * from "./types/TunnelTool";
export type * from "./types/Turn";
export type * from "./types/UserInput";
export type * from "./types/ValueCount";
export type * from "./types/ValueHint";
export type * from "./types/Total";
export type * from "./types/CountRequest";
export type * from "./types/QualifierValuesRequest";
export type * from "./types/Visit";
export type * from "./types/Warning";
export type * from "./types/WarningInfo";
