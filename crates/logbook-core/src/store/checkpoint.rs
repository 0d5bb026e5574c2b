//! The checkpointer thread: copies the write-ahead log into the database file on a connection of
//! its own, a little at a time, so that the writer seldom does it inside a commit (a checkpoint of
//! the whole log writes and syncs thousands of pages: around 100 ms that acknowledgements waited for).
//!
//! A passive checkpoint runs beside the writer: it takes no lock the writer needs, and copies only
//! frames no reader still needs. The writer keeps its own automatic checkpoint as the bound on the
//! log's size (a log the checkpointer never finished under load is still restarted there, at little
//! cost, since the checkpointer copied nearly all of it already); the last connection to close (the
//! writer's) checkpoints everything and removes the log.

use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::Connection;

use super::StoreError;

/// How often the checkpointer copies what the log holds: under full ingest a megabyte or two at a
/// time; idle, it finds nothing to copy.
const INTERVAL_MS: u64 = 250;

pub(super) struct Checkpointer {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    pub(super) fn start(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path).map_err(|source| StoreError::Open {
            path: path.to_owned(),
            source,
        })?;
        super::configure(&conn)?;
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(super::threads::CHECKPOINT.into())
            .spawn(move || {
                let interval = Duration::from_millis(INTERVAL_MS);
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(interval) {
                    // A failed checkpoint (disk full, say) leaves the log as it is: it is tried
                    // again at the next interval, and nothing acknowledged depends on it.
                    let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                }
            })
            .map_err(|source| StoreError::Io {
                path: path.to_owned(),
                source,
            })?;
        Ok(Self {
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Stops after the checkpoint under way, if any.
    pub(super) fn stop(&mut self) {
        self.stop.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop();
    }
}
