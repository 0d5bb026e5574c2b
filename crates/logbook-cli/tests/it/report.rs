//! `logbook report`: figures checked against values worked out by hand from a small set of bodies
//! (the samples, plus calls and messages made here with the quirks of real traffic: a call without
//! turns, a hangup turn of 0 ms, a turn that starts before its call, missing times and IBM's
//! `1970-01-01T00:00:00Z` placeholder), and against values computed from the stored bodies by the
//! test itself, never by the SQL under test.

use serde_json::{Value, json};

use crate::common::{Backend, Harness, all_samples, logbook, on_both_stores};

/// A call record's fields that matter here.
struct Cdr<'a> {
    id: &'a str,
    start: Option<&'a str>,
    end_reason: &'a str,
    failed: bool,
    transferred: bool,
    setup_ms: Option<i64>,
    turns: Value,
    warnings: Value,
    custom: Value,
}

impl Default for Cdr<'_> {
    fn default() -> Self {
        Self {
            id: "",
            start: None,
            end_reason: "caller_hangup",
            failed: false,
            transferred: false,
            setup_ms: None,
            turns: json!([]),
            warnings: json!([]),
            custom: json!({}),
        }
    }
}

fn call(cdr: Cdr<'_>) -> Vec<u8> {
    let Cdr {
        id,
        start,
        end_reason,
        failed,
        transferred,
        setup_ms,
        turns,
        warnings,
        custom,
    } = cdr;
    let mut call = json!({ "end_reason": end_reason, "milliseconds_elapsed": 60000 });
    if let Some(start) = start {
        call["start_timestamp"] = json!(start);
    }
    let mut sip = json!({ "headers": { "call_id": format!("sip-{id}") } });
    if let Some(ms) = setup_ms {
        sip["setup_milliseconds"] = json!(ms);
    }
    let mut payload = json!({
        "global_session_id": id,
        "call": call,
        "failure_occurred": failed,
        "transfer_occurred": transferred,
        "session_initiation_protocol": sip,
        "assistant_interaction_summaries": [{ "session_id": format!("s-{id}"), "turns": turns }],
        "warnings_and_errors": warnings,
        "injected_custom_data": custom,
    });
    if failed {
        payload["failure_details"] = json!("SIP 503 from the assistant");
    }
    serde_json::to_vec(&json!({ "event": { "name": "cdr_logged" }, "payload": payload })).unwrap()
}

fn turn(ms: i64, start: &str, request: &str) -> Value {
    json!({
        "assistant": { "log_id": format!("log-{start}"), "response_milliseconds": ms, "start_timestamp": start },
        "request": { "type": request },
        "response": [{ "type": "text_to_speech" }]
    })
}

fn message(
    log_id: &str,
    session: &str,
    request: Option<&str>,
    response: Option<&str>,
    intent: (&str, f64),
    speech: bool,
) -> Vec<u8> {
    let mut input = json!({ "message_type": "text", "text": "hello" });
    if speech {
        input["integrations"] =
            json!({ "voice_telephony": { "speech_to_text_result": { "confidence": 0.8 } } });
    }
    let mut payload = json!({
        "log_id": log_id,
        "session_id": session,
        "request": { "input": input },
        "response": { "output": { "generic": [], "intents": [{ "intent": intent.0, "confidence": intent.1 }] } },
    });
    if let Some(t) = request {
        payload["request_timestamp"] = json!(t);
    }
    if let Some(t) = response {
        payload["response_timestamp"] = json!(t);
    }
    serde_json::to_vec(&json!({ "event": { "name": "message_logged" }, "payload": payload }))
        .unwrap()
}

