//! A bounded socket fuzzer against every service: random bytes, mutated
//! valid requests, one-byte segments, resets, half-closes and crowds of
//! connections, with health checks (a real request, its exact answer)
//! throughout and afterwards, then no leaked descriptors, no CPU spent
//! while idle, and exit status 0 on `SIGTERM`.
//!
//! Seeded and replayable: `SWITCHYARD_FUZZ_SEED=N` (decimal or `0x` hex)
//! replays a run, which prints its seed when it fails;
//! `SWITCHYARD_FUZZ_SECS=N` fuzzes each service N seconds instead of
//! [`DEFAULT_SECS`]. Each fuzzing thread draws from its own generator,
//! so a seed gives every thread the same inputs in the same order; only
//! how many of them fit in the time varies. Only 127.0.0.1 is used.

mod rng;
mod target;

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rng::{mutate, Rng};
use target::{Answer, Service, HELLO};

use crate::support::{wait_for, Server};

/// Seconds of fuzzing per service in an ordinary test run.
const DEFAULT_SECS: u64 = 3;

/// Threads sending hostile input at once (the health checker is another).
const FUZZ_THREADS: usize = 3;

/// The most connections one crowd case holds open together.
const MAX_CROWD: usize = 48;

/// Descriptors the server may hold after the fuzzing beyond what it held
/// before it: an open file that http's cache swapped for another.
const FD_SLACK: usize = 2;

/// CPU time the server may spend over [`IDLE_WINDOW`] of idleness after the
/// fuzzing: a loop that wakes for its timers costs far less, one that
/// spins costs the whole window.
const IDLE_CPU_LIMIT: Duration = Duration::from_millis(100);
const IDLE_WINDOW: Duration = Duration::from_secs(1);

/// The largest value [`Case::LargeValue`] makes, and the key it uses.
const LARGE_VALUE_BYTES: usize = 32 << 20;
const LARGE_KEY: &str = "fuzz:large";

/// Peak memory the kv server may reach beyond its size before the fuzzing:
/// the large value once and a half, as issue 18 asks, and room for the
/// other cases' buffers.
const LARGE_VALUE_MEMORY_BYTES: u64 = (LARGE_VALUE_BYTES + LARGE_VALUE_BYTES / 2 + (32 << 20)) as u64;

#[test]
fn echo_stays_healthy_under_hostile_input() {
    fuzz(Service::Echo);
}

#[test]
fn http_stays_healthy_under_hostile_input() {
    fuzz(Service::Http);
}

#[test]
fn kv_stays_healthy_under_hostile_input() {
    fuzz(Service::Kv);
}

#[test]
fn chat_stays_healthy_under_hostile_input() {
    fuzz(Service::Chat);
}

/// The run's seed: `SWITCHYARD_FUZZ_SEED`, or one from the clock.
fn seed() -> u64 {
    match std::env::var("SWITCHYARD_FUZZ_SEED") {
        Ok(s) => {
            let s = s.trim();
            let parsed = match s.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => s.parse(),
            };
            parsed.unwrap_or_else(|e| panic!("SWITCHYARD_FUZZ_SEED={s:?}: {e}"))
        }
        Err(_) => {
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
            now.as_nanos() as u64 ^ u64::from(std::process::id()) << 32
        }
    }
}

fn fuzz_time() -> Duration {
    let secs = match std::env::var("SWITCHYARD_FUZZ_SECS") {
        Ok(s) => s.trim().parse().unwrap_or_else(|e| panic!("SWITCHYARD_FUZZ_SECS={s:?}: {e}")),
        Err(_) => DEFAULT_SECS,
    };
    Duration::from_secs(secs)
}

/// What every thread of one run shares: when to stop, the first fault,
/// and the latest cases, for the report.
struct Run {
    service: Service,
    seed: u64,
    args: Vec<String>,
    stop: AtomicBool,
    fault: Mutex<Option<String>>,
    recent: Mutex<VecDeque<String>>,
    cases: AtomicU64,
    checks: AtomicU64,
}

/// How many cases the report lists.
const RECENT_CASES: usize = 12;

impl Run {
    /// Records the first fault and stops every thread.
    fn fail(&self, what: String) {
        let mut fault = self.fault.lock().unwrap();
        if fault.is_none() {
            *fault = Some(what);
        }
        self.stop.store(true, Ordering::SeqCst);
    }

    fn note(&self, case: String) {
        let mut recent = self.recent.lock().unwrap();
        if recent.len() == RECENT_CASES {
            recent.pop_front();
        }
        recent.push_back(case);
    }

