//! Sets: unordered distinct members, and the `S*` commands.
//!
//! Writes are logged under the lock of their keys as records that each set
//! the absolute state of the members they name: `SADD`/`SREM` of the
//! members really added or removed (so a random `SPOP` replays as the
//! `SREM` of what it took), `SMOVE` as its `SREM` and `SADD`, and a
//! `*STORE` as the `DEL` and `SADD`s of its result, inside `MULTI`/`EXEC`.

use std::borrow::Cow;
use switchyard_codec::resp::{self, string2ll};

use super::dense::Dense;
use super::packed::Packed;
use super::thresholds::{Thresholds, THRESHOLDS};
use super::{pick_indices, Kind, Rng, ELEMENT_OVERHEAD_BYTES, REWRITE_ITEMS_PER_COMMAND};
use crate::bytes::Bytes;
use crate::command::{int, is, Arg, Exec, Outcome, SYNTAX};

/// A set, with a running count of its members' bytes.
#[derive(Clone, Debug)]
pub struct Set {
    enc: Encoding,
    bytes: usize,
}

/// How a set holds its members, as Redis's `OBJECT ENCODING` names them.
/// A set moves right (intset to listpack to hashtable) past the
/// thresholds, never back, as in Redis 7.2.
#[derive(Clone, Debug)]
enum Encoding {
    /// Integers only (members whose text is an integer's canonical form),
    /// sorted: at most `set-max-intset-entries`.
    Intset(Vec<i64>),
    /// Members in one buffer, searched linearly: at most
    /// `set-max-listpack-entries`, none longer than `set-max-listpack-value`.
    Listpack(Packed),
    /// A hash table whose members sit in a vector ([`Dense`]), so that a
    /// random pick is O(1).
    Hashtable(Dense<Bytes>),
}

impl Default for Set {
    fn default() -> Set {
        Set { enc: Encoding::Intset(Vec::new()), bytes: 0 }
    }
}

impl Set {
    /// Members held.
    pub fn len(&self) -> usize {
        match &self.enc {
            Encoding::Intset(v) => v.len(),
            Encoding::Listpack(p) => p.len(),
            Encoding::Hashtable(m) => m.len(),
        }
    }

    /// Estimated bytes held.
    pub fn mem(&self) -> usize {
        match &self.enc {
            Encoding::Intset(v) => v.len() * 8,
            Encoding::Listpack(p) => p.bytes(),
            Encoding::Hashtable(m) => self.bytes + m.len() * ELEMENT_OVERHEAD_BYTES,
        }
    }

