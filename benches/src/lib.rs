//! The workloads the benchmarks and the `scale` example measure, built from the
//! scenario corpus so that what is timed is what users run.
//!
//! Guarantees: every workload is a corpus scenario with one knob turned
//! (implementer lanes, runs launched at once, tick); nothing else differs.

use std::path::{Path, PathBuf};
use std::time::Duration;

use squadsim::scenario::{AgentBehaviour, SimDuration, Step};
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
    // The planner hands each lane on in its own turn: more lanes, more simulated
    // time before the roster settles (about 6 s a lane), so the operator watches longer.
    let patience = Duration::from_secs(1800 + 10 * u64::from(lanes));
    s.world.horizon = SimDuration(patience * 2);
    for step in &mut s.steps {
        if let Step::Watch(watch) = step {
            watch.timeout = SimDuration(patience);
        }
    }
    s
}

/// One run of `full-delivery` with `agents` agents in all (at least 6), the
/// planner thinking 200 ms a turn on a 20 ms tick. With the defaults (2 s a
/// turn, 100 ms tick) a handoff takes about 3.2 s, and a planner handing on
/// more than ~370 lanes outlives its 20-minute gateway token: the rest of its
/// handoffs get 401s and those lanes never join (the model working as the
/// platform would, not a scale limit of the simulator).
pub fn delivery_with_agents(agents: u32) -> Scenario {
    let mut s = with_tick(delivery_with_lanes(agents.saturating_sub(5).max(1)), Duration::from_millis(20));
    s.agents.insert(
        "planner".into(),
        AgentBehaviour { think: Some(SimDuration(Duration::from_millis(200))), ..AgentBehaviour::default() },
    );
    s.name = format!("full-delivery, {agents} agents");
    s
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
