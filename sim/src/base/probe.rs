//! Coverage probes (FoundationDB's `CODE_PROBE`): the model marks the paths
//! worth reaching with [`hit`] (`blocker:agent_first_tool_required`,
//! `wall_fired:planner_wall`, `fault_hit:service_status`, ...), and a run
//! counts how often each was reached. A sweep reports which probes its seeds
//! reached and which they never did, and a scenario's `sometimes:` names
//! probes some seed must reach.
//!
//! Guarantees: probes are counted per thread, between [`start`] and [`take`]
//! (one simulation runs on one thread), so simultaneous runs on other threads
//! never mix; with no run counting, [`hit`] is a no-op; counts are kept in a
//! `BTreeMap`, so they reach output in name order; a probe changes nothing in a run.

use std::cell::RefCell;
use std::collections::BTreeMap;

thread_local! {
    static COUNTS: RefCell<Option<BTreeMap<String, u64>>> = const { RefCell::new(None) };
}

/// Starts counting this thread's probes (dropping any count a run left behind).
pub(crate) fn start() {
    COUNTS.with(|c| *c.borrow_mut() = Some(BTreeMap::new()));
}

/// Marks that the path `kind:name` was reached (when a run is counting).
pub(crate) fn hit(kind: &str, name: &str) {
    COUNTS.with(|c| {
        if let Some(counts) = c.borrow_mut().as_mut() {
            *counts.entry(format!("{kind}:{name}")).or_default() += 1;
        }
    });
}

/// Stops counting and returns each probe reached since [`start`], with how often.
pub(crate) fn take() -> BTreeMap<String, u64> {
    COUNTS.with(|c| c.borrow_mut().take()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_count_between_start_and_take_on_their_own_thread_only() {
        hit("blocker", "ignored");
        start();
        hit("blocker", "a");
        hit("blocker", "a");
        std::thread::spawn(|| hit("blocker", "other thread")).join().unwrap();
        let counts = take();
        assert_eq!(counts, BTreeMap::from([("blocker:a".to_string(), 2)]));
        hit("blocker", "after");
        assert!(take().is_empty());
    }
}
