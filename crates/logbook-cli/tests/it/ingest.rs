//! The receiver over real HTTP and real JWTs, on each store: the tests written with
//! `on_both_stores!` run on a SQLite file and on a PostgreSQL database alike.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use logbook_http::ingest::{Auth, Endpoint, Secret};
use serde_json::json;

use crate::common::*;

fn token_with(alg: jsonwebtoken::Algorithm, key: &str, claims: serde_json::Value) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(alg),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(key.as_bytes()),
    )
    .unwrap()
}

on_both_stores! {
fn all_twelve_samples_are_stored_and_derived(backend: Backend) {
    let h = Harness::start_on(backend);
    for (name, body) in all_samples() {
        let (status, answer) = h.post_signed(&body);
        assert_eq!(status, 200, "{name}: {answer}");
        assert_eq!(answer["status"], "stored", "{name}");
    }
    assert_eq!(h.count("SELECT count(*) FROM events"), 12);
    assert_eq!(
        h.count("SELECT count(*) FROM events WHERE kind = 'message_logged' AND verified"),
        9
    );
    assert_eq!(h.count("SELECT count(*) FROM messages"), 9);
    assert_eq!(h.count("SELECT count(*) FROM calls"), 3);
    // The web chat conversation: five turns of one session, in order.
    assert_eq!(
        h.strings(
            "SELECT CAST(turn_count AS TEXT) FROM messages WHERE session_id LIKE 'c3e1a7d4%' ORDER BY request_at, turn_count"
        ),
        vec!["1", "2", "3", "4", "5"]
    );
    assert_eq!(
        h.count("SELECT count(*) FROM messages WHERE session_id LIKE 'c3e1a7d4%' AND channel = 'Web chat'"),
        5
    );
    // Sample 07: a speech turn with its STT confidence and the call it belongs to.
    assert_eq!(
        h.strings(
            "SELECT input_kind || ' ' || CAST(stt_confidence AS TEXT) || ' ' || sip_call_id FROM messages
             WHERE log_id = 'd54ba54a-4c95-404b-8f55-860ebf7a25fb'"
        ),
        vec!["speech 0.87 2f6c1d8a93b04e7c@203.0.113.24"]
    );
    // Call 12: turns 1-3 link to messages 06-08 by log_id; custom data as key/value rows.
    let linked = h.count(
        "SELECT count(*) FROM call_turns t JOIN calls c ON c.event_id = t.event_id
         JOIN messages m ON m.log_id = t.log_id
         WHERE c.global_session_id = 'b231ef28-c861-4f33-8a17-384d95d6ddb5'",
    );
    assert_eq!(linked, 3);
    assert_eq!(
        h.strings(
            "SELECT key || '=' || value FROM call_custom_data d JOIN calls c ON c.event_id = d.event_id
             WHERE c.global_session_id = 'b231ef28-c861-4f33-8a17-384d95d6ddb5' ORDER BY key"
        ),
        vec!["account_verified=true", "call_reason=\"pay_bill\"", "ivr_menu=\"main\"", "payment_amount=42.5"]
    );
    assert_eq!(
        h.strings("SELECT code FROM call_warnings ORDER BY code")
            .len(),
        h.count("SELECT sum(warning_count) FROM calls") as usize
    );
    // Call 10's turns are orphans: no message has their log_ids.
    assert_eq!(
        h.count(
            "SELECT count(*) FROM call_turns t JOIN calls c ON c.event_id = t.event_id JOIN messages m ON m.log_id = t.log_id
             WHERE c.end_reason = 'caller_hangup'"
        ),
        0
    );
    // Both spellings IBM uses are read.
    assert_eq!(
        h.count("SELECT count(*) FROM calls WHERE invite_arrival_ts IS NOT NULL"),
        3
    );
    assert_eq!(
        h.count("SELECT count(*) FROM call_warnings WHERE code IS NULL"),
        0
    );
    // Full-text search finds user text, assistant text and custom-data values (the rest: `meta`
    // in SQLite's index, weight C in PostgreSQL's).
    let (word, meta) = match backend {
        Backend::Sqlite => (
            "event_fts MATCH '\"bill\"'",
            "event_fts MATCH 'meta:\"pay_bill\"'",
        ),
        Backend::Postgres => (
            "document @@ to_tsquery('simple', 'bill')",
            "document @@ to_tsquery('simple', 'pay:C <-> bill:C')",
        ),
    };
    assert!(h.count(&format!("SELECT count(*) FROM event_fts WHERE {word}")) >= 1);
    assert_eq!(
        h.count(&format!("SELECT count(*) FROM event_fts WHERE {meta}")),
        2
    );
}
}

