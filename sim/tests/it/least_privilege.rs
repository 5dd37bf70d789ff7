//! Least privilege where the delivery-language seed (`docs/seeds.md`) puts it: "at the
//! server-attachment level — which MCP servers a loadout mounts". Agents reach
//! tools only through their loadout's virtual servers (`/servers/<id>/mcp`),
//! under both runtime bindings; a virtual server the gateway would not create leaves the
//! loadout unattached (a first-tool block on the control plane); the workspace
//! shim refuses a call no allow-list wildcard admits before it leaves, and the
//! refusal shows in the outcome and in `squadsim explain`.

use crate::support;

use squadsim::base::topology::Host;
use squadsim::engine::diagnosis::Plane;

use squadsim::scenario::{AgentProcessAdapter, RuntimeBinding};
use squadsim::scenario::{Fault, Scenario, SimDuration};
use squadsim::tools::explain::{self, CallView};
use squadsim::{
    engine::world::{self, Run, RunOptions},
    Outcome,
};
use support::load;

const BINDINGS: [RuntimeBinding; 2] = [RuntimeBinding::Cliproxy, RuntimeBinding::ClaudeNative];

fn refused_servers() -> Scenario {
    load("loadout-virtual-servers-refused.yaml")
}

fn unmounted_call() -> Scenario {
    load("least-privilege-unmounted-server.yaml")
}

fn with_binding(mut s: Scenario, binding: RuntimeBinding) -> Scenario {
    s.world.runtime_binding = binding;
    s
}

fn status(o: &Outcome) -> &str {
    o.run.as_ref().map(|r| r.status.as_str()).unwrap_or("not launched")
}

fn session<'a>(o: &'a Outcome, role: &str) -> &'a squadsim::engine::outcome::SessionOutcome {
    o.sessions.iter().find(|s| s.role_id == role).unwrap_or_else(|| panic!("no {role} in {:?}", o.sessions))
}

#[test]
fn with_no_virtual_server_the_loadouts_mount_nothing_and_the_intake_pair_blocks_under_both_runtime_bindings() {
    for binding in BINDINGS {
        let o = support::run(&with_binding(refused_servers(), binding));
        assert_eq!(o.launch_http_status(), Some(200), "{binding:?}");
        assert_eq!(status(&o), "blocked", "{binding:?}: {:?}", o.sessions);
        assert_eq!(o.blockers(), ["agent_first_tool_required"], "{binding:?}");
        assert_eq!(o.gateway.tool_calls, 0, "{binding:?}: no tool was reached, not even through the global /mcp");
        let d = o.diagnosis.as_ref().expect("a diagnosis");
        assert_eq!(d.plane, Plane::ControlPlane, "{binding:?}: {}", d.cause);
        assert!(d.cause.contains("no virtual server for") && d.cause.contains("fractalops-hud"), "{}", d.cause);
        let servers = d.evidence.iter().find(|e| e.check.starts_with("ContextForge virtual servers")).unwrap();
        assert!(!servers.healthy, "{}", servers.finding);
    }
}

#[test]
fn twin_without_the_fault_completes_under_both_runtime_bindings() {
    for binding in BINDINGS {
        let mut s = with_binding(refused_servers(), binding);
        s.faults.clear();
        let o = support::run(&s);
        assert_eq!(status(&o), "completed", "{binding:?}: {:?}", o.sessions);
        assert!(o.blockers().is_empty() && o.diagnosis.is_none(), "{binding:?}");
        assert!(o.gateway.tool_calls > 0);
    }
}

#[test]
fn a_refusal_that_ends_before_the_launch_heals_the_armory_retries_the_virtual_servers() {
    let mut s = refused_servers();
    let Some(Fault::Service { end, .. }) = s.faults.first_mut() else { panic!("the scenario's fault") };
    end.until = Some(SimDuration::secs(5));
    let o = support::run(&s);
    assert_eq!(status(&o), "completed", "{:?}", o.sessions);
}

#[test]
fn agents_reach_tools_only_through_their_loadouts_virtual_servers_under_both_runtime_bindings() {
    for binding in BINDINGS {
        let Run { outcome: o, record, services, .. } = world::run(
            &with_binding(load("full-delivery.yaml"), binding),
            RunOptions { record: true, keep_services: true, ..RunOptions::default() },
        );
        let record = record.expect("a recorded run has a record");
        assert_eq!(status(&o), "completed", "{binding:?}");
        let gateway = services.expect("built").gateway;
        let ids: Vec<String> = gateway.servers().into_iter().map(|s| s.id).collect();
        let from_workspaces: Vec<_> =
            record.calls.iter().filter(|c| c.from == "daytona" && c.to == "contextforge").collect();
        assert!(!from_workspaces.is_empty());
        for c in from_workspaces {
            let id = c.path.strip_prefix("/servers/").and_then(|rest| rest.split('/').next()).unwrap_or_default();
            assert!(
                ids.iter().any(|known| known == id),
                "{binding:?}: {} {} is not on a virtual server",
                c.method,
                c.path
            );
        }
    }
}

