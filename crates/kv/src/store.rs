//! The keyspace: databases of keys, each split into shards. A key holds a
//! [`Value`]: a string or a collection.
//!
//! Each database is [`SHARDS`] hash maps, each behind its own mutex, chosen
//! by a hash of the key: commands on different keys from different
//! connections rarely wait on each other. A command that touches several
//! keys locks their shards together, in ascending shard order, so that it is
//! atomic and two such commands cannot deadlock.
//!
//! A transaction (`EXEC`, [`crate::multi`]) locks every shard its
//! commands touch up front, in the same ascending order (databases first,
//! then shards), and lends them to those commands through [`View`]s over a
//! [`Held`] set: inside it, a command's own locking finds the shard already
//! held instead of locking it again.
//!
//! `WATCH` registers a key in its shard's table of watched keys; every
//! change to a registered key (a write, a removal, expiry, a flush) bumps
//! its version there, and `EXEC` compares versions.
//!
//! Expiry times are absolute Unix milliseconds, kept in a second map per
//! shard that holds only the keys with a time to live. A key past its time
//! is removed when it is next touched ([`Shard::expire_if_due`]) or by the
//! background sweep ([`Shard::sweep`]), which takes due keys from a third
//! structure ordered by expiry time: its work is the keys that expired,
//! not all the keys with a time to live.

use std::cell::{RefCell, RefMut};
use std::collections::hash_map::RandomState;
use std::collections::{BTreeSet, HashMap};
use std::hash::BuildHasher;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::bytes::Bytes;
use crate::types::{Kind, Value, WrongType};

/// Shards per database. Not a power of two on purpose: a hash map's table
/// doubles, so with a power-of-two count every shard crosses a doubling at
/// the same total key count (a million keys across 64 shards leaves every
/// table just past a doubling, half empty); 80 moves those points.
pub const SHARDS: usize = 80;

/// What a key costs besides its bytes: the map slot and bookkeeping, as
/// counted against `maxmemory`.
const ENTRY_OVERHEAD_BYTES: i64 = 64;

/// What a write does to a key's time to live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ttl {
    /// Remove it (a plain `SET`).
    Clear,
    /// Keep whatever it was (`KEEPTTL`, `INCR`, `APPEND`).
    Keep,
    /// Expire at this Unix time in milliseconds.
    At(u64),
}

/// One shard of one database.
pub struct Shard {
    /// Every key and its value.
    map: HashMap<Bytes, Value>,
    /// The keys that have a time to live, and when they expire.
    expires: HashMap<Bytes, u64>,
    /// The same keys ordered by expiry, so the sweep finds the due ones
    /// without looking at the others.
    by_time: BTreeSet<(u64, Bytes)>,
    /// Lookups that found their key (for `INFO stats`).
    pub hits: u64,
    /// Lookups that did not.
    pub misses: u64,
    /// Keys removed because their time passed.
    pub expired: u64,
    /// The store-wide estimate of memory used, shared by every shard.
    mem: Arc<AtomicI64>,
    /// Keys some connection `WATCH`es: their version, bumped by every
    /// change, and how many connections watch them.
    watched: HashMap<Bytes, Watch>,
}

/// A watched key's entry in its shard.
#[derive(Clone, Copy, Debug)]
struct Watch {
    version: u64,
    watchers: usize,
}

fn cost(key: &[u8], value: &Value) -> i64 {
    ENTRY_OVERHEAD_BYTES + key.len() as i64 + value.mem() as i64
}

impl Shard {
    fn new(mem: Arc<AtomicI64>) -> Shard {
        Shard {
            map: HashMap::new(),
            expires: HashMap::new(),
            by_time: BTreeSet::new(),
            hits: 0,
            misses: 0,
            expired: 0,
            mem,
            watched: HashMap::new(),
        }
    }

    /// Notes a change to `key` for its watchers.
    fn touch(&mut self, key: &[u8]) {
        if self.watched.is_empty() {
            return;
        }
        if let Some(w) = self.watched.get_mut(key) {
            w.version += 1;
        }
    }

    /// Registers one more watcher of `key`; the key's current version.
    pub fn watch(&mut self, key: &[u8]) -> u64 {
        let w = self.watched.entry(Bytes::new(key)).or_insert(Watch { version: 0, watchers: 0 });
        w.watchers += 1;
        w.version
    }

