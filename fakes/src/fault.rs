//! Service-level faults: one tower layer that any fake's router can wear, so an
//! endpoint answers with an error status, answers slowly, or never answers.
//!
//! A [`ServiceFaults`] handle holds the faults active on one service. Whoever
//! drives the world (the simulator's fault schedule) switches them on and off
//! between steps; [`ServiceFaults::layer`] puts them in front of the router.
//! The handle lives outside the host, so a fault survives a crash and restart of
//! the service it is attached to.
//!
//! Guarantees:
//! - a request no active fault matches passes through untouched;
//! - the first matching fault (in the order they were switched on) decides;
//! - `slow` and `hang` wait on tokio's clock, which turmoil drives: no wall
//!   clock; a hung exchange ends only when the caller's own timeout gives up,
//!   which is what a real client of a stuck service sees;
//! - a watched request ([`ServiceFaults::watch`]) is held at the door until
//!   released, so whoever watches can change the world before it is answered;
//!   only the first matching request is held, every later one passes; a watch
//!   with a sender matches only requests carrying that [`SenderHost`];
//! - a tool-call watch ([`ServiceFaults::watch_tool_call`]) matches a JSON-RPC
//!   `tools/call` by its `params.name` and by the caller the service's own
//!   reader ([`ServiceFaults::identify_callers`]) finds in the headers; a body
//!   is buffered at the door only while such a watch is armed and the request's
//!   method and path could be its call, so no other request pays for it, and
//!   the service then reads the very bytes that were sent;
//! - an injected error answers `{"message": ..., "statusCode": ...}` with the
//!   status's canonical reason, so clients see an ordinary HTTP error.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};

use crate::net::SenderHost;

/// What a faulty endpoint does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Answers at once with this status.
    Status(StatusCode),
    /// Answers normally, but only after this long.
    Slow(Duration),
    /// Never answers.
    Hang,
}

/// Which requests a fault hits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matcher {
    /// `None`: every method.
    pub method: Option<Method>,
    /// A path pattern: `/api/sandbox` matches that path and everything under it;
    /// a `*` segment matches any one segment (`/api/sandbox/*/start`).
    pub path: String,
    /// `None`: any request the method and path match. `Some(segments)`: only
    /// those whose path also has one of these segments (one workload's ids:
    /// its sandboxes', its run's); none matches while it is empty.
    pub within: Option<Vec<String>>,
}

impl Matcher {
    /// Whether the request's method and path fall under this matcher.
    pub fn matches(&self, method: &Method, path: &str) -> bool {
        if self.method.as_ref().is_some_and(|m| m != method) {
            return false;
        }
        if let Some(within) = &self.within {
            if !path.split('/').any(|segment| within.iter().any(|w| w == segment)) {
                return false;
            }
        }
        let mut actual = path.split('/').filter(|s| !s.is_empty());
        for expected in self.path.split('/').filter(|s| !s.is_empty()) {
            match actual.next() {
                Some(segment) if expected == "*" || expected == segment => {}
                _ => return false,
            }
        }
        true
    }
}

/// A JSON-RPC `tools/call` as a watch awaits it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ToolCallMatcher {
    /// `None`: any tool; else the call's `params.name` is one of these.
    pub tools: Option<Vec<String>>,
    /// `None`: any caller, identified or not; else the caller the service's
    /// reader identifies is one of these (none matches while it is empty).
    pub callers: Option<Vec<String>>,
}

impl ToolCallMatcher {
    fn matches(&self, call: &ToolCall) -> bool {
        let named = |list: &Option<Vec<String>>, value: Option<&str>| {
            list.as_ref().is_none_or(|list| value.is_some_and(|v| list.iter().any(|l| l == v)))
        };
        named(&self.tools, Some(&call.tool)) && named(&self.callers, call.caller.as_deref())
    }
}

/// How a service identifies the caller of a request from its headers (for an
/// MCP gateway: its bearer token's subject, when the token is one it accepts).
pub type CallerReader = Arc<dyn Fn(&HeaderMap) -> Option<String> + Send + Sync>;

