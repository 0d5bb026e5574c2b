//! Replays: an event sent again, by the user's choice, to a URL the user typed (`logbook replay`,
//! the UI's Replay), possibly edited and signed fresh. Each one is kept with what was sent (the
//! body, when edited) and what the target answered, written through the writer after the answer.
//!
//! A replay carries two marks the receiving Logbook understands: [`REPLAY_HEADER`] (a random
//! token, one per replay) and [`REPLAY_OF_HEADER`] (the event's number here). Neither holds any
//! payload text.

use rusqlite::{Connection, params};
use serde::Serialize;

use super::outbox::RESPONSE_KEPT_BYTES;

/// The header naming a replay: its random token. A Logbook receiving it stores the request as a
/// new event (dedup key `replay:<token>`), never as a duplicate of the event replayed.
pub const REPLAY_HEADER: &str = "X-Logbook-Replay";
/// The header naming the replayed event's number in the sender's store.
pub const REPLAY_OF_HEADER: &str = "X-Logbook-Replay-Of";
/// The longest replay token a receiver accepts (the sender makes 32 hex digits).
pub const MAX_REPLAY_TOKEN_CHARS: usize = 64;

/// Whether `token` is a replay token a receiver accepts: 1 to [`MAX_REPLAY_TOKEN_CHARS`] ASCII
/// letters, digits, `-` or `_`.
pub fn valid_token(token: &str) -> bool {
    !token.is_empty()
        && token.len() <= MAX_REPLAY_TOKEN_CHARS
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The dedup key of an event that arrived as the replay `token`: each replay is stored once (a
/// retried request of the same replay is a duplicate), and never merged with the event it replays.
pub fn dedup_key(token: &str) -> String {
    format!("replay:{token}")
}

/// How a replay's `Authorization` was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Signing {
    /// A fresh JWT (or the header value) with the secret of the endpoint the event arrived on.
    Endpoint,
    /// A fresh JWT signed with the secret in a file the user named.
    File,
    /// No `Authorization` header.
    None,
}

impl Signing {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Endpoint => "endpoint",
            Self::File => "file",
            Self::None => "none",
        }
    }

    fn parse(text: &str) -> Self {
        match text {
            "endpoint" => Self::Endpoint,
            "file" => Self::File,
            _ => Self::None,
        }
    }
}

/// A replay sent, to keep.
#[derive(Debug, Clone)]
pub struct NewReplay {
    pub event_id: i64,
    pub token: String,
    pub target: String,
    pub signing: Signing,
    /// The secret file's path (never its text), for [`Signing::File`].
    pub secret_file: Option<String>,
    /// How the body was edited; `None` when it was sent as stored.
    pub edits: Option<String>,
    /// The body sent, when edited.
    pub body: Option<Vec<u8>>,
    pub at: i64,
    pub status: Option<u16>,
    pub error: Option<String>,
    /// JSON `[[name, value], ...]`, credentials redacted.
    pub response_headers: String,
    pub response_body: Vec<u8>,
    pub latency_ms: f64,
}

impl NewReplay {
    /// The replay as [`replays`] shows it once kept under `id`.
    pub fn view(&self, id: i64) -> ReplayView {
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        ReplayView {
            id,
            event_id: self.event_id,
            at: self.at,
            target: self.target.clone(),
            signing: self.signing,
            secret_file: self.secret_file.clone(),
            edits: self.edits.clone(),
            body: self.body.as_deref().map(text),
            status: self.status,
            error: self.error.clone(),
            response_headers: serde_json::from_str(&self.response_headers).unwrap_or_default(),
            response: text(
                &self.response_body[..self.response_body.len().min(RESPONSE_KEPT_BYTES)],
            ),
            latency_ms: self.latency_ms,
        }
    }
}

pub(super) fn insert(conn: &Connection, r: &NewReplay) -> rusqlite::Result<i64> {
    conn.prepare_cached(
        "INSERT INTO replays (event_id, token, target, signing, secret_file, edits, body, at, status,
                              error, response_headers, response_body, latency_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?
    .execute(params![
        r.event_id,
        r.token,
        r.target,
        r.signing.as_str(),
        r.secret_file,
        r.edits,
        r.body,
        r.at,
        r.status,
        r.error,
        r.response_headers,
        &r.response_body[..r.response_body.len().min(RESPONSE_KEPT_BYTES)],
        r.latency_ms
    ])?;
    Ok(conn.last_insert_rowid())
}

/// A kept replay, as the event view and `logbook replay` show it.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ReplayView {
    pub id: i64,
    /// The event replayed.
    pub event_id: i64,
    pub at: i64,
    pub target: String,
    pub signing: Signing,
    pub secret_file: Option<String>,
    /// How the body was edited; `None`: sent as stored.
    pub edits: Option<String>,
    /// The body sent, as text, when it was edited.
    pub body: Option<String>,
    /// The target's HTTP status; `None` when it gave no answer.
    pub status: Option<u16>,
    /// Why there was no answer, or what was wrong with it.
    pub error: Option<String>,
    pub response_headers: Vec<(String, String)>,
    /// The answer's first 4 KiB, as text.
    pub response: String,
    pub latency_ms: f64,
}

