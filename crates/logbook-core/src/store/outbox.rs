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
        body: super::stored_body::unpack(r.get_ref(5)?, r.get(7)?, 5)?,
        authorization: r.get(6)?,
    })
}

/// The head of `target`'s queue: in order, this one goes before any other.
pub fn next_pending(conn: &Connection, target: &str) -> rusqlite::Result<Option<Pending>> {
    conn.prepare_cached(
        "SELECT o.id, o.event_id, o.attempts, o.created_at, o.next_at, e.body, o.authorization,
                e.body_zstd
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
        "SELECT o.id, o.event_id, o.attempts, o.created_at, o.next_at, e.body, o.authorization,
                e.body_zstd
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
    if !has_outbox(conn)? {
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

/// An event's forwarding at a glance, for its row in a list: how many of its deliveries are
/// delivered, pending and given up, and when the next retry is due.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ForwardingState {
    pub delivered: i64,
    pub pending: i64,
    pub gave_up: i64,
    /// Attempts made, over all its deliveries.
    pub attempts: i64,
    /// The earliest next attempt of its pending deliveries.
    pub next_at: Option<i64>,
}

fn has_outbox(conn: &Connection) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'outbox'")?
        .exists([])
}

/// The forwarding state of each of `event_ids` that is forwarded (others are left out).
pub fn states(
    conn: &Connection,
    event_ids: &[i64],
) -> rusqlite::Result<Vec<(i64, ForwardingState)>> {
    if event_ids.is_empty() || !has_outbox(conn)? {
        return Ok(Vec::new());
    }
    let mut stmt = conn.prepare_cached(
        "SELECT count(*) FILTER (WHERE state = 'delivered'), count(*) FILTER (WHERE state = 'pending'),
             count(*) FILTER (WHERE state = 'gave_up'), coalesce(sum(attempts), 0),
             min(next_at) FILTER (WHERE state = 'pending')
         FROM outbox WHERE event_id = ?1",
    )?;
    let mut out = Vec::new();
    for &id in event_ids {
        let state = stmt.query_row([id], |r| {
            Ok(ForwardingState {
                delivered: r.get(0)?,
                pending: r.get(1)?,
                gave_up: r.get(2)?,
                attempts: r.get(3)?,
                next_at: r.get(4)?,
            })
        })?;
        if state.delivered + state.pending + state.gave_up > 0 {
            out.push((id, state));
        }
    }
    Ok(out)
}

/// One downstream's outbox, for the Status view.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct OutboxStats {
    pub target: String,
    pub delivered: i64,
    pub pending: i64,
    pub gave_up: i64,
    /// When the oldest undelivered event was queued.
    pub oldest_pending_at: Option<i64>,
    /// The newest give-up: when, and why.
    pub last_gave_up_at: Option<i64>,
    pub last_gave_up_reason: Option<String>,
}

