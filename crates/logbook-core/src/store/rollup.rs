//! Rollups: the Trends figures of each UTC hour and endpoint, kept beside the derived tables so
//! that a month of traffic is summed from a few thousand rows instead of read event by event.
//!
//! Contract: exact, and one definition. The facts Trends counts are read from the derived tables by
//! [`facts`] (the one set of queries, for a query's range as for a slice of events); a set of
//! facts sums to a [`Summary`] per hour (a call, its turns and warnings in the hour of
//! `calls.start_at`; a message in the hour of `messages.request_at`): counts, exact value
//! histograms (value → how many, so nearest-rank percentiles over any set of hours are exact), and
//! messages per session (sessions by number: [`SessionNumbers`]). The projector adds the summary
//! of each slice it applies — one upsert per hour, endpoint and measure, never one per event — in
//! the slice's transaction; retention subtracts that of the events it deletes, in its own; a
//! rebuild starts from the empty tables of `derived.sql`. So the rollup of an hour is always the
//! summary of the facts of its events.
//!
//! Both stores keep them, through the one reading seam ([`Db`], one SQL text): SQLite's projector
//! and retention as above; PostgreSQL's projector (`postgres/projection.rs`) adds each batch in
//! its transaction ([`add`]) and, where retention dropped a month of events (their rows, and so
//! their endpoints, gone), counts the hours those events were counted in again from the derived
//! rows left ([`recount`]); its tables are `postgres/schema_5.sql`.

use rustc_hash::FxHashMap as HashMap;

use rusqlite::Connection;
use rusqlite::types::Value;

use crate::query::QueryError;
use crate::query::db::{Db, Row};
use crate::query::filter::Sql;

/// The rollup tables, emptied with the derived tables when everything is derived again.
pub const TABLES: [&str; 4] = [
    "rollup_sessions",
    "rollup_session_ids",
    "rollup_values",
    "rollup_counts",
];

pub const HOUR_MS: i64 = 3_600_000;
/// An intent whose confidence is below this is a low-confidence turn.
pub const LOW_CONFIDENCE: f64 = 0.5;

/// The start of the UTC hour of `at` (ms).
pub fn hour_of(at: i64) -> i64 {
    at.div_euclid(HOUR_MS) * HOUR_MS
}

/// A call as Trends counts it.
pub struct CallFact {
    pub id: i64,
    pub endpoint: String,
    pub start_at: i64,
    pub end_reason: Option<String>,
    pub failed: bool,
    pub transferred: bool,
    pub warnings: i64,
    pub setup_ms: Option<i64>,
    pub failure_details: Option<String>,
}

/// A call turn, counted with its call (`start_at` is the call's).
pub struct TurnFact {
    pub endpoint: String,
    pub start_at: i64,
    pub assistant_ms: Option<i64>,
    pub tts_ms: Option<i64>,
    pub stt_ms: Option<i64>,
    pub stt_confidence: Option<f64>,
    pub barge_in: Option<bool>,
}

/// A warning of a call (`start_at` is the call's).
pub struct WarningFact {
    pub call: i64,
    pub endpoint: String,
    pub start_at: i64,
    pub code: Option<String>,
}

pub struct MessageFact {
    pub endpoint: String,
    pub request_at: i64,
    pub session_id: Option<String>,
    pub response_ms: Option<i64>,
    pub input_kind: Option<String>,
    pub top_intent: Option<String>,
    pub top_confidence: Option<f64>,
}

/// An action title a message ran (once per message and title).
pub struct ActionFact {
    pub endpoint: String,
    pub request_at: i64,
    pub title: String,
}

#[derive(Default)]
pub struct Facts {
    pub calls: Vec<CallFact>,
    pub turns: Vec<TurnFact>,
    /// Grouped by call (in call order), as [`Summary::add_warnings`] takes them.
    pub warnings: Vec<WarningFact>,
    pub messages: Vec<MessageFact>,
    pub actions: Vec<ActionFact>,
}

/// Whether [`facts`] reads each fact's event row: for its endpoint, or for a condition on it.
/// Not reading them spares a page read per fact (an event row holds its body).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventRows {
    Read,
    /// Every fact's endpoint is then given as empty.
    Skip,
    /// Their endpoints are in this temporary table (`id`, `endpoint`), read from the event log
    /// before the transaction: the events retention deleted (`retention::list_doomed`), or the
    /// SQLite projector's batch (`projection::list_stored`).
    Listed(&'static str),
}

