//! The engine's counters: lock-free, shared by every thread, and rendered
//! in the Prometheus text format.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use crate::proxy::Refusal;
use crate::service::CloseReason;

/// A limit the engine enforces; the label of `limit_hits_total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// A new connection found the server at `max_connections`.
    MaxConnections,
    /// `accept` failed for want of file descriptors; accepting paused.
    FdsExhausted,
    /// A connection's buffered input reached `max_input_bytes`.
    MaxInput,
    /// A connection's pending output passed the high-water mark; reading paused.
    OutputHighWater,
    /// A connection's pending output passed `max_output_bytes`; closed.
    MaxOutput,
    /// The task queue was full; reading paused.
    QueueFull,
    /// `idle_timeout` closed a connection.
    IdleTimeout,
    /// `request_timeout` closed a connection.
    RequestTimeout,
    /// `write_timeout` closed a connection.
    WriteTimeout,
    /// A connection's owned output passed the hard output limit; closed.
    OutputHard,
    /// A connection's owned output stayed above the soft limit too long; closed.
    OutputSoft,
    /// All connections' owned output passed the total; the largest closed.
    OutputTotal,
}

impl Limit {
    /// Every limit, in a fixed order.
    pub const ALL: [Limit; 12] = [
        Limit::MaxConnections,
        Limit::FdsExhausted,
        Limit::MaxInput,
        Limit::OutputHighWater,
        Limit::MaxOutput,
        Limit::QueueFull,
        Limit::IdleTimeout,
        Limit::RequestTimeout,
        Limit::WriteTimeout,
        Limit::OutputHard,
        Limit::OutputSoft,
        Limit::OutputTotal,
    ];

    /// The setting's name, as in the configuration file.
    pub fn as_str(self) -> &'static str {
        match self {
            Limit::MaxConnections => "max_connections",
            Limit::FdsExhausted => "fds_exhausted",
            Limit::MaxInput => "max_input_bytes",
            Limit::OutputHighWater => "output_high_water_bytes",
            Limit::MaxOutput => "max_output_bytes",
            Limit::QueueFull => "queue_capacity",
            Limit::IdleTimeout => "idle_timeout",
            Limit::RequestTimeout => "request_timeout",
            Limit::WriteTimeout => "write_timeout",
            Limit::OutputHard => "output_hard_limit",
            Limit::OutputSoft => "output_soft_limit",
            Limit::OutputTotal => "output_total_limit",
        }
    }

    fn index(self) -> usize {
        Limit::ALL.iter().position(|&l| l == self).unwrap_or(0)
    }
}

/// Upper bounds of the latency histogram buckets, in microseconds.
const BUCKETS_US: [u64; 16] =
    [10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 1_000_000, 5_000_000];

/// A fixed-bucket latency histogram.
#[derive(Default)]
pub struct Histogram {
    /// Observations at or below each bound (not cumulative), then above all.
    counts: [AtomicU64; BUCKETS_US.len() + 1],
    /// Sum of observations, in microseconds.
    sum_us: AtomicU64,
}

impl Histogram {
    /// Records one observation.
    pub fn observe(&self, d: Duration) {
        let us = d.as_micros().min(u64::MAX as u128) as u64;
        let i = BUCKETS_US.iter().position(|&b| us <= b).unwrap_or(BUCKETS_US.len());
        self.counts[i].fetch_add(1, Relaxed);
        self.sum_us.fetch_add(us, Relaxed);
    }

    /// Observations so far.
    pub fn count(&self) -> u64 {
        self.counts.iter().map(|c| c.load(Relaxed)).sum()
    }

    /// The smallest bucket bound below which `q` (0..=1) of observations
    /// fall; `None` with no observations.
    pub fn quantile(&self, q: f64) -> Option<Duration> {
        let counts: Vec<u64> = self.counts.iter().map(|c| c.load(Relaxed)).collect();
        let total: u64 = counts.iter().sum();
        if total == 0 {
            return None;
        }
        let want = ((total as f64) * q).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, c) in counts.iter().enumerate() {
            seen += c;
            if seen >= want {
                let us = BUCKETS_US.get(i).copied().unwrap_or(BUCKETS_US[BUCKETS_US.len() - 1] * 2);
                return Some(Duration::from_micros(us));
            }
        }
        None
    }

    /// Appends the histogram in the Prometheus text format.
    pub fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        let mut cumulative = 0;
        for (i, bound) in BUCKETS_US.iter().enumerate() {
            cumulative += self.counts[i].load(Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{}\"}} {cumulative}", *bound as f64 / 1e6);
        }
        cumulative += self.counts[BUCKETS_US.len()].load(Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {cumulative}");
        let _ = writeln!(out, "{name}_sum {}", self.sum_us.load(Relaxed) as f64 / 1e6);
        let _ = writeln!(out, "{name}_count {cumulative}");
    }
}

