//! Sorted sets: members with scores, and the `Z*` commands.
//!
//! A small sorted set is a sorted array of (score, member); past the
//! thresholds a member's score is found in a hash map and the order by
//! (score, member) is an [`Order`], where ranks and positions cost
//! O(log n), so a range costs O(log n) per element it returns. Writes are logged as records that
//! set each named member's absolute state: `ZADD` of the scores they left
//! (`ZINCRBY` too), `ZREM` of what they removed (pops and range removals
//! too), and a `*STORE` as `DEL` and `ZADD`s inside `MULTI`/`EXEC`.

use std::borrow::Cow;
use std::collections::HashMap;

use switchyard_codec::resp;

use super::order::{self, Order};
use super::thresholds::{Thresholds, THRESHOLDS};
use super::{pick_indices, Kind, Rng, Value, ELEMENT_OVERHEAD_BYTES, REWRITE_ITEMS_PER_COMMAND};
use crate::bytes::Bytes;
use crate::command::{int, is, Arg, Exec, Outcome, SYNTAX};
use crate::reply::Protocol;
use crate::store::Ttl;

/// A sorted set.
#[derive(Clone, Debug)]
pub struct ZSet {
    enc: Encoding,
}

/// How a sorted set holds its members. Redis's names: a small one is a
/// listpack (here a sorted array of scores and inline members, searched
/// linearly by member, as Redis's listpack is); a big one is what Redis
/// calls a skiplist, here a hash map of scores beside a treap ordered by
/// score ([`Order`]), which gives the same O(log n) ranks and ranges.
#[derive(Clone, Debug)]
enum Encoding {
    /// At most `zset-max-listpack-entries` members, none longer than
    /// `zset-max-listpack-value`, lowest first.
    Listpack(Vec<(f64, Bytes)>),
    /// Past either threshold, for good, as in Redis.
    Skiplist(Box<Big>),
}

#[derive(Clone, Debug, Default)]
struct Big {
    scores: HashMap<Bytes, f64>,
    order: Order,
    /// Bytes of every member.
    bytes: usize,
}

impl Default for ZSet {
    fn default() -> ZSet {
        ZSet { enc: Encoding::Listpack(Vec::new()) }
    }
}

impl ZSet {
    /// Members held.
    pub fn len(&self) -> usize {
        match &self.enc {
            Encoding::Listpack(v) => v.len(),
            Encoding::Skiplist(b) => b.scores.len(),
        }
    }

    /// Estimated bytes held: a big set keeps each member twice (map and
    /// order).
    pub fn mem(&self) -> usize {
        match &self.enc {
            Encoding::Listpack(v) => v.capacity() * std::mem::size_of::<(f64, Bytes)>(),
            Encoding::Skiplist(b) => 2 * b.bytes + b.scores.len() * 2 * ELEMENT_OVERHEAD_BYTES,
        }
    }

