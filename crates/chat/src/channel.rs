//! A channel: its members and their status (`@` operator, `+` voice), its
//! modes, topic and ban list; and the wildcard masks that bans are written in.
//!
//! Invariants: `ops` and `voiced` hold members only (a member leaving
//! leaves both); the ban list holds at most [`BAN_LIST_MAX`] masks, each
//! in its full `nick!user@host` form.

use std::collections::BTreeSet;

use switchyard_codec::irc::fold;
use switchyard_engine::ConnId;

/// Most masks in a channel's ban list (005 `MAXLIST=b:`).
pub const BAN_LIST_MAX: usize = 50;

/// A channel's topic and who set it when.
#[derive(Debug, Clone)]
pub struct Topic {
    pub text: String,
    /// `nick!user@host` of whoever set it.
    pub set_by: String,
    /// Seconds since the Unix epoch.
    pub set_at: u64,
}

/// One ban: a mask and who set it when (for 367).
#[derive(Debug, Clone)]
pub struct Ban {
    /// `nick!user@host`, wildcards allowed, as set (not folded).
    pub mask: String,
    pub set_by: String,
    /// Seconds since the Unix epoch.
    pub set_at: u64,
}

/// The channel's flags and parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Modes {
    /// `+n`: only members may send to it.
    pub no_external: bool,
    /// `+t`: only operators set the topic.
    pub topic_ops_only: bool,
    /// `+m`: only operators and voiced members speak.
    pub moderated: bool,
    /// `+i`: joining needs an invitation.
    pub invite_only: bool,
    /// `+s`: hidden from LIST, WHOIS and NAMES of non-members.
    pub secret: bool,
    /// `+p`: hidden like `+s`, but shown as private (`*`) in NAMES.
    pub private: bool,
    /// `+k`: the key that JOIN must give.
    pub key: Option<String>,
    /// `+l`: most members.
    pub limit: Option<usize>,
}

impl Default for Modes {
    /// A new channel is `+nt`, as on most networks.
    fn default() -> Modes {
        Modes {
            no_external: true,
            topic_ops_only: true,
            moderated: false,
            invite_only: false,
            secret: false,
            private: false,
            key: None,
            limit: None,
        }
    }
}

impl Modes {
    /// The flags as 324 shows them, e.g. `+klnt`, and their parameters (the
    /// key only when `show_key`, for members).
    pub fn describe(&self, show_key: bool) -> (String, Vec<String>) {
        let mut flags = String::from("+");
        let mut params = Vec::new();
        for (set, c) in [(self.invite_only, 'i')] {
            if set {
                flags.push(c);
            }
        }
        if let Some(key) = &self.key {
            flags.push('k');
            params.push(if show_key { key.clone() } else { "*".to_string() });
        }
        if let Some(limit) = self.limit {
            flags.push('l');
            params.push(limit.to_string());
        }
        for (set, c) in [
            (self.moderated, 'm'),
            (self.no_external, 'n'),
            (self.private, 'p'),
            (self.secret, 's'),
            (self.topic_ops_only, 't'),
        ] {
            if set {
                flags.push(c);
            }
        }
        (flags, params)
    }

    /// Hidden from those outside (`+s` or `+p`).
    pub fn hidden(&self) -> bool {
        self.secret || self.private
    }

    /// The NAMES channel type: `@` secret, `*` private, `=` public.
    pub fn names_type(&self) -> &'static str {
        if self.secret {
            "@"
        } else if self.private {
            "*"
        } else {
            "="
        }
    }
}

/// A channel: exists while it has members.
#[derive(Debug)]
pub struct Channel {
    /// The name as its creator spelled it.
    pub name: String,
    pub topic: Option<Topic>,
    /// Members in the order they joined.
    pub members: Vec<ConnId>,
    /// Members with `@`.
    pub ops: BTreeSet<ConnId>,
    /// Members with `+`.
    pub voiced: BTreeSet<ConnId>,
    pub modes: Modes,
    pub bans: Vec<Ban>,
    /// Creation time, seconds since the Unix epoch.
    pub created: u64,
}

impl Channel {
    /// A channel with no members yet.
    pub fn new(name: &str, created: u64) -> Channel {
        Channel {
            name: name.to_string(),
            topic: None,
            members: Vec::new(),
            ops: BTreeSet::new(),
            voiced: BTreeSet::new(),
            modes: Modes::default(),
            bans: Vec::new(),
            created,
        }
    }

    /// Takes `id` out of the channel; true when the channel is now empty.
    pub fn remove(&mut self, id: ConnId) -> bool {
        self.members.retain(|&m| m != id);
        self.ops.remove(&id);
        self.voiced.remove(&id);
        self.members.is_empty()
    }

