//! [`Packed`]: a sequence of byte strings in one buffer, Redis's listpack
//! in Rust terms, the compact encoding of small hashes, sets and lists
//! (and of each node of a long list).
//!
//! Each entry is its length as a LEB128 varint, its bytes, then the same
//! varint bytes in reverse order, so that the buffer can be walked from
//! either end: a 10-byte element costs 12 bytes, where a separately
//! allocated element costs its allocation, its header and a pointer.
//! Lookups are linear, which is why a collection leaves this encoding past
//! a few hundred elements or for long elements
//! ([`super::thresholds`]).
//!
//! Invariant: `buf` holds exactly `len` well-formed entries, back to back.

/// A sequence of byte strings packed into one buffer.
///
/// The entries are `buf[start..]`: room freed or made at the front (a
/// pop, or a push that found no room) stays there for the next push at
/// the front, so that pushes and pops at either end are amortised O(1)
/// rather than a move of the whole buffer. Offsets in the methods below
/// count from `start`.
#[derive(Clone, Debug, Default)]
pub struct Packed {
    buf: Vec<u8>,
    start: usize,
    len: usize,
}

impl PartialEq for Packed {
    fn eq(&self, other: &Packed) -> bool {
        self.len == other.len && self.buf[self.start..] == other.buf[other.start..]
    }
}

impl Eq for Packed {}

/// Bytes the varint of `n` takes.
fn varint_len(mut n: usize) -> usize {
    let mut k = 1;
    while n >= 0x80 {
        n >>= 7;
        k += 1;
    }
    k
}

