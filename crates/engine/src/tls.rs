//! TLS on a connection: a rustls server session between the socket and the
//! service, run by the connection's I/O loop.
//!
//! The loop reads ciphertext from the socket into its scratch buffer and
//! hands it to [`Tls::receive`], which appends the plaintext to the
//! connection's input: the service never sees a record. On the way out,
//! [`Tls::write_to`] encrypts the connection's [`Output`] a bounded piece at
//! a time (at most [`SENDABLE_BYTES`] of records wait in the session), so a
//! file range or a shared buffer is read as the socket takes it, never
//! whole: `sendfile(2)` cannot serve TLS, but memory stays bounded.
//!
//! Invariants: plaintext goes into the session only once the handshake is
//! done (before it, the output waits in the `Output`, where the output
//! limits see it); a session that failed sends its alert and nothing else;
//! `close_notify` is sent at most once.

use std::io::{self, IoSlice, Read, Write};
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Instant;

use rustls::{HandshakeKind, ProtocolVersion, ServerConfig, ServerConnection};

use crate::output::{Output, Written};
use crate::sys;

/// Most bytes of records waiting in a session to be written: the memory a
/// TLS connection adds to its output, whatever the output's size.
pub const SENDABLE_BYTES: usize = 64 << 10;
/// Most bytes one `write_to` call sends (as for clear-text output).
const WRITE_BUDGET_BYTES: usize = 1 << 20;

/// Where a connection's TLS session is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Nothing received yet: the first byte tells a TLS client from a
    /// clear-text one.
    Fresh,
    /// The handshake is under way.
    Handshaking,
    /// The handshake is done: records carry the service's bytes.
    Established,
    /// The handshake or a record failed; the session's alert is all that
    /// is left to send.
    Failed,
    /// `close_notify` was sent.
    Closed,
}

/// Why a handshake failed; the label of `switchyard_tls_handshake_failures_total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// Not finished within `request_timeout`.
    Timeout,
    /// A clear-text request on a TLS listener (answered in clear text).
    PlainText,
    /// Bytes that are not TLS, or a malformed or out-of-order message.
    Protocol,
    /// No protocol version, cipher suite or ALPN protocol in common.
    Incompatible,
    /// The client's certificate was missing or refused.
    ClientCertificate,
    /// The client sent an alert (it refused our certificate, say).
    AlertReceived,
    /// The client closed the connection before the handshake was done.
    Closed,
    /// Anything else.
    Other,
}

impl Failure {
    /// Every failure, in a fixed order (for metrics).
    pub const ALL: [Failure; 8] = [
        Failure::Timeout,
        Failure::PlainText,
        Failure::Protocol,
        Failure::Incompatible,
        Failure::ClientCertificate,
        Failure::AlertReceived,
        Failure::Closed,
        Failure::Other,
    ];

    /// A short snake_case label.
    pub fn as_str(self) -> &'static str {
        match self {
            Failure::Timeout => "timeout",
            Failure::PlainText => "plain_text",
            Failure::Protocol => "protocol",
            Failure::Incompatible => "incompatible",
            Failure::ClientCertificate => "client_certificate",
            Failure::AlertReceived => "alert_received",
            Failure::Closed => "closed",
            Failure::Other => "other",
        }
    }

    fn of(e: &rustls::Error) -> Failure {
        use rustls::Error as E;
        match e {
            E::InappropriateMessage { .. }
            | E::InappropriateHandshakeMessage { .. }
            | E::InvalidMessage(_)
            | E::PeerMisbehaved(_)
            | E::DecryptError => Failure::Protocol,
            E::PeerIncompatible(_) | E::NoApplicationProtocol => Failure::Incompatible,
            E::NoCertificatesPresented | E::InvalidCertificate(_) => Failure::ClientCertificate,
            E::AlertReceived(_) => Failure::AlertReceived,
            _ => Failure::Other,
        }
    }
}

/// The TLS counters, shared by every loop.
#[derive(Default)]
pub struct Stats {
    /// Handshakes completed, by protocol version: TLS 1.2, TLS 1.3.
    done: [AtomicU64; 2],
    /// Of those, sessions resumed (a ticket or a session id).
    resumed: AtomicU64,
    /// Handshakes failed, by [`Failure`].
    failed: [AtomicU64; Failure::ALL.len()],
}

