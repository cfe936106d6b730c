//! [`Reply`]: the replies of one batch of commands, where stored values
//! are referred to rather than copied.
//!
//! Replies are mostly small, and written with the codec's functions into a
//! byte buffer (a `Reply` dereferences to it). A long stored value goes in
//! as a hole in that buffer that refers to the value ([`Reply::value`]);
//! [`Reply::move_to`] hands the bytes and the values to the engine's
//! output in order, which writes them with one vectored write and never
//! copies the values.
//!
//! A `Reply` also knows the protocol its connection speaks ([`Protocol`]):
//! the few shapes that differ between RESP2 and RESP3 (null, map, set,
//! double, verbatim text) are written with its methods, so that every
//! command answers in either without knowing which.

use std::ops::{Deref, DerefMut, Range};

use switchyard_codec::resp;
use switchyard_engine::{Output, SharedBytes};

use crate::bytes::Bytes;

/// Values shorter than this are copied into the reply: a copy of a few KiB
/// costs less than another slice in the vectored write.
pub const SHARE_MIN_BYTES: usize = 4 << 10;

/// The protocol a connection speaks, chosen with `HELLO`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Protocol {
    /// RESP2, what a connection starts with.
    #[default]
    Resp2,
    /// RESP3: typed nulls, maps, sets, doubles and verbatim strings.
    Resp3,
}

impl Protocol {
    /// The version number `HELLO` and `CLIENT LIST` show.
    pub fn version(self) -> i64 {
        match self {
            Protocol::Resp2 => 2,
            Protocol::Resp3 => 3,
        }
    }
}

/// `d` as C's `printf("%.17g", d)` prints it: 17 significant digits,
/// trailing zeros dropped, an exponent below 1e-4 and from 1e17 on.
fn g17(d: f64) -> String {
    if d.is_nan() {
        return if d.is_sign_negative() { "-nan" } else { "nan" }.to_string();
    }
    if d.is_infinite() {
        return if d > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    let sci = format!("{d:.16e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let trim = |s: &str| -> String {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s.to_string()
        }
    };
    if !(-4..17).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{}e{sign}{:02}", trim(mantissa), exp.abs())
    } else {
        trim(&format!("{d:.*}", (16 - exp) as usize))
    }
}

/// Replies being built: bytes, with stored values spliced in by reference.
#[derive(Default)]
pub struct Reply {
    /// The connection's protocol; it survives [`Reply::move_to`].
    pub protocol: Protocol,
    bytes: Vec<u8>,
    /// Values to insert: before byte `at` of `bytes`, the range of `value`.
    holes: Vec<Hole>,
    /// Bytes in the holes.
    shared_len: usize,
}

struct Hole {
    at: usize,
    value: SharedBytes,
    range: Range<usize>,
}

impl Reply {
    /// Bytes of reply so far, counting the values referred to.
    pub fn total_len(&self) -> usize {
        self.bytes.len() + self.shared_len
    }

    /// Appends `value` as a bulk string: referred to if it is long, copied
    /// if it is short.
    pub fn value(&mut self, value: &Bytes) {
        self.value_range(value, 0..value.len());
    }

    /// Appends `range` of `value` as a bulk string, the way [`Reply::value`]
    /// does.
    pub fn value_range(&mut self, value: &Bytes, range: Range<usize>) {
        if range.len() < SHARE_MIN_BYTES {
            return resp::bulk(&mut self.bytes, &value[range]);
        }
        let Some(shared) = value.shared() else { return resp::bulk(&mut self.bytes, &value[range]) };
        self.bytes.push(b'$');
        resp::push_decimal(&mut self.bytes, range.len() as i64);
        self.bytes.extend_from_slice(b"\r\n");
        self.shared_len += range.len();
        self.holes.push(Hole { at: self.bytes.len(), value: shared, range });
        self.bytes.extend_from_slice(b"\r\n");
    }

    /// Appends `s` as a bulk string, copied (an element of a compact
    /// encoding, which has no [`Bytes`] to share).
    pub fn item(&mut self, s: &[u8]) {
        resp::bulk(&mut self.bytes, s)
    }

    /// Appends `s` as a bulk string, or the null reply for `None`.
    pub fn item_or_null(&mut self, s: Option<&[u8]>) {
        match s {
            Some(s) => self.item(s),
            None => self.null(),
        }
    }

