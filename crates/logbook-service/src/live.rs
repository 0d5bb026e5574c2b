//! Live updates: the one loop behind both transports' `live` command (Server-Sent Events in
//! `logbook-http`, a Tauri channel in the desktop app; each is a thin [`LiveSink`]).
//!
//! Contract: [`follow`] first sends everything after the client's cursor (the catch-up: at least one
//! batch, even empty, so the client knows it is connected), then, after each commit the writer
//! announces that carries rows past the cursor, the new rows, at most one batch per [`COALESCE_MS`]
//! however fast commits come. Each batch holds at most [`BATCH_ROWS`] rows, with `more: true` when
//! the next one is sent straight after, and moves the cursor past exactly the rows it carries, so
//! nothing is sent twice. The caller subscribes to the writer before calling, so nothing committed
//! in between is missed. When other processes write the store (PostgreSQL) there are no
//! announcements: the loop polls every [`POLL_MS`], and looks at once when the store's notifications
//! wake it ([`Wake::Poll`]). It ends when `stop` says so, when the sink is gone, or
//! when the store stops.

use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use logbook_core::query::Db;
use logbook_core::query::live::since;
use logbook_core::query::search::EventRow;
use logbook_core::store::Committed;

use crate::commands::LiveCursor;
use crate::types::{ApiError, LiveBatch};

/// Rows in one batch at most.
pub const BATCH_ROWS: usize = 500;
/// At most one batch per this long: a burst of commits becomes one batch.
///
/// 100 ms, the desktop app's value rather than the HTTP stream's former 200 ms: it is about the
/// longest delay a person still reads as "at once", while the receiver's group commit already
/// gathers concurrent webhooks, so a burst costs at most ten indexed range reads a second per
/// client, and the UI's own batcher (`ui/src/live.ts`) coalesces what it draws.
pub const COALESCE_MS: u64 = 100;
/// How often a loop without announcements (another process writes) looks for new rows.
pub const POLL_MS: u64 = 1_000;
/// How often a waiting loop checks `stop` and lets the sink speak (SSE pings).
pub const STOP_CHECK_MS: u64 = 100;

/// Where batches go: an SSE response or a Tauri channel.
pub trait LiveSink {
    /// Sends one batch; `false` once the receiving side is gone.
    fn batch(&mut self, batch: &LiveBatch) -> bool;
    /// Called at least every [`STOP_CHECK_MS`] while waiting; `false` once the receiving side is
    /// gone. An SSE stream sends its keep-alive comments here.
    fn idle(&mut self) -> bool {
        true
    }
    /// A read failed. `true` to try again after [`POLL_MS`] (the desktop app logs it), `false` to
    /// end (an SSE client reconnects and resumes from its last id). A retry that succeeds sends
    /// even an empty batch only if nothing was sent before.
    fn failed(&mut self, err: &ApiError) -> bool {
        let _ = err;
        false
    }
}

/// The rows after `cursor`, oldest first, at most [`BATCH_ROWS`], and whether more are waiting.
pub fn rows_since(conn: Db<'_>, cursor: LiveCursor) -> Result<(Vec<EventRow>, bool), ApiError> {
    Ok(since(
        conn,
        cursor.last_event_id,
        cursor.last_rejection_id,
        BATCH_ROWS,
    )?)
}

/// Where a live view that starts "from now on" stands: past every row stored so far, in the order
/// the view sends them (`Dialect::live_now`).
pub fn now(db: Db<'_>) -> Result<LiveCursor, ApiError> {
    let dialect = db.dialect();
    cursor(db, |table| dialect.live_now(table))
}

/// The highest stored ids (0 when there are none): a client's ids past them are from another
/// database ([`LiveCursor::at_most`]).
pub fn newest(db: Db<'_>) -> Result<LiveCursor, ApiError> {
    cursor(db, |table| {
        format!("SELECT coalesce(max(id), 0) FROM {table}")
    })
}

/// The cursor whose ids `id_in` reads from the events and the rejections.
fn cursor(db: Db<'_>, id_in: impl Fn(&str) -> String) -> Result<LiveCursor, ApiError> {
    Ok(db.row(
        &format!("SELECT ({}), ({})", id_in("events"), id_in("rejections")),
        &[],
        |r| {
            Ok(LiveCursor {
                last_event_id: r.get(0)?,
                last_rejection_id: r.get(1)?,
            })
        },
    )?)
}

impl LiveCursor {
    /// Ids past the newest (a client of an older database) lowered to it.
    pub fn at_most(self, newest: LiveCursor) -> Self {
        Self {
            last_event_id: self.last_event_id.min(newest.last_event_id),
            last_rejection_id: self.last_rejection_id.min(newest.last_rejection_id),
        }
    }

