//! Forwarding: every event `serve` acknowledged reaches the downstream, signed with the downstream's
//! own secret, in arrival order, even when the downstream is down at first and slow afterwards and
//! `serve` is killed with SIGKILL in between.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use logbook_core::auth::{self, Auth, Secret};

use crate::common::*;

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
            let header = |name: &'static str| {
                request
                    .headers()
                    .iter()
                    .find(|h| h.field.equiv(name))
                    .map(|h| h.value.as_str().to_owned())
            };
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
            .query_row("SELECT body FROM events WHERE id = ?1", [id], |row| {
                row.get(0)
            })
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
