//! `wasmer run --timing-report`, `--timing-histogram` and `--timing-bounds`: how
//! late every timed wait of the guest woke, measured by the runtime (see
//! `wasmer_wasix::os::wait_telemetry`), and limits on it for CI.

use std::{
    collections::BTreeMap,
    fs::File,
    io::Write,
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use anyhow::{Context, Error, anyhow, bail};
use clap::Parser;
use wasmer_wasix::os::wait_telemetry::{
    ThreadWaitStats, WaitHistogram, WaitKind, WaitStats, WaitTelemetry,
};

use super::realtime::ThreadProfile;

/// The native calibration loop runs at most this many periods, and for at most
/// about [`CALIBRATION_TIME`], with a period of at least [`MIN_PERIOD_NS`].
const CALIBRATION_LOOPS: u64 = 10_000;
const CALIBRATION_TIME: Duration = Duration::from_secs(10);
const MIN_PERIOD_NS: u64 = 10_000;
/// Histogram text: 1 µs bins up to here, later values are overflows.
const HISTOGRAM_US: u64 = 10_000;

/// Wait telemetry flags of `wasmer run`.
#[derive(Debug, Parser, Clone, Default)]
pub struct TimingOptions {
    /// Write how late every timed wait of the guest woke as JSON to FILE:
    /// overshoot quantiles, counts and a histogram in 1 µs bins (exact below
    /// 131 µs, from buckets at most 1.6 % wide above) per guest thread and
    /// per call (`poll_oneoff`, `thread_sleep`, `futex_wait`, `epoll_wait`),
    /// measured by the runtime without changing the guest.
    #[clap(long = "timing-report", value_name = "FILE")]
    pub report: Option<PathBuf>,

    /// Write the same overshoots as cyclictest's `--histogram` text to FILE,
    /// one column per guest thread.
    #[clap(long = "timing-histogram", value_name = "FILE")]
    pub histogram: Option<PathBuf>,

    /// Check the overshoots against the limits in FILE (TOML) when the guest
    /// has run (`p50`, `p90`, `p99`, `p99_9`, `p99_99` and `max` in µs;
    /// `early`, `expired` and `min_waits` counts): each broken limit prints one
    /// line, and `wasmer run` exits non-zero even if the guest exited with 0.
    /// A limit can be relative to a native `clock_nanosleep` loop run afterwards
    /// with the guest's median wait length and real-time settings:
    /// `p99 = "native + 50"`.
    #[clap(long = "timing-bounds", value_name = "FILE")]
    pub bounds: Option<PathBuf>,
}

impl TimingOptions {
    /// Checks the bounds file and opens the output files, before the guest starts.
    /// `None` when no timing flag is given. Every error is one line naming the
    /// flag, the file and the cause.
    pub fn prepare(&self, profile: Option<ThreadProfile>) -> Result<Option<Timing>, Error> {
        if self.report.is_none() && self.histogram.is_none() && self.bounds.is_none() {
            return Ok(None);
        }
        let bounds = match &self.bounds {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|err| {
                    anyhow!("--timing-bounds {}: cannot read: {err}", path.display())
                })?;
                let bounds = Bounds::parse(&text)
                    .map_err(|err| anyhow!("--timing-bounds {}: {err}", path.display()))?;
                if bounds.needs_native() && !cfg!(target_os = "linux") {
                    bail!(
                        "--timing-bounds {}: limits relative to native need Linux",
                        path.display()
                    );
                }
                Some(bounds)
            }
            None => None,
        };
        let create = |flag: &str, path: &Option<PathBuf>| {
            path.as_ref()
                .map(|path| {
                    File::create(path)
                        .map(|file| (path.clone(), file))
                        .map_err(|err| anyhow!("{flag} {}: cannot write: {err}", path.display()))
                })
                .transpose()
        };
        Ok(Some(Timing {
            telemetry: Arc::new(WaitTelemetry::new()),
            report: create("--timing-report", &self.report)?,
            histogram: create("--timing-histogram", &self.histogram)?,
            bounds,
            profile,
        }))
    }
}

/// The telemetry of one `wasmer run`, and what to do with it at exit.
#[derive(Debug)]
pub struct Timing {
    telemetry: Arc<WaitTelemetry>,
    report: Option<(PathBuf, File)>,
    histogram: Option<(PathBuf, File)>,
    bounds: Option<Bounds>,
    profile: Option<ThreadProfile>,
}

