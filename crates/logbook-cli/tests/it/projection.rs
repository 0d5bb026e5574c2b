//! Durable first, derive after: the derived rows are a projection of the stored bodies. Interrupted
//! by SIGKILL at any moment (while rebuilding after a deriver change, while projecting new traffic),
//! projection resumes from its watermark, and what it ends with is, row for row, what deriving every
//! stored body from scratch gives.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use logbook_core::store::projection::derived_path;
use logbook_core::store::{Store, StoreOptions};
use rusqlite::Connection;

use crate::common::*;

/// Every derived table with the order that makes its rows comparable.
const DERIVED: &[(&str, &str)] = &[
    ("messages", "event_id"),
    ("conversations", "session_id"),
    ("message_intents", "event_id, intent, confidence"),
    ("message_entities", "event_id, entity, value, confidence"),
    ("message_responses", "event_id, seq"),
    ("calls", "event_id"),
    ("call_turns", "event_id, seq"),
    ("call_warnings", "event_id, seq"),
    ("call_custom_data", "event_id, key"),
];

/// Words looked up in the full-text index: its rows, compared by what they match.
const WORDS: &[&str] = &[
    "order", "agent", "refund", "hangup", "payment", "transfer", "card",
];

/// Everything derived, as text, table by table.
fn derived_rows(db: &Path) -> Vec<(String, Vec<String>)> {
    let conn = Connection::open(derived_path(db)).unwrap();
    let mut out = Vec::new();
    for (table, order) in DERIVED {
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM {table} ORDER BY {order}"))
            .unwrap();
        let columns = stmt.column_count();
        let rows = stmt
            .query_map([], |r| {
                Ok((0..columns)
                    .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                    .collect::<Vec<_>>()
                    .join("|"))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        out.push((table.to_string(), rows));
    }
    let mut fts: Vec<String> = conn
        .prepare("SELECT rowid FROM event_fts ORDER BY rowid")
        .unwrap()
        .query_map([], |r| r.get::<_, i64>(0))
        .unwrap()
        .map(|id| id.unwrap().to_string())
        .collect();
    for word in WORDS {
        let ids: Vec<String> = conn
            .prepare("SELECT rowid FROM event_fts WHERE event_fts MATCH ?1 ORDER BY rowid")
            .unwrap()
            .query_map([word], |r| r.get::<_, i64>(0))
            .unwrap()
            .map(|id| id.unwrap().to_string())
            .collect();
        fts.push(format!("{word}: {}", ids.join(",")));
    }
    out.push(("event_fts".into(), fts));
    out
}

fn projected_through(db: &Path) -> (i64, i64) {
    let conn = logbook_core::store::open_reader(db).unwrap();
    let through: i64 = conn
        .query_row(
            "SELECT coalesce((SELECT value FROM projection_state WHERE name = 'projected_through'), 0)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let last: i64 = conn
        .query_row("SELECT coalesce(max(id), 0) FROM events", [], |r| r.get(0))
        .unwrap();
    (through, last)
}

/// Marks the store as derived by an older deriver: the next open derives everything again.
fn age_the_deriver(db: &Path) {
    Connection::open(derived_path(db))
        .unwrap()
        .execute(
            "UPDATE projection_state SET value = value - 1 WHERE name = 'deriver_version'",
            [],
        )
        .unwrap();
}

#[test]
fn an_interrupted_projection_ends_as_a_rebuild_from_scratch() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, SECRET).unwrap();
    let db = dir.path().join("p.db");
    // Enough generated traffic that deriving it takes a while.
    let status = logbook()
        .args(["generate", "--events", "20000", "--seed", "7", "--db"])
        .arg(&db)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(projected_through(&db).0, projected_through(&db).1);

    // Killed while rebuilding after a deriver change, then while projecting new traffic as well.
    age_the_deriver(&db);
    let mut interrupted = 0;
    for (round, kill_after_ms) in [300u64, 500, 700].into_iter().enumerate() {
        let (mut server, url) = serve_cli(&db, &secret, &["--no-ui", "--quiet"]);
        let mut load = logbook()
            .args(["send", "--url", &url, "--repeat", "50", "--secret-file"])
            .arg(&secret)
            .arg(samples_dir())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(kill_after_ms));
        server.kill().unwrap();
        server.wait().unwrap();
        let _ = load.wait();
        let (through, last) = projected_through(&db);
        if through < last {
            interrupted += 1;
        }
        assert!(through <= last, "round {round}");
    }
    assert!(
        interrupted > 0,
        "at least one kill came while projection was behind"
    );

    // Resumed from the watermark to the end.
    let store = Store::open(&db, StoreOptions::default()).unwrap();
    assert!(store.wait_projected(Duration::from_secs(60)).unwrap());
    store.close().unwrap();
    let incremental = derived_rows(&db);

    // From scratch: every derived row dropped and derived again.
    let store = Store::open(
        &db,
        StoreOptions {
            rebuild: true,
            ..StoreOptions::default()
        },
    )
    .unwrap();
    assert!(store.wait_projected(Duration::from_secs(60)).unwrap());
    store.close().unwrap();
    let rebuilt = derived_rows(&db);

    for ((table, got), (_, want)) in incremental.iter().zip(&rebuilt) {
        assert!(!want.is_empty(), "{table} has rows");
        assert_eq!(got.len(), want.len(), "{table}: row count");
        if let Some(i) = (0..got.len()).find(|&i| got[i] != want[i]) {
            panic!(
                "{table}: row {i} differs\n  incremental {}\n  rebuilt     {}",
                got[i], want[i]
            );
        }
    }
}

