//! String commands, as Redis's `t_string.c`.

use std::borrow::Cow;

use switchyard_codec::resp::{self, string2ll};

use super::{float, int, is, Arg, Exec, Outcome, NOT_INTEGER, SYNTAX, TOO_BIG};
use crate::bytes::Bytes;
use crate::long_double::LongDouble;
use crate::store::{Shard, Ttl};

pub(super) fn get(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let now = ex.now;
    let mut s = ex.db().lock(&a[1]);
    ex.out.value_or_null(s.get(&a[1], now)?);
    Ok(())
}

/// How a `SET`-like command treats an existing key.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Cond {
    Always,
    IfAbsent,
    IfPresent,
}

/// Turns an expire argument into absolute milliseconds, with Redis's checks.
pub(super) fn expire_ms(
    ex: &Exec<'_>,
    cmd: &str,
    arg: &[u8],
    unit_ms: i64,
    absolute: bool,
) -> Result<u64, Cow<'static, str>> {
    let v = int(arg)?;
    let invalid = || Cow::Owned(format!("ERR invalid expire time in '{cmd}' command"));
    if v <= 0 {
        return Err(invalid());
    }
    let ms = v.checked_mul(unit_ms).ok_or_else(invalid)?;
    let at = if absolute { ms } else { ms.checked_add(ex.now as i64).ok_or_else(invalid)? };
    Ok(at as u64)
}

/// Sets `key` and logs it, all under its shard lock. An expiry already
/// past deletes the key instead, as Redis does.
pub(super) fn set_key(ex: &mut Exec<'_>, s: &mut Shard, key: &[u8], value: Bytes, ttl: Ttl) {
    if let Ttl::At(at) = ttl {
        if at <= ex.now {
            s.remove(key);
            ex.log_key(s, key);
            return;
        }
    }
    s.insert(key, value, ttl);
    ex.log_key(s, key);
}

pub(super) fn set(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let mut cond = Cond::Always;
    let mut get = false;
    let mut keep = false;
    let mut expire: Option<(&[u8], i64, bool)> = None;
    let mut j = 3;
    while j < a.len() {
        let opt = &a[j];
        let next = a.get(j + 1);
        if is(opt, "nx") && cond != Cond::IfPresent {
            cond = Cond::IfAbsent;
        } else if is(opt, "xx") && cond != Cond::IfAbsent {
            cond = Cond::IfPresent;
        } else if is(opt, "get") {
            get = true;
        } else if is(opt, "keepttl") && expire.is_none() {
            keep = true;
        } else if let (false, None, Some(v)) = (keep, expire, next) {
            let (unit, absolute) = if is(opt, "ex") {
                (1000, false)
            } else if is(opt, "px") {
                (1, false)
            } else if is(opt, "exat") {
                (1000, true)
            } else if is(opt, "pxat") {
                (1, true)
            } else {
                return Err(SYNTAX.into());
            };
            expire = Some((v, unit, absolute));
            j += 1;
        } else {
            return Err(SYNTAX.into());
        }
        j += 1;
    }
    let ttl = match expire {
        Some((v, unit, absolute)) => Ttl::At(expire_ms(ex, "set", v, unit, absolute)?),
        None if keep => Ttl::Keep,
        None => Ttl::Clear,
    };
    let now = ex.now;
    // The copy of a long value is made before the lock, not under it.
    let value = Bytes::new(&a[2]);
    let mut s = ex.db().lock(&a[1]);
    let old = if get { s.get(&a[1], now)?.cloned() } else { None };
    let present = s.contains(&a[1], now);
    let proceed = match cond {
        Cond::Always => true,
        Cond::IfAbsent => !present,
        Cond::IfPresent => present,
    };
    if proceed {
        set_key(ex, &mut s, &a[1], value, ttl);
    }
    drop(s);
    if get {
        ex.out.value_or_null(old.as_ref());
        Ok(())
    } else if proceed {
        ex.ok()
    } else {
        ex.out.null();
        Ok(())
    }
}

pub(super) fn setnx(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let now = ex.now;
    let mut s = ex.db().lock(&a[1]);
    if s.contains(&a[1], now) {
        drop(s);
        return ex.int(0);
    }
    set_key(ex, &mut s, &a[1], Bytes::new(&a[2]), Ttl::Clear);
    drop(s);
    ex.int(1)
}

pub(super) fn setex_generic(ex: &mut Exec<'_>, a: &[Arg<'_>], cmd: &str, unit: i64) -> Outcome {
    let at = expire_ms(ex, cmd, &a[2], unit, false)?;
    let mut s = ex.db().lock(&a[1]);
    set_key(ex, &mut s, &a[1], Bytes::new(&a[3]), Ttl::At(at));
    drop(s);
    ex.ok()
}

pub(super) fn setex(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    setex_generic(ex, a, "setex", 1000)
}

pub(super) fn psetex(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    setex_generic(ex, a, "psetex", 1)
}

