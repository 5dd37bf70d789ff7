//! Armory: loadout composition (MCP servers, skills, secret leases, browser
//! slots, the agent process adapter) and grid registration with the gateway.
//!
//! Least privilege is enforced at the server-attachment level: a loadout names
//! the MCP servers it mounts and allow-lists one `mcp__<server_id>__*` wildcard
//! per server (`docs/seeds.md`, delivery-language seed, "Allow-List Shape"). Bundles add servers
//! and policies per role: the tester and compactor get the observability-triage
//! bundle (`docs/seeds.md`, runbook, "Build Plane Observability").

use std::time::Duration;

use serde_json::json;
use squadsim_conformance::tool_name;
use squadsim_fakes::contextforge::ContextForge;
use squadsim_fakes::net::{HttpRequest, HttpResponse};

use std::sync::Arc;

use crate::base::loadouts;
use crate::platform::grids::GridRegistration;
use crate::platform::studio::Studio;
use crate::platform::workspace::agent_process::McpMount;
use crate::scenario::AgentProcessAdapter;
use crate::scenario::TokenShape;

/// A bundle of MCP servers and the policies that come with them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bundle {
    pub bundle_id: &'static str,
    pub server_ids: &'static [&'static str],
    pub policies: &'static [&'static str],
    /// The roles that get it.
    pub roles: &'static [&'static str],
}

/// The observability-triage bundle: the GlitchTip MCP and the HUD, for the tester and compactor.
pub const OBSERVABILITY_TRIAGE: Bundle = Bundle {
    bundle_id: "observability-triage",
    server_ids: loadouts::OBSERVABILITY_TRIAGE_SERVERS,
    policies: &["error-triage", "performance-regression-check", "issue-resolution-proof"],
    roles: loadouts::OBSERVABILITY_TRIAGE_ROLES,
};

/// Every bundle the Armory composes loadouts from.
pub const BUNDLES: &[Bundle] = &[OBSERVABILITY_TRIAGE];

/// The bundles a role's loadout includes.
pub fn bundles(role_id: &str) -> Vec<&'static Bundle> {
    BUNDLES.iter().filter(|b| b.roles.contains(&role_id)).collect()
}

/// The MCP servers a role's loadout attaches: the world's loadout for the role
/// if it names one, else its default ([`loadouts::default_loadout`]: the HUD,
/// the grids the role's delivery work needs and the servers of its bundles).
pub fn attached_servers(studio: &Studio, role_id: &str) -> Vec<String> {
    match studio.config.loadouts.get(role_id) {
        Some(servers) => servers.clone(),
        None => loadouts::default_loadout(role_id),
    }
}

/// The policies of a role's bundles, in bundle order.
pub fn policies(role_id: &str) -> Vec<String> {
    bundles(role_id).iter().flat_map(|b| b.policies.iter().map(|p| p.to_string())).collect()
}

/// The agent process adapter a role's attempts run through (`claude-cli` unless the world says otherwise).
pub fn agent_process_adapter(studio: &Studio, role_id: &str) -> AgentProcessAdapter {
    studio.config.agent_process_adapters.get(role_id).copied().unwrap_or_default()
}

/// The browser slots a role's loadout leases (the world's, else one PlaywrightGrid slot for the tester).
pub fn browser_slots(studio: &Studio, role_id: &str) -> Vec<String> {
    match studio.config.browser_slots.get(role_id) {
        Some(slots) => slots.clone(),
        None if role_id == "tester" => {
            vec![format!("{}/{role_id}", crate::platform::workspace::adapters::BROWSER_GRID)]
        }
        None => Vec::new(),
    }
}

/// The secret leases of a role's loadout: its named-agent lease (`docs/seeds.md`, runbook: `secret_lease_ref`).
pub fn secret_leases(role_id: &str) -> Vec<String> {
    vec![format!("named-agent/{role_id}")]
}

/// An agent's gateway token for `subject`, in the shape the backend is set up to mint.
pub fn gateway_token(studio: &Studio, subject: &str) -> String {
    mint(studio, studio.config.gateway_token_shape, subject)
}

/// A gateway token for `subject` in `shape`: ContextForge 1.0.x's (issuer,
/// audience, jti, a 20-minute expiry) or the one from before 1.0 (subject,
/// issuer and expiry only, which the 1.0.3 gateway refuses: no audience, no jti).
fn mint(studio: &Studio, shape: TokenShape, subject: &str) -> String {
    let now = crate::base::clock::now_unix();
    let ttl = 20 * 60;
    match shape {
        TokenShape::V1 => ContextForge::mint_token(&studio.config.gateway, subject, &studio.new_jti(), now, ttl),
        TokenShape::Pre1 => {
            let mut claims = serde_json::Map::new();
            claims.insert("sub".into(), json!(subject));
            claims.insert("iss".into(), json!(studio.config.gateway.issuer));
            claims.insert("exp".into(), json!(now + ttl));
            squadsim_fakes::jwt::mint(studio.config.gateway.jwt_secret.as_bytes(), &claims)
        }
    }
}

