use ascii::AsciiString;

use std::io::Error as IoError;
use std::io::Result as IoResult;
use std::io::{BufReader, BufWriter, ErrorKind, Read};

use std::io::BufRead;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::{HTTPVersion, Method};
use crate::limits::{
    HEAD_DEADLINE_MS, LINGER_MAX_BYTES, LINGER_MS, MAX_HEADERS_TOTAL_BYTES, MAX_HEADER_COUNT, MAX_HEADER_LINE_BYTES,
    MAX_REQUEST_LINE_BYTES,
};
use crate::util::{BodyState, RefinedTcpStream};
use crate::util::{SequentialReader, SequentialReaderBuilder, SequentialWriterBuilder};
use crate::{Header, Request};

/// A ClientConnection is an object that will store a socket to a client
/// and return Request objects.
pub struct ClientConnection {
    // address of the client
    remote_addr: IoResult<Option<SocketAddr>>,

    // sequence of Readers to the stream, so that the data is not read in
    //  the wrong order
    source: SequentialReaderBuilder<BufReader<RefinedTcpStream>>,

    // sequence of Writers to the stream, to avoid writing response #2 before
    //  response #1
    sink: SequentialWriterBuilder<BufWriter<RefinedTcpStream>>,

    // Reader to read the next header from
    next_header_source: SequentialReader<BufReader<RefinedTcpStream>>,

    // set to true if we know that the previous request is the last one
    no_more_requests: bool,

    // true if the connection goes through SSL
    secure: bool,

    // Patched for Assistant Logbook: the socket's own read timeout, restored after a head is read
    // under the head deadline.
    read_timeout: Option<Duration>,

    // Patched for Assistant Logbook: the state of the previous request's body; if it was not read to
    // its end or its answer closed the connection, no further request is read.
    previous: Option<Arc<BodyState>>,

    // Patched for Assistant Logbook: a refusal was written; linger when closing.
    refused: bool,
}

// Patched for Assistant Logbook: a lingering close. When the connection ends with part of a request
// unread (a refused head, a body not read to its end), the write side is shut down after the answer
// and what the client still sends is thrown away for at most `LINGER_MS` / `LINGER_MAX_BYTES`, on
// this connection's thread (never a worker), and never parsed. Closing at once with unread input
// makes the kernel reset the connection, and a client still writing its body then fails with a
// broken pipe instead of reading the answer.
impl Drop for ClientConnection {
    fn drop(&mut self) {
        let unread = self.refused || self.previous.as_ref().is_some_and(|p| p.must_close());
        if !unread {
            return;
        }
        let Some(reader) = self.next_header_source.try_inner_mut(Duration::from_millis(500))
        else {
            return;
        };
        reader.get_mut().shutdown_write();
        let deadline = Instant::now() + Duration::from_millis(LINGER_MS);
        let mut discarded = 0;
        let mut buf = [0u8; 8192];
        while discarded < LINGER_MAX_BYTES {
            let left = deadline.saturating_duration_since(Instant::now());
            if left < Duration::from_millis(1) {
                break;
            }
            reader.get_ref().set_read_timeout(Some(left)).ok();
            match reader.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => discarded += n,
            }
        }
    }
}

/// Error that can happen when reading a request.
#[derive(Debug)]
enum ReadError {
    WrongRequestLine,
    WrongHeader(HTTPVersion),
    /// the client sent an unrecognized `Expect` header
    ExpectationFailed(HTTPVersion),
    ReadIoError(IoError),
    // Patched for Assistant Logbook: a head that breaks a limit or frames its body ambiguously is
    // answered with this status (400, 408, 414, 431, 501) and `Connection: close`, and the
    // connection is closed.
    Refused(u16, HTTPVersion),
}

/// Patched for Assistant Logbook: why a head line could not be read.
enum LineError {
    TooLong,
    /// The head deadline passed or the socket timed out; `true` if part of this head had arrived.
    TimedOut,
    NotAscii,
    Io(IoError),
}

