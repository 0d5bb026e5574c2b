//! The `logbook` command: the receiver (`serve`), a signing client (`send`), `import`, `export` and
//! the benchmarks, over the core library.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};

use logbook_core::export;
use logbook_core::query::QueryError;
use logbook_core::query::conversation::{Change, OutputItem};
use logbook_core::query::search::{self, Search};
use logbook_http::ingest::{self, Auth, Endpoint, ReceiverConfig, Secret};
mod render;
use logbook_core::store::{self, Store, StoreOptions};
use logbook_devtools::send::{self, Signing};

#[derive(Parser)]
#[command(
    name = "logbook",
    version,
    about = "Receive, verify, keep and explore Watson Assistant log webhook events"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the webhook receiver until Ctrl-C.
    Serve(ServeArgs),
    /// Sign bodies as Watson does and POST them to a receiver.
    Send(SendArgs),
    /// Load webhook bodies from files (one body, a JSON array, or NDJSON) without HTTP.
    Import(ImportArgs),
    /// Search events, messages, calls or conversations with the query language.
    Search(SearchArgs),
    /// Show one conversation, call or event whole.
    Show(ShowArgs),
    /// Custom data injected into calls: the keys, one key's values, or the calls with KEY=VALUE.
    CustomData(CustomDataArgs),
    /// Write the rows of a query to a file or standard output (JSON, NDJSON or CSV).
    Export(ExportArgs),
    /// Counts of what the store holds.
    Stats(StatsArgs),
    /// Fill a database with realistic synthetic traffic (conversations and calls shaped like Watson's),
    /// or write it as NDJSON: for demos and benchmarks.
    Generate(GenerateArgs),
    /// Measure the receiver and the queries, printing `name: value` lines.
    Bench {
        #[command(subcommand)]
        what: BenchCommand,
    },
}

#[derive(Args)]
struct DbArg {
    /// The database file [default: the platform data directory's logbook.db, shared with the desktop app]
    #[arg(long, value_name = "PATH")]
    db: Option<PathBuf>,
}

impl DbArg {
    fn path(&self) -> PathBuf {
        self.db.clone().unwrap_or_else(store::default_db_path)
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum AuthMode {
    /// Verify Watson's HMAC-signed JWT with the secret.
    Jwt,
    /// Compare the Authorization header with the secret (you set your own header in Watson).
    Header,
    /// Accept everything, marked unverified.
    None,
}

#[derive(Args)]
struct SecretArgs {
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
    fn read(&self) -> Result<Option<Secret>> {
        if let Some(file) = &self.secret_file {
            return Ok(Some(read_secret_file(file)?));
        }
        match &self.secret {
            Some(text) => Ok(Some(
                Secret::new(text.clone()).context("LOGBOOK_SECRET / --secret")?,
            )),
            None => Ok(None),
        }
    }
}

fn read_secret_file(file: &PathBuf) -> Result<Secret> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read secret file {}", file.display()))?;
    Secret::from_file_text(&text).with_context(|| format!("secret file {}", file.display()))
}

#[derive(Args)]
struct ServeArgs {
    #[command(flatten)]
    db: DbArg,
    /// The address the webhook receiver listens on; point the tunnel here.
    #[arg(long, default_value = ingest::DEFAULT_LISTEN, value_name = "HOST:PORT")]
    listen: String,
    /// How requests on the default endpoint are verified [default: jwt].
    #[arg(long, value_enum)]
    auth: Option<AuthMode>,
    #[command(flatten)]
    secret: SecretArgs,
    /// An endpoint of its own, one per Watson environment: PATH=FILE (JWT with the secret in FILE),
    /// PATH=header:FILE, PATH=jwt:FILE or PATH=none. Repeatable. With endpoints, other paths are
    /// refused unless a default secret (or --auth none) is also given.
    #[arg(long = "endpoint", value_name = "PATH=SPEC")]
    endpoints: Vec<String>,
    /// Bodies larger than this are refused with 413.
    #[arg(long, default_value_t = ingest::DEFAULT_MAX_BODY_BYTES, value_name = "BYTES")]
    max_body_bytes: usize,
    /// How many refused requests to keep, the newest, of each class: those that carried a JWT
    /// (Watson with a wrong or old secret) and all others (each class also keeps to 8 MiB).
    #[arg(long, default_value_t = store::DEFAULT_REJECTIONS_KEPT, value_name = "N")]
    keep_rejections: u64,
    /// Delete events received more than this many days ago (in small steps, as new ones arrive).
    #[arg(long, value_name = "DAYS")]
    keep_days: Option<f64>,
    /// Delete the oldest events while they take more than this many megabytes (refused requests
    /// keep to their own 16 MiB budget on top, and never cost an event).
    #[arg(long, value_name = "MB")]
    max_db_mb: Option<u64>,
    /// Do not print a line per request.
    #[arg(long, short)]
    quiet: bool,
    /// Where the browser UI and its read API listen: loopback only, never the webhook port.
    #[arg(long, default_value = logbook_http::api::DEFAULT_UI_LISTEN, value_name = "HOST:PORT")]
    ui_listen: String,
    /// Do not start the browser UI (only receive).
    #[arg(long)]
    no_ui: bool,
}

#[derive(Args)]
struct SendArgs {
    /// The receiver's URL, e.g. http://127.0.0.1:7420/draft
    #[arg(long, default_value = "http://127.0.0.1:7420/")]
    url: String,
    #[command(flatten)]
    secret: SecretArgs,
    /// Send this exact Authorization value instead of a JWT.
    #[arg(long, value_name = "VALUE", conflicts_with_all = ["secret_file", "secret", "no_auth"])]
    authorization: Option<String>,
    /// Send no Authorization header.
    #[arg(long)]
    no_auth: bool,
    /// Send every body N times; copies after the first carry fresh ids.
    #[arg(long, default_value_t = 1, value_name = "N")]
    repeat: usize,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 1, value_name = "C")]
    concurrency: usize,
    /// Write the answer to every request (status, body name, response) as NDJSON to this file.
    #[arg(long, value_name = "FILE")]
    log_answers: Option<PathBuf>,
    /// Body files, or directories of *.json files.
    #[arg(required = true, value_name = "FILE|DIR")]
    paths: Vec<PathBuf>,
}

