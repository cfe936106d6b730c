//! RESP2, the Redis protocol: request framing for servers, reply encoding,
//! and a reply parser for clients.
//!
//! Requests are framed the way Redis 7 frames them (`networking.c`,
//! `processMultibulkBuffer` and `processInlineBuffer`): a multibulk array of
//! bulk strings, or an inline command line split like `sdssplitargs`. The
//! limits (64 KiB for an inline line or a length header, a configurable
//! largest bulk string) and the protocol error texts are Redis's, so that a
//! client sees the same `-ERR Protocol error: ...` from either server.
//!
//! Framing is stateless: [`parse_request`] looks at the front of a buffer and
//! either returns one whole request and its length, says more bytes are
//! needed, or names a protocol error. The caller keeps the unconsumed bytes,
//! so any chunking of the input yields the same requests.

use std::borrow::Cow;
use std::fmt;

/// Longest inline command line, and longest `*N` or `$N` header, that
/// Redis waits for before calling the request malformed (`PROTO_INLINE_MAX_SIZE`).
pub const INLINE_MAX_BYTES: usize = 64 * 1024;

/// Redis's default `proto-max-bulk-len`: the largest bulk string.
pub const DEFAULT_MAX_BULK_BYTES: usize = 512 * 1024 * 1024;

/// Limits applied while framing requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest bulk string accepted (`proto-max-bulk-len`).
    pub max_bulk_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_bulk_bytes: DEFAULT_MAX_BULK_BYTES }
    }
}

/// One framed request: its arguments, the command name first.
///
/// Multibulk arguments borrow from the input; inline arguments with quotes
/// or escapes are owned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request<'a> {
    /// The arguments; empty for a blank inline line or `*0`, which Redis
    /// skips without a reply.
    pub args: Vec<Cow<'a, [u8]>>,
}

/// A malformed request. The connection cannot go on after one: reply with
/// [`ProtocolError::reply`], then close.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProtocolError {
    /// An inline line longer than [`INLINE_MAX_BYTES`] without a newline.
    TooBigInline,
    /// A `*N` header longer than [`INLINE_MAX_BYTES`] without a newline.
    TooBigMultibulkCount,
    /// A `$N` header longer than [`INLINE_MAX_BYTES`] without a newline.
    TooBigBulkCount,
    /// `*N` where N is not an integer or is past `i32::MAX`.
    InvalidMultibulkLength,
    /// `$N` where N is not an integer, is negative, or is past the bulk limit.
    InvalidBulkLength,
    /// An array element that does not start with `$`.
    ExpectedDollar(u8),
    /// An inline line with an unterminated quote.
    UnbalancedQuotes,
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtocolError::TooBigInline => f.write_str("Protocol error: too big inline request"),
            ProtocolError::TooBigMultibulkCount => f.write_str("Protocol error: too big mbulk count string"),
            ProtocolError::TooBigBulkCount => f.write_str("Protocol error: too big bulk count string"),
            ProtocolError::InvalidMultibulkLength => f.write_str("Protocol error: invalid multibulk length"),
            ProtocolError::InvalidBulkLength => f.write_str("Protocol error: invalid bulk length"),
            ProtocolError::ExpectedDollar(c) => write!(f, "Protocol error: expected '$', got '{}'", *c as char),
            ProtocolError::UnbalancedQuotes => f.write_str("Protocol error: unbalanced quotes in request"),
        }
    }
}

impl std::error::Error for ProtocolError {}

impl ProtocolError {
    /// The error reply Redis sends for this error, `-ERR ...\r\n`.
    pub fn reply(&self) -> Vec<u8> {
        format!("-ERR {self}\r\n").into_bytes()
    }
}