/// Every counter the engine keeps.
#[derive(Default)]
pub struct Metrics {
    /// Connections open now.
    pub connections_open: AtomicU64,
    /// Connections accepted since start.
    pub connections_accepted: AtomicU64,
    /// Connections closed, by [`CloseReason`].
    connections_closed: [AtomicU64; CloseReason::ALL.len()],
    /// Tasks waiting for a worker now.
    pub tasks_queued: AtomicU64,
    /// Tasks being run by a worker now.
    pub tasks_running: AtomicU64,
    /// Tasks finished since start.
    pub tasks_done: AtomicU64,
    /// Of those, tasks the I/O thread ran itself (`Service::run_inline`, or
    /// inline mode).
    pub tasks_inline: AtomicU64,
    /// Bytes read from clients.
    pub bytes_in: AtomicU64,
    /// Bytes written to clients.
    pub bytes_out: AtomicU64,
    /// Owned output all connections hold now, as the loops last counted it
    /// (what the output limits count; see `OutputLimits`).
    pub output_memory: AtomicU64,
    /// Times each [`Limit`] was hit.
    limit_hits: [AtomicU64; Limit::ALL.len()],
    /// Handler panics caught.
    pub panics: AtomicU64,
    /// PROXY protocol headers read whole: carrying a client's address, and
    /// `LOCAL` (the proxy's own connection, a health check) or `UNKNOWN`.
    proxy_headers: [AtomicU64; 2],
    /// PROXY protocol headers refused, by [`Refusal`].
    proxy_refused: [AtomicU64; Refusal::LABELS.len()],
    /// Time from a task's queueing to a worker picking it up.
    pub queue_wait: Histogram,
    /// Time a service spent handling one task.
    pub service_time: Histogram,
    /// Time an I/O loop spent on one turn's events (lag for everyone else).
    pub loop_turn: Histogram,
    /// TLS handshakes done and failed.
    pub tls: crate::tls::Stats,
}

impl Metrics {
    /// Counts one hit of `limit`.
    pub fn limit_hit(&self, limit: Limit) {
        self.limit_hits[limit.index()].fetch_add(1, Relaxed);
    }

    /// Times `limit` was hit.
    pub fn limit_hits(&self, limit: Limit) -> u64 {
        self.limit_hits[limit.index()].load(Relaxed)
    }

    /// Counts one PROXY protocol header read whole; `proxied` if it
    /// carried an address.
    pub fn proxy_header(&self, proxied: bool) {
        self.proxy_headers[usize::from(!proxied)].fetch_add(1, Relaxed);
    }

    /// Counts one PROXY protocol header refused.
    pub fn proxy_refused(&self, why: Refusal) {
        self.proxy_refused[why.index()].fetch_add(1, Relaxed);
    }

    /// PROXY protocol headers refused with the label `label`.
    pub fn proxy_refused_count(&self, label: &str) -> u64 {
        Refusal::LABELS.iter().position(|&l| l == label).map_or(0, |i| self.proxy_refused[i].load(Relaxed))
    }

    /// Counts one close for `reason`.
    pub fn closed(&self, reason: CloseReason) {
        self.connections_closed[reason.index()].fetch_add(1, Relaxed);
    }

    /// Connections closed for `reason`.
    pub fn closed_count(&self, reason: CloseReason) -> u64 {
        self.connections_closed[reason.index()].load(Relaxed)
    }

