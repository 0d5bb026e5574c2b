//! The desktop app's commands through Tauri's IPC, on the mock runtime with the app's real
//! configuration and capability (so the permissions are checked as in the app), over a temporary
//! database holding the twelve samples and a temporary config directory. The receiver is real: it
//! listens on a free loopback port and is posted to with signed requests. The team store tests
//! read a PostgreSQL store on the throwaway cluster of the integration tests' harness, filled by a
//! receiver of its own (as another instance of the team would).

#[path = "../../crates/logbook-cli/tests/it/harness_postgres.rs"]
#[allow(dead_code)] // the parts these tests do not use
mod harness_postgres;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use logbook_core::export::{Format, Kind};
use logbook_core::store::{Store, StoreOptions};
use logbook_desktop::live::LiveCursor;
use logbook_desktop::settings::{
    AuthMode, ConfigDir, EndpointSettings, ForwardMode, ForwardSettings, HeaderSetting, Settings,
    defaults,
};
use logbook_desktop::tunnel::{self, TunnelTool};
use logbook_desktop::{Shell, ShellOptions, with_commands};
use logbook_devtools::send::{self, Signing};
use logbook_http::ingest::Secret;
use logbook_http::plumbing::header_value;
use logbook_service::types::{ApiErrorKind, LiveBatch};
use serde_json::{Value, json};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewUrl, WebviewWindow, WebviewWindowBuilder};

const CALL: &str = "b231ef28-c861-4f33-8a17-384d95d6ddb5";
const WEB_SESSION: &str = "c3e1a7d4-5b28-4f90-8e6a-1d9b2c7f3a05";
const SECRET: &str = "a webhook secret for the tests";

fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/samples")
}

fn sample_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(samples_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

/// A loopback port nobody listens on (now).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The app over a temporary database and config directory, with a window labelled `main`.
struct Fixture {
    dir: tempfile::TempDir,
    shell: Shell,
    app: App<MockRuntime>,
    window: WebviewWindow<MockRuntime>,
}

impl Fixture {
    /// The samples imported, settings saved with `port` and one catch-all JWT endpoint.
    fn with_port(port: u16) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("logbook.db");
        let store = Store::open(&db, StoreOptions::default()).unwrap();
        let report = logbook_core::import::import_files(&store, &sample_files(), &|_| {}).unwrap();
        assert_eq!(report.stored, 12);
        store.close().unwrap();
        let mut settings = defaults();
        settings.port = port;
        settings.endpoints[0].new_secret = Some(SECRET.into());
        ConfigDir::new(dir.path().join("config"))
            .save(settings)
            .unwrap();
        std::fs::create_dir(dir.path().join("exports")).unwrap();
        Self::open(dir)
    }

    fn new() -> Self {
        Self::with_port(free_port())
    }

    fn open(dir: tempfile::TempDir) -> Self {
        let shell = Shell::open(ShellOptions {
            db_path: dir.path().join("logbook.db"),
            config_dir: dir.path().join("config"),
            export_path: Some(dir.path().join("exports")),
        })
        .unwrap();
        let app = with_commands(mock_builder())
            .manage(shell.clone())
            .build(logbook_desktop::context())
            .unwrap();
        let window = WebviewWindowBuilder::new(&app, "main", WebviewUrl::default())
            .build()
            .unwrap();
        Self {
            dir,
            shell,
            app,
            window,
        }
    }

    /// Invokes `cmd` with `args` as the UI's transport does, from the app's own origin.
    fn invoke(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        invoke_from(&self.window, cmd, args)
    }

    fn ok(&self, cmd: &str, args: Value) -> Value {
        self.invoke(cmd, args)
            .unwrap_or_else(|e| panic!("{cmd} failed: {e}"))
    }

    fn err(&self, cmd: &str, args: Value) -> Value {
        match self.invoke(cmd, args) {
            Ok(v) => panic!("{cmd} answered {v} instead of an error"),
            Err(e) => e,
        }
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("config")
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        self.shell.shutdown();
    }
}

fn invoke_from(
    window: &WebviewWindow<MockRuntime>,
    cmd: &str,
    args: Value,
) -> Result<Value, Value> {
    get_ipc_response(
        window,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|body| body.deserialize::<Value>().unwrap())
}

/// A list command's arguments: the service's `ListRequest`, as the invoke's argument object.
fn list(request: Value) -> Value {
    request
}

#[test]
fn lists_and_details_answer_as_the_core_does() {
    let f = Fixture::new();
    let events = f.ok("events", list(json!({"q": "", "limit": 5, "facets": true})));
    assert_eq!(events["items"].as_array().unwrap().len(), 5);
    assert!(!events["facets"].as_array().unwrap().is_empty());
    let cursor = events["next_cursor"].as_str().unwrap();
    let rest = f.ok("events", list(json!({"q": "", "cursor": cursor})));
    assert_eq!(rest["items"].as_array().unwrap().len(), 7);

    let messages = f.ok("messages", list(json!({"q": ""})));
    let ids: Vec<i64> = messages["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["event_id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 9);
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");

    let conversations = f.ok("conversations", list(json!({"q": ""})));
    assert_eq!(conversations["items"].as_array().unwrap().len(), 3);
    let web = f.ok("conversation", json!({"sessionId": WEB_SESSION}));
    assert_eq!(web["session_id"], WEB_SESSION);

    let calls = f.ok("calls", list(json!({"q": ""})));
    assert_eq!(calls["items"].as_array().unwrap().len(), 3);
    let verified = f.ok("calls", list(json!({"q": "custom.account_verified:true"})));
    assert_eq!(verified["items"][0]["global_session_id"], CALL);
    assert_eq!(verified["items"].as_array().unwrap().len(), 1);
    let call = f.ok("call", json!({"id": CALL}));
    let turns = call["turns"].as_array().unwrap();
    assert_eq!(turns.len(), 3);
    // Each turn links to the message it produced, which opens as an event.
    let message_event = turns[0]["message"]["event_id"].as_i64().unwrap();
    let event = f.ok("event", json!({"id": message_event.to_string()}));
    assert_eq!(event["kind"], "message_logged");

    let event = f.ok("event", json!({"id": "1"}));
    assert_eq!(
        (event["id"].as_i64(), event["source"].as_str()),
        (Some(1), Some("accepted"))
    );

    let keys = f.ok("custom_keys", json!({}));
    assert_eq!(keys.as_array().unwrap().len(), 4);
    assert_eq!(
        f.ok("custom_values", json!({"key": "call_reason", "limit": 10})),
        json!([{"value": "pay_bill", "calls": 1}])
    );
    let with = f.ok(
        "custom_calls",
        json!({"key": "call_reason", "value": "pay_bill", "limit": 10}),
    );
    assert_eq!(with[0]["global_session_id"], CALL);
    let any = f.ok("custom_calls", json!({"key": "call_reason", "value": null}));
    assert_eq!(any.as_array().unwrap().len(), 1);

    let qualifiers = f.ok("qualifiers", json!({}));
    assert!(
        qualifiers
            .as_array()
            .unwrap()
            .iter()
            .any(|q| q["key"] == "intent:")
    );
}

