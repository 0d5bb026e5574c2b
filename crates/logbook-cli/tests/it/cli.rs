//! The `logbook` binary as a user runs it: serve, send the samples, stop with SIGTERM, export, import.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};

use crate::common::*;

/// `serve` with the browser UI on a free port too.
fn serve(db: &Path, secret_file: &Path) -> (Child, String) {
    serve_cli(db, secret_file, &["--ui-listen", "127.0.0.1:0"])
}

#[test]
fn serve_send_stop_export_import_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, format!("{SECRET}\n")).unwrap();
    let db = dir.path().join("a.db");
    let (mut child, url) = serve(&db, &secret);
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");

    let sent = logbook()
        .args(["send", "--url", &url, "--secret-file"])
        .arg(&secret)
        .arg(samples_dir())
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&sent.stdout);
    assert!(
        sent.status.success(),
        "{out}\n{}",
        String::from_utf8_lossy(&sent.stderr)
    );
    assert_eq!(
        out.lines().filter(|l| l.starts_with("200  ")).count(),
        12,
        "{out}"
    );

    // A wrong secret is reported per request, and the command fails.
    let wrong = dir.path().join("wrong");
    std::fs::write(&wrong, "not the secret").unwrap();
    let refused = logbook()
        .args(["send", "--url", &url, "--secret-file"])
        .arg(&wrong)
        .arg(samples_dir().join("01_webchat_welcome.json"))
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stdout).contains("401"));
    assert!(String::from_utf8_lossy(&refused.stdout).contains("signature"));

    let status = terminate(&mut child);
    assert!(status.success(), "serve exits cleanly on SIGTERM: {status}");
    assert!(
        !logbook_core::store::wal_path(&dir.path().join("a.db")).exists(),
        "no WAL left to replay"
    );

    let first = dir.path().join("first.ndjson");
    let exported = logbook()
        .args(["export", "--kind", "raw", "--db"])
        .arg(&db)
        .arg("-o")
        .arg(&first)
        .output()
        .unwrap();
    assert!(
        exported.status.success(),
        "{}",
        String::from_utf8_lossy(&exported.stderr)
    );
    let text = std::fs::read_to_string(&first).unwrap();
    assert_eq!(text.lines().count(), 12);
    for line in text.lines() {
        serde_json::from_str::<serde_json::Value>(line).unwrap();
    }

    let copy = dir.path().join("b.db");
    let imported = logbook()
        .args(["import", "--db"])
        .arg(&copy)
        .arg(&first)
        .output()
        .unwrap();
    assert!(imported.status.success());
    assert!(
        String::from_utf8_lossy(&imported.stdout)
            .contains("imported 12 events (0 duplicates, 0 skipped)")
    );
    let again = logbook()
        .args(["export", "--kind", "raw", "--db"])
        .arg(&copy)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(again.stdout).unwrap(), text);

    // Importing the sample files themselves (pretty-printed, one body each) finds them all duplicates.
    let files: Vec<_> = all_samples()
        .iter()
        .map(|(name, _)| samples_dir().join(name))
        .collect();
    let dup = logbook()
        .args(["import", "--db"])
        .arg(&copy)
        .args(&files)
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&dup.stdout)
            .contains("imported 0 events (12 duplicates, 0 skipped)")
    );
}

#[test]
fn errors_are_one_clear_line_and_a_failure_status() {
    let dir = tempfile::tempdir().unwrap();
    let no_secret = logbook()
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--ui-listen",
            "127.0.0.1:0",
            "--db",
        ])
        .arg(dir.path().join("x.db"))
        .env_remove("LOGBOOK_SECRET")
        .output()
        .unwrap();
    assert!(!no_secret.status.success());
    let err = String::from_utf8_lossy(&no_secret.stderr);
    assert!(
        err.starts_with("error: a webhook secret is needed"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");

    let empty = dir.path().join("empty");
    std::fs::write(&empty, "\n").unwrap();
    let out = logbook()
        .args(["serve", "--listen", "127.0.0.1:0", "--secret-file"])
        .arg(&empty)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("the secret is empty"));

    let missing = logbook()
        .args(["export", "--db"])
        .arg(dir.path().join("none.db"))
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no database at"));
}

