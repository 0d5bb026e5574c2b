//! The SQLite store: schema, migrations, and the one writer.
//!
//! Contract: exactly one thread writes, through [`Store::submit_event`] and
//! [`Store::submit_rejection`]; each call returns only after the transaction holding its row has
//! committed with `synchronous=FULL`, so an acknowledged event survives a killed process and a power
//! cut. Concurrent submissions are committed together (group commit). Readers open their own read-only
//! connections ([`Store::reader`], [`open_reader`]) and never block the writer (WAL).
//!
//! Durable first, derive after: an acknowledgement writes only the event row (its exact bytes,
//! redacted headers, envelope and dedup key). Everything read out of the body is a projection of
//! the events table, made by [`projection`] after the acknowledgement in a file of its own
//! (`<db>-derived`, attached to every reader) and rebuilt from the bodies whenever the deriver
//! changes.
//!
//! Team mode's PostgreSQL event log ([`postgres`]) keeps the same acknowledgement contract; the
//! receiver writes through the seam both implement ([`EventLog`]).

mod checkpoint;
mod event_log;
mod give_way;
pub mod outbox;
pub mod postgres;
pub mod projection;
pub mod pulls;
pub mod rejection;
pub mod replays;
pub mod retention;
pub mod rollup;
pub mod stall;
pub mod stored_body;
mod writer;

/// The names the SQLite store gives its threads, as the system shows them (`top -H`, a profiler,
/// `bench ingest`'s split of the CPU; Linux keeps the first 15 bytes).
pub mod threads {
    pub const WRITER: &str = "logbook-writer";
    pub const CHECKPOINT: &str = "logbook-checkpoint";
    pub const PROJECTOR: &str = "logbook-projector";
    pub const DERIVER: &str = "logbook-deriver";
    /// The derived file's checkpointer (`checkpoint.rs`), part of the projection.
    pub const DERIVED_CHECKPOINT: &str = "logbook-derived-checkpoint";
}

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::mpsc::Receiver;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use rusqlite_migration::{M, Migrations};

pub use event_log::{EventLog, is_postgres_url};
pub use outbox::ForwardRoute;
pub use postgres::PgStore;
pub use retention::Retention;
pub use writer::{
    Committed, NewEvent, NewRejection, Outcome, PulledOutcome, PulledPage, WriterStats,
};

/// How long a connection waits for a lock before giving up with `SQLITE_BUSY`.
pub const BUSY_TIMEOUT_MS: u64 = 5_000;
/// The writer's page cache, KiB: the event log's tables and indexes grow at their ends.
const WRITER_CACHE_KIB: i64 = 8 * 1024;
/// WAL pages before the writer checkpoints (4 KiB pages: 32 MiB): the bound on the log's size. The
/// checkpointer thread (`checkpoint.rs`) copies the log long before, off the writer's commits.
const WAL_AUTOCHECKPOINT_PAGES: i64 = 8_192;
/// The most log the event log keeps on disk between commits, bytes (`journal_size_limit`): its
/// bound. A larger transaction (an import's, a pull's) grows the log past it; the first commit after
/// the log was copied cuts it back, instead of keeping it that size until the store closes. That
/// commit checks the log's size, which costs a system call; the other commits check nothing.
const WAL_KEPT_BYTES: i64 = 32 * 1024 * 1024;
/// The newest rejected requests kept of each class ([`rejection::Class`]), unless configured
/// otherwise.
pub const DEFAULT_REJECTIONS_KEPT: u64 = 1_000;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open database {path}: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error(
        "database {0} is already being written by another Logbook (`logbook serve` or the desktop app); stop it first, or read it with the query commands"
    )]
    Locked(PathBuf),
    #[error("cannot create {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "database {path} was written by a newer Assistant Logbook (its schema is version {found}; this one knows up to {known}): open it with that version or a later one"
    )]
    Newer {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("database migration failed: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    /// The write could not be made now (disk full, I/O error, lock held too long); trying again later
    /// may succeed. The receiver answers 503 with `Retry-After`.
    #[error("the store cannot write now: {0}")]
    Unavailable(String),
    #[error("the store refused the event: {0}")]
    Rejected(String),
    #[error("the store's writer has stopped")]
    WriterStopped,
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A store URL that cannot be used (the message never repeats the URL: it may hold a password).
    #[error("{0}")]
    StoreUrl(String),
    /// The PostgreSQL store could not be opened: what was tried and why it failed.
    #[error("{0}")]
    Postgres(String),
}

impl StoreError {
    /// Whether the message names the file it is about (so a caller need not add the path again).
    pub fn names_file(&self) -> bool {
        matches!(
            self,
            Self::Open { .. } | Self::Locked(_) | Self::Io { .. } | Self::Newer { .. }
        )
    }

    /// Whether the failure is about the store's state rather than the event: answer 503, not 500.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unavailable(_) | Self::WriterStopped)
    }

    /// Classifies a SQLite error raised while writing.
    fn from_write(err: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode::*;
        match err.sqlite_error_code() {
            Some(
                DiskFull | SystemIoFailure | DatabaseBusy | DatabaseLocked | CannotOpen | ReadOnly,
            ) => Self::Unavailable(err.to_string()),
            _ => Self::Rejected(err.to_string()),
        }
    }
}