#[derive(Args)]
struct ImportArgs {
    #[command(flatten)]
    db: DbArg,
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
}

#[derive(Args)]
struct ExportArgs {
    #[command(flatten)]
    db: DbArg,
    /// The query whose rows to export (the query language of `search`); empty exports everything.
    #[arg(default_value = "")]
    query: String,
    #[arg(long, default_value = "messages")]
    kind: export::Kind,
    /// [default: ndjson for raw, csv otherwise]
    #[arg(long)]
    format: Option<export::Format>,
    /// Write here instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// How results are printed.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OutputFormat {
    /// Aligned columns for reading.
    Table,
    /// One JSON document (stable field names, for scripts).
    Json,
    /// One JSON object per line.
    Ndjson,
    /// Comma-separated values with a header.
    Csv,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ListKind {
    Events,
    Messages,
    Calls,
    Conversations,
}

#[derive(Args)]
struct SearchArgs {
    #[command(flatten)]
    db: DbArg,
    /// e.g. `refund intent:pay_bill after:7d`, `end_reason:failed duration>60s`, `custom.account_verified:true`
    #[arg(default_value = "")]
    query: String,
    /// Which list to search.
    #[arg(long = "in", value_enum, default_value = "events")]
    list: ListKind,
    /// Rows per page (at most 1000).
    #[arg(long, default_value_t = 50)]
    limit: usize,
    /// Continue after this cursor (printed at the end of the previous page).
    #[arg(long)]
    cursor: Option<String>,
    /// Also print the facet counts of the whole filter.
    #[arg(long)]
    facets: bool,
    #[arg(long, value_enum, default_value = "table")]
    format: OutputFormat,
}

#[derive(Args)]
struct ShowArgs {
    #[command(flatten)]
    db: DbArg,
    #[arg(value_enum)]
    what: ShowKind,
    /// A conversation's session_id, a call's global_session_id, an event's number (r<number> for a
    /// rejected request) or a message's log_id.
    id: String,
    #[arg(long, value_enum, default_value = "table")]
    format: OutputFormat,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ShowKind {
    Conversation,
    Call,
    Event,
}

#[derive(Args)]
struct CustomDataArgs {
    #[command(flatten)]
    db: DbArg,
    /// A key: show its values (or, with VALUE, the calls carrying KEY=VALUE).
    key: Option<String>,
    value: Option<String>,
    #[arg(long, default_value_t = 50)]
    limit: usize,
    #[arg(long, value_enum, default_value = "table")]
    format: OutputFormat,
}

#[derive(Args)]
struct GenerateArgs {
    #[command(flatten)]
    db: DbArg,
    /// How many events (message turns and call records).
    #[arg(long, default_value_t = 10_000)]
    events: u64,
    /// The same seed gives the same bytes.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Days of traffic, ending now.
    #[arg(long, default_value_t = 7)]
    days: i64,
    /// Write NDJSON bodies here instead of filling the database.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Ingest throughput and acknowledgement latency, with the HTTP and SQLite limits it is made of.
    Ingest(logbook_devtools::bench::IngestBench),
    /// Search, open and export latencies over a million generated events, and database size.
    Query(logbook_devtools::bench::QueryBench),
    /// One export's throughput and peak memory (run by `bench query` in a process of its own).
    Export(logbook_devtools::bench::ExportBench),
}

#[derive(Args)]
struct StatsArgs {
    #[command(flatten)]
    db: DbArg,
    #[arg(long, value_enum, default_value = "table")]
    format: OutputFormat,
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve(args),
        Command::Send(args) => send_cmd(args),
        Command::Import(args) => import(args),
        Command::Search(args) => search(args),
        Command::Show(args) => show(args),
        Command::CustomData(args) => custom_data(args),
        Command::Export(args) => export(args),
        Command::Stats(args) => stats(args),
        Command::Generate(args) => generate(args),
        Command::Bench {
            what: BenchCommand::Ingest(args),
        } => logbook_devtools::bench::ingest(&args),
        Command::Bench {
            what: BenchCommand::Query(args),
        } => logbook_devtools::bench::query(&args),
        Command::Bench {
            what: BenchCommand::Export(args),
        } => logbook_devtools::bench::export(&args),
    };
    if let Err(err) = result {
        if is_broken_pipe(&err) {
            std::process::exit(0);
        }
        eprintln!("error: {err:#}");
        std::process::exit(1);
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn endpoints(args: &ServeArgs) -> Result<Vec<Endpoint>> {
    let mut endpoints = Vec::new();
    for spec in &args.endpoints {
        let (path, how) = spec.split_once('=').with_context(|| {
            format!("--endpoint {spec:?}: expected PATH=FILE, PATH=header:FILE or PATH=none")
        })?;
        let auth = match how.split_once(':') {
            _ if how == "none" => Auth::None,
            Some(("header", file)) => Auth::Header(read_secret_file(&PathBuf::from(file))?),
            Some(("jwt", file)) => Auth::Jwt(read_secret_file(&PathBuf::from(file))?),
            _ => Auth::Jwt(read_secret_file(&PathBuf::from(how))?),
        };
        endpoints.push(Endpoint {
            path: Some(path.to_owned()),
            auth,
        });
    }
    let secret = args.secret.read()?;
    let default = match (args.auth, secret) {
        (Some(AuthMode::None), _) => Some(Auth::None),
        (Some(AuthMode::Header), Some(secret)) => Some(Auth::Header(secret)),
        (None | Some(AuthMode::Jwt), Some(secret)) => Some(Auth::Jwt(secret)),
        (Some(AuthMode::Header), None) => {
            bail!(
                "--auth header needs the expected Authorization value: --secret-file, LOGBOOK_SECRET or --secret"
            )
        }
        (_, None) if endpoints.is_empty() => bail!(
            "a webhook secret is needed to verify Watson's JWT: give --secret-file FILE or set LOGBOOK_SECRET \
             (the same text as the Secret field of the log webhook in Watson), or use --auth none"
        ),
        (_, None) => None,
    };
    endpoints.extend(default.map(|auth| Endpoint { path: None, auth }));
    Ok(endpoints)
}

fn serve(args: ServeArgs) -> Result<()> {
    let endpoints = endpoints(&args)?;
    let db = args.db.path();
    let store = Arc::new(
        Store::open(
            &db,
            StoreOptions {
                rejections_kept: args.keep_rejections,
                retention: store::Retention {
                    max_age: args
                        .keep_days
                        .map(|days| Duration::from_secs_f64(days.max(0.0) * 86_400.0)),
                    max_bytes: args.max_db_mb.map(|mb| mb * 1024 * 1024),
                },
                ..StoreOptions::default()
            },
        )
        .with_context(|| format!("cannot open the store at {}", db.display()))?,
    );
    let mut config = ReceiverConfig::new(args.listen.clone(), endpoints.clone());
    config.max_body_bytes = args.max_body_bytes;
    config.log_requests = !args.quiet;
    let receiver = ingest::Receiver::start(config, store.clone())?;
    let addr = receiver.local_addr();
    let local = format!("http://{addr}");
    let ui = if args.no_ui {
        None
    } else {
        let info = logbook_service::ReceiverInfo::new(&local, &endpoints, args.max_body_bytes);
        match logbook_http::api::UiServer::start(
            logbook_http::api::UiConfig::new(args.ui_listen.clone()),
            store.clone(),
            info,
        ) {
            Ok(ui) => Some(ui),
            Err(err) => {
                receiver.shutdown();
                if let Ok(store) = Arc::try_unwrap(store) {
                    let _ = store.close();
                }
                return Err(err).context("cannot start the UI (--no-ui receives without it)");
            }
        }
    };
    let (stop_tx, stop_rx) = std::sync::mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = stop_tx.send(());
    })
    .context("cannot install the Ctrl-C handler")?;

