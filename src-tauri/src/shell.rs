//! The app's one piece of state: the store opened once at launch, the webhook receiver running in the
//! background with the saved settings, the read-only connections the commands query through, the
//! live subscriptions and the tunnel.
//!
//! Contract: only the store's writer writes. When another process (`logbook serve`, another copy of
//! the app) already writes the database, `Store::open` refuses with `Locked` and the app opens it
//! read-only instead: everything can be looked at, nothing is received, and the reason is shown. A
//! port that is taken is reported with a free one to use instead, never skipped silently.
//! [`Shell::shutdown`] stops, in order, live updates, the tunnel, the receiver (finishing requests
//! in flight) and the store (checkpointing its WAL), so quitting leaves a clean database.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use logbook_core::config::OutboxLimits;
use logbook_core::store::{self, Store, StoreError};
use logbook_http::forward::Forwarder;
use logbook_http::ingest::{Endpoint, IngestError, Receiver, ReceiverConfig};
use logbook_pull as pull;
use logbook_service::ReceiverInfo;
use logbook_service::commands::{Command, Context, NoRequest};
use logbook_service::types::{ApiError, ApiErrorKind, EndpointInfo, Status};
use rusqlite::Connection;
use serde::Serialize;

use crate::live::Subscriptions;
use crate::settings::{ConfigDir, PullSettings, Retention, Settings, SettingsError};
use crate::tunnel::{self, Tunnel, TunnelError, TunnelTool};

/// Idle read-only connections kept for the next command.
const IDLE_READERS: usize = 4;
/// Ports tried after a taken one before asking the system for any free port.
const PORT_SEARCH: u16 = 20;
/// A stopped receiver's port is closed by its accept thread a moment after `shutdown` returns, so a
/// restart on the same port tries again for this long before calling it taken by another program.
const REBIND_WAIT_MS: u64 = 3_000;
const REBIND_RETRY_MS: u64 = 20;

/// Whether the receiver runs, where, and if not, why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ReceiverState {
    /// The receiver's local URL, e.g. `http://127.0.0.1:7420`; `None` when not receiving.
    pub url: Option<String>,
    /// Another process writes the database: the app only reads it.
    pub read_only: bool,
    pub problem: Option<ReceiverProblem>,
}

/// Why the receiver is not running.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ReceiverProblem {
    /// `port_taken`, `read_only` (another process writes the database) or `settings`.
    pub kind: String,
    pub message: String,
    /// For `port_taken`: a port that is free now.
    pub suggested_port: Option<u16>,
}

/// The Settings view: what is saved, and what the receiver made of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct SettingsView {
    pub settings: Settings,
    pub receiver: ReceiverState,
    /// The database file (the one `logbook serve` uses by default).
    pub database: String,
    /// Where the settings and secret files are.
    pub config_dir: String,
    /// Saved settings that take effect only at the next launch (the retention).
    pub restart_needed: bool,
}

/// The tunnel helper's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct TunnelStatus {
    /// The tools found, in order of preference.
    pub installed: Vec<TunnelTool>,
    /// How to get one when none is installed.
    pub install_hint: Option<String>,
    pub running: Option<RunningTunnel>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct RunningTunnel {
    pub tool: TunnelTool,
    /// The tunnel's public https URL.
    pub public_url: String,
    /// What to paste into Watson's log webhook URL field: the public URL with each endpoint's path.
    pub webhook_urls: Vec<String>,
    /// Where the tunnel forwards to.
    pub local_url: String,
}

