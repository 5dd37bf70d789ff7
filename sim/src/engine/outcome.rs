//! What a run produces (`docs/design.md`, "What a run produces"): status, sessions,
//! walls, handoffs, delivery references, observability counts, run-control
//! events and the operator's HTTP results. This is what snapshots pin.
//!
//! Guarantees: built only from the modelled services' state and the operator's
//! observations after the simulation; ordered deterministically (roster order,
//! arrival order), so one scenario and seed render byte-identical text.
//!
//! How to read a run's status: `completed` only when every session is
//! `session_completed` and `delivery_graph` is `at_end` (the LangGraph Agent
//! Server's judgement of the template's graph); `blocked` when a session is
//! blocked (its `blocker_code` and `current_step` say why) or when every session
//! settled but the graph stopped short or could not be read (`delivery_graph`
//! says why). Blocker codes are the seeds' or model-defined
//! (`squadsim_conformance::vocabulary::BlockerCode::origin`); the model-defined
//! ones are `memory_tool_contract_required`, `evidence_attachment_required`,
//! `lineage_evidence_required`, `handoff_not_delivered` and
//! `delivery_reference_unreadable`.

use std::time::Duration;

use serde::Serialize;
use squadsim_fakes::contextforge::ContextForge;
use squadsim_fakes::glitchtip::GlitchtipFake;

use crate::base::clock::seconds_label;
use crate::base::topology::GLITCHTIP_ORG;
use crate::engine::operator::{OperatorCall, OperatorLog};
use crate::engine::services::ServicesError;
use crate::platform::agent_server::{CheckpointStore, Handoff};
use crate::platform::studio::bootstrap::DeliveredAsset;
use crate::platform::studio::walls::WallOutcome;
use crate::platform::studio::{ObservabilityFeed, Studio};
use crate::scenario::Scenario;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    pub scenario: String,
    pub seed: u64,
    /// Whether the operator got through every step within the scenario's horizon.
    pub finished: bool,
    /// Why the run did not reach its end (not built, the horizon passed, ...), if it did not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<RunError>,
    /// Simulated time the whole scenario took.
    pub simulated: String,
    pub operator: Vec<OperatorCall>,
    pub run: Option<RunOutcome>,
    pub sessions: Vec<SessionOutcome>,
    pub walls: Vec<WallOutcome>,
    pub handoff_trail: Vec<Handoff>,
    /// Delivery references proven against GitHub, with their author and merge decision.
    pub delivery_references: Vec<crate::platform::studio::delivery::DeliveryReference>,
    pub observability: ObservabilityFeed,
    pub gateway: GatewayOutcome,
    pub run_control: Vec<String>,
    /// With `launch.count` > 1: every run after the first (which is `run` and
    /// `sessions`), in launch order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub concurrent_runs: Vec<ConcurrentRun>,
    /// With labelled launches: every labelled launch's run under its label, in
    /// launch order (the first is also `run`, `sessions`, `walls`, ...). A launch
    /// that got no run is kept with `run: null`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub runs: Vec<LabelledRun>,
    /// The faults the schedule applied, with simulated times (empty: none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<String>,
    /// The declared faults that never began, each with why (its time came after
    /// the run ended; its event never happened): the run tested the world without them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub faults_never_began: Vec<String>,
    /// The runbook's diagnosis of a first-tool block, from the services' state
    /// after the run (none when no session is blocked by the launch contract).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diagnosis: Option<crate::engine::diagnosis::Diagnosis>,
    /// The platform agent's provisioning, symptoms and divergence report (with `world.platform_agent`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform_agent: Option<crate::platform::platform_agent::PlatformAgentOutcome>,
    /// The issues GlitchTip holds for the run's project after the run, each `<title>
    /// (<level>, <n> events)`, by issue id (empty: none, e.g. nothing was ingested).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub project_issues: Vec<String>,
}

/// One of several runs launched at once, in brief.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConcurrentRun {
    pub run_id: String,
    pub status: String,
    /// The roster's size.
    pub sessions: usize,
    /// The distinct blocker codes of its sessions, sorted.
    pub blockers: Vec<String>,
}

/// A labelled launch's run: what the outcome says of a run, under its label.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabelledRun {
    pub label: String,
    /// `None`: the launch got no run (refused, or no answer).
    pub run: Option<RunOutcome>,
    pub sessions: Vec<SessionOutcome>,
    pub walls: Vec<WallOutcome>,
    pub handoff_trail: Vec<Handoff>,
    pub delivery_references: Vec<crate::platform::studio::delivery::DeliveryReference>,
}

impl LabelledRun {
    /// The run's status, or `not_launched` when the launch got no run.
    pub fn status(&self) -> &str {
        self.run.as_ref().map_or("not_launched", |r| r.status.as_str())
    }

