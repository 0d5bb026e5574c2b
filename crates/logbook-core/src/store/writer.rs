//! The writer thread: takes writes from a bounded queue, commits whatever has queued up in one
//! `BEGIN IMMEDIATE … COMMIT`, and only then answers each submitter and announces the new ids.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use std::time::{Duration, Instant};

use super::projection::Progress;
use super::pulls::{self, PullRow};
use super::stored_body::{self, Packed};
use super::{StoreError, StoreOptions};
use super::{rejection, retention};

/// How often the writer looks for events past their retention, when nothing else wakes it.
const RETENTION_INTERVAL_MS: u64 = 1_000;
/// The longest the writer spends deleting between two group commits.
const RETENTION_BUDGET_MS: u64 = 50;
/// Writes waiting beyond this many block their submitters: back-pressure instead of unbounded memory.
const QUEUE_CAPACITY: usize = 4_096;
/// The most writes one transaction takes; bounds how long the oldest one waits.
const MAX_BATCH: usize = 512;

/// An accepted request, ready to store.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub received_at: i64,
    pub endpoint: String,
    pub path: String,
    pub remote_addr: Option<String>,
    pub kind: String,
    pub auth: String,
    pub verified: bool,
    pub jwt_header: Option<String>,
    pub jwt_claims: Option<String>,
    /// JSON `[[name, value], ...]`, already redacted.
    pub headers: String,
    /// The request's `Authorization` header as sent: never stored with the event, only with the
    /// outbox rows of downstreams that pass it through.
    pub authorization: Option<String>,
    pub body: Vec<u8>,
    /// Recognises a second delivery: see [`crate::watson::derive::dedup_key`].
    pub dedup_key: String,
    /// The event number a replay's `X-Logbook-Replay-Of` named (see `replays`), `None` otherwise.
    pub replay_of: Option<i64>,
}

/// A refused request, kept so the user can see why Watson's calls fail.
#[derive(Debug, Clone)]
pub struct NewRejection {
    pub received_at: i64,
    pub endpoint: Option<String>,
    pub path: String,
    pub method: String,
    pub remote_addr: Option<String>,
    pub status: u16,
    pub reason: String,
    pub headers: String,
    pub jwt_header: Option<String>,
    pub jwt_claims: Option<String>,
    pub body: Vec<u8>,
    pub body_bytes: Option<i64>,
}

/// What became of a submitted event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Stored under this id.
    Stored(i64),
    /// Already stored under this id; counted, not stored again.
    Duplicate(i64),
    /// A rejection was kept under this id (in the rejections table).
    Kept(i64),
    /// A delivery attempt or an outbox bound was recorded.
    Recorded,
    /// A replay was kept under this id (in the replays table).
    Replayed(i64),
    /// A page pulled from Watson's logs API was stored with its pull's progress.
    Pulled(PulledOutcome),
}

/// What became of a pulled page ([`super::Store::submit_pulled_page`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PulledOutcome {
    /// The pull's id (given on its first save).
    pub pull_id: i64,
    pub stored: i64,
    /// Logs already stored (delivered by the webhook, or pulled before).
    pub duplicates: i64,
    /// The highest event id stored, if any.
    pub last_event_id: Option<i64>,
}

/// Events pulled from one page of the logs API and where their pull stands after it: one write,
/// so the pull's cursor moves in the transaction that stores the page.
#[derive(Debug, Clone)]
pub struct PulledPage {
    pub events: Vec<NewEvent>,
    pub pull: PullRow,
}

pub(super) enum Write {
    Event(Box<ReadyEvent>),
    Rejection(Box<NewRejection>),
    Outbox(Box<super::outbox::OutboxWrite>),
    Replay(Box<super::replays::NewReplay>),
    Pulled(Box<ReadyPage>),
}

