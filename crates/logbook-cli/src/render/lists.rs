//! The table columns of each list `search` and `custom-data` print; other formats print every field.

use anyhow::Result;

use logbook_core::query::custom::{CallMatch, KeyCount, ValueCount};
use logbook_core::query::search::{CallRow, ConversationRow, EventRow, MessageRow};

use super::{clip, duration_ms, opt, rows, time_ms};
use crate::args::OutputFormat;

pub fn events(format: OutputFormat, rows: &[EventRow]) -> Result<()> {
    rows::print(
        format,
        rows,
        &["id", "received", "status", "kind", "endpoint", "summary"],
        |r| {
            let id = if r.source == "rejected" {
                format!("r{}", r.id)
            } else {
                r.id.to_string()
            };
            vec![
                id,
                time_ms(r.received_at),
                r.status.to_string(),
                r.kind.clone(),
                opt(&r.endpoint),
                r.summary.clone(),
            ]
        },
    )
}

pub fn messages(format: OutputFormat, rows: &[MessageRow]) -> Result<()> {
    rows::print(
        format,
        rows,
        &["event", "time", "session", "turn", "user", "assistant"],
        |m| {
            vec![
                m.event_id.to_string(),
                opt(&m.request_ts),
                clip(&opt(&m.session_id), 13),
                opt(&m.turn_count),
                opt(&m.user_text),
                m.assistant_text
                    .as_deref()
                    .and_then(|t| t.lines().next())
                    .unwrap_or_default()
                    .to_owned(),
            ]
        },
    )
}

pub fn calls(format: OutputFormat, rows: &[CallRow]) -> Result<()> {
    rows::print(
        format,
        rows,
        &[
            "call",
            "start",
            "caller",
            "duration",
            "end",
            "failed",
            "transfer",
            "max WA/TTS/STT ms",
            "warnings",
            "custom",
        ],
        |c| {
            vec![
                opt(&c.global_session_id),
                opt(&c.start_ts),
                opt(&c.caller),
                duration_ms(c.duration_ms),
                opt(&c.end_reason),
                opt(&c.failure_occurred),
                opt(&c.transfer_occurred),
                format!(
                    "{}/{}/{}",
                    opt(&c.max_assistant_ms),
                    opt(&c.max_tts_ms),
                    opt(&c.max_stt_ms)
                ),
                c.warning_count.to_string(),
                c.custom_data
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(" "),
            ]
        },
    )
}

pub fn conversations(format: OutputFormat, rows: &[ConversationRow]) -> Result<()> {
    rows::print(
        format,
        rows,
        &["session", "last", "turns", "channel", "user", "first text"],
        |c| {
            vec![
                c.session_id.clone(),
                c.last_at.map(time_ms).unwrap_or_default(),
                c.turns.to_string(),
                opt(&c.channel),
                opt(&c.user_id),
                opt(&c.first_text),
            ]
        },
    )
}

pub fn custom_keys(format: OutputFormat, rows: &[KeyCount]) -> Result<()> {
    rows::print(format, rows, &["key", "calls", "distinct values"], |k| {
        vec![
            k.key.clone(),
            k.calls.to_string(),
            k.distinct_values.to_string(),
        ]
    })
}

pub fn custom_values(format: OutputFormat, rows: &[ValueCount]) -> Result<()> {
    rows::print(format, rows, &["value", "calls"], |v| {
        vec![v.value.to_string(), v.calls.to_string()]
    })
}

pub fn custom_calls(format: OutputFormat, rows: &[CallMatch]) -> Result<()> {
    rows::print(
        format,
        rows,
        &["call", "start", "caller", "duration", "end"],
        |c| {
            vec![
                opt(&c.global_session_id),
                opt(&c.start_ts),
                opt(&c.caller),
                duration_ms(c.duration_ms),
                opt(&c.end_reason),
            ]
        },
    )
}
