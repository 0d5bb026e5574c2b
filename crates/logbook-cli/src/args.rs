//! The command line: every subcommand's flags, and how `serve`'s map onto the core's configuration
//! model ([`logbook_core::config`]).

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand, ValueEnum};

use logbook_core::auth::Secret;
use logbook_core::config::{
    self, AuthMode, Config, EndpointConfig, ForwardConfig, Limits, OutboxLimits, Retention,
    SecretSource,
};
use logbook_core::export;
use logbook_core::store;

#[derive(Parser)]
#[command(
    name = "logbook",
    version,
    about = "Receive, verify, keep and explore Watson Assistant log webhook events"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the webhook receiver until Ctrl-C.
    Serve(ServeArgs),
    /// Sign bodies as Watson does and POST them to a receiver.
    Send(SendArgs),
    /// Load webhook bodies from files (one body, a JSON array, or NDJSON) without HTTP.
    Import(ImportArgs),
    /// Pull past conversation logs from Watson's v2 logs API, stored as if the webhook had
    /// delivered them (deduplicated against it by log_id); resumes an interrupted pull.
    Pull(PullArgs),
    /// Search events, messages, calls or conversations with the query language.
    Search(SearchArgs),
    /// Show one conversation, call or event whole.
    Show(ShowArgs),
    /// Send stored events again to a URL you choose (an event, or every match of a query), signed
    /// fresh, optionally edited first; each replay and its answer is kept.
    Replay(ReplayArgs),
    /// The structural JSON diff of two stored bodies (added, removed, changed, with paths).
    Diff(DiffArgs),
    /// Custom data injected into calls: the keys, one key's values, or the calls with KEY=VALUE.
    CustomData(CustomDataArgs),
    /// Write the rows of a query to a file or standard output (JSON, NDJSON or CSV).
    Export(ExportArgs),
    /// Counts of what the store holds.
    Stats(StatsArgs),
    /// Trends of a query over its time range: volumes, latency percentiles (exact nearest-rank),
    /// call outcomes, conversation shape, per hour or day, optionally beside an earlier period.
    Report(ReportArgs),
    /// Print again the browser UI's address (with its token) of the `logbook serve` running on the
    /// database.
    Url(UrlArgs),
    /// Derive every stored body again (messages, conversations, calls, the full-text index), as a
    /// new version of Logbook does by itself when it opens an older database.
    Reindex(ReindexArgs),
    /// Fill a database with realistic synthetic traffic (conversations and calls shaped like Watson's),
    /// or write it as NDJSON: for demos and benchmarks.
    Generate(GenerateArgs),
    /// Team mode on PostgreSQL: set up the database's roles.
    Team {
        #[command(subcommand)]
        what: TeamCommand,
    },
    /// Measure the receiver and the queries, printing `name: value` lines.
    Bench {
        #[command(subcommand)]
        what: BenchCommand,
    },
}

#[derive(Args)]
pub struct DbArg {
    /// The database file [default: the platform data directory's logbook.db, shared with the desktop app]
    #[arg(long, value_name = "PATH")]
    db: Option<PathBuf>,
}

impl DbArg {
    pub fn path(&self) -> PathBuf {
        self.db.clone().unwrap_or_else(store::default_db_path)
    }

    /// The file `--db` named, if it was given.
    pub fn given(&self) -> Option<&std::path::Path> {
        self.db.as_deref()
    }
}

/// Where a reading command reads: the SQLite file of `--db`, or a team's PostgreSQL store.
#[derive(Args)]
pub struct StoreArg {
    #[command(flatten)]
    pub db: DbArg,
    /// A team's PostgreSQL store instead of a SQLite file: postgres://USER:PASSWORD@HOST:PORT/DATABASE
    #[arg(
        long = "store",
        env = "LOGBOOK_STORE",
        value_name = "URL",
        hide_env_values = true
    )]
    pub url: Option<String>,
}

/// `--auth`: the core's [`AuthMode`], by its name, each offered with its help line.
fn auth_mode() -> impl TypedValueParser<Value = AuthMode> {
    PossibleValuesParser::new(
        AuthMode::ALL.map(|mode| PossibleValue::new(mode.as_str()).help(mode.help())),
    )
    .map(|name| name.parse::<AuthMode>().expect("a listed mode"))
}

