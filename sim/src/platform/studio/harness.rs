//! Harness Runtime: executes agent attempts through agent process adapters
//! (here `claude-cli`) in execution workspaces leased from Daytona, and reads
//! what the agent process prints. The first-tool gate enforces the launch
//! contract on what it reads.
//!
//! Guarantees:
//! - `claude_session_id` is set when the attempt starts and kept across replays
//!   (the session resumes);
//! - a session whose attempt began but has made no required first tool call when
//!   the launch contract's deadline passes (whether or not its process ever ran,
//!   under every adapter), or whose process ended without one, is blocked with
//!   `agent_first_tool_required`;
//! - an attempt that met the launch contract completes only if its process ended
//!   well (exit 0, a final result that is not an error) and its lane's wall lets it
//!   pass; one that ended with a no-progress report (an error result carrying the
//!   agent's execution report, exit 1) is blocked with the report's blocker code
//!   and `current_step` `work_stopped: <reason>`: work that stopped is never
//!   `session_completed`;
//! - every observation comes from Daytona's API over the network: if a sandbox
//!   never starts or its process prints nothing, that is all the harness sees.

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use serde_json::{json, Value};
use squadsim_conformance::tool_name;
use squadsim_conformance::vocabulary::{BlockerCode, LiveStatus, Wall};
use squadsim_fakes::net::{HttpRequest, HttpResponse};

use crate::platform::studio::bootstrap::{self, WorkspaceBootstrapAsset};
use crate::platform::studio::temporal_lifecycle::{
    run_phase, run_phase_since, ActivityError, Phase, PhaseEnd, RetryPolicy,
};
use crate::platform::studio::workspace_phase::ExecutionWorkspacePhase;
use crate::platform::studio::{AgentProcessRead, AgentSession, Studio};
use crate::platform::workspace::adapters::{
    read_line, NoProgressReport, OutputEvent, CLIPROXY_ENDPOINT_BINDING, ENV_ENDPOINT_BINDING, ENV_RUNTIME_BINDING,
};
use crate::platform::workspace::agent_process::{
    AttemptCommand, McpMount, ENV_AGENT_ID, ENV_GATEWAY_TOKEN, ENV_GATEWAY_URL, ENV_MCP_SERVERS, ENV_ROLE, ENV_RUN_ID,
    ENV_SKILLS_URL, ENV_TEMPLATE_ID,
};
use crate::platform::workspace::preview_app::{ENV_PUBLIC_SENTRY_DSN, ENV_SENTRY_DSN};
use crate::scenario::{AgentProcessAdapter, RuntimeBinding};
use crate::{
    base::clock, base::identity, base::run_events, base::templates, platform::hud, platform::studio::armory,
    platform::studio::delivery, platform::studio::walls, platform::studio::worktree,
};

/// Runs one agent attempt to its end (completed, blocked, or given up).
pub(crate) async fn attempt(studio: Arc<Studio>, run_id: String, agent_id: String) {
    run_attempt(studio, run_id, agent_id, false).await;
}

/// Resumes the session's latest attempt after a Studio restart, from where its
/// durable history says it got (as Temporal retries the activity a crashed
/// worker held): a workspace not yet created is created (one an earlier try
/// created is found by its name), a started sandbox is awaited, a process
/// started is read on from the line reached, and a lifecycle that already ended
/// the attempt leaves it to the launch contract. The first-tool gate is armed
/// again with its full deadline (a timer of the crashed incarnation is gone).
/// A settled session is left as it is.
pub(crate) async fn resume(studio: Arc<Studio>, run_id: String, agent_id: String) {
    if !settled(&studio, &run_id, &agent_id) {
        run_attempt(studio, run_id, agent_id, true).await;
    }
}

