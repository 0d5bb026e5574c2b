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
use rand::rngs::Xoshiro256PlusPlus;
use rand::{Rng, SeedableRng};

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

// ------------------------------------------------------------------------------------------------
// Public API
// ------------------------------------------------------------------------------------------------

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
    arrival: f64,
    interarrival: f64,
    p_phone: f64,
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
            arrival: opts.start.timestamp_millis() as f64,
            interarrival,
            p_phone,
        }
    }

    /// The next request body (compact JSON bytes).
    pub fn next_body(&mut self) -> Vec<u8> {
        // Start every conversation that begins before the earliest pending event.
        loop {
            let admit = match self.heap.peek() {
                None => true,
                Some(Reverse((t, _, _))) => (self.arrival as Ms) < *t,
            };
            if !admit {
                break;
            }
            let at = self.arrival as Ms;
            let session = self.ctx.new_session(at, self.p_phone);
            self.schedule(at, session);
            self.arrival += (self.interarrival * self.ctx.rng.exp()).max(1.0);
        }
        let Reverse((t, _, slot)) = self.heap.pop().expect("a session was just admitted");
        let mut session = self.slots[slot as usize]
            .take()
            .expect("scheduled slots are live");
        let mut j = J::with_capacity(4096);
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
        j.s.into_bytes()
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
    let mut seeds = R::new(rng_seed);
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
            let mut j = J::with_capacity(target_bytes + 512);
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

// ------------------------------------------------------------------------------------------------
// Randomness, ids, timestamps
// ------------------------------------------------------------------------------------------------

#[derive(Clone)]
struct R(Xoshiro256PlusPlus);

impl R {
    fn new(seed: u64) -> Self {
        R(Xoshiro256PlusPlus::seed_from_u64(seed))
    }

    fn u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in [0, 1).
    fn f(&mut self) -> f64 {
        (self.u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in 0..n (n > 0).
    fn below(&mut self, n: usize) -> usize {
        ((self.u64() as u128 * n as u128) >> 64) as usize
    }

    /// Uniform in lo..=hi.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as usize) as i64
    }

    fn chance(&mut self, p: f64) -> bool {
        self.f() < p
    }

    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())]
    }

    fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u32 = weights.iter().sum();
        let mut x = self.below(total as usize) as u32;
        for (i, &w) in weights.iter().enumerate() {
            if x < w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }

    /// Exponential with mean 1.
    fn exp(&mut self) -> f64 {
        -(1.0 - self.f()).ln()
    }

    /// A latency in ms: `lo` plus an exponential part with mean `extra`, with a 4% long tail, in lo..=hi.
    fn latency(&mut self, lo: f64, extra: f64, hi: f64) -> Ms {
        let mut x = lo + extra * self.exp();
        if self.chance(0.04) {
            x *= 1.5 + 3.5 * self.f();
        }
        x.clamp(lo, hi).round() as Ms
    }

    /// A random (version 4) UUID from this generator.
    fn id(&mut self) -> Id {
        let bytes = ((self.u64() as u128) << 64 | self.u64() as u128).to_be_bytes();
        let uuid = uuid::Builder::from_random_bytes(bytes).into_uuid();
        let mut out = [0u8; 36];
        uuid.hyphenated().encode_lower(&mut out);
        Id(out)
    }

    fn push_hex(&mut self, out: &mut String, n: usize) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut bits = 0u64;
        for i in 0..n {
            if i % 16 == 0 {
                bits = self.u64();
            }
            out.push(HEX[(bits & 15) as usize] as char);
            bits >>= 4;
        }
    }

    fn push_b64(&mut self, out: &mut String, n: usize) {
        const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut bits = 0u64;
        for i in 0..n {
            if i % 10 == 0 {
                bits = self.u64();
            }
            out.push(B64[(bits & 63) as usize] as char);
            bits >>= 6;
        }
    }

    fn push_digits(&mut self, out: &mut String, n: usize) {
        for _ in 0..n {
            out.push((b'0' + self.below(10) as u8) as char);
        }
    }
}

fn weighted_mean(weights: &[u32]) -> f64 {
    let total: u32 = weights.iter().sum();
    let sum: u32 = weights
        .iter()
        .enumerate()
        .map(|(i, w)| (i as u32 + 1) * w)
        .sum();
    sum as f64 / total as f64
}

/// A hyphenated lower-case UUID, stored inline.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Id([u8; 36]);

impl Id {
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("")
    }
}

/// (year, month 1..=12, day 1..=31) of a day count since 1970-01-01 (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn put_digits(buf: &mut [u8], mut v: u64) {
    for b in buf.iter_mut().rev() {
        *b = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

/// Writes `2026-03-10T15:30:12.930Z`.
fn push_ts(out: &mut String, ms: Ms) {
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000) as u64;
    let (y, m, d) = civil_from_days(days);
    if !(0..=9999).contains(&y) {
        let dt = DateTime::from_timestamp_millis(ms).unwrap_or_default();
        out.push_str(&dt.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string());
        return;
    }
    let mut b = *b"0000-00-00T00:00:00.000Z";
    put_digits(&mut b[0..4], y as u64);
    put_digits(&mut b[5..7], m.into());
    put_digits(&mut b[8..10], d.into());
    put_digits(&mut b[11..13], rem / 3_600_000);
    put_digits(&mut b[14..16], rem / 60_000 % 60);
    put_digits(&mut b[17..19], rem / 1000 % 60);
    put_digits(&mut b[20..23], rem % 1000);
    out.push_str(std::str::from_utf8(&b).unwrap_or(""));
}

/// Writes `2026-03-12`.
fn push_date_iso(out: &mut String, ms: Ms) {
    let (y, m, d) = civil_from_days(ms.div_euclid(86_400_000));
    let mut b = *b"0000-00-00";
    put_digits(&mut b[0..4], y.clamp(0, 9999) as u64);
    put_digits(&mut b[5..7], m.into());
    put_digits(&mut b[8..10], d.into());
    out.push_str(std::str::from_utf8(&b).unwrap_or(""));
}

/// Writes `March 12`.
fn push_date_words(out: &mut String, ms: Ms) {
    let (_, m, d) = civil_from_days(ms.div_euclid(86_400_000));
    out.push_str(MONTHS[(m - 1) as usize]);
    out.push(' ');
    push_u64(out, d.into());
}

fn push_u64(out: &mut String, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(&buf[i..]).unwrap_or("0"));
}

/// Writes `v` rounded to `places` decimals, without trailing zeros (`42.5`, `1`, `0.9412`).
fn push_dec(out: &mut String, v: f64, places: u32) {
    let scale = 10u64.pow(places);
    let scaled = (v.abs() * scale as f64).round() as u64;
    if v < 0.0 && scaled != 0 {
        out.push('-');
    }
    push_u64(out, scaled / scale);
    let mut frac = scaled % scale;
    if frac != 0 {
        let mut width = places as usize;
        while frac.is_multiple_of(10) {
            frac /= 10;
            width -= 1;
        }
        out.push('.');
        let mut buf = [b'0'; 20];
        put_digits(&mut buf[..width], frac);
        out.push_str(std::str::from_utf8(&buf[..width]).unwrap_or(""));
    }
}

/// Writes `42.50` style money amounts from cents.
fn push_money(out: &mut String, cents: u32) {
    out.push('$');
    push_u64(out, (cents / 100).into());
    out.push('.');
    let c = cents % 100;
    out.push((b'0' + (c / 10) as u8) as char);
    out.push((b'0' + (c % 10) as u8) as char);
}

const ONES: [&str; 20] = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
];
const TENS: [&str; 10] = [
    "", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
];

/// English words for 0..=9999 ("forty two", "one hundred five").
fn push_words(out: &mut String, n: u32) {
    if n >= 1000 {
        push_words(out, n / 1000);
        out.push_str(" thousand");
        if !n.is_multiple_of(1000) {
            out.push(' ');
            push_words(out, n % 1000);
        }
    } else if n >= 100 {
        out.push_str(ONES[(n / 100) as usize]);
        out.push_str(" hundred");
        if !n.is_multiple_of(100) {
            out.push(' ');
            push_words(out, n % 100);
        }
    } else if n >= 20 {
        out.push_str(TENS[(n / 10) as usize]);
        if !n.is_multiple_of(10) {
            out.push(' ');
            out.push_str(ONES[(n % 10) as usize]);
        }
    } else {
        out.push_str(ONES[n as usize]);
    }
}

/// Digit by digit: "four eight two one five".
fn push_digit_words(out: &mut String, n: u32, width: usize) {
    let mut buf = [0u8; 10];
    put_digits(&mut buf[..width], n.into());
    for (i, b) in buf[..width].iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(ONES[(b - b'0') as usize]);
    }
}

// ------------------------------------------------------------------------------------------------
// A minimal streaming JSON writer
// ------------------------------------------------------------------------------------------------

/// Appends compact JSON to a `String`, inserting commas itself. Keys are trusted literals; string
/// values are escaped.
struct J {
    s: String,
    /// True right after `{`, `[` or a key: the next item needs no comma.
    first: bool,
}

impl J {
    fn with_capacity(n: usize) -> Self {
        J {
            s: String::with_capacity(n),
            first: true,
        }
    }

    fn sep(&mut self) {
        if !self.first {
            self.s.push(',');
        }
        self.first = false;
    }

    fn obj(&mut self) {
        self.sep();
        self.s.push('{');
        self.first = true;
    }

    fn end_obj(&mut self) {
        self.s.push('}');
        self.first = false;
    }

    fn arr(&mut self) {
        self.sep();
        self.s.push('[');
        self.first = true;
    }

    fn end_arr(&mut self) {
        self.s.push(']');
        self.first = false;
    }

    fn key(&mut self, k: &str) {
        self.sep();
        self.s.push('"');
        self.s.push_str(k);
        self.s.push_str("\":");
        self.first = true;
    }

    fn str(&mut self, v: &str) {
        self.sep();
        push_escaped(&mut self.s, v);
    }

    fn u(&mut self, v: u64) {
        self.sep();
        push_u64(&mut self.s, v);
    }

    fn dec(&mut self, v: f64, places: u32) {
        self.sep();
        push_dec(&mut self.s, v, places);
    }

    fn b(&mut self, v: bool) {
        self.sep();
        self.s.push_str(if v { "true" } else { "false" });
    }

    fn ts(&mut self, ms: Ms) {
        self.sep();
        self.s.push('"');
        push_ts(&mut self.s, ms);
        self.s.push('"');
    }

    /// A complete, already rendered JSON value.
    fn raw(&mut self, v: &str) {
        self.sep();
        self.s.push_str(v);
    }

    /// Already rendered object members (`"a":1,"b":2`), spliced into the open object.
    fn members(&mut self, m: &str) {
        if !m.is_empty() {
            self.sep();
            self.s.push_str(m);
        }
    }

    fn ks(&mut self, k: &str, v: &str) {
        self.key(k);
        self.str(v);
    }

    fn ku(&mut self, k: &str, v: u64) {
        self.key(k);
        self.u(v);
    }

    fn kd(&mut self, k: &str, v: f64, places: u32) {
        self.key(k);
        self.dec(v, places);
    }

    fn kb(&mut self, k: &str, v: bool) {
        self.key(k);
        self.b(v);
    }

    fn kts(&mut self, k: &str, ms: Ms) {
        self.key(k);
        self.ts(ms);
    }

    fn kraw(&mut self, k: &str, v: &str) {
        self.key(k);
        self.raw(v);
    }

    fn kobj(&mut self, k: &str) {
        self.key(k);
        self.obj();
    }

    fn karr(&mut self, k: &str) {
        self.key(k);
        self.arr();
    }

    /// `"k":{}`.
    fn kempty(&mut self, k: &str) {
        self.key(k);
        self.raw("{}");
    }

    /// `{"response_type":"text","text":…}`.
    fn text_item(&mut self, text: &str) {
        self.obj();
        self.ks("response_type", "text");
        self.ks("text", text);
        self.end_obj();
    }
}

fn push_escaped(out: &mut String, v: &str) {
    out.push('"');
    let mut start = 0;
    for (i, &b) in v.as_bytes().iter().enumerate() {
        let esc: &str = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => {
                out.push_str(&v[start..i]);
                out.push_str("\\u00");
                out.push(char::from(b"0123456789abcdef"[(b >> 4) as usize]));
                out.push(char::from(b"0123456789abcdef"[(b & 15) as usize]));
                start = i + 1;
                continue;
            }
            _ => continue,
        };
        out.push_str(&v[start..i]);
        out.push_str(esc);
        start = i + 1;
    }
    out.push_str(&v[start..]);
    out.push('"');
}

// ------------------------------------------------------------------------------------------------
// Vocabulary
// ------------------------------------------------------------------------------------------------

const COMPANY: &str = "Example Co.";

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

const NAMES: &[&str] = &[
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Mateo", "Sophia", "Lucas", "Mia", "Ethan", "Amelia",
    "James", "Harper", "Benjamin", "Chloé", "José", "Zoë", "Aiden", "Priya", "Wei", "Fatima",
    "Hiroshi", "Björn", "Ingrid", "Kwame", "Aisha", "Diego", "Lena", "Omar", "Sakura", "Niamh",
    "Rafael", "Elena", "Tomás", "Yusuf", "Grace", "Henry", "Isabella", "Jack", "Layla",
];

