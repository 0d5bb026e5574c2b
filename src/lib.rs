//! Assistant Logbook's core: receive Watson Assistant log webhook events, verify them, keep them in
//! SQLite, and answer questions about them. Nothing here depends on a GUI.

pub mod generate;
pub mod query;
