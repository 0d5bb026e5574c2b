//! The store the UI reads, for both transports: `logbook serve`'s read API and the desktop app.
//!
//! Contract: a [`UiStore`] is the SQLite store the process writes (whose writer announces each
//! commit) or a team's PostgreSQL store, which the process only reads: each reader is a connection
//! of its own, as the URL's role (the reader's role of `logbook team roles` is enough), and live
//! views poll it and wake at once on every receiver's `NOTIFY` through the store's one
//! [`Listener`]. What only a SQLite store keeps (replays, pulls, forwarding) is not offered on a
//! team's store; [`NOT_ON_A_TEAM_STORE`] says why, in the same words on both transports.

use std::path::Path;
use std::sync::Arc;

use logbook_core::query::{PgReader, Reader};
use logbook_core::store::postgres::{self, notify::Listener};
use logbook_core::store::{Store, StoreError};

use crate::live::Wake;
use crate::types::ApiError;

/// Why a replay is not sent from a team's store.
pub const NOT_ON_A_TEAM_STORE: &str =
    "replays are sent from a SQLite store only, not from a team's PostgreSQL store";

/// The store the UI reads (see the module's contract).
#[derive(Clone)]
pub enum UiStore {
    Sqlite(Arc<Store>),
    Postgres {
        /// The store's URL, which readers connect with (it may hold the password: never shown).
        url: String,
        /// What the Status view calls it (without the password).
        target: String,
        /// Wakes the live views when any receiver stores something.
        listener: Arc<Listener>,
    },
}

impl From<Arc<Store>> for UiStore {
    fn from(store: Arc<Store>) -> Self {
        UiStore::Sqlite(store)
    }
}

impl UiStore {
    /// A new reader of this store.
    pub fn reader(&self) -> Result<Reader, ApiError> {
        Ok(match self {
            UiStore::Sqlite(store) => Reader::Sqlite(store.reader()?),
            UiStore::Postgres { url, .. } => Reader::Postgres(PgReader::connect(url)?),
        })
    }

    /// A PostgreSQL store for the UI, named `target`, with its listener started.
    pub fn postgres(url: &str, target: &str) -> Result<Self, StoreError> {
        Ok(UiStore::Postgres {
            url: url.to_owned(),
            target: target.to_owned(),
            listener: Arc::new(Listener::start(url)?),
        })
    }

    /// Opens the team store at `url` for reading only (nothing is created or migrated), with a first
    /// reader: an error, naming where it tried and never the password, when the server cannot be
    /// reached, refuses the role, or holds no Logbook store of this version.
    pub fn connect(url: &str) -> Result<(Self, Reader), StoreError> {
        let reader = PgReader::connect(url)?;
        let store = Self::postgres(url, &postgres::target(url)?)?;
        Ok((store, Reader::Postgres(reader)))
    }

    /// While this process's projection gives way to a burst, since when (Unix ms). A team's
    /// store is projected by whichever receiver holds its lock: `None`.
    pub fn giving_way_since(&self) -> Option<i64> {
        match self {
            UiStore::Sqlite(store) => store.projection_giving_way_since(),
            UiStore::Postgres { .. } => None,
        }
    }

    /// What tells a live view to look: the writer's announcements of what it committed (SQLite),
    /// or polling with the store's notifications (PostgreSQL).
    pub fn subscribe(&self) -> Wake {
        match self {
            UiStore::Sqlite(store) => Wake::Commits(store.subscribe()),
            UiStore::Postgres { listener, .. } => Wake::Poll(Some(listener.subscribe())),
        }
    }

    /// The database file, or the PostgreSQL store's target, for the Status view.
    pub fn database(&self) -> &Path {
        match self {
            UiStore::Sqlite(store) => store.path(),
            UiStore::Postgres { target, .. } => Path::new(target),
        }
    }

    /// Whether this is a team's PostgreSQL store.
    pub fn is_team(&self) -> bool {
        matches!(self, UiStore::Postgres { .. })
    }
}
