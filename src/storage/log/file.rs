//! The on-disk format of the embedded log, and reading it back.
//!
//! ```text
//! file    = header frame*
//! header  = "SCHEMATA" 00 00 00 01          (magic, format version 1; 12 bytes)
//! frame   = len:u32be crc:u32be payload     (len = payload length, crc = CRC-32C of payload)
//! payload = key_len:u32be key value         (key and value are Confluent JSON, see record.rs;
//!                                            an empty value is a tombstone)
//! ```
//!
//! Frames are only ever appended, a batch at a time, then fsynced. A crash can therefore leave
//! only the *end* of the file incomplete: a partial header of a frame, a frame shorter than its
//! length, a last frame whose checksum fails, or a run of zero bytes the file system allocated but
//! never wrote. Such a torn tail is cut off at the last good frame. Anything else that fails to
//! check (a bad frame with good data after it) is corruption and is refused with its offset:
//! never silently dropped.

use crate::storage::{Record, StoreError};

pub(super) const HEADER: &[u8; 12] = b"SCHEMATA\x00\x00\x00\x01";
const FRAME_HEAD: usize = 8;
/// No frame is larger: a bigger length field is damage, not data.
pub(super) const MAX_PAYLOAD: usize = 256 * 1024 * 1024;

/// Appends the frame of `record` to `out`; returns the frame's length, its key and whether it is
/// a tombstone.
pub(super) fn encode(record: &Record, out: &mut Vec<u8>) -> (u64, Vec<u8>, bool) {
    let key = record.key();
    let value = record.value();
    let tombstone = value.is_none();
    let value = value.unwrap_or_default();
    let payload_len = 4 + key.len() + value.len();
    let start = out.len();
    out.extend_from_slice(&(payload_len as u32).to_be_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&(key.len() as u32).to_be_bytes());
    out.extend_from_slice(&key);
    out.extend_from_slice(&value);
    let crc = crc32c::crc32c(&out[start + FRAME_HEAD..]);
    out[start + 4..start + 8].copy_from_slice(&crc.to_be_bytes());
    ((out.len() - start) as u64, key, tombstone)
}

/// A prefix of a log file, known by what a snapshot can check it against: its length, its
/// number of frames, and a CRC-32C chained over the frames' heads (each head holds its frame's
/// length and checksum, so the chain changes with any frame). A snapshot that names a prefix
/// of another file (the log was compacted, cut back or replaced since) does not match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Prefix {
    pub(super) len: u64,
    pub(super) frames: u64,
    pub(super) chain: u32,
}

impl Prefix {
    /// The prefix holding only the header.
    pub(super) fn empty() -> Prefix {
        Prefix {
            len: HEADER.len() as u64,
            frames: 0,
            chain: 0,
        }
    }

    /// Extends the prefix by the frame whose head is `head` and whose length is `len`.
    pub(super) fn push(&mut self, head: &[u8], len: u64) {
        self.len += len;
        self.frames += 1;
        self.chain = crc32c::crc32c_append(self.chain, &head[..FRAME_HEAD]);
    }

    /// Extends the prefix by whole frames laid back to back in `frames`.
    pub(super) fn push_all(&mut self, mut frames: &[u8]) {
        while frames.len() >= FRAME_HEAD {
            let len =
                FRAME_HEAD + u32::from_be_bytes(frames[0..4].try_into().expect("4 bytes")) as usize;
            self.push(frames, len as u64);
            frames = &frames[len.min(frames.len())..];
        }
    }
}

/// A frame read back.
pub(super) struct Frame<'a> {
    pub(super) offset: u64,
    pub(super) len: u64,
    /// The frame's length and checksum, as stored.
    pub(super) head: &'a [u8],
    pub(super) key: &'a [u8],
    /// `None` for a tombstone.
    pub(super) value: Option<&'a [u8]>,
}

