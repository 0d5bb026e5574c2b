//! The query language over the twelve samples: every qualifier, on every list, with exact answers,
//! on both stores.

use logbook_core::query::QueryError;
use logbook_core::query::db::Db;
use logbook_core::query::search::{self, Search};

use crate::common::*;

/// The samples by their file number, keyed by the ids a user sees.
const LOGS: &[(&str, &str)] = &[
    ("01", "a84e7710-756e-46ad-8046-959b2b32b1c7"),
    ("02", "b89de7ab-6a6e-4ef2-92de-b0f3fe190d89"),
    ("03", "dcbee131-bbab-4370-b87b-9be7005f92d3"),
    ("04", "91627182-a8e9-4117-99b8-ea7fc56ceef5"),
    ("05", "0d681cd4-5b22-45dd-b89e-20fa4ba97014"),
    ("06", "e4463f6d-c9c1-4490-8b56-568554bf2b2f"),
    ("07", "d54ba54a-4c95-404b-8f55-860ebf7a25fb"),
    ("08", "4784a180-8bcc-4d0f-9451-f1f881dde4f9"),
    ("09", "cb4ed5f6-d731-4a6c-81ad-f1ffcd66dea5"),
];
const CALLS: &[(&str, &str)] = &[
    ("10", "b81c72d7-6d04-4d9f-afea-c91d6f2d501f"),
    ("11", "b5db1650-98ef-42b4-83cc-96c9c5feb721"),
    ("12", "b231ef28-c861-4f33-8a17-384d95d6ddb5"),
];
const WEB: &str = "c3e1a7d4-5b28-4f90-8e6a-1d9b2c7f3a05";
const PHONE: &str = "4b7e9d21-c0a3-4e85-96f2-3d1a8c5b0e79";
const PHONE2: &str = "f0c2a8e6-7b41-4d93-a5e7-2b9d6c4f1a38";

fn loaded(backend: Backend) -> Harness {
    let h = Harness::start_on(backend);
    for (name, body) in all_samples() {
        assert_eq!(h.post_signed(&body).0, 200, "{name}");
    }
    h.projected();
    h
}

fn name_of(table: &[(&str, &str)], id: &str) -> String {
    table
        .iter()
        .find(|(_, i)| *i == id)
        .map(|(n, _)| n.to_string())
        .unwrap_or_else(|| id.to_owned())
}

fn all(q: &str) -> Search {
    Search {
        query: q.to_owned(),
        cursor: None,
        limit: 1000,
        facets: false,
        hits: false,
    }
}

fn messages(conn: Db<'_>, q: &str) -> Vec<String> {
    let page = search::messages(conn, &all(q), true).unwrap_or_else(|e| panic!("{q}: {e}"));
    page.items
        .iter()
        .map(|m| name_of(LOGS, m.log_id.as_deref().unwrap()))
        .collect()
}

fn calls(conn: Db<'_>, q: &str) -> Vec<String> {
    let page = search::calls(conn, &all(q), true).unwrap_or_else(|e| panic!("{q}: {e}"));
    let mut names: Vec<String> = page
        .items
        .iter()
        .map(|c| name_of(CALLS, c.global_session_id.as_deref().unwrap()))
        .collect();
    names.sort();
    names
}

fn conversations(conn: Db<'_>, q: &str) -> Vec<String> {
    let page = search::conversations(conn, &all(q)).unwrap_or_else(|e| panic!("{q}: {e}"));
    let mut ids: Vec<String> = page.items.iter().map(|c| c.session_id.clone()).collect();
    ids.sort();
    ids
}

fn list(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_owned).collect()
}