#[derive(Args)]
pub struct SecretArgs {
    /// A file holding the webhook secret (one trailing newline is ignored).
    #[arg(long, value_name = "FILE")]
    secret_file: Option<PathBuf>,
    /// The webhook secret itself (prefer --secret-file or LOGBOOK_SECRET: arguments show up in `ps`).
    #[arg(
        long,
        env = "LOGBOOK_SECRET",
        hide_env_values = true,
        value_name = "TEXT"
    )]
    secret: Option<String>,
}

impl SecretArgs {
    /// Where the secret comes from: the file wins over the text.
    pub fn source(&self) -> Result<Option<SecretSource>> {
        if let Some(file) = &self.secret_file {
            return Ok(Some(SecretSource::File(file.clone())));
        }
        match &self.secret {
            Some(text) => Ok(Some(SecretSource::Given(
                Secret::new(text.clone()).context("LOGBOOK_SECRET / --secret")?,
            ))),
            None => Ok(None),
        }
    }

    /// The secret, read.
    pub fn read(&self) -> Result<Option<Secret>> {
        Ok(self.source()?.map(|s| s.read()).transpose()?)
    }
}

#[derive(Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub db: DbArg,
    /// Receive into a shared PostgreSQL database instead of the SQLite file (team mode, in
    /// progress: receiving and projecting, no UI yet):
    /// postgres://USER:PASSWORD@HOST:PORT/DATABASE, with ?sslmode=require for TLS. Several `serve`
    /// may share one database.
    #[arg(
        long,
        env = "LOGBOOK_STORE",
        value_name = "URL",
        hide_env_values = true
    )]
    pub store: Option<String>,
    /// The address the webhook receiver listens on; point the tunnel here.
    #[arg(long, default_value = config::DEFAULT_LISTEN, value_name = "HOST:PORT")]
    pub listen: String,
    /// How requests on the default endpoint are verified [default: jwt].
    #[arg(long, value_parser = auth_mode())]
    pub auth: Option<AuthMode>,
    #[command(flatten)]
    pub secret: SecretArgs,
    /// An endpoint of its own, one per Watson environment: PATH=FILE (JWT with the secret in FILE),
    /// PATH=header:FILE, PATH=jwt:FILE or PATH=none. Repeatable. With endpoints, other paths are
    /// refused unless a default secret (or --auth none) is also given.
    #[arg(long = "endpoint", value_name = "PATH=SPEC")]
    pub endpoints: Vec<String>,
    /// Pass every accepted event on to a downstream, as Watson delivers it, with an Authorization
    /// header that is: URL=FILE a fresh JWT signed with the downstream's own secret in FILE;
    /// URL=passthrough the header Watson sent, unchanged; URL=header:FILE FILE's text as the whole
    /// header; URL=none no header. PATH@URL=… forwards only that endpoint's events. Repeatable.
    /// Deliveries go from a durable outbox, retried until the downstream answers 2xx.
    #[arg(long = "forward", value_name = "[PATH@]URL=SPEC")]
    pub forwards: Vec<String>,
    /// An extra header on every delivery to a downstream (named as in --forward, without =SPEC):
    /// --forward-header https://logs.example.com/in 'X-Team: support'. Repeatable.
    #[arg(long = "forward-header", num_args = 2, value_names = ["[PATH@]URL", "NAME: VALUE"])]
    pub forward_headers: Vec<String>,
    /// Deliver up to N events at once to a downstream (named as in --forward, without =SPEC),
    /// giving up arrival order; by default each waits for the one before.
    #[arg(long = "forward-parallel", num_args = 2, value_names = ["[PATH@]URL", "N"])]
    pub forward_parallel: Vec<String>,
    /// Undelivered events older than this many days are given up (and marked so).
    #[arg(long, default_value_t = config::DEFAULT_OUTBOX_DAYS, value_name = "DAYS")]
    pub forward_max_age: f64,
    /// Beyond this many undelivered events per downstream, the oldest are given up.
    #[arg(long, default_value_t = config::DEFAULT_OUTBOX_PENDING, value_name = "N")]
    pub forward_max_pending: u64,
    /// Bodies larger than this are refused with 413.
    #[arg(long, default_value_t = config::DEFAULT_MAX_BODY_BYTES, value_name = "BYTES")]
    pub max_body_bytes: usize,
    /// How many refused requests to keep, the newest, of each class: those that carried a JWT
    /// (Watson with a wrong or old secret) and all others (each class also keeps to 8 MiB).
    #[arg(long, default_value_t = store::DEFAULT_REJECTIONS_KEPT, value_name = "N")]
    pub keep_rejections: u64,
    /// Delete events received more than this many days ago (in small steps, as new ones arrive);
    /// with --store, whole months are dropped once every event in them is that old.
    #[arg(long, value_name = "DAYS")]
    pub keep_days: Option<f64>,
    /// Delete the oldest events while they take more than this many megabytes (refused requests
    /// keep to their own 16 MiB budget on top, and never cost an event).
    #[arg(long, value_name = "MB")]
    pub max_db_mb: Option<u64>,
    /// Do not print a line per request.
    #[arg(long, short)]
    pub quiet: bool,
    /// Where the browser UI and its read API listen: loopback only, never the webhook port.
    #[arg(long, default_value = logbook_http::api::DEFAULT_UI_LISTEN, value_name = "HOST:PORT")]
    pub ui_listen: String,
    /// Do not start the browser UI (only receive).
    #[arg(long)]
    pub no_ui: bool,
}

