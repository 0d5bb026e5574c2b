//! Replay and compare: `logbook replay` signs fresh with the secret the user chose (a receiver that
//! knows only that secret verifies it), edits change exactly what they name, a query replays what
//! it matches, a replay to Logbook's own `serve` is stored as a new event marked as a replay, and
//! `logbook diff` shows the one path an edit changed.

use std::path::Path;
use std::sync::{Arc, Mutex};

use logbook_core::auth::{self, Auth, Secret};
use serde_json::Value;

use crate::common::*;
use logbook_http::plumbing::header_value;

const CHOSEN_SECRET: &str = "the downstream's chosen secret";

/// One request as the test receiver saw it.
#[derive(Debug, Clone)]
struct Seen {
    authorization: Option<String>,
    replay: Option<String>,
    replay_of: Option<i64>,
    body: Vec<u8>,
}

/// A receiver on a free port that keeps every request and answers 201 with a header and a body.
fn receiver() -> (String, Arc<Mutex<Vec<Seen>>>) {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", server.server_addr().to_ip().unwrap());
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let kept = seen.clone();
    std::thread::spawn(move || {
        for mut request in server.incoming_requests() {
            let header = |name: &'static str| header_value(&request, name).map(str::to_owned);
            let mut s = Seen {
                authorization: header("Authorization"),
                replay: header("X-Logbook-Replay"),
                replay_of: header("X-Logbook-Replay-Of").map(|v| v.parse().unwrap()),
                body: Vec::new(),
            };
            std::io::Read::read_to_end(request.as_reader(), &mut s.body).unwrap();
            kept.lock().unwrap().push(s);
            let answer = tiny_http::Response::from_string("accepted by the test receiver")
                .with_status_code(201)
                .with_header(tiny_http::Header::from_bytes("X-Answer", "yes").unwrap());
            let _ = request.respond(answer);
        }
    });
    (url, seen)
}

fn verifies(seen: &Seen, secret: &str) -> bool {
    auth::check(
        &Auth::Jwt(Secret::new(secret).unwrap()),
        seen.authorization.as_deref(),
    )
    .is_ok()
}

/// A database with every sample imported (ids 1.. in name order).
fn imported(dir: &Path, name: &str) -> std::path::PathBuf {
    let db = dir.join(name);
    let out = logbook()
        .args(["import", "--db"])
        .arg(&db)
        .args(sample_paths())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    db
}

