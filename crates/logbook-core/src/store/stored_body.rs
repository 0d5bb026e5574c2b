//! How the event log keeps a body: a zstd frame when that is smaller, with the body's length in
//! `events.body_zstd`; as it came otherwise (and in every row written before, where `body_zstd` is
//! NULL). Reading gives back the exact bytes received either way.
//!
//! Why: a webhook body is JSON that compresses two and a half to three and a half times, and a 2 KB
//! row fills a 4 KiB page alone. Compressed, several fit in a page, so each group commit writes
//! fewer pages (the writer's CPU per event: 53 µs → 40 µs in `bench ingest`'s burst) and the file
//! is smaller. The compressing is done on the thread that submits the event, beside the other
//! requests, never by the writer.
//!
//! Every reader of `events.body` selects [`crate::query::Dialect::body`] and passes both columns to
//! [`unpack`]; sizes are [`crate::query::Dialect::body_bytes`]. A team's PostgreSQL store keeps
//! bodies as they came (PostgreSQL compresses large values itself).

use std::cell::RefCell;

use rusqlite::types::{Type, ValueRef};

/// zstd's fastest level: a 2 KB body in about 10 µs, to a third of its size.
const LEVEL: i32 = 1;

/// The longest body a frame may claim: SQLite's own limit on a value. A larger claim is a damaged
/// row, refused rather than allocated.
const MAX_BODY_BYTES: i64 = 1_000_000_000;

/// A body as the event log keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Packed {
    /// `events.body`.
    pub(crate) bytes: Vec<u8>,
    /// `events.body_zstd`: the body's length when `bytes` is its zstd frame.
    pub(crate) zstd_of: Option<i64>,
}

thread_local! {
    static COMPRESSOR: RefCell<Option<zstd::bulk::Compressor<'static>>> =
        const { RefCell::new(None) };
    static DECOMPRESSOR: RefCell<Option<zstd::bulk::Decompressor<'static>>> =
        const { RefCell::new(None) };
}

/// `body` as the event log keeps it: compressed when that is smaller, else as it is. Each thread
/// keeps one compressor (making one costs more than compressing a body).
pub(crate) fn pack(body: Vec<u8>) -> Packed {
    let compressed = COMPRESSOR.with(|cell| {
        let mut cell = cell.borrow_mut();
        let compressor = match cell.as_mut() {
            Some(compressor) => compressor,
            None => cell.insert(zstd::bulk::Compressor::new(LEVEL).ok()?),
        };
        compressor.compress(&body).ok()
    });
    match compressed {
        Some(frame) if frame.len() < body.len() => Packed {
            zstd_of: Some(body.len() as i64),
            bytes: frame,
        },
        _ => Packed {
            bytes: body,
            zstd_of: None,
        },
    }
}

/// The exact body received, from the columns `body` and `body_zstd` (read as `stored`, which may
/// be a blob or text, and `zstd_of`; `column` is `body`'s index, for the error). A frame that does
/// not give back exactly `zstd_of` bytes is a damaged row: an error, never a wrong body.
pub fn unpack(
    stored: ValueRef<'_>,
    zstd_of: Option<i64>,
    column: usize,
) -> rusqlite::Result<Vec<u8>> {
    unpack_nullable(stored, zstd_of, column)?
        .ok_or_else(|| damaged(column, Type::Null, "an event without a body".into()))
}

/// [`unpack`] of a column that may be NULL (a body selected only for some rows).
pub fn unpack_nullable(
    stored: ValueRef<'_>,
    zstd_of: Option<i64>,
    column: usize,
) -> rusqlite::Result<Option<Vec<u8>>> {
    let bytes = match stored {
        ValueRef::Null => return Ok(None),
        ValueRef::Blob(bytes) | ValueRef::Text(bytes) => bytes,
        other => {
            return Err(damaged(
                column,
                other.data_type(),
                "a body that is not bytes".into(),
            ));
        }
    };
    let Some(length) = zstd_of else {
        return Ok(Some(bytes.to_vec()));
    };
    if !(0..=MAX_BODY_BYTES).contains(&length) {
        return Err(damaged(
            column,
            Type::Blob,
            format!("a compressed body claims {length} bytes"),
        ));
    }
    let body = DECOMPRESSOR.with(|cell| {
        let mut cell = cell.borrow_mut();
        let decompressor = match cell.as_mut() {
            Some(decompressor) => decompressor,
            None => cell.insert(zstd::bulk::Decompressor::new()?),
        };
        decompressor.decompress(bytes, length as usize)
    });
    match body {
        Ok(body) if body.len() as i64 == length => Ok(Some(body)),
        Ok(body) => Err(damaged(
            column,
            Type::Blob,
            format!("a compressed body of {length} bytes gave {}", body.len()),
        )),
        Err(err) => Err(damaged(
            column,
            Type::Blob,
            format!("a compressed body does not decompress: {err}"),
        )),
    }
}

fn damaged(column: usize, kind: Type, why: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(column, kind, why.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_body_is_kept_compressed_and_read_back_exactly() {
        let body = br#"{"event":{"name":"message_logged"},"payload":{"log_id":"a","input":{"text":"hello hello hello hello hello hello"},"output":{"generic":[{"response_type":"text","text":"hello hello hello"}]}}}"#.to_vec();
        let packed = pack(body.clone());
        assert_eq!(packed.zstd_of, Some(body.len() as i64));
        assert!(packed.bytes.len() < body.len(), "{packed:?}");
        assert_eq!(
            unpack(ValueRef::Blob(&packed.bytes), packed.zstd_of, 0).unwrap(),
            body
        );
    }

    #[test]
    fn a_body_compressing_does_not_shrink_is_kept_as_it_came() {
        for body in [Vec::new(), b"{}".to_vec(), (0..=255u8).collect::<Vec<_>>()] {
            let packed = pack(body.clone());
            assert_eq!(
                packed,
                Packed {
                    bytes: body.clone(),
                    zstd_of: None
                }
            );
            assert_eq!(
                unpack(ValueRef::Blob(&packed.bytes), None, 0).unwrap(),
                body
            );
            assert_eq!(
                unpack(ValueRef::Text(&packed.bytes), None, 0).unwrap(),
                body
            );
        }
    }

    #[test]
    fn a_damaged_row_is_an_error_never_a_wrong_body() {
        let body = b"abcabcabcabcabcabcabcabcabcabcabcabcabcabc".to_vec();
        let packed = pack(body.clone());
        let length = body.len() as i64;
        for (bytes, zstd_of, says) in [
            (
                packed.bytes.clone(),
                Some(length - 1),
                "does not decompress",
            ),
            (packed.bytes.clone(), Some(length + 1), "gave"),
            (b"not a frame".to_vec(), Some(length), "does not decompress"),
            (packed.bytes.clone(), Some(-1), "claims"),
            (packed.bytes, Some(MAX_BODY_BYTES + 1), "claims"),
        ] {
            let err = unpack(ValueRef::Blob(&bytes), zstd_of, 3)
                .unwrap_err()
                .to_string();
            assert!(err.contains(says), "{zstd_of:?}: {err}");
        }
        assert!(unpack(ValueRef::Null, None, 0).is_err());
        assert!(unpack(ValueRef::Integer(7), None, 0).is_err());
        assert_eq!(unpack_nullable(ValueRef::Null, None, 0).unwrap(), None);
    }
}
