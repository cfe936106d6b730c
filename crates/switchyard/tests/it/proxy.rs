//! The PROXY protocol on `--proxy-listen` addresses, over raw sockets (the
//! load balancers that send it are tested in `multi_instance.rs`): the
//! carried address is the client's in kv and chat; bad, slow and
//! untrusted headers close the connection before the service sees a byte;
//! on a `--listen` address a header is only data.

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use crate::support::{connect, wait_for, Server};

const V2_SIGNATURE: &[u8] = b"\r\n\r\n\0\r\nQUIT\n";

/// A version 2 header: `command` 0 (LOCAL) or 1 (PROXY), the family byte,
/// and the address block with any TLVs.
fn v2(command: u8, family: u8, body: &[u8]) -> Vec<u8> {
    let mut h = V2_SIGNATURE.to_vec();
    h.push(0x20 | command);
    h.push(family);
    h.extend_from_slice(&(body.len() as u16).to_be_bytes());
    h.extend_from_slice(body);
    h
}

/// TLVs as HAProxy sends them: ALPN, authority and a unique id.
fn tlvs() -> Vec<u8> {
    let mut t = vec![0x01, 0x00, 0x08];
    t.extend_from_slice(b"http/1.1");
    t.extend_from_slice(&[0x02, 0x00, 0x0b]);
    t.extend_from_slice(b"example.org");
    t.extend_from_slice(&[0x05, 0x00, 0x04, 1, 2, 3, 4]);
    t
}

/// A version 2 `PROXY` header for TCP over IPv4 or IPv6, with TLVs.
fn v2_proxy(source: SocketAddr, destination: SocketAddr) -> Vec<u8> {
    let (family, mut body) = match (source, destination) {
        (SocketAddr::V4(s), SocketAddr::V4(d)) => (0x11, [s.ip().octets().to_vec(), d.ip().octets().to_vec()].concat()),
        (SocketAddr::V6(s), SocketAddr::V6(d)) => (0x21, [s.ip().octets().to_vec(), d.ip().octets().to_vec()].concat()),
        _ => panic!("mixed families"),
    };
    body.extend_from_slice(&source.port().to_be_bytes());
    body.extend_from_slice(&destination.port().to_be_bytes());
    body.extend_from_slice(&tlvs());
    v2(1, family, &body)
}

/// A kv server with a plain listener (`addrs[0]`), a PROXY protocol one
/// (`addrs[1]`) and its admin listener (`addrs[2]`).
fn kv(extra: &[&str]) -> Server {
    let mut args = vec![
        "serve",
        "kv",
        "--listen",
        "127.0.0.1:0",
        "--proxy-listen",
        "127.0.0.1:0",
        "--admin",
        "127.0.0.1:0",
        "--workers",
        "1",
    ];
    args.extend_from_slice(extra);
    Server::start(&args, 3)
}

/// A command in RESP.
fn command(args: &[&str]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
    }
    out
}

/// Reads one reply: a line, or a bulk string's contents.
fn reply(r: &mut BufReader<TcpStream>) -> String {
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    let Some(len) = line.strip_prefix('$') else { return line.trim_end().to_string() };
    let len: usize = len.trim().parse().unwrap();
    let mut body = vec![0; len + 2];
    r.read_exact(&mut body).unwrap();
    String::from_utf8_lossy(&body[..len]).into_owned()
}

/// Connects to `addr`, sends `first` (a header, perhaps with a command
/// after it in the same write) and then `CLIENT INFO` unless `first`
/// had a command; returns the `addr=` field of the reply.
fn client_addr(addr: SocketAddr, first: &[u8], command_included: bool) -> String {
    let mut c = connect(addr);
    c.write_all(first).unwrap();
    if !command_included {
        c.write_all(&command(&["CLIENT", "INFO"])).unwrap();
    }
    let info = reply(&mut BufReader::new(c));
    field(&info, "addr")
}

fn field(info: &str, name: &str) -> String {
    let prefix = format!("{name}=");
    info.split(' ').find_map(|f| f.strip_prefix(&prefix)).unwrap_or_else(|| panic!("no {name} in {info:?}")).to_string()
}

