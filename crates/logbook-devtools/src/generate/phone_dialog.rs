//! What one phone turn hears and says: the caller's input, the dialog nodes visited, the reply and
//! the `cdr_custom_data` the dialog sets, decided before the turn is written.

use super::Ctx;
use super::phone::{End, Mode, PItem, PKind, PhoneSession};
use super::phone_script::{
    AGENT_PHONE, ANYTHING_ELSE, CLOSING, FLOW_WEIGHTS, FLOWS, GOODBYE_UTTERANCES, GREETINGS, Step,
    StepKind, TIMEOUT_TEXTS, TRANSFER_FAILED_TEXTS, TRANSFER_TEXTS,
};
use super::slots::{Slots, Span, fill, filled};
use super::vars::{VarValue, set_var};
use super::vocabulary::TIERS;

/// One phone turn's content.
pub(super) struct PhoneTurn {
    pub(super) kind: PKind,
    /// The call's last message turn.
    pub(super) last: bool,
    /// What the caller said or keyed (or a `vgw…` signal), as `input.text`.
    pub(super) user: String,
    /// Where the entities are in `user`.
    pub(super) spans: Vec<Span>,
    pub(super) intents: Vec<(&'static str, f64)>,
    /// (dialog node, title, conditions) of each node visited.
    pub(super) nodes: Vec<(&'static str, &'static str, &'static str)>,
    /// The reply, before the question that ends it.
    pub(super) main: String,
    /// The question (or closing) that ends the reply.
    pub(super) ask: Option<String>,
    pub(super) items: Vec<PItem>,
    /// This turn's `cdr_custom_data` update.
    pub(super) custom: Vec<(&'static str, VarValue)>,
    /// The request type in the call record.
    pub(super) req_type: &'static str,
    /// How the caller's input arrived.
    pub(super) input_mode: Mode,
    /// The caller said goodbye: the closing is not a question to repeat after a timeout.
    pub(super) closing_only: bool,
}

impl PhoneTurn {
    fn new(kind: PKind, last: bool, mode: Mode) -> Self {
        PhoneTurn {
            kind,
            last,
            user: String::with_capacity(48),
            spans: Vec::new(),
            intents: Vec::new(),
            nodes: Vec::new(),
            main: String::with_capacity(128),
            ask: None,
            items: Vec::with_capacity(3),
            custom: Vec::new(),
            req_type: "speech_to_text",
            input_mode: mode,
            closing_only: false,
        }
    }
}

impl Ctx {
    /// Decides what the session's turn of `kind` hears and says, the caller's input arriving by
    /// `mode`; moves the session through its flow.
    pub(super) fn plan_phone_turn(
        &mut self,
        s: &mut PhoneSession,
        sl: &Slots,
        kind: PKind,
        last: bool,
        mode: Mode,
    ) -> PhoneTurn {
        let mut turn = PhoneTurn::new(kind, last, mode);
        match kind {
            PKind::Start => self.greeting(s, sl, &mut turn),
            PKind::TransferReq => self.transfer_request(s, &mut turn),
            PKind::TransferFailed => self.transfer_failed(&mut turn),
            PKind::Normal if mode == Mode::Timeout => self.no_input(s, &mut turn),
            PKind::Normal => self.caller_request(s, sl, mode, &mut turn),
        }
        // Speech transcripts come lower-case with a trailing space.
        if turn.input_mode == Mode::Speech {
            turn.user = turn.user.to_lowercase();
            turn.user.push(' ');
        }
        // The closing of an assistant hang-up.
        if last && s.end == End::AssistantHangup {
            turn.ask = Some(filled(CLOSING, sl));
            turn.items.push(PItem::EndSession);
        }
        turn
    }

    /// The call's first turn: the welcome node greets the caller.
    fn greeting(&mut self, s: &mut PhoneSession, sl: &Slots, turn: &mut PhoneTurn) {
        let rng = &mut self.rng;
        turn.req_type = "start";
        turn.input_mode = Mode::Start;
        turn.nodes.push(("node_1_1708451201", "Welcome", "welcome"));
        fill(&mut turn.main, rng.pick(GREETINGS), sl, None);
        s.last_ask = String::from("How can I help you today?");
        if rng.chance(0.6) {
            turn.custom.push(("ivr_menu", VarValue::Lit("main")));
            turn.custom.push(("call_reason", VarValue::Lit("unknown")));
        }
        if rng.chance(0.15) {
            turn.custom.push((
                "language",
                VarValue::Lit(rng.pick(&["en-US", "en-US", "es-US"])),
            ));
        }
    }

    /// The caller asks for an agent; the assistant transfers the call.
    fn transfer_request(&mut self, s: &PhoneSession, turn: &mut PhoneTurn) {
        let rng = &mut self.rng;
        turn.input_mode = Mode::Speech;
        turn.user.push_str(rng.pick(AGENT_PHONE));
        turn.intents
            .push(("connect_to_agent", 0.8 + 0.19 * rng.f()));
        turn.nodes
            .push(("node_9_1708451700", "Transfer", "#connect_to_agent"));
        turn.main.push_str(rng.pick(TRANSFER_TEXTS));
        turn.items.push(PItem::Transfer);
        if rng.chance(0.7) {
            turn.custom
                .push(("call_reason", VarValue::Lit("agent_request")));
        }
        if rng.chance(0.4) {
            let queue = s.flow.map_or("support", |f| FLOWS[f].menu);
            turn.custom.push(("transfer_queue", VarValue::Lit(queue)));
        }
    }

    /// The gateway reports that the transfer failed; the assistant apologises and hangs up.
    fn transfer_failed(&mut self, turn: &mut PhoneTurn) {
        turn.req_type = "transfer_failed";
        turn.input_mode = Mode::TransferFailed;
        turn.user.push_str("vgwCallTransferFailed");
        turn.nodes.push((
            "node_13_1708452100",
            "Transfer failed",
            "input.text == 'vgwCallTransferFailed'",
        ));
        turn.main.push_str(self.rng.pick(TRANSFER_FAILED_TEXTS));
        turn.items.push(PItem::EndSession);
    }

    /// The caller said nothing: the assistant asks its last question again.
    fn no_input(&mut self, s: &PhoneSession, turn: &mut PhoneTurn) {
        turn.req_type = "post_response_timeout";
        turn.user.push_str("vgwPostResponseTimeout");
        turn.nodes.push((
            "node_11_1708451955",
            "No input",
            "input.text == 'vgwPostResponseTimeout'",
        ));
        turn.main.push_str(self.rng.pick(TIMEOUT_TEXTS));
        turn.ask = Some(s.last_ask.clone());
    }

    /// The caller speaks or keys: the answer to the flow's current step, a goodbye, or a new request.
    fn caller_request(
        &mut self,
        s: &mut PhoneSession,
        sl: &Slots,
        mode: Mode,
        turn: &mut PhoneTurn,
    ) {
        let dtmf = mode == Mode::Dtmf;
        if dtmf {
            turn.req_type = "dtmf";
        }
        let step = s.flow.and_then(|f| FLOWS[f].steps.get(s.step));
        let mut dtmf_digits = 0;
        match step {
            Some(st) => dtmf_digits = self.flow_step(s, sl, st, dtmf, turn),
            None if !dtmf && turn.last && s.end == End::AssistantHangup && s.flow.is_some() => {
                let rng = &mut self.rng;
                turn.closing_only = true;
                turn.user.push_str(rng.pick(GOODBYE_UTTERANCES));
                turn.intents.push(("goodbye", 0.85 + 0.14 * rng.f()));
                turn.nodes
                    .push(("node_12_1708452010", "Goodbye", "#goodbye"));
            }
            None => self.new_request(s, sl, dtmf, turn),
        }
        let rng = &mut self.rng;
        if dtmf_digits > 0 {
            rng.push_digits(&mut turn.user, dtmf_digits);
            let value: u64 = turn.user.parse().unwrap_or(0);
            turn.spans.push(Span {
                entity: "sys-number",
                start: 0,
                end: turn.user.len(),
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
            turn.custom.push((key, VarValue::Lit("")));
        }
        if rng.chance(0.03) {
            turn.custom
                .push(("language", VarValue::Lit(rng.pick(&["en-US", "es-US"]))));
        }
    }

    /// The caller answers the flow's step `st`; returns how many digits they key (0: they speak).
    fn flow_step(
        &mut self,
        s: &mut PhoneSession,
        sl: &Slots,
        st: &Step,
        dtmf: bool,
        turn: &mut PhoneTurn,
    ) -> usize {
        let rng = &mut self.rng;
        let f = &FLOWS[s.flow.unwrap_or(0)];
        let mut dtmf_digits = 0;
        s.step += 1;
        turn.nodes.push((st.node, st.title, st.cond));
        match st.kind {
            StepKind::Pin | StepKind::Account => {
                dtmf_digits = if st.kind == StepKind::Pin { 4 } else { 8 };
                if rng.chance(0.75) {
                    turn.custom
                        .push(("account_verified", VarValue::Bool(rng.chance(0.92))));
                }
                if rng.chance(0.3) {
                    turn.custom
                        .push(("customer_tier", VarValue::Lit(rng.pick(TIERS))));
                }
                set_var(&mut s.user_vars, "pin_verified", VarValue::Bool(true));
            }
            StepKind::Zip if dtmf => dtmf_digits = 5,
            StepKind::Amount => {
                if rng.chance(0.9) {
                    turn.custom.push((
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
            fill(&mut turn.user, rng.pick(st.speech), sl, None);
        }
        fill(&mut turn.main, rng.pick(st.replies), sl, None);
        turn.ask = Some(match f.steps.get(s.step) {
            Some(next) => filled(next.ask, sl),
            None => String::from(ANYTHING_ELSE),
        });
        dtmf_digits
    }

    /// A new request, by voice or a menu digit: the flow starts with its first question, or answers
    /// right away when it has no steps.
    fn new_request(&mut self, s: &mut PhoneSession, sl: &Slots, dtmf: bool, turn: &mut PhoneTurn) {
        let rng = &mut self.rng;
        let fi = if dtmf {
            let fi = rng.below(FLOWS.len());
            let digit = (b'1' + fi as u8) as char;
            turn.user.push(digit);
            turn.spans.push(Span {
                entity: "sys-number",
                start: 0,
                end: 1,
                numeric: Some(fi as u64 + 1),
            });
            fi
        } else {
            let fi = rng.weighted(&FLOW_WEIGHTS);
            fill(&mut turn.user, rng.pick(FLOWS[fi].utterances), sl, None);
            turn.intents.push((FLOWS[fi].intent, 0.6 + 0.39 * rng.f()));
            fi
        };
        let f = &FLOWS[fi];
        s.flow = Some(fi);
        s.step = 0;
        turn.nodes.push((f.node, f.title, f.intent_condition()));
        turn.main.push_str(rng.pick(f.ack));
        match f.steps.first() {
            Some(first) => {
                turn.nodes.push((first.node, first.title, "true"));
                turn.ask = Some(filled(first.ask, sl));
            }
            None => {
                if !turn.main.is_empty() {
                    turn.main.push(' ');
                }
                fill(&mut turn.main, rng.pick(f.answer), sl, None);
                turn.ask = Some(String::from(ANYTHING_ELSE));
            }
        }
        if rng.chance(0.8) {
            turn.custom.push(("call_reason", VarValue::Lit(f.reason)));
        }
        if rng.chance(0.4) {
            turn.custom.push(("ivr_menu", VarValue::Lit(f.menu)));
        }
        set_var(&mut s.user_vars, "menu", VarValue::Lit(f.menu));
    }
}