async fn run_attempt(studio: Arc<Studio>, run_id: String, agent_id: String, resumed: bool) {
    // What the attempt needs of its run, read in place (a run holds every session of a large roster).
    let Some(Some((run, session, prompt))) = studio.read_run(&run_id, |run| {
        let session = run.session(&agent_id)?.clone();
        let prompt = dispatch_prompt(run, &session);
        Some((run.without_sessions(), session, prompt))
    }) else {
        return;
    };
    let adapter = armory::agent_process_adapter(&studio, &session.role_id);
    let attempt_no = if resumed { session.attempts } else { session.attempts + 1 };
    // The session resumes across attempts; a CLI that picks its own id names it in its output.
    let resume = if resumed { attempt_no > 1 } else { session.claude_session_id.is_some() };
    let claude_session_id = match session.claude_session_id.clone() {
        Some(id) => Some(id),
        None if adapter.assigns_session_id() => Some(studio.new_uuid()),
        None => None,
    };
    let _attempt = run_events::attempt_span(&agent_id, attempt_no);
    let servers = armory::attached_servers(&studio, &session.role_id);
    let mounts = armory::mount(&studio, &servers).await;
    if !resumed {
        update(&studio, &run_id, &agent_id, |s| {
            s.claude_session_id = claude_session_id.clone();
            s.live_status = LiveStatus::WaitingFirstTool;
            s.current_step = "provisioning_execution_workspace".to_string();
            s.attempts = attempt_no;
            s.first_tool_call = None;
            s.attempt_end = None;
            s.execution_workspace = None;
            s.agent_process = None;
            s.bootstrap_assets = Vec::new();
            s.execution_workspace_phase = Some(ExecutionWorkspacePhase::provisioning());
            s.phase_entered_ms = clock::elapsed_millis();
            // The loadout resolves at session launch (the roster view keeps it empty): the servers it mounts.
            s.mcp_server_ids = mounts.iter().map(|m| m.server_id.clone()).collect();
        });
    }
    tokio::spawn(first_tool_gate(studio.clone(), run_id.clone(), agent_id.clone(), attempt_no));
    let outcome = if resumed && session.attempt_end.is_some() {
        // The lifecycle had already ended this attempt: the gate decides at its deadline.
        Err(None)
    } else {
        let identity = identity::gateway_identity(&run.project_code, &session.agent_nickname);
        let token = armory::gateway_token(&studio, &identity);
        let binding = studio.config.runtime_binding;
        let command = AttemptCommand {
            adapter,
            model: binding.model().map(str::to_string),
            session_id: claude_session_id,
            resume,
            allowed_tools: armory::allow_list(&servers),
            browser_slot: armory::browser_slots(&studio, &session.role_id).into_iter().next(),
            prompt,
        };
        let mut env = json!({
            ENV_ROLE: session.role_id,
            ENV_AGENT_ID: session.agent_id,
            ENV_RUN_ID: run_id,
            ENV_TEMPLATE_ID: run.template_id,
            ENV_GATEWAY_URL: studio.config.gateway_url,
            ENV_GATEWAY_TOKEN: token,
            ENV_MCP_SERVERS: McpMount::to_env(&mounts),
            ENV_RUNTIME_BINDING: binding.name(),
            ENV_SKILLS_URL: studio.config.skills_url,
        });
        for (key, value) in delivery::workspace_env(&studio, &run, &session).await {
            env[key] = json!(value);
        }
        if binding == RuntimeBinding::Cliproxy {
            env[ENV_ENDPOINT_BINDING] = json!(CLIPROXY_ENDPOINT_BINDING);
        }
        // The starter .env carries the project's DSN, frontend and backend, when scaffolding provisioned one.
        if let Some(dsn) = run.observability_dsn.dsn() {
            env[ENV_SENTRY_DSN] = json!(dsn);
            env[ENV_PUBLIC_SENTRY_DSN] = json!(dsn);
        }
        // A resumed attempt goes on from what its history holds; a new one has none.
        let history = if resumed {
            let spent = Duration::from_millis(clock::elapsed_millis().saturating_sub(session.phase_entered_ms));
            History {
                sandbox_id: session.execution_workspace.clone(),
                process: session.agent_process.clone(),
                phase: session.execution_workspace_phase.as_ref().and_then(|p| p.phase()).map(|p| (p, spent)),
            }
        } else {
            History::default()
        };
        // The execution workspace's name: one per attempt, so a retried create finds its own.
        let workspace_name = format!("{run_id}-{agent_id}-a{attempt_no}");
        let workspace = Workspace { name: &workspace_name, env, bootstrap_assets: &run.bootstrap_assets };
        drive(&studio, &run_id, &agent_id, attempt_no, workspace, &command, history).await.map_err(Some)
    };
    if let Err(Some(AttemptStopped::Bootstrap(end))) = &outcome {
        // The agent process never started: nothing will come of this attempt, and the
        // gate's launch contract is not what stopped it.
        let standing = Standing::blocker(BlockerCode::WorkspaceBootstrapAssetUndelivered, end.reason());
        block(&studio, &run_id, &agent_id, standing);
        return;
    }
    if let Err(stopped) = outcome {
        if let Some(stopped) = stopped {
            update(&studio, &run_id, &agent_id, |s| {
                if !s.live_status.is_settled() {
                    s.current_step = stopped.to_string();
                }
            });
        }
        // Nothing more will come from this attempt: the gate decides at its deadline.
        wait_until_settled(&studio, &run_id, &agent_id).await;
    }
}

/// What an attempt's durable history holds of it: the execution workspace it
/// created and the agent process it started, if it got that far.
#[derive(Debug, Clone, Default)]
struct History {
    sandbox_id: Option<String>,
    process: Option<AgentProcessRead>,
    /// The phase the attempt was in, and how long ago it entered it.
    phase: Option<(Phase, Duration)>,
}

impl History {
    /// How much of `phase`'s deadline was spent before the resume (none for a phase it had not entered).
    fn spent_in(&self, phase: Phase) -> Duration {
        self.phase.filter(|(p, _)| *p == phase).map_or(Duration::ZERO, |(_, spent)| spent)
    }
}

/// The controller message carried into the attempt: role, scope, the required
/// first tool, and the intent and success condition of every handoff in the inbox.
fn dispatch_prompt(run: &crate::platform::studio::Run, session: &AgentSession) -> String {
    let mut prompt = format!(
        "You are the {} ({}) of run {}. Work scope: {}. Next goal: {}. Start by calling {}.",
        session.role_id,
        session.agent_id,
        run.run_id,
        run.work_scope,
        run.next_goal,
        tool_name::agent_facing_name(templates::REQUIRED_FIRST_TOOL.0, templates::REQUIRED_FIRST_TOOL.1)
    );
    for h in &session.inbox {
        let reference = h.delivery_reference.as_deref().map(|r| format!("; {}", delivery::reference_clause(r)));
        prompt.push_str(&format!(
            " From {}: {} (done when: {}{}).",
            h.sender_agent_id,
            h.handoff_intent,
            h.required_result,
            reference.unwrap_or_default()
        ));
    }
    prompt
}