/// Read-only connections, reused between commands.
pub struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl Readers {
    fn new(path: PathBuf) -> Self {
        Self {
            path,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Runs `f` on an idle read-only connection, or a new one.
    pub fn with<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let idle = lock(&self.idle).pop();
        let conn = match idle {
            Some(conn) => conn,
            None => store::open_reader(&self.path)?,
        };
        let result = f(&conn);
        let mut idle = lock(&self.idle);
        if idle.len() < IDLE_READERS {
            idle.push(conn);
        }
        result
    }

    /// Closes the idle connections (before the store closes, so it can remove its WAL).
    fn close(&self) {
        lock(&self.idle).clear();
    }
}

struct Running {
    /// `None` when another process writes the database.
    store: Option<Arc<Store>>,
    receiver: Option<Receiver>,
    /// Delivers the outbox to the downstreams of the settings it was started with.
    forwarder: Option<Forwarder>,
    /// The endpoints the receiver runs with (their secrets included).
    endpoints: Vec<Endpoint>,
    problem: Option<ReceiverProblem>,
    settings: Settings,
    /// The retention the store was opened with (a change takes effect at the next launch).
    opened_retention: Retention,
    tunnel: Option<Tunnel>,
}

/// What the "Pull history" panel asks for.
#[derive(Debug, Clone, serde::Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct StartPull {
    pub settings: PullSettings,
    /// An age (`30d`) or a date; everything the API keeps when empty.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub since: Option<String>,
    /// From where the last finished pull of this environment ended (instead of `since`).
    #[serde(default)]
    pub since_last: bool,
    /// Passed to the API's own filter.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub filter: Option<String>,
}

/// The state behind every command; cheap to clone (it is shared).
#[derive(Clone)]
pub struct Shell(Arc<Inner>);

struct Inner {
    db_path: PathBuf,
    config: ConfigDir,
    readers: Arc<Readers>,
    running: Mutex<Running>,
    live: Subscriptions,
    /// Where exports go without asking (`LOGBOOK_EXPORT_PATH`, for tests): a file, or a directory.
    export_path: Option<PathBuf>,
    first_launch: bool,
    /// Whether a pull from Watson's logs API runs (one at a time).
    pulling: std::sync::atomic::AtomicBool,
}

/// How to open the shell.
#[derive(Debug, Clone)]
pub struct ShellOptions {
    pub db_path: PathBuf,
    pub config_dir: PathBuf,
    pub export_path: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Shell {
    /// Loads the settings (making the first launch's), opens the store (read-only when another
    /// process writes it) and starts the receiver.
    pub fn open(options: ShellOptions) -> Result<Self, OpenError> {
        let config = ConfigDir::new(&options.config_dir);
        let (settings, first_launch) = config.load_or_init()?;
        let opened_retention = settings.retention.clone();
        let store_options = config.store_options(&settings);
        let (store, problem) = match Store::open(&options.db_path, store_options) {
            Ok(store) => (Some(Arc::new(store)), None),
            Err(err @ StoreError::Locked(_)) => (
                None,
                Some(ReceiverProblem {
                    kind: "read_only".into(),
                    message: format!(
                        "Not receiving: {err}. The app shows what the database holds, read-only; quit the other one and restart the app to receive here."
                    ),
                    suggested_port: None,
                }),
            ),
            Err(err) => return Err(err.into()),
        };
        let shell = Self(Arc::new(Inner {
            readers: Arc::new(Readers::new(options.db_path.clone())),
            db_path: options.db_path,
            config,
            running: Mutex::new(Running {
                store,
                receiver: None,
                forwarder: None,
                endpoints: Vec::new(),
                problem,
                settings,
                opened_retention,
                tunnel: None,
            }),
            live: Subscriptions::default(),
            export_path: options.export_path,
            first_launch,
            pulling: Default::default(),
        }));
        shell.restart_receiver();
        Ok(shell)
    }

    pub fn first_launch(&self) -> bool {
        self.0.first_launch
    }

    pub fn db_path(&self) -> &Path {
        &self.0.db_path
    }

    pub fn readers(&self) -> &Arc<Readers> {
        &self.0.readers
    }

    pub fn live(&self) -> &Subscriptions {
        &self.0.live
    }

    pub fn export_path(&self) -> Option<&Path> {
        self.0.export_path.as_deref()
    }

    /// A new announcement of the writer's commits, or `None` when another process writes.
    pub fn subscribe(&self) -> Option<std::sync::mpsc::Receiver<store::Committed>> {
        lock(&self.0.running).store.as_ref().map(|s| s.subscribe())
    }

    /// Runs `f` on a read-only connection.
    pub fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        self.0.readers.with(f)
    }

