//! A sweep's progress on stderr.

use std::io::Write;
use std::time::{Duration, Instant};

/// A sweep's progress on stderr: a bar redrawn in place at most every 100 ms
/// when a person watches a terminal; plain lines at every tenth of the work
/// otherwise (a pipe, a log file, or with `CI` set), which a log keeps readable.
pub(super) struct Progress {
    total: usize,
    done: usize,
    failed: usize,
    interactive: bool,
    started: Instant,
    drawn: Option<Instant>,
}

/// Whether progress is a bar redrawn in place: only on a terminal (`terminal`:
/// stderr is one) outside CI (`ci`: [`crate::tools::cli::under_ci`]), whose log
/// viewers show every redraw as a line of its own.
pub(super) fn drawn_in_place(terminal: bool, ci: bool) -> bool {
    terminal && !ci
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bar_is_drawn_in_place_only_on_a_terminal_outside_ci() {
        assert!(drawn_in_place(true, false));
        assert!(!drawn_in_place(true, true), "CI logs show each redraw as a line");
        assert!(!drawn_in_place(false, false), "a pipe or a file gets lines");
        assert!(!drawn_in_place(false, true));
    }

    #[test]
    fn a_bar_redraws_in_place_and_ends_its_line_and_lines_come_at_each_tenth() {
        let mut bar = Progress::new(3, true);
        let mut err = Vec::new();
        for passed in [true, false, true] {
            bar.advance(passed, &mut err);
        }
        bar.finish(&mut err);
        let text = String::from_utf8(err).unwrap();
        assert!(text.starts_with("\r[##########--------------------] 1/3 seeds, 0 failed"), "{text:?}");
        assert!(text.contains("\r[##############################] 3/3 seeds, 1 failed"), "{text:?}");
        assert!(text.ends_with(" \n") && text.matches('\n').count() == 1, "{text:?}");
        // An empty shard draws no bar, so it ends no line.
        let mut err = Vec::new();
        Progress::new(0, true).finish(&mut err);
        assert!(err.is_empty(), "{err:?}");
        let mut lines = Progress::new(25, false);
        let mut err = Vec::new();
        for done in 1..=25 {
            lines.advance(done != 4, &mut err);
        }
        lines.finish(&mut err);
        let text = String::from_utf8(err).unwrap();
        let every_third: Vec<String> = [3, 6, 9, 12, 15, 18, 21, 24, 25]
            .iter()
            .map(|d| format!("swept {d}/25 seeds, {} failed", u8::from(*d >= 4)))
            .collect();
        assert_eq!(text.lines().collect::<Vec<_>>(), every_third, "{text}");
    }
}
