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
    /// tokio timer wheel holds them). A host with none has no entry.
    hosts: BTreeMap<IpAddr, BTreeMap<Duration, u32>>,
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
    ARMED.with(|armed| armed.borrow().hosts.values().filter_map(|deadlines| deadlines.keys().next().copied()).min())
}

/// The earliest deadline (as [`next_deadline`]) of a timer armed on `host`.
pub fn next_deadline_on(host: IpAddr) -> Option<Duration> {
    ARMED.with(|armed| armed.borrow().hosts.get(&host).and_then(|deadlines| deadlines.keys().next().copied()))
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
            *armed.hosts.entry(host).or_default().entry(deadline).or_default() += 1;
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
            let Some(deadlines) = armed.hosts.get_mut(&host) else { return };
            let Some(count) = deadlines.get_mut(&deadline) else { return };
            *count -= 1;
            if *count == 0 {
                deadlines.remove(&deadline);
                if deadlines.is_empty() {
                    armed.hosts.remove(&host);
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
