//! Seed sweeps through the binary: invariants instead of snapshots, failing
//! seeds with the command that reproduces them, shards that merge back into
//! the whole, the same verdicts on any number of jobs, and shrinking.

use crate::support;
use std::path::{Path, PathBuf};

/// `happy-intake` with its invariants replaced by `invariants` and `faults` added.
fn intake_variant(dir: &Path, invariants: &str, faults: &str) -> PathBuf {
    let text = std::fs::read_to_string(support::corpus_file("happy-intake.yaml")).unwrap();
    let body: String = text.lines().filter(|l| !l.starts_with("invariants:")).map(|l| format!("{l}\n")).collect();
    let file = dir.join("intake.yaml");
    std::fs::write(&file, format!("{body}invariants: {invariants}\n{faults}")).unwrap();
    file
}

/// `squadsim run ARGS --results DIR/NAME.json`, which must hold every seed: the results, in the sweep's order.
fn holding_results(dir: &Path, name: &str, args: &[&str]) -> Vec<serde_json::Value> {
    let results = dir.join(format!("{name}.json"));
    let (code, out, err) = support::squadsim(&[&["run"], args, &["--results", results.to_str().unwrap()]].concat());
    assert_eq!(code, 0, "{args:?}: {out}{err}");
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(results).unwrap()).unwrap();
    v["results"].as_array().unwrap().clone()
}

