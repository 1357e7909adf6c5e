//! Property tests of `poll_oneoff` on the patched path, run in-process (a guest
//! per case, compiled and run through the patched wasmer-wasix in this process).
//!
//! - Random sets of well-formed subscriptions: the events are exactly the
//!   expired clocks, the clocks that cannot be waited on (EINVAL) and the ready
//!   fds; with none of those, the call waits for the earliest deadline, never
//!   less, and reports exactly the clocks due then.
//! - Random garbage (arbitrary subscription bytes, bad pointers and counts): an
//!   errno, never a host panic, a trap or a hang.
//!
//! Failing cases are kept in `proptest-regressions/` (committed) and replayed first.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use rt_tests::host::Host;
use rt_tests::inproc::InProcess;
use rt_tests::poll::{
    EVENTTYPE_CLOCK, EVENTTYPE_FD_WRITE, PollCall, PollOutcome, Sub, clock, errno,
};
use rt_tests::wasmer::SleepPath;
use std::sync::LazyLock;
use std::time::Duration;

static IN_PROCESS: LazyLock<InProcess> = LazyLock::new(InProcess::new);

/// A call still blocked after this is a hang (`[poll] hang_ms`).
static HANG_LIMIT: LazyLock<Duration> =
    LazyLock::new(|| Duration::from_millis(rt_tests::bounds::get().poll.hang_ms));
/// The deadline of the "soon" clocks: long enough that a call that should return
/// at once never reaches it, even on a loaded machine.
const SOON: Duration = Duration::from_millis(100);
const HOUR_NS: i64 = 3_600_000_000_000;
/// wasmer-wasix's default `max_poll_subscriptions`. 1024 subscriptions from
/// `PollCall::SUBS_AT`, and their events from `PollCall::EVENTS_AT`, just fit in
/// the guest's page (the ones after the first are zeros: Realtime, relative 0).
const MAX_SUBSCRIPTIONS: u32 = 1024;

/// One subscription of a random, well-formed set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Spec {
    /// Already due: a relative 0, or an absolute deadline 1 s ago.
    Expired { clock: u32, abstime: bool },
    /// Relative [`SOON`]: every one of them has the same deadline.
    Soon { clock: u32 },
    /// An hour away, relative or absolute.
    Far { clock: u32, abstime: bool },
    /// A clock that cannot be waited on (CPU time, unknown id).
    BadClock {
        id: u32,
        timeout: u64,
        abstime: bool,
    },
    /// Reading stdin, which never gets data.
    StdinRead,
    /// Writing stdout, which is always ready.
    StdoutWrite,
}

impl Spec {
    fn sub(self, userdata: u64) -> Sub {
        match self {
            Spec::Expired {
                clock,
                abstime: false,
            } => Sub::relative(userdata, clock, Duration::ZERO),
            Spec::Expired {
                clock,
                abstime: true,
            } => Sub::absolute(userdata, clock, -1_000_000_000),
            Spec::Soon { clock } => Sub::relative(userdata, clock, SOON),
            Spec::Far {
                clock,
                abstime: false,
            } => Sub::Clock {
                userdata,
                clock_id: clock,
                timeout: HOUR_NS as u64,
                abstime: false,
            },
            Spec::Far {
                clock,
                abstime: true,
            } => Sub::absolute(userdata, clock, HOUR_NS),
            Spec::BadClock {
                id,
                timeout,
                abstime,
            } => Sub::Clock {
                userdata,
                clock_id: id,
                timeout,
                abstime,
            },
            Spec::StdinRead => Sub::FdRead { userdata, fd: 0 },
            Spec::StdoutWrite => Sub::FdWrite { userdata, fd: 1 },
        }
    }

    /// Ends the wait at once.
    fn is_immediate(self) -> bool {
        matches!(
            self,
            Spec::Expired { .. } | Spec::BadClock { .. } | Spec::StdoutWrite
        )
    }

    /// The event `(errno, type)` it must produce, given whether the call returns at once.
    fn expected_event(self, immediate: bool) -> Option<(u16, u8)> {
        match self {
            Spec::Expired { .. } => Some((errno::SUCCESS, EVENTTYPE_CLOCK)),
            Spec::BadClock { .. } => Some((errno::INVAL, EVENTTYPE_CLOCK)),
            Spec::StdoutWrite => Some((errno::SUCCESS, EVENTTYPE_FD_WRITE)),
            Spec::Soon { .. } if !immediate => Some((errno::SUCCESS, EVENTTYPE_CLOCK)),
            _ => None,
        }
    }
}

fn wasi_clock() -> impl Strategy<Value = u32> {
    prop_oneof![Just(clock::REALTIME), Just(clock::MONOTONIC)]
}

fn spec() -> impl Strategy<Value = Spec> {
    prop_oneof![
        (wasi_clock(), any::<bool>()).prop_map(|(clock, abstime)| Spec::Expired { clock, abstime }),
        wasi_clock().prop_map(|clock| Spec::Soon { clock }),
        (wasi_clock(), any::<bool>()).prop_map(|(clock, abstime)| Spec::Far { clock, abstime }),
        (
            prop_oneof![Just(2u32), Just(3), 4u32..],
            any::<u64>(),
            any::<bool>()
        )
            .prop_map(|(id, timeout, abstime)| Spec::BadClock {
                id,
                timeout,
                abstime
            }),
        Just(Spec::StdinRead),
        Just(Spec::StdoutWrite),
    ]
}

