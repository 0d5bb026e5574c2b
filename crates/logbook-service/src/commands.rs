//! Every command the UI can call, declared once.
//!
//! Contract: [`for_each_read_command!`](crate::for_each_read_command) is THE list of the read commands: each is a type
//! implementing [`Command`] (its Tauri name, its `GET` path, its request and answer types, and how it
//! runs on a read-only connection). Both transports are derived from it: `logbook-http` maps
//! `GET <path>` + query parameters onto the request type in one generic place ([`run_by_path`]), and
//! the desktop app generates one `#[tauri::command]` per entry. The commands that are not a plain
//! read (an export, live updates, the desktop app's settings and tunnel) are declared in
//! [`specs`] too, with the transports that serve them, but each transport implements them itself.
//! A test writes `ui/src/api/commands.ts` from [`specs`], so the TypeScript client, the HTTP routes
//! and the Tauri commands are all checked against the same list.

use std::path::Path;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use logbook_core::export::{ExportError, Format, Kind};
use logbook_core::query::call::Call;
use logbook_core::query::compare::Comparison;
use logbook_core::query::conversation::Conversation;
use logbook_core::query::count::Total;
use logbook_core::query::custom::{self, CallMatch, KeyCount, ValueCount};
use logbook_core::query::event::EventDetail;
use logbook_core::query::filter::Subject;
use logbook_core::query::search::{
    self, CallRow, ConversationRow, EventRow, MessageRow, Page, Search,
};
use logbook_core::query::values::ValueHint;
use logbook_core::query::{Db, QueryError, parse, trends};
use logbook_core::store::pulls::PullRow;
use logbook_core::store::replays::{ReplayView, Signing};

use crate::ReceiverInfo;
use crate::types::{ApiError, ApiErrorKind, LiveBatch, Qualifier};

/// Values offered per completion when the UI does not say.
pub const QUALIFIER_VALUES: usize = 8;
/// Rows per list page (and per custom-data answer) when the UI does not say.
pub use logbook_core::query::search::DEFAULT_LIMIT;
/// The HTTP path of `export_rows`: a download.
pub const EXPORT_HTTP: &str = "/api/export";
/// The HTTP path of `live`: Server-Sent Events.
pub const LIVE_HTTP: &str = "/api/live";
/// The HTTP path of `replay_event`: the one `POST` of the API (it sends a request out and keeps
/// what came back), with a JSON [`ReplayRequest`] body.
pub const REPLAY_HTTP: &str = "/api/replay";

/// What a command may know beyond its connection.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The database file, for the Status view.
    pub database: &'a Path,
    /// The webhook receiver, for the Status view.
    pub receiver: &'a ReceiverInfo,
    /// While this process's projection gives way to a burst: since when (Unix ms), for the Status
    /// view ([`logbook_core::store::Store::projection_giving_way_since`]).
    pub giving_way_since: Option<i64>,
}

/// One read command: what the UI sends, what it gets back, and how it runs.
pub trait Command {
    /// The Tauri command's name; the TypeScript client's method is its camelCase.
    const NAME: &'static str;
    /// The `GET` path of the HTTP API. A `{field}` segment fills that request field from the URL
    /// (percent-decoded); every other field comes from the query string.
    const HTTP: &'static str;
    type Request: DeserializeOwned + TS + Send + 'static;
    type Answer: Serialize + TS + Send + 'static;
    fn run(db: Db<'_>, ctx: &Context<'_>, request: Self::Request)
    -> Result<Self::Answer, ApiError>;
}

