//! `logbook bench ingest`: ingest throughput and acknowledgement latency on loopback, measured in one
//! run beside the two limits it is made of: a bare tiny_http server answering 200 to the same requests
//! (the HTTP limit) and raw SQLite inserts of the same bytes in batches (the storage limit). Figures
//! are printed as `name: value` lines.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::ingest::{Auth, Endpoint, Receiver, ReceiverConfig, Secret};
use crate::send::{self, Signing};
use crate::store::{Store, StoreOptions, Synchronous};

#[derive(Debug, Clone, clap::Args)]
pub struct IngestBench {
    /// Concurrent clients.
    #[arg(long, default_value_t = 16)]
    pub clients: usize,
    /// Requests per throughput phase.
    #[arg(long, default_value_t = 20_000)]
    pub requests: usize,
    /// Size of each message body.
    #[arg(long, default_value_t = 2_048)]
    pub body_bytes: usize,
    /// Rate of the latency phase, events per second.
    #[arg(long, default_value_t = 1_000)]
    pub rate: usize,
    /// Length of the latency phase, seconds.
    #[arg(long, default_value_t = 5)]
    pub rate_seconds: u64,
}

const SECRET: &str = "bench secret";

pub fn ingest(args: &IngestBench) -> Result<()> {
    let dir = tempfile::tempdir().context("temporary directory")?;
    let bodies: Vec<Vec<u8>> = (0..args.requests as u64)
        .map(|i| crate::generate::message_body(i, args.body_bytes))
        .collect();
    let avg = bodies.iter().map(Vec::len).sum::<usize>() / bodies.len().max(1);
    println!("clients: {}", args.clients);
    println!("requests: {}", args.requests);
    println!("body_bytes: {avg}");

    let http = http_limit(args, &bodies)?;
    println!("http_limit_events_per_s: {http:.0}");
    let sqlite = sqlite_limit(&dir.path().join("raw.db"), args.clients, &bodies)?;
    println!("sqlite_limit_events_per_s: {sqlite:.0}");

    let full = ingest_run(
        &dir.path().join("full.db"),
        Synchronous::Full,
        args,
        &bodies,
        None,
    )?;
    println!("ingest_events_per_s: {:.0}", full.rate);
    println!("ingest_ack_p50_ms: {:.2}", full.p50);
    println!("ingest_ack_p99_ms: {:.2}", full.p99);
    println!("ingest_ack_max_ms: {:.2}", full.max);
    println!("ingest_writes_per_commit: {:.1}", full.batch);
    println!("ingest_max_commit_ms: {:.2}", full.max_commit_ms);
    let normal = ingest_run(
        &dir.path().join("normal.db"),
        Synchronous::Normal,
        args,
        &bodies,
        None,
    )?;
    println!("ingest_sync_normal_events_per_s: {:.0}", normal.rate);

    let paced_bodies = (0..(args.rate as u64 * args.rate_seconds))
        .map(|i| crate::generate::message_body(1_000_000_000 + i, args.body_bytes))
        .collect::<Vec<_>>();
    let paced = ingest_run(
        &dir.path().join("paced.db"),
        Synchronous::Full,
        args,
        &paced_bodies,
        Some(args.rate),
    )?;
    println!("paced_rate_events_per_s: {:.0}", paced.rate);
    println!("paced_ack_p50_ms: {:.2}", paced.p50);
    println!("paced_ack_p99_ms: {:.2}", paced.p99);
    println!("paced_ack_max_ms: {:.2}", paced.max);

    let limit = http.min(sqlite);
    println!("ratio_ingest_to_smaller_limit: {:.2}", full.rate / limit);
    println!("ratio_ingest_to_http_limit: {:.2}", full.rate / http);
    println!("ratio_ingest_to_sqlite_limit: {:.2}", full.rate / sqlite);
    println!("cost_of_synchronous_full: {:.2}", normal.rate / full.rate);
    Ok(())
}

struct Run {
    rate: f64,
    p50: f64,
    p99: f64,
    max: f64,
    /// Writes per commit, for the ingest runs.
    batch: f64,
    max_commit_ms: f64,
}

