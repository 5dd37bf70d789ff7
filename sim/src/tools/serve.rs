//! `squadsim serve`: the Studio API and every fake on real loopback sockets, so
//! a person (curl) or a real client (an MCP client, octocrab, a Sentry SDK, the
//! Daytona SDK) can poke the modelled system.
//!
//! The services are the ones the simulation runs ([`world::Services::build`],
//! with [`Transport::Loopback`]), wired to each other through their 127.0.0.1
//! addresses; time is the machine's clock, so a launch takes its real ~6 s.
//!
//! Guarantees:
//! - every listener is bound before anything is printed; a port that cannot be
//!   bound is a usage error (exit 2) naming the flag to change;
//! - the first line on stdout is one JSON object ([`ServeBanner`]): each
//!   service's base URL and the credentials a local client needs; everything
//!   after it goes to stderr (one human line per request);
//! - the grids are registered with the gateway before that line is printed;
//! - the services keep refusing requests without those credentials;
//! - a listener keeps accepting after a failed `accept()` (running out of file
//!   descriptors is logged on stderr and retried with a back-off), and a peer
//!   that sends half a request, stalls its body or idles on a kept-alive
//!   connection is cut off after 10 s ([`squadsim_fakes::net::LoopbackLimits`]);
//! - what a fake remembers for inspection is bounded, so a long session or a
//!   flood of refused requests does not grow its memory;
//! - Ctrl-C (or SIGTERM) stops every listener and exits 0.

use squadsim_conformance::exit::ExitStatus;
use std::collections::BTreeMap;
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Instant;

use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use serde::Serialize;
use squadsim_fakes::contextforge::ContextForge;
use squadsim_fakes::daytona::HostExec;
use squadsim_fakes::github::keys::{test_app_private_key_path, TEST_APP_PRIVATE_KEY_PEM};
use squadsim_fakes::net::{serve_loopback, Transport};
use tokio::net::TcpListener;

use crate::base::topology::{Host, GLITCHTIP_ORG};
use crate::engine::services::{Endpoints, Services, ServicesError};
use crate::platform::studio::api::SUPER_ADMIN_GROUP;
use crate::scenario::{OperatorIdentity, Scenario, World};
use crate::{base::identity, platform::studio::armory};

/// The fixed loopback port each service ([`Host::SERVICES`]) listens on by
/// default, as `serve --help` lists them; a host that is no service (the
/// operator, the agents' own) 0, a free port.
pub fn default_port(host: Host) -> u16 {
    match host {
        Host::Studio => 18088,
        Host::Daytona => 13000,
        Host::Contextforge => 14444,
        Host::FractalopsHud => 18100,
        Host::AgentServer => 12024,
        Host::Github => 13080,
        Host::Glitchtip => 18000,
        Host::Searxnggrid => 18101,
        Host::AgentMemoryArchive => 18102,
        Host::Datahub => 18103,
        Host::Playwright => 18104,
        Host::Skills => 18090,
        Host::Msgraph => 18443,
        Host::Operator | Host::Platform | Host::Concierge | Host::LlmProxy | Host::AnthropicApi => 0,
    }
}

/// Lifetime of the printed gateway token (8 hours: one working session).
pub const GATEWAY_TOKEN_TTL_SECONDS: u64 = 8 * 3600;

/// `--help`'s long text (the variant's one-line doc comment is the short one).
pub(crate) const SERVE_HELP: &str = "\
Starts the Studio API and every fake on 127.0.0.1 and keeps them running until
Ctrl-C. The services are the simulation's own, served on real sockets with the
machine's clock (a launch takes its real ~6 s of identity binding).

The first stdout line is one JSON object: the base URL of each service the
world has, by host name (the default world has all thirteen listed under
Default ports below), and a `credentials` object (Studio claim headers, a gateway JWT for an agent identity
<projcode>.<nickname>@yamon.io, the Daytona API key, the GitHub App id,
installation id and private key path, a GlitchTip DSN and API token). Request
logs follow on stderr.

    squadsim serve | head -1 | jq .
    curl -s localhost:18088/healthz
    curl -s -H 'x-pomerium-claim-email: oncall@yamon.io' \\
         -H 'x-pomerium-claim-groups: /org/platform/roles/super_admin' \\
         localhost:18088/v1/admin/studio/templates

