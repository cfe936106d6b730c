//! The `Date` header value, formatted at most once a second per thread.
//!
//! Each worker thread keeps its own copy, so reading it takes no lock; the
//! clock read that decides whether to refresh it is a vDSO call.

use std::cell::RefCell;
use std::time::{SystemTime, UNIX_EPOCH};

/// Length of an IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`.
const DATE_BYTES: usize = 29;

struct Cached {
    /// The whole second the text was made for.
    second: u64,
    text: [u8; DATE_BYTES],
}

thread_local! {
    static CACHED: RefCell<Cached> = const { RefCell::new(Cached { second: u64::MAX, text: [0; DATE_BYTES] }) };
}

/// Appends the current date as an HTTP date (IMF-fixdate).
pub fn push_now(out: &mut Vec<u8>) {
    let now = SystemTime::now();
    let second = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    CACHED.with(|c| {
        let mut c = c.borrow_mut();
        if c.second != second {
            let text = httpdate::fmt_http_date(now);
            if text.len() == DATE_BYTES {
                c.text.copy_from_slice(text.as_bytes());
                c.second = second;
            }
        }
        out.extend_from_slice(&c.text);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_date_parses_back_to_now() {
        let mut out = Vec::new();
        push_now(&mut out);
        let parsed = httpdate::parse_http_date(std::str::from_utf8(&out).unwrap()).unwrap();
        let now = SystemTime::now();
        let skew = now.duration_since(parsed).unwrap();
        assert!(skew.as_secs() < 5, "date {out:?} is {skew:?} behind");
    }
}