/// Replays shown per event, newest kept.
pub const REPLAYS_SHOWN: i64 = 50;

const COLUMNS: &str = "id, event_id, at, target, signing, secret_file, edits, body, status, error,
     response_headers, response_body, latency_ms";

fn view(r: &rusqlite::Row<'_>) -> rusqlite::Result<ReplayView> {
    let text = |b: Option<Vec<u8>>| b.map(|b| String::from_utf8_lossy(&b).into_owned());
    let signing: String = r.get(4)?;
    let headers: String = r.get(10)?;
    Ok(ReplayView {
        id: r.get(0)?,
        event_id: r.get(1)?,
        at: r.get(2)?,
        target: r.get(3)?,
        signing: Signing::parse(&signing),
        secret_file: r.get(5)?,
        edits: r.get(6)?,
        body: text(r.get(7)?),
        status: r.get(8)?,
        error: r.get(9)?,
        response_headers: serde_json::from_str(&headers).unwrap_or_default(),
        response: text(r.get(11)?).unwrap_or_default(),
        latency_ms: r.get(12)?,
    })
}

/// Whether the database has the replays table (a database only an older Logbook has opened, read
/// through a read-only connection, does not).
fn has_replays(conn: &Connection) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'replays'")?
        .exists([])
}

/// How many replays were sent from this store (none where there is no replays table yet).
pub fn sent(conn: &Connection) -> rusqlite::Result<i64> {
    if !has_replays(conn)? {
        return Ok(0);
    }
    conn.prepare_cached("SELECT count(*) FROM replays")?
        .query_row([], |r| r.get(0))
}

/// An event's replays, oldest first (the newest [`REPLAYS_SHOWN`]).
pub fn replays(conn: &Connection, event_id: i64) -> rusqlite::Result<Vec<ReplayView>> {
    if !has_replays(conn)? {
        return Ok(Vec::new());
    }
    let mut views: Vec<ReplayView> = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM replays WHERE event_id = ?1 ORDER BY id DESC LIMIT ?2"
        ))?
        .query_map(params![event_id, REPLAYS_SHOWN], view)?
        .collect::<Result<_, _>>()?;
    views.reverse();
    Ok(views)
}

/// The event number a stored event replays (it arrived with a replay mark), if it does.
pub fn replay_of(conn: &Connection, event_id: i64) -> rusqlite::Result<Option<i64>> {
    use rusqlite::OptionalExtension;
    if !has_replays(conn)? {
        return Ok(None);
    }
    Ok(conn
        .prepare_cached("SELECT replay_of FROM events WHERE id = ?1")?
        .query_row([event_id], |r| r.get(0))
        .optional()?
        .flatten())
}

/// A stored event's exact body (what a replay sends unless edited).
pub fn stored_body(conn: &Connection, event_id: i64) -> rusqlite::Result<Option<Vec<u8>>> {
    use rusqlite::OptionalExtension;
    conn.prepare_cached("SELECT body, body_zstd FROM events WHERE id = ?1")?
        .query_row([event_id], |r| {
            super::stored_body::unpack(r.get_ref(0)?, r.get(1)?, 0)
        })
        .optional()
}

/// One replay by its id.
pub fn replay(conn: &Connection, id: i64) -> rusqlite::Result<Option<ReplayView>> {
    use rusqlite::OptionalExtension;
    if !has_replays(conn)? {
        return Ok(None);
    }
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM replays WHERE id = ?1"))?
        .query_row([id], view)
        .optional()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_short_and_plain() {
        assert!(valid_token("0123456789abcdef0123456789abcdef"));
        assert!(valid_token("a-b_C"));
        assert!(!valid_token(""));
        assert!(!valid_token(&"a".repeat(MAX_REPLAY_TOKEN_CHARS + 1)));
        assert!(!valid_token("a b"));
        assert!(!valid_token("a\r\nb"));
        assert!(!valid_token("é"));
    }
}
