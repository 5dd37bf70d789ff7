//! The world's conditions (`world:`): what exists and how it behaves before
//! the operator's first step. Data only: the platform gives each condition its
//! behaviour (the agent process adapters their command lines, the lifecycle
//! deadlines their phases, the platform agent's condition its provisioning spec).

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::bounds;
use super::durations::SimDuration;

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
    /// Daytona's own core pods (`kubectl get pods -n daytona`) that are not
    /// Running, and how (`daytona-runner: CrashLoopBackOff`); the others run.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(schema_with = "core_pods_schema")]
    pub daytona_core_pods: BTreeMap<DaytonaCorePod, CorePodTrouble>,
    /// How many implementer lanes the planner hands work to.
    #[schemars(range(max = bounds::MAX_LANES))]
    pub implementer_lanes: u32,
    /// Armory loadouts: the MCP servers attached per role, replacing the default
    /// (`fractalops-hud` for every role). `planner: []` attaches nothing.
    pub loadouts: BTreeMap<String, Vec<String>>,
    /// The shape of the gateway tokens the backend mints for the agents (what their
    /// MCP calls through the gateway carry).
    pub gateway_token_shape: TokenShape,
    /// The shape of the backend's own admin token for the gateway (what the Armory
    /// registers grids, lists the catalogue and resolves loadouts with). The
    /// runbook: "backend mints the 1.0.x-shaped admin token (issuer/audience/jti)".
    pub admin_token_shape: TokenShape,
    /// The agent process adapter per role (`claude-cli`, `codex-cli`, `workspace-cli`,
    /// `browser-only`); unnamed roles use `claude-cli`.
    pub agent_process_adapters: BTreeMap<String, AgentProcessAdapter>,
    /// Which runtime binding every attempt goes through: `cliproxy` (default) or `claude-native`.
    pub runtime_binding: RuntimeBinding,
    /// Browser slots per role, replacing the Armory's default (one PlaywrightGrid slot for the tester).
    pub browser_slots: BTreeMap<String, Vec<String>>,
    /// GlitchTip as scaffolding finds it.
    pub glitchtip: GlitchtipCondition,
    /// The skills service the skill poll-pull reads (`GET /v1/skills`).
    pub skills: SkillsCondition,
    /// Microsoft Graph, where the Studio binds each named agent's identity.
    #[serde(skip_serializing_if = "MsgraphCondition::is_default")]
    pub msgraph: MsgraphCondition,
    /// How long a Daytona sandbox takes from `creating` to its first volume attach.
    pub sandbox_start: SimDuration,
    /// The Temporal-owned lifecycle deadline of each phase of an agent attempt.
    pub lifecycle: LifecycleDeadlines,
    /// How the platform reaches GitHub (the CodexGate App, or the legacy org-PAT override).
    pub github: GithubCondition,
    /// Runs the Studio already holds from before (its history), which the
    /// operator can read a `project_slug` from.
    pub prior_runs: Vec<PriorRun>,
    /// The Daytona region's `sshGatewayUrl` (`host:port`) in Daytona's database; the
    /// edge's SSH entrypoint is `daytona-ssh.yamon.io:2222` (`docs/seeds.md`, runbook: region drift
    /// makes the dashboard generate an unusable command).
    pub daytona_ssh_gateway_url: String,
    /// The Studio's run store (where run control is persisted).
    #[serde(skip_serializing_if = "RunStoreCondition::is_healthy")]
    pub run_store: RunStoreCondition,
    /// The org's platform (concierge) agent and how it is provisioned (seed 003);
    /// adds the `platform`, `concierge` and `llm-proxy` hosts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform_agent: Option<PlatformAgentCondition>,
    /// Seeds the generated agent nicknames apart from the rest of the run (default:
    /// the scenario's seed). A nickname is display only (`docs/seeds.md`, delivery-language seed,
    /// "Agent Identity And Handoff"): changing this changes the nicknames and the
    /// gateway identities built from them, and nothing else.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nickname_seed: Option<u64>,
}