Default ports, of each service the world has: studio 18088, daytona 13000,
contextforge 14444, fractalops-hud 18100, agent-server 12024, github 13080,
glitchtip 18000, searxnggrid 18101, agent-memory-archive 18102, datahub 18103,
playwright 18104, skills 18090, msgraph 18443.
Change one with --port HOST=PORT (repeatable); a port of 0 picks a free one
(read the actual URLs from the first line):

    squadsim serve --port studio=28088 --port github=0

ContextForge's MCP endpoints are stateless (its default); --mcp-sessions makes
them keep sessions (Mcp-Session-Id, the GET stream, DELETE), as with
USE_STATEFUL_SESSIONS=true.

Daytona toolbox commands (process/execute, session commands) run in the fake's
built-in deterministic shell. --sandbox-exec local instead EXECUTES THEM FOR
REAL ON THIS MACHINE, as the user running squadsim, each sandbox in its own
directory under --sandbox-dir (default: a new directory in the temporary
directory); anyone who can reach the Daytona port with the API key can then
run commands here. Never use it on a shared machine.";

/// `squadsim serve`.
#[derive(clap::Args, Debug, Clone)]
pub struct ServeArgs {
    /// Serve the world of this scenario (seed, tenants, projects, agent behaviours); its steps and faults are not run.
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
    /// Listen on PORT for HOST, one of the world's services (studio, daytona, contextforge, github, ...); 0 picks a free port.
    #[arg(long = "port", value_name = "HOST=PORT", value_parser = parse_port)]
    pub ports: Vec<(Host, u16)>,
    /// ContextForge's MCP endpoints keep stateful sessions (its USE_STATEFUL_SESSIONS=true: Mcp-Session-Id, the GET stream, DELETE) instead of its default stateless JSON mode.
    #[arg(long)]
    pub mcp_sessions: bool,
    /// Where Daytona toolbox commands run: `builtin` (the fake's deterministic shell) or `local`, which EXECUTES THEM ON THIS MACHINE as you, each sandbox in its own directory under --sandbox-dir.
    #[arg(long, value_enum, default_value = "builtin")]
    pub sandbox_exec: SandboxExec,
    /// With --sandbox-exec local: the directory holding one directory per sandbox (default: a new one in the temporary directory).
    #[arg(long, value_name = "DIR")]
    pub sandbox_dir: Option<PathBuf>,
}

/// Where `squadsim serve` runs the Daytona toolbox's commands.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SandboxExec {
    /// The fake's built-in deterministic shell (what the simulation uses).
    #[default]
    Builtin,
    /// For real, on this machine, as the user running `squadsim serve`.
    Local,
}

/// The first stdout line of `squadsim serve`: each host's base URL (Daytona's
/// as the SDK's `DAYTONA_API_URL` wants it, ending in `/api`), then the credentials.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServeBanner {
    #[serde(flatten)]
    pub urls: BTreeMap<String, String>,
    pub credentials: Credentials,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Credentials {
    pub studio: StudioCredentials,
    pub contextforge: GatewayCredentials,
    pub daytona: DaytonaCredentials,
    pub github: GithubCredentials,
    pub glitchtip: GlitchtipCredentials,
}

