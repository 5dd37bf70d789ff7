//! Run control from both operator surfaces (`docs/seeds.md`, delivery-language seed, "Run
//! Control Lifecycle"): "Portal and Studio Admin must both persist the scheduled
//! run control before starting background execution." When the run store
//! refuses the write, neither surface starts execution; when it persists, the
//! Portal's run control executes the run like Studio Admin's, scheduled first.

use crate::support;

use squadsim::scenario::Step;
use squadsim::Outcome;
use support::load;

fn status_of(o: &Outcome, step: &str) -> Option<u16> {
    o.operator.iter().find(|c| c.step == step).and_then(|c| c.http_status)
}

#[test]
fn neither_surface_starts_execution_when_the_run_control_is_not_persisted() {
    let o = support::run(&load("run-control-not-persisted.yaml"));
    assert_eq!(status_of(&o, "request"), Some(503), "the Portal: {:?}", o.operator);
    assert_eq!(status_of(&o, "execute"), Some(503), "Studio Admin: {:?}", o.operator);
    assert!(
        o.run_control.iter().all(|e| !e.contains("operator_control:") && !e.contains("agent_attempt:")),
        "nothing scheduled, nothing executed: {:?}",
        o.run_control
    );
    assert_eq!(o.run.as_ref().map(|r| r.status.as_str()), Some("ready"));
    assert!(o.sessions.iter().all(|s| s.live_status == "ready" && s.claude_session_id.is_none()), "{:?}", o.sessions);
    let refused = o.operator.iter().find(|c| c.step == "request").and_then(|c| c.body.clone()).unwrap_or_default();
    assert!(
        refused["detail"].as_str().unwrap_or_default().contains("the run store refused to persist pendingRunControl"),
        "{refused}"
    );
}

#[test]
fn twin_the_portal_persists_its_run_control_before_executing_the_run() {
    let mut s = load("run-control-not-persisted.yaml");
    s.world.run_store.refuses_run_control_writes = false;
    s.steps.retain(|step| !matches!(step, Step::Execute));
    let o = support::run(&s);
    assert_eq!(status_of(&o, "request"), Some(200), "{:?}", o.operator);
    let at = |event: &str| o.run_control.iter().position(|e| e.contains(event));
    let scheduled = at("operator_control:scheduled execute via portal").expect("scheduled from the Portal");
    let executing = at("operator_control:executing execute").expect("executed");
    assert!(scheduled < executing, "{:?}", o.run_control);
    assert!(o.sessions.iter().all(|s| s.live_status == "session_completed"), "{:?}", o.sessions);
}
