//! A schema's canonical text, kept compressed. At a million schemas the texts are half of the
//! registry's memory, and schema texts (JSON, or protobuf's repeated keywords) shrink by about
//! a third with LZ4 (a `gen_log` Avro record: 315 bytes to 214). LZ4 because reading one back
//! costs about as much as copying it, which the rare readers (a compatibility check, a body
//! built once per schema, a `GET` of one version) do not notice; the hot paths never read it
//! but to confirm a match, and that compares without keeping a copy.
//!
//! The bytes: a tag, then either the UTF-8 text (tag 0: too short to gain, or it did not
//! shrink) or its length (u32, little-endian) and an LZ4 block (tag 1).

use std::borrow::Cow;

const PLAIN: u8 = 0;
const LZ4: u8 = 1;

/// Texts shorter than this are kept as they are: LZ4 gains little on them.
const SHORTEST: usize = 64;

#[derive(Clone, PartialEq, Eq)]
pub struct Text(Box<[u8]>);

impl Text {
    pub fn new(text: &str) -> Text {
        if text.len() >= SHORTEST {
            // Compressed in place after the tag and length; the buffer is then cut to size.
            let bound = lz4_flex::block::get_maximum_output_size(text.len());
            let mut out = vec![0; 5 + bound];
            out[0] = LZ4;
            out[1..5].copy_from_slice(&(text.len() as u32).to_le_bytes());
            if let Ok(written) = lz4_flex::block::compress_into(text.as_bytes(), &mut out[5..]) {
                if 4 + written < text.len() {
                    out.truncate(5 + written);
                    return Text(out.into_boxed_slice());
                }
            }
        }
        let mut out = Vec::with_capacity(1 + text.len());
        out.push(PLAIN);
        out.extend_from_slice(text.as_bytes());
        Text(out.into_boxed_slice())
    }

    /// The text.
    pub fn as_str(&self) -> Cow<'_, str> {
        let (tag, rest) = self.parts();
        if tag == PLAIN {
            return Cow::Borrowed(std::str::from_utf8(rest).expect(INTACT));
        }
        let bytes = lz4_flex::block::decompress_size_prepended(rest).expect(INTACT);
        Cow::Owned(String::from_utf8(bytes).expect(INTACT))
    }

    /// Whether this is `text`, without keeping a copy.
    pub fn is(&self, text: &str) -> bool {
        let (tag, rest) = self.parts();
        if tag == PLAIN {
            return rest == text.as_bytes();
        }
        // A different length answers without decompressing.
        rest.len() >= 4 && rest[..4] == (text.len() as u32).to_le_bytes() && self.as_str() == text
    }

    /// The stored bytes, for a snapshot.
    pub fn stored(&self) -> &[u8] {
        &self.0
    }

    /// Bytes [`Text::stored`] gave, read back from a snapshot. A snapshot's body is checked by
    /// its checksum before it is read, so a compressed block is not decompressed here (at a
    /// million schemas that would add a fifth of a second to every start); what is checked is
    /// that the bytes are shaped as `stored` writes them.
    pub fn from_stored(bytes: &[u8]) -> Result<Text, String> {
        match bytes.split_first() {
            Some((&PLAIN, text)) => match std::str::from_utf8(text) {
                Ok(_) => Ok(Text(bytes.into())),
                Err(e) => Err(format!("a schema text is not UTF-8: {e}")),
            },
            Some((&LZ4, block)) if block.len() > 4 => Ok(Text(bytes.into())),
            _ => Err("a schema text is neither plain nor an LZ4 block".into()),
        }
    }

    fn parts(&self) -> (u8, &[u8]) {
        match self.0.split_first() {
            Some((&tag, rest)) => (tag, rest),
            None => unreachable!("a Text has its tag"),
        }
    }
}

/// Why a text made by [`Text::new`], or checked by a snapshot's checksum, reads back.
const INTACT: &str = "a schema text reads back as it was stored";

impl std::fmt::Debug for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&*self.as_str(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECORD: &str = r#"{"type":"record","name":"Event7","namespace":"com.example.events","fields":[{"name":"id","type":"long"},{"name":"name","type":"string"},{"name":"amount","type":"double","default":0.0},{"name":"tags","type":{"type":"array","items":"string"},"default":[]},{"name":"note","type":["null","string"],"default":null}]}"#;

    #[test]
    fn a_schema_text_is_kept_compressed_and_reads_back() {
        let text = Text::new(RECORD);
        assert_eq!(text.stored()[0], LZ4);
        assert!(
            text.stored().len() < RECORD.len() * 3 / 4,
            "{} bytes",
            text.stored().len()
        );
        assert_eq!(text.as_str(), RECORD);
        assert!(text.is(RECORD));
        assert!(!text.is(&RECORD.replace("Event7", "Event8")));
        assert!(!text.is(&RECORD[1..]));
        assert!(!text.is(""));
    }

    #[test]
    fn a_short_or_incompressible_text_is_kept_as_it_is() {
        for plain in ["\"string\"", "", "é\u{1F600}"] {
            let text = Text::new(plain);
            assert_eq!(text.stored()[0], PLAIN);
            assert_eq!(text.as_str(), plain);
            assert!(text.is(plain));
            assert!(!text.is("\"int\""));
        }
        // 64 distinct characters do not shrink.
        let distinct: String = (0..64u8).map(|i| char::from(b'0' + i)).collect();
        assert_eq!(Text::new(&distinct).stored()[0], PLAIN);
        assert_eq!(Text::new(&distinct).as_str(), distinct);
    }

    #[test]
    fn stored_bytes_read_back_and_misshapen_ones_are_refused() {
        for original in [RECORD, "\"string\""] {
            let text = Text::new(original);
            let back = Text::from_stored(text.stored()).unwrap();
            assert_eq!(back.as_str(), original);
        }
        assert_eq!(
            Text::from_stored(&[PLAIN, 0xff]).unwrap_err(),
            "a schema text is not UTF-8: invalid utf-8 sequence of 1 bytes from index 0"
        );
        for bad in [&[][..], &[2, b'a'], &[LZ4, 1, 0, 0, 0]] {
            assert_eq!(
                Text::from_stored(bad).unwrap_err(),
                "a schema text is neither plain nor an LZ4 block"
            );
        }
    }
}