    /// Runs one of the service's read commands on a read-only connection.
    pub fn run<C: Command>(&self, request: C::Request) -> Result<C::Answer, ApiError> {
        let receiver = self.receiver_info();
        let ctx = Context {
            database: &self.0.db_path,
            receiver: &receiver,
        };
        self.read(|conn| C::run(conn.into(), &ctx, request))
    }

    /// Sends a replay from the event view (signed with the secret of the endpoint the event
    /// arrived on as the settings have it, a secret file, or none) and keeps it.
    pub fn replay(
        &self,
        request: logbook_service::commands::ReplayRequest,
    ) -> Result<logbook_core::store::replays::ReplayView, ApiError> {
        let (store, endpoints) = {
            let running = lock(&self.0.running);
            (running.store.clone(), running.endpoints.clone())
        };
        let store = store.ok_or_else(|| {
            ApiError::new(
                ApiErrorKind::Unavailable,
                "another Logbook writes the database: replay there, or quit it and restart the app",
            )
        })?;
        self.read(|conn| logbook_http::replay::from_ui(&store, conn, &endpoints, request))
    }

    /// The Status view.
    pub fn status(&self) -> Result<Status, ApiError> {
        self.run::<logbook_service::commands::read::Status>(NoRequest {})
    }

    /// What the Status view says about the receiver: where it listens, or, when it does not run,
    /// the endpoints it would serve.
    fn receiver_info(&self) -> ReceiverInfo {
        {
            let running = lock(&self.0.running);
            match &running.receiver {
                Some(receiver) => ReceiverInfo::new(
                    format!("http://{}", receiver.local_addr()),
                    &running.endpoints,
                    running.settings.max_body_bytes as usize,
                ),
                None => ReceiverInfo {
                    url: None,
                    endpoints: running
                        .settings
                        .endpoints
                        .iter()
                        .map(|e| EndpointInfo {
                            path: e.path.clone(),
                            mode: e.mode.as_str().to_owned(),
                        })
                        .collect(),
                    max_body_bytes: i64::try_from(running.settings.max_body_bytes).ok(),
                },
            }
        }
    }

    /// The Settings view.
    pub fn settings_view(&self) -> SettingsView {
        let running = lock(&self.0.running);
        SettingsView {
            settings: running.settings.clone(),
            receiver: ReceiverState {
                url: running
                    .receiver
                    .as_ref()
                    .map(|r| format!("http://{}", r.local_addr())),
                read_only: running.store.is_none(),
                problem: running.problem.clone(),
            },
            database: self.0.db_path.display().to_string(),
            config_dir: self.0.config.path().display().to_string(),
            restart_needed: running.settings.retention != running.opened_retention,
        }
    }

    /// Saves `settings` (refusing invalid ones with `bad_request`) and restarts the receiver with them.
    pub fn save_settings(&self, settings: Settings) -> Result<SettingsView, ApiError> {
        let saved = self.0.config.save(settings)?;
        let stale_tunnel = {
            let mut running = lock(&self.0.running);
            let moved = running.settings.port != saved.port;
            running.settings = saved;
            // A tunnel forwards to the old port: stop it rather than leave it pointing nowhere.
            if moved { running.tunnel.take() } else { None }
        };
        if let Some(tunnel) = stale_tunnel {
            tunnel.stop();
        }
        self.restart_receiver();
        Ok(self.settings_view())
    }

    /// The "Pull history" panel's saved settings, the key masked.
    pub fn pull_settings(&self) -> Result<PullSettings, ApiError> {
        Ok(self.0.config.pull_settings()?)
    }