/// The downstream a `--forward-…` flag names: by its `[PATH@]URL` as given to `--forward`, or by its
/// URL alone when only one downstream has it.
fn named_forward<'a>(
    forwards: &'a mut [ForwardConfig],
    flag: &str,
    name: &str,
) -> Result<&'a mut ForwardConfig> {
    let by_target = forwards.iter().position(|f| f.target() == name);
    let by_url: Vec<usize> = (0..forwards.len())
        .filter(|&i| forwards[i].url == name)
        .collect();
    match (by_target, by_url.as_slice()) {
        (Some(i), _) | (None, &[i]) => Ok(&mut forwards[i]),
        (None, []) => bail!("{flag} {name}: no --forward has that downstream"),
        (None, _) => bail!("{flag} {name}: several --forward have that URL; name one as PATH@URL"),
    }
}

impl ServeArgs {
    /// The flags as the core's configuration: each `--endpoint`, then the catch-all of `--auth` and
    /// the default secret (left out when endpoints are given without a default secret).
    pub fn config(&self) -> Result<Config> {
        let mut endpoints = self
            .endpoints
            .iter()
            .map(|spec| EndpointConfig::parse_spec(spec))
            .collect::<Result<Vec<_>, _>>()?;
        let secret = self.secret.source()?;
        let mode = self.auth.unwrap_or_default();
        match (mode, &secret) {
            (AuthMode::Header, None) => bail!(
                "--auth header needs the expected Authorization value: --secret-file, LOGBOOK_SECRET or --secret"
            ),
            (AuthMode::Jwt, None) if endpoints.is_empty() => bail!(
                "a webhook secret is needed to verify Watson's JWT: give --secret-file FILE or set LOGBOOK_SECRET \
                 (the same text as the Secret field of the log webhook in Watson), or use --auth none"
            ),
            // Only the endpoints given: other paths are refused.
            (AuthMode::Jwt, None) => {}
            _ => endpoints.push(EndpointConfig {
                path: None,
                mode,
                secret,
            }),
        }
        let mut forwards = self
            .forwards
            .iter()
            .map(|spec| ForwardConfig::parse_spec(spec))
            .collect::<Result<Vec<_>, _>>()?;
        for pair in self.forward_headers.chunks(2) {
            let header = config::parse_header(&pair[1])
                .with_context(|| format!("--forward-header {}", pair[0]))?;
            named_forward(&mut forwards, "--forward-header", &pair[0])?
                .headers
                .push(header);
        }
        for pair in self.forward_parallel.chunks(2) {
            let n: u32 = pair[1].parse().map_err(|_| {
                anyhow::anyhow!(
                    "--forward-parallel {} {:?}: expected a number of deliveries at once (1 to {})",
                    pair[0],
                    pair[1],
                    config::MAX_FORWARD_PARALLEL
                )
            })?;
            named_forward(&mut forwards, "--forward-parallel", &pair[0])?.parallel = n;
        }
        let config = Config {
            listen: self.listen.clone(),
            endpoints,
            forwards,
            outbox: OutboxLimits {
                max_age_days: self.forward_max_age,
                max_pending: self.forward_max_pending,
            },
            limits: Limits {
                max_body_bytes: self.max_body_bytes,
                rejections_kept: self.keep_rejections,
            },
            retention: Retention {
                keep_days: self.keep_days,
                max_db_mb: self.max_db_mb,
            },
        };
        config.validate()?;
        Ok(config)
    }
}

