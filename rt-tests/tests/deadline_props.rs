//! Property tests of the deadline arithmetic in the patched wasmer-wasix
//! (`wasmer_wasix::os::deadline`): saturation, timespec conversion, conversion of
//! another clock's absolute time, and that a deadline is never before the moment
//! it was taken from.

use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use wasmer_wasix::os::deadline::{Deadline, clock_nanos};

const NANOS_PER_SEC: u64 = 1_000_000_000;

proptest! {
    #![proptest_config(ProptestConfig {
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/deadline_props.txt",
        ))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn after_adds_or_saturates_at_never(start in any::<u64>(), timeout in any::<u64>()) {
        let deadline = Deadline::from_nanos(start).after(timeout);
        prop_assert!(deadline >= Deadline::from_nanos(start));
        match start.checked_add(timeout) {
            Some(sum) => prop_assert_eq!(deadline.as_nanos(), sum),
            None => prop_assert_eq!(deadline, Deadline::NEVER),
        }
    }

    #[test]
    fn after_is_monotonic_in_the_timeout(start in any::<u64>(), a in any::<u64>(), b in any::<u64>()) {
        let (short, long) = (a.min(b), a.max(b));
        let from = Deadline::from_nanos(start);
        prop_assert!(from.after(short) <= from.after(long));
    }

    #[test]
    fn timespec_round_trips_exactly(nanos in any::<u64>()) {
        let ts = Deadline::from_nanos(nanos).to_timespec();
        prop_assert!((0..NANOS_PER_SEC as i64).contains(&ts.tv_nsec));
        prop_assert!(ts.tv_sec >= 0);
        // u64 nanoseconds (584 years) always fit a 64-bit time_t: no saturation.
        let back = ts.tv_sec as u128 * u128::from(NANOS_PER_SEC) + ts.tv_nsec as u128;
        prop_assert_eq!(back, u128::from(nanos));
    }

    #[test]
    fn timespec_order_follows_deadline_order(a in any::<u64>(), b in any::<u64>()) {
        let ts = |n| {
            let t = Deadline::from_nanos(n).to_timespec();
            (t.tv_sec, t.tv_nsec)
        };
        prop_assert_eq!(a.cmp(&b), ts(a).cmp(&ts(b)));
    }

    /// The host reads the other clock at `t1`, then Monotonic at `t2 >= t1`; the
    /// deadline is never before the instant the target is reached, and late by at
    /// most the gap between the two reads.
    #[test]
    fn another_clocks_time_converts_never_early(
        t1 in 0u64..1 << 62,
        gap in 0u64..10_000_000,
        offset in 0u64..1 << 62,
        ahead in 0u64..1 << 40,
        in_past in any::<bool>(),
    ) {
        let t2 = t1 + gap;
        let clock_now = t1 + offset;
        let target = if in_past { clock_now.saturating_sub(ahead) } else { clock_now + ahead };
        let deadline = Deadline::from_clock_time(target, clock_now, Deadline::from_nanos(t2));
        prop_assert!(deadline >= Deadline::from_nanos(t2), "a deadline before the call");
        if target > clock_now {
            // The target, moved onto Monotonic with the readings' true relation.
            let exact = target - offset;
            prop_assert!(deadline.as_nanos() >= exact, "early");
            prop_assert_eq!(deadline.as_nanos() - exact, gap);
        } else {
            prop_assert_eq!(deadline, Deadline::from_nanos(t2));
        }
    }

    #[test]
    fn conversion_saturates_instead_of_wrapping(target in any::<u64>(), clock_now in any::<u64>(), mono in any::<u64>()) {
        let deadline = Deadline::from_clock_time(target, clock_now, Deadline::from_nanos(mono));
        prop_assert!(deadline >= Deadline::from_nanos(mono));
        if target > clock_now {
            let ideal = u128::from(mono) + u128::from(target - clock_now);
            prop_assert_eq!(u128::from(deadline.as_nanos()), ideal.min(u128::from(u64::MAX)));
        }
    }

    /// A relative timeout taken at entry is never before the entry reading, nor
    /// before a clock reading taken just before it.
    #[test]
    fn relative_deadlines_are_never_before_entry(timeout in any::<u64>()) {
        let before = clock_nanos(libc::CLOCK_MONOTONIC);
        let entry = Deadline::now();
        let deadline = entry.after(timeout);
        prop_assert!(entry.as_nanos() >= before);
        prop_assert!(deadline >= entry);
        prop_assert!(deadline.as_nanos() >= before.saturating_add(timeout));
    }
}

#[test]
fn never_never_passes_and_now_has_passed() {
    assert!(!Deadline::NEVER.has_passed());
    assert!(Deadline::now().has_passed());
    assert!(!Deadline::now().after(NANOS_PER_SEC).has_passed());
}
