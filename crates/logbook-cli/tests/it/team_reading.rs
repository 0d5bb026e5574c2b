//! Reading a team's PostgreSQL store (issue 15): the same events received into a SQLite file and
//! into PostgreSQL give, for every query of the query language, the same rows in the same order,
//! page by page, with the same facets and counts; the detail views, custom data, completion,
//! Trends and exports agree too; every reading command takes `--store` (or `LOGBOOK_STORE`); a
//! statement past the deadline is stopped; and the read-only reader's role can run them all.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use logbook_core::export::{self, Format, Kind};
use logbook_core::query::filter::Subject;
use logbook_core::query::search::{self, Search};
use logbook_core::query::trends::{self, TrendsRequest};
use logbook_core::query::{
    Db, PgReader, QueryError, call, conversation, count, custom, event, values,
};
use serde::Serialize;
use serde_json::Value;

use crate::common::*;
use crate::harness_postgres::{Database, cluster};
use crate::team::{
    acknowledged, generated, secret_file, send, serve_team, team_roles, wait_projected,
};

/// Generated events received beside the twelve samples.
const GENERATED: usize = 300;

/// Every feature of the query language the README documents: words (one, several, in any case),
/// phrases, exclusion (of a word, a phrase, a qualifier), field qualifiers of each kind of row,
/// comparisons, time ranges. (Prefixes are not part of the language: words match whole.)
const QUERIES: &[&str] = &[
    "",
    "bill",
    "BILL",
    "pay bill",
    "\"pay my bill\"",
    "\"my bill pay\"",
    "bill -balance",
    "-bill",
    "-\"pay my bill\"",
    "order status",
    "caf\u{e9}",
    "CAFE",
    "cr\u{e8}me -caf\u{e9}",
    "\"s'il vous\"",
    "18885550146",
    "+18885550146",
    "338",
    "$338.80",
    "example.com",
    "com",
    "pay_bill",
    "\u{1f44b}",
    "-\u{1f44b}",
    "bill \u{1f44b}",
    "kind:message",
    "kind:call",
    "-kind:call",
    "kind:rejected",
    "intent:action_24031_intent_11874",
    "-intent:action_24031_intent_11874 kind:message",
    "entity:product",
    "entity:product=kettle",
    "type:option",
    "type:dtmf",
    "channel:web",
    "channel:\"Web Chat\"",
    "action:\"check order status\"",
    "input:speech",
    "input:DTMF",
    "barge_in:true",
    "phone:555",
    "end_reason:caller_hangup",
    "end_reason:failed",
    "failed:true",
    "failed:false",
    "transferred:true",
    "failure:codec",
    "warning:CWSMR",
    "warning:cwsmr0033w",
    "custom.call_reason:pay_bill",
    "custom.account_verified:true",
    "custom.ivr_menu:*",
    "custom.Zone:*",
    "call:mixed-case-call",
    "-custom.ivr_menu:*",
    "duration>60s",
    "duration<=30s",
    "latency.assistant>500",
    "latency.tts>=800ms",
    "setup>1s",
    "warnings>=1",
    "turns<3",
    "turns>=4",
    "confidence<0.5",
    "confidence.intent<0.9",
    "confidence.stt>=0.8",
    "after:3d",
    "before:2d",
    "after:5d before:1d bill",
    "endpoint:*",
    "kind:rejected endpoint:*",
    "verified:true",
    "verified:false",
    "intent:action_24031_intent_11874 after:4d -bill",
];

/// What differs between two receptions of the same bodies, taken out before comparing: when each
/// arrived, from which port (and the JWT signed for each delivery, the Host header naming each
/// receiver's port); and what only one store offers (a SQLite store replays, a team's does not).
const PER_DELIVERY: &[&str] = &[
    "received_at",
    "remote_addr",
    "headers",
    "jwt_header",
    "jwt_claims",
    "replayable",
];