impl Timing {
    /// The telemetry to attach to the guest's runner.
    pub fn telemetry(&self) -> Arc<WaitTelemetry> {
        self.telemetry.clone()
    }

    /// Writes the reports and checks the bounds once the guest has run.
    ///
    /// The guest's own failure or non-zero exit is returned as it is; a guest
    /// that succeeded becomes an error when a bound is broken.
    pub fn finish(self, result: Result<(), Error>) -> Result<(), Error> {
        let threads = self.telemetry.snapshot();
        let guest_succeeded = match &result {
            Ok(()) => true,
            Err(error) => error
                .chain()
                .find_map(super::get_exit_code)
                .is_some_and(|code| code.raw() == 0),
        };
        // The native loop only serves the bounds, which only judge a guest that
        // succeeded.
        let native = match &self.bounds {
            Some(bounds) if bounds.needs_native() && guest_succeeded => {
                Some(calibrate(&threads, &self.profile))
            }
            _ => None,
        };
        let mut written = Ok(());
        if let Some((path, file)) = self.report {
            let baseline = native.as_ref().and_then(|native| native.as_ref().ok());
            let json = report_json(&threads, baseline);
            written = written.and(write(&path, file, &format!("{json:#}\n")));
        }
        if let Some((path, file)) = self.histogram {
            written = written.and(write(&path, file, &histogram_text(&threads)));
        }
        let broken = match &self.bounds {
            Some(bounds) if guest_succeeded => bounds.check(&threads, native.as_ref()),
            _ => Vec::new(),
        };
        for line in &broken {
            eprintln!("wasmer: timing bound broken: {line}");
        }
        if !guest_succeeded {
            if let Err(err) = written {
                eprintln!("wasmer: {err:#}");
            }
            return result;
        }
        written?;
        if !broken.is_empty() {
            bail!("{} timing bound(s) broken", broken.len());
        }
        result
    }
}

