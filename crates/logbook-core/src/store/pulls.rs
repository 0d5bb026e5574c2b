//! The `pulls` table: where each pull from Watson's v2 logs API stands (the `logbook-pull` crate). A pull's row
//! is written by the writer in the transaction that stores the page it has just pulled
//! ([`super::Store::submit_pulled_page`]), so its cursor always names the page after the last one
//! stored: an interrupted pull resumes there and stores nothing twice.

use rusqlite::{Connection, OptionalExtension, params};

/// One pull: what it asked for and how far it has come. Shown in the UI's "Pull history" panel.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[ts(export)]
pub struct PullRow {
    /// `None` until the writer has given it an id (on its first save).
    pub id: Option<i64>,
    pub url: String,
    pub environment: String,
    pub filter: Option<String>,
    /// ISO times, as sent to the API.
    pub after: Option<String>,
    pub before: Option<String>,
    /// Unix milliseconds.
    pub started_at: i64,
    pub updated_at: i64,
    /// `None` while it runs, and when it stopped before its end (it resumes when run again).
    pub finished_at: Option<i64>,
    /// The next page's cursor; `None` before the first page.
    pub cursor: Option<String>,
    pub pages: i64,
    pub logs: i64,
    pub stored: i64,
    pub duplicates: i64,
    pub newest_request_ts: Option<String>,
    pub error: Option<String>,
}

const COLUMNS: &str =
    "id, url, environment, filter, after, before, started_at, updated_at, finished_at,
     cursor, pages, logs, stored, duplicates, newest_request_ts, error";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PullRow> {
    Ok(PullRow {
        id: r.get(0)?,
        url: r.get(1)?,
        environment: r.get(2)?,
        filter: r.get(3)?,
        after: r.get(4)?,
        before: r.get(5)?,
        started_at: r.get(6)?,
        updated_at: r.get(7)?,
        finished_at: r.get(8)?,
        cursor: r.get(9)?,
        pages: r.get(10)?,
        logs: r.get(11)?,
        stored: r.get(12)?,
        duplicates: r.get(13)?,
        newest_request_ts: r.get(14)?,
        error: r.get(15)?,
    })
}

/// Inserts the pull (when it has no id yet) or updates it; returns its id. The writer's only.
pub(super) fn save(conn: &Connection, pull: &PullRow) -> rusqlite::Result<i64> {
    match pull.id {
        None => conn
            .prepare_cached(
                "INSERT INTO pulls (url, environment, filter, after, before, started_at, updated_at,
                     finished_at, cursor, pages, logs, stored, duplicates, newest_request_ts, error)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
                 RETURNING id",
            )?
            .query_row(
                params![
                    pull.url,
                    pull.environment,
                    pull.filter,
                    pull.after,
                    pull.before,
                    pull.started_at,
                    pull.updated_at,
                    pull.finished_at,
                    pull.cursor,
                    pull.pages,
                    pull.logs,
                    pull.stored,
                    pull.duplicates,
                    pull.newest_request_ts,
                    pull.error,
                ],
                |r| r.get(0),
            ),
        Some(id) => {
            conn.prepare_cached(
                "UPDATE pulls SET updated_at = ?2, finished_at = ?3, cursor = ?4, pages = ?5,
                     logs = ?6, stored = ?7, duplicates = ?8, newest_request_ts = ?9, error = ?10
                 WHERE id = ?1",
            )?
            .execute(params![
                id,
                pull.updated_at,
                pull.finished_at,
                pull.cursor,
                pull.pages,
                pull.logs,
                pull.stored,
                pull.duplicates,
                pull.newest_request_ts,
                pull.error,
            ])?;
            Ok(id)
        }
    }
}

/// The newest pull of this environment that did not finish and asked for the same logs, if any:
/// the one a new pull with these options resumes.
pub fn unfinished(
    conn: &Connection,
    url: &str,
    environment: &str,
    filter: Option<&str>,
    after: Option<&str>,
    before: Option<&str>,
) -> rusqlite::Result<Option<PullRow>> {
    let last = latest(conn, url, environment)?;
    Ok(last.filter(|p| {
        p.finished_at.is_none()
            && p.filter.as_deref() == filter
            && p.after.as_deref() == after
            && p.before.as_deref() == before
    }))
}

/// The newest pull of this environment, finished or not.
pub fn latest(
    conn: &Connection,
    url: &str,
    environment: &str,
) -> rusqlite::Result<Option<PullRow>> {
    conn.query_row(
        &format!(
            "SELECT {COLUMNS} FROM pulls WHERE url = ?1 AND environment = ?2 ORDER BY id DESC LIMIT 1"
        ),
        params![url, environment],
        row,
    )
    .optional()
}

/// The newest finished pull of this environment: "pull again since the last pull" starts after it.
pub fn last_finished(
    conn: &Connection,
    url: &str,
    environment: &str,
) -> rusqlite::Result<Option<PullRow>> {
    conn.query_row(
        &format!(
            "SELECT {COLUMNS} FROM pulls WHERE url = ?1 AND environment = ?2
             AND finished_at IS NOT NULL ORDER BY id DESC LIMIT 1"
        ),
        params![url, environment],
        row,
    )
    .optional()
}

/// The pulls the UI shows: the newest first.
pub const RECENT_PULLS: i64 = 20;

/// Every pull, newest first, at most `limit`.
pub fn recent(conn: &Connection, limit: i64) -> rusqlite::Result<Vec<PullRow>> {
    conn.prepare(&format!(
        "SELECT {COLUMNS} FROM pulls ORDER BY id DESC LIMIT ?1"
    ))?
    .query_map([limit], row)?
    .collect()
}
