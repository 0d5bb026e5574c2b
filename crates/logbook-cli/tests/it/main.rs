//! All integration tests build into one binary (as ripgrep does): faster to link, one place to look.

mod api;
mod attack_http;
mod attack_ingest;
mod attack_store;
mod cli;
mod common;
mod disk_full;
mod durability;
mod export;
mod forward;
mod harness_postgres;
mod hostile;
mod ingest;
mod projection;
mod pull;
mod query;
mod replay;
mod report;
mod retention;
mod rollup;
mod team;
mod team_reading;
