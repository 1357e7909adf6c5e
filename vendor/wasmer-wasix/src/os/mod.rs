pub mod common;
pub mod console;
pub(crate) mod epoll;
pub mod tty;

pub mod command;
pub mod task;

pub use console::*;
pub use tty::*;
