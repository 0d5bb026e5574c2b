//! Trends: the figures of a query over a time range, in time buckets: volumes, latency percentiles,
//! call outcomes, conversation shape and one custom-data key's values; optionally the same figures
//! for an earlier period beside them.
//!
//! Contract: every figure is exact. Counts are counted, and percentiles are nearest-rank over every
//! value in the range ([`METHOD`]): nothing is sampled or interpolated. A call and everything in it
//! (its turns, warnings, custom data) belongs to the bucket of the call's start (`calls.start_at`),
//! so a turn whose own clock says it started before the call is counted with its call; a message
//! belongs to the bucket of its request (`messages.request_at`). Both times fall back to the
//! arrival time when the payload has none, or has IBM's `1970-01-01T00:00:00Z` placeholder
//! ([`crate::watson::json::event_time_ms`]). The range is the query's own `after:` / `before:`
//! (the latest `after:`, the earliest `before:`); without `after:` it starts at the earliest
//! matching row, without `before:` it ends now (or just after the latest matching row, when a
//! payload's clock is ahead of this one).

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::db::{Db, Dialect, Row};
use super::filter::{self, Sql, Subject};
use super::parse::{self, Field, Query};
use super::{QUERY_DEADLINE_MS, QueryError, with_deadline};
use crate::store::rollup::{self, Count as RollupCount, Measure, Summary};

/// How every percentile here is computed; the JSON of `logbook report` states it.
pub const METHOD: &str = "nearest-rank, exact: of the n values of a measure in a bucket (or the \
    range), sorted ascending, the p-th percentile is the value at rank ceil(p/100 × n), counting \
    from 1; every value is used, none is sampled or interpolated";
/// An intent whose confidence is below this is a low-confidence turn.
pub const LOW_CONFIDENCE: f64 = rollup::LOW_CONFIDENCE;
/// Rows in the slowest-turns list.
pub const SLOWEST_TURNS: usize = 50;
/// From this many measured turns in the range, the slowest are found from the index of response
/// times rather than by reading the range's turns.
const SLOWEST_BY_INDEX_FROM: i64 = 20_000;
/// Rows in a ranked breakdown (intents, failure details, custom values) before the rest is summed.
pub const TOP_VALUES: usize = 10;
/// A range cut into more buckets than this is refused: the user picks a larger bucket.
pub const MAX_BUCKETS: i64 = 2_000;
/// A change between periods is marked when it is at least this many percent, either way…
pub const NOTABLE_CHANGE_PERCENT: f64 = 20.0;
/// …and either period has at least this many of what is counted (or values measured).
pub const NOTABLE_MIN_COUNT: i64 = 5;

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = rollup::HOUR_MS;
const DAY_MS: i64 = 24 * HOUR_MS;

/// The width of a time bucket. Buckets are aligned on UTC minutes, hours and days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum Bucket {
    Minute,
    Hour,
    Day,
}

impl Bucket {
    pub fn ms(self) -> i64 {
        match self {
            Self::Minute => MINUTE_MS,
            Self::Hour => HOUR_MS,
            Self::Day => DAY_MS,
        }
    }

    /// The bucket a range of this length is drawn with: up to 3 hours by minute, up to 4 days by
    /// hour, longer by day.
    pub fn for_span(span_ms: i64) -> Self {
        if span_ms <= 3 * HOUR_MS {
            Self::Minute
        } else if span_ms <= 4 * DAY_MS {
            Self::Hour
        } else {
            Self::Day
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Minute => "minute",
            Self::Hour => "hour",
            Self::Day => "day",
        }
    }
}

/// What to compare the range with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compare {
    /// The period of the same length just before.
    Previous,
    /// The same range moved this many ms earlier (`7d`: the same days a week before).
    Shift(i64),
}

impl Compare {
    /// `previous`, or an age like `30m`, `24h`, `7d`, `4w`.
    pub fn parse(text: &str) -> Result<Self, QueryError> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("previous") {
            return Ok(Self::Previous);
        }
        let bad = || {
            QueryError::BadRequest(format!(
                "bad comparison \"{text}\"; expected `previous` or an age like 24h, 7d, 4w"
            ))
        };
        let unit = text.chars().last().ok_or_else(bad)?;
        let number = &text[..text.len() - unit.len_utf8()];
        let n: i64 = number
            .parse()
            .ok()
            .filter(|n| *n > 0 && number.chars().all(|c| c.is_ascii_digit()))
            .ok_or_else(bad)?;
        let unit_ms = match unit.to_ascii_lowercase() {
            'm' => MINUTE_MS,
            'h' => HOUR_MS,
            'd' => DAY_MS,
            'w' => 7 * DAY_MS,
            _ => return Err(bad()),
        };
        n.checked_mul(unit_ms).map(Self::Shift).ok_or_else(bad)
    }
}

/// What to compute.
#[derive(Debug, Clone, Default)]
pub struct TrendsRequest {
    /// The query language, as everywhere; its `after:` / `before:` make the range.
    pub query: String,
    /// `None`: chosen from the range ([`Bucket::for_span`]).
    pub bucket: Option<Bucket>,
    pub compare: Option<Compare>,
    /// The `injected_custom_data` key whose values to break down.
    pub custom_key: Option<String>,
}

