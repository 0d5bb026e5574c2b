//! Refused requests take a bounded, separate share of the disk, whoever sends them.
//!
//! Contract: the store, not its callers, caps what one rejection keeps (path, headers, body, the
//! decoded token and the reason), cutting text at a UTF-8 boundary and marking the cut; the body's true
//! size stays in `body_bytes`. Rejections are kept in two classes, each with its own count limit
//! (`rejections_kept`) and byte budget, oldest deleted first within the class: [`Class::Jwt`] (the
//! request carried a token that decoded as a JWT: what Watson sends, signed with a wrong or an old
//! secret) and [`Class::Other`] (no credentials, other credentials, unknown path, …). A flood of one
//! class never deletes the other, and no rejection ever deletes an event: size retention counts what
//! events use, the database's used bytes minus [`accounted_bytes`].
//!
//! Each row records `stored_bytes`, an upper bound of the pages it takes (a row is counted in whole
//! pages: its leaf page and its overflow pages, plus its index entries); running totals per class live
//! in `counters`, updated in the transaction that inserts or deletes the row, and recounted at open.

use std::borrow::Cow;

use rusqlite::{Connection, OptionalExtension, params};

use super::NewRejection;

/// Most of a refused request's path kept, bytes.
pub const REJECTION_PATH_KEPT_BYTES: usize = 2 * 1024;
/// Most of a refused request's headers kept, all of them together, as stored JSON, bytes.
pub const REJECTION_HEADERS_KEPT_BYTES: usize = 16 * 1024;
/// Most of one header value kept, bytes (within [`REJECTION_HEADERS_KEPT_BYTES`]).
pub const REJECTION_HEADER_VALUE_KEPT_BYTES: usize = 4 * 1024;
/// Most of a header name kept, bytes.
pub const REJECTION_HEADER_NAME_KEPT_BYTES: usize = 256;
/// Most of a refused body kept, bytes; `body_bytes` keeps its true size.
pub const REJECTION_BODY_KEPT_BYTES: usize = 64 * 1024;
/// Most of the decoded JWT header, and of its claims, kept, bytes.
pub const REJECTION_JWT_KEPT_BYTES: usize = 4 * 1024;
/// Most of the reason, endpoint, method and remote address kept, bytes each.
pub const REJECTION_TEXT_KEPT_BYTES: usize = 1024;
/// All refused requests together take at most this many bytes of the database.
pub const REJECTIONS_BUDGET_BYTES: u64 = 16 * 1024 * 1024;
/// Each class of refused requests takes at most this many bytes.
pub const REJECTION_CLASS_BUDGET_BYTES: u64 = REJECTIONS_BUDGET_BYTES / 2;
/// Counted for a row's entries in the rejections indexes and its record header, bytes.
const ROW_OVERHEAD_BYTES: u64 = 128;

/// Who a refused request came from, as far as the store can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// It carried an `Authorization` that decoded as a JWT (`jwt_header` is set): Watson with a
    /// wrong secret, a clock off, a bad body.
    Jwt,
    /// Everything else: no or other credentials, unknown path, bad method.
    Other,
}

impl Class {
    pub const ALL: [Class; 2] = [Class::Jwt, Class::Other];

    pub fn of(r: &NewRejection) -> Self {
        if r.jwt_header.is_some() {
            Self::Jwt
        } else {
            Self::Other
        }
    }

    /// The value of the `class` column.
    pub fn name(self) -> &'static str {
        match self {
            Self::Jwt => "jwt",
            Self::Other => "other",
        }
    }

    fn rows_counter(self) -> &'static str {
        match self {
            Self::Jwt => "rejections.jwt.rows",
            Self::Other => "rejections.other.rows",
        }
    }

    fn bytes_counter(self) -> &'static str {
        match self {
            Self::Jwt => "rejections.jwt.bytes",
            Self::Other => "rejections.other.bytes",
        }
    }
}