/// Studio auth is the edge's Pomerium claim headers, not a bearer token.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StudioCredentials {
    pub headers: BTreeMap<String, String>,
    pub tenant_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GatewayCredentials {
    /// `Authorization: Bearer <token>` on `/tools`, `/mcp`, `/servers/...`.
    pub token: String,
    /// `<projcode>.<nickname>@yamon.io`: the token's subject.
    pub identity: String,
    pub expires_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DaytonaCredentials {
    /// `Authorization: Bearer <api_key>`.
    pub api_key: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GithubCredentials {
    pub app_id: u64,
    pub installation_id: u64,
    /// PEM (PKCS#1) private key of the test App: sign an RS256 App JWT with it.
    pub private_key_path: String,
    /// Repositories that exist (`owner/name`), one per world project.
    pub repositories: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GlitchtipCredentials {
    /// DSN of the first world project (public ingest).
    pub dsn: Option<String>,
    /// `Authorization: Bearer <api_token>` on the management API and `/mcp`.
    pub api_token: Option<String>,
    pub organization: String,
}

/// Runs `squadsim serve` until Ctrl-C; `out` gets the first line, `err` the logs.
pub fn run(args: &ServeArgs, out: &mut dyn Write, err: &mut dyn Write) -> ExitStatus {
    if let Some((host, first, second)) = port_given_twice(&args.ports) {
        let _ = writeln!(
            err,
            "error: --port given twice for {host} ({host}={first} and {host}={second}): give each host one port"
        );
        return ExitStatus::Unusable;
    }
    let scenario = match &args.scenario {
        Some(path) => match Scenario::load(path) {
            Ok(s) => s,
            Err(e) => {
                let _ = writeln!(err, "error: {e}");
                return ExitStatus::Unusable;
            }
        },
        None => default_world(),
    };
    let executor = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            let _ = writeln!(err, "error: cannot start the async executor: {e}");
            return ExitStatus::Unusable;
        }
    };
    executor.block_on(serve(args, &scenario, out, err))
}

/// The world served without `--scenario`: the default tenants and projects
/// (`sanmopia-modernization`, code `sanm`), seed 1, default agent behaviours.
pub fn default_world() -> Scenario {
    Scenario {
        name: "default".to_string(),
        description: "squadsim serve's default world".to_string(),
        seed: 1,
        world: World::default(),
        agents: BTreeMap::new(),
        faults: Vec::new(),
        invariants: None,
        sometimes: Vec::new(),
        swarm: None,
        steps: Vec::new(),
    }
}

/// Why a `--port` argument was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PortArgError {
    /// The argument has no `=`.
    NotHostEqualsPort(String),
    /// The host is none of [`Host::SERVICES`].
    UnknownHost(String),
    /// The port is no number in 0-65535.
    NotAPort(String),
}

impl std::fmt::Display for PortArgError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PortArgError::NotHostEqualsPort(text) => write!(f, "{text:?} is not HOST=PORT (e.g. studio=18088)"),
            PortArgError::UnknownHost(name) => {
                let hosts: Vec<&str> = Host::SERVICES.iter().map(|h| h.name()).collect();
                write!(f, "unknown host {name:?}: the hosts are {}", hosts.join(", "))
            }
            PortArgError::NotAPort(port) => write!(f, "{port:?} is not a port number (0-65535)"),
        }
    }
}

impl std::error::Error for PortArgError {}

/// Parses one `--port HOST=PORT`.
fn parse_port(text: &str) -> Result<(Host, u16), PortArgError> {
    let (name, port) = text.split_once('=').ok_or_else(|| PortArgError::NotHostEqualsPort(text.to_string()))?;
    let Some(host) = Host::parse(name).filter(|h| Host::SERVICES.contains(h)) else {
        return Err(PortArgError::UnknownHost(name.to_string()));
    };
    let port = port.parse::<u16>().map_err(|_| PortArgError::NotAPort(port.to_string()))?;
    Ok((host, port))
}

/// Why the served world did not start.
#[derive(Debug)]
enum ServeError {
    /// A host's port could not be bound.
    Listen { host: Host, port: u16, error: std::io::Error },
    /// A bound listener would not say its address.
    ListenerAddress { host: Host, error: std::io::Error },
    /// The GitHub App's private key could not be written where a client can read it.
    KeyNotWritten { path: PathBuf, error: std::io::Error },
    /// A fake refused its config.
    World(ServicesError),
    /// The world has a service no listener was bound for.
    NoListener(Host),
    /// `--sandbox-exec local` could not make its directory of sandboxes.
    SandboxDir { path: PathBuf, error: std::io::Error },
}

impl std::fmt::Display for ServeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServeError::Listen { host, port, error } => write!(
                f,
                "cannot listen on 127.0.0.1:{port} for {host} ({error}); pass --port {host}=<another port> (0 picks a free one)"
            ),
            ServeError::ListenerAddress { host, error } => {
                write!(f, "cannot read the address of {host}'s listener: {error}")
            }
            ServeError::KeyNotWritten { path, error } => {
                write!(f, "cannot write the GitHub App key to {}: {error}", path.display())
            }
            ServeError::World(e) => e.fmt(f),
            ServeError::NoListener(host) => write!(f, "the world has a service {:?} without a listener", host.name()),
            ServeError::SandboxDir { path, error } => write!(f, "--sandbox-dir {}: {error}", path.display()),
        }
    }
}

