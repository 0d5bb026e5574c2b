//! Custom data across calls: which `injected_custom_data` keys occur, their values, and the calls
//! that carry a key or a key=value pair. Values are stored as JSON text in `call_custom_data.value`.

use std::time::Duration;

use rusqlite::types::Value as SqlValue;
use serde::Serialize;
use serde_json::Value;

use super::db::{Db, Dialect};
use super::{QUERY_DEADLINE_MS, QueryError, with_deadline};

/// One custom-data key and how often it occurs.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct KeyCount {
    pub key: String,
    /// Calls whose record carries the key.
    pub calls: i64,
    /// Distinct values of the key across those calls.
    pub distinct_values: i64,
}

/// One value of a key and the calls that carry it.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ValueCount {
    /// The value as JSON (a stored text that is not valid JSON comes back as a string).
    pub value: Value,
    pub calls: i64,
}

/// A call that matched, for a list.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct CallMatch {
    pub event_id: i64,
    pub global_session_id: Option<String>,
    pub start_ts: Option<String>,
    /// `start_ts` as Unix milliseconds (the store uses the arrival time when the record has none).
    pub start_at: Option<i64>,
    pub duration_ms: Option<i64>,
    pub end_reason: Option<String>,
    pub caller: Option<String>,
}

impl CallMatch {
    /// The `before` cursor that continues a list after this row. A call without a start time sorts
    /// last, as if it started at `i64::MIN`.
    pub fn cursor(&self) -> (i64, i64) {
        (self.start_at.unwrap_or(i64::MIN), self.event_id)
    }
}

/// Every key of `injected_custom_data` across calls, most common first, then by key.
pub fn keys<'a>(db: impl Into<Db<'a>>) -> Result<Vec<KeyCount>, QueryError> {
    let db = db.into();
    with_deadline(db, Duration::from_millis(QUERY_DEADLINE_MS), || {
        db.rows(&keys_sql(db.dialect()), &[], |r| {
            Ok(KeyCount {
                key: r.get(0)?,
                calls: r.get(1)?,
                distinct_values: r.get(2)?,
            })
        })
    })
}

/// The values of one key with the number of calls carrying each, most common first, then by the
/// value's JSON text; at most `limit`.
pub fn values<'a>(
    db: impl Into<Db<'a>>,
    key: &str,
    limit: usize,
) -> Result<Vec<ValueCount>, QueryError> {
    let db = db.into();
    with_deadline(db, Duration::from_millis(QUERY_DEADLINE_MS), || {
        let params = [SqlValue::Text(key.to_owned()), sql_limit(limit).into()];
        db.rows(&values_sql(db.dialect()), &params, |r| {
            let text: String = r.get(0)?;
            Ok(ValueCount {
                value: serde_json::from_str(&text).unwrap_or(Value::String(text)),
                calls: r.get(1)?,
            })
        })
    })
}

/// The calls carrying `key` (with any value when `value` is `None`, else with that value as the
/// user typed it: see [`value_candidates`]), newest first by `(start_at, event_id)`; `before` is
/// the [`CallMatch::cursor`] of the last row of the previous page.
pub fn calls_with<'a>(
    db: impl Into<Db<'a>>,
    key: &str,
    value: Option<&str>,
    limit: usize,
    before: Option<(i64, i64)>,
) -> Result<Vec<CallMatch>, QueryError> {
    let db = db.into();
    with_deadline(db, Duration::from_millis(QUERY_DEADLINE_MS), || {
        let (before_at, before_id) = before.unzip();
        let mut params = vec![
            SqlValue::Text(key.to_owned()),
            before_at.into(),
            before_id.into(),
            sql_limit(limit).into(),
        ];
        let map = |r: &super::db::Row<'_>| {
            Ok(CallMatch {
                event_id: r.get(0)?,
                global_session_id: r.get(1)?,
                start_ts: r.get(2)?,
                start_at: r.get(3)?,
                duration_ms: r.get(4)?,
                end_reason: r.get(5)?,
                caller: r.get(6)?,
            })
        };
        match value {
            None => db.rows(CALLS_WITH_KEY_SQL, &params, map),
            Some(value) => {
                let candidates = value_candidates(value);
                let second = candidates.get(1).unwrap_or(&candidates[0]).clone();
                params.push(SqlValue::Text(candidates[0].clone()));
                params.push(SqlValue::Text(second));
                db.rows(CALLS_WITH_VALUE_SQL, &params, map)
            }
        }
    })
}

/// The stored JSON texts a value typed by a user matches: the text as a JSON string (`pay_bill`
/// → `"pay_bill"`), and, when it is itself valid JSON, that JSON in the stored (compact) form
/// (`true`, `42.50` → `42.5`, `"pay_bill"`). One or two texts, the string form first.
pub fn value_candidates(value: &str) -> Vec<String> {
    let mut out = vec![Value::String(value.to_owned()).to_string()];
    if let Ok(json) = serde_json::from_str::<Value>(value.trim()) {
        let text = json.to_string();
        if !out.contains(&text) {
            out.push(text);
        }
    }
    out
}

