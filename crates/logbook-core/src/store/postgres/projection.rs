//! The PostgreSQL projector: the derived tables (`schema_2.sql`) made from the stored bodies by the
//! core's one deriver ([`derive_body`]), as SQLite's projector makes its own (`../projection.rs`).
//!
//! Every `logbook serve --store postgres://…` runs this thread; one at a time projects. It holds a
//! session-level advisory lock ([`PROJECTOR_LOCK`]) on a connection of its own; the others try the
//! lock every second, and one of them takes over when the holder's session ends (its process
//! stopped, was killed, or lost the server), which frees the lock.
//!
//! Contract: every stored event is projected exactly once, in the transaction that moves the
//! position past it. Ids are taken before commit, so they commit out of order across receivers
//! (and within one): a position by id alone would skip an id that became visible after a higher
//! one was projected. The position is instead (transaction id, event id): a batch reads only rows
//! whose transaction (`events.tx`) ended before the batch's snapshot began
//! (`tx < pg_snapshot_xmin(pg_current_snapshot())`: no row can still appear below that), in
//! (tx, id) order after the position, and writes their derived rows and the new position in one
//! transaction, with the batch's figures in the Trends rollups (`store::rollup`, `schema_5.sql`).
//! The derived tables' primary keys refuse a second projection of an event, and the
//! position moves only from where this batch found it, so even two projectors at once (a lock
//! lost unnoticed) could not project an event twice.
//!
//! The price: a transaction left open on the server (any database of the cluster) holds
//! projection back until it ends; `logbook stats --store` shows the lag.
//!
//! A position derived by another `DERIVER_VERSION`: an older one is emptied and everything is
//! derived again from the first event (as on SQLite); a newer one is left to the newer Logbook
//! (during a rolling upgrade the older instances stop projecting rather than undo it).
//! Failures (a lost connection, a server that cannot write) are written to stderr and tried again
//! every second; the receiver never waits for the projector.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use postgres::{Client, Config, Statement, Transaction};

use super::super::StoreError;
use super::super::projection::{BatchBound, derive_body};
use super::{connect, describe, text};
use crate::query::QueryError;
use crate::query::db::{Db, PgWriter};
use crate::query::filter::Sql;
use crate::query::words::words;
use crate::store::rollup;
use crate::watson::derive::{CallRow, DERIVER_VERSION, Derived, MessageRow};

/// The session-level advisory lock the projecting instance holds.
pub const PROJECTOR_LOCK: i64 = 0x6c6f_6762_6f6f_6b02; // "logbook" 2
/// How often an instance that does not project tries the lock (and how long it waits after a
/// failure before trying again).
const RETRY: Duration = Duration::from_secs(1);
/// How often an instance whose role may not project looks again (its grants may change).
const NOT_ALLOWED_RETRY: Duration = Duration::from_secs(60);
/// Events applied in one transaction of the PostgreSQL projector, at most: fewer than SQLite's
/// (`projection::PROJECT_BATCH`), since this projector writes a statement per derived row (about
/// 1,100–1,500 events/s) and a batch is what a taking-over projector and the live views wait for.
const PROJECT_BATCH: usize = 2_048;
/// After a batch smaller than [`PROJECT_BATCH`] (projection caught up), the wait before looking
/// again: the lag it adds is at most this.
const IDLE_WAIT: Duration = Duration::from_millis(100);
/// The most of each full-text column indexed: far beyond any real turn, and under PostgreSQL's
/// 1 MB limit of a `tsvector` whatever the text (a hostile body's text beyond it is not indexed,
/// rather than stopping projection).
const FTS_COLUMN_MAX_BYTES: usize = 128 * 1024;
/// The connection's `application_name`, unless the store URL gives one.
const APPLICATION_NAME: &str = "logbook projector";
/// The derived tables with rows by `event_id`: SQLite's list (the same tables, in PostgreSQL's
/// dialect in `schema_2.sql`) and the full-text table, which SQLite keeps as an FTS5 index. With
/// `conversations`, every derived table: all are emptied together when the deriver changes, and
/// these lose a dropped month's rows.
pub(super) fn by_event() -> impl Iterator<Item = &'static str> {
    super::super::retention::DERIVED_BY_EVENT
        .into_iter()
        .chain(["event_fts"])
}

