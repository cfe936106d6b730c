//! HTTP/1.1 message framing (RFC 9112), I/O-free: requests for the server,
//! response heads for the load generator.
//!
//! [`parse_request`] frames one request head at the front of a buffer and
//! says how its body is delimited; [`ChunkedBody`] walks a chunked body a
//! slice at a time. Neither copies nor allocates, and neither ever looks
//! past the bytes it is given, so any split of the input yields the same
//! requests and the same error.
//!
//! The parser is strict where leniency enables request smuggling: lines end
//! with CRLF, header names are tokens that touch their colon, field values
//! hold no control characters, `Transfer-Encoding` is `chunked` alone and
//! never beside `Content-Length`, `Content-Length`s agree, and an HTTP/1.1
//! request names exactly one `Host`. Every error maps to the status a server
//! answers with ([`Error::status`]); after any of them the connection's
//! framing is lost and it must be closed.

use std::fmt;

/// Size limits applied while framing a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The request line, with its CRLF (and any empty lines before it).
    pub max_request_line_bytes: usize,
    /// The header section: every header line and the final empty line.
    pub max_header_bytes: usize,
    /// A request body: its `Content-Length`, or every byte of its chunked
    /// encoding.
    pub max_body_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_request_line_bytes: 8 << 10, max_header_bytes: 16 << 10, max_body_bytes: 1 << 20 }
    }
}

/// Why a message could not be framed, by the status that answers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// 400: the message breaks the grammar or its framing is ambiguous.
    BadRequest(&'static str),
    /// 414: the request line is longer than the limit.
    UriTooLong,
    /// 431: the header section is larger than the limit.
    HeadersTooLarge,
    /// 413: the body is larger than the limit.
    BodyTooLarge,
    /// 505: a well-formed version other than HTTP/1.0 and HTTP/1.1.
    VersionNotSupported,
}

impl Error {
    /// The response status for this error.
    pub fn status(self) -> u16 {
        match self {
            Error::BadRequest(_) => 400,
            Error::UriTooLong => 414,
            Error::HeadersTooLarge => 431,
            Error::BodyTooLarge => 413,
            Error::VersionNotSupported => 505,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::BadRequest(why) => write!(f, "bad request: {why}"),
            Error::UriTooLong => f.write_str("request line too long"),
            Error::HeadersTooLarge => f.write_str("header section too large"),
            Error::BodyTooLarge => f.write_str("body too large"),
            Error::VersionNotSupported => f.write_str("HTTP version not supported"),
        }
    }
}

impl std::error::Error for Error {}

/// The protocol version of a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    /// HTTP/1.0: a connection closes after each response unless asked.
    Http10,
    /// HTTP/1.1: connections persist unless asked.
    Http11,
}

/// How a request's body is delimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Body {
    /// No body.
    None,
    /// Exactly this many bytes follow the head.
    Length(u64),
    /// A chunked body follows the head; walk it with [`ChunkedBody`].
    Chunked,
}

/// One request head, borrowed from the buffer it was framed from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request<'a> {
    /// The method token, as sent (methods are case-sensitive).
    pub method: &'a [u8],
    /// The request target, as sent (still percent-encoded).
    pub target: &'a [u8],
    /// The protocol version.
    pub version: Version,
    /// Bytes from the start of the buffer to the end of the head: what to
    /// consume before the body.
    pub head_len: usize,
    /// How the body that follows is delimited.
    pub body: Body,
    /// The connection may serve another request after this one.
    pub keep_alive: bool,
    /// The `Host` field's value.
    pub host: Option<&'a [u8]>,
    /// The `If-None-Match` field's value.
    pub if_none_match: Option<&'a [u8]>,
    /// The `If-Modified-Since` field's value.
    pub if_modified_since: Option<&'a [u8]>,
    /// The `Range` field's value.
    pub range: Option<&'a [u8]>,
    /// The `If-Range` field's value.
    pub if_range: Option<&'a [u8]>,
    /// The header lines, each `name:value` and CRLF, validated.
    fields: &'a [u8],
}

impl<'a> Request<'a> {
    /// Every header field in order, as (name, value) with the value's
    /// surrounding whitespace removed.
    pub fn headers(&self) -> impl Iterator<Item = (&'a [u8], &'a [u8])> {
        let mut rest = self.fields;
        std::iter::from_fn(move || {
            let nl = rest.iter().position(|&b| b == b'\n')?;
            let line = &rest[..nl - 1];
            rest = &rest[nl + 1..];
            let colon = line.iter().position(|&b| b == b':')?;
            Some((&line[..colon], trim_ows(&line[colon + 1..])))
        })
    }

    /// The first value of the field `name` (compared without case).
    pub fn header(&self, name: &str) -> Option<&'a [u8]> {
        self.headers().find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes())).map(|(_, v)| v)
    }
}

