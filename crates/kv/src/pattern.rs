//! Glob patterns as `KEYS`, `SCAN MATCH`, `CONFIG GET` (and `PSUBSCRIBE`)
//! read them: Redis's `stringmatchlen`, answer for answer, in time
//! polynomial in the pattern and the subject.
//!
//! The syntax is `*` (any run of bytes), `?` (one byte), `[abc]`, `[^abc]`,
//! `[a-z]` (one byte of a class) and `\x` (the byte `x` itself). The pattern
//! is first cut into tokens; every token but `*` stands for exactly one
//! byte, and a class becomes a 256-bit set. Matching then remembers only the
//! last `*` seen: when the tokens after it fail, that `*` takes one more
//! byte and they are tried again. An earlier `*` never needs to take more,
//! since whatever it would swallow the last one can swallow as well, so the
//! work is at most (pattern tokens) × (subject bytes) steps. Redis's own
//! matcher recurses per `*` and was exponential before 7.0.9.
//!
//! Redis's edge cases kept here, each tested below:
//! - a `[` without its `]` runs to the end of the pattern (`[^` alone is
//!   "any byte");
//! - a range written backwards (`[z-a]`) is the same range; in a class `a-`
//!   followed by at least one more byte is a range, so `[a-]` is the range
//!   `]`..`a`, unterminated;
//! - a `\` escapes inside a class too, and an escaped byte there compares
//!   case-sensitively even under `nocase`;
//! - range bounds compare as C `char`, which is signed on x86-64 (and on
//!   the servers Redis mostly runs on): `[a-\xff]` is `\xff`..`a`;
//!   `nocase` lowers the bounds after putting them in order;
//! - a trailing `\` is a literal `\`;
//! - an empty subject matches only the empty pattern (not even `*`;
//!   `KEYS *` and `SCAN` without `MATCH` do not consult the pattern);
//! - a pattern with more than 1,000 `*` runs before its last token never
//!   matches (Redis 7.2.6 and 7.4.1 bound their recursion so, against
//!   CVE-2024-31228; 7.0 has no bound).

/// The most `*` runs Redis's matcher recurses through before it answers
/// "no match" (its `nesting > 1000` guard).
pub const MAX_STAR_NESTING: usize = 1000;

/// One element of a compiled pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    /// `*`, or several in a row.
    Star,
    /// `?`.
    Any,
    /// A literal or escaped byte; under `nocase` stored lowered.
    Byte(u8),
    /// `[...]`: bit `b` set when the byte `b` belongs.
    Class([u64; 4]),
}

/// A compiled glob pattern; [`Glob::matches`] answers as Redis's
/// `stringmatchlen` would.
#[derive(Clone, Debug)]
pub struct Glob {
    tokens: Vec<Token>,
    nocase: bool,
    /// More than [`MAX_STAR_NESTING`] `*` runs before the last token.
    too_deep: bool,
}

/// Whether `subject` matches the glob `pattern`; `nocase` folds ASCII case.
pub fn matches(pattern: &[u8], subject: &[u8], nocase: bool) -> bool {
    Glob::new(pattern, nocase).matches(subject)
}

impl Glob {
    /// Compiles `pattern`; `nocase` folds ASCII case as `CONFIG GET` does.
    pub fn new(pattern: &[u8], nocase: bool) -> Glob {
        let mut tokens = Vec::new();
        let mut i = 0;
        while i < pattern.len() {
            match pattern[i] {
                b'*' => {
                    while pattern.get(i + 1) == Some(&b'*') {
                        i += 1;
                    }
                    tokens.push(Token::Star);
                }
                b'?' => tokens.push(Token::Any),
                b'[' => {
                    let (set, used) = class(&pattern[i + 1..], nocase);
                    tokens.push(Token::Class(set));
                    i += used;
                }
                b'\\' if i + 1 < pattern.len() => {
                    i += 1;
                    tokens.push(Token::Byte(fold(pattern[i], nocase)));
                }
                b => tokens.push(Token::Byte(fold(b, nocase))),
            }
            i += 1;
        }
        let stars = tokens.iter().filter(|t| **t == Token::Star).count();
        let trailing = usize::from(tokens.last() == Some(&Token::Star));
        Glob { too_deep: stars - trailing > MAX_STAR_NESTING, tokens, nocase }
    }