/// A `tools/call` read at the door: the tool's name and who called it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ToolCall {
    tool: String,
    caller: Option<String>,
}

/// A request as the door sees it when it arrives.
struct Door<'a> {
    method: &'a Method,
    path: &'a str,
    sender: Option<&'a str>,
    /// Read only while a tool-call watch could match it.
    call: Option<ToolCall>,
}

/// One active fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceFault {
    /// Who switched it on (so the same owner can switch it off).
    pub id: usize,
    pub matcher: Matcher,
    pub effect: Effect,
}

/// The faults active on one service, and how many requests each has hit.
#[derive(Debug, Clone, Default)]
pub struct ServiceFaults {
    inner: Arc<Mutex<Registry>>,
}

#[derive(Debug, Default)]
struct Registry {
    active: Vec<ServiceFault>,
    /// (fault id, requests it hit), in the order faults were first switched on.
    hits: Vec<(usize, u64)>,
    /// Requests awaited as events, in the order they were watched.
    watches: Vec<Watch>,
    /// Requests inside the service now (arrived, not yet answered or dropped), by arrival number:
    /// numbers rise with arrival, so key order is arrival order and a finished request leaves in
    /// O(log n) whatever its place.
    serving: BTreeMap<u64, (Method, String)>,
    /// The number the next request to arrive gets.
    arrivals: u64,
    /// How the service identifies a caller, for tool-call watches.
    callers: Option<Reader>,
}

/// A [`CallerReader`] in the registry (which is `Debug`).
#[derive(Clone)]
struct Reader(CallerReader);

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CallerReader")
    }
}

/// Keeps a request on the service's list of requests being served until dropped
/// (answered, or its task gone with a crash of the host).
struct Serving {
    faults: ServiceFaults,
    number: u64,
}

impl Drop for Serving {
    fn drop(&mut self) {
        self.faults.state().serving.remove(&self.number);
    }
}

/// A request awaited as an event: the first one matching is held at the door
/// until its watcher releases it.
#[derive(Debug)]
struct Watch {
    id: usize,
    matcher: Matcher,
    /// `Some(host)`: only requests sent from that host.
    from: Option<String>,
    /// `Some(call)`: only a JSON-RPC `tools/call` matching it.
    call: Option<ToolCallMatcher>,
    /// A matching request arrived (and, until `released`, waits).
    arrived: bool,
    released: bool,
}

impl ServiceFaults {
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> MutexGuard<'_, Registry> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Switches a fault on (replacing one with the same id).
    pub fn activate(&self, fault: ServiceFault) {
        let mut state = self.state();
        state.active.retain(|f| f.id != fault.id);
        if !state.hits.iter().any(|(id, _)| *id == fault.id) {
            state.hits.push((fault.id, 0));
        }
        state.active.push(fault);
    }

    /// Switches the fault with `id` off; requests pass through again.
    pub fn clear(&self, id: usize) {
        self.state().active.retain(|f| f.id != id);
    }

    /// How many requests the fault with `id` has hit so far.
    pub fn hits(&self, id: usize) -> u64 {
        self.state().hits.iter().find(|(i, _)| *i == id).map(|(_, n)| *n).unwrap_or(0)
    }

    /// Awaits the first request matching `matcher` (and sent from the host `from`,
    /// when given) as an event of the watcher `id`: that request is held (before
    /// any fault applies to it) until [`ServiceFaults::release`].
    pub fn watch(&self, id: usize, matcher: Matcher, from: Option<String>) {
        let mut state = self.state();
        state.watches.retain(|w| w.id != id);
        state.watches.push(Watch { id, matcher, from, call: None, arrived: false, released: false });
    }

    /// Awaits, as an event of the watcher `id`, the first JSON-RPC `tools/call`
    /// matching `call` among the requests `matcher` matches, held like
    /// [`ServiceFaults::watch`]'s.
    pub fn watch_tool_call(&self, id: usize, matcher: Matcher, call: ToolCallMatcher) {
        let mut state = self.state();
        state.watches.retain(|w| w.id != id);
        state.watches.push(Watch { id, matcher, from: None, call: Some(call), arrived: false, released: false });
    }