/// Posts `bodies` from `clients` threads, as fast as possible or at `rate` per second overall.
fn drive(url: &str, clients: usize, bodies: &[Vec<u8>], rate: Option<usize>) -> Result<Run> {
    let signing = Signing::Jwt(Secret::new(SECRET)?);
    let next = AtomicUsize::new(0);
    let failures = AtomicUsize::new(0);
    let started = Instant::now();
    let interval = rate.map(|r| Duration::from_secs_f64(1.0 / r as f64));
    let mut latencies: Vec<Duration> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..clients)
            .map(|_| {
                scope.spawn(|| {
                    let agent = send::agent();
                    let mut latencies = Vec::new();
                    loop {
                        let n = next.fetch_add(1, Ordering::Relaxed);
                        if n >= bodies.len() {
                            break;
                        }
                        if let Some(interval) = interval {
                            let due = started + interval * n as u32;
                            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                                std::thread::sleep(wait);
                            }
                        }
                        let sent = Instant::now();
                        let (status, _) = send::post(&agent, url, &signing, &bodies[n]);
                        latencies.push(sent.elapsed());
                        if status != Some(200) {
                            failures.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    latencies
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("client thread"))
            .collect()
    });
    let elapsed = started.elapsed();
    let failed = failures.load(Ordering::Relaxed);
    anyhow::ensure!(failed == 0, "{failed} requests failed against {url}");
    Ok(Run {
        rate: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50: send::percentile_ms(&mut latencies, 50.0),
        p99: send::percentile_ms(&mut latencies, 99.0),
        max: send::percentile_ms(&mut latencies, 100.0),
        batch: 0.0,
        max_commit_ms: 0.0,
    })
}

/// A tiny_http server with the receiver's worker count that reads each body and answers 200.
fn http_limit(args: &IngestBench, bodies: &[Vec<u8>]) -> Result<f64> {
    let server =
        Arc::new(tiny_http::Server::http("127.0.0.1:0").map_err(|e| anyhow::anyhow!("{e}"))?);
    let addr = server.server_addr().to_ip().context("ip address")?;
    let workers: Vec<_> = (0..crate::ingest::DEFAULT_WORKERS)
        .map(|_| {
            let server = server.clone();
            std::thread::spawn(move || {
                while let Ok(mut request) = server.recv() {
                    let mut body = Vec::new();
                    let _ = std::io::Read::read_to_end(request.as_reader(), &mut body);
                    let _ = request
                        .respond(tiny_http::Response::from_string("{\"status\":\"stored\"}"));
                }
            })
        })
        .collect();
    let run = drive(&format!("http://{addr}/"), args.clients, bodies, None)?;
    for _ in &workers {
        server.unblock();
    }
    for worker in workers {
        let _ = worker.join();
    }
    Ok(run.rate)
}

/// Inserts the bodies into a bare table, `batch` per transaction, with the store's pragmas.
fn sqlite_limit(path: &Path, batch: usize, bodies: &[Vec<u8>]) -> Result<f64> {
    let mut conn = rusqlite::Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.execute(
        "CREATE TABLE raw (id INTEGER PRIMARY KEY, body BLOB NOT NULL)",
        [],
    )?;
    let started = Instant::now();
    for chunk in bodies.chunks(batch.max(1)) {
        let tx = conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached("INSERT INTO raw (body) VALUES (?1)")?;
            for body in chunk {
                stmt.execute([body])?;
            }
        }
        tx.commit()?;
    }
    Ok(bodies.len() as f64 / started.elapsed().as_secs_f64())
}

fn ingest_run(
    db: &Path,
    synchronous: Synchronous,
    args: &IngestBench,
    bodies: &[Vec<u8>],
    rate: Option<usize>,
) -> Result<Run> {
    let store = Arc::new(Store::open(
        db,
        StoreOptions {
            synchronous,
            ..StoreOptions::default()
        },
    )?);
    let config = ReceiverConfig::new(
        "127.0.0.1:0",
        vec![Endpoint {
            path: None,
            auth: Auth::Jwt(Secret::new(SECRET)?),
        }],
    );
    let receiver = Receiver::start(config, store.clone())?;
    let url = format!("http://{}/bench", receiver.local_addr());
    let run = drive(&url, args.clients, bodies, rate).map(|mut run| {
        let stats = store.writer_stats();
        let commits = stats.commits.load(Ordering::Relaxed).max(1);
        run.batch = stats.writes.load(Ordering::Relaxed) as f64 / commits as f64;
        run.max_commit_ms = stats.max_commit_us.load(Ordering::Relaxed) as f64 / 1000.0;
        run
    });
    receiver.shutdown();
    if let Ok(store) = Arc::try_unwrap(store) {
        store.close()?;
    }
    run
}
