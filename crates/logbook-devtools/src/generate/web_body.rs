//! The `message_logged` body of a web chat turn: the request, the output (its generic items and
//! debug `turn_events`) and the context.

use super::articles::{
    CALLOUT_FAIL, FOLLOW_UP_TITLES, IDK_TEXT, LLM_MODEL, LOOKUP_TEXTS, NO_MATCH_TEXTS,
    OPTION_TITLES, WELCOME_BACK, WELCOME_TEXTS,
};
use super::json::JsonOut;
use super::padding::write_padding;
use super::slots::{Slots, filled, write_entities};
use super::text::push_u64;
use super::topics::{AMBIGUOUS, Card, Topic, VarKind};
use super::vars::{VarValue, set_var, write_vars};
use super::web::{WebKind, WebSession, WebTurn};
use super::web_debug::{
    action_event, callout_event, generative_event, result_var, simple_action_events, step_event,
};
use super::web_output::{
    agent_items, card_item, conversational_search_item, option_item, suggestion_item,
};
use super::{Ctx, Look, Ms};

impl Ctx {
    /// `response.output.generic`; returns the body of the turn's callout, if it made one.
    pub(super) fn write_web_output(
        &mut self,
        j: &mut JsonOut,
        s: &mut WebSession,
        turn: &WebTurn,
    ) -> Option<String> {
        let WebTurn {
            kind,
            ref sl,
            ref intents,
            topic,
            idk,
            scores,
            ..
        } = *turn;
        let rng = &mut self.rng;
        j.kobj("output");
        j.karr("generic");
        let mut result_body: Option<String> = None;
        match kind {
            WebKind::Welcome => {
                let greeting = if s.returning {
                    WELCOME_BACK
                } else {
                    rng.pick(WELCOME_TEXTS)
                };
                j.text_item(&filled(greeting, sl));
                let offered = option_item(j, rng, OPTION_TITLES);
                s.offer = Some(offered);
            }
            WebKind::Topic(_) | WebKind::Click(_) => {
                let tp = topic.expect("topic turn");
                result_body = self.topic_reply(j, s, turn, tp);
            }
            WebKind::Search(ai) => {
                if idk {
                    j.text_item(IDK_TEXT);
                } else {
                    conversational_search_item(j, rng, ai, sl, scores);
                }
            }
            WebKind::Disambig(di) => {
                let (_, a, b) = AMBIGUOUS[di];
                s.offer = Some(suggestion_item(j, a, b, intents));
            }
            WebKind::NoMatch => {
                j.text_item(rng.pick(NO_MATCH_TEXTS));
                if rng.chance(0.4) {
                    let offered = option_item(j, rng, OPTION_TITLES);
                    s.offer = Some(offered);
                }
            }
            WebKind::Agent => agent_items(j, rng, sl),
        }
        j.end_arr();
        result_body
    }

    /// The reply of an action: texts, an image or card now and then, and a follow-up offer;
    /// returns the body of the action's callout, if it made one.
    fn topic_reply(
        &mut self,
        j: &mut JsonOut,
        s: &mut WebSession,
        turn: &WebTurn,
        tp: &Topic,
    ) -> Option<String> {
        let WebTurn {
            ref sl,
            callout,
            callout_ok,
            ..
        } = *turn;
        let rng = &mut self.rng;
        let mut result_body = None;
        if callout && rng.chance(0.5) {
            j.text_item(&filled(rng.pick(LOOKUP_TEXTS), sl));
            j.obj();
            j.ks("response_type", "pause");
            j.ku("time", rng.range(5, 25) as u64 * 100);
            j.kb("typing", true);
            j.end_obj();
        }
        if callout && !callout_ok {
            j.text_item(rng.pick(CALLOUT_FAIL));
        } else {
            j.text_item(&filled(rng.pick(tp.replies), sl));
            if !tp.extra.is_empty() && rng.chance(0.3) {
                j.text_item(&filled(rng.pick(tp.extra), sl));
            }
            if let Some((src, title, alt)) = tp.image
                && rng.chance(0.22)
            {
                j.obj();
                j.ks("response_type", "image");
                j.ks("source", &filled(src, sl));
                j.ks("title", &filled(title, sl));
                j.ks("alt_text", &filled(alt, sl));
                j.end_obj();
            }
            if tp.card != Card::None && rng.chance(0.3) {
                card_item(j, rng, tp.card, sl);
            }
            apply_topic_vars(s, tp.var, sl);
        }
        if callout
            && callout_ok
            && let Some(c) = &tp.callout
        {
            result_body = Some(filled(c.body, sl));
        }
        if rng.chance(0.15) {
            let offered = option_item(j, rng, FOLLOW_UP_TITLES);
            s.offer = Some(offered);
        }
        result_body
    }