const CITIES: &[&str] = &[
    "Springfield",
    "Riverside",
    "Portland",
    "Austin",
    "Denver",
    "Boston",
    "Seattle",
    "Chicago",
    "Atlanta",
    "Phoenix",
    "Nashville",
    "Madison",
    "Raleigh",
    "Tucson",
    "Omaha",
    "Boise",
    "Tampa",
    "Dayton",
    "Fresno",
    "Reno",
    "Toronto",
    "Montréal",
    "Vancouver",
    "Calgary",
    "São Paulo",
    "Zürich",
    "Dublin",
    "Manchester",
    "Leeds",
    "Glasgow",
];

const PRODUCTS: &[&str] = &[
    "wireless headphones",
    "running shoes",
    "coffee maker",
    "standing desk",
    "4K monitor",
    "yoga mat",
    "air fryer",
    "backpack",
    "smart watch",
    "electric toothbrush",
    "winter jacket",
    "office chair",
    "bluetooth speaker",
    "blender",
    "phone case",
    "laptop stand",
    "desk lamp",
    "water bottle",
    "gaming mouse",
    "mechanical keyboard",
    "robot vacuum",
    "hiking boots",
    "rain jacket",
    "kettle",
    "toaster",
    "espresso machine",
    "dining table",
    "bookshelf",
    "mattress",
    "memory foam pillow",
    "bath towel set",
    "sunglasses",
    "leather wallet",
    "tablet",
    "e-reader",
    "hair dryer",
    "fitness tracker",
    "camping tent",
    "sleeping bag",
    "car seat",
];

const COLORS: &[&str] = &[
    "black", "white", "navy", "red", "green", "gray", "silver", "blue", "beige", "pink",
];
const CARRIERS: &[&str] = &["UPS", "FedEx", "USPS", "DHL", "OnTrac"];
const TIMES: &[&str] = &[
    "8am", "9am", "10am", "11am", "noon", "1pm", "2pm", "3pm", "4pm", "5pm",
];
const WEEKDAYS: &[&str] = &[
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const TIERS: &[&str] = &["bronze", "silver", "gold", "platinum"];
const STREETS: &[&str] = &[
    "main street",
    "oak avenue",
    "maple drive",
    "elm road",
    "park lane",
    "lake shore drive",
    "cedar court",
    "pine street",
    "river road",
    "hill street",
];

/// (timezone, locale, browser language)
const ZONES: &[(&str, &str, &str)] = &[
    ("America/New_York", "en-us", "en-US"),
    ("America/New_York", "en-us", "en-US"),
    ("America/Chicago", "en-us", "en-US"),
    ("America/Chicago", "en-us", "es-US"),
    ("America/Denver", "en-us", "en-US"),
    ("America/Los_Angeles", "en-us", "en-US"),
    ("America/Los_Angeles", "en-us", "en-US"),
    ("America/Phoenix", "en-us", "en-US"),
    ("America/Toronto", "en-ca", "en-CA"),
    ("America/Toronto", "en-ca", "fr-CA"),
    ("Europe/London", "en-gb", "en-GB"),
    ("Europe/Zurich", "en-gb", "de-CH"),
    ("America/Sao_Paulo", "en-us", "pt-BR"),
];

/// (browser_name, browser_version, browser_OS, user_agent, screen_resolution)
const BROWSERS: &[(&str, &str, &str, &str, &str)] = &[
    (
        "chrome",
        "134.0.0",
        "Windows 10",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 Safari/537.36",
        "width: 1920, height: 1080",
    ),
    (
        "chrome",
        "133.0.0",
        "Mac OS",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/133.0.0.0 Safari/537.36",
        "width: 1440, height: 900",
    ),
    (
        "firefox",
        "134.0.0",
        "Linux",
        "Mozilla/5.0 (X11; Linux x86_64; rv:134.0) Gecko/20100101 Firefox/134.0",
        "width: 1920, height: 1080",
    ),
    (
        "firefox",
        "135.0.0",
        "Windows 10",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:135.0) Gecko/20100101 Firefox/135.0",
        "width: 1366, height: 768",
    ),
    (
        "safari",
        "18.3.0",
        "Mac OS",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.3 Safari/605.1.15",
        "width: 1512, height: 982",
    ),
    (
        "ios",
        "18.3.0",
        "iOS",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.3 Mobile/15E148 Safari/604.1",
        "width: 390, height: 844",
    ),
    (
        "chrome",
        "134.0.0",
        "Android OS",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 Mobile Safari/537.36",
        "width: 412, height: 915",
    ),
    (
        "edge-chromium",
        "134.0.0",
        "Windows 10",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 Safari/537.36 Edg/134.0.0.0",
        "width: 2560, height: 1440",
    ),
    (
        "samsung",
        "27.0.0",
        "Android OS",
        "Mozilla/5.0 (Linux; Android 14; SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/27.0 Chrome/125.0.0.0 Mobile Safari/537.36",
        "width: 384, height: 832",
    ),
];
const BROWSER_WEIGHTS: [u32; 9] = [28, 8, 5, 5, 10, 20, 14, 7, 3];

const PAGES: &[&str] = &[
    "https://shop.example.com/help",
    "https://shop.example.com/",
    "https://shop.example.com/orders",
    "https://shop.example.com/account",
    "https://shop.example.com/returns",
    "https://shop.example.com/checkout",
    "https://shop.example.com/stores",
    "https://shop.example.com/deals/spring-sale",
];
const IP_PREFIXES: &[&str] = &["198.51.100.", "203.0.113.", "192.0.2."];

const ASSISTANT_NUMBERS: &[&str] = &["+18005550123", "+18445550177"];
const AREA_CODES: &[&str] = &[
    "212", "312", "415", "512", "617", "702", "720", "808", "206", "404", "503", "602", "615",
    "713", "818", "919", "305", "414", "651", "888",
];
const CAMPAIGNS: &[&str] = &[
    "spring-billing",
    "outage-notice",
    "winter-promo",
    "renewal-2026",
];
const TRANSFER_URIS: &[&str] = &[
    "sip:+18005550199@sbc.example.com",
    "sip:+18005550142@sbc.example.com",
    "sip:billing-queue@pbx.example.com",
];

// ------------------------------------------------------------------------------------------------
// Template slots
// ------------------------------------------------------------------------------------------------

/// The values `{name}` placeholders in templates expand to, chosen once per turn.
#[derive(Clone, Copy)]
struct Slots {
    order: u32,
    product: &'static str,
    city: &'static str,
    name: &'static str,
    carrier: &'static str,
    color: &'static str,
    shipped: Ms,
    eta: Ms,
    days: u32,
    amount: u32,
    points: u32,
    zip: u32,
    time: &'static str,
    time2: &'static str,
    weekday: &'static str,
    store: u32,
    sku: u32,
    conf: u32,
    customer: u32,
    tier: &'static str,
    stock: u32,
    house: u32,
    street: &'static str,
    card4: u32,
}

/// Where a slot landed in a user utterance, for `output.entities`.
struct Span {
    entity: &'static str,
    start: usize,
    end: usize,
    numeric: Option<u64>,
}

impl Slots {
    fn random(rng: &mut R, t: Ms) -> Slots {
        let t1 = rng.range(0, 7);
        let shipped = t - rng.range(1, 4) * 86_400_000;
        Slots {
            order: rng.range(10_000, 99_999) as u32,
            product: rng.pick(PRODUCTS),
            city: rng.pick(CITIES),
            name: rng.pick(NAMES),
            carrier: rng.pick(CARRIERS),
            color: rng.pick(COLORS),
            shipped,
            eta: t + rng.range(1, 6) * 86_400_000,
            days: rng.pick(&[14, 30, 30, 30, 60, 90]),
            amount: (rng.range(300, 40_000) as u32 / 5) * 5,
            points: rng.range(120, 24_000) as u32,
            zip: rng.range(1_000, 99_950) as u32,
            time: TIMES[t1 as usize],
            time2: TIMES[(t1 + 2) as usize],
            weekday: rng.pick(WEEKDAYS),
            store: rng.range(100, 999) as u32,
            sku: rng.range(100_000, 999_999) as u32,
            conf: rng.range(1_000_000, 9_999_999) as u32,
            customer: rng.range(100_000, 999_999) as u32,
            tier: rng.pick(TIERS),
            stock: rng.range(1, 40) as u32,
            house: rng.range(1, 2999) as u32,
            street: rng.pick(STREETS),
            card4: rng.range(1000, 9999) as u32,
        }
    }

    /// Writes one slot's value; returns the entity it produces in a user utterance, if any.
    fn write(&self, name: &str, out: &mut String) -> Option<(&'static str, Option<u64>)> {
        match name {
            "order" => {
                push_u64(out, self.order.into());
                return Some(("sys-number", Some(self.order.into())));
            }
            "product" => {
                out.push_str(self.product);
                return Some(("product", None));
            }
            "city" => {
                out.push_str(self.city);
                return Some(("store_location", None));
            }
            "color" => {
                out.push_str(self.color);
                return Some(("color", None));
            }
            "days" => {
                push_u64(out, self.days.into());
                return Some(("sys-number", Some(self.days.into())));
            }
            "card4" => {
                push_u64(out, self.card4.into());
                return Some(("sys-number", Some(self.card4.into())));
            }
            "name" => out.push_str(self.name),
            "company" => out.push_str(COMPANY),
            "carrier" => out.push_str(self.carrier),
            "shipped" => push_date_words(out, self.shipped),
            "eta" => push_date_words(out, self.eta),
            "eta_iso" => push_date_iso(out, self.eta),
            "amount" => push_money(out, self.amount),
            "amount_num" => push_dec(out, f64::from(self.amount) / 100.0, 2),
            "amount_words" => {
                push_words(out, (self.amount / 100).min(9999));
                out.push_str(" dollars");
                if !self.amount.is_multiple_of(100) {
                    out.push_str(" and ");
                    push_words(out, self.amount % 100);
                    out.push_str(" cents");
                }
            }
            "points" => push_u64(out, self.points.into()),
            "zip" => {
                let mut b = [0u8; 5];
                put_digits(&mut b, self.zip.into());
                out.push_str(std::str::from_utf8(&b).unwrap_or(""));
            }
            "zip_words" => push_digit_words(out, self.zip, 5),
            "time" => out.push_str(self.time),
            "time2" => out.push_str(self.time2),
            "weekday" => out.push_str(self.weekday),
            "store" => push_u64(out, self.store.into()),
            "sku" => {
                out.push_str("SKU-");
                push_u64(out, self.sku.into());
            }
            "conf" => push_u64(out, self.conf.into()),
            "customer" => push_u64(out, self.customer.into()),
            "tier" => out.push_str(self.tier),
            "stock" => push_u64(out, self.stock.into()),
            "house" => push_u64(out, self.house.into()),
            "house_words" => {
                let width = if self.house >= 1000 {
                    4
                } else if self.house >= 100 {
                    3
                } else if self.house >= 10 {
                    2
                } else {
                    1
                };
                push_digit_words(out, self.house, width);
            }
            "street" => out.push_str(self.street),
            "street_title" => {
                for (i, word) in self.street.split(' ').enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    let mut chars = word.chars();
                    if let Some(c) = chars.next() {
                        out.push(c.to_ascii_uppercase());
                        out.push_str(chars.as_str());
                    }
                }
            }
            _ => {
                debug_assert!(false, "unknown template slot {name}");
                out.push('{');
                out.push_str(name);
                out.push('}');
            }
        }
        None
    }
}

/// Expands `{slot}` placeholders in `tpl` onto `out`; other braces are literal (JSON templates work).
fn fill(out: &mut String, tpl: &str, sl: &Slots, mut spans: Option<&mut Vec<Span>>) {
    let b = tpl.as_bytes();
    let (mut i, mut lit) = (0, 0);
    while i < b.len() {
        if b[i] == b'{' {
            let mut k = i + 1;
            while k < b.len()
                && (b[k].is_ascii_lowercase() || b[k] == b'_' || b[k].is_ascii_digit())
            {
                k += 1;
            }
            if k > i + 1 && k < b.len() && b[k] == b'}' {
                out.push_str(&tpl[lit..i]);
                let start = out.len();
                let entity = sl.write(&tpl[i + 1..k], out);
                if let (Some((entity, numeric)), Some(spans)) = (entity, spans.as_deref_mut()) {
                    spans.push(Span {
                        entity,
                        start,
                        end: out.len(),
                        numeric,
                    });
                }
                i = k + 1;
                lit = i;
                continue;
            }
        }
        i += 1;
    }
    out.push_str(&tpl[lit..]);
}

fn filled(tpl: &str, sl: &Slots) -> String {
    let mut s = String::with_capacity(tpl.len() + 32);
    fill(&mut s, tpl, sl, None);
    s
}

// ------------------------------------------------------------------------------------------------
// Web chat content (actions skill)
// ------------------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum Card {
    None,
    Order,
    Refund,
    Product,
    Store,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum VarKind {
    None,
    Order,
    Refund,
    Store,
    Address,
    Product,
    Points,
    Password,
}

