//! `sometimes:` (Antithesis's "sometimes" assertions): coverage probes a seed
//! sweep must reach at least once, and the catalogue of every probe the model
//! marks ([`probes`]), which a sweep's coverage table lists reached or not.
//!
//! A probe is `kind:name`: `blocker:<code>`, `wall_fired:<wall>`,
//! `wall_cleared:<wall>`, `wall_standing:<wall>`, `diagnosis_plane:<plane>`,
//! `platform_agent_symptom:<symptom>`, `run_status:<status>`,
//! `fault_began:<kind>`, `fault_hit:<kind>` (a service fault that answered
//! at least one request), `crash_during:<host>` (a crash of the host cut off
//! a call it was serving: one hit per call) and `crash_during_tool_call:<tool>`
//! (a crash began on an agent's `tools/call` of the tool, named
//! `mcp__<server_id>__<tool>`, held at the gateway's door: every registered tool).
//!
//! Guarantees: the catalogue is built from the delivery language and the
//! format's own lists, in a fixed order; a `sometimes:` entry outside it is
//! refused when the scenario loads.

use squadsim_conformance::tool_name;
use squadsim_conformance::vocabulary::{BlockerCode, Wall};

use super::invariants::{Symptom, DIAGNOSIS_PLANES, RUN_STATUSES};
use super::FaultKind;
use crate::base::loadouts;
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
    let tools = loadouts::SERVERS.iter().flat_map(|s| s.tools.iter().map(|bare| (s.server_id, *bare)));
    all.extend(
        tools.map(|(server, bare)| format!("crash_during_tool_call:{}", tool_name::agent_facing_name(server, bare))),
    );
    all
}
