//! `switchyard bench pubsub`: fan-out load on a Redis server's pub/sub.
//!
//! `--connections` M clients `SUBSCRIBE bench`; `--senders` S more
//! connections (default 1) `PUBLISH bench` messages, each of which the
//! server delivers to the M subscribers. As `bench chat`, the run has two
//! measured phases of `--duration` each:
//!
//! 1. *full speed*: each publisher keeps up to [`WINDOW`] messages in
//!    flight, a message counting as delivered once the last subscriber has
//!    it (one publisher's messages arrive in order, so that is a
//!    cumulative ack). This is a closed loop: it finds the server's speed
//!    without letting any queue grow without bound. It gives deliveries
//!    per second.
//! 2. *fixed rate*, once every member has caught up: each sender sends
//!    `--rate` (default 100) messages a second. It gives delivery latency, from the moment a message is
//!    queued on the sender's socket to the moment a member has read it
//!    whole, over every member.
//!
//! At the end nothing is sent for a moment, and every subscriber must have
//! received every message of every publisher, in order, and every
//! `PUBLISH` must have answered M: a message lost or reordered is an
//! error. One thread drives every socket with the engine's [`Poller`], so
//! the client costs one core at most.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use hdrhistogram::Histogram;
use switchyard_codec::resp::{self, Reply};
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
/// The channel every subscriber listens to.
const CHANNEL: &str = "bench";

/// One client connection.
struct Client {
    stream: TcpStream,
    input: Vec<u8>,
    output: Vec<u8>,
    /// Waiting for room to write.
    want_write: bool,
    /// Index among the publishers, if this client publishes.
    sender: Option<usize>,
    /// `PUBLISH` replies still to come (publishers).
    replies_due: u64,
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

/// Runs the pub/sub benchmark; returns the exit status (1 if anything was
/// lost, or a `PUBLISH` reached fewer subscribers than there are).
///
/// # Errors
///
/// The target cannot be reached, refuses to subscribe, or a socket fails.
pub fn run(args: &BenchArgs) -> anyhow::Result<i32> {
    let subscribers = args.connections as usize;
    let senders = args.senders.unwrap_or(1) as usize;
    let members = subscribers + senders;
    let size = (args.size as usize).clamp(32, 64 << 10);
    let clock = Instant::now();
    let _ = switchyard_engine::raise_fd_limit();
    let mut clients = Vec::with_capacity(members);
    for i in 0..members {
        let sender = i.checked_sub(subscribers);
        let (stream, input) =
            connect(args.target, sender.is_none()).with_context(|| format!("client {i} subscribing"))?;
        clients.push(Client {
            stream,
            input,
            output: Vec::new(),
            want_write: false,
            sender,
            replies_due: 0,
            next_from: vec![0; senders],
            received: 0,
        });
    }
    let listener = subscribers - 1;
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
                        c.replies_due += 1;
                        t.sent[s] += 1;
                    }
                }
                Phase::FixedRate => {
                    while due[s] <= now {
                        queue_message(&mut c.output, s, t.sent[s], clock, &pad);
                        c.replies_due += 1;
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
                if !read_all(c, clock, phase, is_listener, subscribers, &mut t)? {
                    bail!("the server closed client {token}");
                }
            }
        }
    }
    for (i, c) in clients.iter().enumerate() {
        if c.sender.is_some() {
            if c.replies_due > 0 {
                t.errors.push(format!("publisher {i} lacks {} PUBLISH replies", c.replies_due));
            }
            continue;
        }
        for (s, &n) in c.next_from.iter().enumerate() {
            if n != t.sent[s] {
                t.errors.push(format!("subscriber {i} got {n} of publisher {s}'s {} messages", t.sent[s]));
            }
        }
    }
    let total: u64 = clients.iter().map(|c| c.received).sum();
    print!("{}", report(args, subscribers, senders, size, &t, total));
    for e in t.errors.iter().take(5) {
        eprintln!("switchyard: {e}");
    }
    Ok(if t.errors.is_empty() { 0 } else { 1 })
}

/// The entry point of the request-response driver, which this benchmark
/// does not use: [`run`] drives its own clients.
pub fn build(_: &BenchArgs) -> Result<std::sync::Arc<dyn super::Protocol>, String> {
    Err("pubsub is a fan-out benchmark with its own driver".into())
}

/// Every subscriber has every message published so far.
fn caught_up(clients: &[Client], sent: &[u64]) -> bool {
    clients.iter().all(|c| c.sender.is_some() || c.next_from.iter().zip(sent).all(|(n, m)| n == m))
}

/// Connects a client; a subscriber sends `SUBSCRIBE bench` and waits for
/// its confirmation. Returns the stream and what arrived after that.
fn connect(target: SocketAddr, subscriber: bool) -> anyhow::Result<(TcpStream, Vec<u8>)> {
    let mut stream = TcpStream::connect(target)?;
    stream.set_nodelay(true)?;
    if !subscriber {
        return Ok((stream, Vec::new()));
    }
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut req = Vec::new();
    resp::command(&mut req, &[&b"SUBSCRIBE"[..], CHANNEL.as_bytes()]);
    stream.write_all(&req)?;
    let mut input = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match resp::parse_reply(&input) {
            Ok(Some((Reply::Array(Some(items)), n)))
                if items.first() == Some(&Reply::Bulk(Some(b"subscribe".to_vec()))) =>
            {
                input.drain(..n);
                break;
            }
            Ok(Some((other, _))) => bail!("the server refused: {other:?}"),
            Ok(None) => {}
            Err(e) => bail!("a malformed reply: {e}"),
        }
        let n = stream.read(&mut buf)?;
        if n == 0 {
            bail!("the server closed the connection while subscribing");
        }
        input.extend_from_slice(&buf[..n]);
    }
    stream.set_read_timeout(None)?;
    Ok((stream, input))
}