struct Callout {
    method: &'static str,
    url: &'static str,
    path: &'static str,
    /// JSON text template of the response body.
    body: &'static str,
    step: &'static str,
}

struct Topic {
    action: &'static str,
    title: &'static str,
    intent: &'static str,
    steps: &'static [&'static str],
    utterances: &'static [&'static str],
    replies: &'static [&'static str],
    extra: &'static [&'static str],
    callout: Option<Callout>,
    /// (source, title, alt_text) templates
    image: Option<(&'static str, &'static str, &'static str)>,
    card: Card,
    var: VarKind,
}

const T_ORDER: usize = 0;
const T_REFUND_POLICY: usize = 1;
const T_REFUND: usize = 2;
const T_HOURS: usize = 3;
const T_PASSWORD: usize = 4;
const T_ADDRESS: usize = 5;
const T_CANCEL: usize = 6;
const T_SHIPPING: usize = 7;
const T_PAYMENT: usize = 8;
const T_STOCK: usize = 9;
const T_WARRANTY: usize = 10;
const T_POINTS: usize = 11;
const T_DELIVERY: usize = 12;
const T_GIFT: usize = 13;

const TOPIC_WEIGHTS: [u32; 14] = [22, 8, 8, 7, 7, 5, 6, 7, 6, 8, 4, 5, 4, 3];

const TOPICS: [Topic; 14] = [
    Topic {
        action: "action_24031",
        title: "Check order status",
        intent: "action_24031_intent_11874",
        steps: &["step_742", "step_913"],
        utterances: &[
            "Where is my order {order}?",
            "where's my package",
            "has order {order} shipped yet",
            "I ordered a {product} on {shipped}, when will it arrive?",
            "track order {order}",
            "status of my {product} order",
            "my order {order} still hasn't arrived",
            "can you check order number {order}",
        ],
        replies: &[
            "Order {order} shipped on {shipped} with {carrier} and should arrive by {eta}.",
            "Your {product} (order {order}) is on its way with {carrier}. Expected delivery: {eta}.",
            "Order {order} is being packed at our {city} warehouse and should ship within 24 hours.",
            "I found order {order}. It left our {city} warehouse on {shipped} and is due {eta}.",
        ],
        extra: &[
            "You can follow the parcel any time under My Account > Orders.",
            "Tracking updates can take up to 24 hours to appear.",
            "If it hasn't arrived by {eta}, just let me know and I'll open a claim.",
        ],
        callout: Some(Callout {
            method: "GET",
            url: "https://orders.example.com",
            path: "/v1/orders/{order}",
            body: "{\"order_id\":\"{order}\",\"status\":\"shipped\",\"carrier\":\"{carrier}\",\"eta\":\"{eta_iso}\"}",
            step: "step_742",
        }),
        image: Some((
            "https://cdn.example.com/img/tracking-{order}.png",
            "Tracking map",
            "Map showing the parcel near {city}",
        )),
        card: Card::Order,
        var: VarKind::Order,
    },
    Topic {
        action: "action_31077",
        title: "Refund policy",
        intent: "action_31077_intent_40122",
        steps: &["step_118"],
        utterances: &[
            "what is your refund policy",
            "can I return a {product}?",
            "how long do I have to return something",
            "do you refund shipping costs",
            "can I return an opened {product}",
            "return policy for sale items",
        ],
        replies: &[
            "You can return most items within {days} days of delivery for a full refund.",
            "Unused items like a {product} can be returned within {days} days in the original packaging.",
            "Returns are free for Plus members. Everyone else pays a flat $5.99 return shipping fee.",
            "Sale items can be returned within {days} days for store credit.",
        ],
        extra: &["Start a return from My Account > Orders and print the label at home."],
        callout: None,
        image: None,
        card: Card::None,
        var: VarKind::None,
    },
    Topic {
        action: "action_31290",
        title: "Request a refund",
        intent: "action_31290_intent_40561",
        steps: &["step_204", "step_377", "step_512"],
        utterances: &[
            "I want a refund for order {order}",
            "refund my {product} please",
            "the {product} arrived broken, I want my money back",
            "how do I get a refund for order {order}",
            "I was charged twice for order {order}",
        ],
        replies: &[
            "I've started a refund of {amount} for order {order}. You'll see it on your statement in 5 to 7 business days.",
            "Your refund request for the {product} is in. We'll email a prepaid return label within the hour.",
            "Refund R{conf} for {amount} is pending. We'll let you know as soon as it's processed.",
        ],
        extra: &["Keep the item in its original packaging until the courier collects it."],
        callout: Some(Callout {
            method: "POST",
            url: "https://orders.example.com",
            path: "/v1/orders/{order}/refunds",
            body: "{\"refund_id\":\"R{conf}\",\"amount\":{amount_num},\"currency\":\"USD\",\"status\":\"pending\"}",
            step: "step_377",
        }),
        image: None,
        card: Card::Refund,
        var: VarKind::Refund,
    },
    Topic {
        action: "action_18802",
        title: "Store hours",
        intent: "action_18802_intent_20417",
        steps: &["step_031"],
        utterances: &[
            "what time does the {city} store open",
            "are you open on {weekday}",
            "store hours in {city}",
            "when does your {city} location close today",
            "is the {city} store open on holidays",
        ],
        replies: &[
            "Our {city} store is open from 9am to 9pm Monday to Saturday and 10am to 6pm on Sunday.",
            "On {weekday} the {city} store is open from {time} to 8pm.",
            "The {city} store (store #{store}) closes at 9pm today.",
        ],
        extra: &["Holiday hours may differ; check the store page before you visit."],
        callout: None,
        image: Some((
            "https://cdn.example.com/img/stores/store-{store}.jpg",
            "Store front",
            "The entrance of our {city} store",
        )),
        card: Card::Store,
        var: VarKind::Store,
    },
    Topic {
        action: "action_40415",
        title: "Reset password",
        intent: "action_40415_intent_51230",
        steps: &["step_610", "step_611"],
        utterances: &[
            "I forgot my password",
            "can't log in to my account",
            "reset my password",
            "my account is locked",
            "it says my password is wrong",
        ],
        replies: &[
            "I've sent a password reset link to the email address on file. It expires in 30 minutes.",
            "Your account was locked after too many attempts. I've sent an unlock link to your email.",
            "You can reset your password from the sign-in page by choosing Forgot password.",
        ],
        extra: &["Didn't get the email? Check your spam folder first."],
        callout: None,
        image: None,
        card: Card::None,
        var: VarKind::Password,
    },
    Topic {
        action: "action_27760",
        title: "Update address",
        intent: "action_27760_intent_30925",
        steps: &["step_880", "step_881"],
        utterances: &[
            "I moved to {city}, how do I change my address",
            "update my shipping address",
            "change the delivery address for order {order}",
            "new address: {house} {street}, {city}",
        ],
        replies: &[
            "Done! Your default shipping address is now {house} {street_title}, {city}.",
            "I've updated the address on order {order}. It will now ship to {city}.",
            "You can manage your addresses under My Account > Addresses. I've added {house} {street_title} for you.",
        ],
        extra: &[],
        callout: Some(Callout {
            method: "PUT",
            url: "https://accounts.example.com",
            path: "/v2/customers/{customer}/address",
            body: "{\"updated\":true,\"city\":\"{city}\"}",
            step: "step_881",
        }),
        image: None,
        card: Card::None,
        var: VarKind::Address,
    },
    Topic {
        action: "action_33514",
        title: "Cancel an order",
        intent: "action_33514_intent_38806",
        steps: &["step_150", "step_151"],
        utterances: &[
            "cancel order {order}",
            "I don't want the {product} anymore, please cancel it",
            "how do I cancel my order",
            "stop order {order} from shipping",
        ],
        replies: &[
            "Order {order} has been cancelled. Your refund of {amount} will go back to the original payment method.",
            "Sorry, order {order} has already shipped, so I can't cancel it. You can return it once it arrives.",
            "I've cancelled the {product} from order {order}.",
        ],
        extra: &[],
        callout: Some(Callout {
            method: "POST",
            url: "https://orders.example.com",
            path: "/v1/orders/{order}/cancel",
            body: "{\"cancelled\":true,\"order_id\":\"{order}\"}",
            step: "step_151",
        }),
        image: None,
        card: Card::None,
        var: VarKind::Order,
    },
    Topic {
        action: "action_12006",
        title: "Shipping costs",
        intent: "action_12006_intent_14410",
        steps: &["step_402"],
        utterances: &[
            "how much is shipping to {city}",
            "do you offer free shipping",
            "how much is express delivery",
            "how long does shipping take to {city}",
            "do you ship internationally",
        ],
        replies: &[
            "Standard shipping to {city} is free on orders over $35 and takes 3 to 5 business days.",
            "Express delivery costs $12.99 and arrives in 1 to 2 business days.",
            "We ship to over 40 countries. International orders usually arrive within {days} days.",
        ],
        extra: &["Orders placed before 2pm ship the same day."],
        callout: None,
        image: None,
        card: Card::None,
        var: VarKind::None,
    },
    Topic {
        action: "action_15590",
        title: "Payment methods",
        intent: "action_15590_intent_17733",
        steps: &["step_090"],
        utterances: &[
            "can I pay with paypal",
            "do you take apple pay",
            "my card was declined",
            "can I split the payment",
            "is klarna available",
            "why was my card charged {amount}",
        ],
        replies: &[
            "We accept Visa, Mastercard, American Express, PayPal, Apple Pay and Google Pay.",
            "Card declines usually come from the bank. Please check the billing address matches, or try another card.",
            "You can pay in 4 interest-free installments with Klarna on orders over $50.",
            "The charge of {amount} is a temporary authorization. It disappears within 3 business days.",
        ],
        extra: &[],
        callout: None,
        image: None,
        card: Card::None,
        var: VarKind::None,
    },
    Topic {
        action: "action_20981",
        title: "Product availability",
        intent: "action_20981_intent_26650",
        steps: &["step_301", "step_302"],
        utterances: &[
            "is the {product} in stock",
            "do you have the {color} {product} in {city}",
            "when will the {product} be back in stock",
            "can I pick up a {product} today in {city}",
        ],
        replies: &[
            "Yes! The {color} {product} is in stock at our {city} store ({stock} left).",
            "The {product} is out of stock online right now. We expect more by {eta}.",
            "You can reserve the {product} for pickup at our {city} store today after {time}.",
        ],
        extra: &["Reserved items are held for 48 hours."],
        callout: Some(Callout {
            method: "GET",
            url: "https://inventory.example.com",
            path: "/v1/stock/{sku}",
            body: "{\"sku\":\"{sku}\",\"in_stock\":{stock},\"store\":\"{city}\"}",
            step: "step_301",
        }),
        image: Some((
            "https://cdn.example.com/img/products/{sku}.jpg",
            "{product}",
            "Photo of the {color} {product}",
        )),
        card: Card::Product,
        var: VarKind::Product,
    },
    Topic {
        action: "action_36642",
        title: "Warranty claim",
        intent: "action_36642_intent_44018",
        steps: &["step_520", "step_521", "step_522"],
        utterances: &[
            "my {product} stopped working after {days} days",
            "how do I make a warranty claim",
            "is my {product} still under warranty",
            "the {product} is making a weird noise",
        ],
        replies: &[
            "Your {product} has a 2-year limited warranty. I've opened claim {conf} for you.",
            "Sorry to hear that. Please send a photo of the serial number and we'll arrange a replacement.",
            "The {product} is covered for 1 year from delivery. Claims are usually decided within 5 business days.",
        ],
        extra: &[],
        callout: None,
        image: None,
        card: Card::None,
        var: VarKind::Product,
    },
    Topic {
        action: "action_29913",
        title: "Reward points",
        intent: "action_29913_intent_35120",
        steps: &["step_660"],
        utterances: &[
            "how many points do I have",
            "how do I use my reward points",
            "what tier am I in",
            "my points from order {order} are missing",
        ],
        replies: &[
            "You have {points} points, worth {amount} off your next order.",
            "You're a {tier} member with {points} points.",
            "Points from order {order} are added 14 days after delivery.",
        ],
        extra: &["Points expire 12 months after you earn them."],
        callout: Some(Callout {
            method: "GET",
            url: "https://loyalty.example.com",
            path: "/v1/members/{customer}/points",
            body: "{\"points\":{points},\"tier\":\"{tier}\"}",
            step: "step_660",
        }),
        image: None,
        card: Card::None,
        var: VarKind::Points,
    },
    Topic {
        action: "action_38120",
        title: "Change delivery date",
        intent: "action_38120_intent_47304",
        steps: &["step_701", "step_702"],
        utterances: &[
            "can I get order {order} delivered on {weekday}",
            "change delivery date",
            "I won't be home on {weekday}, can you deliver later",
            "reschedule my delivery",
        ],
        replies: &[
            "I've moved the delivery of order {order} to {eta}.",
            "{carrier} can deliver order {order} on {eta} between {time} and {time2}.",
            "Delivery dates can be changed up to 24 hours before dispatch. Order {order} is now due {eta}.",
        ],
        extra: &[],
        callout: Some(Callout {
            method: "PATCH",
            url: "https://orders.example.com",
            path: "/v1/orders/{order}/delivery",
            body: "{\"order_id\":\"{order}\",\"delivery_date\":\"{eta_iso}\"}",
            step: "step_702",
        }),
        image: None,
        card: Card::Order,
        var: VarKind::Order,
    },
    Topic {
        action: "action_41207",
        title: "Gift cards",
        intent: "action_41207_intent_52281",
        steps: &["step_015"],
        utterances: &[
            "check gift card balance",
            "can I use two gift cards",
            "what's the balance on card ending {card4}",
            "my gift card doesn't work",
        ],
        replies: &[
            "The gift card ending in {card4} has a balance of {amount}.",
            "You can use up to 5 gift cards on one order.",
            "Gift cards never expire. If yours isn't accepted, check that you entered all 16 digits.",
        ],
        extra: &[],
        callout: None,
        image: None,
        card: Card::None,
        var: VarKind::None,
    },
];

