//! The app's settings: the receiver's port, its endpoints (path, verification and secret for each
//! Watson environment, and the downstreams its events are forwarded to), the body size limit and
//! retention, kept as `settings.json` in the app's config directory.
//!
//! Contract: a secret never enters the settings file, the database or a log. Each lives in a file of
//! its own, `secrets/<endpoint or downstream id>`, created readable only by the user (0600, in a 0700 directory),
//! and leaves the shell masked the way Watson's own Secret field shows it, unless the user asks to
//! reveal it. Files are replaced atomically (write a temporary file, then rename). On the first
//! launch the default endpoint takes the secret `make run` made for `logbook serve`, if there is one,
//! so the app and the command line agree with what was pasted into Watson; otherwise a random one.
//!
//! The team store (Settings › Team store: a PostgreSQL store the views read instead of this
//! computer's file) is kept the same way: its URL without the password in `team-store.json`, the
//! password in `team-store-password` (0600), shown masked and never sent back.

use std::io::Write;
use std::path::{Path, PathBuf};

use logbook_core::config::{
    self, Config, ConfigError, EndpointConfig, Forward, ForwardConfig, Limits, SecretSource,
};
use logbook_core::store::{self, StoreOptions};
use logbook_http::ingest::{Endpoint, Secret};
use serde::{Deserialize, Serialize};

/// How an endpoint checks its requests: the core's one enum, saved as `"jwt"`, `"header"`, `"none"`.
pub use logbook_core::config::AuthMode;
/// How a delivery to a downstream is authorised: `"jwt"`, `"passthrough"`, `"header"`, `"none"`.
pub use logbook_core::config::ForwardMode;
/// Bounds of what the settings accept, as the core's validation applies them.
pub use logbook_core::config::{MAX_KEEP_DAYS, MIN_BODY_BYTES, MIN_DB_MB};

/// The settings file in the config directory.
pub const SETTINGS_FILE: &str = "settings.json";
/// The directory of secret files in the config directory.
pub const SECRETS_DIR: &str = "secrets";
/// The "Pull history" panel's saved choices (no key) in the config directory.
pub const PULL_SETTINGS_FILE: &str = "pull.json";
/// The IBM Cloud API key of the pull, 0600, in the config directory (not in `secrets/`, whose files
/// are the endpoints').
pub const PULL_API_KEY_FILE: &str = "pull-apikey";
/// The team store the views read (its URL without the password, and whether it is open).
pub const TEAM_STORE_FILE: &str = "team-store.json";
/// The team store's password, 0600, in the config directory.
pub const TEAM_STORE_PASSWORD_FILE: &str = "team-store-password";
/// The port `logbook serve` uses by default, so a tunnel set up for one works for the other.
pub const DEFAULT_PORT: u16 = 7420;
/// Characters in a generated secret (Watson allows 1 to 1,024).
pub const GENERATED_SECRET_CHARS: usize = 32;
/// Bullets shown for a secret at most, however long it is.
const MASK_MAX_CHARS: usize = 16;

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{0}")]
    Invalid(String),
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not valid settings: {source}")]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
}

/// What the core's validation refuses is invalid input, like the rest.
impl From<ConfigError> for SettingsError {
    fn from(err: ConfigError) -> Self {
        Self::Invalid(err.to_string())
    }
}

/// Everything the user can set. Saved without secrets; see [`EndpointSettings`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct Settings {
    /// The receiver listens on `127.0.0.1:<port>`; a tunnel forwards Watson's calls there.
    pub port: u16,
    pub endpoints: Vec<EndpointSettings>,
    /// Bodies larger than this are refused with 413.
    pub max_body_bytes: u64,
    pub retention: Retention,
}

/// What is kept, and for how long. Every field takes effect at the next launch: the store is opened
/// once, with them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct Retention {
    /// The newest refused requests kept for inspection (older ones are deleted as new ones arrive).
    pub rejections_kept: u64,
    /// Delete events received more than this many days ago (`logbook serve --keep-days`); `None`
    /// keeps them however old. Absent from settings files written before it existed.
    #[serde(default)]
    pub keep_days: Option<u32>,
    /// Delete the oldest events while the database holds more than this many megabytes
    /// (`logbook serve --max-db-mb`); `None` sets no bound.
    #[serde(default)]
    pub max_db_mb: Option<u64>,
}

impl Retention {
    /// The core's retention model (whole days).
    pub fn to_config(&self) -> config::Retention {
        config::Retention {
            keep_days: self.keep_days.map(f64::from),
            max_db_mb: self.max_db_mb,
        }
    }

