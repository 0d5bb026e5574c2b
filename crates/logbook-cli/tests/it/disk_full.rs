//! A full disk: the database lives on a small filesystem made for the test (a 6 MiB tmpfs; mounting
//! needs root, as CI has — elsewhere the test says it is skipped). When the disk fills, requests get 503
//! with Retry-After, nothing already stored is damaged, and ingest resumes by itself once space is freed.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use logbook_core::store::{Store, StoreOptions};
use logbook_http::ingest::{Auth, Endpoint, Receiver, ReceiverConfig, Secret};

use crate::common::*;

/// Unmounts the test's filesystem however the test ends.
struct Mount(PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn mount_small(dir: &Path) -> Option<Mount> {
    let target = dir.join("small");
    std::fs::create_dir_all(&target).ok()?;
    let out = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=6m", "tmpfs"])
        .arg(&target)
        .output()
        .ok()?;
    if !out.status.success() {
        eprintln!(
            "skipped: cannot mount a small filesystem here ({}); CI runs this as root",
            String::from_utf8_lossy(&out.stderr).trim()
        );
        return None;
    }
    Some(Mount(target))
}

fn message(i: usize) -> Vec<u8> {
    let mut body: serde_json::Value = serde_json::from_slice(&sample("02")).unwrap();
    body["payload"]["log_id"] = format!("disk-full-{i}").into();
    // Some bulk, as real bodies have, that the event log's compression cannot take away.
    body["payload"]["response"]["output"]["generic"][0]["text"] = incompressible(20_000).into();
    serde_json::to_vec(&body).unwrap()
}

#[test]
fn a_full_disk_answers_503_then_ingest_resumes_when_space_is_freed() {
    let dir = tempfile::tempdir().unwrap();
    let Some(mount) = mount_small(dir.path()) else {
        return;
    };
    // Most of the filesystem is taken by a file the test will delete to free space.
    let filler = mount.0.join("filler");
    std::fs::write(&filler, vec![0u8; 3 * 1024 * 1024]).unwrap();
    let db = mount.0.join("full.db");
    let store = Arc::new(Store::open(&db, StoreOptions::default()).unwrap());
    let config = ReceiverConfig::new(
        "127.0.0.1:0",
        vec![Endpoint {
            path: None,
            auth: Auth::Jwt(Secret::new(SECRET).unwrap()),
        }],
    );
    let receiver = Receiver::start(config, store.clone()).unwrap();
    let url = format!("http://{}/", receiver.local_addr());

    let mut stored = 0;
    let mut refused = None;
    for i in 0..2_000 {
        let response = agent()
            .post(&url)
            .set("Authorization", &jwt())
            .send_bytes(&message(i));
        match response {
            Ok(r) => {
                assert_eq!(r.status(), 200);
                stored += 1;
            }
            Err(ureq::Error::Status(503, r)) => {
                assert_eq!(r.header("Retry-After"), Some("5"));
                refused = Some(r.into_string().unwrap());
                break;
            }
            Err(e) => panic!("request {i}: {e}"),
        }
    }
    let refused = refused.expect("the disk filled up");
    assert!(refused.contains("send it again later"), "{refused}");
    assert!(stored > 10, "{stored} stored before the disk filled");

    // Still full: still 503, and what was acknowledged is intact.
    let again = agent()
        .post(&url)
        .set("Authorization", &jwt())
        .send_bytes(&message(9_999));
    assert!(
        matches!(again, Err(ureq::Error::Status(503, _))),
        "{again:?}"
    );
    let conn = store.reader().unwrap();
    assert_eq!(
        conn.query_row("PRAGMA quick_check", [], |r| r.get::<_, String>(0))
            .unwrap(),
        "ok"
    );
    assert_eq!(
        conn.query_row("SELECT count(*) FROM events", [], |r| r.get::<_, i64>(0))
            .unwrap(),
        stored
    );

    // Space comes back: ingest resumes by itself, with no restart.
    std::fs::remove_file(&filler).unwrap();
    let (status, answer) = post(&url, Some(&jwt()), &message(10_000));
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        conn.query_row("SELECT count(*) FROM events", [], |r| r.get::<_, i64>(0))
            .unwrap(),
        stored + 1
    );
    drop(conn);
    receiver.shutdown();
    Arc::try_unwrap(store).ok().unwrap().close().unwrap();
}
