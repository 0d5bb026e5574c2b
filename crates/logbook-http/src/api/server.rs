//! The UI listener: a tiny_http server on loopback, protected like a notebook server.
//!
//! Contract: every request is checked in the same order before anything else happens: a loopback
//! `Host` on this port (else 403: DNS rebinding), a loopback `Origin` if one is sent (else 403:
//! another site's page), `GET` or `HEAD` (else 405; the one exception is `POST /api/replay`, which
//! takes a JSON body), then the launch's token (else 401). `/?token=T`
//! trades a valid token for an `HttpOnly; SameSite=Strict` cookie and a redirect to `/`. Request
//! workers answer quickly; live streams and downloads run on threads of their own, and all of them
//! end on [`UiServer::shutdown`].

use std::io::Cursor;
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use base64::Engine as _;
use tiny_http::{Header, Method, Request, Response, Server, StatusCode};

use super::{assets, routes};
use crate::plumbing::{self, header, header_value};
use logbook_core::config::Endpoint;
use logbook_core::query::Reader;
use logbook_service::ReceiverInfo;
use logbook_service::commands::REPLAY_HTTP;
use logbook_service::store::UiStore;
use logbook_service::types::{ApiError, ApiErrorKind};

/// Where the UI listens unless told otherwise: loopback, next to the receiver's 7420.
pub const DEFAULT_UI_LISTEN: &str = "127.0.0.1:7421";
/// Request-handling threads. Answers come from quick queries; streams have threads of their own.
pub const DEFAULT_UI_WORKERS: usize = 4;
/// Live streams and downloads running at once; past this, 503.
pub const MAX_STREAMS: usize = 32;
/// A socket read or write that makes no progress for this long ends the connection.
pub const UI_SOCKET_TIMEOUT_MS: u64 = 10_000;
/// Random bytes in a launch token (then URL-safe base64).
const TOKEN_BYTES: usize = 32;
/// The cookie that keeps the token after the first visit. Cookies are shared by every port of a
/// host, so the name carries the port: two `serve`s on one machine do not log each other out.
pub fn token_cookie(port: u16) -> String {
    format!("logbook_token_{port}")
}

/// Served on every answer: only this origin's scripts and styles, no frames, no plugins, no forms.
/// Images may come from anywhere (assistant responses show them); the UI never builds HTML from
/// payload text, so this is a second wall, not the first.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https: http:; media-src 'none'; frame-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; connect-src 'self'";

/// The page for a browser without the token: static, no stored data in it.
const UNAUTHORIZED_PAGE: &str = "<!doctype html>
<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Assistant Logbook</title></head>
<body><h1>Assistant Logbook</h1>
<p>Open the address that <code>logbook serve</code> printed when it started (the line <code>open</code>,
ending in <code>?token=…</code>). The token changes at every launch. Lost it? Run
<code>logbook url</code> (with the same <code>--db</code>, if <code>serve</code> was given one): it
prints the address again while <code>serve</code> runs.</p></body></html>
";

#[derive(Debug, thiserror::Error)]
pub enum UiServerError {
    #[error(
        "the UI listener must be on loopback: {0} is not (use 127.0.0.1:PORT, [::1]:PORT or localhost:PORT)"
    )]
    NotLoopback(String),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: String,
        source: std::io::Error,
    },
    #[error("cannot start the UI server: {0}")]
    Server(String),
}

#[derive(Debug, Clone)]
pub struct UiConfig {
    /// `HOST:PORT` on loopback; port 0 picks a free one.
    pub listen: String,
    pub workers: usize,
    pub socket_timeout: Duration,
    /// The receiver's endpoints with their secrets: a replay signed "with the endpoint's secret"
    /// signs with these (they are never sent to the browser).
    pub endpoints: Vec<Endpoint>,
}

impl UiConfig {
    pub fn new(listen: impl Into<String>) -> Self {
        Self {
            listen: listen.into(),
            workers: DEFAULT_UI_WORKERS,
            socket_timeout: Duration::from_millis(UI_SOCKET_TIMEOUT_MS),
            endpoints: Vec::new(),
        }
    }
}

/// A running UI server. [`UiServer::shutdown`] ends live streams and downloads and closes the port.
pub struct UiServer {
    addr: SocketAddr,
    server: Arc<Server>,
    shared: Arc<Shared>,
    workers: Vec<JoinHandle<()>>,
}

