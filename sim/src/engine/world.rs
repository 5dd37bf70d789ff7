//! The simulated world: one turmoil host per service, real HTTP between them,
//! one seed for everything. [`run`] builds a scenario's world, steps it to the
//! end of the operator's steps (or the horizon) and collects its [`Outcome`].
//!
//! The hosts are the topology's ([`Host`]): the world's services
//! ([`Host::SERVICES`], built by [`Services`]), mounted by iterating that list;
//! with `world.platform_agent` its three hosts ([`PlatformAgentWorld::HOSTS`]);
//! and the `operator` client, last. Every service wears its host's
//! service-fault layer, switched by the [`FaultSchedule`].
//!
//! Guarantees: the simulation's epoch, tick, latency and RNG seed are fixed by
//! the scenario, and tokio's RNG is seeded by turmoil (with `--cfg tokio_unstable`),
//! so the same scenario, seed and [`RunOptions::network`] produce the same
//! [`Outcome`], whatever else the options keep; host names are validated by
//! the scenario loader before anything here runs.

use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use squadsim_fakes::net::{serve_simulated, CallRecorder, Transport};

use crate::base::topology::Host;
use crate::engine::fault_schedule::FaultSchedule;
use crate::engine::operator::{self, OperatorLog};
use crate::engine::outcome::{self, Outcome, RunError, Unfinished};
use crate::engine::run_record::{Collector, Gathered, RunRecord};
use crate::engine::services::{Endpoints, Services, ServicesError};
use crate::platform::platform_agent::PlatformAgentWorld;
use crate::platform::studio::{armory, run_control};
use crate::scenario::Scenario;

/// 2026-06-09T00:00:00Z: the simulated epoch (the day of the platform-agent pilot).
pub const EPOCH_UNIX_SECONDS: u64 = 1_780_963_200;

/// The largest number of connections one listener holds unaccepted (and
/// segments one socket buffers) in the simulation.
pub const TCP_BACKLOG: usize = 1 << 16;

/// The ports a simulated host's outgoing connections are numbered from.
/// turmoil's default (49152..=65535, RFC 6335's dynamic range) holds 16,384:
/// a host that opens a connection per request cycles through them in a few
/// thousand runs, passing over each port whose old connection the server
/// side still holds (vendored turmoil; 0.7.2 reused it and panicked), and a
/// host with every port taken is refused its next connection
/// (`AddrNotAvailable`). Every port above the well-known ones quadruples the
/// cycle; ports are never part of an outcome.
pub const EPHEMERAL_PORTS: std::ops::RangeInclusive<u16> = 1024..=65535;

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

/// How to run a scenario: on which network, and what to keep beside the outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunOptions {
    /// The network's latency and host order ([`Network::SNAPSHOT`] by default).
    pub network: Network,
    /// Record what happened on the way ([`Run::record`]).
    pub record: bool,
    /// Keep every Studio response the operator received ([`Run::responses`]).
    pub capture_responses: bool,
    /// Keep the services as the simulation left them ([`Run::services`]), for
    /// reading what the fakes recorded (Daytona's workspace logs, its
    /// Kubernetes events, the gateway's log).
    pub keep_services: bool,
    /// Step over the ticks in which no host has anything to do in one go
    /// (the default; see [`idle_ticks`]). Off, the world steps every tick, as
    /// turmoil does: the outcome and the record are the same either way.
    pub leap_idle: bool,
    /// With `leap_idle`, a host with nothing to do in a step skips its turn
    /// (the default; turmoil's `Sim::skip_idle_hosts`, told of each host's
    /// timers by [`squadsim_fakes::timer::next_deadline_on`]): the outcome and
    /// the record are the same either way.
    pub skip_idle_hosts: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            network: Network::SNAPSHOT,
            record: false,
            capture_responses: false,
            keep_services: false,
            leap_idle: true,
            skip_idle_hosts: true,
        }
    }
}

