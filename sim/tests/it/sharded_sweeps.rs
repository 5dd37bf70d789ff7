//! A sweep spread over machines: the merge of its N shards' results files is
//! the unsharded sweep, whatever N (one shard, several, more shards than
//! items), whatever order the scenario files were named in, failing seeds
//! included: the same (scenario, seed) results in the same order, the same
//! verdicts and reproduce commands, the same JUnit and summary reports. Only
//! what cannot be equal differs: which shards the results cover, and wall time.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support;

/// A sweep's results file with what only a sharded run can differ in removed:
/// `shards` (the merge covers 1/N..N/N, the whole sweep 1/1) and each seed's
/// `wall_ms` (real time, not a verdict). Everything else must be equal.
pub(crate) fn verdicts(results: &Path) -> Value {
    let text = std::fs::read_to_string(results).unwrap_or_else(|e| panic!("{}: {e}", results.display()));
    let mut value: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", results.display()));
    let sweep = value.as_object_mut().expect("a results object");
    assert!(sweep.remove("shards").is_some(), "{}: no shards", results.display());
    for result in sweep.get_mut("results").and_then(Value::as_array_mut).expect("results") {
        assert!(result.as_object_mut().unwrap().remove("wall_ms").is_some(), "{}: no wall_ms", results.display());
    }
    value
}

/// Runs `squadsim run` in `dir` with `args`, expecting exit 0 or 1 (a verdict).
fn sweep(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_squadsim"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("squadsim runs");
    let code = out.status.code();
    assert!(
        matches!(code, Some(0 | 1)),
        "squadsim {args:?}: exit {code:?}\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A workspace holding `operator-not-super-admin`, `happy-intake` with an
/// invariant every seed breaks, and `wrong-project-slug` under `scenarios/`;
/// the files named out of name order.
pub(crate) fn workspace(name: &str) -> (PathBuf, Vec<&'static str>) {
    let dir = support::scratch(name);
    let scenarios = dir.join("scenarios");
    std::fs::create_dir_all(&scenarios).unwrap();
    for file in ["operator-not-super-admin.yaml", "wrong-project-slug.yaml"] {
        std::fs::copy(support::corpus_file(file), scenarios.join(file)).unwrap();
    }
    let intake = std::fs::read_to_string(support::corpus_file("happy-intake.yaml")).unwrap();
    let body: String = intake.lines().filter(|l| !l.starts_with("invariants:")).map(|l| format!("{l}\n")).collect();
    std::fs::write(scenarios.join("happy-intake.yaml"), format!("{body}invariants: {{run_status: blocked}}\n"))
        .unwrap();
    (
        dir,
        vec![
            "scenarios/wrong-project-slug.yaml",
            "scenarios/happy-intake.yaml",
            "scenarios/operator-not-super-admin.yaml",
        ],
    )
}

#[test]
fn the_merge_of_n_shards_results_is_the_unsharded_sweep() {
    let (dir, files) = workspace("merge-equals-whole");
    let seeds = ["--seeds", "3"];
    let whole_args: Vec<&str> = ["run"]
        .iter()
        .chain(&files)
        .chain(&seeds)
        .chain(&["--results", "whole.json", "--report", "whole"])
        .copied()
        .collect();
    sweep(&dir, &whole_args);
    let whole = verdicts(&dir.join("whole.json"));
    let failing =
        whole["results"].as_array().unwrap().iter().filter(|r| r["violations"] != Value::Array(vec![])).count();
    assert_eq!(failing, 3, "every happy-intake seed breaks its invariant: {whole:#}");
    let read = |path: PathBuf| std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));

    // 9 (scenario, seed) items: one shard, several, and more shards than items (some empty).
    for count in [1usize, 2, 4, 11] {
        let mut parts = Vec::new();
        for index in 1..=count {
            let shard = format!("{index}/{count}");
            let results = format!("shard-{index}-of-{count}.json");
            let args: Vec<&str> = ["run"]
                .iter()
                .chain(&files)
                .chain(&seeds)
                .chain(&["--shard", shard.as_str(), "--results", results.as_str()])
                .copied()
                .collect();
            sweep(&dir, &args);
            parts.push(results);
        }
        // The merge reads its shards in any order.
        parts.reverse();
        let merged = format!("merged-{count}.json");
        let report = format!("merged-{count}");
        let mut args = vec!["merge-reports", "--out", merged.as_str(), "--report", report.as_str()];
        args.extend(parts.iter().map(String::as_str));
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_squadsim"))
            .current_dir(&dir)
            .args(&args)
            .output()
            .expect("squadsim runs");
        assert_eq!(out.status.code(), Some(1), "3 seeds fail: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(verdicts(&dir.join(&merged)), whole, "{count} shards merged = the unsharded sweep");
        for file in ["junit.xml", "summary.md"] {
            assert_eq!(
                read(dir.join(&report).join(file)),
                read(dir.join("whole").join(file)),
                "{count} shards: {file} = the unsharded sweep's"
            );
        }
    }
}

/// Shards that read a scenario file with other contents under the same name (run from
/// two checkouts, or an image rebuilt in between) are two sweeps: the merge refuses them
/// and names the file, rather than judging seeds of one scenario by another's.
#[test]
fn shards_that_read_different_contents_of_a_scenario_are_not_merged() {
    let (dir, files) = workspace("merge-edited-between-shards");
    let shard = |index: &str| {
        let results = format!("shard-{index}.json");
        let shard = format!("{index}/2");
        let mut args = vec!["run"];
        args.extend(&files);
        args.extend(["--seeds", "2", "--shard", shard.as_str(), "--results", results.as_str()]);
        sweep(&dir, &args);
    };
    shard("1");
    let edited = dir.join("scenarios/wrong-project-slug.yaml");
    let text = std::fs::read_to_string(&edited).unwrap();
    std::fs::write(&edited, format!("# edited after shard 1 ran\n{text}")).unwrap();
    shard("2");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_squadsim"))
        .current_dir(&dir)
        .args(["merge-reports", "shard-1.json", "shard-2.json"])
        .output()
        .expect("squadsim runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("the files are not shards of one sweep: different scenario file contents (shard-1.json: scenarios/wrong-project-slug.yaml sha256 "),
        "{err}"
    );
    assert!(!err.contains("happy-intake") && out.stdout.is_empty(), "only the edited file is named: {err}");
}
