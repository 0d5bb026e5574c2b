//! `logbook bench ingest`: ingest throughput and acknowledgement latency on loopback, measured in one
//! run beside the two limits it is made of: a bare tiny_http server answering 200 to the same requests
//! (the HTTP limit) and raw SQLite inserts of the same bytes in batches (the storage limit). With
//! `--store postgres://…`, three receivers share a PostgreSQL database instead, beside one receiver
//! on SQLite under the same load. Figures are printed as `name: value` lines.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::send::{self, Signing};
use logbook_core::query::{Db, Reader};
use logbook_core::store::{
    PgStore, Store, StoreOptions, Synchronous, is_postgres_url, stall, threads,
};
use logbook_http::ingest::{Auth, Endpoint, Receiver, ReceiverConfig, Secret};

#[derive(Debug, Clone, clap::Args)]
pub struct IngestBench {
    /// Concurrent clients.
    #[arg(long, default_value_t = 16)]
    pub clients: usize,
    /// Size of each message body.
    #[arg(long, default_value_t = 2_048)]
    pub body_bytes: usize,
    /// Length of the burst phase (acknowledgements as fast as they come), seconds.
    #[arg(long, default_value_t = 10)]
    pub burst_seconds: u64,
    /// Length of the sustained phase (acknowledged and projected), seconds.
    #[arg(long, default_value_t = 60)]
    pub sustained_seconds: u64,
    /// Rate of the paced phase, events per second.
    #[arg(long, default_value_t = 1_000)]
    pub rate: usize,
    /// Length of the paced phase, seconds.
    #[arg(long, default_value_t = 10)]
    pub rate_seconds: u64,
    /// Also run the burst against a peer: a receiver written with Python's standard library that
    /// verifies the JWT and commits each request to SQLite (`peer/receiver.py`; needs `python3`).
    #[arg(long)]
    pub peer: bool,
    /// Measure team mode instead: three receivers, each with its own store, on this PostgreSQL
    /// database (postgres://USER:PASSWORD@HOST:PORT/DATABASE), beside one receiver on SQLite under
    /// the same load (the burst and the paced phase). The benchmark writes into a scratch schema of
    /// its own, dropped at the end: the user needs the right to create schemas there.
    #[arg(long, value_name = "URL")]
    pub store: Option<String>,
}

impl IngestBench {
    /// `n` message bodies of `body_bytes` (signed as they are sent), numbered from `from`: each
    /// has a `log_id` of its own, so a phase numbered apart from every other sends no duplicate.
    fn bodies(&self, from: u64, n: usize) -> Vec<Vec<u8>> {
        (from..from + n as u64)
            .map(|i| crate::generate::message_body(i, self.body_bytes))
            .collect()
    }
}

const SECRET: &str = "bench secret";
/// Requests of the HTTP and SQLite ceilings.
const CEILING_REQUESTS: usize = 40_000;

pub fn ingest(args: &IngestBench) -> Result<()> {
    if let Some(url) = &args.store {
        return team_ingest(args, url);
    }
    let dir = tempfile::tempdir().context("temporary directory")?;
    let ceiling_bodies = args.bodies(0, CEILING_REQUESTS);
    let avg = ceiling_bodies.iter().map(Vec::len).sum::<usize>() / CEILING_REQUESTS;
    println!("clients: {}", args.clients);
    println!("body_bytes: {avg}");

    let (http, http_cpu) = http_limit(args, &ceiling_bodies)?;
    println!("http_ceiling_events_per_s: {http:.0}");
    // What the bare exchange costs (clients and server, on this machine's cores), beside what each
    // aim leaves for everything Logbook does: `cores / (aim × ceiling)`.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("cpu_cores: {cores}");
    if let Some((total, clients)) = http_cpu {
        println!("http_ceiling_cpu_us_per_event: {total:.0}");
        println!("http_ceiling_cpu_us_per_event_bench_clients: {clients:.0}");
    }
    for (name, aim) in [("half", 0.5), ("0_35", 0.35)] {
        println!(
            "cpu_us_per_event_available_at_{name}_the_ceiling: {:.0}",
            cores as f64 * 1e6 / (aim * http)
        );
    }
    let sqlite = sqlite_limit(&dir.path().join("raw.db"), args.clients, &ceiling_bodies)?;
    println!("sqlite_limit_events_per_s: {sqlite:.0}");
    // Every acknowledgement waits for at least one sync of the log (synchronous=FULL), and a group
    // commit holds at most one request per client: the disk alone bounds the rate.
    let sync = disk_sync_ms(dir.path())?;
    println!("disk_sync_p50_ms: {sync:.2}");
    println!(
        "ack_bound_by_disk_sync_events_per_s: {:.0}",
        args.clients as f64 * 1000.0 / sync
    );
    drop(ceiling_bodies);

    // Enough distinct bodies for the phase at twice the ceiling: a phase ends by time, not count.
    let enough = |seconds: u64| (http * 2.0 * seconds as f64) as usize + 1_000;
    let burst_bodies = args.bodies(1_000_000, enough(args.burst_seconds));
    let burst = ingest_run(
        &dir.path().join("burst.db"),
        Synchronous::Full,
        args,
        &burst_bodies,
        Pace::For(Duration::from_secs(args.burst_seconds)),
    )?;
    drop(burst_bodies);
    println!("burst_ack_events_per_s: {:.0}", burst.run.rate);
    println!("burst_ack_p50_ms: {:.2}", burst.run.p50);
    println!("burst_ack_p99_ms: {:.2}", burst.run.p99);
    println!("burst_writes_per_commit: {:.1}", burst.run.batch);
    println!("burst_max_commit_ms: {:.2}", burst.run.max_commit_ms);
    println!("burst_writes_waiting: {:.1}", burst.run.writes_waiting);
    println!("burst_projection_gave_way_ms: {}", burst.gave_way_ms);
    println!("burst_vs_http_ceiling: {:.2}", burst.run.rate / http);
    print_cpu("burst", burst.cpu_under_load.as_ref(), burst.run.count);
    if args.peer {
        let peer_bodies = args.bodies(50_000_000, enough(args.burst_seconds));
        let peer = peer_burst(dir.path(), args, &peer_bodies)?;
        println!("peer_burst_ack_events_per_s: {peer:.0}");
        println!("peer_vs_http_ceiling: {:.2}", peer / http);
        println!("burst_vs_peer: {:.2}", burst.run.rate / peer);
    }

    let sustained_bodies = args.bodies(100_000_000, enough(args.sustained_seconds));
    let mut sustained = ingest_run(
        &dir.path().join("sustained.db"),
        Synchronous::Full,
        args,
        &sustained_bodies,
        Pace::For(Duration::from_secs(args.sustained_seconds)),
    )?;
    drop(sustained_bodies);
    let everything_projected =
        sustained.run.count as f64 / (sustained.run.elapsed + sustained.catch_up).as_secs_f64();
    println!("sustained_ack_events_per_s: {:.0}", sustained.run.rate);
    println!("sustained_projected_events_per_s: {everything_projected:.0}");
    println!(
        "sustained_catch_up_after_load_ms: {:.0}",
        sustained.catch_up.as_secs_f64() * 1000.0
    );
    println!(
        "sustained_projection_lag_max_events: {}",
        sustained.max_lag_events
    );
    println!(
        "sustained_max_projection_ms: {:.2}",
        sustained.max_projection_ms
    );
    println!(
        "sustained_projection_gave_way_ms: {}",
        sustained.gave_way_ms
    );
    println!(
        "sustained_projection_lag_max_ms: {:.0}",
        send::percentile_ms(&mut sustained.lags, 100.0)
    );
    println!(
        "sustained_flat_out_vs_http_ceiling: {:.2}",
        everything_projected / http
    );
    print_cpu(
        "sustained",
        sustained.cpu_until_projected.as_ref(),
        sustained.run.count,
    );
    let bounded = bounded_sustained(dir.path(), args, everything_projected, sustained.run.rate)?;
    println!("sustained_bounded_probes: {}", bounded.probes.join(" "));
    match bounded.kept {
        Some((rate, mut run)) => {
            println!("sustained_bounded_events_per_s: {:.0}", run.run.rate);
            println!("sustained_bounded_paced_at_events_per_s: {rate}");
            println!("sustained_bounded_ack_p99_ms: {:.2}", run.run.p99);
            println!(
                "sustained_bounded_projection_lag_p99_ms: {:.2}",
                send::percentile_ms(&mut run.lags, 99.0)
            );
            println!(
                "sustained_bounded_projection_lag_max_ms: {:.2}",
                send::percentile_ms(&mut run.lags, 100.0)
            );
            println!(
                "sustained_bounded_catch_up_after_load_ms: {:.0}",
                run.catch_up.as_secs_f64() * 1000.0
            );
            println!(
                "sustained_bounded_projection_gave_way_ms: {}",
                run.gave_way_ms
            );
            println!("sustained_vs_http_ceiling: {:.2}", run.run.rate / http);
            print_cpu(
                "sustained_bounded",
                run.cpu_until_projected.as_ref(),
                run.run.count,
            );
        }
        None => println!("sustained_vs_http_ceiling: 0.00"),
    }

    let paced_bodies = args.bodies(200_000_000, args.rate * args.rate_seconds as usize);
    let paced = ingest_run(
        &dir.path().join("paced.db"),
        Synchronous::Full,
        args,
        &paced_bodies,
        Pace::Rate(args.rate),
    )?;
    println!("paced_rate_events_per_s: {:.0}", paced.run.rate);
    println!("paced_ack_p50_ms: {:.2}", paced.run.p50);
    println!("paced_ack_p99_ms: {:.2}", paced.run.p99);
    println!("paced_ack_max_ms: {:.2}", paced.run.max);
    println!("paced_writes_waiting: {:.1}", paced.run.writes_waiting);
    println!("paced_projection_gave_way_ms: {}", paced.gave_way_ms);
    let mut lags = paced.lags;
    println!(
        "paced_projection_lag_p50_ms: {:.2}",
        send::percentile_ms(&mut lags, 50.0)
    );
    println!(
        "paced_projection_lag_p99_ms: {:.2}",
        send::percentile_ms(&mut lags, 99.0)
    );
    println!(
        "paced_projection_lag_max_ms: {:.2}",
        send::percentile_ms(&mut lags, 100.0)
    );

    let normal_bodies = args.bodies(300_000_000, enough(args.burst_seconds));
    let normal = ingest_run(
        &dir.path().join("normal.db"),
        Synchronous::Normal,
        args,
        &normal_bodies,
        Pace::For(Duration::from_secs(args.burst_seconds)),
    )?;
    println!("burst_sync_normal_events_per_s: {:.0}", normal.run.rate);
    println!(
        "cost_of_synchronous_full: {:.2}",
        normal.run.rate / burst.run.rate
    );

    reindex_child(&dir.path().join("sustained.db"))
}

