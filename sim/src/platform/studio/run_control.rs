//! The run-control lifecycle (`docs/seeds.md`, delivery-language seed, "Run Control Lifecycle"):
//! Schedule Run Control -> Execute Pending Run Control -> Record Agent Attempt.
//!
//! Two operator surfaces schedule run control: Studio Admin (`execute`,
//! `control`, `replay` under `/v1/admin/studio`) and the Portal (its `control`
//! route; a model-defined path, the seeds name the Portal but not its routes).
//! "Portal and Studio Admin must both persist the scheduled run control before
//! starting background execution": both go through one [`schedule`].
//!
//! Guarantees: every surface persists `pendingRunControl` in the run store and
//! emits `operator_control:scheduled` before starting background execution and
//! before answering, and answers at once with `status: "scheduled"`; when the
//! run store refuses the write, the answer is 503 and no background execution
//! starts (the run stays as it was); the background executor consumes the pending command,
//! records one agent attempt per agent it dispatches, and appends one report per
//! tick once every attempt of the tick has settled.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use squadsim_conformance::vocabulary::{LiveStatus, RUN_CONTROL_SCHEDULED_EVENT};
use squadsim_fakes::net::HttpRequest;

use super::api::{body_error, detail, validation_error, Tenant};
use super::read_model::find_run;
use super::wire::{ControlRequest, RunControlView, ScheduledView};
use super::{DeliveryGraph, PendingRunControl, RunStatus, Studio, TickReport};
use crate::base::clock::instant;
use crate::platform::agent_server::{AttemptOutcome, GraphProgress, Handoff};
use crate::platform::studio::harness;

/// Operator commands a run control may carry.
pub(crate) const COMMANDS: [&str; 2] = ["execute", "replay"];

/// The operator surface a run control comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Surface {
    StudioAdmin,
    Portal,
}

impl Surface {
    /// The `operator_control:scheduled` detail for `command` from this surface
    /// (Studio Admin's is the bare command, as the runbook's operator sees it).
    fn scheduled_detail(self, command: &str) -> String {
        match self {
            Surface::StudioAdmin => command.to_string(),
            Surface::Portal => format!("{command} via portal"),
        }
    }
}

/// Why the run store did not persist a run control.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RunStoreError {
    /// The run store refused the write (`world.run_store.refuses_run_control_writes`).
    WriteRefused,
}

impl std::fmt::Display for RunStoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunStoreError::WriteRefused => {
                f.write_str("Run control was not scheduled: the run store refused to persist pendingRunControl")
            }
        }
    }
}

impl std::error::Error for RunStoreError {}

pub(crate) async fn execute(State(studio): State<Arc<Studio>>, tenant: Tenant, Path(run_id): Path<String>) -> Response {
    schedule(studio, Surface::StudioAdmin, tenant, run_id, "execute")
}

pub(crate) async fn replay(State(studio): State<Arc<Studio>>, tenant: Tenant, Path(run_id): Path<String>) -> Response {
    schedule(studio, Surface::StudioAdmin, tenant, run_id, "replay")
}

/// `POST /v1/admin/studio/runs/{run_id}/control` (Studio Admin).
pub(crate) async fn control(state: State<Arc<Studio>>, tenant: Tenant, run_id: Path<String>, body: Bytes) -> Response {
    control_from(Surface::StudioAdmin, state, tenant, run_id, body)
}

/// The Portal's run control (`POST /v1/portal/runs/{run_id}/control`).
pub(crate) async fn portal_control(
    state: State<Arc<Studio>>,
    tenant: Tenant,
    run_id: Path<String>,
    body: Bytes,
) -> Response {
    control_from(Surface::Portal, state, tenant, run_id, body)
}

