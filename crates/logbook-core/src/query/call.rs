//! One call record, opened: the CDR's header facts, its turns linked to the message logs they
//! produced, its warnings explained, and its custom data replayed from those messages.
//!
//! A call turn links to a message when the message's `log_id` equals the turn's
//! `assistant.log_id`. The link is a join made when the call is opened, so it holds whichever of
//! the two events arrived first, and a message that arrives later links on the next open.
//! Details the derived tables do not keep (each response's timings, STT timestamps, interaction
//! summaries, RTP statistics, custom data in payload order) are read from the stored body.

use std::time::Duration;

use rusqlite::types::Value as SqlValue;
use serde::Serialize;
use serde_json::{Map, Value};

use super::db::{Db, Dialect};
use super::{QUERY_DEADLINE_MS, QueryError, with_deadline};
use crate::store::stored_body::unpack;
use crate::watson::cdr::rtp;
pub use crate::watson::cdr::{
    Rtp, RtpStream, WarningInfo, explain_warning, request_meaning, wa_response_type,
};
use crate::watson::json::{array_at, bool_at, int_at, object_at, str_at, timestamp_ms};

/// One `cdr_logged` event, opened.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Call {
    pub event_id: i64,
    pub global_session_id: Option<String>,
    /// When the event was stored, Unix milliseconds.
    pub received_at: i64,
    pub primary_phone_number: Option<String>,
    /// The user part of the SIP From URI (usually the caller's number).
    pub caller: Option<String>,
    /// The user part of the SIP To URI.
    pub callee: Option<String>,
    pub from_uri: Option<String>,
    pub to_uri: Option<String>,
    pub start_ts: Option<String>,
    /// `start_ts` as Unix milliseconds; the store files a call without one at its arrival time.
    pub start_at: Option<i64>,
    pub stop_ts: Option<String>,
    pub duration_ms: Option<i64>,
    pub outbound: Option<bool>,
    /// Normalised (`watson/names.rs`): `callerHangup` becomes `caller_hangup`, `SIPTimeout`
    /// `sip_timeout`.
    pub end_reason: Option<String>,
    /// As sent.
    pub end_reason_raw: Option<String>,
    pub failure_occurred: Option<bool>,
    pub failure_details: Option<String>,
    pub transfer_occurred: Option<bool>,
    /// Calls active when this one started.
    pub active_calls: Option<i64>,
    /// `x-global-sip-trunk-call-id` (the carrier's id, e.g. Twilio's CallSid).
    pub trunk_call_id: Option<String>,
    pub sip: Sip,
    pub security: Security,
    pub max_latency: Latencies,
    /// `realtime_transport_network_summary`, present only when RTCP was on.
    pub rtp: Option<Rtp>,
    pub warnings: Vec<Warning>,
    pub summaries: Vec<Summary>,
    pub turns: Vec<CallTurn>,
    /// `injected_custom_data`, in payload order.
    pub custom_data: Vec<CustomValue>,
    /// The `cdr_custom_data` of the linked messages, merged step by step in call-turn order.
    pub custom_data_merge: Vec<MergeStep>,
    /// Whether the merge's final state equals `injected_custom_data` (a removed key may be absent
    /// or `""` in the record: both match); `None` when no turn links to a message.
    pub custom_data_matches: Option<bool>,
    /// The distinct `session_id`s of the linked messages, in turn order: "open the conversation".
    pub sessions: Vec<String>,
}

/// `session_initiation_protocol`.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Sip {
    pub call_id: Option<String>,
    /// `invite_arrival_timestamp`, or `invite_arrival_time` as IBM's examples spell it.
    pub invite_arrival_ts: Option<String>,
    pub setup_ms: Option<i64>,
    pub from_uri: Option<String>,
    pub to_uri: Option<String>,
}

/// `call.security`.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Security {
    pub media_encrypted: Option<bool>,
    pub signaling_encrypted: Option<bool>,
    pub sip_authenticated: Option<bool>,
}

/// `max_response_milliseconds`.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Latencies {
    pub assistant_ms: Option<i64>,
    pub tts_ms: Option<i64>,
    pub stt_ms: Option<i64>,
}

/// One entry of `warnings_and_errors`, explained by [`explain_warning`].
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Warning {
    /// `code`, or `id` as IBM's table spells it, or the code the message starts with.
    pub code: Option<String>,
    pub message: Option<String>,
    pub component: Option<String>,
    pub severity: Option<String>,
    pub explanation: Option<String>,
}

/// One `assistant_interaction_summaries` entry.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Summary {
    pub index: i64,
    pub session_id: Option<String>,
    pub assistant_id: Option<String>,
    pub start_ts: Option<String>,
    pub stop_ts: Option<String>,
}

/// One turn of the call, with the message it produced when that has arrived.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct CallTurn {
    /// Position across all interaction summaries, from 0.
    pub seq: i64,
    pub summary_index: i64,
    pub log_id: Option<String>,
    pub request_type: Option<String>,
    /// What the request type means, per [`request_meaning`].
    pub request_meaning: Option<String>,
    pub start_ts: Option<String>,
    /// `start_ts` relative to the call's start.
    pub offset_ms: Option<i64>,
    pub assistant_ms: Option<i64>,
    /// `request.streaming_statistics`, on speech turns.
    pub stt: Option<Stt>,
    pub responses: Vec<CallResponse>,
    /// Whether any response of the turn was barged in on.
    pub barge_in: Option<bool>,
    /// `None` for an orphan turn: no message with this `log_id` is stored.
    pub message: Option<LinkedMessage>,
}

