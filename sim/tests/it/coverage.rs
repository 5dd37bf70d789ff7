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
    // A service fault counts as hit only if it answered a request, whether it ended (`lasts`) or still stood
    // when the run ended.
    let probes = |path: &str, end: &str| {
        let text = format!(
            "name: served\nseed: 1\nfaults:\n  - service: {{host: studio, path: {path}, effect: {{status: 502}}, at: 5s{end}}}\nsteps:\n  - launch: {{template_id: research-team, project_slug: sanmopia-modernization, delivery_graph_kind: project_delivery}}\n  - execute\n  - watch: {{every: 5s, timeout: 10m}}\n"
        );
        let scenario = squadsim::scenario::Scenario::parse(std::path::Path::new("served.yaml"), &text).unwrap();
        world::run(&scenario, RunOptions::default()).probes.into_keys().collect::<Vec<_>>()
    };
    for end in ["", ", lasts: 6s"] {
        let untouched = probes("/v1/never-called", end);
        assert!(untouched.contains(&"fault_began:service_status".to_string()), "{end}: {untouched:?}");
        assert!(!untouched.contains(&"fault_hit:service_status".to_string()), "{end}: {untouched:?}");
        let polled = probes("/v1/admin/studio/runs/*/session-state", end);
        assert!(polled.contains(&"fault_hit:service_status".to_string()), "{end}: {polled:?}");
    }
}

#[test]
fn a_crash_an_agents_tool_call_began_is_counted_for_that_tool_by_its_agent_facing_name() {
    // DataHub crashes as the closer's publish_lineage call reaches the gateway.
    let crashed = probes_of("datahub-crash-on-closer-lineage.yaml");
    let probe = "crash_during_tool_call:mcp__datahub__publish_lineage".to_string();
    assert!(crashed.contains(&probe), "{crashed:?}");
    assert!(sometimes::probes().contains(&probe));
    // A crash at the first request to a host is not one during a tool call.
    assert!(!probes_of("gateway-crash-on-first-agent-call.yaml")
        .iter()
        .any(|p| p.starts_with("crash_during_tool_call:")));
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
        "datahub-crash-on-closer-lineage.yaml",
    ] {
        for probe in probes_of(name) {
            assert!(catalogue.contains(&probe), "{name} reached {probe}, which the catalogue does not list");
        }
    }
}

fn sweep_with_sometimes(dir: &std::path::Path, probes: &str, more: &[&str]) -> std::process::Output {
    let text = std::fs::read_to_string(support::corpus_file("happy-intake.yaml")).unwrap();
    let file = dir.join("happy-intake.yaml");
    std::fs::write(&file, format!("{text}sometimes: {probes}\n")).unwrap();
    Command::new(env!("CARGO_BIN_EXE_squadsim"))
        .arg("run")
        .arg(&file)
        .args(["--seeds", "2", "--jobs", "1"])
        .args(more)
        .output()
        .unwrap()
}

/// The warning a shard of several prints for the `sometimes:` it cannot judge.
const NOT_JUDGED: &str =
    "warning: `sometimes:` is not judged on one shard (it needs every seed): `squadsim merge-reports` judges it";