pub(super) fn getset(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let now = ex.now;
    let mut s = ex.db().lock(&a[1]);
    let old = s.get(&a[1], now)?.cloned();
    set_key(ex, &mut s, &a[1], Bytes::new(&a[2]), Ttl::Clear);
    drop(s);
    ex.out.value_or_null(old.as_ref());
    Ok(())
}

pub(super) fn getdel(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let now = ex.now;
    let mut s = ex.db().lock(&a[1]);
    let old = s.get(&a[1], now)?.cloned();
    if old.is_some() {
        s.remove(&a[1]);
        ex.log_key(&s, &a[1]);
    }
    drop(s);
    ex.out.value_or_null(old.as_ref());
    Ok(())
}

pub(super) fn getex(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let mut change: Option<Option<(&[u8], i64, bool)>> = None;
    let mut j = 2;
    while j < a.len() {
        let opt = &a[j];
        if is(opt, "persist") && change.is_none() {
            change = Some(None);
        } else if let (None, Some(v)) = (change, a.get(j + 1)) {
            let (unit, absolute) = if is(opt, "ex") {
                (1000, false)
            } else if is(opt, "px") {
                (1, false)
            } else if is(opt, "exat") {
                (1000, true)
            } else if is(opt, "pxat") {
                (1, true)
            } else {
                return Err(SYNTAX.into());
            };
            change = Some(Some((v, unit, absolute)));
            j += 1;
        } else {
            return Err(SYNTAX.into());
        }
        j += 1;
    }
    let at = match change {
        Some(Some((v, unit, absolute))) => Some(Some(expire_ms(ex, "getex", v, unit, absolute)?)),
        Some(None) => Some(None),
        None => None,
    };
    let now = ex.now;
    let mut s = ex.db().lock(&a[1]);
    let v = s.get(&a[1], now)?.cloned();
    if let (Some(_), Some(at)) = (&v, at) {
        match at {
            Some(at) if at <= now => {
                s.remove(&a[1]);
                ex.log_key(&s, &a[1]);
            }
            Some(at) => {
                s.set_expire(&a[1], Some(at));
                ex.log_key(&s, &a[1]);
            }
            None => {
                if s.set_expire(&a[1], None) {
                    ex.log_key(&s, &a[1]);
                }
            }
        }
    }
    drop(s);
    ex.out.value_or_null(v.as_ref());
    Ok(())
}

pub(super) fn mget(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let now = ex.now;
    let mut locked = ex.db().lock_keys(a[1..].iter().map(|k| &k[..]));
    resp::array(ex.out, a.len() - 1);
    for k in &a[1..] {
        ex.out.value_or_null(locked.shard(k).get(k, now).ok().flatten());
    }
    Ok(())
}

pub(super) fn mset_generic(ex: &mut Exec<'_>, a: &[Arg<'_>], only_new: bool) -> Outcome {
    if a.len() % 2 == 0 {
        let name = if only_new { "msetnx" } else { "mset" };
        return Err(format!("ERR wrong number of arguments for '{name}' command").into());
    }
    let now = ex.now;
    let mut locked = ex.db().lock_keys(a[1..].iter().step_by(2).map(|k| &k[..]));
    if only_new && a[1..].iter().step_by(2).any(|k| locked.shard(k).contains(k, now)) {
        drop(locked);
        return ex.int(0);
    }
    for pair in a[1..].chunks(2) {
        locked.shard(&pair[0]).insert(&pair[0], Bytes::new(&pair[1]), Ttl::Clear);
    }
    ex.log(|buf| {
        resp::array(buf, a.len());
        resp::bulk(buf, b"MSET");
        for x in &a[1..] {
            resp::bulk(buf, x);
        }
    });
    drop(locked);
    if only_new {
        ex.int(1)
    } else {
        ex.ok()
    }
}

pub(super) fn mset(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    mset_generic(ex, a, false)
}

pub(super) fn msetnx(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    mset_generic(ex, a, true)
}

pub(super) fn append(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let part = &a[2];
    let len = change_value(ex, &a[1], |len| len + part.len(), |v| v.extend_from_slice(part))?;
    ex.int(len as i64)
}

/// Values at least this long that a reply still shares are copied outside
/// the shard's lock before a change (see [`change_value`]).
const COPY_OUTSIDE_LOCK_BYTES: usize = 64 << 10;