    /// Removes one watcher of `key`; the entry goes with the last one.
    pub fn unwatch(&mut self, key: &[u8]) {
        if let Some(w) = self.watched.get_mut(key) {
            w.watchers -= 1;
            if w.watchers == 0 {
                self.watched.remove(key);
            }
        }
    }

    /// The version of a watched `key` (0 if nobody watches it).
    pub fn version(&self, key: &[u8]) -> u64 {
        self.watched.get(key).map_or(0, |w| w.version)
    }

    /// Removes `key` if its time has passed; true if it did.
    pub fn expire_if_due(&mut self, key: &[u8], now_ms: u64) -> bool {
        if self.expires.is_empty() {
            return false;
        }
        match self.expires.get(key) {
            Some(&at) if at <= now_ms => {
                self.remove(key);
                self.expired += 1;
                true
            }
            _ => false,
        }
    }

    /// The live value of `key`, of any type, counting a hit or a miss.
    pub fn value(&mut self, key: &[u8], now_ms: u64) -> Option<&Value> {
        self.expire_if_due(key, now_ms);
        let v = self.map.get(key);
        if v.is_some() {
            self.hits += 1;
        } else {
            self.misses += 1;
        }
        v
    }

    /// The live string at `key`, counting a hit or a miss; [`WrongType`]
    /// if it holds a collection.
    pub fn get(&mut self, key: &[u8], now_ms: u64) -> Result<Option<&Bytes>, WrongType> {
        self.value(key, now_ms).map(Value::as_str).transpose()
    }

    /// Whether `key` is live, without counting a hit or a miss.
    pub fn contains(&mut self, key: &[u8], now_ms: u64) -> bool {
        self.expire_if_due(key, now_ms);
        self.map.contains_key(key)
    }

    /// The live value of `key`, of any type, without counting.
    pub fn peek_value(&mut self, key: &[u8], now_ms: u64) -> Option<&Value> {
        self.expire_if_due(key, now_ms);
        self.map.get(key)
    }

    /// The live string at `key`, without counting; [`WrongType`] if it
    /// holds a collection.
    pub fn peek(&mut self, key: &[u8], now_ms: u64) -> Result<Option<&Bytes>, WrongType> {
        self.peek_value(key, now_ms).map(Value::as_str).transpose()
    }

    /// The stored value of `key`, expired or not (for logging).
    pub fn stored(&self, key: &[u8]) -> Option<&Value> {
        self.map.get(key)
    }

    /// The live collection of type `T` at `key`, counting a hit or a miss;
    /// [`WrongType`] if the key holds another type.
    pub fn read<T: Kind>(&mut self, key: &[u8], now_ms: u64) -> Result<Option<&T>, WrongType> {
        self.value(key, now_ms).map(T::of).transpose()
    }

    /// Changes the collection of type `T` at `key` with `f`, creating an
    /// empty one first if the key is absent and `create` is set; removes the
    /// key if `f` left it empty. `Ok(None)` (and `f` not called) if the key
    /// is absent and not to be created; [`WrongType`] if it holds another
    /// type. Keeps the memory estimate right.
    pub fn write<T: Kind, R>(
        &mut self,
        key: &[u8],
        now_ms: u64,
        create: bool,
        f: impl FnOnce(&mut T) -> R,
    ) -> Result<Option<R>, WrongType> {
        self.expire_if_due(key, now_ms);
        let (r, empty) = match self.map.get_mut(key) {
            Some(v) => {
                let before = cost(key, v);
                let c = T::of_mut(v)?;
                // A change for the key's watchers (`WATCH`), even if `f`
                // turns out to change nothing: an EXEC may fail needlessly,
                // never succeed wrongly.
                if let Some(w) = self.watched.get_mut(key) {
                    w.version += 1;
                }
                let r = f(c);
                let empty = c.is_empty();
                self.mem.fetch_add(cost(key, v) - before, Ordering::Relaxed);
                (r, empty)
            }
            None if create => {
                let mut c = T::default();
                let r = f(&mut c);
                if !c.is_empty() {
                    self.insert_value(key, c.wrap(), Ttl::Keep);
                }
                return Ok(Some(r));
            }
            None => return Ok(None),
        };
        if empty {
            self.remove(key);
        }
        Ok(Some(r))
    }