    /// Appends every counter in the Prometheus text format.
    pub fn render(&self, out: &mut String) {
        let simple = [
            ("switchyard_connections_open", "gauge", "Connections open now.", &self.connections_open),
            ("switchyard_connections_accepted_total", "counter", "Connections accepted.", &self.connections_accepted),
            ("switchyard_tasks_queued", "gauge", "Tasks waiting for a worker.", &self.tasks_queued),
            ("switchyard_tasks_running", "gauge", "Tasks being handled by a worker.", &self.tasks_running),
            ("switchyard_tasks_done_total", "counter", "Tasks handled.", &self.tasks_done),
            (
                "switchyard_tasks_inline_total",
                "counter",
                "Tasks handled on an I/O thread, without a worker.",
                &self.tasks_inline,
            ),
            ("switchyard_received_bytes_total", "counter", "Bytes read from clients.", &self.bytes_in),
            ("switchyard_sent_bytes_total", "counter", "Bytes written to clients.", &self.bytes_out),
            (
                "switchyard_output_memory_bytes",
                "gauge",
                "Memory held by pending output, all connections together.",
                &self.output_memory,
            ),
            ("switchyard_handler_panics_total", "counter", "Service handler panics caught.", &self.panics),
        ];
        for (name, kind, help, v) in simple {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {}", v.load(Relaxed));
        }
        let name = "switchyard_connections_closed_total";
        let _ = writeln!(out, "# HELP {name} Connections closed, by reason.\n# TYPE {name} counter");
        for r in CloseReason::ALL {
            let _ = writeln!(out, "{name}{{reason=\"{}\"}} {}", r.as_str(), self.closed_count(r));
        }
        let name = "switchyard_limit_hits_total";
        let _ = writeln!(out, "# HELP {name} Times each limit was hit.\n# TYPE {name} counter");
        for l in Limit::ALL {
            let _ = writeln!(out, "{name}{{limit=\"{}\"}} {}", l.as_str(), self.limit_hits(l));
        }
        let name = "switchyard_proxy_headers_total";
        let _ = writeln!(out, "# HELP {name} PROXY protocol headers read, by command.\n# TYPE {name} counter");
        for (i, command) in ["proxy", "local"].iter().enumerate() {
            let _ = writeln!(out, "{name}{{command=\"{command}\"}} {}", self.proxy_headers[i].load(Relaxed));
        }
        let name = "switchyard_proxy_header_refused_total";
        let _ = writeln!(
            out,
            "# HELP {name} PROXY protocol headers refused (the connection closed), by reason.\n# TYPE {name} counter"
        );
        for (i, reason) in Refusal::LABELS.iter().enumerate() {
            let _ = writeln!(out, "{name}{{reason=\"{reason}\"}} {}", self.proxy_refused[i].load(Relaxed));
        }
        self.queue_wait.render(out, "switchyard_queue_wait_seconds", "Time tasks waited for a worker.");
        self.service_time.render(out, "switchyard_service_seconds", "Time the service took per task.");
        self.loop_turn.render(out, "switchyard_loop_turn_seconds", "Time an I/O loop spent per turn.");
        self.tls.render(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_quantiles_come_from_bucket_bounds() {
        let h = Histogram::default();
        assert_eq!(h.quantile(0.5), None);
        for _ in 0..99 {
            h.observe(Duration::from_micros(40));
        }
        h.observe(Duration::from_millis(3));
        assert_eq!(h.count(), 100);
        assert_eq!(h.quantile(0.5), Some(Duration::from_micros(50)));
        assert_eq!(h.quantile(1.0), Some(Duration::from_micros(5_000)));
    }

    #[test]
    fn rendering_lists_every_reason_and_limit() {
        let m = Metrics::default();
        m.closed(CloseReason::Idle);
        m.limit_hit(Limit::QueueFull);
        let mut s = String::new();
        m.render(&mut s);
        assert!(s.contains("switchyard_connections_closed_total{reason=\"idle_timeout\"} 1"));
        assert!(s.contains("switchyard_limit_hits_total{limit=\"queue_capacity\"} 1"));
        assert!(s.contains("switchyard_service_seconds_bucket{le=\"+Inf\"} 0"));
        m.proxy_refused(Refusal::Timeout);
        m.proxy_header(false);
        let mut s = String::new();
        m.render(&mut s);
        assert!(s.contains("switchyard_proxy_header_refused_total{reason=\"timeout\"} 1"));
        assert!(s.contains("switchyard_proxy_headers_total{command=\"local\"} 1"));
        assert!(s.contains("switchyard_proxy_headers_total{command=\"proxy\"} 0"));
    }
}
