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
        !dir.path().join("a.db-wal").exists(),
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
