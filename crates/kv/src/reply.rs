//! [`Reply`]: the replies of one batch of commands, where stored values
//! are referred to rather than copied.
//!
//! Replies are mostly small, and written with the codec's functions into a
//! byte buffer (a `Reply` dereferences to it). A long stored value goes in
//! as a hole in that buffer that refers to the value ([`Reply::value`]);
//! [`Reply::move_to`] hands the bytes and the values to the engine's
//! output in order, which writes them with one vectored write and never
//! copies the values.

use std::ops::{Deref, DerefMut, Range};

use switchyard_codec::resp;
use switchyard_engine::{Output, SharedBytes};

use crate::bytes::Bytes;

/// Values shorter than this are copied into the reply: a copy of a few KiB
/// costs less than another slice in the vectored write.
pub const SHARE_MIN_BYTES: usize = 4 << 10;

/// Replies being built: bytes, with stored values spliced in by reference.
#[derive(Default)]
pub struct Reply {
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

    /// Appends `value` as a bulk string, or the null reply for `None`.
    pub fn value_or_null(&mut self, value: Option<&Bytes>) {
        match value {
            Some(v) => self.value(v),
            None => resp::null(&mut self.bytes),
        }
    }

    /// Moves everything to the end of `out`, in order, leaving this empty
    /// (its buffer kept for reuse unless it grew large).
    pub fn move_to(&mut self, out: &mut Output) {
        let mut from = 0;
        for hole in self.holes.drain(..) {
            out.extend_from_slice(&self.bytes[from..hole.at]);
            out.push_shared(hole.value, hole.range);
            from = hole.at;
        }
        out.extend_from_slice(&self.bytes[from..]);
        self.bytes.clear();
        self.shared_len = 0;
        if self.bytes.capacity() > 64 << 10 {
            self.bytes = Vec::new();
        }
    }

    /// Everything as one byte string, values copied in.
    #[cfg(test)]
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
