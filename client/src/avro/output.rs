//! Avro's primitive encodings, appended to a frame: what the client's writers share.

use crate::varint;

/// A long (and an int, a length, a count, an index): a zig-zag varint.
#[inline]
pub(super) fn long(out: &mut Vec<u8>, v: i64) {
    varint::write_i64(out, v);
}

/// Bytes (or a string's) after their length.
#[inline]
pub(super) fn bytes_with_len(out: &mut Vec<u8>, bytes: &[u8]) {
    long(out, bytes.len() as i64);
    out.extend_from_slice(bytes);
}
