//! The PostgreSQL store (team mode, in progress): the event log that any number of `logbook serve`
//! processes share.
//!
//! Contract, as for SQLite: each submission returns only after the transaction holding its row has
//! committed, with `synchronous_commit = on` (set on every connection, whatever the server's
//! default), so an acknowledged event survives a killed receiver and a crashed server. Each process
//! has one writer thread that commits whatever submissions wait in one transaction (group commit,
//! `group_commit`). Deduplication holds across receivers through the unique key of `event_keys`
//! (`INSERT … ON CONFLICT DO NOTHING`, never a check then an insert): a second delivery, to any
//! receiver, is counted and answered with the first delivery's id.
//!
//! Each process also runs a projector thread (`projection`): one process at a time derives the
//! stored bodies into the derived tables (`schema_2.sql`) and the Trends rollups (`schema_5.sql`),
//! by the position (transaction id, event
//! id) that stays right when ids commit out of order. Events are partitioned by month of arrival;
//! the partitions are made and dropped by functions that run with the schema owner's rights
//! (`schema_3.sql`), so receivers can run under a role that may only insert ([`roles`]), and
//! retention drops whole months ([`retention`]). The reading commands and the UI read it through
//! `query::db` ([`reader`]).

mod group_commit;
pub mod notify;
mod projection;
mod retention;
pub mod roles;

pub use projection::PROJECTOR_LOCK;

use std::borrow::Cow;
use std::fmt::Write as _;
use std::time::Duration;

use postgres::config::Host;
use postgres::{Client, Config};

pub use self::retention::{
    Expired, LOCK_TIMEOUT_MS, RETENTION_INTERVAL, RETENTION_LOCK, Report as RetentionReport,
};
use super::{NewEvent, NewRejection, Outcome, StoreError, StoreOptions};

/// Every schema version, in order. A shipped version is never edited; a change is a new file.
const SCHEMA: &[&str] = &[
    include_str!("schema_1.sql"),
    include_str!("schema_2.sql"),
    include_str!("schema_3.sql"),
    include_str!("schema_4.sql"),
    include_str!("schema_5.sql"),
    include_str!("schema_6.sql"),
    include_str!("schema_7.sql"),
];
/// The advisory lock (`pg_advisory_xact_lock`) that makes one process at a time migrate the schema;
/// any number of receivers may open the same database at once.
const SCHEMA_LOCK: i64 = 0x6c6f_6762_6f6f_6b01; // "logbook" 1
/// The advisory lock `logbook_month_partition` takes to make partitions one caller at a time
/// (`schema_3.sql` writes it as a number). Every advisory lock of the store has its own number:
/// [`SCHEMA_LOCK`], [`PROJECTOR_LOCK`], [`RETENTION_LOCK`] and this (a test keeps them apart).
#[allow(dead_code)] // read by the SQL (as a number), and by the test that keeps the two the same
const PARTITION_LOCK: i64 = 0x6c6f_6762_6f6f_6b04; // "logbook" 4
/// How long connecting may take before the open fails (unless the URL says `connect_timeout`).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The connections' `application_name`, unless the URL gives one.
const APPLICATION_NAME: &str = "logbook serve";

/// Whether a store URL names a PostgreSQL database (`postgres://…` or `postgresql://…`).
pub fn is_postgres_url(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    lower.starts_with("postgres://") || lower.starts_with("postgresql://")
}

/// The open PostgreSQL event log: owns this process's writer thread.
pub struct PgStore {
    config: Config,
    target: String,
    writer: group_commit::Writer,
    projector: projection::Projector,
    expirer: Option<retention::Expirer>,
    /// The connection [`PgStore::projection_progress`] reads on, once it has been asked.
    watcher: std::sync::Mutex<Option<Client>>,
}

