//! The receiver's configuration model, the one both the CLI's flags and the desktop app's settings
//! file map onto: its endpoints (one per Watson environment, each with how its requests are checked
//! and where that check's secret comes from), its limits, retention, and their validation.
//!
//! Each side keeps its own surface (`logbook serve --endpoint /draft=header:FILE --keep-days 30`, the
//! settings file's JSON), maps it onto a [`Config`], and lets [`Config::validate`] and
//! [`EndpointConfig::resolve`] say what is wrong, in the same words.

use std::collections::HashSet;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::auth::{Auth, AuthError, Secret};
use crate::store::{self, StoreOptions};

/// The body size limit unless configured: real bodies reach several hundred KB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 10 * 1024 * 1024;
/// The default listen address: loopback, for a tunnel to forward to.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:7420";
/// The smallest body limit accepted: Watson's smallest events are a few hundred bytes.
pub const MIN_BODY_BYTES: u64 = 1024;
/// The most days events may be kept for when a bound is set (a century: "forever" is no bound).
pub const MAX_KEEP_DAYS: u32 = 36_500;
/// The smallest database size bound accepted: below it the schema and a few events do not fit.
pub const MIN_DB_MB: u64 = 1;
const SECONDS_PER_DAY: f64 = 86_400.0;
const BYTES_PER_MB: u64 = 1024 * 1024;

/// What is wrong with a configuration, in words for the person who wrote it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{0}")]
    Invalid(String),
    #[error("cannot read secret file {path}: {reason}")]
    ReadSecret { path: PathBuf, reason: String },
    #[error("secret file {path}: {source}")]
    BadSecretFile { path: PathBuf, source: AuthError },
    #[error("endpoint {endpoint}: {source}")]
    BadSecret { endpoint: String, source: AuthError },
    #[error("endpoint {endpoint} verifies with {mode} but has no secret")]
    MissingSecret { endpoint: String, mode: AuthMode },
}

fn invalid<T>(message: String) -> Result<T, ConfigError> {
    Err(ConfigError::Invalid(message))
}

/// How an endpoint checks the requests it receives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum AuthMode {
    /// Watson's signed JWT, verified with the secret (the default).
    #[default]
    Jwt,
    /// The whole `Authorization` header must equal the secret (a header set by hand in Watson).
    Header,
    /// Everything is accepted, marked unverified.
    None,
}

impl AuthMode {
    /// Every mode, in the order they are offered.
    pub const ALL: [AuthMode; 3] = [Self::Jwt, Self::Header, Self::None];

    /// The mode's name, as in JSON, on the command line and in stored events.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Jwt => "jwt",
            Self::Header => "header",
            Self::None => "none",
        }
    }

    /// One line on what the mode does, for help texts (`logbook serve --help`).
    pub fn help(self) -> &'static str {
        match self {
            Self::Jwt => "Verify Watson's HMAC-signed JWT with the secret",
            Self::Header => {
                "Compare the Authorization header with the secret (you set your own header in Watson)"
            }
            Self::None => "Accept everything, marked unverified",
        }
    }

    /// Whether the mode checks against a secret.
    pub fn needs_secret(self) -> bool {
        self != Self::None
    }

    /// The check this mode makes with `secret`; a mode that needs a secret refuses `None`.
    pub fn with_secret(self, secret: Option<Secret>) -> Result<Auth, Option<Secret>> {
        match (self, secret) {
            (Self::None, _) => Ok(Auth::None),
            (Self::Jwt, Some(secret)) => Ok(Auth::Jwt(secret)),
            (Self::Header, Some(secret)) => Ok(Auth::Header(secret)),
            (_, None) => Err(None),
        }
    }
}

impl fmt::Display for AuthMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AuthMode {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|mode| mode.as_str() == text)
            .ok_or_else(|| format!("unknown verification {text:?}: jwt, header or none"))
    }
}

/// Where an endpoint's secret comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// A file holding it; one trailing line break (as editors and `echo` leave) is not part of it.
    File(PathBuf),
    /// The text itself (`LOGBOOK_SECRET`, `--secret`), already checked.
    Given(Secret),
}

impl SecretSource {
    pub fn read(&self) -> Result<Secret, ConfigError> {
        match self {
            Self::Given(secret) => Ok(secret.clone()),
            Self::File(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| ConfigError::ReadSecret {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
                Secret::from_file_text(&text).map_err(|source| ConfigError::BadSecretFile {
                    path: path.clone(),
                    source,
                })
            }
        }
    }
}

/// One webhook URL path (or the catch-all) and how its requests are checked, before its secret is
/// read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointConfig {
    /// `None` accepts a POST on any path not claimed by another endpoint.
    pub path: Option<String>,
    pub mode: AuthMode,
    /// Where the secret comes from; `None` is only valid for [`AuthMode::None`].
    pub secret: Option<SecretSource>,
}

