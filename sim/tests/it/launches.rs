//! Labelled launches: several runs in one scenario, each with its own body and
//! label; steps (`on_run`), faults and invariants that address one run by its label; and
//! the refusals at load (unknown label, a label twice, a launch without one).

use std::path::Path;

use serde_json::Value;
use squadsim::scenario::{Scenario, ScenarioError};

use crate::support;

fn parse(text: &str) -> Result<Scenario, ScenarioError> {
    Scenario::parse(Path::new("scenarios/x.yaml"), text)
}

/// The error's field and line.
fn refused(text: &str) -> (String, Option<usize>, String) {
    let e = parse(text).unwrap_err();
    (e.field.clone(), e.line, e.to_string())
}

const LAUNCH_A: &str = "  - launch: {label: a, template_id: research-team, project_slug: sanmopia-modernization, delivery_graph_kind: project_delivery}\n";
const LAUNCH_B: &str = "  - launch: {label: b, template_id: research-team, project_slug: sanmopia-modernization, delivery_graph_kind: project_delivery}\n";
const UNLABELLED: &str = "  - launch: {template_id: research-team, project_slug: sanmopia-modernization, delivery_graph_kind: project_delivery}\n";

fn steps(lines: &[&str]) -> String {
    format!("steps:\n{}", lines.concat())
}

/// The operator's exchanges of `step`, as the outcome serializes them.
fn calls(outcome: &squadsim::Outcome, step: &str) -> Vec<Value> {
    let all = serde_json::to_value(&outcome.operator).unwrap();
    all.as_array().unwrap().iter().filter(|c| c["step"] == step).cloned().collect()
}

fn run_of<'a>(outcome: &'a squadsim::Outcome, label: &str) -> &'a squadsim::engine::outcome::LabelledRun {
    outcome.runs.iter().find(|r| r.label == label).unwrap_or_else(|| panic!("no run `{label}` in {:?}", outcome.runs))
}

#[test]
fn a_hang_on_one_runs_sandboxes_blocks_that_run_while_its_sibling_completes() {
    let o = support::run(&support::load("sibling-run-sandbox-hang.yaml"));
    assert_eq!(o.runs.iter().map(|r| r.label.as_str()).collect::<Vec<_>>(), ["a", "b"]);
    let (a, b) = (run_of(&o, "a"), run_of(&o, "b"));
    assert_eq!(a.status(), "blocked", "{:?}", a.sessions);
    assert_eq!(a.blockers(), ["agent_first_tool_required"]);
    assert!(
        a.sessions.iter().all(|s| s.attempt_end.as_deref().unwrap_or_default().contains("workspace_start")),
        "run a's attempts end at the workspace-start deadline: {:?}",
        a.sessions
    );
    assert_eq!(b.status(), "completed", "{:?}", b.sessions);
    assert!(b.blockers().is_empty());
    assert_ne!(a.run.as_ref().unwrap().run_id, b.run.as_ref().unwrap().run_id);
    assert_eq!(o.run.as_ref().map(|r| &r.run_id), a.run.as_ref().map(|r| &r.run_id), "the first is also `run`");
    assert!(o.concurrent_runs.is_empty(), "labelled runs are under `runs` only");
    assert_eq!(o.faults, ["6.1s on run_launched of run a: service daytona GET /api/sandbox/*: hang"]);
}

#[test]
fn a_run_scoped_fault_not_yet_begun_hits_nothing_while_its_run_grows() {
    // The same hang, due only at 10 min: run a's sandboxes appear (its scope grows) long before, and answer.
    let path = support::corpus_file("sibling-run-sandbox-hang.yaml");
    let text = std::fs::read_to_string(&path).unwrap().replace("run: a, on: run_launched}", "run: a, at: 10m}");
    let s = Scenario::parse(&path, &text).unwrap_or_else(|e| panic!("{e}"));
    assert!(s.faults[0].start().at.is_some(), "the fault is due at 10 min");
    let o = support::run(&s);
    for label in ["a", "b"] {
        assert_eq!(run_of(&o, label).status(), "completed", "{label}: {:?}", run_of(&o, label).sessions);
    }
    assert!(o.faults.is_empty(), "{:?}", o.faults);
}

#[test]
fn the_twin_without_the_fault_completes_both_runs() {
    let o = support::run(&support::load("sibling-run-sandbox-clean.yaml"));
    for label in ["a", "b"] {
        assert_eq!(run_of(&o, label).status(), "completed", "{label}: {:?}", run_of(&o, label).sessions);
    }
}

