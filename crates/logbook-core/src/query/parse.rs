//! The search query language shared by the CLI, the UI and export.
//!
//! A query is whitespace-separated terms: free-text words, `"quoted phrases"`, qualifiers
//! (`kind:cdr`, `user:"anonymous id"`, `custom.KEY:VALUE`, `after:7d`) and numeric comparisons
//! (`duration>60s`, `confidence<0.5`). A leading `-` negates any term. [`parse`] turns the text
//! into a [`Query`]; the text terms become FTS5 MATCH strings through [`Query::fts_match`] and
//! [`Query::fts_exclude`], quoted so that nothing a user types can be an FTS5 syntax error.

use std::ops::Range;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeDelta, TimeZone, Utc};
use serde::{Serialize, Serializer};

use crate::watson::event_kind;
use crate::watson::names::normalise_name;

/// A parsed query: the free text (matched through FTS5) and the structured filters.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Query {
    pub text: Vec<TextTerm>,
    pub filters: Vec<Filter>,
}

/// One free-text word or quoted phrase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TextTerm {
    pub text: String,
    pub phrase: bool,
    pub negated: bool,
}

/// One qualifier or comparison; `span` is the byte range of the whole term (including a leading
/// `-`) in the input.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Filter {
    pub field: Field,
    pub negated: bool,
    pub span: Range<usize>,
}

/// What a filter constrains, with its normalised value.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "field", content = "value", rename_all = "snake_case")]
pub enum Field {
    /// `message_logged`, `cdr_logged`, `rejected` or any other event name (lowercased).
    Kind(String),
    Session(String),
    Log(String),
    User(String),
    Assistant(String),
    Intent(String),
    /// An action's title (any case) or id, e.g. `action:"Check order status"`.
    Action(String),
    Entity {
        name: String,
        value: Option<String>,
    },
    ResponseType(String),
    Phone(String),
    /// Normalised as ingest stores it (`watson/names.rs`): `SIPTimeout` → `sip_timeout`.
    EndReason(String),
    Failed(bool),
    /// A part of a call's `failure_details` (case-insensitive), e.g. `failure:codec`.
    Failure(String),
    Transferred(bool),
    Verified(bool),
    /// A warning code or a prefix of one.
    Warning(String),
    Endpoint(String),
    /// The start of a channel name, as [`channel_key`] folds it: `web` matches "Web chat".
    Channel(String),
    /// A call's global_session_id.
    Call(String),
    /// How the user spoke (a message's input kind: `text`, `speech`, `dtmf`), any case.
    Input(String),
    /// A call turn the caller barged in on (or, `false`, one that says it was not).
    BargeIn(bool),
    /// `value: None` means `custom.KEY:*`, the key is present.
    Custom {
        key: String,
        value: Option<String>,
    },
    After(#[serde(serialize_with = "serialize_utc")] DateTime<Utc>),
    Before(#[serde(serialize_with = "serialize_utc")] DateTime<Utc>),
    /// Durations and latencies are in whole milliseconds; counts are whole numbers.
    Number {
        field: NumField,
        op: CmpOp,
        value: f64,
    },
}

/// The fields a numeric comparison can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NumField {
    Duration,
    LatencyAssistant,
    LatencyTts,
    LatencyStt,
    Setup,
    Warnings,
    Turns,
    Confidence,
    /// The top intent's confidence only.
    IntentConfidence,
    /// A call turn's speech-to-text confidence only.
    SttConfidence,
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CmpOp {
    Gt,
    Ge,
    Lt,
    Le,
    Eq,
}

/// Why a query did not parse; `span` is the byte range of the offending term or value and
/// `column` the 1-based character column where it starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message} (at column {column})")]
pub struct ParseError {
    pub message: String,
    pub span: Range<usize>,
    pub column: usize,
}

/// The keys the UI offers for completion: the key as typed (with its `:` or an operator hint)
/// and a one-line help.
pub const QUALIFIERS: &[(&str, &str)] = &[
    ("kind:", "message, call or rejected (or any event name)"),
    ("session:", "conversation session id"),
    ("log:", "log id of one event"),
    ("user:", "user id, e.g. user:\"anonymous id\""),
    ("assistant:", "assistant id"),
    ("intent:", "intent name, e.g. intent:pay_bill"),
    (
        "action:",
        "action title or id, e.g. action:\"Check order status\"",
    ),
    (
        "entity:",
        "entity name or name=value, e.g. entity:sys-number=58213",
    ),
    (
        "type:",
        "response type: text, option, connect_to_agent, text_to_speech …",
    ),
    ("phone:", "phone number of the call"),
    ("end_reason:", "why the call ended, e.g. caller_hangup"),
    ("failed:", "call failed: true or false"),
    (
        "failure:",
        "words of the failure details, e.g. failure:codec or failure:\"SIP REFER\"",
    ),
    ("transferred:", "call was transferred: true or false"),
    ("verified:", "signature verified: true or false"),
    (
        "warning:",
        "warning code or prefix, e.g. CWSMR0033W or CWSMR",
    ),
    ("endpoint:", "endpoint that received the event"),
    (
        "channel:",
        "channel name or its start, any case and spacing: channel:web matches Web chat",
    ),
    ("call:", "call id (global_session_id)"),
    ("input:", "how the user spoke: text, speech or dtmf"),
    (
        "barge_in:",
        "a call turn the caller barged in on: true or false",
    ),
    (
        "custom.",
        "custom data: custom.KEY:VALUE, or custom.KEY:* for key present",
    ),
    (
        "after:",
        "at or after a date, time or age: 2026-03-10, 2026-03-10T15:30:00Z, 7d",
    ),
    ("before:", "before a date, time or age: 2026-03-10, 2h, 4w"),
    ("duration>", "call duration, e.g. duration>60s"),
    (
        "latency.assistant>",
        "assistant latency, e.g. latency.assistant>800ms",
    ),
    (
        "latency.tts>",
        "text-to-speech latency, e.g. latency.tts>1.5s",
    ),
    (
        "latency.stt>",
        "speech-to-text latency, e.g. latency.stt>1s",
    ),
    ("setup>", "call setup time, e.g. setup>2s"),
    ("warnings>", "number of warnings, e.g. warnings>0"),
    ("turns>", "number of conversation turns, e.g. turns>=10"),
    (
        "confidence<",
        "intent or speech-to-text confidence 0 to 1, e.g. confidence<0.5",
    ),
    (
        "confidence.intent<",
        "the top intent's confidence only, e.g. confidence.intent<0.5",
    ),
    (
        "confidence.stt<",
        "a call turn's speech-to-text confidence only, e.g. confidence.stt<0.6",
    ),
];

/// Qualifier keys (lowercase, without `:`), in the order error messages list them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Kind,
    Session,
    Log,
    User,
    Assistant,
    Intent,
    Action,
    Entity,
    Type,
    Phone,
    EndReason,
    Failed,
    Failure,
    Transferred,
    Verified,
    Warning,
    Endpoint,
    Channel,
    Call,
    Input,
    BargeIn,
    After,
    Before,
}

const KEYS: &[(&str, Key)] = &[
    ("kind", Key::Kind),
    ("session", Key::Session),
    ("log", Key::Log),
    ("user", Key::User),
    ("assistant", Key::Assistant),
    ("intent", Key::Intent),
    ("action", Key::Action),
    ("entity", Key::Entity),
    ("type", Key::Type),
    ("phone", Key::Phone),
    ("end_reason", Key::EndReason),
    ("failed", Key::Failed),
    ("failure", Key::Failure),
    ("transferred", Key::Transferred),
    ("verified", Key::Verified),
    ("warning", Key::Warning),
    ("endpoint", Key::Endpoint),
    ("channel", Key::Channel),
    ("call", Key::Call),
    ("input", Key::Input),
    ("barge_in", Key::BargeIn),
    ("after", Key::After),
    ("before", Key::Before),
];

const NUM_FIELDS: &[(&str, NumField)] = &[
    ("duration", NumField::Duration),
    ("latency.assistant", NumField::LatencyAssistant),
    ("latency.tts", NumField::LatencyTts),
    ("latency.stt", NumField::LatencyStt),
    ("setup", NumField::Setup),
    ("warnings", NumField::Warnings),
    ("turns", NumField::Turns),
    ("confidence", NumField::Confidence),
    ("confidence.intent", NumField::IntentConfidence),
    ("confidence.stt", NumField::SttConfidence),
];

/// The prefix of `custom.KEY:VALUE`.
const CUSTOM_PREFIX: &str = "custom.";

/// The largest duration accepted, in milliseconds (about 31 years); keeps values exact in f64.
const MAX_MILLIS: f64 = 1e12;

impl NumField {
    /// The name as typed in a query, e.g. `latency.assistant`.
    pub fn name(&self) -> &'static str {
        NUM_FIELDS
            .iter()
            .find(|(_, f)| f == self)
            .map_or("", |(name, _)| name)
    }

