//! HAProxy's PROXY protocol, versions 1 (text) and 2 (binary): the header
//! a load balancer puts before a connection's bytes to say whose
//! connection it relays.
//!
//! [`parse`] reads a header from the front of what a connection has sent
//! so far: whole ([`Parse::Done`], with its length to skip), not yet
//! whole ([`Parse::Partial`]: read more), or not a header that the
//! specification allows ([`Parse::Invalid`], [`Parse::Oversized`]: close
//! the connection, as the specification requires). It follows HAProxy's `doc/proxy-protocol.txt`
//! strictly: a version 1 line ends in CR LF within 107 bytes, numbers have
//! no leading zeros, the families match; a version 2 header's command is
//! `LOCAL` or `PROXY` and its family one of those listed, and its TLVs
//! are skipped.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The version 2 signature.
const V2_SIGNATURE: &[u8; 12] = b"\r\n\r\n\0\r\nQUIT\n";
/// The start of a version 1 line.
const V1_PREFIX: &[u8] = b"PROXY ";
/// The longest version 1 line, CR LF included.
const V1_MAX_BYTES: usize = 107;
/// The longest version 2 header accepted: its 16 bytes, the addresses and
/// the TLVs a load balancer adds (ALPN, authority, TLS details, a unique
/// id). Longer ones are refused as oversized.
pub const V2_MAX_BYTES: usize = 16 + 2048;

/// What a header says about the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Header {
    /// The connection relays one from `source` to `destination`.
    Proxied { source: SocketAddr, destination: SocketAddr },
    /// The proxy's own connection (a health check, version 2's `LOCAL`),
    /// or one it cannot describe (`UNKNOWN`, other families): the real
    /// endpoints stand.
    Local,
}

/// How far a header has arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Parse {
    /// A whole header of `len` bytes.
    Done { header: Header, len: usize },
    /// The bytes so far begin a header; more must come.
    Partial,
    /// Not a header the specification allows; why.
    Invalid(&'static str),
    /// A header longer than a version 1 line may be, or than
    /// [`V2_MAX_BYTES`]; why.
    Oversized(&'static str),
}

/// Reads a PROXY protocol header (version 1 or 2) at the front of `buf`.
pub fn parse(buf: &[u8]) -> Parse {
    if buf.len() < V2_SIGNATURE.len() && V2_SIGNATURE.starts_with(buf) && !buf.is_empty() {
        return Parse::Partial;
    }
    if buf.starts_with(V2_SIGNATURE) {
        return parse_v2(buf);
    }
    if buf.len() < V1_PREFIX.len() && V1_PREFIX.starts_with(buf) {
        return Parse::Partial;
    }
    if buf.starts_with(V1_PREFIX) {
        return parse_v1(buf);
    }
    Parse::Invalid("no PROXY protocol header")
}

fn parse_v1(buf: &[u8]) -> Parse {
    let window = &buf[..buf.len().min(V1_MAX_BYTES)];
    let Some(lf) = window.iter().position(|&b| b == b'\n') else {
        return if buf.len() >= V1_MAX_BYTES {
            Parse::Oversized("version 1 line longer than 107 bytes")
        } else {
            Parse::Partial
        };
    };
    if lf == 0 || window[lf - 1] != b'\r' {
        return Parse::Invalid("version 1 line not ended by CR LF");
    }
    let Ok(line) = std::str::from_utf8(&window[V1_PREFIX.len()..lf - 1]) else {
        return Parse::Invalid("version 1 line not ASCII");
    };
    if line.contains('\r') {
        return Parse::Invalid("version 1 line not ended by CR LF");
    }
    let len = lf + 1;
    let fields: Vec<&str> = line.split(' ').collect();
    if fields[0] == "UNKNOWN" {
        // The rest of the line is to be ignored.
        return Parse::Done { header: Header::Local, len };
    }
    let [family, src, dst, sport, dport] = fields[..] else {
        return Parse::Invalid("version 1 line without exactly five fields");
    };
    let ip = |s: &str| -> Option<IpAddr> {
        match family {
            "TCP4" => s.parse::<Ipv4Addr>().ok().map(IpAddr::V4),
            "TCP6" => s.parse::<Ipv6Addr>().ok().map(IpAddr::V6),
            _ => None,
        }
    };
    if family != "TCP4" && family != "TCP6" {
        return Parse::Invalid("version 1 protocol not TCP4, TCP6 or UNKNOWN");
    }
    let (Some(src), Some(dst)) = (ip(src), ip(dst)) else {
        return Parse::Invalid("version 1 address not of its family");
    };
    let (Some(sport), Some(dport)) = (port(sport), port(dport)) else {
        return Parse::Invalid("version 1 port not a number from 0 to 65535");
    };
    Parse::Done {
        header: Header::Proxied { source: SocketAddr::new(src, sport), destination: SocketAddr::new(dst, dport) },
        len,
    }
}

/// A decimal port without leading zeros.
fn port(s: &str) -> Option<u16> {
    if s.is_empty() || s.len() > 5 || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0')) {
        return None;
    }
    s.parse().ok()
}