fn comparable(value: impl Serialize) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(map) => {
                for key in PER_DELIVERY {
                    map.remove(*key);
                }
                map.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut v = serde_json::to_value(value).unwrap();
    strip(&mut v);
    v
}

/// The same bodies received, in the same order, by `serve --db` and by `serve --store` (into a
/// database whose collation is not SQLite's order of bytes); both projected.
struct Stores {
    dir: tempfile::TempDir,
    sqlite: PathBuf,
    pg: Database,
}

fn received_twice() -> Stores {
    let dir = tempfile::tempdir().unwrap();
    let secret = secret_file(dir.path());
    let generated = generated(dir.path(), "generated", GENERATED, 15);
    let sqlite = dir.path().join("logbook.db");
    let pg = icu_database("reading");
    let (mut sqlite_server, sqlite_url) = serve_cli(&sqlite, &secret, &["--quiet", "--no-ui"]);
    let (pg_server, pg_url) = serve_team(&pg.url, &secret, &[]);
    let mut answers = Vec::new();
    for (name, url) in [("sqlite", &sqlite_url), ("pg", &pg_url)] {
        let mut ids = Vec::new();
        for bodies in [samples_dir(), generated.clone()] {
            let log = dir.path().join(format!("{name}-{}.ndjson", ids.len()));
            // One at a time: both stores number the events in the same order.
            assert!(
                send(url, &secret, &bodies, &log, 1)
                    .wait()
                    .unwrap()
                    .success()
            );
            ids.extend(acknowledged(&log));
        }
        answers.push(ids);
        // Words with accents (what the index folds), in a turn of its own.
        let mut accented: Value = serde_json::from_slice(&sample("02")).unwrap();
        accented["payload"]["log_id"] = "accented-turn".into();
        accented["payload"]["request"]["input"]["text"] = "Un café crème, s'il vous plaît".into();
        let body = serde_json::to_vec(&accented).unwrap();
        let (status, _) = post(url, Some(&format!("Bearer {}", jwt())), &body);
        assert_eq!(status, 200);
        // A call whose custom data ties in every count, keys and values in mixed case: listed in
        // the same order on both stores whatever the database's collation.
        let mut mixed: Value = serde_json::from_slice(&sample("12")).unwrap();
        mixed["payload"]["global_session_id"] = "mixed-case-call".into();
        mixed["payload"]["injected_custom_data"] = serde_json::json!({
            "Zone": "Beta", "apple": "alpha", "_first": "Alpha", "Apple": "beta", "zone": "_x"
        });
        let body = serde_json::to_vec(&mixed).unwrap();
        let (status, _) = post(url, Some(&format!("Bearer {}", jwt())), &body);
        assert_eq!(status, 200);
        // Two refused requests, kept by both.
        for n in 0..2 {
            let (status, _) = post(&format!("{url}?n={n}"), Some("Bearer nope"), &sample("01"));
            assert_eq!(status, 401);
        }
    }
    assert_eq!(answers[0].len(), 12 + GENERATED);
    assert_eq!(
        answers[0], answers[1],
        "both stores numbered the events alike"
    );
    wait_projected(&mut pg.client());
    wait_sqlite_projected(&sqlite);
    drop(pg_server);
    assert!(terminate(&mut sqlite_server).success());
    Stores { dir, sqlite, pg }
}

/// A new database sorting text by ICU's English collation (`a` < `B`), where SQLite compares bytes
/// (`B` < `a`): what is listed in the same order on both is so whatever the database's collation.
fn icu_database(label: &str) -> Database {
    let name = format!("{label}_icu");
    postgres::Client::connect(&cluster().url("postgres"), postgres::NoTls)
        .unwrap()
        .batch_execute(&format!(
            "CREATE DATABASE \"{name}\" TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'"
        ))
        .unwrap();
    Database {
        url: cluster().url(&name),
        name,
    }
}

