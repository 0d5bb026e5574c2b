//! The webhook receiver: the one port a tunnel exposes to the internet.
//!
//! Contract: an event is answered 200 only after the transaction that stores it has committed. The
//! port accepts webhook `POST`s and `GET /healthz`, nothing else, and never returns stored data. Bad
//! requests are answered with their reason and kept in the bounded rejections table; the receiver
//! keeps serving after every one of them. Each request is answered on its connection's thread, at
//! most [`DEFAULT_WORKERS`] at once; a slow client cannot hold one of those places for longer than
//! the body deadline.

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tiny_http::{Method, Request, Response, Server};

use crate::plumbing::{self, header};

use logbook_core::auth::{self as verify, AuthError};
pub use logbook_core::auth::{Auth, Secret};
pub use logbook_core::config::{DEFAULT_LISTEN, DEFAULT_MAX_BODY_BYTES, Endpoint};
use logbook_core::store::rejection::REJECTION_BODY_KEPT_BYTES;
use logbook_core::store::replays;
use logbook_core::store::{EventLog, NewEvent, NewRejection, Outcome, StoreError};
use logbook_core::watson::read_envelope;

/// A socket read or write that makes no progress for this long ends the connection.
pub const SOCKET_TIMEOUT_MS: u64 = 10_000;
/// A body must arrive whole within this long, however slowly it trickles.
pub const BODY_DEADLINE_MS: u64 = 30_000;
/// Seconds a client is asked to wait after a 503.
pub const RETRY_AFTER_SECS: u32 = 5;
/// Requests handled at once, each on its connection's thread; a request beyond them waits its turn.
/// Each may hold a body up to the limit, so this bounds the memory bodies take. Each waits on its
/// group commit, so more of them make bigger groups.
pub const DEFAULT_WORKERS: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: String,
        source: std::io::Error,
    },
    #[error("cannot start the receiver: {0}")]
    Server(String),
    #[error("endpoint {0} is configured twice")]
    DuplicateEndpoint(String),
    #[error("endpoint path {0:?} must start with '/'")]
    BadPath(String),
}

#[derive(Debug, Clone)]
pub struct ReceiverConfig {
    pub listen: String,
    pub endpoints: Vec<Endpoint>,
    pub max_body_bytes: usize,
    /// Requests handled at once ([`DEFAULT_WORKERS`]).
    pub workers: usize,
    pub socket_timeout: Duration,
    pub body_deadline: Duration,
    /// Print one line per request on standard error.
    pub log_requests: bool,
}

impl ReceiverConfig {
    pub fn new(listen: impl Into<String>, endpoints: Vec<Endpoint>) -> Self {
        Self {
            listen: listen.into(),
            endpoints,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            workers: DEFAULT_WORKERS,
            socket_timeout: Duration::from_millis(SOCKET_TIMEOUT_MS),
            body_deadline: Duration::from_millis(BODY_DEADLINE_MS),
            log_requests: false,
        }
    }
}

/// A running receiver. [`Receiver::shutdown`] finishes the requests in flight.
pub struct Receiver {
    addr: SocketAddr,
    server: Server,
    gate: Arc<Gate<Shared>>,
}

/// Bounds the requests handled at once, and lets shutdown wait for those in flight. Requests are
/// answered on their connection's thread (no hand-off to a worker and back: those thread switches
/// were the largest cost of an acknowledgement), so the bound that worker threads gave is kept here.
/// It also holds what requests are handled with (`T`: the store and the endpoints), lent to each
/// request while it is handled and let go of by [`Gate::stop`]: a kept-alive connection's thread
/// outlives the receiver, and must not keep the store open.
struct Gate<T> {
    state: Mutex<GateState<T>>,
    changed: Condvar,
    limit: usize,
}

struct GateState<T> {
    in_flight: usize,
    /// `None` once stopping.
    shared: Option<Arc<T>>,
}