/// The connection ends with no byte from the server: EOF or a reset.
#[track_caller]
fn closed_in_silence(c: &mut TcpStream, what: &str) {
    let mut got = Vec::new();
    match c.read_to_end(&mut got) {
        Ok(_) => {}
        Err(e) if e.kind() == ErrorKind::ConnectionReset => {}
        Err(e) => panic!("{what}: {e}"),
    }
    assert!(got.is_empty(), "{what}: the server answered {:?}", String::from_utf8_lossy(&got));
}

/// Sends `bytes` on a new connection, which must end with no answer.
#[track_caller]
fn sent_then_closed(addr: SocketAddr, bytes: &[u8], what: &str) {
    let mut c = connect(addr);
    c.write_all(bytes).unwrap();
    closed_in_silence(&mut c, what);
}

/// A counter of the admin listener's `/metrics`, by its full name with
/// labels. (A refusal is counted just after its socket closes: wait for it.)
fn metric(server: &Server, name: &str) -> u64 {
    let body = crate::admin::get(server.addrs[2], "/metrics").body;
    body.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no {name} in {body}"))
        .parse()
        .unwrap()
}

/// kv's count of connections it was given (`INFO stats`).
fn connections_received(addr: SocketAddr) -> u64 {
    let mut c = connect(addr);
    c.write_all(&command(&["INFO", "stats"])).unwrap();
    let info = reply(&mut BufReader::new(c));
    info.lines()
        .find_map(|l| l.strip_prefix("total_connections_received:"))
        .unwrap_or_else(|| panic!("{info}"))
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn kv_sees_the_address_each_header_version_carries() {
    let server = kv(&["--protected-mode", "no"]);
    let (plain, proxied) = (server.addrs[0], server.addrs[1]);
    let here: SocketAddr = "127.0.0.1:6379".parse().unwrap();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("v1 TCP4", b"PROXY TCP4 203.0.113.9 127.0.0.1 5555 6379\r\n".to_vec(), "203.0.113.9:5555"),
        ("v1 TCP6", b"PROXY TCP6 2001:db8::7 ::1 4242 6379\r\n".to_vec(), "[2001:db8::7]:4242"),
        ("v2 IPv4 with TLVs", v2_proxy("198.51.100.20:40000".parse().unwrap(), here), "198.51.100.20:40000"),
        (
            "v2 IPv6 with TLVs",
            v2_proxy("[2001:db8:1::2]:1".parse().unwrap(), "[::1]:6379".parse().unwrap()),
            "[2001:db8:1::2]:1",
        ),
    ];
    for (what, header, want) in &cases {
        assert_eq!(client_addr(proxied, header, false), *want, "{what}");
        // The command in the same write as the header goes to the service.
        let together = [header.clone(), command(&["CLIENT", "INFO"])].concat();
        assert_eq!(client_addr(proxied, &together, true), *want, "{what}, one write");
    }
    // LOCAL (a health check) and UNKNOWN keep the real peer.
    let local = v2(0, 0x11, &[[9, 9, 9, 9, 8, 8, 8, 8, 0, 1, 0, 2].as_slice(), &tlvs()].concat());
    assert!(client_addr(proxied, &local, false).starts_with("127.0.0.1:"), "LOCAL");
    assert!(client_addr(proxied, b"PROXY UNKNOWN\r\n", false).starts_with("127.0.0.1:"), "UNKNOWN");

    // One byte per segment: the header is still read, and CLIENT LIST on
    // another connection shows the carried address.
    let mut slow = connect(proxied);
    slow.set_nodelay(true).unwrap();
    let header = v2_proxy("192.0.2.77:6000".parse().unwrap(), here);
    for b in &header {
        slow.write_all(std::slice::from_ref(b)).unwrap();
        std::thread::sleep(Duration::from_millis(2));
    }
    let mut lister = connect(plain);
    wait_for(Duration::from_secs(10), "the one-byte-at-a-time client in CLIENT LIST", || {
        lister.write_all(&command(&["CLIENT", "LIST"])).unwrap();
        let list = reply(&mut BufReader::new(lister.try_clone().unwrap()));
        list.lines().any(|l| field(l, "addr") == "192.0.2.77:6000")
    });
    slow.write_all(&command(&["PING"])).unwrap();
    assert_eq!(reply(&mut BufReader::new(slow)), "+PONG");

    // On the plain listener a header is data: kv answers it as a command.
    let mut c = connect(plain);
    c.write_all(b"PROXY TCP4 203.0.113.9 127.0.0.1 5555 6379\r\n").unwrap();
    c.write_all(&command(&["CLIENT", "INFO"])).unwrap();
    let mut r = BufReader::new(c);
    assert!(reply(&mut r).starts_with("-ERR unknown command 'PROXY'"));
    assert!(field(&reply(&mut r), "addr").starts_with("127.0.0.1:"));

    let proxy_headers = cases.len() as u64 * 2 + 1;
    assert_eq!(metric(&server, "switchyard_proxy_headers_total{command=\"proxy\"}"), proxy_headers);
    assert_eq!(metric(&server, "switchyard_proxy_headers_total{command=\"local\"}"), 2);
    assert!(server.stop().success());
}

