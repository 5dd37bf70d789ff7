//! The fault schedule: begins and ends a scenario's faults while the world steps.
//!
//! Network faults go through turmoil (partitions both ways and one way, link
//! latency, message loss), host faults through turmoil's crash and bounce, and
//! service faults through the one tower layer every service's router wears
//! ([`squadsim_fakes::fault`]). A fault begins at its simulated time (`at`) or
//! at the first step at which its event shows in the modelled state (`on`),
//! read from the Studio's runs and sessions (a handoff from the LangGraph Agent
//! Server's checkpointed handoff trail), or, for a request (`http`,
//! `merge`, `tool_call`), at the door of the service it reaches, never from the scenario;
//! with a `delay`, that much later. A fault with `run: <label>` reads its
//! event from that labelled run only, and a service fault with one hits only
//! requests whose path names that run or one of its execution workspaces (its
//! sandboxes), as the Studio's state shows them at each step. A `tool_call`
//! event's caller is read at the gateway's door from the caller's token (its
//! subject, the agent's gateway identity); which identities are the role's
//! (of its run, with `run:`) the schedule learns from the Studio's sessions at
//! each step, before any of them has a token to call with.
//!
//! Guarantees:
//! - faults are independent entries: each begins and ends on its own, so any
//!   subset of a scenario's faults is itself a valid schedule;
//! - at one step, due ends apply before due beginnings, each in file order, so
//!   the same scenario and seed apply the same actions at the same steps;
//! - message loss draws from turmoil's seeded RNG, so it is reproducible from
//!   the seed;
//! - a request event's request is held at its service's door until the fault
//!   has begun (without `delay`), so the fault hits that very exchange under
//!   every seed: a crash kills it, a service fault answers it, a partition
//!   drops its answer;
//! - every action taken is logged with its simulated time (the outcome's `faults`).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use hyper::{Method, StatusCode};
use squadsim_fakes::contextforge::ContextForge;
use squadsim_fakes::fault::{Effect, Matcher, ServiceFault, ServiceFaults, ToolCallMatcher};

use crate::base::clock::seconds_label;
use crate::base::identity;
use crate::base::topology::Host;
use crate::engine::operator::OperatorLog;
use crate::platform::agent_server::CheckpointStore;
use crate::platform::studio::{Run, Studio};
use crate::scenario::{Fault, FaultKind, ServiceEffect, Trigger};

/// A scenario's faults, as the world steps through them.
pub(crate) struct FaultSchedule {
    /// Shared, so a step can read a waiting fault while it changes the schedule.
    faults: std::sync::Arc<[Fault]>,
    /// Faults that have not begun, by index, in file order.
    waiting: Vec<usize>,
    /// (when, index) of begun faults that end.
    ends: Vec<(Duration, usize)>,
    /// The service-fault handle of every host that serves.
    services: BTreeMap<Host, ServiceFaults>,
    /// The world's (min, max) message latency, which a latency fault adds to and restores.
    base_latency: (Duration, Duration),
    log: Vec<String>,
    /// Begun faults that have not ended (by index), and when the last one ended.
    standing: Vec<usize>,
    last_end: Duration,
    /// The run record's marks: (when, host, the other host, what).
    marks: Vec<(Duration, String, Option<String>, String)>,
    /// When the event of a waiting fault was first seen (it begins `delay` later).
    seen: BTreeMap<usize, Duration>,
    /// Each run-scoped fault's scope so far: its run's id and every execution
    /// workspace its sessions were seen with (sorted; it only grows).
    scopes: BTreeMap<usize, Vec<String>>,
}

