//! How every timing and cost check of the suite is judged, in one place: the
//! tests, the jitter gate and the benchmarks use the quantile, the trial rule and
//! the verdict defined here.
//!
//! - **Quantile**: nearest rank over the raw samples in ns ([`quantile`]), never
//!   truncated or bucketed before a comparison.
//! - **Trials**: a check runs `trials` times (`ci/jitter-bounds.toml`, odd); each
//!   trial yields one figure per [`Bound`]. A bound on a quantile or a ratio is
//!   judged on the **median of the trials**' figures, so a regression that breaks
//!   a bound in most trials is caught; a bound of [`Combine::EveryTrial`] (no
//!   early wake-up) is judged on the worst trial.
//! - **Verdict**: a check [`Verdict::Holds`], is [`Verdict::Broken`] (every trial
//!   ran to its end with all its samples, and a bound is exceeded), or is
//!   [`Verdict::Invalid`] (a run hung, crashed, failed or gave too few samples).
//!   A control requires `Broken`; an invalid run fails every check.
//!
//! Every trial's figures and the verdict go to `target/rt-tests/<check>.trials.txt`
//! ([`Judgement::write_artifact`]); `cargo xtask ci` prints these files, and a
//! failing assertion prints its judgement.

use std::fmt::{self, Write as _};
use std::path::PathBuf;
use std::time::Duration;

/// The sample at quantile `q` (0..=1) of `sorted` by nearest rank: the smallest
/// sample with at least `q` of all samples at or below it. `None` if empty.
pub fn quantile(sorted: &[i64], q: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// The median of `values` (the mean of the two middle ones for an even count).
/// `None` if empty.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

/// Why a run gave nothing to judge.
#[derive(Debug, Clone, PartialEq)]
pub enum Invalid {
    /// Still running when its time limit expired (and was killed).
    Hung {
        /// What hung.
        what: String,
        /// Its time limit.
        limit: Duration,
    },
    /// Ended with a non-zero status or a signal.
    Crashed {
        /// What crashed.
        what: String,
        /// Its exit status.
        status: String,
        /// The end of its stderr.
        stderr: String,
    },
    /// Finished, but with fewer samples than the check needs.
    TooFewSamples {
        /// What measured.
        what: String,
        /// Samples it gave.
        got: usize,
        /// Samples the check needs.
        want: usize,
    },
    /// Any other failure to run or to read the output.
    Failed(String),
}

/// Starts every [`Invalid`]'s text, so that a run that proves nothing can be told
/// from a broken bound in any test's output (`cargo xtask revert-check` does).
pub const INVALID_MARK: &str = "INVALID: ";

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(INVALID_MARK)?;
        match self {
            Invalid::Hung { what, limit } => write!(f, "{what} hung (killed after {limit:?})"),
            Invalid::Crashed {
                what,
                status,
                stderr,
            } => write!(f, "{what} crashed ({status}): {stderr}"),
            Invalid::TooFewSamples { what, got, want } => {
                write!(f, "{what} gave {got} samples, {want} needed")
            }
            Invalid::Failed(why) => f.write_str(why),
        }
    }
}

/// Requires `got` samples to be at least `want` (and never zero).
pub fn enough_samples(what: &str, got: usize, want: usize) -> Result<(), Invalid> {
    if got == 0 || got < want {
        return Err(Invalid::TooFewSamples {
            what: what.to_owned(),
            got,
            want: want.max(1),
        });
    }
    Ok(())
}

/// How a bound combines the figures of several trials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Combine {
    /// The median of the trials' figures must be within the limit.
    MedianOfTrials,
    /// Every trial's figure must be within the limit (judged on the worst).
    EveryTrial,
}

/// An upper limit on one figure of a trial.
#[derive(Debug, Clone, PartialEq)]
pub struct Bound {
    /// What the figure is, e.g. `p50 - native p50`.
    pub name: String,
    /// The largest allowed value.
    pub limit: f64,
    /// The unit of the figure and the limit, e.g. `us` or `x native`.
    pub unit: &'static str,
    /// How trials combine.
    pub combine: Combine,
}

