//! `logbook serve`: the webhook receiver (and the browser UI) until Ctrl-C or SIGTERM.

use std::io::Write;
use std::sync::Arc;

use anyhow::{Context, Result};

use logbook_core::auth::Secret;
use logbook_core::store::Store;
use logbook_http::api::{UiConfig, UiServer};
use logbook_http::forward::Forwarder;
use logbook_http::ingest::{Receiver, ReceiverConfig};

use super::url;
use crate::args::ServeArgs;

pub fn run(args: ServeArgs) -> Result<()> {
    let config = args.config()?;
    let endpoints = config.endpoints()?;
    let db = args.db.path();
    let store = Arc::new(
        Store::open(&db, config.store_options())
            .with_context(|| format!("cannot open the store at {}", db.display()))?,
    );
    let mut receiver_config = ReceiverConfig::new(config.listen.clone(), endpoints.clone());
    receiver_config.max_body_bytes = config.limits.max_body_bytes;
    receiver_config.log_requests = !args.quiet;
    let forwards = config.forwards()?;
    let receiver = Receiver::start(receiver_config, store.clone())?;
    let forwarder = Forwarder::start(store.clone(), forwards.clone(), config.outbox);
    let addr = receiver.local_addr();
    let local = format!("http://{addr}");
    let ui = if args.no_ui {
        None
    } else {
        let info =
            logbook_service::ReceiverInfo::new(&local, &endpoints, config.limits.max_body_bytes);
        let mut ui_config = UiConfig::new(args.ui_listen.clone());
        ui_config.endpoints = endpoints.clone();
        match UiServer::start(ui_config, store.clone(), info) {
            Ok(ui) => Some(ui),
            Err(err) => {
                receiver.shutdown();
                forwarder.shutdown();
                if let Ok(store) = Arc::try_unwrap(store) {
                    let _ = store.close();
                }
                return Err(err).context("cannot start the UI (--no-ui receives without it)");
            }
        }
    };
    // `logbook url` prints the address again while this runs; the file goes when `serve` stops.
    let published = ui.as_ref().and_then(|ui| {
        url::PublishedUrl::write(&db, &ui.url_with_token())
            .inspect_err(|err| {
                eprintln!("warning: {err:#}; `logbook url` will not find this launch's address")
            })
            .ok()
    });
    let (stop_tx, stop_rx) = std::sync::mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = stop_tx.send(());
    })
    .context("cannot install the Ctrl-C handler")?;

    println!("Assistant Logbook is receiving Watson Assistant log webhooks");
    println!("  database   {}", db.display());
    if let Some(target) = store.projection().rebuild_through {
        println!(
            "  deriving   every stored event again ({target} events) in the background, while receiving: \
             lists fill in as it goes (`logbook stats` and Status show how far)"
        );
    }
    for e in &endpoints {
        let path = e.path.as_deref().unwrap_or("/ (any path)");
        println!(
            "  endpoint   POST {local}{path}  verification: {}",
            e.auth.mode()
        );
    }
    println!("  health     GET {local}/healthz");
    for f in &forwards {
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
        println!("             (lost it? `logbook url` prints it again while this runs)");
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
    drop(published);
    receiver.shutdown();
    forwarder.shutdown();
    let store = Arc::try_unwrap(store).map_err(|_| anyhow::anyhow!("the store is still in use"))?;
    store.close().context("closing the store")?;
    eprintln!("stopped; database closed cleanly");
    Ok(())
}
