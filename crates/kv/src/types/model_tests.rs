//! Property tests, one per collection type: random command sequences
//! against the store agree, reply for reply, with a plain model; then the
//! append-only log they wrote replays to the same state.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::path::PathBuf;

use proptest::prelude::*;
use switchyard_codec::resp;

use crate::client::ClientMeta;
use crate::command::Exec;
use crate::{reply, Fsync, Kv, Options};

const KEYS: [&str; 3] = ["a", "b", "c"];
const ITEMS: [&str; 5] = ["x", "y", "z", "10", "-3"];

fn meta() -> ClientMeta {
    ClientMeta::for_tests()
}

fn run(kv: &Kv, meta: &ClientMeta, args: &[String]) -> Vec<u8> {
    let mut out = reply::Reply::default();
    let args: Vec<Cow<'_, [u8]>> = args.iter().map(|a| Cow::Borrowed(a.as_bytes())).collect();
    Exec::new(&kv.shared, &mut out, 0, meta).run(&args);
    out.to_vec()
}

fn temp_log(name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("switchyard-kv-model-{name}-{}.aof", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

fn int(n: i64) -> Vec<u8> {
    let mut v = Vec::new();
    resp::integer(&mut v, n);
    v
}

fn bulk(b: Option<&str>) -> Vec<u8> {
    let mut v = Vec::new();
    match b {
        Some(b) => resp::bulk(&mut v, b.as_bytes()),
        None => resp::null(&mut v),
    }
    v
}

fn array<'a>(items: impl ExactSizeIterator<Item = &'a String>) -> Vec<u8> {
    let mut v = Vec::new();
    resp::array(&mut v, items.len());
    for i in items {
        resp::bulk(&mut v, i.as_bytes());
    }
    v
}

fn simple(s: &str) -> Vec<u8> {
    let mut v = Vec::new();
    resp::simple(&mut v, s);
    v
}

fn error(s: &str) -> Vec<u8> {
    let mut v = Vec::new();
    resp::error(&mut v, s);
    v
}

fn wrongtype() -> Vec<u8> {
    error(super::WRONGTYPE)
}

/// A model store: each key a string or a collection of type `C`.
#[derive(Default, Clone, Debug, PartialEq)]
struct Model<C> {
    strings: HashMap<String, String>,
    colls: BTreeMap<String, C>,
}

/// Runs `ops` against a store with a log and against `apply`'s model,
/// comparing replies; then replays the log and compares `state` of every
/// key with the model's.
fn check<C: Default + Clone + std::fmt::Debug + PartialEq>(
    name: &str,
    ops: &[Vec<String>],
    apply: impl Fn(&mut Model<C>, &[String]) -> Vec<u8>,
    state: impl Fn(&Kv, &ClientMeta, &str) -> Vec<u8>,
    model_state: impl Fn(&Model<C>, &str) -> Vec<u8>,
) -> Result<(), TestCaseError> {
    let path = temp_log(name);
    let options = Options { appendonly: Some(path.clone()), appendfsync: Fsync::No, ..Options::default() };
    let meta = meta();
    let mut m = Model::<C>::default();
    {
        let kv = Kv::new(options.clone()).unwrap();
        for op in ops {
            let got = run(&kv, &meta, op);
            let want = apply(&mut m, op);
            prop_assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(&want), "after {:?}", op);
        }
        for key in KEYS {
            prop_assert_eq!(state(&kv, &meta, key), model_state(&m, key), "key {} before the restart", key);
        }
        kv.shared.aof.as_ref().unwrap().flush(u64::MAX, false).unwrap_or(());
    }
    let kv = Kv::new(options).unwrap();
    for key in KEYS {
        prop_assert_eq!(state(&kv, &meta, key), model_state(&m, key), "key {} after replay", key);
    }
    drop(kv);
    let _ = std::fs::remove_file(&path);
    Ok(())
}

fn key() -> impl Strategy<Value = String> {
    (0..KEYS.len()).prop_map(|i| KEYS[i].to_string())
}

