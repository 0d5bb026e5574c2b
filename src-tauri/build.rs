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

const NOT_BUILT: &str =
    "the UI is not built: run `make ui` (or `npm --prefix ui ci && npm --prefix ui run build`)";

/// Makes sure `ui/dist/index.html` exists: builds the UI when its npm packages are installed
/// (`npm --prefix ui run build`), and otherwise says what to run. (The same as
/// `crates/logbook-http/build.rs`, which builds it for release builds of `logbook serve`.)
fn ensure_ui(ui: &Path) -> Result<(), String> {
    let index = ui.join("dist/index.html");
    println!("cargo::rerun-if-changed={}", index.display());
    if index.exists() {
        return Ok(());
    }
    if !ui.join("node_modules").is_dir() {
        return Err(format!("{NOT_BUILT} (ui/node_modules is missing too)"));
    }
    // `cargo build --workspace` runs this and logbook-http's build script at once: one builds, the
    // other waits for it and then finds the UI built.
    let lock = File::open(ui.join("package.json")).map_err(|e| format!("{NOT_BUILT}: {e}"))?;
    lock.lock().map_err(|e| format!("{NOT_BUILT}: {e}"))?;
    if index.exists() {
        return Ok(());
    }
    println!("cargo::warning=ui/dist was missing: building the UI (npm --prefix ui run build)");
    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    // npm's output goes to stderr: a build script's stdout is for cargo.
    let status = Command::new(npm)
        .arg("--prefix")
        .arg(ui)
        .args(["run", "build"])
        .stdout(std::io::stderr())
        .status()
        .map_err(|e| format!("{NOT_BUILT} (running {npm}: {e})"))?;
    if !status.success() || !index.exists() {
        return Err(format!(
            "`npm --prefix ui run build` failed ({status}); see its output above (cargo build -vv), or run `make ui`"
        ));
    }
    Ok(())
}