/// How the clients pace themselves.
#[derive(Clone, Copy)]
enum Pace {
    /// As fast as answers come, for this long (or until the bodies run out).
    For(Duration),
    /// This many per second overall, every body once.
    Rate(usize),
}

struct Run {
    count: usize,
    elapsed: Duration,
    rate: f64,
    p50: f64,
    p99: f64,
    max: f64,
    /// Writes per commit, for the ingest runs.
    batch: f64,
    max_commit_ms: f64,
    /// How many writes waited for their commit, on average over the run.
    writes_waiting: f64,
    /// (event id, when its 200 came), for the projection lag.
    acks: Vec<(i64, Instant)>,
    /// The CPU time the client threads took (zero where it cannot be read).
    client_cpu: Duration,
}

/// Posts `bodies` from `clients` threads, each once, paced as `pace` says.
fn drive(url: &str, clients: usize, bodies: &[Vec<u8>], pace: Pace) -> Result<Run> {
    Ok(drive_many(&[url.to_owned()], clients, bodies, pace)?.0)
}

/// Posts `bodies` from `clients` threads, each once, paced as `pace` says, client `i` to
/// `urls[i % urls.len()]` (as a load balancer would spread connections): the run as a whole, and
/// each URL's share of it.
fn drive_many(
    urls: &[String],
    clients: usize,
    bodies: &[Vec<u8>],
    pace: Pace,
) -> Result<(Run, Vec<Run>)> {
    let signing = Signing::Jwt(Secret::new(SECRET)?);
    let next = AtomicUsize::new(0);
    let failures = AtomicUsize::new(0);
    let client_cpu = CpuSum::default();
    let started = Instant::now();
    let (interval, until) = match pace {
        Pace::Rate(r) => (Some(Duration::from_secs_f64(1.0 / r as f64)), None),
        Pace::For(d) => (None, started.checked_add(d)),
    };
    // (which URL, latency, the event id and when its 200 came)
    type Answer = (usize, Duration, Option<(i64, Instant)>);
    let results: Vec<Answer> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..clients)
            .map(|client| {
                let (next, failures, signing) = (&next, &failures, &signing);
                let client_cpu = &client_cpu;
                let target = client % urls.len();
                let url = &urls[target];
                scope.spawn(move || {
                    let _cpu = client_cpu.of_this_thread();
                    let agent = send::agent();
                    let mut results = Vec::new();
                    loop {
                        let n = next.fetch_add(1, Ordering::Relaxed);
                        if n >= bodies.len() || until.is_some_and(|u| Instant::now() >= u) {
                            break;
                        }
                        if let Some(interval) = interval {
                            let due = started + interval * n as u32;
                            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                                std::thread::sleep(wait);
                            }
                        }
                        let sent = Instant::now();
                        let (status, answer) = send::post(&agent, url, signing, &bodies[n]);
                        let acked = Instant::now();
                        if status != Some(200) {
                            failures.fetch_add(1, Ordering::Relaxed);
                        }
                        let id = serde_json::from_str::<serde_json::Value>(&answer)
                            .ok()
                            .and_then(|a| a["id"].as_i64());
                        results.push((target, acked - sent, id.map(|id| (id, acked))));
                    }
                    results
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
    anyhow::ensure!(
        failed == 0,
        "{failed} requests failed against {}",
        urls.join(", ")
    );
    let each = (0..urls.len())
        .map(|target| {
            run_of(
                results.iter().filter(|(t, _, _)| *t == target).copied(),
                elapsed,
            )
        })
        .collect();
    let mut run = run_of(results.into_iter(), elapsed);
    run.client_cpu = client_cpu.total();
    Ok((run, each))
}

/// The figures of some answers of a run that took `elapsed`.
fn run_of(
    answers: impl Iterator<Item = (usize, Duration, Option<(i64, Instant)>)>,
    elapsed: Duration,
) -> Run {
    let mut latencies = Vec::new();
    let mut acks = Vec::new();
    for (_, latency, ack) in answers {
        latencies.push(latency);
        acks.extend(ack);
    }
    Run {
        count: latencies.len(),
        elapsed,
        rate: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50: send::percentile_ms(&mut latencies, 50.0),
        p99: send::percentile_ms(&mut latencies, 99.0),
        max: send::percentile_ms(&mut latencies, 100.0),
        batch: 0.0,
        max_commit_ms: 0.0,
        writes_waiting: 0.0,
        acks,
        client_cpu: Duration::ZERO,
    }
}

/// A stock tiny_http server (requests queued to worker threads, as many as the receiver handles at
/// once) that reads each body and answers 200: its rate, and the CPU time per request in all and
/// of the clients (microseconds; where the process's CPU time can be read).
fn http_limit(args: &IngestBench, bodies: &[Vec<u8>]) -> Result<(f64, Option<(f64, f64)>)> {
    let server =
        Arc::new(tiny_http::Server::http("127.0.0.1:0").map_err(|e| anyhow::anyhow!("{e}"))?);
    let addr = server.server_addr().to_ip().context("ip address")?;
    let workers: Vec<_> = (0..logbook_http::ingest::DEFAULT_WORKERS)
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
    let cpu_before = stall::process_cpu();
    let run = drive(
        &format!("http://{addr}/"),
        args.clients,
        bodies,
        Pace::For(Duration::MAX),
    )?;
    let cpu = stall::process_cpu()
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before))
        .filter(|_| run.count > 0)
        .map(|total| {
            let per_event = |d: Duration| d.as_secs_f64() * 1e6 / run.count as f64;
            (per_event(total), per_event(run.client_cpu))
        });
    for _ in &workers {
        server.unblock();
    }
    for worker in workers {
        let _ = worker.join();
    }
    Ok((run.rate, cpu))
}