/// `request.streaming_statistics` of a speech turn.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Stt {
    pub transaction_id: Option<String>,
    pub response_ms: Option<i64>,
    pub confidence: Option<f64>,
    pub echo_detected: Option<bool>,
    pub start_ts: Option<String>,
    /// Kept as sent: IBM's 2021 example has `1970-01-01T00:00:00Z` here.
    pub stop_ts: Option<String>,
}

/// One entry of a turn's `response` array.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct CallResponse {
    /// The CDR's `type` (`unknown` when missing).
    pub cdr_type: String,
    /// The Watson Assistant response type it comes from, per [`wa_response_type`].
    pub wa_type: Option<String>,
    pub barge_in: Option<bool>,
    pub transaction_id: Option<String>,
    pub tts_ms: Option<i64>,
    pub start_ts: Option<String>,
    pub stop_ts: Option<String>,
}

/// The `message_logged` event a call turn produced.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct LinkedMessage {
    pub event_id: i64,
    pub session_id: Option<String>,
    pub turn_count: Option<i64>,
    pub user_text: Option<String>,
    pub assistant_text: Option<String>,
    /// text, dtmf, speech, ...
    pub input_kind: Option<String>,
}

/// One custom-data key and its value.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct CustomValue {
    pub key: String,
    pub value: Value,
}

/// One message's `cdr_custom_data` applied to the running custom data.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct MergeStep {
    pub log_id: String,
    pub turn_count: Option<i64>,
    /// The keys this message set (added or overwrote), in its order.
    pub set: Vec<CustomValue>,
    /// The keys this message set to `""`, which removes them (listed even if they were not set).
    pub removed: Vec<String>,
    /// The custom data after this step, keys in the order they were first set.
    pub state: Vec<CustomValue>,
}

/// One turn for [`merge_steps`]: its `log_id`, its message's `turn_count`, and the
/// `cdr_custom_data` that message set (`None`: it set none).
pub type MergeInput = (String, Option<i64>, Option<Map<String, Value>>);

/// Replays custom data: each turn's `cdr_custom_data` (`None`: the turn set none) merges into the
/// running state. New keys are added at the end, repeated keys overwrite in place, and a key set
/// to `""` is removed and reported in `removed`. One step per input turn.
pub fn merge_steps(turns: &[MergeInput]) -> Vec<MergeStep> {
    let mut state: Vec<CustomValue> = Vec::new();
    let mut steps = Vec::with_capacity(turns.len());
    for (log_id, turn_count, data) in turns {
        let mut set = Vec::new();
        let mut removed = Vec::new();
        for (key, value) in data.iter().flatten() {
            if value.as_str() == Some("") {
                state.retain(|c| &c.key != key);
                removed.push(key.clone());
                continue;
            }
            match state.iter_mut().find(|c| &c.key == key) {
                Some(existing) => existing.value = value.clone(),
                None => state.push(CustomValue {
                    key: key.clone(),
                    value: value.clone(),
                }),
            }
            set.push(CustomValue {
                key: key.clone(),
                value: value.clone(),
            });
        }
        steps.push(MergeStep {
            log_id: log_id.clone(),
            turn_count: *turn_count,
            set,
            removed,
            state: state.clone(),
        });
    }
    steps
}

/// Whether a merged state equals the recorded custom data, ignoring key order and treating a key
/// recorded as `""` as absent.
fn custom_data_equal(state: &[CustomValue], recorded: &[CustomValue]) -> bool {
    let recorded: Vec<&CustomValue> = recorded
        .iter()
        .filter(|c| c.value.as_str() != Some(""))
        .collect();
    recorded.len() == state.len()
        && recorded
            .iter()
            .all(|r| state.iter().any(|s| s.key == r.key && s.value == r.value))
}

const CALL_BY_SESSION_SQL: &str = "SELECT event_id FROM calls WHERE global_session_id = ?1
     ORDER BY start_at DESC, event_id DESC LIMIT 1";

fn call_sql(dialect: Dialect) -> String {
    format!(
        "SELECT c.event_id, e.received_at, {}, c.global_session_id,
            c.primary_phone_number, c.caller, c.callee, c.from_uri, c.to_uri, c.start_ts, c.start_at,
            c.stop_ts, c.duration_ms, c.outbound, c.end_reason, c.end_reason_raw, c.failure_occurred,
            c.failure_details, c.transfer_occurred, c.active_calls, c.trunk_call_id, c.sip_call_id,
            c.invite_arrival_ts, c.setup_ms, c.media_encrypted, c.signaling_encrypted,
            c.sip_authenticated, c.max_assistant_ms, c.max_tts_ms, c.max_stt_ms
         FROM calls c JOIN events e ON e.id = c.event_id
         WHERE c.event_id = ?1",
        dialect.body("e")
    )
}

