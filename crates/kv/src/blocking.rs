//! Blocking pops (`BLPOP`, `BRPOP`, `BLMOVE`, `BRPOPLPUSH`, `BLMPOP`,
//! `BZPOPMIN`, `BZPOPMAX`, `BZMPOP`) without a blocked client holding a
//! worker.
//!
//! A blocking pop that finds its keys empty registers its connection as a
//! [`Waiter`] on each key, in a registry ([`Blocking`]) that keeps each
//! key's waiters in arrival order, and parks the connection with the
//! engine (`Cx::park`): none of its input is handled, and no worker is
//! held, until the service wakes it (`Control::wake`).
//!
//! A write (from any connection, on a worker or an I/O thread) notes the
//! keys it wrote that have waiters; once the command, or the whole
//! transaction, is done, the writer *serves* them ([`serve`]): for the
//! longest waiter of each such key, under that key's shard lock (and the
//! destination's, for `BLMOVE`), it pops what the waiter asked for,
//! logs the pop as the command it is (`LPOP`/`RPOP`, `LMOVE`, `ZREM`),
//! hands the result to the waiter through the registry, and wakes it. The
//! woken connection's next call writes the reply, in its own protocol,
//! held for the log record under `appendfsync always` as any write's
//! reply is. So each element goes to exactly one waiter, the longest one
//! of its key, and a pop done for a waiter is in the log before its reply
//! leaves.
//!
//! Timeouts are fired by one thread (`kv-block-timer`) that sleeps until
//! the earliest deadline; a timed-out waiter is handed a null and woken. A
//! connection that closes while blocked is forgotten ([`Blocking::forget`]).
//!
//! Locks are taken in one order: shards (ascending), then the registry,
//! then the log. The timer, `closed` and `CLIENT UNBLOCK` take only the
//! registry.

mod registry;

use std::borrow::Cow;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use switchyard_codec::resp;
use switchyard_engine::ConnId;

use crate::bytes::Bytes;
use crate::command::{int, is, Arg, Exec, Outcome, SYNTAX};
use crate::long_double::LongDouble;
use crate::reply::Reply;
use crate::store::Locked;
use crate::types::{list, Kind, List, ZSet, REWRITE_ITEMS_PER_COMMAND};
pub use registry::Blocking;
use registry::Waiter;

/// What a waiter asked for.
#[derive(Clone, Debug)]
pub enum Op {
    /// `BLPOP`/`BRPOP` (`count` is `None`: one element, answered as
    /// key and element) or `BLMPOP` (`count` elements at most).
    List { left: bool, count: Option<usize> },
    /// `BLMOVE`/`BRPOPLPUSH`: one element, pushed onto `dst`.
    Move { dst: Bytes, from_left: bool, to_left: bool },
    /// `BZPOPMIN`/`BZPOPMAX` (`count` is `None`) or `BZMPOP`.
    Zset { max: bool, count: Option<usize> },
}

impl Op {
    fn dst(&self) -> Option<&Bytes> {
        match self {
            Op::Move { dst, .. } => Some(dst),
            _ => None,
        }
    }
}

/// What was popped for a waiter (or for the blocking command itself).
#[derive(Debug)]
pub enum Popped {
    List { key: Bytes, values: Vec<Bytes> },
    Moved(Bytes),
    Zset { key: Bytes, members: Vec<(f64, Bytes)> },
}

/// How a wait ended, kept in the registry until the waiter's connection
/// picks it up.
#[derive(Debug)]
pub enum WaitEnd {
    /// Served: what was popped, and the log record the reply must wait for.
    Served { popped: Popped, seq: u64 },
    /// The timeout passed (or `CLIENT UNBLOCK ... TIMEOUT`, or a shutdown).
    TimedOut,
    /// `CLIENT UNBLOCK ... ERROR`.
    Unblocked,
}

/// A connection's blocked command, in its state.
#[derive(Clone, Debug)]
pub struct Block {
    /// Its waiter's id in the registry.
    pub id: u64,
    /// What it asked for, to shape the reply.
    pub op: Op,
}

