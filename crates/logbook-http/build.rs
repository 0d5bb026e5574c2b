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

const NOT_BUILT: &str =
    "the UI is not built: run `make ui` (or `npm --prefix ui ci && npm --prefix ui run build`)";

/// Makes sure `ui/dist/index.html` exists: builds the UI when its npm packages are installed
/// (`npm --prefix ui run build`), and otherwise says what to run. (The same as
/// `src-tauri/build.rs`, whose `generate_context!` needs the UI in every build.)
fn ensure_ui(ui: &Path) -> Result<(), String> {
    let index = ui.join("dist/index.html");
    if index.exists() {
        return Ok(());
    }
    if !ui.join("node_modules").is_dir() {
        return Err(format!("{NOT_BUILT} (ui/node_modules is missing too)"));
    }
    // `cargo build --workspace` runs this and the desktop app's build script at once: one builds,
    // the other waits for it and then finds the UI built.
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
