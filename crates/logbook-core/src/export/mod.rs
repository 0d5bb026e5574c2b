//! Exports. Every export streams rows from a store's reader ([`Db`]) page by page and never holds the
//! whole result.
//!
//! `raw` is the round-trip format of `logbook import`: every accepted body (rejected requests are
//! not events), one compact JSON per line, in arrival order.

use std::io::Write;

use rusqlite::types::Value as SqlValue;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::query::search::{self, CallRow, EventRow, MessageRow, Search};
use crate::query::{Db, QueryError};

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("cannot write the export: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Query(#[from] QueryError),
    #[error("{0}")]
    Parse(#[from] crate::query::parse::ParseError),
    #[error("cannot write the CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("the raw export is NDJSON only, and takes no query (it is every accepted body)")]
    RawIsWhole,
}

/// Writes every stored body as one line of compact JSON; `progress` is told each row written.
/// Returns the number of rows.
pub fn raw<'a>(
    db: impl Into<Db<'a>>,
    out: &mut dyn Write,
    progress: &dyn Fn(u64),
) -> Result<u64, ExportError> {
    let db = db.into();
    let mut n = 0u64;
    let mut line = Vec::new();
    let mut after = i64::MIN;
    loop {
        let page = db.rows(
            &format!(
                "SELECT id, {} FROM events e WHERE id > ? ORDER BY id LIMIT {EXPORT_PAGE}",
                db.dialect().body("e")
            ),
            &[after.into()],
            |r| {
                let body = crate::store::stored_body::unpack(r.get_ref(1)?, r.get(2)?, 1)?;
                Ok((r.get::<_, i64>(0)?, body))
            },
        )?;
        for (id, body) in &page {
            line.clear();
            compact_json(body, &mut line);
            line.push(b'\n');
            out.write_all(&line)?;
            n += 1;
            progress(n);
            after = *id;
        }
        if page.len() < EXPORT_PAGE {
            break;
        }
    }
    out.flush()?;
    Ok(n)
}

/// Removes the whitespace between JSON tokens, leaving strings, numbers and key order exactly as
/// they were (re-serialising would reorder nothing here but could rewrite numbers).
pub fn compact_json(json: &[u8], out: &mut Vec<u8>) {
    out.reserve(json.len());
    let (mut in_string, mut escaped) = (false, false);
    for &b in json {
        if in_string {
            out.push(b);
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
            if b == b'"' {
                in_string = true;
            }
            out.push(b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_that_a_spreadsheet_would_run_are_defused() {
        use serde_json::json;
        for text in [
            "=HYPERLINK(\"http://evil\",\"x\")",
            "+1 555 0100",
            "-2+3",
            "@SUM(A1)",
            "\tx",
            "\rx",
        ] {
            assert_eq!(cell(&json!(text)), format!("'{text}"));
        }
        assert_eq!(cell(&json!("a=b")), "a=b");
        assert_eq!(cell(&json!(-5)), "-5", "a number stays a number");
        assert_eq!(cell(&json!(-0.25)), "-0.25");
        assert_eq!(cell(&json!(null)), "");
        assert_eq!(cell(&json!(true)), "true");
    }

    #[test]
    fn the_sink_writes_pretty_json_as_serde_json_does_and_csv_with_every_column() {
        let rows = vec![
            serde_json::json!({"a": 1, "b": {"c": "x\ny", "d": []}, "e": [1, {"f": null}]}),
            serde_json::json!({"a": 2.5, "b": {"c": "=1+1", "g": {"h": true}}}),
        ];
        for rows in [&rows[..], &rows[..1], &[]] {
            let mut out = Vec::new();
            let mut sink = Sink::new(Format::Json, &mut out, Vec::new())
                .unwrap()
                .pretty();
            rows.iter().try_for_each(|r| sink.write(r)).unwrap();
            assert_eq!(sink.finish().unwrap(), rows.len() as u64);
            let expected = serde_json::to_string_pretty(rows).unwrap() + "\n";
            assert_eq!(String::from_utf8(out).unwrap(), expected);
        }
        let columns = columns_of(&rows);
        assert_eq!(columns, ["a", "b.c", "b.d", "e", "b.g.h"]);
        let mut out = Vec::new();
        let mut sink = Sink::new(Format::Csv, &mut out, columns).unwrap();
        rows.iter().try_for_each(|r| sink.write(r)).unwrap();
        sink.finish().unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "a,b.c,b.d,e,b.g.h\n1,\"x\ny\",[],\"[1,{\"\"f\"\":null}]\",\n2.5,'=1+1,,,true\n"
        );
    }

    #[test]
    fn compacting_keeps_strings_and_order() {
        let mut out = Vec::new();
        compact_json(
            b"{ \"b\" : \"a \\\" b\\\\\",\n  \"a\": [1, 2.50, {\"x\": \" \"}] }",
            &mut out,
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"b":"a \" b\\","a":[1,2.50,{"x":" "}]}"#
        );
    }
}

/// What to export: the rows of one list, for the current filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Every accepted body, one compact JSON per line: what `logbook import` reads back.
    Raw,
    /// Every request, accepted and rejected, one row each.
    Events,
    /// One row per conversation turn.
    Messages,
    /// One row per call record, custom-data keys as columns.
    Calls,
    /// One row per turn of each call, with the message it links to.
    CallTurns,
    /// One row per custom-data key of each call.
    CustomData,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Json,
    Ndjson,
    Csv,
}

