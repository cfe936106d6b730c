//! `switchyard serve echo` end to end: the listening line, signals, limits
//! that need a process of their own.

use std::io::{Read, Write};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::*;

fn echo_args(extra: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = ["serve", "echo", "--listen", "127.0.0.1:0"].iter().map(|s| s.to_string()).collect();
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

fn start(extra: &[&str]) -> Server {
    let args = echo_args(extra);
    Server::start(&args.iter().map(String::as_str).collect::<Vec<_>>(), 1)
}

#[test]
fn serve_echo_prints_its_address_echoes_and_exits_zero_on_sigterm() {
    for poller in ["epoll", "poll"] {
        let server = start(&["--poller", poller, "--workers", "2"]);
        let mut c = server.connect();
        c.write_all(b"hello switchyard").unwrap();
        let mut buf = [0; 16];
        c.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"hello switchyard");
        drop(c);
        let status = server.stop();
        assert_eq!(status.code(), Some(0), "{poller}");
    }
}

#[test]
fn several_listen_flags_print_one_line_each() {
    let server =
        Server::start(&["serve", "echo", "--listen", "127.0.0.1:0", "--listen", "127.0.0.1:0", "--io-threads", "2"], 2);
    assert_ne!(server.addrs[0], server.addrs[1]);
    for addr in server.addrs.clone() {
        let mut c = connect(addr);
        c.write_all(b"x").unwrap();
        let mut b = [0; 1];
        c.read_exact(&mut b).unwrap();
    }
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn a_bad_flag_is_a_usage_error_with_exit_status_two() {
    for (args, needle) in [
        (vec!["serve", "echo", "--workers", "many"], "--workers"),
        (vec!["serve", "echo", "--poller", "kqueue"], "kqueue"),
        (vec!["serve", "echo", "--idle-timeout", "5 parsecs"], "parsecs"),
        (vec!["serve", "gopher"], "gopher"),
        (vec!["serve", "echo", "--io-threads", "0"], "io_threads"),
        (vec!["serve", "echo", "--log-level", "loud=very=much"], "log level"),
        (vec!["serve", "echo", "--max-output", "10"], "--max-output"),
        (vec!["serve", "echo", "--max-input", "0"], "--max-input"),
        (vec!["serve", "kv", "--databases", "0"], "--databases"),
        (vec!["serve", "kv", "--databases", "2000000"], "--databases"),
        (vec!["serve", "chat", "--ping-interval", "0s"], "--ping-interval"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_switchyard")).args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
}

#[test]
fn sigint_with_two_hundred_clients_in_flight_echoes_every_byte_and_exits_zero() {
    let server = start(&["--workers", "2"]);
    let addr = server.addr();
    let mut clients: Vec<_> = (0..200).map(|_| connect(addr)).collect();
    let payload: Vec<u8> = (0..32 << 10).map(|i: u32| (i % 253) as u8).collect();
    // Keep reading while writing so that neither side's buffers fill.
    let readers: Vec<_> = clients
        .iter_mut()
        .map(|c| {
            c.write_all(&payload).unwrap();
            let mut r = c.try_clone().unwrap();
            std::thread::spawn(move || {
                let mut got = Vec::new();
                r.read_to_end(&mut got).unwrap();
                got
            })
        })
        .collect();
    server.signal(libc::SIGINT);
    for (i, r) in readers.into_iter().enumerate() {
        let got = r.join().unwrap();
        assert!(got == payload, "client {i} got {} of {} bytes", got.len(), payload.len());
    }
    let mut server = server;
    assert_eq!(server.wait(Duration::from_secs(30)).code(), Some(0));
    assert!(std::net::TcpStream::connect(addr).is_err(), "new connections must be refused");
    drop(clients);
}

#[test]
fn clients_still_in_the_listen_backlog_at_the_signal_are_answered() {
    for poller in ["epoll", "poll"] {
        let server = start(&["--workers", "2", "--poller", poller]);
        server.signal(libc::SIGSTOP);
        // The kernel completes these handshakes and buffers the bytes while
        // the server cannot accept: they connected before the signal.
        let mut clients: Vec<_> = (0..50).map(|_| server.connect()).collect();
        for (i, c) in clients.iter_mut().enumerate() {
            c.write_all(format!("request {i}").as_bytes()).unwrap();
        }
        server.signal(libc::SIGINT);
        server.signal(libc::SIGCONT);
        for (i, mut c) in clients.into_iter().enumerate() {
            let mut got = Vec::new();
            c.read_to_end(&mut got).unwrap_or_else(|e| panic!("{poller}: client {i}: {e}"));
            assert_eq!(got, format!("request {i}").as_bytes(), "{poller}: client {i}");
        }
        let mut server = server;
        assert_eq!(server.wait(Duration::from_secs(30)).code(), Some(0), "{poller}");
    }
}

#[test]
fn a_second_sigint_exits_at_once_while_a_client_holds_the_drain_open() {
    let server = start(&["--shutdown-timeout", "60s", "--write-timeout", "60s"]);
    let hog = server.connect();
    let mut w = hog.try_clone().unwrap();
    w.set_write_timeout(Some(Duration::from_millis(500))).unwrap();
    let chunk = vec![b'h'; 64 << 10];
    while w.write_all(&chunk).is_ok() {}
    server.signal(libc::SIGINT);
    std::thread::sleep(Duration::from_millis(300));
    let mut server = server;
    assert!(server.child.try_wait().unwrap().is_none(), "the drain should still be waiting for the hog");
    server.signal(libc::SIGINT);
    let started = Instant::now();
    let status = server.wait(Duration::from_secs(5));
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_ne!(status.code(), Some(0));
    drop(hog);
}

#[test]
fn a_client_that_writes_without_reading_leaves_memory_bounded_and_others_served() {
    let server = start(&[]);
    let hog = server.connect();
    let mut w = hog.try_clone().unwrap();
    w.set_write_timeout(Some(Duration::from_secs(2))).unwrap();
    let writer = std::thread::spawn(move || {
        let chunk = vec![b'm'; 1 << 20];
        let mut sent = 0usize;
        while sent < 256 << 20 {
            if w.write_all(&chunk).is_err() {
                break;
            }
            sent += chunk.len();
        }
        sent
    });
    let sent = writer.join().unwrap();
    assert!(sent < 256 << 20, "the server should have stopped reading");
    let rss = server.memory("VmRSS") / 1024;
    assert!(rss < 64 * 1024, "resident memory {rss} KiB after {sent} bytes from a client that never reads");
    let mut other = server.connect();
    other.write_all(b"still served").unwrap();
    let mut buf = [0; 12];
    other.read_exact(&mut buf).unwrap();
    drop(hog);
    assert_eq!(server.stop().code(), Some(0));
}

/// CPU time (user + system) of a process, from /proc/PID/stat.
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after_name = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after the name.
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // SAFETY: sysconf with a constant name.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as u64;
    Duration::from_millis(ticks * 1000 / hz)
}

/// Starts `serve echo` with one worker under the given open-files limits.
fn start_with_fd_limit(soft: libc::rlim_t, hard: libc::rlim_t) -> Server {
    Server::start_limited(&echo_args(&["--workers", "1"]), libc::RLIMIT_NOFILE, soft, Some(hard))
}

#[test]
fn the_soft_open_files_limit_is_raised_to_the_hard_limit_at_start() {
    let server = start_with_fd_limit(64, 4096);
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", server.child.id())).unwrap();
    let line = limits.lines().find(|l| l.starts_with("Max open files")).unwrap();
    let soft: Vec<&str> = line.split_whitespace().skip(3).take(2).collect();
    assert_eq!(soft, ["4096", "4096"], "{line}");
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn running_out_of_file_descriptors_pauses_accepting_without_spinning() {
    let server = start_with_fd_limit(64, 64);
    let pid = server.child.id();
    let crowd: Vec<_> = (0..300).filter_map(|_| std::net::TcpStream::connect(server.addr()).ok()).collect();
    assert!(crowd.len() > 64, "the backlog should hold the attempts");
    let before = cpu_time(pid);
    std::thread::sleep(Duration::from_secs(2));
    let burned = cpu_time(pid) - before;
    assert!(burned < Duration::from_millis(500), "the server burned {burned:?} of CPU in 2 s while out of fds");
    drop(crowd);
    let mut c = server.connect();
    c.write_all(b"back").unwrap();
    let mut buf = [0; 4];
    c.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"back");
    assert!(server.stderr().contains("fds_exhausted"), "a warning names the limit");
    drop(c);
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn a_drain_cut_off_by_the_shutdown_timeout_exits_with_status_one() {
    let server = start(&["--shutdown-timeout", "500ms", "--write-timeout", "60s"]);
    let hog = server.connect();
    let mut w = hog.try_clone().unwrap();
    w.set_write_timeout(Some(Duration::from_millis(500))).unwrap();
    let chunk = vec![b'h'; 64 << 10];
    while w.write_all(&chunk).is_ok() {}
    server.signal(libc::SIGTERM);
    let mut server = server;
    assert_eq!(server.wait(Duration::from_secs(10)).code(), Some(1));
    assert!(server.stderr().contains("forced=1"), "the summary line counts the cut-off connection");
    drop(hog);
}
