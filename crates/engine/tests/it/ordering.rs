//! Responses keep request order however the workers interleave.

use std::io::{BufRead, BufReader, Write};
use std::time::Duration;

use switchyard_engine::poller::Kind;
use switchyard_engine::{ConnInfo, Cx, Respond, Service};

use crate::support::*;

/// Answers each line `N` with `N`, after sleeping a pseudo-random 0–2 ms.
struct Jitter;

impl Service for Jitter {
    type State = u64;

    fn open(&self, conn: &ConnInfo) -> u64 {
        conn.id.as_u64() | 1
    }

    fn handle(&self, rng: &mut u64, cx: &mut Cx<'_>) {
        while let Some(end) = cx.input().iter().position(|&b| b == b'\n') {
            // xorshift64: deterministic per connection, different across them.
            *rng ^= *rng << 13;
            *rng ^= *rng >> 7;
            *rng ^= *rng << 17;
            std::thread::sleep(Duration::from_micros(*rng % 2001));
            let line = cx.input()[..=end].to_vec();
            cx.out().extend_from_slice(&line);
            cx.consume(end + 1);
        }
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
                    let all: String = (0..requests).map(|i| format!("{i}\n")).collect();
                    w.write_all(all.as_bytes()).unwrap();
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
    run(Kind::Poll, Respond::Loop, 50, 200);
    run(Kind::Poll, Respond::Direct, 50, 200);
}
