//! HTTP load: `GET --path` over keep-alive connections.
//!
//! A right response has status 200, keeps the connection alive, and has a
//! whole body: `Content-Length` bytes (the same length in every response
//! of the run, learnt from the first one), or a complete chunked body.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use switchyard_codec::http::{parse_response_head, ChunkedBody, ResponseBody};

use super::{BenchArgs, Protocol};

/// Most bytes a chunked body may take before it counts as broken.
const CHUNKED_LIMIT_BYTES: u64 = 1 << 30;

/// Body length not learnt yet.
const UNKNOWN: u64 = u64::MAX;

/// GET requests for one path.
pub struct Http {
    /// The whole request, the same every time.
    request: Vec<u8>,
    /// The body length of the first response; every other must match it.
    body_len: AtomicU64,
}

/// Builds the http protocol from the flags.
pub fn build(args: &BenchArgs) -> Result<Arc<dyn Protocol>, String> {
    let path = &args.path;
    if !path.starts_with('/') || path.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return Err(format!("--path {path:?} must start with / and hold no spaces or control characters"));
    }
    let request = format!("GET {path} HTTP/1.1\r\nHost: {}\r\n\r\n", args.target).into_bytes();
    Ok(Arc::new(Http { request, body_len: AtomicU64::new(UNKNOWN) }))
}

impl Http {
    /// Checks a body length against the run's first one.
    fn check_body_len(&self, len: u64) -> Result<(), String> {
        match self.body_len.compare_exchange(UNKNOWN, len, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => Ok(()),
            Err(first) if first == len => Ok(()),
            Err(first) => Err(format!("a body of {len} bytes, where the first response had {first}")),
        }
    }
}

impl Protocol for Http {
    fn write_request(&self, _conn: usize, _seq: u64, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.request);
    }

    fn check_response(&self, _conn: usize, seq: u64, input: &[u8]) -> Result<Option<usize>, String> {
        let head = match parse_response_head(input, false) {
            Ok(Some(head)) => head,
            Ok(None) => return Ok(None),
            Err(e) => return Err(format!("response {seq} is not HTTP/1.1: {e:?}")),
        };
        if head.status != 200 {
            return Err(format!("response {seq} has status {}", head.status));
        }
        if !head.keep_alive {
            return Err(format!("response {seq} closes the connection"));
        }
        let body = &input[head.head_len..];
        let body_len = match head.body {
            ResponseBody::Length(n) => {
                if (body.len() as u64) < n {
                    return Ok(None);
                }
                n as usize
            }
            ResponseBody::Chunked => {
                let mut chunked = ChunkedBody::new(CHUNKED_LIMIT_BYTES);
                let n = chunked.advance(body).map_err(|e| format!("response {seq}: broken chunked body: {e:?}"))?;
                if !chunked.is_done() {
                    return Ok(None);
                }
                return Ok(Some(head.head_len + n));
            }
            ResponseBody::None => 0,
            ResponseBody::UntilClose => return Err(format!("response {seq} has a body that runs until close")),
        };
        self.check_body_len(body_len as u64).map_err(|why| format!("response {seq}: {why}"))?;
        Ok(Some(head.head_len + body_len))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http() -> Http {
        Http { request: b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(), body_len: AtomicU64::new(UNKNOWN) }
    }

    const OK: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";

    #[test]
    fn a_200_with_its_whole_body_is_complete_and_the_next_response_is_left_alone() {
        let h = http();
        let two = [OK, OK].concat();
        assert_eq!(h.check_response(0, 0, &two), Ok(Some(OK.len())));
        assert_eq!(h.check_response(0, 1, &two[OK.len()..]), Ok(Some(OK.len())));
    }

    #[test]
    fn a_head_or_body_not_whole_yet_is_incomplete() {
        let h = http();
        assert_eq!(h.check_response(0, 0, &OK[..20]), Ok(None));
        assert_eq!(h.check_response(0, 0, &OK[..OK.len() - 1]), Ok(None));
    }

    #[test]
    fn another_status_a_closing_response_or_another_length_is_an_error() {
        let h = http();
        let err = h.check_response(0, 3, b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n").unwrap_err();
        assert!(err.contains("status 404"), "{err}");
        let err = h.check_response(0, 0, b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
        assert!(err.unwrap_err().contains("closes"));
        assert_eq!(h.check_response(0, 0, OK), Ok(Some(OK.len())));
        let err = h.check_response(0, 1, b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nhell").unwrap_err();
        assert!(err.contains("a body of 4 bytes, where the first response had 5"), "{err}");
        assert!(h.check_response(0, 0, b"SSH-2.0-OpenSSH\r\n\r\n").is_err());
    }

    #[test]
    fn a_chunked_body_completes_at_its_last_chunk() {
        let h = http();
        let resp = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
        assert_eq!(h.check_response(0, 0, resp), Ok(Some(resp.len())));
        assert_eq!(h.check_response(0, 0, &resp[..resp.len() - 2]), Ok(None));
    }

    #[test]
    fn the_request_names_the_path_and_the_host() {
        use clap::Parser;
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            bench: BenchArgs,
        }
        let parse = |path: &str| {
            let cli = Cli::try_parse_from(["b", "http", "--target", "127.0.0.1:8080", "--path", path]).unwrap();
            build(&cli.bench)
        };
        let mut out = Vec::new();
        parse("/index.html").unwrap().write_request(0, 0, &mut out);
        assert_eq!(out, b"GET /index.html HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n");
        assert!(parse("index.html").is_err());
        assert!(parse("/a b").is_err());
    }
}