/// Calls `$callback! { name => Type, … }` with every read command: the one list both transports
/// are generated from. A command added here is served over HTTP and over Tauri IPC, appears in the
/// generated `ui/src/api/commands.ts`, and must be called by the TypeScript client (its typecheck
/// fails otherwise).
#[macro_export]
macro_rules! for_each_read_command {
    ($callback:ident) => {
        $callback! {
            status => $crate::commands::read::Status,
            qualifiers => $crate::commands::read::Qualifiers,
            qualifier_values => $crate::commands::read::QualifierValues,
            count => $crate::commands::read::Count,
            events => $crate::commands::read::Events,
            messages => $crate::commands::read::Messages,
            conversations => $crate::commands::read::Conversations,
            calls => $crate::commands::read::Calls,
            event => $crate::commands::read::Event,
            conversation => $crate::commands::read::Conversation,
            call => $crate::commands::read::Call,
            custom_keys => $crate::commands::read::CustomKeys,
            custom_values => $crate::commands::read::CustomValues,
            custom_calls => $crate::commands::read::CustomCalls,
            trends => $crate::commands::read::Trends,
            compare => $crate::commands::read::Compare,
            pulls => $crate::commands::read::Pulls,
            forwarding => $crate::commands::read::Forwarding,
        }
    };
}

/// A request without parameters.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, TS)]
#[ts(export)]
pub struct NoRequest {}

/// One page request of a list.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, TS)]
#[ts(export)]
pub struct ListRequest {
    /// The search, in the query language.
    #[serde(default)]
    pub q: String,
    /// Where the page starts: the previous page's `next_cursor`.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub cursor: Option<String>,
    /// Rows per page; [`DEFAULT_LIMIT`] when absent.
    #[serde(default)]
    #[ts(optional)]
    pub limit: Option<usize>,
    /// Whether to count the facets of the whole filter.
    #[serde(default)]
    #[ts(optional)]
    pub facets: Option<bool>,
}

impl ListRequest {
    pub fn search(self) -> Search {
        Search {
            query: self.q,
            cursor: self.cursor,
            limit: self.limit.unwrap_or(DEFAULT_LIMIT),
            facets: self.facets.unwrap_or(false),
            hits: true,
        }
    }
}

/// The forwarding state of some events (the Live view's rows still being delivered).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, TS)]
#[ts(export)]
pub struct ForwardingRequest {
    /// Event ids, separated by commas (at most [`FORWARDING_IDS`]).
    #[serde(default)]
    pub ids: String,
}

/// Events [`ForwardingRequest`] takes at once.
pub const FORWARDING_IDS: usize = 500;

/// One event's forwarding state.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct EventForwarding {
    pub id: i64,
    pub state: logbook_core::store::outbox::ForwardingState,
}