fn run(args: &[&str]) -> (bool, String, String) {
    let out = logbook().args(args).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json_of(args: &[&str]) -> Value {
    let (ok, stdout, stderr) = run(args);
    assert!(ok, "{args:?}: {stderr}");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

#[test]
fn a_replays_jwt_verifies_with_the_chosen_secret_only_and_its_answer_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let db = imported(dir.path(), "a.db");
    let db = db.to_str().unwrap();
    let secret_file = dir.path().join("chosen.secret");
    std::fs::write(&secret_file, format!("{CHOSEN_SECRET}\n")).unwrap();
    let (url, seen) = receiver();

    let answer = json_of(&[
        "replay",
        "2",
        "--db",
        db,
        "--to",
        &url,
        "--secret-file",
        secret_file.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    assert!(
        verifies(&seen[0], CHOSEN_SECRET),
        "the chosen secret verifies it"
    );
    assert!(
        !verifies(&seen[0], "another secret"),
        "another secret does not"
    );
    assert!(!verifies(&seen[0], SECRET));
    assert_eq!(seen[0].replay_of, Some(2));
    let stored = json_of(&["show", "event", "2", "--db", db, "--format", "json"]);
    assert!(
        seen[0].body == stored["body_text"].as_str().unwrap().as_bytes(),
        "an unedited replay sends the exact stored bytes"
    );

    // The answer is printed and kept: status, headers, body; the secret is not.
    assert_eq!(answer[0]["status"], 201);
    assert_eq!(answer[0]["event_id"], 2);
    assert_eq!(answer[0]["signing"], "file");
    let shown = json_of(&["show", "event", "2", "--db", db, "--format", "json"]);
    let kept = &shown["replays"][0];
    assert_eq!(kept["status"], 201);
    assert_eq!(kept["response"], "accepted by the test receiver");
    assert!(
        kept["response_headers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h[0].as_str().unwrap().eq_ignore_ascii_case("x-answer") && h[1] == "yes")
    );
    assert_eq!(kept["edits"], Value::Null);
    assert_eq!(kept["target"], url);
    let everything = std::fs::read(dir.path().join("a.db")).unwrap();
    assert!(
        !everything
            .windows(CHOSEN_SECRET.len())
            .any(|w| w == CHOSEN_SECRET.as_bytes()),
        "the secret is never written to the database"
    );
    let (_, table, _) = run(&["show", "event", "2", "--db", db]);
    assert!(
        table.contains(&format!("replay 1 of event 2 to {url}")),
        "{table}"
    );
    assert!(table.contains("201"), "{table}");

    // No way to sign given: nothing is sent.
    let (ok, _, stderr) = run(&["replay", "2", "--db", db, "--to", &url]);
    assert!(!ok);
    assert!(stderr.contains("--no-auth"), "{stderr}");
    let (ok, _, stderr) = run(&[
        "replay",
        "2",
        "--db",
        db,
        "--to",
        "file:///etc/passwd",
        "--no-auth",
    ]);
    assert!(!ok && stderr.contains("http:// or https://"), "{stderr}");
}

#[test]
fn an_edited_replay_to_logbooks_own_serve_is_stored_marked_and_differs_in_that_path_only() {
    let dir = tempfile::tempdir().unwrap();
    let sender = imported(dir.path(), "sender.db");
    let sender = sender.to_str().unwrap();
    // The receiving Logbook holds the same events under the same numbers, so its diff can set
    // the original beside the replay.
    let receiving = imported(dir.path(), "receiving.db");
    let secret_file = dir.path().join("serve.secret");
    std::fs::write(&secret_file, SECRET).unwrap();
    let (mut serve, url) = serve_cli(&receiving, &secret_file, &["--no-ui"]);
    let receiving = receiving.to_str().unwrap();
    let secret = secret_file.to_str().unwrap();

    // Event 10 is a call record that ended with the caller hanging up.
    let (ok, _, stderr) = run(&[
        "replay",
        "10",
        "--db",
        sender,
        "--to",
        &url,
        "--secret-file",
        secret,
        "--set",
        "payload.call.end_reason=failed",
        "--format",
        "json",
    ]);
    assert!(ok, "{stderr}");
    // Twice, unedited: a replay is never a duplicate of its original nor of another replay.
    for _ in 0..2 {
        let (ok, _, stderr) = run(&[
            "replay",
            "10",
            "--db",
            sender,
            "--to",
            &url,
            "--secret-file",
            secret,
        ]);
        assert!(ok, "{stderr}");
    }
    // A path that does not exist: a clear error, nothing sent.
    let (ok, _, stderr) = run(&[
        "replay",
        "10",
        "--db",
        sender,
        "--to",
        &url,
        "--secret-file",
        secret,
        "--set",
        "payload.call.end_reson=failed",
    ]);
    assert!(!ok);
    assert!(
        stderr.contains("payload.call has no key \"end_reson\""),
        "{stderr}"
    );
    terminate(&mut serve);

    let stats = json_of(&["search", "kind:call", "--db", receiving, "--format", "json"]);
    let calls = stats.as_array().unwrap().len();
    assert_eq!(
        calls,
        3 + 3,
        "the three call records and three replays: {stats}"
    );
    let edited_id = 13;
    let replay = json_of(&[
        "show",
        "event",
        &edited_id.to_string(),
        "--db",
        receiving,
        "--format",
        "json",
    ]);
    assert_eq!(
        replay["replay_of"], 10,
        "the stored event says what it replays"
    );
    assert_eq!(
        replay["verified"], true,
        "the receiver verified its JWT as always"
    );
    assert_eq!(replay["body"]["payload"]["call"]["end_reason"], "failed");
    let original = json_of(&["show", "event", "10", "--db", receiving, "--format", "json"]);
    assert_eq!(original["duplicates"], 0);
    assert_eq!(original["replay_of"], Value::Null);

    let diff = json_of(&[
        "diff",
        "10",
        &edited_id.to_string(),
        "--db",
        receiving,
        "--format",
        "json",
    ]);
    let changes = diff["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{diff}");
    assert_eq!(changes[0]["path"], "payload.call.end_reason");
    assert_eq!(changes[0]["kind"], "changed");
    assert_eq!(changes[0]["old"], "caller_hangup");
    assert_eq!(changes[0]["new"], "failed");
    let (ok, table, _) = run(&["diff", "10", &edited_id.to_string(), "--db", receiving]);
    assert!(ok);
    assert!(table.contains("1 change"), "{table}");
    assert!(
        table.contains("payload.call.end_reason") && table.contains("\"failed\""),
        "{table}"
    );
    let same = json_of(&["diff", "10", "14", "--db", receiving, "--format", "json"]);
    assert_eq!(
        same["changes"],
        serde_json::json!([]),
        "an unedited replay equals its original"
    );

    // The sender kept what it sent: the edit and the edited body.
    let kept = json_of(&["show", "event", "10", "--db", sender, "--format", "json"]);
    assert_eq!(kept["replays"].as_array().unwrap().len(), 3);
    assert_eq!(
        kept["replays"][0]["edits"],
        "--set payload.call.end_reason=\"failed\""
    );
    assert!(
        kept["replays"][0]["body"]
            .as_str()
            .unwrap()
            .contains("\"end_reason\":\"failed\"")
    );
    assert_eq!(kept["replays"][0]["status"], 200);
    assert_eq!(kept["replays"][1]["body"], Value::Null);
}

#[test]
fn a_query_replays_the_events_it_matches_up_to_its_limit() {
    let dir = tempfile::tempdir().unwrap();
    let db = imported(dir.path(), "q.db");
    let db = db.to_str().unwrap();
    let (url, seen) = receiver();
    let expected: Vec<i64> = json_of(&["search", "kind:call", "--db", db, "--format", "json"])
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .rev()
        .collect();
    assert_eq!(expected.len(), 3);

    let (ok, _, stderr) = run(&["replay", "kind:call", "--db", db, "--to", &url, "--no-auth"]);
    assert!(ok, "{stderr}");
    assert!(
        stderr.contains("3 events match") && stderr.contains("replaying 3"),
        "{stderr}"
    );
    let got: Vec<Seen> = seen.lock().unwrap().drain(..).collect();
    assert_eq!(
        got.iter().map(|s| s.replay_of.unwrap()).collect::<Vec<_>>(),
        expected
    );
    assert!(
        got.iter().all(|s| s.authorization.is_none()),
        "--no-auth sends no Authorization"
    );
    let tokens: std::collections::HashSet<_> =
        got.iter().map(|s| s.replay.clone().unwrap()).collect();
    assert_eq!(tokens.len(), 3, "each replay has its own mark");

    let (ok, _, stderr) = run(&[
        "replay",
        "kind:call",
        "--db",
        db,
        "--to",
        &url,
        "--no-auth",
        "--limit",
        "2",
    ]);
    assert!(ok, "{stderr}");
    assert!(
        stderr.contains("3 events match") && stderr.contains("replaying 2"),
        "{stderr}"
    );
    assert_eq!(seen.lock().unwrap().len(), 2);

    let (ok, _, stderr) = run(&[
        "replay",
        "kind:call nothing_matches_this",
        "--db",
        db,
        "--to",
        &url,
        "--no-auth",
    ]);
    assert!(!ok && stderr.contains("nothing sent"), "{stderr}");
}

#[test]
fn the_endpoint_secret_signs_as_the_endpoint_checks_and_the_editor_edits() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("e.db");
    let prod = dir.path().join("prod.secret");
    std::fs::write(&prod, "prod's own secret\n").unwrap();
    let default = dir.path().join("default.secret");
    std::fs::write(&default, SECRET).unwrap();
    // Events arrive on the /prod endpoint of a `serve`, which then stops (the replay needs the
    // database to itself).
    let (mut serve, url) = serve_cli(
        &db,
        &default,
        &[
            "--no-ui",
            "--endpoint",
            &format!("/prod={}", prod.display()),
        ],
    );
    let origin = url.splitn(4, '/').take(3).collect::<Vec<_>>().join("/");
    let out = logbook()
        .args(["send", "--url", &format!("{origin}/prod"), "--secret-file"])
        .arg(&prod)
        .args(sample_paths())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    terminate(&mut serve);
    let db = db.to_str().unwrap();
    let call = json_of(&[
        "search",
        "kind:call",
        "--db",
        db,
        "--format",
        "json",
        "--limit",
        "1",
    ])[0]["id"]
        .as_i64()
        .unwrap()
        .to_string();
    let (to, seen) = receiver();

    let (ok, _, stderr) = run(&[
        "replay",
        &call,
        "--db",
        db,
        "--to",
        &to,
        "--endpoint-secret",
        &format!("/other={}", default.display()),
    ]);
    assert!(!ok);
    assert!(stderr.contains("arrived on \"/prod\""), "{stderr}");
    let (ok, _, stderr) = run(&[
        "replay",
        &call,
        "--db",
        db,
        "--to",
        &to,
        "--endpoint-secret",
        &format!("/prod={}", prod.display()),
    ]);
    assert!(ok, "{stderr}");
    let got = seen.lock().unwrap().pop().unwrap();
    assert!(
        verifies(&got, "prod's own secret"),
        "signed as /prod checks"
    );
    assert!(!verifies(&got, SECRET));

    // --edit: the editor's changes are sent; text that is not JSON is refused and nothing is sent.
    let edit = |editor: &str| {
        let out = logbook()
            .args([
                "replay",
                &call,
                "--db",
                db,
                "--to",
                &to,
                "--no-auth",
                "--edit",
            ])
            .env("EDITOR", editor)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, stderr) = edit("sed -i s/\\\"outbound\\\":\\ false/\\\"outbound\\\":\\ true/");
    assert!(ok, "{stderr}");
    let got = seen.lock().unwrap().pop().unwrap();
    let sent: Value = serde_json::from_slice(&got.body).unwrap();
    assert_eq!(sent["payload"]["call"]["outbound"], true);
    let (ok, stderr) = edit("truncate -s 7");
    assert!(!ok);
    assert!(
        stderr.contains("not JSON") && stderr.contains("line 2"),
        "{stderr}"
    );
    assert!(seen.lock().unwrap().is_empty(), "nothing sent");
    let kept = json_of(&["show", "event", &call, "--db", db, "--format", "json"]);
    let replays = kept["replays"].as_array().unwrap();
    assert_eq!(replays.len(), 2);
    assert_eq!(replays[0]["signing"], "endpoint");
    assert_eq!(replays[1]["edits"], "edited in $EDITOR");
}