    /// Everything needed to understand and replay a failure.
    fn report(&self, what: &str, server: &Server) -> String {
        let mut r = String::new();
        let _ = writeln!(r, "fuzz {}: {what}", self.service.name());
        let _ = writeln!(r, "replay with SWITCHYARD_FUZZ_SEED={:#x}", self.seed);
        let _ = writeln!(r, "server: switchyard {}", self.args.join(" "));
        let _ = writeln!(
            r,
            "cases run: {}; health checks passed: {}",
            self.cases.load(Ordering::SeqCst),
            self.checks.load(Ordering::SeqCst)
        );
        let _ = writeln!(r, "latest cases, oldest first:");
        for case in self.recent.lock().unwrap().iter() {
            let _ = writeln!(r, "  {case}");
        }
        let log = server.stderr();
        let tail: Vec<&str> = log.lines().rev().take(20).collect();
        let _ = writeln!(r, "server log (last lines):");
        for line in tail.into_iter().rev() {
            let _ = writeln!(r, "  {line}");
        }
        r
    }
}

fn fuzz(service: Service) {
    let seed = seed();
    // Each service draws from its own stream, so one seed replays any of them.
    let base = seed ^ (service as u64 + 1).wrapping_mul(0xa076_1d64_78bd_642f);
    let mut rng = Rng::new(base);
    let site = (service == Service::Http).then(Site::new);
    let args = service.args(&mut rng, site.as_ref().map(|s| &s.root));
    eprintln!(
        "fuzz {}: seed {seed:#x} (SWITCHYARD_FUZZ_SEED), {:?}: switchyard {}",
        service.name(),
        fuzz_time(),
        args.join(" ")
    );
    let mut server = Server::start(&args.iter().map(String::as_str).collect::<Vec<_>>(), 1);
    let run = Arc::new(Run {
        service,
        seed,
        args,
        stop: AtomicBool::new(false),
        fault: Mutex::new(None),
        recent: Mutex::new(VecDeque::new()),
        cases: AtomicU64::new(0),
        checks: AtomicU64::new(0),
    });
    let addr = server.addr();
    let pid = server.child.id();
    let check = |run: &Run, server: &Server, n: u64| {
        if let Err(e) = health_check(service, addr, n) {
            panic!("{}", run.report(&format!("health check: {e}"), server));
        }
    };
    check(&run, &server, 0);
    // Each valid request once first, so that what the server opens once
    // and keeps (http's open files) is open before the count.
    for request in service.corpus() {
        if let Some(mut s) = open(addr).unwrap() {
            if s.write_all(&request).is_ok() {
                glance(&mut s, Duration::from_millis(20));
            }
        }
    }
    let fds_before = fd_count(pid);
    let memory_before = server.memory("VmRSS");

    let deadline = Instant::now() + fuzz_time();
    let mut threads = Vec::new();
    for t in 0..FUZZ_THREADS {
        let run = run.clone();
        let mut rng = Rng::new(base.wrapping_add(t as u64 + 1).wrapping_mul(0x2545_f491_4f6c_dd1d));
        threads.push(std::thread::spawn(move || {
            let corpus = service.corpus();
            let mut n = 0u64;
            while Instant::now() < deadline && !run.stop.load(Ordering::SeqCst) {
                let case = Case::draw(&mut rng, service, &corpus);
                run.note(format!("thread {t} case {n}: {}", case.describe()));
                if let Err(e) = case.run(service, addr, &mut rng) {
                    run.fail(format!("thread {t} case {n}: {e}"));
                }
                n += 1;
                run.cases.fetch_add(1, Ordering::SeqCst);
            }
        }));
    }
    {
        let run = run.clone();
        threads.push(std::thread::spawn(move || {
            let mut n = 1;
            while Instant::now() < deadline && !run.stop.load(Ordering::SeqCst) {
                match health_check(service, addr, n) {
                    Ok(()) => run.checks.fetch_add(1, Ordering::SeqCst),
                    Err(e) => {
                        run.fail(format!("health check {n} during the fuzzing: {e}"));
                        break;
                    }
                };
                n += 1;
                std::thread::sleep(Duration::from_millis(100));
            }
        }));
    }
    for t in threads {
        t.join().unwrap();
    }
    if let Some(fault) = run.fault.lock().unwrap().take() {
        panic!("{}", run.report(&fault, &server));
    }
    assert!(run.checks.load(Ordering::SeqCst) > 0, "{}", run.report("no health check ran during the fuzzing", &server));

    for n in 0..5 {
        check(&run, &server, 1_000_000 + n);
    }
    // Connections the server is still closing (lingering, draining) give
    // their descriptors back within the linger timeout.
    let mut fds_after = 0;
    let settled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        wait_for(Duration::from_secs(15), "the server's descriptors to settle", || {
            fds_after = fd_count(pid);
            fds_after <= fds_before + FD_SLACK
        })
    }));
    if settled.is_err() {
        panic!("{}", run.report(&format!("descriptors: {fds_before} before the fuzzing, {fds_after} after"), &server));
    }
    let cpu = cpu_time(pid);
    std::thread::sleep(IDLE_WINDOW);
    let idle = cpu_time(pid) - cpu;
    if idle >= IDLE_CPU_LIMIT {
        panic!("{}", run.report(&format!("{idle:?} of CPU time in {IDLE_WINDOW:?} of idleness"), &server));
    }
    check(&run, &server, 2_000_000);
    if service == Service::Kv {
        let peak = server.memory("VmHWM");
        if peak > memory_before + LARGE_VALUE_MEMORY_BYTES {
            let what = format!("peak memory {} MiB, from {} MiB before the fuzzing", peak >> 20, memory_before >> 20);
            panic!("{}", run.report(&what, &server));
        }
    }
    eprintln!(
        "fuzz {}: {} cases, {} health checks, {fds_before} descriptors before and {fds_after} after, {idle:?} CPU while idle, peak memory {} MiB",
        service.name(),
        run.cases.load(Ordering::SeqCst),
        run.checks.load(Ordering::SeqCst),
        server.memory("VmHWM") >> 20,
    );
    server.signal(libc::SIGTERM);
    let status = server.wait(Duration::from_secs(30));
    assert_eq!(status.code(), Some(0), "{}", run.report("exit status after SIGTERM", &server));
}