/// Frames the request head at the front of `buf`.
///
/// Returns `Ok(None)` while the head is incomplete and within the limits;
/// `Ok(Some(request))` once it is whole; the body (see [`Request::body`])
/// starts at `request.head_len`. Empty lines before a request line are
/// skipped (RFC 9112 §2.2) and counted in `head_len`.
///
/// # Errors
///
/// The [`Error`] that answers the request. The same error comes back for
/// every longer buffer with the same prefix.
///
/// # Examples
///
/// ```
/// use switchyard_codec::http::{parse_request, Body, Limits, Version};
///
/// let buf = b"GET /index.html HTTP/1.1\r\nHost: example.com\r\n\r\nGET /next";
/// let req = parse_request(buf, &Limits::default()).unwrap().unwrap();
/// assert_eq!(req.method, b"GET");
/// assert_eq!(req.target, b"/index.html");
/// assert_eq!(req.version, Version::Http11);
/// assert_eq!(req.body, Body::None);
/// assert!(req.keep_alive);
/// assert_eq!(&buf[req.head_len..], b"GET /next");
/// assert_eq!(parse_request(&buf[req.head_len..], &Limits::default()), Ok(None));
/// ```
pub fn parse_request<'a>(buf: &'a [u8], limits: &Limits) -> Result<Option<Request<'a>>, Error> {
    let line_window = &buf[..buf.len().min(limits.max_request_line_bytes)];
    let mut start = 0;
    while line_window[start..].starts_with(b"\r\n") {
        start += 2;
    }
    let Some(nl) = find_lf(&line_window[start..]) else {
        return if buf.len() >= limits.max_request_line_bytes { Err(Error::UriTooLong) } else { Ok(None) };
    };
    let line_end = start + nl;
    let line = strip_cr(&buf[start..line_end])?;
    let (method, target, version) = parse_request_line(line)?;

    let fields_start = line_end + 1;
    let field_window = &buf[fields_start..buf.len().min(fields_start + limits.max_header_bytes)];
    let Some(fields_len) = find_head_end(field_window) else {
        return if buf.len() - fields_start >= limits.max_header_bytes {
            Err(Error::HeadersTooLarge)
        } else {
            Ok(None)
        };
    };
    let fields = &buf[fields_start..fields_start + fields_len];
    let head_len = fields_start + fields_len + 2;

    let mut req = Request {
        method,
        target,
        version,
        head_len,
        body: Body::None,
        keep_alive: false,
        host: None,
        if_none_match: None,
        if_modified_since: None,
        range: None,
        if_range: None,
        fields,
    };
    let mut hosts = 0;
    let mut content_length: Option<u64> = None;
    let mut transfer_encoding = false;
    let mut chunked = false;
    let mut close = false;
    let mut keep_alive = false;
    let mut rest = fields;
    while let Some(nl) = find_lf(rest) {
        let line = strip_cr(&rest[..nl])?;
        rest = &rest[nl + 1..];
        let (name, value) = parse_field(line)?;
        match name.len() {
            4 if name.eq_ignore_ascii_case(b"host") => {
                hosts += 1;
                req.host = Some(value);
            }
            5 if name.eq_ignore_ascii_case(b"range") => {
                req.range.get_or_insert(value);
            }
            8 if name.eq_ignore_ascii_case(b"if-range") => {
                req.if_range.get_or_insert(value);
            }
            10 if name.eq_ignore_ascii_case(b"connection") => {
                for token in list(value) {
                    if token.eq_ignore_ascii_case(b"close") {
                        close = true;
                    } else if token.eq_ignore_ascii_case(b"keep-alive") {
                        keep_alive = true;
                    }
                }
            }
            13 if name.eq_ignore_ascii_case(b"if-none-match") => {
                req.if_none_match.get_or_insert(value);
            }
            14 if name.eq_ignore_ascii_case(b"content-length") => {
                for token in list(value) {
                    let n = parse_decimal(token).ok_or(Error::BadRequest("invalid Content-Length"))?;
                    if content_length.is_some_and(|m| m != n) {
                        return Err(Error::BadRequest("conflicting Content-Length"));
                    }
                    content_length = Some(n);
                }
                if content_length.is_none() {
                    return Err(Error::BadRequest("empty Content-Length"));
                }
            }
            17 if name.eq_ignore_ascii_case(b"if-modified-since") => {
                req.if_modified_since.get_or_insert(value);
            }
            17 if name.eq_ignore_ascii_case(b"transfer-encoding") => {
                for token in list(value) {
                    if chunked || !token.eq_ignore_ascii_case(b"chunked") {
                        return Err(Error::BadRequest("unsupported Transfer-Encoding"));
                    }
                    chunked = true;
                }
                transfer_encoding = true;
            }
            _ => {}
        }
    }
    if transfer_encoding && !chunked {
        return Err(Error::BadRequest("unsupported Transfer-Encoding"));
    }
    if transfer_encoding && content_length.is_some() {
        return Err(Error::BadRequest("both Content-Length and Transfer-Encoding"));
    }
    if transfer_encoding && version == Version::Http10 {
        return Err(Error::BadRequest("Transfer-Encoding in HTTP/1.0"));
    }
    if hosts > 1 {
        return Err(Error::BadRequest("more than one Host"));
    }
    if hosts == 0 && version == Version::Http11 {
        return Err(Error::BadRequest("missing Host"));
    }
    if req.host.is_some_and(|h| !valid_host(h)) {
        return Err(Error::BadRequest("invalid Host"));
    }
    req.body = match content_length {
        Some(n) if n > limits.max_body_bytes => return Err(Error::BodyTooLarge),
        Some(0) => Body::None,
        Some(n) => Body::Length(n),
        None if chunked => Body::Chunked,
        None => Body::None,
    };
    req.keep_alive = !close && (version == Version::Http11 || keep_alive);
    Ok(Some(req))
}

