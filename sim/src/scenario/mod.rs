//! The scenario format: conditions, faults, agent behaviours and operator steps.
//!
//! A scenario never states an outcome. Blockers, walls and statuses come out of
//! the modelled services reacting to what is declared here (DESIGN, "The one
//! principle"). The format is documented in `scenarios/README.md`; its JSON Schema
//! is generated from these types (`squadsim schema`).
//!
//! Guarantees: unknown fields are rejected; every load error names the file, the
//! line and column (found from the field's path in the document, [`locate`]),
//! the field path and the shape that was expected, and prints scenario text
//! escaped ([`escape`]); every duration and count is bounded ([`bounds`]); a
//! scenario that would make the simulation panic (an unknown host, a zero tick)
//! or whose world the fakes would refuse is refused here ([`validate`]), before
//! any simulation is built.

pub mod bounds;
mod locate;
mod validate;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use bounds::MAX_LAUNCH_COUNT;
use locate::{FieldPath, Location, Misshapen, Spans};

use schemars::JsonSchema;

use crate::base::topology::Host;
use serde::{Deserialize, Deserializer, Serialize};

/// One scenario file.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short name; defaults to the file name without `.yaml`.
    #[serde(default)]
    pub name: String,
    /// What this scenario reproduces, and which seed passage it comes from.
    #[serde(default)]
    pub description: String,
    /// The one seed driving the network, every id, nickname and token.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Conditions of the world before the operator's first step.
    #[serde(default)]
    pub world: World,
    /// Scripted agent behaviour per role id (the LLM is the only scripted part).
    #[serde(default)]
    pub agents: BTreeMap<String, AgentBehaviour>,
    /// Network faults, scheduled in simulated time.
    #[serde(default, with = "serde_yaml::with::singleton_map_recursive")]
    #[schemars(with = "Vec<Fault>", length(max = bounds::MAX_FAULTS))]
    pub faults: Vec<Fault>,
    /// What must hold under every seed, host order and latency of a seed sweep
    /// (`squadsim run --seeds N`); the snapshot still pins the scenario's own seed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invariants: Option<crate::engine::invariants::Invariants>,
    /// What the operator does, in order, against the Studio API.
    #[serde(with = "serde_yaml::with::singleton_map_recursive")]
    #[schemars(with = "Vec<Step>", length(min = 1, max = bounds::MAX_STEPS))]
    pub steps: Vec<Step>,
}

fn default_seed() -> u64 {
    1
}

/// World conditions.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct World {
    /// Tenants the Studio API knows.
    pub tenants: Vec<String>,
    /// Projects that exist (or appear later).
    pub projects: Vec<ProjectCondition>,
    /// Who the operator is, as the edge's Pomerium claim headers say.
    pub operator: OperatorIdentity,
    /// Simulated time per turmoil step (coarser is faster; the default 40 ms keeps every documented bound exact to a tenth of a second).
    pub tick: SimDuration,
    /// Longest simulated time a run may take before it is reported as not finished.
    pub horizon: SimDuration,
    /// The Longhorn storage plane under Daytona's sandboxes.
    pub storage: StorageCondition,
    /// How many implementer lanes the planner hands work to.
    #[schemars(range(max = bounds::MAX_LANES))]
    pub implementer_lanes: u32,
    /// Armory loadouts: the MCP servers attached per role, replacing the default
    /// (`fractalops-hud` for every role). `planner: []` attaches nothing.
    pub loadouts: BTreeMap<String, Vec<String>>,
    /// The shape of the gateway tokens the backend mints.
    pub gateway_token_shape: TokenShape,
    /// The agent process adapter per role (`claude-cli`, `codex-cli`, `workspace-cli`,
    /// `browser-only`); unnamed roles use `claude-cli`.
    pub agent_process_adapters: BTreeMap<String, crate::platform::workspace::adapters::AgentProcessAdapter>,
    /// Which runtime binding every attempt goes through: `cliproxy` (default) or `claude-native`.
    pub runtime_binding: crate::platform::workspace::adapters::RuntimeBinding,
    /// Browser slots per role, replacing the Armory's default (one PlaywrightGrid slot for the tester).
    pub browser_slots: BTreeMap<String, Vec<String>>,
    /// GlitchTip as scaffolding finds it.
    pub glitchtip: GlitchtipCondition,
    /// The skills service the skill poll-pull reads (`GET /v1/skills`).
    pub skills: crate::platform::skills::SkillsCondition,
    /// How long a Daytona sandbox takes from `creating` to its first volume attach.
    pub sandbox_start: SimDuration,
    /// The Temporal-owned lifecycle deadline of each phase of an agent attempt.
    pub lifecycle: crate::platform::studio::temporal_lifecycle::LifecycleDeadlines,
    /// How the platform reaches GitHub (the CodexGate App, or the legacy org-PAT override).
    pub github: GithubCondition,
    /// Runs the Studio already holds from before (its history), which the
    /// operator can read a `project_slug` from.
    pub prior_runs: Vec<PriorRun>,
    /// The Daytona region's `sshGatewayUrl` (`host:port`) in Daytona's database; the
    /// edge's SSH entrypoint is `daytona-ssh.yamon.io:2222` (runbook: region drift
    /// makes the dashboard generate an unusable command).
    pub daytona_ssh_gateway_url: String,
    /// The org's platform (concierge) agent and how it is provisioned (seed 003);
    /// adds the `platform`, `concierge` and `llm-proxy` hosts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform_agent: Option<crate::platform::platform_agent::PlatformAgentCondition>,
    /// Seeds the generated agent nicknames apart from the rest of the run (default:
    /// the scenario's seed). A nickname is display only (delivery-language seed,
    /// "Agent Identity And Handoff"): changing this changes the nicknames and the
    /// gateway identities built from them, and nothing else.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nickname_seed: Option<u64>,
}