/// How the platform's GitHub credentials are set up (`docs/seeds.md`, runbook, "GitHub writes go
/// through the CodexGate App").
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
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
    /// Files committed to repositories of the organization before the run (where
    /// workspace bootstrap assets live); a repository no project has is created.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = bounds::MAX_REPOSITORY_FILES))]
    pub files: Vec<super::RepositoryFile>,
}

/// GlitchTip conditions.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct GlitchtipCondition {
    /// Project and key creation answer this 5xx status (provisioning is broken).
    pub provisioning_failure: Option<u16>,
}

/// Microsoft Graph as the Studio's identity binding finds it (`docs/seeds.md`,
/// runbook, "Agent identity model": "the msgraph-bound named-agent UPN").
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct MsgraphCondition {
    /// Roles whose named-agent user (`<role>@yamon.io`) the directory does not
    /// hold: `GET /v1.0/users/{upn}` answers 404 `Request_ResourceNotFound`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing_named_agents: Vec<String>,
    /// Graph's own time to answer each kind of request, where it differs from
    /// the fake's modelled figures (a token 0.8 s, a directory read 0.4 s, a
    /// directory write 2 s).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_time: Option<GraphServiceTime>,
}

impl MsgraphCondition {
    pub(crate) fn is_default(&self) -> bool {
        self == &MsgraphCondition::default()
    }
}

/// How long Microsoft Graph takes to answer each kind of request.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GraphServiceTime {
    /// The identity platform issuing an access token (`POST /{tenant}/oauth2/v2.0/token`).
    pub token: SimDuration,
    /// A directory read (`GET /v1.0/users/{upn}`).
    pub directory_read: SimDuration,
    /// A directory write (`POST /v1.0/applications/{id}/addPassword`).
    pub directory_write: SimDuration,
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
    /// ContextForge 1.0.x: issuer, audience, jti and expiry (`docs/seeds.md`, runbook: "backend mints the
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
            daytona_core_pods: BTreeMap::new(),
            implementer_lanes: 1,
            loadouts: BTreeMap::new(),
            gateway_token_shape: TokenShape::V1,
            admin_token_shape: TokenShape::V1,
            github: GithubCondition::default(),
            agent_process_adapters: BTreeMap::new(),
            runtime_binding: Default::default(),
            browser_slots: BTreeMap::new(),
            skills: Default::default(),
            glitchtip: GlitchtipCondition::default(),
            msgraph: MsgraphCondition::default(),
            sandbox_start: SimDuration::secs(squadsim_fakes::daytona::DaytonaConfig::default().start_seconds),
            lifecycle: LifecycleDeadlines::default(),
            prior_runs: Vec::new(),
            daytona_ssh_gateway_url: squadsim_fakes::daytona::DaytonaConfig::default().ssh_gateway_url,
            run_store: RunStoreCondition::default(),
            platform_agent: None,
            nickname_seed: None,
        }
    }
}

/// The Longhorn volumes that already exist when the world starts (`docs/seeds.md`, runbook,
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

/// The Studio's run store (`docs/seeds.md`, delivery-language seed, "Run Control Lifecycle":
/// "Scheduled Run Control means Studio has persisted pendingRunControl").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RunStoreCondition {
    /// Every write of `pendingRunControl` fails (from either operator surface):
    /// the run control is never persisted.
    pub refuses_run_control_writes: bool,
}

impl RunStoreCondition {
    fn is_healthy(&self) -> bool {
        *self == RunStoreCondition::default()
    }
}

/// One of Daytona's core deployments in `-n daytona`
/// (`squadsim_fakes::daytona::CorePod`: what each serves, and what stops with it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DaytonaCorePod {
    /// The REST API under `/api`.
    DaytonaApi,
    /// The toolbox proxy.
    DaytonaProxy,
    /// The runner that creates and starts sandboxes.
    DaytonaRunner,
}

