//! Armory loadouts: the observability-triage bundle for the tester and compactor,
//! resolved at session launch, never shown in the roster view.

use crate::support;

use squadsim::engine::world::{self, Run, RunOptions};
use squadsim::platform::studio::armory;
use support::load;

#[test]
fn the_tester_and_compactor_get_the_observability_triage_bundle() {
    for role in ["tester", "compactor"] {
        let bundles = armory::bundles(role);
        assert_eq!(bundles.len(), 1, "{role}");
        assert_eq!(bundles[0].bundle_id, "observability-triage");
        assert_eq!(bundles[0].server_ids, ["glitchtip", "fractalops-hud"]);
        assert_eq!(
            armory::policies(role),
            vec!["error-triage", "performance-regression-check", "issue-resolution-proof"]
        );
    }
    for role in ["planner", "curator", "implementer", "committer", "closer"] {
        assert!(armory::bundles(role).is_empty(), "{role}");
        assert!(armory::policies(role).is_empty(), "{role}");
    }
    assert_eq!(armory::secret_leases("tester"), vec!["named-agent/tester"]);
}

#[test]
fn in_full_delivery_the_tester_loadout_resolves_with_glitchtip_and_the_roster_stays_empty() {
    let s = load("full-delivery.yaml");
    let Run { outcome, responses, .. } =
        world::run(&s, RunOptions { capture_responses: true, ..RunOptions::default() });
    assert_eq!(outcome.run.as_ref().unwrap().status, "completed");
    for (request, body) in &responses {
        if let Some(roster) = body.get("agent_roster").and_then(|r| r.as_array()) {
            for agent in roster {
                assert_eq!(agent["skill_ids"], serde_json::json!([]), "{request}");
                assert_eq!(agent["mcp_server_ids"], serde_json::json!([]), "{request}");
            }
        }
    }
    let state = responses.iter().rev().find(|(r, _)| r.ends_with("/session-state")).expect("session-state");
    let servers = |role: &str| {
        state.1["sessions"].as_array().unwrap().iter().find(|x| x["role_id"] == role).unwrap()["mcp_server_ids"].clone()
    };
    let tester = servers("tester");
    assert!(tester.as_array().unwrap().contains(&serde_json::json!("glitchtip")), "{tester}");
    assert!(tester.as_array().unwrap().contains(&serde_json::json!("fractalops-hud")), "{tester}");
    let committer = servers("committer");
    assert!(!committer.as_array().unwrap().contains(&serde_json::json!("glitchtip")), "{committer}");
}

#[test]
fn the_testers_palette_carries_the_glitchtip_mcp_tools() {
    let Run { services, .. } =
        world::run(&load("full-delivery.yaml"), RunOptions { keep_services: true, ..RunOptions::default() });
    let daytona = services.unwrap().daytona;
    let tester = daytona.sandboxes().into_iter().find(|sb| sb.name.contains("-tester-")).expect("a tester workspace");
    let logs = daytona.workspace_logs(&tester.id);
    for tool in squadsim_fakes::glitchtip::MCP_TOOL_NAMES {
        assert!(logs.contains(&format!("mcp__glitchtip__{tool}")), "{tool} missing from {logs}");
    }
}
