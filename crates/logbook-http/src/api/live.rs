//! `GET /api/live`: newly committed requests as Server-Sent Events, a thin adapter over the
//! service's one live loop (`logbook_service::live::follow`).
//!
//! Contract: the stream starts from the ids the client gives (its `Last-Event-ID` `E.R` when
//! reconnecting, else `since` and `since_rejection`; neither means "from now"), then carries what
//! the service's loop sends, one `batch` message each. Every message's `id:` is
//! `last_event_id.last_rejection_id`, so a reload or a dropped connection resumes exactly. A `: ping`
//! comment every [`PING_MS`] finds dead connections. Each stream has its own thread and reader, and
//! ends when the client goes, the store stops or the server stops. A PostgreSQL store announces no
//! commits: its stream polls.

use std::io::Write;
use std::time::{Duration, Instant};

use logbook_core::query::Db;
use tiny_http::Request;

use super::server::{Params, Shared, error_response, security_headers};
use crate::plumbing::header_value;
use logbook_service::commands::LiveCursor;
use logbook_service::live::{self, LiveSink};
use logbook_service::types::{ApiError, ApiErrorKind, LiveBatch};

/// A comment is sent after this long without a message, so a dead connection is noticed.
pub const PING_MS: u64 = 15_000;

/// Where a stream resumes: from `Last-Event-ID` (`E.R`), else the `since` and `since_rejection`
/// parameters, else the newest ids now. Ids past the newest (a client of an older database) are
/// lowered to it.
pub(super) fn resume(
    conn: Db<'_>,
    request: &Request,
    params: &Params,
) -> Result<LiveCursor, ApiError> {
    let bad = |what: &str, text: &str| {
        ApiError::new(
            ApiErrorKind::BadRequest,
            format!("{what} must be an id (a whole number), not {text:?}"),
        )
    };
    let id = |what: &str, text: &str| -> Result<i64, ApiError> {
        text.trim()
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| bad(what, text))
    };
    let newest = live::newest(conn)?;
    let now = || live::now(conn);
    let cursor = match header_value(request, "Last-Event-ID").filter(|v| !v.trim().is_empty()) {
        Some(text) => {
            let (e, r) = text
                .trim()
                .split_once('.')
                .ok_or_else(|| bad("Last-Event-ID (E.R)", text))?;
            LiveCursor {
                last_event_id: id("Last-Event-ID (E.R)", e)?,
                last_rejection_id: id("Last-Event-ID (E.R)", r)?,
            }
        }
        None => LiveCursor {
            last_event_id: match params.get("since").filter(|v| !v.is_empty()) {
                Some(text) => id("since", text)?,
                None => now()?.last_event_id,
            },
            last_rejection_id: match params.get("since_rejection").filter(|v| !v.is_empty()) {
                Some(text) => id("since_rejection", text)?,
                None => now()?.last_rejection_id,
            },
        },
    };
    Ok(cursor.at_most(newest))
}

/// The response on the raw connection: SSE needs each message on the wire when it is written, and
/// tiny_http's own chunked writer holds 8 KiB back.
struct Sse {
    out: Box<dyn Write + Send>,
    chunked: bool,
    last_write: Instant,
}

impl Sse {
    fn start(request: Request) -> std::io::Result<Self> {
        let chunked = *request.http_version() >= (1, 1);
        let mut head = String::from(
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\nCache-Control: no-store\r\nConnection: close\r\n",
        );
        if chunked {
            head.push_str("Transfer-Encoding: chunked\r\n");
        }
        for h in security_headers() {
            head.push_str(&format!("{}: {}\r\n", h.field.as_str(), h.value.as_str()));
        }
        head.push_str("\r\n");
        let mut out = request.into_writer();
        out.write_all(head.as_bytes())?;
        out.flush()?;
        Ok(Self {
            out,
            chunked,
            last_write: Instant::now(),
        })
    }

    fn send(&mut self, text: &str) -> std::io::Result<()> {
        if self.chunked {
            write!(self.out, "{:x}\r\n{text}\r\n", text.len())?;
        } else {
            self.out.write_all(text.as_bytes())?;
        }
        self.out.flush()?;
        self.last_write = Instant::now();
        Ok(())
    }

    fn end(mut self) {
        if self.chunked {
            let _ = self.out.write_all(b"0\r\n\r\n");
        }
        let _ = self.out.flush();
    }
}

impl LiveSink for Sse {
    fn batch(&mut self, batch: &LiveBatch) -> bool {
        // JSON on one line: a payload's newlines are escaped inside its strings.
        let Ok(data) = serde_json::to_string(batch) else {
            return false;
        };
        self.send(&format!(
            "id: {}.{}\nevent: batch\ndata: {data}\n\n",
            batch.last_event_id, batch.last_rejection_id
        ))
        .is_ok()
    }

    fn idle(&mut self) -> bool {
        self.last_write.elapsed() < Duration::from_millis(PING_MS)
            || self.send(": ping\n\n").is_ok()
    }
}

/// Runs one stream until the client goes, the store stops or the server stops.
pub(super) fn stream(shared: &Shared, request: Request, cursor: LiveCursor) {
    // Subscribe before the first read: a commit between the two is then announced, not lost.
    let commits = shared.store.subscribe();
    let reader = match shared.store.reader() {
        Ok(reader) => reader,
        Err(err) => {
            let _ = request.respond(error_response(&err));
            return;
        }
    };
    let Ok(mut sse) = Sse::start(request) else {
        return;
    };
    live::follow(
        cursor,
        commits,
        &mut |cursor| live::rows_since(reader.db(), cursor),
        &|| shared.stopping(),
        &mut sse,
    );
    // A client that is gone gets an end it will not read; one whose stream stopped (the server
    // or the store stopping, a failed read) reconnects and resumes from its last id.
    sse.end();
}
