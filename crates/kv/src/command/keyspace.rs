//! Keyspace and expiry commands, as Redis's `db.c` and `expire.c`.

use std::borrow::Cow;

use switchyard_codec::resp;

use super::{int, is, trunc, unknown_subcommand, Arg, Exec, Outcome, SYNTAX};
use crate::store::{Shard, Ttl, SHARDS};
use crate::types::Value;

pub(super) fn del(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let now = ex.now;
    let mut locked = ex.db().lock_keys(a[1..].iter().map(|k| &k[..]));
    let mut gone: Vec<&[u8]> = Vec::new();
    for k in &a[1..] {
        let s = locked.shard(k);
        if s.contains(k, now) {
            s.remove(k);
            gone.push(k);
        }
    }
    if !gone.is_empty() {
        ex.log(|buf| {
            resp::array(buf, gone.len() + 1);
            resp::bulk(buf, b"DEL");
            for k in &gone {
                resp::bulk(buf, k);
            }
        });
    }
    drop(locked);
    ex.int(gone.len() as i64)
}

pub(super) fn exists(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let now = ex.now;
    let mut locked = ex.db().lock_keys(a[1..].iter().map(|k| &k[..]));
    let n = a[1..].iter().filter(|k| locked.shard(k).contains(k, now)).count();
    drop(locked);
    ex.int(n as i64)
}

pub(super) fn type_(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let now = ex.now;
    let name = ex.db().lock(&a[1]).peek_value(&a[1], now).map_or("none", Value::type_name);
    resp::simple(ex.out, name);
    Ok(())
}

pub(super) fn keys(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let now = ex.now;
    let all = a[1].as_ref() == b"*";
    let glob = crate::pattern::Glob::new(&a[1], false);
    let mut found = Vec::new();
    for i in 0..SHARDS {
        let s = ex.db().lock_shard(i);
        found.extend(s.entries(now).filter(|(k, _, _)| all || glob.matches(k)).map(|(k, _, _)| k.clone()));
    }
    resp::array(ex.out, found.len());
    for k in found {
        resp::bulk(ex.out, &k);
    }
    Ok(())
}

/// `SCAN`: the cursor is the next shard to visit, so a key present for the
/// whole scan is returned at least once whatever happens to the others.
pub(super) fn scan(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let cursor = std::str::from_utf8(&a[1]).ok().and_then(|s| s.parse::<u64>().ok()).ok_or("ERR invalid cursor")?;
    let mut count = 10i64;
    let mut pattern: Option<crate::pattern::Glob> = None;
    let mut only_type: Option<Vec<u8>> = None;
    let mut j = 2;
    while j < a.len() {
        let Some(v) = a.get(j + 1) else { return Err(SYNTAX.into()) };
        if is(&a[j], "count") {
            count = int(v)?;
            if count < 1 {
                return Err(SYNTAX.into());
            }
        } else if is(&a[j], "match") {
            // As Redis, `MATCH *` is no filter at all (the glob `*` alone
            // does not match the empty key).
            pattern = (v.as_ref() != b"*").then(|| crate::pattern::Glob::new(v, false));
        } else if is(&a[j], "type") {
            only_type = Some(v.to_ascii_lowercase());
        } else {
            return Err(SYNTAX.into());
        }
        j += 2;
    }
    let now = ex.now;
    let mut shard = cursor as usize;
    let mut seen = 0i64;
    let mut found = Vec::new();
    while shard < SHARDS && seen < count {
        let s = ex.db().lock_shard(shard);
        for (k, v, _) in s.entries(now) {
            seen += 1;
            let type_ok = only_type.as_ref().is_none_or(|t| t[..] == *v.type_name().as_bytes());
            if type_ok && pattern.as_ref().is_none_or(|g| g.matches(k)) {
                found.push(k.clone());
            }
        }
        shard += 1;
    }
    let next = if shard >= SHARDS { 0 } else { shard };
    resp::array(ex.out, 2);
    resp::bulk(ex.out, next.to_string().as_bytes());
    resp::array(ex.out, found.len());
    for k in found {
        resp::bulk(ex.out, &k);
    }
    Ok(())
}

pub(crate) fn random() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos());
    h.finish()
}