/// One hostile exchange on fresh connections.
enum Case {
    /// Send the bytes, read what comes back for a moment, end the connection.
    Send { input: Vec<u8>, segments: Segments, end: End },
    /// Send the bytes, shut the write side, read until EOF; a probe's
    /// answer (`probe` is its number) must be there whole.
    HalfClose { input: Vec<u8>, probe: Option<u64> },
    /// Open many connections, send a piece of a request on each, end them.
    Crowd { inputs: Vec<(Vec<u8>, End)> },
    /// kv only: grow [`LARGE_KEY`] to `bytes` with `SETRANGE`, then ask
    /// for it `copies` times in one `MGET` and reset after `wait`.
    LargeValue { bytes: usize, copies: usize, wait: Duration },
}

#[derive(Clone, Copy, Debug)]
enum Segments {
    /// As few writes as the socket takes.
    Whole,
    /// One byte per write, with `TCP_NODELAY`: one segment each.
    Bytes,
}

#[derive(Clone, Copy, Debug)]
enum End {
    Close,
    /// `SO_LINGER` 0, then close: the kernel sends a reset.
    Reset,
}

impl Case {
    fn draw(rng: &mut Rng, service: Service, corpus: &[Vec<u8>]) -> Case {
        let end = |rng: &mut Rng| if rng.chance(1, 2) { End::Close } else { End::Reset };
        if service == Service::Kv && rng.chance(1, 64) {
            return Case::LargeValue {
                bytes: rng.between(1, LARGE_VALUE_BYTES),
                copies: rng.between(1, 8),
                wait: Duration::from_millis(rng.below(200) as u64),
            };
        }
        match rng.below(16) {
            0..=2 => Case::Send { input: rng.garbage(), segments: Segments::Whole, end: end(rng) },
            3..=8 => Case::Send { input: mutated(rng, corpus), segments: Segments::Whole, end: end(rng) },
            9..=10 => {
                let mut input = if rng.chance(1, 2) { valid(rng, corpus) } else { mutated(rng, corpus) };
                input.truncate(600);
                Case::Send { input, segments: Segments::Bytes, end: end(rng) }
            }
            11..=12 => {
                // The probe, pipelined after copies of itself: requests
                // that would end the connection first (QUIT, Connection:
                // close) are not wanted here.
                let n = rng.next_u64() >> 1;
                let input = service.probe(n).request.repeat(rng.between(1, 3));
                Case::HalfClose { input, probe: Some(n) }
            }
            13 => {
                let input = if rng.chance(1, 2) { rng.garbage() } else { mutated(rng, corpus) };
                Case::HalfClose { input, probe: None }
            }
            _ => {
                let inputs = (0..rng.between(8, MAX_CROWD))
                    .map(|_| {
                        let mut input = if rng.chance(1, 3) { mutated(rng, corpus) } else { valid(rng, corpus) };
                        input.truncate(rng.below(input.len() + 1));
                        (input, end(rng))
                    })
                    .collect();
                Case::Crowd { inputs }
            }
        }
    }

