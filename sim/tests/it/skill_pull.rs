//! The skill poll-pull: `GET /v1/skills`, bounded to 5 s, after the session's
//! first tool call (intake agents "block at first-tool before the pull"). A
//! hanging or unreachable skills service never stalls a launch; its twin pulls
//! the skills into the loadout; an agent blocked at first tool never pulls.

use crate::support;

use squadsim::engine::run_record::RunRecord;
use squadsim::scenario::{Fault, FaultEnd, FaultStart, Scenario, SimDuration};
use squadsim::{
    engine::world::{self, Run, RunOptions},
    Outcome,
};

fn load() -> Scenario {
    support::load("skill-pull-hang.yaml")
}

fn settled_at(o: &Outcome) -> f64 {
    let watch = o.operator.iter().find(|c| c.step == "watch").expect("a watch step");
    watch.at.trim_end_matches('s').parse().unwrap()
}

fn logs(s: &Scenario) -> (Outcome, String) {
    let Run { outcome: o, services, .. } = world::run(s, RunOptions { keep_services: true, ..RunOptions::default() });
    let daytona = services.expect("built").daytona;
    let text = daytona.sandboxes().iter().map(|sb| daytona.workspace_logs(&sb.id)).collect::<Vec<_>>().join("");
    (o, text)
}

#[test]
fn a_hanging_skills_service_costs_the_bound_and_the_sessions_complete_without_skills() {
    let (o, text) = logs(&load());
    support::assert_completed(&o);
    assert!(o.sessions.iter().all(|s| s.skill_ids.is_empty()));
    assert!(text.contains("skill pull GET /v1/skills: no answer within 5s"), "{text}");
}

#[test]
fn twin_with_a_prompt_skills_service_pulls_each_roles_skills() {
    let mut s = load();
    s.world.skills.response_delay = None;
    let (o, text) = logs(&s);
    support::assert_completed(&o);
    let skills = |role: &str| o.sessions.iter().find(|x| x.role_id == role).unwrap().skill_ids.clone();
    assert_eq!(skills("planner"), vec!["legacy-inventory", "delivery-vocabulary"]);
    assert_eq!(skills("curator"), vec!["delivery-vocabulary"]);
    assert!(!text.contains("skill pull"), "{text}");
    // The hang costs at most the bound (plus the watch's polling granularity).
    let hung = support::run(&load());
    let delta = settled_at(&hung) - settled_at(&o);
    assert!((0.0..=10.0).contains(&delta), "the hang delayed settling by {delta}s");
}

#[test]
fn an_unreachable_skills_service_is_the_same_as_a_hanging_one() {
    let mut s = load();
    s.world.skills.response_delay = None;
    s.faults.push(Fault::Partition {
        between: ["daytona".into(), "skills".into()],
        start: FaultStart::at_time(SimDuration::secs(0)),
        end: FaultEnd::NEVER,
    });
    let (o, text) = logs(&s);
    support::assert_completed(&o);
    assert!(o.sessions.iter().all(|x| x.skill_ids.is_empty()));
    assert!(text.contains("skill pull GET /v1/skills"), "{text}");
}

#[test]
fn the_roster_view_keeps_the_loadout_empty_and_session_state_shows_it_resolved() {
    let mut s = load();
    s.world.skills.response_delay = None;
    let Run { responses, .. } = world::run(&s, RunOptions { capture_responses: true, ..RunOptions::default() });
    let launch = responses.iter().find(|(r, _)| r.starts_with("POST") && r.ends_with("/runs")).expect("launch answer");
    for agent in launch.1["agent_roster"].as_array().unwrap() {
        assert_eq!(agent["skill_ids"], serde_json::json!([]));
        assert_eq!(agent["mcp_server_ids"], serde_json::json!([]));
    }
    let state = responses.iter().rev().find(|(r, _)| r.ends_with("/session-state")).expect("session-state");
    let planner = state.1["sessions"].as_array().unwrap().iter().find(|x| x["role_id"] == "planner").unwrap();
    assert_eq!(planner["mcp_server_ids"][0], "fractalops-hud");
    assert_eq!(planner["skill_ids"], serde_json::json!(["legacy-inventory", "delivery-vocabulary"]));
}

/// The workspaces' `GET /v1/skills` calls, in the order they left.
fn skill_pulls(record: &RunRecord) -> Vec<&squadsim_fakes::net::HttpCall> {
    record.calls.iter().filter(|c| c.from == "daytona" && c.to == "skills").collect()
}

#[test]
fn intake_agents_blocked_at_first_tool_never_pull_skills() {
    let Run { outcome: o, record, .. } = world::run(
        &support::load("first-tool-block-before-skill-pull.yaml"),
        RunOptions { record: true, ..RunOptions::default() },
    );
    let record = record.expect("a recorded run has a record");
    assert_eq!(o.blockers(), ["agent_first_tool_required"], "{:?}", o.sessions);
    for s in &o.sessions {
        assert!(s.claude_session_id.is_some(), "{}: the session started", s.role_id);
        assert_eq!(s.tool_call_count, 0);
        assert!(s.skill_ids.is_empty(), "{}: {:?}", s.role_id, s.skill_ids);
    }
    assert!(skill_pulls(&record).is_empty(), "no /v1/skills calls: {:?}", skill_pulls(&record));
}

#[test]
fn twin_whose_agents_make_their_first_tool_call_pulls_after_it() {
    let mut s = support::load("first-tool-block-before-skill-pull.yaml");
    s.world.loadouts.clear();
    let Run { outcome: o, record, .. } = world::run(&s, RunOptions { record: true, ..RunOptions::default() });
    let record = record.expect("a recorded run has a record");
    // Both sessions complete (the run itself stops short: its planner hands nothing on).
    assert!(
        o.sessions.iter().all(|s| s.live_status == "session_completed" && s.blocker_code.is_none()),
        "{:?}",
        o.sessions
    );
    let skills = |role: &str| o.sessions.iter().find(|x| x.role_id == role).unwrap().skill_ids.clone();
    assert_eq!(skills("planner"), vec!["legacy-inventory", "delivery-vocabulary"]);
    assert_eq!(skills("curator"), vec!["delivery-vocabulary"]);
    let pulls = skill_pulls(&record);
    assert_eq!(pulls.len(), 2, "one pull a session: {pulls:?}");
    let first_tool_answered = record
        .calls
        .iter()
        .filter(|c| c.from == "daytona" && c.to == "contextforge" && c.method == "POST")
        .map(|c| c.end)
        .min()
        .expect("a tool call");
    assert!(pulls.iter().all(|p| p.start >= first_tool_answered), "{pulls:?} before {first_tool_answered:?}");
}
