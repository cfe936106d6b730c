//! [`Value`]: what a key holds — a string, or one of the collections
//! (hashes, lists, sets, sorted sets), each in its own module with its
//! commands.
//!
//! A string stays a [`Bytes`], shared with replies without copying; a
//! value is as wide as a `Bytes` (24 bytes) whatever its type: a hash is
//! two pointers wide and sits in it, the other collections are boxed.
//! Small collections use compact encodings ([`packed`], Redis's listpack
//! and intset) up to the [`thresholds`], as Redis does. Each collection
//! knows the bytes it holds in O(1), so that the store's memory estimate
//! is updated in O(1) per change. An empty collection is never stored: the
//! command that empties one removes its key ([`crate::store::Shard::write`]).

pub mod dense;
pub mod hash;
pub mod list;
pub mod order;
pub mod packed;
pub mod set;
pub mod thresholds;
pub mod zset;

use std::borrow::Cow;

use switchyard_codec::resp;

use crate::bytes::Bytes;

pub use hash::Hash;
pub use list::List;
pub use set::Set;
pub use zset::ZSet;

/// Redis's error for a command meeting a key of another type.
pub const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

/// What a collection element costs besides its bytes (table slot, headers),
/// as counted against `maxmemory`.
pub const ELEMENT_OVERHEAD_BYTES: usize = 32;

/// Most elements per command when the log rewrite writes a collection, as
/// Redis's `AOF_REWRITE_ITEMS_PER_CMD`: a huge collection becomes many
/// bounded commands, not one the size of the collection.
pub const REWRITE_ITEMS_PER_COMMAND: usize = 64;

/// A command met a key holding another type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WrongType;

impl From<WrongType> for Cow<'static, str> {
    fn from(_: WrongType) -> Self {
        Cow::Borrowed(WRONGTYPE)
    }
}

/// The value of a key.
#[derive(Clone, Debug)]
pub enum Value {
    /// A string.
    Str(Bytes),
    /// A hash of fields to values (two pointers wide: not boxed).
    Hash(Hash),
    /// A list.
    List(Box<List>),
    /// A set.
    Set(Box<Set>),
    /// A sorted set.
    ZSet(Box<ZSet>),
}

impl Value {
    /// The name `TYPE` answers.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::Hash(_) => "hash",
            Value::List(_) => "list",
            Value::Set(_) => "set",
            Value::ZSet(_) => "zset",
        }
    }

    /// The name `OBJECT ENCODING` answers: what kv really uses.
    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Str(b) if resp::string2ll(b).is_some() && b.len() <= 20 => "int",
            Value::Str(Bytes::Inline { .. }) => "embstr",
            Value::Str(_) => "raw",
            Value::Hash(h) => h.encoding(),
            Value::List(l) => l.encoding(),
            Value::Set(s) => s.encoding(),
            Value::ZSet(z) => z.encoding(),
        }
    }

    /// Estimated bytes held, besides the key: O(1).
    pub fn mem(&self) -> usize {
        match self {
            Value::Str(b) => b.len(),
            Value::Hash(h) => h.mem(),
            Value::List(l) => l.mem(),
            Value::Set(s) => s.mem(),
            Value::ZSet(z) => z.mem(),
        }
    }

    /// The string, or [`WrongType`].
    pub fn as_str(&self) -> Result<&Bytes, WrongType> {
        match self {
            Value::Str(b) => Ok(b),
            _ => Err(WrongType),
        }
    }

    /// Writes the fewest commands that rebuild `key` as this value, with its
    /// expiry, collections [`REWRITE_ITEMS_PER_COMMAND`] elements a command.
    pub fn rewrite(&self, key: &[u8], at: Option<u64>, out: &mut Vec<u8>) {
        let at_text = at.map(|t| t.to_string());
        match self {
            Value::Str(v) => match &at_text {
                Some(t) => resp::command(out, &[&b"SET"[..], key, v, b"PXAT", t.as_bytes()]),
                None => resp::command(out, &[&b"SET"[..], key, v]),
            },
            Value::Hash(h) => {
                let pairs: Vec<(&[u8], &[u8])> = h.iter().collect();
                for part in pairs.chunks(REWRITE_ITEMS_PER_COMMAND) {
                    resp::array(out, 2 + part.len() * 2);
                    resp::bulk(out, b"HSET");
                    resp::bulk(out, key);
                    for (f, v) in part {
                        resp::bulk(out, f);
                        resp::bulk(out, v);
                    }
                }
            }
            Value::List(l) => {
                let items: Vec<Bytes> = l.iter().map(Bytes::new).collect();
                let items: Vec<&Bytes> = items.iter().collect();
                for part in items.chunks(REWRITE_ITEMS_PER_COMMAND) {
                    command_with(out, b"RPUSH", key, part);
                }
            }
            Value::Set(s) => {
                let items: Vec<Bytes> = s.iter().collect();
                let items: Vec<&Bytes> = items.iter().collect();
                for part in items.chunks(REWRITE_ITEMS_PER_COMMAND) {
                    command_with(out, b"SADD", key, part);
                }
            }
            Value::ZSet(z) => zset::rewrite(z, key, out),
        }
        if let (Some(t), false) = (&at_text, matches!(self, Value::Str(_))) {
            resp::command(out, &[&b"PEXPIREAT"[..], key, t.as_bytes()]);
        }
    }
}

