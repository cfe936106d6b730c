//! Hashes: a map of fields to values, and the `H*` commands.
//!
//! Each write is logged as its effect under the key's shard lock: `HSET`
//! with the values it left (so `HINCRBYFLOAT` replays to the same text) or
//! `HDEL` of the fields it removed.

use switchyard_codec::resp::{self, string2ll};

use super::dense::Dense;
use super::packed::{self, Packed};
use super::thresholds::{Thresholds, THRESHOLDS};
use super::{pick_indices, Rng, ELEMENT_OVERHEAD_BYTES};
use crate::bytes::Bytes;
use crate::command::{float, int, Arg, Exec, Outcome};
use crate::long_double::LongDouble;

/// A hash: fields to values.
///
/// As wide as two pointers, so that a [`super::Value`] holds it without a
/// box: a small hash is one allocation, its listpack.
#[derive(Clone, Debug)]
pub struct Hash {
    enc: Encoding,
}

/// How a hash holds its fields, as Redis's `OBJECT ENCODING` names them.
#[derive(Clone, Debug)]
enum Encoding {
    /// Fields and values alternating in one exactly sized buffer (see
    /// [`packed`]), searched linearly: at most `hash-max-listpack-entries`
    /// fields, none longer than `hash-max-listpack-value`, nor any value.
    Listpack(Box<[u8]>),
    /// A hash table, once the hash outgrew the listpack; a hash never goes
    /// back, as in Redis.
    Hashtable(Box<Table>),
}

#[derive(Clone, Debug, Default)]
struct Table {
    /// Fields and values, in a vector so that a random pick is O(1).
    map: Dense<(Bytes, Bytes)>,
    /// Bytes of every field and value.
    bytes: usize,
}

impl Default for Hash {
    fn default() -> Hash {
        Hash { enc: Encoding::Listpack(Box::default()) }
    }
}

/// Byte offset of `field` in listpack `buf`.
fn find(buf: &[u8], field: &[u8]) -> Option<usize> {
    let mut it = packed::entries(buf);
    loop {
        let at = it.offset();
        let f = it.next()?;
        it.next();
        if f == field {
            return Some(at);
        }
    }
}

/// Changes listpack `buf` through a [`Packed`], leaving it exactly sized.
fn edit<R>(buf: &mut Box<[u8]>, change: impl FnOnce(&mut Packed) -> R) -> R {
    let mut p = Packed::from_vec(std::mem::take(buf).into_vec());
    let r = change(&mut p);
    *buf = p.into_vec().into_boxed_slice();
    r
}

impl Hash {
    /// Fields held.
    pub fn len(&self) -> usize {
        match &self.enc {
            Encoding::Listpack(p) => packed::entries(p).count() / 2,
            Encoding::Hashtable(t) => t.map.len(),
        }
    }

    /// No fields: O(1), where [`Hash::len`] walks a listpack.
    pub fn is_empty(&self) -> bool {
        match &self.enc {
            Encoding::Listpack(p) => p.is_empty(),
            Encoding::Hashtable(t) => t.map.is_empty(),
        }
    }

    /// Estimated bytes held.
    pub fn mem(&self) -> usize {
        match &self.enc {
            Encoding::Listpack(p) => p.len(),
            Encoding::Hashtable(t) => t.bytes + t.map.len() * ELEMENT_OVERHEAD_BYTES,
        }
    }