/// Changes the string at `key` (empty if absent) with `write`, which makes
/// it `new_len(current length)` long; its time to live stays. The new
/// length, or the error for one past `proto-max-bulk-len`.
///
/// The value is changed in place unless a reply still shares it. Then it
/// is copied first, and a long one outside the lock: from a reference
/// taken under the lock, put back only if the key still holds that same
/// value (else it starts again), so that no shard is held for the length
/// of a copy of up to `proto-max-bulk-len` bytes while others wait.
pub(super) fn change_value(
    ex: &mut Exec<'_>,
    key: &[u8],
    new_len: impl Fn(usize) -> usize,
    write: impl Fn(&mut Vec<u8>),
) -> Result<usize, Cow<'static, str>> {
    let now = ex.now;
    let max = ex.max_bulk();
    loop {
        let mut s = ex.db().lock(key);
        let current = s.peek(key, now)?;
        let len = new_len(current.map_or(0, |v| v.len()));
        if len > max {
            return Err(TOO_BIG.into());
        }
        let shared = current.filter(|v| v.len() >= COPY_OUTSIDE_LOCK_BYTES && v.is_shared()).cloned();
        let Some(snapshot) = shared else {
            if s.update(key, now, |v| write(v.make_mut()))?.is_none() {
                let mut v = Vec::new();
                write(&mut v);
                s.insert(key, Bytes::from_vec(v), Ttl::Keep);
            }
            ex.log_key(&s, key);
            return Ok(len);
        };
        drop(s);
        let mut copy = Vec::with_capacity(len.max(snapshot.len()));
        copy.extend_from_slice(&snapshot);
        write(&mut copy);
        let mut s = ex.db().lock(key);
        if s.peek(key, now)?.is_some_and(|v| v.same(&snapshot)) {
            drop(snapshot);
            s.update(key, now, |v| *v = Bytes::from_vec(copy))?;
            ex.log_key(&s, key);
            return Ok(len);
        }
    }
}

pub(super) fn strlen(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let now = ex.now;
    let n = ex.db().lock(&a[1]).get(&a[1], now)?.map_or(0, |v| v.len());
    ex.int(n as i64)
}

pub(super) fn getrange(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let (mut start, mut end) = (int(&a[2])?, int(&a[3])?);
    let now = ex.now;
    let s = ex.db();
    let mut s = s.lock(&a[1]);
    let empty = Bytes::new(b"");
    let v = s.get(&a[1], now)?.unwrap_or(&empty);
    let len = v.len() as i64;
    if (start < 0 && end < 0 && start > end) || len == 0 {
        resp::bulk(ex.out, b"");
        return Ok(());
    }
    if start < 0 {
        start += len;
    }
    if end < 0 {
        end += len;
    }
    start = start.max(0);
    end = end.max(0).min(len - 1);
    if start > end {
        resp::bulk(ex.out, b"");
    } else {
        ex.out.value_range(v, start as usize..end as usize + 1);
    }
    Ok(())
}

pub(super) fn setrange(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let offset = int(&a[2])?;
    if offset < 0 {
        return Err("ERR offset is out of range".into());
    }
    let part = &a[3];
    let now = ex.now;
    if part.is_empty() {
        let n = ex.db().lock(&a[1]).peek(&a[1], now)?.map_or(0, |v| v.len());
        return ex.int(n as i64);
    }
    if offset as u64 + part.len() as u64 > ex.max_bulk() as u64 {
        return Err(TOO_BIG.into());
    }
    let end = offset as usize + part.len();
    let write = |v: &mut Vec<u8>| {
        if v.len() < end {
            v.resize(end, 0);
        }
        v[offset as usize..end].copy_from_slice(part);
    };
    let len = change_value(ex, &a[1], |len| len.max(end), write)?;
    ex.int(len as i64)
}

pub(super) fn incr_by(ex: &mut Exec<'_>, key: &[u8], by: i64) -> Outcome {
    let now = ex.now;
    let mut s = ex.db().lock(key);
    let cur = match s.peek(key, now)? {
        Some(v) => string2ll(v).ok_or(NOT_INTEGER)?,
        None => 0,
    };
    let n = cur.checked_add(by).ok_or("ERR increment or decrement would overflow")?;
    let mut buf = Vec::with_capacity(20);
    resp::push_decimal(&mut buf, n);
    set_key(ex, &mut s, key, Bytes::new(&buf), Ttl::Keep);
    drop(s);
    ex.int(n)
}

pub(super) fn incr(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    incr_by(ex, &a[1], 1)
}

pub(super) fn decr(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    incr_by(ex, &a[1], -1)
}

pub(super) fn incrby(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let by = int(&a[2])?;
    incr_by(ex, &a[1], by)
}

pub(super) fn decrby(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let by = int(&a[2])?;
    let by = by.checked_neg().ok_or("ERR decrement would overflow")?;
    incr_by(ex, &a[1], by)
}

pub(super) fn incrbyfloat(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let by = float(&a[2])?;
    let now = ex.now;
    let mut s = ex.db().lock(&a[1]);
    let cur = match s.peek(&a[1], now)? {
        Some(v) => float(v)?,
        None => LongDouble::ZERO,
    };
    let n = cur.add(by).ok_or("ERR increment would produce NaN or Infinity")?;
    let text = n.to_human();
    set_key(ex, &mut s, &a[1], Bytes::new(text.as_bytes()), Ttl::Keep);
    drop(s);
    resp::bulk(ex.out, text.as_bytes());
    Ok(())
}