#[test]
fn protected_mode_judges_the_carried_address() {
    let server = kv(&[]);
    let proxied = server.addrs[1];
    let mut outside = connect(proxied);
    outside.write_all(b"PROXY TCP4 203.0.113.9 127.0.0.1 5555 6379\r\n").unwrap();
    outside.write_all(&command(&["PING"])).unwrap();
    let denied = reply(&mut BufReader::new(outside));
    assert!(denied.starts_with("-DENIED"), "{denied:?}");
    let mut inside = connect(proxied);
    inside.write_all(b"PROXY TCP4 127.0.0.9 127.0.0.1 5555 6379\r\n").unwrap();
    inside.write_all(&command(&["PING"])).unwrap();
    assert_eq!(reply(&mut BufReader::new(inside)), "+PONG");
    assert!(server.stop().success());
}

#[test]
fn bad_headers_close_the_connection_before_the_service_sees_a_byte() {
    let server = kv(&["--protected-mode", "no"]);
    let (plain, proxied) = (server.addrs[0], server.addrs[1]);
    let long_v1 = [b"PROXY UNKNOWN ".as_slice(), &[b'x'; 120], b"\r\n"].concat();
    let mut long_v2 = V2_SIGNATURE.to_vec();
    long_v2.extend_from_slice(&[0x21, 0x11, 0xff, 0xff]);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("a command without a header", command(&["PING"]), "malformed"),
        ("an HTTP request", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(), "malformed"),
        ("a v1 line ended by LF alone", b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\nPING\r\n".to_vec(), "malformed"),
        ("a v1 port out of range", b"PROXY TCP4 1.2.3.4 5.6.7.8 1 65536\r\n".to_vec(), "malformed"),
        ("a v2 header of version 3", [V2_SIGNATURE, &[0x31, 0x11, 0, 12], &[0; 12]].concat(), "malformed"),
        ("v2 addresses cut short", v2(1, 0x11, &[1, 2, 3, 4]), "malformed"),
        ("a v1 line past 107 bytes", long_v1, "oversized"),
        ("a v2 header of 64 KiB", long_v2, "oversized"),
    ];
    for (what, bytes, _) in &cases {
        let mut c = connect(proxied);
        c.write_all(bytes).unwrap();
        closed_in_silence(&mut c, what);
    }
    // Cut short: half a header, then the client's EOF.
    let header = v2_proxy("192.0.2.1:1".parse().unwrap(), "127.0.0.1:2".parse().unwrap());
    for cut in [0, 5, 13, header.len() - 1] {
        let mut c = connect(proxied);
        c.write_all(&header[..cut]).unwrap();
        c.shutdown(std::net::Shutdown::Write).unwrap();
        closed_in_silence(&mut c, &format!("{cut} bytes and EOF"));
    }
    for reason in ["malformed", "oversized"] {
        let want = cases.iter().filter(|c| c.2 == reason).count() as u64;
        let name = format!("switchyard_proxy_header_refused_total{{reason=\"{reason}\"}}");
        wait_for(Duration::from_secs(10), reason, || metric(&server, &name) == want);
    }
    let name = "switchyard_proxy_header_refused_total{reason=\"truncated\"}";
    wait_for(Duration::from_secs(10), "truncated", || metric(&server, name) == 4);
    assert_eq!(metric(&server, "switchyard_connections_closed_total{reason=\"proxy_header\"}"), cases.len() as u64 + 4);
    // kv was given none of them: only this count's own connection.
    assert_eq!(connections_received(plain), 1);
    assert!(server.stderr().contains("PROXY protocol header refused"), "{}", server.stderr());
    assert!(server.stop().success());
}

