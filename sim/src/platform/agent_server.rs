//! LangGraph Agent Server: owns graph state, mailbox/frontier routing, slot
//! intent, checkpoints and the next action (`docs/seeds.md`, delivery-language seed, "Execution
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
//!   them as the next action, once;
//! - a routing run's input records how the attempts dispatched before it ended
//!   (`{"attempts": [{agent_id, live_status}]}`, the Studio's Record Agent Attempt
//!   results), so the graph state knows each agent's latest attempt;
//! - the routing node also says how far the thread's delivery graph got
//!   ([`GraphProgress`]), judged from the graph state alone against the graph the
//!   thread was created for (`metadata.graph_id`, a template id): `working` while
//!   it dispatches; `at_end` when nothing is left to dispatch and the graph's end
//!   is reached (every roster agent's latest attempt completed, every roster agent
//!   followed each edge of its role, and where the graph has a merge stage every
//!   delivery reference handed on has a closed merge lifecycle decision);
//!   otherwise `stopped_short`, with the first unmet condition.

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
use squadsim_conformance::vocabulary::Wall;

use crate::base::templates::{self, Template};

/// A structured inbox transfer (`docs/seeds.md`, delivery-language seed, "Agent Identity And Handoff").
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
    /// Agent ids, in joining order. Every roster agent has a slot and every
    /// slot is a roster agent's (both are written together).
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
    /// How each agent's latest attempt ended (`session_completed`, `blocked`), as
    /// the routing runs' inputs recorded it.
    #[serde(default)]
    pub attempts: BTreeMap<String, String>,
}

/// How one dispatched attempt ended, as a routing run's input records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AttemptOutcome {
    pub agent_id: String,
    pub live_status: String,
}

/// A committer's merge lifecycle decision on one delivery reference
/// (`docs/seeds.md`, delivery-language seed: `handoff_state=merge_requested` with
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

/// How far a thread's delivery graph got, as the routing node judges it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum GraphProgress {
    /// Agents are being dispatched.
    Working,
    /// Nothing is left to dispatch and the graph reached its end.
    AtEnd,
    /// Nothing is left to dispatch, but the graph did not reach its end: why.
    StoppedShort { reason: String },
}

impl GraphState {
    /// How far the graph got, judged against `graph` (the thread's template).
    fn progress(&self, graph: Option<&Template>) -> GraphProgress {
        if !self.frontier().is_empty() {
            return GraphProgress::Working;
        }
        let Some(graph) = graph else {
            return GraphProgress::StoppedShort { reason: "the thread names no known delivery graph".to_string() };
        };
        let stopped = |reason: String| GraphProgress::StoppedShort { reason };
        for agent in &self.roster {
            match self.attempts.get(agent).map(String::as_str) {
                Some("session_completed") => {}
                Some(status) => return stopped(format!("{agent}'s latest attempt ended {status}")),
                None => return stopped(format!("{agent} has no finished attempt")),
            }
        }
        // The edges the trail followed (sender, recipient's role), indexed once: each roster
        // agent's edges are then lookups, not a scan of the whole trail (roster times trail).
        let followed: BTreeSet<(&str, &str)> = self
            .handoffs
            .iter()
            .map(|h| (h.sender_agent_id.as_str(), templates::role_of(&h.recipient_agent_id)))
            .collect();
        for agent in &self.roster {
            let role = templates::role_of(agent);
            for (_, to, ..) in graph.handoff_graph.iter().filter(|(from, ..)| *from == role) {
                if !followed.contains(&(agent.as_str(), *to)) {
                    return stopped(format!("{agent} handed nothing on to the {to}"));
                }
            }
        }
        // A graph with a merge stage ends only once every delivery reference handed on has
        // a closed merge lifecycle decision (merged, or merge requested with qa_passed).
        if graph.handoff_graph.iter().any(|(.., wall)| *wall == Wall::Committer) {
            let undecided =
                self.handoffs.iter().filter_map(|h| h.delivery_reference.as_ref()).find(|reference| {
                    !self.merge_decisions.get(*reference).is_some_and(MergeDecisionRecord::is_closed)
                });
            if let Some(reference) = undecided {
                return stopped(format!("delivery reference {reference} has no closed merge lifecycle decision"));
            }
        }
        GraphProgress::AtEnd
    }

