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
//!   timeout), at most [`MAX_IDLE_PER_HOST`] are kept idle, one found closed (its peer crashed or closed it) is dropped, and
//!   a request a reused connection could not even send is sent once more on a
//!   new connection; a request that may have reached the server is never
//!   resent;
//! - a client given a [`CallRecorder`] records every exchange it makes inside a
//!   simulation (from, to, method, path, status, simulated start and end, and
//!   how it ended: [`CallEnd`]) the moment the request is sent, in send order, and
//!   completes the record when the exchange ends: with an answer, a broken
//!   connection, the client's timeout, or the caller giving up (its own shorter
//!   bound, or its task dropped by a crash). A call still waiting when the
//!   recording is read stays [`CallEnd::Unfinished`]. Deterministic, no wall
//!   clock, no change to the exchange.

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
use hyper::header::{HeaderName, HeaderValue, InvalidHeaderName, InvalidHeaderValue};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};

use crate::timer::HyperTimer;

mod members;
pub use members::Member;
pub(crate) use members::{read_json, Checked, Key};

/// The largest response body a client reads (64 MiB). A bound, not a model of a
/// real client (which reads a LangGraph thread state whole): the graph state of a
/// 10,000-agent delivery, its whole handoff trail and merge decisions, is over 16 MiB.
pub(crate) const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

/// How long a client reuses an idle connection: well inside the 30 s after which
/// a hyper server closes a connection that sends no request.
pub const MAX_IDLE: Duration = Duration::from_secs(15);

/// The most idle connections a client keeps to one host and port (from one
/// tokio runtime); more are closed as they come back. A bound of the simulation,
/// not of the clients it stands for: hyper-util's legacy `Client` and reqwest both
/// default `pool_max_idle_per_host` to `usize::MAX` (no limit; hyper-util 0.1.21
/// `client/legacy/client.rs` `Builder::new`, reqwest 0.13.5 `async_impl/client.rs`
/// `ClientBuilder::new`), and nothing in the seeds says what the Studio's client
/// keeps. Without it a burst of calls (a thousand agents in lockstep) keeps its
/// peak number of connections open until reused or the server's 30 s idle close, each
/// holding both ends' hyper buffers and a port: measured at 10,000 agents, 4.4 GiB
/// peak against 2.1 GiB, and at 10,000 concurrent runs the Studio's host runs out
/// of its 64,512 ephemeral ports (turmoil panics), while the connections it saves cost ~48 k
/// instructions each (-10% at 1,000 agents). `docs/performance.md`, s-pool.
pub const MAX_IDLE_PER_HOST: usize = 32;

/// The host a request was sent from, as the simulated network names it: every
/// request [`serve_simulated`] serves carries it in its extensions (loopback
/// serving has no hosts, so none there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SenderHost(pub String);

/// Serves `router` on `port` of the current turmoil host until the host stops;
/// each request carries its connection's [`SenderHost`].
pub async fn serve_simulated(router: Router, port: u16) -> Result<(), Box<dyn Error>> {
    let listener = turmoil::net::TcpListener::bind((IpAddr::V4(Ipv4Addr::UNSPECIFIED), port)).await?;
    loop {
        let (stream, peer) = listener.accept().await?;
        let mut http = hyper::server::conn::http1::Builder::new();
        // hyper dates each answer by the machine's clock; here the simulated one does.
        http.timer(HyperTimer).auto_date_header(false);
        // The sender is put on each request as it arrives: `Router::layer` per
        // connection would rebuild every route for each accepted connection.
        let sender = turmoil::reverse_lookup(peer.ip()).map(SenderHost);
        let router = router.clone();
        let service = tower::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
            if let Some(sender) = &sender {
                request.extensions_mut().insert(sender.clone());
            }
            let answer = tower::ServiceExt::oneshot(router.clone(), request);
            async move {
                let mut response = answer.await?;
                if let Some(date) = simulated_date() {
                    response.headers_mut().entry(hyper::header::DATE).or_insert(date);
                }
                Ok(response)
            }
        });
        spawn_connection(stream, service, http);
    }
}

