//! Running a sweep: each (scenario, seed) on its own simulation, spread over
//! threads, results kept in list order.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::plan::Item;
use crate::base::clock::seconds_label;
use crate::engine::invariants::BrokenInvariant;
use crate::engine::run_record::MarkKind;
use crate::engine::world::{self, Network, RunOptions};
use crate::engine::{liveness, outcome};
use crate::scenario::{Invariants, Scenario, SimDuration};
use crate::tools::report::sweep::SeedResult;
use crate::tools::report::{ScenarioResult, Verdict};

/// The invariants a sweep checks for `scenario`: its declared ones, or (none
/// declared) only that the simulation stops without an error.
fn invariants_of(scenario: &Scenario) -> Invariants {
    scenario.invariants.clone().unwrap_or_default()
}

/// Runs `scenario` under `seed` on `network` and checks its invariants. A seed
/// whose run did not reach its end (its world not built, the horizon passed, a
/// panic in the simulation) breaks them whatever they declare (field `error`).
/// Also returns the outcome's simulated time, the wall time, the coverage probes
/// the run reached, and the simulated times its blockers appeared at (in time order).
pub fn check_seed(
    scenario: &Scenario,
    seed: u64,
    network: &Network,
) -> (Vec<BrokenInvariant>, String, Duration, BTreeMap<String, u64>, Vec<String>) {
    let mut s = scenario.clone();
    s.seed = seed;
    let started = Instant::now();
    let options = RunOptions { network: *network, record: true, ..RunOptions::default() };
    let ran = world::catch_panic(|| {
        let run = world::run(&s, options);
        (run.outcome, run.record, run.quiet_since, run.probes)
    });
    let (outcome, record, quiet_since, probes) =
        ran.unwrap_or_else(|e| (outcome::nothing_ran(&s, e), None, None, BTreeMap::new()));
    let wall = started.elapsed();
    let mut broken = invariants_of(scenario).check(&outcome);
    // Liveness is judged of a run that reached its end (one that did not already breaks `error`).
    if let (None, Some(record)) = (&outcome.error, &record) {
        broken.extend(liveness::check(&outcome, record, quiet_since, liveness::bound(scenario)));
    }
    let blockers = record
        .iter()
        .flat_map(|r| &r.marks)
        .filter(|m| m.kind == MarkKind::Blocker)
        .map(|m| seconds_label(m.at))
        .collect();
    (broken, outcome.simulated, wall, probes, blockers)
}

/// Runs one seed of a sweep again, recorded, for its HTML run report: the
/// scenario as the sweep checked it (`swarm`: with the seed's drawn fault mix).
pub(crate) fn rerun(
    file: &Path,
    scenario: &Scenario,
    seed: u64,
    network: &Network,
    swarm: bool,
    why: &str,
) -> ScenarioResult {
    let mut s = if swarm { super::swarm::swarmed(scenario, seed) } else { scenario.clone() };
    s.seed = seed;
    let options = RunOptions { network: *network, record: true, ..RunOptions::default() };
    let (outcome, record) = world::catch_panic(|| {
        let run = world::run(&s, options);
        (run.outcome, run.record)
    })
    .unwrap_or_else(|e| (outcome::nothing_ran(&s, e), None));
    let verdict = Verdict::Failed { message: format!("seed {seed} breaks its invariants"), detail: why.to_string() };
    ScenarioResult { file: file.to_path_buf(), outcome, verdict, record }
}

/// The command that reruns one seed of a sweep.
fn reproduce(file: &Path, seed: u64, jitter: SimDuration, swarm: bool) -> String {
    let swarm = if swarm { " --swarm" } else { "" };
    format!("squadsim run {} --seed-range {seed}..={seed} --jitter {}{swarm}", file.display(), String::from(jitter))
}

/// Checks every item on `jobs` threads, each running its own simulations;
/// `on_result` sees each result as it finishes. Returns the results in `items` order.
pub fn sweep(
    scenarios: &[(PathBuf, Scenario)],
    items: &[Item],
    jobs: usize,
    jitter: SimDuration,
    swarm: bool,
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
                let drawn = swarm.then(|| super::swarm::swarmed(scenario, item.seed));
                let checked = drawn.as_ref().unwrap_or(scenario);
                let (violations, simulated, wall, probes, blockers_at) = check_seed(checked, item.seed, network);
                let drawn_faults = drawn.filter(|_| !violations.is_empty()).map(|d| super::faults_yaml(&d.faults));
                let result = SeedResult {
                    scenario: scenario.name.clone(),
                    file: file.display().to_string(),
                    seed: item.seed,
                    violations,
                    simulated,
                    wall_ms: wall.as_secs_f64() * 1000.0,
                    reproduce: reproduce(file, item.seed, jitter, swarm),
                    shrunk_faults: None,
                    drawn_faults,
                    probes,
                    blockers_at,
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
