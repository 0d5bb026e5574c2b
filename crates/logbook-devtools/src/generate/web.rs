//! Web chat sessions (actions skill): the session and its `message_logged` turns.

use super::articles::{AGENT_WEB, ARTICLES, OFF_TOPIC, PREFIXES, SUFFIXES};
use super::json::JsonOut;
use super::random::{Dice, Id};
use super::slots::{Slots, Span, fill};
use super::text::push_u64;
use super::topics::{AMBIGUOUS, TOPIC_WEIGHTS, TOPICS, Topic};
use super::vars::VarValue;
use super::vocabulary::{BROWSER_WEIGHTS, BROWSERS, CITIES, IP_PREFIXES, PAGES, PRODUCTS, ZONES};
use super::web_body::{write_web_request, write_web_understanding};
use super::{Ctx, Look, Ms, REUSE_USER_PROBABILITY, WEB_TURNS, remember};

/// Choices offered in the previous turn (options or suggestions) that the user may click.
#[derive(Clone, Copy)]
pub(super) struct Offer {
    pub(super) topics: [u8; 4],
    pub(super) n: u8,
}

#[derive(Clone)]
pub(super) struct WebSession {
    pub(super) id: Id,
    pub(super) user_id: String,
    pub(super) customer_id: Option<String>,
    pub(super) tz: &'static str,
    pub(super) locale: &'static str,
    /// `request.context`, the same on every turn.
    pub(super) req_ctx: String,
    /// `context.integrations`.
    pub(super) integrations: String,
    pub(super) draft: bool,
    pub(super) start: Ms,
    pub(super) turn: u32,
    pub(super) n_turns: u32,
    pub(super) welcome: bool,
    pub(super) returning: bool,
    pub(super) vars: Vec<(&'static str, VarValue)>,
    pub(super) offer: Option<Offer>,
    pub(super) order: u32,
    pub(super) product: &'static str,
    pub(super) city: &'static str,
    pub(super) customer: u32,
    pub(super) state_len: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum WebKind {
    Welcome,
    Topic(usize),
    Click(usize),
    Search(usize),
    Disambig(usize),
    NoMatch,
    Agent,
}

impl Ctx {
    pub(super) fn new_web(&mut self, t: Ms) -> WebSession {
        let rng = &mut self.rng;
        let reuse = !self.web_users.is_empty() && rng.chance(REUSE_USER_PROBABILITY);
        let (user_id, customer_id) = if reuse {
            self.web_users[rng.below(self.web_users.len())].clone()
        } else {
            let mut user = String::with_capacity(56);
            if rng.chance(0.85) {
                user.push_str("anonymous_IBMuid-");
                user.push_str(rng.id().as_str());
            } else {
                user.push_str("u-");
                rng.push_digits(&mut user, 8);
            }
            let customer = rng.chance(0.3).then(|| {
                let mut c = String::from("cust-");
                push_u64(&mut c, rng.range(1000, 99_999) as u64);
                c
            });
            remember(&mut self.web_users, rng, (user.clone(), customer.clone()));
            (user, customer)
        };
        let (tz, locale, language) = rng.pick(ZONES);
        let (browser, version, os, agent, screen) = BROWSERS[rng.weighted(&BROWSER_WEIGHTS)];
        let mut ip = String::from(rng.pick(IP_PREFIXES));
        push_u64(&mut ip, rng.range(2, 254) as u64);

        let mut j = JsonOut::with_capacity(640);
        j.obj();
        j.kobj("chat");
        j.kobj("browser_info");
        j.ks("browser_name", browser);
        j.ks("browser_version", version);
        j.ks("browser_OS", os);
        j.ks("language", language);
        j.ks("page_url", rng.pick(PAGES));
        j.ks("screen_resolution", screen);
        j.ks("user_agent", agent);
        j.ks("client_ip_address", &ip);
        j.karr("ip_address_list");
        j.str(&ip);
        j.end_arr();
        j.end_obj();
        j.end_obj();
        j.kobj("channel");
        j.ks("name", "Web chat");
        j.end_obj();
        j.end_obj();
        let integrations = j.s;

        let mut j = JsonOut::with_capacity(integrations.len() + 160);
        j.obj();
        j.kobj("global");
        j.kobj("system");
        j.ks("timezone", tz);
        j.ks("user_id", &user_id);
        j.end_obj();
        j.end_obj();
        j.kraw("integrations", &integrations);
        j.end_obj();
        let req_ctx = j.s;

        WebSession {
            id: rng.id(),
            user_id,
            customer_id,
            tz,
            locale,
            req_ctx,
            integrations,
            draft: rng.chance(0.05),
            start: t,
            turn: 0,
            n_turns: 1 + rng.weighted(&WEB_TURNS) as u32,
            welcome: rng.chance(0.85),
            returning: reuse,
            vars: vec![("first_visit", VarValue::Bool(!reuse))],
            offer: None,
            order: rng.range(10_000, 99_999) as u32,
            product: rng.pick(PRODUCTS),
            city: rng.pick(CITIES),
            customer: rng.range(100_000, 999_999) as u32,
            state_len: rng.range(40, 160) as usize,
        }
    }

    pub(super) fn web_event(&mut self, s: &mut WebSession, t: Ms, j: &mut JsonOut) -> Option<Ms> {
        let response = self.web_turn(s, t, j, Look::default());
        if s.turn >= s.n_turns {
            return None;
        }
        let rng = &mut self.rng;
        let mut think = 2500.0 + 16_000.0 * rng.exp();
        if s.offer.is_some() {
            think *= 0.5;
        }
        if rng.chance(0.06) {
            think += 60_000.0 + 540_000.0 * rng.f();
        }
        Some(response + self.gap(think))
    }

    /// Writes one web chat `message_logged` body for the session's next turn, requested at `t`;
    /// returns the response time.
    pub(super) fn web_turn(
        &mut self,
        s: &mut WebSession,
        t: Ms,
        j: &mut JsonOut,
        look: Look,
    ) -> Ms {
        s.turn += 1;
        let turn = self.plan_web_turn(s, t);
        let WebTurn { response, .. } = turn;
        let rng = &mut self.rng;
        let deployment = if s.draft {
            self.deploy.web_draft
        } else {
            self.deploy.web_live
        };

        j.obj();
        j.kobj("event");
        j.ks("name", "message_logged");
        j.end_obj();
        j.kobj("payload");
        j.ks("log_id", rng.id().as_str());
        write_web_request(j, s, &turn, look);
        j.kobj("response");
        let result_body = self.write_web_output(j, s, &turn);
        write_web_understanding(j, &turn);
        self.write_web_debug(j, &turn, look, result_body.as_deref());
        self.write_web_context(j, s, &turn, look, t, result_body.as_deref());
        j.ks("assistant_id", deployment.assistant.as_str());
        j.ks("session_id", s.id.as_str());
        j.ks("skill_id", deployment.skill.as_str());
        j.ks("snapshot", deployment.snapshot);
        j.kts("request_timestamp", t);
        j.kts("response_timestamp", response);
        j.ks("language", "en");
        if let Some(c) = &s.customer_id {
            j.ks("customer_id", c);
        }
        j.end_obj(); // payload
        j.end_obj();
        response
    }

    /// Decides the session's next turn, requested at `t`: what the user does and says, what
    /// happens behind it, and when the answer comes.
    fn plan_web_turn(&mut self, s: &mut WebSession, t: Ms) -> WebTurn {
        let last = s.turn >= s.n_turns;
        let rng = &mut self.rng;
        let offer = s.offer.take();
        let kind = choose_web_kind(rng, s, last, offer);

        // Slot values: the session's order, product and city most of the time.
        let mut sl = Slots::random(rng, t);
        if rng.chance(0.8) {
            sl.order = s.order;
        } else {
            s.order = sl.order;
        }
        if rng.chance(0.7) {
            sl.product = s.product;
        } else {
            s.product = sl.product;
        }
        if rng.chance(0.7) {
            sl.city = s.city;
        }
        sl.customer = s.customer;

        // The user's input.
        let mut text = String::with_capacity(96);
        let mut spans: Vec<Span> = Vec::new();
        let mut intents: Vec<(&'static str, f64)> = Vec::new();
        match kind {
            WebKind::Welcome => {}
            WebKind::Topic(ti) => {
                utterance(rng, &mut text, TOPICS[ti].utterances, &sl, &mut spans);
                intents.push((TOPICS[ti].intent, 0.55 + 0.44 * rng.f()));
                if rng.chance(0.25) {
                    let other = rng.below(TOPICS.len());
                    if other != ti {
                        intents.push((TOPICS[other].intent, 0.1 + 0.4 * rng.f()));
                    }
                }
            }
            WebKind::Click(ti) => {
                text.push_str(TOPICS[ti].title);
                intents.push((TOPICS[ti].intent, 1.0));
            }
            WebKind::Search(ai) => {
                utterance(rng, &mut text, ARTICLES[ai].questions, &sl, &mut spans);
            }
            WebKind::Disambig(di) => {
                let (word, a, b) = AMBIGUOUS[di];
                text.push_str(word);
                let ca = 0.45 + 0.2 * rng.f();
                intents.push((TOPICS[a].intent, ca));
                intents.push((TOPICS[b].intent, ca - 0.01 - 0.08 * rng.f()));
            }
            WebKind::NoMatch => text.push_str(rng.pick(OFF_TOPIC)),
            WebKind::Agent => {
                text.push_str(rng.pick(AGENT_WEB));
                intents.push(("fallback_connect_to_agent", 0.9 + 0.09 * rng.f()));
            }
        }
        let topic = match kind {
            WebKind::Topic(ti) | WebKind::Click(ti) => Some(&TOPICS[ti]),
            _ => None,
        };
        let callout = match topic {
            Some(tp) if tp.callout.is_some() => rng.chance(0.7),
            _ => false,
        };
        let callout_ok = rng.chance(0.95);
        let idk = rng.chance(0.08);
        let scores = (0.5 + 0.45 * rng.f(), 0.5 + 0.45 * rng.f());

        let mut latency = rng.latency(80.0, 220.0, 2000.0);
        if callout {
            latency += rng.range(80, 600);
        }
        if matches!(kind, WebKind::Search(_)) {
            latency += rng.range(1200, 3800);
        }
        let response = t + latency;
        let action_start = t + rng.range(20, 80);
        WebTurn {
            kind,
            sl,
            text,
            spans,
            intents,
            topic,
            callout,
            callout_ok,
            idk,
            scores,
            response,
            action_start,
        }
    }
}

/// One web chat turn, decided before it is written.
pub(super) struct WebTurn {
    pub(super) kind: WebKind,
    /// The values the turn's templates are filled with.
    pub(super) sl: Slots,
    /// What the user typed or clicked.
    pub(super) text: String,
    /// Where the entities are in `text`.
    pub(super) spans: Vec<Span>,
    pub(super) intents: Vec<(&'static str, f64)>,
    /// The action the turn runs, for topic turns and clicks.
    pub(super) topic: Option<&'static Topic>,
    /// The action calls its extension, and the call succeeds.
    pub(super) callout: bool,
    pub(super) callout_ok: bool,
    /// Conversational search finds no answer.
    pub(super) idk: bool,
    /// Conversational search's (pre_gen, post_gen) confidence.
    pub(super) scores: (f64, f64),
    pub(super) response: Ms,
    pub(super) action_start: Ms,
}

/// What the user does this turn: a welcome, a typed question, a click on what was offered…
fn choose_web_kind(rng: &mut Dice, s: &WebSession, last: bool, offer: Option<Offer>) -> WebKind {
    if s.turn == 1 && s.welcome {
        WebKind::Welcome
    } else if last && rng.chance(0.10) {
        WebKind::Agent
    } else {
        match offer {
            Some(o) if rng.chance(0.6) => WebKind::Click(o.topics[rng.below(o.n.into())].into()),
            _ => match rng.weighted(&[68, 14, 6, 5, 3]) {
                0 => WebKind::Topic(rng.weighted(&TOPIC_WEIGHTS)),
                1 => WebKind::Search(rng.below(ARTICLES.len())),
                2 => WebKind::Disambig(rng.below(AMBIGUOUS.len())),
                3 => WebKind::NoMatch,
                _ => WebKind::Agent,
            },
        }
    }
}

/// A typed user utterance: optional greeting, the filled template, optional ending.
pub(super) fn utterance(
    rng: &mut Dice,
    text: &mut String,
    tpls: &[&str],
    sl: &Slots,
    spans: &mut Vec<Span>,
) {
    let tpl = rng.pick(tpls);
    let prefix = rng.pick(PREFIXES);
    text.push_str(prefix);
    let body_start = text.len();
    fill(text, tpl, sl, Some(spans));
    let suffix = rng.pick(SUFFIXES);
    if !(suffix == "?" && text.ends_with('?')) {
        text.push_str(suffix);
    }
    // Casual typing: lower-case the first letter now and then.
    if rng.chance(0.3)
        && text.is_char_boundary(body_start + 1)
        && let Some(c) = text[body_start..].chars().next()
        && c.is_ascii_uppercase()
    {
        text.replace_range(
            body_start..body_start + 1,
            &c.to_ascii_lowercase().to_string(),
        );
    }
}
