//! The number `INCRBYFLOAT` computes with: the x87 80-bit `long double`
//! of Redis on x86-64, in software, so that kv's answers are Redis's to the
//! last digit.
//!
//! Redis parses both operands with `strtold` (its `string2ld`), adds them
//! in `long double` (64-bit mantissa, 15-bit exponent, round to nearest
//! even), refuses a NaN or infinite sum, and prints the sum with `%.17Lf`,
//! then strips trailing zeros and the point, and turns `-0` into `0`
//! (`ld2string` in `LD_STR_HUMAN` mode). Each step here is exact: parsing
//! and printing go through big integers, and every rounding is the one
//! glibc makes (round to nearest, ties to even, on the exact value). So
//! `0.1` prints as `0.1` (not `0.10000000000000001` as a `double` would),
//! `1/41` as `0.02439024390243902`, and `1e308 + 1e308`, finite in a
//! `long double`, as the 309-digit integer Redis prints.
//!
//! Redis on a machine whose `long double` is a `double` (arm64) or a
//! quad (ppc64, s390x) prints other digits; kv answers as x86-64 Redis.

use crate::bignum::Big;

/// Bits of mantissa, the explicit integer bit included.
const MANTISSA_BITS: i64 = 64;
/// The exponent of the smallest subnormal's unit: values are
/// `mantissa × 2^exp` with `exp ≥ MIN_EXP`.
const MIN_EXP: i64 = -16445;
/// The exponent with which `(2^64 - 1) × 2^MAX_EXP` is the largest finite.
const MAX_EXP: i64 = 16384 - MANTISSA_BITS;
/// `string2ld` refuses strings this long or longer (`MAX_LONG_DOUBLE_CHARS`).
pub const MAX_CHARS: usize = 5 * 1024;

/// A `long double` that is not a NaN.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LongDouble {
    /// `(-1)^neg × mantissa × 2^exp`; zero when the mantissa is.
    Finite {
        neg: bool,
        mantissa: u64,
        exp: i64,
    },
    Infinite {
        neg: bool,
    },
}

/// What rounding a value to a `long double` gave.
enum Rounded {
    Value { mantissa: u64, exp: i64 },
    Overflow,
}

impl LongDouble {
    /// What `INCRBYFLOAT` starts from when the key is missing.
    pub const ZERO: LongDouble = LongDouble::Finite { neg: false, mantissa: 0, exp: 0 };

