//! Lists: a deque of packed nodes ([`List`], Redis's quicklist), and the
//! `L*`/`R*` commands.
//!
//! Writes are logged under the lock of their keys: pushes, `LSET`,
//! `LINSERT`, `LREM`, `LTRIM` and `LMOVE` as sent (each is deterministic
//! given the list it found); pops as `LPOP`/`RPOP key count` of what they
//! really removed.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::atomic::Ordering;

use switchyard_codec::resp;

use super::packed::{self, Packed};
use super::thresholds::THRESHOLDS;
use super::Kind;
use crate::bytes::Bytes;
use crate::command::{int, is, Arg, Exec, Outcome, SYNTAX};
use crate::store::Shard;

/// A list: a deque of packed nodes, Redis's quicklist in Rust terms, with
/// a running count of its elements' bytes.
///
/// Each node is a [`Packed`] of at most `list-max-listpack-size` (8 KiB by
/// default), so that a short element costs two bytes beside its own and a
/// push or pop at either end moves at most one node's bytes. A list of one
/// node is what Redis 7.2 calls a listpack; past one node it becomes a
/// quicklist, and turns back into a listpack once it fits in half a node,
/// as Redis's does. No node is empty.
#[derive(Clone, Debug, Default)]
pub struct List {
    nodes: VecDeque<Packed>,
    len: usize,
    bytes: usize,
    /// Named `quicklist` (grew past one node and has not shrunk back).
    quick: bool,
}

/// Whether a node of `node` may take one more entry of `n` bytes under
/// `list-max-listpack-size`.
fn fits(node: &Packed, n: usize) -> bool {
    let size = THRESHOLDS.list_size.load(Ordering::Relaxed);
    if node.len() == 0 {
        return true;
    }
    if size >= 0 {
        // As Redis's quicklist: a count, and never past 8 KiB.
        return node.len() < size as usize && node.bytes() + packed::entry_bytes(n) <= SAFETY_BYTES;
    }
    node.bytes() + packed::entry_bytes(n) <= node_bytes(size)
}

/// The most bytes of a node for a negative `list-max-listpack-size`.
fn node_bytes(size: i64) -> usize {
    4096 << (size.unsigned_abs().clamp(1, 5) - 1)
}

/// The most bytes of a node whose size is a count, as Redis's
/// `SIZE_SAFETY_LIMIT`.
const SAFETY_BYTES: usize = 8192;

impl List {
    /// Elements held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Estimated bytes held: O(1).
    pub fn mem(&self) -> usize {
        self.bytes + self.len * 2 + self.nodes.len() * 48
    }

