//! The allocator the binaries use (mimalloc, built with `no_thp`) does not ask
//! the kernel for transparent huge pages: a buffer costs the 4 KiB pages
//! written to, not the 2 MiB page around it. A simulation holds thousands of
//! connections, each with 8 KiB buffers of which a request or a response
//! writes a few hundred bytes; with huge pages they were resident whole
//! (`docs/performance.md`, "Memory per connection").

// Links the benchmarks' `#[global_allocator]` (the one `squadsim` uses) into this test.
use squadsim_benches as _;

/// Resident bytes of this process (`/proc/self/statm`, in 4 KiB pages).
fn resident() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("statm");
    let pages: usize = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).expect("resident pages");
    pages * 4096
}

#[test]
fn a_buffer_written_at_its_start_costs_one_page_not_a_huge_page() {
    // Only the `madvise` mode shows what the allocator asks for: `always` backs
    // every large mapping with huge pages whatever it asks, `never` none.
    let mode = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled").unwrap_or_default();
    if !mode.contains("[madvise]") {
        eprintln!("transparent huge pages not in madvise mode ({}): nothing to observe", mode.trim());
        return;
    }
    const BUFFERS: usize = 8192;
    const SIZE: usize = 8192;
    let before = resident();
    let mut buffers: Vec<Vec<u8>> = Vec::with_capacity(BUFFERS);
    for i in 0..BUFFERS {
        let mut buffer = Vec::with_capacity(SIZE);
        buffer.push(i as u8);
        buffers.push(buffer);
    }
    let grown = resident().saturating_sub(before);
    let allocated = BUFFERS * SIZE;
    // One 4 KiB page of each 8 KiB buffer is written: about half of what was
    // allocated is resident. Huge pages made all of it resident.
    assert!(grown < allocated * 3 / 4, "{grown} bytes resident for {allocated} allocated, half written");
    assert_eq!(buffers.iter().map(|b| b.len()).sum::<usize>(), BUFFERS);
}

#[test]
fn the_binaries_allocator_keeps_the_pages_it_frees() {
    use squadsim::tools::allocator::{keep_freed_pages, purge_delay};
    // The option number is mimalloc's `purge_delay`: it holds mimalloc's default
    // (1,000 ms, v3 `src/options.c`) unless the environment set it.
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        assert_eq!(purge_delay(), 1000, "not mimalloc's purge delay, or another default");
    }
    keep_freed_pages();
    assert_eq!(purge_delay(), -1, "mimalloc never purges");
}