#[test]
fn a_sweep_that_holds_its_invariants_exits_0_with_one_line_per_scenario() {
    let (code, out, err) =
        support::squadsim(&["run", support::corpus_file("happy-intake.yaml").to_str().unwrap(), "--seeds", "3"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("ok      happy-intake: 3 seeds hold (run_status, blockers, sessions, launch_http_status)"),
        "{out}"
    );
    assert!(out.contains("3 seeds: 3 passed, 0 failed ("), "{out}");
    assert!(out.contains(" jobs, jitter 500ms, ") && !out.contains(", shard"), "a whole sweep names no shard: {out}");
    // Shard 1/1 is the whole sweep, and says no shard either.
    let (code, out, err) = support::squadsim(&[
        "run",
        support::corpus_file("happy-intake.yaml").to_str().unwrap(),
        "--seeds=1",
        "--shard=1/1",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("1 seeds: 1 passed, 0 failed (") && !out.contains(", shard"), "{out}");
}

/// Each scenario's line says what was checked of it: the invariant fields it declares, or
/// that only the simulation's stopping without an error was (none declared, or `{}`).
#[test]
fn a_sweeps_line_says_what_it_checked_when_a_scenario_declares_no_invariant() {
    let dir = support::scratch("no-invariants");
    let text = std::fs::read_to_string(support::corpus_file("happy-intake.yaml")).unwrap();
    let body: String = text.lines().filter(|l| !l.starts_with("invariants:")).map(|l| format!("{l}\n")).collect();
    let none = dir.join("none.yaml");
    std::fs::write(&none, &body).unwrap();
    let (code, out, err) = support::squadsim(&["run", none.to_str().unwrap(), "--seeds", "2"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains(
            "ok      happy-intake: 2 seeds hold (no invariants declared: only that the simulation stops without an error)"
        ),
        "{out}"
    );
    let empty = intake_variant(&dir, "{}", "");
    let (code, out, err) = support::squadsim(&["run", empty.to_str().unwrap(), "--seeds", "2"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("ok      happy-intake: 2 seeds hold (invariants: {} declares nothing but that the simulation stops without an error)"),
        "{out}"
    );
}

#[test]
fn every_failing_seed_is_printed_with_a_command_that_reproduces_it() {
    let dir = support::scratch("failing");
    let file = intake_variant(&dir, "{run_status: blocked}", "");
    let (code, out, _) = support::squadsim(&["run", file.to_str().unwrap(), "--seed-range", "5..7"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAILED  happy-intake: 2 of 2 seeds break (run_status)"), "{out}");
    assert!(out.contains("seed 5: run_status: expected blocked, got completed"), "{out}");
    let command =
        out.lines().find_map(|l| l.trim().strip_prefix("reproduce: squadsim ")).expect("a reproduce line").to_string();
    assert!(command.contains("--seed-range 5..=5"), "{command}");
    let args: Vec<&str> = command.split(' ').collect();
    let (code, again, _) = support::squadsim(&args);
    assert_eq!(code, 1, "{again}");
    assert!(again.contains("seed 5: run_status: expected blocked, got completed"), "{again}");
    assert!(again.contains("1 seeds: 0 passed, 1 failed"), "{again}");
}

#[test]
fn shards_cover_the_sweep_once_and_merge_back_into_it() {
    let dir = support::scratch("shards");
    let file = support::corpus_file("wrong-project-slug.yaml");
    let shard = |i: usize| {
        let results = dir.join(format!("shard-{i}.json"));
        let shard = format!("{i}/3");
        let (code, out, err) = support::squadsim(&[
            "run",
            file.to_str().unwrap(),
            support::corpus_file("operator-not-super-admin.yaml").to_str().unwrap(),
            "--seeds",
            "4",
            "--shard",
            &shard,
            "--results",
            results.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{out}{err}");
        results
    };
    let files: Vec<PathBuf> = (1..=3).map(shard).collect();
    let merged = dir.join("merged.json");
    let mut args = vec!["merge-reports", "--out", merged.to_str().unwrap()];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    let (code, out, err) = support::squadsim(&args);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("8 seeds: 8 passed, 0 failed (shards 1/3, 2/3, 3/3)"), "{out}");
    let merged: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&merged).unwrap()).unwrap();
    let mut seen: Vec<(String, u64)> = merged["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["scenario"].as_str().unwrap().to_string(), r["seed"].as_u64().unwrap()))
        .collect();
    seen.dedup();
    assert_eq!(seen.len(), 8, "every (scenario, seed) exactly once: {seen:?}");
    // A shard given twice is refused.
    let (code, _, err) = support::squadsim(&["merge-reports", files[0].to_str().unwrap(), files[0].to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("given twice"), "{err}");
}

#[test]
fn verdicts_do_not_depend_on_the_number_of_jobs() {
    let dir = support::scratch("jobs");
    let file = support::corpus_file("first-tool-no-tool-call.yaml");
    let verdicts = |jobs: &str| {
        holding_results(&dir, &format!("jobs-{jobs}"), &[file.to_str().unwrap(), "--seeds", "4", "--jobs", jobs])
            .iter()
            .map(|r| {
                (r["seed"].as_u64().unwrap(), r["simulated"].as_str().unwrap().to_string(), r["violations"].clone())
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(verdicts("1"), verdicts("2"));
}

#[test]
fn shrink_narrows_the_fault_schedule_to_the_fault_that_matters() {
    let dir = support::scratch("shrink");
    let faults = "faults:\n  - partition: {between: [github, datahub], at: 2s}\n  - partition: {between: [daytona, contextforge], at: 1s}\n  - crash: {host: playwright, at: 20m}\n";
    let file = intake_variant(&dir, "{run_status: completed, blockers: []}", faults);
    // Beside a scenario whose seed holds: only a failing seed is shrunk.
    let holding = support::corpus_file("wrong-project-slug.yaml");
    let (code, out, err) =
        support::squadsim(&["run", holding.to_str().unwrap(), file.to_str().unwrap(), "--seeds", "1", "--shrink"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("ok      wrong-project-slug: 1 seeds hold"), "{out}");
    let shrunk: Vec<&str> = err.lines().filter(|l| l.starts_with("shrinking the faults of")).collect();
    assert_eq!(shrunk, ["shrinking the faults of happy-intake seed 1 ..."], "{err}");
    assert!(out.contains("blockers: expected [], got [agent_first_tool_required]"), "{out}");
    let schedule: Vec<&str> =
        out.lines().skip_while(|l| !l.contains("smallest failing fault schedule")).skip(1).map(str::trim).collect();
    let faults: Vec<&&str> = schedule.iter().filter(|l| l.starts_with("- ") && l.ends_with(':')).collect();
    assert_eq!(faults.len(), 1, "{out}");
    assert!(faults[0].contains("partition"), "{out}");
    assert!(
        schedule.iter().any(|l| l.contains("- daytona")) && schedule.iter().any(|l| l.contains("- contextforge")),
        "{out}"
    );
    assert!(schedule.iter().any(|l| l.starts_with("until:")), "the window is bounded: {out}");
}

#[test]
fn shrink_keeps_an_event_triggered_faults_event_and_finds_the_shortest_length_that_fails() {
    let dir = support::scratch("shrink-event");
    let faults = "faults:\n  - partition: {between: [daytona, contextforge], on: run_launched, lasts: 20m}\n";
    let file = intake_variant(&dir, "{run_status: completed, blockers: []}", faults);
    let (code, out, err) = support::squadsim(&["run", file.to_str().unwrap(), "--seeds", "1", "--shrink"]);
    assert_eq!(code, 1, "{out}{err}");
    let schedule: Vec<&str> =
        out.lines().skip_while(|l| !l.contains("smallest failing fault schedule")).skip(1).map(str::trim).collect();
    assert!(schedule.contains(&"on: run_launched"), "the fault still begins on its event: {out}");
    let lasts = schedule.iter().find_map(|l| l.strip_prefix("lasts: ")).expect("a length");
    let lasts = squadsim::scenario::SimDuration::parse(lasts).unwrap().0;
    assert!(lasts < std::time::Duration::from_secs(20 * 60), "narrowed from 20m: {out}");

    // The shrunk length fails; one tick (happy-intake's 40ms) shorter holds.
    let verdict = |length: std::time::Duration| {
        let text = std::fs::read_to_string(&file).unwrap();
        let length = String::from(squadsim::scenario::SimDuration(length));
        std::fs::write(&file, text.replace("lasts: 20m", &format!("lasts: {length}"))).unwrap();
        let (code, out, err) =
            support::squadsim(&["run", file.to_str().unwrap(), "--seed-range", "1..=1", "--jitter", "500ms"]);
        std::fs::write(&file, text).unwrap();
        assert!(code == 0 || code == 1, "{out}{err}");
        code
    };
    assert_eq!(verdict(lasts), 1, "the shrunk schedule fails");
    assert_eq!(verdict(lasts - std::time::Duration::from_millis(40)), 0, "one tick shorter holds");
}

#[test]
fn invariants_naming_unknown_codes_are_refused_with_file_and_line() {
    let dir = support::scratch("invalid");
    let file = intake_variant(&dir, "{blockers: [agent_stuck]}", "");
    let (code, _, err) = support::squadsim(&["run", file.to_str().unwrap(), "--seeds", "1"]);
    assert_eq!(code, 2, "{err}");
    let lines = std::fs::read_to_string(&file).unwrap().lines().count();
    assert!(err.contains(&format!("intake.yaml:{lines}:")), "{err}");
    assert!(err.contains("invariants.blockers[0]") && err.contains("unknown blocker code `agent_stuck`"), "{err}");
}

#[test]
fn sweep_flags_without_a_sweep_are_a_usage_error() {
    let (code, _, err) =
        support::squadsim(&["run", support::corpus_file("happy-intake.yaml").to_str().unwrap(), "--shard", "1/2"]);
    assert_eq!(code, 2);
    assert!(err.contains("--shard belongs to a seed sweep"), "{err}");
    let (code, _, err) = support::squadsim(&["run", "--seeds", "3", "--shard", "3/2"]);
    assert_eq!(code, 2);
    assert!(err.contains("1 <= I <= N"), "{err}");
}

/// A pipe gets plain lines, in CI or on a developer's machine (only a terminal outside CI gets the bar).
#[test]
fn progress_is_plain_lines_when_not_on_a_terminal() {
    let file = support::corpus_file("wrong-project-slug.yaml");
    let args = ["run", file.to_str().unwrap(), "--seeds", "2"];
    for (code, _, err) in [support::squadsim_with_env(&args, &[("CI", "true")]), support::squadsim_outside_ci(&args)] {
        assert_eq!(code, 0, "{err}");
        assert!(err.contains("swept 1/2 seeds, 0 failed") && err.contains("swept 2/2 seeds, 0 failed"), "{err}");
        assert!(!err.contains('\r'), "no bar redrawn in place: {err:?}");
    }
}

/// A sweep's `--report DIR` holds a run report for each failing seed, the first ten of
/// a scenario at most, and none for a seed that held, of any scenario.
#[test]
fn a_sweeps_reports_hold_run_reports_of_failing_seeds_only_ten_a_scenario() {
    let dir = support::scratch("sweep-run-reports");
    let failing = intake_variant(&dir, "{run_status: blocked}", "");
    let holding = support::corpus_file("wrong-project-slug.yaml");
    let report = dir.join("report");
    let (code, out, err) = support::squadsim(&[
        "run",
        holding.to_str().unwrap(),
        failing.to_str().unwrap(),
        "--seed-range",
        "1..=12",
        "--report",
        report.to_str().unwrap(),
        "--results",
        report.join("results.json").to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("FAILED  happy-intake: 12 of 12 seeds break (run_status)"), "{out}");
    let mut pages: Vec<String> = std::fs::read_dir(&report)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".html") && n != "sweep.html")
        .collect();
    pages.sort();
    let mut expected: Vec<String> = (1..=10).map(|seed| format!("intake.seed-{seed}.html")).collect();
    expected.sort();
    assert_eq!(pages, expected);
    // Each page is the run the sweep checked (its network, its simulated time), run again.
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report.join("results.json")).unwrap()).unwrap();
    let reported: Vec<&serde_json::Value> = results["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["file"].as_str().unwrap().ends_with("intake.yaml") && r["seed"].as_u64().unwrap() <= 10)
        .collect();
    assert_eq!(reported.len(), 10, "{results}");
    for r in reported {
        let seed = r["seed"].as_u64().unwrap();
        let page = std::fs::read_to_string(report.join(format!("intake.seed-{seed}.html"))).unwrap();
        let simulated = r["simulated"].as_str().unwrap();
        assert!(page.contains(&format!(" · {simulated} simulated · ")), "seed {seed}: {simulated}");
    }
}

/// A seed's `wall_ms` is its simulation's wall time in milliseconds: inside the
/// command's own wall time, and more than the microsecond no simulation runs in.
#[test]
fn a_seeds_wall_time_is_milliseconds_inside_the_commands_own() {
    let dir = support::scratch("wall-ms");
    let started = std::time::Instant::now();
    let results = holding_results(
        &dir,
        "results",
        &[support::corpus_file("happy-intake.yaml").to_str().unwrap(), "--seeds", "3"],
    );
    let command_ms = started.elapsed().as_secs_f64() * 1000.0;
    for r in &results {
        let ms = r["wall_ms"].as_f64().unwrap();
        assert!(ms > 0.001 && ms < command_ms, "{ms} ms, the command {command_ms} ms: {r}");
    }
}

/// Each seed's result keeps when its run's blockers appeared (the sweep report's
/// histogram): nothing for a run that raised none (its handoffs are not blockers),
/// for one that did a simulated time per blocker raised (as many as the coverage
/// probes counted), in time order.
#[test]
fn a_seeds_result_keeps_when_its_blockers_appeared_and_nothing_else() {
    let (intake, blocked) =
        (support::corpus_file("happy-intake.yaml"), support::corpus_file("first-tool-gateway-partition.yaml"));
    let args = [intake.to_str().unwrap(), blocked.to_str().unwrap(), "--seeds", "2"];
    for r in &holding_results(&support::scratch("blockers-at"), "results", &args) {
        let at = r["blockers_at"].as_array().cloned().unwrap_or_default();
        if r["scenario"] == "happy-intake" {
            assert!(at.is_empty(), "a run that raised no blocker (handoffs are not blockers): {r}");
        } else {
            assert!(!at.is_empty(), "the first-tool block: {r}");
            let raised: u64 = r["probes"]
                .as_object()
                .unwrap()
                .iter()
                .filter(|(probe, _)| probe.starts_with("blocker:"))
                .map(|(_, hits)| hits.as_u64().unwrap())
                .sum();
            assert_eq!(at.len() as u64, raised, "a time per blocker raised: {r}");
            let seconds: Vec<f64> =
                at.iter().map(|t| t.as_str().and_then(|t| t.strip_suffix('s')).unwrap().parse().unwrap()).collect();
            assert!(seconds.windows(2).all(|w| w[0] <= w[1]), "in time order: {r}");
        }
    }
}

#[test]
fn a_sweep_and_its_merged_shards_write_junit_and_a_summary_with_each_failing_seed() {
    let dir = support::scratch("reports");
    let file = intake_variant(&dir, "{run_status: blocked}", "");
    let file = file.to_str().unwrap();
    // One sweep, its reports and its annotations.
    let report = dir.join("sweep-report");
    let (code, out, err) = support::squadsim(&[
        "run",
        file,
        "--seed-range",
        "5..7",
        "--report",
        report.to_str().unwrap(),
        "--format",
        "github",
    ]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("::error file=") && out.contains("title=squadsim%3A happy-intake (seed 5)"), "{out}");
    let junit = std::fs::read_to_string(report.join("junit.xml")).unwrap();
    assert_eq!(junit.matches("<testcase ").count(), 2, "{junit}");
    assert_eq!(junit.matches("<failure ").count(), 2, "{junit}");
    assert!(junit.contains("run_status: expected blocked, got completed"), "{junit}");
    assert!(junit.contains("reproduce: squadsim run"), "{junit}");
    let summary = std::fs::read_to_string(report.join("summary.md")).unwrap();
    assert!(summary.starts_with("## squadsim sweep: 2 seeds, 0 passed, 2 failed"), "{summary}");
    assert!(summary.contains("| ❌ | happy-intake | 2 | 2 | 5, 6 |"), "{summary}");
    // Two shards of the same sweep merge into the same reports.
    let shards: Vec<PathBuf> = (1..=2)
        .map(|i| {
            let results = dir.join(format!("shard-{i}.json"));
            let shard = format!("{i}/2");
            let (code, out, err) = support::squadsim(&[
                "run",
                file,
                "--seed-range",
                "5..7",
                "--shard",
                &shard,
                "--results",
                results.to_str().unwrap(),
            ]);
            assert_eq!(code, 1, "{out}{err}");
            results
        })
        .collect();
    let merged = dir.join("merged-report");
    let mut args = vec!["merge-reports", "--report", merged.to_str().unwrap()];
    args.extend(shards.iter().map(|f| f.to_str().unwrap()));
    let (code, out, err) = support::squadsim(&args);
    assert_eq!(code, 1, "{out}{err}");
    assert_eq!(std::fs::read_to_string(merged.join("junit.xml")).unwrap(), junit, "merged shards = the whole sweep");
    assert_eq!(std::fs::read_to_string(merged.join("summary.md")).unwrap(), summary);
}

#[test]
fn a_trace_belongs_to_one_run_not_to_a_sweep() {
    let (code, _, err) = support::squadsim(&[
        "run",
        support::corpus_file("happy-intake.yaml").to_str().unwrap(),
        "--seeds",
        "2",
        "--trace",
        "t.json",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("--trace records one run") && err.contains("--seed N --trace FILE"), "{err}");
}

/// Runs shard `shard` of a sweep of wrong-project-slug and operator-not-super-admin
/// under `seeds` seeds, writing its results; returns the results file.
fn shard_results(dir: &Path, seeds: &str, shard: &str) -> PathBuf {
    shard_results_with(dir, seeds, shard, &[])
}

/// [`shard_results`] with more flags (`--swarm`).
fn shard_results_with(dir: &Path, seeds: &str, shard: &str, more: &[&str]) -> PathBuf {
    let results = dir.join(format!("shard-{}-of-{seeds}-seeds{}.json", shard.replace('/', "-"), more.join("")));
    let wrong_slug = support::corpus_file("wrong-project-slug.yaml");
    let not_admin = support::corpus_file("operator-not-super-admin.yaml");
    let mut argv = vec![
        "run",
        wrong_slug.to_str().unwrap(),
        not_admin.to_str().unwrap(),
        "--seeds",
        seeds,
        "--shard",
        shard,
        "--results",
        results.to_str().unwrap(),
    ];
    argv.extend(more);
    let (code, out, err) = support::squadsim(&argv);
    assert_eq!(code, 0, "{out}{err}");
    results
}

/// Each malformed `--seeds`, `--seed-range` or `--shard` is refused before anything
/// runs (exit 2), the error saying what was expected and quoting what was given.
#[test]
fn a_malformed_seed_count_range_or_shard_is_refused_saying_what_was_expected() {
    let file = support::corpus_file("happy-intake.yaml");
    let file = file.to_str().unwrap();
    for (flags, expected) in [
        (vec!["--seeds=0"], "a sweep of 0 seeds runs nothing: give at least 1"),
        (vec!["--seeds=two"], "expected a number of seeds such as 200, got `two`"),
        (vec!["--seeds=-3"], "expected a number of seeds such as 200, got `-3`"),
        (vec!["--seed-range=5..5"], "`5..5` holds no seed"),
        (vec!["--seed-range=6..=5"], "`6..=5` holds no seed"),
        (vec!["--seed-range=0..0"], "`0..0` holds no seed"),
        (vec!["--seed-range=five"], "expected A..B (B excluded) or A..=B (B included), got `five`"),
        (vec!["--seed-range=1..x"], "expected A..B (B excluded) or A..=B (B included), got `1..x`"),
        (vec!["--seeds=2", "--shard=2-3"], "expected I/N such as 1/4, got `2-3`"),
        (vec!["--seeds=2", "--shard=x/3"], "expected a shard number in `x/3`"),
        (vec!["--seeds=2", "--shard=1/y"], "expected a shard count in `1/y`"),
        (vec!["--seeds=2", "--shard=0/3"], "expected 1 <= I <= N in I/N, got `0/3`"),
        (vec!["--seeds=2", "--shard=4/3"], "expected 1 <= I <= N in I/N, got `4/3`"),
        (vec!["--seeds=2", "--shard=1/0"], "expected 1 <= I <= N in I/N, got `1/0`"),
    ] {
        let (code, out, err) = support::squadsim(&[&["run", file][..], &flags].concat());
        assert_eq!(code, 2, "{flags:?}: {out}{err}");
        assert!(err.contains(expected), "{flags:?}: {err}");
        assert!(!out.contains("passed"), "{flags:?}: {out}");
    }
    // The edges that hold a seed are swept: one seed, and shard N of N.
    for flags in [vec!["--seed-range=7..8"], vec!["--seed-range=7..=7"], vec!["--seeds=2", "--shard=2/2"]] {
        let (code, out, err) = support::squadsim(&[&["run", file][..], &flags].concat());
        assert_eq!(code, 0, "{flags:?}: {out}{err}");
        assert!(out.contains("1 seeds: 1 passed, 0 failed"), "{flags:?}: {out}");
    }
}

/// A sweep keeps every result until it ends: one larger than a process holds is
/// refused before anything runs, saying how to split it. A shard is judged by the
/// sweep's largest shard (the first), so every shard of one sweep answers alike:
/// shard 3/3 of 3,000,001 items holds 1,000,000 and is refused with its siblings.
#[test]
fn a_sweep_larger_than_one_process_holds_is_refused_before_it_runs() {
    let file = support::corpus_file("happy-intake.yaml");
    let file = file.to_str().unwrap();
    for (args, whole) in [
        (vec!["--seeds", "1000001"], "1000001"),
        (vec!["--seed-range", "1..=3000001", "--shard", "3/3"], "3000001"),
        (vec!["--seed-range", "0..=18446744073709551615"], "18446744073709551616"),
    ] {
        let (code, out, err) = support::squadsim(&[&["run", file][..], &args].concat());
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(
            err.contains(&format!(
                "error: {whole} (scenario, seed) items is more than one sweep runs (1000000): split it with --seed-range A..B or --shard I/N"
            )),
            "{err}"
        );
        assert!(!out.contains("passed"), "{out}");
    }
}

#[test]
fn a_sweep_on_no_jobs_or_more_threads_than_a_machine_has_is_refused() {
    let file = support::corpus_file("happy-intake.yaml");
    for jobs in ["0", "1025", "1000000", "-1", "two"] {
        let flag = format!("--jobs={jobs}");
        let (code, out, err) = support::squadsim(&["run", file.to_str().unwrap(), "--seeds", "2", &flag]);
        assert_eq!(code, 2, "--jobs {jobs}: {out}{err}");
        assert!(
            err.contains(&format!("expected a number of jobs from 1 to 1024 (one thread each), got `{jobs}`")),
            "{err}"
        );
        assert!(!out.contains("passed"), "{out}");
    }
    let (code, out, err) = support::squadsim(&["run", file.to_str().unwrap(), "--seeds", "2", "--jobs", "1024"]);
    assert_eq!(code, 0, "{out}{err}");
}

/// Each seed of a sweep runs on the sweep's network, its latencies drawn up to `--jitter`:
/// the larger the jitter, the longer each seed's run takes in simulated time.
#[test]
fn a_sweeps_seeds_run_on_its_jittered_network() {
    let dir = support::scratch("jittered-network");
    let file = support::corpus_file("happy-intake.yaml");
    let simulated = |jitter: &str| -> Vec<f64> {
        holding_results(&dir, jitter, &[file.to_str().unwrap(), "--seeds", "3", "--jitter", jitter])
            .iter()
            .map(|r| r["simulated"].as_str().unwrap().trim_end_matches('s').parse().unwrap())
            .collect()
    };
    let (near, far) = (simulated("1ms"), simulated("2s"));
    assert_eq!((near.len(), far.len()), (3, 3));
    for (n, f) in near.iter().zip(&far) {
        assert!(f > n, "each seed takes longer on a 2s-jittered network than on a 1ms one: {near:?} {far:?}");
    }
}

/// `--jitter` is the sweep network's largest latency, from 1ms (a sweep needs some
/// jitter to reorder anything) to 10s (beyond it a message outlives most deadlines).
#[test]
fn a_jitter_outside_a_millisecond_to_ten_seconds_is_refused_and_both_ends_run() {
    let file = support::corpus_file("happy-intake.yaml");
    let file = file.to_str().unwrap();
    for jitter in ["0", "0ms", "10001ms", "11s"] {
        let flag = format!("--jitter={jitter}");
        let (code, out, err) = support::squadsim(&["run", file, "--seeds", "1", &flag]);
        assert_eq!(code, 2, "--jitter {jitter}: {out}{err}");
        assert!(err.contains(&format!("expected a jitter between 1ms and 10s, got `{jitter}`")), "{err}");
        assert!(!out.contains("passed"), "{out}");
    }
    let (code, out, err) = support::squadsim(&["run", file, "--seeds", "1", "--jitter=fast"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("--jitter"), "{err}");
    // Both ends are swept and judged (at 10s happy-intake's launch outlives its deadline: exit 1, not 2).
    for jitter in ["1ms", "10s"] {
        let (code, out, err) = support::squadsim(&["run", file, "--seeds", "1", "--jitter", jitter]);
        assert!(code == 0 || code == 1, "--jitter {jitter}: {out}{err}");
        assert!(out.contains("1 seeds: ") && out.contains(&format!("jitter {jitter},")), "{out}");
    }
}

#[test]
fn a_shard_holding_no_item_warns_and_its_results_still_count_in_the_merge() {
    let dir = support::scratch("empty-shard");
    let results = dir.join("shard-3.json");
    let (code, out, err) = support::squadsim(&[
        "run",
        support::corpus_file("operator-not-super-admin.yaml").to_str().unwrap(),
        "--seeds",
        "2",
        "--shard",
        "3/3",
        "--results",
        results.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("warning: shard 3/3 holds none of the 2 (scenario, seed) items"), "{err}");
    assert!(out.starts_with("none    operator-not-super-admin: no seed of it in this shard ("), "not `ok`: {out}");
    assert!(out.contains("0 seeds: 0 passed, 0 failed (") && out.contains(" jobs, shard 3/3, jitter 500ms, "), "{out}");
    let written: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&results).unwrap()).unwrap();
    assert_eq!(written["shards"][0]["index"], 3);
}

#[test]
fn merging_refuses_a_missing_shard_and_shards_of_different_sweeps() {
    let dir = support::scratch("merge-mismatch");
    let one = shard_results(&dir, "3", "1/3");
    let three = shard_results(&dir, "3", "3/3");
    let (code, out, err) = support::squadsim(&["merge-reports", one.to_str().unwrap(), three.to_str().unwrap()]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("shards 2/3 are missing"), "{err}");
    assert!(out.is_empty(), "no verdict for an incomplete sweep: {out}");

    let two_of_other_sweep = shard_results(&dir, "4", "2/3");
    let (code, _, err) = support::squadsim(&[
        "merge-reports",
        one.to_str().unwrap(),
        two_of_other_sweep.to_str().unwrap(),
        three.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("different seed ranges") && err.contains("1..=3") && err.contains("1..=4"), "{err}");

    let half = shard_results(&dir, "3", "2/2");
    let (code, _, err) = support::squadsim(&["merge-reports", one.to_str().unwrap(), half.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("different shard counts"), "{err}");

    // A swarm shard (each seed its own fault mix) is another experiment than a plain one.
    let two_swarmed = shard_results_with(&dir, "3", "2/3", &["--swarm"]);
    let (code, _, err) = support::squadsim(&[
        "merge-reports",
        one.to_str().unwrap(),
        two_swarmed.to_str().unwrap(),
        three.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("different fault mixes") && err.contains("--swarm, drawn per seed"), "{err}");

    let two = shard_results(&dir, "3", "2/3");
    let (code, out, err) =
        support::squadsim(&["merge-reports", one.to_str().unwrap(), two.to_str().unwrap(), three.to_str().unwrap()]);
    assert_eq!(code, 0, "the whole sweep merges: {out}{err}");
    assert!(out.contains("6 seeds: 6 passed, 0 failed (shards 1/3, 2/3, 3/3)"), "{out}");
}