    /// The name `OBJECT ENCODING` answers.
    pub fn encoding(&self) -> &'static str {
        match &self.enc {
            Encoding::Intset(_) => "intset",
            Encoding::Listpack(_) => "listpack",
            Encoding::Hashtable(_) => "hashtable",
        }
    }

    /// Moves to the encoding that can take `m` as member number
    /// `len + 1`.
    fn make_room(&mut self, m: &[u8], int: Option<i64>) {
        let len = self.len();
        let entries = Thresholds::get(&THRESHOLDS.set_entries);
        let fits_listpack = m.len() <= Thresholds::get(&THRESHOLDS.set_value) && len < entries;
        match &self.enc {
            Encoding::Intset(v) => {
                if int.is_some() && len < Thresholds::get(&THRESHOLDS.set_intset_entries) {
                    return;
                }
                if int.is_none() && fits_listpack {
                    let mut p = Packed::default();
                    for i in v {
                        p.push_back(i.to_string().as_bytes());
                    }
                    self.enc = Encoding::Listpack(p);
                } else {
                    self.convert_to_table();
                }
            }
            Encoding::Listpack(_) if !fits_listpack => self.convert_to_table(),
            _ => {}
        }
    }

    fn convert_to_table(&mut self) {
        let mut t = Dense::with_capacity(self.len() + 1);
        for m in self.iter() {
            t.insert(m);
        }
        self.enc = Encoding::Hashtable(t);
    }

    /// Adds `m`; true if it is new.
    pub fn insert(&mut self, m: &[u8]) -> bool {
        if self.contains(m) {
            return false;
        }
        let int = string2ll(m);
        self.make_room(m, int);
        self.bytes += m.len();
        match &mut self.enc {
            Encoding::Intset(v) => {
                let i = int.unwrap_or_default();
                let at = v.binary_search(&i).unwrap_or_else(|at| at);
                v.insert(at, i);
            }
            Encoding::Listpack(p) => p.push_back(m),
            Encoding::Hashtable(t) => {
                t.insert(Bytes::new(m));
            }
        }
        true
    }

    /// Removes `m`; true if it was there.
    pub fn remove(&mut self, m: &[u8]) -> bool {
        let gone = match &mut self.enc {
            Encoding::Intset(v) => match string2ll(m).map(|i| v.binary_search(&i)) {
                Some(Ok(at)) => {
                    v.remove(at);
                    true
                }
                _ => false,
            },
            Encoding::Listpack(p) => match Self::find(p, m) {
                Some(at) => {
                    p.remove_at(at);
                    true
                }
                None => false,
            },
            Encoding::Hashtable(t) => t.remove(m).is_some(),
        };
        if gone {
            self.bytes -= m.len();
        }
        gone
    }

    fn find(p: &Packed, m: &[u8]) -> Option<usize> {
        let mut it = p.iter();
        loop {
            let at = it.offset();
            if it.next()? == m {
                return Some(at);
            }
        }
    }

    /// Whether `m` is a member.
    pub fn contains(&self, m: &[u8]) -> bool {
        match &self.enc {
            Encoding::Intset(v) => string2ll(m).is_some_and(|i| v.binary_search(&i).is_ok()),
            Encoding::Listpack(p) => Self::find(p, m).is_some(),
            Encoding::Hashtable(t) => t.contains(m),
        }
    }

    /// Every member: ascending for an intset, in insertion order for a
    /// listpack, in no particular order for a hash table.
    pub fn iter(&self) -> impl Iterator<Item = Bytes> + '_ {
        let (ints, packed, table) = match &self.enc {
            Encoding::Intset(v) => (Some(v.iter().map(|i| Bytes::new(i.to_string().as_bytes()))), None, None),
            Encoding::Listpack(p) => (None, Some(p.iter().map(Bytes::new)), None),
            Encoding::Hashtable(t) => (None, None, Some(t.iter().cloned())),
        };
        ints.into_iter().flatten().chain(packed.into_iter().flatten()).chain(table.into_iter().flatten())
    }

    /// `count` members picked at random, as `SRANDMEMBER` (see
    /// [`pick_indices`]): O(1) a pick from a hash table; a compact
    /// encoding (at most a few hundred members) is read whole.
    pub fn random_members(&self, rng: &mut Rng, count: i64) -> Vec<Bytes> {
        match &self.enc {
            Encoding::Hashtable(t) => pick_indices(rng, t.len(), count).into_iter().map(|i| t.at(i).clone()).collect(),
            _ => {
                let all: Vec<Bytes> = self.iter().collect();
                pick_indices(rng, all.len(), count).into_iter().map(|i| all[i].clone()).collect()
            }
        }
    }

    /// Removes `count` members picked at random (every member if `count`
    /// is the size or more), as `SPOP`: O(1) a member from a hash table.
    pub fn pop_random(&mut self, rng: &mut Rng, count: usize) -> Vec<Bytes> {
        let popped = match &mut self.enc {
            Encoding::Hashtable(t) if count >= t.len() => t.take_all(),
            Encoding::Hashtable(t) => (0..count).filter_map(|_| t.random(rng).map(|i| t.remove_at(i))).collect(),
            _ => {
                let picks = self.random_members(rng, count.min(self.len()) as i64);
                for m in &picks {
                    self.remove(m);
                }
                return picks;
            }
        };
        self.bytes -= popped.iter().map(|m| m.len()).sum::<usize>();
        popped
    }

    /// Whether the set is in a compact encoding (which `SSCAN` answers in
    /// one call).
    pub fn is_compact(&self) -> bool {
        !matches!(self.enc, Encoding::Hashtable(_))
    }
}

fn log_members<M: std::ops::Deref<Target = [u8]>>(ex: &mut Exec<'_>, name: &[u8], key: &[u8], members: &[M]) {
    if members.is_empty() {
        return;
    }
    ex.log(|buf| {
        resp::array(buf, 2 + members.len());
        resp::bulk(buf, name);
        resp::bulk(buf, key);
        for m in members {
            resp::bulk(buf, m);
        }
    });
}