    /// Whether `subject` matches, in at most tokens × bytes steps.
    pub fn matches(&self, subject: &[u8]) -> bool {
        let tokens = &self.tokens[..];
        if subject.is_empty() {
            return tokens.is_empty();
        }
        if self.too_deep {
            return false;
        }
        let (mut t, mut s) = (0, 0);
        // The token after the last `*` passed, and where in `subject` the
        // tokens after it are being tried.
        let mut resume: Option<(usize, usize)> = None;
        while s < subject.len() {
            match tokens.get(t) {
                Some(Token::Star) => {
                    t += 1;
                    resume = Some((t, s));
                    continue;
                }
                Some(token) if self.accepts(token, subject[s]) => {
                    t += 1;
                    s += 1;
                    continue;
                }
                _ => {}
            }
            match resume {
                Some((after, from)) => {
                    t = after;
                    s = from + 1;
                    resume = Some((after, s));
                }
                None => return false,
            }
        }
        tokens[t..].iter().all(|tok| *tok == Token::Star)
    }

    fn accepts(&self, token: &Token, b: u8) -> bool {
        match token {
            Token::Star | Token::Any => true,
            Token::Byte(c) => *c == fold(b, self.nocase),
            Token::Class(set) => set[usize::from(b >> 6)] & (1 << (b & 63)) != 0,
        }
    }
}

fn fold(b: u8, nocase: bool) -> u8 {
    if nocase {
        b.to_ascii_lowercase()
    } else {
        b
    }
}

/// Reads a class from `p`, the bytes after its `[`: the set of bytes it
/// accepts, and how many bytes of `p` it takes (through the `]`, or all of
/// them when there is none). Follows the loop in Redis's
/// `stringmatchlen_impl` step by step.
fn class(p: &[u8], nocase: bool) -> ([u64; 4], usize) {
    let mut set = [0u64; 4];
    let mut add = |b: u8| set[usize::from(b >> 6)] |= 1 << (b & 63);
    let not = p.first() == Some(&b'^');
    let mut i = usize::from(not);
    let used = loop {
        let left = p.len() - i;
        if left >= 2 && p[i] == b'\\' {
            i += 1;
            add(p[i]);
        } else if left == 0 {
            break p.len();
        } else if p[i] == b']' {
            break i + 1;
        } else if left >= 3 && p[i + 1] == b'-' {
            // C `char` is signed on x86-64, and Redis compares as `int`.
            let (mut lo, mut hi) = (i32::from(p[i] as i8), i32::from(p[i + 2] as i8));
            if lo > hi {
                std::mem::swap(&mut lo, &mut hi);
            }
            if nocase {
                (lo, hi) = (c_tolower(lo), c_tolower(hi));
            }
            for b in 0..=255u8 {
                let mut c = i32::from(b as i8);
                if nocase {
                    c = c_tolower(c);
                }
                if (lo..=hi).contains(&c) {
                    add(b);
                }
            }
            i += 2;
        } else {
            for b in 0..=255u8 {
                if fold(b, nocase) == fold(p[i], nocase) {
                    add(b);
                }
            }
        }
        i += 1;
    };
    if not {
        for word in &mut set {
            *word = !*word;
        }
    }
    (set, used)
}

/// `tolower` in the C locale, which Redis's character type stays in.
fn c_tolower(c: i32) -> i32 {
    if (i32::from(b'A')..=i32::from(b'Z')).contains(&c) {
        c + 32
    } else {
        c
    }
}

#[cfg(test)]
mod tests {
    use super::{matches, Glob, MAX_STAR_NESTING};
    use proptest::prelude::*;

