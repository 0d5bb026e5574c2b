// The UI's build, shared by the build scripts of `crates/logbook-http` (release builds of `logbook
// serve` embed the UI) and `src-tauri` (`generate_context!` needs it in every build): each
// `include!`s this file. It needs `std::fs::File`, `std::path::Path` and `std::process::Command`.

const NOT_BUILT: &str =
    "the UI is not built: run `make ui` (or `npm --prefix ui ci && npm --prefix ui run build`)";

/// Makes sure `ui/dist/index.html` exists: builds the UI when its npm packages are installed
/// (`npm --prefix ui run build`), and otherwise says what to run.
fn ensure_ui(ui: &Path) -> Result<(), String> {
    let index = ui.join("dist/index.html");
    println!("cargo::rerun-if-changed={}", index.display());
    if index.exists() {
        return Ok(());
    }
    if !ui.join("node_modules").is_dir() {
        return Err(format!("{NOT_BUILT} (ui/node_modules is missing too)"));
    }
    // `cargo build --workspace` runs both build scripts that include this at once: one builds, the
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
