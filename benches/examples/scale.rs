//! One scaled run, its wall time and this process's peak memory:
//!
//! ```sh
//! cargo run --release -p squadsim-benches --example scale -- agents 1000
//! cargo run --release -p squadsim-benches --example scale -- agents-one-installation 10000
//! cargo run --release -p squadsim-benches --example scale -- runs 100
//! cargo run --release -p squadsim-benches --example scale -- lanes 100
//! cargo run --release -p squadsim-benches --example scale -- serial-lanes 100
//! ```
//!
//! One process per measurement, so the peak is that run's alone. A third
//! argument, `every-tick`, steps the world every tick instead of leaping over
//! idle ones (`RunOptions::leap_idle`), for comparing the two. `agents` gives
//! GitHub the rate limit its lanes need; `agents-one-installation` keeps GitHub
//! Enterprise Cloud's 15,000 an hour, which past 1,071 lanes blocks the run as it
//! would block the platform (`squadsim_benches::delivery_with_agents`).

use std::time::Instant;

use squadsim::engine::world::{self, RunOptions};
use squadsim_benches::{
    concurrent_intake_runs, delivery_with_agents, delivery_with_agents_on_one_installation, delivery_with_lanes,
    delivery_with_lanes_one_call_a_turn, peak_rss_kib,
};

fn main() {
    // As the `squadsim` binary does: freed pages kept for the process.
    squadsim::tools::allocator::keep_freed_pages();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (kind, n, leap_idle) = match args.as_slice() {
        [kind, n] => (kind.as_str(), n.parse::<u32>().ok(), true),
        [kind, n, every] if every == "every-tick" => (kind.as_str(), n.parse::<u32>().ok(), false),
        _ => ("", None, true),
    };
    let scenario = match (kind, n) {
        ("agents", Some(n)) => delivery_with_agents(n),
        ("agents-one-installation", Some(n)) => delivery_with_agents_on_one_installation(n),
        ("lanes", Some(n)) => delivery_with_lanes(n),
        ("serial-lanes", Some(n)) => delivery_with_lanes_one_call_a_turn(n),
        ("runs", Some(n)) => concurrent_intake_runs(n),
        _ => {
            eprintln!("usage: scale (agents|agents-one-installation|lanes|serial-lanes|runs) N [every-tick]");
            std::process::exit(2);
        }
    };
    let before = peak_rss_kib().unwrap_or(0);
    let started = Instant::now();
    let outcome = world::run(&scenario, RunOptions { leap_idle, ..RunOptions::default() }).outcome;
    let wall = started.elapsed();
    let peak = peak_rss_kib().unwrap_or(0);
    let held = scenario.invariants.as_ref().map(|i| i.check(&outcome)).unwrap_or_default();
    println!(
        "{}: {} simulated in {:.4}s wall, peak memory {:.1} MiB (before the run {:.1} MiB), sessions {}, concurrent runs {}, invariants {}",
        scenario.name,
        outcome.simulated,
        wall.as_secs_f64(),
        peak as f64 / 1024.0,
        before as f64 / 1024.0,
        outcome.sessions.len(),
        outcome.concurrent_runs.len() + usize::from(outcome.run.is_some()),
        if held.is_empty() { "hold".to_string() } else { format!("broken: {held:?}") },
    );
    // Why a run that ended short did: the first blocked session's step and code.
    if let Some(s) = outcome.sessions.iter().find(|s| s.blocker_code.is_some()) {
        println!(
            "first blocked: {} at {} ({})",
            s.agent_id,
            s.current_step,
            s.blocker_code.as_deref().unwrap_or_default()
        );
    }
}