fn push_varint(out: &mut Vec<u8>, mut n: usize) {
    while n >= 0x80 {
        out.push((n as u8 & 0x7f) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Bytes an entry of `n` bytes takes, headers included.
pub fn entry_bytes(n: usize) -> usize {
    n + 2 * varint_len(n)
}

fn encode(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(entry_bytes(s.len()));
    push_varint(&mut out, s.len());
    let head = out.len();
    out.extend_from_slice(s);
    let tail: Vec<u8> = out[..head].iter().rev().copied().collect();
    out.extend_from_slice(&tail);
    out
}

impl Packed {
    /// Entries held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Bytes of the entries.
    pub fn bytes(&self) -> usize {
        self.buf.len() - self.start
    }

    fn data(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    /// The entry starting at byte `at`, and where the next one starts.
    pub fn at(&self, at: usize) -> (&[u8], usize) {
        entry_at(self.data(), at)
    }

    fn before(&self, end: usize) -> (&[u8], usize) {
        entry_before(self.data(), end)
    }

    /// Every entry, first to last.
    pub fn iter(&self) -> Iter<'_> {
        entries(self.data())
    }

    /// The packed entries of `buf` (as [`Packed::into_vec`] gave them).
    pub fn from_vec(buf: Vec<u8>) -> Packed {
        let len = entries(&buf).count();
        Packed { buf, start: 0, len }
    }

    /// The buffer, to keep elsewhere (see [`entries`]).
    pub fn into_vec(mut self) -> Vec<u8> {
        self.buf.drain(..self.start);
        self.buf
    }

    /// Makes room for `n` more bytes at the back, growing by an eighth at
    /// least: the spare room stays small (a listpack of Redis grows by
    /// exactly what it needs, reallocating each time) while growth stays
    /// amortised.
    fn room(&mut self, n: usize) {
        if self.buf.capacity() - self.buf.len() < n {
            self.buf.reserve_exact(n.max(self.bytes() / 8).max(16));
        }
    }

    /// Byte offset of entry `i` (which must exist), walking from the nearer
    /// end.
    pub fn offset_of(&self, i: usize) -> usize {
        if i <= self.len / 2 {
            let mut at = 0;
            for _ in 0..i {
                at = self.at(at).1;
            }
            at
        } else {
            let mut at = self.bytes();
            for _ in i..self.len {
                at = self.before(at).1;
            }
            at
        }
    }

    /// Entry `i`.
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        (i < self.len).then(|| self.at(self.offset_of(i)).0)
    }

    /// Appends `s`.
    pub fn push_back(&mut self, s: &[u8]) {
        self.room(entry_bytes(s.len()));
        self.len += 1;
        if s.len() < 0x80 {
            self.buf.push(s.len() as u8);
            self.buf.extend_from_slice(s);
            self.buf.push(s.len() as u8);
            return;
        }
        push_varint(&mut self.buf, s.len());
        let head = self.buf.len() - varint_len(s.len());
        self.buf.extend_from_slice(s);
        for k in (head..head + varint_len(s.len())).rev() {
            let b = self.buf[k];
            self.buf.push(b);
        }
    }

    /// Inserts `s` as the entry starting at byte `at` (0 for the front,
    /// [`Packed::bytes`] for the back).
    pub fn insert_at(&mut self, at: usize, s: &[u8]) {
        if at == 0 {
            return self.push_front(s);
        }
        if at == self.bytes() {
            return self.push_back(s);
        }
        self.room(entry_bytes(s.len()));
        self.buf.splice(self.start + at..self.start + at, encode(s));
        self.len += 1;
    }

    /// Prepends `s`, into the room at the front; when there is too little,
    /// makes a quarter of the entries' size more, so that a run of pushes
    /// at the front moves the entries O(1) times each.
    pub fn push_front(&mut self, s: &[u8]) {
        let e = entry_bytes(s.len());
        if self.start < e {
            let extra = e.max(self.bytes() / 4).max(16) - self.start;
            self.buf.splice(0..0, std::iter::repeat_n(0, extra));
            self.start += extra;
        }
        self.start -= e;
        let encoded = encode(s);
        self.buf[self.start..self.start + e].copy_from_slice(&encoded);
        self.len += 1;
    }

    /// Removes the entry at byte `at`.
    pub fn remove_at(&mut self, at: usize) {
        let next = self.at(at).1;
        if at == 0 {
            self.start += next;
        } else {
            self.buf.drain(self.start + at..self.start + next);
        }
        self.len -= 1;
        self.tidy();
    }

    /// Replaces the entry at byte `at` with `s`.
    pub fn replace_at(&mut self, at: usize, s: &[u8]) {
        let next = self.at(at).1;
        let (from, to) = (self.start + at, self.start + next);
        if next - at == entry_bytes(s.len()) {
            let h = varint_len(s.len());
            self.buf[from + h..from + h + s.len()].copy_from_slice(s);
            return;
        }
        self.room(entry_bytes(s.len()).saturating_sub(next - at));
        self.buf.splice(from..to, encode(s));
    }

    /// Removes the first entry.
    pub fn pop_front(&mut self) -> Option<crate::bytes::Bytes> {
        if self.len == 0 {
            return None;
        }
        let (v, next) = self.at(0);
        let v = crate::bytes::Bytes::new(v);
        self.start += next;
        self.len -= 1;
        self.tidy();
        Some(v)
    }

    /// Removes the last entry.
    pub fn pop_back(&mut self) -> Option<crate::bytes::Bytes> {
        if self.len == 0 {
            return None;
        }
        let (v, at) = self.before(self.bytes());
        let v = crate::bytes::Bytes::new(v);
        self.buf.truncate(self.start + at);
        self.len -= 1;
        self.tidy();
        Some(v)
    }

    /// Removes the first `n` entries.
    pub fn drop_front(&mut self, n: usize) {
        let n = n.min(self.len);
        let mut at = 0;
        for _ in 0..n {
            at = self.at(at).1;
        }
        self.start += at;
        self.len -= n;
        self.tidy();
    }

    /// Removes the last `n` entries.
    pub fn drop_back(&mut self, n: usize) {
        let n = n.min(self.len);
        let mut at = self.bytes();
        for _ in 0..n {
            at = self.before(at).1;
        }
        self.buf.truncate(self.start + at);
        self.len -= n;
        self.tidy();
    }

    /// Keeps the room at the front below the entries' own size (and none
    /// once they are gone): amortised, as the pops that made it.
    fn tidy(&mut self) {
        if self.len == 0 {
            self.buf.clear();
            self.start = 0;
        } else if self.start > 64 && self.start > self.bytes() {
            self.buf.drain(..self.start);
            self.start = 0;
        }
    }

    /// Splits off the entries from `i` on into a new sequence.
    pub fn split_off(&mut self, i: usize) -> Packed {
        let at = self.start + self.offset_of(i);
        let rest = Packed { buf: self.buf.split_off(at), start: 0, len: self.len - i };
        self.len = i;
        rest
    }

    /// Gives back all spare room, front and back.
    pub fn fit(&mut self) {
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.shrink_to_fit();
    }

    /// Gives back spare room when more than a quarter is unused.
    pub fn shrink(&mut self) {
        if self.buf.capacity() - self.bytes() > self.bytes() / 4 + 16 {
            self.fit();
        }
    }
}

/// The entry of `buf` starting at byte `at`, and where the next one starts.
pub fn entry_at(buf: &[u8], at: usize) -> (&[u8], usize) {
    let (mut n, mut shift, mut i) = (0usize, 0, at);
    loop {
        let b = buf[i];
        n |= ((b & 0x7f) as usize) << shift;
        i += 1;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    let head = i - at;
    (&buf[i..i + n], i + n + head)
}

/// The entry of `buf` ending just before byte `end`, and where it starts.
fn entry_before(buf: &[u8], end: usize) -> (&[u8], usize) {
    let (mut n, mut shift, mut i) = (0usize, 0, end);
    loop {
        i -= 1;
        let b = buf[i];
        n |= ((b & 0x7f) as usize) << shift;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    let head = end - i;
    (&buf[i - n..i], i - n - head)
}

/// The entries of a packed buffer, from either end.
pub fn entries(buf: &[u8]) -> Iter<'_> {
    Iter { buf, front: 0, back: buf.len() }
}

/// The entries of a [`Packed`], from either end.
pub struct Iter<'a> {
    buf: &'a [u8],
    front: usize,
    back: usize,
}

impl<'a> Iter<'a> {
    /// Byte offset of the entry [`Iterator::next`] will yield.
    pub fn offset(&self) -> usize {
        self.front
    }
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.front >= self.back {
            return None;
        }
        let (v, next) = entry_at(self.buf, self.front);
        self.front = next;
        Some(v)
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.back <= self.front {
            return None;
        }
        let (v, start) = entry_before(self.buf, self.back);
        self.back = start;
        Some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn entries_of_every_length_class_read_back_from_both_ends() {
        let mut p = Packed::default();
        let items: Vec<Vec<u8>> =
            [0usize, 1, 127, 128, 300, 16_383, 16_384, 70_000].iter().map(|&n| vec![7u8; n]).collect();
        for i in &items {
            p.push_back(i);
        }
        assert_eq!(p.iter().collect::<Vec<_>>(), items.iter().map(|v| &v[..]).collect::<Vec<_>>());
        assert_eq!(p.iter().rev().count(), items.len());
        assert_eq!(p.iter().next_back().unwrap().len(), 70_000);
        assert_eq!(entry_bytes(10), 12, "a short entry costs two bytes beside its own");
        for (i, v) in items.iter().enumerate() {
            assert_eq!(p.get(i).unwrap(), &v[..]);
        }
    }

    proptest! {
        #[test]
        fn a_packed_sequence_behaves_as_a_deque(ops in proptest::collection::vec((0u8..8, 0usize..40, proptest::collection::vec(any::<u8>(), 0..200)), 1..80)) {
            let mut p = Packed::default();
            let mut m: std::collections::VecDeque<Vec<u8>> = Default::default();
            for (op, i, v) in ops {
                match op {
                    0 => { p.push_back(&v); m.push_back(v); }
                    1 => { p.push_front(&v); m.push_front(v); }
                    2 => prop_assert_eq!(p.pop_front().map(|b| b.to_vec()), m.pop_front()),
                    3 => prop_assert_eq!(p.pop_back().map(|b| b.to_vec()), m.pop_back()),
                    4 if i < m.len() => { p.replace_at(p.offset_of(i), &v); m[i] = v; }
                    5 if i <= m.len() => { let at = if i == m.len() { p.bytes() } else { p.offset_of(i) }; p.insert_at(at, &v); m.insert(i, v); }
                    6 if i < m.len() => { p.remove_at(p.offset_of(i)); m.remove(i); }
                    7 => { let n = i % 4; p.drop_front(n); p.drop_back(n); for _ in 0..n { m.pop_front(); m.pop_back(); } }
                    _ => {}
                }
                prop_assert_eq!(p.len(), m.len());
                prop_assert_eq!(p.iter().map(|s| s.to_vec()).collect::<Vec<_>>(), m.iter().cloned().collect::<Vec<_>>());
                prop_assert_eq!(p.iter().rev().map(|s| s.to_vec()).collect::<Vec<_>>(), m.iter().rev().cloned().collect::<Vec<_>>());
            }
            if m.len() > 2 {
                let rest = p.split_off(2);
                prop_assert_eq!(p.len() + rest.len(), m.len());
                prop_assert_eq!(rest.iter().map(|s| s.to_vec()).collect::<Vec<_>>(), m.iter().skip(2).cloned().collect::<Vec<_>>());
            }
        }
    }
}