/// What every request thread shares.
pub(super) struct Shared {
    pub store: UiStore,
    pub receiver: ReceiverInfo,
    pub endpoints: Vec<Endpoint>,
    token: String,
    port: u16,
    /// Set once by shutdown; every loop that waits looks at it.
    pub stopping: Arc<AtomicBool>,
    streams: Mutex<Vec<JoinHandle<()>>>,
}

impl UiServer {
    /// Binds `config.listen` (loopback only) and starts the workers, with a fresh random token.
    pub fn start(
        config: UiConfig,
        store: impl Into<UiStore>,
        receiver: ReceiverInfo,
    ) -> Result<Self, UiServerError> {
        let store = store.into();
        let listener = listen(&config.listen, config.socket_timeout)?;
        let addr = listener
            .local_addr()
            .map_err(|source| UiServerError::Listen {
                addr: config.listen.clone(),
                source,
            })?;
        let server = Arc::new(
            Server::from_listener(listener, None)
                .map_err(|e| UiServerError::Server(e.to_string()))?,
        );
        let token = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(rand::random::<[u8; TOKEN_BYTES]>());
        let shared = Arc::new(Shared {
            store,
            receiver,
            endpoints: config.endpoints,
            token,
            port: addr.port(),
            stopping: Arc::new(AtomicBool::new(false)),
            streams: Mutex::new(Vec::new()),
        });
        let handler = shared.clone();
        // One reader per worker, opened on first use.
        let workers = plumbing::spawn_workers(
            &server,
            config.workers,
            "logbook-ui",
            &shared.stopping,
            || None,
            move |reader, request| handle(&handler, reader, request),
        );
        Ok(Self {
            addr,
            server,
            shared,
            workers,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// This launch's token.
    pub fn token(&self) -> &str {
        &self.shared.token
    }

    /// The address to open: `http://127.0.0.1:PORT/?token=…`.
    pub fn url_with_token(&self) -> String {
        format!("http://{}/?token={}", self.addr, self.shared.token)
    }

    /// Stops taking requests, ends live streams and downloads, waits for every thread, closes the port.
    pub fn shutdown(self) {
        self.shared.stopping.store(true, Ordering::Relaxed);
        for worker in self.workers {
            let _ = worker.join();
        }
        let streams = std::mem::take(&mut *self.shared.streams.lock().expect("streams lock"));
        for stream in streams {
            let _ = stream.join();
        }
        self.server.unblock();
    }
}

/// Binds `addr` after checking that every address it names is loopback.
fn listen(addr: &str, timeout: Duration) -> Result<TcpListener, UiServerError> {
    let err = |source| UiServerError::Listen {
        addr: addr.to_owned(),
        source,
    };
    if plumbing::resolve(addr)
        .map_err(err)?
        .iter()
        .any(|a| !a.ip().is_loopback())
    {
        return Err(UiServerError::NotLoopback(addr.to_owned()));
    }
    plumbing::listen(addr, timeout).map_err(err)
}

impl Shared {
    pub fn stopping(&self) -> bool {
        self.stopping.load(Ordering::Relaxed)
    }

    /// A reader for this worker, opened on first use and reopened after a failure.
    pub fn reader<'a>(&self, slot: &'a mut Option<Reader>) -> Result<&'a Reader, ApiError> {
        if slot.is_none() {
            *slot = Some(self.store.reader()?);
        }
        Ok(slot.as_ref().expect("just opened"))
    }

    /// Runs `f` on a thread of its own (a live stream or a download), or answers 503 when too many
    /// are running.
    pub fn spawn_stream(
        &self,
        request: Request,
        name: &str,
        f: impl FnOnce(Request) + Send + 'static,
    ) {
        let mut streams = self.streams.lock().expect("streams lock");
        streams.retain(|s| !s.is_finished());
        if streams.len() >= MAX_STREAMS || self.stopping() {
            drop(streams);
            let err = ApiError::new(
                ApiErrorKind::Unavailable,
                "too many live streams and downloads at once; close some tabs",
            );
            let _ = request.respond(error_response(&err));
            return;
        }
        // If no thread can be made, the request goes with the closure: its connection closes unanswered.
        if let Ok(handle) = std::thread::Builder::new()
            .name(format!("logbook-ui-{name}"))
            .spawn(move || f(request))
        {
            streams.push(handle);
        }
    }

    /// The three names a loopback request may use for this listener, as `Host` values.
    fn loopback_hosts(&self) -> [String; 3] {
        let p = self.port;
        [
            format!("127.0.0.1:{p}"),
            format!("localhost:{p}"),
            format!("[::1]:{p}"),
        ]
    }

    /// DNS rebinding (a foreign `Host`) and cross-site requests (a foreign `Origin`) are refused.
    fn check_host_and_origin(&self, request: &Request) -> Result<(), ApiError> {
        let hosts = self.loopback_hosts();
        let host = header_value(request, "Host").unwrap_or_default();
        if !hosts.iter().any(|h| h.eq_ignore_ascii_case(host.trim())) {
            return Err(ApiError::new(
                ApiErrorKind::Forbidden,
                "the Host header must name this loopback listener (127.0.0.1, localhost or [::1] with its port)",
            ));
        }
        if let Some(origin) = header_value(request, "Origin") {
            let ok = hosts
                .iter()
                .any(|h| origin.trim().eq_ignore_ascii_case(&format!("http://{h}")));
            if !ok {
                return Err(ApiError::new(
                    ApiErrorKind::Forbidden,
                    "requests from other sites' pages are refused",
                ));
            }
        }
        Ok(())
    }

    fn token_matches(&self, candidate: &str) -> bool {
        constant_time_eq::constant_time_eq(candidate.as_bytes(), self.token.as_bytes())
    }

    /// Whether the request carries the token, as the cookie or as `Authorization: Bearer`.
    fn authorized(&self, request: &Request) -> bool {
        let bearer = request
            .headers()
            .iter()
            .filter(|h| h.field.equiv("Authorization"))
            .filter_map(|h| {
                let value = h.value.as_str().trim();
                let (scheme, token) = value.split_once(' ')?;
                scheme
                    .eq_ignore_ascii_case("bearer")
                    .then(|| token.trim().to_owned())
            })
            .any(|t| self.token_matches(&t));
        bearer
            || request
                .headers()
                .iter()
                .filter(|h| h.field.equiv("Cookie"))
                .flat_map(|h| cookie_values(h.value.as_str(), &token_cookie(self.port)))
                .any(|t| self.token_matches(&t))
    }
}

/// The values of every cookie called `name` in a `Cookie` header.
fn cookie_values(header: &str, name: &str) -> Vec<String> {
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(n, _)| *n == name)
        .map(|(_, v)| v.trim().trim_matches('"').to_owned())
        .collect()
}

