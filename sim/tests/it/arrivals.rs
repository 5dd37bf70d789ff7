//! How many messages wait on the network for a host's next turn is a count
//! the patched turmoil keeps (`Sim::arrivals`, vendor/turmoil/PATCHED.md),
//! not a walk of the host's links: a host skips an idle turn on it
//! (`Sim::skip_idle_hosts`). The count must be the walk after every step,
//! whatever moved messages in or out of the links' ready queues: a send (one
//! due at once is ready at once), the network's tick, a delivery, a segment
//! bounced back (a RST to a port nobody listens on), a hold and its release,
//! partitions (both ways, one way, at random), a crash and a bounce, and
//! `Sim::links` scheduling every message for the next tick.
//!
//! The network's clock, which says when a message in flight is due, is no
//! longer a paused tokio runtime moved by a sleep at every step, but moves
//! as that clock did: a step of any length moves it by that length rounded
//! up to the millisecond.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use squadsim_fakes::timer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use turmoil::net::{TcpListener, TcpStream, UdpSocket};

const HOSTS: [&str; 4] = ["h0", "h1", "h2", "h3"];

type Seen = Rc<RefCell<Vec<String>>>;

/// What happened to a message (sent or heard), which, in which step.
type Steps = Rc<RefCell<Vec<(&'static str, u8, usize)>>>;

/// A small deterministic generator (the test's own choices; turmoil draws
/// from its seeded RNG).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// One host: a UDP echo on 9000 and a TCP echo on 8000; it sends a datagram
/// to a peer (or to itself) every few milliseconds and opens a connection to
/// a peer's 8000 (echoed, then closed: a FIN) or 8001 (nobody listens: the
/// SYN bounces back as a RST) every few tens.
async fn software(me: usize, seen: Seen) -> turmoil::Result {
    let udp = Rc::new(UdpSocket::bind(("0.0.0.0", 9000)).await?);
    let listener = TcpListener::bind(("0.0.0.0", 8000)).await?;
    let echo = udp.clone();
    let heard = seen.clone();
    tokio::task::spawn_local(async move {
        let mut buf = [0; 8];
        while let Ok((n, from)) = echo.recv_from(&mut buf).await {
            heard.borrow_mut().push(format!("h{me} {:?} heard {buf:?} at {:?}", from, turmoil::elapsed()));
            if buf[0] < 2 {
                buf[0] += 1;
                let _ = echo.send_to(&buf[..n], from).await;
            }
        }
    });
    tokio::task::spawn_local(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::task::spawn_local(async move {
                let mut buf = [0; 8];
                while let Ok(n @ 1..) = stream.read(&mut buf).await {
                    let _ = stream.write_all(&buf[..n]).await;
                }
            });
        }
    });
    let mut choose = Lcg(me as u64 + 1);
    for round in 0u64.. {
        timer::sleep(Duration::from_millis(1 + choose.below(9))).await;
        let peer = HOSTS[choose.below(4) as usize];
        let _ = udp.send_to(&[0, me as u8, round as u8], (peer, 9000)).await;
        if round % 7 == 0 {
            let port = if choose.below(3) == 0 { 8001 } else { 8000 };
            let seen = seen.clone();
            tokio::task::spawn_local(async move {
                let outcome = match timer::timeout(Duration::from_millis(200), TcpStream::connect((peer, port))).await {
                    Ok(Ok(mut stream)) => {
                        let _ = stream.write_all(&[me as u8; 4]).await;
                        let mut buf = [0; 4];
                        match timer::timeout(Duration::from_millis(200), stream.read_exact(&mut buf)).await {
                            Ok(Ok(_)) => "echoed",
                            _ => "unanswered",
                        }
                    }
                    Ok(Err(_)) => "refused",
                    Err(_) => "timed out",
                };
                seen.borrow_mut().push(format!("h{me} to {peer}:{port} {outcome} at {:?}", turmoil::elapsed()));
            });
        }
    }
    Ok(())
}

/// Steps a busy world of [`HOSTS`] (jittered latency, random partitions,
/// random host order) `steps` times, disturbing it at random between steps,
/// and checks the kept count against the walk for every host after each.
/// Returns what the hosts saw, and the most messages seen waiting for one host
/// after a step.
fn busy_world(skip: bool, steps: u32) -> (Vec<String>, usize) {
    timer::new_world();
    let mut builder = turmoil::Builder::new();
    builder
        .rng_seed(11)
        .tick_duration(Duration::from_millis(2))
        .min_message_latency(Duration::ZERO)
        .max_message_latency(Duration::from_millis(12))
        .fail_rate(0.01)
        .repair_rate(0.2)
        .simulation_duration(Duration::from_secs(600))
        .enable_random_order();
    let mut sim = builder.build();
    if skip {
        sim.skip_idle_hosts(timer::next_deadline_on);
    }
    let seen: Seen = Rc::default();
    for (me, name) in HOSTS.into_iter().enumerate() {
        let seen = seen.clone();
        sim.host(name, move || software(me, seen.clone()));
    }
    let mut choose = Lcg(99);
    let mut most = 0;
    for step in 0..steps {
        sim.step().expect("steps");
        for name in HOSTS {
            let (kept, walked) = (sim.arrivals(name), sim.arrivals_walked(name));
            assert_eq!(kept, walked, "{name} after step {step}");
            most = most.max(kept);
        }
        let (a, b) = (HOSTS[choose.below(4) as usize], HOSTS[choose.below(4) as usize]);
        let pair = a != b;
        match choose.below(40) {
            0 if pair => sim.hold(a, b),
            1 | 2 if pair => sim.release(a, b),
            3 if pair => sim.partition(a, b),
            4 | 5 if pair => sim.repair(a, b),
            6 if pair => sim.partition_oneway(a, b),
            7 | 8 if pair => sim.repair_oneway(a, b),
            9 if sim.is_host_running(a) && choose.below(4) == 0 => sim.crash(a),
            10 if choose.below(2) == 0 => sim.bounce(a),
            11 => sim.links(|links| links.for_each(|link| link.deliver_all())),
            _ => {}
        }
        for name in HOSTS {
            assert_eq!(sim.arrivals(name), sim.arrivals_walked(name), "{name} after the disturbance at step {step}");
        }
    }
    (seen.take(), most)
}

