//! JUnit XML in the shape cargo-nextest emits (written by `quick-junit`, as
//! nextest's is): one `<testsuite>` for the run, one `<testcase>` per scenario
//! and seed, named `<scenario> (seed N)` with the scenario file as its class
//! name; a failing case carries its message and the snapshot diff (or the
//! failure's details) as the `<failure>` body. GitHub's and GitLab's test
//! report readers accept it.
//!
//! Guarantees: no timestamps and no wall times (the file is the same for the
//! same runs); the simulated time of each run is a testcase property;
//! XML escaping is `quick-junit`'s.

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use super::sweep::SeedResult;
use super::{LoadFailure, ScenarioResult, Verdict};

/// One testcase, whatever produced it: a snapshot run, a sweep's seed, or a
/// scenario file that did not load (no seed, nothing simulated).
struct Case<'a> {
    name: String,
    classname: &'a str,
    seed: Option<u64>,
    simulated: &'a str,
    /// (type, one-line message, details) when it failed.
    failure: Option<(&'static str, String, String)>,
}

/// The JUnit XML of `results` (snapshot runs: one testcase per scenario and
/// seed) and of the scenario files that did not load (one failing testcase each).
pub(crate) fn to_xml(results: &[ScenarioResult], unloaded: &[LoadFailure]) -> String {
    let files: Vec<String> = results.iter().map(|r| r.file.display().to_string()).collect();
    let unloaded_files: Vec<String> = unloaded.iter().map(|u| u.file.display().to_string()).collect();
    let runs = results.iter().zip(&files).map(|(result, file)| Case {
        name: result.label(),
        classname: file,
        seed: Some(result.outcome.seed),
        simulated: &result.outcome.simulated,
        failure: (!result.verdict.passed()).then(|| {
            let kind = match result.verdict {
                Verdict::NotBuilt(_) => "not built",
                Verdict::Failed { .. } => "run failed",
                _ => "outcome mismatch",
            };
            (kind, result.verdict.message(&result.file), result.verdict.detail().to_string())
        }),
    });
    let loads = unloaded.iter().zip(&unloaded_files).map(|(u, file)| Case {
        name: format!("{file} (did not load)"),
        classname: file,
        seed: None,
        simulated: "0.0s",
        failure: Some(("load error", u.message.clone(), String::new())),
    });
    cases_to_xml(runs.chain(loads))
}

/// The JUnit XML of a seed sweep (or merged shards): one testcase per scenario and
/// seed; a failing seed's body lists its broken invariants, the command that
/// reproduces it and, after `--shrink`, its smallest failing fault schedule.
pub(crate) fn sweep_to_xml(results: &[SeedResult]) -> String {
    cases_to_xml(results.iter().map(|r| Case {
        name: format!("{} (seed {})", r.scenario, r.seed),
        classname: &r.file,
        seed: Some(r.seed),
        simulated: &r.simulated,
        failure: (!r.passed()).then(|| {
            let broken: Vec<String> = r.violations.iter().map(ToString::to_string).collect();
            let mut detail = format!("{}\nreproduce: {}\n", broken.join("\n"), r.reproduce);
            if let Some(faults) = &r.shrunk_faults {
                detail.push_str(&format!("smallest failing fault schedule:\n{faults}"));
            }
            ("invariant violation", format!("invariants broken: {}", broken.join("; ")), detail)
        }),
    }))
}

fn cases_to_xml<'a>(cases: impl Iterator<Item = Case<'a>>) -> String {
    let mut suite = TestSuite::new("squadsim");
    for case in cases {
        let status = match case.failure {
            None => TestCaseStatus::success(),
            Some((kind, message, detail)) => {
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
        test.add_property(Property::new("simulated", case.simulated.to_string()));
        suite.add_test_case(test);
    }
    let mut report = Report::new("squadsim");
    report.add_test_suite(suite);
    report.to_string().expect("a JUnit report of plain strings always serializes")
}
