//! Keeping the disk in check: the writer deletes the oldest events in small steps when they are older
//! than the configured age or the database is over its size, between group commits, so ingest is never
//! blocked for long; incremental vacuum gives the space back to the file system once it is done.
//!
//! The size is what events use ([`event_bytes`]): refused requests keep to their own budget
//! ([`super::rejection`]) and are never a reason to delete an event.

use std::time::Duration;

use rusqlite::{Connection, params};

use super::rejection::{self, Class};

/// Events deleted per step: one short transaction.
pub const STEP_ROWS: i64 = 500;
/// Free pages handed back to the file system per step: 256 KiB of 4 KiB pages, about 0.9 GB an hour
/// at a step a second. Each moves pages inside the writer's time between two group commits: 64 took
/// 5–10 ms in the `sqlite3` shell (a build running beside it), 256 took 30 ms, 2,000 100 ms.
pub const VACUUM_PAGES: i64 = 64;

/// What to keep. `None` keeps everything.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Retention {
    /// Delete events (and refused requests) received longer ago than this.
    pub max_age: Option<Duration>,
    /// Delete the oldest events while they take more than this many bytes of the database
    /// ([`event_bytes`]); refused requests take at most [`rejection::REJECTIONS_BUDGET_BYTES`] more.
    pub max_bytes: Option<u64>,
}

impl Retention {
    pub fn is_set(&self) -> bool {
        self.max_age.is_some() || self.max_bytes.is_some()
    }
}

/// What one step did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub events_deleted: i64,
    pub rejections_deleted: i64,
    pub pages_freed: i64,
    /// Another step right away would find more to delete.
    pub more: bool,
}

/// Bytes of data in the database: its pages minus the free ones.
pub fn used_bytes(conn: &Connection) -> rusqlite::Result<u64> {
    conn.query_row(
        "SELECT (page_count - freelist_count) * page_size
         FROM pragma_page_count(), pragma_freelist_count(), pragma_page_size()",
        [],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n.max(0) as u64)
}

/// Bytes of data that are not refused requests: [`used_bytes`] minus what the kept rejections
/// account for ([`rejection::accounted_bytes`], an upper bound of their pages). What size retention
/// keeps under `max_bytes`.
pub fn event_bytes(conn: &Connection) -> rusqlite::Result<u64> {
    Ok(used_bytes(conn)?.saturating_sub(rejection::accounted_bytes(conn)?))
}

/// Steps until nothing is left to delete or `budget` has passed: called by the writer between group
/// commits, so under load deletion keeps pace with ingest without holding it up for long.
pub fn run(
    conn: &mut Connection,
    retention: &Retention,
    now_ms: i64,
    budget: Duration,
    applied_through: i64,
) -> rusqlite::Result<Step> {
    let started = std::time::Instant::now();
    let mut total = Step::default();
    loop {
        let step = step(conn, retention, now_ms, applied_through)?;
        total.events_deleted += step.events_deleted;
        total.rejections_deleted += step.rejections_deleted;
        total.pages_freed += step.pages_freed;
        total.more = step.more;
        if !step.more || started.elapsed() >= budget {
            return Ok(total);
        }
    }
}

/// One step: deletes up to [`STEP_ROWS`] of the oldest events that are too old or over the size,
/// lists them in `retention_log` for the projector, and forgets the entries it applied (through
/// `applied_through`); when there was nothing to delete, gives up to [`VACUUM_PAGES`] free pages
/// back to the file system. While retention deletes, the events arriving reuse the pages it frees
/// (moving them out of the file for it to grow again would cost the writer for nothing); once it
/// is done, what is left goes back a step (an interval of the writer's) at a time.
pub fn step(
    conn: &mut Connection,
    retention: &Retention,
    now_ms: i64,
    applied_through: i64,
) -> rusqlite::Result<Step> {
    let mut done = delete_oldest(conn, retention, now_ms, applied_through)?;
    if done.events_deleted == 0 && done.rejections_deleted == 0 {
        done.pages_freed = super::incremental_vacuum(conn, VACUUM_PAGES)?;
    }
    Ok(done)
}