/// The projector thread of one `serve` process.
pub(crate) struct Projector {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Projector {
    /// Starts the thread; it connects (and keeps trying) on its own.
    pub(crate) fn start(mut config: Config) -> Result<Self, StoreError> {
        if config.get_application_name() == Some(super::APPLICATION_NAME) {
            config.application_name(APPLICATION_NAME);
        }
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = stop.clone();
            std::thread::Builder::new()
                .name("logbook-pg-projector".into())
                .spawn(move || run(&config, &stop))
                .map_err(|err| {
                    StoreError::Unavailable(format!("cannot start the projector: {err}"))
                })?
        };
        Ok(Self {
            stop,
            thread: Some(thread),
        })
    }

    /// Stops after the batch in hand; its session ends, freeing the lock for another instance.
    pub(crate) fn stop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Projector {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A connection of the projector and, once it holds the lock, its statements.
struct Session {
    client: Client,
    statements: Option<Statements>,
}

/// What one turn of the loop did.
enum Step {
    /// Another instance projects.
    Standby,
    /// The stored projection is a newer deriver's.
    Newer(i64),
    /// This connection's role may not read the events or write the derived tables (a receiver's
    /// least-privilege role, `logbook team roles`): projection is left to an instance that may.
    NotAllowed(String),
    /// One transaction projected a batch; `true` when it was full (more may be waiting).
    Projected(bool),
}

#[derive(Debug)]
enum Failure {
    Db(postgres::Error),
    /// The rollups could not be kept (anything but the database's own error).
    Rollup(QueryError),
    /// The position was not where the batch found it: another projector moved it.
    Moved,
}

impl From<postgres::Error> for Failure {
    fn from(err: postgres::Error) -> Self {
        Self::Db(err)
    }
}

impl From<QueryError> for Failure {
    fn from(err: QueryError) -> Self {
        match err {
            QueryError::Postgres(err) => Self::Db(err),
            other => Self::Rollup(other),
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Db(err) => f.write_str(&describe(err)),
            Self::Rollup(err) => write!(f, "cannot keep the Trends rollups: {err}"),
            Self::Moved => f.write_str(
                "the projection position moved under this batch (another projector?); the batch \
                 was rolled back",
            ),
        }
    }
}

fn run(config: &Config, stop: &AtomicBool) {
    let mut session: Option<Session> = None;
    let mut newer_told = false;
    let mut not_allowed_told = false;
    while !stop.load(Ordering::Relaxed) {
        let wait = match step(config, &mut session) {
            Ok(Step::Projected(true)) => Duration::ZERO,
            Ok(Step::Projected(_)) => IDLE_WAIT,
            Ok(Step::Standby) => RETRY,
            Ok(Step::Newer(version)) => {
                if !newer_told {
                    eprintln!(
                        "logbook: projector: the derived tables were made by a newer Logbook \
                         (deriver version {version}, this one's is {DERIVER_VERSION}); this \
                         instance leaves projection to the newer ones"
                    );
                    newer_told = true;
                }
                // The lock goes with the session, to a newer instance.
                session = None;
                RETRY
            }
            Ok(Step::NotAllowed(role)) => {
                if !not_allowed_told {
                    eprintln!(
                        "logbook: projector: the role {role} may not read the events and write \
                         the derived tables, so this instance receives only; run one `serve` \
                         as a role that may (`logbook team roles --projector ROLE`) to project"
                    );
                    not_allowed_told = true;
                }
                session = None;
                NOT_ALLOWED_RETRY
            }
            Err(err) => {
                eprintln!("logbook: projector: {err}; trying again in a second");
                if session.as_ref().is_none_or(|s| s.client.is_closed()) {
                    session = None;
                }
                RETRY
            }
        };
        sleep_unless_stopped(wait, stop);
    }
}

/// Waits `wait`, or less when the thread is asked to stop.
fn sleep_unless_stopped(wait: Duration, stop: &AtomicBool) {
    let until = Instant::now() + wait;
    while !stop.load(Ordering::Relaxed) {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        std::thread::sleep(left.min(Duration::from_millis(50)));
    }
}

/// Connects if need be, takes the lock if free, and projects one batch when it holds it.
fn step(config: &Config, session: &mut Option<Session>) -> Result<Step, String> {
    if session.is_none() {
        let mut client = connect(config).map_err(|err| format!("cannot connect: {err}"))?;
        // Once per connection: a role's rights are looked at again only after a reconnection.
        let allowed = client
            .query_one(
                "SELECT current_user::text, has_table_privilege('events', 'SELECT')
                     AND has_table_privilege('projection_state', 'UPDATE')
                     AND has_table_privilege('messages', 'INSERT')",
                &[],
            )
            .map_err(|err| describe(&err))?;
        if !allowed.get::<_, bool>(1) {
            return Ok(Step::NotAllowed(allowed.get(0)));
        }
        *session = Some(Session {
            client,
            statements: None,
        });
    }
    let s = session.as_mut().expect("connected above");
    if s.statements.is_none() {
        let locked: bool = s
            .client
            .query_one("SELECT pg_try_advisory_lock($1)", &[&PROJECTOR_LOCK])
            .map_err(|err| describe(&err))?
            .get(0);
        if !locked {
            return Ok(Step::Standby);
        }
        match prepare(&mut s.client) {
            Ok(Prepared::Newer(version)) => return Ok(Step::Newer(version)),
            Ok(Prepared::Ready(statements)) => s.statements = Some(*statements),
            Err(err) => {
                // Not ready to project: give the lock back, and take it again next time.
                let _ = s
                    .client
                    .execute("SELECT pg_advisory_unlock($1)", &[&PROJECTOR_LOCK]);
                return Err(format!("cannot prepare: {}", describe(&err)));
            }
        }
    }
    let statements = s.statements.as_ref().expect("prepared above");
    project_batch(&mut s.client, statements)
        .map(Step::Projected)
        .map_err(|err| err.to_string())
}

enum Prepared {
    Ready(Box<Statements>),
    Newer(i64),
}

/// Under the lock: empties the derived tables when an older deriver made them (or none did), then
/// prepares the statements.
fn prepare(client: &mut Client) -> Result<Prepared, postgres::Error> {
    let mut tx = client.transaction()?;
    let stored: Option<i64> = tx
        .query_opt(
            "SELECT deriver_version FROM projection_state FOR UPDATE",
            &[],
        )?
        .map(|row| row.get(0));
    match stored {
        Some(version) if version > DERIVER_VERSION => return Ok(Prepared::Newer(version)),
        Some(version) if version == DERIVER_VERSION => {}
        _ => {
            let tables: Vec<&str> = by_event().chain(rollup::TABLES).collect();
            tx.batch_execute(&format!("TRUNCATE conversations, {}", tables.join(", ")))?;
            tx.execute(
                "INSERT INTO projection_state (deriver_version, tx, event_id, projected)
                 VALUES ($1, '0', 0, 0)
                 ON CONFLICT (only_row) DO UPDATE SET deriver_version = excluded.deriver_version,
                     tx = excluded.tx, event_id = excluded.event_id, projected = 0,
                     projected_at = NULL",
                &[&DERIVER_VERSION],
            )?;
        }
    }
    tx.commit()?;
    Ok(Prepared::Ready(Box::new(Statements::new(client)?)))
}

/// The projector's statements, prepared once per session.
struct Statements {
    position: Statement,
    batch: Statement,
    advance: Statement,
    message: Statement,
    conversations: Statement,
    intent: Statement,
    action: Statement,
    entity: Statement,
    response: Statement,
    call: Statement,
    call_turn: Statement,
    call_warning: Statement,
    call_custom_data: Statement,
    fts: Statement,
    /// The statements the rollups' SQL (`store::rollup`, through `query::db`) prepared.
    rollups: RefCell<HashMap<String, Statement>>,
}

impl Statements {
    fn new(client: &mut Client) -> Result<Self, postgres::Error> {
        Ok(Self {
            position: client.prepare("SELECT tx::text, event_id FROM projection_state")?,
            // Only transactions that ended before this statement's snapshot: every row they
            // committed is visible to it, and no row can appear below the snapshot's xmin later.
            // (The ORDER BY names the table's columns: a bare `tx` would be the output column,
            // the text, which sorts "1001" before "998".)
            batch: client.prepare(
                "SELECT e.id, e.received_at, e.body, e.tx::text AS tx_text FROM events e
                 WHERE (e.tx, e.id) > ($1::text::xid8, $2)
                   AND e.tx < (SELECT pg_snapshot_xmin(pg_current_snapshot()))
                 ORDER BY e.tx, e.id
                 LIMIT $3",
            )?,
            advance: client.prepare(
                "UPDATE projection_state
                 SET tx = $1::text::xid8, event_id = $2, projected = projected + $3,
                     projected_at = $4
                 WHERE tx = $5::text::xid8 AND event_id = $6 AND deriver_version = $7",
            )?,
            message: client.prepare(
                "INSERT INTO messages (event_id, log_id, session_id, context_session_id,
                     assistant_id, skill_id, snapshot, language, user_id, customer_id, request_ts,
                     request_at, response_ts, response_at, response_ms, turn_count, input_kind,
                     user_text, stt_confidence, assistant_text, response_types, top_intent,
                     top_confidence, channel, sip_call_id, cdr_custom_data)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
                     $17, $18, $19, $20, $21, $22, $23, $24, $25, $26)",
            )?,
            // A conversation is folded from all its messages, whatever order they were projected
            // in: the first user, assistant, channel and customer by event id, the earliest
            // non-empty user text by request time (the same values as SQLite's projection).
            conversations: client.prepare(
                "INSERT INTO conversations (session_id, first_at, last_at, turns, user_id,
                     assistant_id, channel, customer_id, first_text, first_text_at,
                     first_event_id, last_event_id)
                 SELECT session_id, min(request_at), max(request_at), count(*),
                     (array_agg(user_id ORDER BY event_id) FILTER (WHERE user_id IS NOT NULL))[1],
                     (array_agg(assistant_id ORDER BY event_id)
                         FILTER (WHERE assistant_id IS NOT NULL))[1],
                     (array_agg(channel ORDER BY event_id) FILTER (WHERE channel IS NOT NULL))[1],
                     (array_agg(customer_id ORDER BY event_id)
                         FILTER (WHERE customer_id IS NOT NULL))[1],
                     (array_agg(user_text ORDER BY request_at, event_id)
                         FILTER (WHERE user_text ~ '[^[:space:]]'))[1],
                     (array_agg(request_at ORDER BY request_at, event_id)
                         FILTER (WHERE user_text ~ '[^[:space:]]'))[1],
                     min(event_id), max(event_id)
                 FROM messages WHERE session_id = ANY($1) GROUP BY session_id
                 ON CONFLICT (session_id) DO UPDATE SET first_at = excluded.first_at,
                     last_at = excluded.last_at, turns = excluded.turns,
                     user_id = excluded.user_id, assistant_id = excluded.assistant_id,
                     channel = excluded.channel, customer_id = excluded.customer_id,
                     first_text = excluded.first_text, first_text_at = excluded.first_text_at,
                     first_event_id = excluded.first_event_id,
                     last_event_id = excluded.last_event_id",
            )?,
            intent: client.prepare(
                "INSERT INTO message_intents (event_id, intent, confidence, title)
                 VALUES ($1, $2, $3, $4)",
            )?,
            action: client.prepare(
                "INSERT INTO message_actions (event_id, action, title) VALUES ($1, $2, $3)",
            )?,
            entity: client.prepare(
                "INSERT INTO message_entities (event_id, entity, value, confidence)
                 VALUES ($1, $2, $3, $4)",
            )?,
            response: client.prepare(
                "INSERT INTO message_responses (event_id, seq, response_type) VALUES ($1, $2, $3)",
            )?,
            call: client.prepare(
                "INSERT INTO calls (event_id, global_session_id, start_ts, start_at, stop_ts,
                     duration_ms, outbound, end_reason_raw, end_reason, failure_occurred,
                     failure_details, transfer_occurred, primary_phone_number, from_uri, to_uri,
                     caller, callee, sip_call_id, trunk_call_id, invite_arrival_ts, setup_ms,
                     max_assistant_ms, max_tts_ms, max_stt_ms, media_encrypted,
                     signaling_encrypted, sip_authenticated, active_calls, turn_count,
                     warning_count, rtp)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
                     $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31)",
            )?,
            call_turn: client.prepare(
                "INSERT INTO call_turns (event_id, seq, summary_index, session_id, assistant_id,
                     log_id, request_type, response_types, start_ts, start_at, assistant_ms,
                     stt_ms, stt_confidence, echo_detected, tts_ms, barge_in)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
            )?,
            call_warning: client.prepare(
                "INSERT INTO call_warnings (event_id, seq, code, message) VALUES ($1, $2, $3, $4)",
            )?,
            // A key repeated in the payload keeps its last value, as a JSON object would.
            call_custom_data: client.prepare(
                "INSERT INTO call_custom_data (event_id, key, value) VALUES ($1, $2, $3)
                 ON CONFLICT (event_id, key) DO UPDATE SET value = excluded.value",
            )?,
            fts: client.prepare(
                "INSERT INTO event_fts (event_id, document) VALUES ($1,
                     setweight(to_tsvector('simple'::regconfig, $2::text), 'A')
                     || setweight(to_tsvector('simple'::regconfig, $3::text), 'B')
                     || setweight(to_tsvector('simple'::regconfig, $4::text), 'C'))",
            )?,
            rollups: RefCell::new(HashMap::new()),
        })
    }
}

