//! The `cdr_logged` call record a phone call ends with.

use super::json::JsonOut;
use super::phone::{CdrTurn, End, PhoneSession};
use super::random::Dice;
use super::vars::write_vars;
use super::vocabulary::TRANSFER_URIS;
use super::{Ctx, Deployment};

impl Ctx {
    /// Writes the call's `cdr_logged` body.
    pub(super) fn cdr(&mut self, s: &PhoneSession, j: &mut JsonOut) {
        let rng = &mut self.rng;
        let failed = matches!(s.end, End::FailedMedia | End::FailedTransfer);
        let elapsed = (s.stop - s.call_start).max(0) as u64;
        let deployment = self.deploy.phone;

        j.obj();
        j.kobj("event");
        j.ks("name", "cdr_logged");
        j.end_obj();
        j.kobj("payload");
        j.ks("primary_phone_number", s.number);
        j.ks("global_session_id", s.global_id.as_str());
        j.kb("failure_occurred", failed);
        if failed {
            j.ks("failure_details", &failure_details(rng, s));
        }
        j.kb(
            "transfer_occurred",
            matches!(s.end, End::Transfer | End::FailedTransfer),
        );
        j.ku("active_calls", s.active_at_start);
        j.ks("x-global-sip-trunk-call-id", &s.trunk_id);

        write_call(j, rng, s, elapsed);
        write_max_response(j, s);
        write_summaries(j, rng, s, &deployment);
        let jitter_warning = write_warnings(j, rng, s);
        if rng.chance(0.4) {
            write_network_summary(j, rng, elapsed, jitter_warning);
        }
        if s.custom_set {
            j.kobj("injected_custom_data");
            write_vars(j, &s.custom);
            j.end_obj();
        }
        j.end_obj(); // payload
        j.end_obj();
    }
}

/// Why the call failed: a rejected transfer, or a media or service error.
fn failure_details(rng: &mut Dice, s: &PhoneSession) -> String {
    if s.end == End::FailedTransfer {
        let (code, text) = rng.pick(&[
            (503, "Service Unavailable"),
            (486, "Busy Here"),
            (408, "Request Timeout"),
            (404, "Not Found"),
        ]);
        format!(
            "Transfer to {} failed: SIP REFER rejected with {code} {text}",
            rng.pick(TRANSFER_URIS)
        )
    } else {
        String::from(rng.pick(&[
            "Speech to Text service connection closed unexpectedly: WebSocket closed with code 1011",
            "Failed to connect to the assistant: HTTP 503 Service Unavailable",
            "Media negotiation failed: no common codec in SDP offer",
            "Text to Speech synthesis failed: HTTP 500 Internal Server Error",
        ]))
    }
}

/// `call` (times, end reason, security) and `session_initiation_protocol` (the INVITE).
fn write_call(j: &mut JsonOut, rng: &mut Dice, s: &PhoneSession, elapsed: u64) {
    let stop = s.stop;
    let end_reason = match s.end {
        End::CallerHangup => "caller_hangup",
        End::AssistantHangup => "assistant_hangup",
        End::Transfer => "assistant_transfer",
        End::FailedTransfer | End::FailedMedia => "failed",
    };
    j.kobj("call");
    j.kts("start_timestamp", s.call_start);
    j.kts("stop_timestamp", stop);
    j.ku("milliseconds_elapsed", elapsed);
    j.kb("outbound", s.outbound);
    j.ks("end_reason", end_reason);
    j.kobj("security");
    j.kb("media_encrypted", rng.chance(0.4));
    j.kb("signaling_encrypted", rng.chance(0.7));
    j.kb("sip_authenticated", rng.chance(0.2));
    j.end_obj();
    j.end_obj();

    let caller_uri = format!("sip:{}@pstn.twilio.com", s.caller);
    let assistant_uri = format!(
        "sip:{}@public.voip.us-south.assistant.watson.cloud.ibm.com",
        s.number
    );
    let (from_uri, to_uri) = if s.outbound {
        (assistant_uri, caller_uri)
    } else {
        (caller_uri, assistant_uri)
    };
    j.kobj("session_initiation_protocol");
    let invite_key = if rng.chance(0.5) {
        "invite_arrival_time"
    } else {
        "invite_arrival_timestamp"
    };
    j.kts(invite_key, s.invite);
    j.ku("setup_milliseconds", s.setup as u64);
    j.kobj("headers");
    j.ks("call_id", &s.sip_call_id);
    j.ks("from_uri", &from_uri);
    j.ks("to_uri", &to_uri);
    j.end_obj();
    j.end_obj();
}

