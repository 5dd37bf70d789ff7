//! Temporal-owned lifecycle: the durable workspace/source/process lifecycle
//! deadlines and activity retry under which the Harness Runtime makes an agent
//! attempt (`docs/seeds.md`, delivery-language seed, "Execution Boundary": the Temporal workflow
//! "decides phase deadlines, activity retry, timers, and long waits").
//!
//! An attempt goes through four phases, each with its own deadline (a
//! schedule-to-close timeout covering every retry of its activity):
//! [`Phase::WorkspaceProvision`] (create the execution workspace),
//! [`Phase::WorkspaceStart`] (wait for it to be `started`), then, when the run
//! has workspace bootstrap assets, [`Phase::WorkspaceBootstrap`] (deliver them),
//! [`Phase::ProcessStart`] (start the agent process) and [`Phase::ProcessRun`]
//! (read it until it exits).
//!
//! Guarantees:
//! - an activity that fails retryably is retried with Temporal's retry policy
//!   (initial interval, backoff coefficient, maximum interval) until it succeeds,
//!   fails non-retryably, or its phase's deadline passes;
//! - a phase never runs past its deadline: the caller gets [`PhaseEnd::Overran`]
//!   naming the phase, the deadline and the last thing the activity reported,
//!   which the Harness Runtime records as the reason the attempt ended;
//! - all waiting is on tokio's clock, so inside turmoil it is simulated time.

use std::future::Future;
use std::time::Duration;

use crate::scenario::{LifecycleDeadlines, SimDuration};

/// One phase of an agent attempt's lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    WorkspaceProvision,
    WorkspaceStart,
    WorkspaceBootstrap,
    ProcessStart,
    ProcessRun,
}

impl Phase {
    /// The phase's name in recorded reasons.
    pub fn name(self) -> &'static str {
        match self {
            Phase::WorkspaceProvision => "workspace_provision",
            Phase::WorkspaceStart => "workspace_start",
            Phase::WorkspaceBootstrap => "workspace_bootstrap",
            Phase::ProcessStart => "process_start",
            Phase::ProcessRun => "process_run",
        }
    }
}

/// Each phase's deadline (the deadlines are a condition of the scenario
/// format: [`crate::scenario::LifecycleDeadlines`]).
impl LifecycleDeadlines {
    pub fn of(&self, phase: Phase) -> Duration {
        match phase {
            Phase::WorkspaceProvision => self.workspace_provision.0,
            Phase::WorkspaceStart => self.workspace_start.0,
            Phase::WorkspaceBootstrap => self.workspace_bootstrap.0,
            Phase::ProcessStart => self.process_start.0,
            Phase::ProcessRun => self.process_run.0,
        }
    }
}

/// Temporal's activity retry policy (`initialInterval`, `backoffCoefficient`,
/// `maximumInterval`); attempts are bounded by the phase deadline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RetryPolicy {
    pub initial_interval: Duration,
    pub backoff_coefficient: f64,
    pub maximum_interval: Duration,
}

impl RetryPolicy {
    /// Temporal's default: 1 s, doubling, at most 100 x the initial interval.
    pub(crate) const DEFAULT: RetryPolicy = RetryPolicy {
        initial_interval: Duration::from_secs(1),
        backoff_coefficient: 2.0,
        maximum_interval: Duration::from_secs(100),
    };

    /// A long wait polled at a fixed interval (the Daytona SDK polls a starting
    /// sandbox about once a second).
    pub(crate) const fn polling(every: Duration) -> RetryPolicy {
        RetryPolicy { initial_interval: every, backoff_coefficient: 1.0, maximum_interval: every }
    }

    /// The wait before retry number `retry` (1-based).
    pub(crate) fn interval(&self, retry: u32) -> Duration {
        let factor = self.backoff_coefficient.max(1.0).powi(retry.saturating_sub(1).min(64) as i32);
        self.initial_interval.mul_f64(factor).min(self.maximum_interval)
    }
}

/// What one activity attempt reported when it did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ActivityError {
    pub message: String,
    /// Retry it (a transient failure, or a wait that is not over).
    pub retryable: bool,
}

impl ActivityError {
    pub(crate) fn retryable(message: impl Into<String>) -> Self {
        ActivityError { message: message.into(), retryable: true }
    }

    pub(crate) fn non_retryable(message: impl Into<String>) -> Self {
        ActivityError { message: message.into(), retryable: false }
    }
}

/// Why a phase ended without its result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PhaseEnd {
    /// The deadline passed first; `last` is what the activity last reported.
    Overran { phase: Phase, deadline: Duration, last: Option<String> },
    /// The activity failed non-retryably.
    Failed { phase: Phase, message: String },
}

impl PhaseEnd {
    /// The reason recorded on the session whose attempt this ended.
    pub(crate) fn reason(&self) -> String {
        match self {
            PhaseEnd::Overran { phase, deadline, last } => {
                let mut r = format!("lifecycle_deadline: {} overran its {} deadline", phase.name(), label(*deadline));
                if let Some(last) = last {
                    r.push_str(&format!(" ({last})"));
                }
                r
            }
            PhaseEnd::Failed { phase, message } => format!("{}_failed: {message}", phase.name()),
        }
    }

    #[cfg(test)]
    pub(crate) fn is_overrun(&self) -> bool {
        matches!(self, PhaseEnd::Overran { .. })
    }
}

fn label(d: Duration) -> String {
    String::from(SimDuration(d))
}

