//! The two gateway tokens the runbook distinguishes (seed 000: "ContextForge gateway is
//! on 1.0.3; backend mints the 1.0.x-shaped admin token (issuer/audience/jti) — agent
//! gateway auth works, no 401s in the gateway log during a run"): the backend's admin
//! token, which the Armory registers grids and resolves loadouts with, and the agents'
//! gateway tokens on their MCP calls. Each shape is a condition; the 1.0.3 gateway
//! verifies each and refuses the pre-1.0 shape (no audience, no jti) with 401.

use squadsim::engine::world::{self, Run, RunOptions};
use squadsim::scenario::{Scenario, TokenShape};
use squadsim::Outcome;

use crate::support::{self, load};

/// A run, with the gateway's log of refused paths (sorted, distinct) and its virtual servers.
fn run_with_gateway(s: &Scenario) -> (Outcome, Vec<String>, usize) {
    let Run { outcome, services, .. } = world::run(s, RunOptions { keep_services: true, ..RunOptions::default() });
    let gateway = services.expect("built").gateway;
    let mut refused: Vec<String> = gateway.auth_failures().recent.into_iter().map(|f| f.path).collect();
    refused.sort();
    refused.dedup();
    (outcome, refused, gateway.servers().len())
}

fn cause(o: &Outcome) -> String {
    o.diagnosis.as_ref().map(|d| d.cause.clone()).unwrap_or_default()
}

#[test]
fn a_pre_1_0_admin_token_is_refused_on_the_armorys_registrations_and_no_grid_is_federated() {
    let (o, refused, virtual_servers) = run_with_gateway(&load("gateway-admin-token-pre1.yaml"));
    assert_eq!(o.launch_http_status(), Some(200), "the launch does not wait on a refused registration");
    assert_eq!(o.blockers(), ["agent_first_tool_required"]);
    assert!(o.sessions.iter().all(|s| s.blocker_code.is_some()), "both intake agents block: {:?}", o.sessions);
    assert_eq!(virtual_servers, 0, "no grid was federated, so no virtual server bundles one");
    assert_eq!(refused, ["/gateways", "/servers", "/tools"], "only the admin token's REST calls are refused");
    assert_eq!(o.gateway.tool_calls, 0, "with nothing attached no agent reaches a tool");
    let cause = cause(&o);
    assert!(cause.contains("refused the backend's admin token (401s on /gateways, /servers, /tools)"), "{cause}");
    assert!(!cause.contains("agents' tokens"), "{cause}");
}

#[test]
fn with_no_grid_federated_the_virtual_servers_check_fails_instead_of_counting_a_server_for_each_of_none() {
    let (o, _, _) = run_with_gateway(&load("gateway-admin-token-pre1.yaml"));
    let diagnosis = o.diagnosis.as_ref().expect("the first-tool block is diagnosed");
    let servers = diagnosis
        .evidence
        .iter()
        .find(|e| e.check.starts_with("ContextForge virtual servers"))
        .expect("the virtual servers check is in the chain");
    assert!(!servers.healthy, "no federated grid is not a healthy gateway: {servers:?}");
    assert!(diagnosis.cause.contains("federates no grid"), "{}", diagnosis.cause);
}

#[test]
fn pre_1_0_agent_tokens_are_refused_on_the_agents_mcp_calls_while_the_admin_token_federates_every_grid() {
    let (o, refused, virtual_servers) = run_with_gateway(&load("first-tool-gateway-auth.yaml"));
    assert_eq!(o.blockers(), ["agent_first_tool_required"]);
    assert!(virtual_servers > 0, "the 1.0.x admin token registered the grids");
    assert!(!refused.is_empty());
    // The agents' calls go to their virtual servers (the tool listing, then MCP); the admin's REST paths pass.
    assert!(refused.iter().all(|p| p.starts_with("/servers/{server_id}/")), "only the agents' calls: {refused:?}");
    assert!(cause(&o).contains("refused the agents' tokens"), "{}", cause(&o));
}

#[test]
fn with_both_tokens_1_0_x_shaped_agent_gateway_auth_works_and_the_log_has_no_401s() {
    // The twin of both halves: gateway-token-1-0.yaml spells out both shapes' default.
    let s = load("gateway-token-1-0.yaml");
    assert_eq!((s.world.admin_token_shape, s.world.gateway_token_shape), (TokenShape::V1, TokenShape::V1));
    let (o, refused, _) = run_with_gateway(&s);
    assert_eq!(o.run.as_ref().map(|r| r.status.as_str()), Some("completed"));
    assert!(refused.is_empty(), "{refused:?}");

    let mut fixed = load("gateway-admin-token-pre1.yaml");
    fixed.world.admin_token_shape = TokenShape::V1;
    let o = support::run(&fixed);
    assert_eq!(o.run.as_ref().map(|r| r.status.as_str()), Some("completed"), "{:?}", o.sessions);
    assert_eq!(o.gateway.auth_failures, 0);
}

#[test]
fn with_both_tokens_pre_1_0_the_admin_refusals_come_first_and_no_agent_call_is_made() {
    let mut s = load("gateway-admin-token-pre1.yaml");
    s.world.gateway_token_shape = TokenShape::Pre1;
    let (o, refused, _) = run_with_gateway(&s);
    assert_eq!(o.blockers(), ["agent_first_tool_required"]);
    // With no virtual server the agents' MCP calls never reach the gateway: only the admin's 401s show.
    assert_eq!(refused, ["/gateways", "/servers", "/tools"]);
}
