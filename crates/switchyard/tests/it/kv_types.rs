//! Tests of kv's collection types through the `redis` crate: hashes, lists,
//! sets and sorted sets, their options and error replies, `WRONGTYPE` between every
//! pair of types, the generic commands over every type, atomic moves
//! under concurrent readers, and the append-only log of every type
//! (replay, rewrite, and a SIGKILL under `appendfsync always`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

use crate::kv::acknowledged_until_sigkill;
use crate::support::{wait_for, Server};

fn start(extra: &[&str]) -> Server {
    let mut args = vec!["serve", "kv", "--listen", "127.0.0.1:0", "--log-level", "warn"];
    args.extend_from_slice(extra);
    Server::start(&args, 1)
}

fn connect(server: &Server) -> redis::Connection {
    let client = redis::Client::open(format!("redis://{}/", server.addr())).unwrap();
    let con = client.get_connection_with_timeout(Duration::from_secs(10)).unwrap();
    con.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    con.set_write_timeout(Some(Duration::from_secs(10))).unwrap();
    con
}

fn cmd(args: &[&str]) -> redis::Cmd {
    let mut c = redis::cmd(args[0]);
    for a in &args[1..] {
        c.arg(*a);
    }
    c
}

/// Runs a command that must succeed.
#[track_caller]
fn q<T: redis::FromRedisValue>(con: &mut redis::Connection, args: &[&str]) -> T {
    match cmd(args).query(con) {
        Ok(v) => v,
        Err(e) => panic!("{args:?} failed: {e}"),
    }
}

/// Runs a command that must fail; its error text as sent (`ERR ...`).
#[track_caller]
fn e(con: &mut redis::Connection, args: &[&str]) -> String {
    match cmd(args).query::<redis::Value>(con) {
        Ok(v) => panic!("{args:?} should have failed, got {v:?}"),
        Err(err) => format!("{} {}", err.code().unwrap_or("?"), err.detail().unwrap_or("")),
    }
}

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

fn set_of(v: Vec<String>) -> BTreeSet<String> {
    v.into_iter().collect()
}

