//! The admin listener (`--admin ADDR`): metrics, health and a live status
//! page, served by the engine itself.
//!
//! It is a second [`Server`] in inline mode (no workers, one I/O thread)
//! running [`Admin`], a small HTTP/1.1 service that answers `GET` only, with
//! keep-alive:
//!
//! | path | answer |
//! | --- | --- |
//! | `/metrics` | the engine's and the service's metrics, Prometheus text format 0.0.4 |
//! | `/healthz` | `200 ok` while serving, `503 draining` once shutdown began |
//! | `/stats.json` | uptime, connections, requests/s (by kind, per service), bytes/s, service time percentiles and distribution |
//! | `/` | `status.html`, which polls `/stats.json` every second and draws charts |
//!
//! Invariants: the admin server only reads the main server's counters (it
//! never touches its connections), and it outlives it: [`Running::stop`]
//! runs after the main server's `run()` returned, so `/healthz` answers
//! `503` for the whole drain.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use switchyard_codec::http::{self, Body};
use switchyard_engine::{Config, ConnInfo, Control, Cx, Histogram, Metrics, Server, Service};

/// The status page, served at `/`.
const STATUS_PAGE: &str = include_str!("status.html");

/// The Prometheus text exposition format, version 0.0.4.
const METRICS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Rates and percentiles are computed over windows at least this long, so
/// that several pollers do not shrink each other's windows to nothing.
const MIN_WINDOW: Duration = Duration::from_millis(500);

/// The counter family of a service that splits its requests into kinds
/// (http's status classes, kv's commands, chat's message commands), and
/// the label that names the kind.
#[derive(Clone, Copy, Debug)]
pub struct Kinds {
    /// The counter's name, like `switchyard_http_responses_by_class_total`.
    pub family: &'static str,
    /// The label naming the kind, like `class`.
    pub label: &'static str,
}

/// The admin HTTP service, watching the server whose `Control` and service
/// it holds.
pub struct Admin<S: Service> {
    /// The watched server's service, for its own metrics.
    service: Arc<S>,
    /// How the service's requests split into kinds, if they do.
    kinds: Option<Kinds>,
    /// The watched server's handle: its counters and its draining flag.
    main: Control,
    /// When the watched server started, for the uptime.
    started: Instant,
    /// The counters at the start of the current rate window.
    window: Mutex<Window>,
}

/// A snapshot of the counters, and the figures of the last closed window.
struct Window {
    at: Instant,
    tasks: u64,
    bytes_in: u64,
    bytes_out: u64,
    service: Vec<u64>,
    queue: Vec<u64>,
    /// The service's counter of each kind seen so far.
    kinds: Vec<(String, u64)>,
    last: Rates,
}

/// The figures over one window.
#[derive(Clone, Default)]
struct Rates {
    requests_per_second: f64,
    received_bytes_per_second: f64,
    sent_bytes_per_second: f64,
    /// Service time percentiles (p50, p90, p99), seconds.
    service: Option<[f64; 3]>,
    /// Tasks that finished in each service-time bucket: (upper bound in
    /// seconds, count), the `+Inf` bucket last.
    service_buckets: Vec<(f64, u64)>,
    /// Queue wait percentiles (p50, p90, p99), seconds.
    queue: Option<[f64; 3]>,
    /// Requests a second of each kind, in the service's order.
    kinds: Vec<(String, f64)>,
}

impl<S: Service> Admin<S> {
    /// Watches the server that `main` controls.
    pub fn new(service: Arc<S>, main: Control, kinds: Option<Kinds>) -> Admin<S> {
        let started = Instant::now();
        let m = main.metrics();
        let window = Window {
            kinds: kinds.map(|k| counters_by_label(&*service, k)).unwrap_or_default(),
            at: started,
            tasks: m.tasks_done.load(Relaxed),
            bytes_in: m.bytes_in.load(Relaxed),
            bytes_out: m.bytes_out.load(Relaxed),
            service: buckets(&m.service_time).into_iter().map(|(_, c)| c).collect(),
            queue: buckets(&m.queue_wait).into_iter().map(|(_, c)| c).collect(),
            last: Rates::default(),
        };
        Admin { service, kinds, main, started, window: Mutex::new(window) }
    }

