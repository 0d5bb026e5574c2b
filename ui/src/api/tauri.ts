// The Tauri transport: the desktop app's commands over IPC. The only file in ui/ that imports
// `@tauri-apps/api`. Command names are the service's list (`commands.ts`, generated): a read
// command is invoked with its request as the argument object. Errors arrive as `{kind, message}`.
import { Channel, invoke } from "@tauri-apps/api/core";
import { ClientError, ReadClient } from "./client";
import type { AnswerOf, DesktopApi, ExportResult, LiveCursor, LiveHandlers, RequestOf, Transport } from "./client";
import type { CommandName, ReadCommandName } from "./commands";
import type { ExportProgress } from "./types/ExportProgress";
import type { Format } from "./types/Format";
import type { Kind } from "./types/Kind";
import type { LiveBatch } from "./types/LiveBatch";
import type { OpenTeamStore } from "./types/OpenTeamStore";
import type { PullSettings } from "./types/PullSettings";
import type { ReplayRequest } from "./types/ReplayRequest";
import type { ReplayView } from "./types/ReplayView";
import type { Settings } from "./types/Settings";
import type { SettingsView } from "./types/SettingsView";
import type { StartPull } from "./types/StartPull";
import type { TunnelStatus } from "./types/TunnelStatus";
import type { TunnelTool } from "./types/TunnelTool";

/** How long to wait before asking again after the live command failed. */
const LIVE_RETRY_MS = 3_000;

async function call<T>(command: CommandName, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    throw ClientError.from(e);
  }
}

export class TauriTransport extends ReadClient implements Transport {
  protected run<K extends ReadCommandName>(name: K, request: RequestOf<K>): Promise<AnswerOf<K>> {
    return call<AnswerOf<K>>(name, request as Record<string, unknown>);
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
    const request: RequestOf<"export_rows"> = { kind, format, q };
    const args: Record<string, unknown> = { ...request };
    if (onProgress) args.onProgress = new Channel<ExportProgress>(onProgress);
    const result = await call<ExportResult | null>("export_rows", args);
    return result ?? { rows: null, path: null };
  }

  replay(request: ReplayRequest): Promise<ReplayView> {
    return call<ReplayView>("replay_event", { request });
  }

  readonly desktop: DesktopApi = {
    settings: () => call<SettingsView>("get_settings"),
    saveSettings: (settings: Settings) => call<SettingsView>("save_settings", { settings }),
    revealSecret: (endpointId: string) => call<string>("reveal_secret", { endpointId }),
    openTeamStore: (request: OpenTeamStore) => call<SettingsView>("open_team_store", { request }),
    closeTeamStore: (forget: boolean) => call<SettingsView>("close_team_store", { forget }),
    pullSettings: () => call<PullSettings>("pull_settings"),
    startPull: (request: StartPull) => call<PullSettings>("start_pull", { request }),
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
      const since: RequestOf<"live"> = cursor;
      call<number>("live", { since, channel }).then(
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
