//! The projector: everything derived from the stored bodies (messages, conversations, calls, turns,
//! warnings, custom data, intents, entities, response types, the full-text index, the rollups) is a
//! projection of the events table, made after the event was acknowledged, in a database file of its
//! own beside the event log (`<db>-derived`, [`derived_path`]).
//!
//! Contract: the deriver thread reads events in id order, in batches, on a read-only connection,
//! and derives them; the projector thread applies each batch in one transaction of the derived
//! file, with the watermark (`projected_through`) in the same transaction as the rows. The event
//! log's writer never waits for it: the two files have a write lock each, and the acknowledgement's
//! sync covers the event log alone.
//! Retention deletes events in the event log and lists them in `retention_log`; the projector takes
//! their derived rows and rollup figures out ([`super::retention::apply_doomed`]) in the
//! transaction that moves `retention_through` past them.
//! Killed at any moment, projection resumes from the watermark, and the projection is always what
//! deriving the stored bodies in id order gives (a conversation is folded from its turns in that
//! order; retention recomputes what is left of one). A derived file made by another
//! `DERIVER_VERSION`, or from another event log, is emptied at open (`derived.sql`) and derived
//! again, in the background.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, SyncSender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, params};

use super::StoreError;
use super::give_way::{self, GiveWay};
use super::writer::{Committed, WriterStats};
use crate::watson::derive::{self, CallRow, DERIVER_VERSION, Derived, MessageRow};
use crate::watson::json::Borrowed;

/// Events read and derived together, and applied in one transaction, at most. Fewer, larger
/// transactions cost less per event: each commit flushes the full-text entries as a segment that
/// later merges rewrite, and writes every index page it touched to the log and then to the file at
/// the checkpoint. Session ids, log ids and user ids arrive in no order, so each event touches a
/// page of its own in half a dozen indexes; in a larger batch more events share each page.
/// `logbook bench reindex`, alternating runs: 512 → 2,048 took 300,000 generated events from 3,290
/// and 4,060 events/s to 4,470 and 5,870; 2,048 → 8,192 took the 239,639 bodies of a sustained
/// `bench ingest` run from 3,630–3,900 to 5,190–5,270 events/s (CPU time 60 → 48 s), and 60,000
/// generated events from 7,480–7,560 to 8,750–8,920. The price is memory: a batch's bodies and rows,
/// 155–210 MB at the peak rather than 92–140 MB (bounded by the batch and the caches, not by the
/// size of the store).
pub const PROJECT_BATCH: usize = 8_192;
/// The body bytes read into one batch, at most (the batch ends with the body that passes it): with
/// [`PROJECT_BATCH`], what bounds the memory a batch takes, whatever the store holds. Watson's
/// bodies are a few KiB, so this binds only on unusually large ones (a body may be 10 MiB).
pub const PROJECT_BATCH_BYTES: usize = 32 * 1024 * 1024;
/// After a batch smaller than [`PROJECT_BATCH`], the deriver lets this long pass before it reads
/// again: the projection lag it adds is at most this, and each transaction carries more events.
const GATHER_MS: u64 = 20;
/// How long the deriver waits for news before it looks again (and whether it should stop).
const IDLE_WAIT_MS: u64 = 100;
/// After a failed apply (disk full, say), the deriver waits this long and tries again.
const RETRY_MS: u64 = 500;
/// The projector's page cache, KiB: a batch touches many index pages of the derived tables.
const PROJECTOR_CACHE_KIB: i64 = 32 * 1024;
/// Pages of log (4 KiB) before the projector checkpoints the derived file itself, at the end of a
/// commit: after a full batch (projection is behind: catching up, or a rebuild: 64 MiB, the bound
/// on the log), and after a smaller one (SQLite's default). After a full batch the derived file's
/// checkpointer thread copies the log instead, beside the projector's next batch. With SQLite's
/// 1,000 pages after every batch, the projector copied each full batch's pages and synced them at
/// the end of its commit, a seventh of its time (`perf record` of a `reindex`), while the second
/// core had nothing to do. A full batch of `logbook generate`'s traffic writes 12–15 MB of log;
/// one of the benchmark's 8,192 new conversations up to about 128 MB, which the projector still
/// copies itself (a bound of 256 MiB let the log reach 350 MB for 8 % more). Smaller batches keep
/// SQLite's default: a checkpointer woken every 250 ms synced the disk more often than
/// acknowledgements could bear (paced acknowledgement p99 4.0–5.0 ms without it, 6.1–6.9 ms with,
/// `logbook bench ingest`).
const DERIVED_WAL_AUTOCHECKPOINT_PAGES: (i64, i64) = (16_384, 1_000);
/// The most log the derived file keeps on disk between commits, bytes (`journal_size_limit`):
/// a full batch grows the log to 64–128 MiB, which SQLite would otherwise keep, reused, until the
/// store closes; the projector's first commit after the log was copied cuts it back to this (the
/// event log's, `WAL_KEPT_BYTES`, to its own bound).
pub(super) const DERIVED_WAL_KEPT_BYTES: i64 = 16 * 1024 * 1024;
/// Free pages of the derived file handed back to the file system after retention.
const VACUUM_PAGES: i64 = 2_000;

/// Names in the derived file's `projection_state` table.
pub(super) const PROJECTED_THROUGH: &str = "projected_through";
const PROJECTION_VERSION: &str = "deriver_version";
/// The highest event id when a rebuild began: how far a rebuild has to go.
const REBUILD_THROUGH: &str = "rebuild_through";
/// The last `retention_log.seq` whose events' derived rows are gone.
pub(super) const RETENTION_THROUGH: &str = "retention_through";
/// The `store_id` counter of the event log the file was derived from.
const STORE_ID: &str = "store_id";