/// How the platform's GitHub credentials are set up (runbook, "GitHub writes go
/// through the CodexGate App").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct GithubCondition {
    /// The old `FRACTALOPS_GITHUB_APP_TOKEN` override (an org PAT) is set: it wins
    /// over the App credentials when the platform obtains a token, so writes are
    /// authored by the PAT's user instead of `fractalops-codexgate[bot]`.
    pub org_pat_override: bool,
    /// Requests per hour one credential may make (GitHub's primary rate limit:
    /// 5,000 for an App installation, the default; 15,000 for an installation on
    /// a GitHub Enterprise Cloud organization). Over it GitHub answers 403
    /// `API rate limit exceeded` until the hour's window resets.
    #[schemars(range(min = 1, max = bounds::MAX_RATE_LIMIT))]
    pub rate_limit: Option<u64>,
}

/// GlitchTip conditions.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct GlitchtipCondition {
    /// Project and key creation answer this 5xx status (provisioning is broken).
    pub provisioning_failure: Option<u16>,
}

/// A run launched before the scenario begins; the Studio's read API answers for it.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PriorRun {
    pub run_id: String,
    /// The project it ran for: a slug of `world.projects`.
    pub project_slug: String,
}

/// The shape of a ContextForge token the backend mints.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TokenShape {
    /// ContextForge 1.0.x: issuer, audience, jti and expiry (runbook: "backend mints the
    /// 1.0.x-shaped admin token").
    #[default]
    V1,
    /// The shape from before 1.0: subject and expiry only, no jti, no audience.
    Pre1,
}

impl Default for World {
    fn default() -> Self {
        World {
            tenants: vec!["default".to_string()],
            projects: vec![ProjectCondition::named("sanmopia-modernization", "sanm")],
            operator: OperatorIdentity::default(),
            tick: SimDuration(Duration::from_millis(40)),
            horizon: SimDuration(Duration::from_secs(3600)),
            storage: StorageCondition::default(),
            implementer_lanes: 1,
            loadouts: BTreeMap::new(),
            gateway_token_shape: TokenShape::V1,
            github: GithubCondition::default(),
            agent_process_adapters: BTreeMap::new(),
            runtime_binding: Default::default(),
            browser_slots: BTreeMap::new(),
            skills: Default::default(),
            glitchtip: GlitchtipCondition::default(),
            sandbox_start: SimDuration::secs(squadsim_fakes::daytona::DaytonaConfig::default().start_seconds),
            lifecycle: crate::platform::studio::temporal_lifecycle::LifecycleDeadlines::default(),
            prior_runs: Vec::new(),
            daytona_ssh_gateway_url: squadsim_fakes::daytona::DaytonaConfig::default().ssh_gateway_url,
            platform_agent: None,
            nickname_seed: None,
        }
    }
}

/// The Longhorn volumes that already exist when the world starts (runbook,
/// "Diagnosing a zero-output first-tool block": `kubectl get volumes.longhorn.io`).
/// Sandbox starts attach new workspace volumes on top of them; see
/// `squadsim_fakes::daytona::longhorn` for when faulted/unknown volumes stop that.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct StorageCondition {
    /// Healthy volumes (attached, in use).
    #[schemars(range(max = bounds::MAX_VOLUMES))]
    pub healthy: u32,
    /// Degraded volumes (attached, a replica short).
    #[schemars(range(max = bounds::MAX_VOLUMES))]
    pub degraded: u32,
    /// Faulted volumes (all replicas failed; detached, orphaned).
    #[schemars(range(max = bounds::MAX_VOLUMES))]
    pub faulted: u32,
    /// Volumes of unknown robustness (detached, orphaned).
    #[schemars(range(max = bounds::MAX_VOLUMES))]
    pub unknown: u32,
    /// How many faulted/unknown orphaned volumes the disks hold reserved while a
    /// new workspace volume still schedules; one more and new workspaces cannot attach.
    #[schemars(range(max = bounds::MAX_VOLUMES))]
    pub reservation_headroom: u32,
    /// Sandbox-pool nodes whose kubelet stopped posting its status (`kubectl get nodes`:
    /// `NotReady`): no pod is placed on them and Longhorn schedules no replica there.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_ready: Vec<String>,
}

impl Default for StorageCondition {
    fn default() -> Self {
        StorageCondition::from_config(&squadsim_fakes::daytona::StorageConfig::default())
    }
}

impl StorageCondition {
    fn from_config(c: &squadsim_fakes::daytona::StorageConfig) -> Self {
        StorageCondition {
            healthy: c.healthy,
            degraded: c.degraded,
            faulted: c.faulted,
            unknown: c.unknown,
            reservation_headroom: c.reservation_headroom,
            not_ready: c.not_ready.clone(),
        }
    }

