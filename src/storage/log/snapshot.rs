//! Snapshots of the registry's state, kept next to the log so that a start reads one file
//! instead of replaying every record.
//!
//! ```text
//! file   = "SCHSNAPS" 00 00 00 01           (magic, format version 1; 12 bytes)
//!          log_len:u64be frames:u64be chain:u32be   (the log prefix it covers, see file::Prefix)
//!          body_len:u64be body_crc:u32be body       (the registry's encoding, CRC-32C checked)
//! ```
//!
//! The log stays the truth: a snapshot only stands for a prefix of it. One that fails any check
//! (bad header, wrong length, checksum mismatch, or naming a prefix the log no longer has) is
//! ignored with a warning and the whole log is replayed, so a damaged or stale snapshot costs
//! time, never data. It is written to a temporary file, fsynced and renamed, like compaction.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use bytes::Bytes;

use super::file::Prefix;
use crate::storage::SnapshotWriter;

pub(super) const SNAPSHOT_NAME: &str = "schemas.snapshot";
const MAGIC: &[u8; 12] = b"SCHSNAPS\x00\x00\x00\x01";
const HEAD_LEN: usize = 12 + 8 + 8 + 4 + 8 + 4;

/// Bytes of the body read (and checksummed, while they are still in the cache) at a time.
const READ_CHUNK: usize = 1024 * 1024;

/// A snapshot read back whose own checks passed: the log prefix it covers and its body.
pub(super) struct Snapshot {
    pub(super) covers: Prefix,
    pub(super) body: Bytes,
}

/// A snapshot whose head passed its checks: the log prefix it says it covers, and its body,
/// still to be read and checked by [`Unread::read`].
pub(super) struct Unread {
    pub(super) covers: Prefix,
    file: File,
    path: PathBuf,
    body_len: u64,
    body_crc: u32,
}

/// The snapshot in `dir`, its head read, if there is one whose head passes its checks; why one
/// was ignored is logged. The head is all a log needs to find the prefix the snapshot covers
/// while the body is read.
pub(super) fn open(dir: &Path) -> Option<Unread> {
    let path = dir.join(SNAPSHOT_NAME);
    let file = match File::open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => return ignored(&path, &format!("cannot be read: {e}")),
    };
    let mut head = [0; HEAD_LEN];
    let len = match file.metadata() {
        Ok(meta) => meta.len(),
        Err(e) => return ignored(&path, &format!("cannot be read: {e}")),
    };
    if len < HEAD_LEN as u64 || file.read_exact_at(&mut head, 0).is_err() || &head[..12] != MAGIC {
        return ignored(&path, "not a snapshot of this format");
    }
    let u64_at = |at: usize| u64::from_be_bytes(head[at..at + 8].try_into().expect("8 bytes"));
    let u32_at = |at: usize| u32::from_be_bytes(head[at..at + 4].try_into().expect("4 bytes"));
    let body_len = u64_at(32);
    if body_len != len - HEAD_LEN as u64 {
        return ignored(&path, "truncated or overlong");
    }
    Some(Unread {
        covers: Prefix {
            len: u64_at(12),
            frames: u64_at(20),
            chain: u32_at(28),
        },
        file,
        path,
        body_len,
        body_crc: u32_at(40),
    })
}

impl Unread {
    /// Reads the body and checks it; `None` (logged) if it does not check. The body is read
    /// into memory reserved for it, not zeroed first, and checksummed a chunk at a time as it
    /// comes in.
    pub(super) fn read(self) -> Option<Snapshot> {
        let mut body = Vec::with_capacity(self.body_len as usize);
        let mut crc = 0;
        let mut reader = &self.file;
        if let Err(e) = reader.seek(SeekFrom::Start(HEAD_LEN as u64)) {
            return ignored(&self.path, &format!("cannot be read: {e}"));
        }
        while (body.len() as u64) < self.body_len {
            let at = body.len();
            let chunk = (self.body_len - at as u64).min(READ_CHUNK as u64);
            match reader.take(chunk).read_to_end(&mut body) {
                Ok(0) => return ignored(&self.path, "truncated or overlong"),
                Ok(_) => crc = crc32c::crc32c_append(crc, &body[at..]),
                Err(e) => return ignored(&self.path, &format!("cannot be read: {e}")),
            }
        }
        if crc != self.body_crc {
            return ignored(&self.path, "checksum mismatch");
        }
        Some(Snapshot {
            covers: self.covers,
            body: Bytes::from(body),
        })
    }
}