/// Where projection stands, as the projector last committed it.
#[derive(Debug, Default)]
pub struct Progress {
    /// Every event up to this id is projected.
    pub projected_through: AtomicI64,
    /// A rebuild is under way until `projected_through` reaches this id (0: none).
    pub rebuild_through: AtomicI64,
    /// Retention's log is applied up to this `seq`: the writer may delete those entries.
    pub retention_through: AtomicI64,
    /// The highest event id derived, or written into the transaction in hand, in this process:
    /// committed or not. It moves inside a batch, which `projected_through` only passes at the
    /// end (a batch of 8,192 events is seconds of work, and minutes in a debug build on a loaded
    /// machine), so a stall watch follows it. A batch that fails and is derived and written again
    /// (a full disk) does not move it: its ids are no higher than before.
    pub working_through: AtomicI64,
}

/// One batch of derived events, ready for the projector.
pub(super) struct Batch {
    /// (event id, arrival time, rows), in id order.
    pub events: Vec<(i64, i64, Derived)>,
    /// The watermark once this batch is applied: the highest event id the deriver read.
    pub through: i64,
    /// Whether the deriver read as much as a batch holds ([`BatchBound`]): projection is behind.
    pub full: bool,
}

/// The derived file of the event log at `path`: `<path>-derived`, beside it like SQLite's own
/// `-wal` and `-shm`. Rebuilt from the event log whenever needed: never the only copy of anything.
pub fn derived_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push("-derived");
    PathBuf::from(name)
}

/// Attaches the derived file to a connection of the event log at `path` as `derived`, made first
/// if there is none yet (empty, at watermark 0: the store projects everything when it opens). Its
/// tables are then read by their names, as if they were the log's.
pub fn attach(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let derived = derived_path(path);
    if !derived.exists() {
        drop(open_derived(path, false)?);
    }
    conn.execute("ATTACH DATABASE ?1 AS derived", [derived.to_string_lossy()])
        .map_err(|source| StoreError::Open {
            path: derived,
            source,
        })?;
    Ok(())
}

/// Every table `derived.sql` makes besides `projection_state`, in an order that drops dependents
/// first: dropped from the derived file before `derived.sql` makes them again, and from the event
/// log, which held them before the derived file existed (`schema_7_derived_file.sql`).
const DERIVED_TABLES: [&str; 15] = [
    "rollup_sessions",
    "rollup_session_ids",
    "rollup_values",
    "rollup_counts",
    "event_fts",
    "call_custom_data",
    "call_warnings",
    "call_turns",
    "calls",
    "message_responses",
    "message_entities",
    "message_intents",
    "message_actions",
    "conversations",
    "messages",
];

/// Drops what is left of the derived tables in the event log, one table per transaction, after
/// the migrations. (Made and dropped in the one transaction of a new database's migrations, with
/// incremental auto-vacuum, they left a log SQLite's checkpoint then called malformed.)
pub(super) fn drop_from_log(conn: &Connection) -> rusqlite::Result<()> {
    for table in DERIVED_TABLES {
        conn.execute_batch(&format!("DROP TABLE IF EXISTS main.{table}"))?;
    }
    Ok(())
}

/// Empties the derived file: its tables are dropped and made again by `derived.sql`.
fn remake_tables(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    for table in DERIVED_TABLES {
        tx.execute_batch(&format!("DROP TABLE IF EXISTS main.{table}"))?;
    }
    tx.execute_batch(include_str!("derived.sql"))
}

/// Opens the derived file of the event log at `path` for writing, with the log attached as `log`:
/// made if missing, and emptied (to be derived again) when it was derived by another
/// `DERIVER_VERSION`, from another event log, or when `rebuild` asks.
pub(super) fn open_derived(path: &Path, rebuild: bool) -> Result<Connection, StoreError> {
    let derived = derived_path(path);
    let open_error = |source| StoreError::Open {
        path: derived.clone(),
        source,
    };
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut conn = Connection::open_with_flags(&derived, flags).map_err(open_error)?;
    // Must precede the first table: retention gives space back with incremental vacuum.
    conn.pragma_update(None, "auto_vacuum", "INCREMENTAL")
        .map_err(open_error)?;
    super::configure(&conn).map_err(open_error)?;
    // A crash loses at most the last commits whole, watermark included: they are projected again.
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(open_error)?;
    conn.pragma_update(None, "cache_size", -PROJECTOR_CACHE_KIB)
        .map_err(open_error)?;
    conn.pragma_update(None, "temp_store", "MEMORY")
        .map_err(open_error)?;
    conn.pragma_update(None, "journal_size_limit", DERIVED_WAL_KEPT_BYTES)
        .map_err(open_error)?;
    // Read-only: the projector never writes the event log, and never takes its lock.
    conn.execute("ATTACH DATABASE ?1 AS log", [read_only_uri(path)])
        .map_err(|source| StoreError::Open {
            path: path.to_owned(),
            source,
        })?;
    prepare(&mut conn, rebuild).map_err(open_error)?;
    Ok(conn)
}

/// `file:` URI opening `path` read-only (SQLite's URI syntax: `%`, `?` and `#` escaped).
fn read_only_uri(path: &Path) -> String {
    let mut uri = String::from("file:");
    for c in path.to_string_lossy().chars() {
        match c {
            '%' => uri.push_str("%25"),
            '?' => uri.push_str("%3f"),
            '#' => uri.push_str("%23"),
            c => uri.push(c),
        }
    }
    uri.push_str("?mode=ro");
    uri
}

