//! The `http` service: static files over HTTP/1.1.
//!
//! Each call of [`Http::handle`] frames the whole requests at the front of
//! the connection's input (with the codec's
//! [`parse_request`](switchyard_codec::http::parse_request)), answers them
//! in order into its output, and leaves a partial request unconsumed for
//! the next call. A request body is skipped as it arrives, so it never
//! accumulates. Small files are copied from an in-memory cache; larger ones
//! are queued as file ranges that the engine sends with `sendfile(2)`, so a
//! download of any size costs a connection a few bytes of memory.
//!
//! Invariants: nothing outside the root is ever opened (see [`target`] and
//! [`files`]); every error that loses the request framing answers with
//! `Connection: close` and closes; while the server drains, the last
//! response a connection gets says `Connection: close`.

mod counters;
mod date;
pub mod encoding;
pub mod files;
mod listing;
mod range;
pub mod target;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, OnceLock};

use switchyard_codec::http::{self as codec, parse_request, Body, ChunkedBody, Limits, Request, Version};
use switchyard_engine::{ConnInfo, Control, Cx, Output, Reject, Service};

use crate::counters::{Counters, Limit};
use crate::encoding::Encoding;
use crate::files::{Entry, Files, Kind, Missing};
use crate::range::Wanted;

/// Longest request line accepted, CRLF included; past it, 414.
pub const MAX_REQUEST_LINE_BYTES: usize = 8 << 10;
/// Largest header section accepted; past it, 431.
pub const MAX_HEADER_BYTES: usize = 16 << 10;
/// Largest request body read (and discarded); past it, 413.
pub const MAX_BODY_BYTES: u64 = 1 << 20;

/// Output in memory past which even cached files go out as file ranges:
/// a client pipelining a megabyte of tiny requests for a 32 KiB file must
/// not make a task copy a gigabyte. Past it a batch also stops and asks to
/// be called again once its output has drained (`Cx::call_again`), for the
/// responses that are made in memory (listings, error pages).
const COPY_BUDGET_BYTES: usize = 4 << 20;

const LIMITS: Limits = Limits {
    max_request_line_bytes: MAX_REQUEST_LINE_BYTES,
    max_header_bytes: MAX_HEADER_BYTES,
    max_body_bytes: MAX_BODY_BYTES,
};

/// Settings of the http service.
#[derive(Clone, Debug)]
pub struct Options {
    /// The folder served.
    pub root: PathBuf,
    /// Serve an HTML listing of folders without an index.html.
    pub autoindex: bool,
    /// Send `file.br` or `file.gz` for `file` to clients that accept them.
    pub precompressed: bool,
}

/// The static file server.
pub struct Http {
    files: Files,
    autoindex: bool,
    precompressed: bool,
    /// The server's handle, for `/metrics`; set when the server starts.
    control: OnceLock<Control>,
    counters: Counters,
}

impl Http {
    /// Creates the service.
    ///
    /// # Errors
    ///
    /// The root folder cannot be opened.
    pub fn new(options: Options) -> std::io::Result<Http> {
        let files = Files::new(&options.root)?;
        tracing::debug!(
            root = %files.root().display(),
            autoindex = options.autoindex,
            precompressed = options.precompressed,
            "serving"
        );
        Ok(Http {
            files,
            autoindex: options.autoindex,
            precompressed: options.precompressed,
            control: OnceLock::new(),
            counters: Counters::default(),
        })
    }
}

/// One connection's state between calls.
pub struct Conn {
    /// The rest of a request body still to skip.
    skip: Skip,
    /// The response to a request whose chunked body is being skipped: it
    /// goes out once the body ends, or gives way to a 413 (or 400) if the
    /// body turns out too large (or malformed).
    deferred: Output,
    /// Where response heads are assembled (kept for its capacity).
    head: Vec<u8>,
}

enum Skip {
    Nothing,
    Bytes(u64),
    Chunked(ChunkedBody),
}

impl Service for Http {
    type State = Conn;

    fn open(&self, _conn: &ConnInfo) -> Conn {
        Conn { skip: Skip::Nothing, deferred: Output::new(), head: Vec::new() }
    }

