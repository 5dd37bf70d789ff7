use std::future::Future;
use std::mem;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Wake, Waker};

use rand::rngs::SmallRng;
use tokio::runtime::Runtime;
use tokio::task::JoinHandle;
use tokio::task::LocalSet;
use tokio::time::{sleep_until, Duration, Instant, Sleep};

use super::Result;

// To support re-creation, we need to store a factory of the future that
// represents the software. This is somewhat annoying in that it requires
// boxxing to avoid generics.
type Software<'a> = Box<dyn Fn() -> Pin<Box<dyn Future<Output = Result>>> + 'a>;

/// Runtime kinds.
pub enum Kind<'a> {
    /// A runtime for executing test code.
    Client,

    /// A runtime that is running simulated host software.
    Host { software: Software<'a> },
}

/// Runtime configuration.
#[derive(Clone, Default)]
pub struct Config {
    /// Whether io is enabled on the runtime.
    pub enable_io: bool,

    /// Rng used to seed the tokio runtime.
    ///
    /// Only used if the `tokio_unstable` cfg flag is set.
    #[cfg_attr(not(tokio_unstable), expect(dead_code))]
    pub rng: Option<SmallRng>,
}

/// Per host simulated runtime.
///
/// The tokio runtime is paused (see [`Builder::start_paused`]), which gives us
/// control over when and how to advance time. In particular, see [`Rt::tick`],
/// which lets the runtime do a bit more work.
pub struct Rt<'a> {
    pub kind: Kind<'a>,

    /// Handle to the Tokio runtime driving this simulated host. Each runtime
    /// may have a different sense of "now" which simulates clock skew.
    tokio: Runtime,

    /// Local task set used for running !Send tasks.
    local: LocalSet,

    /// A user readable name to identify the node.
    pub nodename: Arc<str>,

    /// Optional handle to a host's software. When software finishes, the handle is
    /// consumed to check for error, which is propagated up to fail the simulation.
    handle: Option<JoinHandle<Result>>,

    /// Runtime configuration.
    config: Config,

    /// (squadsim patch.) Set when a task of this host was woken since the
    /// start of its last turn (by a timer, a message, another host or code
    /// outside the simulation), and at (re)start: its software may have work
    /// at its next turn.
    woken: Arc<AtomicBool>,

    /// (squadsim patch.) The sleep that ends a turn, re-armed each turn
    /// ([`Sleep::reset`]) instead of created and dropped: it has always fired
    /// when a turn ends, so it is in none of the timer wheel's lists between
    /// turns, and re-arming it inserts it where a new sleep's first poll would.
    /// Created on the first turn of each tokio runtime (it belongs to that
    /// runtime's timer).
    turn: Option<Pin<Box<Sleep>>>,

    /// (squadsim patch.) The runtime's `block_on` waker and the waker the
    /// `LocalSet` is polled with (a [`MarkWoken`] around it), kept across
    /// turns while `block_on` polls with the same waker (it does for the
    /// whole life of a tokio runtime).
    marking: Option<(Waker, Waker)>,

    /// (squadsim patch.) The runtime's clock at the end of its last turn:
    /// only `block_on` moves a paused clock, and none runs between turns, so
    /// it is [`Rt::now`] until the next turn (cleared with the runtime).
    now: Option<Instant>,

    /// (squadsim patch.) How far this runtime's clock is behind the
    /// simulation's: the turns it skipped with nothing to do
    /// ([`crate::Sim::skip_idle_hosts`]), caught up at its next turn
    /// ([`Rt::catch_up`]).
    lag: Duration,
}

/// (squadsim patch.) The waker a host's `LocalSet` wakes when one of its tasks
/// is scheduled while it is not being polled: it marks the host woken.
struct MarkWoken {
    inner: Waker,
    woken: Arc<AtomicBool>,
}

impl Wake for MarkWoken {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Relaxed);
        self.inner.wake_by_ref();
    }
}

impl<'a> Rt<'a> {
    pub(crate) fn client<F>(nodename: Arc<str>, client: F, mut config: Config) -> Self
    where
        F: Future<Output = Result> + 'static,
    {
        let (tokio, local) = init(&mut config);

        let handle = with(&tokio, &local, || tokio::task::spawn_local(client));

        Self {
            kind: Kind::Client,
            tokio,
            local,
            nodename,
            handle: Some(handle),
            config,
            woken: Arc::new(AtomicBool::new(true)),
            turn: None,
            marking: None,
            now: None,
            lag: Duration::ZERO,
        }
    }

    pub(crate) fn host<F, Fut>(nodename: Arc<str>, software: F, mut config: Config) -> Self
    where
        F: Fn() -> Fut + 'a,
        Fut: Future<Output = Result> + 'static,
    {
        let (tokio, local) = init(&mut config);

        let software: Software = Box::new(move || Box::pin(software()));
        let handle = with(&tokio, &local, || tokio::task::spawn_local(software()));

        Self {
            kind: Kind::Host { software },
            tokio,
            local,
            nodename,
            handle: Some(handle),
            config,
            woken: Arc::new(AtomicBool::new(true)),
            turn: None,
            marking: None,
            now: None,
            lag: Duration::ZERO,
        }
    }