#[test]
fn steps_in_on_run_act_on_that_run_alone_and_others_on_every_run() {
    let o = support::run(&support::load("sibling-run-sandbox-clean.yaml"));
    let id = |label: &str| run_of(&o, label).run.as_ref().unwrap().run_id.clone();
    let execute = calls(&o, "execute");
    assert_eq!(execute.len(), 2, "execute without `run` acts on both: {execute:?}");
    let reports = calls(&o, "reports");
    assert_eq!(reports.len(), 2, "{reports:?}");
    assert!(reports[0]["request"].as_str().unwrap().contains(&id("a")), "{reports:?}");
    assert!(reports[1]["request"].as_str().unwrap().contains(&id("b")), "{reports:?}");
    let trail = calls(&o, "handoff_trail");
    assert_eq!(trail.len(), 1, "{trail:?}");
    assert!(trail[0]["request"].as_str().unwrap().contains(&id("b")), "{trail:?}");
}

#[test]
fn the_per_run_invariants_hold_and_a_swapped_expectation_breaks_under_its_label() {
    let mut s = support::load("sibling-run-sandbox-hang.yaml");
    let o = support::run(&s);
    let invariants = s.invariants.clone().unwrap();
    assert_eq!(invariants.check(&o), [], "the corpus scenario's own invariants hold");
    let runs = &mut s.invariants.as_mut().unwrap().runs;
    let (a, b) = (runs["a"].clone(), runs["b"].clone());
    runs.insert("a".into(), b);
    runs.insert("b".into(), a);
    let broken: Vec<String> = s.invariants.unwrap().check(&o).into_iter().map(|b| b.field).collect();
    assert_eq!(broken, ["runs.a.run_status", "runs.a.blockers", "runs.b.run_status", "runs.b.blockers"]);
}

#[test]
fn a_step_on_a_run_whose_launch_got_no_run_is_recorded_as_skipped() {
    let text = format!(
        "{}{}",
        steps(&[
            LAUNCH_A,
            "  - launch: {label: b, template_id: no-such-template, project_slug: sanmopia-modernization, delivery_graph_kind: project_delivery}\n",
            "  - on_run: {run: b, steps: [get_run]}\n",
        ]),
        "invariants:\n  runs:\n    b: {run_status: not_launched}\n"
    );
    let s = parse(&text).unwrap();
    let o = support::run(&s);
    let get = calls(&o, "get_run");
    assert_eq!(get.len(), 1);
    assert_eq!(get[0]["note"], "skipped: run `b` was not launched", "{get:?}");
    assert!(run_of(&o, "b").run.is_none());
    assert_eq!(s.invariants.unwrap().check(&o), []);
}

#[test]
fn a_single_unlabelled_launch_keeps_the_outcome_without_runs() {
    let o = support::run(&support::load("happy-intake.yaml"));
    assert!(o.runs.is_empty());
    assert!(!o.to_yaml().contains("\nruns:"), "no `runs` key for one unlabelled launch");
}

#[test]
fn a_second_unlabelled_launch_is_refused_at_its_line() {
    let (field, line, shown) = refused(&steps(&[UNLABELLED, UNLABELLED]));
    assert_eq!((field.as_str(), line), ("steps[0].launch.label", Some(2)), "{shown}");
    assert!(shown.contains("launches 2 times"), "{shown}");
    let (field, line, _) = refused(&steps(&[LAUNCH_A, UNLABELLED]));
    assert_eq!((field.as_str(), line), ("steps[1].launch.label", Some(3)));
}

#[test]
fn two_launches_with_one_label_are_refused_at_the_second() {
    let (field, line, shown) = refused(&steps(&[LAUNCH_A, LAUNCH_A]));
    assert_eq!((field.as_str(), line), ("steps[1].launch.label", Some(3)), "{shown}");
    assert!(shown.contains("already steps[0]'s"), "{shown}");
}