    /// When `key` expires; `None` if it has no time to live (or is absent).
    pub fn expire_at(&self, key: &[u8]) -> Option<u64> {
        self.expires.get(key).copied()
    }

    /// Sets `key` to the string `value`, whatever it held, and its time to
    /// live as `ttl` says.
    pub fn insert(&mut self, key: &[u8], value: Bytes, ttl: Ttl) {
        self.insert_value(key, Value::Str(value), ttl)
    }

    /// Sets `key` to `value`, whatever it held, and its time to live as
    /// `ttl` says.
    pub fn insert_value(&mut self, key: &[u8], value: Value, ttl: Ttl) {
        self.touch(key);
        let added = cost(key, &value);
        let delta = match self.map.get_mut(key) {
            Some(old) => {
                let d = added - cost(key, old);
                *old = value;
                d
            }
            None => {
                self.map.insert(Bytes::new(key), value);
                added
            }
        };
        self.mem.fetch_add(delta, Ordering::Relaxed);
        match ttl {
            Ttl::Keep => {}
            Ttl::Clear => {
                self.set_expire(key, None);
            }
            Ttl::At(at) => {
                self.set_expire(key, Some(at));
            }
        }
    }

    /// Changes the live string at `key` in place with `f`, keeping its
    /// time to live and the memory estimate right; `Ok(None)` (and `f` not
    /// called) if the key is absent, [`WrongType`] if it holds a collection.
    pub fn update<R>(
        &mut self,
        key: &[u8],
        now_ms: u64,
        f: impl FnOnce(&mut Bytes) -> R,
    ) -> Result<Option<R>, WrongType> {
        self.expire_if_due(key, now_ms);
        let Some(v) = self.map.get_mut(key) else { return Ok(None) };
        if !self.watched.is_empty() {
            if let Some(w) = self.watched.get_mut(key) {
                w.version += 1;
            }
        }
        let before = cost(key, v);
        let Value::Str(b) = v else { return Err(WrongType) };
        let r = f(b);
        self.mem.fetch_add(cost(key, v) - before, Ordering::Relaxed);
        Ok(Some(r))
    }

    /// Removes `key`; its value if it was there.
    pub fn remove(&mut self, key: &[u8]) -> Option<Value> {
        let old = self.map.remove(key)?;
        self.touch(key);
        self.mem.fetch_sub(cost(key, &old), Ordering::Relaxed);
        self.set_expire(key, None);
        Some(old)
    }

    /// Sets or clears the expiry of a present `key`; true if it had one.
    pub fn set_expire(&mut self, key: &[u8], at: Option<u64>) -> bool {
        self.touch(key);
        match at {
            None => {
                if self.expires.is_empty() {
                    return false;
                }
                let Some(old) = self.expires.remove(key) else { return false };
                self.by_time.remove(&(old, Bytes::new(key)));
                self.mem.fetch_sub(ENTRY_OVERHEAD_BYTES, Ordering::Relaxed);
                true
            }
            Some(at) => match self.expires.get_mut(key) {
                Some(t) => {
                    let old = std::mem::replace(t, at);
                    self.by_time.remove(&(old, Bytes::new(key)));
                    self.by_time.insert((at, Bytes::new(key)));
                    true
                }
                None => {
                    self.expires.insert(Bytes::new(key), at);
                    self.by_time.insert((at, Bytes::new(key)));
                    self.mem.fetch_add(ENTRY_OVERHEAD_BYTES, Ordering::Relaxed);
                    false
                }
            },
        }
    }

    /// Keys stored, expired or not.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Keys with a time to live.
    pub fn expires_len(&self) -> usize {
        self.expires.len()
    }

