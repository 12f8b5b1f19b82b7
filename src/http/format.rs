//! Which Confluent generation the API speaks: response shapes and error numbering differ between
//! 7.x and 8.x (confluent-api.md §6). Only the HTTP layer knows; the registry answers the same.

/// Which Confluent generation's response shapes to produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiFormat {
    /// 7.x: `{"id":N}` from register, `schemaType` omitted for AVRO, 409 for incompatibility.
    V7,
    /// 8.x: full register response, `schemaType` always, guid/ts/deleted fields, 40901.
    V8,
}

impl ApiFormat {
    /// The Confluent error code this generation gives an error the registry numbers `code`:
    /// 8.x numbers an incompatible schema 40901 where 7.x says 409.
    pub fn error_code(self, code: u32) -> u32 {
        match (self, code) {
            (ApiFormat::V8, 409) => 40901,
            _ => code,
        }
    }
}