/// A blocking command's timeout in seconds, as Redis 7.0 reads it: a
/// `long double`, rounded up to whole milliseconds; 0 waits forever.
/// `Ok(None)` for forever.
fn timeout(a: &[u8]) -> Result<Option<Duration>, Cow<'static, str>> {
    let parsed = LongDouble::parse(a).ok_or("ERR timeout is not a float or out of range")?;
    const NEGATIVE: &str = "ERR timeout is negative";
    let (neg, mantissa, exp) = match parsed {
        // Redis converts the product to a `long long`; an infinite one
        // comes out as its most negative value.
        LongDouble::Infinite { .. } => return Err(NEGATIVE.into()),
        LongDouble::Finite { neg, mantissa, exp } => (neg, mantissa, exp),
    };
    // The product in `long double`: rounded to 64 bits, to nearest even
    // (0.1 × 1000 is exactly 100 there, although 0.1 is a little more).
    let (scaled, exp) = round64(mantissa as u128 * 1000, exp);
    // ceil(|x| × 1000) for a positive x, floor of it for a negative one
    // (whose ceiling is minus that).
    let ms: Option<u128> = if exp >= 0 {
        scaled.checked_shl(exp as u32).filter(|v| v >> exp == scaled && exp < 128)
    } else if exp <= -128 {
        Some(u128::from(!neg && scaled > 0))
    } else {
        let shift = (-exp) as u32;
        let whole = scaled >> shift;
        let rest = scaled & ((1u128 << shift) - 1);
        Some(whole + u128::from(!neg && rest != 0))
    };
    match ms {
        // Past `long long`: the conversion's most negative value.
        None => Err(NEGATIVE.into()),
        Some(ms) if ms > i64::MAX as u128 => Err(NEGATIVE.into()),
        Some(0) => Ok(None),
        Some(_) if neg => Err(NEGATIVE.into()),
        Some(ms) => Ok(Some(Duration::from_millis(ms as u64))),
    }
}

/// `m × 2^exp` with `m` rounded to 64 significant bits, to nearest even.
fn round64(m: u128, exp: i64) -> (u128, i64) {
    let bits = 128 - m.leading_zeros() as i64;
    if bits <= 64 {
        return (m, exp);
    }
    let shift = (bits - 64) as u32;
    let (mut q, rest, half) = (m >> shift, m & ((1u128 << shift) - 1), 1u128 << (shift - 1));
    if rest > half || (rest == half && q & 1 == 1) {
        q += 1;
    }
    (q, exp + i64::from(shift))
}

/// What [`pop`] found.
enum Found {
    Popped(Popped),
    /// The key is absent.
    Empty,
    /// `BLMOVE`'s destination holds another type.
    WrongDst,
}

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

/// Pops what `op` asks from `key` (and pushes onto its destination),
/// under the shard locks in `locked`, and logs it; `Err` if `key` holds
/// another type.
fn pop(ex: &mut Exec<'_>, locked: &mut Locked<'_>, key: &[u8], op: &Op) -> Result<Found, Cow<'static, str>> {
    let now = ex.now;
    let key_b = || Bytes::new(key);
    match op {
        Op::List { left, count } => {
            let want = count.unwrap_or(1);
            let popped: Option<Vec<Bytes>> = locked
                .shard(key)
                .write::<List, _>(key, now, false, |l| (0..want).map_while(|_| l.pop(*left)).collect())?;
            let Some(values) = popped.filter(|p| !p.is_empty()) else { return Ok(Found::Empty) };
            list::log_pop(ex, locked.shard(key), key, *left, values.len());
            Ok(Found::Popped(Popped::List { key: key_b(), values }))
        }
        Op::Move { dst, from_left, to_left } => {
            if locked.shard(key).read::<List>(key, now)?.is_none() {
                return Ok(Found::Empty);
            }
            if let Some(v) = locked.shard(dst).peek_value(dst, now) {
                if List::of(v).is_err() {
                    return Ok(Found::WrongDst);
                }
            }
            let Some(v) = locked.shard(key).write::<List, _>(key, now, false, |l| l.pop(*from_left))?.flatten() else {
                return Ok(Found::Empty);
            };
            locked.shard(dst).write::<List, _>(dst, now, true, |l| l.push(*to_left, v.clone()))?;
            let side = |left: bool| -> &'static [u8] {
                if left {
                    b"LEFT"
                } else {
                    b"RIGHT"
                }
            };
            let (from, to) = (side(*from_left), side(*to_left));
            ex.log_either(
                |buf| resp::command(buf, &[&b"LMOVE"[..], key, dst, from, to]),
                |buf| {
                    resp::command(buf, &[&b"MULTI"[..]]);
                    absolute(buf, locked, key);
                    absolute(buf, locked, dst);
                    resp::command(buf, &[&b"EXEC"[..]]);
                },
            );
            Ok(Found::Popped(Popped::Moved(v)))
        }
        Op::Zset { max, count } => {
            let want = count.unwrap_or(1);
            let popped: Option<Vec<(f64, Bytes)>> = locked.shard(key).write::<ZSet, _>(key, now, false, |z| {
                let mut out = Vec::new();
                while out.len() < want {
                    let rank = if *max { z.len().checked_sub(1) } else { Some(0) };
                    let Some((score, m)) = rank.and_then(|r| z.nth(r)).map(|(s, m)| (s, m.clone())) else { break };
                    z.remove(&m);
                    out.push((score, m));
                }
                out
            })?;
            let Some(members) = popped.filter(|p| !p.is_empty()) else { return Ok(Found::Empty) };
            let refs: Vec<&Bytes> = members.iter().map(|(_, m)| m).collect();
            ex.log(|buf| {
                for part in refs.chunks(REWRITE_ITEMS_PER_COMMAND) {
                    crate::types::command_with(buf, b"ZREM", key, part);
                }
            });
            Ok(Found::Popped(Popped::Zset { key: key_b(), members }))
        }
    }
}

