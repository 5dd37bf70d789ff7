//! `squadsim merge-reports`: shard results merged into one sweep.

use squadsim_conformance::exit::ExitStatus;
use std::io::Write;
use std::path::PathBuf;

use super::{print_verdict, write_reports, write_results};
use crate::engine::invariants::BrokenInvariant;
use crate::tools::report::sweep::{Shard, SweepResults, RESULTS_FORMAT};
use crate::tools::report::RunFormat;

/// `squadsim merge-reports --help`'s long text: how shards are made and
/// merged, with examples (the exit statuses follow it).
pub(crate) const MERGE_REPORTS_HELP: &str = "\
Merges the results files of a sharded seed sweep into one verdict, as if the
sweep had run on one machine. Each shard runs every N-th (scenario, seed) item
and writes its results; the merge refuses (exit 2, naming what) a missing shard,
a shard given twice, or shards of different sweeps (seeds, jitter, scenario
files or their contents, shard count).

    squadsim run scenarios/ --seeds 1000 --shard 1/2 --results shard-1.json
    squadsim run scenarios/ --seeds 1000 --shard 2/2 --results shard-2.json
    squadsim merge-reports shard-1.json shard-2.json --out sweep.json --report reports/
    squadsim merge-reports shard-*.json --format github   # annotations in a workflow

docs/ci.md runs it as a GitHub Actions matrix and as a Kubernetes Indexed Job.";

/// `squadsim merge-reports`.
#[derive(clap::Args, Debug)]
pub struct MergeArgs {
    /// Sweep results files (`squadsim run --seeds N --shard I/N --results FILE`).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Write the merged results as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Write the merged reports into DIR: junit.xml (one testcase per scenario and seed), summary.md and
    /// sweep.html (failing seeds with their reproduce commands; merged results hold no runs to link).
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
    /// Output format: `human` (the failing seeds with their commands, the coverage, the totals), `json` (the
    /// merged results, as --out writes them) or `github` (the human lines plus workflow-command annotations: the
    /// failing seeds on their scenario files, the `sometimes:` no seed reached, the inputs not checked).
    #[arg(long, value_enum, default_value_t = RunFormat::Human)]
    pub format: RunFormat,
}

/// Why shard results could not be merged into one sweep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MergeError {
    /// A file without [`RESULTS_FORMAT`] (written by another squadsim).
    Format { file: String, found: u32 },
    /// Two files that were not shards of one sweep: what differs, and each one's value.
    Mismatch { what: &'static str, first: (String, String), other: (String, String) },
    /// One shard given by two files.
    Duplicate { shard: Shard, files: (String, String) },
    /// Shards of the sweep that no file gives: the first few, and how many in all.
    Missing { shards: Vec<Shard>, total: usize },
    /// A shard whose index is not within its count (a file not written by `--results`).
    NotAShard { shard: Shard, file: String },
    /// The files' results are not exactly the sweep's (scenario, seed) items: the
    /// first few it misses and how many in all, and those not of it or repeated.
    Results { missing: Vec<(String, u64)>, missing_total: u128, unexpected: Vec<(String, u64)> },
    /// No results file at all.
    Nothing,
}

impl std::fmt::Display for MergeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list = |items: &[(String, u64)]| {
            let shown: Vec<String> = items.iter().take(5).map(|(file, seed)| format!("{file} seed {seed}")).collect();
            let more = items.len().saturating_sub(shown.len());
            format!("{}{}", shown.join(", "), if more > 0 { format!(" and {more} more") } else { String::new() })
        };
        match self {
            MergeError::Format { file, found: 0 } => write!(
                f,
                "{file} has no results format: it was written by an older squadsim (this one reads format {RESULTS_FORMAT}); rerun its sweep"
            ),
            MergeError::Format { file, found } => {
                write!(f, "{file} is in results format {found}; this squadsim reads format {RESULTS_FORMAT}")
            }
            MergeError::Mismatch { what, first, other } => write!(
                f,
                "the files are not shards of one sweep: different {what} ({}: {}; {}: {})",
                first.0, first.1, other.0, other.1
            ),
            MergeError::Duplicate { shard, files } => {
                write!(f, "shard {shard} is given twice ({} and {})", files.0, files.1)
            }
            MergeError::Missing { shards, total } => {
                let names: Vec<String> = shards.iter().map(Shard::to_string).collect();
                let more = total - shards.len();
                let more = if more > 0 { format!(" and {more} more") } else { String::new() };
                write!(f, "shards {}{more} are missing: the sweep is incomplete", names.join(", "))
            }
            MergeError::NotAShard { shard, file } => {
                write!(
                    f,
                    "{file} gives shard {shard}, which is not a shard of this sweep (its index 1 to its count, its count \
                     the first file's): not a results file of squadsim's"
                )
            }
            MergeError::Results { missing, missing_total, unexpected } => {
                write!(f, "the results do not cover the sweep exactly")?;
                if !missing.is_empty() {
                    let shown: Vec<String> = missing.iter().map(|(file, seed)| format!("{file} seed {seed}")).collect();
                    let more = missing_total - shown.len() as u128;
                    let more = if more > 0 { format!(" and {more} more") } else { String::new() };
                    write!(f, "; missing: {}{more}", shown.join(", "))?;
                }
                if !unexpected.is_empty() {
                    write!(f, "; not in the sweep or given twice: {}", list(unexpected))?;
                }
                Ok(())
            }
            MergeError::Nothing => write!(f, "no results to merge"),
        }
    }
}

