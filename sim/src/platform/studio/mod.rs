//! Studio: the fractalops API's operator surface (`docs/seeds.md`, runbook, "AgentSquad Runtime
//! Operations"). Studio owns operator control, read models, reports and
//! observability views (`docs/seeds.md`, delivery-language seed, "Execution Boundary").
//!
//! - [`api`]: the route table, from which both the router and `/openapi.json`
//!   are generated; Pomerium claim auth; the tenant query.
//! - [`provisioning`]: launch — wait for the project, bind named-agent identities
//!   ([`identity_binding`]: through Microsoft Graph).
//! - [`run_control`]: Schedule Run Control -> Execute Pending Run Control ->
//!   Record Agent Attempt.
//! - [`read_model`]: run, session-state, reports, handoff-trail.
//! - [`wire`]: the boundary types (legacy names live only there).

pub mod api;
pub mod armory;
pub(crate) mod bootstrap;
pub(crate) mod delivery;
pub(crate) mod harness;
pub mod identity_binding;
pub(crate) mod provisioning;
pub(crate) mod read_model;
pub(crate) mod run_control;
pub(crate) mod scaffolding;
pub(crate) mod temporal_lifecycle;
pub(crate) mod walls;
pub(crate) mod wire;
pub(crate) mod workspace_phase;
pub mod worktree;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::Serialize;
use squadsim_conformance::vocabulary::{BlockerCode, LiveStatus, Wall};
use squadsim_fakes::contextforge::GatewayConfig;
use squadsim_fakes::ids::IdGen;
use squadsim_fakes::net::{HttpClient, Transport};

use crate::base::clock;
use crate::platform::agent_server::GraphProgress;
use crate::scenario::ProjectCondition;

/// How the Studio deployment is wired.
#[derive(Debug, Clone)]
pub struct StudioConfig {
    pub seed: u64,
    /// What generated agent nicknames are derived from (display only).
    pub nickname_seed: u64,
    pub tenants: Vec<String>,
    pub projects: Vec<ProjectCondition>,
    pub daytona_url: String,
    pub daytona_api_key: String,
    pub gateway_url: String,
    /// The LangGraph Agent Server (graph state, mailbox, checkpoints).
    pub agent_server_url: String,
    pub gateway: GatewayConfig,
    /// Grids the Armory registers with the gateway at start: (server id, MCP URL).
    pub grids: Vec<crate::platform::grids::GridRegistration>,
    /// Microsoft Graph, where each named-agent identity (its UPN and secret lease) is bound.
    pub msgraph: identity_binding::GraphBindingConfig,
    /// The launch contract: how long a started session may go without its required first tool call.
    pub first_tool_deadline: Duration,
    /// How often the Harness Runtime reads an agent process's output.
    pub log_poll: Duration,
    /// Simulated network, or loopback sockets for `squadsim serve`.
    pub transport: Transport,
    /// MCP servers attached per role (Armory loadouts), where the world overrides the default.
    pub loadouts: BTreeMap<String, Vec<String>>,
    /// The shape of the gateway tokens the backend mints for the agents.
    pub gateway_token_shape: crate::scenario::TokenShape,
    /// The shape of the backend's own admin token for the gateway.
    pub admin_token_shape: crate::scenario::TokenShape,
    /// The CodexGate GitHub App the platform delivers through.
    pub github: crate::platform::studio::delivery::CodexGateConfig,
    /// The agent process adapter per role, where the world overrides `claude-cli`.
    pub agent_process_adapters: BTreeMap<String, crate::scenario::AgentProcessAdapter>,
    /// The cliproxy or claude-native runtime, for every attempt.
    pub runtime_binding: crate::scenario::RuntimeBinding,
    /// Browser slots per role, where the world overrides the Armory's default.
    pub browser_slots: BTreeMap<String, Vec<String>>,
    /// The skills service (`GET /v1/skills`).
    pub skills_url: String,
    /// GlitchTip, where scaffolding provisions each project's DSN.
    pub glitchtip_url: String,
    /// The GlitchTip management API token scaffolding uses.
    pub glitchtip_api_token: String,
    /// The Temporal-owned lifecycle deadlines of an agent attempt's phases.
    pub lifecycle: crate::scenario::LifecycleDeadlines,
    /// Runs held from before the simulation (the Studio's history).
    pub prior_runs: Vec<crate::scenario::PriorRun>,
    /// The run store refuses to persist `pendingRunControl` (`world.run_store`).
    pub run_store_refuses_run_control_writes: bool,
}

