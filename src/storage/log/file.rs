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

use std::fs::File;
use std::os::unix::fs::FileExt;

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

/// Bytes read from the file at a time when checking or walking it: the log is read through
/// one buffer of this size rather than whole, so a start of a large log allocates (and the
/// kernel zeroes) no memory the size of the file.
pub(super) const READ_BUFFER: usize = 1024 * 1024;
/// Bytes of frames decoded at a time by `decode`, split among the cores.
const DECODE_BUFFER: usize = 32 * 1024 * 1024;

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

/// The first `end` bytes of a file, read through one reused buffer.
struct Window<'f> {
    file: &'f File,
    end: u64,
    /// Read `capacity` bytes at a time (more when one frame is larger).
    capacity: usize,
    buf: Vec<u8>,
    /// Where `buf` starts in the file, and how much of it holds the file's bytes.
    start: u64,
    filled: usize,
}

impl<'f> Window<'f> {
    fn new(file: &'f File, end: u64, capacity: usize) -> Window<'f> {
        Window {
            file,
            end,
            capacity,
            buf: Vec::new(),
            start: 0,
            filled: 0,
        }
    }

    /// The bytes from `at` on: at least `want` of them, or all up to the end if fewer are left.
    fn at(&mut self, at: u64, want: usize) -> std::io::Result<&[u8]> {
        let want = (want as u64).min(self.end - at);
        let held = self.start <= at && at + want <= self.start + self.filled as u64;
        if !held {
            let n = (self.end - at).min(want.max(self.capacity as u64)) as usize;
            if self.buf.len() < n {
                self.buf.resize(n, 0);
            }
            self.file.read_exact_at(&mut self.buf[..n], at)?;
            self.start = at;
            self.filled = n;
        }
        Ok(&self.buf[(at - self.start) as usize..self.filled])
    }

    /// Whether every byte from `at` to the end is zero.
    fn zeros_from(&mut self, mut at: u64) -> std::io::Result<bool> {
        while at < self.end {
            let bytes = self.at(at, 1)?;
            if bytes.iter().any(|b| *b != 0) {
                return Ok(false);
            }
            at += bytes.len() as u64;
        }
        Ok(true)
    }

    /// Checks the frame at `at`.
    fn frame(&mut self, at: u64) -> std::io::Result<FrameCheck<'_>> {
        let to_end = self.end - at;
        let head = self.at(at, FRAME_HEAD)?;
        if head.len() < FRAME_HEAD {
            return Ok(FrameCheck::Torn);
        }
        let Some(len) = frame_len(head) else {
            return Ok(FrameCheck::Corrupt("impossible frame length"));
        };
        if to_end < len as u64 {
            return Ok(FrameCheck::Torn);
        }
        let bytes = self.at(at, len)?;
        Ok(check_frame(&bytes[..len], at, to_end))
    }
}

