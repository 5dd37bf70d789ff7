//! Shrinking a failing seed's fault schedule to the smallest one that still fails.

use std::time::Duration;

use serde::Serialize;

use super::runner::check_seed;
use crate::engine::world::Network;
use crate::scenario::{Fault, Scenario, SimDuration};

/// The smallest fault schedule under which `seed` still breaks `scenario`'s
/// invariants on `network`: delta debugging over the entries (ddmin), then each
/// remaining entry's window narrowed (its start as late and its end as early
/// as still fails; one begun by an event, as short). Assumes the full schedule
/// fails.
pub fn shrink(scenario: &Scenario, seed: u64, network: &Network) -> Vec<Fault> {
    let fails = |faults: &[Fault]| {
        let mut s = scenario.clone();
        s.faults = faults.to_vec();
        !check_seed(&s, seed, network).0.is_empty()
    };
    let mut faults = ddmin(scenario.faults.clone(), &fails);
    let tick = scenario.world.tick.0;
    let horizon = scenario.world.horizon.0;
    for i in 0..faults.len() {
        faults[i] = narrow_window(&faults, i, tick, horizon, &fails);
    }
    faults
}

/// Delta debugging (Zeller's ddmin) over a list whose full form fails: a
/// 1-minimal sublist that still fails (removing any one entry makes it pass).
/// Each call of `fails` is a whole simulated run, so no sublist is tried twice
/// (with two parts, each part's complement is the other part), and when a
/// complement still fails, what is left is cut into as many parts as before
/// (finer ones), not one fewer as Zeller's does.
fn ddmin<T: Clone>(items: Vec<T>, fails: &dyn Fn(&[T]) -> bool) -> Vec<T> {
    let mut tried = std::collections::BTreeMap::<Vec<usize>, bool>::new();
    let mut fails_on = |indices: &[usize]| -> bool {
        if let Some(&known) = tried.get(indices) {
            return known;
        }
        let sub: Vec<T> = indices.iter().map(|&i| items[i].clone()).collect();
        let failed = fails(&sub);
        tried.insert(indices.to_vec(), failed);
        failed
    };
    if fails_on(&[]) {
        return Vec::new();
    }
    let mut kept: Vec<usize> = (0..items.len()).collect();
    let mut n = 2usize;
    while kept.len() >= 2 {
        let chunk = kept.len().div_ceil(n);
        let parts: Vec<&[usize]> = kept.chunks(chunk).collect();
        if let Some(part) = parts.iter().find(|p| fails_on(p)) {
            kept = part.to_vec();
            n = 2;
            continue;
        }
        let complement = |k: usize| -> Vec<usize> {
            parts.iter().enumerate().filter(|(j, _)| *j != k).flat_map(|(_, p)| p.iter().copied()).collect()
        };
        if let Some(rest) = (0..parts.len()).map(complement).find(|c| fails_on(c)) {
            kept = rest;
            n = n.min(kept.len()).max(2);
            continue;
        }
        if n >= kept.len() {
            break;
        }
        n = (2 * n).min(kept.len());
    }
    kept.into_iter().map(|i| items[i].clone()).collect()
}

