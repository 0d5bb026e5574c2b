//! Phone calls (dialog skill, `voice_telephony`): the session, its turns and their timing.

use super::json::JsonOut;
use super::phone_script::{
    AGENT_PHONE, ANYTHING_ELSE, CLOSING, FLOW_WEIGHTS, FLOWS, GOODBYE_UTTERANCES, GREETINGS,
    LOG_WARNINGS, StepKind, TIMEOUT_TEXTS, TRANSFER_FAILED_TEXTS, TRANSFER_TEXTS,
};
use super::random::Id;
use super::slots::{Slots, Span, fill, filled, write_entities};
use super::text::push_u64;
use super::vars::{VarValue, merge_custom, set_var, write_vars};
use super::vocabulary::{
    AREA_CODES, ASSISTANT_NUMBERS, CAMPAIGNS, TIERS, TIMES, TRANSFER_URIS, WEEKDAYS,
};
use super::{CDR_PROBABILITY, Ctx, Ms, PHONE_TURNS, REUSE_USER_PROBABILITY, remember};

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum End {
    CallerHangup,
    AssistantHangup,
    Transfer,
    FailedTransfer,
    FailedMedia,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum PKind {
    Start,
    Normal,
    TransferReq,
    TransferFailed,
}

/// How the caller's input for the next turn arrives.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    Start,
    Speech,
    Dtmf,
    Timeout,
    TransferFailed,
}

#[derive(Clone, Copy)]
pub(super) struct Tts {
    pub(super) txn: Id,
    pub(super) start: Ms,
    pub(super) stop: Ms,
    pub(super) ms: Ms,
    pub(super) barge_in: bool,
}

#[derive(Clone, Copy)]
pub(super) struct Stt {
    pub(super) txn: Id,
    pub(super) start: Ms,
    pub(super) stop: Ms,
    pub(super) ms: Ms,
    pub(super) confidence: f64,
    pub(super) stop_unknown: bool,
    pub(super) echo: bool,
}

/// What the call record needs to know about one message turn.
#[derive(Clone)]
pub(super) struct CdrTurn {
    pub(super) log_id: Id,
    pub(super) req_type: &'static str,
    pub(super) start: Ms,
    pub(super) response_ms: Ms,
    pub(super) stt: Option<Stt>,
    pub(super) tts: Vec<Tts>,
    pub(super) transfer: bool,
    pub(super) hangup: bool,
}

