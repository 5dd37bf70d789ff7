//! The workloads the benchmarks and the `scale` example measure, built from the
//! scenario corpus so that what is timed is what users run.
//!
//! Guarantees: every workload is a corpus scenario with its scale knob turned
//! (implementer lanes, runs launched at once, tick) and, where it says so, the
//! model's parallel tool use and GitHub's rate limit; nothing else differs.

use std::path::{Path, PathBuf};
use std::time::Duration;

use squadsim::scenario::{SimDuration, Step};
use squadsim::Scenario;

/// The allocator the `squadsim` binary uses, so benchmarks time what users run.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The scenario corpus directory.
pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios")
}

/// A corpus scenario by file stem, e.g. `full-delivery`.
pub fn corpus(name: &str) -> Scenario {
    let file = corpus_dir().join(format!("{name}.yaml"));
    Scenario::load(&file).unwrap_or_else(|e| panic!("{e}"))
}

/// The roles whose work fans out over every lane: the planner hands each lane on,
/// the tester verifies, the committer decides and the closer publishes lineage per
/// delivery reference.
pub const FAN_OUT_ROLES: [&str; 4] = ["planner", "tester", "committer", "closer"];

/// `full-delivery` with `lanes` implementer lanes: `lanes + 5` agents (planner,
/// curator, the lanes, tester, committer, closer) in one run. The fan-out roles
/// use parallel tool use: each step of their work over all the lanes is one model
/// turn (`parallel_tool_calls: lanes`), as a model makes independent tool calls in
/// one turn, so the lanes work side by side and simulated time barely grows with them.
pub fn delivery_with_lanes(lanes: u32) -> Scenario {
    let mut s = delivery_with_lanes_one_call_a_turn(lanes);
    for role in FAN_OUT_ROLES {
        s.agents.entry(role.into()).or_default().parallel_tool_calls = Some(lanes.max(1));
    }
    s
}

/// `full-delivery` with `lanes` implementer lanes and the corpus scenario's model,
/// one tool call a turn: every fan-out role spends a turn per lane, so simulated
/// time grows by about 19 s a lane (2,048 s at 100 lanes) and wall time with it.
pub fn delivery_with_lanes_one_call_a_turn(lanes: u32) -> Scenario {
    let mut s = corpus("full-delivery");
    s.world.implementer_lanes = lanes;
    s.name = format!("full-delivery, {lanes} lanes");
    if let Some(inv) = &mut s.invariants {
        inv.run.sessions = Some(lanes as usize + 5);
    }
    // More lanes, more simulated time before the roster settles with one call a
    // turn (about 19 s a lane), so the operator watches longer.
    let patience = Duration::from_secs(1800 + 30 * u64::from(lanes));
    s.world.horizon = SimDuration(patience * 2);
    for step in &mut s.steps {
        if let Step::Watch(watch) = step {
            watch.timeout = SimDuration(patience);
        }
    }
    s
}

/// One run of `full-delivery` with `agents` agents in all (at least 6):
/// [`delivery_with_lanes`] with `agents - 5` lanes, on an installation with GitHub
/// Enterprise Cloud's rate limit (15,000 requests an hour). A lane costs about a
/// dozen GitHub requests, so 1,000 agents go over the default 5,000 and GitHub's
/// 403s block the delivery (the platform behaving as it would).
pub fn delivery_with_agents(agents: u32) -> Scenario {
    let mut s = delivery_with_lanes(agents.saturating_sub(5).max(1));
    s.world.github.rate_limit = Some(15_000);
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
