//! The Agent HUD stores each agent's `AGENT_HUD_STATUS` (delivery-language seed:
//! "Legacy BOARD_STATUS is a wire-compatible alias for AGENT_HUD_STATUS"; the Agent
//! HUD is the "compact human/control read model | status, wall, blocker, mailbox").

use serde_json::Value;
use squadsim::engine::world::{self, Run, RunOptions};

use crate::support::{self, load};

#[test]
fn every_agent_that_posts_its_status_has_it_stored_by_the_hud_under_its_run() {
    let s = load("happy-intake.yaml");
    let Run { outcome, services, .. } = world::run(&s, RunOptions { keep_services: true, ..RunOptions::default() });
    let run = outcome.run.as_ref().expect("a launched run");
    let hud = services.expect("built").hud;
    let stored = hud.agent_hud_status(&run.run_id);
    let agents: Vec<&str> = outcome.sessions.iter().map(|s| s.agent_id.as_str()).collect();
    assert!(!agents.is_empty());
    for agent in agents {
        assert_eq!(stored.get(agent).map(String::as_str), Some("working"), "{agent}: {stored:?}");
    }
    assert!(hud.agent_hud_status("run-that-never-was").is_empty());
}

#[test]
fn an_agent_that_never_posts_has_no_stored_status() {
    let s = load("first-tool-no-tool-call.yaml");
    let Run { outcome, services, .. } = world::run(&s, RunOptions { keep_services: true, ..RunOptions::default() });
    let run = outcome.run.as_ref().expect("a launched run");
    let stored = services.expect("built").hud.agent_hud_status(&run.run_id);
    let silent: Vec<&str> =
        outcome.sessions.iter().filter(|s| s.tool_call_count == 0).map(|s| s.agent_id.as_str()).collect();
    assert!(!silent.is_empty(), "the scenario has an agent that makes no tool call");
    for agent in silent {
        assert!(!stored.contains_key(agent), "{agent} posted nothing: {stored:?}");
    }
}

#[test]
fn session_state_serves_each_agents_hud_status_as_the_hud_stored_it_under_its_canonical_name() {
    let s = load("happy-intake.yaml");
    let Run { outcome, services, .. } = world::run(&s, RunOptions { keep_services: true, ..RunOptions::default() });
    let run_id = outcome.run.as_ref().expect("a launched run").run_id.clone();
    let services = services.expect("built");
    let stored = services.hud.agent_hud_status(&run_id);
    let state = support::session_state_over_http(services.studio.clone(), &run_id);
    let sessions = state["sessions"].as_array().expect("a list of sessions");
    assert!(!sessions.is_empty());
    for session in sessions {
        let agent = session["agent_id"].as_str().expect("agent_id");
        assert_eq!(session["AGENT_HUD_STATUS"].as_str(), stored.get(agent).map(String::as_str), "{agent}");
        assert_eq!(session["AGENT_HUD_STATUS"], "working", "{agent} posted `working`");
        assert!(session.get("BOARD_STATUS").is_none(), "the legacy alias is never written: {session}");
    }
}

#[test]
fn an_agent_that_never_posted_shows_no_hud_status_in_session_state() {
    let s = load("first-tool-no-tool-call.yaml");
    let Run { outcome, services, .. } = world::run(&s, RunOptions { keep_services: true, ..RunOptions::default() });
    let run_id = outcome.run.as_ref().expect("a launched run").run_id.clone();
    let state = support::session_state_over_http(services.expect("built").studio.clone(), &run_id);
    let planner = state["sessions"]
        .as_array()
        .and_then(|all| all.iter().find(|s| s["agent_id"] == "planner"))
        .expect("the planner's session")
        .clone();
    assert_eq!(planner["tool_call_count"], 0);
    assert_eq!(planner["AGENT_HUD_STATUS"], Value::Null, "{planner}");
}
