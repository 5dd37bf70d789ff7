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

use std::io::{IsTerminal, Write};
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::engine::invariants::BrokenInvariant;
use crate::engine::outcome;
use crate::engine::world::{self, Network, RunOptions};
use crate::scenario::Invariants;
use crate::scenario::{Fault, Scenario, SimDuration};
use crate::tools::cli::RunFormat;

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
    /// Simulations to run at once, each on its own thread (default: the number of cores).
    #[arg(long, value_name = "J")]
    pub jobs: Option<usize>,
    /// The largest message latency of the sweep's network (the smallest is 1ms).
    #[arg(long, value_name = "DURATION", default_value = "500ms", value_parser = parse_jitter)]
    pub jitter: SimDuration,
    /// Narrow the fault schedule of each scenario's first failing seed to the smallest one that still fails.
    #[arg(long)]
    pub shrink: bool,
    /// Write the sweep's results as JSON to FILE (input of `squadsim merge-reports`).
    #[arg(long, value_name = "FILE")]
    pub results: Option<PathBuf>,
}

impl SweepArgs {
    /// Whether `squadsim run` sweeps (a seed count or range was given).
    pub fn active(&self) -> bool {
        self.seeds().is_some()
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

/// One shard of a sweep: `index` of `count`, 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// Whether the `position`-th item (0-based) of the sweep's list is in this shard.
    pub fn holds(&self, position: usize) -> bool {
        position % self.count == self.index - 1
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

fn parse_shard(text: &str) -> Result<Shard, String> {
    let (i, n) = text.split_once('/').ok_or_else(|| format!("expected I/N such as 1/4, got `{text}`"))?;
    let index: usize = i.trim().parse().map_err(|_| format!("expected a shard number in `{text}`"))?;
    let count: usize = n.trim().parse().map_err(|_| format!("expected a shard count in `{text}`"))?;
    if count == 0 || index == 0 || index > count {
        return Err(format!("expected 1 <= I <= N in I/N, got `{text}`"));
    }
    Ok(Shard { index, count })
}

fn parse_seed_count(text: &str) -> Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(0) => Err("a sweep of 0 seeds runs nothing: give at least 1".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("expected a number of seeds such as 200, got `{text}`")),
    }
}

fn parse_seed_range(text: &str) -> Result<RangeInclusive<u64>, String> {
    let bad = || format!("expected A..B (B excluded) or A..=B (B included), got `{text}`");
    let (a, b, inclusive) = match text.split_once("..=") {
        Some((a, b)) => (a, b, true),
        None => text.split_once("..").map(|(a, b)| (a, b, false)).ok_or_else(bad)?,
    };
    let start: u64 = a.trim().parse().map_err(|_| bad())?;
    let end: u64 = b.trim().parse().map_err(|_| bad())?;
    let end = if inclusive { end } else { end.checked_sub(1).ok_or_else(|| format!("`{text}` holds no seed"))? };
    if end < start {
        return Err(format!("`{text}` holds no seed"));
    }
    Ok(start..=end)
}

fn parse_jitter(text: &str) -> Result<SimDuration, String> {
    let d = SimDuration::parse(text)?;
    if d.0 < Duration::from_millis(1) || d.0 > Duration::from_secs(10) {
        return Err(format!("expected a jitter between 1ms and 10s, got `{text}`"));
    }
    Ok(d)
}

/// How one seed of one scenario fared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeedResult {
    pub scenario: String,
    /// The scenario file, as given on the command line.
    pub file: String,
    pub seed: u64,
    /// The broken invariants; empty: the seed passed.
    pub violations: Vec<BrokenInvariant>,
    /// Simulated time, as in outcomes (`12.3s`).
    pub simulated: String,
    /// Wall time of the simulation in milliseconds.
    pub wall_ms: f64,
    /// One command that reruns exactly this seed on the same network.
    pub reproduce: String,
    /// With `--shrink`: the smallest fault schedule (YAML) that still fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shrunk_faults: Option<String>,
}

impl SeedResult {
    pub fn passed(&self) -> bool {
        self.violations.is_empty()
    }
}

/// The results file format `--results` writes and `merge-reports` reads.
pub const RESULTS_FORMAT: u32 = 2;