/// Runs `phase`'s activity under its deadline, retrying it by `policy`.
/// `activity(n)` is attempt number `n` (1-based).
pub(crate) async fn run_phase<T, F, Fut>(
    phase: Phase,
    deadlines: &LifecycleDeadlines,
    policy: RetryPolicy,
    activity: F,
) -> Result<T, PhaseEnd>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T, ActivityError>>,
{
    run_phase_since(phase, deadlines, Duration::ZERO, policy, activity).await
}

/// [`run_phase`] for a phase that began `spent` ago (a resumed workflow's): its
/// deadline is durable, so only what is left of it remains.
pub(crate) async fn run_phase_since<T, F, Fut>(
    phase: Phase,
    deadlines: &LifecycleDeadlines,
    spent: Duration,
    policy: RetryPolicy,
    mut activity: F,
) -> Result<T, PhaseEnd>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T, ActivityError>>,
{
    let deadline = deadlines.of(phase);
    let until = tokio::time::Instant::now() + deadline.saturating_sub(spent);
    let mut last = None;
    let mut attempt = 1u32;
    loop {
        match squadsim_fakes::timer::timeout_at(until, activity(attempt)).await {
            Err(_) => return Err(PhaseEnd::Overran { phase, deadline, last }),
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(e)) if !e.retryable => return Err(PhaseEnd::Failed { phase, message: e.message }),
            Ok(Err(e)) => last = Some(e.message),
        }
        let wake = tokio::time::Instant::now() + policy.interval(attempt);
        if wake >= until {
            squadsim_fakes::timer::sleep_until(until).await;
            return Err(PhaseEnd::Overran { phase, deadline, last });
        }
        squadsim_fakes::timer::sleep_until(wake).await;
        attempt += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;

    fn deadlines(secs: u64) -> LifecycleDeadlines {
        LifecycleDeadlines { workspace_provision: SimDuration::secs(secs), ..LifecycleDeadlines::default() }
    }

    /// Runs `body` inside a turmoil simulation (simulated time).
    fn simulated<F: Future<Output = ()> + 'static>(body: F) {
        let mut sim = turmoil::Builder::new().rng_seed(1).simulation_duration(Duration::from_secs(600)).build();
        sim.client("lifecycle", async move {
            body.await;
            Ok(())
        });
        sim.run().expect("the simulation runs to its end");
    }

    #[test]
    fn the_default_policy_doubles_up_to_its_maximum() {
        let p = RetryPolicy::DEFAULT;
        let waits: Vec<u64> = (1..=9).map(|n| p.interval(n).as_secs()).collect();
        assert_eq!(waits, vec![1, 2, 4, 8, 16, 32, 64, 100, 100]);
        assert_eq!(RetryPolicy::polling(Duration::from_secs(1)).interval(7), Duration::from_secs(1));
    }

    #[test]
    fn a_transient_failure_is_retried_until_it_succeeds() {
        simulated(async {
            let calls = Arc::new(AtomicU32::new(0));
            let started = tokio::time::Instant::now();
            let r = run_phase(Phase::WorkspaceProvision, &deadlines(30), RetryPolicy::DEFAULT, |n| {
                calls.fetch_add(1, Ordering::SeqCst);
                async move {
                    if n < 3 {
                        Err(ActivityError::retryable("HTTP 503"))
                    } else {
                        Ok(n)
                    }
                }
            })
            .await;
            assert_eq!(r, Ok(3));
            assert_eq!(calls.load(Ordering::SeqCst), 3);
            assert_eq!(started.elapsed().as_secs(), 3, "waited 1 s then 2 s");
        });
    }

    #[test]
    fn a_phase_that_never_succeeds_overruns_at_its_deadline_with_the_last_report() {
        simulated(async {
            let started = tokio::time::Instant::now();
            let r: Result<(), _> =
                run_phase(Phase::WorkspaceProvision, &deadlines(10), RetryPolicy::DEFAULT, |_| async {
                    Err(ActivityError::retryable("sandbox creating"))
                })
                .await;
            assert_eq!(started.elapsed().as_secs(), 10);
            let end = r.unwrap_err();
            assert!(end.is_overrun());
            assert_eq!(
                end.reason(),
                "lifecycle_deadline: workspace_provision overran its 10s deadline (sandbox creating)"
            );
        });
    }

    #[test]
    fn an_activity_that_hangs_is_cut_at_the_deadline() {
        simulated(async {
            let r: Result<(), _> = run_phase(Phase::WorkspaceProvision, &deadlines(5), RetryPolicy::DEFAULT, |_| {
                std::future::pending::<Result<(), ActivityError>>()
            })
            .await;
            let expected =
                PhaseEnd::Overran { phase: Phase::WorkspaceProvision, deadline: Duration::from_secs(5), last: None };
            assert_eq!(r, Err(expected));
        });
    }

    #[test]
    fn a_non_retryable_failure_ends_the_phase_at_once() {
        simulated(async {
            let started = tokio::time::Instant::now();
            let r: Result<(), _> = run_phase(Phase::WorkspaceStart, &deadlines(5), RetryPolicy::DEFAULT, |_| async {
                Err(ActivityError::non_retryable("build_failed"))
            })
            .await;
            assert_eq!(r.unwrap_err().reason(), "workspace_start_failed: build_failed");
            assert_eq!(started.elapsed().as_secs(), 0);
        });
    }
}
