//! `logbook report`'s output: sections of aligned columns, or one CSV row per figure (written by
//! the core's export writer, which defuses spreadsheet formulas in values taken from payloads).

use std::io::{self, Write};

use anyhow::Result;
use serde::Serialize;
use serde_json::{Value, json};

use logbook_core::export::Format;
use logbook_core::query::trends::{Count, Percentiles, Period, Trends};

use super::{table as columns, time_ms};

const CELL_MAX: usize = 60;

fn value_label(c: &Count) -> String {
    match (&c.value, c.other) {
        (_, true) => "(others)".into(),
        (Some(v), false) => v.clone(),
        (None, false) => "(none)".into(),
    }
}

fn pct(p: Option<i64>) -> String {
    p.map(|v| v.to_string()).unwrap_or_else(|| "-".into())
}

fn rate(count: i64, of: i64) -> String {
    if of == 0 {
        "-".into()
    } else {
        format!("{:.1}%", count as f64 * 100.0 / of as f64)
    }
}

fn section(
    out: &mut dyn Write,
    title: &str,
    header: &[&str],
    rows: &[Vec<String>],
) -> io::Result<()> {
    writeln!(out, "\n{title}")?;
    if rows.is_empty() {
        writeln!(out, "  (nothing in the range)")
    } else {
        out.write_all(columns(header, rows, CELL_MAX).as_bytes())
    }
}

/// The counts of two periods side by side (the previous one blank when there is none).
fn counts(
    out: &mut dyn Write,
    title: &str,
    current: &[Count],
    previous: Option<&[Count]>,
) -> io::Result<()> {
    let rows: Vec<Vec<String>> = current
        .iter()
        .map(|c| {
            let mut row = vec![value_label(c), c.count.to_string()];
            if let Some(previous) = previous {
                let before = previous
                    .iter()
                    .find(|p| p.value == c.value && p.other == c.other)
                    .map_or(0, |p| p.count);
                row.push(before.to_string());
            }
            row
        })
        .collect();
    let header: &[&str] = if previous.is_some() {
        &["value", "count", "previous"]
    } else {
        &["value", "count"]
    };
    section(out, title, header, &rows)
}