    fn metrics(&self) -> String {
        let mut out = String::with_capacity(8 << 10);
        let name = "switchyard_uptime_seconds";
        let _ = writeln!(out, "# HELP {name} Seconds since the server started.\n# TYPE {name} gauge");
        let _ = writeln!(out, "{name} {}", self.started.elapsed().as_secs_f64());
        let name = "switchyard_draining";
        let _ = writeln!(out, "# HELP {name} 1 while a graceful shutdown is under way.\n# TYPE {name} gauge");
        let _ = writeln!(out, "{name} {}", u8::from(self.main.draining()));
        self.main.metrics().render(&mut out);
        self.service.metrics(&mut out);
        out
    }

    /// Closes the current window if it is old enough, and returns the
    /// figures of the last closed one.
    fn rates(&self, m: &Metrics) -> Rates {
        let mut w = self.window.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let dt = now.duration_since(w.at);
        if dt >= MIN_WINDOW {
            let secs = dt.as_secs_f64();
            let tasks = m.tasks_done.load(Relaxed);
            let bytes_in = m.bytes_in.load(Relaxed);
            let bytes_out = m.bytes_out.load(Relaxed);
            let service = buckets(&m.service_time);
            let queue = buckets(&m.queue_wait);
            let kinds = self.kinds.map(|k| counters_by_label(&*self.service, k)).unwrap_or_default();
            let kind_rates = kinds
                .iter()
                .map(|(name, n)| {
                    let before = w.kinds.iter().find(|(b, _)| b == name).map_or(0, |&(_, c)| c);
                    (name.clone(), n.saturating_sub(before) as f64 / secs)
                })
                .collect();
            w.last = Rates {
                requests_per_second: tasks.saturating_sub(w.tasks) as f64 / secs,
                received_bytes_per_second: bytes_in.saturating_sub(w.bytes_in) as f64 / secs,
                sent_bytes_per_second: bytes_out.saturating_sub(w.bytes_out) as f64 / secs,
                service: percentiles(&service, &w.service),
                service_buckets: in_window(&service, &w.service),
                queue: percentiles(&queue, &w.queue),
                kinds: kind_rates,
            };
            w.kinds = kinds;
            w.at = now;
            w.tasks = tasks;
            w.bytes_in = bytes_in;
            w.bytes_out = bytes_out;
            w.service = service.into_iter().map(|(_, c)| c).collect();
            w.queue = queue.into_iter().map(|(_, c)| c).collect();
        }
        w.last.clone()
    }

    fn stats(&self) -> String {
        let m = self.main.metrics();
        let r = self.rates(m);
        let ms = |p: Option<[f64; 3]>| match p {
            Some([a, b, c]) => format!("{{\"p50\":{},\"p90\":{},\"p99\":{}}}", a * 1e3, b * 1e3, c * 1e3),
            None => "{\"p50\":null,\"p90\":null,\"p99\":null}".to_string(),
        };
        let mut kinds = String::from("{");
        for (i, (name, rate)) in r.kinds.iter().enumerate() {
            let sep = if i == 0 { "" } else { "," };
            let _ = write!(kinds, "{sep}{}:{rate:.3}", json_string(name));
        }
        kinds.push('}');
        let label = self.kinds.map_or("null".to_string(), |k| json_string(k.label));
        let mut dist = String::from("[");
        for (i, (le, n)) in r.service_buckets.iter().enumerate() {
            let sep = if i == 0 { "" } else { "," };
            let le = if le.is_finite() { format!("{}", le * 1e3) } else { "null".into() };
            let _ = write!(dist, "{sep}[{le},{n}]");
        }
        dist.push(']');
        format!(
            concat!(
                "{{\"uptime_seconds\":{:.3},\"draining\":{},",
                "\"connections\":{{\"open\":{},\"accepted\":{}}},",
                "\"requests\":{{\"total\":{},\"per_second\":{:.3},\"queued\":{},\"running\":{},",
                "\"kind_label\":{},\"by_kind_per_second\":{}}},",
                "\"bytes\":{{\"received\":{},\"sent\":{},\"received_per_second\":{:.3},\"sent_per_second\":{:.3}}},",
                "\"latency_ms\":{},\"latency_buckets_ms\":{},\"queue_wait_ms\":{},",
                "\"tls\":{{\"handshakes\":{{\"TLSv1.2\":{},\"TLSv1.3\":{}}},\"resumed\":{},\"failed\":{}}}}}\n"
            ),
            self.started.elapsed().as_secs_f64(),
            self.main.draining(),
            m.connections_open.load(Relaxed),
            m.connections_accepted.load(Relaxed),
            m.tasks_done.load(Relaxed),
            r.requests_per_second,
            m.tasks_queued.load(Relaxed),
            m.tasks_running.load(Relaxed),
            label,
            kinds,
            m.bytes_in.load(Relaxed),
            m.bytes_out.load(Relaxed),
            r.received_bytes_per_second,
            r.sent_bytes_per_second,
            ms(r.service),
            dist,
            ms(r.queue),
            m.tls.done_count(false),
            m.tls.done_count(true),
            m.tls.resumed_count(),
            switchyard_engine::TlsFailure::ALL.iter().map(|&f| m.tls.failed_count(f)).sum::<u64>(),
        )
    }