    fn handle(&self, conn: &mut Conn, cx: &mut Cx<'_>) {
        loop {
            if !self.skip_body(conn, cx) {
                return;
            }
            let draining = cx.draining();
            let id = cx.id();
            let (input, out) = cx.io();
            let req = match parse_request(input, &LIMITS) {
                Ok(Some(req)) => req,
                Ok(None) => return,
                Err(e) => {
                    tracing::debug!(conn = %id, error = %e, "bad request");
                    match e {
                        codec::Error::UriTooLong => self.counters.limit(Limit::RequestLine),
                        codec::Error::HeadersTooLarge => self.counters.limit(Limit::Headers),
                        codec::Error::BodyTooLarge => self.counters.limit(Limit::Body),
                        _ => {}
                    }
                    let mut r = Reply {
                        out,
                        head: &mut conn.head,
                        version: Version::Http11,
                        close: true,
                        is_head: false,
                        vary: false,
                    };
                    self.simple(&mut r, e.status(), None);
                    close_after(cx);
                    return;
                }
            };
            let mut close = !req.keep_alive;
            if draining && !close {
                // Only the last whole request's response says goodbye.
                let rest = &input[req.head_len..];
                close = req.body != Body::None || !matches!(parse_request(rest, &LIMITS), Ok(Some(_)));
            }
            // A chunked body's length is known only at its end: answer
            // once it is over, so that one too large still gets its 413.
            let chunked = req.body == Body::Chunked && !close;
            let reply_to = if chunked { &mut conn.deferred } else { out };
            self.answer(&req, reply_to, &mut conn.head, close);
            let (head_len, body) = (req.head_len, req.body);
            cx.consume(head_len);
            if close {
                close_after(cx);
                return;
            }
            conn.skip = match body {
                Body::None => Skip::Nothing,
                Body::Length(n) => Skip::Bytes(n),
                Body::Chunked => Skip::Chunked(ChunkedBody::new(MAX_BODY_BYTES)),
            };
            if cx.out().mem_len() >= COPY_BUDGET_BYTES {
                // Generated pages (listings, errors) have no file to point
                // at: the rest once these responses have drained.
                cx.call_again();
                return;
            }
        }
    }

    fn reject(&self, why: Reject) -> Option<Vec<u8>> {
        let status = match why {
            Reject::Busy => 503,
            Reject::RequestTimeout => 408,
            Reject::InputTooLarge => 431,
            Reject::Panic => 500,
            // nginx's answer to a plain request on its HTTPS port.
            Reject::NotTls => 400,
        };
        let (mut out, mut head) = (Output::new(), Vec::new());
        let mut r = Reply {
            out: &mut out,
            head: &mut head,
            version: Version::Http11,
            close: true,
            is_head: false,
            vary: false,
        };
        self.simple(&mut r, status, None);
        out.to_vec().ok()
    }

    fn start(&self, control: &Control) {
        let _ = self.control.set(control.clone());
    }

    fn metrics(&self, out: &mut String) {
        self.counters.render(out, self.files.stats());
    }
}

/// Appends `len` bytes of the file from `start`: copied from memory while
/// the output in memory is under budget, else as a file range.
fn push_bytes(out: &mut Output, entry: &Entry, start: u64, len: u64) {
    if let Kind::File { file, contents } = &entry.kind {
        match contents {
            Some(bytes) if out.mem_len() < COPY_BUDGET_BYTES => {
                out.extend_from_slice(&bytes[start as usize..(start + len) as usize])
            }
            _ => out.push_file(file.clone(), start, len),
        }
    }
}

/// Drops the rest of the input and closes once the output is written.
fn close_after(cx: &mut Cx<'_>) {
    let n = cx.input().len();
    cx.consume(n);
    cx.close();
}

impl Http {
    /// Skips what arrived of a pending request body. Returns true when the
    /// body is over and the next request may be parsed.
    fn skip_body(&self, conn: &mut Conn, cx: &mut Cx<'_>) -> bool {
        match &mut conn.skip {
            Skip::Nothing => return true,
            Skip::Bytes(left) => {
                let take = (*left).min(cx.input().len() as u64);
                cx.consume(take as usize);
                *left -= take;
                if *left > 0 {
                    cx.request_in_progress();
                    return false;
                }
            }
            Skip::Chunked(body) => match body.advance(cx.input()) {
                Ok(n) => {
                    cx.consume(n);
                    if !body.is_done() {
                        cx.request_in_progress();
                        return false;
                    }
                    cx.out().append(&mut conn.deferred);
                }
                Err(e) => {
                    tracing::debug!(conn = %cx.id(), error = %e, "bad chunked body");
                    if e == codec::Error::BodyTooLarge {
                        self.counters.limit(Limit::Body);
                    }
                    conn.deferred = Output::new();
                    let mut r = Reply {
                        out: cx.out(),
                        head: &mut conn.head,
                        version: Version::Http11,
                        close: true,
                        is_head: false,
                        vary: false,
                    };
                    self.simple(&mut r, e.status(), None);
                    close_after(cx);
                    return false;
                }
            },
        }
        conn.skip = Skip::Nothing;
        true
    }