/// An event ready for the writer: its body packed as the event log keeps it
/// ([`super::stored_body`]), by the thread that submits it rather than by the writer.
pub(super) struct ReadyEvent {
    /// The event, its `body` taken out into `body`.
    event: NewEvent,
    body: Packed,
}

impl ReadyEvent {
    pub(super) fn of(mut event: NewEvent) -> Self {
        let body = stored_body::pack(std::mem::take(&mut event.body));
        Self { event, body }
    }
}

/// A [`PulledPage`] whose events are ready for the writer.
pub(super) struct ReadyPage {
    events: Vec<ReadyEvent>,
    pull: PullRow,
}

impl ReadyPage {
    pub(super) fn of(page: PulledPage) -> Self {
        Self {
            events: page.events.into_iter().map(ReadyEvent::of).collect(),
            pull: page.pull,
        }
    }
}

/// A submission to a writer thread (this one's, or the PostgreSQL store's with its own `W`): the
/// write, and where its answer goes once its transaction has committed.
pub(super) struct Job<W = Write> {
    pub(super) write: W,
    pub(super) reply: SyncSender<Result<Outcome, StoreError>>,
    /// When it was queued: how long writes wait is how busy the writer is.
    pub(super) queued: Instant,
}

/// Queues `write` on `queue`, counted in `waiting` (if given) as a write waiting from now on;
/// where its answer will come, or `None` when the writer has stopped (and the write no longer
/// counts as waiting: no one will answer it).
fn queue_write<W>(
    queue: &SyncSender<Job<W>>,
    waiting: Option<&Waiting>,
    write: W,
) -> Option<Receiver<Result<Outcome, StoreError>>> {
    let (reply, answer) = mpsc::sync_channel(1);
    let queued = Instant::now();
    waiting.inspect(|w| w.queued(queued));
    let job = Job {
        write,
        reply,
        queued,
    };
    match queue.send(job) {
        Ok(()) => Some(answer),
        Err(_) => {
            waiting.inspect(|w| w.answered(Instant::now(), std::iter::once(queued)));
            None
        }
    }
}

/// Submits `write` to the writer thread of `queue` and waits for its answer (`WriterStopped` when
/// the writer has stopped or goes before answering).
pub(super) fn submit_one<W>(
    queue: Option<&SyncSender<Job<W>>>,
    waiting: Option<&Waiting>,
    write: W,
) -> Result<Outcome, StoreError> {
    let queue = queue.ok_or(StoreError::WriterStopped)?;
    let answer = queue_write(queue, waiting, write).ok_or(StoreError::WriterStopped)?;
    answer.recv().map_err(|_| StoreError::WriterStopped)?
}

/// Queues every write on the writer thread of `queue` before waiting for any answer, so they share
/// commits; the answers in their order (`WriterStopped` for one the writer did not take or answer).
pub(super) fn submit_many<W>(
    queue: Option<&SyncSender<Job<W>>>,
    waiting: Option<&Waiting>,
    writes: Vec<W>,
) -> Vec<Result<Outcome, StoreError>> {
    let Some(queue) = queue else {
        return writes
            .iter()
            .map(|_| Err(StoreError::WriterStopped))
            .collect();
    };
    let answers: Vec<_> = writes
        .into_iter()
        .map(|write| queue_write(queue, waiting, write))
        .collect();
    answers
        .into_iter()
        .map(|answer| {
            answer
                .and_then(|a| a.recv().ok())
                .unwrap_or(Err(StoreError::WriterStopped))
        })
        .collect()
}

type Subscribers = Arc<Mutex<Vec<Sender<Committed>>>>;

/// What one commit stored: the highest new event id and rejection id, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Committed {
    pub last_event_id: Option<i64>,
    pub last_rejection_id: Option<i64>,
}

/// What the writer has done since it started: how well group commit groups.
#[derive(Debug, Default)]
pub struct WriterStats {
    pub commits: std::sync::atomic::AtomicU64,
    pub writes: std::sync::atomic::AtomicU64,
    /// The longest commit, microseconds.
    pub max_commit_us: std::sync::atomic::AtomicU64,
    /// How long writes have waited for their commits: what tells projection to give way.
    pub waiting: Waiting,
    /// Events deleted by retention.
    pub retention_deleted: std::sync::atomic::AtomicU64,
}

