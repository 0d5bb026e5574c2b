//! Compiles a parsed query into a SQL condition for one subject (events, messages, calls or
//! conversations), with its parameters in order. Every value is bound; only fixed SQL text from this
//! file is ever concatenated.
//!
//! Each qualifier is a predicate over a message (alias `m`), a call (alias `c`), or the event
//! itself (alias `e`). A subject uses the predicate of its own kind directly and reaches the other kind
//! through the call turn ↔ message link (`log_id`): `intent:pay_bill` on calls means "calls with a turn
//! whose message had that intent"; `end_reason:failed` on messages means "turns of such calls".

use rusqlite::types::Value;

use super::db::Dialect;
use super::parse::{CHANNEL_KEY_SQL, CmpOp, Field, Filter, NumField, Query};

/// What a list is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    Events,
    Messages,
    Calls,
    Conversations,
}

/// A condition and its parameters, in order of the `?` placeholders.
#[derive(Debug, Clone, Default)]
pub struct Sql {
    pub text: String,
    pub params: Vec<Value>,
}

impl Sql {
    fn new(text: impl Into<String>, params: Vec<Value>) -> Self {
        Self {
            text: text.into(),
            params,
        }
    }

    fn wrap(self, before: &str, after: &str) -> Self {
        Self {
            text: format!("{before}{}{after}", self.text),
            params: self.params,
        }
    }

    fn negate(self) -> Self {
        self.wrap("NOT coalesce((", "), false)")
    }
}

/// Conditions joined by AND; `true` when there are none.
pub fn and_all(parts: Vec<Sql>) -> Sql {
    if parts.is_empty() {
        return Sql::new("true", Vec::new());
    }
    let mut out = Sql::default();
    for (i, part) in parts.into_iter().enumerate() {
        if i > 0 {
            out.text.push_str(" AND ");
        }
        out.text.push('(');
        out.text.push_str(&part.text);
        out.text.push(')');
        out.params.extend(part.params);
    }
    out
}

/// One qualifier's predicate for each kind of row it can apply to.
#[derive(Default)]
struct Pred {
    event: Option<Sql>,
    message: Option<Sql>,
    call: Option<Sql>,
}

fn text(v: &str) -> Value {
    Value::Text(v.to_owned())
}

fn like_contains(v: &str) -> Value {
    let escaped = v
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    Value::Text(format!("%{escaped}%"))
}

fn like_prefix(v: &str) -> Value {
    let escaped = v
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    Value::Text(format!("{escaped}%"))
}

fn op(op: CmpOp) -> &'static str {
    op.sql()
}

fn number(value: f64) -> Value {
    if value.fract() == 0.0 && value.abs() < 9e15 {
        Value::Integer(value as i64)
    } else {
        Value::Real(value)
    }
}