    println!("Assistant Logbook is receiving Watson Assistant log webhooks");
    println!("  database   {}", db.display());
    for e in &endpoints {
        let path = e.path.as_deref().unwrap_or("/ (any path)");
        println!(
            "  endpoint   POST {local}{path}  verification: {}",
            e.auth.mode()
        );
    }
    println!("  health     GET {local}/healthz");
    for e in &endpoints {
        if let Some(padding) = e.auth.secret().and_then(Secret::padding) {
            eprintln!(
                "warning: the secret of endpoint {} {padding}: Watson signs with the text typed into its \
                 Secret field, which almost never has it, so every request would be refused; remove it",
                e.name()
            );
        }
    }
    if !addr.ip().is_loopback() {
        eprintln!(
            "warning: listening on {addr}, not loopback: the webhook port is reachable from the network \
             without the tunnel; use --listen 127.0.0.1:{} unless that is what you want",
            addr.port()
        );
    }
    if let Some(ui) = &ui {
        println!("  open       {}", ui.url_with_token());
    }
    println!();
    println!("Watson only calls https URLs. Expose this port with a tunnel, for example:");
    println!("  cloudflared tunnel --url {local}");
    println!("  ngrok http {addr}");
    println!("then paste the tunnel's https URL (with the endpoint's path) into Watson Assistant:");
    println!(
        "  Environments > (environment) settings > Webhooks > Log webhook > URL, and the same Secret."
    );
    println!("Ctrl-C stops.");
    let _ = std::io::stdout().flush();

