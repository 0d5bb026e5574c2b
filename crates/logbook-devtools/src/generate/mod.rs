//! Realistic synthetic Watson Assistant log webhook traffic, for benchmarks and demos.
//!
//! [`Generator`] yields an endless stream of request bodies, `{"event":{"name":…},"payload":{…}}`, in the
//! shapes of `shared/samples/*.json`: about 60% web chat turns (actions skill, `turn_events` debug), 30%
//! phone turns (dialog skill, `nodes_visited`, `voice_telephony` context) and 10% `cdr_logged` call
//! records that link back to their phone turns by `log_id` and SIP Call-ID. Conversations overlap in
//! time the way a real deployment's do; every body's main timestamp (a message's `request_timestamp`,
//! a call record's `call.stop_timestamp`) is no earlier than the previous body's.
//!
//! Everything comes from one seeded PRNG, so a seed always gives the same bytes. Bodies are written
//! straight into a byte buffer (no `serde_json::Value` tree), which makes a million events take a few
//! seconds in release mode.
//!
//! [`message_body`] makes one stand-alone `message_logged` body of a chosen size for load tests.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use chrono::{DateTime, Duration, Utc};

use json::JsonOut;
use phone::PhoneSession;
use random::{Dice, Id, weighted_mean};
use web::WebSession;

mod articles;
mod call_record;
mod json;
mod padding;
mod phone;
mod phone_body;
mod phone_dialog;
mod phone_script;
mod random;
mod slots;
#[cfg(test)]
mod tests;
mod text;
mod topics;
mod vars;
mod vocabulary;
mod web;
mod web_body;
mod web_debug;
mod web_output;

/// Milliseconds since the Unix epoch.
type Ms = i64;

/// How many events [`Generator::new`] assumes it will be asked for when spreading them over `span`.
pub const DEFAULT_EVENTS_PER_SPAN: u64 = 10_000;

/// Relative weights of web chat sessions of 1..=8 turns.
const WEB_TURNS: [u32; 8] = [15, 20, 20, 15, 12, 8, 6, 4];
/// Relative weights of phone sessions of 1..=7 message turns.
const PHONE_TURNS: [u32; 7] = [10, 25, 30, 18, 10, 5, 2];
/// Share of phone calls whose `cdr_logged` event is sent (the rest model "Subscribe to CDR" gaps).
const CDR_PROBABILITY: f64 = 0.97;
/// Share of new sessions that reuse an earlier session's user id.
const REUSE_USER_PROBABILITY: f64 = 0.03;
/// Rough mean wall-clock length of a session at full time scale, used to bound concurrency.
const MEAN_SESSION_MS: f64 = 75_000.0;
/// Upper bound on open sessions: when `span` is short, gaps inside sessions are compressed.
const MAX_CONCURRENT_SESSIONS: f64 = 2_000.0;
/// 2026-03-01T00:00:00Z, the default start.
const DEFAULT_START_SECS: i64 = 1_772_323_200;

/// How a [`Generator`] lays out its stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GenerateOptions {
    /// Seed for every random choice: the same seed gives the same bytes.
    pub seed: u64,
    /// Time of the first event.
    pub start: DateTime<Utc>,
    /// Spread events over this much time (see [`Generator::with_event_count`]).
    pub span: Duration,
}

impl Default for GenerateOptions {
    /// Seed 0, starting 2026-03-01T00:00:00Z, over one day.
    fn default() -> Self {
        Self {
            seed: 0,
            start: DateTime::from_timestamp(DEFAULT_START_SECS, 0).unwrap_or_default(),
            span: Duration::days(1),
        }
    }
}

impl GenerateOptions {
    /// Options for `events` events of about `span` whose latest time is about `end`: "the last
    /// `span` of traffic, ending now". Poisson arrivals and random conversation lengths make the
    /// first `events` events end hours before or after `start + span`, so the stream is made once to
    /// see where it ends, and `start` is moved by as much. The schedule depends on the start only
    /// through the dates spoken in calls ("it shipped on December 2"): a call's playback lasts as
    /// long as its text, so another month's name can move its turns, and what interleaves with
    /// them. The same seed and end give the same stream; another end, one a little different (a
    /// few percent more or fewer phone turns in 8,000 events, say).
    pub fn ending_at(seed: u64, span: Duration, events: u64, end: DateTime<Utc>) -> Self {
        let trial = GenerateOptions {
            seed,
            start: end - span,
            span,
        };
        let mut generator = Generator::with_event_count(trial, events);
        for _ in 0..events {
            generator.next_body();
        }
        match generator.latest() {
            Some(latest) => GenerateOptions {
                start: trial.start - Duration::milliseconds(latest - end.timestamp_millis()),
                ..trial
            },
            None => trial,
        }
    }
}

