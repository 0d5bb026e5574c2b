//! The projector: everything derived from the stored bodies (messages, conversations, calls, turns,
//! warnings, custom data, intents, entities, response types, the full-text index) is a projection
//! of the events table, made after the event was acknowledged.
//!
//! Contract: the deriver thread reads events in id order, in batches, on a read-only connection,
//! and derives them off the writer's thread; the writer applies a batch in slices of a few
//! milliseconds, one transaction each, with the watermark (`projected_through`) committed in the
//! same transaction as the rows. Acknowledgements come first: while writes wait, nothing is
//! projected until the oldest unprojected event is `writer::PROJECTION_LAG_BOUND_MS` old; past
//! that, slices and group commits take turns, so the lag stays bounded.
//! Killed at any moment, projection resumes from the watermark, and the projection is always what
//! deriving the stored bodies in id order gives (a conversation is folded from its turns in that
//! order; retention recomputes what is left of one). A store derived by another `DERIVER_VERSION` drops
//! the derived tables (`derived.sql`) at open and derives everything again, in the background.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::StoreError;
use super::writer::{Committed, Input};
use crate::watson::derive::{self, CallRow, DERIVER_VERSION, Derived, MessageRow};

/// Events read and derived together, and handed to the writer as one batch (which applies it in
/// slices: see `writer::PROJECTION_SLICE_MS`). Bounds the memory a batch takes, whatever the size of
/// the store.
pub const PROJECT_BATCH: usize = 512;
/// After a batch smaller than [`PROJECT_BATCH`], the deriver lets this long pass before it reads
/// again: the projection lag it adds is at most this, and each transaction carries more events.
const GATHER_MS: u64 = 20;
/// How long the deriver waits for news before it looks again (and whether it should stop).
const IDLE_WAIT_MS: u64 = 100;
/// After a failed apply (disk full, say), the deriver waits this long and tries again.
const RETRY_MS: u64 = 500;

/// Counter names in the `counters` table.
pub(super) const PROJECTED_THROUGH: &str = "projected_through";
const PROJECTION_VERSION: &str = "deriver_version";
/// The highest event id when a rebuild began: how far a rebuild has to go.
const REBUILD_THROUGH: &str = "rebuild_through";

/// Where projection stands, as the writer last committed it.
#[derive(Debug, Default)]
pub struct Progress {
    /// Every event up to this id is projected.
    pub projected_through: AtomicI64,
    /// A rebuild is under way until `projected_through` reaches this id (0: none).
    pub rebuild_through: AtomicI64,
}

/// One batch of derived events, ready for the writer.
pub(super) struct Batch {
    /// (event id, arrival time, rows), in id order.
    pub events: Vec<(i64, i64, Derived)>,
    /// The watermark once this batch is applied: the highest event id the deriver read.
    pub through: i64,
}

/// At open, on the writer's connection: derives everything again when the derived tables were made
/// by another deriver version (or when `rebuild` asks), and returns the watermark to resume from.
pub(super) fn prepare(conn: &mut Connection, rebuild: bool) -> rusqlite::Result<(i64, i64)> {
    let counter = |conn: &Connection, name: &str| -> rusqlite::Result<Option<i64>> {
        conn.query_row("SELECT value FROM counters WHERE name = ?1", [name], |r| {
            r.get(0)
        })
        .optional()
    };
    let version = counter(conn, PROJECTION_VERSION)?;
    if rebuild || version != Some(DERIVER_VERSION) {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute_batch(include_str!("derived.sql"))?;
        let last: i64 =
            tx.query_row("SELECT coalesce(max(id), 0) FROM events", [], |r| r.get(0))?;
        set_counter(&tx, PROJECTION_VERSION, DERIVER_VERSION)?;
        set_counter(&tx, PROJECTED_THROUGH, 0)?;
        set_counter(&tx, REBUILD_THROUGH, last)?;
        tx.commit()?;
    }
    Ok((
        counter(conn, PROJECTED_THROUGH)?.unwrap_or(0),
        counter(conn, REBUILD_THROUGH)?.unwrap_or(0),
    ))
}

fn set_counter(tx: &Transaction<'_>, name: &str, value: i64) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO counters (name, value) VALUES (?1, ?2)
         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![name, value])?;
    Ok(())
}

/// Moves the watermark to `through`, in the transaction that wrote the derived rows of every event
/// up to it ([`apply_one`]). Events past the watermark have no derived rows: rows commit with their
/// watermark, and a rebuild starts from empty tables.
pub(super) fn set_watermark(tx: &Transaction<'_>, through: i64) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO counters (name, value) VALUES (?1, ?2)
         ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)",
    )?
    .execute(params![PROJECTED_THROUGH, through])?;
    Ok(())
}

