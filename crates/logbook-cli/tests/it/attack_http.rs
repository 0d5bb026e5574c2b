//! The tiny_http rows of "Hold under attack": each attack is made on loopback, bounded in count and
//! time, and the receiver must answer it as it should, free its worker, keep its memory, and answer a
//! signed POST meanwhile. Memory is measured on a child `logbook serve` (this binary runs other tests
//! at the same time, so its own RSS says little).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use logbook_http::ingest::{Auth, Endpoint, Secret};

use crate::common::*;

/// Everything the server sends until it closes the connection (or `within` passes): the bytes, and
/// whether the connection was closed (end of stream or reset) rather than left open.
fn read_to_close(s: &mut TcpStream, within: Duration) -> (String, bool) {
    let started = Instant::now();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    while started.elapsed() < within {
        s.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        match s.read(&mut buf) {
            Ok(0) => return (String::from_utf8_lossy(&answer).into_owned(), true),
            Ok(n) => answer.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return (String::from_utf8_lossy(&answer).into_owned(), true),
        }
    }
    (String::from_utf8_lossy(&answer).into_owned(), false)
}

fn connect(addr: std::net::SocketAddr) -> TcpStream {
    let s = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.set_write_timeout(Some(Duration::from_secs(2))).unwrap();
    s
}

/// Sends `bytes` on a new connection and reads the answer until the server closes.
fn exchange(addr: std::net::SocketAddr, bytes: &[u8]) -> (String, bool) {
    let mut s = connect(addr);
    let _ = s.write_all(bytes);
    read_to_close(&mut s, Duration::from_secs(5))
}

fn status_lines(answer: &str) -> usize {
    answer.matches("HTTP/1.1 ").count()
}

fn says_close(answer: &str) -> bool {
    answer
        .to_ascii_lowercase()
        .contains("\r\nconnection: close\r\n")
}

/// A signed POST, answered 200 within 1 s.
fn signed_post_is_answered(url: &str) {
    let started = Instant::now();
    let (status, answer) = post(url, Some(&jwt()), &sample("01"));
    let took = started.elapsed();
    assert_eq!(status, 200, "{answer}");
    assert!(
        took < Duration::from_secs(1),
        "the signed POST took {took:?}"
    );
}

/// A `logbook serve` child (no UI), killed when dropped.
struct Serve {
    child: Child,
    url: String,
    addr: std::net::SocketAddr,
    _dir: tempfile::TempDir,
}

impl Serve {
    /// With `max_fds`, the child runs under `ulimit -n max_fds`.
    fn start(max_fds: Option<u32>) -> Serve {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("secret");
        std::fs::write(&secret, SECRET).unwrap();
        let exe = env!("CARGO_BIN_EXE_logbook");
        let mut command = match max_fds {
            Some(n) => {
                let mut c = Command::new("sh");
                c.arg("-c")
                    .arg(format!("ulimit -n {n} && exec \"$0\" \"$@\""))
                    .arg(exe);
                c
            }
            None => Command::new(exe),
        };
        let mut child = command
            .args([
                "serve",
                "--no-ui",
                "--quiet",
                "--listen",
                "127.0.0.1:0",
                "--db",
            ])
            .arg(dir.path().join("logbook.db"))
            .arg("--secret-file")
            .arg(&secret)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut url = None;
        for line in BufReader::new(child.stdout.take().unwrap())
            .lines()
            .take(100)
        {
            let line = line.unwrap();
            if let Some(rest) = line.trim().strip_prefix("endpoint   POST ") {
                url = Some(rest.split_whitespace().next().unwrap().to_owned());
            }
            if line.starts_with("Ctrl-C stops") {
                break;
            }
        }
        let url = url.expect("serve printed its endpoint");
        let addr = url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .unwrap();
        Serve {
            child,
            url,
            addr,
            _dir: dir,
        }
    }

    /// The child's resident memory in KiB.
    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS")
    }

    fn alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Row 2: 8 clients trickle a body (a byte every 200 ms) after being answered 413 (declared too large)
