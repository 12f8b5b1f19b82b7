//! `/subjects`: registering, looking up, listing and deleting subject versions.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use compat::Reference;
use serde::Serialize;

use super::dto::{SchemaBody, SchemaView};
use super::extract::{version, JsonBody, Params, PathParams};
use super::{json_response, ok, AppState};
use crate::error::ApiError;
use crate::registry::{ApiFormat, DeletedFilter, Registered};

/// Default and largest page of `referencedby`.
const REFERRER_PAGE: usize = 1000;

fn deleted_filter(params: &Params) -> DeletedFilter {
    DeletedFilter {
        deleted: params.flag("deleted"),
        deleted_only: params.flag("deletedOnly"),
    }
}

/// `GET /subjects`.
pub async fn list(State(app): State<AppState>, params: Params) -> Result<Response, ApiError> {
    // `:*:` (all contexts) is the 7.2+ default; there is only the default context.
    let prefix = params
        .get("subjectPrefix")
        .filter(|p| *p != ":*:")
        .unwrap_or("");
    let subjects = app.registry.list_subjects(prefix, deleted_filter(&params));
    Ok(ok(&params.page(subjects, None)?))
}

/// `POST /subjects/{subject}`: is this schema registered under the subject?
pub async fn lookup(
    State(app): State<AppState>,
    PathParams(p): PathParams,
    params: Params,
    JsonBody(body): JsonBody<SchemaBody>,
) -> Result<Response, ApiError> {
    let found = app.registry.lookup(
        &p[0],
        body.into_request()?,
        params.flag("normalize"),
        params.flag("deleted"),
    )?;
    Ok(ok(&SchemaView::new(&found, app.registry.settings().api)))
}

/// `DELETE /subjects/{subject}`.
pub async fn delete(
    State(app): State<AppState>,
    PathParams(p): PathParams,
    params: Params,
) -> Result<Response, ApiError> {
    let versions = app
        .registry
        .delete_subject(&p[0], params.flag("permanent"))
        .await?;
    Ok(ok(&versions))
}

/// `GET /subjects/{subject}/versions`.
pub async fn list_versions(
    State(app): State<AppState>,
    PathParams(p): PathParams,
    params: Params,
) -> Result<Response, ApiError> {
    let versions = app.registry.list_versions(
        &p[0],
        deleted_filter(&params),
        params.flag("deletedAsNegative"),
    )?;
    Ok(ok(&params.page(versions, None)?))
}

/// The 8.x register response.
#[derive(Serialize)]
struct RegisteredView<'a> {
    id: u32,
    version: i32,
    guid: String,
    #[serde(rename = "schemaType")]
    schema_type: &'static str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    references: &'a [Reference],
    schema: &'a str,
    ts: i64,
    deleted: bool,
}

#[derive(Serialize)]
struct IdView {
    id: u32,
}

/// `POST /subjects/{subject}/versions`: register (idempotent for a known schema).
pub async fn register(
    State(app): State<AppState>,
    PathParams(p): PathParams,
    params: Params,
    JsonBody(body): JsonBody<SchemaBody>,
) -> Result<Response, ApiError> {
    let Registered {
        version,
        ts,
        schema,
    } = app
        .registry
        .register(&p[0], body.into_request()?, params.flag("normalize"))
        .await?;
    Ok(match app.registry.settings().api {
        ApiFormat::V7 => ok(&IdView { id: schema.id }),
        ApiFormat::V8 => ok(&RegisteredView {
            id: schema.id,
            version,
            guid: compat::guid(&schema.identity),
            schema_type: schema.schema_type.as_str(),
            references: &schema.references,
            schema: &schema.text,
            ts,
            deleted: false,
        }),
    })
}

/// `GET /subjects/{subject}/versions/{version}`.
pub async fn get_version(
    State(app): State<AppState>,
    PathParams(p): PathParams,
    params: Params,
) -> Result<Response, ApiError> {
    let found = app
        .registry
        .get_version(&p[0], version(&p[1])?, params.flag("deleted"))?;
    Ok(ok(&SchemaView::new(&found, app.registry.settings().api)))
}

/// `GET /subjects/{subject}/versions/{version}/schema`: the schema text itself.
pub async fn raw_version(
    State(app): State<AppState>,
    PathParams(p): PathParams,
    params: Params,
) -> Result<Response, ApiError> {
    let found = app
        .registry
        .get_version(&p[0], version(&p[1])?, params.flag("deleted"))?;
    Ok(json_response(StatusCode::OK, found.schema.text.clone()))
}

/// `DELETE /subjects/{subject}/versions/{version}`.
pub async fn delete_version(
    State(app): State<AppState>,
    PathParams(p): PathParams,
    params: Params,
) -> Result<Response, ApiError> {
    let deleted = app
        .registry
        .delete_version(&p[0], version(&p[1])?, params.flag("permanent"))
        .await?;
    Ok(ok(&deleted))
}

/// `GET /subjects/{subject}/versions/{version}/referencedby`.
pub async fn referenced_by(
    State(app): State<AppState>,
    PathParams(p): PathParams,
    params: Params,
) -> Result<Response, ApiError> {
    let ids = app.registry.referenced_by(&p[0], version(&p[1])?)?;
    Ok(ok(&params.page(ids, Some(REFERRER_PAGE))?))
}

#[derive(Serialize)]
struct DiffView<'a> {
    subject: &'a str,
    from: i32,
    to: i32,
    #[serde(rename = "schemaType")]
    schema_type: &'static str,
    backward_compatible: bool,
    forward_compatible: bool,
    changes: &'a [compat::Difference],
}

/// `GET /subjects/{subject}/diff?from=V1&to=V2`: every change between two versions.
pub async fn diff(
    State(app): State<AppState>,
    PathParams(p): PathParams,
    params: Params,
) -> Result<Response, ApiError> {
    let from = params.get("from").map(version).transpose()?;
    let to = params.get("to").map(version).transpose()?;
    let d = app.registry.diff(&p[0], from, to)?;
    Ok(ok(&DiffView {
        subject: &d.to.subject,
        from: d.from.version,
        to: d.to.version,
        schema_type: d.to.schema.schema_type.as_str(),
        backward_compatible: d.backward_compatible,
        forward_compatible: d.forward_compatible,
        changes: &d.changes,
    }))
}
