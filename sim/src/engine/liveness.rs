//! Liveness (TigerBeetle VOPR's liveness mode): once the last fault has
//! ended, a run converges within a bound: it completes, or every session
//! settles (`session_completed`, or `blocked` with a blocker code) and the run
//! says why it is blocked. A run that does not converge says why: which
//! session still waits, on what (its live status and current step).
//!
//! The bound is the scenario's `invariants.converges_within`, or by default
//! its longest documented deadline (the largest of its lifecycle deadlines and
//! its operator steps' timeouts).
//!
//! Guarantees: read only from the outcome and the run record after the run
//! (nothing here changes a run); a run whose faults have not all ended is not
//! judged (it has no "after"), and says so; a run never launched, or
//! launched and never executed (it stands `ready`: nobody asked it to go),
//! has nothing to converge.

use std::time::Duration;

use crate::base::clock::seconds_label;
use crate::engine::invariants::BrokenInvariant;
use crate::engine::outcome::Outcome;
use crate::engine::run_record::{MarkKind, RunRecord};
use crate::scenario::{Scenario, Step};

/// The field a liveness violation is reported under.
pub const FIELD: &str = "liveness";

/// What liveness found of one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Liveness {
    /// Every session settled, the last one at `settled` (simulated time).
    Converged { settled: Duration },
    /// A fault was still on at the end of the run: there is no "after" to judge.
    NotJudged,
    /// Why the run did not converge within the bound.
    NotConverged(String),
}

/// The scenario's liveness bound: `invariants.converges_within`, else its longest documented deadline.
pub fn bound(scenario: &Scenario) -> Duration {
    if let Some(within) = scenario.invariants.as_ref().and_then(|i| i.converges_within) {
        return within.0;
    }
    let l = &scenario.world.lifecycle;
    let steps = scenario.steps.iter().flat_map(|s| std::iter::once(s).chain(s.nested())).filter_map(|s| match s {
        Step::Launch(launch) => Some(launch.timeout.0),
        Step::Watch(watch) => Some(watch.timeout.0),
        _ => None,
    });
    [l.workspace_provision.0, l.workspace_start.0, l.process_start.0, l.process_run.0]
        .into_iter()
        .chain(steps)
        .max()
        .unwrap_or_default()
}

/// When the run's state last moved: the end of its last attempt, or its last
/// blocker, wall, handoff or run-control event.
pub fn settled_at(record: &RunRecord) -> Duration {
    let spans = record.spans.iter().map(|s| s.end);
    let marks = record.marks.iter().filter(|m| m.kind != MarkKind::Fault && m.kind != MarkKind::Refusal).map(|m| m.at);
    spans.chain(marks).max().unwrap_or_default()
}

/// Judges one run: `quiet_since` is when the last fault ended (`None`: one never did), `bound` the time allowed after it.
pub fn judge(outcome: &Outcome, record: &RunRecord, quiet_since: Option<Duration>, bound: Duration) -> Liveness {
    let Some(quiet) = quiet_since else { return Liveness::NotJudged };
    match &outcome.run {
        None => return Liveness::Converged { settled: Duration::ZERO },
        // Launched, never executed: its sessions stand ready because nobody asked them to go.
        Some(run) if run.status == "ready" => return Liveness::Converged { settled: settled_at(record) },
        Some(_) => {}
    }
    let waiting: Vec<String> = outcome
        .sessions
        .iter()
        .filter(|s| match s.live_status.as_str() {
            "session_completed" => false,
            "blocked" => s.blocker_code.is_none(),
            _ => true,
        })
        .map(|s| {
            let reason = if s.live_status == "blocked" { ", blocked with no reason" } else { "" };
            format!("{} waits ({} at {}{reason})", s.agent_id, s.live_status, s.current_step)
        })
        .collect();
    if !waiting.is_empty() {
        return Liveness::NotConverged(format!(
            "not settled at {} ({} after the last fault ended at {}): {}",
            seconds_label(record.simulated),
            seconds_label(record.simulated.saturating_sub(quiet)),
            seconds_label(quiet),
            waiting.join("; ")
        ));
    }
    let settled = settled_at(record);
    if settled > quiet + bound {
        return Liveness::NotConverged(format!(
            "settled at {}, {} after the last fault ended at {}",
            seconds_label(settled),
            seconds_label(settled - quiet),
            seconds_label(quiet)
        ));
    }
    Liveness::Converged { settled }
}

/// The broken invariant of a run that did not converge within `bound`, if it did not.
pub fn check(
    outcome: &Outcome,
    record: &RunRecord,
    quiet_since: Option<Duration>,
    bound: Duration,
) -> Option<BrokenInvariant> {
    match judge(outcome, record, quiet_since, bound) {
        Liveness::NotConverged(why) => Some(BrokenInvariant {
            field: FIELD.to_string(),
            expected: format!("settled within {} of the last fault's end", seconds_label(bound)),
            actual: why,
        }),
        Liveness::Converged { .. } | Liveness::NotJudged => None,
    }
}
