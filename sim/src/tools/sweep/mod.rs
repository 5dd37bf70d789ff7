//! Seed sweeps: every scenario under many seeds, with turmoil's random host
//! order and latency jitter on, checked against the invariants the scenario
//! declares (`invariants:`) rather than its snapshot.
//!
//! `squadsim run --seeds N` / `--seed-range A..B`, split across CI runners with
//! `--shard I/N` (round-robin over the (scenario, seed) list, as
//! `cargo nextest --partition count:I/N`), parallel across cores (`--jobs`),
//! shard results merged with `squadsim merge-reports`, and a failing seed's
//! fault schedule narrowed with `--shrink`.
//!
//! Guarantees: one (scenario, seed, jitter) gives the same verdict in any
//! process, on any number of jobs and in any shard; results are reported in
//! (file, seed) order whatever order the jobs finish in; every failing seed is
//! printed with a one-line command that reproduces it; a panicking simulation is
//! a failing seed, not a crashed sweep.

mod coverage;
#[cfg(test)]
mod leaps;
mod merge;
mod plan;
mod progress;
mod runner;
mod shrink;
mod swarm;

use squadsim_conformance::exit::ExitStatus;
use std::io::{IsTerminal, Write};
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub(crate) use merge::MERGE_REPORTS_HELP;
pub use merge::{merge, merge_reports, MergeArgs, MergeError};
pub(crate) use plan::parse_jitter;
pub use plan::{items, Item, MAX_SWEEP_ITEMS};
use plan::{parse_jobs, parse_seed_count, parse_seed_range, parse_shard};
use progress::Progress;
pub use runner::{check_seed, sweep};
pub use shrink::{faults_yaml, shrink};
pub(crate) use swarm::swarmed;

use crate::engine::invariants::BrokenInvariant;
use crate::engine::world::Network;
use crate::scenario::{Invariants, Scenario, SimDuration};
use crate::tools::report::sweep::{SeedResult, Shard, SweepResults, RESULTS_FORMAT};
use crate::tools::report::{RunFormat, ScenarioResult, Unchecked};

/// A sweep's largest message latency when `--jitter` is not given.
const DEFAULT_JITTER: SimDuration = SimDuration(Duration::from_millis(500));

/// The sweep's flags on `squadsim run`.
#[derive(clap::Args, Debug, Clone)]
pub struct SweepArgs {
    /// Sweep seeds 1..=N under random host order and latency jitter, checking each scenario's `invariants`.
    #[arg(long, value_name = "N", conflicts_with_all = ["seed", "seed_range"], value_parser = parse_seed_count)]
    pub seeds: Option<u64>,
    /// Sweep the seeds A..B (B excluded) or A..=B (B included) instead of 1..=N.
    #[arg(long, value_name = "A..B", value_parser = parse_seed_range, conflicts_with = "seed")]
    pub seed_range: Option<RangeInclusive<u64>>,
    /// Run only the I-th of N shards of the (scenario, seed) list (1-based, round-robin, like
    /// `cargo nextest --partition count:I/N`).
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    pub shard: Option<Shard>,
    /// Simulations to run at once, each on its own thread, 1 to 1024 (default: the number of cores).
    #[arg(long, value_name = "J", value_parser = parse_jobs)]
    pub jobs: Option<usize>,
    /// The largest message latency of the sweep's network, the smallest being 1ms (default: 500ms).
    #[arg(long, value_name = "DURATION", value_parser = parse_jitter)]
    pub jitter: Option<SimDuration>,
    /// Narrow the fault schedule of each scenario's first failing seed to the smallest one that still fails.
    #[arg(long)]
    pub shrink: bool,
    /// Swarm testing: each seed draws its own fault mix (kinds on or off, how many, which hosts and
    /// links, when and how long) from every host of the scenario's world, instead of the scenario's
    /// faults; declared invariants are not checked, the built-in ones and liveness are.
    #[arg(long)]
    pub swarm: bool,
    /// Write the sweep's results as JSON to FILE (input of `squadsim merge-reports`; its directory is made if missing).
    #[arg(long, value_name = "FILE")]
    pub results: Option<PathBuf>,
}