    /// Whether values are durations in milliseconds (as opposed to counts or a confidence).
    pub fn is_duration(&self) -> bool {
        matches!(
            self,
            NumField::Duration
                | NumField::LatencyAssistant
                | NumField::LatencyTts
                | NumField::LatencyStt
                | NumField::Setup
        )
    }

    /// Whether values are confidences, from 0 to 1.
    pub fn is_confidence(&self) -> bool {
        matches!(
            self,
            NumField::Confidence | NumField::IntentConfidence | NumField::SttConfidence
        )
    }

    fn from_name(name: &str) -> Option<NumField> {
        NUM_FIELDS
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, f)| *f)
    }
}

impl CmpOp {
    /// The SQL operator.
    pub fn sql(&self) -> &'static str {
        match self {
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Eq => "=",
        }
    }
}

impl ParseError {
    fn new(input: &str, span: Range<usize>, message: impl Into<String>) -> ParseError {
        ParseError {
            message: message.into(),
            column: char_column(input, span.start) + 1,
            span,
        }
    }

    /// Two lines: the input, then `^^^` under the span followed by the message.
    pub fn render(&self, input: &str) -> String {
        let line: String = input
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let start = char_column(input, self.span.start);
        let end = char_column(input, self.span.end.max(self.span.start));
        let width = (end - start).max(1);
        format!(
            "{line}\n{}{} {}",
            " ".repeat(start),
            "^".repeat(width),
            self.message
        )
    }
}

/// The number of characters that start before byte offset `byte`.
fn char_column(input: &str, byte: usize) -> usize {
    input.char_indices().take_while(|(i, _)| *i < byte).count()
}

fn serialize_utc<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
}

impl Query {
    /// The FTS5 MATCH string for the positive text terms (implicit AND), or `None` if there are
    /// none.
    pub fn fts_match(&self) -> Option<String> {
        let parts: Vec<String> = self
            .text
            .iter()
            .filter(|t| !t.negated)
            .map(|t| t.fts().0)
            .filter(|s| !s.is_empty())
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    }

    /// The FTS5 MATCH string for the negated text terms, joined with `OR`, or `None` if there are
    /// none. Rows it matches are to be excluded.
    pub fn fts_exclude(&self) -> Option<String> {
        let parts: Vec<String> = self
            .text
            .iter()
            .filter(|t| t.negated)
            .map(|t| t.fts())
            .filter(|(s, _)| !s.is_empty())
            .map(|(s, n)| if n > 1 { format!("({s})") } else { s })
            .collect();
        (!parts.is_empty()).then(|| parts.join(" OR "))
    }

    /// [`Query::fts_match`] as PostgreSQL's `to_tsquery` text: each word, and each phrase, is one
    /// quoted operand (which `to_tsquery` splits into the index's words, a phrase of them when
    /// there are several, as FTS5 splits a quoted string), all joined by `&`.
    pub fn tsquery_match(&self) -> Option<String> {
        let parts: Vec<String> = self
            .text
            .iter()
            .filter(|t| !t.negated)
            .map(|t| t.tsquery().0)
            .filter(|s| !s.is_empty())
            .collect();
        (!parts.is_empty()).then(|| parts.join(" & "))
    }

    /// [`Query::fts_exclude`] as PostgreSQL's `to_tsquery` text: the negated terms joined by `|`.
    pub fn tsquery_exclude(&self) -> Option<String> {
        let parts: Vec<String> = self
            .text
            .iter()
            .filter(|t| t.negated)
            .map(|t| t.tsquery())
            .filter(|(s, _)| !s.is_empty())
            .map(|(s, n)| if n > 1 { format!("({s})") } else { s })
            .collect();
        (!parts.is_empty()).then(|| parts.join(" | "))
    }

    /// Whether the query constrains nothing.
    pub fn is_empty(&self) -> bool {
        self.text.is_empty() && self.filters.is_empty()
    }
}

impl TextTerm {
    /// The FTS5 form of this term and how many quoted strings it has.
    fn fts(&self) -> (String, usize) {
        if self.phrase {
            let text = self.text.replace('\0', " ");
            if text.trim().is_empty() {
                (String::new(), 0)
            } else {
                (fts_quote(&text), 1)
            }
        } else {
            let parts = fts_tokens(&self.text);
            (parts.join(" "), parts.len())
        }
    }
}

/// A `to_tsquery` operand without a word, which `to_tsquery` leaves out of the query, as FTS5 leaves
/// out a quoted string without a word (`"👋"`); a query left with no word matches nothing, in both.
const NO_WORD: &str = "'-'";

impl TextTerm {
    /// The `to_tsquery` form of this term and how many operands it has: each operand is the words
    /// of a word or phrase as the index cuts them ([`super::words`]), quoted; several words make a
    /// phrase (`<->`).
    fn tsquery(&self) -> (String, usize) {
        let quote = |s: &str| match super::words::words(s) {
            w if w.is_empty() => NO_WORD.to_owned(),
            w => format!("'{w}'"),
        };
        if self.phrase {
            let text = self.text.replace('\0', " ");
            if text.trim().is_empty() {
                (String::new(), 0)
            } else {
                (quote(&text), 1)
            }
        } else {
            let parts: Vec<String> = self
                .text
                .split(|c: char| c.is_whitespace() || c == '\0')
                .filter(|t| !t.is_empty())
                .map(quote)
                .collect();
            (parts.join(" & "), parts.len())
        }
    }
}

/// Makes one user token FTS5-safe: the text is split on whitespace and each piece is wrapped in
/// double quotes (inner quotes doubled), so operators, `*`, `^`, `:`, parentheses and the words
/// AND/OR/NOT/NEAR are all plain strings. Whitespace-only input gives an empty string.
pub fn fts_escape_term(text: &str) -> String {
    fts_tokens(text).join(" ")
}

fn fts_tokens(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || c == '\0')
        .filter(|t| !t.is_empty())
        .map(fts_quote)
        .collect()
}

