//! The commands the UI can call, over the core: for the HTTP read API (`logbook-http`) and the desktop
//! app's Tauri commands alike.
//!
//! Contract: the listener binds loopback addresses only; every request must name a loopback `Host`
//! (and, when it has one, a loopback `Origin`) on the listener's own port, and carry the launch's
//! token (cookie or `Authorization: Bearer`); only `GET` (and `HEAD` for files) is served. Stored
//! payloads are untrusted text: they leave only as JSON (or as export files sent as attachments),
//! never inside HTML, and every answer carries a strict Content-Security-Policy. Readers use their
//! own read-only connections; the writer is never touched.
//!
//! What is not HTTP lives here too, for the desktop app's commands: [`ApiError`] with the one
//! function that maps it to an HTTP status, [`status`] and [`qualifiers`].

pub mod types;

use std::path::Path;

use rusqlite::{Connection, OptionalExtension};

use logbook_core::config::Endpoint;
use logbook_core::export::ExportError;
use logbook_core::query::QueryError;
use logbook_core::store::StoreError;
use types::{ApiError, EndpointInfo, Qualifier, Status};

impl ApiError {
    pub fn new(kind: &str, message: impl Into<String>) -> Self {
        Self {
            kind: kind.to_owned(),
            message: message.into(),
            span: None,
        }
    }

    /// The HTTP status for each kind of error, decided here only.
    pub fn status(&self) -> u16 {
        match self.kind.as_str() {
            "bad_query" | "bad_request" => 400,
            "unauthorized" => 401,
            "forbidden" => 403,
            "not_found" => 404,
            "method_not_allowed" => 405,
            "timeout" | "unavailable" => 503,
            _ => 500,
        }
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
                kind: "bad_query".into(),
                message: p.to_string(),
                span: Some([p.span.start, p.span.end]),
            },
            QueryError::NotFound(_) => Self::new("not_found", err.to_string()),
            QueryError::Timeout(_) => Self::new("timeout", err.to_string()),
            QueryError::BadCursor => Self::new("bad_request", err.to_string()),
            QueryError::Sqlite(_) => Self::new("internal", err.to_string()),
        }
    }
}

impl From<ExportError> for ApiError {
    fn from(err: ExportError) -> Self {
        match err {
            ExportError::Query(e) => e.into(),
            ExportError::Parse(p) => QueryError::Parse(p).into(),
            ExportError::RawIsWhole => Self::new("bad_request", err.to_string()),
            other => Self::new("internal", other.to_string()),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        let kind = if err.is_transient() {
            "unavailable"
        } else {
            "internal"
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
pub fn status(
    conn: &Connection,
    database: &Path,
    receiver: &ReceiverInfo,
) -> Result<Status, ApiError> {
    let stats = logbook_core::query::event::stats(conn)?;
    let last_rejection_id: Option<i64> = conn
        .query_row("SELECT max(id) FROM rejections", [], |r| r.get(0))
        .optional()
        .map_err(QueryError::from)?
        .flatten();
    Ok(Status {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        database: database.display().to_string(),
        receiver_url: receiver.url.clone(),
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
        let parse =
            logbook_core::query::parse::parse("duration>abc", chrono::Utc::now()).unwrap_err();
        let err = ApiError::from(QueryError::Parse(parse));
        assert_eq!((err.kind.as_str(), err.status()), ("bad_query", 400));
        assert_eq!(err.span, Some([9, 12]));
        let cases = [
            (QueryError::NotFound("call x".into()), "not_found", 404),
            (QueryError::Timeout(2000), "timeout", 503),
            (QueryError::BadCursor, "bad_request", 400),
        ];
        for (e, kind, status) in cases {
            let err = ApiError::from(e);
            assert_eq!((err.kind.as_str(), err.status()), (kind, status));
        }
        assert_eq!(ApiError::new("internal", "x").status(), 500);
        assert_eq!(ApiError::new("unauthorized", "x").status(), 401);
        assert_eq!(ApiError::new("forbidden", "x").status(), 403);
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