/// `PRAGMA synchronous` for the writer. `Full` is the default: in WAL mode it syncs the log at every
/// commit, which is what makes an acknowledgement survive a power cut. `Normal` survives a killed
/// process but not a power cut; the benchmark measures both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Synchronous {
    #[default]
    Full,
    Normal,
    Off,
}

impl Synchronous {
    pub(super) fn pragma(self) -> &'static str {
        match self {
            Self::Full => "FULL",
            Self::Normal => "NORMAL",
            Self::Off => "OFF",
        }
    }
}

#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub synchronous: Synchronous,
    /// The newest refused requests kept of each class (with a JWT, and the rest); each class also
    /// keeps to [`rejection::REJECTION_CLASS_BUDGET_BYTES`].
    pub rejections_kept: u64,
    /// Old events deleted by age or by size; nothing by default.
    pub retention: Retention,
    /// Derive everything again from the stored bodies, as `logbook reindex` does (a store derived
    /// by another deriver version does it anyway).
    pub rebuild: bool,
    /// Downstreams an accepted event is queued for, in its own transaction (the outbox).
    pub forwards: Vec<ForwardRoute>,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            synchronous: Synchronous::Full,
            rejections_kept: DEFAULT_REJECTIONS_KEPT,
            retention: Retention::default(),
            rebuild: false,
            forwards: Vec::new(),
        }
    }
}

/// Where projection stands: what the read side shows is projected up to `projected_through`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProjectionState {
    /// Every event up to this id has its derived rows.
    pub projected_through: i64,
    /// During a rebuild, the highest event id it must reach; `None` when no rebuild is under way.
    pub rebuild_through: Option<i64>,
    /// Grows while projection works, inside a batch too (`projection::Progress::working_through`):
    /// what a stall watch follows.
    pub working_through: i64,
}

/// The open store: owns the writer thread, the deriver thread, and the lock that makes it the only
/// writer.
pub struct Store {
    path: PathBuf,
    projection: projection::Projection,
    checkpointer: checkpoint::Checkpointer,
    writer: writer::Writer,
    _lock: File,
}

