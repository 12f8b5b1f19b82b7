//! `/compatibility`: would this schema be accepted? The CI gate's endpoint.

use axum::extract::State;
use axum::response::Response;
use serde::Serialize;

use super::dto::SchemaBody;
use super::extract::{JsonBody, Params, SubjectPath, SubjectVersionPath};
use super::params::Normalize;
use super::{ok, AppState, ErrorBody};
use crate::error::ApiError;
use crate::registry::{CompatibilityAnswer, VersionSpec};

#[derive(Serialize, utoipa::ToSchema)]
struct AnswerView {
    is_compatible: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    messages: Option<Vec<String>>,
}

fn answer(
    app: &AppState,
    subject: &str,
    spec: Option<VersionSpec>,
    params: &Params,
    body: SchemaBody,
) -> Result<Response, ApiError> {
    let verbose = params.flag("verbose");
    let CompatibilityAnswer {
        is_compatible,
        messages,
    } = app.registry.test_compatibility(
        subject,
        spec,
        body.into_request()?,
        params.flag("normalize"),
        verbose,
    )?;
    Ok(ok(&AnswerView {
        is_compatible,
        messages: verbose.then_some(messages),
    }))
}

/// `POST /compatibility/subjects/{subject}/versions`: against the history, as registration.
#[utoipa::path(
    post,
    path = "/compatibility/subjects/{subject}/versions",
    tag = "compatibility",
    params(SubjectPath, Normalize, ("verbose" = Option<bool>, Query, description = "Explain: list every incompatible change")),
    request_body = SchemaBody,
    responses((status = 200, description = "Whether registration would accept the schema", body = AnswerView), (status = 422, description = "42201: invalid schema (without verbose)", body = ErrorBody<'_>))
)]
pub async fn against_all(
    State(app): State<AppState>,
    path: SubjectPath,
    params: Params,
    JsonBody(body): JsonBody<SchemaBody>,
) -> Result<Response, ApiError> {
    answer(&app, &path.subject, None, &params, body)
}

/// `POST /compatibility/subjects/{subject}/versions/{version}`: against one version.
#[utoipa::path(
    post,
    path = "/compatibility/subjects/{subject}/versions/{version}",
    tag = "compatibility",
    params(SubjectVersionPath, Normalize, ("verbose" = Option<bool>, Query, description = "Explain: list every incompatible change")),
    request_body = SchemaBody,
    responses((status = 200, description = "Whether the schema is compatible with that version", body = AnswerView), (status = 404, description = "40402: no such (live) version", body = ErrorBody<'_>), (status = 422, description = "42201, 42202", body = ErrorBody<'_>))
)]
pub async fn against_version(
    State(app): State<AppState>,
    path: SubjectVersionPath,
    params: Params,
    JsonBody(body): JsonBody<SchemaBody>,
) -> Result<Response, ApiError> {
    let spec = path.version()?;
    answer(&app, &path.subject, Some(spec), &params, body)
}