/// A request being handled: its place in the gate and what it is handled with, both given back on
/// drop.
struct Pass<'a, T> {
    gate: &'a Gate<T>,
    shared: Option<Arc<T>>,
}

impl<T> Gate<T> {
    fn new(limit: usize, shared: T) -> Self {
        Self {
            state: Mutex::new(GateState {
                in_flight: 0,
                shared: Some(Arc::new(shared)),
            }),
            changed: Condvar::new(),
            limit: limit.max(1),
        }
    }

    /// Waits for a place; none once the receiver is stopping.
    fn enter(&self) -> Option<Pass<'_, T>> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        while state.in_flight >= self.limit && state.shared.is_some() {
            state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
        }
        let shared = state.shared.clone()?;
        state.in_flight += 1;
        Some(Pass {
            gate: self,
            shared: Some(shared),
        })
    }

    /// Lets no new request in, waits for those in flight to be answered, and lets go of what they
    /// were handled with.
    fn stop(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let shared = state.shared.take();
        self.changed.notify_all();
        while state.in_flight > 0 {
            state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
        }
        drop(state);
        drop(shared);
    }
}

impl<T> Pass<'_, T> {
    fn shared(&self) -> &T {
        self.shared.as_ref().expect("held until dropped")
    }
}

impl<T> Drop for Pass<'_, T> {
    fn drop(&mut self) {
        // Let go of it before the place: once `stop` sees no request in flight, nothing else holds it.
        self.shared.take();
        let mut state = self.gate.state.lock().unwrap_or_else(|e| e.into_inner());
        state.in_flight -= 1;
        // Someone waits only for a full gate to free a place, or in `stop`: a wake-up (a system
        // call) on every request would cost the hot path for nobody.
        if state.in_flight + 1 == self.gate.limit || state.shared.is_none() {
            self.gate.changed.notify_all();
        }
    }
}

struct Shared {
    store: Arc<dyn EventLog>,
    endpoints: Vec<Endpoint>,
    max_body_bytes: usize,
    body_deadline: Duration,
    log_requests: bool,
}

impl Receiver {
    /// Starts receiving into `store`: the SQLite store, or PostgreSQL in team mode.
    pub fn start(config: ReceiverConfig, store: Arc<dyn EventLog>) -> Result<Self, IngestError> {
        let mut seen = std::collections::HashSet::new();
        for endpoint in &config.endpoints {
            if let Some(path) = &endpoint.path
                && !path.starts_with('/')
            {
                return Err(IngestError::BadPath(path.clone()));
            }
            if !seen.insert(endpoint.name().to_owned()) {
                return Err(IngestError::DuplicateEndpoint(endpoint.name().to_owned()));
            }
        }
        let listener =
            plumbing::listen(&config.listen, config.socket_timeout).map_err(|source| {
                IngestError::Listen {
                    addr: config.listen.clone(),
                    source,
                }
            })?;
        let addr = listener
            .local_addr()
            .map_err(|source| IngestError::Listen {
                addr: config.listen.clone(),
                source,
            })?;
        let shared = Shared {
            store,
            endpoints: config.endpoints,
            max_body_bytes: config.max_body_bytes,
            body_deadline: config.body_deadline,
            log_requests: config.log_requests,
        };
        let gate = Arc::new(Gate::new(config.workers, shared));
        let admit = gate.clone();
        let server = Server::from_listener_inline(
            listener,
            Arc::new(move |request| match admit.enter() {
                Some(pass) => handle(pass.shared(), request),
                None => {
                    let _ = request.respond(stopping_response());
                }
            }),
        )
        .map_err(|e| IngestError::Server(e.to_string()))?;
        Ok(Self { addr, server, gate })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops taking requests (a request arriving now is answered 503), waits for those being
    /// handled to be answered, then closes the port.
    pub fn shutdown(self) {
        self.gate.stop();
        drop(self.server);
    }
}

/// The answer to a request that arrives while the receiver stops: send it again shortly (to this
/// receiver once restarted, or another).
fn stopping_response() -> Response<std::io::Cursor<Vec<u8>>> {
    json_response(
        503,
        &json!({"error": "the receiver is stopping; send the event again"}),
    )
    .with_header(header("Retry-After", &RETRY_AFTER_SECS.to_string()))
    .with_header(header("Connection", "close"))
}

/// Why a request was refused, and the one place its HTTP status is decided.
#[derive(Debug)]
enum Refusal {
    /// No endpoint at this path. The answer never lists the configured paths: for an endpoint
    /// without authentication the path is its only protection.
    NoEndpoint,
    /// Sent by a web browser (it carries `Origin` or `Sec-Fetch-Site`): a page the user has open
    /// must not be able to post to the receiver on loopback. Watson's servers send neither.
    FromBrowser,
    TooLarge {
        limit: usize,
    },
    Timeout,
    Unauthorized(AuthError),
    BadBody(String),
    /// A replay mark (`X-Logbook-Replay`, `X-Logbook-Replay-Of`) that is not one Logbook makes.
    BadReplayMark(String),
}

impl Refusal {
    fn status(&self) -> u16 {
        match self {
            Self::NoEndpoint => 404,
            Self::FromBrowser => 403,
            Self::TooLarge { .. } => 413,
            Self::Timeout => 408,
            Self::Unauthorized(_) => 401,
            Self::BadBody(_) | Self::BadReplayMark(_) => 400,
        }
    }

