//! The ~6 s launch, from the calls it makes: each intake agent's named-agent
//! identity is bound through Microsoft Graph (a token, `GET /v1.0/users/{upn}`,
//! `POST /v1.0/applications/{id}/addPassword`), and the launch takes what those
//! calls take. A Graph that cannot bind an identity refuses the launch (503), or,
//! for an agent joining by handoff, leaves it blocked with
//! `named_agent_identity_unbound`; the twins without the fault complete.

use std::path::Path;
use std::time::Duration;

use squadsim::engine::world::{self, RunOptions};
use squadsim::scenario::{GraphServiceTime, Scenario, SimDuration};
use squadsim::Outcome;
use squadsim_fakes::net::HttpCall;

use crate::support;

/// The run's recorded HTTP calls and its outcome.
fn recorded(scenario: &Scenario) -> (Outcome, Vec<HttpCall>) {
    let run = world::run(scenario, RunOptions { record: true, ..RunOptions::default() });
    (run.outcome, run.record.expect("recorded").calls)
}

/// The calls to Microsoft Graph, as `METHOD path`, in the order they left.
fn graph_calls(calls: &[HttpCall]) -> Vec<&HttpCall> {
    let mut graph: Vec<&HttpCall> = calls.iter().filter(|c| c.to == "msgraph").collect();
    graph.sort_by_key(|c| c.start);
    graph
}

fn line(c: &HttpCall) -> String {
    format!("{} {} -> {:?}", c.method, c.path, c.status)
}

/// How long the operator's launch took, from the record.
fn launch_time(calls: &[HttpCall]) -> Duration {
    let launch = calls
        .iter()
        .find(|c| c.from == "operator" && c.method == "POST" && c.path == "/v1/admin/studio/runs")
        .expect("the operator's launch is recorded");
    launch.end - launch.start
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

#[test]
fn the_launch_binds_the_intake_pair_in_turn_and_takes_what_those_calls_take() {
    let (o, calls) = recorded(&support::load("happy-intake.yaml"));
    assert_eq!(o.launch_http_status(), Some(200));
    let graph = graph_calls(&calls);
    let lines: Vec<String> = graph.iter().map(|c| line(c)).collect();
    let application = "/v1.0/applications/3c9e1f7a-2b84-4d6e-a05c-8f1d2e3b4a59/addPassword";
    assert_eq!(
        lines,
        vec![
            "POST /7d3f9a2c-5e41-4b8a-9c06-1f2e3d4c5b6a/oauth2/v2.0/token -> Some(200)".to_string(),
            "GET /v1.0/users/planner@yamon.io -> Some(200)".to_string(),
            format!("POST {application} -> Some(200)"),
            "GET /v1.0/users/curator@yamon.io -> Some(200)".to_string(),
            format!("POST {application} -> Some(200)"),
        ]
    );
    // In turn: each call leaves once the one before it has been answered.
    for pair in graph.windows(2) {
        assert!(pair[1].start >= pair[0].end, "{} overlaps {}", line(pair[1]), line(pair[0]));
    }
    // The launch is the Graph calls plus what little the rest of it costs.
    let bound: Duration = graph.iter().map(|c| c.end - c.start).sum();
    let launch = launch_time(&calls);
    assert!(launch >= bound, "launch {launch:?} shorter than its Graph calls {bound:?}");
    assert!(launch - bound <= Duration::from_millis(500), "launch {launch:?}, Graph calls {bound:?}");
    // The runbook's ~6 s.
    assert!((5.5..=6.5).contains(&secs(launch)), "launch took {launch:?}");
}

#[test]
fn doubling_graphs_service_time_lengthens_the_launch_by_the_added_time() {
    let s = support::load("happy-intake.yaml");
    let (_, calls) = recorded(&s);
    let before = launch_time(&calls);
    let mut slow = s.clone();
    // The fake's figures, doubled: a token 1.6 s, a read 0.8 s, a write 4 s.
    slow.world.msgraph.service_time = Some(GraphServiceTime {
        token: SimDuration(Duration::from_millis(1600)),
        directory_read: SimDuration(Duration::from_millis(800)),
        directory_write: SimDuration::secs(4),
    });
    let (o, calls) = recorded(&slow);
    assert_eq!(o.launch_http_status(), Some(200));
    let after = launch_time(&calls);
    // One token, two reads, two writes: 0.8 + 2 x 0.4 + 2 x 2 = 5.6 s more.
    let added = secs(after) - secs(before);
    assert!((added - 5.6).abs() <= 0.1, "launch {before:?} -> {after:?}: {added} s more");
}

#[test]
fn an_unreachable_graph_refuses_the_launch_and_no_run_starts() {
    let s = support::load("named-agent-identity-unbound.yaml");
    let run = world::run(&s, RunOptions { capture_responses: true, ..RunOptions::default() });
    assert_eq!(run.outcome.launch_http_status(), Some(503));
    assert!(run.outcome.run.is_none() && run.outcome.sessions.is_empty());
    let (_, body) = run.responses.iter().find(|(r, _)| r == "POST /v1/admin/studio/runs").expect("the launch answered");
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("planner@yamon.io") && detail.contains("oauth2/v2.0/token"), "{detail}");
}