/// The records that set `key` to its state in `locked` (a list's whole
/// state, while a log rewrite collects records).
fn absolute(buf: &mut Vec<u8>, locked: &mut Locked<'_>, key: &[u8]) {
    resp::command(buf, &[&b"DEL"[..], key]);
    let s = locked.shard(key);
    if let Some(v) = s.stored(key) {
        v.rewrite(key, s.expire_at(key), buf);
    }
}

/// Writes the reply to a served wait, or to a pop that found something.
pub fn reply(out: &mut Reply, popped: &Popped, op: &Op) {
    match (popped, op) {
        (Popped::List { key, values }, Op::List { count: None, .. }) => {
            resp::array(out, 2);
            resp::bulk(out, key);
            out.value(&values[0]);
        }
        (Popped::List { key, values }, _) => {
            resp::array(out, 2);
            resp::bulk(out, key);
            resp::array(out, values.len());
            for v in values {
                out.value(v);
            }
        }
        (Popped::Moved(v), _) => out.value(v),
        (Popped::Zset { key, members }, Op::Zset { count: None, .. }) => {
            resp::array(out, 3);
            resp::bulk(out, key);
            out.value(&members[0].1);
            out.double(members[0].0);
        }
        (Popped::Zset { key, members }, _) => {
            resp::array(out, 2);
            resp::bulk(out, key);
            resp::array(out, members.len());
            for (score, m) in members {
                resp::array(out, 2);
                out.value(m);
                out.double(*score);
            }
        }
    }
}

/// Writes the reply to a wait that ended another way; the log record to
/// wait for, if it was served.
pub fn reply_outcome(out: &mut Reply, outcome: &WaitEnd, op: &Op) -> u64 {
    match outcome {
        WaitEnd::Served { popped, seq } => {
            reply(out, popped, op);
            return *seq;
        }
        // Redis 7.0 answers a timeout with a null array, `BLMOVE`'s too.
        WaitEnd::TimedOut => out.null_array(),
        WaitEnd::Unblocked => resp::error(out, "UNBLOCKED client unblocked via CLIENT UNBLOCK"),
    }
    0
}

