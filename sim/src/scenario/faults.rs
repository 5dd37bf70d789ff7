//! Faults (`faults:`): on the network (through turmoil), on a host, or in one
//! service's endpoints, each beginning at a simulated time or on an event of
//! the modelled state. The engine's fault schedule applies them.

use std::fmt;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::durations::SimDuration;
pub use super::tool_call::ToolCallEvent;

/// A fault: on the network (through turmoil), on a host, or in one service's
/// endpoints. Each entry is independent of the others. It begins at a simulated
/// time (`at`) or when an event shows in the modelled state (`on`), and ends at
/// `until` (a simulated time), after `lasts`, or never.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum Fault {
    /// Cut the link between two hosts, both ways: every message is dropped.
    Partition {
        between: [String; 2],
        #[serde(flatten, deserialize_with = "crate::scenario::load::flattened")]
        start: FaultStart,
        #[serde(flatten, deserialize_with = "crate::scenario::load::flattened")]
        end: FaultEnd,
    },
    /// Cut the link one way: messages from `from` to `to` are dropped, the other
    /// direction still delivers (so a TCP exchange between them hangs).
    OneWayPartition {
        from: String,
        to: String,
        #[serde(flatten, deserialize_with = "crate::scenario::load::flattened")]
        start: FaultStart,
        #[serde(flatten, deserialize_with = "crate::scenario::load::flattened")]
        end: FaultEnd,
    },
    /// Add `extra` to every message's latency on the link between two hosts (both ways).
    Latency {
        between: [String; 2],
        extra: SimDuration,
        #[serde(flatten, deserialize_with = "crate::scenario::load::flattened")]
        start: FaultStart,
        #[serde(flatten, deserialize_with = "crate::scenario::load::flattened")]
        end: FaultEnd,
    },
    /// Lose messages on the link between two hosts: each message is lost with
    /// probability `rate` (0 < rate <= 1), drawn from the seed. TCP in the
    /// simulation does not retransmit, so a loss hangs that exchange until the
    /// caller's own timeout gives up.
    Loss {
        between: [String; 2],
        rate: f64,
        #[serde(flatten, deserialize_with = "crate::scenario::load::flattened")]
        start: FaultStart,
        #[serde(flatten, deserialize_with = "crate::scenario::load::flattened")]
        end: FaultEnd,
    },
    /// Crash a host: its software and in-memory state are gone. With
    /// `restart_after`, it starts again that much later (durable stores survive).
    Crash {
        host: String,
        #[serde(flatten, deserialize_with = "crate::scenario::load::flattened")]
        start: FaultStart,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        restart_after: Option<SimDuration>,
    },
    /// A fault in one service's endpoints: requests matching `method` (any when
    /// omitted) and `path` (that path and everything under it; a `*` segment
    /// matches any one segment) get `effect` instead of the normal answer.
    Service {
        host: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        method: Option<String>,
        path: String,
        effect: ServiceEffect,
        #[serde(flatten, deserialize_with = "crate::scenario::load::flattened")]
        start: FaultStart,
        #[serde(flatten, deserialize_with = "crate::scenario::load::flattened")]
        end: FaultEnd,
    },
}

/// When a fault begins, and the run it is about: the fields every fault has,
/// written beside its own.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
// Its fields join each fault's mapping; the mapping's description stays the fault's.
#[schemars(description = "")]
pub struct FaultStart {
    /// The simulated time it begins at (`at` or `on`, not both).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<SimDuration>,
    /// The event it begins on, in the modelled state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on: Option<Trigger>,
    /// The labelled run the fault is about: its event is read from that run
    /// only, and a service fault hits only that run's requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
}

impl FaultStart {
    /// Begins at the simulated time `at`, about no labelled run.
    pub fn at_time(at: SimDuration) -> Self {
        FaultStart { at: Some(at), on: None, run: None }
    }

    /// Begins on `event`, about no labelled run.
    pub fn on_event(event: Trigger) -> Self {
        FaultStart { at: None, on: Some(event), run: None }
    }
}

/// When a fault that ends by itself ends (every fault but a crash, which restarts
/// instead): at a simulated time, or this long after it began; neither: never.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[schemars(description = "")]
pub struct FaultEnd {
    /// The simulated time it ends at (with `at` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<SimDuration>,
    /// How long after it began it ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lasts: Option<SimDuration>,
}