/// Moves the session's `executionWorkspacePhase` on from where it is.
fn move_phase(
    studio: &Studio,
    run_id: &str,
    agent_id: &str,
    to: impl FnOnce(&ExecutionWorkspacePhase) -> ExecutionWorkspacePhase,
) {
    update(studio, run_id, agent_id, |s| {
        if let Some(phase) = &s.execution_workspace_phase {
            let moved = to(phase);
            if moved.phase() != phase.phase() {
                s.phase_entered_ms = clock::elapsed_millis();
            }
            s.execution_workspace_phase = Some(moved);
        }
    });
}

fn update(studio: &Studio, run_id: &str, agent_id: &str, f: impl FnOnce(&mut AgentSession)) {
    studio.update_run(run_id, |run| {
        if let Some(s) = run.session_mut(agent_id) {
            f(s);
        }
    });
}

/// Reads one session of a run in place: what `read` returns, or `None` if there is no such session.
fn read_session<R>(studio: &Studio, run_id: &str, agent_id: &str, read: impl FnOnce(&AgentSession) -> R) -> Option<R> {
    studio.read_run(run_id, |r| r.session(agent_id).map(read)).flatten()
}

fn settled(studio: &Studio, run_id: &str, agent_id: &str) -> bool {
    read_session(studio, run_id, agent_id, |s| s.live_status.is_settled()).unwrap_or(true)
}

async fn wait_until_settled(studio: &Studio, run_id: &str, agent_id: &str) {
    while !settled(studio, run_id, agent_id) {
        squadsim_fakes::timer::sleep(studio.config.log_poll).await;
    }
}

/// Why an attempt ended blocked: the blocker code, the wall it stands at, and the
/// step the session shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Standing {
    /// `None` only for a failure nothing names (which the built-in invariants refuse).
    pub blocker: Option<BlockerCode>,
    pub wall: Option<Wall>,
    pub step: String,
}

impl Standing {
    /// Blocked by a blocker code alone, no wall involved, at `step`.
    pub(crate) fn blocker(code: BlockerCode, step: impl Into<String>) -> Standing {
        Standing { blocker: Some(code), wall: None, step: step.into() }
    }

    /// Left standing at `wall` (its retry fell short), with the wall's blocker.
    pub(crate) fn at(wall: Wall) -> Standing {
        Standing { blocker: Some(wall.blocker()), wall: Some(wall), step: "wall_retry".to_string() }
    }

    /// The same standing, showing `step`.
    pub(crate) fn with_step(self, step: String) -> Standing {
        Standing { step, ..self }
    }
}

/// Blocks a session: its blocker code, the wall it stands at, and the step it shows.
pub(crate) fn block(studio: &Studio, run_id: &str, agent_id: &str, standing: Standing) {
    let code = standing.blocker;
    update(studio, run_id, agent_id, |s| {
        s.live_status = LiveStatus::Blocked;
        s.blocker_code = standing.blocker;
        s.wall_code = standing.wall;
        s.current_step = standing.step;
    });
    if let Some(code) = code {
        run_events::blocker(agent_id, code.as_str());
    }
}

/// The launch contract: the required first tool call must come before the deadline.
///
/// Whatever the adapter: a CLI that names its own session (`codex-cli`) and never
/// got to print it (its workspace never started) is as unmet as a Claude session
/// whose id the Studio assigned up front and that printed nothing.
async fn first_tool_gate(studio: Arc<Studio>, run_id: String, agent_id: String, attempt_no: u32) {
    squadsim_fakes::timer::sleep(studio.config.first_tool_deadline).await;
    let unmet = read_session(&studio, &run_id, &agent_id, |s| {
        s.attempts == attempt_no && !s.first_tool_made() && !s.live_status.is_settled()
    });
    if unmet == Some(true) {
        block(&studio, &run_id, &agent_id, first_tool_required());
    }
}

/// The launch contract's block.
fn first_tool_required() -> Standing {
    Standing::blocker(BlockerCode::AgentFirstToolRequired, "first_tool_gate")
}

/// One Daytona call as a lifecycle activity: a 5xx, a 429 or no answer is worth
/// retrying; any other refusal is not.
async fn daytona_activity(studio: &Studio, request: HttpRequest) -> Result<HttpResponse, ActivityError> {
    let request = request.bearer(&studio.config.daytona_api_key);
    match studio.http.send(request).await {
        Ok(r) if r.status.is_success() => Ok(r),
        Ok(r) => {
            let message =
                format!("HTTP {}: {}", r.status.as_u16(), r.members(["message"])[0].as_str().unwrap_or_default());
            if r.status.is_server_error() || r.status.as_u16() == 429 {
                Err(ActivityError::retryable(message))
            } else {
                Err(ActivityError::non_retryable(message))
            }
        }
        Err(e) => Err(ActivityError::retryable(e.to_string())),
    }
}

