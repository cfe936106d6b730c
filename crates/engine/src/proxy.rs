//! The PROXY protocol as the engine reads it: who may send the header, why
//! a header is refused, and one connection's header as it arrives.
//!
//! A connection accepted on a listener with `proxy_protocol` set is not
//! the service's yet. Its first bytes must be a header (version 1 or 2,
//! [`switchyard_codec::proxy`]), which says whose connection the load
//! balancer relays; until the header is whole the connection is in its
//! *preface* (`reactor/preface.rs`), and the service's `open` runs only
//! after it, with the client's address as the peer. A header that is
//! missing, malformed, oversized, cut short by the client's EOF, too slow
//! (`request_timeout`) or sent from an address not in `proxy_from` closes
//! the connection; the service never hears of it.
//!
//! Invariant: the bytes that followed the header in the same reads are
//! kept, in order, and become the connection's first input.

use std::net::{IpAddr, SocketAddr};

use switchyard_codec::proxy::{self, Header, Parse};

/// Bytes read at most per call while a header arrives: a version 2 header
/// with its TLVs fits, and little of what follows is taken along.
pub const HEADER_READ_BYTES: usize = 4096;

/// An address block, `192.0.2.0/24` or `2001:db8::/32` (a bare address is
/// a block of one): where PROXY protocol headers may come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    net: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// `addr` lies in the block. An IPv4 address that reaches an IPv6
    /// socket as `::ffff:a.b.c.d` is taken as the IPv4 address it is.
    pub fn contains(&self, addr: IpAddr) -> bool {
        let addr = match addr {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
            v4 => v4,
        };
        match (self.net, addr) {
            (IpAddr::V4(net), IpAddr::V4(a)) => prefix_eq(&net.octets(), &a.octets(), self.prefix),
            (IpAddr::V6(net), IpAddr::V6(a)) => prefix_eq(&net.octets(), &a.octets(), self.prefix),
            _ => false,
        }
    }
}

/// The first `bits` bits of `a` and `b` are equal.
fn prefix_eq(a: &[u8], b: &[u8], bits: u8) -> bool {
    let (whole, rest) = ((bits / 8) as usize, bits % 8);
    if a[..whole] != b[..whole] {
        return false;
    }
    rest == 0 || {
        let mask = 0xffu8 << (8 - rest);
        a[whole] & mask == b[whole] & mask
    }
}

impl std::str::FromStr for Cidr {
    type Err = String;

    fn from_str(s: &str) -> Result<Cidr, String> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let net: IpAddr = addr.parse().map_err(|_| format!("`{addr}` is not an IP address"))?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => match p.parse::<u8>() {
                Ok(n) if n <= max => n,
                _ => return Err(format!("`/{p}`: the prefix length must be 0 to {max}")),
            },
        };
        Ok(Cidr { net, prefix })
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.net, self.prefix)
    }
}

/// Why a connection's PROXY protocol header was refused; the label of
/// `switchyard_proxy_header_refused_total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Not a header the specification allows (no header at all included).
    Malformed(&'static str),
    /// Longer than a header may be.
    Oversized(&'static str),
    /// The client's EOF, or a reset, before the header was whole.
    Truncated,
    /// Not whole within `request_timeout`.
    Timeout,
    /// From an address outside `proxy_from`.
    Untrusted,
}

impl Refusal {
    /// Every label, in a fixed order (for metrics).
    pub const LABELS: [&'static str; 5] = ["malformed", "oversized", "truncated", "timeout", "untrusted"];

    /// A short snake_case label.
    pub fn as_str(self) -> &'static str {
        Refusal::LABELS[self.index()]
    }

    pub(crate) fn index(self) -> usize {
        match self {
            Refusal::Malformed(_) => 0,
            Refusal::Oversized(_) => 1,
            Refusal::Truncated => 2,
            Refusal::Timeout => 3,
            Refusal::Untrusted => 4,
        }
    }

    /// What went wrong, for the log.
    pub fn detail(self) -> &'static str {
        match self {
            Refusal::Malformed(why) | Refusal::Oversized(why) => why,
            Refusal::Truncated => "the connection ended before the header was whole",
            Refusal::Timeout => "the header was not whole within request_timeout",
            Refusal::Untrusted => "a header from an address outside proxy_from",
        }
    }
}

/// What a header, once whole, makes of a connection.
#[derive(Debug, PartialEq, Eq)]
pub struct Arrived {
    /// The client's address: the header's source, or the real peer for
    /// `LOCAL` (a health check) and `UNKNOWN`.
    pub peer: SocketAddr,
    /// The header carried an address (`PROXY`), rather than `LOCAL`.
    pub proxied: bool,
    /// The bytes that followed the header: the service's first input.
    pub input: Vec<u8>,
}

/// One connection's header, as it arrives in pieces.
#[derive(Debug, Default)]
pub struct HeaderRead {
    /// What arrived so far; never more than a header plus one read.
    buf: Vec<u8>,
}

/// What the bytes so far amount to.
#[derive(Debug, PartialEq, Eq)]
pub enum Progress {
    /// Not whole yet: read more.
    More,
    /// Whole.
    Whole(Arrived),
    /// Refused: close the connection.
    Refused(Refusal),
}

