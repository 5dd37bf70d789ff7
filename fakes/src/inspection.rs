//! What a fake remembers only so that it can be inspected (by tests, the
//! diagnosis, `squadsim explain`), bounded.
//!
//! A fake served for hours by `squadsim serve`, or flooded with refused
//! requests, must not grow without end: an [`InspectionLog`] keeps the latest
//! entries and counts every one, and [`clipped`] bounds the text an entry
//! quotes from a request.
//!
//! Guarantees: [`InspectionLog::total`] counts every entry ever appended, exactly;
//! at most `capacity` entries are kept (the latest, oldest first); memory is
//! bounded by `capacity` times the largest entry.

use std::collections::VecDeque;

/// The most characters of request text (a path, a header, a reason) an entry keeps.
pub const MAX_QUOTED_CHARS: usize = 256;

/// `text` cut to [`MAX_QUOTED_CHARS`] characters, marked with `…` when it was longer.
pub fn clipped(text: &str) -> String {
    match text.char_indices().nth(MAX_QUOTED_CHARS) {
        None => text.to_string(),
        Some((end, _)) => format!("{}…", &text[..end]),
    }
}

/// The latest `capacity` entries of a log and the count of all of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InspectionLog<T> {
    capacity: usize,
    total: u64,
    entries: VecDeque<T>,
}

impl<T> InspectionLog<T> {
    /// An empty log keeping at most `capacity` entries (at least one).
    pub fn new(capacity: usize) -> Self {
        InspectionLog { capacity: capacity.max(1), total: 0, entries: VecDeque::new() }
    }

    /// Appends `entry`, forgetting the oldest one when the log is full.
    pub fn push(&mut self, entry: T) {
        if self.entries.len() == self.capacity {
            self.entries.pop_front();
        }
        self.entries.push_back(entry);
        self.total += 1;
    }

    /// How many entries were ever appended.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// The entries kept, oldest first.
    pub fn recent(&self) -> impl ExactSizeIterator<Item = &T> {
        self.entries.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_log_keeps_the_latest_entries_and_counts_all() {
        let mut log = InspectionLog::new(3);
        for i in 0..10 {
            log.push(i);
        }
        assert_eq!(log.total(), 10);
        assert_eq!(log.recent().copied().collect::<Vec<_>>(), [7, 8, 9]);
    }

    #[test]
    fn quoted_text_is_clipped_on_a_character_boundary() {
        assert_eq!(clipped("/mcp"), "/mcp");
        let long = "é".repeat(MAX_QUOTED_CHARS + 5);
        let cut = clipped(&long);
        assert_eq!(cut.chars().count(), MAX_QUOTED_CHARS + 1);
        assert!(cut.ends_with('…'));
    }
}
