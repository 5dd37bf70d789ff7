//! A sweep's progress on stderr.

use std::io::Write;
use std::time::{Duration, Instant};

/// lines at every tenth of the work otherwise (or with `CI` set).
pub(super) struct Progress {
    total: usize,
    done: usize,
    failed: usize,
    interactive: bool,
    started: Instant,
    drawn: Option<Instant>,
}

impl Progress {
    pub(super) fn new(total: usize, interactive: bool) -> Self {
        Progress { total, done: 0, failed: 0, interactive, started: Instant::now(), drawn: None }
    }

    pub(super) fn advance(&mut self, passed: bool, err: &mut dyn Write) {
        self.done += 1;
        self.failed += usize::from(!passed);
        if self.interactive {
            if self.drawn.is_none_or(|t| t.elapsed() >= Duration::from_millis(100)) || self.done == self.total {
                self.drawn = Some(Instant::now());
                let width = 30;
                let filled = width * self.done / self.total.max(1);
                let _ = write!(
                    err,
                    "\r[{}{}] {}/{} seeds, {} failed, {:.0} seeds/s ",
                    "#".repeat(filled),
                    "-".repeat(width - filled),
                    self.done,
                    self.total,
                    self.failed,
                    self.done as f64 / self.started.elapsed().as_secs_f64().max(1e-9)
                );
                let _ = err.flush();
            }
        } else {
            let step = self.total.div_ceil(10).max(1);
            if self.done.is_multiple_of(step) || self.done == self.total {
                let _ = writeln!(err, "swept {}/{} seeds, {} failed", self.done, self.total, self.failed);
            }
        }
    }

    pub(super) fn finish(&mut self, err: &mut dyn Write) {
        if self.interactive && self.total > 0 {
            let _ = writeln!(err);
        }
    }
}