impl PgStore {
    /// Connects to the database `url` names, brings its schema to this version (creating it in an
    /// empty database), makes sure this month's and next month's partitions exist, and starts the
    /// writer and the projector (which projects while no other process's does). Errors say what
    /// was tried, never the password.
    pub fn open(url: &str, options: &StoreOptions) -> Result<Self, StoreError> {
        let config = parse_url(url)?;
        let target = describe_target(&config);
        let mut client = connect(&config).map_err(|err| {
            StoreError::Postgres(format!("cannot connect to PostgreSQL at {target}: {err}"))
        })?;
        migrate(&mut client).map_err(|err| match err {
            MigrateError::Newer(found) => StoreError::Postgres(format!(
                "the database at {target} has Logbook schema version {found}, newer than this \
                 Logbook's ({}): upgrade Logbook",
                SCHEMA.len()
            )),
            MigrateError::Db(err) => StoreError::Postgres(format!(
                "cannot prepare the database at {target}: {}{}",
                describe(&err),
                if err.code() == Some(&postgres::error::SqlState::INSUFFICIENT_PRIVILEGE) {
                    "; this role may not create or upgrade Logbook's tables: run \
                     `logbook team roles --apply` (or `logbook serve`) once as their owner"
                } else {
                    ""
                }
            )),
        })?;
        let now = chrono::Utc::now().timestamp_millis();
        let mut partitions = Partitions::default();
        partitions.ensure(&mut client, now).map_err(|err| {
            StoreError::Postgres(format!(
                "cannot create this month's partitions at {target}: {}",
                describe(&err)
            ))
        })?;
        let projector = projection::Projector::start(config.clone())?;
        let writer = group_commit::Writer::start(
            config.clone(),
            client,
            partitions,
            options.rejections_kept.min(i64::MAX as u64) as i64,
        )?;
        Ok(Self {
            config,
            target,
            writer,
            projector,
            expirer: None,
            watcher: std::sync::Mutex::new(None),
        })
    }

    /// Starts this receiver's retention ([`retention`]): a pass now, then one every
    /// [`RETENTION_INTERVAL`], dropping the months wholly older than `max_age`; `report` is told
    /// what each pass did or why it failed.
    pub fn start_retention(
        &mut self,
        max_age: Duration,
        report: impl Fn(RetentionReport) + Send + 'static,
    ) -> Result<(), StoreError> {
        self.expirer = Some(retention::Expirer::start(
            self.config.clone(),
            self.target.clone(),
            max_age,
            Box::new(report),
        )?);
        Ok(())
    }

    /// One retention pass now, on a connection of its own: drops every month partition whose whole
    /// month ended at or before `cutoff_ms` (with its events' dedup keys), and refused requests
    /// received before it. `None` when another receiver's pass is running.
    pub fn expire_before(&self, cutoff_ms: i64) -> RetentionReport {
        retention::pass(&self.config, &self.target, &mut None, cutoff_ms)
    }

    /// Where the store is, for display: hosts, port, database and user; never the password.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// Stores an accepted event; returns after its commit.
    pub fn submit_event(&self, event: NewEvent) -> Result<Outcome, StoreError> {
        self.writer
            .submit(group_commit::Write::Event(Box::new(event)))
    }

    /// Stores many accepted events (an import, generated traffic): each as [`Self::submit_event`]
    /// stores it, in the transactions of up to 512 writes the writer makes of them; returns after
    /// the last commit, one outcome per event, in their order.
    pub fn submit_events(&self, events: Vec<NewEvent>) -> Vec<Result<Outcome, StoreError>> {
        self.writer.submit_many(
            events
                .into_iter()
                .map(|e| group_commit::Write::Event(Box::new(e)))
                .collect(),
        )
    }

    /// Stores a refused request (capped as SQLite caps it); returns after its commit.
    pub fn submit_rejection(&self, rejection: NewRejection) -> Result<(), StoreError> {
        self.writer
            .submit(group_commit::Write::Rejection(Box::new(rejection)))
            .map(|_| ())
    }

