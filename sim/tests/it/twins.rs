//! Twin tests: remove the condition that causes an incident, and its symptom is gone.

use crate::support;

use squadsim::scenario::Step;
use squadsim::Outcome;
use support::load;

fn statuses(o: &Outcome) -> Vec<(String, String, Option<String>)> {
    o.sessions.iter().map(|s| (s.role_id.clone(), s.live_status.clone(), s.blocker_code.clone())).collect()
}

#[test]
fn wrong_project_slug_hangs_with_no_response() {
    let o = support::run(&load("wrong-project-slug.yaml"));
    assert_eq!(o.launch_http_status(), None, "the launch must get no response (HTTP 000)");
    assert!(o.run.is_none());
    let launch = o.operator.iter().find(|c| c.step == "launch").unwrap();
    assert!(launch.note.as_deref().unwrap_or_default().contains("HTTP 000"), "{launch:?}");
}

#[test]
fn wrong_project_slug_twin_with_the_slug_fixed_completes() {
    let mut s = load("wrong-project-slug.yaml");
    for step in &mut s.steps {
        match step {
            Step::Launch(l) => l.project_slug = "sanmopia-modernization".into(),
            // The whole delivery graph (PR, evidence, merge, lineage) outlasts the incident's 2-minute watch.
            Step::Watch(w) => w.timeout = squadsim::scenario::SimDuration::secs(600),
            _ => {}
        }
    }
    let o = support::run(&s);
    assert_eq!(o.launch_http_status(), Some(200));
    support::assert_completed(&o);
}

#[test]
fn a_project_that_appears_later_ends_the_wait() {
    // The hang is a modelled wait, not a special case: a project that shows up
    // while provisioning waits lets the launch through.
    let mut s = load("wrong-project-slug.yaml");
    s.world.projects.push(squadsim::scenario::ProjectCondition {
        slug: "sanmopia".into(),
        code: "sanm".into(),
        appears_after: Some(squadsim::scenario::SimDuration::secs(10)),
    });
    let o = support::run(&s);
    assert_eq!(o.launch_http_status(), Some(200));
    let at: f64 = o.operator[0].at.trim_end_matches('s').parse().unwrap();
    assert!(at >= 16.0, "launch answered after the project appeared (10s) plus identity binding (6s): {at}");
}

#[test]
fn operator_not_super_admin_is_refused_with_403() {
    let o = support::run(&load("operator-not-super-admin.yaml"));
    let launch = o.operator.iter().find(|c| c.step == "launch").unwrap();
    assert_eq!(launch.http_status, Some(403));
    assert_eq!(o.operator.iter().find(|c| c.step == "health").unwrap().http_status, Some(200));
    assert!(o.run.is_none());
}

#[test]
fn operator_not_super_admin_twin_with_the_group_added_succeeds() {
    let mut s = load("operator-not-super-admin.yaml");
    s.world.operator.groups.push("/org/platform/roles/super_admin".into());
    s.steps.push(Step::Watch(Default::default()));
    let o = support::run(&s);
    assert_eq!(o.launch_http_status(), Some(200));
    support::assert_completed(&o);
}

#[test]
fn missing_claim_headers_are_401() {
    let mut s = load("operator-not-super-admin.yaml");
    s.world.operator.email = None;
    let o = support::run(&s);
    assert_eq!(o.launch_http_status(), Some(401));
}

#[test]
fn a_dispatch_prompt_that_elicits_no_tool_call_trips_the_first_tool_gate() {
    let mut s = load("happy-intake.yaml");
    s.agents.insert(
        "planner".into(),
        squadsim::scenario::AgentBehaviour { tool_calls: Some(vec![]), ..Default::default() },
    );
    let o = support::run(&s);
    let planner = o.sessions.iter().find(|x| x.role_id == "planner").unwrap();
    assert_eq!(planner.blocker_code.as_deref(), Some("agent_first_tool_required"));
    assert!(planner.claude_session_id.is_some(), "the gate applies to a started session");
    assert_eq!(o.run.as_ref().unwrap().status, "blocked", "a run is blocked if any agent is blocked");
    let curator = o.sessions.iter().find(|x| x.role_id == "curator").unwrap();
    assert_eq!(curator.live_status, "session_completed");
}

#[test]
fn a_gateway_partition_blocks_at_the_launch_contract_deadline() {
    let mut s = load("happy-intake.yaml");
    s.faults.push(squadsim::scenario::Fault::Partition {
        between: ["daytona".into(), "contextforge".into()],
        start: squadsim::scenario::FaultStart::at_time(squadsim::scenario::SimDuration::secs(1)),
        end: squadsim::scenario::FaultEnd::NEVER,
    });
    let o = support::run(&s);
    assert!(
        o.sessions.iter().all(|x| x.blocker_code.as_deref() == Some("agent_first_tool_required")),
        "{:?}",
        statuses(&o)
    );
    assert_eq!(o.gateway.tool_calls, 0);
}
