//! `logbook pull` against a fake of IBM Cloud IAM's token endpoint and of Watson's v2 "List log
//! events for an assistant", both on loopback, started by each test (nothing reaches the internet).
//!
//! The fake follows IBM's API reference: `POST /identity/token` takes the form
//! `grant_type=urn:ibm:params:oauth:grant-type:apikey&apikey=…` and answers `{access_token,
//! expires_in, expiration, …}` (or IAM's `{errorCode, errorMessage}`); `GET
//! /instances/ID/v2/assistants/{assistant_id}/logs?version=…` takes `sort`, `filter`, `page_limit`,
//! `cursor` and answers `{logs: […], pagination: {next_url, matched, next_cursor}}`, with IBM's
//! `{error, code}` on failure. Records are served byte for byte as the fake holds them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use logbook_pull::{self as pull, Credentials, PullOptions, Range, original_record};
use serde_json::Value;

use crate::common::{Harness, logbook, sample, sample_paths};
use logbook_http::plumbing::header_value;

const API_KEY: &str = "test-api-key-0123456789";
const INSTANCE: &str = "inst-7f3a";
const ENVIRONMENT: &str = "env-live-42";
/// The assistant id in the records: in the new experience it is not the environment id the API
/// path takes (and the UI shows).
const ASSISTANT_IN_RECORDS: &str = "4f1c9a2e-assistant-0001";

/// What the fake has been asked, for the tests to check.
#[derive(Debug, Clone, Default)]
struct Asked {
    cursor: Option<String>,
    sort: Option<String>,
    page_limit: Option<String>,
    filter: Option<String>,
    version: Option<String>,
    status: u16,
}

/// A record as the fake serves it, with the fields its filter reads.
struct Log {
    raw: String,
    request_timestamp: String,
    language: Option<String>,
}

impl Log {
    fn new(raw: String) -> Self {
        let v: Value = serde_json::from_str(&raw).unwrap();
        Self {
            request_timestamp: v["request_timestamp"].as_str().unwrap().to_owned(),
            language: v["language"].as_str().map(str::to_owned),
            raw,
        }
    }
}

#[derive(Default)]
struct State {
    /// Raw JSON records, oldest request first.
    logs: Vec<Log>,
    /// Token → remaining pages it is good for (`None`: until the test ends).
    tokens: HashMap<String, Option<usize>>,
    iam_calls: usize,
    /// The first token issued is refused as expired after this many pages.
    first_token_pages: Option<usize>,
    /// The page request (1-based) answered 429 once, with `Retry-After: 1`.
    busy_at: Option<usize>,
    /// The page request (1-based) answered 503 once, without `Retry-After`.
    unavailable_at: Option<usize>,
    /// The page request (1-based) held without an answer, after telling the test.
    hold_at: Option<(usize, mpsc::Sender<()>)>,
    /// Every logs request is answered 403 (a plan without log access).
    no_log_access: bool,
    page_requests: usize,
    asked: Vec<Asked>,
}

struct FakeWatson {
    base: String,
    state: Arc<Mutex<State>>,
}

impl FakeWatson {
    fn start(logs: Vec<String>) -> Self {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
        let base = format!("http://{}", server.server_addr().to_ip().unwrap());
        let state = Arc::new(Mutex::new(State {
            logs: logs.into_iter().map(Log::new).collect(),
            ..State::default()
        }));
        let shared = state.clone();
        std::thread::spawn(move || {
            for request in server.incoming_requests() {
                let state = shared.clone();
                // One thread per request, so a held request does not hold the others.
                std::thread::spawn(move || answer(request, &state));
            }
        });
        Self { base, state }
    }

    /// The instance's service URL.
    fn url(&self) -> String {
        format!("{}/instances/{INSTANCE}", self.base)
    }

    fn iam_url(&self) -> String {
        format!("{}/identity/token", self.base)
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().unwrap())
    }

    fn asked(&self) -> Vec<Asked> {
        self.with(|s| s.asked.clone())
    }
}

fn json_response(status: u16, body: String) -> tiny_http::Response<std::io::Cursor<Vec<u8>>> {
    tiny_http::Response::from_data(body.into_bytes())
        .with_status_code(status)
        .with_header(
            tiny_http::Header::from_bytes(&b"Content-Type"[..], &b"application/json"[..]).unwrap(),
        )
}

