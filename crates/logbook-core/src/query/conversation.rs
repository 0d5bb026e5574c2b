//! Opening one conversation: every turn of a `session_id`, in order, read back from the stored bodies.
//!
//! Two statements do the work, both on indexes: the turns (`messages_session`, joined to `events` for
//! the body), and the call records they belong to (`call_turns_log` by log_id, `calls_sip` by SIP
//! Call-ID). Everything else is read from each turn's body, leniently: a field of a surprising type or
//! a missing part leaves that piece empty and never fails the conversation; a body that is not JSON
//! gives a turn with nothing but its stored columns.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use rusqlite::types::Value as SqlValue;
use serde::Serialize;
use serde_json::{Map, Value};

use super::db::{Db, Dialect};
use super::{QUERY_DEADLINE_MS, QueryError, with_deadline};
use crate::store::stored_body::unpack;
use crate::watson::json::{array, at, boolean, number, object, object_at, string, timestamp_ms};
pub use crate::watson::response::{
    Choice, Citation, EntityHit, LogMessage, OutputItem, Scored, SearchHit, Visit,
};
use crate::watson::response::{
    actions, entity_hit, intent, intent_title, log_message, output_item, visits,
};

/// One conversation (one `session_id`) with its turns and the calls it belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Conversation {
    pub session_id: String,
    /// The first value present, in turn order (likewise the next four fields).
    pub user_id: Option<String>,
    pub assistant_id: Option<String>,
    pub skill_id: Option<String>,
    pub channel: Option<String>,
    pub customer_id: Option<String>,
    /// The earliest and latest `request_timestamp`, as the payload wrote them.
    pub first_at: Option<String>,
    pub last_at: Option<String>,
    pub turns: Vec<Turn>,
    /// Call records linked to any turn by log_id or by SIP Call-ID, each once, by start time.
    pub calls: Vec<CallLink>,
}

/// A call record this conversation belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct CallLink {
    /// The `cdr_logged` event.
    pub event_id: i64,
    pub global_session_id: Option<String>,
    pub start_ts: Option<String>,
    pub duration_ms: Option<i64>,
    /// Normalised (`caller_hangup`, `assistant_transfer`, …).
    pub end_reason: Option<String>,
}

/// One `message_logged` event of the conversation.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Turn {
    pub event_id: i64,
    pub log_id: Option<String>,
    pub turn_count: Option<i64>,
    pub request_ts: Option<String>,
    pub response_ts: Option<String>,
    /// When the receiver stored it, Unix ms.
    pub received_at: i64,
    /// `response_timestamp` − `request_timestamp`, when both parse.
    pub latency_ms: Option<i64>,
    /// `response.context.global.session_id`, when it differs from the conversation's `session_id`.
    pub session_mismatch: Option<String>,
    pub input: UserInput,
    /// `response.output.generic`, in order.
    pub outputs: Vec<OutputItem>,
    pub intents: Vec<Scored>,
    pub entities: Vec<EntityHit>,
    /// `output.debug.nodes_visited` and `output.debug.turn_events`, in payload order.
    pub visited: Vec<Visit>,
    /// `output.debug.log_messages`.
    pub log_messages: Vec<LogMessage>,
    /// Context variables compared with the previous turn: changes first, then the unchanged ones.
    pub context: Vec<ContextVar>,
    /// The call turn with this turn's log_id, once the call record has arrived.
    pub call_turn: Option<CallTurnLink>,
}

/// What the user sent (`request.input`).
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct UserInput {
    /// `text`, `speech`, `dtmf`, `search`, … (`unknown` when the body says nothing).
    pub kind: String,
    pub text: Option<String>,
    /// The first speech-to-text alternative's confidence.
    pub stt_confidence: Option<f64>,
    /// Every alternative of every `speech_to_text_result.results[]`, in order.
    pub stt_alternatives: Vec<SttAlternative>,
    /// `input.integrations.voice_telephony.barge_in_occurred`.
    pub barge_in: Option<bool>,
    pub suggestion_id: Option<String>,
    pub message_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct SttAlternative {
    pub transcript: String,
    pub confidence: Option<f64>,
}

/// A context variable on one turn.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ContextVar {
    /// `skill_variables`, `user_defined` (prefixed `<skill name>.` when the conversation has more than
    /// one skill), or `cdr_custom_data`.
    pub scope: String,
    pub name: String,
    /// `null` when removed.
    pub value: Value,
    pub change: Change,
}

/// How a context variable differs from the previous turn. Serialised as a plain string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Added,
    Changed,
    Removed,
    Unchanged,
}

/// The call turn that carries this turn's log_id.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct CallTurnLink {
    pub call_event_id: i64,
    pub global_session_id: Option<String>,
    /// The turn's position in the call record, from 0.
    pub seq: i64,
    /// The call turn's `request.type`: `start`, `speech_to_text`, `dtmf`, …
    pub request_type: Option<String>,
    pub assistant_ms: Option<i64>,
}

fn turns_sql(dialect: Dialect) -> String {
    format!(
        "SELECT m.event_id, m.log_id, m.turn_count, m.request_ts, \
            m.response_ts, m.context_session_id, m.user_id, m.assistant_id, \
            m.skill_id, m.channel, m.customer_id, m.input_kind, m.user_text, m.stt_confidence, \
            m.sip_call_id, e.received_at, {} \
     FROM messages m JOIN events e ON e.id = m.event_id \
     WHERE m.session_id = ?1 \
     ORDER BY m.request_at, m.turn_count, m.event_id",
        dialect.body("e")
    )
}

/// Calls by log_id (with the call turn) and by SIP Call-ID (without); the two parameters are JSON
/// arrays.
fn calls_sql(dialect: Dialect) -> String {
    let strings = dialect.strings();
    format!(
        "SELECT c.event_id, c.global_session_id, c.start_ts, c.start_at, \
            c.duration_ms, c.end_reason, t.log_id, t.seq, t.request_type, t.assistant_ms \
     FROM call_turns t JOIN calls c ON c.event_id = t.event_id \
     WHERE t.log_id IN ({strings}) \
     UNION ALL \
     SELECT c.event_id, c.global_session_id, c.start_ts, c.start_at, \
            c.duration_ms, c.end_reason, NULL, NULL, NULL, NULL \
     FROM calls c \
     WHERE c.sip_call_id IN ({strings})"
    )
}

