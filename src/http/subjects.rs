//! `/subjects`: registering, looking up, listing and deleting subject versions.

use std::borrow::Cow;

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;
use compat::{Metadata, Reference, RuleSet};
use serde::Serialize;

use super::bodies::RequestBody;
use super::dto::{schema_type_field, SchemaBody, SchemaView};
use super::error::error_response;
use super::extract::{version, Params, SubjectPath, SubjectVersionPath};
use super::guard::{Caller, Unchanged};
use super::params::{Deleted, Format, Normalize, Page};
use super::{json_response, ok, stream, ApiFormat, AppState, ErrorBody};
use crate::error::ApiError;
use crate::registry::{context, DeletedFilter, Registered};

/// Default and largest page of `referencedby`.
const REFERRER_PAGE: usize = 1000;

fn deleted_filter(params: &Params) -> DeletedFilter {
    DeletedFilter {
        deleted: params.flag("deleted"),
        deleted_only: params.flag("deletedOnly"),
    }
}

/// `GET /subjects`.
#[utoipa::path(
    get,
    operation_id = "list_subjects",
    path = "/subjects",
    tag = "subjects",
    params(("subjectPrefix" = Option<String>, Query, description = "Only subjects starting with this, in the default context; `:.ctx:` for a context's; `:*:` (the default), then a prefix, for every context's"), Deleted, ("deletedOnly" = Option<bool>, Query, description = "Only subjects whose versions are all soft-deleted"), Page),
    responses((status = 200, description = "Subject names, sorted", body = Vec<String>))
)]
pub async fn list(
    State(app): State<AppState>,
    caller: Option<Extension<Caller>>,
    params: Params,
) -> Result<Response, ApiError> {
    // `:*:` (every context) is the 7.2+ default.
    let prefix = params.get("subjectPrefix").unwrap_or(context::WILDCARD);
    let (offset, limit) = params.page_bounds(None)?;
    let subjects = app.registry.list_subjects(prefix, deleted_filter(&params));
    let caller = caller.map(|Extension(c)| c);
    let readable = subjects.filter(move |s| caller.as_ref().is_none_or(|c| c.may_read(s)));
    Ok(stream::json_array(readable.skip(offset).take(limit)))
}

/// `POST /subjects/{subject}`: is this schema registered under the subject?
#[utoipa::path(
    post,
    path = "/subjects/{subject}",
    tag = "subjects",
    params(SubjectPath, Normalize, ("deleted" = Option<bool>, Query, description = "Also match soft-deleted versions"), Format),
    request_body = SchemaBody,
    responses((status = 200, description = "The version holding this schema", body = SchemaView<'_>), (status = 404, description = "40401: the subject has no versions; 40403: the schema is not registered under it", body = ErrorBody<'_>), (status = 422, description = "42201: invalid schema", body = ErrorBody<'_>))
)]
pub async fn lookup(
    State(app): State<AppState>,
    path: SubjectPath,
    params: Params,
    body: RequestBody,
) -> Result<Response, ApiError> {
    let found = app.registry.lookup(
        &path.subject,
        &body.request,
        params.flag("normalize"),
        params.flag("deleted"),
    )?;
    app.bodies.keep(body);
    let text = app
        .registry
        .formatted(&path.subject, &found.schema, params.get("format"))?;
    Ok(ok(
        &SchemaView::new(&found, app.api).with_text(text.as_deref())
    ))
}

/// `GET /subjects/{subject}/metadata`: what serializers with `use.latest.with.metadata` call.
#[utoipa::path(
    get,
    path = "/subjects/{subject}/metadata",
    tag = "subjects",
    params(SubjectPath, ("key" = Option<Vec<String>>, Query, description = "A metadata property name (repeatable, paired with `value` by position)"), ("value" = Option<Vec<String>>, Query, description = "The property's value"), ("deleted" = Option<bool>, Query, description = "Also match soft-deleted versions"), Format),
    responses((status = 200, description = "The newest version whose metadata properties hold every pair", body = SchemaView<'_>), (status = 404, description = "40401: the subject has no versions; 40403: none carries these properties", body = ErrorBody<'_>))
)]
pub async fn latest_with_metadata(
    State(app): State<AppState>,
    path: SubjectPath,
    params: Params,
) -> Result<Response, ApiError> {
    // Pairs by position, the extra keys or values ignored; a repeated key's last value wins.
    let properties: BTreeMap<String, String> = params
        .all("key")
        .zip(params.all("value"))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let found =
        app.registry
            .latest_with_metadata(&path.subject, &properties, params.flag("deleted"))?;
    let text = app
        .registry
        .formatted(&found.subject, &found.schema, params.get("format"))?;
    Ok(ok(
        &SchemaView::new(&found, app.api).with_text(text.as_deref())
    ))
}