#[test]
fn a_header_too_slow_to_arrive_is_closed_at_the_request_timeout() {
    let server = kv(&["--request-timeout", "1s"]);
    let mut c = connect(server.addrs[1]);
    c.write_all(b"PROXY TCP4 192.0.2.1").unwrap();
    closed_in_silence(&mut c, "a header that stops half-way");
    let name = "switchyard_proxy_header_refused_total{reason=\"timeout\"}";
    wait_for(Duration::from_secs(10), "the timeout counted", || metric(&server, name) == 1);
    assert_eq!(connections_received(server.addrs[0]), 1);
    assert!(server.stop().success());
}

#[test]
fn headers_from_outside_proxy_from_are_refused() {
    let server = kv(&["--proxy-from", "10.0.0.0/8", "--proxy-from", "2001:db8::/32"]);
    let mut c = connect(server.addrs[1]);
    c.write_all(b"PROXY TCP4 10.1.2.3 127.0.0.1 5555 6379\r\n").unwrap();
    c.write_all(&command(&["PING"])).unwrap();
    closed_in_silence(&mut c, "a loopback proxy not in --proxy-from");
    let name = "switchyard_proxy_header_refused_total{reason=\"untrusted\"}";
    wait_for(Duration::from_secs(10), "the refusal counted", || metric(&server, name) == 1);
    assert!(server.stop().success());

    let server = kv(&["--proxy-from", "127.0.0.0/8"]);
    assert_eq!(client_addr(server.addrs[1], b"PROXY TCP4 127.0.0.3 127.0.0.1 5555 6379\r\n", false), "127.0.0.3:5555");
    assert!(server.stop().success());
}

#[test]
fn chat_shows_the_carried_address_as_the_host_in_whois() {
    let server = Server::start(
        &["serve", "chat", "--listen", "127.0.0.1:0", "--proxy-listen", "127.0.0.1:0", "--workers", "2"],
        2,
    );
    let header = v2_proxy("[2001:db8::5]:7000".parse().unwrap(), "[::1]:6667".parse().unwrap());
    // The header and the registration in one write.
    assert_whois_host(&server, connect(server.addrs[1]), &header, ["carol", "Carol"], "2001:db8::5");
    assert!(server.stop().success());
}

/// Registers `nick` (real name `real`) over `stream`, `first` sent ahead of the registration
/// in the same write, then has another user WHOIS it: the host shown is
/// `host`, the address a PROXY header carried.
fn assert_whois_host(
    server: &Server,
    mut stream: impl Read + Write,
    first: &[u8],
    [nick, real]: [&str; 2],
    host: &str,
) {
    let registration = format!("NICK {nick}\r\nUSER {nick} 0 * :{real}\r\n");
    stream.write_all(&[first, registration.as_bytes()].concat()).unwrap();
    stream.flush().unwrap();
    let mut r = BufReader::new(stream);
    let mut line = String::new();
    while !line.contains(" 422 ") {
        line.clear();
        assert!(r.read_line(&mut line).unwrap() > 0, "registration ended");
    }
    let mut bob = crate::chat::Irc::register(server, "bob");
    bob.send(&format!("WHOIS {nick}"));
    assert_eq!(bob.expect_code("311"), format!(":switchyard 311 bob {nick} {nick} {host} * :{real}"));
}

/// Sends `bytes` to an echo server and reads `want.len()` bytes back.
fn echoed(addr: SocketAddr, bytes: &[u8], want: &[u8]) -> Vec<u8> {
    let mut c = connect(addr);
    c.write_all(bytes).unwrap();
    let mut got = vec![0; want.len()];
    c.read_exact(&mut got).unwrap();
    got
}

