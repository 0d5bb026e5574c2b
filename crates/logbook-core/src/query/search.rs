//! The lists: events (accepted and rejected), messages, calls and conversations for a query, newest
//! first, paged by keyset, with facet counts for the current filter.

use std::time::{Duration, Instant};

use rusqlite::OptionalExtension;
use rusqlite::types::Value;
use serde::Serialize;

use super::db::{Db, Dialect, Row};
use super::filter::{self, Sql, Subject};
use super::hits::{self, Hit};
use super::parse::{self, Query};
use super::{QUERY_DEADLINE_MS, QueryError, with_deadline};

/// The most rows one page may hold.
pub const MAX_PAGE: usize = 1_000;
/// All facets of a page together get about this long.
pub const FACET_BUDGET_MS: u64 = 150;
/// Facets count at most this many of the newest matches.
pub const FACET_SAMPLE: usize = 2_500;
/// Values shown per facet.
pub const FACET_VALUES: usize = 20;

/// One request for a page of a list.
#[derive(Debug, Clone)]
pub struct Search {
    pub query: String,
    pub cursor: Option<String>,
    pub limit: usize,
    pub facets: bool,
    /// Whether each row says where the free text matched ([`Hit`]): the lists on screen do,
    /// exports do not.
    pub hits: bool,
}

/// Rows per page when nobody says otherwise: the CLI, the UI's commands and [`Search::new`].
pub const DEFAULT_LIMIT: usize = 50;

impl Search {
    pub fn new(query: impl Into<String>) -> Self {
        Self {
            query: query.into(),
            cursor: None,
            limit: DEFAULT_LIMIT,
            facets: false,
            hits: true,
        }
    }
}

/// A page of a list: its rows, where the next page starts, and the facet counts of the whole filter.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
    pub facets: Vec<Facet>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Facet {
    /// The qualifier a click on a value adds, e.g. `end_reason`, `intent`, `custom`.
    pub name: String,
    pub values: Vec<FacetValue>,
    /// Set when the counts are of the newest this-many matches only (counting all took too long).
    pub sampled: Option<i64>,
    pub timed_out: bool,
    /// Set when the facet failed for another reason than time.
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct FacetValue {
    pub value: String,
    pub count: i64,
    /// What a person calls the value, when it differs: an intent's action title.
    pub label: Option<String>,
}

/// A row of the events list: an accepted event or a rejected request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct EventRow {
    pub id: i64,
    /// `accepted` or `rejected`; ids are per source.
    pub source: String,
    pub received_at: i64,
    pub kind: String,
    pub status: i64,
    pub reason: Option<String>,
    pub endpoint: Option<String>,
    pub path: String,
    pub auth: Option<String>,
    pub verified: bool,
    pub bytes: i64,
    pub remote_addr: Option<String>,
    pub duplicates: i64,
    /// One line for the list: what the user said, the call's parties, or why it was refused.
    pub summary: String,
    /// A message's `log_id`, which `logbook show` opens; `None` for calls and rejected requests.
    pub log_id: Option<String>,
    /// A message's `session_id`: its conversation, which `logbook show` opens.
    pub session_id: Option<String>,
    /// A call's `global_session_id`, which `logbook show` opens.
    pub global_session_id: Option<String>,
    /// Where the search's free text matched, when it has free text (and hits were asked for).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub hit: Option<Hit>,
    /// How its forwarding stands, for an event forwarded to downstreams (`serve --forward`).
    pub forwarding: Option<crate::store::outbox::ForwardingState>,
    /// The event this one replays, as the sender numbered it, when it arrived as a replay.
    pub replay_of: Option<i64>,
    /// How many replays of this event were sent (`logbook replay`, the Replay panel).
    pub replays: i64,
}