    /// Parses `s` as Redis's `string2ld` does: `strtold` syntax (decimal,
    /// `0x` hexadecimal with a `p` exponent, `inf`, `infinity`), the whole
    /// string and nothing else, no leading space; `None` for anything else,
    /// for NaN, for fewer than 1 or [`MAX_CHARS`] or more bytes, and for a
    /// value out of range (`ERANGE`, overflow to infinity or underflow to
    /// zero).
    pub fn parse(s: &[u8]) -> Option<LongDouble> {
        if s.is_empty() || s.len() >= MAX_CHARS {
            return None;
        }
        let (neg, body) = match s[0] {
            b'-' => (true, &s[1..]),
            b'+' => (false, &s[1..]),
            _ => (false, s),
        };
        if body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity") {
            return Some(LongDouble::Infinite { neg });
        }
        let exact = if body.len() > 2 && body[0] == b'0' && (body[1] | 0x20) == b'x' {
            hexadecimal(&body[2..])?
        } else {
            decimal(body)?
        };
        match exact {
            Exact::Zero => Some(LongDouble::Finite { neg, mantissa: 0, exp: 0 }),
            Exact::Out => None,
            Exact::Rounded(Rounded::Overflow) => None,
            Exact::Rounded(Rounded::Value { mantissa: 0, .. }) => None,
            Exact::Rounded(Rounded::Value { mantissa, exp }) => Some(LongDouble::Finite { neg, mantissa, exp }),
        }
    }

    /// `self + other` rounded to a `long double`; `None` when the sum is
    /// NaN or infinite, which `INCRBYFLOAT` refuses.
    pub fn add(self, other: LongDouble) -> Option<LongDouble> {
        let (
            LongDouble::Finite { neg: an, mantissa: am, exp: ae },
            LongDouble::Finite { neg: bn, mantissa: bm, exp: be },
        ) = (self, other)
        else {
            return None;
        };
        if am == 0 && bm == 0 {
            return Some(LongDouble::Finite { neg: an && bn, mantissa: 0, exp: 0 });
        }
        let low = ae.min(be);
        let a = Big::from_u128(am.into()).shl((ae - low) as u64);
        let b = Big::from_u128(bm.into()).shl((be - low) as u64);
        let (neg, sum) = if an == bn {
            (an, a.add(&b))
        } else if a >= b {
            (an, a.sub(&b))
        } else {
            (bn, b.sub(&a))
        };
        if sum.is_zero() {
            // x + (-x) is +0 when rounding to nearest.
            return Some(LongDouble::Finite { neg: false, mantissa: 0, exp: 0 });
        }
        match round_big(&sum, low) {
            Rounded::Value { mantissa, exp } => Some(LongDouble::Finite { neg, mantissa, exp }),
            Rounded::Overflow => None,
        }
    }

    /// The value as `INCRBYFLOAT` stores and answers it: `%.17Lf`, trailing
    /// zeros and a bare point removed, `-0` written `0`.
    pub fn to_human(self) -> String {
        let (neg, mantissa, exp) = match self {
            LongDouble::Infinite { neg } => return if neg { "-inf" } else { "inf" }.to_string(),
            LongDouble::Finite { neg, mantissa, exp } => (neg, mantissa, exp),
        };
        const SCALE: u128 = 100_000_000_000_000_000; // 10^17
        let mut text = String::from(if neg { "-" } else { "" });
        if exp >= 0 {
            text.push_str(&Big::from_u128(mantissa.into()).shl(exp as u64).to_decimal());
        } else {
            // mantissa × 10^17 < 2^121: the value in units of 10^-17,
            // rounded half to even as glibc's printf does.
            let x = u128::from(mantissa) * SCALE;
            let shift = (-exp) as u32;
            let units = if shift > 121 {
                0
            } else {
                let (q, rem, half) = (x >> shift, x & ((1 << shift) - 1), 1u128 << (shift - 1));
                q + u128::from(rem > half || (rem == half && q & 1 == 1))
            };
            text.push_str(&format!("{}.{:017}", units / SCALE, units % SCALE));
            while text.ends_with('0') {
                text.pop();
            }
            if text.ends_with('.') {
                text.pop();
            }
        }
        if text == "-0" {
            text = "0".into();
        }
        text
    }
}

/// A parsed number before its sign: exactly zero, out of range, or rounded.
enum Exact {
    Zero,
    Out,
    Rounded(Rounded),
}

/// Decimal `strtold` syntax: digits with an optional point (one digit at
/// least), then optionally `e` or `E`, a sign and digits.
fn decimal(s: &[u8]) -> Option<Exact> {
    let mut digits = Big::default();
    let (mut pending, mut pending_len) = (0u32, 0u32);
    let (mut count, mut significant, mut after_point) = (0usize, 0i64, 0i64);
    let mut i = 0;
    let mut seen_point = false;
    while i < s.len() {
        match s[i] {
            c @ b'0'..=b'9' => {
                count += 1;
                if seen_point {
                    after_point += 1;
                }
                if significant > 0 || c != b'0' {
                    significant += 1;
                }
                pending = pending * 10 + u32::from(c - b'0');
                pending_len += 1;
                if pending_len == 9 {
                    digits.mul_add_small(1_000_000_000, pending);
                    (pending, pending_len) = (0, 0);
                }
            }
            b'.' if !seen_point => seen_point = true,
            _ => break,
        }
        i += 1;
    }
    digits.mul_add_small(10u32.pow(pending_len), pending);
    if count == 0 {
        return None;
    }
    let mut exp10: i64 = 0;
    if i < s.len() {
        if s[i] | 0x20 != b'e' {
            return None;
        }
        exp10 = exponent(&s[i + 1..])?;
    }
    if digits.is_zero() {
        return Some(Exact::Zero);
    }
    let exp10 = exp10 - after_point;
    // The value lies in [10^(magnitude-1), 10^magnitude).
    let magnitude = significant + exp10;
    if magnitude > 4933 || magnitude <= -4951 {
        // Past the largest long double (1.19e4932), or under half the
        // smallest subnormal (3.65e-4951): ERANGE.
        return Some(Exact::Out);
    }
    let rounded = if exp10 >= 0 {
        round_big(&digits.mul(&Big::pow10(exp10 as u64)), 0)
    } else {
        // digits / 10^-exp10, with a quotient of 66 or 67 bits.
        let den = Big::pow10((-exp10) as u64);
        let shift = den.bit_len() as i64 + 66 - digits.bit_len() as i64;
        let (q, inexact) = if shift >= 0 {
            digits.shl(shift as u64).div_small_quotient(&den)
        } else {
            digits.div_small_quotient(&den.shl((-shift) as u64))
        };
        round(q, -shift, inexact)
    };
    Some(Exact::Rounded(rounded))
}

