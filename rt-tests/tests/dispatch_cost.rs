//! The dispatch work stays: a patched WASI call costs at most a bounded multiple
//! of the same call made natively in the same trial (`[dispatch]` in
//! `ci/jitter-bounds.toml`), and upstream's CLI, built from the pristine crates,
//! breaks every one of those bounds.
//!
//! Each trial measures, per call, the native equivalent and then the guest loop
//! under `wasmer run` (`dispatch-bench`'s measurement: the guest times its own
//! loop, so process start-up does not count). The patched check passes when one
//! of `best_of` trials keeps every call within its ratio; the control requires
//! every call to break its ratio in every trial.

use rt_tests::bounds::{self, DispatchBounds};
use rt_tests::dispatch::{self, Call};
use rt_tests::wasmer::{SleepPath, default_binary};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

/// Timing tests must not overlap: the test harness runs tests on several threads.
static SERIAL: Mutex<()> = Mutex::new(());

/// One bounded call.
#[derive(Debug, Clone, Copy)]
struct Check {
    call: Call,
    /// Calls per loop on the patched binary (a tenth on upstream's slow paths).
    count: u32,
    /// Allowed guest ns over native ns.
    max_ratio: f64,
}

fn checks(bounds: &DispatchBounds) -> [Check; 3] {
    [
        Check {
            call: Call::ClockTimeGet,
            count: 200_000,
            max_ratio: bounds.clock_time_get_over_native,
        },
        Check {
            call: Call::PollTimeout1ns,
            count: 50_000,
            max_ratio: bounds.poll_oneoff_1ns_over_native,
        },
        Check {
            call: Call::Write1DevNull,
            count: 50_000,
            max_ratio: bounds.fd_write_1b_over_native,
        },
    ]
}

/// What one call cost in one trial.
#[derive(Debug)]
struct Measured {
    check: Check,
    native_ns: f64,
    /// ns per call in the guest, or why there is no figure (a hang, a crash).
    guest_ns: Result<f64, String>,
}

impl Measured {
    fn ratio(&self) -> Option<f64> {
        self.guest_ns.as_ref().ok().map(|g| g / self.native_ns)
    }

    fn within_bound(&self) -> bool {
        self.ratio().is_some_and(|r| r <= self.check.max_ratio)
    }

    fn describe(&self) -> String {
        let guest = match &self.guest_ns {
            Ok(ns) => format!("{ns:.1} ns"),
            Err(why) => why.clone(),
        };
        let ratio = self
            .ratio()
            .map_or_else(|| "-".to_owned(), |r| format!("{r:.1}x"));
        format!(
            "{:<16} native {:>7.1} ns, guest {guest}: {ratio} (bound {:.1}x)",
            self.check.call.name(),
            self.native_ns,
            self.check.max_ratio
        )
    }
}

/// Measures every check once on `binary`, each call's loop `count / divisor`
/// long; the guests are compiled once per count.
fn trial(binary: &Path, checks: &[Check], divisor: u32) -> Vec<Measured> {
    checks
        .iter()
        .map(|&check| {
            let count = (check.count / divisor).max(10);
            let guest = check.call.guest(count);
            let native_ns = native_median_ns(check.call, check.count);
            let guest_ns = dispatch::guest_ns(
                binary,
                SleepPath::Precise,
                &[],
                &guest,
                check.call.stdout(),
                Duration::from_secs(20),
            );
            Measured {
                check,
                native_ns,
                guest_ns,
            }
        })
        .collect()
}

/// The median of three native runs: one run is a few milliseconds, short enough
/// for one preemption to move it either way.
fn native_median_ns(call: Call, count: u32) -> f64 {
    let mut runs = [0.0; 3].map(|_| call.native_ns(count));
    runs.sort_by(f64::total_cmp);
    runs[1]
}

/// The measurements `keep` selects, one per line, for a failure message.
fn list(measured: &[Measured], keep: impl Fn(&Measured) -> bool) -> String {
    measured
        .iter()
        .filter(|m| keep(m))
        .map(Measured::describe)
        .collect::<Vec<_>>()
        .join("\n  ")
}

fn print_trial(label: &str, n: usize, measured: &[Measured]) {
    eprintln!("{label}, trial {n}:");
    for m in measured {
        eprintln!("  {}", m.describe());
    }
}

/// Upstream's CLI from the pristine crates: `WASMER_RT_UPSTREAM` if set, else
/// `target/upstream/wasmer` in this build's target directory (`cargo xtask
/// upstream build`); this test runs from `target/<profile>/deps/`.
fn upstream_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("WASMER_RT_UPSTREAM") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("current executable");
    let target = exe
        .ancestors()
        .nth(3)
        .expect("the test runs from target/<profile>/deps/");
    target.join("upstream/wasmer")
}

#[test]
fn patched_calls_stay_within_their_ratio_to_native() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let bounds = bounds::load().expect("ci/jitter-bounds.toml").dispatch;
    let checks = checks(&bounds);
    let binary = default_binary();
    let mut last = Vec::new();
    for n in 1..=bounds.best_of {
        let measured = trial(&binary, &checks, 1);
        print_trial("patched", n, &measured);
        if measured.iter().all(Measured::within_bound) {
            return;
        }
        last = measured;
    }
    panic!(
        "a patched call exceeded its bound in all {} trials; last trial:\n  {}",
        bounds.best_of,
        list(&last, |m| !m.within_bound())
    );
}

#[test]
fn upstream_breaks_every_ratio_in_every_trial() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let bounds = bounds::load().expect("ci/jitter-bounds.toml").dispatch;
    let checks = checks(&bounds);
    let binary = upstream_binary();
    assert!(
        binary.is_file(),
        "no upstream wasmer at {}: build it with `cargo xtask upstream build` \
         (`cargo xtask ci` does so before the tests)",
        binary.display()
    );
    for n in 1..=bounds.best_of {
        // Upstream's paths take tens of µs a call: a tenth of the calls suffices.
        let measured = trial(&binary, &checks, 10);
        print_trial("upstream (control)", n, &measured);
        assert!(
            !measured.iter().any(Measured::within_bound),
            "upstream met a bound in trial {n}, so the bound cannot see the dispatch patches:\n  {}",
            list(&measured, Measured::within_bound)
        );
    }
}
