//! The `squadsim` binary: exit codes CI can trust, errors that say how to fix them.

use crate::support;
use std::path::{Path, PathBuf};

#[test]
fn the_corpus_passes_and_prints_one_line_per_scenario_and_a_summary() {
    let (code, out, _) = support::squadsim(&["run", support::corpus().to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.lines().any(|l| l.starts_with("ok      happy-intake")), "{out}");
    assert!(out.trim_end().ends_with("0 failed"), "{out}");
}

#[test]
fn the_summary_line_tells_a_launch_without_answer_from_no_launch_at_all() {
    let (code, out, _) = support::squadsim(&[
        "run",
        support::corpus().join("wrong-project-slug.yaml").to_str().unwrap(),
        support::corpus().join("platform-agent-ssot.yaml").to_str().unwrap(),
        support::corpus().join("wall-planner-blocked.yaml").to_str().unwrap(),
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
    let (code, out, _) =
        support::squadsim(&["run", "--json", support::corpus().join("wrong-project-slug.yaml").to_str().unwrap()]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let first = &v[0];
    assert_eq!(first["scenario"], "wrong-project-slug");
    assert_eq!(first["seed"], 7);
    assert!(first["launch_http_status"].is_null(), "no response is null");
    assert!(first["run_status"].is_null());
    assert!(first["walls"].is_array() && first["sessions"].is_array());
    // The whole outcome, as the snapshot pins it, under `outcome`.
    let outcome = &first["outcome"];
    assert_eq!(
        (&outcome["scenario"], &outcome["seed"], &outcome["finished"]),
        (&first["scenario"], &first["seed"], &first["finished"])
    );
    let steps: Vec<&str> =
        outcome["operator"].as_array().unwrap().iter().map(|c| c["step"].as_str().unwrap()).collect();
    assert!(steps.contains(&"launch"), "{outcome}");
}

#[test]
fn a_malformed_scenario_exits_2_naming_file_line_and_field() {
    let dir = support::scratch("malformed");
    let file = dir.join("bad.yaml");
    std::fs::write(&file, "name: bad\nsteps:\n  - launch:\n      template_id: agentsquad\n      project_slug: x\n      delivery_graph_kind: project_delivery\n      timeout: forever\n").unwrap();
    let (code, _, err) = support::squadsim(&["run", file.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("bad.yaml:7:"), "{err}");
    assert!(err.contains("steps[0].launch.timeout"), "{err}");
    assert!(err.contains("expected a duration"), "{err}");
}

#[test]
fn an_outcome_that_differs_from_its_snapshot_exits_1_with_a_diff() {
    let dir = support::scratch("differs");
    let file = support::corpus_copy("happy-intake.yaml", &dir, "happy.yaml");
    let pinned = std::fs::read_to_string(support::corpus().join("snapshots/outcome@happy-intake.yaml.snap")).unwrap();
    std::fs::write(
        dir.join("snapshots/outcome@happy.yaml.snap"),
        pinned.replace("status: completed", "status: blocked"),
    )
    .unwrap();
    let (code, out, _) = support::squadsim(&["run", file.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("DIFFERS") && out.contains("-  status: blocked") && out.contains("+  status: completed"),
        "{out}"
    );
    // `--json` carries the same diff.
    let (code, out, _) = support::squadsim(&["run", "--json", file.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json[0]["verdict"], "differs", "{out}");
    let detail = json[0]["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("-  status: blocked") && detail.contains("+  status: completed"), "{out}");
}

/// operator-not-super-admin (launch refused 403, nothing runs) copied with its
/// own snapshot into a scratch folder, its declaration edited by `edit`.
fn declaring(name: &str, edit: impl Fn(&str) -> String) -> PathBuf {
    let dir = support::scratch(name);
    let file = dir.join("refused.yaml");
    let text = std::fs::read_to_string(support::corpus().join("operator-not-super-admin.yaml")).unwrap();
    std::fs::write(&file, edit(&text)).unwrap();
    std::fs::copy(
        support::corpus().join("snapshots/outcome@operator-not-super-admin.yaml.snap"),
        dir.join("snapshots/outcome@refused.yaml.snap"),
    )
    .unwrap();
    file
}

#[test]
fn a_run_that_matches_its_snapshot_but_breaks_an_invariant_it_declares_exits_1_naming_it() {
    let declared = "invariants: {run_status: not_launched, launch_http_status: 403, sessions: 0}";
    let file = declaring("declared-broken", |text| {
        assert!(text.contains(declared), "the corpus scenario declares {declared}");
        text.replace(declared, "invariants: {run_status: not_launched, launch_http_status: 200, sessions: 0}")
    });
    for seed in [None, Some("3"), Some("11")] {
        let mut argv = vec!["run", file.to_str().unwrap()];
        argv.extend(seed.iter().flat_map(|s| ["--seed", s]));
        let (code, out, _) = support::squadsim(&argv);
        assert_eq!(code, 1, "{out}");
        assert!(
            out.contains(&format!(
                "FAILED  operator-not-super-admin (seed {}): the outcome breaks 1 invariant(s) its scenario declares (`invariants:`)\nlaunch_http_status: expected 200, got 403\n",
                seed.unwrap_or("3")
            )),
            "{out}"
        );
        assert!(out.ends_with("0 passed, 1 failed\n"), "{out}");
    }
    // The same file, its declaration held: green, so the snapshot matched all along.
    let held = declaring("declared-held", |text| text.to_string());
    let (code, out, _) = support::squadsim(&["run", held.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    // In every report format: JSON names the verdict, GitHub annotates the file.
    let (code, out, _) = support::squadsim(&["run", "--json", file.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!((json[0]["verdict"].as_str(), json[0]["passed"].as_bool()), (Some("failed"), Some(false)), "{out}");
    assert_eq!(json[0]["detail"], "launch_http_status: expected 200, got 403", "{out}");
    let (code, out, _) = support::squadsim(&["run", "--format", "github", file.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("::error file=") && out.contains("invariant(s) its scenario declares"), "{out}");
    // The annotation carries which invariant broke (its newline escaped as GitHub reads it).
    assert!(out.contains("(`invariants:`)%0Alaunch_http_status: expected 200, got 403"), "{out}");
    let reports = file.parent().unwrap().join("declared-broken-reports");
    let (code, _, _) = support::squadsim(&["run", file.to_str().unwrap(), "--report", reports.to_str().unwrap()]);
    assert_eq!(code, 1);
    let junit = std::fs::read_to_string(reports.join("junit.xml")).unwrap();
    assert!(junit.contains("launch_http_status: expected 200, got 403"), "{junit}");
}

#[test]
fn a_run_that_breaks_its_declaration_and_differs_from_its_snapshot_shows_both() {
    let file =
        declaring("declared-broken-differs", |text| text.replace("launch_http_status: 403", "launch_http_status: 200"));
    let snap = file.parent().unwrap().join("snapshots/outcome@refused.yaml.snap");
    let pinned = std::fs::read_to_string(&snap).unwrap();
    std::fs::write(&snap, pinned.replace("sessions: []", "sessions: [x]")).unwrap();
    let (code, out, _) = support::squadsim(&["run", file.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("launch_http_status: expected 200, got 403"), "{out}");
    assert!(out.contains("and the outcome differs from its snapshot:") && out.contains("sessions: [x]"), "{out}");
}

#[test]
fn a_scenario_without_a_snapshot_exits_1_and_says_how_to_pin_it() {
    let dir = support::scratch("new");
    let file = support::corpus_copy("operator-not-super-admin.yaml", &dir, "fresh.yaml");
    let (code, out, err) = support::squadsim(&["run", file.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(out.contains("NEW") && out.contains(&format!("`squadsim run --accept {}`", file.display())), "{out}");
    assert!(err.contains("hint: if these outcomes are the intended ones, `squadsim run --accept`"), "{err}");
}

#[test]
fn accept_pins_a_new_outcome_and_a_changed_one_and_the_next_run_matches_them() {
    let dir = support::scratch("accept");
    let file = support::corpus_copy("happy-intake.yaml", &dir, "happy.yaml");
    let snap = dir.join("snapshots/outcome@happy.yaml.snap");
    let corpus_snap =
        std::fs::read_to_string(support::corpus().join("snapshots/outcome@happy-intake.yaml.snap")).unwrap();
    let pinned = |text: &str| text.split_once("\n---\n").unwrap().1.to_string();
    // No snapshot: written, the run passes, and it is the corpus's own snapshot of the same scenario.
    let (code, out, err) = support::squadsim_outside_ci(&["run", "--accept", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("WROTE   happy-intake (seed ") && out.contains("new snapshot"), "{out}");
    assert!(out.ends_with("1 passed, 0 failed\n") && err.contains("1 snapshot(s) written: review"), "{out}{err}");
    assert_eq!(pinned(&std::fs::read_to_string(&snap).unwrap()), pinned(&corpus_snap));
    let (code, out, _) = support::squadsim(&["run", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    // A differing snapshot: rewritten with its diff shown, its header kept.
    let stale = std::fs::read_to_string(&snap).unwrap().replace("status: completed", "status: blocked");
    std::fs::write(&snap, &stale).unwrap();
    let (code, out, _) = support::squadsim_outside_ci(&["run", "--accept", "--json", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!((json[0]["verdict"].as_str(), json[0]["passed"].as_bool()), (Some("accepted"), Some(true)), "{out}");
    let written = std::fs::read_to_string(&snap).unwrap();
    assert_eq!(pinned(&written), pinned(&corpus_snap));
    assert_eq!(written.split_once("\n---\n").unwrap().0, stale.split_once("\n---\n").unwrap().0);
    std::fs::write(&snap, &stale).unwrap();
    let (code, out, _) = support::squadsim_outside_ci(&["run", "--accept", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("rewritten:") && out.contains("-  status: blocked") && out.contains("+  status: completed"),
        "{out}"
    );
    // A snapshot that matches is left alone, byte for byte.
    let before = std::fs::read_to_string(&snap).unwrap();
    let (code, out, err) = support::squadsim_outside_ci(&["run", "--accept", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("ok      happy-intake") && !err.contains("written"), "{out}{err}");
    assert_eq!(std::fs::read_to_string(&snap).unwrap(), before);
}

#[test]
fn accept_never_writes_an_outcome_that_breaks_an_invariant_its_scenario_declares() {
    let file = declaring("accept-broken", |text| text.replace("launch_http_status: 403", "launch_http_status: 200"));
    let snap = file.parent().unwrap().join("snapshots/outcome@refused.yaml.snap");
    for pinned in [None, Some("sessions: [x]")] {
        match pinned {
            None => std::fs::remove_file(&snap).unwrap(),
            Some(line) => std::fs::write(&snap, format!("---\nsource: x\n---\n{line}\n")).unwrap(),
        }
        let before = std::fs::read_to_string(&snap).ok();
        let (code, out, err) = support::squadsim_outside_ci(&["run", "--accept", file.to_str().unwrap()]);
        assert_eq!(code, 1, "{out}{err}");
        assert!(out.contains("FAILED  operator-not-super-admin") && out.contains("expected 200, got 403"), "{out}");
        assert!(!err.contains("written"), "{err}");
        assert_eq!(std::fs::read_to_string(&snap).ok(), before, "the snapshot is left as it was");
    }
}

#[test]
fn a_snapshot_that_cannot_be_read_fails_the_run_and_accept_leaves_it() {
    let dir = support::scratch("unreadable-snapshot");
    let file = support::corpus_copy("operator-not-super-admin.yaml", &dir, "refused.yaml");
    let snap = dir.join("snapshots/outcome@refused.yaml.snap");
    std::fs::write(&snap, b"---\nsource: x\n---\nscenario: \xff\n").unwrap();
    for accept in [false, true] {
        let mut argv = vec!["run", file.to_str().unwrap()];
        argv.extend(accept.then_some("--accept"));
        let (code, out, err) = support::squadsim_outside_ci(&argv);
        assert_eq!(code, 1, "{out}{err}");
        assert!(
            out.contains(&format!(
                "FAILED  operator-not-super-admin (seed 3): cannot read the snapshot {}",
                snap.display()
            )) && out.contains("valid UTF-8"),
            "{out}"
        );
        assert!(!out.contains("NEW") && !err.contains("written"), "{out}{err}");
        assert_eq!(std::fs::read(&snap).unwrap(), b"---\nsource: x\n---\nscenario: \xff\n");
    }
}

#[test]
fn a_snapshot_whose_scenario_is_gone_is_warned_about_never_silently_dropped() {
    let dir = support::scratch("orphan-snapshot");
    std::fs::copy(support::corpus().join("happy-intake.yaml"), dir.join("happy.yaml")).unwrap();
    for name in ["happy", "removed-incident"] {
        std::fs::copy(
            support::corpus().join("snapshots/outcome@happy-intake.yaml.snap"),
            dir.join(format!("snapshots/outcome@{name}.yaml.snap")),
        )
        .unwrap();
    }
    let (code, out, err) = support::squadsim(&["run", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "what ran passed: {out}{err}");
    let orphan = dir.join("snapshots/outcome@removed-incident.yaml.snap");
    assert!(
        err.contains(&format!("warning: {} pins the outcome of a scenario that is not there", orphan.display())),
        "{err}"
    );
    assert!(
        out.ends_with("1 passed, 0 failed\nnot checked: 1 snapshot(s) without their scenario (see the warnings)\n"),
        "{out}"
    );
    // On GitHub it is a warning annotation on the snapshot, as failures are errors on their files.
    let reports = dir.join("reports");
    let (code, out, _) =
        support::squadsim(&["run", dir.to_str().unwrap(), "--format", "github", "--report", reports.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!(
            "::warning file={},title=squadsim%3A snapshot without its scenario::pins the outcome of a scenario that is not there",
            orphan.display()
        )),
        "{out}"
    );
    // The step summary and the test report say it too: a skipped input is never clean anywhere.
    let summary = std::fs::read_to_string(reports.join("summary.md")).unwrap();
    assert!(summary.starts_with("## squadsim: 1 passed, 0 failed, 1 not checked\n"), "{summary}");
    assert!(
        summary.contains(&format!("- ⚠️ {} pins the outcome of a scenario that is not there", orphan.display())),
        "{summary}"
    );
    let junit = std::fs::read_to_string(reports.join("junit.xml")).unwrap();
    assert!(junit.contains(&format!("{} (snapshot without its scenario)", orphan.display())), "{junit}");
    assert!(junit.contains("disabled=\"1\"") && junit.contains("<skipped message=\"pins the outcome"), "{junit}");
    // The JSON lists it beside the scenario's entry: read alone, it is never clean either.
    let (code, out, _) = support::squadsim(&["run", dir.to_str().unwrap(), "--json"]);
    assert_eq!(code, 0, "{out}");
    let entries: serde_json::Value = serde_json::from_str(&out).unwrap();
    let entries = entries.as_array().unwrap();
    assert_eq!(entries.len(), 2, "{out}");
    assert_eq!(entries[0]["verdict"], "matches", "{out}");
    assert_eq!(entries[1]["file"], orphan.display().to_string(), "{out}");
    assert_eq!(entries[1]["verdict"], "not_checked", "{out}");
    assert_eq!(entries[1]["passed"], false, "{out}");
    assert_eq!(entries[1]["kind"], "orphaned_snapshot", "{out}");
    // Naming the one scenario file runs that file alone: nothing to say about the others.
    let (_, out, err) = support::squadsim(&["run", dir.join("happy.yaml").to_str().unwrap()]);
    assert!(!err.contains("warning") && out.ends_with("1 passed, 0 failed\n"), "{out}{err}");
}

#[test]
fn scenarios_in_a_subdirectory_are_not_run_and_never_silently() {
    let dir = support::scratch("nested");
    std::fs::copy(support::corpus().join("happy-intake.yaml"), dir.join("happy.yaml")).unwrap();
    std::fs::copy(
        support::corpus().join("snapshots/outcome@happy-intake.yaml.snap"),
        dir.join("snapshots/outcome@happy.yaml.snap"),
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("nested")).unwrap();
    std::fs::copy(support::corpus().join("happy-intake.yaml"), dir.join("nested/inner.yml")).unwrap();
    let (code, out, err) = support::squadsim(&["run", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    let nested = dir.join("nested");
    assert!(err.contains(&format!("warning: {} holds scenarios that are not run", nested.display())), "{err}");
    assert!(
        out.ends_with("1 passed, 0 failed\nnot run: the scenarios of 1 unsearched directory(ies) (see the warnings)\n"),
        "{out}"
    );
    let (_, out, _) = support::squadsim(&["run", dir.to_str().unwrap(), "--format", "github"]);
    assert!(
        out.contains(&format!("::warning file={},title=squadsim%3A scenarios not run::", nested.display())),
        "{out}"
    );
    let (code, out, _) = support::squadsim(&["run", dir.to_str().unwrap(), "--json"]);
    assert_eq!(code, 0, "{out}");
    let entries: serde_json::Value = serde_json::from_str(&out).unwrap();
    let last = entries.as_array().and_then(|e| e.last()).unwrap();
    assert_eq!(last["file"], nested.display().to_string(), "{out}");
    assert_eq!(
        (&last["verdict"], &last["passed"], &last["kind"]),
        (&"not_checked".into(), &false.into(), &"unsearched_directory".into()),
        "{out}"
    );
    // `snapshots/` holds no scenario: no warning for it, nor for a directory without scenarios.
    std::fs::remove_file(nested.join("inner.yml")).unwrap();
    let (code, out, err) = support::squadsim(&["run", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(!err.contains("warning") && out.ends_with("1 passed, 0 failed\n"), "{out}{err}");
    // Only a subdirectory holds scenarios: nothing to run, and the error says where they are.
    let (code, _, err) = support::squadsim(&["run", dir.join("snapshots").to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    std::fs::copy(support::corpus().join("happy-intake.yaml"), nested.join("inner.yml")).unwrap();
    std::fs::remove_file(dir.join("happy.yaml")).unwrap();
    let (code, _, err) = support::squadsim(&["run", dir.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(&format!("{} holds some: name it", nested.display())), "{err}");
    // Named, it runs.
    let (code, out, err) = support::squadsim(&["run", "--seed", "1", nested.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("ran     happy-intake (seed 1)"), "{out}");
}

/// A sweep (and a determinism check) of a directory whose subdirectory holds scenarios
/// says so in every output: the terminal, GitHub's annotations, its JSON and results, the
/// merge of its shards and the merge's reports. Every seed of what ran passes: the exit stays 0.
#[test]
fn a_sweep_and_the_merge_of_its_shards_say_the_directory_it_did_not_search() {
    let dir = support::scratch("nested-sweep");
    std::fs::copy(support::corpus().join("happy-intake.yaml"), dir.join("happy.yaml")).unwrap();
    let nested = dir.join("nested");
    std::fs::create_dir_all(&nested).unwrap();
    std::fs::copy(support::corpus().join("happy-intake.yaml"), nested.join("inner.yml")).unwrap();
    let dir_arg = dir.to_str().unwrap();
    let warning = format!("warning: {} holds scenarios that are not run", nested.display());
    let totals = "not run: the scenarios of 1 unsearched directory(ies) (see the warnings)\n";
    let (code, out, err) = support::squadsim(&["run", dir_arg, "--seeds", "2"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains(&warning) && out.ends_with(totals), "{out}{err}");
    let (code, out, _) = support::squadsim(&["run", dir_arg, "--seeds", "2", "--format", "github"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!("::warning file={},title=squadsim%3A scenarios not run::", nested.display())),
        "{out}"
    );
    let determinism = std::process::Command::new(env!("CARGO_BIN_EXE_squadsim"))
        .args(["run", "--check-determinism", dir_arg])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&determinism.stdout);
    assert_eq!(determinism.status.code(), Some(0), "{out}");
    assert!(out.ends_with(&format!("1 deterministic, 0 failed, 0 could not be checked\n{totals}")), "{out}");
    let (code, out, _) = support::squadsim(&["run", dir_arg, "--seeds", "2", "--json"]);
    assert_eq!(code, 0, "{out}");
    let sweep: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        sweep["not_checked"],
        serde_json::json!([{"path": nested.display().to_string(), "kind": "unsearched_directory"}]),
        "{out}"
    );
    // Two shards, then their merge: the merged results, reports and terminal still say it.
    let reports = dir.join("sweep-reports");
    let mut shards = Vec::new();
    for index in 1..=2 {
        let results = dir.join(format!("shard-{index}.json"));
        let shard = format!("{index}/2");
        let (code, out, err) = support::squadsim(&[
            "run",
            dir_arg,
            "--seeds",
            "2",
            "--shard",
            &shard,
            "--results",
            results.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{out}{err}");
        shards.push(results);
    }
    let merged = dir.join("merged.json");
    let mut argv = vec!["merge-reports", "--out", merged.to_str().unwrap(), "--report", reports.to_str().unwrap()];
    argv.extend(shards.iter().map(|s| s.to_str().unwrap()));
    let (code, out, err) = support::squadsim(&argv);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains(&warning) && out.ends_with(totals), "{out}{err}");
    let merged: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&merged).unwrap()).unwrap();
    assert_eq!(merged["not_checked"], sweep["not_checked"]);
    let summary = std::fs::read_to_string(reports.join("summary.md")).unwrap();
    assert!(summary.starts_with("## squadsim sweep: 2 seeds, 2 passed, 0 failed, 1 not checked\n"), "{summary}");
    assert!(summary.contains(&format!("- ⚠️ {} holds scenarios that are not run", nested.display())), "{summary}");
    let junit = std::fs::read_to_string(reports.join("junit.xml")).unwrap();
    assert!(junit.contains(&format!("{} (scenarios not run)", nested.display())), "{junit}");
    assert!(junit.contains("<skipped message=\"holds scenarios that are not run"), "{junit}");
    let page = std::fs::read_to_string(reports.join("sweep.html")).unwrap();
    assert!(
        page.contains("<h2>Not checked (1)</h2>") && page.contains("every seed held; 1 input(s) not checked"),
        "{page}"
    );
}

#[test]
fn outputs_that_cannot_be_written_are_refused_before_anything_runs_and_missing_directories_are_made() {
    let dir = support::scratch("outputs");
    let file = support::corpus_file("happy-intake.yaml");
    let file = file.to_str().unwrap();
    std::fs::write(dir.join("a-file"), "").unwrap();
    let a_file = dir.join("a-file");
    let refused: [(&[&str], String); 3] = [
        (&["--seeds", "2", "--results"], dir.display().to_string()),
        (&["--report"], a_file.display().to_string()),
        (&["--trace"], dir.display().to_string()),
    ];
    for (flags, path) in &refused {
        let mut argv = vec!["run", file];
        argv.extend(flags.iter());
        argv.push(path);
        let (code, out, err) = support::squadsim(&argv);
        assert_eq!(code, 2, "{argv:?}: {out}{err}");
        assert!(err.contains("error: cannot write ") && err.contains(path.as_str()), "{err}");
        assert!(out.is_empty() && !err.contains("swept"), "nothing ran: {out}{err}");
    }
    // A flag where it means nothing is refused before any directory is made for it.
    let misplaced = [
        (vec!["--seeds", "2", "--trace"], dir.join("not-made/t.json"), "--trace records one run per scenario"),
        (vec!["--results"], dir.join("not-made-either/r.json"), "--results belongs to a seed sweep"),
        // Without a sweep these changed nothing: a plain run passing under `--swarm` read as a swarm that passed.
        (vec!["--swarm", "--report"], dir.join("not-made-swarm/r"), "--swarm belongs to a seed sweep"),
        (vec!["--jitter", "5s", "--report"], dir.join("not-made-jitter/r"), "--jitter belongs to a seed sweep"),
    ];
    for (flags, path, said) in misplaced {
        let mut argv = vec!["run", file];
        argv.extend(flags);
        argv.push(path.to_str().unwrap());
        let (code, out, err) = support::squadsim(&argv);
        assert_eq!(code, 2, "{out}{err}");
        assert!(err.contains(said), "{err}");
        assert!(!path.parent().unwrap().exists(), "{} was made", path.parent().unwrap().display());
    }
    let (code, out, err) = support::squadsim(&["run", file, "--check-determinism", "--jitter", "5s"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("--jitter belongs to a seed sweep") && out.is_empty(), "{out}{err}");
    // A results file and a trace in directories that do not exist yet: made, then written.
    let results = dir.join("new/deeper/results.json");
    let (code, out, err) = support::squadsim(&["run", file, "--seeds", "2", "--results", results.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(std::fs::read_to_string(&results).unwrap().contains("\"results\""));
    let trace = dir.join("traces/run.json");
    let (code, out, err) = support::squadsim(&["run", file, "--trace", trace.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(std::fs::read_to_string(&trace).unwrap().contains("traceEvents"));
}

#[test]
fn accept_that_cannot_write_a_snapshot_exits_2_naming_it_and_still_writes_the_others() {
    let dir = support::scratch("accept-unwritable");
    let stuck = support::corpus_copy("happy-intake.yaml", &dir, "stuck.yaml");
    let fresh = support::corpus_copy("operator-not-super-admin.yaml", &dir, "fresh.yaml");
    // A directory where the snapshot is written before it is renamed into place: the write fails.
    std::fs::create_dir(dir.join("snapshots/outcome@stuck.yaml.snap.partial")).unwrap();
    let (code, out, err) =
        support::squadsim_outside_ci(&["run", "--accept", stuck.to_str().unwrap(), fresh.to_str().unwrap()]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains(&format!("error: cannot write the snapshot of {}: ", stuck.display())), "{err}");
    assert!(out.contains("NEW     happy-intake (seed ") && out.contains("WROTE   operator-not-super-admin"), "{out}");
    assert!(!dir.join("snapshots/outcome@stuck.yaml.snap").exists(), "{out}");
    assert!(dir.join("snapshots/outcome@fresh.yaml.snap").is_file(), "the other scenario's snapshot is written");
}

#[test]
fn accept_runs_where_ci_is_set_to_false_0_or_nothing_as_insta_reads_it() {
    let dir = support::scratch("accept-not-ci");
    let file = support::corpus_copy("operator-not-super-admin.yaml", &dir, "fresh.yaml");
    let snap = dir.join("snapshots/outcome@fresh.yaml.snap");
    for ci in ["false", "0", ""] {
        let (code, out, err) = support::squadsim_with_env(&["run", "--accept", file.to_str().unwrap()], &[("CI", ci)]);
        assert_eq!(code, 0, "CI={ci:?}: {out}{err}");
        assert!(out.contains("WROTE   operator-not-super-admin") && snap.is_file(), "CI={ci:?}: {out}");
        std::fs::remove_file(&snap).unwrap();
    }
}

#[test]
fn accept_is_refused_under_ci_and_with_another_seed_and_writes_nothing() {
    let dir = support::scratch("accept-ci");
    let file = support::corpus_copy("operator-not-super-admin.yaml", &dir, "fresh.yaml");
    for ci in ["true", "1"] {
        let (code, out, err) = support::squadsim_with_env(&["run", "--accept", file.to_str().unwrap()], &[("CI", ci)]);
        assert_eq!(code, 2, "{out}{err}");
        assert!(err.contains("--accept writes snapshots, and CI is set"), "{err}");
    }
    for other in [&["--seed", "3"][..], &["--seeds", "2"], &["--check-determinism"]] {
        let mut argv = vec!["run", "--accept", file.to_str().unwrap()];
        argv.extend(other);
        let (code, _, err) = support::squadsim_outside_ci(&argv);
        assert_eq!(code, 2, "{other:?}: {err}");
        assert!(err.contains("cannot be used with"), "{err}");
    }
    assert_eq!(std::fs::read_dir(dir.join("snapshots")).unwrap().count(), 0, "nothing was written");
}

#[test]
fn help_teaches_the_format_with_an_example() {
    let (code, out, _) = support::squadsim(&["run", "--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("steps:") && out.contains("launch:") && out.contains("Exit status"), "{out}");
}

/// The example command lines of a `--help` (its lines that start with `squadsim `, a
/// trailing `\\` joined with the next), each up to its first shell redirection, pipe or
/// comment, split into words.
fn help_examples(help: &str) -> Vec<Vec<String>> {
    let mut examples = Vec::new();
    let mut lines = help.lines().map(str::trim);
    while let Some(line) = lines.next() {
        if !line.starts_with("squadsim ") {
            continue;
        }
        let mut command = line.to_string();
        while command.ends_with('\\') {
            command.pop();
            command.push(' ');
            command.push_str(lines.next().unwrap_or(""));
        }
        let words = command.split_whitespace().take_while(|w| !w.starts_with(['#', '>', '<', '|']));
        examples.push(words.map(String::from).collect());
    }
    examples
}

#[test]
fn every_commands_help_teaches_with_examples_that_parse_and_its_summary_stays_short() {
    use clap::Parser;
    for command in ["run", "lint", "wire", "serve", "conform", "schema", "merge-reports", "explain"] {
        let (code, long, _) = support::squadsim(&[command, "--help"]);
        assert_eq!(code, 0);
        let examples = help_examples(&long);
        assert!(examples.iter().any(|w| w[1] == command), "`squadsim {command} --help` gives no example:\n{long}");
        for words in &examples {
            if let Err(e) = squadsim::tools::cli::Cli::try_parse_from(words) {
                panic!("`squadsim {command} --help`'s example {words:?} does not parse: {e}");
            }
        }
        let (_, short, _) = support::squadsim(&[command, "-h"]);
        assert!(help_examples(&short).is_empty(), "`squadsim {command} -h` should stay short:\n{short}");
    }
    let (_, serve, _) = support::squadsim(&["serve", "--help"]);
    assert!(serve.contains("squadsim serve --port studio=28088 --port github=0"), "{serve}");
    let (_, conform, _) = support::squadsim(&["conform", "--help"]);
    assert!(
        conform.contains("squadsim conform --base-url http://127.0.0.1:18088 --email oncall@yamon.io --launch"),
        "{conform}"
    );
}

#[test]
fn lint_help_shows_the_suppression_comment_the_lint_reads() {
    let (_, help, _) = support::squadsim(&["lint", "--help"]);
    let comment = help.lines().map(str::trim).find(|l| l.starts_with("// squadsim-lint allow")).expect("an example");
    let dir = support::scratch("lint-help");
    let file = dir.join("pods.rs");
    // squadsim-lint allow-next-line bare-runtime -- the name the lint's example suppresses, quoted
    std::fs::write(&file, "fn main() {\n    let runtime = 1;\n}\n").unwrap();
    let (code, out, err) = support::squadsim(&["lint", "--no-config", dir.to_str().unwrap()]);
    assert_eq!(code, 1, "the bare name is reported unsuppressed: {out}{err}");
    assert!(out.contains("bare-runtime"), "{out}");
    // squadsim-lint allow-next-line bare-runtime -- the name the lint's example suppresses, quoted
    std::fs::write(&file, format!("fn main() {{\n    let runtime = 1; {comment}\n}}\n")).unwrap();
    let (code, out, err) = support::squadsim(&["lint", "--no-config", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "`{comment}` silences its line: {out}{err}");
}

#[test]
fn wire_help_shows_what_normalize_prints() {
    let (_, help, _) = support::squadsim(&["wire", "--help"]);
    let shown = help.split("--normalize prints").nth(1).expect("the --normalize paragraph");
    let (before, after) = shown.split_once(" becomes ").expect("X becomes Y");
    let before = &before[before.find('{').unwrap()..];
    let after = &after[..after.rfind('}').unwrap() + 1];
    let dir = support::scratch("wire-help");
    let file = dir.join("legacy.json");
    std::fs::write(&file, before).unwrap();
    let (code, out, err) = support::squadsim(&["wire", "--normalize", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    let printed: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(printed, serde_json::from_str::<serde_json::Value>(after).unwrap(), "{help}");
    assert!(err.contains("target_agent_id"), "the alias is noted: {err}");
}

#[test]
fn the_published_schema_is_the_generated_one() {
    let (code, out, _) = support::squadsim(&["schema"]);
    assert_eq!(code, 0);
    let committed = std::fs::read_to_string(support::corpus().join("scenario.schema.json")).unwrap();
    assert_eq!(out, committed, "scenarios/scenario.schema.json is stale: regenerate it with `squadsim schema > scenarios/scenario.schema.json`");
}

/// happy-intake with a 15 s horizon: the operator is still watching when it passes.
fn unfinished(dir: &Path) -> PathBuf {
    let file = dir.join("short.yaml");
    let text = std::fs::read_to_string(support::corpus().join("happy-intake.yaml")).unwrap();
    std::fs::write(&file, text.replacen("world:\n", "world:\n  horizon: 15s\n", 1)).unwrap();
    file
}

#[test]
fn a_run_that_does_not_finish_fails_even_when_its_snapshot_matches_and_says_what_was_running() {
    let dir = support::scratch("unfinished");
    let file = unfinished(&dir);
    // Pin the unfinished outcome itself: matching it must still not be green.
    let outcome = crate::support::run(&squadsim::Scenario::load(&file).unwrap());
    assert!(!outcome.finished);
    std::fs::write(
        dir.join("snapshots/outcome@short.yaml.snap"),
        format!("---\nsource: test\n---\n{}", outcome.to_yaml()),
    )
    .unwrap();
    let (code, out, _) = support::squadsim(&["run", file.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with("FAILED  happy-intake (seed 1): did not finish: the horizon (15.0s) passed while the operator was at steps[4] (watch); sessions not settled: planner ("),
        "{out}"
    );
    assert!(
        out.contains(", curator (") && out.contains(" at "),
        "each unsettled session with its status and step: {out}"
    );
    assert!(out.ends_with("0 passed, 1 failed\n"), "{out}");

    let (code, out, _) = support::squadsim(&["run", file.to_str().unwrap(), "--seed", "4", "--format", "github"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAILED  happy-intake (seed 4): did not finish") && out.contains("::error file="), "{out}");

    let (code, out, _) = support::squadsim(&["run", file.to_str().unwrap(), "--json"]);
    assert_eq!(code, 1, "{out}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json[0]["passed"], false);
    assert!(json[0]["message"].as_str().unwrap().starts_with("did not finish"), "{out}");

    let reports = dir.join("reports");
    let (code, _, _) = support::squadsim(&["run", file.to_str().unwrap(), "--report", reports.to_str().unwrap()]);
    assert_eq!(code, 1);
    let junit = std::fs::read_to_string(reports.join("junit.xml")).unwrap();
    assert!(junit.contains("<failure") && junit.contains("did not finish"), "{junit}");
    let summary = std::fs::read_to_string(reports.join("summary.md")).unwrap();
    assert!(summary.starts_with("## squadsim: 0 passed, 1 failed") && summary.contains("❌"), "{summary}");
}

/// The determinism check of a run that stops at its horizon: the same in both processes,
/// and still a failure (exit 1), with the command that checks it again.
#[test]
fn the_determinism_check_fails_a_run_that_does_not_reach_its_end() {
    let dir = support::scratch("unfinished-determinism");
    let file = unfinished(&dir);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_squadsim"))
        .args(["run", "--check-determinism"])
        .arg(&file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let seed = squadsim::Scenario::load(&file).unwrap().seed;
    assert!(
        stdout.contains(&format!(
            "FAILED  happy-intake (seed {seed}): the run did not reach its end (the same in both processes: "
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("    reproduce: squadsim run {} --seed {seed} --check-determinism\n", file.display())),
        "{stdout}"
    );
    assert!(stdout.ends_with("0 deterministic, 1 failed, 0 could not be checked\n"), "{stdout}");
}

#[test]
fn a_sweep_fails_a_seed_that_does_not_finish_and_refuses_to_declare_finished_false() {
    let dir = support::scratch("unfinished-sweep");
    let file = unfinished(&dir);
    let (code, out, _) = support::squadsim(&["run", file.to_str().unwrap(), "--seeds", "2", "--jobs", "1"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAILED  happy-intake: 2 of 2 seeds break"), "{out}");
    assert!(out.contains("error: expected none, got did not finish"), "{out}");

    let excused = dir.join("excused.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&excused, text.replace("invariants: {", "invariants: {finished: false, ")).unwrap();
    let (code, out, err) = support::squadsim(&["run", excused.to_str().unwrap(), "--seeds", "2", "--jobs", "1"]);
    assert_eq!(code, 2, "{out}");
    assert!(err.contains("invariants.finished") && err.contains("cannot hold"), "{err}");
}

#[test]
fn a_project_whose_world_cannot_be_built_is_exit_2_naming_the_file() {
    let dir = support::scratch("unbuildable");
    let file = dir.join("empty-slug.yaml");
    let text = std::fs::read_to_string(support::corpus().join("happy-intake.yaml")).unwrap();
    std::fs::write(&file, text.replace("{slug: sanmopia-modernization, code: sanm}", "{slug: \"\", code: sanm}"))
        .unwrap();
    for extra in [&[][..], &["--seed", "3"][..], &["--json"][..]] {
        let mut args = vec!["run", file.to_str().unwrap()];
        args.extend_from_slice(extra);
        let (code, out, err) = support::squadsim(&args);
        assert_eq!(code, 2, "{extra:?}: {out}{err}");
        assert!(err.contains("empty-slug.yaml"), "{err}");
        // Refused at load (the loader checks what the fakes need) or at build: never a pass.
        assert!(!out.contains("1 passed") && !out.contains("\"passed\": true"), "{out}");
    }
}

#[test]
fn one_run_that_fails_does_not_hide_the_others_in_a_corpus_run() {
    let dir = support::scratch("mixed");
    let short = unfinished(&dir);
    std::fs::copy(support::corpus().join("operator-not-super-admin.yaml"), dir.join("operator-not-super-admin.yaml"))
        .unwrap();
    std::fs::copy(
        support::corpus().join("snapshots/outcome@operator-not-super-admin.yaml.snap"),
        dir.join("snapshots/outcome@operator-not-super-admin.yaml.snap"),
    )
    .unwrap();
    let (code, out, _) = support::squadsim(&["run", dir.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("ok      operator-not-super-admin (seed 3)"), "{out}");
    assert!(out.contains("FAILED  happy-intake (seed 1): did not finish"), "{out} ({})", short.display());
    assert!(out.ends_with("1 passed, 1 failed\n"), "{out}");
}

#[test]
fn the_readme_and_every_help_give_the_same_exit_statuses() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md")).unwrap();
    let (_, top, _) = support::squadsim(&["--help"]);
    for (name, ok, failed, unusable) in squadsim::tools::cli::EXIT_STATUSES {
        let row = format!("| `{name}` | {ok} | {failed} | {unusable} |");
        assert!(readme.contains(&row), "the README's exit status table lacks\n{row}");
        assert!(top.contains(&format!("  {name}\n    0  {ok}\n")), "`squadsim --help` lacks {name}:\n{top}");
        let command = name.split_whitespace().next().unwrap();
        let (code, help, _) = support::squadsim(&[command, "--help"]);
        assert_eq!(code, 0);
        for (status, meaning) in [(0, ok), (1, failed), (2, unusable)].into_iter().filter(|(_, m)| !m.is_empty()) {
            assert!(
                help.contains(&format!("    {status}  {meaning}\n")),
                "`squadsim {command} --help` lacks {status}:\n{help}"
            );
        }
    }
}

#[test]
fn a_scenario_name_with_an_ansi_escape_is_printed_escaped_on_the_run_line() {
    let dir = support::scratch("ansi-name");
    let file = dir.join("ansi.yaml");
    let text = std::fs::read_to_string(support::corpus().join("operator-not-super-admin.yaml")).unwrap();
    let text = text.replacen("name: operator-not-super-admin", "name: \"red\\e[31mname\\e[0m\"", 1);
    assert!(text.contains("\\e[31m"), "the scenario names itself");
    std::fs::write(&file, text).unwrap();
    let (_, out, err) = support::squadsim(&["run", file.to_str().unwrap(), "--seed", "3"]);
    assert!(!out.contains('\u{1b}') && !err.contains('\u{1b}'), "{out:?}{err:?}");
    assert!(out.contains("red\\u{1b}[31mname\\u{1b}[0m (seed 3)"), "{out}");
}

#[test]
fn the_reports_of_a_run_under_another_seed_say_its_snapshot_was_not_compared() {
    let dir = support::scratch("reports-another-seed");
    let file = support::corpus_file("wrong-project-slug.yaml");
    let read = |reports: &std::path::Path| {
        let junit = std::fs::read_to_string(reports.join("junit.xml")).unwrap();
        let summary = std::fs::read_to_string(reports.join("summary.md")).unwrap();
        (junit, summary)
    };
    let another = dir.join("another-seed");
    let (code, out, err) =
        support::squadsim(&["run", file.to_str().unwrap(), "--seed", "5", "--report", another.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    let (junit, summary) = read(&another);
    let said = "not compared: run under another seed than its own (--seed)";
    assert!(junit.contains(&format!(r#"<property name="snapshot" value="{said}"/>"#)), "{junit}");
    assert!(junit.contains(&format!("<system-out>snapshot {said}</system-out>")), "{junit}");
    assert!(
        summary.starts_with(
            "## squadsim: 1 passed, 0 failed (1 under another seed than their own: not compared with their snapshots)\n"
        ),
        "{summary}"
    );
    // Under its own seed the snapshot was compared, and the reports say nothing more.
    let own = dir.join("own-seed");
    let (code, out, err) = support::squadsim(&["run", file.to_str().unwrap(), "--report", own.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    let (junit, summary) = read(&own);
    assert!(!junit.contains(r#"name="snapshot""#), "{junit}");
    assert!(summary.starts_with("## squadsim: 1 passed, 0 failed\n"), "{summary}");
}
