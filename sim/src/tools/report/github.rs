//! GitHub workflow-command annotations (`squadsim run --format github`): one
//! `::error` per failing scenario run, pointing at the scenario file and the line
//! of its `name:`, so the failure shows on the pull request's diff.
//!
//! Guarantees: property values and messages are escaped as the runner expects
//! (`%`, CR, LF everywhere; `:` and `,` in properties), so a scenario name or a
//! diff can never end the command early or inject another one.

use std::path::Path;

use super::{LoadFailure, ScenarioResult};

/// The annotation lines of the failing `results` and of the scenario files that
/// did not load, then a warning for each run with a declared fault that never
/// began (none when all passed and every fault began).
pub(crate) fn annotations(results: &[ScenarioResult], unloaded: &[LoadFailure]) -> String {
    let runs = results.iter().filter(|r| !r.verdict.passed()).map(|r| {
        let mut message = r.verdict.message(&r.file);
        let detail = r.verdict.detail();
        if !detail.is_empty() {
            message.push('\n');
            message.push_str(detail);
        }
        annotation(&r.file, &r.label(), &message)
    });
    // The loader's message names the line; the annotation marks the file.
    let loads = unloaded.iter().map(|u| {
        format!(
            "::error file={},title={}::{}\n",
            property(&u.file.display().to_string()),
            property("squadsim: did not load"),
            data(&u.message)
        )
    });
    // A declared fault that never began: the run tested the world without it.
    let unbegun = results.iter().filter(|r| !r.outcome.faults_never_began.is_empty()).map(|r| {
        let message = format!("declared fault(s) never began: {}", r.outcome.faults_never_began.join("; "));
        warning(&r.file, &r.label(), &message)
    });
    runs.chain(loads).chain(unbegun).collect()
}

/// The annotation lines of a sweep's failing seeds (the broken invariants and
/// the command that reproduces each), then of each scenario's `sometimes:`
/// probes no seed reached, then a warning for each input not checked.
pub(crate) fn sweep_annotations(sweep: &super::sweep::SweepResults) -> String {
    let seeds = sweep.results.iter().filter(|r| !r.passed()).map(|r| {
        let broken: Vec<String> = r.violations.iter().map(ToString::to_string).collect();
        let message = format!("invariants broken: {}\nreproduce: {}", broken.join("; "), r.reproduce);
        annotation(Path::new(&r.file), &format!("{} (seed {})", r.scenario, r.seed), &message)
    });
    let unreached = sweep.coverage.sometimes_unreached.iter().flatten().map(|s| {
        let message = format!("sometimes never reached in any seed: {}", s.probes.join(", "));
        annotation(Path::new(&s.file), &format!("{} (sometimes)", s.scenario), &message)
    });
    seeds.chain(unreached).collect::<String>() + &unchecked_warnings(&sweep.not_checked)
}

/// A `::warning` on `file` (an input not run or not checked), so a skipped input
/// shows on the pull request as the failures do, never only in the log.
pub(crate) fn warning(file: &Path, title: &str, message: &str) -> String {
    format!(
        "::warning file={},title={}::{}\n",
        property(&file.display().to_string()),
        property(&format!("squadsim: {title}")),
        data(message)
    )
}

/// A [`warning`] for each input not checked.
pub(crate) fn unchecked_warnings(unchecked: &[super::Unchecked]) -> String {
    unchecked.iter().map(|u| warning(&u.path, u.kind.title(), u.kind.message())).collect()
}

fn annotation(file: &Path, label: &str, message: &str) -> String {
    format!(
        "::error file={},line={},title={}::{}\n",
        property(&file.display().to_string()),
        name_line(file),
        property(&format!("squadsim: {label}")),
        data(message),
    )
}

/// The 1-based line of the scenario's top-level `name`, found in the document
/// (1 when the file cannot be read or is no scenario document).
pub(crate) fn name_line(file: &Path) -> usize {
    std::fs::read(file).ok().and_then(|bytes| crate::scenario::name_line(&bytes)).unwrap_or(1)
}

fn data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_and_properties_cannot_end_the_command() {
        assert_eq!(data("a%b\nc\r"), "a%25b%0Ac%0D");
        assert_eq!(property("x: a,b\n::error::boom"), "x%3A a%2Cb%0A%3A%3Aerror%3A%3Aboom");
    }
}
