//! From a request target to a path relative to the served root.
//!
//! Invariant: a [`Target`]'s `rel` never names anything outside the root
//! lexically: it holds no `..` segment, no NUL, and no leading `/`, after
//! percent-decoding. (Symbolic links are the file cache's concern: it
//! checks the canonical path.)

/// A request target reduced to what the server looks up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target<'a> {
    /// The path as sent, without query or fragment (still percent-encoded):
    /// what a redirect repeats.
    pub raw_path: &'a [u8],
    /// The decoded path relative to the root: segments joined by `/`, no
    /// empty or `.` segments. Empty for the root itself.
    pub rel: Vec<u8>,
    /// The path ended with `/` (a folder was asked for).
    pub trailing_slash: bool,
    /// What follows `?`, up to a `#` (still percent-encoded); empty when
    /// there is none.
    pub query: &'a [u8],
}

/// Why a target was refused; each answers 400.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// Neither origin-form (`/path`) nor absolute-form (`http://host/path`).
    Form,
    /// A `%` not followed by two hex digits.
    Escape,
    /// A NUL byte, encoded or not.
    Nul,
    /// A `..` segment, encoded or not.
    DotDot,
}

/// Parses `target` into the path to serve.
///
/// # Errors
///
/// [`Refused`] for a target that is malformed or tries to leave the root.
pub fn parse(target: &[u8]) -> Result<Target<'_>, Refused> {
    let path = strip_absolute_form(target)?;
    let end = path.iter().position(|&b| b == b'?' || b == b'#').unwrap_or(path.len());
    let raw_path = &path[..end];
    let query = match path.get(end) {
        Some(b'?') => {
            let rest = &path[end + 1..];
            &rest[..rest.iter().position(|&b| b == b'#').unwrap_or(rest.len())]
        }
        _ => b"",
    };
    if raw_path.first() != Some(&b'/') {
        return Err(Refused::Form);
    }
    let decoded = percent_decode(raw_path)?;
    let mut rel = Vec::with_capacity(decoded.len());
    for segment in decoded.split(|&b| b == b'/') {
        match segment {
            b"" | b"." => {}
            b".." => return Err(Refused::DotDot),
            s => {
                if !rel.is_empty() {
                    rel.push(b'/');
                }
                rel.extend_from_slice(s);
            }
        }
    }
    Ok(Target { raw_path, rel, trailing_slash: decoded.ends_with(b"/"), query })
}

/// `http://host/path?q` → `/path?q`; an origin-form target unchanged.
fn strip_absolute_form(target: &[u8]) -> Result<&[u8], Refused> {
    let lower_starts =
        |prefix: &[u8]| target.len() >= prefix.len() && target[..prefix.len()].eq_ignore_ascii_case(prefix);
    let rest = if lower_starts(b"http://") {
        &target[7..]
    } else if lower_starts(b"https://") {
        &target[8..]
    } else if target.first() == Some(&b'/') {
        return Ok(target);
    } else {
        return Err(Refused::Form);
    };
    match rest.iter().position(|&b| b == b'/' || b == b'?') {
        Some(i) if rest[i] == b'/' => Ok(&rest[i..]),
        _ => Ok(b"/"),
    }
}

fn percent_decode(s: &[u8]) -> Result<Vec<u8>, Refused> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let b = match s[i] {
            b'%' => {
                let hex = |j: usize| s.get(j).and_then(|&c| (c as char).to_digit(16));
                let (Some(hi), Some(lo)) = (hex(i + 1), hex(i + 2)) else {
                    return Err(Refused::Escape);
                };
                i += 3;
                (hi * 16 + lo) as u8
            }
            c => {
                i += 1;
                c
            }
        };
        if b == 0 {
            return Err(Refused::Nul);
        }
        out.push(b);
    }
    Ok(out)
}

/// Percent-encodes a file name for use in a link (`autoindex`).
pub fn percent_encode(name: &[u8], out: &mut String) {
    for &b in name {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(target: &str) -> Result<String, Refused> {
        parse(target.as_bytes()).map(|t| String::from_utf8(t.rel).unwrap())
    }

    #[test]
    fn targets_reduce_to_a_relative_path() {
        assert_eq!(rel("/"), Ok(String::new()));
        assert_eq!(rel("/a/b.txt?x=/../y#f"), Ok("a/b.txt".into()));
        assert_eq!(rel("//a/./b/"), Ok("a/b".into()));
        assert_eq!(rel("/a%20b/%41"), Ok("a b/A".into()));
        assert_eq!(rel("http://example.com/a/b"), Ok("a/b".into()));
        assert_eq!(rel("HTTP://example.com"), Ok(String::new()));
        assert_eq!(rel("https://example.com?q"), Ok(String::new()));
        assert!(parse(b"/a/").unwrap().trailing_slash);
        assert!(!parse(b"/a").unwrap().trailing_slash);
        assert_eq!(parse(b"/a%2Fb/?q").unwrap().raw_path, b"/a%2Fb/");
        assert_eq!(parse(b"/a/?C=S;O=D#top").unwrap().query, b"C=S;O=D");
        assert_eq!(parse(b"/a#x?y").unwrap().query, b"");
    }

    #[test]
    fn targets_that_leave_the_root_or_break_the_grammar_are_refused() {
        assert_eq!(rel("/../etc/passwd"), Err(Refused::DotDot));
        assert_eq!(rel("/a/.."), Err(Refused::DotDot));
        assert_eq!(rel("/%2e%2e/etc/passwd"), Err(Refused::DotDot));
        assert_eq!(rel("/%2E%2E%2fetc"), Err(Refused::DotDot));
        assert_eq!(rel("/a%00b"), Err(Refused::Nul));
        assert_eq!(rel("/a%zz"), Err(Refused::Escape));
        assert_eq!(rel("/a%4"), Err(Refused::Escape));
        assert_eq!(rel("*"), Err(Refused::Form));
        assert_eq!(rel("a/b"), Err(Refused::Form));
    }

    #[test]
    fn names_are_percent_encoded_for_links() {
        let mut s = String::new();
        percent_encode("a b&<é>.txt".as_bytes(), &mut s);
        assert_eq!(s, "a%20b%26%3C%C3%A9%3E.txt");
    }
}