/// The time writes have spent waiting for their commits, from queueing to answer, summed over
/// every write, those still waiting included. Over a stretch of wall time, its growth divided by
/// the stretch is how many writes were waiting on average (Little's law): what tells projection to
/// give way (`give_way`). Counted as it grows, so a long commit (the disk stalled) counts while it
/// lasts, not only when it ends.
#[derive(Debug)]
pub struct Waiting {
    epoch: Instant,
    /// Microseconds waited by writes already answered.
    answered_us: std::sync::atomic::AtomicU64,
    /// Writes queued and not answered yet, and the sum of their queueing times (microseconds
    /// after `epoch`): their waits so far are `count × now − sum`.
    count: std::sync::atomic::AtomicU64,
    queued_sum_us: std::sync::atomic::AtomicU64,
}

impl Default for Waiting {
    fn default() -> Self {
        Self {
            epoch: Instant::now(),
            answered_us: Default::default(),
            count: Default::default(),
            queued_sum_us: Default::default(),
        }
    }
}

impl Waiting {
    fn micros(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.epoch).as_micros() as u64
    }

    fn queued(&self, at: Instant) {
        self.count.fetch_add(1, Relaxed);
        self.queued_sum_us.fetch_add(self.micros(at), Relaxed);
    }

    fn answered(&self, at: Instant, queued: impl Iterator<Item = Instant>) {
        let (mut count, mut sum, mut waited) = (0, 0, 0);
        for queued in queued {
            count += 1;
            sum += self.micros(queued);
            waited += at.saturating_duration_since(queued).as_micros() as u64;
        }
        // The wait moves to the answered total before it leaves the pending sum: a reader in
        // between counts it twice for a moment rather than not at all.
        self.answered_us.fetch_add(waited, Relaxed);
        self.queued_sum_us.fetch_sub(sum, Relaxed);
        self.count.fetch_sub(count, Relaxed);
    }

    /// The waits of every write so far, until `now`.
    pub fn total(&self, now: Instant) -> Duration {
        let answered = self.answered_us.load(Relaxed);
        let count = self.count.load(Relaxed);
        let sum = self.queued_sum_us.load(Relaxed);
        let pending = (count * self.micros(now)).saturating_sub(sum);
        Duration::from_micros(answered + pending)
    }
}

/// What the writer carries from one batch to the next.
#[derive(Debug, Clone, Copy)]
pub(super) struct State {
    /// The highest event id ever given: ids never go back, even when retention empties the table,
    /// so a reader resuming after an id misses nothing. Saved in `counters` with every batch.
    last_event_id: i64,
    /// The same for rejections.
    last_rejection_id: i64,
    page_size: u64,
}

/// Counter names of the highest ids ever given.
const LAST_EVENT_ID: &str = "last_event_id";
const LAST_REJECTION_ID: &str = "last_rejection_id";

/// At open, before the writer starts: the highest ids ever given (the saved ones, or the highest in
/// the tables when larger), and the rejections brought within their bounds.
pub(super) fn prepare(conn: &mut Connection, options: &StoreOptions) -> rusqlite::Result<State> {
    let page_size: i64 = conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
    let page_size = page_size.max(512) as u64;
    rejection::reconcile(conn, options.rejections_kept, page_size)?;
    let last = |table: &str, counter: &str| -> rusqlite::Result<i64> {
        let in_table: i64 = conn.query_row(
            &format!("SELECT coalesce(max(id), 0) FROM {table}"),
            [],
            |r| r.get(0),
        )?;
        let saved: Option<i64> = conn
            .query_row(
                "SELECT value FROM counters WHERE name = ?1",
                [counter],
                |r| r.get(0),
            )
            .optional()?;
        Ok(in_table.max(saved.unwrap_or(0)))
    };
    Ok(State {
        last_event_id: last("events", LAST_EVENT_ID)?,
        last_rejection_id: last("rejections", LAST_REJECTION_ID)?,
        page_size,
    })
}

