//! The limits that can change while the server runs: the output limits,
//! as Redis's `client-output-buffer-limit` and `maxmemory-clients` do, and
//! the timeouts and the connection limit, which a `SIGHUP` reload changes
//! as nginx's does. Each is read where it is used, so a change holds for
//! every connection from its next event on.
//!
//! A connection is held to the output limits of its [`OutputClass`], which
//! the service chooses (`Cx::set_output_class`), as Redis holds a
//! subscribed client to its `pubsub` class: a connection that mostly
//! receives what other connections send cannot slow them down, so it gets
//! its own, usually tighter, hard and soft limits. The total is one for
//! all.
//!
//! Each output limit counts the memory that connections' pending output owns
//! ([`crate::Output::mem_len`]): bytes the service copied into its replies.
//! Shared buffers it only refers to (a stored value in many replies) and
//! file ranges are not copies, so they do not count.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::time::Duration;

/// Limits on pending output; 0 turns a limit off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutputLimits {
    /// Owned output one connection may hold, its latest reply included;
    /// past it the connection is closed at once.
    pub hard_bytes: usize,
    /// Owned output one connection may hold for at most `soft_time`.
    pub soft_bytes: usize,
    /// How long a connection may stay above `soft_bytes`.
    pub soft_time: Duration,
    /// Owned output all connections together may hold; past it the
    /// connections holding the most are closed until the total is under.
    pub total_bytes: usize,
}

impl Default for OutputLimits {
    /// A hard limit of 512 MiB: as long as the longest reply the protocols
    /// shipped here allow (a Redis bulk string); a soft limit of 64 MiB for
    /// 60 seconds; 1 GiB for all connections together, so that a few
    /// clients that ask for big replies and do not read them cannot take
    /// the server's memory.
    fn default() -> OutputLimits {
        OutputLimits {
            hard_bytes: 512 << 20,
            soft_bytes: 64 << 20,
            soft_time: Duration::from_secs(60),
            total_bytes: 1 << 30,
        }
    }
}

/// Which per-connection output limits hold a connection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum OutputClass {
    /// An ordinary client: its output is replies to its own requests.
    #[default]
    Normal,
    /// A connection that receives what other connections send (a
    /// pub/sub subscriber): held to the subscriber limits, and its total
    /// counted with everyone's.
    Subscriber,
}

impl OutputClass {
    /// Every class, in a fixed order (for the limits' table).
    pub const ALL: [OutputClass; 2] = [OutputClass::Normal, OutputClass::Subscriber];
}

/// [`OutputLimits`] that any thread may change, and the total they bound.
#[derive(Default)]
pub struct LiveOutputLimits {
    hard_bytes: AtomicUsize,
    soft_bytes: AtomicUsize,
    soft_time_ms: AtomicU64,
    total_bytes: AtomicUsize,
}

impl LiveOutputLimits {
    pub fn new(limits: OutputLimits) -> LiveOutputLimits {
        let live = LiveOutputLimits::default();
        live.set(limits);
        live
    }

    pub fn set(&self, limits: OutputLimits) {
        self.hard_bytes.store(limits.hard_bytes, Relaxed);
        self.soft_bytes.store(limits.soft_bytes, Relaxed);
        self.soft_time_ms.store(limits.soft_time.as_millis() as u64, Relaxed);
        self.total_bytes.store(limits.total_bytes, Relaxed);
    }

    pub fn get(&self) -> OutputLimits {
        OutputLimits {
            hard_bytes: self.hard_bytes.load(Relaxed),
            soft_bytes: self.soft_bytes.load(Relaxed),
            soft_time: self.soft_time(),
            total_bytes: self.total_bytes.load(Relaxed),
        }
    }

    /// How long a connection may stay above the soft limit.
    pub fn soft_time(&self) -> Duration {
        Duration::from_millis(self.soft_time_ms.load(Relaxed))
    }