impl Store {
    /// Opens (creating if needed) the database at `path`, migrates it, and starts the writer. Fails
    /// with [`StoreError::Locked`] when another process is writing the same file.
    pub fn open(path: &Path, options: StoreOptions) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
                path: dir.to_owned(),
                source,
            })?;
        }
        let lock = acquire_writer_lock(path)?;
        let mut conn = Connection::open(path).map_err(|source| StoreError::Open {
            path: path.to_owned(),
            source,
        })?;
        // Must precede the first table: retention gives space back with incremental vacuum.
        conn.pragma_update(None, "auto_vacuum", "INCREMENTAL")?;
        configure(&conn)?;
        conn.pragma_update(None, "synchronous", options.synchronous.pragma())?;
        conn.pragma_update(None, "cache_size", -WRITER_CACHE_KIB)?;
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        // Checkpoint less often, in bigger steps: index pages rewritten by many commits are copied once.
        conn.pragma_update(None, "wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES)?;
        conn.pragma_update(None, "journal_size_limit", WAL_KEPT_BYTES)?;
        // A newer version's rows may mean what this one cannot read (its bodies, say): refused.
        let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let known = MIGRATIONS.len() as i64;
        if found > known {
            return Err(StoreError::Newer {
                path: path.to_owned(),
                found,
                known,
            });
        }
        migrations().to_latest(&mut conn)?;
        projection::drop_from_log(&conn)?;
        let state = writer::prepare(&mut conn, &options)?;
        let (derived, progress) = projection::open(path, options.rebuild)?;
        let checkpointer = checkpoint::Checkpointer::start(
            path,
            threads::CHECKPOINT,
            checkpoint::When::Regularly,
        )?;
        let writer = writer::Writer::start(conn, options, state, progress.clone());
        let projection = projection::Projection::start(
            path,
            derived,
            progress,
            writer.subscribe(),
            writer.stats.clone(),
        )?;
        Ok(Self {
            path: path.to_owned(),
            projection,
            checkpointer,
            writer,
            _lock: lock,
        })
    }

    /// How far projection has come (as committed by the projector).
    pub fn projection(&self) -> ProjectionState {
        let progress = &self.projection.progress;
        let through = progress.projected_through.load(Ordering::Relaxed);
        let target = progress.rebuild_through.load(Ordering::Relaxed);
        ProjectionState {
            projected_through: through,
            rebuild_through: (target > through).then_some(target),
            working_through: progress
                .working_through
                .load(Ordering::Relaxed)
                .max(through),
        }
    }

    /// Waits until every event stored so far is projected, and every event retention deleted so
    /// far is out of the derived data; `false` when projection stalled (the disk is full, say): no
    /// progress for at least `stall`, as [`stall`] judges it, however long the whole wait was.
    pub fn wait_projected(&self, stall: Duration) -> Result<bool, StoreError> {
        let (last, logged): (i64, i64) = self.reader()?.query_row(
            "SELECT (SELECT coalesce(max(id), 0) FROM events),
                    (SELECT coalesce(max(seq), 0) FROM retention_log)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        // (projected through, retention through, working through), each of which only grows.
        let now = || {
            let state = self.projection();
            let retention = self
                .projection
                .progress
                .retention_through
                .load(Ordering::Relaxed);
            (state.projected_through, retention, state.working_through)
        };
        let mut seen = now();
        // The work inside a batch and retention's place: their sum moves whenever either does.
        let mut watch = stall::StallWatch::new(stall, seen.2 + seen.1);
        while seen.0 < last || seen.1 < logged {
            if watch.check(seen.2 + seen.1).is_some() {
                return Ok(false);
            }
            std::thread::sleep(Duration::from_millis(2));
            seen = now();
        }
        Ok(true)
    }

    /// What the projector has done since the store opened.
    pub fn projection_stats(&self) -> &projection::ProjectionStats {
        &self.projection.stats
    }

    /// While projection gives way to a burst of acknowledgements: since when (Unix ms).
    pub fn projection_giving_way_since(&self) -> Option<i64> {
        let since = self
            .projection
            .stats
            .giving_way_since
            .load(std::sync::atomic::Ordering::Relaxed);
        (since > 0).then_some(since)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Stores an accepted event; returns after its commit.
    pub fn submit_event(&self, event: NewEvent) -> Result<Outcome, StoreError> {
        self.writer
            .submit(writer::Write::Event(Box::new(writer::ReadyEvent::of(
                event,
            ))))
    }

    /// Stores many events, committed together where they fit in one group; one result per event.
    pub fn submit_events(&self, events: Vec<NewEvent>) -> Vec<Result<Outcome, StoreError>> {
        self.writer.submit_many(
            events
                .into_iter()
                .map(|e| writer::Write::Event(Box::new(writer::ReadyEvent::of(e))))
                .collect(),
        )
    }

    /// Keeps a replay and what its target answered; returns its id after the commit.
    pub fn record_replay(&self, replay: replays::NewReplay) -> Result<i64, StoreError> {
        match self
            .writer
            .submit(writer::Write::Replay(Box::new(replay)))?
        {
            Outcome::Replayed(id) => Ok(id),
            other => unreachable!("a replay is answered as one: {other:?}"),
        }
    }

    /// Records a delivery attempt or bounds an outbox (for the forwarder); returns after its commit.
    pub fn record_outbox(&self, write: outbox::OutboxWrite) -> Result<(), StoreError> {
        self.writer
            .submit(writer::Write::Outbox(Box::new(write)))
            .map(|_| ())
    }

    /// Events stored from now on are queued for these downstreams (the desktop app's Settings
    /// change them while it runs); rows already queued stay.
    pub fn set_forwards(&self, routes: Vec<ForwardRoute>) {
        self.writer.set_routes(routes);
    }

    /// Stores a page pulled from Watson's logs API and its pull's progress in one transaction;
    /// returns after its commit.
    pub fn submit_pulled_page(&self, page: PulledPage) -> Result<PulledOutcome, StoreError> {
        match self
            .writer
            .submit(writer::Write::Pulled(Box::new(writer::ReadyPage::of(page))))?
        {
            Outcome::Pulled(outcome) => Ok(outcome),
            other => unreachable!("a pulled page is answered as one: {other:?}"),
        }
    }

    /// Stores a refused request in the bounded rejections table; returns after its commit.
    pub fn submit_rejection(&self, rejection: NewRejection) -> Result<(), StoreError> {
        self.writer
            .submit(writer::Write::Rejection(Box::new(rejection)))
            .map(|_| ())
    }

    /// Receives, after each commit that stored events or rejections, the highest new id of each.
    /// Readers ask for "everything after the last ids I saw", so bursts may be coalesced freely and
    /// nothing is missed.
    pub fn subscribe(&self) -> Receiver<Committed> {
        self.writer.subscribe()
    }

    /// Commits and writes so far.
    pub fn writer_stats(&self) -> &WriterStats {
        &self.writer.stats
    }

    /// A new read-only connection to this store.
    pub fn reader(&self) -> Result<Connection, StoreError> {
        open_reader(&self.path)
    }

    /// Stops projecting (after the batch in hand), finishes every queued write, stops the writer and
    /// checkpoints the WAL away.
    /// What is not projected yet is projected at the next open.
    pub fn close(mut self) -> Result<(), StoreError> {
        self.projection.stop();
        self.checkpointer.stop();
        self.writer.stop()
    }
}

/// Opens a read-only connection to an existing database, whoever writes it.
pub fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|source| StoreError::Open {
        path: path.to_owned(),
        source,
    })?;
    conn.busy_timeout(Duration::from_millis(BUSY_TIMEOUT_MS))?;
    projection::attach(&conn, path)?;
    Ok(conn)
}