pub fn sadd(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let now = ex.now;
    let mut s = ex.db().lock(&a[1]);
    let added: Vec<&[u8]> = s
        .write::<Set, _>(&a[1], now, true, |set| a[2..].iter().filter(|m| set.insert(m)).map(|m| &m[..]).collect())?
        .unwrap_or_default();
    log_members(ex, b"SADD", &a[1], &added);
    drop(s);
    ex.int(added.len() as i64)
}

pub fn srem(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let now = ex.now;
    let mut s = ex.db().lock(&a[1]);
    let gone: Vec<&[u8]> = s
        .write::<Set, _>(&a[1], now, false, |set| a[2..].iter().filter(|m| set.remove(m)).map(|m| &m[..]).collect())?
        .unwrap_or_default();
    log_members(ex, b"SREM", &a[1], &gone);
    drop(s);
    ex.int(gone.len() as i64)
}

pub fn smembers(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let now = ex.now;
    let mut s = ex.db().lock(&a[1]);
    match s.read::<Set>(&a[1], now)? {
        None => ex.out.set(0),
        Some(set) => {
            ex.out.set(set.len());
            for m in set.iter() {
                ex.out.value(&m);
            }
        }
    }
    Ok(())
}

pub fn sismember(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let now = ex.now;
    let yes = ex.db().lock(&a[1]).read::<Set>(&a[1], now)?.is_some_and(|s| s.contains(&a[2]));
    ex.int(yes as i64)
}

pub fn smismember(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let now = ex.now;
    let mut s = ex.db().lock(&a[1]);
    let set = s.read::<Set>(&a[1], now)?;
    let hits: Vec<bool> = a[2..].iter().map(|m| set.is_some_and(|s| s.contains(m))).collect();
    drop(s);
    resp::array(ex.out, hits.len());
    for h in hits {
        resp::integer(ex.out, h as i64);
    }
    Ok(())
}

pub fn scard(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let now = ex.now;
    let n = ex.db().lock(&a[1]).read::<Set>(&a[1], now)?.map_or(0, Set::len);
    ex.int(n as i64)
}

pub fn spop(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    if a.len() > 3 {
        return Err(SYNTAX.into());
    }
    let count = match a.get(2) {
        Some(c) => {
            let n = int(c).map_err(|_| Cow::Borrowed("ERR value is out of range, must be positive"))?;
            if n < 0 {
                return Err("ERR value is out of range, must be positive".into());
            }
            Some(n)
        }
        None => None,
    };
    let now = ex.now;
    let mut s = ex.db().lock(&a[1]);
    let mut rng = Rng::new();
    let popped: Vec<Bytes> = s
        .write::<Set, _>(&a[1], now, false, |set| set.pop_random(&mut rng, count.unwrap_or(1) as usize))?
        .unwrap_or_default();
    log_members(ex, b"SREM", &a[1], &popped);
    drop(s);
    match count {
        None => ex.out.value_or_null(popped.first()),
        // A set under RESP3, as Redis 7's.
        Some(_) => {
            ex.out.set(popped.len());
            for m in &popped {
                ex.out.value(m);
            }
        }
    }
    Ok(())
}

pub fn srandmember(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    if a.len() > 3 {
        return Err(SYNTAX.into());
    }
    let count = a.get(2).map(|c| int(c)).transpose()?;
    super::check_pick_count(ex, "srandmember", count.unwrap_or(1))?;
    let now = ex.now;
    let mut s = ex.db().lock(&a[1]);
    let set = s.read::<Set>(&a[1], now)?;
    let mut rng = Rng::new();
    let picks = set.map(|s| s.random_members(&mut rng, count.unwrap_or(1))).unwrap_or_default();
    drop(s);
    match count {
        None => ex.out.value_or_null(picks.first()),
        Some(_) => {
            resp::array(ex.out, picks.len());
            for m in &picks {
                ex.out.value(m);
            }
        }
    }
    Ok(())
}

