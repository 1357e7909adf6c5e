//! poll_oneoff follows the WASI semantics for clock subscriptions on the patched
//! path; every rule is also checked against `--legacy-sleep` (upstream's path),
//! where it must fail, so each test proves it can see the upstream bug.

use rt_tests::bounds;
use rt_tests::host::Host;
use rt_tests::poll::{EVENTTYPE_CLOCK, PollCall, PollOutcome, Sub, clock, errno, poll_once};
use rt_tests::serial;
use rt_tests::wasmer::{SleepPath, default_binary};
use std::sync::LazyLock;
use std::time::Duration;

/// How long a call may block before it counts as hung (`[poll] hang_ms`). The
/// longest deadline used below is 2 s, which no rule lets the call reach.
static HANG_LIMIT: LazyLock<Duration> =
    LazyLock::new(|| Duration::from_millis(bounds::get().poll.hang_ms));
/// "At once" (`[poll] prompt_ms`): generous for a loaded 2-core machine, far from
/// any deadline used.
static PROMPT: LazyLock<Duration> =
    LazyLock::new(|| Duration::from_millis(bounds::get().poll.prompt_ms));

const MS: u64 = 1_000_000;

type Rule = fn(&PollOutcome) -> Result<(), String>;

/// Runs `subs` on both paths: `rule` must hold on the patched one and fail on the
/// legacy one.
fn check(subs: &[Sub], rule: Rule) {
    check_call(&PollCall::new(subs), rule);
}

/// Like [`check`], for a call with arbitrary arguments.
fn check_call(call: &PollCall, rule: Rule) {
    let _timing = serial::timing();
    let binary = default_binary();
    let host = Host::Binary(&binary);
    let patched = call.run(host, SleepPath::Precise, *HANG_LIMIT);
    if let Err(why) = rule(&patched) {
        panic!("patched path breaks the rule: {why}\n{patched:?}");
    }
    let legacy = call.run(host, SleepPath::Legacy, *HANG_LIMIT);
    // The legacy path must break the rule by what it does (the wrong events, or a
    // hang: upstream's bugs), not by failing to run the guest at all.
    assert!(
        !matches!(legacy, PollOutcome::Failed(_)),
        "the legacy run failed, so it proves nothing about the rule: {legacy:?}"
    );
    assert!(
        rule(&legacy).is_err(),
        "the legacy path passes too, so this test cannot see the bug: {legacy:?}"
    );
}

/// The call returned successfully within `within`, after at least `at_least`,
/// with exactly these `(userdata, errno)` clock events in any order.
fn returned(
    outcome: &PollOutcome,
    at_least: Duration,
    within: Duration,
    expected: &[(u64, u16)],
) -> Result<(), String> {
    let PollOutcome::Returned {
        errno,
        nevents,
        elapsed,
        events,
    } = outcome
    else {
        return Err(format!("did not return: {outcome:?}"));
    };
    if *errno != errno::SUCCESS {
        return Err(format!("errno {errno}"));
    }
    if *elapsed < at_least {
        return Err(format!(
            "returned early, after {elapsed:?} (deadline {at_least:?})"
        ));
    }
    if *elapsed > within {
        return Err(format!("took {elapsed:?}, more than {within:?}"));
    }
    let mut got: Vec<(u64, u16)> = events.iter().map(|e| (e.userdata, e.errno)).collect();
    got.sort_unstable();
    let mut want = expected.to_vec();
    want.sort_unstable();
    if got != want || *nevents as usize != want.len() {
        return Err(format!(
            "events {got:?} (nevents {nevents}), expected {want:?}"
        ));
    }
    if events.iter().any(|e| e.type_ != EVENTTYPE_CLOCK) {
        return Err(format!("non-clock event type in {events:?}"));
    }
    Ok(())
}

/// A 1 ms and a 2 s clock: the 1 ms one ends the call and is the only event.
fn check_earliest_wins(earliest_first: bool) {
    let short = Sub::relative(1, clock::MONOTONIC, Duration::from_millis(1));
    let long = Sub::relative(2, clock::MONOTONIC, Duration::from_secs(2));
    let subs = if earliest_first {
        [short, long]
    } else {
        [long, short]
    };
    check(&subs, |o| {
        returned(o, Duration::from_millis(1), *PROMPT, &[(1, errno::SUCCESS)])
    });
}

#[test]
fn earliest_deadline_wins_when_it_comes_first() {
    check_earliest_wins(true);
}

#[test]
fn earliest_deadline_wins_when_it_comes_last() {
    check_earliest_wins(false);
}

#[test]
fn zero_relative_timeout_fires_at_once() {
    check(&[Sub::relative(7, clock::MONOTONIC, Duration::ZERO)], |o| {
        returned(o, Duration::ZERO, *PROMPT, &[(7, errno::SUCCESS)])
    });
}

#[test]
fn zero_timeout_next_to_a_longer_one_is_the_only_event() {
    // A clock-only poll must never hang nor return zero events: Rust's
    // std::thread::sleep panics on zero events.
    check(
        &[
            Sub::relative(1, clock::REALTIME, Duration::ZERO),
            Sub::relative(2, clock::MONOTONIC, Duration::from_millis(500)),
        ],
        |o| returned(o, Duration::ZERO, *PROMPT, &[(1, errno::SUCCESS)]),
    );
}

#[test]
fn realtime_and_monotonic_absolute_deadlines_both_work() {
    check(
        &[Sub::absolute(3, clock::REALTIME, (100 * MS) as i64)],
        |o| {
            returned(
                o,
                Duration::from_millis(100),
                Duration::from_millis(100) + *PROMPT,
                &[(3, errno::SUCCESS)],
            )
        },
    );
    // Legacy handles these two; the patched path must keep doing so.
    let _timing = serial::timing();
    let binary = default_binary();
    let future = poll_once(
        Host::Binary(&binary),
        SleepPath::Precise,
        &[Sub::absolute(4, clock::MONOTONIC, (50 * MS) as i64)],
        *HANG_LIMIT,
    );
    returned(
        &future,
        Duration::from_millis(50),
        Duration::from_millis(50) + *PROMPT,
        &[(4, errno::SUCCESS)],
    )
    .unwrap();
    let past = poll_once(
        Host::Binary(&binary),
        SleepPath::Precise,
        &[
            Sub::absolute(5, clock::MONOTONIC, -1_000_000_000),
            Sub::absolute(6, clock::REALTIME, -1_000_000_000),
        ],
        *HANG_LIMIT,
    );
    returned(
        &past,
        Duration::ZERO,
        *PROMPT,
        &[(5, errno::SUCCESS), (6, errno::SUCCESS)],
    )
    .unwrap();
}

#[test]
fn unsupported_clock_is_einval_for_that_subscription() {
    check(
        &[
            Sub::relative(8, clock::PROCESS_CPUTIME, Duration::from_millis(1)),
            Sub::relative(9, 77, Duration::from_millis(1)),
            Sub::relative(10, clock::MONOTONIC, Duration::from_secs(2)),
        ],
        |o| {
            returned(
                o,
                Duration::ZERO,
                *PROMPT,
                &[(8, errno::INVAL), (9, errno::INVAL)],
            )
        },
    );
}