    /// The name `OBJECT ENCODING` answers.
    pub fn encoding(&self) -> &'static str {
        match &self.enc {
            Encoding::Listpack(_) => "listpack",
            Encoding::Hashtable(_) => "hashtable",
        }
    }

    /// The value of `field`.
    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match &self.enc {
            Encoding::Listpack(p) => find(p, field).map(|at| packed::entry_at(p, packed::entry_at(p, at).1).0),
            Encoding::Hashtable(t) => t.map.get(field).map(|(_, v)| &v[..]),
        }
    }

    fn convert_to_table(&mut self) {
        let mut t = Table::default();
        for (f, v) in self.iter() {
            t.bytes += f.len() + v.len();
            t.map.insert((Bytes::new(f), Bytes::new(v)));
        }
        self.enc = Encoding::Hashtable(Box::new(t));
    }

    /// Sets `field` to `value`; true if the field is new. Leaves the
    /// listpack past the thresholds.
    pub fn insert(&mut self, field: &[u8], value: &[u8]) -> bool {
        if let Encoding::Listpack(p) = &self.enc {
            let long = Thresholds::get(&THRESHOLDS.hash_value);
            let full = || find(p, field).is_none() && self.len() >= Thresholds::get(&THRESHOLDS.hash_entries);
            if field.len() > long || value.len() > long || full() {
                self.convert_to_table();
            }
        }
        match &mut self.enc {
            Encoding::Listpack(buf) => {
                let found = find(buf, field);
                edit(buf, |p| match found {
                    Some(at) => {
                        let vat = p.at(at).1;
                        p.replace_at(vat, value);
                        false
                    }
                    None => {
                        p.push_back(field);
                        p.push_back(value);
                        true
                    }
                })
            }
            Encoding::Hashtable(t) => {
                t.bytes += value.len();
                match t.map.get_mut(field) {
                    Some((_, old)) => {
                        t.bytes -= old.len();
                        *old = Bytes::new(value);
                        false
                    }
                    None => {
                        t.bytes += field.len();
                        t.map.insert((Bytes::new(field), Bytes::new(value)));
                        true
                    }
                }
            }
        }
    }

    /// Removes `field`; true if it was there.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match &mut self.enc {
            Encoding::Listpack(buf) => match find(buf, field) {
                Some(at) => edit(buf, |p| {
                    p.remove_at(at);
                    p.remove_at(at);
                    true
                }),
                None => false,
            },
            Encoding::Hashtable(t) => match t.map.remove(field) {
                Some((f, v)) => {
                    t.bytes -= f.len() + v.len();
                    true
                }
                None => false,
            },
        }
    }

    /// Every field and its value: in insertion order for a listpack, in
    /// no particular order for a hash table.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        let (packed, table) = match &self.enc {
            Encoding::Listpack(p) => (Some(Pairs(packed::entries(p))), None),
            Encoding::Hashtable(t) => (None, Some(t.map.iter().map(|(f, v)| (&f[..], &v[..])))),
        };
        packed.into_iter().flatten().chain(table.into_iter().flatten())
    }

    /// `count` fields and their values picked at random, as `HRANDFIELD`
    /// (see [`pick_indices`]): O(1) a pick from a hash table; a listpack
    /// (at most a few hundred fields) is read whole.
    pub fn random_fields(&self, rng: &mut Rng, count: i64) -> Vec<(&[u8], &[u8])> {
        match &self.enc {
            Encoding::Listpack(_) => {
                let all: Vec<(&[u8], &[u8])> = self.iter().collect();
                pick_indices(rng, all.len(), count).into_iter().map(|i| all[i]).collect()
            }
            Encoding::Hashtable(t) => pick_indices(rng, t.map.len(), count)
                .into_iter()
                .map(|i| {
                    let (f, v) = t.map.at(i);
                    (&f[..], &v[..])
                })
                .collect(),
        }
    }

    /// Whether the hash is a hash table (which `HSCAN` pages through).
    pub fn is_table(&self) -> bool {
        matches!(self.enc, Encoding::Hashtable(_))
    }
}

/// The entries of a listpack, two at a time.
struct Pairs<'a>(packed::Iter<'a>);

