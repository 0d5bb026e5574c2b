//! `logbook export`: the rows of a query, streamed to a file or standard output.

use std::io::Write;

use anyhow::{Context, Result};

use logbook_core::export;

use super::{query_error, reader};
use crate::args::ExportArgs;
use crate::render;

pub fn run(args: ExportArgs) -> Result<()> {
    let reader = reader(&args.store)?;
    let conn = reader.db();
    let format = args.format.unwrap_or(match args.kind {
        export::Kind::Raw => export::Format::Ndjson,
        _ => export::Format::Csv,
    });
    let bar = render::row_counter();
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let rows = export::export(conn, args.kind, &args.query, format, &mut out, &|n| {
        bar.set_position(n)
    })
    .map_err(|e| query_error(e, &args.query))?;
    bar.finish_and_clear();
    eprintln!("exported {rows} rows");
    Ok(())
}
