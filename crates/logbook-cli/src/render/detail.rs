//! One thing shown whole in the terminal: an event, a conversation's transcript, a call, the
//! store's counts.

use std::io::{self, Write};

use anyhow::Result;

use logbook_core::body::ChangeKind;
use logbook_core::query::call::Call;
use logbook_core::query::compare::Comparison;
use logbook_core::query::conversation::{Change, Choice, Conversation, OutputItem};
use logbook_core::query::event::{EventDetail, ProjectionStats, Stats};
use logbook_core::store::outbox::OutboxStats;
use logbook_core::store::postgres::PgStats;
use logbook_core::store::replays::{ReplayView, Signing};

use super::{duration_ms, one_line, opt, safe_text, table, time_ms};

/// An event (or a rejected request) whole: the request line, headers, token and body.
pub fn event(out: &mut dyn Write, e: &EventDetail) -> Result<()> {
    writeln!(
        out,
        "{} #{}  {}  {} {}  status {}",
        e.source,
        e.id,
        time_ms(e.received_at),
        e.method,
        one_line(&e.path),
        e.status
    )?;
    if let Some(reason) = &e.reason {
        writeln!(out, "reason: {}", one_line(reason))?;
    }
    writeln!(
        out,
        "kind: {}  endpoint: {}  auth: {}  verified: {}",
        e.kind,
        opt(&e.endpoint),
        opt(&e.auth),
        e.verified
    )?;
    writeln!(out, "headers:")?;
    for (name, value) in &e.headers {
        writeln!(out, "  {}: {}", one_line(name), one_line(value))?;
    }
    if let Some(h) = &e.jwt_header {
        writeln!(out, "jwt header: {}", one_line(&h.to_string()))?;
    }
    if let Some(c) = &e.jwt_claims {
        writeln!(out, "jwt claims: {}", one_line(&c.to_string()))?;
    }
    for d in &e.deliveries {
        let state = match (&d.gave_up_reason, d.next_at) {
            (Some(reason), _) => format!("gave up: {}", one_line(reason)),
            (None, Some(next)) => format!("pending, next attempt {}", time_ms(next)),
            (None, None) => d.state.clone(),
        };
        writeln!(
            out,
            "forwarded to {} (delivery {}): {state}, {} {}",
            one_line(&d.target),
            d.id,
            d.attempts,
            if d.attempts == 1 {
                "attempt"
            } else {
                "attempts"
            }
        )?;
        for a in &d.recent {
            let answer = match (a.status, &a.error) {
                (Some(status), _) => status.to_string(),
                (None, Some(error)) => one_line(error),
                (None, None) => "no answer".into(),
            };
            writeln!(
                out,
                "  {}  {answer}  {:.0} ms  {}",
                time_ms(a.at),
                a.latency_ms,
                one_line(&a.response)
            )?;
        }
    }
    if let Some(of) = e.replay_of {
        writeln!(
            out,
            "a replay of event {of} (as numbered by the Logbook that sent it)"
        )?;
    }
    for r in &e.replays {
        replay(out, r)?;
    }
    writeln!(
        out,
        "body ({} bytes{}):",
        e.body_bytes,
        if e.body_truncated { ", truncated" } else { "" }
    )?;
    match &e.body {
        Some(body) => writeln!(out, "{}", safe_text(&serde_json::to_string_pretty(body)?))?,
        None => writeln!(out, "{}", safe_text(&e.body_text))?,
    }
    Ok(())
}

