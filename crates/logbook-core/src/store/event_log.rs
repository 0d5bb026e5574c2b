//! The seam between the receiver and the store that acknowledges what it receives: the SQLite
//! [`Store`] (the default, one file on this machine) or the PostgreSQL [`PgStore`] (team mode, any
//! number of receivers on one database), chosen by the store URL ([`is_postgres_url`]).
//!
//! Both keep the same contract: a submission returns only after the transaction holding it has
//! committed durably; concurrent submissions are committed together; a second delivery of an event
//! (same dedup key) is answered [`Outcome::Duplicate`] with the first delivery's id.

use super::postgres::PgStore;
pub use super::postgres::is_postgres_url;
use super::{NewEvent, NewRejection, Outcome, Store, StoreError};

/// Where accepted events and refused requests are stored, durably, before they are answered.
pub trait EventLog: Send + Sync {
    /// Stores an accepted event; returns after its commit.
    fn submit_event(&self, event: NewEvent) -> Result<Outcome, StoreError>;
    /// Stores many accepted events (an import), each as [`EventLog::submit_event`] would, committed
    /// together as the writer groups them; returns after the last commit, one outcome per event.
    fn submit_events(&self, events: Vec<NewEvent>) -> Vec<Result<Outcome, StoreError>>;
    /// Keeps a refused request (bounded); returns after its commit.
    fn submit_rejection(&self, rejection: NewRejection) -> Result<(), StoreError>;
}

impl EventLog for Store {
    fn submit_event(&self, event: NewEvent) -> Result<Outcome, StoreError> {
        Store::submit_event(self, event)
    }

    fn submit_events(&self, events: Vec<NewEvent>) -> Vec<Result<Outcome, StoreError>> {
        Store::submit_events(self, events)
    }

    fn submit_rejection(&self, rejection: NewRejection) -> Result<(), StoreError> {
        Store::submit_rejection(self, rejection)
    }
}

impl EventLog for PgStore {
    fn submit_event(&self, event: NewEvent) -> Result<Outcome, StoreError> {
        PgStore::submit_event(self, event)
    }

    fn submit_events(&self, events: Vec<NewEvent>) -> Vec<Result<Outcome, StoreError>> {
        PgStore::submit_events(self, events)
    }

    fn submit_rejection(&self, rejection: NewRejection) -> Result<(), StoreError> {
        PgStore::submit_rejection(self, rejection)
    }
}