/// The write-ahead log SQLite keeps beside the database file at `db` while it is open (`<db>-wal`).
pub fn wal_path(db: &Path) -> PathBuf {
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    PathBuf::from(wal)
}

/// The default database: `<platform data dir>/logbook.db`, shared by `logbook serve` and the app.
pub fn default_db_path() -> PathBuf {
    directories::ProjectDirs::from("dev", "assistant-logbook", "Assistant Logbook")
        .map(|dirs| dirs.data_dir().join("logbook.db"))
        .unwrap_or_else(|| PathBuf::from("logbook.db"))
}

/// Every migration, in order. A shipped migration is never edited; a change is a new one.
const MIGRATIONS: &[&str] = &[
    include_str!("schema.sql"),
    include_str!("schema_2_rejection_budgets.sql"),
    include_str!("schema_3_pulls.sql"),
    include_str!("schema_4_outbox.sql"),
    include_str!("schema_5_outbox_authorization.sql"),
    include_str!("schema_6_replays.sql"),
    include_str!("schema_7_derived_file.sql"),
    include_str!("schema_8_body_zstd.sql"),
];

fn migrations() -> Migrations<'static> {
    Migrations::new(MIGRATIONS.iter().map(|sql| M::up(sql)).collect())
}

/// Gives up to `pages` of the main database's free pages back to the file system (a database made
/// with `auto_vacuum = INCREMENTAL`); returns how many it gave. `PRAGMA incremental_vacuum` gives
/// one page per step of its statement (it answers a row for each), so it is stepped to its end:
/// `execute_batch` steps a statement once, and gave back one page where it was asked for thousands.
fn incremental_vacuum(conn: &Connection, pages: i64) -> rusqlite::Result<i64> {
    let mut stmt = conn.prepare(&format!("PRAGMA incremental_vacuum({pages})"))?;
    let mut rows = stmt.query([])?;
    let mut given = 0;
    while rows.next()?.is_some() {
        given += 1;
    }
    Ok(given)
}