#[test]
fn a_second_serve_on_the_same_database_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, SECRET).unwrap();
    let db = dir.path().join("a.db");
    let (mut first, _) = serve(&db, &secret);
    // The same file by another name: a symlink to it, and a symlink to its folder.
    let linked_file = dir.path().join("link.db");
    std::os::unix::fs::symlink(&db, &linked_file).unwrap();
    let linked_dir = dir.path().join("linked-dir");
    std::os::unix::fs::symlink(dir.path(), &linked_dir).unwrap();
    for path in [db.clone(), linked_file, linked_dir.join("a.db")] {
        let second = logbook()
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--ui-listen",
                "127.0.0.1:0",
                "--db",
            ])
            .arg(&path)
            .arg("--secret-file")
            .arg(&secret)
            .output()
            .unwrap();
        assert!(!second.status.success(), "{}", path.display());
        assert!(
            String::from_utf8_lossy(&second.stderr)
                .contains("already being written by another Logbook"),
            "{}",
            path.display()
        );
    }
    assert!(terminate(&mut first).success());
}

/// A database a newer Logbook migrated further: every command that writes refuses it with what to
/// do, naming the file once, and leaves it as it was.
#[test]
fn a_database_from_a_newer_logbook_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("newer.db");
    let made = logbook()
        .args(["import", "--db"])
        .arg(&db)
        .arg(samples_dir().join("01_webchat_welcome.json"))
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let version = |set: Option<i64>| {
        let conn = rusqlite::Connection::open(&db).unwrap();
        if let Some(v) = set {
            conn.pragma_update(None, "user_version", v).unwrap();
        }
        conn.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))
            .unwrap()
    };
    let newer = version(None) + 1;
    version(Some(newer));
    for args in [vec!["import", "--db"], vec!["reindex", "--db"]] {
        let mut command = logbook();
        command.args(&args).arg(&db);
        if args[0] == "import" {
            command.arg(samples_dir().join("02_webchat_order_status.json"));
        }
        let out = command.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?}");
        assert!(
            stderr.contains("was written by a newer Assistant Logbook")
                && stderr.contains(&format!("its schema is version {newer}")),
            "{args:?}: {stderr}"
        );
        assert_eq!(
            stderr.matches(db.to_str().unwrap()).count(),
            1,
            "{args:?} names the file once: {stderr}"
        );
    }
    assert_eq!(version(None), newer, "the file is left as it was");
}

#[test]
fn the_secret_and_tokens_never_appear_in_logs_or_error_messages() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, SECRET).unwrap();
    let db = dir.path().join("logs.db");
    let mut child = logbook()
        .args(["serve", "--listen", "127.0.0.1:0", "--no-ui", "--db"])
        .arg(&db)
        .arg("--secret-file")
        .arg(&secret)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut printed = String::new();
    let mut url = None;
    loop {
        let mut line = String::new();
        if stdout.read_line(&mut line).unwrap() == 0 {
            break;
        }
        if let Some(rest) = line.trim().strip_prefix("endpoint   POST ") {
            url = Some(rest.split_whitespace().next().unwrap().to_owned());
        }
        printed.push_str(&line);
        if line.starts_with("Ctrl-C stops") {
            break;
        }
    }
    let url = url.unwrap();
    let token = jwt();
    let wrong = dir.path().join("wrong");
    std::fs::write(&wrong, "not the secret").unwrap();
    // Good, badly signed, and custom-header requests: every one is logged by serve.
    let mut outputs = String::new();
    for args in [
        vec!["--secret-file".to_owned(), secret.display().to_string()],
        vec!["--secret-file".to_owned(), wrong.display().to_string()],
        vec!["--authorization".to_owned(), format!("Bearer {token}")],
    ] {
        let out = logbook()
            .args(["send", "--url", &url])
            .args(&args)
            .arg(samples_dir().join("01_webchat_welcome.json"))
            .output()
            .unwrap();
        outputs.push_str(&String::from_utf8_lossy(&out.stdout));
        outputs.push_str(&String::from_utf8_lossy(&out.stderr));
    }
    // Errors that name the secret file print one line about it, not its content.
    let empty = dir.path().join("toolong");
    std::fs::write(&empty, "x".repeat(1025)).unwrap();
    let refused = logbook()
        .args(["send", "--url", &url, "--secret-file"])
        .arg(&empty)
        .arg(samples_dir())
        .output()
        .unwrap();
    outputs.push_str(&String::from_utf8_lossy(&refused.stderr));
    assert!(!refused.status.success());
    assert!(terminate(&mut child).success());
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    let all = format!("{printed}{stderr}{outputs}");
    assert!(
        stderr.contains("POST /"),
        "serve logged the requests: {stderr}"
    );
    for secret_text in [
        SECRET,
        "not the secret",
        token.rsplit('.').next().unwrap(),
        &"x".repeat(1025),
    ] {
        assert!(
            !all.contains(secret_text),
            "a credential was printed:\n{all}"
        );
    }
}