fn fts_quote(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// A channel name folded for comparison: lowercase, without spaces, `_` or `-`, so that
/// `channel:web`, `channel:webchat` and `channel:"web chat"` all reach "Web chat". The SQL side
/// folds the stored name the same way ([`CHANNEL_KEY_SQL`]).
pub fn channel_key(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_whitespace() && *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

/// [`channel_key`] in SQL, of the column `m.channel` (ASCII case folding, as SQLite's `lower`).
pub const CHANNEL_KEY_SQL: &str =
    "replace(replace(replace(replace(lower(m.channel), ' ', ''), '_', ''), '-', ''), '\t', '')";

/// Parses a query. `now` anchors relative dates (`after:7d`).
pub fn parse(input: &str, now: DateTime<Utc>) -> Result<Query, ParseError> {
    let mut parser = Parser {
        input,
        now,
        query: Query::default(),
    };
    let mut pos = 0;
    while let Some(start) = parser.skip_whitespace(pos) {
        pos = parser.term(start)?;
    }
    Ok(parser.query)
}

struct Parser<'a> {
    input: &'a str,
    now: DateTime<Utc>,
    query: Query,
}

impl Parser<'_> {
    fn error(&self, span: Range<usize>, message: impl Into<String>) -> ParseError {
        ParseError::new(self.input, span, message)
    }

    fn char_at(&self, pos: usize) -> Option<char> {
        self.input[pos..].chars().next()
    }

    /// The start of the next term at or after `pos`, or `None` at the end of the input.
    fn skip_whitespace(&self, pos: usize) -> Option<usize> {
        self.input[pos..]
            .char_indices()
            .find(|(_, c)| !c.is_whitespace())
            .map(|(i, _)| pos + i)
    }

    /// The end of the run of non-whitespace starting at `pos`.
    fn word_end(&self, pos: usize) -> usize {
        self.input[pos..]
            .char_indices()
            .find(|(_, c)| c.is_whitespace())
            .map_or(self.input.len(), |(i, _)| pos + i)
    }

    /// Reads the quoted string whose opening `"` is at `pos`; returns its unescaped content and
    /// the offset just past the closing quote.
    fn quoted(&self, pos: usize) -> Result<(String, usize), ParseError> {
        let mut out = String::new();
        let mut chars = self.input[pos + 1..].char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => return Ok((out, pos + 1 + i + 1)),
                '\\' => match self.char_at(pos + 1 + i + 1) {
                    Some(next @ ('"' | '\\')) => {
                        out.push(next);
                        chars.next();
                    }
                    _ => out.push('\\'),
                },
                _ => out.push(c),
            }
        }
        Err(self.error(pos..self.input.len(), "unterminated quote"))
    }

    fn push_text(&mut self, text: String, phrase: bool, negated: bool) {
        if !text.trim().is_empty() {
            self.query.text.push(TextTerm {
                text,
                phrase,
                negated,
            });
        }
    }

    fn push_filter(&mut self, field: Field, negated: bool, span: Range<usize>) {
        self.query.filters.push(Filter {
            field,
            negated,
            span,
        });
    }

    /// Parses the term starting at `start`; returns the offset just past it.
    fn term(&mut self, start: usize) -> Result<usize, ParseError> {
        let negated = self.input[start..].starts_with('-');
        let body = if negated { start + 1 } else { start };
        match self.char_at(body) {
            None => return Err(self.bare_dash(start)),
            Some(c) if c.is_whitespace() => return Err(self.bare_dash(start)),
            Some('"') => {
                let (text, end) = self.quoted(body)?;
                self.push_text(text, true, negated);
                return Ok(end);
            }
            Some(_) => {}
        }
        let word_end = self.word_end(body);
        let word = &self.input[body..word_end];
        let colon = word.find(':');
        let op = word.find(['<', '>', '=']);
        // A custom key may contain anything but `:` and whitespace, operators included.
        let custom = word
            .get(..CUSTOM_PREFIX.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(CUSTOM_PREFIX));
        match (colon, op) {
            (Some(k), op) if k > 0 && (custom || op.is_none_or(|o| k < o)) => {
                self.qualifier(start, body, k, word_end, negated)
            }
            (_, Some(o)) if o > 0 => self.comparison(start, body, o, word_end, negated),
            _ => {
                self.push_text(word.to_string(), false, negated);
                Ok(word_end)
            }
        }
    }

    fn bare_dash(&self, start: usize) -> ParseError {
        self.error(
            start..start + 1,
            "a lone \"-\" negates nothing; put it right before a word, phrase or qualifier",
        )
    }

    /// A `key:value` term: `body..body + colon` is the key.
    fn qualifier(
        &mut self,
        start: usize,
        body: usize,
        colon: usize,
        word_end: usize,
        negated: bool,
    ) -> Result<usize, ParseError> {
        let input = self.input;
        let key_raw = &input[body..body + colon];
        let key_span = body..body + colon;
        let value_start = body + colon + 1;
        let unquoted = &input[value_start..word_end];
        let lower = key_raw.to_ascii_lowercase();

        let custom = lower.starts_with(CUSTOM_PREFIX);
        let key = KEYS.iter().find(|(k, _)| *k == lower).map(|(_, k)| *k);
        if !custom && key.is_none() {
            let is_text = lower == "http"
                || lower == "https"
                || unquoted.starts_with("//")
                || !is_identifier(key_raw);
            if is_text {
                self.push_text(input[body..word_end].to_string(), false, negated);
                return Ok(word_end);
            }
            let known: Vec<&str> = KEYS
                .iter()
                .map(|(k, _)| *k)
                .chain(std::iter::once("custom.KEY"))
                .collect();
            return Err(self.error(
                key_span,
                format!(
                    "unknown qualifier \"{key_raw}\"; known: {}",
                    known.join(", ")
                ),
            ));
        }

        let (value, quoted, end) = if input[value_start..].starts_with('"') {
            let (value, end) = self.quoted(value_start)?;
            (value, true, end)
        } else if let Some(eq) = unquoted.find("=\"").filter(|_| key == Some(Key::Entity)) {
            // entity:NAME="a quoted value"
            let (quoted_value, end) = self.quoted(value_start + eq + 1)?;
            (format!("{}={quoted_value}", &unquoted[..eq]), true, end)
        } else {
            (unquoted.to_string(), false, word_end)
        };
        let term_span = start..end;
        let value_span = value_start..end;
        if value.is_empty() {
            return Err(self.error(term_span, format!("empty value for {key_raw}:")));
        }

        if custom {
            let name = &key_raw[CUSTOM_PREFIX.len()..];
            if name.is_empty() {
                return Err(self.error(
                    key_span,
                    "custom needs a key: custom.KEY:VALUE or custom.KEY:*",
                ));
            }
            let value = (quoted || value != "*").then_some(value);
            let field = Field::Custom {
                key: name.to_string(),
                value,
            };
            self.push_filter(field, negated, term_span);
            return Ok(end);
        }

        let Some(key) = key else {
            unreachable!("checked above: the key is custom or known")
        };
        let field = match key {
            Key::Kind => Field::Kind(event_kind(&value)),
            Key::Session => Field::Session(value),
            Key::Log => Field::Log(value),
            Key::User => Field::User(value),
            Key::Assistant => Field::Assistant(value),
            Key::Intent => Field::Intent(match value.strip_prefix('#') {
                Some(rest) if !rest.is_empty() => rest.to_string(),
                _ => value,
            }),
            Key::Action => Field::Action(value),
            Key::Entity => self.entity(&value, value_span)?,
            Key::Type => Field::ResponseType(value),
            Key::Phone => Field::Phone(value),
            Key::EndReason => Field::EndReason(normalise_name(&value)),
            Key::Failed => Field::Failed(self.boolean(key_raw, &value, value_span)?),
            Key::Failure => Field::Failure(value),
            Key::Transferred => Field::Transferred(self.boolean(key_raw, &value, value_span)?),
            Key::Verified => Field::Verified(self.boolean(key_raw, &value, value_span)?),
            Key::Warning => Field::Warning(value),
            Key::Endpoint => Field::Endpoint(value),
            Key::Channel => Field::Channel(channel_key(&value)),
            Key::Call => Field::Call(value),
            Key::Input => Field::Input(value.to_lowercase()),
            Key::BargeIn => Field::BargeIn(self.boolean(key_raw, &value, value_span)?),
            Key::After => Field::After(self.when(&value, value_span)?),
            Key::Before => Field::Before(self.when(&value, value_span)?),
        };
        self.push_filter(field, negated, term_span);
        Ok(end)
    }

    fn entity(&self, value: &str, span: Range<usize>) -> Result<Field, ParseError> {
        let (name, entity_value) = match value.split_once('=') {
            Some((name, v)) => (name, Some(v)),
            None => (value, None),
        };
        let name = name.strip_prefix('@').unwrap_or(name);
        if name.is_empty() {
            return Err(self.error(
                span,
                "empty entity name; expected entity:NAME or entity:NAME=VALUE",
            ));
        }
        if entity_value == Some("") {
            return Err(self.error(
                span,
                format!("empty entity value; expected entity:{name}=VALUE or entity:{name}"),
            ));
        }
        Ok(Field::Entity {
            name: name.to_string(),
            value: entity_value.map(str::to_string),
        })
    }

    fn boolean(&self, key: &str, value: &str, span: Range<usize>) -> Result<bool, ParseError> {
        match value.to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => Ok(true),
            "false" | "no" | "0" => Ok(false),
            _ => Err(self.error(
                span,
                format!(
                    "bad boolean \"{value}\" for {key}:; expected true, false, yes, no, 1 or 0"
                ),
            )),
        }
    }

    fn when(&self, value: &str, span: Range<usize>) -> Result<DateTime<Utc>, ParseError> {
        parse_when(value, self.now).ok_or_else(|| {
            self.error(
                span,
                format!(
                    "bad date \"{value}\"; expected e.g. 2026-03-10, 2026-03-10T15:30:00Z \
                         or an age like 30m, 2h, 7d, 4w"
                ),
            )
        })
    }

    /// A `field OP value` term: `body..body + op` is the field name.
    fn comparison(
        &mut self,
        start: usize,
        body: usize,
        op: usize,
        word_end: usize,
        negated: bool,
    ) -> Result<usize, ParseError> {
        let input = self.input;
        let name = &input[body..body + op];
        let rest = &input[body + op..word_end];
        let (cmp, op_len) = if rest.starts_with(">=") {
            (CmpOp::Ge, 2)
        } else if rest.starts_with("<=") {
            (CmpOp::Le, 2)
        } else if rest.starts_with("==") {
            (CmpOp::Eq, 2)
        } else if rest.starts_with('>') {
            (CmpOp::Gt, 1)
        } else if rest.starts_with('<') {
            (CmpOp::Lt, 1)
        } else {
            (CmpOp::Eq, 1)
        };
        let value_start = body + op + op_len;
        let value = &input[value_start..word_end];
        let value_span = value_start..word_end;

        let Some(field) = NumField::from_name(name) else {
            let looks_numeric =
                value.is_empty() || value.starts_with(|c: char| c.is_ascii_digit() || c == '.');
            if is_identifier(name) && looks_numeric {
                let known: Vec<&str> = NUM_FIELDS.iter().map(|(n, _)| *n).collect();
                return Err(self.error(
                    body..body + op,
                    format!(
                        "unknown numeric field \"{name}\"; known: {}",
                        known.join(", ")
                    ),
                ));
            }
            self.push_text(input[body..word_end].to_string(), false, negated);
            return Ok(word_end);
        };
        if value.is_empty() {
            return Err(self.error(
                start..word_end,
                format!("empty value for {name}{}", cmp.sql()),
            ));
        }
        let number = if field.is_duration() {
            parse_millis(value).ok_or_else(|| {
                self.error(
                    value_span,
                    format!(
                        "bad duration \"{value}\" for {name}; expected e.g. 800, 800ms, 60s, 1.5s or 2m"
                    ),
                )
            })?
        } else if field.is_confidence() {
            parse_decimal(value)
                .filter(|c| (0.0..=1.0).contains(c))
                .ok_or_else(|| {
                    self.error(
                        value_span,
                        format!(
                            "bad confidence \"{value}\"; expected a number from 0 to 1, e.g. 0.5"
                        ),
                    )
                })?
        } else {
            parse_count(value).ok_or_else(|| {
                self.error(
                    value_span,
                    format!("bad count \"{value}\" for {name}; expected a whole number"),
                )
            })?
        };
        self.push_filter(
            Field::Number {
                field,
                op: cmp,
                value: number,
            },
            negated,
            start..word_end,
        );
        Ok(word_end)
    }
}

