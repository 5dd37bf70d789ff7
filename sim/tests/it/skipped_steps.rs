//! Every step of a role's delivery work can be forgotten, the push and the
//! merge included, and what follows comes from the services reacting: GitHub
//! refuses a pull request whose head was never pushed, and the committer wall
//! reads back from GitHub that a pull request recorded `merged` is still open.

use squadsim::engine::world::{self, Run, RunOptions};
use squadsim::scenario::{DeliveryStep, Scenario};

use crate::support::{self, load};

/// `scenario` run with its record.
fn recorded(scenario: &Scenario) -> Run {
    world::run(scenario, RunOptions { record: true, ..RunOptions::default() })
}

/// The statuses of the `method path` calls to GitHub, in order.
fn github_statuses(run: &Run, method: &str, path_ends: &str) -> Vec<Option<u16>> {
    let record = run.record.as_ref().expect("a recorded run has a record");
    record
        .calls
        .iter()
        .filter(|c| c.to == "github" && c.method == method && c.path.ends_with(path_ends))
        .map(|c| c.status)
        .collect()
}

fn without_skips(mut scenario: Scenario) -> Scenario {
    for behaviour in scenario.agents.values_mut() {
        behaviour.skips = None;
    }
    scenario
}

fn blockers(run: &Run) -> Vec<String> {
    run.outcome.sessions.iter().filter_map(|s| s.blocker_code.clone()).collect()
}

#[test]
fn every_step_names_its_role_and_push_and_merge_are_steps() {
    let names: Vec<&str> = DeliveryStep::ALL.iter().map(|s| s.name()).collect();
    assert!(names.contains(&"push") && names.contains(&"merge"), "{names:?}");
    assert_eq!(DeliveryStep::Push.role(), "implementer");
    assert_eq!(DeliveryStep::Merge.role(), "committer");
}

#[test]
fn a_pull_request_from_a_branch_never_pushed_is_refused_by_github_and_blocks_delivery() {
    let run = recorded(&load("pull-request-never-pushed.yaml"));
    assert!(github_statuses(&run, "POST", "/git/refs").is_empty(), "the lane branch was never created");
    assert!(github_statuses(&run, "PUT", "/contents/lanes/implementer-1.md").is_empty(), "nothing was pushed");
    assert_eq!(github_statuses(&run, "POST", "/pulls"), [Some(422)], "GitHub refuses a head it does not hold");
    assert!(run.outcome.delivery_references.is_empty());
    assert_eq!(blockers(&run), ["github_issue_or_pr_link_missing"]);
}

#[test]
fn the_twin_that_pushes_opens_the_pull_request() {
    let run = recorded(&without_skips(load("pull-request-never-pushed.yaml")));
    assert_eq!(github_statuses(&run, "POST", "/pulls"), [Some(201)]);
    assert!(blockers(&run).is_empty(), "{:?}", blockers(&run));
}

#[test]
fn a_merge_recorded_but_never_made_is_caught_by_the_committer_wall_reading_github() {
    let run = recorded(&load("merge-recorded-not-merged.yaml"));
    let walls: Vec<&str> = run.outcome.walls.iter().map(|w| w.wall.as_str()).collect();
    assert_eq!(walls, ["committer_wall"]);
    // The merge happens only on the wall's retry, with the fallback prompt.
    assert_eq!(github_statuses(&run, "PUT", "/merge"), [Some(200)]);
}

#[test]
fn the_twin_that_merges_fires_no_wall() {
    let o = support::run(&without_skips(load("merge-recorded-not-merged.yaml")));
    assert!(o.walls.is_empty(), "{:?}", o.walls);
    assert_eq!(o.run.as_ref().map(|r| r.status.as_str()), Some("completed"));
}
