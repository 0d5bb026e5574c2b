//! Phone calls (dialog skill, `voice_telephony`): the session, its turns and their timing.

use super::json::JsonOut;
use super::phone_body::PhoneMessage;
use super::phone_dialog::PhoneTurn;
use super::phone_script::{ANYTHING_ELSE, FLOWS, StepKind};
use super::random::{Dice, Id};
use super::slots::Slots;
use super::text::push_u64;
use super::vars::{VarValue, merge_custom};
use super::vocabulary::{AREA_CODES, ASSISTANT_NUMBERS, CAMPAIGNS, TIMES, WEEKDAYS};
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
        let mut sl = s.slots;
        {
            let rng = &mut self.rng;
            sl.weekday = rng.pick(WEEKDAYS);
            let t1 = rng.range(0, 7) as usize;
            sl.time = TIMES[t1];
            sl.time2 = TIMES[t1 + 2];
            sl.conf = rng.range(1_000_000, 9_999_999) as u32;
        }
        let (kind, mode) = (s.kinds[i], s.next_mode);
        let mut turn = self.plan_phone_turn(s, &sl, kind, last, mode);
        let next_mode = if last {
            Mode::Start
        } else {
            self.decide_next_mode(s)
        };
        prompt(s, &mut turn, next_mode);

        let rng = &mut self.rng;
        let input = caller_input(rng, s, turn.input_mode, t);
        let latency = rng.latency(80.0, 180.0, 2000.0);
        let mut msg = PhoneMessage {
            input,
            t,
            response: t + latency,
            log_id: rng.id(),
            state: String::with_capacity(48),
        };
        rng.push_b64(&mut msg.state, 42);

        // Merge this turn's custom data into the call's.
        for (k, v) in &turn.custom {
            merge_custom(&mut s.custom, k, v);
        }
        if !turn.custom.is_empty() {
            s.custom_set = true;
        }
        self.write_phone_message(j, s, &turn, &msg);

        let play_end = self.record_turn(s, &turn, msg, latency);
        if last {
            self.end_call(s, t + latency, play_end)
        } else {
            s.next_mode = next_mode;
            Some(self.next_input(s, next_mode, t + latency, play_end))
        }
    }

    /// Keeps what the call record will say about this turn (TTS playback of each text, in order);
    /// returns when the playback ends.
    fn record_turn(
        &mut self,
        s: &mut PhoneSession,
        turn: &PhoneTurn,
        msg: PhoneMessage,
        latency: Ms,
    ) -> Ms {
        let scale = self.scale;
        let gap = move |ms: f64| (ms * scale).round() as Ms;
        let rng = &mut self.rng;
        let mut tts = Vec::with_capacity(2);
        let mut cursor = msg.response;
        for item in &turn.items {
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
        let play_end = tts.last().map_or(msg.response, |x| x.stop);
        s.turns.push(CdrTurn {
            log_id: msg.log_id,
            req_type: turn.req_type,
            start: msg.t,
            response_ms: latency,
            stt: match msg.input {
                PInput::Speech(stt, _) => Some(stt),
                _ => None,
            },
            tts,
            transfer: turn.items.iter().any(|x| matches!(x, PItem::Transfer)),
            hangup: turn.items.iter().any(|x| matches!(x, PItem::EndSession)),
        });
        play_end
    }

    /// When the caller's next input arrives (by `next_mode`), the reply having been sent at
    /// `response` and played until `play_end`. A caller who barges in cuts the playback short.
    fn next_input(
        &mut self,
        s: &mut PhoneSession,
        next_mode: Mode,
        response: Ms,
        play_end: Ms,
    ) -> Ms {
        let scale = self.scale;
        let gap = move |ms: f64| (ms * scale).round() as Ms;
        let rng = &mut self.rng;
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
        next.min(cap).max(response + 1)
    }

    /// The call ends after its last turn: sets when, and returns it if the call record is sent.
    fn end_call(&mut self, s: &mut PhoneSession, response: Ms, play_end: Ms) -> Option<Ms> {
        let scale = self.scale;
        let gap = move |ms: f64| (ms * scale).round() as Ms;
        let rng = &mut self.rng;
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

/// Ends the reply with its question, and asks for key presses when the next step expects them.
fn prompt(s: &mut PhoneSession, turn: &mut PhoneTurn, next_mode: Mode) {
    if next_mode == Mode::Dtmf
        && let Some(step) = s.flow.and_then(|f| FLOWS[f].steps.get(s.step))
    {
        let count = match step.kind {
            StepKind::Pin => 4,
            StepKind::Account => 8,
            _ => 5,
        };
        turn.items.insert(0, PItem::DtmfCollect(count));
    }
    let mut say = std::mem::take(&mut turn.main);
    if let Some(a) = &turn.ask {
        if !say.is_empty() {
            say.push(' ');
        }
        say.push_str(a);
        if !turn.closing_only && a != ANYTHING_ELSE {
            s.last_ask.clone_from(a);
        }
    }
    if !say.is_empty() {
        turn.items.insert(0, PItem::Text(say));
    }
}

/// The caller's input block: for speech, the recognition result of what they said before `t`.
fn caller_input(rng: &mut Dice, s: &mut PhoneSession, mode: Mode, t: Ms) -> PInput {
    match mode {
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
    }
}
