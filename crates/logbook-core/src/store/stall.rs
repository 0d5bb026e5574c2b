//! Telling a stalled projection from a slow one, for whoever waits on it (`logbook reindex`, an
//! import, a pull).
//!
//! Contract: projection is stalled when its watermark has not moved although this process had the
//! means to move it: for at least the caller's window of wall time AND with [`STALL_CPU`] of CPU
//! time spent by the process since the watermark last moved. The projector that cannot write (a
//! full disk, an I/O error) keeps deriving the same events again to retry, which takes CPU; a
//! process the machine starves (a benchmark at normal priority beside `nice -n 19`) or that waits
//! on a slow disk takes little, so wall time alone proved nothing (`reindex` gave up while it was
//! still working). Nothing waits forever: with no movement for [`STALL_WALL_FACTOR`] windows it is a
//! stall whatever the CPU says, and where the CPU time cannot be read the window alone decides.

use std::time::{Duration, Instant};

/// CPU time this process may spend with the watermark unmoved before projection counts as stalled.
/// Working, what the watch follows moves with every event derived or written
/// (`projection::Progress::working_through`), inside a batch too: a small fraction of this.
pub const STALL_CPU: Duration = Duration::from_secs(3);
/// With no movement for this many windows, projection is stalled however little CPU it had.
pub const STALL_WALL_FACTOR: u32 = 20;

/// Why projection counts as stalled: how long the watermark stood still, and the CPU time this
/// process spent meanwhile (`None` where it cannot be read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stalled {
    pub still_for: Duration,
    pub cpu: Option<Duration>,
}

impl std::fmt::Display for Stalled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "projection made no progress for {} s",
            self.still_for.as_secs()
        )?;
        if let Some(cpu) = self.cpu {
            write!(
                f,
                " while this process used {:.1} s of CPU",
                cpu.as_secs_f64()
            )?;
        }
        Ok(())
    }
}

/// Watches the projection watermark and says when it has stalled (see the module's contract).
#[derive(Debug, Clone)]
pub struct StallWatch {
    window: Duration,
    seen: i64,
    moved_at: Instant,
    cpu_at_move: Option<Duration>,
}

impl StallWatch {
    /// Starts watching at `watermark`, with `window` the least wall time a stall takes.
    pub fn new(window: Duration, watermark: i64) -> Self {
        Self {
            window,
            seen: watermark,
            moved_at: Instant::now(),
            cpu_at_move: process_cpu(),
        }
    }

    /// Looks at the watermark now: `Some` once projection has stalled.
    pub fn check(&mut self, watermark: i64) -> Option<Stalled> {
        self.judge(watermark, Instant::now(), process_cpu())
    }

    fn judge(&mut self, watermark: i64, now: Instant, cpu: Option<Duration>) -> Option<Stalled> {
        if watermark > self.seen {
            (self.seen, self.moved_at, self.cpu_at_move) = (watermark, now, cpu);
            return None;
        }
        let still_for = now.saturating_duration_since(self.moved_at);
        if still_for < self.window {
            return None;
        }
        let spent = cpu
            .zip(self.cpu_at_move)
            .map(|(now, then)| now.saturating_sub(then));
        let stalled = match spent {
            Some(spent) => spent >= STALL_CPU || still_for >= self.window * STALL_WALL_FACTOR,
            None => true,
        };
        stalled.then_some(Stalled {
            still_for,
            cpu: spent,
        })
    }
}

/// The CPU time this process has used, all threads together (threads that ended included).
pub fn process_cpu() -> Option<Duration> {
    #[cfg(unix)]
    {
        cpu_clock(rustix::time::ClockId::ProcessCPUTime)
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// The CPU time the calling thread has used.
pub fn thread_cpu() -> Option<Duration> {
    #[cfg(unix)]
    {
        cpu_clock(rustix::time::ClockId::ThreadCPUTime)
    }
    #[cfg(not(unix))]
    {
        None
    }
}

#[cfg(unix)]
fn cpu_clock(clock: rustix::time::ClockId) -> Option<Duration> {
    let t = rustix::time::clock_gettime(clock);
    Some(Duration::new(
        u64::try_from(t.tv_sec).ok()?,
        u32::try_from(t.tv_nsec).ok()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOW: Duration = Duration::from_secs(30);

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    /// A watch started at watermark 10 at `t0` with 1 s of CPU used.
    fn watch(t0: Instant) -> StallWatch {
        StallWatch {
            window: WINDOW,
            seen: 10,
            moved_at: t0,
            cpu_at_move: Some(secs(1)),
        }
    }

    #[test]
    fn a_starved_projection_is_slow_not_stalled() {
        let t0 = Instant::now();
        let mut w = watch(t0);
        // Five minutes without a move, but the machine gave the process half a second of CPU.
        assert_eq!(
            w.judge(10, t0 + secs(300), Some(secs(1) + secs(1) / 2)),
            None
        );
        // Then the watermark moves: the clocks start again.
        assert_eq!(w.judge(11, t0 + secs(301), Some(secs(2))), None);
        assert_eq!(w.judge(11, t0 + secs(340), Some(secs(4))), None);
    }

    #[test]
    fn a_projector_that_works_without_moving_is_stalled_after_the_window() {
        let t0 = Instant::now();
        let mut w = watch(t0);
        // The CPU is spent (a write failing and retried), but not for the window yet.
        assert_eq!(w.judge(10, t0 + secs(20), Some(secs(9))), None);
        assert_eq!(
            w.judge(10, t0 + secs(31), Some(secs(10))),
            Some(Stalled {
                still_for: secs(31),
                cpu: Some(secs(9))
            })
        );
        let said = w
            .judge(10, t0 + secs(31), Some(secs(10)))
            .unwrap()
            .to_string();
        assert_eq!(
            said,
            "projection made no progress for 31 s while this process used 9.0 s of CPU"
        );
    }

    #[test]
    fn nothing_waits_forever() {
        let t0 = Instant::now();
        let mut w = watch(t0);
        let limit = WINDOW * STALL_WALL_FACTOR;
        assert_eq!(w.judge(10, t0 + limit - secs(1), Some(secs(1))), None);
        assert!(w.judge(10, t0 + limit, Some(secs(1))).is_some());
        // Without a CPU clock, the window alone decides.
        let mut blind = StallWatch {
            cpu_at_move: None,
            ..watch(t0)
        };
        assert_eq!(blind.judge(10, t0 + secs(29), None), None);
        assert!(blind.judge(10, t0 + secs(30), None).is_some());
    }

    #[test]
    fn this_process_cpu_time_is_read_and_grows() {
        let before = process_cpu().unwrap();
        let mut x = 0u64;
        let started = Instant::now();
        while started.elapsed() < Duration::from_millis(50) {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
        }
        assert!(process_cpu().unwrap() > before);
    }
}