/// The samples (all on 2026-03-10) and the bodies of this test: on 2026-03-12, and four whose
/// times are missing or the 1970 placeholder (filed at their arrival, now).
fn loaded(backend: Backend) -> Harness {
    let h = Harness::start_on(backend);
    for (name, body) in all_samples() {
        assert_eq!(h.post_signed(&body).0, 200, "{name}");
    }
    let bodies = [
        // Hour 10: two answered turns and the hangup's 0 ms; a warning seen in the samples before.
        call(Cdr {
            id: "c1",
            start: Some("2026-03-12T10:05:00Z"),
            setup_ms: Some(1000),
            turns: json!([
                turn(300, "2026-03-12T10:05:01Z", "start"),
                turn(500, "2026-03-12T10:05:10Z", "speech_to_text"),
                turn(0, "2026-03-12T10:06:00Z", "hangup")
            ]),
            warnings: json!([{ "code": "CWSMR0031W", "message": "underflow" }]),
            custom: json!({ "call_reason": "billing" }),
            ..Cdr::default()
        }),
        // Hour 11: failed and transferred; its first turn's clock says 10:59:59.900, before the call.
        call(Cdr {
            id: "c2",
            start: Some("2026-03-12T11:00:00.500Z"),
            end_reason: "failed",
            failed: true,
            transferred: true,
            setup_ms: Some(2000),
            turns: json!([
                turn(700, "2026-03-12T10:59:59.900Z", "start"),
                turn(100, "2026-03-12T11:00:05Z", "transfer_failed")
            ]),
            warnings: json!([{ "id": "CWSXX0001E", "message": "never seen before" }]),
            custom: json!({ "call_reason": "billing" }),
        }),
        // Hour 11: a call without turns.
        call(Cdr {
            id: "c3",
            start: Some("2026-03-12T11:15:00Z"),
            end_reason: "assistant_hangup",
            custom: json!({ "call_reason": "sales" }),
            ..Cdr::default()
        }),
        // The 1970 placeholder and no start time at all: both filed at their arrival.
        call(Cdr {
            id: "c4",
            start: Some("1970-01-01T00:00:00Z"),
            turns: json!([turn(900, "1970-01-01T00:00:00Z", "start")]),
            ..Cdr::default()
        }),
        call(Cdr {
            id: "c5",
            ..Cdr::default()
        }),
        message(
            "m1",
            "S1",
            Some("2026-03-12T10:05:01Z"),
            Some("2026-03-12T10:05:01.250Z"),
            ("pay_bill", 0.9),
            false,
        ),
        message(
            "m2",
            "S1",
            Some("2026-03-12T10:06:00Z"),
            Some("2026-03-12T10:06:00.450Z"),
            ("pay_bill", 0.4),
            false,
        ),
        // `response` as fast as the request: 0 ms is a value.
        message(
            "m3",
            "S2",
            Some("2026-03-12T11:20:00Z"),
            Some("2026-03-12T11:20:00Z"),
            ("other", 0.7),
            true,
        ),
        // No response time: no latency.
        message(
            "m4",
            "S2",
            Some("2026-03-12T11:21:00Z"),
            None,
            ("other", 0.7),
            false,
        ),
        // The placeholder request time: filed at arrival; no latency (the request time is unknown).
        message(
            "m5",
            "S3",
            Some("1970-01-01T00:00:00Z"),
            Some("2026-03-12T12:00:00Z"),
            ("pay_bill", 0.95),
            false,
        ),
        message("m6", "S3", None, None, ("pay_bill", 0.95), false),
    ];
    for body in bodies {
        assert_eq!(h.post_signed(&body).0, 200);
    }
    h.projected();
    h
}

fn report(h: &Harness, args: &[&str]) -> Value {
    let out = logbook()
        .arg("report")
        .args(h.store_args())
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn latency<'a>(period: &'a Value, name: &str) -> &'a Value {
    period["latency"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == name)
        .unwrap_or_else(|| panic!("no {name}"))
}

fn pct(n: i64, p50: Option<i64>, p95: Option<i64>, p99: Option<i64>) -> Value {
    json!({ "n": n, "p50": p50, "p95": p95, "p99": p99 })
}

