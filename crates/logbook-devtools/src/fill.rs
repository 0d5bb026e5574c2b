//! Filling a PostgreSQL store with generated traffic fast, for `logbook generate --store` and
//! `logbook bench query --store`: the bodies go through the store's own writer
//! ([`PgStore::submit_events`]: its dedup key, exact bytes, month partitions, transaction ids and
//! notifications, many events a transaction), [`WRITERS`] of them at once as that many receivers
//! would, and the store's projector derives them, this process's or another instance's, whichever
//! holds the lock.

use std::time::{Duration, Instant};

use anyhow::Result;

use logbook_core::import::store_bodies;
use logbook_core::store::{
    EventLog, NewEvent, NewRejection, Outcome, PgStore, StoreError, StoreOptions,
};

/// Writers (each a store with its own connection and transactions) that store at once. A writer
/// waits for the server after every statement; several keep the server busy meanwhile
/// (`logbook generate --store` of 20,000 events on the 2-core machine: 1,655 events/s with one).
pub const WRITERS: usize = 4;

/// Several stores on one database, as several receivers: each batch is shared out among them and
/// stored at once, each part in its writer's transactions.
struct Writers(Vec<PgStore>);

impl EventLog for Writers {
    fn submit_event(&self, event: NewEvent) -> Result<Outcome, StoreError> {
        self.0[0].submit_event(event)
    }

    fn submit_events(&self, events: Vec<NewEvent>) -> Vec<Result<Outcome, StoreError>> {
        let per_writer = events.len().div_ceil(self.0.len()).max(1);
        let mut events = events.into_iter();
        let parts: Vec<Vec<NewEvent>> = self
            .0
            .iter()
            .map(|_| events.by_ref().take(per_writer).collect())
            .collect();
        std::thread::scope(|scope| {
            let running: Vec<_> = self
                .0
                .iter()
                .zip(parts)
                .map(|(store, part)| scope.spawn(move || store.submit_events(part)))
                .collect();
            running
                .into_iter()
                .flat_map(|part| part.join().expect("a writer's submission panicked"))
                .collect()
        })
    }

    fn submit_rejection(&self, rejection: NewRejection) -> Result<(), StoreError> {
        self.0[0].submit_rejection(rejection)
    }
}

/// Waiting for the projection gives up when it has not moved for this long.
pub const PROJECTION_STALL: Duration = Duration::from_secs(60);

/// What [`into_postgres`] did, and how long each part took.
#[derive(Debug, Clone)]
pub struct Filled {
    /// Where the store is, without the password.
    pub target: String,
    pub stored: u64,
    /// Bodies the store held already (the same seed gives the same events).
    pub duplicates: u64,
    /// From the first body to the last commit.
    pub storing: Duration,
    /// From the first body until every stored event was projected (the projector works while
    /// events are stored).
    pub projecting: Duration,
    /// Events projected between the last commit and the end: the projector's work alone.
    pub projected_after_storing: i64,
}

impl Filled {
    pub fn stored_per_s(&self) -> f64 {
        self.stored as f64 / self.storing.as_secs_f64()
    }

    /// Stored events per second of the whole, from the first body to the last projection.
    pub fn projected_per_s(&self) -> f64 {
        self.stored as f64 / self.projecting.as_secs_f64()
    }

    /// The projector's rate once storing had ended (`None` when it had nothing left then).
    pub fn projected_alone_per_s(&self) -> Option<f64> {
        let alone = self.projecting.saturating_sub(self.storing).as_secs_f64();
        (self.projected_after_storing > 0 && alone > 0.0)
            .then(|| self.projected_after_storing as f64 / alone)
    }
}

/// Stores `bodies` into the store at `url` and waits for their projection; `stored` is told the
/// events handed over so far, `projected` the events projected since storing began. Fails when
/// projection stalls ([`PROJECTION_STALL`]), saying the events are stored.
pub fn into_postgres(
    url: &str,
    bodies: impl Iterator<Item = Vec<u8>>,
    stored: &dyn Fn(u64),
    projected: &dyn Fn(u64),
) -> Result<Filled> {
    let store = PgStore::open(url, &StoreOptions::default())?;
    let target = store.target().to_owned();
    let before = store.projection_progress()?.projected;
    let others = (1..WRITERS)
        .map(|_| PgStore::open(url, &StoreOptions::default()))
        .collect::<Result<Vec<_>, _>>()?;
    let writers = Writers(std::iter::once(store).chain(others).collect());
    let started = Instant::now();
    let report = store_bodies(&writers, "generated", bodies, stored)?;
    let storing = started.elapsed();
    // The first store's projector stays (another's may hold the lock: it is closed with its store
    // after the wait, as a stopped receiver's would be).
    let mut writers = writers.0.into_iter();
    let store = writers.next().expect("one writer at least");
    let others: Vec<PgStore> = writers.collect();
    let by_then = store.projection_progress()?.projected;
    let caught_up = store.wait_projected(PROJECTION_STALL, &|now| {
        projected((now - before).max(0) as u64)
    })?;
    let projecting = started.elapsed();
    let at_end = store.projection_progress()?.projected;
    for other in others {
        other.close()?;
    }
    store.close()?;
    anyhow::ensure!(
        caught_up,
        "the events are stored in {target}, but their projection made no progress for {} s: a \
         transaction left open on the server holds it back, or no instance may project (`logbook \
         stats --store` shows the lag); it goes on in any `logbook serve --store` that projects",
        PROJECTION_STALL.as_secs()
    );
    Ok(Filled {
        target,
        stored: report.stored,
        duplicates: report.duplicates,
        storing,
        projecting,
        projected_after_storing: at_end - by_then,
    })
}
