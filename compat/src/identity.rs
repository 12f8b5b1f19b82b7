//! Schema identity: the MD5 Confluent uses to decide that two registrations are the same schema.
//!
//! The hash covers the canonical text, then each reference's name, subject and big-endian
//! version, in order. The schema type is deliberately not part of it (Confluent's rule, pinned by
//! `compat-vectors/identity`). The same 16 bytes, printed as a UUID, are the schema's `guid`.

use md5::{Digest, Md5};

use crate::Reference;

/// MD5 of a canonical schema text and its references.
pub fn identity(canonical: &str, references: &[Reference]) -> [u8; 16] {
    let mut md5 = Md5::new();
    md5.update(canonical.as_bytes());
    for r in references {
        md5.update(r.name.as_bytes());
        md5.update(r.subject.as_bytes());
        md5.update(r.version.to_be_bytes());
    }
    md5.finalize().into()
}

/// Formats an identity as a UUID string (`8-4-4-4-12` lower-case hex), Confluent's `guid`.
pub fn guid(identity: &[u8; 16]) -> String {
    let hex: String = identity.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}