impl HeaderRead {
    /// Takes the next bytes read from a connection whose real peer is
    /// `peer`.
    pub fn feed(&mut self, bytes: &[u8], peer: SocketAddr) -> Progress {
        self.buf.extend_from_slice(bytes);
        match proxy::parse(&self.buf) {
            Parse::Partial => Progress::More,
            Parse::Invalid(why) => Progress::Refused(Refusal::Malformed(why)),
            Parse::Oversized(why) => Progress::Refused(Refusal::Oversized(why)),
            Parse::Done { header, len } => {
                let input = self.buf.split_off(len);
                let (peer, proxied) = match header {
                    Header::Proxied { source, .. } => (source, true),
                    Header::Local => (peer, false),
                };
                Progress::Whole(Arrived { peer: unmapped(peer), proxied, input })
            }
        }
    }
}

/// An IPv4 client that a proxy describes as `::ffff:a.b.c.d` is shown as
/// `a.b.c.d`, as it would be had it connected itself.
fn unmapped(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => SocketAddr::new(IpAddr::V4(v4), addr.port()),
            None => addr,
        },
        IpAddr::V4(_) => addr,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer() -> SocketAddr {
        "127.0.0.1:40000".parse().unwrap()
    }

    #[test]
    fn blocks_contain_what_their_prefix_covers() {
        let table: &[(&str, &str, bool)] = &[
            ("10.0.0.0/8", "10.255.1.2", true),
            ("10.0.0.0/8", "11.0.0.1", false),
            ("192.168.1.128/25", "192.168.1.200", true),
            ("192.168.1.128/25", "192.168.1.127", false),
            ("127.0.0.1", "127.0.0.1", true),
            ("127.0.0.1", "127.0.0.2", false),
            ("0.0.0.0/0", "203.0.113.9", true),
            ("127.0.0.0/8", "::ffff:127.0.0.5", true),
            ("127.0.0.0/8", "::1", false),
            ("2001:db8::/32", "2001:db8:ffff::1", true),
            ("2001:db8::/33", "2001:db8:8000::1", false),
            ("::1", "::1", true),
            ("::/0", "10.0.0.1", false),
        ];
        for &(block, addr, inside) in table {
            let cidr: Cidr = block.parse().unwrap();
            assert_eq!(cidr.contains(addr.parse().unwrap()), inside, "{block} {addr}");
        }
        for bad in ["10.0.0.0/33", "::/129", "10.0.0/8", "10.0.0.0/", "host/8", "10.0.0.0/-1"] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad}");
        }
        assert_eq!("10.1.0.0/16".parse::<Cidr>().unwrap().to_string(), "10.1.0.0/16");
    }

    #[test]
    fn a_header_fed_one_byte_at_a_time_arrives_with_what_follows_it() {
        let bytes = b"PROXY TCP4 192.0.2.7 10.0.0.1 5555 80\r\nGET / HTTP/1.1\r\n";
        let mut read = HeaderRead::default();
        for b in &bytes[..38] {
            assert_eq!(read.feed(std::slice::from_ref(b), peer()), Progress::More);
        }
        let Progress::Whole(arrived) = read.feed(&bytes[38..], peer()) else { panic!("not whole") };
        assert_eq!(arrived.peer, "192.0.2.7:5555".parse().unwrap());
        assert!(arrived.proxied);
        assert_eq!(arrived.input, b"GET / HTTP/1.1\r\n");
    }

    #[test]
    fn local_keeps_the_real_peer_and_mapped_addresses_read_as_ipv4() {
        let mut local = b"\r\n\r\n\0\r\nQUIT\n\x20\x00\x00\x00".to_vec();
        local.extend_from_slice(b"PING\r\n");
        let Progress::Whole(arrived) = HeaderRead::default().feed(&local, peer()) else { panic!() };
        assert_eq!((arrived.peer, arrived.proxied, &arrived.input[..]), (peer(), false, &b"PING\r\n"[..]));
        let six = b"PROXY TCP6 ::ffff:198.51.100.3 ::1 1234 80\r\n";
        let Progress::Whole(arrived) = HeaderRead::default().feed(six, peer()) else { panic!() };
        assert_eq!(arrived.peer, "198.51.100.3:1234".parse().unwrap());
    }

    #[test]
    fn what_is_not_a_header_is_refused_by_kind() {
        let refusal = |b: &[u8]| match HeaderRead::default().feed(b, peer()) {
            Progress::Refused(r) => r.as_str(),
            other => panic!("{other:?}"),
        };
        assert_eq!(refusal(b"GET / HTTP/1.1\r\n"), "malformed");
        assert_eq!(refusal(b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n"), "malformed");
        assert_eq!(refusal(&[b"PROXY UNKNOWN ".as_slice(), &[b'x'; 200]].concat()), "oversized");
        assert_eq!(refusal(b"\r\n\r\n\0\r\nQUIT\n\x21\x11\xff\xff"), "oversized");
        for (i, label) in Refusal::LABELS.iter().enumerate() {
            let r = [
                Refusal::Malformed(""),
                Refusal::Oversized(""),
                Refusal::Truncated,
                Refusal::Timeout,
                Refusal::Untrusted,
            ][i];
            assert_eq!(r.as_str(), *label);
        }
    }
}
