//! The run record: what happened during one simulated run, on a simulated
//! timeline. Every HTTP exchange between hosts (recorded by the one HTTP client,
//! `fakes::net::CallRecorder`), the agents' attempts, blockers, walls and
//! handoffs (reported through `tracing` under [`RUN_RECORD`] by the modules where
//! they happen: [`crate::base::run_events`]), the faults the world applied and the run-control events.
//! The HTML report and the Chrome trace (the tools layer's `report` and `trace`)
//! are both drawn from it.
//!
//! Guarantees:
//! - built only from what happened inside the simulation, timed by simulated
//!   time (never the wall clock), in a deterministic order: the same scenario and
//!   seed give the same record;
//! - recording changes nothing in the run: the outcome of a recorded run is the
//!   outcome of an unrecorded one;
//! - blockers, walls, handoffs and refusals are marks at the moment their
//!   modules reported them, each time they happened (a blocker a replay cleared
//!   included); nothing is marked that was not reported (the Studio's one
//!   blocking path and its wall check report, so every blocker and wall in the
//!   outcome has its mark).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use squadsim_fakes::clock::unix_from_iso8601;
use squadsim_fakes::daytona::Event as ClusterEvent;
use squadsim_fakes::net::{CallEnd, HttpCall};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Dispatch, Event, Metadata, Subscriber};

use crate::base::run_events::RUN_RECORD;
use crate::base::topology::Host;
use crate::engine::outcome::Outcome;
use crate::engine::world::EPOCH_UNIX_SECONDS;

/// What happened during one run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRecord {
    pub scenario: String,
    pub seed: u64,
    /// Simulated time the whole run took.
    pub simulated: Duration,
    /// Hosts that took part (in the world's host order), then the agents (in roster order).
    pub lanes: Vec<Lane>,
    /// Every HTTP exchange between hosts, in the order the requests were sent,
    /// each with how it ended; one still waiting when the run ended ends at
    /// [`RunRecord::simulated`].
    pub calls: Vec<HttpCall>,
    /// Sessions and attempts on their agents' lanes, by start.
    pub spans: Vec<Span>,
    /// Instants (faults, blockers, walls, handoffs, run-control events), by time.
    pub marks: Vec<Mark>,
    /// The Kubernetes `Warning` events the cluster raised (aggregated as Kubernetes
    /// aggregates them), by first time.
    pub warnings: Vec<ClusterWarning>,
}

/// What makes two calls repeats of one another (folded together by explain
/// and the HTML report): caller, callee, method, path, status and ending.
pub type RepeatKey = (String, String, String, String, Option<u16>, CallEnd);

/// The [`RepeatKey`] of a call.
pub fn repeat_key(c: &HttpCall) -> RepeatKey {
    (c.from.clone(), c.to.clone(), c.method.clone(), c.path.clone(), c.status, c.ended)
}

/// A Kubernetes `Warning` event of the sandbox pods (`kubectl get events`), in simulated time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterWarning {
    pub first: Duration,
    pub last: Duration,
    pub count: u32,
    pub reason: String,
    /// The involved object: `pod sandbox-sbx-00000001`.
    pub object: String,
    pub message: String,
}

/// One line: `FailedScheduling pod sandbox-sbx-00000001 ×3 until 12.0s: <message>`
/// (the run report's timeline, the determinism check's event).
impl std::fmt::Display for ClusterWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let until = crate::base::clock::seconds_label(self.last);
        write!(f, "{} {} ×{} until {until}: {}", self.reason, self.object, self.count, self.message)
    }
}