    let _ = stop_rx.recv();
    eprintln!("stopping: finishing requests in flight…");
    if let Some(ui) = ui {
        ui.shutdown();
    }
    receiver.shutdown();
    let store = Arc::try_unwrap(store).map_err(|_| anyhow::anyhow!("the store is still in use"))?;
    store.close().context("closing the store")?;
    eprintln!("stopped; database closed cleanly");
    Ok(())
}

fn send_cmd(args: SendArgs) -> Result<()> {
    let signing = if let Some(value) = args.authorization.clone() {
        Signing::Header(value)
    } else if args.no_auth {
        Signing::None
    } else {
        match args.secret.read()? {
            Some(secret) => Signing::Jwt(secret),
            None => bail!(
                "a secret is needed to sign the JWT: --secret-file FILE or LOGBOOK_SECRET (or --authorization / --no-auth)"
            ),
        }
    };
    let bodies = send::load_bodies(&args.paths)?;
    let total = bodies.len() * args.repeat;
    let per_request = total <= 100;
    let log = match &args.log_answers {
        Some(path) => Some(std::sync::Mutex::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?,
        ))),
        None => None,
    };
    let bar = (!per_request).then(|| progress_bar(total as u64, "requests"));
    let started = std::time::Instant::now();
    let results = send::send_all(
        &args.url,
        &signing,
        &bodies,
        args.repeat,
        args.concurrency,
        &|sent| {
            if per_request {
                let status = sent.status.map_or("---".to_owned(), |s| s.to_string());
                println!("{status}  {}  {}", sent.name, sent.answer.trim());
            }
            if let Some(bar) = &bar {
                bar.inc(1);
            }
            if let Some(log) = &log {
                let line = serde_json::json!({"name": sent.name, "status": sent.status, "answer": sent.answer.trim()});
                let _ = writeln!(log.lock().expect("log lock"), "{line}");
            }
        },
    );
    let elapsed = started.elapsed();
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    if let Some(log) = log {
        log.into_inner().expect("log lock").flush()?;
    }
    let failed = results.iter().filter(|r| !r.ok()).count();
    if !per_request {
        let mut latencies: Vec<Duration> = results.iter().map(|r| r.latency).collect();
        let mut by_status = std::collections::BTreeMap::new();
        for r in &results {
            *by_status
                .entry(r.status.map_or("no answer".to_owned(), |s| s.to_string()))
                .or_insert(0) += 1;
        }
        for (status, n) in &by_status {
            println!("status {status}: {n}");
        }
        println!("requests: {}", results.len());
        println!(
            "requests_per_s: {:.0}",
            results.len() as f64 / elapsed.as_secs_f64()
        );
        println!(
            "latency_p50_ms: {:.2}",
            send::percentile_ms(&mut latencies, 50.0)
        );
        println!(
            "latency_p99_ms: {:.2}",
            send::percentile_ms(&mut latencies, 99.0)
        );
        if let Some(r) = results.iter().find(|r| !r.ok()) {
            println!("first failure: {} {}", r.name, r.answer.trim());
        }
    }
    if failed > 0 {
        bail!("{failed} of {} requests were not accepted", results.len());
    }
    Ok(())
}

fn import(args: ImportArgs) -> Result<()> {
    let db = args.db.path();
    let store = Store::open(&db, StoreOptions::default())
        .with_context(|| format!("cannot open the store at {}", db.display()))?;
    let total: u64 = args
        .files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let bar = progress_bar(total, "bytes");
    let report = logbook_core::import::import_files(&store, &args.files, &|n| bar.set_position(n))?;
    bar.finish_and_clear();
    store.close()?;
    for skipped in &report.skipped {
        eprintln!("skipped {skipped}");
    }
    println!(
        "imported {} events ({} duplicates, {} skipped) into {}",
        report.stored,
        report.duplicates,
        report.skipped.len(),
        db.display()
    );
    Ok(())
}

fn reader(db: &DbArg) -> Result<rusqlite::Connection> {
    let path = db.path();
    if !path.exists() {
        bail!(
            "no database at {} (give --db, or receive some events first)",
            path.display()
        );
    }
    Ok(store::open_reader(&path)?)
}

fn export(args: ExportArgs) -> Result<()> {
    let conn = reader(&args.db)?;
    let format = args.format.unwrap_or(match args.kind {
        export::Kind::Raw => export::Format::Ndjson,
        _ => export::Format::Csv,
    });
    let bar =
        indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {pos} rows {elapsed} {per_sec}")
            .expect("valid template"),
    );
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let rows = export::export(&conn, args.kind, &args.query, format, &mut out, &|n| {
        bar.set_position(n)
    })
    .map_err(|e| query_error(e, &args.query))?;
    bar.finish_and_clear();
    eprintln!("exported {rows} rows");
    Ok(())
}

