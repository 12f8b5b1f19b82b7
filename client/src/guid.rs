//! A schema's GUID (Confluent 8.x): 16 bytes, written as a UUID (`8-4-4-4-12` lowercase hex) in
//! the registry's JSON and as its 16 bytes, most significant first, in a frame.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer};

use crate::Error;

/// A schema's GUID, as `GET /schemas/guids/{guid}` takes it and a `0x01` frame carries it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Guid(pub [u8; 16]);

/// Where the hyphens go in the text form, by hex digit.
const HYPHENS_AFTER: [usize; 4] = [8, 12, 16, 20];

impl fmt::Display for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, byte) in self.0.iter().enumerate() {
            if HYPHENS_AFTER.contains(&(i * 2)) {
                f.write_str("-")?;
            }
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Guid({self})")
    }
}

impl FromStr for Guid {
    type Err = Error;

    /// The hyphenated form, either case (what Confluent's registries answer).
    fn from_str(text: &str) -> Result<Guid, Error> {
        let bad = || Error::Schema(format!("not a GUID: {text:?}"));
        let bytes = text.as_bytes();
        if bytes.len() != 36 {
            return Err(bad());
        }
        let mut digits = Vec::with_capacity(32);
        for (i, c) in bytes.iter().enumerate() {
            if HYPHENS_AFTER
                .iter()
                .enumerate()
                .any(|(k, after)| i == after + k)
            {
                if *c != b'-' {
                    return Err(bad());
                }
                continue;
            }
            digits.push(char::from(*c).to_digit(16).ok_or_else(bad)? as u8);
        }
        let mut guid = [0u8; 16];
        for (byte, pair) in guid.iter_mut().zip(digits.chunks_exact(2)) {
            *byte = pair[0] << 4 | pair[1];
        }
        Ok(Guid(guid))
    }
}

impl<'de> Deserialize<'de> for Guid {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Guid, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_read_and_print_as_uuids() {
        let text = "89b4ffc4-ab9f-4d21-8c6f-1a1c1a2b3c4d";
        let guid: Guid = text.parse().unwrap();
        assert_eq!(
            guid.0,
            [
                0x89, 0xb4, 0xff, 0xc4, 0xab, 0x9f, 0x4d, 0x21, 0x8c, 0x6f, 0x1a, 0x1c, 0x1a, 0x2b,
                0x3c, 0x4d
            ]
        );
        assert_eq!(guid.to_string(), text);
        assert_eq!(
            "89B4FFC4-AB9F-4D21-8C6F-1A1C1A2B3C4D"
                .parse::<Guid>()
                .unwrap(),
            guid
        );
        for bad in [
            "",
            "89b4ffc4ab9f4d218c6f1a1c1a2b3c4d",
            "89b4ffc4-ab9f-4d21-8c6f-1a1c1a2b3c4",
            "89b4ffc4-ab9f-4d21-8c6f-1a1c1a2b3c4g",
            "89b4ffc4-ab9f4-d21-8c6f-1a1c1a2b3c4d",
            "89b4ffc4-ab9f-4d21-8c6f-1a1c1a2b3cé",
        ] {
            assert_eq!(
                bad.parse::<Guid>().unwrap_err().to_string(),
                format!("invalid schema: not a GUID: {bad:?}")
            );
        }
    }
}
