//! What a sweep runs: the seeds and shard the command line gives, parsed and
//! bounded, and the (scenario, seed) list they make.

use std::ops::RangeInclusive;
use std::time::Duration;

use crate::scenario::SimDuration;
use crate::tools::report::sweep::Shard;

pub(super) fn parse_shard(text: &str) -> Result<Shard, String> {
    let (i, n) = text.split_once('/').ok_or_else(|| format!("expected I/N such as 1/4, got `{text}`"))?;
    let index: usize = i.trim().parse().map_err(|_| format!("expected a shard number in `{text}`"))?;
    let count: usize = n.trim().parse().map_err(|_| format!("expected a shard count in `{text}`"))?;
    if count == 0 || index == 0 || index > count {
        return Err(format!("expected 1 <= I <= N in I/N, got `{text}`"));
    }
    Ok(Shard { index, count })
}

pub(super) fn parse_seed_count(text: &str) -> Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(0) => Err("a sweep of 0 seeds runs nothing: give at least 1".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("expected a number of seeds such as 200, got `{text}`")),
    }
}

pub(super) fn parse_seed_range(text: &str) -> Result<RangeInclusive<u64>, String> {
    let bad = || format!("expected A..B (B excluded) or A..=B (B included), got `{text}`");
    let (a, b, inclusive) = match text.split_once("..=") {
        Some((a, b)) => (a, b, true),
        None => text.split_once("..").map(|(a, b)| (a, b, false)).ok_or_else(bad)?,
    };
    let start: u64 = a.trim().parse().map_err(|_| bad())?;
    let end: u64 = b.trim().parse().map_err(|_| bad())?;
    let end = if inclusive { end } else { end.checked_sub(1).ok_or_else(|| format!("`{text}` holds no seed"))? };
    if end < start {
        return Err(format!("`{text}` holds no seed"));
    }
    Ok(start..=end)
}

pub(super) fn parse_jitter(text: &str) -> Result<SimDuration, String> {
    let d = SimDuration::parse(text)?;
    if d.0 < Duration::from_millis(1) || d.0 > Duration::from_secs(10) {
        return Err(format!("expected a jitter between 1ms and 10s, got `{text}`"));
    }
    Ok(d)
}

/// The most (scenario, seed) items one sweep (or shard) runs: each keeps its
/// result in memory until the sweep ends.
pub const MAX_SWEEP_ITEMS: u128 = 1_000_000;

/// One (scenario, seed) of a sweep's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Item {
    /// Index into the sweep's scenarios.
    pub scenario: usize,
    pub seed: u64,
}

/// The (scenario, seed) list of a sweep over `scenarios` scenarios, in
/// (scenario, seed) order, keeping only `shard`'s items.
pub fn items(scenarios: usize, seeds: RangeInclusive<u64>, shard: Option<Shard>) -> Vec<Item> {
    (0..scenarios)
        .flat_map(|i| seeds.clone().map(move |seed| Item { scenario: i, seed }))
        .enumerate()
        .filter(|(position, _)| shard.is_none_or(|s| s.holds(*position)))
        .map(|(_, item)| item)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_ranges_read_like_rust_ranges() {
        assert_eq!(parse_seed_range("3..6").unwrap(), 3..=5);
        assert_eq!(parse_seed_range("3..=6").unwrap(), 3..=6);
        assert_eq!(parse_seed_range("17..=17").unwrap(), 17..=17);
        assert!(parse_seed_range("5..5").unwrap_err().contains("holds no seed"));
        assert!(parse_seed_range("6..=5").is_err());
        assert!(parse_seed_range("five").unwrap_err().contains("expected A..B"));
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