/// `serve`'s flags are checked by the core's configuration model: one line, a failure status, and
/// no store opened.
#[test]
fn bad_serve_configurations_are_refused_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("never.db");
    for (args, expected) in [
        (
            &["--endpoint", "/a=none", "--endpoint", "/a=none"][..],
            "error: endpoint /a is configured twice",
        ),
        (
            &["--endpoint", "draft=none"][..],
            "error: endpoint path \"draft\" must start with '/'",
        ),
        (
            &["--endpoint", "/draft"][..],
            "error: --endpoint \"/draft\": expected PATH=FILE, PATH=header:FILE or PATH=none",
        ),
        (
            &["--auth", "header"][..],
            "error: --auth header needs the expected Authorization value",
        ),
        (
            &["--auth", "none", "--keep-days", "0"][..],
            "error: events must be kept more than 0 days",
        ),
        (
            &["--auth", "none", "--max-body-bytes", "100"][..],
            "error: the body size limit must be at least 1024 bytes",
        ),
    ] {
        let out = logbook()
            .args(["serve", "--listen", "127.0.0.1:0", "--no-ui", "--db"])
            .arg(&db)
            .args(args)
            .env_remove("LOGBOOK_SECRET")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.starts_with(expected), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    assert!(!db.exists(), "no store is opened for a bad configuration");
}

/// `search --format json|ndjson|csv` writes through the core's export writer: the same rows in each
/// format, JSON as one indented document, CSV with a column for every row's custom data and no cell
/// a spreadsheet would run.
#[test]
fn search_rows_for_scripts_agree_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let generated = logbook()
        .args(["generate", "--events", "400", "--seed", "5", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(generated.status.success());
    let search = |format: &str| {
        let out = logbook()
            .args([
                "search", "--in", "calls", "--limit", "40", "--format", format, "--db",
            ])
            .arg(&db)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let json = search("json");
    let rows: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
    assert!(rows.len() > 5, "{}", rows.len());
    assert_eq!(json, serde_json::to_string_pretty(&rows).unwrap() + "\n");

    let ndjson: Vec<serde_json::Value> = search("ndjson")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(ndjson, rows);

    let csv_text = search("csv");
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), rows.len());
    let keys: std::collections::BTreeSet<&String> = rows
        .iter()
        .flat_map(|r| r["custom_data"].as_object().unwrap().keys())
        .collect();
    assert!(keys.len() > 1, "{keys:?}");
    for key in keys {
        assert!(
            header.contains(&format!("custom_data.{key}")),
            "{key} lacks a column: {header:?}"
        );
    }
    let caller = header.iter().position(|h| h == "caller").unwrap();
    for (record, row) in records.iter().zip(&rows) {
        let value = row["caller"].as_str().unwrap();
        assert!(value.starts_with('+'), "{value}");
        assert_eq!(&record[caller], format!("'{value}"), "formulas are defused");
    }
}

/// A reader that stops early (`| head`) ends the command quietly, successfully.
#[test]
fn a_closed_pipe_is_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    assert!(
        logbook()
            .args(["generate", "--events", "1500", "--seed", "2", "--db"])
            .arg(&db)
            .output()
            .unwrap()
            .status
            .success()
    );
    for format in ["json", "csv", "table"] {
        let mut child = logbook()
            .args(["search", "--limit", "1000", "--format", format, "--db"])
            .arg(&db)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = [0u8; 16];
        std::io::Read::read_exact(child.stdout.as_mut().unwrap(), &mut first).unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{format}: {:?} {err}", out.status);
        assert!(!err.contains("error"), "{format}: {err}");
    }
}