/// A blocking command: pops from the first of `keys` that has something,
/// or registers the connection as a waiter on all of them (and sets
/// `ex.block`, for the handler to park it). Inside `MULTI`, and where the
/// connection cannot block, it answers as the non-blocking form does.
fn block_on(ex: &mut Exec<'_>, keys: &[Arg<'_>], op: Op, wait: Option<Duration>) -> Outcome {
    let sh = ex.sh;
    let may_block = ex.may_block();
    let db = ex.db;
    let mut names: Vec<&[u8]> = keys.iter().map(|k| &k[..]).collect();
    if let Some(dst) = op.dst() {
        names.push(dst);
    }
    let mut locked = ex.db().lock_keys(names.iter().copied());
    let mut reg = may_block.then(|| sh.blocking.lock());
    let mut queued_behind = Vec::new();
    for key in keys {
        if reg.as_ref().is_some_and(|r| r.has_waiters(db, key)) {
            // Older waiters come first: only check the type here.
            let now = ex.now;
            let s = locked.shard(key);
            let wrong = match op {
                Op::Zset { .. } => s.read::<ZSet>(key, now).is_err(),
                _ => s.read::<List>(key, now).is_err(),
            };
            if wrong {
                return Err(WRONGTYPE.into());
            }
            queued_behind.push((db, Bytes::new(key)));
            continue;
        }
        match pop(ex, &mut locked, key, &op)? {
            Found::Popped(p) => {
                drop(reg);
                drop(locked);
                reply(ex.out, &p, &op);
                return Ok(());
            }
            Found::WrongDst => return Err(WRONGTYPE.into()),
            Found::Empty => {}
        }
    }
    let Some(reg) = reg.as_mut() else {
        drop(locked);
        match op {
            Op::Move { .. } => ex.out.null(),
            _ => ex.out.null_array(),
        }
        return Ok(());
    };
    let mut unique: Vec<Bytes> = Vec::with_capacity(keys.len());
    for k in keys {
        if !unique.iter().any(|u| u.as_slice() == &k[..]) {
            unique.push(Bytes::new(k));
        }
    }
    let meta = ex.meta.expect("a connection that may block");
    let deadline = wait.and_then(|d| Instant::now().checked_add(d));
    let id = sh
        .blocking
        .register(reg, Waiter { conn: meta.conn, client: meta.id, db, keys: unique, op: op.clone(), deadline });
    ex.block = Some(Block { id, op });
    drop(locked);
    // Waiters queued ahead of this one are served (after the command, as
    // for a write): what the keys hold goes to them first.
    ex.ready.extend(queued_behind);
    Ok(())
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

fn min_max(a: &[u8]) -> Result<bool, Cow<'static, str>> {
    if is(a, "min") {
        Ok(false)
    } else if is(a, "max") {
        Ok(true)
    } else {
        Err(SYNTAX.into())
    }
}

pub fn blpop(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let wait = timeout(&a[a.len() - 1])?;
    block_on(ex, &a[1..a.len() - 1], Op::List { left: true, count: None }, wait)
}

pub fn brpop(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let wait = timeout(&a[a.len() - 1])?;
    block_on(ex, &a[1..a.len() - 1], Op::List { left: false, count: None }, wait)
}

pub fn blmove(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let (from_left, to_left) = (side(&a[3])?, side(&a[4])?);
    let wait = timeout(&a[5])?;
    block_on(ex, &a[1..2], Op::Move { dst: Bytes::new(&a[2]), from_left, to_left }, wait)
}

pub fn brpoplpush(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let wait = timeout(&a[3])?;
    block_on(ex, &a[1..2], Op::Move { dst: Bytes::new(&a[2]), from_left: false, to_left: true }, wait)
}

pub fn bzpopmin(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let wait = timeout(&a[a.len() - 1])?;
    block_on(ex, &a[1..a.len() - 1], Op::Zset { max: false, count: None }, wait)
}

pub fn bzpopmax(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let wait = timeout(&a[a.len() - 1])?;
    block_on(ex, &a[1..a.len() - 1], Op::Zset { max: true, count: None }, wait)
}

/// `[B]LMPOP` and `[B]ZMPOP`'s arguments from `numkeys` on: the keys,
/// the side, the count, checked as Redis checks them.
fn mpop_args<'x>(
    a: &'x [Arg<'x>],
    which: fn(&[u8]) -> Result<bool, Cow<'static, str>>,
) -> Result<(&'x [Arg<'x>], bool, usize), Cow<'static, str>> {
    let n = int(&a[0]).ok().filter(|&n| n > 0).ok_or("ERR numkeys should be greater than 0")? as usize;
    if n > a.len().saturating_sub(2) {
        return Err(SYNTAX.into());
    }
    let keys = &a[1..1 + n];
    let side = which(&a[1 + n])?;
    let count = match &a[2 + n..] {
        [] => 1,
        [c, v] if is(c, "count") => {
            int(v).ok().filter(|&v| v > 0).ok_or("ERR count should be greater than 0")? as usize
        }
        _ => return Err(SYNTAX.into()),
    };
    Ok((keys, side, count))
}

pub fn blmpop(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let (keys, left, count) = mpop_args(&a[2..], side)?;
    let wait = timeout(&a[1])?;
    block_on(ex, keys, Op::List { left, count: Some(count) }, wait)
}

pub fn bzmpop(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let (keys, max, count) = mpop_args(&a[2..], min_max)?;
    let wait = timeout(&a[1])?;
    block_on(ex, keys, Op::Zset { max, count: Some(count) }, wait)
}