/// The allow-list of a loadout: one wildcard per attached server.
pub fn allow_list(servers: &[String]) -> Vec<String> {
    servers.iter().map(|s| tool_name::allow_list_wildcard(s)).collect()
}

/// The backend's admin token for the gateway, in the shape the backend is set up
/// to mint (`world.admin_token_shape`; 1.0.x unless the scenario says otherwise).
pub fn admin_token(studio: &Studio) -> String {
    mint(studio, studio.config.admin_token_shape, "admin@yamon.io")
}

/// How often the Armory retries a registration or a virtual server the gateway refused.
const RETRY_EVERY: Duration = Duration::from_secs(1);
/// How many times it tries before giving up (two minutes at [`RETRY_EVERY`]).
const TRIES: usize = 120;

/// Registers every grid as federated gateway `yamon-<server_id>` (retrying once a
/// second until the gateway accepts it, 201, or already has it, 409), then bundles
/// its federated tools in a virtual server named `<server_id>`. Loadouts can
/// resolve once each virtual server was tried once; the ones the gateway refused
/// are retried in the background, once a second, and until one exists no loadout
/// mounts its server ([`mount`]).
pub async fn register_grids(studio: &Arc<Studio>) {
    let mut registrations = Vec::new();
    for grid in studio.config.grids.clone() {
        let studio = studio.clone();
        registrations.push(tokio::spawn(async move { register_grid(&studio, &grid).await }));
    }
    let mut registered = Vec::new();
    for r in registrations {
        if let Ok(Some(server_id)) = r.await {
            registered.push(server_id);
        }
    }
    let mut missing = create_virtual_servers(studio, &registered).await;
    studio.set_armory_ready();
    if missing.is_empty() {
        return;
    }
    let studio = studio.clone();
    tokio::spawn(async move {
        for _ in 1..TRIES {
            squadsim_fakes::timer::sleep(RETRY_EVERY).await;
            missing = create_virtual_servers(&studio, &missing).await;
            if missing.is_empty() {
                break;
            }
        }
    });
}

/// Registers one grid; `Some(server_id)` once the gateway has it. A 401 ends the
/// tries at once: the gateway refused the admin token itself, and asking again
/// with a token of the same shape cannot change its answer.
async fn register_grid(studio: &Studio, grid: &GridRegistration) -> Option<String> {
    let base = &studio.config.gateway_url;
    let server_id = &grid.server_id;
    let mut body = json!({"name": tool_name::gateway_name(server_id), "url": grid.url, "transport": "STREAMABLEHTTP"});
    if let Some(token) = &grid.bearer {
        body["auth_type"] = json!("bearer");
        body["auth_token"] = json!(token);
    }
    for _ in 0..TRIES {
        let request = HttpRequest::post(format!("{base}/gateways")).bearer(&admin_token(studio)).json(&body);
        match studio.http.send(request).await {
            Ok(r) if r.status.as_u16() == 201 || r.status.as_u16() == 409 => return Some(server_id.clone()),
            Ok(r) if r.status.as_u16() == 401 => return None,
            _ => squadsim_fakes::timer::sleep(RETRY_EVERY).await,
        }
    }
    None
}

/// One `GET /tools`, then a `POST /servers` per grid bundling the ids of its
/// federated tools. Returns the server ids the gateway has no virtual server for
/// yet (neither created, 201, nor already there, 409).
async fn create_virtual_servers(studio: &Studio, server_ids: &[String]) -> Vec<String> {
    let base = &studio.config.gateway_url;
    let request = HttpRequest::get(format!("{base}/tools")).bearer(&admin_token(studio));
    let catalogue = match studio.http.send(request).await {
        Ok(r) if r.status.is_success() => r.json(),
        _ => return server_ids.to_vec(),
    };
    let mut missing = Vec::new();
    for server_id in server_ids {
        let slug = tool_name::slug(&tool_name::gateway_name(server_id));
        let ids: Vec<serde_json::Value> = catalogue
            .as_array()
            .map(|list| {
                list.iter()
                    .filter(|t| t.get("gatewaySlug").and_then(|g| g.as_str()) == Some(slug.as_str()))
                    .filter_map(|t| t.get("id").cloned())
                    .collect()
            })
            .unwrap_or_default();
        let body = json!({"server": {"name": server_id, "associated_tools": ids}});
        let request = HttpRequest::post(format!("{base}/servers")).bearer(&admin_token(studio)).json(&body);
        match studio.http.send(request).await {
            Ok(r) if r.status.as_u16() == 201 || r.status.as_u16() == 409 => {}
            _ => missing.push(server_id.clone()),
        }
    }
    missing
}