fn ignored<T>(path: &Path, why: &str) -> Option<T> {
    tracing::warn!("{}: {why}; ignored, replaying the log", path.display());
    None
}

/// Writes the snapshot `writer` makes, covering `covers`, in place of the one in `dir`; a
/// failed attempt leaves no temporary file behind.
pub(super) fn write(dir: &Path, covers: Prefix, writer: SnapshotWriter) -> std::io::Result<()> {
    let tmp_path = dir.join(format!("{SNAPSHOT_NAME}.tmp"));
    let written = write_to(dir, &tmp_path, covers, writer);
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp_path);
    }
    written
}

fn write_to(
    dir: &Path,
    tmp_path: &Path,
    covers: Prefix,
    writer: SnapshotWriter,
) -> std::io::Result<()> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(tmp_path)?;
    let mut out = Counted {
        inner: BufWriter::with_capacity(1024 * 1024, &file),
        len: 0,
        crc: 0,
    };
    out.inner.write_all(&[0; HEAD_LEN])?;
    writer(&mut out)?;
    let (len, crc) = (out.len, out.crc);
    out.inner.flush()?;
    drop(out);
    let mut head = Vec::with_capacity(HEAD_LEN);
    head.extend_from_slice(MAGIC);
    head.extend_from_slice(&covers.len.to_be_bytes());
    head.extend_from_slice(&covers.frames.to_be_bytes());
    head.extend_from_slice(&covers.chain.to_be_bytes());
    head.extend_from_slice(&len.to_be_bytes());
    head.extend_from_slice(&crc.to_be_bytes());
    file.write_all_at(&head, 0)?;
    file.sync_all()?;
    std::fs::rename(tmp_path, dir.join(SNAPSHOT_NAME))?;
    File::open(dir)?.sync_all()
}

/// A writer that counts and checksums what passes through it.
struct Counted<W> {
    inner: W,
    len: u64,
    crc: u32,
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.crc = crc32c::crc32c_append(self.crc, &buf[..n]);
        self.len += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn covers() -> Prefix {
        Prefix {
            len: 1234,
            frames: 7,
            chain: 0xdead_beef,
        }
    }

    fn written(dir: &Path) -> Vec<u8> {
        write(
            dir,
            covers(),
            Box::new(|w: &mut dyn Write| w.write_all(b"the registry's state")),
        )
        .unwrap();
        std::fs::read(dir.join(SNAPSHOT_NAME)).unwrap()
    }

    /// The snapshot `bytes` read back, as a log opening `dir` reads it.
    fn check(dir: &Path, bytes: &[u8]) -> Option<Snapshot> {
        std::fs::write(dir.join(SNAPSHOT_NAME), bytes).unwrap();
        open(dir)?.read()
    }

    #[test]
    fn a_snapshot_reads_back_and_any_damage_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let bytes = written(dir.path());
        let back = check(dir.path(), &bytes).unwrap();
        assert_eq!(back.covers, covers());
        assert_eq!(&back.body[..], b"the registry's state");

        for cut in 0..bytes.len() {
            assert!(check(dir.path(), &bytes[..cut]).is_none(), "cut at {cut}");
        }
        for at in 0..bytes.len() {
            let mut damaged = bytes.clone();
            damaged[at] ^= 0x01;
            // Damage in the covered prefix's fields is not caught here but by the log, which
            // must then hold exactly that prefix.
            if (12..32).contains(&at) {
                continue;
            }
            assert!(
                check(dir.path(), &damaged).is_none(),
                "flipped a bit at {at}"
            );
        }
        assert!(open(&dir.path().join("missing")).is_none());
    }

    #[test]
    fn a_body_of_many_chunks_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let body: Vec<u8> = (0..READ_CHUNK * 2 + 77).map(|i| (i % 251) as u8).collect();
        let written = body.clone();
        write(
            dir.path(),
            covers(),
            Box::new(move |w: &mut dyn Write| w.write_all(&written)),
        )
        .unwrap();
        let back = open(dir.path()).unwrap().read().unwrap();
        assert_eq!(back.body[..], body[..]);
        let mut bytes = std::fs::read(dir.path().join(SNAPSHOT_NAME)).unwrap();
        bytes[HEAD_LEN + READ_CHUNK + 5] ^= 0x20;
        assert!(check(dir.path(), &bytes).is_none());
    }
}
