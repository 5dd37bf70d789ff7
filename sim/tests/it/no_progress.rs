//! Outcomes that cannot lie (issue 15, items 1 and 4): work that stopped on a
//! failed call is a no-progress report and a blocked session with a reason; a
//! run is completed only when its delivery graph reached its end; a delivery
//! reference GitHub would not answer for is unreadable, not missing. Each
//! incident scenario against its twin without the fault.

use crate::support;

use squadsim::scenario::AgentProcessAdapter;
use squadsim::scenario::{Fault, FaultStart, Trigger};
use squadsim::tools::report::{self, Verdict};
use squadsim::{
    engine::invariants,
    engine::world::{self, Run, RunOptions},
    Outcome,
};
use support::load;

fn statuses(o: &Outcome) -> Vec<(String, String, Option<String>, String)> {
    o.sessions
        .iter()
        .map(|s| (s.agent_id.clone(), s.live_status.clone(), s.blocker_code.clone(), s.current_step.clone()))
        .collect()
}

fn session<'a>(o: &'a Outcome, agent_id: &str) -> &'a squadsim::engine::outcome::SessionOutcome {
    o.sessions.iter().find(|s| s.agent_id == agent_id).unwrap_or_else(|| panic!("no {agent_id}: {:?}", statuses(o)))
}

fn run_status(o: &Outcome) -> &str {
    o.run.as_ref().map(|r| r.status.as_str()).unwrap_or("not launched")
}

/// The run completed through its whole delivery graph, and the outcome says so consistently.
fn delivered(o: &Outcome) -> bool {
    run_status(o) == "completed"
        && o.run.as_ref().is_some_and(|r| r.delivery_graph == "at_end")
        && o.sessions.iter().all(|s| s.live_status == "session_completed" && s.blocker_code.is_none())
        && invariants::built_in(o).is_empty()
}

#[test]
fn an_agent_server_down_at_the_planners_handoff_blocks_the_planner_and_the_run_and_its_twin_delivers() {
    let s = load("handoff-agent-server-down.yaml");
    let o = support::run(&s);
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
    assert_eq!(o.run.as_ref().unwrap().delivery_graph, "unread: the LangGraph Agent Server did not answer");
    assert!(report::summary(&o).contains("blockers: handoff_not_delivered (model-defined)"), "{}", report::summary(&o));
    let mut twin = s;
    twin.faults.clear();
    let t = support::run(&twin);
    assert!(delivered(&t), "{:?}", statuses(&t));
    assert_eq!(t.sessions.len(), 6);
}

#[test]
fn a_tester_whose_loadout_has_no_playwright_reports_no_progress_and_the_pull_request_is_never_merged() {
    let s = load("tester-without-playwright.yaml");
    let o = support::run(&s);
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
    let t = support::run(&twin);
    assert!(delivered(&t), "{:?}", statuses(&t));
}

