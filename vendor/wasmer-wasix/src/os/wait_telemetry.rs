//! Host-side telemetry of timed waits: for every `poll_oneoff` clock, `thread_sleep`
//! and `futex_wait`/`epoll_wait` timeout of a guest, how late the guest was woken.
//!
//! The runtime knows, for each timed wait, the deadline and the moment it returned
//! control to the guest, so it can measure the timing of any guest without
//! modifying it, as `cyclictest` does for a native thread. Turn it on with
//! [`crate::runners::wasi::WasiRunner::with_wait_telemetry`] (or
//! [`crate::WasiEnvBuilder::set_wait_telemetry`]); it is off by default and then
//! costs nothing but a check of an empty slot after each timed wait.
//!
//! Each guest thread gets its own [`ThreadWaits`] when it is created: fixed
//! buckets of atomic counters (about 80 KB per thread, kept until the telemetry
//! is dropped), written only by that thread. Recording a wait
//! takes no lock and allocates nothing; it reuses the clock reading the wait
//! itself made to see that its deadline had passed. [`WaitTelemetry::snapshot`]
//! reads all threads, also those that have finished.
//!
//! A wait is counted in one of four ways:
//! - *at the deadline*: it ended because its deadline passed; its overshoot
//!   (wake-up minus deadline) goes into the histogram, also when the deadline
//!   passed while the call was still on its way to the wait;
//! - *early*: it ended without an event before its deadline (never on the
//!   precise path, which re-checks the clock before it returns);
//! - *by an event*: an fd became ready, a futex was woken, a signal or the
//!   process's exit ended it; not an overshoot;
//! - *expired*: its deadline was not after the call's start (a timeout of 0,
//!   or a periodic deadline the guest missed before it called); not an
//!   overshoot of the runtime, but a missed period for a periodic guest.
//!
//! Waits without a deadline (a `futex_wait` without timeout, say) are not
//! counted.

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicU64, Ordering},
};

/// The syscall a timed wait belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum WaitKind {
    /// `poll_oneoff` (every WASI version) with a clock subscription.
    PollOneoff,
    /// WASIX `thread_sleep`.
    ThreadSleep,
    /// WASIX `futex_wait` with a timeout.
    FutexWait,
    /// WASIX `epoll_wait` with a timeout.
    EpollWait,
}

impl WaitKind {
    /// Every kind, in the order of the report.
    pub const ALL: [WaitKind; 4] = [
        WaitKind::PollOneoff,
        WaitKind::ThreadSleep,
        WaitKind::FutexWait,
        WaitKind::EpollWait,
    ];

    /// The syscall's name, as in reports and bounds files.
    pub const fn name(self) -> &'static str {
        match self {
            WaitKind::PollOneoff => "poll_oneoff",
            WaitKind::ThreadSleep => "thread_sleep",
            WaitKind::FutexWait => "futex_wait",
            WaitKind::EpollWait => "epoll_wait",
        }
    }

    /// The kind named `name` (see [`WaitKind::name`]).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.name() == name)
    }

    const fn index(self) -> usize {
        self as usize
    }
}

/// The wait telemetry of a runtime: one [`ThreadWaits`] per guest thread created
/// while it is attached, kept after the thread ends.
#[derive(Debug, Default)]
pub struct WaitTelemetry {
    threads: Mutex<Vec<Arc<ThreadWaits>>>,
}

impl WaitTelemetry {
    /// An empty telemetry, to attach to a runner or an environment builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Creates the counters of a new guest thread (outside any wait).
    pub(crate) fn register(&self, pid: u32, tid: u32) -> Arc<ThreadWaits> {
        let waits = Arc::new(ThreadWaits::new(pid, tid));
        self.threads.lock().unwrap().push(waits.clone());
        waits
    }

    /// What every thread recorded so far, in the order the threads were created.
    pub fn snapshot(&self) -> Vec<ThreadWaitStats> {
        let threads = self.threads.lock().unwrap();
        threads.iter().map(|waits| waits.snapshot()).collect()
    }
}

/// The counters of one guest thread. Only that thread writes them, so recording
/// is a load and a store per counter, without read-modify-write instructions.
#[derive(Debug)]
pub struct ThreadWaits {
    pid: u32,
    tid: u32,
    kinds: [KindWaits; 4],
    lengths: Buckets,
}

