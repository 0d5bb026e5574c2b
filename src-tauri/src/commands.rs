//! The commands the UI's Tauri transport calls: the service's read commands, generated from its
//! one list (`logbook_service::for_each_read_command!`), plus those the desktop app serves its own
//! way: exports into a file chosen in a dialog, live updates on a channel, settings and the tunnel
//! helper (each declared in the service's list, `logbook_service::commands::specs`).
//!
//! Contract: every error reaches the UI as the service's `ApiError` (`{kind, message, span}`: the
//! kinds of `logbook serve`'s API, plus `not_installed`, `tunnel_failed`). A read command takes its
//! request as the invoke's whole argument object (`events` with `{q, cursor, limit, facets}`,
//! `conversation` with `{sessionId}`). Anything that touches the database, the disk or a child
//! process runs on a blocking thread, never on the main thread that draws the window. An export is
//! written by Rust into the file the user chose; only its progress and row count cross the IPC
//! bridge.

use std::cell::Cell;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use logbook_core::export::{self, Format, Kind};
use logbook_service::commands::{Command, ExportRequest, ExportResult, LiveCursor, extension};
use logbook_service::types::{ApiError, ApiErrorKind, LiveBatch};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tauri::ipc::{Channel, CommandArg, CommandItem, InvokeBody, InvokeError, JavaScriptChannelId};
use tauri::{AppHandle, Runtime, State, Webview};
use tauri_plugin_dialog::DialogExt;

use crate::settings::{OpenTeamStore, PullSettings, Settings};
use crate::shell::{SettingsView, Shell, StartPull, TunnelStatus};
use crate::tunnel::TunnelTool;

type Answer<T> = Result<T, ApiError>;

/// Export progress is reported at most this often.
pub const PROGRESS_INTERVAL_MS: u64 = 200;

/// Sent on an export's `onProgress` channel while it runs, and once at the end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ExportProgress {
    /// Rows written so far.
    pub rows: u64,
    pub done: bool,
}

/// A read command's request: the invoke's whole argument object (as the HTTP API takes the query
/// string), so the request type is the service's, field for field.
pub struct Request<T>(pub T);

impl<'de, T: DeserializeOwned, R: Runtime> CommandArg<'de, R> for Request<T> {
    fn from_command(command: CommandItem<'de, R>) -> Result<Self, InvokeError> {
        let bad = |message: String| {
            InvokeError::from(ApiError::new(
                ApiErrorKind::BadRequest,
                format!("{}: {message}", command.name),
            ))
        };
        match command.message.payload() {
            InvokeBody::Json(args) => serde_json::from_value(args.clone())
                .map(Request)
                .map_err(|e| bad(e.to_string())),
            InvokeBody::Raw(_) => Err(bad("the arguments must be JSON".into())),
        }
    }
}

/// Runs `f` on a thread where blocking is fine.
async fn blocking<T: Send + 'static>(
    shell: &Shell,
    f: impl FnOnce(&Shell) -> Answer<T> + Send + 'static,
) -> Answer<T> {
    let shell = shell.clone();
    tauri::async_runtime::spawn_blocking(move || f(&shell))
        .await
        .map_err(|e| ApiError::new(ApiErrorKind::Internal, e.to_string()))?
}

/// One `#[tauri::command]` per read command of the service's list, named as the list names it.
macro_rules! read_commands {
    ($($name:ident => $command:path),* $(,)?) => {
        $(
            #[doc = concat!("The service's `", stringify!($name), "` command, on a read-only connection.")]
            #[tauri::command]
            pub async fn $name(
                shell: State<'_, Shell>,
                request: Request<<$command as Command>::Request>,
            ) -> Answer<<$command as Command>::Answer> {
                let answer = blocking(&shell, move |s| s.run::<$command>(request.0)).await;
                if answer.is_ok() {
                    $crate::startup::answered(stringify!($name));
                }
                answer
            }
        )*
    };
}

logbook_service::for_each_read_command!(read_commands);

