//! `logbook search`: one page of events, messages, calls or conversations matching a query, with
//! the cursor of the next page and, if asked, the facet counts (both on standard error).

use anyhow::Result;

use logbook_core::query::QueryError;
use logbook_core::query::search::{self, Facet, Search};

use super::{query_error, reader};
use crate::args::{ListKind, OutputFormat, SearchArgs};
use crate::render::lists;

pub fn run(args: SearchArgs) -> Result<()> {
    let reader = reader(&args.store)?;
    let conn = reader.db();
    let request = Search {
        query: args.query.clone(),
        cursor: args.cursor.clone(),
        limit: args.limit,
        facets: args.facets,
        hits: true,
    };
    let fail = |e: QueryError| query_error(e, &args.query);
    let (next, facets) = match args.list {
        ListKind::Events => {
            let page = search::events(conn, &request).map_err(fail)?;
            lists::events(args.format, &page.items)?;
            (page.next_cursor, page.facets)
        }
        ListKind::Messages => {
            let page = search::messages(conn, &request, false).map_err(fail)?;
            lists::messages(args.format, &page.items)?;
            (page.next_cursor, page.facets)
        }
        ListKind::Calls => {
            let page = search::calls(conn, &request, false).map_err(fail)?;
            lists::calls(args.format, &page.items)?;
            (page.next_cursor, page.facets)
        }
        ListKind::Conversations => {
            let page = search::conversations(conn, &request).map_err(fail)?;
            lists::conversations(args.format, &page.items)?;
            (page.next_cursor, page.facets)
        }
    };
    if args.format == OutputFormat::Table {
        print_facets(&facets);
        if let Some(next) = &next {
            eprintln!("more: --cursor {next}");
        }
    } else if args.facets {
        eprintln!("{}", serde_json::to_string(&facets)?);
    }
    Ok(())
}

fn print_facets(facets: &[Facet]) {
    for f in facets {
        let values: Vec<String> = f
            .values
            .iter()
            .map(|v| format!("{}={}", v.value, v.count))
            .collect();
        let note = if f.timed_out { " (timed out)" } else { "" };
        eprintln!("facet {}{note}: {}", f.name, values.join("  "));
    }
}
