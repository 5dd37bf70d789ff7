//! `squadsim run --report DIR --trace FILE --format github`: what CI and people
//! read. The files are checked for what they must carry (the failing scenario's
//! diff in JUnit and Markdown, annotations at the scenario file's `name:` line,
//! lanes and blocker marks in the HTML, tracks and events in the trace), and the
//! run record behind the HTML and the trace is checked against the run.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use crate::support;
use squadsim::base::topology::Host;
use squadsim::engine::run_record::{LaneKind, MarkKind, SpanKind};
use squadsim::{
    engine::world::{self, Run, RunOptions},
    Scenario,
};

/// A scenario directory: the gateway-partition incident (matches its snapshot)
/// and happy-intake against a snapshot edited to say `blocked` (differs).
fn matching_and_differing(name: &str) -> PathBuf {
    let dir = support::scratch(name);
    for file in ["first-tool-gateway-partition.yaml", "happy-intake.yaml"] {
        std::fs::copy(support::corpus().join(file), dir.join(file)).unwrap();
    }
    let snap =
        |f: &str| std::fs::read_to_string(support::corpus().join(format!("snapshots/outcome@{f}.snap"))).unwrap();
    std::fs::write(
        dir.join("snapshots/outcome@first-tool-gateway-partition.yaml.snap"),
        snap("first-tool-gateway-partition.yaml"),
    )
    .unwrap();
    std::fs::write(
        dir.join("snapshots/outcome@happy-intake.yaml.snap"),
        snap("happy-intake.yaml").replace("status: completed", "status: blocked"),
    )
    .unwrap();
    dir
}

#[test]
fn report_dir_trace_and_annotations_carry_the_failure_and_the_run() {
    let dir = matching_and_differing("all");
    let reports = dir.join("out");
    let trace = dir.join("trace.json");
    let (code, out, err) = support::squadsim(&[
        "run",
        dir.to_str().unwrap(),
        "--format",
        "github",
        "--report",
        reports.to_str().unwrap(),
        "--trace",
        trace.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "one scenario differs: {out}{err}");

    // Annotations: one error, at the differing scenario's `name:` line, the diff escaped onto one line.
    let happy = dir.join("happy-intake.yaml");
    let name_line = std::fs::read_to_string(&happy).unwrap().lines().position(|l| l.starts_with("name:")).unwrap() + 1;
    let errors: Vec<&str> = out.lines().filter(|l| l.starts_with("::error ")).collect();
    assert_eq!(errors.len(), 1, "{out}");
    let expected = format!("::error file={},line={name_line},", happy.display().to_string().replace(':', "%3A"));
    assert!(errors[0].starts_with(&expected), "{}", errors[0]);
    assert!(errors[0].contains("%0A-  status: blocked%0A+  status: completed"), "{}", errors[0]);

    // JUnit: one testcase per scenario and seed, the diff in the failure body.
    let junit = std::fs::read_to_string(reports.join("junit.xml")).unwrap();
    assert_eq!(junit.matches("<testcase ").count(), 2, "{junit}");
    assert!(junit.contains("name=\"first-tool-gateway-partition (seed 21)\""), "{junit}");
    assert!(junit.contains("<testsuite name=\"squadsim\" tests=\"2\"") && junit.contains("failures=\"1\""), "{junit}");
    let failure = &junit[junit.find("<failure").expect("a failure")..];
    assert!(failure.contains("-  status: blocked") && failure.contains("+  status: completed"), "{failure}");

    // Markdown: the totals, a row per run, the diff under the failing one.
    let md = std::fs::read_to_string(reports.join("summary.md")).unwrap();
    assert!(md.starts_with("## squadsim: 1 passed, 1 failed"), "{md}");
    assert!(
        md.contains("| ✅ | first-tool-gateway-partition | 21 | blocked | 200 | agent_first_tool_required |"),
        "{md}"
    );
    assert!(md.contains("<details><summary>❌ happy-intake (seed 1)") && md.contains("+  status: completed"), "{md}");

    // HTML: one page per run, lanes and blocker marks, the diff for the failing one, nothing fetched.
    let page = std::fs::read_to_string(reports.join("first-tool-gateway-partition.seed-21.html")).unwrap();
    for lane in ["operator", "studio", "daytona", "contextforge", "planner", "curator"] {
        assert!(page.contains(&format!("data-lane=\"{lane}\"")), "lane {lane} missing");
    }
    assert_eq!(page.matches("class=\"mark blocker\"").count(), 2, "planner and curator are blocked");
    assert!(page.contains("fault: partition daytona ") && page.contains(" contextforge (1.0s)"), "the partition mark");
    assert!(!page.contains("src=\"http") && !page.contains("href=\"http") && !page.contains("<script"));
    let failed = std::fs::read_to_string(reports.join("happy-intake.seed-1.html")).unwrap();
    assert!(failed.contains("<h2>Snapshot diff</h2>") && failed.contains("<span class=\"add\">+  status: completed"));

    // Trace: one process per run, one named track per lane, HTTP async slices, attempt slices, blocker instants.
    let trace: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&trace).unwrap()).unwrap();
    let events = trace["traceEvents"].as_array().unwrap();
    let of = |ph: &'static str, pid: u64| events.iter().filter(move |e| e["ph"] == ph && e["pid"] == pid);
    let threads: Vec<&str> =
        of("M", 1).filter(|e| e["name"] == "thread_name").map(|e| e["args"]["name"].as_str().unwrap()).collect();
    assert!(threads.starts_with(&["operator", "studio", "daytona", "contextforge"]), "{threads:?}");
    assert!(threads.ends_with(&["planner", "curator"]), "{threads:?}");
    // Each event sits on its lane's track: a call on its caller's, a session, an attempt and a blocker on its agent's.
    let track = |e: &serde_json::Value| {
        of("M", 1)
            .find(|m| m["name"] == "thread_name" && m["tid"] == e["tid"])
            .and_then(|m| m["args"]["name"].as_str())
            .unwrap_or_else(|| panic!("no track for {e}"))
    };
    assert!(of("b", 1).all(|e| Some(track(e)) == e["args"]["from"].as_str()), "a call off its caller's track");
    for e in of("X", 1).filter(|e| e["cat"] == "session") {
        assert!(e["name"].as_str().unwrap().starts_with(&format!("session {} (", track(e))), "{e}");
    }
    let on = |cat: &str| {
        let mut tracks: Vec<&str> = of("X", 1).chain(of("i", 1)).filter(|e| e["cat"] == cat).map(track).collect();
        tracks.sort();
        tracks
    };
    assert_eq!((on("attempt"), on("blocker")), (vec!["curator", "planner"], vec!["curator", "planner"]));
    assert_eq!(of("b", 1).count(), of("e", 1).count());
    assert!(of("b", 1).any(|e| e["cat"] == "http" && e["args"]["status"] == "000"), "partitioned calls get no answer");
    assert_eq!(of("X", 1).filter(|e| e["cat"] == "attempt").count(), 2);
    assert_eq!(of("i", 1).filter(|e| e["name"] == "blocker: agent_first_tool_required").count(), 2);
    assert!(of("M", 2).any(|e| e["args"]["name"] == "happy-intake (seed 1)"));
}