/// An endless, deterministic stream of synthetic log webhook bodies.
///
/// Events come in the order a real deployment sends them: a conversation's turns in order, interleaved
/// with other conversations, and a call's `cdr_logged` after all of that call's `message_logged` turns.
pub struct Generator {
    ctx: Ctx,
    heap: BinaryHeap<Reverse<(Ms, u64, u32)>>,
    slots: Vec<Option<Session>>,
    free: Vec<u32>,
    seq: u64,
    /// The first conversation's start (Unix ms).
    start: Ms,
    /// When the next conversation starts, in ms after `start`: kept relative so that the schedule
    /// is the same whatever the start, only moved ([`GenerateOptions::ending_at`] relies on it).
    arrival: f64,
    interarrival: f64,
    p_phone: f64,
    /// The latest time written into a body so far.
    latest: Option<Ms>,
}

impl Generator {
    /// A generator that spreads about [`DEFAULT_EVENTS_PER_SPAN`] events over `opts.span`; the stream
    /// goes on past the span at the same rate. Use [`Generator::with_event_count`] when the number of
    /// events is known.
    pub fn new(opts: GenerateOptions) -> Self {
        Self::with_event_count(opts, DEFAULT_EVENTS_PER_SPAN)
    }

    /// A generator whose first `events` events cover about `opts.span` (the stream itself is endless).
    ///
    /// Conversations start at random (Poisson) times; the gaps inside a conversation are realistic
    /// (seconds to minutes) unless the span is so short that too many conversations would overlap, in
    /// which case they are compressed. Conversations start at least 1 ms apart, so a zero span still
    /// gives increasing timestamps.
    pub fn with_event_count(opts: GenerateOptions, events: u64) -> Self {
        let mut ctx = Ctx::new(opts.seed, opts.seed);
        let web_mean = weighted_mean(&WEB_TURNS);
        let phone_mean = weighted_mean(&PHONE_TURNS);
        // Twice as many web turns as phone turns.
        let p_phone = web_mean / (web_mean + 2.0 * phone_mean);
        let per_session = (1.0 - p_phone) * web_mean + p_phone * (phone_mean + CDR_PROBABILITY);
        let span_ms = opts.span.num_milliseconds().max(0) as f64;
        let sessions = (events.max(1) as f64 / per_session).max(1.0);
        let interarrival = (span_ms / sessions).max(1.0);
        ctx.scale = (MAX_CONCURRENT_SESSIONS * interarrival / MEAN_SESSION_MS).min(1.0);
        Generator {
            ctx,
            heap: BinaryHeap::new(),
            slots: Vec::new(),
            free: Vec::new(),
            seq: 0,
            start: opts.start.timestamp_millis(),
            arrival: 0.0,
            interarrival,
            p_phone,
            latest: None,
        }
    }

    /// The next request body (compact JSON bytes).
    pub fn next_body(&mut self) -> Vec<u8> {
        // Start every conversation that begins before the earliest pending event.
        loop {
            let at = self.start + self.arrival as Ms;
            let admit = match self.heap.peek() {
                None => true,
                Some(Reverse((t, _, _))) => at < *t,
            };
            if !admit {
                break;
            }
            let session = self.ctx.new_session(at, self.p_phone);
            self.schedule(at, session);
            self.arrival += (self.interarrival * self.ctx.rng.exp()).max(1.0);
        }
        let Reverse((t, _, slot)) = self.heap.pop().expect("a session was just admitted");
        let mut session = self.slots[slot as usize]
            .take()
            .expect("scheduled slots are live");
        let mut j = JsonOut::with_capacity(4096);
        let next = match &mut session {
            Session::Web(s) => self.ctx.web_event(s, t, &mut j),
            Session::Phone(s) => self.ctx.phone_event(s, t, &mut j),
        };
        match next {
            Some(at) => {
                self.slots[slot as usize] = Some(session);
                self.seq += 1;
                self.heap.push(Reverse((at.max(t), self.seq, slot)));
            }
            None => self.free.push(slot),
        }
        self.latest = self.latest.max(j.latest);
        j.s.into_bytes()
    }

    /// The latest time (Unix ms) written into the bodies made so far: a message's response, a call
    /// record's end. `None` before the first body.
    pub fn latest(&self) -> Option<Ms> {
        self.latest
    }

    fn schedule(&mut self, at: Ms, session: Session) {
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = Some(session);
                slot
            }
            None => {
                self.slots.push(Some(session));
                (self.slots.len() - 1) as u32
            }
        };
        self.seq += 1;
        self.heap.push(Reverse((at, self.seq, slot)));
    }
}

impl Iterator for Generator {
    type Item = Vec<u8>;