fn answer(mut request: tiny_http::Request, state: &Mutex<State>) {
    let url = request.url().to_owned();
    let (path, query) = url.split_once('?').unwrap_or((&url, ""));
    let params: HashMap<String, String> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    if path == "/identity/token" && *request.method() == tiny_http::Method::Post {
        let mut body = String::new();
        std::io::Read::read_to_string(request.as_reader(), &mut body).unwrap();
        let form: HashMap<String, String> = form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect();
        let mut s = state.lock().unwrap();
        s.iam_calls += 1;
        let response = if form.get("grant_type").map(String::as_str)
            != Some("urn:ibm:params:oauth:grant-type:apikey")
        {
            json_response(
                400,
                r#"{"errorCode":"BXNIM0109E","errorMessage":"Property missing or empty.","context":{}}"#.into(),
            )
        } else if form.get("apikey").map(String::as_str) != Some(API_KEY) {
            json_response(
                400,
                r#"{"errorCode":"BXNIM0415E","errorMessage":"Provided API key could not be found.","context":{"requestId":"abc"}}"#.into(),
            )
        } else {
            let token = format!("iam-token-{}", s.iam_calls);
            let lifetime = if s.iam_calls == 1 {
                s.first_token_pages
            } else {
                None
            };
            s.tokens.insert(token.clone(), lifetime);
            let now = chrono::Utc::now().timestamp();
            json_response(
                200,
                format!(
                    r#"{{"access_token":"{token}","refresh_token":"not_supported","ims_user_id":1,"token_type":"Bearer","expires_in":3600,"expiration":{},"scope":"ibm openid"}}"#,
                    now + 3600
                ),
            )
        };
        let _ = request.respond(response);
        return;
    }
    let logs_path = format!("/instances/{INSTANCE}/v2/assistants/");
    let Some(rest) = path.strip_prefix(&logs_path) else {
        let _ = request.respond(json_response(
            404,
            r#"{"error":"Not found","code":404}"#.into(),
        ));
        return;
    };
    let token = header_value(&request, "Authorization")
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    let mut s = state.lock().unwrap();
    s.page_requests += 1;
    let n = s.page_requests;
    let mut asked = Asked {
        cursor: params.get("cursor").cloned(),
        sort: params.get("sort").cloned(),
        page_limit: params.get("page_limit").cloned(),
        filter: params.get("filter").cloned(),
        version: params.get("version").cloned(),
        status: 200,
    };
    let (status, body, retry_after) = 'answer: {
        let valid = token
            .as_ref()
            .and_then(|t| s.tokens.get_mut(t))
            .map(|left| match left {
                Some(0) => false,
                Some(k) => {
                    *k -= 1;
                    true
                }
                None => true,
            });
        if valid != Some(true) {
            break 'answer (
                401,
                r#"{"code":401,"error":"Unauthorized"}"#.to_owned(),
                None,
            );
        }
        if rest != format!("{ENVIRONMENT}/logs") {
            break 'answer (
                404,
                r#"{"error":"Resource not found","code":404}"#.to_owned(),
                None,
            );
        }
        if s.no_log_access {
            break 'answer (
                403,
                r#"{"error":"Access to logs is not available on the Lite plan","code":403}"#
                    .to_owned(),
                None,
            );
        }
        if asked.version.is_none() {
            break 'answer (
                400,
                r#"{"error":"Missing required query parameter 'version'","code":400}"#.to_owned(),
                None,
            );
        }
        if s.busy_at == Some(n) {
            s.busy_at = None;
            break 'answer (
                429,
                r#"{"error":"Rate limit exceeded","code":429}"#.to_owned(),
                Some("1"),
            );
        }
        if s.unavailable_at == Some(n) {
            s.unavailable_at = None;
            break 'answer (
                503,
                r#"{"error":"Service Unavailable","code":503}"#.to_owned(),
                None,
            );
        }
        if let Some((at, _)) = &s.hold_at
            && *at == n
        {
            let (_, told) = s.hold_at.take().unwrap();
            drop(s);
            let _ = told.send(());
            // Held until the test ends: the client is killed meanwhile.
            std::thread::sleep(Duration::from_secs(3600));
            return;
        }
        match page(&s.logs, &params) {
            Ok(body) => (200, body, None),
            Err(message) => (
                400,
                serde_json::json!({"error": message, "code": 400}).to_string(),
                None,
            ),
        }
    };
    asked.status = status;
    s.asked.push(asked);
    drop(s);
    let mut response = json_response(status, body);
    if let Some(seconds) = retry_after {
        response = response
            .with_header(tiny_http::Header::from_bytes(&b"Retry-After"[..], seconds).unwrap());
    }
    let _ = request.respond(response);
}

