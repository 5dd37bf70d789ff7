//! The workloads the benchmarks and the `scale` example measure, built from the
//! scenario corpus so that what is timed is what users run.
//!
//! Guarantees: every workload is a corpus scenario with one knob turned
//! (implementer lanes, runs launched at once, tick); nothing else differs.

use std::path::{Path, PathBuf};
use std::time::Duration;

use squadsim::scenario::{SimDuration, Step};
use squadsim::Scenario;

/// The scenario corpus directory.
pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios")
}

/// A corpus scenario by file stem, e.g. `full-delivery`.
pub fn corpus(name: &str) -> Scenario {
    let file = corpus_dir().join(format!("{name}.yaml"));
    Scenario::load(&file).unwrap_or_else(|e| panic!("{e}"))
}

/// `full-delivery` with `lanes` implementer lanes: `lanes + 5` agents (planner,
/// curator, the lanes, tester, committer, closer) in one run.
pub fn delivery_with_lanes(lanes: u32) -> Scenario {
    let mut s = corpus("full-delivery");
    s.world.implementer_lanes = lanes;
    s.name = format!("full-delivery, {lanes} lanes");
    if let Some(inv) = &mut s.invariants {
        inv.sessions = Some(lanes as usize + 5);
    }
    // More agents, more simulated time before the roster settles.
    s.world.horizon = SimDuration(Duration::from_secs(4 * 3600));
    s
}

/// One run of `full-delivery` with `agents` agents in all (at least 6).
pub fn delivery_with_agents(agents: u32) -> Scenario {
    delivery_with_lanes(agents.saturating_sub(5).max(1))
}

/// `happy-intake` with its launch step starting `runs` runs at once in one world.
pub fn concurrent_intake_runs(runs: u32) -> Scenario {
    let mut s = corpus("happy-intake");
    for step in &mut s.steps {
        if let Step::Launch(launch) = step {
            launch.count = runs;
        }
    }
    s.name = format!("happy-intake, {runs} runs at once");
    s
}

/// `scenario` with a different tick.
pub fn with_tick(mut scenario: Scenario, tick: Duration) -> Scenario {
    scenario.world.tick = SimDuration(tick);
    scenario
}

/// Simulated seconds of an outcome's `simulated` label (`122.1s`).
pub fn simulated_seconds(label: &str) -> f64 {
    label.trim_end_matches('s').parse().unwrap_or(0.0)
}

/// This process's peak resident memory in KiB (`VmHWM`), where Linux reports it.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
