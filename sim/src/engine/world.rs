//! The simulated world: one turmoil host per service, real HTTP between them,
//! one seed for everything.
//!
//! Hosts: `studio` (fractalops API: Studio, run control, Harness Runtime,
//! Armory), `daytona` (sandboxes and the agent processes inside them),
//! `contextforge` (the MCP gateway), `fractalops-hud` (a grid behind the gateway)
//! and the `operator` client. [`Services`] also builds the GitHub (CodexGate
//! App) and GlitchTip fakes, which `squadsim serve` mounts on loopback.
//!
//! Guarantees: the simulation's epoch, tick, latency and RNG seed are fixed by
//! the scenario, and tokio's RNG is seeded by turmoil (with `--cfg tokio_unstable`),
//! so the same scenario and seed produce the same [`Outcome`]; host names are
//! validated by the scenario loader before anything here runs.

use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use axum::Router;

use squadsim_fakes::contextforge::{ContextForge, GatewayConfig};
use squadsim_fakes::daytona::{Daytona, DaytonaConfig};
use squadsim_fakes::github::{GithubConfig, GithubFake, OrgPatConfig, RepositoryConfig};
use squadsim_fakes::glitchtip::{GlitchtipConfig, GlitchtipFake, ProjectConfig};
use squadsim_fakes::net::{serve_simulated, CallRecorder, HttpClient, Transport};

use crate::engine::fault_schedule::FaultSchedule;
use crate::engine::operator::{self, seconds_label, OperatorLog};
use crate::engine::outcome::{ConcurrentRun, GatewayOutcome, Outcome, RunOutcome, SessionOutcome};
use crate::engine::run_record::{Collector, Gathered, RunRecord};
use crate::platform::agent_server::{self, AgentServer, CheckpointStore};
use crate::platform::grids::{self, GridRegistration};
use crate::platform::hud::{self, Hud};
use crate::platform::studio::armory;
use crate::platform::studio::delivery::CodexGateConfig;
use crate::platform::studio::{self, Studio, StudioConfig};
use crate::platform::workspace::agent_process::AgentProcessLauncher;
use crate::scenario::Scenario;
use squadsim_fakes::grid::Grid;

/// 2026-06-09T00:00:00Z: the simulated epoch (the day of the platform-agent pilot).
pub const EPOCH_UNIX_SECONDS: u64 = 1_780_963_200;

pub const STUDIO_PORT: u16 = 8080;
pub const DAYTONA_PORT: u16 = 3000;
pub const CONTEXTFORGE_PORT: u16 = 4444;
pub const GITHUB_PORT: u16 = 80;
pub const GLITCHTIP_PORT: u16 = 8000;

/// The GitHub organization the CodexGate App is installed on; every world
/// project has a repository `<org>/<project slug>` there.
pub const GITHUB_ORG: &str = "yamonco";
/// The org PAT of the legacy override condition (`world.github.org_pat_override`) and its human user.
pub const ORG_PAT: &str = "ghp_squadsimOrgPatOverride0000000000000000";
pub const ORG_PAT_USER: &str = "yamon-platform-admin";
/// The GlitchTip organization and team every world project is provisioned in.
pub const GLITCHTIP_ORG: &str = "yamon";
pub const GLITCHTIP_TEAM: &str = "platform";

/// Where each service is reached.
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
    /// The plain grids (searxnggrid, agent-memory-archive, datahub, playwright): (server id, base URL).
    pub plain_grids: Vec<(String, String)>,
}

impl Endpoints {
    /// The hosts and ports inside the simulation.
    pub fn simulated() -> Self {
        Endpoints {
            studio: format!("http://studio:{STUDIO_PORT}"),
            daytona: format!("http://daytona:{DAYTONA_PORT}"),
            contextforge: format!("http://contextforge:{CONTEXTFORGE_PORT}"),
            fractalops_hud: format!("http://fractalops-hud:{}", hud::PORT),
            agent_server: format!("http://agent-server:{}", agent_server::PORT),
            github: format!("http://github:{GITHUB_PORT}"),
            glitchtip: format!("http://glitchtip:{GLITCHTIP_PORT}"),
            skills: format!("http://skills:{}", crate::platform::skills::PORT),
            plain_grids: grids::plain_grids()
                .iter()
                .map(|(id, _)| (id.to_string(), format!("http://{id}:{GRID_PORT}")))
                .collect(),
        }
    }
}