/// Waits (a minute at most) until `logbook stats` says nothing waits to be projected.
fn wait_sqlite_projected(db: &Path) {
    let started = std::time::Instant::now();
    loop {
        let out = logbook()
            .args(["stats", "--format", "json", "--db"])
            .arg(db)
            .output()
            .unwrap();
        let stats: Value = serde_json::from_slice(&out.stdout).unwrap();
        if stats["projection"]["pending"] == 0 {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "{stats}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Every page of a list for `query`, `limit` rows at a time, following the cursors; each page's
/// rows, cursor and (on the first page) facets.
fn all_pages<T: Serialize>(
    list: impl Fn(&Search) -> Result<search::Page<T>, QueryError>,
    query: &str,
    limit: usize,
) -> Value {
    let mut pages = Vec::new();
    let mut cursor = None;
    loop {
        let ask = || {
            list(&Search {
                query: query.to_owned(),
                cursor: cursor.clone(),
                limit,
                facets: pages.is_empty(),
                hits: true,
            })
            .unwrap_or_else(|e| panic!("{query}: {e}"))
        };
        // Facets share a budget of 150 ms: on a machine busy with other work, a page is asked
        // again (a few times at most) until none ran out of time, so that both stores' counts
        // are compared.
        let mut page = ask();
        for _ in 0..5 {
            if !page.facets.iter().any(|f| f.timed_out) {
                break;
            }
            page = ask();
        }
        cursor = page.next_cursor.clone();
        pages.push(comparable(&page));
        if cursor.is_none() {
            return Value::Array(pages);
        }
        assert!(pages.len() < 1_000, "{query}: the pages do not end");
    }
}

/// The answers a store gives to every question asked of it here, by name.
fn answers(db: Db<'_>, now: chrono::DateTime<chrono::Utc>) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let mut add = |name: String, v: Value| out.push((name, v));
    for q in QUERIES {
        // Facets come with every first page.
        add(
            format!("events {q}"),
            all_pages(|s| search::events(db, s), q, 40),
        );
        add(
            format!("messages {q}"),
            all_pages(|s| search::messages(db, s, false), q, 40),
        );
        add(
            format!("calls {q}"),
            all_pages(|s| search::calls(db, s, false), q, 7),
        );
        add(
            format!("conversations {q}"),
            all_pages(|s| search::conversations(db, s), q, 15),
        );
        for subject in [
            Subject::Events,
            Subject::Messages,
            Subject::Calls,
            Subject::Conversations,
        ] {
            let total = count::total(db, q, subject, true).unwrap();
            add(format!("count {subject:?} {q}"), comparable(total));
        }
    }
    // Oldest first, as exports read them.
    add(
        "messages oldest first".into(),
        comparable(search::messages(db, &Search::new("bill"), true).unwrap()),
    );
    // The detail views of every call, of the conversations and events the samples hold.
    let calls = search::calls(
        db,
        &Search {
            limit: 1_000,
            ..Search::new("")
        },
        false,
    )
    .unwrap();
    for c in &calls.items {
        let id = c.global_session_id.clone().unwrap();
        add(
            format!("call {id}"),
            comparable(call::call(db, &id).unwrap()),
        );
    }
    let messages = search::messages(
        db,
        &Search {
            limit: 1_000,
            ..Search::new("")
        },
        false,
    )
    .unwrap();
    let mut sessions: Vec<String> = messages
        .items
        .iter()
        .filter_map(|m| m.session_id.clone())
        .collect();
    sessions.sort();
    sessions.dedup();
    for s in sessions.iter().take(40) {
        add(
            format!("conversation {s}"),
            comparable(conversation::conversation(db, s).unwrap()),
        );
    }
    for id in ["1", "2", "10", "12", "200"] {
        add(
            format!("event {id}"),
            comparable(event::event(db, id).unwrap()),
        );
    }
    let log_id = messages.items[0].log_id.clone().unwrap();
    add(
        format!("event {log_id}"),
        comparable(event::event(db, &log_id).unwrap()),
    );
    add(
        "no such event".into(),
        Value::String(event::event(db, "999999").unwrap_err().to_string()),
    );
    // Custom data and completion.
    add("custom keys".into(), comparable(custom::keys(db).unwrap()));
    for key in [
        "call_reason",
        "ivr_menu",
        "account_verified",
        "Zone",
        "apple",
    ] {
        add(
            format!("custom values {key}"),
            comparable(custom::values(db, key, 10).unwrap()),
        );
        add(
            format!("custom calls {key}"),
            comparable(custom::calls_with(db, key, None, 5, None).unwrap()),
        );
    }
    add(
        "custom calls call_reason=pay_bill".into(),
        comparable(custom::calls_with(db, "call_reason", Some("pay_bill"), 5, None).unwrap()),
    );
    for (key, prefix) in [
        ("intent", "action_2"),
        ("action", "CHECK"),
        ("channel", "w"),
        ("channel", ""),
        ("intent", ""),
        ("type", ""),
        ("end_reason", ""),
        ("failure", "sip"),
        ("warning", "CW"),
        ("type", "o"),
        ("entity", "p"),
        ("endpoint", "/"),
        ("failed", "t"),
    ] {
        add(
            format!("values {key}:{prefix}"),
            comparable(values::values(db, key, prefix, 8).unwrap()),
        );
    }
    // Trends, with a custom key and a compared period: through the rollups on both stores where
    // the search is a range (and an endpoint) in hour or day buckets, over long ranges too, and
    // from the derived rows for any other search.
    for (query, bucket, compare) in [
        ("", None, None),
        ("after:7d", None, Some("previous")),
        (
            "after:7d endpoint:*",
            Some(trends::Bucket::Hour),
            Some("24h"),
        ),
        ("after:30d", Some(trends::Bucket::Day), Some("previous")),
        ("kind:call after:3d", None, None),
    ] {
        let request = TrendsRequest {
            query: query.into(),
            bucket,
            compare: compare.map(|c| trends::Compare::parse(c).unwrap()),
            custom_key: Some("call_reason".into()),
        };
        add(
            format!("trends {query}"),
            comparable(trends::trends(db, &request, now).unwrap()),
        );
    }
    // Exports, whole.
    for kind in [
        Kind::Messages,
        Kind::Calls,
        Kind::CallTurns,
        Kind::CustomData,
        Kind::Events,
    ] {
        let mut out = Vec::new();
        export::export(db, kind, "", Format::Ndjson, &mut out, &|_| {}).unwrap();
        let rows: Vec<Value> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| comparable(serde_json::from_str::<Value>(l).unwrap()))
            .collect();
        add(format!("export {kind}"), Value::Array(rows));
    }
    let mut raw = Vec::new();
    export::raw(db, &mut raw, &|_| {}).unwrap();
    add(
        "export raw".into(),
        Value::String(String::from_utf8(raw).unwrap()),
    );
    out
}

#[test]
fn the_same_queries_give_the_same_rows_in_the_same_order_on_sqlite_and_postgres() {
    let stores = received_twice();
    let sqlite = logbook_core::store::open_reader(&stores.sqlite).unwrap();
    let pg = PgReader::connect(&stores.pg.url).unwrap();
    let now = chrono::Utc::now();
    let expected = answers((&sqlite).into(), now);
    let found = answers((&pg).into(), now);
    assert_eq!(expected.len(), found.len());
    let mut empty = 0;
    for ((name, sqlite), (_, pg)) in expected.iter().zip(&found) {
        if let Some((at, left, right)) = first_difference(pg, sqlite, String::new()) {
            panic!("{name}: at {at}, PostgreSQL has {left} and SQLite {right}");
        }
        let rows = sqlite.pointer("/0/items").and_then(Value::as_array);
        empty += usize::from(rows.is_some_and(|r| r.is_empty()));
    }
    // The table asks questions with answers: most lists find rows.
    assert!(empty < QUERIES.len(), "{empty} empty lists");
    // Words are folded alike: the accented turn is found without its accents on PostgreSQL too.
    let folded = search::messages(&pg, &Search::new("CAFE creme"), false).unwrap();
    assert_eq!(folded.items.len(), 1, "{folded:?}");

    // Every reading command takes `--store` (and LOGBOOK_STORE), and prints what `--db` prints.
    let db = stores.sqlite.to_str().unwrap();
    for args in [
        &["search", "bill", "--in", "messages", "--format", "json"][..],
        &[
            "search",
            "kind:call failed:true",
            "--in",
            "calls",
            "--format",
            "csv",
        ],
        &[
            "search",
            "",
            "--in",
            "conversations",
            "--format",
            "ndjson",
            "--facets",
        ],
        &[
            "show",
            "call",
            "b231ef28-c861-4f33-8a17-384d95d6ddb5",
            "--format",
            "json",
        ],
        &[
            "show",
            "conversation",
            "c3e1a7d4-5b28-4f90-8e6a-1d9b2c7f3a05",
            "--format",
            "json",
        ],
        &["custom-data", "call_reason", "--format", "json"],
        &["export", "bill", "--kind", "calls", "--format", "csv"],
        &["diff", "1", "2", "--format", "json"],
    ] {
        let by_db = logbook()
            .args(args)
            .args(["--db", db])
            .env_remove("LOGBOOK_STORE")
            .output()
            .unwrap();
        assert!(
            by_db.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&by_db.stderr)
        );
        let by_store = logbook()
            .args(args)
            .args(["--store", &stores.pg.url])
            .output()
            .unwrap();
        assert!(
            by_store.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&by_store.stderr)
        );
        let by_env = logbook()
            .args(args)
            .env("LOGBOOK_STORE", &stores.pg.url)
            .output()
            .unwrap();
        assert!(
            by_env.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&by_env.stderr)
        );
        assert_eq!(by_store.stdout, by_env.stdout, "{args:?}");
        let (left, right) = (
            String::from_utf8_lossy(&by_store.stdout),
            String::from_utf8_lossy(&by_db.stdout),
        );
        assert_eq!(strip_arrival(&left), strip_arrival(&right), "{args:?}");
    }
    // `report` computes Trends on either store.
    let out = logbook()
        .args([
            "report",
            "after:7d",
            "--format",
            "json",
            "--store",
            &stores.pg.url,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        report["current"]["totals"]["messages"].as_i64().unwrap() > 0,
        "{report}"
    );
    drop(stores.dir);
}

