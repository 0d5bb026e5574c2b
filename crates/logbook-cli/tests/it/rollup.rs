//! Trends' rollups: the figures summed from the hourly rollups (with the derived rows for the partial
//! hours at the edges) are the figures computed from the derived rows alone, measure by measure, on
//! generated traffic over random ranges (on and off hour boundaries, with one event, with none), per
//! endpoint, after a reindex, after retention deleted events and after new events arrived.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use logbook_core::query::trends::{self, Bucket, Compare, Trends, TrendsRequest};
use logbook_core::store::projection::derived_path;
use logbook_core::store::{Retention, Store, StoreOptions, retention, rollup};

const HOUR_MS: i64 = 3_600_000;

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap()
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap()
}

/// Imports `events` generated events spread over three days from `start()`.
fn generate(db: &std::path::Path, events: u64, seed: u64, rebuild: bool) {
    let store = Store::open(
        db,
        StoreOptions {
            rebuild,
            ..StoreOptions::default()
        },
    )
    .unwrap();
    let options = logbook_devtools::generate::GenerateOptions {
        seed,
        start: start(),
        span: chrono::Duration::days(3),
    };
    let bodies = logbook_devtools::generate::Generator::with_event_count(options, events)
        .take(events as usize);
    logbook_core::import::import_bodies(&store, "generated", bodies, &|_| {}).unwrap();
    assert!(store.wait_projected(Duration::from_secs(60)).unwrap());
    store.close().unwrap();
}

fn ms(at: i64) -> String {
    Utc.timestamp_millis_opt(at)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Both ways, compared measure by measure (so that a difference names its measure).
fn same(conn: &rusqlite::Connection, request: &TrendsRequest) -> Trends {
    let fast = trends::trends(conn, request, now()).unwrap();
    let rows = trends::trends_without_rollups(conn, request, now()).unwrap();
    for (f, r) in std::iter::once((&fast.current, &rows.current))
        .chain(fast.previous.iter().zip(rows.previous.iter()))
    {
        let q = &request.query;
        assert_eq!(f.totals, r.totals, "totals of {q}");
        assert_eq!(f.buckets, r.buckets, "buckets of {q}");
        for (lf, lr) in f.latency.iter().zip(&r.latency) {
            assert_eq!(lf, lr, "{} of {q}", lr.name);
        }
        assert_eq!(f.end_reasons, r.end_reasons, "end reasons of {q}");
        assert_eq!(
            f.failure_details, r.failure_details,
            "failure details of {q}"
        );
        assert_eq!(f.warning_codes, r.warning_codes, "warning codes of {q}");
        assert_eq!(f.intents, r.intents, "intents of {q}");
        assert_eq!(f.actions, r.actions, "actions of {q}");
        assert_eq!(f.input_kinds, r.input_kinds, "input kinds of {q}");
        assert_eq!(
            f.turns_per_conversation, r.turns_per_conversation,
            "turns of {q}"
        );
        assert_eq!(
            f.intent_confidence, r.intent_confidence,
            "intent confidence of {q}"
        );
        assert_eq!(f.stt_confidence, r.stt_confidence, "stt confidence of {q}");
        assert_eq!(f.low_confidence, r.low_confidence, "low confidence of {q}");
        assert_eq!(f.barge_in, r.barge_in, "barge-in of {q}");
        assert_eq!(f.custom, r.custom, "custom of {q}");
        assert_eq!(f.slowest_turns, r.slowest_turns, "slowest turns of {q}");
    }
    assert_eq!(fast, rows, "{}", request.query);
    fast
}

fn request(query: String) -> TrendsRequest {
    TrendsRequest {
        query,
        ..TrendsRequest::default()
    }
}

/// Random ranges over the traffic and around it: any start (to the second), 4 hours to 4 days
/// long, and the same ranges moved onto hour boundaries; per endpoint, with a custom key, by hour,
/// compared with the period before. Returns how many events the ranges held, summed.
fn check_ranges(db: &std::path::Path, seed: u64) -> i64 {
    let conn = logbook_core::store::open_reader(db).unwrap();
    // xorshift: the same ranges on every run.
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut random_range = |range: std::ops::Range<i64>| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        range.start + (state % (range.end - range.start) as u64) as i64
    };
    let t0 = start().timestamp_millis();
    let mut seen = 0;
    for round in 0..12 {
        let from = t0 - 6 * HOUR_MS + random_range(0..4 * 24 * HOUR_MS) / 1000 * 1000;
        let to = from + random_range(4 * HOUR_MS..4 * 24 * HOUR_MS) / 1000 * 1000;
        let (from, to) = match round % 3 {
            0 => (from, to),
            1 => (from / HOUR_MS * HOUR_MS, to / HOUR_MS * HOUR_MS),
            _ => (from / HOUR_MS * HOUR_MS + 1000, to / HOUR_MS * HOUR_MS),
        };
        let range = format!("after:{} before:{}", ms(from), ms(to));
        let t = same(&conn, &request(range.clone()));
        seen += t.current.totals.messages + t.current.totals.calls;
        same(&conn, &request(format!("{range} endpoint:/b")));
        same(
            &conn,
            &TrendsRequest {
                query: range.clone(),
                bucket: Some(Bucket::Hour),
                compare: Some(Compare::Previous),
                custom_key: Some("call_reason".into()),
            },
        );
    }
    seen
}