    /// The Daytona fake's storage configuration for this condition.
    pub fn to_config(&self) -> squadsim_fakes::daytona::StorageConfig {
        squadsim_fakes::daytona::StorageConfig {
            healthy: self.healthy,
            degraded: self.degraded,
            faulted: self.faulted,
            unknown: self.unknown,
            reservation_headroom: self.reservation_headroom,
            not_ready: self.not_ready.clone(),
            ..Default::default()
        }
    }
}

/// A project in the Studio's project catalogue.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectCondition {
    /// The exact project slug (runbook: "Project slugs are exact").
    pub slug: String,
    /// Short project code used in gateway identities (`<projcode>.<nickname>@<domain>`).
    pub code: String,
    /// The project only appears in the catalogue after this much simulated time.
    #[serde(default)]
    pub appears_after: Option<SimDuration>,
}

impl ProjectCondition {
    pub fn named(slug: &str, code: &str) -> Self {
        ProjectCondition { slug: slug.to_string(), code: code.to_string(), appears_after: None }
    }
}

/// The claim headers the edge injects for the operator.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct OperatorIdentity {
    /// `x-pomerium-claim-email`; omit (null) to send no claim headers at all.
    pub email: Option<String>,
    /// `x-pomerium-claim-groups`.
    pub groups: Vec<String>,
}

impl Default for OperatorIdentity {
    fn default() -> Self {
        OperatorIdentity {
            email: Some("oncall@yamon.io".to_string()),
            groups: vec!["/org/platform/roles/super_admin".to_string()],
        }
    }
}

/// How the scripted LLM of one role behaves.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentBehaviour {
    /// Bare tool names the agent calls, in order (agent-facing names are derived).
    /// Empty: the dispatch prompt elicits no tool call.
    #[serde(default)]
    #[schemars(length(max = bounds::MAX_TOOL_CALLS))]
    pub tool_calls: Option<Vec<String>>,
    /// Simulated model latency before each turn.
    #[serde(default)]
    pub think: Option<SimDuration>,
    /// The most tool calls the model makes in one turn when it has independent
    /// calls to make (parallel tool use: handoffs to several lanes, evidence for
    /// several pull requests); the calls of one turn run at once. Default 1: one
    /// call a turn.
    #[serde(default)]
    #[schemars(range(min = 1, max = bounds::MAX_PARALLEL_TOOL_CALLS))]
    pub parallel_tool_calls: Option<u32>,
    /// Handoffs the agent sends after its tool calls, replacing the template's
    /// delivery graph for this role. Empty: it hands nothing on.
    #[serde(default)]
    pub handoffs: Option<Vec<HandoffBehaviour>>,
    /// Steps of the role's delivery work the agent forgets on its first attempt.
    #[serde(default)]
    pub skips: Option<Vec<DeliveryStep>>,
    /// What the agent does when a wall retries it with the fallback prompt.
    #[serde(default)]
    pub on_retry: Option<RetryBehaviour>,
    /// How a committer closes the merge lifecycle decision.
    #[serde(default)]
    pub merge_decision: Option<MergeDecision>,
    /// The agent also tries to write into the shared (read-only) assembly worktree.
    #[serde(default)]
    pub write_to_assembly: Option<bool>,
}

/// One step of a role's delivery work (the agentsquad delivery graph).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStep {
    /// Planner: call the memory tool its lane declares.
    UseMemory,
    /// Implementer: change files in its agent-owned worktree.
    WriteChanges,
    /// Implementer: stage and commit the changes in the worktree.
    Commit,
    /// Implementer: push the lane branch through the CodexGate App and open the pull request.
    OpenPullRequest,
    /// Tester: capture browser evidence on PlaywrightGrid.
    CaptureEvidence,
    /// Tester: attach the evidence to the pull request.
    AttachEvidence,
    /// Committer: close the merge lifecycle decision.
    MergeDecision,
    /// Closer: publish DataHub lineage for the merged work.
    PublishLineage,
}

impl DeliveryStep {
    /// Every step, in delivery order.
    pub const ALL: [DeliveryStep; 8] = [
        DeliveryStep::UseMemory,
        DeliveryStep::WriteChanges,
        DeliveryStep::Commit,
        DeliveryStep::OpenPullRequest,
        DeliveryStep::CaptureEvidence,
        DeliveryStep::AttachEvidence,
        DeliveryStep::MergeDecision,
        DeliveryStep::PublishLineage,
    ];

    /// The role whose delivery work this step is (each step belongs to one role).
    pub fn role(self) -> &'static str {
        match self {
            DeliveryStep::UseMemory => "planner",
            DeliveryStep::WriteChanges | DeliveryStep::Commit | DeliveryStep::OpenPullRequest => "implementer",
            DeliveryStep::CaptureEvidence | DeliveryStep::AttachEvidence => "tester",
            DeliveryStep::MergeDecision => "committer",
            DeliveryStep::PublishLineage => "closer",
        }
    }

    /// The step's name in a scenario (`attach_evidence`).
    pub fn name(self) -> &'static str {
        match self {
            DeliveryStep::UseMemory => "use_memory",
            DeliveryStep::WriteChanges => "write_changes",
            DeliveryStep::Commit => "commit",
            DeliveryStep::OpenPullRequest => "open_pull_request",
            DeliveryStep::CaptureEvidence => "capture_evidence",
            DeliveryStep::AttachEvidence => "attach_evidence",
            DeliveryStep::MergeDecision => "merge_decision",
            DeliveryStep::PublishLineage => "publish_lineage",
        }
    }
}