/// One agent's session in a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgentSession {
    pub agent_id: String,
    pub role_id: String,
    pub agent_nickname: String,
    pub session_id: String,
    pub claude_session_id: Option<String>,
    pub live_status: LiveStatus,
    pub current_step: String,
    pub blocker_code: Option<BlockerCode>,
    /// The mechanical wall the session stands at: its wall fired and the retry fell short.
    pub wall_code: Option<Wall>,
    pub tool_call_count: u32,
    /// The id of the tool call that met the launch contract (the required first
    /// tool), while no refusal of it has been read.
    pub first_tool_call: Option<String>,
    pub attempts: u32,
    pub execution_workspace: Option<String>,
    /// Where the execution workspace of the latest attempt is (none before any attempt).
    pub execution_workspace_phase: Option<workspace_phase::ExecutionWorkspacePhase>,
    /// Why the Temporal-owned lifecycle ended the latest attempt (a phase overran or failed).
    pub attempt_end: Option<String>,
    /// The MCP servers the loadout attached at session launch (empty before it).
    pub mcp_server_ids: Vec<String>,
    /// The skills the workspace shim pulled after the session's first tool call.
    pub skill_ids: Vec<String>,
    /// Tool calls (agent-facing names) the workspace shim refused: not in the loadout's allow-list.
    pub refused_tool_calls: Vec<String>,
    /// The handoffs delivered to this agent for its next attempt.
    pub inbox: Vec<crate::platform::agent_server::Handoff>,
    /// The workspace bootstrap assets delivered into the latest attempt's
    /// execution workspace, with their modes as the toolbox reported them.
    pub bootstrap_assets: Vec<bootstrap::DeliveredAsset>,
    /// The agent's `AGENT_HUD_STATUS`: the status its latest `post_hud_status` call
    /// reported, once the Agent HUD answered it without an error (as the
    /// Harness Runtime read the call and its result in the agent process's output).
    pub agent_hud_status: Option<String>,
    /// A `post_hud_status` call read in the output whose result has not been read
    /// yet: its tool-call id and the status it posts.
    pub posting_hud_status: Option<(String, String)>,
    /// The agent process the Harness Runtime reads for the latest attempt (part of
    /// the Temporal workflow's durable history, so a restarted Studio reads on
    /// where it stopped): its command's URL and how many output lines were read.
    #[serde(skip)]
    pub(crate) agent_process: Option<AgentProcessRead>,
    /// When (simulated milliseconds) the latest attempt entered the phase it is
    /// in: a phase deadline is a durable timer, kept across a Studio restart.
    #[serde(skip)]
    pub(crate) phase_entered_ms: u64,
}

/// How far the Harness Runtime read one agent process: its Daytona command and the lines read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AgentProcessRead {
    pub(crate) command_url: String,
    pub(crate) lines_read: usize,
}

/// A recorded run-control lifecycle event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunControlEvent {
    pub at_ms: u64,
    pub event: String,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PendingRunControl {
    pub command: String,
    pub scheduled_at: String,
}

/// A per-tick report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TickReport {
    pub tick: u32,
    pub status: RunStatus,
    pub generated_at: String,
    pub blockers: Vec<BlockerCode>,
}

/// What the observability feed received from agent processes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ObservabilityFeed {
    pub events: u64,
    pub runtime_logs: u64,
}

