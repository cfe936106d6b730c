//! TLS listeners: a rustls client against the engine, per backend and
//! response mode, with certificates made at test time.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConfig, StreamOwned};
use switchyard_engine::{poller::Kind, Config, ConnInfo, Cx, Output, Respond, Service, SharedBytes};

use crate::support::{connect, wait_for, Echo, Running, BACKENDS};

/// A self-signed certificate for `localhost`: the server's settings and a
/// client that trusts it.
fn configs() -> (Arc<ServerConfig>, Arc<ClientConfig>) {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap().self_signed(&key).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let der: CertificateDer<'static> = cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let server = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![der.clone()], key)
        .unwrap();
    let mut roots = RootCertStore::empty();
    roots.add(der).unwrap();
    let client = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    (Arc::new(server), Arc::new(client))
}

type Tls = StreamOwned<ClientConnection, std::net::TcpStream>;

fn tls_connect(addr: SocketAddr, client: &Arc<ClientConfig>) -> Tls {
    let name = ServerName::try_from("localhost").unwrap();
    StreamOwned::new(ClientConnection::new(client.clone(), name).unwrap(), connect(addr))
}

/// Starts `service` with a TLS listener (and the usual clear-text one);
/// returns the server and the TLS address.
fn start<S: Service>(
    service: S,
    poller: Kind,
    tweak: impl FnOnce(&mut Config),
) -> (Running, SocketAddr, Arc<ClientConfig>) {
    let (server, client) = configs();
    let running = Running::start(service, poller, |c| {
        c.tls_listen = vec!["127.0.0.1:0".parse().unwrap()];
        c.tls = Some(server);
        tweak(c);
    });
    let addr = running.tls_addr.expect("a TLS listener");
    (running, addr, client)
}

#[test]
fn a_megabyte_echoes_through_tls_with_every_backend_and_response_mode() {
    let data: Vec<u8> = (0..1u32 << 20).map(|i| (i % 251) as u8).collect();
    for poller in BACKENDS {
        for (respond, workers) in [(Respond::Loop, 2), (Respond::Direct, 2), (Respond::Loop, 0)] {
            let (server, addr, client) = start(Echo, poller, |c| {
                c.respond = respond;
                c.workers = workers;
            });
            let mut s = tls_connect(addr, &client);
            let mut got = Vec::with_capacity(data.len());
            for piece in data.chunks(64 << 10) {
                s.write_all(piece).unwrap();
                let at = got.len();
                got.resize(at + piece.len(), 0);
                s.read_exact(&mut got[at..]).unwrap();
            }
            assert!(got == data, "{poller:?} {respond:?} workers={workers}: the echo is whole and in order");
            // The clear-text listener beside it still speaks clear text.
            let mut plain = server.connect();
            plain.write_all(b"clear").unwrap();
            let mut five = [0; 5];
            plain.read_exact(&mut five).unwrap();
            assert_eq!(&five, b"clear");
            drop(s);
            server.stop();
        }
    }
}

/// On `go\n`: bytes, a shared buffer, a file range and bytes again.
struct Mixed {
    shared: SharedBytes,
    file: Arc<std::fs::File>,
}

const SHARED_BYTES: usize = 100_000;
const FILE_BYTES: u64 = 300_000;

impl Service for Mixed {
    type State = ();

    fn open(&self, _: &ConnInfo) {}

    fn handle(&self, _: &mut (), cx: &mut Cx<'_>) {
        while cx.input().starts_with(b"go\n") {
            cx.consume(3);
            let out: &mut Output = cx.out();
            out.extend_from_slice(b"<");
            out.push_shared(self.shared.clone(), 1..SHARED_BYTES);
            out.push_file(self.file.clone(), 7, FILE_BYTES - 7);
            out.extend_from_slice(b">");
        }
    }
}

#[test]
fn shared_buffers_and_file_ranges_are_encrypted_in_order() {
    let path = std::env::temp_dir().join(format!("switchyard-engine-tls-{}", std::process::id()));
    let file_bytes: Vec<u8> = (0..FILE_BYTES).map(|i| (i % 241) as u8).collect();
    std::fs::write(&path, &file_bytes).unwrap();
    let shared_bytes: Vec<u8> = (0..SHARED_BYTES).map(|i| (i % 239) as u8).collect();
    let mut want = b"<".to_vec();
    want.extend_from_slice(&shared_bytes[1..]);
    want.extend_from_slice(&file_bytes[7..]);
    want.push(b'>');
    for poller in BACKENDS {
        let service =
            Mixed { shared: Arc::new(shared_bytes.clone()), file: Arc::new(std::fs::File::open(&path).unwrap()) };
        let (server, addr, client) = start(service, poller, |_| {});
        let mut s = tls_connect(addr, &client);
        s.write_all(b"go\ngo\ngo\n").unwrap();
        let mut got = vec![0; want.len() * 3];
        s.read_exact(&mut got).unwrap();
        for (i, part) in got.chunks(want.len()).enumerate() {
            assert!(part == &want[..], "{poller:?}: reply {i}");
        }
        drop(s);
        server.stop();
    }
    let _ = std::fs::remove_file(path);
}

#[test]
fn a_stalled_handshake_does_not_stall_the_others_and_times_out() {
    for poller in BACKENDS {
        let (server, addr, client) = start(Echo, poller, |c| c.request_timeout = Some(Duration::from_millis(300)));
        let mut stalled = connect(addr);
        stalled.write_all(&[0x16, 0x03, 0x01, 0x01, 0x00, 0x01]).unwrap();
        let mut s = tls_connect(addr, &client);
        s.write_all(b"ping").unwrap();
        let mut four = [0; 4];
        s.read_exact(&mut four).unwrap();
        assert_eq!(&four, b"ping");
        let mut rest = Vec::new();
        let _ = stalled.read_to_end(&mut rest);
        assert!(rest.is_empty(), "{poller:?}: closed without a word: {rest:?}");
        let m = server.control.clone();
        wait_for(Duration::from_secs(10), "the timeout counted", || {
            let mut text = String::new();
            m.metrics().render(&mut text);
            text.contains("switchyard_tls_handshake_failures_total{reason=\"timeout\"} 1")
        });
        drop(s);
        server.stop();
    }
}

#[test]
fn a_graceful_shutdown_ends_tls_connections_with_close_notify() {
    for poller in BACKENDS {
        let (server, addr, client) = start(Echo, poller, |_| {});
        let mut s = tls_connect(addr, &client);
        s.write_all(b"last words").unwrap();
        let mut got = [0; 10];
        s.read_exact(&mut got).unwrap();
        let stopping = std::thread::spawn(move || server.stop());
        let mut rest = Vec::new();
        // A bare EOF without close_notify would be an error here.
        s.read_to_end(&mut rest).unwrap();
        assert!(rest.is_empty());
        assert_eq!(stopping.join().unwrap().forced, 0);
    }
}