/// What of a rejection is stored: every field within its cap.
#[derive(Debug)]
pub(super) struct Capped<'a> {
    pub endpoint: Option<Cow<'a, str>>,
    pub path: Cow<'a, str>,
    pub method: Cow<'a, str>,
    pub remote_addr: Option<Cow<'a, str>>,
    pub reason: Cow<'a, str>,
    pub headers: Cow<'a, str>,
    pub jwt_header: Option<Cow<'a, str>>,
    pub jwt_claims: Option<Cow<'a, str>>,
    pub body: &'a [u8],
    pub body_bytes: Option<i64>,
}

impl Capped<'_> {
    /// An upper bound of the record's size: every value plus its header and the integers.
    fn record_bytes(&self) -> u64 {
        let opt = |s: &Option<Cow<'_, str>>| s.as_ref().map_or(0, |s| s.len());
        (opt(&self.endpoint)
            + self.path.len()
            + self.method.len()
            + opt(&self.remote_addr)
            + self.reason.len()
            + self.headers.len()
            + opt(&self.jwt_header)
            + opt(&self.jwt_claims)
            + self.body.len()) as u64
            + ROW_OVERHEAD_BYTES
    }
}

/// Cuts every field of `r` to its cap.
pub(super) fn cap(r: &NewRejection) -> Capped<'_> {
    let body = cut_bytes(&r.body, REJECTION_BODY_KEPT_BYTES);
    let body_bytes = if body.len() < r.body.len() {
        Some(r.body_bytes.unwrap_or(0).max(r.body.len() as i64))
    } else {
        r.body_bytes
    };
    Capped {
        endpoint: r
            .endpoint
            .as_deref()
            .map(|e| cut_text(e, REJECTION_TEXT_KEPT_BYTES)),
        path: cut_text(&r.path, REJECTION_PATH_KEPT_BYTES),
        method: cut_text(&r.method, REJECTION_TEXT_KEPT_BYTES),
        remote_addr: r
            .remote_addr
            .as_deref()
            .map(|a| cut_text(a, REJECTION_TEXT_KEPT_BYTES)),
        reason: cut_text(&r.reason, REJECTION_TEXT_KEPT_BYTES),
        headers: cut_headers(&r.headers),
        jwt_header: r.jwt_header.as_deref().map(cut_json),
        jwt_claims: r.jwt_claims.as_deref().map(cut_json),
        body,
        body_bytes,
    }
}

/// `text` whole when it fits in `max` bytes; else its start, cut at a character boundary, and a
/// note of the cut, `…[cut, N bytes]`, together at most `max` bytes.
pub fn cut_text(text: &str, max: usize) -> Cow<'_, str> {
    if text.len() <= max {
        return Cow::Borrowed(text);
    }
    let note = format!("…[cut, {} bytes]", text.len());
    let mut end = max.saturating_sub(note.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    Cow::Owned(format!("{}{note}", &text[..end]))
}

/// The first `max` bytes of `body`, a little fewer when that would split a UTF-8 character.
pub fn cut_bytes(body: &[u8], max: usize) -> &[u8] {
    if body.len() <= max {
        return body;
    }
    let mut end = max;
    // Back off over continuation bytes (10xxxxxx) to the start of the character they belong to.
    while end > 0 && max - end < 3 && body[end] & 0xC0 == 0x80 {
        end -= 1;
    }
    if body[end] & 0xC0 == 0x80 {
        end = max; // Not UTF-8 here: cut where the limit says.
    }
    &body[..end]
}

