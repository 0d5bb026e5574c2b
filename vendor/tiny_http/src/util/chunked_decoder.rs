//! Patched for Assistant Logbook: the decoder of a chunked request body, replacing
//! `chunked_transfer::Decoder` (still used to encode responses), which read a chunk-size line (with
//! its extensions) and the trailer without any limit: an endless chunk extension held a worker past
//! the receiver's body deadline, inside one `read` call, and grew memory.
//!
//! Here a chunk-size line longer than `MAX_CHUNK_SIZE_LINE_BYTES`, a trailer line longer than
//! `MAX_HEADER_LINE_BYTES` or with more than `MAX_HEADER_COUNT` lines, a line not ended by CRLF, a
//! chunk size that is not 1 to 16 hex digits or data not followed by CRLF fail the body
//! (`InvalidData`, and the request is marked malformed: answered 400 with `Connection: close` unless
//! the handler answers). One `read` spends at most about `CHUNK_FRAMING_SLICE_MS` (plus one socket
//! read) on framing without data before it returns `ErrorKind::Interrupted`, which every reader loop
//! retries (`read_to_end` does), so that the caller's own deadline is checked.

use std::io::{Error as IoError, ErrorKind, Read, Result as IoResult};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::BodyState;
use crate::limits::{
    CHUNK_FRAMING_SLICE_MS, MAX_CHUNK_SIZE_LINE_BYTES, MAX_HEADER_COUNT, MAX_HEADER_LINE_BYTES,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading a chunk-size line.
    Size,
    /// In a chunk's data, with this many bytes left.
    Data(u64),
    /// Reading the CRLF after a chunk's data.
    DataEnd,
    /// Reading trailer lines; this many were read.
    Trailer(usize),
    Done,
    Failed,
}

pub struct ChunkedDecoder<R: Read> {
    source: R,
    state: State,
    /// The line being read (kept across `Interrupted`).
    line: Vec<u8>,
    body: Arc<BodyState>,
}

impl<R: Read> ChunkedDecoder<R> {
    pub fn new(source: R, body: Arc<BodyState>) -> ChunkedDecoder<R> {
        ChunkedDecoder {
            source,
            state: State::Size,
            line: Vec::new(),
            body,
        }
    }

    fn fail(&mut self, why: &str) -> IoError {
        self.state = State::Failed;
        self.body.set_malformed();
        IoError::new(ErrorKind::InvalidData, format!("bad chunked body: {}", why))
    }

    /// Reads the rest of a CRLF-ended line into `self.line` (without the CRLF). `Ok(false)` means the
    /// time slice is spent (call again).
    fn read_line(&mut self, limit: usize, started: Instant) -> IoResult<bool> {
        let slice = Duration::from_millis(CHUNK_FRAMING_SLICE_MS);
        let mut byte = [0u8; 1];
        loop {
            if started.elapsed() >= slice {
                return Ok(false);
            }
            match self.source.read(&mut byte) {
                Ok(0) => return Err(self.fail("the connection ended inside the chunk framing")),
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
            if byte[0] == b'\n' {
                if self.line.pop() != Some(b'\r') {
                    return Err(self.fail("a line ended without CRLF"));
                }
                return Ok(true);
            }
            if self.line.len() >= limit + 1 {
                return Err(self.fail("a chunk-size or trailer line is too long"));
            }
            self.line.push(byte[0]);
        }
    }
}

fn parse_size(line: &[u8]) -> Option<u64> {
    let size = match line.iter().position(|&b| b == b';') {
        Some(i) => &line[..i],
        None => line,
    };
    // BWS before the extensions' `;` is allowed.
    let mut end = size.len();
    while end > 0 && (size[end - 1] == b' ' || size[end - 1] == b'\t') {
        end -= 1;
    }
    let size = &size[..end];
    if size.is_empty() || size.len() > 16 || !size.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u64::from_str_radix(std::str::from_utf8(size).ok()?, 16).ok()
}

impl<R: Read> Read for ChunkedDecoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> IoResult<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let started = Instant::now();
        loop {
            match self.state {
                State::Done => return Ok(0),
                State::Failed => {
                    return Err(IoError::new(ErrorKind::InvalidData, "bad chunked body"))
                }
                State::Data(left) => {
                    let want = (buf.len() as u64).min(left) as usize;
                    let got = match self.source.read(&mut buf[..want]) {
                        Ok(0) => return Err(self.fail("the connection ended inside a chunk")),
                        Ok(n) => n,
                        Err(e) => return Err(e),
                    };
                    let left = left - got as u64;
                    self.state = if left == 0 {
                        State::DataEnd
                    } else {
                        State::Data(left)
                    };
                    return Ok(got);
                }
                State::Size => {
                    if !self.read_line(MAX_CHUNK_SIZE_LINE_BYTES, started)? {
                        return Err(IoError::new(ErrorKind::Interrupted, "chunk framing"));
                    }
                    let size = match parse_size(&self.line) {
                        Some(size) => size,
                        None => return Err(self.fail("the chunk size is not hexadecimal")),
                    };
                    self.line.clear();
                    self.state = if size == 0 {
                        State::Trailer(0)
                    } else {
                        State::Data(size)
                    };
                }
                State::DataEnd => {
                    if !self.read_line(0, started)? {
                        return Err(IoError::new(ErrorKind::Interrupted, "chunk framing"));
                    }
                    if !self.line.is_empty() {
                        return Err(self.fail("chunk data is not followed by CRLF"));
                    }
                    self.state = State::Size;
                }
                State::Trailer(count) => {
                    if !self.read_line(MAX_HEADER_LINE_BYTES, started)? {
                        return Err(IoError::new(ErrorKind::Interrupted, "chunk framing"));
                    }
                    if self.line.is_empty() {
                        self.state = State::Done;
                        self.body.set_complete();
                        return Ok(0);
                    }
                    if count >= MAX_HEADER_COUNT {
                        return Err(self.fail("too many trailer lines"));
                    }
                    self.line.clear();
                    self.state = State::Trailer(count + 1);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{BodyState, ChunkedDecoder};
    use std::io::{Cursor, ErrorKind, Read};

    fn decode(input: &[u8]) -> (std::io::Result<Vec<u8>>, bool) {
        let state = BodyState::new(false);
        let mut decoder = ChunkedDecoder::new(Cursor::new(input.to_vec()), state.clone());
        let mut out = Vec::new();
        let result = decoder.read_to_end(&mut out).map(|_| out);
        (result, state.is_complete())
    }

    #[test]
    fn decodes_and_completes() {
        let (out, complete) = decode(b"3;ext=1\r\nabc\r\n10 \r\n0123456789abcdef\r\n0\r\nX: y\r\n\r\nNEXT");
        assert_eq!(out.unwrap(), b"abc0123456789abcdef");
        assert!(complete);
    }

    #[test]
    fn refuses_bad_framing() {
        let long = format!("1;{}\r\na\r\n0\r\n\r\n", "x".repeat(5000));
        for bad in [
            &b"zz\r\n"[..],
            b"3\nabc\r\n0\r\n\r\n",
            b"3\r\nabcd\r\n0\r\n\r\n",
            b"3\r\nab",
            long.as_bytes(),
        ] {
            let (out, complete) = decode(bad);
            assert!(!complete);
            let kind = out.unwrap_err().kind();
            assert!(kind == ErrorKind::InvalidData, "{:?}", kind);
        }
    }
}
