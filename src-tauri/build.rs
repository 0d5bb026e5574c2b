//! Generates the Tauri context and the app's command permissions (`allow-<command>`), which the
//! capability in `capabilities/default.json` grants to the main window and nothing else.

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
    "export_rows",
    "live",
    "stop_live",
    "get_settings",
    "save_settings",
    "reveal_secret",
    "start_tunnel",
    "stop_tunnel",
    "tunnel_status",
];

fn main() {
    let dist = std::path::Path::new("../ui/dist/index.html");
    if std::env::var_os("TAURI_CONFIG").is_none() && !dist.exists() {
        println!(
            "cargo::warning=the UI is not built (no ui/dist/index.html): run `npm --prefix ui ci && npm --prefix ui run build` first"
        );
    }
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri-build failed");
}
