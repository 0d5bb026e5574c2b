//! Assistant Logbook's desktop app: a thin Tauri shell over the `logbook` core.
//!
//! Contract: the shell opens the core once at launch ([`Shell::open`]: the database `logbook serve`
//! uses by default, the receiver with the saved settings), exposes the service's commands
//! ([`commands`], generated from its list; no SQL here) to the UI embedded from `ui/dist`, and
//! closes everything cleanly when the app quits. The UI may call those commands and nothing else
//! (`capabilities/default.json`).

pub mod commands;
pub mod live;
pub mod settings;
pub mod shell;
pub mod startup;
pub mod tunnel;

use tauri::webview::PageLoadEvent;
use tauri::{Manager, Runtime, WebviewUrl, WebviewWindowBuilder};

pub use shell::{Shell, ShellOptions};

/// Overrides where exports are written, skipping the save dialog (for end-to-end tests): a file, or
/// a directory to put the suggested file name in.
pub const EXPORT_PATH_VAR: &str = "LOGBOOK_EXPORT_PATH";

/// The configuration, capabilities and embedded UI, from `tauri.conf.json`.
pub fn context<R: Runtime>() -> tauri::Context<R> {
    tauri::generate_context!()
}

/// Adds the commands, the dialog plugin and the end of live updates on reload to `builder`. The
/// caller manages a [`Shell`] (tests with the mock runtime do the same as [`run`]).
pub fn with_commands<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder
        .plugin(tauri_plugin_dialog::init())
        .on_page_load(|webview, payload| {
            // A reloaded page has lost its channels: its subscriptions have nobody to talk to.
            if payload.event() == PageLoadEvent::Started
                && let Some(shell) = webview.try_state::<Shell>()
            {
                shell.live().stop_webview(webview.label());
            }
        })
        .invoke_handler(commands::handler())
}

/// Runs the app until its window closes (or SIGTERM / Ctrl-C), then shuts the shell down.
pub fn run() {
    let app = with_commands(tauri::Builder::default())
        .setup(|app| {
            let options = ShellOptions {
                db_path: logbook_core::store::default_db_path(),
                config_dir: app.path().app_config_dir()?,
                export_path: std::env::var_os(EXPORT_PATH_VAR).map(Into::into),
            };
            let shell = Shell::open(options)?;
            let first_launch = shell.first_launch();
            app.manage(shell);
            let handle = app.handle().clone();
            // SIGTERM and Ctrl-C quit like closing the window: the tunnel and the store are closed.
            let _ = ctrlc::set_handler(move || handle.exit(0));
            let mut window = app
                .config()
                .app
                .windows
                .first()
                .cloned()
                .expect("a window in tauri.conf.json");
            if first_launch {
                // The first time, the Status view: the URL to paste into Watson, the tunnel command.
                window.url = WebviewUrl::App("index.html#/status".into());
            }
            WebviewWindowBuilder::from_config(app.handle(), &window)?.build()?;
            Ok(())
        })
        .build(context())
        .unwrap_or_else(|err| {
            eprintln!("Assistant Logbook cannot start: {err:#}");
            std::process::exit(1);
        });
    app.run(|handle, event| {
        if let tauri::RunEvent::Exit = event
            && let Some(shell) = handle.try_state::<Shell>()
        {
            shell.shutdown();
        }
    });
}
