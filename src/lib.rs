//! Assistant Logbook's core: receive Watson Assistant log webhook events, verify them, keep them in
//! SQLite, and answer questions about them. Nothing here depends on a GUI.

pub mod export;
pub mod import;
pub mod ingest;
pub mod query;
pub mod send;
pub mod store;
