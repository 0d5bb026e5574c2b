//! Live updates over a Tauri channel: a thin adapter over the service's one live loop
//! (`logbook_service::live::follow`), which decides what is sent and when.
//!
//! Contract: a subscription runs the service's loop on a thread of its own, on the app's pooled
//! readers of the store the views read, from the client's cursor; it follows the writer's
//! announcements (`Store::subscribe`), polls when another process writes the database, and on a
//! team's PostgreSQL store polls and wakes at once on its notifications (`UiStore::subscribe`). A
//! failed read is logged and tried again. A subscription ends on `stop_live`, when its page reloads
//! or closes, when the channel fails, when the views move to another store, or when the app quits.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

pub use logbook_service::commands::LiveCursor;
use logbook_service::live::{self, LiveSink, Wake};
use logbook_service::types::{ApiError, LiveBatch};

use crate::shell::{Readers, lock};

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
    /// side is gone), read from `readers` while they read `generation`'s store; `wake` says when to
    /// look. Returns the id.
    pub fn start(
        &self,
        webview: &str,
        readers: Arc<Readers>,
        generation: u64,
        wake: Wake,
        since: LiveCursor,
        send: impl Fn(LiveBatch) -> bool + Send + 'static,
    ) -> u32 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name(format!("logbook-live-{id}"))
            .spawn(move || forward(&readers, generation, wake, since, send, &flag))
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

/// Where a subscription's batches go: the page's channel.
struct ChannelSink<F>(F);

impl<F: Fn(LiveBatch) -> bool> LiveSink for ChannelSink<F> {
    fn batch(&mut self, batch: &LiveBatch) -> bool {
        (self.0)(batch.clone())
    }

    fn failed(&mut self, err: &ApiError) -> bool {
        eprintln!("logbook: live update failed: {}", err.message);
        true
    }
}

/// The body of a subscription's thread: it ends when the views move to another store, whose ids
/// its cursor does not belong to.
fn forward(
    readers: &Readers,
    generation: u64,
    wake: Wake,
    since: LiveCursor,
    send: impl Fn(LiveBatch) -> bool,
    stop: &AtomicBool,
) {
    live::follow(
        since,
        wake,
        &mut |cursor| readers.with_source(Some(generation), |db, _| live::rows_since(db, cursor)),
        &|| stop.load(Ordering::Relaxed) || readers.generation() != generation,
        &mut ChannelSink(send),
    );
}
