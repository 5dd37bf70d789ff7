//! The runbook's checklist (`docs/seeds.md`, runbook: "Check the execution-plane health first: kubectl get
//! nodes — all Ready? Longhorn storage [...]") evaluated check by check: a check
//! is never passed because an earlier one failed, and the diagnosis's cause names
//! every failing check in the checklist's order. With every node NotReady and 11
//! orphaned Longhorn volumes, both the nodes and the storage are named; each twin
//! with one of the two conditions names that one alone.

use crate::support;

use squadsim::engine::diagnosis::{Diagnosis, Evidence, Plane};
use squadsim::Outcome;
use support::load;

const NODES: &str = "kubectl get nodes";
const LONGHORN: &str = "kubectl get volumes.longhorn.io -n longhorn-system";

fn diagnosis(o: &Outcome) -> &Diagnosis {
    o.diagnosis.as_ref().unwrap_or_else(|| panic!("a diagnosis: {:?}", o.sessions))
}

fn evidence<'a>(d: &'a Diagnosis, check: &str) -> &'a Evidence {
    d.evidence.iter().find(|e| e.check == check).unwrap_or_else(|| panic!("no {check} in {:?}", d.evidence))
}

/// Where the nodes' and the storage's parts of the cause begin, if present.
fn positions(d: &Diagnosis) -> (Option<usize>, Option<usize>) {
    (d.cause.find("nodes NotReady"), d.cause.find("orphaned faulted/unknown Longhorn volumes"))
}

#[test]
fn nodes_not_ready_and_orphaned_volumes_are_both_named_in_the_checklists_order() {
    let o = support::run(&load("sandbox-nodes-not-ready-orphaned-volumes.yaml"));
    let d = first_tool_block(&o);
    assert_eq!(d.plane, Plane::ExecutionPlane);
    assert!(!evidence(d, NODES).healthy);
    let storage = evidence(d, LONGHORN);
    assert!(!storage.healthy, "11 orphaned volumes are over the headroom: {}", storage.finding);
    assert!(
        storage.finding.contains("11 faulted/unknown detached with no workload (orphaned), over the 10"),
        "{}",
        storage.finding
    );
    let (nodes, volumes) = positions(d);
    assert!(nodes.is_some() && volumes.is_some(), "{}", d.cause);
    assert!(nodes < volumes, "the checklist's order: {}", d.cause);
    assert!(d.cause.contains("even once their pods are placed"), "{}", d.cause);
}

#[test]
fn twin_with_every_node_ready_names_the_storage_alone() {
    let o = support::run(&load("longhorn-faulted-volumes.yaml"));
    let d = diagnosis(&o);
    assert!(evidence(d, NODES).healthy);
    assert!(!evidence(d, LONGHORN).healthy);
    assert_eq!(positions(d).0, None, "{}", d.cause);
    assert!(d.cause.starts_with("new workspace volumes cannot attach"), "{}", d.cause);
}

#[test]
fn twin_without_orphaned_volumes_names_the_nodes_alone() {
    let o = support::run(&load("sandbox-nodes-not-ready.yaml"));
    let d = diagnosis(&o);
    assert!(!evidence(d, NODES).healthy);
    assert!(evidence(d, LONGHORN).healthy, "{}", evidence(d, LONGHORN).finding);
    assert_eq!(positions(d).1, None, "{}", d.cause);
    assert!(d.cause.starts_with("3 of 3 nodes NotReady"), "{}", d.cause);
}

const WORKSPACE_LOGS: &str = "Daytona workspace logs";

/// The planner's declared tool calls replaced by `calls`.
fn planner_calls(name: &str, calls: &[&str]) -> Outcome {
    let mut s = load(name);
    s.agents.entry("planner".into()).or_default().tool_calls = Some(calls.iter().map(|c| c.to_string()).collect());
    support::run(&s)
}

/// The diagnosis of a run blocked by the launch contract alone.
fn first_tool_block(o: &Outcome) -> &Diagnosis {
    assert_eq!(o.blockers(), ["agent_first_tool_required"], "{:?}", o.sessions);
    diagnosis(o)
}

#[test]
fn a_prompt_that_calls_another_tool_is_neither_plane_and_says_the_required_tool_was_never_called() {
    let o = support::run(&load("first-tool-other-tool-call.yaml"));
    let d = first_tool_block(&o);
    assert_eq!(d.plane, Plane::Neither, "{d:?}");
    // Its calls are in its workspace log: one session started (the skills line after its first call starts none).
    let logs = evidence(d, WORKSPACE_LOGS);
    assert!(logs.healthy, "{logs:?}");
    assert_eq!(
        logs.finding,
        "claude started in 1 of 1 workspaces; 2 tool calls, 0 tool errors; \
         no call of the required first tool mcp__fractalops-hud__get_hud_snapshot"
    );
    assert_eq!(
        d.cause,
        "claude ran with its MCP tools available, but of the blocked agents' 2 tool calls none was the \
         required first tool mcp__fractalops-hud__get_hud_snapshot"
    );
    // The twin: the same planner calling the required first tool first completes.
    let twin =
        planner_calls("first-tool-other-tool-call.yaml", &["get_hud_snapshot", "memory_search", "post_hud_status"]);
    support::assert_completed(&twin);
}

