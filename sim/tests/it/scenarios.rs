//! Every scenario in `scenarios/` runs, its outcome holds the invariants it
//! declares (the ones a seed sweep checks, so a declaration its own snapshot
//! run contradicts cannot wait for a sweep to be found) and the built-in ones
//! (no run `completed` while a session stopped short or its delivery graph did
//! not reach its end; no session blocked without a reason), and it matches its
//! snapshot (`scenarios/snapshots/outcome@<file>.snap`). The CLI
//! reads the same files.

use crate::support;
use squadsim::Scenario;

#[test]
fn every_scenario_matches_its_snapshot() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../../../scenarios/snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        insta::glob!("../../../scenarios", "*.yaml", |path| {
            let scenario = Scenario::load(path).unwrap_or_else(|e| panic!("{e}"));
            let outcome = support::run(&scenario);
            let broken = scenario.invariants.clone().unwrap_or_default().check(&outcome);
            assert!(broken.is_empty(), "{}: {broken:?}", path.display());
            insta::assert_snapshot!("outcome", outcome.to_yaml());
        });
    });
}
