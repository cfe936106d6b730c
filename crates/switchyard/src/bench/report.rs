//! The figures of a run: what the client threads count, merged, and
//! printed as text for people or as one JSON object for machines.
//!
//! Only requests completed and verified before the deadline count towards
//! the rate and the latency histogram; responses drained after it are
//! still checked, so a wrong one is still an error.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::time::Duration;

use hdrhistogram::Histogram;

/// Error messages kept for the report; the rest are only counted.
const ERROR_MESSAGES_KEPT: usize = 5;

/// Longest latency the histogram holds; longer ones are recorded as this.
const LATENCY_MAX_NS: u64 = 60_000_000_000;

/// What a run was asked to do, for the report's header.
pub struct Setup {
    pub service: &'static str,
    pub target: SocketAddr,
    pub connections: usize,
    pub pipeline: usize,
    /// Request payload bytes, for the protocols that have a size.
    pub size: Option<u64>,
    pub threads: usize,
}

/// What one client thread, or all of them merged, counted.
pub struct Tally {
    /// Requests whose response was complete and right before the deadline.
    pub requests: u64,
    /// Wrong responses, connections lost, responses that never came.
    pub errors: u64,
    /// Request bytes written before the deadline.
    pub bytes_sent: u64,
    /// Response bytes read before the deadline.
    pub bytes_received: u64,
    /// The measured span: from the start to the deadline.
    pub elapsed: Duration,
    /// Per-request latency in nanoseconds, send to complete response.
    pub latency: Histogram<u64>,
    /// The first few errors, in words.
    pub first_errors: Vec<String>,
}

impl Tally {
    /// An empty tally.
    pub fn new() -> Tally {
        Tally {
            requests: 0,
            errors: 0,
            bytes_sent: 0,
            bytes_received: 0,
            elapsed: Duration::ZERO,
            latency: Histogram::new_with_bounds(1, LATENCY_MAX_NS, 3).expect("valid histogram bounds"),
            first_errors: Vec::new(),
        }
    }

    /// Records one completed request.
    pub fn complete(&mut self, latency: Duration) {
        self.requests += 1;
        self.latency.saturating_record(u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX).max(1));
    }

    /// Counts an error and keeps its message if it is among the first.
    pub fn error(&mut self, msg: String) {
        self.errors += 1;
        if self.first_errors.len() < ERROR_MESSAGES_KEPT {
            self.first_errors.push(msg);
        }
    }

    /// Adds another thread's tally to this one.
    pub fn merge(&mut self, other: Tally) {
        self.requests += other.requests;
        self.errors += other.errors;
        self.bytes_sent += other.bytes_sent;
        self.bytes_received += other.bytes_received;
        self.elapsed = self.elapsed.max(other.elapsed);
        self.latency.add(&other.latency).expect("histograms of the same bounds add up");
        for msg in other.first_errors {
            if self.first_errors.len() < ERROR_MESSAGES_KEPT {
                self.first_errors.push(msg);
            }
        }
    }

    fn per_second(&self, count: u64) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            count as f64 / secs
        } else {
            0.0
        }
    }

    fn quantile_us(&self, q: f64) -> f64 {
        self.latency.value_at_quantile(q) as f64 / 1000.0
    }
}

/// Formats microseconds for people: `41.2 µs`, `3.10 ms`.
fn human_us(us: f64) -> String {
    if us >= 1000.0 {
        format!("{:.2} ms", us / 1000.0)
    } else {
        format!("{us:.1} µs")
    }
}

/// The text report.
pub fn text(setup: &Setup, t: &Tally) -> String {
    let mut s = String::new();
    let threads = if setup.threads == 1 { "1 thread".to_string() } else { format!("{} threads", setup.threads) };
    let size = setup.size.map(|n| format!("{n} B, ")).unwrap_or_default();
    let _ = writeln!(
        s,
        "{} {}: {} connections, pipeline {}, {size}{}, {:.2} s",
        setup.service,
        setup.target,
        setup.connections,
        setup.pipeline,
        threads,
        t.elapsed.as_secs_f64()
    );
    let _ = writeln!(s, "requests/s  {:.1}  ({} requests)", t.per_second(t.requests), t.requests);
    let _ = writeln!(
        s,
        "MB/s        {:.2} received, {:.2} sent",
        t.per_second(t.bytes_received) / 1e6,
        t.per_second(t.bytes_sent) / 1e6
    );
    let _ = writeln!(
        s,
        "latency     p50 {}  p99 {}  p99.9 {}  max {}",
        human_us(t.quantile_us(0.5)),
        human_us(t.quantile_us(0.99)),
        human_us(t.quantile_us(0.999)),
        human_us(t.latency.max() as f64 / 1000.0)
    );
    let _ = writeln!(s, "errors      {}", t.errors);
    s
}

