//! Retention on PostgreSQL: whole month partitions of `events` are dropped once their whole month
//! is older than the retention age, with the dedup keys of their events in the same transaction
//! (`logbook_drop_expired_month`, `schema_3.sql`); an event in a month that is only partly past the
//! cut-off is kept until all of it is. Refused requests older than the cut-off are deleted too.
//!
//! Any receiver may run it, and each does periodically ([`Expirer`]); a session advisory lock makes
//! one pass at a time, across every receiver: a receiver that finds it taken leaves the pass to the
//! one holding it. Each month is its own short transaction: dropping a partition takes a brief
//! exclusive lock on `events`, which waits at most [`LOCK_TIMEOUT_MS`] for the receivers' inserts
//! (and holds them up at most that long) before the pass gives up until the next interval.

use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

use postgres::{Client, Config};

use super::{connect, describe};
use crate::store::StoreError;

/// The advisory lock of a retention pass: one receiver at a time.
pub const RETENTION_LOCK: i64 = 0x6c6f_6762_6f6f_6b03; // "logbook" 3
/// How long dropping a month may wait for the lock on `events` (and so hold up inserts).
pub const LOCK_TIMEOUT_MS: u64 = 5_000;
/// How often each receiver runs a pass (the first one at start-up).
pub const RETENTION_INTERVAL: Duration = Duration::from_secs(600);

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expired {
    /// The partitions dropped, oldest first, with how many events each held.
    pub months: Vec<(String, i64)>,
    /// Refused requests deleted for their age.
    pub rejections: u64,
}

/// One pass: drops every month partition whose whole month ended at or before `cutoff_ms`, oldest
/// first, each in its own transaction, then deletes refused requests received before `cutoff_ms`.
/// `None` when another receiver's pass holds the lock.
pub(super) fn expire(
    client: &mut Client,
    cutoff_ms: i64,
) -> Result<Option<Expired>, postgres::Error> {
    let locked: bool = client
        .query_one("SELECT pg_try_advisory_lock($1)", &[&RETENTION_LOCK])?
        .get(0);
    if !locked {
        return Ok(None);
    }
    let pass = (|| {
        let mut done = Expired::default();
        loop {
            let mut tx = client.transaction()?;
            tx.batch_execute(&format!("SET LOCAL lock_timeout = {LOCK_TIMEOUT_MS}"))?;
            let row = tx.query_one(
                "SELECT dropped, dropped_events FROM logbook_drop_expired_month($1)",
                &[&cutoff_ms],
            )?;
            let Some(month) = row.get::<_, Option<String>>(0) else {
                break;
            };
            tx.commit()?;
            done.months
                .push((month, row.get::<_, Option<i64>>(1).unwrap_or(0)));
        }
        done.rejections = client.execute(
            "DELETE FROM rejections WHERE received_at < $1",
            &[&cutoff_ms],
        )?;
        Ok(done)
    })();
    // Released whatever happened (a broken connection releases it with the session).
    let _ = client.execute("SELECT pg_advisory_unlock($1)", &[&RETENTION_LOCK]);
    pass.map(Some)
}

/// What a pass of the [`Expirer`] reports: what it dropped (`None`: another receiver's pass was
/// running), or why it failed (it is tried again at the next interval).
pub type Report = Result<Option<Expired>, StoreError>;

/// A receiver's retention thread: a pass at start-up, then one every [`RETENTION_INTERVAL`], on a
/// connection of its own (made again when it breaks).
pub(super) struct Expirer {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Expirer {
    pub(super) fn start(
        config: Config,
        target: String,
        max_age: Duration,
        report: Box<dyn Fn(Report) + Send>,
    ) -> Result<Self, StoreError> {
        let (stop, stopped) = mpsc::channel();
        let age_ms = max_age.as_millis().min(i64::MAX as u128) as i64;
        let thread = std::thread::Builder::new()
            .name("logbook-pg-retention".into())
            .spawn(move || {
                let mut client: Option<Client> = None;
                loop {
                    let cutoff = chrono::Utc::now().timestamp_millis().saturating_sub(age_ms);
                    report(pass(&config, &target, &mut client, cutoff));
                    match stopped.recv_timeout(RETENTION_INTERVAL) {
                        Err(RecvTimeoutError::Timeout) => continue,
                        _ => break,
                    }
                }
            })
            .map_err(|err| StoreError::Unavailable(format!("cannot start retention: {err}")))?;
        Ok(Self {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

/// One pass on `client`, connecting first when there is no connection (or it broke).
pub(super) fn pass(
    config: &Config,
    target: &str,
    client: &mut Option<Client>,
    cutoff_ms: i64,
) -> Report {
    if client.as_ref().is_none_or(Client::is_closed) {
        *client = Some(connect(config).map_err(|why| {
            StoreError::Unavailable(format!("retention cannot connect to {target}: {why}"))
        })?);
    }
    let conn = client.as_mut().expect("connected above");
    expire(conn, cutoff_ms)
        .map_err(|err| StoreError::Postgres(format!("retention at {target}: {}", describe(&err))))
}

impl Drop for Expirer {
    fn drop(&mut self) {
        self.stop.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
