//! Variable-length integers as Avro and Protobuf write them: seven bits a byte, least
//! significant group first, the high bit set on every byte but the last; signed numbers
//! zig-zagged first (0, -1, 1, -2, ... as 0, 1, 2, 3, ...). Used by the wire format's Protobuf
//! message indexes (`wire.rs`) and by the Avro coders (`avro/input.rs`, `avro/output.rs`).
//!
//! Everything here is `#[inline]`: the Avro serde coders call it from generic code, which is
//! compiled in the application's crate, where without it each would be a call (unless the
//! application builds with LTO). Reading works on slices, not `io::Read`, for the same reason.

/// The most bytes a 64-bit varint takes.
pub(crate) const MAX_LEN: usize = 10;

/// Why no varint could be read; each caller words it in its own error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Malformed {
    /// The bytes end before the varint's last byte.
    Truncated,
    /// [`MAX_LEN`] bytes, all with the continuation bit set.
    Overlong,
}

/// `n` zig-zagged: small magnitudes, of either sign, become small numbers.
#[inline]
pub(crate) fn zigzag(n: i64) -> u64 {
    ((n << 1) ^ (n >> 63)) as u64
}

/// The inverse of [`zigzag`].
#[inline]
pub(crate) fn unzigzag(n: u64) -> i64 {
    ((n >> 1) as i64) ^ -((n & 1) as i64)
}

/// Appends `n` as an unsigned varint.
#[inline]
pub(crate) fn write_u64(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push(n as u8 | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Appends `n` as a zig-zag varint (Avro's `int` and `long`).
#[inline]
pub(crate) fn write_i64(out: &mut Vec<u8>, n: i64) {
    write_u64(out, zigzag(n));
}

/// The unsigned varint at the start of `bytes`, and the bytes after it. Bits beyond 64 in a
/// tenth byte are dropped, as Avro's and Protobuf's readers drop them.
#[inline]
pub(crate) fn read_u64(bytes: &[u8]) -> Result<(u64, &[u8]), Malformed> {
    let mut value = 0u64;
    for (i, &b) in bytes.iter().take(MAX_LEN).enumerate() {
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Ok((value, &bytes[i + 1..]));
        }
    }
    Err(if bytes.len() < MAX_LEN {
        Malformed::Truncated
    } else {
        Malformed::Overlong
    })
}

/// The zig-zag varint at the start of `bytes`, and the bytes after it.
#[inline]
pub(crate) fn read_i64(bytes: &[u8]) -> Result<(i64, &[u8]), Malformed> {
    read_u64(bytes).map(|(n, rest)| (unzigzag(n), rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zigzag_interleaves_signs_and_round_trips_the_extremes() {
        let pairs = [
            (0, 0),
            (-1, 1),
            (1, 2),
            (-2, 3),
            (2, 4),
            (i64::from(i32::MAX), 0xffff_fffe),
            (i64::from(i32::MIN), 0xffff_ffff),
            (i64::MAX, u64::MAX - 1),
            (i64::MIN, u64::MAX),
        ];
        for (n, z) in pairs {
            assert_eq!(zigzag(n), z, "{n}");
            assert_eq!(unzigzag(z), n, "{z}");
        }
    }

    #[test]
    fn unsigned_varints_are_seven_bits_a_byte_low_group_first() {
        let cases: [(u64, &[u8]); 6] = [
            (0, &[0]),
            (1, &[1]),
            (127, &[0x7f]),
            (128, &[0x80, 1]),
            (300, &[0xac, 2]),
            (
                u64::MAX,
                &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1],
            ),
        ];
        for (n, bytes) in cases {
            let mut out = vec![];
            write_u64(&mut out, n);
            assert_eq!(out, bytes, "{n}");
            out.push(9);
            assert_eq!(read_u64(&out), Ok((n, &[9u8][..])), "{n}");
        }
    }

    #[test]
    fn signed_varints_are_zigzagged_first() {
        let cases: [(i64, &[u8]); 6] = [
            (0, &[0]),
            (-1, &[1]),
            (1, &[2]),
            (-64, &[0x7f]),
            (64, &[0x80, 1]),
            (
                i64::MIN,
                &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1],
            ),
        ];
        for (n, bytes) in cases {
            let mut out = vec![];
            write_i64(&mut out, n);
            assert_eq!(out, bytes, "{n}");
            assert_eq!(read_i64(&out), Ok((n, &[][..])), "{n}");
        }
    }

    #[test]
    fn a_tenth_byte_keeps_only_the_bit_that_fits() {
        let mut bytes = [0x80; MAX_LEN];
        bytes[MAX_LEN - 1] = 0x7f;
        assert_eq!(read_u64(&bytes), Ok((1 << 63, &[][..])));
    }

    #[test]
    fn truncated_and_overlong_varints_are_told_apart() {
        assert_eq!(read_u64(&[]), Err(Malformed::Truncated));
        assert_eq!(read_u64(&[0x80]), Err(Malformed::Truncated));
        assert_eq!(read_u64(&[0xff; MAX_LEN - 1]), Err(Malformed::Truncated));
        assert_eq!(read_u64(&[0xff; MAX_LEN]), Err(Malformed::Overlong));
        assert_eq!(read_u64(&[0xff; MAX_LEN + 1]), Err(Malformed::Overlong));
        assert_eq!(read_i64(&[0x80, 0x80]), Err(Malformed::Truncated));
    }
}
