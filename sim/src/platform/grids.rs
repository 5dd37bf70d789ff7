//! The yamon grids behind the ContextForge gateway (`docs/seeds.md`, delivery-language seed,
//! "MCP Tool Naming And Loadout Federation"): searxnggrid, agent-memory-archive,
//! datahub, playwright (each a plain grid with fixed bare tool names),
//! fractalops-hud ([`crate::platform::hud`]) and glitchtip (the GlitchTip fake's own
//! `/mcp`, reached with the armory's bearer token).

use squadsim_fakes::grid::GridTool;

use crate::base::topology::Host;

/// The plain grids: (the grid's host, whose name is its server id; its bare tools). `search_query` and
/// `websearch_like` on searxnggrid are the seed's own examples; the rest are
/// plausible and fixed.
pub(crate) fn plain_grids() -> Vec<(Host, Vec<GridTool>)> {
    vec![
        (
            Host::Searxnggrid,
            vec![
                GridTool::new("search_query", "Search the web through SearXNG"),
                GridTool::new("websearch_like", "Find pages like a given URL"),
                GridTool::new("fetch_url", "Fetch a page as text"),
            ],
        ),
        (
            Host::AgentMemoryArchive,
            vec![
                GridTool::new("memory_search", "Search the project's agent memory"),
                GridTool::new("memory_store", "Store a memory for the project"),
            ],
        ),
        (
            Host::Datahub,
            vec![
                GridTool::new("search_entities", "Search DataHub entities"),
                GridTool::new("get_lineage", "Read lineage of an entity"),
                GridTool::new("publish_lineage", "Publish lineage for delivered work"),
            ],
        ),
        (
            Host::Playwright,
            vec![
                GridTool::new("browser_navigate", "Open a URL in a PlaywrightGrid browser slot"),
                GridTool::new("browser_snapshot", "Accessibility snapshot of the page"),
                GridTool::new("browser_take_screenshot", "Screenshot as evidence"),
            ],
        ),
    ]
}

/// The memory tool contract a planner lane declares: the server and its memory tools.
pub(crate) const MEMORY_TOOL_CONTRACT: (&str, &[&str]) = ("agent-memory-archive", &["memory_search", "memory_store"]);
/// The evidence-capable tool a tester captures browser evidence with (PlaywrightGrid).
pub(crate) const EVIDENCE_TOOL: (&str, &str) = ("playwright", "browser_take_screenshot");
/// The DataHub tool a closer publishes lineage with.
pub(crate) const LINEAGE_TOOL: (&str, &str) = ("datahub", "publish_lineage");

/// The grids a role's delivery work needs (its default loadout attaches them beside the HUD).
pub(crate) fn delivery_servers(role_id: &str) -> &'static [&'static str] {
    match role_id {
        "planner" => &[MEMORY_TOOL_CONTRACT.0],
        "tester" => &[EVIDENCE_TOOL.0],
        "closer" => &[LINEAGE_TOOL.0],
        _ => &[],
    }
}

/// A grid the Armory registers with the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GridRegistration {
    pub server_id: String,
    /// The grid's MCP endpoint.
    pub url: String,
    /// Sent upstream by the gateway as `Authorization: Bearer` (`auth_type: bearer`).
    pub bearer: Option<String>,
}