/// One page of `logs` as the API answers it, the records byte for byte; or why the request is bad.
fn page(logs: &[Log], params: &HashMap<String, String>) -> Result<String, String> {
    let limit: usize = match params.get("page_limit") {
        Some(l) => l.parse().map_err(|_| format!("Invalid page_limit: {l}"))?,
        None => 100,
    };
    let mut matching: Vec<&String> = Vec::new();
    for log in logs {
        if matches(log, params.get("filter").map(String::as_str))? {
            matching.push(&log.raw);
        }
    }
    match params.get("sort").map(String::as_str) {
        None | Some("request_timestamp") => {}
        Some("-request_timestamp") => matching.reverse(),
        Some(other) => return Err(format!("Invalid sort: {other}")),
    }
    let start: usize = match params.get("cursor") {
        Some(c) => c
            .strip_prefix("cur-")
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| format!("Invalid cursor: {c}"))?,
        None => 0,
    };
    let end = (start + limit).min(matching.len());
    let logs: Vec<&str> = matching[start.min(end)..end]
        .iter()
        .map(|s| s.as_str())
        .collect();
    let pagination = if end < matching.len() {
        let cursor = format!("cur-{end}");
        format!(
            r#"{{"next_url":"/v2/assistants/{ENVIRONMENT}/logs?version=2021-11-27&cursor={cursor}","matched":{},"next_cursor":"{cursor}"}}"#,
            matching.len()
        )
    } else {
        format!(r#"{{"matched":{}}}"#, matching.len())
    };
    Ok(format!(
        r#"{{"logs":[{}],"pagination":{pagination}}}"#,
        logs.join(",")
    ))
}

