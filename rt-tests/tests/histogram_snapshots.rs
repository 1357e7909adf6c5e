//! Snapshots of what is deterministic in the reports: histograms and summaries of seeded simulated loops (`rt_tests::sim`) and of a
//! fixed sample set, rendered in cyclictest's format. Timing data from real runs is
//! never snapshotted.
//!
//! A change to deadline arithmetic or re-arming (say, a periodic loop that re-arms
//! relatively and drifts) or to the rendering shows up as a snapshot diff. CI runs with `INSTA_UPDATE=no` and rejects unreferenced snapshot
//! files (`cargo xtask ci`).

use rt_tests::cyclictest::{self, Column};
use rt_tests::histogram::LatencyHistogram;
use rt_tests::sim::{Rearm, SimHost, WakeModel, periodic_loop};
use std::fmt::Write;

const SEED: u64 = 0x5eed;
const COUNT: u64 = 2000;
const PERIOD_NS: u64 = 1_000_000;
const WORK_NS: u64 = 20_000;

/// Runs every re-arming on a fresh host with `model`; one histogram per loop and a
/// summary with quantiles and drift.
fn simulate(model: WakeModel) -> (Vec<(Rearm, LatencyHistogram)>, String) {
    let mut summary = String::new();
    let mut hists = Vec::new();
    for rearm in Rearm::ALL {
        let mut host = SimHost::new(SEED, model);
        let run = periodic_loop(&mut host, rearm, COUNT, PERIOD_NS, WORK_NS);
        let hist = LatencyHistogram::of(&run.samples);
        let us = |q: f64| hist.quantile_ns(q) as f64 / 1e3;
        writeln!(
            summary,
            "{:<13} p50 {:>7.1} us  p90 {:>7.1} us  p99 {:>7.1} us  early {}  drift over {COUNT} periods {:>9.1} us",
            rearm.name(),
            us(0.5),
            us(0.9),
            us(0.99),
            hist.early(),
            run.drift(PERIOD_NS as i64) as f64 / 1e3
        )
        .unwrap();
        hists.push((rearm, hist));
    }
    (hists, summary)
}

fn render(title: &str, hists: &[(Rearm, LatencyHistogram)]) -> String {
    let columns: Vec<Column<'_>> = hists
        .iter()
        .map(|(rearm, hist)| Column {
            name: rearm.name(),
            hist,
        })
        .collect();
    cyclictest::render(title, &columns, cyclictest::limit_for(&columns))
}

/// Snapshots the summary and the histograms of every re-arming under `model`, as
/// `<name>_summary` and `<name>_histogram`.
fn assert_simulation(name: &str, model: WakeModel, title: &str) {
    let (hists, summary) = simulate(model);
    insta::assert_snapshot!(format!("{name}_summary"), summary);
    insta::assert_snapshot!(format!("{name}_histogram"), render(title, &hists));
}

#[test]
fn simulated_high_resolution_timer() {
    assert_simulation(
        "hrtimer",
        WakeModel::HRTIMER,
        "simulated hrtimer, 2000 x 1 ms, seed 0x5eed",
    );
}

#[test]
fn simulated_timer_wheel() {
    assert_simulation(
        "timer_wheel",
        WakeModel::TIMER_WHEEL,
        "simulated 1 ms timer wheel, 2000 x 1 ms, seed 0x5eed",
    );
}

#[test]
fn rendering_of_a_fixed_sample_set() {
    // An early wake-up, the last bin, and more overflows than are listed, with
    // cyclictest's `-h 100`.
    let mut samples = vec![-1_500, 0, 999, 1_000, 99_999, 100_000];
    samples.extend((0..40).map(|n| 200_000 + n));
    let fixed = LatencyHistogram::of(&samples);
    let empty = LatencyHistogram::new();
    insta::assert_snapshot!(cyclictest::render(
        "fixed samples",
        &[
            Column {
                name: "fixed",
                hist: &fixed
            },
            Column {
                name: "empty",
                hist: &empty
            },
        ],
        100
    ));
}