/// Appends `PUBLISH bench "<sender> <seq> <sent µs> <padding>"`.
fn queue_message(out: &mut Vec<u8>, sender: usize, seq: u64, clock: Instant, pad: &str) {
    let us = clock.elapsed().as_micros();
    let body = format!("{sender} {seq} {us} {pad}");
    resp::command(out, &[&b"PUBLISH"[..], CHANNEL.as_bytes(), body.as_bytes()]);
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

/// Reads and handles every whole reply; false at EOF.
fn read_all(
    c: &mut Client,
    clock: Instant,
    phase: Phase,
    is_listener: bool,
    subscribers: usize,
    t: &mut Tally,
) -> anyhow::Result<bool> {
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
    loop {
        let rest = &c.input[used..];
        if c.sender.is_some() {
            // A publisher reads the receiver counts of its PUBLISHes.
            let Some(end) = rest.windows(2).position(|w| w == b"\r\n") else { break };
            let line = &rest[..end];
            used += end + 2;
            c.replies_due = c.replies_due.saturating_sub(1);
            if line != format!(":{subscribers}").as_bytes() && t.errors.len() < 100 {
                t.errors.push(format!("PUBLISH answered {}, not :{subscribers}", line.escape_ascii()));
            }
            continue;
        }
        let Some((payload, n)) = parse_message(rest) else { break };
        used += n;
        let Some((s, seq, sent_us)) = parse_body(payload) else {
            t.errors.push(format!("not a bench message: {}", payload.escape_ascii()));
            continue;
        };
        if s >= c.next_from.len() {
            continue;
        }
        if seq != c.next_from[s] {
            t.errors.push(format!("out of order: expected {} from publisher {s}, got {seq}", c.next_from[s]));
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

/// The payload of the whole `message` push at the start of `b` (RESP2
/// `*3` or RESP3 `>3`), and the bytes it takes.
fn parse_message(b: &[u8]) -> Option<(&[u8], usize)> {
    let head = format!("3\r\n$7\r\nmessage\r\n${}\r\n{CHANNEL}\r\n$", CHANNEL.len());
    if b.len() < 1 + head.len() || !b[1..].starts_with(head.as_bytes()) {
        return None;
    }
    let at = 1 + head.len();
    let end = at + b[at..].windows(2).position(|w| w == b"\r\n")?;
    let len: usize = std::str::from_utf8(&b[at..end]).ok()?.parse().ok()?;
    let start = end + 2;
    (b.len() >= start + len + 2).then(|| (&b[start..start + len], start + len + 2))
}

/// `(publisher, seq, sent µs)` from `publisher seq us padding`.
fn parse_body(body: &[u8]) -> Option<(usize, u64, u64)> {
    let text = std::str::from_utf8(body).ok()?;
    let mut words = text.split(' ');
    Some((words.next()?.parse().ok()?, words.next()?.parse().ok()?, words.next()?.parse().ok()?))
}

fn report(args: &BenchArgs, subscribers: usize, senders: usize, size: usize, t: &Tally, total: u64) -> String {
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
            "{{\"service\":\"pubsub\",\"target\":\"{target}\",\"subscribers\":{subscribers},\"publishers\":{senders},\"size\":{size},\
             \"duration_s\":{secs},\"full_speed\":{{\"deliveries_per_s\":{full_rate:.0},\"p50_ms\":{f50:.3},\
             \"p99_ms\":{f99:.3},\"p999_ms\":{f999:.3}}},\"fixed_rate\":{{\"per_sender_per_s\":{rate},\
             \"deliveries_per_s\":{fixed_rate:.0},\"p50_ms\":{x50:.3},\"p99_ms\":{x99:.3},\"p999_ms\":{x999:.3}}},\
             \"delivered\":{total},\"errors\":{errors}}}\n",
        );
    }
    format!(
        "pubsub {target} — {subscribers} subscribers of {CHANNEL}, {senders} publishers, {size}-byte messages, {secs:.1}s a phase\n\
         full speed:  {full_rate:>10.0} deliveries/s   latency p50 {f50:.3} ms  p99 {f99:.3} ms  p99.9 {f999:.3} ms\n\
         fixed rate:  {fixed_rate:>10.0} deliveries/s   latency p50 {x50:.3} ms  p99 {x99:.3} ms  p99.9 {x999:.3} ms   \
         ({rate} msg/s per publisher)\n\
         delivered {total} in all, {errors} errors\n",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pushed_bench_messages_parse_back_to_publisher_sequence_and_time() {
        let mut wire = Vec::new();
        for head in [&b"*3\r\n"[..], b">3\r\n"] {
            wire.extend_from_slice(head);
            resp::bulk(&mut wire, b"message");
            resp::bulk(&mut wire, CHANNEL.as_bytes());
            resp::bulk(&mut wire, b"3 41 123456 xxxx");
        }
        let (payload, n) = parse_message(&wire).unwrap();
        assert_eq!(parse_body(payload), Some((3, 41, 123456)));
        assert_eq!(parse_message(&wire[n..]).map(|(p, m)| (p, n + m)), Some((&b"3 41 123456 xxxx"[..], wire.len())));
        assert_eq!(parse_message(&wire[..n - 1]), None, "not whole yet");
        assert_eq!(parse_body(b"hello there you"), None);
    }
}
