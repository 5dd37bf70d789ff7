//! The first-tool gate, one scenario per documented cause, each with its twin:
//! remove the cause and the blocker is gone.

use crate::support;

use squadsim::engine::world::{self, RunOptions};
use squadsim::scenario::{AgentBehaviour, TokenShape};
use squadsim::Outcome;
use support::load;

fn blocked_by_gate(o: &Outcome, agent: &str) -> bool {
    o.sessions.iter().any(|s| {
        s.agent_id == agent
            && s.live_status == "blocked"
            && s.blocker_code.as_deref() == Some("agent_first_tool_required")
            && s.claude_session_id.is_some()
    })
}

#[test]
fn loadout_without_the_hud_server_blocks_and_attaching_it_clears() {
    let s = load("first-tool-loadout-detached.yaml");
    let o = support::run(&s);
    assert!(blocked_by_gate(&o, "planner") && blocked_by_gate(&o, "curator"), "{:?}", o.sessions);
    assert_eq!(o.gateway.auth_failures, 0, "not an auth problem");
    assert_eq!(o.run.as_ref().unwrap().reports, ["blocked"]);
    let mut twin = s.clone();
    twin.world.loadouts.clear();
    support::assert_completed(&support::run(&twin));
}

#[test]
fn pre_1_0_gateway_tokens_get_401_and_block_and_1_0_tokens_clear() {
    let s = load("first-tool-gateway-auth.yaml");
    let o = support::run(&s);
    assert!(blocked_by_gate(&o, "planner") && blocked_by_gate(&o, "curator"), "{:?}", o.sessions);
    assert!(o.gateway.auth_failures > 0, "the gateway log shows the 401s");
    assert_eq!(o.gateway.tool_calls, 0);
    let mut twin = s.clone();
    twin.world.gateway_token_shape = TokenShape::V1;
    let t = support::run(&twin);
    support::assert_completed(&t);
    assert_eq!(t.gateway.auth_failures, 0, "no 401s in the gateway log during a run");
}

#[test]
fn a_prompt_that_elicits_no_tool_call_blocks_only_that_agent() {
    let s = load("first-tool-no-tool-call.yaml");
    let o = support::run(&s);
    assert!(blocked_by_gate(&o, "planner"));
    assert_eq!(o.sessions.iter().find(|x| x.agent_id == "planner").unwrap().tool_call_count, 0);
    assert!(!blocked_by_gate(&o, "curator"));
    assert_eq!(o.run.as_ref().unwrap().status, "blocked", "a run is blocked if any agent is blocked");
    let mut twin = s.clone();
    twin.agents.insert("planner".into(), AgentBehaviour::default());
    support::assert_completed(&support::run(&twin));
}

#[test]
fn an_unreachable_gateway_blocks_and_a_healthy_network_clears() {
    let s = load("first-tool-gateway-partition.yaml");
    let o = support::run(&s);
    assert!(blocked_by_gate(&o, "planner") && blocked_by_gate(&o, "curator"), "{:?}", o.sessions);
    assert_eq!(o.gateway.tool_calls, 0);
    let mut twin = s.clone();
    twin.faults.clear();
    support::assert_completed(&support::run(&twin));
}

/// A CLI that names its own session (codex-cli) names it only once its process runs: an
/// attempt whose workspace never started has no session id, and the launch contract's
/// deadline still blocks it (a swarm sweep of `first-tool-codex-no-tool-call` found it
/// waiting forever when a fault stopped its attempt before the process started).
#[test]
fn a_codex_agent_whose_workspace_never_starts_is_blocked_by_the_gate_without_a_session_id() {
    use squadsim::engine::diagnosis::Plane;
    use squadsim::scenario::AgentProcessAdapter;
    let mut s = load("workspace-start-deadline.yaml");
    s.world.agent_process_adapters.insert("planner".into(), AgentProcessAdapter::CodexCli);
    let o = support::run(&s);
    let planner = o.sessions.iter().find(|s| s.agent_id == "planner").expect("the planner");
    assert_eq!(
        (planner.live_status.as_str(), planner.blocker_code.as_deref(), planner.claude_session_id.as_deref()),
        ("blocked", Some("agent_first_tool_required"), None),
        "{planner:?}"
    );
    assert!(o.finished && o.error.is_none(), "{:?}", o.error);
    assert_eq!(o.diagnosis.map(|d| d.plane), Some(Plane::ExecutionPlane), "its process printed nothing");
    // Its twin: the sandbox starts in time, the codex planner makes its calls and the intake goes on.
    let mut twin = s.clone();
    twin.world.sandbox_start = squadsim::scenario::SimDuration::secs(5);
    let o = support::run(&twin);
    assert!(!o.blockers().contains(&"agent_first_tool_required".to_string()), "{:?}", o.sessions);
}

#[test]
fn a_session_still_working_at_the_deadline_after_its_first_call_is_not_blocked() {
    // The planner thinks 50 s before each turn: its first call (the HUD snapshot) comes at about 56 s, and it is
    // still at work when the 120 s deadline passes. The launch contract is met; the gate leaves it be.
    let mut s = load("happy-intake.yaml");
    s.agents.entry("planner".into()).or_default().think = Some(squadsim::scenario::SimDuration::secs(50));
    let run = world::run(&s, RunOptions { capture_responses: true, ..RunOptions::default() });
    let o = run.outcome;
    support::assert_completed(&o);
    // Session state shows it ready, then waiting for its first tool call, then working once it made it.
    let statuses = planner_statuses(&run.responses);
    let working = statuses.iter().position(|s| s == "working").unwrap_or_else(|| panic!("{statuses:?}"));
    assert!(statuses[..working].iter().all(|s| s == "ready" || s == "waiting_first_tool"), "{statuses:?}");
    let planner = o.sessions.iter().find(|x| x.agent_id == "planner").expect("a planner");
    assert!(planner.tool_call_count >= 3, "its calls ran past the deadline: {planner:?}");
}

/// The planner's `live_status` in each of the operator's session-state polls, in order.
fn planner_statuses(responses: &[(String, serde_json::Value)]) -> Vec<String> {
    support::polled(responses, "planner", "live_status")
}

#[test]
fn a_session_whose_calls_were_all_other_tools_never_shows_working() {
    // The planner calls memory_search and never get_hud_snapshot: it waits for its first tool call until blocked.
    let run = world::run(
        &load("first-tool-other-tool-call.yaml"),
        RunOptions { capture_responses: true, ..RunOptions::default() },
    );
    let statuses = planner_statuses(&run.responses);
    assert_eq!(statuses.last().map(String::as_str), Some("blocked"), "{statuses:?}");
    assert!(statuses.iter().all(|s| ["ready", "waiting_first_tool", "blocked"].contains(&s.as_str())), "{statuses:?}");
    assert!(run.outcome.sessions[0].tool_call_count > 0, "the planner made calls");
}