fn sql_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

/// Keys that tie are sorted by their bytes ([`Dialect::text_key`]).
fn keys_sql(dialect: Dialect) -> String {
    format!(
        "SELECT key, count(*) AS calls, count(DISTINCT value)
         FROM call_custom_data GROUP BY key ORDER BY calls DESC, {}",
        dialect.text_key("key")
    )
}

/// `?1` the key, `?2` the limit; values that tie are sorted by their bytes.
fn values_sql(dialect: Dialect) -> String {
    format!(
        "SELECT value, count(*) AS calls FROM call_custom_data WHERE key = ?1
         GROUP BY value ORDER BY calls DESC, {} LIMIT ?2",
        dialect.text_key("value")
    )
}

/// `?2, ?3`: the cursor, both NULL on the first page.
const CALLS_WITH_KEY_SQL: &str = "SELECT c.event_id, c.global_session_id, c.start_ts, c.start_at,
        c.duration_ms, c.end_reason, c.caller
     FROM call_custom_data d JOIN calls c ON c.event_id = d.event_id
     WHERE d.key = ?1
       AND (?2 IS NULL OR (coalesce(c.start_at, -9223372036854775808), c.event_id) < (?2, ?3))
     ORDER BY coalesce(c.start_at, -9223372036854775808) DESC, c.event_id DESC
     LIMIT ?4";

