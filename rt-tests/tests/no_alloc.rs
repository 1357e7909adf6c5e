//! The hot WASI calls do not touch the heap: `clock_time_get` and a non-blocking
//! `poll_oneoff` (one clock with timeout 0, and one with 1 ns, which has passed by
//! the time it is checked), on the precise path, with tracing off.
//!
//! A counting global allocator counts the allocations made on the calling thread.
//! The guest exports one loop per call; the test calls each export with 0 and with
//! `CALLS` iterations after a warm-up, so whatever the host-to-guest call itself
//! allocates cancels out, and requires the same count for both.

use rt_tests::inproc::InProcess;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use wasmer_wasix::WasiEnvBuilder;
use wasmer_wasix::wasmer::{Module, Store, TypedFunction};

/// Counts the allocations of each thread, then lets [`System`] do them.
struct CountingAllocator;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn count_one() {
    // `try_with`: the allocator also runs while thread-locals are torn down.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

// SAFETY: every method forwards to `System` with the same arguments.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_one();
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count_one();
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_one();
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Allocations made on this thread so far.
fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

/// Iterations of the measured loops.
const CALLS: u32 = 10_000;

/// One export per hot call, each a loop of `n` calls that traps on an errno.
const GUEST: &str = r#"
(module
  (import "wasi_snapshot_preview1" "clock_time_get"
    (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff"
    (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; 0x100: one relative Monotonic clock subscription (48 bytes); its timeout is
  ;; written by $poll. 0x200: the event. 0x300: nevents. 0x400: the time.
  (data (i32.const 0x108) "\00")
  (data (i32.const 0x110) "\01\00\00\00")

  (func $check (param $errno i32)
    (if (local.get $errno) (then unreachable)))

  (func (export "clock") (param $n i32)
    (loop $loop
      (if (local.get $n)
        (then
          (call $check (call $clock_time_get (i32.const 1) (i64.const 1) (i32.const 0x400)))
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br $loop)))))

  (func $poll (param $n i32) (param $timeout i64)
    (i64.store (i32.const 0x118) (local.get $timeout))
    (loop $loop
      (if (local.get $n)
        (then
          (call $check (call $poll_oneoff
            (i32.const 0x100) (i32.const 0x200) (i32.const 1) (i32.const 0x300)))
          (if (i32.ne (i32.load (i32.const 0x300)) (i32.const 1)) (then unreachable))
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br $loop)))))

  (func (export "poll_timeout_0") (param $n i32)
    (call $poll (local.get $n) (i64.const 0)))

  (func (export "poll_timeout_1ns") (param $n i32)
    (call $poll (local.get $n) (i64.const 1)))
)
"#;

/// Allocations made by calling `export` with `n` on this thread.
fn allocations_during(store: &mut Store, export: &TypedFunction<u32, ()>, n: u32) -> u64 {
    let before = allocations();
    export
        .call(store, n)
        .unwrap_or_else(|e| panic!("calling the guest with {n}: {e}"));
    allocations() - before
}

/// Allocations per export over `CALLS` calls (beyond those of a call with 0), on the
/// precise sleep path or the legacy one.
fn extra_allocations(precise: bool, exports: &[&'static str]) -> Vec<(&'static str, u64)> {
    let host = InProcess::new();
    let _enter = host.tokio().enter();
    let mut store = Store::new(host.engine().clone());
    let module = Module::new(&store, wat::parse_str(GUEST).expect("the guest's WAT"))
        .expect("compiling the guest");
    let mut builder = WasiEnvBuilder::new("no-alloc").runtime(host.runtime());
    builder.capabilities_mut().threading.enable_precise_sleep = precise;
    let (instance, _env) = builder
        .instantiate(module, &mut store)
        .expect("instantiating the guest");

    exports
        .iter()
        .map(|&name| {
            let export: TypedFunction<u32, ()> = instance
                .exports
                .get_typed_function(&store, name)
                .unwrap_or_else(|e| panic!("export {name}: {e}"));
            // Warm-up: first-call set-up (lazy statics, per-thread buffers) is allowed.
            allocations_during(&mut store, &export, CALLS);
            let empty = allocations_during(&mut store, &export, 0);
            let full = allocations_during(&mut store, &export, CALLS);
            println!("{name}: {empty} allocations for 0 calls, {full} for {CALLS}");
            (name, full.abs_diff(empty))
        })
        .collect()
}

#[test]
fn hot_calls_do_not_allocate() {
    let failures: Vec<String> =
        extra_allocations(true, &["clock", "poll_timeout_0", "poll_timeout_1ns"])
            .into_iter()
            .filter(|&(_, extra)| extra != 0)
            .map(|(name, extra)| {
                format!(
                    "{name}: {extra} allocations over {CALLS} calls ({:.2} per call)",
                    extra as f64 / f64::from(CALLS)
                )
            })
            .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Control: the counter sees allocations made inside host calls. The legacy path
/// spawns a Tokio task per timed wait (its timeout-0 poll waits forever, so only
/// the 1 ns one is called).
#[test]
fn control_legacy_poll_allocates() {
    let [(_, extra)] = extra_allocations(false, &["poll_timeout_1ns"])[..] else {
        unreachable!("one export asked, one answer")
    };
    assert!(
        extra >= u64::from(CALLS),
        "the legacy poll_oneoff made only {extra} allocations over {CALLS} calls"
    );
}