const WARNINGS_SQL: &str =
    "SELECT code, message FROM call_warnings WHERE event_id = ?1 ORDER BY seq";

/// The turns with their messages; a turn repeats when several messages share its log_id (the
/// first by event id is used).
const TURNS_SQL: &str = "SELECT t.seq, t.summary_index, t.log_id, t.request_type, t.start_ts,
        t.assistant_ms, t.barge_in, t.stt_ms, t.stt_confidence, t.echo_detected,
        m.event_id, m.session_id, m.turn_count, m.user_text, m.assistant_text, m.input_kind,
        m.cdr_custom_data
     FROM call_turns t LEFT JOIN messages m ON m.log_id = t.log_id
     WHERE t.event_id = ?1
     ORDER BY t.seq, m.event_id";

/// A call by its `global_session_id` (the newest by start time if several), or by event id when
/// `id` is all digits and no call has that `global_session_id`.
pub fn call<'a>(db: impl Into<Db<'a>>, id: &str) -> Result<Call, QueryError> {
    let db = db.into();
    with_deadline(db, Duration::from_millis(QUERY_DEADLINE_MS), || {
        let not_found = || QueryError::NotFound(format!("call {id}"));
        let by_session: Option<i64> =
            db.optional(CALL_BY_SESSION_SQL, &[SqlValue::Text(id.to_owned())], |r| {
                r.get(0)
            })?;
        let event_id = match by_session {
            Some(event_id) => event_id,
            None if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) => {
                id.parse::<i64>().map_err(|_| not_found())?
            }
            None => return Err(not_found()),
        };
        load(db, event_id)?.ok_or_else(not_found)
    })
}

