//! The native baseline: the guests' sleep loops, run by the test process itself.

use crate::samples::LoopRun;
use std::time::Duration;

const NANOS_PER_SEC: i64 = 1_000_000_000;

/// Reads `CLOCK_MONOTONIC` in ns.
pub fn monotonic_ns() -> i64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec * NANOS_PER_SEC + ts.tv_nsec
}

/// Sleeps until `deadline_ns` on `CLOCK_MONOTONIC` with
/// `clock_nanosleep(TIMER_ABSTIME)`, resuming after `EINTR`.
pub fn sleep_until(deadline_ns: i64) {
    let ts = libc::timespec {
        tv_sec: deadline_ns / NANOS_PER_SEC,
        tv_nsec: deadline_ns % NANOS_PER_SEC,
    };
    loop {
        // SAFETY: `ts` is a valid timespec; no remainder is needed for TIMER_ABSTIME.
        let rc = unsafe {
            libc::clock_nanosleep(
                libc::CLOCK_MONOTONIC,
                libc::TIMER_ABSTIME,
                &ts,
                std::ptr::null_mut(),
            )
        };
        if rc != libc::EINTR {
            return;
        }
    }
}

/// The loop of `guests/sleep_loop.wat`, natively: `count` sleeps of `period`,
/// on absolute deadlines (`clock_nanosleep(TIMER_ABSTIME)`) or relative ones
/// (`std::thread::sleep`, Rust std's pattern).
pub fn sleep_loop(count: usize, period: Duration, absolute: bool) -> LoopRun {
    let period = i64::try_from(period.as_nanos()).expect("period fits i64 ns");
    let mut samples = Vec::with_capacity(count);
    let start = monotonic_ns();
    let mut deadline = start;
    let mut woke = start;
    for _ in 0..count {
        if absolute {
            deadline += period;
            sleep_until(deadline);
        } else {
            deadline = monotonic_ns() + period;
            std::thread::sleep(Duration::from_nanos(period as u64));
        }
        woke = monotonic_ns();
        samples.push(woke - deadline);
    }
    LoopRun {
        samples,
        elapsed: woke - start,
    }
}
