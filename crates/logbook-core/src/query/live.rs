//! What arrived after the ids a client last saw: the rows of the live stream (`logbook serve`'s
//! Server-Sent Events, the desktop app's channel).
//!
//! Contract: rows come oldest first, accepted events and rejected requests merged by arrival time;
//! each source is read in its own order (by id on SQLite; on PostgreSQL, where ids commit out of
//! order, in the order their transactions settled: [`super::db::Dialect::live_rows`]), and a batch
//! always holds a prefix of each source, so asking again after the last event and the last
//! rejection of a batch neither skips nor repeats a row, however bursts were coalesced.

use std::time::Duration;

use super::db::Db;
use super::search::{
    EVENT_FROM, EventRow, REJECTION_COLUMNS, event_columns, event_row, rejection_row,
};
use super::{QUERY_DEADLINE_MS, QueryError, with_deadline};

/// The most rows [`since`] returns at once.
pub const MAX_BATCH: usize = 1_000;

/// The requests stored after event `after_event_id` and rejection `after_rejection_id`, oldest
/// first, at most `limit` (1 to [`MAX_BATCH`]); `true` when more are waiting.
pub fn since<'a>(
    db: impl Into<Db<'a>>,
    after_event_id: i64,
    after_rejection_id: i64,
    limit: usize,
) -> Result<(Vec<EventRow>, bool), QueryError> {
    let db = db.into();
    let n = limit.clamp(1, MAX_BATCH);
    // One row more than asked from each side tells whether more are waiting.
    let fetch = (n + 1) as i64;
    let (events, rejections) = with_deadline(db, Duration::from_millis(QUERY_DEADLINE_MS), || {
        let dialect = db.dialect();
        let events = db.rows(
            &dialect.live_rows(&event_columns(dialect), EVENT_FROM, "events", "e"),
            &[after_event_id.into(), fetch.into()],
            event_row,
        )?;
        let rejections = db.rows(
            &dialect.live_rows(REJECTION_COLUMNS, "rejections r", "rejections", "r"),
            &[after_rejection_id.into(), fetch.into()],
            rejection_row,
        )?;
        Ok((events, rejections))
    })?;
    let (mut rows, more) = merge(events, rejections, n);
    super::search::add_onward(db, &mut rows)?;
    Ok((rows, more))
}

/// Merges two id-ordered lists by arrival time, taking from the head of each (so the result is a
/// prefix of both even where arrival times and ids disagree), at most `n` rows.
fn merge(events: Vec<EventRow>, rejections: Vec<EventRow>, n: usize) -> (Vec<EventRow>, bool) {
    let more = events.len() + rejections.len() > n;
    let mut out = Vec::with_capacity(n.min(events.len() + rejections.len()));
    let mut events = events.into_iter().peekable();
    let mut rejections = rejections.into_iter().peekable();
    while out.len() < n {
        let take_event = match (events.peek(), rejections.peek()) {
            (Some(e), Some(r)) => e.received_at <= r.received_at,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        let next = if take_event {
            events.next()
        } else {
            rejections.next()
        };
        out.extend(next);
    }
    (out, more)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(source: &str, id: i64, at: i64) -> EventRow {
        EventRow {
            id,
            source: source.into(),
            received_at: at,
            ..EventRow::default()
        }
    }

    fn ids(rows: &[EventRow]) -> Vec<String> {
        rows.iter()
            .map(|r| format!("{}{}", &r.source[..1], r.id))
            .collect()
    }

    #[test]
    fn merging_keeps_a_prefix_of_each_source() {
        let events = vec![row("accepted", 1, 10), row("accepted", 2, 30)];
        let rejections = vec![row("rejected", 7, 20), row("rejected", 8, 40)];
        let (rows, more) = merge(events.clone(), rejections.clone(), 3);
        assert_eq!(ids(&rows), ["a1", "r7", "a2"]);
        assert!(more);
        let (rows, more) = merge(events, rejections, 10);
        assert_eq!(ids(&rows), ["a1", "r7", "a2", "r8"]);
        assert!(!more);
        // An id committed later with an earlier arrival time waits for the rows before it.
        let events = vec![row("accepted", 1, 50), row("accepted", 2, 5)];
        let (rows, _) = merge(events, vec![row("rejected", 3, 20)], 2);
        assert_eq!(ids(&rows), ["r3", "a1"]);
    }

    /// Live shows a request the moment it is acknowledged, with what it says, before its rows are
    /// derived: the same row as once they are.
    #[test]
    fn an_event_not_projected_yet_reads_as_it_will_once_projected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.db");
        crate::store::Store::open(&path, crate::store::StoreOptions::default())
            .unwrap()
            .close()
            .unwrap();
        let samples = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/samples");
        let conn = rusqlite::Connection::open(&path).unwrap();
        for (id, name) in [
            (1, "02_webchat_order_status.json"),
            (2, "10_cdr_normal_caller_hangup.json"),
        ] {
            let body = std::fs::read(format!("{samples}/{name}")).unwrap();
            let kind = crate::watson::read_envelope(&body).unwrap().kind;
            // Acknowledged, not projected: the event row only, as the writer leaves it.
            conn.execute(
                "INSERT INTO events (id, received_at, endpoint, path, kind, auth, verified, headers, body)
                 VALUES (?1, ?1, '*', '/', ?2, 'none', 0, '[]', ?3)",
                rusqlite::params![id, kind, body],
            )
            .unwrap();
        }
        drop(conn);
        let before = since(&crate::store::open_reader(&path).unwrap(), 0, 0, 10).unwrap();
        assert!(
            before.0.iter().all(|row| !row.summary.is_empty()),
            "{before:?}"
        );
        let store =
            crate::store::Store::open(&path, crate::store::StoreOptions::default()).unwrap();
        assert!(store.wait_projected(Duration::from_secs(10)).unwrap());
        let after = since(&store.reader().unwrap(), 0, 0, 10).unwrap();
        assert_eq!(before, after);
        store.close().unwrap();
    }

    #[test]
    fn since_reads_an_empty_store() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.db");
        let store =
            crate::store::Store::open(&path, crate::store::StoreOptions::default()).unwrap();
        let conn = store.reader().unwrap();
        assert_eq!(since(&conn, 0, 0, 500).unwrap(), (Vec::new(), false));
        store.close().unwrap();
    }
}
