//! The harness: a real receiver on 127.0.0.1:0 over a real store: a SQLite file in a temporary
//! directory, or a fresh database of the test PostgreSQL cluster ([`Backend`]). A test written with
//! [`on_both_stores!`] runs once on each, as `module::test::sqlite` and `module::test::postgres`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use logbook_core::auth::sign;
use logbook_core::store::{EventLog, NewEvent, PgStore, Store, StoreOptions};
use logbook_http::ingest::{Auth, Endpoint, Receiver, ReceiverConfig, Secret};
use serde_json::Value;

pub const SECRET: &str = "purple unicorn";

pub fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/samples")
}

/// The sample whose file name starts with `prefix` (e.g. "07").
pub fn sample(prefix: &str) -> Vec<u8> {
    let dir = samples_dir();
    let path = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .unwrap_or_else(|| panic!("no sample {prefix}"));
    std::fs::read(path).unwrap()
}

/// `body` as the receiver accepts an unsigned request to `endpoint` at `received_at` (ms): its kind
/// and dedup key read from its envelope, no headers, no token, for a test to hand to a store.
pub fn accepted(body: Vec<u8>, received_at: i64, endpoint: &str) -> NewEvent {
    let envelope = logbook_core::watson::read_envelope(&body).unwrap();
    unsigned(
        body,
        envelope.kind,
        envelope.dedup_key,
        received_at,
        endpoint,
    )
}

/// An unsigned request to `endpoint` at `received_at` (ms), with the kind and dedup key given
/// rather than read from `body` (which may be one no envelope reader accepts), no headers, no token.
pub fn unsigned(
    body: Vec<u8>,
    kind: String,
    dedup_key: String,
    received_at: i64,
    endpoint: &str,
) -> NewEvent {
    NewEvent {
        received_at,
        endpoint: endpoint.into(),
        path: "/".into(),
        remote_addr: None,
        kind,
        auth: "none".into(),
        verified: false,
        jwt_header: None,
        jwt_claims: None,
        headers: "[]".into(),
        authorization: None,
        body,
        dedup_key,
        replay_of: None,
    }
}