impl FaultEnd {
    /// Never ends by itself.
    pub const NEVER: FaultEnd = FaultEnd { until: None, lasts: None };

    /// Ends at the simulated time `until`.
    pub fn until_time(until: SimDuration) -> Self {
        FaultEnd { until: Some(until), lasts: None }
    }

    /// Ends `lasts` after it began.
    pub fn lasting(lasts: SimDuration) -> Self {
        FaultEnd { until: None, lasts: Some(lasts) }
    }
}

/// What a faulty endpoint does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum ServiceEffect {
    /// Answer at once with this HTTP status (100..=599).
    Status(u16),
    /// Answer normally, after this much extra time.
    Slow(SimDuration),
    /// Never answer (the caller's timeout decides what it sees).
    Hang,
}

/// An event in the modelled state that begins a fault (`on:`). The simulator
/// reads it from the services' state between steps, never from the scenario.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum Trigger {
    /// The Studio holds a launched run.
    RunLaunched,
    /// The role's session started: the Studio's session state shows its `claude_session_id`.
    SessionStarted(String),
    /// The role's session made its required first tool call.
    FirstToolCall(String),
    /// The role's session completed.
    SessionCompleted(String),
    /// A request reaches the service `to` (matching `method` and `path` as a
    /// service fault's do; with `from`, sent from that host). The request is held until the fault has begun, so a
    /// fault without `delay` hits that very exchange: a crash of `to` kills it, a
    /// service fault on `to` answers it.
    Http(HttpEvent),
    /// The committer's merge reaches GitHub (`PUT /repos/{owner}/{repo}/pulls/{n}/merge`),
    /// held like an `http` event.
    Merge(#[serde(default)] Delay),
    /// A mechanical wall fires (`delivery_wall`, `committer_wall`, ...), read from the Studio's run.
    Wall(WallEvent),
    /// A handoff between those roles lands in the LangGraph Agent Server's
    /// handoff trail, read from its checkpointed graph state as it is recorded.
    Handoff(HandoffEvent),
    /// That role's agent process makes an MCP `tools/call` of that tool through
    /// ContextForge, read at the gateway's door from the JSON-RPC body and the
    /// caller's token; the request is held there like an `http` event's.
    ToolCall(ToolCallEvent),
}

/// An HTTP request as an event that begins a fault.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HttpEvent {
    /// The host the request is sent from (its connection's peer on the
    /// simulated network); `None`: any sender.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The host the request is addressed to.
    pub to: String,
    /// `None`: any method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// That path and everything under it; a `*` segment matches any one segment.
    #[serde(default = "root_path")]
    pub path: String,
    /// The fault begins this long after the request arrives (the request then goes on at once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay: Option<SimDuration>,
}

fn root_path() -> String {
    "/".to_string()
}

/// How long after its event a fault begins (none: at once).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Delay {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay: Option<SimDuration>,
}

/// A wall firing as an event that begins a fault.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WallEvent {
    /// The wall (`planner_wall`, `delivery_wall`, `tester_wall`, `committer_wall`, `closer_wall`).
    pub wall: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay: Option<SimDuration>,
}

/// A handoff as an event that begins a fault: the first one recorded from the
/// role (or agent id, `implementer-2`) `from` to `to`; either omitted: any.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HandoffEvent {
    /// The sender's role (`planner`) or agent id (`implementer-2`); `None`: any sender.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The recipient's role or agent id; `None`: any recipient.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay: Option<SimDuration>,
}

impl HandoffEvent {
    /// Whether a handoff from the agent `sender` to the agent `recipient` is this event
    /// (a role names each of its lanes: `implementer` is `implementer-1`, `implementer-2`, ...).
    pub fn matches(&self, sender: &str, recipient: &str) -> bool {
        let names = |wanted: &Option<String>, agent: &str| {
            wanted.as_deref().is_none_or(|w| w == agent || w == crate::base::templates::role_of(agent))
        };
        names(&self.from, sender) && names(&self.to, recipient)
    }
}