impl Kind {
    /// Every kind, by its name (as in the API, the CLI and file names).
    pub const NAMES: [&str; 6] = [
        "raw",
        "events",
        "messages",
        "calls",
        "call_turns",
        "custom_data",
    ];
}

impl Format {
    /// Every format, by its name.
    pub const NAMES: [&str; 3] = ["json", "ndjson", "csv"];

    /// The file name extension of an export in this format.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Ndjson => "ndjson",
            Self::Csv => "csv",
        }
    }
}

/// The serde name of a unit variant, as in JSON and on the command line.
fn name_of(value: impl serde::Serialize) -> &'static str {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => [Kind::NAMES.as_slice(), Format::NAMES.as_slice()]
            .concat()
            .into_iter()
            .find(|n| *n == name)
            .unwrap_or("export"),
        _ => "export",
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(name_of(self))
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(name_of(self))
    }
}

impl std::str::FromStr for Kind {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        serde_json::from_value(serde_json::Value::String(text.to_owned()))
            .map_err(|_| format!("unknown export kind {text:?}: {}", Self::NAMES.join(", ")))
    }
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        serde_json::from_value(serde_json::Value::String(text.to_owned()))
            .map_err(|_| format!("unknown export format {text:?}: {}", Self::NAMES.join(", ")))
    }
}

/// Rows fetched per page while streaming.
const EXPORT_PAGE: usize = 1_000;

/// Streams the rows of `kind` matching `query` to `out` in `format`, oldest first, page by page;
/// `progress` is told the rows written so far. Returns the row count.
pub fn export<'a>(
    db: impl Into<Db<'a>>,
    kind: Kind,
    query: &str,
    format: Format,
    out: &mut dyn Write,
    progress: &dyn Fn(u64),
) -> Result<u64, ExportError> {
    let db = db.into();
    if kind == Kind::Raw {
        if !query.trim().is_empty() || format != Format::Ndjson {
            return Err(ExportError::RawIsWhole);
        }
        return raw(db, out, progress);
    }
    let columns = columns(db, kind, query)?;
    let mut sink = Sink::new(format, out, columns)?;
    let mut search = Search {
        query: query.to_owned(),
        cursor: None,
        limit: EXPORT_PAGE,
        facets: false,
        hits: false,
    };
    loop {
        let next = match kind {
            Kind::Raw => unreachable!("handled above"),
            Kind::Events => {
                let page = search::events(db, &search)?;
                page.items.iter().try_for_each(|r| sink.write(r))?;
                page.next_cursor
            }
            Kind::Messages => {
                let page = search::messages(db, &search, true)?;
                page.items.iter().try_for_each(|r| sink.write(r))?;
                page.next_cursor
            }
            Kind::Calls | Kind::CallTurns | Kind::CustomData => {
                let page = search::calls(db, &search, true)?;
                match kind {
                    Kind::Calls => page
                        .items
                        .iter()
                        .try_for_each(|r| sink.write(&CallExport::from(r)))?,
                    Kind::CallTurns => {
                        for turn in call_turns(db, &page.items)? {
                            sink.write(&turn)?;
                        }
                    }
                    _ => {
                        for call in &page.items {
                            for (key, value) in &call.custom_data {
                                sink.write(&CustomDataExport {
                                    call_event_id: call.event_id,
                                    global_session_id: call.global_session_id.clone(),
                                    start_ts: call.start_ts.clone(),
                                    key: key.clone(),
                                    value: value.clone(),
                                })?;
                            }
                        }
                    }
                }
                page.next_cursor
            }
        };
        progress(sink.rows);
        match next {
            Some(cursor) => search.cursor = Some(cursor),
            None => break,
        }
    }
    sink.finish()
}