/// The `Date` of an answer served in the simulation (RFC 9110 6.6.1: a server
/// dates its answers by its own clock): the simulated second it is written in,
/// formatted once a second per thread as hyper's own cache does. `None` outside a
/// simulation (no simulated clock to read).
fn simulated_date() -> Option<HeaderValue> {
    thread_local! {
        static LAST: std::cell::RefCell<Option<(u64, HeaderValue)>> = const { std::cell::RefCell::new(None) };
    }
    let second = turmoil::since_epoch()?.as_secs();
    LAST.with_borrow_mut(|last| match last {
        Some((at, date)) if *at == second => Some(date.clone()),
        _ => {
            let text = httpdate::fmt_http_date(std::time::UNIX_EPOCH + Duration::from_secs(second));
            let date = HeaderValue::from_str(&text).ok()?;
            *last = Some((second, date.clone()));
            Some(date)
        }
    })
}

/// How a server on a real socket treats slow, idle and failing peers, as real
/// servers do. The simulation has none of this: [`serve_simulated`] keeps
/// hyper's default timeouts (none), so outcomes do not change.
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

fn spawn_connection<S, Svc>(stream: S, service: Svc, http: hyper::server::conn::http1::Builder)
where
    S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
    Svc: tower::Service<
            hyper::Request<hyper::body::Incoming>,
            Response = axum::response::Response,
            Error = std::convert::Infallible,
        > + Clone
        + Send
        + 'static,
    Svc::Future: Send + 'static,
{
    tokio::spawn(async move {
        let service = TowerToHyperService::new(service);
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
        self.json_as()
    }

    /// The body's top-level members `keys`, each as `self.json().get(key)` finds
    /// it, without building the body's `Value` (a body that is not a JSON object
    /// has none: [`Member::Absent`]).
    pub fn members<const N: usize>(&self, keys: [&str; N]) -> [Member<'_>; N] {
        members::members(&self.body, keys)
    }

    /// For a body that is a JSON array, each element's members `keys` as
    /// [`HttpResponse::members`] reads an object's (an element that is not an
    /// object has none); `None` when the body is not an array, as
    /// `self.json().as_array()` is.
    pub fn element_members<const N: usize>(&self, keys: [&str; N]) -> Option<Vec<[Member<'_>; N]>> {
        members::element_members(&self.body, keys)
    }

    /// The body's top-level members `keys` as [`HttpResponse::members`] reads
    /// them, and the elements' members `element_keys` of its member `array` as
    /// [`HttpResponse::element_members`] reads a body's (`None` when that member
    /// is absent or not an array, as `self.json().get(array)
    /// .and_then(Value::as_array)` is), in one reading of the body.
    pub fn members_and_elements<const N: usize, const M: usize>(
        &self,
        keys: [&str; N],
        array: &str,
        element_keys: [&str; M],
    ) -> ([Member<'_>; N], Option<Vec<[Member<'_>; M]>>) {
        members::members_and_elements(&self.body, keys, array, element_keys)
    }

    /// The value at the member names `path` (`["values", "handoffs"]`), as
    /// `self.json().pointer("/values/handoffs")` finds it, cloned (`Null` when
    /// absent or the body is not JSON); only that value is built.
    pub fn nested_value(&self, path: &[&str]) -> serde_json::Value {
        members::nested_value(&self.body, path)
    }

    /// The body parsed as JSON into `T` (a reader's few fields: serde skips the
    /// rest without building them), or `T::default()` when it does not parse.
    pub fn json_as<T: serde::de::DeserializeOwned + Default>(&self) -> T {
        read_json(&self.body, std::marker::PhantomData::<T>).unwrap_or_default()
    }

    /// The body as text, as [`String::from_utf8_lossy`] decodes it ([`lossy_text`]).
    pub fn text(&self) -> String {
        lossy_text(&self.body).into_owned()
    }
}

/// `bytes` as text, exactly as [`String::from_utf8_lossy`] decodes them (each
/// invalid sequence a U+FFFD), borrowed when they are UTF-8. Checked first with
/// [`std::str::from_utf8`], which goes a word at a time through ASCII where the
/// lossy decoder goes byte by byte: nearly every body and log is UTF-8.
pub fn lossy_text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// An HTTP/1.1 client with a per-exchange timeout and kept-alive connections.
/// Clones share the connections.
#[derive(Debug, Clone)]
pub struct HttpClient {
    transport: Transport,
    timeout: Duration,
    /// How long a new connection may take to open, within `timeout` (`None`: all of it).
    connect_timeout: Option<Duration>,
    /// Where this client records its exchanges, and the host it runs on.
    recorder: Option<(CallRecorder, Arc<str>)>,
    pool: Pool,
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

/// Where a kept-alive connection goes, and the tokio runtime it was opened on.
type PoolKey = (tokio::runtime::Id, String, u16);

/// Idle connections to one host and port, each with the moment it went idle.
type IdleList = Vec<(Sender, tokio::time::Instant)>;

/// Idle kept-alive connections, by tokio runtime, host and port, each with the moment it
/// went idle (tokio's clock: simulated time inside turmoil). Lookups only: the
/// map is never iterated, so its order cannot reach any output; hashed with
/// `FxHasher` (no keys: the keys are this client's own destinations, and SipHash
/// was ~0.4% of a 1,000-agent run's instructions here).
#[derive(Debug, Clone, Default)]
struct Pool {
    idle: Arc<Mutex<rustc_hash::FxHashMap<PoolKey, IdleList>>>,
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

    fn put(&self, key: &PoolKey, sender: Sender) {
        if sender.is_closed() {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        // The key is cloned only for its first connection.
        let list = match idle.get_mut(key) {
            Some(list) => list,
            None => idle.entry(key.clone()).or_default(),
        };
        if list.len() < MAX_IDLE_PER_HOST {
            list.push((sender, tokio::time::Instant::now()));
        }
    }
}

/// How an exchange ended, as its client saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CallEnd {
    /// A response came (its code is [`HttpCall::status`]).
    Answered,
    /// The connection could not be made or broke before a response came
    /// (refused: a partitioned or crashed peer).
    Broken,
    /// No response within the client's own timeout.
    TimedOut,
    /// The caller stopped waiting first: its own shorter bound, or its task was
    /// dropped (its host crashed). [`HttpCall::end`] is that moment.
    GaveUp,
    /// Still waiting when the recording was read (the run ended first).
    Unfinished,
}

impl CallEnd {
    /// How the call ended, in words (`answered`, `connection failed`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            CallEnd::Answered => "answered",
            CallEnd::Broken => "connection failed",
            CallEnd::TimedOut => "client timeout",
            CallEnd::GaveUp => "caller gave up",
            CallEnd::Unfinished => "still waiting at the end of the run",
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
    /// `None`: no response (timeout, broken connection, the caller gave up: the
    /// runbook's "HTTP 000").
    pub status: Option<u16>,
    /// Simulated time since the start of the simulation when the request left.
    pub start: Duration,
    /// Simulated time when the exchange ended: the response, the failure, the
    /// client's timeout or the moment the caller gave up (`start` while
    /// [`CallEnd::Unfinished`]).
    pub end: Duration,
    pub ended: CallEnd,
    /// Digests of every byte of the exchange the client saw: two runs whose exchanges
    /// differ in any byte (a header, a timestamp in a body) differ here, so the
    /// determinism check compares the wire, not only what the model made of it.
    pub digest: ExchangeDigest,
}

/// Digests of an exchange's bytes, by part, so a difference says where it is
/// (`FxHasher`, each part's length first: the same in every process of one build).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExchangeDigest {
    /// The request as sent: method, URL, headers, body.
    pub request: u64,
    /// The response as read: its status and headers, then its body; `None` without one.
    pub response: Option<(u64, u64)>,
}

impl ExchangeDigest {
    /// The digest of the request as it leaves.
    fn of_request(request: &HttpRequest) -> Self {
        let mut digest = Parts::default();
        digest.part(request.method.as_str().as_bytes());
        digest.part(request.url.as_bytes());
        for (name, value) in &request.headers {
            digest.part(name.as_bytes());
            digest.part(value.as_bytes());
        }
        digest.part(&request.body);
        ExchangeDigest { request: digest.finish(), response: None }
    }

    /// With the response as read.
    fn with_response(self, response: &HttpResponse) -> Self {
        let mut head = Parts::default();
        head.part(&response.status.as_u16().to_be_bytes());
        for (name, value) in &response.headers {
            head.part(name.as_str().as_bytes());
            head.part(value.as_bytes());
        }
        let mut body = Parts::default();
        body.part(&response.body);
        ExchangeDigest { response: Some((head.finish(), body.finish())), ..self }
    }
}

impl std::fmt::Display for ExchangeDigest {
    /// `request <16 hex>, response head <16 hex>, body <16 hex>` (or `no response`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "request {:016x}, ", self.request)?;
        match self.response {
            Some((head, body)) => write!(f, "response head {head:016x}, body {body:016x}"),
            None => write!(f, "no response"),
        }
    }
}

