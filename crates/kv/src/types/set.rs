//! Sets: unordered distinct members, and the `S*` commands.
//!
//! Writes are logged under the lock of their keys as records that each set
//! the absolute state of the members they name: `SADD`/`SREM` of the
//! members really added or removed (so a random `SPOP` replays as the
//! `SREM` of what it took), `SMOVE` as its `SREM` and `SADD`, and a
//! `*STORE` as the `DEL` and `SADD`s of its result, inside `MULTI`/`EXEC`.

use std::borrow::Cow;
use std::collections::HashSet;

use switchyard_codec::resp;

use super::{pick_indices, Kind, Rng, ELEMENT_OVERHEAD_BYTES, REWRITE_ITEMS_PER_COMMAND};
use crate::bytes::Bytes;
use crate::command::{int, is, Arg, Exec, Outcome, SYNTAX};

/// A set, with a running count of its members' bytes.
#[derive(Clone, Debug, Default)]
pub struct Set {
    members: HashSet<Bytes>,
    bytes: usize,
}

impl Set {
    /// Members held.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Estimated bytes held.
    pub fn mem(&self) -> usize {
        self.bytes + self.members.len() * ELEMENT_OVERHEAD_BYTES
    }

    /// Adds `m`; true if it is new.
    pub fn insert(&mut self, m: &[u8]) -> bool {
        if self.members.contains(m) {
            return false;
        }
        self.bytes += m.len();
        self.members.insert(Bytes::new(m))
    }

    /// Removes `m`; true if it was there.
    pub fn remove(&mut self, m: &[u8]) -> bool {
        let gone = self.members.remove(m);
        if gone {
            self.bytes -= m.len();
        }
        gone
    }

    /// Whether `m` is a member.
    pub fn contains(&self, m: &[u8]) -> bool {
        self.members.contains(m)
    }

    /// Every member, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &Bytes> {
        self.members.iter()
    }
}

fn log_members(ex: &mut Exec<'_>, name: &[u8], key: &[u8], members: &[&[u8]]) {
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
        None => resp::array(ex.out, 0),
        Some(set) => {
            resp::array(ex.out, set.len());
            for m in set.iter() {
                ex.out.value(m);
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
        .write::<Set, _>(&a[1], now, false, |set| {
            let all: Vec<&Bytes> = set.iter().collect();
            let picks: Vec<Bytes> =
                pick_indices(&mut rng, all.len(), count.unwrap_or(1)).into_iter().map(|i| all[i].clone()).collect();
            for m in &picks {
                set.remove(m);
            }
            picks
        })?
        .unwrap_or_default();
    let refs: Vec<&[u8]> = popped.iter().map(|m| &m[..]).collect();
    log_members(ex, b"SREM", &a[1], &refs);
    drop(s);
    match count {
        None => ex.out.value_or_null(popped.first()),
        Some(_) => {
            resp::array(ex.out, popped.len());
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
    let now = ex.now;
    let mut s = ex.db().lock(&a[1]);
    let set = s.read::<Set>(&a[1], now)?;
    let all: Vec<&Bytes> = set.map(|s| s.iter().collect()).unwrap_or_default();
    let mut rng = Rng::new();
    let picks = pick_indices(&mut rng, all.len(), count.unwrap_or(1));
    match count {
        None => ex.out.value_or_null(picks.first().map(|&i| all[i])),
        Some(_) => {
            resp::array(ex.out, picks.len());
            for i in picks {
                ex.out.value(all[i]);
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
                    if by_size[1..].iter().all(|s| s.contains(m)) {
                        result.insert(m);
                    }
                }
            }
        }
        Op::Union => {
            for s in sets.iter().flatten() {
                for m in s.iter() {
                    result.insert(m);
                }
            }
        }
        Op::Diff => {
            if let Some(first) = sets[0] {
                for m in first.iter() {
                    if sets[1..].iter().flatten().all(|s| !s.contains(m)) {
                        result.insert(m);
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
    resp::array(ex.out, members.len());
    for m in members.iter() {
        ex.out.value(m);
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
        let members: Vec<&Bytes> = result.iter().collect();
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
    let (next, items) = opts.page(set.iter(), |m| m);
    let items: Vec<Bytes> = items.into_iter().cloned().collect();
    drop(s);
    super::scan_reply(ex, next, &items.iter().collect::<Vec<_>>())
}