/// A call for export: its custom data becomes `custom.KEY` columns in CSV.
#[derive(Serialize)]
struct CallExport<'a> {
    #[serde(flatten)]
    call: CallFields<'a>,
    custom: &'a Map<String, Value>,
}

#[derive(Serialize)]
struct CallFields<'a> {
    event_id: i64,
    global_session_id: &'a Option<String>,
    start_ts: &'a Option<String>,
    caller: &'a Option<String>,
    callee: &'a Option<String>,
    primary_phone_number: &'a Option<String>,
    duration_ms: Option<i64>,
    end_reason: &'a Option<String>,
    failure_occurred: Option<bool>,
    failure_details: &'a Option<String>,
    transfer_occurred: Option<bool>,
    max_assistant_ms: Option<i64>,
    max_tts_ms: Option<i64>,
    max_stt_ms: Option<i64>,
    setup_ms: Option<i64>,
    warning_count: i64,
    turn_count: i64,
    endpoint: &'a str,
}

impl<'a> From<&'a CallRow> for CallExport<'a> {
    fn from(c: &'a CallRow) -> Self {
        Self {
            call: CallFields {
                event_id: c.event_id,
                global_session_id: &c.global_session_id,
                start_ts: &c.start_ts,
                caller: &c.caller,
                callee: &c.callee,
                primary_phone_number: &c.primary_phone_number,
                duration_ms: c.duration_ms,
                end_reason: &c.end_reason,
                failure_occurred: c.failure_occurred,
                failure_details: &c.failure_details,
                transfer_occurred: c.transfer_occurred,
                max_assistant_ms: c.max_assistant_ms,
                max_tts_ms: c.max_tts_ms,
                max_stt_ms: c.max_stt_ms,
                setup_ms: c.setup_ms,
                warning_count: c.warning_count,
                turn_count: c.turn_count,
                endpoint: &c.endpoint,
            },
            custom: &c.custom_data,
        }
    }
}

#[derive(Serialize, Default)]
struct CustomDataExport {
    call_event_id: i64,
    global_session_id: Option<String>,
    start_ts: Option<String>,
    key: String,
    value: Value,
}

/// One turn of a call, with the message it links to (if that message has arrived).
#[derive(Debug, Clone, Default, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct CallTurnExport {
    pub call_event_id: i64,
    pub global_session_id: Option<String>,
    pub seq: i64,
    pub summary_index: i64,
    pub log_id: Option<String>,
    pub request_type: Option<String>,
    pub response_types: Option<String>,
    pub start_ts: Option<String>,
    pub assistant_ms: Option<i64>,
    pub stt_ms: Option<i64>,
    pub stt_confidence: Option<f64>,
    pub tts_ms: Option<i64>,
    pub barge_in: Option<bool>,
    pub message_event_id: Option<i64>,
    pub session_id: Option<String>,
    pub user_text: Option<String>,
}

