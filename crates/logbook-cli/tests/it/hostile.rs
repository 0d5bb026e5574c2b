//! Hostile and broken input on the webhook port, and what must never leak from it. Each case gets its
//! answer and the receiver then still accepts a good request.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use logbook_http::ingest::{Auth, Endpoint, Secret};

use crate::common::*;

/// Writes raw bytes as a request and returns what came back (empty if the connection was closed).
fn raw(h: &Harness, bytes: &[u8]) -> String {
    let mut s = TcpStream::connect(h.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let _ = s.write_all(bytes);
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                answer.extend_from_slice(&buf[..n]);
                if answer.windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
        }
    }
    String::from_utf8_lossy(&answer).into_owned()
}

fn still_serves(h: &Harness) {
    let (status, answer) = h.post_signed(&sample("01"));
    assert_eq!(status, 200, "{answer}");
}

#[test]
fn malformed_and_oversized_headers_and_bytes() {
    let h = Harness::start();
    // A header line far beyond any real one.
    let huge = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\nContent-Length: 2\r\n\r\n{{}}",
        "a".repeat(200_000)
    );
    let answer = raw(&h, huge.as_bytes());
    assert!(
        answer.is_empty() || !answer.starts_with("HTTP/1.1 200"),
        "{answer}"
    );
    still_serves(&h);
    // Garbage where the request line should be, and a header without a colon.
    for bytes in [
        &b"\x00\x01\x02 garbage\r\n\r\n"[..],
        b"POST / HTTP/1.1\r\nno colon here\r\n\r\n",
        b"GET\r\n\r\n",
    ] {
        let answer = raw(&h, bytes);
        assert!(
            answer.is_empty() || answer.starts_with("HTTP/1.1 4"),
            "{answer:?}"
        );
        still_serves(&h);
    }
    // A body of bytes that are not UTF-8.
    let (status, answer) = h.post("/", Some(&jwt()), b"\xff\xfe\xfd{\"event\":1}");
    assert_eq!(status, 400, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("not valid JSON"));
    still_serves(&h);
}

#[test]
fn the_token_in_the_wrong_header_is_not_a_token() {
    let h = Harness::start();
    for header in ["Authentication", "X-Authorization", "Proxy-Authorization"] {
        let response = agent()
            .post(&format!("{}/", h.base))
            .set(header, &jwt())
            .send_bytes(&sample("01"));
        match response {
            Err(ureq::Error::Status(401, r)) => {
                assert!(r.into_string().unwrap().contains("missing Authorization"))
            }
            other => panic!("{header}: {other:?}"),
        }
    }
    still_serves(&h);
}

#[test]
fn hundreds_of_idle_connections_do_not_stop_the_receiver() {
    let h = Harness::with(
        |c| c.socket_timeout = Duration::from_millis(500),
        vec![Endpoint {
            path: None,
            auth: Auth::Jwt(Secret::new(SECRET).unwrap()),
        }],
    );
    let idle: Vec<TcpStream> = (0..300)
        .map(|_| TcpStream::connect(h.addr()).unwrap())
        .collect();
    still_serves(&h);
    drop(idle);
    still_serves(&h);
}

#[test]
fn the_webhook_port_answers_no_read_route() {
    let h = Harness::start();
    still_serves(&h);
    let agent = agent();
    let routes = [
        "/",
        "/index.html",
        "/assets/index.js",
        "/api/status",
        "/api/events",
        "/api/events/1",
        "/api/messages",
        "/api/conversations",
        "/api/conversations/c3e1a7d4-5b28-4f90-8e6a-1d9b2c7f3a05",
        "/api/calls",
        "/api/calls/b231ef28-c861-4f33-8a17-384d95d6ddb5",
        "/api/custom-data/keys",
        "/api/custom-data/values?key=a",
        "/api/custom-data/calls?key=a",
        "/api/qualifiers",
        "/api/export?kind=raw&format=ndjson",
        "/api/live",
    ];
    for route in routes {
        for method in ["GET", "HEAD", "OPTIONS"] {
            match agent.request(method, &format!("{}{route}", h.base)).call() {
                Err(ureq::Error::Status(405, r)) => {
                    let text = r.into_string().unwrap_or_default();
                    assert!(
                        !text.contains("log_id") && !text.contains("Where is my order"),
                        "{method} {route}: {text}"
                    );
                }
                other => panic!("{method} {route}: {other:?}"),
            }
        }
    }
}

