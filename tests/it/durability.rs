//! Nothing acknowledged is lost: `serve` under load from `logbook send` is killed with SIGKILL at
//! several moments; after each kill every event that was answered 200 is in the database, nothing is
//! stored twice, and SQLite's integrity check passes.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::common::*;

fn logbook() -> Command {
    Command::new(env!("CARGO_BIN_EXE_logbook"))
}

/// `serve` on a free port; returns it with its webhook URL once it is listening.
fn serve(db: &std::path::Path, secret: &std::path::Path) -> (Child, String) {
    let mut child = logbook()
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--no-ui",
            "--quiet",
            "--db",
        ])
        .arg(db)
        .arg("--secret-file")
        .arg(secret)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut url = None;
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if let Some(rest) = line.trim().strip_prefix("endpoint   POST ") {
            url = Some(rest.split_whitespace().next().unwrap().to_owned());
        }
        if line.starts_with("Ctrl-C stops") {
            break;
        }
    }
    (child, url.expect("serve printed its endpoint"))
}

#[test]
fn acknowledged_events_survive_sigkill_under_load() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, SECRET).unwrap();
    let db = dir.path().join("crash.db");
    let mut acknowledged: Vec<i64> = Vec::new();
    // Kill moments, in milliseconds after the load starts: early, mid-stream, later.
    for (round, kill_after_ms) in [150u64, 400, 900].into_iter().enumerate() {
        let (mut server, url) = serve(&db, &secret);
        let answers = dir.path().join(format!("answers-{round}.ndjson"));
        let mut load = logbook()
            .args([
                "send",
                "--url",
                &url,
                "--repeat",
                "400",
                "--concurrency",
                "8",
                "--secret-file",
            ])
            .arg(&secret)
            .arg("--log-answers")
            .arg(&answers)
            .arg(samples_dir())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(kill_after_ms));
        server.kill().unwrap(); // SIGKILL: no clean shutdown, no checkpoint
        server.wait().unwrap();
        let _ = load.wait();

        let text = std::fs::read_to_string(&answers).unwrap();
        let mut round_acks = 0;
        for line in text.lines() {
            let answer: serde_json::Value = serde_json::from_str(line).unwrap();
            if answer["status"] == 200 {
                let body: serde_json::Value =
                    serde_json::from_str(answer["answer"].as_str().unwrap()).unwrap();
                acknowledged.push(body["id"].as_i64().unwrap());
                round_acks += 1;
            }
        }
        assert!(
            round_acks > 0,
            "round {round}: the load reached the server before the kill"
        );

        // Reopen as the next serve would (this replays the WAL), then check.
        let store = logbook::store::Store::open(&db, Default::default()).unwrap();
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
    let mut load = logbook()
        .args([
            "send",
            "--url",
            &url,
            "--repeat",
            "400",
            "--concurrency",
            "8",
            "--secret-file",
        ])
        .arg(&secret)
        .arg("--log-answers")
        .arg(&answers)
        .arg(samples_dir())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(400));
    let status = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = server.wait().unwrap();
    let _ = load.wait();
    assert!(exit.success(), "serve stops cleanly on SIGTERM: {exit}");
    let wal = db.with_extension("db-wal");
    assert!(
        !wal.exists() || std::fs::metadata(&wal).unwrap().len() == 0,
        "a WAL was left to replay"
    );

    let conn = rusqlite::Connection::open(&db).unwrap();
    let mut acked = 0;
    for line in std::fs::read_to_string(&answers).unwrap().lines() {
        let answer: serde_json::Value = serde_json::from_str(line).unwrap();
        if answer["status"] == 200 {
            let body: serde_json::Value =
                serde_json::from_str(answer["answer"].as_str().unwrap()).unwrap();
            let id = body["id"].as_i64().unwrap();
            let n: i64 = conn
                .query_row("SELECT count(*) FROM events WHERE id = ?", [id], |r| {
                    r.get(0)
                })
                .unwrap();
            assert_eq!(n, 1, "acknowledged event {id} is stored");
            acked += 1;
        }
    }
    assert!(acked > 0);
}