    fn frontier(&self) -> Vec<String> {
        self.roster
            .iter()
            .filter(|a| self.intake_pending.contains(*a) || self.mailbox.get(*a).is_some_and(|m| !m.is_empty()))
            .cloned()
            .collect()
    }

    /// Applies one write. The routing node's write answers with what it
    /// dispatched: each frontier agent, its slot intent and the mail delivered to it.
    fn apply(&mut self, write: &Write) -> Vec<Dispatch> {
        match write {
            Write::Intake { roster } => {
                for agent in roster {
                    // Every roster agent has a slot (both are written together): a lookup, not a scan.
                    if !self.slots.contains_key(agent) {
                        self.roster.push(agent.clone());
                    }
                    self.slots.insert(agent.clone(), "intake".to_string());
                    self.intake_pending.insert(agent.clone());
                }
            }
            Write::SendHandoff { handoff } => {
                let recipient = handoff.recipient_agent_id.clone();
                if !self.slots.contains_key(&recipient) {
                    self.roster.push(recipient.clone());
                }
                self.slots.insert(recipient.clone(), handoff.handoff_intent.clone());
                self.mailbox.entry(recipient).or_default().push(handoff.clone());
                self.handoffs.push(handoff.clone());
            }
            Write::MergeDecision { decision } => {
                self.merge_decisions.insert(decision.delivery_reference.clone(), decision.clone());
            }
            Write::Route { attempts } => {
                for attempt in attempts {
                    self.attempts.insert(attempt.agent_id.clone(), attempt.live_status.clone());
                }
                let frontier = self.frontier();
                return frontier
                    .into_iter()
                    .map(|agent| {
                        self.intake_pending.remove(&agent);
                        let inbox = self.mailbox.remove(&agent).unwrap_or_default();
                        let slot_intent = self.slots.get(&agent).cloned();
                        Dispatch { agent_id: agent, slot_intent, inbox }
                    })
                    .collect();
            }
        }
        Vec::new()
    }
}

/// One agent the routing node dispatches.
#[derive(Debug, Clone, PartialEq, Serialize)]
struct Dispatch {
    agent_id: String,
    slot_intent: Option<String>,
    inbox: Vec<Handoff>,
}

impl MergeDecisionRecord {
    /// One of the two closed forms: `merged`, or `merge_requested` with `qa_passed`.
    pub fn is_closed(&self) -> bool {
        match self.handoff_state.as_str() {
            "merged" => true,
            "merge_requested" => self.merge_gate_status.as_deref() == Some("qa_passed"),
            _ => false,
        }
    }
}

/// A write to a thread's state, named by the node it is applied as (`as_node`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "as_node", content = "values", rename_all = "snake_case", deny_unknown_fields)]
enum Write {
    /// The launch's roster: these agents start on the frontier.
    Intake { roster: Vec<String> },
    /// An agent hands work to another.
    SendHandoff { handoff: Handoff },
    /// A committer records its merge lifecycle decision.
    MergeDecision { decision: MergeDecisionRecord },
    /// The routing node: records how the attempts before it ended, then the next
    /// action (not a state update a client may post).
    #[serde(skip)]
    Route { attempts: Vec<AttemptOutcome> },
}

impl Write {
    fn as_node(&self) -> &'static str {
        match self {
            Write::Intake { .. } => "intake",
            Write::SendHandoff { .. } => "send_handoff",
            Write::MergeDecision { .. } => "merge_decision",
            Write::Route { .. } => "route",
        }
    }
}

/// One checkpoint: its id and the write that produced it. The values at a
/// checkpoint are its thread's writes up to it, applied in order.
#[derive(Debug, Clone, PartialEq)]
struct Checkpoint {
    checkpoint_id: String,
    write: Write,
}

/// A thread's checkpoints, its state at the last one, and the delivery graph it
/// was created for (`metadata.graph_id`).
#[derive(Debug, Default)]
struct Thread {
    checkpoints: Vec<Checkpoint>,
    state: GraphState,
    graph_id: Option<String>,
}

impl Thread {
    fn last_checkpoint_id(&self) -> String {
        self.checkpoints.last().map(|c| c.checkpoint_id.clone()).unwrap_or_default()
    }
}

/// Durable checkpoints per thread: what survives a crash of the agent server host.
/// A checkpoint keeps its write, not a copy of the whole state, so a thread's
/// checkpoints grow with its writes, not with writes times state.
#[derive(Debug, Default)]
pub struct CheckpointStore {
    threads: Mutex<BTreeMap<String, Thread>>,
}