fn write(path: &Path, mut file: File, text: &str) -> Result<(), Error> {
    file.write_all(text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Overshoots of one set of waits, in µs.
#[derive(Debug, Clone, Default, PartialEq)]
struct Summary {
    waits: u64,
    early: u64,
    by_event: u64,
    expired: u64,
    sum_ns: u64,
    min_ns: u64,
    max_ns: u64,
    overshoot: WaitHistogram,
}

const QUANTILES: [(&str, f64); 5] = [
    ("p50", 0.5),
    ("p90", 0.9),
    ("p99", 0.99),
    ("p99_9", 0.999),
    ("p99_99", 0.9999),
];

impl Summary {
    fn of<'a>(stats: impl IntoIterator<Item = &'a WaitStats>) -> Self {
        let mut summary = Summary {
            min_ns: u64::MAX,
            ..Summary::default()
        };
        for s in stats {
            summary.waits += s.at_deadline;
            summary.early += s.early;
            summary.by_event += s.by_event;
            summary.expired += s.expired;
            summary.sum_ns = summary.sum_ns.saturating_add(s.sum_ns);
            summary.min_ns = summary.min_ns.min(s.min_ns);
            summary.max_ns = summary.max_ns.max(s.max_ns);
            summary.overshoot.merge(&s.overshoot);
        }
        summary
    }

    fn is_empty(&self) -> bool {
        self.waits + self.early + self.by_event + self.expired == 0
    }

    /// A quantile (or `max`) in µs, never below the true value.
    fn quantile_us(&self, name: &str) -> Option<f64> {
        if name == "max" {
            return (self.waits > 0).then(|| self.max_ns as f64 / 1000.0);
        }
        let q = QUANTILES.iter().find(|(n, _)| *n == name)?.1;
        let ns = self.overshoot.quantile(q)?.min(self.max_ns);
        Some(ns as f64 / 1000.0)
    }

    fn to_json(&self) -> serde_json::Value {
        let mut json = serde_json::json!({
            "waits": self.waits,
            "early": self.early,
            "by_event": self.by_event,
            "expired": self.expired,
        });
        if self.waits > 0 {
            json["min"] = (self.min_ns as f64 / 1000.0).into();
            json["mean"] = (self.sum_ns as f64 / self.waits as f64 / 1000.0).into();
            for (name, _) in QUANTILES.iter().chain([("max", 1.0)].iter()) {
                json[*name] = self.quantile_us(name).into();
            }
            // As in cyclictest's JSON: bins with samples, keyed by the bin in µs.
            json["histogram"] = microsecond_bins(&self.overshoot)
                .into_iter()
                .map(|(us, count)| (us.to_string(), count.into()))
                .collect::<serde_json::Map<_, _>>()
                .into();
        }
        json
    }
}

/// The histogram as (µs, count) in 1 µs bins; a bucket wider than 1 µs (above
/// 131 µs, at most 1.6 % of its value) is counted in the bin of its lower edge,
/// so above 131 µs only every few bins hold counts.
fn microsecond_bins(hist: &WaitHistogram) -> BTreeMap<u64, u64> {
    let mut bins = BTreeMap::new();
    for (low, _, count) in hist.buckets() {
        *bins.entry(low / 1000).or_default() += count;
    }
    bins
}

fn thread_summary(thread: &ThreadWaitStats, kind: Option<WaitKind>) -> Summary {
    Summary::of(
        thread
            .kinds
            .iter()
            .filter(|s| kind.is_none_or(|kind| s.kind == kind)),
    )
}

fn report_json(threads: &[ThreadWaitStats], native: Option<&Native>) -> serde_json::Value {
    let all_threads = Summary::of(threads.iter().flat_map(|t| &t.kinds));
    let threads: Vec<_> = threads
        .iter()
        .map(|thread| {
            let calls: serde_json::Map<_, _> = WaitKind::ALL
                .into_iter()
                .map(|kind| (kind, thread_summary(thread, Some(kind))))
                .filter(|(_, summary)| !summary.is_empty())
                .map(|(kind, summary)| (kind.name().to_owned(), summary.to_json()))
                .collect();
            serde_json::json!({
                "pid": thread.pid,
                "tid": thread.tid,
                "all": thread_summary(thread, None).to_json(),
                "calls": calls,
            })
        })
        .collect();
    let mut json = serde_json::json!({
        "unit": "us",
        "overshoot": "wake-up minus deadline of the waits that ended at their deadline",
        "all": all_threads.to_json(),
        "threads": threads,
    });
    if let Some(native) = native {
        let mut summary = native.summary.to_json();
        summary["period"] = (native.period_ns as f64 / 1000.0).into();
        json["native"] = summary;
    }
    json
}

/// cyclictest's `--histogram` text, one column per guest thread.
fn histogram_text(threads: &[ThreadWaitStats]) -> String {
    let summaries: Vec<Summary> = threads.iter().map(|t| thread_summary(t, None)).collect();
    let bins: Vec<BTreeMap<u64, u64>> = summaries
        .iter()
        .map(|s| microsecond_bins(&s.overshoot))
        .collect();
    let last_bin = bins
        .iter()
        .filter_map(|b| b.range(..HISTOGRAM_US).next_back().map(|(us, _)| *us))
        .max()
        .unwrap_or(0);
    let columns = |f: &dyn Fn(usize) -> String| -> String {
        (0..summaries.len()).map(|i| format!(" {}", f(i))).collect()
    };
    let mut out = String::from(
        "# wasmer run --timing-histogram: overshoot of timed waits in us, \
         one column per guest thread\n\
         # Resolution: 1 us below 131 us, buckets at most 1.6 % wide above\n",
    );
    out += &format!("# Threads:{}\n", columns(&|i| threads[i].tid.to_string()));
    out += "# Histogram\n";
    for us in 0..=last_bin {
        let cells: Vec<String> = bins
            .iter()
            .map(|b| format!("{:06}", b.get(&us).copied().unwrap_or(0)))
            .collect();
        out += &format!("{us:06} {}\n", cells.join("\t"));
    }
    let overflows = |i: usize| -> u64 { bins[i].range(HISTOGRAM_US..).map(|(_, c)| c).sum() };
    out += &format!(
        "# Total:{}\n",
        columns(&|i| format!("{:09}", summaries[i].waits.saturating_sub(overflows(i))))
    );
    let us = |ns: u64| ns / 1000;
    out += &format!(
        "# Min Latencies:{}\n",
        columns(&|i| format!("{:05}", us(summaries[i].min_ns.min(summaries[i].max_ns))))
    );
    out += &format!(
        "# Avg Latencies:{}\n",
        columns(&|i| {
            let s = &summaries[i];
            format!("{:05}", us(s.sum_ns.checked_div(s.waits).unwrap_or(0)))
        })
    );
    out += &format!(
        "# Max Latencies:{}\n",
        columns(&|i| format!("{:05}", us(summaries[i].max_ns)))
    );
    out += &format!(
        "# Histogram Overflows:{}\n",
        columns(&|i| format!("{:05}", overflows(i)))
    );
    out
}

/// The native baseline for relative limits.
#[derive(Debug)]
struct Native {
    period_ns: u64,
    summary: Summary,
}

/// Runs a periodic `clock_nanosleep` loop on absolute `CLOCK_MONOTONIC` deadlines
/// with the guest's median wait length (at least [`MIN_PERIOD_NS`]), as many
/// periods as the guest waited (within [`CALIBRATION_LOOPS`] and
/// [`CALIBRATION_TIME`], at least one), on a thread with the guest's real-time
/// settings. A period missed by a late wake-up is skipped and counted as
/// expired, as the guest's would be.
fn calibrate(
    threads: &[ThreadWaitStats],
    profile: &Option<ThreadProfile>,
) -> Result<Native, Error> {
    let mut lengths = WaitHistogram::default();
    for thread in threads {
        lengths.merge(&thread.wait_lengths);
    }
    let Some(period_ns) = lengths.quantile(0.5) else {
        bail!("no timed wait ended at its deadline, so there is no wait length to calibrate with");
    };
    let period_ns = period_ns.max(MIN_PERIOD_NS);
    let budget = u64::try_from(CALIBRATION_TIME.as_nanos()).unwrap_or(u64::MAX) / period_ns;
    let loops = lengths.len().min(CALIBRATION_LOOPS).min(budget).max(1);
    let profile = profile.clone();
    let summary = std::thread::spawn(move || native_loop(period_ns, loops, profile.as_ref()))
        .join()
        .map_err(|_| anyhow!("the native calibration loop panicked"))??;
    Ok(Native { period_ns, summary })
}

#[cfg(target_os = "linux")]
fn native_loop(
    period_ns: u64,
    loops: u64,
    profile: Option<&ThreadProfile>,
) -> Result<Summary, Error> {
    let _applied = profile
        .map(ThreadProfile::apply_to_current_thread)
        .transpose()?;
    let now = || {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid, writable timespec.
        unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
        (ts.tv_sec as u64) * 1_000_000_000 + ts.tv_nsec as u64
    };
    let mut summary = Summary {
        min_ns: u64::MAX,
        ..Summary::default()
    };
    let mut next = now();
    for _ in 0..loops {
        next += period_ns;
        let target = libc::timespec {
            tv_sec: (next / 1_000_000_000) as libc::time_t,
            tv_nsec: (next % 1_000_000_000) as libc::c_long,
        };
        // SAFETY: `target` is a valid timespec; EINTR only ends the sleep early,
        // which the check below counts.
        unsafe {
            libc::clock_nanosleep(
                libc::CLOCK_MONOTONIC,
                libc::TIMER_ABSTIME,
                &target,
                std::ptr::null_mut(),
            )
        };
        let woke = now();
        match woke.checked_sub(next) {
            Some(late) => {
                summary.waits += 1;
                summary.sum_ns += late;
                summary.min_ns = summary.min_ns.min(late);
                summary.max_ns = summary.max_ns.max(late);
                summary.overshoot.record(late);
            }
            None => summary.early += 1,
        }
        // Deadlines that passed during a late wake-up are missed, not waited for.
        while next + period_ns <= woke {
            next += period_ns;
            summary.expired += 1;
        }
    }
    Ok(summary)
}

#[cfg(not(target_os = "linux"))]
fn native_loop(_: u64, _: u64, _: Option<&ThreadProfile>) -> Result<Summary, Error> {
    bail!("the native calibration loop needs Linux")
}

/// A limit on a quantile, in µs.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Limit {
    Micros(f64),
    /// The same quantile of the native loop plus this many µs.
    AboveNative(f64),
}

