//! The Studio API's wire shapes: the boundary where legacy field names live.
//!
//! Inside the model the delivery graph kind is `delivery_graph_kind`; on the wire
//! the Studio run/template/session metadata still calls it `runtime_kind`
//! (`docs/seeds.md`, delivery-language seed: "Studio run/template/session metadata `runtime_kind`
//! means delivery graph kind"). Only this module spells the legacy name.

use serde::{Deserialize, Serialize};

/// The wire name of the delivery graph kind field, for error locations.
pub(crate) const DELIVERY_GRAPH_KIND_FIELD: &str = "runtime_kind";

/// One template in `GET /templates`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct TemplateView {
    pub template_id: String,
    pub description: String,
    #[serde(rename = "runtime_kind")]
    pub delivery_graph_kind: String,
    pub intake_roles: Vec<String>,
}

/// `POST /v1/admin/studio/runs` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct LaunchRequest {
    pub template_id: String,
    pub project_slug: String,
    /// Legacy wire name of the delivery graph kind.
    #[serde(rename = "runtime_kind")]
    pub delivery_graph_kind: String,
    #[serde(default)]
    pub work_scope: String,
    #[serde(default)]
    pub next_goal: String,
}

/// One agent of the roster, as the runbook shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct RosterAgent {
    pub agent_id: String,
    pub role_id: String,
    pub agent_nickname: String,
    pub user_principal_name: String,
    pub subject_key: String,
    pub identity_binding_mode: String,
    pub secret_lease_ref: String,
    /// Empty in the roster view: the loadout resolves at session launch.
    pub skill_ids: Vec<String>,
    pub mcp_server_ids: Vec<String>,
}

/// A run as `GET /runs/{run_id}` and the launch answer show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct RunView {
    pub run_id: String,
    pub tenant_id: String,
    pub template_id: String,
    pub project_slug: String,
    #[serde(rename = "runtime_kind")]
    pub delivery_graph_kind: String,
    pub status: String,
    pub agent_roster: Vec<RosterAgent>,
    #[serde(rename = "pendingRunControl")]
    pub pending_run_control: Option<RunControlView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct RunControlView {
    pub command: String,
    pub scheduled_at: String,
}

/// One session in `GET .../session-state`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct SessionView {
    pub agent_id: String,
    pub role_id: String,
    pub live_status: String,
    pub current_step: String,
    pub blocker_code: Option<String>,
    /// The mechanical wall the session stands at, if its retry fell short.
    #[serde(default)]
    pub wall_code: Option<String>,
    pub session_id: String,
    pub claude_session_id: Option<String>,
    pub tool_call_count: u32,
    /// The loadout as it resolved at session launch (the roster view keeps these empty).
    #[serde(default)]
    pub mcp_server_ids: Vec<String>,
    #[serde(default)]
    pub skill_ids: Vec<String>,
    /// The status the agent last posted to the Agent HUD. Legacy payloads name it
    /// `BOARD_STATUS`, a wire-compatible alias this adapter reads (delivery-language
    /// seed: "only payload adapters should preserve BOARD_STATUS"); it is written
    /// under its canonical name only.
    #[serde(rename = "AGENT_HUD_STATUS", alias = "BOARD_STATUS", default)]
    pub agent_hud_status: Option<String>,
    /// Where the session's execution workspace is: the sandbox's state through the
    /// Temporal-owned phases (none before the session's first attempt).
    #[serde(rename = "executionWorkspacePhase", default)]
    pub execution_workspace_phase: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct SessionStateView {
    pub run_id: String,
    pub status: String,
    /// `executing` while a run control's ticks are going on, else `idle`.
    pub run_control_state: String,
    pub sessions: Vec<SessionView>,
}

/// One tick's report in `GET .../reports` (a list).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct TickReportView {
    pub tick: u32,
    pub status: String,
    pub generated_at: String,
    pub blockers: Vec<String>,
}

/// One handoff in `GET .../handoff-trail`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct HandoffView {
    pub sender_agent_id: String,
    pub recipient_agent_id: String,
    pub handoff_intent: String,
    pub required_result: String,
    pub delivery_reference: Option<String>,
    pub fallback_wall: Option<String>,
}

/// `POST .../execute`, `.../control`, `.../replay` answer: the scheduled run control.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ScheduledView {
    pub run_id: String,
    pub status: String,
    #[serde(rename = "pendingRunControl")]
    pub pending_run_control: RunControlView,
}

/// `POST .../control` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ControlRequest {
    pub command: String,
}

#[cfg(test)]
mod tests {
    use super::SessionView;
    use serde_json::json;

    fn session(status_field: &str) -> serde_json::Value {
        json!({
            "agent_id": "planner", "role_id": "planner", "live_status": "working", "current_step": "tool:x",
            "blocker_code": null, "session_id": "sess-1", "claude_session_id": null, "tool_call_count": 1,
            status_field: "working",
        })
    }

    #[test]
    fn the_adapter_reads_the_legacy_board_status_as_the_agent_hud_status_and_writes_only_the_canonical_name() {
        for field in ["AGENT_HUD_STATUS", "BOARD_STATUS"] {
            let view: SessionView = serde_json::from_value(session(field)).expect(field);
            assert_eq!(view.agent_hud_status.as_deref(), Some("working"), "{field}");
            let written = serde_json::to_value(&view).expect("serializes");
            assert_eq!(written["AGENT_HUD_STATUS"], "working");
            assert!(written.get("BOARD_STATUS").is_none(), "{written}");
        }
    }
}