/// One digest fed part by part, each part's length first: bytes moving from one
/// part to the next change it.
#[derive(Default)]
struct Parts(rustc_hash::FxHasher);

impl Parts {
    fn part(&mut self, bytes: &[u8]) {
        use std::hash::Hasher as _;
        self.0.write_usize(bytes.len());
        self.0.write(bytes);
    }

    fn finish(&self) -> u64 {
        std::hash::Hasher::finish(&self.0)
    }
}

/// Collects the exchanges of every client recording into it, in send order.
/// Clones share one list.
#[derive(Debug, Clone, Default)]
pub struct CallRecorder {
    calls: Arc<Mutex<Vec<HttpCall>>>,
}

impl CallRecorder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every exchange recorded so far, in the order the requests were sent;
    /// those still waiting are [`CallEnd::Unfinished`].
    pub fn calls(&self) -> Vec<HttpCall> {
        self.calls.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// Records a call as it leaves; the returned guard completes it.
    fn sent(&self, call: HttpCall) -> PendingCall {
        let mut calls = self.calls.lock().unwrap_or_else(|p| p.into_inner());
        let digest = call.digest;
        calls.push(call);
        PendingCall { recorder: self.clone(), index: calls.len() - 1, digest, done: false }
    }

    fn end(&self, index: usize, status: Option<u16>, ended: CallEnd, at: Duration, digest: ExchangeDigest) {
        let mut calls = self.calls.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(call) = calls.get_mut(index) {
            call.status = status;
            call.ended = ended;
            call.end = at.max(call.start);
            call.digest = digest;
        }
    }
}

