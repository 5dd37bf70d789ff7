//! What runs inside a sandbox.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// A process the toolbox was asked to run.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessSpec {
    pub sandbox_id: String,
    /// The sandbox's environment (set at create) — what the process sees.
    pub env: BTreeMap<String, String>,
    pub command: String,
}

/// Where a process writes its output and exit code; readable over the toolbox API.
#[derive(Debug, Clone, Default)]
pub struct ProcessOutput {
    inner: Arc<Mutex<(String, Option<i32>)>>,
}

impl ProcessOutput {
    /// Appends one line (a newline is added).
    pub fn println(&self, line: &str) {
        if let Ok(mut g) = self.inner.lock() {
            g.0.push_str(line);
            g.0.push('\n');
        }
    }

    /// Appends text as written (no newline added).
    pub fn print(&self, text: &str) {
        if let Ok(mut g) = self.inner.lock() {
            g.0.push_str(text);
        }
    }

    /// Records the exit code; the command is finished from then on.
    pub fn exit(&self, code: i32) {
        if let Ok(mut g) = self.inner.lock() {
            g.1.get_or_insert(code);
        }
    }

    pub fn text(&self) -> String {
        self.inner.lock().map(|g| g.0.clone()).unwrap_or_default()
    }

    pub fn exit_code(&self) -> Option<i32> {
        self.inner.lock().ok().and_then(|g| g.1)
    }
}

/// Starts processes inside sandboxes. Implementations spawn a task on the current
/// (Daytona) host, so whatever the process does on the network leaves from there.
pub trait ProcessLauncher: Send + Sync + 'static {
    fn launch(&self, spec: ProcessSpec, output: ProcessOutput);
}

/// A minimal shell: `echo …` prints its arguments; anything else is `command not found` (127).
#[derive(Debug, Default, Clone, Copy)]
pub struct EchoShell;

impl ProcessLauncher for EchoShell {
    fn launch(&self, spec: ProcessSpec, output: ProcessOutput) {
        let command = spec.command.trim();
        if let Some(rest) = command.strip_prefix("echo") {
            output.println(rest.trim());
            output.exit(0);
        } else {
            let program = command.split_whitespace().next().unwrap_or_default();
            output.println(&format!("sh: 1: {program}: not found"));
            output.exit(127);
        }
    }
}
