//! Password hashes: argon2id in PHC format (what `schemata hash-password` prints), bcrypt
//! accepted so that users can be moved from other registries. Verifying is slow on purpose;
//! callers run it off the async workers and cache what it verified.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::Argon2;

/// A stored password hash, checked when the auth file is read.
#[derive(Debug, Clone)]
pub enum StoredHash {
    Argon2(String),
    Bcrypt(String),
}

impl StoredHash {
    pub fn parse(text: &str) -> Result<StoredHash, String> {
        if ["$2a$", "$2b$", "$2y$"].iter().any(|p| text.starts_with(p)) {
            // bcrypt's own parser runs on verify; its shape is fixed: `$2b$NN$` + 53 characters.
            let cost = text.get(4..6).and_then(|c| c.parse::<u32>().ok());
            return match (text.len(), cost, text.get(6..7)) {
                (60, Some(4..=31), Some("$")) => Ok(StoredHash::Bcrypt(text.to_string())),
                _ => Err("not a valid bcrypt hash".into()),
            };
        }
        let hash = PasswordHash::new(text).map_err(|e| format!("not a PHC string: {e}"))?;
        match hash.algorithm.as_str() {
            "argon2id" | "argon2i" | "argon2d" => Ok(StoredHash::Argon2(text.to_string())),
            other => Err(format!(
                "algorithm {other} is not supported (argon2id, or bcrypt)"
            )),
        }
    }

    /// Does `password` match? Slow (argon2 or bcrypt).
    pub fn verify(&self, password: &[u8]) -> bool {
        match self {
            StoredHash::Argon2(text) => PasswordHash::new(text)
                .is_ok_and(|h| Argon2::default().verify_password(password, &h).is_ok()),
            StoredHash::Bcrypt(text) => bcrypt::verify(password, text).unwrap_or(false),
        }
    }
}

/// A new argon2id hash of `password` with a random salt, in PHC format (argon2's default
/// parameters: OWASP's minimum, m=19456 KiB, t=2, p=1).
pub fn hash(password: &[u8]) -> Result<String, String> {
    Argon2::default()
        .hash_password(password)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2id_round_trip() {
        let text = hash(b"s3cret").unwrap();
        assert!(
            text.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{text}"
        );
        let stored = StoredHash::parse(&text).unwrap();
        assert!(stored.verify(b"s3cret"));
        assert!(!stored.verify(b"s3cret "));
    }

    #[test]
    fn bcrypt_accepted() {
        let text = bcrypt::hash("pw", 4).unwrap();
        let stored = StoredHash::parse(&text).unwrap();
        assert!(stored.verify(b"pw") && !stored.verify(b"pW"));
    }

    #[test]
    fn other_text_refused() {
        for bad in [
            "",
            "plain",
            "$2b$04$short",
            "$pbkdf2-sha256$i=1$c2FsdA$aGFzaA",
        ] {
            assert!(StoredHash::parse(bad).is_err(), "{bad}");
        }
    }
}
