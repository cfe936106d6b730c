//! The `Range` header (RFC 9110 §14): one byte range, or none.
//!
//! Only a single range is honoured; a list of ranges, another unit, or a
//! malformed value is ignored and the whole file is sent, as the RFC allows.

/// What a `Range` header asks of a file of a given length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wanted {
    /// Send the whole file (no usable range).
    Whole,
    /// Send bytes `start..=end`.
    Part { start: u64, end: u64 },
    /// No byte of the file matches: 416.
    Unsatisfiable,
}

/// Interprets `header` for a file of `len` bytes.
pub fn wanted(header: &[u8], len: u64) -> Wanted {
    let Some(spec) = strip_prefix_ignore_case(header, b"bytes=") else {
        return Wanted::Whole;
    };
    let spec = spec.trim_ascii();
    if spec.contains(&b',') {
        return Wanted::Whole;
    }
    let Some(dash) = spec.iter().position(|&b| b == b'-') else {
        return Wanted::Whole;
    };
    let (first, last) = (&spec[..dash], &spec[dash + 1..]);
    match (number(first), number(last)) {
        (Some(start), Some(end)) if start <= end => {
            if start >= len {
                Wanted::Unsatisfiable
            } else {
                Wanted::Part { start, end: end.min(len - 1) }
            }
        }
        (Some(start), None) if last.is_empty() => {
            if start >= len {
                Wanted::Unsatisfiable
            } else {
                Wanted::Part { start, end: len - 1 }
            }
        }
        (None, Some(suffix)) if first.is_empty() => {
            if suffix == 0 || len == 0 {
                Wanted::Unsatisfiable
            } else {
                Wanted::Part { start: len.saturating_sub(suffix), end: len - 1 }
            }
        }
        _ => Wanted::Whole,
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
            ("bytes=0-1,3-4", 10, Wanted::Whole),
            ("items=0-1", 10, Wanted::Whole),
            ("bytes=a-b", 10, Wanted::Whole),
            ("bytes=-", 10, Wanted::Whole),
            ("bytes=1", 10, Wanted::Whole),
        ];
        for &(header, len, want) in cases {
            assert_eq!(wanted(header.as_bytes(), len), want, "{header} of {len}");
        }
    }
}