/// One replay and the answer kept: a line, then the answer's headers and body (as text).
pub fn replay(out: &mut dyn Write, r: &ReplayView) -> Result<()> {
    let answer = match (r.status, &r.error) {
        (Some(status), None) => status.to_string(),
        (Some(status), Some(error)) => format!("{status} ({})", one_line(error)),
        (None, Some(error)) => format!("no answer: {}", one_line(error)),
        (None, None) => "no answer".into(),
    };
    let signed = match (r.signing, &r.secret_file) {
        (Signing::File, Some(file)) => format!("signed with {}", one_line(file)),
        (Signing::Endpoint, _) => "signed with the endpoint's secret".into(),
        (Signing::None, _) | (Signing::File, None) => "unsigned".into(),
    };
    writeln!(
        out,
        "replay {} of event {} to {}  {}  {answer}  {:.0} ms  {signed}{}",
        r.id,
        r.event_id,
        one_line(&r.target),
        time_ms(r.at),
        r.latency_ms,
        match &r.edits {
            Some(edits) => format!("  edited: {}", one_line(edits)),
            None => String::new(),
        }
    )?;
    for (name, value) in &r.response_headers {
        writeln!(out, "  < {}: {}", one_line(name), one_line(value))?;
    }
    if !r.response.is_empty() {
        writeln!(out, "  {}", one_line(&r.response))?;
    }
    Ok(())
}

/// A comparison: one line per change, with its path and the values before and after.
pub fn comparison(out: &mut dyn Write, c: &Comparison) -> io::Result<()> {
    writeln!(
        out,
        "event {} ({}) -> event {} ({}): {} {}",
        c.left.id,
        c.left.kind,
        c.right.id,
        c.right.kind,
        c.changes.len(),
        if c.changes.len() == 1 {
            "change"
        } else {
            "changes"
        }
    )?;
    if c.changes.is_empty() {
        return Ok(());
    }
    let value =
        |v: &Option<serde_json::Value>| v.as_ref().map(|v| v.to_string()).unwrap_or_default();
    let rows: Vec<Vec<String>> = c
        .changes
        .iter()
        .map(|ch| {
            vec![
                match ch.kind {
                    ChangeKind::Added => "added",
                    ChangeKind::Removed => "removed",
                    ChangeKind::Changed => "changed",
                }
                .to_owned(),
                one_line(if ch.path.is_empty() {
                    "(whole body)"
                } else {
                    &ch.path
                }),
                one_line(&value(&ch.old)),
                one_line(&value(&ch.new)),
            ]
        })
        .collect();
    write!(
        out,
        "{}",
        table(&["CHANGE", "PATH", "OLD", "NEW"], &rows, 60)
    )
}

/// A conversation as a transcript: its calls, then each turn with what the assistant understood.
pub fn conversation(out: &mut dyn Write, c: &Conversation) -> io::Result<()> {
    writeln!(
        out,
        "conversation {}  {} turns  channel {}  user {}",
        c.session_id,
        c.turns.len(),
        opt(&c.channel),
        one_line(&opt(&c.user_id))
    )?;
    for call in &c.calls {
        writeln!(
            out,
            "  call {}  {}  {}  {}  (logbook show call {})",
            opt(&call.global_session_id),
            opt(&call.start_ts),
            duration_ms(call.duration_ms),
            opt(&call.end_reason),
            opt(&call.global_session_id)
        )?;
    }
    for t in &c.turns {
        writeln!(out)?;
        writeln!(
            out,
            "#{} {}  ({} ms, event {}, log {})",
            opt(&t.turn_count),
            opt(&t.request_ts),
            opt(&t.latency_ms),
            t.event_id,
            opt(&t.log_id)
        )?;
        let confidence = t
            .input
            .stt_confidence
            .map(|c| format!(" (STT {c:.2})"))
            .unwrap_or_default();
        writeln!(
            out,
            "  user [{}]{confidence}: {}",
            t.input.kind,
            one_line(&opt(&t.input.text))
        )?;
        for item in &t.outputs {
            writeln!(out, "  assistant: {}", one_line(&output_line(item)))?;
        }
        if !t.intents.is_empty() {
            let intents: Vec<String> = t
                .intents
                .iter()
                .map(|i| format!("{} {}", i.name, opt(&i.confidence)))
                .collect();
            writeln!(out, "  intents: {}", one_line(&intents.join(", ")))?;
        }
        if !t.entities.is_empty() {
            let entities: Vec<String> = t
                .entities
                .iter()
                .map(|e| format!("@{}={}", e.entity, opt(&e.value)))
                .collect();
            writeln!(out, "  entities: {}", one_line(&entities.join(", ")))?;
        }
        let visited: Vec<String> = t
            .visited
            .iter()
            .map(|v| format!("{} {}", v.kind, v.name))
            .collect();
        if !visited.is_empty() {
            writeln!(out, "  visited: {}", one_line(&visited.join(" → ")))?;
        }
        for var in t.context.iter().filter(|v| v.change != Change::Unchanged) {
            writeln!(
                out,
                "  {:?} {}.{} = {}",
                var.change,
                one_line(&var.scope),
                one_line(&var.name),
                one_line(&var.value.to_string())
            )?;
        }
        if let Some(link) = &t.call_turn {
            writeln!(
                out,
                "  call turn {} of {}",
                link.seq + 1,
                opt(&link.global_session_id)
            )?;
        }
    }
    Ok(())
}

