//! What an idle kept-alive connection holds in memory, both ends and everything
//! with it (hyper's buffers and channels, turmoil's socket, the two tasks).
//!
//! A simulation keeps thousands of such connections open and opens tens of
//! thousands (a 1,000-agent `full-delivery` run opens 43,509), so their size is
//! most of a run's memory and much of its allocator's work. Two of hyper's
//! allocations were most of it (`vendor/hyper/PATCHED.md`): each HTTP/1 read and
//! write buffer starts at 8 KiB upstream, 1 KiB in the vendored hyper (growing as
//! upstream's do); and a client connection's request queue allocates its slots 32
//! at a time, each a whole request with its callback upstream (~8.5 KiB however
//! few are queued), a pointer in the vendored hyper. This test counts the bytes
//! every allocation of the simulation's thread holds, so it measures that, not an
//! estimate of it: with either of upstream's it fails.
//!
//! Its own binary: it needs its own `#[global_allocator]`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use squadsim_fakes::net::{serve_simulated, HttpClient, HttpRequest, MAX_IDLE_PER_HOST};

/// The system allocator, counting the bytes live per thread (a turmoil
/// simulation runs every host on the thread that steps it).
struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
}

fn count(delta: isize) {
    // `try_with`: an allocation while the thread's locals are torn down is not counted.
    let _ = LIVE.try_with(|live| live.set(live.get() + delta));
}

// SAFETY: every call goes straight to `System` with the caller's arguments; only
// a thread-local count is kept besides.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            count(layout.size() as isize);
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            count(layout.size() as isize);
        }
        ptr
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let moved = unsafe { System.realloc(ptr, layout, new_size) };
        if !moved.is_null() {
            count(new_size as isize - layout.size() as isize);
        }
        moved
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        count(-(layout.size() as isize));
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

fn live() -> isize {
    LIVE.with(Cell::get)
}

/// Connections opened at once (all kept idle: fewer than the pool's bound).
const CONNECTIONS: usize = 24;

/// Measured: 13,526 bytes an idle connection, both ends, with the vendored hyper;
/// 22,230 with upstream's request queue (8,704 more: 32 slots of 272 bytes instead
/// of 8), 50,902 with upstream's buffers too (28,672 more: four buffers, 7 KiB
/// each). The bound sits below both.
const AT_MOST_PER_CONNECTION: isize = 18 * 1024;

#[test]
fn an_idle_kept_alive_connection_holds_small_buffers_and_a_queue_of_pointers() {
    const { assert!(CONNECTIONS < MAX_IDLE_PER_HOST, "every connection must stay idle in the pool, none closed") };
    let mut sim = turmoil::Builder::new().rng_seed(7).simulation_duration(Duration::from_secs(60)).build();
    let router = axum::Router::new().route("/ping", axum::routing::get(|| async { "pong" }));
    sim.host("server", move || serve_simulated(router.clone(), 80));
    let held = Arc::new(Mutex::new(Vec::new()));
    let out = held.clone();
    sim.client("client", async move {
        let http = HttpClient::simulated(Duration::from_secs(5));
        // A first exchange, so the server's listener, the pool's map and the
        // client's first-use allocations are all in the baseline.
        http.send(HttpRequest::get("http://server:80/ping")).await?;
        tokio::time::sleep(Duration::from_secs(1)).await;
        let before = live();
        // All at once: each needs its own connection (the one idle one serves
        // one of them), and each goes back to the pool, idle, when answered.
        let answers =
            futures::future::join_all((0..CONNECTIONS).map(|_| http.send(HttpRequest::get("http://server:80/ping"))))
                .await;
        assert!(answers.iter().all(|a| a.as_ref().is_ok_and(|r| r.body.as_ref() == b"pong")));
        drop(answers);
        // Both ends settle: each server end back to waiting for a request.
        tokio::time::sleep(Duration::from_secs(1)).await;
        let idle = live();
        // Dropping the client closes its idle connections; the servers' ends close with them.
        drop(http);
        tokio::time::sleep(Duration::from_secs(1)).await;
        out.lock().unwrap().extend([before, idle, live()]);
        Ok(())
    });
    sim.run().unwrap();
    let held = held.lock().unwrap();
    let [before, idle, closed] = [held[0], held[1], held[2]];
    // One of the requests went on the connection already idle at `before`.
    let per_connection = (idle - before) / (CONNECTIONS as isize - 1);
    assert!(
        per_connection <= AT_MOST_PER_CONNECTION,
        "an idle connection holds {per_connection} bytes, both ends (at most {AT_MOST_PER_CONNECTION})"
    );
    // What was counted is the connections': closing them gives it back.
    assert!(closed - before < per_connection, "closed: {closed}, before: {before}, per connection {per_connection}");
}