#[derive(Args)]
pub struct SendArgs {
    /// The receiver's URL, e.g. http://127.0.0.1:7420/draft
    #[arg(long, default_value = "http://127.0.0.1:7420/")]
    pub url: String,
    #[command(flatten)]
    pub secret: SecretArgs,
    /// Send this exact Authorization value instead of a JWT.
    #[arg(long, value_name = "VALUE", conflicts_with_all = ["secret_file", "secret", "no_auth"])]
    pub authorization: Option<String>,
    /// Send no Authorization header.
    #[arg(long)]
    pub no_auth: bool,
    /// Send N copies of every body, each with fresh ids (the first too), so that all N are stored
    /// even when the files were sent before. Without it, the files are sent as they are.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub repeat: usize,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 1, value_name = "C")]
    pub concurrency: usize,
    /// Write the answer to every request (status, body name, response) as NDJSON to this file.
    #[arg(long, value_name = "FILE")]
    pub log_answers: Option<PathBuf>,
    /// Body files, or directories of *.json files.
    #[arg(required = true, value_name = "FILE|DIR")]
    pub paths: Vec<PathBuf>,
}

#[derive(Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub db: DbArg,
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

#[derive(Args)]
#[command(group(clap::ArgGroup::new("credentials").required(true).args(["apikey_file", "bearer_file"])))]
#[command(group(clap::ArgGroup::new("range").args(["since", "after", "since_last"])))]
pub struct PullArgs {
    #[command(flatten)]
    pub db: DbArg,
    /// The instance's service URL, e.g.
    /// https://api.us-south.assistant.watson.cloud.ibm.com/instances/INSTANCE_ID (https only; http
    /// only on loopback).
    #[arg(long, value_name = "URL")]
    pub url: String,
    /// The id the v2 API calls assistant_id. In the new experience it is the ENVIRONMENT id (draft
    /// or live: Environments › the environment's settings › API details), not the assistant's.
    #[arg(long, value_name = "ID")]
    pub environment: String,
    /// A file holding an IBM Cloud API key, exchanged for an IAM access token (renewed before it
    /// expires).
    #[arg(long, value_name = "FILE")]
    pub apikey_file: Option<PathBuf>,
    /// A file holding a bearer token used as it is (Cloud Pak for Data, or a token made elsewhere).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["apikey_file", "iam_url"])]
    pub bearer_file: Option<PathBuf>,
    /// IAM's token endpoint, for the API key.
    #[arg(long, value_name = "URL", default_value = logbook_pull::IBM_IAM_URL)]
    pub iam_url: String,
    /// Logs from this long ago (30m, 12h, 7d, 4w) or this date/time (2026-03-10, 2026-03-10T15:00:00Z)
    /// [default: everything the API keeps: 30 days, 90 with data isolation, 7 on Lite].
    #[arg(long, value_name = "AGE|DATE")]
    pub since: Option<String>,
    /// Logs whose request time is at or after this date/time (or age).
    #[arg(long, value_name = "DATE")]
    pub after: Option<String>,
    /// Logs whose request time is before this date/time (or age).
    #[arg(long, value_name = "DATE", conflicts_with_all = ["since", "since_last"])]
    pub before: Option<String>,
    /// Pull again from where the last finished pull of this environment ended.
    #[arg(long)]
    pub since_last: bool,
    /// Passed to the API's own filter (IBM's filter syntax, e.g. `language::fr` or
    /// `request.input.text::"refund"`), ANDed with the time range.
    #[arg(long, value_name = "FILTER")]
    pub filter: Option<String>,
    /// Start afresh instead of resuming an interrupted pull of the same logs.
    #[arg(long)]
    pub restart: bool,
}

