//! State every thread of one server sees: settings, counters, and the
//! shutdown latch.

use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

use crate::config::Config;
use crate::limits::{LiveOutputLimits, LiveTimeouts};
use crate::metrics::{Limit, Metrics};
use crate::sys;

pub struct Shared {
    pub config: Config,
    pub metrics: Metrics,
    /// The output limits in force for the normal class (and the total
    /// for all), and the output they bound.
    pub output: LiveOutputLimits,
    /// The timeouts and the connection limit in force.
    pub timeouts: LiveTimeouts,
    /// The per-connection limits of the subscriber class (its total is
    /// not used: there is one for all, in `output`).
    pub subscriber_output: LiveOutputLimits,
    /// Set once, when a graceful shutdown starts.
    draining: AtomicBool,
    /// Readable once a shutdown was asked for; every loop watches it.
    /// The signal handler writes to it too.
    shutdown_fd: OwnedFd,
    /// Rate limit of the limit warnings.
    limit_log: RateLimit,
    /// Rate limit of the failed TLS handshake warnings.
    pub tls_log: Throttle,
    /// Rate limit of the refused PROXY protocol headers' warnings.
    pub proxy_log: Throttle,
    /// When the shutdown started.
    drain_start: std::sync::OnceLock<Instant>,
    /// The highest gate released (`Control::release`): output held for a
    /// gate up to this one may be written.
    pub released: AtomicU64,
    /// A copy of each listening socket, for handing them to a process that
    /// takes over (`Control::handover_listeners`); emptied when the
    /// shutdown starts, so that a draining server's sockets close.
    pub handover: std::sync::Mutex<Vec<crate::Listener>>,
    /// While draining: loops that still have received requests to finish.
    /// Goodbyes wait for zero, so that a last word follows every reply and
    /// message that requests received before the signal produce.
    loops_working: AtomicUsize,
}

/// Allows one log line a second: for a warning that a client can cause as
/// often as it likes (a limit hit, a protocol error), so that a flood of
/// them costs a line a second, not the log.
pub struct Throttle {
    start: Instant,
    /// The second (since `start`) of the last line, plus one.
    last: AtomicU64,
    /// Events not logged since the last line.
    quiet: AtomicU64,
}

impl Default for Throttle {
    fn default() -> Throttle {
        Throttle { start: Instant::now(), last: AtomicU64::new(0), quiet: AtomicU64::new(0) }
    }
}

impl Throttle {
    /// `Some(events held back since the last line)` if a line may be logged
    /// now; `None` (and the event counted) if not.
    pub fn allow(&self) -> Option<u64> {
        let now = self.start.elapsed().as_secs() + 1;
        let last = self.last.load(Ordering::Relaxed);
        if last != now && self.last.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_ok() {
            Some(self.quiet.swap(0, Ordering::Relaxed))
        } else {
            self.quiet.fetch_add(1, Ordering::Relaxed);
            None
        }
    }
}

/// One [`Throttle`] per limit.
#[derive(Default)]
struct RateLimit([Throttle; Limit::ALL.len()]);

impl RateLimit {
    fn allow(&self, limit: Limit) -> Option<u64> {
        self.0[Limit::ALL.iter().position(|&l| l == limit).unwrap_or(0)].allow()
    }
}

impl Shared {
    pub fn new(config: Config) -> std::io::Result<Shared> {
        Ok(Shared {
            metrics: Metrics::default(),
            output: LiveOutputLimits::new(config.output_limits),
            timeouts: LiveTimeouts::new(config.timeouts(), config.max_connections),
            subscriber_output: LiveOutputLimits::new(config.output_limits),
            draining: AtomicBool::new(false),
            shutdown_fd: sys::eventfd()?,
            limit_log: RateLimit::default(),
            tls_log: Throttle::default(),
            proxy_log: Throttle::default(),
            drain_start: std::sync::OnceLock::new(),
            released: AtomicU64::new(0),
            handover: std::sync::Mutex::new(Vec::new()),
            loops_working: AtomicUsize::new(config.io_threads),
            config,
        })
    }

    /// The live limits of connections of `class`.
    pub fn output_of(&self, class: crate::OutputClass) -> &LiveOutputLimits {
        match class {
            crate::OutputClass::Normal => &self.output,
            crate::OutputClass::Subscriber => &self.subscriber_output,
        }
    }

    pub fn begin_shutdown(&self) {
        self.draining.store(true, Ordering::SeqCst);
        sys::eventfd_write(self.shutdown_fd.as_raw_fd());
    }

    pub fn draining(&self) -> bool {
        self.draining.load(Ordering::Acquire)
    }

    /// Marks the shutdown as started (the loop saw the fd become readable).
    pub fn note_shutdown(&self) {
        self.draining.store(true, Ordering::SeqCst);
        self.handover.lock().unwrap_or_else(|e| e.into_inner()).clear();
        if self.drain_start.set(Instant::now()).is_ok() {
            tracing::info!("shutting down: no new connections; finishing what was received");
        }
    }

    /// Time since the shutdown started (zero if it has not).
    pub fn drain_elapsed(&self) -> std::time::Duration {
        self.drain_start.get().map_or(std::time::Duration::ZERO, |t| t.elapsed())
    }

    /// A draining loop has finished every request it received; true if it
    /// was the last one.
    pub fn loop_finished_work(&self) -> bool {
        self.loops_working.fetch_sub(1, Ordering::SeqCst) == 1
    }

    /// Every loop has finished the requests it received: goodbyes may go.
    pub fn work_finished(&self) -> bool {
        self.loops_working.load(Ordering::SeqCst) == 0
    }

    pub fn shutdown_fd(&self) -> RawFd {
        self.shutdown_fd.as_raw_fd()
    }
}

impl Shared {
    /// Counts a hit of `limit` and logs it at warn level, at most once a
    /// second per limit (with the number of hits not logged meanwhile).
    pub fn limit(&self, limit: crate::metrics::Limit, what: std::fmt::Arguments<'_>) {
        self.metrics.limit_hit(limit);
        if let Some(suppressed) = self.limit_log.allow(limit) {
            tracing::warn!(limit = limit.as_str(), suppressed, "{what}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limit_logs_once_a_second_and_counts_the_lines_it_held_back() {
        let log = RateLimit::default();
        assert_eq!(log.allow(Limit::MaxConnections), Some(0));
        for _ in 0..5 {
            assert_eq!(log.allow(Limit::MaxConnections), None);
        }
        // Another limit has its own allowance.
        assert_eq!(log.allow(Limit::QueueFull), Some(0));
        // A second later the next line says how many were held back.
        let i = Limit::ALL.iter().position(|&l| l == Limit::MaxConnections).unwrap();
        log.0[i].last.fetch_sub(1, Ordering::Relaxed);
        assert_eq!(log.allow(Limit::MaxConnections), Some(5));
        assert_eq!(log.allow(Limit::MaxConnections), None);
    }
}
