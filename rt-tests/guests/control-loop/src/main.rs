//! A periodic control loop: every millisecond, one (empty) control step, then
//! `std::thread::sleep` until the next period. `std` sleeps with a relative
//! `poll_oneoff` clock on WASI. The first argument is the number of cycles
//! (default 1000).

use std::time::{Duration, Instant};

fn main() {
    let period = Duration::from_millis(1);
    let cycles: u32 = std::env::args()
        .nth(1)
        .and_then(|arg| arg.parse().ok())
        .unwrap_or(1000);
    let mut next = Instant::now();
    for _ in 0..cycles {
        next += period;
        if let Some(wait) = next.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
    }
    println!("{cycles} cycles");
}