    /// Removes every key. What it held is returned, for the caller to drop
    /// once it has let go of the lock: freeing millions of keys takes long
    /// enough to stall whoever waits for this shard.
    #[must_use = "drop the old keys after unlocking"]
    pub fn clear(&mut self) -> Cleared {
        let freed: i64 =
            self.map.iter().map(|(k, v)| cost(k, v)).sum::<i64>() + self.expires.len() as i64 * ENTRY_OVERHEAD_BYTES;
        self.mem.fetch_sub(freed, Ordering::Relaxed);
        // As Redis: a flush changes the watched keys it removes, and only
        // those.
        let Shard { map, watched, .. } = self;
        for (k, w) in watched.iter_mut() {
            if map.contains_key(k) {
                w.version += 1;
            }
        }
        Cleared {
            _map: std::mem::take(&mut self.map),
            _expires: std::mem::take(&mut self.expires),
            _by_time: std::mem::take(&mut self.by_time),
        }
    }

    /// Removes keys whose time has passed, the earliest first and at most
    /// `budget` of them (to bound how long the lock is held); how many it
    /// removed.
    pub fn sweep(&mut self, now_ms: u64, budget: usize) -> usize {
        let mut n = 0;
        while n < budget {
            match self.by_time.first() {
                Some((at, key)) if *at <= now_ms => {
                    let key = key.clone();
                    self.remove(&key);
                    n += 1;
                }
                _ => break,
            }
        }
        self.expired += n as u64;
        n
    }

    /// Every live key, its value and its expiry.
    pub fn entries(&self, now_ms: u64) -> impl Iterator<Item = (&Bytes, &Value, Option<u64>)> {
        self.map.iter().filter_map(move |(k, v)| {
            let at = if self.expires.is_empty() { None } else { self.expires.get(k.as_slice()).copied() };
            match at {
                Some(t) if t <= now_ms => None,
                _ => Some((k, v, at)),
            }
        })
    }

    /// The `n`th stored key (in the map's order), if there are that many.
    pub fn nth_key(&self, n: usize) -> Option<&Bytes> {
        self.map.keys().nth(n)
    }
}

/// The keys a [`Shard::clear`] removed, freed when this is dropped.
pub struct Cleared {
    _map: HashMap<Bytes, Value>,
    _expires: HashMap<Bytes, u64>,
    _by_time: BTreeSet<(u64, Bytes)>,
}

/// One database: [`SHARDS`] locked shards.
pub struct Db {
    shards: Box<[Mutex<Shard>]>,
    /// Per-database random seed of the shard hash.
    seed: u64,
}

/// A locked shard: locked for this command alone, or lent by the
/// transaction that holds it ([`Held`]).
pub enum ShardGuard<'a> {
    /// Locked here; unlocked when dropped.
    Own(MutexGuard<'a, Shard>),
    /// Held by the running transaction, which unlocks it when it ends.
    Lent(RefMut<'a, Shard>),
}

impl Deref for ShardGuard<'_> {
    type Target = Shard;

    fn deref(&self) -> &Shard {
        match self {
            ShardGuard::Own(g) => g,
            ShardGuard::Lent(g) => g,
        }
    }
}

impl DerefMut for ShardGuard<'_> {
    fn deref_mut(&mut self) -> &mut Shard {
        match self {
            ShardGuard::Own(g) => g,
            ShardGuard::Lent(g) => g,
        }
    }
}

/// A shard's place: database index, shard number.
type Place = (usize, usize);

/// The shards a transaction locked before its first command ran, by
/// [`Place`], ascending.
pub struct Held<'a> {
    guards: Vec<(Place, RefCell<MutexGuard<'a, Shard>>)>,
}

impl<'a> Held<'a> {
    /// Locks the shards `wanted` names (database, shard), each once, in
    /// ascending order: the order every other locker follows too, so two
    /// transactions, or a transaction and a multi-key command, cannot
    /// deadlock.
    pub fn lock(store: &'a Store, mut wanted: Vec<(usize, usize)>) -> Held<'a> {
        wanted.sort_unstable();
        wanted.dedup();
        Held {
            guards: wanted.into_iter().map(|(d, i)| ((d, i), RefCell::new(lock(&store.dbs[d].shards[i])))).collect(),
        }
    }

    /// Every shard of every database of `store`.
    pub fn everything(store: &Store) -> Vec<(usize, usize)> {
        (0..store.dbs.len()).flat_map(|d| (0..SHARDS).map(move |i| (d, i))).collect()
    }
}

/// What lends a transaction's shards to its commands ([`Held`]; a trait
/// so that a [`View`] need not name how long the locks live).
pub trait Lend {
    /// Shard `i` of database `db`, if the transaction holds it.
    ///
    /// # Panics
    ///
    /// If the shard is already lent (a command locking one shard twice,
    /// which would deadlock outside a transaction).
    fn lend(&self, db: usize, i: usize) -> Option<RefMut<'_, Shard>>;
}

impl Lend for Held<'_> {
    fn lend(&self, db: usize, i: usize) -> Option<RefMut<'_, Shard>> {
        let at = self.guards.binary_search_by_key(&(db, i), |(k, _)| *k).ok()?;
        Some(RefMut::map(self.guards[at].1.borrow_mut(), |g| &mut **g))
    }
}

