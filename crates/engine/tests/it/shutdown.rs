//! Graceful shutdown: finish what was received, say goodbye, flush, close.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use switchyard_engine::{ConnInfo, Cx, Farewell, Output, Respond, Service};

use crate::support::*;

/// Waits until a worker is running a task (the request is in progress).
fn wait_for_a_running_task(server: &Running) {
    let control = server.control.clone();
    wait_for(Duration::from_secs(5), "a task to start", || {
        control.metrics().tasks_running.load(std::sync::atomic::Ordering::Relaxed) > 0
    });
}

#[test]
fn a_request_in_progress_is_answered_before_the_close() {
    for poller in BACKENDS {
        let server = Running::start(Lines, poller, |_| {});
        let mut c = server.connect();
        c.write_all(b"sleep 300\nafter\n").unwrap();
        wait_for_a_running_task(&server);
        let control = server.control.clone();
        let stopper = std::thread::spawn(move || control.shutdown());
        assert_eq!(read_to_end(&mut c), b"sleep 300\nafter\n");
        stopper.join().unwrap();
        assert_eq!(server.stop().forced, 0);
    }
}

#[test]
fn everything_received_before_the_signal_is_answered_even_past_the_input_limit() {
    for poller in BACKENDS {
        // A small input buffer: at the signal most of the client's lines
        // still sit in the kernel's receive queue, unread.
        let server = Running::start(Lines, poller, |c| c.max_input_bytes = 4096);
        let mut c = server.connect();
        let lines: Vec<u8> = (0..6000).flat_map(|i| format!("line {i:05}\n").into_bytes()).collect();
        let mut sent = b"sleep 300\n".to_vec();
        sent.extend_from_slice(&lines);
        c.write_all(&sent).unwrap();
        wait_for_a_running_task(&server);
        server.control.shutdown();
        let got = read_to_end(&mut c);
        assert!(got == sent, "{poller:?}: {} of {} bytes answered", got.len(), sent.len());
        drop(c);
        assert_eq!(server.stop().forced, 0);
    }
}

#[test]
fn the_listener_closes_at_once_and_bytes_sent_after_it_start_no_task() {
    for poller in BACKENDS {
        let server = Running::start(Lines, poller, |_| {});
        let mut c = server.connect();
        c.write_all(b"sleep 300\n").unwrap();
        wait_for_a_running_task(&server);
        server.control.shutdown();
        // While the request is still in progress, new clients are refused.
        let addr = server.addr;
        wait_for(Duration::from_secs(5), "the listener to refuse", || std::net::TcpStream::connect(addr).is_err());
        c.write_all(b"late\n").unwrap();
        assert_eq!(read_to_end(&mut c), b"sleep 300\n", "{poller:?}");
        drop(c);
        assert_eq!(server.stop().forced, 0);
    }
}

#[test]
fn idle_connections_close_at_once() {
    for (poller, respond) in BACKENDS.into_iter().flat_map(|p| [(p, Respond::Loop), (p, Respond::Direct)]) {
        let server = Running::start(Lines, poller, |c| c.respond = respond);
        let mut idle: Vec<_> = (0..10).map(|_| server.connect()).collect();
        for c in idle.iter_mut() {
            c.write_all(b"x\n").unwrap();
            assert_eq!(read_n(c, 2), b"x\n");
        }
        let started = Instant::now();
        server.control.shutdown();
        for c in idle.iter_mut() {
            assert!(closed_by_peer(c));
        }
        // The linger wait ends with our EOF, not with its timeout.
        assert!(started.elapsed() < Duration::from_secs(2), "took {:?}", started.elapsed());
        assert_eq!(server.stop().forced, 0);
    }
}

struct Polite;

impl Service for Polite {
    type State = ();

    fn open(&self, _: &ConnInfo) {}

    fn handle(&self, s: &mut (), cx: &mut Cx<'_>) {
        Lines.handle(&mut 0, cx);
        let _ = s;
    }