/// Writes `s` as a JSON string literal.
fn json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The JSON report: one flat object on one line. Rates are per second,
/// MB is 10^6 bytes, latencies are in microseconds.
pub fn json(setup: &Setup, t: &Tally) -> String {
    let mut s = String::from("{\"service\":");
    json_string(&mut s, setup.service);
    s.push_str(",\"target\":");
    json_string(&mut s, &setup.target.to_string());
    let _ = write!(
        s,
        ",\"connections\":{},\"pipeline\":{},\"size\":{},\"threads\":{},\"duration_s\":{:.3}",
        setup.connections,
        setup.pipeline,
        setup.size.map_or("null".to_string(), |n| n.to_string()),
        setup.threads,
        t.elapsed.as_secs_f64()
    );
    let _ = write!(
        s,
        ",\"requests\":{},\"errors\":{},\"requests_per_s\":{:.1},\"mb_per_s\":{:.3},\"bytes_sent\":{},\"bytes_received\":{}",
        t.requests,
        t.errors,
        t.per_second(t.requests),
        t.per_second(t.bytes_received) / 1e6,
        t.bytes_sent,
        t.bytes_received
    );
    let _ = write!(
        s,
        ",\"latency_p50_us\":{:.1},\"latency_p99_us\":{:.1},\"latency_p999_us\":{:.1},\"latency_max_us\":{:.1},\"latency_mean_us\":{:.1}",
        t.quantile_us(0.5),
        t.quantile_us(0.99),
        t.quantile_us(0.999),
        t.latency.max() as f64 / 1000.0,
        t.latency.mean() / 1000.0
    );
    s.push_str(",\"first_error\":");
    match t.first_errors.first() {
        Some(msg) => json_string(&mut s, msg),
        None => s.push_str("null"),
    }
    s.push_str("}\n");
    s
}

/// The live progress line: the last second's rate and the errors so far.
pub fn progress(elapsed: Duration, rate: f64, errors: u64) -> String {
    format!("\r{:>4.0} s  {:>12.0} requests/s  {} errors ", elapsed.as_secs_f64(), rate, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> Setup {
        Setup {
            service: "echo",
            target: "127.0.0.1:7007".parse().unwrap(),
            connections: 50,
            pipeline: 1,
            size: Some(64),
            threads: 1,
        }
    }

    fn two_seconds_of(requests: u64, latency: Duration) -> Tally {
        let mut t = Tally::new();
        t.elapsed = Duration::from_secs(2);
        for _ in 0..requests {
            t.complete(latency);
        }
        t.bytes_received = requests * 64;
        t.bytes_sent = requests * 64;
        t
    }

    #[test]
    fn merged_tallies_add_counts_and_histograms() {
        let mut a = two_seconds_of(100, Duration::from_micros(10));
        let mut b = two_seconds_of(100, Duration::from_micros(1000));
        b.error("lost".into());
        a.merge(b);
        assert_eq!(a.requests, 200);
        assert_eq!(a.errors, 1);
        assert_eq!(a.first_errors, vec!["lost".to_string()]);
        assert_eq!(a.latency.len(), 200);
        assert!(a.quantile_us(0.25) < 11.0 && a.quantile_us(0.99) > 990.0);
    }

    #[test]
    fn only_the_first_error_messages_are_kept_but_all_are_counted() {
        let mut t = Tally::new();
        for i in 0..20 {
            t.error(format!("error {i}"));
        }
        assert_eq!(t.errors, 20);
        assert_eq!(t.first_errors.len(), ERROR_MESSAGES_KEPT);
    }

    #[test]
    fn the_text_report_names_rate_throughput_quantiles_and_errors() {
        let text = text(&setup(), &two_seconds_of(1000, Duration::from_micros(50)));
        assert!(text.starts_with("echo 127.0.0.1:7007: 50 connections, pipeline 1, 64 B, 1 thread, 2.00 s\n"));
        assert!(text.contains("requests/s  500.0  (1000 requests)"), "{text}");
        assert!(text.contains("MB/s        0.03 received"), "{text}");
        assert!(text.contains("p50 50.0 µs  p99 50.0 µs  p99.9 50.0 µs"), "{text}");
        assert!(text.ends_with("errors      0\n"));
    }

    #[test]
    fn the_json_report_is_one_line_with_escaped_strings() {
        let mut t = two_seconds_of(10, Duration::from_micros(5));
        t.error("byte 3 is \"x\"\n".into());
        let json = json(&setup(), &t);
        assert_eq!(json.lines().count(), 1);
        assert!(json.starts_with("{\"service\":\"echo\",\"target\":\"127.0.0.1:7007\","), "{json}");
        assert!(json.contains(",\"requests\":10,\"errors\":1,\"requests_per_s\":5.0,"), "{json}");
        assert!(json.contains("\"latency_p50_us\":5.0"), "{json}");
        assert!(json.ends_with("\"first_error\":\"byte 3 is \\\"x\\\"\\u000a\"}\n"), "{json}");
    }

    #[test]
    fn latencies_read_in_the_unit_that_fits() {
        assert_eq!(human_us(41.25), "41.2 µs");
        assert_eq!(human_us(3100.0), "3.10 ms");
    }
}
