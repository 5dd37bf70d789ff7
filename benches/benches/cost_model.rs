//! The cost model: what turmoil's stepping costs against host count and tick,
//! with nothing to do (idle hosts), and a real scenario against its tick:
//! `cargo bench -p squadsim-benches --bench cost_model`.
//!
//! turmoil advances every host every tick whether or not it has work, so a
//! run's wall time is idle stepping (hosts x ticks x the idle cost) plus the
//! useful work (HTTP between the services). The idle groups measure the first
//! term; `bare exchanges` the floor of the second (an exchange with nothing in
//! it); `scenario tick` shows both together.

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

/// `callers` tasks on one host each sending `each` GETs, one after another on a
/// kept-alive connection, to an axum route on another host answering a
/// two-field JSON object: the HTTP a run cannot do without, with no model behind
/// it (squadsim's client and server, hyper, axum, turmoil, tokio).
fn bare_exchanges(callers: usize, each: usize) {
    use squadsim_fakes::net::{serve_simulated, HttpClient, HttpRequest, Transport};
    let mut sim = turmoil::Builder::new()
        .rng_seed(1)
        .tick_duration(Duration::from_millis(1))
        .simulation_duration(Duration::from_secs(24 * 3600))
        .build();
    sim.host("server", || async {
        let route = axum::routing::get(|axum::extract::Path(id): axum::extract::Path<String>| async move {
            axum::Json(std::collections::BTreeMap::from([("id", id), ("state", "started".to_string())]))
        });
        serve_simulated(axum::Router::new().route("/sandbox/{id}", route), 80).await.map_err(|e| e.to_string().into())
    });
    sim.client("caller", async move {
        let client = HttpClient::new(Transport::Simulated, Duration::from_secs(30));
        let tasks: Vec<_> = (0..callers)
            .map(|caller| {
                let client = client.clone();
                tokio::spawn(async move {
                    for call in 0..each {
                        let url = format!("http://server/sandbox/{caller}-{call}");
                        let response = client.send(HttpRequest::get(url)).await.expect("the server answers");
                        assert_eq!(response.status, 200);
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("a caller finishes");
        }
        Ok(())
    });
    sim.run().expect("the exchanges run");
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

    let mut exchanges = c.benchmark_group("bare exchanges, 100 callers");
    exchanges.sample_size(10);
    exchanges.throughput(criterion::Throughput::Elements(10_000));
    exchanges.bench_function("10000 GETs", |b| b.iter(|| bare_exchanges(100, 100)));
    exchanges.finish();

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
