//! Swarm testing (TigerBeetle VOPR's swarm options): with `--swarm` each seed
//! draws its own fault mix instead of the scenario's faults: which kinds of
//! fault are on at all, how many faults, which hosts and links they hit, when
//! they begin and how long they last, from every host of the scenario's world
//! (the operator's client excepted).
//!
//! A drawn mix replaces the scenario's faults, so the invariants the scenario
//! declares (which pin its own faults' outcome) are not checked; the built-in
//! ones, reaching the end and liveness are.
//!
//! Guarantees: the mix is a function of the scenario's hosts and the seed only
//! (same seed, same mix, in any process); every fault drawn ends (a window or a
//! restart), so liveness is judged; every host drawn is one the loader accepts.

use std::time::Duration;

use crate::base::topology::Host;
use crate::scenario::{Fault, Scenario, SimDuration};

/// The most faults one seed draws.
pub(crate) const MAX_DRAWN: u64 = 3;
/// Drawn faults begin within this long of the start.
const LATEST_START_SECS: u64 = 30;
/// And last at most this long.
const LONGEST_SECS: u64 = 30;

/// SplitMix64: small, seeded, the same on every platform.
struct Draw(u64);

impl Draw {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `low..=high`.
    fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.next() % (high - low + 1)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.next() as usize % items.len()]
    }
}

/// The kinds of fault a swarm draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Partition,
    Latency,
    Crash,
}

/// The fault mix seed `seed` draws for `scenario`'s world.
pub(crate) fn draw(scenario: &Scenario, seed: u64) -> Vec<Fault> {
    let hosts: Vec<String> =
        scenario.hosts().into_iter().filter(|h| *h != Host::Operator).map(|h| h.name().to_string()).collect();
    let mut d = Draw(seed ^ 0x5357_4152_4d00_0000);
    // Each kind is switched on with even odds; at least one stays on.
    let all = [Kind::Partition, Kind::Latency, Kind::Crash];
    let mut on: Vec<Kind> = all.iter().copied().filter(|_| d.next().is_multiple_of(2)).collect();
    if on.is_empty() {
        on.push(*d.pick(&all));
    }
    let count = d.between(1, MAX_DRAWN);
    (0..count)
        .map(|_| {
            let at = Some(SimDuration(Duration::from_secs(d.between(0, LATEST_START_SECS))));
            let lasts = Some(SimDuration(Duration::from_secs(d.between(1, LONGEST_SECS))));
            let a = d.pick(&hosts).clone();
            let b = loop {
                let b = d.pick(&hosts);
                if *b != a || hosts.len() < 2 {
                    break b.clone();
                }
            };
            match d.pick(&on) {
                Kind::Partition => Fault::Partition { between: [a, b], at, on: None, run: None, until: None, lasts },
                Kind::Latency => {
                    let extra = SimDuration(Duration::from_millis(d.between(1, 20) * 100));
                    Fault::Latency { between: [a, b], extra, at, on: None, run: None, until: None, lasts }
                }
                Kind::Crash => Fault::Crash { host: a, at, on: None, run: None, restart_after: lasts },
            }
        })
        .collect()
}

/// `scenario` as seed `seed` of a swarm runs it: its faults replaced by the drawn mix, its declared invariants off.
pub(crate) fn swarmed(scenario: &Scenario, seed: u64) -> Scenario {
    let mut s = scenario.clone();
    s.faults = draw(scenario, seed);
    s.invariants = scenario
        .invariants
        .as_ref()
        .map(|i| crate::scenario::Invariants { converges_within: i.converges_within, ..Default::default() });
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn scenario() -> Scenario {
        Scenario::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/happy-intake.yaml")).unwrap()
    }

    #[test]
    fn a_seed_draws_the_same_mix_every_time_and_seeds_draw_different_mixes() {
        let s = scenario();
        assert_eq!(draw(&s, 7), draw(&s, 7));
        let mixes: std::collections::BTreeSet<String> =
            (1..=20).map(|seed| super::super::faults_yaml(&draw(&s, seed))).collect();
        assert!(mixes.len() > 15, "20 seeds drew only {} mixes", mixes.len());
    }

    #[test]
    fn every_drawn_fault_ends_names_hosts_of_the_world_and_the_swarmed_scenario_loads_as_valid() {
        let s = scenario();
        let hosts: Vec<&str> = s.hosts().into_iter().map(Host::name).collect();
        for seed in 1..=200 {
            let faults = draw(&s, seed);
            assert!((1..=MAX_DRAWN as usize).contains(&faults.len()));
            for f in &faults {
                let w = f.window();
                let ends = w.lasts.is_some() || matches!(f, Fault::Crash { restart_after: Some(_), .. });
                assert!(ends, "seed {seed}: {f:?} never ends");
                let named = match f {
                    Fault::Partition { between, .. } | Fault::Latency { between, .. } => between.to_vec(),
                    Fault::Crash { host, .. } => vec![host.clone()],
                    other => panic!("not drawn: {other:?}"),
                };
                assert!(named.iter().all(|h| hosts.contains(&h.as_str()) && h != "operator"), "{f:?}");
            }
            if seed > 30 {
                continue;
            }
            let text = serde_yaml::to_string(&swarmed(&s, seed)).unwrap();
            let dir = std::env::temp_dir().join(format!("squadsim-swarm-{}-{seed}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let file = dir.join("s.yaml");
            std::fs::write(&file, text).unwrap();
            let loaded = Scenario::load(&file);
            let _ = std::fs::remove_dir_all(&dir);
            assert!(loaded.is_ok(), "seed {seed}: {:?}", loaded.err());
        }
    }
}
