//! Assistant Logbook's core: keep Watson Assistant log webhook events in SQLite and answer questions
//! about them. No HTTP server, no command line, no GUI: those are the crates around it.
//!
//! - [`store`]: the one writer, the schema, retention, the rows kept for each event.
//! - [`watson`]: everything known about Watson's payloads: the envelope, deriving rows from a body.
//! - [`auth`]: Watson's JWT and the other ways a request is checked; redaction of credentials.
//! - [`config`]: the receiver's configuration model (endpoints, limits), for the CLI and the app.
//! - [`query`]: the search language and every read.
//! - [`export`], [`import`]: rows out, bodies in (and the `pulls` table of `logbook-pull`, in [`store`]).

pub mod auth;
pub mod body;
pub mod config;
pub mod export;
pub mod import;
pub mod query;
pub mod store;
pub mod watson;
