//! Faults that begin on an agent's MCP tool call (`on: {tool_call: {role, tool}}`):
//! read at ContextForge's door from the JSON-RPC body (`params.name`) and the
//! caller's token (its subject, mapped to a role through the Studio's sessions),
//! the call held there until the fault has begun; and what the loader refuses.

use std::path::Path;
use std::time::Duration;

use squadsim::engine::world::{self, Run, RunOptions};
use squadsim::scenario::{Scenario, ScenarioError};

use crate::support::{self, load};

fn recorded(scenario: &Scenario) -> Run {
    world::run(scenario, RunOptions { record: true, ..RunOptions::default() })
}

fn parse(text: &str) -> Result<Scenario, ScenarioError> {
    Scenario::parse(Path::new("scenarios/x.yaml"), text)
}

fn status(run: &Run) -> Option<&str> {
    run.outcome.run.as_ref().map(|r| r.status.as_str())
}

/// (role, blocker) of every blocked session.
fn blocked(run: &Run) -> Vec<(String, Option<String>)> {
    let blocked = run.outcome.sessions.iter().filter(|s| s.live_status == "blocked");
    blocked.map(|s| (s.role_id.clone(), s.blocker_code.clone())).collect()
}

#[test]
fn a_crash_on_the_closers_lineage_call_hits_that_very_call_under_every_seed() {
    for seed in 0..20 {
        let mut s = load("datahub-crash-on-closer-lineage.yaml");
        s.seed = seed;
        let run = recorded(&s);
        let at = support::fault_began(&run.outcome, "on tool_call publish_lineage by closer: crash datahub")
            .unwrap_or_else(|| panic!("seed {seed}: the event never fired: {:?}", run.outcome.faults));
        let calls = &run.record.as_ref().expect("a recorded run has a record").calls;
        // The closer's call was held at the gateway's door while the crash began ...
        let held = calls.iter().find(|c| c.from == "daytona" && c.to == "contextforge" && c.start <= at && c.end >= at);
        assert!(held.is_some_and(|c| c.path.ends_with("/mcp")), "seed {seed}: no tools/call was held at {at:?}");
        // ... so the gateway's upstream call for it found DataHub down.
        let upstream = calls.iter().find(|c| c.from == "contextforge" && c.to == "datahub" && c.start >= at);
        assert_eq!(upstream.map(|c| c.status), Some(None), "seed {seed}: the lineage call reached DataHub");
        assert_eq!(status(&run), Some("blocked"), "seed {seed}");
        assert_eq!(blocked(&run), [("closer".to_string(), Some("lineage_evidence_required".to_string()))]);
    }
}

#[test]
fn the_twin_without_the_crash_delivers_end_to_end() {
    let mut s = load("datahub-crash-on-closer-lineage.yaml");
    s.faults.clear();
    let run = recorded(&s);
    assert_eq!(status(&run), Some("completed"), "{:?}", blocked(&run));
    assert!(run.outcome.faults.is_empty());
}

#[test]
fn a_call_of_that_tool_by_another_role_does_not_fire_the_event() {
    // Every agent calls get_hud_snapshot first; the planner's and curator's come ~30 s before the tester joins.
    let mut s = load("datahub-crash-on-closer-lineage.yaml");
    s.faults = parse(
        "faults:\n  - service: {host: fractalops-hud, path: /, effect: {status: 503}, \
         on: {tool_call: {role: tester, tool: get_hud_snapshot}}, lasts: 1s}\nsteps: [health]\n",
    )
    .unwrap()
    .faults;
    let run = recorded(&s);
    let at = support::fault_began(
        &run.outcome,
        "on tool_call get_hud_snapshot by tester: service fractalops-hud * /: status 503",
    )
    .unwrap_or_else(|| panic!("{:?}", run.outcome.faults));
    let calls = &run.record.as_ref().expect("a record").calls;
    let first = calls.iter().find(|c| c.from == "daytona" && c.to == "contextforge" && c.method == "POST");
    let first = first.expect("the agents called tools").start;
    assert!(at > first + Duration::from_secs(20), "fired on the first agents' calls ({first:?}): {at:?}");
    // The tester's held call went on into the fault: the HUD answered it 503.
    // (It may leave in the tick the fault begins, a moment before the fault's
    // recorded start: the first HUD call still open when the fault began.)
    let hud = calls.iter().find(|c| c.from == "contextforge" && c.to == "fractalops-hud" && c.end >= at);
    assert_eq!(hud.map(|c| c.status), Some(Some(503)));
    assert!(blocked(&run).iter().all(|(role, _)| role == "tester"), "{:?}", blocked(&run));
}

