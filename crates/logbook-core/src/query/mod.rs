//! Questions asked of the store: search, conversations, calls, custom data and trends.
//!
//! Contract: every function takes a read-only connection and never writes; every SQL statement binds
//! its parameters (column names come from allow-lists only); list queries page by keyset, never
//! OFFSET; and everything runs under a deadline, after which SQLite is interrupted and the caller gets
//! [`QueryError::Timeout`] (a facet that runs out of time is reported as such instead).

pub mod call;
pub mod compare;
pub mod conversation;
pub mod count;
pub mod custom;
pub mod event;
pub mod filter;
pub mod hits;
pub mod live;
pub mod parse;
pub mod search;
pub mod trends;
pub mod values;

use std::time::{Duration, Instant};

use rusqlite::Connection;

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
}

impl From<rusqlite::Error> for QueryError {
    fn from(err: rusqlite::Error) -> Self {
        match err.sqlite_error_code() {
            Some(rusqlite::ErrorCode::OperationInterrupted) => Self::Timeout(QUERY_DEADLINE_MS),
            _ => Self::Sqlite(err),
        }
    }
}

/// Runs `f` with SQLite interrupted once `limit` has passed.
pub fn with_deadline<T>(
    conn: &Connection,
    limit: Duration,
    f: impl FnOnce() -> Result<T, QueryError>,
) -> Result<T, QueryError> {
    let started = Instant::now();
    conn.progress_handler(1_000, Some(move || started.elapsed() > limit))?;
    let result = f();
    conn.progress_handler(0, None::<fn() -> bool>)?;
    match result {
        Err(QueryError::Timeout(_)) => Err(QueryError::Timeout(limit.as_millis() as u64)),
        other => other,
    }
}
