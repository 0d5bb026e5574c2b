//! `logbook serve`: the webhook receiver (and the browser UI) until Ctrl-C or SIGTERM; with
//! `--store postgres://…`, into a PostgreSQL database other receivers may share, the UI reading it.

use std::io::Write;
use std::sync::Arc;

use anyhow::{Context, Result, bail};

use logbook_core::auth::Secret;
use logbook_core::config::{Config, Endpoint, Forward};
use logbook_core::store::PgStore;
use logbook_core::store::postgres::RETENTION_INTERVAL;
use logbook_http::api::{UiConfig, UiServer};
use logbook_http::forward::Forwarder;
use logbook_http::ingest::{Receiver, ReceiverConfig};
use logbook_service::store::UiStore;

use super::url;
use crate::args::ServeArgs;

pub fn run(args: ServeArgs) -> Result<()> {
    let config = args.config()?;
    if let Some(url) = args.store.clone() {
        return run_team(&args, &config, &url);
    }
    let endpoints = config.endpoints()?;
    let db = args.db.path();
    let store = Arc::new(super::open_store(&db, config.store_options())?);
    let mut receiver_config = ReceiverConfig::new(config.listen.clone(), endpoints.clone());
    receiver_config.max_body_bytes = config.limits.max_body_bytes;
    receiver_config.log_requests = !args.quiet;
    let forwards = config.forwards()?;
    let receiver = Receiver::start(receiver_config, store.clone())?;
    let forwarder = Forwarder::start(store.clone(), forwards.clone(), config.outbox);
    let addr = receiver.local_addr();
    let local = format!("http://{addr}");
    let ui = match start_ui(&args, &config, &endpoints, &local, || {
        Ok(store.clone().into())
    }) {
        Ok(ui) => ui,
        Err(err) => {
            receiver.shutdown();
            forwarder.shutdown();
            if let Ok(store) = Arc::try_unwrap(store) {
                let _ = store.close();
            }
            return Err(err);
        }
    };
    // `logbook url` prints the address again while this runs; the file goes when `serve` stops.
    let published = ui.as_ref().and_then(|ui| {
        url::PublishedUrl::write(&url::Served::Db(db.clone()), &ui.url_with_token())
            .inspect_err(|err| {
                eprintln!("warning: {err:#}; `logbook url` will not find this launch's address")
            })
            .ok()
    });
    let stop_rx = stop_signal()?;

    println!("Assistant Logbook is receiving Watson Assistant log webhooks");
    println!("  database   {}", db.display());
    if let Some(target) = store.projection().rebuild_through {
        println!(
            "  deriving   every stored event again ({target} events) in the background, while receiving: \
             lists fill in as it goes (`logbook stats` and Status show how far)"
        );
    }
    print_endpoints(&local, &endpoints);
    print_forwards(&forwards);
    warn(&endpoints, addr);
    if let Some(ui) = &ui {
        println!("  open       {}", ui.url_with_token());
        println!("             (lost it? `logbook url` prints it again while this runs)");
    }
    print_tunnel(&local, addr);
    let _ = stop_rx.recv();
    eprintln!("stopping: finishing requests in flight…");
    if let Some(ui) = ui {
        ui.shutdown();
    }
    drop(published);
    receiver.shutdown();
    forwarder.shutdown();
    let store = Arc::try_unwrap(store).map_err(|_| anyhow::anyhow!("the store is still in use"))?;
    store.close().context("closing the store")?;
    eprintln!("stopped; database closed cleanly");
    Ok(())
}