/// One database as a command sees it: its shards are locked on demand, or
/// lent by the transaction the command runs in.
#[derive(Clone, Copy)]
pub struct View<'a> {
    db: &'a Db,
    /// This database's index.
    n: usize,
    held: Option<&'a dyn Lend>,
}

impl<'a> View<'a> {
    /// Database `n` of `store`, within the transaction that holds `held`.
    pub fn new(store: &'a Store, n: usize, held: Option<&'a dyn Lend>) -> View<'a> {
        View { db: &store.dbs[n], n, held }
    }

    fn shard_at(&self, i: usize) -> ShardGuard<'a> {
        if let Some(held) = self.held {
            if let Some(g) = held.lend(self.n, i) {
                return ShardGuard::Lent(g);
            }
            // The transaction's lock set misses a shard its commands use:
            // locking it now could break the lock order.
            debug_assert!(false, "shard {i} of db {} not held by the transaction", self.n);
        }
        ShardGuard::Own(lock(&self.db.shards[i]))
    }

    /// Locks the shard holding `key`.
    pub fn lock(&self, key: &[u8]) -> ShardGuard<'a> {
        self.shard_at(self.db.index(key))
    }

    /// Locks the shards holding `keys`, each once, in ascending order.
    pub fn lock_keys<'k>(&self, keys: impl IntoIterator<Item = &'k [u8]>) -> Locked<'a> {
        let mut idx: Vec<usize> = keys.into_iter().map(|k| self.db.index(k)).collect();
        idx.sort_unstable();
        idx.dedup();
        Locked { guards: idx.into_iter().map(|i| (i, self.shard_at(i))).collect(), db: self.db }
    }

    /// Locks shard number `i` (for scans).
    pub fn lock_shard(&self, i: usize) -> ShardGuard<'a> {
        self.shard_at(i)
    }

    /// Locks every shard, in order.
    pub fn lock_all(&self) -> Vec<ShardGuard<'a>> {
        (0..SHARDS).map(|i| self.shard_at(i)).collect()
    }

    /// Keys stored and keys with a time to live, shard by shard.
    pub fn counts(&self) -> (usize, usize) {
        (0..SHARDS).map(|i| self.shard_at(i)).fold((0, 0), |(n, e), s| (n + s.len(), e + s.expires_len()))
    }
}

/// Several shards of one database, locked together in ascending order.
pub struct Locked<'a> {
    guards: Vec<(usize, ShardGuard<'a>)>,
    db: &'a Db,
}

impl Locked<'_> {
    /// The locked shard that holds `key`.
    ///
    /// # Panics
    ///
    /// If `key`'s shard was not among those locked.
    pub fn shard(&mut self, key: &[u8]) -> &mut Shard {
        let i = self.db.index(key);
        let at = self.guards.binary_search_by_key(&i, |(j, _)| *j).expect("the shard of a key that was not locked");
        &mut self.guards[at].1
    }

    /// The live collections of type `T` at `keys`, all at once (for
    /// commands that combine several); [`WrongType`] if any key holds
    /// another type.
    ///
    /// # Panics
    ///
    /// If a key's shard was not among those locked.
    pub fn read_many<T: Kind>(&mut self, keys: &[&[u8]], now_ms: u64) -> Result<Vec<Option<&T>>, WrongType> {
        for k in keys {
            self.shard(k).expire_if_due(k, now_ms);
        }
        let mut found = Vec::with_capacity(keys.len());
        for k in keys {
            let i = self.db.index(k);
            let at = self.guards.binary_search_by_key(&i, |(j, _)| *j).expect("the shard of a key that was not locked");
            found.push(self.guards[at].1.map.get(*k).map(T::of).transpose()?);
        }
        Ok(found)
    }
}

