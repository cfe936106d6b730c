//! IRC messages (RFC 1459 / RFC 2812): framing lines out of a byte stream,
//! parsing a line into prefix, command and parameters, formatting one back,
//! rfc1459 case folding, and nickname and channel name validation.
//!
//! Framing treats CR and LF alike as line ends (so `\r\n`, `\n` and a bare
//! `\r` all work, and the empty lines between them are skipped). A line is at
//! most [`MAX_LINE_BYTES`] including its CRLF; a longer one is reported as
//! [`Frame::TooLong`] so that the server can answer 417 and drop it, even
//! when its end has not arrived yet. Formatting never produces a line longer
//! than that: the last parameter is cut on a character boundary.

use std::fmt;

/// Most bytes in one message, CRLF included (RFC 2812 §2.3).
pub const MAX_LINE_BYTES: usize = 512;

/// Most bytes of a message before its CRLF.
pub const MAX_CONTENT_BYTES: usize = MAX_LINE_BYTES - 2;

/// Most parameters a message carries (RFC 2812 §2.3.1).
pub const MAX_PARAMS: usize = 15;

/// What the front of a buffer holds.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    /// A whole line (without its line end, never empty); `used` bytes of
    /// input, line end and any empty lines before it included.
    Line { line: &'a [u8], used: usize },
    /// A line longer than [`MAX_CONTENT_BYTES`]: drop `used` bytes. `ended`
    /// is false when the line's end has not arrived yet, in which case the
    /// caller must keep dropping input up to the next line end (see
    /// [`skip_line`]).
    TooLong { used: usize, ended: bool },
    /// Only part of a line so far; `used` bytes of empty lines may be dropped.
    Partial { used: usize },
}

/// Frames the first line of `input`.
///
/// # Examples
///
/// ```
/// use switchyard_codec::irc::{next_line, Frame};
///
/// assert_eq!(next_line(b"\r\nPING x\r\nrest"), Frame::Line { line: b"PING x", used: 9 });
/// assert_eq!(next_line(b"PING"), Frame::Partial { used: 0 });
/// ```
pub fn next_line(input: &[u8]) -> Frame<'_> {
    let start = input.iter().position(|&b| b != b'\r' && b != b'\n').unwrap_or(input.len());
    let rest = &input[start..];
    match rest.iter().position(|&b| b == b'\r' || b == b'\n') {
        Some(end) if end > MAX_CONTENT_BYTES => Frame::TooLong { used: start + end + 1, ended: true },
        Some(end) => Frame::Line { line: &rest[..end], used: start + end + 1 },
        None if rest.len() > MAX_CONTENT_BYTES => Frame::TooLong { used: input.len(), ended: false },
        None => Frame::Partial { used: start },
    }
}

/// While dropping the rest of an overlong line: how many bytes of `input`
/// belong to it, and whether its end is among them.
pub fn skip_line(input: &[u8]) -> (usize, bool) {
    match input.iter().position(|&b| b == b'\r' || b == b'\n') {
        Some(end) => (end + 1, true),
        None => (input.len(), false),
    }
}

/// One parsed message; borrows from its line.
#[derive(Debug, PartialEq, Eq, Clone)]
pub struct Message<'a> {
    /// The origin, without its colon (clients rarely send one).
    pub prefix: Option<&'a str>,
    /// The command as sent (compare with `eq_ignore_ascii_case`) or a
    /// three-digit numeric.
    pub command: &'a str,
    /// The parameters, the trailing one (after ` :`) last and as is.
    pub params: Vec<&'a str>,
}

/// Why a line is not a message.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum ParseError {
    /// Nothing but a prefix, or nothing at all.
    NoCommand,
    /// The command is neither letters nor a three-digit numeric.
    BadCommand,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ParseError::NoCommand => "no command",
            ParseError::BadCommand => "malformed command",
        })
    }
}

impl std::error::Error for ParseError {}