pub(super) fn randomkey(ex: &mut Exec<'_>, _a: &[Arg<'_>]) -> Outcome {
    let now = ex.now;
    let start = random() as usize % SHARDS;
    for i in 0..SHARDS {
        let mut s = ex.db().lock_shard((start + i) % SHARDS);
        for _ in 0..8 {
            if s.len() == 0 {
                break;
            }
            let n = random() as usize % s.len();
            let Some(k) = s.nth_key(n).cloned() else { break };
            if s.contains(&k, now) {
                drop(s);
                resp::bulk(ex.out, &k);
                return Ok(());
            }
        }
    }
    ex.out.null();
    Ok(())
}

pub(super) fn object(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    if !is(&a[1], "encoding") {
        return Err(unknown_subcommand("object", &a[1]));
    }
    let now = ex.now;
    let encoding = ex.db().lock(&a[2]).peek_value(&a[2], now).map(Value::encoding);
    ex.bulk_or_null(encoding.map(str::as_bytes))
}

/// `COPY src dst [DB n] [REPLACE]`: within a database under both keys'
/// locks; to another database, the value is copied under the source's lock
/// and written under the destination's (never both at once, so two copies
/// in opposite directions cannot deadlock).
pub(super) fn copy(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let (src, dst) = (&a[1][..], &a[2][..]);
    let (mut to_db, mut replace) = (ex.db, false);
    let mut j = 3;
    while j < a.len() {
        if is(&a[j], "replace") {
            replace = true;
        } else if is(&a[j], "db") && j + 1 < a.len() {
            let n = int(&a[j + 1])?;
            if n < 0 || n as u64 >= ex.sh.store.dbs.len() as u64 {
                return Err("ERR DB index is out of range".into());
            }
            to_db = n as usize;
            j += 1;
        } else {
            return Err(SYNTAX.into());
        }
        j += 1;
    }
    if to_db == ex.db && src == dst {
        return Err("ERR source and destination objects are the same".into());
    }
    let now = ex.now;
    let from = ex.db();
    let to = ex.view(to_db);
    let copy_into = |ex: &mut Exec<'_>, shard: &mut Shard, value: Value, at: Option<u64>| -> bool {
        if !replace && shard.contains(dst, now) {
            return false;
        }
        if ex.meta.is_some() && ex.sh.aof.is_some() {
            // No MULTI of its own inside a transaction's (no nesting).
            let unit = ex.records.is_none();
            let mut rec = Vec::new();
            if unit {
                resp::command(&mut rec, &[&b"MULTI"[..]]);
            }
            resp::command(&mut rec, &[&b"DEL"[..], dst]);
            value.rewrite(dst, at, &mut rec);
            if unit {
                resp::command(&mut rec, &[&b"EXEC"[..]]);
            }
            ex.log_in(to_db, |buf| buf.extend_from_slice(&rec));
        }
        shard.insert_value(dst, value, at.map_or(Ttl::Clear, Ttl::At));
        true
    };
    let done = if to_db == ex.db {
        let mut locked = from.lock_keys([src, dst]);
        let Some(value) = locked.shard(src).peek_value(src, now).cloned() else {
            drop(locked);
            return ex.int(0);
        };
        let at = locked.shard(src).expire_at(src);
        copy_into(ex, locked.shard(dst), value, at)
    } else {
        let found = {
            let mut s = from.lock(src);
            s.peek_value(src, now).cloned().map(|v| (v, s.expire_at(src)))
        };
        let Some((value, at)) = found else { return ex.int(0) };
        let mut s = to.lock(dst);
        copy_into(ex, &mut s, value, at)
    };
    ex.int(done as i64)
}

pub(super) fn rename_generic(ex: &mut Exec<'_>, a: &[Arg<'_>], only_new: bool) -> Outcome {
    let (src, dst) = (&a[1][..], &a[2][..]);
    let now = ex.now;
    let mut locked = ex.db().lock_keys([src, dst]);
    if !locked.shard(src).contains(src, now) {
        return Err("ERR no such key".into());
    }
    if src == dst {
        drop(locked);
        return if only_new { ex.int(0) } else { ex.ok() };
    }
    if only_new && locked.shard(dst).contains(dst, now) {
        drop(locked);
        return ex.int(0);
    }
    let at = locked.shard(src).expire_at(src);
    let Some(value) = locked.shard(src).remove(src) else { return Err("ERR no such key".into()) };
    let ttl = at.map_or(Ttl::Clear, Ttl::At);
    if ex.meta.is_some() && ex.sh.aof.is_some() {
        // The new state of both keys, whatever the type: replaying it over
        // a snapshot that already has it changes nothing. Inside a
        // transaction, its own MULTI/EXEC already holds these together,
        // and the log has no nested transactions.
        let unit = ex.records.is_none();
        let mut rec = Vec::new();
        if unit {
            resp::command(&mut rec, &[&b"MULTI"[..]]);
        }
        resp::command(&mut rec, &[&b"DEL"[..], src, dst]);
        value.rewrite(dst, at, &mut rec);
        if unit {
            resp::command(&mut rec, &[&b"EXEC"[..]]);
        }
        ex.log(|buf| buf.extend_from_slice(&rec));
    }
    locked.shard(dst).insert_value(dst, value, ttl);
    drop(locked);
    if only_new {
        ex.int(1)
    } else {
        ex.ok()
    }
}