/// Opens the conversation `session_id`; [`QueryError::NotFound`] when no message has it.
pub fn conversation<'a>(
    db: impl Into<Db<'a>>,
    session_id: &str,
) -> Result<Conversation, QueryError> {
    let db = db.into();
    with_deadline(db, Duration::from_millis(QUERY_DEADLINE_MS), || {
        load(db, session_id)
    })
}

/// A turn's stored columns, before its body is read.
struct Row {
    event_id: i64,
    log_id: Option<String>,
    turn_count: Option<i64>,
    request_ts: Option<String>,
    /// Parsed from `request_ts` (likewise `response_at`).
    request_at: Option<i64>,
    response_ts: Option<String>,
    response_at: Option<i64>,
    context_session_id: Option<String>,
    user_id: Option<String>,
    assistant_id: Option<String>,
    skill_id: Option<String>,
    channel: Option<String>,
    customer_id: Option<String>,
    input_kind: Option<String>,
    user_text: Option<String>,
    stt_confidence: Option<f64>,
    sip_call_id: Option<String>,
    received_at: i64,
    body: Value,
}

fn load(db: Db<'_>, session_id: &str) -> Result<Conversation, QueryError> {
    let sql = turns_sql(db.dialect());
    let rows = db.rows(&sql, &[SqlValue::Text(session_id.to_owned())], |r| {
        let body = unpack(r.get_ref(16)?, r.get(17)?, 16)?;
        let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
        // The payload's own times (the `request_at` column falls back to the arrival time).
        let request_ts: Option<String> = r.get(3)?;
        let response_ts: Option<String> = r.get(4)?;
        Ok(Row {
            event_id: r.get(0)?,
            log_id: r.get(1)?,
            turn_count: r.get(2)?,
            request_at: request_ts.as_deref().and_then(timestamp_ms),
            request_ts,
            response_at: response_ts.as_deref().and_then(timestamp_ms),
            response_ts,
            context_session_id: r.get(5)?,
            user_id: r.get(6)?,
            assistant_id: r.get(7)?,
            skill_id: r.get(8)?,
            channel: r.get(9)?,
            customer_id: r.get(10)?,
            input_kind: r.get(11)?,
            user_text: r.get(12)?,
            stt_confidence: r.get(13)?,
            sip_call_id: r.get(14)?,
            received_at: r.get(15)?,
            body,
        })
    })?;
    if rows.is_empty() {
        return Err(QueryError::NotFound(format!("conversation {session_id}")));
    }

    let (calls, by_log_id) = call_links(db, &rows)?;
    let contexts = context_changes(&rows);
    let first = |f: fn(&Row) -> &Option<String>| rows.iter().find_map(|r| f(r).clone());
    let timed = rows
        .iter()
        .filter_map(|r| Some((r.request_at?, r.request_ts.clone()?)));
    let first_at = timed
        .clone()
        .min_by_key(|(at, _)| *at)
        .map(|(_, ts)| ts)
        .or_else(|| first(|r| &r.request_ts));
    let last_at = timed
        .max_by_key(|(at, _)| *at)
        .map(|(_, ts)| ts)
        .or_else(|| rows.iter().rev().find_map(|r| r.request_ts.clone()));

    let mut conversation = Conversation {
        session_id: session_id.to_owned(),
        user_id: first(|r| &r.user_id),
        assistant_id: first(|r| &r.assistant_id),
        skill_id: first(|r| &r.skill_id),
        channel: first(|r| &r.channel),
        customer_id: first(|r| &r.customer_id),
        first_at,
        last_at,
        turns: Vec::with_capacity(rows.len()),
        calls,
    };
    for (row, context) in rows.into_iter().zip(contexts) {
        let call_turn = row
            .log_id
            .as_ref()
            .and_then(|id| by_log_id.get(id))
            .cloned();
        conversation
            .turns
            .push(turn(row, session_id, context, call_turn));
    }
    Ok(conversation)
}

/// The calls linked to any of the turns, and the call turn of each linked log_id.
fn call_links(
    db: Db<'_>,
    rows: &[Row],
) -> Result<(Vec<CallLink>, HashMap<String, CallTurnLink>), QueryError> {
    let log_ids = rows
        .iter()
        .filter_map(|r| r.log_id.as_deref())
        .collect::<BTreeSet<_>>();
    let sip_ids = rows
        .iter()
        .filter_map(|r| r.sip_call_id.as_deref())
        .collect::<BTreeSet<_>>();
    if log_ids.is_empty() && sip_ids.is_empty() {
        return Ok((Vec::new(), HashMap::new()));
    }
    let log_json = serde_json::to_string(&log_ids).unwrap_or_else(|_| "[]".to_owned());
    let sip_json = serde_json::to_string(&sip_ids).unwrap_or_else(|_| "[]".to_owned());

    let found = db.rows(
        &calls_sql(db.dialect()),
        &[SqlValue::Text(log_json), SqlValue::Text(sip_json)],
        |r| {
            let link = CallLink {
                event_id: r.get(0)?,
                global_session_id: r.get(1)?,
                start_ts: r.get(2)?,
                duration_ms: r.get(4)?,
                end_reason: r.get(5)?,
            };
            let turn = match (r.get::<_, Option<String>>(6)?, r.get::<_, Option<i64>>(7)?) {
                (Some(log_id), Some(seq)) => Some((log_id, seq, r.get(8)?, r.get(9)?)),
                _ => None,
            };
            Ok((link, r.get::<_, Option<i64>>(3)?, turn))
        },
    )?;
    let mut calls: BTreeMap<i64, (Option<i64>, CallLink)> = BTreeMap::new();
    let mut by_log_id: HashMap<String, CallTurnLink> = HashMap::new();
    for (link, start_at, turn) in found {
        let event_id = link.event_id;
        let global_session_id = link.global_session_id.clone();
        calls.entry(event_id).or_insert((start_at, link));
        let Some((log_id, seq, request_type, assistant_ms)) = turn else {
            continue;
        };
        let link = CallTurnLink {
            call_event_id: event_id,
            global_session_id,
            seq,
            request_type,
            assistant_ms,
        };
        // Should two records carry the same log_id (a call delivered twice with different keys),
        // the earlier record and its first such turn win, whatever order SQLite returned them in.
        match by_log_id.get(&log_id) {
            Some(old) if (old.call_event_id, old.seq) <= (event_id, seq) => {}
            _ => {
                by_log_id.insert(log_id, link);
            }
        }
    }
    let mut calls = calls.into_values().collect::<Vec<_>>();
    calls.sort_by_key(|(start_at, link)| (start_at.is_none(), *start_at, link.event_id));
    Ok((calls.into_iter().map(|(_, link)| link).collect(), by_log_id))
}

