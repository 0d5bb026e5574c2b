//! The commands the UI can call, over the core: for the HTTP read API (`logbook-http`) and the desktop
//! app's Tauri commands alike, declared once.
//!
//! Contract: [`commands`] is the one list of commands (names, HTTP paths, request and answer types,
//! which transport serves which); both transports are derived from it and a test writes the
//! TypeScript client's list (`ui/src/api/commands.ts`) from it. Every command runs on a read-only
//! connection plus a [`commands::Context`]; the writer is never touched. Every error is an
//! [`ApiError`], whose [`ApiErrorKind`] decides its HTTP status here only.
//! [`live`] is the one live-update loop, which the SSE stream and the Tauri channel adapt;
//! [`params`] turns a query string into a request; [`store`] is the store the UI reads (SQLite, or a
//! team's PostgreSQL store).

pub mod commands;
pub mod live;
pub mod params;
pub mod store;
pub mod types;

use logbook_core::config::Endpoint;
use logbook_core::export::ExportError;
use logbook_core::query::{Db, QueryError};
use logbook_core::store::StoreError;
use types::{ApiError, ApiErrorKind, EndpointInfo, Qualifier, Status};

impl ApiErrorKind {
    /// The HTTP status for each kind of error, decided here only.
    pub fn status(self) -> u16 {
        match self {
            Self::BadQuery | Self::BadRequest => 400,
            Self::Unauthorized => 401,
            Self::Forbidden => 403,
            Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::Timeout | Self::Unavailable => 503,
            Self::Internal | Self::NotInstalled | Self::TunnelFailed => 500,
        }
    }
}

impl ApiErrorKind {
    /// What an HTTP status means when an answer's body says nothing readable (a proxy's page, a
    /// crash): the inverse of [`ApiErrorKind::status`] where it is one, `Unavailable` for a gateway.
    pub fn of_status(status: u16) -> Self {
        match status {
            400 => Self::BadRequest,
            401 => Self::Unauthorized,
            403 => Self::Forbidden,
            404 => Self::NotFound,
            405 => Self::MethodNotAllowed,
            502..=504 => Self::Unavailable,
            _ => Self::Internal,
        }
    }
}