fn control_from(
    surface: Surface,
    State(studio): State<Arc<Studio>>,
    tenant: Tenant,
    Path(run_id): Path<String>,
    body: Bytes,
) -> Response {
    let request: ControlRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return body_error(&body, &e),
    };
    if !COMMANDS.contains(&request.command.as_str()) {
        return validation_error(
            &["body", "command"],
            "enum",
            &format!("Input should be one of {}", COMMANDS.join(", ")),
            Value::String(request.command.clone()),
        );
    }
    schedule(studio, surface, tenant, run_id, &request.command)
}

/// Schedule Run Control: persist, emit, answer; execution starts in the
/// background only once the run control is persisted.
fn schedule(studio: Arc<Studio>, surface: Surface, tenant: Tenant, run_id: String, command: &str) -> Response {
    let run = match find_run(&studio, &tenant, &run_id) {
        Ok(r) => r,
        Err(r) => return r,
    };
    if run.cleaned_up {
        return detail(StatusCode::CONFLICT, format!("Run '{run_id}' was cleaned up"));
    }
    if run.pending_run_control.is_some() {
        return detail(StatusCode::CONFLICT, "A run control is already pending for this run");
    }
    let pending = PendingRunControl { command: command.to_string(), scheduled_at: instant() };
    if let Err(e) = persist(&studio, &run_id, surface, &pending) {
        return detail(StatusCode::SERVICE_UNAVAILABLE, e.to_string());
    }
    tokio::spawn(execute_pending(studio, run_id.clone()));
    let view = ScheduledView {
        run_id,
        status: "scheduled".to_string(),
        pending_run_control: RunControlView { command: pending.command, scheduled_at: pending.scheduled_at },
    };
    Json(view).into_response()
}

/// Persists `pending` on the run and emits `operator_control:scheduled`, or
/// changes nothing when the run store refuses the write.
fn persist(studio: &Studio, run_id: &str, surface: Surface, pending: &PendingRunControl) -> Result<(), RunStoreError> {
    if studio.config.run_store_refuses_run_control_writes {
        return Err(RunStoreError::WriteRefused);
    }
    studio.update_run(run_id, |run| {
        run.pending_run_control = Some(pending.clone());
        run.record(RUN_CONTROL_SCHEDULED_EVENT, surface.scheduled_detail(&pending.command));
    });
    Ok(())
}

/// Execute Pending Run Control: consume the command, then tick until the
/// LangGraph Agent Server's frontier is empty. Each tick dispatches the next
/// action's agents (Record Agent Attempt), waits for every attempt to settle and
/// appends one report.
async fn execute_pending(studio: Arc<Studio>, run_id: String) {
    run_ticks(&studio, &run_id).await;
    studio.update_run(&run_id, |run| {
        if run.executing {
            run.executing = false;
            run.record("operator_control:idle", String::new());
        }
    });
}

async fn run_ticks(studio: &Arc<Studio>, run_id: &str) {
    let (studio, run_id) = (studio.clone(), run_id.to_string());
    let replay = studio.update_run(&run_id, |run| {
        let pending = run.pending_run_control.take()?;
        run.record("operator_control:executing", pending.command.clone());
        run.executing = true;
        Some(pending.command == "replay")
    });
    let Some(Some(replay)) = replay else { return };
    // The agents of the tick just worked: the next routing run records how their attempts ended.
    let mut settled = Vec::new();
    if replay {
        // Blocked agents are attempted again with the mail they had; one whose
        // identity was not bound only once its binding succeeds now.
        let still_unbound = studio.bind_unbound_again(&run_id).await;
        let blocked: Vec<String> = studio
            .read_run(&run_id, |r| {
                let blocked = r.sessions.iter().filter(|s| s.live_status == LiveStatus::Blocked);
                blocked.map(|s| s.agent_id.clone()).filter(|a| !still_unbound.contains(a)).collect()
            })
            .unwrap_or_default();
        tick(&studio, &run_id, blocked.clone()).await;
        settled = blocked;
    }
    route(&studio, &run_id, settled).await;
}

