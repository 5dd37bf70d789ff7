//! The MCP servers a loadout can mount, the bare tools each one exposes, and
//! each role's default loadout (`docs/seeds.md`, delivery-language seed, "MCP
//! Tool Naming And Loadout Federation").
//!
//! The Armory composes loadouts from this and the grids serve these names, so a
//! scenario's tool names can be checked when it loads, before any world is built.
//!
//! Guarantees: every server the Armory registers with the gateway is listed
//! here with exactly the tools its `tools/list` gives (the grids build theirs
//! from it; a test pins the HUD's and GlitchTip's); a default loadout names
//! only listed servers, the HUD first.

/// The Agent HUD grid's server id.
pub(crate) const HUD: &str = "fractalops-hud";

/// One MCP server behind the gateway: its server id and its bare tool names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct McpServer {
    pub(crate) server_id: &'static str,
    pub(crate) tools: &'static [&'static str],
}

/// Every server the Armory registers, in registration order: the plain grids
/// (`search_query` and `websearch_like` on searxnggrid are the seed's own
/// examples), the HUD and GlitchTip's MCP.
pub(crate) const SERVERS: [McpServer; 6] = [
    McpServer { server_id: "searxnggrid", tools: &["search_query", "websearch_like", "fetch_url"] },
    McpServer { server_id: "agent-memory-archive", tools: &["memory_search", "memory_store"] },
    McpServer { server_id: "datahub", tools: &["search_entities", "get_lineage", "publish_lineage"] },
    McpServer { server_id: "playwright", tools: &["browser_navigate", "browser_snapshot", "browser_take_screenshot"] },
    McpServer {
        server_id: HUD,
        tools: &["get_hud_snapshot", "post_hud_status", "send_handoff", "record_merge_decision"],
    },
    McpServer { server_id: "glitchtip", tools: &squadsim_fakes::glitchtip::MCP_TOOL_NAMES },
];

/// The bare tools of the server `server_id` (none for a server the Armory does not register).
pub(crate) fn tools_of(server_id: &str) -> &'static [&'static str] {
    SERVERS.iter().find(|s| s.server_id == server_id).map_or(&[], |s| s.tools)
}

/// The grids a role's delivery work needs (its default loadout attaches them beside the HUD).
pub(crate) fn delivery_servers(role_id: &str) -> &'static [&'static str] {
    match role_id {
        "planner" => &["agent-memory-archive"],
        "tester" => &["playwright"],
        "closer" => &["datahub"],
        _ => &[],
    }
}

/// The servers of the observability-triage bundle, and the roles that get it (runbook, "Build Plane Observability").
pub(crate) const OBSERVABILITY_TRIAGE_SERVERS: &[&str] = &["glitchtip", HUD];
pub(crate) const OBSERVABILITY_TRIAGE_ROLES: &[&str] = &["tester", "compactor"];

/// The servers a role's loadout attaches when the world names none for it: the
/// HUD, the grids its delivery work needs, then its bundles' servers, each once.
pub(crate) fn default_loadout(role_id: &str) -> Vec<String> {
    let mut servers = vec![HUD.to_string()];
    let bundles = OBSERVABILITY_TRIAGE_ROLES.contains(&role_id).then_some(OBSERVABILITY_TRIAGE_SERVERS);
    for id in delivery_servers(role_id).iter().chain(bundles.into_iter().flatten()) {
        if !servers.iter().any(|s| s == id) {
            servers.push(id.to_string());
        }
    }
    servers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_default_loadout_is_the_hud_then_the_delivery_grids_then_the_bundles() {
        assert_eq!(default_loadout("planner"), ["fractalops-hud", "agent-memory-archive"]);
        assert_eq!(default_loadout("tester"), ["fractalops-hud", "playwright", "glitchtip"]);
        assert_eq!(default_loadout("curator"), ["fractalops-hud"]);
    }

    #[test]
    fn every_default_loadout_names_only_registered_servers() {
        for role in ["planner", "curator", "implementer", "tester", "committer", "closer", "compactor"] {
            for server in default_loadout(role) {
                assert!(!tools_of(&server).is_empty(), "{role}: {server}");
            }
        }
    }
}