pub fn smove(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let (src, dst, m) = (&a[1][..], &a[2][..], &a[3][..]);
    let now = ex.now;
    let mut locked = ex.db().lock_keys([src, dst]);
    let has = locked.shard(src).read::<Set>(src, now)?.map(|s| s.contains(m));
    if let Some(v) = locked.shard(dst).peek_value(dst, now) {
        Set::of(v)?;
    }
    if has != Some(true) {
        drop(locked);
        return ex.int(0);
    }
    if src != dst {
        locked.shard(src).write::<Set, _>(src, now, false, |s| s.remove(m))?;
        locked.shard(dst).write::<Set, _>(dst, now, true, |s| s.insert(m))?;
        // As its two effects, each of which sets an element's absolute state.
        ex.log(|buf| {
            resp::command(buf, &[&b"MULTI"[..]]);
            resp::command(buf, &[&b"SREM"[..], src, m]);
            resp::command(buf, &[&b"SADD"[..], dst, m]);
            resp::command(buf, &[&b"EXEC"[..]]);
        });
    }
    drop(locked);
    ex.int(1)
}

/// The members of `SINTER`/`SUNION`/`SDIFF` of `sets` (`None`: absent),
/// at most `limit` of an intersection.
fn combine_sets(sets: &[Option<&Set>], op: Op, limit: usize) -> Set {
    let mut result = Set::default();
    match op {
        Op::Inter => {
            if sets.iter().all(Option::is_some) {
                let mut by_size: Vec<&Set> = sets.iter().flatten().copied().collect();
                by_size.sort_by_key(|s| s.len());
                for m in by_size[0].iter() {
                    if result.len() >= limit {
                        break;
                    }
                    if by_size[1..].iter().all(|s| s.contains(&m)) {
                        result.insert(&m);
                    }
                }
            }
        }
        Op::Union => {
            for s in sets.iter().flatten() {
                for m in s.iter() {
                    result.insert(&m);
                }
            }
        }
        Op::Diff => {
            if let Some(first) = sets[0] {
                for m in first.iter() {
                    if sets[1..].iter().flatten().all(|s| !s.contains(&m)) {
                        result.insert(&m);
                    }
                }
            }
        }
    }
    result
}

/// [`combine_sets`] over `keys`, read under all their locks.
fn combine(ex: &mut Exec<'_>, keys: &[Arg<'_>], op: Op, limit: usize) -> Result<Set, Cow<'static, str>> {
    let now = ex.now;
    let keys: Vec<&[u8]> = keys.iter().map(|k| &k[..]).collect();
    let mut locked = ex.db().lock_keys(keys.iter().copied());
    let sets = locked.read_many::<Set>(&keys, now)?;
    Ok(combine_sets(&sets, op, limit))
}

#[derive(Clone, Copy)]
enum Op {
    Inter,
    Union,
    Diff,
}

fn reply_members(ex: &mut Exec<'_>, members: &Set) -> Outcome {
    ex.out.set(members.len());
    for m in members.iter() {
        ex.out.value(&m);
    }
    Ok(())
}

pub fn sinter(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let m = combine(ex, &a[1..], Op::Inter, usize::MAX)?;
    reply_members(ex, &m)
}

pub fn sunion(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let m = combine(ex, &a[1..], Op::Union, usize::MAX)?;
    reply_members(ex, &m)
}

pub fn sdiff(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let m = combine(ex, &a[1..], Op::Diff, usize::MAX)?;
    reply_members(ex, &m)
}

/// `S*STORE`: computes and stores under the locks of every key, so that no
/// reader sees the destination half written.
fn store(ex: &mut Exec<'_>, a: &[Arg<'_>], op: Op) -> Outcome {
    let now = ex.now;
    let dst = &a[1][..];
    let keys: Vec<&[u8]> = a[2..].iter().map(|k| &k[..]).collect();
    let mut locked = ex.db().lock_keys(a[1..].iter().map(|k| &k[..]));
    let result = combine_sets(&locked.read_many::<Set>(&keys, now)?, op, usize::MAX);
    let n = result.len();
    let shard = locked.shard(dst);
    let existed = shard.remove(dst).is_some();
    let mut rec = Vec::new();
    if existed || n > 0 {
        resp::command(&mut rec, &[&b"MULTI"[..]]);
        resp::command(&mut rec, &[&b"DEL"[..], dst]);
        let members: Vec<Bytes> = result.iter().collect();
        let members: Vec<&Bytes> = members.iter().collect();
        for part in members.chunks(REWRITE_ITEMS_PER_COMMAND) {
            super::command_with(&mut rec, b"SADD", dst, part);
        }
        resp::command(&mut rec, &[&b"EXEC"[..]]);
    }
    if n > 0 {
        shard.insert_value(dst, result.wrap(), crate::store::Ttl::Clear);
    }
    if !rec.is_empty() {
        ex.log(|buf| buf.extend_from_slice(&rec));
    }
    drop(locked);
    ex.int(n as i64)
}

