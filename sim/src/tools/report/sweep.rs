//! A seed sweep's results: what `--results` writes, `merge-reports` reads and
//! the sweep's reports are written from.

use std::collections::BTreeMap;
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
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub probes: BTreeMap<String, u64>,
    /// The simulated times the run's blockers appeared at (`66.3s`), in time order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blockers_at: Vec<String>,
}

impl SeedResult {
    pub fn passed(&self) -> bool {
        self.violations.is_empty()
    }
}

/// The results file format `--results` writes and `merge-reports` reads
/// (3: the scenarios' `sometimes:` and the coverage, so a merge judges `sometimes:`;
/// 4: whether the sweep was a swarm, so a swarm shard is never merged with a plain one;
/// 5: the inputs not checked, so a merge and its reports still say them, and each scenario
/// file's digest, so shards that read different contents are never merged).
pub const RESULTS_FORMAT: u32 = 5;

/// One scenario file's `sometimes:` probes: the ones it declares (in
/// [`SweepResults::sometimes`]), or the ones no seed reached (in [`Coverage::sometimes_unreached`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sometimes {
    pub scenario: String,
    /// The scenario file, as given on the command line.
    pub file: String,
    pub probes: Vec<String>,
}

/// How often the sweep's seeds reached one probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeTally {
    /// Seeds that reached it at least once.
    pub seeds: u64,
    /// Times it was reached, over every seed.
    pub hits: u64,
}

/// A sweep's coverage, computed from its results: written in the results file
/// and every report, recomputed by a merge from the merged results.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverage {
    /// The catalogue's size (`squadsim::scenario::sometimes::probes`).
    pub catalogue: usize,
    /// Each probe some seed reached, in name order.
    pub reached: BTreeMap<String, ProbeTally>,
    /// The catalogue's probes no seed reached, in catalogue order.
    pub never_reached: Vec<String>,
    /// Each scenario's `sometimes:` probes no seed reached (scenarios with none left out);
    /// `None` on one shard of several, which holds only some seeds: the merge judges them.
    pub sometimes_unreached: Option<Vec<Sometimes>>,
}

impl Coverage {
    /// Catalogue probes some seed reached.
    pub fn catalogue_reached(&self) -> usize {
        self.catalogue - self.never_reached.len()
    }
}

/// A sweep's (or a shard's) results: the input and output of `merge-reports`.
/// It says what was swept (seeds, jitter, swarm or not, scenario files, shards), so shards
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
    /// `--swarm`: each seed drew its own fault mix (read as `false` from a file of
    /// an older format, which the merge then refuses by its format).
    #[serde(default)]
    pub swarm: bool,
    /// The scenario files swept, as given on the command line, in order.
    pub scenarios: Vec<String>,
    /// Each scenario file's SHA-256 (of the bytes the sweep read), in `scenarios`' order:
    /// shards that read different contents under the same names are not one sweep.
    #[serde(default)]
    pub digests: Vec<String>,
    /// The shards these results cover (all of them after a merge).
    pub shards: Vec<Shard>,
    /// The `sometimes:` each scenario file declares, in the files' order (files declaring none left out).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sometimes: Vec<Sometimes>,
    /// In the sweep's order: the scenario files as given, then seeds.
    pub results: Vec<SeedResult>,
    /// What the results reached (see [`Coverage`]).
    #[serde(default)]
    pub coverage: Coverage,
    /// Inputs the sweep did not run (a directory holding scenarios is not searched):
    /// warnings in every output and report, never a clean sweep's silence.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_checked: Vec<super::Unchecked>,
}

impl SweepResults {
    pub fn failed(&self) -> usize {
        self.results.iter().filter(|r| !r.passed()).count()
    }

    /// Scenarios with a `sometimes:` probe no seed reached (0 when not judged, on a shard).
    pub fn sometimes_failed(&self) -> usize {
        self.coverage.sometimes_unreached.as_ref().map_or(0, Vec::len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_reached_is_the_catalogue_less_its_never_reached() {
        let never_reached = ["blocker:a", "wall_fired:b", "run_status:ready"].map(String::from).to_vec();
        let coverage = Coverage { catalogue: 104, never_reached, ..Coverage::default() };
        assert_eq!(coverage.catalogue_reached(), 101);
        assert_eq!(Coverage { catalogue: 104, ..Coverage::default() }.catalogue_reached(), 104, "none unreached");
    }
}
