//! The service's own counters, rendered in the Prometheus text format
//! beside the engine's (`/metrics`, and the admin listener).

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crate::encoding::Encoding;
use crate::files::CacheStats;

/// Every status the service sends, in the order they are rendered.
const STATUSES: [u16; 17] = [200, 206, 301, 304, 400, 403, 404, 405, 408, 413, 414, 416, 431, 500, 503, 505, 0];

/// The status classes, `1xx` to `5xx`, in the order they are rendered.
const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

/// A request-size limit, by the name of its constant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// `MAX_REQUEST_LINE_BYTES` (414).
    RequestLine,
    /// `MAX_HEADER_BYTES` (431).
    Headers,
    /// `MAX_BODY_BYTES` (413).
    Body,
    /// `MAX_RANGES` (the whole file instead of the ranges).
    Ranges,
}

impl Limit {
    const ALL: [Limit; 4] = [Limit::RequestLine, Limit::Headers, Limit::Body, Limit::Ranges];

    fn as_str(self) -> &'static str {
        match self {
            Limit::RequestLine => "max_request_line_bytes",
            Limit::Headers => "max_header_bytes",
            Limit::Body => "max_body_bytes",
            Limit::Ranges => "max_ranges",
        }
    }
}

/// Counters shared by every worker; all relaxed, read only for display.
#[derive(Default)]
pub struct Counters {
    /// Responses by status, indexed like `STATUSES` (the last slot: any other).
    responses: [AtomicU64; STATUSES.len()],
    /// Responses by status class, indexed like `CLASSES`. Kept apart from
    /// `responses` because its `other` slot forgets the status.
    classes: [AtomicU64; CLASSES.len()],
    /// Hits of each limit, indexed like `Limit::ALL`.
    limits: [AtomicU64; Limit::ALL.len()],
    /// Precompressed twins sent (200 and 304), indexed like `Encoding::ALL`.
    precompressed: [AtomicU64; Encoding::ALL.len()],
}

impl Counters {
    /// Counts one response.
    pub fn response(&self, status: u16) {
        let i = STATUSES.iter().position(|&s| s == status).unwrap_or(STATUSES.len() - 1);
        self.responses[i].fetch_add(1, Relaxed);
        if let Some(class) = (status / 100).checked_sub(1).and_then(|c| self.classes.get(usize::from(c))) {
            class.fetch_add(1, Relaxed);
        }
    }

    /// Counts one hit of `limit`.
    pub fn limit(&self, limit: Limit) {
        self.limits[limit as usize].fetch_add(1, Relaxed);
    }

    /// Counts one response from a precompressed twin.
    pub fn precompressed(&self, encoding: Encoding) {
        let i = Encoding::ALL.iter().position(|&e| e == encoding).unwrap_or(0);
        self.precompressed[i].fetch_add(1, Relaxed);
    }

    /// Appends every counter, and the file cache's.
    pub fn render(&self, out: &mut String, cache: CacheStats) {
        let name = "switchyard_http_responses_total";
        let _ = writeln!(out, "# HELP {name} Responses sent, by status.\n# TYPE {name} counter");
        for (status, n) in STATUSES.iter().zip(&self.responses) {
            let label = if *status == 0 { "other".to_string() } else { status.to_string() };
            let _ = writeln!(out, "{name}{{status=\"{label}\"}} {}", n.load(Relaxed));
        }
        let name = "switchyard_http_responses_by_class_total";
        let _ = writeln!(out, "# HELP {name} Responses sent, by status class.\n# TYPE {name} counter");
        for (class, n) in CLASSES.iter().zip(&self.classes) {
            let _ = writeln!(out, "{name}{{class=\"{class}\"}} {}", n.load(Relaxed));
        }
        let name = "switchyard_http_limit_hits_total";
        let _ = writeln!(
            out,
            "# HELP {name} Requests refused (or, for max_ranges, answered whole) for a limit.\n# TYPE {name} counter"
        );
        for (limit, n) in Limit::ALL.iter().zip(&self.limits) {
            let _ = writeln!(out, "{name}{{limit=\"{}\"}} {}", limit.as_str(), n.load(Relaxed));
        }
        let name = "switchyard_http_precompressed_total";
        let _ = writeln!(out, "# HELP {name} Responses from a precompressed file, by coding.\n# TYPE {name} counter");
        for (e, n) in Encoding::ALL.iter().zip(&self.precompressed) {
            let _ = writeln!(out, "{name}{{encoding=\"{}\"}} {}", e.token(), n.load(Relaxed));
        }
        let simple = [
            ("switchyard_http_file_cache_hits_total", "counter", "File lookups served from the cache.", cache.hits),
            ("switchyard_http_file_cache_misses_total", "counter", "File lookups that opened the file.", cache.misses),
            ("switchyard_http_file_cache_entries", "gauge", "Paths in the file cache.", cache.entries),
            ("switchyard_http_file_cache_bytes", "gauge", "Bytes of file contents in the cache.", cache.bytes),
        ];
        for (name, kind, help, v) in simple {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rendering_lists_every_status_and_limit() {
        let c = Counters::default();
        c.response(404);
        c.response(404);
        c.response(299);
        c.limit(Limit::Headers);
        let mut s = String::new();
        c.render(&mut s, CacheStats { entries: 3, bytes: 100, hits: 7, misses: 1 });
        assert!(s.contains("switchyard_http_responses_total{status=\"404\"} 2\n"), "{s}");
        assert!(s.contains("switchyard_http_responses_total{status=\"other\"} 1\n"));
        assert!(s.contains("switchyard_http_responses_total{status=\"200\"} 0\n"));
        assert!(s.contains("switchyard_http_limit_hits_total{limit=\"max_header_bytes\"} 1\n"));
        assert!(s.contains("switchyard_http_file_cache_entries 3\n"));
        assert!(s.contains("switchyard_http_file_cache_bytes 100\n"));
        assert!(s.contains("switchyard_http_file_cache_hits_total 7\n"));
        assert!(s.contains("switchyard_http_precompressed_total{encoding=\"br\"} 0\n"));
    }

    #[test]
    fn responses_count_by_class_with_every_class_present() {
        let c = Counters::default();
        for status in [200, 206, 299, 304, 404, 404, 503] {
            c.response(status);
        }
        let mut s = String::new();
        c.render(&mut s, CacheStats::default());
        let name = "switchyard_http_responses_by_class_total";
        assert!(s.contains(&format!("# TYPE {name} counter\n")), "{s}");
        for (class, n) in [("1xx", 0), ("2xx", 3), ("3xx", 1), ("4xx", 2), ("5xx", 1)] {
            assert!(s.contains(&format!("{name}{{class=\"{class}\"}} {n}\n")), "{class}: {s}");
        }
    }

    #[test]
    fn a_status_outside_every_class_counts_only_as_other() {
        let c = Counters::default();
        c.response(0);
        c.response(99);
        c.response(600);
        let mut s = String::new();
        c.render(&mut s, CacheStats::default());
        assert!(s.contains("switchyard_http_responses_total{status=\"other\"} 3\n"), "{s}");
        assert_eq!(s.matches("_by_class_total{class=").count(), 5);
        assert!(!s.lines().any(|l| l.contains("_by_class_total{") && !l.ends_with(" 0")), "{s}");
    }
}
