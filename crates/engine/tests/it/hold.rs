//! Held output (`Cx::hold_output`, `Control::release`): replies that wait
//! for a gate, in order, without holding a worker.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use switchyard_engine::{ConnInfo, Cx, Respond, Service};

use crate::support::*;

/// Lines `hold N` answer `held N`, held until gate N is released; any
/// other line is echoed at once (but still behind held output).
struct Gated;

impl Service for Gated {
    type State = ();

    fn open(&self, _: &ConnInfo) {}

    fn handle(&self, _: &mut (), cx: &mut Cx<'_>) {
        while let Some(end) = cx.input().iter().position(|&b| b == b'\n') {
            let line = String::from_utf8_lossy(&cx.input()[..end]).into_owned();
            cx.consume(end + 1);
            match line.strip_prefix("hold ").and_then(|n| n.parse::<u64>().ok()) {
                Some(gate) => {
                    cx.out().extend_from_slice(format!("held {gate}\n").as_bytes());
                    cx.hold_output(gate);
                }
                None => cx.out().extend_from_slice(format!("{line}\n").as_bytes()),
            }
        }
    }
}

/// Nothing arrives on `c` for a while (the output is held).
#[track_caller]
fn nothing_arrives(c: &mut TcpStream) {
    c.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    let mut b = [0; 64];
    match c.read(&mut b) {
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
        other => panic!("held output leaked: {other:?} {:?}", String::from_utf8_lossy(&b)),
    }
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
}

#[test]
fn held_replies_wait_for_their_gate_and_keep_later_replies_behind_them() {
    for poller in BACKENDS {
        for respond in [Respond::Loop, Respond::Direct] {
            for workers in [0, 2] {
                let server = Running::start(Gated, poller, |c| {
                    c.respond = respond;
                    c.workers = workers;
                });
                let mut a = server.connect();
                let mut b = server.connect();
                a.write_all(b"before\n").unwrap();
                assert_eq!(read_n(&mut a, 7), b"before\n", "{poller:?} {respond:?} {workers}");
                a.write_all(b"hold 5\nafter\n").unwrap();
                nothing_arrives(&mut a);
                // Another connection is not held up.
                b.write_all(b"free\n").unwrap();
                assert_eq!(read_n(&mut b, 5), b"free\n");
                // An earlier gate does not free it; later requests queue behind.
                server.control.release(4);
                a.write_all(b"later\n").unwrap();
                nothing_arrives(&mut a);
                server.control.release(5);
                assert_eq!(read_n(&mut a, 19), b"held 5\nafter\nlater\n", "{poller:?} {respond:?} {workers}");
                // A gate already released holds nothing.
                a.write_all(b"hold 3\nnext\n").unwrap();
                assert_eq!(read_n(&mut a, 12), b"held 3\nnext\n");
                drop((a, b));
                server.stop();
            }
        }
    }
}

#[test]
fn a_graceful_shutdown_waits_for_held_replies_then_delivers_them() {
    for poller in BACKENDS {
        let server = Running::start(Gated, poller, |_| {});
        let mut c = server.connect();
        c.write_all(b"hold 9\n").unwrap();
        nothing_arrives(&mut c);
        let control = server.control.clone();
        control.shutdown();
        nothing_arrives(&mut c);
        control.release(9);
        assert_eq!(read_to_end(&mut c), b"held 9\n");
        assert_eq!(server.stop().forced, 0);
    }
}
