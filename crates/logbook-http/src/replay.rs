//! Replays: a stored event sent again, by the user's choice, to a URL the user gave, signed fresh
//! (with the secret of the endpoint it arrived on, a secret file, or not at all), possibly edited
//! first; what the target answered is kept (`logbook_core::store::replays`). For `logbook replay`,
//! the browser UI (`POST /api/replay`) and the desktop app alike.
//!
//! Every replay is sent through [`crate::post`] (the forwarder's `POST`) with two marks:
//! `X-Logbook-Replay` (a random token) and `X-Logbook-Replay-Of` (the event's number), so a Logbook
//! receiving it stores it as a new event marked as a replay. The target URL is only ever the one
//! the user typed; nothing from the payload becomes a URL or a header.

use std::path::Path;

use logbook_core::auth::Auth;
use logbook_core::body::{EditError, Prepared};
use logbook_core::config::{ConfigError, Endpoint, SecretSource};
use logbook_core::query::QueryError;
use logbook_core::query::event::EventDetail;
use logbook_core::store::replays::{
    NewReplay, REPLAY_HEADER, REPLAY_OF_HEADER, ReplayView, Signing,
};
use logbook_core::store::{Store, StoreError};
use logbook_service::types::{ApiError, ApiErrorKind};

use crate::post;

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("the replay target must be an http:// or https:// URL with a host: {0:?}")]
    BadTarget(String),
    #[error(
        "event {event} arrived on {endpoint:?}, whose secret is not known here: sign with that endpoint's secret (on the command line: --endpoint-secret {endpoint}=FILE), a secret file, or nothing"
    )]
    NoEndpointSecret { event: i64, endpoint: String },
    #[error("choose the secret file to sign with (a path on this machine)")]
    NoSecretFile,
    #[error("r{0} is a rejected request: only stored events are replayed")]
    Rejected(i64),
    #[error(transparent)]
    Edit(#[from] EditError),
    #[error(transparent)]
    Secret(#[from] ConfigError),
    #[error(transparent)]
    Query(#[from] QueryError),
    #[error("the replay was sent but could not be kept: {0}")]
    Store(#[from] StoreError),
}

impl From<ReplayError> for ApiError {
    fn from(err: ReplayError) -> Self {
        match err {
            ReplayError::Query(e) => e.into(),
            ReplayError::Store(e) => {
                let mut api: ApiError = e.into();
                api.message = format!("the replay was sent but could not be kept: {}", api.message);
                api
            }
            other => ApiError::new(ApiErrorKind::BadRequest, other.to_string()),
        }
    }
}

/// Checks a target the user gave before anything is sent.
pub fn check_target(url: &str) -> Result<(), ReplayError> {
    match url::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(()),
        _ => Err(ReplayError::BadTarget(url.to_owned())),
    }
}

/// How a replay is signed: the `Authorization` it gets, and how that is recorded.
#[derive(Debug, Clone)]
pub struct Signer {
    pub auth: Auth,
    pub signing: Signing,
    /// The secret file's path, for [`Signing::File`] (its text is never kept).
    pub secret_file: Option<String>,
}

impl Signer {
    /// A fresh JWT with the secret in `path`.
    pub fn from_file(path: &Path) -> Result<Self, ReplayError> {
        let secret = SecretSource::File(path.to_owned()).read()?;
        Ok(Self {
            auth: Auth::Jwt(secret),
            signing: Signing::File,
            secret_file: Some(path.display().to_string()),
        })
    }

    pub fn none() -> Self {
        Self {
            auth: Auth::None,
            signing: Signing::None,
            secret_file: None,
        }
    }

    /// What the endpoint `event` arrived on checks requests with (a JWT with its secret, or its
    /// header value), from `endpoints`.
    pub fn endpoint(endpoints: &[Endpoint], event: &EventDetail) -> Result<Self, ReplayError> {
        let name = event.endpoint.as_deref().unwrap_or_default();
        let endpoint = endpoints.iter().find(|e| e.name() == name).ok_or_else(|| {
            ReplayError::NoEndpointSecret {
                event: event.id,
                endpoint: name.to_owned(),
            }
        })?;
        Ok(Self {
            auth: endpoint.auth.clone(),
            signing: Signing::Endpoint,
            secret_file: None,
        })
    }
}

/// A stored event, checked to be one that can be replayed.
pub fn replayable(event: EventDetail) -> Result<EventDetail, ReplayError> {
    if event.source != "accepted" {
        return Err(ReplayError::Rejected(event.id));
    }
    Ok(event)
}

/// Sends `prepared` (event `event_id`'s body, maybe edited) to `to`, signed by `signer`, and keeps
/// the replay with the answer. A target that does not answer is not an error: the replay is kept
/// with why.
pub fn send(
    store: &Store,
    agent: &ureq::Agent,
    event_id: i64,
    to: &str,
    signer: &Signer,
    prepared: Prepared,
) -> Result<ReplayView, ReplayError> {
    check_target(to)?;
    let token = format!("{:032x}", rand::random::<u128>());
    let of = event_id.to_string();
    let authorization = post::authorization(&signer.auth, chrono::Utc::now().timestamp());
    let mut headers = vec![
        (REPLAY_HEADER, token.as_str()),
        (REPLAY_OF_HEADER, of.as_str()),
    ];
    headers.extend(
        authorization
            .as_deref()
            .map(|value| ("Authorization", value)),
    );
    let answer = post::post(agent, to, &headers, &prepared.body);
    let replay = NewReplay {
        event_id,
        token,
        target: to.to_owned(),
        signing: signer.signing,
        secret_file: signer.secret_file.clone(),
        body: prepared.edits.as_ref().map(|_| prepared.body),
        edits: prepared.edits,
        at: answer.at,
        status: answer.status,
        error: answer.error,
        response_headers: logbook_core::auth::redacted_headers(
            answer.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
        ),
        response_body: answer.body,
        latency_ms: answer.latency_ms,
    };
    let id = store.record_replay(replay.clone())?;
    Ok(replay.view(id))
}

/// A replay the UI asked for (the browser's `POST /api/replay`, the desktop app's command): the
/// event read on `conn`, signed as chosen (the endpoint's secret from `endpoints`), the body as
/// edited in the UI's editor.
pub fn from_ui(
    store: &Store,
    conn: &rusqlite::Connection,
    endpoints: &[Endpoint],
    request: logbook_service::commands::ReplayRequest,
) -> Result<ReplayView, ApiError> {
    let run = || -> Result<ReplayView, ReplayError> {
        check_target(&request.to)?;
        let event = replayable(logbook_core::query::event::event(
            conn,
            &request.event.to_string(),
        )?)?;
        let signer = match request.signing {
            Signing::None => Signer::none(),
            Signing::Endpoint => Signer::endpoint(endpoints, &event)?,
            Signing::File => match request.secret_file.as_deref().map(str::trim) {
                Some(path) if !path.is_empty() => Signer::from_file(Path::new(path))?,
                _ => return Err(ReplayError::NoSecretFile),
            },
        };
        let stored = logbook_core::store::replays::stored_body(conn, event.id)
            .map_err(QueryError::Sqlite)?
            .unwrap_or_default();
        let prepared = logbook_core::body::prepare(
            &stored,
            &[],
            request.body.as_deref().map(|b| (b, "edited in the UI")),
        )?;
        send(
            store,
            &post::agent(),
            event.id,
            &request.to,
            &signer,
            prepared,
        )
    };
    run().map_err(ApiError::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_urls_with_a_host_are_targets() {
        for ok in ["http://127.0.0.1:9/x", "https://example.com/hook?a=1"] {
            assert!(check_target(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "example.com/hook",
            "file:///etc/passwd",
            "ftp://x/",
            "http://",
            "javascript:alert(1)",
        ] {
            assert!(check_target(bad).is_err(), "{bad}");
        }
    }
}
