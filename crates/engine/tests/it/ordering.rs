//! Responses keep request order however the workers interleave.

use std::io::{BufRead, BufReader, Write};
use std::time::Duration;

use switchyard_engine::poller::Kind;
use switchyard_engine::{ConnInfo, Cx, Respond, Service};

use crate::support::*;

/// Answers each line `N` with `N`, after sleeping a pseudo-random 0–2 ms;
/// at most [`LINES_PER_CALL`] lines a call, so that a connection's
/// requests span many tasks, which the workers take in any order.
struct Jitter;

const LINES_PER_CALL: usize = 8;

impl Service for Jitter {
    type State = u64;

    fn open(&self, conn: &ConnInfo) -> u64 {
        conn.id.as_u64() | 1
    }

    fn handle(&self, rng: &mut u64, cx: &mut Cx<'_>) {
        for _ in 0..LINES_PER_CALL {
            let Some(end) = cx.input().iter().position(|&b| b == b'\n') else { return };
            // xorshift64: deterministic per connection, different across them.
            *rng ^= *rng << 13;
            *rng ^= *rng >> 7;
            *rng ^= *rng << 17;
            std::thread::sleep(Duration::from_micros(*rng % 2001));
            let line = cx.input()[..=end].to_vec();
            cx.out().extend_from_slice(&line);
            cx.consume(end + 1);
        }
        cx.call_again();
    }
}

fn run(poller: Kind, respond: Respond, connections: usize, requests: usize) {
    let server = Running::start(Jitter, poller, |c| {
        c.workers = 4;
        c.respond = respond;
    });
    let clients: Vec<_> = (0..connections)
        .map(|_| {
            let stream = server.connect();
            // A task may carry a whole pipelined burst (up to 2 s of
            // sleeping), so a client can wait long behind others' tasks.
            stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
            std::thread::spawn(move || {
                let mut w = stream.try_clone().unwrap();
                let writer = std::thread::spawn(move || {
                    // In many writes that split lines, so that bytes also
                    // arrive while the connection's task is out.
                    let all: String = (0..requests).map(|i| format!("{i}\n")).collect();
                    for chunk in all.as_bytes().chunks(301) {
                        w.write_all(chunk).unwrap();
                    }
                });
                let mut r = BufReader::new(stream);
                let mut line = String::new();
                for want in 0..requests {
                    line.clear();
                    r.read_line(&mut line).unwrap();
                    assert_eq!(line.trim_end().parse::<usize>().unwrap(), want, "out of order");
                }
                writer.join().unwrap();
            })
        })
        .collect();
    for c in clients {
        c.join().unwrap();
    }
    server.stop();
}

#[test]
fn responses_keep_request_order_across_workers_when_the_loop_writes() {
    run(Kind::Epoll, Respond::Loop, 50, 1000);
}

#[test]
fn responses_keep_request_order_across_workers_when_workers_write() {
    run(Kind::Epoll, Respond::Direct, 50, 1000);
}

#[test]
fn responses_keep_request_order_on_the_poll_backend() {
    run(Kind::Poll, Respond::Loop, 50, 1000);
    run(Kind::Poll, Respond::Direct, 50, 1000);
}

/// Handles one line per call, writing `size` bytes for it, and asks to be
/// called again for the rest.
struct OneAtATime {
    size: usize,
}

impl Service for OneAtATime {
    type State = ();

    fn open(&self, _: &ConnInfo) {}

    fn handle(&self, _: &mut (), cx: &mut Cx<'_>) {
        if let Some(end) = cx.input().iter().position(|&b| b == b'\n') {
            let n: usize = std::str::from_utf8(&cx.input()[..end]).unwrap().parse().unwrap();
            let mut reply = vec![b'.'; self.size - 1];
            reply[0] = b'0' + (n % 10) as u8;
            reply.push(b'\n');
            cx.out().push_vec(reply);
            cx.consume(end + 1);
            cx.call_again();
        }
    }
}

#[test]
fn a_handler_that_stops_early_is_called_again_without_new_input() {
    for poller in BACKENDS {
        for workers in [0, 2] {
            let server = Running::start(OneAtATime { size: 32 << 10 }, poller, |c| {
                c.workers = workers;
                c.output_high_water_bytes = 128 << 10;
                c.output_low_water_bytes = 32 << 10;
            });
            let mut c = server.connect();
            let burst: String = (0..100).map(|i| format!("{i}\n")).collect();
            c.write_all(burst.as_bytes()).unwrap();
            let mut r = BufReader::new(c);
            let mut line = String::new();
            for i in 0..100 {
                line.clear();
                r.read_line(&mut line).unwrap();
                assert_eq!(line.len(), 32 << 10, "{poller} workers={workers} reply {i}");
                assert_eq!(line.as_bytes()[0], b'0' + (i % 10) as u8);
            }
            drop(r);
            server.stop();
        }
    }
}

