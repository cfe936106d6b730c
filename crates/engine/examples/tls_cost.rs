//! What TLS costs the thread that runs it, measured in memory (no
//! sockets, no other work): the server side's CPU time for one handshake
//! (ECDSA P-256, *ring*; TLS 1.3 full, TLS 1.2 full, TLS 1.3 resumed with
//! a ticket) and for a MiB of records each way (16 KiB records, the
//! suite a client negotiates first: AES-256-GCM). These are the costs the
//! I/O loop pays on a TLS listener, and what moving the handshake or the
//! records to the workers would move (see docs/architecture.md, "Where
//! the TLS work runs").
//!
//! Only the server's calls are timed, with the thread's CPU clock
//! (`CLOCK_THREAD_CPUTIME_ID`); the client's half runs on the same thread
//! untimed.
//!
//! usage: cargo run --release -p switchyard-engine --example tls_cost [HANDSHAKES] [MIB]

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

use rustls::client::Resumption;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, HandshakeKind, RootCertStore, ServerConfig, ServerConnection};

/// CPU time this thread has used, from `clock_gettime(2)`.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes the timespec it is given and nothing else.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime: {}", std::io::Error::last_os_error());
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// The server's CPU time so far.
#[derive(Default)]
struct Meter(Duration);

impl Meter {
    fn time<T>(&mut self, f: impl FnOnce() -> T) -> T {
        let start = thread_cpu();
        let out = f();
        self.0 += thread_cpu() - start;
        out
    }
}

/// Moves the client's pending records to the server (timed: the server
/// reads and processes them) and the server's to the client (the
/// server's writing timed), until neither has anything to say.
fn exchange(client: &mut ClientConnection, server: &mut ServerConnection, meter: &mut Meter) {
    loop {
        let mut to_server = Vec::new();
        while client.wants_write() {
            client.write_tls(&mut to_server).unwrap();
        }
        if !to_server.is_empty() {
            meter.time(|| {
                let mut rd = &to_server[..];
                while !rd.is_empty() {
                    server.read_tls(&mut rd).unwrap();
                    server.process_new_packets().unwrap();
                }
            });
        }
        let mut to_client = Vec::new();
        meter.time(|| {
            while server.wants_write() {
                server.write_tls(&mut to_client).unwrap();
            }
        });
        if to_server.is_empty() && to_client.is_empty() {
            return;
        }
        let mut rd = &to_client[..];
        while !rd.is_empty() {
            client.read_tls(&mut rd).unwrap();
            client.process_new_packets().unwrap();
        }
    }
}

fn connect(client: &Arc<ClientConfig>, server: &Arc<ServerConfig>) -> (ClientConnection, ServerConnection) {
    let name = ServerName::try_from("localhost").unwrap();
    (ClientConnection::new(client.clone(), name).unwrap(), ServerConnection::new(server.clone()).unwrap())
}

/// The server's mean CPU time per handshake, after checking each was of
/// the kind expected.
fn handshakes(n: usize, client: &Arc<ClientConfig>, server: &Arc<ServerConfig>, kind: HandshakeKind) -> Duration {
    // One untimed first handshake: warms the caches and, when resuming,
    // leaves the client a ticket.
    let (mut c, mut s) = connect(client, server);
    exchange(&mut c, &mut s, &mut Meter::default());
    let mut meter = Meter::default();
    for _ in 0..n {
        let (mut c, mut s) = meter.time(|| connect(client, server));
        exchange(&mut c, &mut s, &mut meter);
        assert!(!s.is_handshaking() && !c.is_handshaking());
        assert_eq!(s.handshake_kind(), Some(kind));
    }
    meter.0 / n as u32
}

/// The server's CPU time per MiB to encrypt `mib` MiB (as a response
/// body) and to decrypt as much (as a request body).
fn records(mib: usize, client: &Arc<ClientConfig>, server: &Arc<ServerConfig>) -> (Duration, Duration) {
    let (mut c, mut s) = connect(client, server);
    exchange(&mut c, &mut s, &mut Meter::default());
    let piece = vec![0x5a_u8; 16 << 10];
    let mut wire = Vec::with_capacity(64 << 10);
    let mut encrypt = Meter::default();
    for _ in 0..mib * 64 {
        wire.clear();
        encrypt.time(|| {
            s.writer().write_all(&piece).unwrap();
            while s.wants_write() {
                s.write_tls(&mut wire).unwrap();
            }
        });
    }
    let mut decrypt = Meter::default();
    let mut plain = vec![0; 64 << 10];
    for _ in 0..mib * 64 {
        wire.clear();
        c.writer().write_all(&piece).unwrap();
        while c.wants_write() {
            c.write_tls(&mut wire).unwrap();
        }
        decrypt.time(|| {
            let mut rd = &wire[..];
            while !rd.is_empty() {
                s.read_tls(&mut rd).unwrap();
                s.process_new_packets().unwrap();
                while let Ok(n) = s.reader().read(&mut plain) {
                    if n == 0 {
                        break;
                    }
                }
            }
        });
    }
    (encrypt.0 / mib as u32, decrypt.0 / mib as u32)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().map_or(2000, |a| a.parse().expect("HANDSHAKES"));
    let mib: usize = args.next().map_or(256, |a| a.parse().expect("MIB"));

    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let chain = vec![CertificateDer::from(cert.cert.der().to_vec())];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.key_pair.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server_config = |versions: &[&'static rustls::SupportedProtocolVersion]| {
        let mut config = ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(versions)
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain.clone(), key.clone_key())
            .unwrap();
        config.ticketer = rustls::crypto::ring::Ticketer::new().unwrap();
        Arc::new(config)
    };
    let mut roots = RootCertStore::empty();
    roots.add(chain[0].clone()).unwrap();
    let client_config = |versions: &[&'static rustls::SupportedProtocolVersion], resume: bool| {
        let mut config = ClientConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(versions)
            .unwrap()
            .with_root_certificates(roots.clone())
            .with_no_client_auth();
        if !resume {
            config.resumption = Resumption::disabled();
        }
        Arc::new(config)
    };
    let tls13 = &[&rustls::version::TLS13][..];
    let tls12 = &[&rustls::version::TLS12][..];
    let us = |d: Duration| d.as_secs_f64() * 1e6;

    println!("server CPU per handshake ({n} each, ECDSA P-256, X25519, ring):");
    let full13 = handshakes(n, &client_config(tls13, false), &server_config(tls13), HandshakeKind::Full);
    println!("  TLS 1.3 full      {:7.1} us", us(full13));
    let full12 = handshakes(n, &client_config(tls12, false), &server_config(tls12), HandshakeKind::Full);
    println!("  TLS 1.2 full      {:7.1} us", us(full12));
    let resumed = handshakes(n, &client_config(tls13, true), &server_config(tls13), HandshakeKind::Resumed);
    println!("  TLS 1.3 resumed   {:7.1} us", us(resumed));
    let (enc, dec) = records(mib, &client_config(tls13, false), &server_config(tls13));
    println!("server CPU per MiB of records ({mib} MiB each way, 16 KiB records, TLS 1.3):");
    println!("  encrypt (send)    {:7.1} us", us(enc));
    println!("  decrypt (receive) {:7.1} us", us(dec));
}