/// An ASCII letter followed by ASCII letters, digits, `_`, `.` or `-`: something a user would type
/// as a qualifier key or field name (as opposed to `10:30` or `:)`).
fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// Digits with at most one `.` (and at least one digit): `800`, `1.5`, `.5`.
fn parse_decimal(s: &str) -> Option<f64> {
    let valid = s.chars().all(|c| c.is_ascii_digit() || c == '.')
        && s.chars().filter(|&c| c == '.').count() <= 1
        && s.chars().any(|c| c.is_ascii_digit());
    if !valid {
        return None;
    }
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// `800`, `800ms`, `60s`, `1.5s`, `2m`, `1h` → whole milliseconds.
fn parse_millis(s: &str) -> Option<f64> {
    let lower = s.to_ascii_lowercase();
    let split = lower
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(lower.len());
    let (number, unit) = lower.split_at(split);
    let scale = match unit {
        "" | "ms" => 1.0,
        "s" => 1_000.0,
        "m" | "min" => 60_000.0,
        "h" => 3_600_000.0,
        _ => return None,
    };
    let ms = (parse_decimal(number)? * scale).round();
    (ms <= MAX_MILLIS).then_some(ms)
}

/// A whole number.
fn parse_count(s: &str) -> Option<f64> {
    if !s.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    // u32 keeps every count exactly representable and far above any real count.
    s.parse::<u32>().ok().map(f64::from)
}

/// A time as the query language's `after:`/`before:` take it (and `logbook pull`'s flags): an age
/// before `now` (`30m`, `2h`, `7d`, `4w`) or an absolute date or time (`2026-03-10`,
/// `2026-03-10T15:30:00Z`).
pub fn parse_when(value: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    parse_relative(value, now).or_else(|| parse_absolute(value))
}

/// `30m`, `2h`, `7d`, `4w` (also `45s`) → that long before `now`.
fn parse_relative(s: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let unit = s.chars().last()?;
    let number = &s[..s.len() - unit.len_utf8()];
    if number.is_empty() || !number.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let n: i64 = number.parse().ok()?;
    let seconds_per = match unit.to_ascii_lowercase() {
        's' => 1,
        'm' => 60,
        'h' => 3_600,
        'd' => 86_400,
        'w' => 7 * 86_400,
        _ => return None,
    };
    let delta = TimeDelta::try_seconds(n.checked_mul(seconds_per)?)?;
    now.checked_sub_signed(delta)
}

/// `2026-03-10` (midnight UTC), `2026-03-10T15:30:00Z`, `2026-03-10T15:30:00.5+02:00`,
/// `2026-03-10T15:30` (no zone = UTC); `T` may be `t` or a space.
fn parse_absolute(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(date) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(date.and_time(NaiveTime::MIN).and_utc());
    }
    let (date, time) = s.split_once(['T', 't', ' '])?;
    let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
    let (time, offset) = if let Some(t) = time.strip_suffix(['Z', 'z']) {
        (t, 0)
    } else if let Some(p) = time.rfind(['+', '-']) {
        (&time[..p], parse_offset(&time[p..])?)
    } else {
        (time, 0)
    };
    let time = NaiveTime::parse_from_str(time, "%H:%M:%S%.f")
        .or_else(|_| NaiveTime::parse_from_str(time, "%H:%M"))
        .ok()?;
    let offset = FixedOffset::east_opt(offset)?;
    let local = offset.from_local_datetime(&date.and_time(time)).single()?;
    Some(local.with_timezone(&Utc))
}