impl std::error::Error for MergeError {}

/// Merges shard results (each with the file it came from) into one sweep:
/// every (file, seed) once, in the unsharded sweep's order (the scenario
/// files as given, then seeds), its coverage computed over every seed and
/// every declared `sometimes:` judged. Refuses files of another format, shards
/// of different sweeps (seeds, jitter, `--swarm` or not, scenario files, shard
/// count, declared `sometimes:`, the scenario files' contents), a shard
/// given twice, a missing shard, and results that are not exactly the sweep's
/// (scenario, seed) items.
pub fn merge(parts: Vec<(String, SweepResults)>) -> Result<SweepResults, MergeError> {
    let Some((first_file, first)) = parts.first().cloned() else { return Err(MergeError::Nothing) };
    let mut merged = SweepResults { shards: Vec::new(), results: Vec::new(), not_checked: Vec::new(), ..first.clone() };
    let mut shard_files: Vec<(Shard, String)> = Vec::new();
    for (file, part) in parts {
        if part.format != RESULTS_FORMAT {
            return Err(MergeError::Format { file, found: part.format });
        }
        let count = |p: &SweepResults| p.shards.first().map_or(0, |s| s.count);
        type Shown = fn(&SweepResults) -> String;
        let differs: [(&'static str, bool, Shown); 6] = [
            ("seed ranges", part.seeds != first.seeds, |p| format!("{}..={}", p.seeds.start(), p.seeds.end())),
            ("jitters", part.jitter != first.jitter, |p| p.jitter.clone()),
            ("fault mixes", part.swarm != first.swarm, |p| {
                if p.swarm { "--swarm, drawn per seed" } else { "the scenarios' own" }.into()
            }),
            ("scenario files", part.scenarios != first.scenarios, |p| p.scenarios.join(", ")),
            ("shard counts", count(&part) != count(&first), |p| {
                p.shards.first().map_or("none".into(), |s| s.count.to_string())
            }),
            ("`sometimes:` declared", part.sometimes != first.sometimes, |p| {
                let each: Vec<String> =
                    p.sometimes.iter().map(|s| format!("{} [{}]", s.file, s.probes.join(", "))).collect();
                if each.is_empty() {
                    "none".into()
                } else {
                    each.join("; ")
                }
            }),
        ];
        if let Some((what, _, show)) = differs.into_iter().find(|(_, differs, _)| *differs) {
            return Err(MergeError::Mismatch {
                what,
                first: (first_file.clone(), show(&first)),
                other: (file.clone(), show(&part)),
            });
        }
        if part.digests != first.digests {
            // The same file names (checked above) with other contents: say which files differ.
            let differing = |p: &SweepResults, q: &SweepResults| -> String {
                let short = |d: Option<&String>| d.map_or("none".into(), |d| d.chars().take(12).collect::<String>());
                let files: Vec<String> = (0..p.scenarios.len().max(p.digests.len()))
                    .filter(|&i| p.digests.get(i) != q.digests.get(i))
                    .map(|i| {
                        format!("{} sha256 {}", p.scenarios.get(i).map_or("?", String::as_str), short(p.digests.get(i)))
                    })
                    .collect();
                files.join(", ")
            };
            return Err(MergeError::Mismatch {
                what: "scenario file contents",
                first: (first_file.clone(), differing(&first, &part)),
                other: (file.clone(), differing(&part, &first)),
            });
        }
        let count_of_first = count(&first);
        for shard in part.shards {
            // Within its count, and of the first file's count (a file may list several shards).
            if shard.index == 0 || shard.index > shard.count || shard.count != count_of_first {
                return Err(MergeError::NotAShard { shard, file });
            }
            if let Some((_, earlier)) = shard_files.iter().find(|(s, _)| *s == shard) {
                return Err(MergeError::Duplicate { shard, files: (earlier.clone(), file.clone()) });
            }
            shard_files.push((shard, file.clone()));
        }
        merged.results.extend(part.results);
        merged.not_checked.extend(part.not_checked);
    }
    // Every shard of one sweep was given the same paths, so they name the same inputs; a
    // shard run from another tree may name more: the merge keeps each once, in path order.
    merged.not_checked.sort();
    merged.not_checked.dedup();
    merged.shards = shard_files.into_iter().map(|(s, _)| s).collect();
    merged.shards.sort_by_key(|s| (s.count, s.index));
    let count = merged.shards.first().map_or(1, |s| s.count);
    // Every shard given is distinct and within the count, so the missing ones are
    // the count less those given; the first few are found past the given ones.
    let total = count - merged.shards.len();
    if total > 0 {
        let shards = (1..=count)
            .map(|index| Shard { index, count })
            .filter(|s| !merged.shards.contains(s))
            .take(SHOWN)
            .collect();
        return Err(MergeError::Missing { shards, total });
    }
    // The unsharded sweep's order: its scenario files as given, each file's seeds in turn.
    let position = |file: &str| merged.scenarios.iter().position(|s| s == file).unwrap_or(usize::MAX);
    merged.results.sort_by_key(|r| (position(&r.file), r.seed));
    if let Some(error) = uncovered(&merged) {
        return Err(error);
    }
    // Every seed of the sweep is here: the merge judges `sometimes:`, which no shard could.
    merged.coverage = super::coverage::of(&merged.results, &merged.sometimes, true);
    Ok(merged)
}

/// How many missing shards or items an error names (it counts the rest).
const SHOWN: usize = 5;

/// Whether `merged`'s results (sorted in the sweep's order) are exactly its
/// (scenario, seed) items, found in one walk of the results per scenario file:
/// never by listing the sweep, whose seed range a file may claim at any size.
fn uncovered(merged: &SweepResults) -> Option<MergeError> {
    let (start, end) = (u128::from(*merged.seeds.start()), u128::from(*merged.seeds.end()));
    let (mut missing, mut missing_total, mut unexpected) = (Vec::new(), 0u128, Vec::new());
    let mut miss = |file: &str, from: u128, to: u128| {
        missing_total += to - from;
        let shown = (from..to).take(SHOWN.saturating_sub(missing.len()));
        missing.extend(shown.map(|seed| (file.to_string(), seed as u64)));
    };
    for file in &merged.scenarios {
        let mut next = start;
        for r in merged.results.iter().filter(|r| &r.file == file) {
            let seed = u128::from(r.seed);
            if seed < next || seed > end {
                // Below the range, above it, or a seed given twice.
                unexpected.push((r.file.clone(), r.seed));
                continue;
            }
            if seed > next {
                miss(file, next, seed);
            }
            next = seed + 1;
        }
        if next <= end {
            miss(file, next, end + 1);
        }
    }
    let foreign = merged.results.iter().filter(|r| !merged.scenarios.contains(&r.file));
    unexpected.extend(foreign.map(|r| (r.file.clone(), r.seed)));
    (missing_total > 0 || !unexpected.is_empty()).then_some(MergeError::Results { missing, missing_total, unexpected })
}

/// `squadsim merge-reports FILE...`: exit 0 every seed of the whole sweep passed
/// and reached every `sometimes:`, 1 some failed or a `sometimes:` probe was
/// never reached, 2 a file could not be read, the files do not belong together,
/// or a shard (or any (scenario, seed) of the sweep) is missing.
pub fn merge_reports(args: &MergeArgs, out: &mut dyn Write, err: &mut dyn Write) -> ExitStatus {
    let mut parts = Vec::new();
    for file in &args.files {
        let parsed = std::fs::read_to_string(file)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str::<SweepResults>(&t).map_err(|e| e.to_string()));
        match parsed {
            Ok(p) => parts.push((file.display().to_string(), p)),
            Err(e) => {
                let _ = writeln!(err, "error: {}: {e}", file.display());
                return ExitStatus::Unusable;
            }
        }
    }
    let merged = match merge(parts) {
        Ok(m) => m,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return ExitStatus::Unusable;
        }
    };
    if let Some(path) = &args.out {
        if !write_results(path, &merged, err) {
            return ExitStatus::Unusable;
        }
    }
    // Merged results hold no runs: the sweep page lists the failing seeds with their commands, unlinked.
    if !write_reports(args.report.as_deref(), &merged, &[], err) {
        return ExitStatus::Unusable;
    }
    for u in &merged.not_checked {
        let _ = writeln!(err, "warning: {} {}", u.path.display(), u.kind.message());
    }
    print_verdict(&merged, args.format, out, err, &mut |out| {
        for r in merged.results.iter().filter(|r| !r.passed()) {
            let broken: Vec<String> = r.violations.iter().map(BrokenInvariant::to_string).collect();
            let _ = writeln!(out, "FAILED  {} seed {}: {}", r.scenario, r.seed, broken.join("; "));
            let _ = writeln!(out, "    reproduce: {}", r.reproduce);
        }
        super::coverage::print(&merged.coverage, out);
        let shards: Vec<String> = merged.shards.iter().map(Shard::to_string).collect();
        let _ = writeln!(
            out,
            "{} seeds: {} passed, {} failed (shards {})",
            merged.results.len(),
            merged.results.len() - merged.failed(),
            merged.failed(),
            shards.join(", ")
        );
    });
    ExitStatus::of_failures(merged.failed() + merged.sometimes_failed())
}