/// The routing loop: asks the Agent Server for the next action (recording how
/// the `settled` agents' attempts ended), dispatches it as a tick, and goes on
/// until the frontier is empty or the Agent Server cannot be asked.
async fn route(studio: &Arc<Studio>, run_id: &str, mut settled: Vec<String>) {
    loop {
        let next = next_action(studio, run_id, &settled).await;
        // The tick's outcome is routed (or cannot be): nothing of it is left in flight.
        studio.update_run(run_id, |run| run.tick_in_flight = None);
        let Some(next) = next else {
            studio.update_run(run_id, |run| {
                run.record("agent_server:unreachable", String::new());
                run.delivery_graph = DeliveryGraph::Unread("the LangGraph Agent Server did not answer".to_string());
            });
            return;
        };
        studio.update_run(run_id, |run| run.delivery_graph = next.graph.clone());
        if next.dispatch.is_empty() {
            return;
        }
        studio.join_roster(run_id, &next.roster).await;
        // An agent whose identity could not be bound has no session to start.
        let unbound = studio.unbound_agents(run_id);
        let agents: Vec<String> =
            next.dispatch.iter().map(|(agent, _)| agent.clone()).filter(|agent| !unbound.contains(agent)).collect();
        if agents.is_empty() {
            return;
        }
        studio.update_run(run_id, |run| {
            for (agent, inbox) in next.dispatch {
                if let Some(s) = run.session_mut(&agent) {
                    s.inbox = inbox;
                }
            }
        });
        tick(studio, run_id, agents.clone()).await;
        settled = agents;
    }
}

/// The tick in flight, as the execution's durable history holds it: the agents
/// it dispatched, each with the attempts its session had made before the tick
/// (so a resumed tick tells an attempt that started from one that did not), and
/// whether its report was appended (then only routing its outcome is left).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TickInFlight {
    pub(crate) agents: Vec<(String, u32)>,
    pub(crate) reported: bool,
}

/// Resumes the execution a Studio crash cut off, as Temporal replays a
/// workflow's history on a new worker: a run control scheduled but not yet
/// taken is executed; an executing one resumes its tick in flight (each
/// attempt that started goes on from where its history says, one that had not
/// started starts) and then routes on. Called at each (re)start of the Studio;
/// a run cleaned up is left alone.
pub(crate) fn resume_in_flight(studio: &Arc<Studio>) {
    for run in studio.runs() {
        if run.cleaned_up {
            continue;
        }
        if run.executing {
            tokio::spawn(resume_execution(studio.clone(), run.run_id, run.tick_in_flight));
        } else if run.pending_run_control.is_some() {
            tokio::spawn(execute_pending(studio.clone(), run.run_id));
        }
    }
}

async fn resume_execution(studio: Arc<Studio>, run_id: String, in_flight: Option<TickInFlight>) {
    studio.update_run(&run_id, |run| run.record("operator_control:resumed", String::new()));
    let mut settled = Vec::new();
    if let Some(in_flight) = in_flight {
        if !in_flight.reported {
            let mut attempts = Vec::new();
            for (agent_id, before) in &in_flight.agents {
                let started = studio.read_run(&run_id, |r| r.session(agent_id).map(|s| s.attempts > *before));
                let (studio, run_id, agent_id) = (studio.clone(), run_id.clone(), agent_id.clone());
                attempts.push(if started.flatten() == Some(true) {
                    tokio::spawn(harness::resume(studio, run_id, agent_id))
                } else {
                    tokio::spawn(harness::attempt(studio, run_id, agent_id))
                });
            }
            for a in attempts {
                let _ = a.await;
            }
            report_tick(&studio, &run_id, in_flight.agents.iter().map(|(agent, _)| agent.as_str()));
        }
        settled = in_flight.agents.into_iter().map(|(agent, _)| agent).collect();
    }
    route(&studio, &run_id, settled).await;
    studio.update_run(&run_id, |run| {
        if run.executing {
            run.executing = false;
            run.record("operator_control:idle", String::new());
        }
    });
}