/// A parse error shows the query with a caret under the bad part.
fn query_error(err: impl Into<anyhow::Error>, query: &str) -> anyhow::Error {
    let err = err.into();
    let parse = err
        .downcast_ref::<logbook_core::query::parse::ParseError>()
        .or_else(|| match err.downcast_ref::<QueryError>() {
            Some(QueryError::Parse(p)) => Some(p),
            _ => None,
        })
        .or_else(|| match err.downcast_ref::<export::ExportError>() {
            Some(export::ExportError::Parse(p))
            | Some(export::ExportError::Query(QueryError::Parse(p))) => Some(p),
            _ => None,
        });
    match parse {
        Some(p) => anyhow::anyhow!("bad query:\n{}", p.render(query)),
        None => err,
    }
}

/// Prints rows in the chosen format; `table` uses the given columns.
fn print_rows<T: serde::Serialize>(
    format: OutputFormat,
    rows: &[T],
    header: &[&str],
    cells: impl Fn(&T) -> Vec<String>,
) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match format {
        OutputFormat::Table => {
            let body: Vec<Vec<String>> = rows.iter().map(cells).collect();
            out.write_all(render::table(header, &body, 80).as_bytes())?;
        }
        OutputFormat::Json => {
            serde_json::to_writer_pretty(&mut out, rows)?;
            writeln!(out)?;
        }
        OutputFormat::Ndjson => {
            for row in rows {
                serde_json::to_writer(&mut out, row)?;
                writeln!(out)?;
            }
        }
        OutputFormat::Csv => {
            let values: Vec<serde_json::Value> = rows
                .iter()
                .map(serde_json::to_value)
                .collect::<Result<_, _>>()?;
            let columns: Vec<String> = match values.first() {
                Some(v) => export::flatten(v).into_iter().map(|(k, _)| k).collect(),
                None => Vec::new(),
            };
            let mut w = csv::Writer::from_writer(&mut out);
            w.write_record(&columns)?;
            for v in &values {
                let flat: std::collections::HashMap<String, serde_json::Value> =
                    export::flatten(v).into_iter().collect();
                w.write_record(
                    columns
                        .iter()
                        .map(|c| flat.get(c).map(export::cell).unwrap_or_default()),
                )?;
            }
            w.flush()?;
        }
    }
    Ok(())
}

fn print_json<T: serde::Serialize>(value: &T) -> Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}

fn search(args: SearchArgs) -> Result<()> {
    let conn = reader(&args.db)?;
    let request = Search {
        query: args.query.clone(),
        cursor: args.cursor.clone(),
        limit: args.limit,
        facets: args.facets,
    };
    let fail = |e: QueryError| query_error(e, &args.query);
    let (next, facets) = match args.list {
        ListKind::Events => {
            let page = search::events(&conn, &request).map_err(fail)?;
            print_rows(
                args.format,
                &page.items,
                &["id", "received", "status", "kind", "endpoint", "summary"],
                |r| {
                    let id = if r.source == "rejected" {
                        format!("r{}", r.id)
                    } else {
                        r.id.to_string()
                    };
                    vec![
                        id,
                        render::time_ms(r.received_at),
                        r.status.to_string(),
                        r.kind.clone(),
                        opt(&r.endpoint),
                        r.summary.clone(),
                    ]
                },
            )?;
            (page.next_cursor, page.facets)
        }
        ListKind::Messages => {
            let page = search::messages(&conn, &request, false).map_err(fail)?;
            print_rows(
                args.format,
                &page.items,
                &["event", "time", "session", "turn", "user", "assistant"],
                |m| {
                    vec![
                        m.event_id.to_string(),
                        opt(&m.request_ts),
                        render::clip(&opt(&m.session_id), 13),
                        opt(&m.turn_count),
                        opt(&m.user_text),
                        m.assistant_text
                            .as_deref()
                            .and_then(|t| t.lines().next())
                            .unwrap_or_default()
                            .to_owned(),
                    ]
                },
            )?;
            (page.next_cursor, page.facets)
        }
        ListKind::Calls => {
            let page = search::calls(&conn, &request, false).map_err(fail)?;
            print_rows(
                args.format,
                &page.items,
                &[
                    "call",
                    "start",
                    "caller",
                    "duration",
                    "end",
                    "failed",
                    "transfer",
                    "max WA/TTS/STT ms",
                    "warnings",
                    "custom",
                ],
                |c| {
                    vec![
                        opt(&c.global_session_id),
                        opt(&c.start_ts),
                        opt(&c.caller),
                        render::duration_ms(c.duration_ms),
                        opt(&c.end_reason),
                        opt(&c.failure_occurred),
                        opt(&c.transfer_occurred),
                        format!(
                            "{}/{}/{}",
                            opt(&c.max_assistant_ms),
                            opt(&c.max_tts_ms),
                            opt(&c.max_stt_ms)
                        ),
                        c.warning_count.to_string(),
                        c.custom_data
                            .iter()
                            .map(|(k, v)| format!("{k}={v}"))
                            .collect::<Vec<_>>()
                            .join(" "),
                    ]
                },
            )?;
            (page.next_cursor, page.facets)
        }
        ListKind::Conversations => {
            let page = search::conversations(&conn, &request).map_err(fail)?;
            print_rows(
                args.format,
                &page.items,
                &["session", "last", "turns", "channel", "user", "first text"],
                |c| {
                    vec![
                        c.session_id.clone(),
                        c.last_at.map(render::time_ms).unwrap_or_default(),
                        c.turns.to_string(),
                        opt(&c.channel),
                        opt(&c.user_id),
                        opt(&c.first_text),
                    ]
                },
            )?;
            (page.next_cursor, page.facets)
        }
    };
    if args.format == OutputFormat::Table {
        for f in &facets {
            let values: Vec<String> = f
                .values
                .iter()
                .map(|v| format!("{}={}", v.value, v.count))
                .collect();
            let note = if f.timed_out { " (timed out)" } else { "" };
            eprintln!("facet {}{note}: {}", f.name, values.join("  "));
        }
        if let Some(next) = &next {
            eprintln!("more: --cursor {next}");
        }
    } else if args.facets {
        eprintln!("{}", serde_json::to_string(&facets)?);
    }
    Ok(())
}