/// Resolves a loadout at session launch: the virtual server of each of `servers`
/// (in order), read from the gateway (`GET /servers`, the one named `<server_id>`),
/// as the MCP endpoint `/servers/<id>/mcp` the attempt mounts. A server with no
/// virtual server (the gateway refused to create it, or could not be asked) is
/// left unattached: least privilege is enforced at the server-attachment level,
/// and an attempt reaches no tool but through its mounts.
pub async fn mount(studio: &Studio, servers: &[String]) -> Vec<McpMount> {
    let base = &studio.config.gateway_url;
    let request = HttpRequest::get(format!("{base}/servers")).bearer(&admin_token(studio));
    let listed = match studio.http.send(request).await {
        Ok(r) if r.status.is_success() => r,
        _ => return Vec::new(),
    };
    mounts_listed(base, &listed, servers)
}

/// The mounts of `servers` in the gateway's `GET /servers` answer: for each,
/// the first virtual server named so, if its `id` is a string. Each listed
/// server's `name` and `id` read as `Value::get` finds them, without building
/// the list (a body that is not a JSON array lists none).
fn mounts_listed(base: &str, listed: &HttpResponse, servers: &[String]) -> Vec<McpMount> {
    let virtual_servers = listed.element_members(["name", "id"]).unwrap_or_default();
    servers
        .iter()
        .filter_map(|server_id| {
            let [_, id] = virtual_servers.iter().find(|[name, _]| name.as_str() == Some(server_id))?;
            let id = id.as_str()?;
            Some(McpMount { server_id: server_id.clone(), url: format!("{base}/servers/{id}/mcp") })
        })
        .collect()
}

#[cfg(test)]
mod mount_tests {
    use axum::http::StatusCode;

    use super::*;

    /// The mounts as read before: the listing parsed as a `Value`, cloned, scanned.
    fn mounts_as_values(base: &str, listed: &HttpResponse, servers: &[String]) -> Vec<McpMount> {
        let listed = listed.json();
        let virtual_servers = listed.as_array().cloned().unwrap_or_default();
        servers
            .iter()
            .filter_map(|server_id| {
                let found =
                    virtual_servers.iter().find(|v| v.get("name").and_then(|n| n.as_str()) == Some(server_id))?;
                let id = found.get("id").and_then(|i| i.as_str())?;
                Some(McpMount { server_id: server_id.clone(), url: format!("{base}/servers/{id}/mcp") })
            })
            .collect()
    }

    #[test]
    fn mounts_read_from_the_listing_are_the_mounts_read_as_values() {
        let bodies = [
            r#"[{"id":"s1","name":"memory"},{"id":"s2","name":"github","tools":[{"x":1}]}]"#,
            r#"[{"name":"memory","id":7},{"name":"memory","id":"later"}]"#,
            r#"[{"name":"memory","id":"a","id":"b","name":"github"}]"#,
            r#"[{"n\u0061me":"mem\u006fry","id":"e\"sc"}]"#,
            r#"[["memory","x"],null,3,{"name":null,"id":"n"},{"name":"github","id":"g"}]"#,
            r#"{"name":"memory","id":"obj"}"#,
            r#"[{"name":"memory","id":"s1"}] trailing"#,
            r#"[{"name":"memory","id":"s1","bad":"\ud800"}]"#,
            r#"[{"name":"memory","id":"s1","big":1e999}]"#,
            r#"[{"name":"memory","id":"s1"},]"#,
            "[]",
            "null",
            "",
        ];
        let servers = ["memory", "github", "absent", "memory"].map(String::from);
        for body in bodies {
            let listed = HttpResponse {
                status: StatusCode::OK,
                headers: Default::default(),
                body: body.as_bytes().to_vec().into(),
            };
            let old = mounts_as_values("http://gw", &listed, &servers);
            assert_eq!(mounts_listed("http://gw", &listed, &servers), old, "{body}");
        }
        let listed = HttpResponse {
            status: StatusCode::OK,
            headers: Default::default(),
            body: bodies[0].as_bytes().to_vec().into(),
        };
        assert_eq!(mounts_listed("http://gw", &listed, &servers).len(), 3);
    }
}
