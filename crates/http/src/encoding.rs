//! Precompressed twins of a file (nginx's `gzip_static` and ngx_brotli's
//! `brotli_static`): `file.br` or `file.gz` beside `file`, sent instead of
//! it to a client whose `Accept-Encoding` takes them.
//!
//! As nginx reads `Accept-Encoding`: codings by name, case-insensitively,
//! one refused only by `q=0`; `*` and `x-gzip` are not taken for gzip.
//! Where both are acceptable the higher `q` wins, and brotli (the smaller)
//! on a tie.

/// A content coding with a file suffix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// `br`, from `file.br`.
    Brotli,
    /// `gzip`, from `file.gz`.
    Gzip,
}

impl Encoding {
    /// Both, in the order of preference on a tie.
    pub const ALL: [Encoding; 2] = [Encoding::Brotli, Encoding::Gzip];

    /// The `Content-Encoding` value and `Accept-Encoding` token.
    pub fn token(self) -> &'static str {
        match self {
            Encoding::Brotli => "br",
            Encoding::Gzip => "gzip",
        }
    }

    /// The suffix of the twin's file name.
    pub fn suffix(self) -> &'static [u8] {
        match self {
            Encoding::Brotli => b".br",
            Encoding::Gzip => b".gz",
        }
    }

    fn bit(self) -> u8 {
        match self {
            Encoding::Brotli => 1,
            Encoding::Gzip => 2,
        }
    }
}

/// Which twins exist beside a file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Twins(u8);

impl Twins {
    /// From the bits [`Twins::bits`] gave.
    pub fn from_bits(bits: u8) -> Twins {
        Twins(bits & 3)
    }

    /// The set as bits, for an atomic.
    pub fn bits(self) -> u8 {
        self.0
    }

    /// Adds `e`.
    pub fn with(self, e: Encoding) -> Twins {
        Twins(self.0 | e.bit())
    }

    /// `e` is there.
    pub fn has(self, e: Encoding) -> bool {
        self.0 & e.bit() != 0
    }

    /// No twin at all: the response does not vary.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// The twin to send for these `Accept-Encoding` values (every field line
/// of it), or `None` for the file itself.
pub fn choose<'a>(accept: impl IntoIterator<Item = &'a [u8]>, twins: Twins) -> Option<Encoding> {
    // q in thousandths, for each of `Encoding::ALL`; None when not named.
    let mut q: [Option<u16>; 2] = [None; 2];
    for value in accept {
        for item in value.split(|&b| b == b',') {
            let mut params = item.split(|&b| b == b';');
            let name = params.next().unwrap_or_default().trim_ascii();
            let Some(i) = Encoding::ALL.iter().position(|e| name.eq_ignore_ascii_case(e.token().as_bytes())) else {
                continue;
            };
            let weight = params
                .filter_map(|p| {
                    let (k, v) = p.trim_ascii().split_at_checked(2)?;
                    k.eq_ignore_ascii_case(b"q=").then(|| qvalue(v.trim_ascii()))
                })
                .next()
                .unwrap_or(Some(1000));
            // A malformed q is taken as nginx takes it: not a refusal.
            q[i] = Some(weight.unwrap_or(1000));
        }
    }
    Encoding::ALL
        .iter()
        .zip(q)
        .filter(|(e, q)| twins.has(**e) && q.is_some_and(|q| q > 0))
        .max_by(|(_, a), (_, b)| a.cmp(b).then(std::cmp::Ordering::Greater))
        .map(|(e, _)| *e)
}

/// `0`, `0.5`, `1.000` → thousandths; `None` when malformed.
fn qvalue(v: &[u8]) -> Option<u16> {
    let (int, frac) = match v.iter().position(|&b| b == b'.') {
        Some(dot) => (&v[..dot], &v[dot + 1..]),
        None => (v, &b""[..]),
    };
    if int.len() != 1 || !int[0].is_ascii_digit() || frac.len() > 3 || !frac.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut q = u16::from(int[0] - b'0') * 1000;
    for (i, d) in frac.iter().enumerate() {
        q += u16::from(d - b'0') * [100, 10, 1][i];
    }
    (q <= 1000).then_some(q)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOTH: Twins = Twins(3);

    fn pick(accept: &str, twins: Twins) -> Option<&'static str> {
        choose([accept.as_bytes()], twins).map(Encoding::token)
    }

    #[test]
    fn accept_encoding_picks_a_twin_as_nginx_would() {
        let gz = Twins::default().with(Encoding::Gzip);
        let br = Twins::default().with(Encoding::Brotli);
        let cases = [
            ("gzip", gz, Some("gzip")),
            ("GZip", gz, Some("gzip")),
            ("deflate, gzip, br, zstd", BOTH, Some("br")),
            ("deflate, gzip, br, zstd", gz, Some("gzip")),
            ("gzip;q=1.0, br;q=0.5", BOTH, Some("gzip")),
            ("gzip; q=0.5, br;Q=0.8", BOTH, Some("br")),
            ("gzip;q=0", gz, None),
            ("gzip;q=0.000", gz, None),
            ("br;q=0, gzip", BOTH, Some("gzip")),
            ("gzip;q=oops", gz, Some("gzip")),
            ("br", gz, None),
            ("gzip", br, None),
            ("*", BOTH, None),
            ("x-gzip", gz, None),
            ("identity", BOTH, None),
            ("gzipped, brotli", BOTH, None),
            ("", BOTH, None),
            ("gzip", Twins::default(), None),
        ];
        for (accept, twins, want) in cases {
            assert_eq!(pick(accept, twins), want, "{accept:?} with {twins:?}");
        }
        assert_eq!(choose([&b"br;q=0"[..], b"gzip"], BOTH), Some(Encoding::Gzip), "two field lines");
    }

    #[test]
    fn qvalues_parse_as_the_grammar_says() {
        assert_eq!(qvalue(b"1"), Some(1000));
        assert_eq!(qvalue(b"0.5"), Some(500));
        assert_eq!(qvalue(b"0.125"), Some(125));
        assert_eq!(qvalue(b"1.000"), Some(1000));
        assert_eq!(qvalue(b"1.5"), None);
        assert_eq!(qvalue(b"0.1234"), None);
        assert_eq!(qvalue(b".5"), None);
        assert_eq!(qvalue(b""), None);
    }
}
