//! The commands the UI's Tauri transport calls: the core's queries and exports, a few lines each,
//! plus live updates, settings and the tunnel helper.
//!
//! Contract: every error reaches the UI as the core's `ApiError` (`{kind, message, span}`: the
//! kinds of `logbook serve`'s API, plus `not_installed`, `tunnel_failed`). Anything that touches the
//! database, the disk or a child process runs on a blocking thread, never on the main thread that
//! draws the window. An export is written by Rust into the file the user chose; only its progress
//! and row count cross the IPC bridge.

use std::cell::Cell;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use logbook_core::export::{self, Format, Kind};
use logbook_core::query::call::Call;
use logbook_core::query::conversation::Conversation;
use logbook_core::query::custom::{self, CallMatch, KeyCount, ValueCount};
use logbook_core::query::event::EventDetail;
use logbook_core::query::search::{
    self, CallRow, ConversationRow, EventRow, MessageRow, Page, Search,
};
use logbook_core::query::{QueryError, parse};
use logbook_service::types::{ApiError, LiveBatch, Qualifier, Status};
use serde::{Deserialize, Serialize};
use tauri::ipc::{Channel, JavaScriptChannelId};
use tauri::{AppHandle, Runtime, State, Webview};
use tauri_plugin_dialog::DialogExt;

use crate::live::LiveCursor;
use crate::settings::Settings;
use crate::shell::{SettingsView, Shell, TunnelStatus};
use crate::tunnel::TunnelTool;

type Answer<T> = Result<T, ApiError>;

/// Rows per page when the UI does not say.
pub const DEFAULT_LIMIT: usize = 50;
/// Export progress is reported at most this often.
pub const PROGRESS_INTERVAL_MS: u64 = 200;

/// One page request of a list, as the UI's `ListRequest`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListRequest {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub cursor: Option<String>,
    #[serde(default)]
    pub limit: Option<usize>,
    #[serde(default)]
    pub facets: Option<bool>,
}

impl ListRequest {
    fn search(self) -> Search {
        Search {
            query: self.q,
            cursor: self.cursor,
            limit: self.limit.unwrap_or(DEFAULT_LIMIT),
            facets: self.facets.unwrap_or(false),
        }
    }
}

/// What an export produced, as the UI's `ExportResult`. When the user cancels the dialog: no path,
/// and no rows written (`{rows: 0, path: null}`; both `null` means "a browser download started").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportResult {
    pub rows: Option<u64>,
    pub path: Option<String>,
}

/// Sent on an export's `onProgress` channel while it runs, and once at the end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ExportProgress {
    /// Rows written so far.
    pub rows: u64,
    pub done: bool,
}

/// Runs `f` on a thread where blocking is fine.
async fn blocking<T: Send + 'static>(
    shell: &Shell,
    f: impl FnOnce(&Shell) -> Answer<T> + Send + 'static,
) -> Answer<T> {
    let shell = shell.clone();
    tauri::async_runtime::spawn_blocking(move || f(&shell))
        .await
        .map_err(|e| ApiError::new("internal", e.to_string()))?
}

#[tauri::command]
pub async fn status(shell: State<'_, Shell>) -> Answer<Status> {
    blocking(&shell, |s| s.status()).await
}

#[tauri::command]
pub fn qualifiers() -> Vec<Qualifier> {
    logbook_service::qualifiers()
}

#[tauri::command]
pub async fn events(shell: State<'_, Shell>, request: ListRequest) -> Answer<Page<EventRow>> {
    blocking(&shell, |s| {
        s.read(|c| Ok(search::events(c, &request.search())?))
    })
    .await
}

/// Newest first.
#[tauri::command]
pub async fn messages(shell: State<'_, Shell>, request: ListRequest) -> Answer<Page<MessageRow>> {
    blocking(&shell, |s| {
        s.read(|c| Ok(search::messages(c, &request.search(), false)?))
    })
    .await
}

#[tauri::command]
pub async fn conversations(
    shell: State<'_, Shell>,
    request: ListRequest,
) -> Answer<Page<ConversationRow>> {
    blocking(&shell, |s| {
        s.read(|c| Ok(search::conversations(c, &request.search())?))
    })
    .await
}