    /// `output.debug`: the actions and steps the turn went through; closes `output`.
    pub(super) fn write_web_debug(
        &mut self,
        j: &mut JsonOut,
        turn: &WebTurn,
        look: Look,
        result_body: Option<&str>,
    ) {
        let WebTurn {
            kind,
            topic,
            action_start,
            ..
        } = *turn;
        j.kobj("debug");
        j.karr("turn_events");
        if !look.minimal {
            match kind {
                WebKind::Welcome => {
                    simple_action_events(
                        j,
                        "welcome",
                        "Greet customer",
                        "welcome",
                        "intent",
                        "all_steps_done",
                        action_start,
                    );
                }
                WebKind::Topic(_) | WebKind::Click(_) => {
                    let tp = topic.expect("topic turn");
                    self.topic_events(j, turn, tp, result_body);
                }
                WebKind::Search(ai) => self.search_events(j, turn, ai),
                WebKind::Disambig(_) => {}
                WebKind::NoMatch => {
                    simple_action_events(
                        j,
                        "anything_else",
                        "No action matches",
                        "anything_else",
                        "no_action_matches",
                        "all_steps_done",
                        action_start,
                    );
                }
                WebKind::Agent => {
                    simple_action_events(
                        j,
                        "fallback",
                        "Fallback",
                        "user_defined",
                        "agent_requested",
                        "connect_to_agent",
                        action_start,
                    );
                }
            }
        }
        j.end_arr();
        if !look.minimal
            && let Some(tp) = topic
            && self.rng.chance(0.5)
        {
            j.karr("output_generic_mapping");
            j.obj();
            j.kobj("source");
            j.ks("type", "step");
            j.ks("action", tp.action);
            j.ks("action_title", tp.title);
            j.ks("step", tp.steps[tp.steps.len() - 1]);
            j.end_obj();
            j.end_obj();
            j.end_arr();
        }
        j.end_obj(); // debug
        j.end_obj(); // output
    }

    /// The action's `turn_events`: visited, its steps (and callout), finished.
    fn topic_events(
        &mut self,
        j: &mut JsonOut,
        turn: &WebTurn,
        tp: &Topic,
        result_body: Option<&str>,
    ) {
        let WebTurn {
            ref sl,
            callout,
            callout_ok,
            action_start,
            ..
        } = *turn;
        let rng = &mut self.rng;
        let cond = "user_defined";
        action_event(j, "action_visited", tp.action, tp.title, action_start, cond);
        j.ks("reason", "intent");
        j.end_obj();
        for (i, step) in tp.steps.iter().enumerate() {
            step_event(
                j,
                tp.action,
                tp.title,
                step,
                action_start,
                cond,
                i + 1 < tp.steps.len() && rng.chance(0.3),
            );
            if let Some(c) = &tp.callout
                && callout
                && c.step == *step
            {
                callout_event(j, rng, tp, c, sl, callout_ok, result_body);
            }
        }
        action_event(
            j,
            "action_finished",
            tp.action,
            tp.title,
            action_start,
            cond,
        );
        j.ks("reason", "all_steps_done");
        j.kobj("action_variables");
        if let (Some(c), Some(body)) = (&tp.callout, &result_body) {
            j.kraw(&result_var(c), body);
        }
        j.end_obj();
        j.end_obj();
    }

    /// Conversational search's `turn_events`: no action matches, the generative answer.
    fn search_events(&mut self, j: &mut JsonOut, turn: &WebTurn, ai: usize) {
        let WebTurn {
            ref sl,
            ref text,
            idk,
            scores,
            action_start,
            ..
        } = *turn;
        let rng = &mut self.rng;
        let cond = "anything_else";
        action_event(
            j,
            "action_visited",
            "anything_else",
            "No action matches",
            action_start,
            cond,
        );
        j.ks("reason", "no_action_matches");
        j.end_obj();
        generative_event(j, rng, ai, text, action_start, idk, sl, scores);
        action_event(
            j,
            "conversational_search_end",
            "anything_else",
            "No action matches",
            action_start,
            cond,
        );
        j.end_obj();
    }