    /// Where projection of this store stands now, by whichever instance projects it (read on a
    /// connection of its own, made at the first call).
    pub fn projection_progress(&self) -> Result<ProjectionProgress, StoreError> {
        let mut watcher = self.watcher.lock().unwrap_or_else(|e| e.into_inner());
        if watcher.as_ref().is_none_or(|c| c.is_closed()) {
            *watcher = Some(connect(&self.config).map_err(|why| {
                StoreError::Postgres(format!(
                    "cannot connect to PostgreSQL at {}: {why}",
                    self.target
                ))
            })?);
        }
        let client = watcher.as_mut().expect("connected above");
        let row = client.query_one(PROJECTION_PROGRESS, &[]).map_err(|err| {
            StoreError::Postgres(format!(
                "cannot read the projection of {}: {}",
                self.target,
                describe(&err)
            ))
        })?;
        Ok(ProjectionProgress {
            projected: row.get(0),
            caught_up: row.get(1),
        })
    }

    /// Waits until every event stored so far is projected (by this process's projector or another
    /// instance's); `progress` is told the events projected since the last rebuild, as it moves.
    /// `false` when projection stalled: it did not move for `stall` (as [`stall`](super::stall)
    /// judges it), a transaction left open on the server holding it back, say.
    pub fn wait_projected(
        &self,
        stall: Duration,
        progress: &dyn Fn(i64),
    ) -> Result<bool, StoreError> {
        let mut now = self.projection_progress()?;
        let mut watch = super::stall::StallWatch::new(stall, now.projected);
        while !now.caught_up {
            progress(now.projected);
            if watch.check(now.projected).is_some() {
                return Ok(false);
            }
            std::thread::sleep(PROJECTION_POLL);
            now = self.projection_progress()?;
        }
        progress(now.projected);
        Ok(true)
    }

    /// Stops retention and the projector (after the batch in hand), commits every queued write
    /// and stops the writer.
    pub fn close(mut self) -> Result<(), StoreError> {
        self.expirer.take();
        self.projector.stop();
        self.writer.stop()
    }
}

/// Where a store's projection stands ([`PgStore::projection_progress`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProjectionProgress {
    /// Events projected since the derived tables were last emptied (`projection_state.projected`).
    pub projected: i64,
    /// Whether every stored event is projected.
    pub caught_up: bool,
}

/// [`ProjectionProgress`] in one statement. Cheap at any size: "caught up" looks for one event
/// beyond the position through `events_tx_id` (the projector's own reading order), or, before any
/// projector has run, for any event at all.
const PROJECTION_PROGRESS: &str = "SELECT coalesce((SELECT projected FROM projection_state), 0),
        CASE WHEN EXISTS (SELECT 1 FROM projection_state)
             THEN NOT EXISTS (SELECT 1 FROM events e, projection_state s
                              WHERE (e.tx, e.id) > (s.tx, s.event_id))
             ELSE NOT EXISTS (SELECT 1 FROM events) END";
/// How often [`PgStore::wait_projected`] looks.
const PROJECTION_POLL: Duration = Duration::from_millis(200);

/// What a PostgreSQL store holds, and where its projection stands (`logbook stats --store`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PgStats {
    /// Where the store is, without the password.
    pub target: String,
    pub events: i64,
    pub messages: i64,
    pub conversations: i64,
    pub calls: i64,
    pub rejections_kept: i64,
    /// The highest number a refused request was given: every refusal takes the next number of
    /// `rejections_id_seq`, so this counts them all (those the cap or the age took since
    /// included), unless none is kept at all.
    pub rejections_numbered: i64,
    /// Deliveries answered with an earlier delivery's id (all time).
    pub duplicates_total: i64,
    pub first_received_at: Option<i64>,
    pub last_received_at: Option<i64>,
    /// The deriver version of the derived tables (`None`: no projector has run yet).
    pub deriver_version: Option<i64>,
    /// Events stored and not projected yet.
    pub projection_lag: i64,
    /// The lowest id of an event not projected yet: every event below it is projected.
    pub first_pending_id: Option<i64>,
    /// The arrival time (ms) of the oldest event not projected yet.
    pub oldest_pending_at: Option<i64>,
    /// When the projector last committed a batch (ms).
    pub projected_at: Option<i64>,
    /// Whether a `serve` process's projector holds the lock now.
    pub projecting: bool,
    /// The highest event number stored.
    pub last_event_id: Option<i64>,
    /// The database's size on disk (`pg_database_size`).
    pub database_bytes: i64,
}