#[cfg(test)]
mod tests {
    use super::super::plan::items;
    use super::*;
    use crate::tools::report::sweep::SeedResult;

    fn result(file: &str, seed: u64, failed: bool) -> SeedResult {
        SeedResult {
            scenario: file.trim_end_matches(".yaml").into(),
            file: file.into(),
            seed,
            violations: if failed {
                vec![BrokenInvariant {
                    field: "run_status".into(),
                    expected: "completed".into(),
                    actual: "blocked".into(),
                }]
            } else {
                Vec::new()
            },
            simulated: "1.0s".into(),
            wall_ms: 1.0,
            reproduce: String::new(),
            shrunk_faults: None,
            drawn_faults: None,
            probes: Default::default(),
            blockers_at: Vec::new(),
        }
    }

    /// Shard `index` of `count` of a sweep of a.yaml and b.yaml over seeds 1..=2, every seed passing but a.yaml's 2.
    fn shard(index: usize, count: usize) -> (String, SweepResults) {
        let shard = Shard { index, count };
        let all = items(2, 1..=2, Some(shard));
        let files = ["a.yaml", "b.yaml"];
        let results = all.iter().map(|i| result(files[i.scenario], i.seed, (i.scenario, i.seed) == (0, 2))).collect();
        let sweep = SweepResults {
            format: RESULTS_FORMAT,
            seeds: 1..=2,
            jitter: "500ms".into(),
            swarm: false,
            scenarios: files.iter().map(|f| f.to_string()).collect(),
            digests: files.iter().map(|f| format!("{:0>64}", f.len())).collect(),
            shards: vec![shard],
            sometimes: Vec::new(),
            results,
            coverage: Default::default(),
            not_checked: Vec::new(),
        };
        (format!("shard-{index}.json"), sweep)
    }

