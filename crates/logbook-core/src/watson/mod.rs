//! Everything Logbook knows about Watson Assistant's log webhook payloads, in one place:
//!
//! - the envelope every body has (`event.name`): [`parse_envelope`], and what the acknowledgement
//!   path reads of it (the name and the dedup key, without building a tree): [`envelope`];
//! - the one lenient reader of payload JSON, with its rules: [`json`];
//! - the one name normaliser (`callerHangup`, `SIPTimeout` → `caller_hangup`, `sip_timeout`): [`names`];
//! - the rows derived from a `message_logged` or `cdr_logged` body, by the projector: [`derive`];
//! - a `message_logged` response's items, intents, entities and debug path, read for a person:
//!   [`response`];
//! - the CDR vocabulary (warning codes, request and response types, RTP statistics) and the table
//!   of where each CDR field is parsed, stored, searched and shown: [`cdr`].
//!
//! `query/` and `store/` read payloads only through these modules.

pub mod cdr;
pub mod derive;
pub mod envelope;
pub mod json;
pub mod names;
pub mod response;

pub use envelope::{Envelope, read_envelope};

use derive::{CDR_LOGGED, MESSAGE_LOGGED};

/// An event name as the query language's `kind:` takes it: any case, with the short names
/// `message` for `message_logged` and `call` or `cdr` for `cdr_logged`; other names lowercased.
pub fn event_kind(value: &str) -> String {
    let lower = value.to_lowercase();
    match lower.as_str() {
        "message" | MESSAGE_LOGGED => MESSAGE_LOGGED.to_owned(),
        "call" | "cdr" | CDR_LOGGED => CDR_LOGGED.to_owned(),
        _ => lower,
    }
}

/// The event name and parsed body, or why the body is not a webhook event. The body is parsed into
/// either tree the lenient readers read ([`json::Json`]): serde_json's, or the deriver's, which
/// borrows from `body`.
pub fn parse_envelope<'a, J>(body: &'a [u8]) -> Result<(String, J), String>
where
    J: json::Json + serde::Deserialize<'a>,
{
    if body.is_empty() {
        return Err("the body is empty; expected a JSON webhook event".to_owned());
    }
    let value: J =
        serde_json::from_slice(body).map_err(|e| format!("the body is not valid JSON: {e}"))?;
    let name = match value.get("event").and_then(|e| e.get("name")) {
        Some(name) => match name.as_str() {
            Some(name) if !name.trim().is_empty() => name.to_owned(),
            Some(_) => return Err("event.name is empty".to_owned()),
            None => return Err("event.name is not a string".to_owned()),
        },
        None if !value.is_object() => {
            return Err("the body is not a JSON object with event.name".to_owned());
        }
        None => return Err("the body has no event.name".to_owned()),
    };
    Ok((name, value))
}
