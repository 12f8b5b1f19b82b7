//! `/compatibility`: would this schema be accepted? The CI gate's endpoint.

use axum::extract::State;
use axum::response::Response;
use serde::Serialize;

use super::dto::SchemaBody;
use super::extract::{version, JsonBody, Params, PathParams};
use super::{ok, AppState};
use crate::error::ApiError;
use crate::registry::{CompatibilityAnswer, VersionSpec};

#[derive(Serialize)]
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
pub async fn against_all(
    State(app): State<AppState>,
    PathParams(p): PathParams,
    params: Params,
    JsonBody(body): JsonBody<SchemaBody>,
) -> Result<Response, ApiError> {
    answer(&app, &p[0], None, &params, body)
}

/// `POST /compatibility/subjects/{subject}/versions/{version}`: against one version.
pub async fn against_version(
    State(app): State<AppState>,
    PathParams(p): PathParams,
    params: Params,
    JsonBody(body): JsonBody<SchemaBody>,
) -> Result<Response, ApiError> {
    let spec = version(&p[1])?;
    answer(&app, &p[0], Some(spec), &params, body)
}
