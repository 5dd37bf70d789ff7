//! Fault injection from YAML, one test (or more) per kind: partitions both ways
//! and one way, added latency, message loss, crash and restart, service-level
//! faults (an error status, a slow answer, no answer), and faults begun by an
//! event of the modelled state. Each fault that blocks has its twin: the same
//! world without the fault completes.

use std::path::Path;

use crate::support;
use squadsim::engine::diagnosis::Plane;
use squadsim::engine::run_record::MarkKind;
use squadsim::engine::world::{self, RunOptions};
use squadsim::scenario::Scenario;
use squadsim::Outcome;

/// The intake pair (research-team, whose delivery graph is the intake pair), with `faults` (YAML list items).
fn scenario(faults: &str) -> Scenario {
    let faults = if faults.trim().is_empty() { " []".to_string() } else { format!("\n{faults}") };
    let text = format!(
        "name: faults-test\nseed: 1\nfaults:{faults}\nsteps:\n  - launch: {{template_id: research-team, project_slug: sanmopia-modernization, delivery_graph_kind: project_delivery}}\n  - execute\n  - watch: {{every: 5s, timeout: 10m}}\n"
    );
    Scenario::parse(Path::new("faults-test.yaml"), &text).unwrap_or_else(|e| panic!("{e}"))
}

fn statuses(o: &Outcome) -> Vec<(String, String, Option<String>)> {
    o.sessions.iter().map(|s| (s.role_id.clone(), s.live_status.clone(), s.blocker_code.clone())).collect()
}

fn blocked_first_tool(o: &Outcome) -> bool {
    !o.sessions.is_empty() && o.sessions.iter().all(|s| s.blocker_code.as_deref() == Some("agent_first_tool_required"))
}

/// When the operator's watch ended (every session settled), in simulated milliseconds.
fn settled_at(o: &Outcome) -> u64 {
    let watch = o.operator.iter().find(|c| c.step == "watch").expect("a watch step");
    (watch.at.trim_end_matches('s').parse::<f64>().unwrap() * 1000.0) as u64
}

fn plane(o: &Outcome) -> Option<Plane> {
    o.diagnosis.as_ref().map(|d| d.plane)
}

#[test]
fn without_faults_the_intake_pair_completes_and_nothing_is_logged() {
    let o = support::run(&scenario(""));
    support::assert_completed(&o);
    assert!(o.faults.is_empty());
    assert!(o.diagnosis.is_none());
}

#[test]
fn a_partition_both_ways_blocks_and_is_repaired_on_time() {
    let o = support::run(&scenario("  - partition: {between: [daytona, contextforge], at: 1s, until: 10m}"));
    assert!(blocked_first_tool(&o), "{:?}", statuses(&o));
    assert_eq!(o.faults.first().map(String::as_str), Some("1.0s partition daytona <-> contextforge"));
    assert_eq!(plane(&o), Some(Plane::ControlPlane));
}

#[test]
fn a_one_way_partition_blocks_in_either_direction() {
    for (from, to) in [("daytona", "contextforge"), ("contextforge", "daytona")] {
        let o = support::run(&scenario(&format!("  - one_way_partition: {{from: {from}, to: {to}, at: 1s}}")));
        assert!(blocked_first_tool(&o), "{from} -> {to}: {:?}", statuses(&o));
        assert_eq!(o.faults, vec![format!("1.0s one-way partition {from} -> {to}")]);
    }
}

#[test]
fn a_one_way_partition_the_other_pair_never_uses_changes_nothing() {
    let o = support::run(&scenario("  - one_way_partition: {from: github, to: glitchtip, at: 1s}"));
    support::assert_completed(&o);
}

#[test]
fn added_latency_slows_the_run_but_it_completes() {
    let base = support::run(&scenario(""));
    let o = support::run(&scenario("  - latency: {between: [daytona, contextforge], extra: 1s, at: 1s}"));
    support::assert_completed(&o);
    assert!(settled_at(&o) > settled_at(&base), "{} vs {}", settled_at(&o), settled_at(&base));
}

#[test]
fn latency_that_ends_restores_the_link() {
    let o = support::run(&scenario("  - latency: {between: [studio, daytona], extra: 2s, at: 1s, lasts: 20s}"));
    support::assert_completed(&o);
    assert_eq!(o.faults, vec!["1.0s latency +2.0s studio <-> daytona", "21.0s end latency +2.0s studio <-> daytona"]);
}

