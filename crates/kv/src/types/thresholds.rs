//! [`Thresholds`]: when a collection leaves its compact encoding, Redis's
//! `*-max-listpack-*` and `set-max-intset-entries` parameters, with Redis's
//! names and defaults, shown by `CONFIG GET` and changed by `CONFIG SET`.
//!
//! They are process-wide, as Redis's are server-wide, and read (relaxed)
//! on each write, so a change applies from each key's next write.

use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};

/// The thresholds past which a collection leaves its compact encoding,
/// with Redis's names and defaults, changeable with `CONFIG SET`. They are
/// read on each write, so a change applies to the next write of each key.
pub struct Thresholds {
    /// `hash-max-listpack-entries`.
    pub hash_entries: AtomicUsize,
    /// `hash-max-listpack-value`: bytes of a field or value.
    pub hash_value: AtomicUsize,
    /// `set-max-intset-entries`.
    pub set_intset_entries: AtomicUsize,
    /// `set-max-listpack-entries`.
    pub set_entries: AtomicUsize,
    /// `set-max-listpack-value`.
    pub set_value: AtomicUsize,
    /// `zset-max-listpack-entries`.
    pub zset_entries: AtomicUsize,
    /// `zset-max-listpack-value`.
    pub zset_value: AtomicUsize,
    /// `list-max-listpack-size`: a node's most entries if positive (and
    /// at most 8 KiB; 0 is one entry a node); if negative, its most bytes:
    /// -1 4 KiB, -2 8 KiB, -3 16 KiB, -4 32 KiB, -5 (or less) 64 KiB.
    pub list_size: AtomicI64,
}

/// The process's thresholds (Redis's are server-wide too).
pub static THRESHOLDS: Thresholds = Thresholds {
    hash_entries: AtomicUsize::new(512),
    hash_value: AtomicUsize::new(64),
    set_intset_entries: AtomicUsize::new(512),
    set_entries: AtomicUsize::new(128),
    set_value: AtomicUsize::new(64),
    zset_entries: AtomicUsize::new(128),
    zset_value: AtomicUsize::new(64),
    list_size: AtomicI64::new(-2),
};

impl Thresholds {
    fn field(&self, name: &str) -> Option<&AtomicUsize> {
        Some(match name {
            "hash-max-listpack-entries" | "hash-max-ziplist-entries" => &self.hash_entries,
            "hash-max-listpack-value" | "hash-max-ziplist-value" => &self.hash_value,
            "set-max-intset-entries" => &self.set_intset_entries,
            "set-max-listpack-entries" => &self.set_entries,
            "set-max-listpack-value" => &self.set_value,
            "zset-max-listpack-entries" | "zset-max-ziplist-entries" => &self.zset_entries,
            "zset-max-listpack-value" | "zset-max-ziplist-value" => &self.zset_value,
            _ => return None,
        })
    }

    /// Every parameter and its value, as `CONFIG GET` shows them.
    pub fn params(&self) -> Vec<(&'static str, String)> {
        let mut out: Vec<(&'static str, String)> = [
            "hash-max-listpack-entries",
            "hash-max-listpack-value",
            "set-max-intset-entries",
            "set-max-listpack-entries",
            "set-max-listpack-value",
            "zset-max-listpack-entries",
            "zset-max-listpack-value",
        ]
        .iter()
        .map(|n| (*n, self.field(n).map_or(0, |f| f.load(Ordering::Relaxed)).to_string()))
        .collect();
        out.push(("list-max-listpack-size", self.list_size.load(Ordering::Relaxed).to_string()));
        // Redis 7 shows the older names too, with the same values.
        for (alias, name) in [
            ("hash-max-ziplist-entries", "hash-max-listpack-entries"),
            ("hash-max-ziplist-value", "hash-max-listpack-value"),
            ("zset-max-ziplist-entries", "zset-max-listpack-entries"),
            ("zset-max-ziplist-value", "zset-max-listpack-value"),
            ("list-max-ziplist-size", "list-max-listpack-size"),
        ] {
            let value = out.iter().find(|(n, _)| *n == name).map(|(_, v)| v.clone()).unwrap_or_default();
            out.push((alias, value));
        }
        out
    }

    /// Whether `name` is one of these parameters.
    pub fn knows(name: &str) -> bool {
        THRESHOLDS.field(name).is_some() || name == "list-max-listpack-size" || name == "list-max-ziplist-size"
    }

    /// Checks `value` for parameter `name`: the value to set, or Redis's
    /// reason for refusing it.
    pub fn parse(name: &str, value: &[u8]) -> Result<i64, &'static str> {
        let v = std::str::from_utf8(value).ok().and_then(|s| s.parse::<i64>().ok());
        let Some(v) = v else { return Err("argument couldn't be parsed into an integer") };
        if name.starts_with("list-") {
            if i32::try_from(v).is_err() {
                return Err("argument must be between -2147483648 and 2147483647 inclusive");
            }
        } else if v < 0 {
            return Err("argument must be between 0 and 9223372036854775807 inclusive");
        }
        Ok(v)
    }

    /// Sets parameter `name` to `v` (checked by [`Thresholds::parse`]).
    pub fn set(&self, name: &str, v: i64) {
        match self.field(name) {
            Some(f) => f.store(v as usize, Ordering::Relaxed),
            None => self.list_size.store(v, Ordering::Relaxed),
        }
    }

    /// The current value of a threshold.
    pub fn get(f: &AtomicUsize) -> usize {
        f.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_checked_with_redis_ranges_and_texts() {
        assert_eq!(Thresholds::parse("hash-max-listpack-entries", b"0"), Ok(0));
        assert_eq!(
            Thresholds::parse("hash-max-listpack-entries", b"-1"),
            Err("argument must be between 0 and 9223372036854775807 inclusive")
        );
        assert_eq!(Thresholds::parse("list-max-listpack-size", b"-5"), Ok(-5));
        assert_eq!(Thresholds::parse("list-max-listpack-size", b"0"), Ok(0));
        for bad in [&b"2147483648"[..], b"-2147483649"] {
            assert_eq!(
                Thresholds::parse("list-max-listpack-size", bad),
                Err("argument must be between -2147483648 and 2147483647 inclusive")
            );
        }
        assert_eq!(
            Thresholds::parse("set-max-intset-entries", b"1k"),
            Err("argument couldn't be parsed into an integer")
        );
        assert!(Thresholds::knows("hash-max-ziplist-entries") && Thresholds::knows("list-max-ziplist-size"));
        assert!(!Thresholds::knows("hash-max-entries"));
        let names: Vec<&str> = THRESHOLDS.params().iter().map(|(n, _)| *n).collect();
        assert_eq!(names.len(), 13, "eight, and five under their older names");
        assert!(names.contains(&"list-max-listpack-size"));
    }
}
