//! The `logbook` command: the receiver (`serve`), a signing client (`send`), `import`, `export` and
//! the benchmarks, over the core library.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};

use logbook::ingest::{self, Auth, Endpoint, ReceiverConfig, Secret};
use logbook::send::{self, Signing};
use logbook::store::{self, Store, StoreOptions};

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
    /// Write stored events to a file or standard output.
    Export(ExportArgs),
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
    /// How many refused requests to keep (the newest).
    #[arg(long, default_value_t = store::DEFAULT_REJECTIONS_KEPT, value_name = "N")]
    keep_rejections: u64,
    /// Do not print a line per request.
    #[arg(long, short)]
    quiet: bool,
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

#[derive(Clone, Copy, ValueEnum)]
enum ExportKind {
    /// Every accepted body, one compact JSON per line: the format `logbook import` reads.
    Raw,
}

#[derive(Args)]
struct ExportArgs {
    #[command(flatten)]
    db: DbArg,
    #[arg(long, value_enum, default_value = "raw")]
    kind: ExportKind,
    /// Write here instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve(args),
        Command::Send(args) => send_cmd(args),
        Command::Import(args) => import(args),
        Command::Export(args) => export(args),
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
                ..StoreOptions::default()
            },
        )
        .with_context(|| format!("cannot open the store at {}", db.display()))?,
    );
    let mut config = ReceiverConfig::new(args.listen.clone(), endpoints.clone());
    config.max_body_bytes = args.max_body_bytes;
    config.log_requests = !args.quiet;
    let receiver = ingest::Receiver::start(config, store.clone())?;
    let (stop_tx, stop_rx) = std::sync::mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = stop_tx.send(());
    })
    .context("cannot install the Ctrl-C handler")?;

    let addr = receiver.local_addr();
    let local = format!("http://{addr}");
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
    let report = logbook::import::import_files(&store, &args.files, &|n| bar.set_position(n))?;
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

fn export(args: ExportArgs) -> Result<()> {
    let db = args.db.path();
    if !db.exists() {
        bail!("no database at {}", db.display());
    }
    let conn = store::open_reader(&db)?;
    let total: i64 = conn.query_row("SELECT count(*) FROM events", [], |r| r.get(0))?;
    let bar = progress_bar(total as u64, "rows");
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let rows = match args.kind {
        ExportKind::Raw => logbook::export::raw(&conn, &mut out, &|n| {
            if n % 1024 == 0 {
                bar.set_position(n)
            }
        })?,
    };
    bar.finish_and_clear();
    eprintln!("exported {rows} rows");
    Ok(())
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
