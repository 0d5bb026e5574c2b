//! The app's one piece of state: the store opened once at launch, the webhook receiver running in the
//! background with the saved settings, the read-only connections the commands query through, the
//! live subscriptions and the tunnel.
//!
//! What the views read is this computer's SQLite file, or a team's PostgreSQL store opened in
//! Settings › Team store ([`Shell::open_team_store`]; the choice is saved and opened again at the
//! next launch). A team store is read as `logbook serve --store`'s UI reads it, through the
//! service's [`UiStore`] (a connection per reader, live views woken by the store's `NOTIFY`). The
//! receiver is not moved by that choice: it keeps storing into this computer's file, which the
//! Status view then names, and what only that file keeps (replays, pulls) is not offered on a
//! team's store. A team store that cannot be opened, at launch or when asked, leaves the current
//! one shown and says why, naming where it tried, never the password.
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
use logbook_core::query::{Db, Reader};
use logbook_core::store::{self, Store, StoreError};
use logbook_http::forward::Forwarder;
use logbook_http::ingest::{Endpoint, IngestError, Receiver, ReceiverConfig};
use logbook_pull as pull;
use logbook_service::ReceiverInfo;
use logbook_service::commands::{Command, Context, LiveCursor, NoRequest};
use logbook_service::live::Wake;
use logbook_service::store::{NOT_ON_A_TEAM_STORE, UiStore};
use logbook_service::types::{ApiError, ApiErrorKind, EndpointInfo, LiveBatch, Status};
use serde::Serialize;

use crate::live::Subscriptions;
use crate::settings::{
    ConfigDir, OpenTeamStore, PullSettings, Retention, Settings, SettingsError, TeamStoreSettings,
};
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
    /// Settings › Team store: which store the views read.
    pub team_store: TeamStoreView,
}

/// Settings › Team store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct TeamStoreView {
    /// The team store saved (URL without the password, the password masked), open or not.
    pub saved: Option<TeamStoreSettings>,
    /// The team store the views read now (`user@host:port/database`, never the password); `None`:
    /// they read this computer's store.
    pub showing: Option<String>,
    /// Why the saved team store is not shown though it was chosen (it could not be opened when the
    /// app started).
    pub problem: Option<String>,
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

/// What the views read.
#[derive(Clone)]
pub enum Source {
    /// This computer's SQLite file, the one the receiver writes.
    Local(PathBuf),
    /// A team's PostgreSQL store (Settings › Team store), read as `logbook serve --store`'s UI
    /// reads it.
    Team(UiStore),
}

impl Source {
    fn reader(&self) -> Result<Reader, ApiError> {
        match self {
            Source::Local(path) => Ok(Reader::Sqlite(store::open_reader(path)?)),
            Source::Team(store) => store.reader(),
        }
    }
}

/// Readers of the store the views read, reused between commands. Changing what is read
/// ([`Readers::switch`]) moves to a new generation: readers of the old one are not reused, and a
/// live subscription of the old one ends.
pub struct Readers {
    state: Mutex<ReadState>,
}

struct ReadState {
    source: Source,
    generation: u64,
    idle: Vec<Reader>,
}

impl Readers {
    fn new(path: PathBuf) -> Self {
        Self {
            state: Mutex::new(ReadState {
                source: Source::Local(path),
                generation: 0,
                idle: Vec::new(),
            }),
        }
    }

