//! [`Dense`]: the hash table of a big set or hash, whose entries sit in one
//! vector so that a random entry is a random index, O(1) (`SPOP`,
//! `SRANDMEMBER`, `HRANDFIELD`), where the buckets of an ordinary hash
//! table would have to be walked.
//!
//! Invariants: `index` holds exactly one position per entry of `entries`,
//! found under the hash of that entry's key; a removal moves the last entry
//! into the hole and re-points that entry's slot, so `entries` has no
//! holes. Entries are in no particular order (insertion order, shuffled by
//! removals).
//!
//! The index keeps 4-byte positions and no hashes: a lookup compares
//! against the entry's key in the vector, and a growing index rehashes the
//! keys. So the table costs about one vector slot and one to two 5-byte
//! index buckets per entry, less than a hash set of the same entries.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;

use hashbrown::HashTable;

use super::Rng;
use crate::bytes::Bytes;

/// An entry of a [`Dense`] table: something with a byte-string key.
pub trait Keyed {
    /// The key the table finds the entry by.
    fn key(&self) -> &[u8];
}

impl Keyed for Bytes {
    fn key(&self) -> &[u8] {
        self
    }
}

impl Keyed for (Bytes, Bytes) {
    fn key(&self) -> &[u8] {
        &self.0
    }
}

/// Fewest entries a table keeps room for when it shrinks.
const MIN_CAPACITY: usize = 64;

/// A hash table of entries in a vector, with O(1) random picks.
///
/// # Panics
///
/// Past `u32::MAX` entries (positions are 32-bit).
#[derive(Clone, Debug)]
pub struct Dense<E> {
    /// Every entry, without holes.
    entries: Vec<E>,
    /// The position in `entries` of each entry, by the hash of its key.
    index: HashTable<u32>,
    /// The table's hash keys, random per table as a std hash map's.
    state: RandomState,
}

impl<E> Default for Dense<E> {
    fn default() -> Dense<E> {
        Dense { entries: Vec::new(), index: HashTable::new(), state: RandomState::new() }
    }
}

impl<E: Keyed> Dense<E> {
    /// An empty table with room for `n` entries.
    pub fn with_capacity(n: usize) -> Dense<E> {
        Dense { entries: Vec::with_capacity(n), index: HashTable::with_capacity(n), state: RandomState::new() }
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// No entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn hash(&self, key: &[u8]) -> u64 {
        self.state.hash_one(key)
    }

    /// The position of the entry keyed `key`.
    fn find(&self, key: &[u8]) -> Option<usize> {
        let entries = &self.entries;
        self.index.find(self.hash(key), |&i| entries[i as usize].key() == key).map(|&i| i as usize)
    }

    /// The entry keyed `key`.
    pub fn get(&self, key: &[u8]) -> Option<&E> {
        self.find(key).map(|i| &self.entries[i])
    }

    /// The same, to change (not its key).
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut E> {
        self.find(key).map(|i| &mut self.entries[i])
    }

    /// Whether an entry is keyed `key`.
    pub fn contains(&self, key: &[u8]) -> bool {
        self.find(key).is_some()
    }

    /// Adds `e`, unless an entry has its key; true if added.
    pub fn insert(&mut self, e: E) -> bool {
        let hash = self.hash(e.key());
        let Dense { entries, index, state } = self;
        if index.find(hash, |&i| entries[i as usize].key() == e.key()).is_some() {
            return false;
        }
        let at = u32::try_from(entries.len()).expect("a collection holds fewer than 2^32 elements");
        entries.push(e);
        index.insert_unique(hash, at, |&i| state.hash_one(entries[i as usize].key()));
        true
    }

    /// Removes the entry keyed `key`.
    pub fn remove(&mut self, key: &[u8]) -> Option<E> {
        let at = self.find(key)?;
        Some(self.remove_at(at))
    }

    /// Removes the entry at position `at` (below [`Dense::len`]), moving
    /// the last entry into its place: O(1).
    pub fn remove_at(&mut self, at: usize) -> E {
        let hash = self.hash(self.entries[at].key());
        match self.index.find_entry(hash, |&i| i as usize == at) {
            Ok(slot) => {
                slot.remove();
            }
            Err(_) => unreachable!("every entry has a slot"),
        }
        let e = self.entries.swap_remove(at);
        if at < self.entries.len() {
            let last = self.entries.len() as u32;
            let hash = self.hash(self.entries[at].key());
            match self.index.find_mut(hash, |&i| i == last) {
                Some(slot) => *slot = at as u32,
                None => unreachable!("every entry has a slot"),
            }
        }
        self.shrink();
        e
    }

