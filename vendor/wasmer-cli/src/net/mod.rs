mod tun;
pub use tun::{TunTapDriver, TunTapSocket};