/// Writes the derived rows of one event, unless retention deleted it meanwhile (`false`). Its
/// full-text entry is not among them: see [`insert_fts`].
pub(super) fn apply_one(
    tx: &Transaction<'_>,
    id: i64,
    received_at: i64,
    derived: &Derived,
) -> rusqlite::Result<bool> {
    let exists = tx
        .prepare_cached("SELECT 1 FROM events WHERE id = ?1")?
        .exists([id])?;
    if !exists {
        return Ok(false);
    }
    if let Some(m) = &derived.message {
        insert_message(tx, id, received_at, m)?;
    }
    if let Some(c) = &derived.call {
        insert_call(tx, id, received_at, c)?;
    }
    Ok(true)
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

/// The deriver thread: reads what is not yet projected, derives it, and hands it to the writer one
/// batch at a time while it derives the next.
pub(super) struct Deriver {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Deriver {
    pub(super) fn start(
        path: PathBuf,
        writer: SyncSender<Input>,
        commits: Receiver<Committed>,
        progress: Arc<Progress>,
    ) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let thread = std::thread::Builder::new()
            .name("logbook-deriver".into())
            .spawn(move || run(&path, &writer, &commits, &progress, &stopping))
            .expect("spawn deriver thread");
        Self {
            stop,
            thread: Some(thread),
        }
    }

    /// Stops after the batch in hand: what is not projected yet is projected at the next start.
    pub(super) fn stop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Deriver {
    fn drop(&mut self) {
        self.stop();
    }
}

fn run(
    path: &std::path::Path,
    writer: &SyncSender<Input>,
    commits: &Receiver<Committed>,
    progress: &Progress,
    stop: &AtomicBool,
) {
    let Ok(conn) = super::open_reader(path) else {
        return;
    };
    let idle = Duration::from_millis(IDLE_WAIT_MS);
    // Read up to here; applied up to `progress.projected_through`.
    let mut read_through = progress.projected_through.load(Ordering::Relaxed);
    let mut in_flight: Option<Receiver<Result<(), StoreError>>> = None;
    while !stop.load(Ordering::Relaxed) {
        let events = match read_batch(&conn, read_through) {
            Ok(events) => events,
            Err(_) => {
                std::thread::sleep(Duration::from_millis(RETRY_MS));
                continue;
            }
        };
        if events.is_empty() {
            // Nothing new: wait for the previous batch to land, then for the next commit.
            if !landed(in_flight.take(), &mut read_through, progress) {
                continue;
            }
            match commits.recv_timeout(idle) {
                Ok(_) | Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => std::thread::sleep(idle),
            }
            continue;
        }
        let through = events.last().map_or(read_through, |(id, _, _)| *id);
        let batch = Batch {
            events: events
                .into_iter()
                .map(|(id, received_at, body)| (id, received_at, derive_body(&body)))
                .collect(),
            through,
        };
        // One batch in the writer's hands at a time: this one waits for the previous to land.
        if !landed(in_flight.take(), &mut read_through, progress) {
            continue;
        }
        let small = batch.events.len() < PROJECT_BATCH;
        let (reply, done) = mpsc::sync_channel(1);
        if writer.send(Input::Project(Box::new(batch), reply)).is_err() {
            return;
        }
        in_flight = Some(done);
        read_through = through;
        // A small batch means projection has caught up: let the next one gather a little, so a
        // steady stream is projected in a few larger transactions rather than one per event.
        if small {
            std::thread::sleep(Duration::from_millis(GATHER_MS));
        }
    }
    if let Some(done) = in_flight {
        let _ = done.recv();
    }
}

/// Waits for the batch in the writer's hands (if any) to be applied. When it was not (a full
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

/// The next events after `after`, in id order: (id, arrival time, body).
fn read_batch(conn: &Connection, after: i64) -> rusqlite::Result<Vec<(i64, i64, Vec<u8>)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, received_at, body FROM events WHERE id > ?1 ORDER BY id LIMIT ?2",
    )?;
    stmt.query_map(params![after, PROJECT_BATCH as i64], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })?
    .collect()
}

/// What a stored body derives to. Every stored body was a JSON object with `event.name` when it was
/// acknowledged; one that no longer parses derives to nothing rather than stopping projection.
pub fn derive_body(body: &[u8]) -> Derived {
    match crate::watson::parse_envelope(body) {
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
