//! The services of one world, wired to each other over HTTP: the modelled
//! AgentSquad services (Studio, LangGraph Agent Server, HUD, skills) and the
//! fakes (Daytona, ContextForge, GitHub, GlitchTip, the plain grids). The
//! simulation mounts them on turmoil hosts (`engine::world`) and
//! `squadsim serve` on loopback sockets; the wiring is the same.
//!
//! Guarantees: every service reaches the others only through [`Endpoints`]
//! (base URLs), never by a function call; clones of [`Services`] share state;
//! each world project (by slug, first occurrence) gets a GitHub repository
//! `yamonco/<slug>` and a GlitchTip project `yamon/<slug>` with its DSN.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use squadsim_fakes::contextforge::{ContextForge, GatewayConfig};
use squadsim_fakes::daytona::{Daytona, DaytonaConfig};
use squadsim_fakes::github::{GithubConfig, GithubFake, OrgPatConfig, RepositoryConfig};
use squadsim_fakes::glitchtip::{GlitchtipConfig, GlitchtipFake, ProjectConfig};
use squadsim_fakes::grid::Grid;
use squadsim_fakes::msgraph::{ApplicationConfig, GraphConfig, GraphFake, GraphLatency};
use squadsim_fakes::net::{CallRecorder, HttpClient, Transport};

use crate::base::clock;
use crate::base::identity;
use crate::base::topology::{Host, ENTRA_TENANT_ID, GITHUB_ORG, GLITCHTIP_ORG, GLITCHTIP_TEAM};
use crate::platform::agent_server::{AgentServer, CheckpointStore};
use crate::platform::grids::{self, GridRegistration};
use crate::platform::hud::{self, Hud};
use crate::platform::skills::SkillsService;
use crate::platform::studio::delivery::{self, CodexGateConfig};
use crate::platform::studio::identity_binding::GraphBindingConfig;
use crate::platform::studio::{self, Studio, StudioConfig};
use crate::platform::workspace::agent_process::AgentProcessLauncher;
use crate::scenario::{RepositoryFile, Scenario};

/// The org PAT of the legacy override condition (`world.github.org_pat_override`) and its human user.
pub const ORG_PAT: &str = "ghp_squadsimOrgPatOverride0000000000000000";
pub const ORG_PAT_USER: &str = "yamon-platform-admin";

/// The services of one world, wired to each other through `endpoints`. The same
/// wiring serves the simulation and `squadsim serve` on loopback. Clones share state.
#[derive(Clone)]
pub struct Services {
    pub studio: Arc<Studio>,
    pub daytona: Arc<Daytona>,
    pub gateway: Arc<ContextForge>,
    pub hud: Arc<Hud>,
    /// The LangGraph Agent Server's durable checkpoints (they outlive its host).
    pub checkpoints: Arc<CheckpointStore>,
    pub github: GithubFake,
    pub glitchtip: GlitchtipFake,
    /// Microsoft Graph (with the identity platform's token endpoint).
    pub msgraph: GraphFake,
    /// The plain grids, by host.
    pub plain_grids: Vec<(Host, Arc<Grid>)>,
    /// The skills service.
    pub skills: Arc<SkillsService>,
}

/// Why a world's services could not be built (a fake refused its config).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServicesError(pub String);

impl std::fmt::Display for ServicesError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ServicesError {}

/// Where each service is reached: a base URL per host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    pub studio: String,
    pub daytona: String,
    pub contextforge: String,
    pub fractalops_hud: String,
    pub agent_server: String,
    pub github: String,
    pub glitchtip: String,
    /// The skills service (`GET /v1/skills`).
    pub skills: String,
    /// Microsoft Graph and the identity platform's token endpoint.
    pub msgraph: String,
    /// The plain grids ([`Host::PLAIN_GRIDS`]), each with its base URL.
    pub plain_grids: Vec<(Host, String)>,
}

impl Endpoints {
    /// The hosts and ports inside the simulation ([`Host::url`]).
    pub fn simulated() -> Self {
        Endpoints::from_bases(Host::url)
    }

    /// Endpoints whose base URL for each host of [`Host::SERVICES`] is `base(host)`.
    pub fn from_bases(base: impl Fn(Host) -> String) -> Self {
        Endpoints {
            studio: base(Host::Studio),
            daytona: base(Host::Daytona),
            contextforge: base(Host::Contextforge),
            fractalops_hud: base(Host::FractalopsHud),
            agent_server: base(Host::AgentServer),
            github: base(Host::Github),
            glitchtip: base(Host::Glitchtip),
            skills: base(Host::Skills),
            msgraph: base(Host::Msgraph),
            plain_grids: Host::PLAIN_GRIDS.iter().map(|host| (*host, base(*host))).collect(),
        }
    }
}