on_both_stores! {
fn a_day_by_hour_matches_the_figures_worked_out_by_hand(backend: Backend) {
    let h = loaded(backend);
    let t = report(
        &h,
        &[
            "after:2026-03-12 before:2026-03-13",
            "--by",
            "hour",
            "--custom",
            "call_reason",
        ],
    );
    assert!(
        t["method"]
            .as_str()
            .unwrap()
            .starts_with("nearest-rank, exact")
    );
    let c = &t["current"];
    assert_eq!(
        c["totals"],
        json!({ "messages": 4, "conversations": 2, "calls": 3, "failed": 1, "transferred": 1,
                "with_warnings": 2, "rejected": 0 })
    );
    assert_eq!(c["bucket"], "hour");
    assert_eq!(c["buckets"].as_array().unwrap().len(), 24);
    let hour = |h: usize| &c["buckets"][h];
    assert_eq!(hour(10)["calls"], 1);
    assert_eq!(hour(10)["messages"], 2);
    assert_eq!(hour(10)["conversations"], 1);
    assert_eq!(hour(11)["calls"], 2);
    assert_eq!(hour(11)["failed"], 1);
    assert_eq!(hour(11)["transferred"], 1);
    assert_eq!(hour(11)["messages"], 2);
    assert_eq!(hour(9)["calls"], 0);

    // Turns with response_milliseconds > 0: c1 300, 500 (its hangup's 0 left out), c2 700, 100.
    // Sorted 100 300 500 700: p50 = rank ceil(0.5 × 4) = 2 → 300; p95 and p99 = rank 4 → 700.
    let turns = latency(c, "assistant_turn_ms");
    assert_eq!(turns["overall"], pct(4, Some(300), Some(700), Some(700)));
    // By the call's start: hour 10 has c1's 300 and 500, hour 11 c2's 100 and 700, even the turn
    // whose own clock says 10:59:59.900.
    assert_eq!(
        turns["buckets"][10],
        pct(2, Some(300), Some(500), Some(500))
    );
    assert_eq!(
        turns["buckets"][11],
        pct(2, Some(100), Some(700), Some(700))
    );
    assert_eq!(turns["buckets"][12], pct(0, None, None, None));
    // Messages with both times: 250, 450 and 0 → sorted 0 250 450: p50 rank 2 → 250, p95 rank 3.
    assert_eq!(
        latency(c, "assistant_message_ms")["overall"],
        pct(3, Some(250), Some(450), Some(450))
    );
    assert_eq!(
        latency(c, "setup_ms")["overall"],
        pct(2, Some(1000), Some(2000), Some(2000))
    );

    let counts = |list: &Value| -> Vec<(Value, i64)> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|c| (c["value"].clone(), c["count"].as_i64().unwrap()))
            .collect()
    };
    assert_eq!(
        counts(&c["end_reasons"]),
        vec![
            (json!("assistant_hangup"), 1),
            (json!("caller_hangup"), 1),
            (json!("failed"), 1)
        ]
    );
    assert_eq!(
        counts(&c["failure_details"]),
        vec![(json!("SIP 503 from the assistant"), 1)]
    );
    // CWSMR0031W was carried by sample calls on 2026-03-10: not new. CWSXX0001E is.
    assert_eq!(
        c["warning_codes"],
        json!([
            { "code": "CWSMR0031W", "calls": 1, "occurrences": 1, "new": false },
            { "code": "CWSXX0001E", "calls": 1, "occurrences": 1, "new": true }
        ])
    );
    // pay_bill at 0.9 and 0.4: median by nearest rank (rank 1 of 2) is 0.4, and one is low.
    assert_eq!(
        c["intents"],
        json!([
            { "intent": "other", "title": null, "count": 2, "median_confidence": 0.7, "low": 0 },
            { "intent": "pay_bill", "title": null, "count": 2, "median_confidence": 0.4, "low": 1 }
        ])
    );
    assert_eq!(c["low_confidence"], json!({ "count": 1, "of": 4 }));
    assert_eq!(
        counts(&c["input_kinds"]),
        vec![(json!("text"), 3), (json!("speech"), 1)]
    );
    assert_eq!(counts(&c["turns_per_conversation"])[1], (json!("2"), 2));
    assert_eq!(
        c["custom"],
        json!({ "key": "call_reason", "without_key": 0, "values": [
            { "value": "billing", "count": 2, "other": false },
            { "value": "sales", "count": 1, "other": false }
        ] })
    );
    assert_eq!(
        hour(11)["custom"][0],
        json!({ "value": "billing", "count": 1, "other": false })
    );
    let slowest: Vec<(i64, &str)> = c["slowest_turns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["assistant_ms"].as_i64().unwrap(),
                s["global_session_id"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        slowest,
        vec![(700, "c2"), (500, "c1"), (300, "c1"), (100, "c2")]
    );

    // From 11:00 on: c2 is in (its early turn with it), c1 is not.
    let t = report(&h, &["after:2026-03-12T11:00:00Z before:2026-03-13"]);
    assert_eq!(t["current"]["totals"]["calls"], 2);
    assert_eq!(
        latency(&t["current"], "assistant_turn_ms")["overall"]["n"],
        2
    );
}
}

