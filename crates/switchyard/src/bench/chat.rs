//! `switchyard bench chat`: fan-out load on an IRC server.
//!
//! `--connections` M clients register and join `#bench`; `--senders` S of
//! them (default one in ten, at least one, and never the last, which only
//! listens) send messages to
//! the channel, each of which the server delivers to the M - 1 others. The
//! run has two measured phases of `--duration` each:
//!
//! 1. *full speed*: each sender keeps up to [`WINDOW`] messages in flight,
//!    a message counting as delivered once the listening client has it (one
//!    sender's messages arrive in order, so that is a cumulative ack). This
//!    is a closed loop: it finds the server's speed without letting any
//!    queue grow without bound. It gives deliveries per second.
//! 2. *fixed rate*, once every member has caught up: each sender sends
//!    `--rate` (default 100) messages a second. It gives delivery latency, from the moment a message is
//!    queued on the sender's socket to the moment a member has read it
//!    whole, over every member.
//!
//! At the end nothing is sent for a moment, and every member must have
//! received every message of every other sender, in order: a message lost
//! or reordered is an error. One thread drives every socket with the
//! engine's [`Poller`], so the client costs one core at most.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use hdrhistogram::Histogram;
use switchyard_engine::poller::{Event, Interest, Kind, Poller};

use super::BenchArgs;

/// Messages one sender may have in flight at full speed.
const WINDOW: u64 = 64;
/// Messages a second each sender sends in the fixed-rate phase.
/// Time after the last message for the stragglers to arrive.
const DRAIN: Duration = Duration::from_secs(3);
/// Longest wait for the members to catch up between the phases.
const SETTLE_MAX: Duration = Duration::from_secs(5);
/// Longest latency the histogram holds, in microseconds.
const LATENCY_MAX_US: u64 = 60_000_000;
/// The channel every client joins.
const CHANNEL: &str = "#bench";

/// One client connection.
struct Client {
    stream: TcpStream,
    input: Vec<u8>,
    output: Vec<u8>,
    /// Waiting for room to write.
    want_write: bool,
    /// Index among the senders, if this client sends.
    sender: Option<usize>,
    /// Next sequence number expected from each sender (order check).
    next_from: Vec<u64>,
    /// Messages received.
    received: u64,
}

/// What the run is in.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Phase {
    FullSpeed,
    /// Nothing sent until every member has what was sent at full speed, so
    /// that its backlog does not count as fixed-rate latency.
    Settle,
    FixedRate,
    Drain,
}

/// The counters of the run.
struct Tally {
    /// Messages sent, per sender.
    sent: Vec<u64>,
    /// Messages acknowledged by the listener, per sender.
    acked: Vec<u64>,
    /// Deliveries during the full-speed phase.
    full_deliveries: u64,
    /// Latency in the full-speed phase (queueing included), microseconds.
    full_latency: Histogram<u64>,
    /// Latency in the fixed-rate phase, microseconds.
    fixed_latency: Histogram<u64>,
    fixed_deliveries: u64,
    errors: Vec<String>,
}