impl<'a> Message<'a> {
    /// Parses one line (without its line end).
    ///
    /// Runs of spaces between parameters count as one; past
    /// [`MAX_PARAMS`]` - 1` middle parameters, the rest of the line is the
    /// last parameter, as RFC 2812 says.
    ///
    /// # Errors
    ///
    /// [`ParseError`] when the line has no usable command.
    ///
    /// # Examples
    ///
    /// ```
    /// use switchyard_codec::irc::Message;
    ///
    /// let m = Message::parse(":nick PRIVMSG #rust :hello there").unwrap();
    /// assert_eq!(m.prefix, Some("nick"));
    /// assert_eq!(m.command, "PRIVMSG");
    /// assert_eq!(m.params, ["#rust", "hello there"]);
    /// ```
    pub fn parse(line: &'a str) -> Result<Message<'a>, ParseError> {
        let mut rest = line.trim_start_matches(' ');
        let mut prefix = None;
        if let Some(p) = rest.strip_prefix(':') {
            let (pre, after) = p.split_once(' ').unwrap_or((p, ""));
            prefix = Some(pre);
            rest = after.trim_start_matches(' ');
        }
        let (command, after) = rest.split_once(' ').unwrap_or((rest, ""));
        if command.is_empty() {
            return Err(ParseError::NoCommand);
        }
        let numeric = command.len() == 3 && command.bytes().all(|b| b.is_ascii_digit());
        if !numeric && !command.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(ParseError::BadCommand);
        }
        let mut params = Vec::new();
        let mut rest = after;
        loop {
            rest = rest.trim_start_matches(' ');
            if rest.is_empty() {
                break;
            }
            if let Some(trailing) = rest.strip_prefix(':') {
                params.push(trailing);
                break;
            }
            if params.len() == MAX_PARAMS - 1 {
                params.push(rest);
                break;
            }
            let (param, after) = rest.split_once(' ').unwrap_or((rest, ""));
            params.push(param);
            rest = after;
        }
        Ok(Message { prefix, command, params })
    }
}

/// Appends one message and its CRLF to `out`.
///
/// `middle` parameters are words: one that would not read back as itself
/// (empty, holding a space, CR, LF or NUL, or starting with a colon) is
/// written as `*`. `trailing`, if any, is written after ` :` and may hold
/// anything but CR, LF and NUL, which are replaced by spaces. A message that would
/// pass [`MAX_LINE_BYTES`] is cut on a character boundary.
///
/// # Examples
///
/// ```
/// use switchyard_codec::irc::write_message;
///
/// let mut out = Vec::new();
/// write_message(&mut out, Some("irc.example"), "001", &["ann"], Some("Welcome"));
/// assert_eq!(out, b":irc.example 001 ann :Welcome\r\n");
/// ```
pub fn write_message(out: &mut Vec<u8>, prefix: Option<&str>, command: &str, middle: &[&str], trailing: Option<&str>) {
    let start = out.len();
    if let Some(p) = prefix {
        out.push(b':');
        out.extend_from_slice(p.as_bytes());
        out.push(b' ');
    }
    out.extend_from_slice(command.as_bytes());
    for m in middle {
        out.push(b' ');
        let unreadable = m.is_empty() || m.starts_with(':') || m.bytes().any(|b| matches!(b, b' ' | b'\r' | b'\n' | 0));
        out.extend_from_slice(if unreadable { b"*" } else { m.as_bytes() });
    }
    if let Some(t) = trailing {
        out.extend_from_slice(b" :");
        let at = out.len();
        out.extend_from_slice(t.as_bytes());
        for b in &mut out[at..] {
            if matches!(*b, b'\r' | b'\n' | 0) {
                *b = b' ';
            }
        }
    }
    if out.len() - start > MAX_CONTENT_BYTES {
        let mut cut = start + MAX_CONTENT_BYTES;
        // Back up to the start of a UTF-8 character (never a continuation byte).
        while cut > start && (out[cut] & 0xC0) == 0x80 {
            cut -= 1;
        }
        out.truncate(cut);
    }
    out.extend_from_slice(b"\r\n");
}

/// Folds one character the rfc1459 way: ASCII letters to lower case, and
/// `[]\~` to `{}|^`, their lower-case forms in Scandinavian ASCII.
fn fold_char(c: char) -> char {
    match c {
        'A'..='Z' => c.to_ascii_lowercase(),
        '[' => '{',
        ']' => '}',
        '\\' => '|',
        '~' => '^',
        _ => c,
    }
}

/// The rfc1459 case-folded form of a nickname or channel name: two names
/// are the same when their folded forms are equal.
///
/// # Examples
///
/// ```
/// use switchyard_codec::irc::fold;
///
/// assert_eq!(fold("Dan[Away]"), fold("dan{away}"));
/// ```
pub fn fold(name: &str) -> String {
    name.chars().map(fold_char).collect()
}

/// Why a nickname or channel name is refused.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum NameError {
    /// Empty.
    Empty,
    /// Longer than the limit.
    TooLong,
    /// A character that the name may not hold (there).
    BadChar,
}

