//! "Hold under attack", the store's rows: each test makes the attack on loopback through the real
//! receiver (bounded in count and time) and checks what the store now does.
//!
//! The floods use requests whose bodies are stored as rejections whether or not the receiver reads
//! the bodies of requests without valid credentials: signed POSTs (a valid JWT) with a body that is
//! not JSON, and, for the anonymous class, requests without Authorization or to an unknown path.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use logbook_core::export::{self, Format, Kind};
use logbook_core::store::rejection::{
    REJECTION_BODY_KEPT_BYTES, REJECTION_CLASS_BUDGET_BYTES, REJECTION_HEADERS_KEPT_BYTES,
    REJECTION_PATH_KEPT_BYTES, REJECTIONS_BUDGET_BYTES,
};
use logbook_core::store::{NewRejection, Retention, Store, StoreOptions, retention};
use logbook_http::ingest::{Auth, Endpoint, Secret};
use serde_json::{Value, json};

use crate::common::*;

const MIB: usize = 1024 * 1024;

fn jwt_endpoint(path: Option<&str>) -> Vec<Endpoint> {
    vec![Endpoint {
        path: path.map(str::to_owned),
        auth: Auth::Jwt(Secret::new(SECRET).unwrap()),
    }]
}

/// Runs `n` requests over `threads` client threads (concurrent requests share group commits);
/// `request(i)` makes the i-th and returns its status.
fn flood(n: usize, threads: usize, request: impl Fn(usize) -> u16 + Sync) -> Vec<u16> {
    let request = &request;
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || {
                    (t..n)
                        .step_by(threads)
                        .map(|i| (i, request(i)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut all: Vec<(usize, u16)> = handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        all.sort();
        all.into_iter().map(|(_, status)| status).collect()
    })
}

/// Writes one raw HTTP request and returns the status answered (0 when the connection closed).
fn raw_status(addr: SocketAddr, bytes: &[u8]) -> u16 {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let _ = s.write_all(bytes);
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    while !answer.windows(2).any(|w| w == b"\r\n") {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&answer);
    text.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// The bytes of the database file once its WAL is checkpointed into it, and of the WAL before that
/// (SQLite checkpoints it at 32 MiB and reuses it; it does not grow with the flood).
fn disk_bytes(db: &Path) -> (u64, u64) {
    let wal = std::fs::metadata(logbook_core::store::wal_path(db)).map_or(0, |m| m.len());
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.busy_timeout(Duration::from_secs(10)).unwrap();
    conn.pragma_update(None, "wal_checkpoint", "TRUNCATE")
        .unwrap();
    drop(conn);
    (std::fs::metadata(db).unwrap().len(), wal)
}

/// The WAL is checkpointed at 32 MiB; one group commit may take it past that.
const WAL_BOUND_BYTES: u64 = 48 * MIB as u64;

/// A token as Watson sends it, signed with a secret that is not the configured one.
fn wrong_secret_jwt() -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &json!({"iat": chrono::Utc::now().timestamp()}),
        &jsonwebtoken::EncodingKey::from_secret(b"last year's secret"),
    )
    .unwrap()
}

/// Distinct, realistic event bodies.
fn bodies(n: usize, seed: u64) -> Vec<Vec<u8>> {
    let span = chrono::Duration::hours(1);
    logbook_devtools::generate::Generator::with_event_count(
        logbook_devtools::generate::GenerateOptions {
            seed,
            start: chrono::Utc::now() - span,
            span,
        },
        n as u64,
    )
    .take(n)
    .collect()
}

