//! Patched for Assistant Logbook: the limits on what one client can make the server hold, in one
//! place. A request head that breaks one of them is answered (414, 431, 408 or 400) with
//! `Connection: close`, and the connection is closed.

/// The request line (`POST /path HTTP/1.1`), without its CRLF; longer is answered 414.
pub const MAX_REQUEST_LINE_BYTES: usize = 8 * 1024;
/// One header line, without its CRLF; longer is answered 431.
pub const MAX_HEADER_LINE_BYTES: usize = 16 * 1024;
/// Header lines in one request (or in a chunked body's trailer); more is answered 431.
pub const MAX_HEADER_COUNT: usize = 100;
/// All header lines of one request together, CRLFs included; more is answered 431.
pub const MAX_HEADERS_TOTAL_BYTES: usize = 64 * 1024;
/// The whole head (request line and headers) must arrive within this long of the server starting to
/// wait for it, however slowly it trickles; if part of it came, the answer is 408.
pub const HEAD_DEADLINE_MS: u64 = 10_000;
/// One chunk-size line of a chunked body, extensions included, without its CRLF; longer fails the
/// body (the request is answered 400 unless the handler answered it).
pub const MAX_CHUNK_SIZE_LINE_BYTES: usize = 4 * 1024;
/// A chunked body's reader returns `ErrorKind::Interrupted` (retry) when it has spent this long in one
/// `read` on chunk framing without any data, so that a caller's own deadline is looked at.
pub const CHUNK_FRAMING_SLICE_MS: u64 = 500;
/// When a connection is closed with part of a request unread, its write side is shut down first and
/// what the client still sends is read and thrown away for at most this long (a lingering close), so
/// that the client can read the answer: closing a socket with unread input resets the connection.
pub const LINGER_MS: u64 = 1_000;
/// ... and at most this many bytes.
pub const LINGER_MAX_BYTES: usize = 1024 * 1024;