/// Makes the derived tables when they are missing or stale (see [`open_derived`]).
fn prepare(conn: &mut Connection, rebuild: bool) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let made: bool = tx.query_row(
        "SELECT count(*) > 0 FROM main.sqlite_schema WHERE name = 'projection_state'",
        [],
        |r| r.get(0),
    )?;
    let log_id: Option<i64> = tx
        .query_row(
            "SELECT value FROM log.counters WHERE name = ?1",
            [STORE_ID],
            |r| r.get(0),
        )
        .optional()?;
    let stale = !made
        || rebuild
        || state(&tx, PROJECTION_VERSION)? != Some(DERIVER_VERSION)
        || state(&tx, STORE_ID)? != log_id;
    if stale {
        remake_tables(&tx)?;
        let last: i64 = tx.query_row("SELECT coalesce(max(id), 0) FROM log.events", [], |r| {
            r.get(0)
        })?;
        // Retention's entries so far are about events this file never had.
        let logged: i64 = tx.query_row(
            "SELECT coalesce(max(seq), 0) FROM log.retention_log",
            [],
            |r| r.get(0),
        )?;
        set_state(&tx, PROJECTION_VERSION, DERIVER_VERSION)?;
        set_state(&tx, PROJECTED_THROUGH, 0)?;
        set_state(&tx, REBUILD_THROUGH, last)?;
        set_state(&tx, RETENTION_THROUGH, logged)?;
        if let Some(id) = log_id {
            set_state(&tx, STORE_ID, id)?;
        }
    } else {
        tx.execute_batch(RETIRED_INDEXES)?;
    }
    tx.commit()
}

/// Indexes `derived.sql` made once and no longer makes, dropped from a file derived before they
/// went. The rows are the same, so this is no new deriver version and no rebuild. `messages_sip`
/// and `conversations_user` went when the index review found that no query reads them (README,
/// Benchmarks); the PostgreSQL store drops them in its schema version 7.
const RETIRED_INDEXES: &str = "DROP INDEX IF EXISTS main.messages_sip;
     DROP INDEX IF EXISTS main.conversations_user;";

/// A value of `projection_state` (read once the table is made: see [`prepare`]).
fn state(conn: &Connection, name: &str) -> rusqlite::Result<Option<i64>> {
    conn.query_row(
        "SELECT value FROM main.projection_state WHERE name = ?1",
        [name],
        |r| r.get(0),
    )
    .optional()
}

pub(super) fn set_state(tx: &Transaction<'_>, name: &str, value: i64) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO main.projection_state (name, value) VALUES (?1, ?2)
         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![name, value])?;
    Ok(())
}

/// Where the derived file at open says projection stands: (projected through, rebuild through,
/// retention through).
fn progress_of(conn: &Connection) -> rusqlite::Result<Progress> {
    let get = |name| state(conn, name).map(|v| AtomicI64::new(v.unwrap_or(0)));
    Ok(Progress {
        projected_through: get(PROJECTED_THROUGH)?,
        rebuild_through: get(REBUILD_THROUGH)?,
        retention_through: get(RETENTION_THROUGH)?,
        working_through: get(PROJECTED_THROUGH)?,
    })
}

/// Writes the derived rows of one event. Its full-text entry is not among them: see [`insert_fts`].
pub(super) fn apply_one(
    tx: &Transaction<'_>,
    id: i64,
    received_at: i64,
    derived: &Derived,
) -> rusqlite::Result<()> {
    if let Some(m) = &derived.message {
        insert_message(tx, id, received_at, m)?;
    }
    if let Some(c) = &derived.call {
        insert_call(tx, id, received_at, c)?;
    }
    Ok(())
}

/// Writes the full-text entries of applied events: the last statements of a projection
/// transaction. FTS5 keeps new entries in memory until the transaction commits, but any later
/// statement that opens a statement journal (an upsert, an `INSERT … SELECT`) makes it flush them
/// first as a segment of their own, and every segment costs a merge: written per event, between the
/// other rows, the index took nearly half of the projector's time.
pub(super) fn insert_fts<'a>(
    tx: &Transaction<'_>,
    entries: impl IntoIterator<Item = (i64, &'a Derived)>,
) -> rusqlite::Result<()> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO event_fts (rowid, user_text, assistant_text, meta) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (id, derived) in entries {
        let fts = &derived.fts;
        if !(fts.user_text.is_empty() && fts.assistant_text.is_empty() && fts.meta.is_empty()) {
            stmt.execute(params![id, fts.user_text, fts.assistant_text, fts.meta])?;
        }
    }
    Ok(())
}

/// Recomputes the conversations of the sessions listed in the temporary table `sessions` from
/// their messages, after retention deleted some: the same values as projecting the messages that
/// are left in id order gives. The first user, assistant,
/// channel and customer seen (by event id), the earliest non-empty user text (by request time).
pub(super) fn refresh_conversations(tx: &Connection, sessions: &str) -> rusqlite::Result<()> {
    let first = |column: &str| {
        format!(
            "(SELECT x.{column} FROM messages x WHERE x.session_id = t.session_id
                 AND x.{column} IS NOT NULL ORDER BY x.event_id LIMIT 1)"
        )
    };
    tx.execute_batch(&format!(
        "DELETE FROM conversations WHERE session_id IN (SELECT session_id FROM temp.{sessions});
         INSERT INTO conversations (session_id, first_at, last_at, turns, user_id, assistant_id,
             channel, customer_id, first_text, first_text_at, first_event_id, last_event_id)
         SELECT t.session_id, min(m.request_at), max(m.request_at), count(*), {user}, {assistant},
             {channel}, {customer},
             (SELECT x.user_text FROM messages x WHERE x.session_id = t.session_id
                  AND trim(coalesce(x.user_text, '')) <> '' ORDER BY x.request_at, x.event_id LIMIT 1),
             (SELECT x.request_at FROM messages x WHERE x.session_id = t.session_id
                  AND trim(coalesce(x.user_text, '')) <> '' ORDER BY x.request_at, x.event_id LIMIT 1),
             min(m.event_id), max(m.event_id)
         FROM temp.{sessions} t JOIN messages m ON m.session_id = t.session_id
         GROUP BY t.session_id;",
        user = first("user_id"),
        assistant = first("assistant_id"),
        channel = first("channel"),
        customer = first("customer_id"),
    ))
}

/// A batch to apply, and where to say how applying it went.
type Job = (Box<Batch>, SyncSender<Result<(), StoreError>>);

/// The projection's two threads: the deriver reads what is not yet projected and derives it; the
/// projector applies one batch while the deriver derives the next.
pub(super) struct Projection {
    stop: Arc<AtomicBool>,
    deriver: Option<JoinHandle<()>>,
    projector: Option<JoinHandle<()>>,
    /// Copies the derived file's log into the file, off the projector's commits.
    checkpointer: super::checkpoint::Checkpointer,
    pub(super) progress: Arc<Progress>,
    pub(super) stats: Arc<ProjectionStats>,
}