    fn next(&mut self) -> Option<Vec<u8>> {
        Some(self.next_body())
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (usize::MAX, None)
    }
}

/// One web chat `message_logged` body of about `target_bytes` (usually exact; within ±10% for targets
/// of 1.5 KB and more), with a log_id and session_id that are fresh for each seed. The same seed gives
/// the same bytes. A random turn is rendered in full, or without browser info, debug events and state
/// when that is too big; the remaining bytes go into `skill_variables` (an order history and notes),
/// the way big real contexts carry them. Targets below the smallest body (about 1.3 KB) get that body.
pub fn message_body(rng_seed: u64, target_bytes: usize) -> Vec<u8> {
    let mut seeds = Dice::new(rng_seed);
    let mut smallest: Option<String> = None;
    // Some turns (a generative answer, say) are big even when trimmed: re-roll a few times.
    for _ in 0..8 {
        // Deployment ids are shared by all load-test bodies; everything else depends on the seed.
        let mut ctx = Ctx::new(seeds.u64(), 0x5eed_1055_0b0d_7e57);
        let t = DEFAULT_START_SECS * 1000 + ctx.rng.range(0, 30 * 86_400_000);
        let mut session = ctx.new_web(t);
        session.welcome = false;
        session.turn = ctx.rng.below(4) as u32;
        session.n_turns = session.turn + 1;
        let pad_seed = seeds.u64();
        let render = |minimal: bool, pad: usize| {
            let mut c = ctx.clone();
            let mut s = session.clone();
            let mut j = JsonOut::with_capacity(target_bytes + 512);
            let look = Look {
                minimal,
                pad,
                pad_seed,
            };
            c.web_turn(&mut s, t, &mut j, look);
            j.s
        };
        for minimal in [false, true] {
            let body = render(minimal, 0);
            if body.len() <= target_bytes {
                return render(minimal, target_bytes - body.len()).into_bytes();
            }
            if smallest.as_ref().is_none_or(|s| body.len() < s.len()) {
                smallest = Some(body);
            }
        }
    }
    smallest.unwrap_or_default().into_bytes()
}

#[derive(Clone, Copy)]
struct Deployment {
    assistant: Id,
    skill: Id,
    snapshot: &'static str,
}

#[derive(Clone, Copy)]
struct Deployments {
    web_live: Deployment,
    web_draft: Deployment,
    phone: Deployment,
}

impl Deployments {
    fn new(rng: &mut Dice) -> Self {
        let web_skill = rng.id();
        Deployments {
            web_live: Deployment {
                assistant: rng.id(),
                skill: web_skill,
                snapshot: "7",
            },
            web_draft: Deployment {
                assistant: rng.id(),
                skill: web_skill,
                snapshot: "draft",
            },
            phone: Deployment {
                assistant: rng.id(),
                skill: rng.id(),
                snapshot: "3",
            },
        }
    }
}

enum Session {
    Web(Box<WebSession>),
    Phone(Box<PhoneSession>),
}

/// Rendering options for [`message_body`].
#[derive(Clone, Copy, Default)]
struct Look {
    /// Leave out browser info, debug events and state to make the body small.
    minimal: bool,
    /// Extra bytes to add to `skill_variables`.
    pad: usize,
    pad_seed: u64,
}

/// Everything a turn is rendered from except the scheduler.
#[derive(Clone)]
struct Ctx {
    rng: Dice,
    deploy: Deployments,
    /// Multiplies gaps inside sessions (1.0 = realistic).
    scale: f64,
    web_users: Vec<(String, Option<String>)>,
    callers: Vec<String>,
    active_calls: u64,
}

const USER_RING: usize = 256;

fn remember<T>(ring: &mut Vec<T>, rng: &mut Dice, item: T) {
    if ring.len() < USER_RING {
        ring.push(item);
    } else {
        let i = rng.below(USER_RING);
        ring[i] = item;
    }
}

impl Ctx {
    fn new(seed: u64, deploy_seed: u64) -> Self {
        let mut deploy_rng = Dice::new(deploy_seed ^ 0xd1b5_4a32_d192_ed03);
        Ctx {
            rng: Dice::new(seed),
            deploy: Deployments::new(&mut deploy_rng),
            scale: 1.0,
            web_users: Vec::new(),
            callers: Vec::new(),
            active_calls: 0,
        }
    }

    fn gap(&self, ms: f64) -> Ms {
        (ms * self.scale).round() as Ms
    }

    fn new_session(&mut self, t: Ms, p_phone: f64) -> Session {
        if self.rng.chance(p_phone) {
            Session::Phone(Box::new(self.new_phone(t)))
        } else {
            Session::Web(Box::new(self.new_web(t)))
        }
    }
}