/// The path of the merge of a pull request on GitHub, as a service path pattern.
pub const MERGE_PATH: &str = "/repos/*/*/pulls/*/merge";

impl Trigger {
    /// The role the event is about, if any.
    pub fn role(&self) -> Option<&str> {
        match self {
            Trigger::SessionStarted(r) | Trigger::FirstToolCall(r) | Trigger::SessionCompleted(r) => Some(r),
            Trigger::RunLaunched
            | Trigger::Http(_)
            | Trigger::Merge(_)
            | Trigger::Wall(_)
            | Trigger::Handoff(_)
            | Trigger::ToolCall(_) => None,
        }
    }

    /// How long after the event the fault begins.
    pub fn delay(&self) -> Duration {
        let delay = match self {
            Trigger::Http(e) => e.delay,
            Trigger::Merge(d) => d.delay,
            Trigger::Wall(w) => w.delay,
            Trigger::Handoff(h) => h.delay,
            Trigger::ToolCall(c) => c.delay,
            _ => None,
        };
        delay.map(|d| d.0).unwrap_or_default()
    }

    /// The host an `http` event's request must be sent from, if it names one.
    pub fn sender(&self) -> Option<&str> {
        match self {
            Trigger::Http(e) => e.from.as_deref(),
            _ => None,
        }
    }

    /// The host at whose door the event is read as a request arrives (`http`,
    /// `merge`, `tool_call`: the gateway), where its request is held.
    pub fn door(&self) -> Option<&str> {
        match self {
            Trigger::ToolCall(_) => Some(crate::base::topology::Host::Contextforge.name()),
            other => other.request().map(|(host, _, _)| host),
        }
    }

    /// The event's key in the YAML (`http`, `tool_call`, ...).
    pub fn key(&self) -> &'static str {
        match self {
            Trigger::RunLaunched => "run_launched",
            Trigger::SessionStarted(_) => "session_started",
            Trigger::FirstToolCall(_) => "first_tool_call",
            Trigger::SessionCompleted(_) => "session_completed",
            Trigger::Http(_) => "http",
            Trigger::Merge(_) => "merge",
            Trigger::Wall(_) => "wall",
            Trigger::Handoff(_) => "handoff",
            Trigger::ToolCall(_) => "tool_call",
        }
    }

    /// The request an `http` or `merge` event waits for: (host, method, path pattern).
    pub fn request(&self) -> Option<(&str, Option<&str>, &str)> {
        match self {
            Trigger::Http(e) => Some((e.to.as_str(), e.method.as_deref(), e.path.as_str())),
            Trigger::Merge(_) => Some(("github", Some("PUT"), MERGE_PATH)),
            _ => None,
        }
    }
}

impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Trigger::RunLaunched => f.write_str("run_launched"),
            Trigger::SessionStarted(r) => write!(f, "session_started {r}"),
            Trigger::FirstToolCall(r) => write!(f, "first_tool_call {r}"),
            Trigger::SessionCompleted(r) => write!(f, "session_completed {r}"),
            Trigger::Http(e) => {
                write!(f, "http {} {}{}", e.method.as_deref().unwrap_or("*"), e.to, e.path)?;
                e.from.as_ref().map_or(Ok(()), |from| write!(f, " from {from}"))
            }
            Trigger::Merge(_) => f.write_str("merge"),
            Trigger::Wall(w) => write!(f, "wall {}", w.wall),
            Trigger::Handoff(h) => {
                write!(f, "handoff {} -> {}", h.from.as_deref().unwrap_or("*"), h.to.as_deref().unwrap_or("*"))
            }
            Trigger::ToolCall(c) => {
                write!(f, "tool_call {} by {}", c.tool.as_deref().unwrap_or("*"), c.role.as_deref().unwrap_or("*"))
            }
        }?;
        match self.delay() {
            d if d.is_zero() => Ok(()),
            d => write!(f, " + {}", crate::base::clock::seconds_label(d)),
        }
    }
}

