//! The OpenAPI description of the whole API, generated from the handlers' annotations and
//! served at `/openapi.json`. `openapi/openapi.json` is a committed copy that a test keeps current.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use utoipa::OpenApi;

use super::{compatibility, config, root, schemas, subjects};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Schemata",
        description = "A schema registry speaking the Confluent Schema Registry REST API, plus a structured diff of versions."
    ),
    paths(
        root::get, root::post, root::cluster_id, root::version, root::contexts,
        schemas::list, schemas::types, schemas::by_id, schemas::raw_by_id, schemas::subjects_of_id,
        schemas::versions_of_id, schemas::by_guid, schemas::ids_of_guid,
        subjects::list, subjects::lookup, subjects::delete, subjects::list_versions, subjects::register,
        subjects::get_version, subjects::raw_version, subjects::delete_version, subjects::referenced_by,
        subjects::diff,
        compatibility::against_all, compatibility::against_version,
        config::get_global, config::put_global, config::delete_global,
        config::get_subject, config::put_subject, config::delete_subject,
        config::get_global_mode, config::put_global_mode, config::delete_global_mode,
        config::get_subject_mode, config::put_subject_mode, config::delete_subject_mode,
    ),
    tags(
        (name = "subjects", description = "Register, look up, list, diff and delete subject versions"),
        (name = "schemas", description = "Schemas by global id"),
        (name = "compatibility", description = "Would a schema be accepted?"),
        (name = "config", description = "Compatibility levels"),
        (name = "mode", description = "Registry modes"),
        (name = "metadata", description = "Liveness and server metadata"),
    )
)]
pub struct ApiDoc;

/// The document, pretty-printed (what `openapi/openapi.json` holds).
pub fn document() -> String {
    ApiDoc::openapi()
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
