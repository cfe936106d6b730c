//! Who may talk to the server: the password (`requirepass`), `AUTH`, and
//! protected mode.
//!
//! As in Redis, the only user is `default`. Without a password it accepts
//! any; with one, a connection must authenticate before any command but
//! `AUTH`, `HELLO` and `QUIT`. Setting a password does not log out the
//! connections already open. Passwords are compared in constant time and
//! never logged; failures are counted and logged at most once a second.

use std::borrow::Cow;
use std::fmt;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

use switchyard_engine::Throttle;

use crate::command::{Arg, Exec, Outcome};

/// The reply to any command but `AUTH`, `HELLO` and `QUIT` before
/// authentication.
pub const NOAUTH: &str = "NOAUTH Authentication required.";

/// The reply to a wrong user name or password.
pub const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";

/// What protected mode sends a client from another machine before it
/// closes the connection: Redis 7's text, word for word.
pub const DENIED: &str = "-DENIED Redis is running in protected mode because protected mode is enabled and no \
password is set for the default user. In this mode connections are only accepted from the loopback interface. If \
you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable \
protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis \
from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do \
so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by \
editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. \
3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a \
an authentication password for the default user. NOTE: You only need to do one of the above things in order for \
the server to start accepting connections from the outside.\r\n";

/// A password, which `Debug` does not show.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Password(pub Vec<u8>);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(..)")
    }
}

/// The server's access rules and their counters.
pub(crate) struct Guard {
    /// `requirepass`; `None` when the default user needs none.
    password: Mutex<Option<Password>>,
    /// `protected-mode`.
    protected: AtomicBool,
    /// Failed `AUTH` and `HELLO AUTH` attempts.
    pub failures: AtomicU64,
    /// Clients turned away by protected mode.
    pub denied: AtomicU64,
    failure_log: Throttle,
    denied_log: Throttle,
}

/// Compares `given` with `secret` in time that depends only on the length
/// of `given`, so that timing tells an attacker nothing about `secret`.
fn same(given: &[u8], secret: &[u8]) -> bool {
    let mut diff = (given.len() != secret.len()) as u8;
    if secret.is_empty() {
        return given.is_empty();
    }
    for (i, &g) in given.iter().enumerate() {
        diff |= g ^ secret[i % secret.len()];
    }
    diff == 0
}

/// Whether protected mode turns away a client from `peer`: only when it is
/// on, no password is set, and the client is not on this machine's
/// loopback interface.
pub fn protected_mode_denies(protected: bool, has_password: bool, peer: IpAddr) -> bool {
    protected && !has_password && !peer.to_canonical().is_loopback()
}