/// Frames the request at the front of `buf`.
///
/// Returns `Ok(Some((request, length)))` for a whole request of `length`
/// bytes, `Ok(None)` when more bytes are needed, or the protocol error.
///
/// # Errors
///
/// A [`ProtocolError`] when the front of `buf` can never become a request.
///
/// # Examples
///
/// ```
/// use switchyard_codec::resp::{parse_request, Limits};
///
/// let (req, n) = parse_request(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\nrest", &Limits::default()).unwrap().unwrap();
/// assert_eq!(n, 20);
/// assert_eq!(req.args, [&b"GET"[..], &b"k"[..]]);
/// assert_eq!(parse_request(b"*2\r\n$3\r\nGE", &Limits::default()), Ok(None));
/// ```
pub fn parse_request<'a>(buf: &'a [u8], limits: &Limits) -> Result<Option<(Request<'a>, usize)>, ProtocolError> {
    let mut args = Vec::new();
    Ok(parse_request_into(buf, limits, &mut args)?.map(|n| (Request { args }, n)))
}

/// As [`parse_request`], into `args` (cleared first): a caller that parses
/// request after request keeps one vector's allocation for all of them.
/// Returns the request's length in bytes, or `None` if it is incomplete.
///
/// # Errors
///
/// As [`parse_request`].
pub fn parse_request_into<'a>(
    buf: &'a [u8],
    limits: &Limits,
    args: &mut Vec<Cow<'a, [u8]>>,
) -> Result<Option<usize>, ProtocolError> {
    args.clear();
    match buf.first() {
        None => Ok(None),
        Some(b'*') => parse_multibulk(buf, limits, args),
        Some(_) => parse_inline(buf, args),
    }
}

/// Finds the `\r` ending a header that starts at `from`, as Redis does: it
/// needs one byte after the `\r` (taken to be `\n`) before it calls the
/// header whole.
fn header_end(buf: &[u8], from: usize, too_big: ProtocolError) -> Result<Option<usize>, ProtocolError> {
    match memchr(b'\r', &buf[from..]) {
        Some(i) => {
            let cr = from + i;
            if cr + 1 >= buf.len() {
                Ok(None)
            } else {
                Ok(Some(cr))
            }
        }
        None if buf.len() - from > INLINE_MAX_BYTES => Err(too_big),
        None => Ok(None),
    }
}

fn parse_multibulk<'a>(
    buf: &'a [u8],
    limits: &Limits,
    args: &mut Vec<Cow<'a, [u8]>>,
) -> Result<Option<usize>, ProtocolError> {
    let walked = walk_multibulk(buf, limits, |i, count, arg| {
        if i == 0 {
            // Cap the up-front allocation: the count is the client's claim.
            args.reserve(count.min(1024));
        }
        args.push(Cow::Borrowed(arg));
    })?;
    Ok(match walked {
        Walked::Whole(len) => Some(len),
        Walked::Short(_) => {
            args.clear();
            None
        }
    })
}

/// How far [`walk_multibulk`] got.
enum Walked {
    /// A whole request of this many bytes.
    Whole(usize),
    /// Incomplete; the length it will have at least, when a bulk header
    /// already says more than the buffer holds.
    Short(Option<usize>),
}

/// Walks the multibulk request at the front of `buf` (its first byte is
/// `*`), handing each argument to `arg` with its index and the count, and
/// copying nothing.
fn walk_multibulk<'a>(
    buf: &'a [u8],
    limits: &Limits,
    mut arg: impl FnMut(usize, usize, &'a [u8]),
) -> Result<Walked, ProtocolError> {
    let Some(cr) = header_end(buf, 0, ProtocolError::TooBigMultibulkCount)? else {
        return Ok(Walked::Short(None));
    };
    let count = match string2ll(&buf[1..cr]) {
        Some(n) if n <= i32::MAX as i64 => n.max(0) as usize,
        _ => return Err(ProtocolError::InvalidMultibulkLength),
    };
    let mut pos = cr + 2;
    for i in 0..count {
        if pos >= buf.len() {
            return Ok(Walked::Short(None));
        }
        let Some(cr) = header_end(buf, pos, ProtocolError::TooBigBulkCount)? else {
            return Ok(Walked::Short(None));
        };
        if buf[pos] != b'$' {
            return Err(ProtocolError::ExpectedDollar(buf[pos]));
        }
        let len = match string2ll(&buf[pos + 1..cr]) {
            Some(n) if n >= 0 && n as u64 <= limits.max_bulk_bytes as u64 => n as usize,
            _ => return Err(ProtocolError::InvalidBulkLength),
        };
        let start = cr + 2;
        // Like Redis, the two bytes after the data are taken to be CRLF.
        let end = start + len + 2;
        if buf.len() < end {
            return Ok(Walked::Short(Some(end)));
        }
        arg(i, count, &buf[start..start + len]);
        pos = end;
    }
    Ok(Walked::Whole(pos))
}