/// Patched for Assistant Logbook: refuses what lets a request's body be framed two ways (request
/// smuggling): a `Transfer-Encoding` other than exactly `chunked` (501; 400 when repeated, or with
/// HTTP/1.0), both `Transfer-Encoding` and `Content-Length` (400), and a `Content-Length` that is
/// repeated or not plain digits (400).
fn check_framing(headers: &[Header], version: &HTTPVersion) -> Result<(), ReadError> {
    let refuse = |status| Err(ReadError::Refused(status, version.clone()));
    let te: Vec<&Header> = headers
        .iter()
        .filter(|h| h.field.equiv("Transfer-Encoding"))
        .collect();
    let cl: Vec<&Header> = headers
        .iter()
        .filter(|h| h.field.equiv("Content-Length"))
        .collect();
    if !te.is_empty() {
        if te.len() > 1 || !cl.is_empty() || *version < (1, 1) {
            return refuse(400);
        }
        if !te[0].value.as_str().eq_ignore_ascii_case("chunked") {
            return refuse(501);
        }
    }
    if cl.len() > 1 {
        return refuse(400);
    }
    if let Some(cl) = cl.first() {
        let value = cl.value.as_str();
        if value.is_empty()
            || !value.bytes().all(|b| b.is_ascii_digit())
            || value.parse::<usize>().is_err()
        {
            return refuse(400);
        }
    }
    Ok(())
}

impl ClientConnection {
    /// Creates a new `ClientConnection` that takes ownership of the `TcpStream`.
    pub fn new(
        write_socket: RefinedTcpStream,
        mut read_socket: RefinedTcpStream,
    ) -> ClientConnection {
        let remote_addr = read_socket.peer_addr();
        let secure = read_socket.secure();
        let read_timeout = read_socket.read_timeout().ok().flatten();

        let mut source = SequentialReaderBuilder::new(BufReader::with_capacity(1024, read_socket));
        let first_header = source.next().unwrap();

        ClientConnection {
            source,
            sink: SequentialWriterBuilder::new(BufWriter::with_capacity(1024, write_socket)),
            remote_addr,
            next_header_source: first_header,
            no_more_requests: false,
            secure,
            read_timeout,
            previous: None,
            refused: false,
        }
    }

    /// true if the connection is HTTPS
    pub fn secure(&self) -> bool {
        self.secure
    }