impl SweepArgs {
    /// Whether `squadsim run` sweeps (a seed count or range was given).
    pub fn active(&self) -> bool {
        self.seeds().is_some()
    }

    /// The largest message latency of the sweep's network: `--jitter`, or 500 ms.
    pub fn jitter(&self) -> SimDuration {
        self.jitter.unwrap_or(DEFAULT_JITTER)
    }

    /// The seeds to sweep; `None` when no seed count or range was given.
    pub fn seeds(&self) -> Option<RangeInclusive<u64>> {
        match (&self.seed_range, self.seeds) {
            (Some(range), _) => Some(range.clone()),
            (None, Some(n)) => Some(1..=n),
            (None, None) => None,
        }
    }
}

/// `squadsim run --seeds N|--seed-range A..B` over `files`: exit 0 every seed held its
/// invariants, 1 some did not, 2 a scenario did not load or a file could not be
/// written. `report`: write `junit.xml` and `summary.md` there.
pub fn run(
    files: &[PathBuf],
    args: &SweepArgs,
    format: RunFormat,
    report: Option<&Path>,
    not_checked: &[Unchecked],
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> ExitStatus {
    let mut scenarios = Vec::new();
    let mut digests = Vec::new();
    let mut broken = 0usize;
    for file in files {
        let read = Scenario::read(file).and_then(|bytes| Ok((digest(&bytes), Scenario::parse_bytes(file, &bytes)?)));
        match read {
            Ok((d, s)) => {
                scenarios.push((file.clone(), s));
                digests.push(d);
            }
            Err(e) => {
                broken += 1;
                let _ = writeln!(err, "error: {e}");
            }
        }
    }
    if broken > 0 {
        let _ = writeln!(err, "{broken} scenario(s) did not load; nothing was swept");
        return ExitStatus::Unusable;
    }
    let network = Network::jittered(args.jitter().0);
    let Some(seeds) = args.seeds() else {
        let _ = writeln!(err, "error: a sweep needs --seeds N or --seed-range A..B");
        return ExitStatus::Unusable;
    };
    let whole = plan::whole(scenarios.len(), &seeds);
    if plan::oversized(whole, args.shard) {
        let _ = writeln!(
            err,
            "error: {whole} (scenario, seed) items is more than one sweep runs ({MAX_SWEEP_ITEMS}): split it with --seed-range A..B or --shard I/N"
        );
        return ExitStatus::Unusable;
    }
    let items = items(scenarios.len(), seeds.clone(), args.shard);
    if items.is_empty() {
        // Only a shard can be empty (there is at least one scenario and one seed);
        // its results still say which shard it was, so a merge sees it.
        let shard = args.shard.map(|s| s.to_string()).unwrap_or_default();
        let _ =
            writeln!(err, "warning: shard {shard} holds none of the {whole} (scenario, seed) items: it runs nothing");
    }
    let jobs = args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)).max(1);
    let started = Instant::now();
    let in_place = progress::drawn_in_place(std::io::stderr().is_terminal(), crate::tools::cli::under_ci());
    let mut progress = Progress::new(items.len(), in_place);
    let mut results = sweep(&scenarios, &items, jobs, args.jitter(), args.swarm, |r| progress.advance(r.passed(), err));
    progress.finish(err);
    if args.shrink {
        for (file, scenario) in &scenarios {
            let file = file.display().to_string();
            if let Some(first) = results.iter_mut().find(|r| r.file == file && !r.passed()) {
                let _ = writeln!(err, "shrinking the faults of {} seed {} ...", scenario.name, first.seed);
                let checked = if args.swarm { swarm::swarmed(scenario, first.seed) } else { scenario.clone() };
                first.shrunk_faults = Some(faults_yaml(&shrink(&checked, first.seed, &network)));
            }
        }
    }
    // `sometimes:` is judged over every seed of a scenario: one shard of several holds only some of
    // them, so it carries the declared probes and its seeds' probe counts for `merge-reports` to judge.
    let sharded = args.shard.is_some_and(|s| s.count > 1);
    let sometimes = coverage::declared(&scenarios);
    if sharded && !sometimes.is_empty() {
        let _ = writeln!(
            err,
            "warning: `sometimes:` is not judged on one shard (it needs every seed): `squadsim merge-reports` judges it"
        );
    }
    let coverage = coverage::of(&results, &sometimes, !sharded);
    let sweep = SweepResults {
        format: RESULTS_FORMAT,
        seeds,
        jitter: String::from(args.jitter()),
        swarm: args.swarm,
        scenarios: scenarios.iter().map(|(file, _)| file.display().to_string()).collect(),
        digests,
        shards: vec![args.shard.unwrap_or(Shard { index: 1, count: 1 })],
        sometimes,
        results,
        coverage,
        not_checked: not_checked.to_vec(),
    };
    if let Some(path) = &args.results {
        if !write_results(path, &sweep, err) {
            return ExitStatus::Unusable;
        }
    }
    let runs = match report {
        Some(_) => failing_runs(&scenarios, &sweep.results, &network, args.swarm),
        None => Vec::new(),
    };
    if !write_reports(report, &sweep, &runs, err) {
        return ExitStatus::Unusable;
    }
    let wall = started.elapsed();
    print_verdict(&sweep, format, out, err, &mut |out| {
        print_results(&sweep, &scenarios, jobs, wall, args.swarm, out);
        coverage::print(&sweep.coverage, out);
    });
    ExitStatus::of_failures(sweep.failed() + sweep.sometimes_failed())
}