/// The limits of one section: `[all]` or a call.
#[derive(Debug, Clone, Default, PartialEq)]
struct Limits {
    quantiles: Vec<(String, Limit)>,
    early: u64,
    /// Waits whose deadline had passed when the call started (missed periods).
    expired: Option<u64>,
    min_waits: u64,
}

/// The parsed `--timing-bounds` file: a section per call (`[poll_oneoff]`...)
/// or `[all]` for every timed wait, checked for every guest thread.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Bounds {
    sections: Vec<(Option<WaitKind>, Limits)>,
}

const QUANTILE_KEYS: [&str; 6] = ["p50", "p90", "p99", "p99_9", "p99_99", "max"];

impl Bounds {
    /// Parses a bounds file; the error is one line that names the section and key.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let table: toml::Table = toml::from_str(text).map_err(|err| {
            let line = err
                .span()
                .map(|span| text[..span.start].lines().count().max(1))
                .map_or(String::new(), |line| format!("line {line}: "));
            format!("{line}{}", err.message().trim())
        })?;
        let mut sections = Vec::new();
        for (name, value) in table {
            let toml::Value::Table(keys) = value else {
                return Err(format!(
                    "{name} is outside a section (put limits under [all] or [poll_oneoff]...)"
                ));
            };
            let kind = match name.as_str() {
                "all" => None,
                call => Some(WaitKind::from_name(call).ok_or_else(|| {
                    format!(
                        "unknown section [{call}] (expected all, poll_oneoff, thread_sleep, \
                         futex_wait or epoll_wait)"
                    )
                })?),
            };
            let mut limits = Limits {
                min_waits: 1,
                ..Limits::default()
            };
            for (key, value) in keys {
                let at = |what: &str| format!("[{name}] {key}: {what}, got {value}");
                match key.as_str() {
                    "early" | "expired" | "min_waits" => {
                        let count = value
                            .as_integer()
                            .and_then(|n| u64::try_from(n).ok())
                            .ok_or_else(|| at("expected a count (0 or more)"))?;
                        match key.as_str() {
                            "early" => limits.early = count,
                            "expired" => limits.expired = Some(count),
                            _ => limits.min_waits = count,
                        }
                    }
                    quantile if QUANTILE_KEYS.contains(&quantile) => {
                        let limit = parse_limit(&value)
                            .ok_or_else(|| at("expected µs (a number) or \"native + <µs>\""))?;
                        limits.quantiles.push((key.clone(), limit));
                    }
                    _ => {
                        return Err(format!(
                            "[{name}] unknown key {key} (expected {}, early, expired or min_waits)",
                            QUANTILE_KEYS.join(", ")
                        ));
                    }
                }
            }
            sections.push((kind, limits));
        }
        if sections.is_empty() {
            return Err("no limits (add a section such as [all] with p99 = 100)".to_owned());
        }
        Ok(Bounds { sections })
    }

    fn needs_native(&self) -> bool {
        self.sections.iter().any(|(_, limits)| {
            limits
                .quantiles
                .iter()
                .any(|(_, limit)| matches!(limit, Limit::AboveNative(_)))
        })
    }

    /// One line per broken limit.
    fn check(
        &self,
        threads: &[ThreadWaitStats],
        native: Option<&Result<Native, Error>>,
    ) -> Vec<String> {
        let mut broken = Vec::new();
        for (kind, limits) in &self.sections {
            let section = kind.map_or("all", WaitKind::name);
            let per_thread: Vec<(u32, Summary)> = threads
                .iter()
                .map(|t| (t.tid, thread_summary(t, *kind)))
                .filter(|(_, summary)| summary.waits + summary.early + summary.expired > 0)
                .collect();
            let waits: u64 = per_thread.iter().map(|(_, s)| s.waits).sum();
            if waits < limits.min_waits {
                broken.push(format!(
                    "{section}: {waits} timed waits ended at their deadline, at least {} required",
                    limits.min_waits
                ));
            }
            for (tid, summary) in &per_thread {
                if summary.early > limits.early {
                    broken.push(format!(
                        "thread {tid} {section} early wake-ups {} > {}",
                        summary.early, limits.early
                    ));
                }
                if let Some(expired) = limits.expired
                    && summary.expired > expired
                {
                    broken.push(format!(
                        "thread {tid} {section} expired deadlines {} > {expired}",
                        summary.expired
                    ));
                }
                for (name, limit) in &limits.quantiles {
                    let Some(measured) = summary.quantile_us(name) else {
                        continue;
                    };
                    let (bound, basis) = match *limit {
                        Limit::Micros(us) => (us, String::new()),
                        Limit::AboveNative(plus) => match native {
                            Some(Ok(native)) => match native.summary.quantile_us(name) {
                                Some(base) => {
                                    (base + plus, format!(" (native {name} {base:.1} + {plus})"))
                                }
                                None => {
                                    broken.push(format!(
                                        "{section} {name}: the native loop has no samples"
                                    ));
                                    continue;
                                }
                            },
                            Some(Err(err)) => {
                                broken
                                    .push(format!("{section} {name}: no native baseline: {err:#}"));
                                continue;
                            }
                            None => {
                                broken.push(format!("{section} {name}: no native baseline"));
                                continue;
                            }
                        },
                    };
                    if measured > bound {
                        broken.push(format!(
                            "thread {tid} {section} {name} {measured:.1} us > {bound:.1} us{basis}"
                        ));
                    }
                }
            }
        }
        broken
    }
}

