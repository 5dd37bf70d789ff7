//! Canonical tool matching (`docs/seeds.md`, delivery-language seed, "MCP Tool Naming And Loadout
//! Federation" and "Canonical Tool Matching").
//!
//! Three names exist for one tool:
//! - bare upstream name: what the grid exposes (`search_query`);
//! - federated wire name: what the gateway serves (`yamon-searxnggrid-search-query`);
//! - agent-facing name: what the agent's palette shows (`mcp__searxnggrid__search_query`).

/// ContextForge's slug: lowercase, and every run of characters that are not ASCII
/// letters or digits (underscores included) becomes one `-`; no leading/trailing `-`.
pub fn slug(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut pending_dash = false;
    for ch in name.chars() {
        if ch.is_ascii_alphanumeric() {
            if pending_dash && !out.is_empty() {
                out.push('-');
            }
            pending_dash = false;
            out.push(ch.to_ascii_lowercase());
        } else {
            pending_dash = true;
        }
    }
    out
}

/// The name of the federated gateway a grid is registered as: `yamon-<server_id>`.
pub fn gateway_name(server_id: &str) -> String {
    format!("yamon-{server_id}")
}

/// The federated wire name the gateway serves for a grid's bare tool.
pub fn federated_wire_name(server_id: &str, bare_tool: &str) -> String {
    format!("{}-{}", slug(&gateway_name(server_id)), slug(bare_tool))
}

/// The agent-facing name: `mcp__<server_id>__<bare_tool>`.
pub fn agent_facing_name(server_id: &str, bare_tool: &str) -> String {
    format!("mcp__{server_id}__{bare_tool}")
}

/// The allow-list entry a loadout carries for one attached server: `mcp__<server_id>__*`.
pub fn allow_list_wildcard(server_id: &str) -> String {
    format!("mcp__{server_id}__*")
}

/// The canonical form of any of the three names of a tool, given the server it belongs to:
/// the `mcp__<server>__` and `yamon-<server>-` prefixes stripped, snake/kebab normalised.
/// Two names denote the same tool exactly when their canonical forms are equal.
pub fn canonical(server_id: &str, name: &str) -> String {
    let mut rest = name;
    let agent_prefix = format!("mcp__{server_id}__");
    if let Some(stripped) = rest.strip_prefix(&agent_prefix) {
        rest = stripped;
    }
    let fed_prefix = format!("{}-", slug(&gateway_name(server_id)));
    let normalised = slug(rest);
    match normalised.strip_prefix(&fed_prefix) {
        Some(stripped) => stripped.to_string(),
        None => normalised,
    }
}

/// Whether an observed tool call (in any of the three forms) credits the required tool.
pub fn credits(server_id: &str, observed: &str, required: &str) -> bool {
    canonical(server_id, observed) == canonical(server_id, required)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_seed_example_federates_as_documented() {
        assert_eq!(federated_wire_name("searxnggrid", "search_query"), "yamon-searxnggrid-search-query");
        assert_eq!(agent_facing_name("searxnggrid", "websearch_like"), "mcp__searxnggrid__websearch_like");
        assert_eq!(allow_list_wildcard("glitchtip"), "mcp__glitchtip__*");
    }

    #[test]
    fn all_three_forms_credit_the_same_tool_and_others_do_not() {
        let s = "fractalops-hud";
        for form in [
            "get_hud_snapshot",
            "get-hud-snapshot",
            "yamon-fractalops-hud-get-hud-snapshot",
            "mcp__fractalops-hud__get_hud_snapshot",
            "mcp__fractalops-hud__yamon-fractalops-hud-get-hud-snapshot",
        ] {
            assert!(credits(s, form, "get_hud_snapshot"), "{form}");
        }
        assert!(!credits(s, "get_hud_status", "get_hud_snapshot"));
        assert!(!credits(s, "yamon-datahub-get-hud-snapshot-x", "get_hud_snapshot"));
    }

    proptest! {
        #[test]
        fn bare_federated_and_agent_facing_names_are_credited_alike(
            server in "[a-z][a-z0-9]{0,8}(-[a-z0-9]{1,6})?",
            tool in "[a-z][a-z0-9]{0,8}(_[a-z0-9]{1,6}){0,3}",
        ) {
            let fed = federated_wire_name(&server, &tool);
            let agent = agent_facing_name(&server, &tool);
            prop_assert!(credits(&server, &fed, &tool));
            prop_assert!(credits(&server, &agent, &tool));
            prop_assert!(credits(&server, &tool.replace('_', "-"), &tool));
            prop_assert_eq!(canonical(&server, &fed), canonical(&server, &tool));
        }

        #[test]
        fn different_tools_never_collide(
            server in "[a-z]{1,8}",
            a in "[a-z]{1,8}",
            b in "[a-z]{1,8}",
        ) {
            prop_assume!(a != b);
            prop_assert!(!credits(&server, &federated_wire_name(&server, &a), &b));
        }
    }
}