on_both_stores! {
fn missing_and_placeholder_times_are_filed_at_arrival_never_in_1970(backend: Backend) {
    let h = loaded(backend);
    let t = report(&h, &["after:1h"]);
    let c = &t["current"];
    // c4 (1970) and c5 (no time); m5 (1970 request) and m6 (no times).
    assert_eq!(c["totals"]["calls"], 2);
    assert_eq!(c["totals"]["messages"], 2);
    assert_eq!(c["totals"]["conversations"], 1);
    assert_eq!(
        latency(c, "assistant_turn_ms")["overall"],
        pct(1, Some(900), Some(900), Some(900))
    );
    assert_eq!(latency(c, "assistant_message_ms")["overall"]["n"], 0);
    let t = report(&h, &["before:2000-01-01"]);
    assert_eq!(t["current"]["totals"]["calls"], 0);
    assert_eq!(t["current"]["totals"]["messages"], 0);
}
}

/// The nearest-rank percentile, written again here: the value at rank ceil(p × n / 100).
fn nearest(sorted: &[i64], p: usize) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p * sorted.len()) as f64 / 100.0).ceil() as usize;
    Some(sorted[rank.max(1) - 1])
}

on_both_stores! {
fn the_compared_period_agrees_with_the_stored_bodies(backend: Backend) {
    let h = loaded(backend);
    // The samples' day, two days before the test's day.
    let t = report(
        &h,
        &["after:2026-03-12 before:2026-03-13", "--compare", "2d"],
    );
    let p = &t["previous"];
    assert_eq!(p["start_ms"], 1_773_100_800_000i64); // 2026-03-10T00:00:00Z

    // From the stored bodies, read here with serde_json: the calls and messages of 2026-03-10.
    let bodies: Vec<(String, Value)> = h
        .kinds_and_bodies()
        .into_iter()
        .map(|(kind, body)| (kind, serde_json::from_slice(&body).unwrap()))
        .collect();
    let on_the_10th = |t: &Value| t.as_str().is_some_and(|t| t.starts_with("2026-03-10"));
    let calls: Vec<&Value> = bodies
        .iter()
        .filter(|(k, b)| k == "cdr_logged" && on_the_10th(&b["payload"]["call"]["start_timestamp"]))
        .map(|(_, b)| &b["payload"])
        .collect();
    let messages = bodies
        .iter()
        .filter(|(k, b)| k == "message_logged" && on_the_10th(&b["payload"]["request_timestamp"]))
        .count();
    let mut turn_ms: Vec<i64> = calls
        .iter()
        .flat_map(|c| c["assistant_interaction_summaries"].as_array().unwrap())
        .flat_map(|s| s["turns"].as_array().unwrap())
        .filter_map(|t| t["assistant"]["response_milliseconds"].as_i64())
        .filter(|&ms| ms > 0)
        .collect();
    turn_ms.sort_unstable();
    let failed = calls
        .iter()
        .filter(|c| c["failure_occurred"] == true)
        .count();

    assert_eq!(p["totals"]["calls"], calls.len());
    assert_eq!(p["totals"]["messages"], messages);
    assert_eq!(p["totals"]["failed"], failed);
    assert_eq!(
        latency(p, "assistant_turn_ms")["overall"],
        pct(
            turn_ms.len() as i64,
            nearest(&turn_ms, 50),
            nearest(&turn_ms, 95),
            nearest(&turn_ms, 99)
        )
    );
    let change = t["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["measure"] == "calls")
        .unwrap();
    assert_eq!(change["current"], 3.0);
    assert_eq!(change["previous"], calls.len() as f64);
    // An actions skill's intent is named by its action's title, read from the turn's debug output.
    let titled: Vec<(String, String)> = bodies
        .iter()
        .filter(|(k, b)| k == "message_logged" && on_the_10th(&b["payload"]["request_timestamp"]))
        .flat_map(|(_, b)| {
            let output = &b["payload"]["response"]["output"];
            // `action_24031_intent_11874` is the intent of action `action_24031`.
            let intent = output["intents"][0]["intent"].as_str()?;
            let (action, _) = intent.split_once("_intent_")?;
            let title = output["debug"]["turn_events"]
                .as_array()?
                .iter()
                .filter(|e| e["source"]["action"] == action)
                .find_map(|e| e["source"]["action_title"].as_str())?;
            Some((intent.to_owned(), title.to_owned()))
        })
        .collect();
    assert!(!titled.is_empty(), "a sample names an action's title");
    // Top actions: each message counts once under each title its turn events name.
    let mut actions: std::collections::BTreeMap<String, i64> = Default::default();
    for (_, b) in bodies
        .iter()
        .filter(|(k, b)| k == "message_logged" && on_the_10th(&b["payload"]["request_timestamp"]))
    {
        let events = b["payload"]["response"]["output"]["debug"]["turn_events"].as_array();
        let titles: std::collections::BTreeSet<&str> = events
            .into_iter()
            .flatten()
            .filter_map(|e| e["source"]["action_title"].as_str())
            .collect();
        for title in titles {
            *actions.entry(title.to_owned()).or_default() += 1;
        }
    }
    assert!(!actions.is_empty());
    let reported: std::collections::BTreeMap<String, i64> = p["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["value"].as_str().unwrap().to_owned(),
                a["count"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(reported, actions);
    for (intent, title) in titled {
        let row = p["intents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["intent"] == intent.as_str())
            .unwrap_or_else(|| panic!("{intent} among the top intents"));
        assert_eq!(row["title"], title.as_str(), "{intent}");
    }
}
}

on_both_stores! {
fn csv_has_one_row_per_figure_and_bad_options_are_refused(backend: Backend) {
    let h = loaded(backend);
    let out = logbook()
        .arg("report")
        .args(h.store_args())
        .args([
            "after:2026-03-12 before:2026-03-13",
            "--by",
            "day",
            "--format",
            "csv",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "period,bucket_start,measure,value");
    assert!(lines.contains(&"current,total,calls,3"), "{text}");
    assert!(
        lines.contains(&"current,2026-03-12T00:00:00.000Z,assistant_turn_ms.p50,300"),
        "{text}"
    );

    for (args, says) in [
        (
            vec!["after:2026-03-12", "--compare", "7x"],
            "bad comparison",
        ),
        (vec!["after:2020-01-01", "--by", "minute"], "too many"),
        (vec!["after:2026-03-13 before:2026-03-12"], "range is empty"),
        (vec!["intent:"], "bad query"),
    ] {
        let out = logbook()
            .arg("report")
            .args(h.store_args())
            .args(&args)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
    }
}
}