fn parse_request_line(line: &[u8]) -> Result<(&[u8], &[u8], Version), Error> {
    let sp = line.iter().position(|&b| b == b' ').ok_or(Error::BadRequest("malformed request line"))?;
    let method = &line[..sp];
    if method.is_empty() || !method.iter().all(|&b| is_tchar(b)) {
        return Err(Error::BadRequest("invalid method"));
    }
    let rest = &line[sp + 1..];
    let sp = rest.iter().position(|&b| b == b' ').ok_or(Error::BadRequest("malformed request line"))?;
    let target = &rest[..sp];
    if target.is_empty() || !target.iter().all(|&b| (0x21..0x7f).contains(&b)) {
        return Err(Error::BadRequest("invalid request target"));
    }
    let version = match &rest[sp + 1..] {
        b"HTTP/1.1" => Version::Http11,
        b"HTTP/1.0" => Version::Http10,
        [b'H', b'T', b'T', b'P', b'/', major, b'.', minor] if major.is_ascii_digit() && minor.is_ascii_digit() => {
            return Err(Error::VersionNotSupported)
        }
        _ => return Err(Error::BadRequest("invalid HTTP version")),
    };
    Ok((method, target, version))
}

/// A `Host` value a server can route by, checked as nginx does
/// (`ngx_http_validate_host`): not empty, no whitespace or control
/// characters, no `/` or `\\`, no empty label (`a..b`). Brackets hold an
/// IPv6 literal; what follows the first `:` outside one is the port, whose
/// characters only the rules above restrict.
fn valid_host(host: &[u8]) -> bool {
    let mut name_len = host.len();
    let mut last_dot: Option<usize> = None;
    let mut in_literal = false;
    let mut in_name = true;
    for (i, &b) in host.iter().enumerate() {
        match b {
            b'.' => {
                if last_dot.is_some_and(|d| d + 1 == i) {
                    return false;
                }
                last_dot = Some(i);
            }
            b':' if in_name && !in_literal => {
                name_len = i;
                in_name = false;
            }
            b'[' if i == 0 => in_literal = true,
            b']' if in_literal => {
                name_len = i + 1;
                in_literal = false;
                in_name = false;
            }
            b'/' | b'\\' => return false,
            0..=0x20 | 0x7f => return false,
            _ => {}
        }
    }
    // One trailing dot is the root label: `example.com.` is `example.com`.
    if name_len > 0 && last_dot == Some(name_len - 1) {
        name_len -= 1;
    }
    name_len > 0
}

/// Splits a header line (without its CRLF) into name and trimmed value.
fn parse_field(line: &[u8]) -> Result<(&[u8], &[u8]), Error> {
    if matches!(line.first(), Some(b' ' | b'\t')) {
        return Err(Error::BadRequest("obsolete line folding"));
    }
    let colon = line.iter().position(|&b| b == b':').ok_or(Error::BadRequest("header line without a colon"))?;
    let name = &line[..colon];
    if name.is_empty() {
        return Err(Error::BadRequest("empty header name"));
    }
    if matches!(name.last(), Some(b' ' | b'\t')) {
        return Err(Error::BadRequest("whitespace before a header colon"));
    }
    if !name.iter().all(|&b| is_tchar(b)) {
        return Err(Error::BadRequest("invalid header name"));
    }
    let value = trim_ows(&line[colon + 1..]);
    if !value.iter().all(|&b| b == b'\t' || b == b' ' || (0x21..0x7f).contains(&b) || b >= 0x80) {
        return Err(Error::BadRequest("control character in a header value"));
    }
    Ok((name, value))
}

/// The length of the header lines before the empty line that ends the
/// head, if `window` holds it.
fn find_head_end(window: &[u8]) -> Option<usize> {
    let mut pos = 0;
    loop {
        if window[pos..].starts_with(b"\r\n") {
            return Some(pos);
        }
        if window.len() - pos < 2 {
            return None;
        }
        pos += find_lf(&window[pos..])? + 1;
    }
}

fn find_lf(buf: &[u8]) -> Option<usize> {
    buf.iter().position(|&b| b == b'\n')
}

/// A line before its LF, which must end with CR.
fn strip_cr(line: &[u8]) -> Result<&[u8], Error> {
    match line.split_last() {
        Some((b'\r', rest)) if !rest.contains(&b'\r') => Ok(rest),
        _ => Err(Error::BadRequest("line not ended by CRLF")),
    }
}

/// tchar (RFC 9110 §5.6.2): the characters of methods and header names.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn trim_ows(mut v: &[u8]) -> &[u8] {
    while let Some((b' ' | b'\t', rest)) = v.split_first() {
        v = rest;
    }
    while let Some((b' ' | b'\t', rest)) = v.split_last() {
        v = rest;
    }
    v
}

