//! The scenario format: conditions, faults, agent behaviours and operator steps.
//!
//! A scenario never states an outcome. Blockers, walls and statuses come out of
//! the modelled services reacting to what is declared here (DESIGN, "The one
//! principle"). The format is documented in `scenarios/README.md`; its JSON Schema
//! is generated from these types (`squadsim schema`).
//!
//! Guarantees: unknown fields are rejected; every load error names the file, the
//! line and column, the field path and the shape that was expected; a scenario
//! that would make the simulation panic (an unknown host, a zero tick) is refused
//! here, before any simulation is built.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use schemars::JsonSchema;
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
    #[schemars(with = "Vec<Fault>")]
    pub faults: Vec<Fault>,
    /// What must hold under every seed, host order and latency of a seed sweep
    /// (`squadsim run --seeds N`); the snapshot still pins the scenario's own seed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invariants: Option<crate::invariants::Invariants>,
    /// What the operator does, in order, against the Studio API.
    #[serde(with = "serde_yaml::with::singleton_map_recursive")]
    #[schemars(with = "Vec<Step>")]
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
    /// Simulated time per turmoil step (coarser is faster; every documented timing is whole seconds).
    pub tick: SimDuration,
    /// Longest simulated time a run may take before it is reported as not finished.
    pub horizon: SimDuration,
    /// The Longhorn storage plane under Daytona's sandboxes.
    pub storage: StorageCondition,
    /// How many implementer lanes the planner hands work to.
    pub implementer_lanes: u32,
    /// Armory loadouts: the MCP servers attached per role, replacing the default
    /// (`fractalops-hud` for every role). `planner: []` attaches nothing.
    pub loadouts: BTreeMap<String, Vec<String>>,
    /// The shape of the gateway tokens the backend mints.
    pub gateway_token_shape: TokenShape,
    /// The agent process adapter per role (`claude-cli`, `codex-cli`, `workspace-cli`,
    /// `browser-only`); unnamed roles use `claude-cli`.
    pub agent_process_adapters: BTreeMap<String, crate::agent_process_adapter::AgentProcessAdapter>,
    /// Which runtime every attempt goes through: `cliproxy` (default) or `claude-native`.
    pub runtime_binding: crate::agent_process_adapter::RuntimeBinding,
    /// Browser slots per role, replacing the Armory's default (one PlaywrightGrid slot for the tester).
    pub browser_slots: BTreeMap<String, Vec<String>>,
    /// GlitchTip as scaffolding finds it.
    pub glitchtip: GlitchtipCondition,
    /// The skills service the skill poll-pull reads (`GET /v1/skills`).
    pub skills: crate::skills::SkillsCondition,
    /// How long a Daytona sandbox takes from `creating` to its first volume attach.
    pub sandbox_start: SimDuration,
    /// The Temporal-owned lifecycle deadline of each phase of an agent attempt.
    pub lifecycle: crate::temporal_lifecycle::LifecycleDeadlines,
    /// How the platform reaches GitHub (the CodexGate App, or the legacy org-PAT override).
    pub github: GithubCondition,
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
}

/// GlitchTip conditions.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct GlitchtipCondition {
    /// Project and key creation answer this 5xx status (provisioning is broken).
    pub provisioning_failure: Option<u16>,
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
            tick: SimDuration(Duration::from_millis(100)),
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
            lifecycle: crate::temporal_lifecycle::LifecycleDeadlines::default(),
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
    pub healthy: u32,
    /// Degraded volumes (attached, a replica short).
    pub degraded: u32,
    /// Faulted volumes (all replicas failed; detached, orphaned).
    pub faulted: u32,
    /// Volumes of unknown robustness (detached, orphaned).
    pub unknown: u32,
    /// How many faulted/unknown orphaned volumes the disks hold reserved while a
    /// new workspace volume still schedules; one more and new workspaces cannot attach.
    pub reservation_headroom: u32,
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
    pub tool_calls: Option<Vec<String>>,
    /// Simulated model latency before each turn.
    #[serde(default)]
    pub think: Option<SimDuration>,
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

/// A network fault from turmoil.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum Fault {
    /// Cut the link between two hosts (both ways) at `at`, repair it at `until` (if given).
    Partition {
        between: [String; 2],
        at: SimDuration,
        #[serde(default)]
        until: Option<SimDuration>,
    },
    /// Crash a host at `at`: its software and in-memory state are gone. With
    /// `restart_after`, it starts again that much later (durable stores survive).
    Crash {
        host: String,
        at: SimDuration,
        #[serde(default)]
        restart_after: Option<SimDuration>,
    },
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
    pub count: u32,
}

/// The most runs one launch step may start at once.
pub const MAX_LAUNCH_COUNT: u32 = 10_000;

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
}

