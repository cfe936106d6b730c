//! The admin listener (`--admin ADDR`) end to end: `/metrics` checked
//! against the Prometheus text exposition format (by our checker, and by
//! the Prometheus client library's own parser), `/healthz` through a
//! drain, `/stats.json` under load, and the status page in headless
//! Chromium.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::chat::Irc;
use crate::support::*;

/// Starts `switchyard serve SERVICE` on 127.0.0.1:0 with an admin listener;
/// `addrs[0]` is the service, `addrs[1]` the admin listener.
fn start(service: &str, extra: &[&str]) -> Server {
    let mut args = vec!["serve", service, "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    Server::start(&args, 2)
}

/// An HTTP response, read whole.
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Reads one response (with a Content-Length) from `r`.
#[track_caller]
fn read_response(r: &mut impl BufRead) -> Response {
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    let status = line.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("status line {line:?}"));
    let mut headers = Vec::new();
    loop {
        line.clear();
        r.read_line(&mut line).unwrap();
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        let (n, v) = l.split_once(':').unwrap();
        headers.push((n.trim().to_string(), v.trim().to_string()));
    }
    let len: usize = headers.iter().find(|(n, _)| n.eq_ignore_ascii_case("content-length")).unwrap().1.parse().unwrap();
    let mut body = vec![0; len];
    r.read_exact(&mut body).unwrap();
    Response { status, headers, body: String::from_utf8(body).unwrap() }
}

/// `GET path` on a connection of its own.
#[track_caller]
pub fn get(addr: SocketAddr, path: &str) -> Response {
    let mut c = connect(addr);
    write!(c, "GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n").unwrap();
    let r = read_response(&mut BufReader::new(&mut c));
    let mut rest = Vec::new();
    c.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty(), "bytes after the response: {rest:?}");
    r
}

/// `/stats.json`, parsed.
#[track_caller]
fn stats(admin: SocketAddr) -> json::Value {
    let r = get(admin, "/stats.json");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    json::parse(&r.body).unwrap_or_else(|e| panic!("{e}: {}", r.body))
}

/// `count` echo round trips of 32 bytes on one connection.
fn echo_round_trips(c: &mut TcpStream, count: usize) {
    let msg = [b'e'; 32];
    let mut buf = [0; 32];
    for _ in 0..count {
        c.write_all(&msg).unwrap();
        c.read_exact(&mut buf).unwrap();
    }
}

#[test]
fn the_admin_line_comes_after_the_service_listening_lines() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_switchyard"))
        .args(["serve", "echo", "--listen", "127.0.0.1:0", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut lines = Vec::new();
    for _ in 0..3 {
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        lines.push(line.trim().to_string());
    }
    // SAFETY: kill(2) on our own child's pid.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = child.wait().unwrap();
    assert!(lines[0].starts_with("listening echo 127.0.0.1:"), "{lines:?}");
    assert!(lines[1].starts_with("listening echo 127.0.0.1:"), "{lines:?}");
    assert!(lines[2].starts_with("listening admin 127.0.0.1:"), "{lines:?}");
    assert_eq!(status.code(), Some(0));
}

#[test]
fn metrics_follow_the_exposition_format_and_count_the_load() {
    let server = start("echo", &["--workers", "2"]);
    let admin = server.addrs[1];
    let mut c = server.connect();
    echo_round_trips(&mut c, 50);

    let r = get(admin, "/metrics");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/plain; version=0.0.4; charset=utf-8"));
    let families = exposition::check(&r.body).unwrap_or_else(|e| panic!("{e}\n{}", r.body));
    for (name, kind) in [
        ("switchyard_connections_open", "gauge"),
        ("switchyard_connections_accepted_total", "counter"),
        ("switchyard_connections_closed_total", "counter"),
        ("switchyard_tasks_done_total", "counter"),
        ("switchyard_received_bytes_total", "counter"),
        ("switchyard_sent_bytes_total", "counter"),
        ("switchyard_limit_hits_total", "counter"),
        ("switchyard_handler_panics_total", "counter"),
        ("switchyard_queue_wait_seconds", "histogram"),
        ("switchyard_service_seconds", "histogram"),
        ("switchyard_loop_turn_seconds", "histogram"),
        ("switchyard_uptime_seconds", "gauge"),
    ] {
        assert_eq!(families.get(name).map(|f| f.kind.as_str()), Some(kind), "{name}");
    }
    let value = |name: &str| families[name].samples[0].value;
    assert_eq!(value("switchyard_connections_open"), 1.0);
    assert!(value("switchyard_received_bytes_total") >= 50.0 * 32.0);
    assert!(value("switchyard_tasks_done_total") >= 50.0);
    let service_count =
        families["switchyard_service_seconds"].samples.iter().find(|s| s.name.ends_with("_count")).unwrap().value;
    assert!(service_count >= 50.0, "{service_count}");
    drop(c);
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn every_service_exposes_metrics_in_the_exposition_format() {
    let root = std::env::temp_dir().join(format!("switchyard-admin-root-{}", std::process::id()));
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("index.html"), "hello").unwrap();
    let root_arg = root.to_str().unwrap().to_string();
    for (service, extra) in [("http", vec!["--root", root_arg.as_str()]), ("kv", vec![]), ("chat", vec![])] {
        let server = start(service, &extra);
        let r = get(server.addrs[1], "/metrics");
        assert_eq!(r.status, 200, "{service}");
        let families = exposition::check(&r.body).unwrap_or_else(|e| panic!("{service}: {e}\n{}", r.body));
        assert!(families.contains_key("switchyard_connections_open"), "{service}");
        assert_eq!(server.stop().code(), Some(0), "{service}");
    }
    let _ = std::fs::remove_dir_all(&root);
}

/// `/metrics` of `admin`: checked against the exposition format, with as
/// many samples as the Prometheus client library's parser reads.
#[track_caller]
fn scrape(admin: SocketAddr) -> HashMap<String, exposition::Family> {
    let r = get(admin, "/metrics");
    assert_eq!(r.status, 200);
    let families = exposition::check(&r.body).unwrap_or_else(|e| panic!("{e}\n{}", r.body));
    let samples: usize = families.values().map(|f| f.samples.len()).sum();
    assert_eq!(parse_with_prometheus_client(&r.body).len(), samples, "{}", r.body);
    families
}

/// The value of the sample of `family` with `label` (`None`: the family's
/// only sample), checking that the family has type `kind`.
#[track_caller]
fn sample(
    families: &HashMap<String, exposition::Family>,
    family: &str,
    kind: &str,
    label: Option<(&str, &str)>,
) -> f64 {
    let f = families.get(family).unwrap_or_else(|| panic!("no family {family}"));
    assert_eq!(f.kind, kind, "{family}");
    let found: Vec<f64> = f
        .samples
        .iter()
        .filter(|s| match label {
            Some((n, v)) => s.labels.iter().any(|(ln, lv)| ln == n && lv == v),
            None => s.labels.is_empty(),
        })
        .map(|s| s.value)
        .collect();
    assert_eq!(found.len(), 1, "{family} {label:?}: {} samples", found.len());
    found[0]
}

#[test]
fn http_metrics_count_responses_by_status_class() {
    let root = std::env::temp_dir().join(format!("switchyard-admin-classes-{}", std::process::id()));
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("index.html"), "hello").unwrap();
    let server = start("http", &["--root", root.to_str().unwrap()]);
    assert_eq!(get(server.addr(), "/").status, 200);
    assert_eq!(get(server.addr(), "/index.html").status, 200);
    assert_eq!(get(server.addr(), "/missing").status, 404);
    let families = scrape(server.addrs[1]);
    let name = "switchyard_http_responses_by_class_total";
    for (class, want) in [("1xx", 0.0), ("2xx", 2.0), ("3xx", 0.0), ("4xx", 1.0), ("5xx", 0.0)] {
        assert_eq!(sample(&families, name, "counter", Some(("class", class))), want, "{class}");
    }
    assert_eq!(families[name].samples.len(), 5);
    assert_eq!(sample(&families, "switchyard_http_responses_total", "counter", Some(("status", "404"))), 1.0);
    assert_eq!(server.stop().code(), Some(0));
    let _ = std::fs::remove_dir_all(&root);
}

