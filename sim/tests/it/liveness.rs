//! Liveness: once the last fault has ended, a run converges within a bound
//! (the scenario's `invariants.converges_within`, or its longest documented
//! deadline); one that does not says which session waits on what. Sweeps check it.

use std::time::Duration;

use squadsim::engine::liveness::{self, Liveness};
use squadsim::engine::outcome::Outcome;
use squadsim::engine::run_record::{Mark, MarkKind, RunRecord};
use squadsim::engine::world::{self, Network, RunOptions};
use squadsim::scenario::{FaultEnd, Invariants, Scenario, SimDuration};
use squadsim::tools::sweep::check_seed;

use crate::support;

/// `scenario` run once, recorded: its outcome, its record and when its last fault ended.
fn recorded(scenario: &Scenario) -> (Outcome, RunRecord, Option<Duration>) {
    let run = world::run(scenario, RunOptions { record: true, ..RunOptions::default() });
    (run.outcome, run.record.expect("recorded"), run.quiet_since)
}

fn judged(scenario: &Scenario) -> Liveness {
    let (outcome, record, quiet_since) = recorded(scenario);
    liveness::judge(&outcome, &record, quiet_since, liveness::bound(scenario))
}

#[test]
fn a_partition_that_heals_lets_the_run_converge_after_it_ended() {
    let scenario = support::load("network-gateway-blip.yaml");
    let Liveness::Converged { settled } = judged(&scenario) else { panic!("the blip heals and the run completes") };
    assert!(settled > Duration::ZERO);
    let (broken, ..) = check_seed(&scenario, 3, &Network::jittered(Duration::from_millis(500)));
    assert!(broken.is_empty(), "{broken:?}");
}

#[test]
fn a_run_that_settles_later_than_the_declared_bound_after_the_last_fault_breaks_liveness() {
    let mut scenario = support::load("network-gateway-blip.yaml");
    let invariants = scenario.invariants.get_or_insert_with(Invariants::default);
    invariants.converges_within = Some(SimDuration(Duration::from_millis(100)));
    let Liveness::NotConverged(why) = judged(&scenario) else { panic!("100ms is shorter than the run takes") };
    assert!(why.starts_with("settled at "), "{why}");
    assert!(why.contains(" after the last fault ended at "), "{why}");
    let (broken, ..) = check_seed(&scenario, 3, &Network::jittered(Duration::from_millis(500)));
    let live: Vec<_> = broken.iter().filter(|b| b.field == "liveness").collect();
    assert_eq!(live.len(), 1, "{broken:?}");
    assert_eq!(live[0].expected, "settled within 0.1s of the last fault's end");
}

#[test]
fn a_run_left_working_says_which_session_waits_on_what() {
    // The operator launches and executes, then stops: nobody waits for the sessions to settle.
    let mut scenario = support::load("happy-intake.yaml");
    scenario.steps.retain(|s| {
        !matches!(
            s,
            squadsim::scenario::Step::Watch(_)
                | squadsim::scenario::Step::Reports
                | squadsim::scenario::Step::HandoffTrail
        )
    });
    let Liveness::NotConverged(why) = judged(&scenario) else { panic!("the sessions are still working") };
    assert!(why.starts_with("not settled at "), "{why}");
    assert!(why.contains(" waits ("), "names the waiting session and where it is: {why}");
}

#[test]
fn a_run_launched_and_never_executed_has_nothing_to_converge() {
    // The operator launches and reads, but never executes: the sessions stand ready,
    // as they should. (This seed sweep failed every seed before the fix.)
    let scenario = support::load("tenant-id-missing.yaml");
    assert!(matches!(judged(&scenario), Liveness::Converged { .. }));
    for seed in 1..=3 {
        let (broken, ..) = check_seed(&scenario, seed, &Network::jittered(Duration::from_millis(500)));
        assert!(broken.is_empty(), "seed {seed}: {broken:?}");
    }
    // Executed and then left alone, a run is judged: happy-intake without its watch still waits.
    let mut executed = support::load("happy-intake.yaml");
    executed.steps.retain(|s| !matches!(s, squadsim::scenario::Step::Watch(_)));
    assert!(matches!(judged(&executed), Liveness::NotConverged(_)));
}

#[test]
fn a_fault_that_never_ends_is_not_judged() {
    let scenario = support::load("handoff-agent-server-down.yaml");
    let (outcome, record, quiet_since) = recorded(&scenario);
    if scenario.faults.iter().all(|f| f.end() == FaultEnd::NEVER) {
        assert_eq!(quiet_since, None);
        assert_eq!(liveness::judge(&outcome, &record, quiet_since, Duration::ZERO), Liveness::NotJudged);
    } else {
        panic!("handoff-agent-server-down's fault was meant to last to the end: pick another scenario");
    }
}