/// `DELETE /subjects/{subject}`.
#[utoipa::path(
    delete,
    path = "/subjects/{subject}",
    tag = "subjects",
    params(SubjectPath, ("permanent" = Option<bool>, Query, description = "Hard delete (after a soft delete)")),
    responses((status = 200, description = "The versions deleted", body = Vec<i32>), (status = 404, description = "40401, 40404 (already soft-deleted), 40405 (not soft-deleted first)", body = ErrorBody<'_>), (status = 422, description = "42205: read-only; 42206: a version is referenced", body = ErrorBody<'_>))
)]
pub async fn delete(
    State(app): State<AppState>,
    path: SubjectPath,
    params: Params,
) -> Result<Response, ApiError> {
    let versions = app
        .registry
        .delete_subject(&path.subject, params.flag("permanent"))
        .await?;
    Ok(ok(&versions))
}

/// `GET /subjects/{subject}/versions`.
#[utoipa::path(
    get,
    path = "/subjects/{subject}/versions",
    tag = "subjects",
    params(SubjectPath, Deleted, ("deletedOnly" = Option<bool>, Query, description = "Only soft-deleted versions"), ("deletedAsNegative" = Option<bool>, Query, description = "Soft-deleted versions as negative numbers"), Page),
    responses((status = 200, description = "Version numbers, ascending", body = Vec<i32>), (status = 404, description = "40401: no such subject", body = ErrorBody<'_>))
)]
pub async fn list_versions(
    State(app): State<AppState>,
    path: SubjectPath,
    params: Params,
) -> Result<Response, ApiError> {
    let versions = app.registry.list_versions(
        &path.subject,
        deleted_filter(&params),
        params.flag("deletedAsNegative"),
    )?;
    Ok(ok(&params.page(versions, None)?))
}

/// The 8.x register response.
#[derive(Serialize, utoipa::ToSchema)]
struct RegisteredView<'a> {
    id: u32,
    version: i32,
    guid: String,
    #[serde(rename = "schemaType")]
    schema_type: &'static str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    references: &'a [Reference],
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<&'a Metadata>,
    #[serde(rename = "ruleSet", skip_serializing_if = "Option::is_none")]
    rule_set: Option<&'a RuleSet>,
    schema: Cow<'a, str>,
    ts: i64,
    deleted: bool,
}

#[derive(Serialize)]
struct IdView {
    id: u32,
}

/// The 7.x register response when the registry changed what was sent (Confluent 7.4.1+).
#[derive(Serialize)]
struct ModifiedView<'a> {
    id: u32,
    version: i32,
    #[serde(rename = "schemaType", skip_serializing_if = "Option::is_none")]
    schema_type: Option<&'static str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    references: &'a [Reference],
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<&'a Metadata>,
    #[serde(rename = "ruleSet", skip_serializing_if = "Option::is_none")]
    rule_set: Option<&'a RuleSet>,
    schema: Cow<'a, str>,
}

/// `POST /subjects/{subject}/versions`: register (idempotent for a known schema).
#[utoipa::path(
    post,
    path = "/subjects/{subject}/versions",
    tag = "subjects",
    params(SubjectPath, Normalize),
    request_body = SchemaBody,
    responses((status = 200, description = "The id (7.x: `{\"id\": N}`; 8.x: the full object below). Registering a known schema again returns it unchanged", body = RegisteredView<'_>), (status = 409, description = "409 (7.x) or 40901 (8.x): incompatible, with every incompatible change listed", body = ErrorBody<'_>), (status = 422, description = "42201 invalid schema, 42205 mode forbids it, 42208 invalid subject", body = ErrorBody<'_>), (status = 500, description = "50001: storage failed", body = ErrorBody<'_>))
)]
pub async fn register(
    State(app): State<AppState>,
    path: SubjectPath,
    params: Params,
    body: RequestBody,
) -> Result<Response, ApiError> {
    let registered = app
        .registry
        .register(&path.subject, &body.request, params.flag("normalize"))
        .await;
    // The one error whose code differs between generations (409 or 40901).
    let Registered {
        version,
        ts,
        schema,
        created,
        modified,
    } = match registered {
        Ok(r) => r,
        Err(e) => return Ok(error_response(&e, app.api)),
    };
    let mut response = match app.api {
        ApiFormat::V7 if !modified => ok(&IdView { id: schema.id }),
        ApiFormat::V7 => ok(&ModifiedView {
            id: schema.id,
            version,
            schema_type: schema_type_field(&schema, app.api),
            references: schema.references(),
            metadata: schema.metadata(),
            rule_set: schema.rule_set(),
            schema: schema.text.as_str(),
        }),
        ApiFormat::V8 => ok(&RegisteredView {
            id: schema.id,
            version,
            guid: compat::guid(&schema.identity),
            schema_type: schema.schema_type.as_str(),
            references: schema.references(),
            metadata: schema.metadata(),
            rule_set: schema.rule_set(),
            schema: schema.text.as_str(),
            ts,
            deleted: false,
        }),
    };
    if !created {
        app.bodies.keep(body);
        // A producer re-registering what is there changes nothing: no audit line (one per
        // request would cost the hot path more than the rest of it).
        if app.auth.is_some() {
            response.extensions_mut().insert(Unchanged);
        }
    }
    Ok(response)
}