/// `serve --store postgres://…`: the receiver, into a shared PostgreSQL database that other
/// `serve` processes may be writing too, its projector (one process's at a time, see
/// `store::postgres`) and retention by month (`--keep-days`), and the UI, reading the database
/// with connections of its own (its live view wakes on the store's notifications, and polls).
/// Forwarding is not built for PostgreSQL yet, and is refused rather than silently left out.
fn run_team(args: &ServeArgs, config: &Config, url: &str) -> Result<()> {
    super::team_store(url, &args.db)?;
    if !args.forwards.is_empty() {
        bail!(
            "--forward is not available with a PostgreSQL store yet (team mode receives and projects only, for now)"
        );
    }
    if args.max_db_mb.is_some() {
        bail!(
            "--max-db-mb is not available with a PostgreSQL store: retention drops whole months by \
             age (--keep-days); the database's size is the server's to watch"
        );
    }
    let endpoints = config.endpoints()?;
    let options = config.store_options();
    let mut store = PgStore::open(url, &options)?;
    if let Some(max_age) = options.retention.max_age {
        let quiet = args.quiet;
        store.start_retention(max_age, move |report| match report {
            Ok(Some(expired)) if !quiet => {
                for (month, events) in &expired.months {
                    println!(
                        "retention: dropped {month} ({events} events, the whole month past the age)"
                    );
                }
                if expired.rejections > 0 {
                    println!(
                        "retention: deleted {} refused requests past the age",
                        expired.rejections
                    );
                }
            }
            Ok(_) => {}
            Err(err) => eprintln!(
                "warning: {err}; tried again in {} minutes",
                RETENTION_INTERVAL.as_secs() / 60
            ),
        })?;
    }
    let store = Arc::new(store);
    let mut receiver_config = ReceiverConfig::new(config.listen.clone(), endpoints.clone());
    receiver_config.max_body_bytes = config.limits.max_body_bytes;
    receiver_config.log_requests = !args.quiet;
    let receiver = Receiver::start(receiver_config, store.clone())?;
    let addr = receiver.local_addr();
    let local = format!("http://{addr}");
    let ui = match start_ui(args, config, &endpoints, &local, || {
        Ok(UiStore::postgres(url, store.target())?)
    }) {
        Ok(ui) => ui,
        Err(err) => {
            receiver.shutdown();
            if let Ok(store) = Arc::try_unwrap(store) {
                let _ = store.close();
            }
            return Err(err);
        }
    };
    let published = ui.as_ref().and_then(|ui| {
        url::PublishedUrl::write(
            &url::Served::Store(store.target().to_owned()),
            &ui.url_with_token(),
        )
        .inspect_err(|err| {
            eprintln!("warning: {err:#}; `logbook url` will not find this launch's address")
        })
        .ok()
    });
    let stop_rx = stop_signal()?;

    println!("Assistant Logbook is receiving Watson Assistant log webhooks");
    println!("  store      PostgreSQL {} (team mode)", store.target());
    if let Some(days) = args.keep_days {
        println!(
            "  retention  months whose every event is older than {days} days are dropped whole \
             (checked now and every {} minutes)",
            RETENTION_INTERVAL.as_secs() / 60
        );
    }
    print_endpoints(&local, &endpoints);
    warn(&endpoints, addr);
    if let Some(ui) = &ui {
        println!("  open       {}", ui.url_with_token());
        println!("             (lost it? `logbook url --store …` prints it again while this runs)");
    }
    print_tunnel(&local, addr);
    let _ = stop_rx.recv();
    eprintln!("stopping: finishing requests in flight…");
    if let Some(ui) = ui {
        ui.shutdown();
    }
    drop(published);
    receiver.shutdown();
    let store = Arc::try_unwrap(store).map_err(|_| anyhow::anyhow!("the store is still in use"))?;
    store.close().context("closing the store")?;
    eprintln!("stopped; every acknowledged event is committed");
    Ok(())
}

/// Ctrl-C or SIGTERM, as a channel to wait on.
/// The UI beside the receiver at `local`, reading `store` (made only when there is a UI), or
/// `None` with `--no-ui`. On an error the caller stops what it started.
fn start_ui(
    args: &ServeArgs,
    config: &Config,
    endpoints: &[Endpoint],
    local: &str,
    store: impl FnOnce() -> Result<UiStore>,
) -> Result<Option<UiServer>> {
    if args.no_ui {
        return Ok(None);
    }
    let info = logbook_service::ReceiverInfo::new(local, endpoints, config.limits.max_body_bytes);
    let mut ui_config = UiConfig::new(args.ui_listen.clone());
    ui_config.endpoints = endpoints.to_vec();
    let ui = store()
        .and_then(|store| Ok(UiServer::start(ui_config, store, info)?))
        .context("cannot start the UI (--no-ui receives without it)")?;
    Ok(Some(ui))
}

fn stop_signal() -> Result<std::sync::mpsc::Receiver<()>> {
    let (stop_tx, stop_rx) = std::sync::mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = stop_tx.send(());
    })
    .context("cannot install the Ctrl-C handler")?;
    Ok(stop_rx)
}

fn print_endpoints(local: &str, endpoints: &[Endpoint]) {
    for e in endpoints {
        let path = e.path.as_deref().unwrap_or("/ (any path)");
        println!(
            "  endpoint   POST {local}{path}  verification: {}",
            e.auth.mode()
        );
    }
    println!("  health     GET {local}/healthz");
}

fn print_forwards(forwards: &[Forward]) {
    for f in forwards {
        let order = if f.parallel > 1 {
            format!("{} at once", f.parallel)
        } else {
            "in order".into()
        };
        let headers = match f.headers.len() {
            0 => String::new(),
            n => format!(", {n} extra header{}", if n == 1 { "" } else { "s" }),
        };
        println!(
            "  forward    every event{} to {} (authorization: {}, {order}{headers}), from the outbox",
            f.endpoint
                .as_ref()
                .map(|path| format!(" of {path}"))
                .unwrap_or_default(),
            f.url,
            f.auth.mode()
        );
    }
}

/// Warnings about the configuration: a padded secret, a port reachable from the network.
fn warn(endpoints: &[Endpoint], addr: std::net::SocketAddr) {
    for e in endpoints {
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
}

/// How to expose the port to Watson, and the "Ctrl-C stops." line that ends the start-up text.
fn print_tunnel(local: &str, addr: std::net::SocketAddr) {
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
}
