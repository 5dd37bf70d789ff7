//! Time as the AgentSquad services see it: simulated time inside turmoil, the
//! machine's clock only when served on real sockets (`squadsim serve`).
//!
//! Guarantee: inside a simulation nothing here reads the wall clock.

use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn process_start() -> Instant {
    static START: OnceLock<Instant> = OnceLock::new();
    *START.get_or_init(Instant::now)
}

/// Milliseconds since the world began: the simulation's elapsed time, or the
/// process's uptime outside a simulation.
pub(crate) fn elapsed_millis() -> u64 {
    match turmoil::sim_elapsed() {
        Some(d) => d.as_millis() as u64,
        None if turmoil::in_simulation() => 0,
        None => process_start().elapsed().as_millis() as u64,
    }
}

/// Seconds since the Unix epoch: the simulation's epoch plus elapsed time, or
/// the system clock outside a simulation.
pub(crate) fn now_unix() -> u64 {
    match turmoil::since_epoch() {
        Some(d) => d.as_secs(),
        None => SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0),
    }
}

/// Now as an ISO 8601 instant.
pub(crate) fn instant() -> String {
    squadsim_fakes::clock::iso8601(now_unix())
}

/// The same time as a clock the fakes take.
pub(crate) fn service_clock() -> std::sync::Arc<dyn squadsim_fakes::clock::Clock> {
    std::sync::Arc::new(now_unix)
}

/// The clock of a service built for a simulated world: the simulation's time
/// while it steps, and its epoch (`epoch_unix`) before it has begun, when the
/// world is being built. Never the machine's clock: what a service stamps at
/// construction (a core pod's start, a volume's creation) is the same every run.
pub(crate) fn simulated_service_clock(epoch_unix: u64) -> std::sync::Arc<dyn squadsim_fakes::clock::Clock> {
    std::sync::Arc::new(move || turmoil::since_epoch().map_or(epoch_unix, |d| d.as_secs()))
}

/// Simulated seconds as outcomes print them: `12.3s`.
pub(crate) fn seconds_label(d: Duration) -> String {
    format!("{:.1}s", d.as_secs_f64())
}

/// A [`seconds_label`] (`12.3s`) read back, to the millisecond; `None` when it is not one.
pub(crate) fn from_seconds_label(label: &str) -> Option<Duration> {
    let seconds = label.strip_suffix('s')?.parse::<f64>().ok().filter(|s| s.is_finite() && *s >= 0.0)?;
    Some(Duration::from_millis((seconds * 1000.0).round() as u64))
}