pub fn table(out: &mut dyn Write, t: &Trends) -> io::Result<()> {
    let c = &t.current;
    let p = t.previous.as_ref();
    let range = |period: &Period| {
        format!(
            "{} – {} UTC",
            time_ms(period.start_ms),
            time_ms(period.end_ms)
        )
    };
    writeln!(out, "range        {}, by {}", range(c), c.bucket.name())?;
    if let Some(p) = p {
        writeln!(out, "compared to  {}", range(p))?;
    }
    writeln!(out, "percentiles  {}", t.method)?;

    let mut rows = Vec::new();
    let totals = |period: &Period| {
        let x = &period.totals;
        [
            x.messages,
            x.conversations,
            x.calls,
            x.failed,
            x.transferred,
            x.with_warnings,
            x.rejected,
        ]
    };
    let names = [
        "messages",
        "conversations",
        "calls",
        "failed",
        "transferred",
        "with_warnings",
        "rejected",
    ];
    for (i, name) in names.iter().enumerate() {
        let mut row = vec![name.to_string(), totals(c)[i].to_string()];
        if let Some(p) = p {
            row.push(totals(p)[i].to_string());
            let change = t.changes.iter().find(|ch| ch.measure == *name);
            row.push(change_text(change));
        }
        rows.push(row);
    }
    let header: &[&str] = if p.is_some() {
        &["total", "count", "previous", "change"]
    } else {
        &["total", "count"]
    };
    section(out, "Totals", header, &rows)?;
    writeln!(
        out,
        "failure rate {}, transfer rate {} of calls",
        rate(c.totals.failed, c.totals.calls),
        rate(c.totals.transferred, c.totals.calls)
    )?;

    let rows: Vec<Vec<String>> = c
        .latency
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let mut row = vec![
                l.name.clone(),
                l.overall.n.to_string(),
                pct(l.overall.p50),
                pct(l.overall.p95),
                pct(l.overall.p99),
            ];
            if let Some(p) = p {
                let o: &Percentiles = &p.latency[i].overall;
                row.extend([o.n.to_string(), pct(o.p50), pct(o.p95), pct(o.p99)]);
                let change = t
                    .changes
                    .iter()
                    .find(|ch| ch.measure == format!("{}.p95", l.name));
                row.push(change_text(change));
            }
            row
        })
        .collect();
    let header: &[&str] = if p.is_some() {
        &[
            "latency (ms)",
            "n",
            "p50",
            "p95",
            "p99",
            "prev n",
            "prev p50",
            "prev p95",
            "prev p99",
            "p95 change",
        ]
    } else {
        &["latency (ms)", "n", "p50", "p95", "p99"]
    };
    section(out, "Latency", header, &rows)?;

    let assistant = c.latency.iter().find(|l| l.name == "assistant_turn_ms");
    let rows: Vec<Vec<String>> = c
        .buckets
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let a = assistant.map(|a| &a.buckets[i]);
            vec![
                time_ms(b.start_ms),
                b.messages.to_string(),
                b.conversations.to_string(),
                b.calls.to_string(),
                b.failed.to_string(),
                b.transferred.to_string(),
                b.with_warnings.to_string(),
                b.rejected.to_string(),
                a.map(|a| format!("{}/{}/{}", pct(a.p50), pct(a.p95), pct(a.p99)))
                    .unwrap_or_default(),
            ]
        })
        .collect();
    section(
        out,
        &format!("By {}", c.bucket.name()),
        &[
            "start (UTC)",
            "messages",
            "conversations",
            "calls",
            "failed",
            "transferred",
            "warned",
            "rejected",
            "assistant turn p50/p95/p99 ms",
        ],
        &rows,
    )?;

    counts(
        out,
        "End reasons (calls)",
        &c.end_reasons,
        p.map(|p| p.end_reasons.as_slice()),
    )?;
    counts(
        out,
        "Failure details (failed calls)",
        &c.failure_details,
        p.map(|p| p.failure_details.as_slice()),
    )?;
    let rows: Vec<Vec<String>> = c
        .warning_codes
        .iter()
        .map(|w| {
            vec![
                w.code.clone().unwrap_or_else(|| "(no code)".into()),
                w.calls.to_string(),
                w.occurrences.to_string(),
                if w.new { "new".into() } else { String::new() },
            ]
        })
        .collect();
    section(out, "Warning codes", &["code", "calls", "times", ""], &rows)?;
    let rows: Vec<Vec<String>> = c
        .intents
        .iter()
        .map(|i| {
            vec![
                i.intent.clone(),
                i.count.to_string(),
                i.median_confidence
                    .map(|m| format!("{m:.3}"))
                    .unwrap_or_else(|| "-".into()),
                i.low.to_string(),
            ]
        })
        .collect();
    section(
        out,
        "Top intents (messages)",
        &["intent", "messages", "median confidence", "low confidence"],
        &rows,
    )?;
    writeln!(
        out,
        "low-confidence turns (intent confidence < {}): {} of {} ({})",
        t.low_confidence,
        c.low_confidence.count,
        c.low_confidence.of,
        rate(c.low_confidence.count, c.low_confidence.of)
    )?;
    writeln!(
        out,
        "barge-in: {} of {} call turns ({})",
        c.barge_in.count,
        c.barge_in.of,
        rate(c.barge_in.count, c.barge_in.of)
    )?;
    counts(
        out,
        "Input kinds (messages)",
        &c.input_kinds,
        p.map(|p| p.input_kinds.as_slice()),
    )?;
    counts(
        out,
        "Turns per conversation",
        &c.turns_per_conversation,
        p.map(|p| p.turns_per_conversation.as_slice()),
    )?;
    counts(
        out,
        "Intent confidence (messages)",
        &c.intent_confidence,
        None,
    )?;
    counts(
        out,
        "Speech-to-text confidence (call turns)",
        &c.stt_confidence,
        None,
    )?;
    if let Some(custom) = &c.custom {
        counts(
            out,
            &format!(
                "custom.{} (calls; {} without the key)",
                custom.key, custom.without_key
            ),
            &custom.values,
            p.and_then(|p| p.custom.as_ref())
                .map(|x| x.values.as_slice()),
        )?;
    }
    let rows: Vec<Vec<String>> = c
        .slowest_turns
        .iter()
        .map(|s| {
            vec![
                s.assistant_ms.to_string(),
                s.global_session_id.clone().unwrap_or_default(),
                s.seq.to_string(),
                s.request_type.clone().unwrap_or_default(),
                s.start_ts.clone().unwrap_or_default(),
            ]
        })
        .collect();
    section(
        out,
        "Slowest call turns",
        &["assistant ms", "call", "turn", "request", "turn start"],
        &rows,
    )?;
    out.flush()
}