/// The facts of the calls matching `calls` (a condition on `c`, the call, and, with
/// [`EventRows::Read`], `e`, its event) and of the messages matching `messages` (on `m`, and `e`).
pub fn facts(
    db: Db<'_>,
    calls: &Sql,
    messages: &Sql,
    events: EventRows,
) -> Result<Facts, QueryError> {
    fn rows<T>(
        db: Db<'_>,
        sql: &str,
        cond: &Sql,
        map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, QueryError> {
        db.rows(sql, &cond.params, map)
    }
    let (from_calls, from_messages, endpoint): (String, String, &str) = match events {
        EventRows::Read => (
            "calls c JOIN events e ON e.id = c.event_id".into(),
            "messages m JOIN events e ON e.id = m.event_id".into(),
            "e.endpoint",
        ),
        EventRows::Skip => ("calls c".into(), "messages m".into(), "''"),
        EventRows::Listed(table) => (
            format!("calls c JOIN temp.{table} e ON e.id = c.event_id"),
            format!("messages m JOIN temp.{table} e ON e.id = m.event_id"),
            "e.endpoint",
        ),
    };
    Ok(Facts {
        calls: rows(
            db,
            &format!(
                "SELECT c.event_id, {endpoint}, c.start_at, c.end_reason, c.failure_occurred,
                        c.transfer_occurred, c.warning_count, c.setup_ms, c.failure_details
                 FROM {from_calls} WHERE {}",
                calls.text
            ),
            calls,
            |r| {
                Ok(CallFact {
                    id: r.get(0)?,
                    endpoint: r.get(1)?,
                    start_at: r.get(2)?,
                    end_reason: r.get(3)?,
                    failed: r.get::<_, Option<bool>>(4)?.unwrap_or(false),
                    transferred: r.get::<_, Option<bool>>(5)?.unwrap_or(false),
                    warnings: r.get(6)?,
                    setup_ms: r.get(7)?,
                    failure_details: r.get(8)?,
                })
            },
        )?,
        turns: rows(
            db,
            &format!(
                "SELECT {endpoint}, c.start_at, ct.assistant_ms, ct.tts_ms, ct.stt_ms,
                        ct.stt_confidence, ct.barge_in
                 FROM {from_calls} JOIN call_turns ct ON ct.event_id = c.event_id WHERE {}",
                calls.text
            ),
            calls,
            |r| {
                Ok(TurnFact {
                    endpoint: r.get(0)?,
                    start_at: r.get(1)?,
                    assistant_ms: r.get(2)?,
                    tts_ms: r.get(3)?,
                    stt_ms: r.get(4)?,
                    stt_confidence: r.get(5)?,
                    barge_in: r.get(6)?,
                })
            },
        )?,
        warnings: rows(
            db,
            &format!(
                "SELECT c.event_id, {endpoint}, c.start_at, w.code
                 FROM {from_calls} JOIN call_warnings w ON w.event_id = c.event_id WHERE {}
                 ORDER BY c.event_id",
                calls.text
            ),
            calls,
            |r| {
                Ok(WarningFact {
                    call: r.get(0)?,
                    endpoint: r.get(1)?,
                    start_at: r.get(2)?,
                    code: r.get(3)?,
                })
            },
        )?,
        messages: rows(
            db,
            &format!(
                "SELECT {endpoint}, m.request_at, m.session_id, m.response_ms, m.input_kind,
                        m.top_intent, m.top_confidence
                 FROM {from_messages} WHERE {}",
                messages.text
            ),
            messages,
            |r| {
                Ok(MessageFact {
                    endpoint: r.get(0)?,
                    request_at: r.get(1)?,
                    session_id: r.get(2)?,
                    response_ms: r.get(3)?,
                    input_kind: r.get(4)?,
                    top_intent: r.get(5)?,
                    top_confidence: r.get(6)?,
                })
            },
        )?,
        actions: rows(
            db,
            &format!(
                "SELECT DISTINCT m.event_id, {endpoint}, m.request_at, a.title
                 FROM {from_messages} JOIN message_actions a ON a.event_id = m.event_id
                 WHERE ({}) AND a.title IS NOT NULL",
                messages.text
            ),
            messages,
            |r| {
                Ok(ActionFact {
                    endpoint: r.get(1)?,
                    request_at: r.get(2)?,
                    title: r.get(3)?,
                })
            },
        )?,
    })
}

impl Facts {
    /// Sums every fact into `summaries[place(time, endpoint)]` (grown as needed), each session by
    /// its number in `sessions`.
    pub fn sum_into(
        &self,
        summaries: &mut Vec<Summary>,
        mut place: impl FnMut(i64, &str) -> usize,
        sessions: &mut SessionNumbers<'_>,
    ) -> Result<(), QueryError> {
        sessions.learn(self.messages.iter().filter_map(|m| m.session_id.as_deref()))?;
        let mut at = |summaries: &mut Vec<Summary>, time: i64, endpoint: &str| {
            let i = place(time, endpoint);
            if i >= summaries.len() {
                summaries.resize_with(i + 1, Summary::default);
            }
            i
        };
        for c in &self.calls {
            let i = at(summaries, c.start_at, &c.endpoint);
            summaries[i].add_call(c);
        }
        for t in &self.turns {
            let i = at(summaries, t.start_at, &t.endpoint);
            summaries[i].add_turn(t);
        }
        for call in self.warnings.chunk_by(|a, b| a.call == b.call) {
            let i = at(summaries, call[0].start_at, &call[0].endpoint);
            summaries[i].add_warnings(call);
        }
        for m in &self.messages {
            let i = at(summaries, m.request_at, &m.endpoint);
            let session = m.session_id.as_deref().map(|s| sessions.number(s));
            summaries[i].add_message(m, session);
        }
        for a in &self.actions {
            let i = at(summaries, a.request_at, &a.endpoint);
            summaries[i].bump(Count::Action, Some(&a.title), 1);
        }
        Ok(())
    }
}

/// Session ids as the numbers summaries count them by. The rollups hold the numbers of
/// `rollup_session_ids` (one per session id with a message in the store, given as sessions first
/// arrive, taken back when retention deletes a session's last message); a computation that does not
/// read the rollups numbers the sessions it meets itself.
pub struct SessionNumbers<'c> {
    stored: Option<(Db<'c>, Assign)>,
    known: HashMap<String, i64>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Assign {
    /// A session not stored yet is given a stored number.
    Yes,
    /// A session not stored yet is in no rollup: it gets a number of this computation alone.
    No,
}

impl<'c> SessionNumbers<'c> {
    /// Numbers of this computation alone.
    pub fn local() -> Self {
        Self {
            stored: None,
            known: HashMap::default(),
        }
    }

    /// The numbers the rollups count by (read, never given).
    pub fn stored(db: Db<'c>) -> Self {
        Self {
            stored: Some((db, Assign::No)),
            known: HashMap::default(),
        }
    }

    fn assigning(db: Db<'c>) -> Self {
        Self {
            stored: Some((db, Assign::Yes)),
            known: HashMap::default(),
        }
    }

    /// Looks up (and, assigning, gives) the stored numbers of `sessions` in two statements, however
    /// many they are: [`SessionNumbers::number`] then asks nothing of the store.
    fn learn<'s>(&mut self, sessions: impl Iterator<Item = &'s str>) -> Result<(), QueryError> {
        let Some((db, assign)) = self.stored else {
            return Ok(());
        };
        let mut new: Vec<&str> = sessions.filter(|s| !self.known.contains_key(*s)).collect();
        new.sort_unstable();
        new.dedup();
        if new.is_empty() {
            return Ok(());
        }
        let list = Value::Text(serde_json::to_string(&new).expect("strings serialize"));
        let strings = db.dialect().strings();
        if assign == Assign::Yes {
            db.execute(
                &format!(
                    "INSERT INTO rollup_session_ids (session_id) SELECT * FROM ({strings}) AS s
                     WHERE true ON CONFLICT (session_id) DO NOTHING"
                ),
                std::slice::from_ref(&list),
            )?;
        }
        db.for_each(
            &format!(
                "SELECT session_id, id FROM rollup_session_ids WHERE session_id IN ({strings})"
            ),
            &[list],
            |r| {
                self.known.insert(r.get(0)?, r.get(1)?);
                Ok(())
            },
        )?;
        for session in new {
            if !self.known.contains_key(session) {
                if assign == Assign::Yes {
                    return Err(QueryError::BadRequest(format!(
                        "the session {session:?} was given no number in rollup_session_ids"
                    )));
                }
                self.number(session);
            }
        }
        Ok(())
    }

    /// The number of `session`: its stored one when [`SessionNumbers::learn`] found it, else
    /// one of this computation alone.
    pub fn number(&mut self, session: &str) -> i64 {
        if let Some(n) = self.known.get(session) {
            return *n;
        }
        // Numbers of this computation alone are below 0, apart from every stored one.
        let local = -(self.known.len() as i64) - 1;
        self.known.insert(session.to_owned(), local);
        local
    }
}

/// What is counted, by value (`None`: not given).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Count {
    Calls,
    Failed,
    Transferred,
    WithWarnings,
    /// By end reason.
    EndReason,
    /// Failed calls by their trimmed `failure_details` (empty ones: not given).
    FailureDetails,
    /// Calls carrying a warning code.
    WarningCalls,
    /// Times a warning code was reported.
    WarningOccurrences,
    /// Call turns that say whether they were barged in on…
    BargeInOf,
    /// …and those that were.
    BargeIn,
    /// Call turns by speech-to-text confidence tenth (`0`…`9`).
    SttConfidence,
    Messages,
    InputKind,
    /// Messages by top-intent confidence tenth.
    IntentConfidence,
    /// Messages with a top-intent confidence…
    LowConfidenceOf,
    /// …and those below [`LOW_CONFIDENCE`].
    LowConfidence,
    /// Messages by top intent.
    Intent,
    /// Messages by top intent whose confidence is below [`LOW_CONFIDENCE`].
    IntentLow,
    /// Messages by the title of each action they ran.
    Action,
}