#[test]
fn any_role_and_any_tool_fire_on_the_first_tool_call_through_the_gateway() {
    let mut s = load("datahub-crash-on-closer-lineage.yaml");
    s.faults =
        parse("faults:\n  - crash: {host: contextforge, on: {tool_call: {}}, restart_after: 30s}\nsteps: [health]\n")
            .unwrap()
            .faults;
    let run = recorded(&s);
    let at = support::fault_began(&run.outcome, "on tool_call * by *: crash contextforge")
        .expect("the first tool call fires it");
    let calls = &run.record.as_ref().expect("a record").calls;
    let first_agent_call = calls.iter().find(|c| c.from == "daytona" && c.to == "contextforge" && c.method == "POST");
    assert!(first_agent_call.is_some_and(|c| c.start <= at && c.status.is_none()), "{first_agent_call:?} at {at:?}");
}

#[test]
fn a_run_scoped_tool_call_event_waits_for_that_runs_agent() {
    // Run a starts at once; run b a minute later. The event of run b must not fire on run a's planner.
    let text = "\
world:
  projects:
    - {slug: sanmopia-modernization, code: sanm}
    - {slug: ledger-migration, code: ledg}
faults:
  - crash: {host: agent-memory-archive, run: b, on: {tool_call: {role: planner, tool: memory_search}}}
steps:
  - launch: {label: a, template_id: research-team, project_slug: sanmopia-modernization, delivery_graph_kind: project_delivery}
  - execute
  - wait: {duration: 60s}
  - launch: {label: b, template_id: research-team, project_slug: ledger-migration, delivery_graph_kind: project_delivery}
  - on_run: {run: b, steps: [execute]}
  - watch: {every: 5s, timeout: 10m}
";
    let run = recorded(&parse(text).unwrap());
    let at = support::fault_began(
        &run.outcome,
        "on tool_call memory_search by planner of run b: crash agent-memory-archive",
    )
    .unwrap_or_else(|| panic!("{:?}", run.outcome.faults));
    assert!(at > Duration::from_secs(60), "fired on run a's planner: {at:?}");
    let statuses: Vec<(&str, Option<&str>)> =
        run.outcome.runs.iter().map(|r| (r.label.as_str(), r.run.as_ref().map(|run| run.status.as_str()))).collect();
    assert_eq!(statuses, [("a", Some("completed")), ("b", Some("blocked"))]);
}

/// The error loading `text`, which names `field` and says `says`.
fn refused(text: &str, field: &str, says: &str) -> ScenarioError {
    let err = parse(text).unwrap_err();
    assert_eq!(err.field, field, "{err}");
    assert!(err.message.contains(says), "{err}");
    err
}

const LAUNCH: &str =
    "steps:\n  - launch: {template_id: agentsquad, project_slug: sanmopia-modernization, delivery_graph_kind: project_delivery}\n";