impl Bound {
    /// A bound on the median of the trials.
    pub fn median(name: impl Into<String>, limit: f64, unit: &'static str) -> Self {
        Bound {
            name: name.into(),
            limit,
            unit,
            combine: Combine::MedianOfTrials,
        }
    }

    /// A bound every trial must meet.
    pub fn every_trial(name: impl Into<String>, limit: f64, unit: &'static str) -> Self {
        Bound {
            name: name.into(),
            limit,
            unit,
            combine: Combine::EveryTrial,
        }
    }

    fn combined(&self, figures: &[f64]) -> Option<f64> {
        match self.combine {
            Combine::MedianOfTrials => median(figures),
            Combine::EveryTrial => figures.iter().copied().reduce(f64::max),
        }
    }
}

/// What one trial measured: a figure per bound, in the bounds' order, and the
/// lines that describe it for the record.
#[derive(Debug, Clone, PartialEq)]
pub struct Trial {
    /// One figure per bound.
    pub figures: Vec<f64>,
    /// What was measured, for the artifact and the failure message.
    pub detail: String,
}

/// The outcome of a check.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Every bound holds.
    Holds,
    /// Every run completed with its samples, and these bounds (indices into the
    /// check's bounds) are exceeded.
    Broken(Vec<usize>),
    /// A run gave nothing to judge.
    Invalid(Invalid),
}

/// A check's bounds, every trial, and the verdict.
#[derive(Debug, Clone)]
pub struct Judgement {
    /// The check's name (and its artifact's).
    pub check: String,
    /// How the check was set up (say, a control's calibration), printed before
    /// the trials; empty unless the caller sets it.
    pub context: String,
    /// The bounds, in the order of each trial's figures.
    pub bounds: Vec<Bound>,
    /// Every trial that completed, in order.
    pub trials: Vec<Trial>,
    /// The verdict.
    pub verdict: Verdict,
}

impl Judgement {
    /// Runs `trials` trials of `check` with `run(trial_index)` and judges them
    /// against `bounds`. The first invalid trial ends the check as
    /// [`Verdict::Invalid`]; a trial whose figures do not match the bounds is
    /// invalid too.
    pub fn run(
        check: impl Into<String>,
        bounds: Vec<Bound>,
        trials: usize,
        mut run: impl FnMut(usize) -> Result<Trial, Invalid>,
    ) -> Self {
        let mut judgement = Judgement {
            check: check.into(),
            context: String::new(),
            bounds,
            trials: Vec::new(),
            verdict: Verdict::Invalid(Invalid::Failed("no trial ran".to_owned())),
        };
        if judgement.bounds.is_empty() {
            judgement.verdict = Verdict::Invalid(Invalid::Failed("a check without bounds".into()));
            return judgement;
        }
        for index in 0..trials {
            match run(index) {
                Ok(trial) if trial.figures.iter().any(|f| !f.is_finite()) => {
                    judgement.verdict = Verdict::Invalid(Invalid::Failed(format!(
                        "trial {index} gave a figure that is not a number: {:?}\n{}",
                        trial.figures, trial.detail
                    )));
                    return judgement;
                }
                Ok(trial) if trial.figures.len() == judgement.bounds.len() => {
                    judgement.trials.push(trial)
                }
                Ok(trial) => {
                    judgement.verdict = Verdict::Invalid(Invalid::Failed(format!(
                        "trial {index} gave {} figures for {} bounds",
                        trial.figures.len(),
                        judgement.bounds.len()
                    )));
                    return judgement;
                }
                Err(invalid) => {
                    judgement.verdict = Verdict::Invalid(invalid);
                    return judgement;
                }
            }
        }
        if judgement.trials.is_empty() {
            return judgement;
        }
        let broken: Vec<usize> = (0..judgement.bounds.len())
            .filter(|&k| {
                let bound = &judgement.bounds[k];
                bound
                    .combined(&judgement.figures(k))
                    .is_none_or(|value| value > bound.limit)
            })
            .collect();
        judgement.verdict = if broken.is_empty() {
            Verdict::Holds
        } else {
            Verdict::Broken(broken)
        };
        judgement
    }