on_both_stores! {
fn every_qualifier_on_messages(backend: Backend) {
    let h = loaded(backend);
    let reader = h.query_reader();
    let conn = reader.db();
    let cases = [
        ("", "01 02 03 04 05 06 07 08 09"),
        ("refund", "01 03"),
        ("\"my order\"", "02"),
        ("order -shipped", "01 05"),
        ("kind:message", "01 02 03 04 05 06 07 08 09"),
        ("-kind:cdr", "01 02 03 04 05 06 07 08 09"),
        ("kind:cdr", ""),
        (&format!("session:{WEB}"), "01 02 03 04 05"),
        ("log:d54ba54a-4c95-404b-8f55-860ebf7a25fb", "07"),
        ("user:+18885550146", "06 07 08"),
        (
            "assistant:a91d4c07-6e2b-4f38-9c15-b7e0d3a2f864",
            "06 07 08 09",
        ),
        ("intent:pay_bill", "07"),
        ("-intent:pay_bill channel:phone", "06 08 09"),
        ("entity:sys-number", "02 08"),
        ("entity:sys-number=4821", "08"),
        ("type:connect_to_agent", "05 09"),
        ("type:option", "01"),
        ("phone:555014", "06 07 08"),
        ("channel:phone", "06 07 08 09"),
        ("channel:\"web chat\"", "01 02 03 04 05"),
        // Any case and spacing, and the start of the name, reach "Web chat".
        ("channel:web", "01 02 03 04 05"),
        ("channel:WebChat", "01 02 03 04 05"),
        ("channel:web_chat", "01 02 03 04 05"),
        ("channel:\"WEB  CHAT\"", "01 02 03 04 05"),
        ("channel:chat", ""),
        ("channel:PHONE", "06 07 08 09"),
        ("action:\"Check order status\"", "02"),
        ("action:\"check ORDER status\"", "02"),
        ("action:action_24031", "02"),
        ("action:welcome", "01"),
        ("-action:\"Greet customer\" channel:web", "02 03 04 05"),
        ("action:Check", ""),
        ("greet", "01"),
        ("end_reason:assistant_hangup", "06 07 08"),
        ("failed:true", "09"),
        ("transferred:true", "09"),
        ("warning:CWSMR0033W", "06 07 08"),
        ("custom.call_reason:pay_bill", "07"),
        ("custom.account_verified:true", "08"),
        ("custom.call_reason:*", "06 07 09"),
        ("confidence<0.7", "03"),
        ("confidence>0.9", "02 05 07 09"),
        ("after:2026-03-10T15:00:00Z", "06 07 08 09"),
        ("before:2026-03-10T15:00:00Z", "01 02 03 04 05"),
        ("turns>=5", "01 02 03 04 05"),
        ("verified:true", "01 02 03 04 05 06 07 08 09"),
        ("verified:false", ""),
        ("endpoint:*", "01 02 03 04 05 06 07 08 09"),
        ("call:b231ef28-c861-4f33-8a17-384d95d6ddb5", "06 07 08"),
    ];
    for (q, want) in cases {
        assert_eq!(messages(conn, q), list(want), "query {q:?}");
    }
}
}

on_both_stores! {
fn every_qualifier_on_calls(backend: Backend) {
    let h = loaded(backend);
    let reader = h.query_reader();
    let conn = reader.db();
    let cases = [
        ("", "10 11 12"),
        ("end_reason:failed", "11"),
        ("end_reason:callerHangup", "10"),
        ("-end_reason:failed", "10 12"),
        ("failed:true", "11"),
        ("failure:\"sip refer rejected\"", "11"),
        ("failure:503_", ""),
        ("-failure:REFER", "10 12"),
        ("failure:503", "11"),
        ("transferred:false", "10 12"),
        ("warning:CWSMR0033W", "12"),
        ("warning:CWSMR", "11 12"),
        ("-warning:CWSMR", "10"),
        ("custom.account_verified:true", "12"),
        ("custom.account_verified:false", ""),
        ("custom.call_reason:pay_bill", "12"),
        ("custom.payment_amount:42.5", "12"),
        ("custom.ivr_menu:*", "12"),
        ("duration>30s", "10"),
        ("duration<=20546", "11"),
        ("latency.tts>400", "11 12"),
        ("latency.stt>=1000", "11 12"),
        ("latency.assistant=212", "10"),
        ("setup>1700", "11"),
        ("warnings>=2", "12"),
        ("turns=3", "10 11 12"),
        ("confidence<0.5", ""),
        ("phone:+18885550173", "11"),
        ("user:+18885550112", "10"),
        ("intent:pay_bill", "12"),
        ("type:transfer", "11"),
        ("type:hangup", "11 12"),
        (&format!("session:{PHONE}"), "12"),
        ("log:d54ba54a-4c95-404b-8f55-860ebf7a25fb", "12"),
        ("call:b231ef28-c861-4f33-8a17-384d95d6ddb5", "12"),
        ("pay_bill", "12"),
        ("jitter", "12"),
        ("after:2026-03-10T16:00:00Z", "10 11"),
        ("before:2026-03-10T16:00:00Z", "12"),
        ("kind:cdr", "10 11 12"),
        ("verified:true end_reason:failed", "11"),
    ];
    for (q, want) in cases {
        assert_eq!(calls(conn, q), list(want), "query {q:?}");
    }
}
}

