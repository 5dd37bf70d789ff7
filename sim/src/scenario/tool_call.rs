//! The `on: {tool_call: {role, tool, delay}}` event: an agent process's MCP
//! `tools/call` through ContextForge, and what the loader refuses of it.
//!
//! Guarantees: a `role` no agent of the scenario's launches can have, a `tool`
//! no loadout of that role (of any role, without `role`) exposes, and a role
//! whose loadout mounts no server at all are refused at load with the field that
//! holds them, so a declared tool-call event is one the world can produce. A
//! tool is named by any of its three names (`docs/seeds.md`, "Canonical Tool
//! Matching"); the loadouts are the world's (`world.loadouts`) or the Armory's defaults.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use squadsim_conformance::tool_name;

use super::durations::SimDuration;
use super::locate::FieldPath;
use super::validate::Invalid;
use super::{Scenario, Trigger};
use crate::base::{loadouts, templates};

/// A tool call as an event that begins a fault: the first MCP `tools/call`
/// matching both fields to reach the gateway; either omitted: any.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ToolCallEvent {
    /// The caller's role (`closer`) or agent id (`implementer-2`), as the
    /// gateway knows the caller: its token's subject, the agent's gateway
    /// identity, which the Studio's sessions map to a role; `None`: any caller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The tool, by any of its names: bare (`publish_lineage`), agent-facing
    /// (`mcp__datahub__publish_lineage`) or federated (`yamon-datahub-publish-lineage`); `None`: any tool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    /// The fault begins this long after the call arrives (the call then goes on at once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay: Option<SimDuration>,
}

impl ToolCallEvent {
    /// The names a `tools/call` of this event's tool carries on the wire (the
    /// JSON-RPC `params.name`): its bare and federated names on every server
    /// exposing it; `None`: any tool.
    pub fn wire_names(&self) -> Option<Vec<String>> {
        let wanted = self.tool.as_deref()?;
        let mut names = Vec::new();
        for server in loadouts::SERVERS {
            for bare in server.tools.iter().filter(|bare| tool_name::credits(server.server_id, wanted, bare)) {
                names.push(bare.to_string());
                names.push(tool_name::federated_wire_name(server.server_id, bare));
            }
        }
        names.sort();
        names.dedup();
        Some(names)
    }

    /// The agent-facing name (`mcp__<server_id>__<tool>`) of the first registered
    /// tool this event's tool names (by any of its names); `None`: any tool, or none registered.
    pub fn agent_facing_tool(&self) -> Option<String> {
        let wanted = self.tool.as_deref()?;
        loadouts::SERVERS.iter().find_map(|server| {
            let bare = server.tools.iter().find(|bare| tool_name::credits(server.server_id, wanted, bare))?;
            Some(tool_name::agent_facing_name(server.server_id, bare))
        })
    }

    /// Whether the agent `agent_id` of the role `role_id` is this event's caller.
    pub fn calls_from(&self, role_id: &str, agent_id: &str) -> bool {
        self.role.as_deref().is_none_or(|r| r == role_id || r == agent_id)
    }
}

/// (role, server, bare tool) of every tool the loadouts of `roles` expose: the
/// world's (`world.loadouts`) or the Armory's defaults, in `roles` then loadout order.
pub(crate) fn exposed<'r>(scenario: &Scenario, roles: &[&'r str]) -> Vec<(&'r str, String, &'static str)> {
    let servers =
        |role: &str| scenario.world.loadouts.get(role).cloned().unwrap_or_else(|| loadouts::default_loadout(role));
    roles
        .iter()
        .flat_map(|role| servers(role).into_iter().map(move |server| (*role, server)))
        .flat_map(|(role, server)| loadouts::tools_of(&server).iter().map(move |bare| (role, server.clone(), *bare)))
        .collect()
}

/// The tool calls the agents of `scenario`'s launches can make through the
/// gateway, each as the event naming it exactly (its role, its agent-facing
/// name), beside the MCP server that serves it: what a swarm may crash a host during.
pub(crate) fn callable(scenario: &Scenario) -> Vec<(String, ToolCallEvent)> {
    let known = super::validate::known_roles(scenario).1;
    let roles: Vec<&str> = known.iter().map(String::as_str).collect();
    exposed(scenario, &roles)
        .into_iter()
        .map(|(role, server, bare)| {
            let tool = tool_name::agent_facing_name(&server, bare);
            (server, ToolCallEvent { role: Some(role.to_string()), tool: Some(tool), delay: None })
        })
        .collect()
}

/// Checks every `tool_call` event against the roles the scenario's launches
/// can have (`known`) and the tools their loadouts expose.
pub(super) fn check(scenario: &Scenario, known: &[String]) -> Result<(), Invalid> {
    for (i, fault) in scenario.faults.iter().enumerate() {
        let Some(Trigger::ToolCall(event)) = &fault.start().on else { continue };
        let field = FieldPath::root().key("faults").index(i).key(fault.kind()).key("on").key("tool_call");
        let roles: Vec<&str> = match &event.role {
            Some(r) if known.iter().any(|k| k == templates::role_of(r)) => vec![templates::role_of(r)],
            Some(r) => {
                return Err(Invalid::new(
                    field.key("role"),
                    format!(
                        "no agent of this scenario can be `{r}`: expected a role its launches have ({}), or one of \
                         its agent ids (`implementer-2`)",
                        known.join(", ")
                    ),
                ))
            }
            None => known.iter().map(String::as_str).collect(),
        };
        let exposed = exposed(scenario, &roles);
        let whose = event
            .role
            .as_ref()
            .map_or_else(|| "any role's".to_string(), |r| format!("the {}'s", templates::role_of(r)));
        match &event.tool {
            Some(tool) if !exposed.iter().any(|(_, server, bare)| tool_name::credits(server, tool, bare)) => {
                let mut names: Vec<&str> = exposed.iter().map(|(_, _, bare)| *bare).collect();
                names.sort_unstable();
                names.dedup();
                let expected = if names.is_empty() { "it exposes none".to_string() } else { names.join(", ") };
                return Err(Invalid::new(
                    field.key("tool"),
                    format!(
                        "no loadout of this scenario exposes `{tool}` to {}: expected a tool {whose} loadout \
                         mounts ({expected})",
                        event.role.as_deref().unwrap_or("any role")
                    ),
                ));
            }
            None if exposed.is_empty() => {
                return Err(Invalid::new(
                    field.key("role"),
                    format!("{whose} loadout mounts no MCP server, so it makes no tool call through the gateway"),
                ))
            }
            _ => {}
        }
    }
    Ok(())
}
