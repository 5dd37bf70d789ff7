//! What happens during a run, reported where it happens: the tracing emitters
//! of the run record. The modelled services call these; the engine's run-record
//! collector gathers them (as `tracing` events and spans under [`RUN_RECORD`]) into
//! the run record the HTML report and the Chrome trace are drawn from.
//!
//! Blockers and walls fired are also coverage probes ([`crate::base::probe`]).
//!
//! Guarantees: reporting changes nothing in a run (with no collector
//! installed, every call is a no-op), and each event carries only what its
//! arguments say: the collector times it in simulated time.

/// The `tracing` target of everything the run record collects.
pub(crate) const RUN_RECORD: &str = "squadsim::run";

/// Reports that an agent's session was blocked (the moment, for the run record).
pub(crate) fn blocker(agent_id: &str, code: &str) {
    crate::base::probe::hit("blocker", code);
    tracing::info!(target: RUN_RECORD, agent_id, code, "blocker");
}

/// Reports that a mechanical wall fired for an agent.
pub(crate) fn wall(agent_id: &str, wall: &str) {
    crate::base::probe::hit("wall_fired", wall);
    tracing::info!(target: RUN_RECORD, agent_id, code = wall, "wall");
}

/// Reports a handoff delivered into the recipient's mailbox.
pub(crate) fn handoff(sender: &str, recipient: &str, intent: &str) {
    tracing::info!(target: RUN_RECORD, agent_id = sender, recipient, intent, "handoff");
}

/// Reports that an agent's workspace shim refused a tool call (its agent-facing
/// name) before it left: no wildcard of the loadout's allow-list admits it.
pub(crate) fn tool_call_refused(agent_id: &str, tool: &str) {
    tracing::info!(target: RUN_RECORD, agent_id, code = tool, "refusal");
}

/// The span of one agent attempt: hold it for as long as the attempt runs.
pub(crate) fn attempt_span(agent_id: &str, attempt: u32) -> tracing::Span {
    tracing::info_span!(target: RUN_RECORD, "attempt", agent_id, attempt)
}
