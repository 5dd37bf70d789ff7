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

use super::ScenarioResult;

/// The JUnit XML of `results` (any number of scenarios and seeds: a sweep's
/// per-seed results are written the same way).
pub fn to_xml(results: &[ScenarioResult]) -> String {
    let mut suite = TestSuite::new("squadsim");
    for result in results {
        let status = if result.verdict.passed() {
            TestCaseStatus::success()
        } else {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status.set_message(result.verdict.message(&result.file));
            status.set_type("outcome mismatch");
            let detail = result.verdict.detail();
            if !detail.is_empty() {
                status.set_description(detail);
            }
            status
        };
        let mut case = TestCase::new(result.label(), status);
        case.set_classname(result.file.display().to_string());
        case.add_property(Property::new("seed", result.outcome.seed.to_string()));
        case.add_property(Property::new("simulated", result.outcome.simulated.clone()));
        suite.add_test_case(case);
    }
    let mut report = Report::new("squadsim");
    report.add_test_suite(suite);
    report.to_string().unwrap_or_default()
}
