//! `logbook bench`: the devtools' measurements.

use anyhow::Result;

use logbook_devtools::bench;

use crate::args::BenchCommand;

pub fn run(what: BenchCommand) -> Result<()> {
    match what {
        BenchCommand::Ingest(args) => bench::ingest(&args),
        BenchCommand::Query(args) => bench::query(&args),
        BenchCommand::Export(args) => bench::export(&args),
        BenchCommand::Reindex(args) => bench::reindex(&args),
        BenchCommand::Startup(args) => bench::startup(&args),
    }
}