/// Runs the chat benchmark; returns the exit status (1 if anything was lost).
///
/// # Errors
///
/// The target cannot be reached, refuses registration, or a socket fails.
pub fn run(args: &BenchArgs) -> anyhow::Result<i32> {
    let members = args.connections as usize;
    if members < 2 {
        eprintln!("switchyard: bench chat needs at least 2 connections (senders and a listener)");
        return Ok(2);
    }
    let senders = match args.senders {
        Some(s) if s as usize >= members => {
            eprintln!("switchyard: bench chat needs --senders below --connections (one member only listens)");
            return Ok(2);
        }
        Some(s) => s as usize,
        None => (members / 10).clamp(1, members - 1),
    };
    let size = (args.size as usize).clamp(32, 400);
    let clock = Instant::now();
    let mut clients = Vec::with_capacity(members);
    for i in 0..members {
        let (stream, input) = join(args.target, i).with_context(|| format!("client {i} joining {CHANNEL}"))?;
        let sender = (i < senders).then_some(i);
        clients.push(Client {
            stream,
            input,
            output: Vec::new(),
            want_write: false,
            sender,
            next_from: vec![0; senders],
            received: 0,
        });
    }
    let listener = members - 1;
    let mut poller = Poller::new(Kind::Epoll)?;
    for (token, c) in clients.iter().enumerate() {
        c.stream.set_nonblocking(true)?;
        poller.register(c.stream.as_raw_fd(), token as u64, Interest::READ)?;
    }
    let new_hist = || Histogram::new_with_bounds(1, LATENCY_MAX_US, 3).expect("valid histogram bounds");
    let mut t = Tally {
        sent: vec![0; senders],
        acked: vec![0; senders],
        full_deliveries: 0,
        full_latency: new_hist(),
        fixed_latency: new_hist(),
        fixed_deliveries: 0,
        errors: Vec::new(),
    };
    let pad = "x".repeat(size.saturating_sub(24));
    let start = Instant::now();
    let settle_from = start + args.duration;
    // Set when every member has caught up after the full-speed phase.
    let mut fixed_from: Option<Instant> = None;
    let interval = Duration::from_nanos(1_000_000_000 / u64::from(args.rate));
    let mut due = Vec::new();
    let mut events = Vec::new();
    loop {
        let now = Instant::now();
        if fixed_from.is_none()
            && now >= settle_from
            && (caught_up(&clients, &t.sent) || now >= settle_from + SETTLE_MAX)
        {
            fixed_from = Some(now);
            due = vec![now; senders];
        }
        let phase = match fixed_from {
            None if now < settle_from => Phase::FullSpeed,
            None => Phase::Settle,
            Some(f) if now < f + args.duration => Phase::FixedRate,
            Some(f) if now < f + args.duration + DRAIN => Phase::Drain,
            Some(_) => break,
        };
        for (token, c) in clients.iter_mut().enumerate() {
            let Some(s) = c.sender else { continue };
            let before = c.output.len();
            match phase {
                Phase::FullSpeed => {
                    while t.sent[s] - t.acked[s] < WINDOW {
                        queue_message(&mut c.output, s, t.sent[s], clock, &pad);
                        t.sent[s] += 1;
                    }
                }
                Phase::FixedRate => {
                    while due[s] <= now {
                        queue_message(&mut c.output, s, t.sent[s], clock, &pad);
                        t.sent[s] += 1;
                        due[s] += interval;
                    }
                }
                Phase::Settle | Phase::Drain => {}
            }
            if c.output.len() > before && !c.want_write {
                flush(c, &mut poller, token)?;
            }
        }
        let wait = match phase {
            Phase::FixedRate => due.iter().min().copied().unwrap_or(now).saturating_duration_since(now),
            _ => Duration::from_millis(5),
        };
        poller.wait(&mut events, Some(wait))?;
        for &Event { token, readable, writable, closed } in &events {
            let token = token as usize;
            if writable {
                flush(&mut clients[token], &mut poller, token)?;
            }
            if readable || closed {
                let c = &mut clients[token];
                let is_listener = token == listener;
                if !read_all(c, clock, phase, is_listener, &mut t)? {
                    bail!("the server closed client {token}");
                }
            }
        }
    }
    for (i, c) in clients.iter().enumerate() {
        for (s, &n) in c.next_from.iter().enumerate() {
            if Some(s) != c.sender && n != t.sent[s] {
                t.errors.push(format!("client {i} got {n} of sender {s}'s {} messages", t.sent[s]));
            }
        }
    }
    let total: u64 = clients.iter().map(|c| c.received).sum();
    print!("{}", report(args, members, senders, size, &t, total));
    for e in t.errors.iter().take(5) {
        eprintln!("switchyard: {e}");
    }
    Ok(if t.errors.is_empty() { 0 } else { 1 })
}