    /// As the store takes it.
    pub fn to_store(&self) -> store::Retention {
        self.to_config().to_store()
    }
}

/// One webhook URL path, one Watson environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct EndpointSettings {
    /// Names the endpoint's secret file: lowercase letters and digits. Empty for a new endpoint (one
    /// is assigned on save); keep it when editing, or the stored secret is not found.
    #[serde(default)]
    pub id: String,
    /// The URL path, e.g. `/draft`; `None` takes every path no other endpoint claims.
    pub path: Option<String>,
    pub mode: AuthMode,
    /// The stored secret, masked (`••••••••`); absent when none is stored. Ignored on save.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub secret_masked: Option<String>,
    /// On save only: a new secret (1 to 1,024 characters). Absent keeps the stored one; an endpoint
    /// that needs a secret and has none gets a random one (reveal it to paste it into Watson).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub new_secret: Option<String>,
    /// Where this endpoint's events are passed on to (`logbook serve --forward PATH@URL=…`).
    /// Absent from settings files written before forwarding.
    #[serde(default)]
    pub forwards: Vec<ForwardSettings>,
}

/// A downstream an endpoint's events are forwarded to, through the durable outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct ForwardSettings {
    /// Names the downstream's secret file, like an endpoint's id. Empty for a new downstream.
    #[serde(default)]
    pub id: String,
    /// Where each event is POSTed (`http://` or `https://`).
    pub url: String,
    /// The `Authorization` of each delivery.
    pub mode: ForwardMode,
    /// Extra headers sent with each delivery.
    #[serde(default)]
    pub headers: Vec<HeaderSetting>,
    /// Deliveries under way at once: 1 keeps arrival order.
    #[serde(default = "one")]
    pub parallel: u32,
    /// The stored secret (for `jwt` and `header`), masked; absent when none is stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub secret_masked: Option<String>,
    /// On save only: a new secret. A downstream that signs needs one: it is the downstream's, so
    /// none is made up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub new_secret: Option<String>,
}

fn one() -> u32 {
    1
}

/// An extra header of a downstream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct HeaderSetting {
    pub name: String,
    pub value: String,
}

impl Settings {
    /// The core's configuration model for these settings, each endpoint's and downstream's secret
    /// found by `secret_of` its id (`None`: it has none yet).
    pub fn to_config(&self, secret_of: impl Fn(&str) -> Option<SecretSource>) -> Config {
        let secret_of = &secret_of;
        Config {
            listen: format!("127.0.0.1:{}", self.port),
            endpoints: self
                .endpoints
                .iter()
                .map(|e| EndpointConfig {
                    path: e.path.clone(),
                    mode: e.mode,
                    secret: secret_of(&e.id),
                })
                .collect(),
            forwards: self
                .endpoints
                .iter()
                .flat_map(|e| {
                    // The catch-all's events are recorded under `*`.
                    let endpoint = Some(e.path.clone().unwrap_or_else(|| "*".into()));
                    e.forwards.iter().map(move |f| ForwardConfig {
                        endpoint: endpoint.clone(),
                        headers: f
                            .headers
                            .iter()
                            .map(|h| (h.name.clone(), h.value.clone()))
                            .collect(),
                        parallel: f.parallel,
                        ..ForwardConfig::new(f.url.clone(), f.mode, secret_of(&f.id))
                    })
                })
                .collect(),
            limits: Limits {
                max_body_bytes: usize::try_from(self.max_body_bytes).unwrap_or(usize::MAX),
                rejections_kept: self.retention.rejections_kept,
            },
            retention: self.retention.to_config(),
            ..Config::default()
        }
    }
}

/// The settings of a first launch: one catch-all endpoint verifying Watson's JWT.
pub fn defaults() -> Settings {
    Settings {
        port: DEFAULT_PORT,
        endpoints: vec![EndpointSettings {
            id: "default".into(),
            path: None,
            mode: AuthMode::Jwt,
            secret_masked: None,
            new_secret: None,
            forwards: Vec::new(),
        }],
        max_body_bytes: config::DEFAULT_MAX_BODY_BYTES as u64,
        retention: Retention {
            rejections_kept: store::DEFAULT_REJECTIONS_KEPT,
            keep_days: None,
            max_db_mb: None,
        },
    }
}

/// The secret `make run` writes for `logbook serve`: `~/.config/assistant-logbook/webhook-secret`.
pub fn cli_secret_file() -> Option<PathBuf> {
    let home = std::env::var_os("HOME")?;
    Some(PathBuf::from(home).join(".config/assistant-logbook/webhook-secret"))
}

