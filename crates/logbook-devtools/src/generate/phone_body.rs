//! The `message_logged` body of a phone turn: the caller's input, the reply, the dialog's debug
//! output and the `voice_telephony` context.

use super::json::JsonOut;
use super::phone::{PInput, PItem, PKind, PhoneSession};
use super::phone_dialog::PhoneTurn;
use super::phone_script::{ANYTHING_ELSE, FLOWS, LOG_WARNINGS};
use super::random::Id;
use super::slots::write_entities;
use super::vars::write_vars;
use super::vocabulary::TRANSFER_URIS;
use super::{Ctx, Ms};

/// What a phone turn's body says besides its content.
pub(super) struct PhoneMessage {
    pub(super) input: PInput,
    /// Request and response times.
    pub(super) t: Ms,
    pub(super) response: Ms,
    pub(super) log_id: Id,
    /// The dialog's opaque `system.state`.
    pub(super) state: String,
}

impl Ctx {
    /// Writes the `message_logged` body of the session's phone `turn`.
    pub(super) fn write_phone_message(
        &mut self,
        j: &mut JsonOut,
        s: &PhoneSession,
        turn: &PhoneTurn,
        msg: &PhoneMessage,
    ) {
        let deployment = self.deploy.phone;
        j.obj();
        j.kobj("event");
        j.ks("name", "message_logged");
        j.end_obj();
        j.kobj("payload");
        j.ks("log_id", msg.log_id.as_str());
        write_phone_request(j, s, turn, &msg.input);
        j.kobj("response");
        j.kobj("output");
        self.write_phone_generic(j, s, turn);
        self.write_phone_debug(j, turn);
        write_phone_context(j, s, turn, &msg.state);
        j.ks("user_id", &s.caller);
        j.end_obj(); // response
        j.ks("assistant_id", deployment.assistant.as_str());
        j.ks("session_id", s.id.as_str());
        j.ks("skill_id", deployment.skill.as_str());
        j.ks("snapshot", deployment.snapshot);
        j.kts("request_timestamp", msg.t);
        j.kts("response_timestamp", msg.response);
        j.ks("language", "en");
        j.end_obj();
        j.end_obj();
    }

    /// `output.generic`: the reply's texts, DTMF collection, transfer or hang-up.
    fn write_phone_generic(&mut self, j: &mut JsonOut, s: &PhoneSession, turn: &PhoneTurn) {
        let rng = &mut self.rng;
        j.karr("generic");
        for item in &turn.items {
            match item {
                PItem::Text(text) => j.text_item(text),
                PItem::DtmfCollect(count) => {
                    j.obj();
                    j.ks("response_type", "dtmf");
                    j.kobj("command_info");
                    j.ks("type", "collect");
                    j.kobj("parameters");
                    j.ks("termination_key", "#");
                    j.ku("count", *count);
                    j.kb("ignore_speech", true);
                    j.end_obj();
                    j.end_obj();
                    j.karr("channels");
                    j.obj();
                    j.ks("channel", "voice_telephony");
                    j.end_obj();
                    j.end_arr();
                    j.end_obj();
                }
                PItem::EndSession => {
                    j.obj();
                    j.ks("response_type", "end_session");
                    j.end_obj();
                }
                PItem::Transfer => {
                    j.obj();
                    j.ks("response_type", "connect_to_agent");
                    j.kobj("transfer_info");
                    j.kobj("target");
                    j.kobj("service_desk");
                    j.kobj("sip");
                    j.ks("uri", rng.pick(TRANSFER_URIS));
                    j.karr("transfer_headers");
                    j.obj();
                    j.ks("name", "X-Reason");
                    j.ks(
                        "value",
                        if s.flow.is_some() {
                            "self-service-exit"
                        } else {
                            "caller-requested"
                        },
                    );
                    j.end_obj();
                    j.end_arr();
                    j.ks("transfer_headers_send_method", "custom_header");
                    j.end_obj();
                    j.end_obj();
                    j.end_obj();
                    j.end_obj();
                    j.kobj("agent_available");
                    j.ks("message", "Please hold while I connect you.");
                    j.end_obj();
                    j.kobj("agent_unavailable");
                    j.ks("message", "Sorry, no agents are available right now.");
                    j.end_obj();
                    let reason = match s.flow {
                        Some(f) => format!(
                            "Caller asked for an agent during {}.",
                            FLOWS[f].title.to_lowercase()
                        ),
                        None => String::from("Caller asked for an agent at the main menu."),
                    };
                    j.ks("message_to_human_agent", &reason);
                    j.end_obj();
                }
            }
        }
        j.end_arr();
    }

