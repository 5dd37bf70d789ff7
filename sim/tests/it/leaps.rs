//! A world steps over the ticks in which no host has anything to do in one go
//! (`RunOptions::leap_idle`, turmoil's patched `Sim::step_ticks`): the same
//! run as stepping every tick, outcome and record, only cheaper. That holds
//! only while every timer is armed where the world can see it
//! (`squadsim_fakes::timer`). The same goes for a host skipping a step's turn
//! when it has nothing to do (`RunOptions::skip_idle_hosts`, turmoil's patched
//! `Sim::skip_idle_hosts`), which a leaping world does (stepping each tick,
//! every host turns every tick, as in turmoil).

use std::path::{Path, PathBuf};
use std::time::Duration;

use squadsim::engine::world::{self, Network, Run, RunOptions};
use squadsim::scenario::Scenario;

use crate::support;

fn corpus_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(support::corpus())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    files
}

fn run(scenario: &Scenario, network: Network, leap_idle: bool) -> Run {
    run_skipping(scenario, network, leap_idle, true)
}

fn run_skipping(scenario: &Scenario, network: Network, leap_idle: bool, skip_idle_hosts: bool) -> Run {
    let options =
        RunOptions { network, record: true, capture_responses: true, leap_idle, skip_idle_hosts, ..Default::default() };
    world::run(scenario, options)
}

/// Runs `scenario` stepping every tick and leaping over idle ones; fails on the first difference.
fn assert_same_run(file: &Path, scenario: &Scenario, network: Network) {
    assert_same_runs(file, scenario, run(scenario, network, false), run(scenario, network, true));
}

/// Fails on the first difference between two runs of `scenario`.
fn assert_same_runs(file: &Path, scenario: &Scenario, every: Run, leaping: Run) {
    let name = file.file_name().unwrap().to_string_lossy();
    let json = |r: &Run| serde_json::to_string_pretty(&r.outcome.to_json()).unwrap();
    assert_eq!(json(&every), json(&leaping), "{name} (seed {}): the outcome", scenario.seed);
    assert!(every.record == leaping.record, "{name} (seed {}): the run record", scenario.seed);
    assert_eq!(every.responses, leaping.responses, "{name} (seed {}): the operator's responses", scenario.seed);
    assert_eq!(every.probes, leaping.probes, "{name} (seed {}): the coverage probes", scenario.seed);
    assert_eq!(every.quiet_since, leaping.quiet_since, "{name} (seed {})", scenario.seed);
}

#[test]
fn every_corpus_scenario_runs_the_same_leaping_over_idle_ticks_as_stepping_each() {
    let files = corpus_files();
    assert!(files.len() > 40, "the corpus is there");
    for file in &files {
        let scenario = Scenario::load(file).unwrap_or_else(|e| panic!("{e}"));
        assert_same_run(file, &scenario, Network::SNAPSHOT);
    }
}

#[test]
fn a_sweeps_network_runs_the_same_leaping_too_with_random_host_order_and_messages_in_flight_for_ticks() {
    // A sweep's network: 1-500 ms of latency (a message waits several ticks on
    // the link) and a seeded host order drawn every tick; one seed per corpus
    // scenario (not the one it snapshots with).
    let network = Network::jittered(Duration::from_millis(500));
    for file in &corpus_files() {
        let mut scenario = Scenario::load(file).unwrap_or_else(|e| panic!("{e}"));
        scenario.seed = scenario.seed.wrapping_mul(7_919).wrapping_add(1);
        assert_same_run(file, &scenario, network);
    }
}

#[test]
fn a_sweeps_network_runs_the_same_with_hosts_skipping_their_idle_turns_as_with_every_host_turning() {
    // Both leap; one lets a host with nothing to do skip its turn in a step.
    let network = Network::jittered(Duration::from_millis(500));
    for file in &corpus_files() {
        let mut scenario = Scenario::load(file).unwrap_or_else(|e| panic!("{e}"));
        scenario.seed = scenario.seed.wrapping_mul(104_729).wrapping_add(3);
        let (turning, skipping) =
            (run_skipping(&scenario, network, true, false), run_skipping(&scenario, network, true, true));
        assert_same_runs(file, &scenario, turning, skipping);
    }
}

#[test]
fn hosts_skip_most_of_their_turns_in_a_run_that_mostly_waits() {
    // Not a timing test: the run says how many turns its hosts ran.
    let scenario = support::load("full-delivery.yaml");
    let (turning, skipping) = (
        run_skipping(&scenario, Network::SNAPSHOT, true, false),
        run_skipping(&scenario, Network::SNAPSHOT, true, true),
    );
    assert_eq!(turning.turns, skipping.turns, "the world steps as often");
    assert!(
        skipping.host_turns * 3 < turning.host_turns,
        "{} host turns skipping, {} turning",
        skipping.host_turns,
        turning.host_turns
    );
}

