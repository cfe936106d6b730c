//! TLS listeners end to end: certificates made here (a CA, a server
//! certificate for `localhost` and 127.0.0.1, a client certificate), real
//! clients (curl, openssl s_client, redis-cli, redis-py, the `redis`
//! crate, Python's `ssl`, rustls), bad input on the TLS port, the drain and
//! a certificate reload.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};

use crate::admin::get;
use crate::support::{connect, wait_for, Server};

/// A CA and the certificates it signed, as PEM files in a folder of their own.
pub struct Pki {
    pub dir: PathBuf,
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
}

impl Pki {
    /// A fresh CA (ECDSA P-256, as every key here) with a server and a
    /// client certificate.
    pub fn new(name: &str) -> Pki {
        use rcgen::{
            BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose,
        };
        let dir = std::env::temp_dir().join(format!("switchyard-tls-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ca_key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, format!("switchyard test CA {name}"));
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca = params.self_signed(&ca_key).unwrap();
        let issue = |names: Vec<String>, usage: ExtendedKeyUsagePurpose| {
            let key = KeyPair::generate().unwrap();
            let mut params = CertificateParams::new(names).unwrap();
            params.distinguished_name.push(DnType::CommonName, "switchyard test");
            params.extended_key_usages = vec![usage];
            (params.signed_by(&key, &ca, &ca_key).unwrap().pem(), key.serialize_pem())
        };
        let (cert, key) = issue(vec!["localhost".into(), "127.0.0.1".into()], ExtendedKeyUsagePurpose::ServerAuth);
        let (client_cert, client_key) = issue(vec!["client".into()], ExtendedKeyUsagePurpose::ClientAuth);
        let pki = Pki {
            ca: dir.join("ca.pem"),
            cert: dir.join("cert.pem"),
            key: dir.join("key.pem"),
            client_cert: dir.join("client.pem"),
            client_key: dir.join("client-key.pem"),
            dir,
        };
        std::fs::write(&pki.ca, ca.pem()).unwrap();
        std::fs::write(&pki.cert, cert).unwrap();
        std::fs::write(&pki.key, key).unwrap();
        std::fs::write(&pki.client_cert, client_cert).unwrap();
        std::fs::write(&pki.client_key, client_key).unwrap();
        pki
    }

    fn path(p: &Path) -> &str {
        p.to_str().unwrap()
    }

    /// The flags that serve TLS with this certificate.
    pub fn flags(&self) -> Vec<String> {
        ["--tls-listen", "127.0.0.1:0", "--tls-cert", Pki::path(&self.cert), "--tls-key", Pki::path(&self.key)]
            .map(String::from)
            .to_vec()
    }

    /// A rustls client that trusts only this CA.
    pub fn client(&self) -> Arc<ClientConfig> {
        let mut roots = RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(&std::fs::read(&self.ca).unwrap()) {
            roots.add(cert.unwrap()).unwrap();
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        Arc::new(config)
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

type TlsStream = StreamOwned<ClientConnection, TcpStream>;

/// A TLS connection to `addr` as `localhost`, the handshake done.
#[track_caller]
fn tls_connect(addr: SocketAddr, config: &Arc<ClientConfig>) -> TlsStream {
    let sock = connect(addr);
    let name = ServerName::try_from("localhost").unwrap();
    let mut s = StreamOwned::new(ClientConnection::new(config.clone(), name).unwrap(), sock);
    while s.conn.is_handshaking() {
        s.conn.complete_io(&mut s.sock).unwrap();
    }
    s
}

/// Starts `service` with a clear-text listener, a TLS one and the admin
/// listener: `addrs` are [clear, tls, admin].
fn start(service: &str, pki: &Pki, extra: &[&str]) -> Server {
    let mut args: Vec<String> = ["serve", service, "--listen", "127.0.0.1:0"].map(String::from).to_vec();
    args.extend(pki.flags());
    args.extend(["--admin", "127.0.0.1:0", "--workers", "2"].map(String::from));
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Server::start(&args, 3)
}

/// The value of one sample line of `/metrics`.
fn metric(server: &Server, sample: &str) -> u64 {
    let body = get(server.addrs[2], "/metrics").body;
    body.lines()
        .find_map(|l| l.strip_prefix(sample)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("{sample} in /metrics"))
}

#[track_caller]
fn run(cmd: &mut Command) -> (bool, String) {
    let out = cmd.stdin(Stdio::null()).output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

fn url(addr: SocketAddr, path: &str) -> String {
    format!("https://localhost:{}{path}", addr.port())
}

fn curl(pki: &Pki, addr: SocketAddr) -> Command {
    let mut c = Command::new("curl");
    c.args(["-sS", "--max-time", "60", "--cacert", Pki::path(&pki.ca), "--resolve"]);
    c.arg(format!("localhost:{}:127.0.0.1", addr.port()));
    c
}

fn site(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("switchyard-tls-site-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "<p>hello over tls</p>\n").unwrap();
    std::fs::write(dir.join("digits.txt"), "0123456789").unwrap();
    dir
}

#[test]
fn curl_gets_ranges_and_reuses_the_connection_over_https() {
    let pki = Pki::new("curl");
    let root = site("curl");
    let server = start("http", &pki, &["--root", root.to_str().unwrap()]);
    let tls = server.addrs[1];
    let (ok, out) = run(curl(&pki, tls).arg(url(tls, "/index.html")));
    assert!(ok, "{out}");
    assert_eq!(out, "<p>hello over tls</p>\n");
    let (ok, out) = run(curl(&pki, tls).args(["-r", "2-5"]).arg(url(tls, "/digits.txt")));
    assert!(ok && out == "2345", "{out}");
    // Keep-alive: three requests on one connection, one handshake.
    let (ok, out) = run(curl(&pki, tls)
        .args(["-w", "[%{num_connects}]", "--http1.1"])
        .arg(url(tls, "/digits.txt"))
        .arg(url(tls, "/digits.txt"))
        .arg(url(tls, "/index.html")));
    assert!(ok, "{out}");
    assert_eq!(out, "0123456789[1]0123456789[0]<p>hello over tls</p>\n[0]");
    // The clear-text listener still serves in clear.
    let (ok, out) = run(Command::new("curl").args(["-sS", &format!("http://{}/digits.txt", server.addrs[0])]));
    assert!(ok && out == "0123456789", "{out}");
    assert_eq!(metric(&server, "switchyard_tls_handshakes_total{version=\"TLSv1.3\"}"), 3);
    let stats = get(server.addrs[2], "/stats.json").body;
    assert!(
        stats.contains("\"tls\":{\"handshakes\":{\"TLSv1.2\":0,\"TLSv1.3\":3},\"resumed\":0,\"failed\":0}"),
        "{stats}"
    );
    assert_eq!(server.stop().code(), Some(0));
    let _ = std::fs::remove_dir_all(root);
}

#[test]
fn pipelined_requests_over_tls_are_answered_in_order() {
    let pki = Pki::new("pipeline");
    let root = site("pipeline");
    let server = start("http", &pki, &["--root", root.to_str().unwrap()]);
    let mut s = tls_connect(server.addrs[1], &pki.client());
    let mut burst = String::new();
    for i in 0..50 {
        let path = if i % 2 == 0 { "/digits.txt" } else { "/index.html" };
        burst.push_str(&format!("GET {path} HTTP/1.1\r\nHost: t\r\n\r\n"));
    }
    burst.push_str("GET /digits.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    s.write_all(burst.as_bytes()).unwrap();
    let mut all = String::new();
    s.read_to_string(&mut all).expect("the response ends with close_notify, not a bare EOF");
    let bodies: Vec<&str> = all.split("\r\n\r\n").skip(1).map(|b| b.split("HTTP/1.1").next().unwrap()).collect();
    assert_eq!(bodies.len(), 51);
    for (i, body) in bodies.iter().enumerate() {
        let want = if i % 2 == 0 { "0123456789" } else { "<p>hello over tls</p>\n" };
        assert_eq!(*body, want, "response {i}");
    }
    assert_eq!(server.stop().code(), Some(0));
    let _ = std::fs::remove_dir_all(root);
}

#[test]
fn a_large_file_streams_to_a_tls_client_in_bounded_memory() {
    const SIZE: u64 = 256 << 20;
    let pki = Pki::new("large");
    let root = site("large");
    // Sparse: the page cache fills as it is read, not the server's heap.
    std::fs::File::create(root.join("large.bin")).unwrap().set_len(SIZE).unwrap();
    let server = start("http", &pki, &["--root", root.to_str().unwrap()]);
    let before = server.memory("VmRSS");
    let tls = server.addrs[1];
    let (ok, out) =
        run(curl(&pki, tls).args(["-o", "/dev/null", "-w", "%{size_download}"]).arg(url(tls, "/large.bin")));
    assert!(ok, "{out}");
    assert_eq!(out, SIZE.to_string());
    let peak = server.memory("VmHWM");
    assert!(peak < before + (32 << 20), "the server grew from {before} to a peak of {peak} bytes");
    assert_eq!(server.stop().code(), Some(0));
    let _ = std::fs::remove_dir_all(root);
}

/// `openssl s_client` against `addr`, sending `input`; what it printed.
fn s_client(pki: &Pki, addr: SocketAddr, args: &[&str], input: &str) -> String {
    let mut child = Command::new("openssl")
        .args(["s_client", "-connect", &addr.to_string(), "-servername", "localhost", "-CAfile"])
        .arg(&pki.ca)
        .args(["-ign_eof"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("openssl (Debian package openssl; scripts/test installs it)");
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr)
}

#[test]
fn openssl_speaks_tls_1_2_and_1_3_with_alpn_and_resumes_sessions() {
    let pki = Pki::new("openssl");
    let root = site("openssl");
    let server = start("http", &pki, &["--root", root.to_str().unwrap()]);
    let tls = server.addrs[1];
    let request = "GET /digits.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    for version in ["-tls1_2", "-tls1_3"] {
        let sess = pki.dir.join(format!("session{version}"));
        let out = s_client(&pki, tls, &[version, "-alpn", "http/1.1", "-sess_out", Pki::path(&sess)], request);
        let want = if version == "-tls1_2" { "Protocol  : TLSv1.2" } else { "New, TLSv1.3" };
        assert!(out.contains(want), "{version}: {out}");
        assert!(out.contains("Verify return code: 0 (ok)"), "{version}: {out}");
        assert!(out.contains("ALPN protocol: http/1.1"), "{version}: {out}");
        assert!(out.contains("\r\n\r\n0123456789"), "{version}: {out}");
        let out = s_client(&pki, tls, &[version, "-sess_in", Pki::path(&sess)], request);
        assert!(out.contains("Reused, TLSv1."), "{version}: the session resumes: {out}");
        assert!(out.contains("0123456789"), "{version}: {out}");
    }
    // TLS 1.1 and older are refused.
    let out = s_client(&pki, tls, &["-tls1_1"], "");
    assert!(out.contains("Cipher is (NONE)"), "{out}");
    assert_eq!(metric(&server, "switchyard_tls_handshakes_total{version=\"TLSv1.2\"}"), 2);
    assert_eq!(metric(&server, "switchyard_tls_handshakes_total{version=\"TLSv1.3\"}"), 2);
    assert_eq!(metric(&server, "switchyard_tls_resumed_total"), 2);
    assert_eq!(server.stop().code(), Some(0));
    let _ = std::fs::remove_dir_all(root);
}

fn redis_cli(pki: &Pki, addr: SocketAddr, client_cert: bool, args: &[&str]) -> (bool, String) {
    let mut c = Command::new("redis-cli");
    c.args(["--tls", "--cacert", Pki::path(&pki.ca), "-h", "localhost", "-p", &addr.port().to_string()]);
    if client_cert {
        c.args(["--cert", Pki::path(&pki.client_cert), "--key", Pki::path(&pki.client_key)]);
    }
    run(c.args(args))
}

#[test]
fn redis_cli_speaks_to_kv_over_tls_beside_clear_text() {
    let pki = Pki::new("kv");
    let server = start("kv", &pki, &[]);
    let tls = server.addrs[1];
    assert_eq!(redis_cli(&pki, tls, false, &["SET", "k", "over tls"]), (true, "OK\n".into()));
    let clear = server.addrs[0];
    let (ok, out) = run(Command::new("redis-cli").args(["-p", &clear.port().to_string(), "GET", "k"]));
    assert!(ok && out == "over tls\n", "{out}");
    // A pipeline of 1,000 commands through one TLS connection.
    let mut script = String::new();
    for i in 0..1000 {
        script.push_str(&format!("INCR n{}\n", i % 3));
    }
    let mut child = Command::new("redis-cli")
        .args(["--tls", "--cacert", Pki::path(&pki.ca), "-h", "localhost", "-p", &tls.port().to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(script.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1000);
    assert_eq!(redis_cli(&pki, tls, false, &["GET", "n0"]), (true, "334\n".into()));
    // redis-cli without --tls on the TLS port: kv's error, in clear text.
    let (_, out) = run(Command::new("redis-cli").args(["-p", &tls.port().to_string(), "PING"]));
    assert!(out.contains("this port needs TLS"), "{out}");
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn client_certificates_are_required_or_allowed_as_configured() {
    let pki = Pki::new("clientca");
    let ca = Pki::path(&pki.ca);
    let server = start("kv", &pki, &["--tls-client-ca", ca]);
    let tls = server.addrs[1];
    assert_eq!(redis_cli(&pki, tls, true, &["PING"]), (true, "PONG\n".into()));
    let (ok, out) = redis_cli(&pki, tls, false, &["PING"]);
    assert!(!out.contains("PONG"), "no certificate, no service: {ok} {out}");
    wait_for(Duration::from_secs(10), "the refusal counted", || {
        metric(&server, "switchyard_tls_handshake_failures_total{reason=\"client_certificate\"}") == 1
    });
    assert_eq!(server.stop().code(), Some(0));

    let server = start("kv", &pki, &["--tls-client-ca", ca, "--tls-auth-clients", "optional"]);
    let tls = server.addrs[1];
    assert_eq!(redis_cli(&pki, tls, false, &["PING"]), (true, "PONG\n".into()));
    assert_eq!(redis_cli(&pki, tls, true, &["PING"]), (true, "PONG\n".into()));
    // A certificate from another CA is refused even when optional.
    let other = Pki::new("clientca-other");
    let mut c = Command::new("redis-cli");
    c.args(["--tls", "--cacert", ca, "-h", "localhost", "-p", &tls.port().to_string()]);
    c.args(["--cert", Pki::path(&other.client_cert), "--key", Pki::path(&other.client_key), "PING"]);
    let (_, out) = run(&mut c);
    assert!(!out.contains("PONG"), "{out}");
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn an_irc_client_registers_and_talks_over_tls() {
    let pki = Pki::new("chat");
    let server = start("chat", &pki, &[]);
    let script = r#"
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[1])
with socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=10) as raw:
    with ctx.wrap_socket(raw, server_hostname="localhost") as s:
        s.sendall(b"NICK tlsuser\r\nUSER tlsuser 0 * :over tls\r\nJOIN #secure\r\nPRIVMSG #secure :hi\r\nQUIT :bye\r\n")
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        print(s.version())
        print(data.decode())
"#;
    let (ok, out) =
        run(Command::new("python3").args(["-c", script, Pki::path(&pki.ca), &server.addrs[1].port().to_string()]));
    assert!(ok, "{out}");
    assert!(out.starts_with("TLSv1.3"), "{out}");
    assert!(out.contains(" 001 tlsuser "), "{out}");
    assert!(out.contains("JOIN #secure") || out.contains("JOIN :#secure"), "{out}");
    assert!(out.contains("ERROR :Closing Link"), "{out}");
    assert_eq!(server.stop().code(), Some(0));
}

/// Reads until EOF or a reset; what arrived.
fn read_all(s: &mut TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    let _ = s.read_to_end(&mut got);
    got
}

#[test]
fn bad_input_on_a_tls_port_is_answered_and_the_server_keeps_serving() {
    let pki = Pki::new("bad");
    let root = site("bad");
    let server = start("http", &pki, &["--root", root.to_str().unwrap(), "--request-timeout", "1s"]);
    let tls = server.addrs[1];
    // Garbage instead of a ClientHello: a fatal alert record, then the close.
    let mut s = connect(tls);
    s.write_all(&[0x00, 0x01, 0x02, 0x03, 0xff, 0xfe, 0x10, 0x20]).unwrap();
    let got = read_all(&mut s);
    assert_eq!(got.first(), Some(&0x15), "an alert record: {got:?}");
    // A plain HTTP request: nginx's courtesy, a 400 in clear text.
    let mut s = connect(tls);
    s.write_all(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
    let got = String::from_utf8(read_all(&mut s)).unwrap();
    assert!(got.starts_with("HTTP/1.1 400 "), "{got}");
    // A truncated ClientHello, then silence; and a client that says
    // nothing at all: both closed at the request timeout.
    let mut truncated = connect(tls);
    truncated.write_all(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]).unwrap();
    let mut silent = connect(tls);
    // Meanwhile, others are served.
    let (ok, out) = run(curl(&pki, tls).arg(url(tls, "/digits.txt")));
    assert!(ok && out == "0123456789", "{out}");
    // The server closes them (a read that waited for nothing would fail
    // at its own timeout instead).
    read_all(&mut truncated);
    read_all(&mut silent);
    wait_for(Duration::from_secs(10), "both stalled handshakes timed out", || {
        metric(&server, "switchyard_tls_handshake_failures_total{reason=\"timeout\"}") == 2
    });
    assert_eq!(metric(&server, "switchyard_tls_handshake_failures_total{reason=\"protocol\"}"), 1);
    assert_eq!(metric(&server, "switchyard_tls_handshake_failures_total{reason=\"plain_text\"}"), 1);
    assert!(server.stderr().contains("TLS failed"), "a log line says so");
    // Arbitrary bytes, some after a real record header: each connection
    // ends (an alert, a 400 or a close), and the server goes on.
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for i in 0..40 {
        let len = 1 + (next() % 600) as usize;
        let mut bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        if i % 2 == 0 {
            bytes.splice(0..0, [0x16, 0x03, 0x01, (len >> 8) as u8, len as u8]);
        }
        let mut s = connect(tls);
        let _ = s.write_all(&bytes);
        let _ = s.shutdown(std::net::Shutdown::Write);
        read_all(&mut s);
    }
    let (ok, out) = run(curl(&pki, tls).arg(url(tls, "/digits.txt")));
    assert!(ok && out == "0123456789", "{out}");
    assert_eq!(server.stop().code(), Some(0));
    let _ = std::fs::remove_dir_all(root);
}

#[test]
fn a_graceful_shutdown_under_tls_load_answers_everything_received() {
    let pki = Pki::new("drain");
    let server = start("kv", &pki, &[]);
    let config = pki.client();
    let mut clients: Vec<TlsStream> = (0..8).map(|_| tls_connect(server.addrs[1], &config)).collect();
    for c in &mut clients {
        c.write_all(b"PING\r\n").unwrap();
        let mut line = [0; 7];
        c.read_exact(&mut line).unwrap();
        assert_eq!(&line, b"+PONG\r\n");
    }
    for (i, c) in clients.iter_mut().enumerate() {
        let script: String = (0..300).map(|_| format!("INCR c{i}\r\n")).collect();
        c.write_all(script.as_bytes()).unwrap();
    }
    server.signal(libc::SIGTERM);
    for (i, c) in clients.iter_mut().enumerate() {
        let mut all = String::new();
        c.read_to_string(&mut all).unwrap_or_else(|e| panic!("client {i}: {e}: the close comes after close_notify"));
        let replies: Vec<&str> = all.lines().collect();
        assert_eq!(replies.len(), 300, "client {i}: every command sent before the signal is answered");
        for (n, r) in replies.iter().enumerate() {
            assert_eq!(*r, format!(":{}", n + 1), "client {i}");
        }
    }
    let mut server = server;
    assert_eq!(server.wait(Duration::from_secs(30)).code(), Some(0));
}

/// A second CA's server certificate over the first's files.
fn replace_certificate(pki: &Pki, other: &Pki) {
    std::fs::copy(&other.cert, &pki.cert).unwrap();
    std::fs::copy(&other.key, &pki.key).unwrap();
}

#[test]
fn sighup_reloads_the_certificate_under_load_and_keeps_the_old_one_if_the_new_is_bad() {
    let pki = Pki::new("reload");
    let next = Pki::new("reload-next");
    let server = start("kv", &pki, &[]);
    let tls = server.addrs[1];
    let (old, new) = (pki.client(), next.client());
    // Load: established connections keep running through the reload.
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let (stop, done, config) = (stop.clone(), done.clone(), old.clone());
            std::thread::spawn(move || {
                let mut c = BufReader::new(tls_connect(tls, &config));
                let mut line = String::new();
                while !stop.load(Ordering::Relaxed) {
                    c.get_mut().write_all(b"INCR load\r\n").unwrap();
                    line.clear();
                    c.read_line(&mut line).unwrap();
                    assert!(line.starts_with(':'), "{line:?}");
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    wait_for(Duration::from_secs(10), "load", || done.load(Ordering::Relaxed) > 100);
    // A bad file first: the key of another certificate. The old one stays.
    std::fs::copy(&next.key, &pki.key).unwrap();
    server.signal(libc::SIGHUP);
    wait_for(Duration::from_secs(10), "the refusal logged", || {
        server.stderr().contains("the certificate in use stays")
    });
    assert!(server.stderr().contains("does not match"), "{}", server.stderr());
    drop(tls_connect(tls, &old));
    // Then a good pair: new handshakes get it.
    replace_certificate(&pki, &next);
    server.signal(libc::SIGHUP);
    wait_for(Duration::from_secs(10), "the reload logged", || server.stderr().contains("TLS certificate reloaded"));
    let mut s = tls_connect(tls, &new);
    s.write_all(b"PING\r\n").unwrap();
    let mut pong = [0; 7];
    s.read_exact(&mut pong).unwrap();
    assert_eq!(&pong, b"+PONG\r\n");
    let before = done.load(Ordering::Relaxed);
    wait_for(Duration::from_secs(10), "load after the reload", || done.load(Ordering::Relaxed) > before + 100);
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().expect("no connection dropped");
    }
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn check_config_validates_the_certificate_and_key() {
    let pki = Pki::new("check");
    let other = Pki::new("check-other");
    let file = pki.dir.join("switchyard.toml");
    let check = |text: String| {
        std::fs::write(&file, text).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_switchyard")).arg("check-config").arg(&file).output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let conf = |cert: &Path, key: &Path| {
        format!("tls_listen = [\"127.0.0.1:6380\"]\ntls_cert = {:?}\ntls_key = {:?}\n", cert, key)
    };
    let (code, out, err) = check(conf(&pki.cert, &pki.key));
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("tls_listen = [\"127.0.0.1:6380\"]") && out.contains("tls_cert = "), "{out}");
    let (code, _, err) = check(conf(&pki.cert, &other.key));
    assert_eq!(code, Some(2));
    assert!(err.contains("does not match") && err.contains(other.key.to_str().unwrap()), "{err}");
    let (code, _, err) = check(conf(&pki.cert, &pki.dir.join("missing.pem")));
    assert_eq!(code, Some(2));
    assert!(err.contains("missing.pem"), "{err}");
    // Several certificates: one key each, in the same order.
    let both = format!(
        "tls_listen = [\"127.0.0.1:6380\"]\ntls_cert = [{:?}, {:?}]\ntls_key = [{:?}, {:?}]\n",
        pki.cert, other.cert, pki.key, other.key
    );
    let (code, out, err) = check(both);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains(&format!("tls_cert = [{:?}, {:?}]", pki.cert, other.cert)), "{out}");
    let uneven = format!(
        "tls_listen = [\"127.0.0.1:6380\"]\ntls_cert = [{:?}, {:?}]\ntls_key = {:?}\n",
        pki.cert, other.cert, pki.key
    );
    let (code, _, err) = check(uneven);
    assert_eq!(code, Some(2));
    assert!(err.contains("2 TLS certificates (tls_cert) but 1 keys"), "{err}");
    let (code, _, err) = check("tls_listen = [\"127.0.0.1:6380\"]\n".into());
    assert_eq!(code, Some(2));
    assert!(err.contains("tls_cert"), "{err}");

    // Expired, and expiring within 14 days (a warning only).
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["localhost".into()]).unwrap();
    params.not_before = rcgen::date_time_ymd(2001, 1, 1);
    params.not_after = rcgen::date_time_ymd(2002, 1, 1);
    let expired = pki.dir.join("expired.pem");
    std::fs::write(&expired, params.self_signed(&key).unwrap().pem()).unwrap();
    let key_path = pki.dir.join("expired-key.pem");
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    let (code, _, err) = check(conf(&expired, &key_path));
    assert_eq!(code, Some(2));
    assert!(err.contains("expired") && err.contains("expired.pem"), "{err}");
    let soon = pki.dir.join("soon.pem");
    let (ok, out) = run(Command::new("openssl").args(["req", "-x509", "-new", "-key"]).arg(&key_path).args([
        "-days",
        "10",
        "-subj",
        "/CN=localhost",
        "-out",
        soon.to_str().unwrap(),
    ]));
    assert!(ok, "{out}");
    let (code, _, err) = check(conf(&soon, &key_path));
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("warning") && err.contains("expires in"), "{err}");
}

#[test]
fn sni_chooses_among_several_certificates_and_the_first_is_the_default() {
    let pki = Pki::new("sni");
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["*.example.test".to_string()]).unwrap();
    params.distinguished_name.push(rcgen::DnType::CommonName, "the wildcard one");
    let (second, second_key) = (pki.dir.join("second.pem"), pki.dir.join("second-key.pem"));
    std::fs::write(&second, params.self_signed(&key).unwrap().pem()).unwrap();
    std::fs::write(&second_key, key.serialize_pem()).unwrap();
    let server = start("kv", &pki, &["--tls-cert", Pki::path(&second), "--tls-key", Pki::path(&second_key)]);
    let tls = server.addrs[1];
    let subject = |args: &[&str]| {
        let mut c = Command::new("openssl");
        c.args(["s_client", "-connect", &tls.to_string()]).args(args);
        let (_, out) = run(&mut c);
        out.lines().find_map(|l| l.strip_prefix("subject=").map(String::from)).unwrap_or_else(|| panic!("{out}"))
    };
    assert_eq!(subject(&["-servername", "www.example.test"]), "CN = the wildcard one");
    assert_eq!(subject(&["-servername", "WWW.Example.Test"]), "CN = the wildcard one");
    assert_eq!(subject(&["-servername", "localhost"]), "CN = switchyard test");
    assert_eq!(subject(&["-servername", "example.test"]), "CN = switchyard test", "a wildcard covers one label");
    assert_eq!(subject(&["-noservername"]), "CN = switchyard test");
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn a_live_upgrade_hands_the_tls_listener_over_as_tls() {
    let pki = Pki::new("upgrade");
    let mut args: Vec<String> =
        ["serve", "kv", "--listen", "127.0.0.1:0", "--log-level", "info"].map(String::from).to_vec();
    args.extend(pki.flags());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut old = Server::start(&args, 2);
    let (clear, tls) = (old.addrs[0], old.addrs[1]);
    old.signal(libc::SIGUSR2);
    assert_eq!(old.wait(Duration::from_secs(30)).code(), Some(0), "{}", old.stderr());
    let log = old.stderr();
    let new_pid = crate::activation::logged_pid(&log, "the new process is ready").unwrap_or_else(|| panic!("{log}"));
    // Only the new process listens now: TLS on the TLS socket, clear text
    // on the other.
    let mut s = tls_connect(tls, &pki.client());
    s.write_all(b"PING\r\n").unwrap();
    let mut pong = [0; 7];
    s.read_exact(&mut pong).unwrap();
    assert_eq!(&pong, b"+PONG\r\n");
    let mut c = connect(clear);
    c.write_all(b"PING\r\n").unwrap();
    c.read_exact(&mut pong).unwrap();
    assert_eq!(&pong, b"+PONG\r\n");
    drop((s, c));
    // SAFETY: kill(2) of the process the old server started.
    assert_eq!(unsafe { libc::kill(new_pid as i32, libc::SIGTERM) }, 0);
    crate::activation::wait_gone(new_pid, Duration::from_secs(30));
}

#[test]
fn redis_py_speaks_to_kv_over_tls_with_a_client_certificate() {
    let pki = Pki::new("redis-py");
    let server = start("kv", &pki, &["--tls-client-ca", Pki::path(&pki.ca)]);
    let script = r#"
import sys, ssl, redis
ca, cert, key, port = sys.argv[1:5]
r = redis.Redis(host="localhost", port=int(port), ssl=True, ssl_ca_certs=ca, ssl_certfile=cert, ssl_keyfile=key)
assert r.ping() is True
assert r.set("k", "over tls") is True
assert r.get("k") == b"over tls"
p = r.pipeline(transaction=True)
for i in range(100):
    p.incr("n")
assert p.execute()[-1] == 100
bad = redis.Redis(host="localhost", port=int(port), ssl=True, ssl_ca_certs=ca)
try:
    bad.ping()
    raise SystemExit("no certificate, yet answered")
except (redis.exceptions.ConnectionError, ssl.SSLError):
    pass
print("ok")
"#;
    let out = Command::new(crate::kv_hello::redis_py())
        .args(["-c", script, Pki::path(&pki.ca), Pki::path(&pki.client_cert), Pki::path(&pki.client_key)])
        .arg(server.addrs[1].port().to_string())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && text.trim() == "ok", "{text}");
    assert_eq!(server.stop().code(), Some(0));
}

/// A `redis` crate client for kv's TLS listener at `addr`, trusting only
/// the test CA and, with `client_cert`, presenting the client certificate;
/// RESP3 (`HELLO 3` on connect) with `resp3`.
fn redis_rs(pki: &Pki, addr: SocketAddr, client_cert: bool, resp3: bool) -> redis::RedisResult<redis::Connection> {
    let protocol = if resp3 { "?protocol=resp3" } else { "" };
    let url = format!("rediss://localhost:{}/{protocol}", addr.port());
    let client_tls = client_cert.then(|| redis::ClientTlsConfig {
        client_cert: std::fs::read(&pki.client_cert).unwrap(),
        client_key: std::fs::read(&pki.client_key).unwrap(),
    });
    let roots = redis::TlsCertificates { client_tls, root_cert: Some(std::fs::read(&pki.ca).unwrap()) };
    let con = redis::Client::build_with_tls(url, roots)?.get_connection_with_timeout(Duration::from_secs(30))?;
    con.set_read_timeout(Some(Duration::from_secs(30)))?;
    con.set_write_timeout(Some(Duration::from_secs(30)))?;
    Ok(con)
}

#[test]
fn the_redis_crate_speaks_resp2_and_resp3_to_kv_over_tls() {
    use redis::Commands;
    let pki = Pki::new("redis-rs");
    let server = start("kv", &pki, &[]);
    let tls = server.addrs[1];
    for resp3 in [false, true] {
        let mut con = redis_rs(&pki, tls, false, resp3).unwrap();
        let key = if resp3 { "k3" } else { "k2" };
        let _: () = con.set(key, "over tls").unwrap();
        assert_eq!(con.get::<_, String>(key).unwrap(), "over tls");
        // A pipeline of 1,000 commands in one write, answered in order.
        let mut pipe = redis::pipe();
        for i in 0..1000 {
            pipe.cmd("INCR").arg(format!("{key}:n{}", i % 3));
        }
        let counts: Vec<i64> = pipe.query(&mut con).unwrap();
        assert_eq!(counts.len(), 1000);
        assert_eq!(&counts[..6], &[1, 1, 1, 2, 2, 2]);
        assert_eq!(counts[999], 334);
        // A transaction (MULTI ... EXEC) whose replies come back as one.
        let (value, list, len): (String, Vec<String>, i64) = redis::pipe()
            .atomic()
            .cmd("APPEND")
            .arg(key)
            .arg(", twice")
            .ignore()
            .get(key)
            .rpush(format!("{key}:list"), &["a", "b", "c"])
            .ignore()
            .lrange(format!("{key}:list"), 0, -1)
            .llen(format!("{key}:list"))
            .query(&mut con)
            .unwrap();
        assert_eq!((value.as_str(), list, len), ("over tls, twice", vec!["a".into(), "b".into(), "c".into()], 3));
        // A large value: many records each way.
        let big: String = (0..200_000).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
        let _: () = con.set(format!("{key}:big"), &big).unwrap();
        assert_eq!(con.get::<_, String>(format!("{key}:big")).unwrap(), big);
        // The protocol asked for is the one spoken: a hash is a map in RESP3.
        let _: () = con.hset(format!("{key}:h"), "f", "v").unwrap();
        let hash: redis::Value = redis::cmd("HGETALL").arg(format!("{key}:h")).query(&mut con).unwrap();
        assert_eq!(matches!(hash, redis::Value::Map(_)), resp3, "{hash:?}");
    }
    // What one connection wrote, a clear-text client reads back.
    let mut clear = redis::Client::open(format!("redis://{}/", server.addrs[0])).unwrap().get_connection().unwrap();
    assert_eq!(redis::cmd("GET").arg("k2").query::<String>(&mut clear).unwrap(), "over tls, twice");
    assert_eq!(redis::cmd("GET").arg("k3:n0").query::<i64>(&mut clear).unwrap(), 334);
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn the_redis_crate_presents_a_client_certificate_over_tls() {
    let pki = Pki::new("redis-rs-mtls");
    let server = start("kv", &pki, &["--tls-client-ca", Pki::path(&pki.ca)]);
    let mut con = redis_rs(&pki, server.addrs[1], true, true).unwrap();
    assert_eq!(redis::cmd("PING").query::<String>(&mut con).unwrap(), "PONG");
    // Without one, the handshake (or the first reply) fails.
    let refused =
        redis_rs(&pki, server.addrs[1], false, false).and_then(|mut con| redis::cmd("PING").query::<String>(&mut con));
    assert!(refused.is_err(), "{refused:?}");
    assert_eq!(server.stop().code(), Some(0));
}