/// Appends the command `name key items...`.
pub fn command_with(out: &mut Vec<u8>, name: &[u8], key: &[u8], items: &[&Bytes]) {
    resp::array(out, 2 + items.len());
    resp::bulk(out, name);
    resp::bulk(out, key);
    for i in items {
        resp::bulk(out, i);
    }
}

/// A collection type, for the store's typed access.
pub trait Kind: Default + Sized {
    /// This collection in `v`, or [`WrongType`].
    fn of(v: &Value) -> Result<&Self, WrongType>;
    /// The same, to change.
    fn of_mut(v: &mut Value) -> Result<&mut Self, WrongType>;
    /// Wraps a new collection as a value.
    fn wrap(self) -> Value;
    /// No elements: the key goes.
    fn is_empty(&self) -> bool;
}

macro_rules! kind {
    ($t:ident) => {
        impl Kind for $t {
            fn of(v: &Value) -> Result<&Self, WrongType> {
                match v {
                    Value::$t(c) => Ok(c),
                    _ => Err(WrongType),
                }
            }
            fn of_mut(v: &mut Value) -> Result<&mut Self, WrongType> {
                match v {
                    Value::$t(c) => Ok(c),
                    _ => Err(WrongType),
                }
            }
            fn wrap(self) -> Value {
                Value::$t(Box::new(self))
            }
            fn is_empty(&self) -> bool {
                self.len() == 0
            }
        }
    };
}

impl Kind for Hash {
    fn of(v: &Value) -> Result<&Self, WrongType> {
        match v {
            Value::Hash(c) => Ok(c),
            _ => Err(WrongType),
        }
    }
    fn of_mut(v: &mut Value) -> Result<&mut Self, WrongType> {
        match v {
            Value::Hash(c) => Ok(c),
            _ => Err(WrongType),
        }
    }
    fn wrap(self) -> Value {
        Value::Hash(self)
    }
    fn is_empty(&self) -> bool {
        Hash::is_empty(self)
    }
}

kind!(List);
kind!(Set);
kind!(ZSet);

/// A small, fast generator for random picks (`SPOP`, `HRANDFIELD`, ...),
/// seeded per command from its thread's generator, which the process's
/// random hasher and the clock seed once.
pub struct Rng(u64);

thread_local! {
    /// The state each command's generator is seeded from: seeding from the
    /// hasher and the clock on every pick cost about 1 % of an unpipelined
    /// `SPOP`.
    static SEEDS: std::cell::Cell<u64> = std::cell::Cell::new(crate::command::random() | 1);
}

impl Rng {
    /// A generator with a fresh seed.
    pub fn new() -> Rng {
        SEEDS.with(|seeds| {
            let mut r = Rng(seeds.get());
            let seed = r.next() | 1;
            seeds.set(r.0);
            Rng(seed)
        })
    }

