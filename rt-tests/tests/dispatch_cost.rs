//! The dispatch work stays: a patched WASI call costs at most a bounded multiple
//! of a native call measured in the same trial (`[dispatch]` in
//! `ci/jitter-bounds.toml`), judged by [`rt_tests::judge`] on the median of the
//! trials. The native call is the same call, except for `poll_oneoff` with a
//! timeout of 0: the patched path answers it with no syscall, so it is measured
//! against the one thing it must do, a `clock_gettime` (a syscall's cost moves
//! between hosts far more than the vDSO's).
//!
//! Each trial measures, per call, the native equivalent and then the guest loop
//! under `wasmer run` (`dispatch-bench`'s measurement: the guest times its own
//! loop, so process start-up does not count).
//!
//! Controls, each required to *break* the bounds (a hang or a crash fails them):
//! - upstream's CLI, built from the pristine crates, breaks every ratio but that
//!   of `poll_oneoff` with timeout 0, on which it hangs;
//! - near the edge: the patched guest with a busy loop after each call breaks
//!   every ratio. The turns are planned in the same run: corrected until the
//!   delayed call's least cost (of 3 runs) is `control_over_bound` past its
//!   bound. The trials' medians land near there (13-29 % past in the runs so
//!   far); the calibration is printed with the judgement.

use rt_tests::bounds::{self, DispatchBounds};
use rt_tests::dispatch::{self, Call, LoopGuest};
use rt_tests::host::Host;
use rt_tests::judge::{Bound, INVALID_MARK, Invalid, Judgement, Trial, median};
use rt_tests::serial;
use rt_tests::wasmer::{SleepPath, default_binary, upstream_binary};
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

/// One bounded call.
#[derive(Debug, Clone, Copy)]
struct Check {
    call: Call,
    /// Calls per loop on the patched binary (a tenth on upstream's slow paths).
    count: u32,
    /// The native call its cost is divided by.
    per: Call,
    /// Allowed guest ns over native ns.
    max_ratio: f64,
}

fn checks(bounds: &DispatchBounds) -> [Check; 6] {
    [
        Check {
            call: Call::ClockTimeGet,
            count: 200_000,
            per: Call::ClockTimeGet,
            max_ratio: bounds.clock_time_get_over_native,
        },
        Check {
            call: Call::PollTimeout0,
            count: 50_000,
            per: Call::ClockTimeGet,
            max_ratio: bounds.poll_oneoff_0_over_clock_read,
        },
        Check {
            call: Call::PollTimeout1ns,
            count: 50_000,
            per: Call::PollTimeout1ns,
            max_ratio: bounds.poll_oneoff_1ns_over_native,
        },
        Check {
            call: Call::Write1DevNull,
            count: 50_000,
            per: Call::Write1DevNull,
            max_ratio: bounds.fd_write_1b_over_native,
        },
        Check {
            call: Call::Write4kDevNull,
            count: 20_000,
            per: Call::Write4kDevNull,
            max_ratio: bounds.fd_write_4k_over_native,
        },
        Check {
            call: Call::RandomGet16,
            count: 100_000,
            per: Call::RandomGet16,
            max_ratio: bounds.random_get_16b_over_native,
        },
    ]
}

/// The bound's name: the call over the native call it is divided by.
fn bound_name(check: &Check) -> String {
    if check.per == check.call {
        format!("{} / native", check.call.name())
    } else {
        format!("{} / native {}", check.call.name(), check.per.name())
    }
}

/// The judge's bounds: one ratio per call, on the median of the trials.
fn judged(checks: &[Check]) -> Vec<Bound> {
    checks
        .iter()
        .map(|c| Bound::median(bound_name(c), c.max_ratio, "x"))
        .collect()
}

/// The median of three native runs: one run is a few milliseconds, short enough
/// for one preemption to move it either way.
fn native_ns(call: Call, count: u32) -> f64 {
    let runs: Vec<f64> = (0..3).map(|_| call.native_ns(count)).collect();
    median(&runs).expect("three runs")
}

