//! Exports over the twelve samples compared byte for byte with the files in `tests/expected/`.
//! After a deliberate change of format, regenerate them with `UPDATE_EXPECTED=1 cargo test export`
//! and review the diff.

use std::path::PathBuf;

use logbook_core::export::{self, Format, Kind};
use logbook_core::store::{Store, StoreOptions};

use crate::common::*;

fn imported() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("e.db"), StoreOptions::default()).unwrap();
    let files: Vec<PathBuf> = all_samples()
        .iter()
        .map(|(name, _)| samples_dir().join(name))
        .collect();
    logbook_core::import::import_files(&store, &files, &|_| {}).unwrap();
    (dir, store)
}

fn check(store: &Store, kind: Kind, query: &str, format: Format, expected: &str) {
    let mut out = Vec::new();
    let rows = export::export(
        &store.reader().unwrap(),
        kind,
        query,
        format,
        &mut out,
        &|_| {},
    )
    .unwrap();
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/expected")
        .join(expected);
    if std::env::var_os("UPDATE_EXPECTED").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &out).unwrap();
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(
        String::from_utf8(out).unwrap(),
        want,
        "{expected} ({rows} rows)"
    );
}

#[test]
fn exports_match_the_expected_files() {
    let (_dir, store) = imported();
    check(&store, Kind::Calls, "", Format::Csv, "calls.csv");
    check(&store, Kind::CallTurns, "", Format::Csv, "call_turns.csv");
    check(&store, Kind::CustomData, "", Format::Csv, "custom_data.csv");
    check(
        &store,
        Kind::Messages,
        "",
        Format::Ndjson,
        "messages.ndjson",
    );
    check(
        &store,
        Kind::Messages,
        "channel:phone",
        Format::Csv,
        "phone_messages.csv",
    );
    check(
        &store,
        Kind::Calls,
        "failed:true",
        Format::Json,
        "failed_calls.json",
    );
}

#[test]
fn exports_page_through_everything_and_validate_their_arguments() {
    let (_dir, store) = imported();
    let conn = store.reader().unwrap();
    let mut out = Vec::new();
    let rows = export::export(&conn, Kind::Events, "", Format::Ndjson, &mut out, &|_| {}).unwrap();
    assert_eq!(rows, 12);
    assert_eq!(String::from_utf8(out).unwrap().lines().count(), 12);
    let mut out = Vec::new();
    assert_eq!(
        export::export(
            &conn,
            Kind::Calls,
            "end_reason:nothing",
            Format::Json,
            &mut out,
            &|_| {}
        )
        .unwrap(),
        0
    );
    assert_eq!(String::from_utf8(out).unwrap(), "[]\n");
    assert!(matches!(
        export::export(
            &conn,
            Kind::Raw,
            "kind:cdr",
            Format::Ndjson,
            &mut Vec::new(),
            &|_| {}
        ),
        Err(export::ExportError::RawIsWhole)
    ));
    assert!(matches!(
        export::export(
            &conn,
            Kind::Calls,
            "foo:bar",
            Format::Csv,
            &mut Vec::new(),
            &|_| {}
        ),
        Err(export::ExportError::Parse(_))
    ));
    // JSON exports parse back to the rows the CSV has.
    let mut json = Vec::new();
    export::export(&conn, Kind::Calls, "", Format::Json, &mut json, &|_| {}).unwrap();
    let calls: Vec<serde_json::Value> = serde_json::from_slice(&json).unwrap();
    assert_eq!(calls.len(), 3);
    assert_eq!(
        calls[2]["custom"]["account_verified"], true,
        "oldest first: call 12 arrived last"
    );
}
