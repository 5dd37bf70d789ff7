//! Opt-in: toolbox commands executed FOR REAL on the machine running the
//! fake (`squadsim serve --sandbox-exec local`), each sandbox in its own
//! directory. This runs arbitrary commands with the serving user's rights: it
//! is for a person poking a local fake with the SDK, never for the simulation
//! (which always uses the built-in shell, [`super::shell`]).
//!
//! Each sandbox gets `<root>/<sandbox id>/home/daytona` as its home and working
//! folder; a relative `cwd` is under the home, an absolute one under
//! `<root>/<sandbox id>` (normalized first, so `..` cannot leave it). The command
//! runs under `sh -c` with stdout and stderr in one stream, the environment
//! cleared down to `PATH`, `HOME` and the sandbox's variables, and is killed
//! after its timeout. What it writes is on the host's disk, not in the fake's
//! file API (the two do not share files in this mode).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::workspace_fs::{normalize, HOME};

/// Where host-executed sandboxes live.
#[derive(Debug, Clone)]
pub struct HostExec {
    root: PathBuf,
}

/// The longest a host command may run when the request names no timeout.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(360);

impl HostExec {
    /// Sandboxes under `root` (created if missing).
    pub fn new(root: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(root)?;
        Ok(HostExec { root: root.to_path_buf() })
    }

    /// The host directory standing for `path` inside sandbox `sandbox_id`.
    fn host_path(&self, sandbox_id: &str, path: &str) -> PathBuf {
        let inside = normalize(path);
        let sandbox: String = sandbox_id.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
        self.root.join(sandbox).join(inside.trim_start_matches('/'))
    }

    /// Runs `command` in sandbox `sandbox_id`: its combined output and exit code
    /// (124 when it ran past `timeout`, 126 when it could not be started).
    pub(super) async fn run(
        &self,
        sandbox_id: &str,
        env: BTreeMap<String, String>,
        cwd: Option<&str>,
        command: &str,
        timeout: Option<Duration>,
    ) -> (String, i32) {
        let home = self.host_path(sandbox_id, HOME);
        let dir = self.host_path(sandbox_id, cwd.unwrap_or(HOME));
        let command = format!("exec 2>&1\n{command}");
        let limit = timeout.unwrap_or(DEFAULT_TIMEOUT);
        let job = move || -> (String, i32) {
            if let Err(e) = std::fs::create_dir_all(&home).and_then(|()| std::fs::create_dir_all(&dir)) {
                return (format!("sh: 1: cannot make the sandbox directory: {e}\n"), 126);
            }
            let mut child = match Command::new("sh")
                .arg("-c")
                .arg(&command)
                .current_dir(&dir)
                .env_clear()
                .env("PATH", std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into()))
                .env("HOME", &home)
                .envs(&env)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
            {
                Ok(c) => c,
                Err(e) => return (format!("sh: 1: cannot start sh: {e}\n"), 126),
            };
            let mut stdout = child.stdout.take();
            let reader = std::thread::spawn(move || {
                let mut out = Vec::new();
                if let Some(s) = stdout.as_mut() {
                    let _ = s.take(super::shell::MAX_OUTPUT as u64).read_to_end(&mut out);
                }
                out
            });
            let started = Instant::now();
            let code = loop {
                match child.try_wait() {
                    Ok(Some(status)) => break status.code().unwrap_or(128),
                    Ok(None) if started.elapsed() >= limit => {
                        let _ = child.kill();
                        let _ = child.wait();
                        break 124;
                    }
                    Ok(None) => std::thread::sleep(Duration::from_millis(10)),
                    Err(_) => break 126,
                }
            };
            let out = reader.join().unwrap_or_default();
            (String::from_utf8_lossy(&out).into_owned(), code)
        };
        tokio::task::spawn_blocking(job).await.unwrap_or_else(|_| (String::new(), 126))
    }
}
