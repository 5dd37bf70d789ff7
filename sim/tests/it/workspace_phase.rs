//! `executionWorkspacePhase` (delivery-language seed: new application code reads and
//! writes "blocker_code, wall_code, executionWorkspacePhase, and AGENT_HUD_STATUS"):
//! each session's execution workspace phase, from the sandbox's state through the
//! Temporal-owned phases, in session state and in the outcome.

use squadsim::engine::world::{self, Run, RunOptions};
use squadsim::scenario::Step;
use squadsim::Outcome;

use crate::support::{self, load};

fn phases(o: &Outcome) -> Vec<(String, Option<String>)> {
    o.sessions.iter().map(|s| (s.agent_id.clone(), s.execution_workspace_phase.clone())).collect()
}

#[test]
fn a_session_whose_agent_process_exited_shows_it_and_one_never_attempted_shows_none() {
    let o = support::run(&load("happy-intake.yaml"));
    assert!(!o.sessions.is_empty());
    for (agent, phase) in phases(&o) {
        assert_eq!(phase.as_deref(), Some("process_exited"), "{agent}");
    }
    let mut launched_only = load("happy-intake.yaml");
    launched_only.steps.retain(|s| matches!(s, Step::Launch(_)));
    let o = support::run(&launched_only);
    assert!(phases(&o).iter().all(|(_, p)| p.is_none()), "{:?}", phases(&o));
}

#[test]
fn a_sandbox_that_never_starts_leaves_the_workspace_start_phase_ended_with_the_sandbox_state_daytona_reported() {
    let o = support::run(&load("workspace-start-deadline.yaml"));
    for s in &o.sessions {
        let phase = s.execution_workspace_phase.as_deref().unwrap_or_default();
        assert!(phase.starts_with("workspace_start ended (sandbox "), "{}: {phase}", s.agent_id);
        assert!(!phase.contains("started"), "{}: {phase}", s.agent_id);
    }
    // Its twin (the sandbox comes up in time) gets past the phase.
    let mut twin = load("workspace-start-deadline.yaml");
    twin.world.sandbox_start = squadsim::scenario::SimDuration::secs(2);
    assert!(phases(&support::run(&twin)).iter().all(|(_, p)| p.as_deref() == Some("process_exited")));
}

#[test]
fn a_refused_sandbox_create_ends_the_provision_phase_before_any_sandbox_exists() {
    let o = support::run(&load("daytona-api-unavailable.yaml"));
    assert!(!o.sessions.is_empty());
    for (agent, phase) in phases(&o) {
        assert_eq!(phase.as_deref(), Some("workspace_provision ended"), "{agent}");
    }
}

#[test]
fn a_first_tool_block_is_told_apart_from_a_workspace_that_never_came_up() {
    // The runbook's zero-output block: claude ran (its process exited without the
    // required first tool call), so the execution workspace is not what failed.
    let o = support::run(&load("first-tool-no-tool-call.yaml"));
    let planner = o.sessions.iter().find(|s| s.agent_id == "planner").expect("the planner");
    assert_eq!(planner.blocker_code.as_deref(), Some("agent_first_tool_required"));
    assert_eq!(planner.execution_workspace_phase.as_deref(), Some("process_exited"));
    // Faulted Longhorn volumes: the sandbox never starts, and the phase says where it stands.
    let o = support::run(&load("longhorn-faulted-volumes.yaml"));
    for s in &o.sessions {
        let phase = s.execution_workspace_phase.as_deref().unwrap_or_default();
        assert!(phase.starts_with("workspace_start"), "{}: {phase}", s.agent_id);
        assert!(!phase.contains("sandbox started"), "{}: {phase}", s.agent_id);
    }
}

#[test]
fn cleanup_releases_each_workspace_and_session_state_serves_the_phase() {
    let mut s = load("happy-intake.yaml");
    s.steps.push(Step::Cleanup);
    let options = RunOptions { keep_services: true, capture_responses: true, ..RunOptions::default() };
    let Run { outcome, services, responses, .. } = world::run(&s, options);
    let run_id = outcome.run.as_ref().expect("a launched run").run_id.clone();
    assert!(phases(&outcome).iter().all(|(_, p)| p.as_deref() == Some("released")), "{:?}", phases(&outcome));
    // The cleanup's answer counts the workspaces Daytona confirmed destroyed: both of the intake pair's.
    let (_, cleanup) =
        responses.iter().find(|(r, _)| r.starts_with("POST ") && r.ends_with("/cleanup")).expect("cleanup");
    assert_eq!(cleanup["released_execution_workspaces"], 2, "{cleanup}");

    let state = support::session_state_over_http(services.expect("built").studio, &run_id);
    let sessions = state["sessions"].as_array().expect("sessions");
    assert!(!sessions.is_empty());
    for session in sessions {
        assert_eq!(session["executionWorkspacePhase"], "released", "{session}");
    }
}

#[test]
fn between_the_lifecycles_end_and_the_gate_session_state_says_where_the_attempt_stopped() {
    // Sandboxes take 90 s to start: the 60 s workspace-start deadline ends each attempt, the 120 s gate blocks it.
    let s = load("workspace-start-deadline.yaml");
    let run = world::run(&s, RunOptions { capture_responses: true, ..RunOptions::default() });
    // The planner's status and step in each of the operator's session-state polls, in order.
    let planner: Vec<(String, String)> = std::iter::zip(
        support::polled(&run.responses, "planner", "live_status"),
        support::polled(&run.responses, "planner", "current_step"),
    )
    .collect();
    let stopped = (
        "waiting_first_tool".to_string(),
        "lifecycle_deadline: workspace_start overran its 60s deadline (sandbox sbx-00000001 still creating)"
            .to_string(),
    );
    assert!(planner.contains(&stopped), "{planner:?}");
    // Once blocked, the step is the gate's, and the lifecycle's reason is the attempt's end.
    assert_eq!(planner.last(), Some(&("blocked".to_string(), "first_tool_gate".to_string())));
    assert_eq!(run.outcome.sessions[0].attempt_end.as_deref(), Some(stopped.1.as_str()));
}
