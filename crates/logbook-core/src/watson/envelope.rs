//! The envelope of a webhook body, read on the acknowledgement path: the event's name and the key
//! that recognises a second delivery. Everything else in the body is the projector's to read.
//!
//! The common body (an object whose `event.name` is a non-empty string, ids where Watson puts them)
//! is read without building a JSON tree: it is checked whole as the full parse would check it, and
//! only the envelope's fields are kept. Anything unusual
//! (a duplicate key, a name of another type, not an object) takes the slow path through
//! [`super::parse_envelope`], so both paths accept and refuse exactly the same bodies and give the
//! same keys.

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::derive::{CDR_LOGGED, MESSAGE_LOGGED};

/// What the acknowledgement path needs of a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// `event.name`: `message_logged`, `cdr_logged`, or whatever came.
    pub kind: String,
    /// See [`dedup_key`].
    pub dedup_key: String,
}

/// The envelope of `body`, or why it is not a webhook event (the same reasons as
/// [`super::parse_envelope`]).
pub fn read_envelope(body: &[u8]) -> Result<Envelope, String> {
    match read_fast(body) {
        Some(envelope) => Ok(envelope),
        None => read_slow(body),
    }
}

/// Through the whole JSON tree: decides every unusual body.
fn read_slow(body: &[u8]) -> Result<Envelope, String> {
    let (kind, value) = super::parse_envelope::<Value>(body)?;
    let payload = value.get("payload").unwrap_or(&Value::Null);
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    let ids = Ids {
        log_id: text(payload.get("log_id")),
        global_session_id: text(payload.get("global_session_id")),
        start_timestamp: text(payload.get("call").and_then(|c| c.get("start_timestamp"))),
    };
    Ok(Envelope {
        dedup_key: dedup_key(&kind, &ids, body),
        kind,
    })
}

/// The ids that make an event's natural key, each only when it is a string.
#[derive(Debug, Default)]
struct Ids {
    log_id: Option<String>,
    global_session_id: Option<String>,
    start_timestamp: Option<String>,
}

/// The key under which a second delivery of the same event is recognised: `message:<log_id>`,
/// `call:<global_session_id>|<start>`, and for an event without such ids
/// `body:<kind>:<sha256 of the exact body>`, so the same body delivered or imported twice is stored
/// once.
fn dedup_key(kind: &str, ids: &Ids, body: &[u8]) -> String {
    let natural = match kind {
        MESSAGE_LOGGED => ids.log_id.as_ref().map(|id| format!("message:{id}")),
        CDR_LOGGED => match (&ids.global_session_id, &ids.start_timestamp) {
            (Some(id), Some(start)) => Some(format!("call:{id}|{start}")),
            _ => None,
        },
        _ => None,
    };
    natural.unwrap_or_else(|| {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(body);
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        format!("body:{kind}:{hex}")
    })
}

#[derive(Deserialize)]
struct Top<'a> {
    #[serde(borrow)]
    event: Option<&'a RawValue>,
    #[serde(borrow)]
    payload: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Event<'a> {
    #[serde(borrow)]
    name: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Payload<'a> {
    #[serde(borrow)]
    log_id: Option<&'a RawValue>,
    #[serde(borrow)]
    global_session_id: Option<&'a RawValue>,
    #[serde(borrow)]
    call: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Call<'a> {
    #[serde(borrow)]
    start_timestamp: Option<&'a RawValue>,
}

/// Reads any JSON value the way `serde_json::Value` does (numbers in range, strings decoded with
/// their escapes, nesting within serde_json's recursion limit) and keeps nothing: the fast path
/// accepts exactly the bodies the full parse accepts, without allocating a tree. (Skipping a field,
/// as `#[derive(Deserialize)]` does, checks less: a number out of range, a lone surrogate or deep
/// nesting in a skipped field would pass.)
struct Valid;

impl<'de> Deserialize<'de> for Valid {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValidVisitor)
    }
}

struct ValidVisitor;

