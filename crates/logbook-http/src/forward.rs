//! The forwarder: passes every event accepted on a forwarding endpoint on to its downstreams, as
//! Watson would deliver it, from the durable outbox (`logbook_core::store::outbox`).
//!
//! One thread per downstream takes its outbox rows in id order (arrival order): a row is retried
//! until the downstream answers 2xx, with exponential backoff and jitter, across restarts, before
//! the next row goes. Each delivery is a `POST` of the exact stored body with `Content-Type:
//! application/json`, the downstream's own `Authorization` (a fresh HS256 JWT signed with its
//! secret, the secret as the header's whole value, or none), and `X-Logbook-Delivery` (the same id on
//! every attempt of a row, for the downstream to deduplicate) and `X-Logbook-Event`. Redirects are not
//! followed: the URL is the user's, never the payload's. The acknowledgement to Watson never waits
//! for any of it. The `POST` itself is [`crate::post`]'s, which replays use too.

use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use logbook_core::config::{Forward, OutboxLimits};
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
    /// Per downstream: the channel that stops its thread (by being dropped), and the thread.
    threads: Vec<(Sender<()>, JoinHandle<()>)>,
}

impl Forwarder {
    /// Starts one delivery thread per downstream.
    pub fn start(store: Arc<Store>, forwards: Vec<Forward>, bounds: OutboxLimits) -> Self {
        let threads = forwards
            .into_iter()
            .map(|forward| {
                let store = store.clone();
                let (stop, stopped) = mpsc::channel::<()>();
                let thread = std::thread::Builder::new()
                    .name("logbook-forward".into())
                    .spawn(move || run(&store, &forward, bounds, &stopped))
                    .expect("spawn forwarder thread");
                (stop, thread)
            })
            .collect();
        Self { threads }
    }

    /// Stops every downstream's thread after the attempt under way (what is undelivered stays in
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

fn run(store: &Store, forward: &Forward, bounds: OutboxLimits, stopped: &Receiver<()>) {
    let agent = post::agent();
    let news = store.subscribe();
    let mut bounded_at: Option<Instant> = None;
    let mut reader = None;
    while pause(stopped, Duration::ZERO) {
        if bounded_at.is_none_or(|at| at.elapsed() >= Duration::from_secs(BOUND_EVERY_S)) {
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
        let pending = match outbox::next_pending(conn, &forward.target) {
            Ok(pending) => pending,
            Err(_) => {
                reader = None;
                pause(stopped, Duration::from_millis(IDLE_MS));
                continue;
            }
        };
        let Some(pending) = pending else {
            // Nothing to deliver: wait for the next commit (or look again in a while).
            match news.recv_timeout(Duration::from_millis(IDLE_MS)) {
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
        let attempt = deliver(&agent, forward, &pending);
        // Not recorded (the disk is full, say): the row stays pending and is delivered again.
        if store.record_outbox(OutboxWrite::Attempt(attempt)).is_err() {
            pause(stopped, Duration::from_millis(IDLE_MS));
        }
    }
}

/// One attempt at delivering `pending` to `forward`, and what becomes of the row.
fn deliver(agent: &ureq::Agent, forward: &Forward, pending: &outbox::Pending) -> Attempt {
    let marks = [
        ("X-Logbook-Delivery", pending.id.to_string()),
        ("X-Logbook-Event", pending.event_id.to_string()),
    ];
    let answer = post::post(agent, &forward.url, &forward.auth, &marks, &pending.body);
    let then = match answer.status {
        Some(200..=299) => After::Delivered,
        _ => After::Retry(answer.at + backoff_ms(pending.attempts + 1) as i64),
    };
    Attempt {
        outbox_id: pending.id,
        at: answer.at,
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