    /// The name `OBJECT ENCODING` answers.
    pub fn encoding(&self) -> &'static str {
        match &self.enc {
            Encoding::Listpack(_) => "listpack",
            Encoding::Skiplist(_) => "skiplist",
        }
    }

    /// The score of `m`.
    pub fn score(&self, m: &[u8]) -> Option<f64> {
        match &self.enc {
            Encoding::Listpack(v) => v.iter().find(|(_, x)| &x[..] == m).map(|(s, _)| *s),
            Encoding::Skiplist(b) => b.scores.get(m).copied(),
        }
    }

    fn convert_to_skiplist(&mut self) {
        if let Encoding::Listpack(v) = &mut self.enc {
            let mut b = Big::default();
            for (s, m) in std::mem::take(v) {
                b.bytes += m.len();
                b.scores.insert(m.clone(), s);
                b.order.insert(s, m);
            }
            self.enc = Encoding::Skiplist(Box::new(b));
        }
    }

    /// Sets `m`'s score; true if `m` is new.
    pub fn insert(&mut self, m: &[u8], score: f64) -> bool {
        let score = score + 0.0; // -0 is kept as 0, as Redis shows it.
        if let Encoding::Listpack(v) = &self.enc {
            let new = !v.iter().any(|(_, x)| &x[..] == m);
            if m.len() > Thresholds::get(&THRESHOLDS.zset_value)
                || new && v.len() >= Thresholds::get(&THRESHOLDS.zset_entries)
            {
                self.convert_to_skiplist();
            }
        }
        match &mut self.enc {
            Encoding::Listpack(v) => {
                let at = v.iter().position(|(_, x)| &x[..] == m);
                let member = match at {
                    Some(i) if v[i].0 == score => return false,
                    Some(i) => v.remove(i).1,
                    None => Bytes::new(m),
                };
                let to = v.partition_point(|(s, x)| order::cmp((*s, x), (score, m)) == std::cmp::Ordering::Less);
                v.insert(to, (score, member));
                at.is_none()
            }
            Encoding::Skiplist(b) => match b.scores.get_mut(m) {
                Some(old) => {
                    if *old != score {
                        b.order.remove(*old, m);
                        *old = score;
                        b.order.insert(score, Bytes::new(m));
                    }
                    false
                }
                None => {
                    b.bytes += m.len();
                    let m = Bytes::new(m);
                    b.scores.insert(m.clone(), score);
                    b.order.insert(score, m);
                    true
                }
            },
        }
    }

    /// Removes `m`; true if it was there.
    pub fn remove(&mut self, m: &[u8]) -> bool {
        match &mut self.enc {
            Encoding::Listpack(v) => match v.iter().position(|(_, x)| &x[..] == m) {
                Some(i) => {
                    v.remove(i);
                    true
                }
                None => false,
            },
            Encoding::Skiplist(b) => match b.scores.remove(m) {
                Some(s) => {
                    b.order.remove(s, m);
                    b.bytes -= m.len();
                    true
                }
                None => false,
            },
        }
    }

    /// The element at `rank` (from 0, lowest first).
    pub fn nth(&self, rank: usize) -> Option<(f64, &Bytes)> {
        match &self.enc {
            Encoding::Listpack(v) => v.get(rank).map(|(s, m)| (*s, m)),
            Encoding::Skiplist(b) => b.order.nth(rank),
        }
    }

    /// Every member and score, lowest first.
    pub fn iter(&self) -> impl Iterator<Item = (f64, &Bytes)> + '_ {
        let (small, big) = match &self.enc {
            Encoding::Listpack(v) => (Some(v.iter().map(|(s, m)| (*s, m))), None),
            Encoding::Skiplist(b) => (None, Some(b.order.iter())),
        };
        small.into_iter().flatten().chain(big.into_iter().flatten())
    }

    fn rank(&self, m: &[u8]) -> Option<usize> {
        match &self.enc {
            Encoding::Listpack(v) => v.iter().position(|(_, x)| &x[..] == m),
            Encoding::Skiplist(b) => b.scores.get(m).map(|&s| b.order.rank(s, m)),
        }
    }

    /// How many elements, lowest first, satisfy `before` (which holds for
    /// a prefix of the order).
    fn count_before(&self, before: impl Fn(f64, &[u8]) -> bool) -> usize {
        match &self.enc {
            Encoding::Listpack(v) => v.partition_point(|(s, m)| before(*s, m)),
            Encoding::Skiplist(b) => b.order.count_before(before),
        }
    }

    /// Whether the set is a listpack (which `ZSCAN` answers in one call).
    pub fn is_compact(&self) -> bool {
        matches!(self.enc, Encoding::Listpack(_))
    }

    /// Gives back a listpack's spare room after a write.
    pub fn fit(&mut self) {
        if let Encoding::Listpack(v) = &mut self.enc {
            v.shrink_to_fit();
        }
    }
}

/// Formats a score as Redis 7.0 does (`%.17g`; `inf`, `-inf`).
pub fn format_score(x: f64) -> String {
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if x == 0.0 {
        return "0".into();
    }
    let sci = format!("{:.16e}", x);
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if (-4..17).contains(&exp) {
        let fixed = format!("{:.*}", (16 - exp).max(0) as usize, x);
        trim_zeros(&fixed).to_string()
    } else {
        let m = trim_zeros(mantissa);
        format!("{m}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
    }
}

fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// Parses a score as Redis's `strtod`-based parser does; NaN is refused.
pub fn parse_score(a: &[u8]) -> Option<f64> {
    let s = std::str::from_utf8(a).ok()?;
    if s.is_empty() || s.starts_with(char::is_whitespace) || s.ends_with(char::is_whitespace) {
        return None;
    }
    let v: f64 = s.parse().ok()?;
    (!v.is_nan()).then_some(v)
}

fn score_arg(a: &[u8]) -> Result<f64, Cow<'static, str>> {
    parse_score(a).ok_or(Cow::Borrowed("ERR value is not a valid float"))
}

/// A score: a bulk string under RESP2, a double under RESP3, as Redis 7.
fn bulk_score(ex: &mut Exec<'_>, x: f64) {
    let text = format_score(x);
    match ex.out.protocol {
        Protocol::Resp2 => resp::bulk(ex.out, text.as_bytes()),
        Protocol::Resp3 => {
            ex.out.push(b',');
            ex.out.extend_from_slice(text.as_bytes());
            ex.out.extend_from_slice(b"\r\n");
        }
    }
}

fn log_zadd(ex: &mut Exec<'_>, key: &[u8], pairs: &[(f64, &[u8])]) {
    if pairs.is_empty() {
        return;
    }
    ex.log(|buf| {
        for part in pairs.chunks(REWRITE_ITEMS_PER_COMMAND) {
            resp::array(buf, 2 + part.len() * 2);
            resp::bulk(buf, b"ZADD");
            resp::bulk(buf, key);
            for (s, m) in part {
                resp::bulk(buf, format_score(*s).as_bytes());
                resp::bulk(buf, m);
            }
        }
    });
}