    /// The response to one request head.
    fn respond(&self, req: &http::Request<'_>) -> Response {
        if req.method != b"GET" {
            return Response::new(405, "text/plain; charset=utf-8", "only GET is served here\n".into())
                .header("Allow: GET");
        }
        let path = req.target.split(|&b| b == b'?').next().unwrap_or_default();
        match path {
            b"/metrics" => Response::new(200, METRICS_CONTENT_TYPE, self.metrics()),
            b"/healthz" if self.main.draining() => Response::new(503, "text/plain; charset=utf-8", "draining\n".into()),
            b"/healthz" => Response::new(200, "text/plain; charset=utf-8", "ok\n".into()),
            b"/stats.json" => Response::new(200, "application/json", self.stats()),
            b"/" | b"/index.html" => Response::new(200, "text/html; charset=utf-8", STATUS_PAGE.into()),
            _ => Response::new(404, "text/plain; charset=utf-8", "not found\n".into()),
        }
    }
}

impl<S: Service> Service for Admin<S> {
    type State = ();

    fn open(&self, _conn: &ConnInfo) {}

    fn handle(&self, _state: &mut (), cx: &mut Cx<'_>) {
        let draining = cx.draining();
        loop {
            let (input, out) = cx.io();
            let (used, close) = match http::parse_request(input, &http::Limits::default()) {
                Ok(None) => return,
                Err(e) => {
                    let body = format!("{e}\n");
                    out.extend_from_slice(&Response::new(e.status(), "text/plain; charset=utf-8", body).encode(true));
                    (input.len(), true)
                }
                Ok(Some(req)) if !matches!(req.body, Body::None | Body::Length(0)) => {
                    // Nothing here takes a body; refusing it keeps the framing simple.
                    let r = Response::new(400, "text/plain; charset=utf-8", "request bodies are not accepted\n".into());
                    out.extend_from_slice(&r.encode(true));
                    (input.len(), true)
                }
                Ok(Some(req)) => {
                    let close = !req.keep_alive || draining;
                    out.extend_from_slice(&self.respond(&req).encode(close));
                    (req.head_len, close)
                }
            };
            cx.consume(used);
            if close {
                cx.close();
                return;
            }
        }
    }

    fn reject(&self, why: switchyard_engine::Reject) -> Option<Vec<u8>> {
        let status = match why {
            switchyard_engine::Reject::Busy => 503,
            switchyard_engine::Reject::InputTooLarge => 431,
            switchyard_engine::Reject::RequestTimeout => 408,
            switchyard_engine::Reject::Panic => 500,
            switchyard_engine::Reject::NotTls => 400,
        };
        Some(Response::new(status, "text/plain; charset=utf-8", String::new()).encode(true))
    }
}

/// One response, before encoding.
struct Response {
    status: u16,
    content_type: &'static str,
    extra: Option<&'static str>,
    body: String,
}

impl Response {
    fn new(status: u16, content_type: &'static str, body: String) -> Response {
        Response { status, content_type, extra: None, body }
    }

    fn header(mut self, line: &'static str) -> Response {
        self.extra = Some(line);
        self
    }

