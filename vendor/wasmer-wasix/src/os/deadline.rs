//! Absolute deadlines, and a way to block the calling thread until one passes.
//!
//! The default way a syscall waits for time is `VirtualTaskManager::sleep_now`,
//! which, with the Tokio task manager, spawns a task running `tokio::time::sleep`
//! and parks the guest thread until that task finishes. That costs two or three
//! thread hops per wait and rounds every wait up to Tokio's 1 ms timer wheel, so a
//! 1 ms sleep takes 2-3 ms and a periodic guest loop cannot hold its period.
//!
//! This module lets a syscall wait on the thread that runs the guest instead:
//!
//! * [`Deadline`] is an instant on the host's `CLOCK_MONOTONIC`, computed once
//!   when the syscall starts, so the time the host spends before it blocks is not
//!   added to the wait, and a wait that is resumed (after a signal handler ran, or
//!   a spurious wake-up) sleeps to the same instant instead of drifting.
//! * [`block_on_until`] polls a future and, while it is pending, parks the thread
//!   with `futex(FUTEX_WAIT_BITSET)` and an absolute `CLOCK_MONOTONIC` timeout.
//!   The kernel arms the same high-resolution timer as for
//!   `clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME)`, with the same timer slack,
//!   so the wake-up is as precise as a native absolute sleep.
//!
//! Why a futex and not `clock_nanosleep` itself: a wait must stay interruptible by
//! WASIX signals, thread and process exit (they wake the waker that the thread
//! registered with its signal list), and the waker can run on any thread. A thread
//! in `clock_nanosleep` can only be woken early by a POSIX signal, which would need
//! a process-wide handler for a reserved real-time signal, and a signal sent just
//! before the sleep starts would be lost unless the handler also rewrites the
//! sleep's deadline. A late signal would also turn an unrelated blocking syscall of
//! that thread into `EINTR`. `FUTEX_WAKE` on the parker's word has none of these
//! problems: the waker sets the word before it wakes, and `FUTEX_WAIT` refuses to
//! sleep if the word changed, so a wake-up can never be lost.
//!
//! The parkers are per thread and per nesting level (a guest signal handler can make
//! a blocking syscall while an outer one is waiting), so every wait of a thread at a
//! given level registers the same `Waker`.
//!
//! A future that carries a timeout of its own (a socket operation with its read,
//! write, accept or connect timeout) waits for it with [`SleepUntil`]. Polled by
//! [`block_on_until`], it tells the parker when to wake instead of starting a timer,
//! so the timeout ends as precisely as a deadline of the wait itself. Polled by any
//! other executor, it falls back to `VirtualTaskManager::sleep_now`.

use std::{
    cell::{Cell, RefCell},
    future::Future,
    pin::{Pin, pin},
    sync::{
        Arc,
        atomic::{AtomicU32, Ordering},
    },
    task::{Context, Poll, Wake, Waker},
    time::Duration,
};

use crate::VirtualTaskManager;

const NANOS_PER_SEC: u64 = 1_000_000_000;

/// An instant on the host's `CLOCK_MONOTONIC`, in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Deadline {
    nanos: u64,
}

impl Deadline {
    /// A deadline that never passes.
    pub const NEVER: Deadline = Deadline { nanos: u64::MAX };

    /// The current time.
    pub fn now() -> Self {
        Self {
            nanos: clock_nanos(libc::CLOCK_MONOTONIC),
        }
    }

    /// The deadline `nanos` nanoseconds after the monotonic clock's epoch.
    pub const fn from_nanos(nanos: u64) -> Self {
        Self { nanos }
    }

    /// The deadline `timeout` nanoseconds after `self`, saturating at [`Deadline::NEVER`].
    pub const fn after(self, timeout: u64) -> Self {
        Self {
            nanos: self.nanos.saturating_add(timeout),
        }
    }

    /// Nanoseconds since the monotonic clock's epoch.
    pub const fn as_nanos(self) -> u64 {
        self.nanos
    }

