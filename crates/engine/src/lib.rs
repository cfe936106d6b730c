//! switchyard's engine: a readiness-loop TCP server with a fixed worker pool.
//!
//! I/O loops (`epoll`, or `poll()`) own every socket: they accept, read
//! into each connection's buffer, and write. A connection's received bytes
//! and its [`Service`] state travel together as a task through a bounded
//! queue to a fixed pool of worker threads; the finished task comes back to
//! its loop through a completion queue and a coalesced eventfd wake-up. A
//! connection has at most one task out at a time, so its responses keep
//! request order, and its state needs no lock.
//!
//! The engine knows no protocol: implement [`Service`] for yours, then
//! [`Server::bind`] and [`Server::run`]. See `examples/` for a complete
//! line-protocol server.

mod config;
mod conn;
mod mailbox;
mod metrics;
mod output;
pub mod poller;
mod pool;
mod reactor;
mod server;
mod service;
mod shared;
mod sys;
mod task;

pub use config::{Config, Respond};
pub use metrics::{Histogram, Limit, Metrics};
pub use output::{Output, Written};
pub use server::{Error, Server, Summary};
pub use service::{CloseReason, ConnId, ConnInfo, Control, Cx, Reject, Service};

/// Raises the soft open-files limit to the hard limit; returns the new limit.
///
/// # Errors
///
/// `getrlimit`/`setrlimit`'s error.
pub fn raise_fd_limit() -> std::io::Result<u64> {
    sys::raise_fd_limit()
}
