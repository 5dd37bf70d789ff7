//! The Markdown summary (`summary.md`), written for `$GITHUB_STEP_SUMMARY`:
//! the totals, one table row per scenario and seed, and each failure's message
//! and diff in a collapsed block.
//!
//! Guarantees: table cells have `|`, `<`, `>` and `&` escaped and no line
//! breaks; a diff sits in a fence longer than any backtick run inside it, so
//! no scenario text can break out of its cell or block.

use super::sweep::SweepResults;
use super::{run_status, LoadFailure, ScenarioResult, Unchecked, Verdict};

/// The Markdown summary of `results`, of the scenario files that did not load
/// and of the inputs not checked.
pub(crate) fn summary(results: &[ScenarioResult], unloaded: &[LoadFailure], unchecked: &[Unchecked]) -> String {
    let (passed, failed) = super::totals(results);
    let did_not_load = if unloaded.is_empty() { String::new() } else { format!(", {} did not load", unloaded.len()) };
    let not_checked = if unchecked.is_empty() { String::new() } else { format!(", {} not checked", unchecked.len()) };
    let not_compared = match results.iter().filter(|r| r.verdict == Verdict::NotCompared).count() {
        0 => String::new(),
        n => format!(" ({n} under another seed than their own: not compared with their snapshots)"),
    };
    let mut out = format!("## squadsim: {passed} passed, {failed} failed{did_not_load}{not_checked}{not_compared}\n\n");
    for u in unloaded {
        out.push_str(&format!("- ❌ {} did not load: {}\n", cell(&u.file.display().to_string()), cell(&u.message)));
    }
    out.push_str(&not_checked_items(unchecked));
    if !unloaded.is_empty() && unchecked.is_empty() {
        out.push('\n');
    }
    out.push_str("| | scenario | seed | run | launch | blockers | simulated |\n");
    out.push_str("|---|---|---|---|---|---|---|\n");
    for r in results {
        let o = &r.outcome;
        let blockers = o.blockers();
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            if r.verdict.passed() { "✅" } else { "❌" },
            cell(&o.scenario),
            o.seed,
            cell(run_status(o)),
            o.launch_label(),
            if blockers.is_empty() { "none".to_string() } else { cell(&blockers.join(", ")) },
            cell(&o.simulated),
        ));
    }
    for r in results.iter().filter(|r| !r.verdict.passed()) {
        out.push_str(&format!(
            "\n<details><summary>❌ {}: {}</summary>\n\n",
            cell(&r.label()),
            cell(&r.verdict.message(&r.file))
        ));
        let detail = r.verdict.detail();
        if !detail.is_empty() {
            let fence = "`".repeat(longest_backtick_run(detail).max(2) + 1);
            out.push_str(&format!("{fence}diff\n{}\n{fence}\n", detail.trim_end()));
        }
        out.push_str("\n</details>\n");
    }
    out
}

/// One warning item per input not checked, then a blank line (nothing when there is none).
fn not_checked_items(unchecked: &[Unchecked]) -> String {
    if unchecked.is_empty() {
        return String::new();
    }
    let items: String = unchecked
        .iter()
        .map(|u| format!("- ⚠️ {} {}\n", cell(&u.path.display().to_string()), cell(u.kind.message())))
        .collect();
    items + "\n"
}

/// The Markdown summary of a seed sweep (or merged shards): the totals, one row
/// per scenario (seeds, failures), each failing seed's broken invariants and
/// reproduce command in a collapsed block, then the coverage.
pub(crate) fn sweep_summary(sweep: &SweepResults) -> String {
    let failed = sweep.failed();
    let not_checked = match sweep.not_checked.len() {
        0 => String::new(),
        n => format!(", {n} not checked"),
    };
    let mut out = format!(
        "## squadsim sweep: {} seeds, {} passed, {failed} failed{not_checked}\n\n",
        sweep.results.len(),
        sweep.results.len() - failed
    );
    out.push_str(&not_checked_items(&sweep.not_checked));
    out.push_str("| | scenario | seeds | failed | failing seeds |\n|---|---|---|---|---|\n");
    let mut scenarios: Vec<&str> = sweep.results.iter().map(|r| r.scenario.as_str()).collect();
    scenarios.dedup();
    for name in scenarios {
        let of: Vec<_> = sweep.results.iter().filter(|r| r.scenario == name).collect();
        let failing: Vec<String> = of.iter().filter(|r| !r.passed()).map(|r| r.seed.to_string()).collect();
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            if failing.is_empty() { "✅" } else { "❌" },
            cell(name),
            of.len(),
            failing.len(),
            if failing.is_empty() { "none".to_string() } else { failing.join(", ") },
        ));
    }
    for r in sweep.results.iter().filter(|r| !r.passed()) {
        let broken: Vec<String> = r.violations.iter().map(ToString::to_string).collect();
        out.push_str(&format!(
            "\n<details><summary>❌ {} (seed {}): {}</summary>\n\n",
            cell(&r.scenario),
            r.seed,
            cell(&broken.join("; "))
        ));
        let fence = "`".repeat(longest_backtick_run(&r.reproduce).max(2) + 1);
        out.push_str(&format!("{fence}sh\n{}\n{fence}\n\n</details>\n", r.reproduce));
    }
    out.push_str(&sweep_coverage(sweep));
    out
}