#[test]
fn errors_reach_the_ui_as_kind_and_message() {
    let f = Fixture::new();
    let err = f.err("calls", list(json!({"q": "refund foo:bar"})));
    assert_eq!(err["kind"], "bad_query");
    assert_eq!(err["span"], json!([7, 10]));
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("unknown qualifier"),
        "{err}"
    );
    assert_eq!(
        f.err("call", json!({"id": "no-such-call"}))["kind"],
        "not_found"
    );
    assert_eq!(f.err("event", json!({"id": "r999"}))["kind"], "not_found");
    assert_eq!(
        f.err("events", list(json!({"q": "", "cursor": "x.y"})))["kind"],
        "bad_request"
    );
    // A bad export query is refused before any dialog opens.
    let err = f.err(
        "export_rows",
        json!({"kind": "calls", "format": "csv", "q": "duration>abc"}),
    );
    assert_eq!(
        (err["kind"].as_str(), &err["span"]),
        (Some("bad_query"), &json!([9, 12]))
    );
}

#[test]
fn the_window_may_call_the_app_commands_and_nothing_else() {
    let f = Fixture::new();
    // The save dialog is opened from Rust: the page itself has no dialog (or any plugin) permission.
    for cmd in [
        "plugin:dialog|save",
        "plugin:dialog|open",
        "plugin:event|listen",
        "plugin:window|close",
    ] {
        let err = f.err(cmd, json!({}));
        assert!(err.to_string().contains("not allowed"), "{cmd}: {err}");
    }
    // Another window gets nothing: the capability names the main window only.
    let other = WebviewWindowBuilder::new(&f.app, "other", WebviewUrl::default())
        .build()
        .unwrap();
    let err = invoke_from(&other, "status", json!({})).unwrap_err();
    assert!(err.to_string().contains("not allowed"), "{err}");
}

/// The app registers exactly the desktop commands of the service's list, and its capability allows
/// exactly those: a command added to the list (or to the app) but not to the other fails here.
#[test]
fn the_app_serves_and_allows_the_desktop_commands_of_the_list() {
    let desktop: std::collections::BTreeSet<String> = logbook_service::commands::specs()
        .into_iter()
        .filter(|s| s.desktop)
        .map(|s| s.name.to_owned())
        .collect();
    let capability: Value = serde_json::from_str(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("capabilities/default.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let allowed: std::collections::BTreeSet<String> = capability["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            p.as_str()
                .unwrap()
                .strip_prefix("allow-")
                .unwrap()
                .replace('-', "_")
        })
        .collect();
    assert_eq!(allowed, desktop);

    let f = Fixture::new();
    let unknown = f.err("no_such_command", json!({})).to_string();
    assert!(unknown.contains("not found"), "{unknown}");
    for name in &desktop {
        // A registered command answers, or refuses its arguments (`start_tunnel` is given a bad
        // tool so that it starts nothing); only an unregistered one is "not found".
        let args = if name == "start_tunnel" {
            json!({"tool": 5})
        } else {
            json!({})
        };
        if let Err(err) = f.invoke(name, args) {
            let text = err.to_string();
            assert!(!text.contains("not found"), "{name}: {text}");
        }
    }
}

#[test]
fn status_names_the_receiver_and_the_database() {
    let port = free_port();
    let f = Fixture::with_port(port);
    let status = f.ok("status", json!({}));
    let url = format!("http://127.0.0.1:{port}");
    assert_eq!(status["receiver_url"], url.as_str());
    assert_eq!(status["stats"]["events"], 12);
    assert_eq!(status["stats"]["conversations"], 3);
    assert_eq!(status["endpoints"], json!([{"path": null, "mode": "jwt"}]));
    assert_eq!(
        status["tunnel_commands"],
        json!([
            format!("cloudflared tunnel --url {url}"),
            format!("ngrok http 127.0.0.1:{port}")
        ])
    );
    assert!(status["database"].as_str().unwrap().ends_with("logbook.db"));
}

#[test]
fn export_writes_the_file_from_rust_and_returns_only_its_row_count() {
    let f = Fixture::new();
    let answer = f.ok(
        "export_rows",
        json!({"kind": "calls", "format": "csv", "q": ""}),
    );
    assert_eq!(answer["rows"], 3);
    let path = PathBuf::from(answer["path"].as_str().unwrap());
    assert_eq!(path.parent().unwrap(), f.dir.path().join("exports"));
    let name = path.file_name().unwrap().to_str().unwrap();
    assert!(
        name.starts_with("logbook-calls-") && name.ends_with(".csv"),
        "{name}"
    );
    // Exactly what the core's export writes.
    let conn = logbook_core::store::open_reader(&f.dir.path().join("logbook.db")).unwrap();
    let mut expected = Vec::new();
    logbook_core::export::export(&conn, Kind::Calls, "", Format::Csv, &mut expected, &|_| {})
        .unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), expected);
    // No partial file is left behind.
    let files = std::fs::read_dir(f.dir.path().join("exports"))
        .unwrap()
        .count();
    assert_eq!(files, 1);

    let raw = f.ok(
        "export_rows",
        json!({"kind": "raw", "format": "ndjson", "q": ""}),
    );
    assert_eq!(raw["rows"], 12);
}

#[test]
fn export_reports_progress_and_removes_a_failed_file() {
    let f = Fixture::new();
    let conn = logbook_core::store::open_reader(&f.dir.path().join("logbook.db")).unwrap();
    let path = f.dir.path().join("exports/turns.ndjson");
    let reports = Mutex::new(Vec::new());
    let rows = logbook_desktop::commands::write_export(
        (&conn).into(),
        Kind::CallTurns,
        Format::Ndjson,
        "",
        &path,
        &|rows, done| reports.lock().unwrap().push((rows, done)),
    )
    .unwrap();
    assert_eq!(rows, 9);
    assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 9);
    // Raw takes no query: the error comes back and no file (partial or not) is left.
    let bad = f.dir.path().join("exports/raw.ndjson");
    let err = logbook_desktop::commands::write_export(
        (&conn).into(),
        Kind::Raw,
        Format::Ndjson,
        "kind:cdr",
        &bad,
        &|_, _| {},
    )
    .unwrap_err();
    assert_eq!(err.kind, ApiErrorKind::BadRequest);
    let names: Vec<String> = std::fs::read_dir(f.dir.path().join("exports"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["turns.ndjson"]);
}

