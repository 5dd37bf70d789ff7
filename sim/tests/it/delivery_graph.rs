//! The delivery graph: agents join by handoff, the LangGraph Agent Server routes
//! the frontier and resumes from its checkpoints after a crash.

use crate::support;

use squadsim::scenario::{Fault, FaultStart, SimDuration};
use squadsim::Outcome;
use support::load;

fn roster(o: &Outcome) -> Vec<String> {
    o.sessions.iter().map(|s| s.agent_id.clone()).collect()
}

fn trail(o: &Outcome) -> Vec<(String, String)> {
    o.handoff_trail.iter().map(|h| (h.sender_agent_id.clone(), h.recipient_agent_id.clone())).collect()
}

#[test]
fn agents_join_by_handoff_and_every_session_completes() {
    let o = support::run(&load("full-delivery.yaml"));
    assert_eq!(o.run.as_ref().unwrap().status, "completed", "{:?}", o.sessions);
    assert_eq!(
        roster(&o),
        ["planner", "curator", "implementer-1", "implementer-2", "tester", "committer", "closer"],
        "the roster starts as the intake pair and grows by handoff"
    );
    assert!(o.sessions.iter().all(|s| s.live_status == "session_completed" && s.blocker_code.is_none()));
    let t = trail(&o);
    assert!(
        t.contains(&("planner".into(), "implementer-1".into())) && t.contains(&("committer".into(), "closer".into())),
        "{t:?}"
    );
    assert!(
        o.handoff_trail.iter().filter(|h| h.sender_agent_id == "planner").all(|h| h.delivery_reference.is_none()),
        "the planner's handoffs carry no delivery reference: a handoff is not one"
    );
    assert!(o.run.as_ref().unwrap().reports.len() >= 5, "one report per tick: {:?}", o.run);
}

#[test]
fn the_number_of_lanes_is_a_condition_and_the_graph_follows_it() {
    let mut s = load("full-delivery.yaml");
    s.world.implementer_lanes = 4;
    let o = support::run(&s);
    let lanes = o.sessions.iter().filter(|x| x.role_id == "implementer").count();
    assert_eq!(lanes, 4);
    assert_eq!(o.run.as_ref().unwrap().status, "completed");
}

#[test]
fn parallel_tool_use_makes_a_turns_independent_calls_at_once_and_changes_nothing_but_time() {
    let mut one_a_turn = load("full-delivery.yaml");
    one_a_turn.world.implementer_lanes = 4;
    let mut at_once = one_a_turn.clone();
    for role in ["planner", "tester", "committer", "closer"] {
        at_once.agents.entry(role.into()).or_default().parallel_tool_calls = Some(4);
    }
    let (serial, parallel) = (support::run(&one_a_turn), support::run(&at_once));
    let seconds = |o: &Outcome| o.simulated.trim_end_matches('s').parse::<f64>().unwrap();
    // The planner's four handoffs, the tester's four screenshots and four handoffs, the
    // committer's four decisions and four handoffs and the closer's four lineage calls
    // each take one turn instead of four: 3 turns saved six times over, 2 s a turn at least.
    assert!(seconds(&parallel) + 36.0 <= seconds(&serial), "{} vs {}", parallel.simulated, serial.simulated);
    let calls = |o: &Outcome| -> Vec<(String, String, u32)> {
        o.sessions.iter().map(|s| (s.agent_id.clone(), s.live_status.clone(), s.tool_call_count)).collect()
    };
    assert_eq!(calls(&parallel), calls(&serial), "the same sessions make the same calls and complete");
    let sorted = |o: &Outcome| {
        let mut t = trail(o);
        t.sort();
        t
    };
    assert_eq!(sorted(&parallel), sorted(&serial), "the same handoffs");
    let urls = |o: &Outcome| o.delivery_references.iter().map(|r| r.url.clone()).collect::<Vec<_>>();
    assert_eq!(urls(&parallel), urls(&serial));
    assert!(parallel.walls.is_empty() && parallel.run.as_ref().unwrap().status == "completed", "{:?}", parallel.walls);
}