impl EndpointConfig {
    /// The name events are recorded under: the path, or `*` for the catch-all.
    pub fn name(&self) -> &str {
        self.path.as_deref().unwrap_or("*")
    }

    /// The endpoint as messages name it: its path, or `(any path)`.
    pub fn describe(&self) -> String {
        describe(self.path.as_deref())
    }

    /// Parses the CLI's `--endpoint` spec: `PATH=FILE` (JWT with the secret in FILE),
    /// `PATH=jwt:FILE`, `PATH=header:FILE` or `PATH=none`. The file is not read here.
    pub fn parse_spec(spec: &str) -> Result<Self, ConfigError> {
        let (path, how) = spec.split_once('=').ok_or_else(|| {
            ConfigError::Invalid(format!(
                "--endpoint {spec:?}: expected PATH=FILE, PATH=header:FILE or PATH=none"
            ))
        })?;
        let (mode, secret) = parse_auth_spec("--endpoint", spec, how)?;
        Ok(Self {
            path: Some(path.to_owned()),
            mode,
            secret,
        })
    }

    /// The endpoint the receiver checks requests with, its secret read.
    pub fn resolve(&self) -> Result<Endpoint, ConfigError> {
        let auth = read_auth(self.mode, self.secret.as_ref(), self.describe())?;
        Ok(Endpoint {
            path: self.path.clone(),
            auth,
        })
    }
}

/// What follows `=` in an `--endpoint` or `--forward` spec: `FILE` (JWT with the secret in FILE),
/// `jwt:FILE`, `header:FILE` or `none`. The file is not read here.
fn parse_auth_spec(
    flag: &str,
    spec: &str,
    how: &str,
) -> Result<(AuthMode, Option<SecretSource>), ConfigError> {
    let (mode, file) = match how.split_once(':') {
        _ if how == "none" => (AuthMode::None, None),
        Some(("header", file)) => (AuthMode::Header, Some(file)),
        Some(("jwt", file)) => (AuthMode::Jwt, Some(file)),
        _ => (AuthMode::Jwt, Some(how)),
    };
    if file == Some("") {
        return invalid(format!(
            "{flag} {spec:?}: the secret file is missing after '='"
        ));
    }
    Ok((mode, file.map(|f| SecretSource::File(PathBuf::from(f)))))
}

/// The secret `mode` needs, read from `source`; `None` for a mode without one. `what` names the
/// endpoint or downstream in the error when the secret is missing.
fn read_auth(
    mode: AuthMode,
    source: Option<&SecretSource>,
    what: String,
) -> Result<Auth, ConfigError> {
    let secret = match (source, mode.needs_secret()) {
        (Some(source), true) => Some(source.read()?),
        _ => None,
    };
    mode.with_secret(secret)
        .map_err(|_| ConfigError::MissingSecret {
            endpoint: what,
            mode,
        })
}

/// How each delivery to a downstream carries its `Authorization` header: the user chooses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum ForwardMode {
    /// A fresh HS256 JWT signed with the downstream's own secret, as Watson signs (the default).
    #[default]
    Jwt,
    /// The `Authorization` header Watson sent, passed on unchanged (kept with the outbox row only
    /// until it is delivered or given up).
    Passthrough,
    /// The secret's text as the whole `Authorization` value (a downstream that wants a fixed token).
    Header,
    /// No `Authorization` header.
    None,
}

impl ForwardMode {
    /// Every mode, in the order they are offered.
    pub const ALL: [ForwardMode; 4] = [Self::Jwt, Self::Passthrough, Self::Header, Self::None];

    /// The mode's name, as in JSON and on the command line (`URL=passthrough`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Jwt => "jwt",
            Self::Passthrough => "passthrough",
            Self::Header => "header",
            Self::None => "none",
        }
    }

    /// Whether the mode needs a secret of its own.
    pub fn needs_secret(self) -> bool {
        matches!(self, Self::Jwt | Self::Header)
    }
}

impl fmt::Display for ForwardMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The most deliveries under way at once to one downstream (`--forward-parallel`).
pub const MAX_FORWARD_PARALLEL: u32 = 64;

/// Header names a downstream's extra headers may not set: Logbook sets them (the auth choice sets
/// `Authorization`), or they describe the connection, not the event.
const RESERVED_HEADERS: &[&str] = &[
    "authorization",
    "content-type",
    "content-length",
    "transfer-encoding",
    "host",
    "connection",
    "te",
    "upgrade",
    "expect",
    "x-logbook-delivery",
    "x-logbook-event",
];