fn item() -> impl Strategy<Value = String> {
    (0..ITEMS.len()).prop_map(|i| ITEMS[i].to_string())
}

fn small() -> impl Strategy<Value = i64> {
    -4i64..5
}

fn words(w: &[&str]) -> Vec<String> {
    w.iter().map(|s| s.to_string()).collect()
}

/// Ops every type's test mixes in: a string write, a delete, an expiry.
fn common_op() -> impl Strategy<Value = Vec<String>> {
    prop_oneof![
        (key(), item()).prop_map(|(k, v)| vec!["SET".into(), k, v]),
        key().prop_map(|k| vec!["DEL".into(), k]),
        key().prop_map(|k| vec!["TYPE".into(), k]),
        (key(), key()).prop_map(|(a, b)| vec!["RENAME".into(), a, b]),
    ]
}

/// The common ops' effect on the model, or `None` for another op.
fn common<C: Clone>(m: &mut Model<C>, op: &[String], type_name: &str) -> Option<Vec<u8>> {
    Some(match op[0].as_str() {
        "SET" => {
            m.colls.remove(&op[1]);
            m.strings.insert(op[1].clone(), op[2].clone());
            simple("OK")
        }
        "DEL" => int((m.colls.remove(&op[1]).is_some() || m.strings.remove(&op[1]).is_some()) as i64),
        "TYPE" => simple(if m.strings.contains_key(&op[1]) {
            "string"
        } else if m.colls.contains_key(&op[1]) {
            type_name
        } else {
            "none"
        }),
        "RENAME" => {
            let (a, b) = (&op[1], &op[2]);
            if !m.strings.contains_key(a) && !m.colls.contains_key(a) {
                return Some(error("ERR no such key"));
            }
            if a != b {
                let s = m.strings.remove(a);
                let c = m.colls.remove(a);
                m.strings.remove(b);
                m.colls.remove(b);
                if let Some(s) = s {
                    m.strings.insert(b.clone(), s);
                }
                if let Some(c) = c {
                    m.colls.insert(b.clone(), c);
                }
            }
            simple("OK")
        }
        _ => return None,
    })
}

// Hashes.

fn hash_op() -> impl Strategy<Value = Vec<String>> {
    prop_oneof![
        4 => (key(), item(), item()).prop_map(|(k, f, v)| vec!["HSET".into(), k, f, v]),
        1 => (key(), item(), item()).prop_map(|(k, f, v)| vec!["HSETNX".into(), k, f, v]),
        2 => (key(), item()).prop_map(|(k, f)| vec!["HDEL".into(), k, f]),
        2 => (key(), item()).prop_map(|(k, f)| vec!["HGET".into(), k, f]),
        1 => key().prop_map(|k| vec!["HLEN".into(), k]),
        1 => (key(), item()).prop_map(|(k, f)| vec!["HEXISTS".into(), k, f]),
        2 => (key(), item(), small()).prop_map(|(k, f, n)| vec!["HINCRBY".into(), k, f, n.to_string()]),
        1 => common_op(),
    ]
}

type H = BTreeMap<String, String>;

fn hash_apply(m: &mut Model<H>, op: &[String]) -> Vec<u8> {
    if let Some(r) = common(m, op, "hash") {
        return r;
    }
    if m.strings.contains_key(&op[1]) {
        return wrongtype();
    }
    let k = op[1].clone();
    let h = m.colls.entry(k.clone()).or_default();
    let r = match op[0].as_str() {
        "HSET" => int(h.insert(op[2].clone(), op[3].clone()).is_none() as i64),
        "HSETNX" => int(if h.contains_key(&op[2]) {
            0
        } else {
            h.insert(op[2].clone(), op[3].clone());
            1
        }),
        "HDEL" => int(h.remove(&op[2]).is_some() as i64),
        "HGET" => bulk(h.get(&op[2]).map(String::as_str)),
        "HLEN" => int(h.len() as i64),
        "HEXISTS" => int(h.contains_key(&op[2]) as i64),
        "HINCRBY" => {
            let by: i64 = op[3].parse().unwrap();
            match h.get(&op[2]).map(|v| v.parse::<i64>()) {
                Some(Err(_)) => error("ERR hash value is not an integer"),
                cur => {
                    let n = cur.map_or(0, |c| c.unwrap()) + by;
                    h.insert(op[2].clone(), n.to_string());
                    int(n)
                }
            }
        }
        other => unreachable!("{other}"),
    };
    if h.is_empty() {
        m.colls.remove(&k);
    }
    r
}