/// Sends raw RESP `request` and reads exactly `reply` back.
#[track_caller]
fn resp_exchange(c: &mut TcpStream, request: &[u8], reply: &[u8]) {
    c.write_all(request).unwrap();
    let mut got = vec![0; reply.len()];
    c.read_exact(&mut got).unwrap();
    assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(reply));
}

#[test]
fn kv_metrics_and_info_commandstats_count_calls_per_command() {
    let server = start("kv", &[]);
    let mut c = server.connect();
    resp_exchange(&mut c, b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n", b"+OK\r\n");
    resp_exchange(&mut c, b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", b"$1\r\nv\r\n");
    // A pipeline of three, then a GET refused for its arity.
    resp_exchange(&mut c, &b"*2\r\n$3\r\nget\r\n$1\r\nk\r\n".repeat(3), &b"$1\r\nv\r\n".repeat(3));
    resp_exchange(&mut c, b"*1\r\n$3\r\nGET\r\n", b"-ERR wrong number of arguments for 'get' command\r\n");

    c.write_all(b"*2\r\n$4\r\nINFO\r\n$12\r\ncommandstats\r\n").unwrap();
    let mut r = BufReader::new(c.try_clone().unwrap());
    let mut header = String::new();
    r.read_line(&mut header).unwrap();
    let len: usize =
        header.trim_end().strip_prefix('$').and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("{header}"));
    let mut info = vec![0; len + 2];
    r.read_exact(&mut info).unwrap();
    let info = String::from_utf8(info).unwrap();
    assert!(info.starts_with("# Commandstats\r\n"), "{info}");
    let get_line = info.lines().find(|l| l.starts_with("cmdstat_get:")).unwrap_or_else(|| panic!("{info}"));
    assert!(get_line.starts_with("cmdstat_get:calls=4,usec="), "{get_line}");
    assert!(get_line.ends_with(",rejected_calls=1,failed_calls=0"), "{get_line}");
    assert!(info.contains("\r\ncmdstat_set:calls=1,usec="), "{info}");

    let families = scrape(server.addrs[1]);
    let name = "switchyard_kv_command_calls_total";
    assert_eq!(sample(&families, name, "counter", Some(("command", "set"))), 1.0);
    assert_eq!(sample(&families, name, "counter", Some(("command", "get"))), 4.0);
    assert_eq!(sample(&families, name, "counter", Some(("command", "info"))), 1.0);
    assert_eq!(families[name].samples.len(), 3, "only commands called at least once");
    assert_eq!(sample(&families, "switchyard_kv_commands_total", "counter", None), 7.0);
    assert_eq!(sample(&families, "switchyard_kv_protocol_errors_total", "counter", None), 0.0);
    // Two clients closed for malformed RESP, one of them for a bulk past
    // proto-max-bulk-len.
    for bad in [&b"*1\r\n$600000000\r\n"[..], b"*x\r\n"] {
        let mut bad_client = server.connect();
        bad_client.write_all(bad).unwrap();
        let mut reply = Vec::new();
        bad_client.read_to_end(&mut reply).unwrap();
        assert!(reply.starts_with(b"-ERR Protocol error"), "{}", String::from_utf8_lossy(&reply));
    }
    let families = scrape(server.addrs[1]);
    assert_eq!(sample(&families, "switchyard_kv_protocol_errors_total", "counter", None), 2.0);
    drop((r, c));
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn chat_metrics_count_users_channels_messages_and_deliveries() {
    let server = start("chat", &[]);
    let admin = server.addrs[1];
    let mut ann = Irc::register(&server, "ann");
    let mut bob = Irc::register(&server, "bob");
    let mut lurker = Irc::connect(&server, "lurker");
    lurker.send("PING :here");
    lurker.line_with("PONG");
    ann.send("JOIN #m");
    ann.line_with(" 366 ");
    bob.send("JOIN #m");
    bob.line_with(" 366 ");
    ann.line_with(":bob!bob@127.0.0.1 JOIN #m");
    ann.send("PRIVMSG #m :hello\r\nPRIVMSG bob :psst\r\nPRIVMSG #nowhere :lost\r\nNOTICE #m :fyi");
    bob.line_with("PRIVMSG #m :hello");
    bob.line_with("PRIVMSG bob :psst");
    bob.line_with("NOTICE #m :fyi");
    ann.line_with(" 401 ann #nowhere ");

    let f = scrape(admin);
    assert_eq!(sample(&f, "switchyard_chat_users", "gauge", None), 2.0);
    assert_eq!(sample(&f, "switchyard_chat_unregistered_connections", "gauge", None), 1.0);
    assert_eq!(sample(&f, "switchyard_chat_channels", "gauge", None), 1.0);
    let messages = "switchyard_chat_messages_total";
    assert_eq!(sample(&f, messages, "counter", Some(("command", "privmsg"))), 2.0, "the one to #nowhere is refused");
    assert_eq!(sample(&f, messages, "counter", Some(("command", "notice"))), 1.0);
    assert_eq!(sample(&f, "switchyard_chat_deliveries_total", "counter", None), 3.0);
    for reason in ["flood", "sendq", "ping_timeout"] {
        assert_eq!(sample(&f, "switchyard_chat_clients_dropped_total", "counter", Some(("reason", reason))), 0.0);
    }

    bob.send("QUIT :bye");
    ann.line_with(":bob!bob@127.0.0.1 QUIT");
    ann.send("PART #m");
    ann.line_with(":ann!ann@127.0.0.1 PART #m");
    let f = scrape(admin);
    assert_eq!(sample(&f, "switchyard_chat_users", "gauge", None), 1.0, "bob quit");
    assert_eq!(sample(&f, "switchyard_chat_channels", "gauge", None), 0.0, "#m emptied");
    drop((ann, bob, lurker));
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn chat_metrics_count_clients_dropped_for_flooding_and_ping_timeouts() {
    let server = start("chat", &["--flood-rate", "5", "--ping-interval", "300ms"]);
    let admin = server.addrs[1];
    let mut flooder = Irc::register(&server, "flooder");
    let mut quiet = Irc::register(&server, "quiet");
    quiet.answer_pings = false;
    let burst: String = (0..200).map(|i| format!("PONG :{i}\r\n")).collect();
    flooder.writer.write_all(burst.as_bytes()).unwrap();
    assert_eq!(flooder.line_with("ERROR "), "ERROR :Closing Link: 127.0.0.1 (Excess Flood)");
    quiet.line_with("PING ");
    assert!(quiet.line_with("ERROR ").contains("(Ping timeout: "));

    let f = scrape(admin);
    let dropped = "switchyard_chat_clients_dropped_total";
    for (reason, want) in [("flood", 1.0), ("sendq", 0.0), ("ping_timeout", 1.0)] {
        assert_eq!(sample(&f, dropped, "counter", Some(("reason", reason))), want, "{reason}");
    }
    assert_eq!(sample(&f, "switchyard_chat_users", "gauge", None), 0.0, "both are gone");
    drop((flooder, quiet));
    assert_eq!(server.stop().code(), Some(0));
}

/// The Prometheus project's own text parser (Debian's
/// `python3-prometheus-client`) reads `text`; one line per sample comes
/// back: `family type sample-name value`.
fn parse_with_prometheus_client(text: &str) -> Vec<String> {
    const SCRIPT: &str = "import sys\n\
        from prometheus_client.parser import text_string_to_metric_families as parse\n\
        for f in parse(sys.stdin.read()):\n    \
            for s in f.samples:\n        \
                print(f.name, f.type, s.name, repr(float(s.value)))\n";
    let mut child = Command::new("/usr/bin/python3")
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("/usr/bin/python3 runs (apt-get install -y python3-prometheus-client)");
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the Prometheus parser refused the metrics: {stderr}\n{text}");
    String::from_utf8(out.stdout).unwrap().lines().map(str::to_string).collect()
}

#[test]
fn the_prometheus_client_parser_reads_every_services_metrics_as_we_do() {
    let root = std::env::temp_dir().join(format!("switchyard-admin-parser-{}", std::process::id()));
    std::fs::create_dir_all(&root).unwrap();
    let root_arg = root.to_str().unwrap().to_string();
    for (service, extra) in
        [("echo", vec![]), ("http", vec!["--root", root_arg.as_str()]), ("kv", vec![]), ("chat", vec![])]
    {
        let server = start(service, &extra);
        let body = get(server.addrs[1], "/metrics").body;
        let ours = exposition::check(&body).unwrap_or_else(|e| panic!("{service}: {e}"));
        let theirs = parse_with_prometheus_client(&body);
        let our_samples: usize = ours.values().map(|f| f.samples.len()).sum();
        assert_eq!(theirs.len(), our_samples, "{service}: sample counts differ\n{}", theirs.join("\n"));
        for line in &theirs {
            let fields: Vec<&str> = line.split(' ').collect();
            let [family, kind, sample, value] = fields[..] else { panic!("{service}: {line}") };
            // The client names a counter's family without its `_total`.
            let ours = ours
                .get(family)
                .or_else(|| ours.get(&format!("{family}_total")))
                .unwrap_or_else(|| panic!("{service}: family {family} unknown to our checker"));
            assert_eq!(ours.kind, kind, "{service}: {family}");
            let value: f64 = value.parse().unwrap();
            assert!(
                ours.samples
                    .iter()
                    .any(|s| s.name == sample && (s.value == value || s.value.is_nan() && value.is_nan())),
                "{service}: {sample} {value} is not among our samples of {family}"
            );
        }
        assert_eq!(server.stop().code(), Some(0), "{service}");
    }
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn admin_connections_keep_alive_and_answer_only_get() {
    let server = start("echo", &[]);
    let mut c = connect(server.addrs[1]);
    // Three requests in one write: pipelined on one kept-alive connection.
    c.write_all(
        b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\nGET /nowhere HTTP/1.1\r\nHost: t\r\n\r\nGET /stats.json?x=1 HTTP/1.1\r\nHost: t\r\n\r\n",
    )
    .unwrap();
    let mut r = BufReader::new(c.try_clone().unwrap());
    let first = read_response(&mut r);
    assert_eq!((first.status, first.body.as_str()), (200, "ok\n"));
    assert_eq!(first.header("connection"), None);
    assert_eq!(read_response(&mut r).status, 404);
    let third = read_response(&mut r);
    assert_eq!(third.status, 200);
    assert!(third.body.starts_with("{\"uptime_seconds\":"), "{}", third.body);

    c.write_all(b"DELETE /metrics HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
    let refused = read_response(&mut r);
    assert_eq!(refused.status, 405);
    assert_eq!(refused.header("allow"), Some("GET"));

    c.write_all(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").unwrap();
    let page = read_response(&mut r);
    assert_eq!(page.status, 200);
    assert_eq!(page.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(page.body.contains("/stats.json"));
    for link in [" src=", " href=", "@import", "url("] {
        assert!(!page.body.contains(link), "the page loads nothing else, but has {link}");
    }
    let mut rest = Vec::new();
    assert_eq!(r.read_to_end(&mut rest).unwrap(), 0, "the connection closes after Connection: close");
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn healthz_answers_ok_while_serving_and_503_while_draining() {
    let server = start("echo", &["--shutdown-timeout", "30s"]);
    let admin = server.addrs[1];
    let r = get(admin, "/healthz");
    assert_eq!((r.status, r.body.as_str()), (200, "ok\n"));

    // A client that writes and never reads: its echo piles up as pending
    // output, which holds the drain open.
    let stuck = server.connect();
    stuck.set_write_timeout(Some(Duration::from_millis(300))).unwrap();
    let writer = {
        let mut w = stuck.try_clone().unwrap();
        std::thread::spawn(move || {
            let chunk = vec![b'x'; 64 << 10];
            // Ends when the socket buffers on both sides are full.
            while w.write_all(&chunk).is_ok() {}
        })
    };
    writer.join().unwrap();
    let st = stats(admin);
    let (received, sent) = (st["bytes"]["received"].num(), st["bytes"]["sent"].num());
    assert!(received > sent, "output is pending: received {received}, sent {sent}");

    server.signal(libc::SIGTERM);
    wait_for(Duration::from_secs(10), "/healthz to answer 503", || get(admin, "/healthz").status == 503);
    let r = get(admin, "/healthz");
    assert_eq!(r.body, "draining\n");
    assert_eq!(stats(admin)["draining"], json::Value::Bool(true));

    // Closing the stuck client unblocks the drain; the server then exits
    // cleanly and the admin listener goes with it.
    drop(stuck);
    let mut server = server;
    let status = server.wait(Duration::from_secs(20));
    assert_eq!(status.code(), Some(0), "{}", server.stderr());
    assert!(TcpStream::connect(admin).is_err(), "the admin listener stops with the server");
}

#[test]
fn stats_json_numbers_move_under_load() {
    let server = start("echo", &["--workers", "2"]);
    let admin = server.addrs[1];
    let before = stats(admin);
    assert_eq!(before["connections"]["open"].num(), 0.0);
    assert_eq!(before["requests"]["total"].num(), 0.0);
    assert_eq!(before["requests"]["kind_label"], json::Value::Null, "echo has no request kinds");
    assert!(before["uptime_seconds"].num() >= 0.0);

    let mut clients: Vec<TcpStream> = (0..3).map(|_| server.connect()).collect();
    for c in &mut clients {
        echo_round_trips(c, 200);
    }
    wait_for(Duration::from_secs(10), "a window with the load in it", || {
        stats(admin)["requests"]["per_second"].num() > 0.0
    });
    let after = stats(admin);
    assert_eq!(after["connections"]["open"].num(), 3.0);
    assert!(after["connections"]["accepted"].num() >= 3.0);
    assert!(after["requests"]["total"].num() >= 600.0, "{:?}", after["requests"]);
    assert!(after["bytes"]["received"].num() >= 600.0 * 32.0);
    assert!(after["bytes"]["sent"].num() >= 600.0 * 32.0);
    assert!(after["uptime_seconds"].num() >= before["uptime_seconds"].num());

    // Percentiles cover a window: the next one with load in it has them.
    let mut p99 = None;
    wait_for(Duration::from_secs(10), "latency percentiles", || {
        echo_round_trips(&mut clients[0], 20);
        let s = stats(admin);
        let (p50, p99_now) = (&s["latency_ms"]["p50"], &s["latency_ms"]["p99"]);
        if let (json::Value::Num(a), json::Value::Num(b)) = (p50, p99_now) {
            assert!(a <= b && *a > 0.0, "p50 {a} p99 {b}");
            p99 = Some(*b);
        }
        p99.is_some()
    });
    drop(clients);
    wait_for(Duration::from_secs(10), "connections to close", || stats(admin)["connections"]["open"].num() == 0.0);
    assert_eq!(server.stop().code(), Some(0));
}

/// The Chromium binary, or a failure that says how to install it.
fn chromium() -> String {
    for name in ["chromium", "chromium-browser"] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {name}")])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        if found {
            return name.to_string();
        }
    }
    panic!("chromium is not installed; the status page test needs it: apt-get install -y chromium");
}

/// Opens the status page of `admin` in headless Chromium for five seconds
/// of page time; returns the DOM it ended with and a screenshot.
fn status_page(admin: SocketAddr, shot_name: &str) -> (String, Vec<u8>) {
    let browser = chromium();
    let dir = std::env::temp_dir().join(format!("switchyard-chromium-{}-{shot_name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let shot = dir.join("status.png");
    let mut child = Command::new(&browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            &format!("--user-data-dir={}", dir.join("profile").display()),
            &format!("--screenshot={}", shot.display()),
            "--window-size=1000,700",
            "--virtual-time-budget=5000",
            "--dump-dom",
            &format!("http://{admin}/"),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut dom = String::new();
    let reader = {
        let mut out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            let _ = out.read_to_string(&mut dom);
            dom
        })
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within a minute");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let dom = reader.join().unwrap();
    assert!(status.success(), "chromium failed: {status}");
    let png = std::fs::read(&shot).expect("the screenshot was written");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 10_000, "{} bytes", png.len());
    // Kept for a person to look at.
    let kept = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("status-page-{shot_name}.png"));
    std::fs::write(&kept, &png).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    (dom, png)
}

/// The inside of the `<svg>` with this id.
fn chart<'a>(dom: &'a str, id: &str) -> &'a str {
    let at = dom.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no {id}"));
    &dom[at..at + dom[at..].find("</svg>").unwrap()]
}

/// The (x, y) points of every polyline of a chart with this class.
fn lines(svg: &str, class: &str) -> Vec<Vec<(f64, f64)>> {
    svg.split("<polyline")
        .skip(1)
        .filter(|p| p.split('>').next().unwrap_or("").contains(&format!("class=\"line {class}\"")))
        .map(|p| {
            let points = p.split("points=\"").nth(1).and_then(|p| p.split('"').next()).unwrap_or("");
            points
                .split_whitespace()
                .filter_map(|xy| {
                    let (x, y) = xy.split_once(',')?;
                    Some((x.parse().ok()?, y.parse().ok()?))
                })
                .collect()
        })
        .collect()
}

/// The text inside the element with this id.
fn text_of(dom: &str, id: &str) -> String {
    let at = dom.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no {id}"));
    let at = at + dom[at..].find('>').unwrap() + 1;
    let inner = &dom[at..at + dom[at..].find("</div>").unwrap_or(dom.len() - at)];
    let mut out = String::new();
    let mut in_tag = false;
    for c in inner.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

#[test]
fn the_status_page_loads_and_draws_its_charts_in_headless_chromium() {
    let server = start("echo", &["--workers", "2"]);
    let admin = server.addrs[1];
    let stop = Arc::new(AtomicBool::new(false));
    let load = {
        let mut c = server.connect();
        let stop = stop.clone();
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                echo_round_trips(&mut c, 10);
            }
        })
    };
    let (dom, _) = status_page(admin, "echo");
    stop.store(true, Ordering::Relaxed);
    load.join().unwrap();

    assert!(dom.contains("<title>switchyard status: ok</title>"), "the page never updated:\n{dom}");
    // Five seconds of page time at one update a second: lines of several
    // steps, so the page kept polling and drawing.
    for (id, class) in [("chart-requests", "k0"), ("chart-connections", "k0"), ("chart-latency", "k1")] {
        let line = lines(chart(&dom, id), class).into_iter().next().unwrap_or_default();
        assert!(line.len() >= 3, "{id} drew {} points: {}", line.len(), chart(&dom, id));
    }
    // Service time: a heat map of buckets under the p50 and p99 lines.
    let latency = chart(&dom, "chart-latency");
    assert!(latency.contains("class=\"cell\""), "no heat map cells: {latency}");
    assert_eq!(lines(latency, "k2").len(), 1, "a p99 line: {latency}");
    // Bytes: echo sends what it receives, and the two are still told apart:
    // received above the middle of the chart, sent below it.
    let bytes = chart(&dom, "chart-bytes");
    let (received, sent) = (&lines(bytes, "k0")[0], &lines(bytes, "k1")[0]);
    let mid = (8.0 + (170.0 - 18.0)) / 2.0;
    assert!(received.iter().any(|&(_, y)| y < mid - 1.0), "received above the axis: {received:?}");
    assert!(sent.iter().any(|&(_, y)| y > mid + 1.0), "sent below the axis: {sent:?}");
    assert!(received.iter().chain(sent).all(|&(_, y)| (8.0..=152.0).contains(&y)), "inside the plot");
    // The peak in view is marked, so a burst shows even as a sliver.
    assert!(chart(&dom, "chart-requests").contains("class=\"peak\""), "no peak marker");

    let figure = |id: &str| {
        let at = dom.find(&format!("id=\"{id}\">")).unwrap() + id.len() + 6;
        dom[at..at + dom[at..].find('<').unwrap()].to_string()
    };
    assert_eq!(figure("open"), "1", "the load's connection is open");
    let rps: f64 = figure("rps").trim_end_matches(|c: char| c.is_ascii_alphabetic()).parse().unwrap_or(0.0);
    assert!(rps > 0.0, "requests/s under load: {:?}", figure("rps"));
    drop(server);
}

#[test]
fn the_status_page_splits_http_requests_by_status_class() {
    let root = std::env::temp_dir().join(format!("switchyard-admin-page-{}", std::process::id()));
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("a.txt"), b"a\n").unwrap();
    let server = start("http", &["--root", root.to_str().unwrap()]);
    let admin = server.addrs[1];
    let stop = Arc::new(AtomicBool::new(false));
    let load = {
        let mut c = server.connect();
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut r = BufReader::new(c.try_clone().unwrap());
            while !stop.load(Ordering::Relaxed) {
                for path in ["/a.txt", "/missing"] {
                    write!(c, "GET {path} HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
                    read_response(&mut r);
                }
            }
        })
    };
    let (dom, _) = status_page(admin, "http");
    let s = stats(admin);
    stop.store(true, Ordering::Relaxed);
    assert_eq!(s["requests"]["kind_label"].str(), Some("class"));
    for class in ["2xx", "4xx"] {
        assert!(s["requests"]["by_kind_per_second"][class].num() > 0.0, "{class}: {:?}", s["requests"]);
    }
    let in_buckets: f64 = match &s["latency_buckets_ms"] {
        json::Value::Arr(b) => b.iter().map(|pair| if let json::Value::Arr(p) = pair { p[1].num() } else { 0.0 }).sum(),
        other => panic!("latency_buckets_ms: {other:?}"),
    };
    assert!(in_buckets > 0.0, "tasks in the window's buckets");
    load.join().unwrap();
    let _ = std::fs::remove_dir_all(&root);

    assert!(dom.contains("requests/s by class"), "{dom}");
    let legend = text_of(&dom, "legend-requests");
    assert!(legend.contains("2xx") && legend.contains("4xx"), "{legend}");
    let requests = chart(&dom, "chart-requests");
    let (ok, missing) = (lines(requests, "k0"), lines(requests, "k1"));
    assert!(ok.len() == 1 && missing.len() == 1, "a line per class: {requests}");
    drop(server);
}

