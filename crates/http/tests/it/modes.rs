//! One pipelined exchange — small files from the cache, a large file by
//! `sendfile`, HEAD, 404 — under every engine configuration.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use switchyard_codec::http::{parse_response_head, ResponseBody};
use switchyard_engine::poller::Kind;
use switchyard_engine::{Config, Respond, Server};
use switchyard_http::{Http, Options};

const LARGE_BYTES: usize = 3 << 20;

fn large_contents() -> Vec<u8> {
    (0..LARGE_BYTES).map(|i| (i % 251) as u8).collect()
}

/// Reads one response; returns its status and body.
fn read_response(s: &mut TcpStream, buf: &mut Vec<u8>, head_request: bool) -> (u16, Vec<u8>) {
    let mut chunk = [0; 64 << 10];
    loop {
        if let Some(head) = parse_response_head(buf, head_request).unwrap() {
            let len = match head.body {
                ResponseBody::None => 0,
                ResponseBody::Length(n) => n as usize,
                other => panic!("unexpected framing {other:?}"),
            };
            while buf.len() < head.head_len + len {
                let n = s.read(&mut chunk).unwrap();
                assert!(n > 0, "closed mid-body");
                buf.extend_from_slice(&chunk[..n]);
            }
            let body = buf[head.head_len..head.head_len + len].to_vec();
            buf.drain(..head.head_len + len);
            return (head.status, body);
        }
        let n = s.read(&mut chunk).unwrap();
        assert!(n > 0, "closed before a whole head");
        buf.extend_from_slice(&chunk[..n]);
    }
}

#[test]
fn pipelined_requests_are_answered_in_order_under_every_engine_mode() {
    let root = std::env::temp_dir().join(format!("switchyard-http-modes-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("small.txt"), b"small file\n").unwrap();
    let large = large_contents();
    std::fs::write(root.join("large.bin"), &large).unwrap();

    for poller in [Kind::Epoll, Kind::Poll] {
        for respond in [Respond::Loop, Respond::Direct] {
            for workers in [0, 2] {
                let mode = format!("{poller} {respond} workers={workers}");
                let config = Config {
                    listen: vec!["127.0.0.1:0".parse().unwrap()],
                    workers,
                    poller,
                    respond,
                    ..Config::default()
                };
                let http = Http::new(Options { root: root.clone(), autoindex: false, precompressed: true }).unwrap();
                let server = Server::bind(config, http).unwrap();
                let addr = server.local_addrs()[0];
                let control = server.control();
                let running = std::thread::spawn(move || server.run());

                let mut s = TcpStream::connect(addr).unwrap();
                s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                let mut batch = Vec::new();
                for path in ["/small.txt", "/large.bin", "/nope", "/small.txt"] {
                    write!(batch, "GET {path} HTTP/1.1\r\nHost: h\r\n\r\n").unwrap();
                }
                batch.extend_from_slice(b"HEAD /large.bin HTTP/1.1\r\nHost: h\r\n\r\n");
                s.write_all(&batch).unwrap();

                let mut buf = Vec::new();
                let got = read_response(&mut s, &mut buf, false);
                assert_eq!(got, (200, b"small file\n".to_vec()), "{mode}");
                let (status, body) = read_response(&mut s, &mut buf, false);
                assert_eq!(status, 200, "{mode}");
                assert!(body == large, "{mode}: the large file's bytes differ");
                assert_eq!(read_response(&mut s, &mut buf, false).0, 404, "{mode}");
                assert_eq!(read_response(&mut s, &mut buf, false).0, 200, "{mode}");
                assert_eq!(read_response(&mut s, &mut buf, true), (200, Vec::new()), "{mode}");

                drop(s);
                control.shutdown();
                let summary = running.join().unwrap().unwrap();
                assert_eq!(summary.forced, 0, "{mode}");
            }
        }
    }
    std::fs::remove_dir_all(&root).unwrap();
}