pub(super) struct Writer {
    queue: Option<SyncSender<Job>>,
    /// New forwarding routes, taken by the writer before its next batch.
    routes: Arc<Mutex<Option<Vec<super::ForwardRoute>>>>,
    thread: Option<JoinHandle<Result<(), StoreError>>>,
    subscribers: Subscribers,
    pub(super) stats: Arc<WriterStats>,
}

impl Writer {
    pub(super) fn start(
        conn: Connection,
        options: StoreOptions,
        state: State,
        progress: Arc<Progress>,
    ) -> Self {
        let (queue, jobs) = mpsc::sync_channel(QUEUE_CAPACITY);
        let subscribers: Subscribers = Arc::default();
        let announce = subscribers.clone();
        let stats = Arc::new(WriterStats::default());
        let counted = stats.clone();
        let routes: Arc<Mutex<Option<Vec<super::ForwardRoute>>>> = Arc::default();
        let new_routes = routes.clone();
        let thread = std::thread::Builder::new()
            .name(super::threads::WRITER.into())
            .spawn(move || {
                let context = Context {
                    routes: new_routes,
                    subscribers: announce,
                    stats: counted,
                    progress,
                };
                run(conn, jobs, options, state, &context)
            })
            .expect("spawn writer thread");
        Self {
            queue: Some(queue),
            routes,
            thread: Some(thread),
            subscribers,
            stats,
        }
    }

    pub(super) fn submit(&self, write: Write) -> Result<Outcome, StoreError> {
        submit_one(self.queue.as_ref(), Some(&self.stats.waiting), write)
    }

    /// Queues every write before waiting for any answer, so they share commits.
    pub(super) fn submit_many(&self, writes: Vec<Write>) -> Vec<Result<Outcome, StoreError>> {
        submit_many(self.queue.as_ref(), Some(&self.stats.waiting), writes)
    }

    /// Events written from now on are queued for these downstreams.
    pub(super) fn set_routes(&self, routes: Vec<super::ForwardRoute>) {
        *self.routes.lock().expect("routes lock") = Some(routes);
    }

    pub(super) fn subscribe(&self) -> Receiver<Committed> {
        let (tx, rx) = mpsc::channel();
        self.subscribers.lock().expect("subscribers lock").push(tx);
        rx
    }