impl Count {
    const ALL: [Self; 19] = [
        Self::Calls,
        Self::Failed,
        Self::Transferred,
        Self::WithWarnings,
        Self::EndReason,
        Self::FailureDetails,
        Self::WarningCalls,
        Self::WarningOccurrences,
        Self::BargeInOf,
        Self::BargeIn,
        Self::SttConfidence,
        Self::Messages,
        Self::InputKind,
        Self::IntentConfidence,
        Self::LowConfidenceOf,
        Self::LowConfidence,
        Self::Intent,
        Self::IntentLow,
        Self::Action,
    ];

    /// Its number in the tables.
    fn code(self) -> i64 {
        self as i64
    }

    fn from_code(code: i64) -> Option<Self> {
        Self::ALL.get(usize::try_from(code).ok()?).copied()
    }
}

/// What is measured, value by value: each one an exact histogram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Measure {
    /// Call turns' `response_milliseconds` above 0.
    AssistantTurn,
    /// Messages' response time.
    AssistantMessage,
    Tts,
    Stt,
    Setup,
    /// An intent's confidences (keyed by intent), as [`f64_key`]s.
    IntentConfidence,
}

impl Measure {
    const ALL: [Self; 6] = [
        Self::AssistantTurn,
        Self::AssistantMessage,
        Self::Tts,
        Self::Stt,
        Self::Setup,
        Self::IntentConfidence,
    ];