#[test]
fn the_exposition_checker_refuses_malformed_text() {
    let good = "# HELP a_total A.\n# TYPE a_total counter\na_total{x=\"1\"} 3\na_total{x=\"2\"} 4\n";
    assert!(exposition::check(good).is_ok());
    for (bad, why) in [
        ("a 1", "no final newline"),
        ("# TYPE a gauge\na one\n", "value"),
        ("# TYPE a gauge\n# TYPE a gauge\na 1\n", "second TYPE"),
        ("# TYPE a wobble\na 1\n", "type"),
        ("a 1\n# TYPE a gauge\n", "TYPE after"),
        ("# TYPE a gauge\na 1\nb 1\na{x=\"y\"} 2\n", "not grouped"),
        ("# TYPE a gauge\na{x=\"1\"} 1\na{x=\"1\"} 2\n", "duplicate"),
        ("# TYPE 1a gauge\n1a 1\n", "name"),
        ("# TYPE a gauge\na{x=1} 1\n", "label"),
        ("# TYPE a gauge\na{x=\"\\q\"} 1\n", "escape"),
        ("# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n", "cumulative"),
        ("# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n", "+Inf"),
        ("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 2\n", "_count"),
        ("# TYPE c counter\nc -1\n", "negative"),
    ] {
        assert!(exposition::check(bad).is_err(), "accepted ({why}): {bad:?}");
    }
}