/// or 408 (the body deadline, 1 s) on a receiver with 4 workers. The rest of the body is not drained:
/// each gets its answer with `Connection: close` and is closed within 4 s, a signed POST made during
/// the trickle is answered 200 within 1 s, and shutdown returns within 2 s while they still trickle.
#[test]
fn trickled_bodies_after_413_and_408_do_not_pin_workers() {
    let mut h = Harness::with(
        |c| {
            c.workers = 4;
            c.socket_timeout = Duration::from_secs(2);
            c.body_deadline = Duration::from_millis(1_000);
            c.max_body_bytes = 10_000;
        },
        vec![Endpoint {
            path: None,
            auth: Auth::Jwt(Secret::new(SECRET).unwrap()),
        }],
    );
    let addr = h.addr();
    let token = jwt();
    let started = Instant::now();
    let mut clients: Vec<(TcpStream, &str)> = (0..8)
        .map(|i| {
            let (length, expected) = if i % 2 == 0 {
                (1_000_000, "HTTP/1.1 413")
            } else {
                (5_000, "HTTP/1.1 408")
            };
            let mut s = connect(addr);
            s.write_all(
                format!(
                    "POST / HTTP/1.1\r\nHost: x\r\nAuthorization: {token}\r\nContent-Length: {length}\r\n\r\n{{"
                )
                .as_bytes(),
            )
            .unwrap();
            (s, expected)
        })
        .collect();
    // The trickle: a byte to every client every 200 ms, for at most 6 s.
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<TcpStream> = clients
        .iter()
        .map(|(s, _)| s.try_clone().unwrap())
        .collect();
    let trickle = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut writers = writers;
            for _ in 0..30 {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                for w in &mut writers {
                    let _ = w.write_all(b" ");
                }
                std::thread::sleep(Duration::from_millis(200));
            }
        })
    };
    std::thread::sleep(Duration::from_millis(1_500));
    signed_post_is_answered(&format!("{}/", h.base));
    for (s, expected) in &mut clients {
        let within = Duration::from_secs(4).saturating_sub(started.elapsed());
        let (answer, closed) = read_to_close(s, within);
        assert!(answer.starts_with(*expected), "{answer:?}");
        assert!(says_close(&answer), "{answer:?}");
        assert!(
            closed,
            "the connection was not closed within 4 s: {answer:?}"
        );
    }
    assert!(!trickle.is_finished(), "the trickle still runs");
    let shutting = Instant::now();
    h.receiver.take().unwrap().shutdown();
    let took = shutting.elapsed();
    stop.store(true, Ordering::Relaxed);
    trickle.join().unwrap();
    assert!(took < Duration::from_secs(2), "shutdown took {took:?}");
}