/// (user word, topic, topic) for disambiguation turns.
const AMBIGUOUS: &[(&str, usize, usize)] = &[
    ("refund", T_REFUND_POLICY, T_REFUND),
    ("order", T_ORDER, T_CANCEL),
    ("delivery", T_SHIPPING, T_DELIVERY),
    ("account", T_PASSWORD, T_ADDRESS),
    ("points", T_POINTS, T_GIFT),
    ("return", T_REFUND_POLICY, T_WARRANTY),
    ("card", T_PAYMENT, T_GIFT),
    ("store", T_HOURS, T_STOCK),
];

struct Article {
    id: &'static str,
    title: &'static str,
    body: &'static str,
    questions: &'static [&'static str],
    answer: &'static str,
}

const ARTICLES: &[Article] = &[
    Article {
        id: "kb-0192",
        title: "Returns and refunds",
        body: "Opened electronics may be returned within 30 days of delivery with all original accessories. A 10% restocking fee applies.",
        questions: &[
            "Can I return opened {product}?",
            "is there a restocking fee on a {product}",
        ],
        answer: "Yes. An opened {product} can be returned within 30 days if all accessories are included; a 10% restocking fee applies.",
    },
    Article {
        id: "kb-0007",
        title: "Price match guarantee",
        body: "We match the price of identical items sold by major retailers within 14 days of purchase.",
        questions: &[
            "do you price match",
            "I saw the {product} cheaper somewhere else",
        ],
        answer: "Yes. If you find the same {product} for less at a major retailer within 14 days of purchase, we'll refund the difference.",
    },
    Article {
        id: "kb-0311",
        title: "Promo codes",
        body: "Enter promo codes at checkout in the Discount field. Only one code can be used per order.",
        questions: &[
            "how do I use a promo code",
            "my discount code isn't working",
        ],
        answer: "Enter the code in the Discount field at checkout. Only one code can be used per order, and some codes exclude sale items.",
    },
    Article {
        id: "kb-0145",
        title: "Product warranties",
        body: "Most electronics carry a manufacturer warranty of one to two years. Extended protection plans are available at checkout.",
        questions: &[
            "is there a warranty on the {product}",
            "do you sell extended warranties",
        ],
        answer: "The {product} comes with a manufacturer warranty of at least one year, and you can add a protection plan at checkout.",
    },
    Article {
        id: "kb-0058",
        title: "Changing an order",
        body: "Orders can be changed within one hour of purchase from the Orders page.",
        questions: &[
            "can I change my order after placing it",
            "can I add an item to order {order}",
        ],
        answer: "You can change an order within one hour of placing it from the Orders page. After that it's already being packed.",
    },
    Article {
        id: "kb-0420",
        title: "International shipping",
        body: "We ship to over 40 countries. Duties and taxes are calculated at checkout.",
        questions: &["do you ship to {city}", "will I pay customs fees"],
        answer: "Yes, we ship to {city}. Duties and taxes are calculated at checkout, so there are no surprises on delivery.",
    },
    Article {
        id: "kb-0233",
        title: "Email preferences",
        body: "You can unsubscribe from marketing emails with the link at the bottom of any email, or under Account > Preferences.",
        questions: &[
            "how do I unsubscribe from emails",
            "stop sending me newsletters",
        ],
        answer: "Use the unsubscribe link at the bottom of any of our emails, or turn off marketing emails under Account > Preferences.",
    },
    Article {
        id: "kb-0089",
        title: "Refund timing",
        body: "Refunds are issued to the original payment method within 5 business days of receiving the return.",
        questions: &[
            "how long does a refund take",
            "when will I get my money back for the {product}",
        ],
        answer: "Refunds go back to your original payment method within 5 business days after we receive the return. Banks can take a few more days.",
    },
    Article {
        id: "kb-0512",
        title: "Assembly service",
        body: "Furniture assembly is available in selected cities for a flat fee of $49.",
        questions: &[
            "can someone assemble my {product}",
            "do you offer assembly in {city}",
        ],
        answer: "Assembly is available in {city} for a flat fee of $49. You can add it at checkout or up to 48 hours before delivery.",
    },
    Article {
        id: "kb-0377",
        title: "Student discount",
        body: "Students get 10% off with a verified student email address.",
        questions: &[
            "do you have a student discount",
            "is there a discount for teachers",
        ],
        answer: "Students get 10% off with a verified student email address. Teachers aren't covered yet, but watch for seasonal promotions.",
    },
    Article {
        id: "kb-0264",
        title: "Trade-in program",
        body: "Trade in eligible phones, tablets and laptops for store credit.",
        questions: &["can I trade in my old {product}", "how does trade-in work"],
        answer: "You can trade in eligible phones, tablets and laptops for store credit. Get a quote online, then drop the device at any store.",
    },
    Article {
        id: "kb-0618",
        title: "Lost packages",
        body: "If tracking shows delivered but you can't find the package, wait 24 hours and then contact us to open a claim.",
        questions: &[
            "my package says delivered but it's not here",
            "the {carrier} driver lost my parcel",
        ],
        answer: "Sometimes carriers mark a parcel delivered a little early. If it still isn't there after 24 hours, we'll open a claim and send a replacement.",
    },
];

const PREFIXES: &[&str] = &[
    "",
    "",
    "",
    "",
    "",
    "hi ",
    "hello, ",
    "hey ",
    "um ",
    "quick question: ",
    "Hi there. ",
    "good morning, ",
];
const SUFFIXES: &[&str] = &[
    "",
    "",
    "",
    "",
    "",
    "?",
    " please",
    " thanks",
    " thank you",
    "!!",
    " asap",
    "...",
];
const WELCOME_TEXTS: &[&str] = &[
    "Hi, I'm the {company} assistant. What can I help you with today?",
    "Welcome to {company}! Ask me about orders, returns or anything else.",
    "Hello! I'm a virtual assistant. How can I help?",
    "Hi there 👋 How can I help you today?",
];
const WELCOME_BACK: &str = "Welcome back! What can I do for you today?";
const OPTION_TITLES: &[&str] = &[
    "Popular topics",
    "Here are some things I can help with",
    "Choose a topic",
];
const FOLLOW_UP_TITLES: &[&str] = &[
    "Is there anything else I can help you with?",
    "Anything else?",
    "You might also want to:",
];
const NO_MATCH_TEXTS: &[&str] = &[
    "I'm afraid I don't understand. Please rephrase your question.",
    "Sorry, I didn't get that. You can ask me about orders, returns, payments or store hours.",
    "I'm not sure I can help with that yet. Try asking in a different way.",
];
const OFF_TOPIC: &[&str] = &[
    "what's the weather like",
    "tell me a joke",
    "asdfgh",
    "are you a robot",
    "blue",
    "do you like pizza",
    "lol",
    "can you sing",
    "who won the game last night",
    "ok",
    "hmm",
    "I need help",
];
const AGENT_WEB: &[&str] = &[
    "I want to talk to a person",
    "agent",
    "human please",
    "speak to a representative",
    "this isn't helping, get me a real person",
    "can I chat with someone",
    "live agent",
];
const AGENT_INTRO: &[&str] = &[
    "I'll connect you with a member of our support team.",
    "Let me get someone from our team to help.",
    "Sure, I'm transferring you to an agent now.",
];
const AGENT_AVAILABLE: &[&str] = &[
    "An agent will be with you shortly.",
    "You're next in line. An agent will join in a moment.",
];
const AGENT_UNAVAILABLE: &[&str] = &[
    "All agents are busy. Please try again between 9am and 5pm ET.",
    "Our team is offline right now. Leave your email and we'll get back to you.",
];
const AGENT_TOPICS: &[&str] = &["Fallback", "Billing", "Orders", "Returns"];
const LOOKUP_TEXTS: &[&str] = &[
    "Let me look up order {order}.",
    "One moment while I check that.",
    "Checking our systems…",
    "Give me a second to look that up.",
];
const CALLOUT_FAIL: &[&str] = &[
    "Sorry, I can't reach our order system right now. Please try again in a few minutes.",
    "Something went wrong on our side. Please try again later.",
];
const IDK_TEXT: &str = "I searched our help center but couldn't find an answer to that. Try rephrasing, or ask for an agent.";
const DISCLAIMER: &str = "Answers are generated by AI and may contain errors.";
const LLM_MODEL: &str = "ibm/granite-3-8b-instruct";

// ------------------------------------------------------------------------------------------------
// Phone content (dialog skill)
// ------------------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum StepKind {
    Pin,
    Account,
    Amount,
    Zip,
    Address,
    Day,
    Confirm,
}

struct Step {
    kind: StepKind,
    ask: &'static str,
    node: &'static str,
    title: &'static str,
    cond: &'static str,
    speech: &'static [&'static str],
    replies: &'static [&'static str],
}

struct Flow {
    reason: &'static str,
    intent: &'static str,
    node: &'static str,
    title: &'static str,
    menu: &'static str,
    utterances: &'static [&'static str],
    ack: &'static [&'static str],
    /// Said right away when the flow has no steps.
    answer: &'static [&'static str],
    steps: &'static [Step],
}

const STEP_PIN: Step = Step {
    kind: StepKind::Pin,
    ask: "Please enter your four digit PIN, followed by the pound key.",
    node: "slot_4_1708451402",
    title: "Collect PIN",
    cond: "true",
    speech: &[],
    replies: &[
        "Thank you, your PIN is verified.",
        "Thanks, you're verified.",
    ],
};

const FLOW_WEIGHTS: [u32; 7] = [25, 20, 15, 8, 10, 7, 15];