fn log_zrem<'m>(ex: &mut Exec<'_>, key: &[u8], members: impl ExactSizeIterator<Item = &'m Bytes>) {
    if members.len() == 0 {
        return;
    }
    ex.log(|buf| {
        let refs: Vec<&Bytes> = members.collect();
        for part in refs.chunks(REWRITE_ITEMS_PER_COMMAND) {
            super::command_with(buf, b"ZREM", key, part);
        }
    });
}

/// The commands that rebuild `z` at `key` (for the log rewrite).
pub fn rewrite(z: &ZSet, key: &[u8], out: &mut Vec<u8>) {
    let all: Vec<(f64, &Bytes)> = z.iter().collect();
    for part in all.chunks(REWRITE_ITEMS_PER_COMMAND) {
        resp::array(out, 2 + part.len() * 2);
        resp::bulk(out, b"ZADD");
        resp::bulk(out, key);
        for (s, m) in part {
            resp::bulk(out, format_score(*s).as_bytes());
            resp::bulk(out, m);
        }
    }
}

pub fn zadd(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let (mut nx, mut xx, mut gt, mut lt, mut ch, mut incr) = (false, false, false, false, false, false);
    let mut j = 2;
    while j < a.len() {
        let o = &a[j];
        if is(o, "nx") {
            nx = true;
        } else if is(o, "xx") {
            xx = true;
        } else if is(o, "gt") {
            gt = true;
        } else if is(o, "lt") {
            lt = true;
        } else if is(o, "ch") {
            ch = true;
        } else if is(o, "incr") {
            incr = true;
        } else {
            break;
        }
        j += 1;
    }
    let rest = &a[j..];
    if rest.is_empty() || rest.len() % 2 != 0 {
        return Err(SYNTAX.into());
    }
    if nx && xx {
        return Err("ERR XX and NX options at the same time are not compatible".into());
    }
    if [gt, lt, nx].iter().filter(|&&b| b).count() > 1 {
        return Err("ERR GT, LT, and/or NX options at the same time are not compatible".into());
    }
    if incr && rest.len() > 2 {
        return Err("ERR INCR option supports a single increment-element pair".into());
    }
    let pairs: Vec<(f64, &[u8])> =
        rest.chunks(2).map(|p| Ok((score_arg(&p[0])?, &p[1][..]))).collect::<Result<_, Cow<'static, str>>>()?;
    let now = ex.now;
    let mut s = ex.db().lock(&a[1]);
    let create = !xx;
    let outcome = s.write::<ZSet, _>(&a[1], now, create, |z| {
        let (mut added, mut changed) = (0i64, 0i64);
        let mut logged: Vec<(f64, &[u8])> = Vec::new();
        let mut result: Option<Result<f64, ()>> = None;
        for &(score, m) in &pairs {
            let cur = z.score(m);
            let new = match (cur, incr) {
                (Some(c), true) => c + score,
                _ => score,
            };
            if new.is_nan() {
                result = Some(Err(()));
                break;
            }
            let allowed = match cur {
                None => !xx,
                Some(c) => !nx && (!gt || new > c) && (!lt || new < c),
            };
            if !allowed {
                continue;
            }
            result = Some(Ok(new));
            match cur {
                None => {
                    added += 1;
                    z.insert(m, new);
                    logged.push((new, m));
                }
                Some(c) if c != new => {
                    changed += 1;
                    z.insert(m, new);
                    logged.push((new, m));
                }
                Some(_) => {}
            }
        }
        z.fit();
        (added, changed, logged, result)
    })?;
    let (added, changed, logged, result) = outcome.unwrap_or((0, 0, Vec::new(), None));
    log_zadd(ex, &a[1], &logged);
    drop(s);
    if incr {
        return match result {
            Some(Err(())) => Err("ERR resulting score is not a number (NaN)".into()),
            Some(Ok(x)) => {
                bulk_score(ex, x);
                Ok(())
            }
            None => {
                ex.out.null();
                Ok(())
            }
        };
    }
    ex.int(if ch { added + changed } else { added })
}

pub fn zincrby(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let by = score_arg(&a[2])?;
    let now = ex.now;
    let mut s = ex.db().lock(&a[1]);
    let r = s
        .write::<ZSet, _>(&a[1], now, true, |z| {
            let new = z.score(&a[3]).unwrap_or(0.0) + by;
            if new.is_nan() {
                return None;
            }
            z.insert(&a[3], new);
            Some(new)
        })?
        .flatten();
    let Some(new) = r else { return Err("ERR resulting score is not a number (NaN)".into()) };
    log_zadd(ex, &a[1], &[(new, &a[3])]);
    drop(s);
    bulk_score(ex, new);
    Ok(())
}