/// The largest number of connections one listener holds unaccepted (and
/// segments one socket buffers) in the simulation.
pub const TCP_BACKLOG: usize = 1 << 16;

/// The ports a simulated host's outgoing connections are numbered from.
/// turmoil's default (49152..=65535, RFC 6335's dynamic range) holds 16,384:
/// a host that opens a connection per request cycles through them in a few
/// thousand runs, and when it comes back to a port whose old connection the
/// server side still holds, turmoil panics (`SocketPair { .. } is already
/// connected`). Every port above the well-known ones quadruples the cycle;
/// ports are never part of an outcome.
pub const EPHEMERAL_PORTS: std::ops::RangeInclusive<u16> = 1024..=65535;

/// The edge's SSH entrypoint for Daytona (Traefik `daytona-ssh`, owned by GitOps
/// with Daytona's `SSH_GATEWAY_URL`): the only place an SSH command can reach a sandbox.
pub const DAYTONA_SSH_EDGE: &str = "daytona-ssh.yamon.io:2222";

/// The port every plain grid listens on inside the simulation.
pub const GRID_PORT: u16 = 8000;

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
    /// The plain grids, by server id.
    pub plain_grids: Vec<(&'static str, Arc<Grid>)>,
    /// The skills service.
    pub skills: Arc<crate::platform::skills::SkillsService>,
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

/// Why a run did not reach its end. A run with one is never green: `squadsim
/// run` fails it (exit 2 for [`RunError::NotBuilt`], 1 otherwise) whatever its
/// snapshot says, and a sweep fails the seed whatever its invariants say.
/// Serialized as its message (the outcome's `error:`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunError {
    /// The world could not be built (a fake refused its config): nothing ran.
    NotBuilt(ServicesError),
    /// The horizon passed before the operator got through its steps.
    NotFinished(Unfinished),
    /// The simulation stopped on an error of its own (a host's software failed).
    Stopped(String),
    /// The simulation panicked (caught per scenario by `squadsim run` and per seed by sweeps).
    Panicked(String),
}

/// What was still running when the horizon passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unfinished {
    /// The scenario's `world.horizon`.
    pub horizon: Duration,
    /// The operator step in progress, e.g. `steps[2] (watch)`.
    pub step: Option<String>,
    /// The launched run's sessions that had not settled (neither completed nor
    /// blocked), as `<agent id> (<live_status> at <current_step>)`.
    pub unsettled: Vec<String>,
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::NotBuilt(e) => write!(f, "the world could not be built: {e}"),
            RunError::NotFinished(u) => {
                write!(f, "did not finish: the horizon ({}) passed", seconds_label(u.horizon))?;
                match &u.step {
                    Some(step) => write!(f, " while the operator was at {step}")?,
                    None => write!(f, " before the operator's first step")?,
                }
                if u.unsettled.is_empty() {
                    write!(f, "; no session was still running")
                } else {
                    write!(f, "; sessions not settled: {}", u.unsettled.join(", "))
                }
            }
            RunError::Stopped(e) => write!(f, "the simulation stopped: {e}"),
            RunError::Panicked(e) => write!(f, "panicked: {e}"),
        }
    }
}

impl std::error::Error for RunError {}