/// A downstream that every event accepted on an endpoint (or on every endpoint) is passed on to, as
/// Watson would deliver it, before its secret is read: `--forward [PATH@]URL=SPEC`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardConfig {
    /// Where each event is POSTed: an `http` or `https` URL, chosen by the user only.
    pub url: String,
    /// The endpoint (its path, or `*` for the catch-all) whose events go there; `None`: every
    /// endpoint's.
    pub endpoint: Option<String>,
    pub mode: ForwardMode,
    /// The secret of [`ForwardMode::Jwt`] and [`ForwardMode::Header`].
    pub secret: Option<SecretSource>,
    /// Extra headers sent with every delivery, as the user wrote them (never from a payload).
    pub headers: Vec<(String, String)>,
    /// Deliveries under way at once: 1 keeps arrival order (each event waits for the one before).
    pub parallel: u32,
}

impl ForwardConfig {
    /// A downstream of every endpoint's events, signed with a fresh JWT, in order, no extra headers.
    pub fn new(url: impl Into<String>, mode: ForwardMode, secret: Option<SecretSource>) -> Self {
        Self {
            url: url.into(),
            endpoint: None,
            mode,
            secret,
            headers: Vec::new(),
            parallel: 1,
        }
    }

    /// Parses `URL=FILE` (or `URL=jwt:FILE`), `URL=passthrough`, `URL=header:FILE`, `URL=none`,
    /// each optionally after `PATH@` (only that endpoint's events). The spec is split at its last
    /// `=`, so a URL may hold a query string.
    pub fn parse_spec(spec: &str) -> Result<Self, ConfigError> {
        let (target, how) = spec.rsplit_once('=').ok_or_else(|| {
            ConfigError::Invalid(format!(
                "--forward {spec:?}: expected URL=FILE, URL=passthrough, URL=header:FILE or URL=none, optionally after PATH@"
            ))
        })?;
        let (endpoint, url) = match target.split_once('@') {
            Some((path, url)) if path.starts_with('/') => (Some(path.to_owned()), url),
            _ => (None, target),
        };
        let (mode, secret) = if how == "passthrough" {
            (ForwardMode::Passthrough, None)
        } else {
            match parse_auth_spec("--forward", spec, how)? {
                (AuthMode::Jwt, secret) => (ForwardMode::Jwt, secret),
                (AuthMode::Header, secret) => (ForwardMode::Header, secret),
                (AuthMode::None, secret) => (ForwardMode::None, secret),
            }
        };
        let forward = Self {
            endpoint,
            ..Self::new(url, mode, secret)
        };
        forward.validate()?;
        Ok(forward)
    }

    /// The URL is `http://` or `https://` with a host, the endpoint path a valid one, each extra
    /// header valid and not one Logbook sets, and the parallel deliveries between 1 and
    /// [`MAX_FORWARD_PARALLEL`].
    pub fn validate(&self) -> Result<(), ConfigError> {
        let rest = self
            .url
            .strip_prefix("https://")
            .or_else(|| self.url.strip_prefix("http://"));
        let host = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or(""));
        if host.is_none_or(str::is_empty)
            || self
                .url
                .chars()
                .any(|c| c.is_whitespace() || c.is_control())
        {
            return invalid(format!(
                "forwarding URL {:?} must be http:// or https:// with a host, without spaces",
                self.url
            ));
        }
        if let Some(path) = self.endpoint.as_deref().filter(|p| *p != "*") {
            validate_path(path)?;
        }
        let mut names = HashSet::new();
        for (name, value) in &self.headers {
            validate_header(name, value).map_err(|reason| {
                ConfigError::Invalid(format!("forward {}: header {name:?}: {reason}", self.url))
            })?;
            if !names.insert(name.to_ascii_lowercase()) {
                return invalid(format!(
                    "forward {}: header {name:?} is given twice",
                    self.url
                ));
            }
        }
        if !(1..=MAX_FORWARD_PARALLEL).contains(&self.parallel) {
            return invalid(format!(
                "forward {}: parallel deliveries must be between 1 and {MAX_FORWARD_PARALLEL}",
                self.url
            ));
        }
        Ok(())
    }

    /// The downstream as deliveries record it, and as the user names it.
    pub fn target(&self) -> String {
        match &self.endpoint {
            Some(path) => format!("{path}@{}", self.url),
            None => self.url.clone(),
        }
    }

    /// The downstream with its secret read: what the forwarder runs with.
    pub fn resolve(&self) -> Result<Forward, ConfigError> {
        let what = format!("forward {}", self.url);
        let secret = match (&self.secret, self.mode.needs_secret()) {
            (Some(source), true) => Some(source.read()?),
            (None, true) => {
                return Err(ConfigError::MissingSecret {
                    endpoint: what,
                    mode: match self.mode {
                        ForwardMode::Header => AuthMode::Header,
                        _ => AuthMode::Jwt,
                    },
                });
            }
            _ => None,
        };
        let auth = match (self.mode, secret) {
            (ForwardMode::Jwt, Some(secret)) => ForwardAuth::Jwt(secret),
            (ForwardMode::Header, Some(secret)) => ForwardAuth::Header(secret),
            (ForwardMode::Passthrough, _) => ForwardAuth::Passthrough,
            _ => ForwardAuth::None,
        };
        Ok(Forward {
            target: self.target(),
            url: self.url.clone(),
            endpoint: self.endpoint.clone(),
            auth,
            headers: self.headers.clone(),
            parallel: self.parallel,
        })
    }
}

