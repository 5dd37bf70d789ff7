//! Coverage probes: the model marks the paths worth reaching; a run counts
//! the ones it reached, a sweep reports them (and the catalogue's never
//! reached), and a scenario's `sometimes:` probes must be reached by some seed.

use std::process::Command;

use squadsim::engine::world::{self, RunOptions};
use squadsim::scenario::sometimes;

use crate::support;

fn probes_of(name: &str) -> Vec<String> {
    let scenario = support::load(name);
    world::run(&scenario, RunOptions::default()).probes.into_keys().collect()
}

#[test]
fn a_run_counts_its_blockers_walls_and_how_each_wall_ended() {
    let blocked = probes_of("wall-planner-blocked.yaml");
    for probe in ["wall_fired:planner_wall", "wall_standing:planner_wall", "run_status:blocked"] {
        assert!(blocked.contains(&probe.to_string()), "{probe} in {blocked:?}");
    }
    assert!(blocked.iter().any(|p| p.starts_with("blocker:")), "{blocked:?}");
    let cleared = probes_of("wall-planner-cleared.yaml");
    assert!(cleared.contains(&"wall_cleared:planner_wall".to_string()), "{cleared:?}");
    assert!(!cleared.contains(&"wall_standing:planner_wall".to_string()), "{cleared:?}");
}

#[test]
fn faults_are_counted_when_they_begin_and_service_faults_when_they_answer_a_request() {
    let blip = probes_of("network-gateway-blip.yaml");
    assert!(blip.contains(&"fault_began:partition".to_string()), "{blip:?}");
    let unavailable = probes_of("daytona-api-unavailable.yaml");
    assert!(unavailable.contains(&"fault_began:service_status".to_string()), "{unavailable:?}");
    assert!(unavailable.contains(&"fault_hit:service_status".to_string()), "{unavailable:?}");
    assert!(!probes_of("happy-intake.yaml").iter().any(|p| p.starts_with("fault_")));
}

#[test]
fn every_probe_the_corpus_reaches_is_in_the_catalogue_sometimes_may_name() {
    let catalogue = sometimes::probes();
    for name in [
        "wall-planner-blocked.yaml",
        "network-gateway-blip.yaml",
        "daytona-api-unavailable.yaml",
        "platform-agent-bespoke.yaml",
        "first-tool-gateway-auth.yaml",
        "wrong-project-slug.yaml",
    ] {
        for probe in probes_of(name) {
            assert!(catalogue.contains(&probe), "{name} reached {probe}, which the catalogue does not list");
        }
    }
}

fn sweep_with_sometimes(dir: &std::path::Path, probes: &str) -> std::process::Output {
    let text = std::fs::read_to_string(support::corpus_file("happy-intake.yaml")).unwrap();
    let file = dir.join("happy-intake.yaml");
    std::fs::write(&file, format!("{text}sometimes: {probes}\n")).unwrap();
    Command::new(env!("CARGO_BIN_EXE_squadsim"))
        .arg("run")
        .arg(&file)
        .args(["--seeds", "2", "--jobs", "1"])
        .output()
        .unwrap()
}

#[test]
fn a_sweep_fails_when_no_seed_reaches_a_sometimes_probe_and_reports_its_coverage() {
    let dir = std::env::temp_dir().join(format!("squadsim-sometimes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let reached = sweep_with_sometimes(&dir, "[run_status:completed]");
    let never = sweep_with_sometimes(&dir, "[run_status:completed, wall_fired:planner_wall]");
    let _ = std::fs::remove_dir_all(&dir);

    let out = String::from_utf8_lossy(&reached.stdout);
    assert_eq!(reached.status.code(), Some(0), "{out}");
    assert!(out.contains("\ncoverage: 1 of "), "{out}");
    assert!(out.contains("  run_status:completed: 2 seeds, 2 hits\n"), "{out}");
    assert!(out.contains("  never reached: blocker:"), "{out}");

    let out = String::from_utf8_lossy(&never.stdout);
    assert_eq!(never.status.code(), Some(1), "{out}");
    assert!(
        out.contains("FAILED  happy-intake: sometimes never reached in any seed: wall_fired:planner_wall\n"),
        "{out}"
    );
}

#[test]
fn a_sometimes_probe_outside_the_catalogue_is_refused_with_its_line() {
    let dir = std::env::temp_dir().join(format!("squadsim-sometimes-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.yaml");
    std::fs::write(&file, "name: bad\nsometimes:\n  - run_status:completed\n  - blocker:nope\nsteps: [health]\n")
        .unwrap();
    let out =
        Command::new(env!("CARGO_BIN_EXE_squadsim")).arg("run").arg(&file).args(["--seeds", "1"]).output().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.yaml:4:5: field `sometimes[1]`: expected a coverage probe"), "{err}");
}