fn predicate(field: &Field, dialect: Dialect) -> Pred {
    let m = |t: &str, p: Vec<Value>| Some(Sql::new(t, p));
    let like = dialect.like();
    // Flags are compared with `true`/`false`, which SQLite reads as its 1 and 0.
    let flag = |v: bool| if v { "true" } else { "false" };
    match field {
        Field::Kind(kind) => Pred { event: m("e.kind = ?", vec![text(kind)]), ..Pred::default() },
        Field::Endpoint(endpoint) => Pred { event: m("e.endpoint = ?", vec![text(endpoint)]), ..Pred::default() },
        Field::Verified(v) => Pred { event: m(&format!("e.verified = {}", flag(*v)), vec![]), ..Pred::default() },
        Field::Session(s) => Pred {
            message: m("m.session_id = ?", vec![text(s)]),
            call: m("c.event_id IN (SELECT event_id FROM call_turns WHERE session_id = ?)", vec![text(s)]),
            ..Pred::default()
        },
        Field::Log(l) => Pred {
            message: m("m.log_id = ?", vec![text(l)]),
            call: m("c.event_id IN (SELECT event_id FROM call_turns WHERE log_id = ?)", vec![text(l)]),
            ..Pred::default()
        },
        Field::User(u) => Pred {
            message: m("m.user_id = ?", vec![text(u)]),
            call: m("c.caller = ?", vec![text(u)]),
            ..Pred::default()
        },
        Field::Assistant(a) => Pred {
            message: m("m.assistant_id = ?", vec![text(a)]),
            call: m("c.event_id IN (SELECT event_id FROM call_turns WHERE assistant_id = ?)", vec![text(a)]),
            ..Pred::default()
        },
        Field::Intent(i) => Pred {
            message: m("m.event_id IN (SELECT event_id FROM message_intents WHERE intent = ?)", vec![text(i)]),
            ..Pred::default()
        },
        Field::Entity { name, value: None } => Pred {
            message: m("m.event_id IN (SELECT event_id FROM message_entities WHERE entity = ?)", vec![text(name)]),
            ..Pred::default()
        },
        Field::Entity { name, value: Some(value) } => Pred {
            message: m(
                "m.event_id IN (SELECT event_id FROM message_entities WHERE entity = ? AND value = ?)",
                vec![text(name), text(value)],
            ),
            ..Pred::default()
        },
        Field::ResponseType(t) => Pred {
            message: m("m.event_id IN (SELECT event_id FROM message_responses WHERE response_type = ?)", vec![text(t)]),
            call: m(
                &format!("c.event_id IN (SELECT event_id FROM call_turns WHERE ' ' || response_types || ' ' {like} ? ESCAPE '\\')"),
                vec![like_contains(&format!(" {t} "))],
            ),
            ..Pred::default()
        },
        Field::Phone(p) => Pred {
            message: m(&format!("m.user_id {like} ? ESCAPE '\\'"), vec![like_contains(p)]),
            call: m(
                &format!("c.caller {like} ? ESCAPE '\\' OR c.callee {like} ? ESCAPE '\\' OR c.primary_phone_number {like} ? ESCAPE '\\'"),
                vec![like_contains(p), like_contains(p), like_contains(p)],
            ),
            ..Pred::default()
        },
        Field::Channel(ch) => Pred {
            message: Some(Sql::new(format!("{CHANNEL_KEY_SQL} LIKE ? ESCAPE '\\'"), vec![like_prefix(ch)])),
            ..Pred::default()
        },
        Field::Action(a) => Pred {
            message: m(
                &format!(
                    "m.event_id IN (SELECT event_id FROM message_actions WHERE {} OR action = ?)",
                    dialect.equals_any_case("title")
                ),
                vec![text(a), text(a)],
            ),
            ..Pred::default()
        },
        Field::Call(id) => Pred {
            call: m("c.global_session_id = ?", vec![text(id)]),
            message: m(
                "m.log_id IN (SELECT t.log_id FROM call_turns t JOIN calls c2 ON c2.event_id = t.event_id
                              WHERE c2.global_session_id = ?)",
                vec![text(id)],
            ),
            ..Pred::default()
        },
        Field::EndReason(r) => Pred { call: m("c.end_reason = ?", vec![text(r)]), ..Pred::default() },
        Field::Failed(v) => Pred { call: m(&format!("c.failure_occurred = {}", flag(*v)), vec![]), ..Pred::default() },
        Field::Failure(f) => Pred {
            call: m(&format!("c.failure_details {like} ? ESCAPE '\\'"), vec![like_contains(f)]),
            ..Pred::default()
        },
        Field::Input(kind) => Pred { message: m("lower(m.input_kind) = ?", vec![text(kind)]), ..Pred::default() },
        Field::BargeIn(v) => Pred {
            call: m(
                &format!("c.event_id IN (SELECT event_id FROM call_turns WHERE barge_in = {})", flag(*v)),
                vec![],
            ),
            message: m(
                &format!("m.log_id IN (SELECT log_id FROM call_turns WHERE barge_in = {})", flag(*v)),
                vec![],
            ),
            ..Pred::default()
        },
        Field::Transferred(v) => {
            Pred { call: m(&format!("c.transfer_occurred = {}", flag(*v)), vec![]), ..Pred::default() }
        }
        Field::Warning(code) => Pred {
            call: m(
                &format!("c.event_id IN (SELECT event_id FROM call_warnings WHERE code {like} ? ESCAPE '\\')"),
                vec![like_prefix(code)],
            ),
            ..Pred::default()
        },
        Field::Custom { key, value: None } => Pred {
            call: m("c.event_id IN (SELECT event_id FROM call_custom_data WHERE key = ?)", vec![text(key)]),
            message: m(&dialect.json_has_key("m.cdr_custom_data"), vec![text(key)]),
            ..Pred::default()
        },
        Field::Custom { key, value: Some(value) } => Pred {
            // Values are stored as JSON text: `true` matches the literal, `pay_bill` the string.
            call: m(
                &format!(
                    "c.event_id IN (SELECT event_id FROM call_custom_data WHERE key = ? AND value IN (?, {}))",
                    dialect.json_quote()
                ),
                vec![text(key), text(value), text(value)],
            ),
            message: m(
                &format!(
                    "{} IN (?, {})",
                    dialect.json_value_at("m.cdr_custom_data"),
                    dialect.json_quote()
                ),
                vec![text(key), text(value), text(value)],
            ),
            ..Pred::default()
        },
        Field::After(t) => Pred {
            message: m("m.request_at >= ?", vec![Value::Integer(t.timestamp_millis())]),
            call: m("c.start_at >= ?", vec![Value::Integer(t.timestamp_millis())]),
            event: None,
        },
        Field::Before(t) => Pred {
            message: m("m.request_at < ?", vec![Value::Integer(t.timestamp_millis())]),
            call: m("c.start_at < ?", vec![Value::Integer(t.timestamp_millis())]),
            event: None,
        },
        Field::Number { field, op: o, value } => numeric(*field, *o, *value),
    }
}