/// Parses an extra header as written on the command line: `Name: value`.
pub fn parse_header(text: &str) -> Result<(String, String), ConfigError> {
    let Some((name, value)) = text.split_once(':') else {
        return invalid(format!("header {text:?}: expected 'Name: value'"));
    };
    let (name, value) = (name.trim_end().to_owned(), value.trim().to_owned());
    validate_header(&name, &value)
        .map_err(|reason| ConfigError::Invalid(format!("header {name:?}: {reason}")))?;
    Ok((name, value))
}

/// An HTTP header name is a token (RFC 9110: letters, digits and ``!#$%&'*+-.^_`|~``), not one
/// Logbook sets itself; its value visible ASCII, spaces and tabs (no line breaks, no control
/// characters).
fn validate_header(name: &str, value: &str) -> Result<(), String> {
    let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if name.is_empty() || !name.chars().all(token) {
        return Err("not a valid header name (letters, digits and - only, say)".into());
    }
    if RESERVED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
        return Err(
            "Logbook sets this header itself (choose Authorization with the downstream's auth)"
                .into(),
        );
    }
    if !value
        .chars()
        .all(|c| c == ' ' || c == '\t' || c.is_ascii_graphic())
    {
        return Err("the value may hold visible ASCII, spaces and tabs only".into());
    }
    Ok(())
}

/// How much the outbox keeps for a downstream that does not take it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OutboxLimits {
    /// Undelivered events older than this many days are given up, each marked with why.
    pub max_age_days: f64,
    /// Beyond this many undelivered events per downstream, the oldest are given up.
    pub max_pending: u64,
}

/// Days an undelivered event waits in the outbox, unless configured otherwise.
pub const DEFAULT_OUTBOX_DAYS: f64 = 7.0;
/// Undelivered events per downstream, unless configured otherwise.
pub const DEFAULT_OUTBOX_PENDING: u64 = 100_000;

impl Default for OutboxLimits {
    fn default() -> Self {
        Self {
            max_age_days: DEFAULT_OUTBOX_DAYS,
            max_pending: DEFAULT_OUTBOX_PENDING,
        }
    }
}

impl OutboxLimits {
    pub fn max_age(&self) -> Duration {
        Duration::try_from_secs_f64(self.max_age_days * SECONDS_PER_DAY).unwrap_or(Duration::MAX)
    }
}

/// A downstream, secret in hand.
#[derive(Debug, Clone)]
pub struct Forward {
    /// Its name in the outbox ([`ForwardConfig::target`]).
    pub target: String,
    pub url: String,
    /// The endpoint whose events go there; `None`: every endpoint's.
    pub endpoint: Option<String>,
    pub auth: ForwardAuth,
    /// Extra headers, as configured.
    pub headers: Vec<(String, String)>,
    /// Deliveries under way at once; 1 keeps arrival order.
    pub parallel: u32,
}

/// How a delivery's `Authorization` header is made, secret in hand.
#[derive(Debug, Clone)]
pub enum ForwardAuth {
    /// A fresh HS256 JWT signed with this secret.
    Jwt(Secret),
    /// The header Watson sent, unchanged.
    Passthrough,
    /// This text as the whole header.
    Header(Secret),
    None,
}

impl ForwardAuth {
    pub fn mode(&self) -> ForwardMode {
        match self {
            Self::Jwt(_) => ForwardMode::Jwt,
            Self::Passthrough => ForwardMode::Passthrough,
            Self::Header(_) => ForwardMode::Header,
            Self::None => ForwardMode::None,
        }
    }
}

/// One webhook URL path and how its requests are checked, secret in hand: what the receiver runs
/// with. Each Watson environment (draft, live, …) has its own URL and secret.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// `None` accepts a POST on any path not claimed by another endpoint.
    pub path: Option<String>,
    pub auth: Auth,
}