/// Collects what a live subscription sends.
fn collector() -> (
    Arc<Mutex<Vec<LiveBatch>>>,
    impl Fn(LiveBatch) -> bool + Send + 'static,
) {
    let batches = Arc::new(Mutex::new(Vec::new()));
    let sink = batches.clone();
    (batches, move |b| {
        sink.lock().unwrap().push(b);
        true
    })
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn live_updates_catch_up_then_follow_the_writers_commits() {
    let f = Fixture::new();
    // Through the IPC: an id, and stop_live ends it.
    let id = f.ok(
        "live",
        json!({"since": {"lastEventId": 12, "lastRejectionId": 0}, "channel": "__CHANNEL__:7"}),
    );
    assert!(id.is_u64(), "{id}");
    assert_eq!(f.ok("stop_live", json!({"id": id})), json!(true));
    assert_eq!(f.ok("stop_live", json!({"id": id})), json!(false));

    // The forwarding itself, from event 10: a catch-up batch, then each new request.
    let (batches, sink) = collector();
    let sub = f.shell.start_live(
        "main",
        LiveCursor {
            last_event_id: 10,
            last_rejection_id: 0,
        },
        sink,
    );
    wait_for("the catch-up", || !batches.lock().unwrap().is_empty());
    {
        let first = &batches.lock().unwrap()[0];
        let ids: Vec<i64> = first.rows.iter().map(|r| r.id).collect();
        assert_eq!(ids, [11, 12]);
        assert_eq!(
            (first.last_event_id, first.last_rejection_id, first.more),
            (12, 0, false)
        );
    }
    // A signed request and a refused one arrive through the real receiver.
    let url = f.ok("status", json!({}))["receiver_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let body = br#"{"event":{"name":"message_logged"},"payload":{"log_id":"live-1","request":{"input":{"text":"hello live"}},"response":{"output":{"generic":[]}}}}"#;
    let agent = send::agent();
    let (status, answer) = send::post(
        &agent,
        &format!("{url}/"),
        &Signing::Jwt(Secret::new(SECRET).unwrap()),
        body,
    );
    assert_eq!(status, Some(200), "{answer}");
    let (status, _) = send::post(&agent, &format!("{url}/"), &Signing::None, body);
    assert_eq!(status, Some(401));
    wait_for("the new rows", || {
        let batches = batches.lock().unwrap();
        batches.iter().map(|b| b.rows.len()).sum::<usize>() >= 4
    });
    let batches = batches.lock().unwrap().clone();
    let rows: Vec<(String, i64)> = batches
        .iter()
        .flat_map(|b| b.rows.iter().map(|r| (r.source.clone(), r.id)))
        .collect();
    assert_eq!(
        rows,
        [
            ("accepted".to_owned(), 11),
            ("accepted".to_owned(), 12),
            ("accepted".to_owned(), 13),
            ("rejected".to_owned(), 1)
        ]
    );
    let last = batches.last().unwrap();
    assert_eq!((last.last_event_id, last.last_rejection_id), (13, 1));
    assert!(f.shell.live().stop(sub));
}

#[test]
fn live_updates_end_when_the_page_reloads_or_the_app_quits() {
    let f = Fixture::new();
    let (_, sink) = collector();
    let live = f.shell.live();
    f.shell.start_live("main", LiveCursor::default(), sink);
    let (_, sink) = collector();
    f.shell.start_live("other", LiveCursor::default(), sink);
    assert_eq!(live.count(), 2);
    live.stop_webview("main");
    wait_for("the main window's subscription to end", || {
        live.count() == 1
    });
    f.shell.shutdown();
    assert_eq!(live.count(), 0);
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn settings_round_trip_keeps_secrets_out_of_the_settings_file() {
    let f = Fixture::new();
    let view = f.ok("get_settings", json!({}));
    assert_eq!(view["receiver"]["problem"], Value::Null);
    assert_eq!(view["receiver"]["read_only"], false);
    let endpoint = &view["settings"]["endpoints"][0];
    assert_eq!(endpoint["id"], "default");
    assert_eq!(endpoint["secret_masked"], "•".repeat(16));
    assert_eq!(endpoint.get("new_secret"), None);

    let mut settings: Settings = serde_json::from_value(view["settings"].clone()).unwrap();
    let port = free_port();
    settings.port = port;
    settings.max_body_bytes = 2 * 1024 * 1024;
    settings.retention.rejections_kept = 50;
    settings.retention.keep_days = Some(30);
    settings.retention.max_db_mb = Some(500);
    settings.endpoints.push(EndpointSettings {
        id: String::new(),
        path: Some("/draft".into()),
        mode: AuthMode::Jwt,
        secret_masked: None,
        new_secret: Some("draft secret".into()),
        forwards: Vec::new(),
    });
    settings.endpoints.push(EndpointSettings {
        id: String::new(),
        path: Some("/open".into()),
        mode: AuthMode::None,
        secret_masked: None,
        new_secret: None,
        forwards: Vec::new(),
    });
    let saved = f.ok("save_settings", json!({"settings": settings}));
    assert_eq!(saved["receiver"]["url"], format!("http://127.0.0.1:{port}"));
    assert_eq!(
        saved["restart_needed"], true,
        "retention applies at the next launch"
    );
    assert_eq!(
        saved["settings"]["retention"],
        json!({"rejections_kept": 50, "keep_days": 30, "max_db_mb": 500})
    );
    let endpoints = saved["settings"]["endpoints"].as_array().unwrap();
    assert_eq!(endpoints.len(), 3);
    let draft = &endpoints[1];
    assert_eq!(draft["path"], "/draft");
    assert_eq!(draft["secret_masked"], "••••••••••••");
    let draft_id = draft["id"].as_str().unwrap();
    assert!(!draft_id.is_empty());
    assert_eq!(
        endpoints[2].get("secret_masked"),
        None,
        "mode none needs no secret"
    );

    // The secret is in its own file, readable by the user only, and nowhere in the settings.
    let secret_file = f.config().join("secrets").join(draft_id);
    assert_eq!(
        std::fs::read_to_string(&secret_file).unwrap(),
        "draft secret"
    );
    assert_eq!(mode(&secret_file), 0o600);
    assert_eq!(mode(&f.config().join("secrets")), 0o700);
    let file = std::fs::read_to_string(f.config().join("settings.json")).unwrap();
    assert!(
        !file.contains("draft secret") && !file.contains(SECRET),
        "{file}"
    );
    assert!(
        !file.contains("secret_masked") && !file.contains("new_secret"),
        "{file}"
    );
    assert_eq!(
        f.ok("reveal_secret", json!({"endpointId": draft_id})),
        json!("draft secret")
    );

    // The receiver runs with them: the new endpoint verifies with its own secret.
    let status = f.ok("status", json!({}));
    assert_eq!(status["max_body_bytes"], 2 * 1024 * 1024);
    let url = status["receiver_url"].as_str().unwrap();
    let body = std::fs::read(samples_dir().join("01_webchat_welcome.json")).unwrap();
    let agent = send::agent();
    let draft_secret = Signing::Jwt(Secret::new("draft secret").unwrap());
    assert_eq!(
        send::post(&agent, &format!("{url}/draft"), &draft_secret, &body).0,
        Some(200)
    );
    let wrong = Signing::Jwt(Secret::new(SECRET).unwrap());
    assert_eq!(
        send::post(&agent, &format!("{url}/draft"), &wrong, &body).0,
        Some(401)
    );

    // The same settings come back from the file, and after a restart of the app.
    assert_eq!(
        f.ok("get_settings", json!({}))["settings"],
        saved["settings"]
    );
    let again = ConfigDir::new(f.config()).load().unwrap().unwrap();
    assert_eq!(serde_json::to_value(&again).unwrap(), saved["settings"]);

    // Removing an endpoint removes its secret file; invalid settings are refused whole.
    let mut fewer = again.clone();
    fewer.endpoints.truncate(1);
    let kept = f.ok("save_settings", json!({"settings": fewer}))["settings"].clone();
    assert!(!secret_file.exists());
    let mut bad = fewer.clone();
    bad.endpoints[0].path = Some("no-slash".into());
    let err = f.err("save_settings", json!({"settings": bad}));
    assert_eq!(err["kind"], "bad_request");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("must start with '/'")
    );
    let on_disk = ConfigDir::new(f.config()).load().unwrap().unwrap();
    assert_eq!(serde_json::to_value(on_disk).unwrap(), kept);
}

/// A downstream on a free port: each request's event id, Authorization, `X-Team` and delivery id.
type Deliveries = Arc<Mutex<Vec<(i64, Option<String>, Option<String>, String)>>>;

fn downstream() -> (String, Deliveries) {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let url = format!("http://{}/in", server.server_addr().to_ip().unwrap());
    let seen: Deliveries = Arc::default();
    let log = seen.clone();
    std::thread::spawn(move || {
        for request in server.incoming_requests() {
            let header = |name: &'static str| header_value(&request, name).map(str::to_owned);
            let event = header("X-Logbook-Event").unwrap().parse().unwrap();
            let entry = (
                event,
                header("Authorization"),
                header("X-Team"),
                header("X-Logbook-Delivery").unwrap(),
            );
            log.lock().unwrap().push(entry);
            let _ = request.respond(tiny_http::Response::from_string("ok"));
        }
    });
    (url, seen)
}

#[test]
fn settings_add_edit_and_remove_downstreams_and_the_running_app_forwards_with_them() {
    let f = Fixture::new();
    let (first_url, first) = downstream();
    let (second_url, second) = downstream();
    let view = f.ok("get_settings", json!({}));
    assert_eq!(view["settings"]["endpoints"][0]["forwards"], json!([]));
    let mut settings: Settings = serde_json::from_value(view["settings"].clone()).unwrap();

    // A downstream that signs needs its own secret: none is made up.
    settings.endpoints[0].forwards.push(ForwardSettings {
        id: String::new(),
        url: first_url.clone(),
        mode: ForwardMode::Jwt,
        headers: vec![HeaderSetting {
            name: "X-Team".into(),
            value: "support".into(),
        }],
        parallel: 2,
        secret_masked: None,
        new_secret: None,
    });
    let err = f.err("save_settings", json!({"settings": settings}));
    assert_eq!(err["kind"], "bad_request");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("needs the downstream's secret"),
        "{err}"
    );
    // Nor a header that is not one, nor a header Logbook sets.
    for (name, value, says) in [
        ("X Team", "a", "not a valid header name"),
        ("X-Team", "a\nb", "visible ASCII"),
        ("Authorization", "x", "Logbook sets this header"),
    ] {
        let mut bad = settings.clone();
        bad.endpoints[0].forwards[0].new_secret = Some("downstream secret".into());
        bad.endpoints[0].forwards[0].headers = vec![HeaderSetting {
            name: name.into(),
            value: value.into(),
        }];
        let err = f.err("save_settings", json!({"settings": bad}));
        assert!(err["message"].as_str().unwrap().contains(says), "{err}");
    }

    settings.endpoints[0].forwards[0].new_secret = Some("downstream secret".into());
    let saved = f.ok("save_settings", json!({"settings": settings}));
    assert_eq!(saved["receiver"]["problem"], Value::Null);
    let forward = &saved["settings"]["endpoints"][0]["forwards"][0];
    assert_eq!(forward["url"], first_url.as_str());
    assert_eq!(forward["mode"], "jwt");
    assert_eq!(forward["parallel"], 2);
    assert_eq!(
        forward["headers"],
        json!([{"name": "X-Team", "value": "support"}])
    );
    assert_eq!(forward["secret_masked"], "•".repeat(16));
    assert_eq!(forward.get("new_secret"), None);
    let forward_id = forward["id"].as_str().unwrap().to_owned();
    let secret_file = f.config().join("secrets").join(&forward_id);
    assert_eq!(
        std::fs::read_to_string(&secret_file).unwrap(),
        "downstream secret"
    );
    assert_eq!(mode(&secret_file), 0o600);
    let file = std::fs::read_to_string(f.config().join("settings.json")).unwrap();
    assert!(!file.contains("downstream secret"), "{file}");
    assert_eq!(
        f.err("reveal_secret", json!({"endpointId": forward_id}))["kind"],
        "not_found",
        "a downstream's secret is never shown"
    );

    // The running app forwards what it receives from now on, signed with the downstream's secret.
    let url = f.ok("status", json!({}))["receiver_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let watson = Signing::Jwt(Secret::new(SECRET).unwrap());
    // A fresh turn each time (the samples are stored already: they would be duplicates), on a new
    // connection (a saved setting restarts the receiver).
    let post = |seed: u64| {
        let body = logbook_devtools::generate::message_body(seed, 2_000);
        let (status, answer) = send::post(&send::agent(), &format!("{url}/"), &watson, &body);
        assert_eq!(status, Some(200), "{answer}");
        let answer: Value = serde_json::from_str(&answer).unwrap();
        assert_eq!(answer["status"], "stored", "{answer}");
        answer["id"].as_i64().unwrap()
    };
    let id = post(1);
    wait_for("the first downstream's delivery", || {
        first.lock().unwrap().iter().any(|d| d.0 == id)
    });
    let own = logbook_core::auth::Auth::Jwt(Secret::new("downstream secret").unwrap());
    {
        let got = first.lock().unwrap();
        let (_, authorization, team, _) = got.iter().find(|d| d.0 == id).unwrap();
        assert!(logbook_core::auth::check(&own, authorization.as_deref()).is_ok());
        assert_eq!(team.as_deref(), Some("support"));
    }
    let event = f.ok("event", json!({"id": id.to_string()}));
    wait_for("the delivery recorded", || {
        f.ok("event", json!({"id": id.to_string()}))["deliveries"][0]["state"] == "delivered"
    });
    assert_eq!(event["deliveries"][0]["target"], format!("*@{first_url}"));
    let status = f.ok("status", json!({}));
    assert_eq!(
        status["stats"]["forwarding"][0]["target"],
        format!("*@{first_url}")
    );

    // Edited: the same downstream (its secret kept) moves to another URL and passes Watson's
    // header through; the next event goes there, the first downstream gets nothing more.
    let mut edited: Settings = serde_json::from_value(saved["settings"].clone()).unwrap();
    edited.endpoints[0].forwards[0].url = second_url.clone();
    edited.endpoints[0].forwards[0].mode = ForwardMode::Passthrough;
    let saved = f.ok("save_settings", json!({"settings": edited}));
    assert_eq!(
        saved["settings"]["endpoints"][0]["forwards"][0]["id"],
        forward_id.as_str()
    );
    let next = post(2);
    wait_for("the second downstream's delivery", || {
        second.lock().unwrap().iter().any(|d| d.0 == next)
    });
    {
        let got = second.lock().unwrap();
        let (_, authorization, _, _) = got.iter().find(|d| d.0 == next).unwrap();
        let watsons = logbook_core::auth::Auth::Jwt(Secret::new(SECRET).unwrap());
        assert!(logbook_core::auth::check(&watsons, authorization.as_deref()).is_ok());
    }
    assert!(first.lock().unwrap().iter().all(|d| d.0 != next));
    let f_row = f.ok("events", list(json!({"q": ""})))["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == next && r["source"] == "accepted")
        .cloned()
        .unwrap();
    assert!(f_row["forwarding"].is_object(), "{f_row}");
    let states = f.ok("forwarding", json!({"ids": format!("{id},{next}")}));
    assert_eq!(states.as_array().unwrap().len(), 2, "{states}");

    // Removed: its secret file goes, and nothing more is forwarded.
    let mut removed: Settings = serde_json::from_value(saved["settings"].clone()).unwrap();
    removed.endpoints[0].forwards.clear();
    f.ok("save_settings", json!({"settings": removed}));
    assert!(!secret_file.exists());
    let last = post(3);
    let states = f.ok("forwarding", json!({"ids": last.to_string()}));
    assert_eq!(
        states,
        json!([]),
        "an event after the removal is not forwarded"
    );
}

#[test]
fn retention_from_the_settings_applies_when_the_app_opens_the_store() {
    // About 3 MB of generated traffic, then settings that keep the database under 1 MB.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("logbook.db");
    let store = Store::open(&db, StoreOptions::default()).unwrap();
    let span = chrono::Duration::hours(1);
    let generator = logbook_devtools::generate::Generator::with_event_count(
        logbook_devtools::generate::GenerateOptions {
            seed: 7,
            start: chrono::Utc::now() - span,
            span,
        },
        600,
    );
    let report =
        logbook_core::import::import_bodies(&store, "load", generator.take(600), &|_| {}).unwrap();
    assert_eq!(report.stored, 600);
    store.close().unwrap();
    let mut settings = defaults();
    settings.port = free_port();
    settings.retention.keep_days = Some(30);
    settings.retention.max_db_mb = Some(1);
    ConfigDir::new(dir.path().join("config"))
        .save(settings)
        .unwrap();

    let f = Fixture::open(dir);
    let view = f.ok("get_settings", json!({}));
    assert_eq!(view["restart_needed"], false);
    let events = || {
        f.ok("status", json!({}))["stats"]["events"]
            .as_i64()
            .unwrap()
    };
    wait_for("the oldest events to go", || events() < 600);
    let reader = logbook_core::store::open_reader(&f.dir.path().join("logbook.db")).unwrap();
    wait_for("the data to come under its bound", || {
        logbook_core::store::retention::used_bytes(&reader).unwrap() <= 1024 * 1024
    });

    // A change of either bound is for the next launch, like the rejections kept; undoing it is not.
    let saved: Settings = serde_json::from_value(view["settings"].clone()).unwrap();
    type Change = fn(&mut Settings);
    let changes: [Change; 3] = [
        |s| s.retention.keep_days = None,
        |s| s.retention.max_db_mb = Some(2),
        |s| s.retention.rejections_kept += 1,
    ];
    for change in changes {
        let mut changed = saved.clone();
        change(&mut changed);
        let view = f.ok("save_settings", json!({"settings": changed}));
        assert_eq!(view["restart_needed"], true, "{}", view["settings"]);
        let view = f.ok("save_settings", json!({"settings": saved}));
        assert_eq!(view["restart_needed"], false);
    }
    let mut bad = saved.clone();
    bad.retention.keep_days = Some(0);
    let err = f.err("save_settings", json!({"settings": bad}));
    assert_eq!(err["kind"], "bad_request");
}

#[test]
fn saving_settings_on_the_same_port_keeps_receiving_there() {
    // The old receiver's port is closed by its accept thread a moment after it stops: the new one
    // waits for it rather than calling the app's own port taken.
    let f = Fixture::new();
    let view = f.ok("get_settings", json!({}));
    let url = view["receiver"]["url"].clone();
    let body = std::fs::read(samples_dir().join("01_webchat_welcome.json")).unwrap();
    let signing = Signing::Jwt(Secret::new(SECRET).unwrap());
    for _ in 0..5 {
        let again = f.ok("save_settings", json!({"settings": view["settings"]}));
        // A new connection each time: one kept alive from before the restart belongs to the old
        // receiver, which no longer answers on it (the core's `Receiver::shutdown` leaves it open).
        let agent = send::agent();
        assert_eq!(again["receiver"]["problem"], Value::Null, "{again}");
        assert_eq!(again["receiver"]["url"], url);
        let posted = send::post(
            &agent,
            &format!("{}/", url.as_str().unwrap()),
            &signing,
            &body,
        );
        assert_eq!(posted.0, Some(200));
    }
}

#[test]
fn first_launch_makes_a_private_secret_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let config = ConfigDir::new(dir.path().join("config"));
    let (settings, first) = config.load_or_init().unwrap();
    assert!(first);
    assert_eq!(settings.port, 7420);
    assert_eq!(settings.endpoints.len(), 1);
    assert!(settings.endpoints[0].secret_masked.is_some());
    let secret_file = dir.path().join("config/secrets/default");
    assert_eq!(mode(&secret_file), 0o600);
    let (_, again) = config.load_or_init().unwrap();
    assert!(!again);
}

#[test]
fn a_taken_port_is_reported_with_a_free_one() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let f = Fixture::with_port(port);
    let view = f.ok("get_settings", json!({}));
    assert_eq!(view["receiver"]["url"], Value::Null);
    let problem = &view["receiver"]["problem"];
    assert_eq!(problem["kind"], "port_taken");
    let suggested = problem["suggested_port"].as_u64().unwrap() as u16;
    assert_ne!(suggested, port);
    let message = problem["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("port {port} is already in use")),
        "{message}"
    );
    assert!(
        message.contains(&format!("Port {suggested} is free")),
        "{message}"
    );
    assert_eq!(f.ok("status", json!({}))["receiver_url"], Value::Null);

    // Taking the suggestion starts the receiver.
    let mut settings: Settings = serde_json::from_value(view["settings"].clone()).unwrap();
    settings.port = suggested;
    let view = f.ok("save_settings", json!({"settings": settings}));
    assert_eq!(
        view["receiver"]["url"],
        format!("http://127.0.0.1:{suggested}")
    );
    assert_eq!(view["receiver"]["problem"], Value::Null);
}

#[test]
fn a_database_written_by_another_process_opens_read_only() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("logbook.db");
    let store = Store::open(&db, StoreOptions::default()).unwrap();
    logbook_core::import::import_files(&store, &sample_files(), &|_| {}).unwrap();
    let mut settings = defaults();
    settings.port = free_port();
    ConfigDir::new(dir.path().join("config"))
        .save(settings)
        .unwrap();
    let f = Fixture::open(dir);
    let view = f.ok("get_settings", json!({}));
    assert_eq!(view["receiver"]["read_only"], true);
    assert_eq!(view["receiver"]["url"], Value::Null);
    assert_eq!(view["receiver"]["problem"]["kind"], "read_only");
    let message = view["receiver"]["problem"]["message"].as_str().unwrap();
    assert!(
        message.contains("already being written by another Logbook"),
        "{message}"
    );
    assert_eq!(f.ok("status", json!({}))["receiver_url"], Value::Null);
    let conversations = f.ok("conversations", list(json!({"q": ""})));
    assert_eq!(conversations["items"].as_array().unwrap().len(), 3);
    // Saving settings does not start a receiver on a database someone else writes.
    let mut settings: Settings = serde_json::from_value(view["settings"].clone()).unwrap();
    settings.port = free_port();
    let view = f.ok("save_settings", json!({"settings": settings}));
    assert_eq!(view["receiver"]["url"], Value::Null);

    // Live updates poll, and see what the other writer commits.
    let (batches, sink) = collector();
    f.shell.start_live(
        "main",
        LiveCursor {
            last_event_id: 12,
            last_rejection_id: 0,
        },
        sink,
    );
    let body = std::fs::read(samples_dir().join("01_webchat_welcome.json")).unwrap();
    let copy = String::from_utf8(body).unwrap().replace(
        "a84e7710-756e-46ad-8046-959b2b32b1c7",
        "a84e7710-0000-0000-0000-000000000000",
    );
    let file = f.dir.path().join("copy.json");
    std::fs::write(&file, copy).unwrap();
    logbook_core::import::import_files(&store, &[file], &|_| {}).unwrap();
    wait_for("the polled row", || {
        batches
            .lock()
            .unwrap()
            .iter()
            .any(|b| b.rows.iter().any(|r| r.id == 13))
    });
    f.shell.shutdown();
    store.close().unwrap();
}