impl ApiError {
    pub fn new(kind: ApiErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            span: None,
        }
    }

    /// The HTTP status of this error's kind.
    pub fn status(&self) -> u16 {
        self.kind.status()
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ApiError {}

impl From<QueryError> for ApiError {
    fn from(err: QueryError) -> Self {
        match err {
            QueryError::Parse(p) => Self {
                kind: ApiErrorKind::BadQuery,
                message: p.to_string(),
                span: Some([p.span.start, p.span.end]),
            },
            QueryError::NotFound(_) => Self::new(ApiErrorKind::NotFound, err.to_string()),
            QueryError::Timeout(_) => Self::new(ApiErrorKind::Timeout, err.to_string()),
            QueryError::BadCursor | QueryError::BadRequest(_) => {
                Self::new(ApiErrorKind::BadRequest, err.to_string())
            }
            QueryError::Sqlite(_) | QueryError::Postgres(_) => {
                Self::new(ApiErrorKind::Internal, err.to_string())
            }
        }
    }
}

impl From<ExportError> for ApiError {
    fn from(err: ExportError) -> Self {
        match err {
            ExportError::Query(e) => e.into(),
            ExportError::Parse(p) => QueryError::Parse(p).into(),
            ExportError::RawIsWhole => Self::new(ApiErrorKind::BadRequest, err.to_string()),
            other => Self::new(ApiErrorKind::Internal, other.to_string()),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        let kind = if err.is_transient() {
            ApiErrorKind::Unavailable
        } else {
            ApiErrorKind::Internal
        };
        Self::new(kind, err.to_string())
    }
}

/// What the Status view says about the webhook receiver, which the read side does not run itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReceiverInfo {
    /// The receiver's local URL, e.g. `http://127.0.0.1:7420`; `None` when not receiving.
    pub url: Option<String>,
    pub endpoints: Vec<EndpointInfo>,
    pub max_body_bytes: Option<i64>,
    /// Where the receiver stores what it receives, when that is not the store the views read: the
    /// desktop app showing a team's store goes on receiving into this computer's SQLite file.
    pub database: Option<String>,
}

impl ReceiverInfo {
    /// The receiver at `url` with these endpoints and body limit.
    pub fn new(url: impl Into<String>, endpoints: &[Endpoint], max_body_bytes: usize) -> Self {
        Self {
            url: Some(url.into()),
            endpoints: endpoints
                .iter()
                .map(|e| EndpointInfo {
                    path: e.path.clone(),
                    mode: e.auth.mode().to_owned(),
                })
                .collect(),
            max_body_bytes: Some(i64::try_from(max_body_bytes).unwrap_or(i64::MAX)),
            database: None,
        }
    }

    /// Commands that expose the receiver through a tunnel (Watson only calls https URLs).
    pub fn tunnel_commands(&self) -> Vec<String> {
        let Some(url) = &self.url else {
            return Vec::new();
        };
        let host_port = url
            .strip_prefix("http://")
            .unwrap_or(url)
            .trim_end_matches('/');
        vec![
            format!("cloudflared tunnel --url {url}"),
            format!("ngrok http {host_port}"),
        ]
    }
}

/// Everything the Status view shows: the store's totals and where and how webhooks are received.
pub fn status(db: Db<'_>, ctx: &commands::Context<'_>) -> Result<Status, ApiError> {
    let (database, receiver) = (ctx.database, ctx.receiver);
    let mut stats = logbook_core::query::event::stats(db)?;
    stats.projection.giving_way_since = ctx.giving_way_since;
    let last_rejection_id: Option<i64> =
        db.row("SELECT max(id) FROM rejections", &[], |r| r.get(0))?;
    Ok(Status {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        database: database.display().to_string(),
        team: db.dialect() == logbook_core::query::Dialect::Postgres,
        receiver_url: receiver.url.clone(),
        receiver_database: receiver.database.clone(),
        endpoints: receiver.endpoints.clone(),
        max_body_bytes: receiver.max_body_bytes,
        tunnel_commands: receiver.tunnel_commands(),
        stats,
        last_rejection_id,
    })
}

/// The qualifiers of the query language, for completion and help.
pub fn qualifiers() -> Vec<Qualifier> {
    logbook_core::query::parse::QUALIFIERS
        .iter()
        .map(|(key, help)| Qualifier {
            key: (*key).to_owned(),
            help: (*help).to_owned(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_errors_map_to_kinds_and_statuses() {
        use ApiErrorKind::*;
        let parse =
            logbook_core::query::parse::parse("duration>abc", chrono::Utc::now()).unwrap_err();
        let err = ApiError::from(QueryError::Parse(parse));
        assert_eq!((err.kind, err.status()), (BadQuery, 400));
        assert_eq!(err.span, Some([9, 12]));
        let cases = [
            (QueryError::NotFound("call x".into()), NotFound, 404),
            (QueryError::Timeout(2000), Timeout, 503),
            (QueryError::BadCursor, BadRequest, 400),
        ];
        for (e, kind, status) in cases {
            let err = ApiError::from(e);
            assert_eq!((err.kind, err.status()), (kind, status));
        }
        assert_eq!(ApiError::new(Internal, "x").status(), 500);
        assert_eq!(ApiError::new(Unauthorized, "x").status(), 401);
        assert_eq!(ApiError::new(Forbidden, "x").status(), 403);
        assert_eq!(ApiError::new(MethodNotAllowed, "x").status(), 405);
        assert_eq!(ApiError::new(Unavailable, "x").status(), 503);
    }

    #[test]
    fn error_kinds_keep_their_wire_names() {
        use ApiErrorKind::*;
        let err = ApiError {
            kind: BadQuery,
            message: "m".into(),
            span: Some([1, 2]),
        };
        assert_eq!(
            serde_json::to_value(&err).unwrap(),
            serde_json::json!({"kind": "bad_query", "message": "m", "span": [1, 2]})
        );
        let names = [
            (BadQuery, "bad_query"),
            (BadRequest, "bad_request"),
            (Unauthorized, "unauthorized"),
            (Forbidden, "forbidden"),
            (NotFound, "not_found"),
            (MethodNotAllowed, "method_not_allowed"),
            (Timeout, "timeout"),
            (Unavailable, "unavailable"),
            (Internal, "internal"),
            (NotInstalled, "not_installed"),
            (TunnelFailed, "tunnel_failed"),
        ];
        for (kind, name) in names {
            assert_eq!(serde_json::to_value(kind).unwrap(), name);
        }
    }

    #[test]
    fn tunnel_commands_name_the_receiver() {
        let info = ReceiverInfo {
            url: Some("http://127.0.0.1:7420".into()),
            ..ReceiverInfo::default()
        };
        assert_eq!(
            info.tunnel_commands(),
            [
                "cloudflared tunnel --url http://127.0.0.1:7420",
                "ngrok http 127.0.0.1:7420"
            ]
        );
        assert!(ReceiverInfo::default().tunnel_commands().is_empty());
    }
}