on_both_stores! {
/// The printed `?token=` address, once lost, is printed again by `logbook url` while `serve` runs;
/// once `serve` stops, `logbook url` says so instead of printing an address that no longer opens.
/// On a team's store, `logbook url --store URL` finds it.
fn a_lost_ui_address_is_printed_again_by_logbook_url(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, SECRET).unwrap();
    // The data directory, where a team store's address is kept: this test's own.
    let data = dir.path().join("data");
    let database = (backend == Backend::Postgres)
        .then(|| crate::harness_postgres::cluster().database("url"));
    let store_args: Vec<String> = match &database {
        None => vec!["--db".into(), dir.path().join("a.db").display().to_string()],
        Some(database) => vec!["--store".into(), database.url.clone()],
    };
    let url_of = || {
        let out = logbook()
            .arg("url")
            .args(&store_args)
            .env("XDG_DATA_HOME", &data)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).trim().to_owned(),
            String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        )
    };

    let (ok, _, err) = url_of();
    assert!(!ok);
    assert!(
        err.starts_with("error: no `logbook serve` with the browser UI is running on"),
        "{err}"
    );

    let mut child = logbook()
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--ui-listen",
            "127.0.0.1:0",
        ])
        .args(&store_args)
        .arg("--secret-file")
        .arg(&secret)
        .env("XDG_DATA_HOME", &data)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut printed = None;
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if let Some(rest) = line.trim().strip_prefix("open       ") {
            printed = Some(rest.to_owned());
        }
        if line.starts_with("Ctrl-C stops") {
            break;
        }
    }
    let printed = printed.expect("serve printed the UI's address");
    assert!(printed.contains("/?token="), "{printed}");

    let (ok, again, err) = url_of();
    assert!(ok, "{err}");
    assert_eq!(again, printed);
    // The address opens the UI: its status answers with the token it carries.
    let (base, token) = again.split_once("/?token=").unwrap();
    let status = agent()
        .get(&format!("{base}/api/status"))
        .set("Authorization", &format!("Bearer {token}"))
        .call()
        .unwrap();
    assert_eq!(status.status(), 200);
    // The file that holds it is the user's only: beside the database, or in the data directory
    // (named without the store's password).
    let file = match backend {
        Backend::Sqlite => dir.path().canonicalize().unwrap().join("a.db.ui-url"),
        Backend::Postgres => {
            let found = files_under(&data);
            assert_eq!(found.len(), 1, "{found:?}");
            let name = found[0].file_name().unwrap().to_string_lossy().into_owned();
            assert!(name.starts_with("team-") && name.ends_with(".ui-url"), "{name}");
            found[0].clone()
        }
    };
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }

    assert!(terminate(&mut child).success());
    assert!(!file.exists(), "serve removes the address when it stops");
    let (ok, _, err) = url_of();
    assert!(!ok);
    assert!(
        err.contains("no `logbook serve` with the browser UI"),
        "{err}"
    );

    // A file left behind by a killed `serve` is reported, not printed as if it worked.
    std::fs::write(&file, format!("{printed}\n")).unwrap();
    let (ok, out, err) = url_of();
    assert!(!ok);
    assert_eq!(out, "");
    assert!(err.contains("does not answer"), "{err}");
    assert!(err.contains("start `logbook serve` again"), "{err}");
}
}

/// Every file under `dir`, however deep.
fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_under(&path));
        } else {
            found.push(path);
        }
    }
    found
}

/// `send --repeat N` stores N copies of every body, even when the files themselves were sent
/// before, and every run says how many requests were stored and how many were already stored.
#[test]
fn send_repeat_n_stores_n_copies_and_says_what_was_stored() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, SECRET).unwrap();
    let db = dir.path().join("a.db");
    let (mut child, url) = serve_cli(&db, &secret, &["--no-ui", "--quiet"]);
    let send = |extra: &[&str]| {
        let out = logbook()
            .args(["send", "--url", &url, "--secret-file"])
            .arg(&secret)
            .args(extra)
            .arg(samples_dir())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let events = || {
        let conn = logbook_core::store::open_reader(&db).unwrap();
        conn.query_row("SELECT count(*) FROM events", [], |r| r.get::<_, i64>(0))
            .unwrap()
    };

    let first = send(&[]);
    assert!(
        first.ends_with(
            "12 requests: 12 stored, 0 already stored (duplicates), 0 refused or unanswered\n"
        ),
        "{first}"
    );
    let again = send(&[]);
    assert!(
        again.ends_with(
            "12 requests: 0 stored, 12 already stored (duplicates), 0 refused or unanswered\n"
        ),
        "{again}"
    );
    assert_eq!(events(), 12);

    let repeated = send(&["--repeat", "3"]);
    assert!(
        repeated.ends_with(
            "36 requests: 36 stored, 0 already stored (duplicates), 0 refused or unanswered\n"
        ),
        "{repeated}"
    );
    assert_eq!(events(), 12 + 36);

    // The load generator's summary says the same in `name: value` lines.
    let load = send(&["--repeat", "10", "--concurrency", "4"]);
    assert!(load.contains("\nstored: 120\n"), "{load}");
    assert!(load.contains("\nduplicates: 0\n"), "{load}");
    assert_eq!(events(), 12 + 36 + 120);
    assert!(terminate(&mut child).success());
}