    fn goodbye(&self, _: &mut (), out: &mut Output) -> Farewell {
        out.extend_from_slice(b"goodbye\n");
        Farewell::Close
    }
}

#[test]
fn each_connection_hears_the_service_goodbye_last() {
    for poller in BACKENDS {
        let server = Running::start(Polite, poller, |_| {});
        let mut c = server.connect();
        c.write_all(b"sleep 100\n").unwrap();
        wait_for_a_running_task(&server);
        server.control.shutdown();
        assert_eq!(read_to_end(&mut c), b"sleep 100\ngoodbye\n");
        server.stop();
    }
}

#[test]
fn idle_connections_hear_the_goodbye_at_once() {
    for poller in BACKENDS {
        // A drain deadline past the clients' read timeout: goodbyes that
        // waited for it would fail the reads.
        let server = Running::start(Polite, poller, |c| c.shutdown_timeout = Duration::from_secs(60));
        let mut clients: Vec<_> = (0..3).map(|_| server.connect()).collect();
        for c in clients.iter_mut() {
            c.write_all(b"hi\n").unwrap();
            assert_eq!(read_n(c, 3), b"hi\n");
        }
        server.control.shutdown();
        for c in clients.iter_mut() {
            assert_eq!(read_to_end(c), b"goodbye\n", "{poller:?}");
        }
        assert_eq!(server.stop().forced, 0, "{poller:?}");
    }
}

#[test]
fn the_drain_deadline_cuts_off_a_client_that_never_reads() {
    for poller in BACKENDS {
        let server = Running::start(Echo, poller, |c| {
            c.shutdown_timeout = Duration::from_millis(300);
            c.write_timeout = Duration::from_secs(60);
        });
        let hog = server.connect();
        let mut w = hog.try_clone().unwrap();
        w.set_write_timeout(Some(Duration::from_millis(500))).unwrap();
        // Fill both directions until the server stops reading.
        let chunk = vec![b'q'; 64 << 10];
        while w.write_all(&chunk).is_ok() {}
        let summary = server.stop();
        assert_eq!(summary.forced, 1);
        drop(hog);
    }
}

#[test]
fn a_close_with_unread_input_still_delivers_the_last_reply() {
    for poller in BACKENDS {
        let server = Running::start(Lines, poller, |_| {});
        for _ in 0..20 {
            let mut c = server.connect();
            // The service closes after `close`; the junk behind it is never
            // read by the service. A plain close() would answer it with a
            // reset that can destroy the reply in flight.
            let mut msg = b"close\n".to_vec();
            msg.extend_from_slice(&[b'j'; 200_000]);
            // Everything is sent before the reply is read, so the reply
            // waits in our receive queue while the junk reaches the server.
            let _ = c.write_all(&msg);
            let _ = c.shutdown(std::net::Shutdown::Write);
            let mut got = Vec::new();
            let res = c.read_to_end(&mut got);
            assert!(res.is_ok() && got == b"close\n", "{poller}: {res:?} after {:?}", String::from_utf8_lossy(&got));
        }
        server.stop();
    }
}

/// A handler that does not return for 20 seconds and ignores everything.
struct Stuck;

impl Service for Stuck {
    type State = ();

    fn open(&self, _conn: &ConnInfo) {}

    fn handle(&self, _state: &mut (), cx: &mut Cx<'_>) {
        std::thread::sleep(Duration::from_secs(20));
        let n = cx.input().len();
        cx.consume(n);
    }
}

#[test]
fn a_shutdown_ends_within_the_drain_deadline_whatever_a_worker_is_doing() {
    let server = Running::start(Stuck, BACKENDS[0], |c| c.shutdown_timeout = Duration::from_millis(500));
    let mut c = server.connect();
    c.write_all(b"forever\n").unwrap();
    wait_for_a_running_task(&server);
    let asked = Instant::now();
    let summary = server.stop();
    assert!(asked.elapsed() < Duration::from_secs(2), "the shutdown took {:?}", asked.elapsed());
    assert_eq!(summary.forced, 1);
}