/// The headers JSON (`[[name, value], …]`) whole when it fits in [`REJECTION_HEADERS_KEPT_BYTES`];
/// else the headers that fit, each name and value cut to its own cap, and a last pair `["…", note]`
/// saying how many headers and bytes were not kept. Always valid JSON of the same shape.
fn cut_headers(json: &str) -> Cow<'_, str> {
    if json.len() <= REJECTION_HEADERS_KEPT_BYTES {
        return Cow::Borrowed(json);
    }
    let pairs: Vec<(String, String)> = serde_json::from_str(json)
        .unwrap_or_else(|_| vec![("[unreadable headers]".to_owned(), json.to_owned())]);
    // Room for the brackets and the note.
    let mut used = 2 + 128;
    let mut kept: Vec<(Cow<'_, str>, Cow<'_, str>)> = Vec::new();
    let (mut dropped, mut dropped_bytes) = (0usize, 0usize);
    for (name, value) in &pairs {
        let pair = (
            cut_text(name, REJECTION_HEADER_NAME_KEPT_BYTES),
            cut_text(value, REJECTION_HEADER_VALUE_KEPT_BYTES),
        );
        let size = serde_json::to_string(&pair).map_or(usize::MAX, |s| s.len() + 1);
        if dropped == 0 && used + size <= REJECTION_HEADERS_KEPT_BYTES {
            used += size;
            kept.push(pair);
        } else {
            dropped += 1;
            dropped_bytes += name.len() + value.len();
        }
    }
    if dropped > 0 {
        kept.push((
            Cow::Borrowed("…"),
            Cow::Owned(format!(
                "[cut: {dropped} more headers, {dropped_bytes} bytes, not kept]"
            )),
        ));
    }
    Cow::Owned(serde_json::to_string(&kept).expect("headers serialise"))
}

/// Decoded JWT JSON whole when it fits in [`REJECTION_JWT_KEPT_BYTES`]; else a JSON string holding
/// its start and the note of the cut (still JSON, so it reads back).
fn cut_json(json: &str) -> Cow<'_, str> {
    if json.len() <= REJECTION_JWT_KEPT_BYTES {
        return Cow::Borrowed(json);
    }
    // Escaping at most doubles JSON text (a quote or backslash becomes two characters).
    let start = cut_text(json, REJECTION_JWT_KEPT_BYTES / 2 - 16);
    Cow::Owned(serde_json::to_string(&start).expect("a string serialises"))
}

/// An upper bound of the bytes a row of `record` bytes takes in a database of `page` bytes per page:
/// a whole leaf page, plus whole overflow pages (each holds `page - 4` bytes) when it does not fit in
/// one, plus its index entries.
pub(super) fn footprint(record: u64, page: u64) -> u64 {
    let max_local = page.saturating_sub(35);
    let pages = if record <= max_local {
        1
    } else {
        1 + record.div_ceil(page.saturating_sub(4).max(1))
    };
    pages * page + ROW_OVERHEAD_BYTES
}

/// The bytes all kept rejections account for (both classes), per [`footprint`].
pub fn accounted_bytes(conn: &Connection) -> rusqlite::Result<u64> {
    conn.prepare_cached(
        "SELECT coalesce(sum(value), 0) FROM counters
         WHERE name IN ('rejections.jwt.bytes', 'rejections.other.bytes')",
    )?
    .query_row([], |r| r.get::<_, i64>(0))
    .map(|n| n.max(0) as u64)
}

/// Rows and bytes kept of `class`, from the running totals.
pub fn totals(conn: &Connection, class: Class) -> rusqlite::Result<(i64, i64)> {
    let mut stmt = conn.prepare_cached("SELECT value FROM counters WHERE name = ?1")?;
    let mut get = |name: &str| {
        stmt.query_row([name], |r| r.get::<_, i64>(0))
            .optional()
            .map(Option::unwrap_or_default)
    };
    Ok((get(class.rows_counter())?, get(class.bytes_counter())?))
}

fn set_totals(conn: &Connection, class: Class, rows: i64, bytes: i64) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO counters (name, value) VALUES (?1, ?2)
         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
    )?;
    stmt.execute(params![class.rows_counter(), rows.max(0)])?;
    stmt.execute(params![class.bytes_counter(), bytes.max(0)])?;
    Ok(())
}