impl FaultSchedule {
    /// The schedule of `faults` on a world whose messages take `base_latency` (min, max).
    pub(crate) fn new(faults: &[Fault], base_latency: (Duration, Duration)) -> Self {
        let schedule = FaultSchedule {
            faults: faults.into(),
            waiting: (0..faults.len()).collect(),
            ends: Vec::new(),
            services: Host::ALL
                .into_iter()
                .filter(|h| *h != Host::Operator)
                .map(|h| (h, ServiceFaults::new()))
                .collect(),
            base_latency,
            log: Vec::new(),
            standing: Vec::new(),
            last_end: Duration::ZERO,
            marks: Vec::new(),
            seen: BTreeMap::new(),
            scopes: faults
                .iter()
                .enumerate()
                .filter(|(_, f)| f.start().run.is_some())
                .map(|(i, _)| (i, Vec::new()))
                .collect(),
        };
        // A request event is watched at the door of the service it is addressed to.
        for (i, fault) in faults.iter().enumerate() {
            let on = &fault.start().on;
            if let Some((host, method, path)) = on.as_ref().and_then(Trigger::request) {
                let matcher = Matcher {
                    method: method.and_then(|m| m.parse::<Method>().ok()),
                    path: path.to_string(),
                    within: None,
                };
                let from = on.as_ref().and_then(Trigger::sender).map(str::to_string);
                schedule.service_named(host).watch(i, matcher, from);
            }
            if let Some(Trigger::ToolCall(event)) = &on {
                // Every MCP endpoint of the gateway (`/mcp`, `/servers/<id>/mcp`) takes POSTs.
                let endpoints = Matcher { method: Some(Method::POST), path: "/".to_string(), within: None };
                // A role's callers, or a run's, are learnt as the Studio shows their sessions.
                let learnt = event.role.is_some() || fault.start().run.is_some();
                let call = ToolCallMatcher { tools: event.wire_names(), callers: learnt.then(Vec::new) };
                schedule.service(Host::Contextforge).watch_tool_call(i, endpoints, call);
            }
        }
        schedule
    }

    /// Lets the gateway's door read a tool call's caller as the gateway does: the
    /// subject of a token it accepts.
    pub(crate) fn identify_gateway_callers(&self, gateway: &std::sync::Arc<ContextForge>) {
        let gateway = gateway.clone();
        self.service(Host::Contextforge).identify_callers(std::sync::Arc::new(move |headers| gateway.caller(headers)));
    }

    /// The service-fault handle of `host`, to wrap its router with.
    pub(crate) fn service(&self, host: Host) -> ServiceFaults {
        self.services.get(&host).cloned().unwrap_or_default()
    }

    /// The service-fault handle of the host a fault names (validated by the
    /// scenario loader: every name is a host of the world).
    fn service_named(&self, host: &str) -> ServiceFaults {
        Host::parse(host).map(|h| self.service(h)).unwrap_or_default()
    }

    /// Applies every end and beginning due at the simulation's current time.
    /// `labelled` is each labelled launch's run so far (label, run id), which
    /// faults with `run:` are scoped to; `checkpoints` is the Agent Server's
    /// durable state, where handoffs are recorded.
    pub(crate) fn advance(
        &mut self,
        sim: &mut turmoil::Sim<'_>,
        studio: &Studio,
        checkpoints: &CheckpointStore,
        labelled: &Mutex<OperatorLog>,
    ) {
        let now = sim.elapsed();
        self.end_due(sim, now);
        let events = self.waiting.iter().any(|i| self.faults[*i].start().on.is_some());
        let runs = if events || !self.scopes.is_empty() { studio.runs() } else { Vec::new() };
        if !self.scopes.is_empty() {
            let labelled = labelled.lock().map(|l| l.labelled.clone()).unwrap_or_default();
            self.rescope(&runs, &labelled);
        }
        self.learn_callers(&runs);
        let mut still = Vec::new();
        let faults = std::sync::Arc::clone(&self.faults);
        for i in std::mem::take(&mut self.waiting) {
            let (start, end) = (faults[i].start(), faults[i].end());
            let due = match (&start.at, &start.on) {
                (Some(at), _) => at.0 <= now,
                (None, Some(trigger)) => {
                    if !self.seen.contains_key(&i) && self.observed(i, &runs, checkpoints, trigger) {
                        self.seen.insert(i, now);
                        // A delayed fault lets the held request go on at once.
                        if !trigger.delay().is_zero() {
                            self.release(i, trigger);
                        }
                    }
                    self.seen.get(&i).is_some_and(|seen| *seen + trigger.delay() <= now)
                }
                (None, None) => false,
            };
            if !due {
                still.push(i);
                continue;
            }
            let cause = match (&start.on, &start.run) {
                (Some(t), Some(run)) => format!("on {t} of run {run}: "),
                (Some(t), None) => format!("on {t}: "),
                (None, Some(run)) => format!("run {run}: "),
                (None, None) => String::new(),
            };
            self.begin(sim, i, now, &cause);
            // The held request goes on into the fault that has just begun.
            if let Some(trigger) = &start.on {
                self.release(i, trigger);
            }
            let end = end.until.map(|u| u.0).or(end.lasts.map(|l| now + l.0));
            if let Some(end) = end {
                let at = self.ends.partition_point(|(t, _)| *t <= end);
                self.ends.insert(at, (end, i));
            }
        }
        self.waiting = still;
    }

