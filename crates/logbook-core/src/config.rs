//! The receiver's configuration model: its endpoints (one per Watson environment, each with how its
//! requests are checked) and limits. The CLI's flags and the desktop app's settings file both map
//! onto it.

use crate::auth::Auth;

/// The body size limit unless configured: real bodies reach several hundred KB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 10 * 1024 * 1024;
/// The default listen address: loopback, for a tunnel to forward to.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:7420";

/// One webhook URL path and how its requests are checked. Each Watson environment (draft, live, …)
/// has its own URL and secret.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// `None` accepts a POST on any path not claimed by another endpoint.
    pub path: Option<String>,
    pub auth: Auth,
}

impl Endpoint {
    /// The name events are recorded under: the path, or `*` for the catch-all.
    pub fn name(&self) -> &str {
        self.path.as_deref().unwrap_or("*")
    }
}
