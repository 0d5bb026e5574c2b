//! Patched for Assistant Logbook: what the server knows about a request's body, shared between the
//! body's reader, the request (which answers) and the connection (which reads the next request).
//!
//! An unread or partly read body is never drained: draining had no deadline, so a client trickling a
//! body after its 413 or 408 held a worker for as long as it liked. Instead the answer carries
//! `Connection: close` and the connection is closed, so the rest is never parsed as a next request.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

#[derive(Debug, Default)]
pub struct BodyState {
    /// The body was read to its end (or there was none): the next request starts right after it.
    complete: AtomicBool,
    /// The body's framing was broken (bad chunk, early end): an unanswered request gets 400.
    malformed: AtomicBool,
    /// The answer said `Connection: close`, or writing it failed: read no further request.
    close: AtomicBool,
}

impl BodyState {
    pub fn new(complete: bool) -> Arc<BodyState> {
        let state = BodyState::default();
        state.complete.store(complete, Ordering::Release);
        Arc::new(state)
    }

    pub fn set_complete(&self) {
        self.complete.store(true, Ordering::Release);
    }

    pub fn is_complete(&self) -> bool {
        self.complete.load(Ordering::Acquire)
    }

    pub fn set_malformed(&self) {
        self.malformed.store(true, Ordering::Release);
    }

    pub fn is_malformed(&self) -> bool {
        self.malformed.load(Ordering::Acquire)
    }

    pub fn set_close(&self) {
        self.close.store(true, Ordering::Release);
    }

    /// True if the connection must be closed after this request's answer.
    pub fn must_close(&self) -> bool {
        self.close.load(Ordering::Acquire) || !self.is_complete()
    }
}