    /// The next number (xorshift64*).
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number below `n` (which must not be 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// The least reply one picked element takes (`$0\r\n\r\n` less one).
const MIN_PICK_REPLY_BYTES: usize = 4;

/// Refuses a random pick with repeats (a negative count) whose reply could
/// not leave: `SRANDMEMBER key -1000000000000` asks for a reply far past
/// the output hard limit (`client-output-buffer-limit normal`), which would
/// close the connection once the reply was built, after taking memory for
/// every pick. Refused with an error instead, counted in the command's
/// failed calls, with a rate-limited warning. With the hard limit off, the
/// bound is 2^32 picks.
pub fn check_pick_count(ex: &crate::command::Exec<'_>, cmd: &str, count: i64) -> crate::command::Outcome {
    if count >= 0 {
        return Ok(());
    }
    let hard = ex.sh.output_limits().hard_bytes;
    let most = if hard == 0 { u64::from(u32::MAX) } else { (hard / MIN_PICK_REPLY_BYTES) as u64 };
    if count.unsigned_abs() <= most {
        return Ok(());
    }
    if let Some(suppressed) = ex.sh.protocol_log.allow() {
        tracing::warn!(
            command = cmd,
            count,
            hard_limit = hard,
            suppressed,
            "a random pick larger than the output hard limit can hold; refused"
        );
    }
    Err("ERR count is out of range: the reply would pass client-output-buffer-limit".into())
}

/// Indices for a random pick of `count` of `len` elements, as Redis's
/// `SRANDMEMBER`/`HRANDFIELD`: distinct when `count` is positive (at most
/// `len`), repeats allowed when it is negative. O(picks), not O(len): a
/// pick of at most a third of the elements draws and redraws duplicates
/// (as Redis's case 4), a bigger one shuffles the first `count` of every
/// index (at most three times the picks).
pub fn pick_indices(rng: &mut Rng, len: usize, count: i64) -> Vec<usize> {
    if len == 0 || count == 0 {
        return Vec::new();
    }
    if count < 0 {
        return (0..count.unsigned_abs()).map(|_| rng.below(len)).collect();
    }
    let n = (count as u64).min(len as u64) as usize;
    if n.saturating_mul(3) <= len {
        let mut seen = std::collections::HashSet::with_capacity(n);
        let mut picks = Vec::with_capacity(n);
        while picks.len() < n {
            let i = rng.below(len);
            if seen.insert(i) {
                picks.push(i);
            }
        }
        return picks;
    }
    let mut all: Vec<usize> = (0..len).collect();
    for i in 0..n {
        let j = i + rng.below(len - i);
        all.swap(i, j);
    }
    all.truncate(n);
    all
}

/// The options of `HSCAN`, `SSCAN` and `ZSCAN`.
pub struct ScanOptions {
    cursor: u64,
    count: usize,
    pattern: Option<crate::pattern::Glob>,
    /// `HSCAN ... NOVALUES`.
    pub no_values: bool,
}

impl ScanOptions {
    /// Parses `KEY cursor [MATCH p] [COUNT n]` (and `NOVALUES` for hashes)
    /// from `a[2..]`, with Redis's errors.
    pub fn parse(a: &[crate::command::Arg<'_>], hash: bool) -> Result<ScanOptions, Cow<'static, str>> {
        use crate::command::{int, is, SYNTAX};
        let cursor = std::str::from_utf8(&a[2]).ok().and_then(|s| s.parse::<u64>().ok()).ok_or("ERR invalid cursor")?;
        let mut o = ScanOptions { cursor, count: 10, pattern: None, no_values: false };
        let mut j = 3;
        while j < a.len() {
            if hash && is(&a[j], "novalues") {
                o.no_values = true;
                j += 1;
                continue;
            }
            let Some(v) = a.get(j + 1) else { return Err(SYNTAX.into()) };
            if is(&a[j], "count") {
                let n = int(v)?;
                if n < 1 {
                    return Err(SYNTAX.into());
                }
                o.count = n as usize;
            } else if is(&a[j], "match") {
                o.pattern = (v.as_ref() != b"*").then(|| crate::pattern::Glob::new(v, false));
            } else {
                return Err(SYNTAX.into());
            }
            j += 2;
        }
        Ok(o)
    }

    /// The same options for a compact encoding, which answers in one call
    /// with cursor 0 whatever the cursor and count asked, as Redis's
    /// listpacks and intsets do.
    pub fn whole(self) -> ScanOptions {
        ScanOptions { cursor: 0, count: usize::MAX, ..self }
    }

    /// One page of a collection's elements, for a cursor that must hold
    /// while the collection changes between calls (a hash table that grows
    /// or shrinks reorders everything).
    ///
    /// Elements are visited in the order of [`scan_hash`] of their names,
    /// which nothing about the collection changes, and the cursor is the
    /// hash to go on from: so every element present for the whole scan is
    /// returned (at least once, exactly once if its hash is unique), and a
    /// scan ends after at most [`SCAN_PAGES`] calls past `COUNT`'s pages.
    /// Each call is O(n) (it hashes every element), which is why a page is
    /// at least `len / SCAN_PAGES` elements: `COUNT` is a hint, as in Redis.
    /// The elements of this page whose name matches `MATCH`, and the next
    /// cursor (0 at the end).
    pub fn page<T>(&self, items: impl Iterator<Item = T>, len: usize, name: impl Fn(&T) -> &[u8]) -> (u64, Vec<T>) {
        let size = self.count.max(len.div_ceil(SCAN_PAGES)).max(1);
        let mut left: Vec<(u64, T)> =
            items.map(|t| (scan_hash(name(&t)), t)).filter(|(h, _)| *h >= self.cursor).collect();
        let next = if left.len() <= size {
            0
        } else {
            left.select_nth_unstable_by_key(size - 1, |(h, _)| *h);
            let last = left[size - 1].0;
            // Elements of the same hash go together, so the cursor can pass them.
            left.retain(|(h, _)| *h <= last);
            last.checked_add(1).unwrap_or(0)
        };
        let page = left
            .into_iter()
            .map(|(_, t)| t)
            .filter(|t| self.pattern.as_ref().is_none_or(|g| g.matches(name(t))))
            .collect();
        (next, page)
    }
}

/// Most calls a scan of a big encoding takes when `COUNT` is small.
pub const SCAN_PAGES: usize = 32;

/// The order in which scans visit a big encoding: a hash of the element's
/// name, keyed per process so that clients cannot line elements up, and
/// fixed for the process's life so that a cursor survives any change to
/// the collection. (Not the table's own hash: that one's bucket order
/// changes when the table grows.)
pub fn scan_hash(name: &[u8]) -> u64 {
    use std::hash::BuildHasher;
    static KEY: std::sync::OnceLock<std::collections::hash_map::RandomState> = std::sync::OnceLock::new();
    KEY.get_or_init(Default::default).hash_one(name)
}

/// The reply of a `*SCAN`: the next cursor and the elements.
pub fn scan_reply(ex: &mut crate::command::Exec<'_>, next: u64, items: &[&Bytes]) -> crate::command::Outcome {
    resp::array(ex.out, 2);
    resp::bulk(ex.out, next.to_string().as_bytes());
    resp::array(ex.out, items.len());
    for i in items {
        ex.out.value(i);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_as_wide_as_a_string() {
        assert_eq!(std::mem::size_of::<Value>(), 24);
        assert_eq!(std::mem::size_of::<Hash>(), 16, "a hash fits in a value unboxed");
    }

    #[test]
    fn a_large_collection_is_rewritten_as_bounded_commands_with_its_expiry() {
        let mut l = List::default();
        for i in 0..200 {
            l.push_back(Bytes::new(i.to_string().as_bytes()));
        }
        let mut out = Vec::new();
        Value::List(Box::new(l)).rewrite(b"k", Some(5000), &mut out);
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.matches("RPUSH").count(), 4, "200 elements, 64 a command");
        assert!(text.ends_with("*3\r\n$9\r\nPEXPIREAT\r\n$1\r\nk\r\n$4\r\n5000\r\n"));
    }

    #[test]
    fn picks_are_distinct_and_in_range_for_a_positive_count_and_may_repeat_for_a_negative_one() {
        let mut rng = Rng::new();
        for (len, count) in [(1_000_000, 5), (1000, 333), (1000, 334), (1000, 999), (10, 10), (10, 50), (7, 1)] {
            let picks = pick_indices(&mut rng, len, count);
            assert_eq!(picks.len(), (count as usize).min(len), "{count} of {len}");
            let distinct: std::collections::HashSet<usize> = picks.iter().copied().collect();
            assert_eq!(distinct.len(), picks.len(), "{count} of {len}");
            assert!(picks.iter().all(|&i| i < len));
        }
        let picks = pick_indices(&mut rng, 3, -100);
        assert_eq!(picks.len(), 100);
        assert!(picks.iter().all(|&i| i < 3));
        let distinct: std::collections::HashSet<usize> = picks.iter().copied().collect();
        assert!(distinct.len() < picks.len(), "100 picks of 3 repeat");
        assert!(pick_indices(&mut rng, 0, 5).is_empty() && pick_indices(&mut rng, 5, 0).is_empty());
    }
}

#[cfg(test)]
mod model_tests;