/// `max_response_milliseconds` over the call's turns.
fn write_max_response(j: &mut JsonOut, s: &PhoneSession) {
    let assistant_max = s.turns.iter().map(|x| x.response_ms).max().unwrap_or(0);
    let tts_max = s
        .turns
        .iter()
        .flat_map(|x| x.tts.iter())
        .map(|x| x.ms)
        .max()
        .unwrap_or(0);
    let stt_max = s
        .turns
        .iter()
        .filter_map(|x| x.stt.map(|y| y.ms))
        .max()
        .unwrap_or(0);

    j.kobj("max_response_milliseconds");
    j.ku("assistant", assistant_max as u64);
    j.ku("text_to_speech", tts_max as u64);
    j.ku("speech_to_text", stt_max as u64);
    j.end_obj();
}

/// `assistant_interaction_summaries`: each message turn's times, speech recognition and playback,
/// and the caller's hang-up.
fn write_summaries(j: &mut JsonOut, rng: &mut Dice, s: &PhoneSession, deployment: &Deployment) {
    let stop = s.stop;
    j.karr("assistant_interaction_summaries");
    j.obj();
    j.ks("session_id", s.id.as_str());
    j.ks("assistant_id", deployment.assistant.as_str());
    if rng.chance(0.5) {
        j.kts(
            "start_timestamp",
            s.turns.first().map_or(s.start, |x| x.start),
        );
        j.kts("stop_timestamp", stop - 2);
    }
    j.karr("turns");
    for turn in &s.turns {
        write_summary_turn(j, turn);
    }
    if matches!(s.end, End::CallerHangup | End::FailedMedia) {
        j.obj();
        j.kobj("assistant");
        j.ks("log_id", rng.id().as_str());
        j.ku("response_milliseconds", 0);
        j.kts("start_timestamp", stop - 2);
        j.end_obj();
        j.kobj("request");
        j.ks("type", "hangup");
        j.end_obj();
        j.karr("response");
        j.end_arr();
        j.end_obj();
    }
    j.end_arr();
    j.end_obj();
    j.end_arr();
}

/// One message turn in `assistant_interaction_summaries`.
fn write_summary_turn(j: &mut JsonOut, turn: &CdrTurn) {
    j.obj();
    j.kobj("assistant");
    j.ks("log_id", turn.log_id.as_str());
    j.ku("response_milliseconds", turn.response_ms as u64);
    j.kts("start_timestamp", turn.start);
    j.end_obj();
    j.kobj("request");
    j.ks("type", turn.req_type);
    if let Some(stt) = &turn.stt {
        j.kobj("streaming_statistics");
        j.ks("transaction_id", stt.txn.as_str());
        j.kts("start_timestamp", stt.start);
        if stt.stop_unknown {
            j.ks("stop_timestamp", "1970-01-01T00:00:00Z");
        } else {
            j.kts("stop_timestamp", stt.stop);
        }
        j.ku("response_milliseconds", stt.ms as u64);
        j.kd("confidence", stt.confidence, 2);
        j.kb("echo_detected", stt.echo);
        j.end_obj();
    }
    j.end_obj();
    j.karr("response");
    for x in &turn.tts {
        j.obj();
        j.ks("type", "text_to_speech");
        j.kb("barge_in_occurred", x.barge_in);
        j.kobj("streaming_statistics");
        j.ks("transaction_id", x.txn.as_str());
        j.kts("start_timestamp", x.start);
        j.kts("stop_timestamp", x.stop);
        j.ku("response_milliseconds", x.ms as u64);
        j.end_obj();
        j.end_obj();
    }
    if turn.transfer {
        j.obj();
        j.ks("type", "transfer");
        j.end_obj();
    }
    if turn.hangup {
        j.obj();
        j.ks("type", "hangup");
        j.end_obj();
    }
    j.end_arr();
    j.end_obj();
}