/// The non-empty elements of a comma-separated field value.
fn list(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value.split(|&b| b == b',').map(trim_ows).filter(|t| !t.is_empty())
}

fn parse_decimal(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 19 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(digits.iter().fold(0u64, |n, &d| n * 10 + u64::from(d - b'0')))
}

/// Where a [`ChunkedBody`] is in the chunked grammar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Chunk {
    /// Reading a chunk size: its value so far and how many hex digits.
    Size {
        value: u64,
        digits: u8,
    },
    /// Skipping a chunk extension up to its CR.
    Extension {
        value: u64,
    },
    /// After the size line's CR.
    SizeLf {
        value: u64,
    },
    /// Inside a chunk's data, this many bytes left.
    Data(u64),
    /// After a chunk's data: its CR, then its LF.
    DataCr,
    DataLf,
    /// In the trailer section: at the start of a line, or inside one.
    TrailerLineStart,
    TrailerLine,
    TrailerLineLf,
    /// After the CR of the empty line that ends the body.
    EndLf,
    /// The body is over.
    Done,
}

/// A chunked request body, walked (and its data discarded) a slice at a
/// time.
///
/// # Examples
///
/// ```
/// use switchyard_codec::http::ChunkedBody;
///
/// let mut body = ChunkedBody::new(1 << 20);
/// assert_eq!(body.advance(b"5\r\nhel"), Ok(6));
/// assert!(!body.is_done());
/// assert_eq!(body.advance(b"lo\r\n0\r\n\r\nGET"), Ok(9));
/// assert!(body.is_done());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChunkedBody {
    state: Chunk,
    /// Bytes of the encoding consumed so far.
    seen: u64,
    /// Most bytes of the encoding allowed.
    limit: u64,
}

impl ChunkedBody {
    /// A body at its start, allowed `limit_bytes` of encoding in all.
    pub fn new(limit_bytes: u64) -> ChunkedBody {
        ChunkedBody { state: Chunk::Size { value: 0, digits: 0 }, seen: 0, limit: limit_bytes }
    }

    /// The whole body, trailer included, has been consumed.
    pub fn is_done(&self) -> bool {
        self.state == Chunk::Done
    }

    /// Consumes what it can of `buf`; returns how many bytes belong to the
    /// body. It stops at the body's end, so the rest of `buf` is the next
    /// request.
    ///
    /// # Errors
    ///
    /// [`Error::BadRequest`] for a broken encoding, [`Error::BodyTooLarge`]
    /// past the limit.
    pub fn advance(&mut self, buf: &[u8]) -> Result<usize, Error> {
        let mut i = 0;
        while i < buf.len() && self.state != Chunk::Done {
            if let Chunk::Data(left) = self.state {
                let take = left.min((buf.len() - i) as u64);
                self.count(take)?;
                i += take as usize;
                self.state = if take == left { Chunk::DataCr } else { Chunk::Data(left - take) };
                continue;
            }
            self.count(1)?;
            let b = buf[i];
            i += 1;
            self.state = match (self.state, b) {
                (Chunk::Size { value, digits }, _) if b.is_ascii_hexdigit() => {
                    if digits == 15 {
                        return Err(Error::BadRequest("chunk size too long"));
                    }
                    let d = (b as char).to_digit(16).unwrap_or(0) as u64;
                    Chunk::Size { value: value * 16 + d, digits: digits + 1 }
                }
                (Chunk::Size { value, digits }, b';') if digits > 0 => Chunk::Extension { value },
                (Chunk::Size { value, digits }, b'\r') if digits > 0 => Chunk::SizeLf { value },
                (Chunk::Extension { value }, b'\r') => Chunk::SizeLf { value },
                (Chunk::Extension { value }, _) if b == b'\t' || b >= 0x20 && b != 0x7f => Chunk::Extension { value },
                (Chunk::SizeLf { value: 0 }, b'\n') => Chunk::TrailerLineStart,
                // A chunk announced past the limit is refused at once,
                // before its bytes are waited for.
                (Chunk::SizeLf { value }, b'\n') if self.seen.saturating_add(value) > self.limit => {
                    return Err(Error::BodyTooLarge);
                }
                (Chunk::SizeLf { value }, b'\n') => Chunk::Data(value),
                (Chunk::DataCr, b'\r') => Chunk::DataLf,
                (Chunk::DataLf, b'\n') => Chunk::Size { value: 0, digits: 0 },
                (Chunk::TrailerLineStart, b'\r') => Chunk::EndLf,
                (Chunk::TrailerLine, b'\r') => Chunk::TrailerLineLf,
                (Chunk::TrailerLineStart | Chunk::TrailerLine, _) if b == b'\t' || b >= 0x20 && b != 0x7f => {
                    Chunk::TrailerLine
                }
                (Chunk::TrailerLineLf, b'\n') => Chunk::TrailerLineStart,
                (Chunk::EndLf, b'\n') => Chunk::Done,
                _ => return Err(Error::BadRequest("invalid chunked encoding")),
            };
        }
        Ok(i)
    }