    fn code(self) -> i64 {
        self as i64
    }
}

/// A histogram: value → how many.
pub type Histogram = HashMap<i64, i64>;

/// An `f64` as an `i64` that orders as `f64::total_cmp` does (so a histogram of confidences sorts
/// as the confidences do); [`f64_from_key`] gives it back.
pub fn f64_key(value: f64) -> i64 {
    let bits = value.to_bits() as i64;
    bits ^ (((bits >> 63) as u64) >> 1) as i64
}

pub fn f64_from_key(key: i64) -> f64 {
    f64::from_bits((key ^ (((key >> 63) as u64) >> 1) as i64) as u64)
}

/// The tenth a confidence falls in: 0 for [0, 0.1), …, 9 for [0.9, 1] (out-of-range values clamp).
pub fn tenth(confidence: f64) -> usize {
    ((confidence * 10.0).floor().max(0.0) as usize).min(9)
}

/// How many of what is counted, by value (found by `&str`, so that summing stored counts
/// allocates nothing for a value already seen).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Values {
    /// Not given.
    pub none: i64,
    pub given: HashMap<String, i64>,
}

impl Values {
    pub fn total(&self) -> i64 {
        self.none + self.given.values().sum::<i64>()
    }

    pub fn get(&self, value: Option<&str>) -> i64 {
        match value {
            None => self.none,
            Some(v) => self.given.get(v).copied().unwrap_or(0),
        }
    }

    /// Every value counted (`None`: not given), in no order.
    pub fn iter(&self) -> impl Iterator<Item = (Option<&str>, i64)> {
        let none = (self.none != 0).then_some((None, self.none));
        none.into_iter()
            .chain(self.given.iter().map(|(v, n)| (Some(v.as_str()), *n)))
    }

    fn add(&mut self, value: Option<&str>, n: i64) {
        match value {
            None => self.none += n,
            Some(v) => match self.given.get_mut(v) {
                Some(m) => *m += n,
                None => {
                    self.given.insert(v.to_owned(), n);
                }
            },
        }
    }
}

/// The sum of some facts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    pub counts: HashMap<Count, Values>,
    /// By measure and key (the intent, or empty).
    pub values: HashMap<(Measure, String), Histogram>,
    /// Messages by session number ([`SessionNumbers`]): (session, messages), a session possibly
    /// listed more than once (summed by whoever reads them: appending is what keeps reading a
    /// month of rollups fast).
    pub sessions: Vec<(i64, i64)>,
}

impl Summary {
    pub fn count(&self, count: Count) -> i64 {
        self.counts.get(&count).map_or(0, Values::total)
    }

    pub fn by_value(&self, count: Count) -> Option<&Values> {
        self.counts.get(&count)
    }

    pub fn histogram(&self, measure: Measure, key: &str) -> Option<&Histogram> {
        self.values.get(&(measure, key.to_owned()))
    }

    fn bump(&mut self, count: Count, value: Option<&str>, n: i64) {
        self.counts.entry(count).or_default().add(value, n);
    }

    fn one(&mut self, count: Count) {
        self.bump(count, None, 1);
    }

    fn value(&mut self, measure: Measure, key: &str, value: i64) {
        let histogram = match self.values.get_mut(&(measure, key.to_owned())) {
            Some(h) => h,
            None => self.values.entry((measure, key.to_owned())).or_default(),
        };
        *histogram.entry(value).or_default() += 1;
    }

    pub fn add_call(&mut self, c: &CallFact) {
        self.one(Count::Calls);
        if c.failed {
            self.one(Count::Failed);
            let details = c.failure_details.as_deref().map(str::trim);
            self.bump(Count::FailureDetails, details.filter(|d| !d.is_empty()), 1);
        }
        if c.transferred {
            self.one(Count::Transferred);
        }
        if c.warnings > 0 {
            self.one(Count::WithWarnings);
        }
        self.bump(Count::EndReason, c.end_reason.as_deref(), 1);
        if let Some(ms) = c.setup_ms {
            self.value(Measure::Setup, "", ms);
        }
    }

    pub fn add_turn(&mut self, t: &TurnFact) {
        // The final hangup turn reports 0 ms without asking the assistant anything.
        if let Some(ms) = t.assistant_ms.filter(|&ms| ms > 0) {
            self.value(Measure::AssistantTurn, "", ms);
        }
        if let Some(ms) = t.tts_ms {
            self.value(Measure::Tts, "", ms);
        }
        if let Some(ms) = t.stt_ms {
            self.value(Measure::Stt, "", ms);
        }
        if let Some(c) = t.stt_confidence {
            self.bump(Count::SttConfidence, Some(TENTHS[tenth(c)]), 1);
        }
        if let Some(barged) = t.barge_in {
            self.one(Count::BargeInOf);
            if barged {
                self.one(Count::BargeIn);
            }
        }
    }