/// What the projector has done since it started.
#[derive(Debug, Default)]
pub struct ProjectionStats {
    /// Events projected (derived rows written).
    pub projected: std::sync::atomic::AtomicU64,
    /// The longest projection transaction, microseconds.
    pub max_transaction_us: std::sync::atomic::AtomicU64,
    /// Time the deriver gave way to acknowledgements (`give_way`), milliseconds.
    pub gave_way_ms: std::sync::atomic::AtomicU64,
    /// While the deriver gives way: when it began (Unix ms); 0 the rest of the time.
    pub giving_way_since: AtomicI64,
}

/// Opens (or makes) the derived file of the event log at `path` (see [`open_derived`]), and says
/// where projection stands in it.
pub(super) fn open(path: &Path, rebuild: bool) -> Result<(Connection, Arc<Progress>), StoreError> {
    let conn = open_derived(path, rebuild)?;
    let progress = progress_of(&conn).map_err(|source| StoreError::Open {
        path: derived_path(path),
        source,
    })?;
    Ok((conn, Arc::new(progress)))
}

impl Projection {
    /// Starts projecting, into `conn` (from [`open`]), what is not projected yet, then each commit
    /// of the writer as `commits` announces it.
    pub(super) fn start(
        path: &Path,
        conn: Connection,
        progress: Arc<Progress>,
        commits: Receiver<Committed>,
        writer: Arc<WriterStats>,
    ) -> Result<Self, StoreError> {
        let stats = Arc::new(ProjectionStats::default());
        let stop = Arc::new(AtomicBool::new(false));
        let checkpointer = super::checkpoint::Checkpointer::start(
            &derived_path(path),
            super::threads::DERIVED_CHECKPOINT,
            super::checkpoint::When::Asked,
        )?;
        let (jobs, queue) = mpsc::sync_channel::<Job>(1);
        let projector = {
            let (progress, stats) = (progress.clone(), stats.clone());
            let checkpoint = checkpointer.asker();
            std::thread::Builder::new()
                .name(super::threads::PROJECTOR.into())
                .spawn(move || project(conn, &queue, &progress, &stats, checkpoint))
                .map_err(|source| StoreError::Io {
                    path: path.to_owned(),
                    source,
                })?
        };
        let deriver = {
            let (log, progress, stopping) = (path.to_owned(), progress.clone(), stop.clone());
            let stats = stats.clone();
            std::thread::Builder::new()
                .name(super::threads::DERIVER.into())
                .spawn(move || run(&log, &jobs, &commits, &writer, &progress, &stats, &stopping))
                .map_err(|source| StoreError::Io {
                    path: path.to_owned(),
                    source,
                })?
        };
        Ok(Self {
            stop,
            deriver: Some(deriver),
            projector: Some(projector),
            checkpointer,
            progress,
            stats,
        })
    }

    /// Stops after the batch in hand: what is not projected yet is projected at the next start.
    pub(super) fn stop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.deriver.take() {
            let _ = thread.join();
        }
        // The deriver's end closes the projector's queue.
        if let Some(thread) = self.projector.take() {
            let _ = thread.join();
        }
        // Last: the last connection to close copies what is left of the log and removes it.
        self.checkpointer.stop();
    }
}

impl Drop for Projection {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The projector thread: applies each batch in one transaction of the derived file, after what
/// retention deleted since the last, and publishes the watermark once committed.
fn project(
    mut conn: Connection,
    queue: &Receiver<Job>,
    progress: &Progress,
    stats: &ProjectionStats,
    checkpoint: Option<Sender<()>>,
) {
    use std::sync::atomic::Ordering::Relaxed;
    let mut autocheckpoint = None;
    while let Ok((batch, reply)) = queue.recv() {
        let (after_full, after_small) = DERIVED_WAL_AUTOCHECKPOINT_PAGES;
        let pages = if batch.full { after_full } else { after_small };
        if autocheckpoint != Some(pages) {
            autocheckpoint = conn
                .pragma_update(None, "wal_autocheckpoint", pages)
                .ok()
                .map(|()| pages);
        }
        let started = std::time::Instant::now();
        let applied = apply(&mut conn, &batch, &progress.working_through);
        if let Ok((through, retention_through, freed)) = &applied {
            if batch.full {
                // The checkpointer copies this batch's log beside the next batch.
                if let Some(ask) = &checkpoint {
                    let _ = ask.send(());
                }
            }
            progress.projected_through.fetch_max(*through, Relaxed);
            progress
                .retention_through
                .fetch_max(*retention_through, Relaxed);
            stats
                .projected
                .fetch_add(batch.events.len() as u64, Relaxed);
            stats
                .max_transaction_us
                .fetch_max(started.elapsed().as_micros() as u64, Relaxed);
            if *freed {
                // Space retention freed goes back to the file system, a little at a time.
                let _ = super::incremental_vacuum(&conn, VACUUM_PAGES);
            }
        }
        let _ = reply.send(applied.map(|_| ()).map_err(StoreError::from_write));
    }
}

/// One transaction: retention's deletions since the last, then the batch's rows, rollups,
/// watermark and full-text entries. Returns (projected through, retention through, whether
/// retention deleted anything).
fn apply(
    conn: &mut Connection,
    batch: &Batch,
    working: &AtomicI64,
) -> rusqlite::Result<(i64, i64, bool)> {
    // What the transaction needs of the event log, read first at one snapshot, in a read
    // transaction of its own: what retention deleted since the last, and which of the batch's
    // events are still stored, with their endpoints (an event retention deleted after the deriver
    // read it is skipped, and one it deletes after this snapshot is listed for the next
    // transaction). A snapshot held for the whole transaction (seconds, under load) kept the
    // checkpointer from copying the log past it, and the event log's writer then copied it inside
    // its commits.
    let read = conn.transaction()?;
    let applied_before = state(&read, RETENTION_THROUGH)?.unwrap_or(0);
    let retention_through = super::retention::list_doomed(&read, applied_before)?;
    let stored = list_stored(&read, batch)?;
    read.commit()?;

    // Deferred: the projector is the derived file's only writer.
    let tx = conn.transaction()?;
    if retention_through > applied_before {
        super::retention::apply_doomed(&tx)?;
        set_state(&tx, RETENTION_THROUGH, retention_through)?;
    }
    let mut applied = Vec::with_capacity(batch.events.len());
    for (id, received_at, derived) in &batch.events {
        if stored.contains(id) {
            apply_one(&tx, *id, *received_at, derived)?;
            applied.push((*id, derived));
        }
        working.fetch_max(*id, Ordering::Relaxed);
    }
    // The batch's figures into the rollups: one upsert per hour and measure.
    if let (Some(first), Some(last)) = (batch.events.first(), batch.events.last()) {
        super::rollup::add_events(&tx, first.0, last.0, BATCH_EVENTS)?;
    }
    tx.prepare_cached(
        "INSERT INTO main.projection_state (name, value) VALUES (?1, ?2)
         ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)",
    )?
    .execute(params![PROJECTED_THROUGH, batch.through])?;
    insert_fts(&tx, applied)?;
    tx.commit()?;
    Ok((
        batch.through,
        retention_through,
        retention_through > applied_before,
    ))
}