    fn count(&mut self, n: u64) -> Result<(), Error> {
        self.seen += n;
        if self.seen > self.limit {
            return Err(Error::BodyTooLarge);
        }
        Ok(())
    }
}

/// The reason phrase for a status code this project sends.
pub fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        304 => "Not Modified",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Content Too Large",
        414 => "URI Too Long",
        416 => "Range Not Satisfiable",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}

/// Appends `HTTP/1.1 <status> <reason>` and CRLF.
pub fn push_status_line(out: &mut Vec<u8>, status: u16) {
    out.extend_from_slice(b"HTTP/1.1 ");
    push_decimal(out, u64::from(status));
    out.push(b' ');
    out.extend_from_slice(reason(status).as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// Appends `name: value` and CRLF.
pub fn push_header(out: &mut Vec<u8>, name: &str, value: &[u8]) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

/// Appends `name: n` and CRLF, `n` in decimal.
pub fn push_header_u64(out: &mut Vec<u8>, name: &str, n: u64) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    push_decimal(out, n);
    out.extend_from_slice(b"\r\n");
}

/// Appends `n` in decimal.
pub fn push_decimal(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

/// How a response's body is delimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResponseBody {
    /// No body: a 1xx, 204 or 304 status, or the answer to a HEAD request.
    None,
    /// Exactly this many bytes follow the head.
    Length(u64),
    /// A chunked body follows.
    Chunked,
    /// The body runs until the server closes the connection.
    UntilClose,
}

/// One response head, as a client sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Response {
    /// The protocol version.
    pub version: Version,
    /// The status code.
    pub status: u16,
    /// Bytes from the start of the buffer to the end of the head.
    pub head_len: usize,
    /// How the body that follows is delimited.
    pub body: ResponseBody,
    /// The server will read another request on this connection.
    pub keep_alive: bool,
}

/// Most bytes of a response head [`parse_response_head`] waits for.
pub const MAX_RESPONSE_HEAD_BYTES: usize = 64 << 10;