/// One transaction: the next events after the position whose transactions have ended, their
/// derived rows, and the position after them: a batch as [`BatchBound`] bounds it. Returns
/// whether the batch was full (more may be waiting).
fn project_batch(client: &mut Client, st: &Statements) -> Result<bool, Failure> {
    let mut tx = client.transaction()?;
    let position = tx.query_one(&st.position, &[])?;
    let (from_tx, from_id): (String, i64) = (position.get(0), position.get(1));
    let retention = apply_retention(&mut tx, st)?;
    let (rows, full) = read_batch(&mut tx, st, &from_tx, from_id)?;
    let Some(last) = rows.last() else {
        if retention {
            tx.commit()?;
        }
        return Ok(false);
    };
    let (through_id, through_tx): (i64, String) = (last.get(0), last.get(3));
    let mut sessions = BTreeSet::new();
    for row in &rows {
        let (id, received_at, body): (i64, i64, Vec<u8>) = (row.get(0), row.get(1), row.get(2));
        let derived = derive_body(&body);
        apply_one(&mut tx, st, id, received_at, &derived)?;
        if let Some(session_id) = derived
            .message
            .as_ref()
            .and_then(|m| m.session_id.as_deref())
        {
            sessions.insert(text(session_id).into_owned());
        }
    }
    if !sessions.is_empty() {
        let sessions: Vec<String> = sessions.into_iter().collect();
        tx.execute(&st.conversations, &[&sessions])?;
    }
    // The batch's figures into the rollups, read from the rows just written.
    let ids: Vec<i64> = rows.iter().map(|row| row.get(0)).collect();
    rollup::add(
        Db::PostgresTx(&PgWriter::new(&mut tx, &st.rollups)),
        rollup::Events::Ids(&ids),
        rollup::EventRows::Read,
    )?;
    let moved = tx.execute(
        &st.advance,
        &[
            &through_tx,
            &through_id,
            &(rows.len() as i64),
            &chrono::Utc::now().timestamp_millis(),
            &from_tx,
            &from_id,
            &DERIVER_VERSION,
        ],
    )?;
    if moved != 1 {
        return Err(Failure::Moved);
    }
    tx.commit()?;
    Ok(full)
}

