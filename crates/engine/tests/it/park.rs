//! Parked connections (`Cx::park`, `Control::wake`): a connection whose
//! input waits for what another connection does, holding no worker.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use switchyard_engine::{ConnId, ConnInfo, Control, Cx, Farewell, Output, Respond, Service};

use crate::support::*;

/// `wait` answers `waiting` and parks; `wake` wakes every parked
/// connection and answers how many; a woken connection first answers
/// `woken`; other lines are echoed. A parked connection's goodbye is
/// `bye`; `closed` counts parked connections that closed.
#[derive(Clone, Default)]
struct Parker {
    parked: Arc<Mutex<Vec<ConnId>>>,
    control: Arc<Mutex<Option<Control>>>,
    closed_parked: Arc<Mutex<usize>>,
}

impl Service for Parker {
    /// Parked now.
    type State = bool;

    fn open(&self, _: &ConnInfo) -> bool {
        false
    }

    fn start(&self, control: &Control) {
        *self.control.lock().unwrap() = Some(control.clone());
    }

    fn handle(&self, waiting: &mut bool, cx: &mut Cx<'_>) {
        if std::mem::take(waiting) {
            cx.out().extend_from_slice(b"woken\n");
        }
        while let Some(end) = cx.input().iter().position(|&b| b == b'\n') {
            let line = cx.input()[..end].to_vec();
            cx.consume(end + 1);
            match &line[..] {
                b"wait" => {
                    cx.out().extend_from_slice(b"waiting\n");
                    self.parked.lock().unwrap().push(cx.id());
                    *waiting = true;
                    cx.park();
                    return;
                }
                b"wake" => {
                    let ids = std::mem::take(&mut *self.parked.lock().unwrap());
                    for id in &ids {
                        cx.control().wake(*id);
                    }
                    cx.out().extend_from_slice(format!("woke {}\n", ids.len()).as_bytes());
                }
                _ => {
                    cx.out().extend_from_slice(&line);
                    cx.out().extend_from_slice(b"\n");
                }
            }
        }
    }

    fn goodbye(&self, waiting: &mut bool, out: &mut Output) -> Farewell {
        if *waiting {
            out.extend_from_slice(b"bye\n");
        }
        Farewell::Close
    }

    fn closed(&self, waiting: bool, _: &ConnInfo, _: switchyard_engine::CloseReason) {
        if waiting {
            *self.closed_parked.lock().unwrap() += 1;
        }
    }
}

#[track_caller]
fn nothing_arrives(c: &mut TcpStream) {
    c.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    let mut b = [0; 64];
    match c.read(&mut b) {
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
        other => panic!("a parked connection answered: {other:?} {:?}", String::from_utf8_lossy(&b)),
    }
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
}

#[test]
fn a_parked_connection_waits_for_its_wake_and_holds_no_worker() {
    for poller in BACKENDS {
        for respond in [Respond::Loop, Respond::Direct] {
            for workers in [0, 1] {
                let what = format!("{poller:?} {respond:?} {workers}");
                let service = Parker::default();
                let server = Running::start(service.clone(), poller, |c| {
                    c.respond = respond;
                    c.workers = workers;
                    c.idle_timeout = Some(Duration::from_millis(100));
                });
                let (mut a, mut b, mut c) = (server.connect(), server.connect(), server.connect());
                a.write_all(b"wait\nafter\n").unwrap();
                assert_eq!(read_n(&mut a, 8), b"waiting\n", "{what}");
                b.write_all(b"wait\n").unwrap();
                assert_eq!(read_n(&mut b, 8), b"waiting\n", "{what}");
                // Two parked connections and one worker: the next is served.
                c.write_all(b"ping\n").unwrap();
                assert_eq!(read_n(&mut c, 5), b"ping\n", "{what}");
                // Input after the park waits, past the idle timeout too.
                a.write_all(b"later\n").unwrap();
                nothing_arrives(&mut a);
                // (`c` has timed out meanwhile: it was idle.)
                let mut d = server.connect();
                d.write_all(b"wake\n").unwrap();
                assert_eq!(read_n(&mut d, 7), b"woke 2\n", "{what}");
                assert_eq!(read_n(&mut a, 18), b"woken\nafter\nlater\n", "{what}");
                assert_eq!(read_n(&mut b, 6), b"woken\n", "{what}");
                drop((a, b, c, d));
                server.stop();
            }
        }
    }
}

#[test]
fn a_parked_connection_closes_on_its_eof_and_hears_its_goodbye_at_shutdown() {
    for poller in BACKENDS {
        let service = Parker::default();
        let server = Running::start(service.clone(), poller, |_| {});
        let mut gone = server.connect();
        gone.write_all(b"wait\n").unwrap();
        assert_eq!(read_n(&mut gone, 8), b"waiting\n");
        gone.shutdown(std::net::Shutdown::Write).unwrap();
        assert!(closed_by_peer(&mut gone));
        wait_for(Duration::from_secs(10), "the close", || *service.closed_parked.lock().unwrap() == 1);
        let mut stays = server.connect();
        stays.write_all(b"wait\nnever\n").unwrap();
        assert_eq!(read_n(&mut stays, 8), b"waiting\n");
        let control = server.control.clone();
        control.shutdown();
        assert_eq!(read_to_end(&mut stays), b"bye\n", "{poller:?}: the goodbye, and not what it held");
        assert_eq!(server.stop().forced, 0);
    }
}
