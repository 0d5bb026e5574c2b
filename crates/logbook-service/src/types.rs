//! The shapes the read API answers with, beyond the query types themselves. Their TypeScript twins are
//! generated into `ui/src/api/types/` (ts-rs), so the UI and the core cannot drift apart.

use serde::Serialize;

use logbook_core::query::event::Stats;
use logbook_core::query::search::EventRow;

/// Everything the Status view shows.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Status {
    pub version: String,
    /// The database file (for a team's store, its address without the password).
    pub database: String,
    /// The store is a team's PostgreSQL database (`serve --store`): what only a SQLite store
    /// keeps (pulls, replays, forwarding) is not offered.
    pub team: bool,
    /// The webhook receiver's local URL, e.g. `http://127.0.0.1:7420`; `None` when not receiving.
    pub receiver_url: Option<String>,
    /// Where the receiver stores what it receives when that is not the store shown here: the
    /// desktop app showing a team's store receives into this computer's SQLite file (this path),
    /// whose events the views show again once it goes back to it. `None`: the store shown.
    pub receiver_database: Option<String>,
    pub endpoints: Vec<EndpointInfo>,
    pub max_body_bytes: Option<i64>,
    /// Commands that expose the receiver through a tunnel (Watson only calls https URLs).
    pub tunnel_commands: Vec<String>,
    pub stats: Stats,
    /// The newest rejected request's id, for live catch-up.
    pub last_rejection_id: Option<i64>,
}

/// One webhook endpoint: where to POST and how it is verified.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct EndpointInfo {
    /// The URL path, or `None` for the catch-all (any path).
    pub path: Option<String>,
    /// `jwt`, `header` or `none`.
    pub mode: String,
}

/// What kind of error a command answered, which the UI branches on. Serialised as the snake_case
/// strings the API has always sent (`"bad_query"`, …); [`ApiErrorKind::status`] is its HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum ApiErrorKind {
    /// The search query does not parse; `span` says where.
    BadQuery,
    /// A parameter is missing or malformed.
    BadRequest,
    /// The page has no (or a wrong) launch token.
    Unauthorized,
    /// A foreign `Host` or `Origin`.
    Forbidden,
    NotFound,
    MethodNotAllowed,
    /// The query ran past its time budget.
    Timeout,
    /// The store is busy or the server is stopping, or (in the UI) the server cannot be reached.
    Unavailable,
    Internal,
    /// Desktop only: the tunnel tool is not installed.
    NotInstalled,
    /// Desktop only: the tunnel did not start.
    TunnelFailed,
}

/// Every error the API (and the desktop app's commands) answers with.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ApiError {
    pub kind: ApiErrorKind,
    /// A sentence a person understands.
    pub message: String,
    /// For `bad_query`: the byte range of the offending part of the query.
    pub span: Option<[usize; 2]>,
}

/// New rows since the ids the client last saw, sent over the live stream.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct LiveBatch {
    /// Accepted and rejected requests, oldest first.
    pub rows: Vec<EventRow>,
    pub last_event_id: i64,
    pub last_rejection_id: i64,
    /// More rows are waiting than one batch carries; the client should ask again.
    pub more: bool,
}

/// A qualifier of the query language, for completion and help.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Qualifier {
    /// As typed, e.g. `kind:` or `duration>`.
    pub key: String,
    pub help: String,
}