on_both_stores! {
fn a_second_delivery_is_answered_and_counted_but_stored_once(backend: Backend) {
    let h = Harness::start_on(backend);
    for prefix in ["01", "12"] {
        let (_, first) = h.post_signed(&sample(prefix));
        let (status, again) = h.post_signed(&sample(prefix));
        assert_eq!(status, 200);
        assert_eq!(again["status"], "duplicate");
        assert_eq!(again["id"], first["id"]);
    }
    assert_eq!(h.count("SELECT count(*) FROM events"), 2);
    match backend {
        Backend::Sqlite => {
            assert_eq!(h.count("SELECT sum(duplicates) FROM events"), 2);
            assert_eq!(
                h.count("SELECT value FROM counters WHERE name = 'duplicates'"),
                2
            );
        }
        // Counted with the dedup key, which every receiver shares.
        Backend::Postgres => assert_eq!(h.count("SELECT sum(duplicates) FROM event_keys"), 2),
    }
}
}

on_both_stores! {
fn every_kind_of_bad_request_gets_its_status_and_reason_and_the_server_keeps_serving(backend: Backend) {
    let h = Harness::with_on(
        backend,
        |c| c.max_body_bytes = 64 * 1024,
        vec![Endpoint {
            path: None,
            auth: Auth::Jwt(Secret::new(SECRET).unwrap()),
        }],
    );
    let good = sample("01");
    let now = chrono::Utc::now().timestamp();
    let none_token = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(br#"{"iat":1}"#)
    );
    // (what, Authorization, body, expected status, expected reason)
    type Case<'a> = (&'a str, Option<String>, Vec<u8>, u16, &'a str);
    let cases: Vec<Case> = vec![
        (
            "not json",
            Some(jwt()),
            b"hello".to_vec(),
            400,
            "not valid JSON",
        ),
        (
            "no event name",
            Some(jwt()),
            br#"{"payload":{}}"#.to_vec(),
            400,
            "no event.name",
        ),
        (
            "array body",
            Some(jwt()),
            b"[1,2]".to_vec(),
            400,
            "not a JSON object",
        ),
        ("empty body", Some(jwt()), Vec::new(), 400, "empty"),
        (
            "deep nesting",
            Some(jwt()),
            format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)).into_bytes(),
            400,
            "not valid JSON",
        ),
        (
            "no authorization",
            None,
            good.clone(),
            401,
            "missing Authorization",
        ),
        (
            "other secret",
            Some(token_with(
                jsonwebtoken::Algorithm::HS256,
                "wrong",
                json!({"iat": now}),
            )),
            good.clone(),
            401,
            "signature",
        ),
        (
            "expired",
            Some(token_with(
                jsonwebtoken::Algorithm::HS256,
                SECRET,
                json!({"exp": now - 3600}),
            )),
            good.clone(),
            401,
            "expired",
        ),
        (
            "alg none",
            Some(none_token),
            good.clone(),
            401,
            "algorithm none",
        ),
        (
            "not a token",
            Some("purple unicorn".into()),
            good.clone(),
            401,
            "not a JWT",
        ),
        (
            "too large",
            Some(jwt()),
            vec![b' '; 64 * 1024 + 1],
            413,
            "larger than the limit",
        ),
        // Exactly at the limit is read whole (and refused here only for not being an event).
        (
            "at the limit",
            Some(jwt()),
            vec![b' '; 64 * 1024],
            400,
            "not valid JSON",
        ),
    ];
    for (what, auth, body, status, reason) in cases {
        let (got, answer) = h.post("/hook", auth.as_deref(), &body);
        assert_eq!(got, status, "{what}: {answer}");
        assert!(
            answer["error"].as_str().unwrap().contains(reason),
            "{what}: {answer}"
        );
        let (kept_status, kept_reason, headers, _) = h.last_rejection();
        assert_eq!(kept_status as u16, status, "{what}");
        assert!(kept_reason.contains(reason), "{what}");
        assert!(
            !headers.contains("eyJ"),
            "{what}: authorization stored unredacted: {headers}"
        );
        let (ok, _) = h.post_signed(&good);
        assert_eq!(ok, 200, "{what}: the next good request");
    }
    assert_eq!(h.count("SELECT count(*) FROM rejections"), 12);
    // The token of a wrongly signed request is decoded for display.
    let claims: String = h
        .strings("SELECT jwt_claims FROM rejections WHERE reason LIKE '%signature%'")
        .remove(0);
    assert!(claims.contains(&now.to_string()), "{claims}");
}
}