#[test]
fn two_scenario_files_of_one_name_in_two_directories_each_get_their_own_run_report() {
    let dir = support::scratch("same-stem");
    for (sub, scenario) in [("a", "happy-intake.yaml"), ("b", "wrong-project-slug.yaml")] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
        std::fs::copy(support::corpus().join(scenario), dir.join(sub).join("x.yaml")).unwrap();
    }
    std::fs::write(
        dir.join("x-2.yaml"),
        std::fs::read(support::corpus().join("operator-not-super-admin.yaml")).unwrap(),
    )
    .unwrap();
    let reports = dir.join("reports");
    let (a, b, c) = (dir.join("a/x.yaml"), dir.join("b/x.yaml"), dir.join("x-2.yaml"));
    let argv = ["run", "--seed", "3", "--report", reports.to_str().unwrap(), a.to_str().unwrap(), c.to_str().unwrap()];
    let (code, out, err) = support::squadsim(&[&argv[..], &[b.to_str().unwrap()]].concat());
    assert_eq!(code, 0, "{out}{err}");
    let page = |name: &str| std::fs::read_to_string(reports.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    // In the order given: a/x.yaml takes `x`, x-2.yaml its own stem, b/x.yaml the first free one after.
    assert!(page("x.seed-3.html").contains("<title>squadsim: happy-intake (seed 3)</title>"));
    assert!(page("x-2.seed-3.html").contains("<title>squadsim: operator-not-super-admin (seed 3)</title>"));
    assert!(page("x-3.seed-3.html").contains("<title>squadsim: wrong-project-slug (seed 3)</title>"));
}

