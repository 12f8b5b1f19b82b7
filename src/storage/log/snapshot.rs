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
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;

use bytes::Bytes;

use super::file::Prefix;
use crate::storage::SnapshotWriter;

pub(super) const SNAPSHOT_NAME: &str = "schemas.snapshot";
const MAGIC: &[u8; 12] = b"SCHSNAPS\x00\x00\x00\x01";
const HEAD_LEN: usize = 12 + 8 + 8 + 4 + 8 + 4;

/// A snapshot read back whose own checks passed: the log prefix it covers and its body.
pub(super) struct Snapshot {
    pub(super) covers: Prefix,
    pub(super) body: Bytes,
}

/// The snapshot in `dir`, if there is one that passes its own checks; why one was ignored is
/// logged.
pub(super) fn read(dir: &Path) -> Option<Snapshot> {
    let path = dir.join(SNAPSHOT_NAME);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            tracing::warn!("{}: cannot be read, replaying the log: {e}", path.display());
            return None;
        }
    };
    match check(bytes) {
        Ok(snapshot) => Some(snapshot),
        Err(why) => {
            tracing::warn!("{}: {why}; ignored, replaying the log", path.display());
            None
        }
    }
}

fn check(bytes: Vec<u8>) -> Result<Snapshot, &'static str> {
    if bytes.len() < HEAD_LEN || &bytes[..12] != MAGIC {
        return Err("not a snapshot of this format");
    }
    let u64_at = |at: usize| u64::from_be_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
    let u32_at = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
    let covers = Prefix {
        len: u64_at(12),
        frames: u64_at(20),
        chain: u32_at(28),
    };
    let body_len = u64_at(32);
    let body_crc = u32_at(40);
    if body_len != (bytes.len() - HEAD_LEN) as u64 {
        return Err("truncated or overlong");
    }
    if crc32c::crc32c(&bytes[HEAD_LEN..]) != body_crc {
        return Err("checksum mismatch");
    }
    Ok(Snapshot {
        covers,
        body: Bytes::from(bytes).slice(HEAD_LEN..),
    })
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

    #[test]
    fn a_snapshot_reads_back_and_any_damage_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let bytes = written(dir.path());
        let back = read(dir.path()).unwrap();
        assert_eq!(back.covers, covers());
        assert_eq!(&back.body[..], b"the registry's state");

        for cut in 0..bytes.len() {
            assert!(check(bytes[..cut].to_vec()).is_err(), "cut at {cut}");
        }
        for at in 0..bytes.len() {
            let mut damaged = bytes.clone();
            damaged[at] ^= 0x01;
            // Damage in the covered prefix's fields is not caught here but by the log, which
            // must then hold exactly that prefix.
            if (12..32).contains(&at) {
                continue;
            }
            assert!(check(damaged).is_err(), "flipped a bit at {at}");
        }
        assert!(read(&dir.path().join("missing")).is_none());
    }
}
