//! The HTTP API: every route in one table, one module per URL resource.
//!
//! Handlers are thin: they extract, call one [`Registry`] method and map the result to the JSON
//! Confluent's clients expect. Every response, errors included, is JSON with the registry's
//! content type whatever the `Accept` header says.

mod compatibility;
mod config;
mod dto;
mod extract;
pub mod openapi;
mod root;
mod schemas;
mod subjects;
mod ui;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Serialize;

use crate::error::ApiError;
use crate::registry::Registry;

/// What every handler gets.
#[derive(Clone)]
pub struct AppState {
    pub registry: Registry,
    /// Largest request body accepted.
    pub max_body_bytes: usize,
}

/// The content type of every response (Confluent's default).
pub const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";

/// All routes.
pub fn routes(state: AppState) -> Router {
    Router::new()
        .route("/", get(root::get).post(root::post))
        .route("/v1/metadata/id", get(root::cluster_id))
        .route("/v1/metadata/version", get(root::version))
        .route("/contexts", get(root::contexts))
        .route("/schemas", get(schemas::list))
        .route("/schemas/types", get(schemas::types))
        .route("/schemas/ids/{id}", get(schemas::by_id))
        .route("/schemas/ids/{id}/schema", get(schemas::raw_by_id))
        .route("/schemas/ids/{id}/subjects", get(schemas::subjects_of_id))
        .route("/schemas/ids/{id}/versions", get(schemas::versions_of_id))
        .route("/schemas/guids/{guid}", get(schemas::by_guid))
        .route("/schemas/guids/{guid}/ids", get(schemas::ids_of_guid))
        .route("/subjects", get(subjects::list))
        .route(
            "/subjects/{subject}",
            post(subjects::lookup).delete(subjects::delete),
        )
        .route(
            "/subjects/{subject}/versions",
            get(subjects::list_versions).post(subjects::register),
        )
        .route(
            "/subjects/{subject}/versions/{version}",
            get(subjects::get_version).delete(subjects::delete_version),
        )
        .route(
            "/subjects/{subject}/versions/{version}/schema",
            get(subjects::raw_version),
        )
        .route("/subjects/{subject}/diff", get(subjects::diff))
        .route(
            "/subjects/{subject}/versions/{version}/referencedby",
            get(subjects::referenced_by),
        )
        .route(
            "/compatibility/subjects/{subject}/versions",
            post(compatibility::against_all),
        )
        .route(
            "/compatibility/subjects/{subject}/versions/{version}",
            post(compatibility::against_version),
        )
        .route(
            "/config",
            get(config::get_global)
                .put(config::put_global)
                .delete(config::delete_global),
        )
        .route(
            "/config/{subject}",
            get(config::get_subject)
                .put(config::put_subject)
                .delete(config::delete_subject),
        )
        .route(
            "/mode",
            get(config::get_global_mode)
                .put(config::put_global_mode)
                .delete(config::delete_global_mode),
        )
        .route(
            "/mode/{subject}",
            get(config::get_subject_mode)
                .put(config::put_subject_mode)
                .delete(config::delete_subject_mode),
        )
        .route("/openapi.json", get(openapi::serve))
        .route("/ui", get(ui::index))
        .route("/ui/app.js", get(ui::app_js))
        .route("/ui/style.css", get(ui::style_css))
        .fallback(|| async { ApiError::NotFound })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .with_state(state)
}

/// A response with a JSON body already serialized.
pub fn json_response(status: StatusCode, body: impl Into<axum::body::Body>) -> Response {
    let mut response = (status, body.into()).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    response
}

/// 200 with `value` as JSON.
pub fn ok<T: Serialize>(value: &T) -> Response {
    json_response(
        StatusCode::OK,
        serde_json::to_vec(value).expect("responses serialize"),
    )
}