/// Answers each line with the line and the thread that handled it; lets
/// the I/O thread handle input that is all `fast` lines. A `slow` line
/// sleeps a millisecond on a worker.
struct Mixed;

impl Service for Mixed {
    type State = ();

    fn open(&self, _conn: &ConnInfo) {}

    fn run_inline(&self, _state: &(), input: &[u8]) -> bool {
        input.split(|&b| b == b'\n').filter(|l| !l.is_empty()).all(|l| l.starts_with(b"fast"))
    }

    fn handle(&self, _state: &mut (), cx: &mut Cx<'_>) {
        let thread = std::thread::current().name().unwrap_or("?").to_string();
        while let Some(end) = cx.input().iter().position(|&b| b == b'\n') {
            let line = String::from_utf8(cx.input()[..end].to_vec()).unwrap();
            if line.starts_with("slow") {
                std::thread::sleep(Duration::from_millis(1));
            }
            cx.out().extend_from_slice(format!("{line} {thread}\n").as_bytes());
            cx.consume(end + 1);
        }
    }
}

#[test]
fn input_the_service_calls_cheap_runs_on_the_io_thread_and_order_holds() {
    for poller in BACKENDS {
        for respond in [Respond::Loop, Respond::Direct] {
            let server = Running::start(Mixed, poller, |c| c.respond = respond);
            let mut c = server.connect();
            let mut r = BufReader::new(c.try_clone().unwrap());
            let mut line = String::new();
            // One at a time: each kind where it belongs.
            for (req, on) in [("fast 1", "io-loop-0"), ("slow 2", "worker-"), ("fast 3", "io-loop-0")] {
                c.write_all(format!("{req}\n").as_bytes()).unwrap();
                line.clear();
                r.read_line(&mut line).unwrap();
                assert!(line.starts_with(&format!("{req} {on}")), "{poller:?} {respond:?}: {line:?}");
            }
            // Pipelined, mixed: answers in order, whichever thread ran them.
            let burst: String =
                (0..300).map(|i| format!("{} {i}\n", if i % 7 == 0 { "slow" } else { "fast" })).collect();
            c.write_all(burst.as_bytes()).unwrap();
            for i in 0..300 {
                line.clear();
                r.read_line(&mut line).unwrap();
                let n: usize = line.split(' ').nth(1).unwrap().parse().unwrap();
                assert_eq!(n, i, "{poller:?} {respond:?}: {line:?}");
            }
            let m = server.control.metrics();
            let inline = m.tasks_inline.load(std::sync::atomic::Ordering::Relaxed);
            let done = m.tasks_done.load(std::sync::atomic::Ordering::Relaxed);
            assert!(inline >= 2 && inline < done, "{poller:?} {respond:?}: {inline} of {done} tasks inline");
            drop((r, c));
            server.stop();
        }
    }
}

/// Says yes to any input, then answers each line with the line and the
/// thread that handled it, handing the rest to a worker at the first
/// `slow` line it meets on the I/O thread.
struct HandsOver;

impl Service for HandsOver {
    type State = ();

    fn open(&self, _conn: &ConnInfo) {}

    fn run_inline(&self, _state: &(), _input: &[u8]) -> bool {
        true
    }

    fn handle(&self, _state: &mut (), cx: &mut Cx<'_>) {
        let thread = std::thread::current().name().unwrap_or("?").to_string();
        while let Some(end) = cx.input().iter().position(|&b| b == b'\n') {
            let line = String::from_utf8(cx.input()[..end].to_vec()).unwrap();
            if line.starts_with("slow") && cx.may_hand_to_worker() {
                cx.hand_to_worker();
                return;
            }
            cx.out().extend_from_slice(format!("{line} {thread}\n").as_bytes());
            cx.consume(end + 1);
        }
    }
}