fn numeric(field: NumField, o: CmpOp, value: f64) -> Pred {
    let column = |col: &str| {
        Some(Sql::new(
            format!("c.{col} {} ?", op(o)),
            vec![number(value)],
        ))
    };
    match field {
        NumField::Duration => Pred {
            call: column("duration_ms"),
            ..Pred::default()
        },
        NumField::LatencyAssistant => Pred {
            call: column("max_assistant_ms"),
            message: Some(Sql::new(
                format!("m.response_ms {} ?", op(o)),
                vec![number(value)],
            )),
            ..Pred::default()
        },
        NumField::LatencyTts => Pred {
            call: column("max_tts_ms"),
            ..Pred::default()
        },
        NumField::LatencyStt => Pred {
            call: column("max_stt_ms"),
            ..Pred::default()
        },
        NumField::Setup => Pred {
            call: column("setup_ms"),
            ..Pred::default()
        },
        NumField::Warnings => Pred {
            call: column("warning_count"),
            ..Pred::default()
        },
        NumField::Turns => Pred {
            call: column("turn_count"),
            message: Some(Sql::new(
                format!(
                    "m.session_id IN (SELECT session_id FROM conversations WHERE turns {} ?)",
                    op(o)
                ),
                vec![number(value)],
            )),
            ..Pred::default()
        },
        NumField::Confidence => Pred {
            // The intent's confidence or the speech recognition's: either can be what is low.
            message: Some(Sql::new(
                format!("m.top_confidence {0} ? OR m.stt_confidence {0} ?", op(o)),
                vec![number(value), number(value)],
            )),
            call: Some(Sql::new(
                format!(
                    "c.event_id IN (SELECT event_id FROM call_turns WHERE stt_confidence {} ?)",
                    op(o)
                ),
                vec![number(value)],
            )),
            ..Pred::default()
        },
        NumField::IntentConfidence => Pred {
            message: Some(Sql::new(
                format!("m.top_confidence {} ?", op(o)),
                vec![number(value)],
            )),
            ..Pred::default()
        },
        // What Trends counts: call turns (a message is its call turn, through its log id).
        NumField::SttConfidence => Pred {
            message: Some(Sql::new(
                format!(
                    "m.log_id IN (SELECT log_id FROM call_turns WHERE stt_confidence {} ?)",
                    op(o)
                ),
                vec![number(value)],
            )),
            call: Some(Sql::new(
                format!(
                    "c.event_id IN (SELECT event_id FROM call_turns WHERE stt_confidence {} ?)",
                    op(o)
                ),
                vec![number(value)],
            )),
            ..Pred::default()
        },
    }
}