/// The routing node's answer.
#[derive(Debug, PartialEq)]
struct NextAction {
    roster: Vec<String>,
    dispatch: Vec<(String, Vec<Handoff>)>,
    /// How far the delivery graph got.
    graph: DeliveryGraph,
}

/// Asks the LangGraph Agent Server for the next action (`POST /threads/{id}/runs/wait`),
/// recording how the attempts of the `settled` agents ended (Record Agent Attempt).
async fn next_action(studio: &Studio, run_id: &str, settled: &[String]) -> Option<NextAction> {
    let attempts: Vec<AttemptOutcome> = studio
        .read_run(run_id, |run| {
            settled
                .iter()
                .filter_map(|agent| run.session(agent))
                .map(|s| AttemptOutcome {
                    agent_id: s.agent_id.clone(),
                    live_status: s.live_status.as_str().to_string(),
                })
                .collect()
        })
        .unwrap_or_default();
    let url = format!("{}/threads/{run_id}/runs/wait", studio.config.agent_server_url);
    let input = json!({"attempts": attempts});
    let request = HttpRequest::post(url).json(&json!({"assistant_id": "delivery_graph", "input": input}));
    let response = studio.http.send(request).await.ok().filter(|r| r.status.is_success())?;
    Some(routing_answer(&response.body))
}

/// The routing node's answer as [`routing_answer_by_value`] reads it: an answer
/// of the shape the Agent Server gives (`roster`, `next_action.dispatch` of
/// `agent_id`, `slot_intent`, `inbox`, `graph`, `checkpoint`, each once, nothing
/// else) is read straight into its types; any other body by the `Value` reading.
fn routing_answer(body: &[u8]) -> NextAction {
    match serde_json::from_slice::<RoutingAnswer>(body) {
        Ok(answer) => NextAction {
            roster: answer.roster,
            dispatch: answer.next_action.dispatch.into_iter().map(|d| (d.agent_id, d.inbox)).collect(),
            graph: DeliveryGraph::Routed(answer.graph),
        },
        Err(_) => routing_answer_by_value(serde_json::from_slice(body).unwrap_or_default()),
    }
}