#[derive(Debug)]
struct KindWaits {
    overshoot: Buckets,
    at_deadline: AtomicU64,
    early: AtomicU64,
    by_event: AtomicU64,
    expired: AtomicU64,
    sum_ns: AtomicU64,
    min_ns: AtomicU64,
    max_ns: AtomicU64,
}

impl KindWaits {
    fn new() -> Self {
        Self {
            overshoot: Buckets::new(),
            at_deadline: AtomicU64::new(0),
            early: AtomicU64::new(0),
            by_event: AtomicU64::new(0),
            expired: AtomicU64::new(0),
            sum_ns: AtomicU64::new(0),
            min_ns: AtomicU64::new(u64::MAX),
            max_ns: AtomicU64::new(0),
        }
    }
}

/// Adds one to a counter that only the calling thread writes.
fn bump(counter: &AtomicU64, by: u64) {
    counter.store(
        counter.load(Ordering::Relaxed).wrapping_add(by),
        Ordering::Relaxed,
    );
}

impl ThreadWaits {
    fn new(pid: u32, tid: u32) -> Self {
        Self {
            pid,
            tid,
            kinds: [(); 4].map(|_| KindWaits::new()),
            lengths: Buckets::new(),
        }
    }

    /// A wait of `length` ns that ended without an event, `woke - deadline` ns
    /// after its deadline (both on the same clock, in ns). A wait of length 0 (its
    /// deadline was not after the call started) is counted as expired.
    pub(crate) fn reached_deadline(&self, kind: WaitKind, length: u64, deadline: u64, woke: u64) {
        let waits = &self.kinds[kind.index()];
        if length == 0 {
            bump(&waits.expired, 1);
            return;
        }
        let Some(overshoot) = woke.checked_sub(deadline) else {
            bump(&waits.early, 1);
            return;
        };
        bump(&waits.at_deadline, 1);
        bump(&waits.sum_ns, overshoot);
        if overshoot < waits.min_ns.load(Ordering::Relaxed) {
            waits.min_ns.store(overshoot, Ordering::Relaxed);
        }
        if overshoot > waits.max_ns.load(Ordering::Relaxed) {
            waits.max_ns.store(overshoot, Ordering::Relaxed);
        }
        waits.overshoot.add(overshoot);
        self.lengths.add(length);
    }

    /// A timed wait that an event ended (an fd, a futex wake, a signal, exit).
    pub(crate) fn ended_by_event(&self, kind: WaitKind) {
        bump(&self.kinds[kind.index()].by_event, 1);
    }

    fn snapshot(&self) -> ThreadWaitStats {
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        ThreadWaitStats {
            pid: self.pid,
            tid: self.tid,
            kinds: WaitKind::ALL
                .into_iter()
                .map(|kind| {
                    let waits = &self.kinds[kind.index()];
                    WaitStats {
                        kind,
                        at_deadline: load(&waits.at_deadline),
                        early: load(&waits.early),
                        by_event: load(&waits.by_event),
                        expired: load(&waits.expired),
                        sum_ns: load(&waits.sum_ns),
                        min_ns: load(&waits.min_ns),
                        max_ns: load(&waits.max_ns),
                        overshoot: waits.overshoot.snapshot(),
                    }
                })
                .collect(),
            wait_lengths: self.lengths.snapshot(),
        }
    }
}

/// What one guest thread recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadWaitStats {
    /// The WASI process id.
    pub pid: u32,
    /// The WASI thread id.
    pub tid: u32,
    /// One entry per [`WaitKind`], in the order of [`WaitKind::ALL`].
    pub kinds: Vec<WaitStats>,
    /// How long the waits that ended at their deadline were asked to be, in ns.
    pub wait_lengths: WaitHistogram,
}

/// The waits of one kind on one thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitStats {
    /// The syscall.
    pub kind: WaitKind,
    /// Waits that ended at their deadline (the ones in `overshoot`).
    pub at_deadline: u64,
    /// Waits that ended without an event before their deadline.
    pub early: u64,
    /// Waits that an event ended before their deadline.
    pub by_event: u64,
    /// Waits whose deadline was not after the call's start.
    pub expired: u64,
    /// The sum of the overshoots, in ns.
    pub sum_ns: u64,
    /// The smallest overshoot in ns (`u64::MAX` without waits).
    pub min_ns: u64,
    /// The largest overshoot in ns (0 without waits).
    pub max_ns: u64,
    /// Overshoot (wake-up minus deadline) of the waits that ended at their
    /// deadline, in ns.
    pub overshoot: WaitHistogram,
}

