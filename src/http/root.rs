//! `/` and the server metadata.

use axum::extract::State;
use axum::response::Response;
use serde_json::json;

use super::{ok, AppState};

/// `GET /`: `{}`, the liveness probe.
#[utoipa::path(
    get,
    path = "/",
    tag = "metadata",
    responses((status = 200, description = "`{}`: the registry is up"))
)]
pub async fn get() -> Response {
    ok(&json!({}))
}

/// `POST /`: `{}` whatever the body.
#[utoipa::path(
    post,
    path = "/",
    tag = "metadata",
    responses((status = 200, description = "`{}` whatever the body"))
)]
pub async fn post() -> Response {
    ok(&json!({}))
}

/// `GET /v1/metadata/id`.
#[utoipa::path(
    get,
    path = "/v1/metadata/id",
    tag = "metadata",
    responses((status = 200, description = "The cluster id, as Confluent shapes it"))
)]
pub async fn cluster_id(State(app): State<AppState>) -> Response {
    let id = &*app.registry.defaults().cluster_id;
    ok(&json!({"scope": {"path": [], "clusters": {"schema-registry-cluster": id}}}))
}

/// `GET /v1/metadata/version`.
#[utoipa::path(
    get,
    path = "/v1/metadata/version",
    tag = "metadata",
    responses((status = 200, description = "`{\"version\": ..., \"commitId\": ...}`"))
)]
pub async fn version() -> Response {
    ok(&json!({"version": env!("CARGO_PKG_VERSION"), "commitId": ""}))
}

/// `GET /v1/metadata/deployment`: `{"attributes": [...]}`, as `--deployment-attributes` says.
#[utoipa::path(
    get,
    path = "/v1/metadata/deployment",
    tag = "metadata",
    responses((status = 200, description = "`{\"attributes\": [...]}`: the deployment's attributes (`--deployment-attributes`)"))
)]
pub async fn deployment(State(app): State<AppState>) -> Response {
    ok(&json!({ "attributes": &*app.deployment }))
}
