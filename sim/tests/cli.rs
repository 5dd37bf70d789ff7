//! The `squadsim` binary: exit codes CI can trust, errors that say how to fix them.

use std::path::{Path, PathBuf};
use std::process::Command;

fn squadsim(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_squadsim")).args(args).output().expect("squadsim runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn scenarios() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("squadsim-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("snapshots")).unwrap();
    dir
}

#[test]
fn the_corpus_passes_and_prints_one_line_per_scenario_and_a_summary() {
    let (code, out, _) = squadsim(&["run", scenarios().to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.lines().any(|l| l.starts_with("ok      happy-intake")), "{out}");
    assert!(out.trim_end().ends_with("0 failed"), "{out}");
}

#[test]
fn the_summary_line_tells_a_launch_without_answer_from_no_launch_at_all() {
    let (code, out, _) = squadsim(&[
        "run",
        scenarios().join("wrong-project-slug.yaml").to_str().unwrap(),
        scenarios().join("platform-agent-ssot.yaml").to_str().unwrap(),
        scenarios().join("wall-planner-blocked.yaml").to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("wrong-project-slug (seed 7): run not launched, launch 000,"), "{out}");
    assert!(out.contains("platform-agent-ssot (seed 3): run not launched, launch none,"), "{out}");
    // A session standing at a wall shows its reason: the wall's (model-defined) blocker.
    assert!(
        out.contains("run blocked, launch 200, blockers: memory_tool_contract_required (model-defined), standing at: planner_wall"),
        "{out}"
    );
}

#[test]
fn json_output_carries_the_summary_fields() {
    let (code, out, _) = squadsim(&["run", "--json", scenarios().join("wrong-project-slug.yaml").to_str().unwrap()]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let first = &v[0];
    assert_eq!(first["scenario"], "wrong-project-slug");
    assert_eq!(first["seed"], 7);
    assert!(first["launch_http_status"].is_null(), "no response is null");
    assert!(first["run_status"].is_null());
    assert!(first["walls"].is_array() && first["sessions"].is_array());
}

#[test]
fn a_malformed_scenario_exits_2_naming_file_line_and_field() {
    let dir = scratch("malformed");
    let file = dir.join("bad.yaml");
    std::fs::write(&file, "name: bad\nsteps:\n  - launch:\n      template_id: agentsquad\n      project_slug: x\n      delivery_graph_kind: project_delivery\n      timeout: forever\n").unwrap();
    let (code, _, err) = squadsim(&["run", file.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("bad.yaml:7:"), "{err}");
    assert!(err.contains("steps[0].launch.timeout"), "{err}");
    assert!(err.contains("expected a duration"), "{err}");
}

#[test]
fn an_outcome_that_differs_from_its_snapshot_exits_1_with_a_diff() {
    let dir = scratch("differs");
    let file = dir.join("happy.yaml");
    std::fs::copy(scenarios().join("happy-intake.yaml"), &file).unwrap();
    let pinned = std::fs::read_to_string(scenarios().join("snapshots/outcome@happy-intake.yaml.snap")).unwrap();
    std::fs::write(
        dir.join("snapshots/outcome@happy.yaml.snap"),
        pinned.replace("status: completed", "status: blocked"),
    )
    .unwrap();
    let (code, out, _) = squadsim(&["run", file.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("DIFFERS") && out.contains("-  status: blocked") && out.contains("+  status: completed"),
        "{out}"
    );
}

#[test]
fn a_scenario_without_a_snapshot_exits_1_and_says_how_to_pin_it() {
    let dir = scratch("new");
    let file = dir.join("fresh.yaml");
    std::fs::copy(scenarios().join("operator-not-super-admin.yaml"), &file).unwrap();
    let (code, out, _) = squadsim(&["run", file.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(out.contains("NEW") && out.contains("cargo insta"), "{out}");
}

#[test]
fn help_teaches_the_format_with_an_example() {
    let (code, out, _) = squadsim(&["run", "--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("steps:") && out.contains("launch:") && out.contains("Exit status"), "{out}");
}

#[test]
fn the_published_schema_is_the_generated_one() {
    let (code, out, _) = squadsim(&["schema"]);
    assert_eq!(code, 0);
    let committed = std::fs::read_to_string(scenarios().join("scenario.schema.json")).unwrap();
    assert_eq!(out, committed, "scenarios/scenario.schema.json is stale: regenerate it with `squadsim schema > scenarios/scenario.schema.json`");
}
