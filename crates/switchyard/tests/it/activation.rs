//! systemd socket activation: the test plays systemd's part, holding the
//! listening socket and handing it to each server it starts.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use crate::support::Server;

/// Starts `switchyard ARGS` as systemd would: `listener` as descriptor 3,
/// `LISTEN_FDS=1` and `LISTEN_PID` set to the server's own process id.
fn start_activated(listener: &TcpListener, args: &[&str]) -> Server {
    start_activated_as(listener, "main", args)
}

/// [`start_activated`], the socket named `name` (`FileDescriptorName=`).
pub(crate) fn start_activated_as(listener: &TcpListener, name: &str, args: &[&str]) -> Server {
    let fd = listener.as_raw_fd();
    let mut cmd = Command::new("/bin/sh");
    // `exec` keeps the shell's process id, which `$$` names.
    cmd.arg("-c")
        .arg(format!("export LISTEN_PID=$$ LISTEN_FDS=1 LISTEN_FDNAMES={name}; exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_switchyard"))
        .args(args);
    pass_as_fd3(&mut cmd, fd);
    Server::start_with(&mut cmd, 1)
}

/// Hands `fd` to the child as descriptor 3, open across `exec`.
fn pass_as_fd3(cmd: &mut Command, fd: i32) {
    // SAFETY: dup2(2) and fcntl(2) are async-signal-safe and touch only
    // the child. dup2 onto itself keeps close-on-exec, so clear it too.
    unsafe {
        cmd.pre_exec(move || {
            if fd != 3 && libc::dup2(fd, 3) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            if libc::fcntl(3, libc::F_SETFD, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// One echo exchange on a new connection: the connection must be
/// accepted and not reset; `None` if the server closed it before the
/// answer (a connection it took from its queue as it stopped).
fn exchange(addr: SocketAddr, token: &str) -> Option<()> {
    let mut c = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connecting for {token}: {e}"));
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    c.write_all(token.as_bytes()).unwrap_or_else(|e| panic!("sending {token}: {e}"));
    let mut got = vec![0u8; token.len()];
    let mut n = 0;
    while n < got.len() {
        match c.read(&mut got[n..]) {
            Ok(0) if n == 0 => return None,
            Ok(0) => panic!("{token}: half an answer"),
            Ok(k) => n += k,
            Err(e) => panic!("{token}: {e}"),
        }
    }
    assert_eq!(got, token.as_bytes());
    Some(())
}

/// Runs echo exchanges on new connections, one every 2 ms: 100 of them,
/// then while `switch` replaces the server (it returns once the old one is
/// gone), then 100 more, which the new one must answer. A connection the stopping server
/// took but closed before reading is retried, as clients retry a closed
/// keep-alive connection: the request was never seen. Returns what
/// `switch` returned, the requests answered and those retried.
fn under_load<T>(addr: SocketAddr, switch: impl FnOnce() -> T) -> (T, usize, usize) {
    let stop = AtomicBool::new(false);
    let (answered, retried) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let result = std::thread::scope(|s| {
        let load = s.spawn(|| {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let token = format!("request {i}\n");
                while exchange(addr, &token).is_none() {
                    retried.fetch_add(1, Ordering::Relaxed);
                }
                answered.fetch_add(1, Ordering::Relaxed);
                i += 1;
                std::thread::sleep(Duration::from_millis(2));
            }
        });
        crate::support::wait_for(Duration::from_secs(30), "the old server to answer 100 requests", || {
            answered.load(Ordering::Relaxed) >= 100
        });
        let result = switch();
        let before = answered.load(Ordering::Relaxed);
        crate::support::wait_for(Duration::from_secs(30), "the new server to answer 100 requests", || {
            answered.load(Ordering::Relaxed) >= before + 100
        });
        stop.store(true, Ordering::Relaxed);
        load.join().unwrap();
        result
    });
    let (answered, retried) = (answered.into_inner(), retried.into_inner());
    eprintln!("{answered} answered, {retried} retried");
    assert!(answered > 100);
    (result, answered, retried)
}

#[test]
fn a_socket_activated_server_serves_the_socket_it_is_given_and_a_restart_refuses_nobody() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mut first = start_activated(&listener, &["serve", "echo", "--log-level", "info", "--listen", "127.0.0.1:1"]);
    assert_eq!(first.addr(), addr, "the given socket, not --listen");
    let (second, _, _) = under_load(addr, || {
        // The restart: the old server drains while the new one starts on
        // the same socket; connections wait in its queue meanwhile.
        first.signal(libc::SIGTERM);
        let second = start_activated(&listener, &["serve", "echo", "--log-level", "warn"]);
        assert_eq!(first.wait(Duration::from_secs(30)).code(), Some(0), "{}", first.stderr());
        second
    });
    assert_eq!(second.stop().code(), Some(0));
    let log = first.stderr();
    assert!(log.contains("socket-activated"), "{log}");
}

#[test]
fn a_descriptor_that_is_not_a_listening_socket_is_refused_with_exit_2() {
    let not_listening = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let fd = not_listening.as_raw_fd();
    let mut cmd = Command::new("/bin/sh");
    cmd.arg("-c")
        .arg("export LISTEN_PID=$$ LISTEN_FDS=1; exec \"$0\" serve echo")
        .arg(env!("CARGO_BIN_EXE_switchyard"))
        .stdin(std::process::Stdio::null());
    pass_as_fd3(&mut cmd, fd);
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("LISTEN_FDS: socket unknown: descriptor 3 is not a TCP socket"), "{stderr}");
}

/// The process id named by `pid=N` in the first log line that says `what`.
pub(crate) fn logged_pid(log: &str, what: &str) -> Option<u32> {
    let line = log.lines().find(|l| l.contains(what))?;
    let at = line.find("pid=")? + 4;
    line[at..].split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
}

/// Waits until process `pid` (not our child) has exited.
pub(crate) fn wait_gone(pid: u32, limit: Duration) {
    let deadline = std::time::Instant::now() + limit;
    loop {
        let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok();
        // Gone, or a zombie waiting for its new parent to reap it.
        if state.as_deref().is_none_or(|s| s.rsplit(')').next().is_some_and(|r| r.trim_start().starts_with('Z'))) {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "process {pid} did not exit within {limit:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn sigusr2_hands_the_sockets_to_a_new_process_and_refuses_nobody() {
    let mut old = Server::start(&["serve", "echo", "--listen", "127.0.0.1:0", "--log-level", "info"], 1);
    let addr = old.addr();
    let (new_pid, _, _) = under_load(addr, || {
        old.signal(libc::SIGUSR2);
        assert_eq!(old.wait(Duration::from_secs(30)).code(), Some(0), "{}", old.stderr());
        let log = old.stderr();
        logged_pid(&log, "the new process is ready").unwrap_or_else(|| panic!("{log}"))
    });
    // SAFETY: kill(2) of the process the old server started.
    assert_eq!(unsafe { libc::kill(new_pid as i32, libc::SIGTERM) }, 0);
    wait_gone(new_pid, Duration::from_secs(30));
}

#[test]
fn an_upgrade_whose_new_process_fails_leaves_the_old_one_serving() {
    let dir = std::env::temp_dir().join(format!("switchyard-upgrade-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("echo.toml");
    std::fs::write(&file, "listen = [\"127.0.0.1:0\"]\n").unwrap();
    let old = Server::start(&["serve", "echo", "--config", file.to_str().unwrap()], 1);
    // The new process will read this and refuse to start.
    std::fs::write(&file, "listen = [\"nowhere\"]\n").unwrap();
    old.signal(libc::SIGUSR2);
    crate::support::wait_for(Duration::from_secs(30), "the failed upgrade's log line", || {
        old.stderr().contains("upgrade failed")
    });
    let log = old.stderr();
    assert!(log.contains("exited before it was ready"), "{log}");
    assert_eq!(exchange(old.addr(), "still here\n"), Some(()));
    assert_eq!(old.stop().code(), Some(0));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sighup_reloads_what_can_change_live_and_names_what_needs_a_restart() {
    let dir = std::env::temp_dir().join(format!("switchyard-reload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("echo.toml");
    std::fs::write(&file, "listen = [\"127.0.0.1:0\"]\nlog_level = \"info\"\nworkers = 2\n").unwrap();
    let server = Server::start(&["serve", "echo", "--config", file.to_str().unwrap()], 1);
    std::fs::write(
        &file,
        "listen = [\"127.0.0.1:0\"]\nlog_level = \"debug\"\nworkers = 3\noutput_hard_limit = \"1MiB\"\n",
    )
    .unwrap();
    server.signal(libc::SIGHUP);
    crate::support::wait_for(Duration::from_secs(10), "the reload", || {
        server.stderr().contains("configuration reloaded")
    });
    assert_eq!(exchange(server.addr(), "after the reload\n"), Some(()));
    crate::support::wait_for(Duration::from_secs(10), "a debug line", || server.stderr().contains("accepted"));
    let log = server.stderr();
    assert!(log.contains(r#"applied=["log_level", "output limits"]"#), "{log}");
    assert!(log.contains(r#"settings=["workers"]"#), "workers need a restart: {log}");
    // A file that no longer parses keeps what runs.
    std::fs::write(&file, "workers = \"many\"\n").unwrap();
    server.signal(libc::SIGHUP);
    crate::support::wait_for(Duration::from_secs(10), "the refused reload", || {
        server.stderr().contains("the running configuration stays")
    });
    assert_eq!(exchange(server.addr(), "still serving\n"), Some(()));
    assert_eq!(server.stop().code(), Some(0));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sighup_changes_the_timeouts_and_the_connection_limit_of_a_running_server() {
    use std::io::Read;
    let dir = std::env::temp_dir().join(format!("switchyard-reload-timeouts-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("echo.toml");
    std::fs::write(&file, "listen = [\"127.0.0.1:0\"]\nidle_timeout = \"300s\"\n").unwrap();
    let server = Server::start(&["serve", "echo", "--config", file.to_str().unwrap()], 1);
    let mut idle = std::net::TcpStream::connect(server.addr()).unwrap();
    std::fs::write(&file, "listen = [\"127.0.0.1:0\"]\nidle_timeout = \"1s\"\nmax_connections = 1\n").unwrap();
    server.signal(libc::SIGHUP);
    crate::support::wait_for(Duration::from_secs(10), "the reload", || {
        server.stderr().contains("configuration reloaded")
    });
    let log = server.stderr();
    assert!(log.contains(r#"applied=["timeouts", "max_connections"]"#), "{log}");
    // The connection opened under the old limit stays, and one more is
    // turned away now.
    let mut second = std::net::TcpStream::connect(server.addr()).unwrap();
    second.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut buf = [0u8; 64];
    assert!(matches!(second.read(&mut buf), Ok(0) | Err(_)), "past max_connections the client is closed");
    // Nudged by traffic, the idle connection is held to the new idle time.
    use std::io::Write;
    idle.write_all(b"hi\n").unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut got = Vec::new();
    let _ = idle.read_to_end(&mut got);
    assert_eq!(got, b"hi\n", "the echo, then the close at the new idle_timeout");
    crate::support::wait_for(Duration::from_secs(10), "the idle close", || {
        server.stderr().contains("no traffic for idle_timeout")
    });
    assert_eq!(server.stop().code(), Some(0));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_upgrade_hands_the_admin_socket_over_too() {
    let mut old = Server::start(&["serve", "echo", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0"], 2);
    let (addr, admin) = (old.addrs[0], old.addrs[1]);
    old.signal(libc::SIGUSR2);
    assert_eq!(old.wait(Duration::from_secs(30)).code(), Some(0), "{}", old.stderr());
    let log = old.stderr();
    let new_pid = logged_pid(&log, "the new process is ready").unwrap_or_else(|| panic!("{log}"));
    // The old process is gone: the admin port answers from the new one,
    // which did not fail on an address in use.
    let health = crate::admin::get(admin, "/healthz");
    assert_eq!((health.status, health.body.as_str()), (200, "ok\n"));
    assert_eq!(exchange(addr, "after the upgrade\n"), Some(()));
    assert!(!log.contains("Address already in use"), "{log}");
    // SAFETY: kill(2) of the process the old server started.
    assert_eq!(unsafe { libc::kill(new_pid as i32, libc::SIGTERM) }, 0);
    wait_gone(new_pid, Duration::from_secs(30));
}
