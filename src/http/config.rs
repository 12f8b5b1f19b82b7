//! `/config` and `/mode`, global and per subject.

use axum::extract::State;
use axum::response::Response;
use serde::Serialize;
use serde_json::{Map, Value};

use super::extract::{JsonBody, Params, PathParams};
use super::{ok, AppState};
use crate::error::{ApiError, ErrorBody};
use crate::registry::{ApiFormat, ConfigUpdate, Mode, Patch};
use crate::storage::ConfigValue;

/// `Config` as GET and DELETE return it (`compatibilityLevel`).
#[derive(Serialize, utoipa::ToSchema)]
struct ConfigView {
    #[serde(rename = "compatibilityLevel", skip_serializing_if = "Option::is_none")]
    compatibility_level: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    normalize: Option<bool>,
    #[serde(
        rename = "compatibilityPolicy",
        skip_serializing_if = "Option::is_none"
    )]
    compatibility_policy: Option<String>,
}

impl From<ConfigValue> for ConfigView {
    fn from(c: ConfigValue) -> ConfigView {
        ConfigView {
            compatibility_level: c.compatibility_level,
            normalize: c.normalize,
            compatibility_policy: c.compatibility_policy,
        }
    }
}

/// 8.x's PUT response: the merged config, keyed `compatibility`.
#[derive(Serialize, utoipa::ToSchema)]
struct ConfigUpdateView {
    #[serde(skip_serializing_if = "Option::is_none")]
    compatibility: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    normalize: Option<bool>,
    #[serde(
        rename = "compatibilityPolicy",
        skip_serializing_if = "Option::is_none"
    )]
    compatibility_policy: Option<String>,
}

const CONFIG_FIELDS: [&str; 3] = ["compatibility", "normalize", "compatibilityPolicy"];

/// Reads a `ConfigUpdateRequest`: absent keeps a field, `null` clears it.
fn parse_update(body: &Map<String, Value>) -> Result<ConfigUpdate, ApiError> {
    let compatibility = match body.get("compatibility") {
        None => Patch::Keep,
        Some(Value::Null) => Patch::Clear,
        Some(Value::String(s)) => Patch::Set(
            s.trim()
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
        Some(Value::String(s))
            if ["STRICT", "LENIENT"]
                .iter()
                .any(|p| p.eq_ignore_ascii_case(s)) =>
        {
            Patch::Set(s.to_ascii_uppercase())
        }
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "compatibilityPolicy must be STRICT or LENIENT, got {other}"
            )))
        }
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
    Ok(match app.registry.settings().api {
        // 7.x echoes the request as sent.
        ApiFormat::V7 => {
            let echo: Map<String, Value> = body
                .into_iter()
                .filter(|(k, v)| CONFIG_FIELDS.contains(&k.as_str()) && !v.is_null())
                .collect();
            ok(&echo)
        }
        ApiFormat::V8 => ok(&ConfigUpdateView {
            compatibility: merged.compatibility_level,
            normalize: merged.normalize,
            compatibility_policy: merged.compatibility_policy,
        }),
    })
}

#[utoipa::path(
    get,
    path = "/config",
    tag = "config",
    responses((status = 200, description = "The global config (the server default when none is stored)", body = ConfigView))
)]
pub async fn get_global(State(app): State<AppState>) -> Result<Response, ApiError> {
    Ok(ok(&ConfigView::from(app.registry.get_config(None, true)?)))
}

#[utoipa::path(
    put,
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
    path = "/config",
    tag = "config",
    responses((status = 200, description = "The config that was stored", body = ConfigView))
)]
pub async fn delete_global(State(app): State<AppState>) -> Result<Response, ApiError> {
    Ok(ok(&ConfigView::from(
        app.registry.delete_config(None).await?,
    )))
}

#[utoipa::path(
    get,
    path = "/config/{subject}",
    tag = "config",
    params(("subject" = String, Path, description = "Subject name; percent-encode `/` as `%2F`"), ("defaultToGlobal" = Option<bool>, Query, description = "Return the effective config instead of 40408")),
    responses((status = 200, description = "The subject's config", body = ConfigView), (status = 404, description = "40408: no subject-level config", body = ErrorBody<'_>))
)]
pub async fn get_subject(
    State(app): State<AppState>,
    PathParams(p): PathParams,
    params: Params,
) -> Result<Response, ApiError> {
    let config = app
        .registry
        .get_config(Some(&p[0]), params.flag("defaultToGlobal"))?;
    Ok(ok(&ConfigView::from(config)))
}

#[utoipa::path(
    put,
    path = "/config/{subject}",
    tag = "config",
    params(("subject" = String, Path, description = "Subject name; percent-encode `/` as `%2F`")),
    request_body = ConfigUpdateView,
    responses((status = 200, description = "7.x: the request echoed; 8.x: the merged config", body = ConfigUpdateView), (status = 422, description = "42203, 42205, 42208", body = ErrorBody<'_>))
)]
pub async fn put_subject(
    State(app): State<AppState>,
    PathParams(p): PathParams,
    JsonBody(body): JsonBody<Map<String, Value>>,
) -> Result<Response, ApiError> {
    put(&app, Some(&p[0]), body).await
}