/// `GET /subjects/{subject}/versions/{version}`.
#[utoipa::path(
    get,
    path = "/subjects/{subject}/versions/{version}",
    tag = "subjects",
    params(SubjectVersionPath, ("deleted" = Option<bool>, Query, description = "Allow a soft-deleted version (ignored for `latest`)"), Format),
    responses((status = 200, description = "The version", body = SchemaView<'_>), (status = 404, description = "40401 no such subject, 40402 no such version", body = ErrorBody<'_>), (status = 422, description = "42202: invalid version", body = ErrorBody<'_>))
)]
pub async fn get_version(
    State(app): State<AppState>,
    path: SubjectVersionPath,
    params: Params,
) -> Result<Response, ApiError> {
    let found = app
        .registry
        .get_version(&path.subject, path.version()?, params.flag("deleted"))?;
    let text = app
        .registry
        .formatted(&found.subject, &found.schema, params.get("format"))?;
    Ok(ok(
        &SchemaView::new(&found, app.api).with_text(text.as_deref())
    ))
}

/// `GET /subjects/{subject}/versions/{version}/schema`: the schema text itself.
#[utoipa::path(
    get,
    path = "/subjects/{subject}/versions/{version}/schema",
    tag = "subjects",
    params(SubjectVersionPath, Deleted, Format),
    responses((status = 200, description = "The schema text itself (JSON content type)", body = String), (status = 404, description = "40401, 40402", body = ErrorBody<'_>), (status = 422, description = "42202: invalid version", body = ErrorBody<'_>))
)]
pub async fn raw_version(
    State(app): State<AppState>,
    path: SubjectVersionPath,
    params: Params,
) -> Result<Response, ApiError> {
    let found = app
        .registry
        .get_version(&path.subject, path.version()?, params.flag("deleted"))?;
    let text = app
        .registry
        .formatted(&found.subject, &found.schema, params.get("format"))?;
    Ok(json_response(
        StatusCode::OK,
        text.unwrap_or_else(|| found.schema.text.as_str().into_owned()),
    ))
}

/// `DELETE /subjects/{subject}/versions/{version}`.
#[utoipa::path(
    delete,
    path = "/subjects/{subject}/versions/{version}",
    tag = "subjects",
    params(SubjectVersionPath, ("permanent" = Option<bool>, Query, description = "Hard delete (after a soft delete)")),
    responses((status = 200, description = "The version deleted", body = i32), (status = 404, description = "40401, 40402, 40406 (already soft-deleted), 40407 (not soft-deleted first)", body = ErrorBody<'_>), (status = 422, description = "42202, 42205, 42206 (referenced)", body = ErrorBody<'_>))
)]
pub async fn delete_version(
    State(app): State<AppState>,
    path: SubjectVersionPath,
    params: Params,
) -> Result<Response, ApiError> {
    let deleted = app
        .registry
        .delete_version(&path.subject, path.version()?, params.flag("permanent"))
        .await?;
    Ok(ok(&deleted))
}

/// `GET /subjects/{subject}/versions/{version}/referencedby`.
#[utoipa::path(
    get,
    path = "/subjects/{subject}/versions/{version}/referencedby",
    tag = "subjects",
    params(SubjectVersionPath, ("offset" = Option<i64>, Query, description = "Items to skip"), ("limit" = Option<i64>, Query, description = "Page size, default and most 1000")),
    responses((status = 200, description = "Ids of the schemas referencing this version", body = Vec<u32>), (status = 404, description = "40401, 40402", body = ErrorBody<'_>))
)]
pub async fn referenced_by(
    State(app): State<AppState>,
    path: SubjectVersionPath,
    params: Params,
) -> Result<Response, ApiError> {
    let ids = app.registry.referenced_by(&path.subject, path.version()?)?;
    Ok(ok(&params.page(ids, Some(REFERRER_PAGE))?))
}

#[derive(Serialize, utoipa::ToSchema)]
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
#[utoipa::path(
    get,
    path = "/subjects/{subject}/diff",
    tag = "subjects",
    params(SubjectPath, ("from" = Option<String>, Query, description = "Old version (default: the live version before `to`)"), ("to" = Option<String>, Query, description = "New version (default: latest)")),
    responses((status = 200, description = "Every change between the two versions, each classified", body = DiffView<'_>), (status = 404, description = "40401, 40402", body = ErrorBody<'_>), (status = 422, description = "42202: invalid version", body = ErrorBody<'_>))
)]
pub async fn diff(
    State(app): State<AppState>,
    path: SubjectPath,
    params: Params,
) -> Result<Response, ApiError> {
    let from = params.get("from").map(version).transpose()?;
    let to = params.get("to").map(version).transpose()?;
    let d = app.registry.diff(&path.subject, from, to)?;
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