/// Where `a` and `b` first differ (a JSON pointer), and what each has there.
fn first_difference(a: &Value, b: &Value, at: String) -> Option<(String, String, String)> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) if x.len() == y.len() => {
            x.iter().find_map(|(k, v)| match y.get(k) {
                Some(w) => first_difference(v, w, format!("{at}/{k}")),
                None => Some((format!("{at}/{k}"), v.to_string(), "nothing".into())),
            })
        }
        (Value::Array(x), Value::Array(y)) => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (v, w))| first_difference(v, w, format!("{at}/{i}")))
            .or_else(|| {
                (x.len() != y.len()).then(|| {
                    (
                        format!("{at} (length)"),
                        x.len().to_string(),
                        y.len().to_string(),
                    )
                })
            }),
        _ => (a != b).then(|| (at, a.to_string(), b.to_string())),
    }
}

/// JSON and CSV output without what is per delivery (the arrival times).
fn strip_arrival(text: &str) -> String {
    if let Ok(v) = serde_json::from_str::<Value>(text) {
        return comparable(v).to_string();
    }
    let lines: Vec<String> = text
        .lines()
        .map(|l| match serde_json::from_str::<Value>(l) {
            Ok(v) => comparable(v).to_string(),
            Err(_) => l.to_owned(),
        })
        .collect();
    lines.join("\n")
}

