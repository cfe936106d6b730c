//! Tests of kv's transactions: `MULTI`, `EXEC`, `DISCARD`, `WATCH` and
//! `UNWATCH` with Redis 7's replies (compared byte for byte with a real
//! `redis-server` where one is installed), atomicity under concurrent
//! connections, and the append-only log across a SIGKILL.

use std::collections::HashMap;
use std::io::Write;
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use switchyard_codec::resp::{self, Reply};

use crate::kv::{acknowledged_until_sigkill, cmd, connect, e, q, read_replies, start, temp_log, RealRedis};
use crate::support::wait_for;

fn raw(addr: std::net::SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    stream
}

/// Sends `commands` as one pipeline and reads one reply to each.
fn exchange(stream: &mut TcpStream, commands: &[&[&str]]) -> Vec<Reply> {
    let mut wire = Vec::new();
    for c in commands {
        resp::command(&mut wire, c);
    }
    stream.write_all(&wire).unwrap();
    read_replies(stream, commands.len())
}

fn ok() -> Reply {
    Reply::Simple("OK".into())
}

fn queued() -> Reply {
    Reply::Simple("QUEUED".into())
}

fn err(text: &str) -> Reply {
    Reply::Error(text.into())
}

fn bulk(v: &str) -> Reply {
    Reply::Bulk(Some(v.as_bytes().to_vec()))
}

fn array(items: Vec<Reply>) -> Reply {
    Reply::Array(Some(items))
}

const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
const EXECABORT: &str = "EXECABORT Transaction discarded because of previous errors.";

