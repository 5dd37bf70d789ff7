//! A sweep's coverage: which probes its seeds reached and how often, which of
//! the catalogue's they never reached, and each scenario's `sometimes:`
//! probes that no seed reached (a sweep that leaves one unreached fails).
//!
//! Guarantees: computed from the results alone (and the scenarios' declared
//! `sometimes:` they carry), so a merge of shards computes the unsharded
//! sweep's coverage; `sometimes:` is judged only over every seed of the sweep.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use crate::engine::coverage::tally;
use crate::scenario::{sometimes, Scenario};
use crate::tools::report::sweep::{Coverage, ProbeTally, SeedResult, Sometimes};

/// The `sometimes:` each of `scenarios` declares (those declaring none left out), in their order.
pub(crate) fn declared(scenarios: &[(PathBuf, Scenario)]) -> Vec<Sometimes> {
    scenarios
        .iter()
        .filter(|(_, s)| !s.sometimes.is_empty())
        .map(|(file, s)| Sometimes {
            scenario: s.name.clone(),
            file: file.display().to_string(),
            probes: s.sometimes.clone(),
        })
        .collect()
}

/// The coverage of `results`; `judged`: they hold every seed of the sweep, so
/// each of `sometimes` is judged (a probe none of its file's seeds reached is unreached).
pub(crate) fn of(results: &[SeedResult], sometimes: &[Sometimes], judged: bool) -> Coverage {
    let reached: BTreeMap<String, ProbeTally> = tally(results.iter().map(|r| &r.probes))
        .into_iter()
        .map(|(probe, (seeds, hits))| (probe, ProbeTally { seeds, hits }))
        .collect();
    let catalogue = sometimes::probes();
    let never_reached = catalogue.iter().filter(|p| !reached.contains_key(*p)).cloned().collect();
    let sometimes_unreached = judged.then(|| {
        sometimes
            .iter()
            .map(|declared| {
                let mine: Vec<&SeedResult> = results.iter().filter(|r| r.file == declared.file).collect();
                let never = declared.probes.iter().filter(|p| !mine.iter().any(|r| r.probes.contains_key(*p))).cloned();
                Sometimes { probes: never.collect(), ..declared.clone() }
            })
            .filter(|s| !s.probes.is_empty())
            .collect()
    });
    Coverage { catalogue: catalogue.len(), reached, never_reached, sometimes_unreached }
}

/// Prints `coverage`: each probe reached (seeds, hits), the catalogue's never
/// reached, then a `FAILED` line per scenario with a `sometimes:` never reached.
pub(crate) fn print(coverage: &Coverage, out: &mut dyn Write) {
    let _ = writeln!(out, "coverage: {} of {} probes reached", coverage.catalogue_reached(), coverage.catalogue);
    for (probe, ProbeTally { seeds, hits }) in &coverage.reached {
        let _ = writeln!(out, "  {probe}: {seeds} seeds, {hits} hits");
    }
    if !coverage.never_reached.is_empty() {
        let _ = writeln!(out, "  never reached: {}", coverage.never_reached.join(", "));
    }
    for s in coverage.sometimes_unreached.iter().flatten() {
        let _ = writeln!(out, "FAILED  {}: sometimes never reached in any seed: {}", s.scenario, s.probes.join(", "));
    }
}