fn parse_limit(value: &toml::Value) -> Option<Limit> {
    let us = |v: &toml::Value| v.as_float().or_else(|| v.as_integer().map(|n| n as f64));
    if let Some(us) = us(value) {
        return (us >= 0.0).then_some(Limit::Micros(us));
    }
    let text = value.as_str()?.trim();
    let rest = text.strip_prefix("native")?.trim();
    if rest.is_empty() {
        return Some(Limit::AboveNative(0.0));
    }
    let plus: f64 = rest.strip_prefix('+')?.trim().parse().ok()?;
    (plus >= 0.0 && plus.is_finite()).then_some(Limit::AboveNative(plus))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_parse_absolute_and_native_relative_limits() {
        let bounds = Bounds::parse(
            "[all]\np50 = 100\np99 = \"native + 50\"\nearly = 0\n\n[poll_oneoff]\nmax = 2500.5\nmin_waits = 10\n",
        )
        .unwrap();
        assert!(bounds.needs_native());
        assert_eq!(bounds.sections.len(), 2);
        let (kind, limits) = &bounds.sections[1];
        assert_eq!(*kind, Some(WaitKind::PollOneoff));
        assert_eq!(
            limits.quantiles,
            vec![("max".to_owned(), Limit::Micros(2500.5))]
        );
        assert_eq!(limits.min_waits, 10);
        assert_eq!(
            bounds.sections[0].1.quantiles[1],
            ("p99".to_owned(), Limit::AboveNative(50.0))
        );
    }

    #[test]
    fn bad_bounds_files_are_one_line_errors_that_name_the_cause() {
        for (text, expected) in [
            ("[sleep]\np50 = 1\n", "unknown section [sleep]"),
            ("[all]\np42 = 1\n", "[all] unknown key p42"),
            ("[all]\np99 = \"natve + 5\"\n", "[all] p99: expected"),
            ("[all]\np99 = -3\n", "[all] p99: expected"),
            ("[all]\nearly = -1\n", "[all] early: expected a count"),
            ("[all\n", "line 1: "),
            ("", "no limits"),
            ("p50 = 3\n", "p50 is outside a section"),
        ] {
            let err = Bounds::parse(text).unwrap_err();
            assert!(err.contains(expected), "{text:?}: {err}");
            assert!(!err.contains('\n'), "{text:?}: {err:?}");
        }
    }

    fn thread(tid: u32, overshoots_us: &[u64], early: u64) -> ThreadWaitStats {
        let mut overshoot = WaitHistogram::default();
        for us in overshoots_us {
            overshoot.record(us * 1000);
        }
        let poll = WaitStats {
            kind: WaitKind::PollOneoff,
            at_deadline: overshoots_us.len() as u64,
            early,
            by_event: 0,
            expired: 0,
            sum_ns: overshoots_us.iter().sum::<u64>() * 1000,
            min_ns: overshoots_us.iter().min().map_or(u64::MAX, |us| us * 1000),
            max_ns: overshoots_us.iter().max().map_or(0, |us| us * 1000),
            overshoot,
        };
        let mut kinds = vec![poll];
        kinds.extend(WaitKind::ALL[1..].iter().map(|&kind| WaitStats {
            kind,
            at_deadline: 0,
            early: 0,
            by_event: 0,
            expired: 0,
            sum_ns: 0,
            min_ns: u64::MAX,
            max_ns: 0,
            overshoot: WaitHistogram::default(),
        }));
        ThreadWaitStats {
            pid: 1,
            tid,
            kinds,
            wait_lengths: WaitHistogram::default(),
        }
    }

    #[test]
    fn a_bound_breaks_when_the_quantile_is_above_it_by_more_than_a_bucket() {
        let bounds = Bounds::parse("[poll_oneoff]\np50 = 51\nmax = 100\n").unwrap();
        // p50 = 50 µs (reported as its bucket's upper edge, 50.2 µs): within;
        // max = 100 µs, which is exact: within.
        let within: Vec<u64> = (1..=100).collect();
        assert_eq!(
            bounds.check(&[thread(1, &within, 0)], None),
            Vec::<String>::new()
        );
        // One µs more at the top breaks max only; 2 µs more everywhere breaks p50.
        let mut over = within.clone();
        *over.last_mut().unwrap() = 101;
        let later: Vec<u64> = (3..=102).collect();
        let threads = [
            thread(1, &within, 0),
            thread(2, &over, 0),
            thread(3, &later, 0),
        ];
        let broken = bounds.check(&threads, None);
        assert_eq!(
            broken,
            vec![
                "thread 2 poll_oneoff max 101.0 us > 100.0 us",
                "thread 3 poll_oneoff p50 52.2 us > 51.0 us",
                "thread 3 poll_oneoff max 102.0 us > 100.0 us",
            ]
        );
    }

    #[test]
    fn no_waits_and_early_wake_ups_break_the_bounds() {
        let bounds = Bounds::parse("[all]\np99 = 1000\n").unwrap();
        let broken = bounds.check(&[thread(1, &[], 0)], None);
        assert_eq!(
            broken,
            vec!["all: 0 timed waits ended at their deadline, at least 1 required"]
        );
        let broken = bounds.check(&[thread(1, &[5], 2)], None);
        assert_eq!(broken, vec!["thread 1 all early wake-ups 2 > 0"]);
        let bounds = Bounds::parse("[all]\nexpired = 1\n").unwrap();
        let mut missed = thread(1, &[5], 0);
        missed.kinds[0].expired = 2;
        assert_eq!(
            bounds.check(&[missed], None),
            vec!["thread 1 all expired deadlines 2 > 1"]
        );
    }

    #[test]
    fn relative_bounds_compare_with_the_native_quantile() {
        let bounds = Bounds::parse("[all]\np50 = \"native + 10\"\n").unwrap();
        let native = |us: u64| {
            let mut summary = Summary::of(&thread(0, &[us], 0).kinds);
            summary.waits = 1;
            Ok(Native {
                period_ns: 1_000_000,
                summary,
            })
        };
        let guest = [thread(1, &[30], 0)];
        assert!(bounds.check(&guest, Some(&native(20))).is_empty());
        let broken = bounds.check(&guest, Some(&native(19)));
        assert_eq!(
            broken,
            vec!["thread 1 all p50 30.0 us > 29.0 us (native p50 19.0 + 10)"]
        );
        let failed: Result<Native, Error> = Err(anyhow!("no wait length"));
        assert_eq!(
            bounds.check(&guest, Some(&failed)),
            vec!["all p50: no native baseline: no wait length"]
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_native_loop_has_a_floor_period_and_skips_missed_periods() {
        let mut guest = thread(1, &[5], 0);
        for _ in 0..20 {
            guest.wait_lengths.record(1);
        }
        let native = calibrate(&[guest], &None).unwrap();
        assert_eq!(native.period_ns, MIN_PERIOD_NS);
        let summary = &native.summary;
        // 20 waits; the periods a late wake-up skipped are expired, not waits.
        assert_eq!((summary.waits, summary.early), (20, 0));
        assert!(calibrate(&[thread(1, &[], 0)], &None).is_err());
    }

    #[test]
    fn histogram_text_is_cyclictest_layout_with_a_column_per_thread() {
        let text = histogram_text(&[thread(1, &[0, 2, 2], 0), thread(5, &[1, 20_000], 0)]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[2], "# Threads: 1 5");
        assert_eq!(lines[3], "# Histogram");
        assert_eq!(lines[4], "000000 000001\t000000");
        assert_eq!(lines[5], "000001 000000\t000001");
        assert_eq!(lines[6], "000002 000002\t000000");
        assert_eq!(lines[7], "# Total: 000000003 000000001");
        assert_eq!(lines[10], "# Max Latencies: 00002 20000");
        assert_eq!(lines[11], "# Histogram Overflows: 00000 00001");
    }
}
