//! One request whole: headers (already redacted when stored), the decoded JWT header and claims, and
//! the body as JSON and as text. Also the store's totals.

use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;
use serde_json::Value;

use super::db::Db;
use super::{QUERY_DEADLINE_MS, QueryError, with_deadline};

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct EventDetail {
    pub id: i64,
    /// `accepted` or `rejected`.
    pub source: String,
    pub received_at: i64,
    pub kind: String,
    pub status: i64,
    pub reason: Option<String>,
    pub method: String,
    pub endpoint: Option<String>,
    pub path: String,
    pub remote_addr: Option<String>,
    pub auth: Option<String>,
    pub verified: bool,
    pub headers: Vec<(String, String)>,
    pub jwt_header: Option<Value>,
    pub jwt_claims: Option<Value>,
    /// The body as text (invalid UTF-8 replaced), exactly as received otherwise.
    pub body_text: String,
    /// The body parsed, when it is JSON.
    pub body: Option<Value>,
    /// Bytes received; for a rejection, possibly more than were kept.
    pub body_bytes: i64,
    pub body_truncated: bool,
    pub duplicates: i64,
    pub log_id: Option<String>,
    pub session_id: Option<String>,
    pub global_session_id: Option<String>,
    /// Its deliveries to the downstreams it is forwarded to (`serve --forward`), one per downstream.
    pub deliveries: Vec<crate::store::outbox::DeliveryView>,
    /// Its replays (`logbook replay`, the UI's Replay), oldest first.
    pub replays: Vec<crate::store::replays::ReplayView>,
    /// The event this one replays, when it arrived with a replay mark (`X-Logbook-Replay-Of`, the
    /// sender's event number).
    pub replay_of: Option<i64>,
    /// Whether it can be replayed from here: an accepted event of a SQLite store (a team's
    /// PostgreSQL store keeps no replays, and a refused request is not an event).
    pub replayable: bool,
}

