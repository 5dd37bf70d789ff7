//! `sometimes:` (Antithesis's "sometimes" assertions): coverage probes a seed
//! sweep must reach at least once, and the catalogue of every probe the model
//! marks ([`probes`]), which a sweep's coverage table lists reached or not.
//!
//! A probe is `kind:name`: `blocker:<code>`, `wall_fired:<wall>`,
//! `wall_cleared:<wall>`, `wall_standing:<wall>`, `diagnosis_plane:<plane>`,
//! `platform_agent_symptom:<symptom>`, `run_status:<status>`,
//! `fault_began:<kind>`, `fault_hit:<kind>` (a service fault that answered
//! at least one request) and `crash_during:<host>` (a crash of the host cut off
//! a call it was serving: one hit per call).
//!
//! Guarantees: the catalogue is built from the delivery language and the
//! format's own lists, in a fixed order; a `sometimes:` entry outside it is
//! refused when the scenario loads.

use squadsim_conformance::vocabulary::{BlockerCode, Wall};

use super::invariants::{Symptom, DIAGNOSIS_PLANES, RUN_STATUSES};
use super::FaultKind;
use crate::base::topology::Host;

/// The kinds of fault whose hits are counted (`fault_hit:<kind>`): the service faults.
pub const COUNTED_FAULT_KINDS: [&str; 3] = ["service_status", "service_slow", "service_hang"];

/// Every probe the model marks, in catalogue order.
pub fn probes() -> Vec<String> {
    let mut all = Vec::new();
    all.extend(BlockerCode::ALL.iter().map(|c| format!("blocker:{}", c.as_str())));
    for kind in ["wall_fired", "wall_cleared", "wall_standing"] {
        all.extend(Wall::ALL.iter().map(|w| format!("{kind}:{}", w.code())));
    }
    all.extend(DIAGNOSIS_PLANES.iter().filter(|p| **p != "none").map(|p| format!("diagnosis_plane:{p}")));
    all.extend(Symptom::ALL.iter().map(|s| format!("platform_agent_symptom:{}", s.code())));
    all.extend(RUN_STATUSES.iter().map(|s| format!("run_status:{s}")));
    all.extend(FaultKind::ALL.iter().map(|k| format!("fault_began:{}", k.name())));
    all.extend(COUNTED_FAULT_KINDS.iter().map(|k| format!("fault_hit:{k}")));
    all.extend(Host::ALL.iter().filter(|h| **h != Host::Operator).map(|h| format!("crash_during:{}", h.name())));
    all
}