/// `[]\`_^{|}`: the "special" characters of RFC 2812 nicknames.
fn is_special(b: u8) -> bool {
    matches!(b, b'[' | b']' | b'\\' | b'`' | b'_' | b'^' | b'{' | b'|' | b'}')
}

/// Checks a nickname against RFC 2812 §2.3.1: a letter or special first,
/// then letters, digits, specials and `-`, at most `max_len` bytes.
///
/// # Errors
///
/// The [`NameError`] that disqualifies it.
pub fn validate_nick(nick: &str, max_len: usize) -> Result<(), NameError> {
    let b = nick.as_bytes();
    let Some(&first) = b.first() else { return Err(NameError::Empty) };
    if b.len() > max_len {
        return Err(NameError::TooLong);
    }
    if !(first.is_ascii_alphabetic() || is_special(first)) {
        return Err(NameError::BadChar);
    }
    if b[1..].iter().all(|&c| c.is_ascii_alphanumeric() || is_special(c) || c == b'-') {
        Ok(())
    } else {
        Err(NameError::BadChar)
    }
}

/// Checks a channel name: `#` or `&` first, then at least one character
/// that is not NUL, BEL, CR, LF, space, comma or colon (RFC 2812 §1.3), at
/// most `max_len` bytes in all.
///
/// # Errors
///
/// The [`NameError`] that disqualifies it.
pub fn validate_channel(name: &str, max_len: usize) -> Result<(), NameError> {
    let b = name.as_bytes();
    if b.is_empty() {
        return Err(NameError::Empty);
    }
    if b.len() > max_len {
        return Err(NameError::TooLong);
    }
    if !matches!(b[0], b'#' | b'&') || b.len() < 2 {
        return Err(NameError::BadChar);
    }
    if b[1..].iter().any(|&c| matches!(c, 0 | 7 | b'\r' | b'\n' | b' ' | b',' | b':')) {
        return Err(NameError::BadChar);
    }
    Ok(())
}