/// A duration in simulated time: `500ms`, `6s`, `10m`, `1h`, or a number of seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(into = "String")]
pub struct SimDuration(pub Duration);

impl From<SimDuration> for String {
    fn from(d: SimDuration) -> String {
        let ms = d.0.as_millis();
        if ms % 1000 != 0 {
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

    /// Parses `500ms`, `6s`, `10m`, `1h` or a bare number of seconds.
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
        let (num, unit) = t.split_at(split);
        let n: u64 =
            num.parse().map_err(|_| format!("expected a duration like `500ms`, `6s`, `10m` or `1h`, got `{text}`"))?;
        let d = match unit.trim() {
            "" | "s" => Duration::from_secs(n),
            "ms" => Duration::from_millis(n),
            "m" => Duration::from_secs(n * 60),
            "h" => Duration::from_secs(n * 3600),
            other => return Err(format!("unknown duration unit `{other}` in `{text}`: use ms, s, m or h")),
        };
        Ok(SimDuration(d))
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
        match Raw::deserialize(d).map_err(|_| {
            serde::de::Error::custom("expected a duration like `500ms`, `6s`, `10m`, `1h` or a number of seconds")
        })? {
            Raw::Secs(s) => Ok(SimDuration::secs(s)),
            Raw::Text(t) => SimDuration::parse(&t).map_err(serde::de::Error::custom),
        }
    }
}

impl JsonSchema for SimDuration {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "SimDuration".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A duration in simulated time: `500ms`, `6s`, `10m`, `1h`, or a number of seconds.",
            "anyOf": [
                {"type": "string", "pattern": "^[0-9]+(ms|s|m|h)?$"},
                {"type": "integer", "minimum": 0}
            ]
        })
    }
}

/// Hosts a scenario may name in faults.
pub const HOSTS: [&str; 13] = [
    "operator",
    "studio",
    "agent-server",
    "daytona",
    "contextforge",
    "fractalops-hud",
    "github",
    "glitchtip",
    "searxnggrid",
    "agent-memory-archive",
    "datahub",
    "playwright",
    "skills",
];

