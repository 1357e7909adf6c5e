pub mod common;
pub mod console;
#[cfg(target_os = "linux")]
pub(crate) mod deadline;
pub(crate) mod epoll;
pub mod tty;
pub mod wait_telemetry;

pub mod command;
pub mod task;

pub use console::*;
pub use tty::*;
