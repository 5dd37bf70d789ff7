//! `squadsim explain`: the timeline carries the HTTP calls between services and
//! the state changes in simulated time, and the lines an on-call engineer reads
//! first are there (the gateway's 401s, Longhorn's attach failures, the wrong
//! slug's 000) — and gone in each twin without the fault.

use std::path::{Path, PathBuf};
use std::time::Duration;

use squadsim::engine::run_record::{Mark, MarkKind, RunRecord, Span, SpanKind};
use squadsim::engine::world::{self, RunOptions};
use squadsim::scenario::Scenario;
use squadsim::tools::explain::{self, CallView, ExplainArgs};
use squadsim::Outcome;
use squadsim_conformance::exit::ExitStatus;
use squadsim_fakes::daytona::Event;

use crate::support;

fn scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios").join(name)
}

fn explain_with(name: &str, calls: CallView) -> String {
    let args = ExplainArgs { scenario: scenario(name), seed: None, calls };
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = explain::run(&args, &mut out, &mut err);
    assert_eq!(code, ExitStatus::Passed, "{}", String::from_utf8_lossy(&err));
    String::from_utf8(out).expect("utf-8")
}

fn explain(name: &str) -> String {
    explain_with(name, CallView::Folded)
}

fn timeline(story: &str) -> Vec<&str> {
    story.lines().skip_while(|l| !l.starts_with("timeline")).skip(1).take_while(|l| !l.is_empty()).collect()
}

fn http_lines(story: &str) -> Vec<&str> {
    timeline(story).into_iter().filter(|l| l.contains("  http  ")).collect()
}

#[test]
fn the_gateway_auth_variant_shows_the_agents_401s_and_its_twin_none() {
    let story = explain("first-tool-gateway-auth.yaml");
    // The workspace shims read their virtual servers' tools with the refused tokens.
    let lists_tools = |l: &&str| l.contains("-> contextforge GET /servers/") && l.contains("/tools -> ");
    let refused: Vec<&str> =
        http_lines(&story).into_iter().filter(|l| lists_tools(l) && l.contains("/tools -> 401")).collect();
    assert!(!refused.is_empty(), "{story}");
    // The 401s come before the blockers they cause.
    let lines = timeline(&story);
    let first_401 = lines.iter().position(|l| l.contains("-> 401")).unwrap();
    let first_blocker = lines.iter().position(|l| l.contains("blocker agent_first_tool_required")).unwrap();
    assert!(first_401 < first_blocker, "{story}");

    let twin = explain("gateway-token-1-0.yaml");
    assert!(http_lines(&twin).iter().all(|l| !l.contains("-> 401")), "{twin}");
    assert!(http_lines(&twin).iter().any(|l| lists_tools(l) && l.contains("/tools -> 200")), "{twin}");
}

#[test]
fn the_longhorn_story_shows_the_attach_failures_and_its_twin_attaches() {
    let story = explain("longhorn-faulted-volumes.yaml");
    let lines = timeline(&story);
    let failures: Vec<&&str> =
        lines.iter().filter(|l| l.contains("k8s       Warning FailedAttachVolume pod sandbox-")).collect();
    assert_eq!(failures.len(), 2, "one aggregated event per workspace pod: {story}");
    assert!(failures.iter().all(|l| l.contains("volume is faulted") && l.contains(" x")), "{story}");
    assert!(!story.contains("SuccessfulAttachVolume"), "{story}");
    // Sessions start, the attaches fail, the attempts end on the workspace_start deadline.
    let at =
        |needle: &str| lines.iter().position(|l| l.contains(needle)).unwrap_or_else(|| panic!("{needle}: {story}"));
    assert!(at("planner: session started") < at("FailedAttachVolume"));
    assert!(at("FailedAttachVolume") < at("planner: attempt 1 ended (lifecycle_deadline: workspace_start"));
    // The Harness Runtime's polls of the sandbox that never starts fold into one line each.
    let polls: Vec<&str> =
        http_lines(&story).into_iter().filter(|l| l.contains("GET /api/sandbox/sbx-00000001")).collect();
    assert!(polls.iter().any(|l| l.contains(" x") && l.contains("(until ")), "{polls:?}");
    assert!(lines.len() < 60, "the Longhorn story fits a screen: {} lines\n{story}", lines.len());

    let twin = explain("longhorn-one-faulted-volume.yaml");
    assert!(twin.contains("Normal SuccessfulAttachVolume"), "{twin}");
    assert!(!twin.contains("FailedAttachVolume"), "{twin}");
}

