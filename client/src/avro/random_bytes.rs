//! Reproducible random payloads for the decoders' tests: short, of small bytes (short lengths,
//! counts and indexes, so that many are valid), and every prefix of each, since a value fills
//! exactly one prefix if any.

/// Calls `check` with every prefix of `strings` random byte strings, each byte below `below`.
pub(super) fn for_each_prefix(strings: usize, below: u64, mut check: impl FnMut(&[u8])) {
    // xorshift: reproducible bytes without a dependency.
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..strings {
        let len = (next() % 24) as usize;
        let random: Vec<u8> = (0..len).map(|_| (next() % below) as u8).collect();
        for end in 0..=len {
            check(&random[..end]);
        }
    }
}