/// The schema of `world.daytona_core_pods`: a map whose keys are the core pods'
/// names, as the loader reads them (any other key is refused), and whose values
/// are their troubles.
fn core_pods_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let mut schema = <BTreeMap<DaytonaCorePod, CorePodTrouble>>::json_schema(generator);
    schema.insert("propertyNames".into(), generator.subschema_for::<DaytonaCorePod>().into());
    schema
}

/// How a core pod is not Running, as `kubectl get pods` prints its STATUS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub enum CorePodTrouble {
    /// Its container keeps exiting.
    CrashLoopBackOff,
    /// Its image cannot be pulled.
    ImagePullBackOff,
}

/// The Daytona fake's `core_pods_down` for `world.daytona_core_pods`.
pub fn core_pods_down(
    pods: &BTreeMap<DaytonaCorePod, CorePodTrouble>,
) -> BTreeMap<squadsim_fakes::daytona::CorePod, squadsim_fakes::daytona::PodTrouble> {
    use squadsim_fakes::daytona::{CorePod, PodTrouble};
    pods.iter()
        .map(|(pod, trouble)| {
            let pod = match pod {
                DaytonaCorePod::DaytonaApi => CorePod::DaytonaApi,
                DaytonaCorePod::DaytonaProxy => CorePod::DaytonaProxy,
                DaytonaCorePod::DaytonaRunner => CorePod::DaytonaRunner,
            };
            let trouble = match trouble {
                CorePodTrouble::CrashLoopBackOff => PodTrouble::CrashLoopBackOff,
                CorePodTrouble::ImagePullBackOff => PodTrouble::ImagePullBackOff,
            };
            (pod, trouble)
        })
        .collect()
}

/// A project in the Studio's project catalogue.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectCondition {
    /// The exact project slug (`docs/seeds.md`, runbook: "Project slugs are exact").
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
    /// The `?tenant_id=` the operator sends on every run-scoped call (the
    /// runbook's `default`); null: the parameter is not sent at all.
    pub tenant_id: Option<String>,
}

impl Default for OperatorIdentity {
    fn default() -> Self {
        OperatorIdentity {
            email: Some("oncall@yamon.io".to_string()),
            groups: vec!["/org/platform/roles/super_admin".to_string()],
            tenant_id: Some("default".to_string()),
        }
    }
}

/// One skill in the catalogue.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SkillCondition {
    pub skill_id: String,
    /// The roles whose loadouts get it; empty: every role.
    #[serde(default)]
    pub roles: Vec<String>,
}

/// The skills service as a world condition.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct SkillsCondition {
    /// The skills it serves.
    pub catalogue: Vec<SkillCondition>,
    /// How long it takes to answer (longer than the pull's 5 s bound: it hangs).
    pub response_delay: Option<SimDuration>,
}

/// The deadline of each lifecycle phase (a world condition).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct LifecycleDeadlines {
    /// Creating the execution workspace (`POST /api/sandbox`), retries included.
    pub workspace_provision: SimDuration,
    /// From creation until the sandbox is `started` (the Daytona SDK's own default
    /// create timeout is 60 s).
    pub workspace_start: SimDuration,
    /// Delivering the workspace bootstrap assets into the started workspace
    /// (each fetched from where it lives and uploaded through the toolbox).
    pub workspace_bootstrap: SimDuration,
    /// Starting the agent process in the workspace (toolbox session and exec).
    pub process_start: SimDuration,
    /// The agent process running until it exits.
    pub process_run: SimDuration,
}

impl Default for LifecycleDeadlines {
    fn default() -> Self {
        LifecycleDeadlines {
            workspace_provision: SimDuration::secs(30),
            workspace_start: SimDuration::secs(60),
            workspace_bootstrap: SimDuration::secs(60),
            process_start: SimDuration::secs(30),
            process_run: SimDuration::secs(30 * 60),
        }
    }
}

/// How one agent attempt is executed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum AgentProcessAdapter {
    #[default]
    ClaudeCli,
    CodexCli,
    WorkspaceCli,
    BrowserOnly,
}