#[test]
fn a_sweep_fails_when_no_seed_reaches_a_sometimes_probe_and_reports_its_coverage() {
    let dir = std::env::temp_dir().join(format!("squadsim-sometimes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let reached = sweep_with_sometimes(&dir, "[run_status:completed]", &[]);
    let never = sweep_with_sometimes(&dir, "[run_status:completed, wall_fired:planner_wall]", &[]);
    // One shard of one holds every seed: it judges `sometimes:` as the whole sweep does.
    let never_one_shard =
        sweep_with_sometimes(&dir, "[run_status:completed, wall_fired:planner_wall]", &["--shard", "1/1"]);
    let never_half = sweep_with_sometimes(&dir, "[run_status:completed, wall_fired:planner_wall]", &["--shard", "1/2"]);
    let _ = std::fs::remove_dir_all(&dir);

    let out = String::from_utf8_lossy(&reached.stdout);
    assert_eq!(reached.status.code(), Some(0), "{out}");
    assert!(out.contains("\ncoverage: 1 of "), "{out}");
    assert!(out.contains("  run_status:completed: 2 seeds, 2 hits\n"), "{out}");
    assert!(
        out.contains(" never reached (") && out.contains("), by kind:\n    blocker: agent_first_tool_required, "),
        "{out}"
    );
    assert!(out.lines().all(|l| l.len() <= 100), "the list is wrapped: {out}");
    // One line a kind, each probe under its own: no wall fired in happy-intake.
    assert!(out.contains("\n    wall_fired: "), "{out}");

    for never in [&never, &never_one_shard] {
        let (out, err) = (String::from_utf8_lossy(&never.stdout), String::from_utf8_lossy(&never.stderr));
        assert_eq!(never.status.code(), Some(1), "{out}");
        assert!(
            out.contains("FAILED  happy-intake: sometimes never reached in any seed: wall_fired:planner_wall\n"),
            "{out}"
        );
        assert!(!err.contains(NOT_JUDGED), "a sweep holding every seed judges it: {err}");
    }
    assert!(!String::from_utf8_lossy(&reached.stderr).contains(NOT_JUDGED));
    // Half the seeds cannot judge it: a pass that says so, never a failure or a silent pass.
    let (out, err) = (String::from_utf8_lossy(&never_half.stdout), String::from_utf8_lossy(&never_half.stderr));
    assert_eq!(never_half.status.code(), Some(0), "{out}{err}");
    assert!(err.contains(NOT_JUDGED) && !out.contains("sometimes never reached"), "{out}{err}");
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

/// Sweeps `happy-intake` with `sometimes: <probes>` over 3 seeds, whole and in
/// 2 shards merged: (whole sweep's exit and stdout, each shard's exit, the
/// merge's exit and stdout (and in GitHub's format; in JSON with its stderr and the
/// merged results file's text), the whole results file, the merged one).
struct ShardedSometimes {
    whole: (i32, String),
    shards: Vec<i32>,
    merged: (i32, String),
    merged_github: (i32, String),
    merged_json: (i32, String, String, String),
    whole_results: serde_json::Value,
    merged_results: serde_json::Value,
}

fn sharded_sometimes(probes: &str) -> ShardedSometimes {
    let dir = support::scratch("sharded-sometimes");
    let text = std::fs::read_to_string(support::corpus_file("happy-intake.yaml")).unwrap();
    let file = dir.join("happy-intake.yaml");
    std::fs::write(&file, format!("{text}sometimes: {probes}\n")).unwrap();
    let (file, path) = (file.display().to_string(), |name: &str| dir.join(name).display().to_string());
    let sweep = ["run", file.as_str(), "--seeds", "3", "--jobs", "1"];
    let (whole_path, shard_paths, merged_path) = (path("whole.json"), [path("1.json"), path("2.json")], path("m.json"));
    let (code, whole, _) = support::squadsim(&[&sweep[..], &["--results", whole_path.as_str()]].concat());
    let shards = shard_paths
        .iter()
        .enumerate()
        .map(|(i, results)| {
            let shard = format!("{}/2", i + 1);
            let (code, _, err) =
                support::squadsim(&[&sweep[..], &["--shard", shard.as_str(), "--results", results.as_str()]].concat());
            assert!(err.contains("`squadsim merge-reports` judges it"), "{err}");
            code
        })
        .collect();
    let (merged_code, merged, err) = support::squadsim(&[
        "merge-reports",
        "--out",
        merged_path.as_str(),
        shard_paths[1].as_str(),
        shard_paths[0].as_str(),
    ]);
    assert!(matches!(merged_code, 0 | 1), "{err}");
    let merge_as = |format: &str| {
        support::squadsim(&["merge-reports", "--format", format, shard_paths[0].as_str(), shard_paths[1].as_str()])
    };
    let (github_code, github, _) = merge_as("github");
    let (json_code, json, json_err) = merge_as("json");
    let merged_text = std::fs::read_to_string(&merged_path).unwrap();
    let results = |p: &str| crate::sharded_sweeps::verdicts(std::path::Path::new(p));
    let out = ShardedSometimes {
        whole: (code, whole),
        shards,
        merged: (merged_code, merged),
        merged_github: (github_code, github),
        merged_json: (json_code, json, json_err, merged_text),
        whole_results: results(&whole_path),
        merged_results: results(&merged_path),
    };
    let _ = std::fs::remove_dir_all(&dir);
    out
}

#[test]
fn merging_shards_fails_when_no_seed_of_any_shard_reached_a_sometimes_probe() {
    let never = sharded_sometimes("[run_status:completed, wall_fired:planner_wall]");
    // No shard can judge it (each holds some seeds only): each passes, the merge fails and names it.
    assert_eq!(never.shards, [0, 0]);
    assert_eq!(never.merged.0, 1, "{}", never.merged.1);
    assert!(
        never.merged.1.contains("FAILED  happy-intake: sometimes never reached in any seed: wall_fired:planner_wall\n"),
        "{}",
        never.merged.1
    );
    let unreached = &never.merged_results["coverage"]["sometimes_unreached"];
    assert_eq!(unreached[0]["probes"], serde_json::json!(["wall_fired:planner_wall"]), "{unreached}");
    // In GitHub's format the merge annotates what only it could judge, on the scenario file.
    let (code, github) = &never.merged_github;
    assert_eq!(*code, 1, "{github}");
    assert!(
        github.lines().any(|l| l.starts_with("::error file=")
            && l.contains("happy-intake.yaml,line=")
            && l.ends_with(",title=squadsim%3A happy-intake (sometimes)::sometimes never reached in any seed: wall_fired:planner_wall")),
        "{github}"
    );
    // In JSON it prints the merged results (the --out file's text) and says the verdict on stderr.
    let (code, json, err, merged_text) = &never.merged_json;
    assert_eq!(*code, 1, "{json}");
    assert_eq!(json, merged_text);
    assert!(err.contains("error: happy-intake: sometimes never reached in any seed: wall_fired:planner_wall"), "{err}");
}

#[test]
fn the_merged_sometimes_verdict_and_coverage_are_the_unsharded_sweeps() {
    for (probes, code) in [("[run_status:completed]", 0), ("[run_status:completed, wall_fired:planner_wall]", 1)] {
        let s = sharded_sometimes(probes);
        assert_eq!(s.whole.0, code, "{probes}: {}", s.whole.1);
        assert_eq!(s.merged.0, s.whole.0, "{probes}: {}", s.merged.1);
        assert_eq!(s.merged_results, s.whole_results, "{probes}: merged results = the unsharded sweep's");
        let failed = |out: &str| out.lines().filter(|l| l.starts_with("FAILED")).map(String::from).collect::<Vec<_>>();
        assert_eq!(failed(&s.merged.1), failed(&s.whole.1), "{probes}");
        assert_eq!(
            s.merged_results["coverage"]["reached"]["run_status:completed"],
            serde_json::json!({"seeds": 3, "hits": 3})
        );
    }
}

#[test]
fn the_coverage_and_sometimes_verdicts_are_in_the_json_the_junit_and_the_markdown() {
    let dir = support::scratch("coverage-formats");
    let text = std::fs::read_to_string(support::corpus_file("happy-intake.yaml")).unwrap();
    let file = dir.join("happy-intake.yaml");
    std::fs::write(&file, format!("{text}sometimes: [run_status:completed, wall_fired:planner_wall]\n")).unwrap();
    let (file, report) = (file.display().to_string(), dir.join("report").display().to_string());
    let sweep = ["run", file.as_str(), "--seeds", "2", "--jobs", "1", "--report", report.as_str()];
    let (code, json, _) = support::squadsim(&[&sweep[..], &["--format", "json"]].concat());
    let read = |name: &str| std::fs::read_to_string(dir.join("report").join(name)).unwrap();
    let (junit, markdown, page) = (read("junit.xml"), read("summary.md"), read("sweep.html"));
    let (_, github, _) = support::squadsim(&[&sweep[..], &["--format", "github"]].concat());
    let (shard_code, _, _) = support::squadsim(&[&sweep[..], &["--shard", "1/2"]].concat());
    let shard_junit = read("junit.xml");
    let shard_markdown = read("summary.md");
    let _ = std::fs::remove_dir_all(&dir);

    assert_eq!(code, 1, "{json}");
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    let coverage = &json["coverage"];
    assert_eq!(coverage["catalogue"], sometimes::probes().len());
    assert_eq!(coverage["reached"]["run_status:completed"], serde_json::json!({"seeds": 2, "hits": 2}));
    assert!(coverage["never_reached"].as_array().unwrap().contains(&"wall_fired:planner_wall".into()), "{coverage}");
    assert_eq!(
        coverage["sometimes_unreached"],
        serde_json::json!([{"scenario": "happy-intake", "file": file, "probes": ["wall_fired:planner_wall"]}])
    );
    assert_eq!(json["sometimes"][0]["probes"], serde_json::json!(["run_status:completed", "wall_fired:planner_wall"]));
    // How many of the catalogue's probes some seed reached, counted here from the probes themselves.
    let catalogue = sometimes::probes();
    let reached = coverage["reached"].as_object().unwrap();
    let counted = catalogue.iter().filter(|p| reached.contains_key(p.as_str())).count();
    assert!(counted >= 1 && counted < catalogue.len(), "{coverage}");
    assert_eq!(coverage["never_reached"].as_array().unwrap().len(), catalogue.len() - counted, "{coverage}");
    let tally = format!("{counted} of {} probes reached", catalogue.len());

    // JUnit: a testcase per `sometimes:` probe, failing when unreached; the coverage as the suite's properties.
    let reached = support::testcase(&junit, "happy-intake (sometimes run_status:completed)");
    assert!(!reached.contains("<failure"), "a probe reached passes beside one unreached: {reached}");
    let unreached = support::testcase(&junit, "happy-intake (sometimes wall_fired:planner_wall)");
    assert!(unreached.contains(r#"<failure message="sometimes never reached in any seed: wall_fired:planner_wall""#));
    assert!(junit.contains(r#"<property name="probe:run_status:completed" value="2 seeds, 2 hits"/>"#), "{junit}");
    assert!(junit.contains(&format!(r#"<property name="coverage" value="{tally}"#)), "{tally}: {junit}");
    let never: Vec<&str> = coverage["never_reached"].as_array().unwrap().iter().map(|p| p.as_str().unwrap()).collect();
    let never = format!(r#"<property name="never_reached" value="{}"/>"#, never.join(", "));
    assert!(junit.contains(&never), "{never}: {junit}");
    // Markdown: the unreached probe named, the probes reached in a table.
    assert!(markdown.contains(&format!("### Coverage: {tally}\n")), "{tally}: {markdown}");
    assert!(markdown.contains("- ❌ happy-intake: `sometimes:` never reached in any seed: wall_fired:planner_wall\n"));
    assert!(markdown.contains("| run_status:completed | 2 | 2 |\n"), "{markdown}");

    // The sweep's HTML page: the same count, the probes reached in a table, the never reached named.
    let catalogue_tally = tally.replace(" probes reached", " catalogue probes reached.");
    assert!(page.contains(&format!("<h2>Coverage</h2>\n<p>{catalogue_tally}</p>")), "{tally}: {page}");
    assert!(page.contains("<tr><td>run_status:completed</td><td>2</td><td>2</td></tr>"), "{page}");
    let never = page.split("<p class=\"never\">Never reached: ").nth(1).and_then(|rest| rest.split("</p>").next());
    let never: Vec<&str> = never.unwrap_or_else(|| panic!("{page}")).split(", ").collect();
    assert_eq!(never.len(), catalogue.len() - counted, "{page}");
    assert!(never.contains(&"wall_fired:planner_wall"), "{page}");

    // GitHub: the coverage table, and an error annotation on the scenario file.
    assert!(github.contains(&format!("\ncoverage: {tally}\n")), "{tally}: {github}");
    let annotation = format!("::error file={file},line=8,title=squadsim%3A happy-intake (sometimes)::sometimes never reached in any seed: wall_fired:planner_wall\n");
    assert!(github.contains(&annotation), "{github}");

    // One shard of several judges no `sometimes:`: skipped in its JUnit, said in its summary, never a failure.
    assert_eq!(shard_code, 0);
    assert!(!shard_junit.contains("<failure"), "{shard_junit}");
    assert!(shard_junit.contains("merge-reports` judges it"), "{shard_junit}");
    assert!(shard_markdown.contains("is not judged on one shard of several"), "{shard_markdown}");
}