/// A run's status, derived from its sessions and its delivery graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Ready,
    Running,
    Blocked,
    Completed,
    CleanedUp,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Ready => "ready",
            RunStatus::Running => "running",
            RunStatus::Blocked => "blocked",
            RunStatus::Completed => "completed",
            RunStatus::CleanedUp => "cleaned_up",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Run {
    pub run_id: String,
    pub tenant_id: String,
    pub template_id: String,
    pub project_slug: String,
    pub project_code: String,
    pub delivery_graph_kind: String,
    pub work_scope: String,
    pub next_goal: String,
    pub sessions: Sessions,
    pub pending_run_control: Option<PendingRunControl>,
    pub run_control_events: Vec<RunControlEvent>,
    pub reports: Vec<TickReport>,
    pub observability: ObservabilityFeed,
    pub cleaned_up: bool,
    /// A run control is executing (its ticks are not over).
    pub executing: bool,
    /// The tick in flight, as the execution's durable history holds it (what a
    /// restarted Studio resumes): `None` between ticks.
    #[serde(skip)]
    pub(crate) tick_in_flight: Option<run_control::TickInFlight>,
    /// Mechanical walls that fired, in the order they fired.
    pub walls: Vec<walls::WallOutcome>,
    /// Delivery references proven by reading them back from GitHub, in the
    /// order they were proven, one per URL (add them with
    /// [`Run::add_delivery_reference`]).
    pub delivery_references: Vec<crate::platform::studio::delivery::DeliveryReference>,
    /// The URLs of `delivery_references`: whether one is already there is a
    /// lookup, not a scan of every reference the run proved (one per lane).
    #[serde(skip)]
    delivery_reference_urls: std::collections::BTreeSet<String>,
    /// The project's GlitchTip DSN, as scaffolding provisioned it (or why not).
    pub observability_dsn: scaffolding::DsnProvisioning,
    /// How far the run's delivery graph got, as the LangGraph Agent Server's routing node last said.
    pub delivery_graph: DeliveryGraph,
    /// Files delivered into each execution workspace before its agent process starts.
    pub bootstrap_assets: Vec<bootstrap::WorkspaceBootstrapAsset>,
}

/// The run's delivery graph as the Studio last read it: the LangGraph Agent
/// Server owns the graph state and judges how far it got; the Studio keeps what
/// its routing node answered (or that it could not be asked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum DeliveryGraph {
    /// No run control has asked the routing node yet.
    NotRouted,
    /// What the routing node answered last.
    Routed(crate::platform::agent_server::GraphProgress),
    /// The routing node could not be asked: why.
    Unread(String),
}

impl DeliveryGraph {
    pub fn at_end(&self) -> bool {
        *self == DeliveryGraph::Routed(GraphProgress::AtEnd)
    }

    /// As outcomes show it: `at_end`, `working`, `not_routed`,
    /// `stopped_short: <why>` or `unread: <why>`.
    pub fn label(&self) -> String {
        match self {
            DeliveryGraph::NotRouted => "not_routed".to_string(),
            DeliveryGraph::Routed(GraphProgress::Working) => "working".to_string(),
            DeliveryGraph::Routed(GraphProgress::AtEnd) => "at_end".to_string(),
            DeliveryGraph::Routed(GraphProgress::StoppedShort { reason }) => format!("stopped_short: {reason}"),
            DeliveryGraph::Unread(why) => format!("unread: {why}"),
        }
    }
}

/// A run's agent sessions, in joining order, each found by its agent id with a
/// lookup rather than a scan (a run may have a thousand).
///
/// Guarantees: iterates in joining order; serializes as that list;
/// one session per agent id (a second push for the same agent is ignored).
/// Sessions are changed one at a time through [`Sessions::get_mut`]; nothing
/// rewrites a session's agent id, which the index is keyed by.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sessions {
    list: Vec<AgentSession>,
    by_agent: BTreeMap<String, usize>,
}

impl AgentSession {
    /// Whether the session made its required first tool call (one the workspace
    /// shim did not refuse).
    pub fn first_tool_made(&self) -> bool {
        self.first_tool_call.is_some()
    }
}

impl Sessions {
    pub fn push(&mut self, session: AgentSession) {
        if !self.by_agent.contains_key(&session.agent_id) {
            self.by_agent.insert(session.agent_id.clone(), self.list.len());
            self.list.push(session);
        }
    }

    pub fn get(&self, agent_id: &str) -> Option<&AgentSession> {
        self.by_agent.get(agent_id).map(|&i| &self.list[i])
    }

    pub fn get_mut(&mut self, agent_id: &str) -> Option<&mut AgentSession> {
        self.by_agent.get(agent_id).map(|&i| &mut self.list[i])
    }