pub fn zscore(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let now = ex.now;
    let v = ex.db().lock(&a[1]).read::<ZSet>(&a[1], now)?.and_then(|z| z.score(&a[2]));
    match v {
        Some(x) => bulk_score(ex, x),
        None => ex.out.null(),
    }
    Ok(())
}

pub fn zmscore(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let now = ex.now;
    let mut s = ex.db().lock(&a[1]);
    let z = s.read::<ZSet>(&a[1], now)?;
    let scores: Vec<Option<f64>> = a[2..].iter().map(|m| z.and_then(|z| z.score(m))).collect();
    drop(s);
    resp::array(ex.out, scores.len());
    for x in scores {
        match x {
            Some(x) => bulk_score(ex, x),
            None => ex.out.null(),
        }
    }
    Ok(())
}

pub fn zcard(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let now = ex.now;
    let n = ex.db().lock(&a[1]).read::<ZSet>(&a[1], now)?.map_or(0, ZSet::len);
    ex.int(n as i64)
}

/// One end of a score range.
#[derive(Clone, Copy, Debug)]
struct ScoreBound {
    value: f64,
    exclusive: bool,
}

fn score_bound(a: &[u8]) -> Result<ScoreBound, Cow<'static, str>> {
    let bad = || Cow::Borrowed("ERR min or max is not a float");
    match a.strip_prefix(b"(") {
        Some(rest) => Ok(ScoreBound { value: parse_score(rest).ok_or_else(bad)?, exclusive: true }),
        None => Ok(ScoreBound { value: parse_score(a).ok_or_else(bad)?, exclusive: false }),
    }
}

/// One end of a member range (`ZRANGEBYLEX`).
#[derive(Clone, Debug)]
enum LexBound {
    Min,
    Max,
    Inclusive(Vec<u8>),
    Exclusive(Vec<u8>),
}

fn lex_bound(a: &[u8]) -> Result<LexBound, Cow<'static, str>> {
    match a.first() {
        Some(b'-') if a.len() == 1 => Ok(LexBound::Min),
        Some(b'+') if a.len() == 1 => Ok(LexBound::Max),
        Some(b'[') => Ok(LexBound::Inclusive(a[1..].to_vec())),
        Some(b'(') => Ok(LexBound::Exclusive(a[1..].to_vec())),
        _ => Err("ERR min or max not valid string range item".into()),
    }
}

/// Which elements a range names: ranks `from..to`, lowest first.
#[derive(Clone, Debug)]
enum Range {
    Rank(i64, i64),
    Score(ScoreBound, ScoreBound),
    Lex(LexBound, LexBound),
}

impl Range {
    /// The ranks `from..to` of the elements in range.
    fn ranks(&self, z: &ZSet) -> (usize, usize) {
        let len = z.len();
        match self {
            Range::Rank(start, stop) => match super::list::range(*start, *stop, len) {
                Some((a, b)) => (a, b + 1),
                None => (0, 0),
            },
            Range::Score(min, max) => {
                let from = z.count_before(|s, _| s < min.value || (min.exclusive && s == min.value));
                let to = z.count_before(|s, _| s < max.value || (!max.exclusive && s == max.value));
                (from, to.max(from))
            }
            Range::Lex(min, max) => {
                let from = z.count_before(|_, m| match min {
                    LexBound::Min => false,
                    LexBound::Max => true,
                    LexBound::Inclusive(b) => m < &b[..],
                    LexBound::Exclusive(b) => m <= &b[..],
                });
                let to = z.count_before(|_, m| match max {
                    LexBound::Min => false,
                    LexBound::Max => true,
                    LexBound::Inclusive(b) => m <= &b[..],
                    LexBound::Exclusive(b) => m < &b[..],
                });
                (from, to.max(from))
            }
        }
    }
}

/// A range query: which elements, in which direction, which part of them.
struct Query {
    range: Range,
    rev: bool,
    offset: usize,
    /// At most this many; `None` for all.
    count: Option<usize>,
    with_scores: bool,
}