/// The rows of the next batch after the position (id, arrival time, body, transaction), as
/// [`BatchBound`] bounds it; and whether it was full (more may be waiting).
fn read_batch(
    tx: &mut Transaction<'_>,
    st: &Statements,
    from_tx: &str,
    from_id: i64,
) -> Result<(Vec<postgres::Row>, bool), Failure> {
    use postgres::fallible_iterator::FallibleIterator;
    let limit = PROJECT_BATCH as i64;
    let params: [&(dyn postgres::types::ToSql + Sync); 3] = [&from_tx, &from_id, &limit];
    let mut stream = tx.query_raw(&st.batch, params)?;
    let (mut rows, mut bound) = (Vec::new(), BatchBound::new(PROJECT_BATCH));
    while let Some(row) = stream.next()? {
        let full = bound.full_with(row.get::<_, &[u8]>(2).len());
        rows.push(row);
        if full {
            return Ok((rows, true));
        }
    }
    Ok((rows, false))
}

/// Takes out the derived rows of the events retention dropped (whole months, `retention_log`) since
/// the last time, in the batch's transaction, with the position in the log that says so; the
/// conversations they belonged to are folded again from the messages left, or go with their last.
/// The rollups of the hours those events were counted in are counted again from the rows left
/// (a dropped event's endpoint went with it, so what it counted cannot be subtracted).
/// Returns whether there was anything to apply.
fn apply_retention(tx: &mut Transaction<'_>, st: &Statements) -> Result<bool, Failure> {
    let row = tx.query_one(
        "SELECT s.retention_through, (SELECT coalesce(max(seq), 0) FROM retention_log)
         FROM projection_state s",
        &[],
    )?;
    let (applied, logged): (i64, i64) = (row.get(0), row.get(1));
    if logged <= applied {
        return Ok(false);
    }
    let months = tx.query(
        "SELECT first_id, last_id FROM retention_log
         WHERE seq > $1 AND seq <= $2 AND first_id IS NOT NULL",
        &[&applied, &logged],
    )?;
    let (mut hours, mut forgotten) = (Vec::new(), Vec::new());
    for month in &months {
        let (first, last): (i64, i64) = (month.get(0), month.get(1));
        // The month's ids, less any event of another month numbered among them (ids are taken
        // before commit, so a neighbouring month's event can fall inside the range).
        let gone = "event_id BETWEEN $1 AND $2 AND NOT EXISTS (SELECT 1 FROM events e WHERE e.id = event_id)";
        let gone_on = |column: &str| Sql {
            text: format!(
                "{column} BETWEEN ? AND ? AND NOT EXISTS (SELECT 1 FROM events e WHERE e.id = {column})"
            ),
            params: vec![first.into(), last.into()],
        };
        hours.extend(rollup::hours(
            Db::PostgresTx(&PgWriter::new(tx, &st.rollups)),
            &gone_on("c.event_id"),
            &gone_on("m.event_id"),
        )?);
        let sessions: Vec<String> = tx
            .query(
                &format!(
                    "SELECT DISTINCT session_id FROM messages WHERE session_id IS NOT NULL AND {gone}"
                ),
                &[&first, &last],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect();
        for table in by_event() {
            tx.execute(
                &format!("DELETE FROM {table} WHERE {gone}"),
                &[&first, &last],
            )?;
        }
        if !sessions.is_empty() {
            tx.execute(
                "DELETE FROM conversations c WHERE c.session_id = ANY($1)
                 AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.session_id = c.session_id)",
                &[&sessions],
            )?;
            tx.execute(&st.conversations, &[&sessions])?;
            forgotten.extend(sessions);
        }
    }
    hours.sort_unstable();
    hours.dedup();
    {
        let db = PgWriter::new(tx, &st.rollups);
        rollup::recount(Db::PostgresTx(&db), &hours)?;
        rollup::forget_sessions(Db::PostgresTx(&db), &forgotten)?;
    }
    tx.execute(
        "UPDATE projection_state SET retention_through = $1",
        &[&logged],
    )?;
    Ok(true)
}

