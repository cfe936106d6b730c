//! Tests of kv's pub/sub: every command and error over raw RESP2 and RESP3
//! sockets, compared with a real `redis-server`; the order of
//! confirmations, replies and messages; fan-out to 1,000 subscribers on
//! two I/O threads; a subscriber that stops reading cut off at its output
//! limit while the others go on; redis-py's listener and `redis-cli
//! SUBSCRIBE`.

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::kv_hello::{metrics, run_redis_py, start, start_with_admin, text, Raw, RealRedis};
use crate::support::wait_for;

/// `[kind, name, count]` as Redis confirms a (un)subscription; `head` is
/// `*` under RESP2, `>` under RESP3.
fn confirm(head: char, kind: &str, name: &str, count: i64) -> String {
    format!("{head}3\r\n${}\r\n{kind}\r\n${}\r\n{name}\r\n:{count}\r\n", kind.len(), name.len())
}

fn message(head: char, channel: &str, msg: &str) -> String {
    format!("{head}3\r\n$7\r\nmessage\r\n${}\r\n{channel}\r\n${}\r\n{msg}\r\n", channel.len(), msg.len())
}

fn pmessage(head: char, pattern: &str, channel: &str, msg: &str) -> String {
    format!(
        "{head}4\r\n$8\r\npmessage\r\n${}\r\n{pattern}\r\n${}\r\n{channel}\r\n${}\r\n{msg}\r\n",
        pattern.len(),
        channel.len(),
        msg.len()
    )
}