/// The coverage section of a sweep's summary: each scenario's `sometimes:`
/// never reached (or that a shard does not judge them), then a collapsed table
/// of the probes reached (seeds, hits) and the catalogue's never reached.
fn sweep_coverage(sweep: &SweepResults) -> String {
    let coverage = &sweep.coverage;
    let mut out =
        format!("\n### Coverage: {} of {} probes reached\n\n", coverage.catalogue_reached(), coverage.catalogue);
    match &coverage.sometimes_unreached {
        None if !sweep.sometimes.is_empty() => {
            out.push_str(
                "- ⚠️ `sometimes:` is not judged on one shard of several: `squadsim merge-reports` judges it\n\n",
            );
        }
        None => {}
        Some(unreached) => {
            for s in unreached {
                out.push_str(&format!(
                    "- ❌ {}: `sometimes:` never reached in any seed: {}\n",
                    cell(&s.scenario),
                    cell(&s.probes.join(", "))
                ));
            }
            if !unreached.is_empty() {
                out.push('\n');
            }
        }
    }
    out.push_str("<details><summary>probes reached</summary>\n\n| probe | seeds | hits |\n|---|---|---|\n");
    for (probe, tally) in &coverage.reached {
        out.push_str(&format!("| {} | {} | {} |\n", cell(probe), tally.seeds, tally.hits));
    }
    out.push_str("\n</details>\n");
    if !coverage.never_reached.is_empty() {
        out.push_str(&format!("\nNever reached: {}\n", cell(&coverage.never_reached.join(", "))));
    }
    out
}

fn cell(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('|', "\\|").replace(['\n', '\r'], " ")
}