    #[test]
    fn merging_shards_orders_results_and_refuses_mismatches() {
        let merged = merge(vec![shard(2, 2), shard(1, 2)]).unwrap();
        let order: Vec<(String, u64)> = merged.results.iter().map(|r| (r.file.clone(), r.seed)).collect();
        assert_eq!(order, [("a.yaml".into(), 1), ("a.yaml".into(), 2), ("b.yaml".into(), 1), ("b.yaml".into(), 2)]);
        assert_eq!(merged.failed(), 1);
        assert_eq!(merged.shards, [Shard { index: 1, count: 2 }, Shard { index: 2, count: 2 }]);

        let twice = merge(vec![shard(1, 2), shard(1, 2), shard(2, 2)]).unwrap_err();
        assert_eq!(twice.to_string(), "shard 1/2 is given twice (shard-1.json and shard-1.json)");
        let missing = merge(vec![shard(1, 3), shard(3, 3)]).unwrap_err();
        assert_eq!(missing.to_string(), "shards 2/3 are missing: the sweep is incomplete");
        assert_eq!(
            merge(vec![shard(1, 2), shard(1, 3)]).unwrap_err().to_string(),
            "the files are not shards of one sweep: different shard counts (shard-1.json: 2; shard-1.json: 3)"
        );
        // Shard 2 of 2 edited one way, merged with shard 1: the refusal's message.
        let refused = |edit: fn(&mut SweepResults)| {
            let (file, mut other) = shard(2, 2);
            edit(&mut other);
            merge(vec![shard(1, 2), (file, other)]).unwrap_err().to_string()
        };
        let e = refused(|p| p.jitter = "1s".into());
        assert!(e.contains("different jitters (shard-1.json: 500ms; shard-2.json: 1s)"), "{e}");
        let e = refused(|p| p.seeds = 1..=3);
        assert!(e.contains("different seed ranges (shard-1.json: 1..=2; shard-2.json: 1..=3)"), "{e}");
        let e = refused(|p| p.swarm = true);
        assert!(
            e.contains(
                "different fault mixes (shard-1.json: the scenarios' own; shard-2.json: --swarm, drawn per seed)"
            ),
            "{e}"
        );
        let e = refused(|p| {
            p.sometimes = vec![crate::tools::report::sweep::Sometimes {
                scenario: "b".into(),
                file: "b.yaml".into(),
                probes: vec!["wall_fired:planner_wall".into()],
            }]
        });
        assert!(
            e.contains(
                "different `sometimes:` declared (shard-1.json: none; shard-2.json: b.yaml [wall_fired:planner_wall])"
            ),
            "{e}"
        );
        let e = refused(|p| {
            p.scenarios.pop();
        });
        assert!(e.contains("different scenario files"), "{e}");
        // The same names read with other contents (shards run from two checkouts): the files that differ.
        let e = refused(|p| p.digests[1] = format!("{:f>64}", ""));
        assert_eq!(
            e,
            "the files are not shards of one sweep: different scenario file contents \
             (shard-1.json: b.yaml sha256 000000000000; shard-2.json: b.yaml sha256 ffffffffffff)"
        );
        let e = refused(|p| p.format = 0);
        assert!(e.contains("written by an older squadsim"), "{e}");
        let e = refused(|p| {
            p.results.pop();
        });
        assert_eq!(e, "the results do not cover the sweep exactly; missing: b.yaml seed 2");
        // A seed missing before one that is there (a.yaml's 1, its 2 given): a gap, not only a short end.
        let (first_file, mut gapped) = shard(1, 2);
        gapped.results.remove(0);
        let e = merge(vec![(first_file, gapped), shard(2, 2)]).unwrap_err();
        assert_eq!(e.to_string(), "the results do not cover the sweep exactly; missing: a.yaml seed 1");
        let e = refused(|p| p.results.push(p.results[0].clone()));
        assert!(e.ends_with("; not in the sweep or given twice: a.yaml seed 2"), "{e}");
    }

