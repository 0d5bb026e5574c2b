//! `logbook show`: one conversation, call or event whole.

use anyhow::Result;

use logbook_core::query::{call, conversation, event};

use super::reader;
use crate::args::{OutputFormat, ShowArgs, ShowKind};
use crate::render::{detail, rows::print_json};

pub fn run(args: ShowArgs) -> Result<()> {
    let reader = reader(&args.store)?;
    let conn = reader.db();
    let table = args.format == OutputFormat::Table;
    match args.what {
        ShowKind::Event => {
            let e = event::event(conn, &args.id)?;
            if !table {
                return print_json(&e);
            }
            detail::event(&mut std::io::stdout().lock(), &e)
        }
        ShowKind::Conversation => {
            let c = conversation::conversation(conn, &args.id)?;
            if !table {
                return print_json(&c);
            }
            Ok(detail::conversation(&mut std::io::stdout().lock(), &c)?)
        }
        ShowKind::Call => {
            let c = call::call(conn, &args.id)?;
            if !table {
                return print_json(&c);
            }
            Ok(detail::call(&mut std::io::stdout().lock(), &c)?)
        }
    }
}
