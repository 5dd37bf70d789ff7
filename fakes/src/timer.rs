//! Timers, armed where a simulation can see them.
//!
//! Every sleep, deadline and timeout of the services, the fakes and the
//! operator goes through this module ([`sleep`], [`sleep_until`], [`timeout`], [`timeout_at`],
//! and [`HyperTimer`] for hyper's own timers), never through `tokio::time`
//! directly (`sim/tests/it/leaps.rs` fails on any other use). Each timer armed
//! inside a turmoil simulation records its deadline in simulated time on the
//! simulation's thread until it fires or is dropped, so the world knows when
//! the next one is due ([`next_deadline`]) and can step over the ticks before
//! it in one go when nothing else is pending (`sim::engine::world`), and by
//! host ([`next_deadline_on`]), so a host with nothing due skips its turns.
//!
//! Guarantees: a timer behaves exactly as the `tokio::time` one it wraps;
//! outside a simulation (real sockets) nothing is recorded; a timer armed in an
//! earlier simulation on the same thread never counts in a later one
//! ([`new_world`]).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::Instant;

/// The timers armed in the simulation running on this thread.
#[derive(Default)]
struct Armed {
    /// Which simulation the deadlines belong to ([`new_world`] moves it on).
    world: u64,
    /// Each armed deadline (simulated time since the simulation began), with
    /// how many timers share it, by the host whose turn armed them (whose
    /// tokio timer wheel holds them), in no particular order. A host with
    /// none has no entry. A list, not a map: a world has a dozen hosts, and
    /// [`next_deadline_on`], asked for every idle host every step, finds one
    /// in it by equality for a third of what a `BTreeMap` lookup cost
    /// (ordering `IpAddr`s).
    hosts: Vec<(IpAddr, BTreeMap<Duration, u32>)>,
    /// How many times a timer was armed or disarmed in this world.
    changes: u64,
}

thread_local! {
    static ARMED: RefCell<Armed> = RefCell::default();
}

/// Starts a new simulation on this thread: forgets every deadline armed before.
pub fn new_world() {
    ARMED.with(|armed| {
        let mut armed = armed.borrow_mut();
        armed.world += 1;
        armed.hosts.clear();
        armed.changes = 0;
    });
}

/// The earliest deadline (simulated time since the simulation began) of a
/// timer armed in this thread's simulation and neither fired nor dropped.
pub fn next_deadline() -> Option<Duration> {
    ARMED.with(|armed| armed.borrow().hosts.iter().filter_map(|(_, deadlines)| deadlines.keys().next().copied()).min())
}

/// The earliest deadline (as [`next_deadline`]) of a timer armed on `host`.
pub fn next_deadline_on(host: IpAddr) -> Option<Duration> {
    ARMED.with(|armed| {
        let armed = armed.borrow();
        let (_, deadlines) = armed.hosts.iter().find(|(armed_on, _)| *armed_on == host)?;
        deadlines.keys().next().copied()
    })
}

/// How many times a timer was armed or disarmed in this thread's simulation:
/// unchanged across a stretch of steps means no timer was armed, fired or dropped in it.
pub fn changes() -> u64 {
    ARMED.with(|armed| armed.borrow().changes)
}

/// A timer's entry in [`ARMED`]: removed when it fires or is dropped.
#[derive(Debug)]
struct Mark {
    world: u64,
    /// The host it was armed on, and its deadline.
    deadline: Option<(IpAddr, Duration)>,
}

impl Mark {
    /// Records a deadline `after` from the current host's now, when inside a simulation.
    fn arm(after: Duration) -> Mark {
        let Some((host, now)) = turmoil::sim_host_elapsed() else { return Mark { world: 0, deadline: None } };
        let deadline = now.saturating_add(after);
        ARMED.with(|armed| {
            let mut armed = armed.borrow_mut();
            let deadlines = match armed.hosts.iter().position(|(armed_on, _)| *armed_on == host) {
                Some(at) => &mut armed.hosts[at].1,
                None => {
                    armed.hosts.push((host, BTreeMap::new()));
                    &mut armed.hosts.last_mut().expect("just pushed").1
                }
            };
            *deadlines.entry(deadline).or_default() += 1;
            armed.changes += 1;
            Mark { world: armed.world, deadline: Some((host, deadline)) }
        })
    }