/// An agent's answer to a wall's fallback prompt.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RetryBehaviour {
    /// It does what the fallback prompt asks.
    #[default]
    Comply,
    /// It ends the retried attempt without doing it.
    Refuse,
}

/// The two ways a committer closes a merge lifecycle decision (delivery-language seed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MergeDecision {
    /// Merge the pull request, then record `handoff_state=merged`.
    #[default]
    Merged,
    /// Record `handoff_state=merge_requested` with `merge_gate_status=qa_passed`.
    MergeRequested,
}

/// One handoff a scripted agent sends (through the HUD's `send_handoff` tool).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HandoffBehaviour {
    /// The recipient agent id (an agent not yet on the roster joins it).
    pub to: String,
    pub intent: String,
    pub required_result: String,
    /// The wall guarding the required result (`planner_wall`, `tester_wall`,
    /// `closer_wall`, `committer_wall`, `delivery_wall`).
    pub fallback_wall: String,
}

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
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at: Option<SimDuration>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        on: Option<Trigger>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        until: Option<SimDuration>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lasts: Option<SimDuration>,
    },
    /// Cut the link one way: messages from `from` to `to` are dropped, the other
    /// direction still delivers (so a TCP exchange between them hangs).
    OneWayPartition {
        from: String,
        to: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at: Option<SimDuration>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        on: Option<Trigger>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        until: Option<SimDuration>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lasts: Option<SimDuration>,
    },
    /// Add `extra` to every message's latency on the link between two hosts (both ways).
    Latency {
        between: [String; 2],
        extra: SimDuration,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at: Option<SimDuration>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        on: Option<Trigger>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        until: Option<SimDuration>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lasts: Option<SimDuration>,
    },
    /// Lose messages on the link between two hosts: each message is lost with
    /// probability `rate` (0 < rate <= 1), drawn from the seed. TCP in the
    /// simulation does not retransmit, so a loss hangs that exchange until the
    /// caller's own timeout gives up.
    Loss {
        between: [String; 2],
        rate: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at: Option<SimDuration>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        on: Option<Trigger>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        until: Option<SimDuration>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lasts: Option<SimDuration>,
    },
    /// Crash a host: its software and in-memory state are gone. With
    /// `restart_after`, it starts again that much later (durable stores survive).
    Crash {
        host: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at: Option<SimDuration>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        on: Option<Trigger>,
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
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at: Option<SimDuration>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        on: Option<Trigger>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        until: Option<SimDuration>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lasts: Option<SimDuration>,
    },
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
}

impl Trigger {
    /// The role the event is about, if any.
    pub fn role(&self) -> Option<&str> {
        match self {
            Trigger::RunLaunched => None,
            Trigger::SessionStarted(r) | Trigger::FirstToolCall(r) | Trigger::SessionCompleted(r) => Some(r),
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
        }
    }
}

/// When a fault begins and ends.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultWindow {
    pub at: Option<SimDuration>,
    pub on: Option<Trigger>,
    pub until: Option<SimDuration>,
    /// How long after it began the fault ends (for a crash: the restart).
    pub lasts: Option<SimDuration>,
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

    /// When the fault begins and ends.
    pub fn window(&self) -> FaultWindow {
        match self {
            Fault::Partition { at, on, until, lasts, .. }
            | Fault::OneWayPartition { at, on, until, lasts, .. }
            | Fault::Latency { at, on, until, lasts, .. }
            | Fault::Loss { at, on, until, lasts, .. }
            | Fault::Service { at, on, until, lasts, .. } => {
                FaultWindow { at: *at, on: on.clone(), until: *until, lasts: *lasts }
            }
            Fault::Crash { at, on, restart_after, .. } => {
                FaultWindow { at: *at, on: on.clone(), until: None, lasts: *restart_after }
            }
        }
    }

    /// Every host the fault names, with its field name (and index in it, for `between`).
    fn hosts(&self) -> Vec<(&'static str, Option<usize>, &str)> {
        match self {
            Fault::Partition { between, .. } | Fault::Latency { between, .. } | Fault::Loss { between, .. } => {
                vec![("between", Some(0), between[0].as_str()), ("between", Some(1), between[1].as_str())]
            }
            Fault::OneWayPartition { from, to, .. } => vec![("from", None, from.as_str()), ("to", None, to.as_str())],
            Fault::Crash { host, .. } | Fault::Service { host, .. } => vec![("host", None, host.as_str())],
        }
    }
}

