//! `/config`: compatibility configs, global and per subject.

use axum::extract::State;
use axum::response::Response;
use compat::{Metadata, Policy, RuleSet};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

use super::dto::{read_metadata, read_rule_set};
use super::extract::{java_trim, JsonBody, Params, SubjectPath};
use super::params::DefaultToGlobal;
use super::{ok, ApiFormat, AppState, ErrorBody};
use crate::error::ApiError;
use crate::registry::{ConfigUpdate, ConfigValue, Patch};

/// The data-contract and validation fields every config view shares.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct ContractFields {
    /// Strict validation of new schemas and the reserved fields of `confluent:reserved`
    #[serde(skip_serializing_if = "Option::is_none")]
    validate_fields: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    validate_rules: Option<bool>,
    /// The metadata property whose value splits the history for compatibility checks
    #[serde(skip_serializing_if = "Option::is_none")]
    compatibility_group: Option<String>,
    /// Metadata a registration gets where it has none of its own
    #[serde(skip_serializing_if = "Option::is_none")]
    default_metadata: Option<Metadata>,
    /// Metadata that wins over a registration's own
    #[serde(skip_serializing_if = "Option::is_none")]
    override_metadata: Option<Metadata>,
    /// Rules a registration gets where it has none of its own (merged by rule name)
    #[serde(skip_serializing_if = "Option::is_none")]
    default_rule_set: Option<RuleSet>,
    /// Rules that win over a registration's own (merged by rule name)
    #[serde(skip_serializing_if = "Option::is_none")]
    override_rule_set: Option<RuleSet>,
}

impl ContractFields {
    fn of(c: &mut ConfigValue) -> ContractFields {
        ContractFields {
            validate_fields: c.validate_fields,
            validate_rules: c.validate_rules,
            compatibility_group: c.compatibility_group.take(),
            default_metadata: c.default_metadata.take(),
            override_metadata: c.override_metadata.take(),
            default_rule_set: c.default_rule_set.take(),
            override_rule_set: c.override_rule_set.take(),
        }
    }
}

/// `Config` as GET and DELETE return it (`compatibilityLevel`).
#[derive(Serialize, utoipa::ToSchema)]
struct ConfigView {
    /// The subject whose schemas and config `/subjects/{this}/...` reads and writes
    #[serde(skip_serializing_if = "Option::is_none")]
    alias: Option<String>,
    #[serde(rename = "compatibilityLevel", skip_serializing_if = "Option::is_none")]
    compatibility_level: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    normalize: Option<bool>,
    #[serde(
        rename = "compatibilityPolicy",
        skip_serializing_if = "Option::is_none"
    )]
    compatibility_policy: Option<&'static str>,
    #[serde(flatten)]
    contract: ContractFields,
}

impl From<ConfigValue> for ConfigView {
    fn from(mut c: ConfigValue) -> ConfigView {
        ConfigView {
            alias: c.alias.take().filter(|a| !a.is_empty()),
            compatibility_level: c.compatibility_level.map(|l| l.as_str()),
            normalize: c.normalize,
            compatibility_policy: c.compatibility_policy.map(|p| p.as_str()),
            contract: ContractFields::of(&mut c),
        }
    }
}

/// 8.x's PUT response: the merged config, keyed `compatibility`.
#[derive(Serialize, utoipa::ToSchema)]
struct ConfigUpdateView {
    /// The subject whose schemas and config `/subjects/{this}/...` reads and writes; `""` or
    /// null removes it
    #[serde(skip_serializing_if = "Option::is_none")]
    alias: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    compatibility: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    normalize: Option<bool>,
    #[serde(
        rename = "compatibilityPolicy",
        skip_serializing_if = "Option::is_none"
    )]
    compatibility_policy: Option<&'static str>,
    #[serde(flatten)]
    contract: ContractFields,
}