/// A stand-in for a tunnel tool: a shell script that prints what the real one prints.
fn fake_tool(dir: &Path, name: &str, script: &str) {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{script}")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

const FAKE_CLOUDFLARED: &str = r#"echo $$ > "$(dirname "$0")/cloudflared.pid"
echo "$@" > "$(dirname "$0")/cloudflared.args"
echo '2026-03-10T15:30:00Z INF Thank you for trying Cloudflare Tunnel. Doing so, without a Cloudflare account, is a quick way to experiment and try it out.' >&2
echo '2026-03-10T15:30:00Z INF Requesting new quick Tunnel on trycloudflare.com... see https://www.cloudflare.com/website-terms/' >&2
echo '2026-03-10T15:30:01Z INF +--------------------------------------------------------------------------------------------+' >&2
echo '2026-03-10T15:30:01Z INF |  Your quick Tunnel has been created! Visit it at (it may take some time to be reachable):  |' >&2
echo '2026-03-10T15:30:01Z INF |  https://seasonal-deck-organisms-sf.trycloudflare.com                                      |' >&2
echo '2026-03-10T15:30:01Z INF +--------------------------------------------------------------------------------------------+' >&2
exec sleep 600
"#;

const FAKE_NGROK: &str = r#"echo "$@" > "$(dirname "$0")/ngrok.args"
echo '{"lvl":"info","msg":"no configuration paths supplied","t":"2026-03-10T15:30:00Z"}'
echo '{"lvl":"info","msg":"client session established","obj":"tunnels.session","t":"2026-03-10T15:30:00Z"}'
echo '{"addr":"http://127.0.0.1:7420","lvl":"info","msg":"started tunnel","name":"command_line","obj":"tunnels","t":"2026-03-10T15:30:01Z","url":"https://ab12-203-0-113-7.ngrok-free.app"}'
exec sleep 600
"#;

fn alive(pid: &str) -> bool {
    // A reaped process has no /proc entry; a zombie would show state Z.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|stat| stat.split(' ').nth(2).is_none_or(|s| s != "Z"))
}

#[test]
fn tunnels_are_found_on_the_path_and_their_url_read_from_their_output() {
    let tools = tempfile::tempdir().unwrap();
    fake_tool(tools.path(), "cloudflared", FAKE_CLOUDFLARED);
    fake_tool(tools.path(), "ngrok", FAKE_NGROK);
    let path_var = std::ffi::OsString::from(format!("/nonexistent:{}", tools.path().display()));
    let installed: Vec<TunnelTool> = tunnel::installed(Some(&path_var))
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    assert_eq!(installed, [TunnelTool::Cloudflared, TunnelTool::Ngrok]);

    let port = free_port();
    let f = Fixture::with_port(port);
    let timeout = Duration::from_secs(20);
    let status = f
        .shell
        .start_tunnel_with(None, Some(&path_var), timeout)
        .unwrap();
    let running = status.running.unwrap();
    assert_eq!(running.tool, TunnelTool::Cloudflared);
    assert_eq!(
        running.public_url,
        "https://seasonal-deck-organisms-sf.trycloudflare.com"
    );
    assert_eq!(
        running.webhook_urls,
        ["https://seasonal-deck-organisms-sf.trycloudflare.com/"]
    );
    assert_eq!(running.local_url, format!("http://127.0.0.1:{port}"));
    let args = std::fs::read_to_string(tools.path().join("cloudflared.args")).unwrap();
    assert_eq!(args.trim(), format!("tunnel --url http://127.0.0.1:{port}"));
    let pid = std::fs::read_to_string(tools.path().join("cloudflared.pid")).unwrap();
    let pid = pid.trim();
    assert!(alive(pid));

    // ngrok replaces it; the cloudflared process is stopped.
    let status = f
        .shell
        .start_tunnel_with(Some(TunnelTool::Ngrok), Some(&path_var), timeout)
        .unwrap();
    assert_eq!(
        status.running.unwrap().public_url,
        "https://ab12-203-0-113-7.ngrok-free.app"
    );
    assert!(!alive(pid), "the first tunnel still runs");
    let args = std::fs::read_to_string(tools.path().join("ngrok.args")).unwrap();
    assert_eq!(
        args.trim(),
        format!("http 127.0.0.1:{port} --log stdout --log-format json")
    );

    // Through the IPC: the state, then stop.
    let status = f.ok("tunnel_status", json!({}));
    assert_eq!(status["running"]["tool"], "ngrok");
    let status = f.ok("stop_tunnel", json!({}));
    assert_eq!(status["running"], Value::Null);

    // Moving the receiver to another port stops the tunnel that forwarded to the old one.
    f.shell
        .start_tunnel_with(None, Some(&path_var), timeout)
        .unwrap();
    let pid = std::fs::read_to_string(tools.path().join("cloudflared.pid")).unwrap();
    let mut settings: Settings =
        serde_json::from_value(f.ok("get_settings", json!({}))["settings"].clone()).unwrap();
    settings.port = free_port();
    f.ok("save_settings", json!({"settings": settings}));
    assert!(!alive(pid.trim()), "the tunnel to the old port still runs");
    assert_eq!(f.ok("tunnel_status", json!({}))["running"], Value::Null);

    // Quitting the app stops a running tunnel.
    f.shell
        .start_tunnel_with(None, Some(&path_var), timeout)
        .unwrap();
    let pid = std::fs::read_to_string(tools.path().join("cloudflared.pid")).unwrap();
    assert!(alive(pid.trim()));
    f.shell.shutdown();
    assert!(!alive(pid.trim()), "the tunnel outlived the app");
}

#[test]
fn a_tunnel_that_fails_or_is_missing_says_why() {
    let f = Fixture::new();
    let tools = tempfile::tempdir().unwrap();
    fake_tool(
        tools.path(),
        "ngrok",
        "echo 'ERROR:  authentication failed: Usage of ngrok requires a verified account and authtoken.' >&2\nexit 1\n",
    );
    let path_var = tools.path().as_os_str().to_owned();
    let err = f
        .shell
        .start_tunnel_with(
            Some(TunnelTool::Ngrok),
            Some(&path_var),
            Duration::from_secs(20),
        )
        .unwrap_err();
    assert_eq!(err.kind, ApiErrorKind::TunnelFailed);
    assert!(
        err.message
            .contains("ngrok stopped before giving a public URL"),
        "{}",
        err.message
    );
    assert!(
        err.message.contains("requires a verified account"),
        "{}",
        err.message
    );

    fake_tool(tools.path(), "cloudflared", "exec sleep 600\n");
    let err = f
        .shell
        .start_tunnel_with(
            Some(TunnelTool::Cloudflared),
            Some(&path_var),
            Duration::from_millis(300),
        )
        .unwrap_err();
    assert_eq!(err.kind, ApiErrorKind::TunnelFailed);
    assert!(
        err.message.contains("gave no public URL"),
        "{}",
        err.message
    );

    if tunnel::installed(None).is_empty() {
        let empty = tempfile::tempdir().unwrap();
        let err = f
            .shell
            .start_tunnel_with(None, Some(empty.path().as_os_str()), Duration::from_secs(1))
            .unwrap_err();
        assert_eq!(err.kind, ApiErrorKind::NotInstalled);
        assert!(
            err.message.contains("Install cloudflared"),
            "{}",
            err.message
        );
    }
}

/// A fake of IBM Cloud IAM and of Watson's v2 logs API on loopback (one page of two logs), on a
/// plain socket: it answers each request and closes the connection.
fn fake_watson(api_key: &'static str) -> String {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let log = |id: &str, ts: &str| {
        format!(
            r#"{{"log_id":"{id}","request":{{"input":{{"text":"pulled {id}"}}}},"response":{{"output":{{"generic":[{{"response_type":"text","text":"ok"}}]}}}},"assistant_id":"a1","session_id":"pulled-session","skill_id":"s","snapshot":"draft","request_timestamp":"{ts}","response_timestamp":"{ts}","language":"en"}}"#
        )
    };
    let logs = [
        (
            "2026-11-29T10:00:00.000Z",
            log("pulled-1", "2026-11-29T10:00:00.000Z"),
        ),
        (
            "2026-11-29T10:00:05.000Z",
            log("pulled-2", "2026-11-29T10:00:05.000Z"),
        ),
    ];
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut head = Vec::new();
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
                head.push(line);
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let body = String::from_utf8_lossy(&body);
            let (status, answer) = if head[0].starts_with("POST /identity/token") {
                if body.contains(&format!("apikey={api_key}")) {
                    (
                        200,
                        r#"{"access_token":"tok","expires_in":3600}"#.to_owned(),
                    )
                } else {
                    (
                        400,
                        r#"{"errorCode":"BXNIM0415E","errorMessage":"Provided API key could not be found."}"#
                            .to_owned(),
                    )
                }
            } else if head[0].starts_with("GET /instances/i1/v2/assistants/env-1/logs?") {
                let after = head[0]
                    .split("filter=request_timestamp%3E%3D")
                    .nth(1)
                    .map(|rest| rest.split(['&', ' ']).next().unwrap().replace("%3A", ":"));
                let joined: Vec<&str> = logs
                    .iter()
                    .filter(|(ts, _)| after.as_deref().is_none_or(|a| *ts >= a))
                    .map(|(_, log)| log.as_str())
                    .collect();
                (
                    200,
                    format!(r#"{{"logs":[{}],"pagination":{{}}}}"#, joined.join(",")),
                )
            } else {
                (
                    404,
                    r#"{"error":"Resource not found","code":404}"#.to_owned(),
                )
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                answer.len()
            );
        }
    });
    base
}