/// A recorded call on its way: [`PendingCall::finish`] records how it ended;
/// dropped unfinished (the caller gave up on the future), it records
/// [`CallEnd::GaveUp`] at that simulated moment, or leaves the call
/// [`CallEnd::Unfinished`] when dropped outside the simulation (the world torn down).
struct PendingCall {
    recorder: CallRecorder,
    index: usize,
    /// The exchange's digest so far: its request's.
    digest: ExchangeDigest,
    done: bool,
}

impl PendingCall {
    fn finish(mut self, result: &Result<HttpResponse, HttpError>) {
        self.done = true;
        let (status, ended, digest) = match result {
            Ok(r) => (Some(r.status.as_u16()), CallEnd::Answered, self.digest.with_response(r)),
            Err(HttpError::Timeout) => (None, CallEnd::TimedOut, self.digest),
            Err(_) => (None, CallEnd::Broken, self.digest),
        };
        if let Some(at) = turmoil::sim_elapsed() {
            self.recorder.end(self.index, status, ended, at, digest);
        }
    }
}

impl Drop for PendingCall {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        if let Some(at) = turmoil::sim_elapsed() {
            self.recorder.end(self.index, None, CallEnd::GaveUp, at, self.digest);
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
        let mut value = String::with_capacity("Bearer ".len() + token.len());
        value.push_str("Bearer ");
        value.push_str(token);
        self.header("authorization", value)
    }

    pub fn json(self, value: &serde_json::Value) -> Self {
        self.json_of(value)
    }

    /// A JSON body serialized straight from `value` (a typed body: the same
    /// bytes as the `Value` with the same members in the same order, without
    /// building it).
    pub fn json_of<T: serde::Serialize + ?Sized>(mut self, value: &T) -> Self {
        // Serializing to memory fails only for a map with non-string keys, which no body has.
        self.body = Bytes::from(serde_json::to_vec(value).unwrap_or_default());
        self.header("content-type", "application/json")
    }
}