/// The figures of a range, and of the period it is compared with.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct Trends {
    /// How the percentiles are computed ([`METHOD`]).
    pub method: String,
    /// Below this intent confidence a turn counts as low-confidence.
    pub low_confidence: f64,
    pub current: Period,
    pub previous: Option<Period>,
    /// Totals and p95 latencies of both periods, with the changes that matter marked.
    pub changes: Vec<TrendChange>,
}

/// The figures of one period.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct Period {
    /// The range: `start_ms` ≤ time < `end_ms` (Unix ms).
    pub start_ms: i64,
    pub end_ms: i64,
    pub bucket: Bucket,
    pub bucket_ms: i64,
    pub totals: Totals,
    /// One per bucket, oldest first; bucket `i` starts at `buckets[i].start_ms` (the first may
    /// start before `start_ms`: buckets are aligned, the range is not).
    pub buckets: Vec<BucketCounts>,
    pub latency: Vec<Latency>,
    /// Calls by end reason over the range, most first.
    pub end_reasons: Vec<Count>,
    /// `failure_details` of failed calls, grouped by text, most first.
    pub failure_details: Vec<Count>,
    pub warning_codes: Vec<WarningCount>,
    /// The top intents of messages, most first.
    pub intents: Vec<IntentCount>,
    /// Messages by the title of each action they ran (a message may run several), most first.
    pub actions: Vec<Count>,
    /// Messages by input kind (text, speech, dtmf, …), most first.
    pub input_kinds: Vec<Count>,
    /// Conversations by the number of their messages in the range.
    pub turns_per_conversation: Vec<Count>,
    /// Messages by top-intent confidence, in tenths.
    pub intent_confidence: Vec<Count>,
    /// Call turns by speech-to-text confidence, in tenths.
    pub stt_confidence: Vec<Count>,
    /// Messages with an intent confidence, and those below [`LOW_CONFIDENCE`].
    pub low_confidence: Share,
    /// Call turns that say whether they were barged in on, and those that were.
    pub barge_in: Share,
    pub custom: Option<CustomBreakdown>,
    /// The slowest assistant responses of call turns, slowest first.
    pub slowest_turns: Vec<SlowTurn>,
}

/// Exact totals of the range.
#[derive(Debug, Clone, Default, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct Totals {
    pub messages: i64,
    /// Distinct `session_id`s among the messages.
    pub conversations: i64,
    pub calls: i64,
    /// Calls with `failure_occurred: true`.
    pub failed: i64,
    /// Calls with `transfer_occurred: true`.
    pub transferred: i64,
    /// Calls with at least one warning or error.
    pub with_warnings: i64,
    /// Requests the receiver refused (only a query of `kind:`, `endpoint:` and times can match them).
    pub rejected: i64,
}

/// The counts of one bucket.
#[derive(Debug, Clone, Default, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct BucketCounts {
    pub start_ms: i64,
    pub messages: i64,
    /// Distinct sessions with a message in the bucket (one spanning two buckets counts in both).
    pub conversations: i64,
    pub calls: i64,
    pub failed: i64,
    pub transferred: i64,
    pub with_warnings: i64,
    pub rejected: i64,
    /// Calls by end reason.
    pub end_reasons: Vec<Count>,
    /// Calls by value of the custom-data key (when one was asked for).
    pub custom: Vec<Count>,
}

/// A value and how many times it occurs. `value` is `None` for "not given" (and for the sum of
/// the values past the top ones, with `other: true`).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct Count {
    pub value: Option<String>,
    pub count: i64,
    /// The sum of the values not listed.
    pub other: bool,
}

impl Count {
    fn new(value: Option<String>, count: i64) -> Self {
        Self {
            value,
            count,
            other: false,
        }
    }
}

/// Percentiles of one latency measure.
#[derive(Debug, Clone, Default, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct Percentiles {
    /// How many values were measured.
    pub n: i64,
    pub p50: Option<i64>,
    pub p95: Option<i64>,
    pub p99: Option<i64>,
}

