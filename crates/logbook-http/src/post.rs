//! The one way Logbook sends a body onward, for the forwarder and for replays alike: `POST` of
//! the exact bytes to a URL the user configured or typed, with `Content-Type: application/json`,
//! the `Authorization` the caller chose, and Logbook's own marks (never a header made from payload
//! text); and the record of what came back: status, headers, the first
//! [`RESPONSE_KEPT_BYTES`] of the body, latency, or why there was no answer. Redirects are not
//! followed: the URL is the user's, never a server's.

use std::io::Read;
use std::time::{Duration, Instant};

use logbook_core::auth::{self, Auth};
use logbook_core::store::outbox::RESPONSE_KEPT_BYTES;

/// How long a target has to connect.
const CONNECT_TIMEOUT_S: u64 = 5;
/// How long a target has to answer.
pub const TIMEOUT_S: u64 = 30;

/// The client every send uses: short connect timeout, no redirects, Logbook's user agent.
pub fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout_connect(Duration::from_secs(CONNECT_TIMEOUT_S))
        .timeout(Duration::from_secs(TIMEOUT_S))
        .redirects(0)
        .user_agent(concat!("assistant-logbook/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// The `Authorization` value `auth` gives a request sent at `now_secs`: a fresh HS256 JWT signed
/// with the secret (as Watson signs), the secret as the whole value, or none.
pub fn authorization(auth: &Auth, now_secs: i64) -> Option<String> {
    match auth {
        Auth::Jwt(secret) => Some(auth::sign(secret, now_secs)),
        Auth::Header(secret) => Some(secret.expose().to_owned()),
        Auth::None => None,
    }
}

/// What came back from one `POST`.
#[derive(Debug, Clone)]
pub struct Answer {
    /// When it was sent (unix ms).
    pub at: i64,
    /// The HTTP status; `None` when there was no answer.
    pub status: Option<u16>,
    /// Why there was no answer (refused, timed out), or what was wrong with it (a redirect).
    pub error: Option<String>,
    /// The answer's headers, as received.
    pub headers: Vec<(String, String)>,
    /// The answer's first [`RESPONSE_KEPT_BYTES`].
    pub body: Vec<u8>,
    pub latency_ms: f64,
}

/// `POST`s `body` to `url` with `Content-Type: application/json` and `headers` (the caller's: the
/// user's configuration and Logbook's own marks, never payload text), and records the answer.
pub fn post(agent: &ureq::Agent, url: &str, headers: &[(&str, &str)], body: &[u8]) -> Answer {
    let at = chrono::Utc::now().timestamp_millis();
    let started = Instant::now();
    let mut request = agent.post(url).set("Content-Type", "application/json");
    for (name, value) in headers {
        request = request.set(name, value);
    }
    let (status, error, headers, kept) = match request.send_bytes(body) {
        Ok(answer) => read(answer),
        Err(ureq::Error::Status(_, answer)) => read(answer),
        Err(err) => (None, Some(err.to_string()), Vec::new(), Vec::new()),
    };
    Answer {
        at,
        error: error.or_else(|| {
            status
                .filter(|s| (300..400).contains(s))
                .map(|_| "a redirect: not followed (give the final URL)".into())
        }),
        status,
        headers,
        body: kept,
        latency_ms: started.elapsed().as_secs_f64() * 1000.0,
    }
}

type Read4 = (Option<u16>, Option<String>, Vec<(String, String)>, Vec<u8>);

/// The status, headers and first [`RESPONSE_KEPT_BYTES`] of an answer.
fn read(answer: ureq::Response) -> Read4 {
    let status = answer.status();
    let headers = answer
        .headers_names()
        .into_iter()
        .flat_map(|name| {
            answer
                .all(&name)
                .into_iter()
                .map(|v| (name.clone(), v.to_owned()))
                .collect::<Vec<_>>()
        })
        .collect();
    let mut kept = Vec::new();
    let _ = answer
        .into_reader()
        .take(RESPONSE_KEPT_BYTES as u64)
        .read_to_end(&mut kept);
    (Some(status), None, headers, kept)
}