#[test]
fn a_handler_on_the_io_thread_hands_the_rest_to_a_worker_and_order_holds() {
    for poller in BACKENDS {
        for workers in [0, 2] {
            let server = Running::start(HandsOver, poller, |c| c.workers = workers);
            let mut c = server.connect();
            let mut r = BufReader::new(c.try_clone().unwrap());
            let mut line = String::new();
            let pool = if workers == 0 { "io-loop-0" } else { "worker-" };
            // In one batch: the first line on the loop, the rest where the
            // slow one sent it; then the loop again.
            c.write_all(b"fast 1\nslow 2\nfast 3\n").unwrap();
            for (req, on) in [("fast 1", "io-loop-0"), ("slow 2", pool), ("fast 3", pool)] {
                line.clear();
                r.read_line(&mut line).unwrap();
                assert!(line.starts_with(&format!("{req} {on}")), "{poller:?} workers={workers}: {line:?}");
            }
            c.write_all(b"fast 4\n").unwrap();
            line.clear();
            r.read_line(&mut line).unwrap();
            assert!(line.starts_with("fast 4 io-loop-0"), "{poller:?} workers={workers}: {line:?}");
            // Pipelined, mixed, one byte at a time or all at once: in order.
            let burst: String =
                (0..300).map(|i| format!("{} {i}\n", if i % 7 == 0 { "slow" } else { "fast" })).collect();
            c.write_all(&burst.as_bytes()[..40]).unwrap();
            for b in &burst.as_bytes()[40..80] {
                c.write_all(std::slice::from_ref(b)).unwrap();
            }
            c.write_all(&burst.as_bytes()[80..]).unwrap();
            for i in 0..300 {
                line.clear();
                r.read_line(&mut line).unwrap();
                let n: usize = line.split(' ').nth(1).unwrap().parse().unwrap();
                assert_eq!(n, i, "{poller:?} workers={workers}: {line:?}");
            }
            drop((r, c));
            server.stop();
        }
    }
}

/// Counts the lines it handles on the I/O thread; `before_write` marks
/// them all as committed. Each answer says how many lines were handled.
#[derive(Default)]
struct Counts {
    handled: std::sync::atomic::AtomicU64,
    committed: std::sync::atomic::AtomicU64,
}

struct Committing(std::sync::Arc<Counts>);

impl Service for Committing {
    type State = ();

    fn open(&self, _conn: &ConnInfo) {}

    fn run_inline(&self, _state: &(), _input: &[u8]) -> bool {
        true
    }

    fn before_write(&self) {
        let handled = self.0.handled.load(std::sync::atomic::Ordering::SeqCst);
        self.0.committed.store(handled, std::sync::atomic::Ordering::SeqCst);
    }

    fn handle(&self, _state: &mut (), cx: &mut Cx<'_>) {
        assert!(cx.on_io_thread());
        while let Some(end) = cx.input().iter().position(|&b| b == b'\n') {
            cx.consume(end + 1);
            let n = self.0.handled.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
            cx.out().extend_from_slice(format!("{n}\n").as_bytes());
        }
    }
}

#[test]
fn output_of_handlers_run_on_the_io_thread_leaves_only_after_before_write() {
    for poller in BACKENDS {
        let counts = std::sync::Arc::new(Counts::default());
        let server = Running::start(Committing(counts.clone()), poller, |_| {});
        let mut clients: Vec<_> = (0..4).map(|_| server.connect()).collect();
        let mut readers: Vec<_> = clients.iter().map(|c| BufReader::new(c.try_clone().unwrap())).collect();
        let mut line = String::new();
        for round in 0..50 {
            for c in clients.iter_mut() {
                c.write_all(if round % 2 == 0 { b"a\n" } else { b"a\nb\nc\n" }).unwrap();
            }
            for r in readers.iter_mut() {
                for _ in 0..if round % 2 == 0 { 1 } else { 3 } {
                    line.clear();
                    r.read_line(&mut line).unwrap();
                    let n: u64 = line.trim().parse().unwrap();
                    let committed = counts.committed.load(std::sync::atomic::Ordering::SeqCst);
                    assert!(committed >= n, "{poller:?}: answer {n} left with {committed} committed");
                }
            }
        }
        drop((readers, clients));
        server.stop();
    }
}

/// For each line, writes `1`, then sends the connection `2` through
/// `Control`, then works on a while: the client must read `12`, though the
/// loop takes the message while the task is still out.
struct Noter;

impl Service for Noter {
    type State = ();

    fn open(&self, _conn: &ConnInfo) {}

    fn handle(&self, _state: &mut (), cx: &mut Cx<'_>) {
        while let Some(end) = cx.input().iter().position(|&b| b == b'\n') {
            cx.out().extend_from_slice(b"1");
            let id = cx.id();
            cx.control().send(id, b"2".to_vec());
            // Long enough for the loop to take the note while the task is
            // still out.
            std::thread::sleep(Duration::from_millis(20));
            cx.consume(end + 1);
        }
    }
}

#[test]
fn a_note_a_handler_sends_itself_follows_what_it_wrote_before() {
    for poller in BACKENDS {
        for respond in [Respond::Loop, Respond::Direct] {
            let server = Running::start(Noter, poller, |c| c.respond = respond);
            let mut c = server.connect();
            for _ in 0..5 {
                c.write_all(b"go\n").unwrap();
                assert_eq!(read_n(&mut c, 2), b"12", "{poller:?} {respond:?}");
            }
            server.stop();
        }
    }
}
