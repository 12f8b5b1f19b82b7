//! Avro's primitive encodings, appended to a frame: what the client's writers share.

/// A zig-zag varint.
#[inline]
pub(super) fn long(out: &mut Vec<u8>, v: i64) {
    let mut n = ((v << 1) ^ (v >> 63)) as u64;
    while n >= 0x80 {
        out.push(n as u8 | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Bytes (or a string's) after their length.
#[inline]
pub(super) fn bytes_with_len(out: &mut Vec<u8>, bytes: &[u8]) {
    long(out, bytes.len() as i64);
    out.extend_from_slice(bytes);
}
