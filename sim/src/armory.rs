//! Armory: MCP loadout composition and grid registration with the gateway.
//!
//! Least privilege is enforced at the server-attachment level: a loadout names
//! the MCP servers it mounts and allow-lists one `mcp__<server_id>__*` wildcard
//! per server (delivery-language seed, "Allow-List Shape").

use std::time::Duration;

use serde_json::json;
use squadsim_conformance::tool_name;
use squadsim_fakes::contextforge::ContextForge;
use squadsim_fakes::net::HttpRequest;

use std::sync::Arc;

use crate::grids::GridRegistration;
use crate::scenario::TokenShape;
use crate::studio::Studio;

/// The MCP servers a role's loadout attaches: the world's loadout for the role
/// if it names one, else the HUD and the grids the role's delivery work needs.
pub fn attached_servers(studio: &Studio, role_id: &str) -> Vec<String> {
    studio.config.loadouts.get(role_id).cloned().unwrap_or_else(|| {
        std::iter::once(crate::hud::SERVER_ID)
            .chain(crate::grids::delivery_servers(role_id).iter().copied())
            .map(str::to_string)
            .collect()
    })
}

/// A gateway token for `subject`, in the shape the backend is set up to mint.
pub fn gateway_token(studio: &Studio, subject: &str) -> String {
    let now = crate::clock::now_unix();
    let ttl = 20 * 60;
    match studio.config.gateway_token_shape {
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

/// The backend's admin token for the gateway (1.0.x shape: issuer, audience, jti, expiry).
pub fn admin_token(studio: &Studio) -> String {
    let now = crate::clock::now_unix();
    ContextForge::mint_token(&studio.config.gateway, "admin@yamon.io", &studio.new_jti(), now, 20 * 60)
}

/// Registers every grid as federated gateway `yamon-<server_id>` (retrying once a
/// second until the gateway accepts it, 201, or already has it, 409), then bundles
/// its federated tools in a virtual server named `<server_id>`.
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
    create_virtual_servers(studio, &registered).await;
    studio.set_armory_ready();
}

/// Registers one grid; `Some(server_id)` once the gateway has it.
async fn register_grid(studio: &Studio, grid: &GridRegistration) -> Option<String> {
    let base = &studio.config.gateway_url;
    let server_id = &grid.server_id;
    let mut body = json!({"name": tool_name::gateway_name(server_id), "url": grid.url, "transport": "STREAMABLEHTTP"});
    if let Some(token) = &grid.bearer {
        body["auth_type"] = json!("bearer");
        body["auth_token"] = json!(token);
    }
    for _ in 0..120 {
        let request = HttpRequest::post(format!("{base}/gateways")).bearer(&admin_token(studio)).json(&body);
        match studio.http.send(request).await {
            Ok(r) if r.status.as_u16() == 201 || r.status.as_u16() == 409 => return Some(server_id.clone()),
            _ => tokio::time::sleep(Duration::from_secs(1)).await,
        }
    }
    None
}

/// One `GET /tools`, then a `POST /servers` per grid bundling the ids of its federated tools.
async fn create_virtual_servers(studio: &Studio, server_ids: &[String]) {
    let base = &studio.config.gateway_url;
    let Ok(tools) = studio.http.send(HttpRequest::get(format!("{base}/tools")).bearer(&admin_token(studio))).await
    else {
        return;
    };
    let catalogue = tools.json();
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
        let _ = studio.http.send(request).await;
    }
}