fn hash_state(kv: &Kv, meta: &ClientMeta, key: &str) -> Vec<u8> {
    let mut out = run(kv, meta, &words(&["TYPE", key]));
    for f in ITEMS {
        out.extend(run(kv, meta, &words(&["HGET", key, f])));
    }
    out.extend(run(kv, meta, &words(&["GET", key])));
    out
}

fn hash_model_state(m: &Model<H>, key: &str) -> Vec<u8> {
    let h = m.colls.get(key);
    let s = m.strings.get(key);
    let mut out = simple(if s.is_some() {
        "string"
    } else if h.is_some() {
        "hash"
    } else {
        "none"
    });
    for f in ITEMS {
        out.extend(if s.is_some() { wrongtype() } else { bulk(h.and_then(|h| h.get(f)).map(String::as_str)) });
    }
    out.extend(if h.is_some() { wrongtype() } else { bulk(s.map(String::as_str)) });
    out
}

// Lists.

fn side() -> impl Strategy<Value = String> {
    prop_oneof![Just("LEFT".to_string()), Just("RIGHT".to_string())]
}

fn list_op() -> impl Strategy<Value = Vec<String>> {
    prop_oneof![
        3 => (key(), item()).prop_map(|(k, v)| vec!["LPUSH".into(), k, v]),
        3 => (key(), item(), item()).prop_map(|(k, v, w)| vec!["RPUSH".into(), k, v, w]),
        2 => key().prop_map(|k| vec!["LPOP".into(), k]),
        1 => (key(), 0i64..3).prop_map(|(k, n)| vec!["RPOP".into(), k, n.to_string()]),
        1 => key().prop_map(|k| vec!["LLEN".into(), k]),
        1 => (key(), small()).prop_map(|(k, i)| vec!["LINDEX".into(), k, i.to_string()]),
        1 => (key(), small(), item()).prop_map(|(k, i, v)| vec!["LSET".into(), k, i.to_string(), v]),
        1 => (key(), small(), item()).prop_map(|(k, c, v)| vec!["LREM".into(), k, c.to_string(), v]),
        1 => (key(), small(), small()).prop_map(|(k, a, b)| vec!["LTRIM".into(), k, a.to_string(), b.to_string()]),
        1 => (key(), small(), small()).prop_map(|(k, a, b)| vec!["LRANGE".into(), k, a.to_string(), b.to_string()]),
        1 => (key(), item(), item(), any::<bool>()).prop_map(|(k, p, v, after)| {
            vec!["LINSERT".into(), k, if after { "AFTER" } else { "BEFORE" }.into(), p, v]
        }),
        2 => (key(), key(), side(), side()).prop_map(|(a, b, x, y)| vec!["LMOVE".into(), a, b, x, y]),
        1 => common_op(),
    ]
}

type L = VecDeque<String>;

fn clip(start: i64, stop: i64, len: usize) -> Option<(usize, usize)> {
    super::list::range(start, stop, len)
}