/// [`step`]'s deletions.
fn delete_oldest(
    conn: &mut Connection,
    retention: &Retention,
    now_ms: i64,
    applied_through: i64,
) -> rusqlite::Result<Step> {
    let mut done = Step::default();
    let cutoff = retention.max_age.map(|age| now_ms - age.as_millis() as i64);
    let over_size = match retention.max_bytes {
        Some(max) => event_bytes(conn)? > max,
        None => false,
    };
    if cutoff.is_none() && !over_size {
        return Ok(done);
    }
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    // The oldest first, by age or, when over the size, regardless of age. Logged for the
    // projector, which takes their derived rows out after them (`list_doomed`, `apply_doomed`).
    let chosen = if over_size {
        tx.execute(
            "INSERT INTO retention_log (event_id, endpoint)
                 SELECT id, endpoint FROM events ORDER BY id LIMIT ?1",
            params![STEP_ROWS],
        )?
    } else {
        tx.execute(
            "INSERT INTO retention_log (event_id, endpoint)
                 SELECT id, endpoint FROM events WHERE received_at < ?1
                 ORDER BY received_at, id LIMIT ?2",
            params![cutoff, STEP_ROWS],
        )?
    };
    if chosen > 0 {
        tx.execute(
            "DELETE FROM events WHERE id IN
                 (SELECT event_id FROM retention_log ORDER BY seq DESC LIMIT ?1)",
            params![chosen as i64],
        )?;
        done.events_deleted = chosen as i64;
    }
    // What the projector has applied is no longer needed.
    tx.execute(
        "DELETE FROM retention_log WHERE seq <= ?1",
        params![applied_through],
    )?;
    if let Some(cutoff) = cutoff {
        let gone: Vec<(String, i64)> = tx
            .prepare_cached(
                "DELETE FROM rejections WHERE id IN
                     (SELECT id FROM rejections WHERE received_at < ?1 ORDER BY id LIMIT ?2)
                 RETURNING class, stored_bytes",
            )?
            .query_map(params![cutoff, STEP_ROWS], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        for class in Class::ALL {
            let (rows, bytes) = gone
                .iter()
                .filter(|(c, _)| c == class.name())
                .fold((0, 0), |(n, b), (_, s)| (n + 1, b + s));
            rejection::forget(&tx, class, rows, bytes)?;
        }
        done.rejections_deleted = gone.len() as i64;
    }
    tx.commit()?;
    done.more = done.events_deleted == STEP_ROWS || done.rejections_deleted == STEP_ROWS;
    Ok(done)
}

/// Before the projector's transaction on the derived file (the event log attached as `log`), in
/// the read transaction that also looks up which of its batch's events are still stored: lists the
/// events retention deleted after `applied_through` in the temporary table `retention_doomed`, for
/// [`apply_doomed`], and returns the last `seq` listed (`applied_through` when there is none).
pub fn list_doomed(conn: &Connection, applied_through: i64) -> rusqlite::Result<i64> {
    conn.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS retention_doomed (id INTEGER PRIMARY KEY, endpoint TEXT);
         DELETE FROM retention_doomed;",
    )?;
    let through: Option<i64> = conn
        .prepare_cached("SELECT max(seq) FROM log.retention_log WHERE seq > ?1")?
        .query_row([applied_through], |r| r.get(0))?;
    let Some(through) = through else {
        return Ok(applied_through);
    };
    conn.prepare_cached(
        "INSERT OR IGNORE INTO retention_doomed (id, endpoint)
             SELECT event_id, endpoint FROM log.retention_log WHERE seq > ?1 AND seq <= ?2",
    )?
    .execute([applied_through, through])?;
    Ok(through)
}

/// In the projector's transaction: takes the derived rows and rollup figures of the events
/// [`list_doomed`] listed out, and keeps the conversations table true.
pub fn apply_doomed(tx: &Connection) -> rusqlite::Result<()> {
    tx.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS retention_sessions (session_id TEXT PRIMARY KEY);
         DELETE FROM retention_sessions;
         INSERT OR IGNORE INTO retention_sessions (session_id)
             SELECT session_id FROM messages
             WHERE event_id IN (SELECT id FROM retention_doomed) AND session_id IS NOT NULL;
         DELETE FROM event_fts WHERE rowid IN (SELECT id FROM retention_doomed);",
    )?;
    // Out of the rollups while their derived rows still say what they counted.
    super::rollup::subtract_events(tx, "retention_doomed")?;
    for table in DERIVED_BY_EVENT {
        tx.execute_batch(&format!(
            "DELETE FROM {table} WHERE event_id IN (SELECT id FROM retention_doomed);"
        ))?;
    }
    // What is left of each conversation, recomputed the one way projection does it.
    super::projection::refresh_conversations(tx, "retention_sessions")
}

/// The derived tables with a row (or rows) per event, by `event_id`.
pub(super) const DERIVED_BY_EVENT: [&str; 9] = [
    "messages",
    "message_intents",
    "message_actions",
    "message_entities",
    "message_responses",
    "calls",
    "call_turns",
    "call_warnings",
    "call_custom_data",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn pages(conn: &Connection) -> (i64, i64) {
        conn.query_row(
            "SELECT page_count, freelist_count FROM pragma_page_count(), pragma_freelist_count()",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
    }

    /// After a cut, the pages it freed go back to the file system, [`VACUUM_PAGES`] a step once
    /// nothing is left to delete, until none is left: the file shrinks to what it holds.
    #[test]
    fn freed_space_goes_back_to_the_file_system_once_nothing_is_left_to_delete() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("logbook.db");
        drop(super::super::Store::open(&path, super::super::StoreOptions::default()).unwrap());
        let mut conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1200)
             INSERT INTO events (id, received_at, endpoint, path, kind, auth, verified, headers,
                                 body)
             SELECT i, 0, 'shop', '/shop', 'message_logged', 'none', 0, '[]', zeroblob(3000)
             FROM n;",
        )
        .unwrap();
        let retention = Retention {
            max_age: Some(Duration::from_secs(86_400)),
            max_bytes: None,
        };
        let now = 10 * 86_400_000;
        let step = |conn: &mut Connection| step(conn, &retention, now, i64::MAX).unwrap();

        // The cut: 500 events a step, giving nothing back while it deletes.
        let mut deleted = 0;
        loop {
            let done = step(&mut conn);
            deleted += done.events_deleted;
            assert_eq!(done.pages_freed, 0, "{done:?}");
            if !done.more {
                break;
            }
        }
        assert_eq!(deleted, 1_200);
        let (count, free) = pages(&conn);
        assert!(free > 2 * VACUUM_PAGES, "{free} free pages of {count}");

        // Then the free pages go, a step at a time.
        let done = step(&mut conn);
        assert_eq!((done.events_deleted, done.pages_freed), (0, VACUUM_PAGES));
        assert_eq!(pages(&conn), (count - VACUUM_PAGES, free - VACUUM_PAGES));
        while step(&mut conn).pages_freed > 0 {}
        let (left, free) = pages(&conn);
        assert_eq!(free, 0);
        assert!(left < count / 4, "{left} pages left of {count}");
    }
}
