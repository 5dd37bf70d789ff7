//! LangGraph Agent Server: owns graph state, mailbox/frontier routing, slot
//! intent, checkpoints and the next action (delivery-language seed, "Execution
//! Boundary").
//!
//! It speaks a subset of the LangGraph Platform API: `POST /threads`,
//! `GET /threads/{thread_id}/state`, `POST /threads/{thread_id}/state`
//! (`as_node` names the update), `GET /threads/{thread_id}/history`, and
//! `POST /threads/{thread_id}/runs/wait` (run the routing node: the next action).
//!
//! Guarantees:
//! - every state change writes a checkpoint to a [`CheckpointStore`] that
//!   outlives the host: a crashed and restarted agent server resumes each thread
//!   from its last checkpoint, not from scratch;
//! - a handoff lands in the recipient's mailbox, and a recipient not yet on the
//!   roster joins it (agents join by handoff);
//! - the frontier is the set of roster agents with undelivered mail, plus intake
//!   agents never dispatched; the routing node delivers their mail and returns
//!   them as the next action, once.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

pub const PORT: u16 = 2024;

/// A structured inbox transfer (delivery-language seed, "Agent Identity And Handoff").
/// A handoff is never a delivery reference; it may carry one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Handoff {
    pub sender_agent_id: String,
    pub recipient_agent_id: String,
    pub handoff_intent: String,
    pub required_result: String,
    pub delivery_reference: Option<String>,
    pub fallback_wall: Option<String>,
}

/// The graph state of one delivery thread.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GraphState {
    /// Agent ids, in joining order.
    pub roster: Vec<String>,
    /// Intake agents not yet dispatched.
    pub intake_pending: BTreeSet<String>,
    /// Undelivered handoffs per recipient.
    pub mailbox: BTreeMap<String, Vec<Handoff>>,
    /// Every handoff, in arrival order (the handoff trail).
    pub handoffs: Vec<Handoff>,
    /// Slot intent per agent: what the next attempt of that agent is for.
    pub slots: BTreeMap<String, String>,
    /// Merge lifecycle decisions per delivery reference, as the committer recorded them.
    #[serde(default)]
    pub merge_decisions: BTreeMap<String, MergeDecisionRecord>,
}

/// A committer's merge lifecycle decision on one delivery reference
/// (delivery-language seed: `handoff_state=merge_requested` with
/// `merge_gate_status=qa_passed`, or `handoff_state=merged`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MergeDecisionRecord {
    pub committer_agent_id: String,
    pub delivery_reference: String,
    pub handoff_state: String,
    #[serde(default)]
    pub merge_gate_status: Option<String>,
}

impl GraphState {
    fn frontier(&self) -> Vec<String> {
        self.roster
            .iter()
            .filter(|a| self.intake_pending.contains(*a) || self.mailbox.get(*a).is_some_and(|m| !m.is_empty()))
            .cloned()
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
struct Checkpoint {
    checkpoint_id: String,
    as_node: String,
    values: GraphState,
}

/// Durable checkpoints per thread: what survives a crash of the agent server host.
#[derive(Debug, Default)]
pub struct CheckpointStore {
    threads: Mutex<BTreeMap<String, Vec<Checkpoint>>>,
}

impl CheckpointStore {
    pub fn new() -> Arc<Self> {
        Arc::new(CheckpointStore::default())
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, Vec<Checkpoint>>> {
        self.threads.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The state at a thread's last checkpoint.
    pub fn latest(&self, thread_id: &str) -> Option<GraphState> {
        self.lock().get(thread_id).and_then(|c| c.last()).map(|c| c.values.clone())
    }
}

/// One incarnation of the agent server: working state in memory, loaded from
/// the durable store on first use after a (re)start.
pub struct AgentServer {
    store: Arc<CheckpointStore>,
    working: Mutex<BTreeMap<String, GraphState>>,
}

impl AgentServer {
    /// A fresh incarnation over a durable store (called again on every host restart).
    pub fn incarnation(store: Arc<CheckpointStore>) -> Arc<Self> {
        Arc::new(AgentServer { store, working: Mutex::new(BTreeMap::new()) })
    }

    pub fn router(self: &Arc<Self>) -> Router {
        Router::new()
            .route("/ok", get(|| async { Json(json!({"ok": true})) }))
            .route("/threads", post(create_thread))
            .route("/threads/{thread_id}/state", get(get_state).post(update_state))
            .route("/threads/{thread_id}/history", get(history))
            .route("/threads/{thread_id}/runs/wait", post(run_wait))
            .fallback(|| async { (StatusCode::NOT_FOUND, Json(json!({"detail": "Not Found"}))) })
            .with_state(self.clone())
    }

    /// Applies `change` to a thread's state (loading it from the last checkpoint if
    /// this incarnation has not seen it) and writes a checkpoint.
    fn apply<R>(
        &self,
        thread_id: &str,
        as_node: &str,
        change: impl FnOnce(&mut GraphState) -> R,
    ) -> Option<(R, String)> {
        let mut working = self.working.lock().unwrap_or_else(|p| p.into_inner());
        let mut store = self.store.lock();
        let checkpoints = store.get_mut(thread_id)?;
        let state = working
            .entry(thread_id.to_string())
            .or_insert_with(|| checkpoints.last().map(|c| c.values.clone()).unwrap_or_default());
        let result = change(state);
        let checkpoint_id = format!("ckpt-{:06}", checkpoints.len() + 1);
        checkpoints.push(Checkpoint {
            checkpoint_id: checkpoint_id.clone(),
            as_node: as_node.to_string(),
            values: state.clone(),
        });
        Some((result, checkpoint_id))
    }

    fn read(&self, thread_id: &str) -> Option<(GraphState, String)> {
        let working = self.working.lock().unwrap_or_else(|p| p.into_inner());
        let store = self.store.lock();
        let last = store.get(thread_id)?.last().cloned();
        let state =
            working.get(thread_id).cloned().or_else(|| last.as_ref().map(|c| c.values.clone())).unwrap_or_default();
        Some((state, last.map(|c| c.checkpoint_id).unwrap_or_default()))
    }
}

fn not_found(thread_id: &str) -> Response {
    (StatusCode::NOT_FOUND, Json(json!({"detail": format!("Thread {thread_id} not found")}))).into_response()
}

fn unprocessable(msg: impl std::fmt::Display) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({"detail": msg.to_string()}))).into_response()
}

#[derive(Deserialize)]
struct CreateThread {
    thread_id: String,
    #[serde(default)]
    metadata: Value,
}

async fn create_thread(State(server): State<Arc<AgentServer>>, body: Bytes) -> Response {
    let req: CreateThread = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return unprocessable(e),
    };
    let created = {
        let mut store = server.store.lock();
        if store.contains_key(&req.thread_id) {
            false
        } else {
            store.insert(req.thread_id.clone(), Vec::new());
            true
        }
    };
    if !created {
        return (StatusCode::CONFLICT, Json(json!({"detail": format!("Thread {} already exists", req.thread_id)})))
            .into_response();
    }
    Json(json!({"thread_id": req.thread_id, "metadata": req.metadata, "status": "idle", "values": GraphState::default()}))
        .into_response()
}

