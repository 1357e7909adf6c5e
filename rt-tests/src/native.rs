//! The native baseline: the guests' sleep loops, run by the test process itself.

use crate::samples::LoopRun;
use std::time::Duration;

const NANOS_PER_SEC: i64 = 1_000_000_000;

/// Reads `clock` in ns.
pub fn clock_ns(clock: libc::clockid_t) -> i64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    ts.tv_sec * NANOS_PER_SEC + ts.tv_nsec
}

/// Sleeps until `deadline_ns` on `clock` with `clock_nanosleep(TIMER_ABSTIME)`,
/// resuming after `EINTR`.
pub fn sleep_until(clock: libc::clockid_t, deadline_ns: i64) {
    let ts = libc::timespec {
        tv_sec: deadline_ns / NANOS_PER_SEC,
        tv_nsec: deadline_ns % NANOS_PER_SEC,
    };
    loop {
        // SAFETY: `ts` is a valid timespec; no remainder is needed for TIMER_ABSTIME.
        let rc =
            unsafe { libc::clock_nanosleep(clock, libc::TIMER_ABSTIME, &ts, std::ptr::null_mut()) };
        if rc != libc::EINTR {
            return;
        }
    }
}

/// The loop of `guests/sleep_loop.wat`, natively: `count` sleeps of `period`, on
/// absolute deadlines on `absolute_on` (`clock_nanosleep(TIMER_ABSTIME)`) or, for
/// `None`, relative ones (`std::thread::sleep`, Rust std's pattern, timed on
/// `CLOCK_MONOTONIC`).
pub fn sleep_loop(count: usize, period: Duration, absolute_on: Option<libc::clockid_t>) -> LoopRun {
    let period = i64::try_from(period.as_nanos()).expect("period fits i64 ns");
    let clock = absolute_on.unwrap_or(libc::CLOCK_MONOTONIC);
    let mut samples = Vec::with_capacity(count);
    let start = clock_ns(clock);
    let mut deadline = start;
    let mut woke = start;
    for _ in 0..count {
        if absolute_on.is_some() {
            deadline += period;
            sleep_until(clock, deadline);
        } else {
            deadline = clock_ns(clock) + period;
            std::thread::sleep(Duration::from_nanos(period as u64));
        }
        woke = clock_ns(clock);
        samples.push(woke - deadline);
    }
    LoopRun {
        samples,
        elapsed: woke - start,
    }
}
