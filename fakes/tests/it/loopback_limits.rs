//! A fake served on a real socket treats slow and idle peers as a real server
//! does: a half-sent head, a stalled body and an idle kept-alive connection are
//! cut off instead of being held open forever.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use axum::routing::{get, post};
use axum::Router;
use bytes::Bytes;
use squadsim_fakes::net::{serve_loopback_with, LoopbackLimits};

const LIMITS: LoopbackLimits = LoopbackLimits {
    header_read: Duration::from_millis(300),
    body_idle: Duration::from_millis(300),
    accept_backoff: Duration::from_millis(5),
    accept_backoff_max: Duration::from_secs(1),
};

/// Serves a two-route router with [`LIMITS`] on a free loopback port.
fn serve(executor: &tokio::runtime::Runtime) -> std::net::SocketAddr {
    let router =
        Router::new().route("/ping", get(|| async { "pong" })).route("/echo", post(|body: Bytes| async move { body }));
    executor.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(serve_loopback_with(router, listener, LIMITS));
        addr
    })
}

fn executor() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap()
}

/// Everything the server sends until it closes the connection; panics if it is
/// still open after 10 s (far beyond every limit, far below hyper's own 30 s).
fn until_closed(stream: &mut TcpStream) -> String {
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let started = Instant::now();
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return String::from_utf8_lossy(&received).into_owned(),
            Ok(n) => received.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                return String::from_utf8_lossy(&received).into_owned()
            }
            Err(e) => panic!("still open after {:?} ({e}); received {received:?}", started.elapsed()),
        }
    }
}

/// Sends `bytes` on a fresh connection to a served router and returns all it
/// answers until the server closes the connection.
fn answer_to(bytes: &[u8]) -> String {
    let executor = executor();
    let mut stream = TcpStream::connect(serve(&executor)).unwrap();
    stream.write_all(bytes).unwrap();
    until_closed(&mut stream)
}

#[test]
fn a_half_sent_head_is_cut_off() {
    answer_to(b"GET /ping HTTP/1.1\r\nHost: x\r\n");
}

#[test]
fn a_stalled_body_is_answered_408_and_closed() {
    let answer = answer_to(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789");
    assert!(answer.starts_with("HTTP/1.1 408 Request Timeout\r\n"), "{answer}");
}

#[test]
fn an_idle_kept_alive_connection_is_closed_and_a_whole_body_still_echoes() {
    let answer = answer_to(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n") && answer.ends_with("hello"), "{answer}");
}