/// Runs `f`, catching a panic as [`RunError::Panicked`] with the message (and
/// place) of the first panic on this thread while `f` ran: the root cause, not
/// what it set off (a panic in a turmoil host resurfaces as tokio's "a spawned
/// task panicked and the LocalSet is configured to shutdown on unhandled
/// panic"). Rust's panic hook still prints each panic on stderr as it does.
pub fn catch_panic<T>(f: impl FnOnce() -> T) -> Result<T, RunError> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            FIRST_PANIC.with(|first| {
                let mut first = first.borrow_mut();
                if first.is_none() {
                    let message = panic_message(info.payload());
                    *first = Some(match info.location() {
                        Some(at) => format!("{message} (at {}:{}:{})", at.file(), at.line(), at.column()),
                        None => message,
                    });
                }
            });
            previous(info)
        }));
    });
    FIRST_PANIC.with(|first| first.borrow_mut().take());
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    let first = FIRST_PANIC.with(|first| first.borrow_mut().take());
    caught.map_err(|payload| RunError::Panicked(first.unwrap_or_else(|| panic_message(payload.as_ref()))))
}

thread_local! {
    /// The first panic on this thread since [`catch_panic`] began.
    static FIRST_PANIC: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// The message a panic was raised with.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "a panic without a message".into())
}

impl serde::Serialize for RunError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
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
            start_seconds: scenario.world.sandbox_start.0.as_secs(),
            ssh_gateway_url: scenario.world.daytona_ssh_gateway_url.clone(),
            ..DaytonaConfig::default()
        };
        let service_http = HttpClient::new(transport, Duration::from_secs(10));
        // The legacy org-PAT override condition: GitHub knows the PAT, and the platform's env still sets it.
        let org_pat = scenario.world.github.org_pat_override.then(|| OrgPatConfig {
            token: ORG_PAT.to_string(),
            login: ORG_PAT_USER.to_string(),
            user_id: 4_120_001,
        });
        let on = |host: &str| match recorder {
            Some(r) => service_http.recording(r, host),
            None => service_http.clone(),
        };
        let launcher = Arc::new(AgentProcessLauncher {
            behaviours: scenario.agents.clone(),
            http: on("daytona"),
            implementer_lanes: scenario.world.implementer_lanes,
            daytona_url: daytona_config.public_url.clone(),
            daytona_api_key: daytona_config.api_key.clone(),
        });
        let daytona = Daytona::new(daytona_config.clone(), launcher, crate::base::clock::service_clock());
        let gateway =
            ContextForge::new(gateway_config.clone(), on("contextforge"), crate::base::clock::service_clock());
        let hud = Hud::new(endpoints.agent_server.clone(), on("fractalops-hud"));
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
            identity_binding: Duration::from_secs(3),
            first_tool_deadline: Duration::from_secs(120),
            log_poll: Duration::from_secs(2),
            transport,
            loadouts: scenario.world.loadouts.clone(),
            gateway_token_shape: scenario.world.gateway_token_shape,
            github: CodexGateConfig {
                api_url: endpoints.github.clone(),
                org: GITHUB_ORG.to_string(),
                env: org_pat
                    .iter()
                    .map(|p| (crate::platform::studio::delivery::ORG_PAT_OVERRIDE_ENV.to_string(), p.token.clone()))
                    .collect(),
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
        };
        let studio = match recorder {
            Some(r) => {
                let http = Studio::http_for(&studio_config).recording(r, "studio");
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
                repositories: slugs
                    .iter()
                    .map(|slug| RepositoryConfig {
                        owner: GITHUB_ORG.to_string(),
                        name: slug.to_string(),
                        ..RepositoryConfig::default()
                    })
                    .collect(),
                org_pat,
                rate_limit: scenario.world.github.rate_limit.unwrap_or(GithubConfig::default().rate_limit),
                ..GithubConfig::default()
            },
            crate::base::clock::service_clock(),
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
            crate::base::clock::service_clock(),
        )
        .map_err(|e| ServicesError(e.to_string()))?;
        let plain_grids = grids::plain_grids().into_iter().map(|(id, tools)| (id, Grid::new(id, tools))).collect();
        Ok(Services {
            studio,
            daytona,
            gateway,
            hud,
            checkpoints: CheckpointStore::new(),
            github,
            glitchtip,
            plain_grids,
            skills: crate::platform::skills::SkillsService::new(scenario.world.skills.clone()),
        })
    }
}

