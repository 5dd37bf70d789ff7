//! The Temporal-owned lifecycle: a phase that overruns its deadline ends the
//! attempt with a recorded reason, and its twins without the overrun complete.

use crate::support;

use squadsim::scenario::{Scenario, SimDuration};
use squadsim::Outcome;

fn load() -> Scenario {
    support::load("workspace-start-deadline.yaml")
}

fn statuses(o: &Outcome) -> Vec<(String, String, Option<String>, Option<String>)> {
    o.sessions
        .iter()
        .map(|s| (s.role_id.clone(), s.live_status.clone(), s.blocker_code.clone(), s.attempt_end.clone()))
        .collect()
}

fn all_completed(o: &Outcome) -> bool {
    o.sessions.len() >= 2 && o.sessions.iter().all(|s| s.live_status == "session_completed" && s.attempt_end.is_none())
}

#[test]
fn a_sandbox_slower_than_the_workspace_start_deadline_ends_the_attempt_with_the_reason() {
    let o = support::run(&load());
    assert_eq!(o.sessions.len(), 2, "{:?}", statuses(&o));
    for s in &o.sessions {
        let end = s.attempt_end.as_deref().unwrap_or_default();
        assert!(end.starts_with("lifecycle_deadline: workspace_start overran its 60s deadline"), "{:?}", statuses(&o));
        assert!(end.contains("still creating"), "the last thing Daytona said is kept: {end}");
        // The session had started: the launch contract still decides its blocker.
        assert_eq!(s.blocker_code.as_deref(), Some("agent_first_tool_required"));
        assert_eq!(s.tool_call_count, 0);
    }
    assert_eq!(o.observability.runtime_logs, 0, "the agent process never ran");
}

#[test]
fn twin_with_a_fast_execution_plane_completes() {
    let mut s = load();
    s.world.sandbox_start = SimDuration::secs(2);
    let o = support::run(&s);
    assert!(all_completed(&o), "{:?}", statuses(&o));
}

#[test]
fn twin_with_a_longer_workspace_start_deadline_completes() {
    let mut s = load();
    s.world.lifecycle.workspace_start = SimDuration::secs(100);
    let o = support::run(&s);
    assert!(all_completed(&o), "{:?}", statuses(&o));
}

#[test]
fn a_process_run_deadline_ends_a_process_that_outlives_it() {
    let mut s = load();
    s.world.sandbox_start = SimDuration::secs(2);
    s.world.lifecycle.process_run = SimDuration::secs(3);
    let o = support::run(&s);
    assert!(
        o.sessions.iter().all(|x| x.attempt_end.as_deref().is_some_and(|e| e.contains("process_run overran"))),
        "{:?}",
        statuses(&o)
    );
}
