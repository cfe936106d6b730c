//! [`Bytes`]: a byte string that keeps short contents inline and shares
//! long ones.
//!
//! Keys and values are mostly short (`key:000000123456`, a 16-byte value),
//! so a store of a million of them spends more on allocator headers than on
//! data if every one is a heap allocation. Up to [`INLINE_BYTES`] bytes live
//! inside the 24-byte value itself. Longer ones live on the heap behind a
//! reference count, so that a reply carries the stored value without a copy
//! ([`Bytes::shared`]): a `GET` of a 512 MB value from eight clients costs
//! eight references, not 4 GB. A change to a value that a reply still
//! refers to copies it first ([`Bytes::make_mut`]); otherwise it is changed
//! in place (`APPEND` grows it like a `Vec`, amortised O(1)).

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use switchyard_engine::SharedBytes;

/// The most bytes kept inline.
pub const INLINE_BYTES: usize = 22;

/// A byte string; compares, hashes and borrows as `[u8]`.
#[derive(Clone)]
pub enum Bytes {
    /// Short contents, stored in place.
    Inline {
        /// How many bytes of `buf` are used.
        len: u8,
        /// The contents, then unused bytes.
        buf: [u8; INLINE_BYTES],
    },
    /// Longer contents, on the heap, shared with the replies that carry them.
    Heap(Arc<Vec<u8>>),
}

impl Bytes {
    /// A copy of `s`.
    pub fn new(s: &[u8]) -> Bytes {
        if s.len() <= INLINE_BYTES {
            let mut buf = [0u8; INLINE_BYTES];
            buf[..s.len()].copy_from_slice(s);
            Bytes::Inline { len: s.len() as u8, buf }
        } else {
            Bytes::Heap(Arc::new(s.to_vec()))
        }
    }

    /// Takes `v` without copying when it is too long to inline.
    pub fn from_vec(v: Vec<u8>) -> Bytes {
        if v.len() <= INLINE_BYTES {
            Bytes::new(&v)
        } else {
            Bytes::Heap(Arc::new(v))
        }
    }

    /// The contents as a buffer that replies can share without a copy;
    /// `None` for inline contents (copying those is cheaper).
    pub fn shared(&self) -> Option<SharedBytes> {
        match self {
            Bytes::Inline { .. } => None,
            Bytes::Heap(v) => Some(v.clone()),
        }
    }

    /// Long contents that something besides this value refers to (a reply
    /// on its way).
    pub fn is_shared(&self) -> bool {
        matches!(self, Bytes::Heap(v) if Arc::strong_count(v) > 1)
    }

    /// The very same contents as `other` (not only equal ones): a value
    /// that nothing replaced meanwhile.
    pub fn same(&self, other: &Bytes) -> bool {
        match (self, other) {
            (Bytes::Heap(a), Bytes::Heap(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }

    /// The contents, to change in place: copied first only if a reply
    /// still refers to them. Inline contents move to the heap.
    pub fn make_mut(&mut self) -> &mut Vec<u8> {
        if let Bytes::Inline { .. } = self {
            *self = Bytes::Heap(Arc::new(self.as_slice().to_vec()));
        }
        match self {
            Bytes::Heap(v) => Arc::make_mut(v),
            Bytes::Inline { .. } => unreachable!("moved to the heap above"),
        }
    }

    /// The contents.
    pub fn as_slice(&self) -> &[u8] {
        match self {
            Bytes::Inline { len, buf } => &buf[..*len as usize],
            Bytes::Heap(b) => b,
        }
    }
}

impl std::ops::Deref for Bytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl Borrow<[u8]> for Bytes {
    fn borrow(&self) -> &[u8] {
        self.as_slice()
    }
}

impl PartialEq for Bytes {
    fn eq(&self, other: &Bytes) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for Bytes {}

impl PartialOrd for Bytes {
    fn partial_cmp(&self, other: &Bytes) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Bytes {
    fn cmp(&self, other: &Bytes) -> std::cmp::Ordering {
        self.as_slice().cmp(other.as_slice())
    }
}

impl Hash for Bytes {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state)
    }
}

impl fmt::Debug for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_slice()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn bytes_are_24_bytes_wide() {
        assert_eq!(std::mem::size_of::<Bytes>(), 24);
    }

    #[test]
    fn short_and_long_contents_read_back_and_look_up_as_slices() {
        let short = Bytes::new(b"key:000000123456");
        let long = Bytes::from_vec(vec![7u8; 100]);
        assert!(short.shared().is_none());
        assert_eq!((*long.shared().unwrap()).as_ref(), &[7u8; 100][..]);
        assert!(matches!(short, Bytes::Inline { .. }));
        assert!(matches!(long, Bytes::Heap(_)));
        let mut map = HashMap::new();
        map.insert(short, 1);
        map.insert(long, 2);
        assert_eq!(map.get(&b"key:000000123456"[..]), Some(&1));
        assert_eq!(map.get(&[7u8; 100][..]), Some(&2));
        assert_eq!(Bytes::new(b""), Bytes::from_vec(Vec::new()));
    }

    #[test]
    fn a_change_copies_only_what_a_reply_still_shares() {
        let mut v = Bytes::from_vec(vec![1u8; 64]);
        let before = v.as_slice().as_ptr();
        v.make_mut()[1] = 2;
        assert_eq!(v.as_slice().as_ptr(), before, "not shared: changed in place");
        assert!(!v.is_shared());
        let reply = v.shared().unwrap();
        assert!(v.is_shared());
        assert!(v.same(&v.clone()) && !v.same(&Bytes::from_vec(v.to_vec())));
        v.make_mut()[0] = 9;
        assert_eq!((*reply).as_ref()[0], 1, "the reply keeps what it was given");
        assert_eq!(v[0], 9);
        let mut short = Bytes::new(b"ab");
        short.make_mut().extend_from_slice(b"cd");
        assert_eq!(&short[..], b"abcd");
    }
}