#[test]
fn a_live_upgrade_and_socket_activation_keep_each_listener_s_setting() {
    let header = b"PROXY TCP4 192.0.2.1 127.0.0.1 1000 7007\r\n";
    let mut old = Server::start(
        &["serve", "echo", "--listen", "127.0.0.1:0", "--proxy-listen", "127.0.0.1:0", "--log-level", "info"],
        2,
    );
    let (plain, proxied) = (old.addrs[0], old.addrs[1]);
    old.signal(libc::SIGUSR2);
    assert_eq!(old.wait(Duration::from_secs(30)).code(), Some(0), "{}", old.stderr());
    let log = old.stderr();
    let new_pid = crate::activation::logged_pid(&log, "the new process is ready").unwrap_or_else(|| panic!("{log}"));
    // The new process reads the header on the proxy listener only.
    assert_eq!(echoed(proxied, &[header.as_slice(), b"hi\n"].concat(), b"hi\n"), b"hi\n");
    assert_eq!(echoed(plain, header, header), header);
    sent_then_closed(proxied, b"hi\n", "no header after the upgrade");
    // SAFETY: kill(2) of the process the old server started.
    assert_eq!(unsafe { libc::kill(new_pid as i32, libc::SIGTERM) }, 0);
    crate::activation::wait_gone(new_pid, Duration::from_secs(30));

    // systemd's socket named `proxy` (FileDescriptorName=proxy).
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let server = crate::activation::start_activated_as(&listener, "proxy", &["serve", "echo"]);
    let addr = listener.local_addr().unwrap();
    assert_eq!(echoed(addr, &[header.as_slice(), b"hi\n"].concat(), b"hi\n"), b"hi\n");
    sent_then_closed(addr, b"hi\n", "no header on the proxy socket");
    assert!(server.stop().success());
}

// ----- the PROXY protocol before TLS (`--tls-proxy-listen`) ----------

type TlsStream = rustls::StreamOwned<rustls::ClientConnection, TcpStream>;

/// A kv server with a clear-text listener (`addrs[0]`), a TLS one
/// (`addrs[1]`), one taking a header and then TLS (`addrs[2]`) and its
/// admin listener (`addrs[3]`).
fn kv_tls(pki: &crate::tls::Pki, extra: &[&str]) -> Server {
    let (cert, key) = (pki.cert.to_str().unwrap(), pki.key.to_str().unwrap());
    let mut args = vec![
        "serve",
        "kv",
        "--listen",
        "127.0.0.1:0",
        "--tls-listen",
        "127.0.0.1:0",
        "--tls-proxy-listen",
        "127.0.0.1:0",
        "--tls-cert",
        cert,
        "--tls-key",
        key,
        "--admin",
        "127.0.0.1:0",
        "--workers",
        "1",
        "--protected-mode",
        "no",
    ];
    args.extend_from_slice(extra);
    Server::start(&args, 4)
}

/// A counter of `/metrics` on the admin listener at `admin`.
fn metric_at(admin: SocketAddr, name: &str) -> u64 {
    let body = crate::admin::get(admin, "/metrics").body;
    body.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no {name} in {body}"))
        .parse()
        .unwrap()
}

/// Sends `header` on a new connection to `addr`, then does the TLS
/// handshake as `localhost` over the same socket. With `together`, the
/// ClientHello goes out in the header's write, so that the server reads
/// the start of the handshake with the header; else after it.
#[track_caller]
fn tls_after_header(addr: SocketAddr, pki: &crate::tls::Pki, header: &[u8], together: bool) -> TlsStream {
    let mut sock = connect(addr);
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut conn = rustls::ClientConnection::new(pki.client(), name).unwrap();
    let mut first = header.to_vec();
    if together {
        conn.write_tls(&mut first).unwrap();
    }
    sock.write_all(&first).unwrap();
    let mut s = rustls::StreamOwned::new(conn, sock);
    while s.conn.is_handshaking() {
        s.conn.complete_io(&mut s.sock).unwrap();
    }
    s
}

