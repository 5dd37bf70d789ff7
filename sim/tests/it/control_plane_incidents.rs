//! Control-plane incidents from the runbook (`docs/seeds.md`), each with its twin: the
//! ContextForge token shape before/after 1.0.x, and Daytona region
//! `sshGatewayUrl` drift.

use crate::support;

use squadsim::scenario::TokenShape;
use squadsim::Outcome;
use support::load;

#[test]
fn one_point_zero_gateway_tokens_work_with_no_401s() {
    let s = load("gateway-token-1-0.yaml");
    let o = support::run(&s);
    support::assert_completed(&o);
    assert_eq!(o.gateway.auth_failures, 0, "no 401s in the gateway log during a run");
    assert!(o.gateway.tool_calls > 0);
    // The pair's other half: tokens in the pre-1.0 shape draw 401s and block.
    let mut before = s.clone();
    before.world.gateway_token_shape = TokenShape::Pre1;
    let b = support::run(&before);
    assert!(b.gateway.auth_failures > 0);
    assert_eq!(b.blockers(), ["agent_first_tool_required"]);
}

fn ssh_note(o: &Outcome) -> String {
    let call = o.operator.iter().find(|c| c.step == "ssh_access").expect("an ssh_access step");
    assert_eq!(call.http_status, Some(200), "{call:?}");
    call.note.clone().unwrap_or_default()
}

#[test]
fn region_drift_yields_the_unusable_ssh_command_and_the_reconciled_region_a_usable_one() {
    let s = load("daytona-ssh-gateway-drift.yaml");
    let note = ssh_note(&support::run(&s));
    assert!(note.starts_with("sshCommand: ssh -p 2222 "), "{note}");
    assert!(note.contains("@daytona.yamon.io (unusable"), "{note}");
    let mut twin = s.clone();
    twin.world.daytona_ssh_gateway_url = "daytona-ssh.yamon.io:2222".into();
    let note = ssh_note(&support::run(&twin));
    assert!(note.contains("@daytona-ssh.yamon.io (reaches the edge's SSH entrypoint"), "{note}");
}