impl AgentProcessAdapter {
    pub const ALL: [AgentProcessAdapter; 4] = [
        AgentProcessAdapter::ClaudeCli,
        AgentProcessAdapter::CodexCli,
        AgentProcessAdapter::WorkspaceCli,
        AgentProcessAdapter::BrowserOnly,
    ];

    pub fn name(self) -> &'static str {
        match self {
            AgentProcessAdapter::ClaudeCli => "claude-cli",
            AgentProcessAdapter::CodexCli => "codex-cli",
            AgentProcessAdapter::WorkspaceCli => "workspace-cli",
            AgentProcessAdapter::BrowserOnly => "browser-only",
        }
    }
}

/// Which path an attempt's model and MCP tools go through (`docs/seeds.md`, delivery-language seed, "Runtimes").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RuntimeBinding {
    /// The cliproxy runtime (squad default): model `glm-5.2` at `central_cliproxy`; the
    /// workspace shim builds the palette from bare upstream names and translates to the
    /// federated wire name only on the proxied call.
    #[default]
    Cliproxy,
    /// The claude-native runtime (fallback): connects to the gateway directly and
    /// discovers the federated wire names from it.
    ClaudeNative,
}

impl RuntimeBinding {
    pub fn name(self) -> &'static str {
        match self {
            RuntimeBinding::Cliproxy => "cliproxy",
            RuntimeBinding::ClaudeNative => "claude-native",
        }
    }

    pub fn parse(name: &str) -> Option<RuntimeBinding> {
        [RuntimeBinding::Cliproxy, RuntimeBinding::ClaudeNative].into_iter().find(|b| b.name() == name)
    }

    pub fn is_default(&self) -> bool {
        *self == RuntimeBinding::Cliproxy
    }
}

/// Which provisioning path the platform agent takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProvisioningPath {
    /// The normal workspace path (`ProvisionWorkspace`) plus `kind=platform`.
    Ssot,
    /// The control plane's bespoke `start_platform_agent` block.
    Bespoke,
}

/// `world.platform_agent`: how the org's platform (concierge) agent is provisioned.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlatformAgentCondition {
    pub provisioning: ProvisioningPath,
    /// Divergences of the bespoke block set to what the SSOT path does, by the
    /// divergence report's keys (`env.A2A_PORT`, `configs`, `step.mint_workspace_token`, ...).
    #[serde(default)]
    pub corrected: Vec<String>,
    /// What the scripted model answers to any prompt.
    #[serde(default = "default_model_reply")]
    pub model_reply: String,
    /// The LLM credential the container boots with, replacing the path's own LLM env
    /// (seed 003, "Wrong LLM token"); unset: the path's own (the SSOT path's `sk-cp-*`
    /// proxy env, the bespoke block's `ANTHROPIC_AUTH_TOKEN=$ADMIN_TOKEN`).
    #[serde(default)]
    pub llm_credential: Option<LlmCredential>,
    /// The platform MCP's tools the scripted model calls on each chat, in order,
    /// before it answers (seed 003's re-pilot check: "verify the concierge
    /// responds + can list_workspaces via the platform MCP").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub model_tool_calls: Vec<PlatformMcpTool>,
    /// The org the platform agent is installed into; unset: the pilot's org
    /// (seed 003: roots "CEO Assistant" and "SEO Agent", "0 rows here").
    #[serde(default)]
    pub org: OrgCondition,
}

/// A tool of the platform MCP (`molecule-mcp`) the scripted model may call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlatformMcpTool {
    /// `list_workspaces`: the org's workspaces, through the platform's `GET /workspaces`.
    ListWorkspaces,
}

impl PlatformMcpTool {
    /// Its name in the MCP's `tools/list`.
    pub fn name(self) -> &'static str {
        match self {
            PlatformMcpTool::ListWorkspaces => "list_workspaces",
        }
    }
}