/// Per class: (rows, sum of stored_bytes, largest path, largest headers, largest body).
fn class_stats(h: &Harness, class: &str) -> (i64, i64, i64, i64, i64) {
    h.store()
        .reader()
        .unwrap()
        .query_row(
            "SELECT count(*), coalesce(sum(stored_bytes), 0), coalesce(max(length(CAST(path AS BLOB))), 0),
                    coalesce(max(length(CAST(headers AS BLOB))), 0), coalesce(max(length(body)), 0)
             FROM rejections WHERE class = ?1",
            [class],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap()
}

// ---------------------------------------------------------------------------------------------
// Row 1: a flood of rejections erased every stored event.

#[test]
fn a_flood_of_rejections_deletes_no_event_under_a_size_bound() {
    const MAX_BYTES: u64 = 4 * MIB as u64;
    let h = Harness::with_options(
        |_| {},
        jwt_endpoint(None),
        StoreOptions {
            retention: Retention {
                max_age: None,
                max_bytes: Some(MAX_BYTES),
            },
            ..Default::default()
        },
    );
    let events = bodies(200, 11);
    let statuses = flood(events.len(), 4, |i| h.post_signed(&events[i]).0);
    assert!(statuses.iter().all(|&s| s == 200), "{statuses:?}");
    let stored = h.count("SELECT count(*) FROM events");
    assert_eq!(stored, 200);
    let used_by_events = retention::used_bytes(&h.reader()).unwrap();
    assert!(used_by_events < MAX_BYTES, "{used_by_events}");

    // 120 signed POSTs of 1 MiB that is not JSON: each refused 400 with its body kept.
    let junk = vec![b'x'; MIB];
    let started = Instant::now();
    let statuses = flood(120, 4, |_| h.post_signed(&junk).0);
    let took = started.elapsed();
    assert!(statuses.iter().all(|&s| s == 400), "{statuses:?}");
    // Several retention intervals.
    std::thread::sleep(Duration::from_millis(2_500));
    assert_eq!(
        h.count("SELECT count(*) FROM events"),
        200,
        "every event survives the flood"
    );

    // A new event stays.
    let (status, answer) = h.post_signed(&bodies(201, 12)[200]);
    assert_eq!(status, 200, "{answer}");
    let id = answer["id"].as_i64().unwrap();
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        h.count(&format!("SELECT count(*) FROM events WHERE id = {id}")),
        1
    );
    assert_eq!(h.count("SELECT count(*) FROM events"), 201);

    // The rejections kept their own budget: the newest that fit in it.
    let (rows, accounted, _, _, body) = class_stats(&h, "jwt");
    assert!((50..=120).contains(&rows), "{rows}");
    assert!(body <= REJECTION_BODY_KEPT_BYTES as i64, "{body}");
    assert!(accounted <= REJECTION_CLASS_BUDGET_BYTES as i64);
    assert_eq!(
        h.count("SELECT min(body_bytes) FROM rejections"),
        MIB as i64,
        "the true size is kept"
    );
    let (disk, wal) = disk_bytes(&h.db);
    assert!(wal <= WAL_BOUND_BYTES, "WAL {wal} bytes");
    let bound = MAX_BYTES + REJECTIONS_BUDGET_BYTES + 4 * MIB as u64;
    assert!(disk <= bound, "{disk} bytes on disk, bound {bound}");
    eprintln!(
        "row 1: 120 × 1 MiB refused in {took:?}; 201 of 201 events kept; {rows} rejections account \
         for {accounted} bytes; database file {disk} bytes, WAL at most {wal} bytes"
    );
}

// ---------------------------------------------------------------------------------------------
// Row 5: a flood filled the disk and pushed Watson's real rejections out.

