//! Assistant Logbook's HTTP side, on tiny_http: the webhook receiver ([`ingest`], the one port a
//! tunnel exposes to the internet) and the read API with the UI's files ([`api`], loopback only,
//! behind a per-launch token). Both answer the commands of `logbook-service`; neither holds
//! knowledge of Watson's payloads or of the store's tables.

pub mod api;
pub mod forward;
pub mod ingest;
pub mod plumbing;
pub mod post;
pub mod replay;
