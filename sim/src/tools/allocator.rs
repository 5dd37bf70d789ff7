//! How the binaries' allocator (mimalloc, the `squadsim` binary's and the
//! benchmarks' `#[global_allocator]`) is set for a simulation.
//!
//! A simulation allocates and frees the same kinds of buffers all run long (every
//! HTTP exchange, every connection opened and closed). mimalloc by default hands
//! memory freed for a second (`purge_delay`, 1,000 ms) back to the kernel, and
//! the next allocations fault it in again: at 10,000 agents that was 2.77 M page
//! faults and 4.9 s of a 33 s run in the kernel, still 3.1 s of 31.5 s with
//! hyper's smaller buffers, 0.8 s without purging (docs/performance.md, "hyper's
//! buffers start at 1 KiB, and freed pages are kept"). [`keep_freed_pages`] turns
//! purging off, so a process's memory stays at its peak until it exits (a
//! long-lived `squadsim serve` too); freed memory is reused for the next
//! allocations, so the peak itself grew 5-10% (10,000 agents: 1,657-1,703 ->
//! 1,825-1,843 MiB; 10,000 runs: 2,387-2,390 -> 2,507-2,512 MiB).
//!
//! Guarantee: only how memory goes back to the kernel changes, never what a run
//! computes (no output depends on the allocator).

/// `mi_option_purge_delay` (mimalloc's `mi_option_e`; libmimalloc-sys names the
/// options before it, `mi_option_eager_commit_delay` = 14, not this one).
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Sets mimalloc never to return freed memory to the kernel before the process
/// exits (`purge_delay` -1, as `MIMALLOC_PURGE_DELAY=-1` would, which the
/// process cannot set for itself: mimalloc reads its environment before `main`).
/// Takes effect at once, whenever it is called; harmless where mimalloc is not
/// the global allocator (it only sets mimalloc's own option).
pub fn keep_freed_pages() {
    // SAFETY: `mi_option_set` takes any option number and value; it only stores
    // the value in mimalloc's table of options, which mimalloc reads when it purges.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, -1) }
}

/// mimalloc's current `purge_delay` in milliseconds (-1: never purge).
pub fn purge_delay() -> std::ffi::c_long {
    // SAFETY: reads one entry of mimalloc's table of options.
    unsafe { libmimalloc_sys::mi_option_get(PURGE_DELAY) }
}
