//! Forwarding: every event `serve` acknowledged reaches the downstream, signed with the downstream's
//! own secret, in arrival order, even when the downstream is down at first and slow afterwards and
//! `serve` is killed with SIGKILL in between.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use logbook_core::auth::{self, Auth, Secret};

use crate::common::*;
use logbook_http::plumbing::header_value;

const DOWNSTREAM_SECRET: &str = "downstream's own secret";

/// What the downstream received: per event id, the bodies (one per delivery attempt it answered),
/// and every event id in the order first seen.
#[derive(Default)]
struct Received {
    bodies: BTreeMap<i64, Vec<Vec<u8>>>,
    order: Vec<i64>,
    unverified: usize,
    delivery_ids: BTreeMap<i64, String>,
}

/// A downstream on `port` that verifies each request with its own secret and answers after `delay`;
/// the first request of every fiftieth event is answered 503, so that retries happen.
fn downstream(port: u16, delay: Duration) -> Arc<Mutex<Received>> {
    let server = tiny_http::Server::http(format!("127.0.0.1:{port}")).unwrap();
    let received: Arc<Mutex<Received>> = Arc::default();
    let seen = received.clone();
    std::thread::spawn(move || {
        let auth = Auth::Jwt(Secret::new(DOWNSTREAM_SECRET).unwrap());
        for mut request in server.incoming_requests() {
            let header = |name: &'static str| header_value(&request, name).map(str::to_owned);
            let verified = auth::check(&auth, header("Authorization").as_deref()).is_ok();
            let event: i64 = header("X-Logbook-Event").unwrap().parse().unwrap();
            let delivery = header("X-Logbook-Delivery").unwrap();
            let mut body = Vec::new();
            std::io::Read::read_to_end(request.as_reader(), &mut body).unwrap();
            std::thread::sleep(delay);
            let status = {
                let mut r = seen.lock().unwrap();
                if !verified {
                    r.unverified += 1;
                }
                let first = !r.bodies.contains_key(&event);
                if first {
                    r.order.push(event);
                }
                r.delivery_ids.insert(event, delivery);
                let copies = r.bodies.entry(event).or_default();
                copies.push(body);
                if event % 50 == 0 && copies.len() == 1 {
                    503
                } else {
                    200
                }
            };
            let _ =
                request.respond(tiny_http::Response::from_string("ok").with_status_code(status));
        }
    });
    received
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn every_acknowledged_event_reaches_a_downstream_that_was_down_then_slow_across_a_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, SECRET).unwrap();
    let downstream_secret = dir.path().join("downstream-secret");
    std::fs::write(&downstream_secret, format!("{DOWNSTREAM_SECRET}\n")).unwrap();
    let db = dir.path().join("forward.db");
    let port = free_port();
    let forward = format!("http://127.0.0.1:{port}/in={}", downstream_secret.display());
    let extra = ["--no-ui", "--quiet", "--forward", &forward];

    // The downstream is down while the first load runs, and serve is killed in the middle of it.
    let (mut server, url) = serve_cli(&db, &secret, &extra);
    let answers = dir.path().join("answers-1.ndjson");
    let mut first = send_load(&url, &secret, &answers, 30, 4);
    std::thread::sleep(Duration::from_millis(700));
    server.kill().unwrap();
    server.wait().unwrap();
    let _ = first.wait();
    let mut acknowledged = acknowledged_ids(&answers);
    assert!(
        !acknowledged.is_empty(),
        "the load reached serve before the kill"
    );

    // The downstream comes up, slow; serve restarts on the same database and gets a second load.
    let received = downstream(port, Duration::from_millis(5));
    let (mut server, url) = serve_cli(&db, &secret, &extra);
    let answers = dir.path().join("answers-2.ndjson");
    let mut second = send_load(&url, &secret, &answers, 30, 4);
    let _ = second.wait();
    acknowledged.extend(acknowledged_ids(&answers));

    let started = Instant::now();
    let missing = || {
        let r = received.lock().unwrap();
        acknowledged
            .iter()
            .filter(|id| !r.bodies.contains_key(id))
            .count()
    };
    while missing() > 0 && started.elapsed() < Duration::from_secs(90) {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(missing(), 0, "acknowledged events never delivered");

    // Each delivery is the exact stored body, signed with the downstream's secret, in arrival order;
    // a retried event carries the same delivery id.
    let store = logbook_core::store::open_reader(&db).unwrap();
    let r = received.lock().unwrap();
    assert_eq!(r.unverified, 0, "deliveries that did not verify");
    for id in &acknowledged {
        let stored: Vec<u8> = store
            .query_row(
                "SELECT body, body_zstd FROM events WHERE id = ?1",
                [id],
                |row| logbook_core::store::stored_body::unpack(row.get_ref(0)?, row.get(1)?, 0),
            )
            .unwrap();
        for body in &r.bodies[id] {
            assert_eq!(
                body, &stored,
                "event {id} delivered other bytes than stored"
            );
        }
    }
    let mut sorted = r.order.clone();
    sorted.sort_unstable();
    assert_eq!(r.order, sorted, "delivered out of arrival order");
    let retried: Vec<&i64> = r.bodies.keys().filter(|id| *id % 50 == 0).collect();
    assert!(!retried.is_empty());
    for id in retried {
        assert!(
            r.bodies[id].len() >= 2,
            "event {id} was answered 503 and not retried"
        );
    }
    drop(r);

    // The event view lists the delivery: attempts, statuses, and that it is delivered.
    let retried = *acknowledged.iter().find(|id| *id % 50 == 0).unwrap();
    terminate(&mut server);
    let out = logbook()
        .args([
            "show",
            "event",
            &retried.to_string(),
            "--format",
            "json",
            "--db",
        ])
        .arg(&db)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let delivery = &shown["deliveries"][0];
    assert_eq!(delivery["state"], "delivered", "{shown:#}");
    assert_eq!(delivery["target"], format!("http://127.0.0.1:{port}/in"));
    let statuses: Vec<i64> = delivery["recent"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["status"].as_i64())
        .collect();
    assert_eq!(statuses.last(), Some(&200), "{delivery:#}");
    assert!(statuses.contains(&503), "{delivery:#}");
    assert_eq!(
        delivery["id"].to_string(),
        received.lock().unwrap().delivery_ids[&retried],
        "the delivery id the downstream saw"
    );
}