on_both_stores! {
fn bearer_prefix_and_every_hmac_algorithm_are_accepted(backend: Backend) {
    let h = Harness::start_on(backend);
    let now = chrono::Utc::now().timestamp();
    for (i, alg) in [
        jsonwebtoken::Algorithm::HS256,
        jsonwebtoken::Algorithm::HS384,
        jsonwebtoken::Algorithm::HS512,
    ]
    .into_iter()
    .enumerate()
    {
        let token = token_with(alg, SECRET, json!({"iat": now}));
        let body =
            json!({"event": {"name": "message_logged"}, "payload": {"log_id": format!("l{i}")}});
        let (status, answer) = h.post(
            "/",
            Some(&format!("Bearer {token}")),
            body.to_string().as_bytes(),
        );
        assert_eq!(status, 200, "{alg:?}: {answer}");
    }
    let claims = h.strings("SELECT jwt_header FROM events ORDER BY id");
    assert!(claims[2].contains("HS512"), "{claims:?}");
}
}

#[test]
fn only_posts_and_the_health_check_are_answered() {
    let h = Harness::start();
    h.post_signed(&sample("01"));
    let agent = agent();
    let health = agent.get(&format!("{}/healthz", h.base)).call().unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(health.into_string().unwrap(), r#"{"status":"ok"}"#);
    for (method, path) in [
        ("GET", "/"),
        ("GET", "/api/events"),
        ("PUT", "/"),
        ("DELETE", "/"),
        ("HEAD", "/healthz"),
    ] {
        match agent.request(method, &format!("{}{path}", h.base)).call() {
            Err(ureq::Error::Status(405, response)) => {
                assert_eq!(response.header("Allow"), Some("POST"));
                let text = response.into_string().unwrap();
                assert!(
                    !text.contains("log_id") && !text.contains("payload"),
                    "{text}"
                );
            }
            other => panic!("{method} {path}: {other:?}"),
        }
    }
}

on_both_stores! {
fn endpoints_each_have_their_own_secret_and_mode(backend: Backend) {
    let h = Harness::with_on(
        backend,
        |_| {},
        vec![
            Endpoint {
                path: Some("/draft".into()),
                auth: Auth::Jwt(Secret::new("draft secret").unwrap()),
            },
            Endpoint {
                path: Some("/live".into()),
                auth: Auth::Header(Secret::new("Basic bGl2ZQ==").unwrap()),
            },
            Endpoint {
                path: Some("/test".into()),
                auth: Auth::None,
            },
        ],
    );
    let draft_token = logbook_core::auth::sign(
        &Secret::new("draft secret").unwrap(),
        chrono::Utc::now().timestamp(),
    );
    assert_eq!(h.post("/draft", Some(&draft_token), &sample("01")).0, 200);
    assert_eq!(
        h.post("/draft/", Some(&jwt()), &sample("02")).0,
        401,
        "another environment's secret"
    );
    assert_eq!(
        h.post("/live", Some("Basic bGl2ZQ=="), &sample("02")).0,
        200
    );
    assert_eq!(h.post("/live", Some(&draft_token), &sample("03")).0, 401);
    assert_eq!(h.post("/test?x=1", None, &sample("03")).0, 200);
    let (status, answer) = h.post("/staging", Some(&draft_token), &sample("04"));
    assert_eq!(status, 404);
    // The answer never lists the configured paths: for a `none` endpoint the path is its only
    // protection.
    assert_eq!(answer["error"], "no webhook endpoint at this path");
    assert_eq!(
        h.strings(
            "SELECT endpoint || ' ' || auth || ' ' || CASE WHEN verified THEN 1 ELSE 0 END
             FROM events ORDER BY id"
        ),
        vec!["/draft jwt 1", "/live header 1", "/test none 0"]
    );
    assert_eq!(h.strings("SELECT path FROM events ORDER BY id")[2], "/test");
}
}

#[test]
fn a_store_that_cannot_write_answers_503_then_recovers() {
    let h = Harness::start();
    let blocker = rusqlite::Connection::open(&h.db).unwrap();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    let agent = agent();
    let response = agent
        .post(&format!("{}/", h.base))
        .set("Authorization", &jwt())
        .send_bytes(&sample("01"));
    match response {
        Err(ureq::Error::Status(503, r)) => {
            assert_eq!(r.header("Retry-After"), Some("5"));
            // What to do, never SQLite's own words.
            let answer = r.into_string().unwrap();
            assert!(answer.contains("send it again later"), "{answer}");
            assert!(!answer.to_lowercase().contains("database"), "{answer}");
        }
        other => panic!("expected 503, got {other:?}"),
    }
    blocker.execute_batch("ROLLBACK").unwrap();
    assert_eq!(h.post_signed(&sample("01")).0, 200);
    assert_eq!(h.count("SELECT count(*) FROM events"), 1);
}

on_both_stores! {
fn stalled_and_trickling_clients_are_cut_off_without_blocking_others(backend: Backend) {
    let h = Harness::with_on(
        backend,
        |c| {
            c.workers = 2;
            c.socket_timeout = Duration::from_millis(400);
            c.body_deadline = Duration::from_millis(1_500);
        },
        vec![Endpoint {
            path: None,
            auth: Auth::None,
        }],
    );
    let head = |length: usize| {
        format!(
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n{{\"event\""
        )
    };
    // Clients that send part of a body and then nothing: more than there are workers. (tiny_http reads
    // bodies up to 1 KiB itself, the receiver reads larger ones: both kinds.)
    let mut stalled: Vec<TcpStream> = [100, 5_000, 5_000]
        .into_iter()
        .map(|length| {
            let mut s = TcpStream::connect(h.addr()).unwrap();
            s.write_all(head(length).as_bytes()).unwrap();
            s
        })
        .collect();
    let started = Instant::now();
    let (status, _) = h.post("/", None, &sample("01"));
    assert_eq!(status, 200);
    assert!(started.elapsed() < Duration::from_secs(5));
    for (i, s) in stalled.iter_mut().enumerate() {
        // Cut off: answered 408 when the receiver was reading, or simply closed by tiny_http.
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut answer = vec![0u8; 1024];
        let n = s
            .read(&mut answer)
            .expect("the server ends a stalled connection");
        let answer = String::from_utf8_lossy(&answer[..n]);
        assert!(n == 0 || answer.starts_with("HTTP/1.1 408"), "{answer}");
        if i > 0 {
            assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        }
    }
    assert_eq!(
        h.count("SELECT count(*) FROM rejections WHERE status = 408"),
        2
    );
    // A client that keeps sending one byte every 200 ms never times out a read, but the deadline ends it.
    let mut trickle = TcpStream::connect(h.addr()).unwrap();
    trickle.write_all(head(5_000).as_bytes()).unwrap();
    let started = Instant::now();
    trickle
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut answer = Vec::new();
    while started.elapsed() < Duration::from_secs(10) {
        let _ = trickle.write_all(b" ");
        let mut buf = [0u8; 512];
        match trickle.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
            Err(_) => {}
        }
        if !answer.is_empty() {
            break;
        }
    }
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(h.post("/", None, &sample("02")).0, 200);
}
}

on_both_stores! {
fn a_chunked_body_growing_past_the_limit_is_refused(backend: Backend) {
    let h = Harness::with_on(
        backend,
        |c| c.max_body_bytes = 1_000,
        vec![Endpoint {
            path: None,
            auth: Auth::None,
        }],
    );
    let mut s = TcpStream::connect(h.addr()).unwrap();
    s.write_all(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        .unwrap();
    for _ in 0..3 {
        let _ = s.write_all(b"200\r\n");
        let _ = s.write_all(&[b' '; 0x200]);
        let _ = s.write_all(b"\r\n");
    }
    let _ = s.write_all(b"0\r\n\r\n");
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut answer = vec![0u8; 4096];
    let n = s.read(&mut answer).unwrap();
    assert!(String::from_utf8_lossy(&answer[..n]).starts_with("HTTP/1.1 413"));
    assert_eq!(h.last_rejection().0, 413);
    let small = br#"{"event":{"name":"message_logged"},"payload":{"log_id":"x"}}"#;
    assert_eq!(h.post("/", None, small).0, 200);
}
}

#[test]
fn a_declared_content_length_that_lies_is_refused_without_harm() {
    let h = Harness::with(
        |c| c.socket_timeout = Duration::from_millis(500),
        vec![Endpoint {
            path: None,
            auth: Auth::None,
        }],
    );
    // Far more than the limit, and more memory than the machine has: refused at once, nothing reserved.
    for length in ["100000000000", "18446744073709551615"] {
        let mut s = TcpStream::connect(h.addr()).unwrap();
        s.write_all(
            format!("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n{{}}")
                .as_bytes(),
        )
        .unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut answer = vec![0u8; 4096];
        let n = s.read(&mut answer).unwrap();
        assert!(
            String::from_utf8_lossy(&answer[..n]).starts_with("HTTP/1.1 413"),
            "{length}"
        );
    }
    // Shorter than declared: the body never completes, so the request times out.
    let mut s = TcpStream::connect(h.addr()).unwrap();
    s.write_all(
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4000\r\n\r\n{\"event\":{\"name\":\"x\"}}",
    )
    .unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut answer = vec![0u8; 4096];
    let n = s.read(&mut answer).unwrap();
    assert!(String::from_utf8_lossy(&answer[..n]).starts_with("HTTP/1.1 408"));
    let small = br#"{"event":{"name":"message_logged"},"payload":{"log_id":"x"}}"#;
    assert_eq!(h.post("/", None, small).0, 200);
}

on_both_stores! {
fn rejections_are_bounded_to_the_newest(backend: Backend) {
    let h = Harness::with_options_on(
        backend,
        |_| {},
        vec![Endpoint {
            path: None,
            auth: Auth::Jwt(Secret::new(SECRET).unwrap()),
        }],
        logbook_core::store::StoreOptions {
            rejections_kept: 3,
            ..Default::default()
        },
    );
    for i in 0..7 {
        assert_eq!(h.post(&format!("/n{i}"), None, b"{}").0, 401);
    }
    assert_eq!(
        h.strings("SELECT path FROM rejections ORDER BY id"),
        vec!["/n4", "/n5", "/n6"]
    );
    // Every refusal is counted, those the cap took included.
    let stats = logbook_core::query::event::stats(h.query_reader().db()).unwrap();
    assert_eq!((stats.rejected_total, stats.rejections_kept), (7, 3));
}
}

on_both_stores! {
fn unknown_event_names_and_surprising_payloads_are_stored(backend: Backend) {
    let h = Harness::start_on(backend);
    for body in [
        json!({"event": {"name": "something_new"}, "payload": {"x": 1}}),
        json!({"payload": {"log_id": 5, "response": "not an object"}, "event": {"name": "message_logged"}}),
        json!({"event": {"name": "cdr_logged"}, "payload": {"call": [], "warnings_and_errors": "x", "injected_custom_data": null}}),
        json!({"event": {"name": "cdr_logged"}}),
    ] {
        let (status, answer) = h.post_signed(body.to_string().as_bytes());
        assert_eq!(status, 200, "{body}: {answer}");
    }
    assert_eq!(h.count("SELECT count(*) FROM events"), 4);
    assert_eq!(
        h.strings("SELECT kind FROM events ORDER BY id")[0],
        "something_new"
    );
}
}

on_both_stores! {
fn stored_bodies_are_byte_exact(backend: Backend) {
    let h = Harness::start_on(backend);
    let body = sample("04");
    h.post_signed(&body);
    let stored: Vec<u8> = match &h.stored {
        Stored::Sqlite(store) => store
            .reader()
            .unwrap()
            .query_row("SELECT body, body_zstd FROM events", [], |r| {
                logbook_core::store::stored_body::unpack(r.get_ref(0)?, r.get(1)?, 0)
            })
            .unwrap(),
        Stored::Postgres { database, .. } => database
            .client()
            .query_one("SELECT body FROM events", &[])
            .unwrap()
            .get(0),
    };
    assert_eq!(stored, body);
}
}

#[test]
fn a_keep_alive_connection_from_before_a_restart_is_answered_not_left_waiting() {
    let mut h = Harness::start();
    let addr = h.addr();
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(8))
        .build();
    let url = format!("http://{addr}/");
    let post = |body: &[u8]| match agent
        .post(&url)
        .set("Authorization", &jwt())
        .send_bytes(body)
    {
        Ok(r) => Ok(r.status()),
        Err(ureq::Error::Status(code, _)) => Ok(code),
        Err(e) => Err(e.to_string()),
    };
    assert_eq!(
        post(&sample("01")),
        Ok(200),
        "the connection is now kept alive by the client"
    );
    // The receiver restarts on the same port (as the desktop app does when settings change).
    h.receiver.take().unwrap().shutdown();
    let config = ReceiverConfigBuilder::same_port(addr);
    h.receiver = Some(logbook_http::ingest::Receiver::start(config, h.store().clone()).unwrap());
    let started = Instant::now();
    let answer = post(&sample("02"));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "waited {:?} for {answer:?}",
        started.elapsed()
    );
    assert!(matches!(answer, Ok(200) | Ok(503)), "{answer:?}");
    assert_eq!(
        post(&sample("03")),
        Ok(200),
        "the next request reaches the new receiver"
    );
}

/// A receiver configuration on a given address, with the harness's endpoint.
struct ReceiverConfigBuilder;

impl ReceiverConfigBuilder {
    fn same_port(addr: std::net::SocketAddr) -> logbook_http::ingest::ReceiverConfig {
        logbook_http::ingest::ReceiverConfig::new(
            addr.to_string(),
            vec![Endpoint {
                path: None,
                auth: Auth::Jwt(Secret::new(SECRET).unwrap()),
            }],
        )
    }
}