/// `http://host[:port]/path?query` split into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
    pub path_and_query: String,
}

/// Parses a plain-HTTP URL (the only scheme inside the simulation and on loopback).
pub fn parse_url(url: &str) -> Result<Endpoint, HttpError> {
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
    Ok(Endpoint { host: host.to_string(), port, path_and_query: path.to_string() })
}

impl HttpClient {
    pub fn new(transport: Transport, timeout: Duration) -> Self {
        HttpClient { transport, timeout, connect_timeout: None, recorder: None, pool: Pool::default() }
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

    /// The same client with a new connection's opening bounded by `connect`
    /// (as httpx's `connect` timeout), the whole exchange still by its timeout:
    /// a peer that never accepts fails at `connect`, one that accepts and
    /// answers late is waited for up to the timeout.
    pub fn with_connect_timeout(&self, connect: Duration) -> Self {
        HttpClient { connect_timeout: Some(connect), ..self.clone() }
    }

    /// Sends one request; any response (2xx..5xx) is `Ok`. A recording client
    /// records the call before it leaves and completes the record when it ends,
    /// even when the caller drops this future.
    pub async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let endpoint = parse_url(&request.url)?;
        let pending =
            self.recorder.as_ref().filter(|_| self.transport == Transport::Simulated).and_then(|(r, from)| {
                let start = turmoil::sim_elapsed()?;
                let path = endpoint.path_and_query.split('?').next().unwrap_or_default().to_string();
                let call = HttpCall {
                    from: from.to_string(),
                    to: endpoint.host.clone(),
                    method: request.method.to_string(),
                    path,
                    status: None,
                    start,
                    end: start,
                    ended: CallEnd::Unfinished,
                    digest: ExchangeDigest::of_request(&request),
                };
                Some(r.sent(call))
            });
        let result = match crate::timer::timeout(self.timeout, self.exchange(endpoint, request)).await {
            Ok(result) => result,
            Err(_) => Err(HttpError::Timeout),
        };
        if let Some(pending) = pending {
            pending.finish(&result);
        }
        result
    }

    /// One exchange: on a kept-alive connection if one is idle, else on a new one.
    async fn exchange(&self, endpoint: Endpoint, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let Endpoint { host, port, path_and_query } = endpoint;
        let host_value = host_header(&host, port).ok();
        let key: PoolKey = (tokio::runtime::Handle::current().id(), host, port);
        let head = Head { path_and_query: &path_and_query, key: &key, host: host_value, request: &request };
        if let Some(sender) = self.pool.checkout(&key) {
            match self.exchange_on(&key, sender, &head).await {
                // The connection closed before the request left: it never reached the server.
                Err(Unsent(_)) => {}
                Ok(response) => return Ok(response),
                Err(Sent(e)) => return Err(e),
            }
        }
        let sender = match self.connect_timeout {
            Some(bound) => {
                crate::timer::timeout(bound, self.connect(&key.1, port)).await.map_err(|_| HttpError::Timeout)??
            }
            None => self.connect(&key.1, port).await?,
        };
        self.exchange_on(&key, sender, &head).await.map_err(|(Unsent(e) | Sent(e))| e)
    }

    /// A new connection to `host:port`, its HTTP/1.1 handshake done.
    async fn connect(&self, host: &str, port: u16) -> Result<Sender, HttpError> {
        let conn_err = |e: std::io::Error| HttpError::Connection(e.to_string());
        match self.transport {
            Transport::Simulated => {
                let stream = turmoil::net::TcpStream::connect((host, port)).await.map_err(conn_err)?;
                handshake(stream).await
            }
            Transport::Loopback => {
                let stream = tokio::net::TcpStream::connect((host, port)).await.map_err(conn_err)?;
                handshake(stream).await
            }
        }
    }