/// Fault `i` of `faults` with its window narrowed by bisection in whole ticks
/// while the schedule still fails: a fault starting `at` a time gets its start
/// as late and its end (`until`, `lasts` or `restart_after`) as early as still
/// fails; a fault starting `on` an event keeps its trigger and gets the
/// shortest `lasts` (or `restart_after`) that still fails. A fault with no end
/// gets one when a bounded window still fails (to the horizon, or lasting it).
/// Works on any fault kind whose fields are named `at`, `until`, `lasts` or
/// `restart_after`.
fn narrow_window(
    faults: &[Fault],
    i: usize,
    tick: Duration,
    horizon: Duration,
    fails: &dyn Fn(&[Fault]) -> bool,
) -> Fault {
    let Ok(serde_json::Value::Object(outer)) = serde_json::to_value(&faults[i]) else { return faults[i].clone() };
    let Some((kind, serde_json::Value::Object(fields))) = outer.into_iter().next() else { return faults[i].clone() };
    let duration =
        |key: &str| fields.get(key).and_then(|v| v.as_str()).and_then(|t| SimDuration::parse(t).ok()).map(|d| d.0);
    // An event-triggered fault's window is measured from its event, taken as time zero.
    let timed = duration("at");
    let at = timed.unwrap_or(Duration::ZERO);
    let end_key = if fields.contains_key("restart_after") || kind == "crash" {
        "restart_after"
    } else if fields.contains_key("lasts") || timed.is_none() {
        "lasts"
    } else {
        "until"
    };
    let relative = end_key != "until";
    let end = match (duration(end_key), relative) {
        (Some(d), true) => at + d,
        (Some(u), false) => u,
        (None, _) => horizon,
    };
    // Rebuild the fault with a window; None when the result is not a valid fault.
    let build = |start: Duration, stop: Option<Duration>| -> Option<Fault> {
        let mut f = fields.clone();
        if timed.is_some() {
            f.insert("at".into(), serde_json::Value::String(String::from(SimDuration(start))));
        }
        match stop {
            Some(s) => {
                let value = if relative { s.saturating_sub(start) } else { s };
                f.insert(end_key.into(), serde_json::Value::String(String::from(SimDuration(value))));
            }
            None => {
                f.remove(end_key);
            }
        }
        let mut wrapped = serde_json::Map::new();
        wrapped.insert(kind.clone(), serde_json::Value::Object(f));
        serde_json::from_value(serde_json::Value::Object(wrapped)).ok()
    };
    let mut schedule = faults.to_vec();
    let mut best = faults[i].clone();
    // Whether the schedule with this candidate for fault `i` still fails; if so it is the best yet.
    let mut narrowed = |candidate: Option<Fault>| -> bool {
        let Some(f) = candidate else { return false };
        schedule[i] = f.clone();
        let still = fails(&schedule);
        if still {
            best = f;
        }
        still
    };
    let mut stop = duration(end_key).map(|_| end);
    // A bounded window (to the horizon, or lasting it), if the fault had none.
    if stop.is_none() && narrowed(build(at, Some(end))) {
        stop = Some(end);
    }
    let ticks = |d: Duration| (d.as_nanos() / tick.as_nanos().max(1)) as u64;
    let at_tick = |t: u64| tick * t as u32;
    // The latest start that still fails, before the end (an event's start stays put, and so does a start
    // between ticks that no later tick improves on: flooring it would try an earlier one, never checked).
    let start = match timed {
        Some(at) => {
            let first = ticks(at);
            match bisect(first, ticks(stop.unwrap_or(horizon)), |t| narrowed(build(at_tick(t), stop))) {
                t if t == first => at,
                t => at_tick(t),
            }
        }
        None => at,
    };
    // The earliest end that still fails, after the start.
    if let Some(end) = stop {
        bisect(ticks(end), ticks(start), |t| narrowed(build(start, Some(at_tick(t)))));
    }
    best
}

/// Bisection between a tick `holds` is known to hold at and one it is not
/// expected to (either side of it): the tick nearest `other` that still holds,
/// assuming it holds on one side of a single boundary.
fn bisect(mut holding: u64, mut other: u64, mut holds: impl FnMut(u64) -> bool) -> u64 {
    while holding.abs_diff(other) > 1 {
        let mid = holding.min(other) + holding.abs_diff(other) / 2;
        if holds(mid) {
            holding = mid;
        } else {
            other = mid;
        }
    }
    holding
}

