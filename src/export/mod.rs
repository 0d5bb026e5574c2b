//! Exports. Every export streams rows from a read-only connection and never holds the whole result.
//!
//! `raw` is the round-trip format of `logbook import`: every accepted body (rejected requests are
//! not events), one compact JSON per line, in arrival order.

use std::io::Write;

use rusqlite::Connection;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("cannot write the export: {0}")]
    Io(#[from] std::io::Error),
}

/// Writes every stored body as one line of compact JSON; `progress` is told each row written.
/// Returns the number of rows.
pub fn raw(
    conn: &Connection,
    out: &mut dyn Write,
    progress: &dyn Fn(u64),
) -> Result<u64, ExportError> {
    let mut stmt = conn.prepare("SELECT body FROM events ORDER BY id")?;
    let mut rows = stmt.query([])?;
    let mut n = 0u64;
    let mut line = Vec::new();
    while let Some(row) = rows.next()? {
        let body = row.get_ref(0)?.as_bytes().map_err(rusqlite::Error::from)?;
        line.clear();
        compact_json(body, &mut line);
        line.push(b'\n');
        out.write_all(&line)?;
        n += 1;
        progress(n);
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
