//! Hashes: a map of fields to values, and the `H*` commands.
//!
//! Each write is logged as its effect under the key's shard lock: `HSET`
//! with the values it left (so `HINCRBYFLOAT` replays to the same text) or
//! `HDEL` of the fields it removed.

use std::collections::HashMap;

use switchyard_codec::resp::{self, string2ll};

use super::{Rng, ELEMENT_OVERHEAD_BYTES};
use crate::bytes::Bytes;
use crate::command::{float, int, Arg, Exec, Outcome};
use crate::long_double::LongDouble;

/// A hash: fields to values, with a running count of their bytes.
#[derive(Clone, Debug, Default)]
pub struct Hash {
    map: HashMap<Bytes, Bytes>,
    /// Bytes of every field and value.
    bytes: usize,
}

impl Hash {
    /// Fields held.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Estimated bytes held.
    pub fn mem(&self) -> usize {
        self.bytes + self.map.len() * ELEMENT_OVERHEAD_BYTES
    }

    /// The value of `field`.
    pub fn get(&self, field: &[u8]) -> Option<&Bytes> {
        self.map.get(field)
    }

    /// Sets `field` to `value`; true if the field is new.
    pub fn insert(&mut self, field: &[u8], value: Bytes) -> bool {
        self.bytes += value.len();
        match self.map.get_mut(field) {
            Some(old) => {
                self.bytes -= old.len();
                *old = value;
                false
            }
            None => {
                self.bytes += field.len();
                self.map.insert(Bytes::new(field), value);
                true
            }
        }
    }

    /// Removes `field`; true if it was there.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match self.map.remove_entry(field) {
            Some((f, v)) => {
                self.bytes -= f.len() + v.len();
                true
            }
            None => false,
        }
    }

    /// Every field and its value, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&Bytes, &Bytes)> {
        self.map.iter()
    }
}

fn log_hset(ex: &mut Exec<'_>, key: &[u8], pairs: &[(&[u8], &[u8])]) {
    ex.log(|buf| {
        resp::array(buf, 2 + pairs.len() * 2);
        resp::bulk(buf, b"HSET");
        resp::bulk(buf, key);
        for (f, v) in pairs {
            resp::bulk(buf, f);
            resp::bulk(buf, v);
        }
    });
}

fn hset_generic(ex: &mut Exec<'_>, a: &[Arg<'_>], name: &str) -> Result<i64, std::borrow::Cow<'static, str>> {
    if a.len() % 2 != 0 {
        return Err(format!("ERR wrong number of arguments for '{name}' command").into());
    }
    let now = ex.now;
    let mut s = ex.db().lock(&a[1]);
    let added = s
        .write::<Hash, _>(&a[1], now, true, |h| {
            a[2..].chunks(2).filter(|p| h.insert(&p[0], Bytes::new(&p[1]))).count()
        })?
        .unwrap_or(0);
    let pairs: Vec<(&[u8], &[u8])> = a[2..].chunks(2).map(|p| (&p[0][..], &p[1][..])).collect();
    log_hset(ex, &a[1], &pairs);
    drop(s);
    Ok(added as i64)
}

pub fn hset(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let n = hset_generic(ex, a, "hset")?;
    ex.int(n)
}

pub fn hmset(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    hset_generic(ex, a, "hmset")?;
    ex.ok()
}

pub fn hsetnx(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let now = ex.now;
    let mut s = ex.db().lock(&a[1]);
    let set = s
        .write::<Hash, _>(&a[1], now, true, |h| h.get(&a[2]).is_none() && h.insert(&a[2], Bytes::new(&a[3])))?
        .unwrap_or(false);
    if set {
        log_hset(ex, &a[1], &[(&a[2], &a[3])]);
    }
    drop(s);
    ex.int(set as i64)
}

pub fn hget(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let now = ex.now;
    let mut s = ex.db().lock(&a[1]);
    let v = s.read::<Hash>(&a[1], now)?.and_then(|h| h.get(&a[2]));
    ex.out.value_or_null(v);
    Ok(())
}

pub fn hmget(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let now = ex.now;
    let mut s = ex.db().lock(&a[1]);
    let h = s.read::<Hash>(&a[1], now)?;
    resp::array(ex.out, a.len() - 2);
    for f in &a[2..] {
        ex.out.value_or_null(h.and_then(|h| h.get(f)));
    }
    Ok(())
}

/// `HGETALL`, `HKEYS`, `HVALS`: fields, values, or both.
fn hall(ex: &mut Exec<'_>, a: &[Arg<'_>], fields: bool, values: bool) -> Outcome {
    let now = ex.now;
    let mut s = ex.db().lock(&a[1]);
    let both = fields && values;
    let Some(h) = s.read::<Hash>(&a[1], now)? else {
        if both {
            ex.out.map(0);
        } else {
            resp::array(ex.out, 0);
        }
        return Ok(());
    };
    // HGETALL is a map under RESP3, as in Redis 7.
    if both {
        ex.out.map(h.len());
    } else {
        resp::array(ex.out, h.len() * (fields as usize + values as usize));
    }
    for (f, v) in h.iter() {
        if fields {
            ex.out.value(f);
        }
        if values {
            ex.out.value(v);
        }
    }
    Ok(())
}

pub fn hgetall(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    hall(ex, a, true, true)
}

