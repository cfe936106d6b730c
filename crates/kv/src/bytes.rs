//! [`Bytes`]: an immutable byte string that keeps short contents inline.
//!
//! Keys and values are mostly short (`key:000000123456`, a 16-byte value),
//! so a store of a million of them spends more on allocator headers than on
//! data if every one is a heap allocation. Up to [`INLINE_BYTES`] bytes live
//! inside the 24-byte value itself; longer ones in a boxed slice.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};

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
    /// Longer contents, on the heap.
    Heap(Box<[u8]>),
}

impl Bytes {
    /// A copy of `s`.
    pub fn new(s: &[u8]) -> Bytes {
        if s.len() <= INLINE_BYTES {
            let mut buf = [0u8; INLINE_BYTES];
            buf[..s.len()].copy_from_slice(s);
            Bytes::Inline { len: s.len() as u8, buf }
        } else {
            Bytes::Heap(s.into())
        }
    }

    /// Takes `v` without copying when it is too long to inline.
    pub fn from_vec(v: Vec<u8>) -> Bytes {
        if v.len() <= INLINE_BYTES {
            Bytes::new(&v)
        } else {
            Bytes::Heap(v.into_boxed_slice())
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
        assert!(matches!(short, Bytes::Inline { .. }));
        assert!(matches!(long, Bytes::Heap(_)));
        let mut map = HashMap::new();
        map.insert(short, 1);
        map.insert(long, 2);
        assert_eq!(map.get(&b"key:000000123456"[..]), Some(&1));
        assert_eq!(map.get(&[7u8; 100][..]), Some(&2));
        assert_eq!(Bytes::new(b""), Bytes::from_vec(Vec::new()));
    }
}