/// Records why the Temporal-owned lifecycle ended the attempt; the reason is also the step.
fn end_attempt(studio: &Studio, run_id: &str, agent_id: &str, end: PhaseEnd) -> PhaseEnd {
    move_phase(studio, run_id, agent_id, ExecutionWorkspacePhase::end);
    update(studio, run_id, agent_id, |s| {
        if !s.live_status.is_settled() {
            s.attempt_end = Some(end.reason());
        }
    });
    end
}

/// Why an attempt could not go on; its `Display` is the step it stopped at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AttemptStopped {
    /// The Temporal-owned lifecycle ended a phase.
    Lifecycle(PhaseEnd),
    /// The worktrees of the execution workspace could not be set up.
    Worktrees(worktree::WorktreeSetupError),
    /// The lifecycle ended the delivery of the workspace bootstrap assets.
    Bootstrap(PhaseEnd),
}

impl std::fmt::Display for AttemptStopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AttemptStopped::Lifecycle(end) | AttemptStopped::Bootstrap(end) => f.write_str(&end.reason()),
            AttemptStopped::Worktrees(e) => write!(f, "execution_workspace_unavailable: worktrees: {e}"),
        }
    }
}

impl std::error::Error for AttemptStopped {}

impl From<PhaseEnd> for AttemptStopped {
    fn from(end: PhaseEnd) -> Self {
        AttemptStopped::Lifecycle(end)
    }
}

/// The execution workspace an attempt leases: its name, its env, and the files
/// delivered into it before the agent process starts.
struct Workspace<'a> {
    name: &'a str,
    env: Value,
    bootstrap_assets: &'a [WorkspaceBootstrapAsset],
}

/// Leases the execution workspace, delivers its workspace bootstrap assets,
/// starts the agent process and reads its output, each phase under its
/// Temporal-owned deadline.
/// `Err` when the attempt cannot go on; it says where it stopped.
async fn drive(
    studio: &Studio,
    run_id: &str,
    agent_id: &str,
    attempt_no: u32,
    workspace: Workspace<'_>,
    command: &AttemptCommand,
    history: History,
) -> Result<(), AttemptStopped> {
    let Workspace { name, env, bootstrap_assets } = workspace;
    let base = &studio.config.daytona_url;
    let deadlines = &studio.config.lifecycle;
    let end = |e: PhaseEnd| end_attempt(studio, run_id, agent_id, e);
    if let (Some(sandbox_id), Some(process)) = (&history.sandbox_id, history.process.clone()) {
        let attempt = AgentAttempt {
            run_id: run_id.to_string(),
            agent_id: agent_id.to_string(),
            sandbox_id: sandbox_id.clone(),
            process_session: format!("agent-{agent_id}-a{attempt_no}"),
            command: command.clone(),
        };
        if let Some(end) = read_agent_process(studio, &attempt, process, history.spent_in(Phase::ProcessRun)).await? {
            finish(studio, &attempt, end).await;
        }
        return Ok(());
    }
    let sandbox_id = match history.sandbox_id.clone() {
        Some(sandbox_id) => sandbox_id,
        None => {
            let body = json!({
                "name": name,
                "env": &env,
                "labels": {"agentsquad.run": run_id, "agentsquad.agent": agent_id},
                "volumes": [],
            });
            let spent = history.spent_in(Phase::WorkspaceProvision);
            let sandbox = run_phase_since(Phase::WorkspaceProvision, deadlines, spent, RetryPolicy::DEFAULT, |_| {
                let create = HttpRequest::post(format!("{base}/api/sandbox")).json(&body);
                async move {
                    match daytona_activity(studio, create).await {
                        // An earlier try created it (its answer was lost, or its Studio crashed): found by its name.
                        Err(e) if e.message.starts_with("HTTP 409") => {
                            daytona_activity(studio, HttpRequest::get(format!("{base}/api/sandbox/{name}"))).await
                        }
                        created => created,
                    }
                }
            })
            .await
            .map_err(end)?;
            let [id, state] = sandbox.members(["id", "state"]);
            let sandbox_id = id.as_str().unwrap_or_default().to_string();
            let sandbox_state = state.as_str().unwrap_or_default().to_string();
            update(studio, run_id, agent_id, |s| s.execution_workspace = Some(sandbox_id.clone()));
            move_phase(studio, run_id, agent_id, |p| p.with_sandbox_state(&sandbox_state).enter(Phase::WorkspaceStart));
            sandbox_id
        }
    };
    // Wait for the sandbox to start, as the Daytona SDK does (poll about once a second).
    let (spent, polling) = (history.spent_in(Phase::WorkspaceStart), RetryPolicy::polling(Duration::from_secs(1)));
    let started = run_phase_since(Phase::WorkspaceStart, deadlines, spent, polling, |_| {
        workspace_started(studio, run_id, agent_id, &sandbox_id)
    })
    .await
    .map_err(end)?;
    if !started {
        return Ok(());
    }
    let toolbox = worktree::Toolbox::new(studio.http.clone(), base, &studio.config.daytona_api_key, &sandbox_id);
    worktree::prepare(&toolbox, &env).await.map_err(AttemptStopped::Worktrees)?;
    if !bootstrap_assets.is_empty() {
        deliver_bootstrap_assets(studio, run_id, agent_id, &toolbox, bootstrap_assets).await?;
    }
    update(studio, run_id, agent_id, |s| s.current_step = "starting_agent_process".to_string());
    let attempt = AgentAttempt {
        run_id: run_id.to_string(),
        agent_id: agent_id.to_string(),
        sandbox_id,
        process_session: format!("agent-{agent_id}-a{attempt_no}"),
        command: command.clone(),
    };
    let Some(mut end) = run_agent_process(studio, &attempt, &attempt.process_session).await? else {
        return Ok(());
    };
    // A process killed under the agent (Daytona's host crashed) is started again, resuming its session.
    for restart in 1..=PROCESS_RESTARTS {
        if !end.killed() {
            break;
        }
        let claude_session_id = read_session(studio, run_id, agent_id, |s| s.claude_session_id.clone()).flatten();
        let command = AttemptCommand {
            session_id: claude_session_id.or(attempt.command.session_id.clone()),
            resume: true,
            ..attempt.command.clone()
        };
        let restarted = AgentAttempt { command, ..attempt.clone() };
        let process_session = format!("{}-r{restart}", attempt.process_session);
        match run_agent_process(studio, &restarted, &process_session).await? {
            Some(next) => end = next,
            None => return Ok(()),
        }
    }
    finish(studio, &attempt, end).await;
    Ok(())
}

