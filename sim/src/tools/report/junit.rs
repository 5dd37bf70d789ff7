//! JUnit XML in the shape cargo-nextest emits (written by `quick-junit`, as
//! nextest's is): one `<testsuite>` for the run, one `<testcase>` per scenario
//! and seed, named `<scenario> (seed N)` with the scenario file as its class
//! name; a failing case carries its message and the snapshot diff (or the
//! failure's details) as the `<failure>` body. GitHub's and GitLab's test
//! report readers accept it.
//!
//! Guarantees: no timestamps and no wall times (the file is the same for the
//! same runs); the simulated time of each run is a testcase property; a run
//! that passed without matching its snapshot (under `--seed`, or written by
//! `--accept`) says so in a `snapshot` property and its standard output;
//! XML escaping is `quick-junit`'s.

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use super::sweep::{ProbeTally, SweepResults};
use super::{LoadFailure, ScenarioResult, Unchecked, Verdict};

/// One testcase, whatever produced it: a snapshot run, a sweep's seed, or a
/// scenario file that did not load (no seed, nothing simulated).
struct Case<'a> {
    name: String,
    classname: &'a str,
    seed: Option<u64>,
    /// `None`: nothing was simulated for it (a file that did not load, a `sometimes:` probe).
    simulated: Option<&'a str>,
    /// A passing run's snapshot verdict when it is not "matches" (`snapshot` property and
    /// standard output): a pass under `--seed` was never compared with its snapshot.
    snapshot: Option<&'static str>,
    status: Status,
}

