//! Live updates over a Tauri channel: the rows stored after the ids the UI last saw.
//!
//! Contract: a subscription first sends everything after the client's cursor (the catch-up, at least
//! one batch even when it is empty, so the UI knows it is connected), then a batch after each commit
//! the writer announces (`Store::subscribe`), bursts coalesced to at most one query per
//! [`MIN_INTERVAL_MS`]. It subscribes before catching up, so nothing committed in between is missed,
//! and each batch moves the cursor past exactly the rows it carries (`query::live::since`), so
//! nothing is sent twice. When another process writes the database there is no announcement to
//! follow, and the subscription polls instead. A subscription ends on `stop_live`, when its page
//! reloads or closes, when the channel fails, or when the app quits.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use logbook_core::query::live;
use logbook_core::store::Committed;
use logbook_service::types::{ApiError, LiveBatch};
use serde::Deserialize;

use crate::shell::{Readers, lock};

/// Rows per batch.
pub const BATCH_ROWS: usize = 500;
/// Batches after commits are at least this far apart; commits in between are coalesced.
pub const MIN_INTERVAL_MS: u64 = 100;
/// How often a waiting subscription checks whether it was stopped.
const STOP_CHECK_MS: u64 = 200;
/// How often a read-only app looks for rows another process stored.
pub const POLL_MS: u64 = 1_000;

/// The last ids the UI has seen (`{lastEventId, lastRejectionId}` on the JavaScript side).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LiveCursor {
    pub last_event_id: i64,
    pub last_rejection_id: i64,
}

struct Subscription {
    /// The webview that asked: its subscriptions end when it reloads.
    webview: String,
    stop: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

/// The running subscriptions, by id.
#[derive(Default)]
pub struct Subscriptions {
    next_id: AtomicU32,
    running: Mutex<HashMap<u32, Subscription>>,
}

impl Subscriptions {
    /// Starts forwarding rows after `since` to `send` (which answers `false` once the receiving
    /// side is gone); `commits` is the writer's announcements, or `None` to poll. Returns the id.
    pub fn start(
        &self,
        webview: &str,
        readers: Arc<Readers>,
        commits: Option<Receiver<Committed>>,
        since: LiveCursor,
        send: impl Fn(LiveBatch) -> bool + Send + 'static,
    ) -> u32 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name(format!("logbook-live-{id}"))
            .spawn(move || forward(&readers, commits, since, &send, &flag))
            .expect("spawn live thread");
        let mut running = lock(&self.running);
        running.retain(|_, s| !s.thread.is_finished());
        running.insert(
            id,
            Subscription {
                webview: webview.to_owned(),
                stop,
                thread,
            },
        );
        id
    }

    /// Stops one subscription; `false` when there is no such (running) subscription.
    pub fn stop(&self, id: u32) -> bool {
        let found = lock(&self.running).remove(&id);
        found.is_some_and(|s| {
            s.stop.store(true, Ordering::Relaxed);
            !s.thread.is_finished()
        })
    }

    /// Stops the subscriptions of one webview (it is reloading or closing).
    pub fn stop_webview(&self, webview: &str) {
        lock(&self.running).retain(|_, s| {
            let keep = s.webview != webview;
            if !keep {
                s.stop.store(true, Ordering::Relaxed);
            }
            keep
        });
    }

    /// Stops every subscription and waits for their threads.
    pub fn stop_all(&self) {
        let all: Vec<Subscription> = lock(&self.running).drain().map(|(_, s)| s).collect();
        for s in &all {
            s.stop.store(true, Ordering::Relaxed);
        }
        for s in all {
            let _ = s.thread.join();
        }
    }

    /// Subscriptions still running.
    pub fn count(&self) -> usize {
        lock(&self.running)
            .values()
            .filter(|s| !s.thread.is_finished())
            .count()
    }
}

/// The body of a subscription's thread.
fn forward(
    readers: &Readers,
    commits: Option<Receiver<Committed>>,
    mut cursor: LiveCursor,
    send: &dyn Fn(LiveBatch) -> bool,
    stop: &AtomicBool,
) {
    let mut dirty = true;
    let mut first = true;
    let mut last_sent = Instant::now() - Duration::from_millis(MIN_INTERVAL_MS);
    while !stop.load(Ordering::Relaxed) {
        if dirty {
            dirty = false;
            let since_last = last_sent.elapsed();
            if since_last < Duration::from_millis(MIN_INTERVAL_MS) {
                std::thread::sleep(Duration::from_millis(MIN_INTERVAL_MS) - since_last);
            }
            match send_new_rows(readers, &mut cursor, send, first) {
                Ok(true) => {
                    first = false;
                    last_sent = Instant::now();
                }
                Ok(false) => return, // the page is gone
                Err(err) => eprintln!("logbook: live update failed: {}", err.message),
            }
        }
        match &commits {
            Some(commits) => match commits.recv_timeout(Duration::from_millis(STOP_CHECK_MS)) {
                Ok(_) => {
                    while commits.try_recv().is_ok() {}
                    dirty = true;
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return, // the store closed
            },
            None => {
                sleep_unless_stopped(Duration::from_millis(POLL_MS), stop);
                dirty = true;
            }
        }
    }
}

/// Sends the rows after `cursor` in batches and moves it; `Ok(false)` when the channel is gone.
/// Sends one (possibly empty) batch when `always`.
fn send_new_rows(
    readers: &Readers,
    cursor: &mut LiveCursor,
    send: &dyn Fn(LiveBatch) -> bool,
    always: bool,
) -> Result<bool, ApiError> {
    let mut always = always;
    loop {
        let (rows, more) = readers.with(|conn| {
            Ok(live::since(
                conn,
                cursor.last_event_id,
                cursor.last_rejection_id,
                BATCH_ROWS,
            )?)
        })?;
        if rows.is_empty() && !always {
            return Ok(true);
        }
        always = false;
        for row in &rows {
            let last = if row.source == "rejected" {
                &mut cursor.last_rejection_id
            } else {
                &mut cursor.last_event_id
            };
            *last = (*last).max(row.id);
        }
        let batch = LiveBatch {
            rows,
            last_event_id: cursor.last_event_id,
            last_rejection_id: cursor.last_rejection_id,
            more,
        };
        if !send(batch) {
            return Ok(false);
        }
        if !more {
            return Ok(true);
        }
    }
}

fn sleep_unless_stopped(total: Duration, stop: &AtomicBool) {
    let until = Instant::now() + total;
    while !stop.load(Ordering::Relaxed) {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return;
        }
        std::thread::sleep(left.min(Duration::from_millis(STOP_CHECK_MS)));
    }
}
