//! `/config`: compatibility configs, global and per subject.

use axum::extract::State;
use axum::response::Response;
use compat::Policy;
use serde::Serialize;
use serde_json::{Map, Value};

use super::extract::{java_trim, JsonBody, Params, SubjectPath};
use super::params::DefaultToGlobal;
use super::{ok, ApiFormat, AppState, ErrorBody};
use crate::error::ApiError;
use crate::registry::{ConfigUpdate, ConfigValue, Patch};

/// `Config` as GET and DELETE return it (`compatibilityLevel`).
#[derive(Serialize, utoipa::ToSchema)]
struct ConfigView {
    #[serde(rename = "compatibilityLevel", skip_serializing_if = "Option::is_none")]
    compatibility_level: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    normalize: Option<bool>,
    #[serde(
        rename = "compatibilityPolicy",
        skip_serializing_if = "Option::is_none"
    )]
    compatibility_policy: Option<&'static str>,
}

impl From<ConfigValue> for ConfigView {
    fn from(c: ConfigValue) -> ConfigView {
        ConfigView {
            compatibility_level: c.compatibility_level.map(|l| l.as_str()),
            normalize: c.normalize,
            compatibility_policy: c.compatibility_policy.map(|p| p.as_str()),
        }
    }
}

/// 8.x's PUT response: the merged config, keyed `compatibility`.
#[derive(Serialize, utoipa::ToSchema)]
struct ConfigUpdateView {
    #[serde(skip_serializing_if = "Option::is_none")]
    compatibility: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    normalize: Option<bool>,
    #[serde(
        rename = "compatibilityPolicy",
        skip_serializing_if = "Option::is_none"
    )]
    compatibility_policy: Option<&'static str>,
}

const CONFIG_FIELDS: [&str; 3] = ["compatibility", "normalize", "compatibilityPolicy"];

/// Reads a `ConfigUpdateRequest`: absent keeps a field, `null` clears it.
fn parse_update(body: &Map<String, Value>) -> Result<ConfigUpdate, ApiError> {
    let compatibility = match body.get("compatibility") {
        None => Patch::Keep,
        Some(Value::Null) => Patch::Clear,
        Some(Value::String(s)) => Patch::Set(
            java_trim(s)
                .parse()
                .map_err(|()| ApiError::InvalidCompatibilityLevel)?,
        ),
        Some(_) => return Err(ApiError::InvalidCompatibilityLevel),
    };
    let normalize = match body.get("normalize") {
        None => Patch::Keep,
        Some(Value::Null) => Patch::Clear,
        Some(Value::Bool(b)) => Patch::Set(*b),
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "normalize must be a boolean, got {other}"
            )))
        }
    };
    let compatibility_policy = match body.get("compatibilityPolicy") {
        None => Patch::Keep,
        Some(Value::Null) => Patch::Clear,
        Some(value) => match value.as_str().map(str::parse::<Policy>) {
            Some(Ok(policy)) => Patch::Set(policy),
            _ => {
                return Err(ApiError::BadRequest(format!(
                    "compatibilityPolicy must be STRICT or LENIENT, got {value}"
                )))
            }
        },
    };
    Ok(ConfigUpdate {
        compatibility,
        normalize,
        compatibility_policy,
    })
}

async fn put(
    app: &AppState,
    subject: Option<&str>,
    body: Map<String, Value>,
) -> Result<Response, ApiError> {
    let update = parse_update(&body)?;
    let merged = app.registry.set_config(subject, update).await?;
    Ok(match app.api {
        // 7.x echoes the request as sent.
        ApiFormat::V7 => {
            let echo: Map<String, Value> = body
                .into_iter()
                .filter(|(k, v)| CONFIG_FIELDS.contains(&k.as_str()) && !v.is_null())
                .collect();
            ok(&echo)
        }
        ApiFormat::V8 => ok(&ConfigUpdateView {
            compatibility: merged.compatibility_level.map(|l| l.as_str()),
            normalize: merged.normalize,
            compatibility_policy: merged.compatibility_policy.map(|p| p.as_str()),
        }),
    })
}

#[utoipa::path(
    get,
    operation_id = "get_config",
    path = "/config",
    tag = "config",
    responses((status = 200, description = "The global config (the server default when none is stored)", body = ConfigView))
)]
pub async fn get_global(State(app): State<AppState>) -> Result<Response, ApiError> {
    Ok(ok(&ConfigView::from(app.registry.get_config(None, true)?)))
}

#[utoipa::path(
    put,
    operation_id = "put_config",
    path = "/config",
    tag = "config",
    request_body = ConfigUpdateView,
    responses((status = 200, description = "7.x: the request echoed; 8.x: the merged config", body = ConfigUpdateView), (status = 422, description = "42203: invalid level; 42205: read-only", body = ErrorBody<'_>))
)]
pub async fn put_global(
    State(app): State<AppState>,
    JsonBody(body): JsonBody<Map<String, Value>>,
) -> Result<Response, ApiError> {
    put(&app, None, body).await
}

#[utoipa::path(
    delete,
    operation_id = "delete_config",
    path = "/config",
    tag = "config",
    responses((status = 200, description = "The config that was stored", body = ConfigView), (status = 422, description = "42205: read-only", body = ErrorBody<'_>))
)]
pub async fn delete_global(State(app): State<AppState>) -> Result<Response, ApiError> {
    Ok(ok(&ConfigView::from(
        app.registry.delete_config(None).await?,
    )))
}

#[utoipa::path(
    get,
    operation_id = "get_subject_config",
    path = "/config/{subject}",
    tag = "config",
    params(SubjectPath, DefaultToGlobal),
    responses((status = 200, description = "The subject's config", body = ConfigView), (status = 404, description = "40408: no subject-level config", body = ErrorBody<'_>))
)]
pub async fn get_subject(
    State(app): State<AppState>,
    path: SubjectPath,
    params: Params,
) -> Result<Response, ApiError> {
    let config = app
        .registry
        .get_config(Some(&path.subject), params.flag("defaultToGlobal"))?;
    Ok(ok(&ConfigView::from(config)))
}

#[utoipa::path(
    put,
    operation_id = "put_subject_config",
    path = "/config/{subject}",
    tag = "config",
    params(SubjectPath),
    request_body = ConfigUpdateView,
    responses((status = 200, description = "7.x: the request echoed; 8.x: the merged config", body = ConfigUpdateView), (status = 422, description = "42203, 42205, 42208", body = ErrorBody<'_>))
)]
pub async fn put_subject(
    State(app): State<AppState>,
    path: SubjectPath,
    JsonBody(body): JsonBody<Map<String, Value>>,
) -> Result<Response, ApiError> {
    put(&app, Some(&path.subject), body).await
}

#[utoipa::path(
    delete,
    operation_id = "delete_subject_config",
    path = "/config/{subject}",
    tag = "config",
    params(SubjectPath),
    responses((status = 200, description = "The config that was stored", body = ConfigView), (status = 404, description = "40401: no subject-level config", body = ErrorBody<'_>), (status = 422, description = "42205: read-only", body = ErrorBody<'_>))
)]
pub async fn delete_subject(
    State(app): State<AppState>,
    path: SubjectPath,
) -> Result<Response, ApiError> {
    Ok(ok(&ConfigView::from(
        app.registry.delete_config(Some(&path.subject)).await?,
    )))
}
