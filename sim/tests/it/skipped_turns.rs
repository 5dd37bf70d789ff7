//! A host with nothing to do in a step skips its turn (turmoil's patched
//! `Sim::skip_idle_hosts`, vendor/turmoil/PATCHED.md): no message waits for
//! it, none of its tasks was woken, none of its timers is due
//! (`squadsim_fakes::timer::next_deadline_on`) and no loopback message of its
//! own is on its way. It catches its clock up at its next turn, before any of
//! its tasks runs, and at a crash or a bounce. Every host must then wake when
//! it would have, reading the clock it would have read, in the same order.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use squadsim_fakes::timer;
use tokio::time::Instant;
use turmoil::net::UdpSocket;

/// Deadlines (ms after the sleeper's software starts) spanning the timer
/// wheel's levels (1 ms, 64 ms and 4,096 ms slots).
const DEADLINES: [u64; 6] = [1, 3, 7, 130, 4_100, 4_101];

/// One wake: (host and what, its tokio clock since it started plus
/// `turmoil::elapsed` at the start, `turmoil::elapsed`), in ms.
type Wake = (String, u128, u128);
type Wakes = Rc<RefCell<Vec<Wake>>>;

/// What the host reads now, from the start of its software.
fn clock(start: (Instant, u128)) -> (u128, u128) {
    (start.1 + (Instant::now() - start.0).as_millis(), turmoil::elapsed().as_millis())
}

fn started() -> (Instant, u128) {
    (Instant::now(), turmoil::elapsed().as_millis())
}

fn record(wakes: &Wakes, what: String, start: (Instant, u128)) {
    let (clock, elapsed) = clock(start);
    wakes.borrow_mut().push((what, clock, elapsed));
}

/// A world of four hosts stepped `steps` ticks of 10 ms, one at a time: a
/// sleeper waking at [`DEADLINES`] (bounced at 4,500 ms, after its last
/// timer; crashed at 5,000, while it waits for its 4,100 ms timer; bounced
/// again at 5,500), an echo answering datagrams (no timer of its own), a
/// pinger sending one at 50, 900 and 4,000 ms, and a looper sending one to
/// itself at 25 ms, in the middle of a tick, from a `tokio::spawn` task (a
/// loopback message: a task's sleep of one tick, which no timer of the fakes
/// shows, ending in the next tick).
/// Returns every wake in order and how many host turns ran.
fn world(skip: bool, random_order: bool, steps: u32) -> (Vec<Wake>, u64) {
    timer::new_world();
    let mut builder = turmoil::Builder::new();
    builder.rng_seed(7).tick_duration(Duration::from_millis(10)).simulation_duration(Duration::from_secs(600));
    if random_order {
        builder.enable_random_order();
    }
    let mut sim = builder.build();
    if skip {
        sim.skip_idle_hosts(timer::next_deadline_on);
    }
    let wakes: Wakes = Rc::default();

    let seen = wakes.clone();
    sim.host("sleeper", move || {
        let seen = seen.clone();
        async move {
            let start = started();
            for deadline in DEADLINES {
                timer::sleep_until(start.0 + Duration::from_millis(deadline)).await;
                record(&seen, format!("sleeper {deadline}"), start);
            }
            std::future::pending::<()>().await;
            Ok(())
        }
    });
    let seen = wakes.clone();
    sim.host("echo", move || {
        let seen = seen.clone();
        async move {
            let start = started();
            let socket = UdpSocket::bind(("0.0.0.0", 9000)).await?;
            let mut buf = [0; 16];
            loop {
                let (n, from) = socket.recv_from(&mut buf).await?;
                record(&seen, format!("echo {}", buf[0]), start);
                socket.send_to(&buf[..n], from).await?;
            }
        }
    });
    let seen = wakes.clone();
    sim.host("looper", move || {
        let seen = seen.clone();
        async move {
            let start = started();
            let socket = UdpSocket::bind(("0.0.0.0", 7000)).await?;
            // A `tokio::spawn` task (not of the host's `LocalSet`, whose wakes
            // mark the host woken): when it has sent, the host has nothing to
            // do but wait for the loopback message.
            tokio::spawn(async {
                timer::sleep(Duration::from_millis(25)).await;
                let socket = UdpSocket::bind(("0.0.0.0", 7001)).await?;
                socket.send_to(&[1], (turmoil::lookup("looper"), 7000)).await
            });
            let mut buf = [0; 16];
            socket.recv_from(&mut buf).await?;
            record(&seen, "looper".into(), start);
            std::future::pending::<()>().await;
            Ok(())
        }
    });
    let seen = wakes.clone();
    sim.client("pinger", async move {
        let start = started();
        let socket = UdpSocket::bind(("0.0.0.0", 9001)).await?;
        for (i, at) in [50, 900, 4_000].into_iter().enumerate() {
            timer::sleep_until(start.0 + Duration::from_millis(at)).await;
            socket.send_to(&[i as u8], ("echo", 9000)).await?;
            let mut buf = [0; 16];
            socket.recv_from(&mut buf).await?;
            record(&seen, format!("pinger {}", buf[0]), start);
        }
        std::future::pending::<()>().await;
        Ok(())
    });

    for step in 1..=steps {
        sim.step().expect("steps");
        match step {
            450 | 550 => sim.bounce("sleeper"),
            500 => sim.crash("sleeper"),
            _ => {}
        }
    }
    let turns = sim.host_turns();
    (wakes.take(), turns)
}

#[test]
fn hosts_that_skip_their_idle_turns_wake_when_and_as_turning_every_step_does() {
    for random_order in [false, true] {
        let (every, turns_every) = world(false, random_order, 980);
        let (skipping, turns_skipping) = world(true, random_order, 980);
        assert_eq!(every, skipping, "random order: {random_order}");
        // Not a timing test: the hosts turned only in a few of the steps.
        assert!(turns_skipping * 10 < turns_every, "{turns_skipping} host turns skipping, {turns_every} not");
    }
}

#[test]
fn a_host_that_skipped_turns_reads_the_simulations_clock() {
    let (wakes, _) = world(true, false, 980);
    // Three lives of the sleeper (the second cut short before its 4,100 ms
    // timer), the looper's message to itself and three echoed pings.
    let sleeper = wakes.iter().filter(|w| w.0.starts_with("sleeper")).count();
    assert_eq!(sleeper, DEADLINES.len() * 2 + 4, "{wakes:?}");
    assert!(wakes.iter().any(|w| w.0 == "looper"), "{wakes:?}");
    assert_eq!(wakes.iter().filter(|w| w.0.starts_with("echo")).count(), 3, "{wakes:?}");
    assert_eq!(wakes.iter().filter(|w| w.0.starts_with("pinger")).count(), 3, "{wakes:?}");
    for (what, clock, elapsed) in &wakes {
        assert_eq!(clock, elapsed, "{what}: {wakes:?}");
    }
    // The lives after a restart count from it: 4,500 ms and 5,500 ms in.
    let lives: Vec<u128> = wakes.iter().filter(|w| w.0 == "sleeper 1").map(|w| w.2).collect();
    assert_eq!(lives.len(), 3, "{wakes:?}");
    assert!(lives[1] > 4_500 && lives[1] < 4_520, "{wakes:?}");
    assert!(lives[2] > 5_500 && lives[2] < 5_520, "{wakes:?}");
}