    /// The next simulated time at which the schedule has something due by
    /// the clock alone (a fault's `at`, an event's `delay` running out, an
    /// end). A fault waiting on an event not yet seen has no time: its event
    /// shows only after some host has done something.
    pub(crate) fn next_due(&self) -> Option<Duration> {
        let begins = self.waiting.iter().filter_map(|i| {
            let start = self.faults[*i].start();
            match (&start.at, &start.on) {
                (Some(at), _) => Some(at.0),
                (None, Some(trigger)) => self.seen.get(i).map(|seen| *seen + trigger.delay()),
                (None, None) => None,
            }
        });
        begins.chain(self.ends.first().map(|(end, _)| *end)).min()
    }

    /// When the last begun fault ended (zero when none began); `None` while
    /// one stands (it has not ended yet, or never ends).
    pub(crate) fn quiet_since(&self) -> Option<Duration> {
        self.standing.is_empty().then_some(self.last_end)
    }

    /// Marks the service faults still on at the end of the run that answered a request.
    pub(crate) fn probe_standing_hits(&self) {
        for &i in &self.standing {
            if let Fault::Service { host, .. } = &self.faults[i] {
                if self.service_named(host).hits(i) > 0 {
                    crate::base::probe::hit("fault_hit", kind(&self.faults[i]));
                }
            }
        }
    }

    /// What was done, in order, with simulated times.
    pub(crate) fn log(&self) -> &[String] {
        &self.log
    }

    /// The declared faults that never began, in file order, each with why: its
    /// time came after the run ended, or its event never showed (or showed, and
    /// its delay ran past the end). A scenario whose fault never began tested
    /// the world without it.
    pub(crate) fn never_began(&self) -> Vec<String> {
        self.waiting
            .iter()
            .map(|&i| {
                let fault = &self.faults[i];
                let start = fault.start();
                let of_run = start.run.as_ref().map(|r| format!(" of run {r}")).unwrap_or_default();
                let why = match (&start.at, &start.on, self.seen.get(&i)) {
                    (Some(at), ..) => format!("at {}: the run ended first", seconds_label(at.0)),
                    (None, Some(t), Some(seen)) => {
                        format!("on {t}{of_run}: seen at {}, the run ended first", seconds_label(*seen))
                    }
                    (None, Some(t), None) => format!("on {t}{of_run}: it never happened"),
                    (None, None, _) => "with neither a time nor an event".to_string(),
                };
                format!("{} ({why})", describe(fault))
            })
            .collect()
    }

    /// What was done, as the run record marks it: (when, host, the other host, what).
    pub(crate) fn marks(&self) -> Vec<(Duration, String, Option<String>, String)> {
        self.marks.clone()
    }

    fn mark(&mut self, i: usize, now: Duration, what: String) {
        let (host, other) = match &self.faults[i] {
            Fault::Partition { between: [a, b], .. }
            | Fault::Latency { between: [a, b], .. }
            | Fault::Loss { between: [a, b], .. } => (a.clone(), Some(b.clone())),
            Fault::OneWayPartition { from, to, .. } => (from.clone(), Some(to.clone())),
            Fault::Crash { host, .. } | Fault::Service { host, .. } => (host.clone(), None),
        };
        self.marks.push((now, host, other, what));
    }

    fn end_due(&mut self, sim: &mut turmoil::Sim<'_>, now: Duration) {
        while self.ends.first().is_some_and(|(t, _)| *t <= now) {
            let (_, i) = self.ends.remove(0);
            self.end(sim, i, now);
        }
    }

    fn begin(&mut self, sim: &mut turmoil::Sim<'_>, i: usize, now: Duration, cause: &str) {
        let fault = &self.faults[i];
        match fault {
            Fault::Partition { between: [a, b], .. } => sim.partition(a.as_str(), b.as_str()),
            Fault::OneWayPartition { from, to, .. } => sim.partition_oneway(from.as_str(), to.as_str()),
            Fault::Latency { between: [a, b], extra, .. } => set_latency(sim, a, b, self.base_latency, extra.0),
            Fault::Loss { between: [a, b], rate, .. } => sim.set_link_fail_rate(a.as_str(), b.as_str(), *rate),
            Fault::Crash { host, start, .. } => {
                // Each request the host is serving now is a call the crash cuts off.
                for _ in self.service_named(host).serving() {
                    crate::base::probe::hit("crash_during", host);
                }
                // A crash an agent's tool call began: the call, held at the gateway's door, meets it.
                if let Some(tool) = match &start.on {
                    Some(Trigger::ToolCall(call)) => call.agent_facing_tool(),
                    _ => None,
                } {
                    crate::base::probe::hit("crash_during_tool_call", &tool);
                }
                sim.crash(host.as_str());
            }
            Fault::Service { .. } => {
                if let Some((host, service_fault)) = service_fault(fault, i, self.scopes.get(&i)) {
                    self.service_named(host).activate(service_fault);
                }
            }
        }
        let what = describe(fault);
        crate::base::probe::hit("fault_began", kind(fault));
        self.standing.push(i);
        self.log.push(format!("{} {cause}{what}", seconds_label(now)));
        self.mark(i, now, what);
    }