impl std::error::Error for ServeError {}

/// The first host given two `--port`s, with the two ports in the order given.
fn port_given_twice(ports: &[(Host, u16)]) -> Option<(Host, u16, u16)> {
    ports.iter().enumerate().find_map(|(i, (host, first))| {
        ports[i + 1..].iter().find(|(h, _)| h == host).map(|(_, second)| (*host, *first, *second))
    })
}

/// The port `host` listens on: its `--port` (each host is given at most one), else its default.
pub fn port_of(args: &ServeArgs, host: Host) -> u16 {
    args.ports.iter().find(|(h, _)| *h == host).map_or_else(|| default_port(host), |(_, p)| *p)
}

/// Binds one listener per host on 127.0.0.1, in [`Host::SERVICES`] order.
async fn bind_all(args: &ServeArgs) -> Result<BTreeMap<Host, (TcpListener, String)>, ServeError> {
    let mut bound = BTreeMap::new();
    for host in Host::SERVICES {
        let port = port_of(args, host);
        let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
            .await
            .map_err(|error| ServeError::Listen { host, port, error })?;
        let addr = listener.local_addr().map_err(|error| ServeError::ListenerAddress { host, error })?;
        bound.insert(host, (listener, format!("http://{addr}")));
    }
    Ok(bound)
}

/// Logs one line per request to stderr: service, method, path, status, latency.
fn logged(service: &'static str, router: Router) -> Router {
    router.layer(middleware::from_fn(move |request: Request, next: Next| async move {
        let started = Instant::now();
        let line = format!("{service}: {} {}", request.method(), request.uri().path());
        let response: Response = next.run(request).await;
        eprintln!("{line} -> {} ({} ms)", response.status().as_u16(), started.elapsed().as_millis());
        response
    }))
}

/// Where the App's private key can be read: the source tree's copy, or (for a
/// binary moved away from it) a copy written to the temporary directory.
fn private_key_path() -> Result<PathBuf, ServeError> {
    let in_tree = test_app_private_key_path();
    if in_tree.is_file() {
        return Ok(in_tree);
    }
    let copy = std::env::temp_dir().join("squadsim-codexgate-test-app.private-key.pem");
    match std::fs::write(&copy, TEST_APP_PRIVATE_KEY_PEM) {
        Ok(()) => Ok(copy),
        Err(error) => Err(ServeError::KeyNotWritten { path: copy, error }),
    }
}

/// The credentials a local client needs, minted for `scenario`'s first project.
fn credentials(scenario: &Scenario, services: &Services) -> Result<Credentials, ServeError> {
    let operator = match &scenario.world.operator {
        OperatorIdentity { email: Some(email), .. } => email.clone(),
        _ => OperatorIdentity::default().email.unwrap_or_default(),
    };
    let headers = BTreeMap::from([
        ("x-pomerium-claim-email".to_string(), operator),
        ("x-pomerium-claim-groups".to_string(), SUPER_ADMIN_GROUP.to_string()),
    ]);
    let project = scenario.world.projects.first();
    let code = project.map(|p| p.code.as_str()).unwrap_or("squadsim");
    let nickname = identity::agent_nickname(
        scenario.world.nickname_seed.unwrap_or(scenario.seed),
        "squadsim-serve",
        "planner",
        "planner",
    );
    let gateway_identity = identity::gateway_identity(code, &nickname);
    let now = crate::base::clock::now_unix();
    let studio = &services.studio;
    let token = ContextForge::mint_token(
        &studio.config.gateway,
        &gateway_identity,
        &studio.new_jti(),
        now,
        GATEWAY_TOKEN_TTL_SECONDS,
    );
    let github = services.github.config();
    let glitchtip = services.glitchtip.config();
    Ok(Credentials {
        studio: StudioCredentials { headers, tenant_id: scenario.world.tenants.first().cloned().unwrap_or_default() },
        contextforge: GatewayCredentials {
            token,
            identity: gateway_identity,
            expires_at: squadsim_fakes::clock::iso8601(now + GATEWAY_TOKEN_TTL_SECONDS),
        },
        daytona: DaytonaCredentials { api_key: studio.config.daytona_api_key.clone() },
        github: GithubCredentials {
            app_id: github.app.id,
            installation_id: github.installation.id,
            private_key_path: private_key_path()?.display().to_string(),
            repositories: github.repositories.iter().map(|r| format!("{}/{}", r.owner, r.name)).collect(),
        },
        glitchtip: GlitchtipCredentials {
            dsn: project.and_then(|p| services.glitchtip.dsn(GLITCHTIP_ORG, &p.slug)),
            api_token: glitchtip.api_tokens.first().cloned(),
            organization: GLITCHTIP_ORG.to_string(),
        },
    })
}