#[test]
fn forward_specs_are_checked_before_serve_starts() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, SECRET).unwrap();
    for (spec, says) in [
        ("ftp://example.com/x=none", "must be http:// or https://"),
        ("https://example.com/x", "expected URL=FILE"),
        (
            "/nowhere@https://example.com/x=none",
            "there is no endpoint /nowhere",
        ),
        ("https://example.com/x=/no/such/file", "/no/such/file"),
    ] {
        let out = logbook()
            .args(["serve", "--no-ui", "--listen", "127.0.0.1:0", "--db"])
            .arg(dir.path().join("x.db"))
            .arg("--secret-file")
            .arg(&secret)
            .args(["--forward", spec])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{spec}: serve started");
        assert!(stderr.contains(says), "{spec}: {stderr}");
    }
}

/// What a passthrough downstream saw of each request.
#[derive(Default)]
struct Seen {
    /// Per delivery id: the event, the number of requests, and the statuses answered.
    deliveries: BTreeMap<String, (i64, Vec<u16>)>,
    /// Requests whose Authorization did not verify with the endpoint's own secret (Watson's).
    not_watsons: usize,
    /// Requests without the configured extra header, or with another value.
    without_team: usize,
    /// The most requests under way at once.
    max_at_once: usize,
}

#[test]
fn a_downstream_gets_watsons_own_authorization_its_extra_headers_and_parallel_deliveries() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, SECRET).unwrap();
    let db = dir.path().join("passthrough.db");
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let url = format!("http://{}/in", server.server_addr().to_ip().unwrap());
    let seen: Arc<Mutex<Seen>> = Arc::default();
    let under_way = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    {
        let (seen, under_way) = (seen.clone(), under_way.clone());
        std::thread::spawn(move || {
            for mut request in server.incoming_requests() {
                let (seen, under_way) = (seen.clone(), under_way.clone());
                std::thread::spawn(move || {
                    use std::sync::atomic::Ordering::SeqCst;
                    let now = under_way.fetch_add(1, SeqCst) + 1;
                    let header =
                        |name: &'static str| header_value(&request, name).map(str::to_owned);
                    // Only the endpoint's secret: what Watson signed with.
                    let watson = Auth::Jwt(Secret::new(SECRET).unwrap());
                    let verified = auth::check(&watson, header("Authorization").as_deref()).is_ok();
                    let team = header("X-Team");
                    let event: i64 = header("X-Logbook-Event").unwrap().parse().unwrap();
                    let delivery = header("X-Logbook-Delivery").unwrap();
                    let mut body = Vec::new();
                    std::io::Read::read_to_end(request.as_reader(), &mut body).unwrap();
                    std::thread::sleep(Duration::from_millis(60));
                    let status = {
                        let mut s = seen.lock().unwrap();
                        s.max_at_once = s.max_at_once.max(now);
                        s.not_watsons += usize::from(!verified);
                        s.without_team += usize::from(team.as_deref() != Some("support a"));
                        let entry = s.deliveries.entry(delivery).or_insert((event, Vec::new()));
                        // Every seventh event is refused once: its retry is the only second copy.
                        let status = if event % 7 == 0 && entry.1.is_empty() {
                            503
                        } else {
                            200
                        };
                        entry.1.push(status);
                        status
                    };
                    under_way.fetch_sub(1, SeqCst);
                    let _ = request
                        .respond(tiny_http::Response::from_string("ok").with_status_code(status));
                });
            }
        });
    }
    let forward = format!("{url}=passthrough");
    let extra = [
        "--no-ui",
        "--quiet",
        "--forward",
        &forward,
        "--forward-header",
        &url,
        "X-Team: support a",
        "--forward-parallel",
        &url,
        "4",
    ];
    let (mut server, webhook) = serve_cli(&db, &secret, &extra);
    let answers = dir.path().join("answers.ndjson");
    let mut load = send_load(&webhook, &secret, &answers, 4, 4);
    let _ = load.wait();
    let acknowledged = acknowledged_ids(&answers);
    assert!(acknowledged.len() > 20, "{}", acknowledged.len());

    let started = Instant::now();
    let delivered = || {
        let s = seen.lock().unwrap();
        s.deliveries
            .values()
            .filter(|(_, statuses)| statuses.last() == Some(&200))
            .map(|(event, _)| *event)
            .collect::<std::collections::BTreeSet<i64>>()
    };
    while delivered().len() < acknowledged.len() && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(100));
    }
    let delivered = delivered();
    let missing: Vec<_> = acknowledged
        .iter()
        .filter(|id| !delivered.contains(id))
        .collect();
    assert!(missing.is_empty(), "never delivered: {missing:?}");
    terminate(&mut server);

    let s = seen.lock().unwrap();
    assert_eq!(s.not_watsons, 0, "requests without Watson's own header");
    assert_eq!(s.without_team, 0, "requests without the extra header");
    assert!(
        (2..=4).contains(&s.max_at_once),
        "{} deliveries at once, with 4 allowed",
        s.max_at_once
    );
    let mut events = std::collections::BTreeSet::new();
    for (delivery, (event, statuses)) in &s.deliveries {
        assert!(
            events.insert(*event),
            "event {event} under two delivery ids"
        );
        let expected: &[u16] = if event % 7 == 0 { &[503, 200] } else { &[200] };
        assert_eq!(statuses, expected, "delivery {delivery} of event {event}");
    }

    // The header Watson sent was kept with the outbox rows only, and only until delivered; the
    // event keeps it redacted.
    let store = logbook_core::store::open_reader(&db).unwrap();
    let kept: i64 = store
        .query_row(
            "SELECT count(*) FROM outbox WHERE authorization IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(kept, 0, "Authorization headers kept after delivery");
    let headers: String = store
        .query_row(
            "SELECT headers FROM events WHERE id = ?1",
            [acknowledged[0]],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        headers.contains(r#"["Authorization","[redacted, "#) && !headers.contains("Bearer "),
        "{headers}"
    );
}

#[test]
fn forward_headers_and_parallel_name_a_configured_downstream_and_valid_values() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, SECRET).unwrap();
    let url = "https://logs.example.com/in";
    let forward = format!("{url}=none");
    for (flags, says) in [
        (
            vec!["--forward-header", "https://other.example/", "X-A: 1"],
            "no --forward has that downstream",
        ),
        (
            vec!["--forward-header", url, "X-A 1"],
            "expected 'Name: value'",
        ),
        (
            vec!["--forward-header", url, "Authorization: Bearer x"],
            "Logbook sets this header",
        ),
        (
            vec!["--forward-header", url, "X-A: a\u{1b}b"],
            "visible ASCII",
        ),
        (vec!["--forward-parallel", url, "many"], "expected a number"),
        (vec!["--forward-parallel", url, "0"], "between 1 and 64"),
    ] {
        let out = logbook()
            .args(["serve", "--no-ui", "--listen", "127.0.0.1:0", "--db"])
            .arg(dir.path().join("x.db"))
            .arg("--secret-file")
            .arg(&secret)
            .args(["--forward", &forward])
            .args(&flags)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{flags:?}: serve started");
        assert!(stderr.contains(says), "{flags:?}: {stderr}");
    }
}

