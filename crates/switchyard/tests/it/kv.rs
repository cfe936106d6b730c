//! Tests of `switchyard serve kv`: every command through the `redis` crate,
//! malformed RESP over raw sockets, concurrency, limits, and the
//! append-only log across restarts and a SIGKILL.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use switchyard_codec::resp::{self, Reply};

use crate::support::{wait_for, Server};

pub(crate) fn start(extra: &[&str]) -> Server {
    let mut args = vec!["serve", "kv", "--listen", "127.0.0.1:0", "--log-level", "warn"];
    args.extend_from_slice(extra);
    Server::start(&args, 1)
}

pub(crate) fn connect(server: &Server) -> redis::Connection {
    let client = redis::Client::open(format!("redis://{}/", server.addr())).unwrap();
    let con = client.get_connection_with_timeout(Duration::from_secs(10)).unwrap();
    con.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    con.set_write_timeout(Some(Duration::from_secs(10))).unwrap();
    con
}

pub(crate) fn cmd(args: &[&str]) -> redis::Cmd {
    let mut c = redis::cmd(args[0]);
    for a in &args[1..] {
        c.arg(*a);
    }
    c
}

/// Runs a command that must succeed.
#[track_caller]
pub(crate) fn q<T: redis::FromRedisValue>(con: &mut redis::Connection, args: &[&str]) -> T {
    match cmd(args).query(con) {
        Ok(v) => v,
        Err(e) => panic!("{args:?} failed: {e}"),
    }
}

/// An error reply's text as sent (`ERR ...`).
fn error_text(err: &redis::RedisError) -> String {
    format!("{} {}", err.code().unwrap_or("?"), err.detail().unwrap_or(""))
}

/// Runs a command that must fail; its error text as sent (`ERR ...`).
#[track_caller]
pub(crate) fn e(con: &mut redis::Connection, args: &[&str]) -> String {
    match cmd(args).query::<redis::Value>(con) {
        Ok(v) => panic!("{args:?} should have failed, got {v:?}"),
        Err(err) => error_text(&err),
    }
}

/// SETs `{prefix}0`, `{prefix}1`, ... to `value` until the server refuses
/// one; the number acknowledged and the refusal's text. Fails after 1,000.
#[track_caller]
fn set_until_refused(con: &mut redis::Connection, prefix: &str, value: &str) -> (usize, String) {
    for written in 0..1000 {
        if let Err(err) = cmd(&["SET", &format!("{prefix}{written}"), value]).query::<String>(con) {
            return (written, error_text(&err));
        }
    }
    panic!("1,000 SETs of {} bytes and no refusal", value.len());
}

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

/// Reads whole replies from a raw socket until `n` have arrived.
#[track_caller]
pub(crate) fn read_replies(stream: &mut TcpStream, n: usize) -> Vec<Reply> {
    let mut buf = Vec::new();
    let mut replies = Vec::new();
    let mut chunk = [0u8; 4096];
    while replies.len() < n {
        while let Some((r, used)) = resp::parse_reply(&buf).unwrap() {
            replies.push(r);
            buf.drain(..used);
            if replies.len() == n {
                return replies;
            }
        }
        let got = stream.read(&mut chunk).unwrap();
        assert!(got > 0, "connection closed after {} of {n} replies", replies.len());
        buf.extend_from_slice(&chunk[..got]);
    }
    replies
}

/// Reads until the server closes the connection.
#[track_caller]
fn read_to_close(stream: &mut TcpStream) -> Vec<u8> {
    let mut all = Vec::new();
    stream.read_to_end(&mut all).unwrap();
    all
}