    /// Saves the panel's settings (a new key to its 0600 file) and starts a pull on the app's store,
    /// in the background. Answers once the first page is stored (or the API is waited for), so a
    /// wrong key, URL or environment is this call's error; how it goes on is in the `pulls` table
    /// (the `pulls` command), page by page.
    pub fn start_pull(&self, request: StartPull) -> Result<PullSettings, ApiError> {
        use std::sync::atomic::Ordering::SeqCst;
        let store = lock(&self.0.running).store.clone().ok_or_else(|| {
            ApiError::new(
                ApiErrorKind::Unavailable,
                "another Logbook writes the database: pull there (`logbook pull`), or quit it and restart the app",
            )
        })?;
        let saved = self.0.config.save_pull_settings(request.settings)?;
        let bad = |message: String| ApiError::new(ApiErrorKind::BadRequest, message);
        let key = self
            .0
            .config
            .pull_api_key()?
            .ok_or_else(|| bad("enter the IBM Cloud API key".into()))?;
        let range = if request.since_last {
            pull::Range::SinceLastPull
        } else {
            match request.since.as_deref().map(str::trim).unwrap_or("") {
                "" => pull::Range::All,
                since => pull::Range::Since(
                    logbook_core::query::parse::parse_when(since, chrono::Utc::now()).ok_or_else(
                        || {
                            bad(format!(
                                "bad \"since\" {since:?}: an age like 7d or a date like 2026-03-10"
                            ))
                        },
                    )?,
                ),
            }
        };
        let iam_url = match saved.iam_url.trim() {
            "" => pull::IBM_IAM_URL.to_owned(),
            url => url.to_owned(),
        };
        let options = pull::PullOptions {
            url: saved.url.clone(),
            environment: saved.environment.clone(),
            credentials: pull::Credentials::ApiKey { key, iam_url },
            range,
            filter: request.filter,
            restart: false,
        };
        if self.0.pulling.swap(true, SeqCst) {
            return Err(bad("a pull is already running".into()));
        }
        let (started, answer) = std::sync::mpsc::channel();
        let shell = self.clone();
        std::thread::Builder::new()
            .name("logbook-pull".into())
            .spawn(move || {
                // The first call says where it starts; the next one comes after a page or before a wait.
                let mut calls = 0;
                let result = pull::pull(&store, &options, &mut |_| {
                    calls += 1;
                    if calls == 2 {
                        let _ = started.send(Ok(()));
                    }
                });
                shell.0.pulling.store(false, SeqCst);
                if let Err(err) = result {
                    let _ = started.send(Err(err.to_string()));
                }
            })
            .map_err(|e| {
                self.0.pulling.store(false, SeqCst);
                ApiError::new(ApiErrorKind::Internal, e.to_string())
            })?;
        match answer.recv() {
            Ok(Ok(())) | Err(_) => Ok(saved),
            Ok(Err(message)) => Err(bad(message)),
        }
    }

    /// The text of an endpoint's secret, for copying into Watson. A downstream's secret is the
    /// user's own and stays masked.
    pub fn reveal_secret(&self, endpoint_id: &str) -> Result<String, ApiError> {
        let is_endpoint = lock(&self.0.running)
            .settings
            .endpoints
            .iter()
            .any(|e| e.id == endpoint_id);
        let secret = if is_endpoint {
            self.0.config.secret(endpoint_id)?
        } else {
            None
        };
        match secret {
            Some(secret) => Ok(secret.expose().to_owned()),
            None => Err(ApiError::new(
                ApiErrorKind::NotFound,
                format!("endpoint {endpoint_id:?} has no stored secret"),
            )),
        }
    }

