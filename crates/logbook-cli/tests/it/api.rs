//! The read side of `logbook serve` over real HTTP: a real receiver and the UI listener on
//! 127.0.0.1:0 over one temporary database, the twelve samples posted signed, then every endpoint,
//! the token, Host and Origin rules, the headers, the export stream and the live stream.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use logbook_http::api::{UiConfig, UiServer, UiServerError};
use logbook_http::ingest::{Auth, DEFAULT_MAX_BODY_BYTES, Endpoint, Secret};
use logbook_service::ReceiverInfo;
use serde_json::{Value, json};

use crate::common::*;
use logbook_http::plumbing::header_value;

const CALL: &str = "b231ef28-c861-4f33-8a17-384d95d6ddb5";
const WEB_SESSION: &str = "c3e1a7d4-5b28-4f90-8e6a-1d9b2c7f3a05";
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https: http:; media-src 'none'; frame-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; connect-src 'self'";

/// A receiver and the UI server over the same database.
struct Ui {
    h: Harness,
    server: Option<UiServer>,
    addr: SocketAddr,
    token: String,
}

impl Ui {
    fn start_on(backend: Backend) -> Self {
        let h = Harness::start_on(backend);
        let info = ReceiverInfo::new(
            &h.base,
            &[Endpoint {
                path: None,
                auth: Auth::Jwt(Secret::new(SECRET).unwrap()),
            }],
            DEFAULT_MAX_BODY_BYTES,
        );
        let server =
            UiServer::start(UiConfig::new("127.0.0.1:0"), h.stored.ui_store(), info).unwrap();
        let addr = server.local_addr();
        let token = server.token().to_owned();
        assert_eq!(
            server.url_with_token(),
            format!("http://{addr}/?token={token}")
        );
        Self {
            h,
            server: Some(server),
            addr,
            token,
        }
    }

    fn loaded() -> Self {
        Self::loaded_on(Backend::Sqlite)
    }

    /// Started on `backend`, with the twelve samples received and projected.
    fn loaded_on(backend: Backend) -> Self {
        let ui = Self::start_on(backend);
        for (name, body) in all_samples() {
            assert_eq!(ui.h.post_signed(&body).0, 200, "{name}");
        }
        ui.h.projected();
        ui
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// GET with the token as a bearer header; the status and the JSON answer.
    fn get(&self, path: &str, query: &[(&str, &str)]) -> (u16, Value) {
        let mut request = agent()
            .get(&self.url(path))
            .set("Authorization", &format!("Bearer {}", self.token));
        for (k, v) in query {
            request = request.query(k, v);
        }
        let response = match request.call() {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{path}: {e}"),
        };
        let status = response.status();
        let text = response.into_string().unwrap();
        let value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}: {text}"));
        (status, value)
    }

    fn ok(&self, path: &str, query: &[(&str, &str)]) -> Value {
        let (status, value) = self.get(path, query);
        assert_eq!(status, 200, "{path} {query:?}: {value}");
        value
    }

    fn raw(&self, method: &str, path: &str, headers: &[(&str, &str)]) -> Raw {
        raw(self.addr, method, path, headers)
    }

    fn bearer(&self) -> String {
        format!("Bearer {}", self.token)
    }

    fn live(&self, query: &str, last_event_id: Option<&str>) -> Live {
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(Duration::from_secs(5))
            // A stream that stops sending fails the test instead of hanging it.
            .timeout_read(Duration::from_secs(10))
            .build();
        let mut request = agent
            .get(&self.url(&format!("/api/live{query}")))
            .set("Authorization", &self.bearer());
        if let Some(id) = last_event_id {
            request = request.set("Last-Event-ID", id);
        }
        let response = request.call().unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.content_type(), "text/event-stream");
        assert_eq!(response.header("Cache-Control"), Some("no-store"));
        assert_eq!(response.header("Content-Security-Policy"), Some(CSP));
        Live {
            lines: BufReader::new(response.into_reader()),
        }
    }
}

impl Drop for Ui {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown();
        }
    }
}

