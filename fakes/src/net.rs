//! HTTP over the simulated network (turmoil) and over real loopback sockets.
//!
//! Every fake and every modelled service is an axum [`Router`]; [`serve_simulated`]
//! mounts one on a turmoil listener, [`serve_loopback`] on a real TCP listener, so
//! the same handlers answer in both worlds. On a real socket the server also
//! does what a real one does against slow, idle and failing peers
//! ([`LoopbackLimits`]): it never stops accepting after a failed `accept()`, and
//! it times out half-sent heads, stalled bodies and idle kept-alive connections. [`HttpClient`] is the one client the
//! services use to talk to each other: hyper over turmoil streams inside the
//! simulation, hyper over tokio streams outside.
//!
//! Guarantees:
//! - no wall clock: hyper's timers are tokio's, which turmoil drives;
//! - every exchange is bounded by the client's timeout, so a partition or a peer
//!   that never answers becomes [`HttpError::Timeout`] (the runbook's "HTTP 000", `docs/seeds.md`),
//!   never a hang;
//! - HTTP/1.1 keep-alive: a connection is reused for the next request to the same
//!   host and port from the same tokio runtime (each turmoil host incarnation has its
//!   own tokio runtime, so a connection never crosses hosts or outlives a crash of the
//!   host it was opened on); an idle connection is reused for at most
//!   [`MAX_IDLE`] (servers close idle ones after hyper's 30 s header-read
//!   timeout), at most [`MAX_IDLE_PER_TARGET`] are kept idle, one found closed (its peer crashed or closed it) is dropped, and
//!   a request a reused connection could not even send is sent once more on a
//!   new connection; a request that may have reached the server is never
//!   resent;
//! - a client given a [`CallRecorder`] appends every exchange it makes inside a
//!   simulation (from, to, method, path, status, simulated start and end), in
//!   completion order: deterministic, no wall clock, no change to the exchange.

use std::error::Error;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};

use crate::timer::HyperTimer;

/// The largest response body a client reads (16 MiB).
pub(crate) const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// How long a client reuses an idle connection: well inside the 30 s after which
/// a hyper server closes a connection that sends no request.
pub const MAX_IDLE: Duration = Duration::from_secs(15);

/// The most idle connections a client keeps to one host and port (from one
/// tokio runtime); more are closed as they come back. A burst of calls (a thousand
/// agents in lockstep) would otherwise keep its peak number of connections open.
pub const MAX_IDLE_PER_TARGET: usize = 32;

/// Serves `router` on `port` of the current turmoil host until the host stops.
pub async fn serve_simulated(router: Router, port: u16) -> Result<(), Box<dyn Error>> {
    let listener = turmoil::net::TcpListener::bind((IpAddr::V4(Ipv4Addr::UNSPECIFIED), port)).await?;
    loop {
        let (stream, _) = listener.accept().await?;
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(HyperTimer);
        spawn_connection(stream, router.clone(), http);
    }
}

/// How a server on a real socket treats slow, idle and failing peers, as real
/// servers do. The simulation has none of this: [`serve_simulated`] keeps
/// hyper's defaults, so outcomes do not change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoopbackLimits {
    /// A request's head must arrive within this; a kept-alive connection left
    /// idle this long is closed too (hyper's `header_read_timeout` runs while
    /// it waits for the next request).
    pub header_read: Duration,
    /// A request body that sends nothing for this long is answered `408 Request
    /// Timeout`, and its connection closed.
    pub body_idle: Duration,
    /// After a failed `accept()` (EMFILE when file descriptors run out, ...),
    /// the first wait before accepting again; it doubles up to `accept_backoff_max`
    /// while accepting keeps failing (as Go's net/http does).
    pub accept_backoff: Duration,
    pub accept_backoff_max: Duration,
}

impl Default for LoopbackLimits {
    /// Ten seconds for a head and between body bytes; back-off from 5 ms to 1 s.
    fn default() -> Self {
        LoopbackLimits {
            header_read: Duration::from_secs(10),
            body_idle: Duration::from_secs(10),
            accept_backoff: Duration::from_millis(5),
            accept_backoff_max: Duration::from_secs(1),
        }
    }
}

/// Serves `router` on a real, already bound listener (used by `squadsim serve` and
/// the loopback tests of real clients), with the default [`LoopbackLimits`].
pub async fn serve_loopback(router: Router, listener: tokio::net::TcpListener) {
    serve_loopback_with(router, listener, LoopbackLimits::default()).await
}