/// Reads the counts of the store at `url` (read-only: nothing is migrated or created). A database
/// without Logbook's tables, or with older ones, is an error that says so.
pub fn stats(url: &str) -> Result<PgStats, StoreError> {
    let (mut client, target) = open_for_reading(url, "logbook stats")?;
    read_stats(&mut client, target.clone()).map_err(|err| {
        StoreError::Postgres(format!(
            "cannot read the store at {target}: {}",
            describe(&err)
        ))
    })
}

/// The counts of the store `client` is connected to (at `target`), in one snapshot.
pub(crate) fn read_stats(client: &mut Client, target: String) -> Result<PgStats, postgres::Error> {
    let mut tx = client
        .build_transaction()
        .isolation_level(postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()?;
    let row = tx.query_one(
        "WITH pending AS (
                 SELECT e.id, e.received_at FROM events e WHERE NOT EXISTS (
                     SELECT 1 FROM projection_state s WHERE (e.tx, e.id) <= (s.tx, s.event_id)))
             SELECT (SELECT count(*) FROM events),
                    (SELECT count(*) FROM messages),
                    (SELECT count(*) FROM conversations),
                    (SELECT count(*) FROM calls),
                    (SELECT count(*) FROM rejections),
                    (SELECT coalesce(sum(duplicates), 0)::bigint FROM event_keys),
                    (SELECT min(received_at) FROM events),
                    (SELECT max(received_at) FROM events),
                    (SELECT deriver_version FROM projection_state),
                    (SELECT count(*) FROM pending),
                    (SELECT projected_at FROM projection_state),
                    EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted
                         AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = $1
                         AND database = (SELECT oid FROM pg_database
                                         WHERE datname = current_database())),
                    (SELECT max(id) FROM events),
                    pg_database_size(current_database()),
                    (SELECT min(id) FROM pending),
                    (SELECT min(received_at) FROM pending),
                    (SELECT coalesce(max(id), 0) FROM rejections)",
        &[&PROJECTOR_LOCK],
    )?;
    tx.commit()?;
    Ok(PgStats {
        target,
        events: row.get(0),
        messages: row.get(1),
        conversations: row.get(2),
        calls: row.get(3),
        rejections_kept: row.get(4),
        duplicates_total: row.get(5),
        first_received_at: row.get(6),
        last_received_at: row.get(7),
        deriver_version: row.get(8),
        projection_lag: row.get(9),
        projected_at: row.get(10),
        projecting: row.get(11),
        last_event_id: row.get(12),
        database_bytes: row.get(13),
        first_pending_id: row.get(14),
        oldest_pending_at: row.get(15),
        rejections_numbered: row.get(16),
    })
}

/// A connection for the reading commands and the UI (`query::db`): the store at `url` must exist
/// with this Logbook's schema (nothing is migrated or created), and every transaction of the
/// connection is read-only, whatever its role may do.
pub fn reader(url: &str) -> Result<Client, StoreError> {
    let (mut client, target) = open_for_reading(url, "logbook reader")?;
    // Each statement is planned for its values: a reader's statements are prepared once and run
    // with many, and after five runs PostgreSQL may keep one generic plan whatever the value. The
    // query language asks for skewed values (an intent most turns have, or one none has), so the
    // generic plan read every row of `message_intents` for an intent with no titled rows (16 ms
    // at 200,000 events, growing with the store) where the value's own plan reads none, and could
    // not use the statistics of `channel:` (`schema_6.sql`). The price is the planning: opening a
    // conversation or a call took 1-2 ms more (`logbook bench query --store`, README).
    client
        .batch_execute(
            "SET default_transaction_read_only = on; SET plan_cache_mode = force_custom_plan",
        )
        .map_err(|err| {
            StoreError::Postgres(format!(
                "cannot read the store at {target}: {}",
                describe(&err)
            ))
        })?;
    Ok(client)
}

