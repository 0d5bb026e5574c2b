//! Nothing acknowledged is lost: `serve` under load from `logbook send` is killed with SIGKILL at
//! several moments; after each kill every event that was answered 200 is in the database, nothing is
//! stored twice, and SQLite's integrity check passes.

use std::process::Child;
use std::time::Duration;

use crate::common::*;

fn serve(db: &std::path::Path, secret: &std::path::Path) -> (Child, String) {
    serve_cli(db, secret, &["--no-ui", "--quiet"])
}

/// `logbook send` as a load generator (8 at a time, 4,800 requests), logging every answer.
fn load(url: &str, secret: &std::path::Path, answers: &std::path::Path) -> Child {
    send_load(url, secret, answers, 400, 8)
}

#[test]
fn acknowledged_events_survive_sigkill_under_load() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, SECRET).unwrap();
    let db = dir.path().join("crash.db");
    let mut acknowledged: Vec<i64> = Vec::new();
    // Kill moments, in milliseconds after the load's first answer: early, mid-stream, later.
    for (round, kill_after_ms) in [150u64, 400, 900].into_iter().enumerate() {
        let (mut server, url) = serve(&db, &secret);
        let answers = dir.path().join(format!("answers-{round}.ndjson"));
        let mut load = load(&url, &secret, &answers);
        // The moment counts from the first answer: on a loaded machine the sender may take longer
        // than the moment to start.
        eventually("the first answer to the load", || {
            std::fs::metadata(&answers).is_ok_and(|m| m.len() > 0)
        });
        std::thread::sleep(Duration::from_millis(kill_after_ms));
        server.kill().unwrap(); // SIGKILL: no clean shutdown, no checkpoint
        server.wait().unwrap();
        let _ = load.wait();

        let acks = acknowledged_ids(&answers);
        let round_acks = acks.len();
        acknowledged.extend(acks);
        assert!(
            round_acks > 0,
            "round {round}: the load reached the server before the kill"
        );

        // Reopen as the next serve would (this replays the WAL), then check.
        let store = logbook_core::store::Store::open(&db, Default::default()).unwrap();
        let conn = store.reader().unwrap();
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok", "round {round}");
        let missing: Vec<i64> = acknowledged
            .iter()
            .copied()
            .filter(|id| {
                conn.query_row("SELECT count(*) FROM events WHERE id = ?", [id], |r| {
                    r.get::<_, i64>(0)
                })
                .unwrap()
                    == 0
            })
            .collect();
        assert!(
            missing.is_empty(),
            "round {round}: acknowledged but not stored: {missing:?}"
        );
        let stored_twice: i64 = conn
            .query_row(
                "SELECT count(*) FROM (SELECT log_id FROM messages WHERE log_id IS NOT NULL GROUP BY log_id HAVING count(*) > 1)",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(stored_twice, 0, "round {round}: a message stored twice");
        drop(conn);
        store.close().unwrap();
    }
}

#[test]
fn sigterm_under_load_finishes_what_it_acknowledged_and_leaves_no_wal() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, SECRET).unwrap();
    let db = dir.path().join("term.db");
    let (mut server, url) = serve(&db, &secret);
    let answers = dir.path().join("answers.ndjson");
    let mut load = load(&url, &secret, &answers);
    std::thread::sleep(Duration::from_millis(400));
    let exit = terminate(&mut server);
    let _ = load.wait();
    assert!(exit.success(), "serve stops cleanly on SIGTERM: {exit}");
    let wal = logbook_core::store::wal_path(&db);
    assert!(
        !wal.exists() || std::fs::metadata(&wal).unwrap().len() == 0,
        "a WAL was left to replay"
    );

    let conn = rusqlite::Connection::open(&db).unwrap();
    let acked = acknowledged_ids(&answers);
    for id in &acked {
        let n: i64 = conn
            .query_row("SELECT count(*) FROM events WHERE id = ?", [id], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(n, 1, "acknowledged event {id} is stored");
    }
    assert!(!acked.is_empty());
}