impl ForwardingRequest {
    /// Only the SQLite store forwards: on PostgreSQL no event has a forwarding state.
    fn run(self, db: Db<'_>) -> Result<Vec<EventForwarding>, ApiError> {
        let ids = self
            .ids
            .split(',')
            .filter(|id| !id.trim().is_empty())
            .map(|id| {
                id.trim().parse::<i64>().map_err(|_| {
                    ApiError::new(ApiErrorKind::BadRequest, format!("not an event id: {id:?}"))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if ids.len() > FORWARDING_IDS {
            return Err(ApiError::new(
                ApiErrorKind::BadRequest,
                format!("at most {FORWARDING_IDS} ids at once"),
            ));
        }
        let Some(conn) = db.sqlite() else {
            return Ok(Vec::new());
        };
        let states = logbook_core::store::outbox::states(conn, &ids)
            .map_err(|e| ApiError::new(ApiErrorKind::Internal, e.to_string()))?;
        Ok(states
            .into_iter()
            .map(|(id, state)| EventForwarding { id, state })
            .collect())
    }
}

/// One event, call…: by its id.
#[derive(Debug, Clone, PartialEq, Deserialize, TS)]
#[ts(export)]
pub struct IdRequest {
    pub id: String,
}

/// One conversation, by its session id.
#[derive(Debug, Clone, PartialEq, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct SessionRequest {
    pub session_id: String,
}

/// The most frequent values of a custom-data key.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, TS)]
#[ts(export)]
pub struct CustomValuesRequest {
    #[serde(default)]
    pub key: String,
    #[serde(default)]
    #[ts(optional)]
    pub limit: Option<usize>,
}

/// How many rows a list holds for a query.
#[derive(Debug, Clone, PartialEq, Deserialize, TS)]
#[ts(export)]
pub struct CountRequest {
    pub subject: Subject,
    #[serde(default)]
    pub q: String,
    /// Count every match however long it takes (up to 30 s) instead of estimating past 250 ms.
    #[serde(default)]
    #[ts(optional)]
    pub exact: Option<bool>,
}

/// The values a qualifier can take, starting with what was typed (completion of `intent:pa…`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, TS)]
#[ts(export)]
pub struct QualifierValuesRequest {
    /// The qualifier without its `:`, e.g. `intent`.
    #[serde(default)]
    pub key: String,
    /// What was typed of the value so far.
    #[serde(default)]
    pub prefix: String,
    #[serde(default)]
    #[ts(optional)]
    pub limit: Option<usize>,
}

/// The calls carrying a custom-data key (with any value when `value` is null).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, TS)]
#[ts(export)]
pub struct CustomCallsRequest {
    #[serde(default)]
    pub key: String,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub value: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub limit: Option<usize>,
}

/// The Trends view: the figures of `q` over its range (`after:` / `before:` in `q`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, TS)]
#[ts(export)]
pub struct TrendsRequest {
    #[serde(default)]
    pub q: String,
    /// Chosen from the range when absent.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub bucket: Option<trends::Bucket>,
    /// `previous`, or an age like `7d` to move the range back by.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub compare: Option<String>,
    /// An `injected_custom_data` key whose values to break down.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub custom: Option<String>,
}

impl TrendsRequest {
    pub fn run(self, db: Db<'_>) -> Result<trends::Trends, ApiError> {
        let compare = self
            .compare
            .as_deref()
            .filter(|c| !c.is_empty())
            .map(trends::Compare::parse)
            .transpose()?;
        let request = trends::TrendsRequest {
            query: self.q,
            bucket: self.bucket,
            compare,
            custom_key: self.custom.filter(|k| !k.is_empty()),
        };
        Ok(trends::trends(db, &request, chrono::Utc::now())?)
    }
}

/// An export: the rows of `kind` matching `q`, as `format`.
#[derive(Debug, Clone, PartialEq, Deserialize, TS)]
#[ts(export)]
pub struct ExportRequest {
    pub kind: Kind,
    /// NDJSON for `raw`, else CSV, when absent.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub format: Option<Format>,
    #[serde(default)]
    pub q: String,
}

impl ExportRequest {
    /// The format, defaulted.
    pub fn format(&self) -> Format {
        match (self.format, self.kind) {
            (Some(format), _) => format,
            (None, Kind::Raw) => Format::Ndjson,
            (None, _) => Format::Csv,
        }
    }

    /// Everything an export could refuse before a file is chosen or a byte is sent.
    pub fn check(&self) -> Result<(), ApiError> {
        if self.kind == Kind::Raw && (!self.q.trim().is_empty() || self.format() != Format::Ndjson)
        {
            return Err(ExportError::RawIsWhole.into());
        }
        parse::parse(&self.q, chrono::Utc::now()).map_err(QueryError::from)?;
        Ok(())
    }

    /// `logbook-call_turns-20260310-153000.csv`
    pub fn file_name(&self, now: chrono::DateTime<chrono::Local>) -> String {
        let kind = serde_json::to_value(self.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_else(|| "export".into());
        format!(
            "logbook-{kind}-{}.{}",
            now.format("%Y%m%d-%H%M%S"),
            extension(self.format())
        )
    }
}

/// The file name extension of a format.
pub fn extension(format: Format) -> &'static str {
    match format {
        Format::Json => "json",
        Format::Ndjson => "ndjson",
        Format::Csv => "csv",
    }
}

/// What an export produced. When the user cancels the desktop dialog: no path, and no rows written
/// (`{rows: 0, path: null}`); both `null` means "a browser download started".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ExportResult {
    /// Rows written, when the transport knows (the desktop app does; a browser download does not).
    pub rows: Option<u64>,
    /// Where the file went, when the transport chose it (desktop save dialog).
    pub path: Option<String>,
}

/// Where live updates resume from: the last ids the UI has seen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct LiveCursor {
    pub last_event_id: i64,
    pub last_rejection_id: i64,
}

/// Two events to compare, each as `event` takes it.
#[derive(Debug, Clone, PartialEq, Deserialize, TS)]
#[ts(export)]
pub struct CompareRequest {
    pub left: String,
    pub right: String,
}

/// A replay the user asked for in the UI: an event, the URL they typed, how to sign, and the body
/// as edited (`None`: as stored).
#[derive(Debug, Clone, PartialEq, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct ReplayRequest {
    pub event: i64,
    pub to: String,
    pub signing: Signing,
    /// A secret file on this machine, for [`Signing::File`].
    #[ts(optional)]
    pub secret_file: Option<String>,
    /// The edited body (must be JSON); absent to send the stored body as it is.
    #[ts(optional)]
    pub body: Option<String>,
}

