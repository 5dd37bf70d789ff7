//! What a sweep runs: the seeds and shard the command line gives, parsed and
//! bounded, and the (scenario, seed) list they make.

use std::ops::RangeInclusive;
use std::time::Duration;

use crate::scenario::{DurationError, SimDuration};
use crate::tools::report::sweep::Shard;

/// Why a sweep flag (`--shard`, `--seeds`, `--seed-range`, `--jitter`) was
/// refused; clap prints it after the flag's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FlagError {
    /// `--shard` not `I/N` with 1 <= I <= N.
    Shard { text: String, problem: ShardProblem },
    /// `--seeds 0`.
    NoSeeds,
    /// `--seeds` not a number.
    SeedCount(String),
    /// `--seed-range` not `A..B` or `A..=B`.
    SeedRange(String),
    /// A `--seed-range` with no seed in it (`5..5`, `6..=5`).
    EmptySeedRange(String),
    /// `--jitter` not a duration.
    Jitter(DurationError),
    /// `--jitter` outside 1ms..=10s.
    JitterBounds(String),
    /// `--jobs` not a number in 1..=[`MAX_JOBS`].
    Jobs(String),
}

/// What is wrong with a `--shard I/N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ShardProblem {
    NoSlash,
    Index,
    Count,
    OutOfRange,
}

impl std::fmt::Display for FlagError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FlagError::Shard { text, problem: ShardProblem::NoSlash } => {
                write!(f, "expected I/N such as 1/4, got `{text}`")
            }
            FlagError::Shard { text, problem: ShardProblem::Index } => write!(f, "expected a shard number in `{text}`"),
            FlagError::Shard { text, problem: ShardProblem::Count } => write!(f, "expected a shard count in `{text}`"),
            FlagError::Shard { text, problem: ShardProblem::OutOfRange } => {
                write!(f, "expected 1 <= I <= N in I/N, got `{text}`")
            }
            FlagError::NoSeeds => write!(f, "a sweep of 0 seeds runs nothing: give at least 1"),
            FlagError::SeedCount(text) => write!(f, "expected a number of seeds such as 200, got `{text}`"),
            FlagError::SeedRange(text) => {
                write!(f, "expected A..B (B excluded) or A..=B (B included), got `{text}`")
            }
            FlagError::EmptySeedRange(text) => write!(f, "`{text}` holds no seed"),
            FlagError::Jitter(e) => write!(f, "{e}"),
            FlagError::JitterBounds(text) => write!(f, "expected a jitter between 1ms and 10s, got `{text}`"),
            FlagError::Jobs(text) => {
                write!(f, "expected a number of jobs from 1 to {MAX_JOBS} (one thread each), got `{text}`")
            }
        }
    }
}

impl std::error::Error for FlagError {}

pub(super) fn parse_shard(text: &str) -> Result<Shard, FlagError> {
    let bad = |problem| FlagError::Shard { text: text.to_string(), problem };
    let (i, n) = text.split_once('/').ok_or_else(|| bad(ShardProblem::NoSlash))?;
    let index: usize = i.trim().parse().map_err(|_| bad(ShardProblem::Index))?;
    let count: usize = n.trim().parse().map_err(|_| bad(ShardProblem::Count))?;
    if count == 0 || index == 0 || index > count {
        return Err(bad(ShardProblem::OutOfRange));
    }
    Ok(Shard { index, count })
}

pub(super) fn parse_seed_count(text: &str) -> Result<u64, FlagError> {
    match text.trim().parse::<u64>() {
        Ok(0) => Err(FlagError::NoSeeds),
        Ok(n) => Ok(n),
        Err(_) => Err(FlagError::SeedCount(text.to_string())),
    }
}

/// The most simulations a sweep runs at once: each job is a thread.
pub(crate) const MAX_JOBS: usize = 1024;

pub(super) fn parse_jobs(text: &str) -> Result<usize, FlagError> {
    match text.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_JOBS).contains(&n) => Ok(n),
        _ => Err(FlagError::Jobs(text.to_string())),
    }
}

pub(super) fn parse_seed_range(text: &str) -> Result<RangeInclusive<u64>, FlagError> {
    let bad = || FlagError::SeedRange(text.to_string());
    let empty = || FlagError::EmptySeedRange(text.to_string());
    let (a, b, inclusive) = match text.split_once("..=") {
        Some((a, b)) => (a, b, true),
        None => text.split_once("..").map(|(a, b)| (a, b, false)).ok_or_else(bad)?,
    };
    let start: u64 = a.trim().parse().map_err(|_| bad())?;
    let end: u64 = b.trim().parse().map_err(|_| bad())?;
    let end = if inclusive { end } else { end.checked_sub(1).ok_or_else(empty)? };
    if end < start {
        return Err(empty());
    }
    Ok(start..=end)
}

pub(crate) fn parse_jitter(text: &str) -> Result<SimDuration, FlagError> {
    let d = SimDuration::parse(text).map_err(FlagError::Jitter)?;
    if d.0 < Duration::from_millis(1) || d.0 > Duration::from_secs(10) {
        return Err(FlagError::JitterBounds(text.to_string()));
    }
    Ok(d)
}

/// The most (scenario, seed) items one sweep (or shard) runs: each keeps its
/// result in memory until the sweep ends.
pub const MAX_SWEEP_ITEMS: u128 = 1_000_000;