#[test]
fn a_query_past_its_deadline_on_postgres_is_stopped_and_says_so() {
    let db = cluster().database("deadline");
    // A store with the schema (`serve --store` makes it), nothing in it.
    let dir = tempfile::tempdir().unwrap();
    let (server, _) = serve_team(&db.url, &secret_file(dir.path()), &[]);
    drop(server);
    let reader = PgReader::connect(&db.url).unwrap();
    let db_ = Db::from(&reader);
    let started = std::time::Instant::now();
    let result = db_.with_deadline(Duration::from_millis(200), || {
        db_.row("SELECT 1 FROM pg_sleep(5)", &[], |r| r.get::<_, i64>(0))
    });
    assert!(
        matches!(result, Err(QueryError::Timeout(200))),
        "{result:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        result.unwrap_err().to_string(),
        "the query took longer than 200 ms; narrow it down"
    );
    // The connection goes on serving, with the next deadline.
    let answer = db_.with_deadline(Duration::from_secs(2), || {
        db_.row("SELECT count(*) FROM events", &[], |r| r.get::<_, i64>(0))
    });
    assert_eq!(answer.unwrap(), 0);
}

#[test]
fn the_reader_role_runs_every_reading_command() {
    let db = cluster().database("reader_role");
    let reader = format!("{}_reader", db.name);
    db.client()
        .batch_execute(&format!("CREATE ROLE \"{reader}\" LOGIN"))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let secret = secret_file(dir.path());
    let (server, url) = serve_team(&db.url, &secret, &[]);
    let log = dir.path().join("answers.ndjson");
    assert!(
        send(&url, &secret, &samples_dir(), &log, 4)
            .wait()
            .unwrap()
            .success()
    );
    wait_projected(&mut db.client());
    drop(server);
    let (ok, _, err) = team_roles(&["--store", &db.url, "--reader", &reader, "--apply"]);
    assert!(ok, "{err}");
    let as_reader = cluster().url_as(&reader, &db.name);
    for args in [
        &["search", "bill", "--in", "events", "--facets"][..],
        &["search", "kind:call", "--in", "calls", "--format", "json"],
        &["search", "", "--in", "conversations"],
        &["show", "call", "b231ef28-c861-4f33-8a17-384d95d6ddb5"],
        &[
            "show",
            "conversation",
            "c3e1a7d4-5b28-4f90-8e6a-1d9b2c7f3a05",
        ],
        &["show", "event", "1"],
        &["custom-data"],
        &["export", "", "--kind", "call_turns"],
        &["export", "", "--kind", "raw"],
        &["diff", "1", "2"],
        &["report", ""],
        &["stats"],
    ] {
        let out = logbook()
            .args(args)
            .args(["--store", &as_reader])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success() && !out.stdout.is_empty(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // `--store` beside `--db` names two stores.
    let out = logbook()
        .args(["search", "x", "--db", "some.db", "--store", &as_reader])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("name two stores"));
}

/// GET `path` of the UI at `base` with the launch's token; the status and the answer's text.
fn ui_get(base: &str, token: &str, path: &str) -> (u16, String) {
    let response = match agent()
        .get(&format!("{base}{path}"))
        .set("Authorization", &format!("Bearer {token}"))
        .call()
    {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{path}: {e}"),
    };
    (response.status(), response.into_string().unwrap())
}

/// `serve --store` serves the UI from the PostgreSQL store: the API answers what the core reads
/// there, its live stream carries what arrives, exports download, and replays (kept with a SQLite
/// store only) are refused with a reason.
#[test]
fn serve_with_a_postgres_store_serves_the_ui_from_it() {
    use std::io::{BufRead, BufReader};
    let db = cluster().database("ui");
    let dir = tempfile::tempdir().unwrap();
    let secret = secret_file(dir.path());
    let child = logbook()
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--ui-listen",
            "127.0.0.1:0",
        ])
        .args(["--store", &db.url, "--secret-file"])
        .arg(&secret)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut server = crate::team::Served(child);
    let (mut endpoint, mut open) = (None, None);
    for line in BufReader::new(server.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("endpoint   POST ") {
            endpoint = Some(rest.split_whitespace().next().unwrap().to_owned());
        }
        if let Some(rest) = line.strip_prefix("open       ") {
            open = Some(rest.to_owned());
        }
        if line.starts_with("Ctrl-C stops") {
            break;
        }
    }
    let (endpoint, open) = (
        endpoint.unwrap(),
        open.expect("serve printed the UI's address"),
    );
    let (base, token) = open.split_once("/?token=").unwrap();

    // The live stream, open before anything arrives (its first batch, empty, says so), carries
    // what arrives (by polling).
    let (opened, is_open) = std::sync::mpsc::channel();
    let live = {
        let (base, token) = (base.to_owned(), token.to_owned());
        std::thread::spawn(move || {
            let response = ureq::AgentBuilder::new()
                .timeout_read(Duration::from_secs(20))
                .build()
                .get(&format!("{base}/api/live"))
                .set("Authorization", &format!("Bearer {token}"))
                .call()
                .unwrap();
            let mut ids = Vec::new();
            for line in BufReader::new(response.into_reader()).lines() {
                let Some(data) = line.unwrap().strip_prefix("data: ").map(str::to_owned) else {
                    continue;
                };
                let batch: Value = serde_json::from_str(&data).unwrap();
                let _ = opened.send(());
                ids.extend(
                    batch["rows"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|r| r["id"].as_i64().unwrap()),
                );
                if ids.len() >= 12 {
                    return ids;
                }
            }
            ids
        })
    };
    is_open.recv_timeout(Duration::from_secs(30)).unwrap();
    let log = dir.path().join("answers.ndjson");
    assert!(
        send(&endpoint, &secret, &samples_dir(), &log, 1)
            .wait()
            .unwrap()
            .success()
    );
    wait_projected(&mut db.client());
    assert_eq!(live.join().unwrap(), (1..=12).collect::<Vec<i64>>());

    let reader = PgReader::connect(&db.url).unwrap();
    let (status, messages) = ui_get(base, token, "/api/messages?q=bill&facets=true");
    assert_eq!(status, 200, "{messages}");
    let expected = search::messages(
        &reader,
        &Search {
            facets: true,
            ..Search::new("bill")
        },
        false,
    )
    .unwrap();
    let mut answered: Value = serde_json::from_str(&messages).unwrap();
    assert!(!expected.items.is_empty());
    // (Facets are counted under a time budget: only their values are compared.)
    answered["facets"] = comparable(&expected.facets);
    assert_eq!(answered, comparable(&expected));
    for path in [
        "/api/status",
        "/api/events?q=kind:call",
        "/api/conversations?q=",
        "/api/calls/b231ef28-c861-4f33-8a17-384d95d6ddb5",
        "/api/conversations/c3e1a7d4-5b28-4f90-8e6a-1d9b2c7f3a05",
        "/api/events/1",
        "/api/count?q=bill&subject=messages",
        "/api/custom-data/keys",
        "/api/trends?q=",
        "/api/qualifier-values?key=intent&prefix=",
        "/api/export?kind=calls&format=csv",
    ] {
        let (status, body) = ui_get(base, token, path);
        assert_eq!(status, 200, "{path}: {body}");
    }
    let (_, status) = ui_get(base, token, "/api/status");
    let status: Value = serde_json::from_str(&status).unwrap();
    assert_eq!(status["stats"]["events"], 12);
    assert_eq!(status["stats"]["last_event_id"], 12);

    let refused = agent()
        .post(&format!("{base}/api/replay"))
        .set("Authorization", &format!("Bearer {token}"))
        .set("Content-Type", "application/json")
        .send_string(r#"{"event": 1, "to": "http://127.0.0.1:9/", "signing": "none"}"#);
    match refused {
        Err(ureq::Error::Status(400, r)) => {
            assert!(r.into_string().unwrap().contains("SQLite store only"))
        }
        other => panic!("{other:?}"),
    }
    drop(server);
}
