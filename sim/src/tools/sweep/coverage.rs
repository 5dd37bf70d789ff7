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

/// `head` then `items`, comma-separated, in lines of at most 100 characters
/// (an item longer than that alone on its line), the next lines indented two
/// spaces more than `head`; each line ends with a newline.
fn wrapped(head: &str, items: &[String]) -> String {
    const WIDTH: usize = 100;
    let indent = " ".repeat(head.len() - head.trim_start().len() + 2);
    let mut text = String::new();
    let mut line = head.to_string();
    for (i, item) in items.iter().enumerate() {
        let piece = if i + 1 < items.len() { format!("{item},") } else { item.clone() };
        // The first item stays on the head's line, however long; a wrapped line gets its item at once.
        if line.len() + 1 + piece.len() > WIDTH && i > 0 {
            text.push_str(&line);
            text.push('\n');
            line = indent.clone();
        } else {
            line.push(' ');
        }
        line.push_str(&piece);
    }
    text.push_str(&line);
    text.push('\n');
    text
}

/// Prints `coverage`: each probe reached (seeds, hits), the catalogue's never
/// reached, then a `FAILED` line per scenario with a `sometimes:` never reached.
pub(crate) fn print(coverage: &Coverage, out: &mut dyn Write) {
    let _ = writeln!(out, "coverage: {} of {} probes reached", coverage.catalogue_reached(), coverage.catalogue);
    for (probe, ProbeTally { seeds, hits }) in &coverage.reached {
        let _ = writeln!(out, "  {probe}: {seeds} seeds, {hits} hits");
    }
    if !coverage.never_reached.is_empty() {
        let _ = writeln!(out, "  never reached ({}), by kind:", coverage.never_reached.len());
        let mut kinds: Vec<(&str, Vec<String>)> = Vec::new();
        for probe in &coverage.never_reached {
            let (kind, what) = probe.split_once(':').unwrap_or(("", probe));
            match kinds.last_mut() {
                Some((last, whats)) if *last == kind => whats.push(what.to_string()),
                _ => kinds.push((kind, vec![what.to_string()])),
            }
        }
        for (kind, whats) in kinds {
            let _ = write!(out, "{}", wrapped(&format!("    {kind}:"), &whats));
        }
    }
    for s in coverage.sometimes_unreached.iter().flatten() {
        let _ = writeln!(out, "FAILED  {}: sometimes never reached in any seed: {}", s.scenario, s.probes.join(", "));
    }
}

#[cfg(test)]
mod tests {
    use super::wrapped;

    #[test]
    fn a_list_wraps_at_a_hundred_columns_under_its_head() {
        let items: Vec<String> = (0..30).map(|i| format!("item_{i:02}")).collect();
        let text = wrapped("    kind:", &items);
        assert!(text.lines().all(|l| l.len() <= 100), "{text}");
        assert!(text.starts_with("    kind: item_00, item_01,"), "{text}");
        assert!(text.lines().skip(1).all(|l| l.starts_with("      item_")), "{text}");
        let back: Vec<&str> = text.split([',', '\n']).map(str::trim).filter(|w| !w.is_empty()).collect();
        assert_eq!(back[0], "kind: item_00");
        assert_eq!(back[1..], items[1..].iter().map(String::as_str).collect::<Vec<_>>()[..]);
        // An item longer than a line stands alone on its line, never dropped.
        let long = "x".repeat(120);
        assert_eq!(wrapped("  k:", &[long.clone(), "y".into()]), format!("  k: {long},\n    y\n"));
        assert_eq!(wrapped("  k:", &["a".into()]), "  k: a\n");
        // A line of exactly a hundred characters is kept; one more wraps.
        let exactly = format!("k: a, {}", "x".repeat(94));
        assert_eq!(exactly.len(), 100);
        assert_eq!(wrapped("k:", &["a".into(), "x".repeat(94)]), format!("{exactly}\n"));
        assert_eq!(wrapped("k:", &["a".into(), "x".repeat(95)]), format!("k: a,\n  {}\n", "x".repeat(95)));
    }
}
