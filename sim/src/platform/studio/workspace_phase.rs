//! `executionWorkspacePhase`: where an agent session's execution workspace is
//! (`docs/seeds.md`, delivery-language seed: "New application code should
//! read/write blocker_code, wall_code, executionWorkspacePhase, and AGENT_HUD_STATUS").
//!
//! The phase is read, never assumed: from the Daytona sandbox's state (as its API
//! last reported it) through the Temporal-owned phases the Harness Runtime runs
//! an attempt in ([`Phase`]), to how the attempt left the workspace.
//!
//! Guarantees: the label of a phase in progress names the Temporal phase and the
//! sandbox state Daytona last reported (`workspace_start (sandbox creating)`); a
//! phase the lifecycle ended says so (`workspace_start ended`); `released` only
//! once Daytona confirmed the sandbox destroyed. The phase names are the
//! model's: the seeds name the field, not its values.

use serde::Serialize;

use crate::platform::studio::temporal_lifecycle::Phase;

/// Where a session's execution workspace is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum ExecutionWorkspacePhase {
    /// A Temporal-owned phase is running; the sandbox's state as Daytona last
    /// reported it (none before the sandbox exists).
    In { phase: Phase, sandbox_state: Option<String> },
    /// The lifecycle ended the phase: its deadline passed or its activity failed for good.
    Ended { phase: Phase, sandbox_state: Option<String> },
    /// The agent process exited; the workspace is still leased.
    ProcessExited,
    /// Daytona destroyed the sandbox (the run was cleaned up).
    Released,
}

impl ExecutionWorkspacePhase {
    /// The start of an attempt: the sandbox is being created.
    pub(crate) fn provisioning() -> Self {
        ExecutionWorkspacePhase::In { phase: Phase::WorkspaceProvision, sandbox_state: None }
    }

    /// The sandbox state Daytona reported last, if the workspace has one.
    fn sandbox_state(&self) -> Option<&str> {
        match self {
            ExecutionWorkspacePhase::In { sandbox_state, .. }
            | ExecutionWorkspacePhase::Ended { sandbox_state, .. } => sandbox_state.as_deref(),
            ExecutionWorkspacePhase::ProcessExited | ExecutionWorkspacePhase::Released => None,
        }
    }

    /// `phase` begins; the sandbox state stays what Daytona reported last.
    pub(crate) fn enter(&self, phase: Phase) -> Self {
        ExecutionWorkspacePhase::In { phase, sandbox_state: self.sandbox_state().map(str::to_string) }
    }

    /// Daytona reported the sandbox in `state`; the phase goes on (an answer
    /// that names no state changes nothing).
    pub(crate) fn with_sandbox_state(&self, state: &str) -> Self {
        match self {
            ExecutionWorkspacePhase::In { phase, .. } if !state.is_empty() => {
                ExecutionWorkspacePhase::In { phase: *phase, sandbox_state: Some(state.to_string()) }
            }
            other => other.clone(),
        }
    }

    /// The lifecycle ended the phase in progress.
    pub(crate) fn end(&self) -> Self {
        match self {
            ExecutionWorkspacePhase::In { phase, sandbox_state } => {
                ExecutionWorkspacePhase::Ended { phase: *phase, sandbox_state: sandbox_state.clone() }
            }
            other => other.clone(),
        }
    }

    /// As session state and outcomes show it.
    pub fn label(&self) -> String {
        let with_sandbox = |name: String, state: &Option<String>| match state {
            Some(state) => format!("{name} (sandbox {state})"),
            None => name,
        };
        match self {
            ExecutionWorkspacePhase::In { phase, sandbox_state } => {
                with_sandbox(phase.name().to_string(), sandbox_state)
            }
            ExecutionWorkspacePhase::Ended { phase, sandbox_state } => {
                with_sandbox(format!("{} ended", phase.name()), sandbox_state)
            }
            ExecutionWorkspacePhase::ProcessExited => "process_exited".to_string(),
            ExecutionWorkspacePhase::Released => "released".to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sandbox_state_travels_through_the_phases_until_the_process_exits() {
        let p = ExecutionWorkspacePhase::provisioning();
        assert_eq!(p.label(), "workspace_provision");
        let p = p.enter(Phase::WorkspaceStart).with_sandbox_state("creating");
        assert_eq!(p.label(), "workspace_start (sandbox creating)");
        assert_eq!(p.end().label(), "workspace_start ended (sandbox creating)");
        let p = p.with_sandbox_state("started").enter(Phase::ProcessRun);
        assert_eq!(p.label(), "process_run (sandbox started)");
        assert_eq!(ExecutionWorkspacePhase::ProcessExited.with_sandbox_state("started").label(), "process_exited");
        assert_eq!(ExecutionWorkspacePhase::Released.end().label(), "released");
    }
}
