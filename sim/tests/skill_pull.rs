//! The skill poll-pull: `GET /v1/skills` at session launch, bounded to 5 s. A
//! hanging or unreachable skills service never stalls a launch; its twin pulls
//! the skills into the loadout.

mod support;

use squadsim::scenario::{Fault, Scenario, SimDuration};
use squadsim::{world, Outcome};

fn load() -> Scenario {
    support::load("skill-pull-hang.yaml")
}

fn completed(o: &Outcome) -> bool {
    o.sessions.len() == 2 && o.sessions.iter().all(|s| s.live_status == "session_completed")
}

fn settled_at(o: &Outcome) -> f64 {
    let watch = o.operator.iter().find(|c| c.step == "watch").expect("a watch step");
    watch.at.trim_end_matches('s').parse().unwrap()
}

fn logs(s: &Scenario) -> (Outcome, String) {
    let (o, services) = world::run_keeping_services(s);
    let daytona = services.expect("built").daytona;
    let text = daytona.sandboxes().iter().map(|sb| daytona.workspace_logs(&sb.id)).collect::<Vec<_>>().join("");
    (o, text)
}

#[test]
fn a_hanging_skills_service_costs_the_bound_and_the_sessions_complete_without_skills() {
    let (o, text) = logs(&load());
    assert!(completed(&o), "{:?}", o.sessions);
    assert!(o.sessions.iter().all(|s| s.skill_ids.is_empty()));
    assert!(text.contains("skill pull GET /v1/skills: no answer within 5s"), "{text}");
}

#[test]
fn twin_with_a_prompt_skills_service_pulls_each_roles_skills() {
    let mut s = load();
    s.world.skills.response_delay = None;
    let (o, text) = logs(&s);
    assert!(completed(&o), "{:?}", o.sessions);
    let skills = |role: &str| o.sessions.iter().find(|x| x.role_id == role).unwrap().skill_ids.clone();
    assert_eq!(skills("planner"), vec!["legacy-inventory", "delivery-vocabulary"]);
    assert_eq!(skills("curator"), vec!["delivery-vocabulary"]);
    assert!(!text.contains("skill pull"), "{text}");
    // The hang costs at most the bound (plus the watch's polling granularity).
    let hung = world::run(&load());
    let delta = settled_at(&hung) - settled_at(&o);
    assert!((0.0..=10.0).contains(&delta), "the hang delayed settling by {delta}s");
}

#[test]
fn an_unreachable_skills_service_is_the_same_as_a_hanging_one() {
    let mut s = load();
    s.world.skills.response_delay = None;
    s.faults.push(Fault::Partition {
        between: ["daytona".into(), "skills".into()],
        at: Some(SimDuration::secs(0)),
        on: None,
        until: None,
        lasts: None,
    });
    let (o, text) = logs(&s);
    assert!(completed(&o), "{:?}", o.sessions);
    assert!(o.sessions.iter().all(|x| x.skill_ids.is_empty()));
    assert!(text.contains("skill pull GET /v1/skills"), "{text}");
}

#[test]
fn the_roster_view_keeps_the_loadout_empty_and_session_state_shows_it_resolved() {
    let mut s = load();
    s.world.skills.response_delay = None;
    let (_, responses) = world::run_with_responses(&s);
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
