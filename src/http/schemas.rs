//! `/schemas`: schemas by global id (what every deserializer calls), listings and types.

use std::borrow::Cow;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;
use compat::{Metadata, Reference, RuleSet};
use serde::Serialize;

use super::dto::{schema_type_field, SchemaView};
use super::extract::{GuidPath, IdPath, Params};
use super::guard::Caller;
use super::params::{Deleted, Format, Page, Subject};
use super::{json_response, ok, ApiFormat, AppState, ErrorBody};
use crate::error::ApiError;
use crate::registry::{context, SchemaFilter, StoredSchema, SubjectVersion};

/// Default and largest page of `GET /schemas`.
const SCHEMA_PAGE: usize = 1000;

/// `SchemaString`, the body of `GET /schemas/ids/{id}`.
#[derive(Serialize, utoipa::ToSchema)]
struct SchemaString<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    subject: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    guid: Option<String>,
    #[serde(rename = "schemaType", skip_serializing_if = "Option::is_none")]
    schema_type: Option<&'static str>,
    schema: Cow<'a, str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    references: &'a [Reference],
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<&'a Metadata>,
    #[serde(rename = "ruleSet", skip_serializing_if = "Option::is_none")]
    rule_set: Option<&'a RuleSet>,
    #[serde(rename = "maxId", skip_serializing_if = "Option::is_none")]
    max_id: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ts: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deleted: Option<bool>,
}

fn schema_string<'a>(
    schema: &'a StoredSchema,
    api: ApiFormat,
    at: Option<&'a SubjectVersion>,
    max_id: Option<u32>,
) -> SchemaString<'a> {
    SchemaString {
        subject: at.map(|sv| sv.subject.as_str()),
        version: at.map(|sv| sv.version),
        guid: (api == ApiFormat::V8).then(|| compat::guid(&schema.identity)),
        schema_type: schema_type_field(schema, api),
        schema: schema.text.as_str(),
        references: schema.references(),
        metadata: schema.metadata(),
        rule_set: schema.rule_set(),
        max_id,
        ts: at.map(|sv| sv.info.ts),
        deleted: at.map(|sv| sv.info.deleted),
    }
}

/// `GET /schemas/ids/{id}`. The common 7.x request is answered with bytes built once per id.
/// Ids are per context: `subject` (or the `/contexts/{context}` prefix) picks the context, with
/// Confluent's fallback to the other contexts and then the default one.
#[utoipa::path(
    get,
    path = "/schemas/ids/{id}",
    tag = "schemas",
    params(IdPath, ("subject" = Option<String>, Query, description = "The subject (`:.ctx:name`) or context (`:.ctx:`) the id is read in; 8.x responses name its version"), ("fetchMaxId" = Option<bool>, Query, description = "Add `maxId`, the highest id of the context"), ("format" = Option<String>, Query, description = "`serialized`: a Protobuf schema as a base64 `FileDescriptorProto`; other formats are ignored")),
    responses((status = 200, description = "The schema; soft-deleted schemas stay resolvable", body = SchemaString<'_>), (status = 404, description = "40403: no such id; 404: the id is not an integer", body = ErrorBody<'_>))
)]
pub async fn by_id(
    State(app): State<AppState>,
    IdPath { id }: IdPath,
    params: Params,
) -> Result<Response, ApiError> {
    let api = app.api;
    let fetch_max_id = params.flag("fetchMaxId");
    let format = params.get("format");
    // The subject hint goes through its alias, as Confluent's AliasFilter rewrites it.
    let hint = params.get("subject").map(|s| {
        let s = context::normalize(s);
        app.registry.alias_of(&s).unwrap_or_else(|| s.into_owned())
    });
    if api == ApiFormat::V7 && !fetch_max_id && format.is_none() {
        let body = app
            .registry
            .schema_body_by_id(id, hint.as_deref(), |schema| {
                Bytes::from(
                    serde_json::to_vec(&schema_string(schema, api, None, None))
                        .expect("serializes"),
                )
            })?;
        return Ok(json_response(StatusCode::OK, body));
    }
    let found = app.registry.schema_by_id(id, hint.as_deref())?;
    let ctx = context::context_of(&found.subject);
    let at = (api == ApiFormat::V8).then_some(&found);
    let max_id = fetch_max_id.then(|| app.registry.max_id(ctx));
    let text = app
        .registry
        .formatted(&found.subject, &found.schema, format)?;
    let mut body = schema_string(&found.schema, api, at, max_id);
    if let Some(t) = text {
        body.schema = Cow::Owned(t);
    }
    Ok(ok(&body))
}

/// `GET /schemas/guids/{guid}`: the schema whose identity is this guid (in the default
/// context, else the first other one holding it).
#[utoipa::path(
    get,
    path = "/schemas/guids/{guid}",
    tag = "schemas",
    params(GuidPath),
    responses((status = 200, description = "The schema", body = SchemaString<'_>), (status = 404, description = "40403: no such guid", body = ErrorBody<'_>))
)]
pub async fn by_guid(State(app): State<AppState>, path: GuidPath) -> Result<Response, ApiError> {
    let (_, schema) = app.registry.schema_by_guid(&path.guid)?;
    let api = app.api;
    Ok(ok(&schema_string(&schema, api, None, None)))
}

#[derive(Serialize, utoipa::ToSchema)]
struct ContextId {
    context: String,
    id: u32,
}