    fn describe(&self) -> String {
        match self {
            Case::Send { input, segments, end } => format!("send {segments:?} then {end:?}: {}", escape(input)),
            Case::HalfClose { input, probe } => {
                format!("half-close{}: {}", if probe.is_some() { " after a probe" } else { "" }, escape(input))
            }
            Case::Crowd { inputs } => {
                let bytes: usize = inputs.iter().map(|(i, _)| i.len()).sum();
                let resets = inputs.iter().filter(|(_, e)| matches!(e, End::Reset)).count();
                format!("crowd of {} connections, {bytes} bytes, {resets} resets", inputs.len())
            }
            Case::LargeValue { bytes, copies, wait } => {
                format!("SETRANGE {LARGE_KEY} {} x, then MGET of it {copies} times, reset after {wait:?}", bytes - 1)
            }
        }
    }

    /// Runs the case; a fault of the server is an error.
    fn run(&self, service: Service, addr: SocketAddr, rng: &mut Rng) -> Result<(), String> {
        match self {
            Case::Send { input, segments, end } => {
                let Some(mut s) = open(addr)? else { return Ok(()) };
                let sent = match segments {
                    Segments::Whole => s.write_all(input).is_ok(),
                    Segments::Bytes => {
                        s.set_nodelay(true).unwrap();
                        input.iter().all(|b| s.write_all(std::slice::from_ref(b)).is_ok())
                    }
                };
                if sent {
                    glance(&mut s, Duration::from_millis(rng.between(1, 30) as u64));
                }
                finish(s, *end);
                Ok(())
            }
            Case::HalfClose { input, probe } => {
                let Some(mut s) = open(addr)? else { return Ok(()) };
                if s.write_all(input).is_err() {
                    return Ok(());
                }
                let _ = s.shutdown(Shutdown::Write);
                let got = read_to_eof(&mut s).map_err(|e| format!("after a half-close: {e}"))?;
                let Some(n) = probe else { return Ok(()) };
                // The last answer is the probe's; copies of it come before.
                let probe = service.probe(*n);
                let whole = (0..=got.len()).any(|i| probe.check(&got[i..]) == Answer::Whole);
                if whole {
                    Ok(())
                } else {
                    Err(format!(
                        "the client half-closed after a probe and got EOF without its answer; got {}",
                        escape(&got)
                    ))
                }
            }
            Case::LargeValue { bytes, copies, wait } => {
                let Some(mut s) = open(addr)? else { return Ok(()) };
                let offset = (bytes - 1).to_string();
                let set = format!(
                    "*4\r\n$8\r\nSETRANGE\r\n${}\r\n{LARGE_KEY}\r\n${}\r\n{offset}\r\n$1\r\nx\r\n",
                    LARGE_KEY.len(),
                    offset.len()
                );
                s.write_all(set.as_bytes()).map_err(|e| format!("SETRANGE: {e}"))?;
                let mut reply = [0; 64];
                let n = s.read(&mut reply).map_err(|e| format!("SETRANGE: {e}"))?;
                if !reply[..n].starts_with(b":") {
                    return Err(format!("SETRANGE: {}", escape(&reply[..n])));
                }
                let key = format!("${}\r\n{LARGE_KEY}\r\n", LARGE_KEY.len());
                let mget = format!("*{}\r\n$4\r\nMGET\r\n{}", copies + 1, key.repeat(*copies));
                s.write_all(mget.as_bytes()).map_err(|e| format!("MGET: {e}"))?;
                glance(&mut s, *wait);
                finish(s, End::Reset);
                Ok(())
            }
            Case::Crowd { inputs } => {
                let mut open_conns = Vec::new();
                for (input, end) in inputs {
                    let Some(mut s) = open(addr)? else { break };
                    let _ = s.write_all(input);
                    open_conns.push((s, *end));
                }
                for (s, end) in open_conns {
                    finish(s, end);
                }
                Ok(())
            }
        }
    }
}

/// One to four valid requests, back to back.
fn valid(rng: &mut Rng, corpus: &[Vec<u8>]) -> Vec<u8> {
    (0..rng.between(1, 4)).flat_map(|_| rng.pick(corpus).clone()).collect()
}

fn mutated(rng: &mut Rng, corpus: &[Vec<u8>]) -> Vec<u8> {
    let mut input = valid(rng, corpus);
    mutate(rng, corpus, &mut input);
    input
}