/// A finished run: its outcome, and what its [`RunOptions`] asked to keep.
pub struct Run {
    pub outcome: Outcome,
    /// With [`RunOptions::record`]: what happened on the way (HTTP exchanges,
    /// attempts, blockers, walls, handoffs, faults; see [`RunRecord`]); for a
    /// run whose world was never built, a record of nothing.
    pub record: Option<RunRecord>,
    /// With [`RunOptions::capture_responses`]: every Studio response the
    /// operator received, in order, as (`METHOD /path`, JSON body).
    pub responses: Vec<(String, serde_json::Value)>,
    /// With [`RunOptions::keep_services`]: the services as the simulation left
    /// them (`None` when the world was never built).
    pub services: Option<Services>,
    /// Each coverage probe the run reached, with how often ([`crate::engine::coverage`]).
    pub probes: std::collections::BTreeMap<String, u64>,
    /// When the scenario's last fault ended (zero: none began); `None` when one
    /// was still on at the end of the run.
    pub quiet_since: Option<Duration>,
    /// How many times the world was stepped (a leap over idle ticks is one).
    pub turns: u64,
    /// How many turns its hosts ran (one per running host per step, less
    /// those skipped with nothing to do: [`RunOptions::skip_idle_hosts`]).
    pub host_turns: u64,
}

impl Run {
    /// A run whose world was never built: nothing ran, and `error` says why.
    fn not_built(scenario: &Scenario, error: ServicesError, options: &RunOptions) -> Run {
        let _ = crate::base::probe::take();
        let outcome = outcome::nothing_ran(scenario, RunError::NotBuilt(error));
        let record = options.record.then(|| RunRecord::build(&outcome, Gathered::nothing()));
        Run {
            outcome,
            record,
            responses: Vec::new(),
            services: None,
            probes: Default::default(),
            quiet_since: Some(Duration::ZERO),
            turns: 0,
            host_turns: 0,
        }
    }
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
        // A listener's backlog: a connection past it is refused (vendored
        // turmoil; 0.7.2 panicked), and turmoil's default of 64 is exceeded by
        // hundreds of agents starting in one tick. It bounds buffers, it does
        // not allocate them.
        .tcp_capacity(TCP_BACKLOG)
        .ephemeral_ports(EPHEMERAL_PORTS);
    if network.random_order {
        builder.enable_random_order();
    }
    builder
}

/// How many ticks the world can step at once at `now`: every tick before the
/// one in which `next` falls (the earliest armed timer, message due or
/// scheduled fault), up to the horizon; 1 when something is due in the next.
///
/// Stepping them at once is stepping them one by one: a host none of whose
/// tasks was woken in its last turn (turmoil's `Sim::has_woken_hosts`) wakes
/// next only on a timer (every timer is armed through
/// [`squadsim_fakes::timer`]), a message delivered to it, or the fault
/// schedule, so in those ticks every host would only have let its clock run
/// (turmoil's `Sim::step_ticks`). A timer
/// due in a tick fires in it (tokio rounds a deadline up to the millisecond:
/// `next` is taken a millisecond early).
fn idle_ticks(now: Duration, tick: Duration, horizon: Duration, next: Option<Duration>) -> u32 {
    let tick_ns = tick.as_nanos().max(1);
    // The ticks up to the horizon: turmoil stops at the first step past it.
    let to_horizon = horizon.saturating_sub(now).as_nanos() / tick_ns;
    let before_next = match next {
        // The tick in which `next` falls is the ceil((next - now) / tick)-th from now.
        Some(next) => {
            next.saturating_sub(now + Duration::from_millis(1)).as_nanos().div_ceil(tick_ns).saturating_sub(1)
        }
        None => to_horizon,
    };
    u32::try_from(before_next.min(to_horizon)).unwrap_or(u32::MAX).max(1)
}