/// The temporary table where [`list_stored`] lists a batch's events.
const BATCH_EVENTS: &str = "batch_events";

/// Lists those of `batch`'s events the event log still holds, with their endpoints (for the
/// rollups), in the temporary table [`BATCH_EVENTS`]; returns their ids.
fn list_stored(conn: &Connection, batch: &Batch) -> rusqlite::Result<HashSet<i64>> {
    conn.execute_batch(&format!(
        "CREATE TEMP TABLE IF NOT EXISTS {BATCH_EVENTS} (id INTEGER PRIMARY KEY, endpoint TEXT);
         DELETE FROM temp.{BATCH_EVENTS};"
    ))?;
    let (Some(first), Some(last)) = (batch.events.first(), batch.events.last()) else {
        return Ok(HashSet::new());
    };
    let mut stmt = conn.prepare_cached(&format!(
        "INSERT INTO temp.{BATCH_EVENTS} (id, endpoint)
             SELECT id, endpoint FROM log.events WHERE id BETWEEN ?1 AND ?2
         RETURNING id"
    ))?;
    let ids = stmt.query_map([first.0, last.0], |r| r.get(0))?;
    ids.collect()
}

fn run(
    path: &std::path::Path,
    projector: &SyncSender<Job>,
    commits: &Receiver<Committed>,
    writer: &WriterStats,
    progress: &Progress,
    stats: &ProjectionStats,
    stop: &AtomicBool,
) {
    let writes_waited = || writer.waiting.total(Instant::now());
    let Ok(conn) = super::open_reader(path) else {
        return;
    };
    let idle = Duration::from_millis(IDLE_WAIT_MS);
    // Read up to here; applied up to `progress.projected_through`.
    let mut read_through = progress.projected_through.load(Ordering::Relaxed);
    let mut in_flight: Option<Receiver<Result<(), StoreError>>> = None;
    let mut give_way = GiveWay::new(Instant::now(), writes_waited());
    while !stop.load(Ordering::Relaxed) {
        if give_way.waits(Instant::now(), writes_waited()) {
            let now = chrono::Utc::now().timestamp_millis();
            let _ = stats.giving_way_since.compare_exchange(
                0,
                now,
                Ordering::Relaxed,
                Ordering::Relaxed,
            );
            std::thread::sleep(give_way::WINDOW);
            let waited = give_way::WINDOW.as_millis() as u64;
            stats.gave_way_ms.fetch_add(waited, Ordering::Relaxed);
            continue;
        }
        stats.giving_way_since.store(0, Ordering::Relaxed);
        let ((events, full), retention_waits) = match read_batch(&conn, read_through)
            .and_then(|read| Ok((read, retention_waits(&conn, progress)?)))
        {
            Ok(read) => read,
            Err(_) => {
                std::thread::sleep(Duration::from_millis(RETRY_MS));
                continue;
            }
        };
        if events.is_empty() && !retention_waits {
            // Nothing new: wait for the previous batch to land, then for the next commit.
            if !landed(in_flight.take(), &mut read_through, progress) {
                continue;
            }
            match commits.recv_timeout(idle) {
                // One read covers every commit announced so far: the others are old news (many
                // pile up while a long batch is applied, or while projection gives way).
                Ok(_) => while commits.try_recv().is_ok() {},
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => std::thread::sleep(idle),
            }
            continue;
        }
        let through = events.last().map_or(read_through, |(id, _, _)| *id);
        let batch = Batch {
            events: events
                .into_iter()
                .map(|(id, received_at, body)| {
                    let derived = derive_body(&body);
                    progress.working_through.fetch_max(id, Ordering::Relaxed);
                    (id, received_at, derived)
                })
                .collect(),
            through,
            full,
        };
        // One batch in the projector's hands at a time: this one waits for the previous to land.
        if !landed(in_flight.take(), &mut read_through, progress) {
            continue;
        }
        let (reply, done) = mpsc::sync_channel(1);
        if projector.send((Box::new(batch), reply)).is_err() {
            return;
        }
        in_flight = Some(done);
        read_through = through;
        // A small batch means projection has caught up: let the next one gather a little, so a
        // steady stream is projected in a few larger transactions rather than one per event.
        if !full {
            give_way.caught_up(Instant::now());
            std::thread::sleep(Duration::from_millis(GATHER_MS));
        }
    }
    if let Some(done) = in_flight {
        let _ = done.recv();
    }
}