/// Hexadecimal `strtold` syntax after the `0x`: hex digits with an optional
/// point (one digit at least), then optionally `p` or `P`, a sign and
/// decimal digits (a power of two).
fn hexadecimal(s: &[u8]) -> Option<Exact> {
    let mut digits = Big::default();
    let (mut count, mut after_point) = (0i64, 0i64);
    let mut i = 0;
    let mut seen_point = false;
    while i < s.len() {
        match s[i] {
            c if c.is_ascii_hexdigit() => {
                count += 1;
                if seen_point {
                    after_point += 1;
                }
                digits.mul_add_small(16, (c as char).to_digit(16).unwrap_or(0));
            }
            b'.' if !seen_point => seen_point = true,
            _ => break,
        }
        i += 1;
    }
    if count == 0 {
        return None;
    }
    let mut exp2: i64 = 0;
    if i < s.len() {
        if s[i] | 0x20 != b'p' {
            return None;
        }
        exp2 = exponent(&s[i + 1..])?;
    }
    if digits.is_zero() {
        return Some(Exact::Zero);
    }
    Some(Exact::Rounded(round_big(&digits, exp2 - 4 * after_point)))
}

/// An exponent: an optional sign and at least one digit, to the end.
/// Saturates far beyond any exponent that does not overflow or underflow.
fn exponent(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let v = digits.iter().fold(0i64, |v, &d| (v * 10 + i64::from(d - b'0')).min(1 << 40));
    Some(if neg { -v } else { v })
}

/// Rounds the integer `n × 2^exp` to a `long double`.
fn round_big(n: &Big, exp: i64) -> Rounded {
    let len = n.bit_len() as i64;
    if len <= 128 {
        let (q, _) = n.shr_sticky(0);
        round(q, exp, false)
    } else {
        let drop = len - 67;
        let (q, inexact) = n.shr_sticky(drop as u64);
        round(q, exp + drop, inexact)
    }
}

/// Rounds `(q + f) × 2^exp`, where `0 < f < 1` when `inexact` and `f = 0`
/// otherwise, to 64 bits of mantissa (fewer for a subnormal), to nearest,
/// ties to even. An inexact `q` has more than 64 bits, so `f` lies below the
/// bits rounded away.
fn round(q: u128, exp: i64, inexact: bool) -> Rounded {
    if q == 0 {
        return Rounded::Value { mantissa: 0, exp: 0 };
    }
    let len = i64::from(128 - q.leading_zeros());
    let drop = (len - MANTISSA_BITS).max(MIN_EXP - exp);
    let (mut mantissa, mut exp) = if drop <= 0 {
        debug_assert!(!inexact);
        (q << -drop, exp + drop)
    } else if drop > 128 {
        (0, exp + drop)
    } else {
        let kept = if drop == 128 { 0 } else { q >> drop };
        let rest = if drop == 128 { q } else { q & ((1 << drop) - 1) };
        let half = 1u128 << (drop - 1);
        let up = rest > half || (rest == half && (inexact || kept & 1 == 1));
        (kept + u128::from(up), exp + drop)
    };
    if mantissa == 0 {
        return Rounded::Value { mantissa: 0, exp: 0 };
    }
    if mantissa >> MANTISSA_BITS != 0 {
        // Rounding carried out of the top bit: 2^64 is 2^63 × 2.
        mantissa >>= 1;
        exp += 1;
    }
    if exp > MAX_EXP {
        Rounded::Overflow
    } else {
        Rounded::Value { mantissa: mantissa as u64, exp }
    }
}

#[cfg(test)]
mod tests {
    use super::LongDouble;