    /// Moves past `rows`: to the last event and the last rejection they hold, in the order they
    /// came (on PostgreSQL the highest event id need not be the last: `since`); the batch that
    /// carries them.
    fn advance(&mut self, rows: Vec<EventRow>, more: bool) -> LiveBatch {
        for row in &rows {
            let last = if row.source == "rejected" {
                &mut self.last_rejection_id
            } else {
                &mut self.last_event_id
            };
            *last = row.id;
        }
        LiveBatch {
            rows,
            last_event_id: self.last_event_id,
            last_rejection_id: self.last_rejection_id,
            more,
        }
    }

    /// Whether a commit stored rows past this cursor.
    fn behind(&self, commit: Committed) -> bool {
        commit
            .last_event_id
            .is_some_and(|id| id > self.last_event_id)
            || commit
                .last_rejection_id
                .is_some_and(|id| id > self.last_rejection_id)
    }
}

/// What tells a live loop to look for new rows.
pub enum Wake {
    /// The store's writer is in this process and announces each commit (SQLite).
    Commits(Receiver<Committed>),
    /// Other processes write: look every [`POLL_MS`], and at once on each wake-up when there are
    /// any (a PostgreSQL store's `NOTIFY`, `store::postgres::notify`).
    Poll(Option<Receiver<()>>),
}

impl From<Option<Receiver<Committed>>> for Wake {
    /// The writer's announcements, or polling without them.
    fn from(commits: Option<Receiver<Committed>>) -> Self {
        match commits {
            Some(commits) => Wake::Commits(commits),
            None => Wake::Poll(None),
        }
    }
}