on_both_stores! {
fn conversations_match_when_any_turn_does(backend: Backend) {
    let h = loaded(backend);
    let reader = h.query_reader();
    let conn = reader.db();
    assert_eq!(conversations(conn, ""), {
        let mut v = vec![WEB.to_owned(), PHONE.to_owned(), PHONE2.to_owned()];
        v.sort();
        v
    });
    assert_eq!(conversations(conn, "intent:pay_bill"), vec![PHONE]);
    assert_eq!(conversations(conn, "end_reason:failed"), vec![PHONE2]);
    assert_eq!(
        conversations(conn, "channel:\"web chat\" refund"),
        vec![WEB]
    );
    let page = search::conversations(conn, &all(&format!("session:{WEB}"))).unwrap();
    let web = &page.items[0];
    assert_eq!((web.turns, web.channel.as_deref()), (5, Some("Web chat")));
    assert_eq!(
        web.first_text.as_deref(),
        Some("Where is my order 58213? I bought it online")
    );
}
}

on_both_stores! {
fn events_interleave_accepted_and_rejected_and_page_by_keyset(backend: Backend) {
    let h = loaded(backend);
    assert_eq!(h.post("/", None, b"{}").0, 401);
    let reader = h.query_reader();
    let conn = reader.db();
    let all_rows = search::events(conn, &all("")).unwrap().items;
    assert_eq!(all_rows.len(), 13);
    assert_eq!(all_rows[0].source, "rejected", "newest first");
    assert_eq!(all_rows[0].status, 401);
    assert!(all_rows[0].summary.contains("missing Authorization"));
    // Pages of 5 give the same rows, each once.
    let mut paged = Vec::new();
    let mut request = Search {
        query: String::new(),
        cursor: None,
        limit: 5,
        facets: false,
        hits: false,
    };
    loop {
        let page = search::events(conn, &request).unwrap();
        paged.extend(page.items.iter().map(|r| (r.source.clone(), r.id)));
        match page.next_cursor {
            Some(c) => request.cursor = Some(c),
            None => break,
        }
    }
    let expected: Vec<(String, i64)> = all_rows.iter().map(|r| (r.source.clone(), r.id)).collect();
    assert_eq!(paged, expected);

    let kinds = |q: &str| -> Vec<String> {
        search::events(conn, &all(q))
            .unwrap()
            .items
            .iter()
            .map(|r| r.kind.clone())
            .collect()
    };
    assert_eq!(kinds("kind:rejected"), vec!["rejected"]);
    assert_eq!(kinds("kind:cdr").len(), 3);
    assert_eq!(kinds("-kind:rejected").len(), 12);
    assert_eq!(kinds("intent:pay_bill"), vec!["message_logged"]);
    assert_eq!(kinds("end_reason:failed"), vec!["cdr_logged"]);
    assert_eq!(
        kinds("pay_bill").len(),
        2,
        "the message saying it and the call carrying it"
    );
    let summary = &search::events(conn, &all("end_reason:failed"))
        .unwrap()
        .items[0]
        .summary;
    assert_eq!(summary, "+18885550173 → +18005550123, 20.5 s, failed");
}
}