impl Frame<'_> {
    pub(super) fn record(&self) -> Result<Option<Record>, StoreError> {
        Record::decode(self.key, self.value).map_err(|e| {
            StoreError::Corrupt(format!(
                "record at offset {} cannot be read: {e}",
                self.offset
            ))
        })
    }
}

/// The records of `frames`, in order. Decoding JSON is most of a replay's time, so the frames are
/// split among the machine's cores (a million records decode in a fraction of the time).
pub(super) fn decode_all(frames: &[Frame<'_>]) -> Result<Vec<Record>, StoreError> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let per_thread = frames.len().div_ceil(threads).max(1);
    let decoded: Vec<Result<Vec<Record>, StoreError>> = std::thread::scope(|scope| {
        let workers: Vec<_> = frames
            .chunks(per_thread)
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .filter_map(|f| f.record().transpose())
                        .collect::<Result<Vec<_>, _>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("decoding does not panic"))
            .collect()
    });
    let mut records = Vec::with_capacity(frames.len());
    for part in decoded {
        records.extend(part?);
    }
    Ok(records)
}

/// The frames of a log `scan` has checked (its valid part, torn tail cut off): each frame's
/// offset, length, key and whether it is a tombstone. Nothing is checked again.
pub(super) fn walk(bytes: &[u8]) -> impl Iterator<Item = (u64, u64, &[u8], bool)> + '_ {
    let mut at = HEADER.len();
    std::iter::from_fn(move || {
        let rest = bytes.get(at..).filter(|r| r.len() >= FRAME_HEAD + 4)?;
        let len = u32::from_be_bytes(rest[0..4].try_into().expect("4 bytes")) as usize;
        let key_len = u32::from_be_bytes(rest[8..12].try_into().expect("4 bytes")) as usize;
        let key = &rest[FRAME_HEAD + 4..FRAME_HEAD + 4 + key_len];
        let frame = (
            at as u64,
            (FRAME_HEAD + len) as u64,
            key,
            len == 4 + key_len,
        );
        at += FRAME_HEAD + len;
        Some(frame)
    })
}

/// The frames of a whole log file, and where its good part ends.
pub(super) struct Scan<'a> {
    pub(super) frames: Vec<Frame<'a>>,
    /// Length of the valid prefix; shorter than the file when a torn tail was found.
    pub(super) valid_len: u64,
}

/// Checks the header and every frame of `bytes`.
pub(super) fn scan(bytes: &[u8]) -> Result<Scan<'_>, StoreError> {
    if bytes.len() < HEADER.len() || &bytes[..HEADER.len()] != HEADER {
        return Err(StoreError::Corrupt(
            "not a Schemata log file (bad header at offset 0)".into(),
        ));
    }
    let mut frames = Vec::new();
    let mut at = HEADER.len();
    while at < bytes.len() {
        match frame_at(bytes, at) {
            FrameCheck::Good(frame) => {
                at += frame.len as usize;
                frames.push(frame);
            }
            FrameCheck::Torn => break,
            FrameCheck::Corrupt(why) => {
                return Err(StoreError::Corrupt(format!(
                    "{why} at offset {at}, with {} more bytes after it; refusing to drop them",
                    bytes.len() - at
                )))
            }
        }
    }
    Ok(Scan {
        frames,
        valid_len: at as u64,
    })
}

enum FrameCheck<'a> {
    Good(Frame<'a>),
    /// An incomplete write at the end of the file.
    Torn,
    Corrupt(&'static str),
}

fn frame_at(bytes: &[u8], at: usize) -> FrameCheck<'_> {
    match check_frame(bytes, at) {
        // Zeros to the end: space the file system allocated but the crash left unwritten.
        FrameCheck::Corrupt(_) if bytes[at..].iter().all(|b| *b == 0) => FrameCheck::Torn,
        check => check,
    }
}

