//! Limits and timeouts: each one answered in the protocol, counted, and
//! harmless to the other clients.

use std::io::{Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::Duration;

use switchyard_engine::{CloseReason, ConnInfo, Cx, Farewell, Limit, Output, Respond, Service};

use crate::support::*;

#[test]
fn past_max_connections_a_new_client_gets_the_busy_reply_and_the_others_go_on() {
    for poller in BACKENDS {
        let server = Running::start(Lines, poller, |c| c.max_connections = 3);
        let mut held: Vec<_> = (0..3).map(|_| server.connect()).collect();
        for c in held.iter_mut() {
            c.write_all(b"hi\n").unwrap();
            assert_eq!(read_n(c, 3), b"hi\n");
        }
        let mut extra = server.connect();
        assert_eq!(read_to_end(&mut extra), b"ERR Busy\n");
        held[0].write_all(b"still\n").unwrap();
        assert_eq!(read_n(&mut held[0], 6), b"still\n");
        let m = server.control.metrics();
        assert_eq!(m.limit_hits(Limit::MaxConnections), 1);
        assert_eq!(m.closed_count(CloseReason::Busy), 1);
        drop(held);
        server.stop();
    }
}

#[test]
fn a_client_turned_away_after_sending_its_request_still_reads_the_busy_reply() {
    for poller in BACKENDS {
        // Inline, so that a sleeping request keeps the loop from accepting
        // while the next client connects and sends: when the loop turns it
        // away, its request is already waiting unread.
        let server = Running::start(Lines, poller, |c| {
            c.max_connections = 1;
            c.workers = 0;
        });
        let mut held = server.connect();
        held.write_all(b"sleep 200\n").unwrap();
        let mut eager = server.connect();
        eager.write_all(&[b'x'; 64 << 10]).unwrap();
        let mut got = Vec::new();
        eager.read_to_end(&mut got).unwrap_or_else(|e| panic!("{poller:?}: {e} after {got:?}"));
        assert_eq!(got, b"ERR Busy\n", "{poller:?}");
        // The server still discards what the client sends, rather than
        // answering with a reset (which, on a real network, can destroy a
        // reply still in flight).
        eager.write_all(b"more").unwrap_or_else(|e| panic!("{poller:?}: a write after the reply: {e}"));
        assert_eq!(read_n(&mut held, 10), b"sleep 200\n");
        drop(held);
        server.stop();
    }
}

#[test]
fn a_request_larger_than_max_input_gets_the_error_reply_then_a_close() {
    for poller in BACKENDS {
        let server = Running::start(Lines, poller, |c| c.max_input_bytes = 1024);
        let mut c = server.connect();
        c.write_all(&[b'a'; 5000]).unwrap();
        assert_eq!(read_to_end(&mut c), b"ERR InputTooLarge\n");
        drop(c);
        let control = server.control.clone();
        wait_for(Duration::from_secs(5), "the close to be counted", || {
            control.metrics().closed_count(CloseReason::InputTooLarge) == 1
        });
        let mut other = server.connect();
        other.write_all(b"fine\n").unwrap();
        assert_eq!(read_n(&mut other, 5), b"fine\n");
        server.stop();
    }
}

/// Echoes; its `open` panics for every other connection (the first, the
/// third, ...), and its `goodbye` and `closed` always panic.
#[derive(Default)]
struct FragileHooks {
    opened: AtomicUsize,
}

impl Service for FragileHooks {
    type State = ();

    fn open(&self, _: &ConnInfo) {
        assert!(self.opened.fetch_add(1, Relaxed) % 2 == 1, "open refuses every other client");
    }

    fn handle(&self, _: &mut (), cx: &mut Cx<'_>) {
        Echo.handle(&mut (), cx);
    }

    fn goodbye(&self, _: &mut (), _: &mut Output) -> Farewell {
        panic!("goodbye fails");
    }

    fn closed(&self, _: (), _: &ConnInfo, _: CloseReason) {
        panic!("close fails");
    }
}

#[test]
fn a_panic_in_a_hook_on_the_io_thread_costs_the_connection_not_the_loop() {
    for poller in BACKENDS {
        let server = Running::start(FragileHooks::default(), poller, |_| {});
        let mut served = Vec::new();
        for i in 0..4 {
            let mut c = server.connect();
            if i % 2 == 0 {
                assert!(closed_by_peer(&mut c), "{poller:?}: a panicking open closes its connection");
            } else {
                c.write_all(b"ping").unwrap();
                assert_eq!(read_n(&mut c, 4), b"ping", "{poller:?}: the loop lives on");
                served.push(c);
            }
        }
        let control = server.control.clone();
        assert_eq!(control.metrics().panics.load(Relaxed), 2);
        // goodbye and close panic for the connections still open: the
        // drain still ends, and cleanly.
        let stopper = std::thread::spawn(move || control.shutdown());
        for c in served.iter_mut() {
            assert!(closed_by_peer(c), "{poller:?}");
        }
        drop(served);
        stopper.join().unwrap();
        assert_eq!(server.stop().forced, 0, "{poller:?}");
    }
}

#[test]
fn a_panicking_handler_costs_its_connection_not_its_worker() {
    for poller in BACKENDS {
        let server = Running::start(Lines, poller, |c| c.workers = 1);
        let mut bad = server.connect();
        bad.write_all(b"ok\npanic\nnever\n").unwrap();
        // The request before the panic keeps its answer.
        assert_eq!(read_to_end(&mut bad), b"ok\nERR Panic\n");
        let mut good = server.connect();
        good.write_all(b"alive\n").unwrap();
        assert_eq!(read_n(&mut good, 6), b"alive\n");
        assert_eq!(server.control.metrics().panics.load(Relaxed), 1);
        server.stop();
    }
}

#[test]
fn idle_connections_close_after_the_idle_timeout() {
    // Direct mode too: there a finished task goes back without waking the
    // loop, which must still take it back and time the connection out. The
    // request sleeps past the idle deadline, so that its task comes back
    // while the loop sleeps with no timer of its own for the connection.
    for (poller, respond) in BACKENDS.into_iter().flat_map(|p| [(p, Respond::Loop), (p, Respond::Direct)]) {
        let server = Running::start(Lines, poller, |c| {
            c.idle_timeout = Some(Duration::from_millis(200));
            c.respond = respond;
        });
        let mut c = server.connect();
        c.write_all(b"sleep 300\n").unwrap();
        assert_eq!(read_n(&mut c, 10), b"sleep 300\n");
        assert!(closed_by_peer(&mut c), "{poller:?} {respond:?}");
        drop(c);
        let control = server.control.clone();
        wait_for(Duration::from_secs(5), "the close to be counted", || {
            control.metrics().closed_count(CloseReason::Idle) == 1
        });
        server.stop();
    }
}

#[test]
fn a_request_that_never_completes_gets_the_timeout_reply() {
    for poller in BACKENDS {
        let server = Running::start(Lines, poller, |c| c.request_timeout = Some(Duration::from_millis(200)));
        let mut c = server.connect();
        c.write_all(b"no newline yet").unwrap();
        assert_eq!(read_to_end(&mut c), b"ERR RequestTimeout\n");
        assert_eq!(server.control.metrics().limit_hits(Limit::RequestTimeout), 1);
        server.stop();
    }
}

#[test]
fn a_client_that_never_reads_is_paused_then_closed_by_the_write_timeout() {
    for poller in BACKENDS {
        let server = Running::start(Echo, poller, |c| {
            c.write_timeout = Duration::from_millis(300);
            c.output_high_water_bytes = 64 << 10;
            c.output_low_water_bytes = 16 << 10;
        });
        let hog = server.connect();
        let mut w = hog.try_clone().unwrap();
        let writer = std::thread::spawn(move || {
            let chunk = vec![b'z'; 64 << 10];
            // Runs until the server stops reading (a write times out) or closes.
            for _ in 0..4096 {
                if w.write_all(&chunk).is_err() {
                    return;
                }
            }
        });
        let mut other = server.connect();
        other.write_all(b"served").unwrap();
        assert_eq!(read_n(&mut other, 6), b"served");
        let control = server.control.clone();
        wait_for(Duration::from_secs(20), "the slow reader to be closed", || {
            control.metrics().closed_count(CloseReason::WriteTimeout) == 1
        });
        assert!(control.metrics().limit_hits(Limit::OutputHighWater) >= 1);
        writer.join().unwrap();
        server.stop();
    }
}

#[test]
fn a_full_task_queue_pauses_reading_and_loses_nothing() {
    for poller in BACKENDS {
        let server = Running::start(Lines, poller, |c| {
            c.workers = 1;
            c.queue_capacity = 1;
        });
        let mut clients: Vec<_> = (0..20).map(|_| server.connect()).collect();
        for c in clients.iter_mut() {
            c.write_all(b"sleep 5\nhello\n").unwrap();
        }
        for c in clients.iter_mut() {
            assert_eq!(read_n(c, 14), b"sleep 5\nhello\n");
        }
        assert!(server.control.metrics().limit_hits(Limit::QueueFull) >= 1);
        server.stop();
    }
}

/// Frames `<len>\n<len bytes>` and answers each with its length; announces
/// the length of an incomplete one with `Cx::announce_request_len`. Counts its calls.
struct Sized {
    calls: std::sync::Arc<AtomicUsize>,
    announce: bool,
}

impl Service for Sized {
    type State = ();

    fn open(&self, _conn: &ConnInfo) {}

    fn handle(&self, _state: &mut (), cx: &mut Cx<'_>) {
        self.calls.fetch_add(1, Relaxed);
        loop {
            let input = cx.input();
            let Some(nl) = input.iter().position(|&b| b == b'\n') else { return };
            let len: usize = std::str::from_utf8(&input[..nl]).unwrap().parse().unwrap();
            if input.len() < nl + 1 + len {
                if self.announce {
                    cx.announce_request_len(nl + 1 + len);
                }
                return;
            }
            let reply = format!("{len}\n");
            cx.consume(nl + 1 + len);
            cx.out().extend_from_slice(reply.as_bytes());
        }
    }
}

#[test]
fn a_request_announced_with_expect_may_pass_max_input_and_is_handled_once_it_is_whole() {
    for poller in BACKENDS {
        let calls = std::sync::Arc::new(AtomicUsize::new(0));
        let sized = Sized { calls: calls.clone(), announce: true };
        let server = Running::start(sized, poller, |c| c.max_input_bytes = 1024);
        let mut c = server.connect();
        let len = 4 << 20;
        c.write_all(format!("3\nabc{len}\n").as_bytes()).unwrap();
        assert_eq!(read_n(&mut c, 2), b"3\n");
        let before = calls.load(Relaxed);
        // 4 MiB behind a 1 KiB input limit, in 64 KiB writes, then a small
        // request right behind it.
        for chunk in vec![b'x'; len].chunks(64 << 10) {
            c.write_all(chunk).unwrap();
        }
        c.write_all(b"2\nok").unwrap();
        assert_eq!(read_n(&mut c, 10), format!("{len}\n2\n").as_bytes(), "{poller:?}");
        // The service was not called for every read of the big one.
        let during = calls.load(Relaxed) - before;
        assert!(during <= 4, "{poller:?}: {during} calls for one announced request");
        assert_eq!(server.control.metrics().limit_hits(Limit::MaxInput), 0, "{poller:?}");

        server.stop();

        // Unannounced, the same request is refused at the limit.
        let sized = Sized { calls: calls.clone(), announce: false };
        let server = Running::start(sized, poller, |c| c.max_input_bytes = 1024);
        let mut c = server.connect();
        c.write_all(format!("{len}\n").as_bytes()).unwrap();
        c.write_all(&[b'x'; 2048]).unwrap();
        assert_eq!(read_to_end(&mut c), b"", "{poller:?}");
        let control = server.control.clone();
        wait_for(Duration::from_secs(5), "the close to be counted", || {
            control.metrics().closed_count(CloseReason::InputTooLarge) == 1
        });
        server.stop();
    }
}

/// Consumes nothing, slowly, and notes the most input it was shown.
struct Hoarder {
    most_seen: std::sync::Arc<AtomicUsize>,
}

impl Service for Hoarder {
    type State = ();

    fn open(&self, _conn: &ConnInfo) {}

    fn handle(&self, _state: &mut (), cx: &mut Cx<'_>) {
        self.most_seen.fetch_max(cx.input().len(), Relaxed);
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn input_read_while_a_task_is_out_counts_against_max_input() {
    // The loop reads on while a worker holds the connection's input; what
    // the worker holds must count, or the buffer grows by max_input each
    // time a task is out.
    for poller in BACKENDS {
        let most_seen = std::sync::Arc::new(AtomicUsize::new(0));
        let server = Running::start(Hoarder { most_seen: most_seen.clone() }, poller, |c| c.max_input_bytes = 1024);
        let mut c = server.connect();
        let mut writer = c.try_clone().unwrap();
        let trickle = std::thread::spawn(move || {
            for _ in 0..2000 {
                if writer.write_all(&[b'x'; 64]).is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(1));
            }
        });
        assert_eq!(read_to_end(&mut c), b"", "{poller:?}");
        trickle.join().unwrap();
        let control = server.control.clone();
        wait_for(Duration::from_secs(5), "the close to be counted", || {
            control.metrics().closed_count(CloseReason::InputTooLarge) == 1
        });
        let seen = most_seen.load(Relaxed);
        assert!(seen <= 1024, "{poller:?}: the service was shown {seen} bytes past a 1024-byte limit");
        server.stop();
    }
}

/// Answers every line with 1 MiB; remembers who connected, for mail.
#[derive(Default)]
struct Bulky {
    conns: std::sync::Arc<std::sync::Mutex<Vec<switchyard_engine::ConnId>>>,
}

impl Service for Bulky {
    type State = ();

    fn open(&self, conn: &ConnInfo) {
        self.conns.lock().unwrap().push(conn.id);
    }

    fn handle(&self, _state: &mut (), cx: &mut Cx<'_>) {
        let (input, out) = cx.io();
        let lines = input.iter().filter(|&&b| b == b'\n').count();
        let used = input.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        for _ in 0..lines {
            out.extend_from_slice(&vec![b'z'; 1 << 20]);
        }
        cx.consume(used);
    }
}

fn small_output_limits(c: &mut switchyard_engine::Config) {
    c.output_low_water_bytes = 4 << 10;
    c.output_high_water_bytes = 16 << 10;
    c.max_output_bytes = 64 << 10;
}

#[test]
fn one_reply_longer_than_max_output_is_sent_whole() {
    for poller in BACKENDS {
        let server = Running::start(Bulky::default(), poller, small_output_limits);
        let mut c = server.connect();
        c.write_all(b"one\n").unwrap();
        assert_eq!(read_n(&mut c, 1 << 20), vec![b'z'; 1 << 20], "{poller:?}");
        c.write_all(b"two\n").unwrap();
        assert_eq!(read_n(&mut c, 1 << 20).len(), 1 << 20, "{poller:?}");
        assert_eq!(server.control.metrics().closed_count(CloseReason::OutputTooLarge), 0);
        server.stop();
    }
}

#[test]
fn output_piling_up_behind_a_reader_that_does_not_read_closes_it_at_max_output() {
    for poller in BACKENDS {
        let service = Bulky::default();
        let conns = service.conns.clone();
        let server = Running::start(service, poller, small_output_limits);
        let _silent = server.connect();
        wait_for(Duration::from_secs(5), "the connection", || !conns.lock().unwrap().is_empty());
        let id = conns.lock().unwrap()[0];
        // Mail to a client that never reads: the kernel's buffers fill,
        // then max_output_bytes (64 KiB) of it waits, then the close.
        let control = server.control.clone();
        for _ in 0..4096 {
            if control.metrics().closed_count(CloseReason::OutputTooLarge) == 1 {
                break;
            }
            control.send(id, vec![b'm'; 16 << 10]);
            std::thread::sleep(Duration::from_micros(200));
        }
        wait_for(Duration::from_secs(5), "the slow reader's close", || {
            control.metrics().closed_count(CloseReason::OutputTooLarge) == 1
        });
        assert_eq!(control.metrics().limit_hits(Limit::MaxOutput), 1, "{poller:?}");
        server.stop();
    }
}

/// Answers one line per call with 64 KiB and asks to be called again for
/// the rest, as a service with an output budget does.
struct Paged;

impl Service for Paged {
    type State = ();

    fn open(&self, _conn: &ConnInfo) {}

    fn handle(&self, _state: &mut (), cx: &mut Cx<'_>) {
        let Some(nl) = cx.input().iter().position(|&b| b == b'\n') else { return };
        cx.out().extend_from_slice(&vec![b'p'; 64 << 10]);
        cx.consume(nl + 1);
        cx.call_again();
    }
}

#[test]
fn a_service_that_stops_at_its_output_budget_is_called_again_once_the_output_drains() {
    // Each call's output passes the high-water mark, pausing the
    // connection; the write at the end of the turn drains it, and the
    // task that starts then must reach a worker before the loop sleeps.
    for poller in BACKENDS {
        let server = Running::start(Paged, poller, small_output_limits);
        let mut c = server.connect();
        c.write_all(&b"line\n".repeat(50)).unwrap();
        assert_eq!(read_n(&mut c, 50 << 16).len(), 50 << 16, "{poller:?}");
        server.stop();
    }
}

#[test]
fn one_call_whose_output_passes_the_hard_limit_closes_its_connection() {
    for poller in BACKENDS {
        let server = Running::start(Bulky::default(), poller, |c| {
            small_output_limits(c);
            c.output_limits.hard_bytes = 512 << 10;
        });
        let mut greedy = server.connect();
        greedy.write_all(b"one\n").unwrap();
        assert!(read_to_end(&mut greedy).len() < 1 << 20, "{poller:?}");
        let control = server.control.clone();
        wait_for(Duration::from_secs(5), "the close", || {
            control.metrics().closed_count(CloseReason::OutputTooLarge) == 1
        });
        assert_eq!(control.metrics().limit_hits(Limit::OutputHard), 1, "{poller:?}");
        assert_eq!(control.output_memory(), 0, "{poller:?}: the closed connection's output is uncounted");
        // Raised while running, the limit lets the same reply through.
        control.set_output_limits(switchyard_engine::OutputLimits { hard_bytes: 4 << 20, ..control.output_limits() });
        let mut c = server.connect();
        c.write_all(b"two\n").unwrap();
        assert_eq!(read_n(&mut c, 1 << 20).len(), 1 << 20, "{poller:?}");
        server.stop();
    }
}

#[test]
fn output_held_above_the_soft_limit_too_long_closes_the_connection() {
    for poller in BACKENDS {
        let server = Running::start(Bulky::default(), poller, |c| {
            c.output_limits.soft_bytes = 256 << 10;
            c.output_limits.soft_time = Duration::from_millis(300);
        });
        let mut slow = server.connect();
        slow.write_all(&b"line\n".repeat(16)).unwrap();
        // 16 MiB waits for a reader that does not read: past the soft
        // limit once the kernel's buffers are full, and so closed once
        // the soft time has passed.
        let control = server.control.clone();
        wait_for(Duration::from_secs(5), "the close", || {
            control.metrics().closed_count(CloseReason::OutputTooLarge) == 1
        });
        assert_eq!(control.metrics().limit_hits(Limit::OutputSoft), 1, "{poller:?}");
        assert!(read_to_end(&mut slow).len() < 16 << 20, "{poller:?}");
        server.stop();
    }
}

#[test]
fn past_the_total_output_limit_the_client_holding_the_most_is_closed() {
    for poller in BACKENDS {
        let service = Bulky::default();
        let conns = service.conns.clone();
        let server = Running::start(service, poller, |c| {
            c.output_limits.total_bytes = 8 << 20;
        });
        let mut small = server.connect();
        let mut big = server.connect();
        wait_for(Duration::from_secs(5), "both connections", || conns.lock().unwrap().len() == 2);
        let (small_id, big_id) = {
            let ids = conns.lock().unwrap();
            (ids[0], ids[1])
        };
        let control = server.control.clone();
        // Neither reads: 384 KiB waits for one, 32 MiB for the other (the
        // kernel's buffers take some megabytes of it).
        control.send(small_id, vec![b's'; 384 << 10]);
        for _ in 0..32 {
            control.send(big_id, vec![b'b'; 1 << 20]);
        }
        wait_for(Duration::from_secs(5), "a close", || {
            control.metrics().closed_count(CloseReason::OutputTooLarge) == 1
        });
        assert_eq!(control.metrics().limit_hits(Limit::OutputTotal), 1, "{poller:?}");
        assert!(closed_by_peer(&mut big), "{poller:?}: the client holding the most goes");
        assert_eq!(read_n(&mut small, 384 << 10), vec![b's'; 384 << 10], "{poller:?}: the other stays");
        server.stop();
    }
}

/// Works until the connection is gone (at most 20 s), then records that.
struct Stubborn {
    saw_gone: std::sync::Arc<AtomicUsize>,
}

impl Service for Stubborn {
    type State = ();

    fn open(&self, _conn: &ConnInfo) {}

    fn handle(&self, _state: &mut (), cx: &mut Cx<'_>) {
        let n = cx.input().len();
        let started = std::time::Instant::now();
        while started.elapsed() < Duration::from_secs(20) {
            if cx.gone() {
                self.saw_gone.fetch_add(1, Relaxed);
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        cx.consume(n);
    }
}

#[test]
fn a_worker_learns_that_its_client_reset_and_may_stop_early() {
    for poller in BACKENDS {
        let saw_gone = std::sync::Arc::new(AtomicUsize::new(0));
        let server = Running::start(Stubborn { saw_gone: saw_gone.clone() }, poller, |_| {});
        let mut c = server.connect();
        c.write_all(b"long work\n").unwrap();
        let control = server.control.clone();
        wait_for(Duration::from_secs(5), "the task to start", || control.metrics().tasks_running.load(Relaxed) > 0);
        let linger = linger_zero(&c);
        drop(c);
        assert!(linger);
        wait_for(Duration::from_secs(10), "the worker to see the reset", || saw_gone.load(Relaxed) == 1);
        let control = server.control.clone();
        wait_for(Duration::from_secs(5), "the close", || control.metrics().connections_open.load(Relaxed) == 0);
        server.stop();
    }
}

/// Sets `SO_LINGER` to zero, so that dropping the socket sends a reset.
fn linger_zero(s: &std::net::TcpStream) -> bool {
    use std::os::fd::AsRawFd;
    let linger = libc::linger { l_onoff: 1, l_linger: 0 };
    // SAFETY: setsockopt on a live socket with a live, correctly sized value.
    unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            &linger as *const libc::linger as *const libc::c_void,
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        ) == 0
    }
}

/// Answers each line through `Control::send` from another thread, a while
/// later (as a chat server's outbox does), and closes through
/// `Control::close` once the client's input has ended.
struct Relayed {
    control: std::sync::OnceLock<switchyard_engine::Control>,
    tx: std::sync::Mutex<std::sync::mpsc::Sender<Relay>>,
    rx: std::sync::Mutex<Option<std::sync::mpsc::Receiver<Relay>>>,
}

/// Bytes for a connection, or its close (`None`).
type Relay = (switchyard_engine::ConnId, Option<Vec<u8>>);

impl Relayed {
    fn new() -> Relayed {
        let (tx, rx) = std::sync::mpsc::channel();
        Relayed { control: Default::default(), tx: std::sync::Mutex::new(tx), rx: std::sync::Mutex::new(Some(rx)) }
    }
}

impl Service for Relayed {
    type State = switchyard_engine::ConnId;

    fn open(&self, conn: &ConnInfo) -> switchyard_engine::ConnId {
        conn.id
    }

    fn start(&self, control: &switchyard_engine::Control) {
        let _ = self.control.set(control.clone());
        let rx = self.rx.lock().unwrap().take().unwrap();
        let control = control.clone();
        std::thread::spawn(move || {
            for (id, msg) in rx {
                std::thread::sleep(Duration::from_millis(20));
                match msg {
                    Some(bytes) => control.send(id, bytes),
                    None => control.close(id),
                }
            }
        });
    }

    fn handle(&self, id: &mut switchyard_engine::ConnId, cx: &mut Cx<'_>) {
        let used = cx.input().iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let reply = cx.input()[..used].to_vec();
        if !reply.is_empty() {
            self.tx.lock().unwrap().send((*id, Some(reply))).unwrap();
        }
        cx.consume(used);
    }

    fn input_ended(&self, id: &mut switchyard_engine::ConnId) -> Farewell {
        self.tx.lock().unwrap().send((*id, None)).unwrap();
        Farewell::Wait
    }
}

#[test]
fn a_half_closed_client_gets_replies_that_travel_through_control_send() {
    for poller in BACKENDS {
        let server = Running::start(Relayed::new(), poller, |_| {});
        for round in 0..10 {
            let mut c = server.connect();
            c.write_all(format!("ping {round}\n").as_bytes()).unwrap();
            c.shutdown(std::net::Shutdown::Write).unwrap();
            assert_eq!(read_to_end(&mut c), format!("ping {round}\n").as_bytes(), "{poller:?} round {round}");
        }
        let m = server.control.metrics();
        assert_eq!(m.closed_count(CloseReason::PeerClosed), 10, "{poller:?}");
        server.stop();
    }
}

/// A line `sub` puts the connection in the subscriber output class; any
/// other line is answered `ok`. Remembers who connected, for mail.
#[derive(Default)]
struct Classy {
    conns: std::sync::Arc<std::sync::Mutex<Vec<switchyard_engine::ConnId>>>,
}

impl Service for Classy {
    type State = ();

    fn open(&self, conn: &ConnInfo) {
        self.conns.lock().unwrap().push(conn.id);
    }

    fn handle(&self, _state: &mut (), cx: &mut Cx<'_>) {
        while let Some(end) = cx.input().iter().position(|&b| b == b'\n') {
            if &cx.input()[..end] == b"sub" {
                cx.set_output_class(switchyard_engine::OutputClass::Subscriber);
            }
            cx.out().extend_from_slice(b"ok\n");
            cx.consume(end + 1);
        }
    }
}

#[test]
fn a_subscriber_is_held_to_its_class_limits_and_an_ordinary_client_is_not() {
    use switchyard_engine::OutputClass;
    for poller in BACKENDS {
        let service = Classy::default();
        let conns = service.conns.clone();
        let server = Running::start(service, poller, |_| {});
        let control = server.control.clone();
        let subscriber_limits = switchyard_engine::OutputLimits {
            hard_bytes: 256 << 10,
            soft_bytes: 0,
            soft_time: Duration::ZERO,
            total_bytes: 0,
        };
        control.set_output_limits_of(OutputClass::Subscriber, subscriber_limits);
        assert_eq!(control.output_limits_of(OutputClass::Subscriber), subscriber_limits);
        assert_eq!(control.output_limits_of(OutputClass::Normal), control.output_limits());
        let mut sub = server.connect();
        sub.write_all(b"sub\n").unwrap();
        assert_eq!(read_n(&mut sub, 3), b"ok\n");
        let mut normal = server.connect();
        normal.write_all(b"hello\n").unwrap();
        assert_eq!(read_n(&mut normal, 3), b"ok\n");
        let ids = conns.lock().unwrap().clone();
        // Neither reads: the kernel's buffers fill, then the subscriber's
        // 256 KiB, then it is closed; the other holds on.
        for _ in 0..4096 {
            if control.metrics().closed_count(CloseReason::OutputTooLarge) == 1 {
                break;
            }
            control.send_many(&ids, &[b'm'; 16 << 10]);
            std::thread::sleep(Duration::from_micros(200));
        }
        wait_for(Duration::from_secs(5), "the subscriber's close", || {
            control.metrics().closed_count(CloseReason::OutputTooLarge) == 1
        });
        assert_eq!(control.metrics().limit_hits(Limit::OutputHard), 1, "{poller:?}");
        assert!(closed_by_peer(&mut sub), "{poller:?}: the subscriber is closed");
        // The ordinary client reads everything, then its reply.
        let held = control.output_memory();
        assert!(held > 256 << 10, "{poller:?}: the ordinary client holds {held} bytes");
        normal.write_all(b"again\n").unwrap();
        let mut all = Vec::new();
        while !all.ends_with(b"ok\n") {
            let mut chunk = [0u8; 65536];
            let n = normal.read(&mut chunk).unwrap();
            assert!(n > 0, "{poller:?}: the ordinary client is closed");
            all.extend_from_slice(&chunk[..n]);
        }
        assert!(all[..all.len() - 3].iter().all(|&b| b == b'm'), "{poller:?}");
        server.stop();
    }
}