#[test]
fn a_call_outside_the_allow_list_is_refused_before_it_leaves_and_shows_in_the_outcome() {
    for adapter in [AgentProcessAdapter::ClaudeCli, AgentProcessAdapter::CodexCli] {
        let mut s = unmounted_call();
        s.world.agent_process_adapters.insert("planner".into(), adapter);
        let Run { outcome: o, services, .. } =
            world::run(&s, RunOptions { keep_services: true, ..RunOptions::default() });
        assert_eq!(status(&o), "completed", "{adapter:?}: a refused call is not a blocker");
        let planner = session(&o, "planner");
        assert_eq!(planner.refused_tool_calls, ["mcp__searxnggrid__search_query"], "{adapter:?}");
        assert!(session(&o, "curator").refused_tool_calls.is_empty());
        let services = services.expect("built");
        let searxng = services.plain_grids.iter().find(|(host, _)| *host == Host::Searxnggrid).unwrap();
        assert!(searxng.1.calls().is_empty(), "{adapter:?}: the call reached the grid");
    }
}

#[test]
fn explain_shows_the_refusal_on_the_timeline_and_the_session() {
    let s = unmounted_call();
    let Run { outcome: o, record, .. } = world::run(&s, RunOptions { record: true, ..RunOptions::default() });
    let record = record.expect("a recorded run has a record");
    let story = explain::story(&s, &o, &record, &[], CallView::None);
    assert!(
        story.contains("planner: tool call mcp__searxnggrid__search_query refused (not in the loadout's allow-list)"),
        "{story}"
    );
    assert!(story.contains("(1 refused: mcp__searxnggrid__search_query)"), "{story}");
}

#[test]
fn twin_whose_loadout_mounts_the_server_makes_the_same_call() {
    let mut s = unmounted_call();
    let servers = ["fractalops-hud", "agent-memory-archive", "searxnggrid"];
    s.world.loadouts.insert("planner".into(), servers.iter().map(|x| x.to_string()).collect());
    let Run { outcome: o, services, .. } = world::run(&s, RunOptions { keep_services: true, ..RunOptions::default() });
    assert_eq!(status(&o), "completed");
    assert!(session(&o, "planner").refused_tool_calls.is_empty());
    let services = services.expect("built");
    let searxng = services.plain_grids.iter().find(|(host, _)| *host == Host::Searxnggrid).unwrap();
    let calls = searxng.1.calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].tool, "search_query", "the grid sees the bare name");
}

#[test]
fn a_refused_call_of_the_required_first_tool_does_not_meet_the_launch_contract() {
    // The planner's loadout does not mount the HUD, yet its model asks for the HUD's
    // first tool by its agent-facing name: the shim refuses it, so the call never
    // left and the launch contract is not met (`docs/seeds.md`, runbook: "if the MCP config ... is
    // broken the agent literally cannot call it").
    for binding in BINDINGS {
        let mut s = with_binding(unmounted_call(), binding);
        s.world.loadouts.insert("planner".into(), vec!["agent-memory-archive".into()]);
        let planner = s.agents.get_mut("planner").unwrap();
        planner.tool_calls = Some(vec!["mcp__fractalops-hud__get_hud_snapshot".into()]);
        let run = world::run(&s, RunOptions { capture_responses: true, ..RunOptions::default() });
        let p = session(&run.outcome, "planner");
        assert_eq!(p.refused_tool_calls, ["mcp__fractalops-hud__get_hud_snapshot"], "{binding:?}");
        assert_eq!(p.blocker_code.as_deref(), Some("agent_first_tool_required"), "{binding:?}: {p:?}");
        // The refused call never counted as the first tool: the session never shows `working`.
        let statuses = support::polled(&run.responses, "planner", "live_status");
        assert!(
            statuses.iter().any(|s| s == "waiting_first_tool") && !statuses.iter().any(|s| s == "working"),
            "{binding:?}: {statuses:?}"
        );
        // The twin: the loadout mounts the HUD, the same call is made and credited.
        let mut twin = s.clone();
        twin.world.loadouts.insert("planner".into(), vec!["fractalops-hud".into(), "agent-memory-archive".into()]);
        let o = support::run(&twin);
        let p = session(&o, "planner");
        assert!(p.refused_tool_calls.is_empty() && p.blocker_code.is_none(), "{binding:?}: {p:?}");
    }
}