    /// The total is on and `held` passes it.
    pub fn total_exceeded(&self, held: u64) -> bool {
        let cap = self.total_bytes.load(Relaxed);
        cap > 0 && held > cap as u64
    }
}

/// The timeouts; `None` turns one off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// `idle_timeout`: a connection with nothing pending is closed after it.
    pub idle: Option<Duration>,
    /// `request_timeout`: a request must arrive whole within it.
    pub request: Option<Duration>,
    /// `write_timeout`: pending output must make progress within it.
    pub write: Duration,
    /// `shutdown_timeout`: how long a graceful shutdown may take.
    pub shutdown: Duration,
}

/// [`Timeouts`] and `max_connections`, changeable by any thread.
pub struct LiveTimeouts {
    /// Milliseconds; [`OFF`] for none.
    idle_ms: AtomicU64,
    request_ms: AtomicU64,
    write_ms: AtomicU64,
    shutdown_ms: AtomicU64,
    max_connections: AtomicUsize,
}

/// A timeout that is off.
const OFF: u64 = u64::MAX;

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(OFF - 1)
}

impl LiveTimeouts {
    pub fn new(timeouts: Timeouts, max_connections: usize) -> LiveTimeouts {
        let live = LiveTimeouts {
            idle_ms: AtomicU64::new(OFF),
            request_ms: AtomicU64::new(OFF),
            write_ms: AtomicU64::new(0),
            shutdown_ms: AtomicU64::new(0),
            max_connections: AtomicUsize::new(max_connections),
        };
        live.set(timeouts);
        live
    }

    pub fn set(&self, t: Timeouts) {
        self.idle_ms.store(t.idle.map_or(OFF, millis), Relaxed);
        self.request_ms.store(t.request.map_or(OFF, millis), Relaxed);
        self.write_ms.store(millis(t.write), Relaxed);
        self.shutdown_ms.store(millis(t.shutdown), Relaxed);
    }

    pub fn get(&self) -> Timeouts {
        let optional = |ms: &AtomicU64| match ms.load(Relaxed) {
            OFF => None,
            ms => Some(Duration::from_millis(ms)),
        };
        Timeouts {
            idle: optional(&self.idle_ms),
            request: optional(&self.request_ms),
            write: Duration::from_millis(self.write_ms.load(Relaxed)),
            shutdown: Duration::from_millis(self.shutdown_ms.load(Relaxed)),
        }
    }

    pub fn max_connections(&self) -> usize {
        self.max_connections.load(Relaxed)
    }

    pub fn set_max_connections(&self, n: usize) {
        self.max_connections.store(n.max(1), Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_read_back_as_set_and_zero_turns_the_total_off() {
        let live = LiveOutputLimits::new(OutputLimits::default());
        assert_eq!(live.get(), OutputLimits::default());
        let custom =
            OutputLimits { hard_bytes: 10, soft_bytes: 5, soft_time: Duration::from_millis(1500), total_bytes: 0 };
        live.set(custom);
        assert_eq!(live.get(), custom);
        assert!(!live.total_exceeded(u64::MAX));
        live.set(OutputLimits { total_bytes: 100, ..custom });
        assert!(live.total_exceeded(101));
        assert!(!live.total_exceeded(100));
    }

    #[test]
    fn timeouts_read_back_as_set_with_none_for_off() {
        let t = Timeouts {
            idle: None,
            request: Some(Duration::from_millis(1500)),
            write: Duration::from_secs(3),
            shutdown: Duration::from_secs(30),
        };
        let live = LiveTimeouts::new(t, 10);
        assert_eq!(live.get(), t);
        let t2 = Timeouts { idle: Some(Duration::from_secs(60)), request: None, ..t };
        live.set(t2);
        assert_eq!(live.get(), t2);
        live.set_max_connections(0);
        assert_eq!(live.max_connections(), 1, "at least one connection");
    }
}
