//! What a `cdr_logged` body (a phone call's detail record) holds, and what its codes mean.
//!
//! # Where each field of IBM's CDR reference goes
//!
//! Parsed in [`super::derive`] (`derive_call`, `derive_call_turn`) into a
//! [`CallRow`](super::derive::CallRow) / [`CallTurnRow`](super::derive::CallTurnRow) field of the
//! same name as the column; stored by `store/writer.rs` into that column of `calls` /
//! `call_turns` / `call_warnings` / `call_custom_data`; searched by the qualifier in
//! `query/parse.rs` (compiled in `query/filter.rs`); shown by `query/call.rs` (`Call`, the call
//! view) and listed by `query/search.rs` (`CallRow`, the calls list). Paths are under `payload`.
//!
//! | CDR field | column | query | shown as (`Call`) |
//! |---|---|---|---|
//! | `global_session_id` | `calls.global_session_id` | `call:` | `global_session_id` |
//! | `primary_phone_number` | `calls.primary_phone_number` | `phone:` | `primary_phone_number` |
//! | `failure_occurred` | `calls.failure_occurred` | `failed:` | `failure_occurred` |
//! | `failure_details` | `calls.failure_details` | free text | `failure_details` |
//! | `transfer_occurred` | `calls.transfer_occurred` | `transferred:` | `transfer_occurred` |
//! | `active_calls` | `calls.active_calls` | – | `active_calls` |
//! | `x-global-sip-trunk-call-id` | `calls.trunk_call_id` | – | `trunk_call_id` |
//! | `call.start_timestamp` | `calls.start_ts`, `start_at` (ms) | `after:` `before:` | `start_ts` |
//! | `call.stop_timestamp` | `calls.stop_ts` | – | `stop_ts` |
//! | `call.milliseconds_elapsed` | `calls.duration_ms` | `duration>` | `duration_ms` |
//! | `call.outbound` | `calls.outbound` | – | `outbound` |
//! | `call.end_reason` | `calls.end_reason_raw`; `calls.end_reason` via [`normalise_name`](super::names::normalise_name) | `end_reason:` (same normaliser) | `end_reason`, `end_reason_raw` |
//! | `call.security.{media_encrypted, signaling_encrypted, sip_authenticated}` | `calls.` same names | – | `security.*` |
//! | `session_initiation_protocol.invite_arrival_timestamp` (or `invite_arrival_time`) | `calls.invite_arrival_ts` | – | `sip.invite_arrival_ts` |
//! | `session_initiation_protocol.setup_milliseconds` | `calls.setup_ms` | `setup>` | `sip.setup_ms` |
//! | `session_initiation_protocol.headers.call_id` | `calls.sip_call_id` | – | `sip.call_id` |
//! | `session_initiation_protocol.headers.from_uri` / `to_uri` | `calls.from_uri` / `to_uri`; their user part `caller` / `callee` | `phone:` (caller, callee) | `from_uri`, `caller`, … |
//! | `max_response_milliseconds.{assistant, text_to_speech, speech_to_text}` | `calls.max_assistant_ms`, `max_tts_ms`, `max_stt_ms` | `latency.assistant>` `latency.tts>` `latency.stt>` | `max_latency.*` |
//! | `realtime_transport_network_summary` | `calls.rtp` (JSON) | – | `rtp` (read from the body) |
//! | `injected_custom_data` | `call_custom_data (key, value)` | `custom.KEY:` | `custom_data` (read from the body) |
//! | `warnings_and_errors[].{code or id, message}` | `call_warnings (code, message)`; `calls.warning_count` | `warning:` `warnings>` | `warnings` ([`explain_warning`]) |
//! | `assistant_interaction_summaries[].{session_id, assistant_id}` | `call_turns.session_id`, `assistant_id` | – | `summaries` |
//! | `…turns[].assistant.{log_id, start_timestamp, response_milliseconds}` | `call_turns.log_id`, `start_ts`, `assistant_ms` | `log:` (via the turn's message) | `turns[].log_id`, … |
//! | `…turns[].request.type` | `call_turns.request_type` | – | `turns[].request_type`, [`request_meaning`] |
//! | `…turns[].request.streaming_statistics.{response_milliseconds, confidence, echo_detected}` | `call_turns.stt_ms`, `stt_confidence`, `echo_detected` | – | `turns[].stt` |
//! | `…turns[].response[].type` | `call_turns.response_types` (space separated) | – | `turns[].responses[].cdr_type`, [`wa_response_type`] |
//! | `…turns[].response[].streaming_statistics.response_milliseconds` | `call_turns.tts_ms` (the slowest) | – | `turns[].responses[].tts_ms` |
//! | `…turns[].response[].barge_in_occurred` | `call_turns.barge_in` (any) | – | `turns[].barge_in` |
//!
//! `calls.turn_count` counts the turns. Warning, phone numbers, failure details and custom-data
//! values also go to the full-text index's `meta` column.

