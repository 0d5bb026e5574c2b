//! `logbook diff`: the structural JSON diff of two stored bodies (the core's, as the UI's Compare
//! view shows it).

use anyhow::Result;

use logbook_core::query::compare::compare;

use super::reader;
use crate::args::{DiffArgs, OutputFormat};
use crate::render::{detail, rows::print_json};

pub fn run(args: DiffArgs) -> Result<()> {
    let reader = reader(&args.store)?;
    let conn = reader.db();
    let comparison = compare(conn, &args.left, &args.right)?;
    if args.format == OutputFormat::Table {
        detail::comparison(&mut std::io::stdout().lock(), &comparison)?;
        Ok(())
    } else {
        print_json(&comparison)
    }
}
