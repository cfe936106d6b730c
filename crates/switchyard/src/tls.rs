//! TLS settings: the certificate and key files, read and checked, and the
//! rustls server configuration built from them for the engine's TLS
//! listeners.
//!
//! The certificates are not part of the rustls configuration itself but of
//! a [`Certificates`] store behind it, so that `SIGHUP` can swap in new
//! files ([`Certificates::reload`]): new handshakes use them, established
//! connections keep their session, and a file that does not load leaves
//! the old certificates in place. With several certificates, a handshake
//! gets the first whose names (subject alternative names, `*.` wildcards
//! included) cover the name the client asked for (SNI), else the first.
//!
//! The crypto provider is *ring*: it builds with a C compiler alone,
//! where aws-lc-rs also needs CMake (see `docs/architecture.md`).

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rustls::crypto::ring as provider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert, WebPkiClientVerifier};
use rustls::sign::CertifiedKey;
use rustls::{RootCertStore, ServerConfig};

/// How close an expiry must be for `check-config` and a reload to warn.
pub const EXPIRY_WARNING: Duration = Duration::from_secs(14 * 24 * 3600);
/// TLS 1.2 sessions kept for resumption by session id (TLS 1.3 and
/// TLS 1.2 clients that take tickets need no server memory).
const SESSION_CACHE_ENTRIES: usize = 4096;

/// Whether a client must show a certificate signed by `--tls-client-ca`
/// (as Redis's `tls-auth-clients`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AuthClients {
    /// A client without a valid certificate is refused.
    #[default]
    Yes,
    /// A client may show none; one it shows must be valid.
    Optional,
}

impl std::str::FromStr for AuthClients {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "yes" => Ok(AuthClients::Yes),
            "optional" => Ok(AuthClients::Optional),
            other => Err(format!("`{other}` is not yes or optional")),
        }
    }
}

/// One certificate chain and its key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pair {
    /// The certificate chain, leaf first (PEM).
    pub cert: PathBuf,
    /// The leaf's private key (PEM: PKCS#8, PKCS#1 RSA or SEC1 EC).
    pub key: PathBuf,
}

/// The TLS files and choices of a server.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Files {
    /// The certificates, the default (for clients that name no server, or
    /// one no certificate covers) first.
    pub pairs: Vec<Pair>,
    /// The CA that signs client certificates, if they are asked for.
    pub client_ca: Option<PathBuf>,
    /// Whether a client certificate is required.
    pub auth_clients: AuthClients,
}

/// A certificate and key that belong together, with the leaf's expiry
/// and the names it covers.
pub struct Loaded {
    pub key: Arc<CertifiedKey>,
    /// The leaf certificate's `notAfter`.
    pub not_after: SystemTime,
    /// The DNS names of the leaf (lower case; `*.` wildcards as written).
    pub names: Vec<String>,
    /// The certificate file, for messages.
    pub path: PathBuf,
}

impl Loaded {
    /// A warning if the certificate expires within [`EXPIRY_WARNING`].
    pub fn expiry_warning(&self) -> Option<String> {
        let left = self.not_after.duration_since(SystemTime::now()).unwrap_or_default();
        (left < EXPIRY_WARNING)
            .then(|| format!("{}: the certificate expires in {} days", self.path.display(), left.as_secs() / 86_400))
    }

    /// The certificate covers `name` (lower case).
    fn covers(&self, name: &str) -> bool {
        self.names.iter().any(|n| match n.strip_prefix("*.") {
            Some(parent) => name.split_once('.').is_some_and(|(label, rest)| !label.is_empty() && rest == parent),
            None => n == name,
        })
    }
}

/// Reads and checks every pair of `files`: see [`load`].
///
/// # Errors
///
/// A message that names the file at fault.
pub fn load_all(files: &Files) -> Result<Vec<Loaded>, String> {
    if files.pairs.is_empty() {
        return Err("no TLS certificate given".into());
    }
    files.pairs.iter().map(load).collect()
}

/// Reads and checks a certificate chain and key: both parse, the key is
/// the certificate's, and the certificate is valid now.
///
/// # Errors
///
/// A message that names the file at fault.
pub fn load(pair: &Pair) -> Result<Loaded, String> {
    let (cert_path, key_path) = (&pair.cert, &pair.key);
    let pem = std::fs::read(cert_path).map_err(|e| format!("{}: {e}", cert_path.display()))?;
    let chain = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{}: not a PEM certificate chain: {e}", cert_path.display()))?;
    let Some(leaf) = chain.first() else {
        return Err(format!("{}: no certificate in the file", cert_path.display()));
    };
    let (not_before, not_after) =
        validity(leaf).ok_or_else(|| format!("{}: cannot read the certificate's validity", cert_path.display()))?;
    let names = webpki::EndEntityCert::try_from(leaf)
        .map_err(|e| format!("{}: unusable certificate: {e}", cert_path.display()))?
        .valid_dns_names()
        .map(str::to_ascii_lowercase)
        .collect();
    let now = SystemTime::now();
    if now < not_before {
        return Err(format!("{}: the certificate is not valid yet", cert_path.display()));
    }
    if now > not_after {
        return Err(format!("{}: the certificate has expired", cert_path.display()));
    }
    let pem = std::fs::read(key_path).map_err(|e| format!("{}: {e}", key_path.display()))?;
    let key = PrivateKeyDer::from_pem_slice(&pem)
        .map_err(|e| format!("{}: not a PEM private key (PKCS#8, RSA or EC): {e}", key_path.display()))?;
    let signer = provider::default_provider()
        .key_provider
        .load_private_key(key)
        .map_err(|e| format!("{}: unusable private key: {e}", key_path.display()))?;
    let key = CertifiedKey::new(chain, signer);
    key.keys_match().map_err(|e| {
        format!("{}: the key does not match the certificate {}: {e}", key_path.display(), cert_path.display())
    })?;
    Ok(Loaded { key: Arc::new(key), not_after, names, path: cert_path.clone() })
}