/// The settings and secrets in one config directory.
#[derive(Debug, Clone)]
pub struct ConfigDir {
    dir: PathBuf,
}

impl ConfigDir {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    fn settings_path(&self) -> PathBuf {
        self.dir.join(SETTINGS_FILE)
    }

    fn secret_path(&self, id: &str) -> PathBuf {
        self.dir.join(SECRETS_DIR).join(id)
    }

    /// The saved settings with each secret masked, or `None` before the first save.
    pub fn load(&self) -> Result<Option<Settings>, SettingsError> {
        let path = self.settings_path();
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(SettingsError::Read { path, source }),
        };
        let mut settings: Settings =
            serde_json::from_str(&text).map_err(|source| SettingsError::Parse { path, source })?;
        for endpoint in &mut settings.endpoints {
            endpoint.new_secret = None;
            endpoint.secret_masked = self.secret(&endpoint.id)?.map(|s| mask(&s));
            for forward in &mut endpoint.forwards {
                forward.new_secret = None;
                forward.secret_masked = self.secret(&forward.id)?.map(|s| mask(&s));
            }
        }
        Ok(Some(settings))
    }

    /// The saved settings, or the first launch's (saved now, with their secret).
    pub fn load_or_init(&self) -> Result<(Settings, bool), SettingsError> {
        if let Some(settings) = self.load()? {
            return Ok((settings, false));
        }
        let mut settings = defaults();
        let inherited = cli_secret_file()
            .and_then(|file| std::fs::read_to_string(file).ok())
            .and_then(|text| Secret::from_file_text(&text).ok());
        settings.endpoints[0].new_secret = inherited.map(|s| s.expose().to_owned());
        Ok((self.save(settings)?, true))
    }

    /// Checks and saves `input`: new secrets go to their files, the rest to the settings file.
    /// Returns the settings as saved, secrets masked.
    pub fn save(&self, mut input: Settings) -> Result<Settings, SettingsError> {
        validate(&input)?;
        let mut taken = ids(&input);
        for endpoint in &mut input.endpoints {
            if endpoint.id.is_empty() {
                endpoint.id = self.new_id(&taken)?;
                taken.push(endpoint.id.clone());
            }
            for forward in &mut endpoint.forwards {
                if forward.id.is_empty() {
                    forward.id = self.new_id(&taken)?;
                    taken.push(forward.id.clone());
                }
            }
        }
        // Every downstream's secret is checked before any file is written.
        for endpoint in &input.endpoints {
            for forward in &endpoint.forwards {
                let what = format!("forward {}", forward.url);
                let given = match &forward.new_secret {
                    Some(text) => Some(Secret::new(text.as_str()).map_err(|source| {
                        ConfigError::BadSecret {
                            endpoint: what.clone(),
                            source,
                        }
                    })?),
                    None => None,
                };
                if forward.mode.needs_secret()
                    && given.is_none()
                    && self.secret(&forward.id)?.is_none()
                {
                    return Err(SettingsError::Invalid(format!(
                        "{what} signs with {} and needs the downstream's secret",
                        forward.mode
                    )));
                }
            }
        }
        for forward in input
            .endpoints
            .iter_mut()
            .flat_map(|e| e.forwards.iter_mut())
        {
            if let Some(text) = forward.new_secret.take() {
                let secret = Secret::new(text).expect("checked above");
                self.write_secret(&forward.id, &secret)?;
            }
            forward.secret_masked = None;
        }
        for endpoint in &mut input.endpoints {
            match endpoint.new_secret.take() {
                Some(text) => {
                    let secret = Secret::new(text).map_err(|source| ConfigError::BadSecret {
                        endpoint: describe(endpoint),
                        source,
                    })?;
                    // Refused rather than kept: Watson would sign with the text without it, and
                    // every request would then fail with a signature mismatch.
                    if let Some(padding) = secret.padding() {
                        return Err(SettingsError::Invalid(format!(
                            "endpoint {}: the secret {padding}, which Watson's Secret field almost \
                             never has (it comes with copy and paste); remove it",
                            describe(endpoint)
                        )));
                    }
                    self.write_secret(&endpoint.id, &secret)?;
                }
                None if endpoint.mode.needs_secret() && self.secret(&endpoint.id)?.is_none() => {
                    self.write_secret(&endpoint.id, &generate_secret())?;
                }
                None => {}
            }
            endpoint.secret_masked = None;
        }
        let json = serde_json::to_vec_pretty(&input).expect("settings serialise");
        write_atomically(&self.settings_path(), &json, false)?;
        self.remove_unused_secrets(&input)?;
        Ok(self.load()?.expect("settings just saved"))
    }

    /// The stored secret of an endpoint.
    pub fn secret(&self, id: &str) -> Result<Option<Secret>, SettingsError> {
        if !valid_id(id) {
            return Ok(None);
        }
        let path = self.secret_path(id);
        match std::fs::read_to_string(&path) {
            Ok(text) => Secret::from_file_text(&text).map(Some).map_err(|e| {
                SettingsError::Invalid(format!("the secret in {}: {e}", path.display()))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(SettingsError::Read { path, source }),
        }
    }

    /// The core's configuration for these settings, each secret in its file here.
    pub fn config(&self, settings: &Settings) -> Config {
        settings.to_config(|id| {
            let path = self.secret_path(id);
            (valid_id(id) && path.exists()).then_some(SecretSource::File(path))
        })
    }

    /// The downstreams for these settings, each with its secret.
    pub fn forwards(&self, settings: &Settings) -> Result<Vec<Forward>, SettingsError> {
        self.config(settings).forwards().map_err(|e| match e {
            missing @ ConfigError::MissingSecret { .. } => {
                SettingsError::Invalid(format!("{missing}: set one in Settings"))
            }
            other => other.into(),
        })
    }

    /// How the store is opened for these settings.
    pub fn store_options(&self, settings: &Settings) -> StoreOptions {
        self.config(settings).store_options()
    }

    /// The receiver's endpoints for these settings, each with its secret.
    pub fn endpoints(&self, settings: &Settings) -> Result<Vec<Endpoint>, SettingsError> {
        self.config(settings).endpoints().map_err(|e| match e {
            missing @ ConfigError::MissingSecret { .. } => {
                SettingsError::Invalid(format!("{missing}: set one in Settings"))
            }
            other => other.into(),
        })
    }

    fn write_secret(&self, id: &str, secret: &Secret) -> Result<(), SettingsError> {
        let dir = self.dir.join(SECRETS_DIR);
        create_private_dir(&self.dir)?;
        create_private_dir(&dir)?;
        write_atomically(&self.secret_path(id), secret.expose().as_bytes(), true)
    }

    fn remove_unused_secrets(&self, settings: &Settings) -> Result<(), SettingsError> {
        let dir = self.dir.join(SECRETS_DIR);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Ok(());
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if valid_id(&name) && !ids(settings).contains(&name) {
                std::fs::remove_file(entry.path()).map_err(|source| SettingsError::Write {
                    path: entry.path(),
                    source,
                })?;
            }
        }
        Ok(())
    }

    /// An id no endpoint has and no leftover secret file uses.
    fn new_id(&self, taken: &[String]) -> Result<String, SettingsError> {
        loop {
            let id: String = rand::random::<[u8; 4]>()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            if !taken.contains(&id) && !self.secret_path(&id).exists() {
                return Ok(id);
            }
        }
    }
}

