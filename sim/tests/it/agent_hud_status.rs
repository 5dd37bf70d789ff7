//! The Agent HUD stores each agent's `AGENT_HUD_STATUS` (delivery-language seed:
//! "Legacy BOARD_STATUS is a wire-compatible alias for AGENT_HUD_STATUS"; the Agent
//! HUD is the "compact human/control read model | status, wall, blocker, mailbox").

use squadsim::engine::world::{self, Run, RunOptions};

use crate::support::load;

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
