//! Team mode: `logbook serve --store postgres://…` receives into a shared PostgreSQL database,
//! several receivers on one database, each acknowledging only what it committed, every event stored
//! once however many receivers it was delivered to, even when one is killed mid-load; and one
//! projector at a time, any instance taking over, projecting each stored event exactly once, even
//! when ids commit out of order.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::Duration;

use logbook_core::store::postgres::PROJECTOR_LOCK;
use logbook_core::store::{NewEvent, Outcome, PgStore, StoreOptions};
use serde_json::Value;

use crate::common::*;
use crate::harness_postgres::{Database, PASSWORD, cluster};

/// `logbook serve --store URL` on a free port, without UI (plus `extra`); returns it and its webhook
/// URL.
fn serve_team(url: &str, secret: &Path, extra: &[&str]) -> (Child, String) {
    let mut child = logbook()
        .args(["serve", "--listen", "127.0.0.1:0", "--quiet", "--no-ui"])
        .args(["--store", url])
        .arg("--secret-file")
        .arg(secret)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let endpoint = printed_endpoint(&mut child);
    (child, endpoint)
}

/// `logbook send` of every body in `bodies` (a file or a directory) to `url`, `concurrency` at a
/// time, answers logged to `answers`.
fn send(url: &str, secret: &Path, bodies: &Path, answers: &Path, concurrency: usize) -> Child {
    logbook()
        .args(["send", "--url", url, "--concurrency"])
        .arg(concurrency.to_string())
        .arg("--secret-file")
        .arg(secret)
        .arg("--log-answers")
        .arg(answers)
        .arg(bodies)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// The answers of a `--log-answers` file that were 200: (body file name, status word, event id).
fn acknowledged(answers: &Path) -> Vec<(String, String, i64)> {
    std::fs::read_to_string(answers)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| {
            let answer: Value = serde_json::from_str(line).unwrap();
            (answer["status"] == 200).then(|| {
                let body: Value = serde_json::from_str(answer["answer"].as_str().unwrap()).unwrap();
                (
                    answer["name"].as_str().unwrap().to_owned(),
                    body["status"].as_str().unwrap().to_owned(),
                    body["id"].as_i64().unwrap(),
                )
            })
        })
        .collect()
}

fn count(db: &mut postgres::Client, sql: &str) -> i64 {
    db.query_one(sql, &[]).unwrap().get(0)
}

/// Whether the projector has projected every stored event.
fn caught_up(db: &mut postgres::Client) -> bool {
    db.query_one(
        "SELECT (SELECT count(*) FROM projection_state) = 1
             AND NOT EXISTS (SELECT 1 FROM events e, projection_state s
                             WHERE (e.tx, e.id) > (s.tx, s.event_id))",
        &[],
    )
    .unwrap()
    .get(0)
}