/// Where the "Pull history" panel pulls from: saved as `pull.json`, the API key apart in a 0600 file.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct PullSettings {
    /// The instance's service URL.
    #[serde(default)]
    pub url: String,
    /// The environment id (the API's `assistant_id`).
    #[serde(default)]
    pub environment: String,
    /// IAM's token endpoint; IBM Cloud's when empty.
    #[serde(default)]
    pub iam_url: String,
    /// The stored key, masked; absent when none is stored. Ignored on save.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub api_key_masked: Option<String>,
    /// A new key to store; never sent back.
    #[serde(default, skip_serializing)]
    #[ts(optional = nullable)]
    pub new_api_key: Option<String>,
}

impl ConfigDir {
    /// The pull panel's settings, the key masked.
    pub fn pull_settings(&self) -> Result<PullSettings, SettingsError> {
        let path = self.dir.join(PULL_SETTINGS_FILE);
        let mut settings: PullSettings = match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text)
                .map_err(|source| SettingsError::Parse { path, source })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => PullSettings::default(),
            Err(source) => return Err(SettingsError::Read { path, source }),
        };
        settings.api_key_masked = self
            .pull_api_key()?
            .map(|k| "•".repeat(k.chars().count().min(MASK_MAX_CHARS)));
        Ok(settings)
    }

    /// Saves the pull panel's settings; a new key goes to its own 0600 file.
    pub fn save_pull_settings(
        &self,
        mut input: PullSettings,
    ) -> Result<PullSettings, SettingsError> {
        if let Some(key) = input.new_api_key.take() {
            let key = key.trim();
            if key.is_empty() {
                return Err(SettingsError::Invalid("the API key is empty".into()));
            }
            create_private_dir(&self.dir)?;
            write_atomically(&self.dir.join(PULL_API_KEY_FILE), key.as_bytes(), true)?;
        }
        input.api_key_masked = None;
        let json = serde_json::to_vec_pretty(&input).expect("pull settings serialise");
        write_atomically(&self.dir.join(PULL_SETTINGS_FILE), &json, false)?;
        self.pull_settings()
    }

    /// The stored API key of the pull.
    pub fn pull_api_key(&self) -> Result<Option<String>, SettingsError> {
        let path = self.dir.join(PULL_API_KEY_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Some(text.trim().to_owned()).filter(|k| !k.is_empty())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(SettingsError::Read { path, source }),
        }
    }
}