/// Bucket layout: values below 2^SUB_BITS ns have a bucket each; above, every
/// power of two is split into 2^(SUB_BITS - 1) buckets, so a bucket is never wider
/// than 1/64 of its lower bound (1.6 %), and at most 1.024 µs wide below 131 µs.
/// Values from 2^MAX_BITS ns (68.7 s) on share the last bucket.
const SUB_BITS: u32 = 7;
const MAX_BITS: u32 = 36;
const BUCKETS: usize = (1 << SUB_BITS) + ((MAX_BITS - SUB_BITS) as usize) * (1 << (SUB_BITS - 1));

fn bucket_of(value: u64) -> usize {
    let value = value.min((1 << MAX_BITS) - 1);
    let msb = 63 - value.max(1).leading_zeros();
    if msb < SUB_BITS {
        return value as usize;
    }
    let shift = msb + 1 - SUB_BITS;
    ((shift as usize) << (SUB_BITS - 1)) + (value >> shift) as usize
}

/// The smallest and largest value of bucket `index`.
fn bucket_range(index: usize) -> (u64, u64) {
    let half = 1usize << (SUB_BITS - 1);
    if index < 2 * half {
        return (index as u64, index as u64);
    }
    let shift = (index / half - 1) as u32;
    let lowest = ((index - (shift as usize) * half) as u64) << shift;
    (lowest, lowest + (1 << shift) - 1)
}

struct Buckets(Box<[AtomicU64]>);

impl std::fmt::Debug for Buckets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let values: u64 = self.0.iter().map(|c| c.load(Ordering::Relaxed)).sum();
        f.debug_struct("Buckets").field("values", &values).finish()
    }
}

impl Buckets {
    fn new() -> Self {
        Self((0..BUCKETS).map(|_| AtomicU64::new(0)).collect())
    }

    fn add(&self, value: u64) {
        bump(&self.0[bucket_of(value)], 1);
    }

    fn snapshot(&self) -> WaitHistogram {
        WaitHistogram {
            counts: self
                .0
                .iter()
                .map(|count| count.load(Ordering::Relaxed))
                .collect(),
        }
    }
}

/// A histogram of durations in ns, with buckets at most 1.6 % wide (1.024 µs
/// below 131 µs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitHistogram {
    counts: Vec<u64>,
}

impl WaitHistogram {
    /// The number of values.
    pub fn len(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// True without values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The nearest-rank quantile `q` (0 < q ≤ 1) as the largest value of its
    /// bucket, so it is never below the true quantile; `None` without values.
    pub fn quantile(&self, q: f64) -> Option<u64> {
        let total = self.len();
        if total == 0 {
            return None;
        }
        // The small epsilon keeps q * total exact when the product is an integer.
        let rank = ((q * total as f64 - 1e-9).ceil() as u64).clamp(1, total);
        let mut seen = 0;
        self.counts.iter().enumerate().find_map(|(index, count)| {
            seen += count;
            (seen >= rank).then(|| bucket_range(index).1)
        })
    }

    /// Adds `value`.
    pub fn record(&mut self, value: u64) {
        self.counts[bucket_of(value)] += 1;
    }

    /// Adds the values of `other`.
    pub fn merge(&mut self, other: &WaitHistogram) {
        for (count, more) in self.counts.iter_mut().zip(&other.counts) {
            *count += more;
        }
    }

    /// The buckets that hold values: (smallest value, largest value, count).
    pub fn buckets(&self) -> impl Iterator<Item = (u64, u64, u64)> + '_ {
        self.counts
            .iter()
            .enumerate()
            .filter(|(_, count)| **count > 0)
            .map(|(index, count)| {
                let (low, high) = bucket_range(index);
                (low, high, *count)
            })
    }
}