    /// The name `OBJECT ENCODING` answers.
    pub fn encoding(&self) -> &'static str {
        if self.quick {
            "quicklist"
        } else {
            "listpack"
        }
    }

    /// Appends `v`.
    pub fn push_back(&mut self, v: Bytes) {
        self.push(false, v)
    }

    /// Prepends `v`.
    #[allow(dead_code)] // kept for the callers of the deque this replaced
    pub fn push_front(&mut self, v: Bytes) {
        self.push(true, v)
    }

    /// Removes the first (`left`) or last element.
    pub fn pop(&mut self, left: bool) -> Option<Bytes> {
        let node = if left { self.nodes.front_mut() } else { self.nodes.back_mut() }?;
        let v = if left { node.pop_front() } else { node.pop_back() }?;
        if node.len() == 0 {
            if left {
                self.nodes.pop_front();
            } else {
                self.nodes.pop_back();
            }
        }
        self.len -= 1;
        self.bytes -= v.len();
        self.settle();
        Some(v)
    }

    /// Adds `v` at the front (`left`) or back.
    pub fn push(&mut self, left: bool, v: Bytes) {
        self.push_slice(left, &v)
    }

    /// Adds a copy of `v` at the front (`left`) or back.
    pub fn push_slice(&mut self, left: bool, v: &[u8]) {
        self.bytes += v.len();
        self.len += 1;
        let end = if left { self.nodes.front_mut() } else { self.nodes.back_mut() };
        match end {
            Some(node) if fits(node, v.len()) => {
                if left {
                    node.push_front(v)
                } else {
                    node.push_back(v)
                }
            }
            _ => {
                let mut node = Packed::default();
                node.push_back(v);
                if self.nodes.capacity() == 0 {
                    // Most lists have one node: no room for more until needed.
                    self.nodes.reserve_exact(1);
                }
                if left {
                    self.nodes.push_front(node)
                } else {
                    self.nodes.push_back(node)
                }
            }
        }
        self.quick |= self.nodes.len() > 1;
    }

    /// Gives a listpack's spare room back after a write: a small list
    /// costs what its elements take, as Redis's. (A quicklist keeps its
    /// nodes' room, at most an eighth, for the pushes that follow.)
    pub fn fit(&mut self) {
        if !self.quick {
            if let Some(n) = self.nodes.front_mut() {
                n.fit();
            }
        }
    }

    /// Every element, front to back.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &[u8]> {
        self.nodes.iter().flat_map(Packed::iter)
    }

    /// Elements from position `i` on, front to back.
    pub fn iter_from(&self, i: usize) -> impl Iterator<Item = &[u8]> {
        let (node, at) = self.locate(i.min(self.len));
        self.nodes.iter().skip(node).enumerate().flat_map(move |(k, n)| n.iter().skip(if k == 0 { at } else { 0 }))
    }

    /// Bytes of the nodes holding the `n` elements from position `i` on:
    /// what copying them costs at most.
    pub fn range_bytes(&self, i: usize, n: usize) -> usize {
        let (node, at) = self.locate(i.min(self.len));
        let mut left = n + at;
        let mut bytes = 0;
        for node in self.nodes.iter().skip(node) {
            if left == 0 {
                break;
            }
            bytes += node.bytes();
            left = left.saturating_sub(node.len());
        }
        bytes
    }

    /// The node holding position `i` and the position within it (one past
    /// the last node for `len`).
    fn locate(&self, mut i: usize) -> (usize, usize) {
        if i >= self.len / 2 {
            let mut from_back = self.len - i;
            for (k, n) in self.nodes.iter().enumerate().rev() {
                if from_back <= n.len() {
                    return (k, n.len() - from_back);
                }
                from_back -= n.len();
            }
            return (self.nodes.len(), 0);
        }
        for (k, n) in self.nodes.iter().enumerate() {
            if i < n.len() {
                return (k, i);
            }
            i -= n.len();
        }
        (self.nodes.len(), 0)
    }

    /// Element `i` from the front.
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        if i >= self.len {
            return None;
        }
        let (k, at) = self.locate(i);
        self.nodes[k].get(at)
    }

    fn set(&mut self, i: usize, v: &[u8]) {
        let (k, at) = self.locate(i);
        let node = &mut self.nodes[k];
        let off = node.offset_of(at);
        self.bytes = self.bytes + v.len() - node.at(off).0.len();
        node.replace_at(off, v);
        self.split(k);
    }

    fn insert(&mut self, i: usize, v: &[u8]) {
        if i == self.len {
            return self.push_back(Bytes::new(v));
        }
        let (k, at) = self.locate(i);
        let node = &mut self.nodes[k];
        let off = node.offset_of(at);
        node.insert_at(off, v);
        self.len += 1;
        self.bytes += v.len();
        self.split(k);
    }

    fn remove(&mut self, i: usize) {
        let (k, at) = self.locate(i);
        let node = &mut self.nodes[k];
        let off = node.offset_of(at);
        self.bytes -= node.at(off).0.len();
        node.remove_at(off);
        if node.len() == 0 {
            self.nodes.remove(k);
        }
        self.len -= 1;
        self.settle();
    }

    /// Splits node `k` in two if a change left it over the node size.
    fn split(&mut self, k: usize) {
        let node = &mut self.nodes[k];
        let size = THRESHOLDS.list_size.load(Ordering::Relaxed);
        let over = if size >= 0 {
            node.len() > (size as usize).max(1) || node.bytes() > SAFETY_BYTES
        } else {
            node.bytes() > node_bytes(size)
        };
        if over && node.len() > 1 {
            let rest = node.split_off(node.len() / 2);
            self.nodes.insert(k + 1, rest);
            self.quick = true;
        }
    }

    /// Turns a quicklist back into a listpack once it fits in half a node,
    /// as Redis does, and gives back a node's spare room.
    fn settle(&mut self) {
        if self.quick && self.nodes.len() <= 1 {
            let size = THRESHOLDS.list_size.load(Ordering::Relaxed);
            let small = self.nodes.front().is_none_or(|n| {
                if size >= 0 {
                    n.len() <= size as usize / 2 && n.bytes() <= SAFETY_BYTES / 2
                } else {
                    n.bytes() <= node_bytes(size) / 2
                }
            });
            if small {
                self.quick = false;
                if let Some(n) = self.nodes.front_mut() {
                    n.shrink();
                }
            }
        }
    }

    /// Keeps only elements `start..=stop`.
    fn keep(&mut self, range: Option<(usize, usize)>) {
        let Some((start, stop)) = range else {
            self.nodes.clear();
            self.len = 0;
            self.bytes = 0;
            self.settle();
            return;
        };
        let (mut front, mut back) = (start, self.len - 1 - stop);
        while front > 0 {
            let node = &mut self.nodes[0];
            if node.len() <= front {
                front -= node.len();
                self.len -= node.len();
                self.bytes -= node.iter().map(<[u8]>::len).sum::<usize>();
                self.nodes.pop_front();
            } else {
                self.len -= front;
                self.bytes -= node.iter().take(front).map(<[u8]>::len).sum::<usize>();
                node.drop_front(front);
                front = 0;
            }
        }
        while back > 0 {
            let node = self.nodes.back_mut().expect("a kept range leaves elements");
            if node.len() <= back {
                back -= node.len();
                self.len -= node.len();
                self.bytes -= node.iter().map(<[u8]>::len).sum::<usize>();
                self.nodes.pop_back();
            } else {
                self.len -= back;
                self.bytes -= node.iter().rev().take(back).map(<[u8]>::len).sum::<usize>();
                node.drop_back(back);
                back = 0;
            }
        }
        self.settle();
    }
}