/// A checker for the Prometheus text exposition format 0.0.4, written from
/// its specification: line grammar, metric and label names, label value
/// escapes, sample values, one `# TYPE` per family before its samples,
/// families not interleaved, no duplicate series, counters not negative,
/// and histograms with cumulative `le` buckets ending in `+Inf` that equals
/// `_count`.
pub mod exposition {
    use super::*;

    pub struct Sample {
        pub name: String,
        pub labels: Vec<(String, String)>,
        pub value: f64,
    }

    pub struct Family {
        pub kind: String,
        pub samples: Vec<Sample>,
    }

    fn is_metric_name(s: &str) -> bool {
        let mut cs = s.chars();
        matches!(cs.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == ':')
            && cs.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    }

    fn is_label_name(s: &str) -> bool {
        let mut cs = s.chars();
        matches!(cs.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
            && cs.all(|c| c.is_ascii_alphanumeric() || c == '_')
    }

    fn value(s: &str) -> Result<f64, String> {
        match s {
            "+Inf" | "Inf" => Ok(f64::INFINITY),
            "-Inf" => Ok(f64::NEG_INFINITY),
            "NaN" => Ok(f64::NAN),
            _ => s.parse().map_err(|_| format!("`{s}` is not a sample value")),
        }
    }

    /// `name{labels} value [timestamp]`
    fn sample(line: &str) -> Result<Sample, String> {
        let name_end = line.find(['{', ' ']).ok_or("a sample needs a value")?;
        let name = &line[..name_end];
        if !is_metric_name(name) {
            return Err(format!("bad metric name `{name}`"));
        }
        let mut rest = &line[name_end..];
        let mut labels = Vec::new();
        if let Some(r) = rest.strip_prefix('{') {
            rest = r;
            loop {
                if let Some(r) = rest.strip_prefix('}') {
                    rest = r;
                    break;
                }
                let eq = rest.find('=').ok_or("a label needs `=`")?;
                let lname = &rest[..eq];
                if !is_label_name(lname) {
                    return Err(format!("bad label name `{lname}`"));
                }
                rest = rest[eq + 1..].strip_prefix('"').ok_or("a label value must be quoted")?;
                let mut v = String::new();
                let mut chars = rest.char_indices();
                let end = loop {
                    match chars.next().ok_or("unterminated label value")? {
                        (i, '"') => break i,
                        (_, '\\') => match chars.next().ok_or("unterminated escape")?.1 {
                            '\\' => v.push('\\'),
                            '"' => v.push('"'),
                            'n' => v.push('\n'),
                            c => return Err(format!("bad escape `\\{c}`")),
                        },
                        (_, c) => v.push(c),
                    }
                };
                if labels.iter().any(|(n, _): &(String, String)| n == lname) {
                    return Err(format!("label `{lname}` twice"));
                }
                labels.push((lname.to_string(), v));
                rest = &rest[end + 1..];
                if let Some(r) = rest.strip_prefix(',') {
                    rest = r;
                } else if !rest.starts_with('}') {
                    return Err("labels are separated by `,`".into());
                }
            }
        }
        let rest = rest.strip_prefix(' ').ok_or("a space before the value")?;
        let mut fields = rest.split(' ');
        let value = value(fields.next().unwrap_or(""))?;
        if let Some(ts) = fields.next() {
            ts.parse::<i64>().map_err(|_| format!("bad timestamp `{ts}`"))?;
        }
        if fields.next().is_some() {
            return Err("extra fields after the timestamp".into());
        }
        Ok(Sample { name: name.to_string(), labels, value })
    }

    /// The family a sample belongs to, given the declared types.
    fn family_of(name: &str, types: &HashMap<String, String>) -> String {
        for suffix in ["_bucket", "_sum", "_count"] {
            if let Some(base) = name.strip_suffix(suffix) {
                if matches!(types.get(base).map(String::as_str), Some("histogram" | "summary")) {
                    return base.to_string();
                }
            }
        }
        name.to_string()
    }

    /// Checks `text`; returns its families by name.
    pub fn check(text: &str) -> Result<HashMap<String, Family>, String> {
        if !text.is_empty() && !text.ends_with('\n') {
            return Err("the last line must end with a newline".into());
        }
        let mut types: HashMap<String, String> = HashMap::new();
        let mut helps: HashSet<String> = HashSet::new();
        let mut families: HashMap<String, Family> = HashMap::new();
        let mut done: HashSet<String> = HashSet::new();
        let mut current: Option<String> = None;
        let mut series: HashSet<String> = HashSet::new();
        for (i, line) in text.lines().enumerate() {
            let at = |e: String| format!("line {}: {e}: {line:?}", i + 1);
            if line.trim().is_empty() {
                continue;
            }
            if let Some(comment) = line.strip_prefix('#') {
                let mut words = comment.trim_start().splitn(3, ' ');
                match (words.next(), words.next(), words.next()) {
                    (Some("TYPE"), Some(name), Some(kind)) => {
                        if !is_metric_name(name) {
                            return Err(at(format!("bad metric name `{name}`")));
                        }
                        if !matches!(kind, "counter" | "gauge" | "histogram" | "summary" | "untyped") {
                            return Err(at(format!("unknown type `{kind}`")));
                        }
                        if types.contains_key(name) {
                            return Err(at("a second TYPE line".into()));
                        }
                        if families.contains_key(name) {
                            return Err(at("TYPE after the family's samples".into()));
                        }
                        types.insert(name.to_string(), kind.to_string());
                    }
                    (Some("HELP"), Some(name), _) => {
                        if !is_metric_name(name) {
                            return Err(at(format!("bad metric name `{name}`")));
                        }
                        if !helps.insert(name.to_string()) {
                            return Err(at("a second HELP line".into()));
                        }
                    }
                    _ => {}
                }
                continue;
            }
            let s = sample(line).map_err(at)?;
            let fam = family_of(&s.name, &types);
            if current.as_deref() != Some(fam.as_str()) {
                if done.contains(&fam) {
                    return Err(at(format!("family `{fam}` is not grouped")));
                }
                if let Some(prev) = current.replace(fam.clone()) {
                    done.insert(prev);
                }
            }
            let mut key_labels = s.labels.clone();
            key_labels.sort();
            if !series.insert(format!("{}{:?}", s.name, key_labels)) {
                return Err(at("a duplicate series".into()));
            }
            let kind = types.get(&fam).cloned().unwrap_or_else(|| "untyped".into());
            if kind == "counter" && (s.value < 0.0 || s.value.is_nan()) {
                return Err(at("a negative counter".into()));
            }
            families.entry(fam).or_insert_with(|| Family { kind, samples: Vec::new() }).samples.push(s);
        }
        for (name, f) in &families {
            if f.kind == "histogram" {
                histogram(name, f)?;
            }
        }
        Ok(families)
    }

    /// Buckets cumulative per label set, ending in `+Inf` equal to `_count`.
    fn histogram(name: &str, f: &Family) -> Result<(), String> {
        /// One series of the histogram: its `(le, count)` buckets and its `_count`.
        type Series = (Vec<(f64, f64)>, Option<f64>);
        let mut groups: HashMap<Vec<(String, String)>, Series> = HashMap::new();
        for s in &f.samples {
            let mut labels: Vec<(String, String)> = s.labels.iter().filter(|(n, _)| n != "le").cloned().collect();
            labels.sort();
            let g = groups.entry(labels).or_default();
            if s.name.ends_with("_bucket") {
                let le = s.labels.iter().find(|(n, _)| n == "le").ok_or(format!("{name}: a bucket without le"))?;
                g.0.push((value(&le.1)?, s.value));
            } else if s.name.ends_with("_count") {
                g.1 = Some(s.value);
            }
        }
        for (labels, (buckets, count)) in groups {
            let mut prev = (f64::NEG_INFINITY, 0.0);
            for &(le, c) in &buckets {
                if le <= prev.0 || c < prev.1 {
                    return Err(format!("{name}{labels:?}: buckets not cumulative in le order"));
                }
                prev = (le, c);
            }
            if prev.0 != f64::INFINITY {
                return Err(format!("{name}{labels:?}: no +Inf bucket"));
            }
            if count != Some(prev.1) {
                return Err(format!("{name}{labels:?}: _count {count:?} differs from the +Inf bucket {}", prev.1));
            }
        }
        Ok(())
    }
}

/// Just enough JSON to read `/stats.json` and JSON log lines.
pub mod json {
    use std::collections::BTreeMap;