    pub fn contains(&self, agent_id: &str) -> bool {
        self.by_agent.contains_key(agent_id)
    }

    /// In joining order.
    pub fn iter(&self) -> std::slice::Iter<'_, AgentSession> {
        self.list.iter()
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

impl FromIterator<AgentSession> for Sessions {
    fn from_iter<I: IntoIterator<Item = AgentSession>>(sessions: I) -> Sessions {
        let mut all = Sessions::default();
        for session in sessions {
            all.push(session);
        }
        all
    }
}

impl Serialize for Sessions {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.list.serialize(serializer)
    }
}

impl Run {
    /// A run is blocked if any agent is blocked (`docs/seeds.md`, runbook). It is completed only
    /// when every session completed and its delivery graph reached its end (as the
    /// LangGraph Agent Server judged it); a graph that stopped short, or that could
    /// not be read, with every session settled and no run control executing, is
    /// blocked, never completed. Ready before any attempt; running otherwise.
    pub fn status(&self) -> RunStatus {
        if self.cleaned_up {
            return RunStatus::CleanedUp;
        }
        let statuses: Vec<LiveStatus> = self.sessions.iter().map(|s| s.live_status).collect();
        let all = |status: LiveStatus| statuses.iter().all(|s| *s == status);
        if statuses.contains(&LiveStatus::Blocked) {
            RunStatus::Blocked
        } else if self.is_executing() {
            RunStatus::Running
        } else if !statuses.is_empty() && all(LiveStatus::SessionCompleted) {
            if self.delivery_graph.at_end() {
                RunStatus::Completed
            } else {
                RunStatus::Blocked
            }
        } else if all(LiveStatus::Ready) {
            RunStatus::Ready
        } else {
            RunStatus::Running
        }
    }

    /// A run control is scheduled or its ticks are going on.
    pub fn is_executing(&self) -> bool {
        self.executing || self.pending_run_control.is_some()
    }

    /// The run's own fields (ids, project, template, scope, DSN, run control), with
    /// its sessions, records, walls, reports, delivery references and tick in
    /// flight left empty: a copy whose size does not grow with the roster (each
    /// attempt holds one for its whole length, so a copy of the roster-long tick
    /// in flight cost memory in the square of the roster).
    pub fn without_sessions(&self) -> Run {
        Run {
            run_id: self.run_id.clone(),
            tenant_id: self.tenant_id.clone(),
            template_id: self.template_id.clone(),
            project_slug: self.project_slug.clone(),
            project_code: self.project_code.clone(),
            delivery_graph_kind: self.delivery_graph_kind.clone(),
            work_scope: self.work_scope.clone(),
            next_goal: self.next_goal.clone(),
            sessions: Sessions::default(),
            pending_run_control: self.pending_run_control.clone(),
            run_control_events: Vec::new(),
            reports: Vec::new(),
            observability: self.observability,
            cleaned_up: self.cleaned_up,
            executing: self.executing,
            tick_in_flight: None,
            walls: Vec::new(),
            delivery_references: Vec::new(),
            delivery_reference_urls: Default::default(),
            observability_dsn: self.observability_dsn.clone(),
            delivery_graph: self.delivery_graph.clone(),
            bootstrap_assets: self.bootstrap_assets.clone(),
        }
    }

    pub fn session(&self, agent_id: &str) -> Option<&AgentSession> {
        self.sessions.get(agent_id)
    }

    pub fn session_mut(&mut self, agent_id: &str) -> Option<&mut AgentSession> {
        self.sessions.get_mut(agent_id)
    }

    /// Adds a proven delivery reference, unless one with its URL is already
    /// there (the first proof of a URL is the one kept).
    pub(crate) fn add_delivery_reference(&mut self, reference: crate::platform::studio::delivery::DeliveryReference) {
        if self.delivery_reference_urls.insert(reference.url.clone()) {
            self.delivery_references.push(reference);
        }
    }

    pub fn record(&mut self, event: &str, detail: String) {
        self.run_control_events.push(RunControlEvent {
            at_ms: clock::elapsed_millis(),
            event: event.to_string(),
            detail,
        });
    }
}