/// Row 3: a request line over 8 KiB is answered 414, a header line over 16 KiB, more than 100 headers
/// or more than 64 KiB of headers 431, a chunk-size line over 4 KiB 400, each with
/// `Connection: close` and the connection closed. A 64 MiB header line streamed at the server is cut
/// off at 431 and the child's RSS grows by less than 16 MiB; a signed POST is answered 200 within 1 s
/// after each.
#[test]
fn oversized_heads_and_chunk_lines_are_refused_in_bounded_memory() {
    use tiny_http::limits::*;
    let serve = Serve::start(None);
    let addr = serve.addr;
    let many_headers: String = (0..=MAX_HEADER_COUNT)
        .map(|i| format!("X-H{i}: v\r\n"))
        .collect();
    let big_headers: String = (0..5)
        .map(|i| format!("X-B{i}: {}\r\n", "b".repeat(15 * 1024)))
        .collect();
    let cases = [
        (
            format!(
                "GET /{} HTTP/1.1\r\nHost: x\r\n\r\n",
                "a".repeat(MAX_REQUEST_LINE_BYTES)
            ),
            "HTTP/1.1 414",
        ),
        (
            format!(
                "GET / HTTP/1.1\r\nX-Long: {}\r\n\r\n",
                "a".repeat(MAX_HEADER_LINE_BYTES)
            ),
            "HTTP/1.1 431",
        ),
        (
            format!("GET / HTTP/1.1\r\n{many_headers}\r\n"),
            "HTTP/1.1 431",
        ),
        (
            format!("GET / HTTP/1.1\r\n{big_headers}\r\n"),
            "HTTP/1.1 431",
        ),
        (
            format!(
                "POST / HTTP/1.1\r\nAuthorization: {}\r\nTransfer-Encoding: chunked\r\n\r\n2;ext={}\r\n{{}}\r\n0\r\n\r\n",
                jwt(),
                "e".repeat(MAX_CHUNK_SIZE_LINE_BYTES)
            ),
            "HTTP/1.1 400",
        ),
    ];
    for (request, expected) in cases {
        let (answer, closed) = exchange(addr, request.as_bytes());
        assert!(answer.starts_with(expected), "{expected}: {answer:?}");
        assert!(says_close(&answer) && closed, "{expected}: {answer:?}");
        assert_eq!(status_lines(&answer), 1, "{answer:?}");
        signed_post_is_answered(&serve.url);
    }

    // One header line of up to 64 MiB, streamed in 64 KiB pieces until the server stops reading.
    let before = serve.rss_kib();
    let mut s = connect(addr);
    s.write_all(b"POST / HTTP/1.1\r\nHost: x\r\nX-Huge: ")
        .unwrap();
    let piece = vec![b'a'; 64 * 1024];
    let mut sent = 0usize;
    for _ in 0..1024 {
        if s.write_all(&piece).is_err() {
            break;
        }
        sent += piece.len();
    }
    let (answer, closed) = read_to_close(&mut s, Duration::from_secs(5));
    let after = serve.rss_kib();
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer:?}");
    assert!(says_close(&answer) && closed, "{answer:?}");
    assert!(
        sent < 16 * 1024 * 1024,
        "the server kept reading the header line ({sent} bytes)"
    );
    assert!(
        after < before + 16 * 1024,
        "RSS grew from {before} KiB to {after} KiB"
    );
    signed_post_is_answered(&serve.url);
}