fn temp_log(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("switchyard-kv-types-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("appendonly.aof")
}

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

#[test]
fn hashes_behave_like_redis() {
    let server = start(&[]);
    let con = &mut connect(&server);
    assert_eq!(q::<i64>(con, &["HSET", "h", "a", "1", "b", "2"]), 2);
    assert_eq!(q::<i64>(con, &["HSET", "h", "a", "10", "c", "3"]), 1);
    assert_eq!(e(con, &["HSET", "h", "a"]), "ERR wrong number of arguments for 'hset' command");
    assert_eq!(e(con, &["HSET", "h", "a", "1", "b"]), "ERR wrong number of arguments for 'hset' command");
    assert_eq!(q::<String>(con, &["HMSET", "h", "d", "4"]), "OK");
    assert_eq!(e(con, &["HMSET", "h", "d"]), "ERR wrong number of arguments for 'hmset' command");
    assert_eq!(q::<i64>(con, &["HSETNX", "h", "a", "x"]), 0);
    assert_eq!(q::<i64>(con, &["HSETNX", "h", "e", "5"]), 1);
    assert_eq!(q::<Option<String>>(con, &["HGET", "h", "a"]), s("10"));
    assert_eq!(q::<Option<String>>(con, &["HGET", "h", "zz"]), None);
    assert_eq!(q::<Option<String>>(con, &["HGET", "nohash", "a"]), None);
    assert_eq!(q::<Vec<Option<String>>>(con, &["HMGET", "h", "a", "zz", "c"]), vec![s("10"), None, s("3")]);
    assert_eq!(q::<Vec<Option<String>>>(con, &["HMGET", "nohash", "a"]), vec![None]);
    let all: BTreeMap<String, String> = q(con, &["HGETALL", "h"]);
    let want: BTreeMap<String, String> = [("a", "10"), ("b", "2"), ("c", "3"), ("d", "4"), ("e", "5")]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert_eq!(all, want);
    assert_eq!(set_of(q(con, &["HKEYS", "h"])), set_of(strs(&["a", "b", "c", "d", "e"])));
    assert_eq!(set_of(q(con, &["HVALS", "h"])), set_of(strs(&["10", "2", "3", "4", "5"])));
    assert_eq!(q::<Vec<String>>(con, &["HGETALL", "nohash"]), Vec::<String>::new());
    assert_eq!(q::<i64>(con, &["HLEN", "h"]), 5);
    assert_eq!(q::<i64>(con, &["HLEN", "nohash"]), 0);
    assert_eq!(q::<i64>(con, &["HEXISTS", "h", "a"]), 1);
    assert_eq!(q::<i64>(con, &["HEXISTS", "h", "zz"]), 0);
    assert_eq!(q::<i64>(con, &["HSTRLEN", "h", "a"]), 2);
    assert_eq!(q::<i64>(con, &["HSTRLEN", "h", "zz"]), 0);
    assert_eq!(q::<i64>(con, &["HINCRBY", "h", "a", "5"]), 15);
    assert_eq!(q::<i64>(con, &["HINCRBY", "h", "new", "-3"]), -3);
    assert_eq!(e(con, &["HINCRBY", "h", "a", "x"]), "ERR value is not an integer or out of range");
    q::<i64>(con, &["HSET", "h", "word", "abc", "big", "9223372036854775807"]);
    assert_eq!(e(con, &["HINCRBY", "h", "word", "1"]), "ERR hash value is not an integer");
    assert_eq!(e(con, &["HINCRBY", "h", "big", "1"]), "ERR increment or decrement would overflow");
    assert_eq!(q::<String>(con, &["HINCRBYFLOAT", "h", "f", "10.5"]), "10.5");
    assert_eq!(q::<String>(con, &["HINCRBYFLOAT", "h", "f", "0.1"]), "10.6");
    assert_eq!(q::<String>(con, &["HINCRBYFLOAT", "h", "a", "5.0e3"]), "5015");
    assert_eq!(e(con, &["HINCRBYFLOAT", "h", "word", "1"]), "ERR hash value is not a float");
    assert_eq!(e(con, &["HINCRBYFLOAT", "h", "f", "x"]), "ERR value is not a valid float");
    assert_eq!(q::<i64>(con, &["HDEL", "h", "a", "zz", "b"]), 2);
    assert_eq!(q::<i64>(con, &["HDEL", "nohash", "a"]), 0);
    q::<i64>(con, &["HSET", "one", "f", "v"]);
    assert_eq!(q::<i64>(con, &["HDEL", "one", "f"]), 1);
    assert_eq!(q::<i64>(con, &["EXISTS", "one"]), 0, "a hash without fields is gone");

    // HRANDFIELD.
    q::<i64>(con, &["HSET", "r", "a", "1", "b", "2", "c", "3"]);
    let one: String = q(con, &["HRANDFIELD", "r"]);
    assert!(["a", "b", "c"].contains(&one.as_str()));
    assert_eq!(q::<Option<String>>(con, &["HRANDFIELD", "nohash"]), None);
    assert_eq!(set_of(q(con, &["HRANDFIELD", "r", "5"])), set_of(strs(&["a", "b", "c"])));
    assert_eq!(q::<Vec<String>>(con, &["HRANDFIELD", "r", "2"]).len(), 2);
    assert_eq!(q::<Vec<String>>(con, &["HRANDFIELD", "r", "-7"]).len(), 7);
    assert_eq!(q::<Vec<String>>(con, &["HRANDFIELD", "r", "0"]).len(), 0);
    assert_eq!(q::<Vec<String>>(con, &["HRANDFIELD", "nohash", "3"]).len(), 0);
    let pairs: Vec<String> = q(con, &["HRANDFIELD", "r", "-4", "WITHVALUES"]);
    assert_eq!(pairs.len(), 8);
    for p in pairs.chunks(2) {
        assert_eq!(p[1], (p[0].as_bytes()[0] - b'a' + 1).to_string(), "{pairs:?}");
    }
    assert_eq!(e(con, &["HRANDFIELD", "r", "2", "WITHSCORES"]), "ERR syntax error");
    assert_eq!(e(con, &["HRANDFIELD", "r", "x"]), "ERR value is not an integer or out of range");

    // HSCAN: every field exactly once across the pages, MATCH, NOVALUES.
    for i in 0..100 {
        q::<i64>(con, &["HSET", "big", &format!("f{i}"), &i.to_string()]);
    }
    let mut cursor = "0".to_string();
    let mut seen = BTreeMap::new();
    loop {
        let (next, items): (String, Vec<String>) = q(con, &["HSCAN", "big", &cursor, "COUNT", "7"]);
        for p in items.chunks(2) {
            assert!(seen.insert(p[0].clone(), p[1].clone()).is_none(), "{} twice", p[0]);
        }
        cursor = next;
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen.len(), 100);
    let (_, items): (String, Vec<String>) = q(con, &["HSCAN", "big", "0", "COUNT", "1000", "MATCH", "f1*"]);
    assert_eq!(items.len(), 22, "f1, f10..f19, values too");
    let (_, items): (String, Vec<String>) = q(con, &["HSCAN", "big", "0", "COUNT", "1000", "MATCH", "f1?", "NOVALUES"]);
    assert_eq!(items.len(), 10);
    assert_eq!(e(con, &["HSCAN", "big", "x"]), "ERR invalid cursor");
    assert_eq!(e(con, &["HSCAN", "big", "0", "COUNT", "0"]), "ERR syntax error");
    assert_eq!(e(con, &["HSCAN", "big", "0", "BOGUS", "1"]), "ERR syntax error");
    let (c, items): (String, Vec<String>) = q(con, &["HSCAN", "nohash", "0"]);
    assert_eq!((c.as_str(), items.len()), ("0", 0));
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn lists_behave_like_redis() {
    let server = start(&[]);
    let con = &mut connect(&server);
    assert_eq!(q::<i64>(con, &["RPUSH", "l", "a", "b", "c"]), 3);
    assert_eq!(q::<i64>(con, &["LPUSH", "l", "y", "z"]), 5);
    assert_eq!(q::<Vec<String>>(con, &["LRANGE", "l", "0", "-1"]), strs(&["z", "y", "a", "b", "c"]));
    assert_eq!(q::<Vec<String>>(con, &["LRANGE", "l", "-2", "100"]), strs(&["b", "c"]));
    assert_eq!(q::<Vec<String>>(con, &["LRANGE", "l", "3", "1"]), Vec::<String>::new());
    assert_eq!(q::<Vec<String>>(con, &["LRANGE", "nolist", "0", "-1"]), Vec::<String>::new());
    assert_eq!(e(con, &["LRANGE", "l", "a", "1"]), "ERR value is not an integer or out of range");
    assert_eq!(q::<i64>(con, &["LPUSHX", "nolist", "a"]), 0);
    assert_eq!(q::<i64>(con, &["RPUSHX", "nolist", "a"]), 0);
    assert_eq!(q::<i64>(con, &["EXISTS", "nolist"]), 0);
    assert_eq!(q::<i64>(con, &["RPUSHX", "l", "d"]), 6);
    assert_eq!(q::<i64>(con, &["LPUSHX", "l", "x"]), 7);
    assert_eq!(q::<i64>(con, &["LLEN", "l"]), 7);
    assert_eq!(q::<i64>(con, &["LLEN", "nolist"]), 0);
    assert_eq!(q::<Option<String>>(con, &["LINDEX", "l", "0"]), s("x"));
    assert_eq!(q::<Option<String>>(con, &["LINDEX", "l", "-1"]), s("d"));
    assert_eq!(q::<Option<String>>(con, &["LINDEX", "l", "99"]), None);
    assert_eq!(q::<String>(con, &["LSET", "l", "-1", "D"]), "OK");
    assert_eq!(e(con, &["LSET", "l", "99", "v"]), "ERR index out of range");
    assert_eq!(e(con, &["LSET", "nolist", "0", "v"]), "ERR no such key");
    assert_eq!(q::<i64>(con, &["LINSERT", "l", "BEFORE", "a", "pre"]), 8);
    assert_eq!(q::<i64>(con, &["LINSERT", "l", "after", "a", "post"]), 9);
    assert_eq!(q::<i64>(con, &["LINSERT", "l", "AFTER", "nothere", "v"]), -1);
    assert_eq!(q::<i64>(con, &["LINSERT", "nolist", "AFTER", "a", "v"]), 0);
    assert_eq!(e(con, &["LINSERT", "l", "MIDDLE", "a", "v"]), "ERR syntax error");
    assert_eq!(
        q::<Vec<String>>(con, &["LRANGE", "l", "0", "-1"]),
        strs(&["x", "z", "y", "pre", "a", "post", "b", "c", "D"])
    );
    // Pops, with and without a count.
    assert_eq!(q::<Option<String>>(con, &["LPOP", "l"]), s("x"));
    assert_eq!(q::<Option<String>>(con, &["RPOP", "l"]), s("D"));
    assert_eq!(q::<Vec<String>>(con, &["LPOP", "l", "2"]), strs(&["z", "y"]));
    assert_eq!(q::<Vec<String>>(con, &["RPOP", "l", "2"]), strs(&["c", "b"]));
    assert_eq!(q::<Vec<String>>(con, &["LPOP", "l", "0"]), Vec::<String>::new());
    assert_eq!(q::<Option<String>>(con, &["LPOP", "nolist"]), None);
    assert_eq!(q::<redis::Value>(con, &["LPOP", "nolist", "2"]), redis::Value::Nil);
    assert_eq!(e(con, &["LPOP", "l", "-1"]), "ERR value is out of range, must be positive");
    assert_eq!(e(con, &["LPOP", "l", "1", "2"]), "ERR wrong number of arguments for 'lpop' command");
    assert_eq!(q::<Vec<String>>(con, &["RPOP", "l", "10"]), strs(&["post", "a", "pre"]));
    assert_eq!(q::<i64>(con, &["EXISTS", "l"]), 0, "an empty list is gone");

    // LREM, LTRIM, LPOS.
    q::<i64>(con, &["RPUSH", "r", "a", "b", "a", "c", "a", "b"]);
    assert_eq!(q::<i64>(con, &["LREM", "r", "-1", "a"]), 1);
    assert_eq!(q::<Vec<String>>(con, &["LRANGE", "r", "0", "-1"]), strs(&["a", "b", "a", "c", "b"]));
    assert_eq!(q::<i64>(con, &["LREM", "r", "1", "b"]), 1);
    assert_eq!(q::<i64>(con, &["LREM", "r", "0", "a"]), 2);
    assert_eq!(q::<Vec<String>>(con, &["LRANGE", "r", "0", "-1"]), strs(&["c", "b"]));
    assert_eq!(q::<i64>(con, &["LREM", "nolist", "0", "a"]), 0);
    q::<i64>(con, &["RPUSH", "t", "0", "1", "2", "3", "4", "5"]);
    assert_eq!(q::<String>(con, &["LTRIM", "t", "1", "-2"]), "OK");
    assert_eq!(q::<Vec<String>>(con, &["LRANGE", "t", "0", "-1"]), strs(&["1", "2", "3", "4"]));
    assert_eq!(q::<String>(con, &["LTRIM", "t", "5", "10"]), "OK");
    assert_eq!(q::<i64>(con, &["EXISTS", "t"]), 0);
    q::<i64>(con, &["RPUSH", "p", "a", "b", "c", "1", "2", "3", "c", "c"]);
    assert_eq!(q::<Option<i64>>(con, &["LPOS", "p", "c"]), Some(2));
    assert_eq!(q::<Option<i64>>(con, &["LPOS", "p", "zz"]), None);
    assert_eq!(q::<Option<i64>>(con, &["LPOS", "p", "c", "RANK", "2"]), Some(6));
    assert_eq!(q::<Option<i64>>(con, &["LPOS", "p", "c", "RANK", "-1"]), Some(7));
    assert_eq!(q::<Vec<i64>>(con, &["LPOS", "p", "c", "COUNT", "0"]), vec![2, 6, 7]);
    assert_eq!(q::<Vec<i64>>(con, &["LPOS", "p", "c", "COUNT", "2", "RANK", "-1"]), vec![7, 6]);
    assert_eq!(q::<Vec<i64>>(con, &["LPOS", "p", "c", "COUNT", "0", "MAXLEN", "3"]), vec![2]);
    assert_eq!(q::<Vec<i64>>(con, &["LPOS", "nolist", "c", "COUNT", "0"]), Vec::<i64>::new());
    assert_eq!(
        e(con, &["LPOS", "p", "c", "RANK", "0"]),
        "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the last match"
    );
    assert_eq!(e(con, &["LPOS", "p", "c", "COUNT", "-1"]), "ERR COUNT can't be negative");
    assert_eq!(e(con, &["LPOS", "p", "c", "MAXLEN", "-1"]), "ERR MAXLEN can't be negative");
    assert_eq!(e(con, &["LPOS", "p", "c", "BOGUS", "1"]), "ERR syntax error");

    // LMOVE, RPOPLPUSH, LMPOP.
    q::<i64>(con, &["RPUSH", "src", "1", "2", "3"]);
    assert_eq!(q::<Option<String>>(con, &["LMOVE", "src", "dst", "LEFT", "RIGHT"]), s("1"));
    assert_eq!(q::<Option<String>>(con, &["LMOVE", "src", "dst", "RIGHT", "LEFT"]), s("3"));
    assert_eq!(q::<Option<String>>(con, &["RPOPLPUSH", "src", "dst"]), s("2"));
    assert_eq!(q::<Vec<String>>(con, &["LRANGE", "dst", "0", "-1"]), strs(&["2", "3", "1"]));
    assert_eq!(q::<i64>(con, &["EXISTS", "src"]), 0);
    assert_eq!(q::<Option<String>>(con, &["LMOVE", "src", "dst", "LEFT", "LEFT"]), None);
    assert_eq!(q::<Option<String>>(con, &["LMOVE", "dst", "dst", "LEFT", "RIGHT"]), s("2"), "a rotation");
    assert_eq!(q::<Vec<String>>(con, &["LRANGE", "dst", "0", "-1"]), strs(&["3", "1", "2"]));
    assert_eq!(e(con, &["LMOVE", "dst", "x", "UP", "LEFT"]), "ERR syntax error");
    assert_eq!(q::<redis::Value>(con, &["LMPOP", "2", "nolist", "nolist2", "LEFT"]), redis::Value::Nil);
    let (k, v): (String, Vec<String>) = q(con, &["LMPOP", "2", "nolist", "dst", "RIGHT", "COUNT", "2"]);
    assert_eq!((k.as_str(), v), ("dst", strs(&["2", "1"])));
    assert_eq!(e(con, &["LMPOP", "0", "dst", "LEFT"]), "ERR numkeys should be greater than 0");
    assert_eq!(e(con, &["LMPOP", "5", "dst", "LEFT"]), "ERR syntax error");
    assert_eq!(e(con, &["LMPOP", "1", "dst", "LEFT", "COUNT", "0"]), "ERR count should be greater than 0");
    assert_eq!(e(con, &["LMPOP", "1", "dst", "SIDEWAYS"]), "ERR syntax error");
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn sets_behave_like_redis() {
    let server = start(&[]);
    let con = &mut connect(&server);
    assert_eq!(q::<i64>(con, &["SADD", "s", "a", "b", "c", "a"]), 3);
    assert_eq!(q::<i64>(con, &["SADD", "s", "c", "d"]), 1);
    assert_eq!(set_of(q(con, &["SMEMBERS", "s"])), set_of(strs(&["a", "b", "c", "d"])));
    assert_eq!(q::<Vec<String>>(con, &["SMEMBERS", "noset"]), Vec::<String>::new());
    assert_eq!(q::<i64>(con, &["SISMEMBER", "s", "a"]), 1);
    assert_eq!(q::<i64>(con, &["SISMEMBER", "s", "z"]), 0);
    assert_eq!(q::<i64>(con, &["SISMEMBER", "noset", "a"]), 0);
    assert_eq!(q::<Vec<i64>>(con, &["SMISMEMBER", "s", "a", "z", "d"]), vec![1, 0, 1]);
    assert_eq!(q::<i64>(con, &["SCARD", "s"]), 4);
    assert_eq!(q::<i64>(con, &["SCARD", "noset"]), 0);
    assert_eq!(q::<i64>(con, &["SREM", "s", "a", "z"]), 1);
    // SPOP and SRANDMEMBER.
    let m: String = q(con, &["SRANDMEMBER", "s"]);
    assert!(["b", "c", "d"].contains(&m.as_str()));
    assert_eq!(set_of(q(con, &["SRANDMEMBER", "s", "10"])), set_of(strs(&["b", "c", "d"])));
    assert_eq!(q::<Vec<String>>(con, &["SRANDMEMBER", "s", "-5"]).len(), 5);
    assert_eq!(q::<Option<String>>(con, &["SRANDMEMBER", "noset"]), None);
    assert_eq!(q::<Vec<String>>(con, &["SRANDMEMBER", "noset", "3"]), Vec::<String>::new());
    let popped: String = q(con, &["SPOP", "s"]);
    assert_eq!(q::<i64>(con, &["SISMEMBER", "s", &popped]), 0);
    assert_eq!(q::<Vec<String>>(con, &["SPOP", "s", "5"]).len(), 2);
    assert_eq!(q::<i64>(con, &["EXISTS", "s"]), 0);
    assert_eq!(q::<Option<String>>(con, &["SPOP", "noset"]), None);
    assert_eq!(q::<Vec<String>>(con, &["SPOP", "noset", "2"]), Vec::<String>::new());
    assert_eq!(e(con, &["SPOP", "s", "-1"]), "ERR value is out of range, must be positive");
    // SMOVE.
    q::<i64>(con, &["SADD", "from", "x", "y"]);
    assert_eq!(q::<i64>(con, &["SMOVE", "from", "to", "x"]), 1);
    assert_eq!(q::<i64>(con, &["SMOVE", "from", "to", "x"]), 0);
    assert_eq!(q::<i64>(con, &["SMOVE", "noset", "to", "x"]), 0);
    assert_eq!(q::<Vec<String>>(con, &["SMEMBERS", "to"]), strs(&["x"]));
    assert_eq!(q::<i64>(con, &["SMOVE", "from", "to", "y"]), 1);
    assert_eq!(q::<i64>(con, &["EXISTS", "from"]), 0);
    // Algebra.
    q::<i64>(con, &["SADD", "s1", "a", "b", "c", "d"]);
    q::<i64>(con, &["SADD", "s2", "c", "d", "e"]);
    q::<i64>(con, &["SADD", "s3", "a", "c", "e"]);
    assert_eq!(set_of(q(con, &["SINTER", "s1", "s2"])), set_of(strs(&["c", "d"])));
    assert_eq!(set_of(q(con, &["SINTER", "s1", "s2", "s3"])), set_of(strs(&["c"])));
    assert_eq!(q::<Vec<String>>(con, &["SINTER", "s1", "noset"]), Vec::<String>::new());
    assert_eq!(set_of(q(con, &["SUNION", "s1", "s2", "noset"])), set_of(strs(&["a", "b", "c", "d", "e"])));
    assert_eq!(set_of(q(con, &["SDIFF", "s1", "s2", "noset"])), set_of(strs(&["a", "b"])));
    assert_eq!(q::<Vec<String>>(con, &["SDIFF", "noset", "s1"]), Vec::<String>::new());
    assert_eq!(q::<i64>(con, &["SINTERSTORE", "out", "s1", "s2"]), 2);
    assert_eq!(set_of(q(con, &["SMEMBERS", "out"])), set_of(strs(&["c", "d"])));
    assert_eq!(q::<i64>(con, &["SUNIONSTORE", "out", "s2", "s3"]), 4);
    assert_eq!(set_of(q(con, &["SMEMBERS", "out"])), set_of(strs(&["a", "c", "d", "e"])));
    assert_eq!(q::<i64>(con, &["SDIFFSTORE", "out", "s1", "s2", "s3"]), 1);
    assert_eq!(q::<Vec<String>>(con, &["SMEMBERS", "out"]), strs(&["b"]));
    assert_eq!(q::<i64>(con, &["SINTERSTORE", "out", "s1", "noset"]), 0);
    assert_eq!(q::<i64>(con, &["EXISTS", "out"]), 0, "an empty result deletes the destination");
    q::<String>(con, &["SET", "str", "v"]);
    assert_eq!(q::<i64>(con, &["SUNIONSTORE", "str", "s1"]), 4, "a store replaces any type");
    assert_eq!(q::<String>(con, &["TYPE", "str"]), "set");
    assert_eq!(q::<i64>(con, &["SINTERCARD", "2", "s1", "s2"]), 2);
    assert_eq!(q::<i64>(con, &["SINTERCARD", "2", "s1", "s2", "LIMIT", "1"]), 1);
    assert_eq!(q::<i64>(con, &["SINTERCARD", "2", "s1", "s2", "LIMIT", "0"]), 2);
    assert_eq!(e(con, &["SINTERCARD", "0", "s1"]), "ERR numkeys should be greater than 0");
    assert_eq!(e(con, &["SINTERCARD", "3", "s1", "s2"]), "ERR Number of keys can't be greater than number of args");
    assert_eq!(e(con, &["SINTERCARD", "2", "s1", "s2", "LIMIT", "-1"]), "ERR LIMIT can't be negative");
    assert_eq!(e(con, &["SINTERCARD", "1", "s1", "BOGUS"]), "ERR syntax error");
    // SSCAN.
    for i in 0..50 {
        q::<i64>(con, &["SADD", "big", &format!("m{i}")]);
    }
    let mut cursor = "0".to_string();
    let mut seen = BTreeSet::new();
    loop {
        let (next, items): (String, Vec<String>) = q(con, &["SSCAN", "big", &cursor, "COUNT", "9"]);
        for m in items {
            assert!(seen.insert(m));
        }
        cursor = next;
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen.len(), 50);
    let (_, items): (String, Vec<String>) = q(con, &["SSCAN", "big", "0", "MATCH", "m4*", "COUNT", "100"]);
    assert_eq!(items.len(), 11);
    assert_eq!(e(con, &["SSCAN", "big", "0", "NOVALUES"]), "ERR syntax error");
    assert_eq!(server.stop().code(), Some(0));
}

/// One key of each type, and a command of each type's family that must
/// refuse every other type.
const TYPED_KEYS: [(&str, &[&str]); 5] = [
    ("string", &["SET", "string", "v"]),
    ("hash", &["HSET", "hash", "f", "v"]),
    ("list", &["RPUSH", "list", "a"]),
    ("set", &["SADD", "set", "a"]),
    ("zset", &["ZADD", "zset", "1", "a"]),
];

fn commands_on(key: &str) -> Vec<Vec<String>> {
    let all: &[&[&str]] = &[
        &["GET", "K"],
        &["APPEND", "K", "x"],
        &["INCR", "K"],
        &["STRLEN", "K"],
        &["GETRANGE", "K", "0", "1"],
        &["SETRANGE", "K", "0", "x"],
        &["GETSET", "K", "x"],
        &["GETDEL", "K"],
        &["INCRBYFLOAT", "K", "1"],
        &["SET", "K", "x", "GET"],
        &["HSET", "K", "f", "v"],
        &["HGET", "K", "f"],
        &["HGETALL", "K"],
        &["HDEL", "K", "f"],
        &["HLEN", "K"],
        &["HINCRBY", "K", "f", "1"],
        &["HINCRBYFLOAT", "K", "f", "1"],
        &["HSCAN", "K", "0"],
        &["HRANDFIELD", "K"],
        &["LPUSH", "K", "a"],
        &["RPUSHX", "K", "a"],
        &["LPOP", "K"],
        &["LLEN", "K"],
        &["LRANGE", "K", "0", "-1"],
        &["LINDEX", "K", "0"],
        &["LSET", "K", "0", "a"],
        &["LREM", "K", "0", "a"],
        &["LPOS", "K", "a"],
        &["LMOVE", "K", "K", "LEFT", "LEFT"],
        &["LMPOP", "1", "K", "LEFT"],
        &["SADD", "K", "a"],
        &["SREM", "K", "a"],
        &["SMEMBERS", "K"],
        &["SISMEMBER", "K", "a"],
        &["SCARD", "K"],
        &["SPOP", "K"],
        &["SRANDMEMBER", "K"],
        &["SINTER", "K"],
        &["SUNIONSTORE", "out", "K"],
        &["SMOVE", "K", "out", "a"],
        &["SSCAN", "K", "0"],
        &["ZADD", "K", "1", "a"],
        &["ZINCRBY", "K", "1", "a"],
        &["ZSCORE", "K", "a"],
        &["ZMSCORE", "K", "a"],
        &["ZCARD", "K"],
        &["ZCOUNT", "K", "-inf", "inf"],
        &["ZLEXCOUNT", "K", "-", "+"],
        &["ZRANGE", "K", "0", "-1"],
        &["ZRANGEBYSCORE", "K", "-inf", "inf"],
        &["ZREVRANGE", "K", "0", "-1"],
        &["ZRANK", "K", "a"],
        &["ZREM", "K", "a"],
        &["ZREMRANGEBYRANK", "K", "0", "-1"],
        &["ZPOPMIN", "K"],
        &["ZRANDMEMBER", "K"],
        &["ZRANGESTORE", "out", "K", "0", "-1"],
        &["ZSCAN", "K", "0"],
    ];
    all.iter().map(|c| c.iter().map(|a| if *a == "K" { key.to_string() } else { a.to_string() }).collect()).collect()
}

fn family(command: &str) -> &'static str {
    match command {
        "GET" | "APPEND" | "INCR" | "STRLEN" | "GETRANGE" | "SETRANGE" | "GETSET" | "GETDEL" | "INCRBYFLOAT"
        | "SET" => "string",
        c if c.starts_with('H') => "hash",
        c if c.starts_with('L') || c == "RPUSHX" => "list",
        c if c.starts_with('Z') => "zset",
        _ => "set",
    }
}

#[test]
fn every_type_refuses_the_commands_of_every_other_type() {
    let server = start(&[]);
    let con = &mut connect(&server);
    let mut checked = 0;
    for (key, _) in TYPED_KEYS {
        for c in commands_on(key) {
            q::<redis::Value>(con, &["DEL", "string", "hash", "list", "set", "zset", "out"]);
            for (_, create) in TYPED_KEYS {
                q::<redis::Value>(con, create);
            }
            let args: Vec<&str> = c.iter().map(String::as_str).collect();
            if family(args[0]) == key {
                continue;
            }
            assert_eq!(e(con, &args), WRONGTYPE, "{args:?} on a {key}");
            checked += 1;
        }
    }
    assert!(checked > 100, "{checked}");
    // MGET answers nil for a key of another type; SET replaces any type.
    for (key, create) in TYPED_KEYS {
        q::<redis::Value>(con, create);
        let want = if key == "string" { s("v") } else { None };
        assert_eq!(q::<Vec<Option<String>>>(con, &["MGET", key]), vec![want]);
    }
    for (key, create) in TYPED_KEYS {
        q::<redis::Value>(con, create);
        assert_eq!(q::<String>(con, &["TYPE", key]), key);
        q::<String>(con, &["SET", key, "now a string"]);
        assert_eq!(q::<String>(con, &["TYPE", key]), "string");
    }
    assert_eq!(q::<String>(con, &["TYPE", "nothing"]), "none");
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn generic_commands_work_on_every_type() {
    let server = start(&[]);
    let con = &mut connect(&server);
    for (_, create) in TYPED_KEYS {
        q::<redis::Value>(con, create);
    }
    assert_eq!(q::<i64>(con, &["DBSIZE"]), 5);
    let info: String = q(con, &["INFO", "keyspace"]);
    assert!(info.contains("db0:keys=5,expires=0"), "{info}");
    assert_eq!(q::<i64>(con, &["EXISTS", "string", "hash", "list", "set", "zset"]), 5);
    // SCAN TYPE.
    for (key, _) in TYPED_KEYS {
        let (_, found): (String, Vec<String>) = q(con, &["SCAN", "0", "COUNT", "1000", "TYPE", key]);
        assert_eq!(found, vec![key.to_string()]);
    }
    let (_, found): (String, Vec<String>) = q(con, &["SCAN", "0", "COUNT", "1000"]);
    assert_eq!(found.len(), 5);
    assert_eq!(set_of(q(con, &["KEYS", "*"])), set_of(strs(&["string", "hash", "list", "set", "zset"])));
    // OBJECT ENCODING.
    assert_eq!(q::<String>(con, &["OBJECT", "ENCODING", "hash"]), "listpack");
    assert_eq!(q::<String>(con, &["OBJECT", "ENCODING", "list"]), "listpack");
    assert_eq!(q::<String>(con, &["OBJECT", "ENCODING", "zset"]), "listpack");
    assert_eq!(q::<String>(con, &["OBJECT", "ENCODING", "set"]), "listpack");
    assert_eq!(q::<String>(con, &["OBJECT", "ENCODING", "string"]), "embstr");
    q::<String>(con, &["SET", "n", "12"]);
    assert_eq!(q::<String>(con, &["OBJECT", "ENCODING", "n"]), "int");
    assert_eq!(q::<Option<String>>(con, &["OBJECT", "ENCODING", "nothing"]), None);
    assert_eq!(e(con, &["OBJECT", "FREQ", "n"]), "ERR unknown subcommand 'FREQ'. Try OBJECT HELP.");
    // COPY, within a database and to another, keeping the time to live.
    q::<i64>(con, &["EXPIRE", "zset", "500"]);
    for (key, _) in TYPED_KEYS {
        let copy = format!("{key}-copy");
        assert_eq!(q::<i64>(con, &["COPY", key, &copy]), 1);
        assert_eq!(q::<String>(con, &["TYPE", &copy]), key);
        assert_eq!(q::<i64>(con, &["COPY", key, &copy]), 0, "the destination exists");
        assert_eq!(q::<i64>(con, &["COPY", key, &copy, "DB", "3", "REPLACE"]), 1);
    }
    assert!(q::<i64>(con, &["TTL", "zset-copy"]) > 400);
    q::<i64>(con, &["ZADD", "zset-copy", "2", "b"]);
    assert_eq!(q::<i64>(con, &["ZCARD", "zset"]), 1, "a copy is independent of its source");
    q::<i64>(con, &["PERSIST", "zset"]);
    assert_eq!(q::<i64>(con, &["COPY", "hash", "list-copy", "REPLACE"]), 1);
    assert_eq!(q::<String>(con, &["TYPE", "list-copy"]), "hash");
    assert_eq!(q::<i64>(con, &["COPY", "nothing", "x"]), 0);
    assert_eq!(e(con, &["COPY", "hash", "hash"]), "ERR source and destination objects are the same");
    assert_eq!(e(con, &["COPY", "hash", "x", "DB", "99"]), "ERR DB index is out of range");
    assert_eq!(e(con, &["COPY", "hash", "x", "BOGUS"]), "ERR syntax error");
    q::<String>(con, &["SELECT", "3"]);
    assert_eq!(q::<Vec<String>>(con, &["LRANGE", "list-copy", "0", "-1"]), strs(&["a"]));
    assert_eq!(q::<i64>(con, &["DBSIZE"]), 5);
    q::<String>(con, &["FLUSHDB"]);
    q::<String>(con, &["SELECT", "0"]);
    let copies: Vec<String> = TYPED_KEYS.iter().map(|(k, _)| format!("{k}-copy")).collect();
    let mut del = vec!["DEL"];
    del.extend(copies.iter().map(String::as_str));
    assert_eq!(q::<i64>(con, &del), 5);
    // Expiry, RENAME, DEL.
    for (key, _) in TYPED_KEYS {
        assert_eq!(q::<i64>(con, &["EXPIRE", key, "100"]), 1);
        assert!(q::<i64>(con, &["TTL", key]) > 90);
        assert_eq!(q::<i64>(con, &["PERSIST", key]), 1);
        assert_eq!(q::<i64>(con, &["TTL", key]), -1);
        q::<i64>(con, &["PEXPIRE", key, "100000"]);
        let moved = format!("{key}-moved");
        assert_eq!(q::<String>(con, &["RENAME", key, &moved]), "OK");
        assert_eq!(q::<String>(con, &["TYPE", &moved]), key);
        assert!(q::<i64>(con, &["TTL", &moved]) > 90, "RENAME keeps the time to live");
        assert_eq!(q::<i64>(con, &["EXISTS", key]), 0);
    }
    assert_eq!(q::<Vec<String>>(con, &["LRANGE", "list-moved", "0", "-1"]), strs(&["a"]));
    assert_eq!(q::<i64>(con, &["RENAMENX", "hash-moved", "set-moved"]), 0);
    assert_eq!(q::<i64>(con, &["DEL", "string-moved", "hash-moved", "list-moved", "set-moved", "zset-moved"]), 5);
    assert_eq!(q::<i64>(con, &["DBSIZE"]), 1);
    // A collection past its time is gone for every command.
    q::<i64>(con, &["RPUSH", "brief", "a"]);
    q::<i64>(con, &["PEXPIRE", "brief", "1"]);
    wait_for(Duration::from_secs(10), "the list to expire", || q::<i64>(con, &["EXISTS", "brief"]) == 0);
    assert_eq!(q::<i64>(con, &["LLEN", "brief"]), 0);
    assert_eq!(q::<i64>(con, &["RPUSH", "brief", "b"]), 1);
    assert_eq!(q::<i64>(con, &["TTL", "brief"]), -1);
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn small_collections_are_compact_until_redis_thresholds_which_config_set_changes() {
    let server = start(&[]);
    let con = &mut connect(&server);
    let enc = |con: &mut redis::Connection, key: &str| q::<String>(con, &["OBJECT", "ENCODING", key]);
    let defaults: Vec<String> = q(con, &["CONFIG", "GET", "*-max-*"]);
    for (name, value) in [
        ("hash-max-listpack-entries", "512"),
        ("hash-max-ziplist-entries", "512"),
        ("hash-max-listpack-value", "64"),
        ("set-max-intset-entries", "512"),
        ("set-max-listpack-entries", "128"),
        ("set-max-listpack-value", "64"),
        ("list-max-listpack-size", "-2"),
        ("zset-max-listpack-entries", "128"),
        ("zset-max-listpack-value", "64"),
    ] {
        let at = defaults.iter().position(|n| n == name).unwrap_or_else(|| panic!("{name} in {defaults:?}"));
        assert_eq!(defaults[at + 1], value, "{name}");
    }
    // Hashes: a listpack up to 512 fields of at most 64 bytes, then a
    // hash table for good.
    let fields: Vec<String> = (0..512).map(|i| format!("f{i}")).collect();
    let mut hset = vec!["HSET", "h"];
    for f in &fields {
        hset.extend([f.as_str(), "v"]);
    }
    assert_eq!(q::<i64>(con, &hset), 512);
    assert_eq!(enc(con, "h"), "listpack");
    q::<i64>(con, &["HSET", "h", "one-more", "v"]);
    assert_eq!(enc(con, "h"), "hashtable");
    q::<i64>(con, &["HDEL", "h", "one-more", "f0", "f1"]);
    assert_eq!(enc(con, "h"), "hashtable", "as in Redis, a hash never converts back");
    q::<i64>(con, &["HSET", "h2", "f", &"x".repeat(64)]);
    assert_eq!(enc(con, "h2"), "listpack");
    q::<i64>(con, &["HSET", "h2", "g", &"x".repeat(65)]);
    assert_eq!(enc(con, "h2"), "hashtable");
    assert_eq!(q::<i64>(con, &["HLEN", "h"]), 510);
    // Sets: integers in an intset (up to 512), other short members in a
    // listpack (up to 128), then a hash table.
    let ints: Vec<String> = (0..512).map(|i| i.to_string()).collect();
    let mut sadd = vec!["SADD", "ints"];
    sadd.extend(ints.iter().map(String::as_str));
    assert_eq!(q::<i64>(con, &sadd), 512);
    assert_eq!(enc(con, "ints"), "intset");
    q::<i64>(con, &["SADD", "ints", "512"]);
    assert_eq!(enc(con, "ints"), "hashtable");
    q::<i64>(con, &["SADD", "mixed", "1", "2"]);
    assert_eq!(enc(con, "mixed"), "intset");
    q::<i64>(con, &["SADD", "mixed", "a"]);
    assert_eq!(enc(con, "mixed"), "listpack");
    assert_eq!(set_of(q(con, &["SMEMBERS", "mixed"])), set_of(strs(&["1", "2", "a"])));
    q::<i64>(con, &["SADD", "mixed", &"y".repeat(65)]);
    assert_eq!(enc(con, "mixed"), "hashtable");
    // Lists: one 8 KiB node is a listpack; more is a quicklist, which
    // turns back into a listpack once it fits in half a node.
    let element = "e".repeat(100);
    for _ in 0..70 {
        q::<i64>(con, &["RPUSH", "l", &element]);
    }
    assert_eq!(enc(con, "l"), "listpack");
    for _ in 0..20 {
        q::<i64>(con, &["LPUSH", "l", &element]);
    }
    assert_eq!(enc(con, "l"), "quicklist", "90 entries of 102 bytes pass 8 KiB");
    assert_eq!(q::<i64>(con, &["LLEN", "l"]), 90);
    q::<String>(con, &["LTRIM", "l", "0", "9"]);
    assert_eq!(enc(con, "l"), "listpack");
    // Sorted sets: a listpack up to 128 members of at most 64 bytes.
    for i in 0..128 {
        q::<i64>(con, &["ZADD", "z", &i.to_string(), &format!("m{i}")]);
    }
    assert_eq!(enc(con, "z"), "listpack");
    q::<i64>(con, &["ZADD", "z", "1", "one-more"]);
    assert_eq!(enc(con, "z"), "skiplist");
    assert_eq!(q::<i64>(con, &["ZRANK", "z", "m5"]), 6);
    q::<i64>(con, &["ZADD", "z2", "1", &"z".repeat(65)]);
    assert_eq!(enc(con, "z2"), "skiplist");
    // CONFIG SET applies to the next write of each key.
    q::<String>(con, &["CONFIG", "SET", "hash-max-listpack-entries", "2", "list-max-listpack-size", "3"]);
    assert_eq!(
        q::<Vec<String>>(con, &["CONFIG", "GET", "list-max-listpack-size"]),
        strs(&["list-max-listpack-size", "3"])
    );
    q::<i64>(con, &["HSET", "small", "a", "1", "b", "2"]);
    assert_eq!(enc(con, "small"), "listpack");
    q::<i64>(con, &["HSET", "small", "c", "3"]);
    assert_eq!(enc(con, "small"), "hashtable");
    q::<i64>(con, &["RPUSH", "short", "1", "2", "3", "4"]);
    assert_eq!(enc(con, "short"), "quicklist");
    assert_eq!(q::<Vec<String>>(con, &["LRANGE", "short", "0", "-1"]), strs(&["1", "2", "3", "4"]));
    assert_eq!(
        e(con, &["CONFIG", "SET", "list-max-listpack-size", "2147483648"]),
        "ERR CONFIG SET failed (possibly related to argument 'list-max-listpack-size') - argument must be between -2147483648 and 2147483647 inclusive"
    );
    assert_eq!(
        e(con, &["CONFIG", "SET", "set-max-intset-entries", "many"]),
        "ERR CONFIG SET failed (possibly related to argument 'set-max-intset-entries') - argument couldn't be parsed into an integer"
    );
    assert_eq!(server.stop().code(), Some(0));
}

/// Scans `key` with `scan` (HSCAN, SSCAN or ZSCAN) COUNT 10, calling
/// `change` between calls; the names returned (fields or members) and the
/// number of calls.
fn scan_while_changing(
    con: &mut redis::Connection,
    scan: &str,
    key: &str,
    mut change: impl FnMut(&mut redis::Connection, usize),
) -> (BTreeSet<String>, usize) {
    let (mut cursor, mut seen, mut calls) = ("0".to_string(), BTreeSet::new(), 0);
    loop {
        let (next, items): (String, Vec<String>) = q(con, &[scan, key, &cursor, "COUNT", "10"]);
        // Names and values (or scores) alternate, except in SSCAN.
        let step = if scan == "SSCAN" { 1 } else { 2 };
        seen.extend(items.into_iter().step_by(step));
        calls += 1;
        assert!(calls < 1000, "{scan} does not end");
        if next == "0" {
            return (seen, calls);
        }
        cursor = next;
        change(con, calls);
    }
}

#[test]
fn scans_return_every_element_present_throughout_while_tables_grow_and_shrink() {
    let server = start(&[]);
    let con = &mut connect(&server);
    let keep: Vec<String> = (0..600).map(|i| format!("keep{i}")).collect();
    for k in &keep {
        q::<i64>(con, &["HSET", "h", k, "v"]);
        q::<i64>(con, &["SADD", "s", k]);
        q::<i64>(con, &["ZADD", "z", "1", k]);
    }
    assert_eq!(q::<String>(con, &["OBJECT", "ENCODING", "h"]), "hashtable");
    // Between calls: the table grows (thousands of new elements), then
    // shrinks (they go again), and the kept elements' scores change.
    let churn = |con: &mut redis::Connection, call: usize, add: &str, del: &str, key: &str| {
        if call < 4 {
            for i in 0..1000 {
                let name = format!("tmp{call}-{i}");
                let args: Vec<&str> =
                    if add == "ZADD" { vec![add, key, "2", &name] } else { vec![add, key, &name, "v"] };
                let args = if add == "SADD" { vec![add, key, &name] } else { args };
                q::<i64>(con, &args);
            }
        } else if call < 8 {
            for i in 0..1000 {
                q::<i64>(con, &[del, key, &format!("tmp{}-{i}", call - 4)]);
            }
        } else if add == "ZADD" {
            q::<i64>(con, &["ZADD", key, &call.to_string(), &format!("keep{}", call % 300)]);
        }
    };
    for (scan, add, del, key) in
        [("HSCAN", "HSET", "HDEL", "h"), ("SSCAN", "SADD", "SREM", "s"), ("ZSCAN", "ZADD", "ZREM", "z")]
    {
        let (seen, calls) = scan_while_changing(con, scan, key, |con, call| churn(con, call, add, del, key));
        let missing: Vec<&String> = keep.iter().filter(|k| !seen.contains(*k)).collect();
        assert!(missing.is_empty(), "{scan} missed {missing:?} over {calls} calls");
        assert!(calls > 4, "{scan} took {calls} calls: the changes happened mid-scan");
    }
    // A small encoding answers everything at once, with cursor 0.
    q::<i64>(con, &["HSET", "small", "a", "1", "b", "2"]);
    let (next, items): (String, Vec<String>) = q(con, &["HSCAN", "small", "0", "COUNT", "1"]);
    assert_eq!((next.as_str(), items.len()), ("0", 4));
    assert_eq!(server.stop().code(), Some(0));
}

/// Adds `names` to `key` with `add` (`SADD`, or `HSET` with value "v"), a
/// thousand a command.
fn fill(con: &mut redis::Connection, add: &str, key: &str, names: &[String]) {
    for part in names.chunks(1000) {
        let mut args = vec![add, key];
        for n in part {
            args.push(n);
            if add == "HSET" {
                args.push("v");
            }
        }
        assert_eq!(q::<usize>(con, &args), part.len());
    }
}

#[test]
fn random_picks_from_a_big_set_and_hash_are_distinct_members_and_pops_remove_them() {
    let server = start(&[]);
    let con = &mut connect(&server);
    let all: Vec<String> = (0..200_000).map(|i| format!("member:{i}")).collect();
    let members: BTreeSet<String> = all.iter().cloned().collect();
    fill(con, "SADD", "s", &all);
    assert_eq!(q::<String>(con, &["OBJECT", "ENCODING", "s"]), "hashtable");

    // SRANDMEMBER: a positive count is distinct members, a negative one may repeat.
    let picks: Vec<String> = q(con, &["SRANDMEMBER", "s", "1000"]);
    assert_eq!(set_of(picks.clone()).len(), 1000, "distinct");
    assert!(picks.iter().all(|m| members.contains(m)));
    let picks: Vec<String> = q(con, &["SRANDMEMBER", "s", "-3000"]);
    assert_eq!(picks.len(), 3000);
    assert!(picks.iter().all(|m| members.contains(m)));
    let one: String = q(con, &["SRANDMEMBER", "s"]);
    assert!(members.contains(&one));
    assert_eq!(q::<usize>(con, &["SCARD", "s"]), 200_000, "SRANDMEMBER removes nothing");

    // SPOP with a count: distinct members, gone afterwards.
    let popped: Vec<String> = q(con, &["SPOP", "s", "5000"]);
    let popped = set_of(popped);
    assert_eq!(popped.len(), 5000, "distinct");
    assert!(popped.iter().all(|m| members.contains(m)));
    assert_eq!(q::<usize>(con, &["SCARD", "s"]), 195_000);
    let sample: Vec<&str> = popped.iter().take(100).map(|m| m.as_str()).collect();
    let mut args = vec!["SMISMEMBER", "s"];
    args.extend(&sample);
    assert_eq!(q::<Vec<i64>>(con, &args), vec![0; 100], "popped members are gone");
    // SPOP without a count, many times: each a member not popped before.
    let mut left: BTreeSet<String> = members.difference(&popped).cloned().collect();
    for _ in 0..200 {
        let m: String = q(con, &["SPOP", "s"]);
        assert!(left.remove(&m), "{m} popped twice or never a member");
    }
    // Picks stay members while the set shrinks by pops.
    let picks: Vec<String> = q(con, &["SRANDMEMBER", "s", "2000"]);
    assert_eq!(set_of(picks.clone()).len(), 2000);
    assert!(picks.iter().all(|m| left.contains(m)));
    // A count past the size pops everything, and the key goes.
    let rest: Vec<String> = q(con, &["SPOP", "s", "1000000"]);
    assert_eq!(set_of(rest), left);
    assert_eq!(q::<i64>(con, &["EXISTS", "s"]), 0);

    // HRANDFIELD on a hash table: the same rules.
    let fields: Vec<String> = all[..20_000].to_vec();
    fill(con, "HSET", "h", &fields);
    assert_eq!(q::<String>(con, &["OBJECT", "ENCODING", "h"]), "hashtable");
    let picks: Vec<String> = q(con, &["HRANDFIELD", "h", "500"]);
    assert_eq!(set_of(picks.clone()).len(), 500);
    assert!(picks.iter().all(|f| members.contains(f)));
    let pairs: Vec<String> = q(con, &["HRANDFIELD", "h", "-700", "WITHVALUES"]);
    assert_eq!(pairs.len(), 1400);
    assert!(pairs.chunks(2).all(|p| members.contains(&p[0]) && p[1] == "v"));
    // ZRANDMEMBER on a big sorted set.
    for part in fields.chunks(1000) {
        let mut args = vec!["ZADD", "z"];
        for f in part {
            args.extend(["1", f.as_str()]);
        }
        q::<usize>(con, &args);
    }
    let picks: Vec<String> = q(con, &["ZRANDMEMBER", "z", "900"]);
    assert_eq!(set_of(picks.clone()).len(), 900);
    assert!(picks.iter().all(|f| members.contains(f)));
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn collections_count_against_maxmemory() {
    let server = start(&[]);
    let con = &mut connect(&server);
    let used = |con: &mut redis::Connection| -> u64 {
        let info: String = q(con, &["INFO", "memory"]);
        info.lines().find_map(|l| l.strip_prefix("used_memory:")).unwrap().trim().parse().unwrap()
    };
    let before = used(con);
    let value = "x".repeat(1000);
    for i in 0..100 {
        q::<i64>(con, &["RPUSH", "l", &value]);
        q::<i64>(con, &["HSET", "h", &i.to_string(), &value]);
        q::<i64>(con, &["SADD", "s", &format!("{i}{value}")]);
        q::<i64>(con, &["ZADD", "z", &i.to_string(), &format!("{i}{value}")]);
    }
    let grown = used(con);
    assert!(grown >= before + 300_000, "{before} -> {grown}");
    q::<String>(con, &["CONFIG", "SET", "maxmemory", &(grown / 2).to_string()]);
    assert!(e(con, &["RPUSH", "l", "more"]).starts_with("OOM "));
    assert!(e(con, &["HSET", "h", "more", "v"]).starts_with("OOM "));
    assert!(e(con, &["SADD", "s", "more"]).starts_with("OOM "));
    assert!(e(con, &["ZADD", "z", "1", "more"]).starts_with("OOM "));
    assert_eq!(q::<i64>(con, &["DEL", "l", "h", "s", "z"]), 4, "deletes are allowed");
    assert_eq!(used(con), before);
    assert_eq!(q::<i64>(con, &["RPUSH", "l", "fits"]), 1);
    assert_eq!(server.stop().code(), Some(0));
}

/// Writes of every type, then the state they must leave.
fn write_every_type(con: &mut redis::Connection) {
    q::<i64>(con, &["HSET", "h", "a", "1", "b", "2", "c", "3"]);
    q::<i64>(con, &["HDEL", "h", "b"]);
    q::<i64>(con, &["HINCRBY", "h", "a", "10"]);
    q::<String>(con, &["HINCRBYFLOAT", "h", "f", "0.1"]);
    q::<i64>(con, &["HSETNX", "h", "c", "no"]);
    q::<i64>(con, &["RPUSH", "l", "a", "b", "c", "d", "e", "f"]);
    q::<i64>(con, &["LPUSH", "l", "z"]);
    q::<Option<String>>(con, &["LPOP", "l"]);
    q::<Vec<String>>(con, &["RPOP", "l", "2"]);
    q::<String>(con, &["LSET", "l", "0", "A"]);
    q::<i64>(con, &["LINSERT", "l", "AFTER", "b", "b2"]);
    q::<i64>(con, &["LREM", "l", "0", "c"]);
    q::<String>(con, &["LTRIM", "l", "0", "2"]);
    q::<Option<String>>(con, &["LMOVE", "l", "l2", "LEFT", "RIGHT"]);
    q::<i64>(con, &["SADD", "s", "a", "b", "c", "d"]);
    q::<i64>(con, &["SREM", "s", "a"]);
    q::<i64>(con, &["SMOVE", "s", "s2", "b"]);
    q::<i64>(con, &["SUNIONSTORE", "s3", "s", "s2"]);
    q::<Option<String>>(con, &["SPOP", "s3"]);
    q::<i64>(con, &["RPUSH", "big", &"x".repeat(10)]);
    for i in 0..300 {
        q::<i64>(con, &["SADD", "bigset", &i.to_string()]);
    }
    q::<i64>(con, &["ZADD", "z", "1", "a", "2", "b", "3", "c", "-inf", "low", "0.1", "tenth"]);
    q::<String>(con, &["ZINCRBY", "z", "0.2", "tenth"]);
    q::<i64>(con, &["ZREM", "z", "b"]);
    q::<Vec<String>>(con, &["ZPOPMAX", "z"]);
    q::<i64>(con, &["ZADD", "z2", "5", "a", "6", "x"]);
    q::<i64>(con, &["ZUNIONSTORE", "zu", "2", "z", "z2", "WEIGHTS", "2", "1"]);
    q::<i64>(con, &["ZREMRANGEBYSCORE", "z2", "6", "6"]);
    for i in 0..130 {
        q::<i64>(con, &["ZADD", "bigz", &i.to_string(), &format!("m{i}")]);
    }
    q::<i64>(con, &["EXPIRE", "h", "1000"]);
    q::<String>(con, &["RENAME", "l2", "l3"]);
    q::<i64>(con, &["COPY", "h", "hcopy"]);
}

/// Every key's type, TTL presence and contents, for comparing two servers'
/// (or one server's before and after) states.
fn dump(con: &mut redis::Connection) -> BTreeMap<String, (String, bool, Vec<String>)> {
    let keys: Vec<String> = q(con, &["KEYS", "*"]);
    let mut out = BTreeMap::new();
    for k in keys {
        let t: String = q(con, &["TYPE", &k]);
        let mut items: Vec<String> = match t.as_str() {
            "string" => vec![q(con, &["GET", &k])],
            "hash" => q(con, &["HGETALL", &k]),
            "list" => q(con, &["LRANGE", &k, "0", "-1"]),
            "set" => q(con, &["SMEMBERS", &k]),
            "zset" => q(con, &["ZRANGE", &k, "0", "-1", "WITHSCORES"]),
            other => panic!("type {other}"),
        };
        if t == "hash" {
            let mut pairs: Vec<String> = items.chunks(2).map(|p| format!("{}={}", p[0], p[1])).collect();
            pairs.sort();
            items = pairs;
        } else if t == "set" {
            items.sort();
        }
        let ttl = q::<i64>(con, &["TTL", &k]) > 0;
        out.insert(k, (t, ttl, items));
    }
    out
}

#[test]
fn every_type_survives_a_restart_and_a_log_rewrite() {
    let log = temp_log("restart");
    let path = log.to_str().unwrap();
    let server = start(&["--appendonly", path, "--appendfsync", "always"]);
    let con = &mut connect(&server);
    write_every_type(con);
    let before = dump(con);
    assert_eq!(before["h"].2, strs(&["a=11", "c=3", "f=0.1"]));
    assert_eq!(before["l"].2, strs(&["b", "b2"]));
    assert_eq!(before["l3"].2, strs(&["A"]));
    assert!(before["h"].1);
    assert_eq!(before["z"].2, strs(&["low", "-inf", "tenth", "0.30000000000000004", "a", "1"]));
    assert_eq!(before["zu"].2, strs(&["low", "-inf", "tenth", "0.60000000000000009", "x", "6", "a", "7"]));
    assert_eq!(server.stop().code(), Some(0));

    let server = start(&["--appendonly", path]);
    let con = &mut connect(&server);
    assert_eq!(dump(con), before, "replayed from the log");
    // Compaction: the rewritten log rebuilds the same store, with large
    // collections in bounded commands.
    q::<String>(con, &["BGREWRITEAOF"]);
    wait_for(Duration::from_secs(20), "the rewrite", || {
        let info: String = q(con, &["INFO", "persistence"]);
        info.contains("aof_rewrite_in_progress:0") && info.contains("aof_rewrites:1")
    });
    let text = String::from_utf8_lossy(&std::fs::read(&log).unwrap()).into_owned();
    assert!(!text.contains("LPOP") && !text.contains("HDEL"), "compaction writes state, not history");
    assert_eq!(text.matches("\r\nSADD\r\n").count(), 3 + 300usize.div_ceil(64), "s, s2, s3, and bigset in pieces");
    assert_eq!(text.matches("\r\nZADD\r\n").count(), 3 + 130usize.div_ceil(64), "z, z2, zu, and bigz in pieces");
    assert_eq!(server.stop().code(), Some(0));

    let server = start(&["--appendonly", path]);
    let con = &mut connect(&server);
    assert_eq!(dump(con), before, "replayed from the rewritten log");
    assert_eq!(server.stop().code(), Some(0));
    let _ = std::fs::remove_dir_all(log.parent().unwrap());
}

#[test]
fn sorted_sets_behave_like_redis() {
    let server = start(&[]);
    let con = &mut connect(&server);
    // ZADD and its options.
    assert_eq!(q::<i64>(con, &["ZADD", "z", "1", "a", "2", "b", "3", "c"]), 3);
    assert_eq!(q::<i64>(con, &["ZADD", "z", "NX", "10", "a", "4", "d"]), 1);
    assert_eq!(q::<Option<String>>(con, &["ZSCORE", "z", "a"]), s("1"));
    assert_eq!(q::<i64>(con, &["ZADD", "z", "XX", "5", "e"]), 0);
    assert_eq!(q::<Option<String>>(con, &["ZSCORE", "z", "e"]), None);
    assert_eq!(q::<i64>(con, &["ZADD", "z", "XX", "CH", "1.5", "a", "5", "e"]), 1);
    assert_eq!(q::<i64>(con, &["ZADD", "z", "5", "e"]), 1);
    assert_eq!(q::<i64>(con, &["ZADD", "z", "GT", "CH", "1", "a", "3", "b"]), 1, "only b rises");
    assert_eq!(q::<i64>(con, &["ZADD", "z", "LT", "CH", "2", "a", "9", "b"]), 0, "2 > 1.5 and 9 > 3");
    assert_eq!(q::<Option<String>>(con, &["ZADD", "z", "INCR", "0.25", "a"]), s("1.75"));
    assert_eq!(q::<Option<String>>(con, &["ZADD", "z", "NX", "INCR", "1", "a"]), None);
    assert_eq!(
        e(con, &["ZADD", "z", "NX", "XX", "1", "a"]),
        "ERR XX and NX options at the same time are not compatible"
    );
    assert_eq!(
        e(con, &["ZADD", "z", "GT", "LT", "1", "a"]),
        "ERR GT, LT, and/or NX options at the same time are not compatible"
    );
    assert_eq!(
        e(con, &["ZADD", "z", "INCR", "1", "a", "2", "b"]),
        "ERR INCR option supports a single increment-element pair"
    );
    assert_eq!(e(con, &["ZADD", "z", "1", "a", "2"]), "ERR syntax error");
    assert_eq!(e(con, &["ZADD", "z", "x", "a"]), "ERR value is not a valid float");
    assert_eq!(e(con, &["ZADD", "z", "nan", "a"]), "ERR value is not a valid float");
    q::<i64>(con, &["ZADD", "inf", "inf", "a"]);
    assert_eq!(e(con, &["ZINCRBY", "inf", "-inf", "a"]), "ERR resulting score is not a number (NaN)");
    assert_eq!(q::<String>(con, &["ZINCRBY", "z", "0.1", "new"]), "0.10000000000000001");
    assert_eq!(q::<String>(con, &["ZINCRBY", "z", "-0.1", "new"]), "0");
    assert_eq!(e(con, &["ZINCRBY", "z", "x", "a"]), "ERR value is not a valid float");
    assert_eq!(q::<Vec<Option<String>>>(con, &["ZMSCORE", "z", "a", "zz", "d"]), vec![s("1.75"), None, s("4")]);
    assert_eq!(q::<Vec<Option<String>>>(con, &["ZMSCORE", "nozset", "a"]), vec![None]);
    q::<i64>(con, &["ZREM", "z", "new", "nothere"]);
    // z: a 1.75, b 3, c 3, d 4, e 5.
    assert_eq!(q::<i64>(con, &["ZCARD", "z"]), 5);
    assert_eq!(q::<i64>(con, &["ZCARD", "nozset"]), 0);
    assert_eq!(q::<Vec<String>>(con, &["ZRANGE", "z", "0", "-1"]), strs(&["a", "b", "c", "d", "e"]));
    assert_eq!(q::<Vec<String>>(con, &["ZRANGE", "z", "1", "2", "WITHSCORES"]), strs(&["b", "3", "c", "3"]));
    assert_eq!(q::<Vec<String>>(con, &["ZRANGE", "z", "0", "1", "REV"]), strs(&["e", "d"]));
    assert_eq!(q::<Vec<String>>(con, &["ZREVRANGE", "z", "0", "1", "WITHSCORES"]), strs(&["e", "5", "d", "4"]));
    assert_eq!(q::<Vec<String>>(con, &["ZRANGE", "z", "(1.75", "4", "BYSCORE"]), strs(&["b", "c", "d"]));
    assert_eq!(q::<Vec<String>>(con, &["ZRANGE", "z", "+inf", "(3", "BYSCORE", "REV"]), strs(&["e", "d"]));
    assert_eq!(
        q::<Vec<String>>(con, &["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "1", "2"]),
        strs(&["b", "c"])
    );
    assert_eq!(q::<Vec<String>>(con, &["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "-1", "2"]), strs(&[]));
    assert_eq!(
        q::<Vec<String>>(con, &["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "3", "-1"]),
        strs(&["d", "e"])
    );
    assert_eq!(q::<Vec<String>>(con, &["ZRANGEBYSCORE", "z", "3", "3", "WITHSCORES"]), strs(&["b", "3", "c", "3"]));
    assert_eq!(q::<Vec<String>>(con, &["ZREVRANGEBYSCORE", "z", "4", "-inf", "LIMIT", "0", "2"]), strs(&["d", "c"]));
    assert_eq!(
        e(con, &["ZRANGE", "z", "0", "1", "LIMIT", "0", "1"]),
        "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
    );
    assert_eq!(
        e(con, &["ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES"]),
        "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
    );
    assert_eq!(e(con, &["ZRANGE", "z", "x", "1", "BYSCORE"]), "ERR min or max is not a float");
    assert_eq!(e(con, &["ZRANGE", "z", "x", "1"]), "ERR value is not an integer or out of range");
    assert_eq!(e(con, &["ZRANGE", "z", "0", "1", "BOGUS"]), "ERR syntax error");
    assert_eq!(q::<Vec<String>>(con, &["ZRANGE", "nozset", "0", "-1"]), strs(&[]));
    assert_eq!(q::<i64>(con, &["ZCOUNT", "z", "(1.75", "+inf"]), 4);
    assert_eq!(q::<i64>(con, &["ZCOUNT", "z", "5", "1"]), 0);
    assert_eq!(e(con, &["ZCOUNT", "z", "a", "1"]), "ERR min or max is not a float");
    // Lexicographic ranges over equal scores.
    q::<i64>(con, &["ZADD", "lex", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e"]);
    assert_eq!(q::<Vec<String>>(con, &["ZRANGEBYLEX", "lex", "-", "[c"]), strs(&["a", "b", "c"]));
    assert_eq!(q::<Vec<String>>(con, &["ZRANGEBYLEX", "lex", "(a", "(d"]), strs(&["b", "c"]));
    assert_eq!(q::<Vec<String>>(con, &["ZRANGEBYLEX", "lex", "-", "+", "LIMIT", "1", "2"]), strs(&["b", "c"]));
    assert_eq!(q::<Vec<String>>(con, &["ZREVRANGEBYLEX", "lex", "+", "[d"]), strs(&["e", "d"]));
    assert_eq!(q::<Vec<String>>(con, &["ZRANGE", "lex", "[e", "(b", "BYLEX", "REV"]), strs(&["e", "d", "c"]));
    assert_eq!(q::<i64>(con, &["ZLEXCOUNT", "lex", "[b", "+"]), 4);
    assert_eq!(e(con, &["ZLEXCOUNT", "lex", "b", "+"]), "ERR min or max not valid string range item");
    // Ranks.
    assert_eq!(q::<Option<i64>>(con, &["ZRANK", "z", "a"]), Some(0));
    assert_eq!(q::<Option<i64>>(con, &["ZRANK", "z", "e"]), Some(4));
    assert_eq!(q::<Option<i64>>(con, &["ZREVRANK", "z", "e"]), Some(0));
    assert_eq!(q::<Option<i64>>(con, &["ZRANK", "z", "zz"]), None);
    assert_eq!(q::<Option<i64>>(con, &["ZRANK", "nozset", "a"]), None);
    // ZRANGESTORE.
    assert_eq!(q::<i64>(con, &["ZRANGESTORE", "dst", "z", "0", "2"]), 3);
    assert_eq!(
        q::<Vec<String>>(con, &["ZRANGE", "dst", "0", "-1", "WITHSCORES"]),
        strs(&["a", "1.75", "b", "3", "c", "3"])
    );
    assert_eq!(q::<i64>(con, &["ZRANGESTORE", "dst", "z", "(3", "+inf", "BYSCORE"]), 2);
    assert_eq!(q::<i64>(con, &["ZRANGESTORE", "dst", "nozset", "0", "-1"]), 0);
    assert_eq!(q::<i64>(con, &["EXISTS", "dst"]), 0);
    // Removal by range, pops.
    q::<i64>(con, &["ZADD", "r", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "6", "f"]);
    assert_eq!(q::<i64>(con, &["ZREMRANGEBYRANK", "r", "0", "1"]), 2);
    assert_eq!(q::<i64>(con, &["ZREMRANGEBYSCORE", "r", "(5", "+inf"]), 1);
    assert_eq!(q::<i64>(con, &["ZREMRANGEBYLEX", "lex", "[b", "[c"]), 2);
    assert_eq!(q::<Vec<String>>(con, &["ZRANGE", "r", "0", "-1"]), strs(&["c", "d", "e"]));
    assert_eq!(q::<Vec<String>>(con, &["ZPOPMIN", "r"]), strs(&["c", "3"]));
    assert_eq!(q::<Vec<String>>(con, &["ZPOPMAX", "r", "5"]), strs(&["e", "5", "d", "4"]));
    assert_eq!(q::<i64>(con, &["EXISTS", "r"]), 0);
    assert_eq!(q::<Vec<String>>(con, &["ZPOPMIN", "nozset"]), strs(&[]));
    assert_eq!(e(con, &["ZPOPMIN", "z", "-1"]), "ERR value is out of range, must be positive");
    // Union, intersection, difference, with sets as inputs.
    q::<i64>(con, &["ZADD", "z1", "1", "a", "2", "b", "3", "c"]);
    q::<i64>(con, &["ZADD", "z2", "10", "b", "20", "c", "30", "d"]);
    q::<i64>(con, &["SADD", "plain", "c", "d"]);
    assert_eq!(q::<i64>(con, &["ZUNIONSTORE", "u", "2", "z1", "z2"]), 4);
    assert_eq!(
        q::<Vec<String>>(con, &["ZRANGE", "u", "0", "-1", "WITHSCORES"]),
        strs(&["a", "1", "b", "12", "c", "23", "d", "30"])
    );
    assert_eq!(q::<i64>(con, &["ZUNIONSTORE", "u", "2", "z1", "z2", "WEIGHTS", "2", "0.5", "AGGREGATE", "MAX"]), 4);
    assert_eq!(
        q::<Vec<String>>(con, &["ZRANGE", "u", "0", "-1", "WITHSCORES"]),
        strs(&["a", "2", "b", "5", "c", "10", "d", "15"])
    );
    assert_eq!(q::<i64>(con, &["ZINTERSTORE", "i", "3", "z1", "z2", "plain", "AGGREGATE", "MIN"]), 1);
    assert_eq!(q::<Vec<String>>(con, &["ZRANGE", "i", "0", "-1", "WITHSCORES"]), strs(&["c", "1"]));
    assert_eq!(q::<i64>(con, &["ZDIFFSTORE", "d", "2", "z1", "plain"]), 2);
    assert_eq!(q::<Vec<String>>(con, &["ZRANGE", "d", "0", "-1", "WITHSCORES"]), strs(&["a", "1", "b", "2"]));
    assert_eq!(q::<i64>(con, &["ZINTERSTORE", "d", "2", "z1", "nozset"]), 0);
    assert_eq!(q::<i64>(con, &["EXISTS", "d"]), 0);
    assert_eq!(
        e(con, &["ZUNIONSTORE", "u", "0", "z1"]),
        "ERR at least 1 input key is needed for 'zunionstore' command"
    );
    assert_eq!(e(con, &["ZUNIONSTORE", "u", "3", "z1"]), "ERR syntax error");
    assert_eq!(e(con, &["ZUNIONSTORE", "u", "1", "z1", "WEIGHTS", "x"]), "ERR weight value is not a float");
    assert_eq!(e(con, &["ZUNIONSTORE", "u", "1", "z1", "AGGREGATE", "AVG"]), "ERR syntax error");
    assert_eq!(e(con, &["ZDIFFSTORE", "u", "1", "z1", "WEIGHTS", "1"]), "ERR syntax error");
    q::<String>(con, &["SET", "str", "v"]);
    assert_eq!(e(con, &["ZUNIONSTORE", "u", "2", "z1", "str"]), WRONGTYPE);
    // ZRANDMEMBER and ZSCAN.
    let m: String = q(con, &["ZRANDMEMBER", "z1"]);
    assert!(["a", "b", "c"].contains(&m.as_str()));
    assert_eq!(set_of(q(con, &["ZRANDMEMBER", "z1", "10"])), set_of(strs(&["a", "b", "c"])));
    assert_eq!(q::<Vec<String>>(con, &["ZRANDMEMBER", "z1", "-6", "WITHSCORES"]).len(), 12);
    assert_eq!(q::<Option<String>>(con, &["ZRANDMEMBER", "nozset"]), None);
    let (cursor, items): (String, Vec<String>) = q(con, &["ZSCAN", "z1", "0", "MATCH", "[ab]"]);
    assert_eq!((cursor.as_str(), items), ("0", strs(&["a", "1", "b", "2"])));
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn sorted_set_ranges_stay_right_over_many_members() {
    let server = start(&[]);
    let con = &mut connect(&server);
    let mut pipe = redis::pipe();
    for i in 0..20_000 {
        pipe.cmd("ZADD").arg("big").arg(i * 2).arg(format!("m{i:05}")).ignore();
    }
    pipe.query::<()>(con).unwrap();
    assert_eq!(q::<i64>(con, &["ZCARD", "big"]), 20_000);
    assert_eq!(q::<Option<i64>>(con, &["ZRANK", "big", "m12345"]), Some(12345));
    assert_eq!(q::<Option<i64>>(con, &["ZREVRANK", "big", "m12345"]), Some(20_000 - 1 - 12345));
    assert_eq!(q::<Vec<String>>(con, &["ZRANGE", "big", "15000", "15001"]), strs(&["m15000", "m15001"]));
    assert_eq!(q::<Vec<String>>(con, &["ZRANGEBYSCORE", "big", "(20000", "20004"]), strs(&["m10001", "m10002"]));
    assert_eq!(q::<i64>(con, &["ZCOUNT", "big", "1000", "(2000"]), 500);
    assert_eq!(q::<i64>(con, &["ZREMRANGEBYRANK", "big", "0", "9999"]), 10_000);
    assert_eq!(q::<Option<i64>>(con, &["ZRANK", "big", "m12345"]), Some(2345));
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn smove_and_zunionstore_never_show_a_half_done_move_to_concurrent_readers() {
    let server = start(&["--workers", "2"]);
    let setup = &mut connect(&server);
    q::<i64>(setup, &["SADD", "left", "m"]);
    let first: Vec<String> = (0..20).map(|i| format!("a{i:02}")).collect();
    let second: Vec<String> = (0..20).map(|i| format!("b{i:02}")).collect();
    for (key, members) in [("z1", &first), ("z2", &second)] {
        for (i, m) in members.iter().enumerate() {
            q::<i64>(setup, &["ZADD", key, &i.to_string(), m]);
        }
    }
    q::<i64>(setup, &["ZUNIONSTORE", "dst", "1", "z1"]);
    let stop = std::sync::atomic::AtomicBool::new(false);
    let reading = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let (stop, reading) = (&stop, &reading);
        let movers = scope.spawn(|| {
            let con = &mut connect(&server);
            wait_for(Duration::from_secs(20), "both readers", || {
                reading.load(std::sync::atomic::Ordering::Relaxed) == 2
            });
            for i in 0..2000 {
                let (from, to) = if i % 2 == 0 { ("left", "right") } else { ("right", "left") };
                assert_eq!(q::<i64>(con, &["SMOVE", from, to, "m"]), 1);
                q::<i64>(con, &["ZUNIONSTORE", "dst", "1", if i % 2 == 0 { "z2" } else { "z1" }]);
            }
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
        });
        let readers: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    let con = &mut connect(&server);
                    let mut reads = 0;
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        assert_eq!(q::<Vec<String>>(con, &["SUNION", "left", "right"]), strs(&["m"]));
                        assert_eq!(q::<Vec<String>>(con, &["SINTER", "left", "right"]), Vec::<String>::new());
                        let seen: Vec<String> = q(con, &["ZRANGE", "dst", "0", "-1"]);
                        assert!(seen == first || seen == second, "a half-made union: {seen:?}");
                        reads += 1;
                        if reads == 1 {
                            reading.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                    }
                    reads
                })
            })
            .collect();
        movers.join().unwrap();
        for r in readers {
            assert!(r.join().unwrap() > 1);
        }
    });
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn every_acknowledged_write_of_every_type_survives_a_sigkill() {
    let log = temp_log("crash");
    let path = log.to_str().unwrap();
    let server = start(&["--appendonly", path, "--appendfsync", "always"]);
    // Per writer: the acknowledged hash fields, list pushes, set members
    // and sorted-set members, in order.
    let by_writer = acknowledged_until_sigkill(&server, 4, 400, Duration::from_secs(20), |t, i, con| {
        let n = i.to_string();
        match i % 4 {
            0 => cmd(&["HSET", &format!("h:{t}"), &n, &n]).query::<i64>(con),
            1 => cmd(&["RPUSH", &format!("l:{t}"), &n]).query::<i64>(con),
            2 => cmd(&["SADD", &format!("s:{t}"), &n]).query::<i64>(con),
            _ => cmd(&["ZADD", &format!("z:{t}"), &n, &n]).query::<i64>(con),
        }
        .map(|_| i as i64)
    });
    drop(server);
    let server = start(&["--appendonly", path]);
    let con = &mut connect(&server);
    for (t, writes) in by_writer.into_iter().enumerate() {
        let pushes: Vec<String> = writes.iter().filter(|i| *i % 4 == 1).map(|i| i.to_string()).collect();
        let list: Vec<String> = q(con, &["LRANGE", &format!("l:{t}"), "0", "-1"]);
        assert!(
            list.len() <= pushes.len() + 1 && list[..pushes.len()] == pushes[..],
            "list {t}: {list:?} vs {pushes:?}"
        );
        for i in writes {
            let n = i.to_string();
            match i % 4 {
                0 => assert_eq!(q::<Option<String>>(con, &["HGET", &format!("h:{t}"), &n]), Some(n.clone())),
                1 => {}
                2 => assert_eq!(q::<i64>(con, &["SISMEMBER", &format!("s:{t}"), &n]), 1),
                _ => assert_eq!(q::<Option<String>>(con, &["ZSCORE", &format!("z:{t}"), &n]), Some(n.clone())),
            }
        }
    }
    assert_eq!(server.stop().code(), Some(0));
    let _ = std::fs::remove_dir_all(log.parent().unwrap());
}

#[test]
fn a_random_pick_with_repeats_past_the_output_limit_is_refused_and_the_connection_goes_on() {
    let server = start(&[]);
    let con = &mut connect(&server);
    assert_eq!(q::<usize>(con, &["SADD", "s", "a", "b"]), 2);
    assert_eq!(q::<usize>(con, &["HSET", "h", "f", "v"]), 1);
    assert_eq!(q::<usize>(con, &["ZADD", "z", "1", "m"]), 1);
    for args in [
        &["SRANDMEMBER", "s", "-1000000000000"][..],
        &["HRANDFIELD", "h", "-1000000000000"],
        &["ZRANDMEMBER", "z", "-1000000000000"],
    ] {
        let err = cmd(args).query::<Vec<String>>(con).unwrap_err();
        assert!(err.to_string().contains("out of range"), "{args:?}: {err}");
    }
    // Within the limit repeats are answered, and the connection is fine.
    let picks: Vec<String> = q(con, &["SRANDMEMBER", "s", "-1000"]);
    assert_eq!(picks.len(), 1000);
    assert!(server.stderr().contains("a random pick larger than the output hard limit can hold"));
}