#[derive(Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub store: StoreArg,
    /// The query whose rows to export (the query language of `search`); empty exports everything.
    #[arg(default_value = "")]
    pub query: String,
    #[arg(long, default_value = "messages")]
    pub kind: export::Kind,
    /// [default: ndjson for raw, csv otherwise]
    #[arg(long)]
    pub format: Option<export::Format>,
    /// Write here instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// How results are printed.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Aligned columns for reading.
    Table,
    /// One JSON document (stable field names, for scripts).
    Json,
    /// One JSON object per line.
    Ndjson,
    /// Comma-separated values with a header.
    Csv,
}

impl OutputFormat {
    /// The export format of the same name; `None` for the table.
    pub fn rows(self) -> Option<export::Format> {
        match self {
            Self::Table => None,
            Self::Json => Some(export::Format::Json),
            Self::Ndjson => Some(export::Format::Ndjson),
            Self::Csv => Some(export::Format::Csv),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListKind {
    Events,
    Messages,
    Calls,
    Conversations,
}

#[derive(Args)]
pub struct SearchArgs {
    #[command(flatten)]
    pub store: StoreArg,
    /// e.g. `refund intent:pay_bill after:7d`, `end_reason:failed duration>60s`, `custom.account_verified:true`
    #[arg(default_value = "")]
    pub query: String,
    /// Which list to search.
    #[arg(long = "in", value_enum, default_value = "events")]
    pub list: ListKind,
    /// Rows per page (at most 1000).
    #[arg(long, default_value_t = logbook_core::query::search::DEFAULT_LIMIT)]
    pub limit: usize,
    /// Continue after this cursor (printed at the end of the previous page).
    #[arg(long)]
    pub cursor: Option<String>,
    /// Also print the facet counts of the whole filter.
    #[arg(long)]
    pub facets: bool,
    #[arg(long, value_enum, default_value = "table")]
    pub format: OutputFormat,
}

#[derive(Args)]
pub struct ShowArgs {
    #[command(flatten)]
    pub store: StoreArg,
    #[arg(value_enum)]
    pub what: ShowKind,
    /// A conversation's session_id, a call's global_session_id, an event's number (r<number> for a
    /// rejected request) or a message's log_id.
    pub id: String,
    #[arg(long, value_enum, default_value = "table")]
    pub format: OutputFormat,
}

/// Events replayed by a query unless `--limit` says otherwise.
pub const DEFAULT_REPLAY_LIMIT: usize = 10;

#[derive(Args)]
pub struct ReplayArgs {
    #[command(flatten)]
    pub db: DbArg,
    /// An event (its number, a message's log_id, a call's global_session_id) or a query in the
    /// search language (`kind:call end_reason:failed after:1d`): every event it matches, up to --limit.
    pub what: String,
    /// The URL to POST to (http:// or https://). Only ever the one given here.
    #[arg(long, value_name = "URL")]
    pub to: String,
    /// Sign a fresh JWT with the secret in FILE.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["endpoint_secret", "no_auth"])]
    pub secret_file: Option<PathBuf>,
    /// Sign each event with the secret of the endpoint it arrived on, given as for
    /// `serve --endpoint`: PATH=FILE, PATH=header:FILE, PATH=none (`*` for the catch-all).
    /// Repeatable.
    #[arg(long, value_name = "PATH=SPEC", conflicts_with = "no_auth")]
    pub endpoint_secret: Vec<String>,
    /// Send without an Authorization header.
    #[arg(long)]
    pub no_auth: bool,
    /// Change a value before sending: PATH=VALUE, VALUE as JSON if it parses, else as text
    /// (`--set payload.call.end_reason=failed`). The path must exist. Repeatable.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub sets: Vec<String>,
    /// Open the body in $EDITOR (then $VISUAL, then vi) before sending; one event only.
    #[arg(long)]
    pub edit: bool,
    /// The most events a query replays (newest first).
    #[arg(long, default_value_t = DEFAULT_REPLAY_LIMIT)]
    pub limit: usize,
    /// `table` or `json`.
    #[arg(long, value_enum, default_value = "table")]
    pub format: OutputFormat,
}

#[derive(Args)]
pub struct DiffArgs {
    #[command(flatten)]
    pub store: StoreArg,
    /// The left event (number, log_id or global_session_id).
    pub left: String,
    /// The right event.
    pub right: String,
    /// `table` or `json`.
    #[arg(long, value_enum, default_value = "table")]
    pub format: OutputFormat,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShowKind {
    Conversation,
    Call,
    Event,
}

#[derive(Args)]
pub struct CustomDataArgs {
    #[command(flatten)]
    pub store: StoreArg,
    /// A key: show its values (or, with VALUE, the calls carrying KEY=VALUE).
    pub key: Option<String>,
    pub value: Option<String>,
    #[arg(long, default_value_t = logbook_core::query::search::DEFAULT_LIMIT)]
    pub limit: usize,
    #[arg(long, value_enum, default_value = "table")]
    pub format: OutputFormat,
}

#[derive(Args)]
pub struct GenerateArgs {
    /// The SQLite file of `--db`, or a team's PostgreSQL store (`--store`), stored into through its
    /// own writer and projected by its own projector.
    #[command(flatten)]
    pub store: StoreArg,
    /// How many events (message turns and call records).
    #[arg(long, default_value_t = 10_000)]
    pub events: u64,
    /// The same seed gives the same bytes.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Days of traffic, ending now.
    #[arg(long, default_value_t = 7)]
    pub days: i64,
    /// Write NDJSON bodies here instead of filling the database.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Ingest throughput and acknowledgement latency, with the HTTP and SQLite limits it is made of.
    Ingest(logbook_devtools::bench::IngestBench),
    /// Search, open and export latencies over a million generated events, and database size.
    Query(logbook_devtools::bench::QueryBench),
    /// One export's throughput and peak memory (run by `bench query` in a process of its own).
    Export(logbook_devtools::bench::ExportBench),
    /// Derive every stored body of a database again: events/s and peak memory (run by `bench
    /// ingest` and `bench query` in a process of its own).
    Reindex(logbook_devtools::bench::ReindexBench),
    /// Cold start to the first list, and memory at rest, of `logbook serve` and the desktop app.
    Startup(logbook_devtools::bench::StartupBench),
}

#[derive(Subcommand)]
pub enum TeamCommand {
    /// Print (or with --apply, run) the GRANTs of least-privilege roles: a receiver's role that
    /// stores events without reading them back, a projector's role that derives them, a reader's
    /// role that can only read. The roles must
    /// exist (CREATE ROLE … LOGIN PASSWORD …, yours to run: no password passes through Logbook).
    Roles(RolesArgs),
}

#[derive(Args)]
pub struct RolesArgs {
    /// The PostgreSQL database, connected to as the owner of Logbook's tables (or a superuser):
    /// postgres://ADMIN:PASSWORD@HOST:PORT/DATABASE.
    #[arg(
        long,
        env = "LOGBOOK_STORE",
        value_name = "URL",
        hide_env_values = true
    )]
    pub store: String,
    /// The role the receivers (`logbook serve --store`) connect as.
    #[arg(long, value_name = "ROLE", required_unless_present_any = ["reader", "projector"])]
    pub receiver: Option<String>,
    /// The role people and the reading commands connect as.
    #[arg(long, value_name = "ROLE")]
    pub reader: Option<String>,
    /// The role of a `serve` that projects (reads the events, writes the derived tables); grant
    /// it the receiver's rights as well, since every `serve` also receives.
    #[arg(long, value_name = "ROLE")]
    pub projector: Option<String>,
    /// Run the GRANTs (creating or upgrading Logbook's tables first) instead of only printing them.
    #[arg(long)]
    pub apply: bool,
}

#[derive(Args)]
pub struct UrlArgs {
    #[command(flatten)]
    pub store: StoreArg,
}

#[derive(Args)]
pub struct ReindexArgs {
    #[command(flatten)]
    pub db: DbArg,
}

#[derive(Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub store: StoreArg,
    /// The query language of `search`; its `after:` / `before:` make the range, e.g.
    /// `after:7d`, `after:2026-03-01 before:2026-03-08 end_reason:failed` [default range: from the
    /// first matching row until now]
    #[arg(default_value = "")]
    pub query: String,
    /// The bucket size [default: by minute up to 3 hours, by hour up to 4 days, by day beyond]
    #[arg(long, value_enum)]
    pub by: Option<ReportBucket>,
    /// Also the same figures for an earlier period: `previous` (the same length just before), or
    /// the range moved back by an age like `24h`, `7d`, `4w`.
    #[arg(long, value_name = "previous|AGE")]
    pub compare: Option<String>,
    /// Break down the values of this `injected_custom_data` key, e.g. `call_reason`.
    #[arg(long, value_name = "KEY")]
    pub custom: Option<String>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: ReportFormat,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportBucket {
    Minute,
    Hour,
    Day,
}

/// How a report is printed.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Sections of aligned columns for reading.
    Table,
    /// One JSON document: every figure by name, and the percentile method.
    Json,
    /// One row per figure: period, bucket_start, measure, value.
    Csv,
}

#[derive(Args)]
pub struct StatsArgs {
    /// With `--store`, the team store's counts and how far its projector has got.
    #[command(flatten)]
    pub store: StoreArg,
    #[arg(long, value_enum, default_value = "table")]
    pub format: OutputFormat,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    fn serve(args: &[&str]) -> Result<Config> {
        let cli = Cli::try_parse_from(["logbook", "serve"].iter().chain(args))?;
        match cli.command {
            Command::Serve(serve) => serve.config(),
            _ => unreachable!(),
        }
    }

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn serve_flags_map_onto_the_config_model() {
        let config = serve(&[
            "--secret",
            "s3cret",
            "--endpoint",
            "/draft=/d",
            "--endpoint",
            "/live=header:/l",
            "--endpoint",
            "/open=none",
            "--keep-days",
            "1.5",
            "--max-db-mb",
            "20",
            "--keep-rejections",
            "9",
            "--max-body-bytes",
            "4096",
        ])
        .unwrap();
        let modes: Vec<(&str, AuthMode)> = config
            .endpoints
            .iter()
            .map(|e| (e.name(), e.mode))
            .collect();
        assert_eq!(
            modes,
            [
                ("/draft", AuthMode::Jwt),
                ("/live", AuthMode::Header),
                ("/open", AuthMode::None),
                ("*", AuthMode::Jwt),
            ]
        );
        assert!(matches!(
            &config.endpoints[3].secret,
            Some(SecretSource::Given(s)) if s.expose() == "s3cret"
        ));
        assert_eq!(
            config.limits,
            Limits {
                max_body_bytes: 4096,
                rejections_kept: 9
            }
        );
        assert_eq!(config.retention.keep_days, Some(1.5));
        assert_eq!(config.retention.max_db_mb, Some(20));
        assert_eq!(config.listen, config::DEFAULT_LISTEN);
    }