/// Checks every frame of `file` from `from` to `end` in order, reading it `capacity` bytes at a
/// time, and hands each good one to `each`. A torn tail ends the walk (its start is returned);
/// a frame that fails its check with data after it is corruption.
fn walk(
    file: &File,
    from: u64,
    end: u64,
    capacity: usize,
    mut each: impl FnMut(&Frame<'_>),
) -> Result<u64, StoreError> {
    let mut window = Window::new(file, end, capacity);
    let mut at = from;
    while at < end {
        let why = match window.frame(at)? {
            FrameCheck::Good(frame) => {
                each(&frame);
                at += frame.len;
                continue;
            }
            FrameCheck::Torn => break,
            FrameCheck::Corrupt(why) => why,
        };
        // Zeros to the end: space the file system allocated but the crash left unwritten.
        if window.zeros_from(at)? {
            break;
        }
        return Err(StoreError::Corrupt(format!(
            "{why} at offset {at}, with {} more bytes after it; refusing to drop them",
            end - at
        )));
    }
    Ok(at)
}

/// Checks the header and every frame of the first `len` bytes of `file`, read through one
/// buffer; returns its good part (shorter than `len` when a torn tail was found). `boundary` is
/// shown the prefix at every frame boundary of the good part, from the header on.
pub(super) fn scan(
    file: &File,
    len: u64,
    boundary: impl FnMut(&Prefix),
) -> Result<Prefix, StoreError> {
    scan_with(file, len, READ_BUFFER, boundary)
}

fn scan_with(
    file: &File,
    len: u64,
    capacity: usize,
    mut boundary: impl FnMut(&Prefix),
) -> Result<Prefix, StoreError> {
    let mut header = [0; HEADER.len()];
    if len >= HEADER.len() as u64 {
        file.read_exact_at(&mut header, 0)?;
    }
    if &header != HEADER {
        return Err(StoreError::Corrupt(
            "not a Schemata log file (bad header at offset 0)".into(),
        ));
    }
    let mut prefix = Prefix::empty();
    boundary(&prefix);
    walk(file, prefix.len, len, capacity, |frame| {
        prefix.push(frame.head, frame.len);
        boundary(&prefix);
    })?;
    Ok(prefix)
}

/// Hands the offset, length, key and tombstone flag of each frame of `file` from the header to
/// `end` to `each`; the frames are checked again, and `end` must be where a good part ends.
pub(super) fn keys(
    file: &File,
    end: u64,
    mut each: impl FnMut(u64, u64, &[u8], bool),
) -> Result<(), StoreError> {
    let good = walk(file, HEADER.len() as u64, end, READ_BUFFER, |f| {
        each(f.offset, f.len, f.key, f.value.is_none())
    })?;
    if good < end {
        return Err(changed(good));
    }
    Ok(())
}

/// The records of the frames of `file` from `from` to `end` (a good part, as `scan` found it),
/// in order, read and decoded a buffer at a time.
pub(super) fn decode(file: &File, from: u64, end: u64) -> Result<Vec<Record>, StoreError> {
    decode_with(file, from, end, DECODE_BUFFER)
}

fn decode_with(
    file: &File,
    from: u64,
    end: u64,
    capacity: usize,
) -> Result<Vec<Record>, StoreError> {
    let mut window = Window::new(file, end, capacity);
    let mut records = Vec::new();
    let (mut at, mut want) = (from, capacity);
    while at < end {
        let bytes = window.at(at, want)?;
        let (frames, used) = whole_frames(bytes, at, end)?;
        if frames.is_empty() {
            // A frame larger than the buffer: read its head, then all of it.
            let need = if bytes.len() < FRAME_HEAD {
                Some(FRAME_HEAD)
            } else {
                frame_len(bytes)
            };
            want = need
                .filter(|len| *len > bytes.len() && *len as u64 <= end - at)
                .ok_or_else(|| changed(at))?;
            continue;
        }
        records.extend(decode_all(&frames)?);
        (at, want) = (at + used, capacity);
    }
    Ok(records)
}

/// The whole frames at the start of `bytes` (found at offset `at` of a file of `end` bytes),
/// checked, and their length.
fn whole_frames(bytes: &[u8], at: u64, end: u64) -> Result<(Vec<Frame<'_>>, u64), StoreError> {
    let mut frames = Vec::new();
    let mut next = 0;
    while let Some(len) = frame_len(&bytes[next..]) {
        let Some(frame) = bytes.get(next..next + len) else {
            break;
        };
        let offset = at + next as u64;
        match check_frame(frame, offset, end - offset) {
            FrameCheck::Good(frame) => frames.push(frame),
            _ => return Err(changed(offset)),
        }
        next += len;
    }
    if next < bytes.len() && frame_len(&bytes[next..]).is_none() && bytes.len() >= next + FRAME_HEAD
    {
        return Err(changed(at + next as u64));
    }
    Ok((frames, next as u64))
}

/// The length of the frame whose head starts `bytes`, if they hold a head with a possible length.
fn frame_len(bytes: &[u8]) -> Option<usize> {
    let len = u32::from_be_bytes(bytes.get(0..4)?.try_into().expect("4 bytes")) as usize;
    (bytes.len() >= FRAME_HEAD && (4..=MAX_PAYLOAD).contains(&len)).then_some(FRAME_HEAD + len)
}

/// A frame that was checked when the log was opened does not check now.
fn changed(at: u64) -> StoreError {
    StoreError::Corrupt(format!(
        "the log changed under the process: no good frame at offset {at}"
    ))
}

/// The records of `frames`, in order. Decoding JSON is most of a replay's time, so the frames are
/// split among the machine's cores (a million records decode in a fraction of the time).
fn decode_all(frames: &[Frame<'_>]) -> Result<Vec<Record>, StoreError> {
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

enum FrameCheck<'a> {
    Good(Frame<'a>),
    /// An incomplete write at the end of the file.
    Torn,
    Corrupt(&'static str),
}

/// Checks the frame `bytes` (its head says it is this long) found at offset `at`, `to_end`
/// bytes before the end of the file.
fn check_frame(bytes: &[u8], at: u64, to_end: u64) -> FrameCheck<'_> {
    let len = bytes.len() - FRAME_HEAD;
    let crc = u32::from_be_bytes(bytes[4..8].try_into().expect("4 bytes"));
    let payload = &bytes[FRAME_HEAD..];
    let is_last = to_end == bytes.len() as u64;
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
        offset: at,
        head: &bytes[..FRAME_HEAD],
        len: bytes.len() as u64,
        key,
        value: (!value.is_empty()).then_some(value),
    })
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn log_of(records: &[Record]) -> Vec<u8> {
        let mut bytes = HEADER.to_vec();
        for r in records {
            encode(r, &mut bytes);
        }
        bytes
    }

    fn file_of(bytes: &[u8]) -> File {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(bytes).unwrap();
        file
    }

    fn record(v: i32) -> Record {
        Record::DeleteSubject {
            subject: "s".into(),
            version: v,
        }
    }

    /// Buffers smaller than a head, than a frame, and a few frames long: what a scan finds must
    /// not depend on where the buffer's edges fall.
    const CAPACITIES: [usize; 5] = [1, 7, 40, 100, READ_BUFFER];

    /// Scans `bytes` with every buffer size; all must agree.
    fn scanned(bytes: &[u8]) -> Result<(Prefix, Vec<Prefix>), String> {
        let file = file_of(bytes);
        let mut found = None;
        for capacity in CAPACITIES {
            let mut boundaries = Vec::new();
            let scan = scan_with(&file, bytes.len() as u64, capacity, |p| boundaries.push(*p))
                .map(|prefix| (prefix, boundaries))
                .map_err(|e| e.to_string());
            match &found {
                None => found = Some(scan),
                Some(first) => assert_eq!(&scan, first, "buffer of {capacity} bytes"),
            }
        }
        found.unwrap()
    }

    #[test]
    fn frames_read_back_in_order() {
        let bytes = log_of(&[record(1), record(2)]);
        let (prefix, boundaries) = scanned(&bytes).unwrap();
        assert_eq!(prefix.len as usize, bytes.len());
        assert_eq!(boundaries.len(), 3);
        assert_eq!(boundaries.last(), Some(&prefix));
        let file = file_of(&bytes);
        for capacity in CAPACITIES {
            let back = decode_with(&file, HEADER.len() as u64, prefix.len, capacity).unwrap();
            assert_eq!(
                back,
                vec![record(1), record(2)],
                "buffer of {capacity} bytes"
            );
            // From the second frame on (what follows a snapshot).
            let back = decode_with(&file, boundaries[1].len, prefix.len, capacity).unwrap();
            assert_eq!(back, vec![record(2)], "buffer of {capacity} bytes");
        }
        let mut seen = Vec::new();
        keys(&file, prefix.len, |offset, len, key, tombstone| {
            seen.push((offset, len, key.to_vec(), tombstone))
        })
        .unwrap();
        let first = boundaries[1].len - HEADER.len() as u64;
        assert_eq!(
            seen,
            vec![
                (HEADER.len() as u64, first, record(1).key(), false),
                (
                    boundaries[1].len,
                    prefix.len - boundaries[1].len,
                    record(2).key(),
                    false
                ),
            ]
        );
    }

    #[test]
    fn every_truncation_of_the_last_frame_is_a_torn_tail() {
        let whole = log_of(&[record(1), record(2)]);
        let first_end = log_of(&[record(1)]).len();
        for cut in first_end..whole.len() {
            let (prefix, boundaries) = scanned(&whole[..cut]).unwrap();
            assert_eq!(prefix.len as usize, first_end, "cut at {cut}");
            assert_eq!(prefix.frames, 1);
            assert_eq!(boundaries.len(), 2);
        }
    }

    #[test]
    fn a_prefix_is_the_same_read_frame_by_frame_or_whole() {
        let bytes = log_of(&[record(1), record(2), record(3)]);
        let (by_frame, _) = scanned(&bytes).unwrap();
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
        assert_eq!(scanned(&bytes).unwrap().0.len as usize, good);

        let mut bytes = log_of(&[record(1), record(2)]);
        bytes[HEADER.len() + 10] ^= 0xff;
        let err = scanned(&bytes).err().unwrap();
        assert!(err.contains("checksum mismatch at offset 12"), "{err}");
    }

    /// Any bit of any frame but the last flipped, with every buffer size: refused, naming the
    /// damaged frame's offset. The one exception is as before the log was read in a stream: a
    /// length made to point past the end of the file reads as a torn tail there.
    #[test]
    fn damage_anywhere_before_the_last_frame_is_refused() {
        let bytes = log_of(&[record(1), record(2), record(3), record(4)]);
        let (_, boundaries) = scanned(&bytes).unwrap();
        // Where each frame starts; the last one's start is where the damage ends.
        let starts: Vec<u64> = boundaries[..4].iter().map(|p| p.len).collect();
        for at in HEADER.len()..starts[3] as usize {
            let frame = *starts.iter().rev().find(|s| **s <= at as u64).unwrap();
            let in_length = (at as u64) < frame + 4;
            for bit in 0..8 {
                let mut damaged = bytes.clone();
                damaged[at] ^= 1 << bit;
                match scanned(&damaged) {
                    Err(e) => assert!(
                        e.starts_with("corrupt store: ")
                            && e.contains(&format!(" at offset {frame}, ")),
                        "bit {bit} at {at}: {e}"
                    ),
                    Ok((prefix, _)) => assert!(
                        in_length && prefix.len == frame,
                        "bit {bit} at {at}: read as a log of {} bytes",
                        prefix.len
                    ),
                }
            }
        }
        for cut in 0..HEADER.len() {
            assert_eq!(
                scanned(&bytes[..cut]).err().unwrap(),
                "corrupt store: not a Schemata log file (bad header at offset 0)"
            );
        }
    }

    #[test]
    fn frames_larger_than_the_buffer_decode() {
        let tombstone = Record::Schema {
            subject: "gone".into(),
            version: 1,
            value: None,
        };
        let large = Record::DeleteSubject {
            subject: "x".repeat(300),
            version: 9,
        };
        let records = vec![record(1), large.clone(), tombstone, record(2), large];
        let bytes = log_of(&records);
        let (prefix, _) = scanned(&bytes).unwrap();
        let file = file_of(&bytes);
        for capacity in [1, 7, 40, 100, 400] {
            let back = decode_with(&file, HEADER.len() as u64, prefix.len, capacity).unwrap();
            assert_eq!(back, records, "buffer of {capacity} bytes");
        }
    }
}
