//! `GET /api/live`: newly committed requests as Server-Sent Events.
//!
//! Contract: the stream starts with everything after the ids the client gives (its `Last-Event-ID`
//! `E.R` when reconnecting, else `since` and `since_rejection`; neither means "from now"), sent at
//! once even when empty. Then, after each commit the store announces, the new rows follow, at most
//! one batch per [`COALESCE_MS`] however fast commits come, each batch at most [`BATCH_ROWS`] rows
//! with `more: true` when the next one is sent straight after. Every message's `id:` is
//! `last_event_id.last_rejection_id`, so a reload or a dropped connection resumes exactly. A `: ping`
//! comment every [`PING_MS`] finds dead connections. Each stream has its own thread and read-only
//! connection, and ends when the client goes, the store stops or the server stops.

use std::io::Write;
use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

use rusqlite::Connection;
use tiny_http::Request;

use super::server::{Params, Shared, error_response, header_value, security_headers};
use logbook_core::query::QueryError;
use logbook_core::query::live::since;
use logbook_service::types::{ApiError, LiveBatch};

/// Rows in one message at most.
pub const BATCH_ROWS: usize = 500;
/// At most one batch per this long: a burst of commits becomes one message.
pub const COALESCE_MS: u64 = 200;
/// A comment is sent after this long without a message, so a dead connection is noticed.
pub const PING_MS: u64 = 15_000;

/// Where a stream resumes: the last ids the client has seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Resume {
    pub event_id: i64,
    pub rejection_id: i64,
}

impl Resume {
    /// From `Last-Event-ID` (`E.R`), else the `since` and `since_rejection` parameters, else the
    /// newest ids now. Ids past the newest (a client of an older database) are lowered to it.
    pub fn from_request(
        conn: &Connection,
        request: &Request,
        params: &Params,
    ) -> Result<Self, ApiError> {
        let bad = |what: &str, text: &str| {
            ApiError::new(
                "bad_request",
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
        let newest = newest(conn)?;
        let resume = match header_value(request, "Last-Event-ID").filter(|v| !v.trim().is_empty()) {
            Some(text) => {
                let (e, r) = text
                    .trim()
                    .split_once('.')
                    .ok_or_else(|| bad("Last-Event-ID (E.R)", text))?;
                Resume {
                    event_id: id("Last-Event-ID (E.R)", e)?,
                    rejection_id: id("Last-Event-ID (E.R)", r)?,
                }
            }
            None => Resume {
                event_id: match params.get("since").filter(|v| !v.is_empty()) {
                    Some(text) => id("since", text)?,
                    None => newest.event_id,
                },
                rejection_id: match params.get("since_rejection").filter(|v| !v.is_empty()) {
                    Some(text) => id("since_rejection", text)?,
                    None => newest.rejection_id,
                },
            },
        };
        Ok(Resume {
            event_id: resume.event_id.min(newest.event_id),
            rejection_id: resume.rejection_id.min(newest.rejection_id),
        })
    }
}

/// The newest stored ids (0 when there are none).
fn newest(conn: &Connection) -> Result<Resume, ApiError> {
    conn.query_row(
        "SELECT (SELECT coalesce(max(id), 0) FROM events), (SELECT coalesce(max(id), 0) FROM rejections)",
        [],
        |r| {
            Ok(Resume {
                event_id: r.get(0)?,
                rejection_id: r.get(1)?,
            })
        },
    )
    .map_err(|e| QueryError::from(e).into())
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

    fn batch(&mut self, batch: &LiveBatch) -> std::io::Result<()> {
        // JSON on one line: a payload's newlines are escaped inside its strings.
        let data = serde_json::to_string(batch).map_err(std::io::Error::other)?;
        self.send(&format!(
            "id: {}.{}\nevent: batch\ndata: {data}\n\n",
            batch.last_event_id, batch.last_rejection_id
        ))
    }

    fn end(mut self) {
        if self.chunked {
            let _ = self.out.write_all(b"0\r\n\r\n");
        }
        let _ = self.out.flush();
    }
}

/// Runs one stream until the client goes, the store stops or the server stops.
pub(super) fn stream(shared: &Shared, request: Request, resume: Resume) {
    // Subscribe before the first read: a commit between the two is then announced, not lost.
    let commits = shared.store.subscribe();
    let conn = match shared.store.reader() {
        Ok(conn) => conn,
        Err(err) => {
            let _ = request.respond(error_response(&err.into()));
            return;
        }
    };
    let Ok(mut sse) = Sse::start(request) else {
        return;
    };
    let coalesce = Duration::from_millis(COALESCE_MS);
    let ping = Duration::from_millis(PING_MS);
    let stop_check = Duration::from_millis(super::server::STOP_CHECK_MS);
    let (mut event_id, mut rejection_id) = (resume.event_id, resume.rejection_id);
    // The first batch goes out at once, even empty; later ones wait for a commit.
    let (mut pending, mut first, mut urgent) = (true, true, true);
    let mut last_batch = Instant::now();
    while !shared.stopping() {
        if pending && (urgent || last_batch.elapsed() >= coalesce) {
            let (rows, more) = match since(&conn, event_id, rejection_id, BATCH_ROWS) {
                Ok(found) => found,
                // The client reconnects and resumes from its last id.
                Err(_) => break,
            };
            for row in &rows {
                match row.source.as_str() {
                    "rejected" => rejection_id = rejection_id.max(row.id),
                    _ => event_id = event_id.max(row.id),
                }
            }
            if !rows.is_empty() || first {
                let batch = LiveBatch {
                    rows,
                    last_event_id: event_id,
                    last_rejection_id: rejection_id,
                    more,
                };
                if sse.batch(&batch).is_err() {
                    return;
                }
            }
            (pending, first, urgent) = (more, false, more);
            last_batch = Instant::now();
            continue;
        }
        let wait = if pending {
            coalesce.saturating_sub(last_batch.elapsed())
        } else {
            ping.saturating_sub(sse.last_write.elapsed())
        };
        match commits.recv_timeout(wait.min(stop_check)) {
            Ok(first_commit) => {
                let newer = |c: logbook_core::store::Committed| {
                    c.last_event_id.is_some_and(|id| id > event_id)
                        || c.last_rejection_id.is_some_and(|id| id > rejection_id)
                };
                pending |= newer(first_commit);
                while let Ok(c) = commits.try_recv() {
                    pending |= newer(c);
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            // The store has stopped: nothing more will come.
            Err(RecvTimeoutError::Disconnected) => break,
        }
        if sse.last_write.elapsed() >= ping && sse.send(": ping\n\n").is_err() {
            return;
        }
    }
    sse.end();
}