/// Serves `router` on a real listener until the task is dropped: a failed
/// `accept()` never ends the listener (a connection the peer aborted is skipped;
/// anything else, such as running out of file descriptors, is logged to stderr
/// and retried after a back-off); slow and idle peers are cut off by `limits`.
pub async fn serve_loopback_with(router: Router, listener: tokio::net::TcpListener, limits: LoopbackLimits) {
    let body_idle = limits.body_idle;
    let router = router.layer(axum::middleware::from_fn(move |request, next| idle_bodies(body_idle, request, next)));
    let mut backoff = limits.accept_backoff;
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                backoff = limits.accept_backoff;
                let mut http = hyper::server::conn::http1::Builder::new();
                http.timer(HyperTimer).header_read_timeout(limits.header_read);
                spawn_connection(stream, router.clone(), http);
            }
            Err(e) if is_per_connection(&e) => {}
            Err(e) => {
                let at = listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
                eprintln!("{at}: accept failed ({e}); accepting again in {backoff:?}");
                crate::timer::sleep(backoff).await;
                backoff = (backoff * 2).min(limits.accept_backoff_max);
            }
        }
    }
}

/// An `accept()` error about one connection (its peer gave up before it was
/// accepted): the listener is fine.
fn is_per_connection(e: &std::io::Error) -> bool {
    use std::io::ErrorKind;
    matches!(e.kind(), ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset | ErrorKind::ConnectionRefused)
}

fn spawn_connection<S>(stream: S, router: Router, http: hyper::server::conn::http1::Builder)
where
    S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    tokio::spawn(async move {
        let service = TowerToHyperService::new(router);
        let conn = http.serve_connection(TokioIo::new(stream), service);
        // A peer that goes away mid-exchange ends only its own connection.
        let _ = conn.await;
    });
}

/// Answers `408 Request Timeout` (and closes the connection) when the request's
/// body sends nothing for `idle`, whatever the handler made of the broken body.
async fn idle_bodies(
    idle: Duration,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let timed_out = Arc::new(AtomicBool::new(false));
    let flag = timed_out.clone();
    let request = request.map(|body| axum::body::Body::new(IdleBody { body, idle, sleep: None, timed_out: flag }));
    let response = next.run(request).await;
    if timed_out.load(Ordering::Relaxed) {
        let close = [(hyper::header::CONNECTION, "close")];
        return (StatusCode::REQUEST_TIMEOUT, close, "request body timed out\n").into_response();
    }
    response
}

/// A request body that fails when it sends nothing for `idle` (the timer
/// restarts with every frame).
struct IdleBody {
    body: axum::body::Body,
    idle: Duration,
    sleep: Option<crate::timer::Timer<tokio::time::Sleep>>,
    timed_out: Arc<AtomicBool>,
}

impl hyper::body::Body for IdleBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        if let Poll::Ready(frame) = Pin::new(&mut this.body).poll_frame(cx) {
            this.sleep = None;
            return Poll::Ready(frame);
        }
        let idle = this.idle;
        let sleep = this.sleep.get_or_insert_with(|| crate::timer::sleep(idle));
        if Pin::new(sleep).poll(cx).is_pending() {
            return Poll::Pending;
        }
        this.timed_out.store(true, Ordering::Relaxed);
        Poll::Ready(Some(Err(axum::Error::new(format!("no request body bytes for {idle:?}")))))
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.body.size_hint()
    }
}

/// Where a client's connections go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// turmoil's simulated network; host names resolve through turmoil's DNS.
    Simulated,
    /// real sockets (loopback in tests).
    Loopback,
}

/// Why an exchange produced no HTTP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpError {
    /// No complete response within the client's timeout (curl's "HTTP 000").
    Timeout,
    /// The connection could not be made or broke (refused, reset, host down).
    Connection(String),
    /// The URL could not be understood.
    BadUrl(String),
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HttpError::Timeout => f.write_str("no response before the client timeout"),
            HttpError::Connection(e) => write!(f, "connection failed: {e}"),
            HttpError::BadUrl(u) => write!(f, "bad url: {u}"),
        }
    }
}

impl Error for HttpError {}

/// A complete HTTP response.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: StatusCode,
    pub headers: hyper::HeaderMap,
    pub body: Bytes,
}

impl HttpResponse {
    /// The body parsed as JSON, or `Value::Null` when it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// An HTTP/1.1 client with a per-exchange timeout and kept-alive connections.
/// Clones share the connections.
#[derive(Debug, Clone)]
pub struct HttpClient {
    transport: Transport,
    timeout: Duration,
    /// Where this client records its exchanges, and the host it runs on.
    recorder: Option<(CallRecorder, Arc<str>)>,
    pool: Pool,
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

/// Where a kept-alive connection goes, and the tokio runtime it was opened on.
type PoolKey = (tokio::runtime::Id, String, u16);

/// Idle connections to one target, each with the moment it went idle.
type IdleList = Vec<(Sender, tokio::time::Instant)>;

/// Idle kept-alive connections, by tokio runtime and target, each with the moment it
/// went idle (tokio's clock: simulated time inside turmoil). Lookups only: the
/// map is never iterated, so its order cannot reach any output.
#[derive(Debug, Clone, Default)]
struct Pool {
    idle: Arc<Mutex<std::collections::HashMap<PoolKey, IdleList>>>,
}

impl Pool {
    /// The most recently idle connection to `key` still open and idle for less
    /// than [`MAX_IDLE`]; the others on the way are dropped (which closes them).
    fn checkout(&self, key: &PoolKey) -> Option<Sender> {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        let list = idle.get_mut(key)?;
        let now = tokio::time::Instant::now();
        while let Some((sender, since)) = list.pop() {
            if !sender.is_closed() && now.duration_since(since) < MAX_IDLE {
                return Some(sender);
            }
        }
        None
    }