/// The invoke handler: every read command of the service's list, then the app's own commands (the
/// service's list declares them too; `tests/commands.rs` checks the two agree, and the capability).
macro_rules! handler {
    ($($name:ident => $command:path),* $(,)?) => {
        tauri::generate_handler![
            $($crate::commands::$name,)*
            $crate::commands::export_rows,
            $crate::commands::live,
            $crate::commands::stop_live,
            $crate::commands::replay_event,
            $crate::commands::get_settings,
            $crate::commands::save_settings,
            $crate::commands::reveal_secret,
            $crate::commands::open_team_store,
            $crate::commands::close_team_store,
            $crate::commands::pull_settings,
            $crate::commands::start_pull,
            $crate::commands::start_tunnel,
            $crate::commands::stop_tunnel,
            $crate::commands::tunnel_status
        ]
    };
}

/// Every command the UI may invoke.
pub fn handler<R: Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
    logbook_service::for_each_read_command!(handler)
}

/// Asks where to save (unless `LOGBOOK_EXPORT_PATH` says), then streams the rows the request names
/// (the service's `ExportRequest`: `kind`, `format`, `q`, beside `onProgress` in the arguments) into
/// that file, reporting progress on `on_progress` when given.
#[tauri::command]
pub async fn export_rows<R: Runtime>(
    app: AppHandle<R>,
    webview: Webview<R>,
    shell: State<'_, Shell>,
    request: Request<ExportRequest>,
    on_progress: Option<JavaScriptChannelId>,
) -> Answer<ExportResult> {
    let request = request.0;
    let kind = request.kind;
    // A bad query (or a raw export of part of the data) is reported before a dialog opens.
    request.check()?;
    let format = request.format();
    let progress: Option<Channel<ExportProgress>> =
        on_progress.map(|id| id.channel_on(webview.clone()));
    blocking(&shell, move |s| {
        let name = request.file_name(chrono::Local::now());
        let path = match s.export_path() {
            Some(p) if p.is_dir() => p.join(name),
            Some(p) => p.to_owned(),
            None => {
                let dialog = app
                    .dialog()
                    .file()
                    .set_title("Export")
                    .set_file_name(&name)
                    .add_filter(extension(format).to_uppercase(), &[extension(format)])
                    .set_parent(&webview.window());
                match dialog.blocking_save_file().and_then(|p| p.into_path().ok()) {
                    Some(path) => path,
                    None => {
                        return Ok(ExportResult {
                            rows: Some(0),
                            path: None,
                        });
                    }
                }
            }
        };
        let report = |rows: u64, done: bool| {
            if let Some(channel) = &progress {
                let _ = channel.send(ExportProgress { rows, done });
            }
        };
        let rows = s.read(|c| write_export(c, kind, format, &request.q, &path, &report))?;
        report(rows, true);
        Ok(ExportResult {
            rows: Some(rows),
            path: Some(path.display().to_string()),
        })
    })
    .await
}