/// Runs `scenario` to its outcome, keeping what `options` asks for. The
/// outcome depends only on the scenario and `options.network`.
pub fn run(scenario: &Scenario, options: RunOptions) -> Run {
    let network = options.network;
    let seed = scenario.seed;
    crate::base::probe::start();
    squadsim_fakes::timer::new_world();
    let mut sim = simulation(seed, scenario.world.tick.0, scenario.world.horizon.0, &network).build();
    if options.leap_idle && options.skip_idle_hosts {
        sim.skip_idle_hosts(squadsim_fakes::timer::next_deadline_on);
    }

    let recorder = options.record.then(CallRecorder::new);
    let services =
        match Services::build_recorded(scenario, &Endpoints::simulated(), Transport::Simulated, recorder.as_ref()) {
            Ok(services) => services,
            Err(e) => return Run::not_built(scenario, e, &options),
        };
    let (studio, gateway, checkpoints) =
        (services.studio.clone(), services.gateway.clone(), services.checkpoints.clone());
    // Every service wears its host's service-fault layer (switched by the schedule).
    let mut schedule = FaultSchedule::new(&scenario.faults, (network.min_latency, network.max_latency));
    schedule.identify_gateway_callers(&gateway);
    let tick = scenario.world.tick.0;
    for host in Host::SERVICES {
        let (services, faults) = (services.clone(), schedule.service(host));
        let port = host.port().unwrap_or_default();
        // Each (re)start is a new incarnation of the host's software over the
        // same state (the Agent Server's over its durable checkpoints).
        sim.host(host.name(), move || {
            let router = services.router(host).map(|router| faults.layer(router));
            // Every service binds its listener in its first step; the Armory
            // registers the grids once they are up (a message reaches a host
            // that runs later in the same step before its software has run).
            let bootstrap = (host == Host::Studio).then(|| services.studio.clone());
            if host == Host::Daytona {
                // The sandboxes' processes died with the incarnation that crashed.
                services.daytona.restarted();
            }
            async move {
                if let Some(studio) = bootstrap {
                    // A restarted Studio resumes the executions its crash cut off (none at the first start).
                    run_control::resume_in_flight(&studio);
                    tokio::spawn(async move {
                        squadsim_fakes::timer::sleep(tick).await;
                        armory::register_grids(&studio).await
                    });
                }
                match router {
                    Some(router) => serve_simulated(router, port).await,
                    None => Ok(()),
                }
            }
        });
    }
    let platform_agent = match scenario.world.platform_agent.as_ref().map(|c| (c, c.spec())) {
        None => None,
        Some((condition, Ok(spec))) => {
            Some(Arc::new(PlatformAgentWorld::new(condition, spec, seed, recorder.as_ref())))
        }
        Some((_, Err(e))) => return Run::not_built(scenario, ServicesError(e.to_string()), &options),
    };
    for host in platform_agent.iter().flat_map(|_| PlatformAgentWorld::HOSTS) {
        let (agent, faults) = (platform_agent.clone(), schedule.service(host));
        sim.host(host.name(), move || match &agent {
            Some(agent) => agent.software(host, faults.clone()),
            None => Box::pin(async { Ok(()) }),
        });
    }
    let log =
        Arc::new(Mutex::new(OperatorLog { capture_responses: options.capture_responses, ..OperatorLog::default() }));
    sim.client(Host::Operator.name(), operator::drive(scenario.clone(), log.clone(), recorder.clone()));
    let mut error = None;
    let collector = Collector::new();
    // The run record's attempts, blockers, walls and handoffs arrive through `tracing` on this thread.
    let subscriber = options.record.then(|| collector.install());
    let horizon = scenario.world.horizon.0;
    let mut turns = 0;
    loop {
        turns += 1;
        let acted = schedule.log().len();
        schedule.advance(&mut sim, &studio, &checkpoints, &log);
        // A host woken since its last turn (a first turn, a restart, a task
        // woken by another host) has work no timer or message shows, and a
        // schedule that acted may have woken some.
        let ticks = match options.leap_idle && !sim.has_woken_hosts() && schedule.log().len() == acted {
            true => {
                let next = [squadsim_fakes::timer::next_deadline(), sim.next_delivery(), schedule.next_due()];
                idle_ticks(sim.elapsed(), tick, horizon, next.into_iter().flatten().min())
            }
            false => 1,
        };
        match sim.step_ticks(ticks) {
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
    let host_turns = sim.host_turns();
    let mut operator_log = log.lock().map(|l| l.clone()).unwrap_or_default();
    let responses = std::mem::take(&mut operator_log.responses);
    let run_id = operator_log.run_id.clone();
    let step_in_progress = operator_log.step_in_progress.clone();
    let mut outcome = outcome::collect(scenario, &studio, &gateway, &checkpoints, operator_log, simulated);
    outcome.error = error.map(|e| match outcome.finished {
        // turmoil stops at the horizon with an error while the operator (its only client) still runs.
        false => RunError::NotFinished(Unfinished {
            horizon: scenario.world.horizon.0,
            step: step_in_progress,
            // Every labelled run's sessions too (the first labelled run is the outcome's own).
            unsettled: outcome
                .sessions
                .iter()
                .map(|s| (None, s))
                .chain(outcome.runs.iter().skip(1).flat_map(|r| r.sessions.iter().map(|s| (Some(&r.label), s))))
                .filter(|(_, s)| !matches!(s.live_status.as_str(), "session_completed" | "blocked"))
                .map(|(label, s)| {
                    let run = label.map(|l| format!("run {l}: ")).unwrap_or_default();
                    format!("{run}{} ({} at {})", s.agent_id, s.live_status, s.current_step)
                })
                .collect(),
        }),
        true => RunError::Stopped(e),
    });
    outcome.faults = schedule.log().to_vec();
    outcome.faults_never_began = schedule.never_began();
    let run = outcome.run.as_ref().and_then(|r| studio.run(&r.run_id));
    outcome.diagnosis = run.and_then(|r| crate::engine::diagnosis::diagnose(&r, &studio, &services.daytona, &gateway));
    outcome.platform_agent = platform_agent.map(|p| p.outcome());
    outcome.project_issues =
        outcome.run.as_ref().map(|r| outcome::project_issues(&services.glitchtip, &r.project_slug)).unwrap_or_default();
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
        let gathered = Gathered {
            calls: recorder.calls(),
            collector,
            faults: schedule.marks(),
            run_control,
            events: services.daytona.events(),
            simulated,
        };
        RunRecord::build(&outcome, gathered)
    });
    let quiet_since = schedule.quiet_since();
    schedule.probe_standing_hits();
    crate::engine::coverage::probe_outcome(&outcome);
    let probes = crate::base::probe::take();
    Run {
        outcome,
        record,
        responses,
        services: options.keep_services.then_some(services),
        probes,
        quiet_since,
        turns,
        host_turns,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One client host opening `connections` connections to a server that holds
    /// each one open for 10 s after the client has let go (as a server does while
    /// its handler still runs), a thousand a tick.
    fn churn(connections: usize) -> Result<(), RunError> {
        let network = Network::SNAPSHOT;
        let mut sim = simulation(1, Duration::from_millis(100), Duration::from_secs(120), &network).build();
        sim.host("server", || async {
            let listener = turmoil::net::TcpListener::bind(("0.0.0.0", 80)).await?;
            loop {
                let (stream, _) = listener.accept().await?;
                tokio::spawn(async move {
                    squadsim_fakes::timer::sleep(Duration::from_secs(10)).await;
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
                squadsim_fakes::timer::sleep(Duration::from_millis(100)).await;
            }
            Ok(())
        });
        catch_panic(|| sim.run())?.map_err(|e| RunError::Stopped(e.to_string()))
    }

    #[test]
    fn a_host_out_of_ephemeral_ports_is_refused_a_connection_as_an_operating_system_refuses_it() {
        // Three ports: three connections held open, a fourth connect gets
        // EADDRNOTAVAIL (turmoil 0.7.2 panicked). A port whose connection the
        // client closed stays taken while the server holds its end (turmoil
        // 0.7.2 reused it, and the server panicked: "already connected"),
        // and is free once the server has closed it too.
        let network = Network::SNAPSHOT;
        let mut sim = simulation(1, Duration::from_millis(100), Duration::from_secs(60), &network)
            .ephemeral_ports(50_000..=50_002)
            .build();
        sim.host("server", || async {
            let listener = turmoil::net::TcpListener::bind(("0.0.0.0", 80)).await?;
            loop {
                let (mut stream, _) = listener.accept().await?;
                tokio::spawn(async move {
                    // Held until the client closes its end.
                    let _ = tokio::io::AsyncReadExt::read(&mut stream, &mut [0; 1]).await;
                });
            }
        });
        sim.client("client", async {
            let connect = || turmoil::net::TcpStream::connect(("server", 80));
            let mut held = Vec::new();
            for _ in 0..3 {
                held.push(connect().await?);
            }
            let refused = connect().await.map(drop).unwrap_err();
            assert_eq!(refused.kind(), std::io::ErrorKind::AddrNotAvailable, "{refused}");
            assert_eq!(refused.to_string(), "Host: 'client' ports exhausted");
            drop(held.pop());
            let still_held = connect().await.map(drop).unwrap_err();
            assert_eq!(still_held.kind(), std::io::ErrorKind::AddrNotAvailable, "{still_held}");
            squadsim_fakes::timer::sleep(Duration::from_secs(1)).await;
            let again = connect().await?;
            assert_eq!(again.local_addr()?.port(), 50_002);
            Ok(())
        });
        let ran = catch_panic(|| sim.run().map_err(|e| e.to_string()));
        assert!(matches!(ran, Ok(Ok(()))), "{ran:?}");
    }

    #[test]
    fn a_connection_past_a_full_accept_queue_is_refused() {
        // A backlog of two, not accepted for two seconds: the third connect is
        // refused at once (turmoil 0.7.2 panicked), the first two complete,
        // and the refused one's port is free again (0.7.2 kept it taken).
        let network = Network::SNAPSHOT;
        let mut sim = simulation(1, Duration::from_millis(100), Duration::from_secs(60), &network)
            .tcp_capacity(2)
            .ephemeral_ports(50_000..=50_002)
            .build();
        sim.host("server", || async {
            let listener = turmoil::net::TcpListener::bind(("0.0.0.0", 80)).await?;
            squadsim_fakes::timer::sleep(Duration::from_secs(2)).await;
            let mut held = Vec::new();
            loop {
                held.push(listener.accept().await?.0);
            }
        });
        sim.client("client", async {
            let connect = || turmoil::net::TcpStream::connect(("server", 80));
            let queued: Vec<_> = (0..2).map(|_| tokio::spawn(connect())).collect();
            squadsim_fakes::timer::sleep(Duration::from_millis(500)).await;
            let refused = connect().await.map(drop).unwrap_err();
            assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused, "{refused}");
            let mut held = Vec::new();
            for connection in queued {
                held.push(connection.await??);
            }
            let again = connect().await?;
            assert_eq!(again.local_addr()?.port(), 50_002);
            Ok(())
        });
        let ran = catch_panic(|| sim.run().map_err(|e| e.to_string()));
        assert!(matches!(ran, Ok(Ok(()))), "{ran:?}");
    }

    const TICK: Duration = Duration::from_millis(40);
    const HORIZON: Duration = Duration::from_secs(600);

    fn ms(ms: u64) -> Duration {
        Duration::from_millis(ms)
    }

    #[test]
    fn the_world_steps_at_once_up_to_the_tick_in_which_the_next_event_falls() {
        // A timer at 100 ms fires in the third tick (80-120 ms): two go at once.
        assert_eq!(idle_ticks(ms(0), TICK, HORIZON, Some(ms(100))), 2);
        // One at the end of the third tick (120 ms) fires in it too.
        assert_eq!(idle_ticks(ms(0), TICK, HORIZON, Some(ms(120))), 2);
        // A millisecond past it counts as in it (deadlines are taken a
        // millisecond early); two past it fall in the fourth.
        assert_eq!(idle_ticks(ms(0), TICK, HORIZON, Some(ms(121))), 2);
        assert_eq!(idle_ticks(ms(0), TICK, HORIZON, Some(ms(122))), 3);
        assert_eq!(idle_ticks(ms(4_000), TICK, HORIZON, Some(ms(34_000))), 749);
    }

    #[test]
    fn something_due_in_the_next_tick_or_already_due_steps_one_tick() {
        for next in [ms(0), ms(1_000), ms(1_001), ms(1_040)] {
            assert_eq!(idle_ticks(ms(1_000), TICK, HORIZON, Some(next)), 1, "{next:?}");
        }
    }

    #[test]
    fn with_nothing_due_the_world_steps_to_the_horizon_and_never_past_it() {
        assert_eq!(idle_ticks(ms(0), TICK, HORIZON, None), 15_000);
        assert_eq!(idle_ticks(ms(599_990), TICK, HORIZON, None), 1);
        assert_eq!(idle_ticks(ms(0), TICK, HORIZON, Some(ms(900_000))), 15_000);
    }

    #[test]
    fn a_host_can_have_more_connections_held_open_than_turmoils_default_ephemeral_range() {
        // turmoil's default range holds 16,384 ports: the 16,385th connection
        // reused a port whose old connection the server still held, and panicked.
        assert_eq!(churn(20_000), Ok(()));
    }
}
