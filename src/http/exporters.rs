//! `/exporters`: Confluent's schema exporter API (Schema Linking). Definitions are kept by the
//! registry (`registry/exporters.rs`); the exporters run in `replication/exporter.rs`, which
//! reports their status. Secrets in an exporter's config are never shown back.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::extract::{ExporterPath, JsonBody};
use super::{ok, AppState, ErrorBody};
use crate::error::ApiError;
use crate::registry::{Exporter, ExporterUpdate, SECRET_KEYS};

/// What shows in place of a secret.
const HIDDEN: &str = "[hidden]";

/// The body of `POST /exporters` and `PUT /exporters/{name}`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ExporterBody {
    name: Option<String>,
    subjects: Option<Vec<String>>,
    #[serde(rename = "subjectRenameFormat")]
    subject_rename_format: Option<String>,
    /// `AUTO` (the default: the context `.` and this registry's cluster id), `CUSTOM` (the
    /// `context` given) or `NONE` (each subject's own context).
    #[serde(rename = "contextType")]
    context_type: Option<String>,
    /// The destination context of `CUSTOM` (`.dr`).
    context: Option<String>,
    /// `schema.registry.url` (required on creation), `basic.auth.user.info` (USER:PASSWORD),
    /// `bearer.auth.token`; other keys are kept and ignored.
    config: Option<BTreeMap<String, String>>,
}

fn body<T: for<'de> Deserialize<'de>>(map: Map<String, Value>) -> Result<T, ApiError> {
    serde_json::from_value(Value::Object(map)).map_err(|e| ApiError::BadRequest(e.to_string()))
}

#[derive(Serialize, utoipa::ToSchema)]
struct NameView<'a> {
    name: &'a str,
}

#[derive(Serialize, utoipa::ToSchema)]
struct ExporterView<'a> {
    name: &'a str,
    subjects: &'a [String],
    #[serde(
        rename = "subjectRenameFormat",
        skip_serializing_if = "Option::is_none"
    )]
    subject_rename_format: Option<&'a str>,
    #[serde(rename = "contextType")]
    context_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    context: Option<&'a str>,
    config: BTreeMap<&'a str, &'a str>,
}

#[derive(Serialize, utoipa::ToSchema)]
struct StatusView<'a> {
    name: &'a str,
    /// `STARTING`, `RUNNING`, `PAUSED` or `ERROR`
    state: &'static str,
    /// Changes written to the destination since creation or the last reset
    offset: u64,
    /// Milliseconds since the epoch of the last change of state or offset
    ts: i64,
    /// Why the destination refused, while it does
    #[serde(skip_serializing_if = "Option::is_none")]
    trace: Option<&'a str>,
}

/// The config with its secrets hidden.
fn shown(config: &BTreeMap<String, String>) -> BTreeMap<&str, &str> {
    config
        .iter()
        .map(|(k, v)| {
            let v = if SECRET_KEYS.contains(&k.as_str()) {
                HIDDEN
            } else {
                v.as_str()
            };
            (k.as_str(), v)
        })
        .collect()
}

#[utoipa::path(
    get,
    path = "/exporters",
    tag = "exporters",
    responses((status = 200, description = "The exporters' names", body = Vec<String>))
)]
pub async fn list(State(app): State<AppState>) -> Result<Response, ApiError> {
    Ok(ok(&app.registry.exporter_names()))
}

#[utoipa::path(
    post,
    path = "/exporters",
    tag = "exporters",
    request_body = ExporterBody,
    responses((status = 200, description = "The exporter's name", body = NameView<'_>), (status = 409, description = "40950: bad name; 40951: bad config (no schema.registry.url, CUSTOM without a context); 40952: bad subjects; 40960: exists", body = ErrorBody<'_>))
)]
pub async fn create(
    State(app): State<AppState>,
    JsonBody(map): JsonBody<Map<String, Value>>,
) -> Result<Response, ApiError> {
    let b: ExporterBody = body(map)?;
    let name = b.name.unwrap_or_default();
    let exporter = Exporter {
        name: name.clone(),
        subjects: b.subjects.unwrap_or_default(),
        subject_rename_format: b.subject_rename_format,
        // Confluent's default.
        context_type: b.context_type.unwrap_or_else(|| "AUTO".into()),
        context: b.context,
        config: b
            .config
            .ok_or_else(|| ApiError::InvalidExporterConfig("the exporter has no config".into()))?,
        paused: false,
        offset: 0,
    };
    app.registry.create_exporter(exporter).await?;
    Ok(ok(&NameView { name: &name }))
}

#[utoipa::path(
    get,
    path = "/exporters/{name}",
    tag = "exporters",
    params(ExporterPath),
    responses((status = 200, description = "The exporter (secrets hidden)", body = ExporterView<'_>), (status = 404, description = "40450", body = ErrorBody<'_>))
)]
pub async fn get(State(app): State<AppState>, path: ExporterPath) -> Result<Response, ApiError> {
    let e = app.registry.exporter(&path.name)?;
    Ok(ok(&ExporterView {
        name: &e.name,
        subjects: &e.subjects,
        subject_rename_format: e.subject_rename_format.as_deref(),
        context_type: &e.context_type,
        context: e.context.as_deref(),
        config: shown(&e.config),
    }))
}

