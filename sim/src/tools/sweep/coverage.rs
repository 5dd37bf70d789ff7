//! A sweep's coverage: which probes its seeds reached and how often, which of
//! the catalogue's they never reached, and each scenario's `sometimes:`
//! probes that no seed reached (a sweep that leaves one unreached fails).

use std::collections::BTreeMap;
use std::io::Write;

use crate::engine::coverage::tally;
use crate::scenario::{sometimes, Scenario};
use crate::tools::report::sweep::SeedResult;

/// For each probe reached: (seeds that reached it, hits in all).
pub(crate) fn reached(results: &[SeedResult]) -> BTreeMap<String, (u64, u64)> {
    tally(results.iter().map(|r| &r.probes))
}

/// The probes of `scenario`'s `sometimes:` that none of its seeds (in `results`, of file `file`) reached.
pub(crate) fn unreached_sometimes(scenario: &Scenario, file: &str, results: &[SeedResult]) -> Vec<String> {
    let mine = reached(&results.iter().filter(|r| r.file == file).cloned().collect::<Vec<_>>());
    scenario.sometimes.iter().filter(|p| !mine.contains_key(*p)).cloned().collect()
}

/// Prints the sweep's coverage: each probe reached (seeds, hits), then the catalogue's never reached.
pub(crate) fn print(results: &[SeedResult], out: &mut dyn Write) {
    let reached = reached(results);
    let catalogue = sometimes::probes();
    let never: Vec<&String> = catalogue.iter().filter(|p| !reached.contains_key(*p)).collect();
    let in_catalogue = catalogue.len() - never.len();
    let _ = writeln!(out, "coverage: {in_catalogue} of {} probes reached", catalogue.len());
    for (probe, (seeds, hits)) in &reached {
        let _ = writeln!(out, "  {probe}: {seeds} seeds, {hits} hits");
    }
    if !never.is_empty() {
        let names: Vec<&str> = never.iter().map(|s| s.as_str()).collect();
        let _ = writeln!(out, "  never reached: {}", names.join(", "));
    }
}