/// Redis's index ranges: negative counts from the end; the inclusive range
/// of a list of `len`, or `None` if it is empty.
pub fn range(mut start: i64, mut stop: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    if start < 0 {
        start += len;
    }
    if stop < 0 {
        stop += len;
    }
    start = start.max(0);
    if start > stop || start >= len {
        return None;
    }
    Some((start as usize, stop.min(len - 1) as usize))
}

fn side(a: &[u8]) -> Result<bool, Cow<'static, str>> {
    if is(a, "left") {
        Ok(true)
    } else if is(a, "right") {
        Ok(false)
    } else {
        Err(SYNTAX.into())
    }
}

/// Logs a change to the list at `key`: `relative` records, or, while a
/// rewrite collects records, the whole list as it now is.
fn log_list(ex: &mut Exec<'_>, shard: &Shard, key: &[u8], relative: impl FnOnce(&mut Vec<u8>)) {
    ex.log_either(relative, |buf| {
        resp::command(buf, &[&b"MULTI"[..]]);
        absolute(buf, shard, key);
        resp::command(buf, &[&b"EXEC"[..]]);
    });
}

/// The records that set `key` to its state in `shard`.
fn absolute(buf: &mut Vec<u8>, shard: &Shard, key: &[u8]) {
    resp::command(buf, &[&b"DEL"[..], key]);
    if let Some(v) = shard.stored(key) {
        v.rewrite(key, shard.expire_at(key), buf);
    }
}

fn push_generic(ex: &mut Exec<'_>, a: &[Arg<'_>], left: bool, only_existing: bool) -> Outcome {
    let now = ex.now;
    let mut s = ex.db().lock(&a[1]);
    let len = s
        .write::<List, _>(&a[1], now, !only_existing, |l| {
            for v in &a[2..] {
                l.push_slice(left, v);
            }
            l.fit();
            l.len()
        })?
        .unwrap_or(0);
    if len > 0 {
        let name: &[u8] = if left { b"LPUSH" } else { b"RPUSH" };
        log_list(ex, &s, &a[1], |buf| {
            resp::array(buf, a.len());
            resp::bulk(buf, name);
            for x in &a[1..] {
                resp::bulk(buf, x);
            }
        });
    }
    drop(s);
    ex.int(len as i64)
}