/// Fills in what became of the accepted events among `rows` after they arrived: how their
/// forwarding stands, how many replays of them were sent, and the event each replays when it
/// arrived as a replay.
/// Only the SQLite store forwards and replays: on PostgreSQL there is nothing to add.
pub(crate) fn add_onward(db: Db<'_>, rows: &mut [EventRow]) -> rusqlite::Result<()> {
    let Some(conn) = db.sqlite() else {
        return Ok(());
    };
    let ids: Vec<i64> = rows
        .iter()
        .filter(|r| r.source == "accepted")
        .map(|r| r.id)
        .collect();
    let mut states = crate::store::outbox::states(conn, &ids)?
        .into_iter()
        .peekable();
    for row in rows.iter_mut().filter(|r| r.source == "accepted") {
        if states.peek().is_some_and(|(id, _)| *id == row.id) {
            row.forwarding = states.next().map(|(_, state)| state);
        }
    }
    // A store written before replays existed (read before `serve` migrates it) has none.
    let has_replays = conn
        .prepare_cached("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'replays'")?
        .exists([])?;
    if !has_replays {
        return Ok(());
    }
    let mut replays = conn.prepare_cached(
        "SELECT e.replay_of, (SELECT count(*) FROM replays r WHERE r.event_id = e.id)
         FROM events e WHERE e.id = ?1",
    )?;
    for row in rows.iter_mut().filter(|r| r.source == "accepted") {
        if let Some((of, sent)) = replays
            .query_row([row.id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?
        {
            (row.replay_of, row.replays) = (of, sent);
        }
    }
    Ok(())
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct MessageRow {
    pub event_id: i64,
    pub log_id: Option<String>,
    pub session_id: Option<String>,
    pub turn_count: Option<i64>,
    pub request_ts: Option<String>,
    pub request_at: i64,
    pub latency_ms: Option<i64>,
    pub user_id: Option<String>,
    pub assistant_id: Option<String>,
    pub skill_id: Option<String>,
    pub channel: Option<String>,
    pub input_kind: Option<String>,
    pub user_text: Option<String>,
    pub stt_confidence: Option<f64>,
    pub assistant_text: Option<String>,
    pub response_types: String,
    pub top_intent: Option<String>,
    pub top_confidence: Option<f64>,
    pub sip_call_id: Option<String>,
    pub endpoint: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct CallRow {
    pub event_id: i64,
    pub global_session_id: Option<String>,
    pub start_ts: Option<String>,
    pub start_at: i64,
    pub caller: Option<String>,
    pub callee: Option<String>,
    pub primary_phone_number: Option<String>,
    pub duration_ms: Option<i64>,
    pub end_reason: Option<String>,
    pub failure_occurred: Option<bool>,
    pub failure_details: Option<String>,
    pub transfer_occurred: Option<bool>,
    pub max_assistant_ms: Option<i64>,
    pub max_tts_ms: Option<i64>,
    pub max_stt_ms: Option<i64>,
    pub setup_ms: Option<i64>,
    pub warning_count: i64,
    pub turn_count: i64,
    pub endpoint: String,
    /// `injected_custom_data`, key → value, in key order.
    pub custom_data: serde_json::Map<String, serde_json::Value>,
    /// Where the search's free text matched, when it has free text (and hits were asked for).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub hit: Option<Hit>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ConversationRow {
    pub session_id: String,
    pub user_id: Option<String>,
    pub assistant_id: Option<String>,
    pub channel: Option<String>,
    pub customer_id: Option<String>,
    pub turns: i64,
    pub first_at: Option<i64>,
    pub last_at: Option<i64>,
    pub first_text: Option<String>,
    /// The first turn the search's free text matched, when it has free text: the conversation opens
    /// at it.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub hit: Option<Hit>,
}

fn parse_query(text: &str) -> Result<Query, QueryError> {
    Ok(parse::parse(text, chrono::Utc::now())?)
}

fn limit(search: &Search) -> usize {
    search.limit.clamp(1, MAX_PAGE)
}

/// Cursor values: the sort key of the last row of the previous page, as `a.b.c` integers or text.
fn cursor_parts(cursor: Option<&str>, n: usize) -> Result<Option<Vec<String>>, QueryError> {
    let Some(cursor) = cursor.filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    let parts: Vec<String> = cursor.splitn(n, '.').map(str::to_owned).collect();
    if parts.len() != n {
        return Err(QueryError::BadCursor);
    }
    Ok(Some(parts))
}

fn int(part: &str) -> Result<i64, QueryError> {
    part.parse().map_err(|_| QueryError::BadCursor)
}

fn deadline() -> Duration {
    Duration::from_millis(QUERY_DEADLINE_MS)
}

// ---------------------------------------------------------------------------------------------
// Events

/// All requests, newest first: accepted events and rejected requests interleaved by arrival.
///
/// The two sources page independently by id (arrival order); the cursor `E.R` holds the oldest event
/// id and the oldest rejection id already shown.
pub fn events<'a>(db: impl Into<Db<'a>>, search: &Search) -> Result<Page<EventRow>, QueryError> {
    let db = db.into();
    let query = parse_query(&search.query)?;
    let n = limit(search);
    let cursor = cursor_parts(search.cursor.as_deref(), 2)?
        .map(|p| Ok::<_, QueryError>((int(&p[0])?, int(&p[1])?)))
        .transpose()?;
    let (before_event, before_rejection) = cursor.unwrap_or((i64::MAX, i64::MAX));
    let mut rows = with_deadline(db, deadline(), || {
        let mut rows = Vec::new();
        if filter::wants_events(&query) {
            let list = driven(
                &query,
                Subject::Events,
                EVENT_FROM,
                "e.id",
                before_event,
                false,
                db.dialect(),
            );
            let sql = format!(
                "SELECT {} FROM {} WHERE {} ORDER BY {} LIMIT {n}",
                event_columns(db.dialect()),
                list.from,
                list.cond.text,
                list.order
            );
            rows.extend(db.rows(&sql, &list.cond.params, event_row)?);
        }
        if let Some(cond) = filter::rejection_filter(&query) {
            let cond = filter::and_all(vec![
                cond,
                Sql {
                    text: "r.id < ?".into(),
                    params: vec![before_rejection.into()],
                },
            ]);
            let sql = format!(
                "SELECT {REJECTION_COLUMNS} FROM rejections r WHERE {} ORDER BY r.id DESC LIMIT {n}",
                cond.text
            );
            rows.extend(db.rows(&sql, &cond.params, rejection_row)?);
        }
        Ok(rows)
    })?;
    rows.sort_by_key(|row| std::cmp::Reverse(event_key(row)));
    rows.truncate(n);
    let accepted: Vec<i64> = rows
        .iter()
        .filter(|r| r.source == "accepted")
        .map(|r| r.id)
        .collect();
    let mut found = if search.hits {
        with_deadline(db, deadline(), || hits::hits(db, &query, &accepted))?
    } else {
        Default::default()
    };
    for row in rows.iter_mut().filter(|r| r.source == "accepted") {
        row.hit = found.remove(&row.id);
    }
    add_onward(db, &mut rows)?;
    let next_cursor = (rows.len() == n).then(|| {
        let oldest = |source: &str, before: i64| {
            rows.iter()
                .filter(|r| r.source == source)
                .map(|r| r.id)
                .min()
                .unwrap_or(before)
        };
        format!(
            "{}.{}",
            oldest("accepted", before_event),
            oldest("rejected", before_rejection)
        )
    });
    let facets = if search.facets {
        facets(db, &query, Subject::Events)
    } else {
        Vec::new()
    };
    Ok(Page {
        items: rows,
        next_cursor,
        facets,
    })
}

/// A list's FROM clause, condition and order: read through the full-text index in id order when
/// the query has free text (a common word then costs a page, not every match), else by the table's
/// own id. `id` is the column holding the row's event id; rows come newest first unless `oldest_first`.
pub(crate) struct ListSql {
    pub from: String,
    pub cond: Sql,
    pub order: String,
}

pub(crate) fn driven(
    query: &Query,
    subject: Subject,
    base: &str,
    id: &str,
    before: i64,
    oldest_first: bool,
    dialect: Dialect,
) -> ListSql {
    let (fts, rest) = filter::compile_driven(query, subject, dialect);
    let (cmp, dir) = if oldest_first {
        (">", "ASC")
    } else {
        ("<", "DESC")
    };
    let mut parts = Vec::new();
    let (from, key) = match fts {
        Some(fts) => {
            parts.push(Sql {
                text: dialect.fts_matches().into(),
                params: vec![Value::Text(fts)],
            });
            (
                format!("{base} {}", dialect.fts_join(id)),
                dialect.fts_key().to_owned(),
            )
        }
        None => (base.to_owned(), id.to_owned()),
    };
    parts.push(rest);
    if before != if oldest_first { i64::MIN } else { i64::MAX } {
        let (text, placeholders) = dialect.keyset_bound(&key, cmp);
        parts.push(Sql {
            text,
            params: vec![before.into(); placeholders],
        });
    }
    ListSql {
        from,
        cond: filter::and_all(parts),
        order: format!("{key} {dir}"),
    }
}

fn event_key(row: &EventRow) -> (i64, i64, i64) {
    (
        row.received_at,
        if row.source == "accepted" { 1 } else { 0 },
        row.id,
    )
}

/// A cursor that is a single id.
fn id_cursor(search: &Search, oldest_first: bool) -> Result<i64, QueryError> {
    match cursor_parts(search.cursor.as_deref(), 1)? {
        Some(p) => int(&p[0]),
        None => Ok(if oldest_first { i64::MIN } else { i64::MAX }),
    }
}

/// The events an [`EventRow`] is read from: `e` events, with `m` their message and `c` their call.
pub(crate) const EVENT_FROM: &str =
    "events e LEFT JOIN messages m ON m.event_id = e.id LEFT JOIN calls c ON c.event_id = e.id";
/// The columns [`event_row`] reads, in its order, over [`EVENT_FROM`].
pub(crate) fn event_columns(dialect: Dialect) -> String {
    format!(
        "e.id, e.received_at, e.kind, e.endpoint, e.path, e.auth, e.verified, {},
    e.remote_addr, {}, m.user_text, m.assistant_text, c.caller, c.callee, c.duration_ms, c.end_reason,
    m.log_id, m.session_id, c.global_session_id,
    CASE WHEN m.event_id IS NULL AND c.event_id IS NULL AND e.kind IN ('message_logged', 'cdr_logged')
         THEN e.body END, {}",
        dialect.body_bytes("e"),
        dialect.duplicates(),
        dialect.body_zstd("e")
    )
}
/// The columns [`rejection_row`] reads, in its order, over `rejections r`.
pub(crate) const REJECTION_COLUMNS: &str =
    "r.id, r.received_at, r.status, r.reason, r.endpoint, r.path,
    coalesce(r.body_bytes, length(r.body)), r.remote_addr, r.method";

/// An accepted event as a list row, from [`event_columns`] (also the live stream's). An event not
/// projected yet (it was acknowledged a moment ago) is summarised from its body: Live shows every
/// request as soon as it is acknowledged, with what it says.
pub(crate) fn event_row(r: &Row<'_>) -> rusqlite::Result<EventRow> {
    let kind: String = r.get(2)?;
    let mut user_text: Option<String> = r.get(10)?;
    let mut assistant_text: Option<String> = r.get(11)?;
    let mut caller: Option<String> = r.get(12)?;
    let mut callee: Option<String> = r.get(13)?;
    let mut duration: Option<i64> = r.get(14)?;
    let mut end: Option<String> = r.get(15)?;
    let mut log_id: Option<String> = r.get(16)?;
    let mut session_id: Option<String> = r.get(17)?;
    let mut global_session_id: Option<String> = r.get(18)?;
    if let Some(body) = crate::store::stored_body::unpack_nullable(r.get_ref(19)?, r.get(20)?, 19)?
    {
        let derived = crate::store::projection::derive_body(&body);
        if let Some(m) = derived.message {
            (user_text, session_id, log_id) = (m.user_text, m.session_id, m.log_id);
            assistant_text = Some(m.assistant_text);
        }
        if let Some(c) = derived.call {
            (caller, callee, duration) = (c.caller, c.callee, c.duration_ms);
            (end, global_session_id) = (c.end_reason, c.global_session_id);
        }
    }
    let summary = if let Some(caller) = caller {
        format!(
            "{caller} → {}, {}, {}",
            callee.unwrap_or_default(),
            duration.map_or("?".to_owned(), |ms| format!("{:.1} s", ms as f64 / 1000.0)),
            end.unwrap_or_default()
        )
    } else {
        let user = user_text
            .filter(|t| !t.trim().is_empty())
            .map(|t| format!("“{}”", t.trim()));
        let answer = assistant_text.and_then(|t| t.lines().next().map(str::to_owned));
        match (user, answer) {
            (Some(u), Some(a)) => format!("{u} → {a}"),
            (Some(u), None) => u,
            (None, Some(a)) => format!("→ {a}"),
            (None, None) => String::new(),
        }
    };
    Ok(EventRow {
        id: r.get(0)?,
        source: "accepted".into(),
        received_at: r.get(1)?,
        kind,
        status: 200,
        reason: None,
        endpoint: r.get(3)?,
        path: r.get(4)?,
        auth: r.get(5)?,
        verified: r.get(6)?,
        bytes: r.get(7)?,
        remote_addr: r.get(8)?,
        duplicates: r.get(9)?,
        summary: truncate_chars(&summary, 200),
        log_id,
        session_id,
        global_session_id,
        hit: None,
        forwarding: None,
        replay_of: None,
        replays: 0,
    })
}

/// A rejected request as a list row, from [`REJECTION_COLUMNS`].
pub(crate) fn rejection_row(r: &Row<'_>) -> rusqlite::Result<EventRow> {
    let reason: String = r.get(3)?;
    let method: String = r.get(8)?;
    Ok(EventRow {
        id: r.get(0)?,
        source: "rejected".into(),
        received_at: r.get(1)?,
        kind: "rejected".into(),
        status: r.get(2)?,
        summary: format!("{method}: {reason}"),
        reason: Some(reason),
        endpoint: r.get(4)?,
        path: r.get(5)?,
        auth: None,
        verified: false,
        bytes: r.get::<_, Option<i64>>(6)?.unwrap_or(0),
        remote_addr: r.get(7)?,
        duplicates: 0,
        log_id: None,
        session_id: None,
        global_session_id: None,
        hit: None,
        forwarding: None,
        replay_of: None,
        replays: 0,
    })
}

fn truncate_chars(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_owned(),
    }
}

// ---------------------------------------------------------------------------------------------
// Messages

const MESSAGE_COLUMNS: &str = "m.event_id, m.log_id, m.session_id, m.turn_count, m.request_ts, m.request_at,
    m.response_ms, m.user_id, m.assistant_id, m.skill_id, m.channel, m.input_kind, m.user_text,
    m.stt_confidence, m.assistant_text, m.response_types, m.top_intent, m.top_confidence, m.sip_call_id, e.endpoint";

fn message_row(r: &Row<'_>) -> rusqlite::Result<MessageRow> {
    Ok(MessageRow {
        event_id: r.get(0)?,
        log_id: r.get(1)?,
        session_id: r.get(2)?,
        turn_count: r.get(3)?,
        request_ts: r.get(4)?,
        request_at: r.get(5)?,
        latency_ms: r.get(6)?,
        user_id: r.get(7)?,
        assistant_id: r.get(8)?,
        skill_id: r.get(9)?,
        channel: r.get(10)?,
        input_kind: r.get(11)?,
        user_text: r.get(12)?,
        stt_confidence: r.get(13)?,
        assistant_text: r.get(14)?,
        response_types: r.get::<_, Option<String>>(15)?.unwrap_or_default(),
        top_intent: r.get(16)?,
        top_confidence: r.get(17)?,
        sip_call_id: r.get(18)?,
        endpoint: r.get(19)?,
    })
}

/// Message turns, newest first (oldest first for exports), by arrival.
pub fn messages<'a>(
    db: impl Into<Db<'a>>,
    search: &Search,
    oldest_first: bool,
) -> Result<Page<MessageRow>, QueryError> {
    let db = db.into();
    let query = parse_query(&search.query)?;
    let n = limit(search);
    let before = id_cursor(search, oldest_first)?;
    let list = driven(
        &query,
        Subject::Messages,
        "messages m JOIN events e ON e.id = m.event_id",
        "m.event_id",
        before,
        oldest_first,
        db.dialect(),
    );
    let sql = format!(
        "SELECT {MESSAGE_COLUMNS} FROM {} WHERE {} ORDER BY {} LIMIT {n}",
        list.from, list.cond.text, list.order
    );
    let items = with_deadline(db, deadline(), || {
        db.rows(&sql, &list.cond.params, message_row)
    })?;
    let next_cursor = (items.len() == n)
        .then(|| items.last().map(|m| m.event_id.to_string()))
        .flatten();
    let facets = if search.facets {
        facets(db, &query, Subject::Messages)
    } else {
        Vec::new()
    };
    Ok(Page {
        items,
        next_cursor,
        facets,
    })
}

// ---------------------------------------------------------------------------------------------
// Calls

fn call_row(r: &Row<'_>) -> rusqlite::Result<CallRow> {
    Ok(CallRow {
        event_id: r.get(0)?,
        global_session_id: r.get(1)?,
        start_ts: r.get(2)?,
        start_at: r.get(3)?,
        caller: r.get(4)?,
        callee: r.get(5)?,
        primary_phone_number: r.get(6)?,
        duration_ms: r.get(7)?,
        end_reason: r.get(8)?,
        failure_occurred: r.get(9)?,
        failure_details: r.get(10)?,
        transfer_occurred: r.get(11)?,
        max_assistant_ms: r.get(12)?,
        max_tts_ms: r.get(13)?,
        max_stt_ms: r.get(14)?,
        setup_ms: r.get(15)?,
        warning_count: r.get(16)?,
        turn_count: r.get(17)?,
        endpoint: r.get(18)?,
        custom_data: serde_json::Map::new(),
        hit: None,
    })
}

/// Call records, newest first (oldest first for exports), by arrival, each with its custom data.
pub fn calls<'a>(
    db: impl Into<Db<'a>>,
    search: &Search,
    oldest_first: bool,
) -> Result<Page<CallRow>, QueryError> {
    let db = db.into();
    let query = parse_query(&search.query)?;
    let n = limit(search);
    let before = id_cursor(search, oldest_first)?;
    let list = driven(
        &query,
        Subject::Calls,
        "calls c JOIN events e ON e.id = c.event_id",
        "c.event_id",
        before,
        oldest_first,
        db.dialect(),
    );
    let sql = format!(
        "SELECT c.event_id, c.global_session_id, c.start_ts, c.start_at, c.caller, c.callee, c.primary_phone_number,
                c.duration_ms, c.end_reason, c.failure_occurred, c.failure_details, c.transfer_occurred,
                c.max_assistant_ms, c.max_tts_ms, c.max_stt_ms, c.setup_ms, c.warning_count, c.turn_count, e.endpoint
         FROM {} WHERE {} ORDER BY {} LIMIT {n}",
        list.from, list.cond.text, list.order
    );
    let items = with_deadline(db, deadline(), || {
        let mut items = db.rows(&sql, &list.cond.params, call_row)?;
        attach_custom_data(db, &mut items)?;
        let ids: Vec<i64> = items.iter().map(|c| c.event_id).collect();
        let mut found = if search.hits {
            hits::hits(db, &query, &ids)?
        } else {
            Default::default()
        };
        for call in &mut items {
            call.hit = found.remove(&call.event_id);
        }
        Ok(items)
    })?;
    let next_cursor = (items.len() == n)
        .then(|| items.last().map(|c| c.event_id.to_string()))
        .flatten();
    let facets = if search.facets {
        facets(db, &query, Subject::Calls)
    } else {
        Vec::new()
    };
    Ok(Page {
        items,
        next_cursor,
        facets,
    })
}