#[derive(Debug)]
struct StudioState {
    runs: BTreeMap<String, Run>,
    ids: IdGen,
    /// Token ids draw from their own generator, so minting a token never shifts a run's ids.
    token_ids: IdGen,
}

/// A run from before the simulation: finished and cleaned up, its sessions gone.
fn prior_run(config: &StudioConfig, prior: &crate::scenario::PriorRun) -> Option<Run> {
    let project = config.projects.iter().find(|p| p.slug == prior.project_slug)?;
    let template = crate::base::templates::find("agentsquad")?;
    let tenant_id = config.tenants.first().cloned().unwrap_or_default();
    let blank = Run::blank(&prior.run_id, &tenant_id, template.template_id, &project.slug, &project.code);
    Some(Run { cleaned_up: true, ..blank })
}

impl Run {
    /// A run of `project_slug` (`project_code`) with nothing launched yet: no
    /// sessions, no run control, no history, its delivery graph not routed.
    pub(crate) fn blank(
        run_id: &str,
        tenant_id: &str,
        template_id: &str,
        project_slug: &str,
        project_code: &str,
    ) -> Run {
        Run {
            run_id: run_id.to_string(),
            tenant_id: tenant_id.to_string(),
            template_id: template_id.to_string(),
            project_slug: project_slug.to_string(),
            project_code: project_code.to_string(),
            delivery_graph_kind: crate::base::templates::DELIVERY_GRAPH_KINDS[0].to_string(),
            work_scope: String::new(),
            next_goal: String::new(),
            sessions: Sessions::default(),
            pending_run_control: None,
            run_control_events: Vec::new(),
            reports: Vec::new(),
            observability: ObservabilityFeed::default(),
            cleaned_up: false,
            executing: false,
            tick_in_flight: None,
            walls: Vec::new(),
            delivery_references: Vec::new(),
            delivery_reference_urls: Default::default(),
            observability_dsn: scaffolding::DsnProvisioning::Pending,
            delivery_graph: DeliveryGraph::NotRouted,
            bootstrap_assets: Vec::new(),
        }
    }
}

/// The Studio service.
pub struct Studio {
    pub config: StudioConfig,
    /// Set once the Armory has registered every grid with the gateway.
    armory_ready: std::sync::atomic::AtomicBool,
    pub http: HttpClient,
    /// The GitHub installation token the platform holds.
    pub github_token: crate::platform::studio::delivery::TokenCache,
    /// The Microsoft Graph access token the Studio holds.
    pub graph_token: identity_binding::GraphTokenCache,
    state: Mutex<StudioState>,
}

impl Studio {
    pub fn new(config: StudioConfig) -> Arc<Self> {
        let http = Self::http_for(&config);
        Self::with_http(config, http)
    }

    /// The HTTP client a Studio of `config` uses by default.
    pub fn http_for(config: &StudioConfig) -> HttpClient {
        HttpClient::new(config.transport, Duration::from_secs(10))
    }

    /// A Studio whose outgoing calls go through `http` (e.g. a recording client).
    pub fn with_http(config: StudioConfig, http: HttpClient) -> Arc<Self> {
        let ids = IdGen::derive(config.seed, "studio");
        let token_ids = IdGen::derive(config.seed, "studio.jti");
        let runs =
            config.prior_runs.iter().filter_map(|p| prior_run(&config, p)).map(|r| (r.run_id.clone(), r)).collect();
        Arc::new(Studio {
            config,
            http,
            github_token: Default::default(),
            graph_token: Default::default(),
            armory_ready: std::sync::atomic::AtomicBool::new(false),
            state: Mutex::new(StudioState { runs, ids, token_ids }),
        })
    }

    fn state(&self) -> MutexGuard<'_, StudioState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A fresh id: `<prefix>-<12 hex>`, drawn from the seeded generator.
    pub fn new_id(&self, prefix: &str) -> String {
        format!("{prefix}-{}", self.state().ids.hex(12))
    }