/// The condition one filter puts on rows of `subject`. Subjects alias their tables as `e` (events),
/// `m` (messages, joined to `e`), `c` (calls, joined to `e`).
fn for_subject(pred: Pred, subject: Subject, broad: bool) -> Sql {
    // Every subject's rows are joined to their event as `e` (conversations through their messages).
    if let Some(event) = pred.event {
        return event;
    }
    match subject {
        Subject::Messages | Subject::Conversations => match (pred.message, pred.call) {
            (Some(m), _) => m,
            (None, Some(c)) => c.wrap(
                "m.log_id IN (SELECT t.log_id FROM call_turns t JOIN calls c ON c.event_id = t.event_id WHERE ",
                ")",
            ),
            (None, None) => Sql::new("false", Vec::new()),
        },
        Subject::Calls => match (pred.call, pred.message) {
            (Some(c), _) => c,
            (None, Some(m)) => m.wrap(
                "c.event_id IN (SELECT t.event_id FROM call_turns t JOIN messages m ON m.log_id = t.log_id WHERE ",
                ")",
            ),
            (None, None) => Sql::new("false", Vec::new()),
        },
        // A range (times, durations) matches much of the store: checked row by row as the list is
        // read newest first. An equality (an intent, a session) matches little: its rows are looked
        // up first through their index.
        Subject::Events if broad => {
            let m = pred.message.map(|m| {
                m.wrap("EXISTS (SELECT 1 FROM messages m WHERE m.event_id = e.id AND (", "))")
            });
            let c = pred.call.map(|c| {
                c.wrap("EXISTS (SELECT 1 FROM calls c WHERE c.event_id = e.id AND (", "))")
            });
            either(m, c)
        }
        Subject::Events => {
            let m = pred.message.map(|m| m.wrap("e.id IN (SELECT m.event_id FROM messages m WHERE ", ")"));
            let c = pred.call.map(|c| c.wrap("e.id IN (SELECT c.event_id FROM calls c WHERE ", ")"));
            either(m, c)
        }
    }
}

/// An event matches if it is a message matching `m` or a call matching `c`.
fn either(m: Option<Sql>, c: Option<Sql>) -> Sql {
    match (m, c) {
        (Some(m), Some(c)) => {
            let mut params = m.params;
            params.extend(c.params);
            Sql::new(format!("{} OR {}", m.text, c.text), params)
        }
        (Some(one), None) | (None, Some(one)) => one,
        (None, None) => Sql::new("false", Vec::new()),
    }
}

/// The column holding a row's event id, per subject.
fn id_column(subject: Subject) -> &'static str {
    match subject {
        Subject::Events => "e.id",
        Subject::Messages | Subject::Conversations => "m.event_id",
        Subject::Calls => "c.event_id",
    }
}

/// The whole condition for `query` on `subject`, in `dialect`.
pub fn compile(query: &Query, subject: Subject, dialect: Dialect) -> Sql {
    let (fts, rest) = compile_driven(query, subject, dialect);
    match fts {
        Some(fts) => and_all(vec![
            Sql::new(
                format!("{} IN ({})", id_column(subject), dialect.fts_ids()),
                vec![Value::Text(fts)],
            ),
            rest,
        ]),
        None => rest,
    }
}