/// One step of a two-connection script: who sends, and how many replies
/// (or pushed messages) it then reads.
struct Step(usize, &'static str, usize);

/// Two connections (a subscriber and a publisher) through every command and
/// error case, under RESP2 and then RESP3. `PUBSUB CHANNELS` lists one
/// channel at a time: the two servers order a set differently.
const SCRIPT: &[Step] = &[
    Step(0, "SUBSCRIBE", 1),
    Step(0, "UNSUBSCRIBE", 1),
    Step(0, "PUNSUBSCRIBE", 1),
    Step(0, "PSUBSCRIBE", 1),
    Step(0, "PUBLISH a", 1),
    Step(0, "PUBLISH nobody hears", 1),
    // Inside a transaction, as Redis: the confirmation in EXEC's reply.
    Step(0, "MULTI", 1),
    Step(0, "SUBSCRIBE m", 1),
    Step(0, "PING", 1),
    Step(0, "EXEC", 1),
    Step(0, "UNSUBSCRIBE m", 1),
    Step(0, "SUBSCRIBE a b a", 3),
    Step(0, "PSUBSCRIBE h?llo x* h?llo", 3),
    Step(0, "PING", 1),
    Step(0, "PING hi", 1),
    Step(0, "PING a b", 1),
    Step(0, "GET k", 1),
    Step(0, "CONFIG GET maxmemory", 1),
    Step(0, "ECHO x", 1),
    Step(0, "NOSUCHCOMMAND", 1),
    Step(0, "GET", 1),
    Step(1, "PUBLISH a hello", 1),
    Step(0, "# read", 1),
    Step(1, "PUBLISH hello world", 1),
    Step(0, "# read", 1),
    Step(1, "PUBLISH xa two", 1),
    Step(0, "# read", 1),
    Step(1, "PUBSUB CHANNELS a*", 1),
    Step(1, "PUBSUB CHANNELS nomatch*", 1),
    Step(1, "PUBSUB NUMSUB a b zz", 1),
    Step(1, "PUBSUB NUMSUB", 1),
    Step(1, "PUBSUB NUMPAT", 1),
    Step(1, "PUBSUB", 1),
    Step(1, "PUBSUB NUMPAT x", 1),
    Step(1, "PUBSUB FOO", 1),
    Step(1, "PUBSUB HELP", 1),
    Step(1, "PUBSUB SHARDCHANNELS", 1),
    Step(1, "PUBSUB SHARDNUMSUB a", 1),
    Step(1, "PUBLISH a", 1),
    Step(0, "UNSUBSCRIBE b zz", 2),
    Step(0, "PUNSUBSCRIBE x* nope", 2),
    Step(0, "PUNSUBSCRIBE", 1),
    Step(1, "PUBSUB NUMPAT", 1),
    Step(0, "UNSUBSCRIBE", 1),
    Step(0, "UNSUBSCRIBE", 1),
    Step(0, "PING", 1),
    Step(0, "GET k", 1),
    Step(1, "PUBSUB CHANNELS", 1),
    // RESET leaves every subscription without a word, and the protocol.
    Step(0, "SUBSCRIBE z", 1),
    Step(0, "PSUBSCRIBE z*", 1),
    Step(0, "RESET", 1),
    Step(1, "PUBLISH z x", 1),
    Step(0, "PING", 1),
    Step(0, "RESET x", 1),
];

/// Runs [`SCRIPT`] against `addr`, both connections first saying `hello`
/// (if any); returns each reply's text.
fn run_script(addr: SocketAddr, hello: Option<&str>) -> Vec<String> {
    let mut conns = [Raw::connect(addr), Raw::connect(addr)];
    if let Some(hello) = hello {
        for c in &mut conns {
            c.call(hello);
        }
    }
    let mut replies = Vec::new();
    for Step(who, line, reads) in SCRIPT {
        let c = &mut conns[*who];
        if !line.starts_with('#') {
            let args: Vec<&str> = line.split(' ').collect();
            let mut req = format!("*{}\r\n", args.len()).into_bytes();
            for a in &args {
                req.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
            }
            c.s.write_all(&req).unwrap();
        }
        for i in 0..*reads {
            replies.push(format!("{line} [{i}]: {}", text(&c.reply())));
        }
    }
    replies
}

#[test]
fn pubsub_replies_match_a_real_redis_server_under_both_protocols() {
    let Some(real) = RealRedis::start(&[]) else {
        eprintln!("redis-server is not installed: nothing to compare with");
        return;
    };
    let server = start(&[]);
    for hello in [None, Some("HELLO 3")] {
        let (ours, theirs) = (run_script(server.addr(), hello), run_script(real.addr(), hello));
        for (mine, real) in ours.iter().zip(&theirs) {
            assert_eq!(mine, real, "under {hello:?}");
        }
        assert_eq!(ours.len(), theirs.len());
    }
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn resp2_subscribed_connections_get_redis_errors_and_the_pong_array() {
    let server = start(&[]);
    let mut c = Raw::connect(server.addr());
    assert_eq!(text(&c.call("SUBSCRIBE ch")), confirm('*', "subscribe", "ch", 1));
    let only = "only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context";
    for (line, name) in [
        ("GET k", "get"),
        ("CONFIG GET x", "config|get"),
        ("PUBLISH ch m", "publish"),
        ("MULTI", "multi"),
        ("EXEC", "exec"),
    ] {
        assert_eq!(text(&c.call(line)), format!("-ERR Can't execute '{name}': {only}\r\n"), "{line}");
    }
    assert_eq!(text(&c.call("PING")), "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
    assert_eq!(text(&c.call("PING x")), "*2\r\n$4\r\npong\r\n$1\r\nx\r\n");
    assert_eq!(text(&c.call("QUIT")), "+OK\r\n");
    assert_eq!(c.rest(), b"", "closed after QUIT");
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn resp3_subscribers_run_any_command_between_pushed_messages() {
    let server = start(&[]);
    let mut sub = Raw::connect(server.addr());
    let mut publisher = Raw::connect(server.addr());
    sub.call("HELLO 3");
    assert_eq!(text(&sub.call("SUBSCRIBE news")), confirm('>', "subscribe", "news", 1));
    assert_eq!(text(&sub.call("SET k v")), "+OK\r\n");
    assert_eq!(text(&publisher.call("PUBLISH news first")), ":1\r\n");
    assert_eq!(text(&sub.reply()), message('>', "news", "first"));
    assert_eq!(text(&sub.call("GET k")), "$1\r\nv\r\n");
    // Its own message comes before PUBLISH's reply, as in Redis.
    assert_eq!(text(&sub.call("PUBLISH news mine")), message('>', "news", "mine"));
    assert_eq!(text(&sub.reply()), ":1\r\n");
    assert_eq!(text(&sub.call("UNSUBSCRIBE")), confirm('>', "unsubscribe", "news", 0));
    assert_eq!(text(&sub.call("UNSUBSCRIBE")), ">3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n");
    assert_eq!(text(&publisher.call("PUBLISH news gone")), ":0\r\n");
    assert_eq!(text(&sub.call("PSUBSCRIBE n*")), confirm('>', "psubscribe", "n*", 1));
    assert_eq!(text(&publisher.call("PUBLISH news again")), ":1\r\n");
    assert_eq!(text(&sub.reply()), pmessage('>', "n*", "news", "again"));
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn a_pipeline_reads_replies_and_confirmations_in_the_order_sent() {
    // Many commands after the first subscription keep the call busy after
    // its confirmation left as a note: the note must still come after the
    // replies before it.
    const PINGS: usize = 3000;
    let server = start(&["--io-threads", "2"]);
    let mut c = Raw::connect(server.addr());
    let mut lines = vec!["SET k 1", "GET k", "SUBSCRIBE a b"];
    lines.extend(std::iter::repeat_n("PING", PINGS));
    lines.extend(["PSUBSCRIBE p*", "UNSUBSCRIBE", "PUNSUBSCRIBE", "GET k"]);
    let mut req = Vec::new();
    for line in &lines {
        let args: Vec<&str> = line.split(' ').collect();
        req.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
        for a in args {
            req.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
        }
    }
    c.s.write_all(&req).unwrap();
    let got: Vec<String> = (0..9 + PINGS).map(|_| text(&c.reply())).collect();
    let pong = "*2\r\n$4\r\npong\r\n$0\r\n\r\n";
    assert_eq!(
        got[..4],
        [
            "+OK\r\n".to_string(),
            "$1\r\n1\r\n".to_string(),
            confirm('*', "subscribe", "a", 1),
            confirm('*', "subscribe", "b", 2)
        ]
    );
    assert!(got[4..4 + PINGS].iter().all(|r| r == pong));
    let got = &got[4 + PINGS..];
    assert_eq!(got[0], confirm('*', "psubscribe", "p*", 3));
    // UNSUBSCRIBE with no names leaves the channels in the set's order.
    let first = if got[1].contains("\r\na\r\n") { "a" } else { "b" };
    let second = if first == "a" { "b" } else { "a" };
    assert_eq!(got[1], confirm('*', "unsubscribe", first, 2));
    assert_eq!(got[2], confirm('*', "unsubscribe", second, 1));
    assert_eq!(got[3], confirm('*', "punsubscribe", "p*", 0));
    assert_eq!(got[4], "$1\r\n1\r\n");
    assert_eq!(server.stop().code(), Some(0));
}

/// While a publisher publishes without pause, a RESP2 subscriber
/// subscribes and unsubscribes over and over, in one pipeline (odd
/// rounds) or waiting for a message in between (even rounds): every
/// message arrives between its confirmations, never after the
/// unsubscription, where it would be read as the reply to the next command.
#[test]
fn no_message_arrives_before_its_subscription_or_after_its_unsubscription() {
    let server = start(&["--io-threads", "2"]);
    let addr = server.addr();
    let stop = std::sync::atomic::AtomicBool::new(false);
    let wire = |lines: &[&str]| {
        let mut req = Vec::new();
        for line in lines {
            req.extend_from_slice(format!("*{}\r\n", line.split(' ').count()).as_bytes());
            for a in line.split(' ') {
                req.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
            }
        }
        req
    };
    let is_message = |r: &str| r.starts_with("*3\r\n$7\r\nmessage\r\n$4\r\nbusy\r\n");
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut p = Raw::connect(addr);
            let mut n = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                p.call(&format!("PUBLISH busy {n}"));
                n += 1;
            }
        });
        let mut c = Raw::connect(addr);
        let (all, subscribe, leave) = (
            wire(&["SUBSCRIBE busy", "UNSUBSCRIBE busy", "PING"]),
            wire(&["SUBSCRIBE busy"]),
            wire(&["UNSUBSCRIBE busy", "PING"]),
        );
        for round in 0..300 {
            if round % 2 == 1 {
                c.s.write_all(&all).unwrap();
                assert_eq!(text(&c.reply()), confirm('*', "subscribe", "busy", 1), "round {round}");
            } else {
                c.s.write_all(&subscribe).unwrap();
                assert_eq!(text(&c.reply()), confirm('*', "subscribe", "busy", 1), "round {round}");
                let r = text(&c.reply());
                assert!(is_message(&r), "round {round}: {r:?}");
                c.s.write_all(&leave).unwrap();
            }
            loop {
                let r = text(&c.reply());
                if r == confirm('*', "unsubscribe", "busy", 0) {
                    break;
                }
                assert!(is_message(&r), "round {round}: {r:?}");
            }
            assert_eq!(text(&c.reply()), "+PONG\r\n", "round {round}");
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
    });
    assert_eq!(server.stop().code(), Some(0));
}

/// Parses pushed messages from a buffer: `(channel, payload)` pairs, and
/// the bytes used.
fn messages(buf: &[u8]) -> (Vec<(String, String)>, usize) {
    let mut out = Vec::new();
    let mut at = 0;
    loop {
        let rest = &buf[at..];
        let mut parts = Vec::new();
        let mut pos = 0;
        let head = rest.windows(2).position(|w| w == b"\r\n");
        let Some(head) = head else { break };
        if !rest.starts_with(b"*3\r\n") {
            panic!("not a message: {:?}", String::from_utf8_lossy(&rest[..rest.len().min(80)]));
        }
        pos += head + 2;
        let mut whole = true;
        for _ in 0..3 {
            let r = &rest[pos..];
            let Some(e) = r.windows(2).position(|w| w == b"\r\n") else {
                whole = false;
                break;
            };
            let len: usize = std::str::from_utf8(&r[1..e]).unwrap().parse().unwrap();
            if r.len() < e + 2 + len + 2 {
                whole = false;
                break;
            }
            parts.push(String::from_utf8_lossy(&r[e + 2..e + 2 + len]).into_owned());
            pos += e + 2 + len + 2;
        }
        if !whole {
            break;
        }
        out.push((parts[1].clone(), parts[2].clone()));
        at += pos;
    }
    (out, at)
}

#[test]
fn a_thousand_subscribers_on_two_io_threads_each_get_every_message_in_order() {
    const SUBSCRIBERS: usize = 1000;
    const PUBLISHERS: usize = 2;
    const MESSAGES: usize = 100;
    let server = start(&["--io-threads", "2"]);
    let addr = server.addr();
    let mut subs: Vec<Raw> = (0..SUBSCRIBERS).map(|_| Raw::connect(addr)).collect();
    for (i, s) in subs.iter_mut().enumerate() {
        if i % 2 == 1 {
            // Half of them speak RESP3: the message is encoded for each.
            s.call("HELLO 3");
        }
        let head = if i % 2 == 1 { '>' } else { '*' };
        assert_eq!(text(&s.call("SUBSCRIBE fan")), confirm(head, "subscribe", "fan", 1));
    }
    let mut admin = Raw::connect(addr);
    assert_eq!(text(&admin.call("PUBSUB NUMSUB fan")), "*2\r\n$3\r\nfan\r\n:1000\r\n");
    std::thread::scope(|s| {
        for p in 0..PUBLISHERS {
            s.spawn(move || {
                let mut c = Raw::connect(addr);
                for n in 0..MESSAGES {
                    assert_eq!(text(&c.call(&format!("PUBLISH fan {p}:{n}"))), format!(":{SUBSCRIBERS}\r\n"));
                }
            });
        }
        for chunk in subs.chunks_mut(SUBSCRIBERS / 4) {
            s.spawn(move || {
                for (i, sub) in chunk.iter_mut().enumerate() {
                    let mut next = [0usize; PUBLISHERS];
                    for _ in 0..PUBLISHERS * MESSAGES {
                        let r = text(&sub.reply());
                        let body = r.rsplit("\r\n").nth(1).unwrap();
                        assert!(
                            r.starts_with("*3\r\n$7\r\nmessage\r\n$3\r\nfan\r\n")
                                || r.starts_with(">3\r\n$7\r\nmessage\r\n$3\r\nfan\r\n"),
                            "{r:?}"
                        );
                        let (p, n) = body.split_once(':').unwrap();
                        let (p, n): (usize, usize) = (p.parse().unwrap(), n.parse().unwrap());
                        assert_eq!(n, next[p], "subscriber {i}: publisher {p}'s messages in order");
                        next[p] += 1;
                    }
                }
            });
        }
    });
    let delivered = crate::kv_hello::text(&admin.call("INFO stats"));
    assert!(delivered.contains("pubsub_channels:1\r\n"), "{delivered}");
    drop(subs);
    wait_for(Duration::from_secs(10), "the closed subscribers to be forgotten", || {
        text(&admin.call("PUBSUB NUMSUB fan")) == "*2\r\n$3\r\nfan\r\n:0\r\n"
    });
    assert!(text(&admin.call("INFO stats")).contains("pubsub_channels:0\r\n"));
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn a_subscriber_that_stops_reading_is_cut_off_at_the_pubsub_limit_while_others_go_on() {
    let server = start_with_admin("127.0.0.1:0", &["--io-threads", "2"]);
    let addr = server.addr();
    let mut admin = Raw::connect(addr);
    assert_eq!(text(&admin.call_args(&["CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb 0 0"])), "+OK\r\n");
    let got = text(&admin.call("CONFIG GET client-output-buffer-limit"));
    assert!(got.contains("pubsub 1048576 0 0"), "{got}");
    let mut slow = Raw::connect(addr);
    slow.call("SUBSCRIBE big");
    let mut fast = Raw::connect(addr);
    fast.call("SUBSCRIBE big");
    let mut normal = Raw::connect(addr);
    normal.call("SET v x");
    let payload = "m".repeat(64 << 10);
    let body_of = |n: usize| format!("{n}{payload}");
    // How many messages the reading subscriber has read: the publisher
    // keeps at most a few ahead of it, so that only the other one falls
    // behind, however slowly this test runs.
    let read = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        let body_of = &body_of;
        let read = &read;
        let reader = s.spawn(move || {
            let mut n = 0;
            loop {
                let r = fast.reply();
                let (msgs, used) = messages(&r);
                assert_eq!(used, r.len());
                let (_, body) = &msgs[0];
                if body == "end" {
                    return n;
                }
                assert!(*body == body_of(n), "message {n} in order");
                n += 1;
                read.store(n, std::sync::atomic::Ordering::Relaxed);
            }
        });
        let mut publisher = Raw::connect(addr);
        let mut sent = 0;
        let paced = |sent: usize| {
            wait_for(Duration::from_secs(30), "the reading subscriber to keep up", || {
                sent <= read.load(std::sync::atomic::Ordering::Relaxed) + 4
            })
        };
        loop {
            assert!(sent < 4000, "the slow subscriber was never cut off");
            paced(sent);
            let r = text(&publisher.call_args(&["PUBLISH", "big", &body_of(sent)]));
            sent += 1;
            if r == ":1\r\n" {
                break;
            }
            assert_eq!(r, ":2\r\n");
        }
        // The fast one keeps receiving.
        for _ in 0..10 {
            paced(sent);
            assert_eq!(text(&publisher.call_args(&["PUBLISH", "big", &body_of(sent)])), ":1\r\n");
            sent += 1;
        }
        assert_eq!(text(&publisher.call("PUBLISH big end")), ":1\r\n");
        assert_eq!(reader.join().unwrap(), sent);
    });
    // The slow one finds its connection closed once it reads again.
    let mut rest = Vec::new();
    let _ = std::io::Read::read_to_end(&mut slow.s, &mut rest);
    let m = metrics(&server);
    assert!(m.contains("switchyard_kv_pubsub_subscribers_dropped_total 1\n"), "{m}");
    assert!(m.contains("switchyard_limit_hits_total{limit=\"output_hard_limit\"} 1"), "{m}");
    assert_eq!(text(&normal.call("GET v")), "$1\r\nx\r\n");
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn redis_py_listens_to_a_channel_and_a_pattern_over_resp3() {
    let server = start(&[]);
    let script = r#"
import sys, time, redis
port = int(sys.argv[1])
r = redis.Redis(port=port)
p = r.pubsub()
p.subscribe("news")
p.psubscribe("sport.*")
def next_message():
    deadline = time.time() + 10
    while time.time() < deadline:
        m = p.get_message(timeout=1.0)
        if m is not None:
            return m
    raise SystemExit("no message")
assert next_message() == {"type": "subscribe", "pattern": None, "channel": b"news", "data": 1}
assert next_message() == {"type": "psubscribe", "pattern": None, "channel": b"sport.*", "data": 2}
assert r.pubsub_numsub("news") == [(b"news", 1)], r.pubsub_numsub("news")
assert r.pubsub_numpat() == 1
assert r.pubsub_channels() == [b"news"]
assert r.publish("news", "hello") == 1
assert r.publish("sport.tennis", "ace") == 1
assert r.publish("weather", "rain") == 0
assert next_message() == {"type": "message", "pattern": None, "channel": b"news", "data": b"hello"}
assert next_message() == {"type": "pmessage", "pattern": b"sport.*", "channel": b"sport.tennis", "data": b"ace"}
p.unsubscribe("news")
assert next_message()["type"] == "unsubscribe"
p.punsubscribe()
assert next_message()["type"] == "punsubscribe"
p.close()
assert r.pubsub_numpat() == 0
print("ok")
"#;
    run_redis_py(&server, script);
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn redis_cli_subscribe_prints_what_is_published() {
    let server = start(&[]);
    let port = server.addr().port().to_string();
    let Ok(mut cli) = Command::new("redis-cli")
        .args(["-p", &port, "SUBSCRIBE", "tv"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
    else {
        panic!("redis-cli is missing (scripts/test installs redis-tools)");
    };
    let mut admin = Raw::connect(server.addr());
    wait_for(Duration::from_secs(10), "redis-cli to subscribe", || {
        text(&admin.call("PUBSUB NUMSUB tv")) == "*2\r\n$2\r\ntv\r\n:1\r\n"
    });
    assert_eq!(text(&admin.call("PUBLISH tv show")), ":1\r\n");
    let mut lines = BufReader::new(cli.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    while seen.len() < 6 {
        seen.push(lines.next().expect("a line from redis-cli").unwrap());
    }
    assert_eq!(seen, ["subscribe", "tv", "1", "message", "tv", "show"]);
    let _ = cli.kill();
    let _ = cli.wait();
    wait_for(Duration::from_secs(10), "the subscription to go with the client", || {
        text(&admin.call("PUBSUB NUMSUB tv")) == "*2\r\n$2\r\ntv\r\n:0\r\n"
    });
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn metrics_count_channels_patterns_and_deliveries() {
    let server = start_with_admin("127.0.0.1:0", &[]);
    let mut a = Raw::connect(server.addr());
    let mut b = Raw::connect(server.addr());
    a.call("SUBSCRIBE x");
    b.call("SUBSCRIBE x");
    a.call("PSUBSCRIBE y*");
    let mut p = Raw::connect(server.addr());
    assert_eq!(text(&p.call("PUBLISH x 1")), ":2\r\n");
    let m = metrics(&server);
    for name in [
        "switchyard_kv_pubsub_channels 1",
        "switchyard_kv_pubsub_patterns 1",
        "switchyard_kv_pubsub_messages_delivered_total 2",
        "switchyard_kv_pubsub_subscribers_dropped_total 0",
    ] {
        assert!(m.contains(&format!("{name}\n")), "{name}: {m}");
    }
    let info = text(&p.call("INFO stats"));
    assert!(info.contains("pubsub_channels:1\r\npubsub_patterns:1\r\n"), "{info}");
    assert_eq!(server.stop().code(), Some(0));
}