    /// The warnings of one call.
    pub fn add_warnings(&mut self, warnings: &[WarningFact]) {
        let mut codes: Vec<Option<&str>> = warnings.iter().map(|w| w.code.as_deref()).collect();
        for code in &codes {
            self.bump(Count::WarningOccurrences, *code, 1);
        }
        codes.sort_unstable();
        codes.dedup();
        for code in codes {
            self.bump(Count::WarningCalls, code, 1);
        }
    }

    /// A message, of the session numbered `session`.
    pub fn add_message(&mut self, m: &MessageFact, session: Option<i64>) {
        self.one(Count::Messages);
        if let Some(ms) = m.response_ms {
            self.value(Measure::AssistantMessage, "", ms);
        }
        if let Some(s) = session {
            self.sessions.push((s, 1));
        }
        self.bump(Count::InputKind, m.input_kind.as_deref(), 1);
        let low = m.top_confidence.map(|c| c < LOW_CONFIDENCE);
        if let Some(c) = m.top_confidence {
            self.bump(Count::IntentConfidence, Some(TENTHS[tenth(c)]), 1);
            self.one(Count::LowConfidenceOf);
            if low == Some(true) {
                self.one(Count::LowConfidence);
            }
        }
        if let Some(intent) = m.top_intent.as_deref() {
            self.bump(Count::Intent, Some(intent), 1);
            if let Some(c) = m.top_confidence {
                self.value(Measure::IntentConfidence, intent, f64_key(c));
                if low == Some(true) {
                    self.bump(Count::IntentLow, Some(intent), 1);
                }
            }
        }
    }

    /// Adds `other`'s counts and histograms (not its sessions) to this one.
    pub fn merge_counts(&mut self, other: &Summary) {
        for (count, values) in &other.counts {
            let mine = self.counts.entry(*count).or_default();
            for (value, n) in values.iter() {
                mine.add(value, n);
            }
        }
        for (key, histogram) in &other.values {
            let mine = self.values.entry(key.clone()).or_default();
            for (value, n) in histogram {
                *mine.entry(*value).or_default() += n;
            }
        }
    }
}

/// The names of the confidence tenths, as counted.
pub const TENTHS: [&str; 10] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

/// The events whose figures the projector adds, by id.
#[derive(Debug, Clone, Copy)]
pub enum Events<'a> {
    /// `first..=last`, every one of them (SQLite projects in id order).
    Range(i64, i64),
    /// These (PostgreSQL projects in the order transactions settled, not by id).
    Ids(&'a [i64]),
}

impl Events<'_> {
    /// The condition on `column`, an event id.
    fn on(self, db: Db<'_>, column: &str) -> Sql {
        match self {
            Events::Range(first, last) => Sql {
                text: format!("{column} BETWEEN ? AND ?"),
                params: vec![Value::Integer(first), Value::Integer(last)],
            },
            Events::Ids(ids) => Sql {
                text: format!("{column} IN ({})", db.dialect().integers()),
                params: vec![Value::Text(
                    serde_json::to_string(ids).expect("integers serialize"),
                )],
            },
        }
    }
}

/// After the projector wrote the derived rows of `events` (in the same transaction): adds them to
/// the rollups, with their endpoints as `rows` says.
pub fn add(db: Db<'_>, events: Events<'_>, rows: EventRows) -> Result<(), QueryError> {
    let facts = facts(
        db,
        &events.on(db, "c.event_id"),
        &events.on(db, "m.event_id"),
        rows,
    )?;
    write(db, &facts, 1)
}

/// SQLite's projector's [`add`] of events `first..=last`, whose endpoints it listed in the
/// temporary table `batch` before its transaction.
pub fn add_events(
    conn: &Connection,
    first: i64,
    last: i64,
    batch: &'static str,
) -> rusqlite::Result<()> {
    add(
        conn.into(),
        Events::Range(first, last),
        EventRows::Listed(batch),
    )
    .map_err(as_sqlite)
}

/// After retention deleted the events listed in the temporary table `doomed` (`id`, `endpoint`),
/// before their derived rows go: takes them out of the rollups, and forgets the numbers of the
/// sessions left without a message.
pub fn subtract_events(conn: &Connection, doomed: &'static str) -> rusqlite::Result<()> {
    let within = |column: &str| Sql {
        text: format!("{column} IN (SELECT id FROM temp.{doomed})"),
        params: Vec::new(),
    };
    let facts = facts(
        conn.into(),
        &within("c.event_id"),
        &within("m.event_id"),
        EventRows::Listed(doomed),
    )
    .map_err(as_sqlite)?;
    write(conn.into(), &facts, -1).map_err(as_sqlite)?;
    // No rollup counts a message of these any more: their numbers are free.
    conn.execute(
        &format!(
            "DELETE FROM rollup_session_ids
             WHERE session_id IN (SELECT m.session_id FROM messages m
                                  WHERE m.event_id IN (SELECT id FROM temp.{doomed}))
               AND NOT EXISTS (SELECT 1 FROM messages o
                               WHERE o.session_id = rollup_session_ids.session_id
                                 AND o.event_id NOT IN (SELECT id FROM temp.{doomed}))"
        ),
        [],
    )?;
    Ok(())
}

