//! `logbook send`: posts bodies the way Watson Assistant does (a fresh HS256 JWT with `iat`/`exp` in
//! `Authorization`), so a user can test their set-up without a phone call; with `repeat` and
//! `concurrency`, a load generator whose copies carry fresh ids so none is deduplicated.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use logbook_core::auth::{Secret, sign};

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not JSON: {source}")]
    NotJson {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("no .json files in {0}")]
    Empty(PathBuf),
}

/// How requests are authorised.
#[derive(Debug, Clone)]
pub enum Signing {
    /// A fresh JWT per request, as Watson sends.
    Jwt(Secret),
    /// A fixed `Authorization` value, as when the user set their own header in Watson.
    Header(String),
    /// No `Authorization` header.
    None,
}

/// One body to send, named for display.
#[derive(Debug, Clone)]
pub struct Body {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Reads files and directories (their `*.json` files, sorted by name) into bodies.
pub fn load_bodies(paths: &[PathBuf]) -> Result<Vec<Body>, SendError> {
    let mut bodies = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|source| SendError::Read {
                    path: path.clone(),
                    source,
                })?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect();
            files.sort();
            if files.is_empty() {
                return Err(SendError::Empty(path.clone()));
            }
            for file in files {
                bodies.push(read_body(&file)?);
            }
        } else {
            bodies.push(read_body(path)?);
        }
    }
    Ok(bodies)
}

fn read_body(path: &Path) -> Result<Body, SendError> {
    let bytes = std::fs::read(path).map_err(|source| SendError::Read {
        path: path.to_owned(),
        source,
    })?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(Body { name, bytes })
}

/// The answer to one request.
#[derive(Debug, Clone)]
pub struct Sent {
    pub name: String,
    /// The HTTP status, or `None` when no answer came (connection refused, timeout).
    pub status: Option<u16>,
    /// The response body, or the transport error.
    pub answer: String,
    pub latency: Duration,
}

impl Sent {
    pub fn ok(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }

    /// Whether the receiver stored the body as a new event: its 200 says `"stored"` (and not
    /// `"duplicate"`, for an event it already had).
    pub fn stored(&self) -> bool {
        self.ok()
            && serde_json::from_str::<Value>(&self.answer)
                .is_ok_and(|answer| answer["status"] == "stored")
    }
}

/// Posts one body.
pub fn post(
    agent: &ureq::Agent,
    url: &str,
    signing: &Signing,
    body: &[u8],
) -> (Option<u16>, String) {
    let mut request = agent.post(url).set("Content-Type", "application/json");
    match signing {
        Signing::Jwt(secret) => {
            request = request.set(
                "Authorization",
                &sign(secret, chrono::Utc::now().timestamp()),
            );
        }
        Signing::Header(value) => request = request.set("Authorization", value),
        Signing::None => {}
    }
    match request.send_bytes(body) {
        Ok(response) => (
            Some(response.status()),
            response.into_string().unwrap_or_default(),
        ),
        Err(ureq::Error::Status(code, response)) => {
            (Some(code), response.into_string().unwrap_or_default())
        }
        Err(err) => (None, err.to_string()),
    }
}

/// An HTTP client with keep-alive and timeouts suited to a local receiver.
pub fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout_connect(Duration::from_secs(5))
        .timeout(Duration::from_secs(60))
        .build()
}