/// Frames the response head at the front of `buf`, as a client does;
/// `head_request` says the request was a HEAD (so no body follows).
///
/// # Errors
///
/// [`Error::BadRequest`] for a malformed head (the name is the server's
/// view; here it means the response is broken), [`Error::HeadersTooLarge`]
/// past [`MAX_RESPONSE_HEAD_BYTES`].
///
/// # Examples
///
/// ```
/// use switchyard_codec::http::{parse_response_head, ResponseBody};
///
/// let buf = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
/// let resp = parse_response_head(buf, false).unwrap().unwrap();
/// assert_eq!(resp.status, 200);
/// assert_eq!(resp.body, ResponseBody::Length(5));
/// assert_eq!(&buf[resp.head_len..], b"hello");
/// ```
pub fn parse_response_head(buf: &[u8], head_request: bool) -> Result<Option<Response>, Error> {
    let window = &buf[..buf.len().min(MAX_RESPONSE_HEAD_BYTES)];
    let Some(nl) = find_lf(window) else {
        return if buf.len() >= MAX_RESPONSE_HEAD_BYTES { Err(Error::HeadersTooLarge) } else { Ok(None) };
    };
    let line = strip_cr(&buf[..nl])?;
    let (version, status) = match line {
        [b'H', b'T', b'T', b'P', b'/', b'1', b'.', minor, b' ', a, b, c, rest @ ..]
            if a.is_ascii_digit()
                && b.is_ascii_digit()
                && c.is_ascii_digit()
                && matches!(rest.first(), None | Some(b' ')) =>
        {
            let version = if *minor == b'0' { Version::Http10 } else { Version::Http11 };
            (version, u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0'))
        }
        _ => return Err(Error::BadRequest("malformed status line")),
    };
    let Some(fields_len) = find_head_end(&window[nl + 1..]) else {
        return if buf.len() >= MAX_RESPONSE_HEAD_BYTES { Err(Error::HeadersTooLarge) } else { Ok(None) };
    };
    let mut rest = &buf[nl + 1..nl + 1 + fields_len];
    let mut length = None;
    let mut chunked = false;
    let mut close = false;
    let mut keep_alive = false;
    while let Some(nl) = find_lf(rest) {
        let (name, value) = parse_field(strip_cr(&rest[..nl])?)?;
        rest = &rest[nl + 1..];
        if name.eq_ignore_ascii_case(b"content-length") {
            length = Some(parse_decimal(value).ok_or(Error::BadRequest("invalid Content-Length"))?);
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            chunked = list(value).last().is_some_and(|t| t.eq_ignore_ascii_case(b"chunked"));
        } else if name.eq_ignore_ascii_case(b"connection") {
            close |= list(value).any(|t| t.eq_ignore_ascii_case(b"close"));
            keep_alive |= list(value).any(|t| t.eq_ignore_ascii_case(b"keep-alive"));
        }
    }
    let body = if head_request || status < 200 || status == 204 || status == 304 {
        ResponseBody::None
    } else if chunked {
        ResponseBody::Chunked
    } else if let Some(n) = length {
        ResponseBody::Length(n)
    } else {
        ResponseBody::UntilClose
    };
    let keep_alive = !close && body != ResponseBody::UntilClose && (version == Version::Http11 || keep_alive);
    Ok(Some(Response { version, status, head_len: nl + 1 + fields_len + 2, body, keep_alive }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(buf: &[u8]) -> Result<Option<Request<'_>>, Error> {
        parse_request(buf, &Limits::default())
    }

    fn status_of(buf: &[u8]) -> u16 {
        match parse(buf) {
            Ok(Some(_)) => 200,
            Ok(None) => 0,
            Err(e) => e.status(),
        }
    }

    #[test]
    fn a_simple_get_is_framed_with_its_fields() {
        let buf = b"GET /a%20b?x=1 HTTP/1.1\r\nHost: h\r\nIf-None-Match: \"x\"\r\nRange: bytes=0-1\r\n\
                    If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\nIf-Range: \"x\"\r\nX-Other:  v  \r\n\r\n";
        let req = parse(buf).unwrap().unwrap();
        assert_eq!(req.method, b"GET");
        assert_eq!(req.target, b"/a%20b?x=1");
        assert_eq!(req.head_len, buf.len());
        assert_eq!(req.host, Some(&b"h"[..]));
        assert_eq!(req.if_none_match, Some(&b"\"x\""[..]));
        assert_eq!(req.range, Some(&b"bytes=0-1"[..]));
        assert_eq!(req.if_range, Some(&b"\"x\""[..]));
        assert_eq!(req.if_modified_since, Some(&b"Sun, 06 Nov 1994 08:49:37 GMT"[..]));
        assert_eq!(req.header("x-other"), Some(&b"v"[..]));
        assert_eq!(req.headers().count(), 6);
    }

    #[test]
    fn hosts_nginx_accepts_are_accepted() {
        for host in [
            "example.com",
            "example.com.",
            "EXAMPLE.com:8080",
            "127.0.0.1",
            "[::1]",
            "[::1]:80",
            "a_b-c",
            "\u{e9}t\u{e9}.fr",
            "x:",
        ] {
            assert!(valid_host(host.as_bytes()), "{host}");
            let buf = format!("GET / HTTP/1.1\r\nHost: {host}\r\n\r\n");
            assert!(parse(buf.as_bytes()).unwrap().is_some(), "{host}");
        }
    }

    #[test]
    fn keep_alive_follows_the_version_and_connection_field() {
        let cases: &[(&[u8], bool)] = &[
            (b"GET / HTTP/1.1\r\nHost: h\r\n\r\n", true),
            (b"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", false),
            (b"GET / HTTP/1.1\r\nHost: h\r\nConnection: Keep-Alive, Close\r\n\r\n", false),
            (b"GET / HTTP/1.0\r\n\r\n", false),
            (b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true),
        ];
        for (buf, want) in cases {
            assert_eq!(parse(buf).unwrap().unwrap().keep_alive, *want, "{}", String::from_utf8_lossy(buf));
        }
    }

    #[test]
    fn bodies_are_delimited_by_length_or_chunking() {
        let req = parse(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\nContent-Length: 5\r\n\r\n").unwrap();
        assert_eq!(req.unwrap().body, Body::Length(5));
        let req = parse(b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n").unwrap();
        assert_eq!(req.unwrap().body, Body::Chunked);
        let req = parse(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n").unwrap();
        assert_eq!(req.unwrap().body, Body::None);
    }

    #[test]
    fn empty_lines_before_a_request_are_skipped() {
        let buf = b"\r\n\r\nGET / HTTP/1.0\r\n\r\n";
        assert_eq!(parse(buf).unwrap().unwrap().head_len, buf.len());
        assert_eq!(parse(b"\r\n"), Ok(None));
    }

    #[test]
    fn incomplete_heads_wait_for_more() {
        let full = b"GET / HTTP/1.1\r\nHost: h\r\n\r\n";
        for n in 0..full.len() {
            assert_eq!(parse(&full[..n]), Ok(None), "prefix of {n} bytes");
        }
    }

    #[test]
    fn malformed_requests_get_their_exact_status() {
        let long_target = format!("GET /{} HTTP/1.1\r\nHost: h\r\n\r\n", "a".repeat(9000));
        let long_header = format!("GET / HTTP/1.1\r\nHost: h\r\nX: {}\r\n\r\n", "a".repeat(17000));
        let big_body = "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1048577\r\n\r\n".to_string();
        let cases: Vec<(&[u8], u16)> = vec![
            (b"GET /\r\n\r\n", 400),
            (b"GET / HTTP/1.1 extra\r\nHost: h\r\n\r\n", 400),
            (b"GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400),
            (b"G(T / HTTP/1.1\r\nHost: h\r\n\r\n", 400),
            (b"GET / HTTX/1.1\r\nHost: h\r\n\r\n", 400),
            (b"GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505),
            (b"GET /\x01 HTTP/1.1\r\nHost: h\r\n\r\n", 400),
            (b"GET / HTTP/1.1\nHost: h\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nHost: h\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nHost: h\r\nX-A\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nHost: h\r\nX-A : b\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nHost: h\r\n: b\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nHost: h\r\nX-A: b\x00c\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nHost: h\r\nX-A: b\rc\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nHost: h\r\nX-A: b\r\n c\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
            (b"GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nHost: bad host\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nHost: a b c\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nHost: x/y\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nHost: x\\y\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nHost: a..b\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nHost: a\tb\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nHost: \r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nHost: :80\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nHost: .\r\n\r\n", 400),
            (b"GET / HTTP/1.0\r\nHost: x/y\r\n\r\n", 400),
            (b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", 400),
            (b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 400),
            (b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
            (b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
            (b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
            (b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", 400),
            (b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 4\r\n\r\n", 400),
            (b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", 400),
            (b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +1\r\n\r\n", 400),
            (b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999\r\n\r\n", 400),
            (b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n", 400),
            (long_target.as_bytes(), 414),
            (&long_target.as_bytes()[..8300], 414),
            (long_header.as_bytes(), 431),
            (&long_header.as_bytes()[..16500], 431),
            (big_body.as_bytes(), 413),
        ];
        for (buf, want) in cases {
            assert_eq!(status_of(buf), want, "{:?}", String::from_utf8_lossy(&buf[..buf.len().min(80)]));
        }
    }

    #[test]
    fn chunked_bodies_end_after_their_trailer() {
        let body = b"4;ext=1\r\nWiki\r\n5\r\npedia\r\n0\r\nX-Trailer: y\r\n\r\nNEXT";
        let mut c = ChunkedBody::new(1 << 20);
        assert_eq!(c.advance(body), Ok(body.len() - 4));
        assert!(c.is_done());
    }

    #[test]
    fn broken_or_oversized_chunked_bodies_are_errors() {
        let bad: &[&[u8]] = &[b"x\r\n", b"\r\n", b"4\r\nWikiX", b"4\nWiki", b"0\r\n\r\r", b"1234567890abcdef0\r\n"];
        for buf in bad {
            assert!(matches!(ChunkedBody::new(1 << 20).advance(buf), Err(Error::BadRequest(_))), "{buf:?}");
        }
        assert_eq!(ChunkedBody::new(10).advance(b"100\r\n0123456789"), Err(Error::BodyTooLarge));
        // Refused as soon as the chunk is announced, before its data.
        assert_eq!(ChunkedBody::new(10).advance(b"8\r\n"), Err(Error::BodyTooLarge));
        assert_eq!(ChunkedBody::new(10).advance(b"5\r\n"), Ok(3));
    }

    #[test]
    fn response_heads_say_how_their_body_ends() {
        let cases: &[(&[u8], bool, u16, ResponseBody, bool)] = &[
            (b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n", false, 200, ResponseBody::Length(3), true),
            (b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n", true, 200, ResponseBody::None, true),
            (b"HTTP/1.1 304 Not Modified\r\n\r\n", false, 304, ResponseBody::None, true),
            (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", false, 200, ResponseBody::Chunked, true),
            (b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", false, 200, ResponseBody::Length(0), false),
            (b"HTTP/1.1 200 OK\r\n\r\n", false, 200, ResponseBody::UntilClose, false),
            (
                b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
                false,
                503,
                ResponseBody::Length(0),
                false,
            ),
        ];
        for &(buf, head, status, body, keep_alive) in cases {
            let r = parse_response_head(buf, head).unwrap().unwrap();
            assert_eq!((r.status, r.body, r.keep_alive, r.head_len), (status, body, keep_alive, buf.len()));
        }
        assert_eq!(parse_response_head(b"HTTP/1.1 200 OK\r\nContent-", false), Ok(None));
        assert!(parse_response_head(b"HTTP/1.1 2x0 OK\r\n\r\n", false).is_err());
    }

    #[test]
    fn response_heads_are_written_as_the_parser_reads_them() {
        let mut out = Vec::new();
        push_status_line(&mut out, 416);
        push_header(&mut out, "Content-Range", b"bytes */10");
        push_header_u64(&mut out, "Content-Length", 0);
        out.extend_from_slice(b"\r\n");
        assert_eq!(
            out,
            b"HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */10\r\nContent-Length: 0\r\n\r\n"
        );
        assert_eq!(parse_response_head(&out, false).unwrap().unwrap().body, ResponseBody::Length(0));
    }

    /// A request as the property tests compare them.
    #[derive(Debug, PartialEq, Eq)]
    struct Owned {
        method: Vec<u8>,
        target: Vec<u8>,
        version: Version,
        body: Body,
        keep_alive: bool,
        headers: Vec<(Vec<u8>, Vec<u8>)>,
    }

    /// Feeds `chunks` one at a time to a buffer, as a server does: frames
    /// every whole request, skips bodies, stops at the first error.
    fn drive(chunks: &[&[u8]]) -> (Vec<Owned>, Option<Error>) {
        let limits = Limits { max_request_line_bytes: 256, max_header_bytes: 512, max_body_bytes: 300 };
        enum Skip {
            Nothing,
            Bytes(u64),
            Chunked(ChunkedBody),
        }
        let mut buf = Vec::new();
        let mut skip = Skip::Nothing;
        let mut got = Vec::new();
        for chunk in chunks {
            buf.extend_from_slice(chunk);
            loop {
                match &mut skip {
                    Skip::Bytes(n) => {
                        let take = (*n).min(buf.len() as u64);
                        buf.drain(..take as usize);
                        *n -= take;
                        if *n > 0 {
                            break;
                        }
                        skip = Skip::Nothing;
                    }
                    Skip::Chunked(c) => match c.advance(&buf) {
                        Ok(n) => {
                            buf.drain(..n);
                            if !c.is_done() {
                                break;
                            }
                            skip = Skip::Nothing;
                        }
                        Err(e) => return (got, Some(e)),
                    },
                    Skip::Nothing => match parse_request(&buf, &limits) {
                        Ok(Some(req)) => {
                            got.push(Owned {
                                method: req.method.to_vec(),
                                target: req.target.to_vec(),
                                version: req.version,
                                body: req.body,
                                keep_alive: req.keep_alive,
                                headers: req.headers().map(|(n, v)| (n.to_vec(), v.to_vec())).collect(),
                            });
                            skip = match req.body {
                                Body::None => Skip::Nothing,
                                Body::Length(n) => Skip::Bytes(n),
                                Body::Chunked => Skip::Chunked(ChunkedBody::new(limits.max_body_bytes)),
                            };
                            let n = req.head_len;
                            buf.drain(..n);
                        }
                        Ok(None) => break,
                        Err(e) => return (got, Some(e)),
                    },
                }
            }
        }
        (got, None)
    }

    fn split_at_cuts<'a>(input: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
        let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
        cuts.sort_unstable();
        let mut pieces = Vec::new();
        let mut at = 0;
        for c in cuts {
            pieces.push(&input[at..c]);
            at = c;
        }
        pieces.push(&input[at..]);
        pieces
    }

    /// One request, mostly well-formed, sometimes not.
    fn request() -> impl Strategy<Value = Vec<u8>> {
        let method = prop_oneof![9 => prop::sample::select(vec!["GET", "HEAD", "POST", "PUT"]), 1 => Just("G T")];
        let target = "/[a-z0-9%./?=]{0,12}";
        let version = prop_oneof![12 => Just("HTTP/1.1"), 6 => Just("HTTP/1.0"), 1 => Just("HTTP/2.0")];
        let header = prop_oneof![
            20 => prop::sample::select(vec![
                "User-Agent: t\r\n",
                "Connection: close\r\n",
                "Connection: keep-alive\r\n",
                "Accept: */*\r\n",
                "If-None-Match: \"abc\"\r\n",
                "Range: bytes=0-9\r\n",
                "X-Long: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n",
            ]),
            1 => prop::sample::select(vec!["X-Bad : 1\r\n", "Host: again\r\n", "X-Ctl: a\x01\r\n"]),
        ];
        let body = prop_oneof![
            Just(String::new()),
            "[a-z]{0,20}".prop_map(|b| format!("Content-Length: {}\r\n\r\n{b}", b.len())),
            "[a-z]{1,20}".prop_map(|b| format!(
                "Transfer-Encoding: chunked\r\n\r\n{:x};e=1\r\n{b}\r\n0\r\nT: 1\r\n\r\n",
                b.len()
            )),
        ];
        (method, target, version, prop::collection::vec(header, 0..5), body).prop_map(|(m, t, v, hs, body)| {
            let mut s = format!("{m} {t} {v}\r\nHost: example.com\r\n");
            for h in hs {
                s.push_str(h);
            }
            if body.is_empty() {
                s.push_str("\r\n");
            } else {
                s.push_str(&body);
            }
            s.into_bytes()
        })
    }

    proptest! {
        #[test]
        fn any_split_of_the_input_yields_the_same_requests(
            reqs in prop::collection::vec(request(), 1..6),
            cuts in prop::collection::vec(any::<usize>(), 0..12),
        ) {
            let input = reqs.concat();
            let whole = drive(&[&input]);
            let split = drive(&split_at_cuts(&input, &cuts));
            prop_assert_eq!(&whole, &split);
            let one_at_a_time: Vec<&[u8]> = input.chunks(1).collect();
            prop_assert_eq!(whole, drive(&one_at_a_time));
        }

        #[test]
        fn arbitrary_bytes_never_panic(input in prop::collection::vec(any::<u8>(), 0..600), cuts in prop::collection::vec(any::<usize>(), 0..8)) {
            let _ = parse_request(&input, &Limits::default());
            let _ = parse_response_head(&input, false);
            let _ = ChunkedBody::new(1 << 20).advance(&input);
            let whole = drive(&[&input]);
            prop_assert_eq!(whole, drive(&split_at_cuts(&input, &cuts)));
        }

        #[test]
        fn arbitrary_bytes_after_a_valid_prefix_never_panic(tail in prop::collection::vec(any::<u8>(), 0..300)) {
            let mut input = b"GET / HTTP/1.1\r\nHost: h\r\n".to_vec();
            input.extend_from_slice(&tail);
            let _ = parse_request(&input, &Limits::default());
            let mut chunked = b"5\r\nhello\r\n".to_vec();
            chunked.extend_from_slice(&tail);
            let _ = ChunkedBody::new(1 << 20).advance(&chunked);
        }
    }
}
