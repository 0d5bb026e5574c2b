//! Rebuilds the crate when the UI's build output changes: `logbook serve` embeds `ui/dist` (rust-embed)
//! in release builds, and a binary built before `npm run build` would otherwise keep serving the old UI.
//!
//! A release build must not quietly ship without the UI: when `ui/dist` is missing, this builds it
//! if the UI's npm packages are installed, and otherwise stops with the command to run. Debug builds
//! read `ui/dist` at run time and show a "not built" page until it exists. `LOGBOOK_UI_OPTIONAL=1`
//! lets a release build go on without the UI (an API-only binary), saying so.

use std::fs::File;
use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo::rerun-if-changed=../../ui/dist");
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=LOGBOOK_UI_OPTIONAL");
    if std::env::var("PROFILE").as_deref() != Ok("release") {
        return;
    }
    if let Err(message) = ensure_ui(Path::new("../../ui")) {
        if std::env::var_os("LOGBOOK_UI_OPTIONAL").is_some_and(|v| !v.is_empty() && v != "0") {
            println!(
                "cargo::warning={message}; LOGBOOK_UI_OPTIONAL is set, so this release `logbook serve` has no UI"
            );
        } else {
            println!(
                "cargo::error={message}; a release `logbook serve` embeds the UI (set LOGBOOK_UI_OPTIONAL=1 to build one without it)"
            );
        }
    }
}

include!("../../scripts/ensure_ui.rs");