pub fn lpush(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    push_generic(ex, a, true, false)
}

pub fn rpush(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    push_generic(ex, a, false, false)
}

pub fn lpushx(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    push_generic(ex, a, true, true)
}

pub fn rpushx(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    push_generic(ex, a, false, true)
}

/// Logs that `n` elements were popped from the `left` or right of `key`.
pub fn log_pop(ex: &mut Exec<'_>, shard: &Shard, key: &[u8], left: bool, n: usize) {
    let name: &[u8] = if left { b"LPOP" } else { b"RPOP" };
    log_list(ex, shard, key, |buf| resp::command(buf, &[name, key, n.to_string().as_bytes()]));
}

fn positive_count(a: &[u8]) -> Result<usize, Cow<'static, str>> {
    let n = int(a).map_err(|_| Cow::Borrowed("ERR value is out of range, must be positive"))?;
    if n < 0 {
        return Err("ERR value is out of range, must be positive".into());
    }
    Ok(n as usize)
}

fn pop_generic(ex: &mut Exec<'_>, a: &[Arg<'_>], left: bool) -> Outcome {
    if a.len() > 3 {
        let name = if left { "lpop" } else { "rpop" };
        return Err(format!("ERR wrong number of arguments for '{name}' command").into());
    }
    let count = a.get(2).map(|c| positive_count(c)).transpose()?;
    let now = ex.now;
    let mut s = ex.db().lock(&a[1]);
    let want = count.unwrap_or(1);
    let popped: Option<Vec<Bytes>> =
        s.write::<List, _>(&a[1], now, false, |l| (0..want).map_while(|_| l.pop(left)).collect())?;
    if let Some(p) = &popped {
        if !p.is_empty() {
            log_pop(ex, &s, &a[1], left, p.len());
        }
    }
    drop(s);
    match (count, popped) {
        (None, p) => ex.out.value_or_null(p.as_ref().and_then(|p| p.first())),
        (Some(_), None) => ex.out.null_array(),
        (Some(_), Some(p)) => {
            resp::array(ex.out, p.len());
            for v in &p {
                ex.out.value(v);
            }
        }
    }
    Ok(())
}

pub fn lpop(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    pop_generic(ex, a, true)
}

pub fn rpop(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    pop_generic(ex, a, false)
}

pub fn llen(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let now = ex.now;
    let n = ex.db().lock(&a[1]).read::<List>(&a[1], now)?.map_or(0, List::len);
    ex.int(n as i64)
}

/// The most elements an `LRANGE` run on the I/O thread returns.
const INLINE_RANGE_ELEMENTS: usize = 1000;
/// The most bytes of nodes an `LRANGE` run on the I/O thread copies from.
const INLINE_RANGE_BYTES: usize = 64 << 10;

