//! The Harness Runtime executes attempts through each agent process adapter, and
//! through either runtime binding (cliproxy, claude-native), with the same outcome.

use crate::support;

use squadsim::scenario::Scenario;
use squadsim::scenario::{AgentProcessAdapter, RuntimeBinding};
use squadsim::{
    engine::world::{self, Run, RunOptions},
    Outcome,
};
use support::load;

fn statuses(o: &Outcome) -> Vec<(String, String, Option<String>, u32)> {
    o.sessions
        .iter()
        .map(|s| (s.role_id.clone(), s.live_status.clone(), s.blocker_code.clone(), s.tool_call_count))
        .collect()
}

fn with_adapter(mut s: Scenario, role: &str, adapter: AgentProcessAdapter) -> Scenario {
    s.world.agent_process_adapters.insert(role.to_string(), adapter);
    s
}

/// Every line every agent process printed, from Daytona's workspace logs.
fn workspace_logs(s: &Scenario) -> (Outcome, String) {
    let Run { outcome: o, services, .. } = world::run(s, RunOptions { keep_services: true, ..RunOptions::default() });
    let daytona = services.expect("the world was built").daytona;
    let logs = daytona.sandboxes().iter().map(|sb| daytona.workspace_logs(&sb.id)).collect::<Vec<_>>().join("");
    (o, logs)
}

#[test]
fn every_adapter_runs_the_intake_pair_to_completion() {
    for adapter in [AgentProcessAdapter::ClaudeCli, AgentProcessAdapter::CodexCli, AgentProcessAdapter::WorkspaceCli] {
        let s = with_adapter(with_adapter(load("happy-intake.yaml"), "planner", adapter), "curator", adapter);
        let (o, logs) = workspace_logs(&s);
        assert!(
            o.sessions.len() == 2 && o.sessions.iter().all(|x| x.live_status == "session_completed"),
            "{}: {:?}",
            adapter.name(),
            statuses(&o)
        );
        assert!(o.sessions.iter().all(|x| x.tool_call_count >= 2 && x.claude_session_id.is_some()));
        match adapter {
            AgentProcessAdapter::CodexCli => {
                assert!(logs.contains("\"type\":\"thread.started\""), "{logs}");
                assert!(logs.contains("\"type\":\"mcp_tool_call\""), "{logs}");
                assert!(!logs.contains("\"type\":\"system\""), "codex prints no stream-json: {logs}");
            }
            _ => assert!(logs.contains("\"subtype\":\"init\""), "{logs}"),
        }
    }
}

#[test]
fn codex_names_its_own_session_and_the_harness_reads_it() {
    let s = with_adapter(load("happy-intake.yaml"), "planner", AgentProcessAdapter::CodexCli);
    let (o, logs) = workspace_logs(&s);
    let planner = o.sessions.iter().find(|x| x.role_id == "planner").unwrap();
    let id = planner.claude_session_id.clone().expect("read from thread.started");
    assert!(logs.contains(&format!("\"thread_id\":\"{id}\"")), "{id} / {logs}");
}

// The curator: an intake agent whose work is its HUD calls alone, so a browser-only
// attempt can do all of it (a browser-only planner cannot reach its memory tool).
#[test]
fn browser_only_without_a_browser_slot_cannot_start_and_the_gate_blocks() {
    let s = with_adapter(load("happy-intake.yaml"), "curator", AgentProcessAdapter::BrowserOnly);
    let (o, logs) = workspace_logs(&s);
    let curator = o.sessions.iter().find(|x| x.role_id == "curator").unwrap();
    assert_eq!(curator.blocker_code.as_deref(), Some("agent_first_tool_required"), "{:?}", statuses(&o));
    assert!(logs.contains("--browser-only needs a browser slot"), "{logs}");
    let planner = o.sessions.iter().find(|x| x.role_id == "planner").unwrap();
    assert_eq!(planner.live_status, "session_completed");
    // The diagnosis reads what the process printed: not "zero output".
    let d = o.diagnosis.expect("the curator is blocked by the launch contract");
    let workspace = d.evidence.iter().find(|e| e.check == "Daytona workspace logs").unwrap();
    assert_eq!(
        workspace.finding,
        "no session started in 1 workspaces (0 printed nothing; the others printed: workspace-cli: --browser-only \
         needs a browser slot in the loadout)"
    );
    assert_eq!(
        d.cause,
        "the agent process ran but started no session: workspace-cli: --browser-only needs a browser slot in the \
         loadout (last steps: first_tool_gate)"
    );
}