impl Endpoint {
    /// The name events are recorded under: the path, or `*` for the catch-all.
    pub fn name(&self) -> &str {
        self.path.as_deref().unwrap_or("*")
    }
}

/// The receiver's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bodies larger than this are refused with 413.
    pub max_body_bytes: usize,
    /// The newest refused requests kept of each class.
    pub rejections_kept: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            rejections_kept: store::DEFAULT_REJECTIONS_KEPT,
        }
    }
}

/// What is deleted as new events arrive, in the units people set it in.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Retention {
    /// Delete events received more than this many days ago; `None` keeps them however old.
    pub keep_days: Option<f64>,
    /// Delete the oldest events while they take more than this many megabytes; `None` sets no bound.
    pub max_db_mb: Option<u64>,
}

impl Retention {
    /// As the store takes it: the one conversion of days to a duration and megabytes to bytes.
    pub fn to_store(&self) -> store::Retention {
        store::Retention {
            max_age: self
                .keep_days
                .and_then(|days| Duration::try_from_secs_f64(days * SECONDS_PER_DAY).ok()),
            max_bytes: self.max_db_mb.map(|mb| mb.saturating_mul(BYTES_PER_MB)),
        }
    }
}

/// The whole receiver configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `HOST:PORT` the webhook receiver listens on.
    pub listen: String,
    pub endpoints: Vec<EndpointConfig>,
    /// Downstreams every accepted event is passed on to, through the durable outbox.
    pub forwards: Vec<ForwardConfig>,
    pub outbox: OutboxLimits,
    pub limits: Limits,
    pub retention: Retention,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: DEFAULT_LISTEN.to_owned(),
            endpoints: Vec::new(),
            forwards: Vec::new(),
            outbox: OutboxLimits::default(),
            limits: Limits::default(),
            retention: Retention::default(),
        }
    }
}

impl Config {
    /// Checks everything but the secrets (read by [`Config::endpoints`]): the limits, retention, and
    /// that there is an endpoint, each with a valid path, none twice.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if (self.limits.max_body_bytes as u64) < MIN_BODY_BYTES {
            return invalid(format!(
                "the body size limit must be at least {MIN_BODY_BYTES} bytes"
            ));
        }
        match self.retention.keep_days {
            Some(days) if days.is_nan() || days <= 0.0 => {
                return invalid(
                    "events must be kept more than 0 days (or leave it empty: no limit)".into(),
                );
            }
            Some(days) if days > f64::from(MAX_KEEP_DAYS) => {
                return invalid(format!(
                    "events can be kept at most {MAX_KEEP_DAYS} days (or leave it empty: no limit)"
                ));
            }
            _ => {}
        }
        if self.retention.max_db_mb.is_some_and(|mb| mb < MIN_DB_MB) {
            return invalid(format!(
                "the database size limit must be at least {MIN_DB_MB} MB (or leave it empty: no limit)"
            ));
        }
        validate_endpoints(self.endpoints.iter().map(|e| e.path.as_deref()))?;
        if self.outbox.max_age_days.is_nan()
            || self.outbox.max_age_days <= 0.0
            || self.outbox.max_pending == 0
        {
            return invalid(
                "the outbox must keep undelivered events more than 0 days, and at least 1".into(),
            );
        }
        let mut targets = std::collections::HashSet::new();
        for forward in &self.forwards {
            forward.validate()?;
            if let Some(path) = &forward.endpoint
                && !self.endpoints.iter().any(|e| e.name() == path)
            {
                return invalid(format!(
                    "forward {}: there is no endpoint {path}",
                    forward.url
                ));
            }
            if !targets.insert(forward.target()) {
                return invalid(format!("forward {} is configured twice", forward.target()));
            }
        }
        Ok(())
    }

    /// Validates, then reads every downstream's secret.
    pub fn forwards(&self) -> Result<Vec<Forward>, ConfigError> {
        self.validate()?;
        self.forwards.iter().map(ForwardConfig::resolve).collect()
    }

    /// Validates, then reads every endpoint's secret.
    pub fn endpoints(&self) -> Result<Vec<Endpoint>, ConfigError> {
        self.validate()?;
        self.endpoints.iter().map(EndpointConfig::resolve).collect()
    }

    /// How the store is opened for this configuration.
    pub fn store_options(&self) -> StoreOptions {
        StoreOptions {
            rejections_kept: self.limits.rejections_kept,
            retention: self.retention.to_store(),
            forwards: self
                .forwards
                .iter()
                .map(|f| store::ForwardRoute {
                    target: f.target(),
                    endpoint: f.endpoint.clone(),
                    passthrough: f.mode == ForwardMode::Passthrough,
                })
                .collect(),
            ..StoreOptions::default()
        }
    }
}