    /// The distinct blocker codes of its sessions, sorted.
    pub fn blockers(&self) -> Vec<String> {
        distinct(self.sessions.iter().filter_map(|s| s.blocker_code.clone()))
    }

    /// The distinct walls its sessions stand at, sorted.
    pub fn standing_walls(&self) -> Vec<String> {
        distinct(self.sessions.iter().filter_map(|s| s.wall_code.clone()))
    }
}

/// `items` sorted, each once.
fn distinct(items: impl Iterator<Item = String>) -> Vec<String> {
    let mut items: Vec<String> = items.collect();
    items.sort();
    items.dedup();
    items
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunOutcome {
    pub run_id: String,
    pub status: String,
    pub template_id: String,
    pub project_slug: String,
    pub delivery_graph_kind: String,
    /// The status of each per-tick report, in order.
    pub reports: Vec<String>,
    /// How far the delivery graph got, as the LangGraph Agent Server judged it:
    /// `at_end`, `stopped_short: <why>`, `working`, `not_routed` (never executed)
    /// or `unread: <why>` (the Studio could not ask).
    pub delivery_graph: String,
    /// Whether scaffolding provisioned the project's GlitchTip DSN (`provisioned`, or
    /// `not provisioned: <why>`).
    pub observability_dsn: String,
    /// The runtime binding every attempt went through, when it is not the default cliproxy runtime.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime_binding: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionOutcome {
    pub agent_id: String,
    pub role_id: String,
    pub agent_nickname: String,
    pub live_status: String,
    /// Where the session is, or (blocked) where it stopped: `first_tool_gate`,
    /// `wall_retry`, `work_stopped: <the agent's reason>`, `delivery_proof: <why>`.
    pub current_step: String,
    /// Why a blocked session is blocked: a seed code or a model-defined one.
    pub blocker_code: Option<String>,
    /// The mechanical wall the session stands at (its retry fell short), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wall_code: Option<String>,
    pub session_id: String,
    pub claude_session_id: Option<String>,
    pub tool_call_count: u32,
    /// The status the agent last posted to the Agent HUD (`AGENT_HUD_STATUS`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_hud_status: Option<String>,
    /// Where the session's execution workspace is (`executionWorkspacePhase`): the
    /// Temporal-owned phase with the sandbox state Daytona last reported, or how the
    /// attempt left it (`process_exited`, `<phase> ended`, `released`); none before any attempt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution_workspace_phase: Option<String>,
    /// Why the Temporal-owned lifecycle ended the session's latest attempt, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempt_end: Option<String>,
    /// The skills the session's loadout got from the skill poll-pull.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skill_ids: Vec<String>,
    /// Tool calls (agent-facing names) the workspace shim refused before they left:
    /// no wildcard of the loadout's allow-list admits them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub refused_tool_calls: Vec<String>,
    /// The workspace bootstrap assets delivered into the latest attempt's execution
    /// workspace, each with its mode as the Daytona toolbox reported it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub bootstrap_assets: Vec<DeliveredAsset>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GatewayOutcome {
    pub tool_calls: u64,
    /// 401s in the gateway log.
    pub auth_failures: usize,
}

impl Outcome {
    /// The YAML text snapshots pin.
    pub fn to_yaml(&self) -> String {
        serde_yaml::to_string(self).expect("an outcome is plain data with string keys: it always serializes")
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("an outcome is plain data with string keys: it always serializes")
    }

    /// The launch's HTTP status; `None` for no launch or no response (HTTP 000).
    pub fn launch_http_status(&self) -> Option<u16> {
        self.operator.iter().find(|c| c.step == "launch").and_then(|c| c.http_status)
    }

    /// The launch as the summaries print it: its HTTP status, `000` for no answer
    /// (curl's notation), or `none` when the scenario has no launch step.
    pub fn launch_label(&self) -> String {
        match self.operator.iter().find(|c| c.step == "launch") {
            None => "none".to_string(),
            Some(c) => c.http_status.map(|s| s.to_string()).unwrap_or_else(|| "000".into()),
        }
    }

    /// The distinct blocker codes of the sessions, sorted.
    pub fn blockers(&self) -> Vec<String> {
        distinct(self.sessions.iter().filter_map(|s| s.blocker_code.clone()))
    }

    /// The distinct walls sessions stand at (their wall's retry fell short), sorted.
    pub fn standing_walls(&self) -> Vec<String> {
        distinct(self.sessions.iter().filter_map(|s| s.wall_code.clone()))
    }

    /// The compact JSON of `squadsim run --json`.
    pub fn summary_json(&self) -> serde_json::Value {
        serde_json::json!({
            "scenario": self.scenario,
            "seed": self.seed,
            "finished": self.finished,
            "run_status": self.run.as_ref().map(|r| r.status.clone()),
            "launch_http_status": self.launch_http_status(),
            "sessions": self.sessions.iter().map(|s| serde_json::json!({
                "role_id": s.role_id,
                "live_status": s.live_status,
                "blocker_code": s.blocker_code,
                "wall_code": s.wall_code,
            })).collect::<Vec<_>>(),
            "walls": self.walls,
            "outcome": self.to_json(),
        })
    }
}

/// Why a run did not reach its end. A run with one is never green: `squadsim
/// run` fails it (exit 2 for [`RunError::NotBuilt`], 1 otherwise) whatever its
/// snapshot says, and a sweep fails the seed whatever its invariants say.
/// Serialized as its message (the outcome's `error:`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunError {
    /// The world could not be built (a fake refused its config): nothing ran.
    NotBuilt(ServicesError),
    /// The horizon passed before the operator got through its steps.
    NotFinished(Unfinished),
    /// The simulation stopped on an error of its own (a host's software failed).
    Stopped(String),
    /// The simulation panicked (caught per scenario by `squadsim run` and per seed by sweeps).
    Panicked(String),
}