impl<'a> Iterator for Pairs<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        Some((self.0.next()?, self.0.next()?))
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
        .write::<Hash, _>(&a[1], now, true, |h| a[2..].chunks(2).filter(|p| h.insert(&p[0], &p[1])).count())?
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
    let set =
        s.write::<Hash, _>(&a[1], now, true, |h| h.get(&a[2]).is_none() && h.insert(&a[2], &a[3]))?.unwrap_or(false);
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
    ex.out.item_or_null(v);
    Ok(())
}

pub fn hmget(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let now = ex.now;
    let mut s = ex.db().lock(&a[1]);
    let h = s.read::<Hash>(&a[1], now)?;
    resp::array(ex.out, a.len() - 2);
    for f in &a[2..] {
        ex.out.item_or_null(h.and_then(|h| h.get(f)));
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
            ex.out.item(f);
        }
        if values {
            ex.out.item(v);
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
    s.write::<Hash, _>(&a[1], now, true, |h| h.insert(&a[2], text.as_bytes()))?;
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
    s.write::<Hash, _>(&a[1], now, true, |h| h.insert(&a[2], text.as_bytes()))?;
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
        super::check_pick_count(ex, "hrandfield", c)?;
    }
    let now = ex.now;
    let mut s = ex.db().lock(&a[1]);
    let h = s.read::<Hash>(&a[1], now)?;
    let mut rng = Rng::new();
    let Some(count) = count else {
        let pick = h.map(|h| h.random_fields(&mut rng, 1));
        ex.out.item_or_null(pick.as_ref().and_then(|p| p.first()).map(|(f, _)| *f));
        return Ok(());
    };
    let Some(h) = h else {
        resp::array(ex.out, 0);
        return Ok(());
    };
    let picks = h.random_fields(&mut rng, count);
    if with_values {
        ex.out.pairs(picks.len());
    } else {
        resp::array(ex.out, picks.len());
    }
    for (f, v) in picks {
        if with_values {
            ex.out.pair();
        }
        ex.out.item(f);
        if with_values {
            ex.out.item(v);
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
    // A listpack answers in one call with cursor 0, as Redis's does.
    let opts = if h.is_table() { opts } else { opts.whole() };
    let (next, items) = opts.page(h.iter(), h.len(), |(f, _)| f);
    let mut flat: Vec<Bytes> = Vec::with_capacity(items.len() * 2);
    for (f, v) in items {
        flat.push(Bytes::new(f));
        if !opts.no_values {
            flat.push(Bytes::new(v));
        }
    }
    drop(s);
    super::scan_reply(ex, next, &flat.iter().collect::<Vec<_>>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        #[test]
        fn a_hash_agrees_with_a_map_across_the_listpack_thresholds(
            ops in proptest::collection::vec((0u8..5, 0u16..700, 0usize..80), 1..1500),
            long_values in any::<bool>(),
        ) {
            let mut h = Hash::default();
            let mut m = BTreeMap::new();
            let mut outgrown = false;
            for (op, f, vlen) in ops {
                let field = format!("field{f}");
                // Without long values, runs pass 512 fields instead.
                let vlen = if op == 0 && long_values { vlen } else { vlen % 64 };
                if op < 4 {
                    let value = "v".repeat(vlen);
                    prop_assert_eq!(h.insert(field.as_bytes(), value.as_bytes()), m.insert(field, value.clone()).is_none());
                    outgrown |= vlen > 64 || m.len() > 512;
                } else {
                    prop_assert_eq!(h.remove(field.as_bytes()), m.remove(&field).is_some());
                }
                prop_assert_eq!(h.len(), m.len());
                prop_assert_eq!(h.encoding(), if outgrown { "hashtable" } else { "listpack" }, "never back, as Redis");
            }
            let got: BTreeMap<String, String> = h.iter().map(|(f, v)| (String::from_utf8(f.to_vec()).unwrap(), String::from_utf8(v.to_vec()).unwrap())).collect();
            prop_assert_eq!(&got, &m);
            for (f, v) in &m {
                prop_assert_eq!(h.get(f.as_bytes()), Some(v.as_bytes()));
            }
        }
    }
}
