//! Outcomes that cannot lie (issue 15, items 1 and 4): work that stopped on a
//! failed call is a no-progress report and a blocked session with a reason; a
//! delivery reference GitHub would not answer for is unreadable, not missing.
//! Each incident scenario against its twin without the fault.

mod support;

use squadsim::agent_process_adapter::AgentProcessAdapter;
use squadsim::report;
use squadsim::{world, Outcome};
use support::load;

fn statuses(o: &Outcome) -> Vec<(String, String, Option<String>, String)> {
    o.sessions
        .iter()
        .map(|s| (s.agent_id.clone(), s.live_status.clone(), s.blocker_code.clone(), s.current_step.clone()))
        .collect()
}

fn session<'a>(o: &'a Outcome, agent_id: &str) -> &'a squadsim::outcome::SessionOutcome {
    o.sessions.iter().find(|s| s.agent_id == agent_id).unwrap_or_else(|| panic!("no {agent_id}: {:?}", statuses(o)))
}

fn run_status(o: &Outcome) -> &str {
    o.run.as_ref().map(|r| r.status.as_str()).unwrap_or("not launched")
}

/// The run completed, every session with it.
fn delivered(o: &Outcome) -> bool {
    run_status(o) == "completed"
        && o.sessions.iter().all(|s| s.live_status == "session_completed" && s.blocker_code.is_none())
}

#[test]
fn an_agent_server_down_at_the_planners_handoff_blocks_the_planner_and_the_run_and_its_twin_delivers() {
    let s = load("handoff-agent-server-down.yaml");
    let o = world::run(&s);
    let planner = session(&o, "planner");
    assert_eq!(planner.live_status, "blocked", "{:?}", statuses(&o));
    assert_eq!(planner.blocker_code.as_deref(), Some("handoff_not_delivered"));
    assert!(
        planner.current_step.starts_with("work_stopped: send_handoff to implementer-1: "),
        "{}",
        planner.current_step
    );
    assert_eq!(run_status(&o), "blocked", "a run is blocked if any agent is blocked");
    assert!(o.run_control.iter().any(|e| e.ends_with("agent_server:unreachable")), "{:?}", o.run_control);
    assert!(report::summary(&o).contains("blockers: handoff_not_delivered (model-defined)"), "{}", report::summary(&o));
    let mut twin = s;
    twin.faults.clear();
    let t = world::run(&twin);
    assert!(delivered(&t), "{:?}", statuses(&t));
    assert_eq!(t.sessions.len(), 6);
}

#[test]
fn a_tester_whose_loadout_has_no_playwright_reports_no_progress_and_the_pull_request_is_never_merged() {
    let s = load("tester-without-playwright.yaml");
    let o = world::run(&s);
    let tester = session(&o, "tester");
    assert_eq!(tester.blocker_code.as_deref(), Some("evidence_attachment_required"), "{:?}", statuses(&o));
    assert_eq!(tester.current_step, "work_stopped: browser_take_screenshot: not in the palette");
    assert!(
        tester.wall_code.is_none() && o.walls.is_empty(),
        "no evidence-capable tool: nothing for the wall to retry"
    );
    assert!(o.delivery_references.iter().all(|r| r.merge_decision.is_none()), "{:?}", o.delivery_references);
    assert!(!o.sessions.iter().any(|x| x.role_id == "committer" || x.role_id == "closer"));
    assert_eq!(run_status(&o), "blocked");
    // The twin: the tester's default loadout (HUD and PlaywrightGrid).
    let mut twin = s;
    twin.world.loadouts.clear();
    let t = world::run(&twin);
    assert!(delivered(&t), "{:?}", statuses(&t));
}

#[test]
fn a_stopped_attempt_reports_in_its_adapters_own_format_and_the_harness_reads_it() {
    for adapter in [AgentProcessAdapter::ClaudeCli, AgentProcessAdapter::CodexCli, AgentProcessAdapter::WorkspaceCli] {
        let mut s = load("tester-without-playwright.yaml");
        s.world.agent_process_adapters.insert("tester".into(), adapter);
        let (o, services) = world::run_keeping_services(&s);
        let tester = session(&o, "tester");
        assert_eq!(tester.blocker_code.as_deref(), Some("evidence_attachment_required"), "{}", adapter.name());
        let daytona = services.expect("the services").daytona;
        let logs: String = daytona.sandboxes().iter().map(|sb| daytona.workspace_logs(&sb.id)).collect();
        let last = logs.lines().rfind(|l| l.contains("evidence_attachment_required")).unwrap_or_default();
        let expected = match adapter {
            AgentProcessAdapter::CodexCli => r#""type":"turn.failed""#,
            _ => r#""is_error":true"#,
        };
        assert!(last.contains(expected) && last.contains(r#"\"status\":\"blocked\""#), "{}: {last}", adapter.name());
    }
}

#[test]
fn a_planner_whose_loadout_has_no_memory_archive_is_blocked_and_hands_nothing_on() {
    let s = load("planner-without-memory.yaml");
    let o = world::run(&s);
    let planner = session(&o, "planner");
    assert_eq!(planner.blocker_code.as_deref(), Some("memory_tool_contract_required"), "{:?}", statuses(&o));
    assert_eq!(planner.current_step, "work_stopped: memory_search: not in the palette");
    assert!(o.handoff_trail.is_empty() && o.delivery_references.is_empty());
    assert_eq!(run_status(&o), "blocked");
    let mut twin = s;
    twin.world.loadouts.clear();
    assert!(delivered(&world::run(&twin)));
}

#[test]
fn a_rate_limited_proof_of_a_pull_request_that_exists_is_unreadable_not_missing() {
    let s = load("github-rate-limit-proof-unreadable.yaml");
    let o = world::run(&s);
    let implementer = session(&o, "implementer-1");
    // The pull request exists: the implementer opened it and handed it on.
    let handed = o.handoff_trail.iter().find(|h| h.sender_agent_id == "implementer-1").expect("the handoff");
    let url = handed.delivery_reference.clone().expect("it carries the pull request");
    assert_eq!(implementer.blocker_code.as_deref(), Some("delivery_reference_unreadable"), "{:?}", statuses(&o));
    let step = &implementer.current_step;
    assert!(step.starts_with(&format!("delivery_proof: {url} could not be read: GET ")), "{step}");
    assert!(step.ends_with("HTTP 403: API rate limit exceeded for installation ID 120794317."), "{step}");
    assert!(o.delivery_references.is_empty(), "nothing was proven");
    // The twin, at GitHub's default rate limit: proven and delivered.
    let mut twin = s;
    twin.world.github.rate_limit = None;
    let t = world::run(&twin);
    assert!(delivered(&t), "{:?}", statuses(&t));
    assert_eq!(t.delivery_references.len(), 1);
}

#[test]
fn a_pull_request_github_lists_nowhere_is_missing() {
    let o = world::run(&load("missing-delivery-reference.yaml"));
    let implementer = session(&o, "implementer-1");
    assert_eq!(implementer.blocker_code.as_deref(), Some("github_issue_or_pr_link_missing"));
    assert!(
        implementer.current_step.starts_with("delivery_proof: GitHub lists no pull request from the lane branch "),
        "{}",
        implementer.current_step
    );
}