impl Guard {
    pub fn new(password: Option<Password>, protected: bool) -> Guard {
        Guard {
            password: Mutex::new(password.filter(|p| !p.0.is_empty())),
            protected: AtomicBool::new(protected),
            failures: AtomicU64::new(0),
            denied: AtomicU64::new(0),
            failure_log: Throttle::default(),
            denied_log: Throttle::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Password>> {
        self.password.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A password is required.
    pub fn required(&self) -> bool {
        self.lock().is_some()
    }

    /// `requirepass` as `CONFIG GET` shows it (as Redis does, to clients
    /// that are authenticated).
    pub fn password_text(&self) -> Vec<u8> {
        self.lock().as_ref().map(|p| p.0.clone()).unwrap_or_default()
    }

    /// `CONFIG SET requirepass`: an empty one removes the password.
    pub fn set_password(&self, password: &[u8]) {
        *self.lock() = if password.is_empty() { None } else { Some(Password(password.to_vec())) };
    }

    pub fn protected_mode(&self) -> bool {
        self.protected.load(Ordering::Relaxed)
    }

    pub fn set_protected_mode(&self, on: bool) {
        self.protected.store(on, Ordering::Relaxed);
    }

    /// Applies what [`config_set`] parsed.
    pub fn apply(&self, change: Change) {
        match change {
            Change::Password(p) => self.set_password(&p),
            Change::ProtectedMode(on) => self.set_protected_mode(on),
        }
    }

    /// Whether a new client from `peer` is turned away; counts and logs it.
    pub fn denies(&self, peer: IpAddr) -> bool {
        let denies = protected_mode_denies(self.protected_mode(), self.required(), peer);
        if denies {
            self.denied.fetch_add(1, Ordering::Relaxed);
            if let Some(suppressed) = self.denied_log.allow() {
                tracing::warn!(
                    %peer,
                    suppressed,
                    "protected mode: refused a client from outside this machine; set a password \
                     (--requirepass) or turn protected mode off (--protected-mode no)"
                );
            }
        }
        denies
    }

    /// Checks `user` and `password`. The default user without a password
    /// accepts any password, as in Redis; a failure is counted and logged
    /// (never with the password).
    pub fn check(&self, user: &[u8], password: &[u8], client: u64) -> bool {
        let ok = user == b"default"
            && match &*self.lock() {
                None => true,
                Some(p) => same(password, &p.0),
            };
        if !ok {
            self.failures.fetch_add(1, Ordering::Relaxed);
            if let Some(suppressed) = self.failure_log.allow() {
                tracing::warn!(client, suppressed, "authentication failed");
            }
        }
        ok
    }
}

/// A change `CONFIG SET` makes to the access rules.
pub(crate) enum Change {
    Password(Vec<u8>),
    ProtectedMode(bool),
}

/// Parses `CONFIG SET name value` for the parameters this module owns:
/// `None` for another parameter.
pub(crate) fn config_set(name: &str, value: &[u8]) -> Result<Option<Change>, Cow<'static, str>> {
    Ok(Some(match name {
        "requirepass" => Change::Password(value.to_vec()),
        "protected-mode" => match value.to_ascii_lowercase().as_slice() {
            b"yes" => Change::ProtectedMode(true),
            b"no" => Change::ProtectedMode(false),
            _ => {
                return Err(
                    "ERR CONFIG SET failed (possibly related to argument 'protected-mode') - argument must be 'yes' or 'no'"
                        .into(),
                )
            }
        },
        _ => return Ok(None),
    }))
}

/// `AUTH [username] password`.
pub(crate) fn auth(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let Some(meta) = ex.meta else { return Ok(()) };
    let guard = &ex.sh.guard;
    let (user, password): (&[u8], &[u8]) = match a.len() {
        2 => {
            if !guard.required() {
                return Err("ERR AUTH <password> called without any password configured for the default user. \
                            Are you sure your configuration is correct?"
                    .into());
            }
            (b"default", &a[1])
        }
        3 => (&a[1], &a[2]),
        _ => return Err(crate::command::SYNTAX.into()),
    };
    if !guard.check(user, password, meta.id) {
        return Err(WRONGPASS.into());
    }
    meta.authenticated.store(true, Ordering::Relaxed);
    switchyard_codec::resp::simple(ex.out, "OK");
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, Ipv6Addr};

    use super::*;

    #[test]
    fn passwords_compare_whole() {
        assert!(same(b"secret", b"secret"));
        assert!(!same(b"secret", b"secreT"));
        assert!(!same(b"secre", b"secret"));
        assert!(!same(b"secretsecret", b"secret"), "a repetition of the secret is not the secret");
        assert!(!same(b"", b"secret"));
        assert!(same(b"", b""));
    }

    #[test]
    fn protected_mode_turns_away_only_outsiders_without_a_password() {
        let outside = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7));
        let mapped = IpAddr::V6(Ipv4Addr::LOCALHOST.to_ipv6_mapped());
        assert!(protected_mode_denies(true, false, outside));
        assert!(!protected_mode_denies(true, true, outside), "a password lets anyone try");
        assert!(!protected_mode_denies(false, false, outside), "protected mode off");
        assert!(!protected_mode_denies(true, false, IpAddr::V4(Ipv4Addr::LOCALHOST)));
        assert!(!protected_mode_denies(true, false, IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2))));
        assert!(!protected_mode_denies(true, false, IpAddr::V6(Ipv6Addr::LOCALHOST)));
        assert!(!protected_mode_denies(true, false, mapped), "IPv4 loopback seen through an IPv6 socket");
    }

    #[test]
    fn the_default_user_without_a_password_takes_any_and_others_none() {
        let open = Guard::new(None, true);
        assert!(open.check(b"default", b"anything", 1));
        assert!(!open.check(b"bob", b"anything", 1));
        let closed = Guard::new(Some(Password(b"pw".to_vec())), true);
        assert!(closed.check(b"default", b"pw", 1));
        assert!(!closed.check(b"default", b"pw2", 1));
        assert!(!closed.check(b"bob", b"pw", 1));
        assert_eq!(closed.failures.load(Ordering::Relaxed), 2);
        assert_eq!(format!("{:?}", Password(b"pw".to_vec())), "Password(..)", "Debug hides it");
    }
}