    /// Sets the callers the tool-call watch `id` awaits (its watcher learns them as the world goes on).
    pub fn set_callers(&self, id: usize, callers: Vec<String>) {
        let mut state = self.state();
        if let Some(call) = state.watches.iter_mut().find(|w| w.id == id).and_then(|w| w.call.as_mut()) {
            call.callers = Some(callers);
        }
    }

    /// How this service identifies the caller of a request, for tool-call watches.
    pub fn identify_callers(&self, reader: CallerReader) {
        self.state().callers = Some(Reader(reader));
    }

    /// The caller reader, when an armed tool-call watch could match a request with this method and path.
    fn awaits_call(&self, method: &Method, path: &str) -> Option<Option<CallerReader>> {
        let state = self.state();
        let armed = state.watches.iter().any(|w| !w.arrived && w.call.is_some() && w.matcher.matches(method, path));
        armed.then(|| state.callers.as_ref().map(|r| r.0.clone()))
    }

    /// Whether the request the watcher `id` awaits has arrived.
    pub fn arrived(&self, id: usize) -> bool {
        self.state().watches.iter().any(|w| w.id == id && w.arrived)
    }

    /// Lets the request the watcher `id` holds go on (to the faults active now, then the service).
    pub fn release(&self, id: usize) {
        if let Some(w) = self.state().watches.iter_mut().find(|w| w.id == id) {
            w.released = true;
        }
    }

    /// Marks the arrival on every armed watch the request matches; the ids of those that hold it.
    fn arrive(&self, door: &Door<'_>) -> Vec<usize> {
        let mut state = self.state();
        let mut held = Vec::new();
        let sent_by = |w: &Watch| w.from.as_deref().is_none_or(|from| door.sender == Some(from));
        let called = |w: &Watch| w.call.as_ref().is_none_or(|c| door.call.as_ref().is_some_and(|call| c.matches(call)));
        let matching = |w: &Watch| !w.arrived && sent_by(w) && called(w) && w.matcher.matches(door.method, door.path);
        for w in state.watches.iter_mut().filter(|w| matching(w)) {
            w.arrived = true;
            held.push(w.id);
        }
        held
    }

    fn released(&self, ids: &[usize]) -> bool {
        self.state().watches.iter().filter(|w| ids.contains(&w.id)).all(|w| w.released)
    }

    /// The effect of the first active fault matching the request, counting the hit.
    fn effect_for(&self, method: &Method, path: &str) -> Option<Effect> {
        let mut state = self.state();
        let fault = state.active.iter().find(|f| f.matcher.matches(method, path)).cloned()?;
        if let Some(entry) = state.hits.iter_mut().find(|(id, _)| *id == fault.id) {
            entry.1 += 1;
        }
        Some(fault.effect)
    }

    /// The requests inside the service now (arrived at its door, not yet answered), in arrival order:
    /// what a crash of its host at this moment would cut off.
    pub fn serving(&self) -> Vec<(Method, String)> {
        self.state().serving.values().map(|(m, p)| (m.clone(), p.clone())).collect()
    }

    fn arrived_now(&self, method: &Method, path: &str) -> Serving {
        let mut state = self.state();
        let number = state.arrivals;
        state.arrivals += 1;
        state.serving.insert(number, (method.clone(), path.to_string()));
        Serving { faults: self.clone(), number }
    }

    /// `router` behind these faults (routes and fallback alike).
    pub fn layer(&self, router: Router) -> Router {
        router.layer(axum::middleware::from_fn_with_state(self.clone(), apply))
    }
}

/// How often a held request looks whether it was released (simulated time under turmoil).
const HOLD_POLL: Duration = Duration::from_millis(1);

/// The most body bytes read at the door: axum's default body limit, beyond
/// which the service would refuse the request anyway.
const DOOR_BODY_LIMIT: usize = 2 * 1024 * 1024;

