//! Snapshot hygiene, as `cargo insta test --check --unreferenced=reject` holds
//! it: every snapshot in `scenarios/snapshots/` belongs to a scenario that
//! exists, no pending snapshot (`.snap.new`, `.pending-snap`) is left behind,
//! and with `CI` set a mismatching snapshot assertion fails without writing
//! anything (insta's default under CI; nothing in the repository overrides it).

use crate::support;
use std::path::Path;

#[test]
fn every_snapshot_belongs_to_a_scenario_and_none_is_pending() {
    let dir = support::corpus().join("snapshots");
    let mut problems = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let scenario = name.strip_prefix("outcome@").and_then(|n| n.strip_suffix(".snap"));
        match scenario {
            Some(file) if support::corpus().join(file).is_file() => {}
            Some(file) => problems.push(format!("{name}: unreferenced (no scenarios/{file}); delete it")),
            None => {
                problems.push(format!("{name}: not a snapshot of a scenario (pending or stray); review or delete it"))
            }
        }
    }
    assert!(problems.is_empty(), "scenarios/snapshots/:\n{}", problems.join("\n"));
}

/// Set in the child process in which [`under_ci_a_mismatch_fails_and_writes_nothing`] checks insta.
const CHILD: &str = "SQUADSIM_SNAPSHOT_HYGIENE_CHILD";

#[test]
fn under_ci_a_mismatch_fails_and_writes_nothing() {
    // insta reads CI and INSTA_* once per process, and the other tests of this
    // binary (the snapshots among them) run in this process at the same time:
    // the check runs alone in a child process of this test binary, with CI set.
    if std::env::var_os(CHILD).is_none() {
        let name = "snapshot_hygiene::under_ci_a_mismatch_fails_and_writes_nothing";
        let child = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", name, "--test-threads=1"])
            .env(CHILD, "1")
            .env("CI", "true")
            .env_remove("INSTA_UPDATE")
            .env_remove("INSTA_FORCE_PASS")
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&child.stdout);
        let err = String::from_utf8_lossy(&child.stderr);
        assert!(child.status.success() && out.contains("1 passed"), "the check under CI failed:\n{out}\n{err}");
        return;
    }
    let dir = std::env::temp_dir().join(format!("squadsim-hygiene-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let pinned = "---\nsource: sim/tests/scenarios.rs\nexpression: outcome.to_yaml()\n---\nscenario: x\n";
    std::fs::write(dir.join("outcome.snap"), pinned).unwrap();
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(&dir);
    settings.set_prepend_module_to_snapshot(false);
    let failed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        settings.bind(|| insta::assert_snapshot!("outcome", "scenario: y"));
    }))
    .is_err();
    assert!(failed, "a mismatching snapshot must fail under CI");
    let mut files: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    files.sort();
    assert_eq!(files, ["outcome.snap"], "nothing may be written under CI");
    assert_eq!(std::fs::read_to_string(dir.join("outcome.snap")).unwrap(), pinned);
    for config in [".config/insta.yaml", "insta.yaml"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(config);
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(!text.contains("force_update") && !text.contains("update: always"), "{config} overrides CI behaviour");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