fn load(db: Db<'_>, event_id: i64) -> Result<Option<Call>, QueryError> {
    let Some((mut call, body)) = db.optional(&call_sql(db.dialect()), &[event_id.into()], |r| {
        let call = Call {
            event_id: r.get(0)?,
            received_at: r.get(1)?,
            global_session_id: r.get(4)?,
            primary_phone_number: r.get(5)?,
            caller: r.get(6)?,
            callee: r.get(7)?,
            from_uri: r.get(8)?,
            to_uri: r.get(9)?,
            start_ts: r.get(10)?,
            start_at: r.get(11)?,
            stop_ts: r.get(12)?,
            duration_ms: r.get(13)?,
            outbound: r.get(14)?,
            end_reason: r.get(15)?,
            end_reason_raw: r.get(16)?,
            failure_occurred: r.get(17)?,
            failure_details: r.get(18)?,
            transfer_occurred: r.get(19)?,
            active_calls: r.get(20)?,
            trunk_call_id: r.get(21)?,
            sip: Sip {
                call_id: r.get(22)?,
                invite_arrival_ts: r.get(23)?,
                setup_ms: r.get(24)?,
                from_uri: r.get(8)?,
                to_uri: r.get(9)?,
            },
            security: Security {
                media_encrypted: r.get(25)?,
                signaling_encrypted: r.get(26)?,
                sip_authenticated: r.get(27)?,
            },
            max_latency: Latencies {
                assistant_ms: r.get(28)?,
                tts_ms: r.get(29)?,
                stt_ms: r.get(30)?,
            },
            rtp: None,
            warnings: Vec::new(),
            summaries: Vec::new(),
            turns: Vec::new(),
            custom_data: Vec::new(),
            custom_data_merge: Vec::new(),
            custom_data_matches: None,
            sessions: Vec::new(),
        };
        let body = unpack(r.get_ref(2)?, r.get(3)?, 2)?;
        Ok((call, body))
    })?
    else {
        return Ok(None);
    };

    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let payload = body.get("payload").unwrap_or(&Value::Null);

    call.rtp = rtp(payload);
    call.custom_data = object_at(payload, &["injected_custom_data"])
        .map(|o| {
            o.iter()
                .map(|(key, value)| CustomValue {
                    key: key.clone(),
                    value: value.clone(),
                })
                .collect()
        })
        .unwrap_or_default();

    // Summaries and the body's turns, flattened in the order the store numbered them (`seq`).
    let mut body_turns = Vec::new();
    for (index, summary) in array_at(payload, &["assistant_interaction_summaries"]).enumerate() {
        call.summaries.push(Summary {
            index: index as i64,
            session_id: str_at(summary, &["session_id"]),
            assistant_id: str_at(summary, &["assistant_id"]),
            start_ts: str_at(summary, &["start_timestamp"]),
            stop_ts: str_at(summary, &["stop_timestamp"]),
        });
        body_turns.extend(array_at(summary, &["turns"]));
    }

    call.warnings = db.rows(WARNINGS_SQL, &[event_id.into()], |r| {
        let code: Option<String> = r.get(0)?;
        let info = code.as_deref().map(explain_warning);
        Ok(Warning {
            message: r.get(1)?,
            component: info.and_then(|i| i.component).map(str::to_owned),
            severity: info.and_then(|i| i.severity).map(str::to_owned),
            explanation: info.and_then(|i| i.explanation).map(str::to_owned),
            code,
        })
    })?;

    // Not `start_at`, which falls back to the arrival time.
    let call_start = call.start_ts.as_deref().and_then(timestamp_ms);
    let mut merge_input = Vec::new();
    db.rows(TURNS_SQL, &[event_id.into()], |r| {
        let seq: i64 = r.get(0)?;
        if call.turns.last().is_some_and(|t| t.seq == seq) {
            return Ok(()); // a second message with the same log_id
        }
        let log_id: Option<String> = r.get(2)?;
        let request_type: Option<String> = r.get(3)?;
        let start_ts: Option<String> = r.get(4)?;
        let body_turn = usize::try_from(seq)
            .ok()
            .and_then(|i| body_turns.get(i))
            .copied()
            .unwrap_or(&Value::Null);
        let stats = body_turn
            .get("request")
            .and_then(|q| q.get("streaming_statistics"))
            .filter(|s| s.is_object());
        let (stt_ms, stt_confidence, echo): (Option<i64>, Option<f64>, Option<bool>) =
            (r.get(7)?, r.get(8)?, r.get(9)?);
        let stt = (stats.is_some() || stt_ms.is_some() || stt_confidence.is_some()).then(|| {
            let stats = stats.unwrap_or(&Value::Null);
            Stt {
                transaction_id: str_at(stats, &["transaction_id"]),
                response_ms: stt_ms,
                confidence: stt_confidence,
                echo_detected: echo,
                start_ts: str_at(stats, &["start_timestamp"]),
                stop_ts: str_at(stats, &["stop_timestamp"]),
            }
        });
        let responses = array_at(body_turn, &["response"])
            .map(|resp| {
                let cdr_type = str_at(resp, &["type"]).unwrap_or_else(|| "unknown".to_owned());
                CallResponse {
                    wa_type: wa_response_type(&cdr_type).map(str::to_owned),
                    cdr_type,
                    barge_in: bool_at(resp, &["barge_in_occurred"]),
                    transaction_id: str_at(resp, &["streaming_statistics", "transaction_id"]),
                    tts_ms: int_at(resp, &["streaming_statistics", "response_milliseconds"]),
                    start_ts: str_at(resp, &["streaming_statistics", "start_timestamp"]),
                    stop_ts: str_at(resp, &["streaming_statistics", "stop_timestamp"]),
                }
            })
            .collect();
        let message = match r.get::<_, Option<i64>>(10)? {
            Some(message_id) => {
                let message = LinkedMessage {
                    event_id: message_id,
                    session_id: r.get(11)?,
                    turn_count: r.get(12)?,
                    user_text: r.get(13)?,
                    assistant_text: r.get(14)?,
                    input_kind: r.get(15)?,
                };
                let custom: Option<String> = r.get(16)?;
                let custom = custom
                    .and_then(|c| serde_json::from_str::<Value>(&c).ok())
                    .and_then(|v| match v {
                        Value::Object(map) => Some(map),
                        _ => None,
                    });
                merge_input.push((
                    log_id.clone().unwrap_or_default(),
                    message.turn_count,
                    custom,
                ));
                if let Some(session) = &message.session_id
                    && !call.sessions.contains(session)
                {
                    call.sessions.push(session.clone());
                }
                Some(message)
            }
            None => None,
        };
        call.turns.push(CallTurn {
            seq,
            summary_index: r.get(1)?,
            offset_ms: start_ts
                .as_deref()
                .and_then(timestamp_ms)
                .zip(call_start)
                .map(|(at, start)| at - start),
            request_meaning: request_type
                .as_deref()
                .and_then(request_meaning)
                .map(str::to_owned),
            log_id,
            request_type,
            start_ts,
            assistant_ms: r.get(5)?,
            stt,
            responses,
            barge_in: r.get(6)?,
            message,
        });
        Ok(())
    })?;

    call.custom_data_merge = merge_steps(&merge_input);
    call.custom_data_matches = call
        .custom_data_merge
        .last()
        .map(|last| custom_data_equal(&last.state, &call.custom_data));
    Ok(Some(call))
}

#[cfg(test)]
pub(crate) mod tests {
    use std::path::{Path, PathBuf};

    use rusqlite::Connection;
    use serde_json::json;

    use super::*;
    use crate::import::import_files;
    use crate::store::{Store, StoreOptions};

    pub(crate) const CALL_10: &str = "b81c72d7-6d04-4d9f-afea-c91d6f2d501f";
    pub(crate) const CALL_11: &str = "b5db1650-98ef-42b4-83cc-96c9c5feb721";
    pub(crate) const CALL_12: &str = "b231ef28-c861-4f33-8a17-384d95d6ddb5";