#[test]
fn the_messages_waiting_for_a_host_are_counted_as_its_links_hold_them() {
    let (seen, most) = busy_world(true, 4_000);
    // Not a quiet world: messages waited for their hosts, crossed and bounced.
    assert!(most >= 2, "at most {most} message(s) waited for a host");
    for what in ["heard [1", "heard [2", " echoed ", " refused "] {
        assert!(seen.iter().any(|s| s.contains(what)), "no {what:?} in {seen:?}");
    }
}

#[test]
fn hosts_skipping_on_the_count_see_what_hosts_turning_every_step_see() {
    let (skipping, _) = busy_world(true, 2_000);
    let (turning, _) = busy_world(false, 2_000);
    assert_eq!(skipping, turning);
}

/// The network's clock after each of `steps` steps of `tick` times the given
/// number of ticks (since its first reading), read from a paused tokio clock
/// stepped the way turmoil stepped the network's before: a millisecond's
/// sleep when built, then a `block_on` of a sleep per step.
fn paused_tokio_clock(tick: Duration, steps: &[u32]) -> Vec<Duration> {
    let clock = tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap();
    clock.block_on(async { tokio::time::sleep(Duration::from_millis(1)).await });
    let start = clock.block_on(async { tokio::time::Instant::now() });
    steps
        .iter()
        .map(|&n| {
            clock.block_on(async { tokio::time::sleep(tick * n).await });
            clock.block_on(async { tokio::time::Instant::now() }) - start
        })
        .collect()
}

#[test]
fn a_message_in_flight_is_due_by_a_clock_that_moves_as_a_paused_tokio_clock_does() {
    const LATENCY: Duration = Duration::from_millis(10);
    // Single ticks and leaps; each tick length a step's network clock moves
    // by other than its length (but the first two).
    let steps: Vec<u32> = (0..120).map(|i| [1, 1, 3, 1, 2, 1, 5][i % 7]).collect();
    for tick_us in [1_000, 40_000, 1_500, 300, 2_700] {
        let tick = Duration::from_micros(tick_us);
        timer::new_world();
        let mut sim = turmoil::Builder::new()
            .rng_seed(3)
            .tick_duration(tick)
            .min_message_latency(LATENCY)
            .max_message_latency(LATENCY)
            .simulation_duration(Duration::from_secs(600))
            .build();
        // The step running, and (what, in which step).
        let step = Rc::new(Cell::new(0));
        let seen: Steps = Rc::default();
        let (sent, now) = (seen.clone(), step.clone());
        sim.host("sender", move || {
            let (sent, now) = (sent.clone(), now.clone());
            async move {
                let socket = UdpSocket::bind(("0.0.0.0", 9000)).await?;
                for i in 0..8u8 {
                    socket.send_to(&[i], ("receiver", 9000)).await?;
                    sent.borrow_mut().push(("sent", i, now.get()));
                    timer::sleep(Duration::from_millis(3)).await;
                }
                std::future::pending::<()>().await;
                Ok(())
            }
        });
        let (heard, now) = (seen.clone(), step.clone());
        sim.host("receiver", move || {
            let (heard, now) = (heard.clone(), now.clone());
            async move {
                let socket = UdpSocket::bind(("0.0.0.0", 9000)).await?;
                let mut buf = [0; 1];
                loop {
                    socket.recv_from(&mut buf).await?;
                    heard.borrow_mut().push(("heard", buf[0], now.get()));
                }
            }
        });
        for (i, &n) in steps.iter().enumerate() {
            step.set(i);
            sim.step_ticks(n).unwrap();
        }
        let network = paused_tokio_clock(tick, &steps);
        let seen = seen.take();
        // Each message is delivered at the receiver's turn in the first step
        // whose network clock has reached its due time.
        let expected: Vec<_> = seen
            .iter()
            .filter(|s| s.0 == "sent")
            .map(|&(_, i, sent)| {
                let due = network[sent] + LATENCY;
                let arrives = (sent + 1..steps.len()).find(|&t| network[t] >= due).expect("delivered in the run");
                ("heard", i, arrives)
            })
            .collect();
        let heard: Vec<_> = seen.iter().copied().filter(|s| s.0 == "heard").collect();
        assert_eq!(heard.len(), 8, "tick {tick:?}: {seen:?}");
        assert_eq!(heard, expected, "tick {tick:?}");
    }
}