    /// Redis 7.2's `stringmatchlen_impl`, line for line: exponential in the
    /// worst case, the reference the compiled matcher must agree with.
    /// Reads past the end of the pattern see the 0 byte that ends every
    /// Redis string.
    fn redis(pattern: &[u8], subject: &[u8], nocase: bool) -> bool {
        fn at(p: &[u8], i: usize) -> i32 {
            // `char` is signed on x86-64.
            p.get(i).map_or(0, |&b| i32::from(b as i8))
        }
        fn lower(c: i32) -> i32 {
            super::c_tolower(c)
        }
        #[allow(clippy::too_many_arguments)]
        fn go(
            p: &[u8],
            mut pi: usize,
            mut plen: i64,
            s: &[u8],
            mut si: usize,
            mut slen: i64,
            nocase: bool,
            skip: &mut bool,
            nesting: usize,
        ) -> bool {
            if nesting > 1000 {
                return false;
            }
            while plen > 0 && slen > 0 {
                match at(p, pi) as u8 {
                    b'*' => {
                        while plen > 0 && at(p, pi + 1) == i32::from(b'*') {
                            pi += 1;
                            plen -= 1;
                        }
                        if plen == 1 {
                            return true;
                        }
                        while slen > 0 {
                            if go(p, pi + 1, plen - 1, s, si, slen, nocase, skip, nesting + 1) {
                                return true;
                            }
                            if *skip {
                                return false;
                            }
                            si += 1;
                            slen -= 1;
                        }
                        *skip = true;
                        return false;
                    }
                    b'?' => {
                        si += 1;
                        slen -= 1;
                    }
                    b'[' => {
                        pi += 1;
                        plen -= 1;
                        let not = at(p, pi) == i32::from(b'^');
                        if not {
                            pi += 1;
                            plen -= 1;
                        }
                        let mut hit = false;
                        loop {
                            if at(p, pi) == i32::from(b'\\') && plen >= 2 {
                                pi += 1;
                                plen -= 1;
                                if at(p, pi) == at(s, si) {
                                    hit = true;
                                }
                            } else if at(p, pi) == i32::from(b']') {
                                break;
                            } else if plen == 0 {
                                pi -= 1;
                                plen += 1;
                                break;
                            } else if plen >= 3 && at(p, pi + 1) == i32::from(b'-') {
                                let (mut start, mut end, mut c) = (at(p, pi), at(p, pi + 2), at(s, si));
                                if start > end {
                                    std::mem::swap(&mut start, &mut end);
                                }
                                if nocase {
                                    (start, end, c) = (lower(start), lower(end), lower(c));
                                }
                                pi += 2;
                                plen -= 2;
                                if c >= start && c <= end {
                                    hit = true;
                                }
                            } else if !nocase {
                                if at(p, pi) == at(s, si) {
                                    hit = true;
                                }
                            } else if lower(at(p, pi)) == lower(at(s, si)) {
                                hit = true;
                            }
                            pi += 1;
                            plen -= 1;
                        }
                        if not {
                            hit = !hit;
                        }
                        if !hit {
                            return false;
                        }
                        si += 1;
                        slen -= 1;
                    }
                    c => {
                        if c == b'\\' && plen >= 2 {
                            pi += 1;
                            plen -= 1;
                        }
                        let same = if nocase { lower(at(p, pi)) == lower(at(s, si)) } else { at(p, pi) == at(s, si) };
                        if !same {
                            return false;
                        }
                        si += 1;
                        slen -= 1;
                    }
                }
                pi += 1;
                plen -= 1;
                if slen == 0 {
                    while at(p, pi) == i32::from(b'*') {
                        pi += 1;
                        plen -= 1;
                    }
                    break;
                }
            }
            plen == 0 && slen == 0
        }
        let mut skip = false;
        go(pattern, 0, pattern.len() as i64, subject, 0, subject.len() as i64, nocase, &mut skip, 0)
    }

    #[test]
    fn globs_match_like_redis() {
        let table: &[(&[u8], &[u8], bool)] = &[
            (b"*", b"anything", true),
            (b"*", b"", false),
            (b"", b"", true),
            (b"", b"a", false),
            (b"**", b"x", true),
            (b"h?llo", b"hello", true),
            (b"h?llo", b"hllo", false),
            (b"h*llo", b"heeeello", true),
            (b"h*llo", b"hllo", true),
            (b"h[ae]llo", b"hallo", true),
            (b"h[ae]llo", b"hillo", false),
            (b"h[^e]llo", b"hallo", true),
            (b"h[^e]llo", b"hello", false),
            (b"h[a-b]llo", b"hbllo", true),
            (b"h[a-b]llo", b"hcllo", false),
            (b"h[b-a]llo", b"hallo", true),
            (b"h\\*llo", b"h*llo", true),
            (b"h\\*llo", b"hello", false),
            (b"key:*", b"key:1", true),
            (b"key:*", b"kex:1", false),
            (b"a*b*c", b"aXXbYYc", true),
            (b"a*b*c", b"aXXbYY", false),
            (b"abc", b"abcd", false),
            (b"abc*", b"abc", true),
            (b"*a?", b"aab", true),
            (b"*[0-9]x", b"a1b2x", true),
            (b"*[0-9]x", b"a1bx", false),
            // A `[` without `]` runs to the end of the pattern.
            (b"a[bc", b"ab", true),
            (b"a[bc", b"ac", true),
            (b"a[bc", b"abc", false),
            (b"[", b"[", false),
            (b"[^", b"z", true),
            (b"[^", b"", false),
            // `]` first closes an empty class, which accepts nothing.
            (b"[]a]", b"]", false),
            (b"[]a]", b"a", false),
            (b"[^]a", b"xa", true),
            // `a-]` is a range to `]`, so the class runs on to the end.
            (b"[a-]x", b"_", true),
            (b"[a-]x", b"x", true),
            (b"[a-]x", b"_x", false),
            (b"[a-]", b"_", true),
            (b"[a-]", b"a", true),
            (b"[a-]", b"b", false),
            (b"[-a]", b"-", true),
            // Escapes inside a class, and a lone trailing `\`.
            (b"[\\]]", b"]", true),
            (b"[\\^a]", b"^", true),
            (b"[\\-]", b"-", true),
            (b"[\\", b"\\", true),
            (b"a\\", b"a\\", true),
            (b"\\", b"\\", true),
            (b"\\a", b"a", true),
            // Range bounds are signed chars.
            (b"[a-\xff]", b"b", false),
            (b"[a-\xff]", b"\xff", true),
            (b"[a-\xff]", b"0", true),
            (b"[\x80-\xff]", b"\x90", true),
            (b"[\x80-\xff]", b"a", false),
            (b"nested*", b"nested", true),
        ];
        for &(p, s, want) in table {
            let show = (String::from_utf8_lossy(p), String::from_utf8_lossy(s));
            assert_eq!(redis(p, s, false), want, "reference: {show:?}");
            assert_eq!(matches(p, s, false), want, "{show:?}");
        }
    }