/// Row 3: a head trickled a byte every 500 ms is answered 408 with `Connection: close` once the 10 s
/// head deadline passes (between 9 and 13 s), although no single read ever times out; a signed POST
/// made meanwhile is answered 200 within 1 s.
#[test]
fn a_trickled_head_meets_the_head_deadline() {
    let h = Harness::start();
    let addr = h.addr();
    let mut s = connect(addr);
    let started = Instant::now();
    s.write_all(b"POST / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .unwrap();
    let mut answer = Vec::new();
    let mut closed = false;
    // At most 30 bytes, one every 500 ms (15 s).
    for _ in 0..30 {
        let _ = s.write_all(b"a");
        s.set_read_timeout(Some(Duration::from_millis(500)))
            .unwrap();
        let mut buf = [0u8; 1024];
        match s.read(&mut buf) {
            Ok(0) => closed = true,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => closed = true,
        }
        if closed || !answer.is_empty() {
            break;
        }
        if started.elapsed() > Duration::from_secs(2) && started.elapsed() < Duration::from_secs(3)
        {
            signed_post_is_answered(&format!("{}/", h.base));
        }
    }
    let took = started.elapsed();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (rest, closed) = read_to_close(&mut s, Duration::from_secs(2));
    let answer = answer + &rest;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    assert!(says_close(&answer) && closed, "{answer:?}");
    assert!(
        took > Duration::from_secs(9) && took < Duration::from_secs(13),
        "answered after {took:?}"
    );
}

/// Row 6: `logbook serve` under `ulimit -n 128` (and 129) is flooded with 300 held connections (each costs it
/// two descriptors, so clones fail). It does not panic: it is still running, and within 5 s after the
/// flood ends a signed POST is answered 200 (before, the accept thread died and the port stayed dead).
#[test]
fn a_descriptor_flood_does_not_kill_the_accept_thread() {
    // Each connection costs two descriptors, so whether the last free one is taken by `accept` (and
    // the clone then fails) depends on how many were open before: both parities are tried.
    for max_fds in [128, 129] {
        flood_under(max_fds);
    }
}

fn flood_under(max_fds: u32) {
    let mut serve = Serve::start(Some(max_fds));
    signed_post_is_answered(&serve.url);
    let flood: Vec<TcpStream> = (0..300)
        .filter_map(|_| TcpStream::connect_timeout(&serve.addr, Duration::from_secs(1)).ok())
        .collect();
    assert!(flood.len() > 100, "only {} connections made", flood.len());
    std::thread::sleep(Duration::from_millis(1_000));
    drop(flood);
    assert!(serve.alive(), "the server exited under the flood");
    let started = Instant::now();
    let mut last = String::new();
    while started.elapsed() < Duration::from_secs(5) {
        match agent()
            .post(&serve.url)
            .set("Authorization", &jwt())
            .timeout(Duration::from_secs(1))
            .send_bytes(&sample("01"))
        {
            Ok(r) if r.status() == 200 => {
                last.clear();
                break;
            }
            Ok(r) => last = format!("status {}", r.status()),
            Err(e) => last = e.to_string(),
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(
        last.is_empty(),
        "the port does not serve after the flood: {last}"
    );
    signed_post_is_answered(&serve.url);
    assert!(serve.alive());
}

/// Row 7: one connection pipelines up to 200,000 requests without reading an answer (until its writes
/// block for 2 s). The server reads a connection's next request only after answering the previous one,
/// so the child's RSS grows by less than 32 MiB (it was 198 MiB) and a signed POST made meanwhile is
/// answered 200 within 1 s.
#[test]
fn pipelined_requests_without_reading_answers_are_bounded() {
    let serve = Serve::start(None);
    signed_post_is_answered(&serve.url);
    let before = serve.rss_kib();
    let mut s = connect(serve.addr);
    let batch = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".repeat(1_000);
    let mut sent = 0;
    for _ in 0..200 {
        if s.write_all(&batch).is_err() {
            break;
        }
        sent += 1_000;
    }
    std::thread::sleep(Duration::from_millis(500));
    let after = serve.rss_kib();
    signed_post_is_answered(&serve.url);
    assert!(
        after < before + 32 * 1024,
        "RSS grew from {before} KiB to {after} KiB after {sent} pipelined requests"
    );
    drop(s);
}

/// Row 13: what lets a body be framed two ways is refused with `Connection: close` and one answer
/// only, and a body left unread (here a chunked one, on a GET answered 405 before reading it) closes
/// the connection: what follows it is never parsed as a next request.
#[test]
fn request_smuggling_primitives_are_refused() {
    let h = Harness::start();
    let addr = h.addr();
    let smuggled = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    let cases = [
        ("Transfer-Encoding: gzip\r\n", "HTTP/1.1 501"),
        ("Transfer-Encoding: gzip, chunked\r\n", "HTTP/1.1 501"),
        (
            "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
            "HTTP/1.1 400",
        ),
        (
            "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
            "HTTP/1.1 400",
        ),
        ("Content-Length: 5\r\nContent-Length: 5\r\n", "HTTP/1.1 400"),
        ("Content-Length: 5, 5\r\n", "HTTP/1.1 400"),
        ("Content-Length: +5\r\n", "HTTP/1.1 400"),
        ("Content-Length : 5\r\n", "HTTP/1.1 400"),
        ("X-Folded: a\r\n Content-Length: 5\r\n", "HTTP/1.1 400"),
    ];
    for (headers, expected) in cases {
        let request = format!("POST / HTTP/1.1\r\nHost: x\r\n{headers}\r\nhello{smuggled}");
        let (answer, closed) = exchange(addr, request.as_bytes());
        assert!(answer.starts_with(expected), "{headers:?}: {answer:?}");
        assert!(says_close(&answer) && closed, "{headers:?}: {answer:?}");
        assert_eq!(status_lines(&answer), 1, "{headers:?}: {answer:?}");
    }
    // An unread chunked body whose data is a request: one answer, then the connection is closed.
    let chunk = format!("{:x}\r\n{smuggled}\r\n0\r\n\r\n", smuggled.len());
    let request = format!("GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n{chunk}");
    let (answer, closed) = exchange(addr, request.as_bytes());
    assert!(answer.starts_with("HTTP/1.1 405"), "{answer:?}");
    assert!(says_close(&answer) && closed, "{answer:?}");
    assert_eq!(status_lines(&answer), 1, "{answer:?}");
    // The same with a Content-Length body over the 1 KiB tiny_http reads itself.
    let padded = format!("{smuggled}{}", " ".repeat(2_000));
    let request = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{smuggled}{padded}",
        smuggled.len() + padded.len()
    );
    let (answer, closed) = exchange(addr, request.as_bytes());
    assert!(answer.starts_with("HTTP/1.1 405"), "{answer:?}");
    assert!(says_close(&answer) && closed, "{answer:?}");
    assert_eq!(status_lines(&answer), 1, "{answer:?}");
    signed_post_is_answered(&format!("{}/", h.base));
}

/// A bare tiny_http server whose handler, for each request, takes the body reader (`as_reader()`),
/// reads from it only if the path is `/read`, and answers 401 otherwise (with `Connection: close` if
/// the path is `/close`).
fn bare_server() -> (std::net::SocketAddr, std::thread::JoinHandle<()>) {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let addr = server.server_addr().to_ip().unwrap();
    let thread = std::thread::spawn(move || {
        for _ in 0..4 {
            let Ok(Some(mut request)) = server.recv_timeout(Duration::from_secs(10)) else {
                return;
            };
            let path = request.url().to_owned();
            let reader = request.as_reader();
            let response = if path == "/read" {
                let mut body = Vec::new();
                let _ = reader.read_to_end(&mut body);
                tiny_http::Response::from_string(format!("read {}", body.len()))
            } else if path == "/close" {
                tiny_http::Response::from_string("bye").with_header(
                    tiny_http::Header::from_bytes(&b"Connection"[..], &b"close"[..]).unwrap(),
                )
            } else {
                tiny_http::Response::from_string("no").with_status_code(401)
            };
            let _ = request.respond(response);
        }
    });
    (addr, thread)
}

/// `100 Continue` is sent on the first read of the body, not before: a request refused before its body
/// is read gets its 401 (with `Connection: close`, the body being unread) and never a 100, and one whose
/// body is read gets the 100 first, then its answer.
#[test]
fn continue_100_is_sent_only_when_the_body_is_read() {
    let (addr, server) = bare_server();
    let head = |path: &str| {
        format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2000\r\n\r\n"
        )
    };
    let (answer, closed) = exchange(addr, head("/refuse").as_bytes());
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer:?}");
    assert!(!answer.contains("100 Continue"), "{answer:?}");
    assert!(says_close(&answer) && closed, "{answer:?}");

    let mut s = connect(addr);
    s.write_all(head("/read").as_bytes()).unwrap();
    let mut buf = [0u8; 256];
    let n = s.read(&mut buf).unwrap();
    let interim = String::from_utf8_lossy(&buf[..n]).into_owned();
    assert!(
        interim.starts_with("HTTP/1.1 100 Continue\r\n"),
        "{interim:?}"
    );
    s.write_all(&[b'x'; 2000]).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let n = s.read(&mut buf).unwrap();
    let answer = String::from_utf8_lossy(&buf[..n]).into_owned();
    let answer = answer.trim_start_matches(interim.as_str());
    assert!(answer.contains("HTTP/1.1 200"), "{answer:?}");

    // A handler's `Connection: close` is sent, and the connection is then closed.
    let (answer, closed) = exchange(
        addr,
        b"GET /close HTTP/1.1\r\nHost: x\r\n\r\nGET /close HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer:?}");
    assert!(says_close(&answer) && closed, "{answer:?}");
    assert_eq!(status_lines(&answer), 1, "{answer:?}");
    drop(server);
}
