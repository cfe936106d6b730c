//! PROXY protocol listeners, on every backend: headers in pieces from many
//! clients at once, the service's `open` seeing the carried address, and a
//! header under way when the shutdown starts.

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::time::Duration;

use switchyard_engine::{ConnInfo, Cx, Service};

use crate::support::*;

/// Answers each line with the peer address `open` was given, then the line.
struct WhoAmI;

impl Service for WhoAmI {
    type State = SocketAddr;

    fn open(&self, conn: &ConnInfo) -> SocketAddr {
        conn.peer
    }

    fn handle(&self, peer: &mut SocketAddr, cx: &mut Cx<'_>) {
        while let Some(end) = cx.input().iter().position(|&b| b == b'\n') {
            let line = String::from_utf8_lossy(&cx.input()[..end]).into_owned();
            cx.out().extend_from_slice(format!("{peer} {line}\n").as_bytes());
            cx.consume(end + 1);
        }
    }
}

fn v2_ipv4(source: [u8; 4], port: u16) -> Vec<u8> {
    let mut h = b"\r\n\r\n\0\r\nQUIT\n\x21\x11\x00\x11".to_vec();
    h.extend_from_slice(&source);
    h.extend_from_slice(&[127, 0, 0, 1]);
    h.extend_from_slice(&port.to_be_bytes());
    h.extend_from_slice(&[0, 80]);
    h.extend_from_slice(&[0x04, 0x00, 0x02, b'o', b'k']); // a NOOP TLV
    h
}

fn line(s: &mut std::net::TcpStream) -> String {
    let mut l = String::new();
    BufReader::new(s).read_line(&mut l).unwrap();
    l
}

#[test]
fn two_hundred_headers_sent_one_byte_at_a_time_interleaved_each_reach_open() {
    for poller in BACKENDS {
        let server = Running::start(WhoAmI, poller, |c| {
            c.proxy_listen = std::mem::take(&mut c.listen);
        });
        let mut clients: Vec<_> = (0..200).map(|_| server.connect()).collect();
        let headers: Vec<Vec<u8>> = (0..200).map(|i| v2_ipv4([192, 0, 2, i as u8], 1000 + i)).collect();
        for at in 0..headers[0].len() {
            for (c, h) in clients.iter_mut().zip(&headers) {
                c.write_all(&h[at..at + 1]).unwrap();
            }
        }
        for (i, c) in clients.iter_mut().enumerate() {
            c.write_all(b"x\n").unwrap();
            assert_eq!(line(c), format!("192.0.2.{i}:{} x\n", 1000 + i), "{poller}: client {i}");
        }
        assert_eq!(server.stop().forced, 0);
    }
}

#[test]
fn a_header_under_way_at_the_shutdown_is_still_read_and_answered() {
    for poller in BACKENDS {
        let server = Running::start(WhoAmI, poller, |c| {
            c.proxy_listen = std::mem::take(&mut c.listen);
        });
        let mut c = server.connect();
        let header = v2_ipv4([198, 51, 100, 1], 4000);
        c.write_all(&header[..10]).unwrap();
        // The connection is accepted (the server counts it) before the
        // shutdown starts.
        let metrics = server.control.metrics();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while metrics.connections_accepted.load(std::sync::atomic::Ordering::Relaxed) == 0 {
            assert!(std::time::Instant::now() < deadline, "{poller}: never accepted");
            std::thread::sleep(Duration::from_millis(2));
        }
        server.control.shutdown();
        c.write_all(&[&header[10..], b"x\n"].concat()).unwrap();
        assert_eq!(line(&mut c), "198.51.100.1:4000 x\n", "{poller}");
        assert_eq!(server.stop().forced, 0, "{poller}");
    }
}