/// The burst against the Python peer (`peer/receiver.py`), started on a free port with a database in
/// `dir`: acknowledgements per second.
fn peer_burst(dir: &Path, args: &IngestBench, bodies: &[Vec<u8>]) -> Result<f64> {
    let script = dir.join("receiver.py");
    std::fs::write(&script, include_str!("../peer/receiver.py"))?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut child = std::process::Command::new("python3")
        .arg(&script)
        .arg(port.to_string())
        .arg(dir.join("peer.db"))
        .arg(SECRET)
        .spawn()
        .context("starting the Python peer (is python3 installed?)")?;
    let ready = (0..100).any(|_| {
        std::thread::sleep(Duration::from_millis(50));
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    let run = if ready {
        drive(
            &format!("http://127.0.0.1:{port}/"),
            args.clients,
            bodies,
            Pace::For(Duration::from_secs(args.burst_seconds)),
        )
    } else {
        Err(anyhow::anyhow!("the Python peer did not start listening"))
    };
    let _ = child.kill();
    let _ = child.wait();
    Ok(run?.rate)
}

/// The median time to write 4 KiB to a file in `dir` and sync it: what one commit costs at least.
fn disk_sync_ms(dir: &Path) -> Result<f64> {
    use std::io::Write;
    let path = dir.join("sync-probe");
    let mut file = std::fs::File::create(&path).context("sync probe file")?;
    let page = [0u8; 4096];
    let mut times = Vec::with_capacity(200);
    for _ in 0..200 {
        let (written, took) = timed(|| file.write_all(&page).and_then(|()| file.sync_data()));
        written.context("writing the sync probe")?;
        times.push(took);
    }
    drop(file);
    std::fs::remove_file(&path).ok();
    Ok(send::percentile_ms(&mut times, 50.0))
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

/// One receiver run and what projection did meanwhile.
struct IngestRun {
    run: Run,
    /// From the end of the load until everything was projected.
    catch_up: Duration,
    /// The most events acknowledged but not projected, sampled every millisecond.
    max_lag_events: i64,
    max_projection_ms: f64,
    /// How long projection gave way to acknowledgements (waited while writes queued).
    gave_way_ms: u64,
    /// For each acknowledged event, how long after its 200 it was projected.
    lags: Vec<Duration>,
    /// Who spent the CPU while the load lasted, and until everything was projected.
    cpu_under_load: Option<CpuSplit>,
    cpu_until_projected: Option<CpuSplit>,
}

/// How far behind projection may end a paced run and still have kept up: the lag stayed bounded.
const BOUNDED_CATCH_UP: Duration = Duration::from_secs(1);
/// A paced run keeps up when its clients reach at least this share of the rate asked.
const BOUNDED_RATE_SHARE: f64 = 0.98;
/// Probes of the search for the highest rate kept up with, before the rate found is run for the
/// whole sustained phase.
const BOUNDED_PROBES: usize = 4;
/// Rates tried below the one found when the whole phase does not keep up with it, each 10 % lower.
const BOUNDED_RETRIES: usize = 3;

/// The sustained rate as the aim states it: the highest paced rate at which, for the whole
/// sustained phase, every event is acknowledged at that rate and projection keeps up with them (it
/// ends the phase at most [`BOUNDED_CATCH_UP`] behind). Found by bisection in short probes between
/// a quarter of the flat-out run's projected rate and its acknowledged rate (the most the receiver
/// answered with projection beside it), then run for the whole phase, and 10 % lower while that does
/// not keep up. The probes, as `rate:kept`/`rate:behind`, say how it was found.
struct Bounded {
    probes: Vec<String>,
    /// The rate asked and the run that kept up with it for the whole phase; none when no rate did.
    kept: Option<(usize, IngestRun)>,
}

fn bounded_sustained(
    dir: &Path,
    args: &IngestBench,
    projected: f64,
    acknowledged: f64,
) -> Result<Bounded> {
    // Longer than projection gives way for, at full length.
    let probe_seconds = (args.sustained_seconds / 3).clamp(2, 20);
    let mut serial = 0u64;
    let mut try_rate = |rate: usize, seconds: u64| -> Result<(bool, IngestRun)> {
        serial += 1;
        // Bodies numbered apart from every other phase's, and from each other run's.
        let from = 400_000_000 + serial * 10_000_000;
        let bodies = args.bodies(from, rate * seconds as usize);
        // Each run in a directory of its own, removed after it: the runs add up to gigabytes.
        let run_dir = dir.join(format!("bounded-{serial}"));
        std::fs::create_dir_all(&run_dir).with_context(|| run_dir.display().to_string())?;
        let run = ingest_run(
            &run_dir.join("bounded.db"),
            Synchronous::Full,
            args,
            &bodies,
            Pace::Rate(rate),
        );
        let _ = std::fs::remove_dir_all(&run_dir);
        let run = run?;
        let kept =
            run.run.rate >= BOUNDED_RATE_SHARE * rate as f64 && run.catch_up <= BOUNDED_CATCH_UP;
        Ok((kept, run))
    };
    let verdict = |kept: bool| if kept { "kept" } else { "behind" };
    let (mut low, mut high) = ((projected / 4.0).max(1.0), acknowledged.max(projected));
    let mut probes = Vec::new();
    let mut best = None;
    for _ in 0..BOUNDED_PROBES {
        let rate = ((low + high) / 2.0) as usize;
        let (kept, _) = try_rate(rate, probe_seconds)?;
        probes.push(format!("{rate}:{}", verdict(kept)));
        if kept {
            best = Some(rate);
            low = rate as f64;
        } else {
            high = rate as f64;
        }
    }
    let mut rate = best.unwrap_or(low as usize);
    for _ in 0..=BOUNDED_RETRIES {
        let (kept, run) = try_rate(rate, args.sustained_seconds)?;
        probes.push(format!(
            "{rate}:{}:{}s",
            verdict(kept),
            args.sustained_seconds
        ));
        if kept {
            return Ok(Bounded {
                probes,
                kept: Some((rate, run)),
            });
        }
        rate = (rate * 9 / 10).max(1);
    }
    Ok(Bounded { probes, kept: None })
}

fn ingest_run(
    db: &Path,
    synchronous: Synchronous,
    args: &IngestBench,
    bodies: &[Vec<u8>],
    pace: Pace,
) -> Result<IngestRun> {
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
    // The watermark as it moves: (when, projected through), sampled every millisecond.
    let sampling = std::sync::atomic::AtomicBool::new(true);
    let sampler_cpu = CpuSum::default();
    let cpu_before = CpuUse::now();
    let (run, samples) = std::thread::scope(|scope| {
        let sampler = scope.spawn(|| {
            let _cpu = sampler_cpu.of_this_thread();
            let mut samples = Vec::new();
            let mut last = -1;
            while sampling.load(Ordering::Relaxed) {
                let through = store.projection().projected_through;
                if through != last {
                    samples.push((Instant::now(), through));
                    last = through;
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            // Where the watermark stood when the load ended: events acknowledged by then and not
            // projected count in the lag even when the watermark never moved under the load.
            samples.push((Instant::now(), store.projection().projected_through));
            samples
        });
        let run = drive(&url, args.clients, bodies, pace);
        sampling.store(false, Ordering::Relaxed);
        (run, sampler.join().expect("sampler thread"))
    });
    let mut run = run?;
    let load_ended = Instant::now();
    let cpu_at_load_end = CpuUse::now();
    anyhow::ensure!(
        store.wait_projected(Duration::from_secs(60))?,
        "projection stalled"
    );
    let catch_up = load_ended.elapsed();
    let bench_cpu = run.client_cpu + sampler_cpu.total();
    let cpu_under_load = CpuSplit::between(&cpu_before, &cpu_at_load_end, bench_cpu);
    let cpu_until_projected = CpuSplit::between(&cpu_before, &CpuUse::now(), bench_cpu);
    let stats = store.writer_stats();
    let commits = stats.commits.load(Ordering::Relaxed).max(1);
    run.batch = stats.writes.load(Ordering::Relaxed) as f64 / commits as f64;
    run.max_commit_ms = stats.max_commit_us.load(Ordering::Relaxed) as f64 / 1000.0;
    run.writes_waiting = stats.waiting.total(Instant::now()).as_secs_f64()
        / run.elapsed.as_secs_f64().max(f64::EPSILON);
    let gave_way_ms = store.projection_stats().gave_way_ms.load(Ordering::Relaxed);
    let max_projection_ms = store
        .projection_stats()
        .max_transaction_us
        .load(Ordering::Relaxed) as f64
        / 1000.0;
    // Each acknowledged event's lag: the first sample at or past its id, after its 200 (an event
    // projected before the sample that follows its 200 counts from that sample: at most 1 ms more).
    let mut acks = std::mem::take(&mut run.acks);
    acks.sort_by_key(|(id, _)| *id);
    let mut lags = Vec::with_capacity(acks.len());
    let mut max_lag_events = 0;
    let mut sample = 0;
    for (id, acked) in &acks {
        while sample < samples.len() && samples[sample].1 < *id {
            sample += 1;
        }
        let projected_at = samples.get(sample).map_or(load_ended + catch_up, |s| s.0);
        lags.push(projected_at.saturating_duration_since(*acked));
    }
    // Events behind at each sample: the highest id acknowledged by then, less the watermark (ids
    // are given one after another, and the bench sends no duplicates).
    let mut by_time: Vec<(Instant, i64)> = acks.iter().map(|(id, at)| (*at, *id)).collect();
    by_time.sort();
    let mut highest = 0;
    let highest_by: Vec<(Instant, i64)> = by_time
        .into_iter()
        .map(|(at, id)| {
            highest = highest.max(id);
            (at, highest)
        })
        .collect();
    for (at, through) in &samples {
        let acked = highest_by.partition_point(|(when, _)| when <= at);
        if let Some((_, highest)) = acked.checked_sub(1).map(|i| highest_by[i]) {
            max_lag_events = max_lag_events.max(highest - through);
        }
    }
    receiver.shutdown();
    if let Ok(store) = Arc::try_unwrap(store) {
        store.close()?;
    }
    Ok(IngestRun {
        run,
        catch_up,
        max_lag_events,
        max_projection_ms,
        gave_way_ms,
        lags,
        cpu_under_load,
        cpu_until_projected,
    })
}

/// CPU time added up over threads, each adding its own when it ends. Where a thread's CPU time
/// cannot be read, neither can the process's, and [`CpuSplit::between`] gives no split.
#[derive(Default)]
struct CpuSum {
    nanos: std::sync::atomic::AtomicU64,
}

impl CpuSum {
    /// Counts the calling thread's CPU time from now until the guard is dropped.
    fn of_this_thread(&self) -> impl Drop + '_ {
        struct Guard<'a>(&'a CpuSum, Option<Duration>);
        impl Drop for Guard<'_> {
            fn drop(&mut self) {
                if let Some((from, to)) = self.1.zip(stall::thread_cpu()) {
                    let spent = to.saturating_sub(from).as_nanos() as u64;
                    self.0.nanos.fetch_add(spent, Ordering::Relaxed);
                }
            }
        }
        Guard(self, stall::thread_cpu())
    }

    fn total(&self) -> Duration {
        Duration::from_nanos(self.nanos.load(Ordering::Relaxed))
    }
}

/// This process's CPU time at one moment: in all, and by the store's threads, which live through a
/// run (Linux: `/proc/self/task/*/schedstat`, by thread name).
struct CpuUse {
    process: Option<Duration>,
    writer: Duration,
    projection: Duration,
    threads_read: bool,
}

impl CpuUse {
    fn now() -> Self {
        let (mut writer, mut projection, mut threads_read) =
            (Duration::ZERO, Duration::ZERO, false);
        if let Ok(tasks) = std::fs::read_dir("/proc/self/task") {
            for task in tasks.flatten() {
                let path = task.path();
                let (Ok(name), Ok(stat)) = (
                    std::fs::read_to_string(path.join("comm")),
                    std::fs::read_to_string(path.join("schedstat")),
                ) else {
                    continue;
                };
                let Some(Ok(nanos)) = stat.split_whitespace().next().map(str::parse::<u64>) else {
                    continue;
                };
                threads_read = true;
                let spent = Duration::from_nanos(nanos);
                // The kernel keeps the first 15 bytes of a thread's name.
                let is = |full: &str| name.trim_end() == &full[..full.len().min(15)];
                if is(threads::WRITER) || is(threads::CHECKPOINT) {
                    writer += spent;
                } else if is(threads::PROJECTOR)
                    || is(threads::DERIVER)
                    || is(threads::DERIVED_CHECKPOINT)
                {
                    projection += spent;
                }
            }
        }
        Self {
            process: stall::process_cpu(),
            writer,
            projection,
            threads_read,
        }
    }
}

/// Who spent the CPU of one phase of a run.
struct CpuSplit {
    total: Duration,
    /// The benchmark's own threads: its clients and its watermark sampler.
    bench: Duration,
    /// The event log's writer and checkpointer threads.
    writer: Duration,
    /// The deriver and projector threads.
    projection: Duration,
}

impl CpuSplit {
    /// From `from` to `to`, the benchmark's threads having taken `bench`.
    fn between(from: &CpuUse, to: &CpuUse, bench: Duration) -> Option<Self> {
        let total = to.process?.checked_sub(from.process?)?;
        (from.threads_read && to.threads_read).then(|| Self {
            total,
            bench,
            writer: to.writer.saturating_sub(from.writer),
            projection: to.projection.saturating_sub(from.projection),
        })
    }

    /// What the receiver's own request handling took: the rest (its connection threads).
    fn receiver(&self) -> Duration {
        self.total
            .saturating_sub(self.bench + self.writer + self.projection)
    }
}

/// CPU time per event of a phase, in all and by who spent it: figures that compare across runs
/// however busy the machine was, and that say what two cores can take (`2 s / total`).
fn print_cpu(prefix: &str, split: Option<&CpuSplit>, events: usize) {
    let Some(split) = split.filter(|_| events > 0) else {
        return;
    };
    let per_event = |d: Duration| d.as_secs_f64() * 1e6 / events as f64;
    println!("{prefix}_cpu_us_per_event: {:.0}", per_event(split.total));
    for (name, spent) in [
        ("bench_clients", split.bench),
        ("receiver", split.receiver()),
        ("writer", split.writer),
        ("projection", split.projection),
    ] {
        println!("{prefix}_cpu_us_per_event_{name}: {:.0}", per_event(spent));
    }
}

/// Receivers sharing the PostgreSQL store in `bench ingest --store`: as many `serve` processes
/// behind a load balancer.
const TEAM_RECEIVERS: usize = 3;

/// `bench ingest --store postgres://…`: the burst and the paced phase against [`TEAM_RECEIVERS`]
/// receivers on the PostgreSQL database, each with its own store (its own writer thread and
/// connection, as in a process of its own), the clients spread over them; and the same two phases
/// against one receiver on SQLite, for the figures beside each other.
fn team_ingest(args: &IngestBench, url: &str) -> Result<()> {
    anyhow::ensure!(
        is_postgres_url(url),
        "--store takes a PostgreSQL URL, postgres://USER:PASSWORD@HOST:PORT/DATABASE"
    );
    let mut scratch = ScratchSchema::create(url)?;
    let dir = tempfile::tempdir().context("temporary directory")?;
    println!("clients: {}", args.clients);
    println!("pg_receivers: {TEAM_RECEIVERS}");
    println!("pg_server_version: {}", scratch.show("server_version")?);
    println!("pg_fsync: {}", scratch.show("fsync")?);
    println!("pg_synchronous_commit: on");

    // Bodies enough for the burst at 20,000 events/s; a phase ends by time, not count.
    let burst_bodies = args.bodies(1_000_000, 20_000 * args.burst_seconds as usize + 1_000);
    let avg = burst_bodies.iter().map(Vec::len).sum::<usize>() / burst_bodies.len();
    println!("body_bytes: {avg}");
    let burst = Pace::For(Duration::from_secs(args.burst_seconds));
    let sqlite = ingest_run(
        &dir.path().join("burst.db"),
        Synchronous::Full,
        args,
        &burst_bodies,
        burst,
    )?
    .run;
    print_run("sqlite_burst", &sqlite);
    // Fresh bodies: the same ones would be answered "duplicate" by a store that has them.
    let burst_bodies = args.bodies(2_000_000, burst_bodies.len());
    let (pg, each) = team_run(&scratch.url, args, &burst_bodies, burst)?;
    print_run("pg_burst", &pg);
    for (i, run) in each.iter().enumerate() {
        print_run(&format!("pg_burst_receiver_{i}"), run);
    }
    println!("pg_burst_vs_sqlite: {:.2}", pg.rate / sqlite.rate);
    drop(burst_bodies);
    let mut acknowledged = pg.count;

    let paced = Pace::Rate(args.rate);
    let n = args.rate * args.rate_seconds as usize;
    let sqlite = ingest_run(
        &dir.path().join("paced.db"),
        Synchronous::Full,
        args,
        &args.bodies(3_000_000, n),
        paced,
    )?
    .run;
    print_run("sqlite_paced", &sqlite);
    let (pg, each) = team_run(&scratch.url, args, &args.bodies(4_000_000, n), paced)?;
    print_run("pg_paced", &pg);
    for (i, run) in each.iter().enumerate() {
        print_run(&format!("pg_paced_receiver_{i}"), run);
    }
    acknowledged += pg.count;
    println!("pg_events_acknowledged: {acknowledged}");
    println!("pg_events_stored: {}", scratch.count_events()?.unwrap_or(0));
    scratch.drop_schema()
}

/// A phase's acknowledged events per second and acknowledgement latency, named `prefix_…`.
fn print_run(prefix: &str, run: &Run) {
    println!("{prefix}_ack_events_per_s: {:.0}", run.rate);
    println!("{prefix}_ack_p50_ms: {:.2}", run.p50);
    println!("{prefix}_ack_p99_ms: {:.2}", run.p99);
}

/// One phase against [`TEAM_RECEIVERS`] receivers on the PostgreSQL database `url`.
fn team_run(
    url: &str,
    args: &IngestBench,
    bodies: &[Vec<u8>],
    pace: Pace,
) -> Result<(Run, Vec<Run>)> {
    let mut stores = Vec::new();
    let mut receivers = Vec::new();
    let mut urls = Vec::new();
    for _ in 0..TEAM_RECEIVERS {
        let store = Arc::new(PgStore::open(url, &StoreOptions::default())?);
        let config = ReceiverConfig::new(
            "127.0.0.1:0",
            vec![Endpoint {
                path: None,
                auth: Auth::Jwt(Secret::new(SECRET)?),
            }],
        );
        let receiver = Receiver::start(config, store.clone())?;
        urls.push(format!("http://{}/bench", receiver.local_addr()));
        receivers.push(receiver);
        stores.push(store);
    }
    let runs = drive_many(&urls, args.clients, bodies, pace);
    for receiver in receivers {
        receiver.shutdown();
    }
    for store in stores {
        if let Ok(store) = Arc::try_unwrap(store) {
            store.close()?;
        }
    }
    runs
}

/// A schema of its own in the benchmark's database, so that the figures start from empty tables
/// and nothing of the database's own is touched; dropped at the end, or when the benchmark fails
/// (unless the user named it: `bench query --schema`).
struct ScratchSchema {
    admin: postgres::Client,
    name: String,
    /// The database's URL with this schema first in the search path.
    url: String,
    /// A schema the user named: never dropped.
    keep: bool,
}

/// `url` with `schema` as the search path of every session.
fn with_search_path(url: &str, schema: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}options=-csearch_path%3D{schema}")
}

impl ScratchSchema {
    fn create(url: &str) -> Result<Self> {
        anyhow::ensure!(
            !url.contains("options="),
            "bench ingest --store sets the URL's options (search_path) itself: give a URL without them"
        );
        let mut admin = logbook_core::store::postgres::client(url)?;
        // Lowercase letters, digits and underscores: an identifier as it is, in SQL and in the URL.
        let name = format!(
            "logbook_bench_{}_{}",
            std::process::id(),
            chrono::Utc::now().timestamp_millis()
        );
        admin
            .batch_execute(&format!("CREATE SCHEMA {name}"))
            .with_context(|| format!("cannot create the benchmark's schema {name}"))?;
        let url = with_search_path(url, &name);
        Ok(Self {
            admin,
            name,
            url,
            keep: false,
        })
    }

    /// The schema `name` (a benchmark's own, made if missing), kept at the end.
    fn named(url: &str, name: &str) -> Result<Self> {
        anyhow::ensure!(
            !url.contains("options="),
            "bench query --store sets the URL's options (search_path) itself: give a URL without them"
        );
        anyhow::ensure!(
            !name.is_empty()
                && name.len() <= 63
                && name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
            "--schema takes a name of lowercase letters, digits and underscores (not starting with a \
             digit, at most 63)"
        );
        let mut admin = logbook_core::store::postgres::client(url)?;
        admin
            .batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {name}"))
            .with_context(|| format!("cannot create the schema {name}"))?;
        Ok(Self {
            admin,
            name: name.to_owned(),
            url: with_search_path(url, name),
            keep: true,
        })
    }

    fn show(&mut self, setting: &str) -> Result<String> {
        Ok(self
            .admin
            .query_one(&format!("SHOW {setting}"), &[])?
            .get(0))
    }

    /// The events stored in the schema's store (`None`: it holds none yet).
    fn count_events(&mut self) -> Result<Option<i64>> {
        let table = format!("{}.events", self.name);
        let made: bool = self
            .admin
            .query_one("SELECT to_regclass($1) IS NOT NULL", &[&table])?
            .get(0);
        if !made {
            return Ok(None);
        }
        Ok(Some(
            self.admin
                .query_one(&format!("SELECT count(*) FROM {table}"), &[])?
                .get(0),
        ))
    }

    /// Brings the planner's statistics of the schema's tables up to date.
    fn analyze(&mut self) -> Result<()> {
        let tables: Vec<String> = self
            .admin
            .query(
                "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')",
                &[&self.name],
            )?
            .iter()
            .map(|row| row.get(0))
            .collect();
        for table in tables {
            self.admin
                .batch_execute(&format!("ANALYZE {}.\"{table}\"", self.name))?;
        }
        Ok(())
    }

    /// What the schema's tables take on disk, with their indexes and TOAST.
    fn bytes(&mut self) -> Result<u64> {
        let bytes: i64 = self
            .admin
            .query_one(
                "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint
                 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = $1 AND c.relkind IN ('r', 'm')",
                &[&self.name],
            )?
            .get(0);
        Ok(bytes as u64)
    }

    /// Drops a scratch schema; keeps one the user named.
    fn finish(self) -> Result<()> {
        if self.keep {
            return Ok(());
        }
        self.drop_schema()
    }

    fn drop_schema(mut self) -> Result<()> {
        self.admin
            .batch_execute(&format!("DROP SCHEMA {} CASCADE", self.name))?;
        self.name.clear();
        Ok(())
    }
}

impl Drop for ScratchSchema {
    fn drop(&mut self) {
        if !self.name.is_empty() && !self.keep {
            let _ = self
                .admin
                .batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
        }
    }
}

/// `logbook bench reindex` on `db` in a process of its own, for its peak memory.
fn reindex_child(db: &Path) -> Result<()> {
    let out = std::process::Command::new(std::env::current_exe()?)
        .args(["bench", "reindex", "--db"])
        .arg(db)
        .output()
        .context("running the reindex benchmark")?;
    anyhow::ensure!(
        out.status.success(),
        "reindex benchmark: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    print!("{}", String::from_utf8_lossy(&out.stdout));
    Ok(())
}

#[derive(Debug, Clone, clap::Args)]
pub struct ReindexBench {
    #[arg(long)]
    pub db: std::path::PathBuf,
}

/// Derives every stored body of `db` again, printing events/s and this process's peak memory.
pub fn reindex(args: &ReindexBench) -> Result<()> {
    let before = peak_rss_kib();
    let started = Instant::now();
    let store = Store::open(
        &args.db,
        StoreOptions {
            rebuild: true,
            ..StoreOptions::default()
        },
    )?;
    let events = store.projection().rebuild_through.unwrap_or(0);
    anyhow::ensure!(
        store.wait_projected(Duration::from_secs(60))?,
        "projection stalled"
    );
    store.close()?;
    let took = started.elapsed().as_secs_f64();
    println!("reindex_events: {events}");
    println!("reindex_events_per_s: {:.0}", events as f64 / took);
    if let (Some(before), Some(after)) = (before, peak_rss_kib()) {
        println!("reindex_peak_rss_mb: {:.1}", after as f64 / 1024.0);
        println!(
            "reindex_peak_rss_growth_mb: {:.1}",
            after.saturating_sub(before) as f64 / 1024.0
        );
    }
    Ok(())
}

#[derive(Debug, Clone, clap::Args)]
pub struct QueryBench {
    /// The database to measure; made (or topped up) with generated traffic to `--events` if needed.
    /// [default: a temporary file]
    #[arg(long)]
    pub db: Option<std::path::PathBuf>,
    /// Events in the database.
    #[arg(long, default_value_t = 1_000_000)]
    pub events: u64,
    /// Queries per measurement.
    #[arg(long, default_value_t = 200)]
    pub samples: usize,
    /// Measure a PostgreSQL store instead (postgres://USER:PASSWORD@HOST:PORT/DATABASE): the same
    /// queries, through the same query code, under the same figure names. The benchmark makes a
    /// scratch schema of its own in that database, fills it with `--events` generated events and
    /// drops it at the end, so nothing of the database's own is read or touched (the user needs the
    /// right to create schemas there).
    #[arg(long, value_name = "URL", conflicts_with = "db")]
    pub store: Option<String>,
    /// With --store: measure the store in this schema instead (created if missing, topped up with
    /// generated events to `--events`, and kept), to measure again without filling it again. Give
    /// a schema of its own for benchmarks: generated events are added to it.
    #[arg(long, value_name = "NAME", requires = "store")]
    pub schema: Option<String>,
}

/// A small deterministic generator for picking samples (the same picks on every run).
struct Picker(u64);

impl Picker {
    fn next(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

fn percentiles(name: &str, mut latencies: Vec<Duration>) {
    println!(
        "{name}_p50_ms: {:.2}",
        send::percentile_ms(&mut latencies, 50.0)
    );
    println!(
        "{name}_p99_ms: {:.2}",
        send::percentile_ms(&mut latencies, 99.0)
    );
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let started = Instant::now();
    let out = f();
    (out, started.elapsed())
}

pub fn query(args: &QueryBench) -> Result<()> {
    if let Some(url) = &args.store {
        return team_query(args, url);
    }
    let dir = tempfile::tempdir()?;
    let db = args
        .db
        .clone()
        .unwrap_or_else(|| dir.path().join("bench.db"));
    fill_database(&db, args.events)?;
    let conn = logbook_core::store::open_reader(&db)?;
    print_database_size((&conn).into(), std::fs::metadata(&db)?.len())?;
    let inputs = QueryInputs::sample((&conn).into())?;
    run_queries((&conn).into(), &inputs, args.samples)?;
    run_exports(&Exported::Sqlite(&db))?;
    drop(conn);
    reindex_child(&db)
}

/// `bench query --store`: the same figures on a PostgreSQL store, in a scratch schema (or the one
/// `--schema` names), filled through the store's own writer and projector ([`crate::fill`]) when
/// it holds fewer than `--events`. There is no `reindex` figure: the projector's rate is printed
/// when the benchmark fills the store.
fn team_query(args: &QueryBench, url: &str) -> Result<()> {
    anyhow::ensure!(
        is_postgres_url(url),
        "--store takes a PostgreSQL URL, postgres://USER:PASSWORD@HOST:PORT/DATABASE"
    );
    let mut schema = match &args.schema {
        Some(name) => ScratchSchema::named(url, name)?,
        None => ScratchSchema::create(url)?,
    };
    println!("pg_server_version: {}", schema.show("server_version")?);
    println!("pg_schema: {}", schema.name);
    let existing = schema.count_events()?.unwrap_or(0) as u64;
    let missing = args.events.saturating_sub(existing);
    // Also with nothing missing: opening the store brings its schema up to this version, and the
    // figures are taken once every stored event is projected, as on SQLite.
    let filled = crate::fill::into_postgres(
        &schema.url,
        month_of_traffic(existing, missing),
        &|_| {},
        &|_| {},
    )?;
    if missing > 0 {
        println!("generated_events: {}", filled.stored);
        println!("store_events_per_s: {:.0}", filled.stored_per_s());
        println!(
            "generate_and_store_events_per_s: {:.0}",
            filled.projected_per_s()
        );
        if let Some(rate) = filled.projected_alone_per_s() {
            println!("project_after_storing_events_per_s: {rate:.0}");
        }
    }
    let reader = logbook_core::query::PgReader::connect(&schema.url)?;
    // Fresh statistics for the planner, as autovacuum would give them some time after a fill.
    schema.analyze()?;
    print_database_size((&reader).into(), schema.bytes()?)?;
    let inputs = QueryInputs::sample((&reader).into())?;
    run_queries((&reader).into(), &inputs, args.samples)?;
    run_exports(&Exported::Postgres(&schema.url))?;
    drop(reader);
    schema.finish()
}

/// `missing` generated events of a month of traffic ending now, following `existing` ones (their
/// seed moves on, so a top-up adds new events rather than the same ones again).
fn month_of_traffic(existing: u64, missing: u64) -> impl Iterator<Item = Vec<u8>> {
    let span = chrono::Duration::days(30);
    let options = crate::generate::GenerateOptions {
        seed: 7 + existing,
        start: chrono::Utc::now() - span,
        span,
    };
    crate::generate::Generator::with_event_count(options, missing).take(missing as usize)
}

/// Tops the database up with generated traffic (a month of it, ending now) to `events` events.
fn fill_database(db: &Path, events: u64) -> Result<()> {
    let existing: u64 = if db.exists() {
        logbook_core::store::open_reader(db)?
            .query_row("SELECT count(*) FROM events", [], |r| r.get::<_, i64>(0))? as u64
    } else {
        0
    };
    // Opening the store brings its derived data (and rollups) up to this version.
    let store = Store::open(db, StoreOptions::default())?;
    if existing < events {
        let bodies = month_of_traffic(existing, events - existing);
        let (report, took) =
            timed(|| logbook_core::import::import_bodies(&store, "generated", bodies, &|_| {}));
        let report = report?;
        println!("generated_events: {}", report.stored);
        println!(
            "generate_and_store_events_per_s: {:.0}",
            report.stored as f64 / took.as_secs_f64()
        );
    }
    anyhow::ensure!(
        store.wait_projected(std::time::Duration::from_secs(60))?,
        "projection stalled"
    );
    store.close()?;
    Ok(())
}

/// Events, and the bytes they take raw and in the database (`db_bytes`).
fn print_database_size(db: Db<'_>, db_bytes: u64) -> Result<()> {
    let (events, raw_bytes): (i64, i64) = db.row(
        &format!(
            "SELECT count(*), coalesce(sum({}), 0) FROM events e",
            db.dialect().body_bytes("e")
        ),
        &[],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let db_bytes = db_bytes as f64;
    println!("events: {events}");
    println!(
        "raw_body_bytes_per_event: {:.0}",
        raw_bytes as f64 / events as f64
    );
    println!("database_bytes_per_event: {:.0}", db_bytes / events as f64);
    println!("database_to_raw_ratio: {:.2}", db_bytes / raw_bytes as f64);
    Ok(())
}

/// What to ask: words people typed, real sessions and calls, intents, drawn deterministically.
struct QueryInputs {
    words: Vec<String>,
    sessions: Vec<String>,
    calls: Vec<String>,
    intents: Vec<String>,
}

impl QueryInputs {
    /// The same SQL on both stores; rows in a stated order, so a run picks what the last one did.
    fn sample(db: Db<'_>) -> Result<Self> {
        let texts = spread(
            db,
            "SELECT user_text FROM messages WHERE user_text <> ''",
            "event_id",
            97,
        )?;
        let words: Vec<String> = texts
            .iter()
            .flat_map(|t| {
                t.split_whitespace().map(|w| {
                    w.trim_matches(|c: char| !c.is_alphanumeric())
                        .to_lowercase()
                })
            })
            .filter(|w| w.len() >= 4)
            .collect();
        let sessions = spread(
            db,
            "SELECT session_id FROM conversations WHERE session_id IS NOT NULL",
            "first_event_id",
            53,
        )?;
        let calls = spread(
            db,
            "SELECT global_session_id FROM calls WHERE global_session_id IS NOT NULL",
            "event_id",
            13,
        )?;
        let intents = collect_strings(
            db,
            "SELECT intent FROM message_intents GROUP BY intent ORDER BY min(event_id) LIMIT 200",
        )?;
        anyhow::ensure!(
            !words.is_empty() && !sessions.is_empty() && !calls.is_empty(),
            "the database has no traffic to query"
        );
        Ok(QueryInputs {
            words,
            sessions,
            calls,
            intents,
        })
    }
}

/// Up to 2,000 values of `select` (a query ending in a `WHERE` condition) spread over the store:
/// those whose `column` (an event id) is a multiple of `every`, in its order. A small store may have
/// no such row (and PostgreSQL's ids have gaps, so which ids exist differs from run to run): then
/// the first ones, rather than nothing to query.
fn spread(db: Db<'_>, select: &str, column: &str, every: u32) -> Result<Vec<String>> {
    let spread = collect_strings(
        db,
        &format!("{select} AND {column} % {every} = 0 ORDER BY {column} LIMIT 2000"),
    )?;
    if !spread.is_empty() {
        return Ok(spread);
    }
    collect_strings(db, &format!("{select} ORDER BY {column} LIMIT 2000"))
}

/// Times each kind of query `samples` times and prints its percentiles.
fn run_queries(conn: Db<'_>, inputs: &QueryInputs, samples: usize) -> Result<()> {
    use logbook_core::query::search::{self, Search};
    let mut pick = Picker(0x9E37_79B9_7F4A_7C15);
    let page = |q: String, facets: bool| Search {
        query: q,
        cursor: None,
        limit: search::DEFAULT_LIMIT,
        facets,
        // As the lists on screen ask: a free-text search's rows say where they matched.
        hits: true,
    };
    let mut run = |name: &str, f: &mut dyn FnMut(&mut Picker) -> Result<()>| -> Result<()> {
        let mut latencies = Vec::with_capacity(samples);
        let mut over_deadline = 0;
        for _ in 0..samples {
            let (result, took) = timed(|| f(&mut pick));
            match result {
                Ok(()) => {}
                // A query past its deadline is answered so ("narrow it down"): it counts, at the
                // time it took, and is said; the benchmark goes on.
                Err(err)
                    if matches!(
                        err.downcast_ref::<logbook_core::query::QueryError>(),
                        Some(logbook_core::query::QueryError::Timeout(_))
                    ) =>
                {
                    over_deadline += 1
                }
                Err(err) => return Err(err),
            }
            latencies.push(took);
        }
        percentiles(name, latencies);
        if over_deadline > 0 {
            println!("{name}_over_deadline: {over_deadline}");
        }
        Ok(())
    };
    run("search_free_text", &mut |p| {
        search::events(
            conn,
            &page(inputs.words[p.next(inputs.words.len())].clone(), false),
        )?;
        Ok(())
    })?;
    let qualifiers = [
        "end_reason:failed",
        "custom.account_verified:true",
        "duration>120s",
        "warning:CWSMR0070W",
        "failed:true transferred:true",
    ];
    run("search_qualifiers", &mut |p| {
        match p.next(3) {
            0 => search::calls(
                conn,
                &page(qualifiers[p.next(qualifiers.len())].into(), false),
                false,
            )
            .map(|_| ())?,
            1 => search::messages(
                conn,
                &page(
                    format!("intent:{}", inputs.intents[p.next(inputs.intents.len())]),
                    false,
                ),
                false,
            )
            .map(|_| ())?,
            _ => search::conversations(conn, &page("channel:phone turns>=4".into(), false))
                .map(|_| ())?,
        }
        Ok(())
    })?;
    run("search_combined_with_facets", &mut |p| {
        let word = &inputs.words[p.next(inputs.words.len())];
        match p.next(2) {
            0 => search::events(
                conn,
                &page(format!("{word} after:14d -kind:rejected"), true),
            )
            .map(|_| ())?,
            _ => search::calls(conn, &page(format!("{word} duration>30s"), true), false)
                .map(|_| ())?,
        }
        Ok(())
    })?;
    run("open_conversation", &mut |p| {
        logbook_core::query::conversation::conversation(
            conn,
            &inputs.sessions[p.next(inputs.sessions.len())],
        )?;
        Ok(())
    })?;
    run("open_call", &mut |p| {
        logbook_core::query::call::call(conn, &inputs.calls[p.next(inputs.calls.len())])?;
        Ok(())
    })?;
    // The Trends view as it opens on "Last 30 days": every figure of the month, exact; from the
    // hourly rollups, and (fewer times) from the derived rows alone, for comparison.
    use logbook_core::query::trends;
    let request = trends::TrendsRequest {
        query: "after:30d".into(),
        ..Default::default()
    };
    // (On PostgreSQL, which keeps no rollups, both are computed from the derived rows.)
    type Compute = fn(
        Db<'_>,
        &trends::TrendsRequest,
        chrono::DateTime<chrono::Utc>,
    ) -> Result<trends::Trends, logbook_core::query::QueryError>;
    for (name, runs, compute) in [
        (
            "trends_30d",
            TRENDS_SAMPLES,
            (|conn, request, now| trends::trends(conn, request, now)) as Compute,
        ),
        (
            "trends_30d_without_rollups",
            TRENDS_SAMPLES / 4,
            |conn, request, now| trends::trends_without_rollups(conn, request, now),
        ),
    ] {
        let mut latencies = Vec::new();
        for _ in 0..samples.clamp(1, runs) {
            let (result, took) = timed(|| compute(conn, &request, chrono::Utc::now()));
            match result {
                Ok(_) => latencies.push(took),
                // Past the query deadline: said, and the benchmark goes on.
                Err(logbook_core::query::QueryError::Timeout(ms)) => {
                    println!("{name}: over the {ms} ms query deadline");
                    break;
                }
                Err(e) => return Err(e.into()),
            }
        }
        if !latencies.is_empty() {
            percentiles(name, latencies);
        }
    }
    Ok(())
}

/// The Trends page reads the whole range each time: fewer samples than the page-sized queries.
const TRENDS_SAMPLES: usize = 20;

/// The store an export reads.
enum Exported<'a> {
    Sqlite(&'a Path),
    /// Its URL, handed to the child in `LOGBOOK_STORE`, not on its command line (which `ps` shows).
    Postgres(&'a str),
}

/// Exports run in a child process each, so that its peak memory is the export's own.
fn run_exports(store: &Exported<'_>) -> Result<()> {
    let exe = std::env::current_exe()?;
    for (kind, format) in [("messages", "ndjson"), ("calls", "csv"), ("raw", "ndjson")] {
        let mut child = std::process::Command::new(&exe);
        child.args(["bench", "export", "--kind", kind, "--format", format]);
        match store {
            Exported::Sqlite(db) => child.arg("--db").arg(db).env_remove("LOGBOOK_STORE"),
            Exported::Postgres(url) => child.env("LOGBOOK_STORE", url),
        };
        let out = child.output()?;
        anyhow::ensure!(
            out.status.success(),
            "export child failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        print!("{}", String::from_utf8_lossy(&out.stdout));
    }
    Ok(())
}

fn collect_strings(db: Db<'_>, sql: &str) -> Result<Vec<String>> {
    Ok(db.rows(sql, &[], |r| r.get::<_, String>(0))?)
}

#[derive(Debug, Clone, clap::Args)]
pub struct ExportBench {
    #[arg(long, required_unless_present = "store")]
    pub db: Option<std::path::PathBuf>,
    /// A PostgreSQL store instead.
    #[arg(
        long,
        env = "LOGBOOK_STORE",
        hide_env_values = true,
        conflicts_with = "db"
    )]
    pub store: Option<String>,
    #[arg(long)]
    pub kind: logbook_core::export::Kind,
    #[arg(long)]
    pub format: logbook_core::export::Format,
}

/// Counts what an export writes without keeping it.
struct CountingSink(u64);

impl std::io::Write for CountingSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// One export to nowhere, printing rows, MB/s and this process's peak memory.
pub fn export(args: &ExportBench) -> Result<()> {
    let reader = match (&args.store, &args.db) {
        (Some(url), _) => Reader::Postgres(logbook_core::query::PgReader::connect(url)?),
        (None, Some(db)) => Reader::Sqlite(logbook_core::store::open_reader(db)?),
        (None, None) => anyhow::bail!("bench export needs --db or --store"),
    };
    let before = peak_rss_kib();
    let mut sink = CountingSink(0);
    let (rows, took) = timed(|| {
        logbook_core::export::export(reader.db(), args.kind, "", args.format, &mut sink, &|_| {})
    });
    let rows = rows?;
    let name = format!(
        "export_{}_{}",
        serde_json::to_value(args.kind)?.as_str().unwrap_or("?"),
        serde_json::to_value(args.format)?.as_str().unwrap_or("?")
    );
    println!("{name}_rows: {rows}");
    println!("{name}_mb: {:.1}", sink.0 as f64 / 1e6);
    println!(
        "{name}_mb_per_s: {:.1}",
        sink.0 as f64 / 1e6 / took.as_secs_f64()
    );
    if let (Some(before), Some(after)) = (before, peak_rss_kib()) {
        println!("{name}_peak_rss_mb: {:.1}", after as f64 / 1024.0);
        println!(
            "{name}_peak_rss_growth_mb: {:.1}",
            after.saturating_sub(before) as f64 / 1024.0
        );
    }
    Ok(())
}

/// The process's peak resident memory (Linux), KiB.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[derive(Debug, Clone, clap::Args)]
pub struct StartupBench {
    /// Events in the database that `serve` and the app open (generated first).
    #[arg(long, default_value_t = 100_000)]
    pub events: u64,
    /// How long each stays idle after its first list before its memory is read, seconds.
    #[arg(long, default_value_t = 5)]
    pub idle_seconds: u64,
    /// The desktop app's binary [default: `logbook-desktop` beside this `logbook`].
    #[arg(long, value_name = "PATH")]
    pub app: Option<std::path::PathBuf>,
    /// Measure `serve` only.
    #[arg(long)]
    pub no_app: bool,
}

/// How long a process has to reach its first list before the benchmark gives up.
const STARTUP_TIMEOUT_MS: u64 = 60_000;

/// `logbook bench startup`: a cold start to the first list, and the memory at rest, of `logbook
/// serve` and of the desktop app, each a new process on a database of generated traffic, in a
/// private home (the user's own database and settings are never touched). `serve`'s first list is
/// the Live view's first request (`/api/events`, 200 rows) answered over HTTP; the app's is the
/// first list its window asks for, answered over IPC (the app's `LOGBOOK_STARTUP_TRACE` mark). The
/// file cache is warm (the database was just written): this is the process's start, not the disk's.
pub fn startup(args: &StartupBench) -> Result<()> {
    let dir = tempfile::tempdir().context("temporary directory")?;
    let home = Home::new(dir.path())?;
    let logbook = std::env::current_exe().context("this logbook's path")?;
    // The default database of the private home, the one both open without being told.
    let generated = home
        .command(&logbook)
        .args(["generate", "--events", &args.events.to_string()])
        .output()
        .context("generating traffic")?;
    anyhow::ensure!(
        generated.status.success(),
        "logbook generate: {}",
        String::from_utf8_lossy(&generated.stderr)
    );
    println!("events: {}", args.events);
    let idle = Duration::from_secs(args.idle_seconds);
    println!("idle_seconds: {}", args.idle_seconds);

    serve_startup(&logbook, &home, idle)?;

    if args.no_app {
        return Ok(());
    }
    let app = args
        .app
        .clone()
        .unwrap_or_else(|| logbook.with_file_name("logbook-desktop"));
    anyhow::ensure!(
        app.is_file(),
        "no desktop app at {} (build it: `make package` or `cargo build --release -p logbook-desktop`; \
         or give --app PATH, or --no-app)",
        app.display()
    );
    anyhow::ensure!(
        std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some(),
        "the desktop app needs a display: run this under `xvfb-run -a` (or give --no-app)"
    );
    app_startup(&app, &home, idle)
}

/// A private home for the processes measured: HOME and the XDG directories.
struct Home {
    home: std::path::PathBuf,
    config: std::path::PathBuf,
    data: std::path::PathBuf,
    cache: std::path::PathBuf,
}

impl Home {
    fn new(dir: &Path) -> Result<Self> {
        let home = dir.join("home");
        let me = Self {
            config: home.join(".config"),
            data: home.join(".local/share"),
            cache: home.join(".cache"),
            home,
        };
        for d in [&me.config, &me.data, &me.cache] {
            std::fs::create_dir_all(d)?;
        }
        Ok(me)
    }

    fn command(&self, program: &Path) -> std::process::Command {
        let mut command = std::process::Command::new(program);
        command
            .env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", &self.config)
            .env("XDG_DATA_HOME", &self.data)
            .env("XDG_CACHE_HOME", &self.cache);
        command
    }
}

fn serve_startup(logbook: &Path, home: &Home, idle: Duration) -> Result<()> {
    use std::io::BufRead;
    let started = Instant::now();
    let mut child = home
        .command(logbook)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--ui-listen",
            "127.0.0.1:0",
        ])
        .args(["--auth", "none", "--quiet"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .context("starting logbook serve")?;
    let guard = Stop(child.id());
    let mut open = None;
    for line in std::io::BufReader::new(child.stdout.take().expect("piped")).lines() {
        let line = line?;
        if let Some(url) = line.trim().strip_prefix("open ") {
            open = Some(url.trim().to_owned());
        }
        if line.starts_with("Ctrl-C stops") {
            break;
        }
    }
    let open = open.context("serve printed no UI address")?;
    let (base, token) = open
        .split_once("/?token=")
        .context("serve's UI address has no token")?;
    let answer = send::agent()
        .get(&format!("{base}/api/events?limit=200"))
        .set("Authorization", &format!("Bearer {token}"))
        .call()
        .context("serve's first list")?;
    let page: serde_json::Value = serde_json::from_str(&answer.into_string()?)?;
    let rows = page["items"].as_array().map_or(0, Vec::len);
    println!(
        "serve_first_list_ms: {:.0}",
        started.elapsed().as_secs_f64() * 1000.0
    );
    println!("serve_first_list_rows: {rows}");
    std::thread::sleep(idle);
    let memory = tree_memory(child.id())?;
    println!("serve_idle_rss_mb: {:.1}", memory.rss_kib as f64 / 1024.0);
    println!("serve_idle_pss_mb: {:.1}", memory.pss_kib as f64 / 1024.0);
    drop(guard);
    child.wait()?;
    Ok(())
}

fn app_startup(app: &Path, home: &Home, idle: Duration) -> Result<()> {
    use std::io::BufRead;
    // Settings of a second launch (a first one opens the Status view, not a list), with the
    // receiver on a free port: the benchmark must not take the default 7420 from a running serve.
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let config = home.config.join("dev.assistant-logbook.desktop");
    std::fs::create_dir_all(&config)?;
    std::fs::write(
        config.join("settings.json"),
        serde_json::json!({
            "port": port,
            "endpoints": [{"id": "default", "path": null, "mode": "none"}],
            "max_body_bytes": logbook_core::config::DEFAULT_MAX_BODY_BYTES,
            "retention": {"rejections_kept": logbook_core::store::DEFAULT_REJECTIONS_KEPT},
        })
        .to_string(),
    )?;
    let started = Instant::now();
    let mut child = home
        .command(app)
        .env("LOGBOOK_STARTUP_TRACE", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {}", app.display()))?;
    let guard = Stop(child.id());
    let (marks, lines) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().expect("piped");
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = marks.send((started.elapsed(), line));
        }
    });
    let deadline = started + Duration::from_millis(STARTUP_TIMEOUT_MS);
    let mut said = Vec::new();
    let first_list = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok((at, line)) if line.starts_with("startup: first list answered") => break at,
            Ok((_, line)) => said.push(line),
            Err(_) => anyhow::bail!(
                "the app showed no list within {STARTUP_TIMEOUT_MS} ms; it said:\n{}",
                said.join("\n")
            ),
        }
    };
    println!(
        "app_first_list_ms: {:.0}",
        first_list.as_secs_f64() * 1000.0
    );
    std::thread::sleep(idle);
    let memory = tree_memory(child.id())?;
    println!("app_processes: {}", memory.processes);
    println!("app_idle_rss_mb: {:.1}", memory.rss_kib as f64 / 1024.0);
    println!("app_idle_pss_mb: {:.1}", memory.pss_kib as f64 / 1024.0);
    drop(guard);
    child.wait()?;
    Ok(())
}

/// Sends SIGTERM to a process when dropped (the measured processes quit cleanly on it).
struct Stop(u32);

impl Drop for Stop {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.0.to_string()])
            .status();
    }
}