fn call_turns(db: Db<'_>, calls: &[CallRow]) -> Result<Vec<CallTurnExport>, ExportError> {
    if calls.is_empty() {
        return Ok(Vec::new());
    }
    let ids =
        serde_json::to_string(&calls.iter().map(|c| c.event_id).collect::<Vec<_>>()).expect("ids");
    let sql = format!(
        "SELECT t.event_id, c.global_session_id, t.seq, t.summary_index, t.log_id, t.request_type,
                t.response_types, t.start_ts, t.assistant_ms, t.stt_ms, t.stt_confidence, t.tts_ms, t.barge_in,
                m.event_id, m.session_id, m.user_text
         FROM call_turns t JOIN calls c ON c.event_id = t.event_id
         LEFT JOIN messages m ON m.event_id = (SELECT max(event_id) FROM messages WHERE log_id = t.log_id)
         WHERE t.event_id IN ({})
         ORDER BY t.event_id, t.seq",
        db.dialect().integers()
    );
    Ok(db.rows(&sql, &[SqlValue::Text(ids)], |r| {
        Ok(CallTurnExport {
            call_event_id: r.get(0)?,
            global_session_id: r.get(1)?,
            seq: r.get(2)?,
            summary_index: r.get(3)?,
            log_id: r.get(4)?,
            request_type: r.get(5)?,
            response_types: r.get(6)?,
            start_ts: r.get(7)?,
            assistant_ms: r.get(8)?,
            stt_ms: r.get(9)?,
            stt_confidence: r.get(10)?,
            tts_ms: r.get(11)?,
            barge_in: r.get(12)?,
            message_event_id: r.get(13)?,
            session_id: r.get(14)?,
            user_text: r.get(15)?,
        })
    })?)
}

/// CSV columns: the row type's fields, flattened to dotted names; for calls, one `custom.KEY` column
/// per custom-data key among the exported calls, sorted.
fn columns(db: Db<'_>, kind: Kind, query: &str) -> Result<Vec<String>, ExportError> {
    let template = match kind {
        Kind::Raw => return Ok(Vec::new()),
        Kind::Events => serde_json::to_value(EventRow::default()),
        Kind::Messages => serde_json::to_value(MessageRow::default()),
        Kind::Calls => serde_json::to_value(CallExport::from(&CallRow::default())),
        Kind::CallTurns => serde_json::to_value(CallTurnExport::default()),
        Kind::CustomData => serde_json::to_value(CustomDataExport::default()),
    }
    .expect("rows serialise");
    let mut columns: Vec<String> = flatten(&template).into_iter().map(|(k, _)| k).collect();
    if kind == Kind::Calls {
        let parsed = crate::query::parse::parse(query, chrono::Utc::now())?;
        let cond = crate::query::filter::compile(
            &parsed,
            crate::query::filter::Subject::Calls,
            db.dialect(),
        );
        let sql = format!(
            "SELECT DISTINCT {} FROM call_custom_data d WHERE d.event_id IN
               (SELECT c.event_id FROM calls c JOIN events e ON e.id = c.event_id WHERE {}) ORDER BY 1",
            db.dialect().text_key("d.key"),
            cond.text
        );
        for key in db.rows(&sql, &cond.params, |r| r.get::<_, String>(0))? {
            columns.push(format!("custom.{key}"));
        }
    }
    Ok(columns)
}

/// Nested objects become dotted names; arrays stay whole, as JSON text.
pub fn flatten(value: &Value) -> Vec<(String, Value)> {
    fn walk(prefix: &str, value: &Value, out: &mut Vec<(String, Value)>) {
        match value {
            Value::Object(map) if !prefix.is_empty() || !map.is_empty() => {
                for (k, v) in map {
                    let name = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&name, v, out);
                }
            }
            other => out.push((prefix.to_owned(), other.clone())),
        }
    }
    let mut out = Vec::new();
    walk("", value, &mut out);
    out
}

/// One CSV cell: strings bare, null empty, anything else as JSON. A string a spreadsheet would read
/// as a formula (it starts with `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading `'`,
/// as OWASP advises against CSV injection; numbers, written as numbers, are left alone. The one
/// formatter of every CSV the CLI and the exports write.
pub fn cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) if s.starts_with(FORMULA_STARTS) => format!("'{s}"),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// What a spreadsheet takes for the start of a formula.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// CSV columns for rows already in hand: every flattened field name, in order of first appearance
/// (so the `custom_data.KEY` of every row has a column, not only the first row's).
pub fn columns_of<'v>(rows: impl IntoIterator<Item = &'v Value>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    let mut columns = Vec::new();
    for row in rows {
        for (name, _) in flatten(row) {
            if seen.insert(name.clone()) {
                columns.push(name);
            }
        }
    }
    columns
}