    /// Writes the response to one well-framed request.
    fn answer(&self, req: &Request<'_>, out: &mut Output, head: &mut Vec<u8>, close: bool) {
        let is_head = req.method == b"HEAD";
        let mut r = Reply { out, head, version: req.version, close, is_head, vary: false };
        if req.method != b"GET" && !is_head {
            return self.simple(&mut r, 405, Some(("Allow", b"GET, HEAD")));
        }
        let Ok(target) = target::parse(req.target) else {
            return self.simple(&mut r, 400, None);
        };
        match &target.rel[..] {
            b"healthz" => return self.text(&mut r, 200, b"ok\n"),
            b"metrics" => {
                let mut body = String::new();
                if let Some(control) = self.control.get() {
                    control.metrics().render(&mut body);
                }
                self.metrics(&mut body);
                return self.text(&mut r, 200, body.as_bytes());
            }
            _ => {}
        }
        let entry = match self.files.lookup(&target.rel) {
            Ok(entry) => entry,
            Err(missing) => return self.simple(&mut r, missing_status(missing), None),
        };
        let (entry, rel) = match entry.kind {
            Kind::File { .. } if target.trailing_slash => return self.simple(&mut r, 404, None),
            Kind::File { .. } => (entry, target.rel),
            Kind::Dir if !target.trailing_slash => {
                let mut location = target.raw_path.to_vec();
                location.push(b'/');
                return self.simple(&mut r, 301, Some(("Location", &location)));
            }
            Kind::Dir => {
                let mut index = target.rel.clone();
                if !index.is_empty() {
                    index.push(b'/');
                }
                index.extend_from_slice(b"index.html");
                match self.files.lookup(&index) {
                    Ok(found) if matches!(found.kind, Kind::File { .. }) => (found, index),
                    Err(Missing::Forbidden) => return self.simple(&mut r, 403, None),
                    _ if self.autoindex => {
                        match listing::render(&entry.path, target.raw_path, listing::Sort::from_query(target.query)) {
                            Ok(html) => {
                                self.begin(&mut r, 200);
                                r.head.extend_from_slice(b"Content-Type: text/html; charset=utf-8\r\n");
                                return r.finish(&html);
                            }
                            Err(e) => {
                                tracing::debug!(path = %entry.path.display(), error = %e, "cannot list a folder");
                                return self.simple(&mut r, 403, None);
                            }
                        }
                    }
                    _ => return self.simple(&mut r, 403, None),
                }
            }
        };
        match self.twin(req, &rel, &entry) {
            Some(twin) => self.send_twin(&mut r, req, &entry, &twin),
            None => self.send_file(&mut r, req, &entry),
        }
    }

    /// What to send for the file `rel` names when it has precompressed
    /// twins; `None` when it has none (or they are switched off), so the
    /// response does not vary.
    fn twin(&self, req: &Request<'_>, rel: &[u8], entry: &Entry) -> Option<Twin> {
        if !self.precompressed {
            return None;
        }
        let twins = self.files.twins(rel, entry);
        if twins.is_empty() {
            return None;
        }
        // As nginx's gzip_http_version 1.1: an HTTP/1.0 cache may not know `Vary`.
        let encoding = if req.version == Version::Http11 {
            let accept = req.headers().filter(|(n, _)| n.eq_ignore_ascii_case(b"accept-encoding")).map(|(_, v)| v);
            encoding::choose(accept, twins)
        } else {
            None
        };
        let Some(encoding) = encoding else {
            return Some(Twin::Identity);
        };
        let mut name = rel.to_vec();
        name.extend_from_slice(encoding.suffix());
        match self.files.lookup(&name) {
            Ok(file) if matches!(file.kind, Kind::File { .. }) => Some(Twin::Encoded { encoding, file }),
            // Gone since it was seen, or a link out of the root.
            _ => Some(Twin::Identity),
        }
    }