    pub fn is_member(&self, id: ConnId) -> bool {
        self.members.contains(&id)
    }

    pub fn is_op(&self, id: ConnId) -> bool {
        self.ops.contains(&id)
    }

    /// Operators and voiced members speak in a moderated channel and past bans.
    pub fn may_speak_always(&self, id: ConnId) -> bool {
        self.ops.contains(&id) || self.voiced.contains(&id)
    }

    /// The prefix NAMES and WHO show for `id`: the highest only (`@` or
    /// `+`), or every one with `all` (IRCv3 `multi-prefix`).
    pub fn prefix(&self, id: ConnId, all: bool) -> &'static str {
        match (self.ops.contains(&id), self.voiced.contains(&id)) {
            (true, true) if all => "@+",
            (true, _) => "@",
            (false, true) => "+",
            (false, false) => "",
        }
    }

    /// A ban matches `who` (`nick!user@host`).
    pub fn banned(&self, who: &str) -> bool {
        let who = fold(who);
        self.bans.iter().any(|b| matches(&fold(&b.mask), &who))
    }
}

/// Completes a ban mask to `nick!user@host`: `nick` alone is `nick!*@*`,
/// `user@host` is `*!user@host`, and `nick!user` is `nick!user@*`.
pub fn full_mask(mask: &str) -> String {
    let (nick_user, host) = match mask.split_once('@') {
        Some((nu, h)) => (nu, if h.is_empty() { "*" } else { h }),
        None => (mask, "*"),
    };
    let (nick, user) = match nick_user.split_once('!') {
        Some((n, u)) => (n, u),
        None if mask.contains('@') => ("*", nick_user),
        None => (nick_user, "*"),
    };
    let or_star = |s: &str| if s.is_empty() { "*".to_string() } else { s.to_string() };
    format!("{}!{}@{}", or_star(nick), or_star(user), host)
}

/// Wildcard matching: `*` any run of characters, `?` any one. Both sides
/// should be folded by the caller. Iterative with one back-track point, so
/// linear in practice and never recursive.
pub fn matches(mask: &str, text: &str) -> bool {
    let (m, t): (Vec<char>, Vec<char>) = (mask.chars().collect(), text.chars().collect());
    let (mut i, mut j) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while j < t.len() {
        if i < m.len() && (m[i] == '?' || m[i] == t[j]) {
            i += 1;
            j += 1;
        } else if i < m.len() && m[i] == '*' {
            star = Some((i, j));
            i += 1;
        } else if let Some((si, sj)) = star {
            i = si + 1;
            j = sj + 1;
            star = Some((si, sj + 1));
        } else {
            return false;
        }
    }
    m[i..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_complete_to_nick_user_host() {
        assert_eq!(full_mask("spam"), "spam!*@*");
        assert_eq!(full_mask("*@10.0.0.1"), "*!*@10.0.0.1");
        assert_eq!(full_mask("bob!b"), "bob!b@*");
        assert_eq!(full_mask("a!b@c"), "a!b@c");
        assert_eq!(full_mask("!@"), "*!*@*");
    }

    #[test]
    fn wildcards_match_runs_and_single_characters() {
        for (mask, text, want) in [
            ("*!*@*", "a!b@c", true),
            ("spam*!*@*", "spammer!x@1.2.3.4", true),
            ("spam*!*@*", "ham!x@1.2.3.4", false),
            ("*!*@127.0.0.?", "a!b@127.0.0.1", true),
            ("*!*@127.0.0.?", "a!b@127.0.0.10", false),
            ("a*b*c", "aXXbYYc", true),
            ("a*b*c", "aXXbYY", false),
            ("", "", true),
            ("*", "", true),
            ("**a", "ba", true),
        ] {
            assert_eq!(matches(mask, text), want, "{mask} ~ {text}");
        }
    }

    #[test]
    fn a_ban_matches_in_any_case() {
        let mut c = Channel::new("#r", 0);
        c.bans.push(Ban { mask: "Spam[1]!*@*".into(), set_by: "op".into(), set_at: 0 });
        assert!(c.banned("spam{1}!u@h"));
        assert!(!c.banned("spam2!u@h"));
    }

    #[test]
    fn modes_describe_flags_in_order_and_hide_the_key_from_outsiders() {
        let mut m = Modes::default();
        assert_eq!(m.describe(true), ("+nt".to_string(), vec![]));
        m.key = Some("k3y".into());
        m.limit = Some(5);
        m.invite_only = true;
        assert_eq!(m.describe(true), ("+iklnt".to_string(), vec!["k3y".to_string(), "5".to_string()]));
        assert_eq!(m.describe(false).1, vec!["*".to_string(), "5".to_string()]);
    }
}