/// What was still running when the horizon passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unfinished {
    /// The scenario's `world.horizon`.
    pub horizon: Duration,
    /// The operator step in progress, e.g. `steps[2] (watch)`.
    pub step: Option<String>,
    /// The launched run's sessions that had not settled (neither completed nor
    /// blocked), as `<agent id> (<live_status> at <current_step>)`.
    pub unsettled: Vec<String>,
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::NotBuilt(e) => write!(f, "the world could not be built: {e}"),
            RunError::NotFinished(u) => {
                write!(f, "did not finish: the horizon ({}) passed", seconds_label(u.horizon))?;
                match &u.step {
                    Some(step) => write!(f, " while the operator was at {step}")?,
                    None => write!(f, " before the operator's first step")?,
                }
                if u.unsettled.is_empty() {
                    write!(f, "; no session was still running")
                } else {
                    write!(f, "; sessions not settled: {}", u.unsettled.join(", "))
                }
            }
            RunError::Stopped(e) => write!(f, "the simulation stopped: {e}"),
            RunError::Panicked(e) => write!(f, "panicked: {e}"),
        }
    }
}

impl std::error::Error for RunError {}

impl serde::Serialize for RunError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// The outcome of a run of `scenario` that never started (its world could not
/// be built, or the simulation panicked): nothing ran, and `error` says why.
pub fn nothing_ran(scenario: &Scenario, error: RunError) -> Outcome {
    Outcome { error: Some(error), ..Outcome::empty(scenario.name.clone(), scenario.seed) }
}

impl Outcome {
    /// An outcome with nothing in it: not finished, no error, no time simulated, no
    /// run, session, wall, fault or call. What [`nothing_ran`] starts from.
    pub(crate) fn empty(scenario: String, seed: u64) -> Outcome {
        Outcome {
            scenario,
            seed,
            finished: false,
            error: None,
            simulated: seconds_label(Duration::ZERO),
            operator: Vec::new(),
            run: None,
            sessions: Vec::new(),
            walls: Vec::new(),
            handoff_trail: Vec::new(),
            delivery_references: Vec::new(),
            observability: Default::default(),
            gateway: GatewayOutcome { tool_calls: 0, auth_failures: 0 },
            run_control: Vec::new(),
            concurrent_runs: Vec::new(),
            runs: Vec::new(),
            faults: Vec::new(),
            faults_never_began: Vec::new(),
            diagnosis: None,
            platform_agent: None,
            project_issues: Vec::new(),
        }
    }
}

/// The issues GlitchTip holds for project `slug` of the platform's organization, as
/// [`Outcome::project_issues`] shows them.
pub(crate) fn project_issues(glitchtip: &GlitchtipFake, slug: &str) -> Vec<String> {
    let project = format!("{GLITCHTIP_ORG}/{slug}");
    glitchtip
        .issues()
        .into_iter()
        .filter(|i| i.project == project)
        .map(|i| format!("{} ({}, {} events)", i.title, i.level, i.count))
        .collect()
}

