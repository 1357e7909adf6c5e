//! A periodic sleep loop on virtual time: a seeded, deterministic model of a host
//! waking a thread, with the deadline rules of the patched wasmer-wasix (its
//! crate-private `os::deadline`): relative timeouts count from syscall entry and
//! saturate, Monotonic absolute deadlines are taken as they are, and Realtime ones
//! are converted by reading Realtime first and Monotonic second ([`from_clock_time`]).
//!
//! Real timing data is never snapshotted; these runs are. They pin the whole
//! pipeline from deadline arithmetic to histogram text: if the loop re-armed
//! relatively where it should re-arm absolutely, or a conversion woke early or
//! late, the snapshot's numbers change. Integer arithmetic only, so the output is
//! the same on every machine.

use crate::samples::LoopRun;
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};

/// A Monotonic deadline for `target` on another clock that reads `clock_now`, the
/// Monotonic clock reading `mono_now` at the same moment or later: a target that
/// has passed gives `mono_now`, otherwise the same distance from it (saturating),
/// so the result is late by the time between the two reads, never early. The rule
/// of `Deadline::from_clock_time` in wasmer-wasix's `os::deadline`.
pub fn from_clock_time(target: u64, clock_now: u64, mono_now: u64) -> u64 {
    if target <= clock_now {
        mono_now
    } else {
        mono_now.saturating_add(target - clock_now)
    }
}

/// How the simulated host wakes a thread whose deadline has passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WakeModel {
    /// Latency always added after the deadline (timer slack, wake-up, switch), ns.
    pub base_ns: u64,
    /// Upper end of the uniform jitter added on top, ns.
    pub jitter_ns: u64,
    /// One wake-up in `spike_every` also gets a spike of up to `spike_ns`.
    pub spike_every: u64,
    /// Upper end of a spike, ns.
    pub spike_ns: u64,
    /// Timer granularity: the wait ends on the next multiple of this (a timer
    /// wheel), or at the deadline itself (a high-resolution timer).
    pub tick_ns: Option<u64>,
}

impl WakeModel {
    /// A high-resolution timer with the default 50 µs timer slack, roughly this
    /// machine's native `clock_nanosleep`.
    pub const HRTIMER: WakeModel = WakeModel {
        base_ns: 52_000,
        jitter_ns: 40_000,
        spike_every: 64,
        spike_ns: 300_000,
        tick_ns: None,
    };

    /// A 1 ms timer wheel behind a thread hop, roughly upstream's Tokio path.
    pub const TIMER_WHEEL: WakeModel = WakeModel {
        base_ns: 60_000,
        jitter_ns: 120_000,
        spike_every: 64,
        spike_ns: 900_000,
        tick_ns: Some(1_000_000),
    };
}

/// Guest-visible time on a simulated host.
#[derive(Debug, Clone)]
pub struct SimHost {
    mono_ns: u64,
    realtime_minus_mono_ns: u64,
    model: WakeModel,
    rng: ChaCha8Rng,
}

impl SimHost {
    /// Cost of entering a syscall, before the host reads the clock, in ns.
    pub const SYSCALL_ENTRY_NS: u64 = 1_000;

