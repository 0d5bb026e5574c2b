//! The durable outbox of forwarding: every event accepted on an endpoint that forwards is given one
//! outbox row per downstream in the transaction that stores it, so what Watson was told is stored is
//! also, eventually, delivered (at least once). The forwarder (`logbook_http::forward`) takes each
//! downstream's rows in id order and records every attempt through the writer.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

/// Bytes of a downstream's answer kept with each attempt.
pub const RESPONSE_KEPT_BYTES: usize = 4 * 1024;

/// A downstream and the endpoint whose events go there (`None`: every endpoint's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardRoute {
    pub target: String,
    pub endpoint: Option<String>,
    /// The downstream gets the `Authorization` header Watson sent: the row keeps it until done.
    pub passthrough: bool,
}

/// Gives a newly stored event its outbox rows, one per downstream of its endpoint, due now. The
/// request's `authorization` is kept only in the rows of downstreams that pass it through.
pub(super) fn enqueue(
    conn: &Connection,
    event_id: i64,
    endpoint: &str,
    authorization: Option<&str>,
    routes: &[ForwardRoute],
    now_ms: i64,
) -> rusqlite::Result<()> {
    for route in routes {
        if route.endpoint.as_deref().is_some_and(|e| e != endpoint) {
            continue;
        }
        conn.prepare_cached(
            "INSERT INTO outbox (event_id, target, created_at, next_at, authorization)
             VALUES (?1, ?2, ?3, ?3, ?4)",
        )?
        .execute(params![
            event_id,
            route.target,
            now_ms,
            authorization.filter(|_| route.passthrough)
        ])?;
    }
    Ok(())
}

/// An undelivered row of a downstream, with the body to deliver.
#[derive(Debug, Clone)]
pub struct Pending {
    pub id: i64,
    pub event_id: i64,
    pub attempts: i64,
    pub created_at: i64,
    pub next_at: i64,
    pub body: Vec<u8>,
    /// The `Authorization` header Watson sent, for a downstream that passes it through.
    pub authorization: Option<String>,
}

fn pending_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Pending> {
    Ok(Pending {
        id: r.get(0)?,
        event_id: r.get(1)?,
        attempts: r.get(2)?,
        created_at: r.get(3)?,
        next_at: r.get(4)?,
        body: r.get(5)?,
        authorization: r.get(6)?,
    })
}

/// The head of `target`'s queue: in order, this one goes before any other.
pub fn next_pending(conn: &Connection, target: &str) -> rusqlite::Result<Option<Pending>> {
    conn.prepare_cached(
        "SELECT o.id, o.event_id, o.attempts, o.created_at, o.next_at, e.body, o.authorization
         FROM outbox o JOIN events e ON e.id = o.event_id
         WHERE o.target = ?1 AND o.state = 'pending' ORDER BY o.id LIMIT 1",
    )?
    .query_row([target], pending_row)
    .optional()
}

/// The first `limit` rows of `target` due by `now_ms`, in id order: what parallel delivery picks
/// from (a row being retried later does not hold back the rows after it).
pub fn due_pending(
    conn: &Connection,
    target: &str,
    now_ms: i64,
    limit: usize,
) -> rusqlite::Result<Vec<Pending>> {
    conn.prepare_cached(
        "SELECT o.id, o.event_id, o.attempts, o.created_at, o.next_at, e.body, o.authorization
         FROM outbox o JOIN events e ON e.id = o.event_id
         WHERE o.target = ?1 AND o.state = 'pending' AND o.next_at <= ?2 ORDER BY o.id LIMIT ?3",
    )?
    .query_map(params![target, now_ms, limit as i64], pending_row)?
    .collect()
}

/// Rows of `target` still to deliver.
pub fn pending_count(conn: &Connection, target: &str) -> rusqlite::Result<i64> {
    conn.prepare_cached("SELECT count(*) FROM outbox WHERE target = ?1 AND state = 'pending'")?
        .query_row([target], |r| r.get(0))
}

/// What became of a row after an attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum After {
    Delivered,
    /// Try again at this time (unix ms).
    Retry(i64),
    GiveUp(String),
}

/// One delivery attempt, to record.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub outbox_id: i64,
    pub at: i64,
    /// The downstream's HTTP status; `None` when it gave no answer.
    pub status: Option<u16>,
    /// Why there was no answer (refused, timed out), or what was wrong with it.
    pub error: Option<String>,
    /// The answer's first [`RESPONSE_KEPT_BYTES`].
    pub response_body: Vec<u8>,
    pub latency_ms: f64,
    pub then: After,
}

/// What the forwarder asks the writer to record.
#[derive(Debug, Clone)]
pub enum OutboxWrite {
    Attempt(Attempt),
    /// Gives up `target`'s rows created before `created_before` (too old) and all but the newest
    /// `keep` pending (too many), each with why.
    Bound {
        target: String,
        created_before: i64,
        keep: i64,
        now: i64,
    },
}