    #[test]
    fn nocase_folds_ascii_but_not_escapes_inside_classes() {
        let table: &[(&[u8], &[u8], bool)] = &[
            (b"MAX*", b"maxmemory", true),
            (b"maxmemory", b"MAXMEMORY", true),
            (b"[A-C]x", b"bX", true),
            (b"[\\A]", b"a", false),
            (b"[\\A]", b"A", true),
            (b"\\A", b"a", true),
            // Bounds are lowered after ordering: `Z`..`a` becomes `z`..`a`.
            (b"[Z-a]", b"_", false),
            (b"[Z-a]", b"z", false),
            (b"\xc4", b"\xe4", false),
        ];
        for &(p, s, want) in table {
            let show = (String::from_utf8_lossy(p), String::from_utf8_lossy(s));
            assert_eq!(redis(p, s, true), want, "reference: {show:?}");
            assert_eq!(matches(p, s, true), want, "{show:?}");
        }
    }

    #[test]
    fn nested_stars_are_answered_without_backtracking_blowup() {
        let pattern = "a*".repeat(20) + "b";
        let key = "a".repeat(40);
        assert!(!matches(pattern.as_bytes(), key.as_bytes(), false));
        let huge = "a*".repeat(500) + "b";
        assert!(!matches(huge.as_bytes(), "a".repeat(100_000).as_bytes(), false));
        assert!(matches(huge.as_bytes(), ("a".repeat(100_000) + "b").as_bytes(), false));
    }

    #[test]
    fn more_than_a_thousand_star_runs_never_match_as_in_redis() {
        let subject = "x".repeat(2000);
        let at_limit = "x*".repeat(MAX_STAR_NESTING) + "x";
        assert!(matches(at_limit.as_bytes(), subject.as_bytes(), false));
        let past = "x*".repeat(MAX_STAR_NESTING + 1) + "x";
        assert!(!matches(past.as_bytes(), subject.as_bytes(), false));
        // A last `*` does not recurse, so it does not count.
        let trailing = "x*".repeat(MAX_STAR_NESTING + 1);
        assert!(matches(trailing.as_bytes(), subject.as_bytes(), false));
        assert!(!redis(past.as_bytes(), subject.as_bytes(), false));
        assert!(redis(trailing.as_bytes(), subject.as_bytes(), false));
    }

    #[test]
    fn a_compiled_glob_is_reusable() {
        let g = Glob::new(b"user:[0-9]*", false);
        assert!(g.matches(b"user:1"));
        assert!(g.matches(b"user:42:name"));
        assert!(!g.matches(b"user:x"));
    }

    fn bytes_from(alphabet: &'static [u8], max: usize) -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(proptest::sample::select(alphabet), 0..max)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        #[test]
        fn agrees_with_redis_on_random_patterns(
            pattern in bytes_from(b"ab*?[]^-\\Az\xff\x80", 10),
            subject in bytes_from(b"ab]^-\\*Az\xff", 10),
            nocase in any::<bool>(),
        ) {
            prop_assert_eq!(matches(&pattern, &subject, nocase), redis(&pattern, &subject, nocase));
        }

        #[test]
        fn agrees_with_redis_on_star_heavy_patterns(
            pattern in bytes_from(b"ab**?", 14),
            subject in bytes_from(b"ab", 16),
        ) {
            prop_assert_eq!(matches(&pattern, &subject, false), redis(&pattern, &subject, false));
        }
    }
}