/// A Kubernetes event's timestamp as simulated time (the fakes' clock starts at the world's epoch).
pub fn event_time(timestamp: &str) -> Duration {
    let unix = unix_from_iso8601(timestamp).unwrap_or(EPOCH_UNIX_SECONDS);
    Duration::from_secs(unix.saturating_sub(EPOCH_UNIX_SECONDS))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LaneKind {
    Host,
    Agent,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lane {
    pub name: String,
    pub kind: LaneKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpanKind {
    /// An agent's session: from its first attempt's start to its last attempt's end.
    Session,
    /// One agent attempt, from its start until the session settles.
    Attempt,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub lane: String,
    pub kind: SpanKind,
    pub label: String,
    pub start: Duration,
    pub end: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkKind {
    Fault,
    Blocker,
    Wall,
    /// A handoff from the mark's lane to [`Mark::to`].
    Handoff,
    RunControl,
    /// A tool call the workspace shim refused before it left (not in the loadout's allow-list).
    Refusal,
}

impl MarkKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MarkKind::Fault => "fault",
            MarkKind::Blocker => "blocker",
            MarkKind::Wall => "wall",
            MarkKind::Handoff => "handoff",
            MarkKind::RunControl => "run-control",
            MarkKind::Refusal => "refusal",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    pub at: Duration,
    pub lane: String,
    pub kind: MarkKind,
    pub label: String,
    /// The other end: the recipient of a handoff, the other side of a partition.
    pub to: Option<String>,
}

/// What the collector saw: spans and events under [`RUN_RECORD`], in simulated time.
#[derive(Debug, Default)]
struct Collected {
    next_id: u64,
    open: BTreeMap<u64, RawSpan>,
    closed: Vec<RawSpan>,
    events: Vec<RawEvent>,
}

#[derive(Debug, Clone)]
struct RawSpan {
    name: String,
    fields: BTreeMap<String, String>,
    start: Duration,
    end: Option<Duration>,
    refs: usize,
}

#[derive(Debug, Clone)]
struct RawEvent {
    name: String,
    fields: BTreeMap<String, String>,
    at: Duration,
}

#[derive(Default)]
struct Fields {
    message: String,
    values: BTreeMap<String, String>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = value.to_string();
        } else {
            self.values.insert(field.name().to_string(), value.to_string());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.message = format!("{value:?}");
        } else {
            self.values.insert(field.name().to_string(), format!("{value:?}"));
        }
    }
}

fn now() -> Duration {
    turmoil::sim_elapsed().unwrap_or_default()
}

/// A `tracing` subscriber collecting the run record's spans and events (target
/// [`RUN_RECORD`] only) in simulated time. Install it on the thread stepping
/// the simulation with [`Collector::install`].
#[derive(Clone, Default)]
pub struct Collector {
    inner: Arc<Mutex<Collected>>,
}

impl Collector {
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes this collector the current thread's `tracing` subscriber until the
    /// guard drops; it then sees every [`RUN_RECORD`] event and span of this
    /// thread, whatever other threads of the process do meanwhile.
    ///
    /// `tracing` caches each callsite's interest process-wide, asked when the
    /// callsite is first hit, and re-asked whenever a subscriber is installed.
    /// While a single subscriber is registered in the process it asks only the
    /// subscriber of the thread hitting the callsite: a thread without a
    /// collector (a parallel test, a sweep's job that does not record) would
    /// cache "never" and this collector would miss that event or span until
    /// the next install, so a run's record depended on what other threads ran
    /// at the time. Two idle collectors registered for the rest of the process
    /// (never any thread's subscriber) make it ask every registered one instead,
    /// and they answer as every collector does.
    pub(crate) fn install(&self) -> tracing::subscriber::DefaultGuard {
        static REGISTERED: OnceLock<[Dispatch; 2]> = OnceLock::new();
        REGISTERED.get_or_init(|| [Dispatch::new(Collector::new()), Dispatch::new(Collector::new())]);
        tracing::subscriber::set_default(self.clone())
    }

    fn with<R>(&self, f: impl FnOnce(&mut Collected) -> R) -> R {
        let mut guard = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }
}

impl Subscriber for Collector {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> tracing::subscriber::Interest {
        if self.enabled(metadata) {
            tracing::subscriber::Interest::always()
        } else {
            tracing::subscriber::Interest::never()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.target() == RUN_RECORD
    }

    fn new_span(&self, attrs: &Attributes<'_>) -> Id {
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        let start = now();
        self.with(|c| {
            c.next_id += 1;
            let id = c.next_id;
            let name = attrs.metadata().name().to_string();
            c.open.insert(id, RawSpan { name, fields: fields.values, start, end: None, refs: 1 });
            Id::from_u64(id)
        })
    }

    fn record(&self, span: &Id, values: &Record<'_>) {
        let mut fields = Fields::default();
        values.record(&mut fields);
        self.with(|c| {
            if let Some(s) = c.open.get_mut(&span.into_u64()) {
                s.fields.extend(fields.values);
            }
        });
    }

    fn record_follows_from(&self, _span: &Id, _follows: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let at = now();
        self.with(|c| c.events.push(RawEvent { name: fields.message, fields: fields.values, at }));
    }

    fn enter(&self, _span: &Id) {}

    fn exit(&self, _span: &Id) {}

    fn clone_span(&self, id: &Id) -> Id {
        self.with(|c| {
            if let Some(s) = c.open.get_mut(&id.into_u64()) {
                s.refs += 1;
            }
        });
        id.clone()
    }

    fn try_close(&self, id: Id) -> bool {
        let end = now();
        self.with(|c| {
            let key = id.into_u64();
            let Some(s) = c.open.get_mut(&key) else {
                return false;
            };
            s.refs = s.refs.saturating_sub(1);
            if s.refs > 0 {
                return false;
            }
            if let Some(mut s) = c.open.remove(&key) {
                s.end = Some(end);
                c.closed.push(s);
            }
            true
        })
    }
}

/// Everything the world gathered during a run, before it becomes a [`RunRecord`].
pub struct Gathered {
    pub calls: Vec<HttpCall>,
    pub collector: Collector,
    /// Faults as the world applied them: (when, host, the other host, what).
    pub faults: Vec<(Duration, String, Option<String>, String)>,
    /// The run's run-control events: (when, event and detail).
    pub run_control: Vec<(Duration, String)>,
    /// Daytona's Kubernetes events of the sandbox pods.
    pub events: Vec<ClusterEvent>,
    pub simulated: Duration,
}

impl Gathered {
    /// A run that gathered nothing (its world was never built).
    pub fn nothing() -> Self {
        Gathered {
            calls: Vec::new(),
            collector: Collector::new(),
            faults: Vec::new(),
            run_control: Vec::new(),
            events: Vec::new(),
            simulated: Duration::ZERO,
        }
    }
}

impl RunRecord {
    /// Puts together what the world gathered and the run's outcome.
    pub fn build(outcome: &Outcome, gathered: Gathered) -> RunRecord {
        let Gathered { mut calls, collector, faults, run_control, events, simulated } = gathered;
        let mut warnings: Vec<ClusterWarning> = events
            .iter()
            .filter(|e| e.kind == "Warning")
            .map(|e| ClusterWarning {
                first: event_time(&e.first_timestamp),
                last: event_time(&e.last_timestamp),
                count: e.count,
                reason: e.reason.clone(),
                object: format!("{} {}", e.object_kind.to_lowercase(), e.object_name),
                message: e.message.clone(),
            })
            .collect();
        warnings.sort_by(|a, b| (a.first, &a.object).cmp(&(b.first, &b.object)));
        for call in calls.iter_mut().filter(|c| c.ended == CallEnd::Unfinished) {
            call.end = simulated.max(call.start);
        }
        let collected = collector.with(std::mem::take);
        let field = |fields: &BTreeMap<String, String>, name: &str| fields.get(name).cloned().unwrap_or_default();

        let mut spans: Vec<Span> = collected
            .closed
            .iter()
            .chain(collected.open.values())
            .filter(|s| s.name == "attempt")
            .map(|s| Span {
                lane: field(&s.fields, "agent_id"),
                kind: SpanKind::Attempt,
                label: format!("attempt {}", field(&s.fields, "attempt")),
                start: s.start,
                end: s.end.unwrap_or(simulated).max(s.start),
            })
            .collect();
        spans.sort_by(|a, b| (a.start, &a.lane).cmp(&(b.start, &b.lane)));
        for session in &outcome.sessions {
            let attempts: Vec<&Span> = spans.iter().filter(|s| s.lane == session.agent_id).collect();
            if let (Some(first), Some(end)) = (attempts.first(), attempts.iter().map(|s| s.end).max()) {
                let label = format!("session {} ({})", session.agent_id, session.live_status);
                let span =
                    Span { lane: session.agent_id.clone(), kind: SpanKind::Session, label, start: first.start, end };
                spans.push(span);
            }
        }
        spans.sort_by(|a, b| {
            (a.start, &a.lane, a.kind == SpanKind::Attempt).cmp(&(b.start, &b.lane, b.kind == SpanKind::Attempt))
        });

        let mut marks: Vec<Mark> = Vec::new();
        for (at, host, other, what) in faults {
            marks.push(Mark { at, lane: host, kind: MarkKind::Fault, label: what, to: other });
        }
        for (at, what) in run_control {
            marks.push(Mark { at, lane: "studio".to_string(), kind: MarkKind::RunControl, label: what, to: None });
        }
        for e in &collected.events {
            let kind = match e.name.as_str() {
                "blocker" => MarkKind::Blocker,
                "wall" => MarkKind::Wall,
                "handoff" => MarkKind::Handoff,
                "refusal" => MarkKind::Refusal,
                _ => continue,
            };
            let label = match kind {
                MarkKind::Handoff => field(&e.fields, "intent"),
                _ => field(&e.fields, "code"),
            };
            let to = e.fields.get("recipient").cloned();
            marks.push(Mark { at: e.at, lane: field(&e.fields, "agent_id"), kind, label, to });
        }
        // Stable: marks at one instant keep the order they were gathered in.
        marks.sort_by_key(|m| m.at);

        let lanes = lanes(outcome, &calls, &marks, &spans);
        let (scenario, seed) = (outcome.scenario.clone(), outcome.seed);
        RunRecord { scenario, seed, simulated, lanes, calls, spans, marks, warnings }
    }

    /// The lane's index in [`RunRecord::lanes`].
    pub fn lane_index(&self, name: &str) -> Option<usize> {
        self.lanes.iter().position(|l| l.name == name)
    }
}

/// Hosts that took part, in the world's order (the operator first; hosts the
/// world does not list after, by name), then every agent of the roster.
fn lanes(outcome: &Outcome, calls: &[HttpCall], marks: &[Mark], spans: &[Span]) -> Vec<Lane> {
    let agents: Vec<String> = {
        let mut a: Vec<String> = outcome.sessions.iter().map(|s| s.agent_id.clone()).collect();
        for name in
            marks.iter().flat_map(|m| [Some(&m.lane), m.to.as_ref()]).flatten().chain(spans.iter().map(|s| &s.lane))
        {
            let is_host =
                calls.iter().any(|c| &c.from == name || &c.to == name) || Host::WORLD.iter().any(|h| h.name() == name);
            if !is_host && !a.contains(name) {
                a.push(name.clone());
            }
        }
        a
    };
    let mut seen: Vec<String> = Vec::new();
    for c in calls {
        seen.push(c.from.clone());
        seen.push(c.to.clone());
    }
    for m in marks {
        seen.extend([Some(&m.lane), m.to.as_ref()].into_iter().flatten().filter(|n| !agents.contains(n)).cloned());
    }
    // The world's hosts in their order (the operator first), any other host after them.
    let order = |name: &str| Host::WORLD.iter().position(|h| h.name() == name).unwrap_or(usize::MAX);
    seen.sort_by(|a, b| (order(a), a).cmp(&(order(b), b)));
    seen.dedup();
    seen.into_iter()
        .map(|name| Lane { name, kind: LaneKind::Host })
        .chain(agents.into_iter().map(|name| Lane { name, kind: LaneKind::Agent }))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One callsite, hit from two threads.
    fn report_handoff() {
        tracing::info!(target: RUN_RECORD, "handoff");
    }

    #[test]
    fn a_collector_sees_an_event_whose_callsite_another_thread_without_one_hit_first() {
        // tracing caches a callsite's interest process-wide when it is first hit.
        // A thread with no collector (a parallel test, a sweep job that does not
        // record) hits it first, then this thread's run reports through it.
        let collector = Collector::new();
        let _installed = collector.install();
        std::thread::spawn(report_handoff).join().unwrap();
        report_handoff();
        let seen = collector.with(|c| c.events.iter().map(|e| e.name.clone()).collect::<Vec<_>>());
        assert_eq!(seen, ["handoff"], "the event reported on the collector's own thread");
    }

    /// The spans the collector holds: (name, fields, closed).
    fn spans(collector: &Collector) -> Vec<(String, BTreeMap<String, String>, bool)> {
        collector.with(|c| {
            let open = c.open.values().map(|s| (s, false));
            c.closed
                .iter()
                .map(|s| (s, true))
                .chain(open)
                .map(|(s, closed)| (s.name.clone(), s.fields.clone(), closed))
                .collect()
        })
    }

    #[test]
    fn an_attempt_span_held_by_a_clone_stays_open_until_the_last_handle_drops() {
        // A span handed to a spawned task (`.instrument(span.clone())`) outlives the guard that made it.
        let collector = Collector::new();
        let _installed = collector.install();
        let attempt = crate::base::run_events::attempt_span("planner", 1);
        let held = attempt.clone();
        drop(attempt);
        assert_eq!(spans(&collector).iter().map(|s| s.2).collect::<Vec<_>>(), [false], "a clone still holds it");
        drop(held);
        assert_eq!(spans(&collector).iter().map(|s| s.2).collect::<Vec<_>>(), [true], "the last handle closed it");
    }

    #[test]
    fn a_field_recorded_on_an_open_span_is_in_the_record() {
        let collector = Collector::new();
        let _installed = collector.install();
        let attempt = crate::base::run_events::attempt_span("planner", 1);
        attempt.record("attempt", 2);
        drop(attempt);
        let [(name, fields, closed)] = &spans(&collector)[..] else { panic!("one span: {:?}", spans(&collector)) };
        assert_eq!((name.as_str(), *closed), ("attempt", true));
        assert_eq!(fields.get("agent_id").map(String::as_str), Some("planner"));
        assert_eq!(fields.get("attempt").map(String::as_str), Some("2"), "the field recorded after the span began");
    }
}