/// The most (scenario, seed) items one sweep (or shard) runs: each keeps its
/// result in memory until the sweep ends.
pub const MAX_SWEEP_ITEMS: u128 = 1_000_000;

/// A sweep's (or a shard's) results: the input and output of `merge-reports`.
/// It says what was swept (seeds, jitter, scenario files, shards), so shards
/// that do not belong together, or a missing one, are refused when merged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepResults {
    /// [`RESULTS_FORMAT`] (0: a file from before formats were numbered).
    #[serde(default)]
    pub format: u32,
    /// The seeds swept, first and last included.
    pub seeds: RangeInclusive<u64>,
    /// The largest message latency, as given to `--jitter`.
    pub jitter: String,
    /// The scenario files swept, as given on the command line, in order.
    pub scenarios: Vec<String>,
    /// The shards these results cover (all of them after a merge).
    pub shards: Vec<Shard>,
    /// In the sweep's order: the scenario files as given, then seeds.
    pub results: Vec<SeedResult>,
}

impl SweepResults {
    pub fn failed(&self) -> usize {
        self.results.iter().filter(|r| !r.passed()).count()
    }
}

/// The invariants a sweep checks for `scenario`: its declared ones, or (none
/// declared) only that the simulation stops without an error.
fn invariants_of(scenario: &Scenario) -> Invariants {
    scenario.invariants.clone().unwrap_or_default()
}

/// Runs `scenario` under `seed` on `network` and checks its invariants. A seed
/// whose run did not reach its end (its world not built, the horizon passed, a
/// panic in the simulation) breaks them whatever they declare (field `error`).
pub fn check_seed(scenario: &Scenario, seed: u64, network: &Network) -> (Vec<BrokenInvariant>, String, Duration) {
    let mut s = scenario.clone();
    s.seed = seed;
    let started = Instant::now();
    let options = RunOptions { network: *network, ..RunOptions::default() };
    let outcome =
        world::catch_panic(|| world::run(&s, options).outcome).unwrap_or_else(|e| outcome::nothing_ran(&s, e));
    let wall = started.elapsed();
    (invariants_of(scenario).check(&outcome), outcome.simulated, wall)
}

/// The command that reruns one seed of a sweep.
fn reproduce(file: &Path, seed: u64, jitter: SimDuration) -> String {
    format!("squadsim run {} --seed-range {seed}..={seed} --jitter {}", file.display(), String::from(jitter))
}

/// One (scenario, seed) of a sweep's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Item {
    /// Index into the sweep's scenarios.
    pub scenario: usize,
    pub seed: u64,
}

/// The (scenario, seed) list of a sweep over `scenarios` scenarios, in
/// (scenario, seed) order, keeping only `shard`'s items.
pub fn items(scenarios: usize, seeds: RangeInclusive<u64>, shard: Option<Shard>) -> Vec<Item> {
    (0..scenarios)
        .flat_map(|i| seeds.clone().map(move |seed| Item { scenario: i, seed }))
        .enumerate()
        .filter(|(position, _)| shard.is_none_or(|s| s.holds(*position)))
        .map(|(_, item)| item)
        .collect()
}

/// Checks every item on `jobs` threads, each running its own simulations;
/// `on_result` sees each result as it finishes. Returns the results in `items` order.
pub fn sweep(
    scenarios: &[(PathBuf, Scenario)],
    items: &[Item],
    jobs: usize,
    jitter: SimDuration,
    mut on_result: impl FnMut(&SeedResult),
) -> Vec<SeedResult> {
    let network = Network::jittered(jitter.0);
    let mut results: Vec<Option<SeedResult>> = vec![None; items.len()];
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::channel();
        for _ in 0..jobs.max(1).min(items.len()) {
            let tx = tx.clone();
            let (next, network) = (&next, &network);
            scope.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(i) else { break };
                let (file, scenario) = &scenarios[item.scenario];
                let (violations, simulated, wall) = check_seed(scenario, item.seed, network);
                let result = SeedResult {
                    scenario: scenario.name.clone(),
                    file: file.display().to_string(),
                    seed: item.seed,
                    violations,
                    simulated,
                    wall_ms: wall.as_secs_f64() * 1000.0,
                    reproduce: reproduce(file, item.seed, jitter),
                    shrunk_faults: None,
                };
                if tx.send((i, result)).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        for (i, result) in rx {
            on_result(&result);
            results[i] = Some(result);
        }
    });
    results.into_iter().flatten().collect()
}

