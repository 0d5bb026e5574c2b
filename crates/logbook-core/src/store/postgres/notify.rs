//! Live updates across processes: every receiver's transaction that stores an event or a refused
//! request also sends `NOTIFY` on [`CHANNEL`] (PostgreSQL delivers it when, and only if, the
//! transaction commits), and a reading process keeps one [`Listener`], which `LISTEN`s on a
//! connection of its own and wakes each subscriber (a live view) at once, whichever instance
//! received the event.
//!
//! Contract: a wake-up says "something may have been stored", nothing more; the subscriber reads
//! what is new itself (`query::live::since`), so wake-ups can be merged, and one that finds nothing
//! costs a read. A subscriber is woken whenever the listener (re)connects, since notifications sent
//! while it was away are lost. While the listener cannot connect, no wake-ups come: subscribers keep
//! polling as well, so they are late then, never stuck. A hot standby cannot `LISTEN` (and gets no
//! notifications): on one, the views poll, and the listener tries again every minute.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use postgres::fallible_iterator::FallibleIterator;

use super::super::StoreError;
use super::{connect, parse_url};

/// The channel receivers notify after storing (see the module's contract).
pub const CHANNEL: &str = "logbook_stored";
/// How often the listening thread checks whether it should stop.
const STOP_CHECK: Duration = Duration::from_millis(200);
/// How long the listener waits before connecting again after a failure.
const RETRY: Duration = Duration::from_secs(1);
/// How long the listener waits before trying a hot standby again (it cannot `LISTEN`).
const STANDBY_RETRY: Duration = Duration::from_secs(60);
/// The listening connection's `application_name`, unless the store URL gives one.
const APPLICATION_NAME: &str = "logbook live";

/// The `LISTEN`ing thread of a reading process, and its subscribers.
pub struct Listener {
    subscribers: Arc<Mutex<Vec<SyncSender<()>>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Listener {
    /// Starts listening to the store at `url` (a bad URL is an error now; a server that cannot
    /// be reached is tried again every second, in the background).
    pub fn start(url: &str) -> Result<Self, StoreError> {
        let mut config = parse_url(url)?;
        if config.get_application_name() == Some(super::APPLICATION_NAME) {
            config.application_name(APPLICATION_NAME);
        }
        let subscribers: Arc<Mutex<Vec<SyncSender<()>>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (subscribers, stop) = (subscribers.clone(), stop.clone());
            std::thread::Builder::new()
                .name("logbook-listen".into())
                .spawn(move || listen(&config, &subscribers, &stop))
                .map_err(|err| StoreError::Postgres(format!("cannot start listening: {err}")))?
        };
        Ok(Self {
            subscribers,
            stop,
            thread: Some(thread),
        })
    }

    /// A new subscriber's wake-ups (at most one waits: later ones merge into it).
    pub fn subscribe(&self) -> Receiver<()> {
        let (wake, woken) = mpsc::sync_channel(1);
        lock(&self.subscribers).push(wake);
        woken
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Wakes every subscriber, and forgets those that are gone.
fn wake(subscribers: &Mutex<Vec<SyncSender<()>>>) {
    lock(subscribers).retain(|s| !matches!(s.try_send(()), Err(TrySendError::Disconnected(_))));
}

fn listen(config: &postgres::Config, subscribers: &Mutex<Vec<SyncSender<()>>>, stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        let mut client = match connect(config) {
            Ok(client) => client,
            Err(_) => {
                std::thread::sleep(RETRY);
                continue;
            }
        };
        if let Err(err) = client.batch_execute(&format!("LISTEN {CHANNEL}")) {
            // A hot standby (a replica the readers point at) cannot LISTEN, and no notification
            // reaches it: the views poll; look again now and then, in case it is promoted.
            let standby = err.code() == Some(&postgres::error::SqlState::READ_ONLY_SQL_TRANSACTION);
            let pause = if standby { STANDBY_RETRY } else { RETRY };
            drop(client);
            let until = std::time::Instant::now() + pause;
            while !stop.load(Ordering::Relaxed) && std::time::Instant::now() < until {
                std::thread::sleep(STOP_CHECK);
            }
            continue;
        }
        // What was sent while no one listened is lost: look now.
        wake(subscribers);
        while !stop.load(Ordering::Relaxed) {
            let next = client.notifications().timeout_iter(STOP_CHECK).next();
            match next {
                Ok(Some(_)) => wake(subscribers),
                Ok(None) if client.is_closed() => break,
                Ok(None) => {}
                Err(_) => break,
            }
        }
    }
}