/// Runs one subscription from `cursor` (see the module's contract). `read` gives the rows after a
/// cursor (usually [`rows_since`] on a read-only connection); `wake` says when to look.
pub fn follow(
    mut cursor: LiveCursor,
    wake: impl Into<Wake>,
    read: &mut dyn FnMut(LiveCursor) -> Result<(Vec<EventRow>, bool), ApiError>,
    stop: &dyn Fn() -> bool,
    sink: &mut dyn LiveSink,
) {
    let mut wake = wake.into();
    let coalesce = Duration::from_millis(COALESCE_MS);
    let poll = Duration::from_millis(POLL_MS);
    let stop_check = Duration::from_millis(STOP_CHECK_MS);
    // The first batch goes out at once, even empty; later ones wait for a commit and the interval.
    let (mut pending, mut first, mut urgent) = (true, true, true);
    let mut last_batch = Instant::now();
    let mut last_poll = Instant::now();
    // After a failed read: when to try again.
    let mut retry_at: Option<Instant> = None;
    while !stop() {
        if retry_at.is_some_and(|at| Instant::now() >= at) {
            (retry_at, pending, urgent) = (None, true, true);
        }
        if pending && (urgent || last_batch.elapsed() >= coalesce) {
            last_batch = Instant::now();
            match read(cursor) {
                Ok((rows, more)) => {
                    if !rows.is_empty() || first {
                        let batch = cursor.advance(rows, more);
                        if !sink.batch(&batch) {
                            return;
                        }
                    }
                    (pending, first, urgent) = (more, false, more);
                }
                Err(err) => {
                    if !sink.failed(&err) {
                        return;
                    }
                    (pending, urgent) = (false, false);
                    retry_at = Some(Instant::now() + poll);
                }
            }
            continue;
        }
        let wait = if pending {
            coalesce.saturating_sub(last_batch.elapsed())
        } else {
            stop_check
        }
        .min(stop_check);
        match &mut wake {
            Wake::Commits(commits) => match commits.recv_timeout(wait) {
                Ok(commit) => {
                    pending |= cursor.behind(commit);
                    while let Ok(commit) = commits.try_recv() {
                        pending |= cursor.behind(commit);
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                // The store has stopped: nothing more will come.
                Err(RecvTimeoutError::Disconnected) => return,
            },
            Wake::Poll(woken) => {
                match woken.as_ref().map(|w| w.recv_timeout(wait)) {
                    Some(Ok(())) => pending = true,
                    Some(Err(RecvTimeoutError::Timeout)) => {}
                    // The listener has stopped: polling goes on alone.
                    Some(Err(RecvTimeoutError::Disconnected)) => *woken = None,
                    None => std::thread::sleep(wait),
                }
                if last_poll.elapsed() >= poll {
                    last_poll = Instant::now();
                    pending = true;
                }
            }
        }
        if !sink.idle() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::mpsc;

    struct Collect(Vec<LiveBatch>);
    impl LiveSink for Collect {
        fn batch(&mut self, batch: &LiveBatch) -> bool {
            self.0.push(batch.clone());
            true
        }
    }

    fn row(source: &str, id: i64) -> EventRow {
        EventRow {
            id,
            source: source.to_owned(),
            ..EventRow::default()
        }
    }

    #[test]
    fn a_burst_of_commits_becomes_one_batch_per_interval() {
        let (tx, rx) = mpsc::channel();
        let stored = std::sync::Mutex::new(Vec::<EventRow>::new());
        let reads = std::cell::Cell::new(0);
        let mut read = |c: LiveCursor| {
            reads.set(reads.get() + 1);
            let rows: Vec<EventRow> = stored
                .lock()
                .unwrap()
                .iter()
                .filter(|r| r.id > c.last_event_id)
                .cloned()
                .collect();
            Ok((rows, false))
        };
        let done = AtomicBool::new(false);
        let mut sink = Collect(Vec::new());
        std::thread::scope(|s| {
            s.spawn(|| {
                std::thread::sleep(Duration::from_millis(30));
                // Ten commits within a few milliseconds, and one that stores nothing new.
                for id in 1..=10 {
                    stored.lock().unwrap().push(row("accepted", id));
                    tx.send(Committed {
                        last_event_id: Some(id),
                        last_rejection_id: None,
                    })
                    .unwrap();
                }
                std::thread::sleep(Duration::from_millis(COALESCE_MS * 4));
                done.store(true, Ordering::Relaxed);
            });
            follow(
                LiveCursor::default(),
                Some(rx),
                &mut read,
                &|| done.load(Ordering::Relaxed),
                &mut sink,
            );
        });
        // The empty catch-up, then at most two batches for the burst (one may start mid-burst).
        assert!(sink.0[0].rows.is_empty());
        let ids: Vec<i64> = sink
            .0
            .iter()
            .flat_map(|b| b.rows.iter().map(|r| r.id))
            .collect();
        assert_eq!(ids, (1..=10).collect::<Vec<_>>());
        assert!(sink.0.len() <= 3, "{} batches", sink.0.len());
        assert_eq!(sink.0.last().unwrap().last_event_id, 10);
        assert!(reads.get() <= 3, "{} reads", reads.get());
    }

    #[test]
    fn a_failed_read_is_tried_again_when_the_sink_asks() {
        struct Retry(Vec<LiveBatch>, usize);
        impl LiveSink for Retry {
            fn batch(&mut self, batch: &LiveBatch) -> bool {
                self.0.push(batch.clone());
                false
            }
            fn failed(&mut self, _: &ApiError) -> bool {
                self.1 += 1;
                true
            }
        }
        let (_tx, rx) = mpsc::channel::<Committed>();
        let attempts = std::cell::Cell::new(0);
        let mut read = |_: LiveCursor| {
            attempts.set(attempts.get() + 1);
            if attempts.get() == 1 {
                Err(ApiError::new(
                    crate::types::ApiErrorKind::Unavailable,
                    "busy",
                ))
            } else {
                Ok((vec![row("accepted", 1)], false))
            }
        };
        let started = Instant::now();
        let mut sink = Retry(Vec::new(), 0);
        // No commit comes: the second read is the retry, and the sink then ends the loop.
        follow(
            LiveCursor::default(),
            Some(rx),
            &mut read,
            &|| started.elapsed() > Duration::from_secs(10),
            &mut sink,
        );
        assert_eq!((sink.1, sink.0.len(), attempts.get()), (1, 1, 2));
        assert!(started.elapsed() >= Duration::from_millis(POLL_MS));
    }

    #[test]
    fn the_cursor_moves_past_each_source_separately() {
        let mut cursor = LiveCursor {
            last_event_id: 5,
            last_rejection_id: 2,
        };
        let batch = cursor.advance(vec![row("accepted", 6), row("rejected", 3)], true);
        assert_eq!(
            (batch.last_event_id, batch.last_rejection_id, batch.more),
            (6, 3, true)
        );
        assert!(!cursor.behind(Committed {
            last_event_id: Some(6),
            last_rejection_id: None
        }));
        assert!(cursor.behind(Committed {
            last_event_id: None,
            last_rejection_id: Some(4)
        }));
        let newest = LiveCursor {
            last_event_id: 4,
            last_rejection_id: 9,
        };
        assert_eq!(
            cursor.at_most(newest),
            LiveCursor {
                last_event_id: 4,
                last_rejection_id: 3
            }
        );
    }
}
