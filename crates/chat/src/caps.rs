//! IRCv3 client capabilities: which ones the server offers, and which ones
//! a client turned on with `CAP REQ`.
//!
//! A client that asked for none gets exactly the RFC 1459 lines it always
//! got: every extension (tags, extra JOIN parameters, AWAY broadcasts) is
//! sent only to clients that have its capability.

/// One capability the server offers, named as the IRCv3 registry names it
/// (hence `CapNotify`).
#[allow(clippy::enum_variant_names)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cap {
    CapNotify,
    MultiPrefix,
    AwayNotify,
    ServerTime,
    MessageTags,
    EchoMessage,
    ExtendedJoin,
}

impl Cap {
    /// Every capability, in the order `CAP LS` lists them.
    pub const ALL: [Cap; 7] = [
        Cap::AwayNotify,
        Cap::CapNotify,
        Cap::EchoMessage,
        Cap::ExtendedJoin,
        Cap::MessageTags,
        Cap::MultiPrefix,
        Cap::ServerTime,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Cap::CapNotify => "cap-notify",
            Cap::MultiPrefix => "multi-prefix",
            Cap::AwayNotify => "away-notify",
            Cap::ServerTime => "server-time",
            Cap::MessageTags => "message-tags",
            Cap::EchoMessage => "echo-message",
            Cap::ExtendedJoin => "extended-join",
        }
    }

    /// The capability called `name` (case-sensitive, as the spec says).
    pub fn named(name: &str) -> Option<Cap> {
        Cap::ALL.into_iter().find(|c| c.name() == name)
    }

    fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// The capabilities a client has turned on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Caps(u8);

impl Caps {
    pub fn has(self, cap: Cap) -> bool {
        self.0 & cap.bit() != 0
    }

    pub fn set(&mut self, cap: Cap, on: bool) {
        if on {
            self.0 |= cap.bit();
        } else {
            self.0 &= !cap.bit();
        }
    }

    /// The client takes tags on messages (`server-time` or `message-tags`).
    pub fn tags(self) -> bool {
        self.has(Cap::ServerTime) || self.has(Cap::MessageTags)
    }

    /// Names of the enabled capabilities, space-separated (`CAP LIST`).
    pub fn list(self) -> String {
        Cap::ALL.into_iter().filter(|&c| self.has(c)).map(Cap::name).collect::<Vec<_>>().join(" ")
    }

    /// Applies a `CAP REQ` list (`cap` to enable, `-cap` to disable) all
    /// or nothing: `None`, and no change, if any name is unknown.
    pub fn request(self, list: &str) -> Option<Caps> {
        let mut next = self;
        let mut any = false;
        for word in list.split(' ').filter(|w| !w.is_empty()) {
            let (name, on) = match word.strip_prefix('-') {
                Some(n) => (n, false),
                None => (word, true),
            };
            next.set(Cap::named(name)?, on);
            any = true;
        }
        any.then_some(next)
    }
}

/// `@time=YYYY-MM-DDThh:mm:ss.sssZ ` for a `server-time` client.
pub fn time_tag(unix_millis: u64) -> String {
    let date = crate::clock::format_utc(unix_millis / 1000);
    // "YYYY-MM-DD HH:MM:SS UTC" -> "YYYY-MM-DDTHH:MM:SS"
    let stamp = date.trim_end_matches(" UTC").replacen(' ', "T", 1);
    format!("@time={stamp}.{:03}Z ", unix_millis % 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_is_applied_whole_or_not_at_all() {
        let caps = Caps::default();
        let on = caps.request("multi-prefix  server-time").unwrap();
        assert!(on.has(Cap::MultiPrefix) && on.has(Cap::ServerTime) && !on.has(Cap::AwayNotify));
        assert_eq!(on.list(), "multi-prefix server-time");
        assert_eq!(on.request("away-notify sasl"), None);
        assert_eq!(on.request(""), None);
        let off = on.request("-server-time").unwrap();
        assert!(!off.has(Cap::ServerTime) && off.has(Cap::MultiPrefix));
        assert_eq!(caps.request("MULTI-PREFIX"), None, "names are case-sensitive");
    }

    #[test]
    fn the_time_tag_is_iso_8601_in_utc_with_milliseconds() {
        assert_eq!(time_tag(1_700_000_000_123), "@time=2023-11-14T22:13:20.123Z ");
        assert_eq!(time_tag(5), "@time=1970-01-01T00:00:00.005Z ");
    }
}
