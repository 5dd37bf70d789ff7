//! Labelled launches: a scenario that launches more than once names each
//! launch (`launch.label`), and steps (`on_run`), faults (`run:`) and
//! invariants (`invariants.runs`) address a run by its label.
//!
//! Guarantees: every label is refused at load, with the field that holds it,
//! when it is empty or longer than [`MAX_LABEL_BYTES`], when two launches share
//! it, when it names no launch (for `on_run`: no launch before it), or when a
//! scenario launches more than once and one launch has none; a labelled launch
//! starts one run (`count` is refused with it); a fault's `run` needs something
//! of that run to scope (a service fault's requests, or an event of the run's
//! state); `on_run` holds neither a `launch` nor another `on_run`.

use super::locate::FieldPath;
use super::validate::Invalid;
use super::{Fault, Scenario, Step};

/// The longest label, in bytes.
pub(crate) const MAX_LABEL_BYTES: usize = 64;

/// Checks every launch's label and every reference to one.
pub(crate) fn check(scenario: &Scenario) -> Result<(), Invalid> {
    let steps = FieldPath::root().key("steps");
    let launches: Vec<(usize, &super::LaunchStep)> = scenario
        .steps
        .iter()
        .enumerate()
        .filter_map(|(i, s)| match s {
            Step::Launch(l) => Some((i, l)),
            _ => None,
        })
        .collect();
    // (step index, label) of every labelled launch, in step order.
    let mut labels: Vec<(usize, &str)> = Vec::new();
    for &(i, launch) in &launches {
        let field = steps.index(i).key("launch");
        let Some(label) = launch.label.as_deref() else {
            if launches.len() > 1 {
                return Err(Invalid::new(
                    field.key("label"),
                    format!(
                        "expected a `label`: this scenario launches {} times, and each launch's run is addressed by its label",
                        launches.len()
                    ),
                ));
            }
            continue;
        };
        if label.trim().is_empty() || label.len() > MAX_LABEL_BYTES {
            return Err(Invalid::new(
                field.key("label"),
                format!("expected a label of 1 to {MAX_LABEL_BYTES} bytes that is not blank, got {label:?}"),
            ));
        }
        if let Some((other, _)) = labels.iter().find(|(_, l)| *l == label) {
            return Err(Invalid::new(
                field.key("label"),
                format!("the label `{label}` is already steps[{other}]'s: expected a label of its own for each launch"),
            ));
        }
        if launch.count > 1 {
            return Err(Invalid::new(
                field.key("count"),
                format!(
                    "a labelled launch starts one run, got count {}: launch each run with its own label instead",
                    launch.count
                ),
            ));
        }
        labels.push((i, label));
    }
    let known = |before: usize| -> Vec<&str> { labels.iter().filter(|(i, _)| *i < before).map(|(_, l)| *l).collect() };
    for (i, step) in scenario.steps.iter().enumerate() {
        let Step::OnRun(on) = step else { continue };
        let field = steps.index(i).key("on_run");
        let earlier = known(i);
        if !earlier.contains(&on.run.as_str()) {
            return Err(unknown(field.key("run"), &on.run, &earlier, "before this step"));
        }
        if on.steps.is_empty() {
            return Err(Invalid::new(field.key("steps"), "expected at least one step to act on the run".into()));
        }
        if let Some(j) = on.steps.iter().position(|s| matches!(s, Step::Launch(_) | Step::OnRun(_))) {
            return Err(Invalid::new(
                field.key("steps").index(j),
                "expected a step that acts on the run: a `launch` or an `on_run` inside `on_run` has no run to act on"
                    .into(),
            ));
        }
    }
    let all = known(usize::MAX);
    for (i, fault) in scenario.faults.iter().enumerate() {
        let Some(label) = &fault.start().run else { continue };
        let field = FieldPath::root().key("faults").index(i).key(fault.kind()).key("run");
        if !all.contains(&label.as_str()) {
            return Err(unknown(field, label, &all, "in this scenario"));
        }
        let run_event = fault.start().on.as_ref().is_some_and(|t| t.request().is_none());
        if !run_event && !matches!(fault, Fault::Service { .. }) {
            return Err(Invalid::new(
                field,
                format!(
                    "`run` scopes a service fault's requests or a fault's event to one run: expected `on` with an \
                     event of the run's state ({}), or a `service` fault",
                    RUN_EVENTS.join(", ")
                ),
            ));
        }
    }
    if let Some(invariants) = &scenario.invariants {
        let runs = FieldPath::root().key("invariants").key("runs");
        for (label, declared) in &invariants.runs {
            if !all.contains(&label.as_str()) {
                return Err(unknown(runs.key(label), label, &all, "in this scenario"));
            }
            if let Err(e) = declared.validate() {
                let field = runs.key(label).key(e.name);
                return Err(Invalid::new(e.index.map_or_else(|| field.clone(), |i| field.index(i)), e.message));
            }
        }
    }
    Ok(())
}

/// Every step with its field path: the scenario's, and inside each `on_run`
/// its own (`steps[i].on_run.steps[j]`), in order.
pub(crate) fn every_step(scenario: &Scenario) -> Vec<(FieldPath, &Step)> {
    let steps = FieldPath::root().key("steps");
    let mut all = Vec::new();
    for (i, step) in scenario.steps.iter().enumerate() {
        all.push((steps.index(i), step));
        if let Step::OnRun(on) = step {
            let inner = steps.index(i).key("on_run").key("steps");
            all.extend(on.steps.iter().enumerate().map(|(j, s)| (inner.index(j), s)));
        }
    }
    all
}

/// The events a fault's `run` scopes (those read from the run's state, and a
/// tool call, whose caller is one of the run's agents; not a request's host).
const RUN_EVENTS: [&str; 6] =
    ["run_launched", "session_started", "first_tool_call", "session_completed", "wall", "tool_call"];

fn unknown(field: FieldPath, label: &str, known: &[&str], where_: &str) -> Invalid {
    let expected = if known.is_empty() {
        format!("no launch {where_} has a label")
    } else {
        format!("expected the label of a launch {where_} ({})", known.join(", "))
    };
    Invalid::new(field, format!("unknown run `{label}`: {expected}"))
}