/// The expiry warnings of `loaded`, one line.
fn warnings(loaded: &[Loaded]) -> Option<String> {
    let all: Vec<String> = loaded.iter().filter_map(Loaded::expiry_warning).collect();
    (!all.is_empty()).then(|| all.join("; "))
}

/// The certificates new handshakes get; swapped by a reload.
pub struct Certificates {
    current: RwLock<Arc<Vec<Loaded>>>,
}

impl std::fmt::Debug for Certificates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Certificates").finish_non_exhaustive()
    }
}

impl Certificates {
    /// Loads `files` again and, if they are all good, serves them to new
    /// handshakes. Returns a warning to log (an expiry near).
    ///
    /// # Errors
    ///
    /// As [`load`]; the certificates in use stay.
    pub fn reload(&self, files: &Files) -> Result<Option<String>, String> {
        let loaded = load_all(files)?;
        let warning = warnings(&loaded);
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(loaded);
        Ok(warning)
    }
}

impl ResolvesServerCert for Certificates {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let current = self.current.read().unwrap_or_else(|e| e.into_inner()).clone();
        let wanted = hello.server_name().map(str::to_ascii_lowercase);
        let chosen = wanted.and_then(|name| current.iter().find(|c| c.covers(&name)));
        chosen.or(current.first()).map(|c| c.key.clone())
    }
}

/// A server's TLS: the configuration for the engine and the store a
/// reload swaps certificates in.
pub struct Tls {
    pub config: Arc<ServerConfig>,
    pub certificates: Arc<Certificates>,
    /// A warning to log at start (an expiry near).
    pub warning: Option<String>,
}

/// Builds the rustls configuration: TLS 1.2 and 1.3, *ring*'s cipher
/// suites, session tickets and a session cache for resumption, `alpn` as
/// the protocols offered, and client certificates if `files` names a CA.
///
/// # Errors
///
/// A message that names the file at fault.
pub fn server_config(files: &Files, alpn: &[&[u8]]) -> Result<Tls, String> {
    let loaded = load_all(files)?;
    let warning = warnings(&loaded);
    let provider = Arc::new(provider::default_provider());
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| format!("TLS: {e}"))?;
    let builder = match &files.client_ca {
        None => builder.with_no_client_auth(),
        Some(ca) => {
            let pem = std::fs::read(ca).map_err(|e| format!("{}: {e}", ca.display()))?;
            let mut roots = RootCertStore::empty();
            for cert in CertificateDer::pem_slice_iter(&pem) {
                let cert = cert.map_err(|e| format!("{}: not a PEM certificate: {e}", ca.display()))?;
                roots.add(cert).map_err(|e| format!("{}: unusable CA certificate: {e}", ca.display()))?;
            }
            if roots.is_empty() {
                return Err(format!("{}: no certificate in the file", ca.display()));
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
            let verifier = match files.auth_clients {
                AuthClients::Yes => verifier,
                AuthClients::Optional => verifier.allow_unauthenticated(),
            };
            builder.with_client_cert_verifier(verifier.build().map_err(|e| format!("{}: {e}", ca.display()))?)
        }
    };
    let certificates = Arc::new(Certificates { current: RwLock::new(Arc::new(loaded)) });
    let mut config = builder.with_cert_resolver(certificates.clone());
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    config.ticketer = provider::Ticketer::new().map_err(|e| format!("TLS session tickets: {e}"))?;
    config.session_storage = rustls::server::ServerSessionMemoryCache::new(SESSION_CACHE_ENTRIES);
    Ok(Tls { config: Arc::new(config), certificates, warning })
}

/// The paths of `files` checked for what `check-config` and a start need:
/// each names a readable file.
pub fn readable(path: &Path) -> Result<(), String> {
    std::fs::File::open(path).map(drop).map_err(|e| format!("{}: {e}", path.display()))
}