/// Connects to the store at `url` as `application_name` (unless the URL names one) and checks that
/// it holds Logbook's schema at this version; returns the connection and its target, described
/// without the password.
fn open_for_reading(url: &str, application_name: &str) -> Result<(Client, String), StoreError> {
    let mut config = parse_url(url)?;
    if config.get_application_name() == Some(APPLICATION_NAME) {
        config.application_name(application_name);
    }
    let target = describe_target(&config);
    let mut client = connect(&config).map_err(|err| {
        StoreError::Postgres(format!("cannot connect to PostgreSQL at {target}: {err}"))
    })?;
    let failed = |err: postgres::Error| {
        StoreError::Postgres(format!(
            "cannot read the store at {target}: {}",
            describe(&err)
        ))
    };
    // (A missing table is an error when a statement is planned, even in a branch not taken.)
    let made: bool = client
        .query_one("SELECT to_regclass('logbook_schema') IS NOT NULL", &[])
        .map_err(failed)?
        .get(0);
    let version: Option<i32> = if made {
        Some(
            client
                .query_one("SELECT coalesce(max(version), 0) FROM logbook_schema", &[])
                .map_err(failed)?
                .get(0),
        )
    } else {
        None
    };
    match version {
        None => Err(StoreError::Postgres(format!(
            "the database at {target} holds no Logbook store (`logbook serve --store` makes one)"
        ))),
        Some(v) if (v as usize) < SCHEMA.len() => Err(StoreError::Postgres(format!(
            "the database at {target} has Logbook schema version {v}, older than this \
             Logbook's ({}): `logbook serve --store` of this version brings it up to date",
            SCHEMA.len()
        ))),
        Some(_) => Ok((client, target)),
    }
}

/// A plain connection to the database `url` names, made as the store makes its own (TLS as `sslmode`
/// asks, certificates verified, synchronous commit): for tools beside the store, such as the
/// benchmarks' scratch schema. Errors never show the password.
pub fn client(url: &str) -> Result<Client, StoreError> {
    let config = parse_url(url)?;
    connect(&config).map_err(|why| {
        StoreError::Postgres(format!(
            "cannot connect to PostgreSQL at {}: {why}",
            describe_target(&config)
        ))
    })
}

