//! Coverage of one run: the probes the model hit while it ran
//! ([`crate::base::probe`]: blockers, walls fired, faults begun, service
//! faults that answered a request) and the ones read from its outcome
//! afterwards (walls cleared or left standing, the diagnosis plane, the
//! platform agent's symptoms, the run's status).
//!
//! Guarantees: probing changes nothing in a run; the counts are in probe-name order.

use std::collections::BTreeMap;

use crate::base::probe;
use crate::engine::outcome::Outcome;

/// Marks the probes `outcome` reaches (call it while the run's probes are counting).
pub(crate) fn probe_outcome(outcome: &Outcome) {
    for w in &outcome.walls {
        let standing =
            outcome.sessions.iter().any(|s| s.agent_id == w.agent_id && s.wall_code.as_ref() == Some(&w.wall));
        probe::hit(if standing { "wall_standing" } else { "wall_cleared" }, &w.wall);
    }
    if let Some(d) = &outcome.diagnosis {
        probe::hit("diagnosis_plane", d.plane.name());
    }
    for s in outcome.platform_agent.iter().flat_map(|p| p.symptoms.iter()) {
        probe::hit("platform_agent_symptom", s.code());
    }
    probe::hit("run_status", outcome.run.as_ref().map_or("not_launched", |r| r.status.as_str()));
}

/// Probe counts summed over runs: for each probe, (runs that reached it, hits in all).
pub fn tally<'a>(runs: impl IntoIterator<Item = &'a BTreeMap<String, u64>>) -> BTreeMap<String, (u64, u64)> {
    let mut total: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for run in runs {
        for (name, hits) in run {
            let entry = total.entry(name.clone()).or_default();
            entry.0 += 1;
            entry.1 += hits;
        }
    }
    total
}