/// Every time (an RFC 3339 string) in a body, in Unix ms; the epoch (which a call record gives as
/// the end of a speech-to-text stream that did not end) is left out.
fn times_in(v: &serde_json::Value, out: &mut Vec<i64>) {
    match v {
        serde_json::Value::String(text) => {
            if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
                out.extend(Some(t.timestamp_millis()).filter(|&ms| ms > 0));
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|i| times_in(i, out)),
        serde_json::Value::Object(members) => members.values().for_each(|m| times_in(m, out)),
        _ => {}
    }
}

/// `logbook generate --days N` is "N days of traffic, ending now": it once timed the traffic up to
/// 9 hours into the future (the Nth event of a Poisson stream lands hours either side of the span).
#[test]
fn generated_traffic_ends_now_not_in_the_future() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("g.ndjson");
    let before = chrono::Utc::now().timestamp_millis();
    let out = logbook()
        .args([
            "generate", "--events", "10000", "--seed", "2", "--days", "7", "-o",
        ])
        .arg(&file)
        .output()
        .unwrap();
    let after = chrono::Utc::now().timestamp_millis();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut times = Vec::new();
    for line in std::fs::read_to_string(&file).unwrap().lines() {
        times_in(&serde_json::from_str(line).unwrap(), &mut times);
    }
    let (first, latest) = (*times.iter().min().unwrap(), *times.iter().max().unwrap());
    let hour = 3_600_000;
    assert!(
        latest <= after,
        "traffic ends {:.2} h in the future",
        (latest - after) as f64 / hour as f64
    );
    assert!(latest >= before, "traffic ends before it was generated");
    let days = (latest - first) as f64 / (24 * hour) as f64;
    assert!((6.0..8.0).contains(&days), "{days} days of traffic");
}

/// `logbook bench ingest` says who spent the CPU of its burst and of its sustained run, per event:
/// the benchmark's clients, the receiver, the event log's writer and the projection, adding up to
/// the whole. The store's threads are told apart by their names (`store::threads`), so a thread
/// the store started under another name would leave the writer's or the projection's share at zero
/// and hand it to the receiver: this catches that.
#[cfg(target_os = "linux")]
#[test]
fn bench_ingest_splits_the_cpu_of_an_event_among_those_who_spent_it() {
    let figures = bench(&[
        "bench",
        "ingest",
        "--clients",
        "4",
        "--burst-seconds",
        "1",
        "--sustained-seconds",
        "1",
        "--rate",
        "50",
        "--rate-seconds",
        "1",
    ]);
    let number = |name: &str| figures.number(name);
    for phase in ["burst", "sustained"] {
        let total = number(&format!("{phase}_cpu_us_per_event"));
        let parts: Vec<f64> = ["bench_clients", "receiver", "writer", "projection"]
            .iter()
            .map(|part| number(&format!("{phase}_cpu_us_per_event_{part}")))
            .collect();
        // Each figure is rounded to a microsecond on its own.
        let sum: f64 = parts.iter().sum();
        assert!(
            (sum - total).abs() <= 3.0,
            "{phase}: {parts:?} against {total}"
        );
        let [clients, receiver, writer, _] = parts[..] else {
            unreachable!()
        };
        assert!(
            clients > 0.0 && receiver > 0.0 && writer > 0.0,
            "{phase}: {parts:?}"
        );
    }
    // Everything was projected by the end of the sustained run, by the projection's threads.
    assert!(number("sustained_cpu_us_per_event_projection") > 0.0);
    // The sustained rate the aim means is one that was kept up with: the clients reached the rate
    // asked and projection ended the run at most a second behind. The search says how it got there.
    let probes = figures.text("sustained_bounded_probes");
    assert!(probes.split(' ').count() >= 5, "{probes}");
    if figures.has("sustained_bounded_events_per_s") {
        let asked = number("sustained_bounded_paced_at_events_per_s");
        let kept = number("sustained_bounded_events_per_s");
        assert!(kept + 0.5 >= 0.98 * asked, "{kept} of {asked}");
        assert!(number("sustained_bounded_catch_up_after_load_ms") <= 1_000.0);
        assert!(probes.ends_with(&format!("{asked}:kept:1s")), "{probes}");
        let ratio = number("sustained_vs_http_ceiling");
        let expected = kept / number("http_ceiling_events_per_s");
        assert!(
            (ratio - expected).abs() <= 0.006,
            "{ratio} against {expected}"
        );
    } else {
        assert_eq!(number("sustained_vs_http_ceiling"), 0.0, "{probes}");
    }
}