/// Sends `repeat` copies of `bodies` from `concurrency` threads. With `repeat` 1 the bodies are sent
/// as they are (one already stored answers `duplicate`). With more, every copy, the first included,
/// has each id (log_id, session_id, global_session_id) replaced by a fresh one, consistently across
/// the bodies, so the copies link up among themselves as the originals do, and `repeat` copies of
/// each body are stored whatever was sent before. `on_answer` sees every answer as it arrives.
pub fn send_all(
    url: &str,
    signing: &Signing,
    bodies: &[Body],
    repeat: usize,
    concurrency: usize,
    on_answer: &(dyn Fn(&Sent) + Sync),
) -> Vec<Sent> {
    let ids = collect_ids(bodies);
    let parsed: Vec<Option<Value>> = bodies
        .iter()
        .map(|b| serde_json::from_slice(&b.bytes).ok())
        .collect();
    let total = bodies.len() * repeat;
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::with_capacity(total));
    let copy_ids: Mutex<HashMap<usize, HashMap<String, String>>> = Mutex::default();
    std::thread::scope(|scope| {
        for _ in 0..concurrency.clamp(1, 1024) {
            scope.spawn(|| {
                let agent = agent();
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= total {
                        break;
                    }
                    let (copy, index) = (n / bodies.len(), n % bodies.len());
                    let body = &bodies[index];
                    let bytes = match (&parsed[index], copy) {
                        (Some(value), copy) if repeat > 1 => {
                            let mapping = copy_ids
                                .lock()
                                .expect("ids lock")
                                .entry(copy)
                                .or_insert_with(|| fresh_ids(&ids))
                                .clone();
                            let mut value = value.clone();
                            replace_ids(&mut value, &mapping);
                            value.to_string().into_bytes()
                        }
                        _ => body.bytes.clone(),
                    };
                    let started = Instant::now();
                    let (status, answer) = post(&agent, url, signing, &bytes);
                    let sent = Sent {
                        name: body.name.clone(),
                        status,
                        answer,
                        latency: started.elapsed(),
                    };
                    on_answer(&sent);
                    results.lock().expect("results lock").push(sent);
                }
            });
        }
    });
    results.into_inner().expect("results lock")
}

/// The ids a copy must renew: every value of `log_id`, `session_id` and `global_session_id`.
fn collect_ids(bodies: &[Body]) -> HashSet<String> {
    fn walk(value: &Value, ids: &mut HashSet<String>) {
        match value {
            Value::Object(map) => {
                for (key, v) in map {
                    match (key.as_str(), v) {
                        ("log_id" | "session_id" | "global_session_id", Value::String(s)) => {
                            ids.insert(s.clone());
                        }
                        _ => walk(v, ids),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, ids)),
            _ => {}
        }
    }
    let mut ids = HashSet::new();
    for body in bodies {
        if let Ok(value) = serde_json::from_slice::<Value>(&body.bytes) {
            walk(&value, &mut ids);
        }
    }
    ids
}

fn fresh_ids(ids: &HashSet<String>) -> HashMap<String, String> {
    ids.iter()
        .map(|id| (id.clone(), uuid::Uuid::new_v4().to_string()))
        .collect()
}

fn replace_ids(value: &mut Value, mapping: &HashMap<String, String>) {
    match value {
        Value::String(s) => {
            if let Some(fresh) = mapping.get(s.as_str()) {
                *s = fresh.clone();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| replace_ids(v, mapping)),
        Value::Object(map) => map.values_mut().for_each(|v| replace_ids(v, mapping)),
        _ => {}
    }
}

/// The p-th percentile (0–100) of a set of latencies, in milliseconds.
pub fn percentile_ms(latencies: &mut [Duration], p: f64) -> f64 {
    if latencies.is_empty() {
        return 0.0;
    }
    latencies.sort_unstable();
    let rank = ((p / 100.0) * (latencies.len() - 1) as f64).round() as usize;
    latencies[rank.min(latencies.len() - 1)].as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_get_fresh_ids_that_still_link() {
        let message =
            br#"{"event":{"name":"message_logged"},"payload":{"log_id":"L1","session_id":"S1"}}"#;
        let call = br#"{"event":{"name":"cdr_logged"},"payload":{"global_session_id":"G1",
            "assistant_interaction_summaries":[{"session_id":"S1","turns":[{"assistant":{"log_id":"L1"}}]}]}}"#;
        let bodies = vec![
            Body {
                name: "m".into(),
                bytes: message.to_vec(),
            },
            Body {
                name: "c".into(),
                bytes: call.to_vec(),
            },
        ];
        let ids = collect_ids(&bodies);
        assert_eq!(ids.len(), 3);
        let mapping = fresh_ids(&ids);
        let mut m: Value = serde_json::from_slice(message).unwrap();
        let mut c: Value = serde_json::from_slice(call).unwrap();
        replace_ids(&mut m, &mapping);
        replace_ids(&mut c, &mapping);
        assert_ne!(m["payload"]["log_id"], "L1");
        assert_eq!(
            m["payload"]["log_id"],
            c["payload"]["assistant_interaction_summaries"][0]["turns"][0]["assistant"]["log_id"]
        );
    }

    #[test]
    fn percentiles() {
        let mut l: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile_ms(&mut l, 50.0).round(), 51.0);
        assert_eq!(percentile_ms(&mut l, 99.0).round(), 99.0);
    }
}
