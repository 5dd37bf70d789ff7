//! The scenario loader: what it accepts and how it says no. Every error is
//! located by its field's path in the document (never by searching the text
//! for a value), scenario text is printed escaped, nesting, size, durations and
//! counts are bounded with a message naming the bound, and what the world
//! could not build or would silently ignore is refused with its line.

use std::path::Path;

use squadsim::engine::services::{Endpoints, Services};
use squadsim::scenario::{Scenario, ScenarioError};
use squadsim_fakes::net::Transport;

fn parse(text: &str) -> Result<Scenario, ScenarioError> {
    Scenario::parse(Path::new("scenarios/x.yaml"), text)
}

fn error(text: &str) -> ScenarioError {
    match parse(text) {
        Ok(_) => panic!("expected a load error for:\n{text}"),
        Err(e) => e,
    }
}

/// The error's field and line.
fn at(e: &ScenarioError) -> (&str, Option<usize>) {
    (e.field.as_str(), e.line)
}

const LAUNCH: &str = "  - launch: {template_id: agentsquad, project_slug: sanmopia-modernization, delivery_graph_kind: project_delivery}\n";

/// A file of `bytes` in the temp directory, removed when dropped.
struct TempFile(std::path::PathBuf);

impl TempFile {
    fn new(name: &str, bytes: &[u8]) -> Self {
        let path = std::env::temp_dir().join(format!("squadsim-loader-{}-{name}", std::process::id()));
        std::fs::write(&path, bytes).unwrap();
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn a_prior_runs_unknown_slug_is_located_at_its_own_line_not_where_its_text_first_appears() {
    let e = error(
        "name: x\ndescription: a scenario with a p in it\nworld:\n  prior_runs:\n    - {run_id: run-1, project_slug: p}\nsteps: [health]\n",
    );
    assert_eq!(at(&e), ("world.prior_runs[0].project_slug", Some(5)), "{e}");
    assert_eq!(e.column, Some(23), "{e}");
}

#[test]
fn the_fourth_steps_count_is_located_at_its_own_count() {
    let e = error(concat!(
        "name: x\nsteps:\n",
        "  - launch:\n      template_id: agentsquad\n      project_slug: sanmopia-modernization\n",
        "      delivery_graph_kind: project_delivery\n      count: 2\n",
        "  - execute\n  - wait: {duration: 1s}\n",
        "  - launch:\n      template_id: agentsquad\n      project_slug: sanmopia-modernization\n",
        "      delivery_graph_kind: project_delivery\n      count: 0\n",
    ));
    assert_eq!(at(&e), ("steps[3].launch.count", Some(14)), "{e}");
}

#[test]
fn an_unknown_node_is_located_at_its_entry_not_at_a_description_naming_its_field() {
    let e = error(
        "name: x\ndescription: which nodes are in not_ready\nworld:\n  storage:\n    not_ready:\n      - k8s-worker-1\n      - k8s-worker-7\nsteps: [health]\n",
    );
    assert_eq!(at(&e), ("world.storage.not_ready[1]", Some(7)), "{e}");
}

#[test]
fn a_serde_error_inside_a_nested_mapping_is_located_at_its_key() {
    // The work scope mentions `timeout:` before the real key: a text search from the
    // enclosing mapping finds the wrong line.
    let e = error(concat!(
        "name: x\nsteps:\n  - launch:\n      template_id: agentsquad\n",
        "      work_scope: 'raise the timeout: forever'\n      project_slug: sanmopia-modernization\n",
        "      delivery_graph_kind: project_delivery\n      timeout: forever\n",
    ));
    assert_eq!(at(&e), ("steps[0].launch.timeout", Some(8)), "{e}");
    assert!(e.message.contains("expected a duration"), "{e}");
}

#[test]
fn a_host_in_a_between_pair_is_located_at_its_entry() {
    let e = error("name: x\nfaults:\n  - partition:\n      between:\n        - studio\n        - moon\n      at: 1s\nsteps: [health]\n");
    assert_eq!(at(&e), ("faults[0].partition.between[1]", Some(6)), "{e}");
}

#[test]
fn a_file_that_is_not_utf8_is_refused_at_the_line_of_its_first_bad_byte() {
    let file = TempFile::new("latin1.yaml", b"name: x\nworld:\n  tenants: [caf\xe9]\nsteps: [health]\n");
    let e = Scenario::load(&file.0).unwrap_err();
    assert_eq!((e.line, e.column), (Some(3), Some(16)), "{e}");
    assert!(e.message.contains("UTF-8"), "{e}");
}

#[test]
fn a_fifo_is_refused_without_waiting_for_a_writer() {
    let fifo = std::env::temp_dir().join(format!("squadsim-loader-{}-fifo.yaml", std::process::id()));
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().expect("coreutils' mkfifo");
    assert!(made.success());
    let loaded = Scenario::load(&fifo);
    let _ = std::fs::remove_file(&fifo);
    let e = loaded.unwrap_err();
    assert!(e.message.contains("not a regular file"), "{e}");
    let e = Scenario::load(&std::env::temp_dir()).unwrap_err();
    assert!(e.message.contains("not a regular file"), "{e}");
}

#[test]
fn a_file_holding_several_documents_is_refused_where_the_second_begins() {
    let e = error("name: a\nsteps: [health]\n---\nname: b\nsteps: [health]\n");
    assert_eq!(e.line, Some(3), "{e}");
    assert!(e.message.contains("a second document"), "{e}");
}

#[test]
fn a_raw_control_character_is_refused_at_its_line_and_column() {
    let e = error("name: x\ndescription: bell\u{7}here\nsteps: [health]\n");
    assert_eq!((e.line, e.column), (Some(2), Some(18)), "{e}");
    assert!(e.message.contains("U+0007"), "{e}");
}

#[test]
fn scenario_text_is_printed_escaped() {
    // YAML escapes put an ANSI sequence and a newline in the host's name.
    let e = error("name: x\nfaults:\n  - crash: {host: \"\\e[31mred\\nline\", at: 1s}\nsteps: [health]\n");
    let shown = e.to_string();
    assert!(!shown.contains('\u{1b}') && !shown.contains('\n'), "{shown:?}");
    assert!(shown.contains("unknown host `\\u{1b}[31mred\\nline`"), "{shown}");
    let named = ScenarioError {
        file: "scenarios/\u{1b}]0;title\u{7}.yaml".into(),
        line: Some(1),
        column: Some(1),
        field: "agents.\u{202e}rennalp".into(),
        message: "m".into(),
    };
    assert_eq!(named.to_string(), "scenarios/\\u{1b}]0;title\\u{7}.yaml:1:1: field `agents.\\u{202e}rennalp`: m");
}

#[test]
fn deep_nesting_is_refused_at_the_cap_with_its_line() {
    let n = 100_000;
    let text = format!("name: x\nworld:\n  tenants: {}{}\nsteps: [health]\n", "[".repeat(n), "]".repeat(n));
    let e = error(&text);
    assert_eq!(e.line, Some(3), "{e}");
    let just_over = format!("name: x\nworld:\n  tenants: {}a{}\nsteps: [health]\n", "[".repeat(63), "]".repeat(63));
    let e = error(&just_over);
    assert!(e.message.contains("at most 64 levels of nesting"), "{e}");
    assert_eq!(e.line, Some(3), "{e}");
}

#[test]
fn a_file_larger_than_the_bound_is_refused_with_the_bound() {
    let mut text = String::from("name: x\nsteps: [health]\n");
    while text.len() <= 1 << 20 {
        text.push_str("# a comment line to fill the file past one mebibyte\n");
    }
    let e = error(&text);
    assert!(e.message.contains("1048576 bytes"), "{e}");
    assert!(e.line.is_some(), "{e}");
}

/// Every duration field, set to 2^63 seconds: (scenario, field, line).
const HUGE_DURATIONS: &[(&str, &str, usize)] = &[
    ("world:\n  tick: 9223372036854775808s\nsteps: [health]\n", "world.tick", 2),
    ("world:\n  horizon: 9223372036854775808\nsteps: [health]\n", "world.horizon", 2),
    ("world:\n  sandbox_start: 9223372036854775808s\nsteps: [health]\n", "world.sandbox_start", 2),
    ("world:\n  lifecycle: {workspace_provision: 9223372036854775808s}\nsteps: [health]\n", "world.lifecycle.workspace_provision", 2),
    ("world:\n  lifecycle:\n    workspace_start: 9223372036854775808s\nsteps: [health]\n", "world.lifecycle.workspace_start", 3),
    ("world:\n  lifecycle:\n    process_start: 9223372036854775808s\nsteps: [health]\n", "world.lifecycle.process_start", 3),
    ("world:\n  lifecycle:\n    process_run: 153722867280912930m\nsteps: [health]\n", "world.lifecycle.process_run", 3),
    (
        "world:\n  projects:\n    - {slug: late, code: l, appears_after: 2562047788015216h}\nsteps: [health]\n",
        "world.projects[0].appears_after",
        3,
    ),
    ("world:\n  skills: {response_delay: 9223372036854775808s}\nsteps: [health]\n", "world.skills.response_delay", 2),
    ("agents:\n  planner: {think: 9223372036854775808s}\nsteps: [health]\n", "agents.planner.think", 2),
    (
        "faults:\n  - latency: {between: [studio, daytona], extra: 9223372036854775808s, at: 1s}\nsteps: [health]\n",
        "faults[0].latency.extra",
        2,
    ),
    ("faults:\n  - partition: {between: [studio, daytona], at: 9223372036854775808s}\nsteps: [health]\n", "faults[0].partition.at", 2),
    (
        "faults:\n  - partition: {between: [studio, daytona], at: 1s, until: 9223372036854775808s}\nsteps: [health]\n",
        "faults[0].partition.until",
        2,
    ),
    (
        "faults:\n  - partition: {between: [studio, daytona], on: run_launched,\n      lasts: 9223372036854775808s}\nsteps: [health]\n",
        "faults[0].partition.lasts",
        3,
    ),
    (
        "faults:\n  - crash: {host: daytona, at: 1s, restart_after: 9223372036854775808s}\nsteps: [health]\n",
        "faults[0].crash.restart_after",
        2,
    ),
    (
        "faults:\n  - service: {host: daytona, path: /api, effect: {slow: 9223372036854775808s}, at: 1s}\nsteps: [health]\n",
        "faults[0].service.effect.slow",
        2,
    ),
    (
        "steps:\n  - launch: {template_id: agentsquad, project_slug: p, delivery_graph_kind: project_delivery,\n      timeout: 9223372036854775808s}\n",
        "steps[0].launch.timeout",
        3,
    ),
    ("steps:\n  - wait: {duration: 18446744073709551616s}\n", "steps[0].wait.duration", 2),
    ("steps:\n  - wait: {duration: 99999999999999999999999h}\n", "steps[0].wait.duration", 2),
];

#[test]
fn every_duration_is_bounded_with_a_message_naming_the_bound() {
    for (text, field, line) in HUGE_DURATIONS {
        let e = error(text);
        assert_eq!(at(&e), (*field, Some(*line)), "{text}: {e}");
        assert!(e.message.contains("at most 24h"), "{text}: {e}");
    }
    let watch = format!("steps:\n{LAUNCH}  - watch: {{every: 5s,\n      timeout: 9223372036854775808s}}\n");
    assert_eq!(at(&error(&watch)), ("steps[1].watch.timeout", Some(4)));
    let every = format!("steps:\n{LAUNCH}  - watch: {{every: 9223372036854775808s}}\n");
    assert_eq!(at(&error(&every)), ("steps[1].watch.every", Some(3)));
    let chat = "world:\n  platform_agent: {provisioning: ssot}\nsteps:\n  - chat_with_agent: {message: hi, timeout: 9223372036854775808s}\n";
    assert_eq!(at(&error(chat)), ("steps[0].chat_with_agent.timeout", Some(4)));
    // The bound itself loads.
    assert!(parse("world: {horizon: 24h}\nsteps: [health]\n").is_ok());
    assert!(parse("world: {horizon: 86400}\nsteps: [health]\n").is_ok());
    let e = error("world: {horizon: 86401s}\nsteps: [health]\n");
    assert_eq!(at(&e), ("world.horizon", Some(1)), "{e}");
}

#[test]
fn a_poll_interval_of_zero_is_refused() {
    let e = error(&format!("steps:\n{LAUNCH}  - watch: {{every: 0s}}\n"));
    assert_eq!(at(&e), ("steps[1].watch.every", Some(3)), "{e}");
}

/// Every count field beyond its bound: (scenario, field, line, what the message says).
const HUGE_COUNTS: &[(&str, &str, usize, &str)] = &[
    ("world:\n  storage: {healthy: 1000000000}\nsteps: [health]\n", "world.storage.healthy", 2, "between 0 and 10000 volumes"),
    ("world:\n  storage: {faulted: 10001}\nsteps: [health]\n", "world.storage.faulted", 2, "between 0 and 10000 volumes"),
    (
        "world:\n  storage:\n    reservation_headroom: 4000000000\nsteps: [health]\n",
        "world.storage.reservation_headroom",
        3,
        "between 0 and 10000 volumes",
    ),
    ("world:\n  implementer_lanes: 4000000000\nsteps: [health]\n", "world.implementer_lanes", 2, "between 0 and 10000 implementer lanes"),
    ("world:\n  github: {rate_limit: 1000001}\nsteps: [health]\n", "world.github.rate_limit", 2, "between 1 and 1000000 requests per hour"),
    ("agents:\n  planner: {parallel_tool_calls: 10001}\nsteps: [health]\n", "agents.planner.parallel_tool_calls", 2, "between 1 and 10000 tool calls a turn"),
    (
        "steps:\n  - launch: {template_id: agentsquad, project_slug: p, delivery_graph_kind: project_delivery, count: 10001}\n",
        "steps[0].launch.count",
        2,
        "between 1 and 10000 runs",
    ),
];

#[test]
fn every_count_is_bounded_with_a_message_naming_the_bound() {
    for (text, field, line, bound) in HUGE_COUNTS {
        let e = error(text);
        assert_eq!(at(&e), (*field, Some(*line)), "{text}: {e}");
        assert!(e.message.contains(bound), "{text}: {e}");
    }
    // The documented limits themselves load.
    let most = "world:\n  implementer_lanes: 10000\n  storage: {healthy: 10000}\nsteps:\n  - launch: {template_id: agentsquad, project_slug: p, delivery_graph_kind: project_delivery, count: 10000}\n";
    parse(most).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn every_list_and_string_is_bounded_with_a_message_naming_the_bound() {
    let many = |n: usize, item: &str| vec![item; n].join(", ");
    let e =
        error(&format!("agents:\n  planner:\n    tool_calls: [{}]\nsteps: [health]\n", many(1001, "get_hud_snapshot")));
    assert_eq!(at(&e), ("agents.planner.tool_calls", Some(3)), "{e}");
    assert!(e.message.contains("between 0 and 1000 tool calls"), "{e}");
    let e = error(&format!("steps: [{}]\n", many(1001, "health")));
    assert_eq!(at(&e), ("steps", Some(1)), "{e}");
    assert!(e.message.contains("between 1 and 1000 operator steps"), "{e}");
    let fault = "{partition: {between: [studio, daytona], at: 1s}}";
    let e = error(&format!("faults: [{}]\nsteps: [health]\n", many(1001, fault)));
    assert_eq!(at(&e), ("faults", Some(1)), "{e}");
    assert!(e.message.contains("between 0 and 1000 faults"), "{e}");
    let e = error(&format!("world:\n  tenants: [{}]\nsteps: [health]\n", many(10_001, "t")));
    assert_eq!(at(&e), ("world.tenants", Some(2)), "{e}");
    assert!(e.message.contains("at most 10000 entries"), "{e}");
    let e = error(&format!("name: x\ndescription: {}\nsteps: [health]\n", "d".repeat(8193)));
    assert_eq!(at(&e), ("description", Some(2)), "{e}");
    assert!(e.message.contains("at most 8192 bytes"), "{e}");
}

#[test]
fn an_agents_entry_for_a_role_no_template_has_is_refused_with_its_line() {
    let e = error(&format!("name: x\nagents:\n  planner: {{think: 1s}}\n  planer: {{think: 1s}}\nsteps:\n{LAUNCH}"));
    assert_eq!(at(&e), ("agents.planer", Some(4)), "{e}");
    assert!(e.message.contains("unknown role `planer`"), "{e}");
    assert!(e.message.contains("`agentsquad`") && e.message.contains("committer"), "{e}");
    let e = error(&format!("name: x\nworld:\n  loadouts:\n    tester: []\n    testr: []\nsteps:\n{LAUNCH}"));
    assert_eq!(at(&e), ("world.loadouts.testr", Some(5)), "{e}");
    // A role a scripted handoff brings in may be scripted too.
    let reviewer = "name: x\nagents:\n  planner:\n    handoffs: [{to: reviewer, intent: i, required_result: r, fallback_wall: delivery_wall}]\n  reviewer: {think: 1s}\nsteps: [health]\n";
    parse(reviewer).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn a_skipped_step_that_is_not_the_roles_own_is_refused_with_its_line() {
    let e = error(&format!(
        "name: x\nagents:\n  committer:\n    skips:\n      - merge_decision\n      - attach_evidence\nsteps:\n{LAUNCH}"
    ));
    assert_eq!(at(&e), ("agents.committer.skips[1]", Some(6)), "{e}");
    assert!(e.message.contains("`attach_evidence` is the tester's step"), "{e}");
    assert!(e.message.contains("the committer's delivery work (merge, merge_decision)"), "{e}");
    let e = error(&format!("name: x\nagents:\n  curator: {{skips: [commit]}}\nsteps:\n{LAUNCH}"));
    assert!(e.message.contains("the curator has no delivery work to skip"), "{e}");
}

#[test]
fn a_world_the_fakes_would_refuse_is_refused_at_load_with_its_line() {
    let e = error(
        "name: x\nworld:\n  projects:\n    - {slug: sanmopia, code: s}\n    - {slug: \"\", code: e}\nsteps: [health]\n",
    );
    assert_eq!(at(&e), ("world.projects[1].slug", Some(5)), "{e}");
    assert!(e.message.contains("repository name"), "{e}");
    let e = error("name: x\nworld:\n  projects:\n    - {slug: Sanmopia, code: s}\n    - {slug: sanmopia, code: t}\nsteps: [health]\n");
    assert_eq!(at(&e), ("world.projects[1].slug", Some(5)), "{e}");
    assert!(e.message.contains("differ only in case"), "{e}");
    let e = error("name: x\nworld:\n  projects: [{slug: a/b, code: s}]\nsteps: [health]\n");
    assert_eq!(at(&e), ("world.projects[0].slug", Some(3)), "{e}");
}

#[test]
fn every_corpus_scenario_loads_and_builds_its_world() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let files = squadsim::scenario::discover(&dir).unwrap();
    assert!(files.len() > 30, "the corpus: {files:?}");
    for file in files {
        let scenario = Scenario::load(&file).unwrap_or_else(|e| panic!("{e}"));
        if let Err(e) = Services::build(&scenario, &Endpoints::simulated(), Transport::Simulated) {
            panic!("{}: {e}", file.display());
        }
    }
}

#[test]
fn a_byte_order_mark_that_begins_the_file_is_read_past_and_errors_keep_their_lines() {
    let file = crate::support::corpus_file("happy-intake.yaml");
    let bytes = std::fs::read(&file).unwrap();
    let marked = [&b"\xef\xbb\xbf"[..], &bytes].concat();
    assert_eq!(Scenario::parse_bytes(&file, &marked).unwrap(), Scenario::parse_bytes(&file, &bytes).unwrap());
    let bad = "name: bad\nsteps:\n  - launch:\n      template_id: agentsquad\n      project_slug: x\n      delivery_graph_kind: project_delivery\n      timeout: forever\n";
    let e = Scenario::parse_bytes(Path::new("x.yaml"), &[&b"\xef\xbb\xbf"[..], bad.as_bytes()].concat()).unwrap_err();
    assert_eq!((e.field.as_str(), e.line, e.column), ("steps[0].launch.timeout", Some(7), Some(7)), "{e}");
    // Only at the beginning: one inside the document is refused where it is, as YAML has it.
    let e = Scenario::parse_bytes(Path::new("x.yaml"), "name: a\n\u{feff}steps: [health]\n".as_bytes()).unwrap_err();
    assert_eq!(e.line, Some(2), "{e}");
    assert!(e.message.contains("byte order mark"), "{e}");
}

#[test]
fn a_key_written_twice_in_one_mapping_is_located_at_its_second_occurrence() {
    let e = error("name: a\nname: b\nsteps: [health]\n");
    assert_eq!(at(&e), ("name", Some(2)), "{e}");
    assert!(e.message.contains("duplicate field `name`"), "{e}");
    let e = error(&format!(
        "name: a\nsteps:\n{LAUNCH}  - launch:\n      template_id: agentsquad\n      project_slug: x\n      template_id: again\n      delivery_graph_kind: project_delivery\n"
    ));
    assert_eq!(at(&e), ("steps[1].launch.template_id", Some(7)), "{e}");
}