impl Endpoints {
    /// Every service's host name, in a fixed order: the turmoil host names, and
    /// the services `squadsim serve` mounts, each on its own port.
    pub const HOSTS: &'static [&'static str] = crate::scenario::SERVICE_HOSTS;

    /// Endpoints whose base URL for each host in [`Endpoints::HOSTS`] is `base(host)`.
    pub fn from_bases(base: impl Fn(&str) -> String) -> Self {
        Endpoints {
            studio: base("studio"),
            daytona: base("daytona"),
            contextforge: base("contextforge"),
            fractalops_hud: base("fractalops-hud"),
            agent_server: base("agent-server"),
            github: base("github"),
            glitchtip: base("glitchtip"),
            skills: base("skills"),
            plain_grids: grids::plain_grids().iter().map(|(id, _)| (id.to_string(), base(id))).collect(),
        }
    }
}

/// Every grid the Armory registers: the HUD, the plain grids, and GlitchTip's MCP
/// (with the armory's bearer token, as `glitchtip-mcp-bearer` in the runbook).
fn grid_registrations(endpoints: &Endpoints) -> Vec<GridRegistration> {
    let mut list = vec![GridRegistration {
        server_id: hud::SERVER_ID.to_string(),
        url: format!("{}/mcp", endpoints.fractalops_hud),
        bearer: None,
    }];
    for (server_id, base) in &endpoints.plain_grids {
        list.push(GridRegistration { server_id: server_id.clone(), url: format!("{base}/mcp"), bearer: None });
    }
    list.push(GridRegistration {
        server_id: "glitchtip".to_string(),
        url: format!("{}/mcp", endpoints.glitchtip),
        bearer: GlitchtipConfig::default().api_tokens.first().cloned(),
    });
    list
}

impl Services {
    /// One router per host, in [`Endpoints::HOSTS`] order, for serving on real
    /// sockets (one incarnation of each; the simulation mounts its own).
    pub fn routers(&self) -> Vec<(&'static str, Router)> {
        vec![
            ("studio", studio::api::router(self.studio.clone())),
            ("daytona", self.daytona.router()),
            ("contextforge", self.gateway.router()),
            ("fractalops-hud", self.hud.router()),
            ("agent-server", AgentServer::incarnation(self.checkpoints.clone()).router()),
            ("github", squadsim_fakes::github::router(self.github.clone())),
            ("glitchtip", squadsim_fakes::glitchtip::router(self.glitchtip.clone())),
        ]
        .into_iter()
        .chain(self.plain_grids.iter().map(|(id, grid)| (*id, grid.router())))
        .chain([("skills", self.skills.router())])
        .collect()
    }
}

/// The network's message latency and host order for one run.
///
/// Guarantees: with the same profile, scenario and seed a run is
/// byte-identical; [`Network::SNAPSHOT`] is what snapshots are taken with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    pub min_latency: Duration,
    pub max_latency: Duration,
    /// turmoil runs the hosts of each step in a seeded random order instead of
    /// registration order (`Builder::enable_random_order`).
    pub random_order: bool,
}

impl Network {
    /// No latency of its own, hosts in registration order. A cluster's
    /// sub-millisecond latency is below any tick: a message is delivered at the
    /// next turn of its receiver (later in the same step if the receiver runs
    /// after the sender, else at the next step), so a hop costs at most one tick
    /// and an exchange on a kept-alive connection at most one, which keeps every
    /// documented bound (the 5 s skill pull, the operator's 30 s timeout, the
    /// Temporal-owned deadlines, the ~6 s launch) exact to the default tick.
    pub const SNAPSHOT: Network =
        Network { min_latency: Duration::ZERO, max_latency: Duration::ZERO, random_order: false };

    /// A seed sweep's network: hosts in random order, latency drawn from 1 ms
    /// up to `jitter` (messages land across several ticks when it exceeds one).
    pub fn jittered(jitter: Duration) -> Network {
        Network {
            min_latency: Duration::from_millis(1),
            max_latency: jitter.max(Duration::from_millis(1)),
            random_order: true,
        }
    }
}

