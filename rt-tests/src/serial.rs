//! Timing tests run one at a time, across test threads and test binaries.
//!
//! `cargo test` runs a binary's tests on several threads, and `cargo nextest`
//! runs tests of different binaries at once; on a 2-core machine two timing
//! tests side by side measure each other. Every timing test holds
//! [`timing`]'s guard while it measures: an exclusive `flock(2)` on
//! `target/rt-tests/timing.lock` (`File::lock`). The lock is taken per open file description,
//! so it excludes other threads of the same process as well as other processes,
//! and the kernel drops it when a test process dies.

use std::cell::Cell;
use std::fs::File;
use std::time::{Duration, Instant};

thread_local! {
    /// True while this thread holds the lock: taking it again would wait forever.
    static HELD: Cell<bool> = const { Cell::new(false) };
}

/// Held while a timing test measures; dropping it lets the next one run.
#[derive(Debug)]
pub struct TimingGuard {
    _lock: File,
}

impl Drop for TimingGuard {
    fn drop(&mut self) {
        HELD.with(|held| held.set(false));
    }
}

/// Waits until no other timing test runs, then holds the lock until the guard
/// drops. Says on stderr when it had to wait more than a second.
pub fn timing() -> TimingGuard {
    assert!(
        !HELD.with(Cell::get),
        "this thread holds the timing lock already: a nested serial::timing() would never return"
    );
    let dir = crate::guests::artifact_dir();
    std::fs::create_dir_all(&dir).expect("creating target/rt-tests");
    let path = dir.join("timing.lock");
    let file = File::options()
        .create(true)
        .append(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("opening {}: {e}", path.display()));
    let start = Instant::now();
    file.lock()
        .unwrap_or_else(|e| panic!("locking {}: {e}", path.display()));
    HELD.with(|held| held.set(true));
    let waited = start.elapsed();
    if waited > Duration::from_secs(1) {
        eprintln!("waited {waited:.1?} for another timing test to finish");
    }
    TimingGuard { _lock: file }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_waits_for_the_first() {
        let first = timing();
        let (tx, rx) = std::sync::mpsc::channel();
        let waiter = std::thread::spawn(move || {
            let _second = timing();
            tx.send(()).unwrap();
        });
        assert!(
            rx.recv_timeout(Duration::from_millis(200)).is_err(),
            "the second holder did not wait"
        );
        drop(first);
        rx.recv_timeout(Duration::from_secs(10))
            .expect("the second holder got the lock");
        waiter.join().unwrap();
    }
}