impl Services {
    /// Wires every service of `scenario`'s world to the others through
    /// `endpoints`. Each world project (by slug, first occurrence) gets a GitHub
    /// repository `yamonco/<slug>` and a GlitchTip project `yamon/<slug>` with its DSN.
    pub fn build(scenario: &Scenario, endpoints: &Endpoints, transport: Transport) -> Result<Services, ServicesError> {
        Self::build_recorded(scenario, endpoints, transport, None)
    }

    /// [`Services::build`], with every service's HTTP client recording its
    /// exchanges into `recorder` (as coming from the host the service runs on).
    pub fn build_recorded(
        scenario: &Scenario,
        endpoints: &Endpoints,
        transport: Transport,
        recorder: Option<&CallRecorder>,
    ) -> Result<Services, ServicesError> {
        let gateway_config = GatewayConfig::default();
        let daytona_config = DaytonaConfig {
            public_url: endpoints.daytona.clone(),
            seed: scenario.seed,
            storage: scenario.world.storage.to_config(),
            core_pods_down: crate::scenario::core_pods_down(&scenario.world.daytona_core_pods),
            start_seconds: scenario.world.sandbox_start.0.as_secs(),
            ssh_gateway_url: scenario.world.daytona_ssh_gateway_url.clone(),
            ..DaytonaConfig::default()
        };
        let service_clock = || match transport {
            Transport::Simulated => clock::simulated_service_clock(crate::engine::world::EPOCH_UNIX_SECONDS),
            Transport::Loopback => clock::service_clock(),
        };
        let service_http = HttpClient::new(transport, Duration::from_secs(10));
        // The legacy org-PAT override condition: GitHub knows the PAT, and the platform's env still sets it.
        let org_pat = scenario.world.github.org_pat_override.then(|| OrgPatConfig {
            token: ORG_PAT.to_string(),
            login: ORG_PAT_USER.to_string(),
            user_id: 4_120_001,
        });
        let on = |host: Host| match recorder {
            Some(r) => service_http.recording(r, host.name()),
            None => service_http.clone(),
        };
        let launcher = Arc::new(AgentProcessLauncher {
            behaviours: scenario.agents.clone(),
            http: on(Host::Daytona),
            implementer_lanes: scenario.world.implementer_lanes,
            daytona_url: daytona_config.public_url.clone(),
            daytona_api_key: daytona_config.api_key.clone(),
        });
        let daytona = Daytona::new(daytona_config.clone(), launcher, service_clock());
        let graph_config = graph_config(scenario);
        let gateway = ContextForge::new(gateway_config.clone(), on(Host::Contextforge), service_clock());
        let hud = Hud::new(endpoints.agent_server.clone(), on(Host::FractalopsHud));
        let studio_config = StudioConfig {
            seed: scenario.seed,
            nickname_seed: scenario.world.nickname_seed.unwrap_or(scenario.seed),
            tenants: scenario.world.tenants.clone(),
            projects: scenario.world.projects.clone(),
            daytona_url: daytona_config.public_url.clone(),
            daytona_api_key: daytona_config.api_key.clone(),
            gateway_url: endpoints.contextforge.clone(),
            agent_server_url: endpoints.agent_server.clone(),
            gateway: gateway_config,
            grids: grid_registrations(endpoints),
            msgraph: graph_binding(endpoints, &graph_config),
            first_tool_deadline: Duration::from_secs(120),
            log_poll: Duration::from_secs(2),
            transport,
            loadouts: scenario.world.loadouts.clone(),
            gateway_token_shape: scenario.world.gateway_token_shape,
            admin_token_shape: scenario.world.admin_token_shape,
            github: CodexGateConfig {
                api_url: endpoints.github.clone(),
                org: GITHUB_ORG.to_string(),
                env: org_pat.iter().map(|p| (delivery::ORG_PAT_OVERRIDE_ENV.to_string(), p.token.clone())).collect(),
                ..CodexGateConfig::default()
            },
            lifecycle: scenario.world.lifecycle.clone(),
            skills_url: endpoints.skills.clone(),
            glitchtip_url: endpoints.glitchtip.clone(),
            glitchtip_api_token: GlitchtipConfig::default().api_tokens.first().cloned().unwrap_or_default(),
            agent_process_adapters: scenario.world.agent_process_adapters.clone(),
            runtime_binding: scenario.world.runtime_binding,
            browser_slots: scenario.world.browser_slots.clone(),
            prior_runs: scenario.world.prior_runs.clone(),
            run_store_refuses_run_control_writes: scenario.world.run_store.refuses_run_control_writes,
        };
        let studio = match recorder {
            Some(r) => {
                let http = Studio::http_for(&studio_config).recording(r, Host::Studio.name());
                Studio::with_http(studio_config, http)
            }
            None => Studio::new(studio_config),
        };
        let mut slugs: Vec<&str> = Vec::new();
        for p in &scenario.world.projects {
            if !slugs.contains(&p.slug.as_str()) {
                slugs.push(&p.slug);
            }
        }
        let github = GithubFake::new(
            GithubConfig {
                base_url: endpoints.github.clone(),
                seed: scenario.seed,
                repositories: repositories(&slugs, &scenario.world.github.files),
                org_pat,
                rate_limit: scenario.world.github.rate_limit.unwrap_or(GithubConfig::default().rate_limit),
                ..GithubConfig::default()
            },
            service_clock(),
        )
        .map_err(|e| ServicesError(e.to_string()))?;
        let glitchtip = GlitchtipFake::new(
            GlitchtipConfig {
                base_url: endpoints.glitchtip.clone(),
                seed: scenario.seed,
                projects: slugs
                    .iter()
                    .map(|slug| ProjectConfig {
                        organization: GLITCHTIP_ORG.to_string(),
                        team: GLITCHTIP_TEAM.to_string(),
                        slug: slug.to_string(),
                        platform: None,
                    })
                    .collect(),
                provisioning_failure: scenario.world.glitchtip.provisioning_failure,
                ..GlitchtipConfig::default()
            },
            service_clock(),
        )
        .map_err(|e| ServicesError(e.to_string()))?;
        let msgraph = GraphFake::new(graph_config, service_clock());
        let plain_grids =
            grids::plain_grids().into_iter().map(|(host, tools)| (host, Grid::new(host.name(), tools))).collect();
        Ok(Services {
            studio,
            daytona,
            gateway,
            hud,
            checkpoints: CheckpointStore::new(),
            github,
            glitchtip,
            msgraph,
            plain_grids,
            skills: SkillsService::new(scenario.world.skills.clone()),
        })
    }
}