/// What the front of `buf` holds, seen without copying or allocating: a
/// first look for the server's dispatch, before the real parse.
#[derive(Debug, PartialEq, Eq)]
pub enum Shape<'a> {
    /// A whole multibulk request: its first argument (the command name),
    /// how many arguments it has (the name included), and its length in
    /// bytes.
    Whole { name: &'a [u8], args: usize, len: usize },
    /// An incomplete multibulk request, and the length it will have at
    /// least as far as its headers tell (to the end of the first bulk still
    /// arriving), when a header already says more than `buf` holds.
    Partial { announced: Option<usize> },
    /// Nothing, an inline command, or a malformed request.
    Other,
}

/// Looks at the request at the front of `buf`.
///
/// # Examples
///
/// ```
/// use switchyard_codec::resp::{shape, Limits, Shape};
///
/// let limits = Limits::default();
/// assert_eq!(shape(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\nrest", &limits), Shape::Whole { name: b"GET", args: 2, len: 20 });
/// let big = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1000\r\nxx";
/// assert_eq!(shape(big, &limits), Shape::Partial { announced: Some(1029) });
/// assert_eq!(shape(b"*3\r\n$3\r\nSET\r\n$1", &limits), Shape::Partial { announced: None });
/// assert_eq!(shape(b"GET k\r\n", &limits), Shape::Other);
/// ```
pub fn shape<'a>(buf: &'a [u8], limits: &Limits) -> Shape<'a> {
    if buf.first() != Some(&b'*') {
        return Shape::Other;
    }
    let mut name = None;
    let mut args = 0;
    match walk_multibulk(buf, limits, |i, _, arg| {
        if i == 0 {
            name = Some(arg);
        }
        args = i + 1;
    }) {
        Ok(Walked::Whole(len)) => name.map_or(Shape::Other, |name| Shape::Whole { name, args, len }),
        Ok(Walked::Short(announced)) => Shape::Partial { announced },
        Err(_) => Shape::Other,
    }
}

fn parse_inline<'a>(buf: &'a [u8], args: &mut Vec<Cow<'a, [u8]>>) -> Result<Option<usize>, ProtocolError> {
    let Some(nl) = memchr(b'\n', buf) else {
        if buf.len() > INLINE_MAX_BYTES {
            return Err(ProtocolError::TooBigInline);
        }
        return Ok(None);
    };
    let mut line = &buf[..nl];
    if line.last() == Some(&b'\r') {
        line = &line[..line.len() - 1];
    }
    *args = split_args(line).ok_or(ProtocolError::UnbalancedQuotes)?;
    Ok(Some(nl + 1))
}

