//! What both listeners (the receiver and the read API) are built on: a listening socket with
//! timeouts, the worker loop, and the helpers that make headers and JSON answers.
//!
//! Contract: every accepted connection inherits the listening socket's read and write timeouts
//! (tiny_http sets none of its own), which is how a stalled client is cut off. Workers take requests
//! until `stopping` is set, looking at it every [`STOP_CHECK_MS`].

use std::io::{Cursor, ErrorKind};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use serde::Serialize;
use tiny_http::{Header, Request, Response, Server};

/// How often waiting threads look whether their server is stopping.
pub const STOP_CHECK_MS: u64 = 100;
/// Connections waiting to be accepted.
const BACKLOG: i32 = 1024;

/// The addresses `addr` (`HOST:PORT`) names.
pub fn resolve(addr: &str) -> std::io::Result<Vec<SocketAddr>> {
    let addrs: Vec<SocketAddr> = std::net::ToSocketAddrs::to_socket_addrs(addr)?.collect();
    if addrs.is_empty() {
        return Err(std::io::Error::new(ErrorKind::InvalidInput, "no address"));
    }
    Ok(addrs)
}

/// Binds the first address `addr` names, with read/write timeouts on the listening socket that
/// every accepted connection inherits.
pub fn listen(addr: &str, timeout: Duration) -> std::io::Result<TcpListener> {
    use socket2::{Domain, Socket, Type};
    let sock_addr = resolve(addr)?[0];
    let socket = Socket::new(Domain::for_address(sock_addr), Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    socket.set_read_timeout(Some(timeout))?;
    socket.set_write_timeout(Some(timeout))?;
    socket.bind(&sock_addr.into())?;
    socket.listen(BACKLOG)?;
    Ok(socket.into())
}

/// Starts `count` (at least one) threads named `name-N` that answer `server`'s requests with
/// `handle` until `stopping` is set. Each has its own state, made by `state` (a read-only
/// connection opened on first use, say).
pub fn spawn_workers<S, H>(
    server: &Arc<Server>,
    count: usize,
    name: &str,
    stopping: &Arc<AtomicBool>,
    state: impl Fn() -> S,
    handle: H,
) -> Vec<JoinHandle<()>>
where
    S: Send + 'static,
    H: Fn(&mut S, Request) + Clone + Send + 'static,
{
    (0..count.max(1))
        .map(|i| {
            let (server, stopping, handle) = (server.clone(), stopping.clone(), handle.clone());
            let mut state = state();
            std::thread::Builder::new()
                .name(format!("{name}-{i}"))
                .spawn(move || {
                    while !stopping.load(Ordering::Relaxed) {
                        match server.recv_timeout(Duration::from_millis(STOP_CHECK_MS)) {
                            Ok(Some(request)) => handle(&mut state, request),
                            Ok(None) => {}
                            Err(_) => break,
                        }
                    }
                })
                .expect("spawn a worker thread")
        })
        .collect()
}

/// A header from text known to be valid.
pub fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("header is valid")
}

/// The first value of a request header.
pub fn header_value<'a>(request: &'a Request, name: &'static str) -> Option<&'a str> {
    request
        .headers()
        .iter()
        .find(|h| h.field.equiv(name))
        .map(|h| h.value.as_str())
}

/// A JSON answer already serialised (never cached).
pub fn json_body_response(status: u16, body: Vec<u8>) -> Response<Cursor<Vec<u8>>> {
    Response::from_data(body)
        .with_status_code(status)
        .with_header(header("Content-Type", "application/json"))
        .with_header(header("Cache-Control", "no-store"))
}

/// A JSON answer (never cached).
pub fn json_response<T: Serialize + ?Sized>(status: u16, value: &T) -> Response<Cursor<Vec<u8>>> {
    json_body_response(
        status,
        serde_json::to_vec(value).expect("answers serialise"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listening_sockets_carry_the_timeout() {
        let listener = listen("127.0.0.1:0", Duration::from_millis(1500)).unwrap();
        let socket = socket2::SockRef::from(&listener);
        assert_eq!(
            socket.read_timeout().unwrap(),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            socket.write_timeout().unwrap(),
            Some(Duration::from_millis(1500))
        );
        assert!(resolve("no-such-host.invalid:1").is_err());
    }
}