    fn reason(&self) -> String {
        match self {
            Self::NoEndpoint => "no webhook endpoint at this path".to_owned(),
            Self::FromBrowser => {
                "requests from web browsers are refused: only Watson posts to this port".to_owned()
            }
            Self::TooLarge { limit } => format!("body larger than the limit of {limit} bytes"),
            Self::Timeout => "the request body did not arrive in time".to_owned(),
            Self::Unauthorized(e) => e.to_string(),
            Self::BadBody(reason) | Self::BadReplayMark(reason) => reason.clone(),
        }
    }
}

impl Shared {
    /// One line per request. The path and the note come from the client (the path, `event.name`),
    /// so control characters are escaped and their length is bounded: a client cannot forge lines.
    fn log(&self, status: u16, path: &str, note: &str) {
        if self.log_requests {
            let time = chrono::Local::now().format("%H:%M:%S%.3f");
            eprintln!(
                "{time}  {status}  POST {}  {}",
                loggable(path, LOGGED_PATH_CHARS),
                loggable(note, LOGGED_NOTE_CHARS)
            );
        }
    }
}

fn handle(shared: &Shared, mut request: Request) {
    let received_at = chrono::Utc::now().timestamp_millis();
    let url = request.url().to_owned();
    let path = url.split(['?', '#']).next().unwrap_or("/").to_owned();
    let method = request.method().clone();

    if method != Method::Post {
        let response = if method == Method::Get && path == "/healthz" {
            json_response(200, &json!({"status": "ok"}))
        } else {
            json_response(
                405,
                &json!({"error": "this port only accepts webhook POST requests"}),
            )
            .with_header(header("Allow", "POST"))
        };
        let _ = request.respond(response);
        return;
    }

    let headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .map(|h| {
            (
                h.field.as_str().as_str().to_owned(),
                h.value.as_str().to_owned(),
            )
        })
        .collect();
    let header_json =
        verify::redacted_headers(headers.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    let authorization = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("authorization"))
        .map(|(_, value)| value.clone());
    let remote_addr = request.remote_addr().map(|a| a.to_string());
    let endpoint = find_endpoint(&shared.endpoints, &path);

    let mut rejection = NewRejection {
        received_at,
        endpoint: endpoint.map(|e| e.name().to_owned()),
        path: path.clone(),
        method: method.to_string(),
        remote_addr: remote_addr.clone(),
        status: 0,
        reason: String::new(),
        headers: header_json.clone(),
        jwt_header: None,
        jwt_claims: None,
        body: Vec::new(),
        body_bytes: request.body_length().map(|n| n as i64),
    };
    let refuse = |request: Request, refusal: Refusal, mut rejection: NewRejection| {
        rejection.status = refusal.status();
        rejection.reason = refusal.reason();
        let status = rejection.status;
        let reason = rejection.reason.clone();
        // A refusal that cannot be kept is still answered: the client needs the reason more.
        let _ = shared.store.submit_rejection(rejection);
        shared.log(status, &path, &reason);
        let _ = request.respond(json_response(status, &json!({"error": reason})));
    };

    if from_browser(&headers) {
        return refuse(request, Refusal::FromBrowser, rejection);
    }
    let Some(endpoint) = endpoint else {
        return refuse(request, Refusal::NoEndpoint, rejection);
    };

    // Credentials first: a client without them is never asked for its body (nor sent `100
    // Continue`), so it cannot make the receiver buffer anything. The body is left unread and the
    // connection closed after the answer.
    let verified = match verify::check(&endpoint.auth, authorization.as_deref()) {
        Ok(verified) => verified,
        Err((err, token)) => {
            if let Some(token) = token {
                rejection.jwt_header = Some(token.header.to_string());
                rejection.jwt_claims = Some(token.claims.to_string());
            }
            return refuse(request, Refusal::Unauthorized(err), rejection);
        }
    };
    if let Some(token) = &verified.token {
        rejection.jwt_header = Some(token.header.to_string());
        rejection.jwt_claims = Some(token.claims.to_string());
    }

    if request
        .body_length()
        .is_some_and(|n| n > shared.max_body_bytes)
    {
        return refuse(
            request,
            Refusal::TooLarge {
                limit: shared.max_body_bytes,
            },
            rejection,
        );
    }
    match read_body(&mut request, shared.max_body_bytes, shared.body_deadline) {
        Ok(body) => rejection.body = body,
        Err(BodyError::TooLarge(partial, read)) => {
            rejection.body = partial;
            rejection.body_bytes = Some(read as i64);
            return refuse(
                request,
                Refusal::TooLarge {
                    limit: shared.max_body_bytes,
                },
                rejection,
            );
        }
        Err(BodyError::Timeout(partial)) => {
            rejection.body = partial;
            return refuse(request, Refusal::Timeout, rejection);
        }
        Err(BodyError::Broken) => return,
    }
    rejection.body_bytes = Some(rejection.body.len() as i64);

    // The envelope only (the name and the dedup key): deriving the rest is the projector's.
    let envelope = match read_envelope(&rejection.body) {
        Ok(envelope) => envelope,
        Err(reason) => return refuse(request, Refusal::BadBody(reason), rejection),
    };
    // A replay (from this Logbook or another) is a new event, marked, and never a duplicate of the
    // event it replays: its dedup key is its own token's (see `store::replays`).
    let (dedup_key, replay_of) = match replay_mark(&headers) {
        Ok(None) => (envelope.dedup_key, None),
        Ok(Some((token, of))) => (replays::dedup_key(&token), of),
        Err(reason) => return refuse(request, Refusal::BadReplayMark(reason), rejection),
    };
    let event = NewEvent {
        received_at,
        endpoint: endpoint.name().to_owned(),
        path: path.clone(),
        remote_addr,
        dedup_key,
        replay_of,
        kind: envelope.kind,
        auth: endpoint.auth.mode().to_owned(),
        verified: verified.verified,
        jwt_header: verified.token.as_ref().map(|t| t.header.to_string()),
        jwt_claims: verified.token.as_ref().map(|t| t.claims.to_string()),
        headers: header_json,
        authorization,
        body: rejection.body,
    };
    let (bytes, kind) = (event.body.len(), event.kind.clone());
    let (response, note) = match shared.store.submit_event(event) {
        Ok(Outcome::Stored(id)) => (
            json_response(200, &json!({"status": "stored", "id": id})),
            format!("{kind} stored #{id}"),
        ),
        Ok(Outcome::Duplicate(id)) => (
            json_response(200, &json!({"status": "duplicate", "id": id})),
            format!("{kind} duplicate of #{id}"),
        ),
        Ok(Outcome::Kept(_) | Outcome::Recorded | Outcome::Replayed(_) | Outcome::Pulled(_)) => {
            unreachable!("events are stored or duplicates")
        }
        Err(err) => (
            store_error_response(&err),
            format!("{kind} not stored: {err}"),
        ),
    };
    shared.log(
        response.status_code().0,
        &path,
        &format!("{note} ({bytes} bytes)"),
    );
    let _ = request.respond(response);
}

/// The answer when the store could not take an event. It says what the client can do, never the
/// database's own error text (that goes to the request log, for the user).
fn store_error_response(err: &StoreError) -> Response<std::io::Cursor<Vec<u8>>> {
    if err.is_transient() {
        json_response(
            503,
            &json!({"error": "the event could not be stored now; send it again later"}),
        )
        .with_header(header("Retry-After", &RETRY_AFTER_SECS.to_string()))
    } else {
        json_response(500, &json!({"error": "the event could not be stored"}))
    }
}

/// The replay mark of a request: `X-Logbook-Replay`'s token and `X-Logbook-Replay-Of`'s event
/// number, when it carries one; an error when either is not what Logbook sends.
fn replay_mark(headers: &[(String, String)]) -> Result<Option<(String, Option<i64>)>, String> {
    let find = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
    };
    let Some(token) = find(replays::REPLAY_HEADER) else {
        return Ok(None);
    };
    if !replays::valid_token(token) {
        return Err(format!(
            "{} must be 1 to {} letters, digits, '-' or '_'",
            replays::REPLAY_HEADER,
            replays::MAX_REPLAY_TOKEN_CHARS
        ));
    }
    let of = match find(replays::REPLAY_OF_HEADER) {
        None => None,
        Some(n) => Some(
            n.parse::<i64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("{} must be an event number", replays::REPLAY_OF_HEADER))?,
        ),
    };
    Ok(Some((token.to_owned(), of)))
}