/// Runs a scenario to its outcome.
pub fn run(scenario: &Scenario) -> Outcome {
    run_capturing(scenario, false, &Network::SNAPSHOT, false, None).0
}

/// Runs a scenario to its outcome on the given network.
pub fn run_on(scenario: &Scenario, network: &Network) -> Outcome {
    run_capturing(scenario, false, network, false, None).0
}

/// Runs a scenario to its outcome, and also returns its services as the simulation
/// left them, for reading what the fakes recorded (e.g. Daytona's workspace logs).
/// The outcome is the same as [`run`]'s.
pub fn run_keeping_services(scenario: &Scenario) -> (Outcome, Option<Services>) {
    let mut kept = None;
    let outcome = run_capturing(scenario, false, &Network::SNAPSHOT, false, Some(&mut kept)).0;
    (outcome, kept)
}

/// Runs a scenario to its outcome, and also returns every Studio response the
/// operator received, in order, as (`METHOD /path`, JSON body). The outcome is
/// the same as [`run`]'s.
pub fn run_with_responses(scenario: &Scenario) -> (Outcome, Vec<(String, serde_json::Value)>) {
    let (outcome, responses, _) = run_capturing(scenario, true, &Network::SNAPSHOT, false, None);
    (outcome, responses)
}

/// Runs a scenario to its outcome and the record of what happened on the way
/// (HTTP exchanges, attempts, blockers, walls, handoffs, faults; see
/// [`RunRecord`]). The outcome is the same as [`run`]'s.
pub fn run_recorded(scenario: &Scenario) -> (Outcome, RunRecord) {
    let (outcome, _, record) = run_capturing(scenario, false, &Network::SNAPSHOT, true, None);
    let record = record.unwrap_or_else(|| RunRecord::build(&outcome, Gathered::nothing()));
    (outcome, record)
}

/// [`run_recorded`], also returning the services as the simulation left them
/// (for reading what the fakes recorded, e.g. Daytona's Kubernetes events).
pub fn run_recorded_keeping_services(scenario: &Scenario) -> (Outcome, RunRecord, Option<Services>) {
    let mut kept = None;
    let (outcome, _, record) = run_capturing(scenario, false, &Network::SNAPSHOT, true, Some(&mut kept));
    let record = record.unwrap_or_else(|| RunRecord::build(&outcome, Gathered::nothing()));
    (outcome, record, kept)
}

/// The turmoil world every run steps: seeded, at the fixed epoch, with the
/// scenario's tick and horizon, `network`'s latency and host order, a backlog
/// of [`TCP_BACKLOG`] and [`EPHEMERAL_PORTS`].
fn simulation(seed: u64, tick: Duration, horizon: Duration, network: &Network) -> turmoil::Builder {
    let mut builder = turmoil::Builder::new();
    builder
        .rng_seed(seed)
        .epoch(UNIX_EPOCH + Duration::from_secs(EPOCH_UNIX_SECONDS))
        .tick_duration(tick)
        .simulation_duration(horizon)
        .min_message_latency(network.min_latency)
        .max_message_latency(network.max_latency)
        // A listener's backlog: turmoil panics when more connections wait to be
        // accepted than this (64 by default), which hundreds of agents starting
        // in one tick exceed. It bounds buffers, it does not allocate them.
        .tcp_capacity(TCP_BACKLOG)
        .ephemeral_ports(EPHEMERAL_PORTS);
    if network.random_order {
        builder.enable_random_order();
    }
    builder
}