pub fn sinterstore(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    store(ex, a, Op::Inter)
}

pub fn sunionstore(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    store(ex, a, Op::Union)
}

pub fn sdiffstore(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    store(ex, a, Op::Diff)
}

pub fn sintercard(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let n = int(&a[1]).map_err(|_| Cow::Borrowed("ERR numkeys should be greater than 0"))?;
    if n <= 0 {
        return Err("ERR numkeys should be greater than 0".into());
    }
    let n = n as usize;
    if n > a.len() - 2 {
        return Err("ERR Number of keys can't be greater than number of args".into());
    }
    let mut limit = usize::MAX;
    match &a[2 + n..] {
        [] => {}
        [l, v] if is(l, "limit") => {
            let v = int(v)?;
            if v < 0 {
                return Err("ERR LIMIT can't be negative".into());
            }
            if v > 0 {
                limit = v as usize;
            }
        }
        _ => return Err(SYNTAX.into()),
    }
    let m = combine(ex, &a[2..2 + n], Op::Inter, limit)?;
    ex.int(m.len() as i64)
}

pub fn sscan(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let opts = super::ScanOptions::parse(a, false)?;
    let now = ex.now;
    let mut s = ex.db().lock(&a[1]);
    let Some(set) = s.read::<Set>(&a[1], now)? else {
        return super::scan_reply(ex, 0, &[]);
    };
    // An intset or listpack answers in one call with cursor 0, as Redis's.
    let opts = if set.is_compact() { opts.whole() } else { opts };
    let (next, items) = opts.page(set.iter(), set.len(), |m| m);
    drop(s);
    super::scan_reply(ex, next, &items.iter().collect::<Vec<_>>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    /// A member: an integer, a short word, or a word past the listpack's
    /// longest value.
    fn member() -> impl Strategy<Value = String> {
        prop_oneof![
            6 => (-300i64..900).prop_map(|i| i.to_string()),
            2 => (0u16..200).prop_map(|i| format!("m{i}")),
            1 => (0u16..5).prop_map(|i| format!("{i}{}", "x".repeat(70))),
            1 => Just("007".to_string()),
        ]
    }

    proptest! {
        #[test]
        fn a_set_agrees_with_a_set_across_intset_listpack_and_hashtable(
            ops in proptest::collection::vec((0u8..3, member()), 1..1000)
        ) {
            let mut s = Set::default();
            let mut m = BTreeSet::new();
            let mut rank = 0; // 0 intset, 1 listpack, 2 hashtable: only rightward
            for (op, x) in ops {
                if op < 2 {
                    let new = m.insert(x.clone());
                    prop_assert_eq!(s.insert(x.as_bytes()), new);
                    let int = string2ll(x.as_bytes()).is_some();
                    if new {
                        if rank == 0 && !int {
                            rank = if m.len() <= 128 && x.len() <= 64 { 1 } else { 2 };
                        } else if rank == 0 && m.len() > 512 || rank == 1 && (m.len() > 128 || x.len() > 64) {
                            rank = 2;
                        }
                    }
                } else {
                    prop_assert_eq!(s.remove(x.as_bytes()), m.remove(&x));
                }
                prop_assert_eq!(s.len(), m.len());
                prop_assert_eq!(s.encoding(), ["intset", "listpack", "hashtable"][rank]);
            }
            let got: BTreeSet<String> = s.iter().map(|b| String::from_utf8(b.to_vec()).unwrap()).collect();
            prop_assert_eq!(&got, &m);
            for x in &m {
                prop_assert!(s.contains(x.as_bytes()));
            }
            prop_assert!(!s.contains(b"07") && !s.contains(b"+7"));
        }
    }
}