#[test]
fn the_pull_panel_keeps_its_key_in_a_private_file_and_pulls_into_the_app_s_store() {
    let f = Fixture::new();
    let base = fake_watson("the-key");
    let empty = f.ok("pull_settings", json!({}));
    assert_eq!(empty["apiKeyMasked"], Value::Null);
    assert_eq!(f.ok("pulls", json!({})), json!([]));
    let request = |key: Option<&str>, since_last: bool| {
        json!({"request": {
            "settings": {"url": format!("{base}/instances/i1"), "environment": "env-1",
                         "iamUrl": format!("{base}/identity/token"), "newApiKey": key},
            "since": "", "sinceLast": since_last, "filter": null}})
    };

    // A wrong key: IAM's answer, at once.
    let err = f.err("start_pull", request(Some("not-the-key"), false));
    assert_eq!(err["kind"], "bad_request");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("Provided API key could not be found."),
        "{err}"
    );

    let saved = f.ok("start_pull", request(Some("the-key"), false));
    assert_eq!(saved["apiKeyMasked"], "•••••••");
    assert_eq!(saved.get("newApiKey"), None);
    let key_file = f.config().join("pull-apikey");
    assert_eq!(std::fs::read_to_string(&key_file).unwrap(), "the-key");
    assert_eq!(mode(&key_file), 0o600);
    let settings_text = std::fs::read_to_string(f.config().join("pull.json")).unwrap();
    assert!(!settings_text.contains("the-key"), "{settings_text}");
    let finished = |n: usize| {
        let pulls = f.ok("pulls", json!({}));
        pulls.as_array().unwrap().len() == n && pulls[0]["finished_at"] != Value::Null
    };
    // It carries on the pull that failed (it had got nowhere): still one row.
    wait_for("the pull to finish", || finished(1));
    let pulls = f.ok("pulls", json!({}));
    assert_eq!(
        (pulls[0]["logs"].as_i64(), pulls[0]["stored"].as_i64()),
        (Some(2), Some(2))
    );
    // Derived a moment after it is stored, as a delivered one is.
    wait_for("the pulled conversation", || {
        f.invoke("conversation", json!({"sessionId": "pulled-session"}))
            .is_ok_and(|c| c["turns"].as_array().unwrap().len() == 2)
    });

    // Pull again since the last pull, with the stored key: from the newest log stored. (The pull's
    // row says it finished a moment before its thread lets the next one start.)
    wait_for("the next pull to start", || {
        f.invoke("start_pull", request(None, true)).is_ok()
    });
    wait_for("the second pull to finish", || finished(2));
    let pulls = f.ok("pulls", json!({}));
    assert_eq!(pulls[0]["after"], "2026-11-29T10:00:05.000Z");
    assert_eq!(
        (
            pulls[0]["logs"].as_i64(),
            pulls[0]["stored"].as_i64(),
            pulls[0]["duplicates"].as_i64()
        ),
        (Some(1), Some(0), Some(1))
    );
    assert_eq!(f.ok("pull_settings", json!({}))["apiKeyMasked"], "•••••••");
}