#[test]
fn browser_only_twin_with_a_browser_slot_completes_through_the_browser_grid_and_hud_only() {
    let mut s = with_adapter(load("happy-intake.yaml"), "curator", AgentProcessAdapter::BrowserOnly);
    s.world.browser_slots.insert("curator".into(), vec!["playwright/curator".into()]);
    s.world.loadouts.insert("curator".into(), vec!["fractalops-hud".into(), "searxnggrid".into(), "playwright".into()]);
    let (o, logs) = workspace_logs(&s);
    assert!(o.sessions.iter().all(|x| x.live_status == "session_completed"), "{:?}", statuses(&o));
    assert!(logs.contains("mcp__playwright__"), "the browser grid is in the palette: {logs}");
    assert!(!logs.contains("mcp__searxnggrid__"), "browser-only reaches no other grid: {logs}");
}

#[test]
fn a_browser_only_planner_cannot_reach_its_memory_tool_and_says_so() {
    // Before issue 15 this planner "completed" without ever using its memory tool.
    let mut s = with_adapter(load("happy-intake.yaml"), "planner", AgentProcessAdapter::BrowserOnly);
    s.world.browser_slots.insert("planner".into(), vec!["playwright/planner".into()]);
    let (o, _) = workspace_logs(&s);
    let planner = o.sessions.iter().find(|x| x.role_id == "planner").unwrap();
    assert_eq!(planner.blocker_code.as_deref(), Some("memory_tool_contract_required"), "{:?}", statuses(&o));
    assert_eq!(planner.current_step, "work_stopped: memory_search: not in the palette");
    assert_eq!(o.run.as_ref().unwrap().status, "blocked");
}

/// The outcome with the runtime binding field cleared.
fn without_runtime_binding(mut o: Outcome) -> String {
    if let Some(run) = o.run.as_mut() {
        run.runtime_binding = None;
    }
    o.to_yaml()
}

#[test]
fn both_runtimes_run_full_delivery_with_the_same_outcome_apart_from_the_runtime_field() {
    let cliproxy = load("full-delivery.yaml");
    let mut native = cliproxy.clone();
    native.world.runtime_binding = RuntimeBinding::ClaudeNative;
    let (a, a_logs) = workspace_logs(&cliproxy);
    let (b, b_logs) = workspace_logs(&native);
    assert_eq!(a.run.as_ref().unwrap().status, "completed", "{:?}", statuses(&a));
    assert_eq!(b.run.as_ref().unwrap().runtime_binding.as_deref(), Some("claude-native"));
    assert_eq!(without_runtime_binding(a), without_runtime_binding(b));
    // cliproxy: bare names from the shim; claude-native: discovered federated names,
    // shown without the federation prefix; the doubled form never reaches a palette.
    assert!(a_logs.contains("mcp__fractalops-hud__get_hud_snapshot"), "{a_logs}");
    assert!(b_logs.contains("mcp__fractalops-hud__get-hud-snapshot"), "{b_logs}");
    for logs in [&a_logs, &b_logs] {
        assert!(!logs.contains("__yamon-"), "a doubled federated name reached a palette");
    }
}

#[test]
fn the_cliproxy_runtime_binds_central_cliproxy_and_claude_native_does_not() {
    for (binding, expected) in
        [(RuntimeBinding::Cliproxy, Some("central_cliproxy")), (RuntimeBinding::ClaudeNative, None)]
    {
        let mut s = load("happy-intake.yaml");
        s.world.runtime_binding = binding;
        let Run { services, .. } = world::run(&s, RunOptions { keep_services: true, ..RunOptions::default() });
        let sandboxes = services.unwrap().daytona.sandboxes();
        assert!(!sandboxes.is_empty());
        for sb in sandboxes {
            assert_eq!(sb.env.get("AGENTSQUAD_ENDPOINT_BINDING").map(String::as_str), expected);
            assert_eq!(sb.env.get("AGENTSQUAD_RUNTIME_BINDING").map(String::as_str), Some(binding.name()));
        }
    }
}
