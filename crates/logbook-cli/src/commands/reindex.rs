//! `logbook reindex`: every derived row made again from the stored bodies, with a progress bar.
//! It holds the database as its writer, so `serve` and the app must be stopped first (a newer
//! Logbook rebuilds by itself, in the background, while it receives).

use std::time::{Duration, Instant};

use anyhow::{Result, bail};

use logbook_core::store::StoreOptions;
use logbook_core::store::stall::StallWatch;

use crate::args::ReindexArgs;
use crate::render;

/// Projection making no progress this long, with the CPU to make it, means something is wrong (the
/// disk is full, say): see `logbook_core::store::stall`.
const STALL: Duration = Duration::from_secs(30);

pub fn run(args: ReindexArgs) -> Result<()> {
    let db = args.db.path();
    if !db.exists() {
        bail!("no database at {}", db.display());
    }
    let started = Instant::now();
    let store = super::open_store(
        &db,
        StoreOptions {
            rebuild: true,
            ..StoreOptions::default()
        },
    )?;
    let target = store.projection().rebuild_through.unwrap_or(0);
    let bar = render::progress_bar(target.max(0) as u64, "events");
    let mut watch = StallWatch::new(STALL, store.projection().working_through);
    loop {
        let state = store.projection();
        bar.set_position(state.projected_through.max(0) as u64);
        if state.rebuild_through.is_none() {
            break;
        }
        if let Some(stalled) = watch.check(state.working_through) {
            bar.abandon();
            bail!(
                "reindexing stopped at event {} of {target}: {stalled}; it goes on where it stopped the next time the store opens",
                state.projected_through
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    bar.finish_and_clear();
    store.close()?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "derived {target} events again in {secs:.1} s ({:.0} events/s) in {}",
        target as f64 / secs.max(0.001),
        db.display()
    );
    Ok(())
}