on_both_stores! {
fn facets_count_the_whole_filter(backend: Backend) {
    let h = loaded(backend);
    let reader = h.query_reader();
    let conn = reader.db();
    let page = search::calls(
        conn,
        &Search {
            facets: true,
            hits: false,
            ..all("")
        },
        false,
    )
    .unwrap();
    let facet = |name: &str| -> Vec<(String, i64)> {
        let f = page.facets.iter().find(|f| f.name == name).unwrap();
        assert!(!f.timed_out && f.error.is_none(), "{name}");
        f.values
            .iter()
            .map(|v| (v.value.clone(), v.count))
            .collect()
    };
    let pairs = |s: &[(&str, i64)]| -> Vec<(String, i64)> {
        s.iter().map(|(v, n)| (v.to_string(), *n)).collect()
    };
    assert_eq!(
        facet("end_reason"),
        pairs(&[("assistant_hangup", 1), ("caller_hangup", 1), ("failed", 1)])
    );
    assert_eq!(facet("failed"), pairs(&[("false", 2), ("true", 1)]));
    // The cause of each failure, as Watson wrote it, counted; calls without one are not counted.
    let failure = "Transfer to sip:+18005550199@sbc.example.com failed: SIP REFER rejected with 503 Service Unavailable";
    assert_eq!(facet("failure"), pairs(&[(failure, 1)]));
    // Its value searched back as the UI writes it (quoted) finds that call.
    assert_eq!(calls(conn, &format!("failure:\"{failure}\"")), list("11"));
    assert_eq!(
        facet("warning"),
        pairs(&[("CWSMR0031W", 2), ("CWSMR0033W", 1)])
    );
    assert_eq!(
        facet("custom"),
        pairs(&[
            ("account_verified", 1),
            ("call_reason", 1),
            ("ivr_menu", 1),
            ("payment_amount", 1)
        ])
    );
    let page = search::messages(
        conn,
        &Search {
            facets: true,
            hits: false,
            ..all("channel:phone")
        },
        false,
    )
    .unwrap();
    let intents = page.facets.iter().find(|f| f.name == "intent").unwrap();
    assert_eq!(intents.values.len(), 2);
    // An actions skill's intent is shown with its action's title; a dialog skill's has none.
    let page = search::messages(
        conn,
        &Search {
            facets: true,
            hits: false,
            ..all("")
        },
        false,
    )
    .unwrap();
    let intent = |name: &str| {
        let f = page.facets.iter().find(|f| f.name == "intent").unwrap();
        f.values.iter().find(|v| v.value == name).cloned().unwrap()
    };
    assert_eq!(
        intent("action_24031_intent_11874").label.as_deref(),
        Some("Check order status")
    );
    assert_eq!(intent("pay_bill").label, None);
    let actions = page.facets.iter().find(|f| f.name == "action").unwrap();
    let mut titles: Vec<(&str, i64)> = actions
        .values
        .iter()
        .map(|v| (v.value.as_str(), v.count))
        .collect();
    titles.sort();
    assert_eq!(
        titles,
        vec![
            ("Check order status", 1),
            ("Fallback", 1),
            ("Greet customer", 1),
            ("No action matches", 1)
        ]
    );
    let page = search::messages(
        conn,
        &Search {
            facets: true,
            hits: false,
            ..all("channel:phone")
        },
        false,
    )
    .unwrap();
    let channel = page.facets.iter().find(|f| f.name == "channel").unwrap();
    assert_eq!(
        channel.values,
        vec![search::FacetValue {
            value: "Phone".into(),
            count: 4,
            label: None
        }]
    );
}
}