#[test]
fn the_wrong_slug_shows_the_000_and_the_confirmed_slug_launches() {
    let story = explain("wrong-project-slug.yaml");
    assert!(
        timeline(&story).iter().any(|l| l.contains("operator  launch POST /v1/admin/studio/runs -> 000")),
        "{story}"
    );
    let twin = explain("wrong-project-slug-confirmed.yaml");
    assert!(timeline(&twin).iter().any(|l| l.contains("operator  launch POST /v1/admin/studio/runs -> 200")), "{twin}");
    assert!(timeline(&twin).iter().all(|l| !l.contains("-> 000")), "{twin}");
}

#[test]
fn the_call_views_fold_filter_and_hide() {
    let name = "longhorn-faulted-volumes.yaml";
    let (folded, all) = (explain(name), explain_with(name, CallView::All));
    let count = |lines: &[&str]| -> usize {
        lines
            .iter()
            .map(|l| l.split(" x").nth(1).and_then(|n| n.split_whitespace().next()?.parse().ok()).unwrap_or(1))
            .sum()
    };
    // Folding loses no call: the folded counts add up to every call line of `all`.
    assert_eq!(count(&http_lines(&folded)), http_lines(&all).len());
    assert!(http_lines(&folded).len() < http_lines(&all).len() / 3, "{folded}");
    assert!(http_lines(&all).iter().all(|l| !l.contains(" x")));

    let errors = explain_with("first-tool-gateway-auth.yaml", CallView::Errors);
    let lines = http_lines(&errors);
    assert!(!lines.is_empty());
    assert!(lines.iter().all(|l| l.contains("-> 4") || l.contains("-> 5") || l.contains("-> 000")), "{errors}");

    let none = explain_with(name, CallView::None);
    assert!(http_lines(&none).is_empty(), "{none}");
    assert!(none.contains("FailedAttachVolume") && none.contains("diagnosis: execution_plane"), "{none}");
}

#[test]
fn the_same_scenario_tells_the_same_story() {
    assert_eq!(explain("network-gateway-blip.yaml"), explain("network-gateway-blip.yaml"));
}