/// The outcome of a run, read from the services' state and the operator's log
/// after the simulation (the fault log, the diagnosis and the platform agent's
/// section are the world's to add).
pub(crate) fn collect(
    scenario: &Scenario,
    studio: &Studio,
    gateway: &ContextForge,
    checkpoints: &CheckpointStore,
    log: OperatorLog,
    simulated: Duration,
) -> Outcome {
    let run = log.run_id.as_ref().and_then(|id| studio.run(id));
    let read = |run: &crate::platform::studio::Run| ReadRun::of(studio, checkpoints, run);
    let runs = log
        .labelled
        .iter()
        .map(|(label, id)| {
            let read = id.as_ref().and_then(|id| studio.run(id)).as_ref().map(read).unwrap_or_default();
            LabelledRun {
                label: label.clone(),
                run: read.run,
                sessions: read.sessions,
                walls: read.walls,
                handoff_trail: read.handoff_trail,
                delivery_references: read.delivery_references,
            }
        })
        .collect();
    let first = run.as_ref().map(read).unwrap_or_default();
    Outcome {
        scenario: scenario.name.clone(),
        seed: scenario.seed,
        finished: log.finished,
        error: None,
        simulated: seconds_label(simulated),
        operator: log.calls,
        run: first.run,
        sessions: first.sessions,
        walls: first.walls,
        handoff_trail: first.handoff_trail,
        delivery_references: first.delivery_references,
        observability: run.as_ref().map(|r| r.observability).unwrap_or_default(),
        gateway: GatewayOutcome {
            tool_calls: gateway.tool_calls(),
            auth_failures: gateway.auth_failure_count() as usize,
        },
        run_control: run
            .as_ref()
            .map(|r| {
                r.run_control_events
                    .iter()
                    .map(|e| {
                        format!("{} {} {}", seconds_label(Duration::from_millis(e.at_ms)), e.event, e.detail)
                            .trim_end()
                            .to_string()
                    })
                    .collect()
            })
            .unwrap_or_default(),
        // Labelled launches' runs are under `runs`, not here.
        concurrent_runs: log
            .run_ids
            .iter()
            .skip(1)
            .filter(|_| log.labelled.is_empty())
            .filter_map(|id| studio.run(id))
            .map(|r| {
                let mut blockers: Vec<String> =
                    r.sessions.iter().filter_map(|s| s.blocker_code.map(|b| b.as_str().to_string())).collect();
                blockers.sort();
                blockers.dedup();
                ConcurrentRun {
                    run_id: r.run_id.clone(),
                    status: r.status().as_str().to_string(),
                    sessions: r.sessions.len(),
                    blockers,
                }
            })
            .collect(),
        runs,
        faults: Vec::new(),
        faults_never_began: Vec::new(),
        diagnosis: None,
        platform_agent: None,
        project_issues: Vec::new(),
    }
}

/// What the outcome says of one run, read from the Studio and the Agent Server's checkpoints.
#[derive(Default)]
struct ReadRun {
    run: Option<RunOutcome>,
    sessions: Vec<SessionOutcome>,
    walls: Vec<WallOutcome>,
    handoff_trail: Vec<Handoff>,
    delivery_references: Vec<crate::platform::studio::delivery::DeliveryReference>,
}

impl ReadRun {
    fn of(studio: &Studio, checkpoints: &CheckpointStore, r: &crate::platform::studio::Run) -> ReadRun {
        ReadRun {
            run: Some(RunOutcome {
                run_id: r.run_id.clone(),
                status: r.status().as_str().to_string(),
                template_id: r.template_id.clone(),
                project_slug: r.project_slug.clone(),
                delivery_graph_kind: r.delivery_graph_kind.clone(),
                reports: r.reports.iter().map(|t| t.status.as_str().to_string()).collect(),
                delivery_graph: r.delivery_graph.label(),
                observability_dsn: r.observability_dsn.label(),
                runtime_binding: (!studio.config.runtime_binding.is_default())
                    .then(|| studio.config.runtime_binding.name().to_string()),
            }),
            sessions: r
                .sessions
                .iter()
                .map(|s| SessionOutcome {
                    agent_id: s.agent_id.clone(),
                    role_id: s.role_id.clone(),
                    agent_nickname: s.agent_nickname.clone(),
                    live_status: s.live_status.as_str().to_string(),
                    current_step: s.current_step.clone(),
                    blocker_code: s.blocker_code.map(|b| b.as_str().to_string()),
                    wall_code: s.wall_code.map(|w| w.code().to_string()),
                    session_id: s.session_id.clone(),
                    claude_session_id: s.claude_session_id.clone(),
                    tool_call_count: s.tool_call_count,
                    agent_hud_status: s.agent_hud_status.clone(),
                    execution_workspace_phase: s.execution_workspace_phase.as_ref().map(|p| p.label()),
                    attempt_end: s.attempt_end.clone(),
                    skill_ids: s.skill_ids.clone(),
                    refused_tool_calls: s.refused_tool_calls.clone(),
                    bootstrap_assets: s.bootstrap_assets.clone(),
                })
                .collect(),
            walls: r.walls.clone(),
            handoff_trail: checkpoints.latest(&r.run_id).map(|g| g.handoffs).unwrap_or_default(),
            delivery_references: r.delivery_references.clone(),
        }
    }
}
