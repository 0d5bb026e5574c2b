//! Generates the Tauri context and the app's command permissions (`allow-<command>`), which the
//! capability in `capabilities/default.json` grants to the main window and nothing else.
//!
//! The context embeds the built UI (`ui/dist`): when it is missing, this builds it if the UI's npm
//! packages are installed, and otherwise stops with the command to run.

use std::fs::File;
use std::path::Path;
use std::process::Command;

/// Every command the UI may call; each gets an `allow-*` permission the capability must list.
const COMMANDS: &[&str] = &[
    "status",
    "qualifiers",
    "events",
    "messages",
    "conversations",
    "calls",
    "event",
    "conversation",
    "call",
    "custom_keys",
    "custom_values",
    "custom_calls",
    "pulls",
    "trends",
    "forwarding",
    "count",
    "qualifier_values",
    "export_rows",
    "live",
    "stop_live",
    "replay_event",
    "compare",
    "get_settings",
    "save_settings",
    "reveal_secret",
    "open_team_store",
    "close_team_store",
    "pull_settings",
    "start_pull",
    "start_tunnel",
    "stop_tunnel",
    "tunnel_status",
];

fn main() {
    // `generate_context!` embeds `frontendDist` (../ui/dist): without it the app does not compile.
    // A `--config` override (TAURI_CONFIG) may point elsewhere, so it is left to tauri-build.
    println!("cargo::rerun-if-env-changed=TAURI_CONFIG");
    if std::env::var_os("TAURI_CONFIG").is_none()
        && let Err(message) = ensure_ui(Path::new("../ui"))
    {
        println!("cargo::error={message}");
        return;
    }
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri-build failed");
}

include!("../scripts/ensure_ui.rs");