async fn serve(args: &ServeArgs, scenario: &Scenario, out: &mut dyn Write, err: &mut dyn Write) -> ExitStatus {
    let started = match start(args, scenario).await {
        Ok(s) => s,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return ExitStatus::Unusable;
        }
    };
    let line = serde_json::to_string(&started).expect("the started line is plain data: it always serializes");
    if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
        let _ = writeln!(err, "error: cannot write to stdout");
        return ExitStatus::Unusable;
    }
    let listening: Vec<String> = started.urls.iter().map(|(host, url)| format!("{host} {url}")).collect();
    let _ = writeln!(
        err,
        "squadsim serve: world {:?} (seed {}); {}; Ctrl-C stops",
        scenario.name,
        scenario.seed,
        listening.join(", ")
    );
    let signal = stop_signal().await;
    let _ = writeln!(err, "squadsim serve: {signal}, stopping");
    ExitStatus::Passed
}

/// Binds, wires and starts every service; answers once the grids are registered.
async fn start(args: &ServeArgs, scenario: &Scenario) -> Result<ServeBanner, ServeError> {
    let mut bound = bind_all(args).await?;
    let endpoints = Endpoints::from_bases(|host| bound.get(&host).map(|(_, url)| url.clone()).unwrap_or_default());
    let services = Services::build(scenario, &endpoints, Transport::Loopback).map_err(ServeError::World)?;
    if args.mcp_sessions {
        services.gateway.keep_sessions(scenario.seed);
    }
    if args.sandbox_exec == SandboxExec::Local {
        let dir = args
            .sandbox_dir
            .clone()
            .unwrap_or_else(|| std::env::temp_dir().join(format!("squadsim-sandboxes-{}", std::process::id())));
        let exec = HostExec::new(&dir).map_err(|error| ServeError::SandboxDir { path: dir.clone(), error })?;
        eprintln!(
            "squadsim serve: --sandbox-exec local: Daytona toolbox commands EXECUTE ON THIS HOST, as this user, in {}/<sandbox id>",
            dir.display()
        );
        services.daytona.execute_on_host(exec);
    }
    let credentials = credentials(scenario, &services)?;
    let mut urls = BTreeMap::new();
    for (host, router) in services.routers() {
        let Some((listener, url)) = bound.remove(&host) else {
            return Err(ServeError::NoListener(host));
        };
        tokio::spawn(serve_loopback(logged(host.name(), router), listener));
        let url = if host == Host::Daytona { format!("{url}/api") } else { url };
        urls.insert(host.to_string(), url);
    }
    armory::register_grids(&services.studio).await;
    Ok(ServeBanner { urls, credentials })
}

/// Waits for Ctrl-C (or SIGTERM on Unix); names what arrived.
async fn stop_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            return tokio::select! {
                _ = tokio::signal::ctrl_c() => "Ctrl-C",
                _ = term.recv() => "SIGTERM",
            };
        }
    }
    let _ = tokio::signal::ctrl_c().await;
    "Ctrl-C"
}

/// Why a `squadsim serve` child process did not come up.
#[derive(Debug)]
pub enum ServeProcessError {
    /// The command could not be started (`command` is its `Debug` form).
    Spawn { command: String, error: std::io::Error },
    /// The child's stdout was not piped.
    NoStdout,
    /// Reading the first line failed.
    FirstLineUnreadable(std::io::Error),
    /// No first line came within the wait.
    NoFirstLine(std::time::Duration),
    /// The first line is not the JSON banner.
    FirstLineNotJson { line: String, error: serde_json::Error },
}