/// `ZMPOP numkeys key ... MIN|MAX [COUNT n]`: `BZMPOP`'s form that never
/// blocks.
pub fn zmpop(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let (keys, max, count) = mpop_args(&a[1..], min_max)?;
    let op = Op::Zset { max, count: Some(count) };
    let mut locked = ex.db().lock_keys(keys.iter().map(|k| &k[..]));
    for key in keys {
        if let Found::Popped(p) = pop(ex, &mut locked, key, &op)? {
            drop(locked);
            reply(ex.out, &p, &op);
            return Ok(());
        }
    }
    drop(locked);
    ex.out.null_array();
    Ok(())
}

/// Serves the waiters of the keys written by the command that just ended
/// (`ex.ready`): for each key, its longest waiters first, as long as the
/// key holds something; then wakes them.
pub fn serve(ex: &mut Exec<'_>) {
    let mut work = std::mem::take(&mut ex.ready);
    let home = ex.db;
    let mut woken = Vec::new();
    let mut seen = 0;
    while let Some((db, key)) = work.pop() {
        seen += 1;
        if seen > 10_000 {
            // A chain of BLMOVEs feeding each other in a circle: enough.
            break;
        }
        ex.db = db;
        serve_key(ex, &key, &mut woken, &mut work);
    }
    ex.db = home;
    if let Some(control) = ex.sh.control.get() {
        for conn in woken {
            control.wake(conn);
        }
    }
}

fn serve_key(ex: &mut Exec<'_>, key: &[u8], woken: &mut Vec<ConnId>, work: &mut Vec<(usize, Bytes)>) {
    let bl = &ex.sh.blocking;
    let db = ex.db;
    let mut skip = 0;
    loop {
        let (id, dst) = {
            let reg = bl.lock();
            match reg.nth(db, key, skip) {
                Some((id, op)) => (id, op.dst().cloned()),
                None => return,
            }
        };
        let mut names: Vec<&[u8]> = vec![key];
        if let Some(d) = &dst {
            names.push(d);
        }
        let mut locked = ex.db().lock_keys(names.iter().copied());
        let mut reg = bl.lock();
        let Some(op) = reg.nth(db, key, skip).filter(|(i, _)| *i == id).map(|(_, op)| op.clone()) else {
            // It left (timed out, closed) meanwhile: look again.
            continue;
        };
        match pop(ex, &mut locked, key, &op) {
            Ok(Found::Popped(popped)) => {
                let w = bl.remove(&mut reg, id).expect("seen under the lock");
                reg.outcomes.insert(id, WaitEnd::Served { popped, seq: ex.seq });
                bl.served.fetch_add(1, Ordering::Relaxed);
                woken.extend(w.conn);
                if let Some(d) = dst {
                    work.push((db, d));
                }
            }
            // Redis leaves a BLMOVE whose destination holds another type
            // blocked, and serves the next waiter.
            Ok(Found::WrongDst) => skip += 1,
            Ok(Found::Empty) | Err(_) => return,
        }
    }
}

/// `CLIENT UNBLOCK client-id [TIMEOUT|ERROR]`.
pub fn client_unblock(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let id = int(&a[2])?;
    let error = match a.get(3) {
        None => false,
        Some(r) if is(r, "timeout") => false,
        Some(r) if is(r, "error") => true,
        Some(_) => return Err("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR".into()),
    };
    if a.len() > 4 {
        return Err(SYNTAX.into());
    }
    let done = id > 0 && ex.sh.blocking.unblock(id as u64, error, ex.sh.control.get());
    ex.int(i64::from(done))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_are_read_as_redis_reads_them() {
        let ms = |s: &str| timeout(s.as_bytes()).map(|d| d.map(|d| d.as_millis()));
        assert_eq!(ms("0"), Ok(None));
        assert_eq!(ms("1"), Ok(Some(1000)));
        assert_eq!(ms("0.1"), Ok(Some(100)));
        assert_eq!(ms("0.0001"), Ok(Some(1)), "rounded up");
        assert_eq!(ms("-0"), Ok(None));
        assert_eq!(ms("-0.0001"), Ok(None), "rounds up to zero: forever, as Redis");
        assert_eq!(ms("0x10"), Ok(Some(16000)));
        assert_eq!(ms("1e-1"), Ok(Some(100)));
        for negative in ["-1", "-0.5", "1e16", "inf", "-inf", "9223372036854776"] {
            assert_eq!(ms(negative), Err("ERR timeout is negative".into()), "{negative}");
        }
        for bad in ["abc", "nan", " 1", "", "1x"] {
            assert_eq!(ms(bad), Err("ERR timeout is not a float or out of range".into()), "{bad}");
        }
        assert_eq!(ms("9223372036854775"), Ok(Some(9_223_372_036_854_775_000)));
    }
}