/// Parses a `postgres://` URL (or a `key=value` connection string) as libpq would.
fn parse_url(url: &str) -> Result<Config, StoreError> {
    let mut config: Config = url.trim().parse().map_err(|err: postgres::Error| {
        // The parser's message names the bad part, never echoes the URL (which may hold a password).
        StoreError::StoreUrl(format!("not a valid PostgreSQL URL: {}", describe(&err)))
    })?;
    if config.get_hosts().is_empty() {
        return Err(StoreError::StoreUrl(
            "the PostgreSQL URL names no host (postgres://USER@HOST/DATABASE, or ?host=/socket/dir)"
                .into(),
        ));
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    if config.get_application_name().is_none() {
        config.application_name(APPLICATION_NAME);
    }
    Ok(config)
}

/// Where the store at `url` is, for display (`user@host:port/database`), never with the password.
pub fn target(url: &str) -> Result<String, StoreError> {
    Ok(describe_target(&parse_url(url)?))
}

/// A `postgres://` URL taken apart for keeping: the URL without its password (to show and to save
/// where passwords do not go) and the password, from the user part (`user:PASSWORD@host`) or the
/// `password=` parameter, percent-decoded. [`with_password`] puts it back. Errors never show the URL.
pub fn split_password(url: &str) -> Result<(String, Option<String>), StoreError> {
    let url = url.trim();
    if !is_postgres_url(url) {
        return Err(StoreError::StoreUrl(
            "enter a URL of the form postgres://USER@HOST/DATABASE (a key=value connection string \
             is not taken here)"
                .into(),
        ));
    }
    parse_url(url)?;
    let start = url.find("://").expect("a postgres:// URL") + 3;
    let (scheme, rest) = url.split_at(start);
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let mut password = None;
    let authority = match authority.rfind('@') {
        Some(at) => {
            let (userinfo, host) = authority.split_at(at);
            match userinfo.split_once(':') {
                Some((user, secret)) => {
                    password = Some(percent_decode(secret));
                    format!("{user}{host}")
                }
                None => authority.to_owned(),
            }
        }
        None => authority.to_owned(),
    };
    let (path, query) = match tail.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (tail, None),
    };
    let mut kept = Vec::new();
    for pair in query.into_iter().flat_map(|q| q.split('&')) {
        match pair.split_once('=') {
            Some((key, value)) if percent_decode(key) == "password" => {
                password = Some(percent_decode(value));
            }
            _ if pair.is_empty() => {}
            _ => kept.push(pair),
        }
    }
    let mut bare = format!("{scheme}{authority}{path}");
    if !kept.is_empty() {
        bare.push('?');
        bare.push_str(&kept.join("&"));
    }
    // What the driver reads must agree: no password left in the URL, the same one put back.
    let stripped = parse_url(&bare)?;
    let rebuilt = parse_url(&with_password(&bare, password.as_deref()))?;
    if stripped.get_password().is_some()
        || rebuilt.get_password() != password.as_deref().map(str::as_bytes)
    {
        return Err(StoreError::StoreUrl(
            "cannot take the password out of this URL: give the URL without it, and the password \
             apart"
                .into(),
        ));
    }
    Ok((bare, password.filter(|p| !p.is_empty())))
}

/// `url` (without a password) with `password` given as its `password=` parameter, percent-encoded.
pub fn with_password(url: &str, password: Option<&str>) -> String {
    let url = url.trim();
    match password {
        None => url.to_owned(),
        Some(password) => {
            let separator = if url.contains('?') { '&' } else { '?' };
            format!("{url}{separator}password={}", percent_encode(password))
        }
    }
}

/// Every byte but the unreserved ones (`A-Z a-z 0-9 - . _ ~`) as `%XX`.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// `%XX` sequences as their bytes (others kept as they are), read as UTF-8.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push((hi * 16 + lo) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `user@host:port/database` (hosts and ports as given), without the password.
fn describe_target(config: &Config) -> String {
    let mut out = String::new();
    if let Some(user) = config.get_user() {
        let _ = write!(out, "{user}@");
    }
    let ports = config.get_ports();
    for (i, host) in config.get_hosts().iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match host {
            Host::Tcp(name) => out.push_str(name),
            Host::Unix(dir) => out.push_str(&dir.display().to_string()),
        }
        if let Some(port) = ports.get(i).or(ports.first()) {
            let _ = write!(out, ":{port}");
        }
    }
    if let Some(db) = config.get_dbname() {
        let _ = write!(out, "/{db}");
    }
    out
}

/// A new connection, TLS as the URL's `sslmode` asks (the server's certificate is verified against
/// the system's trusted roots and its host name whenever TLS is used), every commit synchronous.
/// The error says why, in words.
fn connect(config: &Config) -> Result<Client, String> {
    let tls = native_tls::TlsConnector::new().map_err(|err| format!("cannot set up TLS: {err}"))?;
    let mut client = config
        .connect(postgres_native_tls::MakeTlsConnector::new(tls))
        .map_err(|err| {
            let why = describe(&err);
            if why.contains("certificate verify failed") {
                format!(
                    "{why}; the server's TLS certificate is checked against this system's trusted \
                     roots and the host name: trust its CA, or use sslmode=disable on a network you trust"
                )
            } else {
                why
            }
        })?;
    // An acknowledgement means the row is on the server's disk, whatever the server's default.
    client
        .batch_execute("SET synchronous_commit = on")
        .map_err(|err| describe(&err))?;
    Ok(client)
}