/// `world.platform_agent.org`: what the org holds before the platform agent
/// arrives (seed 003: "re-parented the org's existing roots (CEO Assistant + SEO
/// Agent) under it, migrated org_api_tokens / org_plugin_allowlist (0 rows here,
/// but the code path ran)").
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct OrgCondition {
    /// The org's root workspaces (no parent), by name, each name once.
    pub roots: Vec<String>,
    /// Rows in `org_api_tokens` the install migrates.
    #[schemars(range(max = bounds::MAX_ORG_ROWS))]
    pub org_api_tokens: u32,
    /// Rows in `org_plugin_allowlist` the install migrates.
    #[schemars(range(max = bounds::MAX_ORG_ROWS))]
    pub org_plugin_allowlist: u32,
}

impl Default for OrgCondition {
    fn default() -> Self {
        OrgCondition {
            roots: vec!["CEO Assistant".into(), "SEO Agent".into()],
            org_api_tokens: 0,
            org_plugin_allowlist: 0,
        }
    }
}

/// The three LLM credentials seed 003's RCA names: "The block sets
/// ANTHROPIC_AUTH_TOKEN=$ADMIN_TOKEN — not a valid LLM token (llm-auth: unrecognised
/// prefix). It needs a real LLM credential: BYOK CLAUDE_CODE_OAUTH_TOKEN=sk-ant-* [...]
/// or a platform-managed sk-cp-* proxy token."
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LlmCredential {
    /// `ANTHROPIC_AUTH_TOKEN=$ADMIN_TOKEN`: the org admin token, not an LLM credential.
    OrgAdminToken,
    /// `CLAUDE_CODE_OAUTH_TOKEN=sk-ant-*`: the org's own Anthropic credential, to the Anthropic API.
    Byok,
    /// `MOLECULE_LLM_API_KEY=sk-cp-*` with `MOLECULE_LLM_BASE_URL`: the platform-managed LLM proxy.
    PlatformProxy,
}

fn default_model_reply() -> String {
    "PONG".to_string()
}

/// The divergences of the bespoke `start_platform_agent` block from the SSOT
/// path, by the divergence report's keys, in the report's order: what
/// `world.platform_agent.corrected` may name. (The platform computes the report
/// from the two provisioning specs; a test there keeps this list equal to it.)
pub const BESPOKE_DIVERGENCES: &[&str] = &[
    "step.pre_seed_row",
    "step.mint_workspace_token",
    "step.install_platform_agent",
    "env.A2A_PORT",
    "env.ANTHROPIC_AUTH_TOKEN",
    "env.CONFIGS_DIR",
    "env.MOLECULE_LLM_API_KEY",
    "env.MOLECULE_LLM_BASE_URL",
    "env.RUNTIME",
    "configs",
    "placement",
];

/// Why `world.platform_agent.corrected` names nothing to correct.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorrectionError {
    /// Corrections on the SSOT path, which has nothing to correct.
    OnSsotPath,
    /// A key that is not one of [`BESPOKE_DIVERGENCES`].
    UnknownDivergence(String),
}

impl fmt::Display for CorrectionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CorrectionError::OnSsotPath => {
                f.write_str("`corrected` applies to the bespoke path only; the SSOT path has nothing to correct")
            }
            CorrectionError::UnknownDivergence(key) => {
                write!(f, "unknown divergence `{key}`: expected one of {}", BESPOKE_DIVERGENCES.join(", "))
            }
        }
    }
}

impl std::error::Error for CorrectionError {}

impl PlatformAgentCondition {
    /// Whether every correction names a divergence of the bespoke block (and
    /// the path is the bespoke one).
    pub fn check_corrections(&self) -> Result<(), CorrectionError> {
        match (self.provisioning, self.corrected.iter().find(|k| !BESPOKE_DIVERGENCES.contains(&k.as_str()))) {
            (ProvisioningPath::Ssot, _) if !self.corrected.is_empty() => Err(CorrectionError::OnSsotPath),
            (_, Some(key)) => Err(CorrectionError::UnknownDivergence(key.clone())),
            _ => Ok(()),
        }
    }
}