/// The derived rows of one event. Times used for ordering are never NULL: a payload without a
/// parsable time sorts by arrival (as on SQLite).
fn apply_one(
    tx: &mut Transaction<'_>,
    st: &Statements,
    id: i64,
    received_at: i64,
    derived: &Derived,
) -> Result<(), postgres::Error> {
    if let Some(m) = &derived.message {
        insert_message(tx, st, id, received_at, m)?;
    }
    if let Some(c) = &derived.call {
        insert_call(tx, st, id, received_at, c)?;
    }
    let fts = &derived.fts;
    if !(fts.user_text.is_empty() && fts.assistant_text.is_empty() && fts.meta.is_empty()) {
        tx.execute(
            &st.fts,
            &[
                &id,
                &words(&indexed(&fts.user_text)),
                &words(&indexed(&fts.assistant_text)),
                &words(&indexed(&fts.meta)),
            ],
        )?;
    }
    Ok(())
}

/// A text column's value, as `text` can hold it (see [`text`]).
fn opt(value: &Option<String>) -> Option<Cow<'_, str>> {
    value.as_deref().map(text)
}

/// What of a full-text column is indexed: its first [`FTS_COLUMN_MAX_BYTES`], on a character
/// boundary (then cut into words as SQLite's index cuts them, `query::words`).
fn indexed(value: &str) -> Cow<'_, str> {
    let mut end = value.len().min(FTS_COLUMN_MAX_BYTES);
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    text(&value[..end])
}

