//! Questions asked of the store: search, conversations, calls, custom data and trends.
//!
//! Contract: every function reads a store through the [`db::Db`] seam (a read-only SQLite connection
//! or a PostgreSQL reader, the same SQL text for both) and never writes; the same query gives the
//! same rows in the same order on both stores. Every SQL statement binds its parameters (column
//! names come from allow-lists only); list queries page by keyset, never OFFSET; and everything runs
//! under a deadline, after which the statement is stopped and the caller gets
//! [`QueryError::Timeout`] (a facet that runs out of time is reported as such instead).

pub mod call;
pub mod compare;
pub mod conversation;
pub mod count;
pub mod custom;
pub mod db;
pub mod event;
pub mod filter;
pub mod hits;
pub mod live;
pub mod parse;
pub mod search;
pub mod trends;
pub mod values;
pub mod words;

use std::time::Duration;

pub use db::{Db, Dialect, PgReader, PgWriter, Reader};

/// How long one list or detail query may run.
pub const QUERY_DEADLINE_MS: u64 = 2_000;

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("{0}")]
    Parse(#[from] parse::ParseError),
    #[error("{0} not found")]
    NotFound(String),
    #[error("the query took longer than {0} ms; narrow it down")]
    Timeout(u64),
    #[error("the page cursor is not valid; start from the first page")]
    BadCursor,
    /// A request the query language accepts but that cannot be answered as asked.
    #[error("{0}")]
    BadRequest(String),
    #[error("database error: {0}")]
    Sqlite(rusqlite::Error),
    #[error("database error: {0}")]
    Postgres(postgres::Error),
}

impl From<rusqlite::Error> for QueryError {
    fn from(err: rusqlite::Error) -> Self {
        match err.sqlite_error_code() {
            Some(rusqlite::ErrorCode::OperationInterrupted) => Self::Timeout(QUERY_DEADLINE_MS),
            _ => Self::Sqlite(err),
        }
    }
}

/// Runs `f` with every statement on `db` stopped once `limit` has passed ([`Db::with_deadline`]).
pub fn with_deadline<'a, T>(
    db: impl Into<Db<'a>>,
    limit: Duration,
    f: impl FnOnce() -> Result<T, QueryError>,
) -> Result<T, QueryError> {
    db.into().with_deadline(limit, f)
}