fn generate(args: GenerateArgs) -> Result<()> {
    use logbook_devtools::generate::{GenerateOptions, Generator};
    let span = chrono::Duration::days(args.days.max(1));
    let options = GenerateOptions {
        seed: args.seed,
        start: chrono::Utc::now() - span,
        span,
    };
    let bodies = Generator::with_event_count(options, args.events).take(args.events as usize);
    let bar = progress_bar(args.events, "events");
    if let Some(path) = &args.output {
        let mut out = std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?,
        );
        for (i, body) in bodies.enumerate() {
            out.write_all(&body)?;
            out.write_all(b"\n")?;
            if i % 1024 == 0 {
                bar.set_position(i as u64);
            }
        }
        out.flush()?;
        bar.finish_and_clear();
        println!("wrote {} events to {}", args.events, path.display());
        return Ok(());
    }
    let db = args.db.path();
    let store = Store::open(&db, StoreOptions::default())
        .with_context(|| format!("cannot open the store at {}", db.display()))?;
    let started = std::time::Instant::now();
    let report =
        logbook_core::import::import_bodies(&store, "generated", bodies, &|n| bar.set_position(n))?;
    bar.finish_and_clear();
    store.close()?;
    println!(
        "generated {} events into {} in {:.1} s",
        report.stored,
        db.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn stats(args: StatsArgs) -> Result<()> {
    let conn = reader(&args.db)?;
    let s = logbook_core::query::event::stats(&conn)?;
    if args.format == OutputFormat::Table {
        let rows = [
            ("events", s.events.to_string()),
            ("messages", s.messages.to_string()),
            ("conversations", s.conversations.to_string()),
            ("calls", s.calls.to_string()),
            ("rejected requests kept", s.rejections_kept.to_string()),
            (
                "accepted (all time, with duplicates)",
                s.accepted_total.to_string(),
            ),
            ("duplicates (all time)", s.duplicates_total.to_string()),
            ("rejected (all time)", s.rejected_total.to_string()),
            (
                "first received",
                s.first_received_at.map(render::time_ms).unwrap_or_default(),
            ),
            (
                "last received",
                s.last_received_at.map(render::time_ms).unwrap_or_default(),
            ),
            ("database bytes", s.database_bytes.to_string()),
        ];
        for (name, value) in rows {
            println!("{name:<38}{value}");
        }
        Ok(())
    } else {
        print_json(&s)
    }
}

fn show(args: ShowArgs) -> Result<()> {
    let conn = reader(&args.db)?;
    match args.what {
        ShowKind::Event => {
            let e = logbook_core::query::event::event(&conn, &args.id)?;
            if args.format != OutputFormat::Table {
                return print_json(&e);
            }
            println!(
                "{} #{}  {}  {} {}  status {}",
                e.source,
                e.id,
                render::time_ms(e.received_at),
                e.method,
                render::one_line(&e.path),
                e.status
            );
            if let Some(reason) = &e.reason {
                println!("reason: {}", render::one_line(reason));
            }
            println!(
                "kind: {}  endpoint: {}  auth: {}  verified: {}",
                e.kind,
                opt(&e.endpoint),
                opt(&e.auth),
                e.verified
            );
            println!("headers:");
            for (name, value) in &e.headers {
                println!("  {}: {}", render::one_line(name), render::one_line(value));
            }
            if let Some(h) = &e.jwt_header {
                println!("jwt header: {}", render::one_line(&h.to_string()));
            }
            if let Some(c) = &e.jwt_claims {
                println!("jwt claims: {}", render::one_line(&c.to_string()));
            }
            println!(
                "body ({} bytes{}):",
                e.body_bytes,
                if e.body_truncated { ", truncated" } else { "" }
            );
            match &e.body {
                Some(body) => println!(
                    "{}",
                    render::safe_text(&serde_json::to_string_pretty(body)?)
                ),
                None => println!("{}", render::safe_text(&e.body_text)),
            }
            Ok(())
        }
        ShowKind::Conversation => show_conversation(&conn, &args.id, args.format),
        ShowKind::Call => show_call(&conn, &args.id, args.format),
    }
}

/// A progress bar on standard error, hidden when it is not a terminal.
fn progress_bar(total: u64, unit: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(total),
        indicatif::ProgressDrawTarget::stderr(),
    );
    bar.set_style(
        indicatif::ProgressStyle::with_template(&format!(
            "{{bar:40}} {{pos}}/{{len}} {unit} {{elapsed}}"
        ))
        .expect("valid template"),
    );
    bar
}