use serde::Serialize;
use serde_json::Value;

use super::json::{int_at, num_at, object_at, str_at};

/// What a Voice Gateway / phone integration message code says about itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct WarningInfo {
    /// From the prefix: `CWSMR` Media Relay, `CWSGW` SIP Orchestrator, `CWSTA` Speech to Text
    /// adapter, `CWSTS` Text to Speech adapter.
    pub component: Option<&'static str>,
    /// From the last letter: `I` info, `W` warning, `E` error.
    pub severity: Option<&'static str>,
    /// One line for the codes IBM's docs describe.
    pub explanation: Option<&'static str>,
}

/// Explains a warning code: component by prefix, severity by last letter, and a one-line
/// explanation for the codes IBM's docs describe (`None` for each part not known).
pub fn explain_warning(code: &str) -> WarningInfo {
    let code = code.trim();
    let component = [
        ("CWSMR", "Media Relay"),
        ("CWSGW", "SIP Orchestrator"),
        ("CWSTA", "Speech to Text adapter"),
        ("CWSTS", "Text to Speech adapter"),
    ]
    .iter()
    .find(|(prefix, _)| code.starts_with(prefix))
    .map(|(_, name)| *name);
    let severity = match code.chars().last() {
        Some('I') => Some("info"),
        Some('W') => Some("warning"),
        Some('E') => Some("error"),
        _ => None,
    };
    let explanation = match code {
        "CWSMR0031W" => Some(
            "Text to Speech underflow: synthesis can't keep up with the playback rate, so audio might skip.",
        ),
        "CWSMR0032W" => Some(
            "A Speech to Text final utterance was below the confidence score threshold and was ignored.",
        ),
        "CWSMR0033W" => {
            Some("The inbound RTP audio stream jitter exceeded the maximum jitter threshold.")
        }
        "CWSMR0070W" => {
            Some("A request to the Speech to Text service failed; the Media Relay retries it.")
        }
        _ => None,
    };
    WarningInfo {
        component,
        severity,
        explanation,
    }
}

/// The Watson Assistant response type a CDR `response[].type` comes from, per IBM's "Mapping
/// between CDR and Watson Assistant response types" table; `None` for types the table lacks.
pub fn wa_response_type(cdr_type: &str) -> Option<&'static str> {
    Some(match cdr_type {
        "text_to_speech" => "text",
        "url" => "audio",
        "dtmf" => "dtmf (command_info: send)",
        "sms" => "user_defined (vgwActSendSMS)",
        "transfer" => "connect_to_agent",
        "text_to_speech_config" => "text_to_speech (command_info: configure)",
        "speech_to_text_config" => "speech_to_text (command_info: configure)",
        "unpause_speech_to_text" => "start_activities (speech_to_text_recognition)",
        "pause_speech_to_text" => "stop_activities (speech_to_text_recognition)",
        "unpause_dtmf" => "start_activities (dtmf_collection)",
        "pause_dtmf" => "stop_activities (dtmf_collection)",
        "enable_speech_barge_in" => "text_to_speech (command_info: enable_barge_in)",
        "disable_speech_barge_in" => "text_to_speech (command_info: disable_barge_in)",
        "enable_dtmf_barge_in" => "dtmf (command_info: enable_barge_in)",
        "disable_dtmf_barge_in" => "dtmf (command_info: disable_barge_in)",
        "hangup" => "end_session",
        _ => return None,
    })
}

/// What a CDR `request.type` means, after IBM's request type list; `hangup`, which the list omits
/// but IBM's examples carry, included.
pub fn request_meaning(request_type: &str) -> Option<&'static str> {
    Some(match request_type {
        "start" => "initial request to the assistant",
        "speech_to_text" => "speech was recognized",
        "dtmf" => "DTMF collection completed",
        "sms" => "an SMS message was received from the caller",
        "post_response_timeout" => "the post-response timer expired",
        "redirect" => "the call was redirected",
        "transfer" => "the call was transferred",
        "transfer_failed" => "the call transfer failed",
        "final_utterance_timeout" => "the final utterance timer expired",
        "no_input_turn" => "no-input turn (no input turn is enabled)",
        "sms_failure" => "an SMS message couldn't be sent to the caller",
        "speech_to_text_result_filtered" => "an utterance was filtered out for low confidence",
        "mrcp_recognition_unsuccessful" => "MRCP recognition completed without a final utterance",
        "network_warning" => "a network error was detected",
        "media_capability_change" => "media capabilities changed during the call",
        "hangup" => "the call was hung up (not in IBM's list; seen in its examples)",
        _ => return None,
    })
}