#[test]
fn a_stopped_attempt_reports_in_its_adapters_own_format_and_the_harness_reads_it() {
    for adapter in [AgentProcessAdapter::ClaudeCli, AgentProcessAdapter::CodexCli, AgentProcessAdapter::WorkspaceCli] {
        let mut s = load("tester-without-playwright.yaml");
        s.world.agent_process_adapters.insert("tester".into(), adapter);
        let Run { outcome: o, services, .. } =
            world::run(&s, RunOptions { keep_services: true, ..RunOptions::default() });
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
    let o = support::run(&s);
    let planner = session(&o, "planner");
    assert_eq!(planner.blocker_code.as_deref(), Some("memory_tool_contract_required"), "{:?}", statuses(&o));
    assert_eq!(planner.current_step, "work_stopped: memory_search: not in the palette");
    assert!(o.handoff_trail.is_empty() && o.delivery_references.is_empty());
    assert_eq!(run_status(&o), "blocked");
    let mut twin = s;
    twin.world.loadouts.clear();
    assert!(delivered(&support::run(&twin)));
}

#[test]
fn a_rate_limited_proof_of_a_pull_request_that_exists_is_unreadable_not_missing() {
    let s = load("github-rate-limit-proof-unreadable.yaml");
    let o = support::run(&s);
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
    let t = support::run(&twin);
    assert!(delivered(&t), "{:?}", statuses(&t));
    assert_eq!(t.delivery_references.len(), 1);
}

#[test]
fn a_pull_request_github_lists_nowhere_is_missing() {
    let o = support::run(&load("missing-delivery-reference.yaml"));
    let implementer = session(&o, "implementer-1");
    assert_eq!(implementer.blocker_code.as_deref(), Some("github_issue_or_pr_link_missing"));
    assert!(
        implementer.current_step.starts_with("delivery_proof: GitHub lists no pull request from the lane branch "),
        "{}",
        implementer.current_step
    );
}

#[test]
fn an_intake_only_agentsquad_run_stops_short_of_its_graph_and_is_blocked_not_completed() {
    let o = support::run(&load("agentsquad-intake-only.yaml"));
    assert!(o.sessions.iter().all(|x| x.live_status == "session_completed"), "{:?}", statuses(&o));
    assert_eq!(run_status(&o), "blocked", "a graph that stops short with no session working is blocked");
    let graph = &o.run.as_ref().unwrap().delivery_graph;
    assert_eq!(graph, "stopped_short: planner handed nothing on to the implementer");
    assert!(
        report::summary(&o).ends_with(&format!("blockers: none, delivery graph {graph}")),
        "{}",
        report::summary(&o)
    );
    assert!(invariants::built_in(&o).is_empty(), "a blocked run with its graph's reason");
    // The same intake on research-team, whose graph is the intake pair: completed.
    let happy = support::run(&load("happy-intake.yaml"));
    assert!(delivered(&happy));
    // The graph's reason is the summary's only for a blocked run no blocked session explains.
    assert!(!report::summary(&happy).contains("delivery graph"), "{}", report::summary(&happy));
    let gate = support::run(&load("first-tool-no-tool-call.yaml"));
    assert_eq!(run_status(&gate), "blocked");
    assert!(gate.sessions.iter().any(|x| x.live_status == "blocked"), "{:?}", statuses(&gate));
    assert!(!report::summary(&gate).contains("delivery graph"), "{}", report::summary(&gate));
    // And on agentsquad with the planner handing on: the graph reaches its end.
    let mut twin = load("agentsquad-intake-only.yaml");
    twin.agents.clear();
    assert!(delivered(&support::run(&twin)));
}

#[test]
fn a_run_whose_graph_cannot_be_read_at_the_end_is_not_completed() {
    // The agent server goes down the moment the closer's session completes: every
    // session completed, but the Studio cannot learn whether the graph reached its end.
    let mut s = load("full-delivery.yaml");
    s.world.implementer_lanes = 1;
    s.faults = vec![Fault::Crash {
        host: "agent-server".into(),
        start: FaultStart::on_event(Trigger::SessionCompleted("closer".into())),
        restart_after: None,
    }];
    let o = support::run(&s);
    assert!(o.sessions.iter().all(|x| x.live_status == "session_completed"), "{:?}", statuses(&o));
    assert_eq!(run_status(&o), "blocked");
    assert!(o.run.as_ref().unwrap().delivery_graph.starts_with("unread: "), "{:?}", o.run);
    assert!(invariants::built_in(&o).is_empty());
}

#[test]
fn an_outcome_claiming_completed_with_a_stopped_session_never_passes_even_against_a_matching_snapshot() {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/planner-without-memory.yaml");
    let mut o = support::run(&load("planner-without-memory.yaml"));
    o.run.as_mut().unwrap().status = "completed".into();
    match report::verdict(&file, &o, None, true) {
        Verdict::Failed { message, detail } => {
            assert!(message.contains("built-in invariant"), "{message}");
            assert!(detail.contains("built_in.completed_run_has_every_session_completed"), "{detail}");
            assert!(detail.contains("planner blocked (memory_tool_contract_required)"), "{detail}");
        }
        other => panic!("{other:?}"),
    }
    // Every seed of a sweep checks the same, whatever the scenario declares.
    let declared = squadsim::scenario::Invariants::default();
    assert!(!declared.check(&o).is_empty());
}
