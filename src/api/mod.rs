//! The read side: a JSON API over the query functions, the UI's files and a live stream, on a loopback
//! listener guarded by a per-launch token. Never on the webhook port.

pub mod types;