#[test]
fn a_refused_call_instead_of_the_required_tool_is_a_tool_error_of_the_control_plane() {
    // The planner's model calls only a tool of a server its loadout does not mount: the shim refuses it.
    let o = planner_calls("first-tool-other-tool-call.yaml", &["mcp__searxnggrid__search_query"]);
    let d = first_tool_block(&o);
    assert_eq!(d.plane, Plane::ControlPlane, "{d:?}");
    let logs = evidence(d, WORKSPACE_LOGS);
    assert!(!logs.healthy);
    assert!(logs.finding.starts_with("claude started in 1 of 1 workspaces; 2 tool calls, 1 tool errors; "), "{logs:?}");
    assert_eq!(
        d.cause,
        "1 of the blocked agents' 2 tool calls came back as errors (refused by the loadout's allow-list, or \
         failed); of the blocked agents' 2 tool calls none was the required first tool \
         mcp__fractalops-hud__get_hud_snapshot"
    );
    // Its twin is least-privilege-unmounted-server: the same refused call beside the HUD's, and it completes.
    support::assert_completed(&support::run(&load("least-privilege-unmounted-server.yaml")));
}

#[test]
fn a_codex_agents_log_is_read_as_codex_prints_it() {
    let o = support::run(&load("first-tool-codex-no-tool-call.yaml"));
    let d = first_tool_block(&o);
    // Its session started (codex's `thread.started`): not the execution plane's "claude never ran".
    assert_eq!(d.plane, Plane::Neither, "{d:?}");
    assert_eq!(
        evidence(d, WORKSPACE_LOGS).finding,
        "the agent process started in 1 of 1 workspaces; 0 tool calls, 0 tool errors"
    );
    assert_eq!(
        d.cause,
        "the agent process ran with its MCP tools available, but the dispatch prompt elicited no tool call"
    );
    // A codex planner calling another tool: its `mcp_tool_call` items are counted, and named.
    let mut other = load("first-tool-codex-no-tool-call.yaml");
    other.agents.entry("planner".into()).or_default().tool_calls = Some(vec!["memory_search".into()]);
    let d = support::run(&other).diagnosis.expect("blocked");
    assert!(
        evidence(&d, WORKSPACE_LOGS).finding.contains("; 2 tool calls, 0 tool errors; no call of the required"),
        "{d:?}"
    );
    // The twin: the codex planner with its usual calls completes.
    let mut twin = load("first-tool-codex-no-tool-call.yaml");
    twin.agents.remove("planner");
    support::assert_completed(&support::run(&twin));
}

/// first-tool-no-tool-call with Daytona's toolbox refusing to start the curator's
/// process (its sandbox is the run's second): the planner's session starts and makes
/// no call, the curator's workspace prints nothing, and both are blocked.
fn one_workspace_silent(faulted: bool) -> Outcome {
    let mut text = std::fs::read_to_string(support::corpus_file("first-tool-no-tool-call.yaml")).unwrap();
    if faulted {
        let fault = "  - service: {host: daytona, method: POST, path: /toolbox/sbx-00000002/process/session/*/exec, \
                     effect: {status: 500}, on: run_launched}\n";
        text = text.replace("faults: []\n", &format!("faults:\n{fault}"));
    }
    let s = squadsim::scenario::Scenario::parse(std::path::Path::new("scenarios/silent.yaml"), &text).unwrap();
    support::run(&s)
}

#[test]
fn a_silent_workspace_beside_a_started_one_is_the_execution_plane() {
    let o = one_workspace_silent(true);
    assert_eq!(o.blockers(), ["agent_first_tool_required"]);
    assert!(o.sessions.iter().all(|s| s.live_status == "blocked"), "{:?}", o.sessions);
    let d = diagnosis(&o);
    let logs = evidence(d, WORKSPACE_LOGS);
    assert_eq!(logs.finding, "claude started in 1 of 2 workspaces, 1 silent; 0 tool calls, 0 tool errors");
    assert!(!logs.healthy);
    assert_eq!(
        (d.plane, d.cause.as_str()),
        (Plane::ExecutionPlane, "claude never ran in 1 of 2 workspaces, zero output")
    );
    // The twin without the fault: the curator's process runs, only the planner (no call) is blocked, neither plane.
    let twin = one_workspace_silent(false);
    assert_eq!(diagnosis(&twin).plane, Plane::Neither);
    assert_eq!(
        evidence(diagnosis(&twin), WORKSPACE_LOGS).finding,
        "claude started in 1 of 1 workspaces; 0 tool calls, 0 tool errors"
    );
}
