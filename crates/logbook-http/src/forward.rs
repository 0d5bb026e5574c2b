//! The forwarder: passes every event accepted on a forwarding endpoint on to its downstreams, as
//! Watson would deliver it, from the durable outbox (`logbook_core::store::outbox`).
//!
//! Each downstream has its own delivery threads. By default one, taking its outbox rows in id order
//! (arrival order): a row is retried until the downstream answers 2xx, with exponential backoff and
//! jitter, across restarts, before the next row goes. A downstream set to `parallel` N has N
//! threads, each taking the oldest due row no other has under way: at most N deliveries at once,
//! never the same row twice at once, and a row waiting for its retry does not hold back the others.
//! Each delivery is a `POST` of the exact stored body with `Content-Type: application/json`, the
//! downstream's `Authorization` (a fresh HS256 JWT signed with its own secret, the header Watson
//! sent passed through, the secret as the header's whole value, or none), its extra headers, and
//! `X-Logbook-Delivery` (the same id on every attempt of a row, for the downstream to deduplicate)
//! and `X-Logbook-Event`. Redirects are not followed: the URL is the user's, never the payload's. The
//! acknowledgement to Watson never waits for any of it. The `POST` itself is [`crate::post`]'s,
//! which replays use too.

use std::collections::HashSet;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use logbook_core::auth;
use logbook_core::config::{Forward, ForwardAuth, OutboxLimits};
use logbook_core::store::Store;
use logbook_core::store::outbox::{self, After, Attempt, OutboxWrite};

use crate::post;

/// The first retry waits about this long; each further one twice as long, up to [`MAX_BACKOFF_MS`].
const FIRST_BACKOFF_MS: u64 = 1_000;
const MAX_BACKOFF_MS: u64 = 10 * 60 * 1_000;
/// How often each downstream's outbox is brought within its bounds.
const BOUND_EVERY_S: u64 = 60;
/// With nothing to deliver, how long a forwarder waits for news before it looks again.
const IDLE_MS: u64 = 1_000;

pub struct Forwarder {
    /// Per delivery thread: the channel that stops it (by being dropped), and the thread.
    threads: Vec<(Sender<()>, JoinHandle<()>)>,
}

/// What one downstream's threads share.
struct Downstream {
    forward: Forward,
    agent: ureq::Agent,
    /// Rows under way (parallel delivery): no two threads take the same row.
    in_flight: Mutex<HashSet<i64>>,
}

impl Forwarder {
    /// Starts each downstream's delivery threads (one, or its `parallel`).
    pub fn start(store: Arc<Store>, forwards: Vec<Forward>, bounds: OutboxLimits) -> Self {
        let mut threads = Vec::new();
        for forward in forwards {
            let workers = forward.parallel.max(1);
            let downstream = Arc::new(Downstream {
                forward,
                agent: post::agent(),
                in_flight: Mutex::default(),
            });
            for worker in 0..workers {
                let (store, downstream) = (store.clone(), downstream.clone());
                let (stop, stopped) = mpsc::channel::<()>();
                let thread = std::thread::Builder::new()
                    .name("logbook-forward".into())
                    .spawn(move || run(&store, &downstream, worker == 0, bounds, &stopped))
                    .expect("spawn forwarder thread");
                threads.push((stop, thread));
            }
        }
        Self { threads }
    }

    /// Stops every downstream's threads after the attempts under way (what is undelivered stays in
    /// the outbox for the next start).
    pub fn shutdown(mut self) {
        let threads: Vec<_> = self.threads.drain(..).map(|(_, thread)| thread).collect();
        for thread in threads {
            let _ = thread.join();
        }
    }
}

/// Waits `how_long`; `false` when the forwarder is stopping (its stop channel was dropped).
fn pause(stopped: &Receiver<()>, how_long: Duration) -> bool {
    matches!(
        stopped.recv_timeout(how_long),
        Err(RecvTimeoutError::Timeout)
    )
}

