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
use logbook_core::store::{NewEvent, NewRejection, Outcome, PgStore, StoreOptions};
use serde_json::Value;

use crate::common::*;
use crate::harness_postgres::{Database, PASSWORD, cluster};

/// `logbook serve --store URL` on a free port, without UI (plus `extra`); returns it and its webhook
/// URL.
pub(crate) fn serve_team(url: &str, secret: &Path, extra: &[&str]) -> (Served, String) {
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
    (Served(child), endpoint)
}

/// A `serve` process of a test, killed if the test ends without stopping it (a failed assertion):
/// otherwise it would outlive the test, and its cluster, trying to reconnect for ever.
pub(crate) struct Served(pub(crate) Child);

impl std::ops::Deref for Served {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for Served {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// `logbook send` of every body in `bodies` (a file or a directory) to `url`, `concurrency` at a
/// time, answers logged to `answers`.
pub(crate) fn send(
    url: &str,
    secret: &Path,
    bodies: &Path,
    answers: &Path,
    concurrency: usize,
) -> Child {
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

/// Sends the twelve samples (4 at a time), logging the answers to `answers`; `send` must succeed.
/// The answers that were 200s, as [`acknowledged`] reads them.
fn send_samples(url: &str, secret: &Path, answers: &Path) -> Vec<(String, String, i64)> {
    assert!(
        send(url, secret, &samples_dir(), answers, 4)
            .wait()
            .unwrap()
            .success()
    );
    acknowledged(answers)
}

/// The answers of a `--log-answers` file that were 200: (body file name, status word, event id).
pub(crate) fn acknowledged(answers: &Path) -> Vec<(String, String, i64)> {
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

pub(crate) fn count(db: &mut postgres::Client, sql: &str) -> i64 {
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
pub(crate) fn wait_projected(db: &mut postgres::Client) {
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
/// id), a call row for each call event (under its session id), nothing for any other event, the
/// projector counted each event once, and the Trends rollups count each call and message once.
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
    crate::rollup::assert_rollups_hold_every_row(db);
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

pub(crate) fn secret_file(dir: &Path) -> std::path::PathBuf {
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
    let stored = send_samples(&url, &secret, &first);
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
    let duplicates = send_samples(&url, &secret, &again);
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

    let mut servers: Vec<(Served, String)> =
        (0..3).map(|_| serve_team(&db.url, &secret, &[])).collect();
    let answers = |name: &str| dir.path().join(format!("{name}.ndjson"));
    // Each receiver's load posts to a path of its own, which the events it stores record.
    let load = |i: usize| {
        let url = format!("{}r{i}", servers[i].1);
        let dir = if i == 1 { &backwards } else { &bodies };
        send(&url, &secret, dir, &answers(&format!("r{i}")), 6)
    };
    // Receiver 1's load starts first and the others once it has stored its first event: started
    // together on a loaded machine, the other two could store all 400 before receiver 1 stored
    // any, and there would be nothing of its own to kill it in the middle of.
    let mut client = db.client();
    let first = load(1);
    eventually("receiver 1's first event", || {
        count(
            &mut client,
            "SELECT count(*) FROM events WHERE path = '/r1'",
        ) > 0
    });
    let mut loads: Vec<Child> = vec![load(0), first, load(2)];

    // Kill receiver 1 mid-load, once it has stored some.
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
    let body = format!(r#"{{"event":{{"name":"message_logged"}},"payload":{{"log_id":"{key}"}}}}"#);
    unsigned(
        body.into_bytes(),
        "message_logged".into(),
        key.into(),
        received_at,
        "*",
    )
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
        7
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

/// The live stream on PostgreSQL, where ids commit out of order: an event whose id is lower than
/// one a client was already sent commits late. It is sent, once, and the event committed while it
/// was open waits for it, rather than moving the client past it for good.
#[test]
fn the_live_stream_sends_an_event_that_committed_after_a_higher_id() {
    let db = cluster().database("live_late");
    let store = PgStore::open(&db.url, &StoreOptions::default()).unwrap();
    let reader = logbook_core::query::PgReader::connect(&db.url).unwrap();
    let ids_after = |event_id: i64| -> Vec<i64> {
        let (rows, more) = logbook_core::query::live::since(&reader, event_id, 0, 100).unwrap();
        assert!(!more);
        rows.iter().map(|row| row.id).collect()
    };
    let now = chrono::Utc::now().timestamp_millis();

    let late_id: i64 = db
        .client()
        .query_one("SELECT nextval('events_id_seq')", &[])
        .unwrap()
        .get(0);
    let Ok(Outcome::Stored(earlier_id)) = store.submit_event(message("earlier", now)) else {
        panic!("stored")
    };
    // Sent once every transaction begun before its own has ended (the projector's are short).
    eventually("the first event", || ids_after(0) == [earlier_id]);

    let mut late = db.client();
    let mut open = late.transaction().unwrap();
    open.execute(
        "INSERT INTO events (id, received_at, endpoint, path, kind, auth, verified, headers, body,
             dedup_key)
         VALUES ($1, $2, '*', '/', 'message_logged', 'none', false, '[]', $3, 'message:late')",
        &[&late_id, &now, &message("late", now).body],
    )
    .unwrap();
    let Ok(Outcome::Stored(after_id)) = store.submit_event(message("after", now)) else {
        panic!("stored")
    };
    assert!(late_id < earlier_id && earlier_id < after_id);
    assert_eq!(
        ids_after(earlier_id),
        [0i64; 0],
        "an event committed while an older transaction is open waits for it"
    );
    // A view opened now, "from now on", starts after the last event of that order, not after the
    // highest id: the late event is sent to it too.
    let now = logbook_service::live::now((&reader).into()).unwrap();
    assert_eq!(now.last_event_id, earlier_id);

    open.commit().unwrap();
    eventually("the late event", || {
        ids_after(earlier_id) == [late_id, after_id]
    });
    assert_eq!(ids_after(late_id), [after_id]);
    assert_eq!(ids_after(after_id), [0i64; 0], "nothing is sent twice");
    assert_eq!(ids_after(0), [earlier_id, late_id, after_id]);
    drop(reader);
    store.close().unwrap();
}

/// The same for refused requests: one whose id is lower than one a client was already sent, but
/// committed late, is sent, once.
#[test]
fn the_live_stream_sends_a_refused_request_that_committed_after_a_higher_id() {
    let db = cluster().database("live_late_refused");
    let store = PgStore::open(&db.url, &StoreOptions::default()).unwrap();
    let reader = logbook_core::query::PgReader::connect(&db.url).unwrap();
    let refused_after = |rejection_id: i64| -> Vec<i64> {
        let (rows, _) = logbook_core::query::live::since(&reader, 0, rejection_id, 100).unwrap();
        assert!(rows.iter().all(|row| row.source == "rejected"));
        rows.iter().map(|row| row.id).collect()
    };
    let now = chrono::Utc::now().timestamp_millis();
    let refusal = |reason: &str| NewRejection {
        received_at: now,
        endpoint: None,
        path: "/".into(),
        method: "POST".into(),
        remote_addr: None,
        status: 401,
        reason: reason.into(),
        headers: "[]".into(),
        jwt_header: None,
        jwt_claims: None,
        body: Vec::new(),
        body_bytes: None,
    };
    let mut client = db.client();
    let id_of = |client: &mut postgres::Client, reason: &str| -> i64 {
        client
            .query_one("SELECT id FROM rejections WHERE reason = $1", &[&reason])
            .unwrap()
            .get(0)
    };

    let late_id: i64 = client
        .query_one("SELECT nextval('rejections_id_seq')", &[])
        .unwrap()
        .get(0);
    store.submit_rejection(refusal("earlier")).unwrap();
    let earlier_id = id_of(&mut client, "earlier");
    eventually("the first refusal", || refused_after(0) == [earlier_id]);

    let mut late = db.client();
    let mut open = late.transaction().unwrap();
    open.execute(
        "INSERT INTO rejections (id, received_at, path, method, status, reason, headers, body, class)
         VALUES ($1, $2, '/', 'POST', 401, 'late', '[]', ''::bytea, 'other')",
        &[&late_id, &now],
    )
    .unwrap();
    store.submit_rejection(refusal("after")).unwrap();
    let after_id = id_of(&mut client, "after");
    assert!(late_id < earlier_id && earlier_id < after_id);
    assert_eq!(
        refused_after(earlier_id),
        [0i64; 0],
        "a refusal committed while an older transaction is open waits for it"
    );

    open.commit().unwrap();
    eventually("the late refusal", || {
        refused_after(earlier_id) == [late_id, after_id]
    });
    assert_eq!(refused_after(after_id), [0i64; 0], "nothing is sent twice");
    drop(reader);
    store.close().unwrap();
}

/// A reading process is woken when any receiver stores something (`NOTIFY` at commit, a
/// `LISTEN`ing thread): a live view then shows another instance's events at once, not at its next
/// poll.
#[test]
fn a_listener_is_woken_by_another_receivers_commit() {
    use logbook_core::store::postgres::notify::Listener;
    use std::sync::mpsc::RecvTimeoutError;

    let db = cluster().database("listen");
    let store = PgStore::open(&db.url, &StoreOptions::default()).unwrap();
    let listener = Listener::start(&db.url).unwrap();
    let woken = listener.subscribe();
    // Connecting wakes it once (what was sent before it listened is lost), then it is quiet.
    woken.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(
        woken.recv_timeout(Duration::from_millis(300)),
        Err(RecvTimeoutError::Timeout),
        "nothing was stored"
    );
    let Ok(Outcome::Stored(_)) =
        store.submit_event(message("woken", chrono::Utc::now().timestamp_millis()))
    else {
        panic!("stored")
    };
    woken
        .recv_timeout(Duration::from_secs(10))
        .expect("the commit wakes the listener");
    drop(listener);
    store.close().unwrap();
}

/// `logbook generate` traffic: `n` events, one file per body in a new directory `name`.
pub(crate) fn generated(dir: &Path, name: &str, n: usize, seed: u64) -> std::path::PathBuf {
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
    // Trends read through the rollups kept across the kill give the figures of the rows.
    let reader = logbook_core::query::PgReader::connect(&db.url).unwrap();
    crate::rollup::assert_trends_exact((&reader).into(), chrono::Utc::now());

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

fn at(time: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(time)
        .unwrap()
        .timestamp_millis()
}

fn tables(db: &mut postgres::Client, pattern: &str) -> Vec<String> {
    db.query(
        "SELECT tablename::text FROM pg_tables WHERE tablename LIKE $1 ORDER BY 1",
        &[&pattern],
    )
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect()
}

/// Retention on PostgreSQL drops whole months: a month whose every event is older than the age goes,
/// with the dedup keys of its events (a later delivery of one is stored again), a month only partly
/// past the age is kept whole, one receiver's pass runs at a time, and `serve --keep-days` runs it.
#[test]
fn retention_drops_whole_months_past_the_age_with_their_dedup_keys() {
    let db = cluster().database("retention");
    let mut client = db.client();
    let store = PgStore::open(&db.url, &StoreOptions::default()).unwrap();
    let deliveries = [
        ("jan-a", "2025-01-05T10:00:00Z"),
        ("jan-b", "2025-01-31T23:59:59.999Z"),
        ("feb-a", "2025-02-01T00:00:00Z"),
        ("feb-b", "2025-02-20T08:00:00Z"),
        ("mar-a", "2025-03-10T12:00:00Z"),
    ];
    let mut ids = HashMap::new();
    for (key, time) in deliveries {
        let Ok(Outcome::Stored(id)) = store.submit_event(event(key, at(time))) else {
            panic!("{key} stored")
        };
        ids.insert(key, id);
    }
    let now = chrono::Utc::now().timestamp_millis();
    let Ok(Outcome::Stored(recent)) = store.submit_event(event("recent", now)) else {
        panic!("stored")
    };
    // The last millisecond of January is January's; each month's partition and the next exist.
    assert_eq!(count(&mut client, "SELECT count(*) FROM events_2025_01"), 2);
    assert_eq!(
        tables(&mut client, "events_2025_%"),
        [
            "events_2025_01",
            "events_2025_02",
            "events_2025_03",
            "events_2025_04"
        ]
    );
    // Refused requests, one old, one recent.
    for received_at in [at("2025-01-10T00:00:00Z"), now] {
        client
            .execute(
                "INSERT INTO rejections (received_at, path, method, status, reason, headers, body, class)
                 VALUES ($1, '/', 'POST', 401, 'bad token', '[]', '', 'other')",
                &[&received_at],
            )
            .unwrap();
    }

    wait_projected(&mut client);
    assert_eq!(count(&mut client, "SELECT count(*) FROM messages"), 6);

    // Keep 30 days on 2025-03-20: the cut-off, 2025-02-18, is inside February. January ended
    // before it and goes whole; February is kept whole, its first event (older than the cut-off)
    // with it, until all of February is past the age.
    let expired = store
        .expire_before(at("2025-02-18T00:00:00Z"))
        .unwrap()
        .expect("no other pass running");
    assert_eq!(expired.months, [("events_2025_01".to_owned(), 2)]);
    assert_eq!(expired.rejections, 1);
    assert_eq!(
        tables(&mut client, "events_2025_%"),
        ["events_2025_02", "events_2025_03", "events_2025_04"]
    );
    let keys: Vec<String> = client
        .query("SELECT dedup_key FROM event_keys ORDER BY dedup_key", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(keys, ["feb-a", "feb-b", "mar-a", "recent"]);
    assert_eq!(count(&mut client, "SELECT count(*) FROM events"), 4);
    assert_eq!(count(&mut client, "SELECT count(*) FROM rejections"), 1);
    let logged = client
        .query_one(
            "SELECT partition, events, first_id, last_id FROM retention_log",
            &[],
        )
        .unwrap();
    assert_eq!(logged.get::<_, String>(0), "events_2025_01");
    assert_eq!(logged.get::<_, i64>(1), 2);
    assert_eq!(
        (logged.get::<_, i64>(2), logged.get::<_, i64>(3)),
        (ids["jan-a"], ids["jan-b"])
    );
    // The projector takes the dropped events' derived rows out, and nothing else.
    let waited = std::time::Instant::now();
    while count(
        &mut client,
        "SELECT retention_through FROM projection_state",
    ) < 1
    {
        assert!(
            waited.elapsed() < Duration::from_secs(30),
            "retention not applied"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let left: Vec<String> = client
        .query("SELECT log_id FROM messages ORDER BY log_id", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(left, ["feb-a", "feb-b", "mar-a", "recent"]);

    // A dropped event delivered again is stored anew (its key went with it); a kept one is a
    // duplicate still.
    match store.submit_event(event("jan-a", now)).unwrap() {
        Outcome::Stored(id) => assert_ne!(id, ids["jan-a"]),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        store
            .submit_event(event("feb-a", at("2025-02-01T00:00:00Z")))
            .unwrap(),
        Outcome::Duplicate(ids["feb-a"])
    );

    // Nothing more to drop at the same cut-off; a cut-off at February's very end drops it.
    let again = store
        .expire_before(at("2025-02-18T00:00:00Z"))
        .unwrap()
        .unwrap();
    assert!(again.months.is_empty(), "{again:?}");
    let expired = store
        .expire_before(at("2025-03-01T00:00:00Z"))
        .unwrap()
        .unwrap();
    assert_eq!(expired.months, [("events_2025_02".to_owned(), 2)]);

    // Only one pass at a time: while another session holds the lock, a pass does nothing.
    client
        .execute(
            "SELECT pg_advisory_lock($1)",
            &[&logbook_core::store::postgres::RETENTION_LOCK],
        )
        .unwrap();
    assert_eq!(
        store.expire_before(at("2025-04-01T00:00:00Z")).unwrap(),
        None
    );
    assert_eq!(
        tables(&mut client, "events_2025_%"),
        ["events_2025_03", "events_2025_04"]
    );
    client
        .execute(
            "SELECT pg_advisory_unlock($1)",
            &[&logbook_core::store::postgres::RETENTION_LOCK],
        )
        .unwrap();

    // A cut-off in the future is refused by the database itself, whoever asks.
    let err = store
        .expire_before(now + 86_400_000)
        .unwrap_err()
        .to_string();
    assert!(err.contains("must be in the past"), "{err}");
    store.close().unwrap();

    // `serve --keep-days` runs a pass at start-up: March and April 2025 are long past 30 days;
    // this month (and the next, made ahead) stay, with the recent event.
    let dir = tempfile::tempdir().unwrap();
    let secret = secret_file(dir.path());
    let (mut server, _) = serve_team(&db.url, &secret, &["--keep-days", "30"]);
    let waited = std::time::Instant::now();
    while !tables(&mut client, "events_2025_%").is_empty() {
        assert!(
            waited.elapsed() < Duration::from_secs(30),
            "serve --keep-days dropped nothing"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let this_month = chrono::Utc::now().format("events_%Y_%m").to_string();
    assert!(tables(&mut client, "events_%").contains(&this_month));
    let kept: Vec<i64> = client
        .query("SELECT id FROM events ORDER BY id", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(kept.len(), 2, "{kept:?}");
    assert_eq!(kept[0], recent);
    assert_eq!(count(&mut client, "SELECT count(*) FROM retention_log"), 4);
    assert!(terminate(&mut server).success());
}

/// `logbook team roles` with `args`: (success, stdout, stderr).
pub(crate) fn team_roles(args: &[&str]) -> (bool, String, String) {
    let out = logbook()
        .args(["team", "roles"])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The SQLSTATE `sql` fails with, run by `db`; panics when it succeeds.
fn refused_sql(db: &mut postgres::Client, sql: &str) -> String {
    match db.batch_execute(sql) {
        Ok(()) => panic!("allowed: {sql}"),
        Err(err) => err.code().map(|c| c.code().to_owned()).unwrap_or_default(),
    }
}

const INSUFFICIENT_PRIVILEGE: &str = "42501";
const READ_ONLY_TRANSACTION: &str = "25006";

/// Least-privilege roles: `logbook team roles` prints the GRANTs, `--apply` runs them; a receiver
/// connected with the receiver's role stores, deduplicates and keeps refused requests, yet cannot
/// read a body; the reader's role reads everything, also partitions made after the grant, and can
/// change nothing.
#[test]
fn a_receiver_role_stores_without_reading_and_a_reader_role_only_reads() {
    let db = cluster().database("roles");
    let receiver = format!("{}_receiver", db.name);
    let reader = format!("{}_reader", db.name);
    let mut admin = db.client();

    // The roles must exist first: the command says how to make them.
    let (ok, _, err) = team_roles(&["--store", &db.url, "--receiver", &receiver]);
    assert!(!ok);
    assert!(
        err.contains(&format!("there is no role \"{receiver}\"")) && err.contains("CREATE ROLE"),
        "{err}"
    );
    admin
        .batch_execute(&format!(
            "CREATE ROLE \"{receiver}\" LOGIN; CREATE ROLE \"{reader}\" LOGIN;"
        ))
        .unwrap();

    // Printed only: nothing changes, and the receiver's role cannot make the tables itself.
    let (ok, printed, _) = team_roles(&[
        "--store",
        &db.url,
        "--receiver",
        &receiver,
        "--reader",
        &reader,
    ]);
    assert!(ok);
    assert!(
        printed.contains(&format!(
            "GRANT INSERT ON \"public\".events TO \"{receiver}\";"
        )),
        "{printed}"
    );
    assert!(
        printed.contains(&format!(
            "GRANT SELECT ON ALL TABLES IN SCHEMA \"public\" TO \"{reader}\";"
        )),
        "{printed}"
    );
    let err = refused(&cluster().url_as(&receiver, &db.name));
    assert!(err.contains("permission denied"), "{err}");
    assert!(err.contains("logbook team roles --apply"), "{err}");

    let (ok, applied, err) = team_roles(&[
        "--store",
        &db.url,
        "--receiver",
        &receiver,
        "--reader",
        &reader,
        "--apply",
    ]);
    assert!(ok, "{err}");
    assert_eq!(applied, printed, "what is applied is what was printed");
    assert!(err.contains("granted at postgres@"), "{err}");

    // A receiver with the receiver's role stores, answers duplicates, keeps refused requests.
    let dir = tempfile::tempdir().unwrap();
    let secret = secret_file(dir.path());
    let receiver_url = cluster().url_as(&receiver, &db.name);
    let (mut server, url) = serve_team(&receiver_url, &secret, &["--keep-days", "30"]);
    let first = dir.path().join("first.ndjson");
    assert_eq!(send_samples(&url, &secret, &first).len(), 12);
    let again = dir.path().join("again.ndjson");
    let duplicates = send_samples(&url, &secret, &again);
    assert_eq!(duplicates.len(), 12);
    assert!(
        duplicates
            .iter()
            .all(|(_, status, _)| status == "duplicate")
    );
    for n in 0..3 {
        let (status, _) = post(&format!("{url}?n={n}"), Some("Bearer nope"), &sample("01"));
        assert_eq!(status, 401);
    }
    assert!(terminate(&mut server).success());
    assert_eq!(count(&mut admin, "SELECT count(*) FROM events"), 12);
    assert_eq!(count(&mut admin, "SELECT count(*) FROM rejections"), 3);
    // A month far ahead: its partition is made through the owner's function, after the grants.
    let store = PgStore::open(&receiver_url, &StoreOptions::default()).unwrap();
    assert!(matches!(
        store.submit_event(event("later", at("2031-03-15T12:00:00Z"))),
        Ok(Outcome::Stored(_))
    ));
    store.close().unwrap();

    // What the receiver's role cannot do: read a body, or anything of an event but its dedup key
    // and id, change or drop what is stored, make tables.
    let mut rx = postgres::Client::connect(&receiver_url, postgres::NoTls).unwrap();
    for sql in [
        "SELECT body FROM events",
        "SELECT count(*) FROM events",
        "SELECT body FROM events_2031_03",
        "SELECT received_at FROM event_keys",
        "SELECT body FROM rejections",
        "SELECT headers FROM rejections",
        "UPDATE events SET kind = 'x'",
        "DELETE FROM events",
        "DELETE FROM event_keys",
        "TRUNCATE events",
        "DROP TABLE events_2031_03",
        "CREATE TABLE copy_of_events (body bytea)",
    ] {
        assert_eq!(refused_sql(&mut rx, sql), INSUFFICIENT_PRIVILEGE, "{sql}");
    }

    // The reader's role reads all of it, the partitions made after the grant too.
    let mut rd =
        postgres::Client::connect(&cluster().url_as(&reader, &db.name), postgres::NoTls).unwrap();
    assert_eq!(count(&mut rd, "SELECT count(*) FROM events"), 13);
    assert_eq!(count(&mut rd, "SELECT count(*) FROM events_2031_03"), 1);
    assert_eq!(
        count(&mut rd, "SELECT sum(duplicates)::bigint FROM event_keys"),
        12
    );
    assert_eq!(count(&mut rd, "SELECT count(body) FROM rejections"), 3);
    // It changes nothing: its sessions are read-only, and when it asks to write anyway, it has no
    // right to (the partition functions are not even callable by it).
    let writes = [
        "INSERT INTO events (id, received_at, endpoint, path, kind, auth, verified, headers, body, dedup_key)
         VALUES (0, 1, '*', '/', 'k', 'none', false, '[]', '', 'k')",
        "DELETE FROM events",
        "UPDATE event_keys SET duplicates = 0",
        "DELETE FROM rejections",
        "DROP TABLE events",
        "DROP TABLE events_2031_03",
        "SELECT logbook_month_partition(0)",
        "SELECT logbook_drop_expired_month(0)",
    ];
    for sql in &writes[..6] {
        assert_eq!(refused_sql(&mut rd, sql), READ_ONLY_TRANSACTION, "{sql}");
    }
    rd.batch_execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE")
        .unwrap();
    for sql in writes {
        assert_eq!(refused_sql(&mut rd, sql), INSUFFICIENT_PRIVILEGE, "{sql}");
    }
    assert_eq!(count(&mut admin, "SELECT count(*) FROM events"), 13);
}

/// `logbook bench ingest --store` runs three receivers on the database and one on SQLite under the
/// same load, prints each figure as `name: value`, stores every event it was answered for, and
/// leaves nothing behind in the database. (What the figures are is the README's, not a test's.)
#[test]
fn bench_ingest_against_postgres_prints_every_figure_and_cleans_up() {
    let db = cluster().database("bench");
    let figures = bench(&[
        "bench",
        "ingest",
        "--store",
        &db.url,
        "--clients",
        "3",
        "--burst-seconds",
        "1",
        "--rate",
        "30",
        "--rate-seconds",
        "1",
    ]);
    let number = |name: &str| figures.number(name);
    assert_eq!(figures.text("pg_receivers"), "3");
    for phase in ["sqlite_burst", "pg_burst", "sqlite_paced", "pg_paced"]
        .into_iter()
        .map(str::to_owned)
        .chain((0..3).map(|i| format!("pg_burst_receiver_{i}")))
        .chain((0..3).map(|i| format!("pg_paced_receiver_{i}")))
    {
        assert!(
            number(&format!("{phase}_ack_events_per_s")) > 0.0,
            "{phase}"
        );
        let (p50, p99) = (
            number(&format!("{phase}_ack_p50_ms")),
            number(&format!("{phase}_ack_p99_ms")),
        );
        assert!(0.0 < p50 && p50 <= p99, "{phase}: {p50} {p99}");
    }
    number("pg_burst_vs_sqlite");
    // Every event answered 200 is stored: the paced phase's 30 and the burst's.
    assert!(number("pg_events_acknowledged") > 30.0);
    assert_eq!(number("pg_events_stored"), number("pg_events_acknowledged"));
    let mut client = db.client();
    assert_eq!(
        count(
            &mut client,
            "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'logbook_bench_%'"
        ),
        0,
        "the scratch schema is dropped"
    );
}

/// Projection under least privilege: a receiver's role only receives (its projector says it may
/// not, and leaves it), and a `serve` under a role given the projector's rights (and the
/// receiver's) projects what the other stored.
#[test]
fn a_projector_role_projects_what_a_receiver_role_stored() {
    let db = cluster().database("projector_role");
    let receiver = format!("{}_receiver", db.name);
    let projector = format!("{}_projector", db.name);
    let mut admin = db.client();
    admin
        .batch_execute(&format!(
            "CREATE ROLE \"{receiver}\" LOGIN; CREATE ROLE \"{projector}\" LOGIN;"
        ))
        .unwrap();
    for args in [
        ["--receiver", receiver.as_str()],
        ["--receiver", projector.as_str()],
        ["--projector", projector.as_str()],
    ] {
        let (ok, _, err) = team_roles(&["--store", &db.url, args[0], args[1], "--apply"]);
        assert!(ok, "{err}");
    }

    let dir = tempfile::tempdir().unwrap();
    let secret = secret_file(dir.path());
    let (mut server, url) = serve_team(&cluster().url_as(&receiver, &db.name), &secret, &[]);
    let answers = dir.path().join("answers.ndjson");
    assert_eq!(send_samples(&url, &secret, &answers).len(), 12);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        count(&mut admin, "SELECT count(*) FROM messages"),
        0,
        "the receiver's role does not project"
    );

    // Status says how far projection has come: nothing yet, the oldest waiting since the first.
    let status = |admin: &mut postgres::Client| {
        let reader = logbook_core::query::db::PgReader::connect(&db.url).unwrap();
        let p = logbook_core::query::event::stats(&reader)
            .unwrap()
            .projection;
        let first_pending: Option<i64> = admin
            .query_one(
                "SELECT min(received_at) FROM events e WHERE NOT EXISTS (SELECT 1 FROM messages m
                 WHERE m.event_id = e.id UNION ALL SELECT 1 FROM calls c WHERE c.event_id = e.id)",
                &[],
            )
            .unwrap()
            .get(0);
        (
            p.projected_through,
            p.pending,
            p.oldest_pending_at,
            first_pending,
        )
    };
    let (through, pending, oldest, first) = status(&mut admin);
    assert_eq!((through, pending), (0, 12));
    assert_eq!(oldest, first);
    assert!(oldest.is_some());

    let (mut projecting, _) = serve_team(&cluster().url_as(&projector, &db.name), &secret, &[]);
    wait_projected(&mut admin);
    assert_projected_exactly_once(&mut admin);
    assert_eq!(count(&mut admin, "SELECT count(*) FROM messages"), 9);
    let last = count(&mut admin, "SELECT max(id) FROM events");
    assert_eq!(status(&mut admin), (last, 0, None, None));
    // With the projector stopped, what arrives waits: everything below it is still projected.
    assert!(terminate(&mut projecting).success());
    let body = |n: usize| {
        serde_json::json!({"event": {"name": "message_logged"}, "payload": {"log_id": format!("late-{n}")}})
            .to_string()
    };
    for n in 0..3 {
        assert_eq!(post(&url, Some(&jwt()), body(n).as_bytes()).0, 200);
    }
    let (through, pending, oldest, first) = status(&mut admin);
    assert_eq!(
        (through, pending),
        (last, 3),
        "projected through the last projected id"
    );
    assert_eq!(oldest, first);
    let (mut projecting, _) = serve_team(&cluster().url_as(&projector, &db.name), &secret, &[]);
    wait_projected(&mut admin);
    // What it was given is for projecting: it cannot change the events.
    let mut px =
        postgres::Client::connect(&cluster().url_as(&projector, &db.name), postgres::NoTls)
            .unwrap();
    for sql in [
        "DELETE FROM events",
        "UPDATE events SET kind = 'x'",
        "TRUNCATE events",
    ] {
        assert_eq!(refused_sql(&mut px, sql), INSUFFICIENT_PRIVILEGE, "{sql}");
    }
    assert!(terminate(&mut projecting).success());
    assert!(terminate(&mut server).success());
}

/// Readers may point at a replica: on a hot standby of the store (streaming replication, read-only
/// by nature), the reading commands give what they give on the primary.
#[test]
fn the_reading_commands_read_a_replica_as_they_read_the_primary() {
    let db = cluster().database("replica");
    let replica = cluster().replica().url(&db.name);
    let dir = tempfile::tempdir().unwrap();
    let secret = secret_file(dir.path());
    let (mut server, url) = serve_team(&db.url, &secret, &[]);
    let answers = dir.path().join("answers.ndjson");
    assert_eq!(send_samples(&url, &secret, &answers).len(), 12);
    let mut primary = db.client();
    wait_projected(&mut primary);
    assert!(terminate(&mut server).success());
    // The standby has replayed it all once its projection position is the primary's.
    let position = |client: &mut postgres::Client| -> (i64, i64) {
        let row = client
            .query_one(
                "SELECT (SELECT count(*) FROM events), (SELECT projected FROM projection_state)",
                &[],
            )
            .unwrap();
        (row.get(0), row.get(1))
    };
    let expected = position(&mut primary);
    let mut standby = postgres::Client::connect(&replica, postgres::NoTls).unwrap();
    eventually("the standby to replay the primary", || {
        standby
            .query_opt("SELECT 1 FROM projection_state", &[])
            .is_ok_and(|row| row.is_some())
            && position(&mut standby) == expected
    });
    let read = |store: &str, args: &[&str]| {
        let out = logbook()
            .args(args)
            .args(["--store", store])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?} on {store}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    for args in [
        &["search", "--in", "conversations", "--format", "json", "pay"][..],
        &["search", "--in", "calls", "--format", "json", "failed:true"],
        &["export", "--kind", "calls", "--format", "csv"],
        &["export", "--kind", "messages", "--format", "ndjson"],
        &["custom-data", "--format", "json"],
        &["show", "call", "b231ef28-c861-4f33-8a17-384d95d6ddb5"],
        &[
            "report",
            "--format",
            "json",
            "after:2026-03-01 before:2026-04-01",
        ],
    ] {
        let on_primary = read(&db.url, args);
        assert!(on_primary.len() > 20, "{args:?}: {on_primary}");
        assert_eq!(read(&replica, args), on_primary, "{args:?}");
    }
    // The store's counts too (its target is the replica's).
    let stats: Value =
        serde_json::from_str(&read(&replica, &["stats", "--format", "json"])).unwrap();
    assert_eq!(
        (stats["events"].as_i64(), stats["projection_lag"].as_i64()),
        (Some(12), Some(0))
    );
    // A live view on the replica ("from now on") sees what is received after it opened.
    let reader = logbook_core::query::PgReader::connect(&replica).unwrap();
    let cursor = logbook_service::live::now((&reader).into()).unwrap();
    let (mut server, url) = serve_team(&db.url, &secret, &[]);
    let body =
        serde_json::json!({"event": {"name": "message_logged"}, "payload": {"log_id": "late"}});
    assert_eq!(post(&url, Some(&jwt()), body.to_string().as_bytes()).0, 200);
    eventually("the new event on the replica's live view", || {
        logbook_service::live::rows_since((&reader).into(), cursor)
            .is_ok_and(|(rows, _)| rows.len() == 1)
    });
    assert!(terminate(&mut server).success());
}

/// `logbook generate --store` stores every generated event once, through the receivers' own write
/// path, and returns only once the projector has derived each of them, once. (More events than
/// three projection batches: a command that did not wait would leave some underived.)
#[test]
fn generate_into_postgres_stores_and_projects_each_event_once() {
    let db = cluster().database("generate");
    let out = logbook()
        .args([
            "generate", "--events", "6500", "--seed", "4", "--store", &db.url,
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("stored 6500 events into "), "{stdout}");
    assert!(stdout.contains("projected them "), "{stdout}");
    let mut client = db.client();
    // Projected when the command returned: its own projector stopped with it.
    assert!(
        caught_up(&mut client),
        "generate returned before projection"
    );
    assert_eq!(count(&mut client, "SELECT count(*) FROM events"), 6500);
    assert_eq!(
        count(&mut client, "SELECT count(DISTINCT dedup_key) FROM events"),
        6500
    );
    assert_eq!(
        count(
            &mut client,
            "SELECT count(*) FROM event_keys k JOIN events e
                 ON e.id = k.event_id AND e.dedup_key = k.dedup_key AND e.received_at = k.received_at"
        ),
        6500,
        "each event's dedup key names it"
    );
    assert_projected_exactly_once(&mut client);
}

/// Filling a store with generated traffic keeps every body's bytes, in many events a transaction,
/// and stores each once: the same bodies again are all answered as duplicates, and counted.
#[test]
fn filling_postgres_keeps_each_body_exactly_and_stores_it_once() {
    use logbook_devtools::generate::{GenerateOptions, Generator};
    let db = cluster().database("fill");
    let span = chrono::Duration::days(1);
    let options = GenerateOptions {
        seed: 9,
        start: chrono::Utc::now() - span,
        span,
    };
    let bodies: Vec<Vec<u8>> = Generator::with_event_count(options, 700)
        .take(700)
        .collect();
    let fill = || {
        logbook_devtools::fill::into_postgres(&db.url, bodies.clone().into_iter(), &|_| {}, &|_| {})
            .unwrap()
    };
    let first = fill();
    assert_eq!((first.stored, first.duplicates), (700, 0));
    let again = fill();
    assert_eq!((again.stored, again.duplicates), (0, 700));
    let mut client = db.client();
    let stored: HashSet<Vec<u8>> = client
        .query("SELECT body FROM events", &[])
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(stored, bodies.iter().cloned().collect::<HashSet<_>>());
    assert_eq!(count(&mut client, "SELECT count(*) FROM events"), 700);
    assert_eq!(
        count(
            &mut client,
            "SELECT sum(duplicates)::bigint FROM event_keys"
        ),
        700
    );
    // More than one event a transaction: 700 events in far fewer transactions.
    assert!(count(&mut client, "SELECT count(DISTINCT tx) FROM events") < 100);
    assert_projected_exactly_once(&mut client);
}

/// `bench query --store` measures the same figures as on SQLite, on a scratch schema it drops;
/// with `--schema`, on a store it keeps and measures again without filling it again.
#[test]
fn bench_query_against_postgres_prints_every_figure_and_cleans_up() {
    let db = cluster().database("bench_query");
    let bench_query = |extra: &[&str]| {
        let args = [
            "bench",
            "query",
            "--store",
            &db.url,
            "--events",
            "400",
            "--samples",
            "3",
        ];
        bench(&[&args[..], extra].concat())
    };
    let figures = bench_query(&[]);
    assert_eq!(figures.number("events"), 400.0);
    assert_eq!(figures.number("generated_events"), 400.0);
    assert!(figures.number("store_events_per_s") > 0.0);
    assert!(figures.number("database_to_raw_ratio") > 1.0);
    for name in [
        "search_free_text",
        "search_qualifiers",
        "search_combined_with_facets",
        "open_conversation",
        "open_call",
        "trends_30d",
        "trends_30d_without_rollups",
    ] {
        let (p50, p99) = (
            figures.number(&format!("{name}_p50_ms")),
            figures.number(&format!("{name}_p99_ms")),
        );
        assert!(0.0 < p50 && p50 <= p99, "{name}: {p50} {p99}");
    }
    assert_eq!(figures.number("export_raw_ndjson_rows"), 400.0);
    assert!(figures.number("export_messages_ndjson_rows") > 0.0);
    assert!(figures.number("export_calls_csv_rows") > 0.0);
    let mut client = db.client();
    let schemas = "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'logbook_bench_%'";
    assert_eq!(
        count(&mut client, schemas),
        0,
        "the scratch schema is dropped"
    );

    let kept = bench_query(&["--schema", "bench_kept"]);
    assert_eq!(kept.number("generated_events"), 400.0);
    assert_eq!(
        count(&mut client, "SELECT count(*) FROM bench_kept.events"),
        400
    );
    let again = bench_query(&["--schema", "bench_kept"]);
    assert!(!again.has("generated_events"), "{again:?}");
    assert_eq!(again.number("events"), 400.0);
}
