//! The OpenAPI description of the whole API, generated from the handlers' annotations as the
//! routes are declared (`mod.rs`) and served at `/openapi.json`. `openapi/openapi.json` is a
//! committed copy that a test keeps current.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use utoipa::OpenApi;

/// The document's frame: its title and tags. The paths come from the routes.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Schemata",
        description = "A schema registry speaking the Confluent Schema Registry REST API, plus a structured diff of versions."
    ),
    tags(
        (name = "subjects", description = "Register, look up, list, diff and delete subject versions"),
        (name = "schemas", description = "Schemas by global id"),
        (name = "compatibility", description = "Would a schema be accepted?"),
        (name = "config", description = "Compatibility levels"),
        (name = "mode", description = "Registry modes"),
        (name = "metadata", description = "Server metadata (`GET /` is Confluent's liveness answer)"),
        (name = "operations", description = "Health probes and Prometheus metrics"),
    )
)]
pub struct ApiDoc;

/// The document, pretty-printed (what `openapi/openapi.json` holds).
pub fn document() -> String {
    super::document()
        .to_pretty_json()
        .expect("the OpenAPI document serializes")
}

/// `GET /openapi.json`.
pub async fn serve() -> Response {
    (
        StatusCode::OK,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        document(),
    )
        .into_response()
}
