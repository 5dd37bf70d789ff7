//! How every `squadsim` command ends: one exit status for `run`, `lint`,
//! `wire`, `conform`, `merge-reports`, `explain` and `serve`.
//!
//! Guarantee: the three statuses mean the same thing for every command (the
//! README's table, `squadsim --help`'s "Exit status"): 0 the check passed, 1 it
//! ran and found something, 2 it could not run. A command never exits 0 when a
//! scenario, file or payload it was given was not checked.

use std::process::ExitCode;

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Everything given was checked and passed (no violation, every outcome matches).
    Passed = 0,
    /// Everything given was checked, and something failed (a violation, a differing outcome, a broken invariant).
    Failed = 1,
    /// The command could not do its work: bad arguments, config or input, an I/O error, a file
    /// or scenario named on the command line that could not be checked.
    Unusable = 2,
}

impl ExitStatus {
    /// `Failed` when `failed` is nonzero, else `Passed`.
    pub fn of_failures(failed: usize) -> ExitStatus {
        if failed > 0 {
            ExitStatus::Failed
        } else {
            ExitStatus::Passed
        }
    }
}

impl From<ExitStatus> for ExitCode {
    fn from(s: ExitStatus) -> ExitCode {
        ExitCode::from(s as u8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_failure_fails_and_none_passes() {
        assert_eq!(ExitStatus::of_failures(0), ExitStatus::Passed);
        assert_eq!(ExitStatus::of_failures(1), ExitStatus::Failed);
        assert_eq!(ExitStatus::of_failures(7), ExitStatus::Failed);
        assert_eq!([ExitStatus::Passed, ExitStatus::Failed, ExitStatus::Unusable].map(|s| s as u8), [0, 1, 2]);
    }
}