    /// Gives memory back once three quarters of the room are unused, to
    /// half the room (so that shrinking and growing again are amortised).
    fn shrink(&mut self) {
        let room = self.entries.capacity();
        if room > MIN_CAPACITY && self.entries.len() < room / 4 {
            let keep = (room / 2).max(MIN_CAPACITY);
            self.entries.shrink_to(keep);
            let Dense { entries, index, state } = self;
            index.shrink_to(keep, |&i| state.hash_one(entries[i as usize].key()));
        }
    }

    /// The entry at position `at`.
    pub fn at(&self, at: usize) -> &E {
        &self.entries[at]
    }

    /// A position picked uniformly at random, if any entry.
    pub fn random(&self, rng: &mut Rng) -> Option<usize> {
        (!self.is_empty()).then(|| rng.below(self.len()))
    }

    /// Every entry, in no particular order.
    pub fn iter(&self) -> std::slice::Iter<'_, E> {
        self.entries.iter()
    }

    /// Empties the table, giving its entries.
    pub fn take_all(&mut self) -> Vec<E> {
        self.index = HashTable::new();
        std::mem::take(&mut self.entries)
    }
}

#[cfg(test)]
mod tests {
    use super::super::Rng;
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    fn key(k: u16) -> Bytes {
        Bytes::new(format!("member{k}").as_bytes())
    }

    /// Every position is found again under its key: the index invariant.
    fn assert_indexed(t: &Dense<Bytes>, model: &HashSet<u16>) -> Result<(), TestCaseError> {
        prop_assert_eq!(t.len(), model.len());
        prop_assert_eq!(t.index.len(), model.len());
        for i in 0..t.len() {
            prop_assert_eq!(t.find(t.at(i)), Some(i));
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn a_dense_table_agrees_with_a_hash_set_and_picks_only_members(
            ops in proptest::collection::vec((0u8..6, 0u16..400), 1..2000)
        ) {
            let mut t: Dense<Bytes> = Dense::default();
            let mut model: HashSet<u16> = HashSet::new();
            let mut rng = Rng::new();
            for (op, k) in ops {
                match op {
                    0 | 1 => prop_assert_eq!(t.insert(key(k)), model.insert(k)),
                    2 => prop_assert_eq!(t.remove(&key(k)).map(|b| b.to_vec()), model.take(&k).map(|k| key(k).to_vec())),
                    3 => prop_assert_eq!(t.contains(&key(k)), model.contains(&k)),
                    4 => match t.random(&mut rng) {
                        Some(i) => {
                            let got = String::from_utf8(t.at(i).to_vec()).unwrap();
                            let n: u16 = got.trim_start_matches("member").parse().unwrap();
                            prop_assert!(model.contains(&n), "picked {} which is not a member", got);
                        }
                        None => prop_assert!(model.is_empty()),
                    },
                    _ => {
                        // A random pop, as SPOP.
                        if let Some(i) = t.random(&mut rng) {
                            let got = String::from_utf8(t.remove_at(i).to_vec()).unwrap();
                            let n: u16 = got.trim_start_matches("member").parse().unwrap();
                            prop_assert!(model.remove(&n), "popped {} which was not a member", got);
                        }
                    }
                }
                prop_assert_eq!(t.len(), model.len());
            }
            assert_indexed(&t, &model)?;
            let all: HashSet<Vec<u8>> = t.iter().map(|b| b.to_vec()).collect();
            let want: HashSet<Vec<u8>> = model.iter().map(|&k| key(k).to_vec()).collect();
            prop_assert_eq!(all, want);
        }
    }

    #[test]
    fn a_table_shrinks_after_most_entries_go_and_still_finds_the_rest() {
        let mut t: Dense<Bytes> = Dense::default();
        for k in 0..10_000 {
            assert!(t.insert(key(k)));
        }
        let mut rng = Rng::new();
        while t.len() > 100 {
            let i = t.random(&mut rng).unwrap();
            t.remove_at(i);
        }
        assert!(t.entries.capacity() < 1000, "room {} for 100 entries", t.entries.capacity());
        for i in 0..t.len() {
            assert_eq!(t.find(t.at(i)), Some(i));
        }
    }

    #[test]
    fn random_picks_reach_every_entry() {
        let mut t: Dense<Bytes> = Dense::default();
        for k in 0..8 {
            t.insert(key(k));
        }
        let mut rng = Rng::new();
        let seen: HashSet<usize> = (0..1000).map(|_| t.random(&mut rng).unwrap()).collect();
        assert_eq!(seen.len(), 8);
    }
}