fn insert_message(
    tx: &mut Transaction<'_>,
    st: &Statements,
    id: i64,
    received_at: i64,
    m: &MessageRow,
) -> Result<(), postgres::Error> {
    let (top_intent, top_confidence) = match m.intents.first() {
        Some((intent, confidence)) => (Some(text(intent)), *confidence),
        None => (None, None),
    };
    tx.execute(
        &st.message,
        &[
            &id,
            &opt(&m.log_id),
            &opt(&m.session_id),
            &opt(&m.context_session_id),
            &opt(&m.assistant_id),
            &opt(&m.skill_id),
            &opt(&m.snapshot),
            &opt(&m.language),
            &opt(&m.user_id),
            &opt(&m.customer_id),
            &opt(&m.request_ts),
            &m.request_at.unwrap_or(received_at),
            &opt(&m.response_ts),
            &m.response_at,
            &m.response_ms,
            &m.turn_count,
            &opt(&m.input_kind),
            &opt(&m.user_text),
            &m.stt_confidence,
            &text(&m.assistant_text),
            &text(&m.response_types.join(" ")),
            &top_intent,
            &top_confidence,
            &opt(&m.channel),
            &opt(&m.sip_call_id),
            &opt(&m.cdr_custom_data),
        ],
    )?;
    for (intent, confidence) in &m.intents {
        let title = crate::watson::response::intent_title(intent, &m.actions);
        tx.execute(&st.intent, &[&id, &text(intent), confidence, &opt(&title)])?;
    }
    for (action, title) in &m.actions {
        tx.execute(&st.action, &[&id, &text(action), &opt(title)])?;
    }
    for e in &m.entities {
        tx.execute(
            &st.entity,
            &[&id, &text(&e.entity), &opt(&e.value), &e.confidence],
        )?;
    }
    for (seq, response_type) in m.response_types.iter().enumerate() {
        tx.execute(&st.response, &[&id, &(seq as i64), &text(response_type)])?;
    }
    Ok(())
}

