//! Schema request bodies seen before, kept parsed by their bytes. Producers send the very same
//! body at every start, thousands of times; reading that JSON into a typed request (its data
//! contract canonicalised) was the largest part of answering a re-registration. A body is a
//! pure function of its bytes, so a parse made once serves every later copy.

use std::sync::Arc;

use axum::extract::{FromRequest, Request};
use moka::sync::Cache;

use super::dto::SchemaBody;
use super::extract::{json, read_body};
use super::AppState;
use crate::error::ApiError;
use crate::registry::RegisterRequest;

/// Bytes of bodies (and their parsed forms) kept: a few MB, far more than the distinct schemas
/// a fleet of producers sends.
const CAPACITY_BYTES: u64 = 16 << 20;

/// A parsed request is about twice its body's size; the weight counts both.
const WEIGHT_PER_BODY_BYTE: u32 = 3;

/// Parsed register and lookup bodies, by their bytes.
#[derive(Clone)]
pub struct ParsedBodies(Cache<Arc<[u8]>, Arc<RegisterRequest>, foldhash::fast::RandomState>);

impl Default for ParsedBodies {
    fn default() -> Self {
        ParsedBodies(
            Cache::builder()
                .max_capacity(CAPACITY_BYTES)
                .weigher(|body: &Arc<[u8]>, _| weight(body))
                .build_with_hasher(foldhash::fast::RandomState::default()),
        )
    }
}

fn weight(body: &[u8]) -> u32 {
    u32::try_from(body.len())
        .unwrap_or(u32::MAX)
        .saturating_mul(WEIGHT_PER_BODY_BYTE)
}

impl ParsedBodies {
    /// The request in `body`: parsed before, or parsed now (and kept when it is valid).
    pub fn parse(&self, body: &[u8]) -> Result<Arc<RegisterRequest>, ApiError> {
        if let Some(request) = self.0.get(body) {
            return Ok(request);
        }
        let request = Arc::new(json::<SchemaBody>(body)?.into_request()?);
        self.0.insert(body.into(), Arc::clone(&request));
        Ok(request)
    }
}

/// A schema request body (`SchemaBody`), as a registry request.
pub struct RequestBody(pub Arc<RegisterRequest>);

impl FromRequest<AppState> for RequestBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<RequestBody, ApiError> {
        let bytes = read_body(req, state).await?;
        state.bodies.parse(&bytes).map(RequestBody)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = br#"{"schema":"\"string\"","metadata":{"properties":{"owner":"a"}}}"#;

    #[test]
    fn a_body_seen_before_is_not_parsed_again() {
        let bodies = ParsedBodies::default();
        let first = bodies.parse(BODY).unwrap();
        let again = bodies.parse(BODY).unwrap();
        assert!(Arc::ptr_eq(&first, &again));
        assert_eq!(first.schema.as_deref(), Some("\"string\""));
        let owner = first
            .contract
            .metadata
            .as_ref()
            .unwrap()
            .properties
            .get("owner");
        assert_eq!(owner.map(String::as_str), Some("a"));
    }

    #[test]
    fn other_bytes_are_another_request() {
        let bodies = ParsedBodies::default();
        let first = bodies.parse(BODY).unwrap();
        let spaced = bodies.parse(br#"{"schema": "\"string\""}"#).unwrap();
        assert!(!Arc::ptr_eq(&first, &spaced));
        assert_eq!(spaced.schema.as_deref(), Some("\"string\""));
        assert_eq!(spaced.contract, Default::default());
    }

    #[test]
    fn a_body_that_fails_fails_every_time() {
        let bodies = ParsedBodies::default();
        let bad = br#"{"schema":"\"string\"","ruleSet":{"domainRules":[{"kind":"NOPE"}]}}"#;
        for _ in 0..2 {
            let ApiError::BadRequest(message) = bodies.parse(bad).unwrap_err() else {
                panic!("not a 400");
            };
            assert_eq!(
                message,
                "Invalid JSON body: unknown rule kind 'NOPE', expected TRANSFORM or CONDITION"
            );
        }
        assert_eq!(bodies.0.iter().count(), 0);
    }
}
