//! The world's topology: every host a world can have ([`Host`]: its name, the
//! port it serves on inside the simulation, its endpoint there), and the
//! accounts the world's services are set up with.
//!
//! Guarantees: a host's name is the turmoil host name, the name scenarios use
//! in faults and the name `squadsim serve` takes in `--port`; the lists below
//! are in the order the world registers its hosts (turmoil steps hosts in that
//! order, so it is part of what makes a run reproducible).

use std::fmt;

/// One host of the simulated world.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Host {
    /// The on-call engineer's client (curl-like); it serves nothing.
    Operator,
    /// The Studio API (fractalops): Studio, run control, Harness Runtime, Armory.
    Studio,
    /// Daytona: sandboxes, their Longhorn volumes, the agent processes inside them.
    Daytona,
    /// The ContextForge MCP gateway.
    Contextforge,
    /// The Agent HUD grid.
    FractalopsHud,
    /// The LangGraph Agent Server.
    AgentServer,
    /// GitHub, with the CodexGate App installed.
    Github,
    /// GlitchTip.
    Glitchtip,
    /// The plain grids behind the gateway.
    Searxnggrid,
    AgentMemoryArchive,
    Datahub,
    Playwright,
    /// The skills service the workspace shim pulls from.
    Skills,
    /// Microsoft Graph with the Microsoft identity platform's token endpoint:
    /// where the Studio binds each named agent's identity and leases its secret.
    Msgraph,
    /// With `world.platform_agent`: the tenant's workspace server.
    Platform,
    /// With `world.platform_agent`: the execution workspace the platform agent's container runs on.
    Concierge,
    /// With `world.platform_agent`: the platform-managed LLM proxy.
    LlmProxy,
    /// With `world.platform_agent`: the Anthropic API a BYOK `sk-ant-*` credential reaches.
    AnthropicApi,
}

impl Host {
    /// The hosts every world has, the operator first, then its services in the
    /// order the world mounts them.
    pub const WORLD: [Host; 14] = concat([Host::Operator], Host::SERVICES);

    /// The services of every world ([`Host::WORLD`] without the operator), in
    /// the order the world mounts them and `squadsim serve` binds them.
    pub const SERVICES: [Host; 13] = [
        Host::Studio,
        Host::Daytona,
        Host::Contextforge,
        Host::FractalopsHud,
        Host::AgentServer,
        Host::Github,
        Host::Glitchtip,
        Host::Searxnggrid,
        Host::AgentMemoryArchive,
        Host::Datahub,
        Host::Playwright,
        Host::Skills,
        Host::Msgraph,
    ];

    /// The plain grids (a yamon grid each, with fixed tools).
    pub const PLAIN_GRIDS: [Host; 4] = [Host::Searxnggrid, Host::AgentMemoryArchive, Host::Datahub, Host::Playwright];

    /// The hosts `world.platform_agent` adds to the world.
    pub const PLATFORM_AGENT: [Host; 4] = [Host::Platform, Host::Concierge, Host::LlmProxy, Host::AnthropicApi];

    /// Every host, the world's then the platform agent's.
    pub const ALL: [Host; 18] = concat(Host::WORLD, Host::PLATFORM_AGENT);

    /// The host's name: its turmoil host name, and how scenarios name it.
    pub const fn name(self) -> &'static str {
        match self {
            Host::Operator => "operator",
            Host::Studio => "studio",
            Host::Daytona => "daytona",
            Host::Contextforge => "contextforge",
            Host::FractalopsHud => "fractalops-hud",
            Host::AgentServer => "agent-server",
            Host::Github => "github",
            Host::Glitchtip => "glitchtip",
            Host::Searxnggrid => "searxnggrid",
            Host::AgentMemoryArchive => "agent-memory-archive",
            Host::Datahub => "datahub",
            Host::Playwright => "playwright",
            Host::Skills => "skills",
            Host::Msgraph => "msgraph",
            Host::Platform => "platform",
            Host::Concierge => "concierge",
            Host::LlmProxy => "llm-proxy",
            Host::AnthropicApi => "anthropic-api",
        }
    }

    /// The port the host serves on inside the simulation; the operator serves nothing.
    pub const fn port(self) -> Option<u16> {
        Some(match self {
            Host::Operator => return None,
            Host::Studio => 8080,
            Host::Daytona => 3000,
            Host::Contextforge => 4444,
            Host::FractalopsHud => 8000,
            Host::AgentServer => 2024,
            Host::Github => 80,
            Host::Glitchtip => 8000,
            Host::Searxnggrid | Host::AgentMemoryArchive | Host::Datahub | Host::Playwright => 8000,
            Host::Skills => 8090,
            Host::Msgraph => 443,
            Host::Platform => 8080,
            // The port the platform agent's container serves (its A2A routes among them).
            Host::Concierge => 8000,
            Host::LlmProxy => 8080,
            Host::AnthropicApi => 443,
        })
    }

    /// The host's base URL inside the simulation, `http://<name>:<port>`
    /// (`http://operator` for the operator, which serves nothing).
    pub fn url(self) -> String {
        match self.port() {
            Some(port) => format!("http://{}:{port}", self.name()),
            None => format!("http://{}", self.name()),
        }
    }

    /// The host named `name`.
    pub fn parse(name: &str) -> Option<Host> {
        Host::ALL.into_iter().find(|h| h.name() == name)
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The GitHub organization the CodexGate App is installed on; every world
/// project has a repository `<org>/<project slug>` there.
pub const GITHUB_ORG: &str = "yamonco";

/// The Microsoft Entra tenant (directory) the named agents live in: its id and
/// its verified domain, the domain of every named-agent UPN.
pub const ENTRA_TENANT_ID: &str = "7d3f9a2c-5e41-4b8a-9c06-1f2e3d4c5b6a";

/// The GlitchTip organization and team every world project is provisioned in.
pub const GLITCHTIP_ORG: &str = "yamon";
pub const GLITCHTIP_TEAM: &str = "platform";

/// The edge's SSH entrypoint for Daytona (Traefik `daytona-ssh`, owned by GitOps
/// with Daytona's `SSH_GATEWAY_URL`): the only place an SSH command can reach a sandbox.
pub const DAYTONA_SSH_EDGE: &str = "daytona-ssh.yamon.io:2222";

/// `a` then `b`, at compile time (the host lists are derived, never copied).
const fn concat<const A: usize, const B: usize, const C: usize>(a: [Host; A], b: [Host; B]) -> [Host; C] {
    assert!(A + B == C, "the concatenated list has the wrong length");
    let mut out = [Host::Operator; C];
    let mut i = 0;
    while i < A {
        out[i] = a[i];
        i += 1;
    }
    while i < C {
        out[i] = b[i - A];
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_host_has_one_name_and_the_lists_partition_the_hosts() {
        for host in Host::ALL {
            assert_eq!(Host::parse(host.name()), Some(host));
        }
        let mut world_then_agent: Vec<Host> = Host::WORLD.iter().chain(&Host::PLATFORM_AGENT).copied().collect();
        assert_eq!(world_then_agent, Host::ALL);
        world_then_agent.retain(|h| *h != Host::Operator);
        assert_eq!(&world_then_agent[..Host::SERVICES.len()], Host::SERVICES);
        assert!(Host::PLAIN_GRIDS.iter().all(|g| Host::SERVICES.contains(g)));
        assert_eq!(Host::Operator.port(), None);
        assert_eq!(Host::Studio.url(), "http://studio:8080");
    }
}