    /// `response.context`: the session, the skill's variables and state, the integrations.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn write_web_context(
        &mut self,
        j: &mut JsonOut,
        s: &mut WebSession,
        turn: &WebTurn,
        look: Look,
        t: Ms,
        result_body: Option<&str>,
    ) {
        let WebTurn { kind, topic, .. } = *turn;
        let rng = &mut self.rng;
        // response.context
        if kind == WebKind::Welcome {
            set_var(&mut s.vars, "first_visit", VarValue::Bool(!s.returning));
        }
        let mut state = String::with_capacity(s.state_len);
        rng.push_b64(&mut state, s.state_len);
        j.kobj("context");
        j.kobj("global");
        j.kobj("system");
        j.ks("timezone", s.tz);
        j.ks("user_id", &s.user_id);
        j.ku("turn_count", s.turn.into());
        j.ks("locale", s.locale);
        j.kts("session_start_time", s.start);
        if !look.minimal {
            j.ks("state", &state);
        }
        j.end_obj();
        j.ks("session_id", s.id.as_str());
        j.end_obj();
        j.kobj("skills");
        j.kobj("actions skill");
        j.kempty("user_defined");
        j.kobj("system");
        if !look.minimal {
            j.ks("state", &state);
        }
        j.end_obj();
        j.kobj("skill_variables");
        write_vars(j, &s.vars);
        if look.pad > 0 {
            write_padding(j, look.pad, look.pad_seed, t);
        }
        j.end_obj();
        if let (Some(tp), Some(body)) = (topic, &result_body)
            && let Some(c) = &tp.callout
        {
            j.kobj("action_variables");
            j.kraw(&result_var(c), body);
            j.end_obj();
        }
        j.end_obj();
        j.end_obj();
        if !look.minimal {
            j.kraw("integrations", &s.integrations);
        }
        j.end_obj();
        j.ks("user_id", &s.user_id);
        j.end_obj(); // response
    }
}

/// `request`: the user's input and the context the client sends.
pub(super) fn write_web_request(j: &mut JsonOut, s: &WebSession, turn: &WebTurn, look: Look) {
    let WebTurn { kind, ref text, .. } = *turn;
    j.kobj("request");
    j.kobj("input");
    j.ks("message_type", "text");
    j.ks("text", text);
    if kind == WebKind::Welcome {
        j.kobj("options");
        j.kb("return_context", true);
        j.end_obj();
    }
    j.end_obj();
    if look.minimal {
        j.kobj("context");
        j.kobj("global");
        j.kobj("system");
        j.ks("user_id", &s.user_id);
        j.end_obj();
        j.end_obj();
        j.end_obj();
    } else {
        j.kraw("context", &s.req_ctx);
    }
    j.ks("user_id", &s.user_id);
    j.end_obj();
}

/// `output.intents`, `entities` and, for conversational search, `llm_metadata`.
pub(super) fn write_web_understanding(j: &mut JsonOut, turn: &WebTurn) {
    let WebTurn {
        kind,
        ref text,
        ref spans,
        ref intents,
        ..
    } = *turn;
    j.karr("intents");
    for (intent, confidence) in intents {
        j.obj();
        j.ks("intent", intent);
        j.kd("confidence", *confidence, 4);
        j.end_obj();
    }
    j.end_arr();
    write_entities(j, text, spans);

    if matches!(kind, WebKind::Search(_)) {
        j.karr("llm_metadata");
        j.obj();
        j.ks("task", "content_grounded_answering");
        j.ks("model_id", LLM_MODEL);
        j.end_obj();
        j.end_arr();
    }
}

/// Sets the skill variables an action sets.
pub(super) fn apply_topic_vars(s: &mut WebSession, var: VarKind, sl: &Slots) {
    let mut order = String::new();
    push_u64(&mut order, sl.order.into());
    match var {
        VarKind::None => {}
        VarKind::Order => {
            set_var(&mut s.vars, "last_order_id", VarValue::Str(order));
            set_var(&mut s.vars, "order_status", VarValue::Lit("shipped"));
        }
        VarKind::Refund => {
            set_var(&mut s.vars, "last_order_id", VarValue::Str(order));
            set_var(
                &mut s.vars,
                "refund_amount",
                VarValue::Num(f64::from(sl.amount) / 100.0),
            );
        }
        VarKind::Store => set_var(&mut s.vars, "preferred_store", VarValue::Lit(sl.city)),
        VarKind::Address => set_var(&mut s.vars, "shipping_city", VarValue::Lit(sl.city)),
        VarKind::Product => set_var(&mut s.vars, "product_interest", VarValue::Lit(sl.product)),
        VarKind::Points => set_var(
            &mut s.vars,
            "loyalty_points",
            VarValue::Int(sl.points.into()),
        ),
        VarKind::Password => set_var(&mut s.vars, "password_reset_sent", VarValue::Bool(true)),
    }
}