fn insert_call(
    tx: &mut Transaction<'_>,
    st: &Statements,
    id: i64,
    received_at: i64,
    c: &CallRow,
) -> Result<(), postgres::Error> {
    tx.execute(
        &st.call,
        &[
            &id,
            &opt(&c.global_session_id),
            &opt(&c.start_ts),
            &c.start_at.unwrap_or(received_at),
            &opt(&c.stop_ts),
            &c.duration_ms,
            &c.outbound,
            &opt(&c.end_reason_raw),
            &opt(&c.end_reason),
            &c.failure_occurred,
            &opt(&c.failure_details),
            &c.transfer_occurred,
            &opt(&c.primary_phone_number),
            &opt(&c.from_uri),
            &opt(&c.to_uri),
            &opt(&c.caller),
            &opt(&c.callee),
            &opt(&c.sip_call_id),
            &opt(&c.trunk_call_id),
            &opt(&c.invite_arrival_ts),
            &c.setup_ms,
            &c.max_assistant_ms,
            &c.max_tts_ms,
            &c.max_stt_ms,
            &c.media_encrypted,
            &c.signaling_encrypted,
            &c.sip_authenticated,
            &c.active_calls,
            &(c.turns.len() as i64),
            &(c.warnings.len() as i64),
            &opt(&c.rtp),
        ],
    )?;
    for (seq, t) in c.turns.iter().enumerate() {
        tx.execute(
            &st.call_turn,
            &[
                &id,
                &(seq as i64),
                &t.summary_index,
                &opt(&t.session_id),
                &opt(&t.assistant_id),
                &opt(&t.log_id),
                &opt(&t.request_type),
                &text(&t.response_types.join(" ")),
                &opt(&t.start_ts),
                &t.start_at,
                &t.assistant_ms,
                &t.stt_ms,
                &t.stt_confidence,
                &t.echo_detected,
                &t.tts_ms,
                &t.barge_in,
            ],
        )?;
    }
    for (seq, w) in c.warnings.iter().enumerate() {
        tx.execute(
            &st.call_warning,
            &[&id, &(seq as i64), &opt(&w.code), &opt(&w.message)],
        )?;
    }
    for (key, value) in &c.custom_data {
        tx.execute(&st.call_custom_data, &[&id, &text(key), &text(value)])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexed_text_is_cut_on_a_character_boundary() {
        assert_eq!(indexed("short"), "short");
        let long = "é".repeat(FTS_COLUMN_MAX_BYTES); // two bytes each
        let cut = indexed(&long);
        assert!(cut.len() <= FTS_COLUMN_MAX_BYTES);
        assert_eq!(cut.len(), FTS_COLUMN_MAX_BYTES);
        assert!(cut.chars().all(|c| c == 'é'));
        let odd = format!("a{long}");
        assert_eq!(indexed(&odd).len(), FTS_COLUMN_MAX_BYTES - 1);
        assert_eq!(indexed("a\0b"), "a\u{FFFD}b");
    }
}