fn run_capturing(
    scenario: &Scenario,
    capture_responses: bool,
    network: &Network,
    record: bool,
    keep: Option<&mut Option<Services>>,
) -> (Outcome, Vec<(String, serde_json::Value)>, Option<RunRecord>) {
    let seed = scenario.seed;
    let mut sim = simulation(seed, scenario.world.tick.0, scenario.world.horizon.0, network).build();

    let recorder = record.then(CallRecorder::new);
    let services =
        match Services::build_recorded(scenario, &Endpoints::simulated(), Transport::Simulated, recorder.as_ref()) {
            Ok(services) => services,
            Err(e) => return (nothing_ran(scenario, RunError::NotBuilt(e)), Vec::new(), None),
        };
    if let Some(keep) = keep {
        *keep = Some(services.clone());
    }
    let Services { studio, daytona, gateway, hud, checkpoints, github, glitchtip, plain_grids, skills } = services;
    // Every service wears its host's service-fault layer (switched by the schedule).
    let mut schedule = FaultSchedule::new(&scenario.faults, (network.min_latency, network.max_latency));
    {
        let (studio, faults) = (studio.clone(), schedule.service("studio"));
        let tick = scenario.world.tick.0;
        sim.host("studio", move || {
            let (studio, faults) = (studio.clone(), faults.clone());
            async move {
                let bootstrap = studio.clone();
                // Every service binds its listener in its first step; the Armory
                // registers the grids once they are up (a message reaches a host
                // that runs later in the same step before its software has run).
                tokio::spawn(async move {
                    tokio::time::sleep(tick).await;
                    armory::register_grids(&bootstrap).await
                });
                serve_simulated(faults.layer(studio::api::router(studio)), STUDIO_PORT).await
            }
        });
    }
    {
        let (daytona, faults) = (daytona.clone(), schedule.service("daytona"));
        sim.host("daytona", move || serve_simulated(faults.layer(daytona.router()), DAYTONA_PORT));
    }
    {
        let (gateway, faults) = (gateway.clone(), schedule.service("contextforge"));
        sim.host("contextforge", move || serve_simulated(faults.layer(gateway.router()), CONTEXTFORGE_PORT));
    }
    {
        let (hud, faults) = (hud.clone(), schedule.service("fractalops-hud"));
        sim.host("fractalops-hud", move || serve_simulated(faults.layer(hud.router()), hud::PORT));
    }
    {
        let (checkpoints, faults) = (checkpoints.clone(), schedule.service("agent-server"));
        // Each (re)start is a new incarnation over the same durable checkpoints.
        sim.host("agent-server", move || {
            serve_simulated(faults.layer(AgentServer::incarnation(checkpoints.clone()).router()), agent_server::PORT)
        });
    }
    {
        let (github, faults) = (github.clone(), schedule.service("github"));
        sim.host("github", move || {
            serve_simulated(faults.layer(squadsim_fakes::github::router(github.clone())), GITHUB_PORT)
        });
    }
    {
        let (glitchtip, faults) = (glitchtip.clone(), schedule.service("glitchtip"));
        sim.host("glitchtip", move || {
            serve_simulated(faults.layer(squadsim_fakes::glitchtip::router(glitchtip.clone())), GLITCHTIP_PORT)
        });
    }
    for (id, grid) in plain_grids {
        let faults = schedule.service(id);
        sim.host(id, move || serve_simulated(faults.layer(grid.router()), GRID_PORT));
    }
    {
        let faults = schedule.service("skills");
        sim.host("skills", move || serve_simulated(faults.layer(skills.router()), crate::platform::skills::PORT));
    }
    let platform_agent = match scenario.world.platform_agent.as_ref().map(|c| (c, c.spec())) {
        None => None,
        Some((condition, Ok(spec))) => {
            Some(crate::platform::platform_agent::mount(&mut sim, condition, spec, seed, &schedule, recorder.as_ref()))
        }
        Some((_, Err(e))) => return (nothing_ran(scenario, RunError::NotBuilt(ServicesError(e))), Vec::new(), None),
    };
    let log = Arc::new(Mutex::new(OperatorLog { capture_responses, ..OperatorLog::default() }));
    sim.client("operator", operator::drive(scenario.clone(), log.clone(), recorder.clone()));

    let mut error = None;
    let collector = Collector::new();
    // The run record's attempts, blockers, walls and handoffs arrive through `tracing` on this thread.
    let subscriber = record.then(|| tracing::subscriber::set_default(collector.clone()));
    loop {
        schedule.advance(&mut sim, &studio);
        match sim.step() {
            Ok(true) => break,
            Ok(false) => {}
            Err(e) => {
                error = Some(e.to_string());
                break;
            }
        }
    }
    drop(subscriber);
    let simulated = sim.elapsed();
    let mut operator_log = log.lock().map(|l| l.clone()).unwrap_or_default();
    let responses = std::mem::take(&mut operator_log.responses);
    let run_id = operator_log.run_id.clone();
    let step_in_progress = operator_log.step_in_progress.clone();
    let mut outcome = collect(scenario, &studio, &gateway, &checkpoints, operator_log, simulated);
    outcome.error = error.map(|e| match outcome.finished {
        // turmoil stops at the horizon with an error while the operator (its only client) still runs.
        false => RunError::NotFinished(Unfinished {
            horizon: scenario.world.horizon.0,
            step: step_in_progress,
            unsettled: outcome
                .sessions
                .iter()
                .filter(|s| !matches!(s.live_status.as_str(), "session_completed" | "blocked"))
                .map(|s| format!("{} ({} at {})", s.agent_id, s.live_status, s.current_step))
                .collect(),
        }),
        true => RunError::Stopped(e),
    });
    outcome.faults = schedule.log().to_vec();
    let run = outcome.run.as_ref().and_then(|r| studio.run(&r.run_id));
    outcome.diagnosis = run.and_then(|r| crate::engine::diagnosis::diagnose(&r, &daytona, &gateway));
    outcome.platform_agent = platform_agent.map(|p| p.outcome());
    let record = recorder.map(|recorder| {
        let run_control = run_id
            .and_then(|id| studio.run(&id))
            .map(|r| {
                r.run_control_events
                    .iter()
                    .map(|e| {
                        (Duration::from_millis(e.at_ms), format!("{} {}", e.event, e.detail).trim_end().to_string())
                    })
                    .collect()
            })
            .unwrap_or_default();
        let gathered =
            Gathered { calls: recorder.calls(), collector, faults: schedule.marks(), run_control, simulated };
        RunRecord::build(&outcome, gathered)
    });
    (outcome, responses, record)
}