/// One line for an assistant response item in a terminal transcript.
fn output_line(item: &OutputItem) -> String {
    let labels = |choices: &[logbook_core::query::conversation::Choice]| {
        choices
            .iter()
            .map(|c| c.label.clone().unwrap_or_default())
            .collect::<Vec<_>>()
            .join(" | ")
    };
    match item {
        OutputItem::Text { text, .. } => opt(text),
        OutputItem::Option { title, options, .. } => {
            format!("[options] {} [{}]", opt(title), labels(options))
        }
        OutputItem::Suggestion {
            title, suggestions, ..
        } => {
            format!("[suggestions] {} [{}]", opt(title), labels(suggestions))
        }
        OutputItem::Image { source, title, .. }
        | OutputItem::Video { source, title, .. }
        | OutputItem::Audio { source, title, .. }
        | OutputItem::Iframe { source, title, .. } => {
            let kind = serde_json::to_value(item)
                .ok()
                .and_then(|v| v["type"].as_str().map(str::to_owned));
            format!(
                "[{}] {} <{}>",
                kind.unwrap_or_default(),
                opt(title),
                opt(source)
            )
        }
        OutputItem::Pause {
            time_ms, typing, ..
        } => {
            format!(
                "[pause {}{}]",
                render::duration_ms(*time_ms),
                if *typing == Some(true) {
                    ", typing"
                } else {
                    ""
                }
            )
        }
        OutputItem::ConversationalSearch {
            text, citations, ..
        } => {
            let cited: Vec<String> = citations.iter().map(|c| opt(&c.title)).collect();
            format!(
                "[conversational search] {} (citations: {})",
                opt(text),
                cited.join("; ")
            )
        }
        OutputItem::Search {
            header, results, ..
        } => {
            format!("[search] {} ({} results)", opt(header), results.len())
        }
        OutputItem::ConnectToAgent {
            message_to_human_agent,
            target_kind,
            sip_uri,
            ..
        } => format!(
            "[connect to agent] {} → {}",
            opt(message_to_human_agent),
            sip_uri
                .clone()
                .or_else(|| target_kind.clone())
                .unwrap_or_else(|| "agent".into())
        ),
        OutputItem::EndSession { .. } => "[end session: hang up]".into(),
        other => {
            let mut value = serde_json::to_value(other).unwrap_or_default();
            let kind = value["type"].as_str().unwrap_or("other").to_owned();
            if let Some(map) = value.as_object_mut() {
                map.remove("type");
                map.remove("channels");
            }
            format!("[{kind}] {value}")
        }
    }
}

fn show_conversation(conn: &rusqlite::Connection, id: &str, format: OutputFormat) -> Result<()> {
    let c = logbook_core::query::conversation::conversation(conn, id)?;
    if format != OutputFormat::Table {
        return print_json(&c);
    }
    println!(
        "conversation {}  {} turns  channel {}  user {}",
        c.session_id,
        c.turns.len(),
        opt(&c.channel),
        render::one_line(&opt(&c.user_id))
    );
    for call in &c.calls {
        println!(
            "  call {}  {}  {}  {}  (logbook show call {})",
            opt(&call.global_session_id),
            opt(&call.start_ts),
            render::duration_ms(call.duration_ms),
            opt(&call.end_reason),
            opt(&call.global_session_id)
        );
    }
    for t in &c.turns {
        println!();
        println!(
            "#{} {}  ({} ms, event {}, log {})",
            opt(&t.turn_count),
            opt(&t.request_ts),
            opt(&t.latency_ms),
            t.event_id,
            opt(&t.log_id)
        );
        let confidence = t
            .input
            .stt_confidence
            .map(|c| format!(" (STT {c:.2})"))
            .unwrap_or_default();
        println!(
            "  user [{}]{confidence}: {}",
            t.input.kind,
            render::one_line(&opt(&t.input.text))
        );
        for item in &t.outputs {
            println!("  assistant: {}", render::one_line(&output_line(item)));
        }
        if !t.intents.is_empty() {
            let intents: Vec<String> = t
                .intents
                .iter()
                .map(|i| format!("{} {}", i.name, opt(&i.confidence)))
                .collect();
            println!("  intents: {}", render::one_line(&intents.join(", ")));
        }
        if !t.entities.is_empty() {
            let entities: Vec<String> = t
                .entities
                .iter()
                .map(|e| format!("@{}={}", e.entity, opt(&e.value)))
                .collect();
            println!("  entities: {}", render::one_line(&entities.join(", ")));
        }
        let visited: Vec<String> = t
            .visited
            .iter()
            .map(|v| format!("{} {}", v.kind, v.name))
            .collect();
        if !visited.is_empty() {
            println!("  visited: {}", render::one_line(&visited.join(" → ")));
        }
        for var in t.context.iter().filter(|v| v.change != Change::Unchanged) {
            println!(
                "  {:?} {}.{} = {}",
                var.change,
                render::one_line(&var.scope),
                render::one_line(&var.name),
                render::one_line(&var.value.to_string())
            );
        }
        if let Some(link) = &t.call_turn {
            println!(
                "  call turn {} of {}",
                link.seq + 1,
                opt(&link.global_session_id)
            );
        }
    }
    Ok(())
}

