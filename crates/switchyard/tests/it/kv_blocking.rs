//! Blocking pops against the real binary: Redis 7.0's replies and errors
//! in RESP2 and RESP3 (the tables were taken from redis-server 7.0.15),
//! waiters served first come first served and each element once, ten
//! thousand blocked clients on a two-worker server that goes on serving,
//! timeouts, waiters that disconnect, a shutdown that answers blocked
//! clients, `BLMOVE` under concurrent readers, and pops done for waiters
//! surviving a SIGKILL under `appendfsync always`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::kv::acknowledged_until_sigkill;
use crate::support::{wait_for, Server};

fn start(extra: &[&str]) -> Server {
    let mut args = vec!["serve", "kv", "--listen", "127.0.0.1:0", "--log-level", "warn"];
    args.extend_from_slice(extra);
    Server::start(&args, 1)
}

/// A raw RESP connection: exact bytes out, one whole reply at a time in.
struct Raw {
    sock: TcpStream,
    buf: Vec<u8>,
}

impl Raw {
    fn connect(addr: SocketAddr) -> Raw {
        let sock = TcpStream::connect(addr).unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        Raw { sock, buf: Vec::new() }
    }

    fn send(&mut self, args: &[&str]) {
        let mut b = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            b.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
        }
        self.sock.write_all(&b).unwrap();
    }

    /// The next whole reply, as sent.
    fn reply(&mut self) -> String {
        loop {
            if let Some(n) = reply_len(&self.buf, 0) {
                let r: Vec<u8> = self.buf.drain(..n).collect();
                return String::from_utf8(r).unwrap();
            }
            let mut chunk = [0u8; 4096];
            let n = self.sock.read(&mut chunk).expect("a reply in time");
            assert!(n > 0, "EOF before a whole reply; have {:?}", String::from_utf8_lossy(&self.buf));
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    fn call(&mut self, args: &[&str]) -> String {
        self.send(args);
        self.reply()
    }

    /// Reads until EOF; what came.
    fn rest(&mut self) -> String {
        let mut all = std::mem::take(&mut self.buf);
        let _ = self.sock.read_to_end(&mut all);
        String::from_utf8_lossy(&all).into_owned()
    }
}

/// The length of the RESP2/RESP3 value at `at`, if whole.
fn reply_len(b: &[u8], at: usize) -> Option<usize> {
    let line_end = at + b.get(at..)?.windows(2).position(|w| w == b"\r\n")?;
    let head = std::str::from_utf8(&b[at + 1..line_end]).ok()?;
    let after = line_end + 2;
    match b[at] {
        b'+' | b'-' | b':' | b'_' | b',' | b'#' | b'(' => Some(after - at),
        b'$' | b'=' | b'!' => {
            let n: i64 = head.parse().ok()?;
            if n < 0 {
                return Some(after - at);
            }
            let end = after + n as usize + 2;
            (b.len() >= end).then_some(end - at)
        }
        b'*' | b'~' | b'>' | b'%' => {
            let n: i64 = head.parse().ok()?;
            let items = if b[at] == b'%' { n * 2 } else { n };
            let mut pos = after;
            for _ in 0..items.max(0) {
                pos += reply_len(b, pos)?;
            }
            Some(pos - at)
        }
        _ => panic!("not a RESP reply: {:?}", String::from_utf8_lossy(&b[at..])),
    }
}

fn blocked(raw: &mut Raw) -> usize {
    let info = raw.call(&["INFO", "clients"]);
    let line = info.lines().find(|l| l.starts_with("blocked_clients:")).expect("blocked_clients in INFO");
    line["blocked_clients:".len()..].trim().parse().unwrap()
}

#[track_caller]
fn wait_blocked(raw: &mut Raw, n: usize) {
    wait_for(Duration::from_secs(30), &format!("{n} blocked clients"), || blocked(raw) == n);
}

const RESP2: &[(&str, &str)] = &[
    ("RPUSH l a b c", ":3\r\n"),
    ("BLPOP l 0", "*2\r\n$1\r\nl\r\n$1\r\na\r\n"),
    ("BRPOP nx l 0", "*2\r\n$1\r\nl\r\n$1\r\nc\r\n"),
    ("BLPOP nx 0.01", "*-1\r\n"),
    ("BLMOVE l l2 LEFT RIGHT 0", "$1\r\nb\r\n"),
    ("BLMOVE nx l2 LEFT RIGHT 0.01", "*-1\r\n"),
    ("BRPOPLPUSH nx l2 0.01", "*-1\r\n"),
    ("BLMPOP 0 1 l2 LEFT COUNT 5", "*2\r\n$2\r\nl2\r\n*1\r\n$1\r\nb\r\n"),
    ("BLMPOP 0.01 1 nx LEFT", "*-1\r\n"),
    ("ZADD z 1 a 2 b 3 c 4 d", ":4\r\n"),
    ("BZPOPMIN z 0", "*3\r\n$1\r\nz\r\n$1\r\na\r\n$1\r\n1\r\n"),
    ("BZPOPMAX z 0", "*3\r\n$1\r\nz\r\n$1\r\nd\r\n$1\r\n4\r\n"),
    ("BZPOPMIN nx 0.01", "*-1\r\n"),
    ("BZMPOP 0.01 1 z MIN COUNT 3", "*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n"),
    ("BZMPOP 0.01 1 nx MIN", "*-1\r\n"),
    ("ZMPOP 1 nx MIN", "*-1\r\n"),
    ("MULTI", "+OK\r\n"),
    ("BLPOP nx 0", "+QUEUED\r\n"),
    ("BLMOVE nx l2 LEFT RIGHT 0", "+QUEUED\r\n"),
    ("BRPOPLPUSH nx l2 0", "+QUEUED\r\n"),
    ("BLMPOP 0 1 nx LEFT", "+QUEUED\r\n"),
    ("BZPOPMIN nx 0", "+QUEUED\r\n"),
    ("BZMPOP 0 1 nx MAX", "+QUEUED\r\n"),
    ("EXEC", "*6\r\n*-1\r\n$-1\r\n$-1\r\n*-1\r\n*-1\r\n*-1\r\n"),
    ("SET s x", "+OK\r\n"),
    ("BLPOP nx s 0", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    ("BZPOPMIN s 0", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    ("BLMOVE s l2 LEFT LEFT 0", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    ("RPUSH l q", ":1\r\n"),
    ("BLMOVE l s LEFT LEFT 0", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    ("LRANGE l 0 -1", "*1\r\n$1\r\nq\r\n"),
    ("BLMPOP 0 2 nx s LEFT", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    ("BZMPOP 0 2 nx s MIN", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    ("BLMOVE nx s LEFT LEFT 0.01", "*-1\r\n"),
    ("ZMPOP 1 s MIN", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    ("BLMPOP 0 0 l LEFT", "-ERR numkeys should be greater than 0\r\n"),
    ("BLMPOP 0 2 l LEFT", "-ERR syntax error\r\n"),
    ("BLMPOP 0 1 l MID", "-ERR syntax error\r\n"),
    ("BLMPOP 0 1 l LEFT COUNT 0", "-ERR count should be greater than 0\r\n"),
    ("BLMPOP 0 1 l LEFT COUNT", "-ERR syntax error\r\n"),
    ("BLMPOP 0 1 l LEFT COUNT 1 COUNT 2", "-ERR syntax error\r\n"),
    ("BLMPOP -1 1 l LEFT", "-ERR timeout is negative\r\n"),
    ("BLMPOP x 1 l LEFT", "-ERR timeout is not a float or out of range\r\n"),
    ("BLMPOP 0 1", "-ERR wrong number of arguments for 'blmpop' command\r\n"),
    ("BZMPOP 0 0 z MIN", "-ERR numkeys should be greater than 0\r\n"),
    ("BZMPOP 0 1 z MID", "-ERR syntax error\r\n"),
    ("ZMPOP 0 z MIN", "-ERR numkeys should be greater than 0\r\n"),
    ("ZMPOP 1 z MIN COUNT 0", "-ERR count should be greater than 0\r\n"),
    ("ZMPOP 1", "-ERR wrong number of arguments for 'zmpop' command\r\n"),
    ("ZMPOP 3 z MIN", "-ERR syntax error\r\n"),
    ("ZMPOP 2 z y MIN COUNT", "-ERR syntax error\r\n"),
    ("ZADD z 1 a 2 b", ":2\r\n"),
    ("ZMPOP 1 z MAX COUNT 10", "*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"),
    ("BLPOP", "-ERR wrong number of arguments for 'blpop' command\r\n"),
    ("BLPOP k", "-ERR wrong number of arguments for 'blpop' command\r\n"),
    ("BLMOVE a b LEFT UP 0", "-ERR syntax error\r\n"),
    ("BLMOVE a b LEFT RIGHT -1", "-ERR timeout is negative\r\n"),
    ("BZPOPMIN z x", "-ERR timeout is not a float or out of range\r\n"),
    ("BLPOP k 1e16", "-ERR timeout is negative\r\n"),
    ("BLPOP k inf", "-ERR timeout is negative\r\n"),
    ("CLIENT UNBLOCK 999", ":0\r\n"),
    ("CLIENT UNBLOCK 999 FOO", "-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR\r\n"),
    ("CLIENT UNBLOCK x", "-ERR value is not an integer or out of range\r\n"),
    ("CLIENT UNBLOCK", "-ERR wrong number of arguments for 'client|unblock' command\r\n"),
];
const RESP3: &[(&str, &str)] = &[
    ("RPUSH l a b c", ":3\r\n"),
    ("BLPOP l 0", "*2\r\n$1\r\nl\r\n$1\r\na\r\n"),
    ("BRPOP nx l 0", "*2\r\n$1\r\nl\r\n$1\r\nc\r\n"),
    ("BLPOP nx 0.01", "_\r\n"),
    ("BLMOVE l l2 LEFT RIGHT 0", "$1\r\nb\r\n"),
    ("BLMOVE nx l2 LEFT RIGHT 0.01", "_\r\n"),
    ("BRPOPLPUSH nx l2 0.01", "_\r\n"),
    ("BLMPOP 0 1 l2 LEFT COUNT 5", "*2\r\n$2\r\nl2\r\n*1\r\n$1\r\nb\r\n"),
    ("BLMPOP 0.01 1 nx LEFT", "_\r\n"),
    ("ZADD z 1 a 2 b 3 c 4 d", ":4\r\n"),
    ("BZPOPMIN z 0", "*3\r\n$1\r\nz\r\n$1\r\na\r\n,1\r\n"),
    ("BZPOPMAX z 0", "*3\r\n$1\r\nz\r\n$1\r\nd\r\n,4\r\n"),
    ("BZPOPMIN nx 0.01", "_\r\n"),
    ("BZMPOP 0.01 1 z MIN COUNT 3", "*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\nb\r\n,2\r\n*2\r\n$1\r\nc\r\n,3\r\n"),
    ("BZMPOP 0.01 1 nx MIN", "_\r\n"),
    ("ZMPOP 1 nx MIN", "_\r\n"),
    ("MULTI", "+OK\r\n"),
    ("BLPOP nx 0", "+QUEUED\r\n"),
    ("BLMOVE nx l2 LEFT RIGHT 0", "+QUEUED\r\n"),
    ("BRPOPLPUSH nx l2 0", "+QUEUED\r\n"),
    ("BLMPOP 0 1 nx LEFT", "+QUEUED\r\n"),
    ("BZPOPMIN nx 0", "+QUEUED\r\n"),
    ("BZMPOP 0 1 nx MAX", "+QUEUED\r\n"),
    ("EXEC", "*6\r\n_\r\n_\r\n_\r\n_\r\n_\r\n_\r\n"),
    ("SET s x", "+OK\r\n"),
    ("BLPOP nx s 0", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    ("BZPOPMIN s 0", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    ("BLMOVE s l2 LEFT LEFT 0", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    ("RPUSH l q", ":1\r\n"),
    ("BLMOVE l s LEFT LEFT 0", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    ("LRANGE l 0 -1", "*1\r\n$1\r\nq\r\n"),
    ("BLMPOP 0 2 nx s LEFT", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    ("BZMPOP 0 2 nx s MIN", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    ("BLMOVE nx s LEFT LEFT 0.01", "_\r\n"),
    ("ZMPOP 1 s MIN", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    ("BLMPOP 0 0 l LEFT", "-ERR numkeys should be greater than 0\r\n"),
    ("BLMPOP 0 2 l LEFT", "-ERR syntax error\r\n"),
    ("BLMPOP 0 1 l MID", "-ERR syntax error\r\n"),
    ("BLMPOP 0 1 l LEFT COUNT 0", "-ERR count should be greater than 0\r\n"),
    ("BLMPOP 0 1 l LEFT COUNT", "-ERR syntax error\r\n"),
    ("BLMPOP 0 1 l LEFT COUNT 1 COUNT 2", "-ERR syntax error\r\n"),
    ("BLMPOP -1 1 l LEFT", "-ERR timeout is negative\r\n"),
    ("BLMPOP x 1 l LEFT", "-ERR timeout is not a float or out of range\r\n"),
    ("BLMPOP 0 1", "-ERR wrong number of arguments for 'blmpop' command\r\n"),
    ("BZMPOP 0 0 z MIN", "-ERR numkeys should be greater than 0\r\n"),
    ("BZMPOP 0 1 z MID", "-ERR syntax error\r\n"),
    ("ZMPOP 0 z MIN", "-ERR numkeys should be greater than 0\r\n"),
    ("ZMPOP 1 z MIN COUNT 0", "-ERR count should be greater than 0\r\n"),
    ("ZMPOP 1", "-ERR wrong number of arguments for 'zmpop' command\r\n"),
    ("ZMPOP 3 z MIN", "-ERR syntax error\r\n"),
    ("ZMPOP 2 z y MIN COUNT", "-ERR syntax error\r\n"),
    ("ZADD z 1 a 2 b", ":2\r\n"),
    ("ZMPOP 1 z MAX COUNT 10", "*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\nb\r\n,2\r\n*2\r\n$1\r\na\r\n,1\r\n"),
    ("BLPOP", "-ERR wrong number of arguments for 'blpop' command\r\n"),
    ("BLPOP k", "-ERR wrong number of arguments for 'blpop' command\r\n"),
    ("BLMOVE a b LEFT UP 0", "-ERR syntax error\r\n"),
    ("BLMOVE a b LEFT RIGHT -1", "-ERR timeout is negative\r\n"),
    ("BZPOPMIN z x", "-ERR timeout is not a float or out of range\r\n"),
    ("BLPOP k 1e16", "-ERR timeout is negative\r\n"),
    ("BLPOP k inf", "-ERR timeout is negative\r\n"),
    ("CLIENT UNBLOCK 999", ":0\r\n"),
    ("CLIENT UNBLOCK 999 FOO", "-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR\r\n"),
    ("CLIENT UNBLOCK x", "-ERR value is not an integer or out of range\r\n"),
    ("CLIENT UNBLOCK", "-ERR wrong number of arguments for 'client|unblock' command\r\n"),
];

#[test]
fn blocking_pops_answer_and_fail_like_redis_in_both_protocols() {
    let server = start(&[]);
    for (proto, table) in [("2", RESP2), ("3", RESP3)] {
        let mut raw = Raw::connect(server.addr());
        raw.call(&["HELLO", proto]);
        raw.call(&["FLUSHALL"]);
        for (command, want) in table {
            let args: Vec<&str> = command.split(' ').collect();
            assert_eq!(raw.call(&args), *want, "RESP{proto}: {command}");
        }
    }
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn a_push_serves_the_longest_waiter_in_its_own_protocol() {
    let server = start(&[]);
    let mut admin = Raw::connect(server.addr());
    let mut first = Raw::connect(server.addr());
    let mut second = Raw::connect(server.addr());
    second.call(&["HELLO", "3"]);
    first.send(&["BLPOP", "nothing", "jobs", "0"]);
    wait_blocked(&mut admin, 1);
    second.send(&["BZPOPMIN", "jobs", "board", "0"]);
    wait_blocked(&mut admin, 2);
    assert_eq!(admin.call(&["RPUSH", "jobs", "j1", "j2"]), ":2\r\n", "the pusher's own reply counts both");
    assert_eq!(first.reply(), "*2\r\n$4\r\njobs\r\n$2\r\nj1\r\n");
    assert_eq!(admin.call(&["LRANGE", "jobs", "0", "-1"]), "*1\r\n$2\r\nj2\r\n");
    assert_eq!(admin.call(&["ZADD", "board", "1.5", "ada"]), ":1\r\n");
    assert_eq!(second.reply(), "*3\r\n$5\r\nboard\r\n$3\r\nada\r\n,1.5\r\n");
    // A pipelined command behind a blocked one waits for it.
    first.send(&["BLMOVE", "src", "dst", "LEFT", "RIGHT", "0"]);
    first.send(&["LLEN", "dst"]);
    wait_blocked(&mut admin, 1);
    // Inside a transaction the push serves only once EXEC is done, and
    // LMOVE's destination counts as pushed.
    assert_eq!(admin.call(&["MULTI"]), "+OK\r\n");
    admin.call(&["RPUSH", "tmp", "x"]);
    admin.call(&["LMOVE", "tmp", "src", "LEFT", "LEFT"]);
    admin.call(&["LLEN", "src"]);
    assert_eq!(admin.call(&["EXEC"]), "*3\r\n:1\r\n$1\r\nx\r\n:1\r\n", "the waiter took nothing inside EXEC");
    assert_eq!(first.reply(), "$1\r\nx\r\n");
    assert_eq!(first.reply(), ":1\r\n");
    assert_eq!(admin.call(&["LLEN", "src"]), ":0\r\n");
    // BLMPOP and BZMPOP with counts.
    first.send(&["BLMPOP", "0", "2", "a", "b", "RIGHT", "COUNT", "5"]);
    wait_blocked(&mut admin, 1);
    admin.call(&["RPUSH", "b", "1", "2", "3"]);
    assert_eq!(first.reply(), "*2\r\n$1\r\nb\r\n*3\r\n$1\r\n3\r\n$1\r\n2\r\n$1\r\n1\r\n");
    second.send(&["BZMPOP", "0", "1", "z", "MAX", "COUNT", "2"]);
    wait_blocked(&mut admin, 1);
    admin.call(&["ZADD", "z", "1", "a", "2", "b", "3", "c"]);
    assert_eq!(second.reply(), "*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\nc\r\n,3\r\n*2\r\n$1\r\nb\r\n,2\r\n");
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn timeouts_answer_null_and_client_unblock_ends_a_wait() {
    let server = start(&[]);
    let mut admin = Raw::connect(server.addr());
    let mut c2 = Raw::connect(server.addr());
    let mut c3 = Raw::connect(server.addr());
    c3.call(&["HELLO", "3"]);
    c2.send(&["BLPOP", "k", "0.05"]);
    c3.send(&["BLMOVE", "k", "d", "LEFT", "LEFT", "0.1"]);
    assert_eq!(c2.reply(), "*-1\r\n");
    assert_eq!(c3.reply(), "_\r\n");
    wait_blocked(&mut admin, 0);
    let id = c2.call(&["CLIENT", "ID"]);
    let id = id.trim_start_matches(':').trim();
    c2.send(&["BRPOP", "k", "0"]);
    wait_blocked(&mut admin, 1);
    let list = admin.call(&["CLIENT", "LIST"]);
    let line = list.lines().find(|l| l.starts_with(&format!("id={id} "))).unwrap();
    assert!(line.contains(" flags=b ") && line.contains(" cmd=brpop "), "{line}");
    assert_eq!(admin.call(&["CLIENT", "UNBLOCK", id, "ERROR"]), ":1\r\n");
    assert_eq!(c2.reply(), "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n");
    c2.send(&["BRPOP", "k", "0"]);
    wait_blocked(&mut admin, 1);
    assert_eq!(admin.call(&["CLIENT", "UNBLOCK", id]), ":1\r\n");
    assert_eq!(c2.reply(), "*-1\r\n");
    assert_eq!(admin.call(&["CLIENT", "UNBLOCK", id]), ":0\r\n", "no longer blocked");
    assert_eq!(c2.call(&["PING"]), "+PONG\r\n");
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn a_waiter_that_disconnects_is_forgotten() {
    let server = start(&[]);
    let mut admin = Raw::connect(server.addr());
    let mut gone = Raw::connect(server.addr());
    let mut stays = Raw::connect(server.addr());
    gone.send(&["BLPOP", "k", "0"]);
    wait_blocked(&mut admin, 1);
    stays.send(&["BLPOP", "k", "0"]);
    wait_blocked(&mut admin, 2);
    drop(gone);
    wait_blocked(&mut admin, 1);
    admin.call(&["RPUSH", "k", "x"]);
    assert_eq!(stays.reply(), "*2\r\n$1\r\nk\r\n$1\r\nx\r\n");
    assert_eq!(admin.call(&["EXISTS", "k"]), ":0\r\n", "nothing was popped for the one that left");
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn a_shutdown_answers_blocked_clients_before_closing_them() {
    let server = start(&[]);
    let mut admin = Raw::connect(server.addr());
    let mut waiters: Vec<Raw> = (0..3).map(|_| Raw::connect(server.addr())).collect();
    waiters[2].call(&["HELLO", "3"]);
    for (i, w) in waiters.iter_mut().enumerate() {
        w.send(&["BLPOP", &format!("k{i}"), "0"]);
        // Input behind a blocked command is not handled.
        w.send(&["SET", "after", "1"]);
    }
    wait_blocked(&mut admin, 3);
    server.signal(libc::SIGTERM);
    assert_eq!(waiters[0].rest(), "*-1\r\n");
    assert_eq!(waiters[1].rest(), "*-1\r\n");
    assert_eq!(waiters[2].rest(), "_\r\n");
    let mut server = server;
    assert_eq!(server.wait(Duration::from_secs(30)).code(), Some(0));
}

#[test]
fn two_hundred_waiters_on_five_keys_get_each_element_once_longest_waiter_first() {
    const KEYS: usize = 5;
    const WAITERS: usize = 200;
    const PUSHERS: usize = 20;
    let server = start(&["--workers", "2"]);
    let mut admin = Raw::connect(server.addr());
    let mut waiters = Vec::new();
    for i in 0..WAITERS {
        let mut w = Raw::connect(server.addr());
        w.send(&["BRPOP", &format!("q{}", i % KEYS), "0"]);
        // Each joins its key's queue before the next: arrival order.
        wait_blocked(&mut admin, i + 1);
        waiters.push(w);
    }
    // Pusher p's j-th element goes to key j % KEYS: 40 per key in all.
    let per_pusher = WAITERS / PUSHERS;
    std::thread::scope(|s| {
        for p in 0..PUSHERS {
            let addr = server.addr();
            s.spawn(move || {
                let mut c = Raw::connect(addr);
                for j in 0..per_pusher {
                    let reply = c.call(&["LPUSH", &format!("q{}", j % KEYS), &format!("{p}:{j}")]);
                    assert!(reply.starts_with(':'), "{reply}");
                }
            });
        }
    });
    let mut got: BTreeMap<usize, Vec<(usize, usize)>> = BTreeMap::new();
    let mut all = BTreeSet::new();
    for (i, w) in waiters.iter_mut().enumerate() {
        let r = w.reply();
        let lines: Vec<&str> = r.split("\r\n").collect();
        assert_eq!(lines[2], format!("q{}", i % KEYS), "{r}");
        let (p, j) = lines[4].split_once(':').unwrap();
        let (p, j): (usize, usize) = (p.parse().unwrap(), j.parse().unwrap());
        assert_eq!(j % KEYS, i % KEYS, "element of another key: {r}");
        assert!(all.insert((p, j)), "{p}:{j} delivered twice");
        got.entry(i % KEYS).or_default().push((p, j));
    }
    assert_eq!(all.len(), WAITERS, "every element delivered");
    // Each key's waiters, in arrival order, got each pusher's elements
    // in the order it pushed them.
    for (key, elems) in got {
        for p in 0..PUSHERS {
            let order: Vec<usize> = elems.iter().filter(|e| e.0 == p).map(|e| e.1).collect();
            assert!(order.windows(2).all(|w| w[0] < w[1]), "key q{key}, pusher {p}: {order:?}");
        }
    }
    assert_eq!(blocked(&mut admin), 0);
    for k in 0..KEYS {
        assert_eq!(admin.call(&["EXISTS", &format!("q{k}")]), ":0\r\n");
    }
    assert_eq!(server.stop().code(), Some(0));
}

/// Raises this process's soft open-file limit to its hard one; the limit.
fn raise_fd_limit() -> u64 {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit and setrlimit write and read the struct given.
    unsafe {
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
        lim.rlim_cur = lim.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
    }
    lim.rlim_cur
}

#[test]
fn ten_thousand_blocked_clients_leave_a_two_worker_server_serving() {
    // Each blocked client costs a descriptor here and one in the server;
    // with a lower hard limit the count shrinks to fit, and says so.
    let limit = raise_fd_limit();
    let clients = 10_000.min(limit.saturating_sub(200) as usize);
    if clients < 10_000 {
        eprintln!("RLIMIT_NOFILE is {limit}: {clients} blocked clients instead of 10,000");
    }
    let server = start(&["--workers", "2", "--max-connections", "10100"]);
    let mut admin = Raw::connect(server.addr());
    let mut waiters = Vec::with_capacity(clients);
    for i in 0..clients {
        let mut w = Raw::connect(server.addr());
        w.send(&["BLPOP", &format!("idle:{i}"), "0"]);
        waiters.push(w);
    }
    wait_blocked(&mut admin, clients);
    // Everyone else is served as before, by both workers.
    std::thread::scope(|s| {
        for t in 0..4 {
            let addr = server.addr();
            s.spawn(move || {
                let mut c = Raw::connect(addr);
                for i in 0..200 {
                    let v = format!("{t}:{i}");
                    assert_eq!(c.call(&["SET", &format!("k{t}"), &v]), "+OK\r\n");
                    assert_eq!(c.call(&["GET", &format!("k{t}")]), format!("${}\r\n{v}\r\n", v.len()));
                    // A command that goes to a worker, not the I/O thread.
                    assert_eq!(c.call(&["LRANGE", "none", "0", "-1"]), "*0\r\n");
                }
            });
        }
    });
    admin.call(&["RPUSH", &format!("idle:{}", clients - 1), "last"]);
    let last = waiters.last_mut().unwrap();
    assert_eq!(
        last.reply(),
        format!("*2\r\n${}\r\nidle:{}\r\n$4\r\nlast\r\n", format!("idle:{}", clients - 1).len(), clients - 1)
    );
    drop(waiters);
    wait_blocked(&mut admin, 0);
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn blmove_under_concurrent_readers_never_shows_an_element_in_both_lists_or_neither() {
    const N: usize = 50;
    let server = start(&["--workers", "2"]);
    let mut admin = Raw::connect(server.addr());
    let elems: Vec<String> = (0..N).map(|i| format!("e{i}")).collect();
    let mut push = vec!["RPUSH", "a"];
    push.extend(elems.iter().map(String::as_str));
    admin.call(&push);
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        for (from, to) in [("a", "b"), ("b", "a"), ("a", "b")] {
            let (addr, stop) = (server.addr(), &stop);
            s.spawn(move || {
                let mut c = Raw::connect(addr);
                while !stop.load(Ordering::Relaxed) {
                    c.call(&["BLMOVE", from, to, "RIGHT", "LEFT", "0.01"]);
                }
            });
        }
        let mut reader = Raw::connect(server.addr());
        for _ in 0..300 {
            reader.send(&["MULTI"]);
            reader.send(&["LRANGE", "a", "0", "-1"]);
            reader.send(&["LRANGE", "b", "0", "-1"]);
            reader.send(&["EXEC"]);
            for _ in 0..3 {
                reader.reply();
            }
            let exec = reader.reply();
            let mut seen: Vec<&str> = exec.split("\r\n").filter(|l| l.starts_with('e')).collect();
            seen.sort_unstable();
            let mut want: Vec<&str> = elems.iter().map(String::as_str).collect();
            want.sort_unstable();
            assert_eq!(seen, want, "{exec}");
        }
        stop.store(true, Ordering::Relaxed);
    });
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn pops_done_for_waiters_survive_a_sigkill_under_appendfsync_always() {
    let dir = std::env::temp_dir().join(format!("switchyard-kv-blocking-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("appendonly.aof");
    let path = log.to_str().unwrap();
    let server = start(&["--appendonly", path, "--appendfsync", "always"]);
    const QUEUES: usize = 4;
    let received: Vec<Vec<String>> = std::thread::scope(|s| {
        let waiters: Vec<_> = (0..QUEUES)
            .map(|t| {
                let addr = server.addr();
                s.spawn(move || {
                    let mut c = Raw::connect(addr);
                    let mut got = Vec::new();
                    loop {
                        c.send(&["BLPOP", &format!("q:{t}"), "0"]);
                        let mut reply = Vec::new();
                        let whole = loop {
                            if let Some(n) = reply_len(&reply, 0) {
                                break Some(n);
                            }
                            let mut chunk = [0u8; 512];
                            match c.sock.read(&mut chunk) {
                                Ok(n) if n > 0 => reply.extend_from_slice(&chunk[..n]),
                                _ => break None,
                            }
                        };
                        let Some(_) = whole else { return got };
                        let text = String::from_utf8(reply).unwrap();
                        got.push(text.split("\r\n").nth(4).unwrap().to_string());
                    }
                })
            })
            .collect();
        let pushed = acknowledged_until_sigkill(&server, QUEUES, 400, Duration::from_secs(30), |t, i, con| {
            // Half the pushes go to a list nobody waits on, so that the
            // lists hold something at the kill too.
            let key = if i % 2 == 0 { format!("q:{t}") } else { format!("kept:{t}") };
            redis::cmd("RPUSH").arg(&key).arg(format!("{t}:{i}")).query::<i64>(con).map(|_| (key, format!("{t}:{i}")))
        });
        let got: Vec<Vec<String>> = waiters.into_iter().map(|h| h.join().unwrap()).collect();
        drop(server);
        let server = start(&["--appendonly", path]);
        let mut c = Raw::connect(server.addr());
        for (t, writes) in pushed.into_iter().enumerate() {
            let list = c.call(&["LRANGE", &format!("q:{t}"), "0", "-1"]);
            let left: BTreeSet<&str> = list.split("\r\n").filter(|l| l.contains(':')).collect();
            for g in &got[t] {
                assert!(!left.contains(g.as_str()), "{g} was popped for a waiter, and is back after the restart");
            }
            let kept = c.call(&["LRANGE", &format!("kept:{t}"), "0", "-1"]);
            // An element popped for the waiter whose reply the kill cut
            // off is in neither place: at most one per queue.
            let mut in_flight = Vec::new();
            for (key, v) in writes {
                if key.starts_with("kept") {
                    assert!(kept.contains(&format!("\r\n{v}\r\n")), "acknowledged push {v} lost");
                } else if !left.contains(v.as_str()) && !got[t].contains(&v) {
                    in_flight.push(v);
                }
            }
            assert!(in_flight.len() <= 1, "acknowledged pushes lost: {in_flight:?}");
        }
        assert_eq!(server.stop().code(), Some(0));
        got
    });
    assert!(received.iter().map(Vec::len).sum::<usize>() > 0, "waiters were served");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn blocking_pops_work_inline_and_with_direct_responses() {
    for mode in [&["--workers", "0"][..], &["--respond", "direct", "--workers", "1"]] {
        let server = start(mode);
        let mut admin = Raw::connect(server.addr());
        let mut waiter = Raw::connect(server.addr());
        waiter.send(&["BLPOP", "k", "0"]);
        waiter.send(&["PING"]);
        wait_blocked(&mut admin, 1);
        assert_eq!(admin.call(&["RPUSH", "k", "v"]), ":1\r\n", "{mode:?}");
        assert_eq!(waiter.reply(), "*2\r\n$1\r\nk\r\n$1\r\nv\r\n", "{mode:?}");
        assert_eq!(waiter.reply(), "+PONG\r\n", "{mode:?}");
        assert_eq!(waiter.call(&["BRPOP", "k", "0.05"]), "*-1\r\n", "{mode:?}");
        assert_eq!(server.stop().code(), Some(0));
    }
}

#[test]
fn a_redis_client_blocks_and_is_served_as_by_redis() {
    let server = start(&[]);
    let open = || {
        let client = redis::Client::open(format!("redis://{}/", server.addr())).unwrap();
        let con = client.get_connection_with_timeout(Duration::from_secs(10)).unwrap();
        con.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        con
    };
    let mut admin = Raw::connect(server.addr());
    std::thread::scope(|s| {
        let list = s.spawn(|| {
            let mut con = open();
            redis::cmd("BLPOP").arg("jobs").arg(5).query::<Option<(String, String)>>(&mut con).unwrap()
        });
        wait_blocked(&mut admin, 1);
        let zset = s.spawn(|| {
            let mut con = open();
            redis::cmd("BZPOPMAX").arg("board").arg(5).query::<Option<(String, String, f64)>>(&mut con).unwrap()
        });
        wait_blocked(&mut admin, 2);
        let mut con = open();
        redis::cmd("RPUSH").arg("jobs").arg("j1").query::<i64>(&mut con).unwrap();
        redis::cmd("ZADD").arg("board").arg(2.5).arg("ada").query::<i64>(&mut con).unwrap();
        assert_eq!(list.join().unwrap(), Some(("jobs".to_string(), "j1".to_string())));
        assert_eq!(zset.join().unwrap(), Some(("board".to_string(), "ada".to_string(), 2.5)));
        let none: Option<(String, String)> = redis::cmd("BRPOP").arg("jobs").arg(0.05).query(&mut con).unwrap();
        assert_eq!(none, None, "a timeout is nil");
        let moved: Option<String> =
            redis::cmd("BLMOVE").arg("jobs").arg("done").arg("LEFT").arg("RIGHT").arg(0.05).query(&mut con).unwrap();
        assert_eq!(moved, None);
    });
    assert_eq!(server.stop().code(), Some(0));
}