    /// The response when a twin exists: the file itself with `Vary`, or
    /// the twin whole, with the file's `Content-Type` and the twin's
    /// validators, no ranges (as nginx's gzip_static).
    fn send_twin(&self, r: &mut Reply<'_>, req: &Request<'_>, entry: &Arc<Entry>, twin: &Twin) {
        r.vary = true;
        let (encoding, file) = match twin {
            Twin::Identity => return self.send_file(r, req, entry),
            Twin::Encoded { encoding, file } => (*encoding, file),
        };
        self.counters.precompressed(encoding);
        if not_modified(req, file) {
            self.begin(r, 304);
            codec::push_header(r.head, "Content-Type", entry.content_type().as_bytes());
            r.head.extend_from_slice(file.validators().as_bytes());
            return r.end();
        }
        self.begin(r, 200);
        codec::push_header(r.head, "Content-Type", entry.content_type().as_bytes());
        r.head.extend_from_slice(file.validators().as_bytes());
        codec::push_header(r.head, "Content-Encoding", encoding.token().as_bytes());
        codec::push_header_u64(r.head, "Content-Length", file.len);
        r.end();
        if !r.is_head {
            push_bytes(r.out, file, 0, file.len);
        }
    }

    /// A file's response: 304, 200, 206 or 416.
    fn send_file(&self, r: &mut Reply<'_>, req: &Request<'_>, entry: &Arc<Entry>) {
        if not_modified(req, entry) {
            self.begin(r, 304);
            r.head.extend_from_slice(&entry.fields);
            return r.end();
        }
        let wanted = match req.range {
            Some(range) if !r.is_head && if_range_holds(req.if_range, entry) => range::wanted(range, entry.len),
            _ => Wanted::Whole,
        };
        let (start, len) = match wanted {
            Wanted::Parts(parts) => return self.send_parts(r, entry, &parts),
            Wanted::TooMany => {
                tracing::debug!(limit = range::MAX_RANGES, "too many ranges; sending the whole file");
                self.counters.limit(Limit::Ranges);
                self.begin(r, 200);
                (0, entry.len)
            }
            Wanted::Whole => {
                self.begin(r, 200);
                (0, entry.len)
            }
            Wanted::Part { start, end } => {
                self.begin(r, 206);
                r.head.extend_from_slice(b"Content-Range: bytes ");
                codec::push_decimal(r.head, start);
                r.head.push(b'-');
                codec::push_decimal(r.head, end);
                r.head.push(b'/');
                codec::push_decimal(r.head, entry.len);
                r.head.extend_from_slice(b"\r\n");
                (start, end - start + 1)
            }
            Wanted::Unsatisfiable => {
                self.begin(r, 416);
                r.head.extend_from_slice(b"Content-Range: bytes */");
                codec::push_decimal(r.head, entry.len);
                r.head.extend_from_slice(b"\r\nContent-Length: 0\r\n");
                return r.end();
            }
        };
        r.head.extend_from_slice(&entry.fields);
        codec::push_header_u64(r.head, "Content-Length", len);
        r.end();
        if r.is_head {
            return;
        }
        push_bytes(r.out, entry, start, len);
    }

    /// A `multipart/byteranges` 206 of `parts` (each `start..=end`), laid
    /// out as nginx lays it out.
    fn send_parts(&self, r: &mut Reply<'_>, entry: &Arc<Entry>, parts: &[(u64, u64)]) {
        static BOUNDARY: AtomicU64 = AtomicU64::new(0);
        let boundary = format!("{:020}", BOUNDARY.fetch_add(1, Relaxed) + 1);
        let part_head = |start: u64, end: u64| {
            format!(
                "\r\n--{boundary}\r\nContent-Type: {}\r\nContent-Range: bytes {start}-{end}/{}\r\n\r\n",
                entry.content_type(),
                entry.len
            )
        };
        let tail = format!("\r\n--{boundary}--\r\n");
        let body_len: u64 =
            parts.iter().map(|&(s, e)| part_head(s, e).len() as u64 + (e - s + 1)).sum::<u64>() + tail.len() as u64;
        self.begin(r, 206);
        r.head.extend_from_slice(b"Content-Type: multipart/byteranges; boundary=");
        r.head.extend_from_slice(boundary.as_bytes());
        r.head.extend_from_slice(b"\r\nLast-Modified: ");
        r.head.extend_from_slice(entry.last_modified.as_bytes());
        r.head.extend_from_slice(b"\r\nETag: ");
        r.head.extend_from_slice(entry.etag.as_bytes());
        r.head.extend_from_slice(b"\r\n");
        codec::push_header_u64(r.head, "Content-Length", body_len);
        r.end();
        for &(start, end) in parts {
            r.out.extend_from_slice(part_head(start, end).as_bytes());
            push_bytes(r.out, entry, start, end - start + 1);
        }
        r.out.extend_from_slice(tail.as_bytes());
    }

