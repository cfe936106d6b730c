//! Tests of kv's handshake and access rules: `HELLO` and RESP3 replies,
//! `AUTH` and `requirepass`, protected mode. Exact bytes over raw sockets,
//! compared with a real `redis-server` where one is installed, and the
//! clients people use with their defaults (redis-py, the `redis` crate).

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::support::{wait_for, Server};

pub(crate) fn start(extra: &[&str]) -> Server {
    let mut args = vec!["serve", "kv", "--listen", "127.0.0.1:0", "--log-level", "info"];
    args.extend_from_slice(extra);
    Server::start(&args, 1)
}

/// A server with its admin listener too (`addrs[1]`), for `/metrics`.
pub(crate) fn start_with_admin(listen: &str, extra: &[&str]) -> Server {
    let mut args = vec!["serve", "kv", "--listen", listen, "--admin", "127.0.0.1:0", "--log-level", "info"];
    args.extend_from_slice(extra);
    Server::start(&args, 2)
}

pub(crate) fn metrics(server: &Server) -> String {
    crate::admin::get(server.addrs[1], "/metrics").body
}

/// A raw RESP connection that reads one whole reply, RESP2 or RESP3.
pub(crate) struct Raw {
    pub(crate) s: TcpStream,
    buf: Vec<u8>,
}

impl Raw {
    pub(crate) fn connect(addr: SocketAddr) -> Raw {
        let s = TcpStream::connect_timeout(&addr, Duration::from_secs(10)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        Raw { s, buf: Vec::new() }
    }

    /// Sends a command (words split at spaces) and returns its reply's bytes.
    #[track_caller]
    pub(crate) fn call(&mut self, line: &str) -> Vec<u8> {
        self.call_args(&line.split(' ').collect::<Vec<_>>())
    }

    #[track_caller]
    pub(crate) fn call_args(&mut self, args: &[&str]) -> Vec<u8> {
        let mut req = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            req.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
        }
        self.s.write_all(&req).unwrap();
        self.reply()
    }