/// The Agent Server's routing answer (`agent_server::run_wait`), every member
/// named: a member of another name, a repeated one or one of another type
/// refuses the body, which is then read as a `Value`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RoutingAnswer {
    roster: Vec<String>,
    next_action: RoutedAction,
    graph: GraphProgress,
    /// Not used; read as a `Value` so that it refuses what a `Value` refuses.
    #[allow(dead_code)]
    checkpoint: Value,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RoutedAction {
    dispatch: Vec<RoutedAgent>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RoutedAgent {
    agent_id: String,
    /// Not used; read as a `Value` so that it refuses what a `Value` refuses.
    #[allow(dead_code)]
    slot_intent: Value,
    inbox: Vec<Handoff>,
}

/// The routing node's answer read from its `Value` (`Null` when it is not
/// JSON): each part that does not read as its type is empty.
fn routing_answer_by_value(response: Value) -> NextAction {
    let roster = serde_json::from_value(response.get("roster").cloned().unwrap_or_default()).unwrap_or_default();
    let dispatch = response
        .pointer("/next_action/dispatch")
        .and_then(|d| d.as_array())
        .map(|items| {
            items
                .iter()
                .filter_map(|i| {
                    let agent = i.get("agent_id")?.as_str()?.to_string();
                    let inbox = serde_json::from_value(i.get("inbox").cloned().unwrap_or_default()).unwrap_or_default();
                    Some((agent, inbox))
                })
                .collect()
        })
        .unwrap_or_default();
    let graph = match response.get("graph").cloned().map(serde_json::from_value) {
        Some(Ok(progress)) => DeliveryGraph::Routed(progress),
        _ => DeliveryGraph::Unread("the routing node's answer says nothing of the delivery graph".to_string()),
    };
    NextAction { roster, dispatch, graph }
}

/// One tick: Record Agent Attempt for each agent, wait for all, append the report.
async fn tick(studio: &Arc<Studio>, run_id: &str, agents: Vec<String>) {
    let cleaned = studio.update_run(run_id, |run| {
        let mut in_flight = Vec::with_capacity(agents.len());
        for agent in &agents {
            if let Some(s) = run.session_mut(agent) {
                s.blocker_code = None;
                s.wall_code = None;
                in_flight.push((agent.clone(), s.attempts));
            }
        }
        for agent in &agents {
            run.record("agent_attempt:recorded", agent.clone());
        }
        run.tick_in_flight = Some(TickInFlight { agents: in_flight, reported: false });
        run.cleaned_up
    });
    if cleaned != Some(false) {
        return;
    }
    let mut attempts = Vec::new();
    for agent_id in agents.clone() {
        attempts.push(tokio::spawn(harness::attempt(studio.clone(), run_id.to_string(), agent_id)));
    }
    for a in attempts {
        let _ = a.await;
    }
    report_tick(studio, run_id, agents.iter().map(String::as_str));
}

/// Appends the report of the tick of `agents`, once every attempt of it settled.
fn report_tick<'a>(studio: &Studio, run_id: &str, agents: impl Iterator<Item = &'a str>) {
    studio.update_run(run_id, |run| {
        let tick = run.reports.len() as u32 + 1;
        let mut blockers: Vec<_> = run.sessions.iter().filter_map(|s| s.blocker_code).collect();
        blockers.sort();
        blockers.dedup();
        // The tick's own result: blocked if any agent is blocked, completed when
        // every attempt of the tick completed.
        let mut ticked = agents.filter_map(|agent| run.session(agent));
        let status = if run.sessions.iter().any(|s| s.live_status == LiveStatus::Blocked) {
            RunStatus::Blocked
        } else if ticked.all(|s| s.live_status == LiveStatus::SessionCompleted) {
            RunStatus::Completed
        } else {
            RunStatus::Running
        };
        run.reports.push(TickReport { tick, status, generated_at: instant(), blockers });
        if let Some(in_flight) = &mut run.tick_in_flight {
            in_flight.reported = true;
        }
    });
}

