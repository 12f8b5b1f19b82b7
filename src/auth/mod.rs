//! Authentication and authorization, free of HTTP: who a request comes from ([`Principal`]),
//! from HTTP Basic credentials, a bearer JWT or a TLS client certificate's name, and what that
//! principal may do ([`policy::Access`]). The HTTP layer (`http/guard.rs`) applies it.
//!
//! - `file.rs`: the auth file, read and checked whole.
//! - `password.rs`: argon2id and bcrypt hashes; `jwt.rs`: bearer tokens; `policy.rs`: roles and
//!   grants; `cache.rs`: credentials already verified.
//!
//! Everything the file configures lives in one immutable [`Keys`] swapped atomically on reload,
//! with its own cache: a reload forgets every verified credential, so a removed user or grant
//! takes effect at once.

mod cache;
pub mod file;
pub mod jwt;
pub mod password;
pub mod policy;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use arc_swap::ArcSwap;
use base64::Engine;

use cache::{Cache, CacheKey};
use jwt::JwtVerifier;
use password::StoredHash;
use policy::{Access, Policy};

/// Who a request comes from, and what it may do.
#[derive(Debug)]
pub struct Principal {
    pub name: Box<str>,
    pub access: Access,
    /// How it proved it: `basic`, `bearer` or `certificate` (for the audit log).
    pub method: &'static str,
    /// Unix seconds from which it is no longer valid (a token's `exp`).
    expires: Option<u64>,
}

/// Why a request is refused with 401: for the audit log only. The client always gets the same
/// answer, whichever it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    NoCredentials,
    Malformed,
    UnknownScheme,
    BadPassword,
    BadToken,
}

impl Refusal {
    pub fn reason(self) -> &'static str {
        match self {
            Refusal::NoCredentials => "no credentials",
            Refusal::Malformed => "malformed Authorization header",
            Refusal::UnknownScheme => "unsupported authentication scheme",
            Refusal::BadPassword => "unknown user or wrong password",
            Refusal::BadToken => "invalid bearer token",
        }
    }
}

/// An argon2id hash with the default parameters (those `hash-password` uses), of a password no
/// one sends.
const DECOY: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$T6UPGhFKT0hnsLuu88lZWA$sM1AwGgz3lkFusKH1zPunimnLrsc7AcBlDFKIuv9Agg";

/// Everything one version of the auth file configures.
pub struct Keys {
    users: HashMap<String, StoredHash>,
    jwt: Option<JwtVerifier>,
    policy: Policy,
    /// Verified against when the user is unknown, so that an unknown user and a wrong password
    /// take the same time.
    decoy: StoredHash,
    cache: Cache,
}

impl Keys {
    fn load(path: &Path) -> Result<Keys, String> {
        let settings = file::load(path)?;
        let decoy = StoredHash::parse(DECOY).expect("the decoy is a valid hash");
        Ok(Keys {
            users: settings.users,
            jwt: settings.jwt,
            policy: settings.policy,
            decoy,
            cache: Cache::new(),
        })
    }

    pub fn has_users(&self) -> bool {
        !self.users.is_empty()
    }

    pub fn has_jwt(&self) -> bool {
        self.jwt.is_some()
    }
}

/// The auth file in force, re-read on demand (SIGHUP).
pub struct Authenticator {
    path: PathBuf,
    keys: ArcSwap<Keys>,
}

/// The outcome of [`Authenticator::check`].
pub enum Check {
    Done(Result<Arc<Principal>, Refusal>),
    /// A password to verify: slow, run it off the async workers.
    Password(PasswordCheck),
}

/// A Basic credential not yet verified.
pub struct PasswordCheck {
    keys: Arc<Keys>,
    key: CacheKey,
    user: String,
    password: Vec<u8>,
}

impl PasswordCheck {
    /// Verifies the password (argon2 or bcrypt) and caches the principal when it matches.
    pub fn verify(self) -> Result<Arc<Principal>, Refusal> {
        let keys = &self.keys;
        let ok = match keys.users.get(&self.user) {
            Some(hash) => hash.verify(&self.password),
            None => {
                keys.decoy.verify(&self.password);
                false
            }
        };
        if !ok {
            return Err(Refusal::BadPassword);
        }
        let principal = Arc::new(Principal {
            access: keys.policy.access(&self.user, &[]),
            name: self.user.into(),
            method: "basic",
            expires: None,
        });
        keys.cache.insert(self.key, principal.clone());
        Ok(principal)
    }
}