on_both_stores! {
fn malformed_queries_point_at_the_bad_part(backend: Backend) {
    let h = loaded(backend);
    let reader = h.query_reader();
    let conn = reader.db();
    for (q, message, span) in [
        ("refund foo:bar", "unknown qualifier", 7..10),
        ("duration>abc", "duration", 9..12),
        ("\"unterminated", "unterminated", 0..13),
        ("user:", "empty", 0..5),
        ("failed:maybe", "boolean", 7..12),
        ("after:yesterdayish", "date", 6..18),
    ] {
        match search::messages(conn, &all(q), false) {
            Err(QueryError::Parse(e)) => {
                assert!(e.message.contains(message), "{q}: {}", e.message);
                assert_eq!(e.span, span, "{q}");
                assert!(e.render(q).contains('^'), "{q}");
            }
            other => panic!("{q}: expected a parse error, got {other:?}"),
        }
    }
    // Text that looks like syntax is searched as text, never an FTS error.
    for q in [
        "\"a\" OR \"b\" NEAR(x)",
        "-",
        "***",
        "a:b:c\"",
        "(((",
        "NOT AND OR",
    ] {
        let _ = search::messages(conn, &all(q), false);
    }
    assert_eq!(
        messages(conn, "\"58213?\""),
        vec!["02", "05"],
        "the user asked, the agent was told"
    );
}
}

on_both_stores! {
fn a_bad_cursor_is_refused(backend: Backend) {
    let h = loaded(backend);
    let reader = h.query_reader();
    let conn = reader.db();
    let bad = Search {
        cursor: Some("x.y".into()),
        ..all("")
    };
    assert!(matches!(
        search::calls(conn, &bad, false),
        Err(QueryError::BadCursor)
    ));
    assert!(matches!(
        search::events(conn, &bad),
        Err(QueryError::BadCursor)
    ));
}
}

/// Raw `call.end_reason` values as Watson may send them (the CDR reference's table, its 2021
/// example's `callerHangup`, and invented acronym-bearing ones), with the spellings a user may
/// type for each. Every spelling finds that call and no other, on the calls and events lists.
const END_REASONS: &[(&str, &[&str])] = &[
    (
        "assistant_transfer",
        &[
            "assistant_transfer",
            "assistantTransfer",
            "ASSISTANT_TRANSFER",
        ],
    ),
    ("assistant_hangup", &["assistant_hangup", "AssistantHangup"]),
    (
        "caller_hangup",
        &["caller_hangup", "callerHangup", "CALLER_HANGUP"],
    ),
    (
        "callerHangup",
        &["callerHangup", "caller_hangup", "caller-hangup"],
    ),
    ("failed", &["failed", "FAILED"]),
    (
        "SIPTimeout",
        &["SIPTimeout", "sip_timeout", "SIP_TIMEOUT", "sipTimeout"],
    ),
    ("HTTPError", &["HTTPError", "http_error", "HTTP_ERROR"]),
    ("RTPTimeoutX", &["RTPTimeoutX", "rtp_timeout_x"]),
    (
        "MRCPRecognitionUnsuccessful",
        &[
            "mrcp_recognition_unsuccessful",
            "MRCPRecognitionUnsuccessful",
        ],
    ),
    ("SIP404Error", &["SIP404Error", "sip404_error"]),
];

on_both_stores! {
fn end_reason_finds_a_call_whatever_spelling_watson_sent_or_the_user_typed(backend: Backend) {
    let h = Harness::start_on(backend);
    let template: serde_json::Value = serde_json::from_slice(&sample("12")).unwrap();
    for (i, (raw, _)) in END_REASONS.iter().enumerate() {
        let mut body = template.clone();
        body["payload"]["global_session_id"] = format!("end-reason-{i}").into();
        body["payload"]["call"]["end_reason"] = (*raw).into();
        let body = serde_json::to_vec(&body).unwrap();
        assert_eq!(h.post_signed(&body).0, 200, "{raw}");
    }
    h.projected();
    let reader = h.query_reader();
    let conn = reader.db();
    // Two calls carry caller_hangup (one spelled callerHangup): both are found by either spelling.
    let same_name = |a: &str, b: &str| {
        logbook_core::watson::names::normalise_name(a)
            == logbook_core::watson::names::normalise_name(b)
    };
    for (raw, spellings) in END_REASONS {
        let mut expected: Vec<String> = END_REASONS
            .iter()
            .enumerate()
            .filter(|(_, (other, _))| same_name(raw, other))
            .map(|(i, _)| format!("end-reason-{i}"))
            .collect();
        expected.sort();
        for spelling in *spellings {
            let q = format!("end_reason:{spelling}");
            assert_eq!(calls(conn, &q), expected, "{q} (raw {raw})");
            let events = search::events(conn, &all(&q)).unwrap().items;
            let mut found: Vec<String> = events
                .iter()
                .map(|e| e.global_session_id.clone().unwrap())
                .collect();
            found.sort();
            assert_eq!(found, expected, "{q} on events (raw {raw})");
        }
    }
    // The raw value is kept as it came; the stored name is the normalised one.
    assert_eq!(
        h.strings("SELECT end_reason_raw || ' ' || end_reason FROM calls WHERE global_session_id = 'end-reason-5'"),
        vec!["SIPTimeout sip_timeout"]
    );
}
}