/// An event by its number in the store, `r<number>` for a rejected request, or by the ids a user sees
/// in payloads: a message's `log_id` or a call's `global_session_id`.
pub fn event<'a>(db: impl Into<Db<'a>>, id: &str) -> Result<EventDetail, QueryError> {
    let db = db.into();
    let id = id.trim();
    with_deadline(
        db,
        std::time::Duration::from_millis(QUERY_DEADLINE_MS),
        || {
            if let Some(n) = id.strip_prefix('r').and_then(|n| n.parse::<i64>().ok()) {
                return rejection(db, n);
            }
            let event_id: Option<i64> = match id.parse::<i64>() {
                Ok(n) => Some(n),
                Err(_) => db.optional(
                    "SELECT event_id FROM messages WHERE log_id = ?1
                     UNION ALL SELECT event_id FROM calls WHERE global_session_id = ?1
                     ORDER BY 1 DESC LIMIT 1",
                    &[rusqlite::types::Value::Text(id.to_owned())],
                    |r| r.get(0),
                )?,
            };
            let not_found = || QueryError::NotFound(format!("event {id}"));
            let event_id = event_id.ok_or_else(not_found)?;
            db.optional(
            &format!("SELECT e.id, e.received_at, e.kind, e.endpoint, e.path, e.remote_addr, e.auth, e.verified, e.headers,
                    e.jwt_header, e.jwt_claims, {}, m.log_id, m.session_id, c.global_session_id, {}
             FROM events e LEFT JOIN messages m ON m.event_id = e.id LEFT JOIN calls c ON c.event_id = e.id
             WHERE e.id = ?", db.dialect().duplicates(), db.dialect().body("e")),
            &[event_id.into()],
            |r| {
                let body = crate::store::stored_body::unpack(r.get_ref(15)?, r.get(16)?, 15)?;
                Ok(EventDetail {
                    id: r.get(0)?,
                    source: "accepted".into(),
                    received_at: r.get(1)?,
                    kind: r.get(2)?,
                    status: 200,
                    reason: None,
                    method: "POST".into(),
                    endpoint: r.get(3)?,
                    path: r.get(4)?,
                    remote_addr: r.get(5)?,
                    auth: r.get(6)?,
                    verified: r.get(7)?,
                    headers: headers(r.get(8)?),
                    jwt_header: json(r.get(9)?),
                    jwt_claims: json(r.get(10)?),
                    body_bytes: body.len() as i64,
                    body: serde_json::from_slice(&body).ok(),
                    body_text: String::from_utf8_lossy(&body).into_owned(),
                    body_truncated: false,
                    duplicates: r.get(11)?,
                    log_id: r.get(12)?,
                    session_id: r.get(13)?,
                    global_session_id: r.get(14)?,
                    deliveries: Vec::new(),
                    replays: Vec::new(),
                    replay_of: None,
                    replayable: false,
                })
            },
        )?
        .ok_or_else(not_found)
        .and_then(|mut detail| {
            // Only the SQLite store forwards and replays.
            if let Some(conn) = db.sqlite() {
                detail.deliveries = crate::store::outbox::deliveries(conn, detail.id)?;
                detail.replays = crate::store::replays::replays(conn, detail.id)?;
                detail.replay_of = crate::store::replays::replay_of(conn, detail.id)?;
                detail.replayable = true;
            }
            Ok(detail)
        })
        },
    )
}

fn rejection(db: Db<'_>, id: i64) -> Result<EventDetail, QueryError> {
    db.optional(
        "SELECT id, received_at, status, reason, method, endpoint, path, remote_addr, headers, jwt_header,
                jwt_claims, body, body_bytes
         FROM rejections WHERE id = ?",
        &[id.into()],
        |r| {
            let body: Vec<u8> = r.get(11)?;
            let declared: Option<i64> = r.get(12)?;
            Ok(EventDetail {
                id: r.get(0)?,
                source: "rejected".into(),
                received_at: r.get(1)?,
                kind: "rejected".into(),
                status: r.get(2)?,
                reason: r.get(3)?,
                method: r.get(4)?,
                endpoint: r.get(5)?,
                path: r.get(6)?,
                remote_addr: r.get(7)?,
                auth: None,
                verified: false,
                headers: headers(r.get(8)?),
                jwt_header: json(r.get(9)?),
                jwt_claims: json(r.get(10)?),
                body_truncated: declared.is_some_and(|n| n > body.len() as i64),
                body_bytes: declared.unwrap_or(body.len() as i64),
                body: serde_json::from_slice(&body).ok(),
                body_text: String::from_utf8_lossy(&body).into_owned(),
                duplicates: 0,
                log_id: None,
                session_id: None,
                global_session_id: None,
                deliveries: Vec::new(),
                replays: Vec::new(),
                replay_of: None,
                replayable: false,
            })
        },
    )?
    .ok_or_else(|| QueryError::NotFound(format!("rejected request r{id}")))
}

fn headers(text: String) -> Vec<(String, String)> {
    serde_json::from_str(&text).unwrap_or_default()
}

fn json(text: Option<String>) -> Option<Value> {
    text.and_then(|t| serde_json::from_str(&t).ok())
}

/// The store's totals, for `logbook stats` and the Status view.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Stats {
    pub events: i64,
    pub messages: i64,
    pub conversations: i64,
    pub calls: i64,
    pub rejections_kept: i64,
    /// Requests answered 200 since the database was made, duplicates included.
    pub accepted_total: i64,
    pub duplicates_total: i64,
    pub rejected_total: i64,
    pub first_received_at: Option<i64>,
    pub last_received_at: Option<i64>,
    pub last_event_id: Option<i64>,
    /// Bytes on disk of the event log and its derived file together, their write-ahead logs
    /// included.
    pub database_bytes: i64,
    /// How far the derived rows (lists, conversations, calls, search) have come.
    pub projection: ProjectionStats,
    /// Each downstream's outbox: delivered, pending, given up and why.
    pub forwarding: Vec<crate::store::outbox::OutboxStats>,
    /// Replays sent from this store (`logbook replay`, the Replay panel), kept with their answers.
    pub replays_sent: i64,
}

/// What the read side shows is derived from the stored bodies after they are acknowledged: how far
/// that has come. Lists, views and counts cover the events up to `projected_through`; the Live view
/// shows every acknowledged request at once.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ProjectionStats {
    /// Every event up to this id has its derived rows.
    pub projected_through: i64,
    /// Events stored but not derived yet.
    pub pending: i64,
    /// The arrival time (Unix ms) of the oldest event not derived yet: how far behind it is.
    pub oldest_pending_at: Option<i64>,
    /// While every derived row is being made again (after a deriver change or `logbook reindex`):
    /// the event id the rebuild runs to.
    pub rebuilding_through: Option<i64>,
    /// The deriver version the derived rows come from.
    pub deriver_version: i64,
    /// While projection gives way to a burst of acknowledgements, since when (Unix ms). Only the
    /// process that projects knows it (`serve`, the desktop app): `None` from the database alone.
    pub giving_way_since: Option<i64>,
}