fn show_call(conn: &rusqlite::Connection, id: &str, format: OutputFormat) -> Result<()> {
    let c = logbook_core::query::call::call(conn, id)?;
    if format != OutputFormat::Table {
        return print_json(&c);
    }
    println!("call {}  (event {})", opt(&c.global_session_id), c.event_id);
    println!(
        "  {} → {}  {}  {}  end {}  failed {}  transfer {}",
        opt(&c.caller),
        opt(&c.callee),
        opt(&c.start_ts),
        render::duration_ms(c.duration_ms),
        opt(&c.end_reason),
        opt(&c.failure_occurred),
        opt(&c.transfer_occurred)
    );
    if let Some(details) = &c.failure_details {
        println!("  failure: {}", render::one_line(details));
    }
    println!(
        "  max latency: assistant {}  TTS {}  STT {}  setup {}",
        render::duration_ms(c.max_latency.assistant_ms),
        render::duration_ms(c.max_latency.tts_ms),
        render::duration_ms(c.max_latency.stt_ms),
        render::duration_ms(c.sip.setup_ms)
    );
    println!("  SIP call id {}", render::one_line(&opt(&c.sip.call_id)));
    for w in &c.warnings {
        println!(
            "  warning {} ({}, {}): {}",
            opt(&w.code),
            opt(&w.component),
            opt(&w.severity),
            render::one_line(
                &w.explanation
                    .clone()
                    .or_else(|| w.message.clone())
                    .unwrap_or_default()
            )
        );
    }
    let rows: Vec<Vec<String>> = c
        .turns
        .iter()
        .map(|t| {
            let responses: Vec<String> = t
                .responses
                .iter()
                .map(|r| match &r.wa_type {
                    Some(wa) => format!("{} ({wa})", r.cdr_type),
                    None => r.cdr_type.clone(),
                })
                .collect();
            let message = match &t.message {
                Some(m) => format!("#{} {}", opt(&m.turn_count), opt(&m.user_text)),
                None => "(no message)".into(),
            };
            vec![
                (t.seq + 1).to_string(),
                t.offset_ms
                    .map(|ms| render::duration_ms(Some(ms)))
                    .unwrap_or_default(),
                opt(&t.request_type),
                responses.join(", "),
                render::duration_ms(t.assistant_ms),
                t.stt
                    .as_ref()
                    .and_then(|s| s.confidence)
                    .map(|c| format!("{c:.2}"))
                    .unwrap_or_default(),
                opt(&t.barge_in),
                message,
            ]
        })
        .collect();
    println!();
    print!(
        "{}",
        render::table(
            &[
                "turn",
                "at",
                "request",
                "responses (WA type)",
                "assistant",
                "STT conf",
                "barge-in",
                "message"
            ],
            &rows,
            60
        )
    );
    if !c.custom_data.is_empty() {
        println!();
        println!("custom data:");
        for v in &c.custom_data {
            println!(
                "  {} = {}",
                render::one_line(&v.key),
                render::one_line(&v.value.to_string())
            );
        }
        for step in &c.custom_data_merge {
            let set: Vec<String> = step
                .set
                .iter()
                .map(|v| format!("{}={}", v.key, v.value))
                .collect();
            println!(
                "  turn {} set {}{}",
                opt(&step.turn_count),
                render::one_line(&set.join(" ")),
                if step.removed.is_empty() {
                    String::new()
                } else {
                    format!(" removed {}", step.removed.join(" "))
                }
            );
        }
        if let Some(matches) = c.custom_data_matches {
            println!(
                "  merged turn data {} the record",
                if matches { "equals" } else { "DIFFERS FROM" }
            );
        }
    }
    Ok(())
}

fn custom_data(args: CustomDataArgs) -> Result<()> {
    use logbook_core::query::custom;
    let conn = reader(&args.db)?;
    match (&args.key, &args.value) {
        (None, _) => {
            let keys = custom::keys(&conn)?;
            print_rows(
                args.format,
                &keys,
                &["key", "calls", "distinct values"],
                |k| {
                    vec![
                        k.key.clone(),
                        k.calls.to_string(),
                        k.distinct_values.to_string(),
                    ]
                },
            )
        }
        (Some(key), None) => {
            let values = custom::values(&conn, key, args.limit)?;
            print_rows(args.format, &values, &["value", "calls"], |v| {
                vec![v.value.to_string(), v.calls.to_string()]
            })
        }
        (Some(key), Some(value)) => {
            let calls = custom::calls_with(&conn, key, Some(value), args.limit, None)?;
            print_rows(
                args.format,
                &calls,
                &["call", "start", "caller", "duration", "end"],
                |c| {
                    vec![
                        opt(&c.global_session_id),
                        opt(&c.start_ts),
                        opt(&c.caller),
                        render::duration_ms(c.duration_ms),
                        opt(&c.end_reason),
                    ]
                },
            )
        }
    }
}