    fn end(&mut self, sim: &mut turmoil::Sim<'_>, i: usize, now: Duration) {
        let fault = &self.faults[i];
        let mut detail = String::new();
        match fault {
            Fault::Partition { between: [a, b], .. } => sim.repair(a.as_str(), b.as_str()),
            Fault::OneWayPartition { from, to, .. } => sim.repair_oneway(from.as_str(), to.as_str()),
            Fault::Latency { between: [a, b], .. } => set_latency(sim, a, b, self.base_latency, Duration::ZERO),
            Fault::Loss { between: [a, b], .. } => sim.set_link_fail_rate(a.as_str(), b.as_str(), 0.0),
            Fault::Crash { host, .. } => sim.bounce(host.as_str()),
            Fault::Service { host, .. } => {
                let faults = self.service_named(host);
                faults.clear(i);
                if faults.hits(i) > 0 {
                    crate::base::probe::hit("fault_hit", kind(fault));
                }
                detail = format!(" ({} requests hit)", faults.hits(i));
            }
        }
        let what = match fault {
            Fault::Crash { host, .. } => format!("restart {host}"),
            other => format!("end {}", describe(other)),
        };
        self.standing.retain(|s| *s != i);
        self.last_end = now;
        self.log.push(format!("{} {what}{detail}", seconds_label(now)));
        self.mark(i, now, what);
    }
}

