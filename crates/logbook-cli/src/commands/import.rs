//! `logbook import`: webhook bodies from files, without HTTP.

use anyhow::Result;

use logbook_core::store::StoreOptions;

use crate::args::ImportArgs;
use crate::render;

pub fn run(args: ImportArgs) -> Result<()> {
    let db = args.db.path();
    let store = super::open_store(&db, StoreOptions::default())?;
    let total: u64 = args
        .files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let bar = render::progress_bar(total, "bytes");
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
    super::say_if_not_derived(report.projected, "the imported events");
    Ok(())
}