    /// Reads the next line from self.next_header_source.
    ///
    /// Reads until `CRLF` is reached. The next read will start
    ///  at the first byte of the new line.
    ///
    /// Patched for Assistant Logbook: a line longer than `limit` bytes is an error (it was read
    /// whole into memory, so a 768 MiB header line took 768 MiB), and so is a head that has not
    /// arrived by `deadline` (the socket's read timeout is shortened to what is left of it before
    /// each read from the socket, so a client trickling bytes cannot stretch it). `received` counts
    /// the bytes of this head.
    fn read_next_line(
        &mut self,
        limit: usize,
        deadline: Instant,
        received: &mut usize,
    ) -> Result<AsciiString, LineError> {
        let own_timeout = self.read_timeout;
        let reader = self.next_header_source.inner_mut();
        let mut buf = Vec::new();

        loop {
            if reader.buffer().is_empty() {
                let left = deadline.saturating_duration_since(Instant::now());
                if left < Duration::from_millis(1) {
                    return Err(LineError::TimedOut);
                }
                let timeout = own_timeout.map_or(left, |t| t.min(left));
                reader.get_ref().set_read_timeout(Some(timeout)).ok();
            }
            let available = match reader.fill_buf() {
                Ok(available) => available,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    return Err(LineError::TimedOut)
                }
                Err(e) => return Err(LineError::Io(e)),
            };
            if available.is_empty() {
                return Err(LineError::Io(IoError::new(
                    ErrorKind::ConnectionAborted,
                    "Unexpected EOF",
                )));
            }
            let mut used = 0;
            let mut done = false;
            for &byte in available {
                used += 1;
                if byte == b'\n' && buf.last() == Some(&b'\r') {
                    buf.pop(); // removing the '\r'
                    done = true;
                    break;
                }
                buf.push(byte);
            }
            reader.consume(used);
            *received += used;
            if done && buf.len() > limit {
                return Err(LineError::TooLong);
            }
            if done {
                return AsciiString::from_ascii(buf).map_err(|_| LineError::NotAscii);
            }
            // One byte of slack for the '\r' that may end the line.
            if buf.len() > limit + 1 {
                return Err(LineError::TooLong);
            }
        }
    }

    /// Patched for Assistant Logbook: the socket's own read timeout again, after a head.
    fn restore_read_timeout(&mut self) {
        let own_timeout = self.read_timeout;
        let reader = self.next_header_source.inner_mut();
        reader.get_ref().set_read_timeout(own_timeout).ok();
    }

    /// Patched for Assistant Logbook: the request line and headers, within the limits of
    /// `limits.rs`; obs-fold (a header line starting with a space or tab) is refused (400), and so is
    /// a body framed ambiguously (see `check_framing`).
    #[allow(clippy::type_complexity)]
    fn read_head(
        &mut self,
        deadline: Instant,
        received: &mut usize,
    ) -> Result<(Method, String, HTTPVersion, Vec<Header>), ReadError> {
        let line_error = |e: LineError, received: usize, too_long: u16, version: &HTTPVersion| {
            let status = match e {
                LineError::TooLong => too_long,
                LineError::NotAscii => 400,
                // Nothing of a next request came: an idle keep-alive connection, simply closed.
                LineError::TimedOut if received == 0 => return ReadError::ReadIoError(
                    IoError::new(ErrorKind::WouldBlock, "no request"),
                ),
                LineError::TimedOut => 408,
                LineError::Io(e) => return ReadError::ReadIoError(e),
            };
            ReadError::Refused(status, version.clone())
        };

        // reading the request line
        let (method, path, version) = {
            let line = self
                .read_next_line(MAX_REQUEST_LINE_BYTES, deadline, received)
                .map_err(|e| line_error(e, *received, 414, &HTTPVersion(1, 1)))?;

            parse_request_line(
                line.as_str().trim(), // TODO: remove this conversion
            )?
        };

        // getting all headers
        let mut headers = Vec::new();
        let mut total = 0;
        loop {
            let limit = MAX_HEADER_LINE_BYTES.min(MAX_HEADERS_TOTAL_BYTES - total);
            let line = self
                .read_next_line(limit, deadline, received)
                .map_err(|e| line_error(e, *received, 431, &version))?;

            if line.is_empty() {
                break;
            };
            total += line.len() + 2;
            if headers.len() >= MAX_HEADER_COUNT || total > MAX_HEADERS_TOTAL_BYTES {
                return Err(ReadError::Refused(431, version));
            }
            if line.as_bytes()[0] == b' ' || line.as_bytes()[0] == b'\t' {
                // obs-fold
                return Err(ReadError::WrongHeader(version));
            }
            headers.push(match FromStr::from_str(line.as_str().trim()) {
                // TODO: remove this conversion
                Ok(h) => h,
                _ => return Err(ReadError::WrongHeader(version)),
            });
        }

        check_framing(&headers, &version)?;

        Ok((method, path, version, headers))
    }

    /// Reads a request from the stream.
    /// Blocks until the header has been read.
    fn read(&mut self) -> Result<Request, ReadError> {
        // Patched for Assistant Logbook: limits on the head (see `limits.rs`).
        let deadline = Instant::now() + Duration::from_millis(HEAD_DEADLINE_MS);
        let mut received = 0;
        let head = self.read_head(deadline, &mut received);
        self.restore_read_timeout();
        let (method, path, version, headers) = head?;

        // building the writer for the request
        let writer = self.sink.next().unwrap();

        // follow-up for next potential request
        let mut data_source = self.source.next().unwrap();
        std::mem::swap(&mut self.next_header_source, &mut data_source);

        // building the next reader
        let request = crate::request::new_request(
            self.secure,
            method,
            path,
            version.clone(),
            headers,
            // Patched for Assistant Logbook: no panic if the peer's address could not be read (the
            // client already left).
            match self.remote_addr {
                Ok(addr) => addr,
                Err(ref e) => {
                    return Err(ReadError::ReadIoError(IoError::new(e.kind(), e.to_string())))
                }
            },
            data_source,
            writer,
        )
        .map_err(|e| {
            use crate::request;
            match e {
                // Patched for Assistant Logbook: a small body read here that did not arrive in
                // time is answered 408 (the socket's timeout gives WouldBlock on Unix).
                request::RequestCreationError::CreationIoError(e)
                    if e.kind() == ErrorKind::WouldBlock =>
                {
                    ReadError::Refused(408, version.clone())
                }
                request::RequestCreationError::CreationIoError(e) => ReadError::ReadIoError(e),
                request::RequestCreationError::ExpectationFailed => {
                    ReadError::ExpectationFailed(version)
                }
            }
        })?;

        // return the request
        Ok(request)
    }
}

impl Iterator for ClientConnection {
    type Item = Request;