#[test]
fn a_flood_of_anonymous_rejections_keeps_watsons_and_the_disk_bounded() {
    let h = Harness::with(|_| {}, jwt_endpoint(Some("/watson")));
    // 300 signed POSTs of 1 MiB that is not JSON (bodies kept today and after the receiver stops
    // reading unauthenticated bodies): at most 64 KiB of each is kept, within the class's budget.
    let junk = vec![b'y'; MIB];
    let started = Instant::now();
    let big = flood(300, 4, |_| h.post("/watson", Some(&jwt()), &junk).0);
    assert!(big.iter().all(|&s| s == 400), "{big:?}");
    let took_big = started.elapsed();

    // What Watson sends with last year's secret: kept as a rejection of the JWT class, the newest.
    let (status, answer) = h.post("/watson", Some(&wrong_secret_jwt()), &sample("02"));
    assert_eq!(status, 401, "{answer}");
    let watson: i64 = h.count("SELECT max(id) FROM rejections");
    assert_eq!(
        h.strings(&format!("SELECT class FROM rejections WHERE id = {watson}")),
        ["jwt"]
    );

    // 2,000 anonymous requests: no Authorization, or an unknown path; long paths and headers.
    let addr = h.addr();
    let long_path = format!("/nowhere/{}", "p".repeat(6 * 1024));
    let long_headers: String = (0..4)
        .map(|i| format!("X-Filler-{i}: {}\r\n", "h".repeat(7 * 1024)))
        .collect();
    let started = Instant::now();
    let statuses = flood(2_000, 8, |i| {
        let path = if i % 2 == 0 { "/watson" } else { &long_path };
        let body = b"{\"event\":{\"name\":\"message_logged\"}}";
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\n{long_headers}Content-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        let mut bytes = request.into_bytes();
        bytes.extend_from_slice(body);
        raw_status(addr, &bytes)
    });
    let took_flood = started.elapsed();
    let refused = statuses.iter().filter(|&&s| s == 401 || s == 404).count();
    assert!(
        statuses.iter().all(|&s| s != 200),
        "no anonymous request is accepted"
    );

    // Watson's rejection is still there, whatever the flood did.
    assert_eq!(
        h.count(&format!(
            "SELECT count(*) FROM rejections WHERE id = {watson}"
        )),
        1,
        "a flood of anonymous rejections deleted a rejection with a JWT"
    );
    let (jwt_rows, jwt_bytes, jwt_path, jwt_headers, jwt_body) = class_stats(&h, "jwt");
    let (other_rows, other_bytes, other_path, other_headers, other_body) = class_stats(&h, "other");
    assert!(other_rows > 0 && other_rows <= 1_000, "{other_rows}");
    assert!((1..=301).contains(&jwt_rows), "{jwt_rows}");
    for bytes in [jwt_bytes, other_bytes] {
        assert!(bytes <= REJECTION_CLASS_BUDGET_BYTES as i64, "{bytes}");
    }
    for path in [jwt_path, other_path] {
        assert!(path <= REJECTION_PATH_KEPT_BYTES as i64, "{path}");
    }
    for headers in [jwt_headers, other_headers] {
        assert!(headers <= REJECTION_HEADERS_KEPT_BYTES as i64, "{headers}");
    }
    for body in [jwt_body, other_body] {
        assert!(body <= REJECTION_BODY_KEPT_BYTES as i64, "{body}");
    }
    // The accounting is an upper bound of what the rows take.
    let used = retention::used_bytes(&h.reader()).unwrap();
    let accounted = logbook_core::store::rejection::accounted_bytes(&h.reader()).unwrap();
    assert_eq!(accounted as i64, jwt_bytes + other_bytes);
    assert!(
        used <= accounted + MIB as u64,
        "used {used}, accounted {accounted}"
    );
    let (disk, wal) = disk_bytes(&h.db);
    assert!(wal <= WAL_BOUND_BYTES, "WAL {wal} bytes");
    let bound = REJECTIONS_BUDGET_BYTES + 8 * MIB as u64;
    assert!(disk <= bound, "{disk} bytes on disk, bound {bound}");
    eprintln!(
        "row 5: 300 × 1 MiB signed junk in {took_big:?}, 2,000 anonymous ({refused} refused 401/404) \
         in {took_flood:?}; kept jwt {jwt_rows} rows / {jwt_bytes} B, other {other_rows} rows / \
         {other_bytes} B; database file {disk} bytes, WAL at most {wal} bytes"
    );
}

