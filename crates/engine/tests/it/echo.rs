//! Echo over the engine: large streams, byte-at-a-time clients, half-close
//! and reset, on every backend and response mode.

use std::io::{Read, Write};
use std::net::Shutdown;
use std::time::Duration;

use switchyard_engine::{ConnInfo, Cx, Respond, Service};

use crate::support::*;

#[test]
fn four_mebibytes_echo_back_while_the_client_reads_concurrently() {
    for poller in BACKENDS {
        for respond in [Respond::Loop, Respond::Direct] {
            let server = Running::start(Echo, poller, |c| c.respond = respond);
            let client = server.connect();
            let data: Vec<u8> = (0..4 << 20).map(|i: u32| (i * 7 % 251) as u8).collect();
            let got = write_while_reading(&client, data.clone());
            assert!(got == data, "{poller} {respond}: echoed bytes differ");
            server.stop();
        }
    }
}

#[test]
fn inline_mode_echoes_without_workers() {
    for poller in BACKENDS {
        let server = Running::start(Echo, poller, |c| c.workers = 0);
        let mut client = server.connect();
        client.write_all(b"inline").unwrap();
        assert_eq!(read_n(&mut client, 6), b"inline");
        let summary = server.stop();
        assert_eq!(summary.forced, 0);
    }
}

#[test]
fn three_hundred_clients_sending_one_byte_at_a_time_interleaved() {
    for poller in BACKENDS {
        let server = Running::start(Echo, poller, |_| {});
        let mut clients: Vec<_> = (0..300).map(|_| server.connect()).collect();
        let message = b"one byte at a time";
        for &b in message.iter() {
            for c in clients.iter_mut() {
                c.write_all(&[b]).unwrap();
            }
        }
        for (i, c) in clients.iter_mut().enumerate() {
            assert_eq!(read_n(c, message.len()), message, "{poller}: client {i}");
        }
        server.stop();
    }
}

#[test]
fn a_half_closed_client_gets_all_of_its_echo_then_eof() {
    for poller in BACKENDS {
        for workers in [0, 2] {
            let server = Running::start(Echo, poller, |c| c.workers = workers);
            let mut client = server.connect();
            let data = vec![b'h'; 300_000];
            client.write_all(&data).unwrap();
            client.shutdown(Shutdown::Write).unwrap();
            let got = read_to_end(&mut client);
            assert_eq!(got.len(), data.len(), "{poller} workers={workers}");
            server.stop();
        }
    }
}

#[test]
fn a_client_reset_disturbs_no_one_else() {
    for poller in BACKENDS {
        let server = Running::start(Echo, poller, |_| {});
        let mut steady = server.connect();
        steady.write_all(b"before").unwrap();
        assert_eq!(read_n(&mut steady, 6), b"before");
        for _ in 0..20 {
            let rude = server.connect();
            (&rude).write_all(&[b'x'; 10_000]).unwrap();
            // Unread input at close makes the kernel send RST.
            let sock = socket_with_linger_zero(rude);
            drop(sock);
        }
        steady.write_all(b"after").unwrap();
        assert_eq!(read_n(&mut steady, 5), b"after");
        let control = server.control.clone();
        wait_for(Duration::from_secs(5), "the resets to be closed", || {
            control.metrics().connections_open.load(std::sync::atomic::Ordering::Relaxed) == 1
        });
        server.stop();
    }
}

/// Sets SO_LINGER to 0 so that closing sends RST.
fn socket_with_linger_zero(s: std::net::TcpStream) -> std::net::TcpStream {
    use std::os::fd::AsRawFd;
    let linger = libc::linger { l_onoff: 1, l_linger: 0 };
    // SAFETY: a live linger struct of the size passed, on an open socket.
    let rc = unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            &linger as *const _ as *const libc::c_void,
            std::mem::size_of::<libc::linger>() as u32,
        )
    };
    assert_eq!(rc, 0);
    s
}