/// Records `write` in the writer's transaction.
pub(super) fn record(conn: &Connection, write: &OutboxWrite) -> rusqlite::Result<()> {
    match write {
        OutboxWrite::Attempt(a) => {
            conn.prepare_cached(
                "INSERT INTO delivery_attempts (outbox_id, at, status, error, response_body, latency_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                a.outbox_id,
                a.at,
                a.status,
                a.error,
                &a.response_body[..a.response_body.len().min(RESPONSE_KEPT_BYTES)],
                a.latency_ms
            ])?;
            let (state, next_at, reason) = match &a.then {
                After::Delivered => ("delivered", None, None),
                After::Retry(at) => ("pending", Some(*at), None),
                After::GiveUp(reason) => ("gave_up", None, Some(reason.as_str())),
            };
            // A passed-through Authorization is kept no longer than the row needs it.
            conn.prepare_cached(
                "UPDATE outbox SET attempts = attempts + 1, state = ?2,
                     next_at = coalesce(?3, next_at), gave_up_reason = ?4,
                     done_at = CASE WHEN ?2 = 'pending' THEN NULL ELSE ?5 END,
                     authorization = CASE WHEN ?2 = 'pending' THEN authorization END
                 WHERE id = ?1",
            )?
            .execute(params![a.outbox_id, state, next_at, reason, a.at])?;
        }
        OutboxWrite::Bound {
            target,
            created_before,
            keep,
            now,
        } => {
            conn.prepare_cached(
                "UPDATE outbox SET state = 'gave_up', done_at = ?3, authorization = NULL,
                     gave_up_reason = 'older than the outbox keeps (--forward-max-age): not delivered'
                 WHERE target = ?1 AND state = 'pending' AND created_at < ?2",
            )?
            .execute(params![target, created_before, now])?;
            conn.prepare_cached(
                "UPDATE outbox SET state = 'gave_up', done_at = ?3, authorization = NULL,
                     gave_up_reason = 'the outbox held more than ' || ?2 || ' undelivered events for this downstream (--forward-max-pending): the oldest were not delivered'
                 WHERE id IN (SELECT id FROM outbox WHERE target = ?1 AND state = 'pending'
                              ORDER BY id DESC LIMIT -1 OFFSET ?2)",
            )?
            .execute(params![target, keep, now])?;
        }
    }
    Ok(())
}

/// One attempt as the event view shows it.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct AttemptView {
    pub at: i64,
    pub status: Option<u16>,
    pub error: Option<String>,
    /// The downstream's answer (its first 4 KiB), as text.
    pub response: String,
    pub latency_ms: f64,
}

/// An event's delivery to one downstream.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct DeliveryView {
    /// The delivery id the downstream sees in `X-Logbook-Delivery`.
    pub id: i64,
    pub target: String,
    /// `pending`, `delivered` or `gave_up`.
    pub state: String,
    pub attempts: i64,
    /// When the next attempt is due, while pending.
    pub next_at: Option<i64>,
    pub gave_up_reason: Option<String>,
    /// The newest attempts, oldest first (at most [`ATTEMPTS_SHOWN`]).
    pub recent: Vec<AttemptView>,
}

/// Attempts shown per delivery.
pub const ATTEMPTS_SHOWN: i64 = 20;

/// An event's deliveries, one per downstream.
/// A database no Logbook with forwarding has opened yet has no outbox: no deliveries.
pub fn deliveries(conn: &Connection, event_id: i64) -> rusqlite::Result<Vec<DeliveryView>> {
    let has_outbox = conn
        .prepare_cached("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'outbox'")?
        .exists([])?;
    if !has_outbox {
        return Ok(Vec::new());
    }
    let mut views: Vec<DeliveryView> = conn
        .prepare_cached(
            "SELECT id, target, state, attempts, next_at, gave_up_reason FROM outbox
             WHERE event_id = ?1 ORDER BY id",
        )?
        .query_map([event_id], |r| {
            let state: String = r.get(2)?;
            Ok(DeliveryView {
                id: r.get(0)?,
                target: r.get(1)?,
                next_at: if state == "pending" { r.get(4)? } else { None },
                state,
                attempts: r.get(3)?,
                gave_up_reason: r.get(5)?,
                recent: Vec::new(),
            })
        })?
        .collect::<Result<_, _>>()?;
    for view in &mut views {
        let mut recent: Vec<AttemptView> = conn
            .prepare_cached(
                "SELECT at, status, error, response_body, latency_ms FROM delivery_attempts
                 WHERE outbox_id = ?1 ORDER BY id DESC LIMIT ?2",
            )?
            .query_map(params![view.id, ATTEMPTS_SHOWN], |r| {
                let body: Option<Vec<u8>> = r.get(3)?;
                Ok(AttemptView {
                    at: r.get(0)?,
                    status: r.get(1)?,
                    error: r.get(2)?,
                    response: String::from_utf8_lossy(&body.unwrap_or_default()).into_owned(),
                    latency_ms: r.get(4)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        recent.reverse();
        view.recent = recent;
    }
    Ok(views)
}