/// Takes rows deleted elsewhere (retention by age) off the running totals of `class`.
pub(super) fn forget(
    conn: &Connection,
    class: Class,
    rows: i64,
    bytes: i64,
) -> rusqlite::Result<()> {
    if rows == 0 && bytes == 0 {
        return Ok(());
    }
    let (r, b) = totals(conn, class)?;
    set_totals(conn, class, r - rows, b - bytes)
}

/// Stores `r`, capped, under `id`, then deletes the oldest of its class while the class is over its
/// count or its bytes. Returns the rows deleted.
pub(super) fn insert(
    conn: &Connection,
    r: &NewRejection,
    id: i64,
    kept: u64,
    page_size: u64,
) -> rusqlite::Result<i64> {
    let c = cap(r);
    let class = Class::of(r);
    let bytes = footprint(c.record_bytes(), page_size) as i64;
    conn.prepare_cached(
        "INSERT INTO rejections (id, received_at, endpoint, path, method, remote_addr, status, reason,
             headers, jwt_header, jwt_claims, body, body_bytes, class, stored_bytes)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )?
    .execute(params![
        id,
        r.received_at,
        c.endpoint,
        c.path,
        c.method,
        c.remote_addr,
        r.status,
        c.reason,
        c.headers,
        c.jwt_header,
        c.jwt_claims,
        c.body,
        c.body_bytes,
        class.name(),
        bytes,
    ])?;
    let (rows, total) = totals(conn, class)?;
    trim(conn, class, rows + 1, total + bytes, kept)
}

/// Deletes the oldest rows of `class` until it holds at most `kept` rows and
/// [`REJECTION_CLASS_BUDGET_BYTES`], starting from totals `rows` and `bytes`, and saves the totals.
fn trim(
    conn: &Connection,
    class: Class,
    mut rows: i64,
    mut bytes: i64,
    kept: u64,
) -> rusqlite::Result<i64> {
    let kept = i64::try_from(kept).unwrap_or(i64::MAX);
    let mut deleted = 0;
    let mut stmt = conn.prepare_cached(
        "DELETE FROM rejections
         WHERE id = (SELECT id FROM rejections WHERE class = ?1 ORDER BY id LIMIT 1)
         RETURNING stored_bytes",
    )?;
    while rows > kept || bytes > REJECTION_CLASS_BUDGET_BYTES as i64 {
        let Some(freed) = stmt
            .query_row([class.name()], |r| r.get::<_, i64>(0))
            .optional()?
        else {
            // The class is empty: the totals say otherwise only if they drifted; they are now true.
            (rows, bytes) = (0, 0);
            break;
        };
        rows -= 1;
        bytes -= freed;
        deleted += 1;
    }
    set_totals(conn, class, rows, bytes)?;
    Ok(deleted)
}

