//! The yamon grids behind the ContextForge gateway (`docs/seeds.md`, delivery-language seed,
//! "MCP Tool Naming And Loadout Federation"): searxnggrid, agent-memory-archive,
//! datahub, playwright (each a plain grid with fixed bare tool names),
//! fractalops-hud ([`crate::platform::hud`]) and glitchtip (the GlitchTip fake's own
//! `/mcp`, reached with the armory's bearer token).

use squadsim_fakes::grid::GridTool;

use crate::base::loadouts;
use crate::base::topology::Host;

/// The plain grids: (the grid's host, whose name is its server id; its bare
/// tools, named in [`crate::base::loadouts::SERVERS`]). The descriptions are
/// plausible and fixed.
pub(crate) fn plain_grids() -> Vec<(Host, Vec<GridTool>)> {
    Host::PLAIN_GRIDS
        .iter()
        .map(|host| {
            let tools = loadouts::tools_of(host.name()).iter().map(|t| GridTool::new(t, description(t))).collect();
            (*host, tools)
        })
        .collect()
}

/// What `tools/list` says a plain grid's tool does.
fn description(tool: &str) -> &'static str {
    match tool {
        "search_query" => "Search the web through SearXNG",
        "websearch_like" => "Find pages like a given URL",
        "fetch_url" => "Fetch a page as text",
        "memory_search" => "Search the project's agent memory",
        "memory_store" => "Store a memory for the project",
        "search_entities" => "Search DataHub entities",
        "get_lineage" => "Read lineage of an entity",
        "publish_lineage" => "Publish lineage for delivered work",
        "browser_navigate" => "Open a URL in a PlaywrightGrid browser slot",
        "browser_snapshot" => "Accessibility snapshot of the page",
        "browser_take_screenshot" => "Screenshot as evidence",
        _ => "",
    }
}

/// The memory tool contract a planner lane declares: the server and its memory tools.
pub(crate) const MEMORY_TOOL_CONTRACT: (&str, &[&str]) = ("agent-memory-archive", &["memory_search", "memory_store"]);
/// The evidence-capable tool a tester captures browser evidence with (PlaywrightGrid).
pub(crate) const EVIDENCE_TOOL: (&str, &str) = ("playwright", "browser_take_screenshot");
/// The DataHub tool a closer publishes lineage with.
pub(crate) const LINEAGE_TOOL: (&str, &str) = ("datahub", "publish_lineage");

/// A grid the Armory registers with the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GridRegistration {
    pub server_id: String,
    /// The grid's MCP endpoint.
    pub url: String,
    /// Sent upstream by the gateway as `Authorization: Bearer` (`auth_type: bearer`).
    pub bearer: Option<String>,
}