fn parse_v2(buf: &[u8]) -> Parse {
    if buf.len() < 16 {
        return Parse::Partial;
    }
    let (version, command) = (buf[12] >> 4, buf[12] & 0x0f);
    if version != 2 {
        return Parse::Invalid("version 2 signature with another version");
    }
    if command > 1 {
        return Parse::Invalid("version 2 command neither LOCAL nor PROXY");
    }
    let family = buf[13];
    if ![0x00, 0x11, 0x12, 0x21, 0x22, 0x31, 0x32].contains(&family) {
        return Parse::Invalid("version 2 address family or protocol unknown");
    }
    let len = 16 + u16::from_be_bytes([buf[14], buf[15]]) as usize;
    if len > V2_MAX_BYTES {
        return Parse::Oversized("version 2 header longer than accepted");
    }
    if buf.len() < len {
        return Parse::Partial;
    }
    let addrs = &buf[16..len];
    if command == 0 {
        return Parse::Done { header: Header::Local, len };
    }
    let header = match family {
        0x11 => {
            let Some(a) = addrs.get(..12) else { return Parse::Invalid("version 2 IPv4 addresses cut short") };
            let ip = |i: usize| IpAddr::V4(Ipv4Addr::new(a[i], a[i + 1], a[i + 2], a[i + 3]));
            let port = |i: usize| u16::from_be_bytes([a[i], a[i + 1]]);
            Header::Proxied { source: SocketAddr::new(ip(0), port(8)), destination: SocketAddr::new(ip(4), port(10)) }
        }
        0x21 => {
            let Some(a) = addrs.get(..36) else { return Parse::Invalid("version 2 IPv6 addresses cut short") };
            let ip = |i: usize| {
                let mut b = [0u8; 16];
                b.copy_from_slice(&a[i..i + 16]);
                IpAddr::V6(Ipv6Addr::from(b))
            };
            let port = |i: usize| u16::from_be_bytes([a[i], a[i + 1]]);
            Header::Proxied { source: SocketAddr::new(ip(0), port(32)), destination: SocketAddr::new(ip(16), port(34)) }
        }
        // UNSPEC, UDP and UNIX: valid, but nothing a TCP server can use.
        _ => Header::Local,
    };
    Parse::Done { header, len }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxied(src: &str, dst: &str) -> Header {
        Header::Proxied { source: src.parse().unwrap(), destination: dst.parse().unwrap() }
    }

    fn v2(command: u8, family: u8, body: &[u8]) -> Vec<u8> {
        let mut h = V2_SIGNATURE.to_vec();
        h.push(0x20 | command);
        h.push(family);
        h.extend_from_slice(&(body.len() as u16).to_be_bytes());
        h.extend_from_slice(body);
        h
    }

    #[test]
    fn version_1_lines_as_the_specification_writes_them() {
        let line = b"PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\nGET / HTTP/1.1\r\n";
        assert_eq!(parse(line), Parse::Done { header: proxied("192.168.0.1:56324", "192.168.0.11:443"), len: 47 });
        let six = b"PROXY TCP6 2001:db8::1 ::1 65535 0\r\n";
        assert_eq!(parse(six), Parse::Done { header: proxied("[2001:db8::1]:65535", "[::1]:0"), len: six.len() });
        assert_eq!(parse(b"PROXY UNKNOWN\r\n"), Parse::Done { header: Header::Local, len: 15 });
        let unknown = b"PROXY UNKNOWN ffff::1 ffff::2 1 2\r\nrest";
        assert_eq!(parse(unknown), Parse::Done { header: Header::Local, len: unknown.len() - 4 });
    }

    #[test]
    fn a_header_split_anywhere_is_partial_until_whole() {
        let v1 = b"PROXY TCP4 10.0.0.1 10.0.0.2 1 2\r\n".to_vec();
        let v2 = v2(1, 0x11, &[10, 0, 0, 1, 10, 0, 0, 2, 0, 1, 0, 2, 0xaa, 0, 1, 0x42]);
        for whole in [v1, v2] {
            for cut in 1..whole.len() {
                assert_eq!(parse(&whole[..cut]), Parse::Partial, "{cut} of {}", whole.len());
            }
            assert!(matches!(parse(&whole), Parse::Done { len, .. } if len == whole.len()));
        }
    }

    #[test]
    fn what_the_specification_forbids_is_invalid() {
        let bad: &[&[u8]] = &[
            b"GET / HTTP/1.1\r\n",
            b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n",
            b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\r\n",
            b"PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n",
            b"PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n",
            b"PROXY TCP4 1.2.3.4 5.6.7.8 1 65536\r\n",
            b"PROXY TCP4 ::1 5.6.7.8 1 2\r\n",
            b"PROXY TCP6 1.2.3.4 ::1 1 2\r\n",
            b"PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n",
            b"PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n",
            b"PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n",
        ];
        for b in bad {
            assert!(matches!(parse(b), Parse::Invalid(_)), "{:?}", String::from_utf8_lossy(b));
        }
        let long = [b"PROXY UNKNOWN ".as_slice(), &[b'x'; 100]].concat();
        assert_eq!(parse(&long), Parse::Oversized("version 1 line longer than 107 bytes"));
        let mut wrong_version = v2(1, 0x11, &[0; 12]);
        wrong_version[12] = 0x11;
        assert!(matches!(parse(&wrong_version), Parse::Invalid(_)));
        assert!(matches!(parse(&v2(2, 0x11, &[0; 12])), Parse::Invalid(_)), "command 2");
        assert!(matches!(parse(&v2(1, 0x13, &[0; 12])), Parse::Invalid(_)), "protocol 3");
        assert!(matches!(parse(&v2(1, 0x11, &[0; 8])), Parse::Invalid(_)), "addresses cut short");
        let huge = v2(1, 0x11, &vec![0; V2_MAX_BYTES]);
        assert_eq!(parse(&huge[..16]), Parse::Oversized("version 2 header longer than accepted"));
    }

    #[test]
    fn version_2_reads_addresses_skips_tlvs_and_takes_local_as_the_real_endpoints() {
        let mut body = vec![192, 0, 2, 1, 198, 51, 100, 7, 0x1f, 0x90, 0x01, 0xbb];
        body.extend_from_slice(&[0x01, 0x00, 0x02, b'h', b'2']); // an ALPN TLV
        let h = v2(1, 0x11, &body);
        assert_eq!(parse(&h), Parse::Done { header: proxied("192.0.2.1:8080", "198.51.100.7:443"), len: h.len() });
        let mut six = vec![0u8; 36];
        six[15] = 1;
        six[31] = 2;
        six[32..].copy_from_slice(&[0, 80, 0, 81]);
        assert_eq!(parse(&v2(1, 0x21, &six)), Parse::Done { header: proxied("[::1]:80", "[::2]:81"), len: 52 });
        // LOCAL (health checks), with or without addresses; UNSPEC; UNIX.
        assert_eq!(parse(&v2(0, 0x00, &[])), Parse::Done { header: Header::Local, len: 16 });
        assert_eq!(parse(&v2(0, 0x11, &[1; 12])), Parse::Done { header: Header::Local, len: 28 });
        assert_eq!(parse(&v2(1, 0x00, &[])), Parse::Done { header: Header::Local, len: 16 });
        assert_eq!(parse(&v2(1, 0x31, &[0; 216])), Parse::Done { header: Header::Local, len: 232 });
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            let _ = parse(&bytes);
            let mut signed = V2_SIGNATURE.to_vec();
            signed.extend_from_slice(&bytes);
            let _ = parse(&signed);
            let mut v1 = V1_PREFIX.to_vec();
            v1.extend_from_slice(&bytes);
            let _ = parse(&v1);
        }

        #[test]
        fn every_prefix_of_a_whole_header_is_partial(tlv in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64), port in 0u16..) {
            let mut body = vec![10, 0, 0, 1, 10, 0, 0, 2];
            body.extend_from_slice(&port.to_be_bytes());
            body.extend_from_slice(&[0, 80]);
            body.extend_from_slice(&tlv);
            let whole = v2(1, 0x11, &body);
            for cut in 0..whole.len() {
                let got = parse(&whole[..cut]);
                proptest::prop_assert!(got == Parse::Partial || (cut == 0 && matches!(got, Parse::Invalid(_))), "{cut}: {got:?}");
            }
            let line = format!("PROXY TCP4 192.0.2.1 192.0.2.2 {port} 80\r\n");
            for cut in 1..line.len() {
                proptest::prop_assert_eq!(parse(&line.as_bytes()[..cut]), Parse::Partial);
            }
        }
    }
}