const CALLS_WITH_VALUE_SQL: &str = "SELECT c.event_id, c.global_session_id, c.start_ts, c.start_at,
        c.duration_ms, c.end_reason, c.caller
     FROM call_custom_data d JOIN calls c ON c.event_id = d.event_id
     WHERE d.key = ?1 AND d.value IN (?5, ?6)
       AND (?2 IS NULL OR (coalesce(c.start_at, -9223372036854775808), c.event_id) < (?2, ?3))
     ORDER BY coalesce(c.start_at, -9223372036854775808) DESC, c.event_id DESC
     LIMIT ?4";

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::import::import_files;
    use crate::query::call::tests::{CALL_12, sample_store};

    #[test]
    fn keys_and_values_of_the_samples() {
        let (_dir, _store, conn) = sample_store();
        let k = keys(&conn).unwrap();
        let expected: Vec<KeyCount> = [
            "account_verified",
            "call_reason",
            "ivr_menu",
            "payment_amount",
        ]
        .iter()
        .map(|key| KeyCount {
            key: (*key).to_owned(),
            calls: 1,
            distinct_values: 1,
        })
        .collect();
        assert_eq!(k, expected);
        assert_eq!(
            values(&conn, "account_verified", 10).unwrap(),
            vec![ValueCount {
                value: json!(true),
                calls: 1
            }]
        );
        assert_eq!(
            values(&conn, "payment_amount", 10).unwrap(),
            vec![ValueCount {
                value: json!(42.5),
                calls: 1
            }]
        );
        assert_eq!(values(&conn, "nope", 10).unwrap(), vec![]);
        assert_eq!(values(&conn, "call_reason", 0).unwrap(), vec![]);
    }

    #[test]
    fn calls_with_a_key_or_value() {
        let (_dir, _store, conn) = sample_store();
        let only_12 = |rows: Vec<CallMatch>| {
            assert_eq!(rows.len(), 1, "{rows:?}");
            assert_eq!(rows[0].global_session_id.as_deref(), Some(CALL_12));
            assert_eq!(
                rows[0].start_ts.as_deref(),
                Some("2026-03-10T15:30:03.962Z")
            );
            assert_eq!(rows[0].duration_ms, Some(27513));
            assert_eq!(rows[0].end_reason.as_deref(), Some("assistant_hangup"));
            assert_eq!(rows[0].caller.as_deref(), Some("+18885550146"));
        };
        only_12(calls_with(&conn, "account_verified", Some("true"), 10, None).unwrap());
        only_12(calls_with(&conn, "call_reason", Some("pay_bill"), 10, None).unwrap());
        only_12(calls_with(&conn, "call_reason", Some("\"pay_bill\""), 10, None).unwrap());
        only_12(calls_with(&conn, "payment_amount", Some("42.50"), 10, None).unwrap());
        only_12(calls_with(&conn, "ivr_menu", None, 10, None).unwrap());
        assert_eq!(
            calls_with(&conn, "account_verified", Some("false"), 10, None).unwrap(),
            vec![]
        );
        assert_eq!(
            calls_with(&conn, "call_reason", Some("pay"), 10, None).unwrap(),
            vec![]
        );
        assert_eq!(calls_with(&conn, "nope", None, 10, None).unwrap(), vec![]);
    }

    /// A call carrying `plan` and `tier`; without a start time, the store files it at its arrival.
    fn cdr(gsid: &str, start: Option<&str>, plan: &str) -> Value {
        let mut call = json!({"milliseconds_elapsed": 1000, "end_reason": "callerHangup"});
        if let Some(start) = start {
            call["start_timestamp"] = json!(start);
        }
        json!({
            "event": {"name": "cdr_logged"},
            "payload": {
                "global_session_id": gsid,
                "call": call,
                "injected_custom_data": {"plan": plan, "tier": 2}
            }
        })
    }

    #[test]
    fn keyset_paging() {
        let (dir, store, conn) = sample_store();
        let bodies = [
            cdr("p1", Some("2026-03-11T10:00:00.000Z"), "gold"),
            cdr("p2", Some("2026-03-12T10:00:00.000Z"), "gold"),
            cdr("p3", Some("2026-03-11T10:00:00.000Z"), "silver"),
            cdr("p4", None, "gold"),
        ];
        let lines: Vec<String> = bodies.iter().map(Value::to_string).collect();
        let file = dir.path().join("more.ndjson");
        std::fs::write(&file, lines.join("\n")).unwrap();
        assert_eq!(import_files(&store, &[file], &|_| {}).unwrap().stored, 4);

        // Newest first; p4 has no start time, so it counts as starting when it arrived (now); p1
        // and p3 share a start time, so the later event id comes first.
        let mut pages = Vec::new();
        let mut before = None;
        loop {
            let page = calls_with(&conn, "plan", None, 2, before).unwrap();
            if page.is_empty() {
                break;
            }
            before = Some(page.last().unwrap().cursor());
            pages.push(
                page.iter()
                    .map(|c| c.global_session_id.clone().unwrap())
                    .collect::<Vec<_>>(),
            );
        }
        assert_eq!(pages, [vec!["p4", "p2"], vec!["p3", "p1"]]);

        let gold: Vec<_> = calls_with(&conn, "plan", Some("gold"), 10, None)
            .unwrap()
            .into_iter()
            .map(|c| c.global_session_id.unwrap())
            .collect();
        assert_eq!(gold, ["p4", "p2", "p1"]);
        let first = calls_with(&conn, "plan", Some("gold"), 1, None).unwrap();
        let rest: Vec<_> = calls_with(&conn, "plan", Some("gold"), 10, Some(first[0].cursor()))
            .unwrap()
            .into_iter()
            .map(|c| c.global_session_id.unwrap())
            .collect();
        assert_eq!(rest, ["p2", "p1"]);
        assert_eq!(
            calls_with(&conn, "tier", Some("2"), 10, None)
                .unwrap()
                .len(),
            4
        );

        assert_eq!(
            values(&conn, "plan", 10).unwrap(),
            vec![
                ValueCount {
                    value: json!("gold"),
                    calls: 3
                },
                ValueCount {
                    value: json!("silver"),
                    calls: 1
                }
            ]
        );
        assert_eq!(values(&conn, "plan", 1).unwrap().len(), 1);
        let k = keys(&conn).unwrap();
        assert_eq!(
            k[..2],
            [
                KeyCount {
                    key: "plan".into(),
                    calls: 4,
                    distinct_values: 2
                },
                KeyCount {
                    key: "tier".into(),
                    calls: 4,
                    distinct_values: 1
                }
            ]
        );
        assert_eq!(k.len(), 6);
    }

    #[test]
    fn typed_values_match_string_or_literal() {
        assert_eq!(value_candidates("pay_bill"), ["\"pay_bill\""]);
        assert_eq!(value_candidates("true"), ["\"true\"", "true"]);
        assert_eq!(value_candidates("42.50"), ["\"42.50\"", "42.5"]);
        assert_eq!(value_candidates("\"x\""), ["\"\\\"x\\\"\"", "\"x\""]);
    }

    #[test]
    fn value_lookups_use_the_index() {
        let (_dir, _store, conn) = sample_store();
        for sql in [
            &values_sql(Dialect::Sqlite),
            CALLS_WITH_KEY_SQL,
            CALLS_WITH_VALUE_SQL,
        ] {
            let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
            let n = stmt.parameter_count();
            let args: Vec<rusqlite::types::Value> =
                (0..n).map(|_| rusqlite::types::Value::Null).collect();
            let plan: Vec<String> = stmt
                .query_map(rusqlite::params_from_iter(args), |r| r.get(3))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert!(
                plan.iter().any(|s| s.contains("call_custom_data_key")),
                "{sql}\n{plan:#?}"
            );
            assert!(
                plan.iter().all(|s| !s.starts_with("SCAN")),
                "{sql}\n{plan:#?}"
            );
        }
    }
}