    /// Stops the receiver and the forwarder, if any, and starts them with the current settings,
    /// recording why when they cannot run. Events accepted from then on are queued for the new
    /// downstreams; what the outbox holds for a downstream still configured is delivered on.
    fn restart_receiver(&self) {
        let mut running = lock(&self.0.running);
        let released_port = running.receiver.take().map(|receiver| {
            let port = receiver.local_addr().port();
            receiver.shutdown();
            port
        });
        if let Some(forwarder) = running.forwarder.take() {
            forwarder.shutdown();
        }
        running.endpoints.clear();
        let Some(store) = running.store.clone() else {
            return; // read-only: the problem says why
        };
        running.problem = None;
        let config = self.0.config.config(&running.settings);
        let forwards = self.0.config.forwards(&running.settings);
        let endpoints =
            match forwards.and_then(|f| Ok((f, self.0.config.endpoints(&running.settings)?))) {
                Ok((forwards, endpoints)) => {
                    store.set_forwards(config.store_options().forwards);
                    running.forwarder = Some(Forwarder::start(
                        store.clone(),
                        forwards,
                        OutboxLimits::default(),
                    ));
                    endpoints
                }
                Err(err) => {
                    running.problem = Some(ReceiverProblem {
                        kind: "settings".into(),
                        message: format!("Not receiving: {err}"),
                        suggested_port: None,
                    });
                    return;
                }
            };
        let port = running.settings.port;
        let max_body_bytes = usize::try_from(running.settings.max_body_bytes).unwrap_or(usize::MAX);
        let rebind_until = Instant::now() + Duration::from_millis(REBIND_WAIT_MS);
        let started = loop {
            let mut config = ReceiverConfig::new(format!("127.0.0.1:{port}"), endpoints.clone());
            config.max_body_bytes = max_body_bytes;
            match Receiver::start(config, store.clone()) {
                Err(IngestError::Listen { source, .. })
                    if source.kind() == std::io::ErrorKind::AddrInUse
                        && released_port == Some(port)
                        && Instant::now() < rebind_until =>
                {
                    std::thread::sleep(Duration::from_millis(REBIND_RETRY_MS));
                }
                result => break result,
            }
        };
        match started {
            Ok(receiver) => {
                running.receiver = Some(receiver);
                running.endpoints = endpoints;
            }
            Err(IngestError::Listen { source, .. })
                if source.kind() == std::io::ErrorKind::AddrInUse =>
            {
                let free = free_port_near(port);
                running.problem = Some(ReceiverProblem {
                    kind: "port_taken".into(),
                    message: match free {
                        Some(free) => format!(
                            "Not receiving: port {port} is already in use by another program. Port {free} is free: use it instead (then point the tunnel at it)."
                        ),
                        None => format!(
                            "Not receiving: port {port} is already in use by another program; choose another port."
                        ),
                    },
                    suggested_port: free,
                });
            }
            Err(err) => {
                running.problem = Some(ReceiverProblem {
                    kind: "settings".into(),
                    message: format!("Not receiving: {err}"),
                    suggested_port: None,
                });
            }
        }
    }

    /// The tunnel helper's state (a tunnel whose tool exited is forgotten).
    pub fn tunnel_status(&self) -> TunnelStatus {
        let mut running = lock(&self.0.running);
        if running.tunnel.as_mut().is_some_and(|t| !t.is_running()) {
            running.tunnel = None;
        }
        let installed: Vec<TunnelTool> = tunnel::installed(std::env::var_os("PATH").as_deref())
            .into_iter()
            .map(|(tool, _)| tool)
            .collect();
        TunnelStatus {
            install_hint: installed
                .is_empty()
                .then(|| tunnel::INSTALL_HINT.to_owned()),
            installed,
            running: running.tunnel.as_ref().map(|t| RunningTunnel {
                tool: t.tool,
                public_url: t.url.clone(),
                webhook_urls: running
                    .settings
                    .endpoints
                    .iter()
                    .map(|e| format!("{}{}", t.url, e.path.as_deref().unwrap_or("/")))
                    .collect(),
                local_url: format!("http://127.0.0.1:{}", t.port),
            }),
        }
    }

    /// Starts a tunnel to the receiver with `tool`, or the first one installed; a running tunnel is
    /// stopped first.
    pub fn start_tunnel(&self, tool: Option<TunnelTool>) -> Result<TunnelStatus, ApiError> {
        self.start_tunnel_with(
            tool,
            std::env::var_os("PATH").as_deref(),
            Duration::from_millis(tunnel::URL_TIMEOUT_MS),
        )
    }