    fn encode(&self, close: bool) -> Vec<u8> {
        let reason = match self.status {
            200 => "OK",
            400 => "Bad Request",
            404 => "Not Found",
            405 => "Method Not Allowed",
            408 => "Request Timeout",
            413 => "Content Too Large",
            414 => "URI Too Long",
            431 => "Request Header Fields Too Large",
            500 => "Internal Server Error",
            503 => "Service Unavailable",
            505 => "HTTP Version Not Supported",
            _ => "Error",
        };
        let mut head = format!(
            "HTTP/1.1 {} {reason}\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-store\r\n",
            self.status,
            self.content_type,
            self.body.len()
        );
        if let Some(line) = self.extra {
            head.push_str(line);
            head.push_str("\r\n");
        }
        head.push_str(if close { "Connection: close\r\n\r\n" } else { "\r\n" });
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(self.body.as_bytes());
        bytes
    }
}

/// A histogram's buckets as (upper bound in seconds, cumulative count),
/// the `+Inf` bucket last with an infinite bound.
///
/// The engine's [`Histogram`] exposes its buckets only through its text
/// rendering, so they are read back from it.
fn buckets(h: &Histogram) -> Vec<(f64, u64)> {
    let mut text = String::new();
    h.render(&mut text, "h", "");
    text.lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("h_bucket{le=\"")?;
            let (le, count) = rest.split_once("\"} ")?;
            let bound = if le == "+Inf" { f64::INFINITY } else { le.parse().ok()? };
            Some((bound, count.trim().parse().ok()?))
        })
        .collect()
}

/// The values of the counter `kinds.family` by its `kinds.label`, read
/// back from the service's exposition text, in its order.
fn counters_by_label<S: Service>(service: &S, kinds: Kinds) -> Vec<(String, u64)> {
    let mut text = String::new();
    service.metrics(&mut text);
    let prefix = format!("{}{{{}=\"", kinds.family, kinds.label);
    text.lines()
        .filter_map(|line| {
            let (name, count) = line.strip_prefix(&prefix)?.split_once("\"} ")?;
            Some((name.to_string(), count.trim().parse().ok()?))
        })
        .collect()
}

/// A JSON string.
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
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
    out
}

/// The observations in each bucket (not cumulative) made between two
/// snapshots of one histogram's cumulative buckets.
fn in_window(now: &[(f64, u64)], before: &[u64]) -> Vec<(f64, u64)> {
    let mut below = 0;
    now.iter()
        .enumerate()
        .map(|(i, &(b, c))| {
            let cumulative = c.saturating_sub(before.get(i).copied().unwrap_or(0));
            let n = cumulative.saturating_sub(below);
            below = cumulative;
            (b, n)
        })
        .collect()
}

/// The p50, p90 and p99 of the observations made between two snapshots of
/// one histogram's cumulative buckets, estimated as Prometheus's
/// `histogram_quantile` does: linearly within the bucket that holds the
/// rank (from 0 for the first bucket), and the largest finite bound for a
/// rank in the `+Inf` bucket. `None` without observations.
fn percentiles(now: &[(f64, u64)], before: &[u64]) -> Option<[f64; 3]> {
    let delta: Vec<(f64, u64)> =
        now.iter().enumerate().map(|(i, &(b, c))| (b, c.saturating_sub(before.get(i).copied().unwrap_or(0)))).collect();
    let total = delta.last()?.1;
    if total == 0 {
        return None;
    }
    let largest = delta.iter().map(|&(b, _)| b).filter(|b| b.is_finite()).fold(0.0, f64::max);
    let at = |q: f64| {
        let rank = total as f64 * q;
        let i = delta.iter().position(|&(_, c)| c as f64 >= rank).unwrap_or(delta.len() - 1);
        let (upper, count) = delta[i];
        if !upper.is_finite() {
            return largest;
        }
        let (lower, below) = if i == 0 { (0.0, 0) } else { delta[i - 1] };
        let inside = count - below;
        if inside == 0 {
            return upper;
        }
        lower + (upper - lower) * (rank - below as f64) / inside as f64
    };
    Some([at(0.5), at(0.9), at(0.99)])
}

/// A running admin server.
pub struct Running {
    control: Control,
    thread: std::thread::JoinHandle<Result<switchyard_engine::Summary, switchyard_engine::Error>>,
}