pub(crate) fn temp_log(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("switchyard-kv-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("appendonly.aof")
}

#[test]
fn strings_and_counters_behave_like_redis() {
    let server = start(&[]);
    let con = &mut connect(&server);
    assert_eq!(q::<String>(con, &["SET", "k", "v"]), "OK");
    assert_eq!(q::<Option<String>>(con, &["GET", "k"]), s("v"));
    assert_eq!(q::<Option<String>>(con, &["GET", "missing"]), None);
    assert_eq!(q::<Option<String>>(con, &["SET", "k", "w", "NX"]), None);
    assert_eq!(q::<Option<String>>(con, &["SET", "k", "w", "XX", "GET"]), s("v"));
    assert_eq!(q::<Option<String>>(con, &["SET", "nope", "w", "XX"]), None);
    assert_eq!(q::<String>(con, &["SET", "t", "1", "EX", "100"]), "OK");
    assert!((99..=100).contains(&q::<i64>(con, &["TTL", "t"])));
    assert_eq!(q::<String>(con, &["SET", "t", "2", "KEEPTTL"]), "OK");
    assert!(q::<i64>(con, &["TTL", "t"]) > 0);
    assert_eq!(q::<String>(con, &["SET", "t", "3"]), "OK");
    assert_eq!(q::<i64>(con, &["TTL", "t"]), -1);
    assert_eq!(q::<String>(con, &["SET", "t", "4", "PX", "100000"]), "OK");
    assert!(q::<i64>(con, &["PTTL", "t"]) > 99_000);
    let at = (std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() + 500).to_string();
    assert_eq!(q::<String>(con, &["SET", "t", "5", "EXAT", &at]), "OK");
    assert_eq!(q::<String>(con, &["EXPIRETIME", "t"]), at);
    let pat = format!("{at}000");
    assert_eq!(q::<String>(con, &["SET", "t", "6", "PXAT", &pat]), "OK");
    assert_eq!(q::<String>(con, &["PEXPIRETIME", "t"]), pat);
    assert_eq!(q::<String>(con, &["SET", "t", "7", "PXAT", "1"]), "OK");
    assert_eq!(q::<Option<String>>(con, &["GET", "t"]), None);
    assert_eq!(e(con, &["SET", "k", "v", "EX", "0"]), "ERR invalid expire time in 'set' command");
    assert_eq!(e(con, &["SET", "k", "v", "EX", "x"]), "ERR value is not an integer or out of range");
    assert_eq!(e(con, &["SET", "k", "v", "EX", "1", "PX", "1"]), "ERR syntax error");
    assert_eq!(e(con, &["SET", "k", "v", "NX", "XX"]), "ERR syntax error");
    assert_eq!(e(con, &["SET", "k", "v", "KEEPTTL", "EX", "5"]), "ERR syntax error");
    assert_eq!(e(con, &["SET", "k"]), "ERR wrong number of arguments for 'set' command");

    assert_eq!(q::<i64>(con, &["SETNX", "n", "1"]), 1);
    assert_eq!(q::<i64>(con, &["SETNX", "n", "2"]), 0);
    assert_eq!(q::<String>(con, &["SETEX", "se", "100", "v"]), "OK");
    assert!(q::<i64>(con, &["TTL", "se"]) > 0);
    assert_eq!(e(con, &["SETEX", "se", "0", "v"]), "ERR invalid expire time in 'setex' command");
    assert_eq!(q::<String>(con, &["PSETEX", "pse", "100000", "v"]), "OK");
    assert_eq!(e(con, &["PSETEX", "pse", "-1", "v"]), "ERR invalid expire time in 'psetex' command");
    assert_eq!(q::<Option<String>>(con, &["GETSET", "se", "x"]), s("v"));
    assert_eq!(q::<i64>(con, &["TTL", "se"]), -1);
    assert_eq!(q::<Option<String>>(con, &["GETDEL", "se"]), s("x"));
    assert_eq!(q::<Option<String>>(con, &["GETDEL", "se"]), None);
    assert_eq!(q::<Option<String>>(con, &["GETEX", "pse", "PERSIST"]), s("v"));
    assert_eq!(q::<i64>(con, &["TTL", "pse"]), -1);
    assert_eq!(q::<Option<String>>(con, &["GETEX", "pse", "EX", "50"]), s("v"));
    assert!(q::<i64>(con, &["TTL", "pse"]) > 0);
    assert_eq!(e(con, &["GETEX", "pse", "EX", "1", "PX", "1"]), "ERR syntax error");
    assert_eq!(e(con, &["GETEX", "pse", "EX", "0"]), "ERR invalid expire time in 'getex' command");

    assert_eq!(q::<String>(con, &["MSET", "a", "1", "b", "2"]), "OK");
    assert_eq!(q::<Vec<Option<String>>>(con, &["MGET", "a", "zz", "b"]), vec![s("1"), None, s("2")]);
    assert_eq!(e(con, &["MSET", "a", "1", "b"]), "ERR wrong number of arguments for 'mset' command");
    assert_eq!(q::<i64>(con, &["MSETNX", "a", "9", "c", "3"]), 0);
    assert_eq!(q::<Option<String>>(con, &["GET", "c"]), None);
    assert_eq!(q::<i64>(con, &["MSETNX", "c", "3", "d", "4"]), 1);

    assert_eq!(q::<i64>(con, &["APPEND", "ap", "Hello"]), 5);
    assert_eq!(q::<i64>(con, &["APPEND", "ap", " World"]), 11);
    assert_eq!(q::<i64>(con, &["STRLEN", "ap"]), 11);
    assert_eq!(q::<i64>(con, &["STRLEN", "nothing"]), 0);
    assert_eq!(q::<String>(con, &["GETRANGE", "ap", "0", "4"]), "Hello");
    assert_eq!(q::<String>(con, &["GETRANGE", "ap", "-5", "-1"]), "World");
    assert_eq!(q::<String>(con, &["GETRANGE", "ap", "5", "1"]), "");
    assert_eq!(q::<String>(con, &["GETRANGE", "ap", "0", "100"]), "Hello World");
    assert_eq!(q::<i64>(con, &["SETRANGE", "ap", "6", "Redis"]), 11);
    assert_eq!(q::<String>(con, &["GET", "ap"]), "Hello Redis");
    assert_eq!(q::<i64>(con, &["SETRANGE", "pad", "3", "x"]), 4);
    assert_eq!(q::<Vec<u8>>(con, &["GET", "pad"]), b"\0\0\0x");
    assert_eq!(e(con, &["SETRANGE", "pad", "-1", "x"]), "ERR offset is out of range");
    assert_eq!(
        e(con, &["SETRANGE", "pad", "536870912", "x"]),
        "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
    );

    assert_eq!(q::<i64>(con, &["INCR", "ctr"]), 1);
    assert_eq!(q::<i64>(con, &["INCRBY", "ctr", "10"]), 11);
    assert_eq!(q::<i64>(con, &["DECR", "ctr"]), 10);
    assert_eq!(q::<i64>(con, &["DECRBY", "ctr", "20"]), -10);
    assert_eq!(e(con, &["INCR", "ap"]), "ERR value is not an integer or out of range");
    assert_eq!(e(con, &["INCRBY", "ctr", "1.5"]), "ERR value is not an integer or out of range");
    assert_eq!(q::<String>(con, &["SET", "max", "9223372036854775807"]), "OK");
    assert_eq!(e(con, &["INCR", "max"]), "ERR increment or decrement would overflow");
    assert_eq!(e(con, &["DECRBY", "ctr", "-9223372036854775808"]), "ERR decrement would overflow");
    assert_eq!(q::<String>(con, &["INCRBYFLOAT", "f", "10.5"]), "10.5");
    assert_eq!(q::<String>(con, &["INCRBYFLOAT", "f", "0.1"]), "10.6");
    assert_eq!(q::<String>(con, &["INCRBYFLOAT", "f", "-5"]), "5.6");
    assert_eq!(e(con, &["INCRBYFLOAT", "f", "abc"]), "ERR value is not a valid float");
    assert_eq!(e(con, &["INCRBYFLOAT", "ap", "1"]), "ERR value is not a valid float");
    assert_eq!(q::<String>(con, &["SET", "huge", "1.7e308"]), "OK");
    // Finite in Redis's long double.
    let sum: String = q(con, &["INCRBYFLOAT", "huge", "1.7e308"]);
    assert!(sum.starts_with("340000000000000000006273556050395193590540427779388267466087171526404912"), "{sum}");
    assert_eq!(sum.len(), 309);
    assert_eq!(q::<String>(con, &["SET", "huge", "1e4932"]), "OK");
    assert_eq!(e(con, &["INCRBYFLOAT", "huge", "1e4932"]), "ERR increment would produce NaN or Infinity");
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn keyspace_and_expiry_commands_behave_like_redis() {
    let server = start(&[]);
    let con = &mut connect(&server);
    assert_eq!(q::<String>(con, &["MSET", "a", "1", "b", "2", "c", "3"]), "OK");
    assert_eq!(q::<i64>(con, &["EXISTS", "a", "b", "zz", "a"]), 3);
    assert_eq!(q::<i64>(con, &["DEL", "a", "zz"]), 1);
    assert_eq!(q::<i64>(con, &["UNLINK", "b", "a"]), 1);
    assert_eq!(q::<String>(con, &["TYPE", "c"]), "string");
    assert_eq!(q::<String>(con, &["TYPE", "a"]), "none");
    for i in 0..30 {
        q::<String>(con, &["SET", &format!("key:{i}"), "v"]);
    }
    let mut keys: Vec<String> = q(con, &["KEYS", "key:1*"]);
    keys.sort();
    let mut want: Vec<String> = (10..20).map(|i| format!("key:{i}")).chain(["key:1".to_string()]).collect();
    want.sort();
    assert_eq!(keys, want);
    let mut seen = std::collections::BTreeSet::new();
    let mut cursor = "0".to_string();
    loop {
        let (next, batch): (String, Vec<String>) = q(con, &["SCAN", &cursor, "MATCH", "key:*", "COUNT", "5"]);
        seen.extend(batch);
        if next == "0" {
            break;
        }
        cursor = next;
    }
    assert_eq!(seen.len(), 30);
    assert_eq!(e(con, &["SCAN", "x"]), "ERR invalid cursor");
    assert_eq!(e(con, &["SCAN", "0", "COUNT", "0"]), "ERR syntax error");
    let random: String = q(con, &["RANDOMKEY"]);
    assert!(random.starts_with("key:") || random == "c", "{random}");

    assert_eq!(q::<String>(con, &["SET", "src", "v", "EX", "100"]), "OK");
    assert_eq!(q::<String>(con, &["RENAME", "src", "dst"]), "OK");
    assert_eq!(q::<Option<String>>(con, &["GET", "src"]), None);
    assert_eq!(q::<Option<String>>(con, &["GET", "dst"]), s("v"));
    assert!(q::<i64>(con, &["TTL", "dst"]) > 0, "RENAME keeps the time to live");
    assert_eq!(e(con, &["RENAME", "src", "dst"]), "ERR no such key");
    assert_eq!(q::<i64>(con, &["RENAMENX", "dst", "c"]), 0);
    assert_eq!(q::<i64>(con, &["RENAMENX", "dst", "fresh"]), 1);

    assert_eq!(q::<i64>(con, &["EXPIRE", "c", "100", "XX"]), 0);
    assert_eq!(q::<i64>(con, &["EXPIRE", "c", "100", "NX"]), 1);
    assert_eq!(q::<i64>(con, &["EXPIRE", "c", "200", "NX"]), 0);
    assert_eq!(q::<i64>(con, &["EXPIRE", "c", "50", "GT"]), 0);
    assert_eq!(q::<i64>(con, &["EXPIRE", "c", "300", "GT"]), 1);
    assert_eq!(q::<i64>(con, &["EXPIRE", "c", "400", "LT"]), 0);
    assert_eq!(q::<i64>(con, &["PEXPIRE", "c", "250000", "LT"]), 1);
    assert!((249..=250).contains(&q::<i64>(con, &["TTL", "c"])));
    assert_eq!(q::<i64>(con, &["EXPIRE", "missing", "10"]), 0);
    assert_eq!(
        e(con, &["EXPIRE", "c", "10", "NX", "XX"]),
        "ERR NX and XX, GT or LT options at the same time are not compatible"
    );
    assert_eq!(e(con, &["EXPIRE", "c", "10", "GT", "LT"]), "ERR GT and LT options at the same time are not compatible");
    assert_eq!(e(con, &["EXPIRE", "c", "10", "SOON"]), "ERR Unsupported option SOON");
    assert_eq!(e(con, &["EXPIRE", "c", "ten"]), "ERR value is not an integer or out of range");
    assert_eq!(e(con, &["EXPIRE", "c", "9223372036854775807"]), "ERR invalid expire time in 'expire' command");
    let later =
        (std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() + 1000).to_string();
    assert_eq!(q::<i64>(con, &["EXPIREAT", "c", &later]), 1);
    assert_eq!(q::<String>(con, &["EXPIRETIME", "c"]), later);
    assert_eq!(q::<i64>(con, &["PEXPIREAT", "c", &format!("{later}123")]), 1);
    assert_eq!(q::<String>(con, &["PEXPIRETIME", "c"]), format!("{later}123"));
    assert_eq!(q::<i64>(con, &["PERSIST", "c"]), 1);
    assert_eq!(q::<i64>(con, &["PERSIST", "c"]), 0);
    assert_eq!(q::<i64>(con, &["TTL", "c"]), -1);
    assert_eq!(q::<i64>(con, &["PTTL", "c"]), -1);
    assert_eq!(q::<i64>(con, &["TTL", "missing"]), -2);
    assert_eq!(q::<i64>(con, &["PTTL", "missing"]), -2);
    assert_eq!(q::<i64>(con, &["EXPIRETIME", "missing"]), -2);
    assert_eq!(q::<i64>(con, &["EXPIRETIME", "c"]), -1);
    assert_eq!(q::<i64>(con, &["EXPIREAT", "c", "1"]), 1, "a time in the past deletes the key");
    assert_eq!(q::<i64>(con, &["EXISTS", "c"]), 0);
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn expired_keys_vanish_lazily_and_in_the_background() {
    let server = start(&[]);
    let con = &mut connect(&server);
    q::<String>(con, &["SET", "lazy", "v", "PX", "1"]);
    wait_for(Duration::from_secs(5), "the key's time to pass", || q::<i64>(con, &["PTTL", "lazy"]) == -2);
    for i in 0..200 {
        q::<String>(con, &["SET", &format!("bg:{i}"), "v", "PX", "30"]);
    }
    q::<String>(con, &["SET", "stays", "v"]);
    // DBSIZE counts keys still stored: only the background sweep lowers it.
    wait_for(Duration::from_secs(5), "the sweep to remove expired keys", || q::<i64>(con, &["DBSIZE"]) == 1);
    let info: String = q(con, &["INFO", "stats"]);
    let expired: u64 = info.lines().find_map(|l| l.strip_prefix("expired_keys:")).unwrap().trim().parse().unwrap();
    assert!(expired >= 201, "{info}");
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn connection_and_server_commands_answer_like_redis() {
    let server = start(&["--databases", "4"]);
    let con = &mut connect(&server);
    assert_eq!(q::<String>(con, &["PING"]), "PONG");
    assert_eq!(q::<String>(con, &["PING", "hi"]), "hi");
    assert_eq!(e(con, &["PING", "a", "b"]), "ERR wrong number of arguments for 'ping' command");
    assert_eq!(q::<String>(con, &["ECHO", "hello"]), "hello");
    q::<String>(con, &["SET", "k", "db0"]);
    assert_eq!(q::<String>(con, &["SELECT", "3"]), "OK");
    assert_eq!(q::<Option<String>>(con, &["GET", "k"]), None);
    q::<String>(con, &["MSET", "k", "db3", "j", "x"]);
    assert_eq!(q::<i64>(con, &["DBSIZE"]), 2);
    assert_eq!(e(con, &["SELECT", "4"]), "ERR DB index is out of range");
    assert_eq!(e(con, &["SELECT", "x"]), "ERR value is not an integer or out of range");
    let keyspace: String = q(con, &["INFO", "keyspace"]);
    assert!(keyspace.starts_with("# Keyspace\r\n"), "{keyspace}");
    assert!(keyspace.contains("db0:keys=1,expires=0,avg_ttl=0\r\n"), "{keyspace}");
    assert!(keyspace.contains("db3:keys=2,expires=0,avg_ttl=0\r\n"), "{keyspace}");
    let info: String = q(con, &["INFO"]);
    for section in ["# Server\r\n", "# Clients\r\n", "# Memory\r\n", "# Stats\r\n", "# Keyspace\r\n"] {
        assert!(info.contains(section), "{section} missing from {info}");
    }
    assert!(info.contains("redis_version:"), "{info}");
    assert!(info.contains("connected_clients:1\r\n"), "{info}");
    assert_eq!(q::<String>(con, &["FLUSHDB"]), "OK");
    assert_eq!(q::<i64>(con, &["DBSIZE"]), 0);
    q::<String>(con, &["SELECT", "0"]);
    assert_eq!(q::<i64>(con, &["DBSIZE"]), 1);
    assert_eq!(e(con, &["FLUSHDB", "NOW"]), "ERR syntax error");
    assert_eq!(q::<String>(con, &["FLUSHALL", "SYNC"]), "OK");
    assert_eq!(q::<i64>(con, &["DBSIZE"]), 0);

    let count: i64 = q(con, &["COMMAND", "COUNT"]);
    assert!(count >= 50, "{count}");
    let info: Vec<redis::Value> = q(con, &["COMMAND", "INFO", "get", "nosuch"]);
    assert_eq!(info.len(), 2);
    assert_eq!(info[1], redis::Value::Nil);
    let redis::Value::Array(get) = &info[0] else { panic!("{info:?}") };
    assert_eq!(get[0], redis::Value::BulkString(b"get".to_vec()));
    assert_eq!(get[1], redis::Value::Int(2));
    let docs: Vec<redis::Value> = q(con, &["COMMAND", "DOCS", "set"]);
    assert_eq!(docs.len(), 2);
    assert_eq!(e(con, &["COMMAND", "NOPE"]), "ERR unknown subcommand 'NOPE'. Try COMMAND HELP.");

    let id: i64 = q(con, &["CLIENT", "ID"]);
    assert!(id > 0);
    assert_eq!(q::<Option<String>>(con, &["CLIENT", "GETNAME"]), None);
    assert_eq!(q::<String>(con, &["CLIENT", "SETNAME", "tester"]), "OK");
    assert_eq!(q::<Option<String>>(con, &["CLIENT", "GETNAME"]), s("tester"));
    assert_eq!(
        e(con, &["CLIENT", "SETNAME", "a b"]),
        "ERR Client names cannot contain spaces, newlines or special characters."
    );
    let other = &mut connect(&server);
    let list: String = q(other, &["CLIENT", "LIST"]);
    assert_eq!(list.lines().count(), 2, "{list}");
    assert!(list.contains(&format!("id={id} ")) && list.contains("name=tester "), "{list}");
    assert_eq!(e(con, &["CLIENT", "SETNAME"]), "ERR wrong number of arguments for 'client|setname' command");
    assert_eq!(e(con, &["CLIENT", "NOPE"]), "ERR unknown subcommand 'NOPE'. Try CLIENT HELP.");

    let cfg: Vec<String> = q(con, &["CONFIG", "GET", "maxmemory"]);
    assert_eq!(cfg, vec!["maxmemory", "0"]);
    let cfg: Vec<String> = q(con, &["CONFIG", "GET", "databases"]);
    assert_eq!(cfg, vec!["databases", "4"]);
    let cfg: Vec<String> = q(con, &["CONFIG", "GET", "append*"]);
    assert!(cfg.contains(&"appendonly".to_string()) && cfg.contains(&"no".to_string()), "{cfg:?}");
    assert_eq!(q::<String>(con, &["CONFIG", "SET", "maxmemory", "10mb"]), "OK");
    assert_eq!(q::<Vec<String>>(con, &["CONFIG", "GET", "maxmemory"]), vec!["maxmemory", "10485760"]);
    assert_eq!(
        e(con, &["CONFIG", "SET", "nosuch", "1"]),
        "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'"
    );
    assert_eq!(e(con, &["CONFIG", "GET"]), "ERR wrong number of arguments for 'config|get' command");

    let (secs, micros): (String, String) = q(con, &["TIME"]);
    assert!(secs.parse::<u64>().unwrap() > 1_600_000_000);
    assert!(micros.parse::<u32>().unwrap() < 1_000_000);
    assert_eq!(e(con, &["NOSUCH", "a", "b"]), "ERR unknown command 'NOSUCH', with args beginning with: 'a' 'b' ");
    assert_eq!(e(con, &["GET"]), "ERR wrong number of arguments for 'get' command");
    assert_eq!(q::<String>(con, &["QUIT"]), "OK");
    assert!(cmd(&["PING"]).query::<String>(con).is_err(), "QUIT closes the connection");
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn malformed_requests_get_redis_errors_then_the_connection_closes() {
    let server = start(&[]);
    let table: &[(&[u8], &str)] = &[
        (b"*abc\r\n", "-ERR Protocol error: invalid multibulk length\r\n"),
        (b"*3000000000\r\n", "-ERR Protocol error: invalid multibulk length\r\n"),
        (b"*1\r\n$-5\r\n", "-ERR Protocol error: invalid bulk length\r\n"),
        (b"*1\r\n$600000000\r\n", "-ERR Protocol error: invalid bulk length\r\n"),
        (b"*1\r\nGET\r\n", "-ERR Protocol error: expected '$', got 'G'\r\n"),
        (b"SET \"unbalanced\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n"),
        (b"PING\r\n*x\r\n", "+PONG\r\n-ERR Protocol error: invalid multibulk length\r\n"),
    ];
    for (input, want) in table {
        let mut c = server.connect();
        c.write_all(input).unwrap();
        let got = read_to_close(&mut c);
        assert_eq!(String::from_utf8_lossy(&got), *want, "for {:?}", String::from_utf8_lossy(input));
    }
    let mut c = server.connect();
    c.write_all(&vec![b'a'; 70 * 1024]).unwrap();
    assert_eq!(String::from_utf8_lossy(&read_to_close(&mut c)), "-ERR Protocol error: too big inline request\r\n");
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn values_up_to_proto_max_bulk_len_pass_the_input_buffer() {
    // The engine's input buffer is 1 MiB; a bulk announces its length and
    // is collected whole past it.
    let server = start(&[]);
    let con = &mut connect(&server);
    let big = "v".repeat(24 << 20);
    assert_eq!(q::<String>(con, &["SET", "big", &big]), "OK");
    assert_eq!(q::<i64>(con, &["STRLEN", "big"]), big.len() as i64);
    assert_eq!(q::<String>(con, &["GET", "big"]), big);
    // Pipelined behind and ahead of small commands, in one write.
    let mut script = Vec::new();
    resp::command(&mut script, &["SET", "small", "1"]);
    resp::command(&mut script, &["APPEND", "big", &big]);
    resp::command(&mut script, &["INCR", "small"]);
    let mut raw = server.connect();
    raw.write_all(&script).unwrap();
    let replies = read_replies(&mut raw, 3);
    assert_eq!(replies[1..], [Reply::Integer(2 * big.len() as i64), Reply::Integer(2)]);
    // A reply longer than max_output_bytes (64 MiB) is not a slow reader.
    assert_eq!(q::<i64>(con, &["APPEND", "big", &big]), 3 * big.len() as i64);
    assert_eq!(q::<Vec<u8>>(con, &["GET", "big"]).len(), 3 * big.len());

    // Lowered, the limit refuses a longer bulk as Redis does.
    assert_eq!(q::<String>(con, &["CONFIG", "SET", "proto-max-bulk-len", "1048576"]), "OK");
    let mut raw = server.connect();
    raw.write_all(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048577\r\n").unwrap();
    assert_eq!(String::from_utf8_lossy(&read_to_close(&mut raw)), "-ERR Protocol error: invalid bulk length\r\n");
    assert_eq!(q::<String>(con, &["SET", "k", &"w".repeat(1 << 20)]), "OK");

    // Past client-query-buffer-limit a request is not collected whole: it
    // meets the 1 MiB input buffer and is refused.
    assert_eq!(
        q::<Vec<String>>(con, &["CONFIG", "GET", "client-query-buffer-limit"]),
        ["client-query-buffer-limit", "1073741824"]
    );
    assert!(e(con, &["CONFIG", "SET", "client-query-buffer-limit", "1000"]).contains("between 1048576 and"));
    let lowered = ["CONFIG", "SET", "proto-max-bulk-len", "512mb", "client-query-buffer-limit", "2mb"];
    assert_eq!(q::<String>(con, &lowered), "OK");
    assert_eq!(q::<String>(con, &["SET", "k", &"w".repeat((2 << 20) - 100)]), "OK");
    let mut raw = server.connect();
    let mut script = Vec::new();
    resp::command(&mut script, &["SET", "k", &"w".repeat(3 << 20)]);
    let _ = raw.write_all(&script); // the server may stop reading first
    assert_eq!(
        String::from_utf8_lossy(&read_to_close(&mut raw)),
        "-ERR Protocol error: request too large for the input buffer\r\n"
    );
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn a_pipeline_of_big_replies_is_answered_a_budget_at_a_time() {
    // 200 GETs of a 1 MiB value in one write: 200 MiB of replies, past
    // max_output_bytes (64 MiB) if one call made them all.
    let server = start(&[]);
    let con = &mut connect(&server);
    let big = "b".repeat(1 << 20);
    assert_eq!(q::<String>(con, &["SET", "big", &big]), "OK");
    let mut script = Vec::new();
    for _ in 0..200 {
        resp::command(&mut script, &["GET", "big"]);
    }
    resp::command(&mut script, &["PING"]);
    let mut raw = server.connect();
    raw.write_all(&script).unwrap();
    let replies = read_replies(&mut raw, 201);
    for (i, reply) in replies[..200].iter().enumerate() {
        assert!(matches!(reply, Reply::Bulk(Some(v)) if v.len() == big.len()), "reply {i}");
    }
    assert_eq!(replies[200], Reply::Simple("PONG".into()));
    let peak = server.memory("VmHWM");
    assert!(peak < 64 << 20, "the server peaked at {} MiB", peak >> 20);
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn requests_sent_a_byte_at_a_time_get_the_same_replies() {
    let server = start(&[]);
    let mut script = Vec::new();
    resp::command(&mut script, &["SET", "split", "value with spaces"]);
    script.extend_from_slice(b"GET split\r\nAPPEND split \"!\\x21\"\r\n");
    resp::command(&mut script, &["INCR", "n"]);
    resp::command(&mut script, &["MGET", "split", "n", "none"]);
    script.extend_from_slice(b"\r\nPING\n");
    let n = 6;
    let mut whole = server.connect();
    whole.write_all(&script).unwrap();
    let expected = read_replies(&mut whole, n);
    assert_eq!(expected[1], Reply::Bulk(Some(b"value with spaces".to_vec())));
    q::<i64>(&mut connect(&server), &["DEL", "split", "n"]);
    let mut slow = server.connect();
    slow.set_nodelay(true).unwrap();
    for b in &script {
        slow.write_all(std::slice::from_ref(b)).unwrap();
    }
    assert_eq!(read_replies(&mut slow, n), expected);
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn concurrent_increments_lose_nothing() {
    let server = start(&["--workers", "4"]);
    let threads = 8;
    let rounds = 50;
    let batch = 20;
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let con = &mut connect(&server);
                for _ in 0..rounds {
                    let mut p = redis::pipe();
                    for k in 0..batch {
                        p.cmd("INCR").arg(format!("ctr:{}", k % 4)).ignore();
                    }
                    p.query::<()>(con).unwrap();
                }
            });
        }
    });
    let con = &mut connect(&server);
    let total: i64 = (0..4).map(|k| q::<i64>(con, &["GET", &format!("ctr:{k}")])).sum();
    assert_eq!(total, (threads * rounds * batch) as i64);
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn mset_is_atomic_to_concurrent_mgets() {
    let server = start(&["--workers", "4"]);
    let keys: Vec<String> = (0..16).map(|i| format!("atomic:{i}")).collect();
    let done = AtomicBool::new(false);
    let torn = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..3 {
            scope.spawn(|| {
                let con = &mut connect(&server);
                let mut mget = redis::cmd("MGET");
                for k in &keys {
                    mget.arg(k);
                }
                while !done.load(Ordering::Relaxed) {
                    let values: Vec<Option<String>> = mget.query(con).unwrap();
                    if values.iter().any(|v| v != &values[0]) {
                        torn.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
        let con = &mut connect(&server);
        for round in 0..1500 {
            let mut mset = redis::cmd("MSET");
            for k in &keys {
                mset.arg(k).arg(round);
            }
            mset.query::<()>(con).unwrap();
        }
        done.store(true, Ordering::Relaxed);
    });
    assert_eq!(torn.load(Ordering::Relaxed), 0, "an MGET saw a half-applied MSET");
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn clients_past_the_limit_are_told_so() {
    let server = start(&["--max-connections", "2"]);
    let first = &mut connect(&server);
    let second = &mut connect(&server);
    assert_eq!(q::<String>(first, &["PING"]), "PONG");
    assert_eq!(q::<String>(second, &["PING"]), "PONG");
    let mut third = server.connect();
    assert_eq!(String::from_utf8_lossy(&read_to_close(&mut third)), "-ERR max number of clients reached\r\n");
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn writes_past_maxmemory_get_oom_and_reads_go_on() {
    let server = start(&["--maxmemory", "20000"]);
    let con = &mut connect(&server);
    let value = "x".repeat(1000);
    let (written, err) = set_until_refused(con, "k", &value);
    assert_eq!(err, "OOM command not allowed when used memory > 'maxmemory'.");
    assert!(written > 5);
    assert_eq!(q::<Option<String>>(con, &["GET", "k0"]), Some(value.clone()));
    assert_eq!(e(con, &["INCR", "n"]), "OOM command not allowed when used memory > 'maxmemory'.");
    assert_eq!(q::<i64>(con, &["DEL", "k0", "k1", "k2", "k3", "k4"]), 5, "deletes are allowed");
    assert_eq!(q::<String>(con, &["SET", "again", "v"]), "OK");
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn in_flight_replies_arrive_before_a_graceful_shutdown_closes() {
    let log = temp_log("drain");
    let path = log.to_str().unwrap();
    // Plain, and with replies held for the log's fsync thread.
    for extra in [vec![], vec!["--appendonly", path, "--appendfsync", "always"]] {
        let server = start(&extra);
        let mut c = server.connect();
        c.write_all(b"PING\r\n").unwrap();
        read_replies(&mut c, 1);
        let mut script = Vec::new();
        for _ in 0..500 {
            resp::command(&mut script, &["INCR", "inflight"]);
        }
        // On loopback the bytes are in the server's receive queue once the
        // write returns: all 500 arrived before the signal.
        c.write_all(&script).unwrap();
        server.signal(libc::SIGTERM);
        let mut buf = Vec::new();
        c.read_to_end(&mut buf).unwrap();
        let mut pos = 0;
        let mut n = 0;
        while let Some((reply, used)) = resp::parse_reply(&buf[pos..]).unwrap() {
            n += 1;
            assert_eq!(reply, Reply::Integer(n), "{extra:?}: replies are whole and in order");
            pos += used;
        }
        assert_eq!(pos, buf.len(), "{extra:?}: no partial reply at the close");
        assert_eq!(n, 500, "{extra:?}: every command received before the signal is answered");
        drop(c);
        let mut server = server;
        assert_eq!(server.wait(Duration::from_secs(30)).code(), Some(0), "{extra:?}");
    }
    let _ = std::fs::remove_dir_all(log.parent().unwrap());
}

#[test]
fn the_append_only_log_survives_a_restart() {
    let log = temp_log("restart");
    let path = log.to_str().unwrap();
    let server = start(&["--appendonly", path, "--appendfsync", "everysec"]);
    let con = &mut connect(&server);
    q::<String>(con, &["SET", "plain", "v"]);
    q::<String>(con, &["SET", "ttl", "v", "EX", "1000"]);
    q::<String>(con, &["SET", "short", "v", "PX", "1"]);
    q::<i64>(con, &["INCRBY", "ctr", "41"]);
    q::<i64>(con, &["INCR", "ctr"]);
    q::<i64>(con, &["APPEND", "plain", "w"]);
    q::<String>(con, &["MSET", "m1", "1", "m2", "2"]);
    q::<String>(con, &["SET", "old", "moved"]);
    q::<String>(con, &["RENAME", "old", "new"]);
    q::<i64>(con, &["DEL", "m2"]);
    q::<String>(con, &["SELECT", "2"]);
    q::<String>(con, &["SET", "in2", "yes"]);
    q::<String>(con, &["SET", "gone", "x"]);
    q::<String>(con, &["FLUSHDB"]);
    q::<String>(con, &["SET", "after", "flush"]);
    assert_eq!(server.stop().code(), Some(0));

    let server = start(&["--appendonly", path]);
    let con = &mut connect(&server);
    assert_eq!(q::<Option<String>>(con, &["GET", "plain"]), s("vw"));
    assert!(q::<i64>(con, &["TTL", "ttl"]) > 900);
    assert_eq!(q::<Option<String>>(con, &["GET", "short"]), None);
    assert_eq!(q::<i64>(con, &["GET", "ctr"]), 42);
    assert_eq!(
        q::<Vec<Option<String>>>(con, &["MGET", "m1", "m2", "old", "new"]),
        vec![s("1"), None, None, s("moved")]
    );
    q::<String>(con, &["SELECT", "2"]);
    assert_eq!(q::<Vec<Option<String>>>(con, &["MGET", "in2", "gone", "after"]), vec![None, None, s("flush")]);
    assert_eq!(q::<Vec<String>>(con, &["CONFIG", "GET", "appendonly"]), vec!["appendonly", "yes"]);
    assert_eq!(server.stop().code(), Some(0));
    let _ = std::fs::remove_dir_all(log.parent().unwrap());
}

fn append(path: &Path, bytes: &[u8]) {
    std::fs::OpenOptions::new().append(true).open(path).unwrap().write_all(bytes).unwrap();
}

#[test]
fn a_torn_last_record_is_cut_off_and_corruption_before_the_end_refuses_to_start() {
    let log = temp_log("torn");
    let path = log.to_str().unwrap();
    let server = start(&["--appendonly", path]);
    q::<String>(&mut connect(&server), &["SET", "kept", "v"]);
    assert_eq!(server.stop().code(), Some(0));
    let good_len = std::fs::metadata(&log).unwrap().len();
    append(&log, b"*3\r\n$3\r\nSET\r\n$4\r\ntorn\r\n$5\r\nval");

    let server = start(&["--appendonly", path]);
    let con = &mut connect(&server);
    assert_eq!(q::<Option<String>>(con, &["GET", "kept"]), s("v"));
    assert_eq!(q::<Option<String>>(con, &["GET", "torn"]), None);
    assert!(server.stderr().contains("torn record"), "{}", server.stderr());
    q::<String>(con, &["SET", "next", "v"]);
    assert_eq!(server.stop().code(), Some(0));

    let refused = |bytes: &[u8]| {
        std::fs::write(&log, bytes).unwrap();
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_switchyard"))
            .args(["serve", "kv", "--listen", "127.0.0.1:0", "--appendonly", path])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = String::new();
        child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
        assert!(!child.wait().unwrap().success(), "{stderr}");
        stderr
    };
    // Garbage in the middle: the server must refuse, naming the offset.
    let intact = std::fs::read(&log).unwrap();
    let mut bytes = intact.clone();
    bytes[good_len as usize] = b'!';
    let stderr = refused(&bytes);
    assert!(stderr.contains(&format!("corrupt at byte {good_len}")), "{stderr}");
    assert!(stderr.contains(&format!("truncate -s {good_len} {path}")), "{stderr}");
    // A length in the middle damaged to run past the end of the file is
    // not a torn tail: the record after it is whole.
    let text = String::from_utf8(intact).unwrap();
    let next = text.rfind("*3\r\n$3\r\nSET\r\n$4\r\nnext").expect("the SET of next");
    let damaged = format!("{}{}", &text[..next], text[next..].replacen("$4\r\nnext", "$9999\r\nnext", 1));
    let mut damaged = damaged.into_bytes();
    resp_set(&mut damaged, "later", "v");
    let stderr = refused(&damaged);
    assert!(stderr.contains(&format!("corrupt at byte {next}")), "{stderr}");
    assert!(stderr.contains("a whole one starts at byte"), "{stderr}");
    let _ = std::fs::remove_dir_all(log.parent().unwrap());
}

/// Appends `SET key value` in RESP.
fn resp_set(out: &mut Vec<u8>, key: &str, value: &str) {
    for part in ["*3", "$3", "SET", &format!("${}", key.len()), key, &format!("${}", value.len()), value] {
        out.extend_from_slice(part.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
}

#[test]
fn under_everysec_and_no_a_write_is_in_the_log_file_before_its_reply() {
    // As in Redis, the records reach the file (not yet the disk) before the
    // replies leave, so a crash of the process loses no acknowledged write.
    for policy in ["everysec", "no"] {
        let log = temp_log(&format!("before-reply-{policy}"));
        let path = log.to_str().unwrap();
        let server = start(&["--appendonly", path, "--appendfsync", policy]);
        let mut clients: Vec<_> = (0..8).map(|_| connect(&server)).collect();
        for round in 0..25 {
            for (i, con) in clients.iter_mut().enumerate() {
                let key = format!("{policy}:{round}:{i}");
                assert_eq!(q::<String>(con, &["SET", &key, "v"]), "OK");
                let text = String::from_utf8_lossy(&std::fs::read(&log).unwrap()).into_owned();
                assert!(text.contains(&key), "{policy}: {key} acknowledged but not in the log");
            }
        }
        drop(clients);
        assert_eq!(server.stop().code(), Some(0));
        let _ = std::fs::remove_dir_all(log.parent().unwrap());
    }
}

#[test]
fn under_appendfsync_always_concurrent_writers_share_their_fsyncs() {
    let log = temp_log("group");
    let path = log.to_str().unwrap();
    // Two workers, twenty writers: a group commit bounded by the worker
    // pool would need about one fsync per write.
    let server = start(&["--appendonly", path, "--appendfsync", "always", "--workers", "2"]);
    std::thread::scope(|scope| {
        for t in 0..20 {
            let server = &server;
            scope.spawn(move || {
                let con = &mut connect(server);
                for i in 0..100 {
                    assert_eq!(q::<String>(con, &["SET", &format!("group:{t}:{i}"), "v"]), "OK");
                }
            });
        }
    });
    let con = &mut connect(&server);
    let info: String = q(con, &["INFO", "persistence"]);
    let field = |name: &str| -> u64 {
        let line = info.lines().find(|l| l.starts_with(name)).unwrap_or_else(|| panic!("{name} in {info}"));
        line[name.len() + 1..].trim().parse().unwrap()
    };
    let (records, fsyncs) = (field("aof_records"), field("aof_fsyncs"));
    assert_eq!(records, 2000);
    assert!(fsyncs * 2 < records, "{fsyncs} fsyncs for {records} records");
    assert_eq!(server.stop().code(), Some(0));
    let _ = std::fs::remove_dir_all(log.parent().unwrap());
}

#[test]
fn every_acknowledged_write_survives_a_sigkill() {
    let log = temp_log("crash");
    let path = log.to_str().unwrap();
    let server = start(&["--appendonly", path, "--appendfsync", "always"]);
    let by_writer = acknowledged_until_sigkill(&server, 4, 400, Duration::from_secs(8), |t, i, con| {
        let key = format!("crash:{t}:{i}");
        if i % 2 == 0 {
            cmd(&["SET", &key, &i.to_string()]).query::<String>(con).map(|_| (key, i as i64))
        } else {
            let k = format!("crash:{t}:ctr");
            cmd(&["INCRBY", &k, "1"]).query::<i64>(con).map(|v| (k, v))
        }
    });
    drop(server);
    let acked: Vec<(String, i64)> = by_writer.into_iter().flatten().collect();
    assert!(acked.len() >= 400);
    let server = start(&["--appendonly", path]);
    let con = &mut connect(&server);
    let mut counters = std::collections::HashMap::new();
    for (k, v) in &acked {
        if k.ends_with(":ctr") {
            let m = counters.entry(k.clone()).or_insert(0);
            *m = (*m).max(*v);
        } else {
            assert_eq!(q::<Option<i64>>(con, &["GET", k]), Some(*v), "acknowledged {k} lost");
        }
    }
    for (k, v) in counters {
        let got: i64 = q(con, &["GET", &k]);
        assert!(got >= v, "{k}: acknowledged {v}, recovered {got}");
    }
    assert_eq!(server.stop().code(), Some(0));
    let _ = std::fs::remove_dir_all(log.parent().unwrap());
}

#[test]
fn a_log_rewrite_compacts_without_losing_writes() {
    let log = temp_log("rewrite");
    let path = log.to_str().unwrap();
    let server = start(&["--appendonly", path]);
    let con = &mut connect(&server);
    let mut p = redis::pipe();
    for i in 0..2000 {
        p.cmd("SET").arg("hot").arg(i).ignore();
    }
    p.cmd("SET").arg("ttl").arg("v").arg("EX").arg(1000).ignore();
    p.query::<()>(con).unwrap();
    let before = std::fs::metadata(&log).unwrap().len();
    assert_eq!(q::<String>(con, &["BGREWRITEAOF"]), "Background append only file rewriting started");
    wait_for(Duration::from_secs(8), "the rewrite to finish", || {
        let info: String = q(con, &["INFO", "persistence"]);
        info.contains("aof_rewrites:1\r\n") && info.contains("aof_rewrite_in_progress:0\r\n")
    });
    let after = std::fs::metadata(&log).unwrap().len();
    assert!(after < before / 10, "log did not shrink: {before} -> {after}");
    q::<i64>(con, &["INCR", "after"]);
    assert_eq!(server.stop().code(), Some(0));

    let server = start(&["--appendonly", path]);
    let con = &mut connect(&server);
    assert_eq!(q::<i64>(con, &["GET", "hot"]), 1999);
    assert_eq!(q::<i64>(con, &["GET", "after"]), 1);
    assert!(q::<i64>(con, &["TTL", "ttl"]) > 900);
    assert_eq!(server.stop().code(), Some(0));
    let _ = std::fs::remove_dir_all(log.parent().unwrap());
}

#[test]
fn redis_cli_and_inline_commands_work_unchanged() {
    let server = start(&[]);
    let port = server.addr().port().to_string();
    let out = std::process::Command::new("redis-cli")
        .args(["-h", "127.0.0.1", "-p", &port, "SET", "cli", "hello world"])
        .output();
    let Ok(out) = out else {
        // redis-cli is not installed here; the other tests cover the protocol.
        return;
    };
    assert_eq!(String::from_utf8_lossy(&out.stdout), "OK\n");
    let out = std::process::Command::new("redis-cli").args(["-p", &port, "GET", "cli"]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hello world\n");
    assert_eq!(server.stop().code(), Some(0));
}

/// Starts kv with the file size limit (`ulimit -f`) at `bytes`, soft only,
/// so that the log runs out of room there and the test can give it more.
fn start_with_file_limit(bytes: u64, extra: &[&str]) -> Server {
    let mut args = vec!["serve", "kv", "--listen", "127.0.0.1:0", "--log-level", "warn"];
    args.extend_from_slice(extra);
    Server::start_limited(&args, libc::RLIMIT_FSIZE, bytes, None)
}

#[test]
fn a_log_that_cannot_be_written_refuses_writes_with_misconf_until_it_can() {
    for policy in ["everysec", "no"] {
        let log = temp_log(&format!("full-{policy}"));
        let path = log.to_str().unwrap();
        let server = start_with_file_limit(64 << 10, &["--appendonly", path, "--appendfsync", policy]);
        let con = &mut connect(&server);
        let value = "x".repeat(1000);
        let (acked, refusal) = set_until_refused(con, "full:", &value);
        assert_eq!(refusal, "MISCONF Errors writing to the AOF file: File too large", "{policy}");
        assert!(acked >= 60, "{policy}: refused after {acked} writes");
        // Reads go on; other writes, and PING, are refused, as in Redis.
        assert_eq!(q::<Option<String>>(con, &["GET", "full:0"]), Some(value.clone()));
        assert!(e(con, &["DEL", "full:0"]).starts_with("MISCONF "));
        assert!(e(con, &["PING"]).starts_with("MISCONF "));
        let info: String = q(con, &["INFO", "persistence"]);
        assert!(info.contains("aof_last_write_status:err"), "{info}");

        // Room again: the retry, once a second, lets writes back in.
        server.set_limit(libc::RLIMIT_FSIZE, libc::RLIM_INFINITY);
        wait_for(Duration::from_secs(10), "writes accepted again", || {
            cmd(&["SET", "after", "room"]).query::<String>(con).is_ok()
        });
        let info: String = q(con, &["INFO", "persistence"]);
        assert!(info.contains("aof_last_write_status:ok"), "{info}");
        assert_eq!(server.stop().code(), Some(0));

        // Every acknowledged write is in the log, even the one whose
        // record met the limit.
        let server = start(&["--appendonly", path]);
        let con = &mut connect(&server);
        for i in 0..acked {
            assert_eq!(
                q::<Option<String>>(con, &["GET", &format!("full:{i}")]),
                Some(value.clone()),
                "{policy}: full:{i}"
            );
        }
        assert_eq!(q::<Option<String>>(con, &["GET", "after"]), s("room"));
        assert_eq!(server.stop().code(), Some(0));
        let _ = std::fs::remove_dir_all(log.parent().unwrap());
    }
}

#[test]
fn under_appendfsync_always_a_log_that_cannot_be_written_ends_the_server_and_loses_no_acknowledged_write() {
    // Single SETs run on the I/O thread and write the log before their
    // replies; pipelines past 16 KiB go to a worker and wait for the fsync
    // thread. Either way the server exits with status 1, as Redis does.
    for pipeline in [1, 20] {
        let log = temp_log(&format!("full-always-{pipeline}"));
        let path = log.to_str().unwrap();
        let mut server = start_with_file_limit(1 << 20, &["--appendonly", path, "--appendfsync", "always"]);
        let value = "x".repeat(1000);
        let acked: Mutex<Vec<String>> = Mutex::new(Vec::new());
        std::thread::scope(|scope| {
            for t in 0..4 {
                let (acked, server, value) = (&acked, &server, &value);
                scope.spawn(move || {
                    let con = &mut connect(server);
                    for batch in 0.. {
                        let keys: Vec<String> = (0..pipeline).map(|i| format!("always:{t}:{batch}:{i}")).collect();
                        let mut pipe = redis::pipe();
                        for key in &keys {
                            pipe.cmd("SET").arg(key).arg(value);
                        }
                        if pipe.query::<Vec<String>>(con).is_err() {
                            return;
                        }
                        acked.lock().unwrap().extend(keys);
                    }
                });
            }
        });
        let status = server.wait(Duration::from_secs(30));
        assert_eq!(status.code(), Some(1), "pipeline {pipeline}: {}", server.stderr());
        assert!(server.stderr().contains("exiting"), "{}", server.stderr());
        drop(server);

        let acked = acked.into_inner().unwrap();
        assert!(acked.len() >= 20, "pipeline {pipeline}: {} acknowledged", acked.len());
        let server = start(&["--appendonly", path]);
        let con = &mut connect(&server);
        for key in &acked {
            assert_eq!(q::<Option<String>>(con, &["GET", key]).as_deref(), Some(value.as_str()), "{key} lost");
        }
        assert_eq!(server.stop().code(), Some(0));
        let _ = std::fs::remove_dir_all(log.parent().unwrap());
    }
}

/// Closes `stream` with a reset (RST) rather than a FIN, as a client that
/// crashes or gives up does.
fn reset(stream: TcpStream) {
    use std::os::fd::AsRawFd;
    let linger = libc::linger { l_onoff: 1, l_linger: 0 };
    // SAFETY: setsockopt on a live socket with a live, correctly sized value.
    let rc = unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            &linger as *const libc::linger as *const libc::c_void,
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    assert_eq!(rc, 0);
    drop(stream);
}

/// Sends `PING` every few milliseconds on its own connection until
/// stopped; the longest wait for a `PONG`.
fn ping_while<T>(server: &Server, work: impl FnOnce() -> T) -> (T, Duration) {
    let stop = AtomicBool::new(false);
    let mut pinger = server.connect();
    std::thread::scope(|s| {
        let slowest = s.spawn(|| {
            let mut slowest = Duration::ZERO;
            let mut reply = [0u8; 7];
            while !stop.load(Ordering::Relaxed) {
                let sent = std::time::Instant::now();
                pinger.write_all(b"*1\r\n$4\r\nPING\r\n").unwrap();
                pinger.read_exact(&mut reply).unwrap();
                assert_eq!(&reply, b"+PONG\r\n");
                slowest = slowest.max(sent.elapsed());
                std::thread::sleep(Duration::from_millis(5));
            }
            slowest
        });
        let result = work();
        stop.store(true, Ordering::Relaxed);
        (result, slowest.join().unwrap())
    })
}

/// Reads one bulk reply of `len` bytes without keeping it (or looking at
/// every byte: the test must not take the CPU the server needs); its last
/// byte.
fn read_big_bulk(stream: &mut TcpStream, len: usize) -> u8 {
    let header = format!("${len}\r\n");
    let mut head = vec![0u8; header.len()];
    stream.read_exact(&mut head).unwrap();
    assert_eq!(head, header.as_bytes());
    let mut left = len + 2;
    let mut tail = Vec::new();
    let mut chunk = vec![0u8; 1 << 20];
    while left > 0 {
        let n = stream.read(&mut chunk[..left.min(1 << 20)]).unwrap();
        assert!(n > 0, "closed with {left} bytes of the reply to come");
        left -= n;
        tail.extend_from_slice(&chunk[n.saturating_sub(3)..n]);
        tail.drain(..tail.len().saturating_sub(3));
    }
    assert_eq!(&tail[1..], b"\r\n");
    tail[0]
}

#[test]
fn a_512_mib_value_sent_many_times_stalls_nobody_and_costs_no_copies() {
    const VALUE: usize = 512 << 20;
    let server = start(&["--shutdown-timeout", "5s"]);
    let con = &mut connect(&server);
    assert_eq!(q::<i64>(con, &["SETRANGE", "k", &(VALUE - 1).to_string(), "x"]), VALUE as i64);
    let mget = |keys: usize| {
        let mut args = vec!["MGET"];
        args.extend(std::iter::repeat_n("k", keys));
        let mut script = Vec::new();
        resp::command(&mut script, &args);
        script
    };
    let ((), slowest) = ping_while(&server, || {
        // An MGET of two references to the value, then a reset.
        for keys in [2, 8] {
            let mut raw = server.connect();
            raw.write_all(&mget(keys)).unwrap();
            std::thread::sleep(Duration::from_millis(100));
            reset(raw);
        }
        // An inline MGET of ten, which a worker runs, while another
        // client's GET (which the I/O thread runs) reads the value whole.
        let mut inline = server.connect();
        inline.write_all(b"MGET k k k k k k k k k k\r\n").unwrap();
        std::thread::sleep(Duration::from_millis(50));
        let mut get = server.connect();
        let mut script = Vec::new();
        resp::command(&mut script, &["GET", "k"]);
        get.write_all(&script).unwrap();
        assert_eq!(read_big_bulk(&mut get, VALUE), b'x');
        reset(inline);
    });
    assert!(slowest < Duration::from_millis(100), "a PING waited {slowest:?}");
    let peak = server.memory("VmHWM");
    assert!(peak < VALUE as u64 * 3 / 2, "the server peaked at {} MiB for a 512 MiB value", peak >> 20);

    // A client that asked for eight copies and reads none holds the drain
    // up to its deadline, no longer.
    let mut stuck = server.connect();
    stuck.write_all(&mget(8)).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let mut server = server;
    let asked = std::time::Instant::now();
    server.signal(libc::SIGTERM);
    let status = server.wait(Duration::from_secs(10));
    assert!(asked.elapsed() < Duration::from_secs(7), "exit took {:?}", asked.elapsed());
    assert!(matches!(status.code(), Some(0 | 1)), "{status:?}");
    drop(stuck);
}

#[test]
fn client_output_limits_are_redis_config_parameters_and_close_only_the_client() {
    let server = start(&[]);
    let con = &mut connect(&server);
    assert_eq!(
        q::<Vec<String>>(con, &["CONFIG", "GET", "client-output-buffer-limit"]),
        [
            "client-output-buffer-limit",
            "normal 536870912 67108864 60 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
        ]
    );
    assert_eq!(q::<Vec<String>>(con, &["CONFIG", "GET", "maxmemory-clients"]), ["maxmemory-clients", "1073741824"]);
    assert!(e(con, &["CONFIG", "SET", "client-output-buffer-limit", "normal 1mb 1mb"]).contains("Wrong number"));
    assert!(e(con, &["CONFIG", "SET", "client-output-buffer-limit", "vip 1 1 1"]).contains("Invalid client class"));
    assert!(e(con, &["CONFIG", "SET", "client-output-buffer-limit", "normal 1 x 1"]).contains("hard, soft"));
    // A hard limit of 1 MiB: a KEYS reply that the server must build
    // (names are not stored values to share) of 2 MiB closes its client.
    assert_eq!(q::<String>(con, &["CONFIG", "SET", "client-output-buffer-limit", "normal 1mb 0 0 pubsub 1 2 3"]), "OK");
    assert_eq!(
        q::<Vec<String>>(con, &["CONFIG", "GET", "client-output-buffer-limit"])[1],
        "normal 1048576 0 0 slave 268435456 67108864 60 pubsub 1 2 3"
    );
    let name = "n".repeat(1000);
    for chunk in 0..4 {
        let mut args = vec!["MSET".to_string()];
        for i in 0..600 {
            args.push(format!("{name}{chunk}:{i}"));
            args.push("v".into());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_eq!(q::<String>(con, &args), "OK");
    }
    let mut raw = server.connect();
    raw.write_all(b"*2\r\n$4\r\nKEYS\r\n$1\r\n*\r\n").unwrap();
    let got = read_to_close(&mut raw);
    assert!(got.len() < 2 << 20, "{} bytes arrived before the close", got.len());
    // Everyone else is served, and a long stored value is not counted:
    // it is shared, not copied.
    let big = "b".repeat(3 << 20);
    assert_eq!(q::<String>(con, &["SET", "big", &big]), "OK");
    assert_eq!(q::<Vec<u8>>(con, &["GET", "big"]).len(), big.len());
    assert_eq!(q::<String>(con, &["CONFIG", "SET", "maxmemory-clients", "0"]), "OK");
    assert_eq!(q::<Vec<String>>(con, &["CONFIG", "GET", "maxmemory-clients"])[1], "0");
    let log = server.stderr();
    assert!(log.contains("past the hard output limit"), "{log}");
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn keys_and_scan_answer_a_pattern_of_nested_stars() {
    let server = start(&[]);
    let con = &mut connect(&server);
    let key = "a".repeat(40);
    let hit = format!("{key}b");
    for k in [&key, &hit] {
        assert_eq!(q::<String>(con, &["SET", k, "1"]), "OK");
    }
    // Each star doubled a backtracking matcher's work: 2^20 tries per key.
    let pattern = "a*".repeat(20) + "b";
    assert_eq!(q::<Vec<String>>(con, &["KEYS", &pattern]), vec![hit.clone()]);
    let mut found = Vec::new();
    let mut cursor = "0".to_string();
    loop {
        let (next, batch): (String, Vec<String>) = q(con, &["SCAN", &cursor, "MATCH", &pattern, "COUNT", "100"]);
        found.extend(batch);
        if next == "0" {
            break;
        }
        cursor = next;
    }
    assert_eq!(found, vec![hit.clone()]);
    if let Ok(out) = std::process::Command::new("redis-cli")
        .args(["-h", "127.0.0.1", "-p", &server.addr().port().to_string(), "KEYS", &pattern])
        .output()
    {
        assert_eq!(String::from_utf8_lossy(&out.stdout), format!("{hit}\n"));
    }
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn keys_patterns_follow_redis_edge_cases() {
    let server = start(&[]);
    let con = &mut connect(&server);
    for k in ["", "hello", "hallo", "hxllo", "h]llo", "h-llo", "h\\llo", "h*llo", "a[", "ab", "z"] {
        assert_eq!(q::<String>(con, &["SET", k, "1"]), "OK");
    }
    let table: &[(&str, &[&str])] = &[
        ("h[ae]llo", &["hallo", "hello"]),
        ("h[^e]llo", &["h*llo", "h-llo", "hallo", "h\\llo", "h]llo", "hxllo"]),
        ("h[e-a]llo", &["hallo", "hello"]),
        ("h[\\]]llo", &["h]llo"]),
        ("h\\*llo", &["h*llo"]),
        // Unterminated: the class runs to the end of the pattern.
        ("a[b", &["ab"]),
        ("[^", &["z"]),
        ("h[a-]llo", &[]),
        // `*` alone is every key, the empty one too; `**` is not.
        ("*", &["", "a[", "ab", "h*llo", "h-llo", "hallo", "hello", "h\\llo", "h]llo", "hxllo", "z"]),
        ("?", &["z"]),
    ];
    for (pattern, want) in table {
        let mut got: Vec<String> = q(con, &["KEYS", pattern]);
        got.sort();
        let mut want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
        want.sort();
        assert_eq!(got, want, "KEYS {pattern}");
    }
    assert!(!q::<Vec<String>>(con, &["KEYS", "**"]).contains(&String::new()));
    let params: Vec<String> = q(con, &["CONFIG", "GET", "MAXMEM*"]);
    assert_eq!(params.first().map(String::as_str), Some("maxmemory"), "{params:?}");
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn incrbyfloat_answers_as_redis_7_prints() {
    let server = start(&[]);
    let con = &mut connect(&server);
    let steps: &[(&str, &str, Result<&str, &str>)] = &[
        ("third", "0.02439024390243902", Ok("0.02439024390243902")),
        ("tenths", "0.1", Ok("0.1")),
        ("tenths", "0.1", Ok("0.2")),
        ("tenths", "0.1", Ok("0.3")),
        ("tenths", "-0.3", Ok("0")),
        ("tiny", "-2e-20", Ok("0")),
        ("tiny", "1e-17", Ok("0.00000000000000001")),
        ("exp", "5.0e3", Ok("5000")),
        // 17 decimals of the long double nearest 4999.85, as Redis prints.
        ("exp", "-1.5E-1", Ok("4999.85000000000000009")),
        ("hex", "0x1p-1", Ok("0.5")),
        ("big", "1e308", Ok("1e308")),
        ("inf", "inf", Err("ERR increment would produce NaN or Infinity")),
        ("inf", "nan", Err("ERR value is not a valid float")),
        ("inf", "1e5000", Err("ERR value is not a valid float")),
        ("inf", " 1", Err("ERR value is not a valid float")),
        ("inf", "1e", Err("ERR value is not a valid float")),
    ];
    for &(key, by, want) in steps {
        let got = match cmd(&["INCRBYFLOAT", key, by]).query::<String>(con) {
            Ok(v) => Ok(v),
            Err(err) => Err(error_text(&err)),
        };
        match want {
            // The long double nearest 1e308, printed in full.
            Ok("1e308") => {
                let v = got.unwrap();
                assert!(v.starts_with("99999999999999999996685879655845645660") && v.len() == 308, "{v}");
            }
            _ => assert_eq!(got, want.map(String::from).map_err(String::from), "INCRBYFLOAT {key} {by}"),
        }
    }
    let sum: String = q(con, &["INCRBYFLOAT", "big", "1e308"]);
    assert!(sum.starts_with("19999999999999999999337175931169129132112019969") && sum.len() == 309, "{sum}");
    assert_eq!(q::<String>(con, &["GET", "big"]), sum);
    assert_eq!(server.stop().code(), Some(0));
}

/// A `redis-server` of the machine's own, on a free loopback port, for
/// answers to compare with; stopped (by pid) on drop.
pub(crate) struct RealRedis {
    child: std::process::Child,
    pub(crate) port: u16,
}

impl RealRedis {
    /// `None` when `redis-server` is not installed.
    pub(crate) fn start() -> Option<RealRedis> {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = std::process::Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .ok()?;
        let redis = RealRedis { child, port };
        wait_for(Duration::from_secs(10), "redis-server to answer", || redis.connect().is_some());
        Some(redis)
    }

    pub(crate) fn connect(&self) -> Option<redis::Connection> {
        let client = redis::Client::open(format!("redis://127.0.0.1:{}/", self.port)).ok()?;
        let con = client.get_connection_with_timeout(Duration::from_secs(1)).ok()?;
        con.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
        Some(con)
    }
}

impl Drop for RealRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A deterministic xorshift, so that a failure names its inputs.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, from: &'a [T]) -> &'a T {
        &from[self.below(from.len())]
    }

    fn bytes(&mut self, alphabet: &[u8], max: usize) -> Vec<u8> {
        let n = self.below(max + 1);
        (0..n).map(|_| *self.pick(alphabet)).collect()
    }
}

/// The reply to `args` as a comparable value: its strings (sorted, for an
/// array), or the error text.
fn answer(con: &mut redis::Connection, args: &[&[u8]]) -> Result<Vec<Vec<u8>>, String> {
    fn bytes(v: &redis::Value) -> Vec<u8> {
        match v {
            redis::Value::Okay => b"OK".to_vec(),
            v => redis::from_redis_value(v).unwrap(),
        }
    }
    let mut c = redis::cmd(std::str::from_utf8(args[0]).unwrap());
    for a in &args[1..] {
        c.arg(*a);
    }
    match c.query::<redis::Value>(con) {
        Ok(redis::Value::Array(items)) => {
            let mut out: Vec<Vec<u8>> = items.iter().map(bytes).collect();
            out.sort();
            Ok(out)
        }
        Ok(v) => Ok(vec![bytes(&v)]),
        Err(err) => Err(error_text(&err)),
    }
}

#[test]
fn patterns_and_floats_agree_with_a_real_redis_server() {
    let Some(real) = RealRedis::start() else {
        eprintln!("redis-server is not installed: nothing to compare with");
        return;
    };
    let server = start(&[]);
    let ours = &mut connect(&server);
    let theirs = &mut real.connect().unwrap();
    let mut rng = Rng(0x5eed_1234_abcd_0001);

    let key_bytes = b"ab]^-\\*?[Az\xff\x80";
    let mut keys: Vec<Vec<u8>> = vec![Vec::new()];
    keys.extend((0..200).map(|_| rng.bytes(key_bytes, 6)));
    for k in &keys {
        for con in [&mut *ours, &mut *theirs] {
            answer(con, &[b"SET", k, b"1"]).unwrap();
        }
    }
    let pattern_bytes = b"ab**?[]^-\\Az\xff\x80";
    for _ in 0..2000 {
        let pattern = rng.bytes(pattern_bytes, 8);
        let args: [&[u8]; 2] = [b"KEYS", &pattern];
        assert_eq!(answer(ours, &args), answer(theirs, &args), "KEYS {:?}", String::from_utf8_lossy(&pattern));
    }

    let increments: &[&str] = &[
        "0.1",
        "-0.3",
        "1",
        "1e-5",
        "3.3333333333333333",
        "0.02439024390243902",
        "-7e10",
        "1.5e-17",
        "5e-18",
        "1e308",
        "-1e308",
        "1e4932",
        "-1e4932",
        "0x1.8p3",
        "inf",
        "-inf",
        "nan",
        "1e5000",
        "1e-5000",
        "abc",
        " 1",
        "1.",
        ".5",
        "+2",
        "-0",
        "123456789012345678901234567890",
        "9.99999999999999999999e-1",
        "0x",
        "1e",
    ];
    for i in 0..600 {
        let key = format!("f{}", i % 7);
        let by = if rng.below(3) == 0 {
            let digits = rng.bytes(b"0123456789", 18);
            let exp = rng.below(80) as i64 - 40;
            format!(
                "{}{}.{}e{exp}",
                if rng.below(2) == 0 { "-" } else { "" },
                rng.below(10),
                String::from_utf8(digits).unwrap()
            )
        } else {
            rng.pick(increments).to_string()
        };
        let args: [&[u8]; 3] = [b"INCRBYFLOAT", key.as_bytes(), by.as_bytes()];
        assert_eq!(answer(ours, &args), answer(theirs, &args), "INCRBYFLOAT {key} {by}");
    }
    assert_eq!(server.stop().code(), Some(0));
}

/// Writes from `writers` connections at once, writer `t` calling
/// `write(t, i, connection)` for i = 0, 1, ... until a write fails, until
/// at least `min` writes are acknowledged (within `limit`); then kills the
/// server with SIGKILL. What each writer's acknowledged writes returned,
/// in order, by writer.
pub(crate) fn acknowledged_until_sigkill<T: Send>(
    server: &Server,
    writers: usize,
    min: usize,
    limit: Duration,
    write: impl Fn(usize, usize, &mut redis::Connection) -> redis::RedisResult<T> + Sync,
) -> Vec<Vec<T>> {
    let count = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let threads: Vec<_> = (0..writers)
            .map(|t| {
                let (count, stop, write) = (&count, &stop, &write);
                scope.spawn(move || {
                    let con = &mut connect(server);
                    let mut mine = Vec::new();
                    for i in 0.. {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        let Ok(v) = write(t, i, con) else { break };
                        mine.push(v);
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                    mine
                })
            })
            .collect();
        wait_for(limit, "enough acknowledged writes", || count.load(Ordering::Relaxed) >= min);
        server.signal(libc::SIGKILL);
        stop.store(true, Ordering::Relaxed);
        threads.into_iter().map(|h| h.join().unwrap()).collect()
    })
}