/// Ends a desktop live subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, TS)]
#[ts(export)]
pub struct StopLiveRequest {
    pub id: u32,
}

fn required_key(key: &str) -> Result<(), ApiError> {
    if key.is_empty() {
        return Err(ApiError::new(
            ApiErrorKind::BadRequest,
            "the parameter `key` is required",
        ));
    }
    Ok(())
}

/// The read commands, one type each (listed by [`for_each_read_command!`](crate::for_each_read_command)).
pub mod read {
    use super::*;

    macro_rules! command {
        ($ty:ident, $name:literal, $http:literal, $req:ty => $answer:ty, |$conn:ident, $ctx:ident, $r:pat_param| $body:expr) => {
            pub struct $ty;
            impl Command for $ty {
                const NAME: &'static str = $name;
                const HTTP: &'static str = $http;
                type Request = $req;
                type Answer = $answer;
                #[allow(unused_variables)]
                fn run($conn: Db<'_>, $ctx: &Context<'_>, $r: $req) -> Result<$answer, ApiError> {
                    $body
                }
            }
        };
    }

    command!(Status, "status", "/api/status", NoRequest => crate::types::Status,
        |conn, ctx, _| crate::status(conn, ctx));
    command!(Qualifiers, "qualifiers", "/api/qualifiers", NoRequest => Vec<Qualifier>,
        |conn, ctx, _| Ok(crate::qualifiers()));
    command!(QualifierValues, "qualifier_values", "/api/qualifier-values", QualifierValuesRequest => Vec<ValueHint>,
    |conn, ctx, r| {
        required_key(&r.key)?;
        Ok(logbook_core::query::values::values(conn, &r.key, &r.prefix, r.limit.unwrap_or(QUALIFIER_VALUES))?)
    });
    command!(Count, "count", "/api/count", CountRequest => Total,
        |conn, ctx, r| Ok(logbook_core::query::count::total(conn, &r.q, r.subject, r.exact.unwrap_or(false))?));
    command!(Events, "events", "/api/events", ListRequest => Page<EventRow>,
        |conn, ctx, r| Ok(search::events(conn, &r.search())?));
    command!(Messages, "messages", "/api/messages", ListRequest => Page<MessageRow>,
        |conn, ctx, r| Ok(search::messages(conn, &r.search(), false)?));
    command!(Conversations, "conversations", "/api/conversations", ListRequest => Page<ConversationRow>,
        |conn, ctx, r| Ok(search::conversations(conn, &r.search())?));
    command!(Calls, "calls", "/api/calls", ListRequest => Page<CallRow>,
        |conn, ctx, r| Ok(search::calls(conn, &r.search(), false)?));
    command!(Event, "event", "/api/events/{id}", IdRequest => EventDetail,
        |conn, ctx, r| Ok(logbook_core::query::event::event(conn, &r.id)?));
    command!(Conversation, "conversation", "/api/conversations/{sessionId}", SessionRequest => super::Conversation,
        |conn, ctx, r| Ok(logbook_core::query::conversation::conversation(conn, &r.session_id)?));
    command!(Call, "call", "/api/calls/{id}", IdRequest => super::Call,
        |conn, ctx, r| Ok(logbook_core::query::call::call(conn, &r.id)?));
    command!(Pulls, "pulls", "/api/pulls", NoRequest => Vec<PullRow>,
    // Only the SQLite store pulls from Watson's API.
    |conn, ctx, _| match conn.sqlite() {
        Some(conn) => logbook_core::store::pulls::recent(conn, logbook_core::store::pulls::RECENT_PULLS)
            .map_err(|e| ApiError::new(ApiErrorKind::Internal, e.to_string())),
        None => Ok(Vec::new()),
    });
    command!(CustomKeys, "custom_keys", "/api/custom-data/keys", NoRequest => Vec<KeyCount>,
        |conn, ctx, _| Ok(custom::keys(conn)?));
    command!(CustomValues, "custom_values", "/api/custom-data/values", CustomValuesRequest => Vec<ValueCount>,
    |conn, ctx, r| {
        required_key(&r.key)?;
        Ok(custom::values(conn, &r.key, r.limit.unwrap_or(DEFAULT_LIMIT))?)
    });
    command!(CustomCalls, "custom_calls", "/api/custom-data/calls", CustomCallsRequest => Vec<CallMatch>,
    |conn, ctx, r| {
        required_key(&r.key)?;
        Ok(custom::calls_with(conn, &r.key, r.value.as_deref(), r.limit.unwrap_or(DEFAULT_LIMIT), None)?)
    });
    command!(Trends, "trends", "/api/trends", TrendsRequest => trends::Trends,
        |conn, ctx, r| r.run(conn));
    command!(Forwarding, "forwarding", "/api/forwarding", ForwardingRequest => Vec<EventForwarding>,
        |conn, ctx, r| r.run(conn));
    command!(Compare, "compare", "/api/compare", CompareRequest => Comparison,
        |conn, ctx, r| Ok(logbook_core::query::compare::compare(conn, &r.left, &r.right)?));
}