on_both_stores! {
fn event_rows_carry_the_ids_show_opens(backend: Backend) {
    let h = loaded(backend);
    assert_eq!(h.post("/", None, b"{}").0, 401);
    let reader = h.query_reader();
    let conn = reader.db();
    let rows = search::events(conn, &all("")).unwrap().items;
    assert_eq!(rows.len(), 13);
    for row in &rows {
        match row.kind.as_str() {
            "message_logged" => {
                let log_id = row.log_id.as_deref().expect("a message has its log_id");
                assert!(LOGS.iter().any(|(_, id)| *id == log_id), "{log_id}");
                let session = row.session_id.as_deref().expect("and its session_id");
                assert!([WEB, PHONE, PHONE2].contains(&session), "{session}");
                assert_eq!(row.global_session_id, None);
                let shown = logbook_core::query::event::event(conn, log_id).unwrap();
                assert_eq!(shown.id, row.id);
                let conversation =
                    logbook_core::query::conversation::conversation(conn, session).unwrap();
                assert!(conversation.turns.iter().any(|t| t.event_id == row.id));
            }
            "cdr_logged" => {
                let id = row.global_session_id.as_deref().expect("a call has its id");
                assert!(CALLS.iter().any(|(_, c)| *c == id), "{id}");
                assert_eq!((&row.log_id, &row.session_id), (&None, &None));
                assert_eq!(
                    logbook_core::query::call::call(conn, id).unwrap().event_id,
                    row.id
                );
            }
            _ => {
                assert_eq!(row.source, "rejected");
                assert_eq!(
                    (&row.log_id, &row.session_id, &row.global_session_id),
                    (&None, &None, &None)
                );
            }
        }
    }
    // The JSON a script reads (`logbook search --format json`) has the three fields, and keeps
    // every field it had.
    let json = serde_json::to_value(&rows).unwrap();
    for row in json.as_array().unwrap() {
        for key in [
            "id",
            "source",
            "received_at",
            "kind",
            "status",
            "reason",
            "endpoint",
            "path",
            "auth",
            "verified",
            "bytes",
            "remote_addr",
            "duplicates",
            "summary",
            "log_id",
            "session_id",
            "global_session_id",
        ] {
            assert!(row.get(key).is_some(), "{key} in {row}");
        }
    }
}
}