    fn put(&self, key: PoolKey, sender: Sender) {
        if sender.is_closed() {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        let list = idle.entry(key).or_default();
        if list.len() < MAX_IDLE_PER_TARGET {
            list.push((sender, tokio::time::Instant::now()));
        }
    }
}

/// One exchange as a recording client saw it, in simulated time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpCall {
    /// The host the client runs on.
    pub from: String,
    /// The host the request was addressed to.
    pub to: String,
    pub method: String,
    /// The request path without its query string.
    pub path: String,
    /// `None`: no response (timeout or broken connection, the runbook's "HTTP 000").
    pub status: Option<u16>,
    /// Simulated time since the start of the simulation when the request left.
    pub start: Duration,
    /// Simulated time when the response (or the failure) came.
    pub end: Duration,
}

/// Collects the exchanges of every client recording into it, in completion order.
/// Clones share one list.
#[derive(Debug, Clone, Default)]
pub struct CallRecorder {
    calls: Arc<Mutex<Vec<HttpCall>>>,
}

impl CallRecorder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every exchange recorded so far, in completion order.
    pub fn calls(&self) -> Vec<HttpCall> {
        self.calls.lock().map(|c| c.clone()).unwrap_or_default()
    }

    fn push(&self, call: HttpCall) {
        if let Ok(mut calls) = self.calls.lock() {
            calls.push(call);
        }
    }
}

/// A request under construction; send it with [`HttpClient::send`].
#[derive(Debug, Clone)]
pub struct HttpRequest {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl HttpRequest {
    pub fn new(method: Method, url: impl Into<String>) -> Self {
        HttpRequest { method, url: url.into(), headers: Vec::new(), body: Bytes::new() }
    }

    pub fn get(url: impl Into<String>) -> Self {
        Self::new(Method::GET, url)
    }

    pub fn post(url: impl Into<String>) -> Self {
        Self::new(Method::POST, url)
    }

    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", format!("Bearer {token}"))
    }

    pub fn json(mut self, value: &serde_json::Value) -> Self {
        self.body = Bytes::from(value.to_string());
        self.header("content-type", "application/json")
    }
}

/// `http://host[:port]/path?query` split into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub host: String,
    pub port: u16,
    pub path_and_query: String,
}

/// Parses a plain-HTTP URL (the only scheme inside the simulation and on loopback).
pub fn parse_url(url: &str) -> Result<Target, HttpError> {
    let rest = url.strip_prefix("http://").ok_or_else(|| HttpError::BadUrl(url.to_string()))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h, p.parse::<u16>().map_err(|_| HttpError::BadUrl(url.to_string()))?),
        None => (authority, 80),
    };
    if host.is_empty() {
        return Err(HttpError::BadUrl(url.to_string()));
    }
    Ok(Target { host: host.to_string(), port, path_and_query: path.to_string() })
}

impl HttpClient {
    pub fn new(transport: Transport, timeout: Duration) -> Self {
        HttpClient { transport, timeout, recorder: None, pool: Pool::default() }
    }

    /// The same client, recording every exchange it makes inside a simulation
    /// into `recorder` as coming from the host `from` (the host it runs on).
    /// Outside a simulation nothing is recorded (there is no simulated time).
    pub fn recording(&self, recorder: &CallRecorder, from: &str) -> Self {
        HttpClient { recorder: Some((recorder.clone(), Arc::from(from))), ..self.clone() }
    }

    /// A client on turmoil's network.
    pub fn simulated(timeout: Duration) -> Self {
        Self::new(Transport::Simulated, timeout)
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The same client with another timeout.
    pub fn with_timeout(&self, timeout: Duration) -> Self {
        HttpClient { timeout, ..self.clone() }
    }

    /// Sends one request; any response (2xx..5xx) is `Ok`.
    pub async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let target = parse_url(&request.url)?;
        let recording = self.recorder.as_ref().filter(|_| self.transport == Transport::Simulated).map(|(r, from)| {
            let path = target.path_and_query.split('?').next().unwrap_or_default().to_string();
            let start = turmoil::sim_elapsed().unwrap_or_default();
            (r, from, target.host.clone(), request.method.to_string(), path, start)
        });
        let result = match crate::timer::timeout(self.timeout, self.exchange(target, request)).await {
            Ok(result) => result,
            Err(_) => Err(HttpError::Timeout),
        };
        if let Some((recorder, from, to, method, path, start)) = recording {
            recorder.push(HttpCall {
                from: from.to_string(),
                to,
                method,
                path,
                status: result.as_ref().ok().map(|r| r.status.as_u16()),
                start,
                end: turmoil::sim_elapsed().unwrap_or(start),
            });
        }
        result
    }

