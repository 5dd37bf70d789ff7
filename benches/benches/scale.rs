//! How wall time grows with agents in one run and with runs in one world:
//! `cargo bench -p squadsim-benches --bench scale`.
//!
//! - `implementer lanes`: `full-delivery` with 1, 10, 100 lanes (issue 4's curve), the
//!   fan-out roles using parallel tool use;
//! - `implementer lanes, one call a turn`: the same with 1 and 10 lanes and the corpus's model;
//! - `agents in one run`: `full-delivery` with 10 and 100 agents;
//! - `concurrent intake runs`: `happy-intake` launched 10 and 100 times at once in one world.
//!
//! The 1,000 points take seconds to a minute each, too long for criterion's ten
//! samples; they, and peak memory for every point, come from one process per run:
//! `cargo run --release -p squadsim-benches --example scale -- agents 1000`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use squadsim::engine::world::{self, RunOptions};
use squadsim::Scenario;
use squadsim_benches::{
    concurrent_intake_runs, delivery_with_agents, delivery_with_lanes, delivery_with_lanes_one_call_a_turn,
};

fn curve(c: &mut Criterion, group: &str, points: &[u32], build: fn(u32) -> Scenario) {
    let mut g = c.benchmark_group(group);
    g.sample_size(10);
    for &n in points {
        let scenario = build(n);
        let outcome = world::run(&scenario, RunOptions::default()).outcome;
        let broken = scenario.invariants.as_ref().map(|i| i.check(&outcome)).unwrap_or_default();
        assert!(broken.is_empty(), "{}: {broken:?}", scenario.name);
        g.bench_with_input(
            BenchmarkId::from_parameter(format!("{n} ({} simulated)", outcome.simulated)),
            &scenario,
            |b, s| b.iter(|| world::run(s, RunOptions::default()).outcome),
        );
    }
    g.finish();
}

fn scale(c: &mut Criterion) {
    // As the `squadsim` binary does: freed pages kept for the process.
    squadsim::tools::allocator::keep_freed_pages();
    curve(c, "implementer lanes", &[1, 10, 100], delivery_with_lanes);
    curve(c, "implementer lanes, one call a turn", &[1, 10], delivery_with_lanes_one_call_a_turn);
    curve(c, "agents in one run", &[10, 100], delivery_with_agents);
    curve(c, "concurrent intake runs", &[10, 100], concurrent_intake_runs);
}

criterion_group!(benches, scale);
criterion_main!(benches);