/// The leaf certificate's validity (`notBefore`, `notAfter`), read from
/// its DER: `Certificate ::= SEQUENCE { tbsCertificate SEQUENCE {
/// [0] version OPTIONAL, serialNumber, signature, issuer, validity
/// SEQUENCE { notBefore Time, notAfter Time }, ... } ... }`.
fn validity(cert: &CertificateDer<'_>) -> Option<(SystemTime, SystemTime)> {
    let (_, cert, _) = der(cert.as_ref())?;
    let (_, mut tbs, _) = der(cert)?;
    let (tag, _, rest) = der(tbs)?;
    if tag == 0xa0 {
        tbs = rest; // the explicit version
    }
    for _ in 0..3 {
        let (_, _, rest) = der(tbs)?; // serial, signature, issuer
        tbs = rest;
    }
    let (_, validity, _) = der(tbs)?;
    let (tag, not_before, rest) = der(validity)?;
    let not_before = time(tag, not_before)?;
    let (tag, not_after, _) = der(rest)?;
    Some((not_before, time(tag, not_after)?))
}

/// One DER element: its tag, its contents and what follows it.
fn der(bytes: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = bytes.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        (rest[..n].iter().fold(0usize, |acc, &b| (acc << 8) | b as usize), &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// A `UTCTime` (tag 0x17, `YYMMDDHHMMSSZ`) or `GeneralizedTime` (0x18,
/// `YYYYMMDDHHMMSSZ`), as X.509 writes them.
fn time(tag: u8, text: &[u8]) -> Option<SystemTime> {
    let text = std::str::from_utf8(text).ok()?.strip_suffix('Z')?;
    let (year, rest) = match tag {
        0x17 if text.len() == 12 => {
            let yy: i64 = text[..2].parse().ok()?;
            (if yy < 50 { 2000 + yy } else { 1900 + yy }, &text[2..])
        }
        0x18 if text.len() == 14 => (text[..4].parse().ok()?, &text[4..]),
        _ => return None,
    };
    let field = |i: usize| rest.get(i..i + 2)?.parse::<i64>().ok();
    let (month, day, hour, min, sec) = (field(0)?, field(2)?, field(4)?, field(6)?, field(8)?);
    let secs = days_from_civil(year, month, day) * 86_400 + hour * 3600 + min * 60 + sec;
    Some(if secs >= 0 {
        UNIX_EPOCH + Duration::from_secs(secs as u64)
    } else {
        UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs())
    })
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar
/// (Howard Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wildcard_covers_one_label() {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["x".to_string()]).unwrap().self_signed(&key).unwrap();
        let pem = key.serialize_pem();
        let signer = provider::default_provider()
            .key_provider
            .load_private_key(PrivateKeyDer::from_pem_slice(pem.as_bytes()).unwrap());
        let loaded = Loaded {
            key: Arc::new(CertifiedKey::new(vec![cert.der().clone()], signer.unwrap())),
            not_after: SystemTime::now(),
            names: vec!["*.example.com".into(), "example.org".into()],
            path: PathBuf::new(),
        };
        assert!(loaded.covers("www.example.com"));
        assert!(!loaded.covers("example.com") && !loaded.covers("a.b.example.com") && !loaded.covers(".example.com"));
        assert!(loaded.covers("example.org") && !loaded.covers("www.example.org"));
    }

    #[test]
    fn dates_count_days_from_the_epoch() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
    }

    #[test]
    fn both_x509_time_forms_read() {
        let t = |tag, s: &str| time(tag, s.as_bytes()).map(|t| t.duration_since(UNIX_EPOCH).unwrap().as_secs());
        assert_eq!(t(0x17, "700101000010Z"), Some(10));
        assert_eq!(t(0x18, "20000301000000Z"), Some(11_017 * 86_400));
        assert_eq!(t(0x17, "491231235959Z"), Some(2_524_607_999));
        assert_eq!(t(0x17, "7001010000Z"), None, "seconds are required");
        assert_eq!(t(0x04, "700101000010Z"), None);
    }

    #[test]
    fn a_generated_certificates_validity_is_read_and_its_key_matches() {
        let dir = std::env::temp_dir().join(format!("switchyard-tls-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["localhost".into()]).unwrap();
        params.not_before = rcgen::date_time_ymd(2020, 1, 2);
        params.not_after = rcgen::date_time_ymd(2090, 3, 4);
        let cert = params.self_signed(&key).unwrap();
        let pair = Pair { cert: dir.join("cert.pem"), key: dir.join("key.pem") };
        std::fs::write(&pair.cert, cert.pem()).unwrap();
        std::fs::write(&pair.key, key.serialize_pem()).unwrap();
        let loaded = load(&pair).unwrap();
        let days = loaded.not_after.duration_since(UNIX_EPOCH).unwrap().as_secs() / 86_400;
        assert_eq!(days as i64, days_from_civil(2090, 3, 4));
        assert!(loaded.expiry_warning().is_none());
        assert!(loaded.covers("localhost") && !loaded.covers("example.com"));
        let other = rcgen::KeyPair::generate().unwrap();
        std::fs::write(&pair.key, other.serialize_pem()).unwrap();
        let err = load(&pair).err().unwrap();
        assert!(err.contains("does not match") && err.contains("key.pem"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
