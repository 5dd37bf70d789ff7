//! Wall time of each scenario in `scenarios/` (release): `cargo bench -p squadsim-benches --bench scenarios`.
//!
//! Time compression = the outcome's simulated time / the measured wall time;
//! `squadsim run` prints both per scenario.

use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion};
use squadsim::engine::world::{self, RunOptions};
use squadsim::{scenario, Scenario};

fn corpus(c: &mut Criterion) {
    // As the `squadsim` binary does: freed pages kept for the process.
    squadsim::tools::allocator::keep_freed_pages();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let files = scenario::discover(&dir).expect("scenarios/ is readable");
    let mut group = c.benchmark_group("scenario");
    group.sample_size(20);
    for file in files {
        let s = Scenario::load(&file).unwrap_or_else(|e| panic!("{e}"));
        let simulated = world::run(&s, RunOptions::default()).outcome.simulated;
        group.bench_function(format!("{} ({simulated} simulated)", s.name), |b| {
            b.iter(|| world::run(&s, RunOptions::default()).outcome)
        });
    }
    group.finish();
    let all: Vec<Scenario> = scenario::discover(&dir).unwrap().iter().map(|f| Scenario::load(f).unwrap()).collect();
    c.bench_function("whole corpus", |b| {
        b.iter(|| all.iter().for_each(|s| drop(std::hint::black_box(world::run(s, RunOptions::default())))))
    });
}

criterion_group!(benches, corpus);
criterion_main!(benches);