/// How a testcase ended.
enum Status {
    Passed,
    /// (type, one-line message, details).
    Failed(&'static str, String, String),
    /// Not judged here (a `sometimes:` probe on one shard of several), with why.
    Skipped(String),
}

/// The JUnit XML of `results` (snapshot runs: one testcase per scenario and
/// seed), of the scenario files that did not load (one failing testcase each)
/// and of the inputs not checked (one skipped testcase each).
pub(crate) fn to_xml(results: &[ScenarioResult], unloaded: &[LoadFailure], unchecked: &[Unchecked]) -> String {
    let files: Vec<String> = results.iter().map(|r| r.file.display().to_string()).collect();
    let unloaded_files: Vec<String> = unloaded.iter().map(|u| u.file.display().to_string()).collect();
    let runs = results.iter().zip(&files).map(|(result, file)| Case {
        name: result.label(),
        classname: file,
        seed: Some(result.outcome.seed),
        simulated: Some(&result.outcome.simulated),
        snapshot: match result.verdict {
            Verdict::NotCompared => Some("not compared: run under another seed than its own (--seed)"),
            Verdict::Accepted { .. } => Some("written as the snapshot (--accept)"),
            _ => None,
        },
        status: if result.verdict.passed() {
            Status::Passed
        } else {
            let kind = match result.verdict {
                Verdict::NotBuilt(_) => "not built",
                Verdict::Failed { .. } => "run failed",
                _ => "outcome mismatch",
            };
            Status::Failed(kind, result.verdict.message(&result.file), result.verdict.detail().to_string())
        },
    });
    let loads = unloaded.iter().zip(&unloaded_files).map(|(u, file)| Case {
        name: format!("{file} (did not load)"),
        classname: file,
        seed: None,
        simulated: None,
        snapshot: None,
        status: Status::Failed("load error", u.message.clone(), String::new()),
    });
    let unchecked_paths = paths(unchecked);
    cases_to_xml(runs.chain(loads).chain(skipped(unchecked, &unchecked_paths)), Vec::new())
}

/// The paths of the inputs not checked, as [`skipped`] names them.
fn paths(unchecked: &[Unchecked]) -> Vec<String> {
    unchecked.iter().map(|u| u.path.display().to_string()).collect()
}

/// One skipped testcase per input not checked (`paths` from [`paths`]).
fn skipped<'a>(unchecked: &'a [Unchecked], paths: &'a [String]) -> impl Iterator<Item = Case<'a>> {
    unchecked.iter().zip(paths).map(|(u, path)| Case {
        name: format!("{path} ({})", u.kind.title()),
        classname: path,
        seed: None,
        simulated: None,
        snapshot: None,
        status: Status::Skipped(u.kind.message().to_string()),
    })
}

/// The JUnit XML of a seed sweep (or merged shards): one testcase per scenario and
/// seed (a failing seed's body lists its broken invariants, the command that
/// reproduces it and, after `--shrink`, its smallest failing fault schedule),
/// one per declared `sometimes:` probe (failing when no seed reached it, skipped
/// on one shard of several, which cannot judge it), one skipped per input not checked,
/// and the coverage as the suite's properties (`coverage`, one `probe:<name>` per probe reached, `never_reached`).
pub(crate) fn sweep_to_xml(sweep: &SweepResults) -> String {
    let seeds = sweep.results.iter().map(|r| Case {
        name: format!("{} (seed {})", r.scenario, r.seed),
        classname: &r.file,
        seed: Some(r.seed),
        simulated: Some(&r.simulated),
        snapshot: None,
        status: if r.passed() {
            Status::Passed
        } else {
            let broken: Vec<String> = r.violations.iter().map(ToString::to_string).collect();
            let mut detail = format!("{}\nreproduce: {}\n", broken.join("\n"), r.reproduce);
            if let Some(faults) = &r.shrunk_faults {
                detail.push_str(&format!("smallest failing fault schedule:\n{faults}"));
            }
            Status::Failed("invariant violation", format!("invariants broken: {}", broken.join("; ")), detail)
        },
    });
    let coverage = &sweep.coverage;
    let sometimes = sweep.sometimes.iter().flat_map(|declared| {
        declared.probes.iter().map(move |probe| {
            let unreached = coverage
                .sometimes_unreached
                .as_ref()
                .map(|all| all.iter().any(|u| u.file == declared.file && u.probes.contains(probe)));
            Case {
                name: format!("{} (sometimes {probe})", declared.scenario),
                classname: &declared.file,
                seed: None,
                simulated: None,
                snapshot: None,
                status: match unreached {
                    None => Status::Skipped("one shard of several: `squadsim merge-reports` judges it".into()),
                    Some(false) => Status::Passed,
                    Some(true) => Status::Failed(
                        "sometimes never reached",
                        format!("sometimes never reached in any seed: {probe}"),
                        String::new(),
                    ),
                },
            }
        })
    });
    let mut properties = vec![Property::new(
        "coverage",
        format!("{} of {} probes reached", coverage.catalogue_reached(), coverage.catalogue),
    )];
    properties.extend(coverage.reached.iter().map(|(probe, ProbeTally { seeds, hits })| {
        Property::new(format!("probe:{probe}"), format!("{seeds} seeds, {hits} hits"))
    }));
    if !coverage.never_reached.is_empty() {
        properties.push(Property::new("never_reached", coverage.never_reached.join(", ")));
    }
    let unchecked_paths = paths(&sweep.not_checked);
    cases_to_xml(seeds.chain(sometimes).chain(skipped(&sweep.not_checked, &unchecked_paths)), properties)
}

fn cases_to_xml<'a>(cases: impl Iterator<Item = Case<'a>>, properties: Vec<Property>) -> String {
    let mut suite = TestSuite::new("squadsim");
    suite.add_properties(properties);
    for case in cases {
        let status = match case.status {
            Status::Passed => TestCaseStatus::success(),
            Status::Skipped(why) => {
                let mut status = TestCaseStatus::skipped();
                status.set_message(why);
                status
            }
            Status::Failed(kind, message, detail) => {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                status.set_message(message);
                status.set_type(kind);
                if !detail.is_empty() {
                    status.set_description(detail);
                }
                status
            }
        };
        let mut test = TestCase::new(case.name, status);
        test.set_classname(case.classname.to_string());
        if let Some(seed) = case.seed {
            test.add_property(Property::new("seed", seed.to_string()));
        }
        if let Some(simulated) = case.simulated {
            test.add_property(Property::new("simulated", simulated.to_string()));
        }
        if let Some(snapshot) = case.snapshot {
            test.add_property(Property::new("snapshot", snapshot));
            test.set_system_out(format!("snapshot {snapshot}"));
        }
        suite.add_test_case(test);
    }
    let mut report = Report::new("squadsim");
    report.add_test_suite(suite);
    report.to_string().expect("a JUnit report of plain strings always serializes")
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::engine::outcome::{nothing_ran, RunError};
    use crate::engine::services::ServicesError;

    #[test]
    fn a_world_that_could_not_be_built_fails_as_not_built() {
        // Made here: no corpus scenario has a world a fake refuses to build.
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/happy-intake.yaml");
        let scenario = crate::scenario::Scenario::load(&file).unwrap();
        let outcome = nothing_ran(&scenario, RunError::NotBuilt(ServicesError("the fake refused its config".into())));
        let verdict = super::super::verdict(&file, &outcome, None, true);
        let result = ScenarioResult { file, outcome, verdict, record: None };
        let xml = to_xml(&[result], &[], &[]);
        assert!(xml.contains(r#"type="not built""#), "{xml}");
        assert!(xml.contains("the world could not be built: the fake refused its config"), "{xml}");
    }
}