/// The Temporal-owned `workspace_bootstrap` phase: every asset delivered
/// through the toolbox (retried from the first one not yet delivered), and
/// what was delivered recorded on the session.
async fn deliver_bootstrap_assets(
    studio: &Studio,
    run_id: &str,
    agent_id: &str,
    toolbox: &worktree::Toolbox,
    assets: &[WorkspaceBootstrapAsset],
) -> Result<(), AttemptStopped> {
    move_phase(studio, run_id, agent_id, |p| p.enter(Phase::WorkspaceBootstrap));
    update(studio, run_id, agent_id, |s| s.current_step = "delivering_workspace_bootstrap_assets".to_string());
    let progress = std::sync::Mutex::new(Vec::new());
    let deadlines = &studio.config.lifecycle;
    let delivered = run_phase(Phase::WorkspaceBootstrap, deadlines, RetryPolicy::DEFAULT, |_| {
        bootstrap::deliver(studio, toolbox, assets, &progress)
    })
    .await
    .map_err(|e| AttemptStopped::Bootstrap(end_attempt(studio, run_id, agent_id, e)))?;
    update(studio, run_id, agent_id, |s| s.bootstrap_assets = delivered);
    Ok(())
}

/// How many times an attempt's agent process killed under it is started again
/// (model-defined: the Temporal-owned lifecycle retries it as a failed activity,
/// each run under the process-run deadline).
const PROCESS_RESTARTS: u32 = 3;

/// How an agent process ended: its exit code, where its output is, and how its
/// final event ended the attempt.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ProcessEnd {
    pub exit_code: i64,
    pub logs_url: String,
    /// The final event was an error result (or the process printed none).
    pub failed: bool,
    /// The no-progress report the final event carried.
    pub report: Option<NoProgressReport>,
}

impl ProcessEnd {
    /// The process was killed (SIGKILL, e.g. with Daytona's host) before it printed its final result.
    pub(crate) fn killed(&self) -> bool {
        self.exit_code == i64::from(squadsim_fakes::daytona::KILLED_EXIT_CODE) && self.report.is_none()
    }

    /// The process ended well: exit 0 and a final result that is no error.
    pub(crate) fn made_progress(&self) -> bool {
        self.exit_code == 0 && !self.failed && self.report.is_none()
    }
}

/// One agent attempt in its execution workspace: what a wall's retry reuses.
#[derive(Debug, Clone)]
pub(crate) struct AgentAttempt {
    pub run_id: String,
    pub agent_id: String,
    pub sandbox_id: String,
    /// The toolbox process session of the attempt's first process (a retry gets its own).
    pub process_session: String,
    pub command: AttemptCommand,
}

/// Runs `attempt.command` as a new process in the attempt's sandbox (in a new
/// process session `process_session`) and reads its output until it exits,
/// starting it and running it each under its Temporal-owned deadline.
/// `Some(end)`, or `None` if the session settled (e.g. the first-tool gate
/// blocked it) while it ran.
pub(crate) async fn run_agent_process(
    studio: &Studio,
    attempt: &AgentAttempt,
    process_session: &str,
) -> Result<Option<ProcessEnd>, PhaseEnd> {
    let (run_id, agent_id) = (attempt.run_id.as_str(), attempt.agent_id.as_str());
    let deadlines = &studio.config.lifecycle;
    let end = |e: PhaseEnd| end_attempt(studio, run_id, agent_id, e);
    let toolbox = format!("{}/toolbox/{}/process/session", studio.config.daytona_url, attempt.sandbox_id);
    let command_line = attempt.command.command_line();
    move_phase(studio, run_id, agent_id, |p| p.enter(Phase::ProcessStart));
    let started = run_phase(Phase::ProcessStart, deadlines, RetryPolicy::DEFAULT, |_| {
        let create = HttpRequest::post(toolbox.clone()).json(&json!({"sessionId": process_session}));
        let exec = HttpRequest::post(format!("{toolbox}/{process_session}/exec"))
            .json(&json!({"command": command_line, "runAsync": true}));
        async move {
            // The session is the attempt's own (its name says which): one already there is an earlier
            // try's, whose answer was lost, or the crashed Studio's, before this attempt was resumed.
            match daytona_activity(studio, create).await {
                Ok(_) => {}
                Err(e) if e.message.starts_with("HTTP 409") => {}
                Err(e) => return Err(e),
            }
            daytona_activity(studio, exec).await
        }
    })
    .await
    .map_err(end)?;
    let cmd_id = started.members(["cmdId"])[0].as_str().unwrap_or_default().to_string();
    let process =
        AgentProcessRead { command_url: format!("{toolbox}/{process_session}/command/{cmd_id}"), lines_read: 0 };
    update(studio, run_id, agent_id, |s| s.agent_process = Some(process.clone()));
    read_agent_process(studio, attempt, process, Duration::ZERO).await
}