    pub(crate) fn is_client(&self) -> bool {
        matches!(self.kind, Kind::Client)
    }

    fn is_host(&self) -> bool {
        matches!(self.kind, Kind::Host { .. })
    }

    pub(crate) fn is_software_running(&self) -> bool {
        self.handle.is_some()
    }

    /// (squadsim patch.) Whether a task of this host was woken since the start
    /// of its last turn, or it (re)started since: a task of its `LocalSet`
    /// woken from outside the set's poll (the mark), or a task spawned on its
    /// runtime (`tokio::spawn`) waiting in one of the runtime's queues to be
    /// polled, woken by another host (a connection's SYN-ACK is a oneshot the
    /// listening host completes in its own turn), by code outside the
    /// simulation, or by a timer due at the very end of the turn.
    pub(crate) fn is_woken(&self) -> bool {
        let metrics = self.tokio.metrics();
        #[cfg(tokio_unstable)]
        let local = metrics.worker_local_queue_depth(0);
        #[cfg(not(tokio_unstable))]
        let local = 0;
        self.woken.load(Ordering::Relaxed) || metrics.global_queue_depth() > 0 || local > 0
    }

    /// (squadsim patch.) Skips a turn of `duration` in which this host has
    /// nothing to do: its clock stays where it is until [`Rt::catch_up`].
    pub(crate) fn skip(&mut self, duration: Duration) {
        self.lag += duration;
    }

    /// (squadsim patch.) Moves the runtime's paused clock over the turns it
    /// skipped, before its next turn polls any task, and returns by how much
    /// (to move the host's elapsed time too). No task runs and no timer fires
    /// here: none was due in the skipped turns, so the clock stands where
    /// those turns would have left it, and the turn's own park fires what is
    /// due from there as it would have.
    pub(crate) fn catch_up(&mut self) -> Duration {
        let lag = mem::take(&mut self.lag);
        if lag.is_zero() {
            return lag;
        }
        let _guard = self.tokio.enter();
        // `advance` moves the clock at its first poll, then yields once: with
        // no scheduler running (no `block_on`), the yield wakes at once and
        // the second poll is ready.
        let mut advance = pin!(tokio::time::advance(lag));
        let mut cx = Context::from_waker(Waker::noop());
        while advance.as_mut().poll(&mut cx).is_pending() {}
        self.now = self.now.map(|now| now + lag);
        lag
    }

    /// (squadsim patch.) Forgets the skipped turns when the runtime is
    /// replaced (a crash or a bounce) and returns them, for the host's
    /// elapsed time.
    pub(crate) fn take_lag(&mut self) -> Duration {
        mem::take(&mut self.lag)
    }

    pub(crate) fn now(&self) -> Instant {
        if let Some(now) = self.now {
            return now;
        }
        let _guard = self.tokio.enter();
        Instant::now()
    }

    // This method is called by [`Sim::run`], which iterates through all the
    // runtimes and ticks each one. The magic of this method is described in the
    // documentation for [`LocalSet::run_until`], but it may not be entirely
    // obvious how things fit together.
    //
    // A [`LocalSet`] tracks the tasks to run, which may in turn spawn more
    // tasks. `run_until` drives a top level task to completion, but not its
    // children. If you look below, you may be confused. The task we run here
    // just sleeps and has no children! However, it's the _same `LocalSet`_ that
    // is used to run software on the host.
    //
    // In this way, every time `tick` is called, the following unfolds:
    //
    // 1. Time advances on the runtime
    // 2. We schedule a new task that simply sleeps
    // 3. Other tasks on the `LocalSet` get a chance to run
    // 4. The sleep finishes
    // 5. The runtime pauses
    //
    // Returns whether the software has finished successfully or the error
    // that caused failure. Subsequent calls do not return the error as it is
    // expected to fail the simulation.
    pub(crate) fn tick(&mut self, duration: Duration) -> Result<bool> {
        self.woken.store(false, Ordering::Relaxed);
        self.now = None;
        let woken = &self.woken;
        let local = &self.local;
        let turn = &mut self.turn;
        let marking = &mut self.marking;
        let now = self.tokio.block_on(async {
            // The turn's own sleep wakes the runtime's waker; the LocalSet keeps
            // the waker it was last polled with (one that marks this host
            // woken) and wakes it whenever one of its tasks is scheduled from
            // outside its poll: a timer, a message, another host.
            //
            // The deadline is `sleep(duration)`'s (tokio's `sleep` adds the
            // duration to `Instant::now()` the same way).
            let deadline = Instant::now()
                .checked_add(duration)
                .expect("a turn's deadline overflows the clock");
            let turn = match turn {
                Some(turn) => {
                    turn.as_mut().reset(deadline);
                    turn
                }
                None => turn.insert(Box::pin(sleep_until(deadline))),
            };
            let plain: std::cell::RefCell<Option<Waker>> = std::cell::RefCell::new(None);
            let mut run = pin!(local.run_until(std::future::poll_fn(|_| {
                let plain = plain.borrow();
                let waker = plain.as_ref().expect("set before each poll");
                turn.as_mut()
                    .poll(&mut std::task::Context::from_waker(waker))
            })));
            std::future::poll_fn(|cx| {
                *plain.borrow_mut() = Some(cx.waker().clone());
                let waker = match marking {
                    Some((inner, waker)) if inner.will_wake(cx.waker()) => waker,
                    _ => {
                        let waker = Waker::from(Arc::new(MarkWoken {
                            inner: cx.waker().clone(),
                            woken: woken.clone(),
                        }));
                        &marking.insert((cx.waker().clone(), waker)).1
                    }
                };
                run.as_mut()
                    .poll(&mut std::task::Context::from_waker(waker))
            })
            .await;
            Instant::now()
        });

        self.now = Some(now);

        // pull for software completion
        match &self.handle {
            Some(handle) if handle.is_finished() => {
                self.now = None;
                // Consume handle to extract task result
                if let Some(h) = self.handle.take() {
                    match self.tokio.block_on(h) {
                        // If the host was crashed the JoinError is cancelled, which
                        // needs to be handled to not fail the simulation.
                        Err(je) if je.is_cancelled() => {}
                        res => res??,
                    }
                };
                Ok(true)
            }
            Some(_) => Ok(false),
            None => Ok(true),
        }
    }