/// A response read off a plain socket, for requests a client library would not send as written.
struct Raw {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

fn raw(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)]) -> Raw {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut request = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
    if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
        request.push_str(&format!("Host: {addr}\r\n"));
    }
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).unwrap();
    let text = String::from_utf8(bytes).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .map(|l| {
            let (n, v) = l.split_once(':').unwrap();
            (n.trim().to_owned(), v.trim().to_owned())
        })
        .collect();
    let chunked = headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case("transfer-encoding") && v == "chunked");
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_owned()
    };
    Raw {
        status,
        headers,
        body,
    }
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    loop {
        let (size, rest) = body.split_once("\r\n").unwrap();
        let size = usize::from_str_radix(size.trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.push_str(&rest[..size]);
        body = &rest[size + 2..];
    }
}

/// A Server-Sent Events stream, message by message.
struct Live {
    lines: BufReader<Box<dyn Read + Send + Sync + 'static>>,
}

impl Live {
    /// The next `batch` message (pings skipped): its `id:` and its data.
    fn next_batch(&mut self) -> (String, Value) {
        let (mut id, mut event, mut data) = (None, None, String::new());
        loop {
            let mut line = String::new();
            let n = self
                .lines
                .read_line(&mut line)
                .expect("the stream kept sending");
            assert!(n > 0, "the stream ended");
            let line = line.trim_end_matches(['\r', '\n']);
            if line.is_empty() {
                if !data.is_empty() {
                    assert_eq!(event.as_deref(), Some("batch"));
                    return (
                        id.expect("every message has an id"),
                        serde_json::from_str(&data).unwrap(),
                    );
                }
                continue;
            }
            if line.starts_with(':') {
                continue;
            }
            let (field, value) = line.split_once(": ").unwrap_or((line, ""));
            match field {
                "id" => id = Some(value.to_owned()),
                "event" => event = Some(value.to_owned()),
                "data" => data.push_str(value),
                other => panic!("unexpected field {other}"),
            }
        }
    }
}