fn lock(m: &Mutex<Shard>) -> MutexGuard<'_, Shard> {
    // A handler that panicked under the lock leaves the shard as it was
    // between two whole operations; carrying on is safe.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Db {
    fn new(mem: &Arc<AtomicI64>) -> Db {
        Db {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::new(mem.clone()))).collect(),
            seed: RandomState::new().hash_one(0u64) | 1,
        }
    }

    /// The number of the shard that holds `key`.
    pub fn shard_of(&self, key: &[u8]) -> usize {
        self.index(key)
    }

    /// The shard of `key`: a fast multiplicative hash over 8-byte words
    /// (FxHash's step) and a finaliser, seeded per database. It only spreads keys over
    /// locks; the maps inside use SipHash, so keys chosen to collide here
    /// cost contention, never a degenerate table.
    fn index(&self, key: &[u8]) -> usize {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut h = self.seed;
        let mut words = key.chunks_exact(8);
        for w in &mut words {
            let w = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
            h = (h.rotate_left(5) ^ w).wrapping_mul(K);
        }
        let mut last = [0u8; 8];
        last[..words.remainder().len()].copy_from_slice(words.remainder());
        h = (h.rotate_left(5) ^ u64::from_le_bytes(last) ^ key.len() as u64).wrapping_mul(K);
        // MurmurHash3's finaliser: Fx alone leaves keys that differ in one
        // digit bunched in a few shards.
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^= h >> 33;
        (h % SHARDS as u64) as usize
    }

    /// Locks the shard holding `key`.
    pub fn lock(&self, key: &[u8]) -> MutexGuard<'_, Shard> {
        lock(&self.shards[self.index(key)])
    }

    /// Locks shard number `i` (for scans).
    pub fn lock_shard(&self, i: usize) -> MutexGuard<'_, Shard> {
        lock(&self.shards[i])
    }

    /// Keys stored and keys with a time to live, shard by shard. A
    /// collection is one key, as in Redis's `DBSIZE` and `INFO keyspace`.
    pub fn counts(&self) -> (usize, usize) {
        self.shards.iter().map(lock).fold((0, 0), |(n, e), s| (n + s.len(), e + s.expires_len()))
    }
}

/// Every database, and the memory estimate.
pub struct Store {
    /// The databases, `SELECT` index order.
    pub dbs: Box<[Db]>,
    /// Estimated bytes used by keys and values.
    mem: Arc<AtomicI64>,
}

impl Store {
    /// `databases` empty databases.
    pub fn new(databases: usize) -> Store {
        let mem = Arc::new(AtomicI64::new(0));
        Store { dbs: (0..databases).map(|_| Db::new(&mem)).collect(), mem }
    }

