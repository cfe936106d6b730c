//! Helpers shared by the engine tests: in-process servers per backend,
//! clients with timeouts, and a few small services.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use switchyard_engine::poller::Kind;
use switchyard_engine::{Config, ConnInfo, Control, Cx, Reject, Server, Service, Summary};

/// Both readiness backends: every engine test runs once per backend.
pub const BACKENDS: [Kind; 2] = [Kind::Epoll, Kind::Poll];

/// A server running on a thread of this test.
pub struct Running {
    pub addr: SocketAddr,
    /// The first TLS listener's address, if there is one.
    pub tls_addr: Option<SocketAddr>,
    pub control: Control,
    thread: Option<JoinHandle<Result<Summary, switchyard_engine::Error>>>,
}

impl Running {
    /// Starts `service` on 127.0.0.1:0 with the `poller` backend, after
    /// `tweak` adjusts the configuration.
    #[track_caller]
    pub fn start<S: Service>(service: S, poller: Kind, tweak: impl FnOnce(&mut Config)) -> Running {
        let mut config = Config {
            listen: vec!["127.0.0.1:0".parse().unwrap()],
            poller,
            workers: 2,
            shutdown_timeout: Duration::from_secs(10),
            ..Config::default()
        };
        tweak(&mut config);
        let server = Server::bind(config, service).unwrap();
        let addr = server.local_addrs()[0];
        let tls_addr = server.local_addrs().iter().zip(server.serves_tls()).find(|(_, &tls)| tls).map(|(a, _)| *a);
        let control = server.control();
        let thread = std::thread::spawn(move || server.run());
        Running { addr, tls_addr, control, thread: Some(thread) }
    }

    pub fn connect(&self) -> TcpStream {
        connect(self.addr)
    }

    /// Shuts down gracefully and returns the summary.
    #[track_caller]
    pub fn stop(mut self) -> Summary {
        self.control.shutdown();
        self.thread.take().unwrap().join().unwrap().unwrap()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(t) = self.thread.take() {
            self.control.shutdown();
            let _ = t.join();
        }
    }
}

/// Connects with 10 s read and write timeouts.
#[track_caller]
pub fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.set_write_timeout(Some(Duration::from_secs(10))).unwrap();
    s
}

/// Reads exactly `n` bytes.
#[track_caller]
pub fn read_n(s: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut buf = vec![0; n];
    s.read_exact(&mut buf).unwrap();
    buf
}

/// Reads until EOF.
#[track_caller]
pub fn read_to_end(s: &mut TcpStream) -> Vec<u8> {
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).unwrap();
    buf
}

/// True if the peer closed: EOF or a reset.
pub fn closed_by_peer(s: &mut TcpStream) -> bool {
    let mut buf = [0; 1024];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(_) => return false,
        }
    }
}

/// Waits until `cond` holds, failing after `limit`.
#[track_caller]
pub fn wait_for(limit: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Echoes every byte.
pub struct Echo;

impl Service for Echo {
    type State = ();

    fn open(&self, _: &ConnInfo) {}

    fn handle(&self, _: &mut (), cx: &mut Cx<'_>) {
        let (input, out) = cx.io();
        out.extend_from_slice(input);
        let n = input.len();
        cx.consume(n);
    }
}

/// Answers each complete line with the same line. A line `panic` panics;
/// `sleep N` sleeps N ms first; `close` closes after answering. Replies to
/// engine rejections with `ERR <why>`.
pub struct Lines;

impl Service for Lines {
    type State = u64;

    fn open(&self, _: &ConnInfo) -> u64 {
        0
    }

    fn handle(&self, seen: &mut u64, cx: &mut Cx<'_>) {
        while let Some(end) = cx.input().iter().position(|&b| b == b'\n') {
            let line = cx.input()[..end].to_vec();
            cx.consume(end + 1);
            *seen += 1;
            if line == b"panic" {
                panic!("asked to panic");
            }
            if let Some(ms) = line.strip_prefix(b"sleep ") {
                let ms: u64 = std::str::from_utf8(ms).unwrap().parse().unwrap();
                std::thread::sleep(Duration::from_millis(ms));
            }
            cx.out().extend_from_slice(&line);
            cx.out().extend_from_slice(b"\n");
            if line == b"close" {
                cx.close();
                return;
            }
        }
    }

    fn reject(&self, why: Reject) -> Option<Vec<u8>> {
        Some(format!("ERR {why:?}\n").into_bytes())
    }
}

/// Writes all of `data` on one thread while reading `expect` bytes on this
/// one; returns what was read.
#[track_caller]
pub fn write_while_reading(s: &TcpStream, data: Vec<u8>) -> Vec<u8> {
    let mut w = s.try_clone().unwrap();
    let n = data.len();
    let writer = std::thread::spawn(move || w.write_all(&data).unwrap());
    let mut r = s.try_clone().unwrap();
    let got = read_n(&mut r, n);
    writer.join().unwrap();
    got
}

/// Echoes, and records every connection's id as it opens.
#[derive(Clone, Default)]
pub struct Ids(pub std::sync::Arc<std::sync::Mutex<Vec<switchyard_engine::ConnId>>>);

impl Service for Ids {
    type State = ();

    fn open(&self, conn: &ConnInfo) {
        self.0.lock().unwrap().push(conn.id);
    }

    fn handle(&self, state: &mut (), cx: &mut Cx<'_>) {
        Echo.handle(state, cx)
    }
}