#[utoipa::path(
    delete,
    path = "/config/{subject}",
    tag = "config",
    params(("subject" = String, Path, description = "Subject name; percent-encode `/` as `%2F`")),
    responses((status = 200, description = "The config that was stored", body = ConfigView), (status = 404, description = "40401: no subject-level config", body = ErrorBody<'_>))
)]
pub async fn delete_subject(
    State(app): State<AppState>,
    PathParams(p): PathParams,
) -> Result<Response, ApiError> {
    Ok(ok(&ConfigView::from(
        app.registry.delete_config(Some(&p[0])).await?,
    )))
}

#[derive(Serialize, utoipa::ToSchema)]
struct ModeView {
    mode: &'static str,
}

/// Reads `{"mode": "..."}` (case-insensitive); PUT answers with the body as sent.
fn parse_mode(body: &Map<String, Value>) -> Result<Mode, ApiError> {
    body.get("mode")
        .and_then(Value::as_str)
        .ok_or(ApiError::InvalidMode)?
        .trim()
        .parse()
}

async fn put_mode(
    app: &AppState,
    subject: Option<&str>,
    params: &Params,
    body: Map<String, Value>,
) -> Result<Response, ApiError> {
    let mode = parse_mode(&body)?;
    if mode == Mode::ReadOnlyOverride && subject.is_some() {
        return Err(ApiError::InvalidMode);
    }
    app.registry
        .set_mode(subject, mode, params.flag("force"))
        .await?;
    let echo: Map<String, Value> = body.into_iter().filter(|(k, _)| k == "mode").collect();
    Ok(ok(&echo))
}

#[utoipa::path(
    get,
    path = "/mode",
    tag = "mode",
    responses((status = 200, description = "The global mode", body = ModeView))
)]
pub async fn get_global_mode(State(app): State<AppState>) -> Result<Response, ApiError> {
    Ok(ok(&ModeView {
        mode: app.registry.get_mode(None, true)?.as_str(),
    }))
}

#[utoipa::path(
    put,
    path = "/mode",
    tag = "mode",
    params(("force" = Option<bool>, Query, description = "Enter IMPORT even with live versions")),
    request_body = ModeView,
    responses((status = 200, description = "The request echoed", body = ModeView), (status = 422, description = "42204: invalid mode; 42205: cannot import with live subjects", body = ErrorBody<'_>))
)]
pub async fn put_global_mode(
    State(app): State<AppState>,
    params: Params,
    JsonBody(body): JsonBody<Map<String, Value>>,
) -> Result<Response, ApiError> {
    put_mode(&app, None, &params, body).await
}

#[utoipa::path(
    delete,
    path = "/mode",
    tag = "mode",
    responses((status = 200, description = "The mode that was stored", body = ModeView))
)]
pub async fn delete_global_mode(State(app): State<AppState>) -> Result<Response, ApiError> {
    Ok(ok(&ModeView {
        mode: app.registry.delete_mode(None).await?.as_str(),
    }))
}

#[utoipa::path(
    get,
    path = "/mode/{subject}",
    tag = "mode",
    params(("subject" = String, Path, description = "Subject name; percent-encode `/` as `%2F`"), ("defaultToGlobal" = Option<bool>, Query, description = "Return the effective mode instead of 40409")),
    responses((status = 200, description = "The subject's mode", body = ModeView), (status = 404, description = "40409: no subject-level mode", body = ErrorBody<'_>))
)]
pub async fn get_subject_mode(
    State(app): State<AppState>,
    PathParams(p): PathParams,
    params: Params,
) -> Result<Response, ApiError> {
    Ok(ok(&ModeView {
        mode: app
            .registry
            .get_mode(Some(&p[0]), params.flag("defaultToGlobal"))?
            .as_str(),
    }))
}

#[utoipa::path(
    put,
    path = "/mode/{subject}",
    tag = "mode",
    params(("subject" = String, Path, description = "Subject name; percent-encode `/` as `%2F`"), ("force" = Option<bool>, Query, description = "Enter IMPORT even with live versions")),
    request_body = ModeView,
    responses((status = 200, description = "The request echoed", body = ModeView), (status = 422, description = "42204, 42205, 42208", body = ErrorBody<'_>))
)]
pub async fn put_subject_mode(
    State(app): State<AppState>,
    PathParams(p): PathParams,
    params: Params,
    JsonBody(body): JsonBody<Map<String, Value>>,
) -> Result<Response, ApiError> {
    put_mode(&app, Some(&p[0]), &params, body).await
}

#[utoipa::path(
    delete,
    path = "/mode/{subject}",
    tag = "mode",
    params(("subject" = String, Path, description = "Subject name; percent-encode `/` as `%2F`")),
    responses((status = 200, description = "The mode that was stored", body = ModeView), (status = 404, description = "40401: no subject-level mode", body = ErrorBody<'_>))
)]
pub async fn delete_subject_mode(
    State(app): State<AppState>,
    PathParams(p): PathParams,
) -> Result<Response, ApiError> {
    Ok(ok(&ModeView {
        mode: app.registry.delete_mode(Some(&p[0])).await?.as_str(),
    }))
}