impl Query {
    /// The ranks to return, in reply order.
    fn ranks(&self, z: &ZSet) -> Vec<usize> {
        let (from, to) = match &self.range {
            // Rank ranges with REV count from the highest.
            Range::Rank(..) if self.rev => {
                let (a, b) = self.range.ranks(z);
                let len = z.len();
                (len - b, len - a)
            }
            r => r.ranks(z),
        };
        let n = to - from;
        let skip = self.offset.min(n);
        let take = self.count.unwrap_or(usize::MAX).min(n - skip);
        if self.rev {
            (0..take).map(|i| to - 1 - skip - i).collect()
        } else {
            (0..take).map(|i| from + skip + i).collect()
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum By {
    Rank,
    Score,
    Lex,
}

/// Parses `min max [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]`
/// (`ZRANGE`, `ZRANGESTORE`) or the fixed forms of the older commands.
fn parse_query(
    a: &[Arg<'_>],
    at: usize,
    mut by: By,
    mut rev: bool,
    options_allowed: bool,
) -> Result<Query, Cow<'static, str>> {
    let (mut offset, mut count, mut with_scores, mut limit) = (0usize, None, false, false);
    let mut j = at + 2;
    while j < a.len() {
        let o = &a[j];
        if options_allowed && is(o, "byscore") {
            by = By::Score;
        } else if options_allowed && is(o, "bylex") {
            by = By::Lex;
        } else if options_allowed && is(o, "rev") {
            rev = true;
        } else if is(o, "withscores") {
            with_scores = true;
        } else if is(o, "limit") && j + 2 < a.len() {
            let (o, c) = (int(&a[j + 1])?, int(&a[j + 2])?);
            limit = true;
            if o < 0 {
                offset = usize::MAX;
            } else {
                offset = o as usize;
            }
            count = (c >= 0).then_some(c as usize);
            j += 2;
        } else {
            return Err(SYNTAX.into());
        }
        j += 1;
    }
    if limit && by == By::Rank {
        return Err("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX".into());
    }
    if with_scores && by == By::Lex {
        return Err("ERR syntax error, WITHSCORES not supported in combination with BYLEX".into());
    }
    // With REV (or a ZREV* command) the first bound is the high one.
    let (lo, hi) = if rev && by != By::Rank { (&a[at + 1], &a[at]) } else { (&a[at], &a[at + 1]) };
    let range = match by {
        By::Rank => Range::Rank(int(&a[at])?, int(&a[at + 1])?),
        By::Score => Range::Score(score_bound(lo)?, score_bound(hi)?),
        By::Lex => Range::Lex(lex_bound(lo)?, lex_bound(hi)?),
    };
    Ok(Query { range, rev, offset, count, with_scores })
}

fn reply_range(ex: &mut Exec<'_>, key: &[u8], q: &Query) -> Outcome {
    let now = ex.now;
    let mut s = ex.db().lock(key);
    let Some(z) = s.read::<ZSet>(key, now)? else {
        resp::array(ex.out, 0);
        return Ok(());
    };
    let ranks = q.ranks(z);
    if q.with_scores {
        ex.out.pairs(ranks.len());
    } else {
        resp::array(ex.out, ranks.len());
    }
    for r in ranks {
        if let Some((score, m)) = z.nth(r) {
            if q.with_scores {
                ex.out.pair();
            }
            ex.out.value(m);
            if q.with_scores {
                bulk_score(ex, score);
            }
        }
    }
    Ok(())
}

pub fn zrange(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let q = parse_query(a, 2, By::Rank, false, true)?;
    reply_range(ex, &a[1], &q)
}

pub fn zrevrange(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let q = parse_query(a, 2, By::Rank, true, false)?;
    reply_range(ex, &a[1], &q)
}

pub fn zrangebyscore(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let q = parse_query(a, 2, By::Score, false, false)?;
    reply_range(ex, &a[1], &q)
}

pub fn zrevrangebyscore(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let q = parse_query(a, 2, By::Score, true, false)?;
    reply_range(ex, &a[1], &q)
}

pub fn zrangebylex(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let q = parse_query(a, 2, By::Lex, false, false)?;
    reply_range(ex, &a[1], &q)
}

pub fn zrevrangebylex(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let q = parse_query(a, 2, By::Lex, true, false)?;
    reply_range(ex, &a[1], &q)
}

/// Replaces `dst` with `result` under its lock (held by the caller in
/// `locked`), logging the new state; an empty result deletes it.
fn store_result(ex: &mut Exec<'_>, shard: &mut crate::store::Shard, dst: &[u8], result: ZSet) -> usize {
    let n = result.len();
    let existed = shard.remove(dst).is_some();
    if existed || n > 0 {
        let mut rec = Vec::new();
        resp::command(&mut rec, &[&b"MULTI"[..]]);
        resp::command(&mut rec, &[&b"DEL"[..], dst]);
        rewrite(&result, dst, &mut rec);
        resp::command(&mut rec, &[&b"EXEC"[..]]);
        ex.log(|buf| buf.extend_from_slice(&rec));
    }
    if n > 0 {
        shard.insert_value(dst, result.wrap(), Ttl::Clear);
    }
    n
}

pub fn zrangestore(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let q = parse_query(a, 3, By::Rank, false, true)?;
    if q.with_scores {
        return Err(SYNTAX.into());
    }
    let (dst, src) = (&a[1][..], &a[2][..]);
    let now = ex.now;
    let mut locked = ex.db().lock_keys([dst, src]);
    let mut result = ZSet::default();
    if let Some(z) = locked.shard(src).read::<ZSet>(src, now)? {
        for r in q.ranks(z) {
            if let Some((score, m)) = z.nth(r) {
                result.insert(m, score);
            }
        }
    }
    let n = store_result(ex, locked.shard(dst), dst, result);
    drop(locked);
    ex.int(n as i64)
}

fn count_in(ex: &mut Exec<'_>, key: &[u8], range: Range) -> Outcome {
    let now = ex.now;
    let n = ex.db().lock(key).read::<ZSet>(key, now)?.map_or(0, |z| {
        let (a, b) = range.ranks(z);
        b - a
    });
    ex.int(n as i64)
}

pub fn zcount(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let range = Range::Score(score_bound(&a[2])?, score_bound(&a[3])?);
    count_in(ex, &a[1], range)
}

pub fn zlexcount(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let range = Range::Lex(lex_bound(&a[2])?, lex_bound(&a[3])?);
    count_in(ex, &a[1], range)
}

fn rank_generic(ex: &mut Exec<'_>, a: &[Arg<'_>], rev: bool) -> Outcome {
    let now = ex.now;
    let mut s = ex.db().lock(&a[1]);
    let r = s.read::<ZSet>(&a[1], now)?.and_then(|z| z.rank(&a[2]).map(|r| if rev { z.len() - 1 - r } else { r }));
    drop(s);
    match r {
        Some(r) => ex.int(r as i64),
        None => {
            ex.out.null();
            Ok(())
        }
    }
}

pub fn zrank(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    rank_generic(ex, a, false)
}

pub fn zrevrank(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    rank_generic(ex, a, true)
}

pub fn zrem(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let now = ex.now;
    let mut s = ex.db().lock(&a[1]);
    let gone: Vec<Bytes> = s
        .write::<ZSet, _>(&a[1], now, false, |z| {
            a[2..].iter().filter(|m| z.remove(m)).map(|m| Bytes::new(m)).collect()
        })?
        .unwrap_or_default();
    log_zrem(ex, &a[1], gone.iter());
    drop(s);
    ex.int(gone.len() as i64)
}

fn remove_range(ex: &mut Exec<'_>, key: &[u8], range: Range) -> Outcome {
    let now = ex.now;
    let mut s = ex.db().lock(key);
    let gone: Vec<Bytes> = s
        .write::<ZSet, _>(key, now, false, |z| {
            let (from, to) = range.ranks(z);
            let members: Vec<Bytes> = (from..to).filter_map(|r| z.nth(r).map(|(_, m)| m.clone())).collect();
            for m in &members {
                z.remove(m);
            }
            members
        })?
        .unwrap_or_default();
    log_zrem(ex, key, gone.iter());
    drop(s);
    ex.int(gone.len() as i64)
}

pub fn zremrangebyrank(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let range = Range::Rank(int(&a[2])?, int(&a[3])?);
    remove_range(ex, &a[1], range)
}

pub fn zremrangebyscore(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let range = Range::Score(score_bound(&a[2])?, score_bound(&a[3])?);
    remove_range(ex, &a[1], range)
}

pub fn zremrangebylex(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let range = Range::Lex(lex_bound(&a[2])?, lex_bound(&a[3])?);
    remove_range(ex, &a[1], range)
}

fn pop_generic(ex: &mut Exec<'_>, a: &[Arg<'_>], max: bool) -> Outcome {
    if a.len() > 3 {
        return Err(SYNTAX.into());
    }
    let count = match a.get(2) {
        Some(c) => {
            let n = int(c)?;
            if n < 0 {
                return Err("ERR value is out of range, must be positive".into());
            }
            n as usize
        }
        None => 1,
    };
    let now = ex.now;
    let mut s = ex.db().lock(&a[1]);
    let popped: Vec<(f64, Bytes)> = s
        .write::<ZSet, _>(&a[1], now, false, |z| {
            let mut out = Vec::with_capacity(count.min(z.len()));
            while out.len() < count {
                let rank = if max { z.len().checked_sub(1) } else { Some(0) };
                let Some((score, m)) = rank.and_then(|r| z.nth(r)).map(|(s, m)| (s, m.clone())) else { break };
                z.remove(&m);
                out.push((score, m));
            }
            out
        })?
        .unwrap_or_default();
    log_zrem(ex, &a[1], popped.iter().map(|(_, m)| m));
    drop(s);
    // With a count, RESP3 pairs each member with its score, as Redis 7.
    if a.len() > 2 {
        ex.out.pairs(popped.len());
    } else {
        resp::array(ex.out, popped.len() * 2);
    }
    for (score, m) in &popped {
        if a.len() > 2 {
            ex.out.pair();
        }
        ex.out.value(m);
        bulk_score(ex, *score);
    }
    Ok(())
}

pub fn zpopmin(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    pop_generic(ex, a, false)
}

pub fn zpopmax(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    pop_generic(ex, a, true)
}

#[derive(Clone, Copy, PartialEq)]
enum Combine {
    Union,
    Inter,
    Diff,
}

/// `ZUNIONSTORE`, `ZINTERSTORE`, `ZDIFFSTORE`: read and store under the
/// locks of every key, so that no reader sees a half-made result. Sets
/// count as sorted sets whose scores are 1, as in Redis.
fn combine_store(ex: &mut Exec<'_>, a: &[Arg<'_>], op: Combine, name: &str) -> Outcome {
    let n = int(&a[2])?;
    if n < 1 {
        return Err(format!("ERR at least 1 input key is needed for '{name}' command").into());
    }
    let n = n as usize;
    if n > a.len() - 3 {
        return Err(SYNTAX.into());
    }
    let keys = &a[3..3 + n];
    let mut weights = vec![1.0f64; n];
    let mut agg_name = "sum";
    let mut j = 3 + n;
    while j < a.len() {
        if op != Combine::Diff && is(&a[j], "weights") && j + n < a.len() {
            for (i, w) in weights.iter_mut().enumerate() {
                *w = parse_score(&a[j + 1 + i]).ok_or("ERR weight value is not a float")?;
            }
            j += n + 1;
        } else if op != Combine::Diff && is(&a[j], "aggregate") && j + 1 < a.len() {
            let v = &a[j + 1];
            agg_name = if is(v, "sum") {
                "sum"
            } else if is(v, "min") {
                "min"
            } else if is(v, "max") {
                "max"
            } else {
                return Err(SYNTAX.into());
            };
            j += 2;
        } else {
            return Err(SYNTAX.into());
        }
    }
    let aggregate = |x: f64, y: f64| match agg_name {
        "min" => x.min(y),
        "max" => x.max(y),
        // inf + -inf is NaN; Redis makes it 0.
        _ => {
            let v = x + y;
            if v.is_nan() {
                0.0
            } else {
                v
            }
        }
    };
    let dst = &a[1][..];
    let now = ex.now;
    let mut locked = ex.db().lock_keys(a[1..2].iter().chain(keys).map(|k| &k[..]));
    // Each input as (member, score) pairs; absent keys are empty.
    let mut inputs: Vec<Option<Vec<(Bytes, f64)>>> = Vec::with_capacity(n);
    for k in keys {
        let input = match locked.shard(k).peek_value(k, now) {
            None => None,
            Some(Value::ZSet(z)) => Some(z.iter().map(|(s, m)| (m.clone(), s)).collect()),
            Some(Value::Set(s)) => Some(s.iter().map(|m| (m.clone(), 1.0)).collect()),
            Some(_) => return Err(super::WRONGTYPE.into()),
        };
        inputs.push(input);
    }
    let weigh = |s: f64, w: f64| {
        let v = s * w;
        if v.is_nan() {
            0.0
        } else {
            v
        }
    };
    let mut acc: HashMap<Bytes, f64> = HashMap::new();
    match op {
        Combine::Union => {
            for (input, w) in inputs.iter().zip(&weights) {
                for (m, s) in input.iter().flatten() {
                    let v = weigh(*s, *w);
                    acc.entry(m.clone()).and_modify(|x| *x = aggregate(*x, v)).or_insert(v);
                }
            }
        }
        Combine::Inter => {
            if inputs.iter().all(Option::is_some) {
                let maps: Vec<HashMap<&Bytes, f64>> =
                    inputs.iter().flatten().map(|i| i.iter().map(|(m, s)| (m, *s)).collect()).collect();
                for (m, s) in inputs[0].iter().flatten() {
                    let mut v = weigh(*s, weights[0]);
                    let mut all = true;
                    for (i, map) in maps.iter().enumerate().skip(1) {
                        match map.get(m) {
                            Some(x) => v = aggregate(v, weigh(*x, weights[i])),
                            None => {
                                all = false;
                                break;
                            }
                        }
                    }
                    if all {
                        acc.insert(m.clone(), v);
                    }
                }
            }
        }
        Combine::Diff => {
            if let Some(first) = &inputs[0] {
                let rest: Vec<HashMap<&Bytes, f64>> =
                    inputs[1..].iter().flatten().map(|i| i.iter().map(|(m, s)| (m, *s)).collect()).collect();
                for (m, s) in first {
                    if rest.iter().all(|r| !r.contains_key(m)) {
                        acc.insert(m.clone(), *s);
                    }
                }
            }
        }
    }
    let mut result = ZSet::default();
    for (m, s) in acc {
        result.insert(&m, s);
    }
    let stored = store_result(ex, locked.shard(dst), dst, result);
    drop(locked);
    ex.int(stored as i64)
}

