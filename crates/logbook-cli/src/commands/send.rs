//! `logbook send`: signs bodies as Watson does and POSTs them to a receiver.

use std::io::Write;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use logbook_devtools::send::{self, Signing};

use crate::args::SendArgs;
use crate::render;

pub fn run(args: SendArgs) -> Result<()> {
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
    let bar = (!per_request).then(|| render::progress_bar(total as u64, "requests"));
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
    let stored = results.iter().filter(|r| r.stored()).count();
    let duplicates = results.len() - failed - stored;
    if per_request {
        println!(
            "{} requests: {stored} stored, {duplicates} already stored (duplicates), {failed} refused or unanswered",
            results.len()
        );
    } else {
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
        println!("stored: {stored}");
        println!("duplicates: {duplicates}");
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