/// The Studio API body of a launch, in canonical names (the operator client maps
/// them onto the wire names at its boundary).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LaunchStep {
    pub template_id: String,
    pub project_slug: String,
    /// Sent on the wire as the legacy field of the same meaning.
    pub delivery_graph_kind: String,
    #[serde(default)]
    pub work_scope: String,
    #[serde(default)]
    pub next_goal: String,
    /// The operator client's timeout (curl `--max-time`); no answer by then is "HTTP 000".
    #[serde(default = "default_launch_timeout")]
    pub timeout: SimDuration,
    /// How many runs the operator launches at once with this body (default 1); the
    /// steps after it act on every one of them, concurrently.
    #[serde(default = "default_launch_count", skip_serializing_if = "is_one")]
    #[schemars(range(min = 1, max = bounds::MAX_LAUNCH_COUNT))]
    pub count: u32,
}

fn default_launch_count() -> u32 {
    1
}

fn is_one(n: &u32) -> bool {
    *n == 1
}

fn default_launch_timeout() -> SimDuration {
    SimDuration(Duration::from_secs(30))
}

/// Polling of session-state until every session settles.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WatchStep {
    #[serde(default = "default_watch_every")]
    pub every: SimDuration,
    #[serde(default = "default_watch_timeout")]
    pub timeout: SimDuration,
}

fn default_watch_every() -> SimDuration {
    SimDuration(Duration::from_secs(5))
}

fn default_watch_timeout() -> SimDuration {
    SimDuration(Duration::from_secs(900))
}

impl Default for WatchStep {
    fn default() -> Self {
        WatchStep { every: default_watch_every(), timeout: default_watch_timeout() }
    }
}

/// One operator step. Steps after a launch act on the launched run.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum Step {
    /// `GET /healthz`.
    Health,
    /// `GET /openapi.json`.
    Openapi,
    /// `GET /v1/admin/studio/templates`.
    Templates,
    /// `POST /v1/admin/studio/runs`.
    Launch(LaunchStep),
    /// `POST .../runs/{run_id}/execute` (answers `scheduled`; the tick runs asynchronously).
    Execute,
    /// Poll `GET .../session-state` until every session settles or the timeout passes.
    Watch(#[serde(default)] WatchStep),
    /// `GET .../runs/{run_id}`.
    GetRun,
    /// `GET .../session-state` once.
    SessionState,
    /// `GET .../reports`.
    Reports,
    /// `GET .../handoff-trail`.
    HandoffTrail,
    /// `POST .../control` with a run control command.
    Control { command: String },
    /// `POST .../replay`.
    Replay,
    /// `POST .../cleanup`.
    Cleanup,
    /// Do nothing for a while.
    Wait { duration: SimDuration },
    /// `GET .../runs/{from_run}`: read a prior run's `project_slug`, and launch
    /// with it (runbook: "Confirm the slug from a prior run's project_slug before launching").
    ConfirmSlug { from_run: String },
    /// Chat with the platform agent through the platform's A2A proxy
    /// (`POST /workspaces/{id}/a2a`, JSON-RPC `message/send`, as `chat_with_agent`
    /// sends it for a canvas user). Needs `world.platform_agent`.
    ChatWithAgent(ChatStep),
    /// Open SSH access to the first sandbox Daytona lists (`GET /api/sandbox`, then
    /// `POST /api/sandbox/{id}/ssh-access`, as the dashboard does) and try its `sshCommand`.
    SshAccess,
    /// `GET` the A2A routes (`/a2a`, `/message`, `/.well-known/agent.json`,
    /// `/openapi.json`) on the port the platform agent's container serves.
    /// Needs `world.platform_agent`.
    ProbeAgent,
}

/// A chat message to the platform agent.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatStep {
    pub message: String,
    /// The operator client's timeout; no answer by then is HTTP 000.
    #[serde(default = "default_launch_timeout")]
    pub timeout: SimDuration,
}

/// A duration in simulated time: `500ms`, `6s`, `10m`, `1h`, or a number of seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(into = "String")]
pub struct SimDuration(pub Duration);

impl From<SimDuration> for String {
    fn from(d: SimDuration) -> String {
        let ms = d.0.as_millis();
        if !ms.is_multiple_of(1000) {
            format!("{ms}ms")
        } else {
            format!("{}s", ms / 1000)
        }
    }
}

impl SimDuration {
    pub fn secs(s: u64) -> Self {
        SimDuration(Duration::from_secs(s))
    }

    /// Parses `500ms`, `6s`, `10m`, `1h` or a bare number of seconds, at most
    /// [`bounds::MAX_DURATION`] (so no arithmetic on it can overflow).
    pub fn parse(text: &str) -> Result<Self, DurationError> {
        let t = text.trim();
        let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
        let (num, unit) = t.split_at(split);
        let malformed = || DurationError::Malformed(text.to_string());
        // Digits too many for a u64 are a duration too long, not a malformed one.
        let n: u64 = match num.parse() {
            Ok(n) => n,
            Err(_) if !num.is_empty() => return Err(DurationError::TooLong(text.to_string())),
            Err(_) => return Err(malformed()),
        };
        let millis_per_unit: u64 = match unit.trim() {
            "" | "s" => 1000,
            "ms" => 1,
            "m" => 60_000,
            "h" => 3_600_000,
            other => return Err(DurationError::UnknownUnit { unit: other.to_string(), text: text.to_string() }),
        };
        let d = n.checked_mul(millis_per_unit).map(Duration::from_millis);
        match d {
            Some(d) if d <= bounds::MAX_DURATION => Ok(SimDuration(d)),
            _ => Err(DurationError::TooLong(text.to_string())),
        }
    }
}