/// Splits an inline line into arguments like Redis's `sdssplitargs`:
/// blanks separate, `"..."` takes `\n \r \t \b \a \\ \" \xHH` escapes,
/// `'...'` takes `\'`, and a closing quote must be followed by a blank.
/// `None` for an unbalanced quote.
pub fn split_args(line: &[u8]) -> Option<Vec<Cow<'_, [u8]>>> {
    let mut args = Vec::new();
    let mut i = 0;
    let blank = |c: u8| matches!(c, b' ' | b'\n' | b'\r' | b'\t' | 0x0b | 0x0c);
    loop {
        while i < line.len() && blank(line[i]) {
            i += 1;
        }
        if i >= line.len() {
            return Some(args);
        }
        let start = i;
        let mut owned: Option<Vec<u8>> = None;
        let mut in_dq = false;
        let mut in_sq = false;
        loop {
            if in_dq {
                if i >= line.len() {
                    return None;
                }
                let cur = owned.get_or_insert_with(Vec::new);
                if line[i] == b'\\'
                    && i + 3 < line.len()
                    && line[i + 1] == b'x'
                    && line[i + 2].is_ascii_hexdigit()
                    && line[i + 3].is_ascii_hexdigit()
                {
                    cur.push(hex(line[i + 2]) * 16 + hex(line[i + 3]));
                    i += 3;
                } else if line[i] == b'\\' && i + 1 < line.len() {
                    i += 1;
                    cur.push(match line[i] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 0x08,
                        b'a' => 0x07,
                        c => c,
                    });
                } else if line[i] == b'"' {
                    if i + 1 < line.len() && !blank(line[i + 1]) {
                        return None;
                    }
                    i += 1;
                    break;
                } else {
                    cur.push(line[i]);
                }
            } else if in_sq {
                if i >= line.len() {
                    return None;
                }
                let cur = owned.get_or_insert_with(Vec::new);
                if line[i] == b'\\' && i + 1 < line.len() && line[i + 1] == b'\'' {
                    i += 1;
                    cur.push(b'\'');
                } else if line[i] == b'\'' {
                    if i + 1 < line.len() && !blank(line[i + 1]) {
                        return None;
                    }
                    i += 1;
                    break;
                } else {
                    cur.push(line[i]);
                }
            } else {
                if i >= line.len() || blank(line[i]) {
                    break;
                }
                match line[i] {
                    b'"' => {
                        in_dq = true;
                        owned.get_or_insert_with(|| line[start..i].to_vec());
                    }
                    b'\'' => {
                        in_sq = true;
                        owned.get_or_insert_with(|| line[start..i].to_vec());
                    }
                    c => {
                        if let Some(cur) = owned.as_mut() {
                            cur.push(c);
                        }
                    }
                }
            }
            i += 1;
        }
        args.push(match owned {
            Some(v) => Cow::Owned(v),
            None => Cow::Borrowed(&line[start..i]),
        });
    }
}

fn hex(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => c - b'A' + 10,
    }
}

fn memchr(needle: u8, haystack: &[u8]) -> Option<usize> {
    haystack.iter().position(|&b| b == needle)
}