#[test]
fn a_role_no_launch_of_the_scenario_can_have_is_refused_with_its_line() {
    let text = format!(
        "faults:\n  - crash:\n      host: datahub\n      on:\n        tool_call: {{role: reviewer, tool: publish_lineage}}\n{LAUNCH}"
    );
    let err = refused(&text, "faults[0].crash.on.tool_call.role", "no agent of this scenario can be `reviewer`");
    assert_eq!(err.line, Some(5));
    // research-team has no closer.
    let text = "faults:\n  - crash: {host: datahub, on: {tool_call: {role: closer}}}\nsteps:\n  - launch: \
                {template_id: research-team, project_slug: sanmopia-modernization, delivery_graph_kind: project_delivery}\n";
    refused(text, "faults[0].crash.on.tool_call.role", "no agent of this scenario can be `closer`");
    // An agent id of a lane names its role.
    parse(&format!("faults:\n  - crash: {{host: datahub, on: {{tool_call: {{role: implementer-2}}}}}}\n{LAUNCH}"))
        .unwrap();
}

#[test]
fn a_tool_no_loadout_of_the_role_exposes_is_refused_with_its_line() {
    let text = format!(
        "faults:\n  - crash: {{host: datahub, on: {{tool_call: {{role: planner, tool: publish_lineage}}}}}}\n{LAUNCH}"
    );
    let err = refused(
        &text,
        "faults[0].crash.on.tool_call.tool",
        "no loadout of this scenario exposes `publish_lineage` to planner",
    );
    assert_eq!(err.line, Some(2));
    assert!(err.message.contains("memory_search"), "the planner's tools are listed: {err}");
    let text = format!(
        "faults:\n  - crash: {{host: datahub, on: {{tool_call: {{tool: github.create_pull_request}}}}}}\n{LAUNCH}"
    );
    refused(
        &text,
        "faults[0].crash.on.tool_call.tool",
        "no loadout of this scenario exposes `github.create_pull_request`",
    );
    // A world loadout that mounts DataHub for the planner makes it one the planner can call.
    parse(&format!(
        "world:\n  loadouts:\n    planner: [fractalops-hud, datahub]\nfaults:\n  - crash: {{host: datahub, on: \
         {{tool_call: {{role: planner, tool: mcp__datahub__publish_lineage}}}}}}\n{LAUNCH}"
    ))
    .unwrap();
    // The agent-facing name of a server the role does not mount is refused too.
    let text = format!(
        "faults:\n  - crash: {{host: datahub, on: {{tool_call: {{role: closer, tool: mcp__searxnggrid__publish_lineage}}}}}}\n{LAUNCH}"
    );
    refused(&text, "faults[0].crash.on.tool_call.tool", "exposes `mcp__searxnggrid__publish_lineage`");
}

#[test]
fn a_role_whose_loadout_mounts_nothing_is_refused() {
    let text = format!(
        "world:\n  loadouts:\n    curator: []\nfaults:\n  - crash: {{host: datahub, on: {{tool_call: {{role: curator}}}}}}\n{LAUNCH}"
    );
    refused(&text, "faults[0].crash.on.tool_call.role", "mounts no MCP server");
}

#[test]
fn a_bad_delay_is_refused_with_its_line() {
    let text = format!(
        "world: {{horizon: 10m}}\nfaults:\n  - crash:\n      host: datahub\n      on:\n        tool_call:\n          \
         tool: publish_lineage\n          delay: 10m\n{LAUNCH}"
    );
    let err = refused(&text, "faults[0].crash.on.tool_call.delay", "shorter than the horizon (600.0s)");
    assert_eq!(err.line, Some(8));
    let text = format!("faults:\n  - crash: {{host: datahub, on: {{tool_call: {{delay: -1s}}}}}}\n{LAUNCH}");
    assert!(parse(&text).unwrap_err().field.ends_with("tool_call.delay"));
    let text = format!(
        "faults:\n  - crash: {{host: datahub, on: {{tool_call: {{tool: publish_lineage, by: closer}}}}}}\n{LAUNCH}"
    );
    assert!(parse(&text).unwrap_err().message.contains("by"), "an unknown key is refused");
}