#[test]
fn twin_with_graph_up_launches_and_completes_like_happy_intake() {
    let mut s = support::load("named-agent-identity-unbound.yaml");
    s.faults.clear();
    for step in &mut s.steps {
        if let squadsim::scenario::Step::Watch(w) = step {
            w.timeout = SimDuration::secs(600);
        }
    }
    let o = support::run(&s);
    assert_eq!(o.launch_http_status(), Some(200));
    assert_eq!(o.run.as_ref().map(|r| r.status.as_str()), Some("completed"));
    let twin = support::run(&support::load("happy-intake.yaml"));
    let statuses = |o: &Outcome| -> Vec<(String, String)> {
        o.sessions.iter().map(|s| (s.agent_id.clone(), s.live_status.clone())).collect()
    };
    assert_eq!(statuses(&o), statuses(&twin));
}

#[test]
fn a_upn_missing_from_the_directory_refuses_the_launch_naming_it() {
    let s = support::load("named-agent-upn-missing.yaml");
    let run = world::run(&s, RunOptions { capture_responses: true, record: true, ..RunOptions::default() });
    assert_eq!(run.outcome.launch_http_status(), Some(503));
    assert!(run.outcome.run.is_none());
    let (_, body) = run.responses.iter().find(|(r, _)| r == "POST /v1/admin/studio/runs").expect("the launch answered");
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("curator@yamon.io") && detail.contains("Request_ResourceNotFound"), "{detail}");
    // The planner was bound before the curator's lookup failed; no lease was minted for the curator.
    let calls = run.record.unwrap().calls;
    let lines: Vec<String> = graph_calls(&calls).iter().map(|c| line(c)).collect();
    assert_eq!(lines.last().map(String::as_str), Some("GET /v1.0/users/curator@yamon.io -> Some(404)"), "{lines:?}");
    assert_eq!(lines.iter().filter(|l| l.contains("addPassword")).count(), 1, "{lines:?}");
    // Twin: with the curator in the directory, the launch goes through.
    let mut twin = s.clone();
    twin.world.msgraph.missing_named_agents.clear();
    assert_eq!(support::run(&twin).launch_http_status(), Some(200));
}