#[test]
fn several_io_loops_share_the_port_and_the_pool() {
    for poller in BACKENDS {
        let server = Running::start(Echo, poller, |c| c.io_threads = 3);
        let mut clients: Vec<_> = (0..30).map(|_| server.connect()).collect();
        for (i, c) in clients.iter_mut().enumerate() {
            c.write_all(format!("{i:04}").as_bytes()).unwrap();
        }
        for (i, c) in clients.iter_mut().enumerate() {
            assert_eq!(read_n(c, 4), format!("{i:04}").as_bytes());
        }
        server.stop();
    }
}

#[test]
fn the_listener_refuses_connections_after_shutdown() {
    for poller in BACKENDS {
        let server = Running::start(Echo, poller, |_| {});
        let addr = server.addr;
        let mut c = server.connect();
        c.write_all(b"x").unwrap();
        assert_eq!(read_n(&mut c, 1), b"x");
        drop(c);
        server.stop();
        let err = std::net::TcpStream::connect(addr).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
    }
}

/// Sends each complete line to every other open connection.
#[derive(Clone, Default)]
struct Room(std::sync::Arc<std::sync::Mutex<Vec<switchyard_engine::ConnId>>>);

impl Service for Room {
    type State = ();

    fn open(&self, conn: &ConnInfo) {
        self.0.lock().unwrap().push(conn.id);
    }

    fn handle(&self, _: &mut (), cx: &mut Cx<'_>) {
        while let Some(end) = cx.input().iter().position(|&b| b == b'\n') {
            let line = cx.input()[..=end].to_vec();
            cx.consume(end + 1);
            for &to in self.0.lock().unwrap().iter().filter(|&&to| to != cx.id()) {
                cx.control().send(to, line.clone());
            }
        }
    }

    fn closed(&self, _: (), conn: &ConnInfo, _: switchyard_engine::CloseReason) {
        self.0.lock().unwrap().retain(|&id| id != conn.id);
    }
}

#[test]
fn a_handler_reaches_connections_owned_by_every_io_loop() {
    for poller in BACKENDS {
        let room = Room::default();
        let server = Running::start(room.clone(), poller, |c| c.io_threads = 2);
        // The kernel spreads connections over the two listeners: connect
        // until both loops own some (the top byte of an id is its loop).
        let mut clients = Vec::new();
        let loops =
            || room.0.lock().unwrap().iter().map(|id| id.as_u64() >> 56).collect::<std::collections::HashSet<_>>();
        while clients.len() < 4 || loops().len() < 2 {
            assert!(clients.len() < 200, "{poller:?}: every connection landed on one loop");
            clients.push(server.connect());
            let n = clients.len();
            wait_for(Duration::from_secs(5), "the connection to open", || room.0.lock().unwrap().len() == n);
        }
        clients[0].write_all(b"hello, everyone\n").unwrap();
        for (i, c) in clients.iter_mut().enumerate().skip(1) {
            assert_eq!(read_n(c, 16), b"hello, everyone\n", "{poller:?}: client {i}");
        }
        drop(clients);
        server.stop();
    }
}

#[test]
fn cross_connection_sends_arrive_in_order_and_close_works() {
    for poller in BACKENDS {
        let ids = Ids::default();
        let server = Running::start(ids.clone(), poller, |_| {});
        let mut target = server.connect();
        target.write_all(b"!").unwrap();
        assert_eq!(read_n(&mut target, 1), b"!");
        let id = ids.0.lock().unwrap()[0];
        let control = server.control.clone();
        for i in 0..1000 {
            control.send(id, format!("{i};").into_bytes());
        }
        let expect: String = (0..1000).map(|i| format!("{i};")).collect();
        let got = read_n(&mut target, expect.len());
        assert_eq!(String::from_utf8(got).unwrap(), expect);
        control.close(id);
        assert!(closed_by_peer(&mut target));
        server.stop();
    }
}

#[test]
fn reads_keep_flowing_between_many_small_writes() {
    for poller in BACKENDS {
        let server = Running::start(Echo, poller, |_| {});
        let mut c = server.connect();
        let mut buf = [0u8; 3];
        for i in 0..2000u32 {
            let msg = [(i % 256) as u8, 1, 2];
            c.write_all(&msg).unwrap();
            c.read_exact(&mut buf).unwrap();
            assert_eq!(buf, msg);
        }
        server.stop();
    }
}
