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
//! idle ones (`RunOptions::leap_idle`), for comparing the two; `routes` records
//! the run and prints its HTTP exchanges by route (hosts' trailing numbers and
//! path segments holding a digit shown as `*`), most taken first: where a run's
//! exchanges go, since each costs about the same (docs/performance.md). `agents` gives
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
    let (kind, n, options) = match args.as_slice() {
        [kind, n, options @ ..] => (kind.as_str(), n.parse::<u32>().ok(), options),
        _ => ("", None, &[][..]),
    };
    let leap_idle = !options.iter().any(|o| o == "every-tick");
    let routes = options.iter().any(|o| o == "routes");
    let scenario = match (kind, n) {
        ("agents", Some(n)) => delivery_with_agents(n),
        ("agents-one-installation", Some(n)) => delivery_with_agents_on_one_installation(n),
        ("lanes", Some(n)) => delivery_with_lanes(n),
        ("serial-lanes", Some(n)) => delivery_with_lanes_one_call_a_turn(n),
        ("runs", Some(n)) => concurrent_intake_runs(n),
        _ => {
            eprintln!("usage: scale (agents|agents-one-installation|lanes|serial-lanes|runs) N [every-tick] [routes]");
            std::process::exit(2);
        }
    };
    if let Some(unknown) = options.iter().find(|o| *o != "every-tick" && *o != "routes") {
        eprintln!("scale: unknown option `{unknown}` (expected `every-tick` or `routes`)");
        std::process::exit(2);
    }
    let before = peak_rss_kib().unwrap_or(0);
    let started = Instant::now();
    let run = world::run(&scenario, RunOptions { leap_idle, record: routes, ..RunOptions::default() });
    let wall = started.elapsed();
    let outcome = run.outcome;
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
    if let Some(record) = run.record {
        print_routes(&record.calls);
    }
}

/// The exchanges in `calls` counted by route, most taken first.
fn print_routes(calls: &[squadsim_fakes::net::HttpCall]) {
    let host = |h: &str| h.trim_end_matches(|c: char| c.is_ascii_digit() || c == '-').to_string();
    let mut routes = std::collections::BTreeMap::<String, usize>::new();
    for call in calls {
        let path: Vec<&str> =
            call.path.split('/').map(|s| if s.contains(|c: char| c.is_ascii_digit()) { "*" } else { s }).collect();
        let route = format!("{} -> {} {} {}", host(&call.from), host(&call.to), call.method, path.join("/"));
        *routes.entry(route).or_default() += 1;
    }
    let mut routes: Vec<(String, usize)> = routes.into_iter().collect();
    routes.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    println!("{} HTTP exchanges", calls.len());
    for (route, count) in routes {
        println!("{count:>8} {:>5.1}%  {route}", 100.0 * count as f64 / calls.len().max(1) as f64);
    }
}
