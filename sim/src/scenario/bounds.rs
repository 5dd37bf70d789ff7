//! The bounds of the scenario format: the largest file, nesting, string, list,
//! duration and count a scenario may declare (documented, field by field, in
//! `scenarios/README.md`, "Bounds").
//!
//! Guarantees: every bound is checked when the scenario loads (by `locate`, the
//! duration parser and `validate`), with the field,
//! its line and a message naming the bound; every value within the bounds is
//! one the simulator can run: no duration is longer than [`MAX_DURATION`], so
//! adding two of them (a fault's start and its `lasts`, a link's base latency
//! and a fault's `extra`, the simulated clock and any timeout) stays far below
//! `Duration::MAX` and tokio's and turmoil's clocks; no count asks the world for
//! more hosts' work or memory than the figures in the README's performance section.

use std::time::Duration;

/// The largest scenario file, in bytes (1 MiB; the corpus's largest is under 2 KiB).
pub(crate) const MAX_FILE_BYTES: usize = 1 << 20;

/// The deepest nesting of lists and mappings (the format's deepest field is 5
/// levels down: `world.skills.catalogue[0].roles[0]`). serde_yaml takes minutes
/// on 100,000 levels of flow nesting; the loader stops at this one.
pub(crate) const MAX_DEPTH: usize = 64;

/// The longest string (a name, a description, a slug, a chat message), in bytes.
pub(crate) const MAX_STRING_BYTES: usize = 8 * 1024;

/// The most entries in any one list or mapping (the largest meaningful list:
/// a scripted handoff to every one of [`MAX_LANES`] lanes).
pub(crate) const MAX_ENTRIES: usize = 10_000;

/// The longest duration of any field, and so the longest horizon: one simulated day.
pub(crate) const MAX_DURATION: Duration = Duration::from_secs(24 * 3600);

/// The finest and the coarsest tick (every documented timing is whole seconds).
pub(crate) const MIN_TICK: Duration = Duration::from_millis(1);
pub(crate) const MAX_TICK: Duration = Duration::from_secs(1);

/// The shortest horizon.
pub(crate) const MIN_HORIZON: Duration = Duration::from_secs(1);

/// The most implementer lanes (each lane an agent with its own execution workspace).
pub(crate) const MAX_LANES: u32 = 10_000;

/// The most runs one launch step may start at once.
pub const MAX_LAUNCH_COUNT: u32 = 10_000;

/// The most tool calls a scripted model makes in one turn (a planner handing
/// work to every lane at once).
pub(crate) const MAX_PARALLEL_TOOL_CALLS: u32 = MAX_LANES;

/// The most Longhorn volumes of each robustness (`healthy`, `degraded`,
/// `faulted`, `unknown`), and the largest `reservation_headroom`.
pub(crate) const MAX_VOLUMES: u32 = 10_000;

/// The largest GitHub rate limit, requests an hour (GitHub's largest real one is 15,000).
pub(crate) const MAX_RATE_LIMIT: u64 = 1_000_000;

/// The most workspace bootstrap assets one launch delivers.
pub(crate) const MAX_BOOTSTRAP_ASSETS: usize = 64;

/// The most files `world.github.files` commits.
pub(crate) const MAX_REPOSITORY_FILES: usize = 256;

/// The most operator steps.
pub(crate) const MAX_STEPS: usize = 1_000;

/// The most fault entries (the schedule checks each one every tick).
pub(crate) const MAX_FAULTS: usize = 1_000;

/// The most tool calls in one role's scripted `tool_calls`.
pub(crate) const MAX_TOOL_CALLS: usize = 1_000;

/// The most errors one side of a role's preview app raises.
pub(crate) const MAX_PREVIEW_APP_ERRORS: usize = 1_000;