#[test]
fn total_message_loss_blocks_like_a_partition() {
    let o = support::run(&scenario("  - loss: {between: [daytona, contextforge], rate: 1, at: 1s}"));
    assert!(blocked_first_tool(&o), "{:?}", statuses(&o));
}

#[test]
fn partial_message_loss_is_reproducible_from_the_seed() {
    let s = scenario("  - loss: {between: [studio, daytona], rate: 0.3, at: 1s}");
    let a = support::run(&s);
    let b = support::run(&s);
    assert_eq!(a.to_yaml(), b.to_yaml());
    assert!(a.run.is_some(), "the launch itself does not cross the lossy link");
}

#[test]
fn a_crashed_daytona_that_never_restarts_blocks_the_run() {
    let o = support::run(&scenario("  - crash: {host: daytona, on: run_launched}"));
    assert!(blocked_first_tool(&o), "{:?}", statuses(&o));
    assert_eq!(plane(&o), Some(Plane::ExecutionPlane));
}

#[test]
fn a_crash_on_an_event_begins_when_the_studio_shows_it_and_the_host_restarts() {
    let o =
        support::run(&scenario("  - crash: {host: agent-server, on: {session_started: planner}, restart_after: 3s}"));
    support::assert_completed(&o);
    assert_eq!(o.faults.len(), 2, "{:?}", o.faults);
    assert!(o.faults[0].contains("on session_started planner: crash agent-server"), "{:?}", o.faults);
    assert!(o.faults[1].ends_with("restart agent-server"), "{:?}", o.faults);
    let launched = o.run_control.iter().find(|e| e.contains("run:launched")).expect("launched");
    let ms = |line: &str| (line.split('s').next().unwrap().parse::<f64>().unwrap() * 1000.0) as u64;
    assert!(ms(&o.faults[0]) >= ms(launched), "the event comes after the launch: {:?} {launched}", o.faults);
}

#[test]
fn a_service_answering_an_error_status_blocks_and_its_twin_completes() {
    let fault = "  - service: {host: daytona, method: POST, path: /api/sandbox, effect: {status: 503}, at: 1s}";
    let o = support::run(&scenario(fault));
    assert!(blocked_first_tool(&o), "{:?}", statuses(&o));
    assert_eq!(plane(&o), Some(Plane::ExecutionPlane));
    let twin = support::run(&scenario(""));
    support::assert_completed(&twin);
}

#[test]
fn a_service_fault_on_another_method_or_path_changes_nothing() {
    let o = support::run(&scenario(
        "  - service: {host: daytona, method: DELETE, path: /api/sandbox, effect: {status: 503}, at: 1s}",
    ));
    support::assert_completed(&o);
}

#[test]
fn a_slow_service_delays_the_run_but_it_completes() {
    let base = support::run(&scenario(""));
    // Agents call their loadouts' virtual servers, `/servers/<id>/mcp`.
    let o =
        support::run(&scenario("  - service: {host: contextforge, path: /servers/*/mcp, effect: {slow: 3s}, at: 1s}"));
    support::assert_completed(&o);
    assert!(settled_at(&o) > settled_at(&base), "{} vs {}", settled_at(&o), settled_at(&base));
}

#[test]
fn a_service_that_never_answers_becomes_the_callers_timeout() {
    // The workspace shims list their virtual servers' tools (`GET /servers/<id>/tools`).
    let o = support::run(&scenario(
        "  - service: {host: contextforge, method: GET, path: /servers/*/tools, effect: hang, at: 1s}",
    ));
    assert!(blocked_first_tool(&o), "{:?}", statuses(&o));
    assert_eq!(plane(&o), Some(Plane::ControlPlane));
}

#[test]
fn a_service_fault_that_ends_reports_how_many_requests_it_hit() {
    let o = support::run(&scenario(
        "  - service: {host: studio, path: /v1/admin/studio/runs/*/session-state, effect: {status: 502}, on: run_launched, lasts: 30s}",
    ));
    // The operator's watch keeps polling through the 502s.
    support::assert_completed(&o);
    let end = o.faults.last().expect("the end is logged");
    assert!(end.contains("end service studio *") && end.contains("requests hit"), "{end}");
    assert!(!end.contains("(0 requests hit)"), "the watch polled during the fault: {end}");
}

#[test]
fn every_fault_kind_is_deterministic() {
    let s = scenario(
        "  - latency: {between: [studio, daytona], extra: 500ms, at: 2s, until: 30s}\n  - loss: {between: [daytona, contextforge], rate: 0.2, at: 3s, lasts: 20s}\n  - one_way_partition: {from: studio, to: agent-server, at: 5s, lasts: 2s}\n  - service: {host: fractalops-hud, path: /mcp, effect: {slow: 1s}, on: {session_started: curator}, lasts: 10s}\n  - crash: {host: glitchtip, at: 4s, restart_after: 1s}",
    );
    assert_eq!(support::run(&s).to_yaml(), support::run(&s).to_yaml());
}