impl<'de> serde::de::Visitor<'de> for ValidVisitor {
    type Value = Valid;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Valid, E> {
        Ok(Valid)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Valid, E> {
        Ok(Valid)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Valid, E> {
        Ok(Valid)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Valid, E> {
        Ok(Valid)
    }
    fn visit_str<E>(self, _: &str) -> Result<Valid, E> {
        Ok(Valid)
    }
    fn visit_unit<E>(self) -> Result<Valid, E> {
        Ok(Valid)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Valid, A::Error> {
        while seq.next_element::<Valid>()?.is_some() {}
        Ok(Valid)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Valid, A::Error> {
        while map.next_entry::<Valid, Valid>()?.is_some() {}
        Ok(Valid)
    }
}

/// The common case, or `None` for the slow path to decide.
fn read_fast(body: &[u8]) -> Option<Envelope> {
    // Valid as the full parse sees it (its fields are then read skipping the rest).
    let text = std::str::from_utf8(body).ok()?;
    serde_json::from_str::<Valid>(text).ok()?;
    let top: Top<'_> = serde_json::from_str(text).ok()?;
    let event: Event<'_> = serde_json::from_str(top.event?.get()).ok()?;
    let kind: String = serde_json::from_str(event.name?.get()).ok()?;
    if kind.trim().is_empty() {
        return None;
    }
    let string = |raw: Option<&RawValue>| -> Option<String> {
        // A value of another type is no id, as in the slow path; a string that fails to decode
        // cannot happen in a body that parsed.
        raw.and_then(|r| serde_json::from_str::<String>(r.get()).ok())
    };
    let ids = match top.payload {
        Some(raw) if raw.get().starts_with('{') => {
            let payload: Payload<'_> = serde_json::from_str(raw.get()).ok()?;
            let start_timestamp = match payload.call {
                Some(call) if call.get().starts_with('{') => {
                    let call: Call<'_> = serde_json::from_str(call.get()).ok()?;
                    string(call.start_timestamp)
                }
                _ => None,
            };
            Ids {
                log_id: string(payload.log_id),
                global_session_id: string(payload.global_session_id),
                start_timestamp,
            }
        }
        _ => Ids::default(),
    };
    Some(Envelope {
        dedup_key: dedup_key(&kind, &ids, body),
        kind,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_paths_agree_on_every_sample_and_odd_body() {
        let samples = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/samples");
        let mut bodies: Vec<Vec<u8>> = std::fs::read_dir(samples)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .map(|p| std::fs::read(p).unwrap())
            .collect();
        for odd in [
            r#"{"event":{"name":"message_logged"},"payload":{"log_id":"a"}}"#,
            r#"{"event":{"name":"message_logged"},"payload":{"log_id":42}}"#,
            r#"{"event":{"name":"message_logged"},"payload":[1,2]}"#,
            r#"{"event":{"name":"message_logged"}}"#,
            r#"{"event":{"name":"cdr_logged"},"payload":{"global_session_id":"g","call":{"start_timestamp":"t"}}}"#,
            r#"{"event":{"name":"cdr_logged"},"payload":{"global_session_id":"g","call":"x"}}"#,
            r#"{"event":{"name":"cdr_logged"},"payload":{"global_session_id":"g"}}"#,
            r#"{"event":{"name":"x"},"event":{"name":"message_logged"},"payload":{"log_id":"dup"}}"#,
            r#"{"event":{"name":"message_logged"},"payload":{"log_id":"a","log_id":"b"}}"#,
            r#"{"event":{"name":"  "}}"#,
            r#"{"event":{"name":7}}"#,
            r#"{"event":"message_logged"}"#,
            r#"{"payload":{}}"#,
            r#"[1,2]"#,
            r#"{"event":{"name":"x"}} trailing"#,
            r#"{"event":{"name":"caf\u00e9 \ud83d\ude00"},"payload":{"log_id":"\u00e9"}}"#,
            "",
            "{",
        ] {
            bodies.push(odd.as_bytes().to_vec());
        }
        // Invalid UTF-8 inside a field the fast path skips (found by the `body` fuzz target).
        bodies.push(
            b"{\"event\":{\"name\":\"message_logged\"},\"payloa=d\":{\"x\":\"\xff\"}}".to_vec(),
        );
        bodies.push(b"{\"event\":{\"name\":\"x\"},\"extra\":\"\xc3\x28\"}".to_vec());
        // Numbers out of range and lone surrogates inside skipped fields: the full parse refuses them.
        for odd in [
            r#"{"event":{"name":"x"},"extra":1e400}"#,
            r#"{"event":{"name":"x"},"extra":-1e400}"#,
            r#"{"event":{"name":"x"},"extra":"\ud800"}"#,
            r#"{"event":{"name":"x"},"extra":"\udc00x"}"#,
            r#"{"event":{"name":"x"},"extra":18446744073709551616}"#,
            r#"{"event":{"name":"x"},"extra":"\x"}"#,
        ] {
            bodies.push(odd.as_bytes().to_vec());
        }
        // Nested around serde_json's recursion limit, inside a skipped field and inside a string.
        for depth in [120, 126, 127, 128, 129, 200] {
            let deep = format!(
                r#"{{"event":{{"name":"x"}},"payload":{{"extra":{}{}}}}}"#,
                "[".repeat(depth),
                "]".repeat(depth)
            );
            bodies.push(deep.into_bytes());
        }
        bodies.push(
            format!(r#"{{"event":{{"name":"x"}},"t":"{}\""}}"#, "[".repeat(300)).into_bytes(),
        );
        let mut fast = 0;
        for body in &bodies {
            let text = String::from_utf8_lossy(body);
            if let Some(envelope) = read_fast(body) {
                fast += 1;
                assert_eq!(Ok(envelope), read_slow(body), "{text}");
            }
            assert_eq!(read_envelope(body), read_slow(body), "{text}");
        }
        // Every sample takes the fast path.
        assert!(fast >= 12, "{fast}");
        // The keys themselves.
        let key = |b: &str| read_envelope(b.as_bytes()).unwrap().dedup_key;
        assert_eq!(
            key(r#"{"event":{"name":"message_logged"},"payload":{"log_id":"a"}}"#),
            "message:a"
        );
        assert_eq!(
            key(
                r#"{"event":{"name":"cdr_logged"},"payload":{"global_session_id":"g","call":{"start_timestamp":"t"}}}"#
            ),
            "call:g|t"
        );
        assert!(key(r#"{"event":{"name":"message_logged"}}"#).starts_with("body:message_logged:"));
    }
}
