//! `logbook pull`, and the desktop app's "Pull history" panel: conversation logs from before the webhook, read from Watson's v2 "List log
//! events for an assistant" API and stored as if the log webhook had delivered them.
//!
//! Contract:
//! - Each log becomes a `message_logged` event whose body is the webhook's shape,
//!   `{"event":{"name":"message_logged"},"payload":LOG}`, where `LOG` is the API's record byte for
//!   byte (the webhook's payload *is* a v2 Log): the original is kept exactly, inside the body, at
//!   [`RECORD_PREFIX`]'s length ([`original_record`] gives it back). The event's endpoint is `pull`,
//!   its auth `pull`, its path the API's, its time received the log's `response_timestamp` (when
//!   the webhook would have delivered it).
//! - It is deduplicated as the webhook's deliveries are, by the envelope's key (`message:<log_id>`):
//!   a log pulled and then delivered, or delivered and then pulled, is stored once.
//! - Pages are read oldest first (`sort=request_timestamp`) through the API's cursor. Each page is
//!   stored with the pull's progress (its `pulls` row, cursor included) in one transaction, so a
//!   pull stopped at any moment resumes after its last stored page and stores nothing twice.
//!
//! A crate of its own: an HTTPS client towards IBM, kept out of the core, which has no transport.
//! The `pulls` table and the page's one transaction are the core's store's.

pub mod api;

use std::time::Instant;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;

use logbook_core::store::pulls::{self, PullRow};
use logbook_core::store::{NewEvent, PulledPage, Store, StoreError};
use logbook_core::watson::read_envelope;

pub use api::{API_VERSION, Credentials, IBM_IAM_URL, Wait, check_url};

/// Logs asked for per page (the API's default page size).
pub const PAGE_LIMIT: u32 = 100;
/// What every pulled body starts with; the API's record follows, then `}`.
pub const RECORD_PREFIX: &str = r#"{"event":{"name":"message_logged"},"payload":"#;
/// The endpoint (and auth) recorded for pulled events.
pub const PULL_ENDPOINT: &str = "pull";
/// An import-style wait for projection, so the pulled conversations are there when pull returns.
const PROJECTION_STALL: std::time::Duration = std::time::Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum PullError {
    #[error("{what} {url:?} is not usable: {reason}")]
    BadUrl {
        what: String,
        url: String,
        reason: String,
    },
    #[error(
        "the environment id {0:?} is not an id (letters, digits, '-' and '_'): give the environment id (the API's assistant_id) shown under Environments › API details"
    )]
    BadEnvironment(String),
    #[error("{0}")]
    BadRange(String),
    #[error("IBM Cloud IAM refused the API key ({status}) at {url}: {message}")]
    Iam {
        url: String,
        status: u16,
        message: String,
    },
    #[error(
        "the logs API answered 404 (not found): check --url (the instance's service URL, e.g. https://api.us-south.assistant.watson.cloud.ibm.com/instances/ID) and --environment (the environment id, which the API calls assistant_id). The API said: {message}"
    )]
    NotFound { message: String },
    #[error("the logs API refused the {what} (401): {message}")]
    Unauthorized { what: &'static str, message: String },
    #[error(
        "the logs API refused access ({status}): {message} (reading logs needs a plan with log access and the Manager or Writer role on the instance)"
    )]
    Forbidden { status: u16, message: String },
    #[error("the logs API refused the request ({status}): {message}")]
    Refused { status: u16, message: String },
    #[error(
        "the logs API kept failing ({status}) after {attempts} tries: {message}; run the same command again later to resume"
    )]
    GaveUp {
        status: u16,
        attempts: u32,
        message: String,
    },
    #[error("cannot reach {url}: {reason} (is the network up, and the URL right?)")]
    Network { url: String, reason: String },
    #[error("unexpected answer from {url}: {reason}")]
    BadAnswer { url: String, reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

impl PullError {
    /// The error for an HTTP status the logs API answered (after retries, for `429` and `5xx`).
    fn from_api(status: u16, message: String, bearer: bool) -> Self {
        match status {
            401 => Self::Unauthorized {
                what: if bearer {
                    "bearer token"
                } else {
                    "IAM token made from the API key"
                },
                message,
            },
            403 => Self::Forbidden { status, message },
            404 => Self::NotFound { message },
            429 | 500..=599 => Self::GaveUp {
                status,
                attempts: api::MAX_ATTEMPTS,
                message,
            },
            _ => Self::Refused { status, message },
        }
    }
}

/// Which logs to pull.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Range {
    /// Everything the API still keeps (30 days; 90 with data isolation; 7 on Lite).
    #[default]
    All,
    /// Logs whose request time is at or after `after` (a relative `--since` is one of these: a
    /// pull interrupted under it is resumed by the same command run later).
    Since(DateTime<Utc>),
    /// Logs between two times, as given: `after` inclusive, `before` exclusive.
    Between {
        after: Option<DateTime<Utc>>,
        before: Option<DateTime<Utc>>,
    },
    /// Logs from the newest one the last finished pull of this environment stored.
    SinceLastPull,
}