/// `CLIENT INFO`'s `addr=` over a TLS stream.
fn tls_client_addr(s: TlsStream) -> String {
    let mut r = BufReader::new(s);
    r.get_mut().write_all(&command(&["CLIENT", "INFO"])).unwrap();
    r.get_mut().flush().unwrap();
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    let len: usize = line.trim().strip_prefix('$').unwrap_or_else(|| panic!("{line:?}")).parse().unwrap();
    let mut body = vec![0; len + 2];
    r.read_exact(&mut body).unwrap();
    field(&String::from_utf8_lossy(&body[..len]), "addr")
}

#[test]
fn a_tls_client_behind_a_header_is_seen_at_the_address_the_header_carries() {
    let pki = crate::tls::Pki::new("proxy-addr");
    let server = kv_tls(&pki, &[]);
    let addr = server.addrs[2];
    let two = v2_proxy("198.51.100.7:4242".parse().unwrap(), "127.0.0.1:6379".parse().unwrap());
    let v1 = b"PROXY TCP6 2001:db8::9 ::1 6000 6379\r\n";
    for together in [false, true] {
        assert_eq!(tls_client_addr(tls_after_header(addr, &pki, &two, together)), "198.51.100.7:4242");
        assert_eq!(tls_client_addr(tls_after_header(addr, &pki, v1, together)), "[2001:db8::9]:6000");
    }
    // LOCAL (a balancer's own health check): the socket's peer.
    let local = tls_client_addr(tls_after_header(addr, &pki, &v2(0, 0, &[]), false));
    assert!(local.starts_with("127.0.0.1:"), "{local}");
    assert_eq!(metric_at(server.addrs[3], "switchyard_proxy_headers_total{command=\"proxy\"}"), 4);
    assert_eq!(metric_at(server.addrs[3], "switchyard_tls_handshakes_total{version=\"TLSv1.3\"}"), 5);
    assert!(server.stop().success());
}

#[test]
fn a_header_split_into_single_bytes_before_the_client_hello_is_read() {
    let pki = crate::tls::Pki::new("proxy-split");
    let server = kv_tls(&pki, &[]);
    let mut sock = connect(server.addrs[2]);
    sock.set_nodelay(true).unwrap();
    for b in v2_proxy("203.0.113.5:5000".parse().unwrap(), "127.0.0.1:6379".parse().unwrap()) {
        sock.write_all(&[b]).unwrap();
        std::thread::sleep(Duration::from_millis(2));
    }
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut s = rustls::StreamOwned::new(rustls::ClientConnection::new(pki.client(), name).unwrap(), sock);
    while s.conn.is_handshaking() {
        s.conn.complete_io(&mut s.sock).unwrap();
    }
    assert_eq!(tls_client_addr(s), "203.0.113.5:5000");
    assert!(server.stop().success());
}

#[test]
fn a_client_hello_without_a_header_is_refused_and_a_header_on_a_tls_listener_is_bad_tls() {
    let pki = crate::tls::Pki::new("proxy-refused");
    let server = kv_tls(&pki, &[]);
    let admin = server.addrs[3];
    // A TLS client straight to the listener that wants a header first.
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut conn = rustls::ClientConnection::new(pki.client(), name).unwrap();
    let mut hello = Vec::new();
    conn.write_tls(&mut hello).unwrap();
    sent_then_closed(server.addrs[2], &hello, "a ClientHello without a header");
    let name = "switchyard_proxy_header_refused_total{reason=\"malformed\"}";
    wait_for(Duration::from_secs(10), "the missing header counted", || metric_at(admin, name) == 1);
    assert_eq!(metric_at(admin, "switchyard_connections_closed_total{reason=\"proxy_header\"}"), 1);

    // A header on the plain TLS listener: a version 2 one is not TLS to
    // rustls, and a version 1 one reads as clear text.
    let mut c = connect(server.addrs[1]);
    c.write_all(&v2_proxy("192.0.2.1:1".parse().unwrap(), "127.0.0.1:6379".parse().unwrap())).unwrap();
    let mut alert = Vec::new();
    let _ = c.read_to_end(&mut alert);
    assert_eq!(alert.first(), Some(&0x15), "a TLS alert, not {alert:?}");
    let failed = "switchyard_tls_handshake_failures_total{reason=\"protocol\"}";
    wait_for(Duration::from_secs(10), "the bad TLS counted", || metric_at(admin, failed) == 1);
    let mut c = connect(server.addrs[1]);
    c.write_all(b"PROXY TCP4 192.0.2.1 127.0.0.1 1 6379\r\n").unwrap();
    let mut answer = String::new();
    let _ = c.read_to_string(&mut answer);
    assert!(answer.starts_with("-ERR"), "{answer:?}");
    let plain = "switchyard_tls_handshake_failures_total{reason=\"plain_text\"}";
    wait_for(Duration::from_secs(10), "the clear text counted", || metric_at(admin, plain) == 1);
    // Nothing of it reached the service; the listeners still serve.
    assert_eq!(
        tls_client_addr(tls_after_header(server.addrs[2], &pki, b"PROXY TCP4 192.0.2.9 127.0.0.1 9 6379\r\n", true)),
        "192.0.2.9:9"
    );
    assert!(server.stop().success());
}