/// One delivery thread of `downstream`; the `first` also keeps its outbox within `bounds`.
fn run(
    store: &Store,
    downstream: &Downstream,
    first: bool,
    bounds: OutboxLimits,
    stopped: &Receiver<()>,
) {
    let forward = &downstream.forward;
    let parallel = forward.parallel > 1;
    let news = store.subscribe();
    let mut bounded_at: Option<Instant> = None;
    let mut reader = None;
    while pause(stopped, Duration::ZERO) {
        if first && bounded_at.is_none_or(|at| at.elapsed() >= Duration::from_secs(BOUND_EVERY_S)) {
            let now = now_ms();
            let bound = OutboxWrite::Bound {
                target: forward.target.clone(),
                created_before: now
                    .saturating_sub(bounds.max_age().as_millis().min(i64::MAX as u128) as i64),
                keep: bounds.max_pending as i64,
                now,
            };
            if store.record_outbox(bound).is_ok() {
                bounded_at = Some(Instant::now());
            }
        }
        if reader.is_none() {
            reader = store.reader().ok();
        }
        let Some(conn) = &reader else {
            pause(stopped, Duration::from_millis(IDLE_MS));
            continue;
        };
        let next = if parallel {
            take_due(conn, downstream)
        } else {
            outbox::next_pending(conn, &forward.target)
        };
        let pending = match next {
            Ok(pending) => pending,
            Err(_) => {
                reader = None;
                pause(stopped, Duration::from_millis(IDLE_MS));
                continue;
            }
        };
        let Some(pending) = pending else {
            // Nothing due: wait for the next commit (or look again in a while).
            match news.recv_timeout(Duration::from_millis(if parallel { 100 } else { IDLE_MS })) {
                Ok(_) | Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    pause(stopped, Duration::from_millis(IDLE_MS));
                }
            }
            continue;
        };
        let wait = pending.next_at - now_ms();
        if wait > 0 {
            pause(stopped, Duration::from_millis((wait as u64).min(IDLE_MS)));
            continue;
        }
        let attempt = deliver(&downstream.agent, forward, &pending);
        // Not recorded (the disk is full, say): the row stays pending and is delivered again.
        let recorded = store.record_outbox(OutboxWrite::Attempt(attempt));
        if parallel {
            lock(&downstream.in_flight).remove(&pending.id);
        }
        if recorded.is_err() {
            pause(stopped, Duration::from_millis(IDLE_MS));
        }
    }
}

/// The oldest due row of `downstream` that no other thread has under way, marked as taken.
fn take_due(
    conn: &rusqlite::Connection,
    downstream: &Downstream,
) -> rusqlite::Result<Option<outbox::Pending>> {
    let forward = &downstream.forward;
    // Locked before the query: a row is released only after its attempt is committed, so a row
    // seen here as pending and not under way really is both.
    let mut in_flight = lock(&downstream.in_flight);
    // At most `parallel - 1` rows are under way elsewhere: `parallel` candidates hold a free one.
    let due = outbox::due_pending(conn, &forward.target, now_ms(), forward.parallel as usize)?;
    let free = due.into_iter().find(|p| !in_flight.contains(&p.id));
    if let Some(p) = &free {
        in_flight.insert(p.id);
    }
    Ok(free)
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One attempt at delivering `pending` to `forward`, and what becomes of the row.
fn deliver(agent: &ureq::Agent, forward: &Forward, pending: &outbox::Pending) -> Attempt {
    let at = now_ms();
    let (delivery, event) = (pending.id.to_string(), pending.event_id.to_string());
    let token;
    let authorization = match &forward.auth {
        ForwardAuth::Jwt(secret) => {
            token = auth::sign(secret, at / 1000);
            Some(token.as_str())
        }
        ForwardAuth::Passthrough => pending.authorization.as_deref(),
        ForwardAuth::Header(secret) => Some(secret.expose()),
        ForwardAuth::None => None,
    };
    let mut headers: Vec<(&str, &str)> = forward
        .headers
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    headers.extend(authorization.map(|value| ("Authorization", value)));
    headers.push(("X-Logbook-Delivery", &delivery));
    headers.push(("X-Logbook-Event", &event));
    let answer = post::post(agent, &forward.url, &headers, &pending.body);
    let then = match answer.status {
        Some(200..=299) => After::Delivered,
        _ => After::Retry(answer.at + backoff_ms(pending.attempts + 1) as i64),
    };
    Attempt {
        outbox_id: pending.id,
        at,
        status: answer.status,
        error: answer.error,
        response_body: answer.body,
        latency_ms: answer.latency_ms,
        then,
    }
}

/// How long to wait before attempt number `attempt + 1` (the first retry is `attempt` 1): doubling
/// from [`FIRST_BACKOFF_MS`] up to [`MAX_BACKOFF_MS`], each a random 50–100 % of that, so that many
/// rows retried together spread out.
pub fn backoff_ms(attempt: i64) -> u64 {
    let doubling = attempt.clamp(1, 30) as u32 - 1;
    let full = FIRST_BACKOFF_MS
        .saturating_mul(1u64 << doubling.min(20))
        .min(MAX_BACKOFF_MS);
    let jitter: f64 = rand::random_range(0.5..=1.0);
    (full as f64 * jitter) as u64
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_up_to_its_cap() {
        for attempt in 1..40 {
            let full = (FIRST_BACKOFF_MS << (attempt - 1).min(20)).min(MAX_BACKOFF_MS);
            for _ in 0..50 {
                let wait = backoff_ms(attempt);
                assert!(
                    wait >= full / 2 && wait <= full,
                    "attempt {attempt}: {wait} of {full}"
                );
            }
        }
    }
}
