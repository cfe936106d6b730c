//! Flood control: a token bucket of input lines per client.
//!
//! Each line takes a token; tokens come back at a steady rate up to the
//! burst size. Lines of a client that runs dry wait in its backlog (see
//! [`crate::command::Session::input_line`]) until tokens come back; a
//! client a whole burst ahead is disconnected (`Excess Flood`), as IRC
//! servers do. A client that paces itself, as irssi and WeeChat do by
//! default, never comes near.

use std::time::Instant;

/// One client's bucket.
#[derive(Debug)]
pub struct Bucket {
    /// Lines the client may still send at once.
    tokens: f64,
    /// When `tokens` was last brought up to date.
    last: Instant,
}

impl Bucket {
    /// A full bucket of `burst` lines.
    pub fn new(burst: u32, now: Instant) -> Bucket {
        Bucket { tokens: f64::from(burst), last: now }
    }

    /// Takes one line's token, refilling at `per_sec` lines a second up to
    /// `burst`; false if there is none. A rate of 0 means no limit.
    pub fn take(&mut self, now: Instant, per_sec: u32, burst: u32) -> bool {
        if per_sec == 0 {
            return true;
        }
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * f64::from(per_sec)).min(f64::from(burst));
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_burst_passes_then_the_rate_applies() {
        let t0 = Instant::now();
        let mut b = Bucket::new(3, t0);
        assert!(b.take(t0, 2, 3) && b.take(t0, 2, 3) && b.take(t0, 2, 3));
        assert!(!b.take(t0, 2, 3), "the burst is spent");
        assert!(b.take(t0 + Duration::from_millis(500), 2, 3), "half a second buys one line at 2/s");
        assert!(!b.take(t0 + Duration::from_millis(500), 2, 3));
        let later = t0 + Duration::from_secs(100);
        assert!((0..3).all(|_| b.take(later, 2, 3)) && !b.take(later, 2, 3), "refills stop at the burst");
    }

    #[test]
    fn a_rate_of_zero_never_limits() {
        let t0 = Instant::now();
        let mut b = Bucket::new(0, t0);
        assert!((0..10_000).all(|_| b.take(t0, 0, 0)));
    }
}