    #[derive(Debug, Clone, PartialEq)]
    pub enum Value {
        Null,
        Bool(bool),
        Num(f64),
        Str(String),
        Arr(Vec<Value>),
        Obj(BTreeMap<String, Value>),
    }

    static NULL: Value = Value::Null;

    impl Value {
        /// The number, failing the test for anything else.
        #[track_caller]
        pub fn num(&self) -> f64 {
            match self {
                Value::Num(n) => *n,
                other => panic!("not a number: {other:?}"),
            }
        }

        pub fn str(&self) -> Option<&str> {
            match self {
                Value::Str(s) => Some(s),
                _ => None,
            }
        }
    }

    impl std::ops::Index<&str> for Value {
        type Output = Value;

        fn index(&self, key: &str) -> &Value {
            match self {
                Value::Obj(m) => m.get(key).unwrap_or(&NULL),
                _ => &NULL,
            }
        }
    }

    /// Parses one JSON text (surrounding whitespace allowed).
    pub fn parse(text: &str) -> Result<Value, String> {
        let mut p = Parser { s: text.as_bytes(), i: 0 };
        let v = p.value()?;
        p.ws();
        if p.i != p.s.len() {
            return Err(format!("trailing characters at {}", p.i));
        }
        Ok(v)
    }

    struct Parser<'a> {
        s: &'a [u8],
        i: usize,
    }