/// Checks a list of endpoint paths (`None` for the catch-all): at least one, each starting with
/// `/` without spaces, `?` or `#`, none twice.
pub fn validate_endpoints<'a>(
    paths: impl IntoIterator<Item = Option<&'a str>>,
) -> Result<(), ConfigError> {
    let mut seen = HashSet::new();
    for path in paths {
        if let Some(path) = path {
            validate_path(path)?;
        }
        if !seen.insert(path) {
            return invalid(format!("endpoint {} is configured twice", describe(path)));
        }
    }
    if seen.is_empty() {
        return invalid("at least one endpoint is needed, or every request is refused".into());
    }
    Ok(())
}

/// An endpoint path: it starts with `/` and holds no white space, control characters, `?` or `#`.
pub fn validate_path(path: &str) -> Result<(), ConfigError> {
    if !path.starts_with('/') {
        return invalid(format!("endpoint path {path:?} must start with '/'"));
    }
    if path
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == '?' || c == '#')
    {
        return invalid(format!(
            "endpoint path {path:?} may not hold spaces, '?' or '#'"
        ));
    }
    Ok(())
}

fn describe(path: Option<&str>) -> String {
    path.unwrap_or("(any path)").to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str) -> Option<SecretSource> {
        Some(SecretSource::File(PathBuf::from(path)))
    }

    fn endpoint(path: Option<&str>, mode: AuthMode) -> EndpointConfig {
        EndpointConfig {
            path: path.map(str::to_owned),
            mode,
            secret: None,
        }
    }

    fn config(endpoints: Vec<EndpointConfig>) -> Config {
        Config {
            endpoints,
            ..Config::default()
        }
    }

    fn error(config: &Config) -> String {
        config.validate().unwrap_err().to_string()
    }

    #[test]
    fn endpoint_specs_parse_as_documented() {
        let cases = [
            (
                "/draft=/s/draft",
                Some("/draft"),
                AuthMode::Jwt,
                file("/s/draft"),
            ),
            (
                "/draft=jwt:/s/d",
                Some("/draft"),
                AuthMode::Jwt,
                file("/s/d"),
            ),
            (
                "/live=header:s.txt",
                Some("/live"),
                AuthMode::Header,
                file("s.txt"),
            ),
            ("/open=none", Some("/open"), AuthMode::None, None),
            // Only the first '=' splits: a file name may hold one, and a ':' that names no mode.
            ("/a=b=c", Some("/a"), AuthMode::Jwt, file("b=c")),
            ("/a=C:\\s", Some("/a"), AuthMode::Jwt, file("C:\\s")),
        ];
        for (spec, path, mode, secret) in cases {
            assert_eq!(
                EndpointConfig::parse_spec(spec).unwrap(),
                EndpointConfig {
                    path: path.map(str::to_owned),
                    mode,
                    secret
                },
                "{spec}"
            );
        }
    }

    #[test]
    fn forward_specs_parse_as_documented() {
        let f = ForwardConfig::parse_spec("https://logs.example.com/in?a=b&c=d=s.txt").unwrap();
        assert_eq!(f.url, "https://logs.example.com/in?a=b&c=d");
        assert_eq!(f.endpoint, None);
        assert_eq!(f.mode, ForwardMode::Jwt);
        assert_eq!(f.secret, Some(SecretSource::File("s.txt".into())));
        assert_eq!((f.parallel, f.headers.len()), (1, 0));
        assert_eq!(f.target(), "https://logs.example.com/in?a=b&c=d");
        let f = ForwardConfig::parse_spec("/live@http://127.0.0.1:9000/=header:h.txt").unwrap();
        assert_eq!(f.endpoint.as_deref(), Some("/live"));
        assert_eq!(f.url, "http://127.0.0.1:9000/");
        assert_eq!(f.mode, ForwardMode::Header);
        assert_eq!(f.target(), "/live@http://127.0.0.1:9000/");
        let f = ForwardConfig::parse_spec("https://x.example/in=passthrough").unwrap();
        assert_eq!((f.mode, f.secret), (ForwardMode::Passthrough, None));
        let f = ForwardConfig::parse_spec("https://user@example.com/x=none").unwrap();
        assert_eq!(
            (f.endpoint, f.url.as_str(), f.mode),
            (None, "https://user@example.com/x", ForwardMode::None)
        );
        for bad in [
            "https://x",
            "file:///etc/passwd=none",
            "https:///x=none",
            "https://ex ample/=none",
            "https://x/=",
        ] {
            assert!(ForwardConfig::parse_spec(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn extra_headers_are_checked_and_never_replace_logbooks_own() {
        assert_eq!(
            parse_header("X-Team:  a b\t").unwrap(),
            ("X-Team".to_owned(), "a b".to_owned())
        );
        assert_eq!(
            parse_header("X-Empty:").unwrap(),
            ("X-Empty".to_owned(), String::new())
        );
        for (bad, why) in [
            ("X-Team a", "expected 'Name: value'"),
            ("X Team: a", "not a valid header name"),
            (": a", "not a valid header name"),
            ("X-Team: a\r\nX-Evil: b", "visible ASCII"),
            ("X-Team: caf\u{e9}", "visible ASCII"),
            ("authorization: Bearer x", "Logbook sets this header"),
            ("X-Logbook-Delivery: 1", "Logbook sets this header"),
            ("Content-Type: text/plain", "Logbook sets this header"),
        ] {
            let err = parse_header(bad).unwrap_err().to_string();
            assert!(err.contains(why), "{bad:?}: {err}");
        }
        let mut f = ForwardConfig::new("https://x.example/", ForwardMode::None, None);
        f.headers = vec![("X-A".into(), "1".into()), ("x-a".into(), "2".into())];
        assert!(
            f.validate()
                .unwrap_err()
                .to_string()
                .contains("given twice")
        );
        f.headers = vec![("X-A".into(), "line\nbreak".into())];
        assert!(f.validate().is_err());
        f.headers.clear();
        for (parallel, ok) in [(0, false), (1, true), (64, true), (65, false)] {
            f.parallel = parallel;
            assert_eq!(f.validate().is_ok(), ok, "{parallel}");
        }
    }

    #[test]
    fn a_forward_names_an_endpoint_that_exists_the_catch_all_as_star() {
        let mut c = config(vec![
            endpoint(Some("/live"), AuthMode::None),
            endpoint(None, AuthMode::None),
        ]);
        for (path, ok) in [
            (Some("/live"), true),
            (Some("*"), true),
            (Some("/draft"), false),
            (None, true),
        ] {
            let mut f = ForwardConfig::new("https://x.example/", ForwardMode::None, None);
            f.endpoint = path.map(str::to_owned);
            c.forwards = vec![f];
            assert_eq!(c.validate().is_ok(), ok, "{path:?}");
        }
        assert_eq!(c.forwards[0].target(), "https://x.example/");
        let routes = c.store_options().forwards;
        assert!(!routes[0].passthrough);
    }

    #[test]
    fn bad_endpoint_specs_say_what_is_expected() {
        let err = EndpointConfig::parse_spec("/draft")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "--endpoint \"/draft\": expected PATH=FILE, PATH=header:FILE or PATH=none"
        );
        for spec in ["/draft=", "/draft=header:", "/draft=jwt:"] {
            let err = EndpointConfig::parse_spec(spec).unwrap_err().to_string();
            assert!(err.contains("the secret file is missing"), "{spec}: {err}");
        }
    }

    #[test]
    fn auth_modes_read_and_print_their_names() {
        for mode in AuthMode::ALL {
            assert_eq!(mode.as_str().parse::<AuthMode>(), Ok(mode));
            assert_eq!(mode.to_string(), mode.as_str());
            assert_eq!(
                serde_json::to_value(mode).unwrap(),
                serde_json::json!(mode.as_str())
            );
        }
        assert_eq!(AuthMode::default(), AuthMode::Jwt);
        let err = "JWT".parse::<AuthMode>().unwrap_err();
        assert_eq!(err, "unknown verification \"JWT\": jwt, header or none");
    }

    #[test]
    fn endpoints_are_validated_for_paths_and_duplicates() {
        let ok = config(vec![
            endpoint(Some("/draft"), AuthMode::Jwt),
            endpoint(Some("/live"), AuthMode::Header),
            endpoint(None, AuthMode::None),
        ]);
        assert_eq!(ok.validate(), Ok(()));
        let cases = [
            (vec![], "at least one endpoint is needed"),
            (
                vec![endpoint(Some("draft"), AuthMode::Jwt)],
                "endpoint path \"draft\" must start with '/'",
            ),
            (
                vec![endpoint(Some("/dr aft"), AuthMode::Jwt)],
                "may not hold spaces, '?' or '#'",
            ),
            (
                vec![endpoint(Some("/a?b"), AuthMode::Jwt)],
                "may not hold spaces",
            ),
            (
                vec![
                    endpoint(Some("/a"), AuthMode::Jwt),
                    endpoint(Some("/a"), AuthMode::None),
                ],
                "endpoint /a is configured twice",
            ),
            (
                vec![
                    endpoint(None, AuthMode::Jwt),
                    endpoint(None, AuthMode::None),
                ],
                "endpoint (any path) is configured twice",
            ),
        ];
        for (endpoints, expected) in cases {
            let err = error(&config(endpoints));
            assert!(err.contains(expected), "{err:?} lacks {expected:?}");
            assert_eq!(err, err.to_lowercase(), "messages are lowercase: {err}");
        }
    }

    #[test]
    fn limits_and_retention_are_bounded() {
        let base = config(vec![endpoint(None, AuthMode::None)]);
        type Change = fn(&mut Config);
        let cases: [(Change, &str); 6] = [
            (
                |c| c.limits.max_body_bytes = 10,
                "the body size limit must be at least 1024 bytes",
            ),
            (|c| c.retention.keep_days = Some(0.0), "more than 0 days"),
            (|c| c.retention.keep_days = Some(-1.0), "more than 0 days"),
            (
                |c| c.retention.keep_days = Some(f64::NAN),
                "more than 0 days",
            ),
            (
                |c| c.retention.keep_days = Some(40_000.0),
                "at most 36500 days",
            ),
            (|c| c.retention.max_db_mb = Some(0), "at least 1 MB"),
        ];
        for (change, expected) in cases {
            let mut c = base.clone();
            change(&mut c);
            let err = error(&c);
            assert!(err.contains(expected), "{err:?} lacks {expected:?}");
        }
        let mut fine = base.clone();
        fine.retention.keep_days = Some(0.5);
        fine.retention.max_db_mb = Some(1);
        fine.limits.max_body_bytes = 1024;
        assert_eq!(fine.validate(), Ok(()));
    }

    #[test]
    fn retention_becomes_an_age_and_a_byte_count_once() {
        let retention = Retention {
            keep_days: Some(30.0),
            max_db_mb: Some(500),
        };
        assert_eq!(
            retention.to_store(),
            store::Retention {
                max_age: Some(Duration::from_secs(30 * 86_400)),
                max_bytes: Some(500 * 1024 * 1024),
            }
        );
        let half = Retention {
            keep_days: Some(0.5),
            max_db_mb: Some(u64::MAX),
        };
        assert_eq!(
            half.to_store(),
            store::Retention {
                max_age: Some(Duration::from_secs(43_200)),
                max_bytes: Some(u64::MAX),
            }
        );
        assert!(!Retention::default().to_store().is_set());
        let options = Config {
            retention,
            limits: Limits {
                rejections_kept: 7,
                ..Limits::default()
            },
            ..Config::default()
        }
        .store_options();
        assert_eq!(options.rejections_kept, 7);
        assert_eq!(options.retention, retention.to_store());
    }

    #[test]
    fn resolving_reads_secrets_and_refuses_a_mode_without_one() {
        let dir = tempfile::tempdir().unwrap();
        let secret_file = dir.path().join("s");
        std::fs::write(&secret_file, "purple unicorn\n").unwrap();
        let spec = format!("/live=header:{}", secret_file.display());
        let resolved = EndpointConfig::parse_spec(&spec)
            .unwrap()
            .resolve()
            .unwrap();
        assert_eq!(resolved.name(), "/live");
        assert!(
            matches!(&resolved.auth, Auth::Header(s) if s.expose() == "purple unicorn"),
            "{resolved:?}"
        );

        let err = endpoint(Some("/draft"), AuthMode::Jwt)
            .resolve()
            .unwrap_err()
            .to_string();
        assert_eq!(err, "endpoint /draft verifies with jwt but has no secret");
        let err = endpoint(None, AuthMode::Header)
            .resolve()
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "endpoint (any path) verifies with header but has no secret"
        );
        assert!(matches!(
            endpoint(None, AuthMode::None).resolve().unwrap().auth,
            Auth::None
        ));

        let missing = EndpointConfig::parse_spec("/x=/no/such/file")
            .unwrap()
            .resolve()
            .unwrap_err()
            .to_string();
        assert!(
            missing.starts_with("cannot read secret file /no/such/file"),
            "{missing}"
        );
        let empty = dir.path().join("empty");
        std::fs::write(&empty, "\n").unwrap();
        let err = SecretSource::File(empty).read().unwrap_err().to_string();
        assert!(err.contains("the secret is empty"), "{err}");

        let given = Secret::new("abc").unwrap();
        let with_given = EndpointConfig {
            path: None,
            mode: AuthMode::Jwt,
            secret: Some(SecretSource::Given(given.clone())),
        };
        assert!(matches!(with_given.resolve().unwrap().auth, Auth::Jwt(s) if s == given));
        // A config reads its endpoints only once it is valid.
        let mut invalid = config(vec![with_given]);
        invalid.limits.max_body_bytes = 0;
        assert!(invalid.endpoints().is_err());
    }
}