    /// Starts a head: status line, `Server`, `Date`; counts the response.
    fn begin(&self, r: &mut Reply<'_>, status: u16) {
        self.counters.response(status);
        r.head.clear();
        codec::push_status_line(r.head, status);
        r.head.extend_from_slice(b"Server: switchyard\r\nDate: ");
        date::push_now(r.head);
        r.head.extend_from_slice(b"\r\n");
    }

    /// A plain-text response.
    fn text(&self, r: &mut Reply<'_>, status: u16, body: &[u8]) {
        self.begin(r, status);
        r.head.extend_from_slice(b"Content-Type: text/plain; charset=utf-8\r\n");
        r.finish(body);
    }

    /// A status with its reason phrase as a plain-text body, and at most one
    /// extra header.
    fn simple(&self, r: &mut Reply<'_>, status: u16, extra: Option<(&str, &[u8])>) {
        self.begin(r, status);
        if let Some((name, value)) = extra {
            codec::push_header(r.head, name, value);
        }
        let body = format!("{status} {}\n", codec::reason(status));
        r.head.extend_from_slice(b"Content-Type: text/plain; charset=utf-8\r\n");
        r.finish(body.as_bytes());
    }
}

/// Where one response goes, and how it ends.
struct Reply<'a> {
    out: &'a mut Output,
    /// The head being assembled.
    head: &'a mut Vec<u8>,
    version: Version,
    /// The connection closes after this response.
    close: bool,
    /// Headers only (a `HEAD` request).
    is_head: bool,
    /// Add `Vary: Accept-Encoding`: the file has precompressed twins.
    vary: bool,
}

impl Reply<'_> {
    /// Ends the head with the connection's fate and writes it.
    fn end(&mut self) {
        if self.vary {
            self.head.extend_from_slice(b"Vary: Accept-Encoding\r\n");
        }
        if self.close {
            self.head.extend_from_slice(b"Connection: close\r\n");
        } else if self.version == Version::Http10 {
            self.head.extend_from_slice(b"Connection: keep-alive\r\n");
        }
        self.head.extend_from_slice(b"\r\n");
        self.out.extend_from_slice(self.head);
    }

    /// Ends the head with `Content-Length`, and writes it and the body.
    fn finish(&mut self, body: &[u8]) {
        codec::push_header_u64(self.head, "Content-Length", body.len() as u64);
        self.end();
        if !self.is_head {
            self.out.extend_from_slice(body);
        }
    }
}

/// `If-None-Match` if present, else `If-Modified-Since`, says the client's
/// copy of `entry` is current.
fn not_modified(req: &Request<'_>, entry: &Entry) -> bool {
    match req.if_none_match {
        Some(tags) => etag_matches(tags, &entry.etag),
        None => req
            .if_modified_since
            .and_then(|d| httpdate::parse_http_date(std::str::from_utf8(d).ok()?).ok())
            .and_then(|d| d.duration_since(std::time::UNIX_EPOCH).ok())
            .is_some_and(|since| entry.mtime_secs <= since.as_secs()),
    }
}

/// What stands in for a file that has precompressed twins.
enum Twin {
    /// The file itself: the client takes none of the twins.
    Identity,
    /// The twin in this coding.
    Encoded { encoding: Encoding, file: Arc<Entry> },
}

/// `If-None-Match` (weak comparison): `*`, or a listed tag equal to ours.
fn etag_matches(header: &[u8], etag: &str) -> bool {
    header.trim_ascii() == b"*"
        || header
            .split(|&b| b == b',')
            .map(|t| t.trim_ascii())
            .any(|t| t.strip_prefix(b"W/").unwrap_or(t) == etag.as_bytes())
}

/// `If-Range`: the range applies only if the client's copy is current
/// (strong comparison of the tag, or the exact `Last-Modified`).
fn if_range_holds(header: Option<&[u8]>, entry: &Entry) -> bool {
    match header {
        None => true,
        Some(v) if v.starts_with(b"\"") => v == entry.etag.as_bytes(),
        Some(v) => v == entry.last_modified.as_bytes(),
    }
}

fn missing_status(missing: Missing) -> u16 {
    match missing {
        Missing::NotFound => 404,
        Missing::Forbidden => 403,
    }
}