/// Streams the export into `<path>.partial` and renames it to `path` once whole, so a failed
/// export never leaves a truncated file under the chosen name.
pub fn write_export(
    conn: logbook_core::query::Db<'_>,
    kind: Kind,
    format: Format,
    q: &str,
    path: &Path,
    report: &dyn Fn(u64, bool),
) -> Answer<u64> {
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let io_error = |e: std::io::Error, p: &Path| {
        ApiError::new(
            ApiErrorKind::Internal,
            format!("cannot write {}: {e}", p.display()),
        )
    };
    let file = std::fs::File::create(&partial).map_err(|e| io_error(e, &partial))?;
    let mut out = std::io::BufWriter::new(file);
    let last = Cell::new(Instant::now());
    let result = export::export(conn, kind, q, format, &mut out, &|rows| {
        if last.get().elapsed() >= Duration::from_millis(PROGRESS_INTERVAL_MS) {
            last.set(Instant::now());
            report(rows, false);
        }
    })
    .map_err(ApiError::from)
    .and_then(|rows| {
        out.flush().map_err(|e| io_error(e, &partial))?;
        out.get_ref()
            .sync_all()
            .map_err(|e| io_error(e, &partial))?;
        std::fs::rename(&partial, path).map_err(|e| io_error(e, path))?;
        Ok(rows)
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}

/// Starts sending the rows after `since` on `channel`: a first batch at once, then one after each
/// commit. Returns the subscription's id, for `stop_live`.
#[tauri::command]
pub fn live<R: Runtime>(
    webview: Webview<R>,
    shell: State<'_, Shell>,
    since: LiveCursor,
    channel: Channel<LiveBatch>,
) -> u32 {
    shell.start_live(webview.label(), since, move |batch| {
        channel.send(batch).is_ok()
    })
}

/// `false` when no such subscription was running.
#[tauri::command]
pub fn stop_live(shell: State<'_, Shell>, id: u32) -> bool {
    shell.live().stop(id)
}

/// Sends a replay from the event view and keeps what came back.
#[tauri::command]
pub async fn replay_event(
    shell: State<'_, Shell>,
    request: logbook_service::commands::ReplayRequest,
) -> Answer<logbook_core::store::replays::ReplayView> {
    blocking(&shell, move |s| s.replay(request)).await
}

/// The Settings view (it reads the saved team store: on a blocking thread).
#[tauri::command]
pub async fn get_settings(shell: State<'_, Shell>) -> Answer<SettingsView> {
    blocking(&shell, |s| Ok(s.settings_view())).await
}

/// Saves the settings and restarts the receiver with them; the answer says whether it runs.
#[tauri::command]
pub async fn save_settings(shell: State<'_, Shell>, settings: Settings) -> Answer<SettingsView> {
    blocking(&shell, |s| s.save_settings(settings)).await
}

/// The text of an endpoint's secret, to paste into Watson's Secret field.
#[tauri::command]
pub async fn reveal_secret(shell: State<'_, Shell>, endpoint_id: String) -> Answer<String> {
    blocking(&shell, move |s| s.reveal_secret(&endpoint_id)).await
}

/// "Open team store": the views read the team's PostgreSQL store (checked first; an error leaves
/// the store shown as it was) from now on and after a restart.
#[tauri::command]
pub async fn open_team_store(
    shell: State<'_, Shell>,
    request: OpenTeamStore,
) -> Answer<SettingsView> {
    blocking(&shell, move |s| s.open_team_store(request)).await
}

/// "Back to this computer's store"; `forget` also removes the saved URL and password.
#[tauri::command]
pub async fn close_team_store(shell: State<'_, Shell>, forget: bool) -> Answer<SettingsView> {
    blocking(&shell, move |s| s.close_team_store(forget)).await
}

/// The "Pull history" panel's saved settings, the API key masked.
#[tauri::command]
pub async fn pull_settings(shell: State<'_, Shell>) -> Answer<PullSettings> {
    blocking(&shell, |s| s.pull_settings()).await
}

/// Saves the panel's settings and starts a pull in the background; its progress is in `pulls`.
#[tauri::command]
pub async fn start_pull(shell: State<'_, Shell>, request: StartPull) -> Answer<PullSettings> {
    blocking(&shell, move |s| s.start_pull(request)).await
}

#[tauri::command]
pub fn tunnel_status(shell: State<'_, Shell>) -> TunnelStatus {
    shell.tunnel_status()
}

/// Starts `tool` (or the first installed) towards the receiver and waits for its public URL.
#[tauri::command]
pub async fn start_tunnel(
    shell: State<'_, Shell>,
    tool: Option<TunnelTool>,
) -> Answer<TunnelStatus> {
    blocking(&shell, move |s| s.start_tunnel(tool)).await
}

#[tauri::command]
pub async fn stop_tunnel(shell: State<'_, Shell>) -> Answer<TunnelStatus> {
    blocking(&shell, |s| Ok(s.stop_tunnel())).await
}