/// A sweep's results as its results file holds them (and `--json` prints them).
fn results_text(sweep: &SweepResults) -> String {
    serde_json::to_string_pretty(sweep).expect("sweep results are plain data with string keys: they always serialize")
        + "\n"
}

/// Writes a sweep's results to `path`; `false` (said on `err`) when it cannot.
pub(super) fn write_results(path: &Path, sweep: &SweepResults, err: &mut dyn Write) -> bool {
    match std::fs::write(path, results_text(sweep)) {
        Ok(()) => true,
        Err(e) => {
            let _ = writeln!(err, "error: cannot write {}: {e}", path.display());
            false
        }
    }
}

/// A sweep's (or a merge's) verdict in `format`: in JSON its results, each `sometimes:`
/// no seed reached said on `err`; else the `human` lines, then (GitHub) the annotations
/// of the failing seeds, the unreached `sometimes:` and the inputs not checked, then the
/// inputs not checked counted.
pub(super) fn print_verdict(
    sweep: &SweepResults,
    format: RunFormat,
    out: &mut dyn Write,
    err: &mut dyn Write,
    human: &mut dyn FnMut(&mut dyn Write),
) {
    if format == RunFormat::Json {
        let _ = write!(out, "{}", results_text(sweep));
        for s in sweep.coverage.sometimes_unreached.iter().flatten() {
            let _ =
                writeln!(err, "error: {}: sometimes never reached in any seed: {}", s.scenario, s.probes.join(", "));
        }
        return;
    }
    human(out);
    if format == RunFormat::Github {
        let _ = write!(out, "{}", crate::tools::report::github::sweep_annotations(sweep));
    }
    let _ = write!(out, "{}", crate::tools::report::not_checked_totals(&sweep.not_checked));
}

/// The SHA-256 of a scenario file's bytes, in lowercase hex (as `sha256sum` prints it).
fn digest(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    squadsim_fakes::ids::lower_hex(&sha2::Sha256::digest(bytes))
}

