//! Tests of `switchyard bench`: the load generator against the real echo
//! server, and against a server that corrupts what it echoes.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::support::Server;

/// What a finished `switchyard bench` run left behind.
struct Run {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

/// Runs `switchyard bench ARGS...`, killing it (and failing) if it takes over 30 s.
#[track_caller]
fn bench(args: &[&str]) -> Run {
    let child = Command::new(env!("CARGO_BIN_EXE_switchyard"))
        .arg("bench")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id() as i32;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(output) => {
            let output = output.unwrap();
            Run {
                status: output.status,
                stdout: String::from_utf8(output.stdout).unwrap(),
                stderr: String::from_utf8(output.stderr).unwrap(),
            }
        }
        Err(_) => {
            // SAFETY: kill(2) on our own child's pid.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            panic!("bench did not finish within 30 s");
        }
    }
}

fn echo_server() -> Server {
    Server::start(&["serve", "echo", "--listen", "127.0.0.1:0", "--workers", "1"], 1)
}

/// A JSON value of the kinds the report uses.
#[derive(Debug, PartialEq)]
enum Value {
    Str(String),
    Num(f64),
    Null,
}

/// Parses one flat JSON object (string, number and null values) followed
/// by a newline; anything else is an error.
fn parse_flat_object(text: &str) -> Result<BTreeMap<String, Value>, String> {
    let body = text.strip_suffix('\n').ok_or("no final newline")?;
    let mut chars = body.chars().peekable();
    let mut fields = BTreeMap::new();
    let string = |chars: &mut std::iter::Peekable<std::str::Chars<'_>>| -> Result<String, String> {
        if chars.next() != Some('"') {
            return Err("expected a string".into());
        }
        let mut s = String::new();
        loop {
            match chars.next().ok_or("unterminated string")? {
                '"' => return Ok(s),
                '\\' => match chars.next().ok_or("unterminated escape")? {
                    'u' => {
                        let hex: String = chars.by_ref().take(4).collect();
                        let code = u32::from_str_radix(&hex, 16).map_err(|e| e.to_string())?;
                        s.push(char::from_u32(code).ok_or("bad escape")?);
                    }
                    c @ ('"' | '\\' | '/') => s.push(c),
                    'n' => s.push('\n'),
                    c => return Err(format!("unknown escape \\{c}")),
                },
                c if (c as u32) < 0x20 => return Err("raw control character in a string".into()),
                c => s.push(c),
            }
        }
    };
    if chars.next() != Some('{') {
        return Err("expected {".into());
    }
    loop {
        let key = string(&mut chars)?;
        if chars.next() != Some(':') {
            return Err(format!("expected : after {key:?}"));
        }
        let value = match chars.peek() {
            Some('"') => Value::Str(string(&mut chars)?),
            Some('n') => {
                let word: String = chars.by_ref().take(4).collect();
                if word != "null" {
                    return Err(format!("unexpected {word:?}"));
                }
                Value::Null
            }
            _ => {
                let mut num = String::new();
                while let Some(&c) = chars.peek() {
                    if !(c.is_ascii_digit() || "+-.eE".contains(c)) {
                        break;
                    }
                    num.push(c);
                    chars.next();
                }
                Value::Num(num.parse().map_err(|_| format!("{key}: bad number {num:?}"))?)
            }
        };
        if fields.insert(key.clone(), value).is_some() {
            return Err(format!("duplicate key {key}"));
        }
        match chars.next() {
            Some(',') => continue,
            Some('}') => break,
            other => return Err(format!("expected , or }} after {key}, found {other:?}")),
        }
    }
    match chars.next() {
        None => Ok(fields),
        Some(c) => Err(format!("trailing {c:?}")),
    }
}

#[test]
fn bench_echo_for_a_second_reports_rate_throughput_latency_and_no_errors() {
    let server = echo_server();
    let target = server.addr().to_string();
    let run = bench(&["echo", "--target", &target, "--duration", "1s", "--connections", "8"]);
    assert!(run.status.success(), "{:?}\n{}{}", run.status, run.stdout, run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 5, "{}", run.stdout);
    assert!(lines[0].starts_with(&format!("echo {target}: 8 connections, pipeline 1, 64 B")), "{}", lines[0]);
    let rate: f64 = lines[1].strip_prefix("requests/s").unwrap().split_whitespace().next().unwrap().parse().unwrap();
    assert!(rate > 0.0, "{}", lines[1]);
    assert!(lines[2].starts_with("MB/s "), "{}", lines[2]);
    assert!(lines[3].contains(" p50 ") && lines[3].contains(" p99 ") && lines[3].contains(" p99.9 "), "{}", lines[3]);
    assert_eq!(lines[4], "errors      0");
    // Not a terminal: no progress line.
    assert_eq!(run.stderr, "");
    assert!(server.stop().success());
}

#[test]
fn bench_echo_json_is_one_object_counting_pipelined_requests_without_errors() {
    let server = echo_server();
    let target = server.addr().to_string();
    let run = bench(&[
        "echo",
        "--target",
        &target,
        "--duration",
        "1s",
        "--connections",
        "4",
        "--pipeline",
        "8",
        "--size",
        "100",
        "--json",
    ]);
    assert!(run.status.success(), "{:?}\n{}{}", run.status, run.stdout, run.stderr);
    let fields = parse_flat_object(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout));
    let num = |key: &str| match fields.get(key) {
        Some(Value::Num(n)) => *n,
        other => panic!("{key} is {other:?} in {}", run.stdout),
    };
    assert_eq!(fields["service"], Value::Str("echo".into()));
    assert_eq!(fields["target"], Value::Str(target));
    assert_eq!(num("connections"), 4.0);
    assert_eq!(num("pipeline"), 8.0);
    assert_eq!(num("size"), 100.0);
    assert_eq!(num("errors"), 0.0);
    assert_eq!(fields["first_error"], Value::Null);
    assert!(num("requests") > 0.0);
    assert_eq!(num("bytes_received") % 100.0, 0.0, "only whole responses are counted");
    assert!(num("latency_p50_us") <= num("latency_p99_us") && num("latency_p99_us") <= num("latency_max_us"));
    assert!(server.stop().success());
}