/// The pragmas every read-write connection gets, in one place.
fn configure(conn: &Connection) -> Result<(), rusqlite::Error> {
    conn.busy_timeout(Duration::from_millis(BUSY_TIMEOUT_MS))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

/// An advisory lock on `<db>.writer-lock`, held for the life of the store: two writers on one file
/// would both work but interleave their group commits behind `busy_timeout`; one clear refusal is better.
/// The lock file sits beside the database's real path, through any symlink to the file or its
/// folder: two paths to one database take one lock.
fn acquire_writer_lock(db: &Path) -> Result<File, StoreError> {
    let real = std::fs::canonicalize(db).unwrap_or_else(|_| {
        let dir = db.parent().filter(|d| !d.as_os_str().is_empty());
        match (
            std::fs::canonicalize(dir.unwrap_or(Path::new("."))),
            db.file_name(),
        ) {
            (Ok(dir), Some(name)) => dir.join(name),
            _ => db.to_owned(),
        }
    });
    let mut name = real.as_os_str().to_owned();
    name.push(".writer-lock");
    let lock_path = PathBuf::from(name);
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|source| StoreError::Io {
            path: lock_path.clone(),
            source,
        })?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::Locked(db.to_owned())),
        Err(std::fs::TryLockError::Error(source)) => Err(StoreError::Io {
            path: lock_path,
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn migrations_are_valid() {
        migrations().validate().unwrap();
    }

    /// A database a later version migrated further is refused with what to do, and left as it was.
    #[test]
    fn a_database_from_a_newer_version_is_refused_clearly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("newer.db");
        Store::open(&path, StoreOptions::default())
            .unwrap()
            .close()
            .unwrap();
        let newer = MIGRATIONS.len() as i64 + 1;
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", newer)
            .unwrap();
        let err = Store::open(&path, StoreOptions::default()).err().unwrap();
        assert!(
            matches!(err, StoreError::Newer { found, known, .. } if found == newer && known == newer - 1),
            "{err:?}"
        );
        assert!(
            err.to_string()
                .contains("written by a newer Assistant Logbook"),
            "{err}"
        );
        let version: i64 = Connection::open(&path)
            .unwrap()
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, newer);
    }

    /// A database made before rejections were bounded: its rows are classed, capped and measured at
    /// open, and ids go on from the highest in the tables.
    #[test]
    fn opening_an_older_database_bounds_its_rejections_and_keeps_its_ids() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        let mut conn = Connection::open(&path).unwrap();
        Migrations::new(vec![M::up(MIGRATIONS[0])])
            .to_latest(&mut conn)
            .unwrap();
        conn.execute(
            "INSERT INTO events (id, received_at, endpoint, path, kind, auth, verified, headers, body)
             VALUES (41, 1, '*', '/', 'x', 'jwt', 1, '[]', x'7b7d')",
            [],
        )
        .unwrap();
        let insert = "INSERT INTO rejections (id, received_at, path, method, status, reason, headers,
                          jwt_header, body, body_bytes) VALUES (?1, 1, ?2, 'POST', 401, 'r', '[]', ?3, ?4, ?5)";
        let huge_path = format!("/{}", "p".repeat(3 * 1024 * 1024));
        let body = vec![b'b'; 1024 * 1024];
        conn.execute(
            insert,
            rusqlite::params![7, huge_path, None::<String>, body, 5_000_000],
        )
        .unwrap();
        conn.execute(
            insert,
            rusqlite::params![8, "/w", Some(r#"{"alg":"HS256"}"#), b"{}".to_vec(), 2],
        )
        .unwrap();
        drop(conn);

        let store = Store::open(&path, StoreOptions::default()).unwrap();
        let reader = store.reader().unwrap();
        let (class, path_len, body_len, body_bytes, stored): (String, i64, i64, i64, i64) = reader
            .query_row(
                "SELECT class, length(CAST(path AS BLOB)), length(body), body_bytes, stored_bytes
                 FROM rejections WHERE id = 7",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .unwrap();
        assert_eq!(class, "other");
        assert!(path_len <= rejection::REJECTION_PATH_KEPT_BYTES as i64);
        assert_eq!(body_len, rejection::REJECTION_BODY_KEPT_BYTES as i64);
        assert_eq!(body_bytes, 5_000_000, "the true size stays");
        assert!(stored > body_len);
        let class: String = reader
            .query_row("SELECT class FROM rejections WHERE id = 8", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(class, "jwt");
        assert_eq!(
            rejection::accounted_bytes(&reader).unwrap() as i64,
            reader
                .query_row("SELECT sum(stored_bytes) FROM rejections", [], |r| r
                    .get::<_, i64>(0))
                .unwrap()
        );
        let rejection = |path: &str| NewRejection {
            received_at: 2,
            endpoint: None,
            path: path.into(),
            method: "POST".into(),
            remote_addr: None,
            status: 404,
            reason: "no endpoint".into(),
            headers: "[]".into(),
            jwt_header: None,
            jwt_claims: None,
            body: Vec::new(),
            body_bytes: None,
        };
        store.submit_rejection(rejection("/next")).unwrap();
        let next: i64 = reader
            .query_row("SELECT id FROM rejections WHERE path = '/next'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(next, 9);
        let saved: i64 = reader
            .query_row(
                "SELECT value FROM counters WHERE name = 'last_rejection_id'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(saved, 9);
        drop(reader);
        store.close().unwrap();
    }

    /// A database whose calls were stored with the old split (`SIPTimeout` as `s_i_p_timeout`):
    /// opening it re-normalises `end_reason` from the raw value, which stays as it was.
    #[test]
    /// A database derived before the one name normaliser stored `SIPTimeout` as `s_i_p_timeout`: its
    /// derived rows were made by an older deriver, so they are derived again from the bodies.
    fn opening_an_older_database_renormalises_end_reasons() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        let mut conn = Connection::open(&path).unwrap();
        Migrations::new(vec![
            M::up(include_str!("schema.sql")),
            M::up(include_str!("schema_2_rejection_budgets.sql")),
        ])
        .to_latest(&mut conn)
        .unwrap();
        let old = [
            (1, Some("SIPTimeout"), Some("s_i_p_timeout")),
            (2, Some("SIP_TIMEOUT"), Some("s_i_p_t_i_m_e_o_u_t")),
            (3, Some("callerHangup"), Some("caller_hangup")),
            (4, Some("HTTPError"), Some("h_t_t_p_error")),
            (5, None, None),
        ];
        for (id, raw, stored) in old {
            let body = serde_json::json!({
                "event": {"name": "cdr_logged"},
                "payload": {"call": {"end_reason": raw}},
            })
            .to_string();
            conn.execute(
                "INSERT INTO events (id, received_at, endpoint, path, kind, auth, verified, headers, body)
                 VALUES (?1, 1, '*', '/', 'cdr_logged', 'none', 0, '[]', ?2)",
                rusqlite::params![id, body.as_bytes()],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO calls (event_id, start_at, end_reason_raw, end_reason, turn_count, warning_count)
                 VALUES (?1, 1, ?2, ?3, 0, 0)",
                rusqlite::params![id, raw, stored],
            )
            .unwrap();
        }
        drop(conn);

        let store = Store::open(&path, StoreOptions::default()).unwrap();
        assert!(store.wait_projected(Duration::from_secs(10)).unwrap());
        let reader = store.reader().unwrap();
        let rows = reader
            .prepare("SELECT event_id, end_reason_raw, end_reason FROM calls ORDER BY event_id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<Vec<(i64, Option<String>, Option<String>)>, _>>()
            .unwrap();
        let expected = [
            (1, Some("SIPTimeout"), Some("sip_timeout")),
            (2, Some("SIP_TIMEOUT"), Some("sip_timeout")),
            (3, Some("callerHangup"), Some("caller_hangup")),
            (4, Some("HTTPError"), Some("http_error")),
            (5, None, None),
        ]
        .map(|(id, raw, name)| (id, raw.map(str::to_owned), name.map(str::to_owned)));
        assert_eq!(rows, expected);
        drop(reader);
        store.close().unwrap();
    }

    /// `n` characters that zstd cannot shrink below three quarters (64 letters, evenly spread): a
    /// body that takes its size in the event log, which keeps bodies compressed.
    fn incompressible(n: usize) -> String {
        const LETTERS: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        (0..n)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                LETTERS[(state >> 58) as usize] as char
            })
            .collect()
    }

    /// An accepted message event with this body and dedup key, arrived at `i` ms.
    fn message_event(i: i64, body: String, dedup_key: String) -> NewEvent {
        NewEvent {
            received_at: i,
            endpoint: "*".into(),
            path: "/".into(),
            remote_addr: None,
            kind: "message_logged".into(),
            auth: "none".into(),
            verified: false,
            jwt_header: None,
            jwt_claims: None,
            headers: "[]".into(),
            body: body.into_bytes(),
            dedup_key,
            authorization: None,
            replay_of: None,
        }
    }

    /// Bodies stored from now on are kept compressed, those stored before as they came; every
    /// reader gives back the exact bytes received, and the size received.
    #[test]
    fn bodies_are_kept_compressed_and_read_back_exactly_beside_older_ones() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("z.db");
        let sample = |name: &str, log_id: &str| {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../tests/samples")
                .join(name);
            let body = std::fs::read_to_string(path).unwrap();
            let replaced = body.replace("dcbee131-bbab-4370-b87b-9be7005f92d3", log_id);
            assert_ne!(replaced, body, "the sample's log id is replaced");
            replaced.into_bytes()
        };
        // A database of the last schema before compression, with one event stored as it came.
        let old = sample("03_webchat_disambiguation.json", "old");
        let mut conn = Connection::open(&path).unwrap();
        Migrations::new(MIGRATIONS[..7].iter().map(|sql| M::up(sql)).collect())
            .to_latest(&mut conn)
            .unwrap();
        conn.execute(
            "INSERT INTO events (id, received_at, endpoint, path, kind, auth, verified, headers,
                                 body, dedup_key)
             VALUES (1, 1, '*', '/', 'message_logged', 'jwt', 1, '[]', ?1, 'message:old')",
            [&old],
        )
        .unwrap();
        drop(conn);

        let store = Store::open(&path, StoreOptions::default()).unwrap();
        let new = sample("03_webchat_disambiguation.json", "new");
        let event = message_event(
            2,
            String::from_utf8(new.clone()).unwrap(),
            "message:new".into(),
        );
        assert_eq!(store.submit_event(event).unwrap(), Outcome::Stored(2));
        assert!(store.wait_projected(Duration::from_secs(10)).unwrap());

        let reader = store.reader().unwrap();
        let kept = |id: i64| -> (i64, Option<i64>) {
            reader
                .query_row(
                    "SELECT length(body), body_zstd FROM events WHERE id = ?1",
                    [id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .unwrap()
        };
        assert_eq!(
            kept(1),
            (old.len() as i64, None),
            "an older row is left as it was"
        );
        let (stored, zstd_of) = kept(2);
        assert_eq!(zstd_of, Some(new.len() as i64));
        assert!(
            stored * 2 < new.len() as i64,
            "{stored} bytes kept of {}",
            new.len()
        );

        for (id, body) in [(1, &old), (2, &new)] {
            assert_eq!(
                replays::stored_body(&reader, id).unwrap().as_ref(),
                Some(body)
            );
            let detail = crate::query::event::event(&reader, &id.to_string()).unwrap();
            assert_eq!(detail.body_text.as_bytes(), body.as_slice());
            assert_eq!(detail.body_bytes, body.len() as i64);
        }
        let listed = crate::query::search::events(&reader, &crate::query::search::Search::new(""))
            .unwrap()
            .items
            .into_iter()
            .map(|row| (row.id, row.bytes))
            .collect::<Vec<_>>();
        assert_eq!(
            listed,
            [(2, new.len() as i64), (1, old.len() as i64)],
            "the sizes received"
        );
        let messages: i64 = reader
            .query_row("SELECT count(*) FROM derived.messages", [], |r| r.get(0))
            .unwrap();
        assert_eq!(messages, 2, "both bodies are derived");
        let mut exported = Vec::new();
        crate::export::raw(&reader, &mut exported, &|_| {}).unwrap();
        assert_eq!(exported.iter().filter(|b| **b == b'\n').count(), 2);
        drop(reader);
        store.close().unwrap();
    }

    #[test]
    /// The log is copied into the database file by the checkpointer thread, long before the writer's
    /// own checkpoint (at 32 MiB of log) would do it inside a commit.
    fn the_checkpointer_copies_the_log_off_the_writers_commits() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let store = Store::open(&path, StoreOptions::default()).unwrap();
        let events: Vec<NewEvent> = (0..40)
            .map(|i| {
                let body = format!(
                    "{{\"event\":{{\"name\":\"message_logged\"}},\"n\":{i},\"pad\":\"{}\"}}",
                    incompressible(64 * 1024)
                );
                message_event(i, body, format!("k{i}"))
            })
            .collect();
        for outcome in store.submit_events(events) {
            assert!(matches!(outcome, Ok(Outcome::Stored(_))), "{outcome:?}");
        }
        let written: i64 = open_reader(&path)
            .unwrap()
            .query_row("SELECT sum(length(body)) FROM events", [], |r| r.get(0))
            .unwrap();
        let written = written as usize;
        let started = Instant::now();
        let in_file = || std::fs::metadata(&path).unwrap().len() as usize;
        while in_file() < written && started.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(
            in_file() >= written,
            "{} bytes in the database file, {written} written",
            in_file()
        );
        store.close().unwrap();
        assert!(!wal_path(&path).exists(), "the log is removed at close");
    }

    #[test]
    /// After a full batch, the derived file's log is copied into the file by its own checkpointer
    /// thread, beside the projector: the projector's own checkpoint (at 64 MiB of log) is only the
    /// bound. The next commit cuts the log back, rather than keeping the batch's size until close.
    fn the_derived_files_checkpointer_copies_a_full_batchs_log_off_the_projectors_commits() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.db");
        let store = Store::open(&path, StoreOptions::default()).unwrap();
        let derived = projection::derived_path(&path);
        let in_file = || std::fs::metadata(&derived).unwrap().len() as usize;
        let before = in_file();
        // 32 turns of 1 MiB of user text: one full batch (`projection::PROJECT_BATCH_BYTES`), and
        // nothing after it whose own commit would copy the log.
        let text = |i: usize| format!("turn {i} {}", "word ".repeat(1024 * 1024 / 5));
        let turns = projection::PROJECT_BATCH_BYTES.div_ceil(text(0).len());
        let events: Vec<NewEvent> = (0..turns)
            .map(|i| {
                let body = format!(
                    r#"{{"event":{{"name":"message_logged"}},"payload":{{"log_id":"l{i}","request":{{"input":{{"text":"{}"}}}},"response":{{"context":{{"global":{{"session_id":"s{i}"}}}}}}}}}}"#,
                    text(i)
                );
                message_event(i as i64, body, format!("l{i}"))
            })
            .collect();
        let written = turns * text(0).len();
        for outcome in store.submit_events(events) {
            assert!(matches!(outcome, Ok(Outcome::Stored(_))), "{outcome:?}");
        }
        assert!(store.wait_projected(Duration::from_secs(30)).unwrap());
        let started = Instant::now();
        while in_file() < before + written && started.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(
            in_file() >= before + written,
            "{} bytes in the derived file ({before} before), {written} of text derived",
            in_file()
        );
        let wal = wal_path(&derived);
        let (grown, now) = cut_back(&store, &wal, turns as i64);
        assert!(
            grown > projection::DERIVED_WAL_KEPT_BYTES as u64
                && now <= projection::DERIVED_WAL_KEPT_BYTES as u64,
            "the derived log grew to {grown} bytes with the batch, and is {now} bytes after the next commits"
        );
        store.close().unwrap();
        assert!(!wal.exists(), "the derived file's log is removed at close");
    }

    /// Stores small events, one commit each, each projected, until the log `wal` is smaller than
    /// it was (a commit came after the checkpointer copied it), for at most 10 s; returns its size
    /// before and after. `first`: the first event's number.
    fn cut_back(store: &Store, wal: &std::path::Path, first: i64) -> (u64, u64) {
        let wal_bytes = || std::fs::metadata(wal).map_or(0, |m| m.len());
        let grown = wal_bytes();
        let started = Instant::now();
        for i in first.. {
            let body =
                format!(r#"{{"event":{{"name":"message_logged"}},"payload":{{"log_id":"a{i}"}}}}"#);
            let small = message_event(i, body, format!("a{i}"));
            assert!(matches!(store.submit_event(small), Ok(Outcome::Stored(_))));
            assert!(store.wait_projected(Duration::from_secs(30)).unwrap());
            if wal_bytes() < grown || started.elapsed() > Duration::from_secs(10) {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        (grown, wal_bytes())
    }

    #[test]
    /// An import's transaction larger than the event log's log bound grows the log; once the
    /// checkpointer copied it, a following commit cuts it back to the bound.
    fn the_event_logs_log_is_cut_back_to_its_bound_after_a_large_transaction() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        let store = Store::open(&path, StoreOptions::default()).unwrap();
        let wal = wal_path(&path);
        let events = (0..48)
            .map(|i| {
                let body = format!(
                    r#"{{"event":{{"name":"message_logged"}},"payload":{{"log_id":"l{i}","padding":"{}"}}}}"#,
                    incompressible(1024 * 1024)
                );
                message_event(i, body, format!("l{i}"))
            })
            .collect();
        for outcome in store.submit_events(events) {
            assert!(matches!(outcome, Ok(Outcome::Stored(_))), "{outcome:?}");
        }
        let (grown, now) = cut_back(&store, &wal, 48);
        assert!(
            grown > WAL_KEPT_BYTES as u64 && now <= WAL_KEPT_BYTES as u64,
            "the log grew to {grown} bytes with the import, and is {now} bytes after the next commits"
        );
        store.close().unwrap();
    }

    #[test]
    fn a_second_writer_is_refused_and_a_reader_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.db");
        let store = Store::open(&path, StoreOptions::default()).unwrap();
        let err = Store::open(&path, StoreOptions::default()).err().unwrap();
        assert!(matches!(err, StoreError::Locked(_)), "{err}");
        let reader = open_reader(&path).unwrap();
        let n: i64 = reader
            .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 0);
        store.close().unwrap();
        Store::open(&path, StoreOptions::default())
            .unwrap()
            .close()
            .unwrap();
    }
}