    /// `INCRBYFLOAT` from `a` by `b`, as kv answers it.
    fn incr(a: &str, b: &str) -> Result<String, &'static str> {
        let a = LongDouble::parse(a.as_bytes()).ok_or("not a float")?;
        let b = LongDouble::parse(b.as_bytes()).ok_or("not a float")?;
        Ok(a.add(b).ok_or("NaN or Infinity")?.to_human())
    }

    /// Answers taken from x86-64 glibc: `strtold`, `+` on `long double`,
    /// `%.17Lf` and Redis's trimming.
    #[test]
    fn sums_print_as_redis_prints_them() {
        let table: &[(&str, &str, Result<&str, &str>)] = &[
            ("0", "0.1", Ok("0.1")),
            ("0.1", "0.2", Ok("0.3")),
            ("1", "-0.9", Ok("0.1")),
            ("10.5", "0.1", Ok("10.6")),
            ("0", "0.02439024390243902", Ok("0.02439024390243902")),
            ("0x10", "1", Ok("17")),
            ("-0", "-0", Ok("0")),
            ("0", "2e-20", Ok("0")),
            ("0", "-2e-20", Ok("0")),
            ("5.0e3", "0", Ok("5000")),
            ("3.0e-4951", "0", Ok("0")),
            ("0", "1e-17", Ok("0.00000000000000001")),
            // Ties at the 17th decimal go to even.
            ("0", "5e-18", Ok("0")),
            ("0", "1.5e-17", Ok("0.00000000000000002")),
            ("0", "2.5e-17", Ok("0.00000000000000002")),
            ("0", "3.814697265625e-6", Ok("0.00000381469726562")),
            ("1", "1e-18", Ok("1")),
            ("1.7976931348623157e308", "0", Ok("179769313486231569995921046774104434048386446944329178485314420765176628523124396354701868608387085564428793419425520689308708363451136055357897278026477617073498977686288394835618163294045594434929537447290627480669417384648879122776218333598953852832103282504751611691208117720159985926376802466863339536384")),
            ("1e308", "1e308", Ok("199999999999999999993371759311691291321120199694831134415594095989843469737676123744200253843777078640893494450108026446304269499187921167194841628860392837535918200039206381557326219209014213335878306791577877829121087126122536729803237260434173178506889763247582601711514636284849020905456510092687857156096")),
            ("1e4932", "1e4932", Err("NaN or Infinity")),
            ("inf", "1", Err("NaN or Infinity")),
            ("inf", "-inf", Err("NaN or Infinity")),
            ("1e-4951", "0", Err("not a float")),
            ("1e4933", "0", Err("not a float")),
            ("nan", "0", Err("not a float")),
        ];
        for &(a, b, want) in table {
            assert_eq!(incr(a, b), want.map(String::from), "{a} + {b}");
        }
        let big = incr("0", "1e4932").unwrap();
        assert_eq!(big.len(), 4933);
        assert!(big.starts_with("10000000000000000000060189493879638913238377742545331147737850413525"), "{big}");
        assert!(big.ends_with("54741783354728589350876379371163141086538418113791886622720"), "{big}");
    }

    #[test]
    fn parsing_takes_strtold_syntax_and_nothing_else() {
        let good = [
            "1",
            "-1",
            "+1",
            "1.",
            ".5",
            "1.5e3",
            "1E-3",
            "1e+3",
            "0x1p3",
            "0X1.8P1",
            "0x.8",
            "0xA",
            "inf",
            "-Infinity",
            "INF",
            "007",
            "0e99999999999999999999",
        ];
        for s in good {
            assert!(LongDouble::parse(s.as_bytes()).is_some(), "{s}");
        }
        let bad = [
            "",
            " 1",
            "1 ",
            "1e",
            "1e+",
            ".",
            "e5",
            "1.2.3",
            "0x",
            "0x1p",
            "0xg",
            "nan",
            "NaN(1)",
            "infinit",
            "1\u{0}1",
            "--1",
            "+-1",
            "1,5",
            "0x1.8p",
            "1e99999999999999999999",
        ];
        for s in bad {
            assert!(LongDouble::parse(s.as_bytes()).is_none(), "{s:?}");
        }
        let longest = format!("1.{}", "0".repeat(super::MAX_CHARS - 3));
        assert_eq!(LongDouble::parse(longest.as_bytes()).map(LongDouble::to_human).as_deref(), Some("1"));
        assert!(LongDouble::parse(format!("{longest}0").as_bytes()).is_none());
    }
}
