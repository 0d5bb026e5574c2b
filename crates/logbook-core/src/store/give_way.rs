//! Acknowledgements first: projection gives way while writes queue for the event log's writer.
//!
//! Contract: when on average at least [`QUEUED`] writes were waiting for their commit over each of
//! the last [`STARTS_AFTER`] windows of [`WINDOW`] (a burst: more requests come than one commit at
//! a time answers), the deriver waits instead of reading its next batch, so the receiver and the
//! writer have the cores and the disk, until a window with fewer than half as many waiting; for at
//! most [`MOST`] from its first wait since projection last caught up. (One window over is not
//! enough: a slow sync of the disk queues a steady trickle for a moment.) A load that lasts
//! longer is then projected beside the acknowledgements, as without the wait, and projection waits
//! again only once the queue has been short (under half the mark) for [`REARMS_AFTER`] and
//! projection has caught up: a lasting load is not taken for a new burst every time projection
//! catches up with it, and the lag stays at what one wait added. After a wait the queue ended,
//! projection may wait again as soon as it has caught up. A steady trickle is projected at once.
//!
//! Why: projecting beside a burst cost it about a quarter of its rate, even with the deriver and
//! projector at the lowest priority (the caches and the disk they share with the writer, not only
//! the CPU): see the README's Benchmarks. Waiting is the only way projection yields: at a low
//! priority as well, a load longer than [`MOST`] left it almost no CPU, and its lag grew for as long
//! as the load lasted, at rates the machine keeps up with at an even priority.
//!
//! The measure: the time writes have waited, from their queueing to their commit, summed as it grows
//! (`writer::Waiting`). Over a stretch of wall time, that sum's growth divided by the stretch is how
//! many writes were waiting on average (Little's law). Paced at 1,000 events/s on the development
//! machine it is under one; in a burst from 16 connections, about ten.

use std::time::{Duration, Instant};

/// Writes waiting on average, over a window, that make the deriver wait.
pub const QUEUED: f64 = 4.0;
/// How often the queue is measured, and how long the deriver waits between looks.
pub const WINDOW: Duration = Duration::from_millis(100);
/// Windows in a row with [`QUEUED`] writes waiting before the deriver waits.
pub const STARTS_AFTER: u32 = 2;
/// The longest projection waits, counted from its first wait since it last caught up: the most a
/// burst adds to the projection lag.
pub const MOST: Duration = Duration::from_secs(10);
/// After a wait that [`MOST`] ended (the load outlasted it), how long the queue must stay short
/// before projection waits again. Without it, a load that lasts was taken for a new burst each time
/// projection caught up with it: paced at 2,000 events/s for 60 s, projection waited 20 s in all,
/// and its lag reached 8 s.
pub const REARMS_AFTER: Duration = Duration::from_secs(1);

/// The deriver's judgement of whether to wait, from the writer's running sum of the time writes
/// waited (`writer::Waiting::total`).
#[derive(Debug)]
pub(super) struct GiveWay {
    /// When the queue was last measured, and the writer's sum then.
    measured: (Instant, Duration),
    /// Windows in a row with [`QUEUED`] writes waiting.
    over: u32,
    queued: bool,
    /// The first wait since projection last caught up.
    since: Option<Instant>,
    /// [`MOST`] ended a wait while the queue lasted.
    outlasted: bool,
    /// Since when the queue has been short.
    short_since: Option<Instant>,
}

impl GiveWay {
    pub(super) fn new(now: Instant, writes_waited: Duration) -> Self {
        Self {
            measured: (now, writes_waited),
            over: 0,
            queued: false,
            since: None,
            outlasted: false,
            short_since: Some(now),
        }
    }

    /// Whether the deriver should wait now, the writes committed so far having waited
    /// `writes_waited` in all.
    pub(super) fn waits(&mut self, now: Instant, writes_waited: Duration) -> bool {
        let (then, waited_then) = self.measured;
        let window = now.saturating_duration_since(then);
        if window >= WINDOW {
            let waiting =
                writes_waited.saturating_sub(waited_then).as_secs_f64() / window.as_secs_f64();
            self.over = if waiting >= QUEUED { self.over + 1 } else { 0 };
            self.queued = if self.queued {
                waiting >= QUEUED / 2.0
            } else {
                self.over >= STARTS_AFTER
            };
            self.measured = (now, writes_waited);
            if self.queued {
                self.short_since = None;
            } else {
                self.short_since.get_or_insert(now);
            }
        }
        if !self.queued {
            return false;
        }
        let waits = now.saturating_duration_since(*self.since.get_or_insert(now)) < MOST;
        self.outlasted |= !waits;
        waits
    }