    /// Converts `target`, an absolute time on another clock whose current reading is
    /// `clock_now`, into a deadline, given that the monotonic clock read `mono_now`
    /// at the same moment or later. A target that is not in the future gives
    /// `mono_now`. Reading the other clock first and the monotonic clock second makes
    /// the result late by the time between the two reads, never early.
    pub const fn from_clock_time(target: u64, clock_now: u64, mono_now: Deadline) -> Self {
        if target <= clock_now {
            mono_now
        } else {
            mono_now.after(target - clock_now)
        }
    }

    /// True once the monotonic clock has reached the deadline.
    pub fn has_passed(self) -> bool {
        self != Self::NEVER && Self::now() >= self
    }

    /// The deadline as a `timespec`, saturating at `time_t::MAX` seconds.
    pub fn to_timespec(self) -> libc::timespec {
        let secs = self.nanos / NANOS_PER_SEC;
        libc::timespec {
            tv_sec: libc::time_t::try_from(secs).unwrap_or(libc::time_t::MAX),
            tv_nsec: (self.nanos % NANOS_PER_SEC) as _,
        }
    }
}

/// Reads a host clock in nanoseconds (0 if the clock is not available).
pub fn clock_nanos(clock: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec.
    if unsafe { libc::clock_gettime(clock, &mut ts) } != 0 {
        return 0;
    }
    (ts.tv_sec as u64)
        .saturating_mul(NANOS_PER_SEC)
        .saturating_add(ts.tv_nsec as u64)
}

const EMPTY: u32 = 0;
const NOTIFIED: u32 = 1;
const PARKED: u32 = 2;

/// A one-thread parker whose wait ends at a [`Deadline`] or when it is woken.
///
/// Wake-ups are never lost: one that arrives while the owner is not parked is kept
/// and makes the next [`Parker::park_until`] return at once.
#[derive(Debug, Default)]
pub struct Parker {
    state: AtomicU32,
}

impl Parker {
    /// Blocks until woken or until `deadline` has passed; may also return spuriously.
    pub fn park_until(&self, deadline: Deadline) {
        if self
            .state
            .compare_exchange(NOTIFIED, EMPTY, Ordering::Acquire, Ordering::Acquire)
            .is_ok()
        {
            return;
        }
        if self
            .state
            .compare_exchange(EMPTY, PARKED, Ordering::Acquire, Ordering::Acquire)
            .is_err()
        {
            // Woken between the two exchanges.
            self.state.store(EMPTY, Ordering::Release);
            return;
        }
        loop {
            futex_wait_until(&self.state, PARKED, deadline);
            if self
                .state
                .compare_exchange(NOTIFIED, EMPTY, Ordering::Acquire, Ordering::Acquire)
                .is_ok()
                || deadline.has_passed()
            {
                // A wake-up that races with the deadline only means one more poll.
                self.state.store(EMPTY, Ordering::Release);
                return;
            }
            // EINTR from an unrelated signal, or a spurious wake-up: keep waiting for
            // the same absolute deadline.
        }
    }

    /// Wakes the owner, or makes its next park return at once.
    pub fn unpark(&self) {
        if self.state.swap(NOTIFIED, Ordering::Release) == PARKED {
            futex_wake(&self.state);
        }
    }
}

impl Wake for Parker {
    fn wake(self: Arc<Self>) {
        self.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.unpark();
    }
}

fn futex_wait_until(word: &AtomicU32, expected: u32, deadline: Deadline) {
    let ts = deadline.to_timespec();
    let timeout: *const libc::timespec = if deadline == Deadline::NEVER {
        std::ptr::null()
    } else {
        &ts
    };
    // SAFETY: `word` and `ts` outlive the call. FUTEX_WAIT_BITSET takes an absolute
    // CLOCK_MONOTONIC timeout; the result (0, ETIMEDOUT, EINTR or EAGAIN) is not
    // needed because the caller re-checks the word and the clock.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAIT_BITSET | libc::FUTEX_PRIVATE_FLAG,
            expected,
            timeout,
            std::ptr::null::<u32>(),
            libc::FUTEX_BITSET_MATCH_ANY,
        );
    }
}

