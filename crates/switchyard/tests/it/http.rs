//! `switchyard serve http` end to end: a real HTTP client (`ureq`) for the
//! ordinary paths, raw sockets for bad input, pipelining, slow clients and
//! shutdown.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use switchyard_codec::http::{parse_response_head, ResponseBody};

use crate::support::*;

/// A served folder (`root/`), with a folder beside it (`outside/`) that
/// links inside the root point to; both removed when dropped.
struct Site {
    dir: PathBuf,
}

impl Site {
    fn new() -> Site {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let base = std::env::temp_dir().join(format!("switchyard-it-http-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let dir = base.join("root");
        let outside = base.join("outside");
        std::fs::create_dir_all(dir.join("docs")).unwrap();
        std::fs::create_dir_all(dir.join("empty")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(dir.join("hello.txt"), b"hello, world\n").unwrap();
        std::fs::write(dir.join("index.html"), b"<h1>home</h1>\n").unwrap();
        std::fs::write(dir.join("docs/index.html"), b"<h1>docs</h1>\n").unwrap();
        std::fs::write(dir.join("big.bin"), big_contents()).unwrap();
        for name in [
            "style.css",
            "app.js",
            "data.json",
            "logo.png",
            "photo.jpg",
            "page.htm",
            "blob.qqq",
            "mod.wasm",
            "table.csv",
            "notes.md",
            "feed.xml",
        ] {
            std::fs::write(dir.join(name), name.as_bytes()).unwrap();
        }
        std::fs::write(outside.join("secret.txt"), b"do not serve\n").unwrap();
        std::os::unix::fs::symlink(outside.join("secret.txt"), dir.join("leak.txt")).unwrap();
        std::os::unix::fs::symlink(&outside, dir.join("leakdir")).unwrap();
        std::os::unix::fs::symlink(dir.join("hello.txt"), dir.join("alias.txt")).unwrap();
        let fifo = std::ffi::CString::new(dir.join("pipe").into_os_string().into_encoded_bytes()).unwrap();
        // SAFETY: mkfifo(3) with a NUL-terminated path that outlives the call.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
        Site { dir }
    }

    fn root(&self) -> &str {
        self.dir.to_str().unwrap()
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(self.dir.parent().unwrap());
    }
}

const BIG_BYTES: usize = 8 << 20;

/// Deterministic bytes that no off-by-one or reordering survives.
fn big_contents() -> Vec<u8> {
    let mut x: u32 = 0x9e37_79b9;
    (0..BIG_BYTES)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

fn serve(site: &Site, extra: &[&str]) -> Server {
    let mut args = vec!["serve", "http", "--listen", "127.0.0.1:0", "--root", site.root()];
    args.extend_from_slice(extra);
    Server::start(&args, 1)
}

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new().timeout(Duration::from_secs(10)).redirects(0).build()
}

fn url(server: &Server, path: &str) -> String {
    format!("http://{}{path}", server.addr())
}

/// Any status, as a response (ureq reports 4xx and 5xx as errors).
fn call(req: ureq::Request) -> ureq::Response {
    match req.call() {
        Ok(resp) => resp,
        Err(ureq::Error::Status(_, resp)) => resp,
        Err(e) => panic!("request failed: {e}"),
    }
}

fn body(resp: ureq::Response) -> Vec<u8> {
    let mut v = Vec::new();
    resp.into_reader().read_to_end(&mut v).unwrap();
    v
}

/// One response read off a raw socket.
#[derive(Debug)]
struct Raw {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    fn closes(&self) -> bool {
        self.header("Connection").is_some_and(|v| v.eq_ignore_ascii_case("close"))
    }
}

/// Reads one whole response from `s`, keeping any bytes past it in `buf`.
#[track_caller]
fn read_response(s: &mut TcpStream, buf: &mut Vec<u8>, head_request: bool) -> Raw {
    loop {
        if let Some(head) = parse_response_head(buf, head_request).unwrap() {
            let len = match head.body {
                ResponseBody::None => 0,
                ResponseBody::Length(n) => n as usize,
                other => panic!("unexpected body framing {other:?}"),
            };
            while buf.len() < head.head_len + len {
                fill(s, buf);
            }
            let raw = Raw {
                status: head.status,
                head: String::from_utf8(buf[..head.head_len].to_vec()).unwrap(),
                body: buf[head.head_len..head.head_len + len].to_vec(),
            };
            buf.drain(..head.head_len + len);
            return raw;
        }
        fill(s, buf);
    }
}

#[track_caller]
fn fill(s: &mut TcpStream, buf: &mut Vec<u8>) {
    let mut chunk = [0; 64 << 10];
    let n = s.read(&mut chunk).expect("read within the timeout");
    assert!(n > 0, "connection closed; have {:?}", String::from_utf8_lossy(buf));
    buf.extend_from_slice(&chunk[..n]);
}

/// Asserts the server closes the connection next.
#[track_caller]
fn assert_eof(s: &mut TcpStream, buf: &[u8]) {
    assert!(buf.is_empty(), "bytes after the last response: {:?}", String::from_utf8_lossy(buf));
    let mut rest = Vec::new();
    match s.read_to_end(&mut rest) {
        Ok(_) => assert!(rest.is_empty(), "bytes before EOF: {:?}", String::from_utf8_lossy(&rest)),
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}"),
    }
}

/// Sends `request` on a new connection and reads one response.
#[track_caller]
fn exchange(addr: SocketAddr, request: &[u8]) -> (Raw, TcpStream, Vec<u8>) {
    let mut s = connect(addr);
    s.write_all(request).unwrap();
    let mut buf = Vec::new();
    let head = request.starts_with(b"HEAD ");
    let resp = read_response(&mut s, &mut buf, head);
    (resp, s, buf)
}

// ----- through a real HTTP client ------------------------------------------

#[test]
fn get_serves_a_file_with_its_metadata() {
    let site = Site::new();
    let server = serve(&site, &[]);
    let resp = call(agent().get(&url(&server, "/hello.txt")));
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.header("Content-Type"), Some("text/plain; charset=utf-8"));
    assert_eq!(resp.header("Content-Length"), Some("13"));
    assert_eq!(resp.header("Server"), Some("switchyard"));
    assert_eq!(resp.header("Accept-Ranges"), Some("bytes"));
    let etag = resp.header("ETag").unwrap().to_string();
    assert!(etag.starts_with('"') && etag.ends_with('"') && !etag.starts_with("W/"), "{etag}");
    let modified = resp.header("Last-Modified").unwrap();
    assert!(modified.ends_with(" GMT") && modified.len() == 29, "{modified}");
    assert!(resp.header("Date").is_some());
    assert_eq!(body(resp), b"hello, world\n");
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn head_sends_the_headers_of_a_get_without_the_body() {
    let site = Site::new();
    let server = serve(&site, &[]);
    let get = call(agent().get(&url(&server, "/big.bin")));
    let head = call(agent().head(&url(&server, "/big.bin")));
    assert_eq!(head.status(), 200);
    for name in ["Content-Length", "Content-Type", "ETag", "Last-Modified"] {
        assert_eq!(head.header(name), get.header(name), "{name}");
    }
    assert_eq!(head.header("Content-Length"), Some(BIG_BYTES.to_string().as_str()));
    assert!(body(head).is_empty());
    assert_eq!(body(get).len(), BIG_BYTES);
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn a_current_etag_or_date_gets_304_and_a_stale_one_the_file() {
    let site = Site::new();
    let server = serve(&site, &[]);
    let a = agent();
    let first = call(a.get(&url(&server, "/hello.txt")));
    let etag = first.header("ETag").unwrap().to_string();
    let modified = first.header("Last-Modified").unwrap().to_string();
    drop(body(first));

    let cases: Vec<(&str, String, u16)> = vec![
        ("If-None-Match", etag.clone(), 304),
        ("If-None-Match", format!("\"other\", W/{etag}"), 304),
        ("If-None-Match", "*".into(), 304),
        ("If-None-Match", "\"other\"".into(), 200),
        ("If-Modified-Since", modified.clone(), 304),
        ("If-Modified-Since", "Thu, 01 Jan 1970 00:00:00 GMT".into(), 200),
        ("If-Modified-Since", "not a date".into(), 200),
    ];
    for (name, value, want) in cases {
        let resp = call(a.get(&url(&server, "/hello.txt")).set(name, &value));
        assert_eq!(resp.status(), want, "{name}: {value}");
        if want == 304 {
            assert_eq!(resp.header("ETag"), Some(etag.as_str()));
            assert!(body(resp).is_empty());
        } else {
            assert_eq!(body(resp), b"hello, world\n");
        }
    }
    // If-None-Match wins over a date that would match.
    let resp =
        call(a.get(&url(&server, "/hello.txt")).set("If-None-Match", "\"x\"").set("If-Modified-Since", &modified));
    assert_eq!(resp.status(), 200);
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn a_byte_range_gets_206_and_an_unsatisfiable_one_416() {
    let site = Site::new();
    let server = serve(&site, &[]);
    let a = agent();
    let big = big_contents();
    let cases: &[(&str, &str, u16, std::ops::Range<usize>)] = &[
        ("/hello.txt", "bytes=0-4", 206, 0..5),
        ("/hello.txt", "bytes=7-", 206, 7..13),
        ("/hello.txt", "bytes=-6", 206, 7..13),
        ("/hello.txt", "bytes=10-1000", 206, 10..13),
        ("/big.bin", "bytes=1000000-3000000", 206, 1_000_000..3_000_001),
        ("/big.bin", "bytes=-1", 206, BIG_BYTES - 1..BIG_BYTES),
        ("/hello.txt", "bytes=0-1,40-50", 206, 0..2),
        ("/hello.txt", "bytes=0-6,4-12", 200, 0..13),
        ("/hello.txt", "lines=1-2", 200, 0..13),
    ];
    for (path, range, want, span) in cases {
        let resp = call(a.get(&url(&server, path)).set("Range", range));
        assert_eq!(resp.status(), *want, "{path} {range}");
        let total = if *path == "/big.bin" { BIG_BYTES } else { 13 };
        if *want == 206 {
            let expect = format!("bytes {}-{}/{total}", span.start, span.end - 1);
            assert_eq!(resp.header("Content-Range"), Some(expect.as_str()));
        }
        let got = body(resp);
        let file: &[u8] = if *path == "/big.bin" { &big } else { b"hello, world\n" };
        assert!(got == file[span.clone()], "{path} {range}: wrong bytes");
    }
    for range in ["bytes=13-", "bytes=100-200", "bytes=-0"] {
        let resp = call(a.get(&url(&server, "/hello.txt")).set("Range", range));
        assert_eq!(resp.status(), 416, "{range}");
        assert_eq!(resp.header("Content-Range"), Some("bytes */13"));
    }
    // A stale If-Range turns the range into the whole file.
    let etag = call(a.get(&url(&server, "/hello.txt"))).header("ETag").unwrap().to_string();
    let resp = call(a.get(&url(&server, "/hello.txt")).set("Range", "bytes=0-4").set("If-Range", &etag));
    assert_eq!(resp.status(), 206);
    let resp = call(a.get(&url(&server, "/hello.txt")).set("Range", "bytes=0-4").set("If-Range", "\"stale\""));
    assert_eq!(resp.status(), 200);
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn several_ranges_get_a_multipart_206_laid_out_as_nginx_does() {
    let site = Site::new();
    let server = serve(&site, &[]);
    let (resp, _, _) = exchange(server.addr(), b"GET /hello.txt HTTP/1.1\r\nHost: h\r\nRange: bytes=0-1,5-6\r\n\r\n");
    assert_eq!(resp.status, 206);
    let ct = resp.header("Content-Type").unwrap();
    let boundary = ct.strip_prefix("multipart/byteranges; boundary=").unwrap_or_else(|| panic!("{ct}"));
    assert!(resp.header("ETag").is_some() && resp.header("Last-Modified").is_some(), "{}", resp.head);
    assert!(resp.header("Content-Range").is_none(), "{}", resp.head);
    let want = format!(
        "\r\n--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Range: bytes 0-1/13\r\n\r\nhe\
         \r\n--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Range: bytes 5-6/13\r\n\r\n, \
         \r\n--{boundary}--\r\n"
    );
    assert_eq!(String::from_utf8(resp.body).unwrap(), want);

    // A large file's parts go out as file ranges, byte for byte; curl
    // asks with -r and gets the parts.
    let big = big_contents();
    let out = std::process::Command::new("curl")
        .args(["-s", "--max-time", "20", "-D", "-", "-r", "100-199,5000000-5000099,-50"])
        .arg(url(&server, "/big.bin"))
        .output()
        .expect("curl runs");
    let text = out.stdout;
    let head_end = text.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let head = String::from_utf8_lossy(&text[..head_end]).to_string();
    assert!(head.starts_with("HTTP/1.1 206"), "{head}");
    let body = &text[head_end..];
    let mut parts = Vec::new();
    for (start, len) in [(100usize, 100usize), (5_000_000, 100), (BIG_BYTES - 50, 50)] {
        let label = format!("Content-Range: bytes {start}-{}/{BIG_BYTES}\r\n\r\n", start + len - 1);
        let at = body.windows(label.len()).position(|w| w == label.as_bytes()).unwrap_or_else(|| panic!("{label}"));
        parts.push(&body[at + label.len()..at + label.len() + len]);
        assert!(parts.last().unwrap() == &&big[start..start + len], "bytes of {label}");
    }
    let declared: usize =
        head.lines().find_map(|l| l.strip_prefix("Content-Length: ")).and_then(|v| v.trim().parse().ok()).unwrap();
    assert_eq!(declared, body.len(), "Content-Length covers the whole multipart body");

    // A flood of ranges costs no more than the file: the whole file, 200,
    // and the limit counted.
    let many: Vec<String> = (0..65).map(|i| format!("{i}-{i}")).collect();
    let flood = format!("GET /hello.txt HTTP/1.1\r\nHost: h\r\nRange: bytes={}\r\n\r\n", many.join(","));
    let (resp, _, _) = exchange(server.addr(), flood.as_bytes());
    assert_eq!((resp.status, resp.body.as_slice()), (200, &b"hello, world\n"[..]));
    let overlapping = b"GET /hello.txt HTTP/1.1\r\nHost: h\r\nRange: bytes=0-12,0-12\r\n\r\n";
    let (resp, _, _) = exchange(server.addr(), overlapping);
    assert_eq!((resp.status, resp.body.len()), (200, 13));
    let metrics = body_of(call(agent().get(&url(&server, "/metrics"))));
    assert!(metrics.contains("switchyard_http_limit_hits_total{limit=\"max_ranges\"} 1\n"), "{metrics}");
    assert_eq!(server.stop().code(), Some(0));
}

fn body_of(resp: ureq::Response) -> String {
    String::from_utf8(body(resp)).unwrap()
}

#[test]
fn one_client_reuses_one_connection_for_many_requests() {
    let site = Site::new();
    let server = serve(&site, &[]);
    let a = agent();
    for path in ["/hello.txt", "/style.css", "/nope", "/big.bin", "/hello.txt"] {
        let resp = call(a.get(&url(&server, path)));
        drop(body(resp));
    }
    let text = a.get(&url(&server, "/metrics")).call().unwrap().into_string().unwrap();
    let accepted = text
        .lines()
        .find_map(|l| l.strip_prefix("switchyard_connections_accepted_total "))
        .unwrap_or_else(|| panic!("no accepted count in\n{text}"));
    assert_eq!(accepted, "1", "every request, /metrics included, on one connection");
    assert!(text.contains("switchyard_http_responses_total{status=\"404\"} 1\n"), "{text}");
    assert!(text.contains("switchyard_http_responses_total{status=\"200\"} 4\n"), "{text}");
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn content_types_follow_the_extension() {
    let site = Site::new();
    let server = serve(&site, &[]);
    let a = agent();
    for (path, want) in [
        ("/index.html", "text/html; charset=utf-8"),
        ("/page.htm", "text/html; charset=utf-8"),
        ("/style.css", "text/css; charset=utf-8"),
        ("/app.js", "text/javascript; charset=utf-8"),
        ("/table.csv", "text/csv; charset=utf-8"),
        ("/notes.md", "text/markdown; charset=utf-8"),
        ("/feed.xml", "text/xml; charset=utf-8"),
        ("/data.json", "application/json"),
        ("/logo.png", "image/png"),
        ("/photo.jpg", "image/jpeg"),
        ("/mod.wasm", "application/wasm"),
        ("/blob.qqq", "application/octet-stream"),
        ("/big.bin", "application/octet-stream"),
    ] {
        let resp = call(a.get(&url(&server, path)));
        assert_eq!(resp.status(), 200, "{path}");
        assert_eq!(resp.header("Content-Type"), Some(want), "{path}");
        drop(body(resp));
    }
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn a_large_file_arrives_byte_for_byte() {
    let site = Site::new();
    let server = serve(&site, &[]);
    let a = agent();
    let want = big_contents();
    for _ in 0..2 {
        let got = body(call(a.get(&url(&server, "/big.bin"))));
        assert_eq!(got.len(), want.len());
        assert!(got == want, "the bytes differ");
    }
    assert_eq!(server.stop().code(), Some(0));
}

/// The server's resident memory, from /proc.
#[test]
fn a_1_gib_download_costs_little_memory_and_stalls_no_one() {
    const GIB: u64 = 1 << 30;
    let site = Site::new();
    // Sparse: no disk space, and the page cache serves zeros.
    std::fs::File::create(site.dir.join("huge.bin")).unwrap().set_len(GIB).unwrap();
    let server = serve(&site, &[]);
    let before = server.memory("VmRSS");
    let mut s = connect(server.addr());
    s.write_all(b"GET /huge.bin HTTP/1.1\r\nHost: h\r\n\r\n").unwrap();
    let mut buf = Vec::new();
    fill(&mut s, &mut buf);
    let head = parse_response_head(&buf, false).unwrap().expect("a whole head in the first read");
    assert_eq!((head.status, head.body), (200, ResponseBody::Length(GIB)));

    // While the download sits unread, another client is served.
    let (other, ..) = exchange(server.addr(), b"GET /hello.txt HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_eq!((other.status, &other.body[..]), (200, &b"hello, world\n"[..]));

    let mut got = (buf.len() - head.head_len) as u64;
    let mut chunk = vec![0; 1 << 20];
    let mut peak = 0;
    while got < GIB {
        let n = s.read(&mut chunk).unwrap();
        assert!(n > 0, "closed after {got} bytes");
        assert!(chunk[0] == 0 && chunk[n - 1] == 0, "a sparse file reads as zeros");
        got += n as u64;
        if got % (128 << 20) < n as u64 {
            peak = peak.max(server.memory("VmRSS"));
        }
    }
    assert_eq!(got, GIB);
    let grew = peak.saturating_sub(before);
    assert!(grew < 32 << 20, "the server grew by {} MiB while sending 1 GiB", grew >> 20);
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn folders_redirect_then_serve_their_index_or_a_listing_when_asked() {
    let site = Site::new();
    let server = serve(&site, &[]);
    let a = agent();
    let resp = call(a.get(&url(&server, "/docs?x=1")));
    assert_eq!(resp.status(), 301);
    assert_eq!(resp.header("Location"), Some("/docs/"));
    assert_eq!(body(call(a.get(&url(&server, "/")))), b"<h1>home</h1>\n");
    assert_eq!(body(call(a.get(&url(&server, "/docs/")))), b"<h1>docs</h1>\n");
    assert_eq!(call(a.get(&url(&server, "/empty/"))).status(), 403, "no listing without --autoindex");
    assert_eq!(call(a.get(&url(&server, "/hello.txt/"))).status(), 404);
    assert_eq!(body(call(a.get(&url(&server, "/alias.txt")))), b"hello, world\n", "a link inside the root");
    assert_eq!(server.stop().code(), Some(0));

    let server = serve(&site, &["--autoindex"]);
    let resp = call(a.get(&url(&server, "/empty/")));
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.header("Content-Type"), Some("text/html; charset=utf-8"));
    assert!(String::from_utf8(body(resp)).unwrap().contains("Index of /empty/"));
    std::fs::write(site.dir.join("empty/a b.txt"), b"x").unwrap();
    let listing = String::from_utf8(body(call(a.get(&url(&server, "/empty/"))))).unwrap();
    assert!(listing.contains("<a href=\"a%20b.txt\">a b.txt</a>"), "{listing}");
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn healthz_answers_ok() {
    let site = Site::new();
    let server = serve(&site, &[]);
    assert_eq!(agent().get(&url(&server, "/healthz")).call().unwrap().into_string().unwrap(), "ok\n");
    assert_eq!(server.stop().code(), Some(0));
}

// ----- raw sockets: bad input, each with its exact status -------------------

#[test]
fn every_malformed_request_gets_its_status_then_a_close() {
    let site = Site::new();
    let server = serve(&site, &[]);
    let long_target = format!("GET /{} HTTP/1.1\r\nHost: h\r\n\r\n", "a".repeat(9 << 10));
    let long_headers =
        format!("GET / HTTP/1.1\r\nHost: h\r\n{}\r\n", "X-Filler: aaaaaaaaaaaaaaaaaaaaaaaa\r\n".repeat(700));
    let cases: Vec<(&str, &[u8], u16)> = vec![
        ("no version", b"GET /\r\n\r\n", 400),
        ("bad method", b"G@T / HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("bad version", b"GET / HTTQ/1.1\r\nHost: h\r\n\r\n", 400),
        ("HTTP/2.0", b"GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505),
        ("bare LF", b"GET / HTTP/1.1\nHost: h\n\n\r\n\r\n", 400),
        ("request line too long", long_target.as_bytes(), 414),
        ("headers too large", long_headers.as_bytes(), 431),
        ("body too large", b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2097152\r\n\r\n", 413),
        ("unknown transfer-encoding", b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", 400),
        (
            "content-length and transfer-encoding",
            b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            400,
        ),
        (
            "conflicting content-lengths",
            b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
            400,
        ),
        ("missing host", b"GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", 400),
        ("two hosts", b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        ("host with a space", b"GET / HTTP/1.1\r\nHost: bad host\r\n\r\n", 400),
        ("host with spaces", b"GET / HTTP/1.1\r\nHost: a b c\r\n\r\n", 400),
        ("host with a slash", b"GET / HTTP/1.1\r\nHost: x/y\r\n\r\n", 400),
        ("host with an empty label", b"GET / HTTP/1.1\r\nHost: a..b\r\n\r\n", 400),
        ("empty host", b"GET / HTTP/1.1\r\nHost:\r\n\r\n", 400),
        ("port without a host", b"GET / HTTP/1.1\r\nHost: :80\r\n\r\n", 400),
        ("space before colon", b"GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400),
        ("control character", b"GET / HTTP/1.1\r\nHost: h\r\nX-A: a\x01b\r\n\r\n", 400),
        ("obsolete folding", b"GET / HTTP/1.1\r\nHost: h\r\nX-A: a\r\n b\r\n\r\n", 400),
        ("control in target", b"GET /a\x7fb HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        // A chunked body's size shows only as it arrives: the response
        // waits for its end, so an oversized or broken one is still refused.
        (
            "chunked body too large",
            b"GET /hello.txt HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n200000\r\n",
            413,
        ),
        (
            "malformed chunk size",
            b"GET /hello.txt HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            400,
        ),
    ];
    for (what, request, want) in cases {
        let (resp, mut s, buf) = exchange(server.addr(), request);
        assert_eq!(resp.status, want, "{what}");
        assert!(resp.closes(), "{what}: no Connection: close in\n{}", resp.head);
        assert_eof(&mut s, &buf);
    }
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn curl_with_an_invalid_host_gets_400_and_with_a_valid_one_the_file() {
    let site = Site::new();
    let server = serve(&site, &[]);
    let url = url(&server, "/hello.txt");
    let status = |host: &str| {
        let out = std::process::Command::new("curl")
            .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", "-H"])
            .arg(format!("Host: {host}"))
            .arg(&url)
            .output()
            .expect("curl runs");
        String::from_utf8(out.stdout).unwrap()
    };
    for host in ["bad host", "a b c", "x/y"] {
        assert_eq!(status(host), "400", "{host}");
    }
    for host in ["example.com", "example.com.:8080", "[::1]:80"] {
        assert_eq!(status(host), "200", "{host}");
    }
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn paths_that_leave_the_root_are_refused_and_the_connection_kept() {
    let site = Site::new();
    let server = serve(&site, &[]);
    let cases: &[(&str, u16)] = &[
        ("/../outside/secret.txt", 400),
        ("/docs/../../outside/secret.txt", 400),
        ("/%2e%2e/outside/secret.txt", 400),
        ("/%2E%2E%2Foutside%2Fsecret.txt", 400),
        ("/docs/%2e%2e/hello.txt", 400),
        ("/hello.txt%00.html", 400),
        ("/bad%zzescape", 400),
        ("/leak.txt", 404),
        ("/leakdir/secret.txt", 404),
        ("/pipe", 403),
        ("/no/such/file", 404),
        ("/hello.txt", 200),
    ];
    let mut s = connect(server.addr());
    let mut buf = Vec::new();
    for (path, want) in cases {
        write!(s, "GET {path} HTTP/1.1\r\nHost: h\r\n\r\n").unwrap();
        let resp = read_response(&mut s, &mut buf, false);
        assert_eq!(resp.status, *want, "{path}");
        assert!(!resp.closes(), "{path}");
        assert!(!resp.body.windows(6).any(|w| w == b"do not"), "{path} leaked the file outside the root");
    }
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn a_file_without_read_permission_is_forbidden() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let site = Site::new();
    let path = site.dir.join("locked.txt");
    std::fs::write(&path, b"locked").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_switchyard"));
    cmd.args(["serve", "http", "--listen", "127.0.0.1:0", "--root", site.root()]);
    // SAFETY: geteuid(2) has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        // Root reads any file: serve as `nobody`, for whom it is locked.
        // SAFETY: setgroups, setgid and setuid are async-signal-safe and
        // touch only the child.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setgroups(0, std::ptr::null()) != 0 || libc::setgid(65534) != 0 || libc::setuid(65534) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    let server = Server::start_with(&mut cmd, 1);
    let (resp, ..) = exchange(server.addr(), b"GET /locked.txt HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_eq!(resp.status, 403);
    let (resp, ..) = exchange(server.addr(), b"GET /hello.txt HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_eq!(resp.status, 200, "the other files stay readable");
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn other_methods_get_405_and_their_bodies_are_skipped() {
    let site = Site::new();
    let server = serve(&site, &[]);
    let mut s = connect(server.addr());
    let mut buf = Vec::new();
    s.write_all(b"POST /hello.txt HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello there").unwrap();
    let resp = read_response(&mut s, &mut buf, false);
    assert_eq!(resp.status, 405);
    assert_eq!(resp.header("Allow"), Some("GET, HEAD"));
    assert!(!resp.closes());
    s.write_all(b"PUT /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nGET /\r\n0\r\n\r\n").unwrap();
    assert_eq!(read_response(&mut s, &mut buf, false).status, 405);
    // A GET with a body, sent in two writes: the body never reads as a request.
    s.write_all(b"GET /hello.txt HTTP/1.1\r\nHost: h\r\nContent-Length: 31\r\n\r\nGET /nope HTT").unwrap();
    let resp = read_response(&mut s, &mut buf, false);
    assert_eq!((resp.status, &resp.body[..]), (200, &b"hello, world\n"[..]));
    s.write_all(b"P/1.1\r\nHost: h\r\n\r\nGET /hello.txt HTTP/1.1\r\nHost: h\r\n\r\n").unwrap();
    assert_eq!(read_response(&mut s, &mut buf, false).status, 200);
    assert!(buf.is_empty());
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn http_1_0_closes_unless_asked_to_keep_alive() {
    let site = Site::new();
    let server = serve(&site, &[]);
    let (resp, mut s, buf) = exchange(server.addr(), b"GET /hello.txt HTTP/1.0\r\n\r\n");
    assert_eq!(resp.status, 200);
    assert!(resp.closes());
    assert_eof(&mut s, &buf);

    let (resp, mut s, mut buf) = exchange(server.addr(), b"GET /hello.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    assert_eq!(resp.header("Connection"), Some("keep-alive"));
    s.write_all(b"GET /hello.txt HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n").unwrap();
    let resp = read_response(&mut s, &mut buf, false);
    assert_eq!(resp.status, 200);
    assert!(resp.closes());
    assert_eof(&mut s, &buf);
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn too_many_connections_get_503_with_connection_close() {
    let site = Site::new();
    let server = serve(&site, &["--max-connections", "1"]);
    let (first, held, _) = exchange(server.addr(), b"GET /hello.txt HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_eq!(first.status, 200);
    let mut s = connect(server.addr());
    let mut buf = Vec::new();
    let resp = read_response(&mut s, &mut buf, false);
    assert_eq!(resp.status, 503);
    assert!(resp.closes());
    assert_eof(&mut s, &buf);
    drop(held);
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn a_request_that_does_not_arrive_whole_in_time_gets_408() {
    let site = Site::new();
    let server = serve(&site, &["--request-timeout", "300ms"]);
    let (resp, mut s, buf) = exchange(server.addr(), b"GET /hello.txt HTTP/1.1\r\nHost: h\r\n");
    assert_eq!(resp.status, 408);
    assert!(resp.closes());
    assert_eof(&mut s, &buf);
    // A body that stops arriving: its request is answered (the body is
    // skipped as it comes), then the deadline still runs out on it.
    let mut s = connect(server.addr());
    s.write_all(b"GET /hello.txt HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\nonly ten b").unwrap();
    let mut buf = Vec::new();
    assert_eq!(read_response(&mut s, &mut buf, false).status, 200);
    let resp = read_response(&mut s, &mut buf, false);
    assert_eq!(resp.status, 408);
    assert!(resp.closes());
    assert_eof(&mut s, &buf);
    // The same with a chunked body, answered only once it ends: 408 alone.
    let (resp, mut s, buf) =
        exchange(server.addr(), b"GET /hello.txt HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel");
    assert_eq!(resp.status, 408);
    assert_eof(&mut s, &buf);
    assert_eq!(server.stop().code(), Some(0));
}

// ----- raw sockets: order, chunking, shutdown -------------------------------

#[test]
fn pipelined_requests_are_answered_in_order() {
    let site = Site::new();
    let server = serve(&site, &[]);
    let requests: &[(&str, &str, u16, &[u8])] = &[
        ("GET", "/hello.txt", 200, b"hello, world\n"),
        ("HEAD", "/hello.txt", 200, b""),
        ("GET", "/missing", 404, b"404 Not Found\n"),
        ("GET", "/docs/", 200, b"<h1>docs</h1>\n"),
        ("HEAD", "/missing", 404, b""),
        ("GET", "/style.css", 200, b"style.css"),
        ("DELETE", "/hello.txt", 405, b"405 Method Not Allowed\n"),
        ("GET", "/", 200, b"<h1>home</h1>\n"),
    ];
    let mut batch = Vec::new();
    for _ in 0..20 {
        for (method, path, ..) in requests {
            write!(batch, "{method} {path} HTTP/1.1\r\nHost: h\r\n\r\n").unwrap();
        }
    }
    let mut s = connect(server.addr());
    s.write_all(&batch).unwrap();
    let mut buf = Vec::new();
    for round in 0..20 {
        for (method, path, status, body) in requests {
            let resp = read_response(&mut s, &mut buf, *method == "HEAD");
            assert_eq!((resp.status, &resp.body[..]), (*status, *body), "round {round}: {method} {path}");
        }
    }
    assert!(buf.is_empty());
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn a_flood_of_pipelined_requests_for_a_cached_file_is_answered_in_full() {
    // 2500 responses of 32 KiB: 80 MiB, past the engine's 64 MiB limit on
    // output held in memory, unless the service stops copying.
    let site = Site::new();
    let page = vec![b'p'; 32 << 10];
    std::fs::write(site.dir.join("page.bin"), &page).unwrap();
    let server = serve(&site, &[]);
    let mut s = connect(server.addr());
    let requests = b"GET /page.bin HTTP/1.1\r\nHost: h\r\n\r\n".repeat(2500);
    s.write_all(&requests).unwrap();
    let mut buf = Vec::new();
    for i in 0..2500 {
        let resp = read_response(&mut s, &mut buf, false);
        assert_eq!(resp.status, 200, "response {i}");
        assert!(resp.body == page, "response {i}: wrong bytes");
    }
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn a_flood_of_pipelined_requests_for_a_listing_costs_a_budget_of_memory_at_a_time() {
    // 500 listings of about 150 KiB: 75 MiB of responses made in memory.
    let site = Site::new();
    let many = site.dir.join("many");
    std::fs::create_dir(&many).unwrap();
    for i in 0..1000 {
        std::fs::write(many.join(format!("{i:04}-{}.txt", "n".repeat(60))), b"x").unwrap();
    }
    let server = serve(&site, &["--autoindex"]);
    let mut s = connect(server.addr());
    let requests = b"GET /many/ HTTP/1.1\r\nHost: h\r\n\r\n".repeat(500);
    s.write_all(&requests).unwrap();
    let mut buf = Vec::new();
    let first = read_response(&mut s, &mut buf, false);
    assert!(first.body.len() > 100 << 10, "a listing of {} bytes", first.body.len());
    for i in 1..500 {
        let resp = read_response(&mut s, &mut buf, false);
        assert_eq!(resp.status, 200, "response {i}");
        assert!(resp.body == first.body, "response {i}: another listing");
    }
    let peak = server.memory("VmHWM");
    assert!(peak < 48 << 20, "the server peaked at {} MiB", peak >> 20);
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn a_client_sending_one_byte_at_a_time_is_answered() {
    let site = Site::new();
    let server = serve(&site, &[]);
    let mut s = connect(server.addr());
    s.set_nodelay(true).unwrap();
    let request = b"GET /hello.txt HTTP/1.1\r\nHost: h\r\nRange: bytes=0-4\r\n\r\n\
                    POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n\
                    GET /hello.txt HTTP/1.1\r\nHost: h\r\n\r\n";
    for b in request {
        s.write_all(&[*b]).unwrap();
    }
    let mut buf = Vec::new();
    let first = read_response(&mut s, &mut buf, false);
    assert_eq!((first.status, &first.body[..]), (206, &b"hello"[..]));
    assert_eq!(read_response(&mut s, &mut buf, false).status, 405);
    let last = read_response(&mut s, &mut buf, false);
    assert_eq!((last.status, &last.body[..]), (200, &b"hello, world\n"[..]));
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn during_shutdown_the_last_response_says_connection_close() {
    let site = Site::new();
    let server = serve(&site, &[]);
    let mut s = connect(server.addr());
    s.write_all(b"GET /big.bin HTTP/1.1\r\nHost: h\r\n\r\n").unwrap();
    // The first bytes mean the big response is queued: far past the output
    // high-water mark, so the server reads nothing more from this client.
    let mut buf = Vec::new();
    fill(&mut s, &mut buf);
    s.write_all(b"GET /hello.txt HTTP/1.1\r\nHost: h\r\n\r\n").unwrap();
    // An idle keep-alive connection, to be closed by the drain.
    let (_, mut idle, idle_buf) = exchange(server.addr(), b"GET /hello.txt HTTP/1.1\r\nHost: h\r\n\r\n");
    server.signal(libc::SIGTERM);

    let big = read_response(&mut s, &mut buf, false);
    assert_eq!(big.status, 200);
    assert_eq!(big.body.len(), BIG_BYTES);
    assert!(!big.closes(), "the big response went out before the signal");
    let last = read_response(&mut s, &mut buf, false);
    assert_eq!((last.status, &last.body[..]), (200, &b"hello, world\n"[..]));
    assert!(last.closes(), "no Connection: close in\n{}", last.head);
    assert_eof(&mut s, &buf);
    assert_eof(&mut idle, &idle_buf);
    let mut server = server;
    assert_eq!(server.wait(Duration::from_secs(30)).code(), Some(0));
}

#[test]
fn a_file_changed_on_disk_is_served_new() {
    let site = Site::new();
    let server = serve(&site, &[]);
    let a = agent();
    let path = site.dir.join("hello.txt");
    let first = call(a.get(&url(&server, "/hello.txt")));
    let old_etag = first.header("ETag").unwrap().to_string();
    drop(body(first));
    std::fs::write(&path, b"a longer, newer greeting\n").unwrap();
    // The cache re-checks a file at most once a second: wait for it.
    wait_for(Duration::from_secs(5), "the new contents", || {
        body(call(a.get(&url(&server, "/hello.txt")))) == b"a longer, newer greeting\n"
    });
    let resp = call(a.get(&url(&server, "/hello.txt")).set("If-None-Match", &old_etag));
    assert_eq!(resp.status(), 200, "the old tag no longer matches");
    assert_eq!(server.stop().code(), Some(0));
}

/// `curl -s` of `url` with `args`: its stdout, after checking it succeeded.
fn curl(args: &[&str], url: &str) -> Vec<u8> {
    let out = std::process::Command::new("curl")
        .args(["-s", "--max-time", "20"])
        .args(args)
        .arg(url)
        .output()
        .expect("curl runs (apt-get install -y curl)");
    assert!(out.status.success(), "curl {args:?} {url}: {}", out.status);
    out.stdout
}

/// The names in a listing's table, in order.
fn listed_names(html: &str) -> Vec<String> {
    html.split("<td class=\"n\"><a href=\"")
        .skip(1)
        .map(|row| row.split('>').nth(1).unwrap().split('<').next().unwrap().to_string())
        .collect()
}

#[test]
fn curl_gets_a_listing_table_with_folders_first_in_the_order_asked() {
    let site = Site::new();
    let dir = site.dir.join("empty");
    std::fs::create_dir(dir.join("Sub")).unwrap();
    std::fs::create_dir(dir.join("a <dir>")).unwrap();
    std::fs::write(dir.join("small.txt"), b"12345").unwrap();
    std::fs::write(dir.join("Big.bin"), vec![7; 3 << 20]).unwrap();
    std::fs::write(dir.join("mid & more.html"), vec![b'x'; 2048]).unwrap();
    let old = std::fs::File::options().write(true).open(dir.join("small.txt")).unwrap();
    old.set_modified(std::time::UNIX_EPOCH + Duration::from_secs(951_782_400 + 3_661)).unwrap();
    let server = serve(&site, &["--autoindex"]);
    let page = |query: &str| String::from_utf8(curl(&[], &url(&server, &format!("/empty/{query}")))).unwrap();

    let html = page("");
    assert_eq!(listed_names(&html), ["../", "a &lt;dir&gt;/", "Sub/", "Big.bin", "mid &amp; more.html", "small.txt"]);
    assert!(html.contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"));
    assert!(html.contains("<a href=\"a%20%3Cdir%3E/\">a &lt;dir&gt;/</a>"), "{html}");
    assert!(html.contains("<td class=\"s\" title=\"3145728 bytes\">3.0 MiB</td>"), "{html}");
    assert!(html.contains("<td class=\"s\" title=\"2048 bytes\">2.0 KiB</td>"), "{html}");
    assert!(html.contains("<td class=\"s\" title=\"5 bytes\">5 B</td>"), "{html}");
    assert!(html.contains("<time datetime=\"2000-02-29T01:01Z\">2000-02-29<span class=\"t\"> 01:01</span></time>"));
    assert!(html.contains("<th class=\"n\" aria-sort=\"ascending\"><a href=\"?C=N;O=D\">Name \u{25b2}</a></th>"));
    assert!(html.contains("<p class=\"c\">2 folders, 3 files</p>"));

    let by_size = page("?C=S;O=D");
    assert_eq!(listed_names(&by_size)[3..], ["Big.bin", "mid &amp; more.html", "small.txt"]);
    assert!(listed_names(&by_size)[1..3].iter().all(|n| n.ends_with("/")), "folders first");
    assert!(by_size.contains("<a href=\"?C=S;O=A\">Size \u{25bc}</a>"));
    let by_time = page("?C=M;O=A");
    assert_eq!(listed_names(&by_time)[3], "small.txt", "the oldest file first");
    assert_eq!(
        listed_names(&page("?C=N;O=D")),
        ["../", "Sub/", "a &lt;dir&gt;/", "small.txt", "mid &amp; more.html", "Big.bin"]
    );
    assert_eq!(page("?C=Q;O=Z"), html, "an unknown sort is the default");
    assert_eq!(server.stop().code(), Some(0));
}

/// Headless Chromium's DOM and screenshot of `url` in a window of `size`
/// (`width,height`); the screenshot is also kept in the target folder for
/// a person to look at.
fn chromium_shot(url: &str, size: &str, name: &str) -> (String, Vec<u8>) {
    let browser = ["chromium", "chromium-browser"]
        .into_iter()
        .find(|b| {
            std::process::Command::new("sh")
                .args(["-c", &format!("command -v {b}")])
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .expect("chromium is installed (apt-get install -y chromium)");
    let dir = std::env::temp_dir().join(format!("switchyard-chromium-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let shot = dir.join("shot.png");
    let mut child = std::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            &format!("--user-data-dir={}", dir.join("profile").display()),
            &format!("--screenshot={}", shot.display()),
            &format!("--window-size={size}"),
            "--dump-dom",
            url,
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut dom = String::new();
        let _ = out.read_to_string(&mut dom);
        dom
    });
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within a minute");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let dom = reader.join().unwrap();
    assert!(status.success(), "chromium failed: {status}");
    let png = std::fs::read(&shot).expect("the screenshot was written");
    let kept = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}.png"));
    std::fs::write(&kept, &png).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    (dom, png)
}

/// Width and height of a PNG, from its IHDR chunk.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && &png[12..16] == b"IHDR", "not a PNG");
    let be = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
    (be(16), be(20))
}

#[test]
fn a_listing_renders_in_headless_chromium_at_phone_and_desktop_widths() {
    let site = Site::new();
    let dir = site.dir.join("empty");
    std::fs::create_dir(dir.join("a folder whose name is far too long for a phone screen to show on one line"))
        .unwrap();
    std::fs::write(dir.join("report <final>.pdf"), vec![0; 150_000]).unwrap();
    std::fs::write(dir.join("notes.txt"), b"x").unwrap();
    let server = serve(&site, &["--autoindex"]);
    for (size, name) in [("390,844", "listing-phone"), ("1200,700", "listing-desktop")] {
        let (dom, png) = chromium_shot(&url(&server, "/empty/"), size, name);
        assert_eq!(png_size(&png).0, size.split(',').next().unwrap().parse::<u32>().unwrap());
        assert!(png.len() > 5_000, "a blank screenshot: {} bytes", png.len());
        // The browser parsed one table with every entry, names escaped.
        assert_eq!(dom.matches("<tr class=\"d\">").count(), 2, "{dom}");
        assert_eq!(dom.matches("<tr class=\"f\">").count(), 2, "{dom}");
        assert!(dom.contains(">report &lt;final&gt;.pdf</a>"), "{dom}");
        assert!(dom.contains("146 KiB"), "{dom}");
    }
    assert_eq!(server.stop().code(), Some(0));
}

/// `curl -s -D -` of `url` with `args`: the last response's status, head
/// and body.
fn curl_response(args: &[&str], url: &str) -> (u16, String, Vec<u8>) {
    let out = curl(&[&["-D", "-"], args].concat(), url);
    let mut at = 0;
    // -D - writes every head (a 100 or a redirect would come first).
    loop {
        let end = out[at..].windows(4).position(|w| w == b"\r\n\r\n").expect("a head") + at + 4;
        let head = String::from_utf8_lossy(&out[at..end]).to_string();
        if !out[end..].starts_with(b"HTTP/") {
            let status = head[9..12].parse().unwrap();
            return (status, head, out[end..].to_vec());
        }
        at = end;
    }
}

/// A header's value in a head, if present.
fn field<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().skip(1).find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// Compresses `file` beside itself with the named program (`gzip`, `brotli`).
fn compress(program: &str, file: &std::path::Path) {
    let status = std::process::Command::new(program)
        .args(["-k", "-f", "-9"])
        .arg(file)
        .status()
        .unwrap_or_else(|e| panic!("{program} runs (apt-get install -y {program}): {e}"));
    assert!(status.success(), "{program} {}", file.display());
}

#[test]
fn curl_gets_precompressed_twins_by_accept_encoding_as_from_nginx_gzip_static() {
    let site = Site::new();
    // Larger than the in-memory limit, so that both the copied and the
    // sendfile paths are taken.
    let text: Vec<u8> = (0..6000).flat_map(|i| format!("console.log({i});\n").into_bytes()).collect();
    assert!(text.len() > 64 << 10);
    std::fs::write(site.dir.join("app.js"), &text).unwrap();
    compress("gzip", &site.dir.join("app.js"));
    compress("brotli", &site.dir.join("app.js"));
    std::fs::write(site.dir.join("docs/index.html.gz"), b"not really gzip").unwrap();
    std::os::unix::fs::symlink(site.dir.parent().unwrap().join("outside/secret.txt"), site.dir.join("hello.txt.gz"))
        .unwrap();
    let gz = std::fs::read(site.dir.join("app.js.gz")).unwrap();
    let br = std::fs::read(site.dir.join("app.js.br")).unwrap();
    let server = serve(&site, &[]);
    let app = url(&server, "/app.js");

    // The file itself, to a client that takes neither: with Vary, ranges.
    let (status, plain, body) = curl_response(&[], &app);
    assert_eq!((status, body.len()), (200, text.len()), "{plain}");
    assert_eq!(field(&plain, "Vary"), Some("Accept-Encoding"), "{plain}");
    assert_eq!(field(&plain, "Content-Encoding"), None);
    assert_eq!(field(&plain, "Accept-Ranges"), Some("bytes"));

    // curl --compressed asks for br and gzip (and more): brotli, decoded.
    let (status, head, body) = curl_response(&["--compressed"], &app);
    assert_eq!(status, 200);
    assert_eq!(field(&head, "Content-Encoding"), Some("br"), "{head}");
    assert_eq!(body, text, "curl decodes the brotli twin to the file");

    for (accept, coding, twin) in [("br", "br", &br), ("gzip", "gzip", &gz), ("gzip, br;q=0.5", "gzip", &gz)] {
        let (status, head, body) = curl_response(&["-H", &format!("Accept-Encoding: {accept}")], &app);
        assert_eq!(status, 200, "{head}");
        assert!(body == *twin, "{accept}: the twin's bytes as stored");
        assert_eq!(field(&head, "Content-Encoding"), Some(coding), "{head}");
        assert_eq!(field(&head, "Vary"), Some("Accept-Encoding"));
        assert_eq!(field(&head, "Content-Type"), Some("text/javascript; charset=utf-8"), "the file's type");
        assert_eq!(field(&head, "Content-Length"), Some(twin.len().to_string().as_str()));
        assert_eq!(field(&head, "Accept-Ranges"), None, "a twin goes whole, as from nginx");
        assert_ne!(field(&head, "ETag"), field(&plain, "ETag"), "each representation its own tag");
    }

    // Ranges: of the file when it is sent, ignored for a twin (nginx's 200).
    let (status, head, body) = curl_response(&["-r", "0-9"], &app);
    assert_eq!((status, &body[..]), (206, &text[..10]), "{head}");
    assert_eq!(field(&head, "Vary"), Some("Accept-Encoding"));
    let (status, head, body) = curl_response(&["-r", "0-9", "-H", "Accept-Encoding: gzip"], &app);
    assert_eq!(status, 200, "{head}");
    assert!(body == gz);

    // Validators are the twin's: its tag gets 304 only with its coding.
    let (_, head, _) = curl_response(&["-H", "Accept-Encoding: gzip"], &app);
    let gz_tag = field(&head, "ETag").unwrap().to_string();
    let (status, head, body) =
        curl_response(&["-H", "Accept-Encoding: gzip", "-H", &format!("If-None-Match: {gz_tag}")], &app);
    assert_eq!((status, body.len()), (304, 0), "{head}");
    assert_eq!(field(&head, "ETag"), Some(gz_tag.as_str()));
    assert_eq!(field(&head, "Vary"), Some("Accept-Encoding"));
    let (status, _, _) = curl_response(&["-H", &format!("If-None-Match: {gz_tag}")], &app);
    assert_eq!(status, 200, "the gzip twin's tag does not validate the file");

    // HEAD: the twin's headers, no body.
    let head = String::from_utf8(curl(&["-I", "-H", "Accept-Encoding: br"], &app)).unwrap();
    assert!(head.starts_with("HTTP/1.1 200 ") && head.ends_with("\r\n\r\n"), "{head}");
    assert_eq!(field(&head, "Content-Encoding"), Some("br"));
    assert_eq!(field(&head, "Content-Length"), Some(br.len().to_string().as_str()));

    // HTTP/1.0 gets the file, as nginx's gzip_http_version 1.1; q=0 refuses.
    for args in [&["--http1.0", "-H", "Accept-Encoding: gzip"][..], &["-H", "Accept-Encoding: gzip;q=0, br;q=0"]] {
        let (status, head, body) = curl_response(args, &app);
        assert_eq!((status, field(&head, "Content-Encoding")), (200, None), "{args:?}: {head}");
        assert_eq!(body, text);
    }

    // An index has its twin too; a twin that links out of the root is not
    // sent; a file without twins does not vary.
    let (_, head, body) = curl_response(&["-H", "Accept-Encoding: gzip"], &url(&server, "/docs/"));
    assert_eq!((field(&head, "Content-Encoding"), &body[..]), (Some("gzip"), &b"not really gzip"[..]));
    assert_eq!(field(&head, "Content-Type"), Some("text/html; charset=utf-8"));
    let (_, head, body) = curl_response(&["-H", "Accept-Encoding: gzip"], &url(&server, "/hello.txt"));
    assert_eq!((field(&head, "Content-Encoding"), &body[..]), (None, &b"hello, world\n"[..]), "{head}");
    let (_, head, _) = curl_response(&["-H", "Accept-Encoding: gzip"], &url(&server, "/style.css"));
    assert_eq!(field(&head, "Vary"), None, "{head}");

    let metrics = String::from_utf8(curl(&[], &url(&server, "/metrics"))).unwrap();
    assert!(metrics.contains("switchyard_http_precompressed_total{encoding=\"gzip\"} "), "{metrics}");
    assert_eq!(server.stop().code(), Some(0));

    // Off by a flag: the file, and no Vary.
    let server = serve(&site, &["--no-precompressed"]);
    let (status, head, body) = curl_response(&["-H", "Accept-Encoding: br, gzip"], &url(&server, "/app.js"));
    assert_eq!((status, field(&head, "Content-Encoding"), field(&head, "Vary")), (200, None, None), "{head}");
    assert_eq!(body, text);
    assert_eq!(server.stop().code(), Some(0));
}