/// The object id of the named-agent app registration, where secret leases are added.
const NAMED_AGENT_APPLICATION_ID: &str = "3c9e1f7a-2b84-4d6e-a05c-8f1d2e3b4a59";

/// How long a named agent's secret lease lasts: one working day.
const SECRET_LEASE: Duration = Duration::from_secs(24 * 3600);

/// The directory as the scenario has it: a user for every named agent but the
/// missing ones, the named-agent app registration, and Graph's service time.
fn graph_config(scenario: &Scenario) -> GraphConfig {
    let graph = &scenario.world.msgraph;
    let users = crate::scenario::named_agent_roles(scenario)
        .into_iter()
        .filter(|role| !graph.missing_named_agents.contains(role))
        .map(|role| identity::user_principal_name(&role))
        .collect();
    GraphConfig {
        seed: scenario.seed,
        tenant_id: ENTRA_TENANT_ID.to_string(),
        domain: identity::DOMAIN.to_string(),
        users,
        applications: vec![ApplicationConfig {
            id: NAMED_AGENT_APPLICATION_ID.to_string(),
            app_id: "a4d2c8e6-1f3b-4a57-9e20-6b8c0d1e2f34".to_string(),
            display_name: "fractalops-named-agents".to_string(),
        }],
        latency: graph.service_time.map_or_else(GraphLatency::default, |t| GraphLatency {
            token: t.token.0,
            directory_read: t.directory_read.0,
            directory_write: t.directory_write.0,
        }),
        ..GraphConfig::default()
    }
}

/// How the Studio reaches Graph: its client credentials and the named-agent app registration.
fn graph_binding(endpoints: &Endpoints, graph: &GraphConfig) -> GraphBindingConfig {
    GraphBindingConfig {
        url: endpoints.msgraph.clone(),
        tenant_id: graph.tenant_id.clone(),
        client_id: graph.client.client_id.clone(),
        client_secret: graph.client.client_secret.clone(),
        named_agent_application_id: NAMED_AGENT_APPLICATION_ID.to_string(),
        lease: SECRET_LEASE,
    }
}