pub(super) fn rename(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    rename_generic(ex, a, false)
}

pub(super) fn renamenx(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    rename_generic(ex, a, true)
}

pub(super) fn expire_generic(ex: &mut Exec<'_>, a: &[Arg<'_>], cmd: &str, unit: i64, absolute: bool) -> Outcome {
    let (mut nx, mut xx, mut gt, mut lt) = (false, false, false, false);
    for opt in &a[3..] {
        if is(opt, "nx") {
            nx = true;
        } else if is(opt, "xx") {
            xx = true;
        } else if is(opt, "gt") {
            gt = true;
        } else if is(opt, "lt") {
            lt = true;
        } else {
            return Err(format!("ERR Unsupported option {}", trunc(opt)).into());
        }
    }
    if nx && (xx || gt || lt) {
        return Err("ERR NX and XX, GT or LT options at the same time are not compatible".into());
    }
    if gt && lt {
        return Err("ERR GT and LT options at the same time are not compatible".into());
    }
    let v = int(&a[2])?;
    let invalid = || Cow::Owned(format!("ERR invalid expire time in '{cmd}' command"));
    let mut when = v.checked_mul(unit).ok_or_else(invalid)?;
    if !absolute {
        when = when.checked_add(ex.now as i64).ok_or_else(invalid)?;
    }
    let now = ex.now;
    let mut s = ex.db().lock(&a[1]);
    if !s.contains(&a[1], now) {
        drop(s);
        return ex.int(0);
    }
    let cur = s.expire_at(&a[1]);
    let allowed = if nx {
        cur.is_none()
    } else if xx && cur.is_none() {
        false
    } else if gt {
        cur.is_some_and(|c| when > c as i64)
    } else if lt {
        cur.is_none_or(|c| when < c as i64)
    } else {
        true
    };
    if !allowed {
        drop(s);
        return ex.int(0);
    }
    if when <= now as i64 {
        s.remove(&a[1]);
    } else {
        s.set_expire(&a[1], Some(when as u64));
    }
    ex.log_key(&s, &a[1]);
    drop(s);
    ex.int(1)
}

pub(super) fn expire(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    expire_generic(ex, a, "expire", 1000, false)
}

pub(super) fn pexpire(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    expire_generic(ex, a, "pexpire", 1, false)
}

pub(super) fn expireat(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    expire_generic(ex, a, "expireat", 1000, true)
}

pub(super) fn pexpireat(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    expire_generic(ex, a, "pexpireat", 1, true)
}

/// The key's expiry: `Err(-2)` if absent, `Err(-1)` if persistent.
pub(super) fn expiry_of(ex: &mut Exec<'_>, key: &[u8]) -> Result<u64, i64> {
    let now = ex.now;
    let mut s = ex.db().lock(key);
    if !s.contains(key, now) {
        return Err(-2);
    }
    s.expire_at(key).ok_or(-1)
}

pub(super) fn ttl(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let now = ex.now;
    let n = expiry_of(ex, &a[1]).map_or_else(|e| e, |at| (at.saturating_sub(now) as i64 + 500) / 1000);
    ex.int(n)
}

pub(super) fn pttl(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let now = ex.now;
    let n = expiry_of(ex, &a[1]).map_or_else(|e| e, |at| at.saturating_sub(now) as i64);
    ex.int(n)
}

pub(super) fn expiretime(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let n = expiry_of(ex, &a[1]).map_or_else(|e| e, |at| (at / 1000) as i64);
    ex.int(n)
}

pub(super) fn pexpiretime(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let n = expiry_of(ex, &a[1]).map_or_else(|e| e, |at| at as i64);
    ex.int(n)
}

pub(super) fn persist(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let now = ex.now;
    let mut s = ex.db().lock(&a[1]);
    let done = s.contains(&a[1], now) && s.set_expire(&a[1], None);
    if done {
        ex.log_key(&s, &a[1]);
    }
    drop(s);
    ex.int(done as i64)
}