/// Reads a started agent process (from the line `process` reached) until it
/// exits, under the process-run deadline: `Some(end)`, or `None` if the session
/// settled meanwhile.
async fn read_agent_process(
    studio: &Studio,
    attempt: &AgentAttempt,
    process: AgentProcessRead,
    spent: Duration,
) -> Result<Option<ProcessEnd>, PhaseEnd> {
    let (run_id, agent_id) = (attempt.run_id.as_str(), attempt.agent_id.as_str());
    let deadlines = &studio.config.lifecycle;
    let end = |e: PhaseEnd| end_attempt(studio, run_id, agent_id, e);
    let (adapter, process) = (attempt.command.adapter, &process);
    move_phase(studio, run_id, agent_id, |p| p.enter(Phase::ProcessRun));
    let ended = run_phase_since(Phase::ProcessRun, deadlines, spent, RetryPolicy::DEFAULT, |_| async move {
        Ok::<_, ActivityError>(read_until_exit(studio, run_id, agent_id, adapter, process).await)
    })
    .await
    .map_err(end)?;
    if ended.is_some() {
        move_phase(studio, run_id, agent_id, |_| ExecutionWorkspacePhase::ProcessExited);
    }
    Ok(ended)
}

/// One poll of a starting sandbox: `Ok(true)` once it is `started`, `Ok(false)` if the
/// session settled meanwhile (nothing more to wait for); an error state ends the phase.
async fn workspace_started(
    studio: &Studio,
    run_id: &str,
    agent_id: &str,
    sandbox_id: &str,
) -> Result<bool, ActivityError> {
    if settled(studio, run_id, agent_id) {
        return Ok(false);
    }
    let url = format!("{}/api/sandbox/{sandbox_id}", studio.config.daytona_url);
    let current = daytona_activity(studio, HttpRequest::get(url)).await?;
    let [state, reason] = current.members(["state", "errorReason"]);
    let state = state.as_str().unwrap_or_default();
    move_phase(studio, run_id, agent_id, |p| p.with_sandbox_state(state));
    match state {
        "started" => Ok(true),
        "error" | "build_failed" => {
            let reason = reason.as_str().unwrap_or_default();
            Err(ActivityError::non_retryable(format!("execution workspace {state}: {reason}")))
        }
        other => Err(ActivityError::retryable(format!("sandbox {sandbox_id} still {other}"))),
    }
}

/// Reads the agent process's output until it exits: `Some(end)`, or `None` if
/// the session settled first.
async fn read_until_exit(
    studio: &Studio,
    run_id: &str,
    agent_id: &str,
    adapter: AgentProcessAdapter,
    process: &AgentProcessRead,
) -> Option<ProcessEnd> {
    let command_url = process.command_url.as_str();
    let mut consumed = process.lines_read;
    // The final event read so far: whether it was an error, and its report.
    let mut last: Option<(bool, Option<NoProgressReport>)> = None;
    loop {
        squadsim_fakes::timer::sleep(studio.config.log_poll).await;
        if settled(studio, run_id, agent_id) {
            return None;
        }
        let Ok(logs) = daytona_activity(studio, HttpRequest::get(format!("{command_url}/logs"))).await else {
            continue;
        };
        // Daytona answers with everything printed so far: only what is new is read.
        let (mut fresh, mut ended) = (0usize, false);
        for line in unread(&logs.body, consumed).lines() {
            let ending = observe_line(studio, run_id, agent_id, adapter, line);
            ended = ending.is_some();
            last = ending.or(last);
            fresh += 1;
        }
        consumed += fresh;
        if fresh > 0 {
            update(studio, run_id, agent_id, |s| {
                if let Some(read) = s.agent_process.as_mut().filter(|read| read.command_url == command_url) {
                    read.lines_read = consumed;
                }
            });
        }
        // Ask for the exit code only when the output paused or ended with the result
        // event: a process that is still talking is still running.
        if fresh > 0 && !ended {
            continue;
        }
        let exit = daytona_activity(studio, HttpRequest::get(command_url.to_string()))
            .await
            .ok()
            .and_then(|r| r.members(["exitCode"])[0].as_i64());
        if let Some(exit_code) = exit {
            // Read what the process printed between the log read and its exit.
            if let Ok(rest) = daytona_activity(studio, HttpRequest::get(format!("{command_url}/logs"))).await {
                for line in unread(&rest.body, consumed).lines() {
                    last = observe_line(studio, run_id, agent_id, adapter, line).or(last);
                }
            }
            let (failed, report) = last.unwrap_or((true, None));
            return Some(ProcessEnd { exit_code, logs_url: format!("{command_url}/logs"), failed, report });
        }
    }
}