/// Why a duration did not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DurationError {
    /// Not a number with a unit.
    Malformed(String),
    /// A unit other than ms, s, m or h.
    UnknownUnit { unit: String, text: String },
    /// Longer than [`bounds::MAX_DURATION`].
    TooLong(String),
}

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DurationError::Malformed(text) => {
                write!(f, "expected a duration like `500ms`, `6s`, `10m` or `1h`, got `{text}`")
            }
            DurationError::UnknownUnit { unit, text } => {
                write!(f, "unknown duration unit `{unit}` in `{text}`: use ms, s, m or h")
            }
            DurationError::TooLong(text) => write!(
                f,
                "expected a duration of at most {}h (the longest horizon), got `{text}`",
                bounds::MAX_DURATION.as_secs() / 3600
            ),
        }
    }
}

impl std::error::Error for DurationError {}

/// For callers whose errors are messages (the command line's `--jitter`).
impl From<DurationError> for String {
    fn from(e: DurationError) -> String {
        e.to_string()
    }
}

impl<'de> Deserialize<'de> for SimDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Secs(u64),
            Text(String),
        }
        let raw = Raw::deserialize(d).map_err(|_| {
            serde::de::Error::custom("expected a duration like `500ms`, `6s`, `10m`, `1h` or a number of seconds")
        })?;
        let parsed = match raw {
            Raw::Secs(s) => SimDuration::parse(&s.to_string()),
            Raw::Text(t) => SimDuration::parse(&t),
        };
        parsed.map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for SimDuration {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "SimDuration".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A duration in simulated time: `500ms`, `6s`, `10m`, `1h`, or a number of seconds; at most 24h.",
            "anyOf": [
                {"type": "string", "pattern": "^[0-9]+(ms|s|m|h)?$"},
                {"type": "integer", "minimum": 0, "maximum": bounds::MAX_DURATION.as_secs()}
            ]
        })
    }
}

/// A scenario that could not be loaded.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioError {
    pub file: PathBuf,
    /// The line (1-based) of the field, or of the bytes, at fault.
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// The field path, e.g. `steps[2].launch.timeout`.
    pub field: String,
    pub message: String,
}

impl ScenarioError {
    fn at(file: &Path, at: Location, field: String, message: String) -> Self {
        ScenarioError { file: file.to_path_buf(), line: Some(at.line), column: Some(at.column), field, message }
    }

    fn misshapen(file: &Path, m: Misshapen) -> Self {
        ScenarioError::at(file, m.at, m.field.to_string(), m.problem.to_string())
    }
}

/// Prints `file:line:column: field `path`: message`, with every control
/// character of the file name, the field and the message escaped ([`escape`]).
impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", escape(&self.file.display().to_string()))?;
        if let (Some(l), Some(c)) = (self.line, self.column) {
            write!(f, ":{l}:{c}")?;
        }
        if !self.field.is_empty() {
            write!(f, ": field `{}`", escape(&self.field))?;
        }
        write!(f, ": {}", escape(&self.message))
    }
}

impl std::error::Error for ScenarioError {}

/// `text` safe to print on a terminal: every control character (C0, DEL, C1:
/// newlines and ANSI escapes among them), the line and paragraph separators
/// and every bidirectional-text control are written as a Rust-style escape (`\n`, `\t`, `\u{1b}`, `\u{202e}`);
/// everything else is kept. Anything that echoes scenario text (a name, a
/// value) prints it through this.
pub(crate) fn escape(text: &str) -> Cow<'_, str> {
    let unsafe_char = |c: char| {
        c.is_control()
            || matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{2028}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    };
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => escaped.push_str("\\n"),
            '\r' => escaped.push_str("\\r"),
            '\t' => escaped.push_str("\\t"),
            '\0' => escaped.push_str("\\0"),
            c if unsafe_char(c) => escaped.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => escaped.push(c),
        }
    }
    Cow::Owned(escaped)
}

impl Scenario {
    /// Every host of this scenario's world, which its faults may name:
    /// [`Host::WORLD`], then the platform agent's hosts when `world.platform_agent` is set.
    pub fn hosts(&self) -> Vec<Host> {
        let extra = self.world.platform_agent.as_ref().map(|_| Host::PLATFORM_AGENT.as_slice()).unwrap_or_default();
        Host::WORLD.iter().chain(extra).copied().collect()
    }