fn futex_wake(word: &AtomicU32) {
    // SAFETY: `word` is a valid futex word for the duration of the call.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAKE | libc::FUTEX_PRIVATE_FLAG,
            1,
        );
    }
}

thread_local! {
    static PARKERS: RefCell<Vec<(Arc<Parker>, Waker)>> = const { RefCell::new(Vec::new()) };
    static DEPTH: Cell<usize> = const { Cell::new(0) };
    /// Per nesting level, the earliest deadline a [`SleepUntil`] asked for while the
    /// level's future was last polled.
    static WAKE_BY: RefCell<Vec<Deadline>> = const { RefCell::new(Vec::new()) };
}

/// The calling thread's parker for the current nesting level, held while a
/// [`block_on_until`] runs.
struct ParkerLease {
    parker: Arc<Parker>,
    waker: Waker,
    depth: usize,
}

impl ParkerLease {
    fn enter() -> Self {
        let depth = DEPTH.with(|d| d.replace(d.get() + 1));
        let (parker, waker) = PARKERS.with(|parkers| {
            let mut parkers = parkers.borrow_mut();
            while parkers.len() <= depth {
                let parker = Arc::new(Parker::default());
                let waker = Waker::from(parker.clone());
                parkers.push((parker, waker));
            }
            parkers[depth].clone()
        });
        WAKE_BY.with(|timers| {
            let mut timers = timers.borrow_mut();
            if timers.len() <= depth {
                timers.resize(depth + 1, Deadline::NEVER);
            }
            timers[depth] = Deadline::NEVER;
        });
        Self {
            parker,
            waker,
            depth,
        }
    }

    /// The earliest deadline a [`SleepUntil`] asked for since the last call.
    fn take_timer(&self) -> Deadline {
        WAKE_BY
            .with(|timers| std::mem::replace(&mut timers.borrow_mut()[self.depth], Deadline::NEVER))
    }
}

/// Asks the [`block_on_until`] that polls with `waker` to wake by `deadline`; false
/// if `waker` is not the waker of the calling thread's innermost one (the future is
/// polled by another executor).
fn request_wake_by(waker: &Waker, deadline: Deadline) -> bool {
    let Some(level) = DEPTH.with(Cell::get).checked_sub(1) else {
        return false;
    };
    let ours = PARKERS.with(|parkers| {
        parkers
            .borrow()
            .get(level)
            .is_some_and(|(_, level_waker)| level_waker.will_wake(waker))
    });
    if ours {
        WAKE_BY.with(|timers| {
            let timer = &mut timers.borrow_mut()[level];
            *timer = (*timer).min(deadline);
        });
    }
    ours
}

/// A future that completes once `deadline` has passed.
///
/// Polled by [`block_on_until`] (directly, or inside futures that pass its context
/// on, as `tokio::select!` does), it arms no timer: it asks the parker to wake by
/// `deadline`, so it completes as precisely as a deadline of the wait itself. Polled
/// by any other executor, it waits with the task manager's
/// [`VirtualTaskManager::sleep_now`] for the time left.
///
/// The request holds for one poll of the waiting future: a future that contains a
/// `SleepUntil` must poll it whenever it is polled and the `SleepUntil` is still
/// pending (as `select!` and `join!` do), or the wait no longer ends by its deadline.
pub struct SleepUntil<'a> {
    deadline: Deadline,
    tasks: &'a dyn VirtualTaskManager,
    fallback: Option<Pin<Box<dyn Future<Output = ()> + Send + Sync + 'static>>>,
}

impl std::fmt::Debug for SleepUntil<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SleepUntil")
            .field("deadline", &self.deadline)
            .field("fallback", &self.fallback.is_some())
            .finish()
    }
}