/// At open: caps rows stored before rejections were capped (their `stored_bytes` is 0), recounts the
/// totals of each class from the table, and trims each class to its limits.
pub(super) fn reconcile(conn: &mut Connection, kept: u64, page_size: u64) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let legacy: Vec<i64> = tx
        .prepare("SELECT id FROM rejections WHERE stored_bytes = 0 ORDER BY id")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for id in legacy {
        let r = tx.query_row(
            "SELECT received_at, endpoint, path, method, remote_addr, status, reason, headers,
                    jwt_header, jwt_claims, body, body_bytes
             FROM rejections WHERE id = ?1",
            [id],
            |r| {
                Ok(NewRejection {
                    received_at: r.get(0)?,
                    endpoint: r.get(1)?,
                    path: r.get(2)?,
                    method: r.get(3)?,
                    remote_addr: r.get(4)?,
                    status: r.get(5)?,
                    reason: r.get(6)?,
                    headers: r.get(7)?,
                    jwt_header: r.get(8)?,
                    jwt_claims: r.get(9)?,
                    body: r.get(10)?,
                    body_bytes: r.get(11)?,
                })
            },
        )?;
        let c = cap(&r);
        let bytes = footprint(c.record_bytes(), page_size) as i64;
        tx.execute(
            "UPDATE rejections SET endpoint = ?2, path = ?3, method = ?4, remote_addr = ?5, reason = ?6,
                 headers = ?7, jwt_header = ?8, jwt_claims = ?9, body = ?10, body_bytes = ?11,
                 class = ?12, stored_bytes = ?13
             WHERE id = ?1",
            params![
                id,
                c.endpoint,
                c.path,
                c.method,
                c.remote_addr,
                c.reason,
                c.headers,
                c.jwt_header,
                c.jwt_claims,
                c.body,
                c.body_bytes,
                Class::of(&r).name(),
                bytes
            ],
        )?;
    }
    for class in Class::ALL {
        let (rows, bytes): (i64, i64) = tx.query_row(
            "SELECT count(*), coalesce(sum(stored_bytes), 0) FROM rejections WHERE class = ?1",
            [class.name()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        trim(&tx, class, rows, bytes, kept)?;
    }
    tx.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_cut_at_a_character_boundary_with_a_note() {
        let text = "é".repeat(3_000); // 6,000 bytes
        let cut = cut_text(&text, 2_048);
        assert!(cut.len() <= 2_048, "{}", cut.len());
        assert!(cut.ends_with("…[cut, 6000 bytes]"), "{cut}");
        assert!(cut.starts_with("éé"));
        assert_eq!(cut_text("short", 2_048), "short");
    }

    #[test]
    fn bodies_are_cut_before_a_split_character() {
        let mut body = vec![b'a'; 10];
        body.extend("€".as_bytes()); // 3 bytes at 10..13
        assert_eq!(cut_bytes(&body, 11), &body[..10]);
        assert_eq!(cut_bytes(&body, 12), &body[..10]);
        assert_eq!(cut_bytes(&body, 13), &body[..13]);
        let binary = vec![0x80u8; 100];
        assert_eq!(cut_bytes(&binary, 50).len(), 50);
    }

    #[test]
    fn huge_headers_keep_their_shape_and_a_note() {
        let pairs: Vec<(String, String)> = (0..3_000)
            .map(|i| (format!("X-H{i}"), "v".repeat(10_000)))
            .collect();
        let json = serde_json::to_string(&pairs).unwrap();
        let cut = cut_headers(&json);
        assert!(cut.len() <= REJECTION_HEADERS_KEPT_BYTES, "{}", cut.len());
        let back: Vec<(String, String)> = serde_json::from_str(&cut).unwrap();
        assert!(back.len() >= 3, "{}", back.len());
        assert!(back[0].1.contains("…[cut, 10000 bytes]"));
        let (name, note) = back.last().unwrap();
        assert_eq!(name, "…");
        assert!(note.contains("more headers"), "{note}");
    }

    #[test]
    fn a_huge_token_stays_json() {
        let claims = serde_json::json!({"sub": "\"".repeat(50_000)}).to_string();
        let cut = cut_json(&claims);
        assert!(cut.len() <= REJECTION_JWT_KEPT_BYTES, "{}", cut.len());
        let value: serde_json::Value = serde_json::from_str(&cut).unwrap();
        assert!(value.as_str().unwrap().contains("[cut, "));
    }

    #[test]
    fn the_footprint_bounds_the_pages_a_row_takes() {
        assert_eq!(footprint(1_000, 4_096), 4_096 + ROW_OVERHEAD_BYTES);
        // 64 KiB of body: 17 overflow pages of 4,092 bytes, plus the leaf.
        let f = footprint(65_536 + 500, 4_096);
        assert!(
            (17 * 4_096..=19 * 4_096 + ROW_OVERHEAD_BYTES).contains(&f),
            "{f}"
        );
    }
}
