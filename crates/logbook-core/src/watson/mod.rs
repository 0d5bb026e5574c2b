//! What Logbook knows about Watson Assistant's log webhook payloads: the envelope every body has
//! (`event.name`), and the rows derived from a `message_logged` or `cdr_logged` body ([`derive`]).

pub mod derive;
pub mod envelope;

pub use envelope::{Envelope, read_envelope};

use serde_json::Value;

/// The event name and parsed body, or why the body is not a webhook event.
pub fn parse_envelope(body: &[u8]) -> Result<(String, Value), String> {
    if body.is_empty() {
        return Err("the body is empty; expected a JSON webhook event".to_owned());
    }
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("the body is not valid JSON: {e}"))?;
    let name = match value.get("event").and_then(|e| e.get("name")) {
        Some(Value::String(name)) if !name.trim().is_empty() => name.clone(),
        Some(Value::String(_)) => return Err("event.name is empty".to_owned()),
        Some(_) => return Err("event.name is not a string".to_owned()),
        None if !value.is_object() => {
            return Err("the body is not a JSON object with event.name".to_owned());
        }
        None => return Err("the body has no event.name".to_owned()),
    };
    Ok((name, value))
}
