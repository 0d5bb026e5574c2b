//! `logbook team`: setting up a PostgreSQL database for team mode.

use anyhow::Result;

use logbook_core::store::postgres::roles::{self, Roles};

use crate::args::{RolesArgs, TeamCommand};

pub fn run(what: TeamCommand) -> Result<()> {
    match what {
        TeamCommand::Roles(args) => grant(args),
    }
}

/// The GRANT script on standard output (a psql script); with `--apply`, run first, and said so on
/// standard error. The URL's password is never printed.
fn grant(args: RolesArgs) -> Result<()> {
    let granted = roles::grant(
        &args.store,
        &Roles {
            receiver: args.receiver,
            reader: args.reader,
            projector: args.projector,
        },
        args.apply,
    )?;
    print!("{}", granted.sql);
    for warning in &granted.warnings {
        eprintln!("warning: {warning}");
    }
    if granted.applied {
        eprintln!("granted at {}", granted.target);
    } else {
        eprintln!(
            "not applied: run it with psql as the owner of Logbook's tables, or again with --apply"
        );
    }
    Ok(())
}