    /// Runs `f` on an idle reader, or a new one.
    pub fn with<T>(&self, f: impl FnOnce(Db<'_>) -> Result<T, ApiError>) -> Result<T, ApiError> {
        self.with_source(None, |db, _| f(db))
    }

    /// Runs `f` on an idle reader of what the views read, or a new one, with what that is. With
    /// `generation`, refuses when what is read has changed since (a live subscription of the old
    /// store must not read the new one from its cursor). A reader whose question failed inside the
    /// store (its connection may be broken) is not kept.
    pub fn with_source<T>(
        &self,
        generation: Option<u64>,
        f: impl FnOnce(Db<'_>, &Source) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let (source, current, idle) = {
            let mut state = lock(&self.state);
            if generation.is_some_and(|g| g != state.generation) {
                return Err(ApiError::new(
                    ApiErrorKind::Unavailable,
                    "the store the views read has changed",
                ));
            }
            (state.source.clone(), state.generation, state.idle.pop())
        };
        let reader = match idle {
            Some(reader) => reader,
            None => source.reader()?,
        };
        let result = f(reader.db(), &source);
        let broken = matches!(&result, Err(e) if e.kind == ApiErrorKind::Internal);
        let mut state = lock(&self.state);
        if !broken && state.generation == current && state.idle.len() < IDLE_READERS {
            state.idle.push(reader);
        }
        result
    }

    /// What the views read now, and its generation.
    pub fn source(&self) -> (Source, u64) {
        let state = lock(&self.state);
        (state.source.clone(), state.generation)
    }

    pub fn generation(&self) -> u64 {
        lock(&self.state).generation
    }

    /// Reads `source` from now on (`first`: a reader of it already open). Returns what was read
    /// before and its idle readers, for the caller to drop outside the lock (a team store's
    /// listener takes a moment to stop).
    fn switch(&self, source: Source, first: Option<Reader>) -> (Source, Vec<Reader>) {
        let mut state = lock(&self.state);
        state.generation += 1;
        let old = std::mem::replace(&mut state.source, source);
        let idle = std::mem::replace(&mut state.idle, first.into_iter().collect());
        (old, idle)
    }

    /// Closes the idle connections (before the store closes, so it can remove its WAL).
    fn close(&self) {
        let idle = std::mem::take(&mut lock(&self.state).idle);
        drop(idle);
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
    /// Why the saved team store is not shown (it could not be opened at launch).
    team_problem: Mutex<Option<String>>,
    /// One change of the store shown at a time.
    switching: Mutex<()>,
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
            team_problem: Mutex::new(None),
            switching: Mutex::new(()),
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
        shell.reopen_team_store();
        Ok(shell)
    }

    /// Opens the team store saved as open (the choice of the last session), or says why not and
    /// shows this computer's store.
    fn reopen_team_store(&self) {
        let url = match self.0.config.team_store() {
            Ok(Some(saved)) if saved.open => self.0.config.team_store_url(),
            Ok(_) => return,
            Err(err) => Err(err),
        };
        let opened = url.map_err(|e| e.to_string()).and_then(|url| {
            UiStore::connect(&url.expect("a saved team store")).map_err(|e| e.to_string())
        });
        match opened {
            Ok((store, reader)) => {
                self.0.readers.switch(Source::Team(store), Some(reader));
            }
            Err(why) => {
                *lock(&self.0.team_problem) = Some(format!(
                    "The team store could not be opened when the app started: {why}. The views \
                     show this computer's store; open the team store again when it can be reached."
                ));
            }
        }
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

    /// What wakes a live view of `source`: the writer's announcements (this computer's store, when
    /// the app writes it), the team store's notifications, or polling alone.
    fn wake(&self, source: &Source) -> Wake {
        match source {
            Source::Team(store) => store.subscribe(),
            Source::Local(_) => lock(&self.0.running)
                .store
                .as_ref()
                .map(|s| s.subscribe())
                .into(),
        }
    }

    /// Starts sending the rows after `since` to `send` (see [`Subscriptions::start`]), from the
    /// store the views read now; it ends when they read another.
    pub fn start_live(
        &self,
        webview: &str,
        since: LiveCursor,
        send: impl Fn(LiveBatch) -> bool + Send + 'static,
    ) -> u32 {
        let (source, generation) = self.0.readers.source();
        let wake = self.wake(&source);
        self.0.live.start(
            webview,
            self.0.readers.clone(),
            generation,
            wake,
            since,
            send,
        )
    }

    /// Runs `f` on a reader of the store the views read.
    pub fn read<T>(&self, f: impl FnOnce(Db<'_>) -> Result<T, ApiError>) -> Result<T, ApiError> {
        self.0.readers.with(f)
    }

    /// Runs one of the service's read commands on a reader of the store the views read.
    pub fn run<C: Command>(&self, request: C::Request) -> Result<C::Answer, ApiError> {
        let (mut receiver, giving_way) = self.receiver_and_giving_way();
        self.0.readers.with_source(None, |db, source| {
            let (database, giving_way_since) = match source {
                Source::Local(path) => (path.as_path(), giving_way),
                Source::Team(store) => {
                    // The receiver goes on storing into this computer's file: the Status view says so.
                    receiver.database = Some(self.0.db_path.display().to_string());
                    (store.database(), None)
                }
            };
            let ctx = Context {
                database,
                receiver: &receiver,
                giving_way_since,
            };
            C::run(db, &ctx, request)
        })
    }

    /// Sends a replay from the event view (signed with the secret of the endpoint the event
    /// arrived on as the settings have it, a secret file, or none) and keeps it.
    pub fn replay(
        &self,
        request: logbook_service::commands::ReplayRequest,
    ) -> Result<logbook_core::store::replays::ReplayView, ApiError> {
        if matches!(self.0.readers.source().0, Source::Team(_)) {
            return Err(ApiError::new(ApiErrorKind::BadRequest, NOT_ON_A_TEAM_STORE));
        }
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
        self.0
            .readers
            .with_source(None, |db, source| match (source, db.sqlite()) {
                (Source::Local(_), Some(conn)) => {
                    logbook_http::replay::from_ui(&store, conn, &endpoints, request)
                }
                _ => Err(ApiError::new(ApiErrorKind::BadRequest, NOT_ON_A_TEAM_STORE)),
            })
    }

    /// The Status view.
    pub fn status(&self) -> Result<Status, ApiError> {
        self.run::<logbook_service::commands::read::Status>(NoRequest {})
    }

    /// What the read commands' context says of what runs, under one lock: the receiver (where it
    /// listens, or, when it does not run, the endpoints it would serve), and since when projection
    /// has waited for a burst (the local store's; `None` while it does not wait).
    fn receiver_and_giving_way(&self) -> (ReceiverInfo, Option<i64>) {
        let running = lock(&self.0.running);
        let giving_way =
            (running.store.as_ref()).and_then(|store| store.projection_giving_way_since());
        let receiver = match &running.receiver {
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
                database: None,
            },
        };
        (receiver, giving_way)
    }

    /// The Settings view.
    pub fn settings_view(&self) -> SettingsView {
        let team_store = self.team_store_view();
        let running = lock(&self.0.running);
        SettingsView {
            team_store,
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

    /// Settings › Team store: what is saved and what the views read.
    pub fn team_store_view(&self) -> TeamStoreView {
        let (source, _) = self.0.readers.source();
        let showing = match &source {
            Source::Team(store) => Some(store.database().display().to_string()),
            Source::Local(_) => None,
        };
        let (saved, problem) = match self.0.config.team_store() {
            Ok(saved) => (saved, lock(&self.0.team_problem).clone()),
            Err(err) => (None, Some(err.to_string())),
        };
        TeamStoreView {
            saved,
            showing,
            problem,
        }
    }

    /// "Open team store": connects to the PostgreSQL store `request` names (its password in the
    /// URL, typed apart, or the one stored for that URL), checks that it holds a Logbook store of
    /// this version, then shows it in every view and saves the choice (the URL without its
    /// password; the password in its 0600 file). When it cannot be opened, the error names where
    /// it tried (never the password) and the store shown stays as it was.
    pub fn open_team_store(&self, request: OpenTeamStore) -> Result<SettingsView, ApiError> {
        let _one_at_a_time = lock(&self.0.switching);
        let (url, password) = self.0.config.team_store_request(&request)?;
        let full = logbook_core::store::postgres::with_password(&url, password.as_deref());
        let (store, reader) = UiStore::connect(&full).map_err(|err| {
            ApiError::new(
                ApiErrorKind::BadRequest,
                format!("The team store was not opened: {err}. The views still show the store they showed."),
            )
        })?;
        self.0
            .config
            .save_team_store(&url, password.as_deref(), true)?;
        *lock(&self.0.team_problem) = None;
        self.show(Source::Team(store), Some(reader));
        Ok(self.settings_view())
    }

    /// "Back to this computer's store": the views read this computer's SQLite file again. The team
    /// store stays saved (closed) for next time, unless `forget` removes it and its password.
    pub fn close_team_store(&self, forget: bool) -> Result<SettingsView, ApiError> {
        let _one_at_a_time = lock(&self.0.switching);
        if forget {
            self.0.config.forget_team_store()?;
        } else {
            self.0.config.set_team_store_open(false)?;
        }
        *lock(&self.0.team_problem) = None;
        if matches!(self.0.readers.source().0, Source::Team(_)) {
            self.show(Source::Local(self.0.db_path.clone()), None);
        }
        Ok(self.settings_view())
    }

    /// Makes every view read `source`: the live subscriptions of the old store end (the page
    /// reloads and starts its own), and the old store's readers and listener are closed here,
    /// outside every lock.
    fn show(&self, source: Source, first: Option<Reader>) {
        let old = self.0.readers.switch(source, first);
        self.0.live.stop_all();
        drop(old);
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
        if matches!(self.0.readers.source().0, Source::Team(_)) {
            return Err(ApiError::new(
                ApiErrorKind::BadRequest,
                "pulls are kept with this computer's SQLite store, not with a team's store: go back to this computer's store (Settings › Team store) to pull",
            ));
        }
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
        // A team store's listener stops with the last reference to it.
        self.0
            .readers
            .switch(Source::Local(self.0.db_path.clone()), None);
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
