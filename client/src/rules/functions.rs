//! The string checks Confluent's clients add to CEL (`isHostname`, `isEmail`, `isIpv4`,
//! `isIpv6`, `isUri`, `isUriRef`, `isUuid`), with the Go client's definitions: what its library
//! functions accept, ported where they are short (hostnames, addresses, UUIDs) and kept to the
//! grammar where they are not (e-mail addresses as `dot-atom@hostname`, URIs by RFC 3986's
//! scheme and escapes).

use std::net::{Ipv4Addr, Ipv6Addr};

use cel::common::types::{CelBool, CelString};
use cel::{DeclarationError, Env};

/// Registers the checks on `env`, as member functions of strings.
pub(crate) fn extension(env: &mut Env) -> Result<(), DeclarationError> {
    cel::add_member_overload!(env, fn is_hostname: (CelString<'_>) -> CelBool)?;
    cel::add_member_overload!(env, fn is_email: (CelString<'_>) -> CelBool)?;
    cel::add_member_overload!(env, fn is_ipv4: (CelString<'_>) -> CelBool)?;
    cel::add_member_overload!(env, fn is_ipv6: (CelString<'_>) -> CelBool)?;
    cel::add_member_overload!(env, fn is_uri: (CelString<'_>) -> CelBool)?;
    cel::add_member_overload!(env, fn is_uri_ref: (CelString<'_>) -> CelBool)?;
    cel::add_member_overload!(env, fn is_uuid: (CelString<'_>) -> CelBool)?;
    Ok(())
}

fn is_hostname(this: &CelString<'_>) -> CelBool {
    hostname(this).into()
}

fn is_email(this: &CelString<'_>) -> CelBool {
    email(this).into()
}

fn is_ipv4(this: &CelString<'_>) -> CelBool {
    ip(this).is_some_and(|v4| v4).into()
}

fn is_ipv6(this: &CelString<'_>) -> CelBool {
    ip(this).is_some_and(|v4| !v4).into()
}

fn is_uri(this: &CelString<'_>) -> CelBool {
    (uri_ref(this) && scheme(this).is_some()).into()
}

fn is_uri_ref(this: &CelString<'_>) -> CelBool {
    uri_ref(this).into()
}

fn is_uuid(this: &CelString<'_>) -> CelBool {
    uuid(this).into()
}

/// Labels of letters, digits and inner hyphens, 63 at most, 253 in all, the last not all
/// digits; one trailing dot allowed; either case.
fn hostname(host: &str) -> bool {
    if host.len() > 253 {
        return false;
    }
    let host = host.strip_suffix('.').unwrap_or(host);
    let mut all_digits = false;
    for label in host.split('.') {
        let bytes = label.as_bytes();
        if bytes.is_empty()
            || bytes.len() > 63
            || bytes[0] == b'-'
            || bytes[bytes.len() - 1] == b'-'
            || !bytes
                .iter()
                .all(|c| c.is_ascii_alphanumeric() || *c == b'-')
        {
            return false;
        }
        all_digits = bytes.iter().all(u8::is_ascii_digit);
    }
    !all_digits
}

/// `local@host`: the local part a dot-atom of 64 at most, the host a hostname, 254 in all.
fn email(address: &str) -> bool {
    let Some((local, host)) = address.split_once('@') else {
        return false;
    };
    const ATEXT: &[u8] = b"!#$%&'*+-/=?^_`{|}~";
    let atom = |a: &str| {
        !a.is_empty()
            && a.bytes()
                .all(|c| c.is_ascii_alphanumeric() || ATEXT.contains(&c))
    };
    address.len() <= 254 && local.len() <= 64 && local.split('.').all(atom) && hostname(host)
}

/// `Some(true)` for an IPv4 address (dotted, or IPv4-mapped IPv6, as Go's `To4` counts it),
/// `Some(false)` for another IPv6 address.
fn ip(address: &str) -> Option<bool> {
    if address.parse::<Ipv4Addr>().is_ok() {
        return Some(true);
    }
    let v6 = address.parse::<Ipv6Addr>().ok()?;
    Some(v6.to_ipv4_mapped().is_some())
}

/// The scheme, when the text starts with one (`ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"`).
fn scheme(text: &str) -> Option<&str> {
    let (scheme, _) = text.split_once(':')?;
    let mut chars = scheme.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
    .then_some(scheme)
}

/// A URI reference as Go's URL parser takes one: no control characters, `%` only before two
/// hex digits, and no `:` in a first path segment that is not a scheme.
fn uri_ref(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.iter().any(|c| *c < 0x20 || *c == 0x7f) {
        return false;
    }
    let escapes_ok = bytes.iter().enumerate().all(|(i, c)| {
        *c != b'%'
            || (bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
    });
    let first_segment = text.split(['/', '?', '#']).next().unwrap_or("");
    escapes_ok && (scheme(text).is_some() || !first_segment.contains(':'))
}

/// The forms Go's `uuid.Parse` takes: `8-4-4-4-12` hex digits, bare, in braces or after
/// `urn:uuid:`, or 32 hex digits.
fn uuid(text: &str) -> bool {
    let urn = text
        .get(..9)
        .filter(|p| p.eq_ignore_ascii_case("urn:uuid:"));
    let text = if text.len() == 45 && urn.is_some() {
        &text[9..]
    } else if text.len() == 38 && text.starts_with('{') && text.ends_with('}') {
        &text[1..37]
    } else {
        text
    };
    match text.len() {
        32 => text.bytes().all(|c| c.is_ascii_hexdigit()),
        36 => text.bytes().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_hexdigit(),
        }),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checks_accept_what_confluents_go_client_accepts() {
        assert!(hostname("schema-registry.example.com"));
        assert!(hostname("EXAMPLE.com."));
        for bad in [
            "",
            "a..b",
            "-a.com",
            "a-.com",
            "a_b.com",
            "1.2.3.4",
            &"a".repeat(64),
        ] {
            assert!(!hostname(bad), "{bad}");
        }
        assert!(email("ada.lovelace+kafka@example.com"));
        for bad in [
            "ada",
            "Ada <ada@example.com>",
            ".ada@example.com",
            "ada@1.2",
            "a@b@c.com",
        ] {
            assert!(!email(bad), "{bad}");
        }
        assert_eq!(ip("192.168.0.1"), Some(true));
        assert_eq!(ip("::ffff:192.168.0.1"), Some(true));
        assert_eq!(ip("2001:db8::1"), Some(false));
        assert_eq!(ip("192.168.0"), None);
        assert!(uri_ref("https://example.com/a%20b?q#f") && scheme("https://x").is_some());
        assert!(uri_ref("/relative/path") && scheme("/relative/path").is_none());
        assert!(!uri_ref("bad%zz") && !uri_ref("a\nb") && !uri_ref("1a:b"));
        for good in [
            "89b4ffc4-ab9f-4d21-8c6f-1a1c1a2b3c4d",
            "{89b4ffc4-ab9f-4d21-8c6f-1a1c1a2b3c4d}",
            "urn:uuid:89b4ffc4-ab9f-4d21-8c6f-1a1c1a2b3c4d",
            "89b4ffc4ab9f4d218c6f1a1c1a2b3c4d",
        ] {
            assert!(uuid(good), "{good}");
        }
        assert!(!uuid("89b4ffc4-ab9f-4d21-8c6f-1a1c1a2b3c4") && !uuid("é"));
        // Not a panic on a multibyte character where the `urn:uuid:` prefix would end.
        assert!(!uuid(&format!("urn:uui{}ab", "€".repeat(12))));
    }
}