/// The sample files, in name order.
pub fn sample_paths() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(samples_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

pub fn all_samples() -> Vec<(String, Vec<u8>)> {
    sample_paths()
        .into_iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect()
}

pub fn jwt() -> String {
    sign(
        &Secret::new(SECRET).unwrap(),
        chrono::Utc::now().timestamp(),
    )
}

/// The store a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Writes a test once and runs it on both stores: `fn name(backend: Backend) { … }` becomes the
/// tests `name::sqlite` and `name::postgres`, each calling the body with its [`Backend`].
macro_rules! on_both_stores {
    ($(#[$meta:meta])* fn $name:ident($backend:ident: Backend) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            fn run($backend: $crate::common::Backend) $body

            #[test]
            fn sqlite() {
                run($crate::common::Backend::Sqlite)
            }

            #[test]
            fn postgres() {
                run($crate::common::Backend::Postgres)
            }
        }
    };
}
pub(crate) use on_both_stores;

/// The store under a [`Harness`]'s receiver.
pub enum Stored {
    Sqlite(Arc<Store>),
    Postgres {
        store: Arc<PgStore>,
        database: crate::harness_postgres::Database,
    },
}

pub struct Harness {
    pub _dir: tempfile::TempDir,
    /// The SQLite file (SQLite only: a PostgreSQL harness has none).
    pub db: PathBuf,
    pub stored: Stored,
    pub receiver: Option<Receiver>,
    pub base: String,
}

impl Harness {
    pub fn start() -> Self {
        Self::start_on(Backend::Sqlite)
    }

    /// A receiver with the one default endpoint (JWT, [`SECRET`]) on `backend`.
    pub fn start_on(backend: Backend) -> Self {
        Self::with_on(backend, |_| {}, default_endpoints())
    }

    pub fn with(tweak: impl FnOnce(&mut ReceiverConfig), endpoints: Vec<Endpoint>) -> Self {
        Self::with_on(Backend::Sqlite, tweak, endpoints)
    }

    pub fn with_on(
        backend: Backend,
        tweak: impl FnOnce(&mut ReceiverConfig),
        endpoints: Vec<Endpoint>,
    ) -> Self {
        Self::with_options_on(backend, tweak, endpoints, StoreOptions::default())
    }

    pub fn with_options(
        tweak: impl FnOnce(&mut ReceiverConfig),
        endpoints: Vec<Endpoint>,
        options: StoreOptions,
    ) -> Self {
        Self::with_options_on(Backend::Sqlite, tweak, endpoints, options)
    }

    pub fn with_options_on(
        backend: Backend,
        tweak: impl FnOnce(&mut ReceiverConfig),
        endpoints: Vec<Endpoint>,
        options: StoreOptions,
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("logbook.db");
        let stored = match backend {
            Backend::Sqlite => Stored::Sqlite(Arc::new(Store::open(&db, options).unwrap())),
            Backend::Postgres => {
                let database = crate::harness_postgres::cluster().database("harness");
                let store = Arc::new(PgStore::open(&database.url, &options).unwrap());
                Stored::Postgres { store, database }
            }
        };
        let mut config = ReceiverConfig::new("127.0.0.1:0", endpoints);
        tweak(&mut config);
        let receiver = Receiver::start(config, stored.event_log()).unwrap();
        let base = format!("http://{}", receiver.local_addr());
        Self {
            _dir: dir,
            db,
            stored,
            receiver: Some(receiver),
            base,
        }
    }

    /// The SQLite store, for a test of what only SQLite has.
    pub fn store(&self) -> &Arc<Store> {
        match &self.stored {
            Stored::Sqlite(store) => store,
            Stored::Postgres { .. } => panic!("a SQLite-only step in a test run on PostgreSQL"),
        }
    }

    pub fn addr(&self) -> std::net::SocketAddr {
        self.receiver.as_ref().unwrap().local_addr()
    }

    /// POSTs a body with an optional Authorization value; returns the status and the JSON answer.
    pub fn post(&self, path: &str, authorization: Option<&str>, body: &[u8]) -> (u16, Value) {
        post(&format!("{}{path}", self.base), authorization, body)
    }

    pub fn post_signed(&self, body: &[u8]) -> (u16, Value) {
        self.post("/", Some(&jwt()), body)
    }

    /// Waits until everything stored so far is projected: derived rows come after the 200.
    pub fn projected(&self) {
        match &self.stored {
            Stored::Sqlite(store) => assert!(
                store.wait_projected(Duration::from_secs(10)).unwrap(),
                "projection stalled"
            ),
            Stored::Postgres { database, .. } => {
                crate::team::wait_projected(&mut database.client())
            }
        }
    }

    /// The options that point a reading command at this store: `--db FILE` or `--store URL`.
    pub fn store_args(&self) -> Vec<String> {
        match &self.stored {
            Stored::Sqlite(_) => vec!["--db".into(), self.db.display().to_string()],
            Stored::Postgres { database, .. } => vec!["--store".into(), database.url.clone()],
        }
    }

    /// Every stored event's kind and exact body, in id order.
    pub fn kinds_and_bodies(&self) -> Vec<(String, Vec<u8>)> {
        const SQL: &str = "SELECT kind, body FROM events ORDER BY id";
        match &self.stored {
            Stored::Sqlite(store) => {
                let conn = store.reader().unwrap();
                let mut stmt = conn
                    .prepare("SELECT kind, body, body_zstd FROM events ORDER BY id")
                    .unwrap();
                stmt.query_map([], |r| {
                    Ok((
                        r.get(0)?,
                        logbook_core::store::stored_body::unpack(r.get_ref(1)?, r.get(2)?, 1)?,
                    ))
                })
                .unwrap()
                .map(Result::unwrap)
                .collect()
            }
            Stored::Postgres { database, .. } => database
                .client()
                .query(SQL, &[])
                .unwrap()
                .iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect(),
        }
    }

    /// A reader of either store for `logbook_core::query` and `export`, once everything stored so
    /// far is projected.
    pub fn query_reader(&self) -> logbook_core::query::db::Reader {
        use logbook_core::query::db::{PgReader, Reader};
        self.projected();
        match &self.stored {
            Stored::Sqlite(store) => Reader::Sqlite(store.reader().unwrap()),
            Stored::Postgres { database, .. } => {
                Reader::Postgres(PgReader::connect(&database.url).unwrap())
            }
        }
    }

    /// A read-only connection, once everything stored so far is projected (SQLite only).
    pub fn reader(&self) -> rusqlite::Connection {
        self.projected();
        self.store().reader().unwrap()
    }

    /// The one number `sql` reads, once everything stored is projected. The same SQL text runs on
    /// both stores (PostgreSQL reads it as a `bigint`).
    pub fn count(&self, sql: &str) -> i64 {
        self.projected();
        match &self.stored {
            Stored::Sqlite(store) => store
                .reader()
                .unwrap()
                .query_row(sql, [], |r| r.get(0))
                .unwrap(),
            Stored::Postgres { database, .. } => database
                .client()
                .query_one(&format!("SELECT ({sql})::bigint"), &[])
                .unwrap_or_else(|e| panic!("{sql}: {e}"))
                .get(0),
        }
    }

    /// The strings `sql` reads, once everything stored is projected.
    pub fn strings(&self, sql: &str) -> Vec<String> {
        self.projected();
        match &self.stored {
            Stored::Sqlite(store) => {
                let conn = store.reader().unwrap();
                let mut stmt = conn.prepare(sql).unwrap();
                stmt.query_map([], |r| r.get::<_, String>(0))
                    .unwrap()
                    .map(Result::unwrap)
                    .collect()
            }
            Stored::Postgres { database, .. } => database
                .client()
                .query(sql, &[])
                .unwrap_or_else(|e| panic!("{sql}: {e}"))
                .iter()
                .map(|row| row.get::<_, String>(0))
                .collect(),
        }
    }

    /// The newest rejection: (status, reason, headers JSON, jwt_claims).
    pub fn last_rejection(&self) -> (i64, String, String, Option<String>) {
        const SQL: &str = "SELECT status, reason, CAST(headers AS TEXT), CAST(jwt_claims AS TEXT) \
                           FROM rejections ORDER BY id DESC LIMIT 1";
        match &self.stored {
            Stored::Sqlite(store) => store
                .reader()
                .unwrap()
                .query_row(SQL, [], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })
                .unwrap(),
            Stored::Postgres { database, .. } => {
                let row = database.client().query_one(SQL, &[]).unwrap();
                (
                    i64::from(row.get::<_, i32>(0)),
                    row.get(1),
                    row.get(2),
                    row.get(3),
                )
            }
        }
    }
}