/// Newest first.
#[tauri::command]
pub async fn calls(shell: State<'_, Shell>, request: ListRequest) -> Answer<Page<CallRow>> {
    blocking(&shell, |s| {
        s.read(|c| Ok(search::calls(c, &request.search(), false)?))
    })
    .await
}

#[tauri::command]
pub async fn event(shell: State<'_, Shell>, id: String) -> Answer<EventDetail> {
    blocking(&shell, move |s| {
        s.read(|c| Ok(logbook_core::query::event::event(c, &id)?))
    })
    .await
}

#[tauri::command]
pub async fn conversation(shell: State<'_, Shell>, session_id: String) -> Answer<Conversation> {
    blocking(&shell, move |s| {
        s.read(|c| {
            Ok(logbook_core::query::conversation::conversation(
                c,
                &session_id,
            )?)
        })
    })
    .await
}

#[tauri::command]
pub async fn call(shell: State<'_, Shell>, id: String) -> Answer<Call> {
    blocking(&shell, move |s| {
        s.read(|c| Ok(logbook_core::query::call::call(c, &id)?))
    })
    .await
}

#[tauri::command]
pub async fn custom_keys(shell: State<'_, Shell>) -> Answer<Vec<KeyCount>> {
    blocking(&shell, |s| s.read(|c| Ok(custom::keys(c)?))).await
}

#[tauri::command]
pub async fn custom_values(
    shell: State<'_, Shell>,
    key: String,
    limit: Option<usize>,
) -> Answer<Vec<ValueCount>> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    blocking(&shell, move |s| {
        s.read(|c| Ok(custom::values(c, &key, limit)?))
    })
    .await
}

/// The calls carrying `key` (with any value when `value` is null).
#[tauri::command]
pub async fn custom_calls(
    shell: State<'_, Shell>,
    key: String,
    value: Option<String>,
    limit: Option<usize>,
) -> Answer<Vec<CallMatch>> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    blocking(&shell, move |s| {
        s.read(|c| Ok(custom::calls_with(c, &key, value.as_deref(), limit, None)?))
    })
    .await
}

/// Asks where to save (unless `LOGBOOK_EXPORT_PATH` says), then streams the rows of `kind`
/// matching `q` into that file, reporting progress on `on_progress` when given.
#[tauri::command]
#[allow(clippy::too_many_arguments)]
pub async fn export_rows<R: Runtime>(
    app: AppHandle<R>,
    webview: Webview<R>,
    shell: State<'_, Shell>,
    kind: Kind,
    format: Format,
    q: String,
    on_progress: Option<JavaScriptChannelId>,
) -> Answer<ExportResult> {
    // A bad query is reported before a dialog opens.
    parse::parse(&q, chrono::Utc::now()).map_err(QueryError::from)?;
    let progress: Option<Channel<ExportProgress>> =
        on_progress.map(|id| id.channel_on(webview.clone()));
    blocking(&shell, move |s| {
        let name = export_file_name(kind, format, chrono::Local::now());
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
        let rows = s.read(|c| write_export(c, kind, format, &q, &path, &report))?;
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
    conn: &rusqlite::Connection,
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
        ApiError::new("internal", format!("cannot write {}: {e}", p.display()))
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

/// `logbook-call_turns-20260310-153000.csv`
pub fn export_file_name(
    kind: Kind,
    format: Format,
    now: chrono::DateTime<chrono::Local>,
) -> String {
    let kind = serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "export".into());
    format!(
        "logbook-{kind}-{}.{}",
        now.format("%Y%m%d-%H%M%S"),
        extension(format)
    )
}

fn extension(format: Format) -> &'static str {
    match format {
        Format::Json => "json",
        Format::Ndjson => "ndjson",
        Format::Csv => "csv",
    }
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
    shell.live().start(
        webview.label(),
        shell.readers().clone(),
        shell.subscribe(),
        since,
        move |batch| channel.send(batch).is_ok(),
    )
}

/// `false` when no such subscription was running.
#[tauri::command]
pub fn stop_live(shell: State<'_, Shell>, id: u32) -> bool {
    shell.live().stop(id)
}

#[tauri::command]
pub fn get_settings(shell: State<'_, Shell>) -> SettingsView {
    shell.settings_view()
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