/// How a command reaches its transports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Shape {
    /// A read on a connection, run by the service for both transports ([`Command`]).
    Read,
    /// Each transport runs it its own way (an HTTP download or stream, a desktop dialog or
    /// channel), over the types declared here.
    TransportSpecific,
}

/// One command the UI calls, as the generated TypeScript client sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommandSpec {
    /// The Tauri command's name.
    pub name: &'static str,
    /// The HTTP path (`GET`), or `None` when only the desktop app has it.
    pub http: Option<&'static str>,
    /// Whether the desktop app has it (as a Tauri command of this name).
    pub desktop: bool,
    pub shape: Shape,
    /// The request's TypeScript type.
    pub request: String,
    /// The answer's TypeScript type (for a stream: the type of each message).
    pub answer: String,
    /// What differs between the transports, for the transport-specific ones.
    pub note: &'static str,
    /// The generated TypeScript types the request and answer name, with their files.
    pub imports: Vec<(String, String)>,
}

fn ts_name<T: TS>() -> String {
    T::name(&ts_rs::Config::from_env())
}

/// The exported TypeScript types that `T`'s name mentions (`Page<EventRow>`: `Page` and
/// `EventRow`), with the files they are in (relative to `ui/src/api/types`).
fn ts_imports<T: TS + 'static>(out: &mut Vec<(String, String)>) {
    struct Collect(Vec<(String, String)>);
    impl ts_rs::TypeVisitor for Collect {
        fn visit<U: TS + 'static + ?Sized>(&mut self) {
            let cfg = ts_rs::Config::from_env();
            if let Some(path) = U::output_path() {
                let file = path.with_extension("").display().to_string();
                self.0.push((U::ident(&cfg), file));
            }
            U::visit_generics(self);
        }
    }
    let name = ts_name::<T>();
    let mut found = Collect(Vec::new());
    ts_rs::TypeVisitor::visit::<T>(&mut found);
    let words: Vec<&str> = name
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .collect();
    out.extend(
        found
            .0
            .into_iter()
            .filter(|(ident, _)| words.contains(&ident.as_str())),
    );
}

fn read_spec<C: Command>() -> CommandSpec {
    let mut imports = Vec::new();
    ts_imports::<C::Request>(&mut imports);
    ts_imports::<C::Answer>(&mut imports);
    CommandSpec {
        imports,
        name: C::NAME,
        http: Some(C::HTTP),
        desktop: true,
        shape: Shape::Read,
        request: ts_name::<C::Request>(),
        answer: ts_name::<C::Answer>(),
        note: "",
    }
}

