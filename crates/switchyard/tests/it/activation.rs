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
    let fd = listener.as_raw_fd();
    let mut cmd = Command::new("/bin/sh");
    // `exec` keeps the shell's process id, which `$$` names.
    cmd.arg("-c")
        .arg("export LISTEN_PID=$$ LISTEN_FDS=1 LISTEN_FDNAMES=main; exec \"$0\" \"$@\"")
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

#[test]
fn a_socket_activated_server_serves_the_socket_it_is_given_and_a_restart_refuses_nobody() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mut first = start_activated(&listener, &["serve", "echo", "--log-level", "info", "--listen", "127.0.0.1:1"]);
    assert_eq!(first.addr(), addr, "the given socket, not --listen");
    let stop = AtomicBool::new(false);
    let (answered, retried) = (AtomicUsize::new(0), AtomicUsize::new(0));
    std::thread::scope(|s| {
        let load = s.spawn(|| {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let token = format!("request {i}\n");
                // A connection the stopping server took but closed before
                // reading is retried, as clients retry a closed keep-alive
                // connection: the request was never seen.
                while exchange(addr, &token).is_none() {
                    retried.fetch_add(1, Ordering::Relaxed);
                }
                answered.fetch_add(1, Ordering::Relaxed);
                i += 1;
                std::thread::sleep(Duration::from_millis(2));
            }
        });
        std::thread::sleep(Duration::from_millis(300));
        // The restart: the old server drains while the new one starts on
        // the same socket; connections wait in its queue meanwhile.
        first.signal(libc::SIGTERM);
        let second = start_activated(&listener, &["serve", "echo", "--log-level", "warn"]);
        assert_eq!(first.wait(Duration::from_secs(30)).code(), Some(0), "{}", first.stderr());
        let before = answered.load(Ordering::Relaxed);
        std::thread::sleep(Duration::from_millis(300));
        assert!(answered.load(Ordering::Relaxed) > before, "the new server answers");
        stop.store(true, Ordering::Relaxed);
        load.join().unwrap();
        assert_eq!(second.stop().code(), Some(0));
    });
    assert!(answered.load(Ordering::Relaxed) > 100);
    let log = first.stderr();
    assert!(log.contains("socket-activated"), "{log}");
    eprintln!("{} answered, {} retried", answered.load(Ordering::Relaxed), retried.load(Ordering::Relaxed));
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