    pub(super) fn stop(mut self) -> Result<(), StoreError> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Result<(), StoreError> {
        self.queue.take();
        match self.thread.take() {
            Some(thread) => thread.join().map_err(|_| StoreError::WriterStopped)?,
            None => Ok(()),
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

/// What the writer thread shares with the store.
struct Context {
    routes: Arc<Mutex<Option<Vec<super::ForwardRoute>>>>,
    subscribers: Subscribers,
    stats: Arc<WriterStats>,
    /// Where the projector stands: the retention log entries it applied can go.
    progress: Arc<Progress>,
}

fn run(
    mut conn: Connection,
    jobs: Receiver<Job>,
    mut options: StoreOptions,
    mut state: State,
    context: &Context,
) -> Result<(), StoreError> {
    let Context {
        routes,
        subscribers,
        stats,
        ..
    } = context;
    use std::sync::mpsc::RecvTimeoutError;
    let mut batch = Vec::with_capacity(MAX_BATCH);
    let retention_every = Duration::from_millis(RETENTION_INTERVAL_MS);
    let mut retention_due = Instant::now();
    loop {
        // With retention on, wake up now and then even when nothing arrives.
        let first = if options.retention.is_set() {
            match jobs.recv_timeout(retention_due.saturating_duration_since(Instant::now())) {
                Ok(job) => Some(job),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => break,
            }
        } else {
            match jobs.recv() {
                Ok(job) => Some(job),
                Err(_) => break,
            }
        };
        // The age is looked at once an interval; the size after every commit (it is a cheap read),
        // so that under load deletion keeps pace with ingest. The size is what events use: refused
        // requests keep to their own budget and never make an event go.
        let over_size = match options.retention.max_bytes {
            Some(max) => retention::event_bytes(&conn).is_ok_and(|used| used > max),
            None => false,
        };
        if options.retention.is_set() && (over_size || Instant::now() >= retention_due) {
            let now_ms = chrono::Utc::now().timestamp_millis();
            // A failed step (disk full, say) is tried again at the next interval; ingest goes on.
            let budget = Duration::from_millis(RETENTION_BUDGET_MS);
            let applied = context.progress.retention_through.load(Relaxed);
            let more = match retention::run(&mut conn, &options.retention, now_ms, budget, applied)
            {
                Ok(step) => {
                    stats
                        .retention_deleted
                        .fetch_add(step.events_deleted as u64, Relaxed);
                    step.more
                }
                Err(_) => false,
            };
            // While there is more to delete, a step after every commit; otherwise once an interval.
            retention_due = if more {
                Instant::now()
            } else {
                Instant::now() + retention_every
            };
        }
        batch.extend(first);
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        if batch.is_empty() {
            continue;
        }
        if let Some(routes) = routes.lock().expect("routes lock").take() {
            options.forwards = routes;
        }
        let started = Instant::now();
        let committed = commit_batch(&mut conn, &batch, &options, &mut state);
        let done = Instant::now();
        stats
            .max_commit_us
            .fetch_max(done.duration_since(started).as_micros() as u64, Relaxed);
        stats
            .waiting
            .answered(done, batch.iter().map(|job| job.queued));
        match committed {
            Ok(results) => {
                stats.commits.fetch_add(1, Relaxed);
                stats.writes.fetch_add(batch.len() as u64, Relaxed);
                let mut committed = Committed::default();
                for result in &results {
                    match result {
                        Ok(Outcome::Stored(id)) => {
                            committed.last_event_id = committed.last_event_id.max(Some(*id))
                        }
                        Ok(Outcome::Kept(id)) => {
                            committed.last_rejection_id = committed.last_rejection_id.max(Some(*id))
                        }
                        Ok(Outcome::Pulled(page)) => {
                            committed.last_event_id =
                                committed.last_event_id.max(page.last_event_id)
                        }
                        _ => {}
                    }
                }
                for (job, result) in batch.drain(..).zip(results) {
                    let _ = job.reply.send(result);
                }
                if committed != Committed::default() {
                    announce(subscribers, committed);
                }
            }
            Err(err) => {
                let message = err.to_string();
                for job in batch.drain(..) {
                    let _ = job
                        .reply
                        .send(Err(StoreError::Unavailable(message.clone())));
                }
            }
        }
    }
    // The last connection to close checkpoints the WAL into the database and removes it.
    conn.pragma_update(None, "wal_checkpoint", "TRUNCATE")?;
    conn.close().map_err(|(_, e)| StoreError::Sqlite(e))
}

fn announce(subscribers: &Subscribers, committed: Committed) {
    let mut subscribers = subscribers.lock().expect("subscribers lock");
    subscribers.retain(|s| s.send(committed).is_ok());
}

/// One transaction for the whole batch. The fast path writes every job straight into it; if the
/// store refuses one event (a constraint, not the disk), the transaction is rolled back and the batch
/// is written again with a savepoint per job, so that event fails alone. (Savepoints on every job cost
/// a statement journal per page touched: a third of the writer's time.) A failure of the store itself
/// (disk full, I/O) fails the batch, unacknowledged.
/// Ids given in a batch that is rolled back are not given again: ids only ever grow.
fn commit_batch(
    conn: &mut Connection,
    batch: &[Job],
    options: &StoreOptions,
    state: &mut State,
) -> Result<Vec<Result<Outcome, StoreError>>, StoreError> {
    match write_batch(conn, batch, options, state, false) {
        Err(err) if !err.is_transient() => write_batch(conn, batch, options, state, true),
        other => other,
    }
}

/// Writes one job under the next id of its kind.
fn write_one(
    conn: &Connection,
    write: &Write,
    options: &StoreOptions,
    state: &mut State,
) -> rusqlite::Result<Outcome> {
    match write {
        Write::Event(ready) => {
            let outcome = insert_event(conn, ready, state.last_event_id + 1)?;
            let event = &ready.event;
            if let Outcome::Stored(id) = outcome {
                state.last_event_id = id;
                if !options.forwards.is_empty() {
                    super::outbox::enqueue(
                        conn,
                        id,
                        &event.endpoint,
                        event.authorization.as_deref(),
                        &options.forwards,
                        event.received_at,
                    )?;
                }
            }
            Ok(outcome)
        }
        Write::Outbox(write) => {
            super::outbox::record(conn, write)?;
            Ok(Outcome::Recorded)
        }
        Write::Replay(replay) => Ok(Outcome::Replayed(super::replays::insert(conn, replay)?)),
        Write::Rejection(rejection) => {
            let id = state.last_rejection_id + 1;
            rejection::insert(
                conn,
                rejection,
                id,
                options.rejections_kept,
                state.page_size,
            )?;
            state.last_rejection_id = id;
            Ok(Outcome::Kept(id))
        }
        Write::Pulled(page) => {
            let mut outcome = PulledOutcome::default();
            for event in &page.events {
                match insert_event(conn, event, state.last_event_id + 1)? {
                    Outcome::Stored(id) => {
                        state.last_event_id = id;
                        outcome.stored += 1;
                        outcome.last_event_id = Some(id);
                    }
                    _ => outcome.duplicates += 1,
                }
            }
            // The pull's counts include this page's.
            let mut pull = page.pull.clone();
            pull.stored += outcome.stored;
            pull.duplicates += outcome.duplicates;
            outcome.pull_id = pulls::save(conn, &pull)?;
            Ok(Outcome::Pulled(outcome))
        }
    }
}

fn write_batch(
    conn: &mut Connection,
    batch: &[Job],
    options: &StoreOptions,
    state: &mut State,
    isolate: bool,
) -> Result<Vec<Result<Outcome, StoreError>>, StoreError> {
    let mut tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(StoreError::from_write)?;
    let mut results = Vec::with_capacity(batch.len());
    let (mut accepted, mut duplicates, mut rejected) = (0i64, 0i64, 0i64);
    for job in batch {
        let result = if isolate {
            let mut sp = tx.savepoint().map_err(StoreError::from_write)?;
            let result = write_one(&sp, &job.write, options, state);
            match &result {
                Ok(_) => sp.commit().map_err(StoreError::from_write)?,
                Err(_) => sp.rollback().map_err(StoreError::from_write)?,
            }
            result
        } else {
            write_one(&tx, &job.write, options, state)
        };
        match result {
            Ok(outcome) => {
                match outcome {
                    Outcome::Stored(_) => accepted += 1,
                    Outcome::Duplicate(_) => duplicates += 1,
                    Outcome::Kept(_) => rejected += 1,
                    Outcome::Recorded | Outcome::Replayed(_) => {}
                    Outcome::Pulled(page) => {
                        accepted += page.stored;
                        duplicates += page.duplicates;
                    }
                }
                results.push(Ok(outcome));
            }
            Err(err) => {
                let err = StoreError::from_write(err);
                if err.is_transient() || !isolate {
                    return Err(err);
                }
                results.push(Err(err));
            }
        }
    }
    bump_counters(&tx, accepted, duplicates, rejected).map_err(StoreError::from_write)?;
    save_last_ids(&tx, state).map_err(StoreError::from_write)?;
    tx.commit().map_err(StoreError::from_write)?;
    Ok(results)
}

fn bump_counters(
    tx: &Transaction<'_>,
    accepted: i64,
    duplicates: i64,
    rejected: i64,
) -> rusqlite::Result<()> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO counters (name, value) VALUES (?1, ?2)
         ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
    )?;
    for (name, n) in [
        ("accepted", accepted),
        ("duplicates", duplicates),
        ("rejected", rejected),
    ] {
        if n > 0 {
            stmt.execute(params![name, n])?;
        }
    }
    Ok(())
}

/// Saves the highest ids given, in the transaction that stores the rows.
fn save_last_ids(tx: &Transaction<'_>, state: &State) -> rusqlite::Result<()> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO counters (name, value) VALUES (?1, ?2)
         ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)",
    )?;
    stmt.execute(params![LAST_EVENT_ID, state.last_event_id])?;
    stmt.execute(params![LAST_REJECTION_ID, state.last_rejection_id])?;
    Ok(())
}