#[test]
fn a_handoff_batch_binds_each_joining_agent_at_once_with_the_token_it_holds() {
    let (o, calls) = recorded(&support::load("full-delivery.yaml"));
    assert_eq!(o.run.as_ref().map(|r| r.status.as_str()), Some("completed"));
    let graph = graph_calls(&calls);
    // One token for the whole run: every later binding reuses it.
    assert_eq!(graph.iter().filter(|c| c.path.ends_with("/oauth2/v2.0/token")).count(), 1);
    // Each agent of the roster was bound once: a lookup and a lease each.
    let lookups: Vec<&str> = graph.iter().filter(|c| c.method == "GET").map(|c| c.path.as_str()).collect();
    let leases = graph.iter().filter(|c| c.path.ends_with("/addPassword")).count();
    assert_eq!(lookups.len(), o.sessions.len(), "{lookups:?}");
    assert_eq!(leases, o.sessions.len());
    // The two implementer lanes join in one batch: their lookups leave together.
    let implementer: Vec<&&HttpCall> = graph.iter().filter(|c| c.path == "/v1.0/users/implementer@yamon.io").collect();
    assert_eq!(implementer.len(), 2);
    assert_eq!(implementer[0].start, implementer[1].start);
}

#[test]
fn an_agent_whose_upn_is_missing_joins_by_handoff_blocked_and_never_starts() {
    let s = support::load("named-agent-upn-missing-on-handoff.yaml");
    let o = support::run(&s);
    assert_eq!(o.run.as_ref().map(|r| r.status.as_str()), Some("blocked"));
    let tester = o.sessions.iter().find(|x| x.role_id == "tester").expect("the tester joined the roster");
    assert_eq!(tester.live_status, "blocked");
    assert_eq!(tester.blocker_code.as_deref(), Some("named_agent_identity_unbound"));
    assert_eq!(tester.current_step, "identity_binding");
    assert_eq!((tester.tool_call_count, tester.claude_session_id.as_deref()), (0, None));
    assert!(o.run_control.iter().any(|e| e.contains("identity:unbound") && e.contains("tester@yamon.io")));
    // Twin: with the tester in the directory the run delivers end to end.
    let mut twin = s.clone();
    twin.world.msgraph.missing_named_agents.clear();
    let o = support::run(&twin);
    assert_eq!(o.run.as_ref().map(|r| r.status.as_str()), Some("completed"));
}

#[test]
fn a_missing_named_agent_that_is_no_role_is_refused_at_its_line() {
    let text = "name: x\nworld:\n  msgraph:\n    missing_named_agents: [curator, reviewer]\nsteps: [health]\n";
    let e = Scenario::parse(Path::new("scenarios/x.yaml"), text).expect_err("an unknown role");
    assert_eq!((e.field.as_str(), e.line), ("world.msgraph.missing_named_agents[1]", Some(4)), "{e}");
    assert!(e.to_string().contains("unknown role `reviewer`"), "{e}");
    let twice =
        "name: x\nworld:\n  msgraph:\n    missing_named_agents:\n      - curator\n      - curator\nsteps: [health]\n";
    let e = Scenario::parse(Path::new("scenarios/x.yaml"), twice).expect_err("a role listed twice");
    assert_eq!((e.field.as_str(), e.line), ("world.msgraph.missing_named_agents[1]", Some(6)), "{e}");
}

#[test]
fn a_replay_binds_an_unbound_agent_again_and_starts_it_only_if_that_succeeds() {
    let mut s = support::load("named-agent-upn-missing-on-handoff.yaml");
    let watch = s.steps.iter().position(|x| matches!(x, squadsim::scenario::Step::Watch(_))).unwrap();
    s.steps.insert(watch + 1, squadsim::scenario::Step::Replay);
    s.steps.insert(watch + 2, s.steps[watch].clone());
    let (o, calls) = recorded(&s);
    // Still not in the directory: the replay asked Graph again, and the tester did not start.
    let lookups = graph_calls(&calls).iter().filter(|c| c.path == "/v1.0/users/tester@yamon.io").count();
    assert_eq!(lookups, 2);
    let tester = o.sessions.iter().find(|x| x.role_id == "tester").unwrap();
    assert_eq!(tester.blocker_code.as_deref(), Some("named_agent_identity_unbound"));
    assert_eq!((tester.tool_call_count, tester.claude_session_id.as_deref()), (0, None));
    assert_eq!(o.run.as_ref().map(|r| r.status.as_str()), Some("blocked"));
}