    /// Sends the request of `head` on `sender` and reads the whole response; the connection
    /// goes back to the pool once the response is read, if it stays open.
    async fn exchange_on(&self, key: &PoolKey, mut sender: Sender, head: &Head<'_>) -> Result<HttpResponse, Failure> {
        let broken = |e: hyper::Error| HttpError::Connection(e.to_string());
        sender.ready().await.map_err(|e| Unsent(broken(e)))?;
        let req = head.request().map_err(|e| Sent(HttpError::BadUrl(e.to_string())))?;
        let response = sender.send_request(req).await.map_err(|e| match e.is_canceled() {
            true => Unsent(broken(e)),
            false => Sent(broken(e)),
        })?;
        let (parts, body) = response.into_parts();
        let body = read_body(body).await.map_err(Sent)?;
        self.pool.put(key, sender);
        Ok(HttpResponse { status: parts.status, headers: parts.headers, body })
    }
}

/// The `host` header of a request to `host:port` (the port left out when it is 80).
fn host_header(host: &str, port: u16) -> Result<HeaderValue, InvalidHeaderValue> {
    if port == 80 {
        return HeaderValue::from_str(host);
    }
    let mut authority = String::with_capacity(host.len() + 6);
    authority.push_str(host);
    authority.push(':');
    authority.push_str(itoa_u16(port, &mut [0; 5]));
    HeaderValue::from_maybe_shared(Bytes::from(authority))
}

/// `n` in decimal, written into `buffer`.
fn itoa_u16(mut n: u16, buffer: &mut [u8; 5]) -> &str {
    let mut start = buffer.len();
    loop {
        start -= 1;
        buffer[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    std::str::from_utf8(&buffer[start..]).unwrap_or_default()
}

/// What a request's head is made of, for each connection it is tried on.
struct Head<'a> {
    path_and_query: &'a str,
    /// The host and port, for the `host` header.
    key: &'a PoolKey,
    /// That header, made once (`None`: the host cannot be a header value; the error
    /// is made again when the request is built, where it was reported before).
    host: Option<HeaderValue>,
    request: &'a HttpRequest,
}

impl Head<'_> {
    /// The hyper request: what `Request::builder().method(..).uri(..).header("host", ..)`
    /// and then `.header(name, value)` for each of the request's headers built, with the
    /// same first error (`http::Error`'s text is its cause's), without moving the
    /// builder's parts through each call or growing the header map one header at a time.
    fn request(&self) -> Result<Request<Full<Bytes>>, hyper::http::Error> {
        let uri = hyper::Uri::try_from(self.path_and_query)?;
        let host = match &self.host {
            Some(host) => host.clone(),
            None => host_header(&self.key.1, self.key.2)?,
        };
        let mut headers = hyper::HeaderMap::with_capacity(1 + self.request.headers.len());
        headers.append(hyper::header::HOST, host);
        for (name, value) in &self.request.headers {
            headers.append(header_name(name)?, HeaderValue::from_str(value)?);
        }
        let mut req = Request::new(Full::new(self.request.body.clone()));
        *req.method_mut() = self.request.method.clone();
        *req.uri_mut() = uri;
        *req.headers_mut() = headers;
        Ok(req)
    }
}