fn change_text(change: Option<&logbook_core::query::trends::TrendChange>) -> String {
    match change {
        None => String::new(),
        Some(ch) => {
            let text = match ch.percent {
                Some(p) => format!("{p:+.1}%"),
                None if ch.current == ch.previous => "=".into(),
                None => "new".into(),
            };
            if ch.notable {
                format!("{text} !")
            } else {
                text
            }
        }
    }
}

/// One row per figure.
#[derive(Serialize)]
struct Row {
    period: &'static str,
    /// ISO time of the bucket's start, or `total` for the whole range.
    bucket_start: String,
    measure: String,
    value: Value,
}

pub fn csv(out: &mut dyn Write, t: &Trends) -> Result<()> {
    let mut rows = Vec::new();
    let mut periods = vec![("current", &t.current)];
    periods.extend(t.previous.as_ref().map(|p| ("previous", p)));
    for (name, p) in periods {
        let mut push = |bucket_start: String, measure: String, value: Value| {
            rows.push(Row {
                period: name,
                bucket_start,
                measure,
                value,
            });
        };
        let total = || "total".to_owned();
        let x = &p.totals;
        for (m, v) in [
            ("messages", x.messages),
            ("conversations", x.conversations),
            ("calls", x.calls),
            ("failed", x.failed),
            ("transferred", x.transferred),
            ("with_warnings", x.with_warnings),
            ("rejected", x.rejected),
        ] {
            push(total(), m.into(), json!(v));
        }
        let pcts = |prefix: &str, q: &Percentiles| {
            vec![
                (format!("{prefix}.n"), json!(q.n)),
                (format!("{prefix}.p50"), json!(q.p50)),
                (format!("{prefix}.p95"), json!(q.p95)),
                (format!("{prefix}.p99"), json!(q.p99)),
            ]
        };
        for l in &p.latency {
            for (m, v) in pcts(&l.name, &l.overall) {
                push(total(), m, v);
            }
        }
        let lists: [(&str, &[Count]); 6] = [
            ("end_reason", &p.end_reasons),
            ("failure_details", &p.failure_details),
            ("input_kind", &p.input_kinds),
            ("turns_per_conversation", &p.turns_per_conversation),
            ("intent_confidence", &p.intent_confidence),
            ("stt_confidence", &p.stt_confidence),
        ];
        for (prefix, list) in lists {
            for c in list {
                push(
                    total(),
                    format!("{prefix}.{}", value_label(c)),
                    json!(c.count),
                );
            }
        }
        for w in &p.warning_codes {
            let code = w.code.clone().unwrap_or_else(|| "(no code)".into());
            push(total(), format!("warning.{code}.calls"), json!(w.calls));
            push(total(), format!("warning.{code}.new"), json!(w.new));
        }
        for i in &p.intents {
            push(
                total(),
                format!("intent.{}.count", i.intent),
                json!(i.count),
            );
            push(
                total(),
                format!("intent.{}.median_confidence", i.intent),
                json!(i.median_confidence),
            );
        }
        push(
            total(),
            "low_confidence.count".into(),
            json!(p.low_confidence.count),
        );
        push(
            total(),
            "low_confidence.of".into(),
            json!(p.low_confidence.of),
        );
        push(total(), "barge_in.count".into(), json!(p.barge_in.count));
        push(total(), "barge_in.of".into(), json!(p.barge_in.of));
        if let Some(custom) = &p.custom {
            for c in &custom.values {
                push(
                    total(),
                    format!("custom.{}.{}", custom.key, value_label(c)),
                    json!(c.count),
                );
            }
        }
        for (i, b) in p.buckets.iter().enumerate() {
            let at = || {
                chrono::DateTime::from_timestamp_millis(b.start_ms)
                    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
                    .unwrap_or_default()
            };
            for (m, v) in [
                ("messages", b.messages),
                ("conversations", b.conversations),
                ("calls", b.calls),
                ("failed", b.failed),
                ("transferred", b.transferred),
                ("with_warnings", b.with_warnings),
                ("rejected", b.rejected),
            ] {
                push(at(), m.into(), json!(v));
            }
            for c in &b.end_reasons {
                push(
                    at(),
                    format!("end_reason.{}", value_label(c)),
                    json!(c.count),
                );
            }
            if let Some(custom) = &p.custom {
                for c in &b.custom {
                    push(
                        at(),
                        format!("custom.{}.{}", custom.key, value_label(c)),
                        json!(c.count),
                    );
                }
            }
            for l in &p.latency {
                for (m, v) in pcts(&l.name, &l.buckets[i]) {
                    push(at(), m, v);
                }
            }
        }
    }
    super::rows::write(Format::Csv, &rows, out)?;
    Ok(())
}