/// Fills each call's custom data with one query for the whole page.
fn attach_custom_data(db: Db<'_>, calls: &mut [CallRow]) -> Result<(), QueryError> {
    if calls.is_empty() {
        return Ok(());
    }
    let ids = serde_json::to_string(&calls.iter().map(|c| c.event_id).collect::<Vec<_>>())
        .expect("ids serialise");
    let rows = db.rows(
        &format!(
            "SELECT event_id, key, value FROM call_custom_data
             WHERE event_id IN ({}) ORDER BY event_id, {}",
            db.dialect().integers(),
            db.dialect().text_key("key")
        ),
        &[Value::Text(ids)],
        |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        },
    )?;
    let index: std::collections::HashMap<i64, usize> = calls
        .iter()
        .enumerate()
        .map(|(i, c)| (c.event_id, i))
        .collect();
    for (id, key, value) in rows {
        if let Some(&i) = index.get(&id) {
            let value = serde_json::from_str(&value).unwrap_or(serde_json::Value::String(value));
            calls[i].custom_data.insert(key, value);
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Conversations

/// Conversations with at least one turn matching the query, most recently active first.
pub fn conversations<'a>(
    db: impl Into<Db<'a>>,
    search: &Search,
) -> Result<Page<ConversationRow>, QueryError> {
    let db = db.into();
    let query = parse_query(&search.query)?;
    let n = limit(search);
    let mut parts = vec![super::count::conversations_cond(&query, db.dialect())];
    if let Some(p) = cursor_parts(search.cursor.as_deref(), 2)? {
        parts.push(Sql {
            text: format!(
                "(v.last_at, {}) < (?, ?)",
                db.dialect().text_key("v.session_id")
            ),
            params: vec![int(&p[0])?.into(), Value::Text(p[1].clone())],
        });
    }
    let cond = filter::and_all(parts);
    let sql = format!(
        "SELECT v.session_id, v.user_id, v.assistant_id, v.channel, v.customer_id, v.turns, v.first_at, v.last_at,
                v.first_text
         FROM conversations v WHERE {} ORDER BY v.last_at DESC, {} DESC LIMIT {n}",
        cond.text,
        db.dialect().text_key("v.session_id")
    );
    let items = with_deadline(db, deadline(), || {
        db.rows(&sql, &cond.params, |r| {
            Ok(ConversationRow {
                session_id: r.get(0)?,
                user_id: r.get(1)?,
                assistant_id: r.get(2)?,
                channel: r.get(3)?,
                customer_id: r.get(4)?,
                turns: r.get(5)?,
                first_at: r.get(6)?,
                last_at: r.get(7)?,
                first_text: r.get(8)?,
                hit: None,
            })
        })
        .and_then(|mut items: Vec<ConversationRow>| {
            let sessions: Vec<&str> = items.iter().map(|c| c.session_id.as_str()).collect();
            let mut found = if search.hits {
                hits::conversation_hits(db, &query, &sessions)?
            } else {
                Default::default()
            };
            for c in &mut items {
                c.hit = found.remove(&c.session_id);
            }
            Ok(items)
        })
    })?;
    let next_cursor = (items.len() == n)
        .then(|| {
            items
                .last()
                .map(|c| format!("{}.{}", c.last_at.unwrap_or(0), c.session_id))
        })
        .flatten();
    let facets = if search.facets {
        facets(db, &query, Subject::Conversations)
    } else {
        Vec::new()
    };
    Ok(Page {
        items,
        next_cursor,
        facets,
    })
}

// ---------------------------------------------------------------------------------------------
// Facets

/// Each facet: the qualifier it adds, the value it counts, and the rest of its statement (the count,
/// and a label when it has one) over the sampled ids (`facet_ids`, a CTE).
const EVENT_FACETS: &[(&str, &str, &str)] = &[(
    "kind",
    "e.kind",
    "count(*) FROM events e WHERE e.id IN (SELECT id FROM facet_ids) GROUP BY 1",
)];

const MESSAGE_FACETS: &[(&str, &str, &str)] = &[
    (
        "intent",
        "i.intent",
        "count(*), max(i.title) FROM message_intents i WHERE i.event_id IN (SELECT id FROM facet_ids) GROUP BY 1",
    ),
    (
        "action",
        "a.title",
        "count(DISTINCT a.event_id) FROM message_actions a
         WHERE a.event_id IN (SELECT id FROM facet_ids) AND a.title IS NOT NULL GROUP BY 1",
    ),
    (
        "type",
        "r.response_type",
        "count(DISTINCT r.event_id) FROM message_responses r WHERE r.event_id IN (SELECT id FROM facet_ids) GROUP BY 1",
    ),
    (
        "channel",
        "m.channel",
        "count(*) FROM messages m WHERE m.event_id IN (SELECT id FROM facet_ids) AND m.channel IS NOT NULL GROUP BY 1",
    ),
];

const CALL_FACETS: &[(&str, &str, &str)] = &[
    (
        "end_reason",
        "c.end_reason",
        "count(*) FROM calls c WHERE c.event_id IN (SELECT id FROM facet_ids) GROUP BY 1",
    ),
    (
        "failed",
        "CASE WHEN c.failure_occurred THEN 'true' ELSE 'false' END",
        "count(*) FROM calls c
         WHERE c.event_id IN (SELECT id FROM facet_ids) AND c.failure_occurred IS NOT NULL GROUP BY 1",
    ),
    (
        "failure",
        "c.failure_details",
        "count(*) FROM calls c
         WHERE c.event_id IN (SELECT id FROM facet_ids) AND c.failure_details IS NOT NULL GROUP BY 1",
    ),
    (
        "transferred",
        "CASE WHEN c.transfer_occurred THEN 'true' ELSE 'false' END",
        "count(*) FROM calls c
         WHERE c.event_id IN (SELECT id FROM facet_ids) AND c.transfer_occurred IS NOT NULL GROUP BY 1",
    ),
    (
        "warning",
        "w.code",
        "count(DISTINCT w.event_id) FROM call_warnings w WHERE w.event_id IN (SELECT id FROM facet_ids) GROUP BY 1",
    ),
    (
        "custom",
        "d.key",
        "count(*) FROM call_custom_data d WHERE d.event_id IN (SELECT id FROM facet_ids) GROUP BY 1",
    ),
];

/// Facet counts for the rows matching `query`, over its newest [`FACET_SAMPLE`] matches (read in
/// id order, through the full-text index when there is free text, so a broad filter costs the same
/// as a narrow one). When there are more matches than that, each facet says so in `sampled`. Each
/// facet runs under the page's shared facet budget and is reported as timed out past it.
pub fn facets<'a>(db: impl Into<Db<'a>>, query: &Query, subject: Subject) -> Vec<Facet> {
    let db = db.into();
    let budget = Budget(Instant::now() + Duration::from_millis(FACET_BUDGET_MS));
    let mut out = Vec::new();
    let mut sides: Vec<FacetSide> = Vec::new();
    if subject == Subject::Events {
        sides.push(FacetSide {
            subject: Subject::Events,
            base: "events e",
            id: "e.id",
            facets: EVENT_FACETS,
        });
    }
    if matches!(
        subject,
        Subject::Events | Subject::Messages | Subject::Conversations
    ) {
        sides.push(FacetSide {
            subject: Subject::Messages,
            base: "messages m JOIN events e ON e.id = m.event_id",
            id: "m.event_id",
            facets: MESSAGE_FACETS,
        });
    }
    if matches!(subject, Subject::Events | Subject::Calls) {
        sides.push(FacetSide {
            subject: Subject::Calls,
            base: "calls c JOIN events e ON e.id = c.event_id",
            id: "c.event_id",
            facets: CALL_FACETS,
        });
    }
    for FacetSide {
        subject: side,
        base,
        id,
        facets: list,
    } in sides
    {
        let (ids, sampled) = match sample_ids(db, query, side, base, id, &budget) {
            Ok(ids) => {
                let sampled = (ids.len() >= FACET_SAMPLE).then_some(FACET_SAMPLE as i64);
                (serde_json::to_string(&ids).expect("ids serialise"), sampled)
            }
            Err(err) => {
                let timed_out = matches!(err, QueryError::Timeout(_));
                let error = (!timed_out).then(|| err.to_string());
                for (name, _, _) in list.iter() {
                    let (name, error) = (name.to_string(), error.clone());
                    out.push(Facet {
                        name,
                        values: Vec::new(),
                        sampled: None,
                        timed_out,
                        error,
                    });
                }
                continue;
            }
        };
        for (name, value, rest) in list.iter() {
            out.push(facet(db, name, (value, rest), &ids, sampled, &budget));
        }
    }
    out
}

