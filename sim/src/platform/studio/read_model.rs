//! Read models: run, session-state, reports (a list, one entry per tick),
//! handoff-trail, templates.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::api::{detail, Tenant};
use super::wire::{
    HandoffView, RosterAgent, RunControlView, RunView, SessionStateView, SessionView, TemplateView, TickReportView,
};
use super::{Run, Studio};
use crate::platform::agent_server::Handoff;
use crate::{base::identity, base::templates};

/// The run of a tenant, or FastAPI's 404.
pub(crate) fn find_run(studio: &Studio, tenant: &Tenant, run_id: &str) -> Result<Run, Response> {
    match studio.run(run_id) {
        Some(run) if run.tenant_id == tenant.0 => Ok(run),
        _ => Err(detail(StatusCode::NOT_FOUND, format!("Run '{run_id}' not found"))),
    }
}

pub(crate) fn run_view(run: &Run) -> RunView {
    RunView {
        run_id: run.run_id.clone(),
        tenant_id: run.tenant_id.clone(),
        template_id: run.template_id.clone(),
        project_slug: run.project_slug.clone(),
        delivery_graph_kind: run.delivery_graph_kind.clone(),
        status: run.status().as_str().to_string(),
        agent_roster: run
            .sessions
            .iter()
            .map(|s| RosterAgent {
                agent_id: s.agent_id.clone(),
                role_id: s.role_id.clone(),
                agent_nickname: s.agent_nickname.clone(),
                user_principal_name: identity::user_principal_name(&s.role_id),
                subject_key: identity::user_principal_name(&s.role_id),
                identity_binding_mode: identity::IDENTITY_BINDING_MODE.to_string(),
                secret_lease_ref: identity::secret_lease_ref(&s.role_id),
                skill_ids: Vec::new(),
                mcp_server_ids: Vec::new(),
            })
            .collect(),
        pending_run_control: run
            .pending_run_control
            .as_ref()
            .map(|p| RunControlView { command: p.command.clone(), scheduled_at: p.scheduled_at.clone() }),
    }
}

pub(crate) fn session_state_view(run: &Run) -> SessionStateView {
    SessionStateView {
        run_id: run.run_id.clone(),
        status: run.status().as_str().to_string(),
        run_control_state: if run.is_executing() { "executing" } else { "idle" }.to_string(),
        sessions: run
            .sessions
            .iter()
            .map(|s| SessionView {
                agent_id: s.agent_id.clone(),
                role_id: s.role_id.clone(),
                live_status: s.live_status.as_str().to_string(),
                current_step: s.current_step.clone(),
                blocker_code: s.blocker_code.map(|b| b.as_str().to_string()),
                wall_code: s.wall_code.map(|w| w.code().to_string()),
                session_id: s.session_id.clone(),
                claude_session_id: s.claude_session_id.clone(),
                tool_call_count: s.tool_call_count,
                mcp_server_ids: s.mcp_server_ids.clone(),
                skill_ids: s.skill_ids.clone(),
                agent_hud_status: s.agent_hud_status.clone(),
                execution_workspace_phase: s.execution_workspace_phase.as_ref().map(|p| p.label()),
            })
            .collect(),
    }
}

pub(crate) async fn templates() -> Response {
    let list: Vec<TemplateView> = templates::TEMPLATES
        .iter()
        .map(|t| TemplateView {
            template_id: t.template_id.to_string(),
            description: t.description.to_string(),
            delivery_graph_kind: t.delivery_graph_kind.to_string(),
            intake_roles: t.intake_roles.iter().map(|r| r.to_string()).collect(),
        })
        .collect();
    Json(list).into_response()
}

pub(crate) async fn get_run(State(studio): State<Arc<Studio>>, tenant: Tenant, Path(run_id): Path<String>) -> Response {
    match find_run(&studio, &tenant, &run_id) {
        Ok(run) => Json(run_view(&run)).into_response(),
        Err(r) => r,
    }
}

pub(crate) async fn session_state(
    State(studio): State<Arc<Studio>>,
    tenant: Tenant,
    Path(run_id): Path<String>,
) -> Response {
    match find_run(&studio, &tenant, &run_id) {
        Ok(run) => Json(session_state_view(&run)).into_response(),
        Err(r) => r,
    }
}

pub(crate) async fn reports(State(studio): State<Arc<Studio>>, tenant: Tenant, Path(run_id): Path<String>) -> Response {
    match find_run(&studio, &tenant, &run_id) {
        Ok(run) => {
            let list: Vec<TickReportView> = run
                .reports
                .iter()
                .map(|r| TickReportView {
                    tick: r.tick,
                    status: r.status.as_str().to_string(),
                    generated_at: r.generated_at.clone(),
                    blockers: r.blockers.iter().map(|b| b.as_str().to_string()).collect(),
                })
                .collect();
            Json(list).into_response()
        }
        Err(r) => r,
    }
}

/// The handoff trail, as the LangGraph Agent Server's graph state holds it.
pub(crate) async fn handoff_trail(
    State(studio): State<Arc<Studio>>,
    tenant: Tenant,
    Path(run_id): Path<String>,
) -> Response {
    let run = match find_run(&studio, &tenant, &run_id) {
        Ok(run) => run,
        Err(r) => return r,
    };
    let url = format!("{}/threads/{}/state", studio.config.agent_server_url, run.run_id);
    let handoffs = match studio.http.send(squadsim_fakes::net::HttpRequest::get(url)).await {
        Ok(r) if r.status.is_success() => r.nested_value(&["values", "handoffs"]),
        _ => return detail(StatusCode::BAD_GATEWAY, "LangGraph Agent Server did not answer"),
    };
    let handoffs: Vec<Handoff> = serde_json::from_value(handoffs).unwrap_or_default();
    let trail: Vec<HandoffView> = handoffs
        .into_iter()
        .map(|h| HandoffView {
            sender_agent_id: h.sender_agent_id,
            recipient_agent_id: h.recipient_agent_id,
            handoff_intent: h.handoff_intent,
            required_result: h.required_result,
            delivery_reference: h.delivery_reference,
            fallback_wall: h.fallback_wall,
        })
        .collect();
    Json(serde_json::json!({"run_id": run.run_id, "handoffs": trail})).into_response()
}