/// How many (scenario, seed) items a sweep of `scenarios` files over `seeds`
/// holds: counted, never listed, without overflow at any seed range.
pub(crate) fn whole(scenarios: usize, seeds: &RangeInclusive<u64>) -> u128 {
    scenarios as u128 * seeds_in(seeds)
}

/// How many seeds `seeds` holds (2^64 at most: a u128).
fn seeds_in(seeds: &RangeInclusive<u64>) -> u128 {
    u128::from(seeds.end() - seeds.start()) + 1
}

/// Whether the largest run of a sweep of `whole` items (the sweep, or its
/// first shard, which holds the most) would hold more than [`MAX_SWEEP_ITEMS`].
pub(crate) fn oversized(whole: u128, shard: Option<Shard>) -> bool {
    whole.div_ceil(shard.map_or(1, |s| s.count as u128)) > MAX_SWEEP_ITEMS
}

/// One (scenario, seed) of a sweep's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Item {
    /// Index into the sweep's scenarios.
    pub scenario: usize,
    pub seed: u64,
}

/// The (scenario, seed) list of a sweep over `scenarios` scenarios, in
/// (scenario, seed) order, keeping only `shard`'s items (every `count`-th from
/// position `index - 1`, as [`Shard::holds`] says). Its cost is the shard's
/// items, never the whole sweep's: a shard of a sweep of 10^15 seeds is listed
/// as fast as its own thousand.
pub fn items(scenarios: usize, seeds: RangeInclusive<u64>, shard: Option<Shard>) -> Vec<Item> {
    let per_scenario = seeds_in(&seeds);
    let total = whole(scenarios, &seeds);
    let (first, step) = shard.map_or((0, 1), |s| ((s.index - 1) as u128, s.count as u128));
    let mut items = Vec::new();
    let mut position = first;
    while position < total {
        let seed = seeds.start() + (position % per_scenario) as u64;
        items.push(Item { scenario: (position / per_scenario) as usize, seed });
        position += step;
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_ranges_read_like_rust_ranges() {
        assert_eq!(parse_seed_range("3..6").unwrap(), 3..=5);
        assert_eq!(parse_seed_range("3..=6").unwrap(), 3..=6);
        assert_eq!(parse_seed_range("17..=17").unwrap(), 17..=17);
        assert!(parse_seed_range("5..5").unwrap_err().to_string().contains("holds no seed"));
        assert!(parse_seed_range("6..=5").is_err());
        assert!(parse_seed_range("five").unwrap_err().to_string().contains("expected A..B"));
    }

    #[test]
    fn a_shards_items_are_the_whole_lists_that_it_holds_and_cost_only_its_own() {
        for (scenarios, seeds) in [(1, 1..=1), (3, 5..=11), (2, 0..=0), (4, 7..=26)] {
            let whole: Vec<Item> =
                (0..scenarios).flat_map(|i| seeds.clone().map(move |seed| Item { scenario: i, seed })).collect();
            assert_eq!(items(scenarios, seeds.clone(), None), whole);
            for count in 1..=9 {
                for index in 1..=count {
                    let shard = Shard { index, count };
                    let held: Vec<Item> =
                        whole.iter().enumerate().filter(|(p, _)| shard.holds(*p)).map(|(_, i)| *i).collect();
                    assert_eq!(items(scenarios, seeds.clone(), Some(shard)), held, "{shard} of {scenarios}x{seeds:?}");
                }
            }
        }
        // 10^15 seeds in 10^12 shards: the first shard's thousand, at once.
        let held = items(1, 1..=1_000_000_000_000_000, Some(Shard { index: 1, count: 1_000_000_000_000 }));
        assert_eq!(held.len(), 1000);
        assert_eq!((held[0].seed, held[1].seed), (1, 1_000_000_000_001));
    }

    #[test]
    fn a_sweep_or_shard_holds_at_most_a_million_items_counted_at_any_size() {
        let shard = |index, count| Some(Shard { index, count });
        assert!(!oversized(whole(1, &(1..=1_000_000)), None));
        assert!(oversized(whole(1, &(1..=1_000_001)), None));
        assert!(!oversized(whole(2, &(1..=500_000)), None));
        assert_eq!(whole(2, &(0..=500_000)), 1_000_002);
        assert!(oversized(1_000_002, None));
        // Shards: the first holds the most (whole / count, rounded up).
        assert!(!oversized(3_000_000, shard(1, 3)));
        assert!(oversized(3_000_001, shard(2, 3)));
        assert_eq!(items(1, 1..=3_000_001, shard(1, 3)).len(), 1_000_001, "the first shard is the largest");
        // The largest range of seeds, in two scenario files: counted without overflow.
        assert_eq!(whole(2, &(0..=u64::MAX)), 2 * (u128::from(u64::MAX) + 1));
    }

    #[test]
    fn shards_split_round_robin_and_cover_everything_once() {
        assert!(parse_shard("0/3").is_err());
        assert!(parse_shard("4/3").is_err());
        assert!(parse_shard("2-3").is_err());
        let shards: Vec<Shard> = (1..=3).map(|i| parse_shard(&format!("{i}/3")).unwrap()).collect();
        for position in 0..20 {
            assert_eq!(shards.iter().filter(|s| s.holds(position)).count(), 1);
        }
        assert!(shards[0].holds(0) && shards[1].holds(1) && shards[2].holds(2) && shards[0].holds(3));
    }
}