    /// Estimated bytes used by keys and values.
    pub fn used_memory(&self) -> u64 {
        self.mem.load(Ordering::Relaxed).max(0) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expired_keys_vanish_on_access_and_in_a_sweep() {
        let store = Store::new(1);
        let mut s = store.dbs[0].lock(b"a");
        s.insert(b"a", Bytes::new(b"1"), Ttl::At(100));
        s.insert(b"b", Bytes::new(b"2"), Ttl::At(100));
        s.insert(b"c", Bytes::new(b"3"), Ttl::At(300));
        assert_eq!(s.get(b"a", 99).unwrap().map(|v| v.to_vec()), Some(b"1".to_vec()));
        assert!(s.get(b"a", 100).unwrap().is_none());
        assert_eq!(s.sweep(200, 100), 1);
        assert_eq!(s.len(), 1);
        assert_eq!(s.expired, 2);
    }

    #[test]
    fn the_sweep_follows_changed_and_removed_expiry_times() {
        let store = Store::new(1);
        let mut s = store.dbs[0].lock(b"a");
        s.insert(b"moved", Bytes::new(b"1"), Ttl::At(100));
        s.set_expire(b"moved", Some(300));
        s.insert(b"persisted", Bytes::new(b"2"), Ttl::At(100));
        s.set_expire(b"persisted", None);
        s.insert(b"rewritten", Bytes::new(b"3"), Ttl::At(100));
        s.insert(b"rewritten", Bytes::new(b"4"), Ttl::Clear);
        s.insert(b"deleted", Bytes::new(b"5"), Ttl::At(100));
        s.remove(b"deleted");
        s.insert(b"due", Bytes::new(b"6"), Ttl::At(150));
        assert_eq!(s.sweep(200, 100), 1);
        assert_eq!(s.len(), 3);
        assert_eq!(s.expire_at(b"moved"), Some(300));
        assert_eq!(s.sweep(300, 100), 1);
        assert_eq!(s.expires_len(), 0);
        assert_eq!(s.by_time.len(), 0);
    }

    #[test]
    fn memory_estimate_returns_to_zero_when_keys_go() {
        let store = Store::new(2);
        {
            let mut s = store.dbs[1].lock(b"k");
            s.insert(b"k", Bytes::new(b"value"), Ttl::At(5));
            s.insert(b"k", Bytes::from_vec(vec![0; 100]), Ttl::Keep);
            assert!(store.used_memory() > 100);
            s.remove(b"k");
        }
        assert_eq!(store.used_memory(), 0);
        store.dbs[0].lock(b"x").insert(b"x", Bytes::new(b"y"), Ttl::Clear);
        for mut s in View::new(&store, 0, None).lock_all() {
            drop(s.clear());
        }
        assert_eq!(store.used_memory(), 0);
    }

    #[test]
    fn keys_spread_over_every_shard() {
        let store = Store::new(1);
        let mut per_shard = [0usize; SHARDS];
        for i in 0..SHARDS * 100 {
            per_shard[store.dbs[0].index(format!("key:{i:012}").as_bytes())] += 1;
        }
        assert!(per_shard.iter().all(|&n| n > 40 && n < 160), "{per_shard:?}");
    }

    #[test]
    fn locking_several_keys_reaches_each_shard() {
        let store = Store::new(1);
        let keys: Vec<Vec<u8>> = (0..200).map(|i| format!("k{i}").into_bytes()).collect();
        let mut locked = View::new(&store, 0, None).lock_keys(keys.iter().map(|k| k.as_slice()));
        for k in &keys {
            locked.shard(k).insert(k, Bytes::new(k), Ttl::Clear);
        }
        drop(locked);
        assert_eq!(store.dbs[0].counts(), (200, 0));
    }

    #[test]
    fn every_change_to_a_watched_key_bumps_its_version_and_nothing_else_does() {
        let store = Store::new(1);
        let mut s = store.dbs[0].lock(b"k");
        let v0 = s.watch(b"k");
        let mut last = v0;
        let mut changed = |s: &mut Shard, what: &str| {
            let v = s.version(b"k");
            assert_ne!(v, last, "{what} is a change");
            last = v;
        };
        s.insert(b"k", Bytes::new(b"1"), Ttl::Clear);
        changed(&mut s, "a write");
        s.update(b"k", 0, |v| v.make_mut().push(b'2')).unwrap();
        changed(&mut s, "an update in place");
        s.set_expire(b"k", Some(100));
        changed(&mut s, "a new time to live");
        assert!(s.expire_if_due(b"k", 100));
        changed(&mut s, "expiry on access");
        s.insert(b"k", Bytes::new(b"1"), Ttl::At(100));
        changed(&mut s, "a write");
        assert_eq!(s.sweep(200, 10), 1);
        changed(&mut s, "the expiry sweep");
        s.insert(b"k", Bytes::new(b"1"), Ttl::Clear);
        changed(&mut s, "a write");
        drop(s.clear());
        changed(&mut s, "a flush of the present key");
        let before = s.version(b"k");
        drop(s.clear());
        s.insert(b"other", Bytes::new(b"1"), Ttl::Clear);
        s.remove(b"other");
        assert!(s.remove(b"k").is_none());
        assert_eq!(s.version(b"k"), before, "a flush of an absent key and other keys' changes are not");
        s.unwatch(b"k");
        assert!(s.watched.is_empty());
    }
}