    /// Projection has caught up: the next burst may make it wait [`MOST`] again, unless the load
    /// outlasted the last wait and the queue has not been short for [`REARMS_AFTER`] since.
    pub(super) fn caught_up(&mut self, now: Instant) {
        let short_enough = self
            .short_since
            .is_some_and(|since| now.saturating_duration_since(since) >= REARMS_AFTER);
        if !self.outlasted || short_enough {
            self.since = None;
            self.outlasted = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One window on, with `waiting` writes waiting on average through it.
    fn step(
        give_way: &mut GiveWay,
        now: &mut Instant,
        waited: &mut Duration,
        waiting: f64,
    ) -> bool {
        *now += WINDOW;
        *waited += WINDOW.mul_f64(waiting);
        give_way.waits(*now, *waited)
    }

    #[test]
    fn a_queue_at_the_writer_is_given_way_to_for_at_most_the_bound() {
        let (mut now, mut waited) = (Instant::now(), Duration::ZERO);
        let mut give_way = GiveWay::new(now, waited);
        let windows = (MOST.as_millis() / WINDOW.as_millis()) as usize;
        let starts = STARTS_AFTER as usize - 1;
        let waits: Vec<bool> = (0..starts + windows + 3)
            .map(|_| step(&mut give_way, &mut now, &mut waited, 12.0))
            .collect();
        assert!(!waits[..starts].iter().any(|w| *w), "{waits:?}");
        assert!(
            waits[starts..starts + windows].iter().all(|w| *w),
            "{waits:?}"
        );
        assert!(!waits[starts + windows..].iter().any(|w| *w), "{waits:?}");
        // Still queued, not caught up: projection keeps going.
        assert!(!step(&mut give_way, &mut now, &mut waited, 12.0));
        // Caught up with a load that outlasted the wait: it is not taken for a new burst.
        give_way.caught_up(now);
        for _ in 0..100 {
            assert!(!step(&mut give_way, &mut now, &mut waited, 12.0));
            give_way.caught_up(now);
        }
        // A short queue for less than the time it takes to rearm does not rearm it either.
        let rearm = (REARMS_AFTER.as_millis() / WINDOW.as_millis()) as usize;
        for _ in 0..rearm - 1 {
            assert!(!step(&mut give_way, &mut now, &mut waited, 1.0));
        }
        give_way.caught_up(now);
        assert!(!step(&mut give_way, &mut now, &mut waited, 12.0));
        assert!(!step(&mut give_way, &mut now, &mut waited, 12.0));
        // Once it has been short that long (from the end of its first short window), and
        // projection caught up, the next burst is given way to again.
        for _ in 0..=rearm {
            assert!(!step(&mut give_way, &mut now, &mut waited, 1.0));
        }
        give_way.caught_up(now);
        assert!(!step(&mut give_way, &mut now, &mut waited, 12.0));
        assert!(step(&mut give_way, &mut now, &mut waited, 12.0));
    }

    #[test]
    fn after_a_burst_the_queue_ended_the_next_is_given_way_to_once_caught_up() {
        let (mut now, mut waited) = (Instant::now(), Duration::ZERO);
        let mut give_way = GiveWay::new(now, waited);
        let waits: Vec<bool> = [8.0, 8.0, 8.0, 1.0]
            .into_iter()
            .map(|waiting| step(&mut give_way, &mut now, &mut waited, waiting))
            .collect();
        assert_eq!(waits, [false, true, true, false]);
        give_way.caught_up(now);
        // At once: its queue is on from the second window, as the first burst's was.
        assert!(!step(&mut give_way, &mut now, &mut waited, 8.0));
        assert!(step(&mut give_way, &mut now, &mut waited, 8.0));
    }

    #[test]
    fn a_trickle_is_not_waited_for_even_when_the_disk_stalls_it_for_a_moment() {
        let (mut now, mut waited) = (Instant::now(), Duration::ZERO);
        let mut give_way = GiveWay::new(now, waited);
        for waiting in [0.0, 0.7, 1.5, 9.0, 1.0, 3.9, 1.3, 12.0, 0.5] {
            assert!(
                !step(&mut give_way, &mut now, &mut waited, waiting),
                "{waiting}"
            );
        }
    }

    #[test]
    fn the_wait_lasts_while_the_queue_does() {
        let (mut now, mut waited) = (Instant::now(), Duration::ZERO);
        let mut give_way = GiveWay::new(now, waited);
        let waits: Vec<bool> = [8.0, 8.0, 5.0, 2.5, 8.0, 1.5, 8.0]
            .into_iter()
            .map(|waiting| step(&mut give_way, &mut now, &mut waited, waiting))
            .collect();
        // Starts on the second window over; a dip to more than half goes on; below half ends it,
        // and one window over does not start it again.
        assert_eq!(waits, [false, true, true, true, true, false, false]);
    }

    #[test]
    fn the_queue_is_measured_over_whole_windows() {
        let now = Instant::now();
        let mut give_way = GiveWay::new(now, Duration::ZERO);
        assert!(!give_way.waits(now + WINDOW, WINDOW * 5));
        // Half a window more with 8 waiting is not judged yet.
        assert!(!give_way.waits(now + WINDOW * 3 / 2, WINDOW * 9));
        // The second whole window: 5 waiting on average.
        assert!(give_way.waits(now + WINDOW * 2, WINDOW * 10));
    }
}