    /// `output.intents`, `entities` and `debug` (the dialog nodes visited); closes `output`.
    fn write_phone_debug(&mut self, j: &mut JsonOut, turn: &PhoneTurn) {
        let rng = &mut self.rng;
        j.karr("intents");
        for (intent, confidence) in &turn.intents {
            j.obj();
            j.ks("intent", intent);
            j.kd("confidence", *confidence, 4);
            j.end_obj();
        }
        j.end_arr();
        write_entities(j, &turn.user, &turn.spans);
        j.kobj("debug");
        j.karr("nodes_visited");
        for (node, title, cond) in &turn.nodes {
            j.obj();
            j.ks("dialog_node", node);
            j.ks("title", title);
            j.ks("conditions", cond);
            j.end_obj();
        }
        j.end_arr();
        j.karr("log_messages");
        if rng.chance(0.04) {
            let (message, code) = rng.pick(LOG_WARNINGS);
            j.obj();
            j.ks("level", "warn");
            j.ks("message", message);
            j.ks("code", code);
            j.kobj("source");
            j.ks("type", "dialog_node");
            j.ks(
                "dialog_node",
                turn.nodes.last().map_or("node_1_1708451201", |n| n.0),
            );
            j.end_obj();
            j.end_obj();
        }
        j.end_arr();
        let exited = turn.ask.as_deref().is_none_or(|a| a == ANYTHING_ELSE)
            || turn.kind != PKind::Normal
            || turn.last;
        j.kb("branch_exited", exited);
        if exited {
            j.ks("branch_exited_reason", "completed");
        }
        j.end_obj();
        j.end_obj(); // output
    }
}

/// `request`: the caller's text and how it arrived.
fn write_phone_request(j: &mut JsonOut, s: &PhoneSession, turn: &PhoneTurn, input: &PInput) {
    j.kobj("request");
    j.kobj("input");
    j.ks("message_type", "text");
    j.ks("text", &turn.user);
    match input {
        PInput::None => {}
        PInput::Speech(stt, dp) => {
            j.kobj("integrations");
            j.kobj("voice_telephony");
            j.kobj("speech_to_text_result");
            j.ku("result_index", 0);
            j.kts("startTimestamp", stt.start);
            j.kts("stopTimestamp", stt.stop);
            j.kobj("transaction_ids");
            j.ks("x-global-transaction-id", stt.txn.as_str());
            j.ks("x-dp-watson-tran-id", dp.as_str());
            j.end_obj();
            j.ks("transactionID", stt.txn.as_str());
            j.karr("results");
            j.obj();
            j.kb("final", true);
            j.karr("alternatives");
            j.obj();
            j.ks("transcript", &turn.user);
            j.kd("confidence", stt.confidence, 2);
            j.end_obj();
            j.end_arr();
            j.end_obj();
            j.end_arr();
            j.end_obj();
            j.kb("is_dtmf", false);
            j.kb("barge_in_occurred", s.barge_in);
            j.end_obj();
            j.end_obj();
        }
        PInput::Dtmf => {
            j.kobj("integrations");
            j.kobj("voice_telephony");
            j.kb("is_dtmf", true);
            j.kb("dtmf_collection_succeeded", true);
            j.kb("barge_in_occurred", false);
            j.end_obj();
            j.end_obj();
        }
        PInput::Timeout => {
            j.kobj("integrations");
            j.kobj("voice_telephony");
            j.kb("post_response_timeout_occurred", true);
            j.kb("is_dtmf", false);
            j.end_obj();
            j.end_obj();
        }
    }
    j.end_obj();
    j.kraw("context", &s.req_ctx);
    j.ks("user_id", &s.caller);
    j.end_obj();
}

/// `response.context`: the session, the `voice_telephony` channel data and the skill's variables.
fn write_phone_context(j: &mut JsonOut, s: &PhoneSession, turn: &PhoneTurn, state: &str) {
    j.kobj("context");
    j.kobj("global");
    j.kobj("system");
    j.ks("user_id", &s.caller);
    j.ku("turn_count", s.turn as u64);
    j.kts("session_start_time", s.start);
    j.end_obj();
    j.ks("session_id", s.id.as_str());
    j.end_obj();
    j.kobj("integrations");
    j.kobj("voice_telephony");
    j.members(&s.vt);
    if turn.kind == PKind::Start {
        j.ku("post_response_timeout_count", 10_000);
    }
    if !turn.custom.is_empty() {
        j.kobj("cdr_custom_data");
        write_vars(j, &turn.custom);
        j.end_obj();
    }
    j.end_obj();
    j.kobj("channel");
    j.ks("name", "Phone");
    j.end_obj();
    j.end_obj();
    j.kobj("skills");
    j.kobj("main skill");
    j.kobj("user_defined");
    write_vars(j, &s.user_vars);
    j.end_obj();
    j.kobj("system");
    j.ks("state", state);
    j.end_obj();
    j.end_obj();
    j.end_obj();
    j.end_obj(); // context
}