#[test]
fn the_record_follows_the_run_and_changes_nothing_in_it() {
    for file in scenario_files() {
        let scenario = Scenario::load(&file).unwrap();
        let Run { outcome, record, .. } = world::run(&scenario, RunOptions { record: true, ..RunOptions::default() });
        let record = record.expect("a recorded run has a record");
        assert_eq!(outcome, support::run(&scenario), "recording changed the outcome of {}", file.display());
        let again = world::run(&scenario, RunOptions { record: true, ..RunOptions::default() }).record;
        assert_eq!(Some(&record), again.as_ref(), "the record of {} is not deterministic", file.display());
        let operator_calls = record.calls.iter().filter(|c| c.from == "operator").count();
        let answered = outcome.operator.iter().filter(|c| c.http_status.is_some()).count();
        assert!(operator_calls >= answered, "{}: {operator_calls} recorded, {answered} answered", file.display());
        for c in &record.calls {
            assert!(c.start <= c.end && c.end <= record.simulated, "{c:?}");
            assert!(record.lane_index(&c.from).is_some() && record.lane_index(&c.to).is_some(), "{c:?}");
        }
        // Every blocker and wall of the outcome was reported by the module that raised it, on its agent's lane.
        let marked = |kind: MarkKind, lane: &str, label: &str| {
            record.marks.iter().any(|m| m.kind == kind && m.lane == lane && m.label == label)
        };
        for s in &outcome.sessions {
            assert!(record.lanes.iter().any(|l| l.name == s.agent_id && l.kind == LaneKind::Agent));
            // A session of a run never executed (tenant-id-missing: execute refused 422) is still `ready`;
            // one whose named-agent identity could not be bound never starts.
            let attempts = record.spans.iter().filter(|x| x.lane == s.agent_id && x.kind == SpanKind::Attempt);
            let never_started = s.blocker_code.as_deref() == Some("named_agent_identity_unbound");
            assert!(
                s.live_status == "ready" || never_started || attempts.count() >= 1,
                "{}: {} has no attempt",
                file.display(),
                s.agent_id
            );
            if let Some(code) = &s.blocker_code {
                let marked = marked(MarkKind::Blocker, &s.agent_id, code);
                assert!(marked, "{}: blocker {code} of {} has no mark", file.display(), s.agent_id);
            }
        }
        for w in &outcome.walls {
            let marked = marked(MarkKind::Wall, &w.agent_id, &w.wall);
            assert!(marked, "{}: wall {} of {} has no mark", file.display(), w.wall, w.agent_id);
        }
        // Each handoff the Agent Server delivered, as it was reported: from its sender to its recipient, its intent.
        let handoffs: Vec<_> = record
            .marks
            .iter()
            .filter(|m| m.kind == MarkKind::Handoff)
            .map(|m| (m.lane.as_str(), m.to.as_deref().unwrap_or_default(), m.label.as_str()))
            .collect();
        let trail: Vec<_> = outcome
            .handoff_trail
            .iter()
            .map(|h| (h.sender_agent_id.as_str(), h.recipient_agent_id.as_str(), h.handoff_intent.as_str()))
            .collect();
        assert_eq!(handoffs, trail, "{}", file.display());
        // One lane a name, a host's a host lane, anything else (agents, recipients without a session) an agent's.
        let names: BTreeSet<&str> = record.lanes.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names.len(), record.lanes.len(), "{}: a lane twice: {:?}", file.display(), record.lanes);
        for lane in &record.lanes {
            let host = Host::ALL.iter().any(|h| h.name() == lane.name);
            assert_eq!(lane.kind == LaneKind::Host, host, "{}: {lane:?}", file.display());
        }
    }
}

fn scenario_files() -> Vec<PathBuf> {
    squadsim::scenario::discover(&support::corpus()).unwrap()
}

#[test]
fn the_partition_is_a_fault_mark_and_the_calls_across_it_time_out() {
    let scenario = Scenario::load(&support::corpus().join("first-tool-gateway-partition.yaml")).unwrap();
    let Run { record, .. } = world::run(&scenario, RunOptions { record: true, ..RunOptions::default() });
    let record = record.expect("a recorded run has a record");
    let fault = record.marks.iter().find(|m| m.kind == MarkKind::Fault).expect("a fault mark");
    assert_eq!(
        (fault.at, fault.lane.as_str(), fault.to.as_deref()),
        (Duration::from_secs(1), "daytona", Some("contextforge"))
    );
    let across: Vec<_> = record.calls.iter().filter(|c| c.from == "daytona" && c.to == "contextforge").collect();
    assert!(!across.is_empty(), "the agents try the gateway");
    assert!(across.iter().all(|c| c.status.is_none() && c.start >= fault.at), "{across:?}");
}