/// The memory of a process and its descendants (the app's WebKit web and network processes).
struct TreeMemory {
    processes: usize,
    /// Resident memory summed: pages shared between the processes count once per process.
    rss_kib: u64,
    /// Proportional set size summed: a shared page is split between the processes sharing it, so
    /// the sum is what the tree costs the machine.
    pss_kib: u64,
}

fn tree_memory(root: u32) -> Result<TreeMemory> {
    let mut parents = Vec::new();
    for entry in std::fs::read_dir("/proc")? {
        let name = entry?.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        // `pid (comm) state ppid …`: comm may hold spaces and parentheses, so read after the last `)`.
        if let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            && let Some(ppid) = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|p| p.parse::<u32>().ok())
        {
            parents.push((pid, ppid));
        }
    }
    let mut tree = vec![root];
    let mut i = 0;
    while i < tree.len() {
        let parent = tree[i];
        tree.extend(
            parents
                .iter()
                .filter(|(_, p)| *p == parent)
                .map(|(c, _)| *c),
        );
        i += 1;
    }
    let mut memory = TreeMemory {
        processes: 0,
        rss_kib: 0,
        pss_kib: 0,
    };
    for pid in tree {
        let Ok(rollup) = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")) else {
            continue;
        };
        let field = |name: &str| -> u64 {
            rollup
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        memory.processes += 1;
        memory.rss_kib += field("Rss:");
        memory.pss_kib += field("Pss:");
    }
    Ok(memory)
}