/// What of a process's `log` follows its first `consumed` lines, as text: the
/// lines of the whole log, decoded lossily, after skipping `consumed` of them
/// (`String::from_utf8_lossy(log).lines().skip(consumed)` gives the same lines).
/// Only the part not yet read is decoded: a poll is answered with the whole log.
fn unread(log: &[u8], consumed: usize) -> std::borrow::Cow<'_, str> {
    let start = match consumed.checked_sub(1) {
        None => 0,
        // The byte after the newline that ends the last line read; none: every line was read.
        Some(last) => memchr::memchr_iter(b'\n', log).nth(last).map_or(log.len(), |newline| newline + 1),
    };
    squadsim_fakes::net::lossy_text(&log[start..])
}

/// The process ended: the launch contract, then the lane's wall and the attempt's
/// own report, decide the session.
async fn finish(studio: &Studio, attempt: &AgentAttempt, end: ProcessEnd) {
    let (run_id, agent_id) = (attempt.run_id.as_str(), attempt.agent_id.as_str());
    let Some((settled, first_tool_made)) =
        read_session(studio, run_id, agent_id, |s| (s.live_status.is_settled(), s.first_tool_made()))
    else {
        return;
    };
    if settled {
        return;
    }
    if !first_tool_made {
        block(studio, run_id, agent_id, first_tool_required());
        return;
    }
    match walls::end_of_attempt(studio, attempt, end).await {
        Ok(end) if end.made_progress() => update(studio, run_id, agent_id, |s| {
            s.live_status = LiveStatus::SessionCompleted;
            s.current_step = "session_completed".to_string();
        }),
        Ok(end) => block(studio, run_id, agent_id, no_progress(agent_id, &end)),
        Err(standing) => block(studio, run_id, agent_id, standing),
    }
}

/// How an attempt that made no progress stands: the code of the agent's report,
/// or (an error end that carried no report) its lane wall's code, the blocker of
/// the lane's required result; a lane-less agent's unexplained failure has no
/// code, which the built-in invariants refuse rather than hide.
fn no_progress(agent_id: &str, end: &ProcessEnd) -> Standing {
    match &end.report {
        Some(report) => Standing::blocker(report.blocker_code, format!("work_stopped: {}", report.reason)),
        None => Standing {
            blocker: walls::wall_of(templates::role_of(agent_id)).map(Wall::blocker),
            wall: None,
            step: format!("agent_process_exited: {}", end.exit_code),
        },
    }
}

/// `canonical` of the tools each tool call of a line is checked against
/// (`tool_name::credits(server, name, tool)` is `canonical(server, name)` equal
/// to these), computed once rather than for every call.
static HUD_STATUS_TOOL: LazyLock<String> = LazyLock::new(|| tool_name::canonical(hud::SERVER_ID, hud::POST_HUD_STATUS));
static REQUIRED_FIRST_TOOL: LazyLock<String> = LazyLock::new(|| {
    let (server, required) = templates::REQUIRED_FIRST_TOOL;
    tool_name::canonical(server, required)
});

/// Reads one output line of the agent process into the session and the observability
/// feed; the attempt's final event (an error or not, and its no-progress report) if
/// it was that.
fn observe_line(
    studio: &Studio,
    run_id: &str,
    agent_id: &str,
    adapter: AgentProcessAdapter,
    line: &str,
) -> Option<(bool, Option<NoProgressReport>)> {
    let events = read_line(adapter, line);
    let ending = events.iter().find_map(|e| match e {
        OutputEvent::Result { is_error, report } => Some((*is_error, report.clone())),
        _ => None,
    });
    let (server, _) = templates::REQUIRED_FIRST_TOOL;
    studio.update_run(run_id, |run| {
        run.observability.runtime_logs += 1;
        if events.iter().any(|e| matches!(e, OutputEvent::Result { .. } | OutputEvent::ToolUse { .. })) {
            run.observability.events += 1;
        }
        let Some(s) = run.session_mut(agent_id) else {
            return;
        };
        if s.live_status.is_settled() {
            return;
        }
        for event in &events {
            match event {
                OutputEvent::SessionStarted(id) => {
                    s.current_step = "agent_session_started".to_string();
                    if s.claude_session_id.is_none() && !id.is_empty() {
                        s.claude_session_id = Some(id.clone());
                    }
                }
                OutputEvent::ToolUse { id, name, input } => {
                    s.tool_call_count += 1;
                    if tool_name::canonical(hud::SERVER_ID, name) == *HUD_STATUS_TOOL {
                        let status = input.get("status").and_then(Value::as_str).unwrap_or_default();
                        s.posting_hud_status = Some((id.clone(), status.to_string()));
                    }
                    s.current_step = format!("tool:{name}");
                    if !s.first_tool_made() && tool_name::canonical(server, name) == *REQUIRED_FIRST_TOOL {
                        s.first_tool_call = Some(id.clone());
                    }
                    if s.first_tool_made() && s.live_status == LiveStatus::WaitingFirstTool {
                        s.live_status = LiveStatus::Working;
                    }
                }
                // A call the workspace shim refused never left: it does not meet the launch contract.
                OutputEvent::ToolRefused { id, name } => {
                    s.refused_tool_calls.push(name.clone());
                    if s.first_tool_call.as_ref() == Some(id) {
                        s.first_tool_call = None;
                        if s.live_status == LiveStatus::Working {
                            s.live_status = LiveStatus::WaitingFirstTool;
                        }
                    }
                }
                OutputEvent::Skills(ids) => s.skill_ids = ids.clone(),
                // The Agent HUD stored the status once it answered the post without an error.
                OutputEvent::ToolResult { id, is_error } => {
                    if s.posting_hud_status.as_ref().is_some_and(|(posting, _)| posting == id) {
                        let (_, status) = s.posting_hud_status.take().unwrap_or_default();
                        if !is_error && !status.is_empty() {
                            s.agent_hud_status = Some(status);
                        }
                    }
                }
                OutputEvent::Palette(_) | OutputEvent::Result { .. } | OutputEvent::Other => {}
            }
        }
    });
    ending
}

