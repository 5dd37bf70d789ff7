//! The Agent HUD grid (`fractalops-hud`): the compact human/control read model
//! (status, wall, blocker, mailbox) exposed to agents as MCP tools with bare
//! names. `send_handoff` writes a handoff into the LangGraph Agent Server's
//! mailbox over HTTP; the HUD keeps no delivery state of its own.
//!
//! Guarantee: a handoff missing any of its six fields (`sender_agent_id`,
//! `recipient_agent_id`, `handoff_intent`, `required_result`,
//! `delivery_reference`, `fallback_wall`; the last two may be null) is refused
//! with `isError`, never forwarded.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method};
use axum::response::Response;
use axum::routing::any;
use axum::Router;
use serde_json::{json, Value};
use squadsim_conformance::vocabulary::{BlockerCode, Wall};
use squadsim_fakes::mcp::{self, CallContext, ToolFuture, ToolHost, ToolOutcome, ToolSpec};
use squadsim_fakes::net::{HttpClient, HttpRequest};

use crate::base::templates::REQUIRED_FIRST_TOOL;
use crate::platform::agent_server::{Handoff, MergeDecisionRecord};

pub(crate) const SERVER_ID: &str = "fractalops-hud";
pub(crate) const SEND_HANDOFF: &str = "send_handoff";
pub(crate) const RECORD_MERGE_DECISION: &str = "record_merge_decision";

/// The HUD grid.
pub struct Hud {
    agent_server_url: String,
    http: HttpClient,
}

impl Hud {
    pub fn new(agent_server_url: String, http: HttpClient) -> Arc<Self> {
        Arc::new(Hud { agent_server_url, http })
    }

    pub fn router(self: &Arc<Self>) -> Router {
        Router::new().route("/mcp", any(serve_hud)).with_state(self.clone())
    }
}

async fn serve_hud(State(hud): State<Arc<Hud>>, method: Method, headers: HeaderMap, body: Bytes) -> Response {
    mcp::serve_message(hud, CallContext { caller: None, headers }, &method, body).await
}

fn spec(name: &str, description: &str, properties: Value) -> ToolSpec {
    ToolSpec {
        name: name.to_string(),
        description: description.to_string(),
        input_schema: json!({"type": "object", "properties": properties}),
    }
}

impl ToolHost for Hud {
    fn server_name(&self) -> String {
        SERVER_ID.to_string()
    }

    fn list_tools(&self, _ctx: &CallContext) -> Vec<ToolSpec> {
        let text = json!({"type": "string"});
        let nullable = json!({"type": ["string", "null"]});
        vec![
            spec(REQUIRED_FIRST_TOOL.1, "Agent HUD snapshot: status, wall, blocker, mailbox", json!({})),
            spec("post_hud_status", "Report the agent's AGENT_HUD_STATUS", json!({"status": text})),
            spec(
                SEND_HANDOFF,
                "Hand work to another agent: a structured inbox transfer with intent and success condition",
                json!({
                    "run_id": text, "sender_agent_id": text, "recipient_agent_id": text,
                    "handoff_intent": text, "required_result": text,
                    "delivery_reference": nullable, "fallback_wall": nullable,
                }),
            ),
            spec(
                RECORD_MERGE_DECISION,
                "Close the merge lifecycle decision on a delivery reference",
                json!({
                    "run_id": text, "committer_agent_id": text, "delivery_reference": text,
                    "handoff_state": {"type": "string", "enum": ["merge_requested", "merged"]},
                    "merge_gate_status": nullable,
                }),
            ),
        ]
    }

    fn call_tool(&self, _ctx: CallContext, name: String, arguments: Value) -> ToolFuture {
        let http = self.http.clone();
        let agent_server = self.agent_server_url.clone();
        Box::pin(async move {
            match name.as_str() {
                n if n == REQUIRED_FIRST_TOOL.1 => {
                    // The codes an execution report may carry; those the model defines are listed apart too.
                    let blockers: Vec<&str> = BlockerCode::ALL.iter().map(|b| b.as_str()).collect();
                    let model_defined: Vec<&str> = BlockerCode::MODEL_DEFINED.iter().map(|b| b.as_str()).collect();
                    let contract = json!({"BLOCKERS": blockers, "MODEL_DEFINED_BLOCKERS": model_defined});
                    ToolOutcome::Text(json!({"execution_report_contract": contract}).to_string())
                }
                "post_hud_status" => ToolOutcome::Text("recorded".to_string()),
                SEND_HANDOFF => send_handoff(&http, &agent_server, arguments).await,
                RECORD_MERGE_DECISION => record_merge_decision(&http, &agent_server, arguments).await,
                _ => ToolOutcome::UnknownTool(name),
            }
        })
    }
}