/// One line per scenario, every failing seed with its command, and a summary.
fn print_results(
    sweep: &SweepResults,
    scenarios: &[(PathBuf, Scenario)],
    jobs: usize,
    wall: Duration,
    swarm: bool,
    out: &mut dyn Write,
) {
    for (file, scenario) in scenarios {
        let file = file.display().to_string();
        let mine: Vec<&SeedResult> = sweep.results.iter().filter(|r| r.file == file).collect();
        let failing: Vec<&&SeedResult> = mine.iter().filter(|r| !r.passed()).collect();
        let checked = match &scenario.invariants {
            _ if swarm => "swarm: a drawn fault mix; built-in invariants and liveness".into(),
            Some(inv) => declared_fields(inv),
            None => "no invariants declared: only that the simulation stops without an error".into(),
        };
        let _ = if mine.is_empty() {
            // One shard of several may hold none of a scenario's seeds: nothing held, nothing broke.
            writeln!(out, "none    {}: no seed of it in this shard ({checked})", scenario.name)
        } else if failing.is_empty() {
            writeln!(out, "ok      {}: {} seeds hold ({checked})", scenario.name, mine.len())
        } else {
            writeln!(out, "FAILED  {}: {} of {} seeds break ({checked})", scenario.name, failing.len(), mine.len())
        };
        for r in failing {
            let broken: Vec<String> = r.violations.iter().map(BrokenInvariant::to_string).collect();
            let _ = writeln!(out, "  seed {}: {}", r.seed, broken.join("; "));
            let _ = writeln!(out, "    reproduce: {}", r.reproduce);
            if let Some(faults) = &r.drawn_faults {
                let _ = writeln!(out, "    drawn fault mix:");
                for line in faults.lines() {
                    let _ = writeln!(out, "      {line}");
                }
            }
            if let Some(faults) = &r.shrunk_faults {
                let _ = writeln!(out, "    smallest failing fault schedule:");
                for line in faults.lines() {
                    let _ = writeln!(out, "      {line}");
                }
            }
        }
    }
    let total = sweep.results.len();
    let failed = sweep.failed();
    let shard = match sweep.shards.as_slice() {
        [s] if s.count > 1 => format!(", shard {s}"),
        _ => String::new(),
    };
    let _ = writeln!(
        out,
        "{total} seeds: {} passed, {failed} failed ({jobs} jobs{shard}, jitter {}, {:.1}s wall, {:.1} seeds/s)",
        total - failed,
        sweep.jitter,
        wall.as_secs_f64(),
        total as f64 / wall.as_secs_f64().max(1e-9),
    );
}

/// The declared invariant fields, e.g. `run_status, blockers`.
fn declared_fields(inv: &Invariants) -> String {
    match serde_json::to_value(inv) {
        Ok(serde_json::Value::Object(map)) if !map.is_empty() => map.keys().cloned().collect::<Vec<_>>().join(", "),
        _ => "invariants: {} declares nothing but that the simulation stops without an error".into(),
    }
}

/// How many failing seeds of each scenario get an HTML run report in a sweep's `--report DIR`.
pub const RUN_REPORTS_PER_SCENARIO: usize = 10;

/// The first [`RUN_REPORTS_PER_SCENARIO`] failing seeds of each scenario, run
/// again recorded (as the sweep ran them) for their HTML run reports.
fn failing_runs(
    scenarios: &[(PathBuf, Scenario)],
    results: &[SeedResult],
    network: &Network,
    swarm: bool,
) -> Vec<ScenarioResult> {
    let mut runs = Vec::new();
    for (file, scenario) in scenarios {
        let name = file.display().to_string();
        for r in results.iter().filter(|r| r.file == name && !r.passed()).take(RUN_REPORTS_PER_SCENARIO) {
            let broken: Vec<String> = r.violations.iter().map(BrokenInvariant::to_string).collect();
            runs.push(runner::rerun(file, scenario, r.seed, network, swarm, &broken.join("\n")));
        }
    }
    runs
}

/// Writes a sweep's reports (and the run reports of `runs`) into `dir` when one
/// is given; `false` (said on `err`) if that failed.
pub(super) fn write_reports(
    dir: Option<&Path>,
    sweep: &SweepResults,
    runs: &[ScenarioResult],
    err: &mut dyn Write,
) -> bool {
    let Some(dir) = dir else { return true };
    match crate::tools::report::write_sweep_dir(dir, sweep, runs) {
        Ok(_) => true,
        Err(e) => {
            let _ = writeln!(err, "error: cannot write the reports into {}: {e}", dir.display());
            false
        }
    }
}