fn longest_backtick_run(s: &str) -> usize {
    s.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};

    use super::super::sweep::{Coverage, SeedResult, Sometimes};
    use super::super::UncheckedKind;
    use super::*;
    use crate::engine::invariants::BrokenInvariant;
    use crate::engine::outcome::{nothing_ran, RunError};

    /// A result of `happy-intake` with `verdict` (its outcome one where nothing ran: only the verdict is read here).
    fn result(verdict: Verdict) -> ScenarioResult {
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/happy-intake.yaml");
        let scenario = crate::scenario::Scenario::load(&file).unwrap();
        let outcome = nothing_ran(&scenario, RunError::Stopped("not run: only the verdict is read".into()));
        ScenarioResult { file, outcome, verdict, record: None }
    }

    #[test]
    fn the_lists_above_the_table_end_in_one_blank_line_so_the_table_is_not_read_as_part_of_them() {
        let unloaded = [LoadFailure { file: PathBuf::from("broken.yaml"), message: "line 3: expected a map".into() }];
        let unchecked = [Unchecked { path: PathBuf::from("old"), kind: UncheckedKind::UnsearchedDirectory }];
        let table = "| | scenario | seed |";
        let only_unloaded = summary(&[], &unloaded, &[]);
        assert!(only_unloaded.contains(&format!("did not load: line 3: expected a map\n\n{table}")), "{only_unloaded}");
        let both = summary(&[], &unloaded, &unchecked);
        assert!(both.contains("expected a map\n- ⚠️ old holds scenarios"), "{both}");
        assert!(both.contains(&format!("name it to run them\n\n{table}")), "{both}");
        let neither = summary(&[], &[], &[]);
        assert!(neither.starts_with(&format!("## squadsim: 0 passed, 0 failed\n\n{table}")), "{neither}");
    }

    #[test]
    fn a_diff_sits_in_a_fence_longer_than_any_backtick_run_in_it() {
        let plain = summary(&[result(Verdict::Differs("-a\n+b\n".into()))], &[], &[]);
        assert!(plain.contains("\n```diff\n-a\n+b\n```\n"), "{plain}");
        let fenced = summary(&[result(Verdict::Differs("-a\n+b ``` c\n".into()))], &[], &[]);
        assert!(fenced.contains("\n````diff\n-a\n+b ``` c\n````\n"), "{fenced}");
    }

    fn seed(seed: u64, violations: Vec<BrokenInvariant>) -> SeedResult {
        SeedResult {
            scenario: "happy-intake".into(),
            file: "happy-intake.yaml".into(),
            seed,
            violations,
            simulated: "66.3s".into(),
            wall_ms: 1.0,
            reproduce: format!("squadsim run happy-intake.yaml --seed {seed} --jitter 0ms"),
            shrunk_faults: None,
            drawn_faults: None,
            probes: BTreeMap::new(),
            blockers_at: Vec::new(),
        }
    }

    fn sweep(results: Vec<SeedResult>, sometimes: Vec<Sometimes>, coverage: Coverage) -> SweepResults {
        SweepResults {
            format: super::super::sweep::RESULTS_FORMAT,
            seeds: 5..=6,
            jitter: "0ms".into(),
            swarm: false,
            scenarios: vec!["happy-intake.yaml".into()],
            digests: Vec::new(),
            shards: Vec::new(),
            sometimes,
            results,
            coverage,
            not_checked: Vec::new(),
        }
    }

    #[test]
    fn a_sweep_gives_each_failing_seed_and_no_other_its_broken_invariants_and_a_fenced_reproduce_command() {
        let broken =
            BrokenInvariant { field: "run_status".into(), expected: "blocked".into(), actual: "completed".into() };
        let md = sweep_summary(&sweep(vec![seed(5, vec![broken]), seed(6, vec![])], vec![], Coverage::default()));
        assert!(md.contains("| ❌ | happy-intake | 2 | 1 | 5 |"), "{md}");
        assert_eq!(md.matches("<details><summary>❌").count(), 1, "{md}");
        let details =
            "<details><summary>❌ happy-intake (seed 5): run_status: expected blocked, got completed</summary>";
        let fence = "```sh\nsquadsim run happy-intake.yaml --seed 5 --jitter 0ms\n```\n";
        assert!(md.contains(&format!("{details}\n\n{fence}\n</details>\n")), "{md}");
    }

    #[test]
    fn a_sweeps_coverage_says_what_was_never_reached_and_leaves_sometimes_to_the_merge_only_when_declared() {
        let sometimes = Sometimes {
            scenario: "happy-intake".into(),
            file: "happy-intake.yaml".into(),
            probes: vec!["wall_fired:planner_wall".into()],
        };
        let never_reached = vec!["wall_fired:planner_wall".to_string(), "blocker:a".to_string()];
        let judged = Coverage {
            catalogue: 3,
            never_reached,
            sometimes_unreached: Some(vec![sometimes.clone()]),
            ..Coverage::default()
        };
        let md = sweep_summary(&sweep(vec![seed(5, vec![])], vec![sometimes.clone()], judged));
        let unreached = "- ❌ happy-intake: `sometimes:` never reached in any seed: wall_fired:planner_wall\n";
        assert!(md.contains(&format!("{unreached}\n<details><summary>probes reached</summary>")), "{md}");
        assert!(md.ends_with("\n</details>\n\nNever reached: wall_fired:planner_wall, blocker:a\n"), "{md}");
        // Everything reached, nothing declared: neither line.
        let all = Coverage { catalogue: 3, sometimes_unreached: Some(vec![]), ..Coverage::default() };
        let md = sweep_summary(&sweep(vec![seed(5, vec![])], vec![], all));
        assert!(md.ends_with("|---|---|---|\n\n</details>\n"), "{md}");
        // One shard of several: the merge judges `sometimes:`, said only when some scenario declares it.
        let shard = Coverage { catalogue: 3, sometimes_unreached: None, ..Coverage::default() };
        let declared = sweep_summary(&sweep(vec![seed(5, vec![])], vec![sometimes], shard.clone()));
        assert!(declared.contains("`sometimes:` is not judged on one shard of several"), "{declared}");
        let undeclared = sweep_summary(&sweep(vec![seed(5, vec![])], vec![], shard));
        assert!(!undeclared.contains("sometimes"), "{undeclared}");
    }

    #[test]
    fn cells_and_fences_hold_whatever_a_scenario_says() {
        assert_eq!(cell("a|b <script>&\nx"), "a\\|b &lt;script&gt;&amp; x");
        assert_eq!(longest_backtick_run("a ```` b ` c"), 4);
        assert_eq!(longest_backtick_run("none"), 0);
    }
}