impl<'a> SleepUntil<'a> {
    /// Completes once `deadline` has passed; see [`SleepUntil`].
    pub fn new(deadline: Deadline, tasks: &'a dyn VirtualTaskManager) -> Self {
        Self {
            deadline,
            tasks,
            fallback: None,
        }
    }
}

impl Future for SleepUntil<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let deadline = self.deadline;
        if deadline.has_passed() {
            return Poll::Ready(());
        }
        if request_wake_by(cx.waker(), deadline) {
            return Poll::Pending;
        }
        let tasks = self.tasks;
        self.fallback
            .get_or_insert_with(|| {
                let left = deadline
                    .as_nanos()
                    .saturating_sub(Deadline::now().as_nanos());
                tasks.sleep_now(Duration::from_nanos(left))
            })
            .as_mut()
            .poll(cx)
    }
}

impl Drop for ParkerLease {
    fn drop(&mut self) {
        DEPTH.with(|d| d.set(d.get() - 1));
    }
}

/// Polls `future` on the calling thread until it completes, or until `deadline`
/// has passed and the future is still pending (then `Err` with the clock reading
/// that found the deadline passed).
///
/// The future is polled at least once, so a deadline in the past turns it into a
/// non-blocking check. The waker that the future sees is the same for every call at
/// the same nesting level of the same thread. A [`SleepUntil`] inside the future
/// wakes the thread by its own deadline, and the future is polled again then.
pub fn block_on_until<F: Future>(future: F, deadline: Deadline) -> Result<F::Output, Deadline> {
    let lease = ParkerLease::enter();
    let mut cx = Context::from_waker(&lease.waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return Ok(output);
        }
        let timer = lease.take_timer();
        let wake_at = deadline.min(timer);
        if wake_at != Deadline::NEVER {
            let now = Deadline::now();
            if now >= deadline {
                return Err(now);
            }
            if now >= timer {
                continue;
            }
        }
        lease.parker.park_until(wake_at);
    }
}