    /// One reply's bytes.
    #[track_caller]
    pub(crate) fn reply(&mut self) -> Vec<u8> {
        loop {
            if let Some(n) = reply_len(&self.buf) {
                return self.buf.drain(..n).collect();
            }
            let mut chunk = [0u8; 16384];
            let n = self.s.read(&mut chunk).expect("a reply");
            assert!(n > 0, "closed before a whole reply; have {:?}", String::from_utf8_lossy(&self.buf));
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// Everything until the server closes the connection.
    pub(crate) fn rest(&mut self) -> Vec<u8> {
        let mut all = std::mem::take(&mut self.buf);
        let _ = self.s.read_to_end(&mut all);
        all
    }
}

/// The length of the first whole reply in `b`, if it is all there.
fn reply_len(b: &[u8]) -> Option<usize> {
    let line_end = b.windows(2).position(|w| w == b"\r\n")?;
    let head = std::str::from_utf8(&b[1..line_end]).unwrap();
    let after = line_end + 2;
    let n = || head.parse::<i64>().unwrap();
    match b[0] {
        b'+' | b'-' | b':' | b'_' | b',' | b'#' | b'(' => Some(after),
        b'$' | b'=' | b'!' if n() < 0 => Some(after),
        b'$' | b'=' | b'!' => (b.len() >= after + n() as usize + 2).then_some(after + n() as usize + 2),
        b'*' | b'~' | b'>' | b'%' if n() < 0 => Some(after),
        kind @ (b'*' | b'~' | b'>' | b'%') => {
            let items = n() as usize * if kind == b'%' { 2 } else { 1 };
            let mut at = after;
            for _ in 0..items {
                at += reply_len(&b[at..])?;
            }
            Some(at)
        }
        other => panic!("not a reply: {:?} in {:?}", other as char, String::from_utf8_lossy(b)),
    }
}

pub(crate) fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `HELLO`'s reply, as Redis 7.0 gives it.
fn hello_reply(proto: i64, id: i64) -> String {
    let head = if proto == 3 { "%7".to_string() } else { "*14".to_string() };
    format!(
        "{head}\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:{proto}\r\n\
         $2\r\nid\r\n:{id}\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n"
    )
}

fn client_id(c: &mut Raw) -> i64 {
    let r = text(&c.call("CLIENT ID"));
    r.trim_start_matches(':').trim_end().parse().unwrap()
}

#[test]
fn hello_picks_the_protocol_of_its_own_connection_only() {
    let server = start(&[]);
    let mut three = Raw::connect(server.addr());
    let mut two = Raw::connect(server.addr());
    let id = client_id(&mut three);
    assert_eq!(text(&three.call("HELLO 3")), hello_reply(3, id));
    assert_eq!(three.call("GET nokey"), b"_\r\n");
    assert_eq!(two.call("GET nokey"), b"$-1\r\n", "the other connection still speaks RESP2");
    assert_eq!(three.call("MGET nokey nokey"), b"*2\r\n_\r\n_\r\n");
    assert_eq!(two.call("MGET nokey nokey"), b"*2\r\n$-1\r\n$-1\r\n");
    assert_eq!(three.call("CONFIG GET maxmemory"), b"%1\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n");
    assert_eq!(two.call("CONFIG GET maxmemory"), b"*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n");
    assert_eq!(three.call("CLIENT GETNAME"), b"_\r\n");
    assert_eq!(three.call("COMMAND INFO nosuch"), b"*1\r\n_\r\n");
    assert_eq!(two.call("COMMAND INFO nosuch"), b"*1\r\n*-1\r\n");
    assert!(text(&three.call("CLIENT INFO")).starts_with("=") && text(&three.call("CLIENT INFO")).contains("resp=3"));
    assert!(text(&two.call("CLIENT INFO")).contains("resp=2"));
    assert!(text(&three.call("INFO server")).starts_with("="), "INFO is verbatim text under RESP3");
    assert!(text(&three.call("COMMAND INFO get"))
        .starts_with("*1\r\n*10\r\n$3\r\nget\r\n:2\r\n~2\r\n+readonly\r\n+fast\r\n"));

    // Errors leave the protocol as it was.
    assert_eq!(three.call("HELLO 4"), b"-NOPROTO unsupported protocol version\r\n");
    assert_eq!(three.call("HELLO 1"), b"-NOPROTO unsupported protocol version\r\n");
    assert_eq!(three.call("HELLO x"), b"-ERR Protocol version is not an integer or out of range\r\n");
    assert_eq!(three.call("HELLO 3 FOO"), b"-ERR Syntax error in HELLO option 'FOO'\r\n");
    assert_eq!(three.call("HELLO 3 AUTH default"), b"-ERR Syntax error in HELLO option 'AUTH'\r\n");
    assert_eq!(three.call("HELLO 2 SETNAME a b"), b"-ERR Syntax error in HELLO option 'b'\r\n");
    assert_eq!(
        three.call_args(&["HELLO", "2", "SETNAME", "a b"]),
        b"-ERR Client names cannot contain spaces, newlines or special characters.\r\n"
    );
    assert_eq!(three.call("GET nokey"), b"_\r\n");

    // Without a version HELLO answers in the protocol in use; SETNAME names.
    assert_eq!(text(&three.call("HELLO")), hello_reply(3, id));
    assert_eq!(text(&three.call("HELLO 2 SETNAME named")), hello_reply(2, id));
    assert_eq!(three.call("GET nokey"), b"$-1\r\n");
    assert_eq!(three.call("CLIENT GETNAME"), b"$5\r\nnamed\r\n");
    // Any password is right for the default user while none is set; another user is not.
    assert_eq!(text(&three.call("HELLO 3 AUTH default whatever")), hello_reply(3, id));
    assert_eq!(three.call("HELLO 3 AUTH bob x"), b"-WRONGPASS invalid username-password pair or user is disabled.\r\n");
    assert_eq!(server.stop().code(), Some(0));
}

/// A `redis-server` of the machine's own on a free loopback port, stopped
/// (by pid) on drop; `None` when it is not installed.
pub(crate) struct RealRedis {
    child: Child,
    port: u16,
}

impl RealRedis {
    pub(crate) fn start(extra: &[&str]) -> Option<RealRedis> {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        wait_for(Duration::from_secs(10), "redis-server to answer", || TcpStream::connect(addr).is_ok());
        Some(RealRedis { child, port })
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        ([127, 0, 0, 1], self.port).into()
    }
}

impl Drop for RealRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `script` (one command a line; `#` opens a comment) on a fresh
/// connection to each server and asserts the same replies, byte for byte.
#[track_caller]
fn same_replies(ours: SocketAddr, theirs: SocketAddr, script: &[&str]) {
    let mut a = Raw::connect(ours);
    let mut b = Raw::connect(theirs);
    for line in script {
        let (mine, real) = (a.call(line), b.call(line));
        assert_eq!(without_id(&mine), without_id(&real), "{line}");
    }
}

/// A reply's text with the client id of a `HELLO` reply taken out: the
/// servers number their connections differently.
fn without_id(reply: &[u8]) -> String {
    let t = text(reply);
    match t.split_once("$2\r\nid\r\n:") {
        Some((head, tail)) => format!("{head}$2\r\nid\r\n:ID{}", &tail[tail.find('\r').unwrap()..]),
        None => t,
    }
}

/// Commands whose replies do not depend on ids, clocks or addresses.
const COMPARABLE: &[&str] = &[
    "FLUSHALL",
    "SET k v",
    "GET k",
    "GET nokey",
    "MGET k nokey",
    "SET k w GET",
    "SET n 1 NX GET",
    "SET n 2 NX GET",
    "SET k x XX GET",
    "GETDEL nokey",
    "GETEX nokey",
    "GETSET nokey v",
    "DEL nokey",
    "INCRBYFLOAT f 1.5",
    "INCR i",
    "TTL k",
    "EXPIRETIME k",
    "EXISTS k nokey",
    "TYPE k",
    "SCAN 0 MATCH nomatch*",
    "KEYS nomatch*",
    "CONFIG GET maxmemory",
    "CONFIG GET maxmemory-policy",
    "CONFIG GET databases",
    "CONFIG GET nosuchparameter",
    "CONFIG SET protected-mode maybe",
    "CLIENT GETNAME",
    "CLIENT SETNAME x",
    "CLIENT GETNAME",
    "CLIENT NO-EVICT on",
    "CLIENT NO-EVICT off",
    "CLIENT NO-EVICT maybe",
    "CLIENT KILL ID 999999",
    "CLIENT KILL ADDR 1.2.3.4:5",
    "CLIENT KILL LADDR 1.2.3.4:5",
    "CLIENT KILL 1.2.3.4:5",
    "CLIENT KILL ID x",
    "CLIENT KILL FOO bar",
    "CLIENT KILL SKIPME maybe",
    "CLIENT KILL SKIPME yes",
    "HELLO 4",
    "HELLO 3 FOO",
    "AUTH x",
    "AUTH bob x",
    "AUTH a b c",
    "FLUSHALL",
    "RANDOMKEY",
];

#[test]
fn replies_match_a_real_redis_server_under_both_protocols() {
    let Some(real) = RealRedis::start(&[]) else {
        eprintln!("redis-server is not installed: nothing to compare with");
        return;
    };
    let server = start(&[]);
    same_replies(server.addr(), real.addr(), COMPARABLE);
    let resp3: Vec<&str> = std::iter::once("HELLO 3 SETNAME x").chain(COMPARABLE.iter().copied()).collect();
    let mut a = Raw::connect(server.addr());
    let mut b = Raw::connect(real.addr());
    for (i, line) in resp3.iter().enumerate() {
        let (mine, theirs) = (a.call(line), b.call(line));
        assert_eq!(without_id(&mine), without_id(&theirs), "{line} under RESP3 (line {i})");
    }
    assert_eq!(server.stop().code(), Some(0));
}

/// Collection commands whose replies are deterministic (random picks from
/// one-element collections), for the shapes Redis 7 gives each under
/// RESP2 and RESP3: pairs, doubles, maps, sets and nulls.
const COLLECTION_SCRIPT: &[&str] = &[
    "FLUSHALL",
    "ZADD z 1 a 2.5 b -3 c inf d",
    "ZRANGE z 0 -1 WITHSCORES",
    "ZRANGE z 0 -1",
    "ZRANGE z (1 +inf BYSCORE WITHSCORES",
    "ZRANGE z 0 -1 REV WITHSCORES",
    "ZRANGEBYSCORE z -inf +inf WITHSCORES",
    "ZREVRANGEBYSCORE z +inf -inf WITHSCORES LIMIT 0 2",
    "ZREVRANGE z 0 1 WITHSCORES",
    "ZRANGE nothing 0 -1 WITHSCORES",
    "ZSCORE z b",
    "ZSCORE z d",
    "ZSCORE z nothing",
    "ZINCRBY z 0.1 a",
    "ZMSCORE z a nothing c",
    "ZMSCORE nothing a",
    "ZADD z INCR 1 c",
    "ZADD z NX INCR 1 c",
    "ZRANK z a",
    "ZRANK z nothing",
    "ZADD one 7 only",
    "ZRANDMEMBER one -2 WITHSCORES",
    "ZRANDMEMBER one 1 WITHSCORES",
    "ZRANDMEMBER one 1",
    "ZRANDMEMBER one",
    "ZRANDMEMBER nothing 2 WITHSCORES",
    "ZRANDMEMBER nothing",
    "ZPOPMIN z",
    "ZPOPMIN z 1",
    "ZPOPMAX z 2",
    "ZPOPMIN nothing",
    "ZPOPMIN nothing 2",
    "ZSCAN one 0",
    "ZADD z5 1e300 big 0.1 tenth",
    "ZRANGE z5 0 -1 WITHSCORES",
    "HSET h f v",
    "HGETALL h",
    "HGETALL nothing",
    "HRANDFIELD h -2 WITHVALUES",
    "HRANDFIELD h 1 WITHVALUES",
    "HRANDFIELD h 1",
    "HRANDFIELD h",
    "HRANDFIELD nothing 1 WITHVALUES",
    "HRANDFIELD nothing",
    "HSCAN h 0",
    "HKEYS h",
    "HVALS nothing",
    "HMGET h f nope",
    "HGET h nope",
    "HINCRBYFLOAT h n 1.5",
    "SADD s 1",
    "SMEMBERS s",
    "SMEMBERS nothing",
    "SINTER s s",
    "SUNION s nothing",
    "SDIFF s nothing",
    "SRANDMEMBER s 5",
    "SRANDMEMBER s -2",
    "SRANDMEMBER nothing 3",
    "SRANDMEMBER nothing",
    "SSCAN s 0",
    "SMISMEMBER s 1 9",
    "SPOP s 5",
    "SPOP nothing 2",
    "SPOP nothing",
    "RPUSH l a b",
    "LPOP l 5",
    "LPOP nothing 2",
    "LPOP nothing",
    "LMPOP 1 nothing LEFT",
    "LRANGE nothing 0 -1",
    "LINDEX nothing 0",
    "LPOS nothing a",
    "RPOPLPUSH nothing other",
    "CONFIG GET hash-max-listpack-entries",
    "CONFIG GET hash-max-ziplist-value",
    "CONFIG GET list-max-listpack-size",
    "CONFIG GET list-max-ziplist-size",
    "CONFIG GET zset-max-listpack-entries",
    "CONFIG GET set-max-intset-entries",
    "CONFIG SET list-max-listpack-size 2147483648",
    "CONFIG SET hash-max-listpack-entries -1",
    "CONFIG SET set-max-intset-entries many",
    "OBJECT ENCODING h",
    "OBJECT ENCODING z",
    "SADD ints 1 2 3",
    "OBJECT ENCODING ints",
];

#[test]
fn collection_replies_match_a_real_redis_server_under_both_protocols() {
    let server = start(&[]);
    // The shapes themselves, so that they are checked without a Redis too.
    let mut three = Raw::connect(server.addr());
    let mut two = Raw::connect(server.addr());
    three.call("HELLO 3");
    for c in ["ZADD z 1 a 2.5 b", "HSET h f v", "SADD s m"] {
        two.call(c);
    }
    let pairs3 = "*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2.5\r\n";
    let flat2 = "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$3\r\n2.5\r\n";
    for range in ["ZRANGE z 0 -1 WITHSCORES", "ZRANGEBYSCORE z -inf +inf WITHSCORES"] {
        assert_eq!(text(&three.call(range)), pairs3, "{range}");
        assert_eq!(text(&two.call(range)), flat2, "{range}");
    }
    assert_eq!(text(&three.call("ZSCORE z b")), ",2.5\r\n");
    assert_eq!(text(&two.call("ZSCORE z b")), "$3\r\n2.5\r\n");
    assert_eq!(text(&three.call("ZMSCORE z a x")), "*2\r\n,1\r\n_\r\n");
    assert_eq!(text(&two.call("ZMSCORE z a x")), "*2\r\n$1\r\n1\r\n$-1\r\n");
    assert_eq!(text(&three.call("ZRANDMEMBER z -1 WITHSCORES")).matches("*2\r\n").count(), 1);
    assert_eq!(text(&three.call("HGETALL h")), "%1\r\n$1\r\nf\r\n$1\r\nv\r\n");
    assert_eq!(text(&two.call("HGETALL h")), "*2\r\n$1\r\nf\r\n$1\r\nv\r\n");
    assert_eq!(text(&three.call("HRANDFIELD h -1 WITHVALUES")), "*1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n");
    assert_eq!(text(&two.call("HRANDFIELD h -1 WITHVALUES")), "*2\r\n$1\r\nf\r\n$1\r\nv\r\n");
    assert_eq!(text(&three.call("SMEMBERS s")), "~1\r\n$1\r\nm\r\n");
    assert_eq!(text(&two.call("SMEMBERS s")), "*1\r\n$1\r\nm\r\n");
    assert_eq!(text(&three.call("ZPOPMIN z 1")), "*1\r\n*2\r\n$1\r\na\r\n,1\r\n");
    assert_eq!(text(&three.call("ZPOPMIN z")), "*2\r\n$1\r\nb\r\n,2.5\r\n");
    assert_eq!(text(&three.call("LPOP nothing 2")), "_\r\n");
    assert_eq!(text(&two.call("LPOP nothing 2")), "*-1\r\n");

    let Some(real) = RealRedis::start(&[]) else {
        eprintln!("redis-server is not installed: nothing to compare with");
        return;
    };
    same_replies(server.addr(), real.addr(), COLLECTION_SCRIPT);
    let resp3: Vec<&str> = std::iter::once("HELLO 3 SETNAME x").chain(COLLECTION_SCRIPT.iter().copied()).collect();
    let mut a = Raw::connect(server.addr());
    let mut b = Raw::connect(real.addr());
    for (i, line) in resp3.iter().enumerate() {
        let (mine, theirs) = (a.call(line), b.call(line));
        assert_eq!(without_id(&mine), without_id(&theirs), "{line} under RESP3 (line {i})");
    }
    assert_eq!(server.stop().code(), Some(0));
}

const AUTH_SCRIPT: &[&str] = &[
    "GET a",
    "PING",
    "CLIENT ID",
    "SELECT 1",
    "NOSUCHCOMMAND",
    "GET",
    "HELLO",
    "HELLO 3",
    "HELLO 3 AUTH default wrong",
    "HELLO 3 AUTH bob sekret",
    "AUTH wrong",
    "AUTH default wrong",
    "AUTH bob sekret",
    "AUTH a b c",
    "GET a",
    "AUTH sekret",
    "GET a",
    "AUTH default sekret",
    "HELLO 3 AUTH default sekret SETNAME foo",
    "CLIENT GETNAME",
    "GET a",
    "AUTH wrong",
    "GET a",
    "CONFIG GET requirepass",
];

#[test]
fn requirepass_answers_as_redis_does() {
    let Some(real) = RealRedis::start(&["--requirepass", "sekret"]) else {
        eprintln!("redis-server is not installed: nothing to compare with");
        return;
    };
    let server = start(&["--requirepass", "sekret"]);
    let ours = server.addr();
    // The script's HELLO replies hold the client id, the same in both: each
    // server's first connection.
    same_replies(ours, real.addr(), AUTH_SCRIPT);
    // QUIT needs no password either.
    same_replies(ours, real.addr(), &["QUIT"]);
    assert!(server.stderr().contains("authentication failed"), "the failure is logged");
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn a_password_set_at_run_time_holds_for_new_connections_only() {
    let server = start_with_admin("127.0.0.1:0", &[]);
    let mut old = Raw::connect(server.addr());
    assert_eq!(
        old.call("AUTH x"),
        b"-ERR AUTH <password> called without any password configured for the default user. Are you sure your \
          configuration is correct?\r\n"
            .as_slice()
    );
    assert_eq!(old.call("CONFIG SET requirepass s3cret-value"), b"+OK\r\n");
    assert_eq!(old.call("GET a"), b"$-1\r\n", "an open connection stays authenticated, as in Redis");
    let mut new = Raw::connect(server.addr());
    assert_eq!(new.call("GET a"), b"-NOAUTH Authentication required.\r\n");
    assert_eq!(
        new.call("HELLO 3 AUTH default nope"),
        b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    );
    assert_eq!(new.call("AUTH s3cret-value"), b"+OK\r\n");
    assert_eq!(new.call("GET a"), b"$-1\r\n");
    assert_eq!(new.call("CONFIG GET requirepass"), b"*2\r\n$11\r\nrequirepass\r\n$12\r\ns3cret-value\r\n");
    assert_eq!(new.call_args(&["CONFIG", "SET", "requirepass", ""]), b"+OK\r\n");
    let mut open = Raw::connect(server.addr());
    assert_eq!(open.call("GET a"), b"$-1\r\n", "an empty password removes it");

    // Counted in the metrics; the password is in no log line.
    let body = metrics(&server);
    assert!(body.contains("switchyard_kv_auth_failures_total 1"), "{body}");
    let stderr = server.stderr();
    assert!(stderr.contains("authentication failed"));
    assert!(!stderr.contains("s3cret-value") && !stderr.contains("nope"), "{stderr}");
    assert_eq!(server.stop().code(), Some(0));
}

/// An address of this machine that is not loopback, if it has one.
fn outside_address() -> Option<IpAddr> {
    let out = Command::new("ip").args(["-o", "-4", "addr", "show"]).output().ok()?;
    text(&out.stdout).lines().find_map(|l| {
        let addr = l.split_whitespace().skip_while(|w| *w != "inet").nth(1)?;
        let ip: IpAddr = addr.split('/').next()?.parse().ok()?;
        (!ip.is_loopback()).then_some(ip)
    })
}

const DENIED: &str = "-DENIED Redis is running in protected mode because protected mode is enabled and no password \
is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to \
connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected \
mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the \
same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use \
CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing \
the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If \
you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an \
authentication password for the default user. NOTE: You only need to do one of the above things in order for the \
server to start accepting connections from the outside.\r\n";

#[test]
fn protected_mode_turns_away_other_machines_until_a_password_or_no() {
    let Some(outside) = outside_address() else {
        eprintln!("this machine has no address but loopback: the decision is unit-tested in kv's auth.rs");
        return;
    };
    let run = |extra: &[&str]| {
        let server = start_with_admin("0.0.0.0:0", extra);
        let port = server.addr().port();
        let mut far = Raw::connect((outside, port).into());
        let mut near = Raw::connect(([127, 0, 0, 1], port).into());
        let near_answer = text(&near.call("PING"));
        assert!(["+PONG\r\n", "-NOAUTH Authentication required.\r\n"].contains(&near_answer.as_str()));
        assert_eq!(near_answer, text(&Raw::connect(([127, 0, 0, 1], port).into()).call("PING")));
        let got = if extra.is_empty() { text(&far.rest()) } else { text(&far.call("PING")) };
        (server, got)
    };
    let (server, got) = run(&[]);
    assert_eq!(got, DENIED, "sent at once, then closed");
    let body = metrics(&server);
    assert!(body.contains("switchyard_kv_protected_mode_denied_total 1"), "{body}");
    assert!(server.stderr().contains("protected mode"));
    // Turned off at run time from loopback, as Redis's text suggests.
    let port = server.addr().port();
    assert_eq!(Raw::connect(([127, 0, 0, 1], port).into()).call("CONFIG SET protected-mode no"), b"+OK\r\n");
    assert_eq!(Raw::connect((outside, port).into()).call("PING"), b"+PONG\r\n");
    assert_eq!(server.stop().code(), Some(0));

    let (server, got) = run(&["--protected-mode", "no"]);
    assert_eq!(got, "+PONG\r\n");
    assert_eq!(server.stop().code(), Some(0));

    let (server, got) = run(&["--requirepass", "pw"]);
    assert_eq!(got, "-NOAUTH Authentication required.\r\n");
    assert_eq!(server.stop().code(), Some(0));
}

/// The Python that has the current redis-py: `SWITCHYARD_REDIS_PY`, which
/// `scripts/test` sets, or the virtualenv it makes.
pub(crate) fn redis_py() -> PathBuf {
    let path = match std::env::var_os("SWITCHYARD_REDIS_PY") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/redis-py/bin/python"),
    };
    let ok = Command::new(&path).args(["-c", "import redis"]).status().is_ok_and(|s| s.success());
    assert!(ok, "redis-py is missing at {} (scripts/test installs it)", path.display());
    path
}

/// Runs a Python script with redis-py against `server` (its port is the
/// script's first argument); asserts that it prints `ok` and exits 0.
#[track_caller]
pub(crate) fn run_redis_py(server: &Server, script: &str) {
    let out = Command::new(redis_py()).arg("-c").arg(script).arg(server.addr().port().to_string()).output().unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "redis-py script failed:\n{stdout}\n{stderr}");
    assert_eq!(stdout.trim(), "ok");
}

#[test]
fn redis_py_with_its_defaults_speaks_resp3_to_kv() {
    let server = start(&[]);
    let script = r#"
import sys, redis
port = int(sys.argv[1])
r = redis.Redis(port=port)
assert r.ping() is True
assert r.set("k", "v") is True
assert r.get("k") == b"v"
assert r.get("nokey") is None
assert r.mget(["k", "nokey"]) == [b"v", None]
assert r.incr("n") == 1
assert r.incrbyfloat("f", 1.5) == 1.5
assert r.expire("k", 100) is True
assert 0 < r.ttl("k") <= 100
assert r.config_get("maxmemory") == {"maxmemory": "0"}, r.config_get("maxmemory")
assert r.client_setname("py") is True
assert r.client_getname() == "py"
info = r.client_info()
assert info["resp"] == "3", info
assert r.info("server")["redis_version"] == "7.0.15"
assert r.exists("k", "nokey") == 1
assert sorted(r.keys("*")) == [b"f", b"k", b"n"]
with r.pipeline(transaction=False) as p:
    p.set("a", "1").incr("a").get("a").get("nokey").delete("a")
    assert p.execute() == [True, 2, b"2", None, 1]
try:
    r.execute_command("HELLO", "4")
    raise SystemExit("HELLO 4 should fail")
except redis.ResponseError as e:
    assert "unsupported protocol version" in str(e), e
assert r.get("k") == b"v"
print("ok")
"#;
    run_redis_py(&server, script);
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn redis_py_authenticates_through_its_url() {
    let server = start(&["--requirepass", "pa55"]);
    let script = r#"
import sys, redis
port = int(sys.argv[1])
for url in (f"redis://:pa55@127.0.0.1:{port}/0", f"redis://default:pa55@127.0.0.1:{port}/2"):
    r = redis.Redis.from_url(url)
    assert r.set("k", url) is True and r.get("k") == url.encode()
    assert r.client_info()["resp"] == "3"
for url in (f"redis://:wrong@127.0.0.1:{port}/0", f"redis://bob:pa55@127.0.0.1:{port}/0"):
    try:
        redis.Redis.from_url(url).ping()
        raise SystemExit(f"{url} should fail")
    except redis.AuthenticationError:
        pass
try:
    redis.Redis(port=port).ping()
    raise SystemExit("no password should fail")
except redis.AuthenticationError:
    pass
print("ok")
"#;
    run_redis_py(&server, script);
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn the_redis_crate_over_resp3_reads_typed_replies() {
    let server = start(&["--requirepass", "pw"]);
    let url = format!("redis://:pw@{}/?protocol=resp3", server.addr());
    let mut con = redis::Client::open(url).unwrap().get_connection_with_timeout(Duration::from_secs(10)).unwrap();
    con.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let _: () = redis::cmd("SET").arg("k").arg("v").query(&mut con).unwrap();
    let v: redis::Value = redis::cmd("GET").arg("nokey").query(&mut con).unwrap();
    assert_eq!(v, redis::Value::Nil);
    let v: redis::Value = redis::cmd("CONFIG").arg("GET").arg("maxmemory").query(&mut con).unwrap();
    assert!(matches!(v, redis::Value::Map(ref m) if m.len() == 1), "{v:?}");
    let v: redis::Value = redis::cmd("COMMAND").arg("INFO").arg("get").query(&mut con).unwrap();
    assert!(format!("{v:?}").contains(r#"set([simple-string("readonly"), simple-string("fast")])"#), "flags: {v:?}");
    let v: redis::Value = redis::cmd("CLIENT").arg("INFO").query(&mut con).unwrap();
    assert!(matches!(v, redis::Value::VerbatimString { .. }), "{v:?}");
    let got: Option<String> = redis::cmd("GET").arg("k").query(&mut con).unwrap();
    assert_eq!(got.as_deref(), Some("v"));
    let wrong = redis::Client::open(format!("redis://:nope@{}/?protocol=resp3", server.addr()))
        .unwrap()
        .get_connection_with_timeout(Duration::from_secs(10));
    assert!(wrong.is_err(), "a wrong password fails the handshake");
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn client_kill_closes_the_connections_its_filters_name() {
    let server = start(&[]);
    let mut me = Raw::connect(server.addr());
    let mut by_id = Raw::connect(server.addr());
    let mut by_addr = Raw::connect(server.addr());
    let mut old_form = Raw::connect(server.addr());
    let mut spared = Raw::connect(server.addr());
    let id = client_id(&mut by_id);
    assert_eq!(me.call(&format!("CLIENT KILL ID {id}")), b":1\r\n");
    assert_eq!(by_id.rest(), b"", "closed without a word");
    let addr = by_addr.s.local_addr().unwrap().to_string();
    assert_eq!(me.call(&format!("CLIENT KILL ADDR {addr} SKIPME yes")), b":1\r\n");
    assert_eq!(by_addr.rest(), b"");
    let addr = old_form.s.local_addr().unwrap().to_string();
    assert_eq!(me.call(&format!("CLIENT KILL {addr}")), b"+OK\r\n");
    assert_eq!(old_form.rest(), b"");
    // Gone from the list once the engine has closed it.
    wait_for(Duration::from_secs(10), "the killed client to leave the list", || {
        me.call(&format!("CLIENT KILL {addr}")) == b"-ERR No such client\r\n"
    });
    // LADDR names every connection to the listener; SKIPME (yes by default) spares the caller.
    let laddr = server.addr().to_string();
    wait_for(Duration::from_secs(10), "only two clients to be left", || {
        text(&me.call("CLIENT LIST")).matches("id=").count() == 2
    });
    assert_eq!(me.call(&format!("CLIENT KILL LADDR {laddr}")), b":1\r\n");
    assert_eq!(spared.rest(), b"");
    assert_eq!(me.call("PING"), b"+PONG\r\n");
    // Redis 7.2's NO-TOUCH is accepted like NO-EVICT.
    assert_eq!(me.call("CLIENT NO-TOUCH on"), b"+OK\r\n");
    assert_eq!(me.call("CLIENT NO-TOUCH OFF"), b"+OK\r\n");
    assert_eq!(me.call("CLIENT NO-TOUCH x"), b"-ERR syntax error\r\n");
    assert_eq!(me.call("CLIENT NO-TOUCH"), b"-ERR wrong number of arguments for 'client|no-touch' command\r\n");
    let mine = client_id(&mut me);
    assert_eq!(me.call(&format!("CLIENT KILL ID {mine} SKIPME no")), b":1\r\n", "the reply, then the close");
    assert_eq!(me.rest(), b"");
    assert_eq!(server.stop().code(), Some(0));
}

/// The names in a `COMMAND LIST` reply (RESP2).
fn names(list: &[u8]) -> Vec<String> {
    text(list).split("\r\n").skip(1).filter(|l| !l.starts_with('$') && !l.is_empty()).map(str::to_string).collect()
}

#[test]
fn command_docs_are_redis_own_for_every_command_under_both_protocols() {
    let Some(real) = RealRedis::start(&[]) else {
        eprintln!("redis-server is not installed: nothing to compare with");
        return;
    };
    let server = start(&[]);
    let mut ours = Raw::connect(server.addr());
    let all = names(&ours.call("COMMAND LIST"));
    assert!(all.len() >= 50, "{all:?}");
    // Containers list their subcommands in the order of a hash table
    // seeded at random when the server starts.
    let containers = ["client", "config", "command", "object", "pubsub"];
    let script: Vec<String> =
        all.iter().filter(|n| !containers.contains(&n.as_str())).map(|n| format!("COMMAND DOCS {n}")).collect();
    let script: Vec<&str> = script.iter().map(String::as_str).collect();
    same_replies(server.addr(), real.addr(), &script);
    let resp3: Vec<&str> = std::iter::once("HELLO 3").chain(script.iter().copied()).collect();
    same_replies(server.addr(), real.addr(), &resp3);

    // Containers list only the subcommands kv has, each as Redis documents it.
    let mut theirs = Raw::connect(real.addr());
    let (mine, real_docs) = (text(&ours.call("COMMAND DOCS client")), text(&theirs.call("COMMAND DOCS client")));
    for sub in ["client|kill", "client|id", "client|list", "client|no-evict", "client|unblock"] {
        assert!(mine.contains(&format!("${}\r\n{sub}\r\n", sub.len())), "{sub} in {mine}");
    }
    assert!(!mine.contains("client|pause") && real_docs.contains("client|pause"));
    let kill_args = "$5\r\ntoken\r\n$6\r\nSKIPME\r\n";
    assert!(mine.contains(kill_args) && real_docs.contains(kill_args), "CLIENT KILL's SKIPME argument");
    assert!(mine.contains("$5\r\nsince\r\n$5\r\n2.4.0\r\n"), "CLIENT is as old as in Redis");
    assert_eq!(server.stop().code(), Some(0));
}