/// The query split for a list that is driven by the full-text index when there is free text: the
/// full-text match text ([`Dialect::fts_match`], to put on `event_fts f`, joined on the row's event
/// id and read in id order, so a common word costs a page, not every match), and the rest of the
/// condition.
pub fn compile_driven(query: &Query, subject: Subject, dialect: Dialect) -> (Option<String>, Sql) {
    let mut parts = Vec::new();
    let id = id_column(subject);
    if let Some(fts) = dialect.fts_exclude(query) {
        parts.push(Sql::new(
            format!("{id} NOT IN ({})", dialect.fts_ids()),
            vec![Value::Text(fts)],
        ));
    }
    for Filter { field, negated, .. } in &query.filters {
        if subject_ignores(field, subject) {
            continue;
        }
        let broad = matches!(
            field,
            Field::After(_) | Field::Before(_) | Field::Number { .. }
        );
        let sql = for_subject(predicate(field, dialect), subject, broad);
        parts.push(if *negated { sql.negate() } else { sql });
    }
    (dialect.fts_match(query), and_all(parts))
}

/// `kind:` on a list of one kind is already answered by the list itself.
fn subject_ignores(field: &Field, subject: Subject) -> bool {
    match (field, subject) {
        (Field::Kind(kind), Subject::Messages | Subject::Conversations) => kind == "message_logged",
        (Field::Kind(kind), Subject::Calls) => kind == "cdr_logged",
        _ => false,
    }
}

/// Whether rejected requests can match: only `kind:rejected`, `endpoint:` and time bounds apply to them.
pub fn rejection_filter(query: &Query) -> Option<Sql> {
    if !query.text.is_empty() {
        return None;
    }
    let mut parts = Vec::new();
    for Filter { field, negated, .. } in &query.filters {
        let sql = match field {
            // `kind:rejected` and `-kind:message_logged` keep rejections; the opposites drop them.
            Field::Kind(kind) if (kind == "rejected") != *negated => Sql::new("true", Vec::new()),
            Field::Kind(_) => return None,
            Field::Endpoint(e) => Sql::new("r.endpoint = ?", vec![text(e)]),
            Field::After(t) => Sql::new(
                "r.received_at >= ?",
                vec![Value::Integer(t.timestamp_millis())],
            ),
            Field::Before(t) => Sql::new(
                "r.received_at < ?",
                vec![Value::Integer(t.timestamp_millis())],
            ),
            _ => return None,
        };
        let negate = *negated && !matches!(field, Field::Kind(_));
        parts.push(if negate { sql.negate() } else { sql });
    }
    Some(and_all(parts))
}