impl std::fmt::Display for ServeProcessError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServeProcessError::Spawn { command, error } => write!(f, "cannot start {command}: {error}"),
            ServeProcessError::NoStdout => f.write_str("the child has no stdout"),
            ServeProcessError::FirstLineUnreadable(e) => write!(f, "cannot read the first line: {e}"),
            ServeProcessError::NoFirstLine(within) => write!(f, "no first line within {within:?}"),
            ServeProcessError::FirstLineNotJson { line, error } => {
                write!(f, "the first line is not JSON ({error}): {line:?}")
            }
        }
    }
}

impl std::error::Error for ServeProcessError {}

/// A `squadsim serve` child process (for tests and scripts that drive a served
/// world): started with every port free, killed when dropped.
pub struct ServeProcess {
    child: std::process::Child,
    /// The parsed first line ([`ServeBanner`]).
    pub banner: serde_json::Value,
}

impl ServeProcess {
    /// Starts `binary serve` with `--port HOST=0` for every host that `extra`
    /// gives no port, plus `extra`, and waits (at most `within`) for its first line.
    pub fn spawn(
        binary: &std::path::Path,
        extra: &[&str],
        within: std::time::Duration,
    ) -> Result<Self, ServeProcessError> {
        let mut command = std::process::Command::new(binary);
        command.args(Self::args(extra)).stderr(std::process::Stdio::null());
        Self::start(command, within)
    }

    /// `serve`, `--port HOST=0` for every host `extra` gives no `--port HOST=PORT`
    /// (a host is given one port), then `extra`.
    pub fn args(extra: &[&str]) -> Vec<String> {
        let given: Vec<&str> = extra
            .windows(2)
            .filter(|pair| pair[0] == "--port")
            .map(|pair| pair[1])
            .chain(extra.iter().filter_map(|a| a.strip_prefix("--port=")))
            .filter_map(|value| value.split_once('=').map(|(host, _)| host))
            .collect();
        let ports = Host::SERVICES
            .iter()
            .filter(|host| !given.contains(&host.name()))
            .flat_map(|host| ["--port".to_string(), format!("{host}=0")]);
        std::iter::once("serve".to_string()).chain(ports).chain(extra.iter().map(|a| a.to_string())).collect()
    }

    /// Starts `command` (a `squadsim serve`, perhaps under a shell that sets
    /// limits first; its stderr as the caller set it) and waits (at most
    /// `within`) for its first line.
    pub fn start(mut command: std::process::Command, within: std::time::Duration) -> Result<Self, ServeProcessError> {
        use std::io::BufRead;
        use std::process::Stdio;
        command.stdin(Stdio::null()).stdout(Stdio::piped());
        let mut child =
            command.spawn().map_err(|error| ServeProcessError::Spawn { command: format!("{command:?}"), error })?;
        let Some(stdout) = child.stdout.take() else {
            let _ = child.kill();
            return Err(ServeProcessError::NoStdout);
        };
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let mut reader = std::io::BufReader::new(stdout);
            let _ = tx.send(reader.read_line(&mut line).map(|_| line));
            // Keep reading so the child never blocks on a full pipe.
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
        let mut process = ServeProcess { child, banner: serde_json::Value::Null };
        let line = match rx.recv_timeout(within) {
            Ok(Ok(line)) => line,
            Ok(Err(e)) => return Err(ServeProcessError::FirstLineUnreadable(e)),
            Err(_) => return Err(ServeProcessError::NoFirstLine(within)),
        };
        process.banner = match serde_json::from_str(&line) {
            Ok(banner) => banner,
            Err(error) => return Err(ServeProcessError::FirstLineNotJson { line, error }),
        };
        Ok(process)
    }

    /// The base URL of `host` as the first line prints it.
    pub fn url(&self, host: &str) -> String {
        self.banner.get(host).and_then(serde_json::Value::as_str).unwrap_or_default().to_string()
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Waits (at most `within`) for the child to exit on its own.
    pub fn wait(&mut self, within: std::time::Duration) -> Option<std::process::ExitStatus> {
        let deadline = std::time::Instant::now() + within;
        while std::time::Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        None
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