impl Fault {
    /// The fault's key in the YAML (`partition`, `one_way_partition`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            Fault::Partition { .. } => "partition",
            Fault::OneWayPartition { .. } => "one_way_partition",
            Fault::Latency { .. } => "latency",
            Fault::Loss { .. } => "loss",
            Fault::Crash { .. } => "crash",
            Fault::Service { .. } => "service",
        }
    }

    /// When the fault begins and the run it is about.
    pub fn start(&self) -> &FaultStart {
        match self {
            Fault::Partition { start, .. }
            | Fault::OneWayPartition { start, .. }
            | Fault::Latency { start, .. }
            | Fault::Loss { start, .. }
            | Fault::Crash { start, .. }
            | Fault::Service { start, .. } => start,
        }
    }

    /// When the fault ends by itself; a crash "lasts" until its restart (`restart_after`).
    pub fn end(&self) -> FaultEnd {
        match self {
            Fault::Partition { end, .. }
            | Fault::OneWayPartition { end, .. }
            | Fault::Latency { end, .. }
            | Fault::Loss { end, .. }
            | Fault::Service { end, .. } => end.clone(),
            Fault::Crash { restart_after, .. } => FaultEnd { until: None, lasts: *restart_after },
        }
    }

    /// Every host the fault names, with its field name (and index in it, for `between`).
    pub(super) fn hosts(&self) -> Vec<(&'static str, Option<usize>, &str)> {
        match self {
            Fault::Partition { between, .. } | Fault::Latency { between, .. } | Fault::Loss { between, .. } => {
                vec![("between", Some(0), between[0].as_str()), ("between", Some(1), between[1].as_str())]
            }
            Fault::OneWayPartition { from, to, .. } => vec![("from", None, from.as_str()), ("to", None, to.as_str())],
            Fault::Crash { host, .. } | Fault::Service { host, .. } => vec![("host", None, host.as_str())],
        }
    }
}

/// The kinds of fault, as probes (`fault_began:<kind>`) and swarm menus (`swarm.kinds`) name them:
/// a service fault is of the kind of its effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// Cut a link both ways.
    Partition,
    /// Cut a link one way.
    OneWayPartition,
    /// Add latency to a link.
    Latency,
    /// Lose a link's messages at a drawn rate.
    Loss,
    /// Crash a host; it restarts when the window ends.
    Crash,
    /// Every endpoint of a host answers a drawn error status.
    ServiceStatus,
    /// Every endpoint of a host answers late.
    ServiceSlow,
    /// Every endpoint of a host never answers.
    ServiceHang,
}

impl FaultKind {
    /// Every kind, in catalogue order.
    pub const ALL: [FaultKind; 8] = [
        FaultKind::Partition,
        FaultKind::OneWayPartition,
        FaultKind::Latency,
        FaultKind::Loss,
        FaultKind::Crash,
        FaultKind::ServiceStatus,
        FaultKind::ServiceSlow,
        FaultKind::ServiceHang,
    ];

    /// Whether it strikes a link (else a host).
    pub fn on_link(self) -> bool {
        matches!(self, FaultKind::Partition | FaultKind::OneWayPartition | FaultKind::Latency | FaultKind::Loss)
    }

    /// The kind of `fault`.
    pub fn of(fault: &Fault) -> FaultKind {
        match fault {
            Fault::Partition { .. } => FaultKind::Partition,
            Fault::OneWayPartition { .. } => FaultKind::OneWayPartition,
            Fault::Latency { .. } => FaultKind::Latency,
            Fault::Loss { .. } => FaultKind::Loss,
            Fault::Crash { .. } => FaultKind::Crash,
            Fault::Service { effect: ServiceEffect::Status(_), .. } => FaultKind::ServiceStatus,
            Fault::Service { effect: ServiceEffect::Slow(_), .. } => FaultKind::ServiceSlow,
            Fault::Service { effect: ServiceEffect::Hang, .. } => FaultKind::ServiceHang,
        }
    }

    /// Its name in probes and swarm menus.
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Partition => "partition",
            FaultKind::OneWayPartition => "one_way_partition",
            FaultKind::Latency => "latency",
            FaultKind::Loss => "loss",
            FaultKind::Crash => "crash",
            FaultKind::ServiceStatus => "service_status",
            FaultKind::ServiceSlow => "service_slow",
            FaultKind::ServiceHang => "service_hang",
        }
    }
}

/// HTTP methods a service fault may name.
pub const SERVICE_METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