#[test]
fn a_store_from_another_deriver_rebuilds_in_the_background_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("old.db");
    let store = Store::open(&db, StoreOptions::default()).unwrap();
    let bodies: Vec<(String, Vec<u8>)> = all_samples();
    let file = dir.path().join("samples.ndjson");
    let lines: Vec<String> = bodies
        .iter()
        .map(|(_, b)| {
            serde_json::to_string(&serde_json::from_slice::<serde_json::Value>(b).unwrap()).unwrap()
        })
        .collect();
    std::fs::write(&file, lines.join("\n")).unwrap();
    let report = logbook_core::import::import_files(&store, &[file], &|_| {}).unwrap();
    assert!(report.projected);
    store.close().unwrap();
    let before = derived_rows(&db);

    age_the_deriver(&db);
    let store = Store::open(&db, StoreOptions::default()).unwrap();
    // Right after open the rebuild is under way (or, on a fast machine, already done).
    let state = store.projection();
    assert!(
        state.rebuild_through == Some(12) || state.projected_through == 12,
        "{state:?}"
    );
    assert!(store.wait_projected(Duration::from_secs(30)).unwrap());
    assert_eq!(store.projection().rebuild_through, None);
    let stats = logbook_core::query::event::stats(&store.reader().unwrap()).unwrap();
    assert_eq!(stats.projection.projected_through, 12);
    assert_eq!(stats.projection.pending, 0);
    // The size shown counts both files, the event log and what is derived from it, and their
    // write-ahead logs (the rebuild's commits wrote the derived file's).
    let file_bytes = |p: &std::path::Path| std::fs::metadata(p).map_or(0, |m| m.len() as i64);
    let wal = |p: &std::path::Path| file_bytes(&logbook_core::store::wal_path(p));
    let derived = logbook_core::store::projection::derived_path(&db);
    let on_disk = [
        file_bytes(&db),
        file_bytes(&derived),
        wal(&db),
        wal(&derived),
    ];
    assert!(on_disk[3] > 0, "{on_disk:?}");
    assert!(
        stats.database_bytes >= on_disk.iter().sum(),
        "{} < {on_disk:?}",
        stats.database_bytes
    );
    store.close().unwrap();
    assert_eq!(derived_rows(&db), before);
}

#[test]
fn reindex_derives_every_body_again_and_stats_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let import = logbook()
        .arg("import")
        .arg("--db")
        .arg(&db)
        .args(sample_paths())
        .output()
        .unwrap();
    assert!(import.status.success());
    let before = derived_rows(&db);
    let out = logbook()
        .arg("reindex")
        .arg("--db")
        .arg(&db)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.starts_with("derived 12 events again in "), "{said}");
    assert_eq!(derived_rows(&db), before);
    let stats = logbook()
        .arg("stats")
        .arg("--db")
        .arg(&db)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&stats.stdout);
    assert!(
        said.lines()
            .any(|l| l.starts_with("derived") && l.contains("every event (deriver v")),
        "{said}"
    );
    // Nothing to reindex where there is no database.
    let missing = logbook()
        .arg("reindex")
        .arg("--db")
        .arg(dir.path().join("none.db"))
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no database at"));
}