/// A CSV writer's I/O error is the output's, as in the other formats (so a closed pipe is seen as
/// one); anything else is the CSV's.
fn csv_error(err: csv::Error) -> ExportError {
    if !err.is_io_error() {
        return ExportError::Csv(err);
    }
    match err.into_kind() {
        csv::ErrorKind::Io(io) => ExportError::Io(io),
        _ => unreachable!("is_io_error"),
    }
}

/// Writes rows as a JSON array, NDJSON, or CSV with a header (cells by [`cell`]); holds one row at
/// a time. Every row writer of the exports and the CLI.
pub struct Sink<'a> {
    format: Format,
    out: Out<'a>,
    columns: Vec<String>,
    rows: u64,
    pretty: bool,
}

enum Out<'a> {
    Plain(&'a mut dyn Write),
    Csv(Box<csv::Writer<&'a mut dyn Write>>),
}

impl<'a> Sink<'a> {
    /// Starts the output: `[` for JSON, the header row (`columns`) for CSV.
    pub fn new(
        format: Format,
        out: &'a mut dyn Write,
        columns: Vec<String>,
    ) -> Result<Self, ExportError> {
        let out = match format {
            Format::Json => {
                out.write_all(b"[")?;
                Out::Plain(out)
            }
            Format::Ndjson => Out::Plain(out),
            Format::Csv => {
                let mut writer = csv::Writer::from_writer(out);
                writer.write_record(&columns).map_err(csv_error)?;
                Out::Csv(Box::new(writer))
            }
        };
        Ok(Self {
            format,
            out,
            columns,
            rows: 0,
            pretty: false,
        })
    }

    /// JSON rows indented for reading, the array exactly as `serde_json::to_writer_pretty` writes
    /// it (plus a final line break); other formats are unaffected.
    pub fn pretty(mut self) -> Self {
        self.pretty = true;
        self
    }

    /// The rows written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    pub fn write<T: Serialize>(&mut self, row: &T) -> Result<(), ExportError> {
        let value = serde_json::to_value(row).map_err(std::io::Error::from)?;
        match &mut self.out {
            Out::Plain(out) => {
                if self.format == Format::Json {
                    out.write_all(if self.rows == 0 { b"\n" } else { b",\n" })?;
                }
                if self.pretty && self.format == Format::Json {
                    // Strings escape their line breaks: every line break here is between tokens.
                    let text =
                        serde_json::to_string_pretty(&value).map_err(std::io::Error::from)?;
                    for (i, line) in text.split('\n').enumerate() {
                        out.write_all(if i == 0 { b"  " } else { b"\n  " })?;
                        out.write_all(line.as_bytes())?;
                    }
                } else {
                    serde_json::to_writer(&mut **out, &value).map_err(std::io::Error::from)?;
                }
                if self.format == Format::Ndjson {
                    out.write_all(b"\n")?;
                }
            }
            Out::Csv(writer) => {
                let flat: std::collections::HashMap<String, Value> =
                    flatten(&value).into_iter().collect();
                let record = self
                    .columns
                    .iter()
                    .map(|c| flat.get(c).map(cell).unwrap_or_default());
                writer.write_record(record).map_err(csv_error)?;
            }
        }
        self.rows += 1;
        Ok(())
    }

    /// Ends the output (`]` for JSON) and flushes it; returns the row count.
    pub fn finish(self) -> Result<u64, ExportError> {
        match self.out {
            Out::Plain(out) => {
                if self.format == Format::Json {
                    out.write_all(if self.rows == 0 { b"]\n" } else { b"\n]\n" })?;
                }
                out.flush()?;
            }
            Out::Csv(mut writer) => writer.flush()?,
        }
        Ok(self.rows)
    }
}