/// `LRANGE` may run on the I/O thread when it copies little: a range of
/// at most [`INLINE_RANGE_ELEMENTS`] held in at most
/// [`INLINE_RANGE_BYTES`] of nodes, or an error or an empty reply. (The
/// copy is the cost: an element of a packed node has no buffer to share.)
pub fn lrange_is_short(sh: &crate::Shared, db: usize, a: &[Arg<'_>]) -> bool {
    let (Some(key), Some(Ok(start)), Some(Ok(stop))) = (a.get(1), a.get(2).map(|x| int(x)), a.get(3).map(|x| int(x)))
    else {
        return true;
    };
    let shard = sh.store.dbs[db].lock(key);
    let Some(Ok(l)) = shard.stored(key).map(List::of) else { return true };
    match range(start, stop, l.len()) {
        None => true,
        Some((from, to)) => {
            to - from < INLINE_RANGE_ELEMENTS && l.range_bytes(from, to - from + 1) <= INLINE_RANGE_BYTES
        }
    }
}

pub fn lrange(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let (start, stop) = (int(&a[2])?, int(&a[3])?);
    let now = ex.now;
    let mut s = ex.db().lock(&a[1]);
    let l = s.read::<List>(&a[1], now)?;
    match l.and_then(|l| range(start, stop, l.len()).map(|r| (l, r))) {
        None => resp::array(ex.out, 0),
        Some((l, (from, to))) => {
            resp::array(ex.out, to - from + 1);
            for v in l.iter_from(from).take(to - from + 1) {
                ex.out.item(v);
            }
        }
    }
    Ok(())
}

/// Position `i` (negative from the end) in a list of `len`.
fn index(i: i64, len: usize) -> Option<usize> {
    let i = if i < 0 { i + len as i64 } else { i };
    (0..len as i64).contains(&i).then_some(i as usize)
}

pub fn lindex(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let i = int(&a[2])?;
    let now = ex.now;
    let mut s = ex.db().lock(&a[1]);
    let v = s.read::<List>(&a[1], now)?.and_then(|l| index(i, l.len()).and_then(|i| l.get(i)));
    ex.out.item_or_null(v);
    Ok(())
}

pub fn lset(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let i = int(&a[2])?;
    let now = ex.now;
    let mut s = ex.db().lock(&a[1]);
    let done = s.write::<List, _>(&a[1], now, false, |l| match index(i, l.len()) {
        Some(i) => {
            l.set(i, &a[3]);
            true
        }
        None => false,
    })?;
    match done {
        None => Err("ERR no such key".into()),
        Some(false) => Err("ERR index out of range".into()),
        Some(true) => {
            log_list(ex, &s, &a[1], |buf| resp::command(buf, a));
            drop(s);
            ex.ok()
        }
    }
}

pub fn linsert(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let after = if is(&a[2], "after") {
        true
    } else if is(&a[2], "before") {
        false
    } else {
        return Err(SYNTAX.into());
    };
    let now = ex.now;
    let mut s = ex.db().lock(&a[1]);
    let n = s
        .write::<List, _>(&a[1], now, false, |l| {
            let pos = l.iter().position(|v| v == &a[3][..]);
            match pos {
                Some(i) => {
                    l.insert(i + after as usize, &a[4]);
                    l.len() as i64
                }
                None => -1,
            }
        })?
        .unwrap_or(0);
    if n > 0 {
        log_list(ex, &s, &a[1], |buf| resp::command(buf, a));
    }
    drop(s);
    ex.int(n)
}

pub fn lrem(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let count = int(&a[2])?;
    let now = ex.now;
    let mut s = ex.db().lock(&a[1]);
    let removed = s
        .write::<List, _>(&a[1], now, false, |l| {
            let limit = if count == 0 { usize::MAX } else { count.unsigned_abs() as usize };
            let len = l.len();
            let hits: Vec<usize> = if count >= 0 {
                l.iter().enumerate().filter(|(_, v)| *v == &a[3][..]).map(|(i, _)| i).take(limit).collect()
            } else {
                l.iter()
                    .rev()
                    .enumerate()
                    .filter(|(_, v)| *v == &a[3][..])
                    .map(|(i, _)| len - 1 - i)
                    .take(limit)
                    .collect()
            };
            let mut hits = hits;
            hits.sort_unstable_by(|x, y| y.cmp(x));
            for &i in &hits {
                l.remove(i);
            }
            hits.len()
        })?
        .unwrap_or(0);
    if removed > 0 {
        log_list(ex, &s, &a[1], |buf| resp::command(buf, a));
    }
    drop(s);
    ex.int(removed as i64)
}

pub fn ltrim(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let (start, stop) = (int(&a[2])?, int(&a[3])?);
    let now = ex.now;
    let mut s = ex.db().lock(&a[1]);
    let changed = s
        .write::<List, _>(&a[1], now, false, |l| {
            let before = l.len();
            l.keep(range(start, stop, l.len()));
            l.len() != before
        })?
        .unwrap_or(false);
    if changed {
        log_list(ex, &s, &a[1], |buf| resp::command(buf, a));
    }
    drop(s);
    ex.ok()
}

pub fn lpos(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let (mut rank, mut count, mut maxlen) = (1i64, None, 0i64);
    let mut j = 3;
    while j < a.len() {
        let Some(v) = a.get(j + 1) else { return Err(SYNTAX.into()) };
        if is(&a[j], "rank") {
            rank = int(v)?;
            if rank == i64::MIN {
                return Err(
                    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807".into(),
                );
            }
            if rank == 0 {
                return Err("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the last match".into());
            }
        } else if is(&a[j], "count") {
            let n = int(v)?;
            if n < 0 {
                return Err("ERR COUNT can't be negative".into());
            }
            count = Some(n);
        } else if is(&a[j], "maxlen") {
            maxlen = int(v)?;
            if maxlen < 0 {
                return Err("ERR MAXLEN can't be negative".into());
            }
        } else {
            return Err(SYNTAX.into());
        }
        j += 2;
    }
    let now = ex.now;
    let mut s = ex.db().lock(&a[1]);
    let l = s.read::<List>(&a[1], now)?;
    let want = match count {
        Some(0) => usize::MAX,
        Some(n) => n as usize,
        None => 1,
    };
    let scan = if maxlen == 0 { usize::MAX } else { maxlen as usize };
    let mut found = Vec::new();
    if let Some(l) = l {
        let len = l.len();
        let mut skip = rank.unsigned_abs() - 1;
        let items: Box<dyn Iterator<Item = (usize, &[u8])>> = if rank > 0 {
            Box::new(l.iter().enumerate())
        } else {
            Box::new(l.iter().rev().enumerate().map(|(i, v)| (len - 1 - i, v)))
        };
        for (i, v) in items.take(scan) {
            if v == &a[2][..] {
                if skip > 0 {
                    skip -= 1;
                    continue;
                }
                found.push(i as i64);
                if found.len() >= want {
                    break;
                }
            }
        }
    }
    drop(s);
    match count {
        Some(_) => {
            resp::array(ex.out, found.len());
            for i in found {
                resp::integer(ex.out, i);
            }
        }
        None => match found.first() {
            Some(&i) => resp::integer(ex.out, i),
            None => ex.out.null(),
        },
    }
    Ok(())
}

/// Moves one element from `src` to `dst` under both locks; the element, or
/// `None` if `src` is empty. Checks both types before changing either.
fn move_generic(ex: &mut Exec<'_>, src: &[u8], dst: &[u8], from_left: bool, to_left: bool) -> Outcome {
    let now = ex.now;
    let mut locked = ex.db().lock_keys([src, dst]);
    if locked.shard(src).read::<List>(src, now)?.is_none() {
        drop(locked);
        ex.out.null();
        return Ok(());
    }
    if let Some(v) = locked.shard(dst).peek_value(dst, now) {
        List::of(v)?;
    }
    let v = locked.shard(src).write::<List, _>(src, now, false, |l| l.pop(from_left))?.flatten();
    let Some(v) = v else {
        drop(locked);
        ex.out.null();
        return Ok(());
    };
    locked.shard(dst).write::<List, _>(dst, now, true, |l| l.push(to_left, v.clone()))?;
    let sides = |left: bool| -> &'static [u8] {
        if left {
            b"LEFT"
        } else {
            b"RIGHT"
        }
    };
    ex.log_either(
        |buf| resp::command(buf, &[&b"LMOVE"[..], src, dst, sides(from_left), sides(to_left)]),
        |buf| {
            resp::command(buf, &[&b"MULTI"[..]]);
            absolute(buf, locked.shard(src), src);
            absolute(buf, locked.shard(dst), dst);
            resp::command(buf, &[&b"EXEC"[..]]);
        },
    );
    drop(locked);
    ex.out.value(&v);
    Ok(())
}