/// Waits (a minute at most) for the projector to project every stored event.
fn wait_projected(db: &mut postgres::Client) {
    let waited = std::time::Instant::now();
    while !caught_up(db) {
        assert!(
            waited.elapsed() < Duration::from_secs(60),
            "the projector did not catch up: {} of {} events projected",
            count(
                db,
                "SELECT coalesce(max(projected), 0) FROM projection_state"
            ),
            count(db, "SELECT count(*) FROM events")
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Every stored event is projected, once: a message row for each message event (under its log
/// id), a call row for each call event (under its session id), nothing for any other event, and
/// the projector counted each event once.
fn assert_projected_exactly_once(db: &mut postgres::Client) {
    let events = count(db, "SELECT count(*) FROM events");
    let messages = count(
        db,
        "SELECT count(*) FROM events WHERE kind = 'message_logged'",
    );
    let calls = count(db, "SELECT count(*) FROM events WHERE kind = 'cdr_logged'");
    assert_eq!(
        count(db, "SELECT projected FROM projection_state"),
        events,
        "each event projected once"
    );
    assert_eq!(count(db, "SELECT count(*) FROM messages"), messages);
    assert_eq!(count(db, "SELECT count(*) FROM calls"), calls);
    let missing = count(
        db,
        "SELECT count(*) FROM events e WHERE
             (e.kind = 'message_logged' AND NOT EXISTS (SELECT 1 FROM messages m
                  WHERE m.event_id = e.id AND e.dedup_key = 'message:' || m.log_id))
          OR (e.kind = 'cdr_logged' AND NOT EXISTS (SELECT 1 FROM calls c
                  WHERE c.event_id = e.id
                    AND e.dedup_key = 'call:' || c.global_session_id || '|' || c.start_ts))",
    );
    assert_eq!(missing, 0, "events without their derived row");
    let stray = count(
        db,
        "SELECT (SELECT count(*) FROM messages m LEFT JOIN events e ON e.id = m.event_id
                 WHERE e.kind IS DISTINCT FROM 'message_logged')
              + (SELECT count(*) FROM calls c LEFT JOIN events e ON e.id = c.event_id
                 WHERE e.kind IS DISTINCT FROM 'cdr_logged')",
    );
    assert_eq!(stray, 0, "derived rows of no such event");
}

/// The backend pid of the session holding the projector's lock in this database, if any.
fn projector_holder(db: &mut postgres::Client) -> Option<i32> {
    db.query_opt(
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1
             AND ((classid::bigint << 32) | objid::bigint) = $1
             AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        &[&PROJECTOR_LOCK],
    )
    .unwrap()
    .map(|row| row.get(0))
}

fn secret_file(dir: &Path) -> std::path::PathBuf {
    let secret = dir.join("secret");
    std::fs::write(&secret, SECRET).unwrap();
    secret
}

#[test]
fn serve_into_postgres_stores_the_samples_exactly_and_counts_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let secret = secret_file(dir.path());
    let db: Database = cluster().database("samples");
    let (mut server, url) = serve_team(&db.url, &secret, &["--keep-rejections", "3"]);

    let first = dir.path().join("first.ndjson");
    assert!(
        send(&url, &secret, &samples_dir(), &first, 4)
            .wait()
            .unwrap()
            .success()
    );
    let stored = acknowledged(&first);
    assert_eq!(stored.len(), 12, "{stored:?}");
    assert!(stored.iter().all(|(_, status, _)| status == "stored"));

    let mut client = db.client();
    assert_eq!(count(&mut client, "SELECT count(*) FROM events"), 12);
    let ids: HashMap<String, i64> = stored.iter().map(|(n, _, id)| (n.clone(), *id)).collect();
    for (name, bytes) in all_samples() {
        let row = client
            .query_one(
                "SELECT id, body, headers, kind, auth, verified FROM events WHERE id = $1",
                &[&ids[&name]],
            )
            .unwrap();
        let body: Vec<u8> = row.get(1);
        assert!(body == bytes, "{name}: the exact bytes sent");
        let headers: String = row.get(2);
        assert!(
            headers.contains("authorization") || headers.contains("Authorization"),
            "{headers}"
        );
        assert!(!headers.contains("eyJ"), "the JWT is redacted: {headers}");
        assert_eq!(row.get::<_, String>(4), "jwt");
        assert!(row.get::<_, bool>(5), "{name}: verified");
        let kind: String = row.get(3);
        let envelope: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(kind, envelope["event"]["name"].as_str().unwrap());
    }

    // Watson delivers again: each is answered with the first delivery's id, counted, not stored.
    let again = dir.path().join("again.ndjson");
    assert!(
        send(&url, &secret, &samples_dir(), &again, 4)
            .wait()
            .unwrap()
            .success()
    );
    let duplicates = acknowledged(&again);
    assert_eq!(duplicates.len(), 12);
    for (name, status, id) in &duplicates {
        assert_eq!(status, "duplicate", "{name}");
        assert_eq!(*id, ids[name], "{name}: answered with the first id");
    }
    assert_eq!(count(&mut client, "SELECT count(*) FROM events"), 12);
    assert_eq!(
        count(
            &mut client,
            "SELECT sum(duplicates)::bigint FROM event_keys"
        ),
        12
    );

    // The events table is partitioned by month; this month's partition holds them.
    let month = chrono::Utc::now().format("events_%Y_%m").to_string();
    assert_eq!(
        count(&mut client, &format!("SELECT count(*) FROM {month}")),
        12
    );
    assert_eq!(
        count(
            &mut client,
            "SELECT count(*) FROM pg_partitioned_table t JOIN pg_class c ON c.oid = t.partrelid
             WHERE c.relname = 'events'"
        ),
        1
    );

    // Refused requests are kept in PostgreSQL too, with their reason, the newest 3 of each class.
    for n in 0..5 {
        let (status, _) = post(
            &format!("{url}?n={n}"),
            Some("Bearer not-a-jwt"),
            &sample("01"),
        );
        assert_eq!(status, 401);
    }
    let rows = client
        .query(
            "SELECT status, reason, class FROM rejections ORDER BY id",
            &[],
        )
        .unwrap();
    assert_eq!(rows.len(), 3, "the newest 3 kept");
    for row in rows {
        assert_eq!(row.get::<_, i32>(0), 401);
        assert!(!row.get::<_, String>(1).is_empty());
        assert_eq!(row.get::<_, String>(2), "other");
    }

    assert!(terminate(&mut server).success());
}

/// Three receivers on one database, each sent the same deliveries at once; one is killed with
/// SIGKILL mid-load and restarted, and sent everything again. Every acknowledged event is stored,
/// exactly once, under the one id every receiver answered for it.
#[test]
fn three_receivers_store_each_acknowledged_event_once_through_a_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let secret = secret_file(dir.path());
    let db = cluster().database("three");

    // The same 400 deliveries for every receiver: generated once, one file per body.
    let generated = dir.path().join("generated.ndjson");
    let status = logbook()
        .args(["generate", "--events", "400", "--seed", "15", "--output"])
        .arg(&generated)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let bodies = dir.path().join("bodies");
    std::fs::create_dir(&bodies).unwrap();
    let lines: Vec<String> = std::fs::read_to_string(&generated)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(lines.len(), 400);
    // Receiver 1 is sent them in the opposite order (its files are named backwards), so it stores
    // events of its own while the others store theirs, instead of only trailing behind them.
    let backwards = dir.path().join("backwards");
    std::fs::create_dir(&backwards).unwrap();
    let n = lines.len();
    for (i, line) in lines.iter().enumerate() {
        std::fs::write(bodies.join(format!("{i:04}.json")), line).unwrap();
        std::fs::write(backwards.join(format!("{:04}.json", n - 1 - i)), line).unwrap();
    }
    // The line of the generated traffic a load's answer is about.
    let line_of = |load: &str, file: &str| -> usize {
        let i: usize = file.trim_end_matches(".json").parse().unwrap();
        if load.starts_with("r1") { n - 1 - i } else { i }
    };

    let mut servers: Vec<(Child, String)> =
        (0..3).map(|_| serve_team(&db.url, &secret, &[])).collect();
    let answers = |name: &str| dir.path().join(format!("{name}.ndjson"));
    let mut loads: Vec<Child> = servers
        .iter()
        .enumerate()
        // Each receiver's load posts to a path of its own, which the events it stores record.
        .map(|(i, (_, url))| {
            let url = format!("{url}r{i}");
            let dir = if i == 1 { &backwards } else { &bodies };
            send(&url, &secret, dir, &answers(&format!("r{i}")), 6)
        })
        .collect();

    // Kill receiver 1 mid-load, once it has stored some.
    let mut client = db.client();
    let waited = std::time::Instant::now();
    while count(
        &mut client,
        "SELECT count(*) FROM events WHERE path = '/r1'",
    ) < 20
    {
        assert!(
            waited.elapsed() < Duration::from_secs(60),
            "receiver 1 stored nothing"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    servers[1].0.kill().unwrap(); // SIGKILL: no clean shutdown
    servers[1].0.wait().unwrap();
    let _ = loads[1].wait();
    let before_kill = acknowledged(&answers("r1")).len();
    assert!(
        before_kill > 0 && before_kill < lines.len(),
        "the kill came mid-load ({before_kill} answered)"
    );

    // Restarted, it is sent everything again.
    servers[1] = serve_team(&db.url, &secret, &[]);
    loads.push(send(
        &servers[1].1,
        &secret,
        &backwards,
        &answers("r1-again"),
        6,
    ));
    for load in &mut loads {
        let _ = load.wait();
    }

    let mut by_line: HashMap<usize, HashSet<i64>> = HashMap::new();
    let mut stored_answers: HashMap<usize, usize> = HashMap::new();
    for name in ["r0", "r1", "r2", "r1-again"] {
        let acks = acknowledged(&answers(name));
        if name != "r1" {
            assert_eq!(
                acks.len(),
                lines.len(),
                "{name}: every delivery answered 200"
            );
        }
        for (file, status, id) in acks {
            let line = line_of(name, &file);
            *stored_answers.entry(line).or_default() += usize::from(status == "stored");
            by_line.entry(line).or_default().insert(id);
        }
    }
    let split: Vec<_> = by_line.iter().filter(|(_, ids)| ids.len() > 1).collect();
    assert!(split.is_empty(), "one delivery, several ids: {split:?}");
    assert_eq!(by_line.len(), lines.len());
    // An event receiver 1 committed but was killed before answering is answered "duplicate" by the
    // next receiver: "stored" at most once per event, not exactly once.
    let twice: Vec<_> = stored_answers.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "answered stored twice: {twice:?}");

    assert_eq!(count(&mut client, "SELECT count(*) FROM events"), 400);
    assert_eq!(count(&mut client, "SELECT count(*) FROM event_keys"), 400);
    assert_eq!(
        count(
            &mut client,
            "SELECT count(*) FROM events e JOIN event_keys k ON k.event_id = e.id AND k.dedup_key = e.dedup_key"
        ),
        400
    );
    for (line, ids) in &by_line {
        let id = *ids.iter().next().unwrap();
        let stored: Vec<u8> = client
            .query_one("SELECT body FROM events WHERE id = $1", &[&id])
            .unwrap()
            .get(0);
        assert!(
            stored == lines[*line].as_bytes(),
            "line {line}: stored under #{id} byte for byte"
        );
    }
    // Every delivery beyond the first of each event was counted as a duplicate: every one answered,
    // and perhaps some of the 6 in flight at receiver 1 when it was killed (committed, not answered).
    let deliveries: usize = ["r0", "r1", "r2", "r1-again"]
        .iter()
        .map(|n| acknowledged(&answers(n)).len())
        .sum();
    let counted = count(
        &mut client,
        "SELECT sum(duplicates)::bigint FROM event_keys",
    ) as usize;
    let answered_duplicates = deliveries - lines.len();
    assert!(
        (answered_duplicates..=answered_duplicates + 6).contains(&counted),
        "{counted} duplicates counted, {answered_duplicates} answered"
    );

    // And each is projected exactly once, whichever receivers projected it (the killed one may
    // have been projecting: another took over).
    wait_projected(&mut client);
    assert_projected_exactly_once(&mut client);
    assert!(count(&mut client, "SELECT count(*) FROM messages") > 0);
    assert!(count(&mut client, "SELECT count(*) FROM calls") > 0);

    for (server, _) in &mut servers {
        assert!(terminate(server).success());
    }
}

/// What `serve --store` says, and how it exits, for a store it cannot use.
fn refused(url: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let secret = secret_file(dir.path());
    let out = logbook()
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--no-ui",
            "--store",
            url,
        ])
        .arg("--secret-file")
        .arg(&secret)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("Ctrl-C stops"),
        "it never says it is receiving"
    );
    stderr
}