    /// Reads and validates a scenario file: a regular file (a FIFO or a device
    /// is refused, never waited on), read up to one byte more than
    /// [`bounds::MAX_FILE_BYTES`].
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        let unreadable = |message: String| ScenarioError {
            file: path.to_path_buf(),
            line: None,
            column: None,
            field: String::new(),
            message,
        };
        let metadata = std::fs::metadata(path).map_err(|e| unreadable(format!("cannot read the file: {e}")))?;
        if !metadata.is_file() {
            return Err(unreadable("cannot read the file: not a regular file".into()));
        }
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|file| file.take(bounds::MAX_FILE_BYTES as u64 + 1).read_to_end(&mut bytes))
            .map_err(|e| unreadable(format!("cannot read the file: {e}")))?;
        Scenario::parse_bytes(path, &bytes)
    }

    /// Parses and validates a scenario file's bytes; `path` names it in errors.
    /// Bytes that are not UTF-8 are refused with the line of the first bad one.
    pub fn parse_bytes(path: &Path, bytes: &[u8]) -> Result<Scenario, ScenarioError> {
        let text = locate::decode(bytes).map_err(|m| ScenarioError::misshapen(path, m))?;
        Scenario::parse_decoded(path, text)
    }

    /// Parses and validates scenario text; `path` names it in errors.
    pub fn parse(path: &Path, text: &str) -> Result<Scenario, ScenarioError> {
        let text = locate::decode(text.as_bytes()).map_err(|m| ScenarioError::misshapen(path, m))?;
        Scenario::parse_decoded(path, text)
    }

    /// Parses and validates text [`locate::decode`] accepted.
    fn parse_decoded(path: &Path, text: &str) -> Result<Scenario, ScenarioError> {
        let spans = Spans::index(text).map_err(|m| ScenarioError::misshapen(path, m))?;
        let deserializer = serde_yaml::Deserializer::from_str(text);
        let mut scenario: Scenario =
            serde_path_to_error::deserialize(deserializer).map_err(|e| serde_error(path, &spans, e))?;
        if scenario.name.is_empty() {
            scenario.name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        }
        validate::validate(&scenario).map_err(|invalid| {
            ScenarioError::at(path, spans.locate(&invalid.field), invalid.field.to_string(), invalid.message)
        })?;
        Ok(scenario)
    }
}

/// A serde error, located by its field path where the document holds all of it
/// (serde_yaml reports errors inside a nested value at the enclosing mapping),
/// else where serde_yaml's parser stopped, else at the deepest part of the path
/// the document holds.
fn serde_error(file: &Path, spans: &Spans, e: serde_path_to_error::Error<serde_yaml::Error>) -> ScenarioError {
    let path = FieldPath::from_serde(e.path());
    let field = e.path().to_string();
    let inner = e.into_inner();
    let (indexed, whole) = spans.find(&path);
    let at = match inner.location() {
        Some(l) if !whole || field == "." => Location { line: l.line(), column: l.column() },
        _ => indexed,
    };
    let mut message = inner.to_string();
    // serde_yaml appends " at line L column C"; the location is printed up front.
    if let Some(i) = message.find(" at line ") {
        message.truncate(i);
    }
    // serde_yaml may prefix its own (shorter) path; the field is printed separately.
    if let Some((prefix, rest)) = message.split_once(": ") {
        if !prefix.contains(' ') && field.starts_with(prefix) {
            message = rest.to_string();
        }
    }
    ScenarioError::at(file, at, if field == "." { String::new() } else { field }, message)
}

/// HTTP methods a service fault may name.
pub const SERVICE_METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/// The JSON Schema of the scenario format.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(Scenario);
    serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"
}