#[test]
fn junit_gives_each_failure_its_kind_and_says_which_pass_wrote_its_snapshot() {
    // Four inputs, four ways to fail: a snapshot that differs, none at all, a run that stops at its horizon, and a
    // file that does not load. GitHub's and GitLab's test reports show a failure's `type` beside its message.
    let dir = support::scratch("junit-kinds");
    let happy = std::fs::read_to_string(support::corpus().join("happy-intake.yaml")).unwrap();
    let named = |name: &str| happy.replacen("name: happy-intake", &format!("name: {name}"), 1);
    std::fs::write(dir.join("differs.yaml"), named("differs")).unwrap();
    std::fs::write(dir.join("snapshots/outcome@differs.yaml.snap"), "---\nsource: test\n---\nstatus: blocked\n")
        .unwrap();
    std::fs::write(dir.join("unsnapped.yaml"), named("unsnapped")).unwrap();
    std::fs::write(dir.join("short.yaml"), named("short").replacen("world:\n", "world:\n  horizon: 15s\n", 1)).unwrap();
    std::fs::write(dir.join("broken.yaml"), "name: broken\nsteps: 3\n").unwrap();
    let reports = dir.join("reports");
    let (code, out, err) = support::squadsim(&["run", dir.to_str().unwrap(), "--report", reports.to_str().unwrap()]);
    assert_eq!(code, 2, "a file did not load: {out}{err}");
    let junit = std::fs::read_to_string(reports.join("junit.xml")).unwrap();
    let differs = support::testcase(&junit, "differs (seed 1)");
    assert!(differs.contains(r#"type="outcome mismatch""#), "{differs}");
    assert!(
        differs.contains("the outcome differs from its snapshot") && differs.contains("-status: blocked"),
        "{differs}"
    );
    let unsnapped = support::testcase(&junit, "unsnapped (seed 1)");
    assert!(unsnapped.contains(r#"type="outcome mismatch""#) && unsnapped.contains("no snapshot at "), "{unsnapped}");
    let short = support::testcase(&junit, "short (seed 1)");
    assert!(short.contains(r#"type="run failed""#) && short.contains("did not finish"), "{short}");
    let broken = dir.join("broken.yaml").display().to_string();
    let broken = support::testcase(&junit, &format!("{broken} (did not load)"));
    assert!(broken.contains(r#"type="load error""#) && broken.contains("steps"), "{broken}");
    for case in [differs, unsnapped, short] {
        assert!(case.contains(r#"<property name="seed" value="1"/>"#), "{case}");
        assert!(case.contains(r#"<property name="simulated" value=""#), "{case}");
        assert!(!case.contains(r#"name="snapshot""#), "{case}");
    }
    assert!(!broken.contains(r#"name="seed""#) && !broken.contains(r#"name="simulated""#), "{broken}");

    // A pass that wrote its snapshot (--accept) says so: it was not compared with one.
    let accepted = dir.join("accepted");
    let (code, out, err) = support::squadsim_outside_ci(&[
        "run",
        "--accept",
        dir.join("unsnapped.yaml").to_str().unwrap(),
        "--report",
        accepted.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let junit = std::fs::read_to_string(accepted.join("junit.xml")).unwrap();
    let case = support::testcase(&junit, "unsnapped (seed 1)");
    let said = "written as the snapshot (--accept)";
    assert!(case.contains(&format!(r#"<property name="snapshot" value="{said}"/>"#)), "{case}");
    assert!(
        case.contains(&format!("<system-out>snapshot {said}</system-out>")) && !case.contains("<failure"),
        "{case}"
    );
}

#[test]
fn each_attempt_ends_when_its_agents_work_stops_and_its_session_spans_its_attempts() {
    // The intake pair blocks at first tool behind the cut, the cut heals, the operator replays: two attempts each.
    let scenario = Scenario::load(&support::corpus().join("first-tool-replay-cleared.yaml")).unwrap();
    let Run { outcome, record, .. } = world::run(&scenario, RunOptions { record: true, ..RunOptions::default() });
    let record = record.expect("a recorded run has a record");
    support::assert_completed(&outcome);
    let spans = |agent: &str, kind: SpanKind| {
        record.spans.iter().filter(|s| s.lane == agent && s.kind == kind).map(|s| (s.start, s.end)).collect::<Vec<_>>()
    };
    for agent in ["planner", "curator"] {
        let attempts = spans(agent, SpanKind::Attempt);
        let [(first_start, first_end), (second_start, second_end)] = attempts[..] else {
            panic!("{agent}: two attempts, not {attempts:?}")
        };
        assert!(first_end <= second_start, "{agent}: the blocked attempt ended before the replay began: {attempts:?}");
        assert!(second_end < record.simulated, "{agent}: its work stopped before the run's end: {attempts:?}");
        assert_eq!(spans(agent, SpanKind::Session), [(first_start, second_end)], "{agent}: the session spans both");
        // The session first: a trace viewer nests the slices that follow it at its start inside it.
        let kinds: Vec<SpanKind> = record.spans.iter().filter(|s| s.lane == agent).map(|s| s.kind).collect();
        assert_eq!(kinds, [SpanKind::Session, SpanKind::Attempt, SpanKind::Attempt], "{agent}");
        // The block the replay cleared (the completed outcome holds none) is marked where it happened.
        let blocked: Vec<_> = record.marks.iter().filter(|m| m.kind == MarkKind::Blocker && m.lane == agent).collect();
        assert!(
            matches!(blocked[..], [m] if m.label == "agent_first_tool_required" && (first_start..=first_end).contains(&m.at)),
            "{agent}: {blocked:?} {attempts:?}"
        );
    }
}
