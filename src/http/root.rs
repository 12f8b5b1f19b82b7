//! `/`, the server metadata and contexts.

use axum::response::Response;
use serde_json::json;

use super::ok;

/// `GET /`: `{}`, the liveness probe.
pub async fn get() -> Response {
    ok(&json!({}))
}

/// `POST /`: `{}` whatever the body.
pub async fn post() -> Response {
    ok(&json!({}))
}

/// `GET /v1/metadata/id`.
pub async fn cluster_id() -> Response {
    ok(&json!({"scope": {"path": [], "clusters": {"schema-registry-cluster": "schema-registry"}}}))
}

/// `GET /v1/metadata/version`.
pub async fn version() -> Response {
    ok(&json!({"version": env!("CARGO_PKG_VERSION"), "commitId": ""}))
}

/// `GET /contexts`: only the default context exists.
pub async fn contexts() -> Response {
    ok(&json!(["."]))
}
