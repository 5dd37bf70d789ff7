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

/// The allocator the `squadsim` binary uses (mimalloc, built with `no_thp`), so
/// benchmarks time and measure what users run; each benchmark and the `scale`
/// example set it as the binary does (`squadsim::tools::allocator::keep_freed_pages`).
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

/// GitHub REST requests one implementer lane of [`delivery_with_lanes`] costs, all
/// made with the CodexGate App's one installation token (the Studio caches it and
/// hands it to every execution workspace, so every lane of a run draws on one
/// rate-limit window): pushing the lane branch, opening its pull request, the
/// delivery wall's reads, the tester's evidence comment, the committer's merge.
/// 20 lanes spend 280 (the `a_lane_costs_what_the_bench_budgets` test pins it).
pub const GITHUB_REQUESTS_A_LANE: u64 = 14;

/// GitHub's primary rate limit for an App installation on a GitHub Enterprise
/// Cloud organization, 15,000 requests an hour: the most GitHub grants one
/// installation.
pub const GITHUB_ENTERPRISE_CLOUD_RATE_LIMIT: u64 = 15_000;

/// One run of `full-delivery` with `agents` agents in all (at least 6):
/// [`delivery_with_lanes`] with `agents - 5` lanes, on an installation whose
/// GitHub rate limit carries them: twice [`GITHUB_REQUESTS_A_LANE`] a lane, and
/// never under [`GITHUB_ENTERPRISE_CLOUD_RATE_LIMIT`]. Past 1,071 lanes (1,076
/// agents) that is more than GitHub grants one installation: the scale figures
/// measure what the simulator costs for a whole delivery of that size, not a
/// configuration a platform can have. At GitHub's real ceiling such a run ends
/// blocked, as the platform would: [`delivery_with_agents_on_one_installation`].
pub fn delivery_with_agents(agents: u32) -> Scenario {
    let lanes = u64::from(agents.saturating_sub(5).max(1));
    delivery_with_agents_under(agents, (2 * GITHUB_REQUESTS_A_LANE * lanes).max(GITHUB_ENTERPRISE_CLOUD_RATE_LIMIT))
}

/// [`delivery_with_agents`] at GitHub's real ceiling for one installation,
/// [`GITHUB_ENTERPRISE_CLOUD_RATE_LIMIT`]. Up to 1,071 lanes the run completes;
/// past that GitHub answers 403 `API rate limit exceeded` before the last lanes
/// are through, and the run ends blocked (`github_issue_or_pr_link_missing` when
/// the window runs out while the implementers open their pull requests, from
/// about 2,500 lanes; `delivery_reference_unreadable` and
/// `evidence_attachment_required` when it runs out later), without the tester,
/// committer and closer, whom no delivered lane was handed to.
pub fn delivery_with_agents_on_one_installation(agents: u32) -> Scenario {
    delivery_with_agents_under(agents, GITHUB_ENTERPRISE_CLOUD_RATE_LIMIT)
}

/// [`delivery_with_lanes`] with `agents - 5` lanes and GitHub's rate limit at `requests_an_hour`.
fn delivery_with_agents_under(agents: u32, requests_an_hour: u64) -> Scenario {
    let mut s = delivery_with_lanes(agents.saturating_sub(5).max(1));
    s.world.github.rate_limit = Some(requests_an_hour);
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

#[cfg(test)]
mod tests {
    use super::*;
    use squadsim::engine::outcome::Outcome;
    use squadsim::engine::world::{self, RunOptions};

    fn run(scenario: &Scenario) -> Outcome {
        world::run(scenario, RunOptions::default()).outcome
    }

    /// What the scenario declares for every seed (run completed, no blocker, every agent
    /// in the roster) and this run broke.
    fn broken(scenario: &Scenario, outcome: &Outcome) -> Vec<String> {
        let invariants = scenario.invariants.as_ref().expect("full-delivery declares its invariants");
        invariants.check(outcome).iter().map(|b| format!("{b:?}")).collect()
    }

    #[test]
    fn a_lane_costs_what_the_bench_budgets() {
        let lanes = 20;
        let budget = GITHUB_REQUESTS_A_LANE * lanes;
        let exact = delivery_with_agents_under(lanes as u32 + 5, budget);
        assert_eq!(broken(&exact, &run(&exact)), Vec::<String>::new(), "{lanes} lanes delivered within {budget}");
        let short = delivery_with_agents_under(lanes as u32 + 5, budget - 10);
        let o = run(&short);
        assert_eq!(
            o.run.as_ref().map(|r| r.status.as_str()),
            Some("blocked"),
            "{lanes} lanes need more than {}",
            budget - 10
        );
    }

    #[test]
    fn lanes_past_the_installations_rate_limit_end_blocked_as_the_platform_would() {
        // 20 lanes on an installation granted 100 requests an hour: the window runs out
        // while the implementers open their pull requests (5,000 agents at 15,000 an hour
        // and 10,000 agents ended the same way).
        let over = delivery_with_agents_under(25, 100);
        let o = run(&over);
        assert_eq!(o.run.as_ref().map(|r| r.status.as_str()), Some("blocked"));
        let implementers: Vec<_> = o.sessions.iter().filter(|s| s.role_id == "implementer").collect();
        assert_eq!(implementers.len(), 20);
        for s in implementers {
            assert_eq!(s.blocker_code.as_deref(), Some("github_issue_or_pr_link_missing"), "{}", s.agent_id);
            assert!(
                s.current_step.starts_with("work_stopped: pull request not opened: HTTP 403: API rate limit exceeded"),
                "{}: {}",
                s.agent_id,
                s.current_step
            );
        }
        let roles: Vec<&str> = o.sessions.iter().map(|s| s.role_id.as_str()).filter(|r| *r != "implementer").collect();
        assert_eq!(roles, ["planner", "curator"], "no delivered lane was handed on to the tester");
        // The twin: the bench's budget for the same lanes delivers end to end.
        let twin = delivery_with_agents(25);
        assert_eq!(broken(&twin, &run(&twin)), Vec::<String>::new());
    }
}