pub fn zunionstore(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    combine_store(ex, a, Combine::Union, "zunionstore")
}

pub fn zinterstore(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    combine_store(ex, a, Combine::Inter, "zinterstore")
}

pub fn zdiffstore(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    combine_store(ex, a, Combine::Diff, "zdiffstore")
}

pub fn zrandmember(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let count = a.get(2).map(|c| int(c)).transpose()?;
    let with_scores = match a.get(3) {
        Some(w) if a.len() == 4 && is(w, "withscores") => true,
        Some(_) => return Err(SYNTAX.into()),
        None => false,
    };
    if let Some(c) = count {
        super::check_pick_count(ex, "zrandmember", c)?;
    }
    let now = ex.now;
    let mut s = ex.db().lock(&a[1]);
    let z = s.read::<ZSet>(&a[1], now)?;
    let mut rng = Rng::new();
    let Some(count) = count else {
        let pick = z.and_then(|z| z.nth(rng.below(z.len())));
        ex.out.value_or_null(pick.map(|(_, m)| m));
        return Ok(());
    };
    let Some(z) = z else {
        resp::array(ex.out, 0);
        return Ok(());
    };
    let picks = pick_indices(&mut rng, z.len(), count);
    if with_scores {
        ex.out.pairs(picks.len());
    } else {
        resp::array(ex.out, picks.len());
    }
    for r in picks {
        if let Some((score, m)) = z.nth(r) {
            if with_scores {
                ex.out.pair();
            }
            ex.out.value(m);
            if with_scores {
                bulk_score(ex, score);
            }
        }
    }
    Ok(())
}