/// The entry point of the request-response driver, which this benchmark
/// does not use: [`run`] drives its own clients.
pub fn build(_: &BenchArgs) -> Result<std::sync::Arc<dyn super::Protocol>, String> {
    Err("chat is a fan-out benchmark with its own driver".into())
}

/// Every member has every message sent so far by every other sender.
fn caught_up(clients: &[Client], sent: &[u64]) -> bool {
    clients.iter().all(|c| c.next_from.iter().zip(sent).enumerate().all(|(s, (n, m))| Some(s) == c.sender || n == m))
}

/// Connects client `i`, registers as `bench{i}`, joins the channel, and
/// waits for the end of its names list; returns the stream and what
/// arrived after that list.
fn join(target: SocketAddr, i: usize) -> anyhow::Result<(TcpStream, Vec<u8>)> {
    let stream = TcpStream::connect(target)?;
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut w = stream.try_clone()?;
    write!(w, "NICK bench{i}\r\nUSER bench 0 * :bench client {i}\r\nJOIN {CHANNEL}\r\n")?;
    let mut r = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    loop {
        line.clear();
        if r.read_line(&mut line)? == 0 {
            bail!("the server closed the connection during registration");
        }
        let mut words = line.split(' ');
        let first = words.next().unwrap_or("");
        if first == "PING" {
            w.write_all(format!("PONG {}", &line[5..]).as_bytes())?;
            continue;
        }
        match words.next() {
            Some("366") => break,
            Some(code @ ("433" | "432" | "451" | "461" | "471" | "473" | "474" | "475")) => {
                bail!("the server refused: {code} {}", line.trim_end())
            }
            _ if first == "ERROR" => bail!("the server refused: {}", line.trim_end()),
            _ => {}
        }
    }
    let early = r.buffer().to_vec();
    stream.set_read_timeout(None)?;
    Ok((stream, early))
}

/// Appends `PRIVMSG #bench :<sender> <seq> <sent µs> <padding>`.
fn queue_message(out: &mut Vec<u8>, sender: usize, seq: u64, clock: Instant, pad: &str) {
    let us = clock.elapsed().as_micros();
    let _ = write!(out, "PRIVMSG {CHANNEL} :{sender} {seq} {us} {pad}\r\n");
}