    /// A store in a temp dir holding the twelve samples.
    pub(crate) fn sample_store() -> (tempfile::TempDir, Store, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db"), StoreOptions::default()).unwrap();
        let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/samples");
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&samples)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        paths.sort();
        assert_eq!(paths.len(), 12);
        let report = import_files(&store, &paths, &|_| {}).unwrap();
        assert_eq!(report.stored, 12, "{report:?}");
        let reader = store.reader().unwrap();
        (dir, store, reader)
    }

    fn message_event(conn: &Connection, log_id: &str) -> i64 {
        conn.query_row(
            "SELECT event_id FROM messages WHERE log_id = ?1",
            [log_id],
            |r| r.get(0),
        )
        .unwrap()
    }

    fn cv(key: &str, value: Value) -> CustomValue {
        CustomValue {
            key: key.to_owned(),
            value,
        }
    }

    #[test]
    fn call_12_links_its_turns_and_replays_custom_data() {
        let (_dir, _store, conn) = sample_store();
        let c = call(&conn, CALL_12).unwrap();
        assert_eq!(c.global_session_id.as_deref(), Some(CALL_12));
        assert_eq!(c.end_reason.as_deref(), Some("assistant_hangup"));
        assert_eq!(c.caller.as_deref(), Some("+18885550146"));
        assert_eq!(c.duration_ms, Some(27513));
        assert_eq!(
            c.sip.invite_arrival_ts.as_deref(),
            Some("2026-03-10T15:30:02.301Z")
        );
        assert_eq!(
            c.sip.call_id.as_deref(),
            Some("2f6c1d8a93b04e7c@203.0.113.24")
        );
        assert_eq!(c.sip.setup_ms, Some(1661));
        assert_eq!(
            c.security,
            Security {
                media_encrypted: Some(false),
                signaling_encrypted: Some(false),
                sip_authenticated: Some(false)
            }
        );
        assert_eq!(
            c.max_latency,
            Latencies {
                assistant_ms: Some(296),
                tts_ms: Some(468),
                stt_ms: Some(1061)
            }
        );
        assert_eq!(
            c.trunk_call_id.as_deref(),
            Some("CA0d94c2e7b15f4a3896e1c7b20f5d8a13")
        );

        // Turns 1–3 link to samples 06, 07, 08.
        assert_eq!(c.turns.len(), 3);
        let expected = [
            ("e4463f6d-c9c1-4490-8b56-568554bf2b2f", 1, ""),
            (
                "d54ba54a-4c95-404b-8f55-860ebf7a25fb",
                2,
                "i'd like to pay my bill ",
            ),
            ("4784a180-8bcc-4d0f-9451-f1f881dde4f9", 3, "4821"),
        ];
        for (turn, (log_id, turn_count, user_text)) in c.turns.iter().zip(expected) {
            assert_eq!(turn.log_id.as_deref(), Some(log_id));
            let m = turn.message.as_ref().expect("linked");
            assert_eq!(m.event_id, message_event(&conn, log_id));
            assert_eq!(
                m.session_id.as_deref(),
                Some("4b7e9d21-c0a3-4e85-96f2-3d1a8c5b0e79")
            );
            assert_eq!(m.turn_count, Some(turn_count));
            assert_eq!(m.user_text.as_deref(), Some(user_text));
        }
        assert_eq!(
            c.turns[2].message.as_ref().unwrap().input_kind.as_deref(),
            Some("dtmf")
        );
        assert_eq!(
            c.turns[1].message.as_ref().unwrap().input_kind.as_deref(),
            Some("speech")
        );
        assert!(
            c.turns[2]
                .message
                .as_ref()
                .unwrap()
                .assistant_text
                .as_deref()
                .unwrap()
                .starts_with("Thank you. Your payment")
        );
        assert_eq!(c.sessions, vec!["4b7e9d21-c0a3-4e85-96f2-3d1a8c5b0e79"]);

        // Turn types, meanings, latencies, offsets.
        let types: Vec<_> = c
            .turns
            .iter()
            .map(|t| t.request_type.as_deref().unwrap())
            .collect();
        assert_eq!(types, ["start", "speech_to_text", "dtmf"]);
        assert_eq!(
            c.turns[0].request_meaning.as_deref(),
            Some("initial request to the assistant")
        );
        assert_eq!(
            c.turns.iter().map(|t| t.assistant_ms).collect::<Vec<_>>(),
            [Some(296), Some(188), Some(186)]
        );
        // 15:30:04.211 − 15:30:03.962, and so on.
        assert_eq!(
            c.turns.iter().map(|t| t.offset_ms).collect::<Vec<_>>(),
            [Some(249), Some(8968), Some(20693)]
        );
        assert_eq!(
            c.turns.iter().map(|t| t.barge_in).collect::<Vec<_>>(),
            [Some(true), Some(false), Some(false)]
        );
        assert_eq!(c.turns[0].seq, 0);
        assert_eq!(c.turns[2].summary_index, 0);

        // Responses and their WA mapping.
        assert_eq!(
            c.turns[0].responses,
            vec![CallResponse {
                cdr_type: "text_to_speech".into(),
                wa_type: Some("text".into()),
                barge_in: Some(true),
                transaction_id: Some("7c7562a3-7a8a-450e-ae9e-08185ba5c244".into()),
                tts_ms: Some(468),
                start_ts: Some("2026-03-10T15:30:04.530Z".into()),
                stop_ts: Some("2026-03-10T15:30:09.880Z".into()),
            }]
        );
        let last: Vec<_> = c.turns[2]
            .responses
            .iter()
            .map(|r| (r.cdr_type.as_str(), r.wa_type.as_deref(), r.tts_ms))
            .collect();
        assert_eq!(
            last,
            [
                ("text_to_speech", Some("text"), Some(322)),
                ("hangup", Some("end_session"), None)
            ]
        );

        // STT only on the speech turn.
        assert_eq!(c.turns[0].stt, None);
        assert_eq!(c.turns[2].stt, None);
        assert_eq!(
            c.turns[1].stt,
            Some(Stt {
                transaction_id: Some("1edb5856-538e-4cab-8327-92aaeabbd5b1".into()),
                response_ms: Some(1061),
                confidence: Some(0.87),
                echo_detected: Some(false),
                start_ts: Some("2026-03-10T15:30:10.402Z".into()),
                stop_ts: Some("2026-03-10T15:30:12.871Z".into()),
            })
        );

        // Warnings keyed `code`.
        assert_eq!(c.warnings.len(), 2);
        assert_eq!(c.warnings[0].code.as_deref(), Some("CWSMR0033W"));
        assert_eq!(c.warnings[0].component.as_deref(), Some("Media Relay"));
        assert_eq!(c.warnings[0].severity.as_deref(), Some("warning"));
        assert_eq!(
            c.warnings[0].explanation.as_deref(),
            Some("The inbound RTP audio stream jitter exceeded the maximum jitter threshold.")
        );
        assert!(
            c.warnings[0]
                .message
                .as_deref()
                .unwrap()
                .contains("jitter of 41 ms")
        );
        assert_eq!(c.warnings[1].code.as_deref(), Some("CWSMR0031W"));
        assert!(
            c.warnings[1]
                .explanation
                .as_deref()
                .unwrap()
                .starts_with("Text to Speech underflow")
        );

        // RTP.
        let rtp = c.rtp.as_ref().unwrap();
        let inbound = rtp.inbound.as_ref().unwrap();
        assert_eq!(inbound.maximum_jitter, Some(41.0));
        assert_eq!(inbound.average_jitter, Some(6.0));
        assert_eq!(inbound.packets_lost, Some(3));
        assert_eq!(inbound.packets_transmitted, Some(1412));
        assert_eq!(inbound.tool_name.as_deref(), Some(""));
        assert!((inbound.loss_percent.unwrap() - 300.0 / 1412.0).abs() < 1e-9);
        let outbound = rtp.outbound.as_ref().unwrap();
        assert_eq!(outbound.canonical_name.as_deref(), Some("voice.gateway"));
        assert_eq!(
            outbound.tool_name.as_deref(),
            Some("IBM Voice Gateway/1.0.7.0")
        );
        assert_eq!(outbound.loss_percent, Some(0.0));

        // Custom data: payload order, and the exact merge of 06–08.
        let injected = vec![
            cv("ivr_menu", json!("main")),
            cv("call_reason", json!("pay_bill")),
            cv("account_verified", json!(true)),
            cv("payment_amount", json!(42.5)),
        ];
        assert_eq!(c.custom_data, injected);
        assert_eq!(
            c.custom_data_merge,
            vec![
                MergeStep {
                    log_id: "e4463f6d-c9c1-4490-8b56-568554bf2b2f".into(),
                    turn_count: Some(1),
                    set: vec![
                        cv("ivr_menu", json!("main")),
                        cv("call_reason", json!("unknown"))
                    ],
                    removed: vec![],
                    state: vec![
                        cv("ivr_menu", json!("main")),
                        cv("call_reason", json!("unknown"))
                    ],
                },
                MergeStep {
                    log_id: "d54ba54a-4c95-404b-8f55-860ebf7a25fb".into(),
                    turn_count: Some(2),
                    set: vec![cv("call_reason", json!("pay_bill"))],
                    removed: vec![],
                    state: vec![
                        cv("ivr_menu", json!("main")),
                        cv("call_reason", json!("pay_bill"))
                    ],
                },
                MergeStep {
                    log_id: "4784a180-8bcc-4d0f-9451-f1f881dde4f9".into(),
                    turn_count: Some(3),
                    set: vec![
                        cv("account_verified", json!(true)),
                        cv("payment_amount", json!(42.5))
                    ],
                    removed: vec![],
                    state: injected.clone(),
                },
            ]
        );
        assert_eq!(c.custom_data_matches, Some(true));
        assert_eq!(c.summaries.len(), 1);
        assert_eq!(c.summaries[0].start_ts, None);

        // By event id too, and it serialises.
        let by_id = call(&conn, &c.event_id.to_string()).unwrap();
        assert_eq!(by_id, c);
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(json["turns"][1]["stt"]["confidence"], json!(0.87));
    }

    #[test]
    fn call_10_turns_are_orphans_until_a_message_arrives() {
        let (dir, store, conn) = sample_store();
        let c = call(&conn, CALL_10).unwrap();
        assert!(c.turns.iter().all(|t| t.message.is_none()));
        assert_eq!(c.turns.len(), 3);
        assert!(c.sessions.is_empty());
        assert_eq!(c.custom_data_merge, vec![]);
        assert_eq!(c.custom_data_matches, None);
        assert_eq!(c.custom_data, vec![]);
        assert_eq!(
            c.sip.invite_arrival_ts.as_deref(),
            Some("2026-03-10T17:12:01.540Z")
        );
        assert_eq!(c.end_reason.as_deref(), Some("caller_hangup"));
        assert_eq!(c.end_reason_raw.as_deref(), Some("caller_hangup"));
        assert_eq!(c.active_calls, Some(2));
        assert_eq!(c.rtp, None);
        assert_eq!(c.warnings, vec![]);
        let stt = c.turns[1].stt.as_ref().unwrap();
        assert_eq!(stt.stop_ts.as_deref(), Some("1970-01-01T00:00:00Z"));
        assert_eq!(stt.confidence, Some(0.93));
        assert_eq!(c.turns[2].request_type.as_deref(), Some("hangup"));
        assert!(
            c.turns[2]
                .request_meaning
                .as_deref()
                .unwrap()
                .contains("hung up")
        );
        assert_eq!(c.turns[2].responses, vec![]);
        assert_eq!(c.turns[2].barge_in, None);
        assert_eq!(
            c.summaries,
            vec![Summary {
                index: 0,
                session_id: Some("e159c63f-a980-4da9-a896-3e8d900bad73".into()),
                assistant_id: Some("a91d4c07-6e2b-4f38-9c15-b7e0d3a2f864".into()),
                start_ts: Some("2026-03-10T17:12:03.240Z".into()),
                stop_ts: Some("2026-03-10T17:12:41.905Z".into()),
            }]
        );

        // A message for turn 2 arrives after the call record.
        let log_id = "a3a379ca-7f69-428f-a4f4-950c0e165c91";
        let body = json!({
            "event": {"name": "message_logged"},
            "payload": {
                "log_id": log_id,
                "session_id": "e159c63f-a980-4da9-a896-3e8d900bad73",
                "assistant_id": "a91d4c07-6e2b-4f38-9c15-b7e0d3a2f864",
                "request_timestamp": "2026-03-10T17:12:14.502Z",
                "response_timestamp": "2026-03-10T17:12:14.668Z",
                "request": {"input": {"message_type": "text", "text": "check my balance"}},
                "response": {
                    "output": {"generic": [{"response_type": "text", "text": "Your balance is 10 dollars."}]},
                    "context": {
                        "global": {"system": {"turn_count": 2}},
                        "integrations": {"voice_telephony": {"cdr_custom_data": {"call_reason": "balance"}}}
                    }
                }
            }
        });
        let file = dir.path().join("late.json");
        std::fs::write(&file, serde_json::to_vec(&body).unwrap()).unwrap();
        let report = import_files(&store, &[file], &|_| {}).unwrap();
        assert_eq!(report.stored, 1);

        let c = call(&conn, CALL_10).unwrap();
        assert!(c.turns[0].message.is_none());
        assert!(c.turns[2].message.is_none());
        let m = c.turns[1].message.as_ref().expect("now linked");
        assert_eq!(m.event_id, message_event(&conn, log_id));
        assert_eq!(m.user_text.as_deref(), Some("check my balance"));
        assert_eq!(
            m.assistant_text.as_deref(),
            Some("Your balance is 10 dollars.")
        );
        assert_eq!(m.turn_count, Some(2));
        assert_eq!(c.sessions, vec!["e159c63f-a980-4da9-a896-3e8d900bad73"]);
        assert_eq!(c.custom_data_merge.len(), 1);
        assert_eq!(
            c.custom_data_merge[0].state,
            vec![cv("call_reason", json!("balance"))]
        );
        // The record carries no custom data, the message set some.
        assert_eq!(c.custom_data_matches, Some(false));
    }

    #[test]
    fn call_11_failed_transfer() {
        let (_dir, _store, conn) = sample_store();
        let c = call(&conn, CALL_11).unwrap();
        assert_eq!(c.failure_occurred, Some(true));
        assert_eq!(
            c.failure_details.as_deref(),
            Some(
                "Transfer to sip:+18005550199@sbc.example.com failed: SIP REFER rejected with 503 Service Unavailable"
            )
        );
        assert_eq!(c.transfer_occurred, Some(true));
        assert_eq!(c.end_reason.as_deref(), Some("failed"));
        assert_eq!(
            c.sip.invite_arrival_ts.as_deref(),
            Some("2026-03-10T16:05:11.020Z")
        );
        assert_eq!(c.security.signaling_encrypted, Some(true));
        let types: Vec<_> = c
            .turns
            .iter()
            .map(|t| t.request_type.as_deref().unwrap())
            .collect();
        assert_eq!(types, ["start", "speech_to_text", "transfer_failed"]);
        assert_eq!(
            c.turns[2].request_meaning.as_deref(),
            Some("the call transfer failed")
        );
        let wa: Vec<_> = c.turns[1]
            .responses
            .iter()
            .map(|r| (r.cdr_type.as_str(), r.wa_type.as_deref()))
            .collect();
        assert_eq!(
            wa,
            [
                ("text_to_speech", Some("text")),
                ("transfer", Some("connect_to_agent"))
            ]
        );
        assert_eq!(c.turns[1].responses[1].barge_in, None);
        assert_eq!(c.turns[1].stt.as_ref().unwrap().confidence, Some(0.78));

        // Warning keyed `id`.
        assert_eq!(
            c.warnings,
            vec![Warning {
                code: Some("CWSMR0031W".into()),
                message: Some("CWSMR0031W: The synthesis stream from the Watson Text-to-Speech service can't keep up with the playback rate to the caller, so audio might skip. transaction ID=a24cc9b5-0c80-4be9-8d11-6ec5b218b7b0".into()),
                component: Some("Media Relay".into()),
                severity: Some("warning".into()),
                explanation: Some("Text to Speech underflow: synthesis can't keep up with the playback rate, so audio might skip.".into()),
            }]
        );

        // Only turn 2 links, to sample 09.
        assert!(c.turns[0].message.is_none());
        assert!(c.turns[2].message.is_none());
        let m = c.turns[1].message.as_ref().unwrap();
        assert_eq!(
            m.event_id,
            message_event(&conn, "cb4ed5f6-d731-4a6c-81ad-f1ffcd66dea5")
        );
        assert_eq!(
            m.session_id.as_deref(),
            Some("f0c2a8e6-7b41-4d93-a5e7-2b9d6c4f1a38")
        );
        assert_eq!(m.user_text.as_deref(), Some("agent "));
        assert_eq!(c.sessions, vec!["f0c2a8e6-7b41-4d93-a5e7-2b9d6c4f1a38"]);
        assert_eq!(c.custom_data_merge.len(), 1);
        assert_eq!(
            c.custom_data_merge[0].set,
            vec![cv("call_reason", json!("agent_request"))]
        );
        assert_eq!(c.custom_data_matches, Some(false));
        assert_eq!(c.rtp, None);
    }

    #[test]
    fn unknown_ids_are_not_found() {
        let (_dir, _store, conn) = sample_store();
        for id in ["nope", "999999", "", "99999999999999999999999"] {
            match call(&conn, id) {
                Err(QueryError::NotFound(what)) => assert_eq!(what, format!("call {id}")),
                other => panic!("{id}: {other:?}"),
            }
        }
        // A message's event id is not a call.
        let message = message_event(&conn, "cb4ed5f6-d731-4a6c-81ad-f1ffcd66dea5");
        assert!(matches!(
            call(&conn, &message.to_string()),
            Err(QueryError::NotFound(_))
        ));
    }

    #[test]
    fn the_queries_use_indexes() {
        let (_dir, _store, conn) = sample_store();
        for sql in [
            CALL_BY_SESSION_SQL,
            &call_sql(Dialect::Sqlite),
            WARNINGS_SQL,
            TURNS_SQL,
        ] {
            let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
            let plan: Vec<String> = stmt
                .query_map(["x"], |r| r.get(3))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert!(
                plan.iter().all(|step| !step.starts_with("SCAN")),
                "{sql}\n{plan:#?}"
            );
        }
    }

    fn data(v: Value) -> Option<Map<String, Value>> {
        match v {
            Value::Object(map) => Some(map),
            _ => None,
        }
    }

    #[test]
    fn merge_adds_overwrites_and_removes() {
        let steps = merge_steps(&[
            (
                "a".into(),
                Some(1),
                data(json!({"key1": "value1", "key2": "value2"})),
            ),
            (
                "b".into(),
                Some(2),
                data(json!({"key1": "value11", "key3": "value3"})),
            ),
            ("c".into(), Some(3), None),
            (
                "d".into(),
                None,
                data(json!({"key1": "", "key4": {"n": 1}})),
            ),
            ("e".into(), Some(5), data(json!({"key9": ""}))),
        ]);
        assert_eq!(steps.len(), 5);
        assert_eq!(
            steps[1].state,
            vec![
                cv("key1", json!("value11")),
                cv("key2", json!("value2")),
                cv("key3", json!("value3"))
            ]
        );
        assert_eq!(
            steps[1].set,
            vec![cv("key1", json!("value11")), cv("key3", json!("value3"))]
        );
        assert_eq!(steps[2].set, vec![]);
        assert_eq!(steps[2].removed, Vec::<String>::new());
        assert_eq!(steps[2].state, steps[1].state);
        assert_eq!(steps[3].removed, vec!["key1"]);
        assert_eq!(steps[3].set, vec![cv("key4", json!({"n": 1}))]);
        assert_eq!(steps[3].turn_count, None);
        assert_eq!(
            steps[3].state,
            vec![
                cv("key2", json!("value2")),
                cv("key3", json!("value3")),
                cv("key4", json!({"n": 1}))
            ]
        );
        // Removing a key that was never set is reported and changes nothing.
        assert_eq!(steps[4].removed, vec!["key9"]);
        assert_eq!(steps[4].state, steps[3].state);
        assert_eq!(steps[4].log_id, "e");
        assert!(merge_steps(&[]).is_empty());
    }

    #[test]
    fn a_removed_key_matches_absent_or_blank() {
        let state = vec![cv("a", json!(1)), cv("b", json!("x"))];
        assert!(custom_data_equal(
            &state,
            &[cv("b", json!("x")), cv("a", json!(1))]
        ));
        assert!(custom_data_equal(
            &state,
            &[
                cv("a", json!(1)),
                cv("gone", json!("")),
                cv("b", json!("x"))
            ]
        ));
        assert!(!custom_data_equal(&state, &[cv("a", json!(1))]));
        assert!(!custom_data_equal(
            &state,
            &[cv("a", json!(2)), cv("b", json!("x"))]
        ));
        assert!(custom_data_equal(&[], &[]));
    }
}
