//! A seed sweep's results: what `--results` writes, `merge-reports` reads and
//! the sweep's reports are written from.

use std::ops::RangeInclusive;

use serde::{Deserialize, Serialize};

use crate::engine::invariants::BrokenInvariant;

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
    /// With `--swarm`, on a failing seed: the fault mix it drew (scenario YAML).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drawn_faults: Option<String>,
    /// The coverage probes the run reached, with how often (`blocker:<code>`, ...).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub probes: std::collections::BTreeMap<String, u64>,
    /// The simulated times the run's blockers appeared at (`66.3s`), in time order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blockers_at: Vec<String>,
}

impl SeedResult {
    pub fn passed(&self) -> bool {
        self.violations.is_empty()
    }
}

/// The results file format `--results` writes and `merge-reports` reads.
pub const RESULTS_FORMAT: u32 = 2;

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