impl Stats {
    /// Counts a failed handshake.
    pub fn failed(&self, why: Failure) {
        let i = Failure::ALL.iter().position(|&f| f == why).unwrap_or(0);
        self.failed[i].fetch_add(1, Relaxed);
    }

    /// Handshakes failed for `why`.
    pub fn failed_count(&self, why: Failure) -> u64 {
        let i = Failure::ALL.iter().position(|&f| f == why).unwrap_or(0);
        self.failed[i].load(Relaxed)
    }

    /// Handshakes completed with TLS 1.3 (`true`) or TLS 1.2.
    pub fn done_count(&self, tls13: bool) -> u64 {
        self.done[usize::from(tls13)].load(Relaxed)
    }

    /// Handshakes that resumed a session.
    pub fn resumed_count(&self) -> u64 {
        self.resumed.load(Relaxed)
    }

    fn done(&self, session: &ServerConnection) {
        let i = usize::from(session.protocol_version() == Some(ProtocolVersion::TLSv1_3));
        self.done[i].fetch_add(1, Relaxed);
        if session.handshake_kind() == Some(HandshakeKind::Resumed) {
            self.resumed.fetch_add(1, Relaxed);
        }
    }

    /// Appends the counters in the Prometheus text format.
    pub fn render(&self, out: &mut String) {
        use std::fmt::Write as _;
        let name = "switchyard_tls_handshakes_total";
        let _ = writeln!(out, "# HELP {name} TLS handshakes completed, by protocol version.\n# TYPE {name} counter");
        for (i, version) in ["TLSv1.2", "TLSv1.3"].iter().enumerate() {
            let _ = writeln!(out, "{name}{{version=\"{version}\"}} {}", self.done[i].load(Relaxed));
        }
        let name = "switchyard_tls_resumed_total";
        let _ = writeln!(out, "# HELP {name} TLS handshakes that resumed a session.\n# TYPE {name} counter");
        let _ = writeln!(out, "{name} {}", self.resumed.load(Relaxed));
        let name = "switchyard_tls_handshake_failures_total";
        let _ = writeln!(out, "# HELP {name} TLS handshakes failed, by reason.\n# TYPE {name} counter");
        for f in Failure::ALL {
            let _ = writeln!(out, "{name}{{reason=\"{}\"}} {}", f.as_str(), self.failed_count(f));
        }
    }
}

/// What [`Tls::receive`] made of the bytes it was given.
#[derive(Debug, PartialEq, Eq)]
pub enum Received {
    /// Records went in; `plaintext` bytes came out for the service.
    /// `established`: this call finished the handshake. `closed`: the
    /// client sent its `close_notify`.
    Records { plaintext: usize, established: bool, closed: bool },
    /// The first bytes are a clear-text request, not a ClientHello.
    PlainText,
    /// The handshake or a record failed; the session's alert is queued.
    Failed(Failure, String),
}

/// A connection's TLS session.
pub struct Tls {
    session: ServerConnection,
    phase: Phase,
    /// The handshake was done at some point (a failure after it is a
    /// record's, not the handshake's).
    established: bool,
    /// When the handshake's time began (the connection was accepted).
    pub since: Instant,
}

impl Tls {
    /// A session for a connection accepted at `now`.
    ///
    /// # Errors
    ///
    /// rustls's, for a configuration it cannot serve with.
    pub fn new(config: Arc<ServerConfig>, now: Instant) -> Result<Tls, rustls::Error> {
        let mut session = ServerConnection::new(config)?;
        session.set_buffer_limit(Some(SENDABLE_BYTES));
        Ok(Tls { session, phase: Phase::Fresh, established: false, since: now })
    }

    /// The session is over: nothing but a queued alert leaves it.
    pub fn fail(&mut self) {
        self.phase = Phase::Failed;
    }

    /// The handshake was done at some point.
    pub fn was_established(&self) -> bool {
        self.established
    }

    /// The handshake is not done (nor failed).
    pub fn handshaking(&self) -> bool {
        matches!(self.phase, Phase::Fresh | Phase::Handshaking)
    }

    /// Records (or an alert) wait to be written.
    pub fn wants_write(&self) -> bool {
        self.session.wants_write()
    }

    /// The loop may put the service's output into records.
    pub fn carries_output(&self) -> bool {
        self.phase == Phase::Established
    }