/// `+02:00`, `-0530`, `+02` → seconds east of UTC.
fn parse_offset(s: &str) -> Option<i32> {
    let sign = match s.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits: String = s[1..].chars().filter(|&c| c != ':').collect();
    let colons = s[1..].matches(':').count();
    if !digits.chars().all(|c| c.is_ascii_digit()) || colons > 1 {
        return None;
    }
    let (hours, minutes) = match digits.len() {
        2 if colons == 0 => (digits.parse::<i32>().ok()?, 0),
        4 => (
            digits[..2].parse::<i32>().ok()?,
            digits[2..].parse::<i32>().ok()?,
        ),
        _ => return None,
    };
    if hours > 23 || minutes > 59 {
        return None;
    }
    Some(sign * (hours * 3_600 + minutes * 60))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 10, 12, 0, 0).unwrap()
    }

    fn q(input: &str) -> Query {
        parse(input, now()).unwrap_or_else(|e| panic!("{input:?}: {}", e.render(input)))
    }

    /// The one filter of a single-qualifier query.
    fn field(input: &str) -> Field {
        let query = q(input);
        assert!(
            query.text.is_empty(),
            "{input:?} left text {:?}",
            query.text
        );
        assert_eq!(query.filters.len(), 1, "{input:?}");
        query.filters[0].field.clone()
    }

    fn err(input: &str) -> ParseError {
        match parse(input, now()) {
            Ok(query) => panic!("{input:?} parsed: {query:?}"),
            Err(e) => e,
        }
    }

    fn assert_err(input: &str, message: &str, span: Range<usize>) {
        let e = err(input);
        assert!(
            e.message.contains(message),
            "{input:?}: {:?} lacks {message:?}",
            e.message
        );
        assert_eq!(e.span, span, "{input:?}: {}", e.render(input));
    }

    fn word(text: &str) -> TextTerm {
        TextTerm {
            text: text.into(),
            phrase: false,
            negated: false,
        }
    }

    fn num(field: NumField, op: CmpOp, value: f64) -> Field {
        Field::Number { field, op, value }
    }

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
    }

    // ---- text ----

    #[test]
    fn words_and_phrases() {
        let query = q("refund  \"pay my bill\"");
        assert_eq!(
            query.text,
            vec![
                word("refund"),
                TextTerm {
                    text: "pay my bill".into(),
                    phrase: true,
                    negated: false
                }
            ]
        );
        assert!(query.filters.is_empty());
    }

    #[test]
    fn escaped_quotes_in_phrase() {
        let query = q(r#""say \"hi\" \\ now\x""#);
        assert_eq!(query.text[0].text, r#"say "hi" \ now\x"#);
        assert!(query.text[0].phrase);
    }

    #[test]
    fn negated_text() {
        let query = q("-refund -\"x y\"");
        assert_eq!(
            query.text,
            vec![
                TextTerm {
                    text: "refund".into(),
                    phrase: false,
                    negated: true
                },
                TextTerm {
                    text: "x y".into(),
                    phrase: true,
                    negated: true
                }
            ]
        );
    }

    #[test]
    fn inner_dash_and_double_dash_are_text() {
        let query = q("a-b --x");
        assert_eq!(query.text[0], word("a-b"));
        assert_eq!(
            query.text[1],
            TextTerm {
                text: "-x".into(),
                phrase: false,
                negated: true
            }
        );
    }

    #[test]
    fn quoted_colon_is_text() {
        let query = q("\"foo:bar\"");
        assert!(query.filters.is_empty());
        assert_eq!(query.text[0].text, "foo:bar");
        assert!(query.text[0].phrase);
    }

    #[test]
    fn urls_and_non_keys_are_text() {
        let query = q("http://x https://example.com/a?b=1 ftp://h 10:30 :) é:x");
        assert!(query.filters.is_empty());
        let texts: Vec<&str> = query.text.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "http://x",
                "https://example.com/a?b=1",
                "ftp://h",
                "10:30",
                ":)",
                "é:x"
            ]
        );
        assert_eq!(q("HTTP:foo").text[0].text, "HTTP:foo");
    }

    #[test]
    fn comparison_like_text() {
        let query = q("a=b x>y <html> => 3>2");
        assert!(query.filters.is_empty());
        let texts: Vec<&str> = query.text.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(texts, ["a=b", "x>y", "<html>", "=>", "3>2"]);
    }

    #[test]
    fn empty_query_and_blank_phrase() {
        assert!(q("").is_empty());
        assert!(q("   \t\n ").is_empty());
        assert!(q("\"\" \"  \"").is_empty());
        assert!(!q("x").is_empty());
        assert!(!q("kind:cdr").is_empty());
    }

    #[test]
    fn unicode_whitespace_separates_terms() {
        let query = q("a\u{3000}b\u{a0}c");
        assert_eq!(query.text.len(), 3);
    }

    // ---- qualifiers ----

    #[test]
    fn kind_normalisation() {
        assert_eq!(field("kind:message"), Field::Kind("message_logged".into()));
        assert_eq!(
            field("kind:message_logged"),
            Field::Kind("message_logged".into())
        );
        assert_eq!(field("kind:call"), Field::Kind("cdr_logged".into()));
        assert_eq!(field("kind:cdr"), Field::Kind("cdr_logged".into()));
        assert_eq!(field("KIND:CDR_Logged"), Field::Kind("cdr_logged".into()));
        assert_eq!(field("kind:rejected"), Field::Kind("rejected".into()));
        assert_eq!(
            field("kind:conversation_started"),
            Field::Kind("conversation_started".into())
        );
    }

    #[test]
    fn session() {
        assert_eq!(field("session:abc-123"), Field::Session("abc-123".into()));
    }

    #[test]
    fn log() {
        assert_eq!(field("log:l1"), Field::Log("l1".into()));
    }

    #[test]
    fn user_quoted() {
        assert_eq!(
            field("user:\"anonymous id\""),
            Field::User("anonymous id".into())
        );
        assert_eq!(field("user:bob"), Field::User("bob".into()));
    }

    #[test]
    fn assistant() {
        assert_eq!(field("Assistant:a-1"), Field::Assistant("a-1".into()));
    }

    #[test]
    fn intent() {
        assert_eq!(field("intent:pay_bill"), Field::Intent("pay_bill".into()));
        assert_eq!(field("intent:#pay_bill"), Field::Intent("pay_bill".into()));
    }

    #[test]
    fn entity() {
        assert_eq!(
            field("entity:sys-number=58213"),
            Field::Entity {
                name: "sys-number".into(),
                value: Some("58213".into())
            }
        );
        assert_eq!(
            field("entity:sys-number"),
            Field::Entity {
                name: "sys-number".into(),
                value: None
            }
        );
        assert_eq!(
            field("entity:@city=\"New York\""),
            Field::Entity {
                name: "city".into(),
                value: Some("New York".into())
            }
        );
        assert_eq!(
            field("entity:\"city=New York\""),
            Field::Entity {
                name: "city".into(),
                value: Some("New York".into())
            }
        );
        assert_err("entity:city=\"New", "unterminated quote", 12..16);
        assert_eq!(
            field("entity:x=a=b"),
            Field::Entity {
                name: "x".into(),
                value: Some("a=b".into())
            }
        );
    }

    #[test]
    fn response_type() {
        assert_eq!(
            field("type:connect_to_agent"),
            Field::ResponseType("connect_to_agent".into())
        );
    }

    #[test]
    fn phone() {
        assert_eq!(
            field("phone:+15551234567"),
            Field::Phone("+15551234567".into())
        );
    }

    #[test]
    fn end_reason_snake_case() {
        assert_eq!(
            field("end_reason:callerHangup"),
            Field::EndReason("caller_hangup".into())
        );
        assert_eq!(
            field("end_reason:caller_hangup"),
            Field::EndReason("caller_hangup".into())
        );
        assert_eq!(
            field("end_reason:CallerHangup"),
            Field::EndReason("caller_hangup".into())
        );
        assert_eq!(
            field("end_reason:SIPError"),
            Field::EndReason("sip_error".into())
        );
        assert_eq!(
            field("end_reason:transfer2Agent"),
            Field::EndReason("transfer2_agent".into())
        );
        assert_eq!(
            field("end_reason:SIPTimeout"),
            Field::EndReason("sip_timeout".into())
        );
        assert_eq!(
            field("end_reason:SIP_TIMEOUT"),
            Field::EndReason("sip_timeout".into())
        );
    }

    /// The query takes every spelling of the normaliser's table to the name ingest stores.
    #[test]
    fn end_reason_uses_the_ingest_normaliser() {
        for (name, spellings) in crate::watson::names::tests::TABLE {
            for spelling in spellings.iter().filter(|s| !s.trim().is_empty()) {
                let spelling = spelling.trim();
                assert_eq!(
                    field(&format!("end_reason:{spelling}")),
                    Field::EndReason((*name).to_owned()),
                    "{spelling}"
                );
                let stored = crate::watson::derive::derive(
                    crate::watson::derive::CDR_LOGGED,
                    &serde_json::json!({"payload": {"call": {"end_reason": spelling}}}),
                );
                assert_eq!(
                    stored.call.and_then(|c| c.end_reason).as_deref(),
                    Some(*name),
                    "{spelling}"
                );
            }
        }
    }

    #[test]
    fn booleans() {
        for (v, b) in [
            ("true", true),
            ("TRUE", true),
            ("yes", true),
            ("1", true),
            ("false", false),
            ("No", false),
            ("0", false),
        ] {
            assert_eq!(field(&format!("failed:{v}")), Field::Failed(b), "{v}");
        }
        assert_eq!(field("transferred:yes"), Field::Transferred(true));
        assert_eq!(field("verified:0"), Field::Verified(false));
    }

    #[test]
    fn failure_takes_words_or_a_quoted_reason() {
        assert_eq!(field("failure:codec"), Field::Failure("codec".into()));
        assert_eq!(
            field("failure:\"no common codec\""),
            Field::Failure("no common codec".into())
        );
        assert!(err("failure:").message.contains("empty value"));
    }

    #[test]
    fn warning() {
        assert_eq!(
            field("warning:CWSMR0033W"),
            Field::Warning("CWSMR0033W".into())
        );
        assert_eq!(field("warning:CWSMR"), Field::Warning("CWSMR".into()));
    }

    #[test]
    fn endpoint() {
        assert_eq!(
            field("endpoint:https://x/hook"),
            Field::Endpoint("https://x/hook".into())
        );
    }

    #[test]
    fn channel() {
        assert_eq!(field("channel:voice"), Field::Channel("voice".into()));
    }

    #[test]
    fn call() {
        assert_eq!(field("call:g-1"), Field::Call("g-1".into()));
    }

    #[test]
    fn custom() {
        assert_eq!(
            field("custom.plan:gold"),
            Field::Custom {
                key: "plan".into(),
                value: Some("gold".into())
            }
        );
        assert_eq!(
            field("custom.plan:*"),
            Field::Custom {
                key: "plan".into(),
                value: None
            }
        );
        assert_eq!(
            field("custom.plan:\"*\""),
            Field::Custom {
                key: "plan".into(),
                value: Some("*".into())
            }
        );
        assert_eq!(
            field("Custom.Order.ID:\"a b\""),
            Field::Custom {
                key: "Order.ID".into(),
                value: Some("a b".into())
            }
        );
        assert_eq!(
            field("custom.url:http://x:80"),
            Field::Custom {
                key: "url".into(),
                value: Some("http://x:80".into())
            }
        );
        assert_eq!(
            field("custom.größe>=1:x"),
            Field::Custom {
                key: "größe>=1".into(),
                value: Some("x".into())
            }
        );
    }

    #[test]
    fn after_dates() {
        assert_eq!(
            field("after:2026-03-10"),
            Field::After(utc(2026, 3, 10, 0, 0, 0))
        );
        assert_eq!(
            field("after:2026-03-10T15:30:00Z"),
            Field::After(utc(2026, 3, 10, 15, 30, 0))
        );
        assert_eq!(
            field("after:2026-03-10T15:30:00+02:00"),
            Field::After(utc(2026, 3, 10, 13, 30, 0))
        );
        assert_eq!(
            field("after:2026-03-10T15:30:00-0530"),
            Field::After(utc(2026, 3, 10, 21, 0, 0))
        );
        assert_eq!(
            field("after:2026-03-10T15:30:00"),
            Field::After(utc(2026, 3, 10, 15, 30, 0))
        );
        assert_eq!(
            field("after:2026-03-10T15:30"),
            Field::After(utc(2026, 3, 10, 15, 30, 0))
        );
        assert_eq!(
            field("after:\"2026-03-10 15:30:00Z\""),
            Field::After(utc(2026, 3, 10, 15, 30, 0))
        );
        let Field::After(t) = field("after:2026-03-10T15:30:00.250Z") else {
            panic!()
        };
        assert_eq!(
            t.timestamp_millis(),
            utc(2026, 3, 10, 15, 30, 0).timestamp_millis() + 250
        );
    }

    #[test]
    fn before_dates() {
        assert_eq!(
            field("before:2026-01-31"),
            Field::Before(utc(2026, 1, 31, 0, 0, 0))
        );
    }

    #[test]
    fn relative_dates() {
        let n = now();
        assert_eq!(field("after:30m"), Field::After(n - TimeDelta::minutes(30)));
        assert_eq!(field("after:2h"), Field::After(n - TimeDelta::hours(2)));
        assert_eq!(field("before:7d"), Field::Before(n - TimeDelta::days(7)));
        assert_eq!(field("after:4w"), Field::After(n - TimeDelta::weeks(4)));
        assert_eq!(field("after:45s"), Field::After(n - TimeDelta::seconds(45)));
        assert_eq!(field("after:0d"), Field::After(n));
    }

    // ---- comparisons ----

    #[test]
    fn durations() {
        use NumField::*;
        assert_eq!(field("duration>60s"), num(Duration, CmpOp::Gt, 60_000.0));
        assert_eq!(field("duration>=800"), num(Duration, CmpOp::Ge, 800.0));
        assert_eq!(field("duration<800ms"), num(Duration, CmpOp::Lt, 800.0));
        assert_eq!(field("duration<=1.5s"), num(Duration, CmpOp::Le, 1_500.0));
        assert_eq!(field("duration=2m"), num(Duration, CmpOp::Eq, 120_000.0));
        assert_eq!(field("duration==1h"), num(Duration, CmpOp::Eq, 3_600_000.0));
        assert_eq!(field("duration>0.4ms"), num(Duration, CmpOp::Gt, 0.0));
        assert_eq!(field("duration>.5S"), num(Duration, CmpOp::Gt, 500.0));
    }

    #[test]
    fn latencies_and_setup() {
        use NumField::*;
        assert_eq!(
            field("latency.assistant>800ms"),
            num(LatencyAssistant, CmpOp::Gt, 800.0)
        );
        assert_eq!(
            field("latency.tts>=1s"),
            num(LatencyTts, CmpOp::Ge, 1_000.0)
        );
        assert_eq!(field("Latency.STT<250"), num(LatencyStt, CmpOp::Lt, 250.0));
        assert_eq!(field("setup>2s"), num(Setup, CmpOp::Gt, 2_000.0));
    }

    #[test]
    fn counts_and_confidence() {
        use NumField::*;
        assert_eq!(field("warnings>0"), num(Warnings, CmpOp::Gt, 0.0));
        assert_eq!(field("turns>=10"), num(Turns, CmpOp::Ge, 10.0));
        assert_eq!(field("confidence<0.5"), num(Confidence, CmpOp::Lt, 0.5));
        assert_eq!(field("confidence>=1"), num(Confidence, CmpOp::Ge, 1.0));
        assert_eq!(field("confidence=0"), num(Confidence, CmpOp::Eq, 0.0));
    }

    #[test]
    fn cmp_op_sql() {
        assert_eq!(CmpOp::Gt.sql(), ">");
        assert_eq!(CmpOp::Ge.sql(), ">=");
        assert_eq!(CmpOp::Lt.sql(), "<");
        assert_eq!(CmpOp::Le.sql(), "<=");
        assert_eq!(CmpOp::Eq.sql(), "=");
        assert_eq!(NumField::LatencyAssistant.name(), "latency.assistant");
        assert!(NumField::Setup.is_duration());
        assert!(!NumField::Turns.is_duration());
    }

    // ---- negation, spans, mixtures ----

    #[test]
    fn negated_filters_and_spans() {
        let input = "refund -kind:cdr  user:\"a b\" -duration>5s";
        let query = q(input);
        assert_eq!(query.text, vec![word("refund")]);
        assert_eq!(query.filters.len(), 3);
        let f = &query.filters;
        assert_eq!(f[0].field, Field::Kind("cdr_logged".into()));
        assert!(f[0].negated);
        assert_eq!(&input[f[0].span.clone()], "-kind:cdr");
        assert!(!f[1].negated);
        assert_eq!(&input[f[1].span.clone()], "user:\"a b\"");
        assert!(f[2].negated);
        assert_eq!(&input[f[2].span.clone()], "-duration>5s");
    }

    #[test]
    fn text_right_after_closing_quote_is_a_new_term() {
        let query = q("user:\"a b\"c \"x\"y");
        assert_eq!(query.filters[0].field, Field::User("a b".into()));
        let texts: Vec<&str> = query.text.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(texts, ["c", "x", "y"]);
    }

    #[test]
    fn quote_inside_bare_word_is_literal() {
        let query = q("don\"t kind:a\"b");
        assert_eq!(query.text, vec![word("don\"t")]);
        assert_eq!(query.filters[0].field, Field::Kind("a\"b".into()));
    }

    // ---- errors ----

    #[test]
    fn error_unterminated_quote() {
        assert_err("a \"pay my", "unterminated quote", 2..9);
        assert_err("user:\"abc", "unterminated quote", 5..9);
        assert_err("-\"x \\\"", "unterminated quote", 1..6);
    }

    #[test]
    fn error_unknown_qualifier() {
        let e = err("refund foo:bar");
        assert_eq!(e.span, 7..10);
        assert!(
            e.message
                .starts_with("unknown qualifier \"foo\"; known: kind, session, log,")
        );
        assert!(e.message.contains("custom.KEY"));
        assert!(e.message.contains("end_reason"));
        assert_err("-Note:x", "unknown qualifier \"Note\"", 1..5);
        assert_err("custom:x", "unknown qualifier \"custom\"", 0..6);
    }

    #[test]
    fn error_empty_value() {
        assert_err("user:", "empty value for user:", 0..5);
        assert_err("a -user: b", "empty value for user:", 2..8);
        assert_err("session:\"\"", "empty value for session:", 0..10);
        assert_err("custom.x:", "empty value for custom.x:", 0..9);
        assert_err("duration>", "empty value for duration>", 0..9);
        assert_err("turns>=", "empty value for turns>=", 0..7);
    }

    #[test]
    fn error_empty_custom_key_and_entity() {
        assert_err("custom.:x", "custom needs a key", 0..7);
        assert_err("entity:=5", "empty entity name", 7..9);
        assert_err("entity:x=", "empty entity value", 7..9);
    }

    #[test]
    fn error_bad_boolean() {
        assert_err("failed:maybe", "bad boolean \"maybe\" for failed:", 7..12);
        assert_err("x verified:\"2\"", "bad boolean", 11..14);
    }

    #[test]
    fn error_bad_numbers() {
        assert_err("duration>abc", "bad duration \"abc\"", 9..12);
        assert_err("duration>5x", "bad duration", 9..11);
        assert_err("duration>1.2.3s", "bad duration", 9..15);
        assert_err("duration>-5", "bad duration", 9..11);
        assert_err("duration>s", "bad duration", 9..10);
        assert_err("setup>99999999999999h", "bad duration", 6..21);
        assert_err("turns>1.5", "bad count \"1.5\"", 6..9);
        assert_err("warnings>=x", "bad count", 10..11);
        assert_err("turns>99999999999999999999", "bad count", 6..26);
        assert_err("confidence<1.5", "bad confidence", 11..14);
        assert_err("confidence<abc", "bad confidence", 11..14);
        assert_err("duration=>5", "bad duration", 9..11);
    }

    #[test]
    fn error_bad_date() {
        assert_err("after:yesterday", "bad date \"yesterday\"", 6..15);
        assert_err("before:2026-13-01", "bad date", 7..17);
        assert_err("after:2026-03-10T25:00", "bad date", 6..22);
        assert_err("after:2026-03-10T10:00+25:00", "bad date", 6..28);
        assert_err("after:7y", "bad date", 6..8);
        assert_err("after:99999999999999999w", "bad date", 6..24);
        assert_err("after:\"7 d\"", "bad date", 6..11);
    }

    #[test]
    fn error_unknown_numeric_field() {
        let e = err("durashun>5");
        assert_eq!(e.span, 0..8);
        assert!(
            e.message
                .starts_with("unknown numeric field \"durashun\"; known: duration,")
        );
        assert!(e.message.contains("latency.assistant"));
        assert_err(
            "x -latency.foo<=.5",
            "unknown numeric field \"latency.foo\"",
            3..14,
        );
        assert_err("foo>", "unknown numeric field", 0..3);
    }

    #[test]
    fn error_bare_dash() {
        assert_err("-", "negates nothing", 0..1);
        assert_err("refund - x", "negates nothing", 7..8);
        assert_err("x -", "negates nothing", 2..3);
    }

    #[test]
    fn error_display_and_render() {
        let input = "ünï foo:bar";
        let e = err(input);
        assert_eq!(e.span, 6..9);
        assert_eq!(e.column, 5);
        assert!(e.to_string().ends_with(" (at column 5)"), "{e}");
        assert!(e.to_string().starts_with("unknown qualifier \"foo\""));
        let rendered = e.render(input);
        let lines: Vec<&str> = rendered.lines().collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0], input);
        assert!(
            lines[1].starts_with("    ^^^ unknown qualifier"),
            "{rendered}"
        );

        let input = "a\tuser:";
        let rendered = err(input).render(input);
        assert_eq!(rendered, "a user:\n  ^^^^^ empty value for user:");

        let input = "x \"abc";
        assert_eq!(
            err(input).render(input),
            "x \"abc\n  ^^^^ unterminated quote"
        );
    }

    // ---- FTS ----

    #[test]
    fn escape_term() {
        assert_eq!(fts_escape_term("refund"), "\"refund\"");
        assert_eq!(fts_escape_term("  a  b\tc "), "\"a\" \"b\" \"c\"");
        assert_eq!(fts_escape_term("say \"hi\""), "\"say\" \"\"\"hi\"\"\"");
        assert_eq!(fts_escape_term("NOT"), "\"NOT\"");
        assert_eq!(fts_escape_term("a*"), "\"a*\"");
        assert_eq!(fts_escape_term(""), "");
        assert_eq!(fts_escape_term(" \t\n"), "");
        assert_eq!(fts_escape_term("a\0b"), "\"a\" \"b\"");
    }

    #[test]
    fn fts_match_and_exclude() {
        let query = q("refund \"pay \\\"my\\\" bill\" -spam -\"x y\" kind:cdr NEAR(a");
        assert_eq!(
            query.fts_match().as_deref(),
            Some("\"refund\" \"pay \"\"my\"\" bill\" \"NEAR(a\"")
        );
        assert_eq!(query.fts_exclude().as_deref(), Some("\"spam\" OR \"x y\""));

        let only_filters = q("kind:cdr");
        assert_eq!(only_filters.fts_match(), None);
        assert_eq!(only_filters.fts_exclude(), None);

        let only_negated = q("-a");
        assert_eq!(only_negated.fts_match(), None);
        assert_eq!(only_negated.fts_exclude().as_deref(), Some("\"a\""));

        // Hand-built terms with whitespace stay grouped under OR.
        let built = Query {
            text: vec![
                TextTerm {
                    text: "a b".into(),
                    phrase: false,
                    negated: true,
                },
                TextTerm {
                    text: "c".into(),
                    phrase: false,
                    negated: true,
                },
                TextTerm {
                    text: "  ".into(),
                    phrase: true,
                    negated: false,
                },
            ],
            filters: vec![],
        };
        assert_eq!(
            built.fts_exclude().as_deref(),
            Some("(\"a\" \"b\") OR \"c\"")
        );
        assert_eq!(built.fts_match(), None);
    }

    #[test]
    fn tsquery_match_and_exclude() {
        let query =
            q("refund \"pay \\\"my\\\" bill\" -spam -\"x y\" kind:cdr it's Caf\u{e9} \u{1f44b}");
        // Words as the index cuts them, quoted (so no operator reaches `to_tsquery`); an operand
        // without a word is left for `to_tsquery` to leave out, as FTS5 does.
        assert_eq!(
            query.tsquery_match().as_deref(),
            Some("'refund' & 'pay my bill' & 'it s' & 'cafe' & '-'")
        );
        assert_eq!(query.tsquery_exclude().as_deref(), Some("'spam' | 'x y'"));
        assert_eq!(q("-a").tsquery_match(), None);
        assert_eq!(q("kind:cdr").tsquery_exclude(), None);
    }

    #[test]
    fn serializes() {
        let query = q("x after:2026-03-10 duration>1s");
        let json = serde_json::to_value(&query).unwrap();
        assert_eq!(json["filters"][0]["field"]["field"], "after");
        assert_eq!(json["filters"][0]["field"]["value"], "2026-03-10T00:00:00Z");
        assert_eq!(json["filters"][1]["field"]["value"]["field"], "duration");
        assert_eq!(json["filters"][1]["field"]["value"]["op"], "gt");
        assert_eq!(json["filters"][1]["span"]["start"], 19);
    }

    #[test]
    fn qualifiers_list_covers_every_key() {
        for (key, _) in KEYS {
            assert!(
                QUALIFIERS.iter().any(|(q, _)| *q == format!("{key}:")),
                "{key}"
            );
        }
        for (name, _) in NUM_FIELDS {
            assert!(
                QUALIFIERS
                    .iter()
                    .any(|(q, _)| q.starts_with(name)
                        && q[name.len()..].starts_with(['<', '>', '='])),
                "{name}"
            );
        }
    }

    fn fts_db() -> rusqlite::Connection {
        let db = rusqlite::Connection::open_in_memory().unwrap();
        db.execute_batch(
            "CREATE VIRTUAL TABLE t USING fts5(a);
             INSERT INTO t(a) VALUES ('refund please pay my bill');",
        )
        .unwrap();
        db
    }

    fn fts_count(db: &rusqlite::Connection, query: &str) -> rusqlite::Result<i64> {
        db.query_row("SELECT count(*) FROM t WHERE t MATCH ?1", [query], |r| {
            r.get(0)
        })
    }

    #[test]
    fn fts_hostile_inputs_are_valid() {
        let db = fts_db();
        for s in [
            "\"",
            "\"\"",
            "-",
            "*",
            "^",
            ":",
            "(",
            ")",
            "AND",
            "OR",
            "NOT",
            "NEAR",
            "NEAR(a b)",
            "a:b",
            "{a b}",
            "a + b",
            "a\0b",
            "\u{0}",
            "x\"y\"z",
            "'",
            "\\",
            "col:refund",
        ] {
            let escaped = fts_escape_term(s);
            if !escaped.is_empty() {
                fts_count(&db, &escaped).unwrap_or_else(|e| panic!("{s:?} → {escaped:?}: {e}"));
            }
        }
        assert_eq!(fts_count(&db, &fts_escape_term("REFUND bill")).unwrap(), 1);
        let query = q("refund \"pay my\" -\"my pay\" -spam");
        assert_eq!(fts_count(&db, &query.fts_match().unwrap()).unwrap(), 1);
        assert_eq!(fts_count(&db, &query.fts_exclude().unwrap()).unwrap(), 0);
        let reversed = q("\"my pay\"");
        assert_eq!(fts_count(&db, &reversed.fts_match().unwrap()).unwrap(), 0);
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in any::<String>()) {
            match parse(&s, now()) {
                Ok(query) => {
                    for f in &query.filters {
                        prop_assert!(f.span.start < f.span.end && f.span.end <= s.len());
                        prop_assert!(s.is_char_boundary(f.span.start) && s.is_char_boundary(f.span.end));
                    }
                }
                Err(e) => {
                    prop_assert!(e.span.start <= e.span.end && e.span.end <= s.len());
                    prop_assert!(s.is_char_boundary(e.span.start) && s.is_char_boundary(e.span.end));
                    let _ = e.render(&s);
                }
            }
        }

        #[test]
        fn parse_never_panics_on_query_like_input(
            s in r#"[-a-z"\\:<>=. 0-9*()_]{0,40}"#
        ) {
            let _ = parse(&s, now()).map(|q| (q.fts_match(), q.fts_exclude()));
        }

        #[test]
        fn escaped_terms_are_valid_fts5(s in any::<String>()) {
            let db = fts_db();
            let escaped = fts_escape_term(&s);
            if !escaped.is_empty() {
                prop_assert!(fts_count(&db, &escaped).is_ok(), "{:?} → {:?}", s, escaped);
            }
        }

        #[test]
        fn parsed_queries_are_valid_fts5(s in r#"([-"\\ a-zA-Z*^():+{}]|AND|OR|NOT|NEAR|\PC){0,30}"#) {
            let db = fts_db();
            if let Ok(query) = parse(&s, now()) {
                for m in [query.fts_match(), query.fts_exclude()].into_iter().flatten() {
                    prop_assert!(fts_count(&db, &m).is_ok(), "{:?} → {:?}", s, m);
                }
            }
        }

        #[test]
        fn escaped_tokens_match_their_document(
            tokens in prop::collection::vec("[a-zA-Z0-9]{1,12}", 1..6),
            noise in prop::collection::vec("[a-z]{1,8}", 0..4),
        ) {
            let db = rusqlite::Connection::open_in_memory().unwrap();
            db.execute_batch("CREATE VIRTUAL TABLE t USING fts5(a)").unwrap();
            let doc = format!("{} {}", noise.join(" "), tokens.join(" "));
            db.execute("INSERT INTO t(a) VALUES (?1)", [&doc]).unwrap();
            let text = tokens.join(" ");
            prop_assert_eq!(fts_count(&db, &fts_escape_term(&text)).unwrap(), 1);
            let phrase = q(&format!("\"{text}\"")).fts_match().unwrap();
            prop_assert_eq!(fts_count(&db, &phrase).unwrap(), 1);
            let words = q(&text).fts_match().unwrap();
            prop_assert_eq!(fts_count(&db, &words).unwrap(), 1);
        }
    }
}