/// Whether a web browser sent the request: browsers add `Origin` to every cross-origin `POST`
/// (even a "simple" one that needs no preflight) and `Sec-Fetch-Site` to every request they make.
/// Watson's servers send neither.
fn from_browser(headers: &[(String, String)]) -> bool {
    headers.iter().any(|(name, value)| {
        name.eq_ignore_ascii_case("origin")
            || (name.eq_ignore_ascii_case("sec-fetch-site") && !value.eq_ignore_ascii_case("none"))
    })
}

/// Characters of a path kept in one log line.
const LOGGED_PATH_CHARS: usize = 200;
/// Characters of a note (it may hold `event.name`) kept in one log line.
const LOGGED_NOTE_CHARS: usize = 300;

/// Client text made safe for one log line: control characters (line breaks, escape sequences) are
/// written as escapes, and text past `max_chars` is cut and marked.
fn loggable(text: &str, max_chars: usize) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == max_chars {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// The endpoint for `path`: an exact match (a trailing `/` ignored), else the catch-all if any.
fn find_endpoint<'a>(endpoints: &'a [Endpoint], path: &str) -> Option<&'a Endpoint> {
    let wanted = trim_slash(path);
    endpoints
        .iter()
        .find(|e| e.path.as_deref().is_some_and(|p| trim_slash(p) == wanted))
        .or_else(|| endpoints.iter().find(|e| e.path.is_none()))
}