    /// A results file may claim any seed range or shard count (written by hand,
    /// cut short, another tool's): the merge answers at once, naming a few and
    /// counting the rest, never listing the whole sweep it claims.
    #[test]
    fn a_file_claiming_a_vast_sweep_is_refused_at_once() {
        let (file, mut vast) = shard(1, 1);
        vast.seeds = 1..=1_000_000_000_000_000;
        let e = merge(vec![(file.clone(), vast)]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the results do not cover the sweep exactly; missing: a.yaml seed 3, a.yaml seed 4, a.yaml seed 5, \
             a.yaml seed 6, a.yaml seed 7 and 1999999999999991 more"
        );
        let (_, mut many) = shard(1, 1);
        many.shards = vec![Shard { index: 1, count: 1_000_000_000_000 }];
        let e = merge(vec![(file.clone(), many)]).unwrap_err();
        assert_eq!(e.to_string(), "shards 2/1000000000000, 3/1000000000000, 4/1000000000000, 5/1000000000000, 6/1000000000000 and 999999999994 more are missing: the sweep is incomplete");
        let (_, mut odd) = shard(1, 1);
        odd.shards = vec![Shard { index: 3, count: 2 }];
        let e = merge(vec![(file.clone(), odd)]).unwrap_err();
        assert!(e.to_string().contains("gives shard 3/2, which is not a shard"), "{e}");
        // Shards of two counts in one file: refused, never counted against each other.
        let (_, mut mixed) = shard(1, 2);
        mixed.shards = vec![Shard { index: 1, count: 2 }, Shard { index: 2, count: 2 }, Shard { index: 3, count: 5 }];
        let e = merge(vec![(file, mixed)]).unwrap_err();
        assert!(e.to_string().contains("gives shard 3/5, which is not a shard of this sweep"), "{e}");
    }
}
