// The Tauri transport: the desktop app's commands over IPC. The only file in ui/ that imports
// `@tauri-apps/api`. Command and argument names are the desktop shell's (src-tauri); errors arrive
// as `{kind, message}` objects.
import { Channel, invoke } from "@tauri-apps/api/core";
import { ClientError } from "./client";
import type { DesktopApi, ExportResult, ListRequest, LiveCursor, LiveHandlers, Transport } from "./client";
import type { ExportProgress } from "./types/ExportProgress";
import type { Format } from "./types/Format";
import type { Kind } from "./types/Kind";
import type { LiveBatch } from "./types/LiveBatch";
import type { Settings } from "./types/Settings";
import type { SettingsView } from "./types/SettingsView";
import type { TunnelStatus } from "./types/TunnelStatus";
import type { TunnelTool } from "./types/TunnelTool";

/** How long to wait before asking again after the live command failed. */
const LIVE_RETRY_MS = 3_000;

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    throw ClientError.from(e);
  }
}

function request(req: ListRequest) {
  return { request: { q: req.q, cursor: req.cursor ?? null, limit: req.limit ?? null, facets: req.facets ?? false } };
}

export class TauriTransport implements Transport {
  status() {
    return call<Awaited<ReturnType<Transport["status"]>>>("status");
  }
  qualifiers() {
    return call<Awaited<ReturnType<Transport["qualifiers"]>>>("qualifiers");
  }
  events(req: ListRequest) {
    return call<Awaited<ReturnType<Transport["events"]>>>("events", request(req));
  }
  event(id: string) {
    return call<Awaited<ReturnType<Transport["event"]>>>("event", { id });
  }
  messages(req: ListRequest) {
    return call<Awaited<ReturnType<Transport["messages"]>>>("messages", request(req));
  }
  conversations(req: ListRequest) {
    return call<Awaited<ReturnType<Transport["conversations"]>>>("conversations", request(req));
  }
  conversation(sessionId: string) {
    return call<Awaited<ReturnType<Transport["conversation"]>>>("conversation", { sessionId });
  }
  calls(req: ListRequest) {
    return call<Awaited<ReturnType<Transport["calls"]>>>("calls", request(req));
  }
  call(id: string) {
    return call<Awaited<ReturnType<Transport["call"]>>>("call", { id });
  }
  customKeys() {
    return call<Awaited<ReturnType<Transport["customKeys"]>>>("custom_keys");
  }
  customValues(key: string, limit?: number) {
    return call<Awaited<ReturnType<Transport["customValues"]>>>("custom_values", { key, limit: limit ?? null });
  }
  customCalls(key: string, value: string | null, limit?: number) {
    return call<Awaited<ReturnType<Transport["customCalls"]>>>("custom_calls", { key, value, limit: limit ?? null });
  }

  /**
   * The app shows a native save dialog and writes the file, reporting progress on a channel;
   * `{rows: 0, path: null}` means the user cancelled.
   */
  async exportRows(
    kind: Kind,
    format: Format,
    q: string,
    onProgress?: (progress: ExportProgress) => void,
  ): Promise<ExportResult> {
    const args: Record<string, unknown> = { kind, format, q };
    if (onProgress) args.onProgress = new Channel<ExportProgress>(onProgress);
    const result = await call<ExportResult | null>("export_rows", args);
    return result ?? { rows: null, path: null };
  }

  readonly desktop: DesktopApi = {
    settings: () => call<SettingsView>("get_settings"),
    saveSettings: (settings: Settings) => call<SettingsView>("save_settings", { settings }),
    revealSecret: (endpointId: string) => call<string>("reveal_secret", { endpointId }),
    tunnelStatus: () => call<TunnelStatus>("tunnel_status"),
    startTunnel: (tool?: TunnelTool) => call<TunnelStatus>("start_tunnel", { tool: tool ?? null }),
    stopTunnel: () => call<TunnelStatus>("stop_tunnel"),
  };

  live(since: LiveCursor, handlers: LiveHandlers): () => void {
    let cursor = { ...since };
    let subscription: number | null = null;
    let retry: ReturnType<typeof setTimeout> | null = null;
    let stopped = false;
    let everLive = false;

    const start = () => {
      if (stopped) return;
      handlers.onState(everLive ? "reconnecting" : "connecting");
      const channel = new Channel<LiveBatch>((batch) => {
        cursor = {
          lastEventId: Math.max(cursor.lastEventId, batch.last_event_id),
          lastRejectionId: Math.max(cursor.lastRejectionId, batch.last_rejection_id),
        };
        handlers.onBatch(batch);
      });
      call<number>("live", { since: cursor, channel }).then(
        (id) => {
          if (stopped) {
            void invoke("stop_live", { id }).catch(() => undefined);
            return;
          }
          subscription = id;
          everLive = true;
          handlers.onState("live");
        },
        () => {
          if (stopped) return;
          handlers.onState(everLive ? "reconnecting" : "connecting");
          retry = setTimeout(start, LIVE_RETRY_MS);
        },
      );
    };

    start();
    return () => {
      stopped = true;
      if (retry !== null) clearTimeout(retry);
      if (subscription !== null) void invoke("stop_live", { id: subscription }).catch(() => undefined);
      subscription = null;
      handlers.onState("closed");
    };
  }
}