/// The newest matching event ids, at most [`FACET_SAMPLE`].
fn sample_ids(
    db: Db<'_>,
    query: &Query,
    side: Subject,
    base: &str,
    id: &str,
    budget: &Budget,
) -> Result<Vec<i64>, QueryError> {
    let list = driven(query, side, base, id, i64::MAX, false, db.dialect());
    let sql = format!(
        "SELECT {id} FROM {} WHERE {} ORDER BY {} LIMIT {FACET_SAMPLE}",
        list.from, list.cond.text, list.order
    );
    with_deadline(db, budget.left(), || {
        db.rows(&sql, &list.cond.params, |r| r.get(0))
    })
}

/// One kind of row facets are counted over: its list's FROM clause, id column and facets.
struct FacetSide {
    subject: Subject,
    base: &'static str,
    id: &'static str,
    facets: &'static [(&'static str, &'static str, &'static str)],
}

/// The facets' shared deadline.
struct Budget(Instant);

impl Budget {
    fn left(&self) -> Duration {
        self.0.saturating_duration_since(Instant::now())
    }
}

/// One facet's counts over the sampled `ids` (a JSON array), values that tie in order of their bytes
/// (as SQLite compares them, whatever PostgreSQL's collation).
fn facet(
    db: Db<'_>,
    name: &str,
    (value, rest): (&str, &str),
    ids: &str,
    sampled: Option<i64>,
    budget: &Budget,
) -> Facet {
    let name = name.to_owned();
    let sql = format!(
        "WITH facet_ids (id) AS ({}) SELECT {}, {rest} ORDER BY 2 DESC, 1 LIMIT {FACET_VALUES}",
        db.dialect().integers(),
        db.dialect().text_key(value)
    )
    // (An intent's label is the greatest of its titles, in bytes.)
    .replace(
        "max(i.title)",
        &format!("max({})", db.dialect().text_key("i.title")),
    );
    let result = with_deadline(db, budget.left(), || {
        db.rows(&sql, &[Value::Text(ids.to_owned())], |r| {
            let value: Option<String> = r.get(0)?;
            // A facet's third column, when it has one, is the values' label.
            let label = if r.column_count() > 2 {
                r.get(2)?
            } else {
                None
            };
            Ok(FacetValue {
                value: value.unwrap_or_else(|| "(none)".into()),
                count: r.get(1)?,
                label,
            })
        })
    });
    match result {
        Ok(values) => Facet {
            name,
            values,
            sampled,
            timed_out: false,
            error: None,
        },
        Err(QueryError::Timeout(_)) => Facet {
            name,
            values: Vec::new(),
            sampled: None,
            timed_out: true,
            error: None,
        },
        Err(err) => Facet {
            name,
            values: Vec::new(),
            sampled: None,
            timed_out: false,
            error: Some(err.to_string()),
        },
    }
}