/// The hours (their starts, ms) whose rollups count the calls matching `calls` (a condition on
/// `c`) and the messages matching `messages` (on `m`), in order.
pub fn hours(db: Db<'_>, calls: &Sql, messages: &Sql) -> Result<Vec<i64>, QueryError> {
    // The start of the UTC hour of `t`, as [`hour_of`] (`%` keeps the sign of `t` on both stores).
    let hour = |t: &str| format!("{t} - (({t} % {HOUR_MS}) + {HOUR_MS}) % {HOUR_MS}");
    let mut hours = db.rows(
        &format!(
            "SELECT DISTINCT {} FROM calls c WHERE {}",
            hour("c.start_at"),
            calls.text
        ),
        &calls.params,
        |r| r.get::<_, i64>(0),
    )?;
    hours.extend(db.rows(
        &format!(
            "SELECT DISTINCT {} FROM messages m WHERE {}",
            hour("m.request_at"),
            messages.text
        ),
        &messages.params,
        |r| r.get::<_, i64>(0),
    )?);
    hours.sort_unstable();
    hours.dedup();
    Ok(hours)
}

/// Counts the rollups of `hours` (sorted) again from the derived rows of the events stored: what
/// retention does where it cannot say what a deleted event counted (PostgreSQL drops a month's
/// events whole, their endpoints with them). Each run of consecutive hours is read as one range.
pub fn recount(db: Db<'_>, hours: &[i64]) -> Result<(), QueryError> {
    if hours.is_empty() {
        return Ok(());
    }
    let list = [Value::Text(
        serde_json::to_string(hours).expect("integers serialize"),
    )];
    let integers = db.dialect().integers();
    for table in ["rollup_counts", "rollup_values", "rollup_sessions"] {
        db.execute(
            &format!("DELETE FROM {table} WHERE hour IN ({integers})"),
            &list,
        )?;
    }
    let mut runs: Vec<(i64, i64)> = Vec::new();
    for &hour in hours {
        match runs.last_mut() {
            Some((_, to)) if *to == hour => *to = hour + HOUR_MS,
            _ => runs.push((hour, hour + HOUR_MS)),
        }
    }
    for (from, to) in runs {
        let within = |column: &str| Sql {
            text: format!("{column} >= ? AND {column} < ?"),
            params: vec![Value::Integer(from), Value::Integer(to)],
        };
        let facts = facts(
            db,
            &within("c.start_at"),
            &within("m.request_at"),
            EventRows::Read,
        )?;
        write(db, &facts, 1)?;
    }
    Ok(())
}

/// Takes back the numbers of those of `sessions` left without a message.
pub fn forget_sessions(db: Db<'_>, sessions: &[String]) -> Result<(), QueryError> {
    if sessions.is_empty() {
        return Ok(());
    }
    db.execute(
        &format!(
            "DELETE FROM rollup_session_ids WHERE session_id IN ({})
               AND NOT EXISTS (SELECT 1 FROM messages m
                               WHERE m.session_id = rollup_session_ids.session_id)",
            db.dialect().strings()
        ),
        &[Value::Text(
            serde_json::to_string(sessions).expect("strings serialize"),
        )],
    )
}

/// An error of [`facts`] read from SQLite (where, without a deadline, every error is SQLite's).
fn as_sqlite(err: QueryError) -> rusqlite::Error {
    match err {
        QueryError::Sqlite(err) => err,
        other => rusqlite::Error::ToSqlConversionFailure(Box::new(other)),
    }
}

/// Adds (`sign` 1) or subtracts (-1) the summaries of `facts`, one statement per hour, endpoint
/// and measure (value).
fn write(db: Db<'_>, facts: &Facts, sign: i64) -> Result<(), QueryError> {
    let mut keys: HashMap<(i64, String), usize> = HashMap::default();
    let mut summaries = Vec::new();
    facts.sum_into(
        &mut summaries,
        |at, endpoint| {
            let next = keys.len();
            *keys
                .entry((hour_of(at), endpoint.to_owned()))
                .or_insert(next)
        },
        &mut SessionNumbers::assigning(db),
    )?;
    // (`given` is a flag: 1 or 0 on SQLite, a boolean on PostgreSQL.)
    let count = "INSERT INTO rollup_counts (hour, endpoint, count, given, value, n)
         VALUES (?1, ?2, ?3, ?4 = 1, ?5, ?6)
         ON CONFLICT (hour, endpoint, count, given, value)
         DO UPDATE SET n = rollup_counts.n + excluded.n
         RETURNING n";
    let drop_count = "DELETE FROM rollup_counts
         WHERE hour = ?1 AND endpoint = ?2 AND count = ?3 AND given = (?4 = 1) AND value = ?5";
    for ((hour, endpoint), i) in &keys {
        let summary = &summaries[*i];
        for (c, values) in &summary.counts {
            for (value, n) in values.iter() {
                let mut key = vec![
                    Value::Integer(*hour),
                    Value::Text(endpoint.clone()),
                    Value::Integer(c.code()),
                    Value::Integer(value.is_some().into()),
                    Value::Text(value.unwrap_or("").to_owned()),
                ];
                key.push(Value::Integer(sign * n));
                let left: i64 = db.row(count, &key, |r| r.get(0))?;
                // Nothing left of a value (retention took it all): no row, as if never counted.
                if left == 0 {
                    key.pop();
                    db.execute(drop_count, &key)?;
                }
            }
        }
        if !summary.sessions.is_empty() {
            let mut sessions = Histogram::default();
            for (session, n) in &summary.sessions {
                *sessions.entry(*session).or_default() += n;
            }
            let at = Stored::Sessions {
                hour: *hour,
                endpoint,
            };
            merge_stored(db, at, &sessions, sign)?;
        }
        for ((measure, key), histogram) in &summary.values {
            let at = Stored::Values {
                measure: *measure,
                key,
                hour: *hour,
                endpoint,
            };
            merge_stored(db, at, histogram, sign)?;
        }
    }
    Ok(())
}

