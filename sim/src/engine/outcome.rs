//! What a run produces (DESIGN, "What a run produces"): status, sessions,
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

use serde::Serialize;

use crate::engine::operator::OperatorCall;
use crate::platform::agent_server::Handoff;
use crate::platform::studio::ObservabilityFeed;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    pub scenario: String,
    pub seed: u64,
    /// Whether the operator got through every step within the scenario's horizon.
    pub finished: bool,
    /// Why the run did not reach its end (not built, the horizon passed, ...), if it did not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<crate::engine::world::RunError>,
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
    /// The faults the schedule applied, with simulated times (empty: none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<String>,
    /// The runbook's diagnosis of a first-tool block, from the services' state
    /// after the run (none when no session is blocked by the launch contract).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diagnosis: Option<crate::engine::diagnosis::Diagnosis>,
    /// The platform agent's provisioning, symptoms and divergence report (with `world.platform_agent`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform_agent: Option<crate::platform::platform_agent::PlatformAgentOutcome>,
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
}

/// A mechanical wall that fired: which, why, which fallback, and the retry's outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WallOutcome {
    pub wall: String,
    pub agent_id: String,
    pub reason: String,
    pub fallback: String,
    pub retry_outcome: String,
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
        serde_yaml::to_string(self).unwrap_or_default()
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
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
        let mut b: Vec<String> = self.sessions.iter().filter_map(|s| s.blocker_code.clone()).collect();
        b.sort();
        b.dedup();
        b
    }

    /// The distinct walls sessions stand at (their wall's retry fell short), sorted.
    pub fn standing_walls(&self) -> Vec<String> {
        let mut w: Vec<String> = self.sessions.iter().filter_map(|s| s.wall_code.clone()).collect();
        w.sort();
        w.dedup();
        w
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
