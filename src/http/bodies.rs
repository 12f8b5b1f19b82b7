//! Schema request bodies answered before, kept parsed by their bytes. Producers send the very same
//! body at every start, thousands of times; reading that JSON into a typed request (its data
//! contract canonicalised) was the largest part of answering a re-registration. A body is a
//! pure function of its bytes, so a parse made once serves every later copy.
//!
//! A body is kept only once it has been answered from what the registry already held (a
//! re-registration, a lookup that found its schema): a body that created a schema is seldom
//! sent again until its producer restarts, and a bulk registration (an import, a CI run)
//! would otherwise fill the cache with bodies seen once and push out the ones sent again.

use std::sync::Arc;

use axum::body::Bytes;
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
    /// The request in `body`: parsed before and kept, or parsed now.
    pub fn parse(&self, body: Bytes) -> Result<RequestBody, ApiError> {
        if let Some(request) = self.0.get(body.as_ref()) {
            return Ok(RequestBody {
                request,
                unkept: None,
            });
        }
        let request = Arc::new(json::<SchemaBody>(&body)?.into_request()?);
        Ok(RequestBody {
            request,
            unkept: Some(body),
        })
    }

    /// Keeps `body` parsed, for the next copy of it: once it was answered from what the
    /// registry held.
    pub fn keep(&self, body: RequestBody) {
        if let Some(bytes) = body.unkept {
            self.0.insert(bytes.as_ref().into(), body.request);
        }
    }
}

/// A schema request body (`SchemaBody`), as a registry request.
pub struct RequestBody {
    pub request: Arc<RegisterRequest>,
    /// Its bytes, when it was parsed for this request (not kept yet).
    unkept: Option<Bytes>,
}

impl FromRequest<AppState> for RequestBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<RequestBody, ApiError> {
        let bytes = read_body(req, state).await?;
        state.bodies.parse(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = br#"{"schema":"\"string\"","metadata":{"properties":{"owner":"a"}}}"#;

    #[test]
    fn a_body_kept_is_not_parsed_again() {
        let bodies = ParsedBodies::default();
        let first = bodies.parse(Bytes::from_static(BODY)).unwrap();
        let parsed = Arc::clone(&first.request);
        assert_eq!(parsed.schema.as_deref(), Some("\"string\""));
        let owner = parsed
            .contract
            .metadata
            .as_ref()
            .unwrap()
            .properties
            .get("owner");
        assert_eq!(owner.map(String::as_str), Some("a"));
        bodies.keep(first);
        let again = bodies.parse(Bytes::from_static(BODY)).unwrap();
        assert!(Arc::ptr_eq(&parsed, &again.request));
        assert!(again.unkept.is_none());
    }

    #[test]
    fn a_body_not_kept_is_parsed_each_time() {
        let bodies = ParsedBodies::default();
        let first = bodies.parse(Bytes::from_static(BODY)).unwrap();
        let again = bodies.parse(Bytes::from_static(BODY)).unwrap();
        assert!(!Arc::ptr_eq(&first.request, &again.request));
        assert_eq!(first.request.schema, again.request.schema);
        assert_eq!(bodies.0.iter().count(), 0);
    }

    #[test]
    fn other_bytes_are_another_request() {
        let bodies = ParsedBodies::default();
        bodies.keep(bodies.parse(Bytes::from_static(BODY)).unwrap());
        let spaced = bodies
            .parse(Bytes::from_static(br#"{"schema": "\"string\""}"#))
            .unwrap();
        assert!(spaced.unkept.is_some());
        assert_eq!(spaced.request.schema.as_deref(), Some("\"string\""));
        assert_eq!(spaced.request.contract, Default::default());
    }

    #[test]
    fn a_body_that_fails_fails_every_time() {
        let bodies = ParsedBodies::default();
        let bad = br#"{"schema":"\"string\"","ruleSet":{"domainRules":[{"kind":"NOPE"}]}}"#;
        for _ in 0..2 {
            let Err(ApiError::BadRequest(message)) = bodies.parse(Bytes::from_static(bad)) else {
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