/// What a pull is asked to do.
#[derive(Debug, Clone)]
pub struct PullOptions {
    /// The instance's service URL (`https://api.<region>.assistant.watson.cloud.ibm.com/instances/ID`).
    pub url: String,
    /// The v2 API's `assistant_id`: in the new experience, the environment id.
    pub environment: String,
    pub credentials: Credentials,
    pub range: Range,
    /// Passed to the API's `filter` as it is (ANDed with the time range).
    pub filter: Option<String>,
    /// Start afresh even when an unfinished pull of the same logs could be resumed.
    pub restart: bool,
}

/// Where a pull stands, after each page (and before each wait).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PullProgress {
    pub pull_id: i64,
    /// Whether it carries on an interrupted pull.
    pub resumed: bool,
    pub pages: i64,
    pub logs: i64,
    pub stored: i64,
    pub duplicates: i64,
    /// Records that are not logs (not a JSON object), skipped.
    pub skipped: i64,
    /// What the API says matches, when it says.
    pub matched: Option<i64>,
    /// Logs per second in this run.
    pub rate: f64,
    /// A retry under way.
    pub waiting: Option<Wait>,
}

/// What a finished pull did.
#[derive(Debug, Clone, PartialEq)]
pub struct PullReport {
    pub progress: PullProgress,
    pub after: Option<String>,
    pub before: Option<String>,
    pub elapsed_ms: u64,
    /// Whether the pulled events were also derived before pull returned.
    pub projected: bool,
}

/// The bytes of the API's record inside a pulled body, as the API sent them.
pub fn original_record(body: &[u8]) -> Option<&[u8]> {
    body.strip_prefix(RECORD_PREFIX.as_bytes())?
        .strip_suffix(b"}")
}

/// The webhook-shaped body of one API record.
fn body_of(record: &RawValue) -> Vec<u8> {
    let mut body = Vec::with_capacity(RECORD_PREFIX.len() + record.get().len() + 1);
    body.extend_from_slice(RECORD_PREFIX.as_bytes());
    body.extend_from_slice(record.get().as_bytes());
    body.push(b'}');
    body
}

/// The API's time format in filters: `2019-11-01T04:00:00.000Z`.
fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The API's `filter`: the time range and the user's filter, ANDed with `,`.
fn api_filter(after: Option<&str>, before: Option<&str>, filter: Option<&str>) -> Option<String> {
    let parts: Vec<String> = [
        after.map(|a| format!("request_timestamp>={a}")),
        before.map(|b| format!("request_timestamp<{b}")),
        filter.map(str::to_owned),
    ]
    .into_iter()
    .flatten()
    .collect();
    (!parts.is_empty()).then(|| parts.join(","))
}

#[derive(Deserialize)]
struct Page<'a> {
    #[serde(borrow)]
    logs: Vec<&'a RawValue>,
    pagination: Option<Pagination>,
}

#[derive(Deserialize)]
struct Pagination {
    next_cursor: Option<String>,
    next_url: Option<String>,
    matched: Option<i64>,
}

impl Pagination {
    /// The next page's cursor: `next_cursor`, or the `cursor` of `next_url`.
    fn next(&self) -> Option<String> {
        self.next_cursor.clone().or_else(|| {
            let next = self.next_url.as_deref()?;
            let query = next.split_once('?')?.1;
            form_urlencoded_pairs(query).find_map(|(k, v)| (k == "cursor").then_some(v))
        })
    }
}