impl Default for WaitHistogram {
    fn default() -> Self {
        Self {
            counts: vec![0; BUCKETS],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_every_value_in_order_and_are_narrow() {
        let mut previous_high = None;
        for index in 0..BUCKETS {
            let (low, high) = bucket_range(index);
            assert_eq!(bucket_of(low), index, "{low}");
            assert_eq!(bucket_of(high), index, "{high}");
            if let Some(previous) = previous_high {
                assert_eq!(low, previous + 1, "bucket {index} leaves a gap");
            }
            assert!(high - low <= low / 64, "bucket {index} ({low}..={high})");
            previous_high = Some(high);
        }
        assert_eq!(
            bucket_range(bucket_of(130_000)).1 - bucket_range(bucket_of(130_000)).0,
            1023
        );
        assert_eq!(bucket_of(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn quantiles_are_never_below_the_true_value_and_within_a_bucket() {
        let waits = ThreadWaits::new(1, 1);
        // 1..=1000 µs: p50 is 500 µs, p99 990 µs.
        for us in 1..=1000u64 {
            waits.reached_deadline(WaitKind::PollOneoff, 1_000_000, 10, 10 + us * 1000);
        }
        let stats = &waits.snapshot().kinds[0];
        assert_eq!(stats.at_deadline, 1000);
        for (q, truth) in [(0.5, 500_000u64), (0.99, 990_000), (1.0, 1_000_000)] {
            let got = stats.overshoot.quantile(q).unwrap();
            assert!(
                got >= truth && got <= truth + truth / 64,
                "q{q}: {got} for {truth}"
            );
        }
        assert_eq!((stats.min_ns, stats.max_ns), (1000, 1_000_000));
    }

    #[test]
    fn early_event_and_expired_waits_are_counted_apart_from_overshoot() {
        let telemetry = WaitTelemetry::new();
        let waits = telemetry.register(7, 9);
        waits.reached_deadline(WaitKind::ThreadSleep, 1000, 5_000, 4_000);
        waits.ended_by_event(WaitKind::FutexWait);
        waits.reached_deadline(WaitKind::EpollWait, 0, 5_000, 5_100);
        let [thread] = &telemetry.snapshot()[..] else {
            panic!("one thread")
        };
        assert_eq!((thread.pid, thread.tid), (7, 9));
        let by_kind = |kind| thread.kinds.iter().find(|s| s.kind == kind).unwrap();
        assert_eq!(by_kind(WaitKind::ThreadSleep).early, 1);
        assert_eq!(by_kind(WaitKind::FutexWait).by_event, 1);
        assert_eq!(by_kind(WaitKind::EpollWait).expired, 1);
        assert!(thread.kinds.iter().all(|s| s.overshoot.is_empty()));
        assert_eq!(thread.wait_lengths.quantile(0.5), None);
    }

    #[test]
    fn recording_a_wait_costs_a_few_nanoseconds() {
        const RECORDS: u64 = 1_000_000;
        let waits = ThreadWaits::new(1, 1);
        // The best of 5 batches, so that a preemption does not count.
        let best = (0..5)
            .map(|_| {
                let start = std::time::Instant::now();
                for i in 0..RECORDS {
                    let woke = std::hint::black_box(1_000_000 + (i % 200_000));
                    waits.reached_deadline(WaitKind::PollOneoff, 1_000_000, 1_000_000, woke);
                }
                start.elapsed().as_nanos() as f64 / RECORDS as f64
            })
            .fold(f64::INFINITY, f64::min);
        println!("recording a wait: {best:.1} ns");
        let limit = if cfg!(debug_assertions) { 200.0 } else { 20.0 };
        assert!(
            best < limit,
            "recording a wait took {best:.1} ns (at most {limit})"
        );
        assert_eq!(waits.snapshot().kinds[0].at_deadline, 5 * RECORDS);
    }

    #[test]
    fn kinds_round_trip_through_their_names() {
        for kind in WaitKind::ALL {
            assert_eq!(WaitKind::from_name(kind.name()), Some(kind));
        }
        assert_eq!(WaitKind::from_name("sleep"), None);
    }
}

/// A guest run through [`crate::runners::wasi::WasiRunner`] with telemetry on.
#[cfg(all(test, target_os = "linux"))]
mod guest_tests {
    use std::{sync::Arc, time::Duration};

    use wasmer::Module;
    use wasmer_types::ModuleHash;

    use super::*;
    use crate::runners::wasi::{RuntimeOrEngine, WasiRunner};

    const MS: u64 = 1_000_000;

    /// 20 `poll_oneoff` clocks of 1 ms, 10 `thread_sleep`s of 1 ms, 5
    /// `futex_wait`s that time out after 1 ms, a poll with a timeout of 0, and a
    /// poll that stdout being writable ends before its 1 s clock.
    const GUEST: &str = r#"(module
        (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
        (import "wasix_32v1" "thread_sleep" (func $sleep (param i64) (result i32)))
        (import "wasix_32v1" "futex_wait" (func $futex_wait (param i32 i32 i32 i32) (result i32)))
        (memory (export "memory") 1)
        ;; 0x100: a relative clock of 1 ms; 0x200: one of 0; 0x300: a clock of
        ;; 1 s and an fd_write subscription on stdout.
        (data (i32.const 0x110) "\01")
        (data (i32.const 0x118) "\40\42\0f")
        (data (i32.const 0x210) "\01")
        (data (i32.const 0x310) "\01")
        (data (i32.const 0x318) "\00\ca\9a\3b")
        (data (i32.const 0x330) "\01\00\00\00\00\00\00\00\02\00\00\00\00\00\00\00\01")
        (func (export "_start") (local $i i32)
            (loop $polls
                (drop (call $poll (i32.const 0x100) (i32.const 0x800) (i32.const 1) (i32.const 0x900)))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br_if $polls (i32.lt_u (local.get $i) (i32.const 20))))
            (local.set $i (i32.const 0))
            (loop $sleeps
                (drop (call $sleep (i64.const 1000000)))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br_if $sleeps (i32.lt_u (local.get $i) (i32.const 10))))
            (i32.store8 (i32.const 0x408) (i32.const 1))
            (i64.store (i32.const 0x410) (i64.const 1000000))
            (local.set $i (i32.const 0))
            (loop $futexes
                (drop (call $futex_wait (i32.const 0x400) (i32.const 0) (i32.const 0x408) (i32.const 0x418)))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br_if $futexes (i32.lt_u (local.get $i) (i32.const 5))))
            (drop (call $poll (i32.const 0x200) (i32.const 0x800) (i32.const 1) (i32.const 0x900)))
            (drop (call $poll (i32.const 0x300) (i32.const 0x800) (i32.const 2) (i32.const 0x900)))))"#;

    fn run(telemetry: Option<Arc<WaitTelemetry>>) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap();
        let handle = runtime.handle().clone();
        let engine = wasmer::Engine::default();
        let module = Module::new(&engine, GUEST).unwrap();
        let (done, result) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _guard = handle.enter();
            let mut runner = WasiRunner::new();
            runner.capabilities_mut().threading.enable_precise_sleep = true;
            if let Some(telemetry) = telemetry {
                runner.with_wait_telemetry(telemetry);
            }
            let _ = done.send(runner.run_wasm(
                RuntimeOrEngine::Engine(engine),
                "wait-telemetry",
                module,
                ModuleHash::random(),
            ));
        });
        result
            .recv_timeout(Duration::from_secs(10))
            .expect("the guest hung")
            .expect("the guest failed");
    }

    #[test]
    fn every_timed_wait_of_an_unmodified_guest_is_counted_by_how_it_ended() {
        let telemetry = Arc::new(WaitTelemetry::new());
        run(Some(telemetry.clone()));
        let threads = telemetry.snapshot();
        assert_eq!(threads.len(), 1, "one guest thread: {threads:?}");
        let stats = |kind| threads[0].kinds.iter().find(|s| s.kind == kind).unwrap();
        let (poll, sleep, futex) = (
            stats(WaitKind::PollOneoff),
            stats(WaitKind::ThreadSleep),
            stats(WaitKind::FutexWait),
        );
        let counts = |s: &WaitStats| (s.at_deadline, s.early, s.by_event, s.expired);
        assert_eq!(counts(poll), (20, 0, 1, 1), "poll_oneoff");
        assert_eq!(counts(sleep), (10, 0, 0, 0), "thread_sleep");
        assert_eq!(counts(futex), (5, 0, 0, 0), "futex_wait");
        for s in [poll, sleep, futex] {
            assert_eq!(s.overshoot.len(), s.at_deadline);
            // The median wait was woken within 500 us of its deadline (one
            // preemption of the test machine does not fail the test).
            let p50 = s.overshoot.quantile(0.5).unwrap();
            assert!(p50 < MS / 2, "{:?}: median overshoot {p50} ns", s.kind);
            assert!(
                s.min_ns <= p50,
                "{:?}: min {} ns above p50",
                s.kind,
                s.min_ns
            );
        }
        let lengths = &threads[0].wait_lengths;
        assert_eq!(lengths.len(), 35);
        let median = lengths.quantile(0.5).unwrap();
        assert!(
            (MS - MS / 20..=MS + MS / 64).contains(&median),
            "median wait {median} ns"
        );
    }

    #[test]
    fn without_telemetry_nothing_is_recorded_and_threads_have_no_counters() {
        let unused = Arc::new(WaitTelemetry::new());
        run(None);
        assert!(unused.snapshot().is_empty());
    }
}