/// Generated message bodies to send again and again (generating each afresh cost the test's
/// senders more than storing it, in a debug build: they hardly ever queued for the writer).
fn message_bodies() -> Vec<Vec<u8>> {
    (0..64)
        .map(|i| logbook_devtools::generate::message_body(i, 1_024))
        .collect()
}

/// Event `i`: one of `bodies` with a `log_id` of its own, as an accepted event.
fn message_event(bodies: &[Vec<u8>], i: u64) -> logbook_core::store::NewEvent {
    let body = &bodies[i as usize % bodies.len()];
    let text = std::str::from_utf8(body).unwrap();
    let start = text.find("\"log_id\":\"").unwrap() + "\"log_id\":\"".len();
    let end = start + text[start..].find('"').unwrap();
    let log_id = format!("00000000-0000-4000-8000-{i:012x}");
    let body = [&body[..start], log_id.as_bytes(), &body[end..]].concat();
    accepted(body, 1_700_000_000_000 + i as i64, "*")
}

/// Acknowledgements first: one request at a time is projected as it comes; while requests queue
/// for the writer (a burst from many connections at once), projection waits for them, and what
/// they stored is projected once the burst is over.
#[test]
fn projection_gives_way_to_a_burst_and_catches_up_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("burst.db");
    let store = Store::open(&db, StoreOptions::default()).unwrap();
    let bodies = message_bodies();
    let gave_way = || {
        store
            .projection_stats()
            .gave_way_ms
            .load(std::sync::atomic::Ordering::Relaxed)
    };
    // A trickle: one request at a time, never a queue.
    for i in 0..300 {
        store.submit_event(message_event(&bodies, i)).unwrap();
    }
    assert!(store.wait_projected(Duration::from_secs(30)).unwrap());
    assert_eq!(gave_way(), 0);
    assert_eq!(store.projection().projected_through, 300);

    // A burst: 16 connections, each sending as soon as the last was answered, until projection
    // gives way. The deriver runs at the lowest priority, so on a busy machine (the test suites
    // run in parallel) it may look at the queue only now and then: the burst lasts until it has
    // looked twice, or a minute.
    // Status says so while it waits: each sender looks once it sees projection gave way, while
    // the others still send.
    let started = std::time::Instant::now();
    let sent = std::sync::atomic::AtomicU64::new(300);
    let said_since = std::sync::atomic::AtomicI64::new(0);
    std::thread::scope(|scope| {
        for _ in 0..16 {
            scope.spawn(|| {
                while gave_way() == 0 && started.elapsed() < Duration::from_secs(60) {
                    let i = sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    store.submit_event(message_event(&bodies, i)).unwrap();
                }
                if let Some(since) = store.projection_giving_way_since() {
                    said_since.store(since, std::sync::atomic::Ordering::Relaxed);
                }
            });
        }
    });
    let stored = sent.load(std::sync::atomic::Ordering::Relaxed) as i64;
    assert!(gave_way() > 0, "projection did not wait for the burst");
    let since = said_since.load(std::sync::atomic::Ordering::Relaxed);
    let burst_began = chrono::Utc::now().timestamp_millis() - started.elapsed().as_millis() as i64;
    assert!(
        since >= burst_began - 1_000,
        "no sender saw projection giving way since the burst began ({since}, {burst_began})"
    );
    assert!(store.wait_projected(Duration::from_secs(60)).unwrap());
    assert_eq!(store.projection_giving_way_since(), None);
    let stats = logbook_core::query::event::stats(&store.reader().unwrap()).unwrap();
    assert_eq!(stats.projection.projected_through, stored);
    assert_eq!(stats.projection.pending, 0);
    assert_eq!(stats.messages, stored);
    store.close().unwrap();
}
