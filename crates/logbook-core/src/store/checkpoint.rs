//! The checkpointer thread: copies the write-ahead log into the database file on a connection of
//! its own, a little at a time, so that the writer seldom does it inside a commit (a checkpoint of
//! the whole log writes and syncs thousands of pages: around 100 ms that acknowledgements waited for).
//! The event log has one, and so has the derived file, for its projector.
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

/// When a checkpointer copies the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum When {
    /// Every [`INTERVAL_MS`]: the event log's, whose log every acknowledgement adds to.
    Regularly,
    /// When asked ([`Checkpointer::asker`]): the derived file's, after each full projection batch.
    Asked,
}

pub(super) struct Checkpointer {
    /// Asks for a checkpoint now; dropping every sender stops the thread.
    ask: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// A checkpointer of the database file at `path`, in a thread called `name`.
    pub(super) fn start(path: &Path, name: &str, when: When) -> Result<Self, StoreError> {
        let conn = Connection::open(path).map_err(|source| StoreError::Open {
            path: path.to_owned(),
            source,
        })?;
        super::configure(&conn)?;
        let (ask, asked) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                let interval = Duration::from_millis(INTERVAL_MS);
                loop {
                    let go = if when == When::Regularly {
                        matches!(
                            asked.recv_timeout(interval),
                            Ok(()) | Err(RecvTimeoutError::Timeout)
                        )
                    } else {
                        asked.recv().is_ok()
                    };
                    if !go {
                        break;
                    }
                    // One checkpoint answers every ask so far.
                    while asked.try_recv().is_ok() {}
                    // A failed checkpoint (disk full, say) leaves the log as it is: it is tried
                    // again next time, and nothing acknowledged depends on it.
                    let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                }
            })
            .map_err(|source| StoreError::Io {
                path: path.to_owned(),
                source,
            })?;
        Ok(Self {
            ask: Some(ask),
            thread: Some(thread),
        })
    }

    /// A way to ask for a checkpoint now. The thread stops once this, too, is dropped.
    pub(super) fn asker(&self) -> Option<Sender<()>> {
        self.ask.clone()
    }

    /// Stops after the checkpoint under way, if any (and once every [`Self::asker`] is dropped).
    pub(super) fn stop(&mut self) {
        self.ask.take();
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