/// `squadsim run --seeds N | --seed-range A..B` over `files`.
/// `squadsim run --seeds N|--seed-range A..B`: exit 0 every seed held its
/// invariants, 1 some did not, 2 a scenario did not load or a file could not be
/// written. `report`: write `junit.xml` and `summary.md` there.
pub fn run(
    files: &[PathBuf],
    args: &SweepArgs,
    format: RunFormat,
    report: Option<&Path>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> ExitCode {
    let mut scenarios = Vec::new();
    let mut broken = 0usize;
    for file in files {
        match Scenario::load(file) {
            Ok(s) => scenarios.push((file.clone(), s)),
            Err(e) => {
                broken += 1;
                let _ = writeln!(err, "error: {e}");
            }
        }
    }
    if broken > 0 {
        let _ = writeln!(err, "{broken} scenario(s) did not load; nothing was swept");
        return ExitCode::from(2);
    }
    let network = Network::jittered(args.jitter.0);
    let Some(seeds) = args.seeds() else {
        let _ = writeln!(err, "error: a sweep needs --seeds N or --seed-range A..B");
        return ExitCode::from(2);
    };
    let whole = scenarios.len() as u128 * (u128::from(*seeds.end() - *seeds.start()) + 1);
    let count = args.shard.map_or(1, |s| s.count as u128);
    if whole.div_ceil(count) > MAX_SWEEP_ITEMS {
        let _ = writeln!(
            err,
            "error: {whole} (scenario, seed) items is more than one sweep runs ({MAX_SWEEP_ITEMS}): split it with --seed-range A..B or --shard I/N"
        );
        return ExitCode::from(2);
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
    let mut progress = Progress::new(items.len(), std::io::stderr().is_terminal() && std::env::var_os("CI").is_none());
    let mut results = sweep(&scenarios, &items, jobs, args.jitter, |r| progress.advance(r.passed(), err));
    progress.finish(err);
    if args.shrink {
        for (file, scenario) in &scenarios {
            let file = file.display().to_string();
            if let Some(first) = results.iter_mut().find(|r| r.file == file && !r.passed()) {
                let _ = writeln!(err, "shrinking the faults of {} seed {} ...", scenario.name, first.seed);
                first.shrunk_faults = Some(faults_yaml(&shrink(scenario, first.seed, &network)));
            }
        }
    }
    let sweep = SweepResults {
        format: RESULTS_FORMAT,
        seeds,
        jitter: String::from(args.jitter),
        scenarios: scenarios.iter().map(|(file, _)| file.display().to_string()).collect(),
        shards: vec![args.shard.unwrap_or(Shard { index: 1, count: 1 })],
        results,
    };
    if let Some(path) = &args.results {
        let text = serde_json::to_string_pretty(&sweep).unwrap_or_default();
        if let Err(e) = std::fs::write(path, text + "\n") {
            let _ = writeln!(err, "error: cannot write {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    if !write_reports(report, &sweep, err) {
        return ExitCode::from(2);
    }
    match format {
        RunFormat::Json => {
            let _ = writeln!(out, "{}", serde_json::to_string_pretty(&sweep).unwrap_or_default());
        }
        RunFormat::Human | RunFormat::Github => {
            print_results(&sweep, &scenarios, jobs, started.elapsed(), out);
            if format == RunFormat::Github {
                let _ = write!(out, "{}", crate::tools::report::github::sweep_annotations(&sweep.results));
            }
        }
    }
    if sweep.failed() > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// One line per scenario, every failing seed with its command, and a summary.
fn print_results(
    sweep: &SweepResults,
    scenarios: &[(PathBuf, Scenario)],
    jobs: usize,
    wall: Duration,
    out: &mut dyn Write,
) {
    for (file, scenario) in scenarios {
        let file = file.display().to_string();
        let mine: Vec<&SeedResult> = sweep.results.iter().filter(|r| r.file == file).collect();
        let failing: Vec<&&SeedResult> = mine.iter().filter(|r| !r.passed()).collect();
        let checked = match &scenario.invariants {
            Some(inv) => declared_fields(inv),
            None => "no invariants declared: only that the simulation stops without an error".into(),
        };
        let _ = if failing.is_empty() {
            writeln!(out, "ok      {}: {} seeds hold ({checked})", scenario.name, mine.len())
        } else {
            writeln!(out, "FAILED  {}: {} of {} seeds break ({checked})", scenario.name, failing.len(), mine.len())
        };
        for r in failing {
            let broken: Vec<String> = r.violations.iter().map(BrokenInvariant::to_string).collect();
            let _ = writeln!(out, "  seed {}: {}", r.seed, broken.join("; "));
            let _ = writeln!(out, "    reproduce: {}", r.reproduce);
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

/// A sweep's progress on stderr: a bar redrawn in place on a terminal, plain
/// lines at every tenth of the work otherwise (or with `CI` set).
struct Progress {
    total: usize,
    done: usize,
    failed: usize,
    interactive: bool,
    started: Instant,
    drawn: Option<Instant>,
}

impl Progress {
    fn new(total: usize, interactive: bool) -> Self {
        Progress { total, done: 0, failed: 0, interactive, started: Instant::now(), drawn: None }
    }

    fn advance(&mut self, passed: bool, err: &mut dyn Write) {
        self.done += 1;
        self.failed += usize::from(!passed);
        if self.interactive {
            if self.drawn.is_none_or(|t| t.elapsed() >= Duration::from_millis(100)) || self.done == self.total {
                self.drawn = Some(Instant::now());
                let width = 30;
                let filled = width * self.done / self.total.max(1);
                let _ = write!(
                    err,
                    "\r[{}{}] {}/{} seeds, {} failed, {:.0} seeds/s ",
                    "#".repeat(filled),
                    "-".repeat(width - filled),
                    self.done,
                    self.total,
                    self.failed,
                    self.done as f64 / self.started.elapsed().as_secs_f64().max(1e-9)
                );
                let _ = err.flush();
            }
        } else {
            let step = self.total.div_ceil(10).max(1);
            if self.done.is_multiple_of(step) || self.done == self.total {
                let _ = writeln!(err, "swept {}/{} seeds, {} failed", self.done, self.total, self.failed);
            }
        }
    }

    fn finish(&mut self, err: &mut dyn Write) {
        if self.interactive && self.total > 0 {
            let _ = writeln!(err);
        }
    }
}

/// The smallest fault schedule under which `seed` still breaks `scenario`'s
/// invariants on `network`: delta debugging over the entries (ddmin), then each
/// remaining entry's window narrowed (its start as late and its end as early
/// as still fails). Assumes the full schedule fails.
pub fn shrink(scenario: &Scenario, seed: u64, network: &Network) -> Vec<Fault> {
    let fails = |faults: &[Fault]| {
        let mut s = scenario.clone();
        s.faults = faults.to_vec();
        !check_seed(&s, seed, network).0.is_empty()
    };
    let mut faults = ddmin(scenario.faults.clone(), &fails);
    let tick = scenario.world.tick.0;
    let horizon = scenario.world.horizon.0;
    for i in 0..faults.len() {
        faults[i] = narrow_window(&faults, i, tick, horizon, &fails);
    }
    faults
}

/// Delta debugging (Zeller's ddmin) over a list whose full form fails: a
/// 1-minimal sublist that still fails (removing any one entry makes it pass).
fn ddmin<T: Clone>(mut items: Vec<T>, fails: &dyn Fn(&[T]) -> bool) -> Vec<T> {
    if fails(&[]) {
        return Vec::new();
    }
    let mut n = 2usize;
    while items.len() >= 2 {
        let chunk = items.len().div_ceil(n);
        let parts: Vec<Vec<T>> = items.chunks(chunk).map(<[T]>::to_vec).collect();
        if let Some(part) = parts.iter().find(|p| fails(p)) {
            items = part.clone();
            n = 2;
            continue;
        }
        let complement = |k: usize| -> Vec<T> {
            parts.iter().enumerate().filter(|(j, _)| *j != k).flat_map(|(_, p)| p.iter().cloned()).collect()
        };
        if let Some(rest) = (0..parts.len()).map(complement).find(|c| fails(c)) {
            items = rest;
            n = (n - 1).max(2);
            continue;
        }
        if n >= items.len() {
            break;
        }
        n = (2 * n).min(items.len());
    }
    items
}

/// Fault `i` of `faults` with its window `[at, until]` (or `[at, at +
/// restart_after]`) narrowed by bisection in whole ticks while the schedule
/// still fails. A fault with no end gets one when a bounded window still fails.
/// Works on any fault kind whose fields are named `at`, `until` or `restart_after`.
fn narrow_window(
    faults: &[Fault],
    i: usize,
    tick: Duration,
    horizon: Duration,
    fails: &dyn Fn(&[Fault]) -> bool,
) -> Fault {
    let Ok(serde_json::Value::Object(outer)) = serde_json::to_value(&faults[i]) else { return faults[i].clone() };
    let Some((kind, serde_json::Value::Object(fields))) = outer.into_iter().next() else { return faults[i].clone() };
    let duration =
        |key: &str| fields.get(key).and_then(|v| v.as_str()).and_then(|t| SimDuration::parse(t).ok()).map(|d| d.0);
    let Some(at) = duration("at") else { return faults[i].clone() };
    let end_key = if fields.contains_key("restart_after") || kind == "crash" {
        "restart_after"
    } else if fields.contains_key("lasts") {
        "lasts"
    } else {
        "until"
    };
    let relative = end_key != "until";
    let end = match (duration(end_key), relative) {
        (Some(d), true) => at + d,
        (Some(u), false) => u,
        (None, _) => horizon,
    };
    // Rebuild the fault with a window; None when the result is not a valid fault.
    let build = |start: Duration, stop: Option<Duration>| -> Option<Fault> {
        let mut f = fields.clone();
        f.insert("at".into(), serde_json::Value::String(String::from(SimDuration(start))));
        match stop {
            Some(s) => {
                let value = if relative { s.saturating_sub(start) } else { s };
                f.insert(end_key.into(), serde_json::Value::String(String::from(SimDuration(value))));
            }
            None => {
                f.remove(end_key);
            }
        }
        let mut wrapped = serde_json::Map::new();
        wrapped.insert(kind.clone(), serde_json::Value::Object(f));
        serde_json::from_value(serde_json::Value::Object(wrapped)).ok()
    };
    let mut schedule = faults.to_vec();
    let mut try_fault = |f: Option<Fault>| -> Option<Fault> {
        let f = f?;
        schedule[i] = f.clone();
        fails(&schedule).then_some(f)
    };
    let has_end = duration(end_key).is_some();
    let mut best = faults[i].clone();
    let mut stop = if has_end { Some(end) } else { None };
    // A bounded window ending at the horizon, if the fault had none.
    if !has_end {
        if let Some(f) = try_fault(build(at, Some(end))) {
            best = f;
            stop = Some(end);
        }
    }
    let bound = stop.unwrap_or(horizon);
    let ticks = |d: Duration| (d.as_nanos() / tick.as_nanos().max(1)) as u64;
    let at_tick = |t: u64| tick * t as u32;
    // The latest start that still fails: bisect over [at, bound).
    let (mut lo, mut hi) = (ticks(at), ticks(bound));
    while hi > lo + 1 {
        let mid = lo + (hi - lo) / 2;
        match try_fault(build(at_tick(mid), stop)) {
            Some(f) => {
                best = f;
                lo = mid;
            }
            None => hi = mid,
        }
    }
    let start = at_tick(lo);
    // The earliest end that still fails: bisect over (start, bound].
    if let Some(end) = stop {
        let (mut lo, mut hi) = (ticks(start), ticks(end));
        while hi > lo + 1 {
            let mid = lo + (hi - lo) / 2;
            match try_fault(build(start, Some(at_tick(mid)))) {
                Some(f) => {
                    best = f;
                    hi = mid;
                }
                None => lo = mid,
            }
        }
    }
    best
}

/// A fault schedule as the scenario format writes it.
pub fn faults_yaml(faults: &[Fault]) -> String {
    #[derive(Serialize)]
    struct Schedule<'a> {
        #[serde(with = "serde_yaml::with::singleton_map_recursive")]
        faults: &'a [Fault],
    }
    serde_yaml::to_string(&Schedule { faults }).unwrap_or_default()
}

/// Writes a sweep's reports into `dir` when one is given; `false` (said on `err`) if that failed.
fn write_reports(dir: Option<&Path>, sweep: &SweepResults, err: &mut dyn Write) -> bool {
    let Some(dir) = dir else { return true };
    match crate::tools::report::write_sweep_dir(dir, sweep) {
        Ok(_) => true,
        Err(e) => {
            let _ = writeln!(err, "error: cannot write the reports into {}: {e}", dir.display());
            false
        }
    }
}

/// `squadsim merge-reports`.
#[derive(clap::Args, Debug)]
pub struct MergeArgs {
    /// Sweep results files (`squadsim run --seeds N --shard I/N --results FILE`).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Write the merged results as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Write the merged reports into DIR: junit.xml (one testcase per scenario and seed) and summary.md.
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
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
    /// Shards of the sweep that no file gives.
    Missing { shards: Vec<Shard> },
    /// The files' results are not exactly the sweep's (scenario, seed) items.
    Results { missing: Vec<(String, u64)>, unexpected: Vec<(String, u64)> },
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
            MergeError::Missing { shards } => {
                let names: Vec<String> = shards.iter().map(Shard::to_string).collect();
                write!(f, "shards {} are missing: the sweep is incomplete", names.join(", "))
            }
            MergeError::Results { missing, unexpected } => {
                write!(f, "the results do not cover the sweep exactly")?;
                if !missing.is_empty() {
                    write!(f, "; missing: {}", list(missing))?;
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
/// files as given, then seeds). Refuses files of another format, shards
/// of different sweeps (seeds, jitter, scenario files, shard count), a shard
/// given twice, a missing shard, and results that are not exactly the sweep's
/// (scenario, seed) items.
pub fn merge(parts: Vec<(String, SweepResults)>) -> Result<SweepResults, MergeError> {
    let Some((first_file, first)) = parts.first().cloned() else { return Err(MergeError::Nothing) };
    let mut merged = SweepResults { shards: Vec::new(), results: Vec::new(), ..first.clone() };
    let mut shard_files: Vec<(Shard, String)> = Vec::new();
    for (file, part) in parts {
        if part.format != RESULTS_FORMAT {
            return Err(MergeError::Format { file, found: part.format });
        }
        let count = |p: &SweepResults| p.shards.first().map_or(0, |s| s.count);
        type Shown = fn(&SweepResults) -> String;
        let differs: [(&'static str, bool, Shown); 4] = [
            ("seed ranges", part.seeds != first.seeds, |p| format!("{}..={}", p.seeds.start(), p.seeds.end())),
            ("jitters", part.jitter != first.jitter, |p| p.jitter.clone()),
            ("scenario files", part.scenarios != first.scenarios, |p| p.scenarios.join(", ")),
            ("shard counts", count(&part) != count(&first), |p| {
                p.shards.first().map_or("none".into(), |s| s.count.to_string())
            }),
        ];
        if let Some((what, _, show)) = differs.into_iter().find(|(_, differs, _)| *differs) {
            return Err(MergeError::Mismatch {
                what,
                first: (first_file.clone(), show(&first)),
                other: (file.clone(), show(&part)),
            });
        }
        for shard in part.shards {
            if let Some((_, earlier)) = shard_files.iter().find(|(s, _)| *s == shard) {
                return Err(MergeError::Duplicate { shard, files: (earlier.clone(), file.clone()) });
            }
            shard_files.push((shard, file.clone()));
        }
        merged.results.extend(part.results);
    }
    merged.shards = shard_files.into_iter().map(|(s, _)| s).collect();
    merged.shards.sort_by_key(|s| (s.count, s.index));
    let count = merged.shards.first().map_or(1, |s| s.count);
    let missing: Vec<Shard> =
        (1..=count).map(|index| Shard { index, count }).filter(|s| !merged.shards.contains(s)).collect();
    if !missing.is_empty() {
        return Err(MergeError::Missing { shards: missing });
    }
    // The unsharded sweep's order: its scenario files as given, each file's seeds in turn.
    let position = |file: &str| merged.scenarios.iter().position(|s| s == file).unwrap_or(usize::MAX);
    merged.results.sort_by_key(|r| (position(&r.file), r.seed));
    let mut expected: Vec<(String, u64)> = items(merged.scenarios.len(), merged.seeds.clone(), None)
        .into_iter()
        .map(|item| (merged.scenarios[item.scenario].clone(), item.seed))
        .collect();
    expected.sort();
    let mut given: Vec<(String, u64)> = merged.results.iter().map(|r| (r.file.clone(), r.seed)).collect();
    given.sort();
    if given != expected {
        let missing = expected.iter().filter(|k| given.binary_search(k).is_err()).cloned().collect();
        let mut unexpected: Vec<(String, u64)> =
            given.iter().filter(|k| expected.binary_search(k).is_err()).cloned().collect();
        unexpected.extend(given.windows(2).filter(|w| w[0] == w[1]).map(|w| w[0].clone()));
        return Err(MergeError::Results { missing, unexpected });
    }
    Ok(merged)
}

/// `squadsim merge-reports FILE...`: exit 0 every seed of the whole sweep passed,
/// 1 some failed, 2 a file could not be read, the files do not belong together,
/// or a shard (or any (scenario, seed) of the sweep) is missing.
pub fn merge_reports(args: &MergeArgs, out: &mut dyn Write, err: &mut dyn Write) -> ExitCode {
    let mut parts = Vec::new();
    for file in &args.files {
        let parsed = std::fs::read_to_string(file)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str::<SweepResults>(&t).map_err(|e| e.to_string()));
        match parsed {
            Ok(p) => parts.push((file.display().to_string(), p)),
            Err(e) => {
                let _ = writeln!(err, "error: {}: {e}", file.display());
                return ExitCode::from(2);
            }
        }
    }
    let merged = match merge(parts) {
        Ok(m) => m,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(path) = &args.out {
        if let Err(e) = std::fs::write(path, serde_json::to_string_pretty(&merged).unwrap_or_default() + "\n") {
            let _ = writeln!(err, "error: cannot write {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    if !write_reports(args.report.as_deref(), &merged, err) {
        return ExitCode::from(2);
    }
    for r in merged.results.iter().filter(|r| !r.passed()) {
        let broken: Vec<String> = r.violations.iter().map(BrokenInvariant::to_string).collect();
        let _ = writeln!(out, "FAILED  {} seed {}: {}", r.scenario, r.seed, broken.join("; "));
        let _ = writeln!(out, "    reproduce: {}", r.reproduce);
    }
    let shards: Vec<String> = merged.shards.iter().map(Shard::to_string).collect();
    let _ = writeln!(
        out,
        "{} seeds: {} passed, {} failed (shards {})",
        merged.results.len(),
        merged.results.len() - merged.failed(),
        merged.failed(),
        shards.join(", ")
    );
    if merged.failed() > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_ranges_read_like_rust_ranges() {
        assert_eq!(parse_seed_range("3..6").unwrap(), 3..=5);
        assert_eq!(parse_seed_range("3..=6").unwrap(), 3..=6);
        assert_eq!(parse_seed_range("17..=17").unwrap(), 17..=17);
        assert!(parse_seed_range("5..5").unwrap_err().contains("holds no seed"));
        assert!(parse_seed_range("6..=5").is_err());
        assert!(parse_seed_range("five").unwrap_err().contains("expected A..B"));
    }

    #[test]
    fn shards_split_round_robin_and_cover_everything_once() {
        assert!(parse_shard("0/3").is_err());
        assert!(parse_shard("4/3").is_err());
        assert!(parse_shard("2-3").is_err());
        let shards: Vec<Shard> = (1..=3).map(|i| parse_shard(&format!("{i}/3")).unwrap()).collect();
        for position in 0..20 {
            assert_eq!(shards.iter().filter(|s| s.holds(position)).count(), 1);
        }
        assert!(shards[0].holds(0) && shards[1].holds(1) && shards[2].holds(2) && shards[0].holds(3));
    }

    #[test]
    fn ddmin_finds_the_one_entry_that_matters() {
        let items: Vec<u32> = (0..13).collect();
        assert_eq!(ddmin(items.clone(), &|s: &[u32]| s.contains(&7)), vec![7]);
        assert_eq!(ddmin(items.clone(), &|s: &[u32]| s.contains(&2) && s.contains(&11)), vec![2, 11]);
        assert_eq!(ddmin(items, &|_: &[u32]| true), Vec::<u32>::new(), "fails with nothing: empty");
    }

    fn partition(at: u64, until: Option<u64>) -> Fault {
        Fault::Partition {
            between: ["studio".into(), "daytona".into()],
            at: Some(SimDuration::secs(at)),
            on: None,
            until: until.map(SimDuration::secs),
            lasts: None,
        }
    }

    #[test]
    fn a_window_narrows_to_the_ticks_that_fail() {
        // Fails while the partition covers [40s, 50s].
        let fails = |f: &[Fault]| match f.first() {
            Some(Fault::Partition { at: Some(at), until, .. }) => {
                at.0 <= Duration::from_secs(40) && until.is_none_or(|u| u.0 >= Duration::from_secs(50))
            }
            _ => false,
        };
        let tick = Duration::from_secs(1);
        let horizon = Duration::from_secs(600);
        assert_eq!(narrow_window(&[partition(10, Some(300))], 0, tick, horizon, &fails), partition(40, Some(50)));
        assert_eq!(narrow_window(&[partition(0, None)], 0, tick, horizon, &fails), partition(40, Some(50)));
        let crash = |at: u64, after: u64| Fault::Crash {
            host: "agent-server".into(),
            at: Some(SimDuration::secs(at)),
            on: None,
            restart_after: Some(SimDuration::secs(after)),
        };
        let crash_fails = |f: &[Fault]| match f.first() {
            Some(Fault::Crash { at: Some(at), restart_after: Some(r), .. }) => {
                at.0 <= Duration::from_secs(20) && at.0 + r.0 >= Duration::from_secs(30)
            }
            _ => false,
        };
        assert_eq!(narrow_window(&[crash(5, 100)], 0, tick, horizon, &crash_fails), crash(20, 10));
    }

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
            scenarios: files.iter().map(|f| f.to_string()).collect(),
            shards: vec![shard],
            results,
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
        let (file, mut other) = shard(2, 2);
        other.jitter = "1s".into();
        let e = merge(vec![shard(1, 2), (file.clone(), other)]).unwrap_err();
        assert!(e.to_string().contains("different jitters (shard-1.json: 500ms; shard-2.json: 1s)"), "{e}");
        let (_, mut other) = shard(2, 2);
        other.seeds = 1..=3;
        let e = merge(vec![shard(1, 2), (file.clone(), other)]).unwrap_err();
        assert!(e.to_string().contains("different seed ranges (shard-1.json: 1..=2; shard-2.json: 1..=3)"), "{e}");
        let (_, mut other) = shard(2, 2);
        other.scenarios.pop();
        let e = merge(vec![shard(1, 2), (file.clone(), other)]).unwrap_err();
        assert!(e.to_string().contains("different scenario files"), "{e}");
        let (_, mut old) = shard(2, 2);
        old.format = 0;
        let e = merge(vec![shard(1, 2), (file.clone(), old)]).unwrap_err();
        assert!(e.to_string().contains("written by an older squadsim"), "{e}");
        let (_, mut truncated) = shard(2, 2);
        truncated.results.pop();
        let e = merge(vec![shard(1, 2), (file, truncated)]).unwrap_err();
        assert_eq!(e.to_string(), "the results do not cover the sweep exactly; missing: b.yaml seed 2");
    }

    #[test]
    fn a_shrunk_schedule_is_written_in_the_scenario_format() {
        let yaml = faults_yaml(&[partition(40, Some(50))]);
        assert!(yaml.contains("- partition:") && yaml.contains("until: 50s"), "{yaml}");
    }
}