fn trim_slash(path: &str) -> &str {
    if path.len() > 1 {
        path.trim_end_matches('/')
    } else {
        path
    }
}

enum BodyError {
    TooLarge(Vec<u8>, usize),
    Timeout(Vec<u8>),
    Broken,
}

/// Reads the whole body, refusing it past `limit` bytes or past `deadline`, however it trickles in.
fn read_body(
    request: &mut Request,
    limit: usize,
    deadline: Duration,
) -> Result<Vec<u8>, BodyError> {
    let started = Instant::now();
    // The declared length (within the limit) is reserved at once; the chunk lives on the stack, so a
    // request costs no large allocation (freeing one made glibc consolidate its free lists each time).
    let declared = request.body_length().unwrap_or(0).min(limit);
    let reader = request.as_reader();
    let mut body = Vec::with_capacity(request_capacity(limit).max(declared));
    let mut chunk = [0u8; 16 * 1024];
    loop {
        if started.elapsed() > deadline {
            return Err(BodyError::Timeout(body));
        }
        match reader.read(&mut chunk) {
            Ok(0) => return Ok(body),
            Ok(n) => {
                if body.len() + n > limit {
                    let keep = limit
                        .min(REJECTION_BODY_KEPT_BYTES)
                        .saturating_sub(body.len());
                    let read = body.len() + n;
                    body.extend_from_slice(&chunk[..n.min(keep)]);
                    return Err(BodyError::TooLarge(body, read));
                }
                body.extend_from_slice(&chunk[..n]);
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Err(BodyError::Timeout(body));
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return Err(BodyError::Broken),
        }
    }
}

fn request_capacity(limit: usize) -> usize {
    limit.min(16 * 1024)
}

/// A JSON answer of the receiver.
fn json_response(status: u16, body: &Value) -> Response<std::io::Cursor<Vec<u8>>> {
    plumbing::json_response(status, body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    /// Whether `rx` gets a message within `ms`.
    fn within(rx: &mpsc::Receiver<()>, ms: u64) -> bool {
        rx.recv_timeout(Duration::from_millis(ms)).is_ok()
    }

    #[test]
    fn the_gate_lets_in_its_limit_and_the_next_when_one_leaves() {
        let gate = Arc::new(Gate::new(2, ()));
        let first = gate.enter().expect("a place");
        let _second = gate.enter().expect("a place");
        let (entered, rx) = mpsc::channel();
        let waiting = {
            let gate = gate.clone();
            std::thread::spawn(move || {
                let pass = gate.enter();
                entered.send(()).unwrap();
                pass.is_some()
            })
        };
        assert!(
            !within(&rx, 200),
            "a third request waits while two are handled"
        );
        drop(first);
        assert!(within(&rx, 2_000), "it goes in once one is answered");
        assert!(waiting.join().unwrap());
    }

    #[test]
    fn stopping_waits_for_requests_in_flight_and_lets_none_in() {
        let gate = Arc::new(Gate::new(4, ()));
        let in_flight = gate.enter().expect("a place");
        let (stopped, rx) = mpsc::channel();
        let stopping = {
            let gate = gate.clone();
            std::thread::spawn(move || {
                gate.stop();
                stopped.send(()).unwrap();
            })
        };
        assert!(
            !within(&rx, 200),
            "stop waits for the request being handled"
        );
        assert!(gate.enter().is_none(), "a request arriving now is refused");
        drop(in_flight);
        assert!(within(&rx, 2_000), "stop returns once it is answered");
        stopping.join().unwrap();
        assert!(gate.enter().is_none());
    }

    #[test]
    fn once_stopped_the_gate_holds_nothing_of_what_requests_were_handled_with() {
        let shared = Arc::new(());
        let gate = Gate {
            state: Mutex::new(GateState {
                in_flight: 0,
                shared: Some(shared.clone()),
            }),
            changed: Condvar::new(),
            limit: 2,
        };
        let pass = gate.enter().expect("a place");
        assert_eq!(Arc::strong_count(&shared), 3);
        drop(pass);
        gate.stop();
        assert_eq!(Arc::strong_count(&shared), 1, "the store can be closed");
    }
}