impl Authenticator {
    /// Reads the auth file at `path`; the error names the line and the reason.
    pub fn load(path: &Path) -> Result<Authenticator, String> {
        let keys = Keys::load(path)?;
        Ok(Authenticator {
            path: path.to_path_buf(),
            keys: ArcSwap::from_pointee(keys),
        })
    }

    /// Re-reads the file. A file with a mistake leaves the one in force, and says why.
    pub fn reload(&self) -> Result<(), String> {
        let keys = Keys::load(&self.path)?;
        self.keys.store(Arc::new(keys));
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file in force.
    pub fn keys(&self) -> Arc<Keys> {
        self.keys.load_full()
    }

    /// Who sends `authorization` (the header's value, when there is one) on a connection whose
    /// client certificate is named `certificate`. A credential seen before is a cache hit: one
    /// keyed hash of the header and a lookup, nothing parsed, no lock shared with writers.
    pub fn check(&self, authorization: Option<&[u8]>, certificate: Option<&str>) -> Check {
        let keys = self.keys.load();
        let raw = match (authorization, certificate) {
            (Some(header), _) => header,
            // A certificate's name is not secret, but the same cache keeps its resolved grants.
            (None, Some(name)) => name.as_bytes(),
            (None, None) => return Check::Done(Err(Refusal::NoCredentials)),
        };
        let from_header = authorization.is_some();
        let key = keys.cache.key(from_header, raw);
        let now = now();
        if let Some(principal) = keys.cache.get(&key) {
            if principal.expires.is_none_or(|e| now < e) {
                return Check::Done(Ok(principal));
            }
        }
        let keys = arc_swap::Guard::into_inner(keys);
        let Some(header) = authorization else {
            let name = certificate.unwrap_or_default();
            let principal = Arc::new(Principal {
                name: name.into(),
                access: keys.policy.access(name, &[]),
                method: "certificate",
                expires: None,
            });
            keys.cache.insert(key, principal.clone());
            return Check::Done(Ok(principal));
        };
        let (scheme, rest) = match header.iter().position(|b| *b == b' ') {
            Some(i) => (&header[..i], trim(&header[i + 1..])),
            None => return Check::Done(Err(Refusal::Malformed)),
        };
        if scheme.eq_ignore_ascii_case(b"basic") {
            let Some((user, password)) = basic(rest) else {
                return Check::Done(Err(Refusal::Malformed));
            };
            return Check::Password(PasswordCheck {
                keys,
                key,
                user,
                password,
            });
        }
        if scheme.eq_ignore_ascii_case(b"bearer") {
            return Check::Done(bearer(&keys, key, rest, now));
        }
        Check::Done(Err(Refusal::UnknownScheme))
    }
}

fn trim(bytes: &[u8]) -> &[u8] {
    bytes.trim_ascii()
}

/// `user:password` from a Basic credential (base64, the user name UTF-8).
fn basic(encoded: &[u8]) -> Option<(String, Vec<u8>)> {
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    let colon = decoded.iter().position(|b| *b == b':')?;
    let user = std::str::from_utf8(&decoded[..colon]).ok()?.to_string();
    Some((user, decoded[colon + 1..].to_vec()))
}

fn bearer(keys: &Keys, key: CacheKey, token: &[u8], now: u64) -> Result<Arc<Principal>, Refusal> {
    let verifier = keys.jwt.as_ref().ok_or(Refusal::UnknownScheme)?;
    let token = std::str::from_utf8(token).map_err(|_| Refusal::Malformed)?;
    let verified = verifier.verify(token).map_err(|reason| {
        tracing::debug!(reason, "bearer token refused");
        Refusal::BadToken
    })?;
    if verified.expires <= now {
        return Err(Refusal::BadToken);
    }
    let principal = Arc::new(Principal {
        access: keys.policy.access(&verified.principal, &verified.groups),
        name: verified.principal.into(),
        method: "bearer",
        expires: Some(verified.expires),
    });
    keys.cache.insert(key, principal.clone());
    Ok(principal)
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