/// `a=1&b=2` → pairs, `%XX` and `+` decoded (url's parser, on a dummy base).
fn form_urlencoded_pairs(query: &str) -> impl Iterator<Item = (String, String)> {
    url::Url::parse(&format!("http://x/?{query}"))
        .map(|u| {
            u.query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
        .into_iter()
}

/// The fields of a record the pull reads for itself.
#[derive(Deserialize)]
struct Times {
    request_timestamp: Option<String>,
    response_timestamp: Option<String>,
}

/// Pulls the logs `options` asks for into `store`, telling `progress` after every page and before
/// every wait; resumes an unfinished pull of the same logs unless told to restart.
pub fn pull(
    store: &Store,
    options: &PullOptions,
    progress: &mut dyn FnMut(&PullProgress),
) -> Result<PullReport, PullError> {
    let base = check_url("--url", options.url.trim_end_matches('/'))?;
    if let Credentials::ApiKey { iam_url, .. } = &options.credentials {
        check_url("--iam-url", iam_url)?;
    }
    let environment = options.environment.trim();
    if environment.is_empty()
        || !environment
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(PullError::BadEnvironment(options.environment.clone()));
    }
    let url = base.as_str().trim_end_matches('/').to_owned();
    let reader = store.reader()?;
    let (after, before) = match &options.range {
        Range::All => (None, None),
        Range::Since(t) => (Some(iso(*t)), None),
        Range::Between { after, before } => (after.map(iso), before.map(iso)),
        Range::SinceLastPull => {
            let last = pulls::last_finished(&reader, &url, environment)?.ok_or_else(|| {
                PullError::BadRange(format!(
                    "no finished pull of environment {environment} from {url} yet: pull with --since first"
                ))
            })?;
            (last.newest_request_ts.or(last.after), None)
        }
    };
    if let (Some(a), Some(b)) = (&after, &before)
        && a >= b
    {
        return Err(PullError::BadRange(format!(
            "--after {a} is not before --before {b}"
        )));
    }
    let filter = options
        .filter
        .as_deref()
        .map(str::trim)
        .filter(|f| !f.is_empty());
    // The pull to carry on: the newest of this environment, unfinished, with the same filter and
    // bounds (any lower bound when the range is an age, which moves between two runs).
    let resumable = pulls::latest(&reader, &url, environment)?.filter(|p| {
        !options.restart
            && p.finished_at.is_none()
            && p.filter.as_deref() == filter
            && p.before == before
            && (p.after == after || matches!(options.range, Range::Since(_)))
    });
    drop(reader);
    let now = chrono::Utc::now().timestamp_millis();
    let resumed = resumable.is_some();
    let mut row = resumable.unwrap_or_else(|| PullRow {
        url: url.clone(),
        environment: environment.to_owned(),
        filter: filter.map(str::to_owned),
        after: after.clone(),
        before: before.clone(),
        started_at: now,
        updated_at: now,
        ..PullRow::default()
    });
    row.error = None;
    row.updated_at = now;
    let saved = store.submit_pulled_page(PulledPage {
        events: Vec::new(),
        pull: row.clone(),
    })?;
    row.id = Some(saved.pull_id);

    let logs_url = format!("{url}/v2/assistants/{environment}/logs");
    let logs_path = format!(
        "{}/v2/assistants/{environment}/logs",
        base.path().trim_end_matches('/')
    );
    let verified = base.scheme() == "https";
    let api_filter = api_filter(row.after.as_deref(), row.before.as_deref(), filter);
    let page_limit = PAGE_LIMIT.to_string();
    let mut client = api::Client::new(options.credentials.clone());
    let started = Instant::now();
    let mut state = PullProgress {
        pull_id: saved.pull_id,
        resumed,
        pages: row.pages,
        logs: row.logs,
        stored: row.stored,
        duplicates: row.duplicates,
        ..PullProgress::default()
    };
    let logs_before = row.logs;
    // Where it starts (a resumed pull's counts so far), before the first page.
    progress(&state);
    let result = (|| -> Result<(), PullError> {
        loop {
            let mut query = vec![
                ("version", API_VERSION),
                ("sort", "request_timestamp"),
                ("page_limit", page_limit.as_str()),
            ];
            if let Some(f) = &api_filter {
                query.push(("filter", f));
            }
            if let Some(c) = &row.cursor {
                query.push(("cursor", c));
            }
            let answer = client.get(&logs_url, &query, &mut |wait| {
                let mut waiting = state.clone();
                waiting.waiting = Some(wait.clone());
                progress(&waiting);
            })?;
            let page: Page<'_> =
                serde_json::from_slice(&answer).map_err(|e| PullError::BadAnswer {
                    url: logs_url.clone(),
                    reason: format!(
                        "not a page of logs ({{\"logs\": [...], \"pagination\": {{...}}}}): {e}"
                    ),
                })?;
            let mut events = Vec::with_capacity(page.logs.len());
            for record in &page.logs {
                let body = body_of(record);
                let Ok(envelope) = read_envelope(&body) else {
                    state.skipped += 1;
                    continue;
                };
                let times: Option<Times> = serde_json::from_str(record.get()).ok();
                let (request_ts, response_ts) = match times {
                    Some(t) => (t.request_timestamp, t.response_timestamp),
                    None => (None, None),
                };
                let at = |ts: &Option<String>| {
                    ts.as_deref()
                        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                        .map(|t| t.timestamp_millis())
                };
                // Pages come oldest first: the last valid request time is the newest.
                if at(&request_ts).is_some() {
                    row.newest_request_ts = request_ts.clone();
                }
                events.push(NewEvent {
                    received_at: at(&response_ts)
                        .or(at(&request_ts))
                        .unwrap_or_else(|| chrono::Utc::now().timestamp_millis()),
                    endpoint: PULL_ENDPOINT.to_owned(),
                    path: logs_path.clone(),
                    remote_addr: None,
                    kind: envelope.kind,
                    auth: PULL_ENDPOINT.to_owned(),
                    verified,
                    jwt_header: None,
                    jwt_claims: None,
                    headers: "[]".to_owned(),
                    body,
                    dedup_key: envelope.dedup_key,
                    authorization: None,
                    replay_of: None,
                });
            }
            let next = page.pagination.as_ref().and_then(Pagination::next);
            state.matched = page.pagination.as_ref().and_then(|p| p.matched);
            row.pages += 1;
            row.logs += page.logs.len() as i64;
            row.cursor = next.clone();
            row.updated_at = chrono::Utc::now().timestamp_millis();
            if next.is_none() {
                row.finished_at = Some(row.updated_at);
            }
            let outcome = store.submit_pulled_page(PulledPage {
                events,
                pull: row.clone(),
            })?;
            // The writer saved the row with these counts added.
            row.stored += outcome.stored;
            row.duplicates += outcome.duplicates;
            state.pages = row.pages;
            state.logs = row.logs;
            state.stored = row.stored;
            state.duplicates = row.duplicates;
            let secs = started.elapsed().as_secs_f64();
            state.rate = if secs > 0.0 {
                (row.logs - logs_before) as f64 / secs
            } else {
                0.0
            };
            state.waiting = None;
            progress(&state);
            if next.is_none() || page.logs.is_empty() {
                row.finished_at.get_or_insert(row.updated_at);
                return Ok(());
            }
        }
    })();
    // The final counts (and why it stopped), in the pull's row.
    row.updated_at = chrono::Utc::now().timestamp_millis();
    row.error = result.as_ref().err().map(|e| e.to_string());
    let saved = store.submit_pulled_page(PulledPage {
        events: Vec::new(),
        pull: row.clone(),
    });
    result?;
    saved?;
    let projected = store.wait_projected(PROJECTION_STALL)?;
    Ok(PullReport {
        progress: state,
        after: row.after,
        before: row.before,
        elapsed_ms: started.elapsed().as_millis() as u64,
        projected,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_original_record_is_the_body_s_payload_byte_for_byte() {
        let record = "{ \"log_id\" : \"é\",\n  \"request\": {} }";
        let raw: Box<RawValue> = serde_json::from_str(record).unwrap();
        let body = body_of(&raw);
        assert_eq!(original_record(&body).unwrap(), record.as_bytes());
        let envelope = read_envelope(&body).unwrap();
        assert_eq!(envelope.kind, "message_logged");
        assert_eq!(envelope.dedup_key, "message:é");
    }

    #[test]
    fn the_time_range_and_the_user_filter_are_anded() {
        assert_eq!(api_filter(None, None, None), None);
        assert_eq!(
            api_filter(Some("2026-01-01T00:00:00.000Z"), None, Some("language::fr")).unwrap(),
            "request_timestamp>=2026-01-01T00:00:00.000Z,language::fr"
        );
        assert_eq!(
            api_filter(Some("a"), Some("b"), None).unwrap(),
            "request_timestamp>=a,request_timestamp<b"
        );
    }

    #[test]
    fn the_next_cursor_is_read_from_next_cursor_or_next_url() {
        let p = Pagination {
            next_cursor: None,
            next_url: Some("/v2/assistants/x/logs?version=1&cursor=ab%2Bc".into()),
            matched: None,
        };
        assert_eq!(p.next().unwrap(), "ab+c");
        let p = Pagination {
            next_cursor: Some("z".into()),
            next_url: None,
            matched: Some(3),
        };
        assert_eq!(p.next().unwrap(), "z");
    }
}
