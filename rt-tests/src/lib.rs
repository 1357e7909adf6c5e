//! wasmer-rt's regression suite: guests, and the harness that runs them through the
//! patched `wasmer` binary and measures what they did.
//!
//! The guests are WAT files in `guests/` (see `guests/README.md` for what each one
//! does and prints); [`guests::compile`] turns them into Wasm at test time. The
//! one Rust guest, `guests/control-loop`, is built for `wasm32-wasip1` by the
//! `downstream_ci` test, as a user's CI would build it.

pub mod bounds;
pub mod child;
pub mod cyclictest;
pub mod dispatch;
pub mod floor;
pub mod guests;
pub mod histogram;
pub mod host;
pub mod inproc;
pub mod judge;
pub mod loopback;
pub mod native;
pub mod plot;
pub mod poll;
pub mod privilege;
pub mod samples;
pub mod scenario;
pub mod serial;
pub mod sim;
pub mod timing_report;
pub mod tuning;
pub mod wasmer;
pub mod wasmtime;
