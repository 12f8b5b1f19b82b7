//! The bytes of one Avro payload, read front to back, and the limits that bound what hostile
//! bytes can make a reader do. Shared by the `Value` decoder and the serde decoder.

use apache_avro::types::Value;
use apache_avro::util::{max_allocation_bytes, DEFAULT_MAX_ALLOCATION_BYTES};

use crate::varint::{self, Malformed};
use crate::{Error, Result};

/// Records, arrays and maps nested deeper are refused (a recursive list of 200 items): each
/// level costs stack (kilobytes in a debug build, where 2 MiB threads overflow near 1,000), and
/// legitimate data nests far less.
const MAX_DEPTH: usize = 200;

/// What reading returns: the error (what is wrong with the bytes) boxed, so that the result
/// passed up through every level of a message stays two words wide.
pub(super) type Read<T> = std::result::Result<T, Box<str>>;

/// The depth one level below `depth`, if data may nest that deep.
#[inline]
pub(super) fn deeper(depth: usize) -> Read<usize> {
    if depth >= MAX_DEPTH {
        return Err(invalid(format!(
            "data nested deeper than {MAX_DEPTH} levels"
        )));
    }
    Ok(depth + 1)
}

/// A payload holds one value and nothing after it.
pub(super) fn all_read(rest: &[u8]) -> Result<()> {
    match rest.len() {
        0 => Ok(()),
        n => Err(Error::Serialization(format!(
            "{n} bytes left after the value"
        ))),
    }
}

/// An error in the bytes, as the readers pass it up.
pub(super) fn invalid(message: String) -> Box<str> {
    message.into_boxed_str()
}

/// Kept out of line: the readers inline [`Input::long`] into generic code, where only the
/// success path should cost space.
#[cold]
fn malformed(e: Malformed) -> Box<str> {
    invalid(
        match e {
            Malformed::Truncated => "truncated",
            Malformed::Overlong => "overlong varint",
        }
        .to_string(),
    )
}

fn too_many() -> Box<str> {
    invalid("the message expands into too many values".to_string())
}

/// The bytes still to read, and how many more values they may expand into.
pub(super) struct Input<'a> {
    pub(super) bytes: &'a [u8],
    values_left: usize,
}

// The small reads are `#[inline]`: the serde decoder calls them from generic code, which is
// compiled in the application's crate, where without it each would be a call (unless the
// application builds with LTO).
impl<'a> Input<'a> {
    /// A payload may expand into as many values as apache-avro's allocation limit would hold:
    /// zero-width items such as nulls cost no bytes, so the byte count alone does not bound them.
    pub(super) fn new(payload: &'a [u8]) -> Input<'a> {
        Input {
            bytes: payload,
            values_left: max_allocation_bytes(DEFAULT_MAX_ALLOCATION_BYTES) / size_of::<Value>(),
        }
    }

    #[inline]
    pub(super) fn count(&mut self, values: usize) -> Read<()> {
        self.values_left = self.values_left.checked_sub(values).ok_or_else(too_many)?;
        Ok(())
    }

    #[inline]
    pub(super) fn take(&mut self, n: usize) -> Read<&'a [u8]> {
        if n > self.bytes.len() {
            return Err(invalid("truncated".to_string()));
        }
        let (taken, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(taken)
    }

    #[inline]
    pub(super) fn byte(&mut self) -> Read<u8> {
        Ok(self.take(1)?[0])
    }

    #[inline]
    pub(super) fn array<const N: usize>(&mut self) -> Read<[u8; N]> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    /// A zig-zag varint of at most 10 bytes.
    #[inline]
    pub(super) fn long(&mut self) -> Read<i64> {
        let (n, rest) = varint::read_i64(self.bytes).map_err(malformed)?;
        self.bytes = rest;
        Ok(n)
    }

    #[inline]
    pub(super) fn int(&mut self) -> Read<i32> {
        let n = self.long()?;
        i32::try_from(n).map_err(|_| invalid(format!("{n} does not fit an int")))
    }

    /// A length that the remaining bytes can hold.
    #[inline]
    pub(super) fn len(&mut self) -> Read<usize> {
        let n = self.long()?;
        match usize::try_from(n) {
            Ok(len) if len <= self.bytes.len() => Ok(len),
            _ => Err(invalid(format!("length {n} runs past the end"))),
        }
    }

    /// Bytes after their length.
    #[inline]
    pub(super) fn bytes(&mut self) -> Read<&'a [u8]> {
        let len = self.len()?;
        self.take(len)
    }

    /// A string, borrowed from the payload.
    #[inline]
    pub(super) fn str(&mut self) -> Read<&'a str> {
        std::str::from_utf8(self.bytes()?)
            .map_err(|e| invalid(format!("a string is not UTF-8: {e}")))
    }

    #[inline]
    pub(super) fn string(&mut self) -> Read<String> {
        self.str().map(str::to_owned)
    }

    /// The item count of the next block of an array or map; `None` at the end. A negative
    /// count is followed by the block's size in bytes, which is not needed here.
    #[inline]
    pub(super) fn block(&mut self) -> Read<Option<usize>> {
        let count = self.long()?;
        if count == 0 {
            return Ok(None);
        }
        if count < 0 {
            self.long()?;
        }
        let count = usize::try_from(count.unsigned_abs())
            .map_err(|_| invalid(format!("block of {count} items")))?;
        // Items are counted as they are read; refuse at once what can never fit.
        if count > self.values_left {
            return Err(too_many());
        }
        Ok(Some(count))
    }
}
