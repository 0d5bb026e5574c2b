//! The receiver's own answers to an anonymous client on the internet ("Hold under attack"): it asks
//! for no body before the credentials check out, refuses browsers, names no endpoint, writes no
//! forged log line, keeps the database's words to itself, and tells the user what is wrong with a
//! padded secret or an exposed port. Every attack runs on loopback, bounded in count and time.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use logbook_core::store::{Store, StoreOptions};
use logbook_http::ingest::{Auth, Endpoint};

use crate::common::*;

/// Bodies an unauthenticated client announces; none is ever read.
const ANNOUNCED_BODY_BYTES: usize = 10 * 1024 * 1024;
/// Clients holding a connection at once, as many as the receiver has workers.
const ATTACKERS: usize = 32;

/// Reads until the end of an answer's head (or the connection ends); what came back.
fn read_head(stream: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&answer).into_owned()
}

fn secret_file(dir: &tempfile::TempDir, text: &str) -> std::path::PathBuf {
    let path = dir.path().join("secret");
    std::fs::write(&path, text).unwrap();
    path
}

/// Lines `serve` wrote on standard error until it stopped.
fn stop_and_read(mut child: std::process::Child, lines: Receiver<String>) -> Vec<String> {
    assert!(terminate(&mut child).success());
    lines.iter().collect()
}

#[test]
fn an_unauthenticated_client_is_refused_before_its_body_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let secret = secret_file(&dir, SECRET);
    let db = dir.path().join("a.db");
    let (mut child, url, _log) = serve_cli_logged(&db, &secret, &["--no-ui", "--quiet"]);
    let addr = url.trim_start_matches("http://").trim_end_matches('/');
    let before_kib = rss_kib(child.id());

    // Each announces 10 MiB without credentials; half ask to be invited with `Expect: 100-continue`.
    let mut attackers = Vec::new();
    for i in 0..ATTACKERS {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.set_write_timeout(Some(Duration::from_secs(5))).unwrap();
        let expect = if i % 2 == 0 {
            "Expect: 100-continue\r\n"
        } else {
            ""
        };
        write!(
            s,
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{expect}Content-Length: {ANNOUNCED_BODY_BYTES}\r\n\r\n"
        )
        .unwrap();
        attackers.push(s);
    }
    for (i, s) in attackers.iter_mut().enumerate() {
        let head = read_head(s);
        assert!(
            head.starts_with("HTTP/1.1 401"),
            "attacker {i} was not refused first: {head:?}"
        );
        assert!(!head.contains("100 Continue"), "attacker {i} was invited");
    }
    // Refused, the attackers still hold their connections (and would trickle their bodies): a
    // signed request is answered at once all the same, no worker waits for their bytes.
    let started = Instant::now();
    let (status, answer) = post(&url, Some(&jwt()), &sample("01"));
    assert_eq!(status, 200, "{answer}");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "answered after {:?}",
        started.elapsed()
    );
    // Nothing of the announced 320 MiB was buffered (it was 332 MiB when bodies were read first).
    let grown_kib = rss_kib(child.id()).saturating_sub(before_kib);
    assert!(grown_kib < 32 * 1024, "serve grew by {grown_kib} KiB");
    assert!(terminate(&mut child).success());

    let store = Store::open(&db, StoreOptions::default()).unwrap();
    let conn = store.reader().unwrap();
    let (rejections, kept_body): (i64, i64) = conn
        .query_row(
            "SELECT count(*), coalesce(sum(length(body)), 0) FROM rejections",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(rejections, ATTACKERS as i64);
    assert_eq!(kept_body, 0, "no unauthenticated body is kept");
}