/// Whether retention deleted events whose derived rows are not taken out yet.
fn retention_waits(conn: &Connection, progress: &Progress) -> rusqlite::Result<bool> {
    let logged: i64 = conn
        .prepare_cached("SELECT coalesce(max(seq), 0) FROM main.retention_log")?
        .query_row([], |r| r.get(0))?;
    Ok(logged > progress.retention_through.load(Ordering::Relaxed))
}

/// Waits for the batch in the projector's hands (if any) to be applied. When it was not (a full
/// disk, say), reading goes back to the watermark after a pause, and `false` says to start over.
fn landed(
    in_flight: Option<Receiver<Result<(), StoreError>>>,
    read_through: &mut i64,
    progress: &Progress,
) -> bool {
    match in_flight.map(|done| done.recv()) {
        None | Some(Ok(Ok(()))) => true,
        Some(_) => {
            *read_through = progress.projected_through.load(Ordering::Relaxed);
            std::thread::sleep(Duration::from_millis(RETRY_MS));
            false
        }
    }
}

/// A stored event as the deriver reads it: (id, arrival time, body).
type StoredEvent = (i64, i64, Vec<u8>);

/// The next events after `after`, in id order, as [`BatchBound`] bounds a batch; and whether it
/// was full (more may be waiting).
fn read_batch(conn: &Connection, after: i64) -> rusqlite::Result<(Vec<StoredEvent>, bool)> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, received_at, body, body_zstd FROM main.events WHERE id > ?1 ORDER BY id LIMIT ?2",
    )?;
    let mut rows = stmt.query(params![after, PROJECT_BATCH as i64])?;
    let (mut events, mut bound) = (Vec::new(), BatchBound::new(PROJECT_BATCH));
    while let Some(r) = rows.next()? {
        let body = super::stored_body::unpack(r.get_ref(2)?, r.get(3)?, 2)?;
        let full = bound.full_with(body.len());
        events.push((r.get(0)?, r.get(1)?, body));
        if full {
            return Ok((events, true));
        }
    }
    Ok((events, false))
}

/// Where a batch ends, on either store: at its store's most events ([`PROJECT_BATCH`] here), or
/// with the body that passes [`PROJECT_BATCH_BYTES`].
pub(super) struct BatchBound {
    most: usize,
    events: usize,
    bytes: usize,
}

impl BatchBound {
    /// A batch of at most `most` events.
    pub(super) fn new(most: usize) -> Self {
        Self {
            most,
            events: 0,
            bytes: 0,
        }
    }

    /// Counts one more event, whose body is `len` bytes: `true` when the batch ends with it (more
    /// may be waiting).
    pub(super) fn full_with(&mut self, len: usize) -> bool {
        self.events += 1;
        self.bytes += len;
        self.events >= self.most || self.bytes >= PROJECT_BATCH_BYTES
    }
}

/// What a stored body derives to. Every stored body was a JSON object with `event.name` when it was
/// acknowledged; one that no longer parses derives to nothing rather than stopping projection.
pub fn derive_body(body: &[u8]) -> Derived {
    match crate::watson::parse_envelope::<Borrowed>(body) {
        Ok((kind, value)) => derive::derive(&kind, &value),
        Err(_) => Derived::default(),
    }
}

/// Times used for ordering are never NULL: a payload without a parsable time sorts by arrival.
fn insert_message(
    conn: &Connection,
    id: i64,
    received_at: i64,
    m: &MessageRow,
) -> rusqlite::Result<()> {
    let request_at = m.request_at.unwrap_or(received_at);
    let (top_intent, top_confidence) = match m.intents.first() {
        Some((intent, confidence)) => (Some(intent.as_str()), *confidence),
        None => (None, None),
    };
    conn.prepare_cached(
        "INSERT INTO messages (event_id, log_id, session_id, context_session_id, assistant_id, skill_id,
             snapshot, language, user_id, customer_id, request_ts, request_at, response_ts, response_at,
             response_ms, turn_count, input_kind, user_text, stt_confidence, assistant_text,
             response_types, top_intent, top_confidence, channel, sip_call_id, cdr_custom_data)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,
                 ?20, ?21, ?22, ?23, ?24, ?25, ?26)",
    )?
    .execute(params![
        id,
        m.log_id,
        m.session_id,
        m.context_session_id,
        m.assistant_id,
        m.skill_id,
        m.snapshot,
        m.language,
        m.user_id,
        m.customer_id,
        m.request_ts,
        request_at,
        m.response_ts,
        m.response_at,
        m.response_ms,
        m.turn_count,
        m.input_kind,
        m.user_text,
        m.stt_confidence,
        m.assistant_text,
        m.response_types.join(" "),
        top_intent,
        top_confidence,
        m.channel,
        m.sip_call_id,
        m.cdr_custom_data,
    ])?;
    if let Some(session_id) = &m.session_id {
        let text = m.user_text.as_deref().filter(|t| !t.trim().is_empty());
        conn.prepare_cached(
            "INSERT INTO conversations (session_id, first_at, last_at, turns, user_id, assistant_id, channel,
                 customer_id, first_text, first_text_at, first_event_id, last_event_id)
             VALUES (?1, ?2, ?2, 1, ?3, ?4, ?5, ?6, ?7, CASE WHEN ?7 IS NULL THEN NULL ELSE ?2 END, ?8, ?8)
             ON CONFLICT (session_id) DO UPDATE SET
                 first_at = min(coalesce(first_at, excluded.first_at), coalesce(excluded.first_at, first_at)),
                 last_at = max(coalesce(last_at, excluded.last_at), coalesce(excluded.last_at, last_at)),
                 turns = turns + 1,
                 user_id = coalesce(user_id, excluded.user_id),
                 assistant_id = coalesce(assistant_id, excluded.assistant_id),
                 channel = coalesce(channel, excluded.channel),
                 customer_id = coalesce(customer_id, excluded.customer_id),
                 first_text = CASE WHEN excluded.first_text IS NOT NULL
                     AND (first_text IS NULL OR excluded.first_text_at < first_text_at)
                     THEN excluded.first_text ELSE first_text END,
                 first_text_at = CASE WHEN excluded.first_text IS NOT NULL
                     AND (first_text IS NULL OR excluded.first_text_at < first_text_at)
                     THEN excluded.first_text_at ELSE first_text_at END,
                 first_event_id = min(first_event_id, excluded.first_event_id),
                 last_event_id = max(last_event_id, excluded.last_event_id)",
        )?
        .execute(params![
            session_id,
            request_at,
            m.user_id,
            m.assistant_id,
            m.channel,
            m.customer_id,
            text,
            id
        ])?;
    }
    let mut stmt = conn.prepare_cached(
        "INSERT INTO message_intents (event_id, intent, confidence, title) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (intent, confidence) in &m.intents {
        let title = crate::watson::response::intent_title(intent, &m.actions);
        stmt.execute(params![id, intent, confidence, title])?;
    }
    let mut stmt = conn.prepare_cached(
        "INSERT INTO message_actions (event_id, action, title) VALUES (?1, ?2, ?3)",
    )?;
    for (action, title) in &m.actions {
        stmt.execute(params![id, action, title])?;
    }
    let mut stmt = conn.prepare_cached(
        "INSERT INTO message_entities (event_id, entity, value, confidence) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for e in &m.entities {
        stmt.execute(params![id, e.entity, e.value, e.confidence])?;
    }
    let mut stmt = conn.prepare_cached(
        "INSERT INTO message_responses (event_id, seq, response_type) VALUES (?1, ?2, ?3)",
    )?;
    for (seq, response_type) in m.response_types.iter().enumerate() {
        stmt.execute(params![id, seq as i64, response_type])?;
    }
    Ok(())
}