/// Every item of the transaction commands with its error cases, as a
/// table: the commands of one connection and the replies Redis 7 gives.
fn script() -> Vec<(Vec<&'static str>, Reply)> {
    let s = |args: &[&'static str], reply: Reply| (args.to_vec(), reply);
    vec![
        s(&["EXEC"], err("ERR EXEC without MULTI")),
        s(&["DISCARD"], err("ERR DISCARD without MULTI")),
        // Queued commands run in order; an error while executing stays in
        // its place in EXEC's reply and the others still run.
        s(&["MULTI"], ok()),
        s(&["SET", "tx", "1"], queued()),
        s(&["INCR", "tx"], queued()),
        s(&["SET", "s", "text"], queued()),
        s(&["INCR", "s"], queued()),
        s(&["GET", "tx"], queued()),
        s(&["EXEC"], array(vec![ok(), Reply::Integer(2), ok(), err(NOT_INTEGER), bulk("2")])),
        // An empty transaction.
        s(&["MULTI"], ok()),
        s(&["EXEC"], array(vec![])),
        // Nested MULTI and WATCH inside MULTI are errors that do not abort.
        s(&["MULTI"], ok()),
        s(&["MULTI"], err("ERR MULTI calls can not be nested")),
        s(&["WATCH", "tx"], err("ERR WATCH inside MULTI is not allowed")),
        s(&["INCR", "tx"], queued()),
        s(&["EXEC"], array(vec![Reply::Integer(3)])),
        // An unknown command or a wrong arity while queueing aborts EXEC,
        // and nothing queued runs.
        s(&["MULTI"], ok()),
        s(&["INCR", "tx"], queued()),
        s(&["NOSUCH", "x"], err("ERR unknown command 'NOSUCH', with args beginning with: 'x' ")),
        s(&["GET"], err("ERR wrong number of arguments for 'get' command")),
        s(&["CONFIG", "GET"], err("ERR wrong number of arguments for 'config|get' command")),
        s(&["INCR", "tx"], queued()),
        s(&["EXEC"], err(EXECABORT)),
        s(&["EXEC"], err("ERR EXEC without MULTI")),
        s(&["GET", "tx"], bulk("3")),
        // A wrong arity of EXEC itself discards the transaction at once.
        s(&["MULTI"], ok()),
        s(&["INCR", "tx"], queued()),
        s(
            &["EXEC", "now"],
            err("EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command"),
        ),
        s(&["EXEC"], err("ERR EXEC without MULTI")),
        // DISCARD drops the queue.
        s(&["MULTI"], ok()),
        s(&["INCR", "tx"], queued()),
        s(&["DISCARD"], ok()),
        s(&["GET", "tx"], bulk("3")),
        // Arity of the transaction commands themselves.
        s(&["WATCH"], err("ERR wrong number of arguments for 'watch' command")),
        s(&["MULTI", "x"], err("ERR wrong number of arguments for 'multi' command")),
        s(&["UNWATCH", "x"], err("ERR wrong number of arguments for 'unwatch' command")),
        s(&["DISCARD", "x"], err("ERR wrong number of arguments for 'discard' command")),
        // UNWATCH may be queued; SELECT inside a transaction lasts.
        s(&["MULTI"], ok()),
        s(&["UNWATCH"], queued()),
        s(&["SELECT", "3"], queued()),
        s(&["SET", "in3", "x"], queued()),
        s(&["SELECT", "99"], queued()),
        s(&["EXEC"], array(vec![ok(), ok(), ok(), err("ERR DB index is out of range")])),
        s(&["GET", "in3"], bulk("x")),
        s(&["SELECT", "0"], ok()),
        s(&["GET", "in3"], Reply::Bulk(None)),
        // Whole-keyspace commands inside a transaction.
        s(&["MULTI"], ok()),
        s(&["DBSIZE"], queued()),
        s(&["SET", "k", "v"], queued()),
        s(&["KEYS", "k"], queued()),
        s(&["FLUSHDB"], queued()),
        s(&["DBSIZE"], queued()),
        s(&["EXEC"], array(vec![Reply::Integer(2), ok(), array(vec![bulk("k")]), ok(), Reply::Integer(0)])),
        // WATCH of an unchanged key lets EXEC run; a change by this very
        // connection makes it answer null.
        s(&["WATCH", "w", "w"], ok()),
        s(&["MULTI"], ok()),
        s(&["SET", "w", "1"], queued()),
        s(&["EXEC"], array(vec![ok()])),
        s(&["WATCH", "w"], ok()),
        s(&["SET", "w", "2"], ok()),
        s(&["MULTI"], ok()),
        s(&["SET", "w", "3"], queued()),
        s(&["EXEC"], Reply::Array(None)),
        s(&["GET", "w"], bulk("2")),
        // EXEC, DISCARD and UNWATCH each forget the watched keys.
        s(&["WATCH", "w"], ok()),
        s(&["UNWATCH"], ok()),
        s(&["SET", "w", "4"], ok()),
        s(&["MULTI"], ok()),
        s(&["GET", "w"], queued()),
        s(&["EXEC"], array(vec![bulk("4")])),
        s(&["WATCH", "w"], ok()),
        s(&["MULTI"], ok()),
        s(&["DISCARD"], ok()),
        s(&["SET", "w", "5"], ok()),
        s(&["MULTI"], ok()),
        s(&["EXEC"], array(vec![])),
        // A flush changes a watched key that exists, not one that does not.
        s(&["WATCH", "w"], ok()),
        s(&["FLUSHALL"], ok()),
        s(&["MULTI"], ok()),
        s(&["EXEC"], Reply::Array(None)),
        s(&["WATCH", "absent"], ok()),
        s(&["FLUSHDB"], ok()),
        s(&["MULTI"], ok()),
        s(&["EXEC"], array(vec![])),
    ]
}

#[test]
fn transaction_commands_answer_as_redis_7_with_their_error_cases() {
    let server = start(&[]);
    let mut stream = raw(server.addr());
    for (args, want) in script() {
        let got = exchange(&mut stream, &[&args]).remove(0);
        assert_eq!(got, want, "{args:?}");
    }
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn transaction_replies_match_a_real_redis_server_byte_for_byte() {
    let Some(real) = RealRedis::start() else {
        eprintln!("redis-server is not installed: nothing to compare with");
        return;
    };
    let server = start(&[]);
    let ours = &mut raw(server.addr());
    let theirs = &mut raw(format!("127.0.0.1:{}", real.port).parse().unwrap());
    for (args, _) in script() {
        let encode = |r: Reply| {
            let mut b = Vec::new();
            r.encode(&mut b);
            String::from_utf8_lossy(&b).into_owned()
        };
        let mine = encode(exchange(ours, &[&args]).remove(0));
        let redis = encode(exchange(theirs, &[&args]).remove(0));
        assert_eq!(mine, redis, "{args:?}");
    }
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn exec_answers_null_when_another_connection_or_expiry_changed_a_watched_key() {
    let server = start(&[]);
    let con = &mut connect(&server);
    let other = &mut connect(&server);
    let attempt = |con: &mut redis::Connection, key: &str| -> redis::Value {
        q::<String>(con, &["MULTI"]);
        q::<String>(con, &["SET", key, "mine"]);
        q(con, &["EXEC"])
    };
    // A write by another connection, in any database and by any command.
    for (db, change) in [
        ("0", &["SET", "k", "theirs"][..]),
        ("0", &["DEL", "k"]),
        ("0", &["INCR", "k"]),
        ("0", &["APPEND", "k", "x"]),
        ("0", &["EXPIRE", "k", "100"]),
        ("0", &["RENAME", "k", "k2"]),
        ("0", &["MSET", "a", "1", "k", "2"]),
        ("5", &["SET", "k", "theirs"]),
    ] {
        for c in [&mut *con, &mut *other] {
            q::<String>(c, &["SELECT", db]);
        }
        q::<String>(other, &["SET", "k", "1"]);
        q::<String>(con, &["WATCH", "k"]);
        q::<redis::Value>(other, change);
        assert_eq!(attempt(con, "k"), redis::Value::Nil, "after {change:?} in db {db}");
    }
    for c in [&mut *con, &mut *other] {
        q::<String>(c, &["SELECT", "0"]);
    }
    // A change to another key of the same shard or elsewhere does not count.
    q::<String>(con, &["WATCH", "k"]);
    for i in 0..200 {
        q::<String>(other, &["SET", &format!("other:{i}"), "x"]);
    }
    assert_ne!(attempt(con, "k"), redis::Value::Nil);
    // A transaction of another connection is a change too.
    q::<String>(con, &["WATCH", "k"]);
    q::<String>(other, &["MULTI"]);
    q::<String>(other, &["INCR", "unrelated"]);
    q::<String>(other, &["SET", "k", "by a transaction"]);
    q::<redis::Value>(other, &["EXEC"]);
    assert_eq!(attempt(con, "k"), redis::Value::Nil);
    // Expiry between WATCH and EXEC, whether or not anyone touched the key.
    q::<String>(con, &["SET", "ttl", "x", "PX", "50"]);
    q::<String>(con, &["WATCH", "ttl"]);
    wait_for(Duration::from_secs(10), "the key to expire", || q::<i64>(other, &["EXISTS", "ttl"]) == 0);
    assert_eq!(attempt(con, "ttl"), redis::Value::Nil);
    q::<String>(con, &["SET", "ttl", "x", "PX", "100"]);
    q::<String>(con, &["WATCH", "ttl"]);
    std::thread::sleep(Duration::from_millis(150));
    assert_eq!(attempt(con, "ttl"), redis::Value::Nil, "expired but not yet removed");
    // A key already expired when watched is not changed by its removal.
    q::<String>(con, &["SET", "gone", "x", "PX", "1"]);
    std::thread::sleep(Duration::from_millis(5));
    q::<String>(con, &["WATCH", "gone"]);
    assert_ne!(attempt(con, "gone"), redis::Value::Nil);
    // A connection that closes with keys watched leaves nothing behind
    // that would disturb others.
    {
        let gone = &mut connect(&server);
        q::<String>(gone, &["WATCH", "k", "z"]);
    }
    q::<String>(con, &["WATCH", "k"]);
    assert_ne!(attempt(con, "k"), redis::Value::Nil);
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn transfers_inside_transactions_never_change_the_sum_seen_by_transactions() {
    const TOTAL: i64 = 1_000_000;
    const WRITERS: usize = 20;
    const READERS: usize = 6;
    const TRANSFERS: usize = 150;
    let server = start(&[]);
    let con = &mut connect(&server);
    // Two pairs of keys; transfers go both ways, and some move money
    // between pairs, so that transactions lock overlapping shard sets in
    // every order a client could write them.
    let keys = ["acct:a", "acct:b", "acct:c", "acct:d"];
    q::<String>(con, &["MSET", keys[0], &TOTAL.to_string(), keys[1], "0", keys[2], "0", keys[3], "0"]);
    let done = AtomicUsize::new(0);
    let reads = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for t in 0..WRITERS {
            let (server, done) = (&server, &done);
            scope.spawn(move || {
                let con = &mut connect(server);
                for i in 0..TRANSFERS {
                    let from = keys[(t + i) % 4];
                    let to = keys[(t + i * 3 + 1) % 4];
                    if from == to {
                        continue;
                    }
                    let amount = ((t * 7 + i) % 50 + 1).to_string();
                    let mut p = redis::pipe();
                    p.atomic().cmd("DECRBY").arg(from).arg(&amount).cmd("INCRBY").arg(to).arg(&amount);
                    let (_, _): (i64, i64) = p.query(con).unwrap();
                    // Multi-key commands in between, on the same keys.
                    if i % 10 == 0 {
                        let _: Vec<Option<i64>> =
                            cmd(&["MGET", keys[0], keys[1], keys[2], keys[3]]).query(con).unwrap();
                    }
                }
                done.fetch_add(1, Ordering::Relaxed);
            });
        }
        for r in 0..READERS {
            let (server, done, reads) = (&server, &done, &reads);
            scope.spawn(move || {
                let con = &mut connect(server);
                while done.load(Ordering::Relaxed) < WRITERS {
                    let mut p = redis::pipe();
                    p.atomic();
                    // Readers read in different orders, with and without MGET.
                    if r % 2 == 0 {
                        for k in keys {
                            p.cmd("GET").arg(k);
                        }
                    } else {
                        p.cmd("MGET").arg(keys[3]).arg(keys[1]);
                        p.cmd("MGET").arg(keys[2]).arg(keys[0]);
                    }
                    let values: Vec<Vec<Option<i64>>> = if r % 2 == 0 {
                        let v: (Option<i64>, Option<i64>, Option<i64>, Option<i64>) = p.query(con).unwrap();
                        vec![vec![v.0, v.1, v.2, v.3]]
                    } else {
                        let v: (Vec<Option<i64>>, Vec<Option<i64>>) = p.query(con).unwrap();
                        vec![v.0, v.1]
                    };
                    let sum: i64 = values.iter().flatten().map(|v| v.unwrap_or(0)).sum();
                    assert_eq!(sum, TOTAL, "a transaction saw a transfer half done: {values:?}");
                    reads.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    assert!(reads.load(Ordering::Relaxed) > 0);
    let all: Vec<i64> = cmd(&["MGET", keys[0], keys[1], keys[2], keys[3]]).query(con).unwrap();
    assert_eq!(all.iter().sum::<i64>(), TOTAL);
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn watch_retry_loops_from_twenty_connections_lose_no_increment() {
    const CLIENTS: usize = 20;
    const EACH: usize = 25;
    let server = start(&[]);
    let retries = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..CLIENTS {
            let (server, retries) = (&server, &retries);
            scope.spawn(move || {
                let con = &mut connect(server);
                for _ in 0..EACH {
                    loop {
                        q::<String>(con, &["WATCH", "counter"]);
                        let cur: Option<i64> = q(con, &["GET", "counter"]);
                        let next = (cur.unwrap_or(0) + 1).to_string();
                        let mut p = redis::pipe();
                        p.atomic().cmd("SET").arg("counter").arg(&next);
                        let r: Option<(String,)> = p.query(con).unwrap();
                        if r.is_some() {
                            break;
                        }
                        retries.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    let con = &mut connect(&server);
    assert_eq!(q::<i64>(con, &["GET", "counter"]), (CLIENTS * EACH) as i64);
    eprintln!("{} retries", retries.load(Ordering::Relaxed));
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn a_transaction_is_one_unit_in_the_log_and_a_torn_one_is_cut_off_whole() {
    let log = temp_log("multi-unit");
    let path = log.to_str().unwrap();
    let server = start(&["--appendonly", path, "--appendfsync", "always"]);
    let con = &mut connect(&server);
    q::<String>(con, &["SET", "before", "1"]);
    let mut p = redis::pipe();
    p.atomic();
    for c in [&["SET", "t:a", "1"][..], &["SELECT", "2"], &["SET", "t:b", "2"], &["RENAME", "t:b", "t:c"]] {
        p.add_command(cmd(c));
    }
    let _: redis::Value = p.query(con).unwrap();
    assert_eq!(server.stop().code(), Some(0));
    let text = String::from_utf8_lossy(&std::fs::read(&log).unwrap()).into_owned();
    assert_eq!(text.matches("MULTI").count(), 1, "one unit, RENAME's own MULTI folded in: {text:?}");
    assert_eq!(text.matches("EXEC").count(), 1, "{text:?}");
    // The same log without its last record (the EXEC): a torn transaction.
    let whole = std::fs::read(&log).unwrap();
    let mut exec = Vec::new();
    resp::command(&mut exec, &["EXEC"]);
    assert!(whole.ends_with(&exec));
    for cut in [exec.len(), exec.len() + 3, 1] {
        std::fs::write(&log, &whole[..whole.len() - cut]).unwrap();
        let server = start(&["--appendonly", path]);
        let con = &mut connect(&server);
        assert_eq!(q::<Option<String>>(con, &["GET", "before"]), Some("1".into()));
        assert_eq!(q::<Option<String>>(con, &["GET", "t:a"]), None, "cut {cut}: none of the transaction");
        q::<String>(con, &["SELECT", "2"]);
        assert_eq!(q::<Option<String>>(con, &["GET", "t:c"]), None);
        assert_eq!(server.stop().code(), Some(0));
    }
    std::fs::write(&log, &whole).unwrap();
    let server = start(&["--appendonly", path]);
    let con = &mut connect(&server);
    assert_eq!(q::<Option<String>>(con, &["GET", "t:a"]), Some("1".into()));
    q::<String>(con, &["SELECT", "2"]);
    assert_eq!(q::<Option<String>>(con, &["GET", "t:b"]), None);
    assert_eq!(q::<Option<String>>(con, &["GET", "t:c"]), Some("2".into()), "all of it");
    assert_eq!(server.stop().code(), Some(0));
    let _ = std::fs::remove_dir_all(log.parent().unwrap());
}

#[test]
fn every_acknowledged_exec_survives_a_sigkill_whole_and_no_other_in_part() {
    const WRITERS: usize = 4;
    let log = temp_log("multi-crash");
    let path = log.to_str().unwrap();
    let server = start(&["--appendonly", path, "--appendfsync", "always"]);
    let by_writer = acknowledged_until_sigkill(&server, WRITERS, 300, Duration::from_secs(20), |t, i, con| {
        // Three keys in (most likely) three shards, and a counter of this
        // writer's transactions.
        let mut p = redis::pipe();
        p.atomic();
        for part in ["a", "b", "c"] {
            p.cmd("SET").arg(format!("tx:{t}:{i}:{part}")).arg(i);
        }
        p.cmd("INCR").arg(format!("tx:{t}:count"));
        let (_, _, _, n) = p.query::<(String, String, String, i64)>(con)?;
        assert_eq!(n as usize, i + 1);
        Ok((t, i))
    });
    drop(server);
    let acked: Vec<(usize, usize)> = by_writer.into_iter().flatten().collect();
    let server = start(&["--appendonly", path]);
    let con = &mut connect(&server);
    for &(t, i) in &acked {
        for part in ["a", "b", "c"] {
            let key = format!("tx:{t}:{i}:{part}");
            assert_eq!(q::<Option<usize>>(con, &["GET", &key]), Some(i), "acknowledged {key} lost");
        }
    }
    // Whatever else survived came whole: every writer's transactions are
    // a prefix of its sequence, with all three keys and a matching count.
    let mut present: HashMap<usize, Vec<usize>> = HashMap::new();
    let keys: Vec<String> = q(con, &["KEYS", "tx:*:a"]);
    for k in &keys {
        let mut parts = k.split(':');
        let t: usize = parts.nth(1).unwrap().parse().unwrap();
        let i: usize = parts.next().unwrap().parse().unwrap();
        present.entry(t).or_default().push(i);
    }
    for t in 0..WRITERS {
        let mut seen = present.remove(&t).unwrap_or_default();
        seen.sort_unstable();
        let n = seen.len();
        assert!(seen.iter().copied().eq(0..n), "writer {t}: transactions {seen:?} are not a prefix");
        let count: Option<usize> = q(con, &["GET", &format!("tx:{t}:count")]);
        assert_eq!(count.unwrap_or(0), n, "writer {t}: the counter and the keys of one EXEC must agree");
        for i in 0..n {
            for part in ["b", "c"] {
                let got: Option<usize> = q(con, &["GET", &format!("tx:{t}:{i}:{part}")]);
                assert_eq!(got, Some(i), "writer {t}: transaction {i} present in part");
            }
        }
        let acked_here = acked.iter().filter(|(w, _)| *w == t).count();
        assert!(n >= acked_here && n <= acked_here + 1, "writer {t}: {n} present, {acked_here} acknowledged");
    }
    assert_eq!(q::<Vec<String>>(con, &["KEYS", "tx:*:b"]).len(), keys.len());
    assert_eq!(q::<Vec<String>>(con, &["KEYS", "tx:*:c"]).len(), keys.len());
    assert_eq!(server.stop().code(), Some(0));
    let _ = std::fs::remove_dir_all(log.parent().unwrap());
}

#[test]
fn a_queue_past_client_query_buffer_limit_aborts_the_transaction() {
    let server = start(&[]);
    let con = &mut connect(&server);
    q::<String>(con, &["CONFIG", "SET", "client-query-buffer-limit", "1mb"]);
    q::<String>(con, &["MULTI"]);
    let value = "v".repeat(100_000);
    let mut refused = None;
    for i in 0..20 {
        match cmd(&["SET", &format!("big:{i}"), &value]).query::<String>(con) {
            Ok(r) => assert_eq!(r, "QUEUED"),
            Err(err) => {
                refused = Some(format!("{} {}", err.code().unwrap_or("?"), err.detail().unwrap_or("")));
                break;
            }
        }
    }
    assert_eq!(refused.as_deref(), Some("ERR transaction queue exceeds client-query-buffer-limit"));
    assert_eq!(e(con, &["EXEC"]), EXECABORT);
    assert_eq!(q::<i64>(con, &["EXISTS", "big:0"]), 0);
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn a_transaction_may_use_commands_whose_keys_follow_a_count() {
    let server = crate::kv::start(&[]);
    let mut raw = server.connect();
    let mut script = Vec::new();
    for cmd in [
        &["ZADD", "za", "1", "a"][..],
        &["ZADD", "zb", "2", "b"],
        &["MULTI"],
        &["ZUNIONSTORE", "zu", "2", "za", "zb"],
        &["ZINTERSTORE", "zi", "2", "za", "zb"],
        &["ZDIFFSTORE", "zd", "2", "za", "zb"],
        &["COPY", "za", "zc", "DB", "1"],
        &["EXEC"],
    ] {
        switchyard_codec::resp::command(&mut script, cmd);
    }
    raw.write_all(&script).unwrap();
    let replies = crate::kv::read_replies(&mut raw, 8);
    assert_eq!(
        format!("{:?}", replies[7]),
        "Array(Some([Integer(2), Integer(0), Integer(1), Integer(1)]))",
        "{replies:?}"
    );
    assert_eq!(server.stop().code(), Some(0));
}
