//! A host's turn (turmoil's `Rt::tick`, vendor/turmoil/PATCHED.md) re-arms one
//! sleep per tokio runtime instead of creating one a turn, and keeps the
//! tokio runtime's clock reading from the end of the turn for the next turn's start
//! (`Rt::now`). Neither may move a host's clock or its timers: every timer
//! fires at its deadline, and what the host reads as the simulation's elapsed
//! time (`turmoil::elapsed`) is its own tokio clock, through single steps,
//! leaps that cross the timer wheel's levels, and a restart (a new tokio runtime).

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

/// Deadlines (ms after the software starts) spanning the timer wheel's levels
/// (1 ms, 64 ms and 4,096 ms slots), two in one millisecond of each other.
const DEADLINES: [u64; 6] = [1, 3, 7, 130, 4_100, 4_101];

/// One wake of the host's software: (deadline, its tokio clock since it
/// started plus `turmoil::elapsed` at the start, `turmoil::elapsed`), in ms.
type Wake = (u64, u128, u128);

fn stepped(steps: &[u32], bounce_after: usize) -> Vec<Wake> {
    let mut sim = turmoil::Builder::new()
        .rng_seed(1)
        .tick_duration(Duration::from_millis(1))
        .simulation_duration(Duration::from_secs(600))
        .build();
    let wakes: Rc<RefCell<Vec<Wake>>> = Rc::default();
    let seen = wakes.clone();
    sim.host("host", move || {
        let seen = seen.clone();
        async move {
            let start = tokio::time::Instant::now();
            let base = turmoil::elapsed().as_millis();
            for deadline in DEADLINES {
                tokio::time::sleep_until(start + Duration::from_millis(deadline)).await;
                let clock = base + (tokio::time::Instant::now() - start).as_millis();
                seen.borrow_mut().push((deadline, clock, turmoil::elapsed().as_millis()));
            }
            std::future::pending::<()>().await;
            Ok(())
        }
    });
    for (i, &ticks) in steps.iter().enumerate() {
        sim.step_ticks(ticks).expect("steps");
        if i == bounce_after {
            sim.bounce("host");
        }
    }
    wakes.take()
}

#[test]
fn a_hosts_timers_fire_at_their_deadlines_and_its_clock_is_the_simulations() {
    // Single ticks, leaps of a few ticks and leaps across wheel levels, with a
    // restart half way (the second life's deadlines count from its restart).
    // The step right after the restart is a leap, so the new software wakes
    // inside the new tokio runtime's first turn: a clock reading kept from the
    // dropped one (`Rt::now`) would show as `turmoil::elapsed` lagging.
    let steps = [1, 1, 2, 1, 5, 64, 200, 3_000, 1_000, 10, 10, 1, 3, 40, 100, 4_000, 7, 1];
    let wakes = stepped(&steps, 9);
    assert_eq!(wakes.len(), 2 * DEADLINES.len(), "{wakes:?}");
    for life in wakes.chunks(DEADLINES.len()) {
        // The life's start: its first timer's clock less its deadline.
        let start = life[0].1 - u128::from(life[0].0);
        for &(deadline, clock, elapsed) in life {
            assert_eq!(clock, start + u128::from(deadline), "{wakes:?}");
            assert_eq!(elapsed, clock, "{wakes:?}");
        }
    }
    // The restart came after the first life's last timer, at the end of step 9.
    let first_steps: u32 = steps[..10].iter().sum();
    assert!(wakes[DEADLINES.len()].1 > u128::from(first_steps), "{wakes:?}");
}

#[test]
fn leaping_wakes_a_host_when_stepping_every_tick_does() {
    let total: u32 = 4_200;
    let single = stepped(&vec![1; total as usize], usize::MAX);
    let leaps = stepped(&[3, 61, 500, 3_636], usize::MAX);
    assert_eq!(single, leaps);
    assert_eq!(single.len(), DEADLINES.len());
}