fn list_apply(m: &mut Model<L>, op: &[String]) -> Vec<u8> {
    if let Some(r) = common(m, op, "list") {
        return r;
    }
    if m.strings.contains_key(&op[1])
        || (op[0] == "LMOVE" && m.colls.contains_key(&op[1]) && m.strings.contains_key(&op[2]))
    {
        return wrongtype();
    }
    if op[0] == "LMOVE" {
        let (a, b) = (op[1].clone(), op[2].clone());
        let Some(src) = m.colls.get_mut(&a) else { return bulk(None) };
        let v = if op[3] == "LEFT" { src.pop_front() } else { src.pop_back() }.unwrap();
        if src.is_empty() {
            m.colls.remove(&a);
        }
        let dst = m.colls.entry(b).or_default();
        if op[4] == "LEFT" {
            dst.push_front(v.clone());
        } else {
            dst.push_back(v.clone());
        }
        return bulk(Some(&v));
    }
    let k = op[1].clone();
    let existed = m.colls.contains_key(&k);
    let l = m.colls.entry(k.clone()).or_default();
    let idx = |i: i64, len: usize| -> Option<usize> {
        let i = if i < 0 { i + len as i64 } else { i };
        (0..len as i64).contains(&i).then_some(i as usize)
    };
    let r = match op[0].as_str() {
        "LPUSH" => {
            l.push_front(op[2].clone());
            int(l.len() as i64)
        }
        "RPUSH" => {
            l.push_back(op[2].clone());
            l.push_back(op[3].clone());
            int(l.len() as i64)
        }
        "LPOP" => bulk(l.pop_front().as_deref()),
        "RPOP" => {
            if !existed {
                let mut v = Vec::new();
                resp::null_array(&mut v);
                v
            } else {
                let n: usize = op[2].parse().unwrap();
                let popped: Vec<String> = (0..n).map_while(|_| l.pop_back()).collect();
                array(popped.iter())
            }
        }
        "LLEN" => int(l.len() as i64),
        "LINDEX" => bulk(idx(op[2].parse().unwrap(), l.len()).map(|i| l[i].as_str())),
        "LSET" => {
            if !existed {
                error("ERR no such key")
            } else {
                match idx(op[2].parse().unwrap(), l.len()) {
                    Some(i) => {
                        l[i] = op[3].clone();
                        simple("OK")
                    }
                    None => error("ERR index out of range"),
                }
            }
        }
        "LREM" => {
            let c: i64 = op[2].parse().unwrap();
            let limit = if c == 0 { usize::MAX } else { c.unsigned_abs() as usize };
            let mut removed = 0;
            if c >= 0 {
                let mut i = 0;
                while i < l.len() {
                    if removed < limit && l[i] == op[3] {
                        l.remove(i);
                        removed += 1;
                    } else {
                        i += 1;
                    }
                }
            } else {
                let mut i = l.len();
                while i > 0 {
                    i -= 1;
                    if removed < limit && l[i] == op[3] {
                        l.remove(i);
                        removed += 1;
                    }
                }
            }
            int(removed as i64)
        }
        "LTRIM" => {
            match clip(op[2].parse().unwrap(), op[3].parse().unwrap(), l.len()) {
                None => l.clear(),
                Some((a, b)) => {
                    l.truncate(b + 1);
                    l.drain(..a);
                }
            }
            simple("OK")
        }
        "LRANGE" => match clip(op[2].parse().unwrap(), op[3].parse().unwrap(), l.len()) {
            None => array([].iter()),
            Some((a, b)) => {
                let part: Vec<String> = l.range(a..=b).cloned().collect();
                array(part.iter())
            }
        },
        "LINSERT" => {
            if !existed {
                int(0)
            } else {
                match l.iter().position(|v| *v == op[3]) {
                    None => int(-1),
                    Some(i) => {
                        l.insert(i + (op[2] == "AFTER") as usize, op[4].clone());
                        int(l.len() as i64)
                    }
                }
            }
        }
        other => unreachable!("{other}"),
    };
    if l.is_empty() {
        m.colls.remove(&k);
    }
    r
}

fn list_state(kv: &Kv, meta: &ClientMeta, key: &str) -> Vec<u8> {
    let mut out = run(kv, meta, &words(&["TYPE", key]));
    out.extend(run(kv, meta, &words(&["LRANGE", key, "0", "-1"])));
    out
}