on_both_stores! {
fn qualifier_values_complete_what_was_typed(backend: Backend) {
    use logbook_core::query::values::values;
    let h = loaded(backend);
    let reader = h.query_reader();
    let conn = reader.db();
    let got = |key: &str, prefix: &str| -> Vec<(String, Option<String>, i64)> {
        values(conn, key, prefix, 8)
            .unwrap()
            .into_iter()
            .map(|v| (v.value, v.label, v.count))
            .collect()
    };
    assert_eq!(got("intent", "pa"), vec![("pay_bill".into(), None, 1)]);
    // An actions skill's intent is found by its action's title too, and comes with it.
    assert_eq!(
        got("intent", "order"),
        vec![(
            "action_24031_intent_11874".into(),
            Some("Check order status".into()),
            1
        )]
    );
    assert_eq!(
        got("action", "check"),
        vec![("Check order status".into(), None, 1)]
    );
    assert_eq!(
        got("channel", "")
            .into_iter()
            .map(|v| v.0)
            .collect::<Vec<_>>(),
        vec!["Phone", "Web chat"]
    );
    assert_eq!(got("CHANNEL", "we")[0].0, "Web chat");
    assert_eq!(got("end_reason", "f"), vec![("failed".into(), None, 1)]);
    assert_eq!(
        got("failed", "t"),
        vec![("true".into(), None, 0)],
        "booleans offer their two words"
    );
    // `_` and `%` are letters here, not LIKE wildcards.
    assert!(got("intent", "pay%").is_empty());
    assert!(got("end_reason", "caller_").len() == 1);
    assert!(got("end_reason", "caller%").is_empty());
    assert!(got("after", "2").is_empty(), "dates are not a list");
}
}

on_both_stores! {
fn totals_are_exact_where_counting_is_cheap(backend: Backend) {
    use logbook_core::query::count::total;
    use logbook_core::query::filter::Subject;
    let h = loaded(backend);
    assert_eq!(h.post("/", None, b"{}").0, 401);
    let reader = h.query_reader();
    let conn = reader.db();
    let count = |subject: Subject, q: &str| {
        let t = total(conn, q, subject, false).unwrap();
        assert!(t.exact, "{subject:?} {q}");
        t.count
    };
    assert_eq!(count(Subject::Calls, ""), 3);
    assert_eq!(count(Subject::Calls, "failed:true"), 1);
    assert_eq!(count(Subject::Messages, "channel:web"), 5);
    assert_eq!(count(Subject::Messages, "pay_bill"), 1);
    assert_eq!(count(Subject::Conversations, ""), 3);
    assert_eq!(count(Subject::Conversations, "intent:pay_bill"), 1);
    // Live counts every request: twelve stored and one refused.
    assert_eq!(count(Subject::Events, ""), 13);
    assert_eq!(count(Subject::Events, "kind:rejected"), 1);
    assert_eq!(count(Subject::Events, "kind:cdr"), 3);
    let exact = total(conn, "kind:cdr", Subject::Events, true).unwrap();
    assert_eq!((exact.count, exact.exact), (3, true));
    assert!(matches!(
        total(conn, "durashun>5", Subject::Calls, false),
        Err(QueryError::Parse(_))
    ));
}
}

#[test]
fn an_estimated_total_is_near_the_count_and_says_it_is_an_estimate() {
    use logbook_core::query::count::{estimate, total};
    use logbook_core::query::filter::Subject;
    use logbook_core::query::parse::parse;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let out = logbook()
        // Enough that every total below has more than 2,500 rows whenever the test runs: the
        // stream `generate` makes ends now, and its mix moves a little with the date
        // (`GenerateOptions::ending_at`); at 8,000 events, phone messages were 2,547 one hour and
        // 2,472 the next.
        .args(["generate", "--events", "12000", "--seed", "9", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let conn = logbook_core::store::open_reader(&db).unwrap();
    for (subject, q) in [
        (Subject::Messages, ""),
        (Subject::Messages, "channel:phone"),
        (Subject::Events, ""),
        (Subject::Conversations, ""),
    ] {
        let exact = total(&conn, q, subject, true).unwrap();
        assert!(exact.exact);
        assert!(
            exact.count > 2_500 || subject == Subject::Conversations,
            "{subject:?} {q}: {} rows, too few to estimate",
            exact.count
        );
        let query = parse(q, chrono::Utc::now()).unwrap();
        let guess = estimate(&conn, &query, subject).unwrap();
        assert!(!guess.exact, "{subject:?} {q}");
        let error = (guess.count - exact.count).abs() as f64 / exact.count as f64;
        assert!(
            error < 0.25,
            "{subject:?} {q}: estimated {} for {}",
            guess.count,
            exact.count
        );
    }
}