#[test]
fn a_run_that_does_not_finish_is_told_and_fails() {
    let dir = std::env::temp_dir().join(format!("squadsim-explain-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("short.yaml");
    let text = std::fs::read_to_string(scenario("happy-intake.yaml")).unwrap();
    std::fs::write(&file, text.replacen("world:\n", "world:\n  horizon: 15s\n", 1)).unwrap();
    let args = ExplainArgs { scenario: file, seed: None, calls: CallView::None };
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = explain::run(&args, &mut out, &mut err);
    let (out, err) = (String::from_utf8(out).unwrap(), String::from_utf8(err).unwrap());
    assert_eq!(code, ExitStatus::Failed, "{out}{err}");
    assert!(
        out.contains("(did not finish: the horizon (15.0s) passed while the operator was at steps[4] (watch)"),
        "{out}"
    );
    assert!(err.contains("short.yaml: did not finish"), "{err}");
}

#[test]
fn a_call_that_never_got_an_answer_shows_when_its_caller_gave_up() {
    // The workspace shim bounds its skill pull to 5 s; the skills service takes ten minutes.
    let story = explain_with("skill-pull-hang.yaml", CallView::Errors);
    let pulls: Vec<&str> =
        http_lines(&story).into_iter().filter(|l| l.contains("daytona -> skills GET /v1/skills")).collect();
    assert!(!pulls.is_empty(), "the pulls that never got an answer are shown: {story}");
    assert!(
        pulls.iter().all(|l| l.contains("-> 000 (no answer; the caller gave up at ") && l.contains(", after 5.0s)")),
        "{pulls:?}"
    );
    // The twin's pulls are answered, inside the bound.
    let twin = explain_with("skill-pull-slow.yaml", CallView::Folded);
    assert!(http_lines(&twin).iter().any(|l| l.contains("-> skills GET /v1/skills -> 200")), "{twin}");
    assert!(http_lines(&twin).iter().all(|l| !l.contains("-> skills GET /v1/skills -> 000")), "{twin}");
}

#[test]
fn a_call_refused_across_a_partition_says_so_one_lost_in_flight_how_long_it_waited_and_a_timeout_when_the_client_gave_up(
) {
    let story = explain_with("first-tool-gateway-partition.yaml", CallView::Errors);
    let refused: Vec<&str> = http_lines(&story).into_iter().filter(|l| l.contains("daytona -> contextforge")).collect();
    assert!(!refused.is_empty(), "{story}");
    assert!(refused.iter().all(|l| l.contains("-> 000 (connection failed after 0.0s)")), "{refused:?}");
    assert!(!story.contains("no answer after 0.0s"), "{story}");

    // A call lost in flight across the blip waits (the agent's tools/call bound is 70 s) until its
    // connection breaks, long after the partition began.
    let blip = explain_with("network-gateway-blip.yaml", CallView::Errors);
    assert!(
        http_lines(&blip).iter().any(|l| l.contains("daytona -> contextforge POST")
            && l.contains("-> 000 (connection failed after ")
            && !l.contains("after 0.0s")),
        "{blip}"
    );
    // A connection the crashed DataHub never accepts: the gateway's client times out opening it, at 10 s.
    let crash = explain_with("datahub-crash-on-closer-lineage.yaml", CallView::Errors);
    assert!(
        http_lines(&crash).iter().any(|l| l.contains("contextforge -> datahub POST /mcp")
            && l.contains("-> 000 (no answer; the client timed out at ")
            && l.contains(", after 10.0s)")),
        "{crash}"
    );
}

/// A corpus scenario's run, recorded, with the Kubernetes events of its sandbox pods.
fn recorded(scenario: &Scenario) -> (Outcome, RunRecord, Vec<Event>) {
    let options = RunOptions { record: true, keep_services: true, ..RunOptions::default() };
    let run = world::run(scenario, options);
    let events = run.services.map(|s| s.daytona.events()).unwrap_or_default();
    (run.outcome, run.record.expect("recorded"), events)
}

fn told(scenario: &Scenario, outcome: &Outcome, record: &RunRecord, events: &[Event]) -> String {
    explain::story(scenario, outcome, record, events, CallView::None)
}

#[test]
fn each_lanes_last_attempt_ends_with_its_own_sessions_reason() {
    let scenario = support::load("workspace-start-deadline.yaml");
    let (outcome, mut record, events) = recorded(&scenario);
    // An earlier attempt of the first lane, recorded before the others: only the last one carries the reason.
    let first = record.spans.iter().find(|s| s.kind == SpanKind::Attempt).cloned().expect("an attempt");
    let earlier = Span { label: "attempt 0".into(), end: first.end - Duration::from_secs(30), ..first.clone() };
    record.spans.insert(0, earlier);
    let story = told(&scenario, &outcome, &record, &events);
    let lines = timeline(&story);
    let reasons: Vec<(&str, &str)> =
        outcome.sessions.iter().filter_map(|s| Some((s.agent_id.as_str(), s.attempt_end.as_deref()?))).collect();
    assert_eq!(reasons.len(), 2, "both lanes' attempts end on the deadline: {story}");
    assert_ne!(reasons[0].1, reasons[1].1, "each names its own sandbox");
    for (lane, reason) in reasons {
        let ended: Vec<&&str> = lines
            .iter()
            .filter(|l| l.contains(&format!("state     {lane}: attempt ")) && l.contains(" ended"))
            .collect();
        let (last, before) = ended.split_last().unwrap_or_else(|| panic!("{lane}: {story}"));
        assert!(last.ends_with(&format!(" ended ({reason})")), "{lane}'s last attempt: {last}\n{story}");
        assert!(before.iter().all(|l| l.ends_with(" ended")), "{lane}'s earlier attempts: {before:?}");
    }
    assert!(lines.iter().any(|l| l.ends_with(&format!("{}: attempt 0 ended", first.lane))), "{story}");
}

#[test]
fn each_wall_fired_shows_the_fallback_and_retry_of_that_agents_wall() {
    let scenario = support::load("wall-planner-blocked.yaml");
    let (mut outcome, mut record, events) = recorded(&scenario);
    let wall = outcome.walls.first().cloned().expect("the planner wall fires");
    let mark = record.marks.iter().find(|m| m.kind == MarkKind::Wall).cloned().expect("its mark");
    // The same agent at a second wall, and a second agent at the first: three walls, told apart by both.
    let mut other_wall = wall.clone();
    (other_wall.wall, other_wall.fallback, other_wall.retry_outcome) =
        ("delivery_wall".into(), "second-fallback".into(), "second-retry".into());
    let mut other_agent = wall.clone();
    (other_agent.agent_id, other_agent.fallback, other_agent.retry_outcome) =
        ("curator".into(), "third-fallback".into(), "third-retry".into());
    for w in [&other_wall, &other_agent] {
        outcome.walls.push(w.clone());
        record.marks.push(Mark { lane: w.agent_id.clone(), label: w.wall.clone(), ..mark.clone() });
    }
    let story = told(&scenario, &outcome, &record, &events);
    for w in &outcome.walls {
        let fired = format!(
            "state     {}: wall {} fired (fallback {}; retry {})",
            w.agent_id, w.wall, w.fallback, w.retry_outcome
        );
        assert_eq!(timeline(&story).iter().filter(|l| l.ends_with(&fired)).count(), 1, "{fired}\n{story}");
    }
}

#[test]
fn a_kubernetes_event_shows_its_count_only_when_it_repeated() {
    for name in ["longhorn-faulted-volumes.yaml", "workspace-start-deadline.yaml"] {
        let scenario = support::load(name);
        let (outcome, record, events) = recorded(&scenario);
        let story = told(&scenario, &outcome, &record, &events);
        assert!(!events.is_empty(), "{name}");
        for e in &events {
            let head = format!("k8s       {} {} pod {}", e.kind, e.reason, e.object_name);
            let line =
                timeline(&story).into_iter().find(|l| l.contains(&head)).unwrap_or_else(|| panic!("{head}\n{story}"));
            let rest = line.split_once(&head).map(|(_, rest)| rest).unwrap();
            if e.count > 1 {
                assert!(rest.starts_with(&format!(" x{} (until ", e.count)), "{line}");
            } else {
                assert!(rest.starts_with(": "), "a single event has no count: {line}");
            }
        }
        let repeated = events.iter().any(|e| e.count > 1);
        assert_eq!(repeated, name.starts_with("longhorn"), "{name}: {events:?}");
    }
}

#[test]
fn the_story_opens_with_the_scenarios_description_when_it_has_one() {
    let mut scenario = support::load("workspace-start-deadline.yaml");
    let (outcome, record, events) = recorded(&scenario);
    let story = told(&scenario, &outcome, &record, &events);
    let opening: Vec<&str> = story.lines().take(4).collect();
    assert_eq!(
        opening,
        ["workspace-start-deadline (seed 3)", scenario.description.trim_end(), "", "timeline (simulated time):"]
    );
    scenario.description.clear();
    let story = told(&scenario, &outcome, &record, &events);
    let opening: Vec<&str> = story.lines().take(3).collect();
    assert_eq!(opening, ["workspace-start-deadline (seed 3)", "", "timeline (simulated time):"]);
}

#[test]
fn the_end_line_says_the_runs_status_and_blockers_and_the_faults_that_never_began() {
    let end = |story: &str| story.lines().find(|l| l.starts_with("end: ")).map(str::to_string).unwrap_or_default();
    let happy = std::fs::read_to_string(support::corpus_file("happy-intake.yaml")).unwrap();
    let late = "faults:\n  - partition: {between: [studio, daytona], at: 50m}\n  - crash: {host: github, on: {wall: {wall: closer_wall}}}\n";
    let scenario = Scenario::parse(Path::new("scenarios/late.yaml"), &format!("{happy}{late}")).unwrap();
    let (outcome, record, events) = recorded(&scenario);
    let story = told(&scenario, &outcome, &record, &events);
    let run = outcome.run.as_ref().expect("launched");
    assert_eq!(run.status, "completed");
    assert_eq!(end(&story), format!("end: run {} completed, no blockers after {}", run.run_id, outcome.simulated));
    let never: Vec<&str> = story
        .lines()
        .skip_while(|l| !l.starts_with("declared faults that never began"))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .collect();
    assert_eq!(
        never,
        [
            "  partition studio <-> daytona (at 3000.0s: the run ended first)",
            "  crash github (on wall closer_wall: it never happened)"
        ],
        "{story}"
    );

    // The twin without them has no such section.
    let twin = Scenario::parse(Path::new("scenarios/happy.yaml"), &happy).unwrap();
    let (outcome, record, events) = recorded(&twin);
    assert!(!told(&twin, &outcome, &record, &events).contains("never began"));

    let blocked = support::load("workspace-start-deadline.yaml");
    let (outcome, record, events) = recorded(&blocked);
    let run = outcome.run.as_ref().expect("launched");
    assert_eq!(
        end(&told(&blocked, &outcome, &record, &events)),
        format!(
            "end: run {} {}, blockers agent_first_tool_required after {}",
            run.run_id, run.status, outcome.simulated
        )
    );

    let refused = support::load("wrong-project-slug.yaml");
    let (outcome, record, events) = recorded(&refused);
    assert_eq!(
        end(&told(&refused, &outcome, &record, &events)),
        format!("end: no run launched, no blockers after {}", outcome.simulated)
    );
}
