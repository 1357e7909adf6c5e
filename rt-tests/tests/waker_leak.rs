//! Patch 0001: a thread that keeps blocking must not accumulate signal wakers.
//!
//! Upstream registers a fresh waker with the thread on every blocking syscall and only
//! drops them when a signal arrives, so peak RSS grows by ~68 bytes per call (about
//! 12 MiB over 180 000 calls). The test runs the same guest with 20 000 and 200 000
//! blocking calls and bounds the difference in peak RSS, on both sleep paths: the
//! legacy (async) path is the one patch 0001 fixes, the precise path must not
//! regress it.

use rt_tests::guests;
use rt_tests::wasmer::{self, SleepPath, default_binary};
use std::time::Duration;

/// Growth allowed between the short and the long run. Without the fix it is ~12 MiB.
const MAX_GROWTH_KIB: u64 = 3 * 1024;

fn peak_rss_kib(path: SleepPath, calls: u32) -> u64 {
    let guest = guests::compile(
        "blocking_polls",
        &format!("blocking_polls_{calls}"),
        &[("COUNT", &calls.to_string())],
    );
    let run = wasmer::run(&default_binary(), path, &guest, Duration::from_secs(300));
    assert!(
        run.status.success(),
        "guest failed: {:?}\n{}",
        run.status,
        run.stderr
    );
    eprintln!(
        "{}: {calls} blocking calls: peak RSS {} KiB, {:.1} us/call",
        path.name(),
        run.max_rss_kib,
        run.wall.as_secs_f64() * 1e6 / f64::from(calls)
    );
    run.max_rss_kib
}

#[test]
fn peak_rss_stays_flat_across_200k_blocking_calls() {
    for path in SleepPath::ALL {
        let short = peak_rss_kib(path, 20_000);
        let long = peak_rss_kib(path, 200_000);
        let growth = long.saturating_sub(short);
        assert!(
            growth < MAX_GROWTH_KIB,
            "{}: peak RSS grew by {growth} KiB from 20k to 200k blocking calls \
             (bound {MAX_GROWTH_KIB} KiB): wakers are accumulating again",
            path.name()
        );
    }
}