/// A team's store on the test cluster, receiving through a receiver of its own (another instance
/// of the team, as far as the app can tell): the twelve samples and one event only it has.
struct TeamStore {
    /// The URL the app is given: over TCP, with the password in it.
    url: String,
    /// Where the URL says it is, as messages name it (no password).
    target: String,
    receiver: Option<logbook_http::ingest::Receiver>,
    store: Option<Arc<logbook_core::store::PgStore>>,
}

/// The event only the team store has.
const TEAM_ONLY: &str = "team-only-1";

impl TeamStore {
    fn new() -> Self {
        use logbook_http::ingest::{Auth, Endpoint, Receiver, ReceiverConfig};
        let cluster = harness_postgres::cluster();
        let db = cluster.database("desktop_team");
        let store = Arc::new(
            logbook_core::store::PgStore::open(&db.url, &StoreOptions::default()).unwrap(),
        );
        let config = ReceiverConfig::new(
            "127.0.0.1:0",
            vec![Endpoint {
                path: None,
                auth: Auth::Jwt(Secret::new(SECRET).unwrap()),
            }],
        );
        let receiver = Receiver::start(config, store.clone()).unwrap();
        let url = cluster.tcp_url(&db.name, harness_postgres::PASSWORD, "disable");
        let target = logbook_core::store::postgres::target(&url).unwrap();
        let team = Self {
            url,
            target,
            receiver: Some(receiver),
            store: Some(store),
        };
        for file in sample_files() {
            team.post(&std::fs::read(file).unwrap());
        }
        team.post_message(TEAM_ONLY, "hello from the team");
        team
    }