    /// One exchange: on a kept-alive connection if one is idle, else on a new one.
    async fn exchange(&self, target: Target, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let key: PoolKey = (tokio::runtime::Handle::current().id(), target.host.clone(), target.port);
        if let Some(sender) = self.pool.checkout(&key) {
            match self.exchange_on(&key, sender, &target, &request).await {
                // The connection closed before the request left: it never reached the server.
                Err(Unsent(_)) => {}
                Ok(response) => return Ok(response),
                Err(Sent(e)) => return Err(e),
            }
        }
        let sender = self.connect(&target).await?;
        self.exchange_on(&key, sender, &target, &request).await.map_err(|(Unsent(e) | Sent(e))| e)
    }

    /// A new connection to `target`, its HTTP/1.1 handshake done.
    async fn connect(&self, target: &Target) -> Result<Sender, HttpError> {
        let conn_err = |e: std::io::Error| HttpError::Connection(e.to_string());
        match self.transport {
            Transport::Simulated => {
                let stream =
                    turmoil::net::TcpStream::connect((target.host.as_str(), target.port)).await.map_err(conn_err)?;
                handshake(stream).await
            }
            Transport::Loopback => {
                let stream =
                    tokio::net::TcpStream::connect((target.host.as_str(), target.port)).await.map_err(conn_err)?;
                handshake(stream).await
            }
        }
    }

    /// Sends `request` on `sender` and reads the whole response; the connection
    /// goes back to the pool once the response is read, if it stays open.
    async fn exchange_on(
        &self,
        key: &PoolKey,
        mut sender: Sender,
        target: &Target,
        request: &HttpRequest,
    ) -> Result<HttpResponse, Failure> {
        let broken = |e: hyper::Error| HttpError::Connection(e.to_string());
        sender.ready().await.map_err(|e| Unsent(broken(e)))?;
        let authority =
            if target.port == 80 { target.host.clone() } else { format!("{}:{}", target.host, target.port) };
        let mut builder = Request::builder()
            .method(request.method.clone())
            .uri(target.path_and_query.as_str())
            .header("host", authority);
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let req = builder.body(Full::new(request.body.clone())).map_err(|e| Sent(HttpError::BadUrl(e.to_string())))?;
        let response = sender.send_request(req).await.map_err(|e| match e.is_canceled() {
            true => Unsent(broken(e)),
            false => Sent(broken(e)),
        })?;
        let (parts, body) = response.into_parts();
        let body = read_body(body).await.map_err(Sent)?;
        self.pool.put(key.clone(), sender);
        Ok(HttpResponse { status: parts.status, headers: parts.headers, body })
    }
}

/// Why an exchange on one connection failed: before the request left (safe to
/// send on another connection) or after (it may have reached the server).
enum Failure {
    Unsent(HttpError),
    Sent(HttpError),
}

use Failure::{Sent, Unsent};

/// The HTTP/1.1 handshake on a new stream; its connection runs as its own task.
async fn handshake<S>(stream: S) -> Result<Sender, HttpError>
where
    S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    let (sender, conn) = hyper::client::conn::http1::Builder::new()
        .handshake::<_, Full<Bytes>>(TokioIo::new(stream))
        .await
        .map_err(|e| HttpError::Connection(e.to_string()))?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

async fn read_body(body: Incoming) -> Result<Bytes, HttpError> {
    Limited::new(body, MAX_RESPONSE_BYTES)
        .collect()
        .await
        .map(|c| c.to_bytes())
        .map_err(|e| HttpError::Connection(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_host_port_and_path() {
        assert_eq!(
            parse_url("http://studio:8080/v1/admin/studio/runs?tenant_id=default").unwrap(),
            Target {
                host: "studio".into(),
                port: 8080,
                path_and_query: "/v1/admin/studio/runs?tenant_id=default".into()
            }
        );
        assert_eq!(parse_url("http://daytona").unwrap().port, 80);
        assert!(matches!(parse_url("https://x/"), Err(HttpError::BadUrl(_))));
        assert!(matches!(parse_url("http://:1/"), Err(HttpError::BadUrl(_))));
        assert!(matches!(parse_url("http://h:99999/"), Err(HttpError::BadUrl(_))));
    }
}