/// A request's query string, decoded.
pub(super) struct Params(Vec<(String, String)>);

impl Params {
    pub fn parse(query: &str) -> Self {
        Self(
            form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect(),
        )
    }

    /// Every pair, in order.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    /// The first value of `key`; an empty value counts as given.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

fn handle(shared: &Arc<Shared>, reader: &mut Option<Reader>, request: Request) {
    let url = request.url().to_owned();
    let (path, query) = url.split_once('?').unwrap_or((&url, ""));
    let path = path.split('#').next().unwrap_or_default();
    let is_api = path == "/api" || path.starts_with("/api/");
    let refuse = |request: Request, err: ApiError| {
        let response = if is_api {
            error_response(&err)
        } else {
            text_response(err.status(), &err.message)
        };
        let _ = request.respond(response);
    };

    if let Err(err) = shared.check_host_and_origin(&request) {
        return refuse(request, err);
    }
    let method = request.method().clone();
    // The one write: a replay the user sends from the event view (a JSON body, so a page of
    // another site cannot make it without a preflight, which the Origin check refuses anyway).
    let replay = path == REPLAY_HTTP;
    if replay && method != Method::Post {
        let err = ApiError::new(
            ApiErrorKind::MethodNotAllowed,
            format!("{method} is not allowed here: a replay is a POST"),
        );
        let _ = request.respond(error_response(&err).with_header(header("Allow", "POST")));
        return;
    }
    if !(replay || method == Method::Get || (method == Method::Head && !is_api)) {
        let allow = if is_api { "GET" } else { "GET, HEAD" };
        let err = ApiError::new(
            ApiErrorKind::MethodNotAllowed,
            format!("{method} is not allowed here: this listener only reads ({allow})"),
        );
        let response = if is_api {
            error_response(&err)
        } else {
            text_response(405, &err.message)
        };
        let _ = request.respond(response.with_header(header("Allow", allow)));
        return;
    }
    if !path.starts_with('/') {
        return refuse(
            request,
            ApiError::new(
                ApiErrorKind::BadRequest,
                "the request target must be a path",
            ),
        );
    }
    let params = Params::parse(query);
    if path == "/"
        && let Some(token) = params.get("token")
    {
        if shared.token_matches(token) {
            let cookie = format!(
                "{}={token}; HttpOnly; SameSite=Strict; Path=/",
                token_cookie(shared.port)
            );
            let response = secure(Response::from_data(Vec::new()).with_status_code(303))
                .with_header(header("Location", "/"))
                .with_header(header("Set-Cookie", &cookie))
                .with_header(header("Cache-Control", "no-store"));
            let _ = request.respond(response);
        } else {
            let _ = request.respond(unauthorized_page());
        }
        return;
    }
    if !shared.authorized(&request) {
        if is_api {
            let err = ApiError::new(
                ApiErrorKind::Unauthorized,
                "the token is missing or wrong: open the address `logbook serve` printed",
            );
            let _ = request.respond(error_response(&err));
        } else {
            let _ = request.respond(unauthorized_page());
        }
        return;
    }
    if replay {
        routes::replay(shared, reader, request);
    } else if is_api {
        routes::handle(shared, reader, request, path, &params);
    } else {
        let _ = request.respond(assets::response(path));
    }
}

/// The headers every answer carries.
pub(super) fn security_headers() -> [Header; 4] {
    [
        header("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        header("X-Content-Type-Options", "nosniff"),
        header("Referrer-Policy", "no-referrer"),
        header("X-Frame-Options", "DENY"),
    ]
}

pub(super) fn secure<R: std::io::Read>(mut response: Response<R>) -> Response<R> {
    for h in security_headers() {
        response.add_header(h);
    }
    response
}

/// A JSON answer of the API already serialised (never cached).
pub(super) fn json_body_response(status: u16, body: Vec<u8>) -> Response<Cursor<Vec<u8>>> {
    secure(plumbing::json_body_response(status, body))
}

pub(super) fn error_response(err: &ApiError) -> Response<Cursor<Vec<u8>>> {
    secure(plumbing::json_response(err.status(), err))
}

/// A plain-text refusal outside the API.
fn text_response(status: u16, message: &str) -> Response<Cursor<Vec<u8>>> {
    secure(Response::from_data(format!("{message}\n").into_bytes()).with_status_code(status))
        .with_header(header("Content-Type", "text/plain; charset=utf-8"))
        .with_header(header("Cache-Control", "no-store"))
}

/// A fixed HTML page (never one built from stored data).
fn static_page(status: u16, page: &'static str) -> Response<Cursor<Vec<u8>>> {
    secure(Response::from_data(page.as_bytes().to_vec()).with_status_code(StatusCode(status)))
        .with_header(header("Content-Type", "text/html; charset=utf-8"))
        .with_header(header("Cache-Control", "no-store"))
}

fn unauthorized_page() -> Response<Cursor<Vec<u8>>> {
    static_page(401, UNAUTHORIZED_PAGE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_by_name() {
        assert_eq!(
            cookie_values("a=1; logbook_token_7421=abc; b=2", &token_cookie(7421)),
            ["abc"]
        );
        assert_eq!(
            cookie_values("logbook_token_1=x;logbook_token_1=\"y\"", &token_cookie(1)),
            ["x", "y"]
        );
        assert!(cookie_values("logbook_token_74210=abc", &token_cookie(7421)).is_empty());
    }

    #[test]
    fn query_strings_are_decoded() {
        let p = Params::parse("q=intent%3Apay_bill+refund&limit=5&facets=");
        assert_eq!(p.get("q"), Some("intent:pay_bill refund"));
        assert_eq!(p.get("limit"), Some("5"));
        assert_eq!(p.get("facets"), Some(""));
        assert_eq!(p.get("cursor"), None);
    }

    #[test]
    fn only_loopback_addresses_are_bound() {
        for addr in ["0.0.0.0:0", "192.0.2.1:7421", "[::]:0"] {
            assert!(
                matches!(
                    listen(addr, Duration::from_secs(1)),
                    Err(UiServerError::NotLoopback(_))
                ),
                "{addr}"
            );
        }
        let message = UiServerError::NotLoopback("0.0.0.0:7421".into()).to_string();
        assert!(message.starts_with("the UI listener must be on loopback"));
        assert!(listen("127.0.0.1:0", Duration::from_secs(1)).is_ok());
    }
}
