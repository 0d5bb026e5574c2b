//! `logbook generate`: realistic synthetic traffic, into a database or as NDJSON.

use std::io::Write;

use anyhow::{Context, Result};

use logbook_core::store::{Store, StoreOptions};

use crate::args::GenerateArgs;
use crate::render;

pub fn run(args: GenerateArgs) -> Result<()> {
    use logbook_devtools::generate::{GenerateOptions, Generator};
    let span = chrono::Duration::days(args.days.max(1));
    let options = GenerateOptions::ending_at(args.seed, span, args.events, chrono::Utc::now());
    let bodies = Generator::with_event_count(options, args.events).take(args.events as usize);
    let bar = render::progress_bar(args.events, "events");
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