    impl Parser<'_> {
        fn ws(&mut self) {
            while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
                self.i += 1;
            }
        }

        fn eat(&mut self, b: u8) -> Result<(), String> {
            self.ws();
            if self.s.get(self.i) == Some(&b) {
                self.i += 1;
                Ok(())
            } else {
                Err(format!("expected `{}` at {}", b as char, self.i))
            }
        }

        fn value(&mut self) -> Result<Value, String> {
            self.ws();
            match self.s.get(self.i).copied() {
                Some(b'{') => {
                    self.i += 1;
                    let mut m = BTreeMap::new();
                    self.ws();
                    if self.s.get(self.i) == Some(&b'}') {
                        self.i += 1;
                        return Ok(Value::Obj(m));
                    }
                    loop {
                        self.ws();
                        let k = self.string()?;
                        self.eat(b':')?;
                        m.insert(k, self.value()?);
                        self.ws();
                        match self.s.get(self.i) {
                            Some(b',') => self.i += 1,
                            Some(b'}') => {
                                self.i += 1;
                                return Ok(Value::Obj(m));
                            }
                            _ => return Err(format!("expected `,` or `}}` at {}", self.i)),
                        }
                    }
                }
                Some(b'[') => {
                    self.i += 1;
                    let mut v = Vec::new();
                    self.ws();
                    if self.s.get(self.i) == Some(&b']') {
                        self.i += 1;
                        return Ok(Value::Arr(v));
                    }
                    loop {
                        v.push(self.value()?);
                        self.ws();
                        match self.s.get(self.i) {
                            Some(b',') => self.i += 1,
                            Some(b']') => {
                                self.i += 1;
                                return Ok(Value::Arr(v));
                            }
                            _ => return Err(format!("expected `,` or `]` at {}", self.i)),
                        }
                    }
                }
                Some(b'"') => self.string().map(Value::Str),
                Some(b't') => self.word("true", Value::Bool(true)),
                Some(b'f') => self.word("false", Value::Bool(false)),
                Some(b'n') => self.word("null", Value::Null),
                Some(c) if c == b'-' || c.is_ascii_digit() => {
                    let start = self.i;
                    while self.i < self.s.len()
                        && matches!(self.s[self.i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                    {
                        self.i += 1;
                    }
                    let t = std::str::from_utf8(&self.s[start..self.i]).unwrap();
                    t.parse().map(Value::Num).map_err(|_| format!("bad number `{t}`"))
                }
                _ => Err(format!("unexpected input at {}", self.i)),
            }
        }

        fn word(&mut self, w: &str, v: Value) -> Result<Value, String> {
            if self.s[self.i..].starts_with(w.as_bytes()) {
                self.i += w.len();
                Ok(v)
            } else {
                Err(format!("bad literal at {}", self.i))
            }
        }

        fn string(&mut self) -> Result<String, String> {
            if self.s.get(self.i) != Some(&b'"') {
                return Err(format!("expected a string at {}", self.i));
            }
            self.i += 1;
            let mut out = Vec::new();
            loop {
                let b = *self.s.get(self.i).ok_or("unterminated string")?;
                self.i += 1;
                match b {
                    b'"' => return String::from_utf8(out).map_err(|e| e.to_string()),
                    b'\\' => {
                        let e = *self.s.get(self.i).ok_or("unterminated escape")?;
                        self.i += 1;
                        match e {
                            b'"' | b'\\' | b'/' => out.push(e),
                            b'n' => out.push(b'\n'),
                            b't' => out.push(b'\t'),
                            b'r' => out.push(b'\r'),
                            b'b' => out.push(8),
                            b'f' => out.push(12),
                            b'u' => {
                                let hex = std::str::from_utf8(self.s.get(self.i..self.i + 4).ok_or("short \\u")?)
                                    .map_err(|e| e.to_string())?;
                                let c = u32::from_str_radix(hex, 16).map_err(|e| e.to_string())?;
                                self.i += 4;
                                let ch = char::from_u32(c).unwrap_or('\u{fffd}');
                                out.extend_from_slice(ch.to_string().as_bytes());
                            }
                            _ => return Err(format!("bad escape at {}", self.i)),
                        }
                    }
                    c if c < 0x20 => return Err("a control character in a string".into()),
                    c => out.push(c),
                }
            }
        }
    }
}