fn special<Request: TS + 'static, Answer: TS + 'static>(
    name: &'static str,
    http: Option<&'static str>,
    note: &'static str,
) -> CommandSpec {
    let mut imports = Vec::new();
    ts_imports::<Request>(&mut imports);
    ts_imports::<Answer>(&mut imports);
    CommandSpec {
        imports,
        request: ts_name::<Request>(),
        answer: ts_name::<Answer>(),
        name,
        http,
        desktop: true,
        shape: Shape::TransportSpecific,
        note,
    }
}

/// Every command the UI calls: the read commands of
/// [`for_each_read_command!`](crate::for_each_read_command), then those each transport implements
/// itself. The desktop-only ones are the app's own (settings and tunnel): their types live in the
/// desktop crate and are named here as TypeScript.
pub fn specs() -> Vec<CommandSpec> {
    macro_rules! read_specs {
        ($($name:ident => $ty:path),* $(,)?) => { vec![$(read_spec::<$ty>()),*] };
    }
    let mut all = for_each_read_command!(read_specs);
    all.extend([
        special::<ExportRequest, ExportResult>(
            "export_rows",
            Some(EXPORT_HTTP),
            "HTTP: a browser download of the file; desktop: a save dialog, then Rust writes the file and reports progress on a channel",
        ),
        special::<LiveCursor, LiveBatch>(
            "live",
            Some(LIVE_HTTP),
            "HTTP: Server-Sent Events (`since`, `since_rejection`, `Last-Event-ID`); desktop: batches on a channel, the answer is the subscription's id",
        ),
        special::<ReplayRequest, ReplayView>(
            "replay_event",
            Some(REPLAY_HTTP),
            "HTTP: `POST` with the request as JSON (the API's only write: it sends the replay and keeps the answer); desktop: a command; both sign with the endpoint's secret as the receiver knows it",
        ),
        special::<StopLiveRequest, bool>(
            "stop_live",
            None,
            "desktop: ends a live subscription (over HTTP, closing the stream does)",
        ),
    ]);
    // (name, request, answer, the generated types they name)
    let no_request = ts_name::<NoRequest>();
    let desktop_only: [(&'static str, &str, &str, &[&str]); 10] = [
        (
            "get_settings",
            &no_request,
            "SettingsView",
            &["NoRequest", "SettingsView"],
        ),
        (
            "save_settings",
            "{ settings: Settings }",
            "SettingsView",
            &["Settings", "SettingsView"],
        ),
        ("reveal_secret", "{ endpointId: string }", "string", &[]),
        (
            "open_team_store",
            "{ request: OpenTeamStore }",
            "SettingsView",
            &["OpenTeamStore", "SettingsView"],
        ),
        (
            "close_team_store",
            "{ forget: boolean }",
            "SettingsView",
            &["SettingsView"],
        ),
        (
            "pull_settings",
            &no_request,
            "PullSettings",
            &["NoRequest", "PullSettings"],
        ),
        (
            "start_pull",
            "{ request: StartPull }",
            "PullSettings",
            &["StartPull", "PullSettings"],
        ),
        (
            "tunnel_status",
            &no_request,
            "TunnelStatus",
            &["NoRequest", "TunnelStatus"],
        ),
        (
            "start_tunnel",
            "{ tool: TunnelTool | null }",
            "TunnelStatus",
            &["TunnelTool", "TunnelStatus"],
        ),
        (
            "stop_tunnel",
            &no_request,
            "TunnelStatus",
            &["NoRequest", "TunnelStatus"],
        ),
    ];
    all.extend(desktop_only.map(|(name, request, answer, imports)| CommandSpec {
        imports: imports.iter().map(|t| ((*t).to_owned(), (*t).to_owned())).collect(),
        name,
        http: None,
        desktop: true,
        shape: Shape::TransportSpecific,
        request: request.to_owned(),
        answer: answer.to_owned(),
        note: "desktop only: `logbook serve` takes its settings on the command line and has no tunnel helper",
    }));
    all
}

/// Runs the read command whose HTTP path matches `path` (`/api/…`, not decoded), with its request
/// built from the path's `{field}` segment and the query parameters; its answer as JSON. `None`
/// when no read command has this path.
pub fn run_by_path(
    conn: Db<'_>,
    ctx: &Context<'_>,
    path: &str,
    params: &[(String, String)],
) -> Option<Result<Vec<u8>, ApiError>> {
    fn attempt<C: Command>(
        conn: Db<'_>,
        ctx: &Context<'_>,
        path: &str,
        params: &[(String, String)],
    ) -> Option<Result<Vec<u8>, ApiError>> {
        let fields = match_path(C::HTTP, path)?;
        Some(fields.and_then(|fields| {
            let mut pairs = fields;
            pairs.extend(params.iter().cloned());
            let request = crate::params::from_pairs::<C::Request>(&pairs)?;
            let answer = C::run(conn, ctx, request)?;
            serde_json::to_vec(&answer)
                .map_err(|e| ApiError::new(ApiErrorKind::Internal, e.to_string()))
        }))
    }
    macro_rules! try_each {
        ($($name:ident => $ty:path),* $(,)?) => {
            $(if let Some(result) = attempt::<$ty>(conn, ctx, path, params) {
                return Some(result);
            })*
        };
    }
    for_each_read_command!(try_each);
    None
}

/// Whether `path` matches `pattern`: `Some(Ok(fields))` with the `{field}` segments
/// percent-decoded (`+` stays a plus), `Some(Err)` when a segment is not UTF-8.
fn match_path(pattern: &str, path: &str) -> Option<Result<Vec<(String, String)>, ApiError>> {
    let mut fields = Vec::new();
    let (mut pattern_parts, mut path_parts) = (pattern.split('/'), path.split('/'));
    loop {
        match (pattern_parts.next(), path_parts.next()) {
            (None, None) => return Some(Ok(fields)),
            (Some(p), Some(s)) => {
                if let Some(field) = p.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                    if s.is_empty() {
                        return None;
                    }
                    match percent_decode(s) {
                        Some(value) => fields.push((field.to_owned(), value)),
                        None => {
                            return Some(Err(ApiError::new(
                                ApiErrorKind::BadRequest,
                                "the id is not valid UTF-8",
                            )));
                        }
                    }
                } else if p != s {
                    return None;
                }
            }
            _ => return None,
        }
    }
}