#[test]
fn the_default_bound_is_the_longest_documented_deadline() {
    let scenario = support::load("happy-intake.yaml");
    // process_run (30 min) is longer than every other lifecycle deadline and operator timeout.
    assert_eq!(liveness::bound(&scenario), Duration::from_secs(30 * 60));
}

#[test]
fn an_operator_timeout_longer_than_every_lifecycle_deadline_is_the_default_bound() {
    use squadsim::scenario::Step;
    let set = |steps: &mut Vec<Step>, launch: u64, watch: u64| {
        for step in steps.iter_mut() {
            match step {
                Step::Launch(l) => l.timeout = SimDuration(Duration::from_secs(launch)),
                Step::Watch(w) => w.timeout = SimDuration(Duration::from_secs(watch)),
                _ => {}
            }
        }
    };
    let mut scenario = support::load("happy-intake.yaml");
    // The watch waits two hours: longer than process_run's 30 minutes.
    set(&mut scenario.steps, 60, 2 * 3600);
    assert_eq!(liveness::bound(&scenario), Duration::from_secs(2 * 3600));
    // The launch's client waits three.
    set(&mut scenario.steps, 3 * 3600, 2 * 3600);
    assert_eq!(liveness::bound(&scenario), Duration::from_secs(3 * 3600));
}

#[test]
fn a_run_settles_at_its_last_blocker_wall_or_handoff_never_at_a_fault_or_a_refusal() {
    let (_, mut record, _) = recorded(&support::load("happy-intake.yaml"));
    let settled = liveness::settled_at(&record);
    assert!(settled > Duration::ZERO, "the sessions' attempts end after the start");
    let mark = |kind, after: u64| Mark {
        at: settled + Duration::from_secs(after),
        lane: "planner".into(),
        kind,
        label: "late".into(),
        to: None,
    };
    // A fault or a refused tool call is not the run's state moving.
    record.marks.push(mark(MarkKind::Fault, 30));
    record.marks.push(mark(MarkKind::Refusal, 40));
    assert_eq!(liveness::settled_at(&record), settled);
    // A blocker raised later is: the run settled only then.
    record.marks.push(mark(MarkKind::Blocker, 10));
    assert_eq!(liveness::settled_at(&record), settled + Duration::from_secs(10));
    record.marks.push(mark(MarkKind::Wall, 20));
    assert_eq!(liveness::settled_at(&record), settled + Duration::from_secs(20));
}

#[test]
fn a_session_blocked_without_a_reason_has_not_settled_and_is_named_so() {
    let scenario = support::load("happy-intake.yaml");
    let (outcome, record, quiet_since) = recorded(&scenario);
    let bound = liveness::bound(&scenario);
    let judge = |outcome: &Outcome| liveness::judge(outcome, &record, quiet_since, bound);
    assert!(matches!(judge(&outcome), Liveness::Converged { .. }));
    let mut unexplained = outcome.clone();
    unexplained.sessions[0].live_status = "blocked".into();
    unexplained.sessions[0].blocker_code = None;
    let Liveness::NotConverged(why) = judge(&unexplained) else { panic!("a block without a reason is not settled") };
    assert!(why.contains("(blocked at "), "{why}");
    assert!(why.ends_with(", blocked with no reason)"), "{why}");
    // Blocked with its code, it has settled; still working, it waits, and nothing says it is blocked.
    unexplained.sessions[0].blocker_code = Some("agent_first_tool_required".into());
    assert!(matches!(judge(&unexplained), Liveness::Converged { .. }));
    let mut working = outcome.clone();
    working.sessions[0].live_status = "working".into();
    let Liveness::NotConverged(why) = judge(&working) else { panic!("a working session has not settled") };
    assert!(why.contains("(working at ") && !why.contains("no reason"), "{why}");
}

#[test]
fn a_run_that_settles_exactly_at_the_bound_has_converged_within_it() {
    let scenario = support::load("network-gateway-blip.yaml");
    let (outcome, record, quiet_since) = recorded(&scenario);
    let fault_end = quiet_since.expect("the blip heals");
    let judge = |bound| liveness::judge(&outcome, &record, quiet_since, bound);
    let Liveness::Converged { settled } = judge(liveness::bound(&scenario)) else { panic!("the blip heals") };
    let exact = settled - fault_end;
    assert_eq!(judge(exact), Liveness::Converged { settled }, "settled {settled:?}, the fault ended {fault_end:?}");
    assert!(matches!(judge(exact - Duration::from_millis(1)), Liveness::NotConverged(_)));
}