#[test]
fn chat_over_tls_behind_a_header_shows_the_carried_address_in_whois() {
    let pki = crate::tls::Pki::new("proxy-chat");
    let (cert, key) = (pki.cert.to_str().unwrap(), pki.key.to_str().unwrap());
    let server = Server::start(
        &[
            "serve",
            "chat",
            "--listen",
            "127.0.0.1:0",
            "--tls-proxy-listen",
            "127.0.0.1:0",
            "--tls-cert",
            cert,
            "--tls-key",
            key,
            "--workers",
            "2",
        ],
        2,
    );
    let header = v2_proxy("[2001:db8::77]:7000".parse().unwrap(), "[::1]:6697".parse().unwrap());
    let tls = tls_after_header(server.addrs[1], &pki, &header, true);
    assert_whois_host(&server, tls, b"", ["dave", "Dave"], "2001:db8::77");
    assert!(server.stop().success());
}

#[test]
fn a_live_upgrade_and_socket_activation_keep_a_listener_that_takes_a_header_then_tls() {
    let pki = crate::tls::Pki::new("proxy-upgrade");
    let header = b"PROXY TCP4 192.0.2.44 127.0.0.1 1044 6379\r\n";
    let (cert, key) = (pki.cert.to_str().unwrap(), pki.key.to_str().unwrap());
    let mut old = Server::start(
        &[
            "serve",
            "kv",
            "--tls-proxy-listen",
            "127.0.0.1:0",
            "--tls-cert",
            cert,
            "--tls-key",
            key,
            "--protected-mode",
            "no",
            "--log-level",
            "info",
        ],
        1,
    );
    let addr = old.addrs[0];
    old.signal(libc::SIGUSR2);
    assert_eq!(old.wait(Duration::from_secs(30)).code(), Some(0), "{}", old.stderr());
    let log = old.stderr();
    let new_pid = crate::activation::logged_pid(&log, "the new process is ready").unwrap_or_else(|| panic!("{log}"));
    // The new process reads the header, then TLS, on the handed-over socket.
    assert_eq!(tls_client_addr(tls_after_header(addr, &pki, header, true)), "192.0.2.44:1044");
    sent_then_closed(addr, b"PING\r\n", "no header after the upgrade");
    // SAFETY: kill(2) of the process the old server started.
    assert_eq!(unsafe { libc::kill(new_pid as i32, libc::SIGTERM) }, 0);
    crate::activation::wait_gone(new_pid, Duration::from_secs(30));

    // systemd's socket named `tls-proxy` (FileDescriptorName=tls-proxy).
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let server = crate::activation::start_activated_as(
        &listener,
        "tls-proxy",
        &["serve", "kv", "--tls-cert", cert, "--tls-key", key, "--protected-mode", "no"],
    );
    let addr = listener.local_addr().unwrap();
    assert_eq!(tls_client_addr(tls_after_header(addr, &pki, header, false)), "192.0.2.44:1044");
    sent_then_closed(addr, b"PING\r\n", "no header on the tls-proxy socket");
    assert!(server.stop().success());
}

