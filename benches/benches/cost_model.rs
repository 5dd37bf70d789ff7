//! The cost model: what turmoil's stepping costs against host count and tick,
//! with nothing to do (idle hosts), and a real scenario against its tick:
//! `cargo bench -p squadsim-benches --bench cost_model`.
//!
//! turmoil advances every host every tick whether or not it has work, so a
//! run's wall time is idle stepping (hosts x ticks x the idle cost) plus the
//! useful work (HTTP between the services). The idle groups measure the first
//! term; `scenario tick` shows both together.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use squadsim::engine::world::{self, RunOptions};
use squadsim_benches::{corpus, with_tick};

/// Simulated time of every idle run.
const IDLE_SIMULATED: Duration = Duration::from_secs(60);

/// `hosts` idle hosts and one client sleeping `IDLE_SIMULATED`, at `tick`.
fn idle_world(hosts: usize, tick: Duration) {
    let mut sim =
        turmoil::Builder::new().rng_seed(1).tick_duration(tick).simulation_duration(IDLE_SIMULATED * 2).build();
    for h in 0..hosts {
        sim.host(format!("idle-{h}"), || async {
            tokio::time::sleep(Duration::from_secs(24 * 3600)).await;
            Ok(())
        });
    }
    sim.client("operator", async {
        tokio::time::sleep(IDLE_SIMULATED).await;
        Ok(())
    });
    sim.run().expect("the idle world runs");
}

fn cost_model(c: &mut Criterion) {
    // As the `squadsim` binary does: freed pages kept for the process.
    squadsim::tools::allocator::keep_freed_pages();
    let mut hosts = c.benchmark_group("idle hosts, 100ms tick, 60s simulated");
    hosts.sample_size(10);
    for n in [1, 6, 12, 24, 48] {
        hosts.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, &n| {
            b.iter(|| idle_world(n, Duration::from_millis(100)))
        });
    }
    hosts.finish();

    let mut ticks = c.benchmark_group("12 idle hosts, 60s simulated, tick");
    ticks.sample_size(10);
    for ms in [10u64, 50, 100, 1000] {
        ticks.bench_with_input(BenchmarkId::from_parameter(format!("{ms}ms")), &ms, |b, &ms| {
            b.iter(|| idle_world(12, Duration::from_millis(ms)))
        });
    }
    ticks.finish();

    let mut scenario = c.benchmark_group("happy-intake, tick");
    scenario.sample_size(10);
    for ms in [10u64, 50, 100] {
        let s = with_tick(corpus("happy-intake"), Duration::from_millis(ms));
        scenario.bench_with_input(BenchmarkId::from_parameter(format!("{ms}ms")), &s, |b, s| {
            b.iter(|| world::run(s, RunOptions::default()).outcome)
        });
    }
    scenario.finish();
}

criterion_group!(benches, cost_model);
criterion_main!(benches);