    fn disarm(&mut self) {
        let Some((host, deadline)) = self.deadline.take() else { return };
        // A thread-local already torn down has nothing left to disarm.
        let _ = ARMED.try_with(|armed| {
            let mut armed = armed.borrow_mut();
            if armed.world != self.world {
                return;
            }
            let Some(at) = armed.hosts.iter().position(|(armed_on, _)| *armed_on == host) else { return };
            let deadlines = &mut armed.hosts[at].1;
            let Some(count) = deadlines.get_mut(&deadline) else { return };
            *count -= 1;
            if *count == 0 {
                deadlines.remove(&deadline);
                if deadlines.is_empty() {
                    armed.hosts.swap_remove(at);
                }
            }
            armed.changes += 1;
        });
    }
}

impl Drop for Mark {
    fn drop(&mut self) {
        self.disarm();
    }
}

/// A `tokio::time` future whose deadline is recorded while it is armed.
#[derive(Debug)]
pub struct Timer<F> {
    inner: Pin<Box<F>>,
    mark: Mark,
}

impl<F> Timer<F> {
    fn new(inner: F, after: Duration) -> Self {
        Timer { inner: Box::pin(inner), mark: Mark::arm(after) }
    }
}

impl<F: Future> Future for Timer<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = &mut *self;
        let output = this.inner.as_mut().poll(cx);
        if output.is_ready() {
            this.mark.disarm();
        }
        output
    }
}

/// `tokio::time::sleep`, recorded.
pub fn sleep(duration: Duration) -> Timer<tokio::time::Sleep> {
    Timer::new(tokio::time::sleep(duration), duration)
}

/// `tokio::time::sleep_until`, recorded.
pub fn sleep_until(deadline: Instant) -> Timer<tokio::time::Sleep> {
    Timer::new(tokio::time::sleep_until(deadline), deadline.saturating_duration_since(Instant::now()))
}

/// `tokio::time::timeout`, recorded (its deadline, whether or not `future` finishes first).
pub fn timeout<F: Future>(duration: Duration, future: F) -> Timer<tokio::time::Timeout<F>> {
    Timer::new(tokio::time::timeout(duration, future), duration)
}

/// `tokio::time::timeout_at`, recorded.
pub fn timeout_at<F: Future>(deadline: Instant, future: F) -> Timer<tokio::time::Timeout<F>> {
    Timer::new(tokio::time::timeout_at(deadline, future), deadline.saturating_duration_since(Instant::now()))
}

/// hyper's timer (header-read and keep-alive timeouts) on [`sleep`].
#[derive(Debug, Clone, Copy, Default)]
pub struct HyperTimer;

impl hyper::rt::Timer for HyperTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(sleep(duration))
    }

    fn sleep_until(&self, deadline: std::time::Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(sleep_until(deadline.into()))
    }

    fn now(&self) -> std::time::Instant {
        Instant::now().into()
    }
}

impl hyper::rt::Sleep for Timer<tokio::time::Sleep> {}

#[cfg(test)]
mod tests {
    use super::*;