/// Writes what the socket takes; arms write interest for the rest.
fn flush(c: &mut Client, poller: &mut Poller, token: usize) -> io::Result<()> {
    while !c.output.is_empty() {
        match c.stream.write(&c.output) {
            Ok(n) => {
                c.output.drain(..n);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let want = !c.output.is_empty();
    if want != c.want_write {
        c.want_write = want;
        let interest = if want { Interest { read: true, write: true } } else { Interest::READ };
        poller.reregister(c.stream.as_raw_fd(), token as u64, interest)?;
    }
    Ok(())
}

/// Reads and handles every whole line; false at EOF.
fn read_all(c: &mut Client, clock: Instant, phase: Phase, is_listener: bool, t: &mut Tally) -> anyhow::Result<bool> {
    let mut buf = [0u8; 64 * 1024];
    let mut open = true;
    loop {
        match c.stream.read(&mut buf) {
            Ok(0) => {
                open = false;
                break;
            }
            Ok(n) => c.input.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    let now_us = clock.elapsed().as_micros() as u64;
    let mut used = 0;
    while let Some(end) = c.input[used..].iter().position(|&b| b == b'\n') {
        let line = &c.input[used..used + end];
        used += end + 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if let Some(token) = line.strip_prefix(b"PING ") {
            c.output.extend_from_slice(b"PONG ");
            c.output.extend_from_slice(token);
            c.output.extend_from_slice(b"\r\n");
            continue;
        }
        let Some((s, seq, sent_us)) = parse_message(line) else { continue };
        if s >= c.next_from.len() {
            continue;
        }
        if seq != c.next_from[s] {
            t.errors.push(format!("out of order: expected {} from sender {s}, got {seq}", c.next_from[s]));
        }
        c.next_from[s] = seq + 1;
        c.received += 1;
        if is_listener {
            t.acked[s] = t.acked[s].max(seq + 1);
        }
        let latency = now_us.saturating_sub(sent_us).max(1);
        match phase {
            Phase::FullSpeed => {
                t.full_deliveries += 1;
                t.full_latency.saturating_record(latency);
            }
            Phase::FixedRate => {
                t.fixed_deliveries += 1;
                t.fixed_latency.saturating_record(latency);
            }
            Phase::Settle | Phase::Drain => {}
        }
    }
    c.input.drain(..used);
    Ok(open)
}

/// `(sender, seq, sent µs)` from `:prefix PRIVMSG #bench :s seq us pad`.
fn parse_message(line: &[u8]) -> Option<(usize, u64, u64)> {
    let text = std::str::from_utf8(line).ok()?;
    let (_, body) = text.split_once(" PRIVMSG ")?.1.split_once(" :")?;
    let mut words = body.split(' ');
    Some((words.next()?.parse().ok()?, words.next()?.parse().ok()?, words.next()?.parse().ok()?))
}

fn report(args: &BenchArgs, members: usize, senders: usize, size: usize, t: &Tally, total: u64) -> String {
    let secs = args.duration.as_secs_f64();
    let full_rate = t.full_deliveries as f64 / secs;
    let fixed_rate = t.fixed_deliveries as f64 / secs;
    // p50, p99 and p99.9 in milliseconds.
    let ms = |h: &Histogram<u64>| [0.5, 0.99, 0.999].map(|q| h.value_at_quantile(q) as f64 / 1000.0);
    let ([f50, f99, f999], [x50, x99, x999]) = (ms(&t.full_latency), ms(&t.fixed_latency));
    let errors = t.errors.len();
    let (target, rate) = (args.target, args.rate);
    if args.json {
        return format!(
            "{{\"service\":\"chat\",\"target\":\"{target}\",\"members\":{members},\"senders\":{senders},\"size\":{size},\
             \"duration_s\":{secs},\"full_speed\":{{\"deliveries_per_s\":{full_rate:.0},\"p50_ms\":{f50:.3},\
             \"p99_ms\":{f99:.3},\"p999_ms\":{f999:.3}}},\"fixed_rate\":{{\"per_sender_per_s\":{rate},\
             \"deliveries_per_s\":{fixed_rate:.0},\"p50_ms\":{x50:.3},\"p99_ms\":{x99:.3},\"p999_ms\":{x999:.3}}},\
             \"delivered\":{total},\"errors\":{errors}}}\n",
        );
    }
    format!(
        "chat {target} — {members} members in {CHANNEL}, {senders} senders, {size}-byte messages, {secs:.1}s a phase\n\
         full speed:  {full_rate:>10.0} deliveries/s   latency p50 {f50:.3} ms  p99 {f99:.3} ms  p99.9 {f999:.3} ms\n\
         fixed rate:  {fixed_rate:>10.0} deliveries/s   latency p50 {x50:.3} ms  p99 {x99:.3} ms  p99.9 {x999:.3} ms   \
         ({rate} msg/s per sender)\n\
         delivered {total} in all, {errors} errors\n",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relayed_bench_messages_parse_back_to_sender_sequence_and_time() {
        let line = b":bench3!bench@127.0.0.1 PRIVMSG #bench :3 41 123456 xxxx";
        assert_eq!(parse_message(line), Some((3, 41, 123456)));
        assert_eq!(parse_message(b":srv 353 bench0 = #bench :bench0 bench1"), None);
        assert_eq!(parse_message(b":a!b@c PRIVMSG #bench :hello there you"), None);
    }
}