fn sources(batch: &Value) -> Vec<String> {
    batch["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| format!("{}{}", &r["source"].as_str().unwrap()[..1], r["id"]))
        .collect()
}

/// Sample 01 again, as a new turn: a fresh log_id.
fn fresh_copy_of_01() -> (String, Vec<u8>) {
    let mut body: Value = serde_json::from_slice(&sample("01")).unwrap();
    let log_id = uuid::Uuid::new_v4().to_string();
    body["payload"]["log_id"] = json!(log_id);
    (log_id, serde_json::to_vec(&body).unwrap())
}

fn assert_armoured(what: &str, headers: impl Fn(&str) -> Option<String>) {
    assert_eq!(
        headers("Content-Security-Policy").as_deref(),
        Some(CSP),
        "{what}"
    );
    assert_eq!(
        headers("X-Content-Type-Options").as_deref(),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(
        headers("Referrer-Policy").as_deref(),
        Some("no-referrer"),
        "{what}"
    );
    assert_eq!(
        headers("X-Frame-Options").as_deref(),
        Some("DENY"),
        "{what}"
    );
}

on_both_stores! {
fn every_endpoint_answers_with_the_core_s_answers(backend: Backend) {
    let ui = Ui::loaded_on(backend);

    let status = ui.ok("/api/status", &[]);
    assert_eq!(status["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(status["database"], ui.h.stored.database(&ui.h.db));
    assert_eq!(status["team"], backend == Backend::Postgres);
    assert_eq!(status["receiver_url"], ui.h.base);
    assert_eq!(status["endpoints"], json!([{"path": null, "mode": "jwt"}]));
    assert_eq!(status["max_body_bytes"], DEFAULT_MAX_BODY_BYTES);
    let receiver = ui.h.addr();
    assert_eq!(
        status["tunnel_commands"],
        json!([
            format!("cloudflared tunnel --url http://{receiver}"),
            format!("ngrok http {receiver}")
        ])
    );
    assert_eq!(status["stats"]["events"], 12);
    assert_eq!(status["stats"]["calls"], 3);
    // Projection is not giving way to anything (the 12 were sent one at a time), and says so.
    let projection = status["stats"]["projection"].as_object().unwrap();
    assert_eq!(projection.get("giving_way_since"), Some(&json!(null)));
    assert_eq!(status["last_rejection_id"], Value::Null);

    let qualifiers = ui.ok("/api/qualifiers", &[]);
    let keys: Vec<&str> = qualifiers
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys.len(), logbook_core::query::parse::QUALIFIERS.len());
    assert!(
        keys.contains(&"kind:") && keys.contains(&"intent:"),
        "{keys:?}"
    );

    let events = ui.ok("/api/events", &[]);
    assert_eq!(events["items"].as_array().unwrap().len(), 12);
    assert_eq!(events["next_cursor"], Value::Null);
    assert_eq!(events["facets"], json!([]));
    let page = ui.ok("/api/events", &[("limit", "5"), ("facets", "1")]);
    assert_eq!(page["items"].as_array().unwrap().len(), 5);
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    assert!(!page["facets"].as_array().unwrap().is_empty());
    let rest = ui.ok("/api/events", &[("limit", "50"), ("cursor", &cursor)]);
    assert_eq!(rest["items"].as_array().unwrap().len(), 7);
    assert_eq!(ui.ok("/api/events/1", &[])["kind"], "message_logged");
    let by_log = ui.ok("/api/events/a84e7710-756e-46ad-8046-959b2b32b1c7", &[]);
    assert_eq!(
        (by_log["id"].as_i64(), by_log["source"].as_str()),
        (Some(1), Some("accepted"))
    );

    assert_eq!(
        ui.ok("/api/messages", &[])["items"]
            .as_array()
            .unwrap()
            .len(),
        9
    );
    let conversations = ui.ok("/api/conversations", &[]);
    assert_eq!(conversations["items"].as_array().unwrap().len(), 3);
    let web = ui.ok(&format!("/api/conversations/{WEB_SESSION}"), &[]);
    assert_eq!(web["session_id"], WEB_SESSION);
    assert!(!web["turns"].as_array().unwrap().is_empty());

    let calls = ui.ok("/api/calls", &[]);
    assert_eq!(calls["items"].as_array().unwrap().len(), 3);
    let call = ui.ok(&format!("/api/calls/{CALL}"), &[]);
    let turns = call["turns"].as_array().unwrap();
    assert_eq!(turns.len(), 3);
    assert!(
        turns.iter().all(|t| t["message"]["event_id"].is_i64()),
        "{turns:?}"
    );
    let verified = ui.ok("/api/calls", &[("q", "custom.account_verified:true")]);
    let ids: Vec<&Value> = verified["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["global_session_id"])
        .collect();
    assert_eq!(ids, [CALL]);

    let keys = ui.ok("/api/custom-data/keys", &[]);
    let names: Vec<&str> = keys
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["key"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 4);
    assert!(names.contains(&"call_reason"), "{names:?}");
    assert_eq!(
        ui.ok("/api/custom-data/values", &[("key", "call_reason")]),
        json!([{"value": "pay_bill", "calls": 1}])
    );
    // Completion of a qualifier's values, and a list's total.
    assert_eq!(
        ui.ok(
            "/api/qualifier-values",
            &[("key", "intent"), ("prefix", "pa")]
        ),
        json!([{"value": "pay_bill", "label": null, "count": 1}])
    );
    assert_eq!(
        ui.ok("/api/count", &[("subject", "calls"), ("q", "failed:true")]),
        json!({"count": 1, "exact": true})
    );
    let with = ui.ok(
        "/api/custom-data/calls",
        &[("key", "call_reason"), ("value", "pay_bill")],
    );
    assert_eq!(with.as_array().unwrap().len(), 1);
    assert_eq!(with[0]["global_session_id"], CALL);
    let any = ui.ok("/api/custom-data/calls", &[("key", "call_reason")]);
    assert_eq!(any.as_array().unwrap().len(), 1);

    // Errors: one shape, the status decided by the kind.
    let (status, err) = ui.get("/api/calls", &[("q", "refund foo:bar")]);
    assert_eq!(status, 400);
    assert_eq!(err["kind"], "bad_query");
    assert_eq!(err["span"], json!([7, 10]));
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("unknown qualifier")
    );
    for (path, query, status, kind) in [
        ("/api/calls/no-such-call", &[][..], 404, "not_found"),
        ("/api/events/r999", &[], 404, "not_found"),
        ("/api/nothing-here", &[], 404, "not_found"),
        ("/api/events/1/more", &[], 404, "not_found"),
        ("/api/custom-data/values", &[], 400, "bad_request"),
        ("/api/events", &[("limit", "many")], 400, "bad_request"),
        ("/api/events", &[("cursor", "x.y")], 400, "bad_request"),
    ] {
        let (got, err) = ui.get(path, query);
        assert_eq!(
            (got, err["kind"].as_str()),
            (status, Some(kind)),
            "{path} {query:?}: {err}"
        );
        assert!(err["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
}
}

on_both_stores! {
fn the_token_is_needed_and_a_first_visit_keeps_it_in_a_cookie(backend: Backend) {
    let ui = Ui::loaded_on(backend);
    let anonymous = ui.raw("GET", "/api/status", &[]);
    assert_eq!(anonymous.status, 401);
    assert_eq!(anonymous.json()["kind"], "unauthorized");
    let page = ui.raw("GET", "/", &[]);
    assert_eq!(page.status, 401);
    assert!(
        page.header("Content-Type")
            .unwrap()
            .starts_with("text/html")
    );
    assert!(page.body.contains("logbook serve"), "{}", page.body);
    assert!(!page.body.contains("58213"), "no stored data on the page");
    assert_eq!(ui.raw("GET", "/assets/index.js", &[]).status, 401);
    // The cookie is named for the port: two `serve`s on one host keep their own.
    let name = format!("logbook_token_{}", ui.addr.port());
    for (header, value) in [
        ("Authorization", "Bearer wrong".to_owned()),
        ("Authorization", ui.token.clone()),
        ("Cookie", format!("{name}=wrong")),
        ("Cookie", format!("{name}={}x", ui.token)),
        // The token under another port's cookie name: another `serve`'s, not this one's.
        ("Cookie", format!("logbook_token_1={}", ui.token)),
    ] {
        assert_eq!(
            ui.raw("GET", "/api/status", &[(header, &value)]).status,
            401,
            "{value}"
        );
    }
    assert_eq!(ui.raw("GET", "/?token=wrong", &[]).status, 401);

    let visit = ui.raw("GET", &format!("/?token={}", ui.token), &[]);
    assert_eq!(visit.status, 303);
    assert_eq!(visit.header("Location"), Some("/"));
    assert_eq!(
        visit.header("Set-Cookie"),
        Some(format!("{name}={}; HttpOnly; SameSite=Strict; Path=/", ui.token).as_str())
    );
    let cookie = format!("theme=dark; {name}={}", ui.token);
    let status = ui.raw("GET", "/api/status", &[("Cookie", &cookie)]);
    assert_eq!(status.status, 200);
    assert_eq!(status.json()["stats"]["events"], 12);
    // The page itself: the built UI, or the page saying how to build it; never the token page.
    for path in ["/", "/some/route"] {
        let page = ui.raw("GET", path, &[("Cookie", &cookie)]);
        match page.status {
            200 => assert!(
                page.header("Content-Type")
                    .unwrap()
                    .starts_with("text/html")
            ),
            503 => assert!(page.body.contains("the UI is not built"), "{}", page.body),
            other => panic!("{path}: {other} {}", page.body),
        }
        assert_armoured(path, |n| page.header(n).map(str::to_owned));
    }
}
}

#[test]
fn foreign_hosts_and_origins_are_refused_even_with_the_token() {
    let ui = Ui::loaded();
    let port = ui.addr.port();
    let bearer = ui.bearer();
    let evil = format!("evil.example:{port}");
    let other_port = format!("127.0.0.1:{}", port.wrapping_add(1));
    for host in [evil.as_str(), other_port.as_str(), "localhost", ""] {
        let r = ui.raw(
            "GET",
            "/api/status",
            &[("Host", host), ("Authorization", &bearer)],
        );
        assert_eq!(
            (r.status, r.json()["kind"].as_str()),
            (403, Some("forbidden")),
            "{host}"
        );
        let page = ui.raw("GET", "/", &[("Host", host), ("Authorization", &bearer)]);
        assert_eq!(page.status, 403, "{host}");
    }
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("LOCALHOST:{port}"),
        format!("[::1]:{port}"),
    ] {
        let r = ui.raw(
            "GET",
            "/api/status",
            &[("Host", &host), ("Authorization", &bearer)],
        );
        assert_eq!(r.status, 200, "{host}");
    }
    for origin in [
        "http://evil.example".to_owned(),
        format!("http://evil.example:{port}"),
        format!("https://127.0.0.1:{port}"),
        "null".to_owned(),
    ] {
        let r = ui.raw(
            "GET",
            "/api/events",
            &[("Origin", &origin), ("Authorization", &bearer)],
        );
        assert_eq!(r.status, 403, "{origin}");
        assert!(!r.body.contains("58213"));
    }
    let same = format!("http://localhost:{port}");
    let r = ui.raw(
        "GET",
        "/api/events",
        &[("Origin", &same), ("Authorization", &bearer)],
    );
    assert_eq!(r.status, 200);
}

on_both_stores! {
fn only_reads_are_served_and_every_answer_is_armoured(backend: Backend) {
    let ui = Ui::loaded_on(backend);
    let bearer = ui.bearer();
    for (method, path, allow) in [
        ("POST", "/api/status", "GET"),
        ("DELETE", "/api/events/1", "GET"),
        ("HEAD", "/api/status", "GET"),
        ("PUT", "/", "GET, HEAD"),
        ("POST", "/", "GET, HEAD"),
    ] {
        let r = ui.raw(method, path, &[("Authorization", &bearer)]);
        assert_eq!(r.status, 405, "{method} {path}");
        assert_eq!(r.header("Allow"), Some(allow), "{method} {path}");
        assert_armoured(path, |n| r.header(n).map(str::to_owned));
    }
    let head = ui.raw("HEAD", "/", &[("Authorization", &bearer)]);
    assert!(matches!(head.status, 200 | 503), "{}", head.status);
    assert!(head.body.is_empty());

    let port = ui.addr.port().to_string();
    let evil_host = format!("evil.example:{port}");
    let authorized = [("Authorization", bearer.as_str())];
    let evil = [("Host", evil_host.as_str())];
    for (path, headers, status) in [
        ("/api/status", &authorized[..], 200),
        ("/api/status", &[], 401),
        ("/", &[], 401),
        ("/api/status", &evil, 403),
        ("/api/nothing", &authorized, 404),
    ] {
        let r = ui.raw("GET", path, headers);
        assert_eq!(r.status, status, "{path} {headers:?}");
        assert_armoured(path, |n| r.header(n).map(str::to_owned));
        if path.starts_with("/api/") {
            assert_eq!(r.header("Cache-Control"), Some("no-store"), "{path}");
            assert_eq!(r.header("Content-Type"), Some("application/json"), "{path}");
        }
    }
}
}

on_both_stores! {
fn exports_stream_the_rows_the_cli_exports(backend: Backend) {
    let ui = Ui::loaded_on(backend);
    let response = agent()
        .get(&ui.url("/api/export"))
        .query("kind", "calls")
        .query("format", "csv")
        .set("Authorization", &ui.bearer())
        .call()
        .unwrap();
    assert_eq!(response.content_type(), "text/csv");
    let disposition = response.header("Content-Disposition").unwrap().to_owned();
    let name = disposition
        .strip_prefix("attachment; filename=\"logbook-calls-")
        .and_then(|n| n.strip_suffix(".csv\""))
        .unwrap_or_else(|| panic!("{disposition}"));
    assert!(
        name.len() == 15
            && name.as_bytes()[8] == b'-'
            && name.replace('-', "").bytes().all(|b| b.is_ascii_digit()),
        "{disposition}"
    );
    assert_eq!(response.header("Cache-Control"), Some("no-store"));
    assert_eq!(response.header("Content-Security-Policy"), Some(CSP));
    let got = response.into_string().unwrap();
    // The expected file was made by `import`; the harness posts through the catch-all endpoint `*`.
    let expected = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/expected/calls.csv"),
    )
    .unwrap();
    let normalise = |csv: &str| -> Vec<Vec<String>> {
        let mut reader = csv::Reader::from_reader(csv.as_bytes());
        let header = reader.headers().unwrap().clone();
        let endpoint = header.iter().position(|h| h == "endpoint").unwrap();
        let mut rows: Vec<Vec<String>> = reader
            .records()
            .map(|r| {
                let mut row: Vec<String> = r.unwrap().iter().map(str::to_owned).collect();
                row[endpoint].clear();
                row
            })
            .collect();
        rows.sort();
        rows.insert(0, header.iter().map(str::to_owned).collect());
        rows
    };
    assert_eq!(normalise(&got), normalise(&expected));

    let ndjson = agent()
        .get(&ui.url("/api/export?kind=messages&format=ndjson&q=kind%3Amessage"))
        .set("Authorization", &ui.bearer())
        .call()
        .unwrap();
    assert_eq!(ndjson.content_type(), "application/x-ndjson");
    assert_eq!(ndjson.into_string().unwrap().lines().count(), 9);
    let (status, events) = ui.get("/api/export", &[("kind", "events"), ("format", "json")]);
    assert_eq!((status, events.as_array().unwrap().len()), (200, 12));
    let raw = agent()
        .get(&ui.url("/api/export?kind=raw"))
        .set("Authorization", &ui.bearer())
        .call()
        .unwrap()
        .into_string()
        .unwrap();
    assert_eq!(raw.lines().count(), 12);

    for (query, kind) in [
        ("kind=calls&q=foo%3Abar", "bad_query"),
        ("kind=everything", "bad_request"),
        ("kind=calls&format=xlsx", "bad_request"),
        ("kind=raw&q=refund", "bad_request"),
        ("kind=raw&format=csv", "bad_request"),
        ("format=csv", "bad_request"),
    ] {
        let r = ui.raw(
            "GET",
            &format!("/api/export?{query}"),
            &[("Authorization", &ui.bearer())],
        );
        assert_eq!(
            (r.status, r.json()["kind"].as_str()),
            (400, Some(kind)),
            "{query}"
        );
        assert!(r.header("Content-Disposition").is_none(), "{query}");
    }
}
}

on_both_stores! {
fn live_sends_what_was_missed_then_each_commit_and_resumes_from_the_last_id(backend: Backend) {
    let ui = Ui::loaded_on(backend);
    let mut live = ui.live("?since=0&since_rejection=0", None);
    let (id, batch) = live.next_batch();
    assert_eq!(id, "12.0");
    assert_eq!(batch["rows"].as_array().unwrap().len(), 12);
    assert_eq!(batch["rows"][0]["id"], 1, "oldest first");
    assert_eq!(
        (
            batch["last_event_id"].as_i64(),
            batch["last_rejection_id"].as_i64()
        ),
        (Some(12), Some(0))
    );
    assert_eq!(batch["more"], false);

    let (log_id, body) = fresh_copy_of_01();
    assert_eq!(
        ui.h.post_signed(&body),
        (200, json!({"status": "stored", "id": 13}))
    );
    let (id, batch) = live.next_batch();
    assert_eq!(id, "13.0");
    assert_eq!(sources(&batch), ["a13"]);
    assert_eq!(batch["rows"][0]["kind"], "message_logged");
    // Its ids (log_id) are read from its derived rows, which come after the live row.
    ui.h.projected();
    assert_eq!(ui.ok("/api/events/13", &[])["log_id"], log_id);

    // A refused request arrives too.
    assert_eq!(ui.h.post("/", None, &body).0, 401);
    let (id, batch) = live.next_batch();
    assert_eq!(id, "13.1");
    assert_eq!(sources(&batch), ["r1"]);
    assert_eq!(batch["rows"][0]["status"], 401);
    // A duplicate commits no new row: nothing is sent for it.
    assert_eq!(ui.h.post_signed(&body).1["status"], "duplicate");
    drop(live);

    // A reconnecting EventSource repeats its URL and adds the last id it saw: nothing old comes back.
    let mut again = ui.live("?since=0&since_rejection=0", Some("13.1"));
    let (id, batch) = again.next_batch();
    assert_eq!(id, "13.1");
    assert_eq!(sources(&batch), Vec::<String>::new());
    let mut behind = ui.live("?since=0&since_rejection=0", Some("12.0"));
    assert_eq!(sources(&behind.next_batch().1), ["a13", "r1"]);
    // No ids: from now on.
    let mut fresh = ui.live("", None);
    assert_eq!(
        fresh.next_batch(),
        (
            "13.1".to_owned(),
            json!({"rows": [], "last_event_id": 13, "last_rejection_id": 1, "more": false})
        )
    );
    let (_, body) = fresh_copy_of_01();
    let (status, answer) = ui.h.post_signed(&body);
    assert_eq!(status, 200);
    // 14 on SQLite; on PostgreSQL the duplicate's insert took a number of the sequence (ids have
    // gaps there, never repeats).
    let next = format!("a{}", answer["id"]);
    assert!(answer["id"].as_i64().unwrap() >= 14, "{answer}");
    assert_eq!(sources(&fresh.next_batch().1), [next.as_str()]);
    assert_eq!(sources(&again.next_batch().1), [next.as_str()]);

    let bad = ui.raw(
        "GET",
        "/api/live?since=soon",
        &[("Authorization", &ui.bearer())],
    );
    assert_eq!(
        (bad.status, bad.json()["kind"].as_str()),
        (400, Some("bad_request"))
    );
    let bad = ui.raw(
        "GET",
        "/api/live",
        &[("Authorization", &ui.bearer()), ("Last-Event-ID", "12")],
    );
    assert_eq!(bad.status, 400);
}
}

on_both_stores! {
fn a_long_catch_up_comes_in_batches_of_500(backend: Backend) {
    let ui = Ui::start_on(backend);
    for _ in 0..620 {
        assert_eq!(ui.h.post_signed(&fresh_copy_of_01().1).0, 200);
    }
    // On PostgreSQL the stream sends an event once every transaction begun before its own has
    // ended, in the whole cluster (other tests hold some open): once projected, all 620 are.
    ui.h.projected();
    let mut live = ui.live("?since=100&since_rejection=0", None);
    let (id, first) = live.next_batch();
    assert_eq!(
        (
            id.as_str(),
            first["rows"].as_array().unwrap().len(),
            &first["more"]
        ),
        ("600.0", 500, &json!(true))
    );
    assert_eq!(first["rows"][0]["id"], 101);
    let (id, second) = live.next_batch();
    assert_eq!(
        (
            id.as_str(),
            second["rows"].as_array().unwrap().len(),
            &second["more"]
        ),
        ("620.0", 20, &json!(false))
    );
}
}

on_both_stores! {
fn shutting_down_ends_live_streams(backend: Backend) {
    let mut ui = Ui::loaded_on(backend);
    let mut live = ui.live("?since=12&since_rejection=0", None);
    assert_eq!(sources(&live.next_batch().1), Vec::<String>::new());
    let started = std::time::Instant::now();
    ui.server.take().unwrap().shutdown();
    assert!(started.elapsed() < Duration::from_secs(5));
    // The stream ends cleanly (the chunked body is terminated), it does not hang.
    let mut rest = String::new();
    live.lines.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "");
}
}

#[test]
fn the_webhook_port_serves_none_of_it() {
    let ui = Ui::loaded();
    let r = raw(
        ui.h.addr(),
        "GET",
        "/api/events",
        &[("Authorization", &ui.bearer())],
    );
    assert_eq!(r.status, 405);
    assert!(!r.body.contains("message_logged"), "{}", r.body);
}

#[test]
fn the_ui_listener_must_be_on_loopback() {
    let h = Harness::start();
    for listen in ["0.0.0.0:0", "[::]:0"] {
        match UiServer::start(
            UiConfig::new(listen),
            h.store().clone(),
            ReceiverInfo::default(),
        ) {
            Err(err @ UiServerError::NotLoopback(_)) => {
                assert!(
                    err.to_string()
                        .starts_with("the UI listener must be on loopback"),
                    "{err}"
                );
            }
            Err(other) => panic!("{listen}: {other}"),
            Ok(_) => panic!("{listen} was bound"),
        }
    }
}

/// Every command the service's list gives an HTTP path is served at that path: none of them
/// answers "no such API endpoint" (a command added to the list without a route fails here).
#[test]
fn every_listed_command_is_served_at_its_path() {
    let ui = Ui::loaded();
    let specs = logbook_service::commands::specs();
    assert!(specs.iter().filter(|s| s.http.is_some()).count() >= 14);
    for spec in specs {
        let Some(pattern) = spec.http else { continue };
        if pattern == logbook_service::commands::LIVE_HTTP
            || pattern == logbook_service::commands::REPLAY_HTTP
        {
            // A stream and the one POST: their own tests read them.
            continue;
        }
        let id = if spec.name == "call" { CALL } else { "1" };
        let path = pattern
            .replace("{id}", id)
            .replace("{sessionId}", WEB_SESSION);
        let query: &[(&str, &str)] = match spec.name {
            "custom_values" | "custom_calls" => &[("key", "call_reason")],
            "qualifier_values" => &[("key", "intent"), ("prefix", "pa")],
            "count" => &[("subject", "calls"), ("q", "failed:true")],
            "export_rows" => &[("kind", "events"), ("format", "json")],
            "compare" => &[("left", "1"), ("right", "2")],
            _ => &[],
        };
        let mut request = agent()
            .get(&ui.url(&path))
            .set("Authorization", &ui.bearer());
        for (k, v) in query {
            request = request.query(k, v);
        }
        let response = request
            .call()
            .unwrap_or_else(|e| panic!("{}: {e}", spec.name));
        assert_eq!(response.status(), 200, "{} at {path}", spec.name);
    }
}

/// `POST /api/replay`, the API's one write: only with the token, from this origin, as JSON; it signs
/// with the endpoint secret the server holds (never sent to the page) and keeps the answer.
#[test]
fn a_replay_is_the_one_post_guarded_like_every_read() {
    let h = Harness::start();
    let endpoint = Endpoint {
        path: None,
        auth: Auth::Jwt(Secret::new(SECRET).unwrap()),
    };
    let info = ReceiverInfo::new(
        &h.base,
        std::slice::from_ref(&endpoint),
        DEFAULT_MAX_BODY_BYTES,
    );
    let mut config = UiConfig::new("127.0.0.1:0");
    config.endpoints = vec![endpoint];
    let server = UiServer::start(config, h.store().clone(), info).unwrap();
    let addr = server.local_addr();
    let bearer = format!("Bearer {}", server.token());
    let (status, stored) = h.post_signed(&sample("10"));
    assert_eq!(status, 200);
    let id = stored["id"].as_i64().unwrap();

    // A downstream that knows only the endpoint's secret.
    let downstream = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let to = format!("http://{}/hook", downstream.server_addr().to_ip().unwrap());
    let verified = std::thread::spawn(move || {
        let request = downstream.recv().unwrap();
        let authorization = header_value(&request, "Authorization").map(str::to_owned);
        let ok = logbook_core::auth::check(
            &Auth::Jwt(Secret::new(SECRET).unwrap()),
            authorization.as_deref(),
        )
        .is_ok();
        let _ = request.respond(tiny_http::Response::from_string("thanks").with_status_code(202));
        ok
    });

    let body = serde_json::json!({"event": id, "to": to, "signing": "endpoint"}).to_string();
    let post = |headers: &[(&str, &str)]| {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(40)))
            .unwrap();
        let mut request = format!(
            "POST /api/replay HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        request.push_str(&body);
        stream.write_all(request.as_bytes()).unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        let status: u16 = answer.split(' ').nth(1).unwrap().parse().unwrap();
        (status, answer.split_once("\r\n\r\n").unwrap().1.to_owned())
    };
    let json = ("Content-Type", "application/json");
    assert_eq!(post(&[json]).0, 401, "no token");
    assert_eq!(
        post(&[
            json,
            ("Authorization", &bearer),
            ("Origin", "http://evil.example")
        ])
        .0,
        403
    );
    assert_eq!(
        post(&[("Content-Type", "text/plain"), ("Authorization", &bearer)]).0,
        400
    );
    assert_eq!(
        raw(addr, "GET", "/api/replay", &[("Authorization", &bearer)]).status,
        405
    );

    let origin = format!("http://{addr}");
    let (status, answer) = post(&[json, ("Authorization", &bearer), ("Origin", &origin)]);
    assert_eq!(status, 200, "{answer}");
    assert!(
        verified.join().unwrap(),
        "the downstream verified the endpoint's JWT"
    );
    let answer: Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(answer["status"], 202);
    assert_eq!(answer["response"], "thanks");
    assert_eq!(answer["signing"], "endpoint");
    let conn = h.reader();
    let kept = logbook_core::store::replays::replays(&conn, id).unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].status, Some(202));
    server.shutdown();
}
