//! The values a qualifier can take, for completing `intent:pa…` or `channel:…` as the user types:
//! the stored values starting with what was typed (any case), most frequent first, each with what a
//! person calls it (an intent's action title). Counted under a short deadline: completion is a hint,
//! and an answer that would take longer comes back empty instead of holding up the typing.

use std::time::Duration;

use rusqlite::types::Value;
use serde::Serialize;

use super::db::{Db, Dialect};
use super::{QueryError, with_deadline};

/// How long one completion may count.
pub const VALUES_DEADLINE_MS: u64 = 300;

/// One value a qualifier can take.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ValueHint {
    /// The value as the qualifier takes it.
    pub value: String,
    /// What a person calls it, when that differs (an intent's action title).
    pub label: Option<String>,
    /// How many rows carry it.
    pub count: i64,
}

/// For each qualifier: the statement listing its values. `?1` is the typed start (`LIKE` pattern),
/// `?2` the same anywhere in a label; each row is (value, label, count). `LIKE` and `NOCASE` are
/// replaced by the dialect's ([`Dialect::like`], [`Dialect::any_case`]).
const SOURCES: &[(&str, &str)] = &[
    (
        "intent",
        "SELECT intent, max(title), count(*) FROM message_intents
         WHERE intent LIKE ?1 ESCAPE '\\' OR title LIKE ?2 ESCAPE '\\' GROUP BY intent",
    ),
    (
        "action",
        "SELECT min(title), NULL, count(DISTINCT event_id) FROM message_actions
         WHERE title LIKE ?1 ESCAPE '\\' OR title LIKE ?2 ESCAPE '\\' GROUP BY NOCASE(title)",
    ),
    (
        "channel",
        "SELECT channel, NULL, count(*) FROM conversations WHERE channel LIKE ?1 ESCAPE '\\' GROUP BY channel",
    ),
    (
        "end_reason",
        "SELECT end_reason, NULL, count(*) FROM calls WHERE end_reason LIKE ?1 ESCAPE '\\' GROUP BY end_reason",
    ),
    (
        "failure",
        "SELECT failure_details, NULL, count(*) FROM calls
         WHERE failure_details LIKE ?2 ESCAPE '\\' GROUP BY failure_details",
    ),
    (
        "warning",
        "SELECT code, max(message), count(DISTINCT event_id) FROM call_warnings
         WHERE code LIKE ?1 ESCAPE '\\' GROUP BY code",
    ),
    (
        "type",
        "SELECT response_type, NULL, count(*) FROM message_responses
         WHERE response_type LIKE ?1 ESCAPE '\\' GROUP BY response_type",
    ),
    (
        "entity",
        "SELECT entity, NULL, count(*) FROM message_entities WHERE entity LIKE ?1 ESCAPE '\\' GROUP BY entity",
    ),
    (
        "endpoint",
        "SELECT endpoint, NULL, count(*) FROM events
         WHERE endpoint IS NOT NULL AND endpoint LIKE ?1 ESCAPE '\\' GROUP BY endpoint",
    ),
];

/// A statement of [`SOURCES`] in `dialect`, its value (the first column) sorted and chosen by its
/// bytes ([`Dialect::text_key`]).
fn in_dialect(sql: &str, dialect: Dialect) -> String {
    let (value, rest) = sql
        .strip_prefix("SELECT ")
        .and_then(|s| s.split_once(", "))
        .expect("a source selects its value first");
    format!("SELECT {}, {rest}", dialect.text_key(value))
        .replace(" LIKE ", &format!(" {} ", dialect.like()))
        .replace("NOCASE(title)", &dialect.any_case("title"))
        // (Titles grouped without regard to case are shown by their least, in bytes.)
        .replace("min(title)", &format!("min({})", dialect.text_key("title")))
}

/// The qualifiers that take one of two words.
const BOOLEANS: &[&str] = &["failed", "transferred", "verified", "barge_in"];

/// The values of qualifier `key` (without its `:`) starting with `prefix`, most frequent first. An
/// unknown key, or one whose values are not a list (dates, ids), has none.
pub fn values<'a>(
    db: impl Into<Db<'a>>,
    key: &str,
    prefix: &str,
    limit: usize,
) -> Result<Vec<ValueHint>, QueryError> {
    let db = db.into();
    let key = key.to_ascii_lowercase();
    if BOOLEANS.contains(&key.as_str()) {
        return Ok(["true", "false"]
            .into_iter()
            .filter(|v| v.starts_with(&prefix.to_ascii_lowercase()))
            .map(|v| ValueHint {
                value: v.to_owned(),
                label: None,
                count: 0,
            })
            .collect());
    }
    let Some((_, sql)) = SOURCES.iter().find(|(k, _)| *k == key) else {
        return Ok(Vec::new());
    };
    let escaped = prefix
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    let sql = format!(
        "{} ORDER BY 3 DESC, 1 LIMIT {}",
        in_dialect(sql, db.dialect()),
        limit.clamp(1, 100)
    );
    let result = with_deadline(db, Duration::from_millis(VALUES_DEADLINE_MS), || {
        let patterns = [
            Value::Text(format!("{escaped}%")),
            Value::Text(format!("%{escaped}%")),
        ];
        // Only the patterns the statement uses are bound.
        let used = if sql.contains("?2") { 2 } else { 1 };
        db.rows(&sql, &patterns[..used], |r| {
            Ok(ValueHint {
                value: r.get(0)?,
                label: r.get(1)?,
                count: r.get(2)?,
            })
        })
    });
    match result {
        Err(QueryError::Timeout(_)) => Ok(Vec::new()),
        other => other,
    }
}