/// `realtime_transport_network_summary`.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Rtp {
    pub inbound: Option<RtpStream>,
    pub outbound: Option<RtpStream>,
}

/// One RTP stream's RTCP statistics.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct RtpStream {
    pub maximum_jitter: Option<f64>,
    pub average_jitter: Option<f64>,
    pub packets_lost: Option<i64>,
    pub packets_transmitted: Option<i64>,
    pub canonical_name: Option<String>,
    pub tool_name: Option<String>,
    /// `packets_lost / packets_transmitted × 100`; `None` when either is missing or nothing was sent.
    pub loss_percent: Option<f64>,
}

/// The call's `realtime_transport_network_summary` (present only when RTCP is on).
pub fn rtp(payload: &Value) -> Option<Rtp> {
    let summary = object_at(payload, &["realtime_transport_network_summary"])?;
    Some(Rtp {
        inbound: summary.get("inbound_stream").and_then(rtp_stream),
        outbound: summary.get("outbound_stream").and_then(rtp_stream),
    })
}

fn rtp_stream(v: &Value) -> Option<RtpStream> {
    if !v.is_object() {
        return None;
    }
    let packets_lost = int_at(v, &["packets_lost"]);
    let packets_transmitted = int_at(v, &["packets_transmitted"]);
    Some(RtpStream {
        maximum_jitter: num_at(v, &["maximum_jitter"]),
        average_jitter: num_at(v, &["average_jitter"]),
        packets_lost,
        packets_transmitted,
        canonical_name: str_at(v, &["canonical_name"]),
        tool_name: str_at(v, &["tool_name"]),
        loss_percent: packets_lost
            .zip(packets_transmitted.filter(|&n| n > 0))
            .map(|(lost, sent)| lost as f64 * 100.0 / sent as f64),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_are_explained() {
        let info = explain_warning("CWSMR0070W");
        assert_eq!(info.component, Some("Media Relay"));
        assert_eq!(info.severity, Some("warning"));
        assert!(info.explanation.unwrap().contains("retries"));
        assert!(
            explain_warning("CWSMR0032W")
                .explanation
                .unwrap()
                .contains("ignored")
        );
        assert_eq!(
            explain_warning("CWSGW0001E"),
            WarningInfo {
                component: Some("SIP Orchestrator"),
                severity: Some("error"),
                explanation: None
            }
        );
        assert_eq!(
            explain_warning("CWSTA0100I").component,
            Some("Speech to Text adapter")
        );
        assert_eq!(explain_warning("CWSTA0100I").severity, Some("info"));
        assert_eq!(
            explain_warning("CWSTS0002W").component,
            Some("Text to Speech adapter")
        );
        assert_eq!(
            explain_warning("oops"),
            WarningInfo {
                component: None,
                severity: None,
                explanation: None
            }
        );
    }

    #[test]
    fn response_types_map_to_watson_types() {
        assert_eq!(wa_response_type("url"), Some("audio"));
        assert_eq!(
            wa_response_type("sms"),
            Some("user_defined (vgwActSendSMS)")
        );
        assert_eq!(
            wa_response_type("text_to_speech_config"),
            Some("text_to_speech (command_info: configure)")
        );
        assert_eq!(
            wa_response_type("pause_speech_to_text"),
            Some("stop_activities (speech_to_text_recognition)")
        );
        assert_eq!(
            wa_response_type("unpause_dtmf"),
            Some("start_activities (dtmf_collection)")
        );
        assert_eq!(
            wa_response_type("disable_dtmf_barge_in"),
            Some("dtmf (command_info: disable_barge_in)")
        );
        assert_eq!(wa_response_type("dtmf"), Some("dtmf (command_info: send)"));
        assert_eq!(wa_response_type("something_new"), None);
        assert_eq!(request_meaning("something_new"), None);
        assert!(request_meaning("speech_to_text_result_filtered").is_some());
    }
}
