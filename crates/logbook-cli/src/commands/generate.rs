//! `logbook generate`: realistic synthetic traffic, into a database or as NDJSON.

use std::io::Write;

use anyhow::{Context, Result};

use logbook_core::store::StoreOptions;

use crate::args::GenerateArgs;
use crate::render;

pub fn run(args: GenerateArgs) -> Result<()> {
    use logbook_devtools::generate::{GenerateOptions, Generator};
    let span = chrono::Duration::days(args.days.max(1));
    let options = GenerateOptions::ending_at(args.seed, span, args.events, chrono::Utc::now());
    let bodies = Generator::with_event_count(options, args.events).take(args.events as usize);
    // A file instead of a store, whichever store LOGBOOK_STORE names.
    if let (Some(url), None) = (&args.store.url, &args.output) {
        super::team_store(url, &args.store.db)?;
        return into_postgres(url, bodies, args.events);
    }
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
    let db = args.store.db.path();
    let store = super::open_store(&db, StoreOptions::default())?;
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
    super::say_if_not_derived(report.projected, "the generated events");
    Ok(())
}

/// Into a team's store ([`logbook_devtools::fill`]), a progress bar for storing, then one for
/// projecting; prints the rate of each.
fn into_postgres(url: &str, bodies: impl Iterator<Item = Vec<u8>>, events: u64) -> Result<()> {
    let stored_bar = render::progress_bar(events, "events stored");
    let projected_bar = std::cell::OnceCell::new();
    let filled =
        logbook_devtools::fill::into_postgres(url, bodies, &|n| stored_bar.set_position(n), &|n| {
            projected_bar
                .get_or_init(|| {
                    stored_bar.finish_and_clear();
                    render::progress_bar(events, "events projected")
                })
                .set_position(n)
        });
    stored_bar.finish_and_clear();
    if let Some(bar) = projected_bar.get() {
        bar.finish_and_clear();
    }
    let filled = filled?;
    println!(
        "stored {} events into {} in {:.1} s: {:.0} events/s{}",
        filled.stored,
        filled.target,
        filled.storing.as_secs_f64(),
        filled.stored_per_s(),
        if filled.duplicates > 0 {
            format!(
                "; {} were stored already (the same --seed gives the same events)",
                filled.duplicates
            )
        } else {
            String::new()
        }
    );
    println!(
        "projected them {:.1} s after storing began: {:.0} events/s, storing and projecting at once{}",
        filled.projecting.as_secs_f64(),
        filled.projected_per_s(),
        match filled.projected_alone_per_s() {
            Some(rate) => format!(
                "; the projector alone, after storing ended: {} events, {rate:.0} events/s",
                filled.projected_after_storing
            ),
            None => String::new(),
        }
    );
    Ok(())
}