    /// Blocks until the next Request is available.
    /// Returns None when no new Requests will come from the client.
    fn next(&mut self) -> Option<Request> {
        use crate::{Response, StatusCode};

        // the client sent a "connection: close" header in this previous request
        //  or is using HTTP 1.0, meaning that no new request will come
        if self.no_more_requests {
            return None;
        }

        // Patched for Assistant Logbook: the previous request's body was not read to its end (it is
        // never drained, and what follows it is not a request), or its answer said
        // `Connection: close`: the connection ends here.
        if self.previous.as_ref().is_some_and(|p| p.must_close()) {
            return None;
        }

        // Patched for Assistant Logbook: every refusal says `Connection: close`, and the connection
        // is then closed.
        let refuse = |this: &mut Self, status: u16, version: HTTPVersion| {
            this.refused = true;
            let mut writer = this.sink.next().unwrap();
            let response = Response::new_empty(StatusCode(status)).with_header(
                crate::Header::from_bytes(&b"Connection"[..], &b"close"[..]).unwrap(),
            );
            response
                .raw_print(&mut writer, version, &[], false, None)
                .ok();
            std::io::Write::flush(&mut writer).ok();
        };

        loop {
            let rq = match self.read() {
                Err(ReadError::WrongRequestLine) => {
                    refuse(self, 400, HTTPVersion(1, 1));
                    return None; // we don't know where the next request would start,
                                 // se we have to close
                }

                Err(ReadError::WrongHeader(ver)) => {
                    refuse(self, 400, ver);
                    return None; // we don't know where the next request would start,
                                 // se we have to close
                }

                Err(ReadError::ReadIoError(ref err)) if err.kind() == ErrorKind::TimedOut => {
                    // request timeout
                    refuse(self, 408, HTTPVersion(1, 1));
                    return None; // closing the connection
                }

                Err(ReadError::ExpectationFailed(ver)) => {
                    refuse(self, 417, ver);
                    return None; // TODO: should be recoverable, but needs handling in case of body
                }

                Err(ReadError::Refused(status, ver)) => {
                    refuse(self, status, ver);
                    return None;
                }

                Err(ReadError::ReadIoError(_)) => return None,

                Ok(rq) => rq,
            };

            // checking HTTP version
            if *rq.http_version() > (1, 1) {
                // Patched for Assistant Logbook: answered through the request (which then sends no
                // second, automatic 500), and the connection closed.
                let response = Response::from_string(
                    "This server only supports HTTP versions 1.0 and 1.1".to_owned(),
                )
                .with_status_code(StatusCode(505))
                .with_header(crate::Header::from_bytes(&b"Connection"[..], &b"close"[..]).unwrap());
                rq.respond(response).ok();
                return None;
            }

            self.previous = Some(rq.body_state());

            // updating the status of the connection
            let connection_header = rq
                .headers()
                .iter()
                .find(|h| h.field.equiv("Connection"))
                .map(|h| h.value.as_str());

            let lowercase = connection_header.map(|h| h.to_ascii_lowercase());

            match lowercase {
                Some(ref val) if val.contains("close") => self.no_more_requests = true,
                Some(ref val) if val.contains("upgrade") => self.no_more_requests = true,
                Some(ref val)
                    if !val.contains("keep-alive") && *rq.http_version() == HTTPVersion(1, 0) =>
                {
                    self.no_more_requests = true
                }
                None if *rq.http_version() == HTTPVersion(1, 0) => self.no_more_requests = true,
                _ => (),
            };

            // returning the request
            return Some(rq);
        }
    }
}

/// Parses a "HTTP/1.1" string.
fn parse_http_version(version: &str) -> Result<HTTPVersion, ReadError> {
    let (major, minor) = match version {
        "HTTP/0.9" => (0, 9),
        "HTTP/1.0" => (1, 0),
        "HTTP/1.1" => (1, 1),
        "HTTP/2.0" => (2, 0),
        "HTTP/3.0" => (3, 0),
        _ => return Err(ReadError::WrongRequestLine),
    };

    Ok(HTTPVersion(major, minor))
}

/// Parses the request line of the request.
/// eg. GET / HTTP/1.1
fn parse_request_line(line: &str) -> Result<(Method, String, HTTPVersion), ReadError> {
    let mut parts = line.split(' ');

    let method = parts.next().and_then(|w| w.parse().ok());
    let path = parts.next().map(ToOwned::to_owned);
    let version = parts.next().and_then(|w| parse_http_version(w).ok());

    method
        .and_then(|method| Some((method, path?, version?)))
        .ok_or(ReadError::WrongRequestLine)
}

#[cfg(test)]
mod test {
    #[test]
    fn test_parse_request_line() {
        let (method, path, ver) = super::parse_request_line("GET /hello HTTP/1.1").unwrap();

        assert!(method == crate::Method::Get);
        assert!(path == "/hello");
        assert!(ver == crate::common::HTTPVersion(1, 1));

        assert!(super::parse_request_line("GET /hello").is_err());
        assert!(super::parse_request_line("qsd qsd qsd").is_err());
    }
}