/// Polls `future` on the calling thread until it completes, as [`block_on_until`]
/// without a deadline (the future's own [`SleepUntil`] timers still wake it).
pub fn block_on<F: Future>(future: F) -> F::Output {
    match block_on_until(future, Deadline::NEVER) {
        Ok(output) => output,
        Err(_) => unreachable!("a wait without a deadline does not reach it"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The outcome as an `Option`: `None` when the deadline passed.
    fn block_on_until<F: Future>(future: F, deadline: Deadline) -> Option<F::Output> {
        super::block_on_until(future, deadline).ok()
    }
    use std::time::{Duration, Instant};

    #[test]
    fn deadline_arithmetic_saturates() {
        assert_eq!(Deadline::from_nanos(5).after(7), Deadline::from_nanos(12));
        assert_eq!(Deadline::from_nanos(5).after(u64::MAX), Deadline::NEVER);
        let ts = Deadline::NEVER.to_timespec();
        assert_eq!(ts.tv_sec as u64, u64::MAX / NANOS_PER_SEC);
        assert_eq!(ts.tv_nsec as u64, u64::MAX % NANOS_PER_SEC);
        let ts = Deadline::from_nanos(3 * NANOS_PER_SEC + 7).to_timespec();
        assert_eq!((ts.tv_sec, ts.tv_nsec), (3, 7));
    }

    #[test]
    fn other_clock_targets_convert_without_waking_early() {
        let mono = Deadline::from_nanos(1_000);
        // Already passed on the other clock: fire at once.
        assert_eq!(Deadline::from_clock_time(50, 60, mono), mono);
        assert_eq!(Deadline::from_clock_time(60, 60, mono), mono);
        // In the future: the same distance on the monotonic clock.
        assert_eq!(
            Deadline::from_clock_time(100, 60, mono),
            Deadline::from_nanos(1_040)
        );
        assert_eq!(
            Deadline::from_clock_time(u64::MAX, 0, mono),
            Deadline::NEVER
        );
    }

    #[test]
    fn past_deadline_polls_once() {
        let mut polls = 0;
        let out = block_on_until(
            std::future::poll_fn(|_| {
                polls += 1;
                Poll::<()>::Pending
            }),
            Deadline::from_nanos(0),
        );
        assert_eq!(out, None);
        assert_eq!(polls, 1);
    }

    #[test]
    fn waits_until_the_deadline_and_never_less() {
        let start = Deadline::now();
        let deadline = start.after(2_000_000);
        let out = block_on_until(std::future::pending::<()>(), deadline);
        assert_eq!(out, None);
        assert!(Deadline::now() >= deadline);
    }

    #[test]
    fn wake_from_another_thread_ends_the_wait() {
        let woken = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let waker_slot: Arc<std::sync::Mutex<Option<Waker>>> = Default::default();
        let (flag, slot) = (woken.clone(), waker_slot.clone());
        let waker_thread = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            flag.store(true, Ordering::SeqCst);
            if let Some(w) = slot.lock().unwrap().take() {
                w.wake();
            }
        });
        let start = Instant::now();
        let out = block_on_until(
            std::future::poll_fn(|cx| {
                *waker_slot.lock().unwrap() = Some(cx.waker().clone());
                if woken.load(Ordering::SeqCst) {
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            }),
            Deadline::now().after(10 * NANOS_PER_SEC),
        );
        waker_thread.join().unwrap();
        assert_eq!(out, Some(()));
        assert!(start.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn a_wake_up_ends_the_wait_well_within_a_millisecond() {
        type Slot = Arc<std::sync::Mutex<Option<Waker>>>;
        let mut latencies = Vec::new();
        for _ in 0..21 {
            let ready = Arc::new(std::sync::atomic::AtomicBool::new(false));
            let slot: Slot = Default::default();
            let (ready_w, slot_w) = (ready.clone(), slot.clone());
            let waiter = std::thread::spawn(move || {
                block_on_until(
                    std::future::poll_fn(|cx| {
                        *slot_w.lock().unwrap() = Some(cx.waker().clone());
                        if ready_w.load(Ordering::SeqCst) {
                            Poll::Ready(())
                        } else {
                            Poll::Pending
                        }
                    }),
                    Deadline::now().after(10 * NANOS_PER_SEC),
                );
                Instant::now()
            });
            while slot.lock().unwrap().is_none() {
                std::thread::yield_now();
            }
            // Let the waiter reach the futex wait.
            std::thread::sleep(Duration::from_millis(2));
            let woken_at = Instant::now();
            ready.store(true, Ordering::SeqCst);
            slot.lock().unwrap().take().unwrap().wake();
            latencies.push(waiter.join().unwrap() - woken_at);
        }
        latencies.sort();
        assert!(
            latencies[latencies.len() / 2] < Duration::from_millis(1),
            "median wake-up latency {:?}",
            latencies[latencies.len() / 2]
        );
    }

    #[test]
    fn wake_before_park_is_not_lost() {
        let parker = Parker::default();
        parker.unpark();
        let start = Instant::now();
        parker.park_until(Deadline::now().after(10 * NANOS_PER_SEC));
        assert!(start.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn nested_waits_use_distinct_wakers_and_the_same_one_per_level() {
        let outer_a = block_on_until(
            std::future::poll_fn(|cx| Poll::Ready(cx.waker().clone())),
            Deadline::NEVER,
        )
        .unwrap();
        let outer_b = block_on_until(
            std::future::poll_fn(|cx| Poll::Ready(cx.waker().clone())),
            Deadline::NEVER,
        )
        .unwrap();
        assert!(outer_a.will_wake(&outer_b));
        let (outer, inner) = block_on_until(
            std::future::poll_fn(|cx| {
                let inner = block_on_until(
                    std::future::poll_fn(|cx| Poll::Ready(cx.waker().clone())),
                    Deadline::NEVER,
                )
                .unwrap();
                Poll::Ready((cx.waker().clone(), inner))
            }),
            Deadline::NEVER,
        )
        .unwrap();
        assert!(outer.will_wake(&outer_a));
        assert!(!outer.will_wake(&inner));
    }

    /// A multi-thread Tokio runtime and a task manager on it, for the fallback.
    #[cfg(feature = "sys")]
    fn tokio_tasks() -> (
        tokio::runtime::Runtime,
        crate::runtime::task_manager::tokio::TokioTaskManager,
    ) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let tasks =
            crate::runtime::task_manager::tokio::TokioTaskManager::new(runtime.handle().clone());
        (runtime, tasks)
    }

    /// Who polls the timer in [`sleep_1ms`].
    #[cfg(feature = "sys")]
    #[derive(Debug, Clone, Copy)]
    enum Executor {
        /// [`block_on`], the precise path's.
        Parker,
        /// Another executor.
        Other,
        /// Another executor inside a [`block_on`].
        OtherInsideParker,
    }

    /// Polls a [`SleepUntil`] 1 ms from now with `executor` until it completes, and
    /// returns how late it completed and whether it started the task manager's timer
    /// (its fallback future exists only once it was created and polled).
    #[cfg(feature = "sys")]
    fn sleep_1ms(tasks: &dyn VirtualTaskManager, executor: Executor) -> (Duration, bool) {
        let deadline = Deadline::now().after(1_000_000);
        let mut sleep = SleepUntil::new(deadline, tasks);
        match executor {
            Executor::Parker => super::block_on(&mut sleep),
            Executor::Other => virtual_mio::block_on(&mut sleep),
            Executor::OtherInsideParker => super::block_on(std::future::poll_fn(|_| {
                virtual_mio::block_on(&mut sleep);
                Poll::Ready(())
            })),
        }
        let woke = Deadline::now();
        assert!(woke >= deadline, "the timer completed early");
        let late = woke.as_nanos() - deadline.as_nanos();
        (Duration::from_nanos(late), sleep.fallback.is_some())
    }

    #[cfg(feature = "sys")]
    #[test]
    fn a_timer_inside_the_wait_wakes_it_by_its_deadline_without_a_task() {
        let (_runtime, tasks) = tokio_tasks();
        let mut lates = Vec::new();
        for _ in 0..21 {
            let (late, timer_task) = sleep_1ms(&tasks, Executor::Parker);
            assert!(!timer_task, "block_on_until parks by the deadline itself");
            lates.push(late);
        }
        lates.sort();
        let median = lates[lates.len() / 2];
        // The task manager's timer is late by 1 ms or more (Tokio's 1 ms ticks).
        assert!(
            median < Duration::from_micros(500),
            "median {median:?} late"
        );
    }

    #[cfg(feature = "sys")]
    #[test]
    fn a_timer_polled_by_another_executor_falls_back_to_the_task_manager() {
        let (_runtime, tasks) = tokio_tasks();
        // Nested inside a block_on_until, the other executor's waker is not the
        // parker's, so the parker must not take the deadline either.
        for executor in [Executor::Other, Executor::OtherInsideParker] {
            let (_, timer_task) = sleep_1ms(&tasks, executor);
            assert!(timer_task, "{executor:?}");
        }
    }

    #[test]
    fn an_earlier_deadline_of_the_wait_still_ends_it_before_a_timer() {
        let start = Deadline::now();
        let out = block_on_until(
            std::future::poll_fn(|cx| {
                assert!(request_wake_by(cx.waker(), start.after(10 * NANOS_PER_SEC)));
                Poll::<()>::Pending
            }),
            start.after(2_000_000),
        );
        assert_eq!(out, None);
        let waited = Deadline::now().as_nanos() - start.as_nanos();
        assert!((2_000_000..5 * NANOS_PER_SEC).contains(&waited));
    }
}