/// Stores `e` under `id` (the next id: one more than any ever given), unless it is a duplicate.
/// Only the event row: everything derived from it is the projector's (`projection.rs`).
fn insert_event(conn: &Connection, ready: &ReadyEvent, id: i64) -> rusqlite::Result<Outcome> {
    let e = &ready.event;
    let existing = conn
        .prepare_cached(
            "UPDATE events SET duplicates = duplicates + 1 WHERE dedup_key = ?1 RETURNING id",
        )?
        .query_row([&e.dedup_key], |r| r.get::<_, i64>(0));
    match existing {
        Ok(id) => return Ok(Outcome::Duplicate(id)),
        Err(rusqlite::Error::QueryReturnedNoRows) => {}
        Err(err) => return Err(err),
    }
    conn.prepare_cached(
        "INSERT INTO events (id, received_at, endpoint, path, remote_addr, kind, auth, verified,
                             jwt_header, jwt_claims, headers, body, dedup_key, replay_of, body_zstd)
         VALUES (?13, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?14, ?15)",
    )?
    .execute(params![
        e.received_at,
        e.endpoint,
        e.path,
        e.remote_addr,
        e.kind,
        e.auth,
        e.verified,
        e.jwt_header,
        e.jwt_claims,
        e.headers,
        ready.body.bytes,
        e.dedup_key,
        id,
        e.replay_of,
        ready.body.zstd_of,
    ])?;
    Ok(Outcome::Stored(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_waiting_count_while_they_wait_and_once_answered() {
        let waiting = Waiting::default();
        let t0 = waiting.epoch + Duration::from_millis(5);
        let ms = Duration::from_millis;
        waiting.queued(t0);
        waiting.queued(t0 + ms(10));
        // Still waiting, both: 30 ms and 20 ms so far.
        assert_eq!(waiting.total(t0 + ms(30)), ms(50));
        // A long commit answers the first at 40 ms: its 40 ms are kept, the second goes on.
        waiting.answered(t0 + ms(40), [t0].into_iter());
        assert_eq!(waiting.total(t0 + ms(40)), ms(70));
        assert_eq!(waiting.total(t0 + ms(100)), ms(130));
        waiting.answered(t0 + ms(100), [t0 + ms(10)].into_iter());
        // Nothing waits any more: the total stands still.
        assert_eq!(waiting.total(t0 + ms(500)), ms(130));
    }

    #[test]
    fn a_write_a_stopped_writer_never_took_stops_counting_as_waiting() {
        let waiting = Waiting::default();
        let (queue, taken) = mpsc::sync_channel::<Job<()>>(1);
        drop(taken);
        assert!(queue_write(&queue, Some(&waiting), ()).is_none());
        let now = Instant::now();
        assert_eq!(
            waiting.total(now),
            waiting.total(now + Duration::from_secs(1))
        );
    }
}