/// A fault schedule as the scenario format writes it.
pub fn faults_yaml(faults: &[Fault]) -> String {
    #[derive(Serialize)]
    struct Schedule<'a> {
        #[serde(with = "serde_yaml::with::singleton_map_recursive")]
        faults: &'a [Fault],
    }
    serde_yaml::to_string(&Schedule { faults })
        .expect("a fault schedule is plain data with string keys: it always serializes")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{FaultEnd, FaultStart, Trigger};

    #[test]
    fn ddmin_finds_the_one_entry_that_matters() {
        let items: Vec<u32> = (0..13).collect();
        assert_eq!(ddmin(items.clone(), &|s: &[u32]| s.contains(&7)), vec![7]);
        assert_eq!(ddmin(items.clone(), &|s: &[u32]| s.contains(&2) && s.contains(&11)), vec![2, 11]);
        assert_eq!(ddmin(items, &|_: &[u32]| true), Vec::<u32>::new(), "fails with nothing: empty");
    }

    #[test]
    fn ddmin_finds_exactly_the_entries_that_matter_whichever_they_are() {
        // Every set of culprits among up to nine entries: the one 1-minimal failing sublist is the culprits.
        for items in 1..=9u32 {
            for mask in 1..(1u32 << items) {
                let culprits: Vec<u32> = (0..items).filter(|i| mask & (1 << i) != 0).collect();
                let fails = |s: &[u32]| culprits.iter().all(|c| s.contains(c));
                assert_eq!(ddmin((0..items).collect(), &fails), culprits, "{items} entries");
            }
        }
    }

    /// How many times `ddmin` runs the scenario (calls `fails`) to shrink `items` to what `culprits` needs.
    fn ddmin_runs(items: usize, culprits: &[u32]) -> usize {
        let runs = std::cell::Cell::new(0);
        let tried = std::cell::RefCell::new(std::collections::BTreeSet::new());
        let fails = |s: &[u32]| {
            runs.set(runs.get() + 1);
            assert!(tried.borrow_mut().insert(s.to_vec()), "{s:?} run twice");
            culprits.iter().all(|c| s.contains(c))
        };
        assert_eq!(ddmin((0..items as u32).collect(), &fails), culprits);
        runs.get()
    }

    #[test]
    fn ddmin_costs_no_more_runs_than_it_does_now() {
        // Each call is a whole simulated run: a shrink's cost is its number of calls. (Zeller's ddmin as
        // written, trying a sublist again and n - 1 parts after a complement, took 6, 44, 113 and 11 here.)
        for (items, culprits, at_most) in
            [(13, &[7][..], 6), (13, &[2, 11][..], 24), (40, &[3, 17, 31][..], 69), (3, &[0, 1, 2][..], 7)]
        {
            let runs = ddmin_runs(items, culprits);
            assert!(runs <= at_most, "{items} items, culprits {culprits:?}: {runs} runs, at most {at_most}");
        }
    }

    fn partition(at: u64, until: Option<u64>) -> Fault {
        Fault::Partition {
            between: ["studio".into(), "daytona".into()],
            start: FaultStart::at_time(SimDuration::secs(at)),
            end: until.map_or(FaultEnd::NEVER, |u| FaultEnd::until_time(SimDuration::secs(u))),
        }
    }

    #[test]
    fn a_window_narrows_to_the_ticks_that_fail() {
        // Fails while the partition covers [40s, 50s].
        let fails = |f: &[Fault]| match f.first() {
            Some(Fault::Partition { start: FaultStart { at: Some(at), .. }, end, .. }) => {
                at.0 <= Duration::from_secs(40) && end.until.is_none_or(|u| u.0 >= Duration::from_secs(50))
            }
            _ => false,
        };
        let tick = Duration::from_secs(1);
        let horizon = Duration::from_secs(600);
        assert_eq!(narrow_window(&[partition(10, Some(300))], 0, tick, horizon, &fails), partition(40, Some(50)));
        assert_eq!(narrow_window(&[partition(0, None)], 0, tick, horizon, &fails), partition(40, Some(50)));
        let crash = |at: u64, after: u64| Fault::Crash {
            host: "agent-server".into(),
            start: FaultStart::at_time(SimDuration::secs(at)),
            restart_after: Some(SimDuration::secs(after)),
        };
        let crash_fails = |f: &[Fault]| match f.first() {
            Some(Fault::Crash { start: FaultStart { at: Some(at), .. }, restart_after: Some(r), .. }) => {
                at.0 <= Duration::from_secs(20) && at.0 + r.0 >= Duration::from_secs(30)
            }
            _ => false,
        };
        assert_eq!(narrow_window(&[crash(5, 100)], 0, tick, horizon, &crash_fails), crash(20, 10));
    }

    /// The window `[at, at + lasts]` a partition covers (the swarm draws its faults so).
    fn lasting(at: u64, lasts: u64) -> Fault {
        Fault::Partition {
            between: ["studio".into(), "daytona".into()],
            start: FaultStart::at_time(SimDuration::secs(at)),
            end: FaultEnd::lasting(SimDuration::secs(lasts)),
        }
    }

    #[test]
    fn a_lasting_window_narrows_to_the_ticks_that_fail_and_keeps_lasts() {
        // Fails while the partition covers [40s, 50s].
        let fails = |f: &[Fault]| match f.first() {
            Some(Fault::Partition { start: FaultStart { at: Some(at), .. }, end, .. }) => {
                let stop = end.lasts.map(|l| at.0 + l.0);
                at.0 <= Duration::from_secs(40) && stop.is_some_and(|s| s >= Duration::from_secs(50))
            }
            _ => false,
        };
        let (tick, horizon) = (Duration::from_secs(1), Duration::from_secs(600));
        assert_eq!(narrow_window(&[lasting(10, 290)], 0, tick, horizon, &fails), lasting(40, 10));
        // Each call is a whole simulated run: the two bisections' (over 290 ticks, then 260), nothing more.
        let runs = std::cell::Cell::new(0);
        let counted = |f: &[Fault]| {
            runs.set(runs.get() + 1);
            fails(f)
        };
        narrow_window(&[lasting(10, 290)], 0, tick, horizon, &counted);
        assert_eq!(runs.get(), 16);
        // At 100 ms a tick, the window is found to the tick.
        let fails = |f: &[Fault]| match f.first() {
            Some(Fault::Partition { start: FaultStart { at: Some(at), .. }, end, .. }) => {
                let stop = end.lasts.map(|l| at.0 + l.0);
                at.0 <= Duration::from_millis(4_300) && stop.is_some_and(|s| s >= Duration::from_millis(4_700))
            }
            _ => false,
        };
        let narrowed = narrow_window(&[lasting(1, 29)], 0, Duration::from_millis(100), horizon, &fails);
        let Fault::Partition { start, end, .. } = narrowed else { panic!("a partition stays a partition") };
        assert_eq!(
            (start.at, end.lasts, end.until),
            (Some(SimDuration(Duration::from_millis(4_300))), Some(SimDuration(Duration::from_millis(400))), None)
        );
    }

    #[test]
    fn a_start_between_ticks_is_kept_when_no_later_tick_fails_and_the_end_narrows_from_it() {
        // Fails when the partition begins after a request sent at 10.2s and before its answer at 10.5s, and
        // covers 50s: a start the bisection cannot move, and one a whole tick earlier no longer fails.
        let at = |ms: u64| FaultStart::at_time(SimDuration(Duration::from_millis(ms)));
        let fails = |f: &[Fault]| match f.first() {
            Some(Fault::Partition { start: FaultStart { at: Some(at), .. }, end, .. }) => {
                let window = Duration::from_millis(10_200)..=Duration::from_millis(10_500);
                window.contains(&at.0) && end.until.is_some_and(|u| u.0 >= Duration::from_secs(50))
            }
            _ => false,
        };
        let partition = |until: u64| Fault::Partition {
            between: ["studio".into(), "daytona".into()],
            start: at(10_500),
            end: FaultEnd::until_time(SimDuration::secs(until)),
        };
        let (tick, horizon) = (Duration::from_secs(1), Duration::from_secs(600));
        assert_eq!(narrow_window(&[partition(300)], 0, tick, horizon, &fails), partition(50));
    }

    #[test]
    fn an_event_triggered_fault_keeps_its_trigger_and_gets_the_shortest_length_that_fails() {
        let crash = |after: Option<u64>| Fault::Crash {
            host: "agent-server".into(),
            start: FaultStart::on_event(Trigger::FirstToolCall("curator".into())),
            restart_after: after.map(SimDuration::secs),
        };
        // Fails while the host stays down at least 30s after the event.
        let fails = |f: &[Fault]| match f.first() {
            Some(Fault::Crash { start: FaultStart { at: None, on: Some(_), .. }, restart_after, .. }) => {
                restart_after.is_none_or(|r| r.0 >= Duration::from_secs(30))
            }
            _ => false,
        };
        let (tick, horizon) = (Duration::from_secs(1), Duration::from_secs(600));
        assert_eq!(narrow_window(&[crash(Some(100))], 0, tick, horizon, &fails), crash(Some(30)));
        // A crash that never restarts gets a restart when one still fails.
        assert_eq!(narrow_window(&[crash(None)], 0, tick, horizon, &fails), crash(Some(30)));
        // A fault that fails only when it never ends keeps no end.
        let forever = |f: &[Fault]| matches!(f.first(), Some(Fault::Crash { restart_after: None, .. }));
        assert_eq!(narrow_window(&[crash(None)], 0, tick, horizon, &forever), crash(None));
        // An event-triggered partition's end is a `lasts` (an `until` needs `at`).
        let partition = |lasts: Option<u64>| Fault::Partition {
            between: ["studio".into(), "daytona".into()],
            start: FaultStart::on_event(Trigger::RunLaunched),
            end: lasts.map_or(FaultEnd::NEVER, |l| FaultEnd::lasting(SimDuration::secs(l))),
        };
        let fails = |f: &[Fault]| match f.first() {
            Some(Fault::Partition { start: FaultStart { on: Some(_), .. }, end, .. }) => {
                end.until.is_none() && end.lasts.is_none_or(|l| l.0 >= Duration::from_secs(7))
            }
            _ => false,
        };
        assert_eq!(narrow_window(&[partition(None)], 0, tick, horizon, &fails), partition(Some(7)));
    }

    #[test]
    fn bisection_finds_the_last_tick_that_holds_from_either_side() {
        assert_eq!(bisect(0, 100, |t| t <= 37), 37, "the latest that holds, searching up");
        assert_eq!(bisect(100, 0, |t| t >= 37), 37, "the earliest that holds, searching down");
        assert_eq!(bisect(5, 6, |_| unreachable!("adjacent ticks: nothing to try")), 5);
        assert_eq!(bisect(5, 5, |_| unreachable!("one tick: nothing to try")), 5);
    }

    #[test]
    fn a_shrunk_schedule_is_written_in_the_scenario_format() {
        let yaml = faults_yaml(&[partition(40, Some(50))]);
        assert!(yaml.contains("- partition:") && yaml.contains("until: 50s"), "{yaml}");
    }
}
