//! `logbook stats`: counts of what the store holds, and each forwarding downstream's outbox.

use anyhow::Result;

use logbook_core::query::event;
use logbook_core::store::postgres;

use super::sqlite_reader;
use crate::args::{OutputFormat, StatsArgs};
use crate::render::{detail, rows::print_json};

pub fn run(args: StatsArgs) -> Result<()> {
    if let Some(url) = &args.store.url {
        return team(&args, url);
    }
    let conn = sqlite_reader(&args.store.db)?;
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

/// `stats --store postgres://…`: the team store's counts and its projection lag.
fn team(args: &StatsArgs, url: &str) -> Result<()> {
    super::team_store(url, &args.store.db)?;
    let s = postgres::stats(url)?;
    if args.format == OutputFormat::Table {
        Ok(detail::team_stats(&mut std::io::stdout().lock(), &s)?)
    } else {
        print_json(&s)
    }
}