/// One line for an assistant response item in a terminal transcript.
fn output_line(item: &OutputItem) -> String {
    let labels = |choices: &[Choice]| {
        choices
            .iter()
            .map(|c| c.label.clone().unwrap_or_default())
            .collect::<Vec<_>>()
            .join(" | ")
    };
    match item {
        OutputItem::Text { text, .. } => opt(text),
        OutputItem::Option { title, options, .. } => {
            format!("[options] {} [{}]", opt(title), labels(options))
        }
        OutputItem::Suggestion {
            title, suggestions, ..
        } => {
            format!("[suggestions] {} [{}]", opt(title), labels(suggestions))
        }
        OutputItem::Image { source, title, .. }
        | OutputItem::Video { source, title, .. }
        | OutputItem::Audio { source, title, .. }
        | OutputItem::Iframe { source, title, .. } => {
            let kind = serde_json::to_value(item)
                .ok()
                .and_then(|v| v["type"].as_str().map(str::to_owned));
            format!(
                "[{}] {} <{}>",
                kind.unwrap_or_default(),
                opt(title),
                opt(source)
            )
        }
        OutputItem::Pause {
            time_ms, typing, ..
        } => {
            format!(
                "[pause {}{}]",
                duration_ms(*time_ms),
                if *typing == Some(true) {
                    ", typing"
                } else {
                    ""
                }
            )
        }
        OutputItem::ConversationalSearch {
            text, citations, ..
        } => {
            let cited: Vec<String> = citations.iter().map(|c| opt(&c.title)).collect();
            format!(
                "[conversational search] {} (citations: {})",
                opt(text),
                cited.join("; ")
            )
        }
        OutputItem::Search {
            header, results, ..
        } => {
            format!("[search] {} ({} results)", opt(header), results.len())
        }
        OutputItem::ConnectToAgent {
            message_to_human_agent,
            target_kind,
            sip_uri,
            ..
        } => format!(
            "[connect to agent] {} → {}",
            opt(message_to_human_agent),
            sip_uri
                .clone()
                .or_else(|| target_kind.clone())
                .unwrap_or_else(|| "agent".into())
        ),
        OutputItem::EndSession { .. } => "[end session: hang up]".into(),
        other => {
            let mut value = serde_json::to_value(other).unwrap_or_default();
            let kind = value["type"].as_str().unwrap_or("other").to_owned();
            if let Some(map) = value.as_object_mut() {
                map.remove("type");
                map.remove("channels");
            }
            format!("[{kind}] {value}")
        }
    }
}