impl CheckpointStore {
    pub fn new() -> Arc<Self> {
        Arc::new(CheckpointStore::default())
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, Thread>> {
        self.threads.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The state at a thread's last checkpoint.
    pub fn latest(&self, thread_id: &str) -> Option<GraphState> {
        self.lock().get(thread_id).filter(|t| !t.checkpoints.is_empty()).map(|t| t.state.clone())
    }
}

/// One incarnation of the agent server. Every write is checkpointed before it
/// is answered, so an incarnation works on the state at each thread's last
/// checkpoint: a restarted one resumes from there, holding nothing of its own.
pub(crate) struct AgentServer {
    store: Arc<CheckpointStore>,
}

impl AgentServer {
    /// A fresh incarnation over a durable store (called again on every host restart).
    pub(crate) fn incarnation(store: Arc<CheckpointStore>) -> Arc<Self> {
        Arc::new(AgentServer { store })
    }

    pub(crate) fn router(self: &Arc<Self>) -> Router {
        Router::new()
            .route("/ok", get(|| async { Json(json!({"ok": true})) }))
            .route("/threads", post(create_thread))
            .route("/threads/{thread_id}/state", get(get_state).post(update_state))
            .route("/threads/{thread_id}/history", get(history))
            .route("/threads/{thread_id}/runs/wait", post(run_wait))
            .fallback(|| async { (StatusCode::NOT_FOUND, Json(json!({"detail": "Not Found"}))) })
            .with_state(self.clone())
    }

    /// Applies `write` to a thread's state and writes a checkpoint; `answer` reads
    /// what the write answered, the state after it and the checkpoint id. `None`
    /// if there is no such thread.
    fn apply<R>(
        &self,
        thread_id: &str,
        write: Write,
        answer: impl FnOnce(Vec<Dispatch>, &GraphState, Option<&Template>, String) -> R,
    ) -> Option<R> {
        let mut store = self.store.lock();
        let thread = store.get_mut(thread_id)?;
        let dispatched = thread.state.apply(&write);
        let checkpoint_id = format!("ckpt-{:06}", thread.checkpoints.len() + 1);
        thread.checkpoints.push(Checkpoint { checkpoint_id: checkpoint_id.clone(), write });
        let graph = thread.graph_id.as_deref().and_then(templates::find);
        Some(answer(dispatched, &thread.state, graph, checkpoint_id))
    }

    /// A thread's state as the API shows it, read in place.
    fn state_json(&self, thread_id: &str) -> Option<Value> {
        let store = self.store.lock();
        let thread = store.get(thread_id)?;
        Some(state_json(thread_id, &thread.state, &thread.last_checkpoint_id()))
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
            let graph_id = req.metadata.get("graph_id").and_then(Value::as_str).map(str::to_string);
            store.insert(req.thread_id.clone(), Thread { graph_id, ..Thread::default() });
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
    match server.state_json(&thread_id) {
        Some(state) => Json(state).into_response(),
        None => not_found(&thread_id),
    }
}

async fn update_state(State(server): State<Arc<AgentServer>>, Path(thread_id): Path<String>, body: Bytes) -> Response {
    let write: Write = match serde_json::from_slice(&body) {
        Ok(w) => w,
        Err(e) => return unprocessable(e),
    };
    let as_node = write.as_node();
    let answer = |_, _: &GraphState, _: Option<&Template>, ckpt| {
        Json(json!({"checkpoint": {"thread_id": thread_id, "checkpoint_id": ckpt}, "as_node": as_node})).into_response()
    };
    server.apply(&thread_id, write, answer).unwrap_or_else(|| not_found(&thread_id))
}

async fn history(State(server): State<Arc<AgentServer>>, Path(thread_id): Path<String>) -> Response {
    let store = server.store.lock();
    let Some(thread) = store.get(&thread_id) else {
        return not_found(&thread_id);
    };
    // The values at each checkpoint: the thread's writes replayed in order.
    let mut values = GraphState::default();
    let mut items: Vec<Value> = thread
        .checkpoints
        .iter()
        .map(|c| {
            values.apply(&c.write);
            json!({"values": values, "metadata": {"source": "update", "writes": c.write.as_node()}, "checkpoint": {"thread_id": thread_id, "checkpoint_id": c.checkpoint_id}})
        })
        .collect();
    items.reverse();
    Json(items).into_response()
}

/// A routing run's body: `{"assistant_id", "input": {"attempts": [...]}}`.
#[derive(Deserialize)]
struct RunRequest {
    #[serde(default)]
    input: RunInput,
}

#[derive(Default, Deserialize)]
struct RunInput {
    #[serde(default)]
    attempts: Vec<AttemptOutcome>,
}

/// Runs the routing node: records the input's attempt outcomes; the next action
/// is to dispatch the frontier, each agent with the mail delivered to it; `graph`
/// says how far the delivery graph got.
async fn run_wait(State(server): State<Arc<AgentServer>>, Path(thread_id): Path<String>, body: Bytes) -> Response {
    let request: RunRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return unprocessable(e),
    };
    let answer = |dispatch: Vec<Dispatch>, state: &GraphState, graph: Option<&Template>, ckpt| {
        // Judged before this dispatch is worked: an empty dispatch leaves nothing to do.
        let progress = if dispatch.is_empty() { state.progress(graph) } else { GraphProgress::Working };
        Json(json!({
            "roster": state.roster,
            "next_action": {"dispatch": dispatch},
            "graph": progress,
            "checkpoint": {"thread_id": thread_id, "checkpoint_id": ckpt},
        }))
        .into_response()
    };
    let route = Write::Route { attempts: request.input.attempts };
    server.apply(&thread_id, route, answer).unwrap_or_else(|| not_found(&thread_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handoff(sender: &str, recipient: &str, delivery_reference: Option<String>) -> Handoff {
        Handoff {
            sender_agent_id: sender.to_string(),
            recipient_agent_id: recipient.to_string(),
            handoff_intent: "work".to_string(),
            required_result: "done".to_string(),
            delivery_reference,
            fallback_wall: None,
        }
    }

    /// A finished agentsquad thread with `lanes` implementers, every edge followed and
    /// every delivery reference decided, except the lanes `silent` (which hand nothing on).
    fn finished(lanes: usize, silent: &[usize]) -> GraphState {
        let mut state = GraphState::default();
        let implementers: Vec<String> = (1..=lanes).map(|n| format!("implementer-{n}")).collect();
        for agent in ["planner"].into_iter().map(str::to_string).chain(implementers.iter().cloned()) {
            state.roster.push(agent);
        }
        for agent in ["tester", "committer", "closer"] {
            state.roster.push(agent.to_string());
        }
        for agent in &state.roster {
            state.attempts.insert(agent.clone(), "session_completed".to_string());
        }
        for (n, implementer) in implementers.iter().enumerate() {
            state.handoffs.push(handoff("planner", implementer, None));
            if !silent.contains(&(n + 1)) {
                let reference = format!("https://github.com/o/r/pull/{}", n + 1);
                state.handoffs.push(handoff(implementer, "tester", Some(reference.clone())));
                let decision = MergeDecisionRecord {
                    committer_agent_id: "committer".to_string(),
                    delivery_reference: reference.clone(),
                    handoff_state: "merged".to_string(),
                    merge_gate_status: None,
                };
                state.merge_decisions.insert(reference, decision);
            }
        }
        state.handoffs.push(handoff("tester", "committer", None));
        state.handoffs.push(handoff("committer", "closer", None));
        state
    }

    #[test]
    fn a_graph_reaches_its_end_when_every_agent_of_a_large_roster_followed_its_edges() {
        let graph = templates::find("agentsquad");
        assert_eq!(finished(2_000, &[]).progress(graph), GraphProgress::AtEnd);
    }

    #[test]
    fn the_first_roster_agent_that_handed_nothing_on_is_named_among_thousands() {
        let graph = templates::find("agentsquad");
        let reason = "implementer-1500 handed nothing on to the tester".to_string();
        assert_eq!(finished(2_000, &[1_500, 1_999]).progress(graph), GraphProgress::StoppedShort { reason });
        // The trail's order does not matter, the roster's does.
        let mut reversed = finished(2_000, &[1_999, 1_500]);
        reversed.handoffs.reverse();
        let reason = "implementer-1500 handed nothing on to the tester".to_string();
        assert_eq!(reversed.progress(graph), GraphProgress::StoppedShort { reason });
    }
}