#[test]
fn leaping_steps_over_most_of_a_run_that_mostly_waits() {
    // Not a timing test: the run says how many times its world was stepped.
    let scenario = support::load("full-delivery.yaml");
    let (every, leaping) = (run(&scenario, Network::SNAPSHOT, false), run(&scenario, Network::SNAPSHOT, true));
    assert_eq!(every.outcome.simulated, leaping.outcome.simulated);
    assert!(leaping.turns * 3 < every.turns, "{} turns leaping, {} stepping each tick", leaping.turns, every.turns);
}

/// Every timer in the services, the fakes and the operator goes through
/// `squadsim_fakes::timer`: a `tokio::time` timer the world cannot see would
/// fire inside a leap, later than stepping each tick would have run it.
#[test]
fn no_code_arms_a_timer_the_world_cannot_see() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let forbidden = [
        "tokio::time::sleep",
        "tokio::time::timeout",
        "tokio::time::interval",
        "TokioTimer",
        "time::sleep(",
        "time::timeout",
    ];
    let mut breaches = Vec::new();
    for dir in ["sim/src", "fakes/src"] {
        let mut stack = vec![root.join(dir)];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|x| x == "rs") && !path.ends_with("fakes/src/timer.rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    for (n, line) in text.lines().enumerate() {
                        if forbidden.iter().any(|f| line.contains(f)) && !line.trim_start().starts_with("//") {
                            breaches.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                        }
                    }
                }
            }
        }
    }
    assert!(breaches.is_empty(), "timers the world cannot see (use squadsim_fakes::timer):\n{}", breaches.join("\n"));
}

/// The network's next delivery (turmoil's `Sim::next_delivery`, which a leap
/// stops before) follows each link's queue as messages are sent, held,
/// released, dropped by a partition and delivered: a link keeps the earliest
/// time one of its messages can be delivered instead of scanning its whole
/// queue on every send and tick (vendor/turmoil/PATCHED.md).
#[test]
fn the_next_delivery_follows_a_links_queue_through_hold_release_and_partition() {
    const LATENCY: Duration = Duration::from_millis(100);
    let mut sim = turmoil::Builder::new()
        .rng_seed(1)
        .tick_duration(Duration::from_millis(10))
        .min_message_latency(LATENCY)
        .max_message_latency(LATENCY)
        .build();
    let received = std::rc::Rc::new(std::cell::Cell::new(0));
    let counted = received.clone();
    sim.host("receiver", move || {
        let counted = counted.clone();
        async move {
            let socket = turmoil::net::UdpSocket::bind(("0.0.0.0", 9)).await?;
            let mut buf = [0; 8];
            loop {
                socket.recv_from(&mut buf).await?;
                counted.set(counted.get() + 1);
            }
        }
    });
    // Sends as many datagrams as `sends` says, looking once a tick.
    let sends = std::rc::Rc::new(std::cell::Cell::new(1));
    let sending = sends.clone();
    sim.host("sender", move || {
        let sending = sending.clone();
        async move {
            let socket = turmoil::net::UdpSocket::bind(("0.0.0.0", 9)).await?;
            loop {
                while sending.get() > 0 {
                    sending.set(sending.get() - 1);
                    socket.send_to(b"ping", ("receiver", 9)).await?;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    });
    assert_eq!(sim.next_delivery(), None, "nothing sent yet");
    sim.step().unwrap();
    let sent_at = sim.elapsed();
    assert_eq!(sim.next_delivery(), Some(sent_at + LATENCY), "the datagram is on the link");

    // A second one sent later does not move the first one's delivery.
    sim.step().unwrap();
    sends.set(1);
    sim.step().unwrap();
    assert_eq!(sim.next_delivery(), Some(sent_at + LATENCY));

    sim.hold("sender", "receiver");
    assert_eq!(sim.next_delivery(), None, "held messages wait for the release");
    sim.release("sender", "receiver");
    assert_eq!(sim.next_delivery(), Some(sim.elapsed()), "released messages are due at once");
    sim.step().unwrap();
    assert_eq!(received.get(), 2, "both delivered at the turn after the release");
    assert_eq!(sim.next_delivery(), None);

    sends.set(1);
    sim.step().unwrap();
    assert_eq!(sim.next_delivery(), Some(sim.elapsed() + LATENCY));
    sim.partition("sender", "receiver");
    assert_eq!(sim.next_delivery(), None, "a partition drops what is on the link");
    for _ in 0..20 {
        sim.step().unwrap();
    }
    assert_eq!(received.get(), 2, "the dropped datagram never arrives");
}
