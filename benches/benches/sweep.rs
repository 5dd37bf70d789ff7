//! Seeds per second of a `full-delivery` sweep on 1 and 2 jobs (random host
//! order, 500 ms jitter, as `squadsim run --seeds N` runs it):
//! `cargo bench -p squadsim-benches --bench sweep`.
//!
//! Each iteration sweeps 8 seeds; seeds/s = 8 / the measured time.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use squadsim::scenario::SimDuration;
use squadsim::tools::sweep;
use squadsim_benches::{corpus, corpus_dir};

const SEEDS: u64 = 8;

fn seeds_per_second(c: &mut Criterion) {
    // As the `squadsim` binary does: freed pages kept for the process.
    squadsim::tools::allocator::keep_freed_pages();
    let scenarios = vec![(corpus_dir().join("full-delivery.yaml"), corpus("full-delivery"))];
    let items = sweep::items(1, 1..=SEEDS, None);
    let jitter = SimDuration::parse("500ms").expect("a duration");
    let mut group = c.benchmark_group("full-delivery sweep");
    group.sample_size(10);
    group.throughput(Throughput::Elements(SEEDS));
    for jobs in [1, 2] {
        group.bench_function(format!("{jobs} jobs, {SEEDS} seeds"), |b| {
            b.iter(|| {
                let results = sweep::sweep(&scenarios, &items, jobs, jitter, false, |_| {});
                assert!(results.iter().all(|r| r.passed()), "a seed broke the invariants");
            })
        });
    }
    group.finish();
}

criterion_group!(benches, seeds_per_second);
criterion_main!(benches);
