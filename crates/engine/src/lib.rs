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

// Under the model checker (`--cfg loom`) only the wake-up protocol is
// built; see `mailbox.rs`.
#[cfg(not(loom))]
mod config;
#[cfg(not(loom))]
mod conn;
#[cfg(not(loom))]
mod limits;
#[cfg(not(loom))]
mod listener;
#[cfg_attr(loom, allow(dead_code))]
mod mailbox;
#[cfg(not(loom))]
mod metrics;
#[cfg(not(loom))]
mod output;
#[cfg(not(loom))]
pub mod poller;
#[cfg(not(loom))]
mod pool;
#[cfg(not(loom))]
mod proxy;
#[cfg(not(loom))]
mod reactor;
#[cfg(not(loom))]
mod server;
#[cfg(not(loom))]
mod service;
#[cfg(not(loom))]
mod shared;
#[cfg(not(loom))]
mod sys;
#[cfg(not(loom))]
mod task;
#[cfg(not(loom))]
mod tls;
#[cfg(not(loom))]
mod turnaway;
#[cfg(not(loom))]
mod verdict;

#[cfg(loom)]
mod service {
    /// Stands in for the real id under the model checker.
    #[derive(Clone, Copy)]
    pub struct ConnId;
}

#[cfg(not(loom))]
pub use config::{Config, Respond};
#[cfg(not(loom))]
pub use limits::{OutputClass, OutputLimits, Timeouts};
#[cfg(not(loom))]
pub use listener::Listener;
#[cfg(not(loom))]
pub use metrics::{Histogram, Limit, Metrics};
#[cfg(not(loom))]
pub use output::{Output, SharedBytes, Written};
#[cfg(not(loom))]
pub use proxy::{Cidr, Refusal};
#[cfg(not(loom))]
pub use server::{Error, Server, Summary};
#[cfg(not(loom))]
pub use service::{CloseReason, ConnId, ConnInfo, Control, Cx, Farewell, Reject, Service};
#[cfg(not(loom))]
pub use shared::Throttle;
#[cfg(not(loom))]
pub use sys::inherited_listener;
#[cfg(not(loom))]
pub use tls::{Failure as TlsFailure, Stats as TlsStats};

/// Raises the soft open-files limit to the hard limit; returns the new limit.
///
/// # Errors
///
/// `getrlimit`/`setrlimit`'s error.
#[cfg(not(loom))]
pub fn raise_fd_limit() -> std::io::Result<u64> {
    sys::raise_fd_limit()
}