const FLOWS: [Flow; 7] = [
    Flow {
        reason: "pay_bill",
        intent: "pay_bill",
        node: "node_3_1708451377",
        title: "Pay bill",
        menu: "billing",
        utterances: &[
            "i'd like to pay my bill",
            "pay my bill",
            "i want to make a payment",
            "can i pay my bill over the phone",
            "i need to pay the bill for {city}",
        ],
        ack: &["Sure.", "I can help you pay your bill.", "Okay."],
        answer: &[],
        steps: &[
            STEP_PIN,
            Step {
                kind: StepKind::Amount,
                ask: "Your balance is {amount}. How much would you like to pay today?",
                node: "node_5_1708451488",
                title: "Payment amount",
                cond: "@sys-currency",
                speech: &[
                    "{amount_words}",
                    "i'd like to pay {amount_words}",
                    "the full amount",
                    "pay all of it",
                ],
                replies: &[
                    "Thank you. Your payment of {amount_words} is scheduled for today. Your confirmation number is {conf}.",
                    "Done. {amount} will be charged to the card on file.",
                ],
            },
        ],
    },
    Flow {
        reason: "check_balance",
        intent: "check_balance",
        node: "node_7_1708451590",
        title: "Check balance",
        menu: "billing",
        utterances: &[
            "what's my balance",
            "check my balance",
            "how much do i owe",
            "when is my bill due",
        ],
        ack: &["Sure.", "I can look that up."],
        answer: &[],
        steps: &[Step {
            kind: StepKind::Account,
            ask: "Please enter your eight digit account number, followed by the pound key.",
            node: "slot_8_1708451602",
            title: "Collect account number",
            cond: "true",
            speech: &[],
            replies: &[
                "Your balance is {amount}, due on {eta}.",
                "You owe {amount}. Your next payment is due {eta}.",
            ],
        }],
    },
    Flow {
        reason: "report_outage",
        intent: "report_outage",
        node: "node_14_1708452210",
        title: "Report outage",
        menu: "outages",
        utterances: &[
            "my internet is down",
            "i want to report an outage",
            "there's no power at my house",
            "the service isn't working in {city}",
        ],
        ack: &["I'm sorry to hear that.", "I can check that for you."],
        answer: &[],
        steps: &[
            Step {
                kind: StepKind::Zip,
                ask: "Please say or enter the five digit zip code of the affected address.",
                node: "slot_15_1708452230",
                title: "Collect zip code",
                cond: "@sys-number",
                speech: &["{zip_words}", "it's {zip_words}"],
                replies: &[
                    "We are aware of an outage near {city}. Crews expect to restore service by {time}.",
                    "There's no known outage at that address. I've opened ticket {conf} for a technician.",
                ],
            },
            Step {
                kind: StepKind::Confirm,
                ask: "Would you like a text message when service is restored?",
                node: "node_16_1708452251",
                title: "Offer text updates",
                cond: "#yes || #no",
                speech: &["yes", "yes please", "no thanks", "sure"],
                replies: &["Okay, you're all set.", "Got it."],
            },
        ],
    },
    Flow {
        reason: "update_address",
        intent: "update_address",
        node: "node_18_1708452300",
        title: "Update address",
        menu: "account",
        utterances: &[
            "i moved",
            "i need to change my address",
            "update my mailing address",
        ],
        ack: &["I can help with that."],
        answer: &[],
        steps: &[
            STEP_PIN,
            Step {
                kind: StepKind::Address,
                ask: "Please say your new street address.",
                node: "slot_19_1708452321",
                title: "Collect address",
                cond: "true",
                speech: &[
                    "{house_words} {street}",
                    "it's {house_words} {street} in {city}",
                ],
                replies: &["Thanks. I've updated your address to {house} {street_title}."],
            },
        ],
    },
    Flow {
        reason: "appointment",
        intent: "schedule_appointment",
        node: "node_21_1708452400",
        title: "Schedule technician",
        menu: "service",
        utterances: &[
            "i need to schedule a technician",
            "book an appointment",
            "can someone come out to fix my router",
        ],
        ack: &["Sure, let's find a time."],
        answer: &[],
        steps: &[
            Step {
                kind: StepKind::Day,
                ask: "What day works best for a technician visit?",
                node: "slot_22_1708452418",
                title: "Collect day",
                cond: "@sys-date",
                speech: &[
                    "{weekday}",
                    "{weekday} morning",
                    "next {weekday}",
                    "as soon as possible",
                ],
                replies: &["I have an opening on {weekday} between {time} and {time2}."],
            },
            Step {
                kind: StepKind::Confirm,
                ask: "Should I book it?",
                node: "node_23_1708452440",
                title: "Confirm booking",
                cond: "#yes || #no",
                speech: &["yes", "yes please", "that works", "no"],
                replies: &["You're booked. You'll get a reminder the day before."],
            },
        ],
    },
    Flow {
        reason: "cancel_service",
        intent: "cancel_service",
        node: "node_25_1708452500",
        title: "Cancel service",
        menu: "account",
        utterances: &[
            "cancel my service",
            "i want to cancel my account",
            "i'm moving and need to stop service",
        ],
        ack: &["I can help with that."],
        answer: &[],
        steps: &[
            STEP_PIN,
            Step {
                kind: StepKind::Confirm,
                ask: "Are you sure you want to cancel your service?",
                node: "node_26_1708452520",
                title: "Confirm cancellation",
                cond: "#yes || #no",
                speech: &["yes", "yes i'm sure", "no wait"],
                replies: &[
                    "Your cancellation request is recorded. A specialist will call you within two business days.",
                ],
            },
        ],
    },
    Flow {
        reason: "store_hours",
        intent: "store_hours",
        node: "node_28_1708452600",
        title: "Store hours",
        menu: "info",
        utterances: &[
            "what are your hours",
            "when does the {city} store open",
            "are you open on {weekday}",
        ],
        ack: &[""],
        answer: &[
            "Our {city} store is open from 9am to 9pm, Monday through Saturday, and 10am to 6pm on Sunday.",
            "On {weekday} we're open from {time} to 8pm.",
        ],
        steps: &[],
    },
];

const GREETINGS: &[&str] = &[
    "Thanks for calling {company}. You can say pay my bill, check my balance, or report an outage.",
    "Welcome to {company}. How can I help you today?",
    "Hello, thanks for calling {company}. In a few words, tell me why you're calling, or press 1 for billing.",
    "Thank you for calling {company}. This call may be recorded for quality purposes. How can I help?",
];
const ANYTHING_ELSE: &str = "Is there anything else I can help you with?";
const CLOSING: &str = "Thanks for calling {company}. Goodbye!";
const GOODBYE_UTTERANCES: &[&str] = &[
    "no that's all thanks",
    "no thank you",
    "that's it bye",
    "nope that's everything",
];
const AGENT_PHONE: &[&str] = &[
    "agent",
    "representative",
    "talk to a person",
    "operator",
    "i want to speak to someone",
    "customer service",
];
const TRANSFER_TEXTS: &[&str] = &[
    "One moment while I transfer you to an agent.",
    "Please hold while I connect you to a specialist.",
    "Sure, transferring you to our support team now.",
];
const TRANSFER_FAILED_TEXTS: &[&str] = &[
    "I'm sorry, all of our agents are busy right now. Please call back between 8am and 8pm. Goodbye.",
    "Sorry, I couldn't complete the transfer. Please try again later. Goodbye.",
];
const TIMEOUT_TEXTS: &[&str] = &["Sorry, I didn't hear anything.", "Are you still there?"];
const LOG_WARNINGS: &[(&str, &str)] = &[
    (
        "Variable $promo_code is not defined.",
        "unresolved_variable",
    ),
    (
        "Slot prompt was repeated because no value was found.",
        "slot_no_match",
    ),
    (
        "Condition could not be evaluated: $account_tier is null.",
        "condition_error",
    ),
];

// ------------------------------------------------------------------------------------------------
// Sessions
// ------------------------------------------------------------------------------------------------