#[test]
fn haproxy_in_tcp_mode_sends_the_header_before_the_client_s_tls() {
    let haproxy = "/usr/sbin/haproxy";
    assert!(std::path::Path::new(haproxy).exists(), "haproxy is not installed (scripts/test installs it)");
    let pki = crate::tls::Pki::new("proxy-haproxy");
    let server = kv_tls(&pki, &[]);
    let front = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let cfg = pki.dir.join("haproxy.cfg");
    std::fs::write(
        &cfg,
        format!(
            "global\n  maxconn 100\ndefaults\n  mode tcp\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\n\
             frontend kv\n  bind {front}\n  default_backend instances\n\
             backend instances\n  server s1 {} send-proxy-v2\n",
            server.addrs[2]
        ),
    )
    .unwrap();
    /// Stops HAProxy by its pid, even when an assertion fails.
    struct Balancer(std::process::Child);
    impl Drop for Balancer {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _balancer = Balancer(
        std::process::Command::new(haproxy)
            .args(["-db", "-f", cfg.to_str().unwrap()])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for(Duration::from_secs(10), "HAProxy listening", || TcpStream::connect(front).is_ok());
    // redis-cli's TLS, end to end through the balancer.
    let out = std::process::Command::new("redis-cli")
        .args(["--tls", "--cacert", pki.ca.to_str().unwrap(), "-h", "localhost", "-p", &front.port().to_string()])
        .args(["SET", "through", "haproxy"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "OK", "{}", String::from_utf8_lossy(&out.stderr));
    // A client on 127.0.0.3 is seen there, not at HAProxy's address.
    let sock = socket2_bound_connect("127.0.0.3".parse().unwrap(), front);
    let local = sock.local_addr().unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut s = rustls::StreamOwned::new(rustls::ClientConnection::new(pki.client(), name).unwrap(), sock);
    while s.conn.is_handshaking() {
        s.conn.complete_io(&mut s.sock).unwrap();
    }
    assert_eq!(tls_client_addr(s), local.to_string());
    // (The probe that waited for HAProxy's port may have sent one more.)
    assert!(metric_at(server.addrs[3], "switchyard_proxy_headers_total{command=\"proxy\"}") >= 2);
    assert!(server.stop().success());
}

/// A connection to `to` from the address `from` (port chosen by the kernel).
fn socket2_bound_connect(from: std::net::IpAddr, to: SocketAddr) -> TcpStream {
    // SAFETY: plain socket(2), bind(2) and connect(2) on a descriptor this
    // function owns; it becomes the TcpStream's.
    unsafe {
        use std::os::fd::FromRawFd;
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        assert!(fd >= 0);
        let stream = TcpStream::from_raw_fd(fd);
        let std::net::IpAddr::V4(from) = from else { panic!("IPv4 only") };
        let SocketAddr::V4(to) = to else { panic!("IPv4 only") };
        let sin = |ip: std::net::Ipv4Addr, port: u16| libc::sockaddr_in {
            sin_family: libc::AF_INET as libc::sa_family_t,
            sin_port: port.to_be(),
            sin_addr: libc::in_addr { s_addr: u32::from(ip).to_be() },
            sin_zero: [0; 8],
        };
        let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        let a = sin(from, 0);
        assert_eq!(libc::bind(fd, (&raw const a).cast(), len), 0, "{}", std::io::Error::last_os_error());
        let b = sin(*to.ip(), to.port());
        assert_eq!(libc::connect(fd, (&raw const b).cast(), len), 0, "{}", std::io::Error::last_os_error());
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        stream
    }
}

#[test]
fn protected_mode_refuses_a_carried_remote_address_over_tls_with_its_reply() {
    let pki = crate::tls::Pki::new("proxy-protected");
    let (cert, key) = (pki.cert.to_str().unwrap(), pki.key.to_str().unwrap());
    let server =
        Server::start(&["serve", "kv", "--tls-proxy-listen", "127.0.0.1:0", "--tls-cert", cert, "--tls-key", key], 1);
    let s = tls_after_header(server.addrs[0], &pki, b"PROXY TCP4 192.0.2.50 127.0.0.1 1 6379\r\n", true);
    let mut r = BufReader::new(s);
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    assert!(line.starts_with("-DENIED"), "{line:?}");
    assert!(server.stop().success());
}