    pub(crate) fn crash(&mut self) {
        if !self.is_host() {
            panic!("can only crash host's software");
        }

        if self.handle.take().is_some() {
            self.cancel_tasks();
        };
    }

    pub(crate) fn bounce(&mut self) {
        if !self.is_host() {
            panic!("can only bounce host's software");
        }

        self.cancel_tasks();

        if let Kind::Host { software } = &self.kind {
            let handle = with(&self.tokio, &self.local, || {
                tokio::task::spawn_local(software())
            });
            self.handle.replace(handle);
        };
        self.woken.store(true, Ordering::Relaxed);
    }

    /// Cancel all tasks within the [`Rt`] by dropping the current tokio
    /// [`Runtime`].
    ///
    /// Dropping the runtime blocks the calling thread until all futures have
    /// completed, which is desired here to ensure host software completes and
    /// all resources are dropped.
    ///
    /// Both the [`Runtime`] and [`LocalSet`] are replaced with new instances.
    fn cancel_tasks(&mut self) {
        // All three belong to the runtime being dropped.
        self.turn = None;
        self.marking = None;
        self.now = None;
        let (tokio, local) = init(&mut self.config);

        _ = mem::replace(&mut self.tokio, tokio);
        drop(mem::replace(&mut self.local, local));
    }
}

fn init(config: &mut Config) -> (Runtime, LocalSet) {
    let mut tokio_builder = tokio::runtime::Builder::new_current_thread();

    #[cfg(tokio_unstable)]
    tokio_builder.unhandled_panic(tokio::runtime::UnhandledPanic::ShutdownRuntime);

    if config.enable_io {
        tokio_builder.enable_io();
    }

    #[cfg(tokio_unstable)]
    if let Some(rng) = &mut config.rng {
        let bytes: [u8; 32] = rand::Rng::random(rng);
        let seed = tokio::runtime::RngSeed::from_bytes(&bytes);
        tokio_builder.rng_seed(seed);
    }

    // (squadsim patch.) The scheduler takes a task woken from outside the
    // runtime (another host, a message delivered) after those it woke itself,
    // always: by default it takes the outside one first every 31st scheduler
    // tick, a count that idle turns move on, so a step of `n` ticks
    // (`Sim::step_ticks`) would leave the next turn's task order different
    // from `n` single steps'.
    tokio_builder.global_queue_interval(u32::MAX);
    let tokio = tokio_builder
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();

    tokio.block_on(async {
        // Sleep to "round" `Instant::now()` to the closest `ms`
        tokio::time::sleep(Duration::from_millis(1)).await;
    });

    (tokio, new_local())
}

fn new_local() -> LocalSet {
    #[cfg(not(tokio_unstable))]
    let local = LocalSet::new();

    #[cfg(tokio_unstable)]
    let mut local = LocalSet::new();

    #[cfg(tokio_unstable)]
    local.unhandled_panic(tokio::runtime::UnhandledPanic::ShutdownRuntime);

    local
}

fn with<R>(tokio: &Runtime, local: &LocalSet, f: impl FnOnce() -> R) -> R {
    tokio.block_on(async { local.run_until(async { f() }).await })
}