/// A context variable value.
#[derive(Clone)]
enum V {
    Str(String),
    Lit(&'static str),
    Int(u64),
    Num(f64),
    Bool(bool),
}

impl V {
    fn write(&self, j: &mut J) {
        match self {
            V::Str(s) => j.str(s),
            V::Lit(s) => j.str(s),
            V::Int(n) => j.u(*n),
            V::Num(x) => j.dec(*x, 2),
            V::Bool(b) => j.b(*b),
        }
    }
}

fn set_var(vars: &mut Vec<(&'static str, V)>, key: &'static str, value: V) {
    match vars.iter_mut().find(|(k, _)| *k == key) {
        Some(entry) => entry.1 = value,
        None => vars.push((key, value)),
    }
}

fn write_vars(j: &mut J, vars: &[(&'static str, V)]) {
    for (k, v) in vars {
        j.key(k);
        v.write(j);
    }
}

/// Merges a `cdr_custom_data` update: later keys overwrite, `""` removes the key.
fn merge_custom(merged: &mut Vec<(&'static str, V)>, key: &'static str, value: &V) {
    if matches!(value, V::Lit("")) {
        merged.retain(|(k, _)| *k != key);
    } else {
        set_var(merged, key, value.clone());
    }
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
    fn new(rng: &mut R) -> Self {
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

/// Choices offered in the previous turn (options or suggestions) that the user may click.
#[derive(Clone, Copy)]
struct Offer {
    topics: [u8; 4],
    n: u8,
}

#[derive(Clone)]
struct WebSession {
    id: Id,
    user_id: String,
    customer_id: Option<String>,
    tz: &'static str,
    locale: &'static str,
    /// `request.context`, the same on every turn.
    req_ctx: String,
    /// `context.integrations`.
    integrations: String,
    draft: bool,
    start: Ms,
    turn: u32,
    n_turns: u32,
    welcome: bool,
    returning: bool,
    vars: Vec<(&'static str, V)>,
    offer: Option<Offer>,
    order: u32,
    product: &'static str,
    city: &'static str,
    customer: u32,
    state_len: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum End {
    CallerHangup,
    AssistantHangup,
    Transfer,
    FailedTransfer,
    FailedMedia,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum PKind {
    Start,
    Normal,
    TransferReq,
    TransferFailed,
}

/// How the caller's input for the next turn arrives.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Start,
    Speech,
    Dtmf,
    Timeout,
    TransferFailed,
}

#[derive(Clone, Copy)]
struct Tts {
    txn: Id,
    start: Ms,
    stop: Ms,
    ms: Ms,
    barge_in: bool,
}

#[derive(Clone, Copy)]
struct Stt {
    txn: Id,
    start: Ms,
    stop: Ms,
    ms: Ms,
    confidence: f64,
    stop_unknown: bool,
    echo: bool,
}

/// What the call record needs to know about one message turn.
#[derive(Clone)]
struct CdrTurn {
    log_id: Id,
    req_type: &'static str,
    start: Ms,
    response_ms: Ms,
    stt: Option<Stt>,
    tts: Vec<Tts>,
    transfer: bool,
    hangup: bool,
}

struct PhoneSession {
    id: Id,
    caller: String,
    global_id: Id,
    sip_call_id: String,
    trunk_id: String,
    number: &'static str,
    /// `request.context`, the same on every turn.
    req_ctx: String,
    /// The channel-set `voice_telephony` members (`"sip_call_id":…`).
    vt: String,
    start: Ms,
    call_start: Ms,
    invite: Ms,
    setup: Ms,
    outbound: bool,
    turn: usize,
    kinds: Vec<PKind>,
    end: End,
    next_mode: Mode,
    pending_stt: Option<(Ms, Ms)>,
    barge_in: bool,
    flow: Option<usize>,
    step: usize,
    last_ask: String,
    custom: Vec<(&'static str, V)>,
    custom_set: bool,
    user_vars: Vec<(&'static str, V)>,
    slots: Slots,
    turns: Vec<CdrTurn>,
    active_at_start: u64,
    stop: Ms,
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
    rng: R,
    deploy: Deployments,
    /// Multiplies gaps inside sessions (1.0 = realistic).
    scale: f64,
    web_users: Vec<(String, Option<String>)>,
    callers: Vec<String>,
    active_calls: u64,
}

const USER_RING: usize = 256;

fn remember<T>(ring: &mut Vec<T>, rng: &mut R, item: T) {
    if ring.len() < USER_RING {
        ring.push(item);
    } else {
        let i = rng.below(USER_RING);
        ring[i] = item;
    }
}

// ------------------------------------------------------------------------------------------------
// Web chat turns
// ------------------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum WebKind {
    Welcome,
    Topic(usize),
    Click(usize),
    Search(usize),
    Disambig(usize),
    NoMatch,
    Agent,
}

impl Ctx {
    fn new(seed: u64, deploy_seed: u64) -> Self {
        let mut deploy_rng = R::new(deploy_seed ^ 0xd1b5_4a32_d192_ed03);
        Ctx {
            rng: R::new(seed),
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

    fn new_web(&mut self, t: Ms) -> WebSession {
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

        let mut j = J::with_capacity(640);
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

        let mut j = J::with_capacity(integrations.len() + 160);
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
            vars: vec![("first_visit", V::Bool(!reuse))],
            offer: None,
            order: rng.range(10_000, 99_999) as u32,
            product: rng.pick(PRODUCTS),
            city: rng.pick(CITIES),
            customer: rng.range(100_000, 999_999) as u32,
            state_len: rng.range(40, 160) as usize,
        }
    }

    fn web_event(&mut self, s: &mut WebSession, t: Ms, j: &mut J) -> Option<Ms> {
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
    fn web_turn(&mut self, s: &mut WebSession, t: Ms, j: &mut J, look: Look) -> Ms {
        s.turn += 1;
        let last = s.turn >= s.n_turns;
        let rng = &mut self.rng;
        let offer = s.offer.take();

        let kind = if s.turn == 1 && s.welcome {
            WebKind::Welcome
        } else if last && rng.chance(0.10) {
            WebKind::Agent
        } else {
            match offer {
                Some(o) if rng.chance(0.6) => {
                    WebKind::Click(o.topics[rng.below(o.n.into())].into())
                }
                _ => match rng.weighted(&[68, 14, 6, 5, 3]) {
                    0 => WebKind::Topic(rng.weighted(&TOPIC_WEIGHTS)),
                    1 => WebKind::Search(rng.below(ARTICLES.len())),
                    2 => WebKind::Disambig(rng.below(AMBIGUOUS.len())),
                    3 => WebKind::NoMatch,
                    _ => WebKind::Agent,
                },
            }
        };

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

        // request
        j.kobj("request");
        j.kobj("input");
        j.ks("message_type", "text");
        j.ks("text", &text);
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

        // response.output
        j.kobj("response");
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
                j.text_item(&filled(greeting, &sl));
                let offered = option_item(j, rng, OPTION_TITLES);
                s.offer = Some(offered);
            }
            WebKind::Topic(_) | WebKind::Click(_) => {
                let tp = topic.expect("topic turn");
                if callout && rng.chance(0.5) {
                    j.text_item(&filled(rng.pick(LOOKUP_TEXTS), &sl));
                    j.obj();
                    j.ks("response_type", "pause");
                    j.ku("time", rng.range(5, 25) as u64 * 100);
                    j.kb("typing", true);
                    j.end_obj();
                }
                if callout && !callout_ok {
                    j.text_item(rng.pick(CALLOUT_FAIL));
                } else {
                    j.text_item(&filled(rng.pick(tp.replies), &sl));
                    if !tp.extra.is_empty() && rng.chance(0.3) {
                        j.text_item(&filled(rng.pick(tp.extra), &sl));
                    }
                    if let Some((src, title, alt)) = tp.image
                        && rng.chance(0.22)
                    {
                        j.obj();
                        j.ks("response_type", "image");
                        j.ks("source", &filled(src, &sl));
                        j.ks("title", &filled(title, &sl));
                        j.ks("alt_text", &filled(alt, &sl));
                        j.end_obj();
                    }
                    if tp.card != Card::None && rng.chance(0.3) {
                        card_item(j, rng, tp.card, &sl);
                    }
                    apply_topic_vars(s, tp.var, &sl);
                }
                if callout
                    && callout_ok
                    && let Some(c) = &tp.callout
                {
                    result_body = Some(filled(c.body, &sl));
                }
                if rng.chance(0.15) {
                    let offered = option_item(j, rng, FOLLOW_UP_TITLES);
                    s.offer = Some(offered);
                }
            }
            WebKind::Search(ai) => {
                if idk {
                    j.text_item(IDK_TEXT);
                } else {
                    conversational_search_item(j, rng, ai, &sl, scores);
                }
            }
            WebKind::Disambig(di) => {
                let (_, a, b) = AMBIGUOUS[di];
                j.obj();
                j.ks("response_type", "suggestion");
                j.ks("title", "Did you mean:");
                j.karr("suggestions");
                for (ti, (_, conf)) in [a, b].iter().zip(intents.iter()) {
                    j.obj();
                    j.ks("label", TOPICS[*ti].title);
                    j.kobj("value");
                    j.kobj("input");
                    j.ks("text", TOPICS[*ti].title);
                    j.karr("intents");
                    j.obj();
                    j.ks("intent", TOPICS[*ti].intent);
                    j.kd("confidence", *conf, 4);
                    j.end_obj();
                    j.end_arr();
                    j.end_obj();
                    j.end_obj();
                    j.end_obj();
                }
                j.obj();
                j.ks("label", "None of the above");
                j.kobj("value");
                j.kobj("input");
                j.ks("text", "None of the above");
                j.end_obj();
                j.end_obj();
                j.end_obj();
                j.end_arr();
                j.end_obj();
                s.offer = Some(Offer {
                    topics: [a as u8, b as u8, 0, 0],
                    n: 2,
                });
            }
            WebKind::NoMatch => {
                j.text_item(rng.pick(NO_MATCH_TEXTS));
                if rng.chance(0.4) {
                    let offered = option_item(j, rng, OPTION_TITLES);
                    s.offer = Some(offered);
                }
            }
            WebKind::Agent => {
                j.text_item(rng.pick(AGENT_INTRO));
                j.obj();
                j.ks("response_type", "connect_to_agent");
                let about = match rng.below(3) {
                    0 => filled("Customer asked about order {order}.", &sl),
                    1 => filled("Customer needs help with a {product}.", &sl),
                    _ => String::from("Customer asked for a human agent."),
                };
                j.ks("message_to_human_agent", &about);
                j.kobj("agent_available");
                j.ks("message", rng.pick(AGENT_AVAILABLE));
                j.end_obj();
                j.kobj("agent_unavailable");
                j.ks("message", rng.pick(AGENT_UNAVAILABLE));
                j.end_obj();
                j.ks("topic", rng.pick(AGENT_TOPICS));
                j.end_obj();
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
        write_entities(j, &text, &spans);

        if matches!(kind, WebKind::Search(_)) {
            j.karr("llm_metadata");
            j.obj();
            j.ks("task", "content_grounded_answering");
            j.ks("model_id", LLM_MODEL);
            j.end_obj();
            j.end_arr();
        }

        // debug
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
                            callout_event(j, rng, tp, c, &sl, callout_ok, result_body.as_deref());
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
                WebKind::Search(ai) => {
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
                    generative_event(j, rng, ai, &text, action_start, idk, &sl, scores);
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
            && rng.chance(0.5)
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

        // response.context
        if kind == WebKind::Welcome {
            set_var(&mut s.vars, "first_visit", V::Bool(!s.returning));
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
}

/// A typed user utterance: optional greeting, the filled template, optional ending.
fn utterance(rng: &mut R, text: &mut String, tpls: &[&str], sl: &Slots, spans: &mut Vec<Span>) {
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

fn write_entities(j: &mut J, text: &str, spans: &[Span]) {
    j.karr("entities");
    for span in spans {
        let value = &text[span.start..span.end];
        let start = text[..span.start].chars().count();
        let end = start + value.chars().count();
        j.obj();
        j.ks("entity", span.entity);
        j.karr("location");
        j.u(start as u64);
        j.u(end as u64);
        j.end_arr();
        j.ks("value", value);
        j.ku("confidence", 1);
        if let Some(n) = span.numeric {
            j.kobj("interpretation");
            j.ku("numeric_value", n);
            j.ks("subtype", "natural");
            j.end_obj();
        }
        j.end_obj();
    }
    j.end_arr();
}

/// An `option` response offering 3–4 topics; returns what was offered.
fn option_item(j: &mut J, rng: &mut R, titles: &[&str]) -> Offer {
    let title = rng.pick(titles);
    let n = rng.range(3, 4) as usize;
    let mut topics = [0u8; 4];
    let mut count = 0;
    while count < n {
        let t = rng.weighted(&TOPIC_WEIGHTS) as u8;
        if !topics[..count].contains(&t) {
            topics[count] = t;
            count += 1;
        }
    }
    j.obj();
    j.ks("response_type", "option");
    j.ks("title", title);
    j.ks(
        "preference",
        if rng.chance(0.75) {
            "button"
        } else {
            "dropdown"
        },
    );
    j.karr("options");
    for &t in &topics[..count] {
        let label = TOPICS[t as usize].title;
        j.obj();
        j.ks("label", label);
        j.kobj("value");
        j.kobj("input");
        j.ks("text", label);
        j.end_obj();
        j.end_obj();
        j.end_obj();
    }
    j.end_arr();
    j.end_obj();
    Offer {
        topics,
        n: count as u8,
    }
}

fn card_item(j: &mut J, rng: &mut R, card: Card, sl: &Slots) {
    j.obj();
    j.ks("response_type", "user_defined");
    j.kobj("user_defined");
    let mut buf = String::with_capacity(32);
    match card {
        Card::Order => {
            j.ks("template", "order_card");
            push_u64(&mut buf, sl.order.into());
            j.ks("order_id", &buf);
            j.ks("carrier", sl.carrier);
            buf.clear();
            push_date_iso(&mut buf, sl.eta);
            j.ks("eta", &buf);
        }
        Card::Refund => {
            j.ks("template", "refund_card");
            buf.push('R');
            push_u64(&mut buf, sl.conf.into());
            j.ks("refund_id", &buf);
            j.kd("amount", f64::from(sl.amount) / 100.0, 2);
            j.ks("status", "pending");
        }
        Card::Product => {
            j.ks("template", "product_card");
            buf.push_str("SKU-");
            push_u64(&mut buf, sl.sku.into());
            j.ks("sku", &buf);
            j.ks("name", sl.product);
            j.kd("price", f64::from(sl.amount) / 100.0, 2);
            j.kb("in_stock", rng.chance(0.8));
        }
        Card::Store => {
            j.ks("template", "store_card");
            j.ku("store_id", sl.store.into());
            j.ks("city", sl.city);
            buf.push_str("+1");
            buf.push_str(rng.pick(AREA_CODES));
            buf.push_str("555");
            rng.push_digits(&mut buf, 4);
            j.ks("phone", &buf);
        }
        Card::None => {}
    }
    j.end_obj();
    j.end_obj();
}

fn apply_topic_vars(s: &mut WebSession, var: VarKind, sl: &Slots) {
    let mut order = String::new();
    push_u64(&mut order, sl.order.into());
    match var {
        VarKind::None => {}
        VarKind::Order => {
            set_var(&mut s.vars, "last_order_id", V::Str(order));
            set_var(&mut s.vars, "order_status", V::Lit("shipped"));
        }
        VarKind::Refund => {
            set_var(&mut s.vars, "last_order_id", V::Str(order));
            set_var(
                &mut s.vars,
                "refund_amount",
                V::Num(f64::from(sl.amount) / 100.0),
            );
        }
        VarKind::Store => set_var(&mut s.vars, "preferred_store", V::Lit(sl.city)),
        VarKind::Address => set_var(&mut s.vars, "shipping_city", V::Lit(sl.city)),
        VarKind::Product => set_var(&mut s.vars, "product_interest", V::Lit(sl.product)),
        VarKind::Points => set_var(&mut s.vars, "loyalty_points", V::Int(sl.points.into())),
        VarKind::Password => set_var(&mut s.vars, "password_reset_sent", V::Bool(true)),
    }
}

fn result_var(c: &Callout) -> String {
    let mut s = String::with_capacity(20);
    s.push_str(c.step);
    s.push_str("_result_1");
    s
}

/// Opens an action-level turn event (left open so the caller can add fields).
fn action_event(j: &mut J, event: &str, action: &str, title: &str, start: Ms, cond: &str) {
    j.obj();
    j.ks("event", event);
    j.kobj("source");
    j.ks("type", "action");
    j.ks("action", action);
    j.ks("action_title", title);
    j.end_obj();
    j.kts("action_start_time", start);
    j.ks("condition_type", cond);
}

fn step_event(
    j: &mut J,
    action: &str,
    title: &str,
    step: &str,
    start: Ms,
    cond: &str,
    question: bool,
) {
    j.obj();
    j.ks("event", "step_visited");
    j.kobj("source");
    j.ks("type", "step");
    j.ks("action", action);
    j.ks("action_title", title);
    j.ks("step", step);
    j.end_obj();
    j.ks("condition_type", cond);
    j.kts("action_start_time", start);
    j.kb("has_question", question);
    j.end_obj();
}

/// action_visited, step_visited(step_001), action_finished.
fn simple_action_events(
    j: &mut J,
    action: &str,
    title: &str,
    cond: &str,
    reason: &str,
    finished: &str,
    start: Ms,
) {
    action_event(j, "action_visited", action, title, start, cond);
    j.ks("reason", reason);
    j.end_obj();
    step_event(j, action, title, "step_001", start, cond, false);
    action_event(j, "action_finished", action, title, start, cond);
    j.ks("reason", finished);
    j.kempty("action_variables");
    j.end_obj();
}

fn callout_event(
    j: &mut J,
    rng: &mut R,
    tp: &Topic,
    c: &Callout,
    sl: &Slots,
    ok: bool,
    body: Option<&str>,
) {
    j.obj();
    j.ks("event", "callout");
    j.kobj("source");
    j.ks("type", "action");
    j.ks("action", tp.action);
    j.ks("action_title", tp.title);
    j.end_obj();
    j.kobj("callout");
    j.ks("type", "integration_interaction");
    j.kobj("internal");
    let mut hash = String::with_capacity(6);
    rng.push_hex(&mut hash, 6);
    j.ks("spec_hash_id", &hash);
    j.ks("catalog_item_id", rng.id().as_str());
    j.end_obj();
    j.ks("result_variable", &result_var(c));
    j.kobj("request");
    j.ks("method", c.method);
    j.ks("url", c.url);
    j.ks("path", &filled(c.path, sl));
    j.ks("query_parameters", "");
    j.kempty("headers");
    j.kempty("body");
    j.end_obj();
    j.kobj("response");
    if ok {
        j.ks("body", body.unwrap_or("{}"));
        j.ku("status_code", 200);
    } else {
        j.ks("body", "{\"error\":\"upstream unavailable\"}");
        j.ku("status_code", 503);
    }
    j.end_obj();
    j.end_obj();
    if !ok {
        j.kobj("error");
        j.ks("message", "Request failed with status code 503");
        j.end_obj();
    }
    j.end_obj();
}

fn conversational_search_item(
    j: &mut J,
    rng: &mut R,
    ai: usize,
    sl: &Slots,
    (pre, post): (f64, f64),
) {
    let art = &ARTICLES[ai];
    let answer = filled(art.answer, sl);
    j.obj();
    j.ks("response_type", "conversational_search");
    j.ks("text", &answer);
    j.ks("citations_title", "How do we know?");
    j.karr("citations");
    j.obj();
    j.ks("title", art.title);
    let cut = art.body.find('.').unwrap_or(art.body.len());
    j.ks("text", &art.body[..cut]);
    j.ks("body", art.body);
    j.ku("search_result_index", 0);
    j.karr("ranges");
    j.obj();
    j.ku("start", 0);
    j.ku("end", art.body[..cut].chars().count() as u64);
    j.end_obj();
    j.end_arr();
    j.end_obj();
    j.end_arr();
    j.kobj("confidence_scores");
    j.ku("threshold", 0);
    j.kd("pre_gen", pre, 4);
    j.kd("post_gen", post, 4);
    j.kd("extractiveness", 0.3 + 0.6 * rng.f(), 4);
    j.end_obj();
    j.ks(
        "response_length_option",
        rng.pick(&["moderate", "moderate", "concise", "verbose"]),
    );
    j.karr("search_results");
    let extra = rng.range(0, 2) as usize;
    let mut score = 12.0 + 10.0 * rng.f();
    // The cited article first, then up to two different ones.
    let mut offset = 0;
    for k in 0..=extra {
        if k > 0 {
            offset += 1 + rng.below(5);
        }
        let a = &ARTICLES[(ai + offset) % ARTICLES.len()];
        j.obj();
        j.kobj("result_metadata");
        j.ks("document_retrieval_source", "elasticsearch");
        j.kd("score", score, 2);
        j.end_obj();
        j.ks("id", a.id);
        j.ks("title", a.title);
        j.ks("body", a.body);
        j.end_obj();
        score *= 0.5 + 0.3 * rng.f();
    }
    j.end_arr();
    j.ks("disclaimer", DISCLAIMER);
    j.end_obj();
}

#[allow(clippy::too_many_arguments)]
fn generative_event(
    j: &mut J,
    rng: &mut R,
    ai: usize,
    text: &str,
    start: Ms,
    idk: bool,
    sl: &Slots,
    (pre, post): (f64, f64),
) {
    let art = &ARTICLES[ai];
    let search_ms = rng.range(120, 700) as u64;
    let gen_ms = rng.range(900, 3000) as u64;
    j.obj();
    j.ks("event", "generative_ai_called");
    j.kobj("source");
    j.ks("type", "action");
    j.ks("action", "anything_else");
    j.ks("action_title", "No action matches");
    j.end_obj();
    j.kts("generative_ai_start_time", start + 20);
    j.kobj("generative_ai");
    j.ks("task", "content_grounded_answering");
    j.kb("is_idk_response", idk);
    j.kb("is_hap_detected", false);
    j.kobj("confidence_scores");
    j.kd("pre_gen", pre, 4);
    j.ku("pre_gen_threshold", 0);
    j.kd("post_gen", if idk { post / 5.0 } else { post }, 4);
    j.ku("post_gen_threshold", 0);
    j.end_obj();
    if idk {
        j.ks("original_response", IDK_TEXT);
    } else {
        j.ks("original_response", &filled(art.answer, sl));
    }
    let query = text.trim_end_matches(['?', '!', '.']).to_lowercase();
    j.ks("inferred_query", &query);
    j.end_obj();
    j.kobj("callout");
    j.kb("search_called", true);
    j.kb("llm_called", true);
    j.kobj("search");
    j.ks("engine", "elasticsearch");
    j.ks("index", "kb-articles");
    j.ks("query", &query);
    j.end_obj();
    j.kobj("llm");
    j.ks("type", "watsonx");
    j.ks("model_id", LLM_MODEL);
    j.ku("generated_token_count", rng.range(20, 120) as u64);
    j.ku("input_token_count", rng.range(600, 2400) as u64);
    j.kb("success", true);
    j.end_obj();
    j.end_obj();
    j.kobj("metrics");
    j.ku("search_time_ms", search_ms);
    j.ku("answer_generation_time_ms", gen_ms);
    j.ku(
        "total_time_ms",
        search_ms + gen_ms + rng.range(5, 40) as u64,
    );
    j.end_obj();
    j.end_obj();
}

/// Adds exactly `bytes` bytes of members to the open `skill_variables` object (which already has
/// members): an order history while there is room, then a notes string to hit the size exactly.
fn write_padding(j: &mut J, bytes: usize, seed: u64, t: Ms) {
    const NOTES_OVERHEAD: usize = ",\"notes\":\"\"".len();
    const WORDS: &[&str] = &[
        "customer",
        "prefers",
        "email",
        "contact",
        "delivery",
        "weekday",
        "mornings",
        "order",
        "returned",
        "replacement",
        "sent",
        "loyal",
        "since",
        "asked",
        "about",
        "discount",
        "warranty",
        "follow",
        "up",
        "next",
        "week",
        "store",
        "pickup",
        "gift",
    ];
    let mut rng = R::new(seed);
    let target = j.s.len() + bytes;
    if bytes > 600 {
        let mut sl = Slots::random(&mut rng, t);
        j.karr("order_history");
        // Leave room for `]` and the notes member.
        while j.s.len() + 200 < target {
            sl.order = rng.range(10_000, 99_999) as u32;
            sl.product = rng.pick(PRODUCTS);
            sl.amount = rng.range(300, 40_000) as u32;
            j.obj();
            let mut id = String::with_capacity(8);
            push_u64(&mut id, sl.order.into());
            j.ks("order_id", &id);
            j.ks("item", sl.product);
            j.kd("total", f64::from(sl.amount) / 100.0, 2);
            j.ks(
                "status",
                rng.pick(&["delivered", "delivered", "returned", "shipped"]),
            );
            id.clear();
            push_date_iso(&mut id, t - rng.range(5, 700) * 86_400_000);
            j.ks("date", &id);
            j.end_obj();
        }
        j.end_arr();
    }
    let room = target.saturating_sub(j.s.len());
    if room >= NOTES_OVERHEAD {
        let mut notes = String::with_capacity(room);
        let want = room - NOTES_OVERHEAD;
        while notes.len() < want {
            if !notes.is_empty() {
                notes.push(' ');
            }
            notes.push_str(rng.pick(WORDS));
        }
        notes.truncate(want);
        j.ks("notes", &notes);
    }
}

// ------------------------------------------------------------------------------------------------
// Phone turns and call records
// ------------------------------------------------------------------------------------------------

/// One item of a phone turn's `output.generic`.
enum PItem {
    Text(String),
    DtmfCollect(u64),
    EndSession,
    Transfer,
}

/// How the caller's input arrived, for `input.integrations.voice_telephony`.
enum PInput {
    None,
    Speech(Stt, Id),
    Dtmf,
    Timeout,
}

impl Ctx {
    fn new_phone(&mut self, t: Ms) -> PhoneSession {
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

        let mut j = J::with_capacity(160);
        j.ks("sip_call_id", &sip_call_id);
        j.ks("assistant_phone_number", number);
        if let Some(c) = campaign {
            j.kobj("sip_custom_invite_headers");
            j.ks("X-Campaign", c);
            j.end_obj();
        }
        let vt = j.s;
        let mut j = J::with_capacity(vt.len() + 100);
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
            user_vars: vec![("menu", V::Lit("main"))],
            slots,
            turns: Vec::with_capacity(n + 1),
            active_at_start,
            stop: 0,
        }
    }

    fn phone_event(&mut self, s: &mut PhoneSession, t: Ms, j: &mut J) -> Option<Ms> {
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
    fn decide_next_mode(&mut self, s: &PhoneSession) -> Mode {
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
    fn phone_turn(&mut self, s: &mut PhoneSession, t: Ms, j: &mut J) -> Option<Ms> {
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
        let mut custom: Vec<(&'static str, V)> = Vec::new();
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
                    custom.push(("ivr_menu", V::Lit("main")));
                    custom.push(("call_reason", V::Lit("unknown")));
                }
                if rng.chance(0.15) {
                    custom.push(("language", V::Lit(rng.pick(&["en-US", "en-US", "es-US"]))));
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
                    custom.push(("call_reason", V::Lit("agent_request")));
                }
                if rng.chance(0.4) {
                    let queue = s.flow.map_or("support", |f| FLOWS[f].menu);
                    custom.push(("transfer_queue", V::Lit(queue)));
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
                                    custom.push(("account_verified", V::Bool(rng.chance(0.92))));
                                }
                                if rng.chance(0.3) {
                                    custom.push(("customer_tier", V::Lit(rng.pick(TIERS))));
                                }
                                set_var(&mut s.user_vars, "pin_verified", V::Bool(true));
                            }
                            StepKind::Zip if dtmf => dtmf_digits = 5,
                            StepKind::Amount => {
                                if rng.chance(0.9) {
                                    custom.push((
                                        "payment_amount",
                                        V::Num(f64::from(sl.amount) / 100.0),
                                    ));
                                }
                                set_var(
                                    &mut s.user_vars,
                                    "payment_amount",
                                    V::Num(f64::from(sl.amount) / 100.0),
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
                            custom.push(("call_reason", V::Lit(f.reason)));
                        }
                        if rng.chance(0.4) {
                            custom.push(("ivr_menu", V::Lit(f.menu)));
                        }
                        set_var(&mut s.user_vars, "menu", V::Lit(f.menu));
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
                    custom.push((key, V::Lit("")));
                }
                if rng.chance(0.03) {
                    custom.push(("language", V::Lit(rng.pick(&["en-US", "es-US"]))));
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

    /// Writes the call's `cdr_logged` body.
    fn cdr(&mut self, s: &PhoneSession, j: &mut J) {
        let rng = &mut self.rng;
        let stop = s.stop;
        let failed = matches!(s.end, End::FailedMedia | End::FailedTransfer);
        let transferred = matches!(s.end, End::Transfer | End::FailedTransfer);
        let hangup_turn = matches!(s.end, End::CallerHangup | End::FailedMedia);
        let end_reason = match s.end {
            End::CallerHangup => "caller_hangup",
            End::AssistantHangup => "assistant_hangup",
            End::Transfer => "assistant_transfer",
            End::FailedTransfer | End::FailedMedia => "failed",
        };
        let elapsed = (stop - s.call_start).max(0) as u64;
        let deployment = self.deploy.phone;
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

        j.obj();
        j.kobj("event");
        j.ks("name", "cdr_logged");
        j.end_obj();
        j.kobj("payload");
        j.ks("primary_phone_number", s.number);
        j.ks("global_session_id", s.global_id.as_str());
        j.kb("failure_occurred", failed);
        if failed {
            let details = if s.end == End::FailedTransfer {
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
            };
            j.ks("failure_details", &details);
        }
        j.kb("transfer_occurred", transferred);
        j.ku("active_calls", s.active_at_start);
        j.ks("x-global-sip-trunk-call-id", &s.trunk_id);

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

        j.kobj("max_response_milliseconds");
        j.ku("assistant", assistant_max as u64);
        j.ku("text_to_speech", tts_max as u64);
        j.ku("speech_to_text", stt_max as u64);
        j.end_obj();

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
        if hangup_turn {
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

        if rng.chance(0.4) {
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
        if s.custom_set {
            j.kobj("injected_custom_data");
            write_vars(j, &s.custom);
            j.end_obj();
        }
        j.end_obj(); // payload
        j.end_obj();
    }
}

impl Flow {
    fn intent_condition(&self) -> &'static str {
        match self.intent {
            "pay_bill" => "#pay_bill",
            "check_balance" => "#check_balance",
            "report_outage" => "#report_outage",
            "update_address" => "#update_address",
            "schedule_appointment" => "#schedule_appointment",
            "cancel_service" => "#cancel_service",
            _ => "#store_hours",
        }
    }
}

fn warning(j: &mut J, key: &str, code: &str, message: &str) {
    j.obj();
    j.ks(key, code);
    j.ks("message", message);
    j.end_obj();
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use serde_json::{Map, Value};

    use super::*;

    fn parse(body: &[u8]) -> Value {
        serde_json::from_slice(body).unwrap_or_else(|e| {
            panic!("{e}: {}", String::from_utf8_lossy(body));
        })
    }

    fn opts(seed: u64) -> GenerateOptions {
        GenerateOptions {
            seed,
            ..GenerateOptions::default()
        }
    }

    fn s<'a>(v: &'a Value, pointer: &str) -> &'a str {
        v.pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("{pointer} missing in {v}"))
    }

    /// The time a body is "about": a message's request, a call record's end.
    fn event_time(v: &Value) -> String {
        match s(v, "/event/name") {
            "message_logged" => s(v, "/payload/request_timestamp").to_owned(),
            _ => s(v, "/payload/call/stop_timestamp").to_owned(),
        }
    }

    /// FNV-1a over each body and its length: a fingerprint of the exact bytes.
    fn fingerprint(bodies: impl IntoIterator<Item = Vec<u8>>) -> u64 {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        let mut eat = |bytes: &[u8]| {
            for &b in bytes {
                hash ^= u64::from(b);
                hash = hash.wrapping_mul(0x0100_0000_01b3);
            }
        };
        for body in bodies {
            eat(&(body.len() as u64).to_le_bytes());
            eat(&body);
        }
        hash
    }

    /// The generator's output is pinned: refactoring must not change a byte. If a change to the
    /// traffic is intended, update the hashes (and say so in the commit).
    #[test]
    fn output_is_byte_for_byte_stable() {
        let default_stream = fingerprint(Generator::new(opts(42)).take(2000));
        let six_hours = GenerateOptions {
            seed: 7,
            start: GenerateOptions::default().start,
            span: Duration::hours(6),
        };
        let compressed = fingerprint(Generator::with_event_count(six_hours, 50_000).take(2000));
        let zero_span = GenerateOptions {
            span: Duration::zero(),
            ..six_hours
        };
        let zero = fingerprint(Generator::with_event_count(zero_span, 1000).take(500));
        let sized = fingerprint(
            [10, 1500, 2048, 10_000, 100_000]
                .into_iter()
                .flat_map(|size| (0..40).map(move |seed| message_body(seed, size))),
        );
        assert_eq!(
            [default_stream, compressed, zero, sized],
            [
                0xd1d7_f825_539a_8ef9,
                0x5822_24dd_a973_2908,
                0x456d_a937_f4ff_f927,
                0x7f2b_8e7c_8a2f_da5f,
            ],
            "the generated bytes changed"
        );
    }

    #[test]
    fn same_seed_same_bytes_different_seed_different_bytes() {
        let a: Vec<Vec<u8>> = Generator::new(opts(7)).take(200).collect();
        let b: Vec<Vec<u8>> = Generator::new(opts(7)).take(200).collect();
        let c: Vec<Vec<u8>> = Generator::new(opts(8)).take(200).collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(a.iter().zip(&c).all(|(x, y)| x != y));
    }

    #[test]
    fn every_body_is_a_webhook_event() {
        for seed in [1, 2, 3] {
            for body in Generator::new(opts(seed)).take(1500) {
                let v = parse(&body);
                let top = v.as_object().expect("object");
                assert_eq!(top.len(), 2, "{v}");
                let name = s(&v, "/event/name");
                assert!(matches!(name, "message_logged" | "cdr_logged"), "{name}");
                let payload = v["payload"].as_object().expect("payload object");
                let required: &[&str] = if name == "message_logged" {
                    &[
                        "log_id",
                        "request",
                        "response",
                        "assistant_id",
                        "session_id",
                        "skill_id",
                        "snapshot",
                        "request_timestamp",
                        "response_timestamp",
                        "language",
                    ]
                } else {
                    &[
                        "primary_phone_number",
                        "global_session_id",
                        "failure_occurred",
                        "transfer_occurred",
                        "call",
                        "session_initiation_protocol",
                        "max_response_milliseconds",
                        "assistant_interaction_summaries",
                        "warnings_and_errors",
                    ]
                };
                for key in required {
                    assert!(payload.contains_key(*key), "{key} missing in {v}");
                }
                if name == "message_logged" {
                    let sid = s(&v, "/payload/session_id");
                    assert_eq!(sid, s(&v, "/payload/response/context/global/session_id"));
                    assert!(
                        s(&v, "/payload/request_timestamp") <= s(&v, "/payload/response_timestamp")
                    );
                    assert!(
                        v.pointer("/payload/response/output/generic")
                            .unwrap()
                            .is_array()
                    );
                }
            }
        }
    }

    #[test]
    fn timestamps_match_chrono_formatting() {
        let mut rng = R::new(5);
        for _ in 0..2000 {
            let ms = rng.range(-2_000_000_000_000, 4_000_000_000_000);
            let mut ours = String::new();
            push_ts(&mut ours, ms);
            let theirs = DateTime::from_timestamp_millis(ms)
                .unwrap()
                .format("%Y-%m-%dT%H:%M:%S%.3fZ")
                .to_string();
            assert_eq!(ours, theirs);
        }
        let mut out = String::new();
        push_dec(&mut out, 42.5, 2);
        out.push(' ');
        push_dec(&mut out, 0.94125, 4);
        out.push(' ');
        push_dec(&mut out, 1.0, 4);
        out.push(' ');
        push_dec(&mut out, 0.05, 2);
        assert_eq!(out, "42.5 0.9413 1 0.05");
    }

    #[derive(Default)]
    struct Call {
        log_ids: Vec<String>,
        sip_call_id: String,
        custom: Map<String, Value>,
    }

    /// Checks the linking and bookkeeping invariants over a stream; returns counts by kind.
    fn check_stream(seed: u64, n: usize) -> (usize, usize, usize) {
        let (mut web, mut phone, mut cdrs) = (0, 0, 0);
        let mut log_ids = HashSet::new();
        let mut turn_counts: HashMap<String, u64> = HashMap::new();
        let mut calls: HashMap<String, Call> = HashMap::new();
        let mut cdr_sessions = HashSet::new();
        let mut session_users: HashMap<String, String> = HashMap::new();
        let mut last_time = String::new();
        let mut response_types = HashSet::new();
        let mut invite_keys = HashSet::new();
        let mut warning_keys = HashSet::new();
        let mut end_reasons = HashSet::new();

        for body in Generator::new(opts(seed)).take(n) {
            let v = parse(&body);
            let time = event_time(&v);
            assert!(time >= last_time, "{time} after {last_time}");
            last_time = time;
            let p = &v["payload"];
            if s(&v, "/event/name") == "message_logged" {
                let log_id = s(p, "/log_id").to_owned();
                assert!(log_ids.insert(log_id.clone()), "duplicate log_id {log_id}");
                let sid = s(p, "/session_id").to_owned();
                let tc = p
                    .pointer("/response/context/global/system/turn_count")
                    .and_then(Value::as_u64)
                    .unwrap();
                let prev = turn_counts.insert(sid.clone(), tc).unwrap_or(0);
                assert_eq!(tc, prev + 1, "turn_count in {sid}");
                session_users.insert(sid.clone(), s(p, "/response/user_id").to_owned());
                for item in p
                    .pointer("/response/output/generic")
                    .unwrap()
                    .as_array()
                    .unwrap()
                {
                    response_types.insert(s(item, "/response_type").to_owned());
                }
                let channel = s(p, "/response/context/integrations/channel/name");
                if channel == "Phone" {
                    phone += 1;
                    assert!(
                        p.pointer("/response/output/debug/nodes_visited")
                            .unwrap()
                            .is_array()
                    );
                    let call = calls.entry(sid.clone()).or_default();
                    call.log_ids.push(log_id);
                    call.sip_call_id = s(
                        p,
                        "/response/context/integrations/voice_telephony/sip_call_id",
                    )
                    .to_owned();
                    if let Some(delta) =
                        p.pointer("/response/context/integrations/voice_telephony/cdr_custom_data")
                    {
                        for (k, val) in delta.as_object().unwrap() {
                            if val == "" {
                                call.custom.remove(k);
                            } else {
                                call.custom.insert(k.clone(), val.clone());
                            }
                        }
                    }
                    if let Some(vt) = p.pointer("/request/input/integrations/voice_telephony") {
                        if vt["is_dtmf"] == true {
                            assert!(
                                s(p, "/request/input/text")
                                    .bytes()
                                    .all(|b| b.is_ascii_digit())
                            );
                        }
                        if let Some(stt) = vt.get("speech_to_text_result") {
                            let c = stt
                                .pointer("/results/0/alternatives/0/confidence")
                                .and_then(Value::as_f64)
                                .unwrap();
                            assert!((0.0..=1.0).contains(&c));
                        }
                    }
                    assert!(!cdr_sessions.contains(&sid), "turn after its call record");
                } else {
                    assert_eq!(channel, "Web chat");
                    web += 1;
                    assert!(
                        p.pointer("/response/output/debug/turn_events")
                            .unwrap()
                            .is_array()
                    );
                }
            } else {
                cdrs += 1;
                let summary = &p["assistant_interaction_summaries"][0];
                let sid = s(summary, "/session_id").to_owned();
                let call = calls
                    .get(&sid)
                    .unwrap_or_else(|| panic!("call record for unknown session {sid}"));
                assert!(
                    cdr_sessions.insert(sid.clone()),
                    "two call records for {sid}"
                );
                assert_eq!(
                    s(p, "/session_initiation_protocol/headers/call_id"),
                    call.sip_call_id
                );
                let mut linked = Vec::new();
                for turn in summary["turns"].as_array().unwrap() {
                    let id = s(turn, "/assistant/log_id").to_owned();
                    if s(turn, "/request/type") == "hangup" {
                        assert!(log_ids.insert(id), "hangup turn reuses a log_id");
                    } else {
                        linked.push(id);
                    }
                }
                assert_eq!(linked, call.log_ids, "call record turns of {sid}");
                let injected = p
                    .get("injected_custom_data")
                    .cloned()
                    .unwrap_or(Value::Object(Map::new()));
                assert_eq!(
                    injected,
                    Value::Object(call.custom.clone()),
                    "custom data of {sid}"
                );
                let end = s(p, "/call/end_reason");
                end_reasons.insert(end.to_owned());
                assert_eq!(p["failure_occurred"] == true, end == "failed");
                assert_eq!(p.get("failure_details").is_some(), end == "failed");
                if end == "assistant_transfer" {
                    assert_eq!(p["transfer_occurred"], true);
                }
                let elapsed = p
                    .pointer("/call/milliseconds_elapsed")
                    .and_then(Value::as_u64)
                    .unwrap();
                assert!((5_000..=600_000).contains(&elapsed), "{elapsed}");
                let sip = p["session_initiation_protocol"].as_object().unwrap();
                invite_keys.extend(sip.keys().filter(|k| k.starts_with("invite")).cloned());
                for w in p["warnings_and_errors"].as_array().unwrap() {
                    let key = if w.get("code").is_some() {
                        "code"
                    } else {
                        "id"
                    };
                    assert!(s(w, &format!("/{key}")).starts_with("CWSMR"));
                    warning_keys.insert(key);
                }
            }
        }

        for t in [
            "text",
            "option",
            "suggestion",
            "image",
            "pause",
            "user_defined",
            "conversational_search",
            "connect_to_agent",
            "dtmf",
            "end_session",
        ] {
            assert!(response_types.contains(t), "no {t} response in seed {seed}");
        }
        assert_eq!(invite_keys.len(), 2, "{invite_keys:?}");
        assert_eq!(warning_keys.len(), 2, "{warning_keys:?}");
        assert_eq!(end_reasons.len(), 4, "{end_reasons:?}");

        // A few percent of sessions belong to a user seen in an earlier session.
        let mut seen = HashSet::new();
        let reused = session_users
            .values()
            .filter(|u| !seen.insert(u.as_str()))
            .count();
        let share = reused as f64 / session_users.len() as f64;
        assert!((0.003..0.08).contains(&share), "user reuse {share}");
        // Almost every finished call has its record.
        assert!(
            cdrs as f64 >= 0.8 * calls.len() as f64 - 30.0,
            "{cdrs} of {}",
            calls.len()
        );
        (web, phone, cdrs)
    }

    #[test]
    fn stream_links_and_proportions() {
        for seed in [11, 12] {
            let n = 3000;
            let (web, phone, cdr) = check_stream(seed, n);
            let share = |k: usize| k as f64 / n as f64;
            assert!((0.5..0.7).contains(&share(web)), "web {web}");
            assert!((0.22..0.38).contains(&share(phone)), "phone {phone}");
            assert!((0.06..0.14).contains(&share(cdr)), "cdr {cdr}");
        }
    }

    #[test]
    fn text_is_varied() {
        let mut texts = HashSet::new();
        let mut replies = HashSet::new();
        let mut total = 0;
        for body in Generator::new(opts(3)).take(3000) {
            let v = parse(&body);
            if let Some(text) = v
                .pointer("/payload/request/input/text")
                .and_then(Value::as_str)
            {
                if !text.is_empty() {
                    total += 1;
                    texts.insert(text.to_owned());
                }
                for item in v
                    .pointer("/payload/response/output/generic")
                    .unwrap()
                    .as_array()
                    .unwrap()
                {
                    if let Some(t) = item.get("text").and_then(Value::as_str) {
                        replies.insert(t.to_owned());
                    }
                }
            }
        }
        assert!(
            texts.len() * 2 > total,
            "{} distinct of {total}",
            texts.len()
        );
        assert!(replies.len() > 800, "{} distinct replies", replies.len());
    }

    #[test]
    fn event_count_spreads_over_the_span() {
        let o = GenerateOptions {
            seed: 4,
            start: GenerateOptions::default().start,
            span: Duration::hours(6),
        };
        let bodies: Vec<Value> = Generator::with_event_count(o, 4000)
            .take(4000)
            .map(|b| parse(&b))
            .collect();
        let first = event_time(&bodies[0]);
        let last = event_time(&bodies[bodies.len() - 1]);
        assert_eq!(first, "2026-03-01T00:00:00.000Z");
        assert!(last.as_str() > "2026-03-01T04:30:00.000Z", "{last}");
        assert!(last.as_str() < "2026-03-01T08:00:00.000Z", "{last}");

        // A zero span still gives ordered, parseable output.
        let zero = GenerateOptions {
            span: Duration::zero(),
            ..o
        };
        let mut last = String::new();
        for body in Generator::with_event_count(zero, 1000).take(1000) {
            let t = event_time(&parse(&body));
            assert!(t >= last);
            last = t;
        }
    }

    #[test]
    fn message_body_hits_its_size() {
        let mut ids = HashSet::new();
        for seed in 0..50 {
            let body = message_body(seed, 2048);
            assert!((1843..=2253).contains(&body.len()), "{} bytes", body.len());
            let v = parse(&body);
            assert_eq!(s(&v, "/event/name"), "message_logged");
            assert!(ids.insert(s(&v, "/payload/log_id").to_owned()));
            assert!(ids.insert(s(&v, "/payload/session_id").to_owned()));
        }
        assert_eq!(message_body(9, 2048), message_body(9, 2048));
        for target in [1500, 3000, 10_000, 300_000] {
            let body = message_body(1, target);
            let len = body.len() as f64;
            assert!(
                (len - target as f64).abs() <= 0.1 * target as f64,
                "{target}: {len}"
            );
            parse(&body);
        }
        // Too small to reach: the smallest body there is.
        assert!(message_body(1, 10).len() < 1500);
        parse(&message_body(1, 10));
    }
}
