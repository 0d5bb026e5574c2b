//! The queryable rows derived from one webhook body at ingest.
//!
//! Deriving never fails: a field that is missing or of a surprising type is left empty, so a payload
//! that does not look like IBM's documents still has its body stored, whole. Where IBM's own documents
//! disagree (`invite_arrival_time` / `invite_arrival_timestamp`, a warning's `id` / `code`,
//! `callerHangup` / `caller_hangup`), both spellings are read.
//!
//! Fields are read through [`super::json`] (its rules) and enumerated values normalised by
//! [`super::names::normalise_name`]. Which CDR field lands in which column, and where it is searched
//! and shown: the table in [`super::cdr`].

use serde_json::Value;

use super::json::{
    Json, array_at, at, bool_at, event_time_ms, int_at, members_at, num_at, scalar_text, str_at,
};
use super::names::normalise_name;

pub const MESSAGE_LOGGED: &str = "message_logged";
pub const CDR_LOGGED: &str = "cdr_logged";

/// What the store keeps besides the body itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Derived {
    pub message: Option<MessageRow>,
    pub call: Option<CallRow>,
    pub fts: FtsText,
}

/// The three columns of the full-text index.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FtsText {
    pub user_text: String,
    pub assistant_text: String,
    /// Intents, entities, phone numbers, warning messages and custom-data values.
    pub meta: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct MessageRow {
    pub log_id: Option<String>,
    pub session_id: Option<String>,
    pub context_session_id: Option<String>,
    pub assistant_id: Option<String>,
    pub skill_id: Option<String>,
    pub snapshot: Option<String>,
    pub language: Option<String>,
    pub user_id: Option<String>,
    pub customer_id: Option<String>,
    pub request_ts: Option<String>,
    pub request_at: Option<i64>,
    pub response_ts: Option<String>,
    pub response_at: Option<i64>,
    /// `response_at - request_at`, only when the payload has both times and the response does not
    /// come before the request: the assistant's latency for this message.
    pub response_ms: Option<i64>,
    pub turn_count: Option<i64>,
    pub input_kind: Option<String>,
    pub user_text: Option<String>,
    pub stt_confidence: Option<f64>,
    pub assistant_text: String,
    pub response_types: Vec<String>,
    pub intents: Vec<(String, Option<f64>)>,
    /// The actions the turn's debug output names: (action id, title), each once.
    pub actions: Vec<(String, Option<String>)>,
    pub entities: Vec<EntityRow>,
    pub channel: Option<String>,
    pub sip_call_id: Option<String>,
    pub cdr_custom_data: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct EntityRow {
    pub entity: String,
    pub value: Option<String>,
    pub confidence: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallRow {
    pub global_session_id: Option<String>,
    pub start_ts: Option<String>,
    pub start_at: Option<i64>,
    pub stop_ts: Option<String>,
    pub duration_ms: Option<i64>,
    pub outbound: Option<bool>,
    pub end_reason_raw: Option<String>,
    pub end_reason: Option<String>,
    pub failure_occurred: Option<bool>,
    pub failure_details: Option<String>,
    pub transfer_occurred: Option<bool>,
    pub primary_phone_number: Option<String>,
    pub from_uri: Option<String>,
    pub to_uri: Option<String>,
    pub caller: Option<String>,
    pub callee: Option<String>,
    pub sip_call_id: Option<String>,
    pub trunk_call_id: Option<String>,
    pub invite_arrival_ts: Option<String>,
    pub setup_ms: Option<i64>,
    pub max_assistant_ms: Option<i64>,
    pub max_tts_ms: Option<i64>,
    pub max_stt_ms: Option<i64>,
    pub media_encrypted: Option<bool>,
    pub signaling_encrypted: Option<bool>,
    pub sip_authenticated: Option<bool>,
    pub active_calls: Option<i64>,
    pub rtp: Option<String>,
    pub turns: Vec<CallTurnRow>,
    pub warnings: Vec<WarningRow>,
    /// `injected_custom_data` as (key, JSON text of the value), in payload order.
    pub custom_data: Vec<(String, String)>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallTurnRow {
    pub summary_index: i64,
    pub session_id: Option<String>,
    pub assistant_id: Option<String>,
    pub log_id: Option<String>,
    pub request_type: Option<String>,
    pub response_types: Vec<String>,
    pub start_ts: Option<String>,
    /// `start_ts` in ms (`None` when missing or the epoch placeholder). It may come before the
    /// call's own start: Watson's clocks are not one.
    pub start_at: Option<i64>,
    pub assistant_ms: Option<i64>,
    pub stt_ms: Option<i64>,
    pub stt_confidence: Option<f64>,
    pub echo_detected: Option<bool>,
    pub tts_ms: Option<i64>,
    pub barge_in: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct WarningRow {
    pub code: Option<String>,
    pub message: Option<String>,
}

/// The version of what [`derive`] makes of a body. Bump it whenever the derived rows change (a new
/// column, a different normalisation, a field read from another place): a store derived by another
/// version rebuilds every derived row from the stored bodies when it opens.
pub const DERIVER_VERSION: i64 = 6;

/// Derives the rows for one body, already known to be a JSON object with a string `event.name`.
pub fn derive<J: Json>(kind: &str, body: &J) -> Derived {
    let null = J::null();
    let payload = body.get("payload").unwrap_or(&null);
    match kind {
        MESSAGE_LOGGED => {
            let message = derive_message(payload);
            let fts = FtsText {
                user_text: message.user_text.clone().unwrap_or_default(),
                assistant_text: message.assistant_text.clone(),
                meta: message_meta(&message),
            };
            Derived {
                message: Some(message),
                call: None,
                fts,
            }
        }
        CDR_LOGGED => {
            let call = derive_call(payload);
            let fts = FtsText {
                meta: call_meta(&call),
                ..FtsText::default()
            };
            Derived {
                message: None,
                call: Some(call),
                fts,
            }
        }
        _ => Derived::default(),
    }
}

fn derive_message<J: Json>(p: &J) -> MessageRow {
    let null = J::null();
    let request = p.get("request").unwrap_or(&null);
    let response = p.get("response").unwrap_or(&null);
    let input = request.get("input").unwrap_or(&null);
    let output = response.get("output").unwrap_or(&null);
    let voice_input = at(input, &["integrations", "voice_telephony"]);
    let stt_result = voice_input.and_then(|v| v.get("speech_to_text_result"));
    let voice_context = at(response, &["context", "integrations", "voice_telephony"])
        .or_else(|| at(request, &["context", "integrations", "voice_telephony"]));

    let input_kind = if voice_input.and_then(|v| bool_at(v, &["is_dtmf"])) == Some(true) {
        Some("dtmf".to_owned())
    } else if stt_result.is_some() {
        Some("speech".to_owned())
    } else {
        str_at(input, &["message_type"]).or_else(|| input.is_object().then(|| "text".to_owned()))
    };
    let stt_confidence = stt_result.and_then(|r| {
        num_at(r, &["results", "0", "alternatives", "0", "confidence"])
            .or_else(|| num_at(r, &["confidence"]))
    });

    let mut assistant_text = Vec::new();
    let mut response_types = Vec::new();
    for item in array_at(output, &["generic"]) {
        response_types
            .push(str_at(item, &["response_type"]).unwrap_or_else(|| "unknown".to_owned()));
        collect_text(item, false, &mut assistant_text);
    }

    let intents = array_at(output, &["intents"])
        .filter_map(|i| Some((str_at(i, &["intent"])?, num_at(i, &["confidence"]))))
        .collect::<Vec<_>>();
    let entities = array_at(output, &["entities"])
        .filter_map(|e| {
            Some(EntityRow {
                entity: str_at(e, &["entity"])?,
                value: scalar_text(e.get("value")),
                confidence: num_at(e, &["confidence"]),
            })
        })
        .collect();

    let user_id = str_at(response, &["user_id"])
        .or_else(|| str_at(response, &["context", "global", "system", "user_id"]))
        .or_else(|| str_at(request, &["user_id"]))
        .or_else(|| str_at(request, &["context", "global", "system", "user_id"]));
    let channel = str_at(response, &["context", "integrations", "channel", "name"])
        .or_else(|| str_at(request, &["context", "integrations", "channel", "name"]))
        .or_else(|| voice_context.map(|_| "Phone".to_owned()));
    let request_ts = str_at(p, &["request_timestamp"]);
    let response_ts = str_at(p, &["response_timestamp"]);
    let request_at = request_ts.as_deref().and_then(event_time_ms);
    let response_at = response_ts.as_deref().and_then(event_time_ms);

    MessageRow {
        log_id: str_at(p, &["log_id"]),
        session_id: str_at(p, &["session_id"]),
        context_session_id: str_at(response, &["context", "global", "session_id"]),
        assistant_id: str_at(p, &["assistant_id"]),
        skill_id: str_at(p, &["skill_id"]),
        snapshot: str_at(p, &["snapshot"]),
        language: str_at(p, &["language"]),
        user_id,
        customer_id: str_at(p, &["customer_id"]),
        request_at,
        request_ts,
        response_at,
        response_ts,
        response_ms: request_at
            .zip(response_at)
            .map(|(req, res)| res - req)
            .filter(|&ms| ms >= 0),
        turn_count: int_at(response, &["context", "global", "system", "turn_count"]),
        input_kind,
        user_text: str_at(input, &["text"]),
        stt_confidence,
        assistant_text: assistant_text.join("\n"),
        response_types,
        intents,
        actions: super::response::actions(output.get("debug").unwrap_or(&null)),
        entities,
        channel,
        sip_call_id: voice_context.and_then(|v| str_at(v, &["sip_call_id"])),
        cdr_custom_data: voice_context
            .and_then(|v| v.get("cdr_custom_data"))
            .filter(|v| !v.is_null())
            .map(J::to_json),
    }
}

fn derive_call<J: Json>(p: &J) -> CallRow {
    let null = J::null();
    let call = p.get("call").unwrap_or(&null);
    let sip = p.get("session_initiation_protocol").unwrap_or(&null);
    let max = p.get("max_response_milliseconds").unwrap_or(&null);
    let start_ts = str_at(call, &["start_timestamp"]);
    let end_reason_raw = str_at(call, &["end_reason"]);
    let from_uri = str_at(sip, &["headers", "from_uri"]);
    let to_uri = str_at(sip, &["headers", "to_uri"]);

    let mut turns = Vec::new();
    for (index, summary) in array_at(p, &["assistant_interaction_summaries"]).enumerate() {
        for turn in array_at(summary, &["turns"]) {
            turns.push(derive_call_turn(index as i64, summary, turn));
        }
    }
    let warnings = array_at(p, &["warnings_and_errors"])
        .map(|w| {
            let message = str_at(w, &["message"]);
            let code = str_at(w, &["code"])
                .or_else(|| str_at(w, &["id"]))
                .or_else(|| message.as_deref().and_then(code_prefix));
            WarningRow { code, message }
        })
        .collect();
    let custom_data = members_at(p, &["injected_custom_data"])
        .map(|(k, v)| (k.to_owned(), v.to_json()))
        .collect();

    CallRow {
        global_session_id: str_at(p, &["global_session_id"]),
        start_at: start_ts.as_deref().and_then(event_time_ms),
        start_ts,
        stop_ts: str_at(call, &["stop_timestamp"]),
        duration_ms: int_at(call, &["milliseconds_elapsed"]),
        outbound: bool_at(call, &["outbound"]),
        end_reason: end_reason_raw.as_deref().map(normalise_name),
        end_reason_raw,
        failure_occurred: bool_at(p, &["failure_occurred"]),
        failure_details: scalar_text(p.get("failure_details")),
        transfer_occurred: bool_at(p, &["transfer_occurred"]),
        primary_phone_number: str_at(p, &["primary_phone_number"]),
        caller: from_uri.as_deref().map(sip_user),
        callee: to_uri.as_deref().map(sip_user),
        from_uri,
        to_uri,
        sip_call_id: str_at(sip, &["headers", "call_id"]),
        trunk_call_id: str_at(p, &["x-global-sip-trunk-call-id"]),
        invite_arrival_ts: str_at(sip, &["invite_arrival_timestamp"])
            .or_else(|| str_at(sip, &["invite_arrival_time"])),
        setup_ms: int_at(sip, &["setup_milliseconds"]),
        max_assistant_ms: int_at(max, &["assistant"]),
        max_tts_ms: int_at(max, &["text_to_speech"]),
        max_stt_ms: int_at(max, &["speech_to_text"]),
        media_encrypted: bool_at(call, &["security", "media_encrypted"]),
        signaling_encrypted: bool_at(call, &["security", "signaling_encrypted"]),
        sip_authenticated: bool_at(call, &["security", "sip_authenticated"]),
        active_calls: int_at(p, &["active_calls"]),
        rtp: p
            .get("realtime_transport_network_summary")
            .filter(|v| !v.is_null())
            .map(J::to_json),
        turns,
        warnings,
        custom_data,
    }
}

fn derive_call_turn<J: Json>(summary_index: i64, summary: &J, turn: &J) -> CallTurnRow {
    let null = J::null();
    let request = turn.get("request").unwrap_or(&null);
    let responses = array_at(turn, &["response"]).collect::<Vec<_>>();
    let tts_ms = responses
        .iter()
        .copied()
        .filter_map(|r| int_at(r, &["streaming_statistics", "response_milliseconds"]))
        .max();
    let barge_ins = responses
        .iter()
        .copied()
        .filter_map(|r| bool_at(r, &["barge_in_occurred"]))
        .collect::<Vec<_>>();
    CallTurnRow {
        summary_index,
        session_id: str_at(summary, &["session_id"]),
        assistant_id: str_at(summary, &["assistant_id"]),
        log_id: str_at(turn, &["assistant", "log_id"]),
        request_type: str_at(request, &["type"]),
        response_types: responses
            .iter()
            .copied()
            .map(|r| str_at(r, &["type"]).unwrap_or_else(|| "unknown".to_owned()))
            .collect(),
        start_at: str_at(turn, &["assistant", "start_timestamp"])
            .as_deref()
            .and_then(event_time_ms),
        start_ts: str_at(turn, &["assistant", "start_timestamp"]),
        assistant_ms: int_at(turn, &["assistant", "response_milliseconds"]),
        stt_ms: int_at(request, &["streaming_statistics", "response_milliseconds"]),
        stt_confidence: num_at(request, &["streaming_statistics", "confidence"]),
        echo_detected: bool_at(request, &["streaming_statistics", "echo_detected"]),
        tts_ms,
        barge_in: (!barge_ins.is_empty()).then(|| barge_ins.contains(&true)),
    }
}

fn message_meta(m: &MessageRow) -> String {
    let mut parts = Vec::new();
    parts.extend(m.intents.iter().map(|(intent, _)| intent.clone()));
    parts.extend(m.actions.iter().filter_map(|(_, title)| title.clone()));
    for e in &m.entities {
        parts.push(e.entity.clone());
        parts.extend(e.value.clone());
    }
    parts.extend(m.user_id.clone());
    if let Some(custom) = m.cdr_custom_data.as_deref()
        && let Ok(Value::Object(map)) = serde_json::from_str::<Value>(custom)
    {
        parts.extend(map.values().filter_map(|v| scalar_text(Some(v))));
    }
    parts.join("\n")
}

fn call_meta(c: &CallRow) -> String {
    let mut parts = Vec::new();
    parts.extend(c.primary_phone_number.clone());
    parts.extend(c.caller.clone());
    parts.extend(c.callee.clone());
    parts.extend(c.failure_details.clone());
    for w in &c.warnings {
        parts.extend(w.message.clone().or_else(|| w.code.clone()));
    }
    for (_, value) in &c.custom_data {
        match serde_json::from_str::<Value>(value) {
            Ok(v) => parts.extend(scalar_text(Some(&v)).or(Some(value.clone()))),
            Err(_) => parts.push(value.clone()),
        }
    }
    parts.join("\n")
}

/// Keys whose string values a person reads, in any `output.generic` item, whatever its type.
const TEXT_KEYS: &[&str] = &[
    "text",
    "title",
    "description",
    "label",
    "message",
    "message_to_human_agent",
    "alt_text",
    "body",
    "header",
];

/// Collects the human-readable strings of one response item. Everything under `user_defined` counts:
/// its shape is the assistant author's own.
fn collect_text<J: Json>(value: &J, all_strings: bool, out: &mut Vec<String>) {
    if let Some(s) = value.as_str() {
        if all_strings && !s.trim().is_empty() {
            out.push(s.to_owned());
        }
        return;
    }
    for (key, v) in value.members() {
        match v.as_str() {
            Some(s) if (all_strings || TEXT_KEYS.contains(&key)) => {
                if !s.trim().is_empty() {
                    out.push(s.to_owned());
                }
            }
            // An option's `value.input.text` repeats its label: what was said is the label.
            _ if key == "value" && !all_strings => {}
            _ => collect_text(v, all_strings || key == "user_defined", out),
        }
    }
    for v in value.items() {
        collect_text(v, all_strings, out);
    }
}

/// `sip:+18885550146@pstn.twilio.com` → `+18885550146`.
fn sip_user(uri: &str) -> String {
    let rest = uri
        .trim()
        .trim_start_matches('<')
        .trim_start_matches("sips:")
        .trim_start_matches("sip:")
        .trim_start_matches("tel:");
    rest.split(['@', ';', '>'])
        .next()
        .unwrap_or(rest)
        .to_owned()
}

/// A warning code at the start of its message: `CWSMR0033W: The inbound …` → `CWSMR0033W`.
fn code_prefix(message: &str) -> Option<String> {
    let head = message.split(':').next()?.trim();
    let looks_like_code = head.len() >= 6
        && head.len() <= 16
        && head.chars().all(|c| c.is_ascii_alphanumeric())
        && head.chars().take(4).all(|c| c.is_ascii_uppercase());
    looks_like_code.then(|| head.to_owned())
}

#[cfg(test)]
mod proptests {
    use proptest::prelude::*;
    use serde_json::Value;

    use super::*;
    use crate::watson::json::Borrowed;

    /// Any JSON value, nested a few levels, with the keys the deriver looks for mixed in.
    fn json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            ".{0,20}".prop_map(Value::String),
        ];
        let keys = prop_oneof![
            Just("payload".to_owned()),
            Just("request".to_owned()),
            Just("response".to_owned()),
            Just("output".to_owned()),
            Just("generic".to_owned()),
            Just("context".to_owned()),
            Just("call".to_owned()),
            Just("turns".to_owned()),
            Just("assistant_interaction_summaries".to_owned()),
            Just("injected_custom_data".to_owned()),
            Just("warnings_and_errors".to_owned()),
            Just("user_defined".to_owned()),
            ".{0,8}",
        ];
        leaf.prop_recursive(5, 64, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec((keys.clone(), inner), 0..6)
                    .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
            ]
        })
    }

    /// JSON text of a tree like [`json`]'s, written out by hand: an object may repeat a key (which
    /// serde_json's own tree cannot hold), and strings may need escapes.
    fn json_text() -> impl Strategy<Value = String> {
        let text = |s: &str| serde_json::to_string(s).expect("a string is JSON");
        let leaf = prop_oneof![
            Just("null".to_owned()),
            any::<bool>().prop_map(|b| b.to_string()),
            any::<i64>().prop_map(|i| i.to_string()),
            any::<u64>().prop_map(|i| i.to_string()),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(|f| serde_json::to_string(&f).expect("finite")),
            Just("1e400".to_owned()),
            "(.|\n|\"|\\\\){0,12}".prop_map(move |s| text(&s)),
        ];
        let keys = prop_oneof![
            Just("payload"),
            Just("request"),
            Just("response"),
            Just("input"),
            Just("output"),
            Just("generic"),
            Just("text"),
            Just("value"),
            Just("user_defined"),
            Just("log_id"),
            Just("session_id"),
            Just("intents"),
            Just("intent"),
            Just("call"),
            Just("turns"),
            Just("assistant_interaction_summaries"),
            Just("injected_custom_data"),
            Just("realtime_transport_network_summary"),
            Just("warnings_and_errors"),
            Just("0"),
        ]
        .prop_map(str::to_owned);
        let keys = prop_oneof![keys, "[a-z\"\\\\]{0,4}"];
        leaf.prop_recursive(5, 64, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6)
                    .prop_map(|items| format!("[{}]", items.join(","))),
                prop::collection::vec((keys.clone(), inner), 0..6).prop_map(move |pairs| {
                    let members: Vec<String> = pairs
                        .iter()
                        .map(|(k, v)| format!("{}:{v}", text(k)))
                        .collect();
                    format!("{{{}}}", members.join(","))
                }),
            ]
        })
    }

    /// What a body derives to: its event name and rows, or why it is not an event.
    type Derivation = Result<(String, Derived), String>;

    /// Parses `body` into both trees and derives each.
    fn both(body: &str) -> (Derivation, Derivation) {
        let owned = crate::watson::parse_envelope::<Value>(body.as_bytes())
            .map(|(kind, value)| (kind.clone(), derive(&kind, &value)));
        let borrowed = crate::watson::parse_envelope::<Borrowed>(body.as_bytes())
            .map(|(kind, value)| (kind.clone(), derive(&kind, &value)));
        (owned, borrowed)
    }

    #[test]
    fn a_repeated_key_is_read_as_serde_json_reads_it_in_both_trees() {
        let body = r#"{"event": {"name": "cdr_logged"}, "payload": {
            "global_session_id": "first", "global_session_id": "last",
            "injected_custom_data": {"k": 1, "j": "two", "k": {"three": 3}},
            "realtime_transport_network_summary": {"a": 1, "a": 2}}}"#;
        let (owned, borrowed) = both(body);
        assert_eq!(owned, borrowed);
        let call = owned.unwrap().1.call.unwrap();
        assert_eq!(call.global_session_id.as_deref(), Some("last"));
        assert_eq!(
            call.custom_data,
            [
                ("k".to_owned(), r#"{"three":3}"#.to_owned()),
                ("j".to_owned(), r#""two""#.to_owned())
            ]
        );
        assert_eq!(call.rtp.as_deref(), Some(r#"{"a":2}"#));
    }

    #[test]
    fn the_samples_derive_the_same_rows_from_both_trees() {
        let samples = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/samples");
        let mut read = 0;
        for entry in std::fs::read_dir(samples).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "json") {
                let body = std::fs::read_to_string(&path).unwrap();
                let (owned, borrowed) = both(&body);
                assert!(owned.is_ok(), "{}", path.display());
                assert_eq!(owned, borrowed, "{}", path.display());
                read += 1;
            }
        }
        assert_eq!(read, 12);
    }

    proptest! {
        #[test]
        fn both_trees_derive_the_same_rows(
            payload in json_text(),
            kind in prop_oneof![Just(MESSAGE_LOGGED), Just(CDR_LOGGED)],
        ) {
            let (owned, borrowed) = both(&format!(r#"{{"event":{{"name":"{kind}"}},"payload":{payload}}}"#));
            prop_assert_eq!(owned, borrowed);
        }

        #[test]
        fn both_trees_accept_and_refuse_the_same_bodies(body in json_text()) {
            let (owned, borrowed) = both(&body);
            prop_assert_eq!(owned, borrowed);
        }

        #[test]
        fn deriving_never_panics(body in json()) {
            for kind in [MESSAGE_LOGGED, CDR_LOGGED, "other"] {
                let wrapped = serde_json::json!({"event": {"name": kind}, "payload": body.clone()});
                let _ = derive(kind, &wrapped);
                let _ = derive(kind, &body);
            }
        }

        #[test]
        fn envelope_parsing_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            let _ = crate::watson::parse_envelope::<Value>(&bytes);
        }
    }
}
