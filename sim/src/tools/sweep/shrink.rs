//! Shrinking a failing seed's fault schedule to the smallest one that still fails.

use std::time::Duration;

use serde::Serialize;

use super::runner::check_seed;
use crate::engine::world::Network;
use crate::scenario::{Fault, Scenario, SimDuration};

/// The smallest fault schedule under which `seed` still breaks `scenario`'s
/// invariants on `network`: delta debugging over the entries (ddmin), then each
/// remaining entry's window narrowed (its start as late and its end as early
/// as still fails). Assumes the full schedule fails.
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
fn ddmin<T: Clone>(mut items: Vec<T>, fails: &dyn Fn(&[T]) -> bool) -> Vec<T> {
    if fails(&[]) {
        return Vec::new();
    }
    let mut n = 2usize;
    while items.len() >= 2 {
        let chunk = items.len().div_ceil(n);
        let parts: Vec<Vec<T>> = items.chunks(chunk).map(<[T]>::to_vec).collect();
        if let Some(part) = parts.iter().find(|p| fails(p)) {
            items = part.clone();
            n = 2;
            continue;
        }
        let complement = |k: usize| -> Vec<T> {
            parts.iter().enumerate().filter(|(j, _)| *j != k).flat_map(|(_, p)| p.iter().cloned()).collect()
        };
        if let Some(rest) = (0..parts.len()).map(complement).find(|c| fails(c)) {
            items = rest;
            n = (n - 1).max(2);
            continue;
        }
        if n >= items.len() {
            break;
        }
        n = (2 * n).min(items.len());
    }
    items
}

/// Fault `i` of `faults` with its window `[at, until]` (or `[at, at +
/// restart_after]`) narrowed by bisection in whole ticks while the schedule
/// still fails. A fault with no end gets one when a bounded window still fails.
/// Works on any fault kind whose fields are named `at`, `until` or `restart_after`.
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
    let Some(at) = duration("at") else { return faults[i].clone() };
    let end_key = if fields.contains_key("restart_after") || kind == "crash" {
        "restart_after"
    } else if fields.contains_key("lasts") {
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
        f.insert("at".into(), serde_json::Value::String(String::from(SimDuration(start))));
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
    let mut try_fault = |f: Option<Fault>| -> Option<Fault> {
        let f = f?;
        schedule[i] = f.clone();
        fails(&schedule).then_some(f)
    };
    let has_end = duration(end_key).is_some();
    let mut best = faults[i].clone();
    let mut stop = if has_end { Some(end) } else { None };
    // A bounded window ending at the horizon, if the fault had none.
    if !has_end {
        if let Some(f) = try_fault(build(at, Some(end))) {
            best = f;
            stop = Some(end);
        }
    }
    let bound = stop.unwrap_or(horizon);
    let ticks = |d: Duration| (d.as_nanos() / tick.as_nanos().max(1)) as u64;
    let at_tick = |t: u64| tick * t as u32;
    // The latest start that still fails: bisect over [at, bound).
    let (mut lo, mut hi) = (ticks(at), ticks(bound));
    while hi > lo + 1 {
        let mid = lo + (hi - lo) / 2;
        match try_fault(build(at_tick(mid), stop)) {
            Some(f) => {
                best = f;
                lo = mid;
            }
            None => hi = mid,
        }
    }
    let start = at_tick(lo);
    // The earliest end that still fails: bisect over (start, bound].
    if let Some(end) = stop {
        let (mut lo, mut hi) = (ticks(start), ticks(end));
        while hi > lo + 1 {
            let mid = lo + (hi - lo) / 2;
            match try_fault(build(start, Some(at_tick(mid)))) {
                Some(f) => {
                    best = f;
                    hi = mid;
                }
                None => lo = mid,
            }
        }
    }
    best
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
    use crate::scenario::{FaultEnd, FaultStart};

    #[test]
    fn ddmin_finds_the_one_entry_that_matters() {
        let items: Vec<u32> = (0..13).collect();
        assert_eq!(ddmin(items.clone(), &|s: &[u32]| s.contains(&7)), vec![7]);
        assert_eq!(ddmin(items.clone(), &|s: &[u32]| s.contains(&2) && s.contains(&11)), vec![2, 11]);
        assert_eq!(ddmin(items, &|_: &[u32]| true), Vec::<u32>::new(), "fails with nothing: empty");
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

    #[test]
    fn a_shrunk_schedule_is_written_in_the_scenario_format() {
        let yaml = faults_yaml(&[partition(40, Some(50))]);
        assert!(yaml.contains("- partition:") && yaml.contains("until: 50s"), "{yaml}");
    }
}