enum MigrateError {
    Newer(i32),
    Db(postgres::Error),
}

impl From<postgres::Error> for MigrateError {
    fn from(err: postgres::Error) -> Self {
        Self::Db(err)
    }
}

/// Applies the schema versions the database lacks, in one transaction, one process at a time. A
/// database already at this version is only read: a role without the right to create tables (a
/// receiver's, see `logbook team roles`) opens it.
fn migrate(client: &mut Client) -> Result<(), MigrateError> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])?;
    let exists: bool = tx
        .query_one("SELECT to_regclass('logbook_schema') IS NOT NULL", &[])?
        .get(0);
    if !exists {
        tx.batch_execute(
            "CREATE TABLE logbook_schema (
                 version     integer      PRIMARY KEY,
                 applied_at  timestamptz  NOT NULL DEFAULT now()
             )",
        )?;
    }
    let current: i32 = tx
        .query_one("SELECT coalesce(max(version), 0) FROM logbook_schema", &[])?
        .get(0);
    if current as usize > SCHEMA.len() {
        return Err(MigrateError::Newer(current));
    }
    for (i, sql) in SCHEMA.iter().enumerate().skip(current.max(0) as usize) {
        tx.batch_execute(sql)?;
        tx.execute(
            "INSERT INTO logbook_schema (version) VALUES ($1)",
            &[&(i as i32 + 1)],
        )?;
    }
    tx.commit()?;
    Ok(())
}

/// The month partitions of `events` this process knows exist, as their `[from, to)` bounds.
#[derive(Debug, Default)]
pub(super) struct Partitions {
    known: Vec<(i64, i64)>,
}

impl Partitions {
    /// Makes sure the partition of the month holding `received_at`, and the next month's, exist
    /// (`logbook_month_partition` creates them when missing, with the owner's rights). A no-op for
    /// months already seen. Retention drops only months wholly past its age, which no event received
    /// now falls in, so a month dropped by another receiver is not asked for again.
    pub(super) fn ensure(
        &mut self,
        client: &mut Client,
        received_at: i64,
    ) -> Result<(), postgres::Error> {
        if self
            .known
            .iter()
            .any(|&(from, to)| (from..to).contains(&received_at))
        {
            return Ok(());
        }
        let row = client.query_one(
            "SELECT from_ms, to_ms FROM logbook_month_partition($1)",
            &[&received_at],
        )?;
        // Null outside the calendar's range: the insert fails with "no partition", as it should.
        if let (Some(from), Some(to)) = (row.get(0), row.get(1)) {
            self.known.push((from, to));
        }
        Ok(())
    }
}

/// A text column's value: PostgreSQL's `text` cannot hold U+0000 (SQLite's can), which a hostile
/// body can put in `event.name` or a log id; it is stored as U+FFFD. The body (`bytea`) keeps every
/// byte as it came, so nothing is lost.
pub(super) fn text(value: &str) -> Cow<'_, str> {
    if value.contains('\0') {
        Cow::Owned(value.replace('\0', "\u{FFFD}"))
    } else {
        Cow::Borrowed(value)
    }
}

