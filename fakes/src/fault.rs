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
//! - an injected error answers `{"message": ..., "statusCode": ...}` with the
//!   status's canonical reason, so clients see an ordinary HTTP error.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
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
    /// Requests inside the service now (arrived, not yet answered or dropped): (number, method, path).
    serving: Vec<(u64, Method, String)>,
    /// The number the next request to arrive gets.
    arrivals: u64,
}

/// Keeps a request on the service's list of requests being served until dropped
/// (answered, or its task gone with a crash of the host).
struct Serving {
    faults: ServiceFaults,
    number: u64,
}

impl Drop for Serving {
    fn drop(&mut self) {
        self.faults.state().serving.retain(|(n, _, _)| *n != self.number);
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
        state.watches.push(Watch { id, matcher, from, arrived: false, released: false });
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
    fn arrive(&self, method: &Method, path: &str, sender: Option<&str>) -> Vec<usize> {
        let mut state = self.state();
        let mut held = Vec::new();
        let sent_by = |w: &Watch| w.from.as_deref().is_none_or(|from| sender == Some(from));
        for w in state.watches.iter_mut().filter(|w| !w.arrived && sent_by(w) && w.matcher.matches(method, path)) {
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
        self.state().serving.iter().map(|(_, m, p)| (m.clone(), p.clone())).collect()
    }

    fn arrived_now(&self, method: &Method, path: &str) -> Serving {
        let mut state = self.state();
        let number = state.arrivals;
        state.arrivals += 1;
        state.serving.push((number, method.clone(), path.to_string()));
        Serving { faults: self.clone(), number }
    }

    /// `router` behind these faults (routes and fallback alike).
    pub fn layer(&self, router: Router) -> Router {
        router.layer(axum::middleware::from_fn_with_state(self.clone(), apply))
    }
}

/// How often a held request looks whether it was released (simulated time under turmoil).
const HOLD_POLL: Duration = Duration::from_millis(1);

async fn apply(State(faults): State<ServiceFaults>, request: Request, next: Next) -> Response {
    let _serving = faults.arrived_now(request.method(), request.uri().path());
    let sender = request.extensions().get::<SenderHost>().map(|s| s.0.clone());
    let held = faults.arrive(request.method(), request.uri().path(), sender.as_deref());
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
        assert!(faults.arrive(&Method::GET, "/repos/o/r/pulls/1", None).is_empty());
        assert!(!faults.arrived(7));
        let held = faults.arrive(&Method::PUT, "/repos/o/r/pulls/1/merge", None);
        assert_eq!(held, [7]);
        assert!(faults.arrived(7) && !faults.released(&held));
        assert!(faults.arrive(&Method::PUT, "/repos/o/r/pulls/2/merge", None).is_empty(), "only the first is held");
        faults.release(7);
        assert!(faults.released(&held));
    }

    #[test]
    fn a_watch_with_a_sender_holds_only_a_request_from_that_host() {
        let faults = ServiceFaults::new();
        faults.watch(2, matcher(None, "/servers"), Some("daytona".into()));
        assert!(faults.arrive(&Method::GET, "/servers", Some("studio")).is_empty(), "another sender passes");
        assert!(faults.arrive(&Method::GET, "/servers", None).is_empty(), "an unknown sender passes");
        assert_eq!(faults.arrive(&Method::GET, "/servers/s-1/tools", Some("daytona")), [2]);
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
}
