//! The read side: a JSON API over the service's commands, the UI's files and a live stream, on a
//! loopback listener guarded by a per-launch token. Never on the webhook port.
//!
//! Contract: the listener binds loopback addresses only; every request must name a loopback `Host`
//! (and, when it has one, a loopback `Origin`) on the listener's own port, and carry the launch's
//! token (cookie or `Authorization: Bearer`); only `GET` (and `HEAD` for files) is served. Stored
//! payloads are untrusted text: they leave only as JSON (or as export files sent as attachments),
//! never inside HTML, and every answer carries a strict Content-Security-Policy. Readers use their
//! own read-only connections; the writer is never touched.

mod assets;
mod live;
mod pipe;
mod routes;
pub mod server;

pub use server::{DEFAULT_UI_LISTEN, UiConfig, UiServer, UiServerError};