    /// [`Shell::start_tunnel`] searching `path_var` for the tools.
    pub fn start_tunnel_with(
        &self,
        tool: Option<TunnelTool>,
        path_var: Option<&std::ffi::OsStr>,
        timeout: Duration,
    ) -> Result<TunnelStatus, ApiError> {
        let installed = tunnel::installed(path_var);
        let (tool, program) = installed
            .into_iter()
            .find(|(t, _)| tool.is_none_or(|wanted| wanted == *t))
            .ok_or_else(|| match tool {
                Some(tool) => ApiError::new(
                    ApiErrorKind::NotInstalled,
                    format!(
                        "{tool} is not installed (not found on the PATH). {}",
                        tunnel::INSTALL_HINT
                    ),
                ),
                None => TunnelError::NotInstalled.into(),
            })?;
        let port = {
            let mut running = lock(&self.0.running);
            if let Some(old) = running.tunnel.take() {
                old.stop();
            }
            match &running.receiver {
                Some(receiver) => receiver.local_addr().port(),
                None => {
                    return Err(ApiError::new(
                        ApiErrorKind::Unavailable,
                        "the receiver is not running, so there is nothing to tunnel to (see Settings)",
                    ));
                }
            }
        };
        // Waiting for the URL takes seconds: not under the lock.
        let started = Tunnel::start(tool, &program, port, timeout)?;
        lock(&self.0.running).tunnel = Some(started);
        Ok(self.tunnel_status())
    }

    pub fn stop_tunnel(&self) -> TunnelStatus {
        let old = lock(&self.0.running).tunnel.take();
        if let Some(old) = old {
            old.stop();
        }
        self.tunnel_status()
    }

    /// Stops everything in order; the database is left clean (no WAL). Safe to call twice.
    pub fn shutdown(&self) {
        self.0.live.stop_all();
        let (tunnel, receiver, forwarder, store) = {
            let mut running = lock(&self.0.running);
            (
                running.tunnel.take(),
                running.receiver.take(),
                running.forwarder.take(),
                running.store.take(),
            )
        };
        if let Some(tunnel) = tunnel {
            tunnel.stop();
        }
        if let Some(receiver) = receiver {
            receiver.shutdown();
        }
        if let Some(forwarder) = forwarder {
            forwarder.shutdown();
        }
        self.0.readers.close();
        if let Some(store) = store {
            match Arc::try_unwrap(store) {
                Ok(store) => {
                    if let Err(err) = store.close() {
                        eprintln!("logbook: closing the store: {err}");
                    }
                }
                // Still borrowed by a request being answered: dropping it last closes it too.
                Err(_) => eprintln!("logbook: the store is still in use; it closes on exit"),
            }
        }
    }
}

/// A port at or after `port` that can be bound on loopback now, else any free port.
pub fn free_port_near(port: u16) -> Option<u16> {
    let bindable = |p: u16| TcpListener::bind(("127.0.0.1", p)).is_ok();
    (1..=PORT_SEARCH)
        .filter_map(|i| port.checked_add(i))
        .find(|p| bindable(*p))
        .or_else(|| {
            TcpListener::bind(("127.0.0.1", 0))
                .and_then(|l| l.local_addr())
                .ok()
                .map(|a| a.port())
        })
}

/// A poisoned lock still guards consistent data here (every update is a single assignment).
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl From<SettingsError> for ApiError {
    fn from(err: SettingsError) -> Self {
        let kind = match err {
            SettingsError::Invalid(_) => ApiErrorKind::BadRequest,
            _ => ApiErrorKind::Internal,
        };
        ApiError::new(kind, err.to_string())
    }
}

impl From<TunnelError> for ApiError {
    fn from(err: TunnelError) -> Self {
        let kind = match err {
            TunnelError::NotInstalled => ApiErrorKind::NotInstalled,
            _ => ApiErrorKind::TunnelFailed,
        };
        ApiError::new(kind, err.to_string())
    }
}