fn guest_ns(binary: &Path, guest: &LoopGuest, call: Call) -> Result<f64, Invalid> {
    dispatch::guest_ns(
        Host::Binary(binary),
        SleepPath::Precise,
        guest,
        call.stdout(),
        Duration::from_secs(20),
    )
}

/// Judges every check on `binary`, each call's loop `count / divisor` long and
/// followed by `spins[i]` busy-loop turns.
fn judge(label: &str, binary: &Path, checks: &[Check], divisor: u32, spins: &[u32]) -> Judgement {
    let _timing = serial::timing();
    judge_holding_lock(label, binary, checks, divisor, spins)
}

/// [`judge`] for a caller that holds [`serial::timing`] already.
fn judge_holding_lock(
    label: &str,
    binary: &Path,
    checks: &[Check],
    divisor: u32,
    spins: &[u32],
) -> Judgement {
    let trials = bounds::get().dispatch.trials;
    let guests: Vec<LoopGuest> = checks
        .iter()
        .zip(spins)
        .map(|(c, &spin)| c.call.guest_with_delay((c.count / divisor).max(10), spin))
        .collect();
    Judgement::run(
        format!("dispatch_cost-{label}"),
        judged(checks),
        trials,
        |_| {
            let mut figures = Vec::new();
            let mut detail = Vec::new();
            for (check, guest) in checks.iter().zip(&guests) {
                let native = native_ns(check.per, check.count);
                let ns = guest_ns(binary, guest, check.call)?;
                figures.push(ns / native);
                detail.push(format!(
                    "{:<16} native {native:>8.1} ns  {label} {ns:>9.1} ns  {:>6.2} x",
                    check.call.name(),
                    ns / native
                ));
            }
            Ok(Trial {
                figures,
                detail: detail.join("\n"),
            })
        },
    )
}

#[test]
fn patched_calls_stay_within_their_ratio_to_native() {
    let bounds = bounds::get().dispatch;
    let checks = checks(&bounds);
    judge("patched", &default_binary(), &checks, 1, &[0; 6]).assert_holds();
}

#[test]
fn control_upstream_breaks_every_ratio() {
    let bounds = bounds::get().dispatch;
    // Upstream hangs in a poll_oneoff with a timeout of 0 (its own bug, the code
    // that `--legacy-sleep` runs, where tests/poll_semantics.rs requires the
    // hang), so that call has no ratio to break there.
    let checks: Vec<Check> = checks(&bounds)
        .into_iter()
        .filter(|c| c.call != Call::PollTimeout0)
        .collect();
    let binary = upstream_binary();
    // Upstream's paths take tens of µs a call: a tenth of the calls suffices.
    let judgement = judge("upstream", &binary, &checks, 10, &vec![0; checks.len()]);
    let names: Vec<String> = checks.iter().map(bound_name).collect();
    judgement.assert_broken(&names.iter().map(String::as_str).collect::<Vec<_>>());
}

/// ns per turn of the guest's busy loop, from `clock_time_get` loops with and
/// without it (medians of three each), on the patched binary: the first guess of
/// [`plan_delay`], which then measures the delay it plans.
fn ns_per_spin(binary: &Path) -> f64 {
    const SPIN: u32 = 2_000;
    const COUNT: u32 = 10_000;
    let call = Call::ClockTimeGet;
    let time = |spin| {
        let guest = call.guest_with_delay(COUNT, spin);
        let runs: Vec<f64> = (0..3)
            .map(|_| guest_ns(binary, &guest, call).unwrap_or_else(|e| panic!("{e}")))
            .collect();
        median(&runs).expect("three runs")
    };
    let per_spin = (time(SPIN) - time(0)) / f64::from(SPIN);
    assert!(per_spin > 0.0, "the busy loop costs nothing: {per_spin} ns");
    per_spin
}

/// Runs of each guest whose least cost the calibration takes.
const CALIBRATION_RUNS: usize = 3;
/// Measurements of the delay before the calibration gives up.
const CALIBRATION_STEPS: usize = 10;
/// How far past its target a calibrated delay may land (a fraction of it).
const CALIBRATION_TOLERANCE: f64 = 0.05;