/// `%XX` decoding of one path segment; `None` when the result is not UTF-8.
fn percent_decode(segment: &str) -> Option<String> {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8()
        .ok()
        .map(|s| s.into_owned())
}

/// The statuses the TypeScript client maps back to a kind (see [`ApiErrorKind::of_status`]).
const CLIENT_STATUSES: [u16; 9] = [400, 401, 403, 404, 405, 500, 502, 503, 504];

/// `ui/src/api/commands.ts`: the command list for the TypeScript client.
pub fn typescript() -> String {
    let specs = specs();
    let mut imports =
        std::collections::BTreeSet::from([("ApiErrorKind".to_owned(), "ApiErrorKind".to_owned())]);
    imports.extend(specs.iter().flat_map(|s| s.imports.iter().cloned()));
    let mut out = String::from(
        "// Generated by `cargo test -p logbook-service` from the command list\n\
         // (crates/logbook-service/src/commands.rs). Do not edit: change the list and run the tests.\n",
    );
    for (name, file) in &imports {
        out += &format!("import type {{ {name} }} from \"./types/{file}\";\n");
    }
    out += "\n/** Every command the UI calls: what it sends and what it gets back (for a stream, each message). */\n";
    out += "export interface Commands {\n";
    for spec in &specs {
        if !spec.note.is_empty() {
            out += &format!("  /** {} */\n", spec.note.replace("*/", "* /"));
        }
        out += &format!(
            "  {}: {{ request: {}; answer: {} }};\n",
            spec.name, spec.request, spec.answer
        );
    }
    out += "}\n\nexport type CommandName = keyof Commands;\n";
    let reads: Vec<String> = specs
        .iter()
        .filter(|s| s.shape == Shape::Read)
        .map(|s| format!("\"{}\"", s.name))
        .collect();
    out += "\n/** The read commands: the service runs them for both transports, from their request alone. */\n";
    out += &format!("export type ReadCommandName = {};\n", reads.join(" | "));
    out += "\nexport interface CommandInfo {\n  /** The `GET` path of `logbook serve`'s API (`{field}`: that request field, as a path segment); null when only the desktop app has it. */\n  http: string | null;\n  /** Whether the desktop app has it, as a Tauri command of this name. */\n  desktop: boolean;\n  /** A read command (see ReadCommandName), else each transport implements it its own way. */\n  read: boolean;\n}\n\n";
    out += "export const COMMANDS: { readonly [K in CommandName]: CommandInfo } = {\n";
    for spec in &specs {
        let http = spec
            .http
            .map_or_else(|| "null".to_owned(), |p| format!("\"{p}\""));
        out += &format!(
            "  {}: {{ http: {http}, desktop: {}, read: {} }},\n",
            spec.name,
            spec.desktop,
            spec.shape == Shape::Read
        );
    }
    out += "};\n\n/** What an HTTP status means when the answer's body says nothing readable. */\n";
    out += "export function kindOfStatus(status: number): ApiErrorKind {\n  switch (status) {\n";
    for status in CLIENT_STATUSES {
        let kind = serde_json::to_value(ApiErrorKind::of_status(status)).expect("kind");
        out += &format!("    case {status}:\n      return {kind};\n");
    }
    let default = serde_json::to_value(ApiErrorKind::of_status(0)).expect("kind");
    out += &format!("    default:\n      return {default};\n  }}\n}}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_names_each_command_once_and_as_its_type_says() {
        macro_rules! names {
            ($($name:ident => $ty:path),* $(,)?) => {
                vec![$((stringify!($name), <$ty as Command>::NAME)),*]
            };
        }
        for (listed, declared) in for_each_read_command!(names) {
            assert_eq!(listed, declared);
        }
        let specs = specs();
        let mut names: Vec<&str> = specs.iter().map(|s| s.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), specs.len(), "a command is declared twice");
        let mut paths: Vec<&str> = specs.iter().filter_map(|s| s.http).collect();
        let count = paths.len();
        paths.sort_unstable();
        paths.dedup();
        assert_eq!(paths.len(), count, "two commands share an HTTP path");
        assert!(paths.iter().all(|p| p.starts_with("/api/")));
    }

    #[test]
    fn paths_match_with_their_fields_decoded() {
        assert_eq!(
            match_path("/api/events", "/api/events").unwrap().unwrap(),
            []
        );
        assert_eq!(
            match_path(
                "/api/conversations/{sessionId}",
                "/api/conversations/a%2Fb%3Fc%23d%20e+f"
            )
            .unwrap()
            .unwrap(),
            [("sessionId".to_owned(), "a/b?c#d e+f".to_owned())]
        );
        assert!(match_path("/api/events/{id}", "/api/events/").is_none());
        assert!(match_path("/api/events/{id}", "/api/events/1/2").is_none());
        assert!(match_path("/api/events", "/api/events/1").is_none());
        assert!(
            match_path("/api/events/{id}", "/api/events/%FF")
                .unwrap()
                .is_err()
        );
    }

    #[test]
    fn status_kinds_round_trip() {
        for status in CLIENT_STATUSES {
            let kind = ApiErrorKind::of_status(status);
            if !(502..=504).contains(&status) {
                assert_eq!(kind.status(), status, "{kind:?}");
            }
        }
    }

    /// Writes the TypeScript command list, and fails when the committed one differed (so a list
    /// changed without regenerating the client fails CI on a clean clone).
    #[test]
    fn the_typescript_client_gets_the_same_list() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/api");
        let text = typescript();
        let path = dir.join("commands.ts");
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            std::fs::write(&path, &text).unwrap();
            panic!(
                "ui/src/api/commands.ts did not match the command list; it has been rewritten: \
                 run the tests again and commit it"
            );
        }
        for spec in specs() {
            assert!(text.contains(&format!("  {}: {{ request:", spec.name)));
        }
    }
}