/// Writes a state update into a run's thread on the LangGraph Agent Server.
async fn update_thread(
    http: &HttpClient,
    agent_server: &str,
    run_id: &str,
    update: Value,
    done: String,
) -> ToolOutcome {
    let request = HttpRequest::post(format!("{agent_server}/threads/{run_id}/state")).json(&update);
    match http.send(request).await {
        Ok(r) if r.status.is_success() => ToolOutcome::Text(done),
        Ok(r) => ToolOutcome::Failed(format!("agent server refused the update: HTTP {}", r.status.as_u16())),
        Err(e) => ToolOutcome::Failed(format!("agent server unreachable: {e}")),
    }
}

/// Only the two closed forms of the decision are accepted (`docs/seeds.md`, delivery-language seed).
async fn record_merge_decision(http: &HttpClient, agent_server: &str, arguments: Value) -> ToolOutcome {
    let run_id = arguments.get("run_id").and_then(Value::as_str).unwrap_or_default().to_string();
    let mut fields = arguments.as_object().cloned().unwrap_or_default();
    fields.remove("run_id");
    let decision: MergeDecisionRecord = match serde_json::from_value(Value::Object(fields)) {
        Ok(d) => d,
        Err(e) => return ToolOutcome::Failed(format!("a merge decision needs its fields: {e}")),
    };
    if run_id.is_empty() || !decision.is_closed() {
        return ToolOutcome::Failed(
            "a merge lifecycle decision is handoff_state=merged, or handoff_state=merge_requested with merge_gate_status=qa_passed".to_string(),
        );
    }
    let done = format!("merge decision recorded for {}", decision.delivery_reference);
    update_thread(
        http,
        agent_server,
        &run_id,
        json!({"as_node": "merge_decision", "values": {"decision": decision}}),
        done,
    )
    .await
}

async fn send_handoff(http: &HttpClient, agent_server: &str, arguments: Value) -> ToolOutcome {
    let run_id = arguments.get("run_id").and_then(Value::as_str).unwrap_or_default().to_string();
    let mut fields = arguments.as_object().cloned().unwrap_or_default();
    fields.remove("run_id");
    let handoff: Handoff = match serde_json::from_value(Value::Object(fields)) {
        Ok(h) => h,
        Err(e) => return ToolOutcome::Failed(format!("a handoff must carry all six fields: {e}")),
    };
    if run_id.is_empty() || handoff.handoff_intent.trim().is_empty() || handoff.required_result.trim().is_empty() {
        return ToolOutcome::Failed("a handoff must carry run_id, an intent and a success condition".to_string());
    }
    if handoff.fallback_wall.as_deref().and_then(Wall::parse).is_none() {
        return ToolOutcome::Failed(format!("unknown fallback_wall {:?}: expected a wall code", handoff.fallback_wall));
    }
    let done = format!("handoff delivered to {}'s mailbox", handoff.recipient_agent_id);
    let (sender, recipient, intent) =
        (handoff.sender_agent_id.clone(), handoff.recipient_agent_id.clone(), handoff.handoff_intent.clone());
    let outcome = update_thread(
        http,
        agent_server,
        &run_id,
        json!({"as_node": "send_handoff", "values": {"handoff": handoff}}),
        done,
    )
    .await;
    if matches!(outcome, ToolOutcome::Text(_)) {
        crate::base::run_events::handoff(&sender, &recipient, &intent);
    }
    outcome
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use squadsim_conformance::wire::{self, Severity};
    use squadsim_fakes::net::Transport;

    use super::*;

    #[tokio::test]
    async fn the_snapshot_serves_the_whole_blocker_set_with_the_model_defined_codes_marked() {
        // runbook: "See the full blocker set in GET get_hud_snapshot -> execution_report_contract.BLOCKERS"
        let hud = Hud::new("http://agent-server".into(), HttpClient::new(Transport::Loopback, Duration::from_secs(1)));
        let ctx = CallContext { caller: None, headers: HeaderMap::new() };
        let ToolOutcome::Text(text) = hud.call_tool(ctx, REQUIRED_FIRST_TOOL.1.to_string(), json!({})).await else {
            panic!("the snapshot is text");
        };
        let snapshot: Value = serde_json::from_str(&text).expect("json");
        let contract = &snapshot["execution_report_contract"];
        let all: Vec<&str> = BlockerCode::ALL.iter().map(|b| b.as_str()).collect();
        assert_eq!(contract["BLOCKERS"], json!(all), "the model's whole set, the seeds' three among them");
        let marked: Vec<&str> = BlockerCode::ALL.iter().filter(|b| b.is_model_defined()).map(|b| b.as_str()).collect();
        assert_eq!(contract["MODEL_DEFINED_BLOCKERS"], json!(marked));
        assert_eq!(marked.len() + BlockerCode::SEED.len(), all.len());
        // `squadsim wire` knows every code the snapshot lists: no error and no unknown-code warning.
        let findings = wire::inspect(&snapshot).findings;
        assert!(findings.iter().all(|f| f.severity() == Severity::Note), "{findings:?}");
        assert_eq!(findings.len(), marked.len(), "each model-defined code in BLOCKERS is noted once: {findings:?}");
    }
}