/// A scenario that could not be loaded.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioError {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// The field path, e.g. `steps[2].launch.timeout`.
    pub field: String,
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let (Some(l), Some(c)) = (self.line, self.column) {
            write!(f, ":{l}:{c}")?;
        }
        if !self.field.is_empty() {
            write!(f, ": field `{}`", self.field)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ScenarioError {}

impl Scenario {
    /// Reads and validates a scenario file.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
            file: path.to_path_buf(),
            line: None,
            column: None,
            field: String::new(),
            message: format!("cannot read the file: {e}"),
        })?;
        Scenario::parse(path, &text)
    }

    /// Parses and validates scenario text; `path` names it in errors.
    pub fn parse(path: &Path, text: &str) -> Result<Scenario, ScenarioError> {
        let deserializer = serde_yaml::Deserializer::from_str(text);
        let mut scenario: Scenario = serde_path_to_error::deserialize(deserializer).map_err(|e| {
            let field = e.path().to_string();
            let inner = e.into_inner();
            let loc = inner.location();
            let mut message = inner.to_string();
            // serde_yaml appends " at line L column C"; we print the location up front.
            if let Some(i) = message.find(" at line ") {
                message.truncate(i);
            }
            // serde_yaml may prefix its own (shorter) path; the field is printed separately.
            if let Some((prefix, rest)) = message.split_once(": ") {
                if !prefix.contains(' ') && field.starts_with(prefix) {
                    message = rest.to_string();
                }
            }
            let (line, column) = refine_location(text, &field, loc.as_ref().map(|l| (l.line(), l.column())));
            ScenarioError {
                file: path.to_path_buf(),
                line,
                column,
                field: if field == "." { String::new() } else { field },
                message,
            }
        })?;
        if scenario.name.is_empty() {
            scenario.name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        }
        scenario.validate(path, text)?;
        Ok(scenario)
    }

    /// Checks what the types cannot: host names, tick, step order.
    fn validate(&self, path: &Path, text: &str) -> Result<(), ScenarioError> {
        let error = |field: String, needle: &str, message: String| {
            let line = text.lines().position(|l| l.contains(needle)).map(|i| i + 1);
            ScenarioError { file: path.to_path_buf(), line, column: line.map(|_| 1), field, message }
        };
        let tick = self.world.tick.0;
        if tick.is_zero() || tick > Duration::from_secs(1) {
            return Err(error(
                "world.tick".into(),
                "tick:",
                format!("expected a tick between 1ms and 1s, got {}ms", tick.as_millis()),
            ));
        }
        if let Some(status) = self.world.glitchtip.provisioning_failure.filter(|s| !(500..=599).contains(s)) {
            return Err(error(
                "world.glitchtip.provisioning_failure".into(),
                "provisioning_failure:",
                format!("expected a 5xx status, got {status}"),
            ));
        }
        if self.world.horizon.0 < Duration::from_secs(1) {
            return Err(error("world.horizon".into(), "horizon:", "expected a horizon of at least 1s".into()));
        }
        let unknown_host = |field: String, host: &str| {
            error(field, host, format!("unknown host `{host}`: expected one of {}", HOSTS.join(", ")))
        };
        for (i, fault) in self.faults.iter().enumerate() {
            match fault {
                Fault::Partition { between, at, until } => {
                    let field = format!("faults[{i}].partition.between");
                    if let Some(host) = between.iter().find(|h| !HOSTS.contains(&h.as_str())) {
                        return Err(unknown_host(field, host));
                    }
                    if between[0] == between[1] {
                        return Err(error(field, "between", "expected two different hosts".into()));
                    }
                    if until.is_some_and(|u| u <= *at) {
                        return Err(error(
                            format!("faults[{i}].partition.until"),
                            "until",
                            "expected `until` after `at`".into(),
                        ));
                    }
                }
                Fault::Crash { host, .. } => {
                    if !HOSTS.contains(&host.as_str()) || host == "operator" {
                        return Err(unknown_host(format!("faults[{i}].crash.host"), host));
                    }
                }
            }
        }
        for (role, behaviour) in &self.agents {
            for (i, h) in behaviour.handoffs.iter().flatten().enumerate() {
                if squadsim_conformance::vocabulary::Wall::parse(&h.fallback_wall).is_none() {
                    let codes: Vec<&str> =
                        squadsim_conformance::vocabulary::Wall::ALL.iter().map(|w| w.code()).collect();
                    return Err(error(
                        format!("agents.{role}.handoffs[{i}].fallback_wall"),
                        &h.fallback_wall,
                        format!("unknown wall `{}`: expected one of {}", h.fallback_wall, codes.join(", ")),
                    ));
                }
            }
        }
        if let Some(Err(e)) = self.invariants.as_ref().map(|i| i.validate()) {
            // The offending value's line, looked for from the `invariants:` key on.
            let from = text.lines().position(|l| l.trim_start().starts_with("invariants:")).unwrap_or(0);
            let line = text.lines().skip(from).position(|l| l.contains(&e.value)).map(|i| from + i + 1);
            return Err(ScenarioError {
                file: path.to_path_buf(),
                line,
                column: line.map(|_| 1),
                field: e.field,
                message: e.message,
            });
        }
        if self.steps.is_empty() {
            return Err(error("steps".into(), "steps", "expected at least one operator step".into()));
        }
        for (i, step) in self.steps.iter().enumerate() {
            if let Step::Launch(launch) = step {
                if launch.count == 0 || launch.count > MAX_LAUNCH_COUNT {
                    return Err(error(
                        format!("steps[{i}].launch.count"),
                        "count:",
                        format!("expected between 1 and {MAX_LAUNCH_COUNT} runs, got {}", launch.count),
                    ));
                }
            }
        }
        let first_launch = self.steps.iter().position(|s| matches!(s, Step::Launch(_)));
        for (i, step) in self.steps.iter().enumerate() {
            let needs_run =
                !matches!(step, Step::Health | Step::Openapi | Step::Templates | Step::Launch(_) | Step::Wait { .. });
            if needs_run && first_launch.is_none_or(|l| l > i) {
                return Err(error(
                    format!("steps[{i}]"),
                    "steps",
                    "this step acts on a run: expected a `launch` step before it".into(),
                ));
            }
        }
        Ok(())
    }
}

/// Points at the offending key: serde_yaml reports errors raised inside a nested
/// value at the start of the enclosing mapping, so look for the field's own key
/// from there on.
fn refine_location(text: &str, field: &str, reported: Option<(usize, usize)>) -> (Option<usize>, Option<usize>) {
    let Some((line, column)) = reported else { return (None, None) };
    let key = field.rsplit('.').next().unwrap_or_default();
    if key.is_empty() || key.contains('[') {
        return (Some(line), Some(column));
    }
    let needle = format!("{key}:");
    for (i, l) in text.lines().enumerate().skip(line.saturating_sub(1)) {
        if let Some(col) = l.find(&needle) {
            let before = if col == 0 { b' ' } else { l.as_bytes()[col - 1] };
            if !before.is_ascii_alphanumeric() && before != b'_' {
                return (Some(i + 1), Some(col + 1));
            }
        }
    }
    (Some(line), Some(column))
}

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
    fn an_unknown_host_in_a_fault_is_refused_before_simulation() {
        let err = parse("faults:\n  - partition: {between: [studio, moon], at: 1s}\nsteps: [health]\n").unwrap_err();
        assert!(err.message.contains("unknown host `moon`"), "{err}");
        assert_eq!(err.line, Some(2));
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
