//! Two stored bodies compared: the structural diff of [`crate::body::diff`] between two events (two
//! turns, two calls, an original and its replay), for `logbook diff` and the UI's Compare view alike.

use serde::Serialize;
use serde_json::Value;

use super::QueryError;
use super::db::Db;
use super::event::{EventDetail, event};
use crate::body::{Change, diff};

/// One side of a comparison.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Side {
    pub id: i64,
    pub kind: String,
    pub received_at: i64,
    /// The event it replays, when it arrived as a replay.
    pub replay_of: Option<i64>,
}

/// What changed from the left event's body to the right one's.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Comparison {
    pub left: Side,
    pub right: Side,
    /// In document order; empty when the bodies are equal as JSON.
    pub changes: Vec<Change>,
}

/// Compares two events' bodies, each named as `logbook show event` takes it (a number, a log_id,
/// a global_session_id). A body that is not JSON (or a rejected request) cannot be compared.
pub fn compare<'a>(
    db: impl Into<Db<'a>>,
    left: &str,
    right: &str,
) -> Result<Comparison, QueryError> {
    let db = db.into();
    let (l, r) = (event(db, left)?, event(db, right)?);
    let (lb, rb) = (json_body(&l)?, json_body(&r)?);
    Ok(Comparison {
        changes: diff(lb, rb),
        left: side(&l),
        right: side(&r),
    })
}

fn json_body(e: &EventDetail) -> Result<&Value, QueryError> {
    if e.source != "accepted" {
        return Err(QueryError::BadRequest(format!(
            "r{} is a rejected request, not a stored event: only events are compared",
            e.id
        )));
    }
    e.body.as_ref().ok_or_else(|| {
        QueryError::BadRequest(format!(
            "event {}'s body is not JSON: there is no structure to compare",
            e.id
        ))
    })
}

fn side(e: &EventDetail) -> Side {
    Side {
        id: e.id,
        kind: e.kind.clone(),
        received_at: e.received_at,
        replay_of: e.replay_of,
    }
}