/// The store caps what one rejection keeps, whoever calls it: a 20 MiB path, 30 MiB of headers.
#[test]
fn one_rejection_keeps_at_most_its_caps() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("caps.db"), StoreOptions::default()).unwrap();
    let headers: Vec<(String, String)> = (0..30)
        .map(|i| (format!("X-Big-{i}"), "€".repeat(MIB / 3)))
        .collect();
    let claims = json!({"sub": "c".repeat(100_000)}).to_string();
    let mut body = vec![b'a'; 65_535];
    body.extend("€€€".as_bytes()); // a character across the 64 KiB mark
    body.resize(MIB, b'b');
    store
        .submit_rejection(NewRejection {
            received_at: 1,
            endpoint: Some("*".into()),
            path: format!("/{}", "é".repeat(10 * MIB)),
            method: "POST".into(),
            remote_addr: Some("127.0.0.1:1".into()),
            status: 401,
            reason: "r".repeat(100_000),
            headers: serde_json::to_string(&headers).unwrap(),
            jwt_header: Some(r#"{"alg":"HS256","typ":"JWT"}"#.into()),
            jwt_claims: Some(claims),
            body,
            body_bytes: Some(MIB as i64),
        })
        .unwrap();
    let reader = store.reader().unwrap();
    let detail = logbook_core::query::event::event(&reader, "r1").unwrap();
    let detail = serde_json::to_value(&detail).unwrap();
    let path = detail["path"].as_str().unwrap();
    assert!(path.len() <= REJECTION_PATH_KEPT_BYTES, "{}", path.len());
    assert!(
        path.ends_with("…[cut, 20971521 bytes]"),
        "{}",
        &path[path.len() - 40..]
    );
    let kept_headers = detail["headers"].as_array().unwrap();
    assert!(!kept_headers.is_empty(), "the cut headers still read back");
    assert_eq!(kept_headers.last().unwrap()[0], "…");
    assert_eq!(detail["body_bytes"], MIB, "the true size");
    assert_eq!(detail["body_truncated"], true);
    assert_eq!(detail["jwt_header"]["alg"], "HS256");
    assert!(detail["jwt_claims"].as_str().unwrap().contains("[cut, "));
    let (path_len, headers_len, body_len, reason_len): (i64, i64, i64, i64) = reader
        .query_row(
            "SELECT length(CAST(path AS BLOB)), length(CAST(headers AS BLOB)), length(body),
                    length(CAST(reason AS BLOB)) FROM rejections",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert!(path_len <= REJECTION_PATH_KEPT_BYTES as i64);
    assert!(headers_len <= REJECTION_HEADERS_KEPT_BYTES as i64);
    assert_eq!(
        body_len, 65_535,
        "cut before the character that straddles the cap"
    );
    assert!(reason_len <= 1024);
    drop(reader);
    store.close().unwrap();
}

/// The two classes at the store: 2,000 anonymous rejections leave the JWT ones alone; each class keeps
/// its newest `rejections_kept`.
#[test]
fn anonymous_rejections_never_push_out_jwt_rejections() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(
        &dir.path().join("classes.db"),
        StoreOptions {
            rejections_kept: 100,
            ..Default::default()
        },
    )
    .unwrap();
    let rejection = |path: &str, jwt: bool| NewRejection {
        received_at: 1,
        endpoint: Some("*".into()),
        path: path.into(),
        method: "POST".into(),
        remote_addr: None,
        status: 401,
        reason: "invalid signature".into(),
        headers: "[]".into(),
        jwt_header: jwt.then(|| r#"{"alg":"HS256"}"#.into()),
        jwt_claims: None,
        body: vec![b'z'; 1_000],
        body_bytes: None,
    };
    for i in 0..150 {
        store
            .submit_rejection(rejection(&format!("/watson/{i}"), true))
            .unwrap();
    }
    let flood: Vec<_> = (0..2_000)
        .map(|i| rejection(&format!("/noise/{i}"), false))
        .collect();
    std::thread::scope(|s| {
        for chunk in flood.chunks(250) {
            let store = &store;
            s.spawn(move || {
                for r in chunk {
                    store.submit_rejection(r.clone()).unwrap();
                }
            });
        }
    });
    let reader = store.reader().unwrap();
    let paths = |class: &str| -> Vec<String> {
        let mut stmt = reader
            .prepare("SELECT path FROM rejections WHERE class = ?1 ORDER BY id")
            .unwrap();
        stmt.query_map([class], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let watson = paths("jwt");
    assert_eq!(watson.len(), 100);
    assert_eq!(watson[0], "/watson/50", "the newest 100 of the class");
    assert_eq!(paths("other").len(), 100);
    drop(reader);
    store.close().unwrap();
}

// ---------------------------------------------------------------------------------------------
// Row 8: chat text became a formula in a user's spreadsheet.

/// Whether a spreadsheet would read this cell as a formula.
fn formula(cell: &str) -> bool {
    cell.starts_with(['=', '+', '-', '@', '\t', '\r']) && cell.parse::<f64>().is_err()
}

#[test]
fn csv_exports_write_no_formula() {
    let h = Harness::start();
    const EVIL: &str = r#"=HYPERLINK("http://evil","x")"#;
    let mut message: Value = serde_json::from_slice(&sample("02")).unwrap();
    message["payload"]["request"]["input"]["text"] = json!(EVIL);
    message["payload"]["response"]["output"]["generic"][0]["text"] = json!("@SUM(A1:A9)");
    assert_eq!(h.post_signed(message.to_string().as_bytes()).0, 200);
    // A phone turn and the call that links to it.
    let mut turn: Value = serde_json::from_slice(&sample("07")).unwrap();
    turn["payload"]["request"]["input"]["text"] = json!("+cmd|' /C calc'!A0");
    assert_eq!(h.post_signed(turn.to_string().as_bytes()).0, 200);
    let mut call: Value = serde_json::from_slice(&sample("12")).unwrap();
    call["payload"]["injected_custom_data"]["note"] = json!("-2+3");
    call["payload"]["injected_custom_data"]["=evil"] = json!("=1+1");
    assert_eq!(h.post_signed(call.to_string().as_bytes()).0, 200);
    for (name, body) in all_samples() {
        assert!(
            [200].contains(&h.post_signed(&body).0),
            "{name} is stored or a duplicate"
        );
    }

    let reader = h.reader();
    let mut seen = String::new();
    for kind in [
        Kind::Events,
        Kind::Messages,
        Kind::Calls,
        Kind::CallTurns,
        Kind::CustomData,
    ] {
        let mut out = Vec::new();
        let rows = export::export(&reader, kind, "", Format::Csv, &mut out, &|_| {}).unwrap();
        assert!(rows > 0, "{kind:?}");
        let mut csv = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(&out[..]);
        for record in csv.records() {
            for cell in record.unwrap().iter() {
                assert!(!formula(cell), "{kind:?}: cell {cell:?}");
            }
        }
        seen.push_str(&String::from_utf8(out).unwrap());
    }
    // The text is all there, defused.
    for defused in [
        r#"'=HYPERLINK(""http://evil"",""x"")"#,
        "'@SUM(A1:A9)",
        "'+cmd|' /C calc'!A0",
        "'-2+3",
        "'=1+1",
    ] {
        assert!(seen.contains(defused), "{defused} not in the exports");
    }
}

// ---------------------------------------------------------------------------------------------
// Row 11: ids restarted at 1 once retention emptied a table, and live views skipped events.

#[test]
fn ids_never_go_back_when_retention_empties_the_tables() {
    let h = Harness::with_options(
        |_| {},
        jwt_endpoint(None),
        StoreOptions {
            retention: Retention {
                max_age: Some(Duration::from_secs(2)),
                max_bytes: None,
            },
            ..Default::default()
        },
    );
    let mut seen_events = Vec::new();
    for body in bodies(20, 21) {
        let (status, answer) = h.post_signed(&body);
        assert_eq!(status, 200, "{answer}");
        seen_events.push(answer["id"].as_i64().unwrap());
    }
    for _ in 0..5 {
        assert_eq!(h.post("/", None, b"{}").0, 401);
    }
    let last_event = *seen_events.iter().max().unwrap();
    let last_rejection = h.count("SELECT max(id) FROM rejections");
    eventually("retention to empty both tables", || {
        h.count("SELECT count(*) FROM events") == 0
            && h.count("SELECT count(*) FROM rejections") == 0
    });
    // A live view resumes from the last ids it saw.
    let reader = h.reader();
    assert_eq!(
        logbook_core::query::live::since(&reader, last_event, last_rejection, 100).unwrap(),
        (Vec::new(), false)
    );

    let (status, answer) = h.post_signed(&bodies(21, 22)[20]);
    assert_eq!(status, 200, "{answer}");
    let new_event = answer["id"].as_i64().unwrap();
    assert!(
        new_event > last_event,
        "new id {new_event}, ids seen up to {last_event}"
    );
    assert_eq!(h.post("/", None, b"{}").0, 401);
    let new_rejection = h.count("SELECT max(id) FROM rejections");
    assert!(new_rejection > last_rejection);

    let (rows, more) =
        logbook_core::query::live::since(&reader, last_event, last_rejection, 100).unwrap();
    assert!(!more);
    let got: Vec<(String, i64)> = rows.iter().map(|r| (r.source.clone(), r.id)).collect();
    assert!(
        got.contains(&("accepted".into(), new_event)),
        "{got:?} lacks event {new_event}"
    );
    assert!(
        got.contains(&("rejected".into(), new_rejection)),
        "{got:?} lacks rejection {new_rejection}"
    );
}

/// The highest ids are saved with the rows: a restart after the tables were emptied goes on from them.
#[test]
fn ids_never_go_back_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ids.db");
    let store = Store::open(&db, StoreOptions::default()).unwrap();
    logbook_core::import::import_bodies(&store, "a", bodies(30, 31).into_iter(), &|_| {}).unwrap();
    let last: i64 = store
        .reader()
        .unwrap()
        .query_row("SELECT max(id) FROM events", [], |r| r.get(0))
        .unwrap();
    assert_eq!(last, 30);
    store.close().unwrap();

    let empty_all = StoreOptions {
        retention: Retention {
            max_age: Some(Duration::from_millis(1)),
            max_bytes: None,
        },
        ..Default::default()
    };
    let store = Arc::new(Store::open(&db, empty_all).unwrap());
    eventually("retention to empty the table", || {
        store
            .reader()
            .unwrap()
            .query_row("SELECT count(*) FROM events", [], |r| r.get::<_, i64>(0))
            .unwrap()
            == 0
    });
    Arc::into_inner(store).unwrap().close().unwrap();

    let store = Store::open(&db, StoreOptions::default()).unwrap();
    logbook_core::import::import_bodies(&store, "b", bodies(31, 32).into_iter().skip(30), &|_| {})
        .unwrap();
    let next: i64 = store
        .reader()
        .unwrap()
        .query_row("SELECT max(id) FROM events", [], |r| r.get(0))
        .unwrap();
    assert_eq!(next, 31, "after the emptied table, the next id, not 1");
    store.close().unwrap();
}