/// The outcome of a run of `scenario` that never started (its world could not
/// be built, or the simulation panicked): nothing ran, and `error` says why.
pub fn nothing_ran(scenario: &Scenario, error: RunError) -> Outcome {
    Outcome {
        scenario: scenario.name.clone(),
        seed: scenario.seed,
        finished: false,
        error: Some(error),
        simulated: seconds_label(Duration::ZERO),
        operator: Vec::new(),
        run: None,
        sessions: Vec::new(),
        walls: Vec::new(),
        handoff_trail: Vec::new(),
        delivery_references: Vec::new(),
        observability: Default::default(),
        gateway: GatewayOutcome { tool_calls: 0, auth_failures: 0 },
        run_control: Vec::new(),
        concurrent_runs: Vec::new(),
        faults: Vec::new(),
        diagnosis: None,
        platform_agent: None,
    }
}

fn collect(
    scenario: &Scenario,
    studio: &Studio,
    gateway: &ContextForge,
    checkpoints: &CheckpointStore,
    log: OperatorLog,
    simulated: Duration,
) -> Outcome {
    let run = log.run_id.as_ref().and_then(|id| studio.run(id));
    Outcome {
        scenario: scenario.name.clone(),
        seed: scenario.seed,
        finished: log.finished,
        error: None,
        simulated: seconds_label(simulated),
        operator: log.calls,
        run: run.as_ref().map(|r| RunOutcome {
            run_id: r.run_id.clone(),
            status: r.status().as_str().to_string(),
            template_id: r.template_id.clone(),
            project_slug: r.project_slug.clone(),
            delivery_graph_kind: r.delivery_graph_kind.clone(),
            reports: r.reports.iter().map(|t| t.status.as_str().to_string()).collect(),
            delivery_graph: r.delivery_graph.label(),
            observability_dsn: r.observability_dsn.label(),
            runtime_binding: (!studio.config.runtime_binding.is_default())
                .then(|| studio.config.runtime_binding.name().to_string()),
        }),
        sessions: run
            .as_ref()
            .map(|r| {
                r.sessions
                    .iter()
                    .map(|s| SessionOutcome {
                        agent_id: s.agent_id.clone(),
                        role_id: s.role_id.clone(),
                        agent_nickname: s.agent_nickname.clone(),
                        live_status: s.live_status.as_str().to_string(),
                        current_step: s.current_step.clone(),
                        blocker_code: s.blocker_code.map(|b| b.as_str().to_string()),
                        wall_code: s.wall_code.map(|w| w.code().to_string()),
                        session_id: s.session_id.clone(),
                        claude_session_id: s.claude_session_id.clone(),
                        tool_call_count: s.tool_call_count,
                        attempt_end: s.attempt_end.clone(),
                        skill_ids: s.skill_ids.clone(),
                        refused_tool_calls: s.refused_tool_calls.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        walls: run.as_ref().map(|r| r.walls.clone()).unwrap_or_default(),
        handoff_trail: run.as_ref().and_then(|r| checkpoints.latest(&r.run_id)).map(|g| g.handoffs).unwrap_or_default(),
        delivery_references: run.as_ref().map(|r| r.delivery_references.clone()).unwrap_or_default(),
        observability: run.as_ref().map(|r| r.observability).unwrap_or_default(),
        gateway: GatewayOutcome {
            tool_calls: gateway.tool_calls(),
            auth_failures: gateway.auth_failure_count() as usize,
        },
        run_control: run
            .as_ref()
            .map(|r| {
                r.run_control_events
                    .iter()
                    .map(|e| {
                        format!("{} {} {}", seconds_label(Duration::from_millis(e.at_ms)), e.event, e.detail)
                            .trim_end()
                            .to_string()
                    })
                    .collect()
            })
            .unwrap_or_default(),
        concurrent_runs: log
            .run_ids
            .iter()
            .skip(1)
            .filter_map(|id| studio.run(id))
            .map(|r| {
                let mut blockers: Vec<String> =
                    r.sessions.iter().filter_map(|s| s.blocker_code.map(|b| b.as_str().to_string())).collect();
                blockers.sort();
                blockers.dedup();
                ConcurrentRun {
                    run_id: r.run_id.clone(),
                    status: r.status().as_str().to_string(),
                    sessions: r.sessions.len(),
                    blockers,
                }
            })
            .collect(),
        faults: Vec::new(),
        diagnosis: None,
        platform_agent: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One client host opening `connections` connections to a server that holds
    /// each one open for 10 s after the client has let go (as a server does while
    /// its handler still runs), a thousand a tick.
    fn churn(connections: usize) -> Result<(), String> {
        let network = Network::SNAPSHOT;
        let mut sim = simulation(1, Duration::from_millis(100), Duration::from_secs(120), &network).build();
        sim.host("server", || async {
            let listener = turmoil::net::TcpListener::bind(("0.0.0.0", 80)).await?;
            loop {
                let (stream, _) = listener.accept().await?;
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_secs(10)).await;
                    drop(stream);
                });
            }
        });
        sim.client("client", async move {
            let mut opened = 0;
            while opened < connections {
                let batch = (connections - opened).min(1000);
                let tasks: Vec<_> = (0..batch)
                    .map(|_| tokio::spawn(async { turmoil::net::TcpStream::connect(("server", 80)).await.map(drop) }))
                    .collect();
                for task in tasks {
                    task.await??;
                }
                opened += batch;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Ok(())
        });
        match catch_panic(|| sim.run()) {
            Ok(result) => result.map_err(|e| e.to_string()),
            Err(panicked) => Err(panicked.to_string()),
        }
    }

    #[test]
    fn a_host_can_have_more_connections_held_open_than_turmoils_default_ephemeral_range() {
        // turmoil's default range holds 16,384 ports: the 16,385th connection
        // reused a port whose old connection the server still held, and panicked.
        assert_eq!(churn(20_000), Ok(()));
    }
}