on_both_stores! {
fn the_secret_and_authorization_values_are_stored_and_exported_nowhere(backend: Backend) {
    let h = Harness::start_on(backend);
    let token = jwt();
    let wrong = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &serde_json::json!({"iat": 1}),
        &jsonwebtoken::EncodingKey::from_secret(b"another secret"),
    )
    .unwrap();
    for (name, body) in all_samples() {
        assert_eq!(
            h.post("/", Some(&format!("Bearer {token}")), &body).0,
            200,
            "{name}"
        );
    }
    assert_eq!(h.post("/", Some(&wrong), &sample("01")).0, 401);
    assert_eq!(
        h.post("/", Some("Basic dXNlcjpwYXNzd29yZA=="), b"not json")
            .0,
        401
    );
    let signature = |t: &str| t.rsplit('.').next().unwrap().to_owned();
    let forbidden = [
        SECRET.to_owned(),
        signature(&token),
        signature(&wrong),
        "dXNlcjpwYXNzd29yZA".to_owned(),
    ];

    let mut everything = everything_stored(&h);
    // Every export of every kind.
    let reader = h.query_reader();
    let reader = reader.db();
    for kind in [
        logbook_core::export::Kind::Events,
        logbook_core::export::Kind::Messages,
        logbook_core::export::Kind::Calls,
    ] {
        for format in [
            logbook_core::export::Format::Csv,
            logbook_core::export::Format::Json,
        ] {
            logbook_core::export::export(reader, kind, "", format, &mut everything, &|_| {})
                .unwrap();
        }
    }
    logbook_core::export::export(
        reader,
        logbook_core::export::Kind::Raw,
        "",
        logbook_core::export::Format::Ndjson,
        &mut everything,
        &|_| {},
    )
    .unwrap();
    // Every event and rejection as the API and `show event` present them.
    for id in ["1", "12", "r1", "r2"] {
        let detail = logbook_core::query::event::event(reader, id).unwrap();
        everything.extend(serde_json::to_vec(&detail).unwrap());
    }
    let text = String::from_utf8_lossy(&everything);
    for secret in forbidden {
        assert!(
            !text.contains(&secret),
            "found a credential ({}…) in the store or an export",
            &secret[..6]
        );
    }
    assert!(
        text.contains("[redacted"),
        "the redaction is what is stored"
    );
}
}

/// Every byte the store holds: the SQLite files (after a checkpoint, so the WAL is in them), or
/// every cell of every table of the PostgreSQL database (its bytes, or its text).
fn everything_stored(h: &Harness) -> Vec<u8> {
    let mut everything = Vec::new();
    match &h.stored {
        Stored::Sqlite(_) => {
            let derived = logbook_core::store::projection::derived_path(&h.db);
            for file in [h.db.clone(), derived] {
                let conn = rusqlite::Connection::open(&file).unwrap();
                conn.pragma_update(None, "wal_checkpoint", "TRUNCATE")
                    .unwrap();
                drop(conn);
                everything.extend(std::fs::read(&file).unwrap());
            }
        }
        Stored::Postgres { database, .. } => {
            let mut client = database.client();
            let columns = client
                .query(
                    "SELECT table_name::text, column_name::text, data_type::text
                     FROM information_schema.columns WHERE table_schema = current_schema()",
                    &[],
                )
                .unwrap();
            assert!(
                columns.len() > 50,
                "the store's tables: {} columns",
                columns.len()
            );
            for column in columns {
                let (table, name, kind): (String, String, String) =
                    (column.get(0), column.get(1), column.get(2));
                let cell = if kind == "bytea" {
                    format!("\"{name}\"")
                } else {
                    format!("convert_to(\"{name}\"::text, 'UTF8')")
                };
                for row in client
                    .query(&format!("SELECT {cell} FROM \"{table}\""), &[])
                    .unwrap()
                {
                    everything.extend(row.get::<_, Option<Vec<u8>>>(0).unwrap_or_default());
                }
            }
        }
    }
    everything
}