fn insert_call(conn: &Connection, id: i64, received_at: i64, c: &CallRow) -> rusqlite::Result<()> {
    let start_at = c.start_at.unwrap_or(received_at);
    conn.prepare_cached(
        "INSERT INTO calls (event_id, global_session_id, start_ts, start_at, stop_ts, duration_ms,
             outbound, end_reason_raw, end_reason, failure_occurred, failure_details, transfer_occurred,
             primary_phone_number, from_uri, to_uri, caller, callee, sip_call_id, trunk_call_id,
             invite_arrival_ts, setup_ms, max_assistant_ms, max_tts_ms, max_stt_ms, media_encrypted,
             signaling_encrypted, sip_authenticated, active_calls, turn_count, warning_count, rtp)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,
                 ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31)",
    )?
    .execute(params![
        id,
        c.global_session_id,
        c.start_ts,
        start_at,
        c.stop_ts,
        c.duration_ms,
        c.outbound,
        c.end_reason_raw,
        c.end_reason,
        c.failure_occurred,
        c.failure_details,
        c.transfer_occurred,
        c.primary_phone_number,
        c.from_uri,
        c.to_uri,
        c.caller,
        c.callee,
        c.sip_call_id,
        c.trunk_call_id,
        c.invite_arrival_ts,
        c.setup_ms,
        c.max_assistant_ms,
        c.max_tts_ms,
        c.max_stt_ms,
        c.media_encrypted,
        c.signaling_encrypted,
        c.sip_authenticated,
        c.active_calls,
        c.turns.len() as i64,
        c.warnings.len() as i64,
        c.rtp,
    ])?;
    let mut stmt = conn.prepare_cached(
        "INSERT INTO call_turns (event_id, seq, summary_index, session_id, assistant_id, log_id,
             request_type, response_types, start_ts, start_at, assistant_ms, stt_ms, stt_confidence,
             echo_detected, tts_ms, barge_in)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
    )?;
    for (seq, t) in c.turns.iter().enumerate() {
        stmt.execute(params![
            id,
            seq as i64,
            t.summary_index,
            t.session_id,
            t.assistant_id,
            t.log_id,
            t.request_type,
            t.response_types.join(" "),
            t.start_ts,
            t.start_at,
            t.assistant_ms,
            t.stt_ms,
            t.stt_confidence,
            t.echo_detected,
            t.tts_ms,
            t.barge_in,
        ])?;
    }
    let mut stmt = conn.prepare_cached(
        "INSERT INTO call_warnings (event_id, seq, code, message) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (seq, w) in c.warnings.iter().enumerate() {
        stmt.execute(params![id, seq as i64, w.code, w.message])?;
    }
    // A key repeated in the payload keeps its last value, as a JSON object would.
    let mut stmt = conn.prepare_cached(
        "INSERT INTO call_custom_data (event_id, key, value) VALUES (?1, ?2, ?3)
         ON CONFLICT (event_id, key) DO UPDATE SET value = excluded.value",
    )?;
    for (key, value) in &c.custom_data {
        stmt.execute(params![id, key, value])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn names(conn: &Connection, sql: &str) -> BTreeSet<String> {
        let mut stmt = conn.prepare(sql).unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// A batch ends at [`PROJECT_BATCH`] events or with the body that passes
    /// [`PROJECT_BATCH_BYTES`], whichever comes first, and says when more may be waiting: what
    /// bounds the deriver's memory however large the bodies.
    #[test]
    fn a_batch_is_bounded_by_events_and_by_body_bytes() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE events (id INTEGER PRIMARY KEY, received_at, body BLOB, body_zstd)",
        )
        .unwrap();
        let large = (PROJECT_BATCH_BYTES / 3 + 1) as i64;
        for _ in 0..4 {
            conn.execute(
                "INSERT INTO events (received_at, body) VALUES (0, zeroblob(?1))",
                [large],
            )
            .unwrap();
        }
        let (events, full) = read_batch(&conn, 0).unwrap();
        assert_eq!(events.iter().map(|e| e.0).collect::<Vec<_>>(), [1, 2, 3]);
        assert!(full, "a batch cut by its bytes may have more behind it");
        let (events, full) = read_batch(&conn, 3).unwrap();
        assert_eq!((events.len(), full), (1, false));

        for _ in 0..PROJECT_BATCH + 1 {
            conn.execute(
                "INSERT INTO events (received_at, body) VALUES (0, x'7b7d')",
                [],
            )
            .unwrap();
        }
        let (events, full) = read_batch(&conn, 4).unwrap();
        assert_eq!((events.len(), full), (PROJECT_BATCH, true));
        let (events, full) = read_batch(&conn, events.last().unwrap().0).unwrap();
        assert_eq!((events.len(), full), (1, false));
    }

    /// A derived file made before an index was retired loses the index when it opens, and keeps
    /// its rows and its place: no rebuild.
    #[test]
    fn a_retired_index_is_dropped_without_a_rebuild() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("logbook.db");
        drop(super::super::Store::open(&path, super::super::StoreOptions::default()).unwrap());
        let mut conn = open_derived(&path, false).unwrap();
        let tx = conn.transaction().unwrap();
        tx.execute_batch(
            "CREATE INDEX messages_sip ON messages (sip_call_id) WHERE sip_call_id IS NOT NULL;
             CREATE INDEX conversations_user ON conversations (user_id, last_at);",
        )
        .unwrap();
        set_state(&tx, PROJECTED_THROUGH, 42).unwrap();
        tx.commit().unwrap();
        drop(conn);

        let conn = open_derived(&path, false).unwrap();
        let indexes = names(
            &conn,
            "SELECT name FROM main.sqlite_schema WHERE type = 'index'",
        );
        assert!(!indexes.contains("messages_sip"), "{indexes:?}");
        assert!(!indexes.contains("conversations_user"), "{indexes:?}");
        assert!(indexes.contains("messages_session"), "{indexes:?}");
        assert_eq!(state(&conn, PROJECTED_THROUGH).unwrap(), Some(42));
    }

    /// An event retention deleted after the deriver read it (gone from the events table, listed
    /// in the retention log, still in the batch) gets no derived rows and counts in no rollup: the
    /// projection is the one the stored bodies give, though the projector reads what it needs of
    /// the event log before its transaction rather than holding a snapshot of it throughout.
    #[test]
    fn an_event_deleted_after_it_was_read_is_not_projected() {
        let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/samples");
        let bodies: Vec<Vec<u8>> = [
            "01_webchat_welcome.json",
            "02_webchat_order_status.json",
            "03_webchat_disambiguation.json",
        ]
        .iter()
        .map(|f| std::fs::read(samples.join(f)).unwrap())
        .collect();
        // Stores `stored` (indexes into `bodies`, each under id index + 1), derives them, deletes
        // `deleted` as retention would, applies the batch; the messages, rollups and retention
        // watermark that gives.
        let project = |stored: &[usize], deleted: Option<i64>| {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("logbook.db");
            drop(super::super::Store::open(&path, super::super::StoreOptions::default()).unwrap());
            let log = Connection::open(&path).unwrap();
            for &i in stored {
                log.execute(
                    "INSERT INTO events (id, received_at, endpoint, path, kind, auth, verified,
                                         headers, body)
                     VALUES (?1, 0, 'shop', '/shop', 'message_logged', 'none', 0, '[]', ?2)",
                    params![i as i64 + 1, bodies[i]],
                )
                .unwrap();
            }
            let reader = super::super::open_reader(&path).unwrap();
            let (read, _) = read_batch(&reader, 0).unwrap();
            if let Some(id) = deleted {
                log.execute_batch(&format!(
                    "DELETE FROM events WHERE id = {id};
                     INSERT INTO retention_log (event_id, endpoint) VALUES ({id}, 'shop');"
                ))
                .unwrap();
            }
            let batch = Batch {
                through: read.last().unwrap().0,
                full: false,
                events: read
                    .into_iter()
                    .map(|(id, at, body)| (id, at, derive_body(&body)))
                    .collect(),
            };
            let mut conn = open_derived(&path, false).unwrap();
            apply(&mut conn, &batch, &AtomicI64::new(0)).unwrap();
            (
                names(&conn, "SELECT event_id || '' FROM messages"),
                names(
                    &conn,
                    "SELECT concat_ws('|', hour, endpoint, count, given, value, n)
                     FROM rollup_counts",
                ),
                state(&conn, RETENTION_THROUGH).unwrap(),
            )
        };
        let (messages, rollups, retention) = project(&[0, 1, 2], Some(2));
        let (only_stored, their_rollups, _) = project(&[0, 2], None);
        assert_eq!(messages, only_stored);
        assert_eq!(messages, BTreeSet::from(["1".into(), "3".into()]));
        assert!(!rollups.is_empty());
        assert_eq!(rollups, their_rollups);
        assert_eq!(retention, Some(1), "the retention log entry is applied");
    }

    /// The lists of derived tables in code name exactly what `derived.sql` makes, so that a
    /// rebuild drops every one and retention reaches every row of a deleted event.
    #[test]
    fn the_table_lists_name_what_derived_sql_makes() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(include_str!("derived.sql")).unwrap();
        let made = names(
            &conn,
            "SELECT name FROM pragma_table_list WHERE schema = 'main'
             AND type IN ('table', 'virtual') AND name NOT LIKE 'sqlite_%'
             AND name <> 'projection_state'",
        );
        let listed: BTreeSet<String> = DERIVED_TABLES.iter().map(|t| t.to_string()).collect();
        assert_eq!(made, listed, "DERIVED_TABLES and derived.sql differ");

        let by_event = names(
            &conn,
            "SELECT t.name FROM pragma_table_list t, pragma_table_info(t.name) c
             WHERE t.schema = 'main' AND t.type = 'table' AND c.name = 'event_id'",
        );
        let listed: BTreeSet<String> = super::super::retention::DERIVED_BY_EVENT
            .iter()
            .map(|t| t.to_string())
            .collect();
        assert_eq!(
            by_event, listed,
            "retention's DERIVED_BY_EVENT misses a table"
        );

        // Dropping by the list leaves nothing but the state, and derived.sql makes it all again.
        let tx = conn.unchecked_transaction().unwrap();
        remake_tables(&tx).unwrap();
        tx.commit().unwrap();
    }
}