fn list_model_state(m: &Model<L>, key: &str) -> Vec<u8> {
    if m.strings.contains_key(key) {
        let mut out = simple("string");
        out.extend(wrongtype());
        return out;
    }
    match m.colls.get(key) {
        Some(l) => {
            let mut out = simple("list");
            out.extend(array(l.iter()));
            out
        }
        None => {
            let mut out = simple("none");
            out.extend(array([].iter()));
            out
        }
    }
}

// Sets.

fn set_op() -> impl Strategy<Value = Vec<String>> {
    prop_oneof![
        4 => (key(), item(), item()).prop_map(|(k, a, b)| vec!["SADD".into(), k, a, b]),
        2 => (key(), item()).prop_map(|(k, a)| vec!["SREM".into(), k, a]),
        1 => (key(), item()).prop_map(|(k, a)| vec!["SISMEMBER".into(), k, a]),
        1 => key().prop_map(|k| vec!["SCARD".into(), k]),
        2 => (key(), key(), item()).prop_map(|(a, b, x)| vec!["SMOVE".into(), a, b, x]),
        1 => (key(), key(), key()).prop_map(|(d, a, b)| vec!["SINTERSTORE".into(), d, a, b]),
        1 => (key(), key(), key()).prop_map(|(d, a, b)| vec!["SUNIONSTORE".into(), d, a, b]),
        1 => (key(), key(), key()).prop_map(|(d, a, b)| vec!["SDIFFSTORE".into(), d, a, b]),
        1 => key().prop_map(|k| vec!["SPOP".into(), k, "0".into()]),
        1 => common_op(),
    ]
}

type S = BTreeSet<String>;

fn set_apply(m: &mut Model<S>, op: &[String]) -> Vec<u8> {
    if let Some(r) = common(m, op, "set") {
        return r;
    }
    let name = op[0].as_str();
    let read_keys: &[String] = match name {
        "SMOVE" => &op[1..3],
        n if n.ends_with("STORE") => &op[2..],
        _ => &op[1..2],
    };
    if read_keys.iter().any(|k| m.strings.contains_key(k)) {
        return wrongtype();
    }
    if name.ends_with("STORE") {
        let get = |k: &String| m.colls.get(k).cloned().unwrap_or_default();
        let (a, b) = (get(&op[2]), get(&op[3]));
        let r: S = match name {
            "SINTERSTORE" => a.intersection(&b).cloned().collect(),
            "SUNIONSTORE" => a.union(&b).cloned().collect(),
            _ => a.difference(&b).cloned().collect(),
        };
        let n = r.len();
        m.strings.remove(&op[1]);
        m.colls.remove(&op[1]);
        if n > 0 {
            m.colls.insert(op[1].clone(), r);
        }
        return int(n as i64);
    }
    if name == "SMOVE" {
        let has = m.colls.get(&op[1]).is_some_and(|s| s.contains(&op[3]));
        if !has {
            return int(0);
        }
        if op[1] != op[2] {
            let src = m.colls.get_mut(&op[1]).unwrap();
            src.remove(&op[3]);
            if src.is_empty() {
                m.colls.remove(&op[1]);
            }
            m.colls.entry(op[2].clone()).or_default().insert(op[3].clone());
        }
        return int(1);
    }
    let k = op[1].clone();
    let s = m.colls.entry(k.clone()).or_default();
    let r = match name {
        "SADD" => int(s.insert(op[2].clone()) as i64 + s.insert(op[3].clone()) as i64),
        "SREM" => int(s.remove(&op[2]) as i64),
        "SISMEMBER" => int(s.contains(&op[2]) as i64),
        "SCARD" => int(s.len() as i64),
        "SPOP" => array([].iter()),
        other => unreachable!("{other}"),
    };
    if s.is_empty() {
        m.colls.remove(&k);
    }
    r
}

fn set_state(kv: &Kv, meta: &ClientMeta, key: &str) -> Vec<u8> {
    let mut out = run(kv, meta, &words(&["TYPE", key]));
    out.extend(run(kv, meta, &words(&["SCARD", key])));
    for m in ITEMS {
        out.extend(run(kv, meta, &words(&["SISMEMBER", key, m])));
    }
    out
}