    /// A host whose clocks start at arbitrary, not tick-aligned readings, waking
    /// threads as `model` says, with jitter drawn from `seed`.
    pub fn new(seed: u64, model: WakeModel) -> Self {
        SimHost {
            mono_ns: 1_000_123_456_789,
            realtime_minus_mono_ns: 1_764_000_000_987_654_321,
            model,
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    /// The Monotonic clock.
    pub fn now(&self) -> u64 {
        self.mono_ns
    }

    /// The Realtime clock.
    pub fn realtime(&self) -> u64 {
        self.mono_ns + self.realtime_minus_mono_ns
    }

    /// Lets `ns` of guest work pass.
    pub fn advance(&mut self, ns: u64) {
        self.mono_ns += ns;
    }

    /// Blocks until `deadline` as the model says: never before it.
    pub fn wait_until(&mut self, deadline_ns: u64) {
        let due = deadline_ns.max(self.mono_ns);
        let fired = match self.model.tick_ns {
            Some(tick) => due.div_ceil(tick) * tick,
            None => due,
        };
        self.mono_ns = fired + self.latency();
    }

    fn latency(&mut self) -> u64 {
        let model = self.model;
        let mut ns = model.base_ns + self.rng.next_u64() % (model.jitter_ns + 1);
        if self.rng.next_u64().is_multiple_of(model.spike_every) {
            ns += self.rng.next_u64() % (model.spike_ns + 1);
        }
        ns
    }
}

/// How the loop computes each deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rearm {
    /// `start + n × period` on the Monotonic clock, `SUBSCRIPTION_CLOCK_ABSTIME`
    /// (cyclictest's loop).
    Absolute,
    /// `start + n × period` on the Realtime clock, `SUBSCRIPTION_CLOCK_ABSTIME`.
    RealtimeAbsolute,
    /// A relative timeout of one period from wherever the last wake-up left the
    /// loop (Rust std's `thread::sleep`); the schedule drifts.
    Relative,
}

impl Rearm {
    /// Every way, absolute first.
    pub const ALL: [Rearm; 3] = [Rearm::Absolute, Rearm::RealtimeAbsolute, Rearm::Relative];

    /// A short name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Rearm::Absolute => "absolute",
            Rearm::RealtimeAbsolute => "realtime-abs",
            Rearm::Relative => "relative",
        }
    }
}

/// Runs `count` periods of `period_ns`, each followed by `work_ns` of guest work,
/// and returns the samples as the loop guest would report them: wake-up minus
/// deadline on the deadline's clock, and the time from start to the last wake-up.
pub fn periodic_loop(
    host: &mut SimHost,
    rearm: Rearm,
    count: u64,
    period_ns: u64,
    work_ns: u64,
) -> LoopRun {
    let start = host.now();
    let realtime_start = host.realtime();
    let mut run = LoopRun::default();
    for n in 1..=count {
        let sample = match rearm {
            Rearm::Absolute => {
                let target = start + n * period_ns;
                host.advance(SimHost::SYSCALL_ENTRY_NS);
                host.wait_until(target);
                host.now() as i64 - target as i64
            }
            Rearm::RealtimeAbsolute => {
                let target = realtime_start + n * period_ns;
                host.advance(SimHost::SYSCALL_ENTRY_NS);
                // The host reads Realtime first, then Monotonic: late, never early.
                let realtime_now = host.realtime();
                host.wait_until(from_clock_time(target, realtime_now, host.now()));
                host.realtime() as i64 - target as i64
            }
            Rearm::Relative => {
                let asked_at = host.now();
                host.advance(SimHost::SYSCALL_ENTRY_NS);
                host.wait_until(host.now().saturating_add(period_ns));
                (host.now() - asked_at) as i64 - period_ns as i64
            }
        };
        run.samples.push(sample);
        run.elapsed = (host.now() - start) as i64;
        host.advance(work_ns);
    }
    run
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_run_and_never_early() {
        let run = |seed| {
            let mut host = SimHost::new(seed, WakeModel::HRTIMER);
            periodic_loop(&mut host, Rearm::RealtimeAbsolute, 500, 1_000_000, 20_000)
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
        assert!(run(7).samples.iter().all(|s| *s >= 0));
    }

    #[test]
    fn absolute_rearming_holds_the_schedule_and_relative_drifts() {
        let drift = |rearm| {
            let mut host = SimHost::new(1, WakeModel::HRTIMER);
            periodic_loop(&mut host, rearm, 1000, 1_000_000, 20_000).drift(1_000_000)
        };
        assert!(drift(Rearm::Absolute) < 1_000_000);
        assert!(drift(Rearm::Relative) > 50_000_000);
    }
}
