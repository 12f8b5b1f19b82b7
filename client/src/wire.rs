//! Confluent's wire format: magic byte 0, the schema id as 4 big-endian bytes, for Protobuf the
//! message indexes (a zig-zag varint count, then each index; `[0]` is the single byte 0), then
//! the payload.

use crate::varint;
use crate::{Error, Result};

const MAGIC: u8 = 0;

/// The 5-byte header before the payload.
pub fn write_header(id: u32, out: &mut Vec<u8>) {
    out.push(MAGIC);
    out.extend_from_slice(&id.to_be_bytes());
}

/// The schema id and the rest of a framed message.
pub fn read_header(bytes: &[u8]) -> Result<(u32, &[u8])> {
    match bytes {
        [MAGIC, a, b, c, d, rest @ ..] => Ok((u32::from_be_bytes([*a, *b, *c, *d]), rest)),
        [] => Err(Error::InvalidFrame("empty message".into())),
        [magic, ..] if *magic != MAGIC => Err(Error::InvalidFrame(format!(
            "unknown magic byte {magic}, expected 0"
        ))),
        _ => Err(Error::InvalidFrame(format!(
            "{} bytes, shorter than the 5-byte header",
            bytes.len()
        ))),
    }
}

/// Protobuf message indexes, as Confluent writes them.
pub fn write_message_indexes(indexes: &[i32], out: &mut Vec<u8>) {
    if indexes == [0] {
        out.push(0);
        return;
    }
    varint::write_i64(out, indexes.len() as i64);
    for i in indexes {
        varint::write_i64(out, i64::from(*i));
    }
}

/// The message indexes at the start of `bytes`, and what follows them.
pub fn read_message_indexes(bytes: &[u8]) -> Result<(Vec<i32>, &[u8])> {
    let (count, mut rest) = read_zigzag(bytes)?;
    if count == 0 {
        return Ok((vec![0], rest));
    }
    if count < 0 || count as usize > rest.len() {
        return Err(Error::InvalidFrame(format!(
            "{count} message indexes announced, {} bytes follow",
            rest.len()
        )));
    }
    let mut indexes = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let (value, after) = read_zigzag(rest)?;
        let index = i32::try_from(value)
            .ok()
            .filter(|i| *i >= 0)
            .ok_or_else(|| Error::InvalidFrame("message index out of range".into()))?;
        indexes.push(index);
        rest = after;
    }
    Ok((indexes, rest))
}

/// The zig-zag varint at the start of `bytes`: a frame's error when there is none.
fn read_zigzag(bytes: &[u8]) -> Result<(i64, &[u8])> {
    varint::read_i64(bytes).map_err(|_| Error::InvalidFrame("truncated or overlong varint".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_round_trip_and_bad_frames_are_errors() {
        let mut out = Vec::new();
        write_header(0x0102_0304, &mut out);
        out.push(42);
        assert_eq!(out, [0, 1, 2, 3, 4, 42]);
        assert_eq!(read_header(&out).unwrap(), (0x0102_0304, &[42u8][..]));
        assert_eq!(
            read_header(&[]).unwrap_err().to_string(),
            "invalid frame: empty message"
        );
        assert_eq!(
            read_header(&[1, 0, 0, 0, 1]).unwrap_err().to_string(),
            "invalid frame: unknown magic byte 1, expected 0"
        );
        assert_eq!(
            read_header(&[0, 0, 1]).unwrap_err().to_string(),
            "invalid frame: 3 bytes, shorter than the 5-byte header"
        );
    }

    #[test]
    fn message_indexes_use_zigzag_varints_and_one_zero_byte_for_the_first_message() {
        let mut out = Vec::new();
        write_message_indexes(&[0], &mut out);
        assert_eq!(out, [0]);
        out.clear();
        write_message_indexes(&[1], &mut out);
        assert_eq!(out, [2, 2]);
        out.clear();
        write_message_indexes(&[2, 70], &mut out);
        assert_eq!(out, [4, 4, 140, 1]);
        out.push(9);
        assert_eq!(
            read_message_indexes(&out).unwrap(),
            (vec![2, 70], &[9u8][..])
        );
        assert_eq!(
            read_message_indexes(&[0, 9]).unwrap(),
            (vec![0], &[9u8][..])
        );
        for bad in [&[][..], &[0x80][..], &[4, 2][..], &[2, 0xff][..], &[1][..]] {
            assert!(read_message_indexes(bad).is_err(), "{bad:?}");
        }
    }
}
