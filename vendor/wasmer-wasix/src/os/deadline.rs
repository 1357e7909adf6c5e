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

use std::{
    cell::{Cell, RefCell},
    future::Future,
    pin::pin,
    sync::{
        Arc,
        atomic::{AtomicU32, Ordering},
    },
    task::{Context, Poll, Wake, Waker},
};

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
}

/// The calling thread's parker for the current nesting level, held while a
/// [`block_on_until`] runs.
struct ParkerLease {
    parker: Arc<Parker>,
    waker: Waker,
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
        Self { parker, waker }
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
/// the same nesting level of the same thread.
pub fn block_on_until<F: Future>(future: F, deadline: Deadline) -> Result<F::Output, Deadline> {
    let lease = ParkerLease::enter();
    let mut cx = Context::from_waker(&lease.waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return Ok(output);
        }
        if deadline != Deadline::NEVER {
            let now = Deadline::now();
            if now >= deadline {
                return Err(now);
            }
        }
        lease.parker.park_until(deadline);
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
}