    #[test]
    fn the_default_endpoint_follows_auth_and_the_secret() {
        let none = serve(&["--auth", "none"]).unwrap();
        assert_eq!(none.endpoints.len(), 1);
        assert_eq!(none.endpoints[0].mode, AuthMode::None);
        // Endpoints without a default secret: no catch-all.
        let only = serve(&["--endpoint", "/a=none"]).unwrap();
        assert_eq!(only.endpoints.len(), 1);
        let header = serve(&["--auth", "header", "--secret", "x"]).unwrap();
        assert_eq!(header.endpoints[0].mode, AuthMode::Header);
        for (args, expected) in [
            (&[][..], "a webhook secret is needed"),
            (&["--auth", "header"][..], "--auth header needs"),
            (&["--endpoint", "/a"][..], "expected PATH=FILE"),
            (
                &["--endpoint", "/a=none", "--endpoint", "/a=none"][..],
                "endpoint /a is configured twice",
            ),
            (&["--endpoint", "a=none"][..], "must start with '/'"),
            (
                &["--auth", "none", "--keep-days", "0"][..],
                "more than 0 days",
            ),
        ] {
            let err = format!("{:#}", serve(args).unwrap_err());
            assert!(err.contains(expected), "{args:?}: {err}");
        }
        assert!(serve(&["--auth", "JWT"]).is_err());
    }
}