/// The organization's repositories: one per project slug, then one per other
/// repository `files` names, each holding its files of `files` (their content
/// names the file, so a delivered copy can be told from another).
fn repositories(slugs: &[&str], files: &[RepositoryFile]) -> Vec<RepositoryConfig> {
    let mut names: Vec<&str> = slugs.to_vec();
    for file in files {
        if !names.contains(&file.repository.as_str()) {
            names.push(&file.repository);
        }
    }
    names
        .into_iter()
        .map(|name| RepositoryConfig {
            owner: GITHUB_ORG.to_string(),
            name: name.to_string(),
            files: files
                .iter()
                .filter(|f| f.repository == name)
                .map(|f| (f.path.clone(), format!("{GITHUB_ORG}/{name}:{}\n", f.path)))
                .collect(),
            ..RepositoryConfig::default()
        })
        .collect()
}

/// Every grid the Armory registers: the HUD, the plain grids, and GlitchTip's MCP
/// (with the armory's bearer token, as `glitchtip-mcp-bearer` in the runbook).
fn grid_registrations(endpoints: &Endpoints) -> Vec<GridRegistration> {
    let mut list = vec![GridRegistration {
        server_id: hud::SERVER_ID.to_string(),
        url: format!("{}/mcp", endpoints.fractalops_hud),
        bearer: None,
    }];
    for (host, base) in &endpoints.plain_grids {
        list.push(GridRegistration { server_id: host.name().to_string(), url: format!("{base}/mcp"), bearer: None });
    }
    list.push(GridRegistration {
        server_id: "glitchtip".to_string(),
        url: format!("{}/mcp", endpoints.glitchtip),
        bearer: GlitchtipConfig::default().api_tokens.first().cloned(),
    });
    list
}

impl Services {
    /// The router `host` serves, a new one at each call (for the Agent Server,
    /// a new incarnation over the same durable checkpoints); `None` for a host
    /// these services do not run (the operator, the platform agent's hosts).
    pub fn router(&self, host: Host) -> Option<Router> {
        Some(match host {
            Host::Studio => studio::api::router(self.studio.clone()),
            Host::Daytona => self.daytona.router(),
            Host::Contextforge => self.gateway.router(),
            Host::FractalopsHud => self.hud.router(),
            Host::AgentServer => AgentServer::incarnation(self.checkpoints.clone()).router(),
            Host::Github => squadsim_fakes::github::router(self.github.clone()),
            Host::Glitchtip => squadsim_fakes::glitchtip::router(self.glitchtip.clone()),
            Host::Skills => self.skills.router(),
            Host::Msgraph => squadsim_fakes::msgraph::router(self.msgraph.clone()),
            grid => self.plain_grids.iter().find(|(h, _)| *h == grid)?.1.router(),
        })
    }

    /// One router per host of [`Host::SERVICES`], in that order, for serving on
    /// real sockets (one incarnation of each; the simulation mounts its own).
    pub fn routers(&self) -> Vec<(Host, Router)> {
        Host::SERVICES.into_iter().filter_map(|host| Some((host, self.router(host)?))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_services_serve_every_service_host_and_no_other() {
        let scenario = Scenario::parse(std::path::Path::new("world.yaml"), "steps: [health]\n").unwrap();
        let services = Services::build(&scenario, &Endpoints::simulated(), Transport::Simulated).unwrap();
        let served: Vec<Host> = Host::ALL.into_iter().filter(|h| services.router(*h).is_some()).collect();
        assert_eq!(served, Host::SERVICES);
    }

    #[test]
    fn every_service_of_a_world_draws_from_the_scenarios_seed() {
        // One seed drives everything: a fake left on its default seed would give every seed the same ids and tokens.
        let scenario = Scenario::parse(std::path::Path::new("world.yaml"), "seed: 7\nsteps: [health]\n").unwrap();
        let services = Services::build(&scenario, &Endpoints::simulated(), Transport::Simulated).unwrap();
        let seeds = [
            services.studio.config.seed,
            services.daytona.config().seed,
            services.github.config().seed,
            services.glitchtip.config().seed,
            services.msgraph.config().seed,
        ];
        assert_eq!(seeds, [7; 5]);
    }
}
