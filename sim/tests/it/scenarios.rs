//! Every scenario in `scenarios/` runs, its outcome holds the built-in
//! invariants (no run `completed` while a session stopped short or its delivery
//! graph did not reach its end; no session blocked without a reason), and it
//! matches its snapshot (`scenarios/snapshots/outcome@<file>.snap`). The CLI
//! reads the same files.

use crate::support;
use squadsim::{engine::invariants, Scenario};

#[test]
fn every_scenario_matches_its_snapshot() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../../../scenarios/snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        insta::glob!("../../../scenarios", "*.yaml", |path| {
            let scenario = Scenario::load(path).unwrap_or_else(|e| panic!("{e}"));
            let outcome = support::run(&scenario);
            let broken = invariants::built_in(&outcome);
            assert!(broken.is_empty(), "{}: {broken:?}", path.display());
            insta::assert_snapshot!("outcome", outcome.to_yaml());
        });
    });
}