#[test]
fn stats_shows_each_downstreams_outbox_delivered_pending_given_up_and_oldest_waiting() {
    use logbook_core::store::outbox::{After, Attempt, OutboxWrite};
    use logbook_core::store::{ForwardRoute, Store, StoreOptions};

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("stats.db");
    let stats = |db: &std::path::Path| {
        let out = logbook().arg("stats").arg("--db").arg(db).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };

    // Three events queued for two downstreams; of the first's, one delivered and one given up.
    let route = |target: &str| ForwardRoute {
        target: target.into(),
        endpoint: None,
        passthrough: false,
    };
    let options = StoreOptions {
        forwards: vec![route("http://a.example/in"), route("http://b.example/in")],
        ..StoreOptions::default()
    };
    let store = Store::open(&db, options).unwrap();
    let bodies = all_samples().into_iter().take(3).map(|(_, body)| body);
    let imported = logbook_core::import::import_bodies(&store, "test", bodies, &|_| ()).unwrap();
    assert_eq!(imported.stored, 3);
    let rows: Vec<i64> = store
        .reader()
        .unwrap()
        .prepare("SELECT id FROM outbox WHERE target = 'http://a.example/in' ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows.len(), 3);
    let attempt = |outbox_id, status, then| {
        OutboxWrite::Attempt(Attempt {
            outbox_id,
            at: chrono::Utc::now().timestamp_millis(),
            status: Some(status),
            error: None,
            response_body: Vec::new(),
            latency_ms: 3.0,
            then,
        })
    };
    store
        .record_outbox(attempt(rows[0], 200, After::Delivered))
        .unwrap();
    store
        .record_outbox(attempt(
            rows[1],
            410,
            After::GiveUp("the downstream answered 410 Gone".into()),
        ))
        .unwrap();
    store.close().unwrap();
    // The events have waited two hours for their deliveries.
    let two_hours_ago = chrono::Utc::now().timestamp_millis() - 2 * 3_600_000 - 60_000;
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute("UPDATE outbox SET created_at = ?1", [two_hours_ago])
        .unwrap();

    // The cells of the line of `said` that starts with `start`.
    fn line_in(said: &str, start: &str) -> Vec<String> {
        said.lines()
            .find(|l| l.starts_with(start))
            .unwrap_or_else(|| panic!("no line {start:?} in:\n{said}"))
            .split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect()
    }
    let said = stats(&db);
    let line = |start: &str| line_in(&said, start);
    assert_eq!(line("forwarding")[1], "2 downstreams (below)", "{said}");
    assert_eq!(
        line("downstream"),
        [
            "downstream",
            "delivered",
            "pending",
            "given up",
            "oldest pending"
        ]
    );
    let oldest = format!(
        "2 hours (since {})",
        chrono::DateTime::from_timestamp_millis(two_hours_ago)
            .unwrap()
            .format("%Y-%m-%d %H:%M:%S%.3f")
    );
    assert_eq!(
        line("http://a.example/in "),
        ["http://a.example/in", "1", "1", "1", &oldest],
        "{said}"
    );
    assert_eq!(
        line("http://b.example/in "),
        ["http://b.example/in", "0", "3", "0", &oldest],
        "{said}"
    );
    assert!(
        said.lines()
            .any(|l| l.starts_with("http://a.example/in last gave up ")
                && l.ends_with(": the downstream answered 410 Gone")),
        "{said}"
    );

    // A store that never forwarded says so, with no table.
    let plain = dir.path().join("plain.db");
    let import = logbook()
        .arg("import")
        .arg("--db")
        .arg(&plain)
        .args(sample_paths())
        .output()
        .unwrap();
    assert!(import.status.success());
    let said = stats(&plain);
    assert_eq!(
        line_in(&said, "forwarding")[1],
        "no downstream has been forwarded to",
        "{said}"
    );
    assert!(!said.contains("downstream  "), "{said}");
}