/// `HeaderName::from_bytes(name)`, the names the services send most found first.
fn header_name(name: &str) -> Result<HeaderName, InvalidHeaderName> {
    use hyper::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
    Ok(match name {
        "authorization" => AUTHORIZATION,
        "content-type" => CONTENT_TYPE,
        "accept" => ACCEPT,
        _ => HeaderName::from_bytes(name.as_bytes())?,
    })
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
            Endpoint {
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

    #[test]
    fn text_decodes_as_the_lossy_decoder_does_and_borrows_utf8() {
        let bodies: [&[u8]; 8] = [
            b"",
            b"plain ascii\n{\"type\":\"result\"}\n",
            "caf\u{e9} \u{1F600} \u{4e2d}".as_bytes(),
            b"bad \xff byte",
            b"cut \xe2\x82 sequence",
            b"\xc0\x80 overlong and \xed\xa0\x80 surrogate",
            b"ends mid-character \xf0\x9f\x98",
            b"\x80",
        ];
        for body in bodies {
            let text = lossy_text(body);
            assert_eq!(text, String::from_utf8_lossy(body), "{body:?}");
            assert_eq!(matches!(text, std::borrow::Cow::Borrowed(_)), std::str::from_utf8(body).is_ok(), "{body:?}");
        }
    }

    /// The request as `exchange_on` built it before [`Head::request`].
    fn by_builder(endpoint: &Endpoint, request: &HttpRequest) -> Result<Request<Full<Bytes>>, String> {
        let authority =
            if endpoint.port == 80 { endpoint.host.clone() } else { format!("{}:{}", endpoint.host, endpoint.port) };
        let mut builder = Request::builder()
            .method(request.method.clone())
            .uri(endpoint.path_and_query.as_str())
            .header("host", authority);
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        builder.body(Full::new(request.body.clone())).map_err(|e| e.to_string())
    }

    #[test]
    fn a_request_head_is_the_one_the_builder_made() {
        let id = tokio::runtime::Builder::new_current_thread().build().expect("a tokio scheduler").handle().id();
        let headers = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
        };
        let cases = [
            ("http://studio:8080/v1/runs?tenant_id=default", Method::GET, headers(&[])),
            (
                "http://github/app/installations/1/access_tokens",
                Method::POST,
                headers(&[("authorization", "Bearer a.b.c"), ("accept", "application/vnd.github+json")]),
            ),
            (
                "http://gateway:4444/mcp",
                Method::POST,
                headers(&[
                    ("content-type", "application/json"),
                    ("mcp-session-id", "s-1"),
                    ("X-Pomerium-Claim-Email", "a@b.c"),
                    ("accept", "application/json"),
                    ("accept", "text/event-stream"),
                    ("host", "another"),
                    ("Authorization", "token x"),
                ]),
            ),
            ("http://h:1/", Method::DELETE, headers(&[("bad name", "v")])),
            ("http://h:1/", Method::PUT, headers(&[("ok", "bad\nvalue")])),
            ("http://h:1/", Method::PUT, headers(&[("ok", "caf\u{e9}")])),
            ("http://h:65535/a b", Method::GET, headers(&[])),
            ("http://h/", Method::GET, headers(&[("", "empty name")])),
            ("http://bad\u{7f}host:80/", Method::GET, headers(&[("accept", "x")])),
            ("http://bad\u{7f}host:81/", Method::GET, headers(&[("bad name", "x")])),
            ("http://h:0/x", Method::from_bytes(b"PURGE").expect("method"), headers(&[("accept", "")])),
        ];
        for (url, method, headers) in cases {
            let endpoint = parse_url(url).expect("url");
            let request = HttpRequest { method, url: url.to_string(), headers, body: Bytes::from_static(b"{}") };
            let key: PoolKey = (id, endpoint.host.clone(), endpoint.port);
            let head = Head {
                path_and_query: &endpoint.path_and_query,
                key: &key,
                host: host_header(&endpoint.host, endpoint.port).ok(),
                request: &request,
            };
            let (ours, theirs) = (head.request().map_err(|e| e.to_string()), by_builder(&endpoint, &request));
            match (ours, theirs) {
                (Ok(ours), Ok(theirs)) => {
                    assert_eq!(ours.method(), theirs.method(), "{url}");
                    assert_eq!(ours.uri(), theirs.uri(), "{url}");
                    assert_eq!(ours.version(), theirs.version(), "{url}");
                    let pairs = |r: &Request<Full<Bytes>>| -> Vec<(String, Vec<u8>)> {
                        r.headers().iter().map(|(n, v)| (n.to_string(), v.as_bytes().to_vec())).collect()
                    };
                    assert_eq!(pairs(&ours), pairs(&theirs), "{url}");
                    assert_eq!(
                        hyper::body::Body::size_hint(ours.body()).exact(),
                        hyper::body::Body::size_hint(theirs.body()).exact(),
                        "{url}"
                    );
                }
                (ours, theirs) => assert_eq!(ours.err(), theirs.err(), "{url}"),
            }
        }
    }

    #[test]
    fn ports_are_written_as_format_writes_them() {
        for port in [0, 1, 9, 10, 80, 99, 100, 443, 999, 1000, 8080, 9999, 10_000, 65_535] {
            assert_eq!(itoa_u16(port, &mut [0; 5]), port.to_string());
        }
    }
}