fn turn(
    row: Row,
    session_id: &str,
    context: Vec<ContextVar>,
    call_turn: Option<CallTurnLink>,
) -> Turn {
    let payload = row.body.get("payload").unwrap_or(&Value::Null);
    let input = at(payload, &["request", "input"]).unwrap_or(&Value::Null);
    let output = at(payload, &["response", "output"]).unwrap_or(&Value::Null);
    let debug = output.get("debug").unwrap_or(&Value::Null);

    Turn {
        event_id: row.event_id,
        log_id: row.log_id,
        turn_count: row.turn_count,
        request_ts: row.request_ts,
        response_ts: row.response_ts,
        received_at: row.received_at,
        latency_ms: row
            .response_at
            .zip(row.request_at)
            .map(|(response, request)| response - request),
        session_mismatch: row.context_session_id.filter(|s| s != session_id),
        input: user_input(input, row.input_kind, row.user_text, row.stt_confidence),
        outputs: array(output.get("generic")).map(output_item).collect(),
        intents: {
            let actions = actions(debug);
            array(output.get("intents"))
                .filter_map(intent)
                .map(|i| Scored {
                    title: intent_title(&i.name, &actions),
                    ..i
                })
                .collect()
        },
        entities: array(output.get("entities"))
            .filter_map(entity_hit)
            .collect(),
        visited: visits(debug),
        log_messages: array(debug.get("log_messages")).map(log_message).collect(),
        context,
        call_turn,
    }
}

fn user_input(
    input: &Value,
    kind: Option<String>,
    text: Option<String>,
    stt_confidence: Option<f64>,
) -> UserInput {
    let voice = at(input, &["integrations", "voice_telephony"]).unwrap_or(&Value::Null);
    let stt_alternatives = array(at(voice, &["speech_to_text_result", "results"]))
        .flat_map(|result| array(result.get("alternatives")))
        .filter_map(|a| {
            Some(SttAlternative {
                transcript: string(a.get("transcript"))?,
                confidence: number(a.get("confidence")),
            })
        })
        .collect::<Vec<_>>();
    UserInput {
        kind: kind.unwrap_or_else(|| "unknown".to_owned()),
        text: text.or_else(|| string(input.get("text"))),
        stt_confidence: stt_confidence
            .or_else(|| stt_alternatives.first().and_then(|a| a.confidence)),
        stt_alternatives,
        barge_in: boolean(voice.get("barge_in_occurred")),
        suggestion_id: string(input.get("suggestion_id")),
        message_type: string(input.get("message_type")),
    }
}

/// The context variables of every turn, each compared with the turn before.
///
/// `skill_variables` and `user_defined` hold the whole state on every turn: a variable is added,
/// changed, removed (gone since the previous turn that had the scope) or unchanged. A turn without the
/// scope at all says nothing about it and leaves the state as it was. `cdr_custom_data` is a delta
/// merged into the call's data: the keys a turn sets are added, changed or unchanged against the
/// merged data, `""` removes a key, and the merged keys the turn did not touch are unchanged.
fn context_changes(rows: &[Row]) -> Vec<Vec<ContextVar>> {
    let skills_of = |row: &Row| {
        object_at(&row.body, &["payload", "response", "context", "skills"])
            .cloned()
            .unwrap_or_default()
    };
    let skill_names = rows
        .iter()
        .flat_map(|r| skills_of(r).into_iter().map(|(name, _)| name))
        .collect::<BTreeSet<_>>();
    let prefixed = skill_names.len() > 1;

    let mut state: HashMap<String, Map<String, Value>> = HashMap::new();
    let mut cdr_state: Map<String, Value> = Map::new();
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let mut vars = Vec::new();
        for (skill, scopes) in skills_of(row) {
            for kind in ["skill_variables", "user_defined"] {
                let Some(now) = object(scopes.get(kind)) else {
                    continue;
                };
                let scope = if prefixed {
                    format!("{skill}.{kind}")
                } else {
                    kind.to_owned()
                };
                let before = state.get(&scope);
                for (name, value) in now {
                    let change = match before.and_then(|b| b.get(name)) {
                        None => Change::Added,
                        Some(old) if old == value => Change::Unchanged,
                        Some(_) => Change::Changed,
                    };
                    vars.push(var(&scope, name, value.clone(), change));
                }
                for name in before.into_iter().flat_map(|b| b.keys()) {
                    if !now.contains_key(name) {
                        vars.push(var(&scope, name, Value::Null, Change::Removed));
                    }
                }
                state.insert(scope, now.clone());
            }
        }

        let delta = object_at(
            &row.body,
            &[
                "payload",
                "response",
                "context",
                "integrations",
                "voice_telephony",
                "cdr_custom_data",
            ],
        );
        let scope = "cdr_custom_data";
        for (name, value) in delta.into_iter().flatten() {
            if value.as_str() == Some("") {
                cdr_state.remove(name);
                vars.push(var(scope, name, Value::Null, Change::Removed));
                continue;
            }
            let change = match cdr_state.get(name) {
                None => Change::Added,
                Some(old) if old == value => Change::Unchanged,
                Some(_) => Change::Changed,
            };
            cdr_state.insert(name.clone(), value.clone());
            vars.push(var(scope, name, value.clone(), change));
        }
        for (name, value) in &cdr_state {
            if !delta.is_some_and(|d| d.contains_key(name)) {
                vars.push(var(scope, name, value.clone(), Change::Unchanged));
            }
        }

        vars.sort_by(|a, b| {
            (a.change == Change::Unchanged, &a.scope, &a.name).cmp(&(
                b.change == Change::Unchanged,
                &b.scope,
                &b.name,
            ))
        });
        out.push(vars);
    }
    out
}