/// A call record: its numbers, warnings, a table of its turns, and its custom data.
pub fn call(out: &mut dyn Write, c: &Call) -> io::Result<()> {
    writeln!(
        out,
        "call {}  (event {})",
        opt(&c.global_session_id),
        c.event_id
    )?;
    writeln!(
        out,
        "  {} → {}  {}  {}  end {}  failed {}  transfer {}",
        opt(&c.caller),
        opt(&c.callee),
        opt(&c.start_ts),
        duration_ms(c.duration_ms),
        opt(&c.end_reason),
        opt(&c.failure_occurred),
        opt(&c.transfer_occurred)
    )?;
    if let Some(details) = &c.failure_details {
        writeln!(out, "  failure: {}", one_line(details))?;
    }
    writeln!(
        out,
        "  max latency: assistant {}  TTS {}  STT {}  setup {}",
        duration_ms(c.max_latency.assistant_ms),
        duration_ms(c.max_latency.tts_ms),
        duration_ms(c.max_latency.stt_ms),
        duration_ms(c.sip.setup_ms)
    )?;
    writeln!(out, "  SIP call id {}", one_line(&opt(&c.sip.call_id)))?;
    for w in &c.warnings {
        writeln!(
            out,
            "  warning {} ({}, {}): {}",
            opt(&w.code),
            opt(&w.component),
            opt(&w.severity),
            one_line(
                &w.explanation
                    .clone()
                    .or_else(|| w.message.clone())
                    .unwrap_or_default()
            )
        )?;
    }
    let rows: Vec<Vec<String>> = c
        .turns
        .iter()
        .map(|t| {
            let responses: Vec<String> = t
                .responses
                .iter()
                .map(|r| match &r.wa_type {
                    Some(wa) => format!("{} ({wa})", r.cdr_type),
                    None => r.cdr_type.clone(),
                })
                .collect();
            let message = match &t.message {
                Some(m) => format!("#{} {}", opt(&m.turn_count), opt(&m.user_text)),
                None => "(no message)".into(),
            };
            vec![
                (t.seq + 1).to_string(),
                t.offset_ms
                    .map(|ms| duration_ms(Some(ms)))
                    .unwrap_or_default(),
                opt(&t.request_type),
                responses.join(", "),
                duration_ms(t.assistant_ms),
                t.stt
                    .as_ref()
                    .and_then(|s| s.confidence)
                    .map(|c| format!("{c:.2}"))
                    .unwrap_or_default(),
                opt(&t.barge_in),
                message,
            ]
        })
        .collect();
    writeln!(out)?;
    write!(
        out,
        "{}",
        table(
            &[
                "turn",
                "at",
                "request",
                "responses (WA type)",
                "assistant",
                "STT conf",
                "barge-in",
                "message"
            ],
            &rows,
            60
        )
    )?;
    if !c.custom_data.is_empty() {
        writeln!(out)?;
        writeln!(out, "custom data:")?;
        for v in &c.custom_data {
            writeln!(
                out,
                "  {} = {}",
                one_line(&v.key),
                one_line(&v.value.to_string())
            )?;
        }
        for step in &c.custom_data_merge {
            let set: Vec<String> = step
                .set
                .iter()
                .map(|v| format!("{}={}", v.key, v.value))
                .collect();
            writeln!(
                out,
                "  turn {} set {}{}",
                opt(&step.turn_count),
                one_line(&set.join(" ")),
                if step.removed.is_empty() {
                    String::new()
                } else {
                    format!(" removed {}", step.removed.join(" "))
                }
            )?;
        }
        if let Some(matches) = c.custom_data_matches {
            writeln!(
                out,
                "  merged turn data {} the record",
                if matches { "equals" } else { "DIFFERS FROM" }
            )?;
        }
    }
    Ok(())
}

/// How far the derived rows have come, in words.
fn projection(p: &ProjectionStats) -> String {
    match p.rebuilding_through {
        Some(target) => format!(
            "rebuilding from the stored bodies: {} of {target} events",
            p.projected_through
        ),
        None if p.pending == 0 => format!("every event (deriver v{})", p.deriver_version),
        None => format!("{} events still to derive", p.pending),
    }
}

/// The store's counts, one per line, then each downstream's outbox; `now_ms` dates the oldest
/// event still waiting for its delivery.
pub fn stats(out: &mut dyn Write, s: &Stats, now_ms: i64) -> io::Result<()> {
    let rows = [
        ("events", s.events.to_string()),
        ("messages", s.messages.to_string()),
        ("conversations", s.conversations.to_string()),
        ("calls", s.calls.to_string()),
        ("rejected requests kept", s.rejections_kept.to_string()),
        (
            "accepted (all time, with duplicates)",
            s.accepted_total.to_string(),
        ),
        ("duplicates (all time)", s.duplicates_total.to_string()),
        ("rejected (all time)", s.rejected_total.to_string()),
        (
            "first received",
            s.first_received_at.map(time_ms).unwrap_or_default(),
        ),
        (
            "last received",
            s.last_received_at.map(time_ms).unwrap_or_default(),
        ),
        ("database bytes", s.database_bytes.to_string()),
        ("derived", projection(&s.projection)),
        ("replays sent", s.replays_sent.to_string()),
        (
            "forwarding",
            if s.forwarding.is_empty() {
                "no downstream has been forwarded to".to_owned()
            } else {
                format!("{} downstreams (below)", s.forwarding.len())
            },
        ),
    ];
    for (name, value) in rows {
        writeln!(out, "{name:<38}{value}")?;
    }
    forwarding(out, &s.forwarding, now_ms)
}