#[test]
fn a_web_page_cannot_post_to_the_receiver() {
    // On an endpoint without authentication, only the Origin check stands between a page the user
    // has open and the store.
    let h = Harness::with(
        |_| {},
        vec![Endpoint {
            path: None,
            auth: Auth::None,
        }],
    );
    for (name, value) in [
        ("Origin", "https://attacker.example"),
        ("Origin", "null"),
        ("Sec-Fetch-Site", "cross-site"),
        ("Sec-Fetch-Site", "same-site"),
    ] {
        let mut s = TcpStream::connect(h.addr()).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let body = String::from_utf8(sample("01")).unwrap();
        // A "simple" request: text/plain needs no preflight, so a browser sends it as is.
        write!(
            s,
            "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n{name}: {value}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let head = read_head(&mut s);
        assert!(head.starts_with("HTTP/1.1 403"), "{name}: {value}: {head}");
        let (status, reason, _, _) = h.last_rejection();
        assert_eq!(status, 403);
        assert!(reason.contains("browsers"), "{reason}");
    }
    assert_eq!(h.count("SELECT count(*) FROM events"), 0);
    // A user typing the address (Sec-Fetch-Site: none) is not a cross-site post; Watson sends neither.
    assert_eq!(h.post("/", None, &sample("01")).0, 200);
}

#[test]
fn client_text_cannot_forge_log_lines() {
    let dir = tempfile::tempdir().unwrap();
    let secret = secret_file(&dir, SECRET);
    let (child, url, log) = serve_cli_logged(&dir.path().join("a.db"), &secret, &["--no-ui"]);
    let forged = "12:00:00.000  200  POST /  message_logged stored #1";
    let body = serde_json::json!({
        "event": {"name": format!("x\n{forged}\r\x1b[2J")},
        "payload": {}
    })
    .to_string();
    assert_eq!(post(&url, Some(&jwt()), body.as_bytes()).0, 200);
    let long_path = format!("{url}{}", "a".repeat(5_000));
    assert_eq!(post(&long_path, Some(&jwt()), body.as_bytes()).0, 200);
    let lines = stop_and_read(child, log);
    assert!(
        !lines.iter().any(|l| l.starts_with(forged)),
        "a forged line: {lines:#?}"
    );
    assert!(!lines.iter().any(|l| l.contains('\x1b')), "{lines:#?}");
    let logged: Vec<_> = lines.iter().filter(|l| l.contains("stored #")).collect();
    assert_eq!(logged.len(), 2, "{lines:#?}");
    assert!(logged[0].contains("x\\n12:00"), "{}", logged[0]);
    assert!(
        logged[1].len() < 1_000,
        "one line stays short: {}",
        logged[1]
    );
}

#[test]
fn a_padded_secret_is_named_at_start_up_and_in_the_refusal() {
    let dir = tempfile::tempdir().unwrap();
    // An editor's second line break after the text Watson has.
    let secret = secret_file(&dir, &format!("{SECRET}\n\n"));
    let (child, url, log) = serve_cli_logged(&dir.path().join("a.db"), &secret, &["--no-ui"]);
    let (status, answer) = post(&url, Some(&jwt()), &sample("01"));
    assert_eq!(status, 401);
    let reason = answer["error"].as_str().unwrap();
    assert!(
        reason.contains("ends with a line break") && reason.contains("remove"),
        "{reason}"
    );
    let lines = stop_and_read(child, log);
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("warning:") && l.contains("ends with a line break")),
        "{lines:#?}"
    );
}

#[test]
fn listening_beyond_loopback_is_said_at_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let secret = secret_file(&dir, SECRET);
    let (child, _url, log) = serve_cli_logged(
        &dir.path().join("a.db"),
        &secret,
        &["--no-ui", "--listen", "0.0.0.0:0"],
    );
    let lines = stop_and_read(child, log);
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("warning: listening on 0.0.0.0") && l.contains("tunnel")),
        "{lines:#?}"
    );
    // On loopback (the default), no such warning.
    let (child, _url, log) = serve_cli_logged(&dir.path().join("b.db"), &secret, &["--no-ui"]);
    let lines = stop_and_read(child, log);
    assert!(
        !lines.iter().any(|l| l.starts_with("warning")),
        "{lines:#?}"
    );
}

#[test]
fn re_importing_a_raw_export_stores_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("raw.ndjson");
    // Events with no natural key: a message without log_id, a call without its ids, another kind.
    let bodies = [
        r#"{"event":{"name":"message_logged"},"payload":{"request":{"input":{"text":"hi"}}}}"#,
        r#"{"event":{"name":"cdr_logged"},"payload":{"call":{"end_reason":"callerHangup"}}}"#,
        r#"{"event":{"name":"something_new"},"payload":{"x":1}}"#,
    ];
    std::fs::write(&export, bodies.join("\n")).unwrap();
    let store = Store::open(&dir.path().join("a.db"), StoreOptions::default()).unwrap();
    let first =
        logbook_core::import::import_files(&store, std::slice::from_ref(&export), &|_| {}).unwrap();
    assert_eq!((first.stored, first.duplicates), (3, 0));
    let again = logbook_core::import::import_files(&store, &[export], &|_| {}).unwrap();
    assert_eq!((again.stored, again.duplicates), (0, 3));
    let conn = store.reader().unwrap();
    let events: i64 = conn
        .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
        .unwrap();
    assert_eq!(events, 3);
}