/// `warnings_and_errors`, now and then; returns the jitter a jitter warning reported.
fn write_warnings(j: &mut JsonOut, rng: &mut Dice, s: &PhoneSession) -> Option<u64> {
    // Warnings, keyed `code` or `id` (IBM's docs disagree).
    let key = if rng.chance(0.5) { "code" } else { "id" };
    let mut jitter_warning: Option<u64> = None;
    j.karr("warnings_and_errors");
    let any_tts = s.turns.iter().flat_map(|x| x.tts.iter()).count();
    if any_tts > 0 && rng.chance(0.06) {
        let nth = rng.below(any_tts);
        let txn = s
            .turns
            .iter()
            .flat_map(|x| x.tts.iter())
            .nth(nth)
            .map(|x| x.txn);
        let msg = format!(
            "CWSMR0031W: The synthesis stream from the Watson Text-to-Speech service can't keep up with the playback rate to the caller, so audio might skip. transaction ID={}",
            txn.as_ref().map_or("", |x| x.as_str())
        );
        warning(j, key, "CWSMR0031W", &msg);
    }
    if rng.chance(0.04) {
        let threshold = rng.pick(&[0.2, 0.3, 0.4]);
        let conf = threshold * rng.f();
        let msg = format!(
            "CWSMR0032W: The Speech to Text result was ignored because its confidence score of {conf:.2} is below the configured threshold of {threshold:.2}. transaction ID={}",
            rng.id().as_str()
        );
        warning(j, key, "CWSMR0032W", &msg);
    }
    if rng.chance(0.05) {
        let jitter = rng.range(31, 120) as u64;
        jitter_warning = Some(jitter);
        let msg = format!(
            "CWSMR0033W: The inbound RTP audio stream jitter of {jitter} ms exceeds the maximum jitter threshold of 30 ms."
        );
        warning(j, key, "CWSMR0033W", &msg);
    }
    if rng.chance(0.02) {
        let (code, error) = rng.pick(&[
            (503, "Service Unavailable"),
            (429, "Too Many Requests"),
            (500, "Internal Server Error"),
        ]);
        let msg = format!(
            "CWSMR0070W: A request to the Speech to Text service failed. Response headers: {{\"x-global-transaction-id\":\"{}\",\"x-dp-watson-tran-id\":\"{}\",\"content-type\":\"application/json\"}}. Response body: {{\"code\":{code},\"error\":\"{error}\"}}. The Media Relay will reattempt the request.",
            rng.id().as_str(),
            rng.id().as_str()
        );
        warning(j, key, "CWSMR0070W", &msg);
    }
    j.end_arr();
    jitter_warning
}

/// `realtime_transport_network_summary`: RTP statistics of both streams.
fn write_network_summary(
    j: &mut JsonOut,
    rng: &mut Dice,
    elapsed: u64,
    jitter_warning: Option<u64>,
) {
    let packets = elapsed / 20;
    let max_jitter = jitter_warning.unwrap_or_else(|| rng.range(2, 28) as u64);
    j.kobj("realtime_transport_network_summary");
    j.kobj("inbound_stream");
    j.ku(
        "average_jitter",
        rng.range(0, (max_jitter / 3) as i64) as u64,
    );
    j.ks("canonical_name", rng.id().as_str());
    j.ku("maximum_jitter", max_jitter);
    j.ku(
        "packets_lost",
        if rng.chance(0.7) {
            0
        } else {
            rng.range(1, 60) as u64
        },
    );
    j.ku(
        "packets_transmitted",
        packets.saturating_sub(rng.range(0, 40) as u64),
    );
    j.ks("tool_name", "");
    j.end_obj();
    j.kobj("outbound_stream");
    j.ku("average_jitter", 0);
    j.ks("canonical_name", "voice.gateway");
    j.ku("maximum_jitter", 0);
    j.ku("packets_lost", 0);
    j.ku(
        "packets_transmitted",
        packets.saturating_sub(rng.range(20, 140) as u64),
    );
    j.ks("tool_name", "IBM Voice Gateway/1.0.7.0");
    j.end_obj();
    j.end_obj();
}

pub(super) fn warning(j: &mut JsonOut, key: &str, code: &str, message: &str) {
    j.obj();
    j.ks(key, code);
    j.ks("message", message);
    j.end_obj();
}