    /// Appends `value` as a bulk string, or the null reply for `None`.
    pub fn value_or_null(&mut self, value: Option<&Bytes>) {
        match value {
            Some(v) => self.value(v),
            None => self.null(),
        }
    }

    /// Appends the null reply: `$-1` in RESP2, `_` in RESP3.
    pub fn null(&mut self) {
        match self.protocol {
            Protocol::Resp2 => resp::null(&mut self.bytes),
            Protocol::Resp3 => self.bytes.extend_from_slice(b"_\r\n"),
        }
    }

    /// Appends the null array (`*-1`), which RESP3 writes as its one null.
    pub fn null_array(&mut self) {
        match self.protocol {
            Protocol::Resp2 => resp::null_array(&mut self.bytes),
            Protocol::Resp3 => self.bytes.extend_from_slice(b"_\r\n"),
        }
    }

    /// Appends the header of a map of `n` pairs: in RESP2 an array of
    /// `2n` elements, keys and values alternating.
    pub fn map(&mut self, n: usize) {
        match self.protocol {
            Protocol::Resp2 => resp::array(&mut self.bytes, 2 * n),
            Protocol::Resp3 => self.header(b'%', n),
        }
    }

    /// Appends the header of a set of `n` elements: an array in RESP2.
    pub fn set(&mut self, n: usize) {
        match self.protocol {
            Protocol::Resp2 => resp::array(&mut self.bytes, n),
            Protocol::Resp3 => self.header(b'~', n),
        }
    }

    /// Appends the header of `n` pairs (member and score, field and
    /// value) as Redis 7 answers `WITHSCORES`/`WITHVALUES`: a flat array of
    /// `2n` under RESP2, an array of `n` two-element arrays under RESP3,
    /// each pair opened by [`Reply::pair`].
    pub fn pairs(&mut self, n: usize) {
        match self.protocol {
            Protocol::Resp2 => resp::array(&mut self.bytes, 2 * n),
            Protocol::Resp3 => resp::array(&mut self.bytes, n),
        }
    }

    /// Opens one pair of a [`Reply::pairs`] reply: nothing under RESP2.
    pub fn pair(&mut self) {
        if self.protocol == Protocol::Resp3 {
            resp::array(&mut self.bytes, 2);
        }
    }

    /// Appends a double as Redis 7.0 writes one: `,` and the number under
    /// RESP3, a bulk string of the same text under RESP2, both as C's
    /// `%.17g` prints it (`1.1000000000000001`, `1.0000000000000001e+300`,
    /// `inf`). (Scores keep Redis's own score text, see `zset::format_score`.)
    #[cfg_attr(not(test), allow(dead_code))]
    pub fn double(&mut self, d: f64) {
        let text = g17(d);
        match self.protocol {
            Protocol::Resp2 => resp::bulk(&mut self.bytes, text.as_bytes()),
            Protocol::Resp3 => {
                self.bytes.push(b',');
                self.bytes.extend_from_slice(text.as_bytes());
                self.bytes.extend_from_slice(b"\r\n");
            }
        }
    }

    /// Appends text meant for people (`INFO`, `CLIENT LIST`): a bulk
    /// string in RESP2, a verbatim string of format `txt` in RESP3.
    pub fn verbatim(&mut self, text: &[u8]) {
        match self.protocol {
            Protocol::Resp2 => resp::bulk(&mut self.bytes, text),
            Protocol::Resp3 => {
                self.header(b'=', text.len() + 4);
                self.bytes.extend_from_slice(b"txt:");
                self.bytes.extend_from_slice(text);
                self.bytes.extend_from_slice(b"\r\n");
            }
        }
    }

    fn header(&mut self, kind: u8, n: usize) {
        self.bytes.push(kind);
        resp::push_decimal(&mut self.bytes, n as i64);
        self.bytes.extend_from_slice(b"\r\n");
    }