/// The fields 7.x echoes as they were sent; the data-contract ones are echoed as read.
const CONFIG_FIELDS: [&str; 4] = ["alias", "compatibility", "normalize", "compatibilityPolicy"];

/// A nullable field of a config update: absent keeps it, `null` clears it.
fn patch<T>(
    body: &Map<String, Value>,
    key: &str,
    read: impl FnOnce(&Value) -> Result<T, ApiError>,
) -> Result<Patch<T>, ApiError> {
    match body.get(key) {
        None => Ok(Patch::Keep),
        Some(Value::Null) => Ok(Patch::Clear),
        Some(value) => read(value).map(Patch::Set),
    }
}

fn boolean(key: &'static str) -> impl Fn(&Value) -> Result<bool, ApiError> {
    move |value| {
        value
            .as_bool()
            .ok_or_else(|| ApiError::BadRequest(format!("{key} must be a boolean, got {value}")))
    }
}

fn shaped<T: DeserializeOwned>(key: &'static str) -> impl Fn(&Value) -> Result<T, ApiError> {
    move |value| {
        T::deserialize(value)
            .map_err(|e| ApiError::BadRequest(format!("Invalid JSON body: {key}: {e}")))
    }
}

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
    let validate_fields = patch(body, "validateFields", boolean("validateFields"))?;
    let alias = patch(body, "alias", shaped::<String>("alias"))?;
    let rules = |key: &'static str| patch(body, key, |v| read_rule_set(key, v));
    let metadata = |key: &'static str| patch(body, key, |v| read_metadata(key, v));
    Ok(ConfigUpdate {
        alias,
        compatibility,
        normalize,
        compatibility_policy,
        validate_fields,
        validate_rules: patch(body, "validateRules", boolean("validateRules"))?,
        compatibility_group: patch(body, "compatibilityGroup", shaped("compatibilityGroup"))?,
        default_metadata: metadata("defaultMetadata")?,
        override_metadata: metadata("overrideMetadata")?,
        default_rule_set: rules("defaultRuleSet")?,
        override_rule_set: rules("overrideRuleSet")?,
    })
}

/// 7.x's echo of the data-contract fields of a request, as read (Confluent re-serialises the
/// request it parsed).
fn echo_contract(update: &ConfigUpdate) -> ContractFields {
    fn set<T: Clone>(p: &Patch<T>) -> Option<T> {
        match p {
            Patch::Set(v) => Some(v.clone()),
            _ => None,
        }
    }
    ContractFields {
        validate_fields: set(&update.validate_fields),
        validate_rules: set(&update.validate_rules),
        compatibility_group: set(&update.compatibility_group),
        default_metadata: set(&update.default_metadata),
        override_metadata: set(&update.override_metadata),
        default_rule_set: set(&update.default_rule_set),
        override_rule_set: set(&update.override_rule_set),
    }
}

async fn put(
    app: &AppState,
    subject: Option<&str>,
    body: Map<String, Value>,
) -> Result<Response, ApiError> {
    let update = parse_update(&body)?;
    let echoed = echo_contract(&update);
    let mut merged = app.registry.set_config(subject, update).await?;
    Ok(match app.api {
        // 7.x echoes the request as sent.
        ApiFormat::V7 => {
            let mut echo: Map<String, Value> = body
                .into_iter()
                .filter(|(k, v)| CONFIG_FIELDS.contains(&k.as_str()) && !v.is_null())
                .collect();
            if let Value::Object(contract) = serde_json::to_value(&echoed).expect("serializes") {
                echo.extend(contract);
            }
            ok(&echo)
        }
        ApiFormat::V8 => ok(&ConfigUpdateView {
            alias: merged.alias.take().filter(|a| !a.is_empty()),
            compatibility: merged.compatibility_level.map(|l| l.as_str()),
            normalize: merged.normalize,
            compatibility_policy: merged.compatibility_policy.map(|p| p.as_str()),
            contract: ContractFields::of(&mut merged),
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