fn check_frame(bytes: &[u8], at: usize) -> FrameCheck<'_> {
    let rest = &bytes[at..];
    if rest.len() < FRAME_HEAD {
        return FrameCheck::Torn;
    }
    let len = u32::from_be_bytes(rest[0..4].try_into().expect("4 bytes")) as usize;
    let crc = u32::from_be_bytes(rest[4..8].try_into().expect("4 bytes"));
    if !(4..=MAX_PAYLOAD).contains(&len) {
        return FrameCheck::Corrupt("impossible frame length");
    }
    if rest.len() < FRAME_HEAD + len {
        return FrameCheck::Torn;
    }
    let payload = &rest[FRAME_HEAD..FRAME_HEAD + len];
    let is_last = rest.len() == FRAME_HEAD + len;
    if crc32c::crc32c(payload) != crc {
        return if is_last {
            FrameCheck::Torn
        } else {
            FrameCheck::Corrupt("checksum mismatch")
        };
    }
    let key_len = u32::from_be_bytes(payload[0..4].try_into().expect("4 bytes")) as usize;
    if key_len > len - 4 {
        return FrameCheck::Corrupt("key longer than its frame");
    }
    let key = &payload[4..4 + key_len];
    let value = &payload[4 + key_len..];
    FrameCheck::Good(Frame {
        offset: at as u64,
        head: &rest[..FRAME_HEAD],
        len: (FRAME_HEAD + len) as u64,
        key,
        value: (!value.is_empty()).then_some(value),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log_of(records: &[Record]) -> Vec<u8> {
        let mut bytes = HEADER.to_vec();
        for r in records {
            encode(r, &mut bytes);
        }
        bytes
    }

    fn record(v: i32) -> Record {
        Record::DeleteSubject {
            subject: "s".into(),
            version: v,
        }
    }

    #[test]
    fn frames_read_back_in_order() {
        let bytes = log_of(&[record(1), record(2)]);
        let scan = scan(&bytes).unwrap();
        assert_eq!(scan.valid_len as usize, bytes.len());
        let back: Vec<Record> = scan
            .frames
            .iter()
            .map(|f| f.record().unwrap().unwrap())
            .collect();
        assert_eq!(back, vec![record(1), record(2)]);
    }

    #[test]
    fn every_truncation_of_the_last_frame_is_a_torn_tail() {
        let whole = log_of(&[record(1), record(2)]);
        let first_end = log_of(&[record(1)]).len();
        for cut in first_end..whole.len() {
            let scan = scan(&whole[..cut]).unwrap();
            assert_eq!(scan.valid_len as usize, first_end, "cut at {cut}");
            assert_eq!(scan.frames.len(), 1);
        }
    }

    #[test]
    fn a_prefix_is_the_same_read_frame_by_frame_or_whole() {
        let bytes = log_of(&[record(1), record(2), record(3)]);
        let mut by_frame = Prefix::empty();
        for f in scan(&bytes).unwrap().frames {
            by_frame.push(f.head, f.len);
        }
        let mut whole = Prefix::empty();
        whole.push_all(&bytes[HEADER.len()..]);
        assert_eq!(by_frame, whole);
        assert_eq!(whole.len as usize, bytes.len());
        assert_eq!(whole.frames, 3);
        // Another file of the same length and frame count chains differently.
        let mut other = Prefix::empty();
        other.push_all(&log_of(&[record(4), record(5), record(6)])[HEADER.len()..]);
        assert_eq!(other.len, whole.len);
        assert_ne!(other.chain, whole.chain);
    }

    #[test]
    fn zeroed_tail_is_torn_and_damage_in_the_middle_is_corruption() {
        let mut bytes = log_of(&[record(1), record(2)]);
        let good = bytes.len();
        bytes.extend_from_slice(&[0; 100]);
        assert_eq!(scan(&bytes).unwrap().valid_len as usize, good);

        let mut bytes = log_of(&[record(1), record(2)]);
        bytes[HEADER.len() + 10] ^= 0xff;
        let err = scan(&bytes).err().unwrap().to_string();
        assert!(err.contains("checksum mismatch at offset 12"), "{err}");
    }
}
