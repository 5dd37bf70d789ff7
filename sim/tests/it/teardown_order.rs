//! A crashed or restarted host's connections close in the same order whatever
//! ran before in the process. tokio numbers tasks process-wide and drops a
//! tokio runtime's tasks list by list, the list chosen by that number; each dropped
//! connection sends its FIN or RST, drawing its latency from the simulation's
//! RNG. The patched turmoil sends them in address order instead
//! (vendor/turmoil/PATCHED.md).

use std::time::Duration;

use squadsim::engine::world::{self, Network, RunOptions};

use crate::support;

/// Spawns `n` tasks that do nothing: the next task of the process gets a number `n` higher.
fn spawn_tasks(n: usize) {
    let executor = tokio::runtime::Builder::new_current_thread().build().unwrap();
    executor.block_on(async {
        for _ in 0..n {
            tokio::spawn(async {}).await.unwrap();
        }
    });
}

#[test]
fn a_run_with_a_crash_is_the_same_whatever_tasks_the_process_spawned_before() {
    // ContextForge crashes on the first agent call and restarts 30 s later, on
    // a sweep's network (each FIN and RST draws its latency).
    let mut scenario = support::load("gateway-crash-on-first-agent-call.yaml");
    scenario.seed = 7_920;
    let options =
        || RunOptions { network: Network::jittered(Duration::from_millis(500)), record: true, ..Default::default() };
    let first = world::run(&scenario, options());
    for shift in 1..=3 {
        spawn_tasks(shift);
        let again = world::run(&scenario, options());
        assert!(first.record == again.record, "the run differs after {shift} more task(s) spawned");
        assert_eq!(first.outcome.to_json(), again.outcome.to_json());
    }
}
