//! The Agent HUD grid (`fractalops-hud`): the compact human/control read model
//! (status, wall, blocker, mailbox) exposed to agents as MCP tools with bare
//! names. `send_handoff` writes a handoff into the LangGraph Agent Server's
//! mailbox over HTTP; the HUD keeps no delivery state of its own. What it does
//! keep is each agent's `AGENT_HUD_STATUS` (`post_hud_status`), per run, served
//! back in `get_hud_snapshot`.
//!
//! Guarantee: a handoff missing any of its six fields (`sender_agent_id`,
//! `recipient_agent_id`, `handoff_intent`, `required_result`,
//! `delivery_reference`, `fallback_wall`; the last two may be null) is refused
//! with `isError`, never forwarded.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

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

pub(crate) const SERVER_ID: &str = crate::base::loadouts::HUD;
pub(crate) const POST_HUD_STATUS: &str = "post_hud_status";
/// The status an agent's scripted `post_hud_status` call reports: it is working.
pub(crate) const WORKING: &str = "working";
pub(crate) const SEND_HANDOFF: &str = "send_handoff";
pub(crate) const RECORD_MERGE_DECISION: &str = "record_merge_decision";

/// The HUD grid.
pub struct Hud {
    agent_server_url: String,
    http: HttpClient,
    /// `AGENT_HUD_STATUS` per run, per agent, as the agents posted it (the latest wins).
    statuses: Mutex<BTreeMap<String, BTreeMap<String, String>>>,
}

impl Hud {
    pub fn new(agent_server_url: String, http: HttpClient) -> Arc<Self> {
        Arc::new(Hud { agent_server_url, http, statuses: Mutex::default() })
    }

    /// The `AGENT_HUD_STATUS` of each agent of `run_id` that posted one, by agent id.
    pub fn agent_hud_status(&self, run_id: &str) -> BTreeMap<String, String> {
        self.statuses.lock().unwrap_or_else(|p| p.into_inner()).get(run_id).cloned().unwrap_or_default()
    }

    /// Stores a posted status; refuses a post that does not say whose status for which run.
    fn post_status(&self, arguments: &Value) -> ToolOutcome {
        let field = |k: &str| arguments.get(k).and_then(Value::as_str).filter(|v| !v.trim().is_empty());
        let (Some(run_id), Some(agent_id), Some(status)) = (field("run_id"), field("agent_id"), field("status")) else {
            return ToolOutcome::Failed("post_hud_status needs run_id, agent_id and status".to_string());
        };
        let mut statuses = self.statuses.lock().unwrap_or_else(|p| p.into_inner());
        statuses.entry(run_id.to_string()).or_default().insert(agent_id.to_string(), status.to_string());
        ToolOutcome::Text(format!("recorded AGENT_HUD_STATUS={status} for {agent_id}"))
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
            spec(REQUIRED_FIRST_TOOL.1, "Agent HUD snapshot: status, wall, blocker, mailbox", json!({"run_id": text})),
            spec(
                POST_HUD_STATUS,
                "Report the agent's AGENT_HUD_STATUS",
                json!({"run_id": text, "agent_id": text, "status": text}),
            ),
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
        // Both HUD-state tools act at once, before the future runs: the store is the HUD's own.
        let posted =
            if name == POST_HUD_STATUS { self.post_status(&arguments) } else { ToolOutcome::Text(String::new()) };
        let run_id = arguments.get("run_id").and_then(Value::as_str).unwrap_or_default();
        let statuses = if name == REQUIRED_FIRST_TOOL.1 { self.agent_hud_status(run_id) } else { BTreeMap::new() };
        let http = self.http.clone();
        let agent_server = self.agent_server_url.clone();
        Box::pin(async move {
            match name.as_str() {
                n if n == REQUIRED_FIRST_TOOL.1 => {
                    // The codes an execution report may carry; those the model defines are listed apart too.
                    let blockers: Vec<&str> = BlockerCode::ALL.iter().map(|b| b.as_str()).collect();
                    let model_defined: Vec<&str> = BlockerCode::MODEL_DEFINED.iter().map(|b| b.as_str()).collect();
                    let contract = json!({"BLOCKERS": blockers, "MODEL_DEFINED_BLOCKERS": model_defined});
                    let snapshot = json!({"execution_report_contract": contract, "AGENT_HUD_STATUS": statuses});
                    ToolOutcome::Text(snapshot.to_string())
                }
                POST_HUD_STATUS => posted,
                SEND_HANDOFF => send_handoff(&http, &agent_server, arguments).await,
                RECORD_MERGE_DECISION => record_merge_decision(&http, &agent_server, arguments).await,
                _ => ToolOutcome::UnknownTool(name),
            }
        })
    }
}

/// Writes a state update into a run's thread on the LangGraph Agent Server.
/// A graph state update: the bytes of `json!({"as_node": as_node, "values": values})`
/// (members in that order) without building the `Value`.
#[derive(serde::Serialize)]
struct ThreadUpdate<V> {
    as_node: &'static str,
    values: V,
}

/// `{"handoff": handoff}`.
#[derive(serde::Serialize)]
struct HandoffValues<'a> {
    handoff: &'a Handoff,
}

/// `{"decision": decision}`.
#[derive(serde::Serialize)]
struct DecisionValues<'a> {
    decision: &'a MergeDecisionRecord,
}