#[test]
fn a_sandbox_create_whose_answer_was_lost_is_found_by_its_name_when_the_retry_is_refused() {
    // Daytona's answers to the Studio are lost for 8 s from the launch: each create lands but its answer never
    // comes; the retried create is refused with 409 (the name is taken), and the harness finds the sandbox by
    // its name and goes on, as its twin without the loss does.
    let s = scenario("  - one_way_partition: {from: daytona, to: studio, on: run_launched, lasts: 8s}");
    let run =
        squadsim::engine::world::run(&s, squadsim::engine::world::RunOptions { record: true, ..Default::default() });
    support::assert_completed(&run.outcome);
    let record = run.record.expect("recorded");
    let creates: Vec<Option<u16>> =
        record.calls.iter().filter(|c| c.method == "POST" && c.path == "/api/sandbox").map(|c| c.status).collect();
    assert!(creates.contains(&Some(409)), "the retried creates were refused: {creates:?}");
    assert!(
        record.calls.iter().any(|c| c.method == "GET" && c.path.ends_with("-planner-a1") && c.status == Some(200)),
        "the planner's sandbox found by its name (`<run>-planner-a1`)"
    );
}

#[test]
fn a_process_session_whose_answer_was_lost_is_taken_as_created_when_the_retry_is_refused() {
    // The first process-session create of the run lands, but Daytona's answers to the Studio are lost for 5 s
    // from then: the retried create is refused with 409 (the session exists), and the harness goes on to run
    // the agent's command in it, as its twin without the loss does.
    let s = scenario(
        "  - one_way_partition: {from: daytona, to: studio, on: {http: {to: daytona, method: POST, path: /toolbox/*/process/session}}, lasts: 5s}",
    );
    let run =
        squadsim::engine::world::run(&s, squadsim::engine::world::RunOptions { record: true, ..Default::default() });
    support::assert_completed(&run.outcome);
    let record = run.record.expect("recorded");
    let creates: Vec<Option<u16>> = record
        .calls
        .iter()
        .filter(|c| c.method == "POST" && c.path.ends_with("/process/session"))
        .map(|c| c.status)
        .collect();
    assert!(creates.contains(&Some(409)), "a retried create was refused: {creates:?}");
}

#[test]
fn faults_that_end_in_another_order_than_they_began_each_end_at_their_own_time() {
    // The first fault to begin is the last to end: each end is applied at its own time, in time order.
    let s = scenario(
        "  - latency: {between: [studio, daytona], extra: 100ms, at: 1s, lasts: 20s}\n  - one_way_partition: {from: glitchtip, to: agent-server, at: 2s, lasts: 3s}\n  - crash: {host: searxnggrid, at: 3s, restart_after: 1s}",
    );
    let run = world::run(&s, RunOptions { record: true, ..RunOptions::default() });
    assert_eq!(
        run.outcome.faults,
        [
            "1.0s latency +0.1s studio <-> daytona",
            "2.0s one-way partition glitchtip -> agent-server",
            "3.0s crash searxnggrid",
            "4.0s restart searxnggrid",
            "5.0s end one-way partition glitchtip -> agent-server",
            "21.0s end latency +0.1s studio <-> daytona",
        ]
    );
    support::assert_completed(&run.outcome);
    // The run record marks each on its host's lane (a link's on its first host's, pointing at the other), at its time.
    let record = run.record.expect("recorded");
    let marks: Vec<_> = record
        .marks
        .iter()
        .filter(|m| m.kind == MarkKind::Fault)
        .map(|m| (m.at.as_millis(), m.lane.as_str(), m.to.as_deref(), m.label.as_str()))
        .collect();
    assert_eq!(
        marks,
        [
            (1000, "studio", Some("daytona"), "latency +0.1s studio <-> daytona"),
            (2000, "glitchtip", Some("agent-server"), "one-way partition glitchtip -> agent-server"),
            (3000, "searxnggrid", None, "crash searxnggrid"),
            (4000, "searxnggrid", None, "restart searxnggrid"),
            (5000, "glitchtip", Some("agent-server"), "end one-way partition glitchtip -> agent-server"),
            (21000, "studio", Some("daytona"), "end latency +0.1s studio <-> daytona"),
        ]
    );
}