#[utoipa::path(
    put,
    path = "/exporters/{name}",
    tag = "exporters",
    params(ExporterPath),
    request_body = ExporterBody,
    responses((status = 200, description = "The exporter's name", body = NameView<'_>), (status = 404, description = "40450", body = ErrorBody<'_>), (status = 409, description = "40951, 40952; 40963: not paused", body = ErrorBody<'_>))
)]
pub async fn update(
    State(app): State<AppState>,
    path: ExporterPath,
    JsonBody(map): JsonBody<Map<String, Value>>,
) -> Result<Response, ApiError> {
    let b: ExporterBody = body(map)?;
    let update = ExporterUpdate {
        subjects: b.subjects,
        subject_rename_format: b.subject_rename_format,
        context_type: b.context_type,
        context: b.context,
        config: b.config,
    };
    app.registry.update_exporter(&path.name, update).await?;
    Ok(ok(&NameView { name: &path.name }))
}

#[utoipa::path(
    delete,
    path = "/exporters/{name}",
    tag = "exporters",
    params(ExporterPath),
    responses((status = 204, description = "Deleted"), (status = 404, description = "40450", body = ErrorBody<'_>))
)]
pub async fn delete(State(app): State<AppState>, path: ExporterPath) -> Result<Response, ApiError> {
    app.registry.delete_exporter(&path.name).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[utoipa::path(
    get,
    path = "/exporters/{name}/status",
    tag = "exporters",
    params(ExporterPath),
    responses((status = 200, description = "What the exporter is doing", body = StatusView<'_>), (status = 404, description = "40450", body = ErrorBody<'_>))
)]
pub async fn status(State(app): State<AppState>, path: ExporterPath) -> Result<Response, ApiError> {
    let e = app.registry.exporter(&path.name)?;
    let status = app.exporters.status(&e);
    Ok(ok(&StatusView {
        name: &e.name,
        state: status.state,
        offset: status.offset,
        ts: status.ts,
        trace: status.trace.as_deref(),
    }))
}

#[utoipa::path(
    get,
    path = "/exporters/{name}/config",
    tag = "exporters",
    params(ExporterPath),
    responses((status = 200, description = "The destination's config (secrets hidden)", body = BTreeMap<String, String>), (status = 404, description = "40450", body = ErrorBody<'_>))
)]
pub async fn get_config(
    State(app): State<AppState>,
    path: ExporterPath,
) -> Result<Response, ApiError> {
    let e = app.registry.exporter(&path.name)?;
    Ok(ok(&shown(&e.config)))
}

#[utoipa::path(
    put,
    path = "/exporters/{name}/config",
    tag = "exporters",
    params(ExporterPath),
    request_body = BTreeMap<String, String>,
    responses((status = 200, description = "The exporter's name", body = NameView<'_>), (status = 404, description = "40450", body = ErrorBody<'_>), (status = 409, description = "40951; 40963: not paused", body = ErrorBody<'_>))
)]
pub async fn put_config(
    State(app): State<AppState>,
    path: ExporterPath,
    JsonBody(map): JsonBody<Map<String, Value>>,
) -> Result<Response, ApiError> {
    let config: BTreeMap<String, String> = body(map)?;
    let update = ExporterUpdate {
        config: Some(config),
        ..ExporterUpdate::default()
    };
    app.registry.update_exporter(&path.name, update).await?;
    Ok(ok(&NameView { name: &path.name }))
}

#[utoipa::path(
    put,
    path = "/exporters/{name}/pause",
    tag = "exporters",
    params(ExporterPath),
    responses((status = 200, description = "The exporter's name", body = NameView<'_>), (status = 404, description = "40450", body = ErrorBody<'_>), (status = 409, description = "40962: already paused", body = ErrorBody<'_>))
)]
pub async fn pause(State(app): State<AppState>, path: ExporterPath) -> Result<Response, ApiError> {
    app.registry.pause_exporter(&path.name).await?;
    Ok(ok(&NameView { name: &path.name }))
}

#[utoipa::path(
    put,
    path = "/exporters/{name}/resume",
    tag = "exporters",
    params(ExporterPath),
    responses((status = 200, description = "The exporter's name", body = NameView<'_>), (status = 404, description = "40450", body = ErrorBody<'_>), (status = 409, description = "40961: already running", body = ErrorBody<'_>))
)]
pub async fn resume(State(app): State<AppState>, path: ExporterPath) -> Result<Response, ApiError> {
    app.registry.resume_exporter(&path.name).await?;
    Ok(ok(&NameView { name: &path.name }))
}

#[utoipa::path(
    put,
    path = "/exporters/{name}/reset",
    tag = "exporters",
    params(ExporterPath),
    responses((status = 200, description = "The exporter's name", body = NameView<'_>), (status = 404, description = "40450", body = ErrorBody<'_>), (status = 409, description = "40963: not paused", body = ErrorBody<'_>))
)]
pub async fn reset(State(app): State<AppState>, path: ExporterPath) -> Result<Response, ApiError> {
    app.registry.reset_exporter(&path.name).await?;
    Ok(ok(&NameView { name: &path.name }))
}