pub fn lmove(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let (from, to) = (side(&a[3])?, side(&a[4])?);
    move_generic(ex, &a[1], &a[2], from, to)
}

pub fn rpoplpush(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    move_generic(ex, &a[1], &a[2], false, true)
}

pub fn lmpop(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let n = int(&a[1]).map_err(|_| Cow::Borrowed("ERR numkeys should be greater than 0"))?;
    if n <= 0 {
        return Err("ERR numkeys should be greater than 0".into());
    }
    let n = n as usize;
    if n > a.len().saturating_sub(3) {
        return Err(SYNTAX.into());
    }
    let keys = &a[2..2 + n];
    let left = side(&a[2 + n])?;
    let mut count = 1usize;
    let rest = &a[3 + n..];
    match rest {
        [] => {}
        [c, v] if is(c, "count") => {
            let v = int(v).ok().filter(|&v| v > 0).ok_or("ERR count should be greater than 0")?;
            count = v as usize;
        }
        _ => return Err(SYNTAX.into()),
    }
    let now = ex.now;
    for key in keys {
        let mut s = ex.db().lock(key);
        let popped: Option<Vec<Bytes>> =
            s.write::<List, _>(key, now, false, |l| (0..count).map_while(|_| l.pop(left)).collect())?;
        if let Some(p) = popped.filter(|p| !p.is_empty()) {
            log_pop(ex, &s, key, left, p.len());
            drop(s);
            resp::array(ex.out, 2);
            resp::bulk(ex.out, key);
            resp::array(ex.out, p.len());
            for v in &p {
                ex.out.value(v);
            }
            return Ok(());
        }
    }
    ex.out.null_array();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn a_list_agrees_with_a_deque_across_node_boundaries(
            ops in proptest::collection::vec((0u8..8, any::<bool>(), 0usize..2000, 0usize..700), 1..300)
        ) {
            let mut l = List::default();
            let mut m: VecDeque<Vec<u8>> = VecDeque::new();
            for (op, left, i, n) in ops {
                let v = vec![b'a' + (n % 26) as u8; n];
                match op {
                    0 | 1 => {
                        l.push(left, Bytes::new(&v));
                        if left { m.push_front(v) } else { m.push_back(v) }
                    }
                    2 => {
                        let want = if left { m.pop_front() } else { m.pop_back() };
                        prop_assert_eq!(l.pop(left).map(|b| b.to_vec()), want);
                    }
                    3 if !m.is_empty() => {
                        let i = i % m.len();
                        l.set(i, &v);
                        m[i] = v;
                    }
                    4 => {
                        let i = i % (m.len() + 1);
                        l.insert(i, &v);
                        m.insert(i, v);
                    }
                    5 if !m.is_empty() => {
                        let i = i % m.len();
                        l.remove(i);
                        m.remove(i);
                    }
                    6 if !m.is_empty() => {
                        let (a, b) = ((i % 7) as i64, -1 - (n % 5) as i64);
                        let r = range(a, b, m.len());
                        l.keep(r);
                        match r {
                            None => m.clear(),
                            Some((a, b)) => { m.truncate(b + 1); m.drain(..a); }
                        }
                    }
                    _ => {}
                }
                prop_assert_eq!(l.len(), m.len());
                prop_assert!(l.nodes.iter().all(|n| n.len() > 0), "no node is empty");
                prop_assert!(l.nodes.iter().all(|n| n.len() == 1 || n.bytes() <= 8192), "nodes split past 8 KiB");
                prop_assert!(l.nodes.len() <= 1 || l.encoding() == "quicklist");
                if l.nodes.len() <= 1 && m.iter().map(|v| v.len() + 4).sum::<usize>() <= 2048 {
                    prop_assert_eq!(l.encoding(), "listpack", "back to a listpack once it fits in half a node");
                }
            }
            prop_assert_eq!(l.iter().map(<[u8]>::to_vec).collect::<Vec<_>>(), m.iter().cloned().collect::<Vec<_>>());
            prop_assert_eq!(l.iter().rev().map(<[u8]>::to_vec).collect::<Vec<_>>(), m.iter().rev().cloned().collect::<Vec<_>>());
            for (i, v) in m.iter().enumerate() {
                prop_assert_eq!(l.get(i), Some(&v[..]));
                prop_assert_eq!(l.iter_from(i).next(), Some(&v[..]));
            }
            prop_assert_eq!(l.iter_from(m.len()).next(), None);
        }
    }

    #[test]
    fn ranges_count_from_either_end_and_clip_like_redis() {
        assert_eq!(range(0, -1, 3), Some((0, 2)));
        assert_eq!(range(-100, 100, 3), Some((0, 2)));
        assert_eq!(range(2, 1, 3), None);
        assert_eq!(range(5, 10, 3), None);
        assert_eq!(range(-1, -1, 3), Some((2, 2)));
        assert_eq!(range(0, 0, 0), None);
    }
}