/// `GET /schemas/guids/{guid}/ids`: the id the guid has in each context holding it.
#[utoipa::path(
    get,
    path = "/schemas/guids/{guid}/ids",
    tag = "schemas",
    params(GuidPath),
    responses((status = 200, description = "The id in each context", body = Vec<ContextId>), (status = 404, description = "40403: no such guid", body = ErrorBody<'_>))
)]
pub async fn ids_of_guid(
    State(app): State<AppState>,
    path: GuidPath,
) -> Result<Response, ApiError> {
    let ids: Vec<ContextId> = app
        .registry
        .ids_of_guid(&path.guid)?
        .into_iter()
        .map(|(context, schema)| ContextId {
            context,
            id: schema.id,
        })
        .collect();
    Ok(ok(&ids))
}

/// `GET /schemas/ids/{id}/schema`: the schema text itself.
#[utoipa::path(
    get,
    path = "/schemas/ids/{id}/schema",
    tag = "schemas",
    params(IdPath, Subject, Format),
    responses((status = 200, description = "The schema text itself (JSON content type)", body = String), (status = 404, description = "40403: no such id", body = ErrorBody<'_>))
)]
pub async fn raw_by_id(
    State(app): State<AppState>,
    IdPath { id }: IdPath,
    params: Params,
) -> Result<Response, ApiError> {
    let found = app.registry.schema_by_id(id, hint(&params).as_deref())?;
    let text = app
        .registry
        .formatted(&found.subject, &found.schema, params.get("format"))?;
    Ok(json_response(
        StatusCode::OK,
        text.unwrap_or_else(|| found.schema.text.as_str().into_owned()),
    ))
}

/// The `subject` parameter of the by-id reads, as the registry names subjects.
fn hint(params: &Params) -> Option<String> {
    params
        .get("subject")
        .map(|s| context::normalize(s).into_owned())
}

/// `GET /schemas/ids/{id}/subjects`.
#[utoipa::path(
    get,
    path = "/schemas/ids/{id}/subjects",
    tag = "schemas",
    params(IdPath, Subject, Deleted, Page),
    responses((status = 200, description = "Subjects using the id", body = Vec<String>), (status = 404, description = "40403: no such id", body = ErrorBody<'_>))
)]
pub async fn subjects_of_id(
    State(app): State<AppState>,
    caller: Option<Extension<Caller>>,
    IdPath { id }: IdPath,
    params: Params,
) -> Result<Response, ApiError> {
    let mut subjects =
        app.registry
            .subjects_of_id(id, hint(&params).as_deref(), params.flag("deleted"))?;
    if let Some(Extension(caller)) = caller {
        subjects.retain(|s| caller.may_read(s));
    }
    Ok(ok(&params.page(subjects, None)?))
}

#[derive(Serialize, utoipa::ToSchema)]
struct SubjectVersionView {
    subject: String,
    version: i32,
}

/// `GET /schemas/ids/{id}/versions`.
#[utoipa::path(
    get,
    path = "/schemas/ids/{id}/versions",
    tag = "schemas",
    params(IdPath, Subject, Deleted, Page),
    responses((status = 200, description = "Subject versions using the id", body = Vec<SubjectVersionView>), (status = 404, description = "40403: no such id", body = ErrorBody<'_>))
)]
pub async fn versions_of_id(
    State(app): State<AppState>,
    caller: Option<Extension<Caller>>,
    IdPath { id }: IdPath,
    params: Params,
) -> Result<Response, ApiError> {
    let versions: Vec<SubjectVersionView> = app
        .registry
        .versions_of_id(id, hint(&params).as_deref(), params.flag("deleted"))?
        .into_iter()
        .filter(|(s, _)| caller.as_ref().is_none_or(|c| c.may_read(s)))
        .map(|(subject, version)| SubjectVersionView { subject, version })
        .collect();
    Ok(ok(&params.page(versions, None)?))
}

/// `GET /schemas`.
#[utoipa::path(
    get,
    operation_id = "list_schemas",
    path = "/schemas",
    tag = "schemas",
    params(("subjectPrefix" = Option<String>, Query, description = "Only subjects starting with this, in the default context; `:.ctx:` for a context's, `:*:` (then a prefix) for every context's"), Deleted, ("latestOnly" = Option<bool>, Query, description = "Only the latest version of each subject"), ("ruleType" = Option<String>, Query, description = "Only schemas whose rule set has a rule of this type (e.g. CEL)"), ("offset" = Option<i64>, Query, description = "Items to skip"), ("limit" = Option<i64>, Query, description = "Page size, default and most 1000")),
    responses((status = 200, description = "Schemas by subject and version", body = Vec<SchemaView<'_>>))
)]
pub async fn list(
    State(app): State<AppState>,
    caller: Option<Extension<Caller>>,
    params: Params,
) -> Result<Response, ApiError> {
    let filter = SchemaFilter {
        subject_prefix: params.get("subjectPrefix").unwrap_or("").to_string(),
        deleted: params.flag("deleted"),
        latest_only: params.flag("latestOnly"),
        rule_type: params
            .get("ruleType")
            .filter(|t| !t.is_empty())
            .map(str::to_string),
    };
    let mut found = app.registry.list_schemas(&filter);
    if let Some(Extension(caller)) = caller {
        found.retain(|sv| caller.may_read(&sv.subject));
    }
    let found = params.page(found, Some(SCHEMA_PAGE))?;
    let api = app.api;
    let views: Vec<SchemaView<'_>> = found.iter().map(|sv| SchemaView::new(sv, api)).collect();
    Ok(ok(&views))
}

/// `GET /schemas/types`.
#[utoipa::path(
    get,
    path = "/schemas/types",
    tag = "schemas",
    responses((status = 200, description = "Schema types this build supports", body = Vec<String>))
)]
pub async fn types(State(app): State<AppState>) -> Response {
    ok(&app.registry.schema_types())
}