/// Parses a signed decimal integer exactly as Redis's `string2ll` does: an
/// optional `-`, no `+`, no blanks, no leading zeros, no overflow.
///
/// # Examples
///
/// ```
/// use switchyard_codec::resp::string2ll;
///
/// assert_eq!(string2ll(b"-42"), Some(-42));
/// assert_eq!(string2ll(b"042"), None);
/// assert_eq!(string2ll(b"+1"), None);
/// ```
pub fn string2ll(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (negative, digits) = match s[0] {
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    match digits.first() {
        Some(b'1'..=b'9') => {}
        _ => return None,
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    if negative {
        if v > i64::MAX as u64 + 1 {
            return None;
        }
        Some((v as i64).wrapping_neg())
    } else {
        i64::try_from(v).ok()
    }
}

/// Appends a simple string reply, `+s\r\n`.
pub fn simple(out: &mut Vec<u8>, s: &str) {
    out.push(b'+');
    out.extend_from_slice(s.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// Appends an error reply, `-message\r\n`; `message` starts with its code
/// (`ERR`, `WRONGTYPE`, `OOM`). CR and LF in it become spaces, as in Redis.
pub fn error(out: &mut Vec<u8>, message: &str) {
    out.push(b'-');
    out.extend(message.bytes().map(|b| if b == b'\r' || b == b'\n' { b' ' } else { b }));
    out.extend_from_slice(b"\r\n");
}

/// Appends an integer reply, `:n\r\n`.
pub fn integer(out: &mut Vec<u8>, n: i64) {
    out.push(b':');
    push_decimal(out, n);
    out.extend_from_slice(b"\r\n");
}

/// Appends a bulk string reply, `$len\r\nbytes\r\n`.
pub fn bulk(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'$');
    push_decimal(out, bytes.len() as i64);
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(bytes);
    out.extend_from_slice(b"\r\n");
}

/// Appends the null bulk string, `$-1\r\n`.
pub fn null(out: &mut Vec<u8>) {
    out.extend_from_slice(b"$-1\r\n");
}

/// Appends the null array, `*-1\r\n`.
pub fn null_array(out: &mut Vec<u8>) {
    out.extend_from_slice(b"*-1\r\n");
}

/// Appends an array header, `*n\r\n`; the caller appends `n` elements.
pub fn array(out: &mut Vec<u8>, n: usize) {
    out.push(b'*');
    push_decimal(out, n as i64);
    out.extend_from_slice(b"\r\n");
}

/// Appends a command as a multibulk array, the way clients send requests.
///
/// # Examples
///
/// ```
/// let mut out = Vec::new();
/// switchyard_codec::resp::command(&mut out, &[&b"GET"[..], b"k"]);
/// assert_eq!(out, b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
/// ```
pub fn command<A: AsRef<[u8]>>(out: &mut Vec<u8>, args: &[A]) {
    array(out, args.len());
    for a in args {
        bulk(out, a.as_ref());
    }
}

/// Appends `n` in decimal without allocating.
pub fn push_decimal(out: &mut Vec<u8>, n: i64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut v = n.unsigned_abs();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    if n < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(&buf[i..]);
}

/// A reply as a client sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// `+text`
    Simple(String),
    /// `-text`, code included (`ERR ...`).
    Error(String),
    /// `:n`
    Integer(i64),
    /// `$n` and its bytes; `None` for `$-1`.
    Bulk(Option<Vec<u8>>),
    /// `*n` and its elements; `None` for `*-1`.
    Array(Option<Vec<Reply>>),
}

impl Reply {
    /// Encodes the reply back to RESP.
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Reply::Simple(s) => simple(out, s),
            Reply::Error(s) => error(out, s),
            Reply::Integer(n) => integer(out, *n),
            Reply::Bulk(None) => null(out),
            Reply::Bulk(Some(b)) => bulk(out, b),
            Reply::Array(None) => null_array(out),
            Reply::Array(Some(items)) => {
                array(out, items.len());
                for item in items {
                    item.encode(out);
                }
            }
        }
    }
}

/// A reply that is not RESP2.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplyError {
    /// Where in the buffer the reply went wrong.
    pub offset: usize,
    /// What was wrong there.
    pub what: &'static str,
}

impl fmt::Display for ReplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed reply at byte {}: {}", self.offset, self.what)
    }
}

impl std::error::Error for ReplyError {}

/// Deepest array nesting [`parse_reply`] follows, so that hostile input
/// cannot exhaust the stack.
const MAX_REPLY_DEPTH: usize = 64;

/// Parses the reply at the front of `buf`: `Ok(Some((reply, length)))`, or
/// `Ok(None)` when more bytes are needed.
///
/// # Errors
///
/// A [`ReplyError`] when the bytes are not a RESP2 reply.
///
/// # Examples
///
/// ```
/// use switchyard_codec::resp::{parse_reply, Reply};
///
/// let (reply, n) = parse_reply(b"*2\r\n:1\r\n$-1\r\n").unwrap().unwrap();
/// assert_eq!(n, 13);
/// assert_eq!(reply, Reply::Array(Some(vec![Reply::Integer(1), Reply::Bulk(None)])));
/// ```
pub fn parse_reply(buf: &[u8]) -> Result<Option<(Reply, usize)>, ReplyError> {
    let mut pos = 0;
    match reply_at(buf, &mut pos, 0)? {
        Some(r) => Ok(Some((r, pos))),
        None => Ok(None),
    }
}

fn line_at<'a>(buf: &'a [u8], pos: &mut usize) -> Option<&'a [u8]> {
    let rest = &buf[*pos..];
    let cr = rest.windows(2).position(|w| w == b"\r\n")?;
    *pos += cr + 2;
    Some(&rest[..cr])
}

