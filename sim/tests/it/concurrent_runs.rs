//! `launch.count`: several runs launched at once in one world, each driven to
//! its own outcome, and the invariants held by every one of them.

use std::path::Path;

use crate::support;
use squadsim::Scenario;

fn intake_with_count(count: &str) -> Result<Scenario, squadsim::scenario::ScenarioError> {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/happy-intake.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    let text = text.replace(
        "      next_goal: Inventory the legacy modules\n",
        &format!("      next_goal: Inventory the legacy modules\n      count: {count}\n"),
    );
    Scenario::parse(Path::new("scenarios/intake-runs.yaml"), &text)
}

#[test]
fn every_run_launched_at_once_is_driven_to_its_own_outcome() {
    let scenario = intake_with_count("3").unwrap_or_else(|e| panic!("{e}"));
    let outcome = support::run(&scenario);
    assert_eq!(outcome.operator.iter().filter(|c| c.step == "launch").count(), 3);
    assert_eq!(outcome.operator.iter().filter(|c| c.step == "watch").count(), 3, "each run is watched");
    let first = outcome.run.as_ref().expect("a first run");
    assert_eq!(first.status, "completed");
    assert_eq!(outcome.concurrent_runs.len(), 2);
    let mut ids: Vec<&str> = outcome.concurrent_runs.iter().map(|r| r.run_id.as_str()).collect();
    ids.push(&first.run_id);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3, "three distinct runs");
    for run in &outcome.concurrent_runs {
        assert_eq!((run.status.as_str(), run.sessions), ("completed", 2), "{run:?}");
        assert!(run.blockers.is_empty());
    }
    let invariants = scenario.invariants.as_ref().expect("happy-intake declares invariants");
    assert!(invariants.check(&outcome).is_empty());
}

#[test]
fn a_single_launch_has_no_concurrent_runs_in_its_outcome() {
    let scenario = intake_with_count("1").unwrap_or_else(|e| panic!("{e}"));
    let outcome = support::run(&scenario);
    assert!(outcome.concurrent_runs.is_empty());
    assert!(!outcome.to_yaml().contains("concurrent_runs"), "snapshots of single runs do not change");
}

#[test]
fn a_launch_count_of_zero_is_refused_with_its_line() {
    let err = intake_with_count("0").unwrap_err();
    assert_eq!(err.field, "steps[2].launch.count");
    assert!(err.message.contains("expected between 1 and 10000 runs"), "{err}");
    let line = err.line.expect("a line");
    assert!(err.to_string().starts_with(&format!("scenarios/intake-runs.yaml:{line}:")), "{err}");
}
