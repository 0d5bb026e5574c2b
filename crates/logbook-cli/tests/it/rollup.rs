//! Trends' rollups: the figures summed from the hourly rollups (with the derived rows for the partial
//! hours at the edges) are the figures computed from the derived rows alone, measure by measure, on
//! generated traffic over random ranges (on and off hour boundaries, with one event, with none), per
//! endpoint, after a reindex, after retention deleted events and after new events arrived; on
//! SQLite and on a team's PostgreSQL store (the same checks, given either store), where the
//! projector is also interrupted mid-batch, everything is derived again, and retention drops a
//! month.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use logbook_core::query::trends::{self, Bucket, Compare, Trends, TrendsRequest};
use logbook_core::query::{Db, PgReader};
use logbook_core::store::projection::derived_path;
use logbook_core::store::{Outcome, PgStore, Retention, Store, StoreOptions, retention, rollup};

use crate::common::{accepted, eventually};
use crate::harness_postgres::cluster;
use crate::team::wait_projected;

const HOUR_MS: i64 = 3_600_000;

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap()
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap()
}

/// `events` generated bodies spread over three days from `start()`, by `seed`.
fn generated(events: u64, seed: u64) -> impl Iterator<Item = Vec<u8>> {
    let options = logbook_devtools::generate::GenerateOptions {
        seed,
        start: start(),
        span: chrono::Duration::days(3),
    };
    logbook_devtools::generate::Generator::with_event_count(options, events).take(events as usize)
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
    let bodies = generated(events, seed);
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
fn same(db: Db<'_>, request: &TrendsRequest) -> Trends {
    let fast = trends::trends(db, request, now()).unwrap();
    let rows = trends::trends_without_rollups(db, request, now()).unwrap();
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
    check_ranges_of((&conn).into(), seed)
}

/// [`check_ranges`] on either store.
fn check_ranges_of(db: Db<'_>, seed: u64) -> i64 {
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
        let t = same(db, &request(range.clone()));
        seen += t.current.totals.messages + t.current.totals.calls;
        same(db, &request(format!("{range} endpoint:/b")));
        same(
            db,
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
        let t = same((&conn).into(), &request(range.into()));
        let expected = i64::from(range.contains("03-20"));
        assert_eq!(t.current.totals.calls, expected, "{range}");
        assert_eq!(t.current.latency[0].overall.n, expected, "{range}");
    }
    let t = same(
        (&conn).into(),
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

/// Submits `events` generated events (three days from `start()`, by `seed`) to a PostgreSQL store,
/// the i-th received at `arrival(i)`, every third to the endpoint `/b` (the others to `/a`).
fn submit_generated(store: &PgStore, events: u64, seed: u64, arrival: impl Fn(usize) -> i64) {
    let bodies = generated(events, seed);
    for (i, body) in bodies.enumerate() {
        let endpoint = if i % 3 == 0 { "/b" } else { "/a" };
        let outcome = store
            .submit_event(accepted(body, arrival(i), endpoint))
            .unwrap();
        assert!(
            matches!(outcome, Outcome::Stored(_) | Outcome::Duplicate(_)),
            "{outcome:?}"
        );
    }
}

fn one(client: &mut postgres::Client, sql: &str) -> i64 {
    client.query_one(sql, &[]).unwrap().get(0)
}

/// A PostgreSQL store's rollups count every call and message projected, once, and number each
/// session with a message (and no other).
pub(crate) fn assert_rollups_hold_every_row(client: &mut postgres::Client) {
    let counted = |count: rollup::Count| {
        format!(
            "SELECT coalesce(sum(n), 0)::bigint FROM rollup_counts WHERE count = {}",
            count as i64
        )
    };
    let calls = one(client, "SELECT count(*) FROM calls");
    assert_eq!(
        one(client, &counted(rollup::Count::Calls)),
        calls,
        "calls in the rollups"
    );
    let messages = one(client, "SELECT count(*) FROM messages");
    assert_eq!(
        one(client, &counted(rollup::Count::Messages)),
        messages,
        "messages in the rollups"
    );
    assert_eq!(
        one(client, "SELECT count(*) FROM rollup_session_ids"),
        one(client, "SELECT count(DISTINCT session_id) FROM messages"),
        "numbered sessions"
    );
    assert_eq!(
        one(
            client,
            "SELECT count(*) FROM messages m WHERE m.session_id IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM rollup_session_ids s WHERE s.session_id = m.session_id)"
        ),
        0,
        "sessions without a number"
    );
}

/// Trends on a store (read through its rollups) are those of its derived rows alone, for ranges of
/// days up to `now` in hour and day buckets, off and on hours, per endpoint, compared with the
/// period before: what the team tests check after their receivers and a killed projector.
pub(crate) fn assert_trends_exact(db: Db<'_>, now: DateTime<Utc>) {
    let on_hour = now.timestamp_millis() / HOUR_MS * HOUR_MS;
    for (query, bucket, compare) in [
        ("after:8d".to_owned(), None, None),
        ("after:8d endpoint:*".to_owned(), Some(Bucket::Hour), None),
        (
            "after:3d".to_owned(),
            Some(Bucket::Hour),
            Some(Compare::Previous),
        ),
        (
            format!(
                "after:{} before:{}",
                ms(on_hour - 72 * HOUR_MS),
                ms(on_hour)
            ),
            Some(Bucket::Day),
            Some(Compare::Previous),
        ),
    ] {
        let request = TrendsRequest {
            query,
            bucket,
            compare,
            custom_key: Some("call_reason".into()),
        };
        let fast = trends::trends(db, &request, now).unwrap();
        let rows = trends::trends_without_rollups(db, &request, now).unwrap();
        assert_eq!(fast, rows, "{}", request.query);
    }
}

/// The projector's connection, once it is in a transaction projecting events (some are still to
/// project): its backend's pid.
fn projector_in_a_batch(client: &mut postgres::Client) -> i32 {
    let waited = std::time::Instant::now();
    loop {
        let busy = client
            .query_opt(
                "SELECT pid FROM pg_stat_activity
                 WHERE application_name = 'logbook projector' AND datname = current_database()
                   AND state IN ('active', 'idle in transaction')
                   AND EXISTS (SELECT 1 FROM events e, projection_state s
                               WHERE (e.tx, e.id) > (s.tx, s.event_id))",
                &[],
            )
            .unwrap();
        if let Some(row) = busy {
            return row.get(0);
        }
        assert!(
            waited.elapsed() < Duration::from_secs(30),
            "the projector never projected"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Ends the projector's session (as when its process is killed or loses the server): its
/// transaction is rolled back, and it connects again.
fn terminate(client: &mut postgres::Client, pid: i32) {
    let ended: bool = client
        .query_one("SELECT pg_terminate_backend($1)", &[&pid])
        .unwrap()
        .get(0);
    assert!(ended);
}

/// The same checks on a team's PostgreSQL store, whose projector keeps the rollups in each batch's
/// transaction: after events arrive, after its session ends mid-batch, after a deriver change
/// empties and rebuilds them, and after retention drops a month of arrivals (half of every hour's
/// events).
#[test]
fn rollups_on_postgres_give_the_figures_of_the_rows() {
    let db = cluster().database("rollups");
    let mut client = db.client();
    let store = PgStore::open(&db.url, &StoreOptions::default()).unwrap();
    let at = |y, m, d| {
        Utc.with_ymd_and_hms(y, m, d, 0, 0, 0)
            .unwrap()
            .timestamp_millis()
    };
    let (february, march) = (at(2026, 2, 10), at(2026, 3, 10));
    submit_generated(&store, 2_000, 11, |i| match i % 2 {
        0 => february + i as i64,
        _ => march + i as i64,
    });
    wait_projected(&mut client);
    assert_rollups_hold_every_row(&mut client);
    let reader = PgReader::connect(&db.url).unwrap();
    assert!(
        check_ranges_of((&reader).into(), 1) > 1_000,
        "the ranges hold the traffic"
    );

    // The projector's session ends in the middle of a batch (an open transaction holds the new
    // events back until they are all stored, so that they make one batch): it is rolled back,
    // rollups with the rows, and projected again once.
    let mut hold = db.client();
    hold.batch_execute("BEGIN; SELECT pg_current_xact_id();")
        .unwrap();
    submit_generated(&store, 1_000, 12, |i| march + 10_000 + i as i64);
    hold.batch_execute("COMMIT").unwrap();
    let pid = projector_in_a_batch(&mut client);
    terminate(&mut client, pid);
    wait_projected(&mut client);
    assert_eq!(
        one(&mut client, "SELECT projected FROM projection_state"),
        one(&mut client, "SELECT count(*) FROM events"),
        "each event projected once"
    );
    assert_rollups_hold_every_row(&mut client);
    check_ranges_of((&reader).into(), 2);

    // A deriver change empties the rollups with the derived tables and derives them again: a
    // figure made wrong before is right after.
    client
        .batch_execute(
            "UPDATE rollup_counts SET n = n + 1000 WHERE count = 0;
             UPDATE projection_state SET deriver_version = deriver_version - 1;",
        )
        .unwrap();
    let pid = one(
        &mut client,
        "SELECT pid::bigint FROM pg_stat_activity
         WHERE application_name = 'logbook projector' AND datname = current_database()",
    );
    terminate(&mut client, pid as i32);
    eventually("the rebuild", || {
        one(&mut client, "SELECT deriver_version FROM projection_state")
            == logbook_core::watson::derive::DERIVER_VERSION
    });
    wait_projected(&mut client);
    assert_rollups_hold_every_row(&mut client);
    check_ranges_of((&reader).into(), 3);

    // Retention drops February's arrivals: half the events of every hour, whose rows (and
    // endpoints) go with the month. The projector counts those hours again from what is left.
    let expired = store
        .expire_before(at(2026, 3, 1))
        .unwrap()
        .expect("no other pass running");
    assert_eq!(expired.months, [("events_2026_02".to_owned(), 1_000)]);
    eventually("retention applied by the projector", || {
        one(
            &mut client,
            "SELECT retention_through FROM projection_state",
        ) >= 1
    });
    assert_eq!(
        one(
            &mut client,
            "SELECT count(*) FROM messages m WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.id = m.event_id)"
        ),
        0,
        "no derived row outlives its event"
    );
    assert_rollups_hold_every_row(&mut client);
    assert!(check_ranges_of((&reader).into(), 4) > 500);

    // New events arrive, over the same days.
    submit_generated(&store, 500, 13, |i| march + 20_000 + i as i64);
    wait_projected(&mut client);
    assert_rollups_hold_every_row(&mut client);
    check_ranges_of((&reader).into(), 5);
    store.close().unwrap();

    // The check can fail: the rollups are what Trends reads on PostgreSQL, and one count off
    // is seen.
    let changed = client
        .execute(
            "UPDATE rollup_counts SET n = n + 1
             WHERE (hour, endpoint, count, given, value) IN
                 (SELECT hour, endpoint, count, given, value FROM rollup_counts
                  WHERE hour = $1 AND count = 0 LIMIT 1)",
            &[&(start().timestamp_millis() + 30 * HOUR_MS)],
        )
        .unwrap();
    assert_eq!(changed, 1);
    let range = request("after:2026-03-02T12:00:00Z before:2026-03-04T12:00:00Z".into());
    assert_ne!(
        trends::trends(&reader, &range, now()).unwrap(),
        trends::trends_without_rollups(&reader, &range, now()).unwrap()
    );
}