fn var(scope: &str, name: &str, value: Value, change: Change) -> ContextVar {
    ContextVar {
        scope: scope.to_owned(),
        name: name.to_owned(),
        value,
        change,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::path::PathBuf;

    use serde_json::json;

    use rusqlite::Connection;

    use super::*;
    use crate::store::Store;

    const WEB: &str = "c3e1a7d4-5b28-4f90-8e6a-1d9b2c7f3a05";
    const PHONE: &str = "4b7e9d21-c0a3-4e85-96f2-3d1a8c5b0e79";
    const PHONE_TRANSFER: &str = "f0c2a8e6-7b41-4d93-a5e7-2b9d6c4f1a38";
    const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/samples");

    pub(crate) type Fixture = (tempfile::TempDir, Store, Connection);

    /// A store holding the twelve samples plus `extra` bodies, each imported from its own file.
    pub(crate) fn store_with(extra: &[Value]) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db"), Default::default()).unwrap();
        let mut paths = std::fs::read_dir(SAMPLES)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect::<Vec<PathBuf>>();
        paths.sort();
        assert_eq!(paths.len(), 12);
        for (i, body) in extra.iter().enumerate() {
            let path = dir.path().join(format!("extra{i}.json"));
            std::fs::write(&path, serde_json::to_vec(body).unwrap()).unwrap();
            paths.push(path);
        }
        let report = crate::import::import_files(&store, &paths, &|_| {}).unwrap();
        assert_eq!(report.stored, 12 + extra.len() as u64, "{report:?}");
        let conn = store.reader().unwrap();
        (dir, store, conn)
    }

    fn samples() -> Fixture {
        store_with(&[])
    }

    /// A minimal `message_logged` body with the given `response.output`.
    fn body(session_id: &str, log_id: &str, output: Value) -> Value {
        json!({
            "event": {"name": "message_logged"},
            "payload": {
                "log_id": log_id,
                "session_id": session_id,
                "request": {"input": {"message_type": "text", "text": "hello"}},
                "response": {"output": output, "context": {"global": {"session_id": session_id}}},
                "request_timestamp": "2026-03-11T10:00:00.000Z",
                "response_timestamp": "2026-03-11T10:00:00.250Z"
            }
        })
    }

    fn type_of(item: &OutputItem) -> String {
        serde_json::to_value(item).unwrap()["type"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    fn types(turn: &Turn) -> Vec<String> {
        turn.outputs.iter().map(type_of).collect()
    }

    fn cv(scope: &str, name: &str, value: Value, change: Change) -> ContextVar {
        var(scope, name, value, change)
    }

    #[test]
    fn web_chat_turns_come_in_order_with_their_text_and_response_types() {
        let (_dir, _store, conn) = samples();
        let c = conversation(&conn, WEB).unwrap();
        assert_eq!(c.session_id, WEB);
        assert_eq!(
            c.user_id.as_deref(),
            Some("anonymous_IBMuid-4f8e2b1c-9a3d-4c7e-b6f5-0d2a8e1c9b37")
        );
        assert_eq!(
            c.assistant_id.as_deref(),
            Some("0b6c2e59-3f7a-4d25-9a8e-2c41d7f0b6a1")
        );
        assert_eq!(
            c.skill_id.as_deref(),
            Some("7d2f9a40-81c3-4e6b-b5d2-93a0c6e1f4b8")
        );
        assert_eq!(c.channel.as_deref(), Some("Web chat"));
        assert_eq!(c.customer_id.as_deref(), Some("cust-8841"));
        assert_eq!(c.first_at.as_deref(), Some("2026-03-10T14:02:11.402Z"));
        assert_eq!(c.last_at.as_deref(), Some("2026-03-10T14:04:20.731Z"));
        assert_eq!(c.calls, vec![]);

        let counts = c.turns.iter().map(|t| t.turn_count).collect::<Vec<_>>();
        assert_eq!(counts, [1, 2, 3, 4, 5].map(Some));
        let log_ids = c
            .turns
            .iter()
            .map(|t| t.log_id.as_deref().unwrap())
            .collect::<Vec<_>>();
        assert_eq!(
            log_ids,
            [
                "a84e7710-756e-46ad-8046-959b2b32b1c7",
                "b89de7ab-6a6e-4ef2-92de-b0f3fe190d89",
                "dcbee131-bbab-4370-b87b-9be7005f92d3",
                "91627182-a8e9-4117-99b8-ea7fc56ceef5",
                "0d681cd4-5b22-45dd-b89e-20fa4ba97014",
            ]
        );
        let texts = c
            .turns
            .iter()
            .map(|t| t.input.text.as_deref())
            .collect::<Vec<_>>();
        assert_eq!(
            texts,
            [
                Some(""),
                Some("Where is my order 58213? I bought it online"),
                Some("refund"),
                Some("Can I return opened headphones?"),
                Some("I want to talk to a person"),
            ]
        );
        let all_types = c.turns.iter().map(types).collect::<Vec<_>>();
        assert_eq!(
            all_types,
            vec![
                vec!["text", "option"],
                vec!["text", "pause", "text", "image", "user_defined"],
                vec!["suggestion"],
                vec!["conversational_search"],
                vec!["text", "connect_to_agent"],
            ]
        );

        let t1 = &c.turns[0];
        assert_eq!(t1.request_ts.as_deref(), Some("2026-03-10T14:02:11.402Z"));
        assert_eq!(t1.response_ts.as_deref(), Some("2026-03-10T14:02:11.688Z"));
        assert_eq!(t1.latency_ms, Some(286));
        assert_eq!(t1.session_mismatch, None);
        assert!(t1.received_at > 1_700_000_000_000);
        assert_eq!(t1.call_turn, None);
        assert_eq!(
            t1.input,
            UserInput {
                kind: "text".into(),
                text: Some(String::new()),
                stt_confidence: None,
                stt_alternatives: vec![],
                barge_in: None,
                suggestion_id: None,
                message_type: Some("text".into()),
            }
        );
        assert_eq!(
            t1.outputs[1],
            OutputItem::Option {
                title: Some("Popular topics".into()),
                description: None,
                preference: Some("button".into()),
                options: ["Check order status", "Refund policy", "Talk to a person"]
                    .map(|l| Choice {
                        label: Some(l.into()),
                        value: Some(l.into()),
                    })
                    .to_vec(),
                channels: vec![],
            }
        );
        let visit = |kind: &str, event: &str, name: &str, detail: Option<&str>| Visit {
            kind: kind.into(),
            event: event.into(),
            name: name.into(),
            title: Some("Greet customer".into()),
            detail: detail.map(Into::into),
        };
        assert_eq!(
            t1.visited,
            vec![
                visit(
                    "action",
                    "action_visited",
                    "welcome",
                    Some("reason: intent, condition: welcome")
                ),
                visit(
                    "step",
                    "step_visited",
                    "step_001",
                    Some("condition: welcome")
                ),
                visit(
                    "action",
                    "action_finished",
                    "welcome",
                    Some("reason: all_steps_done, condition: welcome")
                ),
            ]
        );

        let t2 = &c.turns[1];
        assert_eq!(
            t2.intents,
            vec![Scored {
                name: "action_24031_intent_11874".into(),
                confidence: Some(0.9412),
                title: Some("Check order status".into())
            }]
        );
        assert_eq!(
            t2.entities,
            vec![
                EntityHit {
                    entity: "sys-number".into(),
                    value: Some("58213".into()),
                    confidence: Some(1.0),
                    location: Some([18, 23]),
                    role: None,
                },
                EntityHit {
                    entity: "purchase_channel".into(),
                    value: Some("online".into()),
                    confidence: Some(1.0),
                    location: Some([36, 42]),
                    role: None,
                },
            ]
        );
        let steps = t2
            .visited
            .iter()
            .map(|v| (v.kind.as_str(), v.name.as_str()))
            .collect::<Vec<_>>();
        assert_eq!(
            steps,
            [
                ("action", "action_24031"),
                ("step", "step_742"),
                ("event", "callout"),
                ("step", "step_913"),
                ("action", "action_24031"),
            ]
        );
        assert_eq!(
            t2.visited[2].detail.as_deref(),
            Some("GET https://orders.example.com/v1/orders/58213 → 200")
        );
        assert_eq!(t2.visited[2].title.as_deref(), Some("Check order status"));

        let t3 = &c.turns[2];
        assert_eq!(
            t3.outputs[0],
            OutputItem::Suggestion {
                title: Some("Did you mean:".into()),
                suggestions: ["Refund policy", "Request a refund", "None of the above"]
                    .map(|l| Choice {
                        label: Some(l.into()),
                        value: Some(l.into()),
                    })
                    .to_vec(),
                channels: vec![],
            }
        );
        assert_eq!(t3.visited, vec![]);
        let t4 = &c.turns[3];
        let events = t4
            .visited
            .iter()
            .map(|v| v.event.as_str())
            .collect::<Vec<_>>();
        assert_eq!(
            events,
            [
                "action_visited",
                "generative_ai_called",
                "conversational_search_end"
            ]
        );
        assert_eq!(
            t4.visited[1].detail.as_deref(),
            Some("task: content_grounded_answering, 1986 ms")
        );
        assert_eq!(
            c.turns[4].visited[0].detail.as_deref(),
            Some("reason: agent_requested, condition: user_defined")
        );
    }

    #[test]
    fn sample_02_has_its_pause_image_and_user_defined_items() {
        let (_dir, _store, conn) = samples();
        let c = conversation(&conn, WEB).unwrap();
        assert_eq!(
            c.turns[1].outputs,
            vec![
                OutputItem::Text {
                    text: Some("Let me look up order 58213.".into()),
                    channels: vec![],
                },
                OutputItem::Pause {
                    time_ms: Some(1500),
                    typing: Some(true),
                    channels: vec![],
                },
                OutputItem::Text {
                    text: Some(
                        "Order 58213 shipped on March 8 and should arrive by March 12.".into()
                    ),
                    channels: vec![],
                },
                OutputItem::Image {
                    source: Some("https://cdn.example.com/img/tracking-58213.png".into()),
                    title: Some("Tracking map".into()),
                    description: None,
                    alt_text: Some("Map showing the parcel near Springfield".into()),
                    channel_options: None,
                    channels: vec![],
                },
                OutputItem::UserDefined {
                    user_defined: json!({
                        "template": "order_card",
                        "order_id": "58213",
                        "carrier": "UPS",
                        "eta": "2026-03-12"
                    }),
                    channels: vec![],
                },
            ]
        );
    }

    #[test]
    fn sample_04_conversational_search_has_its_citations() {
        let (_dir, _store, conn) = samples();
        let c = conversation(&conn, WEB).unwrap();
        let body = "Opened electronics may be returned within 30 days of delivery with all \
                    original accessories. A 10% restocking fee applies.";
        assert_eq!(
            c.turns[3].outputs,
            vec![OutputItem::ConversationalSearch {
                text: Some(
                    "Yes. Opened headphones can be returned within 30 days if all accessories \
                     are included; a 10% restocking fee applies."
                        .into()
                ),
                citations_title: Some("How do we know?".into()),
                citations: vec![Citation {
                    title: Some("Returns and refunds".into()),
                    url: None,
                    text: Some("Opened electronics may be returned within 30 days".into()),
                    body: Some(body.into()),
                    search_result_index: Some(0),
                    ranges: vec![[0, 51]],
                }],
                confidence_scores: Some(json!({
                    "threshold": 0.0,
                    "pre_gen": 0.7143,
                    "post_gen": 0.8821,
                    "extractiveness": 0.6315
                })),
                response_length_option: Some("moderate".into()),
                search_results: vec![SearchHit {
                    id: Some("kb-0192".into()),
                    title: Some("Returns and refunds".into()),
                    body: Some(body.into()),
                    url: None,
                    confidence: None,
                    score: Some(17.42),
                }],
                disclaimer: Some("Answers are generated by AI and may contain errors.".into()),
                channels: vec![],
            }]
        );
    }

    #[test]
    fn connect_to_agent_keeps_its_messages_and_transfer_target() {
        let (_dir, _store, conn) = samples();
        // Sample 05 (web chat) has no transfer_info: its target is the web chat's service desk.
        let c = conversation(&conn, WEB).unwrap();
        assert_eq!(
            c.turns[4].outputs[1],
            OutputItem::ConnectToAgent {
                message_to_human_agent: Some(
                    "Customer asked about returning opened headphones (order 58213).".into()
                ),
                agent_available: Some("An agent will be with you shortly.".into()),
                agent_unavailable: Some(
                    "All agents are busy. Please try again between 9am and 5pm ET.".into()
                ),
                topic: Some("Fallback".into()),
                target_kind: None,
                sip_uri: None,
                transfer_info: None,
                channels: vec![],
            }
        );
        // Sample 09 (phone) transfers to a SIP URI.
        let c = conversation(&conn, PHONE_TRANSFER).unwrap();
        let OutputItem::ConnectToAgent {
            message_to_human_agent,
            agent_available,
            agent_unavailable,
            topic,
            target_kind,
            sip_uri,
            transfer_info,
            ..
        } = &c.turns[0].outputs[1]
        else {
            panic!("{:?}", c.turns[0].outputs);
        };
        assert_eq!(
            message_to_human_agent.as_deref(),
            Some("Caller asked for an agent at the main menu.")
        );
        assert_eq!(
            agent_available.as_deref(),
            Some("Please hold while I connect you.")
        );
        assert_eq!(
            agent_unavailable.as_deref(),
            Some("Sorry, no agents are available right now.")
        );
        assert_eq!(topic, &None);
        assert_eq!(target_kind.as_deref(), Some("service_desk"));
        assert_eq!(sip_uri.as_deref(), Some("sip:+18005550199@sbc.example.com"));
        assert_eq!(
            transfer_info.as_ref().unwrap()["target"]["service_desk"]["sip"]["transfer_headers"],
            json!([{"name": "X-Reason", "value": "caller-requested"}])
        );
    }

    #[test]
    fn unknown_and_phone_only_response_types() {
        let carousel = json!({"response_type": "carousel_x", "cards": [{"title": "A"}], "channels": [{"channel": "chat"}]});
        let output = json!({"generic": [
            carousel,
            {"response_type": "text_to_speech", "command_info": {"type": "configure", "parameters": {"synthesize": {"voice": "en-US_AllisonV3Voice"}}}},
            {"response_type": "stop_activities", "parameters": {"activities": [{"type": "speech_to_text_recognition"}]}},
            {"response_type": "channel_transfer", "message_to_user": "Continue on the web", "transfer_info": {"target": {"chat": {"url": "https://example.com/chat"}}}},
            {"response_type": "end_session", "channel_options": {"voice_telephony": {"sip": {"headers": []}}}},
            {"response_type": "iframe", "source": "https://example.com/frame", "title": "Frame", "image_url": "https://example.com/p.png"},
            {"response_type": "conversation_search", "text": "Java spelling"},
            {"no_type": true},
            "just a string"
        ]});
        let (_dir, _store, conn) = store_with(&[body("unknown-types-1", "log-u1", output)]);
        let c = conversation(&conn, "unknown-types-1").unwrap();
        let outputs = &c.turns[0].outputs;
        assert_eq!(
            outputs[0],
            OutputItem::Other {
                response_type: "carousel_x".into(),
                value: carousel,
                channels: vec!["chat".into()],
            }
        );
        assert_eq!(
            serde_json::to_value(&outputs[0]).unwrap()["type"],
            json!("other")
        );
        assert_eq!(
            outputs[1],
            OutputItem::TextToSpeech {
                command: Some("configure".into()),
                parameters: Some(json!({"synthesize": {"voice": "en-US_AllisonV3Voice"}})),
                channels: vec![],
            }
        );
        assert_eq!(
            outputs[2],
            OutputItem::StopActivities {
                command: None,
                parameters: Some(json!({"activities": [{"type": "speech_to_text_recognition"}]})),
                channels: vec![],
            }
        );
        assert!(matches!(
            &outputs[3],
            OutputItem::ChannelTransfer { message_to_user: Some(m), target_url: Some(u), .. }
                if m == "Continue on the web" && u == "https://example.com/chat"
        ));
        assert_eq!(
            outputs[4],
            OutputItem::EndSession {
                fields: json!({"channel_options": {"voice_telephony": {"sip": {"headers": []}}}}),
                channels: vec![],
            }
        );
        assert_eq!(
            outputs[5],
            OutputItem::Iframe {
                source: Some("https://example.com/frame".into()),
                title: Some("Frame".into()),
                description: None,
                image_url: Some("https://example.com/p.png".into()),
                channels: vec![],
            }
        );
        assert_eq!(type_of(&outputs[6]), "conversational_search");
        assert_eq!(
            outputs[7],
            OutputItem::Other {
                response_type: "unknown".into(),
                value: json!({"no_type": true}),
                channels: vec![],
            }
        );
        assert_eq!(
            outputs[8],
            OutputItem::Other {
                response_type: "unknown".into(),
                value: json!("just a string"),
                channels: vec![],
            }
        );
        assert_eq!(outputs.len(), 9);
    }

    #[test]
    fn phone_conversation_has_speech_dtmf_custom_data_and_its_call() {
        let (_dir, _store, conn) = samples();
        let c = conversation(&conn, PHONE).unwrap();
        assert_eq!(c.channel.as_deref(), Some("Phone"));
        assert_eq!(c.user_id.as_deref(), Some("+18885550146"));
        assert_eq!(c.customer_id, None);
        assert_eq!(c.turns.len(), 3);
        assert_eq!(
            c.turns.iter().map(types).collect::<Vec<_>>(),
            vec![
                vec!["text"],
                vec!["text", "dtmf"],
                vec!["text", "end_session"]
            ]
        );

        assert_eq!(c.turns[0].input.kind, "text");
        assert_eq!(
            c.turns[1].input,
            UserInput {
                kind: "speech".into(),
                text: Some("i'd like to pay my bill ".into()),
                stt_confidence: Some(0.87),
                stt_alternatives: vec![SttAlternative {
                    transcript: "i'd like to pay my bill ".into(),
                    confidence: Some(0.87),
                }],
                barge_in: Some(true),
                suggestion_id: None,
                message_type: Some("text".into()),
            }
        );
        assert_eq!(
            c.turns[1].outputs[1],
            OutputItem::Dtmf {
                command: Some("collect".into()),
                parameters: Some(
                    json!({"termination_key": "#", "count": 4, "ignore_speech": true})
                ),
                channels: vec!["voice_telephony".into()],
            }
        );
        let t3 = &c.turns[2].input;
        assert_eq!(t3.kind, "dtmf");
        assert_eq!(t3.text.as_deref(), Some("4821"));
        assert_eq!(t3.barge_in, Some(false));
        assert_eq!(t3.stt_confidence, None);
        assert_eq!(
            c.turns[1].visited,
            vec![
                Visit {
                    kind: "node".into(),
                    event: "node_visited".into(),
                    name: "node_3_1708451377".into(),
                    title: Some("Pay bill".into()),
                    detail: Some("#pay_bill".into()),
                },
                Visit {
                    kind: "node".into(),
                    event: "node_visited".into(),
                    name: "slot_4_1708451402".into(),
                    title: Some("Collect PIN".into()),
                    detail: Some("true".into()),
                },
            ]
        );
        assert_eq!(
            c.turns[2].log_messages,
            vec![LogMessage {
                level: Some("warn".into()),
                message: Some("Variable $promo_code is not defined.".into()),
                code: Some("unresolved_variable".into()),
            }]
        );

        use Change::*;
        let cdr = "cdr_custom_data";
        let ud = "user_defined";
        assert_eq!(
            c.turns[0].context,
            vec![
                cv(cdr, "call_reason", json!("unknown"), Added),
                cv(cdr, "ivr_menu", json!("main"), Added),
                cv(ud, "menu", json!("main"), Added),
            ]
        );
        assert_eq!(
            c.turns[1].context,
            vec![
                cv(cdr, "call_reason", json!("pay_bill"), Changed),
                cv(ud, "menu", json!("pay_bill"), Changed),
                cv(cdr, "ivr_menu", json!("main"), Unchanged),
            ]
        );
        assert_eq!(
            c.turns[2].context,
            vec![
                cv(cdr, "account_verified", json!(true), Added),
                cv(cdr, "payment_amount", json!(42.5), Added),
                cv(ud, "payment_amount", json!(42.5), Added),
                cv(ud, "pin_verified", json!(true), Added),
                cv(cdr, "call_reason", json!("pay_bill"), Unchanged),
                cv(cdr, "ivr_menu", json!("main"), Unchanged),
                cv(ud, "menu", json!("pay_bill"), Unchanged),
            ]
        );

        let call = CallLink {
            event_id: c.calls[0].event_id,
            global_session_id: Some("b231ef28-c861-4f33-8a17-384d95d6ddb5".into()),
            start_ts: Some("2026-03-10T15:30:03.962Z".into()),
            duration_ms: Some(27513),
            end_reason: Some("assistant_hangup".into()),
        };
        assert_eq!(c.calls, vec![call.clone()]);
        let links = c
            .turns
            .iter()
            .map(|t| {
                let link = t.call_turn.as_ref().unwrap();
                assert_eq!(link.call_event_id, call.event_id);
                assert_eq!(link.global_session_id, call.global_session_id);
                (link.seq, link.request_type.as_deref())
            })
            .collect::<Vec<_>>();
        assert_eq!(
            links,
            [
                (0, Some("start")),
                (1, Some("speech_to_text")),
                (2, Some("dtmf"))
            ]
        );
    }

    #[test]
    fn sample_09_links_to_call_11_on_its_turn_2() {
        let (_dir, _store, conn) = samples();
        let c = conversation(&conn, PHONE_TRANSFER).unwrap();
        assert_eq!(c.turns.len(), 1);
        let turn = &c.turns[0];
        assert_eq!(turn.turn_count, Some(2));
        assert_eq!(turn.input.kind, "speech");
        assert_eq!(turn.input.stt_confidence, Some(0.78));
        assert_eq!(c.calls.len(), 1);
        assert_eq!(
            c.calls[0].global_session_id.as_deref(),
            Some("b5db1650-98ef-42b4-83cc-96c9c5feb721")
        );
        assert_eq!(c.calls[0].end_reason.as_deref(), Some("failed"));
        assert_eq!(
            turn.call_turn,
            Some(CallTurnLink {
                call_event_id: c.calls[0].event_id,
                global_session_id: Some("b5db1650-98ef-42b4-83cc-96c9c5feb721".into()),
                seq: 1,
                request_type: Some("speech_to_text".into()),
                assistant_ms: turn.call_turn.as_ref().unwrap().assistant_ms,
            })
        );
    }

    #[test]
    fn skill_variables_are_compared_turn_by_turn() {
        let (_dir, _store, conn) = samples();
        let c = conversation(&conn, WEB).unwrap();
        use Change::*;
        let sv = "skill_variables";
        assert_eq!(
            c.turns[0].context,
            vec![cv(sv, "first_visit", json!(true), Added)]
        );
        assert_eq!(
            c.turns[1].context,
            vec![
                cv(sv, "last_order_id", json!("58213"), Added),
                cv(sv, "order_status", json!("shipped"), Added),
                cv(sv, "first_visit", json!(true), Unchanged),
            ]
        );
        let unchanged = vec![
            cv(sv, "first_visit", json!(true), Unchanged),
            cv(sv, "last_order_id", json!("58213"), Unchanged),
            cv(sv, "order_status", json!("shipped"), Unchanged),
        ];
        for turn in &c.turns[2..] {
            assert_eq!(turn.context, unchanged);
        }
    }

    #[test]
    fn changes_removals_and_several_skills() {
        let turn = |log_id: &str, at: &str, count: i64, skills: Value, cdr: Value| {
            let mut b = body("multi-skill-1", log_id, json!({"generic": []}));
            b["payload"]["request_timestamp"] = json!(at);
            b["payload"]["response"]["context"]["global"]["system"] = json!({"turn_count": count});
            b["payload"]["response"]["context"]["skills"] = skills;
            b["payload"]["response"]["context"]["integrations"] =
                json!({"voice_telephony": {"cdr_custom_data": cdr}});
            b
        };
        let (_dir, _store, conn) = store_with(&[
            turn(
                "m1",
                "2026-03-11T10:00:00.000Z",
                1,
                json!({"main skill": {"user_defined": {"a": 1, "b": 2}}, "actions skill": {"skill_variables": {"x": "1"}}}),
                json!({"k1": "v1", "k2": "v2"}),
            ),
            turn(
                "m2",
                "2026-03-11T10:00:05.000Z",
                2,
                json!({"main skill": {"user_defined": {"a": 3}}, "actions skill": {"skill_variables": {"x": "1"}}}),
                json!({"k1": "", "k3": "v3"}),
            ),
        ]);
        let c = conversation(&conn, "multi-skill-1").unwrap();
        use Change::*;
        assert_eq!(
            c.turns[1].context,
            vec![
                cv("cdr_custom_data", "k1", Value::Null, Removed),
                cv("cdr_custom_data", "k3", json!("v3"), Added),
                cv("main skill.user_defined", "a", json!(3), Changed),
                cv("main skill.user_defined", "b", Value::Null, Removed),
                cv("actions skill.skill_variables", "x", json!("1"), Unchanged),
                cv("cdr_custom_data", "k2", json!("v2"), Unchanged),
            ]
        );
        assert_eq!(c.first_at.as_deref(), Some("2026-03-11T10:00:00.000Z"));
        assert_eq!(c.last_at.as_deref(), Some("2026-03-11T10:00:05.000Z"));
    }

    #[test]
    fn an_unknown_session_is_not_found() {
        let (_dir, _store, conn) = samples();
        let err = conversation(&conn, "no-such-session").unwrap_err();
        assert!(
            matches!(&err, QueryError::NotFound(what) if what == "conversation no-such-session"),
            "{err:?}"
        );
    }

    #[test]
    fn surprising_shapes_leave_pieces_empty() {
        let mut odd = body("odd-shapes-1", "log-odd", json!({"generic": "not a list"}));
        let payload = &mut odd["payload"];
        payload["response"]["output"]["intents"] = json!(42);
        payload["response"]["output"]["entities"] =
            json!([{"entity": 7}, {"entity": "e", "location": "x", "role": "r"}]);
        payload["response"]["output"]["debug"] =
            json!({"turn_events": {"event": "x"}, "nodes_visited": [null, 3]});
        payload["response"]["context"]["skills"] = json!("nope");
        payload["response"]["context"]["global"]["session_id"] = json!("someone-else");
        payload["request"]["input"]["integrations"] =
            json!({"voice_telephony": {"speech_to_text_result": {"results": "x"}}});
        let (_dir, _store, conn) = store_with(&[odd]);
        let c = conversation(&conn, "odd-shapes-1").unwrap();
        let t = &c.turns[0];
        assert_eq!(t.outputs, vec![]);
        assert_eq!(t.intents, vec![]);
        assert_eq!(
            t.entities,
            vec![EntityHit {
                entity: "e".into(),
                value: None,
                confidence: None,
                location: None,
                role: None,
            }]
        );
        assert_eq!(t.visited.len(), 2);
        assert!(
            t.visited
                .iter()
                .all(|v| v.kind == "node" && v.name.is_empty())
        );
        assert_eq!(t.context, vec![]);
        assert_eq!(t.session_mismatch.as_deref(), Some("someone-else"));
        assert_eq!(t.input.text.as_deref(), Some("hello"));
        assert_eq!(t.input.stt_alternatives, vec![]);
        assert_eq!(t.latency_ms, Some(250));
        assert_eq!(c.calls, vec![]);
    }

    #[test]
    fn a_body_that_is_not_json_still_gives_its_turn() {
        // Import never stores such a body; a writer of another version might. Forge one.
        let (dir, store, _) = samples();
        drop(store);
        let rw = Connection::open(dir.path().join("t.db")).unwrap();
        crate::store::projection::attach(&rw, &dir.path().join("t.db")).unwrap();
        rw.execute(
            "UPDATE events SET body = x'7b6e6f7420', body_zstd = NULL WHERE id = \
             (SELECT event_id FROM messages WHERE log_id = 'b89de7ab-6a6e-4ef2-92de-b0f3fe190d89')",
            [],
        )
        .unwrap();
        let c = conversation(&rw, WEB).unwrap();
        let t = &c.turns[1];
        assert_eq!(t.outputs, vec![]);
        assert_eq!(t.visited, vec![]);
        assert_eq!(t.context, vec![]);
        assert_eq!(t.input.kind, "text");
        assert_eq!(
            t.input.text.as_deref(),
            Some("Where is my order 58213? I bought it online")
        );
        // The turn after it still compares with the last turn that had the scope.
        assert!(
            c.turns[2]
                .context
                .iter()
                .any(|v| v.name == "last_order_id" && v.change == Change::Added)
        );
    }

    #[test]
    fn both_statements_use_indexes() {
        let (_dir, _store, conn) = samples();
        for (sql, params) in [
            (turns_sql(Dialect::Sqlite), 1),
            (calls_sql(Dialect::Sqlite), 2),
        ] {
            let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
            let args = ["[]"; 2];
            let plan = stmt
                .query_map(rusqlite::params_from_iter(&args[..params]), |r| {
                    r.get::<_, String>(3)
                })
                .unwrap()
                .collect::<Result<Vec<_>, _>>()
                .unwrap();
            for line in &plan {
                assert!(
                    !line.starts_with("SCAN") || line.contains("json_each"),
                    "{sql}\n{plan:#?}"
                );
            }
            assert!(!plan.iter().any(|l| l.contains("TEMP B-TREE")), "{plan:#?}");
        }
    }
}
