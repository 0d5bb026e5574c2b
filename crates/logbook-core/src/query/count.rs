//! How many rows a list holds for a query: exact when counting is cheap, else a marked estimate that
//! the user can replace by an exact count on request.
//!
//! A list shows its first page at once and pages by keyset, so it never knows its length by itself.
//! [`total`] counts under [`COUNT_BUDGET_MS`]; past it, it estimates from the density of matches
//! among the newest rows ([`ESTIMATE_SAMPLE`] of them, read in key order through the indexes the
//! list itself uses) scaled to the rows of the whole table. With `exact`, it counts to the end
//! under [`EXACT_COUNT_DEADLINE_MS`].

use std::time::Duration;

use serde::Serialize;

use super::db::{Db, Dialect};
use super::filter::{self, Sql, Subject};
use super::parse::{self, Query};
use super::search::{EVENT_FROM, ListSql, driven};
use super::{QueryError, with_deadline};

/// How long a list's count may take before it is estimated instead.
pub const COUNT_BUDGET_MS: u64 = 250;
/// How long an exact count, asked for, may take.
pub const EXACT_COUNT_DEADLINE_MS: u64 = 30_000;
/// Matches read to estimate their density.
pub const ESTIMATE_SAMPLE: i64 = 2_500;

/// The number of rows of a list.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Total {
    pub count: i64,
    /// `false`: an estimate (counting every match would have taken too long).
    pub exact: bool,
}

/// One subject's rows for counting: the list's FROM clause, its key, and the table it scales by.
struct Side {
    subject: Subject,
    base: &'static str,
    key: &'static str,
    /// The table the rows are a subset of, and its key (for the estimate).
    table: &'static str,
    table_key: &'static str,
}

impl Side {
    /// Every row of this side that `query` matches, newest first (as the list reads them).
    fn list(&self, query: &Query, dialect: Dialect) -> ListSql {
        driven(
            query,
            self.subject,
            self.base,
            self.key,
            i64::MAX,
            false,
            dialect,
        )
    }
}

const MESSAGES: Side = Side {
    subject: Subject::Messages,
    base: "messages m JOIN events e ON e.id = m.event_id",
    key: "m.event_id",
    table: "messages",
    table_key: "event_id",
};
const CALLS: Side = Side {
    subject: Subject::Calls,
    base: "calls c JOIN events e ON e.id = c.event_id",
    key: "c.event_id",
    table: "calls",
    table_key: "event_id",
};
const EVENTS: Side = Side {
    subject: Subject::Events,
    base: EVENT_FROM,
    key: "e.id",
    table: "events",
    table_key: "id",
};

/// The rows the list of `subject` holds for `query_text`.
pub fn total<'a>(
    db: impl Into<Db<'a>>,
    query_text: &str,
    subject: Subject,
    exact: bool,
) -> Result<Total, QueryError> {
    let db = db.into();
    let query = parse::parse(query_text, chrono::Utc::now())?;
    let limit = Duration::from_millis(if exact {
        EXACT_COUNT_DEADLINE_MS
    } else {
        COUNT_BUDGET_MS
    });
    let counted = with_deadline(db, limit, || count_all(db, &query, subject));
    match counted {
        Ok(count) => Ok(Total { count, exact: true }),
        Err(QueryError::Timeout(_)) if !exact => estimate(db, &query, subject),
        Err(err) => Err(err),
    }
}

fn count(db: Db<'_>, from: &str, cond: Sql) -> Result<i64, QueryError> {
    let sql = format!("SELECT count(*) FROM {from} WHERE {}", cond.text);
    db.row(&sql, &cond.params, |r| r.get(0))
}

fn count_all(db: Db<'_>, query: &Query, subject: Subject) -> Result<i64, QueryError> {
    match subject {
        Subject::Messages => count_side(db, query, &MESSAGES),
        Subject::Calls => count_side(db, query, &CALLS),
        Subject::Conversations => count(
            db,
            "conversations v",
            conversations_cond(query, db.dialect()),
        ),
        Subject::Events => {
            let events = if filter::wants_events(query) {
                count_side(db, query, &EVENTS)?
            } else {
                0
            };
            Ok(events + count_rejections(db, query)?)
        }
    }
}

fn count_side(db: Db<'_>, query: &Query, side: &Side) -> Result<i64, QueryError> {
    let list = side.list(query, db.dialect());
    count(db, &list.from, list.cond)
}

fn count_rejections(db: Db<'_>, query: &Query) -> Result<i64, QueryError> {
    match filter::rejection_filter(query) {
        Some(cond) => count(db, "rejections r", cond),
        None => Ok(0),
    }
}

/// The conversations list's condition (a conversation matches when any of its turns does).
pub(crate) fn conversations_cond(query: &Query, dialect: Dialect) -> Sql {
    if query.is_empty() {
        return filter::and_all(Vec::new());
    }
    let inner = filter::compile(query, Subject::Conversations, dialect);
    Sql {
        text: format!(
            "EXISTS (SELECT 1 FROM messages m JOIN events e ON e.id = m.event_id
                     WHERE m.session_id = v.session_id AND ({}))",
            inner.text
        ),
        params: inner.params,
    }
}

/// The density of matches among the newest rows, times the rows of the table (what [`total`] says
/// when counting takes too long; public so that its accuracy can be tested).
pub fn estimate<'a>(
    db: impl Into<Db<'a>>,
    query: &Query,
    subject: Subject,
) -> Result<Total, QueryError> {
    let db = db.into();
    let limit = Duration::from_millis(COUNT_BUDGET_MS);
    with_deadline(db, limit, || {
        let side = match subject {
            Subject::Messages => &MESSAGES,
            Subject::Calls => &CALLS,
            // A conversation's turns are messages: the share of matching messages stands for it.
            Subject::Conversations => &MESSAGES,
            Subject::Events => &EVENTS,
        };
        let list = side.list(query, db.dialect());
        let sql = format!(
            "SELECT count(*), min(k) FROM (SELECT {} AS k FROM {} WHERE {} ORDER BY {} LIMIT {ESTIMATE_SAMPLE}) AS newest",
            side.key, list.from, list.cond.text, list.order
        );
        let (n, oldest): (i64, Option<i64>) =
            db.row(&sql, &list.cond.params, |r| Ok((r.get(0)?, r.get(1)?)))?;
        let Some(oldest) = oldest else {
            return Ok(Total {
                count: 0,
                exact: true,
            });
        };
        let mut count = if n < ESTIMATE_SAMPLE {
            // Every match was read: this is the count (rejections are counted apart).
            if subject == Subject::Events {
                return Ok(Total {
                    count: n + count_rejections(db, query)?,
                    exact: true,
                });
            }
            if subject == Subject::Calls || subject == Subject::Messages {
                return Ok(Total {
                    count: n,
                    exact: true,
                });
            }
            n
        } else {
            let (table, key) = (side.table, side.table_key);
            let (all, newer): (i64, i64) = db.row(
                &format!("SELECT count(*), count(*) FILTER (WHERE {key} >= ?1) FROM {table}"),
                &[oldest.into()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            (n as f64 / newer.max(1) as f64 * all as f64).round() as i64
        };
        if subject == Subject::Conversations {
            // Matching turns per conversation, as the store's conversations have turns.
            let (conversations, turns): (i64, i64) = db.row(
                "SELECT count(*), coalesce(sum(turns), 0) FROM conversations",
                &[],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            count = (count as f64 * conversations as f64 / turns.max(1) as f64).round() as i64;
        }
        Ok(Total {
            count: count.max(1),
            exact: false,
        })
    })
}