/// One latency measure over the range and per bucket.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct Latency {
    /// Stable name for scripts, e.g. `assistant_turn_ms`.
    pub name: String,
    pub label: String,
    /// Which values are counted.
    pub counts: String,
    pub overall: Percentiles,
    /// One per bucket, as `Period::buckets`.
    pub buckets: Vec<Percentiles>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct WarningCount {
    /// `None` for warnings without a code.
    pub code: Option<String>,
    /// Calls carrying it.
    pub calls: i64,
    /// How many times it was reported.
    pub occurrences: i64,
    /// No call in the store that started before the range carries it.
    pub new: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct IntentCount {
    pub intent: String,
    /// Its action's title, for an actions skill's intent (`action_24031_intent_11874` is "Check
    /// order status").
    pub title: Option<String>,
    pub count: i64,
    /// Nearest-rank median of its confidence.
    pub median_confidence: Option<f64>,
    /// Messages where its confidence was below [`LOW_CONFIDENCE`].
    pub low: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct Share {
    pub count: i64,
    pub of: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct CustomBreakdown {
    pub key: String,
    /// Calls by value (strings as they are, other JSON as its text), most first; the values past
    /// the top ones summed as one `other` row. Each bucket's `custom` lists the same values.
    pub values: Vec<Count>,
    /// Calls in the range without the key.
    pub without_key: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct SlowTurn {
    /// The call's event id (what opens it).
    pub call_event_id: i64,
    pub global_session_id: Option<String>,
    /// The turn's place in the call, from 0.
    pub seq: i64,
    pub request_type: Option<String>,
    pub assistant_ms: i64,
    pub tts_ms: Option<i64>,
    pub stt_ms: Option<i64>,
    /// The turn's own start time, as sent.
    pub start_ts: Option<String>,
    /// The call's start (Unix ms; the arrival time when the record has none).
    pub call_start_at: i64,
    pub log_id: Option<String>,
}

/// A figure in both periods.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct TrendChange {
    /// A total's name (`calls`) or a latency's p95 (`assistant_turn_ms.p95`).
    pub measure: String,
    pub current: Option<f64>,
    pub previous: Option<f64>,
    /// `(current - previous) / previous × 100`; `None` when either is missing or previous is 0.
    pub percent: Option<f64>,
    /// At least [`NOTABLE_CHANGE_PERCENT`] either way, over at least [`NOTABLE_MIN_COUNT`]
    /// (a count going from 0 to that many is notable too).
    pub notable: bool,
}

/// Computes the trends of `request` with "now" at `now` (whole hours from the rollups where they
/// hold what the request asks, on either store).
pub fn trends<'a>(
    db: impl Into<Db<'a>>,
    request: &TrendsRequest,
    now: DateTime<Utc>,
) -> Result<Trends, QueryError> {
    compute(db.into(), request, now, true)
}

/// The same figures as [`trends`], computed from the derived rows alone, without the rollups:
/// what the rollups are checked against, and what `logbook bench query` compares their speed with.
pub fn trends_without_rollups<'a>(
    db: impl Into<Db<'a>>,
    request: &TrendsRequest,
    now: DateTime<Utc>,
) -> Result<Trends, QueryError> {
    compute(db.into(), request, now, false)
}

fn compute(
    db: Db<'_>,
    request: &TrendsRequest,
    now: DateTime<Utc>,
    rollups: bool,
) -> Result<Trends, QueryError> {
    let query = parse::parse(&request.query, now)?;
    let (rest, after, before) = split_range(query);
    let mut scope = Scope::new(&rest, db.dialect());
    if !rollups {
        scope.rollup = None;
    }
    // One snapshot for every figure (rollups and rows alike), while the projector writes.
    with_deadline(db, Duration::from_millis(QUERY_DEADLINE_MS), || {
        db.snapshot(|| {
            // Without `before:`, up to now, or past the latest row when a payload's clock is ahead:
            // the range then holds what the lists show for the same query.
            let end = match before {
                Some(before) => before,
                None => {
                    let latest = scope.extreme(db, Extreme::Latest)?;
                    now.timestamp_millis()
                        .max(latest.map_or(i64::MIN, |t| t + 1))
                }
            };
            let start = match after {
                Some(after) => after,
                None => scope
                    .extreme(db, Extreme::EarliestBefore(end))?
                    .unwrap_or(end - DAY_MS)
                    .min(end),
            };
            if start >= end {
                return Err(QueryError::BadRequest(
                    "the range is empty: `after:` is not before `before:`".into(),
                ));
            }
            let bucket = request.bucket.unwrap_or(Bucket::for_span(end - start));
            let origin = start.div_euclid(bucket.ms()) * bucket.ms();
            let count = (end - origin + bucket.ms() - 1) / bucket.ms();
            if count > MAX_BUCKETS {
                return Err(QueryError::BadRequest(format!(
                    "{count} buckets of a {} are too many to draw (at most {MAX_BUCKETS}); \
                 choose a larger bucket or a shorter range",
                    bucket.name()
                )));
            }
            let frame = Frame {
                start,
                end,
                origin,
                bucket,
                count: count as usize,
            };
            let custom_key = request.custom_key.as_deref().filter(|k| !k.is_empty());
            let current = period(db, &scope, &frame, custom_key)?;
            let previous = match request.compare {
                None => None,
                Some(compare) => {
                    let shift = match compare {
                        Compare::Previous => end - start,
                        Compare::Shift(ms) => ms,
                    };
                    let earlier = Frame {
                        start: start - shift,
                        end: end - shift,
                        origin: origin - shift,
                        ..frame
                    };
                    Some(period(db, &scope, &earlier, custom_key)?)
                }
            };
            let changes = previous
                .as_ref()
                .map(|p| changes(&current, p))
                .unwrap_or_default();
            Ok(Trends {
                method: METHOD.to_owned(),
                low_confidence: LOW_CONFIDENCE,
                current,
                previous,
                changes,
            })
        })
    })
}

/// The query without its positive time bounds, and those bounds (ms): the range is applied
/// by this module, so that the compared period can move it.
fn split_range(query: Query) -> (Query, Option<i64>, Option<i64>) {
    let mut after: Option<i64> = None;
    let mut before: Option<i64> = None;
    let mut rest = Query {
        text: query.text,
        filters: Vec::new(),
    };
    for f in query.filters {
        match (&f.field, f.negated) {
            (Field::After(t), false) => {
                after = Some(after.map_or(t.timestamp_millis(), |a| a.max(t.timestamp_millis())))
            }
            (Field::Before(t), false) => {
                before = Some(before.map_or(t.timestamp_millis(), |b| b.min(t.timestamp_millis())))
            }
            _ => rest.filters.push(f),
        }
    }
    (rest, after, before)
}

/// The compiled query for each kind of row.
struct Scope {
    calls: Sql,
    messages: Sql,
    rejections: Option<Sql>,
    wants_events: bool,
    /// When the rollups hold what the query asks (no condition but its range, and at most one
    /// endpoint): `Some(endpoint)`, `Some(None)` for every endpoint.
    rollup: Option<Option<String>>,
    /// No condition at all but the range.
    unfiltered: bool,
}

impl Scope {
    fn new(query: &Query, dialect: Dialect) -> Self {
        Self {
            calls: filter::compile(query, Subject::Calls, dialect),
            messages: filter::compile(query, Subject::Messages, dialect),
            rejections: filter::rejection_filter(query),
            wants_events: filter::wants_events(query),
            rollup: Self::rollup_endpoint(query),
            unfiltered: query.text.is_empty() && query.filters.is_empty(),
        }
    }

    fn rollup_endpoint(query: &Query) -> Option<Option<String>> {
        if !query.text.is_empty() {
            return None;
        }
        let mut endpoint: Option<&str> = None;
        for f in &query.filters {
            match (&f.field, f.negated) {
                (Field::Endpoint(e), false) if endpoint.is_none_or(|seen| seen == e) => {
                    endpoint = Some(e)
                }
                _ => return None,
            }
        }
        Some(endpoint.map(str::to_owned))
    }

    /// The earliest time of a matching row before `end` (`Earliest`), or the latest of all (`Latest`).
    /// Each is the first row in the time's order (its index, read from one end), not `min`/`max`:
    /// PostgreSQL reads `max` from an index only for a single table, and over the join with
    /// `events` it scanned every message (120 ms at 200,000 events, most of Trends' time there).
    /// The bound leaves out rows without a time, which the order would put first on PostgreSQL.
    fn extreme(&self, db: Db<'_>, which: Extreme) -> Result<Option<i64>, QueryError> {
        let (order, bound, value) = match which {
            Extreme::EarliestBefore(end) => ("ASC", "<", end),
            Extreme::Latest => ("DESC", ">", i64::MIN),
        };
        let mut found: Vec<i64> = Vec::new();
        let mut one = |from: &str, time: &str, cond: &Sql| -> Result<(), QueryError> {
            let sql = format!(
                "SELECT {time} FROM {from} WHERE ({}) AND {time} {bound} ? ORDER BY {time} {order} LIMIT 1",
                cond.text
            );
            let mut params = cond.params.clone();
            params.push(Value::Integer(value));
            found.extend(db.optional(&sql, &params, |r| r.get::<_, i64>(0))?);
            Ok(())
        };
        if self.wants_events {
            one(
                "calls c JOIN events e ON e.id = c.event_id",
                "c.start_at",
                &self.calls,
            )?;
            one(
                "messages m JOIN events e ON e.id = m.event_id",
                "m.request_at",
                &self.messages,
            )?;
        }
        if let Some(r) = &self.rejections {
            one("rejections r", "r.received_at", r)?;
        }
        Ok(match which {
            Extreme::EarliestBefore(_) => found.into_iter().min(),
            Extreme::Latest => found.into_iter().max(),
        })
    }
}

#[derive(Debug, Clone, Copy)]
enum Extreme {
    EarliestBefore(i64),
    Latest,
}

/// Where a period lies and how it is cut.
#[derive(Debug, Clone, Copy)]
struct Frame {
    start: i64,
    end: i64,
    /// The start of the first bucket.
    origin: i64,
    bucket: Bucket,
    count: usize,
}

impl Frame {
    /// The bucket of a time inside the range.
    fn index(&self, at: i64) -> usize {
        (((at - self.origin) / self.bucket.ms()) as usize).min(self.count - 1)
    }
}

/// Runs `sql` (whose condition is `cond`, followed by the range's two bounds and `extra`).
fn rows<T>(
    db: Db<'_>,
    sql: &str,
    cond: &Sql,
    frame: &Frame,
    extra: &[Value],
    map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>, QueryError> {
    let mut params = cond.params.clone();
    params.push(Value::Integer(frame.start));
    params.push(Value::Integer(frame.end));
    params.extend_from_slice(extra);
    db.rows(sql, &params, map)
}

fn period(
    db: Db<'_>,
    scope: &Scope,
    frame: &Frame,
    custom_key: Option<&str>,
) -> Result<Period, QueryError> {
    let n = frame.count;
    let mut sums = vec![Summary::default(); n];
    // The whole hours read from the rollups, and of which endpoint (`None`: every one).
    let mut rolled_up: Option<(i64, i64, Option<&str>)> = None;
    if scope.wants_events {
        // The facts of [from, to), each summed into its bucket.
        let raw = |sums: &mut Vec<Summary>,
                   sessions: &mut rollup::SessionNumbers<'_>,
                   from: i64,
                   to: i64|
         -> Result<(), QueryError> {
            if from >= to {
                return Ok(());
            }
            let within = |cond: &Sql, column: &str| Sql {
                text: format!("({}) AND {column} >= ? AND {column} < ?", cond.text),
                params: [
                    cond.params.clone(),
                    vec![Value::Integer(from), Value::Integer(to)],
                ]
                .concat(),
            };
            // Buckets are by time alone: the event rows only for a condition on them.
            let events = match scope.unfiltered {
                true => rollup::EventRows::Skip,
                false => rollup::EventRows::Read,
            };
            let facts = rollup::facts(
                db,
                &within(&scope.calls, "c.start_at"),
                &within(&scope.messages, "m.request_at"),
                events,
            )?;
            facts.sum_into(sums, |at, _| frame.index(at), sessions)?;
            Ok(())
        };
        // The whole hours from the rollups, when they hold what the query asks (its range and at
        // most an endpoint) and the buckets are made of whole hours; the partial hours at the edges, and
        // everything else, from the derived tables.
        let hours = match (&scope.rollup, frame.bucket) {
            // (A compared period's buckets are moved with it, and may not start on hours.)
            (Some(endpoint), Bucket::Hour | Bucket::Day) if frame.origin % HOUR_MS == 0 => {
                let from = rollup::hour_of(frame.start + HOUR_MS - 1);
                let to = rollup::hour_of(frame.end);
                (from < to).then_some((from, to, endpoint.as_deref()))
            }
            _ => None,
        };
        rolled_up = hours;
        match hours {
            Some((from, to, endpoint)) => {
                // The edges' sessions by the numbers the rollups count them by.
                let mut sessions = rollup::SessionNumbers::stored(db);
                raw(&mut sums, &mut sessions, frame.start, from)?;
                rollup::load(db, from, to, endpoint, &mut sums, |hour| frame.index(hour))?;
                raw(&mut sums, &mut sessions, to, frame.end)?;
            }
            None => raw(
                &mut sums,
                &mut rollup::SessionNumbers::local(),
                frame.start,
                frame.end,
            )?,
        }
    }
    // The range's sums, and messages per session over the range.
    let mut total = Summary::default();
    // Each session's messages over the range, with the last bucket it was seen in: buckets are
    // read in order, so a session is new to a bucket when its last one is an earlier bucket.
    let mut sessions: rustc_hash::FxHashMap<i64, (i64, usize)> = Default::default();
    let mut conversations = vec![0i64; n];
    for (i, s) in sums.iter().enumerate() {
        total.merge_counts(s);
        for (session, messages) in &s.sessions {
            let seen = sessions.entry(*session).or_insert((0, usize::MAX));
            seen.0 += messages;
            if seen.1 != i {
                seen.1 = i;
                conversations[i] += 1;
            }
        }
    }
    let rejections = match &scope.rejections {
        Some(cond) => rows(
            db,
            &format!(
                "SELECT r.received_at FROM rejections r
                 WHERE ({}) AND r.received_at >= ? AND r.received_at < ?",
                cond.text
            ),
            cond,
            frame,
            &[],
            |r| r.get::<_, i64>(0),
        )?,
        None => Vec::new(),
    };

    let by_value = |s: &Summary, count: RollupCount| -> BTreeMap<Option<String>, i64> {
        s.by_value(count)
            .map(|values| {
                values
                    .iter()
                    .map(|(v, n)| (v.map(str::to_owned), n))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut buckets: Vec<BucketCounts> = sums
        .iter()
        .enumerate()
        .map(|(i, s)| BucketCounts {
            start_ms: frame.origin + i as i64 * frame.bucket.ms(),
            messages: s.count(RollupCount::Messages),
            conversations: conversations[i],
            calls: s.count(RollupCount::Calls),
            failed: s.count(RollupCount::Failed),
            transferred: s.count(RollupCount::Transferred),
            with_warnings: s.count(RollupCount::WithWarnings),
            rejected: 0,
            end_reasons: ranked(by_value(s, RollupCount::EndReason), usize::MAX),
            custom: Vec::new(),
        })
        .collect();
    for at in &rejections {
        buckets[frame.index(*at)].rejected += 1;
    }
    let totals = Totals {
        messages: total.count(RollupCount::Messages),
        conversations: sessions.len() as i64,
        calls: total.count(RollupCount::Calls),
        failed: total.count(RollupCount::Failed),
        transferred: total.count(RollupCount::Transferred),
        with_warnings: total.count(RollupCount::WithWarnings),
        rejected: rejections.len() as i64,
    };

    let measure = |m: Measure, name: &str, label: &str, counts: &str| Latency {
        name: name.to_owned(),
        label: label.to_owned(),
        counts: counts.to_owned(),
        overall: histogram_percentiles(total.histogram(m, "")),
        buckets: sums
            .iter()
            .map(|s| histogram_percentiles(s.histogram(m, "")))
            .collect(),
    };
    let latency = vec![
        measure(
            Measure::AssistantTurn,
            "assistant_turn_ms",
            "Assistant response, per call turn",
            "call turns with response_milliseconds above 0 (the final hangup turn reports 0)",
        ),
        measure(
            Measure::AssistantMessage,
            "assistant_message_ms",
            "Assistant response, per message",
            "messages with both request_timestamp and response_timestamp, the response not before the request",
        ),
        measure(
            Measure::Tts,
            "tts_ms",
            "Text to speech",
            "call turns with a text-to-speech response time (the slowest response of the turn)",
        ),
        measure(
            Measure::Stt,
            "stt_ms",
            "Speech to text",
            "call turns with a speech-to-text response time",
        ),
        measure(
            Measure::Setup,
            "setup_ms",
            "Call setup",
            "calls with session_initiation_protocol.setup_milliseconds",
        ),
    ];

    let slowest_turns = slowest_turns(
        db,
        scope,
        frame,
        total.histogram(Measure::AssistantTurn, ""),
    )?;

    // Warnings.
    let occurrences = by_value(&total, RollupCount::WarningOccurrences);
    let mut warning_codes = Vec::new();
    for (code, calls) in by_value(&total, RollupCount::WarningCalls) {
        let new = match &code {
            Some(code) => !rollup::warning_seen_before(db, code, frame.start)?,
            None => false,
        };
        warning_codes.push(WarningCount {
            occurrences: occurrences.get(&code).copied().unwrap_or(0),
            code,
            calls,
            new,
        });
    }
    warning_codes.sort_by(|a, b| b.calls.cmp(&a.calls).then(a.code.cmp(&b.code)));

    // Intents.
    let lows = by_value(&total, RollupCount::IntentLow);
    let mut intents: Vec<IntentCount> = by_value(&total, RollupCount::Intent)
        .into_iter()
        .filter_map(|(intent, count)| {
            let low = lows.get(&intent).copied().unwrap_or(0);
            Some(IntentCount {
                intent: intent?,
                title: None,
                count,
                median_confidence: None,
                low,
            })
        })
        .collect();
    intents.sort_by(|a, b| b.count.cmp(&a.count).then(a.intent.cmp(&b.intent)));
    intents.truncate(TOP_VALUES);
    for i in &mut intents {
        let mut confidences = total
            .histogram(Measure::IntentConfidence, &i.intent)
            .cloned()
            .unwrap_or_default();
        if let Some((from, to, endpoint)) = rolled_up {
            rollup::load_histogram(
                db,
                (from, to),
                endpoint,
                (Measure::IntentConfidence, &i.intent),
                &mut confidences,
            )?;
        }
        i.median_confidence =
            histogram_rank(&sorted_histogram(&confidences), 50).map(rollup::f64_from_key);
        i.title = db.optional(
            "SELECT title FROM message_intents WHERE intent = ?1 AND title IS NOT NULL LIMIT 1",
            &[Value::Text(i.intent.clone())],
            |r| r.get(0),
        )?;
    }

    // Actions, by title: the messages that ran each.
    let actions = ranked(by_value(&total, RollupCount::Action), TOP_VALUES);

    // Custom data.
    let custom = match custom_key {
        None => None,
        Some(key) => {
            let values = rows(
                db,
                &format!(
                    "SELECT c.start_at, {}
                     FROM call_custom_data k JOIN calls c ON c.event_id = k.event_id
                     JOIN events e ON e.id = c.event_id
                     WHERE ({}) AND c.start_at >= ? AND c.start_at < ? AND k.key = ?",
                    db.dialect().json_unquoted("k.value"),
                    scope.calls.text
                ),
                &scope.calls,
                frame,
                &[Value::Text(key.to_owned())],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
            )?;
            let mut totals_by_value: BTreeMap<Option<String>, i64> = BTreeMap::new();
            for (_, v) in &values {
                *totals_by_value.entry(Some(v.clone())).or_default() += 1;
            }
            let top = ranked(totals_by_value, TOP_VALUES);
            let listed: HashSet<&str> = top.iter().filter_map(|c| c.value.as_deref()).collect();
            let mut per_bucket: Vec<BTreeMap<Option<String>, i64>> = vec![BTreeMap::new(); n];
            let mut others = vec![0i64; n];
            for (start_at, v) in &values {
                let i = frame.index(*start_at);
                if listed.contains(v.as_str()) {
                    *per_bucket[i].entry(Some(v.clone())).or_default() += 1;
                } else {
                    others[i] += 1;
                }
            }
            for ((b, counts), other) in buckets.iter_mut().zip(per_bucket).zip(others) {
                b.custom = top
                    .iter()
                    .map(|t| match t.other {
                        true => Count {
                            value: None,
                            count: other,
                            other: true,
                        },
                        false => {
                            Count::new(t.value.clone(), counts.get(&t.value).copied().unwrap_or(0))
                        }
                    })
                    .collect();
            }
            Some(CustomBreakdown {
                key: key.to_owned(),
                without_key: totals.calls - values.len() as i64,
                values: top,
            })
        }
    };

    let mut turns_hist = [0i64; TURN_BINS.len()];
    for (turns, _) in sessions.values() {
        let bin = TURN_BINS
            .iter()
            .rposition(|(from, _)| *turns >= *from)
            .unwrap_or(0);
        turns_hist[bin] += 1;
    }
    let share = |count, of| Share {
        count: total.count(count),
        of: total.count(of),
    };

    Ok(Period {
        start_ms: frame.start,
        end_ms: frame.end,
        bucket: frame.bucket,
        bucket_ms: frame.bucket.ms(),
        totals,
        buckets,
        latency,
        end_reasons: ranked(by_value(&total, RollupCount::EndReason), usize::MAX),
        failure_details: ranked(by_value(&total, RollupCount::FailureDetails), TOP_VALUES),
        warning_codes,
        intents,
        actions,
        input_kinds: ranked(by_value(&total, RollupCount::InputKind), usize::MAX),
        turns_per_conversation: TURN_BINS
            .iter()
            .zip(turns_hist)
            .map(|((_, label), count)| Count::new(Some((*label).to_owned()), count))
            .collect(),
        intent_confidence: tenths(total.by_value(RollupCount::IntentConfidence)),
        stt_confidence: tenths(total.by_value(RollupCount::SttConfidence)),
        low_confidence: share(RollupCount::LowConfidence, RollupCount::LowConfidenceOf),
        barge_in: share(RollupCount::BargeIn, RollupCount::BargeInOf),
        custom,
        slowest_turns,
    })
}

/// The slowest call turns of the range, slowest first: those at or above the range's
/// [`SLOWEST_TURNS`]-th slowest response (known from its histogram), read from the top down.
fn slowest_turns(
    db: Db<'_>,
    scope: &Scope,
    frame: &Frame,
    assistant: Option<&rollup::Histogram>,
) -> Result<Vec<SlowTurn>, QueryError> {
    let Some(threshold) = assistant.and_then(|h| {
        let mut values: Vec<(i64, i64)> = h.iter().map(|(v, n)| (*v, *n)).collect();
        values.sort_unstable_by(|a, b| b.cmp(a));
        let mut seen = 0;
        let mut last = None;
        for (value, n) in values {
            seen += n;
            last = Some(value);
            if seen >= SLOWEST_TURNS as i64 {
                break;
            }
        }
        last
    }) else {
        return Ok(Vec::new());
    };
    // Over many turns, read down the index of response times from the top (it stops after about
    // SLOWEST_TURNS rows of the range); over a few, read the range's turns.
    let measured: i64 = assistant.map_or(0, |h| h.values().sum());
    let by_time = match measured > SLOWEST_BY_INDEX_FROM {
        true => db.dialect().indexed_by("call_turns_assistant"),
        false => String::new(),
    };
    rows(
        db,
        &format!(
            "SELECT ct.event_id, c.start_at, c.global_session_id, ct.seq, ct.request_type,
                    ct.start_ts, ct.assistant_ms, ct.tts_ms, ct.stt_ms, ct.log_id
             FROM call_turns ct {by_time} JOIN calls c ON c.event_id = ct.event_id
             JOIN events e ON e.id = c.event_id
             WHERE ({}) AND c.start_at >= ? AND c.start_at < ?
                   AND ct.assistant_ms >= ? AND ct.assistant_ms > 0
             ORDER BY ct.assistant_ms DESC, ct.event_id, ct.seq LIMIT {SLOWEST_TURNS}",
            scope.calls.text
        ),
        &scope.calls,
        frame,
        &[Value::Integer(threshold)],
        |r| {
            Ok(SlowTurn {
                call_event_id: r.get(0)?,
                call_start_at: r.get(1)?,
                global_session_id: r.get(2)?,
                seq: r.get(3)?,
                request_type: r.get(4)?,
                start_ts: r.get(5)?,
                assistant_ms: r.get(6)?,
                tts_ms: r.get(7)?,
                stt_ms: r.get(8)?,
                log_id: r.get(9)?,
            })
        },
    )
}

/// Conversation lengths: (at least this many messages, label).
const TURN_BINS: [(i64, &str); 8] = [
    (1, "1"),
    (2, "2"),
    (3, "3"),
    (4, "4"),
    (5, "5"),
    (6, "6-10"),
    (11, "11-20"),
    (21, "21+"),
];

/// Counts by confidence tenth, all ten of them, labelled `0.0-0.1` … `0.9-1.0`.
fn tenths(counts: Option<&rollup::Values>) -> Vec<Count> {
    rollup::TENTHS
        .iter()
        .enumerate()
        .map(|(i, tenth)| {
            Count::new(
                Some(format!(
                    "{:.1}-{:.1}",
                    i as f64 / 10.0,
                    (i + 1) as f64 / 10.0
                )),
                counts.map_or(0, |c| c.get(Some(tenth))),
            )
        })
        .collect()
}

/// Most first (then by value); past `top`, the rest summed as one `other` row.
fn ranked(counts: BTreeMap<Option<String>, i64>, top: usize) -> Vec<Count> {
    let mut all: Vec<Count> = counts
        .into_iter()
        .map(|(value, count)| Count::new(value, count))
        .collect();
    all.sort_by(|a, b| b.count.cmp(&a.count).then(a.value.cmp(&b.value)));
    if all.len() > top {
        let rest: i64 = all[top..].iter().map(|c| c.count).sum();
        all.truncate(top);
        all.push(Count {
            value: None,
            count: rest,
            other: true,
        });
    }
    all
}

/// p50, p95 and p99 of a histogram's values, exactly as [`percentiles`] of them all sorted.
fn histogram_percentiles(histogram: Option<&rollup::Histogram>) -> Percentiles {
    let Some(h) = histogram else {
        return Percentiles::default();
    };
    let sorted = sorted_histogram(h);
    Percentiles {
        n: sorted.last().map_or(0, |(_, seen)| *seen),
        p50: histogram_rank(&sorted, 50),
        p95: histogram_rank(&sorted, 95),
        p99: histogram_rank(&sorted, 99),
    }
}

/// A histogram's values ascending, each with how many values are at most it.
fn sorted_histogram(histogram: &rollup::Histogram) -> Vec<(i64, i64)> {
    let mut values: Vec<(i64, i64)> = histogram.iter().map(|(v, n)| (*v, *n)).collect();
    values.sort_unstable();
    let mut seen = 0;
    for (_, n) in &mut values {
        seen += *n;
        *n = seen;
    }
    values
}

/// The `p`-th percentile of a [`sorted_histogram`]'s values, by nearest rank ([`METHOD`]).
fn histogram_rank(sorted: &[(i64, i64)], p: i64) -> Option<i64> {
    let n = sorted.last().map_or(0, |(_, seen)| *seen);
    if n <= 0 {
        return None;
    }
    let rank = ((p * n + 99) / 100).max(1);
    let at = sorted.partition_point(|(_, seen)| *seen < rank);
    sorted.get(at).map(|(value, _)| *value)
}

/// p50, p95 and p99 of values sorted ascending.
pub fn percentiles(sorted: &[i64]) -> Percentiles {
    Percentiles {
        n: sorted.len() as i64,
        p50: nearest_rank(sorted, 50).copied(),
        p95: nearest_rank(sorted, 95).copied(),
        p99: nearest_rank(sorted, 99).copied(),
    }
}

/// The `p`-th percentile of values sorted ascending, by nearest rank ([`METHOD`]).
pub fn nearest_rank<T>(sorted: &[T], p: usize) -> Option<&T> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1)
}

fn changes(current: &Period, previous: &Period) -> Vec<TrendChange> {
    let count = |measure: &str, c: i64, p: i64| {
        let percent = (p != 0).then(|| (c - p) as f64 * 100.0 / p as f64);
        let big = c.max(p) >= NOTABLE_MIN_COUNT;
        TrendChange {
            measure: measure.to_owned(),
            current: Some(c as f64),
            previous: Some(p as f64),
            notable: big && percent.is_none_or(|pc| pc.abs() >= NOTABLE_CHANGE_PERCENT) && c != p,
            percent,
        }
    };
    let (c, p) = (&current.totals, &previous.totals);
    let mut out = vec![
        count("messages", c.messages, p.messages),
        count("conversations", c.conversations, p.conversations),
        count("calls", c.calls, p.calls),
        count("failed", c.failed, p.failed),
        count("transferred", c.transferred, p.transferred),
        count("with_warnings", c.with_warnings, p.with_warnings),
        count("rejected", c.rejected, p.rejected),
    ];
    for (lc, lp) in current.latency.iter().zip(&previous.latency) {
        let (vc, vp) = (lc.overall.p95, lp.overall.p95);
        let percent = match (vc, vp) {
            (Some(vc), Some(vp)) if vp != 0 => Some((vc - vp) as f64 * 100.0 / vp as f64),
            _ => None,
        };
        out.push(TrendChange {
            measure: format!("{}.p95", lc.name),
            current: vc.map(|v| v as f64),
            previous: vp.map(|v| v as f64),
            notable: lc.overall.n.min(lp.overall.n) >= NOTABLE_MIN_COUNT
                && percent.is_some_and(|pc| pc.abs() >= NOTABLE_CHANGE_PERCENT),
            percent,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_is_the_value_at_rank_ceil_p_n() {
        let v: Vec<i64> = (1..=10).map(|i| i * 100).collect();
        // ceil(0.5 × 10) = 5, ceil(0.95 × 10) = 10, ceil(0.99 × 10) = 10.
        assert_eq!(
            percentiles(&v),
            Percentiles {
                n: 10,
                p50: Some(500),
                p95: Some(1000),
                p99: Some(1000)
            }
        );
        let v: Vec<i64> = (1..=200).collect();
        assert_eq!(nearest_rank(&v, 50), Some(&100));
        assert_eq!(nearest_rank(&v, 95), Some(&190));
        assert_eq!(nearest_rank(&v, 99), Some(&198));
        assert_eq!(nearest_rank(&[7], 50), Some(&7));
        assert_eq!(nearest_rank::<i64>(&[], 50), None);
    }

    #[test]
    fn buckets_follow_the_range() {
        assert_eq!(Bucket::for_span(HOUR_MS), Bucket::Minute);
        assert_eq!(Bucket::for_span(DAY_MS), Bucket::Hour);
        assert_eq!(Bucket::for_span(7 * DAY_MS), Bucket::Day);
    }

    #[test]
    fn comparisons_parse() {
        assert_eq!(Compare::parse("previous").unwrap(), Compare::Previous);
        assert_eq!(Compare::parse("7d").unwrap(), Compare::Shift(7 * DAY_MS));
        assert_eq!(Compare::parse("24h").unwrap(), Compare::Shift(DAY_MS));
        for bad in ["", "7", "d", "-7d", "7x", "1.5d"] {
            assert!(Compare::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn confidences_fall_in_tenths() {
        assert_eq!(rollup::tenth(0.0), 0);
        assert_eq!(rollup::tenth(0.49), 4);
        assert_eq!(rollup::tenth(0.5), 5);
        assert_eq!(rollup::tenth(1.0), 9);
        assert_eq!(rollup::tenth(1.7), 9);
        assert_eq!(rollup::tenth(-0.2), 0);
    }
}