/// `POST .../cleanup`: stops scheduling and destroys the run's execution workspaces.
pub(crate) async fn cleanup(State(studio): State<Arc<Studio>>, tenant: Tenant, Path(run_id): Path<String>) -> Response {
    let run = match find_run(&studio, &tenant, &run_id) {
        Ok(r) => r,
        Err(r) => return r,
    };
    studio.update_run(&run_id, |run| {
        run.cleaned_up = true;
        run.pending_run_control = None;
        run.record("run:cleanup", String::new());
    });
    let workspaces: Vec<(String, String)> =
        run.sessions.iter().filter_map(|s| Some((s.agent_id.clone(), s.execution_workspace.clone()?))).collect();
    let released = harness::release_workspaces(&studio, &run_id, &workspaces).await;
    Json(json!({"run_id": run_id, "status": "cleaned_up", "released_execution_workspaces": released})).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_routing_answer_reads_as_its_value_reading_does() {
        let handoff = r#"{"sender_agent_id":"a","recipient_agent_id":"b","handoff_intent":"review","required_result":"ok","delivery_reference":null,"fallback_wall":"w"}"#;
        let agent = |id: &str, inbox: &str| format!(r#"{{"agent_id":"{id}","slot_intent":null,"inbox":[{inbox}]}}"#);
        let checkpoint = r#""checkpoint":{"thread_id":"r-1","checkpoint_id":"c-3"}"#;
        let two = format!("{},{}", agent("a", ""), agent("b", handoff));
        let bodies = [
            // The Agent Server's shapes (read straight into their types).
            format!(
                r#"{{"roster":["a","b"],"next_action":{{"dispatch":[{two}]}},"graph":{{"status":"working"}},{checkpoint}}}"#
            ),
            format!(r#"{{"roster":[],"next_action":{{"dispatch":[]}},"graph":{{"status":"at_end"}},{checkpoint}}}"#),
            format!(
                r#"{{"roster":["a"],"next_action":{{"dispatch":[]}},"graph":{{"status":"stopped_short","reason":"no \"qa\""}},{checkpoint}}}"#
            ),
            format!(
                r#"{{"graph":{{"status":"working"}},{checkpoint},"next_action":{{"dispatch":[{two}]}},"roster":["b","a"]}}"#
            ),
            format!(
                r#"{{"roster":["a"],"next_action":{{"dispatch":[{{"agent_id":"\u0061","slot_intent":"lead","inbox":[{handoff},{handoff}]}}]}},"graph":{{"status":"working"}},{checkpoint}}}"#
            ),
            // Other shapes (read as a `Value`).
            format!(r#"{{"roster":["a"],"next_action":{{"dispatch":[{two}]}},"graph":{{"status":"working"}}}}"#),
            format!(
                r#"{{"roster":["a"],"next_action":{{"dispatch":[{two}]}},"graph":{{"status":"working"}},{checkpoint},"extra":1}}"#
            ),
            format!(
                r#"{{"roster":[1],"next_action":{{"dispatch":[{two}]}},"graph":{{"status":"working"}},{checkpoint}}}"#
            ),
            format!(
                r#"{{"roster":["a"],"roster":["z"],"next_action":{{"dispatch":[{two}]}},"graph":{{"status":"working"}},{checkpoint}}}"#
            ),
            format!(
                r#"{{"roster":["a"],"next_action":{{"dispatch":[{{"agent_id":"a","inbox":[]}},{{"inbox":[]}},{{"agent_id":7}},{{"agent_id":"c","inbox":[{{"x":1}}]}}]}},"graph":{{"status":"working"}},{checkpoint}}}"#
            ),
            format!(
                r#"{{"roster":["a"],"next_action":{{"dispatch":[{two}],"kind":"x"}},"graph":{{"status":"working"}},{checkpoint}}}"#
            ),
            format!(
                r#"{{"roster":["a"],"next_action":{{"dispatch":[{two}]}},"graph":{{"status":"flying"}},{checkpoint}}}"#
            ),
            format!(r#"{{"roster":["a"],"next_action":{{"dispatch":[{two}]}},{checkpoint}}}"#),
            format!(r#"{{"roster":["a"],"next_action":{{"dispatch":"all"}},"graph":null,{checkpoint}}}"#),
            format!(
                r#"{{"roster":["a"],"next_action":{{"dispatch":[{two}]}},"graph":{{"status":"working"}},"checkpoint":"\ud800"}}"#
            ),
            format!(
                r#"{{"roster":["a"],"next_action":{{"dispatch":[{two}]}},"graph":{{"status":"working"}},{checkpoint}}} trailing"#
            ),
            r#"[{"roster":["a"]}]"#.to_string(),
            "not json".to_string(),
            String::new(),
        ];
        let mut dispatched = 0;
        for (i, body) in bodies.iter().enumerate() {
            // The first five are read straight into their types, the others as a `Value`.
            assert_eq!(serde_json::from_slice::<RoutingAnswer>(body.as_bytes()).is_ok(), i < 5, "{body}");
            let expected = routing_answer_by_value(serde_json::from_slice(body.as_bytes()).unwrap_or_default());
            dispatched += expected.dispatch.len();
            assert_eq!(routing_answer(body.as_bytes()), expected, "{body}");
        }
        assert!(dispatched >= 15, "{dispatched}");
    }
}