/// A service fault as its host's layer applies it (with `scope`: only the
/// requests naming one of its segments); `None` for other faults.
fn service_fault<'a>(fault: &'a Fault, id: usize, scope: Option<&Vec<String>>) -> Option<(&'a str, ServiceFault)> {
    let Fault::Service { host, method, path, effect, .. } = fault else { return None };
    let matcher = Matcher {
        method: method.as_deref().and_then(|m| m.parse::<Method>().ok()),
        path: path.clone(),
        within: scope.cloned(),
    };
    let effect = match effect {
        ServiceEffect::Status(code) => {
            Effect::Status(StatusCode::from_u16(*code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        }
        ServiceEffect::Slow(d) => Effect::Slow(d.0),
        ServiceEffect::Hang => Effect::Hang,
    };
    Some((host.as_str(), ServiceFault { id, matcher, effect }))
}

/// Sets the link's latency range to the base range plus `extra` (zero restores it).
fn set_latency(sim: &mut turmoil::Sim<'_>, a: &str, b: &str, base: (Duration, Duration), extra: Duration) {
    sim.set_link_latency(a, b, base.0 + extra);
    sim.set_link_max_message_latency(a, b, base.1 + extra);
}

impl FaultSchedule {
    /// Whether the event of fault `i` has happened: a request arrived at its
    /// service's door, or the Studio's runs show it (its own run's, when it has `run:`).
    fn observed(&self, i: usize, runs: &[Run], checkpoints: &CheckpointStore, trigger: &Trigger) -> bool {
        match (trigger.door(), self.scopes.get(&i)) {
            (Some(host), _) => self.service_named(host).arrived(i),
            (None, None) => observed(runs, checkpoints, trigger),
            (None, Some(scope)) => {
                let own: Vec<Run> = runs.iter().filter(|r| scope.contains(&r.run_id)).cloned().collect();
                observed(&own, checkpoints, trigger)
            }
        }
    }

    /// Grows each run-scoped fault's scope with what the Studio shows of its
    /// run now, and narrows a standing service fault to it.
    fn rescope(&mut self, runs: &[Run], labelled: &[(String, Option<String>)]) {
        let mut narrowed = Vec::new();
        for (&i, scope) in self.scopes.iter_mut() {
            let label = &self.faults[i].start().run;
            let id = labelled.iter().find(|(l, _)| Some(l) == label.as_ref()).and_then(|(_, id)| id.as_ref());
            let Some(run) = id.and_then(|id| runs.iter().find(|r| &r.run_id == id)) else { continue };
            let before = scope.len();
            scope.push(run.run_id.clone());
            scope.extend(run.sessions.iter().filter_map(|s| s.execution_workspace.clone()));
            scope.sort();
            scope.dedup();
            if scope.len() != before && self.standing.contains(&i) {
                narrowed.extend(service_fault(&self.faults[i], i, Some(scope)));
            }
        }
        for (host, fault) in narrowed {
            self.service_named(host).activate(fault);
        }
    }

    /// Lets the request fault `i` awaited go on (no-op for other events).
    fn release(&self, i: usize, trigger: &Trigger) {
        if let Some(host) = trigger.door() {
            self.service_named(host).release(i);
        }
    }

    /// Tells the gateway's door who the callers of each waiting `tool_call`
    /// event with a role or a run are: the gateway identities of the sessions
    /// of that role (of that run) the Studio shows now.
    fn learn_callers(&self, runs: &[Run]) {
        for &i in &self.waiting {
            let start = self.faults[i].start();
            let Some(Trigger::ToolCall(event)) = &start.on else { continue };
            if event.role.is_none() && start.run.is_none() || self.seen.contains_key(&i) {
                continue;
            }
            let scope = self.scopes.get(&i);
            let mut callers: Vec<String> = runs
                .iter()
                .filter(|r| scope.is_none_or(|scope| scope.contains(&r.run_id)))
                .flat_map(|r| {
                    r.sessions
                        .iter()
                        .filter(|s| event.calls_from(&s.role_id, &s.agent_id))
                        .map(|s| identity::gateway_identity(&r.project_code, &s.agent_nickname))
                })
                .collect();
            callers.sort();
            callers.dedup();
            self.service(Host::Contextforge).set_callers(i, callers);
        }
    }
}

/// Whether the event shows in the Studio's runs (a handoff: in their threads' handoff trails).
fn observed(runs: &[Run], checkpoints: &CheckpointStore, trigger: &Trigger) -> bool {
    let sessions = || runs.iter().flat_map(|r| r.sessions.iter());
    match trigger {
        Trigger::Handoff(event) => runs
            .iter()
            .filter_map(|r| checkpoints.latest(&r.run_id))
            .any(|state| state.handoffs.iter().any(|h| event.matches(&h.sender_agent_id, &h.recipient_agent_id))),
        Trigger::Wall(w) => runs.iter().any(|r| r.walls.iter().any(|fired| fired.wall == w.wall)),
        Trigger::Http(_) | Trigger::Merge(_) | Trigger::ToolCall(_) => false,
        Trigger::RunLaunched => !runs.is_empty(),
        Trigger::SessionStarted(role) => sessions().any(|s| &s.role_id == role && s.claude_session_id.is_some()),
        Trigger::FirstToolCall(role) => sessions().any(|s| &s.role_id == role && s.first_tool_made()),
        Trigger::SessionCompleted(role) => sessions().any(|s| {
            &s.role_id == role && s.live_status == squadsim_conformance::vocabulary::LiveStatus::SessionCompleted
        }),
    }
}

/// The fault's kind, as coverage probes name it (`partition`, `service_status`, ...).
pub(crate) fn kind(fault: &Fault) -> &'static str {
    FaultKind::of(fault).name()
}

/// One line naming the fault, as the log prints it.
pub(crate) fn describe(fault: &Fault) -> String {
    match fault {
        Fault::Partition { between: [a, b], .. } => format!("partition {a} <-> {b}"),
        Fault::OneWayPartition { from, to, .. } => format!("one-way partition {from} -> {to}"),
        Fault::Latency { between: [a, b], extra, .. } => {
            format!("latency +{} {a} <-> {b}", seconds_label(extra.0))
        }
        Fault::Loss { between: [a, b], rate, .. } => format!("loss {}% {a} <-> {b}", rate * 100.0),
        Fault::Crash { host, .. } => format!("crash {host}"),
        Fault::Service { host, method, path, effect, .. } => {
            let effect = match effect {
                ServiceEffect::Status(code) => format!("status {code}"),
                ServiceEffect::Slow(d) => format!("slow +{}", seconds_label(d.0)),
                ServiceEffect::Hang => "hang".to_string(),
            };
            format!("service {host} {} {path}: {effect}", method.as_deref().unwrap_or("*"))
        }
    }
}