/// A connection with timeouts; `None` when the test process is out of
/// descriptors or ports (other tests run beside this one), which is not
/// the server's fault.
fn open(addr: SocketAddr) -> Result<Option<TcpStream>, String> {
    match TcpStream::connect(addr) {
        Ok(s) => {
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            s.set_write_timeout(Some(Duration::from_secs(10))).unwrap();
            Ok(Some(s))
        }
        Err(e) if matches!(e.raw_os_error(), Some(libc::EMFILE | libc::ENFILE | libc::EADDRNOTAVAIL)) => Ok(None),
        Err(e) => Err(format!("connect: {e}")),
    }
}

/// Reads whatever arrives within `wait`, without asserting anything.
fn glance(s: &mut TcpStream, wait: Duration) {
    // A zero timeout is refused (it would mean "block forever").
    s.set_read_timeout(Some(wait.max(Duration::from_millis(1)))).unwrap();
    let mut buf = [0; 64 << 10];
    for _ in 0..16 {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
}

fn finish(s: TcpStream, end: End) {
    if let End::Reset = end {
        let linger = libc::linger { l_onoff: 1, l_linger: 0 };
        // SAFETY: setsockopt(2) on a socket we own, with a live linger
        // value of the size we pass.
        let rc = unsafe {
            libc::setsockopt(
                s.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_LINGER,
                (&linger as *const libc::linger).cast(),
                std::mem::size_of::<libc::linger>() as libc::socklen_t,
            )
        };
        assert_eq!(rc, 0, "SO_LINGER: {}", std::io::Error::last_os_error());
    }
}

/// Everything until EOF (a reset counts as one: the server may close on
/// bad input with some of it unread, and the kernel then resets).
fn read_to_eof(s: &mut TcpStream) -> Result<Vec<u8>, String> {
    let mut got = Vec::new();
    let mut buf = [0; 64 << 10];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return Ok(got),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return Ok(got),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Err(format!("no EOF 10 s after the last byte ({} bytes read): {}", got.len(), escape(&got)));
            }
            Err(e) => return Err(format!("read: {e}")),
        }
    }
}

/// Sends probe `n` on a fresh connection and waits for its whole answer.
fn health_check(service: Service, addr: SocketAddr, n: u64) -> Result<(), String> {
    let probe = service.probe(n);
    let mut s = open(addr)?.ok_or("no descriptor left in the test process")?;
    s.write_all(&probe.request).map_err(|e| format!("probe {n}: write: {e}"))?;
    let mut got = Vec::new();
    let mut buf = [0; 4096];
    loop {
        match probe.check(&got) {
            Answer::Whole => return Ok(()),
            Answer::Wrong => return Err(format!("probe {n}: wrong answer {}", escape(&got))),
            Answer::Partial => {}
        }
        match s.read(&mut buf) {
            Ok(0) => return Err(format!("probe {n}: EOF after {}", escape(&got))),
            Ok(k) => got.extend_from_slice(&buf[..k]),
            Err(e) => return Err(format!("probe {n}: read: {e} after {}", escape(&got))),
        }
    }
}

/// Bytes as a Rust byte string, cut to a readable length.
fn escape(bytes: &[u8]) -> String {
    const SHOWN: usize = 400;
    let mut s = String::from("b\"");
    for &b in bytes.iter().take(SHOWN) {
        s.extend(std::ascii::escape_default(b).map(char::from));
    }
    s.push('"');
    if bytes.len() > SHOWN {
        let _ = write!(s, "... ({} bytes)", bytes.len());
    }
    s
}

fn fd_count(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).unwrap().count()
}

/// The process's user plus system CPU time, from /proc/PID/stat.
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // The fields after the command name, which may hold spaces, start at 3.
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // SAFETY: sysconf(3) has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as u64;
    Duration::from_millis(ticks * 1000 / hz)
}

/// The http service's root: the file the probe fetches, a larger one for
/// ranges and a folder; removed when dropped.
struct Site {
    root: PathBuf,
}

impl Site {
    fn new() -> Site {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let root = std::env::temp_dir().join(format!("switchyard-it-fuzz-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("docs")).unwrap();
        std::fs::write(root.join("hello.txt"), HELLO).unwrap();
        std::fs::write(root.join("index.html"), b"<h1>home</h1>\n").unwrap();
        std::fs::write(root.join("docs/index.html"), b"<h1>docs</h1>\n").unwrap();
        std::fs::write(root.join("big.bin"), vec![b'x'; 1 << 20]).unwrap();
        Site { root }
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}