#[test]
fn a_store_that_cannot_be_used_is_a_clear_error_at_startup() {
    // A database that does not exist, on a server that does.
    let missing = cluster().url("no_such_database");
    let err = refused(&missing);
    assert!(err.contains("cannot connect to PostgreSQL at"), "{err}");
    assert!(
        err.contains("no_such_database") && err.contains("does not exist"),
        "{err}"
    );

    // Nothing listening there; the password is never shown.
    let err = refused("postgres://logbook:s3cret@127.0.0.1:1/team?connect_timeout=5");
    assert!(
        err.contains("cannot connect to PostgreSQL at logbook@127.0.0.1:1/team"),
        "{err}"
    );
    assert!(!err.contains("s3cret"), "{err}");

    let err = refused("postgres://logbook:s3cret@db.example.com/team?sslmode=sometimes");
    assert!(err.contains("not a valid PostgreSQL URL"), "{err}");
    assert!(!err.contains("s3cret"), "{err}");

    let err = refused("/var/lib/logbook/logbook.db");
    assert!(err.contains("takes a PostgreSQL URL"), "{err}");
}

fn event(key: &str, received_at: i64) -> NewEvent {
    NewEvent {
        received_at,
        endpoint: "*".into(),
        path: "/".into(),
        remote_addr: None,
        kind: "message_logged".into(),
        auth: "none".into(),
        verified: false,
        jwt_header: None,
        jwt_claims: None,
        headers: "[]".into(),
        authorization: None,
        body: format!(r#"{{"event":{{"name":"message_logged"}},"payload":{{"log_id":"{key}"}}}}"#)
            .into_bytes(),
        dedup_key: key.into(),
        replay_of: None,
    }
}

/// The store itself: opened by several processes' worth of stores at once on an empty database; a
/// write the database refuses fails alone, the rest of its group is stored; partitions are made
/// for any month; a lost connection is answered "try again" and the next write reconnects.
#[test]
fn the_postgres_store_fails_a_bad_write_alone_and_reconnects() {
    let db = cluster().database("store");
    let url = db.url.clone();
    let stores: Vec<PgStore> = (0..3)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || PgStore::open(&url, &StoreOptions::default()))
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|t| t.join().unwrap().unwrap())
        .collect();
    let mut client = db.client();
    assert_eq!(
        count(
            &mut client,
            "SELECT count(DISTINCT version) FROM logbook_schema"
        ),
        count(&mut client, "SELECT count(*) FROM logbook_schema"),
        "each version is applied once"
    );
    assert_eq!(
        count(
            &mut client,
            "SELECT max(version)::bigint FROM logbook_schema"
        ),
        2
    );

    let now = chrono::Utc::now().timestamp_millis();
    let store = &stores[0];
    let outcomes: Vec<(usize, Result<Outcome, String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..40)
            .map(|i| {
                scope.spawn(move || {
                    // One write no partition can hold: refused, alone.
                    let at = if i == 17 { i64::MAX } else { now };
                    let outcome = store.submit_event(event(&format!("group-{i}"), at));
                    (i, outcome.map_err(|e| e.to_string()))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (i, outcome) in &outcomes {
        if *i == 17 {
            let err = outcome.as_ref().unwrap_err();
            assert!(err.contains("partition"), "{err}");
        } else {
            assert!(
                matches!(outcome, Ok(Outcome::Stored(_))),
                "{i}: {outcome:?}"
            );
        }
    }
    assert_eq!(
        count(
            &mut client,
            "SELECT count(*) FROM events WHERE dedup_key LIKE 'group-%'"
        ),
        39
    );

    // The same delivery through another process's store: the first id.
    let Ok(Outcome::Stored(first)) = store.submit_event(event("shared", now)) else {
        panic!("stored")
    };
    assert_eq!(
        stores[2].submit_event(event("shared", now)).unwrap(),
        Outcome::Duplicate(first)
    );

    // A month far ahead gets its partition (and the next month's) when an event needs it.
    let march_2031 = chrono::DateTime::parse_from_rfc3339("2031-03-15T12:00:00Z")
        .unwrap()
        .timestamp_millis();
    assert!(matches!(
        store.submit_event(event("later", march_2031)),
        Ok(Outcome::Stored(_))
    ));
    assert_eq!(
        count(
            &mut client,
            "SELECT count(*) FROM pg_tables WHERE tablename IN ('events_2031_03', 'events_2031_04')"
        ),
        2
    );

    // U+0000, which PostgreSQL's text cannot hold, from a hostile body's event name and log id.
    let mut hostile = event("nul\0key", now);
    hostile.kind = "message\0logged".into();
    let Ok(Outcome::Stored(id)) = store.submit_event(hostile.clone()) else {
        panic!("a NUL in a text column is stored")
    };
    let kind: String = client
        .query_one("SELECT kind FROM events WHERE id = $1", &[&id])
        .unwrap()
        .get(0);
    assert_eq!(kind, "message\u{FFFD}logged");
    assert_eq!(store.submit_event(hostile).unwrap(), Outcome::Duplicate(id));

    // The server drops the connections (a restart, a failover): answered "later", then reconnected.
    client
        .execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = $1 AND application_name = 'logbook serve'",
            &[&db.name],
        )
        .unwrap();
    let mut answers = Vec::new();
    for i in 0..5 {
        let outcome = store.submit_event(event(&format!("after-{i}"), now));
        let stored = matches!(outcome, Ok(Outcome::Stored(_)));
        match &outcome {
            Ok(Outcome::Stored(_)) => {}
            Err(err) => assert!(err.is_transient(), "{err}"),
            Ok(other) => panic!("{other:?}"),
        }
        answers.push(outcome);
        if stored {
            break;
        }
    }
    assert!(
        matches!(answers.last(), Some(Ok(Outcome::Stored(_)))),
        "{answers:?}"
    );
    for store in stores {
        store.close().unwrap();
    }
}

/// Over TCP, as to a team's server: the password in the URL is used (and never shown), TLS is used
/// when asked and the server's certificate is verified (a self-signed one is refused, saying what to
/// do), and without TLS on a trusted network it receives.
#[test]
fn over_tcp_passwords_are_used_and_tls_certificates_are_verified() {
    let db = cluster().database("tcp");

    let err = refused(&cluster().tcp_url(&db.name, PASSWORD, "require"));
    assert!(err.contains("certificate verify failed"), "{err}");
    assert!(err.contains("trusted roots"), "{err}");
    assert!(!err.contains(PASSWORD), "{err}");
    // The default, `prefer`, uses TLS when the server offers it: verified too.
    let err = refused(&cluster().tcp_url(&db.name, PASSWORD, "prefer"));
    assert!(err.contains("certificate verify failed"), "{err}");

    let err = refused(&cluster().tcp_url(&db.name, "wrong-password", "disable"));
    assert!(err.contains("password authentication failed"), "{err}");
    assert!(!err.contains("wrong-password"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let secret = secret_file(dir.path());
    let (mut server, url) = serve_team(
        &cluster().tcp_url(&db.name, PASSWORD, "disable"),
        &secret,
        &[],
    );
    let (status, answer) = post(&url, Some(&format!("Bearer {}", jwt())), &sample("07"));
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["status"], "stored");
    let body: Vec<u8> = db
        .client()
        .query_one("SELECT body FROM events", &[])
        .unwrap()
        .get(0);
    assert!(body == sample("07"));
    assert!(terminate(&mut server).success());
}

/// A `message_logged` event with log id `log_id`, keyed as the receiver keys it.
fn message(log_id: &str, received_at: i64) -> NewEvent {
    NewEvent {
        dedup_key: format!("message:{log_id}"),
        ..event(log_id, received_at)
    }
}

/// Ids commit out of order: an event whose id is lower than one already projected commits after
/// it (a receiver's transaction took its id, then was slow to commit). It is projected, once, and
/// events committed while it was open wait for it rather than being skipped or projected twice.
#[test]
fn an_event_committed_after_a_higher_id_was_projected_is_projected_once() {
    let db = cluster().database("late");
    let store = PgStore::open(&db.url, &StoreOptions::default()).unwrap();
    let mut client = db.client();
    let now = chrono::Utc::now().timestamp_millis();

    // The late transaction's id is taken first, as a receiver's is at the start of its transaction.
    let late_id: i64 = client
        .query_one("SELECT nextval('events_id_seq')", &[])
        .unwrap()
        .get(0);
    let Ok(Outcome::Stored(earlier_id)) = store.submit_event(message("earlier", now)) else {
        panic!("stored")
    };
    assert!(earlier_id > late_id);
    wait_projected(&mut client);
    assert_eq!(count(&mut client, "SELECT count(*) FROM messages"), 1);

    // Now it writes its event (the lower id), and stays open.
    let mut late = db.client();
    let mut open = late.transaction().unwrap();
    open.execute(
        "INSERT INTO event_keys (dedup_key, event_id, received_at) VALUES ($1, $2, $3)",
        &[&"message:late", &late_id, &now],
    )
    .unwrap();
    let body = message("late", now).body;
    open.execute(
        "INSERT INTO events (id, received_at, endpoint, path, kind, auth, verified, headers, body,
             dedup_key)
         VALUES ($1, $2, '*', '/', 'message_logged', 'none', false, '[]', $3, 'message:late')",
        &[&late_id, &now, &body],
    )
    .unwrap();
    // Meanwhile a receiver commits another event: stored, visible, and held back while the late
    // transaction is open (projecting it now would put the position past the late event).
    let Ok(Outcome::Stored(after_id)) = store.submit_event(message("after", now)) else {
        panic!("stored")
    };
    assert!(after_id > earlier_id);
    std::thread::sleep(Duration::from_secs(1)); // ten turns of an idle projector
    assert_eq!(
        count(&mut client, "SELECT count(*) FROM events"),
        2,
        "the late event is not visible yet"
    );
    assert_eq!(
        count(&mut client, "SELECT count(*) FROM messages"),
        1,
        "the event after the open transaction waits for it"
    );

    open.commit().unwrap();
    wait_projected(&mut client);
    assert_projected_exactly_once(&mut client);
    let projected: Vec<(i64, String)> = client
        .query(
            "SELECT event_id, log_id FROM messages ORDER BY event_id",
            &[],
        )
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    assert_eq!(
        projected,
        [
            (late_id, "late".to_owned()),
            (earlier_id, "earlier".to_owned()),
            (after_id, "after".to_owned())
        ]
    );
    store.close().unwrap();
}

/// `logbook generate` traffic: `n` events, one file per body in a new directory `name`.
fn generated(dir: &Path, name: &str, n: usize, seed: u64) -> std::path::PathBuf {
    let file = dir.join(format!("{name}.ndjson"));
    let status = logbook()
        .args([
            "generate",
            "--events",
            &n.to_string(),
            "--seed",
            &seed.to_string(),
        ])
        .arg("--output")
        .arg(&file)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let bodies = dir.join(name);
    std::fs::create_dir(&bodies).unwrap();
    for (i, line) in std::fs::read_to_string(&file).unwrap().lines().enumerate() {
        std::fs::write(bodies.join(format!("{i:04}.json")), line).unwrap();
    }
    bodies
}

/// One projector at a time: a second instance waits while the first projects, and takes over
/// when the first is killed (its session ends, and the lock with it), projecting from where the
/// first stopped.
#[test]
fn another_instance_takes_over_projection_when_the_projecting_one_is_killed() {
    let dir = tempfile::tempdir().unwrap();
    let secret = secret_file(dir.path());
    let db = cluster().database("takeover");
    let mut client = db.client();

    let (mut first, first_url) = serve_team(&db.url, &secret, &[]);
    let answers = dir.path().join("first.ndjson");
    let before = generated(dir.path(), "before", 60, 1);
    assert!(
        send(&first_url, &secret, &before, &answers, 4)
            .wait()
            .unwrap()
            .success()
    );
    assert_eq!(acknowledged(&answers).len(), 60);
    wait_projected(&mut client);
    let holder = projector_holder(&mut client).expect("the first instance projects");

    let (mut second, second_url) = serve_team(&db.url, &secret, &[]);
    // The second instance's projector is up, waiting for the lock, and has not taken it.
    let waited = std::time::Instant::now();
    while count(
        &mut client,
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'logbook projector'
             AND datname = current_database()",
    ) < 2
    {
        assert!(
            waited.elapsed() < Duration::from_secs(30),
            "no second projector"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(projector_holder(&mut client), Some(holder));

    first.kill().unwrap(); // SIGKILL: the lock goes with its session
    first.wait().unwrap();
    let waited = std::time::Instant::now();
    let taken = loop {
        match projector_holder(&mut client) {
            Some(pid) if pid != holder => break pid,
            _ => {
                assert!(
                    waited.elapsed() < Duration::from_secs(30),
                    "nobody took over"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    };
    assert_ne!(taken, holder);

    let answers = dir.path().join("second.ndjson");
    let after = generated(dir.path(), "after", 60, 2);
    assert!(
        send(&second_url, &secret, &after, &answers, 4)
            .wait()
            .unwrap()
            .success()
    );
    assert_eq!(
        acknowledged(&answers)
            .iter()
            .filter(|(_, status, _)| status == "stored")
            .count(),
        60
    );
    wait_projected(&mut client);
    assert_eq!(count(&mut client, "SELECT count(*) FROM events"), 120);
    assert_projected_exactly_once(&mut client);

    // `stats --store` reads the same figures, and the projector that is running.
    let out = logbook()
        .args(["stats", "--format", "json", "--store", &db.url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stats: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(stats["events"], 120);
    assert_eq!(
        stats["messages"],
        count(&mut client, "SELECT count(*) FROM messages")
    );
    assert_eq!(
        stats["calls"],
        count(&mut client, "SELECT count(*) FROM calls")
    );
    assert_eq!(stats["projection_lag"], 0);
    assert_eq!(stats["projecting"], true);
    let out = logbook()
        .args(["stats", "--store", &db.url])
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("every event (deriver v"), "{table}");
    assert!(table.contains("running; last batch"), "{table}");
    assert!(terminate(&mut second).success());

    // With no receiver running, the figures stay and the projector is said to be missing.
    let out = logbook()
        .args(["stats", "--store", &db.url])
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("none running"), "{table}");

    // A database without a Logbook store is named, not counted as empty.
    let empty = cluster().database("nostore");
    let out = logbook()
        .args(["stats", "--store", &empty.url])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("holds no Logbook store"), "{err}");
}