fn state_json(thread_id: &str, state: &GraphState, checkpoint_id: &str) -> Value {
    json!({
        "values": state,
        "next": state.frontier(),
        "checkpoint": {"thread_id": thread_id, "checkpoint_ns": "", "checkpoint_id": checkpoint_id},
    })
}

async fn get_state(State(server): State<Arc<AgentServer>>, Path(thread_id): Path<String>) -> Response {
    match server.read(&thread_id) {
        Some((state, ckpt)) => Json(state_json(&thread_id, &state, &ckpt)).into_response(),
        None => not_found(&thread_id),
    }
}

/// A state update, named by the node it is applied as.
#[derive(Deserialize)]
#[serde(tag = "as_node", content = "values", rename_all = "snake_case", deny_unknown_fields)]
enum StateUpdate {
    /// The launch's roster: these agents start on the frontier.
    Intake { roster: Vec<String> },
    /// An agent hands work to another.
    SendHandoff { handoff: Handoff },
    /// A committer records its merge lifecycle decision.
    MergeDecision { decision: MergeDecisionRecord },
}

async fn update_state(State(server): State<Arc<AgentServer>>, Path(thread_id): Path<String>, body: Bytes) -> Response {
    let update: StateUpdate = match serde_json::from_slice(&body) {
        Ok(u) => u,
        Err(e) => return unprocessable(e),
    };
    let (as_node, applied) = match update {
        StateUpdate::Intake { roster } => (
            "intake",
            server.apply(&thread_id, "intake", |s| {
                for agent in roster {
                    if !s.roster.contains(&agent) {
                        s.roster.push(agent.clone());
                    }
                    s.slots.insert(agent.clone(), "intake".to_string());
                    s.intake_pending.insert(agent);
                }
            }),
        ),
        StateUpdate::SendHandoff { handoff } => (
            "send_handoff",
            server.apply(&thread_id, "send_handoff", |s| {
                let recipient = handoff.recipient_agent_id.clone();
                if !s.roster.contains(&recipient) {
                    s.roster.push(recipient.clone());
                }
                s.slots.insert(recipient.clone(), handoff.handoff_intent.clone());
                s.mailbox.entry(recipient).or_default().push(handoff.clone());
                s.handoffs.push(handoff);
            }),
        ),
        StateUpdate::MergeDecision { decision } => (
            "merge_decision",
            server.apply(&thread_id, "merge_decision", |s| {
                s.merge_decisions.insert(decision.delivery_reference.clone(), decision);
            }),
        ),
    };
    match applied {
        Some(((), ckpt)) => {
            Json(json!({"checkpoint": {"thread_id": thread_id, "checkpoint_id": ckpt}, "as_node": as_node}))
                .into_response()
        }
        None => not_found(&thread_id),
    }
}

async fn history(State(server): State<Arc<AgentServer>>, Path(thread_id): Path<String>) -> Response {
    let store = server.store.lock();
    match store.get(&thread_id) {
        Some(list) => {
            let items: Vec<Value> = list
                .iter()
                .rev()
                .map(|c| json!({"values": c.values, "metadata": {"source": "update", "writes": c.as_node}, "checkpoint": {"thread_id": thread_id, "checkpoint_id": c.checkpoint_id}}))
                .collect();
            Json(items).into_response()
        }
        None => not_found(&thread_id),
    }
}

/// Runs the routing node: the next action is to dispatch the frontier, each
/// agent with the mail delivered to it.
async fn run_wait(State(server): State<Arc<AgentServer>>, Path(thread_id): Path<String>) -> Response {
    let routed = server.apply(&thread_id, "route", |s| {
        let frontier = s.frontier();
        let mut dispatch = Vec::new();
        for agent in &frontier {
            s.intake_pending.remove(agent);
            let inbox = s.mailbox.remove(agent).unwrap_or_default();
            dispatch.push(json!({"agent_id": agent, "slot_intent": s.slots.get(agent), "inbox": inbox}));
        }
        (dispatch, s.roster.clone())
    });
    match routed {
        Some(((dispatch, roster), ckpt)) => Json(json!({
            "roster": roster,
            "next_action": {"dispatch": dispatch},
            "checkpoint": {"thread_id": thread_id, "checkpoint_id": ckpt},
        }))
        .into_response(),
        None => not_found(&thread_id),
    }
}