/// Every downstream's outbox, in target order.
pub fn stats(conn: &Connection) -> rusqlite::Result<Vec<OutboxStats>> {
    if !has_outbox(conn)? {
        return Ok(Vec::new());
    }
    let mut all: Vec<OutboxStats> = conn
        .prepare_cached(
            "SELECT target, count(*) FILTER (WHERE state = 'delivered'),
                 count(*) FILTER (WHERE state = 'pending'), count(*) FILTER (WHERE state = 'gave_up'),
                 min(created_at) FILTER (WHERE state = 'pending')
             FROM outbox GROUP BY target ORDER BY target",
        )?
        .query_map([], |r| {
            Ok(OutboxStats {
                target: r.get(0)?,
                delivered: r.get(1)?,
                pending: r.get(2)?,
                gave_up: r.get(3)?,
                oldest_pending_at: r.get(4)?,
                ..OutboxStats::default()
            })
        })?
        .collect::<Result<_, _>>()?;
    for s in all.iter_mut().filter(|s| s.gave_up > 0) {
        (s.last_gave_up_at, s.last_gave_up_reason) = conn
            .prepare_cached(
                "SELECT done_at, gave_up_reason FROM outbox WHERE target = ?1 AND state = 'gave_up'
                 ORDER BY done_at DESC, id DESC LIMIT 1",
            )?
            .query_row([&s.target], |r| Ok((r.get(0)?, r.get(1)?)))?;
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{NewEvent, Outcome, Store, StoreOptions};

    fn event(endpoint: &str, n: i64) -> NewEvent {
        NewEvent {
            received_at: 1_000 + n,
            endpoint: endpoint.into(),
            path: "/".into(),
            remote_addr: None,
            kind: "message_logged".into(),
            auth: "jwt".into(),
            verified: true,
            jwt_header: None,
            jwt_claims: None,
            headers: "[]".into(),
            body: format!("{{\"event\":{{\"name\":\"message_logged\"}},\"n\":{n}}}").into_bytes(),
            dedup_key: format!("k{n}"),
            authorization: Some(format!("Bearer token-{n}")),
            replay_of: None,
        }
    }

    fn stored(store: &Store, event: NewEvent) -> i64 {
        match store.submit_event(event).unwrap() {
            Outcome::Stored(id) => id,
            other => panic!("{other:?}"),
        }
    }

    fn attempt(outbox_id: i64, then: After) -> OutboxWrite {
        OutboxWrite::Attempt(Attempt {
            outbox_id,
            at: 5_000,
            status: Some(if then == After::Delivered { 200 } else { 503 }),
            error: None,
            response_body: b"answer".to_vec(),
            latency_ms: 1.5,
            then,
        })
    }

    #[test]
    fn a_passed_through_authorization_is_kept_for_its_downstream_only_until_done() {
        let dir = tempfile::tempdir().unwrap();
        let route = |target: &str, endpoint: Option<&str>, passthrough| ForwardRoute {
            target: target.into(),
            endpoint: endpoint.map(str::to_owned),
            passthrough,
        };
        let options = StoreOptions {
            forwards: vec![
                route("pass", None, true),
                route("sign", Some("/live"), false),
            ],
            ..StoreOptions::default()
        };
        let store = Store::open(&dir.path().join("o.db"), options).unwrap();
        let live = stored(&store, event("/live", 1));
        let draft = stored(&store, event("/draft", 2));
        let conn = store.reader().unwrap();
        let kept = |target: &str, event: i64| -> Option<String> {
            conn.query_row(
                "SELECT authorization FROM outbox WHERE target = ?1 AND event_id = ?2",
                params![target, event],
                |r| r.get(0),
            )
            .unwrap()
        };
        assert_eq!(kept("pass", live).as_deref(), Some("Bearer token-1"));
        assert_eq!(
            kept("sign", live),
            None,
            "a signing downstream keeps no header"
        );
        assert_eq!(next_pending(&conn, "sign").unwrap().unwrap().event_id, live);
        assert!(
            next_pending(&conn, "sign")
                .unwrap()
                .unwrap()
                .authorization
                .is_none()
        );
        let head = next_pending(&conn, "pass").unwrap().unwrap();
        assert_eq!(head.authorization.as_deref(), Some("Bearer token-1"));
        assert_eq!(due_pending(&conn, "pass", 10_000, 8).unwrap().len(), 2);
        assert!(
            due_pending(&conn, "pass", 0, 8).unwrap().is_empty(),
            "not due yet"
        );

        // Retried: still kept; delivered: gone. Given up by a bound: gone too.
        store
            .record_outbox(attempt(head.id, After::Retry(9_000)))
            .unwrap();
        assert_eq!(kept("pass", live).as_deref(), Some("Bearer token-1"));
        store
            .record_outbox(attempt(head.id, After::Delivered))
            .unwrap();
        assert_eq!(kept("pass", live), None);
        store
            .record_outbox(OutboxWrite::Bound {
                target: "pass".into(),
                created_before: 10_000,
                keep: 100,
                now: 6_000,
            })
            .unwrap();
        assert_eq!(kept("pass", draft), None);

        // The rows' state at a glance, and each downstream's in Status.
        let states = states(&conn, &[live, draft, 99]).unwrap();
        assert_eq!(
            states,
            vec![
                (
                    live,
                    ForwardingState {
                        delivered: 1,
                        pending: 1,
                        gave_up: 0,
                        attempts: 2,
                        next_at: Some(1_001),
                    }
                ),
                (
                    draft,
                    ForwardingState {
                        gave_up: 1,
                        ..ForwardingState::default()
                    }
                ),
            ]
        );
        let all = stats(&conn).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(
            (all[0].target.as_str(), all[0].delivered, all[0].gave_up),
            ("pass", 1, 1)
        );
        assert_eq!(all[0].last_gave_up_at, Some(6_000));
        assert!(
            all[0]
                .last_gave_up_reason
                .as_deref()
                .unwrap()
                .contains("--forward-max-age")
        );
        assert_eq!((all[1].target.as_str(), all[1].pending), ("sign", 1));
        assert_eq!(all[1].oldest_pending_at, Some(1_001));

        // A downstream added while running: events from now on are queued for it.
        store.set_forwards(vec![route("later", None, false)]);
        let third = stored(&store, event("/live", 3));
        let targets: Vec<String> = conn
            .prepare("SELECT target FROM outbox WHERE event_id = ?1")
            .unwrap()
            .query_map([third], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(targets, ["later"]);
        drop(conn);
        store.close().unwrap();
    }
}