    pub fn set_armory_ready(&self) {
        self.armory_ready.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Whether the Armory has registered every grid (loadouts can resolve).
    pub fn armory_ready(&self) -> bool {
        self.armory_ready.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// A fresh token id (`jti`).
    pub fn new_jti(&self) -> String {
        format!("jti-{}", self.state().token_ids.hex(16))
    }

    /// A UUID-shaped id from the seeded generator (Claude session ids are UUIDs).
    pub fn new_uuid(&self) -> String {
        let h = self.state().ids.hex(32);
        format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
    }

    pub fn insert_run(&self, run: Run) {
        self.state().runs.insert(run.run_id.clone(), run);
    }

    /// Every run, by id.
    pub fn runs(&self) -> Vec<Run> {
        self.state().runs.values().cloned().collect()
    }

    /// Reads a run (a copy of all of it: prefer [`Studio::read_run`] for a part).
    pub fn run(&self, run_id: &str) -> Option<Run> {
        self.state().runs.get(run_id).cloned()
    }

    /// Reads a run in place, without copying it: what `read` returns, or `None`
    /// if there is no such run. `read` must not call back into the Studio's state.
    pub fn read_run<R>(&self, run_id: &str, read: impl FnOnce(&Run) -> R) -> Option<R> {
        self.state().runs.get(run_id).map(read)
    }

    /// Adds a session for every roster agent the run does not have yet (agents
    /// join by handoff), binding their named-agent identities first, all at
    /// once (the agents of a batch are independent: each waits one binding's
    /// calls, not one per agent before it). An agent whose identity could not be
    /// bound gets a session blocked with `named_agent_identity_unbound` (model-defined)
    /// that never starts.
    pub async fn join_roster(&self, run_id: &str, roster: &[String]) {
        let Some(joining) = self.read_run(run_id, |run| {
            let mut seen = std::collections::BTreeSet::new();
            let joining: Vec<String> = roster
                .iter()
                .filter(|agent_id| !run.sessions.contains(agent_id) && seen.insert(agent_id.as_str()))
                .cloned()
                .collect();
            joining
        }) else {
            return;
        };
        let bound = self.bind_together(&joining).await;
        for (agent_id, binding) in joining.into_iter().zip(bound) {
            let session = self.new_session(run_id, &agent_id);
            self.update_run(run_id, |r| {
                r.record("roster:joined", agent_id.clone());
                if let Err(e) = &binding {
                    r.record("identity:unbound", e.to_string());
                }
                r.sessions.push(session);
            });
            if binding.is_err() {
                let standing = harness::Standing::blocker(BlockerCode::NamedAgentIdentityUnbound, "identity_binding");
                harness::block(self, run_id, &agent_id, standing);
            }
        }
    }

    /// Binds the named-agent identities of `agents` all at once, each its own
    /// calls; the results in the order of `agents`.
    async fn bind_together(&self, agents: &[String]) -> Vec<Result<String, identity_binding::BindingFailed>> {
        let bindings =
            agents.iter().map(|agent_id| identity_binding::bind(self, crate::base::templates::role_of(agent_id)));
        futures::future::join_all(bindings).await
    }

    /// The run's agents blocked with `named_agent_identity_unbound`: no session of theirs can start.
    pub(crate) fn unbound_agents(&self, run_id: &str) -> Vec<String> {
        self.read_run(run_id, |run| {
            let unbound = |s: &&AgentSession| s.blocker_code == Some(BlockerCode::NamedAgentIdentityUnbound);
            run.sessions.iter().filter(unbound).map(|s| s.agent_id.clone()).collect()
        })
        .unwrap_or_default()
    }

    /// A replay binds again the identities of the run's agents blocked with
    /// `named_agent_identity_unbound`, all at once; returns those still unbound
    /// (they stay blocked, and are not attempted).
    pub(crate) async fn bind_unbound_again(&self, run_id: &str) -> Vec<String> {
        let unbound = self.unbound_agents(run_id);
        let bound = self.bind_together(&unbound).await;
        let mut still = Vec::new();
        for (agent_id, binding) in unbound.into_iter().zip(bound) {
            if let Err(e) = binding {
                self.update_run(run_id, |r| r.record("identity:unbound", e.to_string()));
                still.push(agent_id);
            }
        }
        still
    }

    /// A fresh session for an agent of a run, with its generated display handle.
    pub fn new_session(&self, run_id: &str, agent_id: &str) -> AgentSession {
        let role_id = crate::base::templates::role_of(agent_id).to_string();
        AgentSession {
            agent_nickname: crate::base::identity::agent_nickname(
                self.config.nickname_seed,
                run_id,
                agent_id,
                &role_id,
            ),
            session_id: self.new_id("sess"),
            agent_id: agent_id.to_string(),
            role_id,
            claude_session_id: None,
            live_status: LiveStatus::Ready,
            current_step: "ready".to_string(),
            blocker_code: None,
            wall_code: None,
            tool_call_count: 0,
            first_tool_call: None,
            attempts: 0,
            execution_workspace: None,
            execution_workspace_phase: None,
            attempt_end: None,
            mcp_server_ids: Vec::new(),
            skill_ids: Vec::new(),
            refused_tool_calls: Vec::new(),
            inbox: Vec::new(),
            bootstrap_assets: Vec::new(),
            agent_hud_status: None,
            posting_hud_status: None,
            agent_process: None,
            phase_entered_ms: 0,
        }
    }

    /// Changes a run under the lock; `None` if there is no such run.
    pub fn update_run<R>(&self, run_id: &str, f: impl FnOnce(&mut Run) -> R) -> Option<R> {
        self.state().runs.get_mut(run_id).map(f)
    }

    /// The project catalogue as of now: a project with `appears_after` is not there before it.
    pub fn project(&self, slug: &str) -> Option<ProjectCondition> {
        let now = Duration::from_millis(clock::elapsed_millis());
        self.config.projects.iter().find(|p| p.slug == slug && p.appears_after.is_none_or(|a| a.0 <= now)).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A run whose tick in flight dispatched `roster` agents.
    fn run_with_roster(roster: u32) -> Run {
        let agents: Vec<(String, u32)> = (0..roster).map(|i| (format!("implementer-{i}"), 0)).collect();
        Run {
            work_scope: "the whole backlog".to_string(),
            executing: true,
            tick_in_flight: Some(run_control::TickInFlight { agents, reported: false }),
            ..Run::blank("run-1", "default", "agentsquad", "payments", "PAY")
        }
    }

    fn reference(url: &str, agent_id: &str) -> crate::platform::studio::delivery::DeliveryReference {
        crate::platform::studio::delivery::DeliveryReference {
            url: url.to_string(),
            repository: "acme/payments".to_string(),
            branch: None,
            author: "fractalops-codexgate[bot]".to_string(),
            author_type: "Bot".to_string(),
            agent_id: agent_id.to_string(),
            merge_decision: None,
        }
    }

    /// Thousands of lanes, each proven twice (a wall checks a lane's proof on
    /// every attempt): one reference per URL, the first proof of each kept, in
    /// the order first proven; the run's serialized form is unchanged by the index.
    #[test]
    fn delivery_references_keep_the_first_proof_of_each_url_in_order() {
        let mut run = run_with_roster(1);
        let url = |i: u32| format!("https://github.com/acme/payments/pull/{}", (i * 7919) % 5000 + 1);
        for i in 0..5000 {
            run.add_delivery_reference(reference(&url(i), &format!("implementer-{i}")));
        }
        for i in 0..5000 {
            run.add_delivery_reference(reference(&url(i), "reviewer-1"));
        }
        assert_eq!(run.delivery_references.len(), 5000);
        for (i, r) in run.delivery_references.iter().enumerate() {
            assert_eq!(r.url, url(i as u32));
            assert_eq!(r.agent_id, format!("implementer-{i}"), "the first proof is kept");
        }
        let mut plain = run_with_roster(1);
        plain.delivery_references = run.delivery_references.clone();
        assert_eq!(serde_json::to_value(&run).unwrap(), serde_json::to_value(&plain).unwrap());
        assert!(run.without_sessions().delivery_references.is_empty());
    }

    #[test]
    fn a_copy_without_sessions_does_not_grow_with_the_roster() {
        let small = run_with_roster(1).without_sessions();
        let large = run_with_roster(50).without_sessions();
        assert_eq!(small, large);
        assert_eq!(large.tick_in_flight, None);
        assert_eq!(large.run_id, "run-1");
        assert!(large.executing);
    }
}