    /// Takes ciphertext read from the socket; appends the plaintext in it
    /// to `input`. Counts a completed handshake in `stats`.
    pub fn receive(&mut self, mut raw: &[u8], input: &mut Vec<u8>, stats: &Stats) -> Received {
        if self.phase == Phase::Fresh {
            if raw.first().is_some_and(|&b| looks_plain(b)) {
                self.phase = Phase::Failed;
                return Received::PlainText;
            }
            self.phase = Phase::Handshaking;
        }
        if !matches!(self.phase, Phase::Handshaking | Phase::Established) {
            return Received::Records { plaintext: 0, established: false, closed: false };
        }
        let (mut plaintext, mut established, mut closed) = (0, false, false);
        while !raw.is_empty() {
            if let Err(e) = self.session.read_tls(&mut raw) {
                self.phase = Phase::Failed;
                return Received::Failed(Failure::Protocol, e.to_string());
            }
            let state = match self.session.process_new_packets() {
                Ok(state) => state,
                Err(e) => {
                    self.phase = Phase::Failed;
                    return Received::Failed(Failure::of(&e), e.to_string());
                }
            };
            let n = state.plaintext_bytes_to_read();
            if n > 0 {
                let at = input.len();
                input.resize(at + n, 0);
                // The session has exactly `n` bytes of plaintext.
                let got = self.session.reader().read(&mut input[at..]).unwrap_or(0);
                input.truncate(at + got);
                plaintext += got;
            }
            closed |= state.peer_has_closed();
            if self.phase == Phase::Handshaking && !self.session.is_handshaking() {
                self.phase = Phase::Established;
                self.established = true;
                established = true;
                stats.done(&self.session);
            }
        }
        Received::Records { plaintext, established, closed }
    }

    /// Writes pending records to `fd`, putting more of `out` into records
    /// as the socket takes them, up to a per-call budget. `Written` counts
    /// bytes on the wire; `All` means the output and the session are empty.
    ///
    /// # Errors
    ///
    /// The write's error other than `WouldBlock`; `UnexpectedEof` when a
    /// file range ends early.
    pub fn write_to(&mut self, fd: RawFd, out: &mut Output) -> io::Result<Written> {
        let mut sent = 0;
        loop {
            while self.session.wants_write() {
                match self.session.write_tls(&mut Socket(fd)) {
                    Ok(n) => sent += n,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(Written::Partial(sent)),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            if !self.carries_output() || out.is_empty() || sent >= WRITE_BUDGET_BYTES {
                break;
            }
            let session = &mut self.session;
            let took = out.drain_into(SENDABLE_BYTES, &mut |bytes| session.writer().write(bytes).unwrap_or(0))?;
            if took == 0 {
                break;
            }
        }
        let done = out.is_empty() || !self.carries_output();
        Ok(if done && !self.session.wants_write() { Written::All(sent) } else { Written::Partial(sent) })
    }

    /// Queues `close_notify` once, and writes what the socket takes of it
    /// (a few dozen bytes: the output before it is written already).
    pub fn close_notify(&mut self, fd: RawFd) {
        if self.phase != Phase::Established {
            return;
        }
        self.phase = Phase::Closed;
        self.session.send_close_notify();
        while self.session.wants_write() {
            match self.session.write_tls(&mut Socket(fd)) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return,
            }
        }
    }

    /// The protocol the client and the server agreed on by ALPN.
    pub fn alpn(&self) -> Option<&[u8]> {
        self.session.alpn_protocol()
    }
}

/// A first byte that begins a clear-text request rather than a TLS record
/// (a record starts with its content type, 20 to 24, and an SSLv2-style
/// ClientHello with a length byte of 0x80 or more): a letter, as every
/// HTTP method, Redis inline command and IRC command begins, or `*`, a
/// RESP array.
fn looks_plain(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'*'
}

/// A socket as rustls's writer: `sendmsg` without `SIGPIPE`.
struct Socket(RawFd);

impl Write for Socket {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        sys::sendmsg(self.0, &[buf])
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let mut slices: [&[u8]; 16] = [&[]; 16];
        let n = bufs.len().min(slices.len());
        for (slot, buf) in slices.iter_mut().zip(bufs) {
            *slot = buf;
        }
        sys::sendmsg(self.0, &slices[..n])
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clear_text_requests_are_told_from_tls_records() {
        for first in [b'G', b'P', b'*', b'N', b'h'] {
            assert!(looks_plain(first), "{}", first as char);
        }
        for first in [0x16, 0x15, 0x17, 0x80, 0x00, b'\r'] {
            assert!(!looks_plain(first), "{first:#x}");
        }
    }
}
