//! A swarm's drawn fault mixes (crashes on a host's first call, partitions,
//! loss, latency, service faults) run the same leaping over idle ticks as
//! stepping each: a sweep leaps (`RunOptions::leap_idle`, the default).

use std::path::Path;
use std::time::Duration;

use crate::engine::world::{self, Network, Run, RunOptions};
use crate::scenario::Scenario;

fn run(scenario: &Scenario, leap_idle: bool) -> Run {
    let network = Network::jittered(Duration::from_millis(500));
    world::run(scenario, RunOptions { network, record: true, leap_idle, ..RunOptions::default() })
}

#[test]
fn every_corpus_scenario_under_a_drawn_fault_mix_runs_the_same_leaping_as_stepping_each_tick() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() > 40, "the corpus is there");
    let seed = std::env::var("SWARM_LEAP_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(3);
    for file in &files {
        let scenario = super::swarm::swarmed(&Scenario::load(file).unwrap(), seed);
        let (every, leaping) = (run(&scenario, false), run(&scenario, true));
        let name = file.file_name().unwrap().to_string_lossy();
        assert_eq!(every.outcome, leaping.outcome, "{name} (swarm seed {seed}): the outcome");
        assert!(every.record == leaping.record, "{name} (swarm seed {seed}): the run record");
        assert_eq!(every.probes, leaping.probes, "{name} (swarm seed {seed}): the coverage probes");
    }
}
