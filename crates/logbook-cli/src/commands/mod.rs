//! One module per subcommand, each a `run` over its flags; and what several share.

pub mod bench;
pub mod custom_data;
pub mod diff;
pub mod export;
pub mod generate;
pub mod import;
pub mod pull;
pub mod reindex;
pub mod replay;
pub mod report;
pub mod search;
pub mod send;
pub mod serve;
pub mod show;
pub mod stats;
pub mod team;
pub mod url;

use std::path::Path;

use anyhow::{Result, bail};

use logbook_core::export::ExportError;
use logbook_core::query::parse::ParseError;
use logbook_core::query::{PgReader, QueryError, Reader};
use logbook_core::store;

use crate::args::{DbArg, StoreArg};

/// Opens the SQLite store at `db` to write it. An error that does not name the file itself (a
/// failed migration, say) is told with the file's path.
pub fn open_store(db: &Path, options: store::StoreOptions) -> Result<store::Store> {
    store::Store::open(db, options).map_err(|err| {
        if err.names_file() {
            anyhow::Error::new(err)
        } else {
            anyhow::Error::new(err).context(format!("cannot open the store at {}", db.display()))
        }
    })
}

/// Opens the store a reading command reads: the PostgreSQL store of `--store` (or
/// `LOGBOOK_STORE`), else the SQLite file of `--db`.
pub fn reader(store: &StoreArg) -> Result<Reader> {
    match &store.url {
        Some(url) => {
            team_store(url, &store.db)?;
            Ok(Reader::Postgres(PgReader::connect(url)?))
        }
        None => Ok(Reader::Sqlite(sqlite_reader(&store.db)?)),
    }
}

/// A read-only connection to the SQLite file of `--db`, which must exist.
pub fn sqlite_reader(db: &DbArg) -> Result<rusqlite::Connection> {
    let path = db.path();
    if !path.exists() {
        bail!(
            "no database at {} (give --db, or receive some events first)",
            path.display()
        );
    }
    Ok(store::open_reader(&path)?)
}

/// Checks a command's `--store` (or `LOGBOOK_STORE`): a PostgreSQL URL, and not given beside
/// `--db`.
pub fn team_store(url: &str, db: &DbArg) -> Result<()> {
    if !store::is_postgres_url(url) {
        bail!(
            "--store (or LOGBOOK_STORE) takes a PostgreSQL URL, postgres://USER:PASSWORD@HOST:PORT/DATABASE; \
             a SQLite file is given with --db"
        );
    }
    if let Some(db) = db.given() {
        bail!(
            "--db {} and --store name two stores: give one",
            db.display()
        );
    }
    Ok(())
}

/// After storing into a SQLite store (`generate`, `import`, `pull`): when projection did not catch
/// up before the command stopped waiting (`projected` false), says that `what` are stored and will
/// be derived at the store's next open.
pub fn say_if_not_derived(projected: bool, what: &str) {
    if !projected {
        eprintln!("{what} are stored; deriving them goes on the next time the store opens");
    }
}

/// A parse error shows the query with a caret under the bad part.
pub fn query_error(err: impl Into<anyhow::Error>, query: &str) -> anyhow::Error {
    let err = err.into();
    let parse = err
        .downcast_ref::<ParseError>()
        .or_else(|| match err.downcast_ref::<QueryError>() {
            Some(QueryError::Parse(p)) => Some(p),
            _ => None,
        })
        .or_else(|| match err.downcast_ref::<ExportError>() {
            Some(ExportError::Parse(p)) | Some(ExportError::Query(QueryError::Parse(p))) => Some(p),
            _ => None,
        });
    match parse {
        Some(p) => anyhow::anyhow!("bad query:\n{}", p.render(query)),
        None => err,
    }
}