/// Binds the admin listener on `addr` for the server `main` (or serves on
/// `inherited`, a socket handed over by a live upgrade or systemd), prints
/// its `listening admin ADDR` line, and starts it on its own thread.
///
/// # Errors
///
/// The address cannot be bound, or the thread cannot start.
pub fn start<S: Service>(
    addr: SocketAddr,
    inherited: Option<std::net::TcpListener>,
    main: &Server<S>,
    kinds: Option<Kinds>,
) -> anyhow::Result<Running> {
    let config = Config {
        listen: if inherited.is_some() { Vec::new() } else { vec![addr] },
        workers: 0,
        io_threads: 1,
        max_connections: 256,
        shutdown_timeout: Duration::from_secs(2),
        ..Config::default()
    };
    let admin = Admin::new(main.service(), main.control(), kinds);
    let inherited: Vec<switchyard_engine::Listener> =
        inherited.into_iter().map(switchyard_engine::Listener::plain).collect();
    let server = Server::bind_with(config, admin, inherited)
        .with_context(|| format!("starting the admin listener on {addr}"))?;
    let bound = server.local_addrs()[0];
    let control = server.control();
    let thread = std::thread::Builder::new()
        .name("admin".into())
        .spawn(move || {
            let _span = tracing::info_span!("admin").entered();
            server.run()
        })
        .context("starting the admin thread")?;
    {
        use std::io::Write;
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "listening admin {bound}")?;
        stdout.flush()?;
    }
    tracing::info!(service = "admin", addr = %bound, "listening");
    Ok(Running { control, thread })
}

impl Running {
    /// A handle on the admin server (for handing its socket over).
    pub fn control(&self) -> Control {
        self.control.clone()
    }

    /// Shuts the admin server down and waits for it.
    pub fn stop(self) {
        {
            let _span = tracing::info_span!("admin").entered();
            self.control.shutdown();
        }
        match self.thread.join() {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "the admin listener failed"),
            Err(_) => tracing::warn!("the admin listener panicked"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_read_back_from_the_rendering() {
        let h = Histogram::default();
        h.observe(Duration::from_micros(40));
        h.observe(Duration::from_secs(60));
        let b = buckets(&h);
        assert_eq!(b.first(), Some(&(0.00001, 0)));
        assert_eq!(b.iter().find(|(le, _)| *le == 0.00005).map(|x| x.1), Some(1));
        assert_eq!(b.last(), Some(&(f64::INFINITY, 2)));
    }

    #[test]
    fn percentiles_cover_only_the_window() {
        let h = Histogram::default();
        for _ in 0..10 {
            h.observe(Duration::from_secs(2));
        }
        let before: Vec<u64> = buckets(&h).into_iter().map(|(_, c)| c).collect();
        assert_eq!(percentiles(&buckets(&h), &before), None);
        for _ in 0..100 {
            h.observe(Duration::from_micros(80));
        }
        // All in the (50 µs, 100 µs] bucket: spread linearly across it.
        let [p50, p90, p99] = percentiles(&buckets(&h), &before).unwrap();
        let near = |a: f64, b: f64| (a - b).abs() < 1e-9;
        assert!(near(p50, 0.000075) && near(p90, 0.000095) && near(p99, 0.0000995), "{p50} {p90} {p99}");
    }

    #[test]
    fn a_rank_past_the_largest_bound_reads_as_that_bound() {
        let h = Histogram::default();
        h.observe(Duration::from_secs(600));
        let largest = buckets(&h).iter().map(|&(b, _)| b).filter(|b| b.is_finite()).fold(0.0, f64::max);
        assert_eq!(percentiles(&buckets(&h), &[]), Some([largest; 3]));
    }

    #[test]
    fn window_buckets_count_each_bucket_once() {
        let h = Histogram::default();
        h.observe(Duration::from_secs(2));
        let before: Vec<u64> = buckets(&h).into_iter().map(|(_, c)| c).collect();
        h.observe(Duration::from_micros(5));
        h.observe(Duration::from_micros(5));
        h.observe(Duration::from_secs(2));
        let w = in_window(&buckets(&h), &before);
        assert_eq!(w.iter().map(|&(_, n)| n).sum::<u64>(), 3);
        assert_eq!(w[0], (0.00001, 2));
    }

    #[test]
    fn responses_say_when_the_connection_closes() {
        let r = Response::new(200, "text/plain", "ok\n".into()).encode(true);
        let text = String::from_utf8(r).unwrap();
        assert!(text.starts_with("HTTP/1.1 200 OK\r\n"));
        assert!(text.contains("Content-Length: 3\r\n"));
        assert!(text.ends_with("Connection: close\r\n\r\nok\n"));
    }
}