fn set_model_state(m: &Model<S>, key: &str) -> Vec<u8> {
    if m.strings.contains_key(key) {
        let mut out = simple("string");
        for _ in 0..=ITEMS.len() {
            out.extend(wrongtype());
        }
        return out;
    }
    let s = m.colls.get(key);
    let mut out = simple(if s.is_some() { "set" } else { "none" });
    out.extend(int(s.map_or(0, |s| s.len()) as i64));
    for i in ITEMS {
        out.extend(int(s.is_some_and(|s| s.contains(i)) as i64));
    }
    out
}

// Sorted sets.

fn zset_op() -> impl Strategy<Value = Vec<String>> {
    prop_oneof![
        4 => (key(), small(), item()).prop_map(|(k, s, m)| vec!["ZADD".into(), k, s.to_string(), m]),
        1 => (key(), small(), item()).prop_map(|(k, s, m)| vec!["ZADD".into(), k, "GT".into(), "CH".into(), s.to_string(), m]),
        2 => (key(), small(), item()).prop_map(|(k, s, m)| vec!["ZINCRBY".into(), k, s.to_string(), m]),
        2 => (key(), item()).prop_map(|(k, m)| vec!["ZREM".into(), k, m]),
        1 => (key(), item()).prop_map(|(k, m)| vec!["ZRANK".into(), k, m]),
        1 => (key(), item()).prop_map(|(k, m)| vec!["ZSCORE".into(), k, m]),
        1 => (key(), small(), small()).prop_map(|(k, a, b)| vec!["ZRANGE".into(), k, a.to_string(), b.to_string(), "WITHSCORES".into()]),
        1 => (key(), small(), small()).prop_map(|(k, a, b)| vec!["ZRANGEBYSCORE".into(), k, format!("({a}"), b.to_string()]),
        1 => (key(), small(), small()).prop_map(|(k, a, b)| vec!["ZREMRANGEBYSCORE".into(), k, a.to_string(), b.to_string()]),
        1 => key().prop_map(|k| vec!["ZPOPMIN".into(), k]),
        1 => (key(), key(), key()).prop_map(|(d, a, b)| vec!["ZUNIONSTORE".into(), d, "2".into(), a, b]),
        1 => common_op(),
    ]
}

type Z = BTreeMap<String, i64>;

fn sorted(z: &Z) -> Vec<(i64, String)> {
    let mut v: Vec<(i64, String)> = z.iter().map(|(m, s)| (*s, m.clone())).collect();
    v.sort();
    v
}

