//! Patch 0001: a thread that keeps blocking must not accumulate signal wakers.
//!
//! Upstream registers a fresh waker with the thread on every blocking syscall and
//! only drops them when a signal arrives, so peak RSS grows with every call
//! (7.0 MiB over 180 000 calls for upstream 7.5.0, ~40 bytes a call). The test runs the same guest with
//! `[waker_leak] short_calls` and `long_calls` blocking calls and bounds the
//! difference in peak RSS, on both sleep paths: the legacy (async) path is the
//! one patch 0001 fixes, the precise path must not regress it. The control runs
//! the same guest on upstream's CLI (built from the pristine crates), whose growth
//! must break the bound.

use rt_tests::bounds;
use rt_tests::guests;
use rt_tests::judge::{Bound, Invalid, Judgement, Trial};
use rt_tests::wasmer::{self, SleepPath, default_binary, upstream_binary};
use std::path::Path;
use std::time::Duration;

fn peak_rss_kib(binary: &Path, path: SleepPath, calls: u32) -> Result<(u64, String), Invalid> {
    let guest = guests::compile(
        "blocking_polls",
        &format!("blocking_polls_{calls}"),
        &[("COUNT", &calls.to_string())],
    );
    let limit = Duration::from_secs(300);
    let run = wasmer::run(binary, path, &guest, limit);
    run.exited_with(&format!("{calls} blocking calls"), 0, limit)?;
    let line = format!(
        "{calls:>7} blocking calls: peak RSS {:>7} KiB, {:.1} us/call",
        run.max_rss_kib,
        run.wall.as_secs_f64() * 1e6 / f64::from(calls)
    );
    Ok((run.max_rss_kib, line))
}

/// Judges the growth of peak RSS from the short to the long run.
fn judge(label: &str, binary: &Path, path: SleepPath) -> Judgement {
    let bounds = bounds::get().waker_leak;
    let bound = Bound::every_trial("peak RSS growth", bounds.max_growth_kib as f64, "KiB");
    Judgement::run(
        format!("waker_leak-{label}"),
        vec![bound],
        bounds.trials,
        |_| {
            let (short, short_line) = peak_rss_kib(binary, path, bounds.short_calls)?;
            let (long, long_line) = peak_rss_kib(binary, path, bounds.long_calls)?;
            Ok(Trial {
                figures: vec![long as f64 - short as f64],
                detail: format!("{short_line}\n{long_line}"),
            })
        },
    )
}

#[test]
fn peak_rss_stays_flat_across_200k_blocking_calls() {
    for path in SleepPath::ALL {
        judge(path.name(), &default_binary(), path).assert_holds();
    }
}

#[test]
fn control_upstream_grows_past_the_bound() {
    judge("upstream", &upstream_binary(), SleepPath::Precise).assert_broken(&["peak RSS growth"]);
}