#[test]
fn an_agent_server_crash_resumes_from_its_last_checkpoint() {
    let clean = support::run(&load("full-delivery.yaml"));
    let mut s = load("full-delivery.yaml");
    // Mid-run: after the planner's handoffs, before the graph is done.
    s.faults.push(Fault::Crash {
        host: "agent-server".into(),
        start: FaultStart::at_time(SimDuration::secs(40)),
        restart_after: Some(SimDuration::secs(3)),
    });
    let o = support::run(&s);
    assert_eq!(o.run.as_ref().unwrap().status, "completed", "{:?}", o.sessions);
    assert_eq!(trail(&o), trail(&clean), "no handoff lost or repeated across the restart");
    assert_eq!(roster(&o), roster(&clean));
}

#[test]
fn an_agent_server_that_stays_down_stops_the_graph_after_the_intake() {
    let mut s = load("full-delivery.yaml");
    s.faults.push(Fault::Crash {
        host: "agent-server".into(),
        start: FaultStart::at_time(SimDuration::secs(20)),
        restart_after: None,
    });
    let o = support::run(&s);
    assert_eq!(roster(&o), ["planner", "curator"], "nobody joins without the mailbox");
    assert!(o.run_control.iter().any(|e| e.contains("agent_server:unreachable")), "{:?}", o.run_control);
}

#[test]
fn nicknames_change_nothing_but_themselves() {
    // The nickname is display only (`docs/seeds.md`, delivery-language seed, "Agent Identity And
    // Handoff"): other nicknames under the same seed leave routing, ownership,
    // authorization and branch ownership -- the whole outcome -- as they were.
    let a = load("full-delivery.yaml");
    let mut b = a.clone();
    b.world.nickname_seed = Some(a.seed + 1);
    let (oa, ob) = (support::run(&a), support::run(&b));
    let nick = |o: &Outcome| o.sessions.iter().map(|s| s.agent_nickname.clone()).collect::<Vec<_>>();
    let (na, nb) = (nick(&oa), nick(&ob));
    assert!(na.iter().zip(&nb).all(|(x, y)| x != y), "every nickname changed: {na:?} / {nb:?}");
    let mut renamed = ob.to_yaml();
    for (x, y) in na.iter().zip(&nb) {
        renamed = renamed.replace(y.as_str(), x.as_str());
    }
    assert_eq!(renamed, oa.to_yaml(), "nothing but the nicknames differs");
    // Branches are owned by agent ids, never by nicknames.
    assert!(oa.delivery_references.iter().all(|r| {
        let branch = r.branch.clone().unwrap_or_default();
        branch.ends_with(&format!("/{}", r.agent_id)) && !na.iter().any(|n| branch.contains(n.as_str()))
    }));
    assert_eq!(oa.delivery_references.len(), 2);
}

#[test]
fn every_grid_is_federated_with_its_bare_names_behind_the_gateway() {
    // The tester's loadout attaches glitchtip and searxnggrid (GlitchTip's MCP is
    // reached through the gateway with the armory's bearer token).
    let mut s = load("happy-intake.yaml");
    s.world.loadouts.insert("curator".into(), vec!["fractalops-hud".into(), "glitchtip".into(), "searxnggrid".into()]);
    s.agents.insert(
        "curator".into(),
        squadsim::scenario::AgentBehaviour {
            tool_calls: Some(vec!["get_hud_snapshot".into(), "list_issues".into(), "search_query".into()]),
            ..Default::default()
        },
    );
    let o = support::run(&s);
    let curator = o.sessions.iter().find(|x| x.agent_id == "curator").unwrap();
    assert_eq!((curator.live_status.as_str(), curator.tool_call_count), ("session_completed", 3), "{:?}", o.sessions);
    assert_eq!(o.gateway.auth_failures, 0);
}