pub fn hkeys(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    hall(ex, a, true, false)
}

pub fn hvals(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    hall(ex, a, false, true)
}

pub fn hdel(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let now = ex.now;
    let mut s = ex.db().lock(&a[1]);
    let gone: Vec<&[u8]> = s
        .write::<Hash, _>(&a[1], now, false, |h| a[2..].iter().filter(|f| h.remove(f)).map(|f| &f[..]).collect())?
        .unwrap_or_default();
    if !gone.is_empty() {
        ex.log(|buf| {
            resp::array(buf, 2 + gone.len());
            resp::bulk(buf, b"HDEL");
            resp::bulk(buf, &a[1]);
            for f in &gone {
                resp::bulk(buf, f);
            }
        });
    }
    drop(s);
    ex.int(gone.len() as i64)
}

pub fn hexists(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let now = ex.now;
    let yes = ex.db().lock(&a[1]).read::<Hash>(&a[1], now)?.is_some_and(|h| h.get(&a[2]).is_some());
    ex.int(yes as i64)
}

pub fn hlen(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let now = ex.now;
    let n = ex.db().lock(&a[1]).read::<Hash>(&a[1], now)?.map_or(0, Hash::len);
    ex.int(n as i64)
}

pub fn hstrlen(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let now = ex.now;
    let n = ex.db().lock(&a[1]).read::<Hash>(&a[1], now)?.and_then(|h| h.get(&a[2])).map_or(0, |v| v.len());
    ex.int(n as i64)
}

pub fn hincrby(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let by = int(&a[3])?;
    let now = ex.now;
    let mut s = ex.db().lock(&a[1]);
    let cur = match s.peek_value(&a[1], now) {
        Some(v) => match <Hash as super::Kind>::of(v)?.get(&a[2]) {
            Some(v) => string2ll(v).ok_or("ERR hash value is not an integer")?,
            None => 0,
        },
        None => 0,
    };
    let n = cur.checked_add(by).ok_or("ERR increment or decrement would overflow")?;
    let text = n.to_string();
    s.write::<Hash, _>(&a[1], now, true, |h| h.insert(&a[2], Bytes::new(text.as_bytes())))?;
    log_hset(ex, &a[1], &[(&a[2], text.as_bytes())]);
    drop(s);
    ex.int(n)
}

pub fn hincrbyfloat(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let by = float(&a[3])?;
    let now = ex.now;
    let mut s = ex.db().lock(&a[1]);
    let cur = match s.peek_value(&a[1], now) {
        Some(v) => match <Hash as super::Kind>::of(v)?.get(&a[2]) {
            Some(v) => LongDouble::parse(v).ok_or("ERR hash value is not a float")?,
            None => LongDouble::ZERO,
        },
        None => LongDouble::ZERO,
    };
    let n = cur.add(by).ok_or("ERR increment would produce NaN or Infinity")?;
    let text = n.to_human();
    s.write::<Hash, _>(&a[1], now, true, |h| h.insert(&a[2], Bytes::new(text.as_bytes())))?;
    log_hset(ex, &a[1], &[(&a[2], text.as_bytes())]);
    drop(s);
    resp::bulk(ex.out, text.as_bytes());
    Ok(())
}

pub fn hrandfield(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let count = match a.get(2) {
        Some(c) => Some(int(c)?),
        None => None,
    };
    let with_values = match a.get(3) {
        Some(w) if a.len() == 4 && crate::command::is(w, "withvalues") => true,
        Some(_) => return Err(crate::command::SYNTAX.into()),
        None => false,
    };
    if let Some(c) = count {
        if with_values && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&c) {
            return Err("ERR value is out of range".into());
        }
    }
    let now = ex.now;
    let mut s = ex.db().lock(&a[1]);
    let h = s.read::<Hash>(&a[1], now)?;
    let mut rng = Rng::new();
    let Some(count) = count else {
        let pick = h.and_then(|h| h.iter().nth(rng.below(h.len())));
        ex.out.value_or_null(pick.map(|(f, _)| f));
        return Ok(());
    };
    let Some(h) = h else {
        resp::array(ex.out, 0);
        return Ok(());
    };
    let all: Vec<(&Bytes, &Bytes)> = h.iter().collect();
    let picks: Vec<usize> = super::pick_indices(&mut rng, all.len(), count);
    resp::array(ex.out, picks.len() * (1 + with_values as usize));
    for i in picks {
        ex.out.value(all[i].0);
        if with_values {
            ex.out.value(all[i].1);
        }
    }
    Ok(())
}

pub fn hscan(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let opts = super::ScanOptions::parse(a, true)?;
    let now = ex.now;
    let mut s = ex.db().lock(&a[1]);
    let Some(h) = s.read::<Hash>(&a[1], now)? else {
        return super::scan_reply(ex, 0, &[]);
    };
    let (next, items) = opts.page(h.iter(), |(f, _)| f);
    let mut flat: Vec<&Bytes> = Vec::with_capacity(items.len() * 2);
    for (f, v) in items {
        flat.push(f);
        if !opts.no_values {
            flat.push(v);
        }
    }
    let flat: Vec<Bytes> = flat.into_iter().cloned().collect();
    drop(s);
    super::scan_reply(ex, next, &flat.iter().collect::<Vec<_>>())
}