impl Stored {
    /// The store as `serve`'s UI reads it (with its listener, on PostgreSQL).
    pub fn ui_store(&self) -> logbook_service::store::UiStore {
        match self {
            Stored::Sqlite(store) => store.clone().into(),
            Stored::Postgres { store, database } => {
                logbook_service::store::UiStore::postgres(&database.url, store.target()).unwrap()
            }
        }
    }

    /// What the Status view calls the store: the SQLite file, or the PostgreSQL store's target.
    pub fn database(&self, db: &Path) -> String {
        match self {
            Stored::Sqlite(_) => db.display().to_string(),
            Stored::Postgres { store, .. } => store.target().to_owned(),
        }
    }

    /// The store as the receiver sees it.
    pub fn event_log(&self) -> Arc<dyn EventLog> {
        match self {
            Stored::Sqlite(store) => store.clone(),
            Stored::Postgres { store, .. } => store.clone(),
        }
    }
}

/// The one endpoint of [`Harness::start`]: any path, a JWT signed with [`SECRET`].
pub fn default_endpoints() -> Vec<Endpoint> {
    vec![Endpoint {
        path: None,
        auth: Auth::Jwt(Secret::new(SECRET).unwrap()),
    }]
}

pub fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(30))
        .build()
}

pub fn post(url: &str, authorization: Option<&str>, body: &[u8]) -> (u16, Value) {
    let mut request = agent().post(url).set("Content-Type", "application/json");
    if let Some(a) = authorization {
        request = request.set("Authorization", a);
    }
    let response = match request.send_bytes(body) {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("transport error: {e}"),
    };
    let status = response.status();
    let text = response.into_string().unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// The `logbook` binary of this build.
pub fn logbook() -> Command {
    Command::new(env!("CARGO_BIN_EXE_logbook"))
}

/// What a `logbook bench …` run printed: its figures, one `name: value` line each.
#[derive(Debug)]
pub struct Figures {
    printed: String,
    values: std::collections::HashMap<String, String>,
}

/// Runs `logbook` with `args` (a benchmark), which must succeed, and reads the figures it printed.
pub fn bench(args: &[&str]) -> Figures {
    let out = logbook().args(args).stdin(Stdio::null()).output().unwrap();
    let printed = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{printed}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let values = printed
        .lines()
        .filter_map(|line| line.split_once(": "))
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect();
    Figures { printed, values }
}

impl Figures {
    /// The figure `name` as printed; fails, showing the output, when there is none.
    pub fn text(&self, name: &str) -> &str {
        self.values
            .get(name)
            .unwrap_or_else(|| panic!("no {name} in:\n{}", self.printed))
    }

    /// Whether the run printed the figure `name`.
    pub fn has(&self, name: &str) -> bool {
        self.values.contains_key(name)
    }

    /// The figure `name`, a number.
    pub fn number(&self, name: &str) -> f64 {
        self.text(name)
            .parse()
            .unwrap_or_else(|_| panic!("{name} is not a number:\n{}", self.printed))
    }
}

/// Starts `logbook serve` on a free port (plus `extra` arguments) and returns it with its webhook base
/// URL, read from what it prints once it is listening.
pub fn serve_cli(db: &Path, secret_file: &Path, extra: &[&str]) -> (Child, String) {
    let mut child = logbook()
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(db)
        .arg("--secret-file")
        .arg(secret_file)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = printed_endpoint(&mut child);
    (child, url)
}

/// `logbook send` as a load generator: `repeat` copies of every sample (fresh ids each), `concurrency`
/// at a time, every answer logged to `answers` (see [`acknowledged_ids`]).
pub fn send_load(
    url: &str,
    secret: &Path,
    answers: &Path,
    repeat: usize,
    concurrency: usize,
) -> Child {
    logbook()
        .args(["send", "--url", url, "--repeat"])
        .arg(repeat.to_string())
        .arg("--concurrency")
        .arg(concurrency.to_string())
        .arg("--secret-file")
        .arg(secret)
        .arg("--log-answers")
        .arg(answers)
        .arg(samples_dir())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// SIGTERM, then the exit status.
pub fn terminate(child: &mut Child) -> ExitStatus {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    child.wait().unwrap()
}

/// The event ids answered 200 in a `logbook send --log-answers` file.
pub fn acknowledged_ids(answers: &Path) -> Vec<i64> {
    std::fs::read_to_string(answers)
        .unwrap()
        .lines()
        .filter_map(|line| {
            let answer: Value = serde_json::from_str(line).unwrap();
            (answer["status"] == 200).then(|| {
                let body: Value = serde_json::from_str(answer["answer"].as_str().unwrap()).unwrap();
                body["id"].as_i64().unwrap()
            })
        })
        .collect()
}

/// [`serve_cli`] with what `serve` writes on standard error, line by line, as it comes.
pub fn serve_cli_logged(
    db: &Path,
    secret_file: &Path,
    extra: &[&str],
) -> (Child, String, std::sync::mpsc::Receiver<String>) {
    // On a free loopback port unless `extra` says where.
    let listen: &[&str] = if extra.contains(&"--listen") {
        &[]
    } else {
        &["--listen", "127.0.0.1:0"]
    };
    let mut child = logbook()
        .arg("serve")
        .args(listen)
        .arg("--db")
        .arg(db)
        .arg("--secret-file")
        .arg(secret_file)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (lines_tx, lines) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let url = printed_endpoint(&mut child);
    (child, url, lines)
}

/// Reads `serve`'s standard output up to "Ctrl-C stops" and returns the last endpoint's URL.
pub fn printed_endpoint(child: &mut Child) -> String {
    let mut url = None;
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if let Some(rest) = line.trim().strip_prefix("endpoint   POST ") {
            url = Some(rest.split_whitespace().next().unwrap().to_owned());
        }
        if line.starts_with("Ctrl-C stops") {
            break;
        }
    }
    url.expect("serve printed its endpoint")
}

/// The resident memory of a process, in KiB, from `/proc`.
pub fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/PID/status")
}

/// Waits (polling, with a deadline) until `done` holds.
pub fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `n` letters of random bytes in base64, which zstd cannot shrink below three quarters: bulk that
/// takes its size in the event log, which keeps bodies compressed.
pub fn incompressible(n: usize) -> String {
    use base64::Engine;
    let mut bytes = vec![0u8; n / 4 * 3 + 3];
    rand::fill(&mut bytes[..]);
    let mut text = base64::engine::general_purpose::STANDARD.encode(bytes);
    text.truncate(n);
    text
}