fn reply_at(buf: &[u8], pos: &mut usize, depth: usize) -> Result<Option<Reply>, ReplyError> {
    let at = *pos;
    let Some(&kind) = buf.get(at) else { return Ok(None) };
    let bad = |what| ReplyError { offset: at, what };
    *pos += 1;
    let Some(line) = line_at(buf, pos) else { return Ok(None) };
    let text = || String::from_utf8(line.to_vec()).map_err(|_| bad("not UTF-8"));
    let number = || string2ll(line).ok_or(bad("bad integer"));
    Ok(Some(match kind {
        b'+' => Reply::Simple(text()?),
        b'-' => Reply::Error(text()?),
        b':' => Reply::Integer(number()?),
        b'$' => {
            let n = number()?;
            if n == -1 {
                Reply::Bulk(None)
            } else if n < 0 {
                return Err(bad("negative bulk length"));
            } else {
                let n = n as usize;
                if buf.len() - *pos < n.saturating_add(2) {
                    return Ok(None);
                }
                if &buf[*pos + n..*pos + n + 2] != b"\r\n" {
                    return Err(bad("bulk not followed by CRLF"));
                }
                let data = buf[*pos..*pos + n].to_vec();
                *pos += n + 2;
                Reply::Bulk(Some(data))
            }
        }
        b'*' => {
            let n = number()?;
            if n == -1 {
                Reply::Array(None)
            } else if n < 0 {
                return Err(bad("negative array length"));
            } else if depth >= MAX_REPLY_DEPTH {
                return Err(bad("arrays nested too deep"));
            } else {
                let mut items = Vec::with_capacity((n as usize).min(1024));
                for _ in 0..n {
                    match reply_at(buf, pos, depth + 1)? {
                        Some(r) => items.push(r),
                        None => return Ok(None),
                    }
                }
                Reply::Array(Some(items))
            }
        }
        _ => return Err(bad("unknown reply type")),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parsing_into_a_vector_replaces_what_it_held() {
        let limits = Limits::default();
        let mut args = Vec::new();
        assert_eq!(parse_request_into(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", &limits, &mut args), Ok(Some(20)));
        assert_eq!(args, [&b"GET"[..], &b"k"[..]]);
        assert_eq!(parse_request_into(b"*1\r\n$4\r\nPING\r\n", &limits, &mut args), Ok(Some(14)));
        assert_eq!(args, [&b"PING"[..]]);
        assert_eq!(parse_request_into(b"*2\r\n$3\r\nGET\r\n$1", &limits, &mut args), Ok(None));
        assert!(args.is_empty(), "an incomplete request leaves nothing");
        assert_eq!(parse_request_into(b"SET a b\r\n", &limits, &mut args), Ok(Some(9)));
        assert_eq!(args, [&b"SET"[..], &b"a"[..], &b"b"[..]]);
    }

    fn all(input: &[u8]) -> (Vec<Vec<Vec<u8>>>, Option<ProtocolError>, usize) {
        let limits = Limits::default();
        let mut pos = 0;
        let mut reqs = Vec::new();
        loop {
            match parse_request(&input[pos..], &limits) {
                Ok(Some((req, n))) => {
                    reqs.push(req.args.iter().map(|a| a.to_vec()).collect());
                    pos += n;
                }
                Ok(None) => return (reqs, None, pos),
                Err(e) => return (reqs, Some(e), pos),
            }
        }
    }

    /// Feeds `input` in two pieces split at `at`, as a server would: parse
    /// what is buffered, keep the rest, append the next piece.
    fn split_at(input: &[u8], at: usize) -> (Vec<Vec<Vec<u8>>>, Option<ProtocolError>, usize) {
        let mut buf = input[..at].to_vec();
        let (mut reqs, err, used) = all(&buf);
        if err.is_some() {
            return (reqs, err, used);
        }
        buf.drain(..used);
        buf.extend_from_slice(&input[at..]);
        let (more, err, used2) = all(&buf);
        reqs.extend(more);
        (reqs, err, used + used2)
    }

    fn args(list: &[&str]) -> Vec<Vec<u8>> {
        list.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    #[test]
    fn multibulk_and_inline_requests_frame_alike() {
        let (reqs, err, used) = all(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nv1\r\nSET k v1\r\nSET k v1\n");
        assert_eq!(err, None);
        assert_eq!(used, 47);
        assert_eq!(reqs, vec![args(&["SET", "k", "v1"]); 3]);
    }

    #[test]
    fn empty_inline_lines_and_empty_arrays_are_requests_without_arguments() {
        let (reqs, err, _) = all(b"\r\n\n*0\r\n*-1\r\nPING\r\n");
        assert_eq!(err, None);
        assert_eq!(reqs, vec![vec![], vec![], vec![], vec![], args(&["PING"])]);
    }

    #[test]
    fn inline_arguments_follow_sdssplitargs_quoting() {
        let (reqs, err, _) = all(b"set \"a b\" 'c\\'d' \"\\x41\\n\" x\"y\"\r\n");
        assert_eq!(err, None);
        assert_eq!(reqs, vec![args(&["set", "a b", "c'd", "A\n", "xy"])]);
    }

    #[test]
    fn malformed_requests_get_redis_errors() {
        let big_inline = vec![b'a'; INLINE_MAX_BYTES + 1];
        let mut big_mbulk = b"*".to_vec();
        big_mbulk.extend(vec![b'1'; INLINE_MAX_BYTES + 1]);
        let mut big_bulk = b"*1\r\n$".to_vec();
        big_bulk.extend(vec![b'1'; INLINE_MAX_BYTES + 1]);
        let table: Vec<(&[u8], &str)> = vec![
            (b"*abc\r\n", "-ERR Protocol error: invalid multibulk length\r\n"),
            (b"*2147483648\r\n", "-ERR Protocol error: invalid multibulk length\r\n"),
            (b"*+1\r\n", "-ERR Protocol error: invalid multibulk length\r\n"),
            (b"*1\r\n$-1\r\n", "-ERR Protocol error: invalid bulk length\r\n"),
            (b"*1\r\n$x\r\n", "-ERR Protocol error: invalid bulk length\r\n"),
            (b"*1\r\n$01\r\n", "-ERR Protocol error: invalid bulk length\r\n"),
            (b"*1\r\n$536870913\r\n", "-ERR Protocol error: invalid bulk length\r\n"),
            (b"*1\r\nfoo\r\n", "-ERR Protocol error: expected '$', got 'f'\r\n"),
            (b"*3\r\n$3\r\nSET\r\n:1\r\n", "-ERR Protocol error: expected '$', got ':'\r\n"),
            (b"set \"a\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n"),
            (b"set 'a\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n"),
            (b"set \"a\"b\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n"),
            (&big_inline, "-ERR Protocol error: too big inline request\r\n"),
            (&big_mbulk, "-ERR Protocol error: too big mbulk count string\r\n"),
            (&big_bulk, "-ERR Protocol error: too big bulk count string\r\n"),
        ];
        for (input, want) in table {
            let (_, err, _) = all(input);
            let err = err.unwrap_or_else(|| panic!("no error for {:?}", String::from_utf8_lossy(input)));
            assert_eq!(String::from_utf8(err.reply()).unwrap(), want, "for {:?}", String::from_utf8_lossy(input));
        }
    }

    #[test]
    fn the_bulk_limit_is_configurable() {
        let limits = Limits { max_bulk_bytes: 3 };
        assert!(parse_request(b"*1\r\n$3\r\nabc\r\n", &limits).unwrap().is_some());
        assert_eq!(parse_request(b"*1\r\n$4\r\nabcd\r\n", &limits), Err(ProtocolError::InvalidBulkLength));
    }

    #[test]
    fn requests_before_an_error_are_still_framed() {
        let (reqs, err, used) = all(b"PING\r\n*1\r\n$4\r\nPING\r\n*x\r\n");
        assert_eq!(reqs, vec![args(&["PING"]); 2]);
        assert_eq!(err, Some(ProtocolError::InvalidMultibulkLength));
        assert_eq!(used, 20);
    }

    #[test]
    fn every_split_point_gives_the_same_requests() {
        let input: &[u8] =
            b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nva\r\nl\r\nGET key\r\n*0\r\n\r\nset \"q x\" 'y'\n*2\r\n$4\r\nECHO\r\n$0\r\n\r\n";
        let whole = all(input);
        assert_eq!(whole.1, None);
        assert_eq!(whole.2, input.len());
        for at in 0..=input.len() {
            assert_eq!(split_at(input, at), whole, "split at {at}");
        }
        let bad: &[u8] = b"GET a\r\n*2\r\n$3\r\nGET\r\n!x\r\n";
        let whole = all(bad);
        assert_eq!(whole.1, Some(ProtocolError::ExpectedDollar(b'!')));
        for at in 0..=bad.len() {
            assert_eq!(split_at(bad, at).0, whole.0, "split at {at}");
            assert_eq!(split_at(bad, at).1, whole.1, "split at {at}");
        }
    }

    #[test]
    fn string2ll_matches_redis() {
        assert_eq!(string2ll(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(string2ll(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(string2ll(b"9223372036854775808"), None);
        assert_eq!(string2ll(b"-0"), None);
        assert_eq!(string2ll(b" 1"), None);
        assert_eq!(string2ll(b"1 "), None);
        assert_eq!(string2ll(b""), None);
        assert_eq!(string2ll(b"-"), None);
    }

    #[test]
    fn replies_round_trip_and_wait_for_their_end() {
        let reply = Reply::Array(Some(vec![
            Reply::Simple("OK".into()),
            Reply::Error("ERR no".into()),
            Reply::Integer(-7),
            Reply::Bulk(Some(b"a\r\nb".to_vec())),
            Reply::Bulk(None),
            Reply::Array(None),
            Reply::Array(Some(vec![])),
        ]));
        let mut out = Vec::new();
        reply.encode(&mut out);
        assert_eq!(parse_reply(&out), Ok(Some((reply, out.len()))));
        for cut in 0..out.len() {
            assert_eq!(parse_reply(&out[..cut]), Ok(None), "cut at {cut}");
        }
        assert!(parse_reply(b"?x\r\n").is_err());
        assert!(parse_reply(b"$1\r\nab\r\n").is_err());
    }

    fn arb_reply() -> impl Strategy<Value = Reply> {
        let leaf = prop_oneof![
            "[a-zA-Z0-9 ]{0,8}".prop_map(Reply::Simple),
            "[a-zA-Z0-9 ]{0,8}".prop_map(Reply::Error),
            any::<i64>().prop_map(Reply::Integer),
            proptest::option::of(proptest::collection::vec(any::<u8>(), 0..16)).prop_map(Reply::Bulk),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            proptest::option::of(proptest::collection::vec(inner, 0..4)).prop_map(Reply::Array)
        })
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = all(&bytes);
            let _ = parse_reply(&bytes);
        }

        #[test]
        fn arbitrary_bytes_after_a_star_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..128)) {
            let mut input = b"*".to_vec();
            input.extend(bytes);
            let _ = all(&input);
        }

        #[test]
        fn encoded_commands_frame_back_at_any_split(
            cmds in proptest::collection::vec(proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..12), 1..4), 1..4),
            at in any::<proptest::sample::Index>(),
        ) {
            let mut input = Vec::new();
            for c in &cmds {
                command(&mut input, c);
            }
            let at = at.index(input.len() + 1);
            let (reqs, err, used) = split_at(&input, at);
            prop_assert_eq!(err, None);
            prop_assert_eq!(used, input.len());
            prop_assert_eq!(reqs, cmds);
        }

        #[test]
        fn replies_round_trip(reply in arb_reply()) {
            let mut out = Vec::new();
            reply.encode(&mut out);
            prop_assert_eq!(parse_reply(&out), Ok(Some((reply, out.len()))));
        }
    }
}