/// Destroys the execution workspaces of a run's sessions; the sessions whose
/// sandbox Daytona confirmed destroyed go to `released`. Returns how many it confirmed.
pub(crate) async fn release_workspaces(studio: &Studio, run_id: &str, workspaces: &[(String, String)]) -> usize {
    let mut released = 0;
    for (agent_id, id) in workspaces {
        let request =
            HttpRequest::new(hyper::Method::DELETE, format!("{}/api/sandbox/{id}", studio.config.daytona_url));
        if daytona_activity(studio, request).await.is_ok() {
            released += 1;
            move_phase(studio, run_id, agent_id, |_| ExecutionWorkspacePhase::Released);
        }
    }
    released
}

#[cfg(test)]
mod log_tests {
    use super::unread;

    #[test]
    fn the_unread_part_of_a_log_holds_the_lines_after_those_read() {
        let logs: [&[u8]; 8] = [
            b"",
            b"one\ntwo\nthree\n",
            b"one\ntwo\nthree",
            b"one\r\ntwo\r\n\r\nfour\n",
            b"\n\n\n",
            b"caf\xc3\xa9\n\xff\xfe broken\nlast \xe2\x82",
            b"{\"type\":\"result\"}\n",
            b"no newline at all",
        ];
        for log in logs {
            let whole = String::from_utf8_lossy(log);
            for consumed in 0..6 {
                let expected: Vec<&str> = whole.lines().skip(consumed).collect();
                let text = unread(log, consumed);
                assert_eq!(text.lines().collect::<Vec<_>>(), expected, "{consumed} lines read of {whole:?}");
            }
        }
    }
}

#[cfg(test)]
mod credit_tests {
    use super::*;

    #[test]
    fn the_tools_kept_canonical_credit_as_credits_does() {
        let (server, required) = templates::REQUIRED_FIRST_TOOL;
        let mut names: Vec<String> = ["", "other", "mcp__x__y", "get-hud", "mcp__"].map(String::from).to_vec();
        for (s, tool) in [(server, required), (hud::SERVER_ID, hud::POST_HUD_STATUS)] {
            names.extend([
                tool.to_string(),
                tool.replace('_', "-"),
                tool_name::agent_facing_name(s, tool),
                tool_name::federated_wire_name(s, tool),
                tool_name::agent_facing_name(s, &tool_name::federated_wire_name(s, tool)),
                format!("{tool}x"),
            ]);
        }
        let (mut hud_credited, mut first_credited) = (0, 0);
        for name in &names {
            let hud = tool_name::credits(hud::SERVER_ID, name, hud::POST_HUD_STATUS);
            assert_eq!(tool_name::canonical(hud::SERVER_ID, name) == *HUD_STATUS_TOOL, hud, "{name}");
            let first = tool_name::credits(server, name, required);
            assert_eq!(tool_name::canonical(server, name) == *REQUIRED_FIRST_TOOL, first, "{name}");
            hud_credited += usize::from(hud);
            first_credited += usize::from(first);
        }
        assert!(hud_credited >= 5 && first_credited >= 5, "{hud_credited} {first_credited}");
    }
}

#[cfg(test)]
mod process_end_tests {
    use super::*;

    #[test]
    fn a_process_made_progress_only_with_exit_0_and_a_final_result_that_is_neither_an_error_nor_a_report() {
        let end = |exit_code: i64, failed: bool, reported: bool| ProcessEnd {
            exit_code,
            logs_url: String::new(),
            failed,
            report: reported.then(|| NoProgressReport {
                blocker_code: BlockerCode::AgentFirstToolRequired,
                reason: "get_hud_snapshot answered 502".into(),
            }),
        };
        assert!(end(0, false, false).made_progress());
        assert!(!end(1, false, false).made_progress(), "a non-zero exit");
        assert!(!end(0, true, false).made_progress(), "an error result");
        assert!(!end(0, false, true).made_progress(), "a no-progress report");
        // Killed: SIGKILL's exit code, before any final report.
        let sigkill = i64::from(squadsim_fakes::daytona::KILLED_EXIT_CODE);
        assert!(end(sigkill, true, false).killed());
        assert!(!end(sigkill, true, true).killed(), "it reported before it died");
        assert!(!end(1, true, false).killed());
    }
}