/// The part of IBM's filter syntax the tests use: clauses ANDed with `,`:
/// `request_timestamp>=T`, `request_timestamp<T`, `language::X`.
fn matches(log: &Log, filter: Option<&str>) -> Result<bool, String> {
    let Some(filter) = filter else {
        return Ok(true);
    };
    let ts = log.request_timestamp.as_str();
    for clause in filter.split(',') {
        let ok = if let Some(t) = clause.strip_prefix("request_timestamp>=") {
            ts >= t
        } else if let Some(t) = clause.strip_prefix("request_timestamp<") {
            ts < t
        } else if let Some(l) = clause.strip_prefix("language::") {
            log.language.as_deref() == Some(l)
        } else {
            return Err(format!("Invalid filter: {clause}"));
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The payloads of the message_logged samples (IBM's Log shape), pretty-printed so that keeping
/// them byte for byte is seen, with the assistant id of the new experience.
fn sample_records() -> Vec<String> {
    let mut records: Vec<String> = sample_paths()
        .iter()
        .map(|p| serde_json::from_slice::<Value>(&std::fs::read(p).unwrap()).unwrap())
        .filter(|b| b["event"]["name"] == "message_logged")
        .map(|mut b| {
            b["payload"]["assistant_id"] = ASSISTANT_IN_RECORDS.into();
            serde_json::to_string_pretty(&b["payload"]).unwrap()
        })
        .collect();
    records.extend(odd_records());
    records.sort_by_key(|r| {
        serde_json::from_str::<Value>(r).unwrap()["request_timestamp"]
            .as_str()
            .unwrap()
            .to_owned()
    });
    records
}

/// Real-shaped records the API gives: an empty `output.generic`, no `context` at all, non-ASCII
/// text (some as `\u` escapes), odd spacing.
fn odd_records() -> Vec<String> {
    vec![
        format!(
            r#"{{"log_id":"odd-empty-generic","request":{{"input":{{"message_type":"text","text":"hello?"}},"context":{{"global":{{"system":{{"user_id":"u-odd"}}}}}},"user_id":"u-odd"}},"response":{{"output":{{"generic":[]}},"context":{{"global":{{"session_id":"sess-odd","system":{{"turn_count":1}}}}}},"user_id":"u-odd"}},"assistant_id":"{ASSISTANT_IN_RECORDS}","session_id":"sess-odd","skill_id":"sk-1","snapshot":"1","request_timestamp":"2026-03-09T08:00:00.000Z","response_timestamp":"2026-03-09T08:00:00.250Z","language":"en"}}"#
        ),
        format!(
            "{{ \"log_id\" : \"odd-no-context\",\n  \"request\": {{\"input\": {{\"text\": \"\\u00bfD\\u00f3nde est\\u00e1 mi pedido?\"}}}},\n  \"response\": {{\"output\": {{\"generic\": [{{\"response_type\": \"text\", \"text\": \"Su pedido 注文 llega ma\u{f1}ana 🚚\"}}]}}}},\n  \"assistant_id\": \"{ASSISTANT_IN_RECORDS}\", \"session_id\": \"sess-odd\", \"skill_id\": \"sk-1\", \"snapshot\": \"1\",\n  \"request_timestamp\": \"2026-03-09T08:00:05.000Z\", \"response_timestamp\": \"2026-03-09T08:00:05.400Z\", \"language\": \"es\" }}"
        ),
    ]
}

/// `count` small logs, one second apart, ending an hour ago; ids `gen-0000…`.
fn generated_records(count: usize, prefix: &str) -> Vec<String> {
    let start =
        chrono::Utc::now() - chrono::TimeDelta::hours(1) - chrono::TimeDelta::seconds(count as i64);
    (0..count)
        .map(|i| {
            let at = start + chrono::TimeDelta::seconds(i as i64);
            let ts = at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            let language = if i % 10 == 0 { "fr" } else { "en" };
            format!(
                r#"{{"log_id":"{prefix}-{i:05}","request":{{"input":{{"text":"question {i}"}}}},"response":{{"output":{{"generic":[{{"response_type":"text","text":"answer {i}"}}]}},"context":{{"global":{{"session_id":"{prefix}-s{}","system":{{"turn_count":{}}}}}}}}},"assistant_id":"{ASSISTANT_IN_RECORDS}","session_id":"{prefix}-s{}","skill_id":"sk","snapshot":"draft","request_timestamp":"{ts}","response_timestamp":"{ts}","language":"{language}"}}"#,
                i / 5,
                i % 5 + 1,
                i / 5
            )
        })
        .collect()
}

struct Scratch {
    _dir: tempfile::TempDir,
    db: PathBuf,
    key_file: PathBuf,
}

fn scratch() -> Scratch {
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("apikey");
    std::fs::write(&key_file, format!("{API_KEY}\n")).unwrap();
    Scratch {
        db: dir.path().join("logbook.db"),
        key_file,
        _dir: dir,
    }
}

/// `logbook pull` against the fake with the API key, plus `extra`.
fn pull_cli(fake: &FakeWatson, s: &Scratch, extra: &[&str]) -> Command {
    let mut command = logbook();
    command
        .args(["pull", "--db"])
        .arg(&s.db)
        .args(["--url", &fake.url(), "--environment", ENVIRONMENT])
        .arg("--apikey-file")
        .arg(&s.key_file)
        .args(["--iam-url", &fake.iam_url()])
        .args(extra);
    command
}

fn run_ok(mut command: Command) -> String {
    let out = command.output().unwrap();
    assert!(
        out.status.success(),
        "pull failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn run_err(mut command: Command) -> String {
    let out: Output = command.output().unwrap();
    assert!(!out.status.success(), "pull should fail");
    String::from_utf8(out.stderr).unwrap()
}

fn query_strings(db: &Path, sql: &str) -> Vec<String> {
    let conn = logbook_core::store::open_reader(db).unwrap();
    let mut stmt = conn.prepare(sql).unwrap();
    stmt.query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn query_count(db: &Path, sql: &str) -> i64 {
    logbook_core::store::open_reader(db)
        .unwrap()
        .query_row(sql, [], |r| r.get(0))
        .unwrap()
}

/// A conversation as the UI and `show conversation` have it, without what differs between two
/// stores by nature (event ids, the time received).
fn conversation_json(conn: &rusqlite::Connection, session: &str) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(map) => {
                for key in ["event_id", "received_at", "call_event_id"] {
                    map.remove(key);
                }
                map.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let c = logbook_core::query::conversation::conversation(conn, session).unwrap();
    let mut v = serde_json::to_value(c).unwrap();
    strip(&mut v);
    v
}

#[test]
fn pulled_logs_are_stored_byte_exact_and_read_as_webhook_deliveries() {
    let records = sample_records();
    let fake = FakeWatson::start(records.clone());
    let s = scratch();
    let out = run_ok(pull_cli(&fake, &s, &[]));
    assert!(
        out.contains(&format!(
            "pulled {} logs in 1 page (everything the API keeps)",
            records.len()
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!("{} new, 0 already stored", records.len())),
        "{out}"
    );

    // The API was asked as its reference says: oldest first, a page limit, the version.
    let asked = fake.asked();
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].sort.as_deref(), Some("request_timestamp"));
    assert_eq!(asked[0].page_limit.as_deref(), Some("100"));
    assert_eq!(asked[0].version.as_deref(), Some("2021-11-27"));
    assert_eq!(asked[0].filter, None);

    // Each record is kept byte for byte, inside a webhook-shaped body, marked as pulled.
    let conn = logbook_core::store::open_reader(&s.db).unwrap();
    let mut stmt = conn
        .prepare("SELECT body, endpoint, auth, kind, path, body_zstd FROM events ORDER BY id")
        .unwrap();
    let rows: Vec<(Vec<u8>, String, String, String, String)> = stmt
        .query_map([], |r| {
            let body = logbook_core::store::stored_body::unpack(r.get_ref(0)?, r.get(5)?, 0)?;
            Ok((body, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows.len(), records.len());
    for ((body, endpoint, auth, kind, path), record) in rows.iter().zip(&records) {
        assert_eq!(original_record(body).unwrap(), record.as_bytes());
        let parsed: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(parsed["event"]["name"], "message_logged");
        assert_eq!(
            parsed["payload"],
            serde_json::from_str::<Value>(record).unwrap()
        );
        assert_eq!((endpoint.as_str(), auth.as_str()), ("pull", "pull"));
        assert_eq!(kind, "message_logged");
        assert_eq!(
            path,
            &format!("/instances/{INSTANCE}/v2/assistants/{ENVIRONMENT}/logs")
        );
    }
    // The odd records are derived like any other: the assistant id is the record's, the
    // non-ASCII text is searchable, an empty output is a turn without assistant text.
    assert_eq!(
        query_strings(&s.db, "SELECT DISTINCT assistant_id FROM messages"),
        vec![ASSISTANT_IN_RECORDS]
    );
    assert_eq!(
        query_strings(
            &s.db,
            "SELECT user_text FROM messages WHERE log_id = 'odd-no-context'"
        ),
        vec!["¿Dónde está mi pedido?"]
    );
    let search = run_ok({
        let mut c = logbook();
        c.args([
            "search", "mañana", "--in", "messages", "--format", "json", "--db",
        ])
        .arg(&s.db);
        c
    });
    assert!(search.contains("odd-no-context"), "{search}");
    assert_eq!(
        query_strings(
            &s.db,
            "SELECT coalesce(user_text, '-') || '|' || coalesce(assistant_text, '-') || '|' || coalesce(response_types, '-')
             FROM messages WHERE log_id = 'odd-empty-generic'"
        ),
        vec!["hello?||"],
        "user text kept, no assistant text, no response types"
    );

    // Every conversation reads exactly as the same logs delivered by the webhook.
    let webhook = Harness::start();
    for record in &records {
        let body = format!(r#"{{"event":{{"name":"message_logged"}},"payload":{record}}}"#);
        assert_eq!(webhook.post_signed(body.as_bytes()).0, 200);
    }
    let delivered = webhook.reader();
    let sessions = query_strings(
        &s.db,
        "SELECT session_id FROM conversations ORDER BY session_id",
    );
    assert_eq!(sessions.len(), 4, "{sessions:?}");
    for session in &sessions {
        assert_eq!(
            conversation_json(&conn, session),
            conversation_json(&delivered, session),
            "conversation {session}"
        );
    }
    let list = |db: &Path| {
        let mut c = logbook();
        c.args([
            "search",
            "--in",
            "conversations",
            "--format",
            "json",
            "--db",
        ])
        .arg(db);
        let mut v: Value = serde_json::from_str(&run_ok(c)).unwrap();
        fn strip(v: &mut Value) {
            match v {
                Value::Object(m) => {
                    for k in ["first_event_id", "last_event_id", "event_id", "received_at"] {
                        m.remove(k);
                    }
                    m.values_mut().for_each(strip);
                }
                Value::Array(a) => a.iter_mut().for_each(strip),
                _ => {}
            }
        }
        strip(&mut v);
        v
    };
    assert_eq!(list(&s.db), list(&webhook.db));
}

#[test]
fn pulled_and_delivered_logs_are_stored_once_either_way_and_a_later_call_links_to_pulled_turns() {
    // The webhook delivered the first phone turn before the pull.
    let h = Harness::start();
    assert_eq!(h.post_signed(&sample("06")).0, 200);
    let phone: Vec<String> = ["06", "07", "08"]
        .iter()
        .map(|n| {
            let body: Value = serde_json::from_slice(&sample(n)).unwrap();
            serde_json::to_string(&body["payload"]).unwrap()
        })
        .collect();
    let fake = FakeWatson::start(phone.clone());
    // Pulled while the receiver runs, on its store (as the app's panel does).
    let options = PullOptions {
        url: fake.url(),
        environment: ENVIRONMENT.into(),
        credentials: Credentials::ApiKey {
            key: API_KEY.into(),
            iam_url: fake.iam_url(),
        },
        range: Range::All,
        filter: None,
        restart: false,
    };
    let report = pull::pull(h.store(), &options, &mut |_| {}).unwrap();
    assert_eq!(
        (
            report.progress.logs,
            report.progress.stored,
            report.progress.duplicates
        ),
        (3, 2, 1)
    );
    // Delivered after the pull: answered as a duplicate, not stored again.
    let (status, answer) = h.post_signed(&sample("07"));
    assert_eq!(
        (status, answer["status"].as_str()),
        (200, Some("duplicate"))
    );
    assert_eq!(h.count("SELECT count(*) FROM events"), 3);
    assert_eq!(h.count("SELECT count(*) FROM messages"), 3);
    assert_eq!(
        h.count("SELECT count(*) FROM events WHERE endpoint = 'pull'"),
        2,
        "the webhook's delivery of 06 stays as it came"
    );
    // The call record arrives later by the webhook; its turns link to the pulled messages.
    assert_eq!(h.post_signed(&sample("12")).0, 200);
    let linked = h.strings(
        "SELECT e.endpoint FROM call_turns t JOIN messages m ON m.log_id = t.log_id
         JOIN events e ON e.id = m.event_id ORDER BY t.seq",
    );
    assert_eq!(
        linked,
        vec!["*", "pull", "pull"],
        "turns 1–3 link to 06 (webhook), 07 and 08 (pulled)"
    );
    let gsid = h.strings("SELECT global_session_id FROM calls").remove(0);
    let call = logbook_core::query::call::call(&h.reader(), &gsid).unwrap();
    let call = serde_json::to_value(call).unwrap();
    let turns = call["turns"].as_array().unwrap();
    let linked_logs: Vec<&Value> = turns.iter().filter(|t| !t["message"].is_null()).collect();
    assert_eq!(linked_logs.len(), 3, "{call:#}");
}

#[test]
fn ten_thousand_logs_are_paged_through_a_429_and_a_filter() {
    let records = generated_records(10_250, "gen");
    let fake = FakeWatson::start(records.clone());
    fake.with(|s| s.busy_at = Some(40));
    let s = scratch();
    let out = {
        let out = pull_cli(&fake, &s, &["--since", "30d"]).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(
            stderr.contains("the API answered 429: waiting 1.0 s before try 2"),
            "{stderr}"
        );
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(out.contains("pulled 10250 logs in 103 pages"), "{out}");
    assert!(out.contains("10250 new, 0 already stored"), "{out}");
    assert_eq!(query_count(&s.db, "SELECT count(*) FROM events"), 10_250);
    assert_eq!(
        query_count(&s.db, "SELECT count(DISTINCT log_id) FROM messages"),
        10_250
    );
    assert_eq!(
        query_count(&s.db, "SELECT count(*) FROM conversations"),
        2_050
    );
    let asked = fake.asked();
    assert_eq!(asked.len(), 104, "103 pages and one 429");
    assert_eq!(asked.iter().filter(|a| a.status == 429).count(), 1);
    // The page after the 429 is asked again with the same cursor.
    assert_eq!(asked[39].status, 429);
    assert_eq!(asked[39].cursor, asked[40].cursor);
    assert_eq!(asked[40].cursor.as_deref(), Some("cur-3900"));
    let filter = asked[0].filter.clone().unwrap();
    assert!(filter.starts_with("request_timestamp>="), "{filter}");
    assert!(asked.iter().all(|a| a.filter.as_deref() == Some(&filter)));

    // The user's filter goes to the API, ANDed with the range.
    let s = scratch();
    let out = run_ok(pull_cli(
        &fake,
        &s,
        &[
            "--after",
            "2000-01-01",
            "--before",
            "2100-01-01T00:00:00Z",
            "--filter",
            "language::fr",
        ],
    ));
    assert!(out.contains("pulled 1025 logs in 11 pages"), "{out}");
    assert_eq!(
        fake.asked().last().unwrap().filter.as_deref(),
        Some(
            "request_timestamp>=2000-01-01T00:00:00.000Z,request_timestamp<2100-01-01T00:00:00.000Z,language::fr"
        )
    );
    assert_eq!(
        query_strings(&s.db, "SELECT DISTINCT language FROM messages"),
        vec!["fr"]
    );
}

#[test]
fn an_expired_token_is_renewed_and_a_5xx_is_tried_again() {
    let fake = FakeWatson::start(generated_records(950, "tok"));
    fake.with(|s| {
        s.first_token_pages = Some(4);
        s.unavailable_at = Some(8);
    });
    let s = scratch();
    let out = pull_cli(&fake, &s, &[]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("the API answered 503: waiting 1.0 s before try 2"),
        "the first backoff step: {stderr}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("pulled 950 logs in 10 pages"), "{stdout}");
    assert!(stdout.contains("950 new"), "{stdout}");
    assert_eq!(fake.with(|s| s.iam_calls), 2, "one renewal");
    let asked = fake.asked();
    assert_eq!(asked.iter().filter(|a| a.status == 401).count(), 1);
    assert_eq!(asked[4].status, 401);
    assert_eq!(
        asked[4].cursor, asked[5].cursor,
        "the refused page is asked again"
    );
    assert_eq!(asked[7].status, 503);
    assert_eq!(asked[7].cursor, asked[8].cursor, "and the one that failed");
    assert_eq!(query_count(&s.db, "SELECT count(*) FROM events"), 950);
}

#[test]
fn an_interrupted_pull_resumes_where_it_stopped_without_duplicates() {
    let records = generated_records(1_000, "res");
    let fake = FakeWatson::start(records);
    let (told, held) = mpsc::channel();
    fake.with(|s| s.hold_at = Some((5, told)));
    let s = scratch();
    let mut child = pull_cli(&fake, &s, &["--since", "30d"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    held.recv_timeout(Duration::from_secs(60)).unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(query_count(&s.db, "SELECT count(*) FROM events"), 400);
    assert_eq!(
        query_strings(&s.db, "SELECT cursor FROM pulls WHERE finished_at IS NULL"),
        vec!["cur-400"]
    );

    // The same command later (its --since now a little later) carries on from page 5.
    let before = fake.asked().len();
    let out = pull_cli(&fake, &s, &["--since", "30d"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stderr.contains("resuming pull #1 after page 4 (400 logs so far)"),
        "{stderr}"
    );
    assert!(stdout.contains("pulled 1000 logs in 10 pages"), "{stdout}");
    assert!(stdout.contains("1000 new, 0 already stored"), "{stdout}");
    let asked = fake.asked();
    assert_eq!(asked[before].cursor.as_deref(), Some("cur-400"));
    assert_eq!(
        asked[before].filter, asked[0].filter,
        "the same range as before"
    );
    assert_eq!(asked.len() - before, 6);
    assert_eq!(query_count(&s.db, "SELECT count(*) FROM events"), 1_000);
    assert_eq!(
        query_count(&s.db, "SELECT coalesce(sum(duplicates), 0) FROM events"),
        0
    );
    assert_eq!(
        query_count(
            &s.db,
            "SELECT count(*) FROM pulls WHERE finished_at IS NOT NULL"
        ),
        1
    );

    // "Pull again since the last pull": only what is newer, from the newest log pulled.
    let newest = query_strings(&s.db, "SELECT newest_request_ts FROM pulls").remove(0);
    fake.with(|s| {
        let mut more = generated_records(30, "new");
        // Thirty logs after the newest pulled one.
        for (i, r) in more.iter_mut().enumerate() {
            let ts = (chrono::DateTime::parse_from_rfc3339(&newest).unwrap()
                + chrono::TimeDelta::seconds(i as i64 + 1))
            .to_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            let mut v: Value = serde_json::from_str(r).unwrap();
            v["request_timestamp"] = ts.clone().into();
            v["response_timestamp"] = ts.into();
            *r = v.to_string();
        }
        s.logs.extend(more.into_iter().map(Log::new));
    });
    let out = run_ok(pull_cli(&fake, &s, &["--since-last"]));
    assert!(out.contains("pulled 31 logs in 1 page"), "{out}");
    assert!(out.contains("30 new, 1 already stored"), "{out}");
    assert_eq!(
        fake.asked().last().unwrap().filter.as_deref(),
        Some(format!("request_timestamp>={newest}").as_str())
    );
    assert_eq!(query_count(&s.db, "SELECT count(*) FROM events"), 1_030);
}

#[test]
fn errors_say_what_is_wrong() {
    let fake = FakeWatson::start(generated_records(3, "err"));
    let s = scratch();

    // A wrong API key: IAM's answer.
    std::fs::write(&s.key_file, "not-the-key").unwrap();
    let err = run_err(pull_cli(&fake, &s, &[]));
    assert!(
        err.contains("IBM Cloud IAM refused the API key (400)")
            && err.contains("Provided API key could not be found."),
        "{err}"
    );
    std::fs::write(&s.key_file, API_KEY).unwrap();

    // A wrong environment: the 404 explained.
    let mut command = logbook();
    command
        .args(["pull", "--db"])
        .arg(&s.db)
        .args(["--url", &fake.url(), "--environment", "not-this-one"])
        .arg("--apikey-file")
        .arg(&s.key_file)
        .args(["--iam-url", &fake.iam_url()]);
    let err = run_err(command);
    assert!(
        err.contains("answered 404")
            && err.contains("--environment (the environment id")
            && err.contains("Resource not found"),
        "{err}"
    );

    // A plan without log access: the API's message.
    fake.with(|s| s.no_log_access = true);
    let err = run_err(pull_cli(&fake, &s, &[]));
    assert!(
        err.contains("(403): Access to logs is not available on the Lite plan"),
        "{err}"
    );
    fake.with(|s| s.no_log_access = false);

    // A filter the API refuses: its message.
    let err = run_err(pull_cli(&fake, &s, &["--filter", "nonsense"]));
    assert!(err.contains("(400): Invalid filter: nonsense"), "{err}");

    // A bearer token the API refuses.
    let bearer = s.key_file.with_file_name("bearer");
    std::fs::write(&bearer, "expired-token\n").unwrap();
    let mut command = logbook();
    command
        .args(["pull", "--db"])
        .arg(&s.db)
        .args(["--url", &fake.url(), "--environment", ENVIRONMENT])
        .arg("--bearer-file")
        .arg(&bearer);
    let err = run_err(command);
    assert!(
        err.contains("refused the bearer token (401): Unauthorized"),
        "{err}"
    );

    // The network down: nothing listens there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let mut command = logbook();
    command
        .args(["pull", "--db"])
        .arg(&s.db)
        .args([
            "--url",
            &format!("{dead}/instances/x"),
            "--environment",
            ENVIRONMENT,
        ])
        .arg("--apikey-file")
        .arg(&s.key_file)
        .args(["--iam-url", &format!("{dead}/identity/token")]);
    let err = run_err(command);
    assert!(
        err.contains(&format!("cannot reach {dead}/identity/token")),
        "{err}"
    );
    assert!(err.contains("is the network up"), "{err}");

    // Plain http beyond loopback is refused before anything is sent.
    let mut command = logbook();
    command
        .args(["pull", "--db"])
        .arg(&s.db)
        .args([
            "--url",
            "http://api.example.com/instances/x",
            "--environment",
            ENVIRONMENT,
        ])
        .arg("--apikey-file")
        .arg(&s.key_file);
    let err = run_err(command);
    assert!(
        err.contains("only https is accepted (http only on loopback)"),
        "{err}"
    );

    // Nothing was stored by any of them, and the key is in no message.
    assert_eq!(query_count(&s.db, "SELECT count(*) FROM events"), 0);
    let errors = query_strings(&s.db, "SELECT error FROM pulls WHERE error IS NOT NULL");
    assert!(!errors.is_empty());
    assert!(errors.iter().all(|e| !e.contains(API_KEY)));
}