async fn update_thread<V: serde::Serialize>(
    http: &HttpClient,
    agent_server: &str,
    run_id: &str,
    update: &ThreadUpdate<V>,
    done: String,
) -> ToolOutcome {
    let request = HttpRequest::post(format!("{agent_server}/threads/{run_id}/state")).json_of(update);
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
        &ThreadUpdate { as_node: "merge_decision", values: DecisionValues { decision: &decision } },
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
        &ThreadUpdate { as_node: "send_handoff", values: HandoffValues { handoff: &handoff } },
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

    #[test]
    fn thread_updates_are_the_bytes_of_the_value_updates() {
        let handoffs = [
            Handoff {
                sender_agent_id: "planner-1".into(),
                recipient_agent_id: "implementer-1".into(),
                handoff_intent: "build \"it\"\nnow é😀".into(),
                required_result: "".into(),
                delivery_reference: Some("https://github.com/o/r/pull/1".into()),
                fallback_wall: None,
            },
            Handoff {
                sender_agent_id: String::new(),
                recipient_agent_id: "\\".into(),
                handoff_intent: "x".into(),
                required_result: "tests pass".into(),
                delivery_reference: None,
                fallback_wall: Some("committer".into()),
            },
        ];
        for handoff in &handoffs {
            let old = json!({"as_node": "send_handoff", "values": {"handoff": handoff}}).to_string();
            let typed = ThreadUpdate { as_node: "send_handoff", values: HandoffValues { handoff } };
            let sent = HttpRequest::post("http://agent-server/threads/r/state").json_of(&typed);
            assert_eq!(sent.body, old.as_bytes());
        }
        for merge_gate_status in [None, Some("qa_passed".to_string())] {
            let decision = MergeDecisionRecord {
                committer_agent_id: "committer-1".into(),
                delivery_reference: "ref\t1".into(),
                handoff_state: "merged".into(),
                merge_gate_status,
            };
            let old = json!({"as_node": "merge_decision", "values": {"decision": decision}}).to_string();
            let typed = ThreadUpdate { as_node: "merge_decision", values: DecisionValues { decision: &decision } };
            let sent = HttpRequest::post("http://agent-server/threads/r/state").json_of(&typed);
            assert_eq!(sent.body, old.as_bytes());
        }
    }

    #[test]
    fn the_hud_lists_the_tools_the_loadout_catalogue_names() {
        let ctx = CallContext { caller: None, headers: HeaderMap::new() };
        let listed: Vec<String> = hud().list_tools(&ctx).into_iter().map(|t| t.name).collect();
        assert_eq!(listed, crate::base::loadouts::tools_of(SERVER_ID));
    }

    fn hud() -> Arc<Hud> {
        Hud::new("http://agent-server".into(), HttpClient::new(Transport::Loopback, Duration::from_secs(1)))
    }

    async fn call(hud: &Hud, name: &str, arguments: Value) -> ToolOutcome {
        hud.call_tool(CallContext { caller: None, headers: HeaderMap::new() }, name.to_string(), arguments).await
    }

    #[tokio::test]
    async fn a_posted_agent_hud_status_is_stored_and_served_in_the_snapshot_of_its_run_only() {
        let hud = hud();
        let posted =
            call(&hud, POST_HUD_STATUS, json!({"run_id": "run-1", "agent_id": "planner", "status": "working"}));
        assert_eq!(posted.await, ToolOutcome::Text("recorded AGENT_HUD_STATUS=working for planner".into()));
        let later = json!({"run_id": "run-1", "agent_id": "planner", "status": "waiting_on_handoff"});
        call(&hud, POST_HUD_STATUS, later).await;
        assert_eq!(hud.agent_hud_status("run-1"), BTreeMap::from([("planner".into(), "waiting_on_handoff".into())]));
        let ToolOutcome::Text(text) = call(&hud, REQUIRED_FIRST_TOOL.1, json!({"run_id": "run-1"})).await else {
            panic!("the snapshot is text");
        };
        let snapshot: Value = serde_json::from_str(&text).expect("json");
        assert_eq!(snapshot["AGENT_HUD_STATUS"], json!({"planner": "waiting_on_handoff"}), "the latest post wins");
        // squadsim-lint allow-next-line forbidden-board-status -- the test asserts the alias is absent
        assert!(snapshot.get("BOARD_STATUS").is_none(), "the legacy alias lives only in the payload adapter");
        let ToolOutcome::Text(other) = call(&hud, REQUIRED_FIRST_TOOL.1, json!({"run_id": "run-2"})).await else {
            panic!("the snapshot is text");
        };
        assert_eq!(serde_json::from_str::<Value>(&other).expect("json")["AGENT_HUD_STATUS"], json!({}));
    }

    #[tokio::test]
    async fn a_status_post_that_does_not_say_whose_is_refused_and_stores_nothing() {
        let hud = hud();
        for arguments in
            [json!({"status": "working"}), json!({"run_id": "run-1", "agent_id": "planner", "status": " "})]
        {
            assert!(matches!(call(&hud, POST_HUD_STATUS, arguments).await, ToolOutcome::Failed(_)));
        }
        assert!(hud.agent_hud_status("run-1").is_empty());
    }
}