/// The `tools/call` a request carries (its body buffered and put back), when
/// an armed tool-call watch could match it; the request unread otherwise.
async fn read_call(faults: &ServiceFaults, request: Request) -> (Request, Option<ToolCall>) {
    let Some(reader) = faults.awaits_call(request.method(), request.uri().path()) else {
        return (request, None);
    };
    let length = request.headers().get("content-length").and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if request.method() != Method::POST || length.is_none_or(|l| l > DOOR_BODY_LIMIT) {
        return (request, None);
    }
    let caller = reader.and_then(|read| read(request.headers()));
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, DOOR_BODY_LIMIT).await.unwrap_or_default();
    let message: Option<serde_json::Value> = serde_json::from_slice(&bytes).ok();
    let tool = message
        .as_ref()
        .filter(|m| m.get("method").and_then(serde_json::Value::as_str) == Some("tools/call"))
        .and_then(|m| m.pointer("/params/name")?.as_str().map(str::to_string));
    (Request::from_parts(parts, Body::from(bytes)), tool.map(|tool| ToolCall { tool, caller }))
}

async fn apply(State(faults): State<ServiceFaults>, request: Request, next: Next) -> Response {
    let _serving = faults.arrived_now(request.method(), request.uri().path());
    let sender = request.extensions().get::<SenderHost>().map(|s| s.0.clone());
    let (request, call) = read_call(&faults, request).await;
    let door = Door { method: request.method(), path: request.uri().path(), sender: sender.as_deref(), call };
    let held = faults.arrive(&door);
    while !held.is_empty() && !faults.released(&held) {
        crate::timer::sleep(HOLD_POLL).await;
    }
    let effect = faults.effect_for(request.method(), request.uri().path());
    match effect {
        None => next.run(request).await,
        Some(Effect::Status(status)) => {
            let reason = status.canonical_reason().unwrap_or("Injected fault");
            (status, Json(serde_json::json!({"message": reason, "statusCode": status.as_u16()}))).into_response()
        }
        Some(Effect::Slow(delay)) => {
            crate::timer::sleep(delay).await;
            next.run(request).await
        }
        Some(Effect::Hang) => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matcher(method: Option<Method>, path: &str) -> Matcher {
        Matcher { method, path: path.to_string(), within: None }
    }

    fn door<'a>(method: &'a Method, path: &'a str, sender: Option<&'a str>) -> Door<'a> {
        Door { method, path, sender, call: None }
    }

    fn call<'a>(tool: &str, caller: Option<&str>) -> Door<'a> {
        let call = ToolCall { tool: tool.to_string(), caller: caller.map(str::to_string) };
        Door { method: &Method::POST, path: "/servers/s-1/mcp", sender: None, call: Some(call) }
    }

    #[test]
    fn a_request_is_being_served_from_its_arrival_until_it_is_answered_or_dropped() {
        let faults = ServiceFaults::new();
        let first = faults.arrived_now(&Method::POST, "/api/sandbox");
        let second = faults.arrived_now(&Method::GET, "/api/sandbox/sb-1");
        assert_eq!(
            faults.serving(),
            [(Method::POST, "/api/sandbox".to_string()), (Method::GET, "/api/sandbox/sb-1".to_string())]
        );
        drop(first);
        assert_eq!(faults.serving(), [(Method::GET, "/api/sandbox/sb-1".to_string())]);
        drop(second);
        assert!(faults.serving().is_empty());
    }

    #[test]
    fn requests_finishing_in_any_order_leave_the_rest_in_arrival_order() {
        let faults = ServiceFaults::new();
        let mut held: Vec<Option<Serving>> = Vec::new();
        let mut expected: Vec<(usize, (Method, String))> = Vec::new();
        for i in 0..40usize {
            let method = if i % 3 == 0 { Method::POST } else { Method::GET };
            let path = format!("/api/sandbox/sb-{}", i % 7);
            held.push(Some(faults.arrived_now(&method, &path)));
            expected.push((i, (method, path)));
            // Finish an earlier request, out of arrival order, every few arrivals.
            if i % 4 == 3 {
                let victim = (i * 5) % (i + 1);
                if held[victim].take().is_some() {
                    expected.retain(|(n, _)| *n != victim);
                }
            }
            let plain: Vec<_> = expected.iter().map(|(_, r)| r.clone()).collect();
            assert_eq!(faults.serving(), plain, "after arrival {i}");
        }
        for victim in [5, 0, 39, 17, 18, 2] {
            if held[victim].take().is_some() {
                expected.retain(|(n, _)| *n != victim);
            }
            let plain: Vec<_> = expected.iter().map(|(_, r)| r.clone()).collect();
            assert_eq!(faults.serving(), plain, "after finishing {victim}");
        }
    }

    #[test]
    fn a_path_matches_itself_and_everything_under_it() {
        let m = matcher(None, "/api/sandbox");
        assert!(m.matches(&Method::GET, "/api/sandbox"));
        assert!(m.matches(&Method::POST, "/api/sandbox/abc/start"));
        assert!(!m.matches(&Method::GET, "/api/sandboxes"));
        assert!(!m.matches(&Method::GET, "/api"));
    }

    #[test]
    fn a_star_segment_matches_any_one_segment() {
        let m = matcher(Some(Method::POST), "/api/sandbox/*/start");
        assert!(m.matches(&Method::POST, "/api/sandbox/sb-1/start"));
        assert!(!m.matches(&Method::GET, "/api/sandbox/sb-1/start"));
        assert!(!m.matches(&Method::POST, "/api/sandbox/sb-1/stop"));
    }

    #[test]
    fn a_scoped_matcher_matches_only_paths_naming_one_of_its_segments() {
        let mut m = matcher(Some(Method::GET), "/api/sandbox/*");
        m.within = Some(vec!["sb-a".into(), "run-a".into()]);
        assert!(m.matches(&Method::GET, "/api/sandbox/sb-a"));
        assert!(!m.matches(&Method::GET, "/api/sandbox/sb-b"), "another workload's sandbox passes");
        m.within = Some(Vec::new());
        assert!(!m.matches(&Method::GET, "/api/sandbox/sb-a"), "an empty scope matches nothing");
    }

    #[test]
    fn the_root_pattern_matches_every_path() {
        assert!(matcher(None, "/").matches(&Method::DELETE, "/anything/at/all"));
    }

    #[test]
    fn a_watch_holds_the_first_matching_request_only_until_released() {
        let faults = ServiceFaults::new();
        faults.watch(7, matcher(Some(Method::PUT), "/repos/*/*/pulls/*/merge"), None);
        assert!(faults.arrive(&door(&Method::GET, "/repos/o/r/pulls/1", None)).is_empty());
        assert!(!faults.arrived(7));
        let held = faults.arrive(&door(&Method::PUT, "/repos/o/r/pulls/1/merge", None));
        assert_eq!(held, [7]);
        assert!(faults.arrived(7) && !faults.released(&held));
        assert!(
            faults.arrive(&door(&Method::PUT, "/repos/o/r/pulls/2/merge", None)).is_empty(),
            "only the first is held"
        );
        faults.release(7);
        assert!(faults.released(&held));
    }

    #[test]
    fn a_watch_with_a_sender_holds_only_a_request_from_that_host() {
        let faults = ServiceFaults::new();
        faults.watch(2, matcher(None, "/servers"), Some("daytona".into()));
        assert!(faults.arrive(&door(&Method::GET, "/servers", Some("studio"))).is_empty(), "another sender passes");
        assert!(faults.arrive(&door(&Method::GET, "/servers", None)).is_empty(), "an unknown sender passes");
        assert_eq!(faults.arrive(&door(&Method::GET, "/servers/s-1/tools", Some("daytona"))), [2]);
    }

    #[test]
    fn switching_off_lets_requests_through_and_hits_are_counted() {
        let faults = ServiceFaults::new();
        let fault = ServiceFault { id: 3, matcher: matcher(None, "/mcp"), effect: Effect::Hang };
        faults.activate(fault);
        assert_eq!(faults.effect_for(&Method::POST, "/mcp"), Some(Effect::Hang));
        assert_eq!(faults.effect_for(&Method::POST, "/health"), None);
        faults.clear(3);
        assert_eq!(faults.effect_for(&Method::POST, "/mcp"), None);
        assert_eq!(faults.hits(3), 1);
    }

    #[test]
    fn a_tool_call_watch_holds_the_first_call_of_its_tool_by_one_of_its_callers() {
        let faults = ServiceFaults::new();
        let tools = Some(vec!["publish_lineage".to_string(), "yamon-datahub-publish-lineage".to_string()]);
        faults.watch_tool_call(
            4,
            matcher(Some(Method::POST), "/servers/*/mcp"),
            ToolCallMatcher { tools, callers: None },
        );
        faults.set_callers(4, vec!["sanm.closer@yamon.io".into()]);
        assert!(
            faults.arrive(&door(&Method::POST, "/servers/s-1/mcp", None)).is_empty(),
            "a body that is no call passes"
        );
        assert!(
            faults.arrive(&call("get_hud_snapshot", Some("sanm.closer@yamon.io"))).is_empty(),
            "another tool passes"
        );
        assert!(
            faults.arrive(&call("publish_lineage", Some("sanm.tester@yamon.io"))).is_empty(),
            "another caller passes"
        );
        assert!(faults.arrive(&call("publish_lineage", None)).is_empty(), "an unidentified caller passes");
        assert_eq!(faults.arrive(&call("yamon-datahub-publish-lineage", Some("sanm.closer@yamon.io"))), [4]);
    }

    #[test]
    fn a_tool_call_watch_without_callers_yet_holds_nothing() {
        let faults = ServiceFaults::new();
        let awaited = ToolCallMatcher { tools: None, callers: Some(Vec::new()) };
        faults.watch_tool_call(1, matcher(None, "/"), awaited);
        assert!(faults.arrive(&call("publish_lineage", Some("sanm.closer@yamon.io"))).is_empty());
        faults.set_callers(1, vec!["sanm.closer@yamon.io".into()]);
        assert_eq!(faults.arrive(&call("publish_lineage", Some("sanm.closer@yamon.io"))), [1]);
    }

    /// A router echoing the body it got, behind `faults`.
    fn echo(faults: &ServiceFaults) -> Router {
        let router = Router::new()
            .route("/servers/{id}/mcp", axum::routing::post(|body: axum::body::Bytes| async move { body }));
        faults.layer(router)
    }

    fn tools_call(tool: &str, token: &str) -> Request {
        let body = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": tool}})
            .to_string();
        Request::post("/servers/s-1/mcp")
            .header("content-length", body.len())
            .header("authorization", format!("Bearer {token}"))
            .body(Body::from(body))
            .expect("a request")
    }

    #[tokio::test]
    async fn the_door_reads_a_watched_call_and_the_service_gets_the_same_bytes() {
        use tower::ServiceExt;
        let faults = ServiceFaults::new();
        faults.identify_callers(Arc::new(|headers: &HeaderMap| {
            headers.get("authorization")?.to_str().ok()?.strip_prefix("Bearer ").map(str::to_string)
        }));
        let awaited =
            ToolCallMatcher { tools: Some(vec!["publish_lineage".into()]), callers: Some(vec!["closer".into()]) };
        faults.watch_tool_call(9, matcher(Some(Method::POST), "/servers/*/mcp"), awaited);
        let passed = echo(&faults).oneshot(tools_call("publish_lineage", "tester")).await.expect("an answer");
        let body = axum::body::to_bytes(passed.into_body(), usize::MAX).await.expect("a body");
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&body).expect("json")["params"]["name"],
            "publish_lineage"
        );
        assert!(!faults.arrived(9), "another caller's call is not the event");
        let held = tokio::spawn(echo(&faults).oneshot(tools_call("publish_lineage", "closer")));
        while !faults.arrived(9) {
            tokio::task::yield_now().await;
        }
        faults.release(9);
        let answered = held.await.expect("the task").expect("an answer");
        assert_eq!(answered.status(), StatusCode::OK);
    }
}