/// Where a stored histogram is kept.
enum Stored<'a> {
    Values {
        measure: Measure,
        key: &'a str,
        hour: i64,
        endpoint: &'a str,
    },
    Sessions {
        hour: i64,
        endpoint: &'a str,
    },
}

/// Adds `histogram` (`sign` 1) to the stored one, or subtracts it (-1); an emptied one is deleted.
fn merge_stored(
    db: Db<'_>,
    at: Stored<'_>,
    histogram: &Histogram,
    sign: i64,
) -> Result<(), QueryError> {
    let (read, write, delete, keys) = match &at {
        Stored::Values {
            measure,
            key,
            hour,
            endpoint,
        } => (
            "SELECT histogram FROM rollup_values
             WHERE measure = ?1 AND key = ?2 AND hour = ?3 AND endpoint = ?4",
            "INSERT INTO rollup_values (measure, key, hour, endpoint, histogram)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (measure, key, hour, endpoint) DO UPDATE SET histogram = excluded.histogram",
            "DELETE FROM rollup_values
             WHERE measure = ?1 AND key = ?2 AND hour = ?3 AND endpoint = ?4",
            vec![
                Value::Integer(measure.code()),
                Value::Text((*key).to_owned()),
                Value::Integer(*hour),
                Value::Text((*endpoint).to_owned()),
            ],
        ),
        Stored::Sessions { hour, endpoint } => (
            "SELECT sessions FROM rollup_sessions WHERE hour = ?1 AND endpoint = ?2",
            "INSERT INTO rollup_sessions (hour, endpoint, sessions) VALUES (?1, ?2, ?3)
             ON CONFLICT (hour, endpoint) DO UPDATE SET sessions = excluded.sessions",
            "DELETE FROM rollup_sessions WHERE hour = ?1 AND endpoint = ?2",
            vec![Value::Integer(*hour), Value::Text((*endpoint).to_owned())],
        ),
    };
    let stored: Option<Vec<u8>> = db.optional(read, &keys, |r| r.get(0))?;
    let mut merged = stored.map(|b| decode(&b)).unwrap_or_default();
    for (value, n) in histogram {
        *merged.entry(*value).or_default() += sign * n;
    }
    merged.retain(|_, n| *n != 0);
    if merged.is_empty() {
        db.execute(delete, &keys)
    } else {
        let mut with_blob = keys;
        with_blob.push(Value::Blob(encode(&merged)));
        db.execute(write, &with_blob)
    }
}

/// Adds the rollups of the hours from `from` up to `to` (ms, on hours), of one endpoint or all,
/// each to `summaries[place(hour)]`.
pub fn load(
    db: Db<'_>,
    from: i64,
    to: i64,
    endpoint: Option<&str>,
    summaries: &mut [Summary],
    place: impl Fn(i64) -> usize,
) -> Result<(), QueryError> {
    let endpoint_cond = if endpoint.is_some() {
        "endpoint = ?3"
    } else {
        "?3 IS NULL"
    };
    let endpoint_value = || match endpoint {
        Some(e) => Value::Text(e.to_owned()),
        None => Value::Null,
    };
    let p = [Value::Integer(from), Value::Integer(to), endpoint_value()];
    db.for_each(
        &format!(
            "SELECT hour, count, given, value, n FROM rollup_counts
             WHERE hour >= ?1 AND hour < ?2 AND {endpoint_cond}"
        ),
        &p,
        |r| {
            let Some(count) = Count::from_code(r.get(1)?) else {
                return Ok(());
            };
            let value = match r.get(2)? {
                true => Some(r.get_ref(3)?.as_str()?),
                false => None,
            };
            let n = r.get(4)?;
            summaries[place(r.get(0)?)].bump(count, value, n);
            Ok(())
        },
    )?;
    // An intent's confidences are only asked for over the range, and for the top intents alone
    // ([`load_histogram`]).
    let values = format!(
        "SELECT hour, histogram FROM rollup_values
         WHERE measure = ?4 AND key = '' AND hour >= ?1 AND hour < ?2 AND {endpoint_cond}"
    );
    for measure in Measure::ALL {
        if measure == Measure::IntentConfidence {
            continue;
        }
        let p = [
            Value::Integer(from),
            Value::Integer(to),
            endpoint_value(),
            Value::Integer(measure.code()),
        ];
        db.for_each(&values, &p, |r| {
            let summary = &mut summaries[place(r.get(0)?)];
            let histogram = summary.values.entry((measure, String::new())).or_default();
            decode_into(r.get_ref(1)?.as_blob()?, histogram);
            Ok(())
        })?;
    }
    db.for_each(
        &format!(
            "SELECT hour, sessions FROM rollup_sessions
             WHERE hour >= ?1 AND hour < ?2 AND {endpoint_cond}"
        ),
        &p,
        |r| {
            let summary = &mut summaries[place(r.get(0)?)];
            let sessions = &mut summary.sessions;
            decode_with(r.get_ref(1)?.as_blob()?, |session, n| {
                sessions.push((session, n))
            });
            Ok(())
        },
    )
}