pub fn stats<'a>(db: impl Into<Db<'a>>) -> Result<Stats, QueryError> {
    match db.into() {
        Db::Sqlite(conn) => sqlite_stats(conn),
        Db::PostgresTx(_) => Err(QueryError::BadRequest(
            "a store's stats are read on a connection of their own, not in the projector's \
             transaction"
                .into(),
        )),
        Db::Postgres(reader) => {
            let s = reader.stats()?;
            // Ids commit out of order, so what is projected is not always a prefix of ids: every
            // event below the lowest one still pending is.
            let projected_through = match s.first_pending_id {
                Some(pending) => pending - 1,
                None => s.last_event_id.unwrap_or(0),
            };
            Ok(Stats {
                events: s.events,
                messages: s.messages,
                conversations: s.conversations,
                calls: s.calls,
                rejections_kept: s.rejections_kept,
                accepted_total: s.events + s.duplicates_total,
                duplicates_total: s.duplicates_total,
                rejected_total: s.rejections_numbered.max(s.rejections_kept),
                first_received_at: s.first_received_at,
                last_received_at: s.last_received_at,
                last_event_id: s.last_event_id,
                database_bytes: s.database_bytes,
                projection: ProjectionStats {
                    projected_through,
                    pending: s.projection_lag,
                    oldest_pending_at: s.oldest_pending_at,
                    rebuilding_through: None,
                    deriver_version: s.deriver_version.unwrap_or(0),
                    giving_way_since: None,
                },
                forwarding: Vec::new(),
                replays_sent: 0,
            })
        }
    }
}

/// The size of the write-ahead log of the database attached as `schema`: 0 when it has none (an
/// in-memory database, a log removed at close).
fn wal_bytes(conn: &Connection, schema: &str) -> rusqlite::Result<i64> {
    let file: Option<String> = conn
        .query_row(
            "SELECT file FROM pragma_database_list WHERE name = ?1",
            [schema],
            |r| r.get(0),
        )
        .optional()?;
    Ok(file
        .filter(|f| !f.is_empty())
        .and_then(|f| std::fs::metadata(crate::store::wal_path(std::path::Path::new(&f))).ok())
        .map_or(0, |m| i64::try_from(m.len()).unwrap_or(i64::MAX)))
}

fn sqlite_stats(conn: &Connection) -> Result<Stats, QueryError> {
    with_deadline(
        conn,
        std::time::Duration::from_millis(QUERY_DEADLINE_MS),
        || {
            let count = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0));
            // The event log's `counters`, or where projection stands (the derived file's
            // `projection_state`).
            let value = |table: &str, name: &str| {
                conn.query_row(
                    &format!("SELECT value FROM {table} WHERE name = ?"),
                    [name],
                    |r| r.get::<_, i64>(0),
                )
                .optional()
                .map(Option::unwrap_or_default)
            };
            let counter = |name: &str| value("counters", name);
            let projection = |name: &str| value("projection_state", name);
            let (first, last, last_id) = conn.query_row(
                "SELECT (SELECT received_at FROM events ORDER BY id LIMIT 1),
                    (SELECT received_at FROM events ORDER BY id DESC LIMIT 1),
                    (SELECT max(id) FROM events)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?;
            let projected_through = projection("projected_through")?;
            let rebuild_through = projection("rebuild_through")?;
            let (pending, oldest_pending_at) = conn.query_row(
                "SELECT count(*), min(received_at) FROM events WHERE id > ?1",
                [projected_through],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            let projection = ProjectionStats {
                projected_through,
                pending,
                oldest_pending_at,
                rebuilding_through: (rebuild_through > projected_through)
                    .then_some(rebuild_through),
                deriver_version: projection("deriver_version")?,
                giving_way_since: None,
            };
            let accepted = counter("accepted")?;
            let duplicates = counter("duplicates")?;
            Ok(Stats {
                events: count("SELECT count(*) FROM events")?,
                messages: count("SELECT count(*) FROM messages")?,
                conversations: count("SELECT count(*) FROM conversations")?,
                calls: count("SELECT count(*) FROM calls")?,
                rejections_kept: count("SELECT count(*) FROM rejections")?,
                accepted_total: accepted + duplicates,
                duplicates_total: duplicates,
                rejected_total: counter("rejected")?,
                first_received_at: first,
                last_received_at: last,
                last_event_id: last_id,
                // The event log and its derived file (attached as `derived`), and their logs: up
                // to 32 and 16 MiB between commits, more while projection catches up.
                database_bytes: count(
                    "SELECT (SELECT page_count * page_size
                               FROM pragma_page_count('main'), pragma_page_size('main'))
                          + (SELECT page_count * page_size
                               FROM pragma_page_count('derived'), pragma_page_size('derived'))",
                )? + wal_bytes(conn, "main")?
                    + wal_bytes(conn, "derived")?,
                projection,
                forwarding: crate::store::outbox::stats(conn)?,
                replays_sent: crate::store::replays::sent(conn)?,
            })
        },
    )
}