pub fn zscan(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let opts = super::ScanOptions::parse(a, false)?;
    let now = ex.now;
    let mut s = ex.db().lock(&a[1]);
    let Some(z) = s.read::<ZSet>(&a[1], now)? else {
        return super::scan_reply(ex, 0, &[]);
    };
    // A listpack answers in one call with cursor 0, as Redis's does.
    let opts = if z.is_compact() { opts.whole() } else { opts };
    let (next, items) = opts.page(z.iter(), z.len(), |(_, m)| m);
    let flat: Vec<Bytes> =
        items.into_iter().flat_map(|(score, m)| [m.clone(), Bytes::new(format_score(score).as_bytes())]).collect();
    drop(s);
    super::scan_reply(ex, next, &flat.iter().collect::<Vec<_>>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn a_sorted_set_agrees_with_a_model_across_the_listpack_thresholds(
            ops in proptest::collection::vec((0u8..3, 0u16..200, -5i32..5, any::<bool>()), 1..400)
        ) {
            let mut z = ZSet::default();
            let mut m: std::collections::BTreeMap<String, f64> = Default::default();
            let mut big = false;
            for (op, i, score, long) in ops {
                let member = if long && i % 20 == 0 { format!("{i}{}", "m".repeat(64)) } else { format!("m{i}") };
                if op < 2 {
                    let new = m.insert(member.clone(), score as f64).is_none();
                    prop_assert_eq!(z.insert(member.as_bytes(), score as f64), new);
                    big |= member.len() > 64 || m.len() > 128;
                } else {
                    prop_assert_eq!(z.remove(member.as_bytes()), m.remove(&member).is_some());
                }
                prop_assert_eq!(z.len(), m.len());
                prop_assert_eq!(z.encoding(), if big { "skiplist" } else { "listpack" }, "never back, as Redis");
            }
            let mut want: Vec<(f64, String)> = m.iter().map(|(k, s)| (*s, k.clone())).collect();
            want.sort_by(|a, b| order::cmp((a.0, a.1.as_bytes()), (b.0, b.1.as_bytes())));
            let got: Vec<(f64, String)> = z.iter().map(|(s, k)| (s, String::from_utf8(k.to_vec()).unwrap())).collect();
            prop_assert_eq!(&got, &want);
            for (r, (s, k)) in want.iter().enumerate() {
                prop_assert_eq!(z.rank(k.as_bytes()), Some(r));
                prop_assert_eq!(z.score(k.as_bytes()), Some(*s));
                prop_assert_eq!(z.nth(r).map(|(s, k)| (s, k.to_vec())), Some((*s, k.as_bytes().to_vec())));
            }
            prop_assert_eq!(z.count_before(|s, _| s < 0.0), want.iter().filter(|(s, _)| *s < 0.0).count());
        }
    }

    #[test]
    fn scores_print_as_redis_7_0_prints_them() {
        for (x, want) in [
            (0.1, "0.10000000000000001"),
            (1e20, "1e+20"),
            (1.2345678901234568e17, "1.2345678901234568e+17"),
            (1.5e-7, "1.4999999999999999e-07"),
            (0.0001, "0.0001"),
            (-0.0, "0"),
            (3.0, "3"),
            (-2.5, "-2.5"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (1e-5, "1.0000000000000001e-05"),
            (12345678.9, "12345678.9"),
            (0.30000000000000004, "0.30000000000000004"),
            (1e16, "10000000000000000"),
            (1e17, "1e+17"),
        ] {
            assert_eq!(format_score(x), want, "{x}");
        }
    }

    #[test]
    fn scores_parse_like_strtod_without_nan() {
        assert_eq!(parse_score(b"1.5"), Some(1.5));
        assert_eq!(parse_score(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_score(b"+inf"), Some(f64::INFINITY));
        assert_eq!(parse_score(b"nan"), None);
        assert_eq!(parse_score(b" 1"), None);
        assert_eq!(parse_score(b""), None);
        assert_eq!(parse_score(b"x"), None);
    }
}