/// Every `*.yaml` scenario under `path` (a file or a directory), sorted.
pub fn discover(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut found = Vec::new();
    for entry in std::fs::read_dir(path)? {
        let p = entry?.path();
        if p.extension().is_some_and(|e| e == "yaml" || e == "yml") && p.is_file() {
            found.push(p);
        }
    }
    found.sort();
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Scenario, ScenarioError> {
        Scenario::parse(Path::new("scenarios/x.yaml"), text)
    }

    #[test]
    fn an_unknown_field_names_file_line_column_and_field() {
        let err = parse("steps:\n  - launch:\n      template_id: agentsquad\n      project_slug: p\n      delivery_graph_kind: project_delivery\n      colour: red\n").unwrap_err();
        assert_eq!(err.line, Some(6));
        assert!(err.field.starts_with("steps[0]"), "{err}");
        assert!(err.message.contains("unknown field `colour`"), "{err}");
        assert!(err.to_string().starts_with("scenarios/x.yaml:6:"), "{err}");
    }

    #[test]
    fn a_bad_duration_says_what_was_expected() {
        let err = parse("steps:\n  - wait: {duration: soon}\n").unwrap_err();
        assert!(err.message.contains("expected a duration"), "{err}");
        assert_eq!(err.field, "steps[0].wait.duration");
    }

    #[test]
    fn zero_tool_calls_a_turn_and_a_zero_rate_limit_are_refused_with_their_lines() {
        let err = parse("agents:\n  planner:\n    parallel_tool_calls: 0\nsteps: [health]\n").unwrap_err();
        assert_eq!((err.field.as_str(), err.line), ("agents.planner.parallel_tool_calls", Some(3)), "{err}");
        assert!(err.message.contains("expected between 1 and 10000 tool calls a turn, got 0"), "{err}");
        let err = parse("world:\n  github: {rate_limit: 0}\nsteps: [health]\n").unwrap_err();
        assert_eq!((err.field.as_str(), err.line), ("world.github.rate_limit", Some(2)), "{err}");
        assert!(parse(
            "agents:\n  planner: {parallel_tool_calls: 8}\nworld:\n  github: {rate_limit: 15000}\nsteps: [health]\n"
        )
        .is_ok());
    }

    #[test]
    fn an_unknown_host_in_a_fault_is_refused_before_simulation() {
        let err = parse("faults:\n  - partition: {between: [studio, moon], at: 1s}\nsteps: [health]\n").unwrap_err();
        assert!(err.message.contains("unknown host `moon`"), "{err}");
        assert_eq!(err.line, Some(2));
    }

    fn fault_error(fault: &str) -> ScenarioError {
        parse(&format!("faults:\n  - partition: {{between: [studio, daytona], at: 1s}}\n{fault}\nsteps: [health]\n"))
            .unwrap_err()
    }

    #[test]
    fn every_fault_kind_parses_with_a_time_or_an_event() {
        let s = parse(
            "faults:\n  - partition: {between: [studio, daytona], at: 1s, until: 2s}\n  - one_way_partition: {from: daytona, to: contextforge, on: {session_started: planner}, lasts: 5s}\n  - latency: {between: [studio, daytona], extra: 500ms, at: 3s}\n  - loss: {between: [studio, daytona], rate: 0.25, on: run_launched}\n  - crash: {host: agent-server, on: {first_tool_call: curator}, restart_after: 3s}\n  - service: {host: daytona, method: POST, path: /api/sandbox, effect: {status: 503}, at: 1s}\n  - service: {host: contextforge, path: /mcp, effect: hang, on: {session_completed: planner}}\nsteps: [health]\n",
        )
        .unwrap();
        let kinds: Vec<&str> = s.faults.iter().map(Fault::kind).collect();
        assert_eq!(kinds, ["partition", "one_way_partition", "latency", "loss", "crash", "service", "service"]);
        assert_eq!(s.faults[1].window().on, Some(Trigger::SessionStarted("planner".into())));
        assert_eq!(s.faults[4].window().lasts, Some(SimDuration::secs(3)));
    }

    #[test]
    fn a_malformed_fault_names_its_line_field_and_what_was_expected() {
        let cases = [
            ("  - loss: {between: [studio, daytona], rate: 1.5, at: 1s}", "faults[1].loss.rate", "at most 1"),
            (
                "  - latency: {between: [studio, daytona], extra: 0s, at: 1s}",
                "faults[1].latency.extra",
                "longer than 0s",
            ),
            (
                "  - one_way_partition: {from: studio, to: studio, at: 1s}",
                "faults[1].one_way_partition.from",
                "two different hosts",
            ),
            ("  - crash: {host: operator, at: 1s}", "faults[1].crash.host", "unknown host `operator`"),
            ("  - crash: {host: daytona}", "faults[1].crash.at", "expected `at`"),
            ("  - crash: {host: daytona, at: 1s, on: run_launched}", "faults[1].crash.on", "not both"),
            (
                "  - partition: {between: [studio, daytona], on: run_launched, until: 5s}",
                "faults[1].partition.until",
                "expected `lasts`",
            ),
            (
                "  - partition: {between: [studio, daytona], at: 5s, until: 5s}",
                "faults[1].partition.until",
                "after `at`",
            ),
            (
                "  - service: {host: daytona, path: api, effect: hang, at: 1s}",
                "faults[1].service.path",
                "starting with `/`",
            ),
            (
                "  - service: {host: daytona, method: FETCH, path: /api, effect: hang, at: 1s}",
                "faults[1].service.method",
                "unknown HTTP method",
            ),
            (
                "  - service: {host: daytona, path: /api, effect: {status: 700}, at: 1s}",
                "faults[1].service.effect.status",
                "between 100 and 599",
            ),
        ];
        for (fault, field, expected) in cases {
            let err = fault_error(fault);
            assert_eq!(err.field, field, "{fault}: {err}");
            assert!(err.message.contains(expected), "{fault}: {err}");
            assert_eq!(err.line, Some(3), "{fault}: {err}");
        }
    }

    #[test]
    fn an_unknown_fault_kind_or_event_is_a_load_error() {
        let err = fault_error("  - meteor: {at: 1s}");
        assert!(err.message.contains("unknown variant `meteor`"), "{err}");
        assert_eq!(err.line, Some(3), "{err}");
        let err = fault_error("  - crash: {host: daytona, on: {lunch_break: planner}}");
        assert!(err.message.contains("unknown variant `lunch_break`"), "{err}");
    }

    #[test]
    fn a_prior_run_must_name_a_catalogue_project() {
        let err =
            parse("world:\n  prior_runs: [{run_id: run-1, project_slug: sanmopia}]\nsteps: [health]\n").unwrap_err();
        assert_eq!(err.field, "world.prior_runs[0].project_slug");
        assert!(err.message.contains("unknown project `sanmopia`"), "{err}");
    }

    #[test]
    fn run_steps_need_a_launch_first() {
        let err = parse("steps: [execute]\n").unwrap_err();
        assert!(err.message.contains("expected a `launch` step"), "{err}");
    }

    #[test]
    fn durations_parse_in_every_unit() {
        assert_eq!(SimDuration::parse("500ms").unwrap().0, Duration::from_millis(500));
        assert_eq!(SimDuration::parse("6s").unwrap().0, Duration::from_secs(6));
        assert_eq!(SimDuration::parse("10m").unwrap().0, Duration::from_secs(600));
        assert_eq!(SimDuration::parse("2").unwrap().0, Duration::from_secs(2));
        assert!(SimDuration::parse("3 fortnights").is_err());
    }
}