#[test]
fn an_on_run_naming_an_unknown_or_later_run_or_holding_a_launch_is_refused() {
    let (field, line, shown) =
        refused(&steps(&[LAUNCH_A, LAUNCH_B, "  - execute\n", "  - on_run:\n      run: c\n      steps: [reports]\n"]));
    assert_eq!((field.as_str(), line), ("steps[3].on_run.run", Some(6)), "{shown}");
    assert!(shown.contains("unknown run `c`: expected the label of a launch before this step (a, b)"), "{shown}");
    let (field, _, shown) = refused(&steps(&[LAUNCH_A, "  - on_run: {run: b, steps: [reports]}\n", LAUNCH_B]));
    assert_eq!(field, "steps[1].on_run.run", "a label launched later is not one before the step: {shown}");
    let nested = "  - on_run:\n      run: a\n      steps:\n        - reports\n        - launch: {label: c, template_id: research-team, project_slug: sanmopia-modernization, delivery_graph_kind: project_delivery}\n";
    let (field, line, shown) = refused(&steps(&[LAUNCH_A, nested]));
    assert_eq!((field.as_str(), line), ("steps[1].on_run.steps[1]", Some(7)), "{shown}");
    let (field, _, _) = refused(&steps(&[LAUNCH_A, "  - on_run: {run: a, steps: [{watch: {every: 0s}}]}\n"]));
    assert_eq!(field, "steps[1].on_run.steps[0].watch.every", "nested steps are bounded like the others");
}

#[test]
fn a_fault_naming_an_unknown_run_or_a_run_it_cannot_scope_is_refused() {
    let fault = |f: &str| format!("faults:\n  - {f}\n{}", steps(&[LAUNCH_A, LAUNCH_B]));
    let (field, line, shown) =
        refused(&fault("service: {host: daytona, path: /api/sandbox, effect: hang, run: z, at: 1s}"));
    assert_eq!((field.as_str(), line), ("faults[0].service.run", Some(2)), "{shown}");
    assert!(shown.contains("unknown run `z`"), "{shown}");
    let (field, _, shown) = refused(&fault("partition: {between: [studio, daytona], at: 1s, run: a}"));
    assert_eq!(field, "faults[0].partition.run", "{shown}");
    assert!(shown.contains("expected `on` with an event of the run's state"), "{shown}");
    let (field, _, shown) = refused(&fault("crash: {host: github, on: {merge: {}}, run: a}"));
    assert_eq!(field, "faults[0].crash.run", "a request event is no run's state: {shown}");
    parse(&fault("crash: {host: agent-server, on: {session_started: planner}, run: b}")).unwrap();
}

#[test]
fn invariants_naming_an_unknown_run_or_code_are_refused_under_its_label() {
    let base = steps(&[LAUNCH_A, LAUNCH_B]);
    let (field, line, shown) = refused(&format!("{base}invariants:\n  runs:\n    c: {{run_status: completed}}\n"));
    assert_eq!((field.as_str(), line), ("invariants.runs.c", Some(6)), "{shown}");
    let (field, _, shown) = refused(&format!("{base}invariants:\n  runs:\n    b: {{blockers: [stuck]}}\n"));
    assert_eq!(field, "invariants.runs.b.blockers[0]", "{shown}");
}

#[test]
fn a_labelled_launch_with_a_count_or_a_blank_label_is_refused() {
    let counted = "  - launch: {label: a, count: 2, template_id: research-team, project_slug: sanmopia-modernization, delivery_graph_kind: project_delivery}\n";
    let (field, _, shown) = refused(&steps(&[counted]));
    assert_eq!(field, "steps[0].launch.count", "{shown}");
    let blank = "  - launch: {label: ' ', template_id: research-team, project_slug: sanmopia-modernization, delivery_graph_kind: project_delivery}\n";
    assert_eq!(refused(&steps(&[blank])).0, "steps[0].launch.label");
}

#[test]
fn when_the_first_labelled_launch_gets_no_run_the_outcomes_run_is_none_not_its_siblings() {
    // The runbook's wrong slug: the first launch gets no run.
    let text = steps(&[
        "  - launch: {label: a, template_id: research-team, project_slug: sanmopia, delivery_graph_kind: project_delivery}\n",
        LAUNCH_B,
    ]);
    let o = support::run(&parse(&format!("name: x\n{text}")).unwrap());
    assert!(run_of(&o, "a").run.is_none(), "the wrong slug launched nothing: {:?}", run_of(&o, "a"));
    assert!(run_of(&o, "b").run.is_some(), "the sibling launched");
    assert!(o.run.is_none(), "`run` is the first labelled launch's, never its sibling's: {:?}", o.run);
}

#[test]
fn a_run_stopped_at_the_horizon_names_the_unsettled_sessions_of_every_labelled_run() {
    let text = steps(&[LAUNCH_A, LAUNCH_B, "  - execute\n", "  - watch: {every: 5s, timeout: 10m}\n"]);
    let o = support::run(&parse(&format!("name: x\nworld: {{horizon: 20s}}\n{text}")).unwrap());
    let error = o.error.as_ref().map(|e| e.to_string()).unwrap_or_default();
    assert!(error.contains("run b: "), "run b's unsettled sessions are named too: {error}");
}