    fn post(&self, body: &[u8]) {
        let url = format!("http://{}/", self.receiver.as_ref().unwrap().local_addr());
        let (status, answer) = send::post(
            &send::agent(),
            &url,
            &Signing::Jwt(Secret::new(SECRET).unwrap()),
            body,
        );
        assert_eq!(status, Some(200), "{answer}");
    }

    fn post_message(&self, log_id: &str, text: &str) {
        let body = json!({"event": {"name": "message_logged"}, "payload": {"log_id": log_id,
            "request": {"input": {"text": text}}, "response": {"output": {"generic": []}}}});
        self.post(body.to_string().as_bytes());
    }
}

impl Drop for TeamStore {
    fn drop(&mut self) {
        if let Some(receiver) = self.receiver.take() {
            receiver.shutdown();
        }
        if let Some(store) = self.store.take().and_then(|s| Arc::try_unwrap(s).ok()) {
            let _ = store.close();
        }
    }
}

/// The shell is restarted on the same database and config directory, as after quitting the app.
fn restart(mut f: Fixture) -> Fixture {
    let dir = std::mem::replace(&mut f.dir, tempfile::tempdir().unwrap());
    drop(f);
    Fixture::open(dir)
}

#[test]
fn a_team_store_opened_in_settings_is_what_every_view_reads_and_stays_open_after_a_restart() {
    let team = TeamStore::new();
    let f = Fixture::new();
    let local_db = f.dir.path().join("logbook.db").display().to_string();
    let view = f.ok("get_settings", json!({}));
    assert_eq!(
        view["team_store"],
        json!({"saved": null, "showing": null, "problem": null})
    );

    let view = f.ok(
        "open_team_store",
        json!({"request": {"url": team.url, "password": null}}),
    );
    let bare = team
        .url
        .replace(&format!(":{}@", harness_postgres::PASSWORD), "@");
    assert_eq!(
        view["team_store"],
        json!({
            "saved": {"url": bare, "open": true,
                      "password_masked": "•".repeat(harness_postgres::PASSWORD.len().min(16))},
            "showing": team.target,
            "problem": null,
        })
    );
    // The password is in its 0600 file only: not in the settings, not in what the UI is sent.
    assert!(!view.to_string().contains(harness_postgres::PASSWORD));
    let password_file = f.config().join("team-store-password");
    assert_eq!(mode(&password_file), 0o600);
    for name in ["settings.json", "team-store.json"] {
        let text = std::fs::read_to_string(f.config().join(name)).unwrap();
        assert!(!text.contains(harness_postgres::PASSWORD), "{name}: {text}");
    }

    // Every view reads the team store, through the commands the UI calls.
    wait_for("the team store's projection", || {
        f.ok("conversations", list(json!({"q": ""})))["items"]
            .as_array()
            .unwrap()
            .len()
            == 3
    });
    let status = f.ok("status", json!({}));
    assert_eq!(status["team"], true);
    assert_eq!(status["database"], team.target.as_str());
    assert_eq!(status["stats"]["events"], 13);
    // The app's receiver goes on, into this computer's file, and the Status view says which.
    assert!(status["receiver_url"].is_string());
    assert_eq!(status["receiver_database"], local_db.as_str());
    let found = f.ok("events", list(json!({"q": "hello team"})));
    assert_eq!(found["items"].as_array().unwrap().len(), 1);
    let event = f.ok("event", json!({"id": TEAM_ONLY}));
    assert_eq!(event["replayable"], false);
    let call = f.ok("call", json!({"id": CALL}));
    assert_eq!(call["turns"].as_array().unwrap().len(), 3);
    assert_eq!(
        f.ok("conversation", json!({"sessionId": WEB_SESSION}))["session_id"],
        WEB_SESSION
    );
    assert_eq!(f.ok("custom_keys", json!({})).as_array().unwrap().len(), 4);
    let trends = f.ok("trends", json!({"q": ""}));
    assert!(trends.is_object(), "{trends}");
    assert_eq!(
        f.ok(
            "export_rows",
            json!({"kind": "events", "format": "ndjson", "q": ""})
        )["rows"],
        13
    );
    assert_eq!(f.ok("pulls", json!({})), json!([]));
    // What only this computer's store keeps is not offered, and says why.
    let replay = f.err(
        "replay_event",
        json!({"request": {"event": 13, "to": "http://127.0.0.1:9/", "signing": "none"}}),
    );
    assert!(
        replay["message"]
            .as_str()
            .unwrap()
            .contains("SQLite store only"),
        "{replay}"
    );

    // Live: what another instance receives reaches the page, woken by the store's NOTIFY.
    let (batches, sink) = collector();
    f.shell.start_live(
        "main",
        LiveCursor {
            last_event_id: 13,
            last_rejection_id: 0,
        },
        sink,
    );
    wait_for("the catch-up", || !batches.lock().unwrap().is_empty());
    team.post_message("team-live-1", "seen live");
    wait_for("the live row", || {
        batches
            .lock()
            .unwrap()
            .iter()
            .any(|b| b.rows.iter().any(|r| r.id == 14))
    });

    // A URL that cannot be opened is refused, saying what was tried and never the password; the
    // team store stays open.
    let wrong = team
        .url
        .replace(harness_postgres::PASSWORD, "not-the-password-42");
    let err = f.err("open_team_store", json!({"request": {"url": wrong}}));
    assert_eq!(err["kind"], "bad_request");
    let message = err["message"].as_str().unwrap();
    assert!(message.contains(&team.target), "{message}");
    assert!(
        message.contains("password authentication failed"),
        "{message}"
    );
    assert!(!message.contains("not-the-password-42"), "{message}");
    let empty = harness_postgres::cluster().database("desktop_empty");
    let not_a_store =
        harness_postgres::cluster().tcp_url(&empty.name, harness_postgres::PASSWORD, "disable");
    let err = f.err(
        "open_team_store",
        json!({"request": {"url": not_a_store, "password": ""}}),
    );
    let message = err["message"].as_str().unwrap();
    assert!(message.contains("holds no Logbook store"), "{message}");
    assert!(!message.contains(harness_postgres::PASSWORD), "{message}");
    let status = f.ok("status", json!({}));
    assert_eq!(
        (status["team"].as_bool(), status["database"].as_str()),
        (Some(true), Some(team.target.as_str()))
    );
    let saved = &f.ok("get_settings", json!({}))["team_store"]["saved"];
    assert_eq!(saved["url"], bare.as_str());

    // The choice survives a restart.
    let f = restart(f);
    let status = f.ok("status", json!({}));
    assert_eq!(status["team"], true);
    assert_eq!(status["stats"]["events"], 14);
    assert_eq!(
        f.ok("event", json!({"id": "team-live-1"}))["replayable"],
        false
    );

    // Back to this computer's store: its twelve events; the team store kept, closed, for next time.
    let (_, sink) = collector();
    f.shell.start_live("main", LiveCursor::default(), sink);
    assert_eq!(f.shell.live().count(), 1);
    let view = f.ok("close_team_store", json!({"forget": false}));
    assert_eq!(view["team_store"]["showing"], Value::Null);
    assert_eq!(view["team_store"]["saved"]["open"], false);
    assert_eq!(
        f.shell.live().count(),
        0,
        "the team store's live view ended"
    );
    let status = f.ok("status", json!({}));
    assert_eq!(
        (status["team"].as_bool(), status["stats"]["events"].as_i64()),
        (Some(false), Some(12))
    );
    assert_eq!(status["receiver_database"], Value::Null);
    assert_eq!(
        f.err("event", json!({"id": TEAM_ONLY}))["kind"],
        "not_found"
    );
    let f = restart(f);
    assert_eq!(f.ok("status", json!({}))["team"], false);

    // Opened again with the URL as saved: the stored password is used. Then forgotten.
    let view = f.ok(
        "open_team_store",
        json!({"request": {"url": bare, "password": ""}}),
    );
    assert_eq!(view["team_store"]["showing"], team.target.as_str());
    let view = f.ok("close_team_store", json!({"forget": true}));
    assert_eq!(view["team_store"]["saved"], Value::Null);
    assert!(!password_file.exists());
    assert!(!f.config().join("team-store.json").exists());
}

#[test]
fn a_team_store_that_cannot_be_reached_at_launch_leaves_this_computer_s_store_shown() {
    let f = Fixture::new();
    // Saved open last time; the server is gone now.
    let port = free_port();
    logbook_desktop::settings::ConfigDir::new(f.config())
        .save_team_store(
            &format!("postgres://alice@127.0.0.1:{port}/team?connect_timeout=5"),
            Some("s3cret-pw"),
            true,
        )
        .unwrap();
    let f = restart(f);
    let view = f.ok("get_settings", json!({}));
    let team = &view["team_store"];
    assert_eq!(team["showing"], Value::Null);
    assert_eq!(
        team["saved"]["open"], true,
        "the choice is kept for next time"
    );
    let problem = team["problem"].as_str().unwrap();
    assert!(
        problem.contains(&format!("alice@127.0.0.1:{port}/team")),
        "{problem}"
    );
    assert!(problem.contains("this computer's store"), "{problem}");
    assert!(!problem.contains("s3cret-pw"), "{problem}");
    let status = f.ok("status", json!({}));
    assert_eq!(
        (status["team"].as_bool(), status["stats"]["events"].as_i64()),
        (Some(false), Some(12))
    );
}
