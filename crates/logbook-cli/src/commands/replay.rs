//! `logbook replay`: stored events sent again to a URL the user gives, signed fresh, optionally
//! edited first (`--set`, `--edit`); each replay and its answer is kept and printed. The sending
//! and keeping is `logbook_http::replay`'s, shared with the UI.

use anyhow::{Context, Result, bail};

use logbook_core::body::{self, SetEdit};
use logbook_core::config::EndpointConfig;
use logbook_core::query::count::total;
use logbook_core::query::event::{EventDetail, event};
use logbook_core::query::filter::Subject;
use logbook_core::query::search::{self, Search};
use logbook_core::store::replays::{self, ReplayView};
use logbook_core::store::{Store, StoreOptions};
use logbook_http::replay::{self, Signer};

use super::{query_error, sqlite_reader};
use crate::args::{OutputFormat, ReplayArgs};
use crate::render::{detail, rows::print_json};

pub fn run(args: ReplayArgs) -> Result<()> {
    replay::check_target(&args.to)?;
    let sets = args
        .sets
        .iter()
        .map(|s| SetEdit::parse(s))
        .collect::<Result<Vec<_>, _>>()?;
    let endpoints = args
        .endpoint_secret
        .iter()
        .map(|spec| Ok(EndpointConfig::parse_spec(spec)?.resolve()?))
        .collect::<Result<Vec<_>>>()
        .context("--endpoint-secret")?;
    let file_signer = args
        .secret_file
        .as_deref()
        .map(Signer::from_file)
        .transpose()?;
    if file_signer.is_none() && endpoints.is_empty() && !args.no_auth {
        bail!(
            "say how to sign the replay: --secret-file FILE (a fresh JWT with that secret), \
             --endpoint-secret PATH=FILE (the secret of the endpoint each event arrived on), or --no-auth"
        );
    }

    let conn = sqlite_reader(&args.db)?;
    let events = chosen(&conn, &args)?;
    if args.edit && events.len() != 1 {
        bail!(
            "--edit opens one event in the editor; the query matched {}",
            events.len()
        );
    }
    // Everything that could refuse is checked before the first request goes out.
    let mut plan = Vec::with_capacity(events.len());
    for e in events {
        let e = replay::replayable(e)?;
        let signer = match &file_signer {
            Some(s) => s.clone(),
            None if args.no_auth => Signer::none(),
            None => Signer::endpoint(&endpoints, &e)?,
        };
        let stored = replays::stored_body(&conn, e.id)?.unwrap_or_default();
        let prepared = if args.edit {
            let edited = edit_in_editor(&e)?;
            body::prepare(&stored, &sets, Some((&edited, "edited in $EDITOR")))?
        } else {
            body::prepare(&stored, &sets, None)
                .map_err(|err| anyhow::anyhow!("event {}: {err}", e.id))?
        };
        plan.push((e.id, signer, prepared));
    }
    drop(conn);

    let db = args.db.path();
    let store = Store::open(&db, StoreOptions::default()).map_err(|e| {
        anyhow::anyhow!(
            "{e}\n(while `logbook serve` or the app has the database, replay from its event view: the Replay button)"
        )
    })?;
    let agent = logbook_http::post::agent();
    let mut sent: Vec<ReplayView> = Vec::new();
    let mut failure = None;
    for (event_id, signer, prepared) in plan {
        match replay::send(&store, &agent, event_id, &args.to, &signer, prepared) {
            Ok(view) => {
                if args.format == OutputFormat::Table {
                    detail::replay(&mut std::io::stdout().lock(), &view)?;
                }
                sent.push(view);
            }
            Err(err) => {
                failure = Some(err);
                break;
            }
        }
    }
    store.close()?;
    if args.format != OutputFormat::Table {
        print_json(&sent)?;
    }
    if let Some(err) = failure {
        return Err(err.into());
    }
    Ok(())
}

/// The events `args.what` names: one event, or the newest `--limit` matches of a query (said on
/// standard error, with how many match in all).
fn chosen(conn: &rusqlite::Connection, args: &ReplayArgs) -> Result<Vec<EventDetail>> {
    let what = args.what.trim();
    let looks_like_id = !what.is_empty() && !what.contains([':', ' ', '<', '>', '=', '"']);
    if looks_like_id {
        match event(conn, what) {
            Ok(e) => return Ok(vec![e]),
            Err(logbook_core::query::QueryError::NotFound(_)) if what.parse::<i64>().is_err() => {}
            Err(err) => return Err(err.into()),
        }
    }
    let fail = |e| query_error(e, what);
    let matching = total(conn, what, Subject::Events, true).map_err(fail)?;
    let page = search::events(
        conn,
        &Search {
            query: what.to_owned(),
            cursor: None,
            limit: args.limit.max(1),
            facets: false,
            hits: false,
        },
    )
    .map_err(fail)?;
    let ids: Vec<i64> = page
        .items
        .iter()
        .filter(|r| r.source == "accepted")
        .map(|r| r.id)
        .take(args.limit)
        .collect();
    if ids.is_empty() {
        bail!("no stored event matches {what:?}: nothing sent");
    }
    eprintln!(
        "{} events match {what:?}; replaying {} to {} (--limit {})",
        matching.count,
        ids.len(),
        args.to,
        args.limit
    );
    // Oldest first, as they arrived.
    ids.iter()
        .rev()
        .map(|id| Ok(event(conn, &id.to_string())?))
        .collect()
}

/// Opens the event's body (pretty-printed when it is JSON) in the user's editor; the text saved.
fn edit_in_editor(e: &EventDetail) -> Result<String> {
    let text = match &e.body {
        Some(v) => serde_json::to_string_pretty(v)?,
        None => e.body_text.clone(),
    };
    let dir = tempfile::tempdir()?;
    let path = dir.path().join(format!("event-{}.json", e.id));
    std::fs::write(&path, &text)?;
    let editor = std::env::var("EDITOR")
        .or_else(|_| std::env::var("VISUAL"))
        .unwrap_or_else(|_| "vi".to_owned());
    // `$EDITOR` may carry arguments (`code --wait`): run it through the shell, the file as "$1".
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(&path)
        .status()
        .with_context(|| format!("cannot start the editor {editor:?}"))?;
    if !status.success() {
        bail!("the editor {editor:?} exited with {status}: nothing sent");
    }
    Ok(std::fs::read_to_string(&path)?)
}