/// The least ns per call of `check`'s call followed by `spins` busy-loop turns,
/// over [`CALIBRATION_RUNS`] runs: a disturbed run only ever costs more.
fn least_guest_ns(binary: &Path, check: &Check, spins: u32) -> f64 {
    let guest = check.call.guest_with_delay(check.count, spins);
    (0..CALIBRATION_RUNS)
        .map(|_| guest_ns(binary, &guest, check.call).unwrap_or_else(|e| panic!("{e}")))
        .fold(f64::INFINITY, f64::min)
}

/// The busy-loop turns after each call that put `check`'s call
/// `control_over_bound` past its bound, and how they were found.
///
/// The delay is measured, not computed: its cost is not linear in the turns (a
/// few dozen turns overlap the end of the host call and cost less a turn than
/// long loops do, then the cost jumps). So the turns are searched: extrapolated
/// until the delayed call's least cost reaches the target, then bisected down to
/// the fewest turns that still reach it, stopping once one lands within
/// [`CALIBRATION_TOLERANCE`] past it. Its native cost is the median of three runs.
fn plan_delay(binary: &Path, check: &Check, over: f64, per_spin: f64) -> (u32, String) {
    let native = native_ns(check.per, check.count);
    let patched = least_guest_ns(binary, check, 0);
    let target = native * check.max_ratio * (1.0 + over);
    let mut log = format!(
        "{}: native {native:.1} ns, patched {patched:.1} ns, bound {:.1} ns, aim at {target:.1} ns:",
        check.call.name(),
        native * check.max_ratio
    );
    // The most turns known to fall short, and the fewest known to reach the
    // target with their least cost.
    let mut short = 0_u32;
    let mut reaching: Option<(u32, f64)> = None;
    let mut spins = ((target - patched) / per_spin).ceil().max(1.0) as u32;
    for _ in 0..CALIBRATION_STEPS {
        let delayed = least_guest_ns(binary, check, spins);
        let _ = write!(log, " {spins} turns {delayed:.1} ns;");
        if delayed >= target {
            reaching = Some((spins, delayed));
            if delayed <= target * (1.0 + CALIBRATION_TOLERANCE) {
                break;
            }
        } else {
            short = spins;
        }
        spins = match reaching {
            Some((enough, _)) if enough - short <= 1 => break,
            Some((enough, _)) => short + (enough - short) / 2,
            None => {
                // The turns' cost as measured here, at about this count.
                let here = ((delayed - patched) / f64::from(spins)).max(per_spin / 4.0);
                (((target - patched) / here).ceil() as u32).max(spins + 1)
            }
        };
    }
    match reaching {
        Some((spins, delayed)) => {
            if delayed > target * (1.0 + CALIBRATION_TOLERANCE) {
                log.push_str(" (past the tolerance: no fewer turns reach the target)");
            }
            (spins, log)
        }
        None => panic!(
            "{INVALID_MARK}the near-edge delay did not reach its target in \
             {CALIBRATION_STEPS} steps: {log}"
        ),
    }
}

#[test]
fn control_near_edge_delay_breaks_every_ratio() {
    let bounds = bounds::get().dispatch;
    let checks = checks(&bounds);
    let binary = default_binary();
    // One hold of the lock from the calibration to the last trial: nothing runs
    // in between to change what the calibration measured.
    let _timing = serial::timing();
    let per_spin = ns_per_spin(&binary);
    let mut plan = vec![format!(
        "busy loop: ~{per_spin:.3} ns a turn over long loops"
    )];
    let spins: Vec<u32> = checks
        .iter()
        .map(|check| {
            let (spins, log) = plan_delay(&binary, check, bounds.control_over_bound, per_spin);
            plan.push(log);
            spins
        })
        .collect();
    let mut judgement = judge_holding_lock("near-edge", &binary, &checks, 1, &spins);
    judgement.context = plan.join("\n");
    let names: Vec<String> = checks.iter().map(bound_name).collect();
    judgement.assert_broken(&names.iter().map(String::as_str).collect::<Vec<_>>());
}