/// The team store of Settings › Team store: a team's PostgreSQL store the views read instead of
/// this computer's SQLite file. Saved as `team-store.json` without the password, which is kept apart
/// in a 0600 file.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct TeamStoreSettings {
    /// `postgres://USER@HOST[:PORT]/DATABASE[?sslmode=…]`, without the password.
    pub url: String,
    /// Whether the views read it (now, and from the next launch on).
    pub open: bool,
    /// The stored password, masked; absent when none is stored. Never saved in the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub password_masked: Option<String>,
}

/// What "Open team store" sends.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct OpenTeamStore {
    /// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=…]`.
    pub url: String,
    /// The password, when it is not in the URL. Empty or absent: the one in the URL, else the
    /// stored one if the URL is the one saved, else none (a server that trusts the user or its
    /// socket asks for none).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub password: Option<String>,
}

impl ConfigDir {
    /// The saved team store, its password masked; `None` when none was ever opened (or it was
    /// forgotten).
    pub fn team_store(&self) -> Result<Option<TeamStoreSettings>, SettingsError> {
        let path = self.dir.join(TEAM_STORE_FILE);
        let mut saved: TeamStoreSettings = match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text)
                .map_err(|source| SettingsError::Parse { path, source })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(SettingsError::Read { path, source }),
        };
        saved.password_masked = self
            .team_store_password()?
            .map(|p| "•".repeat(p.chars().count().min(MASK_MAX_CHARS)));
        Ok(Some(saved))
    }

    /// The URL to connect to the saved team store with: its password put back in.
    pub fn team_store_url(&self) -> Result<Option<String>, SettingsError> {
        let Some(saved) = self.team_store()? else {
            return Ok(None);
        };
        let password = self.team_store_password()?;
        Ok(Some(logbook_core::store::postgres::with_password(
            &saved.url,
            password.as_deref(),
        )))
    }

    /// The URL (without its password) and the password "Open team store" means (see
    /// [`OpenTeamStore::password`]). A URL that is not a PostgreSQL URL is refused; the message
    /// never shows the password.
    pub fn team_store_request(
        &self,
        request: &OpenTeamStore,
    ) -> Result<(String, Option<String>), SettingsError> {
        let (url, in_url) = logbook_core::store::postgres::split_password(&request.url)
            .map_err(|e| SettingsError::Invalid(e.to_string()))?;
        let typed = request.password.clone().filter(|p| !p.is_empty());
        let password = match (typed, in_url) {
            (Some(typed), _) => Some(typed),
            (None, Some(in_url)) => Some(in_url),
            (None, None) => match self.team_store()? {
                Some(saved) if saved.url == url => self.team_store_password()?,
                _ => None,
            },
        };
        Ok((url, password))
    }

    /// Saves the team store: `url` without its password in `team-store.json`, `password` in its
    /// 0600 file (none: the file is removed).
    pub fn save_team_store(
        &self,
        url: &str,
        password: Option<&str>,
        open: bool,
    ) -> Result<TeamStoreSettings, SettingsError> {
        let path = self.dir.join(TEAM_STORE_PASSWORD_FILE);
        match password {
            Some(password) => write_atomically(&path, password.as_bytes(), true)?,
            None => remove_if_there(&path)?,
        }
        self.write_team_store(&TeamStoreSettings {
            url: url.to_owned(),
            open,
            password_masked: None,
        })?;
        Ok(self.team_store()?.expect("just saved"))
    }

    /// Marks the saved team store open or not (its URL and password are kept for next time).
    pub fn set_team_store_open(&self, open: bool) -> Result<(), SettingsError> {
        match self.team_store()? {
            Some(saved) if saved.open != open => self.write_team_store(&TeamStoreSettings {
                open,
                password_masked: None,
                ..saved
            }),
            _ => Ok(()),
        }
    }

    /// Removes the saved team store and its password.
    pub fn forget_team_store(&self) -> Result<(), SettingsError> {
        remove_if_there(&self.dir.join(TEAM_STORE_PASSWORD_FILE))?;
        remove_if_there(&self.dir.join(TEAM_STORE_FILE))
    }

    fn write_team_store(&self, saved: &TeamStoreSettings) -> Result<(), SettingsError> {
        let json = serde_json::to_vec_pretty(saved).expect("team store settings serialise");
        write_atomically(&self.dir.join(TEAM_STORE_FILE), &json, false)
    }

    fn team_store_password(&self) -> Result<Option<String>, SettingsError> {
        let path = self.dir.join(TEAM_STORE_PASSWORD_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Some(text).filter(|p| !p.is_empty())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(SettingsError::Read { path, source }),
        }
    }
}

