//! Retention: old events go, with everything derived from them, in small steps; the database keeps to
//! its size bound while events keep arriving, and gives the space back.

use std::path::PathBuf;
use std::time::Duration;

use logbook_core::store::{Retention, Store, StoreOptions, retention};

use crate::common::*;

fn counts(store: &Store) -> Vec<i64> {
    let conn = store.reader().unwrap();
    [
        "SELECT count(*) FROM events",
        "SELECT count(*) FROM messages",
        "SELECT count(*) FROM calls",
        "SELECT count(*) FROM call_turns",
        "SELECT count(*) FROM call_custom_data",
        "SELECT count(*) FROM message_intents",
        "SELECT count(*) FROM conversations",
        "SELECT count(*) FROM event_fts WHERE event_fts MATCH '\"bill\"'",
    ]
    .iter()
    .map(|sql| conn.query_row(sql, [], |r| r.get(0)).unwrap())
    .collect()
}

#[test]
fn events_past_their_age_go_with_everything_derived_from_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let files: Vec<PathBuf> = all_samples()
        .iter()
        .map(|(name, _)| samples_dir().join(name))
        .collect();
    let store = Store::open(&db, StoreOptions::default()).unwrap();
    logbook_core::import::import_files(&store, &files, &|_| {}).unwrap();
    assert!(
        counts(&store).iter().all(|&n| n > 0),
        "{:?}",
        counts(&store)
    );
    store.close().unwrap();

    let keep_a_minute = Retention {
        max_age: Some(Duration::from_secs(60)),
        max_bytes: None,
    };
    let store = Store::open(
        &db,
        StoreOptions {
            retention: keep_a_minute,
            ..Default::default()
        },
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(1_200));
    assert_eq!(counts(&store)[0], 12, "nothing is a minute old yet");
    store.close().unwrap();

    let keep_nothing_old = Retention {
        max_age: Some(Duration::from_millis(1)),
        max_bytes: None,
    };
    let store = Store::open(
        &db,
        StoreOptions {
            retention: keep_nothing_old,
            ..Default::default()
        },
    )
    .unwrap();
    // Events, messages, calls, turns, custom data, intents, conversations, index: the derived
    // rows follow their events out as soon as the projector has applied retention's log.
    eventually(
        "the old events to go with everything derived from them",
        || counts(&store) == vec![0; 8],
    );
    // New events still arrive, and are kept until they too are old.
    let report = logbook_core::import::import_files(&store, &files[..1], &|_| {}).unwrap();
    assert_eq!(report.stored, 1);
    store.close().unwrap();
}

#[test]
fn the_database_keeps_to_its_size_while_events_arrive() {
    const MAX_BYTES: u64 = 4 * 1024 * 1024;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("size.db");
    let options = StoreOptions {
        retention: Retention {
            max_age: None,
            max_bytes: Some(MAX_BYTES),
        },
        ..Default::default()
    };
    let store = Store::open(&db, options).unwrap();
    let span = chrono::Duration::days(1);
    let generator = logbook_devtools::generate::Generator::with_event_count(
        logbook_devtools::generate::GenerateOptions {
            seed: 3,
            start: chrono::Utc::now() - span,
            span,
        },
        6_000,
    );
    // About 20 MB of traffic in batches, five times the bound; the bound is checked as it goes.
    let mut bodies = generator.take(6_000);
    let mut peak = 0u64;
    loop {
        let chunk: Vec<Vec<u8>> = bodies.by_ref().take(250).collect();
        if chunk.is_empty() {
            break;
        }
        logbook_core::import::import_bodies(&store, "load", chunk.into_iter(), &|_| {}).unwrap();
        peak = peak.max(retention::used_bytes(&store.reader().unwrap()).unwrap());
    }
    eventually("the size to come under the bound", || {
        retention::used_bytes(&store.reader().unwrap()).unwrap() <= MAX_BYTES
    });
    // Between two steps at most one batch of events (250 × ~5 KB) arrives above the bound.
    assert!(
        peak <= MAX_BYTES + 3 * 1024 * 1024,
        "peak {peak} bytes for a bound of {MAX_BYTES}"
    );
    let conn = store.reader().unwrap();
    let kept = || -> (i64, i64) {
        conn.query_row("SELECT count(*), max(id) FROM events", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap()
    };
    let deleted = || {
        store
            .writer_stats()
            .retention_deleted
            .load(std::sync::atomic::Ordering::Relaxed) as i64
    };
    let (events, newest) = kept();
    assert!(events > 0 && events < 6_000, "{events} events kept");
    assert_eq!(newest, 6_000, "the newest are the ones kept");
    // A retention step may still be under way (it waits for the projector): the count of deleted
    // events is checked against what is left once the two agree, or the last reading is shown.
    eventually("the deleted count to match the events left", || {
        deleted() == 6_000 - kept().0
    });
    drop(conn);
    store.close().unwrap();
    // The space went back to the file system (incremental vacuum), not just to SQLite's free list.
    let file = std::fs::metadata(&db).unwrap().len();
    assert!(
        file <= MAX_BYTES + 2 * 1024 * 1024,
        "database file is {file} bytes"
    );
}