/// A team store's counts, one per line, as [`stats`] prints a file's.
pub fn team_stats(out: &mut dyn Write, s: &PgStats) -> io::Result<()> {
    let derived = match s.deriver_version {
        None => "nothing yet: no `logbook serve --store` has projected".to_owned(),
        Some(version) if s.projection_lag == 0 => format!("every event (deriver v{version})"),
        Some(_) => match s.oldest_pending_at {
            Some(at) => format!(
                "{} events still to derive (the oldest received {})",
                s.projection_lag,
                time_ms(at)
            ),
            None => format!("{} events still to derive", s.projection_lag),
        },
    };
    let rows = [
        ("store", format!("PostgreSQL {}", s.target)),
        ("events", s.events.to_string()),
        ("messages", s.messages.to_string()),
        ("conversations", s.conversations.to_string()),
        ("calls", s.calls.to_string()),
        ("rejected requests kept", s.rejections_kept.to_string()),
        ("duplicates (all time)", s.duplicates_total.to_string()),
        (
            "rejected (all time)",
            s.rejections_numbered.max(s.rejections_kept).to_string(),
        ),
        (
            "first received",
            s.first_received_at.map(time_ms).unwrap_or_default(),
        ),
        (
            "last received",
            s.last_received_at.map(time_ms).unwrap_or_default(),
        ),
        ("derived", derived),
        (
            "projector",
            match (s.projecting, s.projected_at) {
                (true, Some(at)) => format!("running; last batch {}", time_ms(at)),
                (true, None) => "running".to_owned(),
                (false, _) => "none running (a `logbook serve --store` projects)".to_owned(),
            },
        ),
    ];
    for (name, value) in rows {
        writeln!(out, "{name:<38}{value}")?;
    }
    Ok(())
}

/// Each downstream's outbox as a table: delivered, waiting (and for how long the oldest has waited),
/// given up for good; then the newest give-up of each and why.
fn forwarding(out: &mut dyn Write, outboxes: &[OutboxStats], now_ms: i64) -> io::Result<()> {
    if outboxes.is_empty() {
        return Ok(());
    }
    let rows: Vec<Vec<String>> = outboxes
        .iter()
        .map(|o| {
            vec![
                o.target.clone(),
                o.delivered.to_string(),
                o.pending.to_string(),
                o.gave_up.to_string(),
                o.oldest_pending_at
                    .map(|at| waited(at, now_ms))
                    .unwrap_or_default(),
            ]
        })
        .collect();
    writeln!(out)?;
    write!(
        out,
        "{}",
        table(
            &[
                "downstream",
                "delivered",
                "pending",
                "given up",
                "oldest pending"
            ],
            &rows,
            TARGET_WIDTH
        )
    )?;
    for o in outboxes {
        if let Some(reason) = &o.last_gave_up_reason {
            writeln!(
                out,
                "{} last gave up {}: {}",
                one_line(&o.target),
                o.last_gave_up_at.map(time_ms).unwrap_or_default(),
                one_line(reason)
            )?;
        }
    }
    Ok(())
}

/// Characters of a downstream's URL shown in the forwarding table.
const TARGET_WIDTH: usize = 80;

/// How long an event queued at `at_ms` has waited by `now_ms`: `2 hours (since 2026-03-10 …)`.
fn waited(at_ms: i64, now_ms: i64) -> String {
    let age = std::time::Duration::from_millis(u64::try_from(now_ms - at_ms).unwrap_or(0));
    format!(
        "{} (since {})",
        indicatif::HumanDuration(age),
        time_ms(at_ms)
    )
}
