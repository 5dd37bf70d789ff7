//! Every documented bound holds at the default tick, to a tenth of a second:
//! the runbook's 5 s skill pull (`docs/seeds.md`, runbook: "Skill pull cannot stall the launch (bounded to
//! a 5s timeout)"), the operator's 30 s client timeout (curl's HTTP 000), the
//! Temporal-owned workspace-start deadline (60 s) and the launch that "returns
//! [...] in ~6s". Each is pinned at its edge: just inside holds, just outside
//! does not. None of these scenarios sets a tick.

use crate::support;

use std::path::Path;
use std::time::Duration;

use squadsim::scenario::{Scenario, SimDuration};
use squadsim::Outcome;
use support::load;

fn seconds(label: &str) -> f64 {
    label.trim_end_matches('s').parse().unwrap_or_else(|_| panic!("a time label: {label}"))
}

fn pulled_with_a_skills_answer_after(delay: Duration) -> Vec<Vec<String>> {
    let mut s = load("skill-pull-slow.yaml");
    s.world.skills.response_delay = Some(SimDuration(delay));
    let o = support::run(&s);
    assert_eq!(o.run.as_ref().map(|r| r.status.as_str()), Some("completed"), "{:?}", o.sessions);
    o.sessions.iter().map(|x| x.skill_ids.clone()).collect()
}

#[test]
fn a_skills_answer_at_4_9s_is_pulled_and_one_at_5_1s_is_not() {
    let pulled = pulled_with_a_skills_answer_after(Duration::from_millis(4900));
    assert_eq!(pulled, [vec!["legacy-inventory", "delivery-vocabulary"], vec!["delivery-vocabulary"]]);
    let given_up = pulled_with_a_skills_answer_after(Duration::from_millis(5100));
    assert!(given_up.iter().all(Vec::is_empty), "{given_up:?}");
}

/// The operator's `health` step against a Studio whose `/healthz` answers `delay` late.
fn health_after(delay: &str) -> Outcome {
    let text = format!(
        "name: operator-timeout\nfaults:\n  - service: {{host: studio, method: GET, path: /healthz, effect: {{slow: {delay}}}, at: 0s}}\nsteps: [health]\n"
    );
    support::run(&Scenario::parse(Path::new("operator-timeout.yaml"), &text).unwrap_or_else(|e| panic!("{e}")))
}

#[test]
fn the_operator_gets_an_answer_at_29_9s_and_none_at_30_1s() {
    let inside = health_after("29900ms");
    assert_eq!(inside.operator[0].http_status, Some(200), "{:?}", inside.operator);
    let outside = health_after("30100ms");
    assert_eq!(outside.operator[0].http_status, None, "HTTP 000: {:?}", outside.operator);
    assert_eq!(seconds(&outside.operator[0].at), 30.0, "given up at the client's timeout");
}

fn with_sandbox_start(secs: u64) -> Outcome {
    let mut s = load("workspace-start-deadline.yaml");
    s.world.sandbox_start = SimDuration::secs(secs);
    support::run(&s)
}

#[test]
fn a_sandbox_up_in_59s_is_waited_for_and_one_in_61s_overruns_the_60s_workspace_start_deadline() {
    let inside = with_sandbox_start(59);
    assert!(inside.sessions.iter().all(|s| s.attempt_end.is_none() && s.tool_call_count > 0), "{:?}", inside.sessions);
    let outside = with_sandbox_start(61);
    for s in &outside.sessions {
        let end = s.attempt_end.as_deref().unwrap_or_default();
        assert!(end.starts_with("lifecycle_deadline: workspace_start overran its 60s deadline"), "{end}");
    }
}

#[test]
fn the_launch_returns_in_about_6s() {
    let o = support::run(&load("happy-intake.yaml"));
    let launch = o.operator.iter().position(|c| c.step == "launch").expect("a launch");
    assert_eq!(o.operator[launch].http_status, Some(200));
    // The launch is sent when the step before it was answered.
    let took = seconds(&o.operator[launch].at) - seconds(&o.operator[launch - 1].at);
    assert!((6.0..6.5).contains(&took), "the launch took {took}s");
}