    /// Bound `k`'s figure in every trial.
    pub fn figures(&self, k: usize) -> Vec<f64> {
        self.trials.iter().map(|t| t.figures[k]).collect()
    }

    /// Bound `k`'s figure over the trials, as its rule combines them.
    pub fn combined(&self, k: usize) -> Option<f64> {
        self.bounds[k].combined(&self.figures(k))
    }

    /// The names of the broken bounds (empty unless [`Verdict::Broken`]).
    pub fn broken(&self) -> Vec<&str> {
        match &self.verdict {
            Verdict::Broken(indices) => indices
                .iter()
                .map(|&k| self.bounds[k].name.as_str())
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Writes the judgement to `target/rt-tests/<check>.trials.txt` and returns
    /// the path.
    pub fn write_artifact(&self) -> PathBuf {
        let dir = crate::guests::artifact_dir();
        std::fs::create_dir_all(&dir).expect("creating target/rt-tests");
        let name: String = self
            .check
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let path = dir.join(format!("{name}.trials.txt"));
        std::fs::write(&path, format!("{self}\n"))
            .unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        path
    }

    /// Panics with the whole judgement unless every bound holds; prints it
    /// either way and writes the artifact.
    pub fn assert_holds(&self) {
        self.write_artifact();
        eprintln!("{self}");
        assert!(
            self.verdict == Verdict::Holds,
            "{}: bound not met\n{self}",
            self.check
        );
    }

    /// Panics with the whole judgement unless every bound named in `bounds` is
    /// broken (a hang, a crash or too few samples is not a broken bound); prints
    /// it either way and writes the artifact.
    pub fn assert_broken(&self, bounds: &[&str]) {
        self.write_artifact();
        eprintln!("{self}");
        assert!(
            !bounds.is_empty(),
            "{}: a control names the bounds it must break",
            self.check
        );
        for bound in bounds {
            assert!(
                self.bounds.iter().any(|b| b.name == *bound),
                "{}: no bound named {bound:?}",
                self.check
            );
        }
        if let Verdict::Invalid(why) = &self.verdict {
            panic!(
                "{}: the control must break {bounds:?}, but the run was invalid ({why})\n{self}",
                self.check
            );
        }
        let broken = self.broken();
        let missed: Vec<&&str> = bounds.iter().filter(|b| !broken.contains(b)).collect();
        assert!(
            missed.is_empty(),
            "{}: the control must break {missed:?}, and did not, so the bound cannot see \
             this regression\n{self}",
            self.check
        );
    }
}

impl fmt::Display for Judgement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = format!("== {}: {} trial(s)\n", self.check, self.trials.len());
        for line in self.context.lines() {
            let _ = writeln!(out, "   {line}");
        }
        for (index, trial) in self.trials.iter().enumerate() {
            let _ = writeln!(out, "-- trial {}", index + 1);
            for line in trial.detail.lines() {
                let _ = writeln!(out, "   {line}");
            }
        }
        for (k, bound) in self.bounds.iter().enumerate() {
            let figures: Vec<String> = self.figures(k).iter().map(|v| format!("{v:.2}")).collect();
            let rule = match bound.combine {
                Combine::MedianOfTrials => "median",
                Combine::EveryTrial => "worst",
            };
            let Some(value) = self.combined(k) else {
                let _ = writeln!(out, "   {}: no figures", bound.name);
                continue;
            };
            let mark = if value > bound.limit { "BROKEN" } else { "ok" };
            let _ = writeln!(
                out,
                "   {mark:<6} {}: [{}] {rule} {value:.2} {unit} (bound {:.2} {unit}, margin {:+.2} {unit})",
                bound.name,
                figures.join(", "),
                bound.limit,
                bound.limit - value,
                unit = bound.unit,
            );
        }
        let verdict = match &self.verdict {
            Verdict::Holds => "every bound holds".to_owned(),
            Verdict::Broken(_) => format!("broken: {}", self.broken().join(", ")),
            Verdict::Invalid(why) => why.to_string(),
        };
        write!(f, "{out}   verdict: {verdict}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trial(figures: &[f64]) -> Result<Trial, Invalid> {
        Ok(Trial {
            figures: figures.to_vec(),
            detail: String::new(),
        })
    }

    #[test]
    fn nearest_rank_quantiles() {
        let sorted: Vec<i64> = (1..=100).collect();
        let q = |p| quantile(&sorted, p).unwrap();
        assert_eq!(
            (q(0.0), q(0.5), q(0.9), q(0.99), q(1.0)),
            (1, 50, 90, 99, 100)
        );
        assert_eq!(quantile(&[], 0.5), None);
        assert_eq!(quantile(&[7], 0.999), Some(7));
    }

    #[test]
    fn the_median_of_the_trials_decides_and_nothing_is_truncated() {
        let bounds = vec![Bound::median("p50", 50.0, "us")];
        let figures = [[50.9], [10.0], [60.0]];
        let j = Judgement::run("t", bounds.clone(), 3, |i| trial(&figures[i]));
        assert_eq!(j.verdict, Verdict::Broken(vec![0]), "50.9 > 50: {j}");
        let figures = [[70.0], [10.0], [50.0]];
        let j = Judgement::run("t", bounds, 3, |i| trial(&figures[i]));
        assert_eq!(j.verdict, Verdict::Holds, "{j}");
    }

    #[test]
    fn an_every_trial_bound_breaks_on_one_trial() {
        let bounds = vec![Bound::every_trial("early", 0.0, "wake-ups")];
        let figures = [[0.0], [1.0], [0.0]];
        let j = Judgement::run("t", bounds, 3, |i| trial(&figures[i]));
        assert_eq!(j.broken(), ["early"]);
    }

    #[test]
    fn a_hang_or_too_few_samples_is_invalid_not_broken() {
        let bounds = vec![Bound::median("p50", 50.0, "us")];
        let j = Judgement::run("t", bounds.clone(), 3, |_| {
            Err(Invalid::Hung {
                what: "guest".into(),
                limit: Duration::from_secs(1),
            })
        });
        assert!(matches!(j.verdict, Verdict::Invalid(Invalid::Hung { .. })));
        assert!(j.broken().is_empty());
        assert!(
            enough_samples("guest", 0, 0).is_err(),
            "zero samples never pass"
        );
        assert!(enough_samples("guest", 299, 300).is_err());
        assert!(enough_samples("guest", 300, 300).is_ok());
        let j = Judgement::run("t", bounds.clone(), 0, |i| trial(&[i as f64]));
        assert!(
            matches!(j.verdict, Verdict::Invalid(_)),
            "no trial is no pass"
        );
        let j = Judgement::run("t", bounds, 1, |_| trial(&[]));
        assert!(
            matches!(j.verdict, Verdict::Invalid(_)),
            "a figure per bound"
        );
    }

    #[test]
    #[should_panic(expected = "the run was invalid")]
    fn a_control_does_not_pass_on_a_crash() {
        let bounds = vec![Bound::median("p50", 50.0, "us")];
        // assert_broken writes its record like any check's: named as what it is.
        Judgement::run(
            "judge_self_test-a_crash_is_no_broken_bound",
            bounds,
            1,
            |_| {
                Err(Invalid::Crashed {
                    what: "guest".into(),
                    status: "signal 11".into(),
                    stderr: String::new(),
                })
            },
        )
        .assert_broken(&["p50"]);
    }
}