/// Whether accepted events can match (not when the query asks for `kind:rejected` only).
pub fn wants_events(query: &Query) -> bool {
    !query
        .filters
        .iter()
        .any(|f| matches!(&f.field, Field::Kind(k) if k == "rejected" && !f.negated))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::parse::parse;

    fn sql(q: &str, subject: Subject) -> Sql {
        compile(
            &parse(q, chrono::Utc::now()).unwrap(),
            subject,
            Dialect::Sqlite,
        )
    }

    #[test]
    fn placeholders_match_parameters() {
        for q in [
            "refund -kind:rejected intent:pay_bill entity:sys-number=5 type:text phone:555 custom.a:b custom.c:*",
            "duration>60s latency.tts>800 warnings>=1 turns<3 confidence<0.5 session:s log:l user:u assistant:a",
            "end_reason:caller_hangup failed:true transferred:no warning:CWSMR channel:Phone call:g -\"x y\"",
            "after:2026-01-01 before:7d endpoint:/draft verified:yes",
            "input:speech barge_in:true confidence.intent<0.5 confidence.stt>=0.3",
        ] {
            for subject in [
                Subject::Events,
                Subject::Messages,
                Subject::Calls,
                Subject::Conversations,
            ] {
                let s = sql(q, subject);
                assert_eq!(
                    s.text.matches('?').count(),
                    s.params.len(),
                    "{q} on {subject:?}: {}",
                    s.text
                );
            }
        }
    }

    /// The qualifiers that Trends' distributions open their lists with, over the samples.
    #[test]
    fn input_barge_in_and_each_confidence_select_their_rows() {
        use crate::query::search::{self, Search};
        let (_dir, _store, conn) = crate::query::call::tests::sample_store();
        let logs = |q: &str| -> Vec<String> {
            let mut v: Vec<String> = search::messages(&conn, &Search::new(q), false)
                .unwrap()
                .items
                .into_iter()
                .filter_map(|m| m.log_id)
                .collect();
            v.sort();
            v
        };
        let calls = |q: &str| -> Vec<String> {
            let mut v: Vec<String> = search::calls(&conn, &Search::new(q), false)
                .unwrap()
                .items
                .into_iter()
                .filter_map(|c| c.global_session_id)
                .collect();
            v.sort();
            v
        };
        // 08 is the one DTMF turn; the kind is compared in any case.
        assert_eq!(logs("input:dtmf"), ["4784a180-8bcc-4d0f-9451-f1f881dde4f9"]);
        assert_eq!(logs("input:DTMF"), logs("input:dtmf"));
        assert!(logs("input:speech").contains(&"d54ba54a-4c95-404b-8f55-860ebf7a25fb".to_owned()));
        assert!(!logs("input:text").contains(&"4784a180-8bcc-4d0f-9451-f1f881dde4f9".to_owned()));
        // CDR 12's second turn (message 07) heard 0.87, CDR 11's second (message 09) 0.78.
        assert_eq!(
            logs("confidence.stt>=0.8 confidence.stt<0.9"),
            ["d54ba54a-4c95-404b-8f55-860ebf7a25fb"]
        );
        assert_eq!(
            logs("confidence.stt>=0.7 confidence.stt<0.8"),
            ["cb4ed5f6-d731-4a6c-81ad-f1ffcd66dea5"]
        );
        let with_087 = calls("confidence.stt>=0.8 confidence.stt<0.9");
        assert_eq!(
            with_087.len(),
            1,
            "CDR 10 heard 0.93 only, 11 0.78 only: {with_087:?}"
        );
        // CDRs 11 and 12 each had a turn barged in on; 10 had none.
        assert_eq!(calls("barge_in:true").len(), 2);
        assert_eq!(
            calls("barge_in:false").len(),
            3,
            "every CDR has a turn not barged in on"
        );
        // The intent's confidence alone: every message found has a top intent below the bound.
        for m in search::messages(&conn, &Search::new("confidence.intent<0.9"), false)
            .unwrap()
            .items
        {
            assert!(m.top_confidence.is_some_and(|c| c < 0.9), "{m:?}");
        }
    }

    #[test]
    fn user_values_never_reach_the_sql_text() {
        let s = sql(
            "user:\"x' OR 1=1 --\" custom.k';DROP:v intent:\"a)b\"",
            Subject::Events,
        );
        assert!(
            !s.text.contains("OR 1=1") && !s.text.contains("DROP") && !s.text.contains("a)b"),
            "{}",
            s.text
        );
    }

    #[test]
    fn rejections_match_only_what_applies_to_them() {
        let q = |s: &str| parse(s, chrono::Utc::now()).unwrap();
        assert!(rejection_filter(&q("")).is_some());
        assert!(rejection_filter(&q("kind:rejected endpoint:/x")).is_some());
        assert!(rejection_filter(&q("refund")).is_none());
        assert!(rejection_filter(&q("intent:x")).is_none());
        assert!(!wants_events(&q("kind:rejected")));
        assert!(wants_events(&q("-kind:rejected")));
    }
}
