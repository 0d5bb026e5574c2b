//! Assistant Logbook's core: receive Watson Assistant log webhook events, verify them, keep them in
//! SQLite, and answer questions about them. Nothing here depends on a GUI.

pub mod api;
pub mod bench;
pub mod export;
pub mod generate;
pub mod import;
pub mod ingest;
pub mod query;
pub mod render;
pub mod send;
pub mod store;