/// Adds the histograms of `measure` and `key` of the hours from `from` up to `to`, of one endpoint
/// or all, to `into`.
pub fn load_histogram(
    db: Db<'_>,
    (from, to): (i64, i64),
    endpoint: Option<&str>,
    (measure, key): (Measure, &str),
    into: &mut Histogram,
) -> Result<(), QueryError> {
    let endpoint = match endpoint {
        Some(e) => Value::Text(e.to_owned()),
        None => Value::Null,
    };
    db.for_each(
        "SELECT histogram FROM rollup_values
         WHERE measure = ?4 AND key = ?5 AND hour >= ?1 AND hour < ?2
               AND (endpoint = ?3 OR ?3 IS NULL)",
        &[
            Value::Integer(from),
            Value::Integer(to),
            endpoint,
            Value::Integer(measure.code()),
            Value::Text(key.to_owned()),
        ],
        |r| {
            decode_into(r.get_ref(0)?.as_blob()?, into);
            Ok(())
        },
    )
}

/// Whether a call that started before `before` carries the warning `code`.
pub fn warning_seen_before(db: Db<'_>, code: &str, before: i64) -> Result<bool, QueryError> {
    let hour = hour_of(before);
    let dialect = db.dialect();
    let in_rollups = db
        .optional(
            &format!(
                "SELECT 1 FROM rollup_counts {}
                 WHERE count = ?1 AND given = true AND value = ?2 AND hour < ?3 AND n > 0 LIMIT 1",
                dialect.indexed_by("rollup_counts_value")
            ),
            &[
                Value::Integer(Count::WarningCalls.code()),
                Value::Text(code.to_owned()),
                Value::Integer(hour),
            ],
            |_| Ok(()),
        )?
        .is_some();
    // The hour `before` falls in, up to it, from the calls themselves (`+` keeps SQLite on the
    // calls' time index).
    Ok(in_rollups
        || db
            .optional(
                &format!(
                    "SELECT 1 FROM calls c JOIN call_warnings w ON w.event_id = c.event_id
                     WHERE c.start_at >= ?1 AND c.start_at < ?2 AND {} = ?3 LIMIT 1",
                    dialect.unindexed("w.code")
                ),
                &[
                    Value::Integer(hour),
                    Value::Integer(before),
                    Value::Text(code.to_owned()),
                ],
                |_| Ok(()),
            )?
            .is_some())
}

/// A histogram as bytes: (value, count) pairs by value, each value as the zigzag LEB128 varint of
/// its difference from the one before, each count as a LEB128 varint.
fn encode(histogram: &Histogram) -> Vec<u8> {
    let mut pairs: Vec<(i64, i64)> = histogram.iter().map(|(v, n)| (*v, *n)).collect();
    pairs.sort_unstable();
    let mut out = Vec::with_capacity(pairs.len() * 3);
    let mut previous = 0i64;
    for (value, n) in pairs {
        let delta = value.wrapping_sub(previous);
        put_varint(&mut out, ((delta << 1) ^ (delta >> 63)) as u64);
        put_varint(&mut out, ((n << 1) ^ (n >> 63)) as u64);
        previous = value;
    }
    out
}

fn decode(bytes: &[u8]) -> Histogram {
    let mut histogram = Histogram::default();
    decode_into(bytes, &mut histogram);
    histogram
}

fn decode_into(bytes: &[u8], histogram: &mut Histogram) {
    decode_with(bytes, |value, n| *histogram.entry(value).or_default() += n);
}

/// Calls `pair` with each (value, count) of an encoded histogram, by value.
fn decode_with(bytes: &[u8], mut pair: impl FnMut(i64, i64)) {
    let mut at = 0;
    let mut value = 0i64;
    let unzig = |u: u64| ((u >> 1) as i64) ^ -((u & 1) as i64);
    while at < bytes.len() {
        let (Some(delta), Some(n)) = (get_varint(bytes, &mut at), get_varint(bytes, &mut at))
        else {
            return;
        };
        value = value.wrapping_add(unzig(delta));
        pair(value, unzig(n));
    }
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn get_varint(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    let mut shift = 0;
    loop {
        let b = *bytes.get(*at)?;
        *at += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Some(v);
        }
        shift += 7;
        if shift >= 64 {
            return None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_survive_encoding() {
        let h: Histogram = [(-5, 2), (0, 1), (7, 300), (1 << 40, 1), (f64_key(0.73), 4)]
            .into_iter()
            .collect();
        assert_eq!(decode(&encode(&h)), h);
    }

    #[test]
    fn confidence_keys_order_as_confidences() {
        let mut v = [0.9, -0.1, 0.0, 0.5, 0.4999, 1.0, 0.1234];
        let mut keys: Vec<i64> = v.iter().map(|c| f64_key(*c)).collect();
        keys.sort_unstable();
        v.sort_by(f64::total_cmp);
        assert_eq!(keys.into_iter().map(f64_from_key).collect::<Vec<_>>(), v);
    }
}