fn zset_apply(m: &mut Model<Z>, op: &[String]) -> Vec<u8> {
    if let Some(r) = common(m, op, "zset") {
        return r;
    }
    let name = op[0].as_str();
    if name == "ZUNIONSTORE" {
        if op[3..].iter().any(|k| m.strings.contains_key(k)) {
            return wrongtype();
        }
        let mut u = Z::new();
        for k in &op[3..] {
            for (mem, s) in m.colls.get(k).cloned().unwrap_or_default() {
                *u.entry(mem).or_insert(0) += s;
            }
        }
        let n = u.len();
        m.strings.remove(&op[1]);
        m.colls.remove(&op[1]);
        if n > 0 {
            m.colls.insert(op[1].clone(), u);
        }
        return int(n as i64);
    }
    if m.strings.contains_key(&op[1]) {
        return wrongtype();
    }
    let k = op[1].clone();
    let z = m.colls.entry(k.clone()).or_default();
    let r = match name {
        "ZADD" if op.len() == 4 => int(z.insert(op[3].clone(), op[2].parse().unwrap()).is_none() as i64),
        "ZADD" => {
            let (s, mem): (i64, &String) = (op[4].parse().unwrap(), &op[5]);
            match z.get(mem) {
                None => {
                    z.insert(mem.clone(), s);
                    int(1)
                }
                Some(&c) if s > c => {
                    z.insert(mem.clone(), s);
                    int(1)
                }
                Some(_) => int(0),
            }
        }
        "ZINCRBY" => {
            let v = z.entry(op[3].clone()).or_insert(0);
            *v += op[2].parse::<i64>().unwrap();
            bulk(Some(&v.to_string()))
        }
        "ZREM" => int(z.remove(&op[2]).is_some() as i64),
        "ZSCORE" => bulk(z.get(&op[2]).map(|s| s.to_string()).as_deref()),
        "ZRANK" => match z.get(&op[2]) {
            Some(_) => int(sorted(z).iter().position(|(_, x)| *x == op[2]).unwrap() as i64),
            None => bulk(None),
        },
        "ZRANGE" => {
            let all = sorted(z);
            let items: Vec<String> = match clip(op[2].parse().unwrap(), op[3].parse().unwrap(), all.len()) {
                None => Vec::new(),
                Some((a, b)) => all[a..=b].iter().flat_map(|(s, x)| [x.clone(), s.to_string()]).collect(),
            };
            array(items.iter())
        }
        "ZRANGEBYSCORE" => {
            let lo: i64 = op[2][1..].parse().unwrap();
            let hi: i64 = op[3].parse().unwrap();
            let items: Vec<String> =
                sorted(z).into_iter().filter(|(s, _)| *s > lo && *s <= hi).map(|(_, x)| x).collect();
            array(items.iter())
        }
        "ZREMRANGEBYSCORE" => {
            let (lo, hi): (i64, i64) = (op[2].parse().unwrap(), op[3].parse().unwrap());
            let before = z.len();
            z.retain(|_, s| !(*s >= lo && *s <= hi));
            int((before - z.len()) as i64)
        }
        "ZPOPMIN" => {
            let items: Vec<String> = match sorted(z).first() {
                Some((s, x)) => {
                    z.remove(x);
                    vec![x.clone(), s.to_string()]
                }
                None => Vec::new(),
            };
            array(items.iter())
        }
        other => unreachable!("{other}"),
    };
    if z.is_empty() {
        m.colls.remove(&k);
    }
    r
}

fn zset_state(kv: &Kv, meta: &ClientMeta, key: &str) -> Vec<u8> {
    let mut out = run(kv, meta, &words(&["TYPE", key]));
    out.extend(run(kv, meta, &words(&["ZRANGE", key, "0", "-1", "WITHSCORES"])));
    out
}

fn zset_model_state(m: &Model<Z>, key: &str) -> Vec<u8> {
    if m.strings.contains_key(key) {
        let mut out = simple("string");
        out.extend(wrongtype());
        return out;
    }
    let z = m.colls.get(key);
    let mut out = simple(if z.is_some() { "zset" } else { "none" });
    let items: Vec<String> =
        z.map(|z| sorted(z).into_iter().flat_map(|(s, x)| [x, s.to_string()]).collect()).unwrap_or_default();
    out.extend(array(items.iter()));
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn hash_commands_agree_with_a_map_of_maps_and_replay_from_the_log(ops in proptest::collection::vec(hash_op(), 1..60)) {
        check("hash", &ops, hash_apply, hash_state, hash_model_state)?;
    }

    #[test]
    fn list_commands_agree_with_a_map_of_deques_and_replay_from_the_log(ops in proptest::collection::vec(list_op(), 1..60)) {
        check("list", &ops, list_apply, list_state, list_model_state)?;
    }

    #[test]
    fn set_commands_agree_with_a_map_of_sets_and_replay_from_the_log(ops in proptest::collection::vec(set_op(), 1..60)) {
        check("set", &ops, set_apply, set_state, set_model_state)?;
    }

    #[test]
    fn sorted_set_commands_agree_with_a_map_of_scores_and_replay_from_the_log(ops in proptest::collection::vec(zset_op(), 1..60)) {
        check("zset", &ops, zset_apply, zset_state, zset_model_state)?;
    }
}