    /// Moves everything to the end of `out`, in order, leaving this empty
    /// (its buffer kept for reuse unless it grew large).
    pub fn move_to(&mut self, out: &mut Output) {
        let mut from = 0;
        if !self.holes.is_empty() {
            for hole in self.holes.drain(..) {
                out.extend_from_slice(&self.bytes[from..hole.at]);
                out.push_shared(hole.value, hole.range);
                from = hole.at;
            }
        }
        out.extend_from_slice(&self.bytes[from..]);
        self.bytes.clear();
        self.shared_len = 0;
        if self.bytes.capacity() > 64 << 10 {
            self.bytes = Vec::new();
        }
    }

    /// Everything as one byte string, values copied in, leaving this
    /// empty: for replies that travel as a message.
    pub fn take_bytes(&mut self) -> Vec<u8> {
        let v = if self.holes.is_empty() { self.bytes.clone() } else { self.to_vec() };
        self.bytes.clear();
        self.holes.clear();
        self.shared_len = 0;
        v
    }

    /// Everything as one byte string, values copied in.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.total_len());
        let mut from = 0;
        for hole in &self.holes {
            v.extend_from_slice(&self.bytes[from..hole.at]);
            v.extend_from_slice(&(*hole.value).as_ref()[hole.range.clone()]);
            from = hole.at;
        }
        v.extend_from_slice(&self.bytes[from..]);
        v
    }
}

impl Deref for Reply {
    type Target = Vec<u8>;

    fn deref(&self) -> &Vec<u8> {
        &self.bytes
    }
}

impl DerefMut for Reply {
    fn deref_mut(&mut self) -> &mut Vec<u8> {
        &mut self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resp3_shapes_differ_and_resp2_ones_stay() {
        let mut two = Reply::default();
        let mut three = Reply { protocol: Protocol::Resp3, ..Reply::default() };
        for r in [&mut two, &mut three] {
            r.null();
            r.null_array();
            r.map(1);
            r.set(2);
            r.double(1.5);
            r.double(f64::NEG_INFINITY);
            r.verbatim(b"a\r\n");
            r.value_or_null(None);
        }
        assert_eq!(two.to_vec(), b"$-1\r\n*-1\r\n*2\r\n*2\r\n$3\r\n1.5\r\n$4\r\n-inf\r\n$3\r\na\r\n\r\n$-1\r\n");
        assert_eq!(three.to_vec(), b"_\r\n_\r\n%1\r\n~2\r\n,1.5\r\n,-inf\r\n=7\r\ntxt:a\r\n\r\n_\r\n");
        let mut out = Output::new();
        three.move_to(&mut out);
        assert_eq!(three.protocol, Protocol::Resp3, "the protocol outlives the replies");
    }

    #[test]
    fn doubles_print_as_c_percent_17g() {
        let cases = [
            (1.1, "1.1000000000000001"),
            (1e300, "1.0000000000000001e+300"),
            (0.0000001, "9.9999999999999995e-08"),
            (0.0, "0"),
            (-0.0, "-0"),
            (1.5, "1.5"),
            (100.0, "100"),
            (1e16, "10000000000000000"),
            (1e17, "1e+17"),
            (0.0001, "0.0001"),
            (-2.5e-5, "-2.5000000000000001e-05"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
        ];
        for (d, want) in cases {
            assert_eq!(g17(d), want, "{d}");
        }
    }

    #[test]
    fn long_values_are_referred_to_and_short_ones_copied_in_order() {
        let long = Bytes::from_vec(vec![b'x'; SHARE_MIN_BYTES + 1]);
        let short = Bytes::new(b"hi");
        let mut r = Reply::default();
        resp::array(&mut r, 3);
        r.value(&long);
        r.value(&short);
        r.value_range(&long, 1..SHARE_MIN_BYTES + 1);
        assert_eq!(r.len(), 4 + 7 + 2 + 8 + 7 + 2, "only headers and short values are copied");
        assert_eq!(r.total_len(), r.len() + 2 * SHARE_MIN_BYTES + 1);
        let mut want = b"*3\r\n".to_vec();
        resp::bulk(&mut want, &long);
        resp::bulk(&mut want, b"hi");
        resp::bulk(&mut want, &long[1..]);
        assert_eq!(r.to_vec(), want);
        let mut out = Output::new();
        r.move_to(&mut out);
        assert_eq!(out.to_vec().unwrap(), want);
        assert_eq!(out.mem_len(), want.len() - (2 * SHARE_MIN_BYTES + 1), "the values are not copied");
        assert_eq!(r.total_len(), 0);
    }
}