/// A database error's severity, message, detail and hint; other errors as they display.
fn describe(err: &postgres::Error) -> String {
    match err.as_db_error() {
        Some(db) => {
            let mut text = format!("{}: {}", db.severity(), db.message());
            if let Some(detail) = db.detail() {
                let _ = write!(text, " ({detail})");
            }
            if let Some(hint) = db.hint() {
                let _ = write!(text, "; hint: {hint}");
            }
            text
        }
        None => {
            let mut text = err.to_string();
            let mut source = std::error::Error::source(err);
            while let Some(cause) = source {
                let cause_text = cause.to_string();
                if !text.contains(&cause_text) {
                    let _ = write!(text, ": {cause_text}");
                }
                source = cause.source();
            }
            text
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_told_apart_and_described_without_their_password() {
        assert!(is_postgres_url("postgres://u@h/db"));
        assert!(is_postgres_url("PostgreSQL://u@h/db"));
        assert!(!is_postgres_url("/var/lib/logbook.db"));
        let config = parse_url("postgres://logbook:s3cret@db.example.com:6543/team").unwrap();
        let target = describe_target(&config);
        assert_eq!(target, "logbook@db.example.com:6543/team");
        let config = parse_url("postgres://postgres@/logbook?host=/run/pg&port=5433").unwrap();
        assert_eq!(describe_target(&config), "postgres@/run/pg:5433/logbook");
        let err = parse_url("postgres://u:s3cret@h/db?sslmode=sometimes")
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("sslmode"), "{err}");
        assert!(!err.contains("s3cret"), "{err}");
    }

    #[test]
    fn a_password_is_taken_out_of_a_url_and_put_back() {
        let cases = [
            (
                "postgres://alice:s3cr%40t@db.example.com:6543/team?sslmode=require",
                "postgres://alice@db.example.com:6543/team?sslmode=require",
                Some("s3cr@t"),
            ),
            (
                "postgresql://alice@db/team?password=a%26b&sslmode=prefer",
                "postgresql://alice@db/team?sslmode=prefer",
                Some("a&b"),
            ),
            (
                "postgres://postgres@/logbook?host=/run/pg&port=5433",
                "postgres://postgres@/logbook?host=/run/pg&port=5433",
                None,
            ),
            ("postgres://bob:@h/db", "postgres://bob@h/db", None),
        ];
        for (url, bare, password) in cases {
            let (got, secret) = split_password(url).unwrap();
            assert_eq!((got.as_str(), secret.as_deref()), (bare, password), "{url}");
            let back = parse_url(&with_password(&got, secret.as_deref())).unwrap();
            assert_eq!(back.get_password(), password.map(str::as_bytes), "{url}");
            assert_eq!(target(&got).unwrap(), target(url).unwrap());
        }
        let odd = "p \u{e9}&=?/@:%";
        let url = with_password("postgres://u@h/db", Some(odd));
        assert_eq!(
            parse_url(&url).unwrap().get_password(),
            Some(odd.as_bytes())
        );
        assert_eq!(split_password(&url).unwrap().1.as_deref(), Some(odd));
        for bad in [
            "host=db user=alice password=s3cret",
            "postgres://alice:s3cret@h/db?sslmode=x",
        ] {
            let err = split_password(bad).unwrap_err().to_string();
            assert!(!err.contains("s3cret"), "{err}");
        }
    }

    /// The statistics of version 6 are of the very expression `channel:` compares (`m.` aside, the
    /// tab spelled `E'\t'`): another expression would have none, and the planner would guess again.
    #[test]
    fn the_channel_statistics_are_of_the_expression_the_queries_compare() {
        let expression = crate::query::parse::CHANNEL_KEY_SQL
            .replace("m.channel", "channel")
            .replace("'\t'", "E'\\t'");
        assert!(
            include_str!("schema_6.sql").contains(&expression),
            "{expression}"
        );
    }

    /// Two uses of one advisory lock number wait for each other: the projector holds its lock for
    /// as long as it projects, and a partition made under the same number would wait forever.
    #[test]
    fn each_advisory_lock_has_its_own_number_and_the_schema_uses_it() {
        let locks = [SCHEMA_LOCK, PROJECTOR_LOCK, RETENTION_LOCK, PARTITION_LOCK];
        let distinct: std::collections::BTreeSet<i64> = locks.into_iter().collect();
        assert_eq!(distinct.len(), locks.len());
        assert!(
            include_str!("schema_3.sql")
                .contains(&format!("pg_advisory_xact_lock({PARTITION_LOCK})"))
        );
    }
}