    fn simulation() -> turmoil::Sim<'static> {
        turmoil::Builder::new().rng_seed(1).tick_duration(Duration::from_millis(10)).build()
    }

    #[test]
    fn a_sleep_is_recorded_until_it_fires_and_a_dropped_one_is_forgotten() {
        new_world();
        let mut sim = simulation();
        sim.client("host", async {
            let kept = sleep(Duration::from_millis(500));
            let dropped = sleep(Duration::from_millis(200));
            assert_eq!(next_deadline(), Some(Duration::from_millis(200)));
            drop(dropped);
            assert_eq!(next_deadline(), Some(Duration::from_millis(500)));
            kept.await;
            assert_eq!(next_deadline(), None);
            let raced = timeout(Duration::from_secs(3), std::future::pending::<()>()).await;
            assert!(raced.is_err());
            assert_eq!(next_deadline(), None);
            Ok(())
        });
        sim.run().unwrap();
        assert_eq!(changes(), 6);
    }

    #[test]
    fn each_hosts_timers_are_recorded_by_the_host_they_were_armed_on() {
        new_world();
        let mut sim = simulation();
        let ms = Duration::from_millis;
        sim.host("early", || async {
            sleep(Duration::from_millis(100)).await;
            sleep(Duration::from_millis(900)).await;
            std::future::pending::<()>().await;
            Ok(())
        });
        sim.host("late", || async {
            sleep(Duration::from_millis(300)).await;
            sleep(Duration::from_millis(400)).await;
            std::future::pending::<()>().await;
            Ok(())
        });
        let (early, late) = (sim.lookup("early"), sim.lookup("late"));
        sim.step().unwrap();
        assert_eq!(next_deadline(), Some(ms(100)));
        assert_eq!((next_deadline_on(early), next_deadline_on(late)), (Some(ms(100)), Some(ms(300))));
        while sim.elapsed() < ms(400) {
            sim.step().unwrap();
        }
        // Each host's second sleep counts from its first's end.
        assert_eq!((next_deadline_on(early), next_deadline_on(late)), (Some(ms(1_000)), Some(ms(700))));
        while sim.elapsed() < ms(710) {
            sim.step().unwrap();
        }
        assert_eq!((next_deadline_on(early), next_deadline_on(late)), (Some(ms(1_000)), None));
    }

    /// Five hosts arm timers (some sharing a deadline), drop some, now and
    /// then all of theirs (their entry goes, and another host's takes its
    /// place in the list), and wait a tick on a timer of their own at every
    /// turn; after every step, each host's earliest deadline and the world's
    /// are those of a plain model kept alongside.
    #[test]
    fn each_hosts_earliest_deadline_follows_its_timers_as_they_come_and_go() {
        type Model = std::rc::Rc<RefCell<BTreeMap<&'static str, BTreeMap<Duration, u32>>>>;
        fn add(model: &Model, host: &'static str, deadline: Duration) {
            *model.borrow_mut().entry(host).or_default().entry(deadline).or_default() += 1;
        }
        fn remove(model: &Model, host: &'static str, deadline: Duration) {
            let mut model = model.borrow_mut();
            let deadlines = model.get_mut(host).expect("a host with timers");
            let count = deadlines.get_mut(&deadline).expect("an armed deadline");
            *count -= 1;
            if *count == 0 {
                deadlines.remove(&deadline);
            }
        }
        const HOSTS: [&str; 5] = ["a", "b", "c", "d", "e"];
        const TICK: Duration = Duration::from_millis(10);
        new_world();
        let mut sim = simulation();
        let model: Model = Model::default();
        for (i, host) in HOSTS.into_iter().enumerate() {
            let model = model.clone();
            sim.host(host, move || {
                let model = model.clone();
                async move {
                    let mut state = i as u64 * 7 + 3;
                    let mut choose = move |n: u64| {
                        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                        (state >> 33) % n
                    };
                    let now = || turmoil::sim_host_elapsed().expect("in a host").1;
                    let mut held = Vec::new();
                    loop {
                        for _ in 0..choose(3) {
                            let after = Duration::from_secs(50 + choose(4));
                            add(&model, host, now() + after);
                            held.push((now() + after, sleep(after)));
                        }
                        if choose(2) == 0 && !held.is_empty() {
                            let (deadline, timer) = held.swap_remove(choose(held.len() as u64) as usize);
                            drop(timer);
                            remove(&model, host, deadline);
                        }
                        if choose(7) == 0 {
                            for (deadline, timer) in held.drain(..) {
                                drop(timer);
                                remove(&model, host, deadline);
                            }
                        }
                        let deadline = now() + TICK;
                        add(&model, host, deadline);
                        sleep(TICK).await;
                        remove(&model, host, deadline);
                    }
                }
            });
        }
        let earliest = |deadlines: Option<&BTreeMap<Duration, u32>>| deadlines.and_then(|d| d.keys().next().copied());
        let mut emptied = 0;
        for step in 0..300 {
            sim.step().unwrap();
            let model = model.borrow();
            for host in HOSTS {
                assert_eq!(next_deadline_on(sim.lookup(host)), earliest(model.get(host)), "{host} after step {step}");
            }
            let world = model.values().filter_map(|d| earliest(Some(d))).min();
            assert_eq!(next_deadline(), world, "after step {step}");
            emptied += model.values().filter(|d| d.len() == 1).count();
        }
        // Hosts were left with only their tick's timer: their list entry went and came back.
        assert!(emptied > 20, "{emptied}");
    }

    #[test]
    fn a_timer_from_an_earlier_world_never_counts_in_a_later_one() {
        new_world();
        let mut sim = simulation();
        let leftover = std::rc::Rc::new(RefCell::new(None));
        let keep = leftover.clone();
        sim.client("host", async move {
            *keep.borrow_mut() = Some(sleep(Duration::from_secs(60)));
            Ok(())
        });
        sim.run().unwrap();
        assert_eq!(next_deadline(), Some(Duration::from_secs(60)));
        new_world();
        assert_eq!(next_deadline(), None);
        drop(leftover);
        assert_eq!((next_deadline(), changes()), (None, 0));
    }

    #[test]
    fn outside_a_simulation_nothing_is_recorded() {
        new_world();
        let executor = tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap();
        executor.block_on(async { sleep(Duration::from_secs(5)).await });
        assert_eq!((next_deadline(), changes()), (None, 0));
    }
}
