//! The `Range` header (RFC 9110 §14): byte ranges of a file.
//!
//! One satisfiable range is answered with a plain 206, several with a
//! `multipart/byteranges` 206, as nginx does. A list longer than
//! [`MAX_RANGES`], or whose ranges add up to more bytes than the file
//! (overlaps, repeats: a range flood), gets the whole file instead, so a
//! response never costs more than the file; so does another unit or a
//! malformed value, as the RFC allows.

/// Ranges honoured in one request; past it the whole file is sent (and the
/// `max_ranges` limit counted).
pub const MAX_RANGES: usize = 64;

/// What a `Range` header asks of a file of a given length.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Wanted {
    /// Send the whole file (no usable range).
    Whole,
    /// Send bytes `start..=end`.
    Part { start: u64, end: u64 },
    /// Send each `(start, end)` (inclusive), in the order asked, as the
    /// parts of a `multipart/byteranges` body.
    Parts(Vec<(u64, u64)>),
    /// More than [`MAX_RANGES`] ranges: send the whole file.
    TooMany,
    /// No byte of the file matches: 416.
    Unsatisfiable,
}

/// Interprets `header` for a file of `len` bytes.
pub fn wanted(header: &[u8], len: u64) -> Wanted {
    let Some(spec) = strip_prefix_ignore_case(header, b"bytes=") else {
        return Wanted::Whole;
    };
    let mut parts = Vec::new();
    let mut total: u64 = 0;
    let mut seen = 0;
    for (n, one) in spec.split(|&b| b == b',').map(<[u8]>::trim_ascii).filter(|s| !s.is_empty()).enumerate() {
        if n == MAX_RANGES {
            return Wanted::TooMany;
        }
        seen += 1;
        match one_range(one, len) {
            Some(Some((start, end))) => {
                total = total.saturating_add(end - start + 1);
                parts.push((start, end));
            }
            Some(None) => {}
            None => return Wanted::Whole,
        }
    }
    match parts[..] {
        [] if seen == 0 => Wanted::Whole,
        [] => Wanted::Unsatisfiable,
        [(start, end)] => Wanted::Part { start, end },
        _ if total > len => Wanted::Whole,
        _ => Wanted::Parts(parts),
    }
}

/// One `first-last`, `first-` or `-suffix`: `None` if malformed,
/// `Some(None)` if no byte of the file matches.
fn one_range(spec: &[u8], len: u64) -> Option<Option<(u64, u64)>> {
    let dash = spec.iter().position(|&b| b == b'-')?;
    let (first, last) = (&spec[..dash], &spec[dash + 1..]);
    match (number(first), number(last)) {
        (Some(start), Some(end)) if start <= end => Some((start < len).then(|| (start, end.min(len - 1)))),
        (Some(start), None) if last.is_empty() => Some((start < len).then(|| (start, len - 1))),
        (None, Some(suffix)) if first.is_empty() => {
            Some((suffix > 0 && len > 0).then(|| (len.saturating_sub(suffix), len - 1)))
        }
        _ => None,
    }
}

fn strip_prefix_ignore_case<'a>(s: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
    (s.len() >= prefix.len() && s[..prefix.len()].eq_ignore_ascii_case(prefix)).then(|| &s[prefix.len()..])
}

fn number(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 19 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(digits.iter().fold(0, |n, &d| n * 10 + u64::from(d - b'0')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_read_against_the_file_length() {
        let cases: &[(&str, u64, Wanted)] = &[
            ("bytes=0-4", 10, Wanted::Part { start: 0, end: 4 }),
            ("bytes=5-", 10, Wanted::Part { start: 5, end: 9 }),
            ("bytes=-3", 10, Wanted::Part { start: 7, end: 9 }),
            ("bytes=-30", 10, Wanted::Part { start: 0, end: 9 }),
            ("bytes=8-100", 10, Wanted::Part { start: 8, end: 9 }),
            ("Bytes=9-9", 10, Wanted::Part { start: 9, end: 9 }),
            ("bytes=10-", 10, Wanted::Unsatisfiable),
            ("bytes=10-20", 10, Wanted::Unsatisfiable),
            ("bytes=-0", 10, Wanted::Unsatisfiable),
            ("bytes=0-", 0, Wanted::Unsatisfiable),
            ("bytes=5-4", 10, Wanted::Whole),
            ("bytes=0-1,3-4", 10, Wanted::Parts(vec![(0, 1), (3, 4)])),
            ("bytes=0-1, 8-", 10, Wanted::Parts(vec![(0, 1), (8, 9)])),
            ("bytes=4-5,0-1", 10, Wanted::Parts(vec![(4, 5), (0, 1)])),
            ("bytes=0-1,20-30", 10, Wanted::Part { start: 0, end: 1 }),
            ("bytes=20-30,40-", 10, Wanted::Unsatisfiable),
            ("bytes=0-5,3-8", 13, Wanted::Parts(vec![(0, 5), (3, 8)])),
            ("bytes=0-5,3-9", 12, Wanted::Whole),
            ("bytes=0-1,x", 10, Wanted::Whole),
            ("bytes=,", 10, Wanted::Whole),
            ("items=0-1", 10, Wanted::Whole),
            ("bytes=a-b", 10, Wanted::Whole),
            ("bytes=-", 10, Wanted::Whole),
            ("bytes=1", 10, Wanted::Whole),
        ];
        for (header, len, want) in cases {
            assert_eq!(wanted(header.as_bytes(), *len), *want, "{header} of {len}");
        }
    }

    #[test]
    fn a_flood_of_ranges_gets_the_whole_file() {
        let small: Vec<String> = (0..MAX_RANGES).map(|i| format!("{i}-{i}")).collect();
        let header = format!("bytes={}", small.join(","));
        assert!(matches!(wanted(header.as_bytes(), 1000), Wanted::Parts(p) if p.len() == MAX_RANGES));
        let header = format!("bytes={},999-999", small.join(","));
        assert_eq!(wanted(header.as_bytes(), 1000), Wanted::TooMany);
        // Repeats that add up to more than the file.
        let header = format!("bytes={}", ["0-400"; 3].join(","));
        assert_eq!(wanted(header.as_bytes(), 1000), Wanted::Whole);
    }
}