pub(super) struct PhoneSession {
    pub(super) id: Id,
    pub(super) caller: String,
    pub(super) global_id: Id,
    pub(super) sip_call_id: String,
    pub(super) trunk_id: String,
    pub(super) number: &'static str,
    /// `request.context`, the same on every turn.
    pub(super) req_ctx: String,
    /// The channel-set `voice_telephony` members (`"sip_call_id":…`).
    pub(super) vt: String,
    pub(super) start: Ms,
    pub(super) call_start: Ms,
    pub(super) invite: Ms,
    pub(super) setup: Ms,
    pub(super) outbound: bool,
    pub(super) turn: usize,
    pub(super) kinds: Vec<PKind>,
    pub(super) end: End,
    pub(super) next_mode: Mode,
    pub(super) pending_stt: Option<(Ms, Ms)>,
    pub(super) barge_in: bool,
    pub(super) flow: Option<usize>,
    pub(super) step: usize,
    pub(super) last_ask: String,
    pub(super) custom: Vec<(&'static str, VarValue)>,
    pub(super) custom_set: bool,
    pub(super) user_vars: Vec<(&'static str, VarValue)>,
    pub(super) slots: Slots,
    pub(super) turns: Vec<CdrTurn>,
    pub(super) active_at_start: u64,
    pub(super) stop: Ms,
}

/// One item of a phone turn's `output.generic`.
pub(super) enum PItem {
    Text(String),
    DtmfCollect(u64),
    EndSession,
    Transfer,
}

/// How the caller's input arrived, for `input.integrations.voice_telephony`.
pub(super) enum PInput {
    None,
    Speech(Stt, Id),
    Dtmf,
    Timeout,
}

impl Ctx {
    pub(super) fn new_phone(&mut self, t: Ms) -> PhoneSession {
        let rng = &mut self.rng;
        let caller = if !self.callers.is_empty() && rng.chance(REUSE_USER_PROBABILITY) {
            self.callers[rng.below(self.callers.len())].clone()
        } else {
            let mut c = String::with_capacity(12);
            c.push_str("+1");
            c.push_str(rng.pick(AREA_CODES));
            push_u64(&mut c, rng.range(200, 999) as u64);
            rng.push_digits(&mut c, 4);
            remember(&mut self.callers, rng, c.clone());
            c
        };
        let number = rng.pick(ASSISTANT_NUMBERS);
        let mut sip_call_id = String::with_capacity(32);
        rng.push_hex(&mut sip_call_id, 16);
        sip_call_id.push_str("@203.0.113.");
        push_u64(&mut sip_call_id, rng.range(2, 250) as u64);
        let mut trunk_id = String::from("CA");
        rng.push_hex(&mut trunk_id, 32);
        let campaign = rng.chance(0.4).then(|| rng.pick(CAMPAIGNS));

        let mut j = JsonOut::with_capacity(160);
        j.ks("sip_call_id", &sip_call_id);
        j.ks("assistant_phone_number", number);
        if let Some(c) = campaign {
            j.kobj("sip_custom_invite_headers");
            j.ks("X-Campaign", c);
            j.end_obj();
        }
        let vt = j.s;
        let mut j = JsonOut::with_capacity(vt.len() + 100);
        j.obj();
        j.kobj("skills");
        j.kobj("main skill");
        j.kempty("user_defined");
        j.kempty("system");
        j.end_obj();
        j.end_obj();
        j.kobj("integrations");
        j.kobj("voice_telephony");
        j.members(&vt);
        j.end_obj();
        j.end_obj();
        j.end_obj();
        let req_ctx = j.s;

        let n = 1 + rng.weighted(&PHONE_TURNS);
        let mut end = match rng.weighted(&[45, 30, 18, 7]) {
            0 => End::CallerHangup,
            1 => End::AssistantHangup,
            2 => End::Transfer,
            _ if n >= 3 && rng.chance(0.6) => End::FailedTransfer,
            _ => End::FailedMedia,
        };
        if n < 2 && matches!(end, End::AssistantHangup | End::Transfer) {
            end = End::CallerHangup;
        }
        let mut kinds = vec![PKind::Normal; n];
        kinds[0] = PKind::Start;
        match end {
            End::Transfer => kinds[n - 1] = PKind::TransferReq,
            End::FailedTransfer => {
                kinds[n - 2] = PKind::TransferReq;
                kinds[n - 1] = PKind::TransferFailed;
            }
            _ => {}
        }
        let call_start = t - rng.range(100, 300);
        let setup = rng.range(1200, 2600);
        let mut slots = Slots::random(rng, t);
        slots.amount = (rng.range(1500, 35_000) as u32 / 5) * 5;
        let active_at_start = self.active_calls;
        self.active_calls += 1;
        PhoneSession {
            id: rng.id(),
            caller,
            global_id: rng.id(),
            sip_call_id,
            trunk_id,
            number,
            req_ctx,
            vt,
            start: t,
            call_start,
            invite: call_start - setup,
            setup,
            outbound: rng.chance(0.02),
            turn: 0,
            kinds,
            end,
            next_mode: Mode::Start,
            pending_stt: None,
            barge_in: false,
            flow: None,
            step: 0,
            last_ask: String::new(),
            custom: Vec::new(),
            custom_set: false,
            user_vars: vec![("menu", VarValue::Lit("main"))],
            slots,
            turns: Vec::with_capacity(n + 1),
            active_at_start,
            stop: 0,
        }
    }

    pub(super) fn phone_event(
        &mut self,
        s: &mut PhoneSession,
        t: Ms,
        j: &mut JsonOut,
    ) -> Option<Ms> {
        if s.turn < s.kinds.len() {
            let next = self.phone_turn(s, t, j);
            if next.is_none() {
                self.active_calls = self.active_calls.saturating_sub(1);
            }
            next
        } else {
            self.cdr(s, j);
            self.active_calls = self.active_calls.saturating_sub(1);
            None
        }
    }

    /// The input mode of the turn after `s.turn` (which has just been rendered).
    pub(super) fn decide_next_mode(&mut self, s: &PhoneSession) -> Mode {
        let rng = &mut self.rng;
        match s.kinds[s.turn] {
            PKind::TransferReq => return Mode::Speech,
            PKind::TransferFailed => return Mode::TransferFailed,
            _ => {}
        }
        if rng.chance(0.06) {
            return Mode::Timeout;
        }
        match s.flow.and_then(|f| FLOWS[f].steps.get(s.step)) {
            Some(step) => match step.kind {
                StepKind::Pin | StepKind::Account => Mode::Dtmf,
                StepKind::Zip if rng.chance(0.5) => Mode::Dtmf,
                _ => Mode::Speech,
            },
            None if rng.chance(0.12) => Mode::Dtmf,
            None => Mode::Speech,
        }
    }

    /// Writes the session's next phone `message_logged` body, requested at `t`; returns when the
    /// next event of this call (turn or call record) happens, or None when the call sends nothing more.
    pub(super) fn phone_turn(
        &mut self,
        s: &mut PhoneSession,
        t: Ms,
        j: &mut JsonOut,
    ) -> Option<Ms> {
        let i = s.turn;
        s.turn += 1;
        let last = s.turn == s.kinds.len();
        let kind = s.kinds[i];
        let mode = s.next_mode;
        let scale = self.scale;
        let gap = move |ms: f64| (ms * scale).round() as Ms;
        let mut sl = s.slots;
        {
            let rng = &mut self.rng;
            sl.weekday = rng.pick(WEEKDAYS);
            let t1 = rng.range(0, 7) as usize;
            sl.time = TIMES[t1];
            sl.time2 = TIMES[t1 + 2];
            sl.conf = rng.range(1_000_000, 9_999_999) as u32;
        }

        let mut user = String::with_capacity(48);
        let mut spans: Vec<Span> = Vec::new();
        let mut intents: Vec<(&'static str, f64)> = Vec::new();
        let mut nodes: Vec<(&'static str, &'static str, &'static str)> = Vec::new();
        let mut main = String::with_capacity(128);
        let mut ask: Option<String> = None;
        let mut items: Vec<PItem> = Vec::with_capacity(3);
        let mut custom: Vec<(&'static str, VarValue)> = Vec::new();
        let mut req_type = "speech_to_text";
        let mut input_mode = mode;
        let mut dtmf_digits = 0usize;
        let mut closing_only = false;

        let rng = &mut self.rng;
        match kind {
            PKind::Start => {
                req_type = "start";
                input_mode = Mode::Start;
                nodes.push(("node_1_1708451201", "Welcome", "welcome"));
                fill(&mut main, rng.pick(GREETINGS), &sl, None);
                s.last_ask = String::from("How can I help you today?");
                if rng.chance(0.6) {
                    custom.push(("ivr_menu", VarValue::Lit("main")));
                    custom.push(("call_reason", VarValue::Lit("unknown")));
                }
                if rng.chance(0.15) {
                    custom.push((
                        "language",
                        VarValue::Lit(rng.pick(&["en-US", "en-US", "es-US"])),
                    ));
                }
            }
            PKind::TransferReq => {
                input_mode = Mode::Speech;
                user.push_str(rng.pick(AGENT_PHONE));
                intents.push(("connect_to_agent", 0.8 + 0.19 * rng.f()));
                nodes.push(("node_9_1708451700", "Transfer", "#connect_to_agent"));
                main.push_str(rng.pick(TRANSFER_TEXTS));
                items.push(PItem::Transfer);
                if rng.chance(0.7) {
                    custom.push(("call_reason", VarValue::Lit("agent_request")));
                }
                if rng.chance(0.4) {
                    let queue = s.flow.map_or("support", |f| FLOWS[f].menu);
                    custom.push(("transfer_queue", VarValue::Lit(queue)));
                }
            }
            PKind::TransferFailed => {
                req_type = "transfer_failed";
                input_mode = Mode::TransferFailed;
                user.push_str("vgwCallTransferFailed");
                nodes.push((
                    "node_13_1708452100",
                    "Transfer failed",
                    "input.text == 'vgwCallTransferFailed'",
                ));
                main.push_str(rng.pick(TRANSFER_FAILED_TEXTS));
                items.push(PItem::EndSession);
            }
            PKind::Normal if mode == Mode::Timeout => {
                req_type = "post_response_timeout";
                user.push_str("vgwPostResponseTimeout");
                nodes.push((
                    "node_11_1708451955",
                    "No input",
                    "input.text == 'vgwPostResponseTimeout'",
                ));
                main.push_str(rng.pick(TIMEOUT_TEXTS));
                ask = Some(s.last_ask.clone());
            }
            PKind::Normal => {
                let dtmf = mode == Mode::Dtmf;
                if dtmf {
                    req_type = "dtmf";
                }
                let step = s.flow.and_then(|f| FLOWS[f].steps.get(s.step));
                match step {
                    Some(st) => {
                        let f = &FLOWS[s.flow.unwrap_or(0)];
                        s.step += 1;
                        nodes.push((st.node, st.title, st.cond));
                        match st.kind {
                            StepKind::Pin | StepKind::Account => {
                                dtmf_digits = if st.kind == StepKind::Pin { 4 } else { 8 };
                                if rng.chance(0.75) {
                                    custom.push((
                                        "account_verified",
                                        VarValue::Bool(rng.chance(0.92)),
                                    ));
                                }
                                if rng.chance(0.3) {
                                    custom.push(("customer_tier", VarValue::Lit(rng.pick(TIERS))));
                                }
                                set_var(&mut s.user_vars, "pin_verified", VarValue::Bool(true));
                            }
                            StepKind::Zip if dtmf => dtmf_digits = 5,
                            StepKind::Amount => {
                                if rng.chance(0.9) {
                                    custom.push((
                                        "payment_amount",
                                        VarValue::Num(f64::from(sl.amount) / 100.0),
                                    ));
                                }
                                set_var(
                                    &mut s.user_vars,
                                    "payment_amount",
                                    VarValue::Num(f64::from(sl.amount) / 100.0),
                                );
                            }
                            _ => {}
                        }
                        if dtmf_digits == 0 {
                            fill(&mut user, rng.pick(st.speech), &sl, None);
                        }
                        fill(&mut main, rng.pick(st.replies), &sl, None);
                        ask = Some(match f.steps.get(s.step) {
                            Some(next) => filled(next.ask, &sl),
                            None => String::from(ANYTHING_ELSE),
                        });
                    }
                    None if !dtmf && last && s.end == End::AssistantHangup && s.flow.is_some() => {
                        closing_only = true;
                        user.push_str(rng.pick(GOODBYE_UTTERANCES));
                        intents.push(("goodbye", 0.85 + 0.14 * rng.f()));
                        nodes.push(("node_12_1708452010", "Goodbye", "#goodbye"));
                    }
                    None => {
                        // A new request: by voice, or a menu digit.
                        let fi = if dtmf {
                            let fi = rng.below(FLOWS.len());
                            let digit = (b'1' + fi as u8) as char;
                            user.push(digit);
                            spans.push(Span {
                                entity: "sys-number",
                                start: 0,
                                end: 1,
                                numeric: Some(fi as u64 + 1),
                            });
                            fi
                        } else {
                            let fi = rng.weighted(&FLOW_WEIGHTS);
                            fill(&mut user, rng.pick(FLOWS[fi].utterances), &sl, None);
                            intents.push((FLOWS[fi].intent, 0.6 + 0.39 * rng.f()));
                            fi
                        };
                        let f = &FLOWS[fi];
                        s.flow = Some(fi);
                        s.step = 0;
                        nodes.push((f.node, f.title, f.intent_condition()));
                        main.push_str(rng.pick(f.ack));
                        match f.steps.first() {
                            Some(first) => {
                                nodes.push((first.node, first.title, "true"));
                                ask = Some(filled(first.ask, &sl));
                            }
                            None => {
                                if !main.is_empty() {
                                    main.push(' ');
                                }
                                fill(&mut main, rng.pick(f.answer), &sl, None);
                                ask = Some(String::from(ANYTHING_ELSE));
                            }
                        }
                        if rng.chance(0.8) {
                            custom.push(("call_reason", VarValue::Lit(f.reason)));
                        }
                        if rng.chance(0.4) {
                            custom.push(("ivr_menu", VarValue::Lit(f.menu)));
                        }
                        set_var(&mut s.user_vars, "menu", VarValue::Lit(f.menu));
                    }
                }
                if dtmf_digits > 0 {
                    rng.push_digits(&mut user, dtmf_digits);
                    let value: u64 = user.parse().unwrap_or(0);
                    spans.push(Span {
                        entity: "sys-number",
                        start: 0,
                        end: user.len(),
                        numeric: Some(value),
                    });
                }
                // Now and then an action clears a key, or switches the language.
                if rng.chance(0.08)
                    && let Some(&(key, _)) = s
                        .custom
                        .iter()
                        .find(|(k, _)| *k == "ivr_menu" || *k == "call_reason")
                {
                    custom.push((key, VarValue::Lit("")));
                }
                if rng.chance(0.03) {
                    custom.push(("language", VarValue::Lit(rng.pick(&["en-US", "es-US"]))));
                }
            }
        }
        // Speech transcripts come lower-case with a trailing space.
        if input_mode == Mode::Speech {
            user = user.to_lowercase();
            user.push(' ');
        }

        // The closing of an assistant hang-up.
        if last && s.end == End::AssistantHangup {
            ask = Some(filled(CLOSING, &sl));
            items.push(PItem::EndSession);
        }
        // Next turn's input mode, and a DTMF collect command if it expects key presses.
        let next_mode = if last {
            Mode::Start
        } else {
            self.decide_next_mode(s)
        };
        let rng = &mut self.rng;
        if next_mode == Mode::Dtmf
            && let Some(step) = s.flow.and_then(|f| FLOWS[f].steps.get(s.step))
        {
            let count = match step.kind {
                StepKind::Pin => 4,
                StepKind::Account => 8,
                _ => 5,
            };
            items.insert(0, PItem::DtmfCollect(count));
        }
        let mut say = main;
        if let Some(a) = &ask {
            if !say.is_empty() {
                say.push(' ');
            }
            say.push_str(a);
            if !closing_only && a != ANYTHING_ELSE {
                s.last_ask.clone_from(a);
            }
        }
        if !say.is_empty() {
            items.insert(0, PItem::Text(say));
        }

        // The caller's input block.
        let input = match input_mode {
            Mode::Speech => {
                let (start, stop) = s.pending_stt.take().unwrap_or((t - 1500, t - 60));
                let confidence = (1.0 - 0.6 * rng.f().powf(2.5)).clamp(0.3, 0.99);
                let stt = Stt {
                    txn: rng.id(),
                    start,
                    stop,
                    ms: rng.latency(300.0, 500.0, 3000.0),
                    confidence: (confidence * 100.0).round() / 100.0,
                    stop_unknown: rng.chance(0.1),
                    echo: rng.chance(0.02),
                };
                PInput::Speech(stt, rng.id())
            }
            Mode::Dtmf => PInput::Dtmf,
            Mode::Timeout => PInput::Timeout,
            _ => PInput::None,
        };

        let latency = rng.latency(80.0, 180.0, 2000.0);
        let response = t + latency;
        let log_id = rng.id();
        let deployment = self.deploy.phone;
        let mut state = String::with_capacity(48);
        rng.push_b64(&mut state, 42);

        // Merge this turn's custom data into the call's.
        for (k, v) in &custom {
            merge_custom(&mut s.custom, k, v);
        }
        if !custom.is_empty() {
            s.custom_set = true;
        }

        j.obj();
        j.kobj("event");
        j.ks("name", "message_logged");
        j.end_obj();
        j.kobj("payload");
        j.ks("log_id", log_id.as_str());
        j.kobj("request");
        j.kobj("input");
        j.ks("message_type", "text");
        j.ks("text", &user);
        match &input {
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
                j.ks("transcript", &user);
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

        j.kobj("response");
        j.kobj("output");
        j.karr("generic");
        for item in &items {
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
        j.karr("intents");
        for (intent, confidence) in &intents {
            j.obj();
            j.ks("intent", intent);
            j.kd("confidence", *confidence, 4);
            j.end_obj();
        }
        j.end_arr();
        write_entities(j, &user, &spans);
        j.kobj("debug");
        j.karr("nodes_visited");
        for (node, title, cond) in &nodes {
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
                nodes.last().map_or("node_1_1708451201", |n| n.0),
            );
            j.end_obj();
            j.end_obj();
        }
        j.end_arr();
        let exited =
            ask.as_deref().is_none_or(|a| a == ANYTHING_ELSE) || kind != PKind::Normal || last;
        j.kb("branch_exited", exited);
        if exited {
            j.ks("branch_exited_reason", "completed");
        }
        j.end_obj();
        j.end_obj(); // output

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
        if kind == PKind::Start {
            j.ku("post_response_timeout_count", 10_000);
        }
        if !custom.is_empty() {
            j.kobj("cdr_custom_data");
            write_vars(j, &custom);
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
        j.ks("state", &state);
        j.end_obj();
        j.end_obj();
        j.end_obj();
        j.end_obj(); // context
        j.ks("user_id", &s.caller);
        j.end_obj(); // response
        j.ks("assistant_id", deployment.assistant.as_str());
        j.ks("session_id", s.id.as_str());
        j.ks("skill_id", deployment.skill.as_str());
        j.ks("snapshot", deployment.snapshot);
        j.kts("request_timestamp", t);
        j.kts("response_timestamp", response);
        j.ks("language", "en");
        j.end_obj();
        j.end_obj();

        // What the call record will say about this turn: TTS playback of each text, in order.
        let mut tts = Vec::with_capacity(2);
        let mut cursor = response;
        for item in &items {
            if let PItem::Text(text) = item {
                let ms = rng.latency(100.0, 200.0, 1500.0);
                let start = cursor + ms;
                let per_char = 55.0 + 20.0 * rng.f();
                let stop = start + gap(text.chars().count() as f64 * per_char).max(300);
                tts.push(Tts {
                    txn: rng.id(),
                    start,
                    stop,
                    ms,
                    barge_in: false,
                });
                cursor = stop + rng.range(10, 40);
            }
        }
        let play_end = tts.last().map_or(response, |x| x.stop);
        s.turns.push(CdrTurn {
            log_id,
            req_type,
            start: t,
            response_ms: latency,
            stt: match input {
                PInput::Speech(stt, _) => Some(stt),
                _ => None,
            },
            tts,
            transfer: items.iter().any(|x| matches!(x, PItem::Transfer)),
            hangup: items.iter().any(|x| matches!(x, PItem::EndSession)),
        });

        if !last {
            s.next_mode = next_mode;
            let next = match next_mode {
                Mode::Speech => {
                    let turn = s.turns.last_mut().expect("just pushed");
                    let barge = !turn.tts.is_empty() && rng.chance(0.12);
                    let speak_start = match turn.tts.last_mut() {
                        Some(x) if barge => {
                            x.barge_in = true;
                            x.start + ((x.stop - x.start) as f64 * (0.3 + 0.6 * rng.f())) as Ms
                        }
                        _ => play_end + gap(300.0 + 1200.0 * rng.f()),
                    };
                    let mut speak = 700.0 + 2600.0 * rng.f();
                    if rng.chance(0.03) {
                        speak += 4000.0 + 11_000.0 * rng.f();
                    }
                    let stop = speak_start + gap(speak).max(200);
                    s.pending_stt = Some((speak_start, stop));
                    s.barge_in = barge;
                    stop + rng.range(30, 90)
                }
                Mode::Dtmf => play_end + gap(1500.0 + 4500.0 * rng.f()),
                Mode::Timeout => play_end + gap(10_000.0),
                Mode::TransferFailed => play_end + gap(3000.0 + 15_000.0 * rng.f()),
                Mode::Start => play_end,
            };
            let cap = (s.call_start + 590_000).max(response + 50);
            return Some(next.min(cap).max(response + 1));
        }

        // The call ends.
        let raw_stop = match s.end {
            End::CallerHangup => {
                if rng.chance(0.15) {
                    response + ((play_end - response) as f64 * rng.f()) as Ms
                } else if rng.chance(0.06) {
                    // Left on hold, or put the phone down and forgot: up to the 10 minute cap.
                    play_end + gap(20_000.0 + 580_000.0 * rng.f().powi(2))
                } else {
                    play_end + gap(500.0 + 8000.0 * rng.f())
                }
            }
            End::AssistantHangup | End::FailedTransfer => play_end + rng.range(200, 700),
            End::Transfer => play_end + rng.range(800, 3000),
            End::FailedMedia => response + gap(500.0 + 19_500.0 * rng.f()),
        };
        let lo = (response + 5).max(s.call_start + 5000 + rng.range(0, 4000));
        let hi = lo.max(s.call_start + 600_000);
        s.stop = raw_stop.clamp(lo, hi);
        if rng.chance(CDR_PROBABILITY) {
            Some(s.stop)
        } else {
            None
        }
    }
}
