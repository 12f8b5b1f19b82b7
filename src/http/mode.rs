//! `/mode`: registry modes, global and per subject.

use axum::extract::State;
use axum::response::Response;
use axum::Extension;
use serde::Serialize;
use serde_json::{Map, Value};

use super::extract::{java_trim, JsonBody, Params, SubjectPath};
use super::guard::Caller;
use super::params::{DefaultToGlobal, Force};
use super::{ok, AppState, ErrorBody};
use crate::auth::policy::Operation;
use crate::error::ApiError;
use crate::registry::Mode;

#[derive(Serialize, utoipa::ToSchema)]
struct ModeView {
    mode: &'static str,
}

/// Reads `{"mode": "..."}` (case-insensitive); PUT answers with the body as sent.
fn parse_mode(body: &Map<String, Value>) -> Result<Mode, ApiError> {
    let mode = body
        .get("mode")
        .and_then(Value::as_str)
        .ok_or(ApiError::InvalidMode)?;
    java_trim(mode).parse().map_err(|()| ApiError::InvalidMode)
}

async fn put(
    app: &AppState,
    subject: Option<&str>,
    caller: Option<Caller>,
    params: &Params,
    body: Map<String, Value>,
) -> Result<Response, ApiError> {
    let mode = parse_mode(&body)?;
    if mode == Mode::ReadOnlyOverride && subject.is_some() {
        return Err(ApiError::InvalidMode);
    }
    // Confluent allows FORWARD only on the global context (`:.__GLOBAL:`); like Confluent it
    // compares the text as sent, so `forward` in another case is taken anywhere.
    let global_context = subject.is_some_and(crate::registry::is_global_context);
    if body.get("mode").and_then(Value::as_str) == Some(Mode::Forward.as_str()) && !global_context {
        // A subject Confluent refuses is refused as such first, as there.
        if let Some(s) = subject {
            crate::registry::check_subject(s, true)?;
        }
        return Err(ApiError::ForwardModeNotGlobal);
    }
    // IMPORT and FORWARD let a client choose ids: admins only (the guard let a manager this
    // far).
    if let (Mode::Import | Mode::Forward, Some(caller), Some(subject)) = (mode, &caller, subject) {
        if !caller.may(Operation::Import, subject) {
            return Err(ApiError::Forbidden {
                operation: Operation::Import.name(),
                resource: format!("Subject: {subject}"),
            });
        }
    }
    app.registry
        .set_mode(subject, mode, params.flag("force"))
        .await?;
    let echo: Map<String, Value> = body.into_iter().filter(|(k, _)| k == "mode").collect();
    Ok(ok(&echo))
}

#[utoipa::path(
    get,
    operation_id = "get_mode",
    path = "/mode",
    tag = "mode",
    responses((status = 200, description = "The global mode", body = ModeView))
)]
pub async fn get_global(State(app): State<AppState>) -> Result<Response, ApiError> {
    Ok(ok(&ModeView {
        mode: app.registry.get_mode(None, true)?.as_str(),
    }))
}

#[utoipa::path(
    put,
    operation_id = "put_mode",
    path = "/mode",
    tag = "mode",
    params(Force),
    request_body = ModeView,
    responses((status = 200, description = "The request echoed", body = ModeView), (status = 422, description = "42204: invalid mode; 42205: cannot import with live subjects", body = ErrorBody<'_>))
)]
pub async fn put_global(
    State(app): State<AppState>,
    params: Params,
    JsonBody(body): JsonBody<Map<String, Value>>,
) -> Result<Response, ApiError> {
    put(&app, None, None, &params, body).await
}

#[utoipa::path(
    delete,
    operation_id = "delete_mode",
    path = "/mode",
    tag = "mode",
    responses((status = 200, description = "The mode that was stored", body = ModeView))
)]
pub async fn delete_global(State(app): State<AppState>) -> Result<Response, ApiError> {
    Ok(ok(&ModeView {
        mode: app.registry.delete_mode(None).await?.as_str(),
    }))
}

#[utoipa::path(
    get,
    operation_id = "get_subject_mode",
    path = "/mode/{subject}",
    tag = "mode",
    params(SubjectPath, DefaultToGlobal),
    responses((status = 200, description = "The subject's mode", body = ModeView), (status = 404, description = "40409: no subject-level mode", body = ErrorBody<'_>))
)]
pub async fn get_subject(
    State(app): State<AppState>,
    path: SubjectPath,
    params: Params,
) -> Result<Response, ApiError> {
    Ok(ok(&ModeView {
        mode: app
            .registry
            .get_mode(Some(&path.subject), params.flag("defaultToGlobal"))?
            .as_str(),
    }))
}

#[utoipa::path(
    put,
    operation_id = "put_subject_mode",
    path = "/mode/{subject}",
    tag = "mode",
    params(SubjectPath, Force),
    request_body = ModeView,
    responses((status = 200, description = "The request echoed", body = ModeView), (status = 422, description = "42204, 42205, 42208", body = ErrorBody<'_>))
)]
pub async fn put_subject(
    State(app): State<AppState>,
    caller: Option<Extension<Caller>>,
    path: SubjectPath,
    params: Params,
    JsonBody(body): JsonBody<Map<String, Value>>,
) -> Result<Response, ApiError> {
    let caller = caller.map(|Extension(c)| c);
    put(&app, Some(&path.subject), caller, &params, body).await
}

#[utoipa::path(
    delete,
    operation_id = "delete_subject_mode",
    path = "/mode/{subject}",
    tag = "mode",
    params(SubjectPath),
    responses((status = 200, description = "The mode that was stored", body = ModeView), (status = 404, description = "40401: no subject-level mode", body = ErrorBody<'_>))
)]
pub async fn delete_subject(
    State(app): State<AppState>,
    path: SubjectPath,
) -> Result<Response, ApiError> {
    Ok(ok(&ModeView {
        mode: app
            .registry
            .delete_mode(Some(&path.subject))
            .await?
            .as_str(),
    }))
}
