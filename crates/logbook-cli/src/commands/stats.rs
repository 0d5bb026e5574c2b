//! `logbook stats`: counts of what the store holds, and each forwarding downstream's outbox.

use anyhow::Result;

use logbook_core::query::event;

use super::reader;
use crate::args::{OutputFormat, StatsArgs};
use crate::render::{detail, rows::print_json};

pub fn run(args: StatsArgs) -> Result<()> {
    let conn = reader(&args.db)?;
    let s = event::stats(&conn)?;
    if args.format == OutputFormat::Table {
        Ok(detail::stats(
            &mut std::io::stdout().lock(),
            &s,
            chrono::Utc::now().timestamp_millis(),
        )?)
    } else {
        print_json(&s)
    }
}