/// A set that cannot block for the far deadlines only.
fn spec_set() -> impl Strategy<Value = Vec<Spec>> {
    vec(spec(), 1..7).prop_map(|mut specs| {
        if !specs
            .iter()
            .any(|s| s.is_immediate() || matches!(s, Spec::Soon { .. }))
        {
            specs.push(Spec::Soon {
                clock: clock::MONOTONIC,
            });
        }
        specs
    })
}

fn run(call: &PollCall) -> PollOutcome {
    call.run(
        Host::InProcess(&IN_PROCESS),
        SleepPath::Precise,
        *HANG_LIMIT,
    )
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 48,
        // A broken host can hang every case; shrinking then must not take hours.
        max_shrink_time: 30_000,
        max_shrink_iters: 64,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/poll_props.txt",
        ))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn events_are_exactly_the_due_clocks_and_ready_fds(specs in spec_set()) {
        let subs: Vec<Sub> = specs.iter().enumerate().map(|(i, s)| s.sub(i as u64)).collect();
        let immediate = specs.iter().any(|s| s.is_immediate());
        let mut expected: Vec<(u64, u16, u8)> = specs
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.expected_event(immediate).map(|(e, t)| (i as u64, e, t)))
            .collect();
        let outcome = run(&PollCall::new(&subs));
        let PollOutcome::Returned { errno, nevents, elapsed, events } = outcome else {
            return Err(TestCaseError::fail(format!("did not return: {outcome:?}")));
        };
        prop_assert_eq!(errno, errno::SUCCESS);
        let mut got: Vec<(u64, u16, u8)> = events.iter().map(|e| (e.userdata, e.errno, e.type_)).collect();
        got.sort_unstable();
        expected.sort_unstable();
        prop_assert_eq!(nevents as usize, got.len());
        prop_assert_eq!(got, expected, "after {:?}", elapsed);
        if !immediate {
            prop_assert!(elapsed >= SOON, "returned after {elapsed:?}, before the deadline");
        }
    }

    #[test]
    fn garbage_subscriptions_get_an_errno_never_a_panic_or_hang(
        raw in vec(garbage_subscription(), 1..6),
    ) {
        // A relative 0 last, so that a well-formed call returns at once.
        let mut subs: Vec<Sub> = raw.into_iter().map(Sub::Raw).collect();
        subs.push(Sub::relative(u64::MAX, clock::MONOTONIC, Duration::ZERO));
        let outcome = run(&PollCall::new(&subs));
        let PollOutcome::Returned { errno, nevents, .. } = outcome else {
            return Err(TestCaseError::fail(format!("no errno: {outcome:?}")));
        };
        // Any errno will do (EINVAL for a bad tag, EBADF for a bad fd, EACCES for
        // writing stdin...); what matters is that the call returned one.
        if errno == errno::SUCCESS {
            prop_assert!(nevents >= 1 && nevents as usize <= subs.len(), "nevents {}", nevents);
        }
    }

    #[test]
    fn bad_pointers_and_counts_get_the_right_errno(
        in_ptr in prop_oneof![
            Just(PollCall::SUBS_AT),
            Just(PollCall::SUBS_AT + 4),
            Just(PollCall::MEMORY_SIZE - 24),
            Just(u32::MAX - 7),
        ],
        out_ptr in prop_oneof![
            Just(PollCall::EVENTS_AT),
            Just(PollCall::EVENTS_AT + 4),
            Just(PollCall::MEMORY_SIZE - 16),
            Just(u32::MAX - 7),
        ],
        nevents_ptr in prop_oneof![
            Just(PollCall::NEVENTS_AT),
            Just(PollCall::NEVENTS_AT + 2),
            Just(u32::MAX - 3),
        ],
        nsubscriptions in prop_oneof![
            Just(0u32),
            Just(1),
            Just(MAX_SUBSCRIPTIONS),
            Just(MAX_SUBSCRIPTIONS + 1),
            Just(u32::MAX),
        ],
    ) {
        let call = PollCall {
            in_ptr,
            out_ptr,
            nevents_ptr,
            nsubscriptions,
            ..PollCall::new(&[Sub::relative(1, clock::MONOTONIC, Duration::ZERO)])
        };
        let fits = |ptr: u32, size: u64| u64::from(ptr) + size <= u64::from(PollCall::MEMORY_SIZE);
        // Upstream's count check comes first, then the precise path's in this order.
        let expected = if nsubscriptions == 0 {
            errno::INVAL
        } else if nsubscriptions > MAX_SUBSCRIPTIONS {
            errno::TOOBIG
        } else if out_ptr % 8 != 0 || nevents_ptr % 4 != 0 || in_ptr % 8 != 0 {
            errno::INVAL
        } else if !fits(in_ptr, 48 * u64::from(nsubscriptions))
            || !fits(nevents_ptr, 4)
            || !fits(out_ptr, 32 * u64::from(nsubscriptions))
        {
            errno::MEMVIOLATION
        } else {
            errno::SUCCESS
        };
        let outcome = run(&call);
        let PollOutcome::Returned { errno, .. } = outcome else {
            return Err(TestCaseError::fail(format!("no errno: {outcome:?}")));
        };
        prop_assert_eq!(errno, expected);
    }
}

/// 48 bytes, mostly arbitrary, with the event type and clock id biased towards
/// values the host must look at more closely than a bad tag.
fn garbage_subscription() -> impl Strategy<Value = [u8; 48]> {
    (
        any::<[u8; 48]>(),
        prop_oneof![Just(0u8), Just(1), Just(2), any::<u8>()],
        prop_oneof![0u32..4, 0u32..8, any::<u32>()],
    )
        .prop_map(|(mut bytes, tag, id)| {
            bytes[8] = tag;
            bytes[16..20].copy_from_slice(&id.to_le_bytes());
            bytes
        })
}