/// A server that echoes, but flips one bit of byte 100 on each connection.
fn corrupting_echo_server(connections: usize) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for _ in 0..connections {
            let (mut sock, _) = listener.accept().unwrap();
            sock.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                let mut seen = 0usize;
                while let Ok(n) = sock.read(&mut buf) {
                    if n == 0 {
                        return;
                    }
                    if (seen..seen + n).contains(&100) {
                        buf[100 - seen] ^= 0x01;
                    }
                    seen += n;
                    if sock.write_all(&buf[..n]).is_err() {
                        return;
                    }
                }
            });
        }
    });
    addr
}

#[test]
fn bench_counts_corrupted_echoes_as_errors_and_exits_1() {
    let addr = corrupting_echo_server(2).to_string();
    let run = bench(&["echo", "--target", &addr, "--duration", "1s", "--connections", "2", "--json"]);
    assert_eq!(run.status.code(), Some(1), "{}{}", run.stdout, run.stderr);
    let fields = parse_flat_object(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout));
    assert_eq!(fields["errors"], Value::Num(2.0), "{}", run.stdout);
    // Byte 100 of the stream is byte 36 of the second 64-byte response.
    assert!(run.stderr.contains("byte 36 of echo response 1"), "{}", run.stderr);
}

#[test]
fn bench_idle_holds_its_connections_open_and_says_when_silent_or_warm() {
    let server = echo_server();
    let target = server.addr().to_string();
    for warm in [false, true] {
        let mut args = vec!["bench", "echo", "--target", &target, "--idle", "20", "--duration", "0s"];
        if warm {
            args.push("--warm");
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_switchyard"))
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        assert_eq!(line, "idle 20 connections open\n", "warm: {warm}");
        let mut stderr = String::new();
        child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
        assert!(child.wait().unwrap().success(), "{stderr}");
        assert_eq!(stderr, "idle: 20 of 20 connections still open after 0ns\n");
    }
    assert!(server.stop().success());
}

#[test]
fn the_flat_json_reader_refuses_what_is_not_one_object() {
    assert!(parse_flat_object("{\"a\":1,\"b\":\"x\",\"c\":null}\n").is_ok());
    assert!(parse_flat_object("{\"a\":1}").is_err());
    assert!(parse_flat_object("{\"a\":1}{}\n").is_err());
    assert!(parse_flat_object("{\"a\":1,}\n").is_err());
    assert!(parse_flat_object("{\"a\":1,\"a\":2}\n").is_err());
}

/// Runs a one-second JSON bench and returns its fields, failing on a non-zero exit.
#[track_caller]
fn bench_json(args: &[&str]) -> BTreeMap<String, Value> {
    let mut argv = args.to_vec();
    argv.extend_from_slice(&["--duration", "1s", "--connections", "4", "--json"]);
    let run = bench(&argv);
    assert!(run.status.success(), "{:?}\n{}{}", run.status, run.stdout, run.stderr);
    parse_flat_object(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

#[test]
fn bench_http_gets_a_file_over_keep_alive_without_errors_and_fails_on_a_404() {
    let root = std::env::temp_dir().join(format!("switchyard-it-bench-http-{}", std::process::id()));
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("hello.txt"), "hello, world\n").unwrap();
    let server = Server::start(
        &["serve", "http", "--listen", "127.0.0.1:0", "--workers", "1", "--root", root.to_str().unwrap()],
        1,
    );
    let target = server.addr().to_string();
    let fields = bench_json(&["http", "--target", &target, "--path", "/hello.txt", "--pipeline", "4"]);
    assert_eq!(fields["errors"], Value::Num(0.0));
    assert_eq!(fields["size"], Value::Null);
    assert!(matches!(fields["requests"], Value::Num(n) if n > 0.0), "{fields:?}");
    let missing = bench(&["http", "--target", &target, "--path", "/missing", "--duration", "1s", "--connections", "1"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(missing.stderr.contains("response 0 has status 404"), "{}", missing.stderr);
    assert!(server.stop().success());
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn bench_kv_sets_and_gets_its_keys_without_errors() {
    let server = Server::start(&["serve", "kv", "--listen", "127.0.0.1:0", "--workers", "0"], 1);
    let target = server.addr().to_string();
    let fields = bench_json(&["kv", "--target", &target, "--pipeline", "4", "--size", "16"]);
    assert_eq!(fields["errors"], Value::Num(0.0));
    assert!(matches!(fields["requests"], Value::Num(n) if n >= 2.0), "{fields:?}");
    // The first SET of connection 0 really landed.
    let mut client = server.connect();
    client.write_all(b"*2\r\n$3\r\nGET\r\n$9\r\nbench:0:0\r\n").unwrap();
    let mut reply = [0u8; 5 + 16 + 2];
    client.read_exact(&mut reply).unwrap();
    assert!(reply.starts_with(b"$16\r\n") && reply.ends_with(b"\r\n"), "{:?}", reply.escape_ascii().to_string());
    assert!(reply[5..21].iter().all(u8::is_ascii_lowercase));
    assert!(server.stop().success());
}