/// Is this a channel name rather than a nickname (by its first character)?
pub fn is_channel_name(target: &str) -> bool {
    matches!(target.as_bytes().first(), Some(b'#' | b'&'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn lines_end_at_cr_lf_or_both_and_empty_lines_are_skipped() {
        let table: &[(&[u8], Frame<'_>)] = &[
            (b"NICK a\r\n", Frame::Line { line: b"NICK a", used: 7 }),
            (b"NICK a\n", Frame::Line { line: b"NICK a", used: 7 }),
            (b"NICK a\r", Frame::Line { line: b"NICK a", used: 7 }),
            (b"\r\n\r\nNICK a\r\n", Frame::Line { line: b"NICK a", used: 11 }),
            (b"NICK a", Frame::Partial { used: 0 }),
            (b"\r\n\nNICK", Frame::Partial { used: 3 }),
            (b"", Frame::Partial { used: 0 }),
            (b"\r\n", Frame::Partial { used: 2 }),
        ];
        for (input, want) in table {
            assert_eq!(&next_line(input), want, "input {:?}", String::from_utf8_lossy(input));
        }
    }

    #[test]
    fn a_line_of_512_bytes_with_crlf_passes_and_one_more_byte_does_not() {
        let mut ok = vec![b'a'; MAX_CONTENT_BYTES];
        ok.extend_from_slice(b"\r\n");
        assert_eq!(next_line(&ok), Frame::Line { line: &ok[..MAX_CONTENT_BYTES], used: MAX_CONTENT_BYTES + 1 });
        let mut long = vec![b'a'; MAX_CONTENT_BYTES + 1];
        long.extend_from_slice(b"\r\nPING x\r\n");
        assert_eq!(next_line(&long), Frame::TooLong { used: MAX_CONTENT_BYTES + 2, ended: true });
        let unfinished = vec![b'a'; MAX_CONTENT_BYTES + 1];
        assert_eq!(next_line(&unfinished), Frame::TooLong { used: MAX_CONTENT_BYTES + 1, ended: false });
        assert_eq!(skip_line(b"aaaa\r\nPING"), (5, true));
        assert_eq!(skip_line(b"aaaa"), (4, false));
    }

    #[test]
    fn messages_parse_into_prefix_command_and_parameters() {
        let table: &[(&str, Option<&str>, &str, &[&str])] = &[
            ("PING", None, "PING", &[]),
            ("PING x", None, "PING", &["x"]),
            ("privmsg #a :hi there", None, "privmsg", &["#a", "hi there"]),
            (":n!u@h PRIVMSG #a :", Some("n!u@h"), "PRIVMSG", &["#a", ""]),
            ("USER u 0 * :Real Name", None, "USER", &["u", "0", "*", "Real Name"]),
            ("  JOIN   #a,#b   k1  ", None, "JOIN", &["#a,#b", "k1"]),
            ("TOPIC #a ::-)", None, "TOPIC", &["#a", ":-)"]),
            ("001 ann :Welcome", None, "001", &["ann", "Welcome"]),
            (
                "CMD 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16",
                None,
                "CMD",
                &["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15 16"],
            ),
        ];
        for &(line, prefix, command, params) in table {
            let m = Message::parse(line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
            assert_eq!(m.prefix, prefix, "{line:?}");
            assert_eq!(m.command, command, "{line:?}");
            assert_eq!(m.params, params, "{line:?}");
        }
    }

    #[test]
    fn lines_without_a_proper_command_are_errors() {
        let table: &[(&str, ParseError)] = &[
            ("", ParseError::NoCommand),
            ("   ", ParseError::NoCommand),
            (":prefix", ParseError::NoCommand),
            (":prefix   ", ParseError::NoCommand),
            ("PRIV-MSG x", ParseError::BadCommand),
            ("12 x", ParseError::BadCommand),
            ("1234 x", ParseError::BadCommand),
            ("\u{e9}t\u{e9}", ParseError::BadCommand),
        ];
        for &(line, want) in table {
            assert_eq!(Message::parse(line), Err(want), "{line:?}");
        }
    }

    #[test]
    fn formatting_puts_a_colon_before_the_trailing_parameter_only() {
        let mut out = Vec::new();
        write_message(&mut out, Some("n!u@h"), "PRIVMSG", &["#a"], Some("hi"));
        write_message(&mut out, None, "PING", &["tok"], None);
        write_message(&mut out, Some("srv"), "331", &["ann", "#a"], Some(""));
        write_message(&mut out, None, "NOTICE", &["x"], Some("a\r\nb\0c"));
        write_message(&mut out, None, "401", &["a b", ":x", "", "ok"], None);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            ":n!u@h PRIVMSG #a :hi\r\nPING tok\r\n:srv 331 ann #a :\r\nNOTICE x :a  b c\r\n401 * * * ok\r\n"
        );
    }

    #[test]
    fn formatting_cuts_long_messages_on_a_character_boundary() {
        let text = "\u{e9}".repeat(400);
        let mut out = Vec::new();
        write_message(&mut out, Some("nick!user@host"), "PRIVMSG", &["#chan"], Some(&text));
        assert!(out.len() <= MAX_LINE_BYTES, "{} bytes", out.len());
        assert!(out.len() >= MAX_LINE_BYTES - 4);
        assert!(out.ends_with(b"\r\n"));
        let s = std::str::from_utf8(&out).expect("a cut inside a character");
        assert!(s.starts_with(":nick!user@host PRIVMSG #chan :\u{e9}\u{e9}"));
    }

    #[test]
    fn rfc1459_folding_treats_brackets_as_braces() {
        assert_eq!(fold("Nick[A]\\~"), "nick{a}|^");
        assert_eq!(fold("#Rust"), fold("#rUST"));
        assert_ne!(fold("ann"), fold("ann_"));
        assert_eq!(fold("\u{c9}"), "\u{c9}", "only ASCII folds");
    }

    #[test]
    fn nicknames_are_validated_as_rfc2812_says() {
        let ok = ["a", "Ann", "[bot]", "x-1", "a`b^c{d|e}_", "n23456789012345678901234567890"];
        for n in ok {
            assert_eq!(validate_nick(n, 30), Ok(()), "{n:?}");
        }
        let bad = [
            ("", NameError::Empty),
            ("1abc", NameError::BadChar),
            ("-abc", NameError::BadChar),
            ("a b", NameError::BadChar),
            ("a,b", NameError::BadChar),
            ("a!b", NameError::BadChar),
            ("#chan", NameError::BadChar),
            ("\u{e9}", NameError::BadChar),
            ("n234567890123456789012345678901", NameError::TooLong),
        ];
        for (n, want) in bad {
            assert_eq!(validate_nick(n, 30), Err(want), "{n:?}");
        }
    }

    #[test]
    fn channel_names_start_with_a_hash_and_hold_no_separators() {
        for c in ["#a", "&local", "#rust-lang", "#\u{e9}t\u{e9}", "##"] {
            assert_eq!(validate_channel(c, 50), Ok(()), "{c:?}");
        }
        let bad = [
            ("", NameError::Empty),
            ("#", NameError::BadChar),
            ("rust", NameError::BadChar),
            ("#a,b", NameError::BadChar),
            ("#a b", NameError::BadChar),
            ("#a:b", NameError::BadChar),
            ("#a\u{7}", NameError::BadChar),
        ];
        for (c, want) in bad {
            assert_eq!(validate_channel(c, 50), Err(want), "{c:?}");
        }
        assert_eq!(validate_channel(&format!("#{}", "a".repeat(50)), 50), Err(NameError::TooLong));
        assert!(is_channel_name("#x") && is_channel_name("&x") && !is_channel_name("x") && !is_channel_name(""));
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(input in proptest::collection::vec(any::<u8>(), 0..1200)) {
            let mut rest = &input[..];
            let mut skipping = false;
            loop {
                if skipping {
                    let (used, ended) = skip_line(rest);
                    rest = &rest[used..];
                    skipping = !ended;
                    if rest.is_empty() { break; }
                    continue;
                }
                match next_line(rest) {
                    Frame::Line { line, used } => {
                        prop_assert!(!line.is_empty() && line.len() <= MAX_CONTENT_BYTES);
                        let text = String::from_utf8_lossy(line);
                        if let Ok(m) = Message::parse(&text) {
                            prop_assert!(m.params.len() <= MAX_PARAMS);
                            let mut out = Vec::new();
                            let (middle, trailing) = match m.params.split_last() {
                                Some((t, mid)) => (mid, Some(*t)),
                                None => (&m.params[..], None),
                            };
                            write_message(&mut out, m.prefix.filter(|p| !p.is_empty()), m.command, middle, trailing);
                            prop_assert!(out.len() <= MAX_LINE_BYTES);
                        }
                        rest = &rest[used..];
                    }
                    Frame::TooLong { used, ended } => {
                        prop_assert!(used > 0);
                        rest = &rest[used..];
                        skipping = !ended;
                    }
                    Frame::Partial { used } => {
                        prop_assert!(used <= rest.len());
                        break;
                    }
                }
            }
            let _ = validate_nick(&String::from_utf8_lossy(&input), 30);
            let _ = validate_channel(&String::from_utf8_lossy(&input), 50);
            let _ = fold(&String::from_utf8_lossy(&input));
        }

        #[test]
        fn formatted_messages_parse_back_to_their_parts(
            command in "[A-Z]{1,10}",
            middle in proptest::collection::vec("[a-z#&][a-z0-9#]{0,8}", 0..5),
            trailing in proptest::option::of("[ -~]{0,80}"),
        ) {
            let mut out = Vec::new();
            let mid: Vec<&str> = middle.iter().map(String::as_str).collect();
            write_message(&mut out, Some("srv"), &command, &mid, trailing.as_deref());
            let line = std::str::from_utf8(&out[..out.len() - 2]).unwrap();
            let m = Message::parse(line).unwrap();
            prop_assert_eq!(m.prefix, Some("srv"));
            prop_assert_eq!(m.command, command.as_str());
            let mut want = mid.clone();
            if let Some(t) = trailing.as_deref() { want.push(t); }
            prop_assert_eq!(m.params, want);
        }

        #[test]
        fn any_chunking_frames_the_same_lines(
            lines in proptest::collection::vec("[A-Z]{1,6}( [a-z]{1,5}){0,3}", 1..8),
            cut in 0usize..200,
        ) {
            let stream: Vec<u8> = lines.iter().flat_map(|l| format!("{l}\r\n").into_bytes()).collect();
            let cut = cut.min(stream.len());
            let mut buf = Vec::new();
            let mut got = Vec::new();
            for chunk in [&stream[..cut], &stream[cut..]] {
                buf.extend_from_slice(chunk);
                loop {
                    match next_line(&buf) {
                        Frame::Line { line, used } => {
                            got.push(String::from_utf8(line.to_vec()).unwrap());
                            buf.drain(..used);
                        }
                        Frame::Partial { used } => { buf.drain(..used); break; }
                        Frame::TooLong { .. } => prop_assert!(false, "no line here is too long"),
                    }
                }
            }
            prop_assert_eq!(got, lines);
        }
    }
}