/// Removes `path`; one that is not there is fine.
fn remove_if_there(path: &Path) -> Result<(), SettingsError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(SettingsError::Write {
            path: path.to_owned(),
            source: e,
        }),
        _ => Ok(()),
    }
}

/// The secret as Watson's Secret field shows it: one bullet per character, at most 16.
pub fn mask(secret: &Secret) -> String {
    "•".repeat(secret.expose().chars().count().min(MASK_MAX_CHARS))
}

/// A random secret of letters and digits.
pub fn generate_secret() -> Secret {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    // Bytes at or above the largest multiple of 62 are dropped, so every character is equally likely.
    let limit = (256 / ALPHABET.len() * ALPHABET.len()) as u8;
    let mut text = String::with_capacity(GENERATED_SECRET_CHARS);
    while text.len() < GENERATED_SECRET_CHARS {
        for b in rand::random::<[u8; 64]>() {
            if b < limit && text.len() < GENERATED_SECRET_CHARS {
                text.push(ALPHABET[b as usize % ALPHABET.len()] as char);
            }
        }
    }
    Secret::new(text).expect("a generated secret is valid")
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 32
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// The ids of every endpoint and downstream: one namespace, the secret files'.
fn ids(settings: &Settings) -> Vec<String> {
    settings
        .endpoints
        .iter()
        .flat_map(|e| std::iter::once(&e.id).chain(e.forwards.iter().map(|f| &f.id)))
        .filter(|id| !id.is_empty())
        .cloned()
        .collect()
}

fn describe(endpoint: &EndpointSettings) -> String {
    endpoint.path.clone().unwrap_or_else(|| "(any path)".into())
}

/// What only the settings file has (the port, endpoint ids), then the core's validation.
fn validate(settings: &Settings) -> Result<(), SettingsError> {
    let invalid = |m: String| Err(SettingsError::Invalid(m));
    if settings.port == 0 {
        return invalid("the port must be between 1 and 65535".into());
    }
    let mut seen = std::collections::HashSet::new();
    for id in ids(settings) {
        if !valid_id(&id) {
            return invalid(format!("endpoint id {id:?} is not valid"));
        }
        if !seen.insert(id.clone()) {
            return invalid(format!("endpoint id {id:?} is given twice"));
        }
    }
    Ok(settings.to_config(|_| None).validate()?)
}

/// Makes `dir` (readable only by the user on Unix) if it does not exist.
fn create_private_dir(dir: &Path) -> Result<(), SettingsError> {
    let err = |source| SettingsError::Write {
        path: dir.to_owned(),
        source,
    };
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(err)
}

/// Replaces `path` with `bytes` through a temporary file in the same directory, so a crash leaves
/// the old file or the new one. `private` files are created 0600 from the start (never readable by
/// others, not even briefly).
fn write_atomically(path: &Path, bytes: &[u8], private: bool) -> Result<(), SettingsError> {
    let err = |source| SettingsError::Write {
        path: path.to_owned(),
        source,
    };
    let dir = path.parent().expect("a file in a directory");
    create_private_dir(dir)?;
    let mut tmp_name = path.file_name().expect("a file name").to_owned();
    tmp_name.push(format!(".tmp{}", std::process::id()));
    let tmp = dir.join(tmp_name);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, if private { 0o600 } else { 0o644 });
    #[cfg(not(unix))]
    let _ = private;
    let result = (|| {
        let mut file = options.open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(err)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn settings_files_from_before_age_and_size_retention_still_load() {
        let dir = tempfile::tempdir().unwrap();
        let config = ConfigDir::new(dir.path());
        let old = r#"{"port": 7431, "endpoints": [{"id": "default", "path": null, "mode": "none"}],
            "max_body_bytes": 4096, "retention": {"rejections_kept": 10}}"#;
        std::fs::write(dir.path().join(SETTINGS_FILE), old).unwrap();
        let settings = config.load().unwrap().unwrap();
        assert_eq!(settings.port, 7431);
        assert_eq!(
            settings.retention,
            Retention {
                rejections_kept: 10,
                keep_days: None,
                max_db_mb: None,
            }
        );
        assert!(!settings.retention.to_store().is_set());
    }

    #[test]
    fn retention_reaches_the_store_as_an_age_and_a_byte_count() {
        let retention = Retention {
            rejections_kept: 1,
            keep_days: Some(30),
            max_db_mb: Some(500),
        };
        assert_eq!(
            retention.to_store(),
            store::Retention {
                max_age: Some(Duration::from_secs(30 * 86_400)),
                max_bytes: Some(500 * 1024 * 1024),
            }
        );
        let huge = Retention {
            max_db_mb: Some(u64::MAX),
            ..retention
        };
        assert_eq!(huge.to_store().max_bytes, Some(u64::MAX));
    }

    #[test]
    fn settings_map_onto_the_core_config() {
        let dir = tempfile::tempdir().unwrap();
        let config = ConfigDir::new(dir.path());
        let mut settings = defaults();
        settings.port = 7431;
        settings.max_body_bytes = 4096;
        settings.retention = Retention {
            rejections_kept: 5,
            keep_days: Some(3),
            max_db_mb: Some(10),
        };
        settings.endpoints.push(EndpointSettings {
            id: "open".into(),
            path: Some("/open".into()),
            mode: AuthMode::None,
            secret_masked: None,
            new_secret: None,
            forwards: Vec::new(),
        });
        let core = config.config(&settings);
        assert_eq!(core.listen, "127.0.0.1:7431");
        assert_eq!(
            core.limits,
            Limits {
                max_body_bytes: 4096,
                rejections_kept: 5
            }
        );
        assert_eq!(
            core.retention,
            config::Retention {
                keep_days: Some(3.0),
                max_db_mb: Some(10)
            }
        );
        let modes: Vec<(&str, AuthMode)> =
            core.endpoints.iter().map(|e| (e.name(), e.mode)).collect();
        assert_eq!(modes, [("*", AuthMode::Jwt), ("/open", AuthMode::None)]);
        // No secret saved yet: the receiver cannot start, and the message says where to set one.
        let err = config.endpoints(&settings).unwrap_err().to_string();
        assert_eq!(
            err,
            "endpoint (any path) verifies with jwt but has no secret: set one in Settings"
        );
        let saved = config.save(settings).unwrap();
        let endpoints = config.endpoints(&saved).unwrap();
        assert_eq!(endpoints[0].auth.mode(), "jwt");
        assert!(endpoints[0].auth.secret().is_some());
        assert_eq!(config.store_options(&saved).rejections_kept, 5);
    }

    #[test]
    fn generated_secrets_are_valid_and_differ() {
        let (a, b) = (generate_secret(), generate_secret());
        assert_eq!(a.expose().len(), GENERATED_SECRET_CHARS);
        assert!(a.expose().bytes().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, b);
    }

    #[test]
    fn masks_show_one_bullet_per_character_up_to_sixteen() {
        assert_eq!(mask(&Secret::new("abc").unwrap()), "•••");
        assert_eq!(
            mask(&Secret::new("x".repeat(40)).unwrap()).chars().count(),
            16
        );
    }

    /// Every file of the config directory with its text.
    fn files(dir: &Path) -> Vec<(PathBuf, String)> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                out.extend(files(&path));
            } else {
                out.push((path.clone(), std::fs::read_to_string(&path).unwrap()));
            }
        }
        out
    }

    #[test]
    fn a_team_store_password_is_kept_apart_masked_and_only_for_its_url() {
        let dir = tempfile::tempdir().unwrap();
        let config = ConfigDir::new(dir.path());
        config.load_or_init().unwrap();
        let password = "pä:ss@w/rd&1";
        let request = OpenTeamStore {
            url: "postgres://alice:p%C3%A4%3Ass%40w%2Frd%261@db.example.com/team?sslmode=require"
                .into(),
            password: None,
        };
        let (url, given) = config.team_store_request(&request).unwrap();
        assert_eq!(url, "postgres://alice@db.example.com/team?sslmode=require");
        assert_eq!(given.as_deref(), Some(password));
        let saved = config
            .save_team_store(&url, given.as_deref(), true)
            .unwrap();
        assert_eq!(
            saved,
            TeamStoreSettings {
                url: url.clone(),
                open: true,
                password_masked: Some("•".repeat(12)),
            }
        );
        // The password is in its own 0600 file, and in no other file of the directory.
        let secret = dir.path().join(TEAM_STORE_PASSWORD_FILE);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&secret).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        for (path, text) in files(dir.path()) {
            let encoded = "p%C3%A4%3Ass";
            if path == secret {
                assert_eq!(text, password);
            } else {
                assert!(
                    !text.contains("ss@w") && !text.contains(encoded),
                    "{}",
                    path.display()
                );
            }
        }
        assert!(
            std::fs::read_to_string(dir.path().join(SETTINGS_FILE))
                .unwrap()
                .contains("port")
        );
        assert_eq!(
            config.team_store_url().unwrap().unwrap(),
            logbook_core::store::postgres::with_password(&url, Some(password))
        );

        // The same URL without a password keeps the stored one; a typed one replaces it; another
        // URL is not given a password meant for the first.
        let same = OpenTeamStore {
            url: url.clone(),
            password: Some(String::new()),
        };
        assert_eq!(
            config.team_store_request(&same).unwrap().1.as_deref(),
            Some(password)
        );
        let typed = OpenTeamStore {
            url: url.clone(),
            password: Some("typed".into()),
        };
        assert_eq!(
            config.team_store_request(&typed).unwrap().1.as_deref(),
            Some("typed")
        );
        let other = OpenTeamStore {
            url: "postgres://alice@elsewhere.example.com/team".into(),
            password: None,
        };
        assert_eq!(config.team_store_request(&other).unwrap().1, None);

        // Closed: kept for next time. Saved without a password: the file goes. Forgotten: all gone.
        config.set_team_store_open(false).unwrap();
        let closed = config.team_store().unwrap().unwrap();
        assert!(!closed.open);
        assert!(closed.password_masked.is_some());
        config.save_team_store(&url, None, true).unwrap();
        assert!(!secret.exists());
        assert_eq!(config.team_store().unwrap().unwrap().password_masked, None);
        config.forget_team_store().unwrap();
        assert_eq!(config.team_store().unwrap(), None);
        assert!(!dir.path().join(TEAM_STORE_FILE).exists());
    }

    #[test]
    fn a_team_store_url_that_is_not_one_is_refused_without_its_password() {
        let dir = tempfile::tempdir().unwrap();
        let config = ConfigDir::new(dir.path());
        for (url, expected) in [
            (
                "host=db user=alice password=s3cret",
                "postgres://USER@HOST/DATABASE",
            ),
            (
                "postgres://alice:s3cret@db/team?sslmode=sometimes",
                "sslmode",
            ),
            (
                "mysql://alice:s3cret@db/team",
                "postgres://USER@HOST/DATABASE",
            ),
            ("", "postgres://USER@HOST/DATABASE"),
        ] {
            let request = OpenTeamStore {
                url: url.into(),
                password: None,
            };
            let err = config.team_store_request(&request).unwrap_err();
            assert!(matches!(err, SettingsError::Invalid(_)), "{err:?}");
            let text = err.to_string();
            assert!(text.contains(expected), "{text:?} lacks {expected:?}");
            assert!(!text.contains("s3cret"), "{text:?}");
        }
        assert_eq!(config.team_store().unwrap(), None);
    }

    #[test]
    fn bad_settings_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let config = ConfigDir::new(dir.path());
        type Change = fn(&mut Settings);
        let cases: [(Change, &str); 10] = [
            (|s| s.port = 0, "port"),
            (|s| s.max_body_bytes = 10, "body size"),
            (|s| s.retention.keep_days = Some(0), "more than 0 days"),
            (
                |s| s.retention.keep_days = Some(40_000),
                "at most 36500 days",
            ),
            (|s| s.retention.max_db_mb = Some(0), "at least 1 MB"),
            (|s| s.endpoints.clear(), "at least one endpoint"),
            (
                |s| s.endpoints[0].path = Some("draft".into()),
                "must start with '/'",
            ),
            (
                |s| s.endpoints[0].id = "../../etc/passwd".into(),
                "not valid",
            ),
            (
                |s| {
                    let mut e = s.endpoints[0].clone();
                    e.id = String::new();
                    s.endpoints.push(e);
                },
                "configured twice",
            ),
            (|s| s.endpoints[0].new_secret = Some(String::new()), "empty"),
        ];
        for (change, expected) in cases {
            let mut settings = defaults();
            change(&mut settings);
            let err = config.save(settings).unwrap_err().to_string();
            assert!(err.contains(expected), "{err:?} lacks {expected:?}");
        }
    }
}