#[test]
fn rollups_give_the_figures_of_the_rows() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    generate(&db, 3_000, 11, false);

    // A second endpoint, taken into account by a reindex (which rebuilds the rollups too).
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute("UPDATE events SET endpoint = '/b' WHERE id % 3 = 0", [])
        .unwrap();
    drop(conn);
    generate(&db, 0, 0, true);
    assert!(check_ranges(&db, 1) > 1_000, "the ranges hold the traffic");

    // A range with no event, and ranges around a single call, far from the rest.
    let lone = r#"{"event":{"name":"cdr_logged"},"payload":{"global_session_id":"lone",
        "call":{"start_timestamp":"2026-03-20T10:30:00Z","end_reason":"caller_hangup"},
        "assistant_interaction_summaries":[{"session_id":"s","turns":[{"assistant":
        {"response_milliseconds":420,"start_timestamp":"2026-03-20T10:30:01Z"}}]}],
        "warnings_and_errors":[{"code":"CWSMR0099W","message":"lone"}]}}"#;
    let store = Store::open(&db, StoreOptions::default()).unwrap();
    logbook_core::import::import_bodies(&store, "lone", std::iter::once(lone.into()), &|_| {})
        .unwrap();
    assert!(store.wait_projected(Duration::from_secs(10)).unwrap());
    store.close().unwrap();
    let conn = logbook_core::store::open_reader(&db).unwrap();
    for range in [
        "after:2026-03-18T00:00:00Z before:2026-03-19T00:00:00Z",
        "after:2026-03-20T07:12:13Z before:2026-03-20T19:40:01Z",
        "after:2026-03-20T08:00:00Z before:2026-03-21T08:00:00Z",
    ] {
        let t = same(&conn, &request(range.into()));
        let expected = i64::from(range.contains("03-20"));
        assert_eq!(t.current.totals.calls, expected, "{range}");
        assert_eq!(t.current.latency[0].overall.n, expected, "{range}");
    }
    let t = same(
        &conn,
        &request("after:2026-03-20T00:00:00Z before:2026-03-22T00:00:00Z".into()),
    );
    let lone_code = t
        .current
        .warning_codes
        .iter()
        .find(|w| w.code.as_deref() == Some("CWSMR0099W"));
    assert!(
        lone_code.is_some_and(|w| w.new && w.calls == 1),
        "{lone_code:?}"
    );
    drop(conn);

    // Retention deletes the oldest events (by id, over its size), step by step, and the projector
    // takes them out of the derived file after them.
    let mut conn = rusqlite::Connection::open(&db).unwrap();
    let before: i64 = conn
        .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
        .unwrap();
    let tiny = Retention {
        max_age: None,
        max_bytes: Some(1),
    };
    for _ in 0..2 {
        retention::step(&mut conn, &tiny, now().timestamp_millis(), 0).unwrap();
    }
    let after: i64 = conn
        .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
        .unwrap();
    assert_eq!(before - after, 2 * retention::STEP_ROWS);
    drop(conn);
    let store = Store::open(&db, StoreOptions::default()).unwrap();
    assert!(store.wait_projected(Duration::from_secs(10)).unwrap());
    store.close().unwrap();
    let conn = logbook_core::store::open_reader(&db).unwrap();
    // The numbers of sessions left without a message are taken back, the others kept.
    let numbered = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(
        numbered("SELECT count(*) FROM messages WHERE event_id NOT IN (SELECT id FROM events)"),
        0,
        "no derived row outlives its event"
    );
    assert_eq!(
        numbered("SELECT count(*) FROM rollup_session_ids"),
        numbered("SELECT count(DISTINCT session_id) FROM messages")
    );
    assert_eq!(
        numbered(
            "SELECT count(*) FROM messages m
             WHERE m.session_id IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM rollup_session_ids s WHERE s.session_id = m.session_id)"
        ),
        0
    );
    drop(conn);
    check_ranges(&db, 2);

    // New events arrive, over the same days.
    generate(&db, 1_000, 12, false);
    check_ranges(&db, 3);

    // The check can fail: one count off in the rollups is seen.
    let conn = rusqlite::Connection::open(derived_path(&db)).unwrap();
    let changed = conn
        .execute(
            "UPDATE rollup_counts SET n = n + 1
             WHERE (hour, endpoint, count, given, value) IN
                 (SELECT hour, endpoint, count, given, value FROM rollup_counts
                  WHERE hour = ?1 AND count = 0 LIMIT 1)",
            [start().timestamp_millis() + 30 * HOUR_MS],
        )
        .unwrap();
    assert_eq!(changed, 1);
    drop(conn);
    let conn = logbook_core::store::open_reader(&db).unwrap();
    let range = request("after:2026-03-02T12:00:00Z before:2026-03-04T12:00:00Z".into());
    assert_ne!(
        trends::trends(&conn, &range, now()).unwrap(),
        trends::trends_without_rollups(&conn, &range, now()).unwrap()
    );
    drop(conn);

    // So is an hour's sessions lost, or an action's messages miscounted.
    let conn = rusqlite::Connection::open(derived_path(&db)).unwrap();
    let hour = start().timestamp_millis() + 30 * HOUR_MS;
    let lost = conn
        .execute("DELETE FROM rollup_sessions WHERE hour = ?1", [hour])
        .unwrap();
    assert!(lost > 0);
    let actions = conn
        .execute(
            "UPDATE rollup_counts SET n = n + 1 WHERE hour = ?1 AND count = ?2",
            rusqlite::params![hour, rollup::Count::Action as i64],
        )
        .unwrap();
    assert!(actions > 0);
    drop(conn);
    let conn = logbook_core::store::open_reader(&db).unwrap();
    let fast = trends::trends(&conn, &range, now()).unwrap().current;
    let rows = trends::trends_without_rollups(&conn, &range, now())
        .unwrap()
        .current;
    assert_ne!(fast.totals.conversations, rows.totals.conversations);
    assert_ne!(fast.actions, rows.actions);
}
