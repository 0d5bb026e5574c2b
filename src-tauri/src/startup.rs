//! A trace of the app's start, for `logbook bench startup`: with `LOGBOOK_STARTUP_TRACE=1` in its
//! environment, the app prints `startup: status answered` and `startup: first list answered
//! (<command>)` on standard error, each once, when the UI's first Status and its first list (events,
//! messages, conversations or calls) have been answered. The benchmark times them from the moment it
//! started the process, so a cold start is measured without driving the window. Without the
//! variable nothing is printed and nothing is kept.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set to `1` to print the start-up marks.
pub const TRACE_VAR: &str = "LOGBOOK_STARTUP_TRACE";

/// The read commands whose answer is a list the UI shows.
const LISTS: &[&str] = &["events", "messages", "conversations", "calls"];

fn enabled() -> bool {
    static ENABLED: OnceLock<bool> = OnceLock::new();
    *ENABLED.get_or_init(|| std::env::var_os(TRACE_VAR).is_some_and(|v| v == "1"))
}

/// Called when the read command `name` has answered successfully.
pub fn answered(name: &str) {
    static STATUS: AtomicBool = AtomicBool::new(false);
    static LIST: AtomicBool = AtomicBool::new(false);
    if !enabled() {
        return;
    }
    if name == "status" && !STATUS.swap(true, Ordering::Relaxed) {
        eprintln!("startup: status answered");
    } else if LISTS.contains(&name) && !LIST.swap(true, Ordering::Relaxed) {
        eprintln!("startup: first list answered ({name})");
    }
}
