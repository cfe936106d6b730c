//! Server operators' password hashes: SHA-crypt (`$6$` SHA-512 or `$5$`
//! SHA-256) in the Modular Crypt Format, as `openssl passwd -6`,
//! `mkpasswd -m sha-512` and `/etc/shadow` write them. The clear-text
//! password is never stored.
//!
//! Checking a password costs `rounds` hash rounds with the registry locked
//! (OPER runs there like every command), so the rounds a hash may ask for
//! are capped at [`ROUNDS_MAX`].

use std::fmt;

use sha_crypt::{sha256_crypt_b64, sha512_crypt_b64, Sha256Params, Sha512Params};

/// Rounds when a hash does not say (`$6$salt$...`), as glibc assumes.
const ROUNDS_DEFAULT: usize = 5_000;
/// Fewest rounds SHA-crypt allows.
const ROUNDS_MIN: usize = 1_000;
/// Most rounds accepted in a configured hash: about 50 ms of hashing, a
/// pause every client would share while an OPER is checked.
pub const ROUNDS_MAX: usize = 100_000;
/// Longest salt SHA-crypt uses; longer ones are cut, as glibc does.
const SALT_MAX_BYTES: usize = 16;

/// Which SHA-crypt variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Variant {
    Sha256,
    Sha512,
}

/// A parsed `$6$[rounds=N$]salt$hash` (or `$5$...`).
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash {
    variant: Variant,
    rounds: usize,
    salt: String,
    hash: String,
}

impl fmt::Debug for PasswordHash {
    /// Leaves the hash out of logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordHash").field("variant", &self.variant).field("rounds", &self.rounds).finish()
    }
}

/// Why a configured string is not a usable hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashError(String);

impl fmt::Display for HashError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for HashError {}

impl PasswordHash {
    /// Parses a SHA-crypt string.
    ///
    /// # Errors
    ///
    /// [`HashError`] for anything but `$5$` or `$6$` with a salt and a hash
    /// of the right length, or rounds outside 1000..=[`ROUNDS_MAX`].
    pub fn parse(s: &str) -> Result<PasswordHash, HashError> {
        let bad =
            |why: &str| HashError(format!("not a SHA-crypt hash ($6$salt$hash, as `openssl passwd -6` makes): {why}"));
        let (variant, rest, len) = if let Some(rest) = s.strip_prefix("$6$") {
            (Variant::Sha512, rest, 86)
        } else if let Some(rest) = s.strip_prefix("$5$") {
            (Variant::Sha256, rest, 43)
        } else {
            return Err(bad("it does not start with $6$ or $5$"));
        };
        let mut parts: Vec<&str> = rest.split('$').collect();
        let mut rounds = ROUNDS_DEFAULT;
        if let Some(r) = parts.first().and_then(|p| p.strip_prefix("rounds=")) {
            rounds = r.parse().map_err(|_| bad("the rounds are not a number"))?;
            if !(ROUNDS_MIN..=ROUNDS_MAX).contains(&rounds) {
                return Err(HashError(format!("rounds={rounds} is outside {ROUNDS_MIN}..={ROUNDS_MAX}")));
            }
            parts.remove(0);
        }
        let [salt, hash] = parts[..] else { return Err(bad("it needs a salt and a hash after the $6$")) };
        if hash.len() != len || !hash.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'/') {
            return Err(bad("the hash part has the wrong length or characters"));
        }
        let salt = salt.get(..SALT_MAX_BYTES.min(salt.len())).ok_or_else(|| bad("the salt is not ASCII"))?;
        Ok(PasswordHash { variant, rounds, salt: salt.to_string(), hash: hash.to_string() })
    }

    /// The password hashes to this, compared in constant time.
    pub fn verify(&self, password: &str) -> bool {
        let computed = match self.variant {
            Variant::Sha512 => Sha512Params::new(self.rounds)
                .ok()
                .and_then(|p| sha512_crypt_b64(password.as_bytes(), self.salt.as_bytes(), &p).ok()),
            Variant::Sha256 => Sha256Params::new(self.rounds)
                .ok()
                .and_then(|p| sha256_crypt_b64(password.as_bytes(), self.salt.as_bytes(), &p).ok()),
        };
        let Some(computed) = computed else { return false };
        let (a, b) = (computed.as_bytes(), self.hash.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Made with `openssl passwd -6 -salt saltsalt secret` and
    // `openssl passwd -5 -salt saltsalt secret`.
    const SHA512: &str =
        "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1";
    const SHA256: &str = "$5$saltsalt$0IyaXrmV7.sGNS6tirgqHLqX/G.FBvgkYA.lpPdS5sA";

    #[test]
    fn hashes_from_openssl_verify_their_password_only() {
        for s in [SHA512, SHA256] {
            let h = PasswordHash::parse(s).unwrap();
            assert!(h.verify("secret"), "{s}");
            assert!(!h.verify("Secret"), "{s}");
            assert!(!h.verify(""), "{s}");
        }
    }

    #[test]
    fn explicit_rounds_are_honoured_and_bounded() {
        // glibc crypt("secret", "$6$rounds=1000$saltsalt")
        let h = PasswordHash::parse(
            "$6$rounds=1000$saltsalt$LAV5VE5Y7w1d73x1mFNspYWUpazfmwv2SoepNXNKJ/otop/Zok96Hr8Q13LEv0DRY/x8v0/crpIjl8NJSAqXV/",
        );
        assert!(h.unwrap().verify("secret"));
        let too_many = format!("$6$rounds={}$saltsalt${}", ROUNDS_MAX + 1, &SHA512[18..]);
        assert!(PasswordHash::parse(&too_many).unwrap_err().to_string().contains("rounds="));
    }

    #[test]
    fn clear_text_and_other_schemes_are_refused() {
        for s in ["secret", "$1$salt$abc", "$2b$10$abcdefghijklmnopqrstuu", "$6$salt", "$6$saltsalt$short", ""] {
            assert!(PasswordHash::parse(s).is_err(), "{s}");
        }
        assert!(!format!("{:?}", PasswordHash::parse(SHA512).unwrap()).contains("TVLl"));
    }
}
