//! The OpenAPI description of the whole API, generated from the handlers' annotations as the
//! routes are declared (`mod.rs`) and served at `/openapi.json`. `openapi/openapi.json` is a
//! committed copy that a test keeps current.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};
use utoipa::OpenApi;

use super::extract::ACCEPTED_TYPES;
use super::CONTENT_TYPE;

/// The document's frame: its title and tags. The paths come from the routes.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Schemata",
        description = "A schema registry speaking the Confluent Schema Registry REST API, plus a structured diff of versions."
    ),
    tags(
        (name = "subjects", description = "Register, look up, list, diff and delete subject versions"),
        (name = "schemas", description = "Schemas by id (ids are per context)"),
        (name = "compatibility", description = "Would a schema be accepted?"),
        (name = "config", description = "Compatibility levels"),
        (name = "mode", description = "Registry modes"),
        (name = "contexts", description = "Contexts: `:.ctx:name` subjects with ids of their own; every path also works under `/contexts/{context}/`"),
        (name = "exporters", description = "Schema exporters: copy subjects to another registry and keep them in step"),
        (name = "metadata", description = "Server metadata (`GET /` is Confluent's liveness answer)"),
        (name = "operations", description = "Health probes and Prometheus metrics"),
    )
)]
pub struct ApiDoc;

/// The document, pretty-printed (what `openapi/openapi.json` holds).
pub fn document() -> String {
    let mut doc = serde_json::to_value(super::document()).expect("the document serializes");
    as_served(&mut doc);
    serde_json::to_string_pretty(&doc).expect("the document serializes")
}

/// What the shared extractors and responses do for every operation, said once here rather than
/// on each handler: responses are sent as [`CONTENT_TYPE`] (the annotations say JSON), and
/// bodies are read under any of Confluent's content types, with the errors reading one can
/// give.
fn as_served(doc: &mut Value) {
    security(doc);
    exact_bodies(doc);
    links(doc);
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for operation in paths
        .values_mut()
        .filter_map(Value::as_object_mut)
        .flat_map(|item| item.values_mut())
        .filter_map(Value::as_object_mut)
    {
        let operation_id = operation
            .get("operationId")
            .and_then(Value::as_str)
            .map(str::to_string);
        let checks_subject = operation_id
            .as_deref()
            .is_some_and(|id| NAMING_OPERATIONS.contains(&id));
        let mut integers = false;
        let mut versions = false;
        if let Some(parameters) = operation
            .get_mut("parameters")
            .and_then(Value::as_array_mut)
        {
            for parameter in parameters.iter_mut() {
                exact_parameter(parameter, checks_subject);
                integers |= parameter["schema"]["type"] == "integer";
                versions |=
                    parameter["schema"]["pattern"].is_string() && parameter["name"] != "subject";
            }
        }
        let has_body = operation.contains_key("requestBody");
        if let Some(body) = operation.get_mut("requestBody") {
            if let Some(schema) = body.pointer("/content/application~1json/schema").cloned() {
                let content: Map<String, Value> = ACCEPTED_TYPES
                    .iter()
                    .map(|t| (t.to_string(), json!({ "schema": schema })))
                    .collect();
                body["content"] = Value::Object(content);
            }
        }
        let responses = operation
            .entry("responses")
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .expect("responses are an object");
        if has_body {
            for (status, description) in BODY_ERRORS {
                add_error(responses, status, description);
            }
        }
        if integers {
            add_error(
                responses,
                "404",
                "404: a number parameter that is not a 64-bit integer (as JAX-RS answers)",
            );
        }
        if versions && !responses.contains_key("422") {
            add_error(responses, "422", "42202: invalid version");
        }
        let raw = operation_id
            .as_deref()
            .is_some_and(|id| RAW_SCHEMA_OPERATIONS.contains(&id));
        for response in responses.values_mut() {
            if let Some(content) = response.get_mut("content").and_then(Value::as_object_mut) {
                // Bare values (a number, the schema text) are annotated as text; they are sent
                // as everything else is.
                let schema = content
                    .remove("application/json")
                    .or_else(|| content.remove("text/plain"));
                if let Some(mut schema) = schema {
                    if raw {
                        schema = json!({"schema": {"description": "The schema text itself: a JSON document for Avro and JSON Schema, .proto text for Protobuf"}});
                    }
                    content.insert(CONTENT_TYPE.to_string(), schema);
                }
            }
        }
    }
}

/// The routes that never ask for credentials (`http/guard.rs`).
const OPEN_PATHS: [&str; 5] = [
    "/",
    "/v1/metadata/id",
    "/v1/metadata/version",
    "/health/live",
    "/health/ready",
];

/// How a client authenticates when the server has an auth file (`--auth-file`; without one,
/// nothing is asked): HTTP Basic, a bearer JWT or a client certificate. Every operation but the
/// open ones can then answer 401 and 403.
fn security(doc: &mut Value) {
    doc["components"]["securitySchemes"] = json!({
        "basic": {"type": "http", "scheme": "basic", "description": "A user of the auth file"},
        "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": "A JWT signed by a key of the auth file, with its issuer and audience"},
        "mutualTLS": {"type": "mutualTLS", "description": "A client certificate (--tls-client-ca); its CN names the principal"}
    });
    // `{}`: no credentials, for a server without an auth file.
    doc["security"] = json!([{}, {"basic": []}, {"bearer": []}, {"mutualTLS": []}]);
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let open = OPEN_PATHS.contains(&path.as_str());
        for operation in item
            .as_object_mut()
            .into_iter()
            .flat_map(|item| item.values_mut())
            .filter_map(Value::as_object_mut)
        {
            if open {
                operation.insert("security".into(), json!([{}]));
                continue;
            }
            let responses = operation
                .entry("responses")
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .expect("responses are an object");
            add_error(
                responses,
                "401",
                "401: no credentials, or not valid ones (with `WWW-Authenticate`); only with an auth file",
            );
            add_error(
                responses,
                "403",
                "40301: the principal has no grant for this (`User is denied operation <op> on <resource>`)",
            );
        }
    }
}

/// Characters Java's `String.trim` strips (every one up to the space), allowed around the values
/// Confluent trims that way.
const JAVA_SPACE: &str = "[\\u0000-\\u0020]*";

/// A word matched in any case, as the server compares it (ASCII only).
fn any_case(word: &str) -> String {
    word.chars()
        .map(|c| match c {
            c if c.is_ascii_alphabetic() => {
                format!("[{}{}]", c.to_ascii_uppercase(), c.to_ascii_lowercase())
            }
            c => c.to_string(),
        })
        .collect()
}

/// One of `words` in any case, trimmed as Java trims.
fn trimmed_words(words: &[&str]) -> String {
    let words: Vec<String> = words.iter().map(|w| any_case(w)).collect();
    format!("^{JAVA_SPACE}(?:{}){JAVA_SPACE}$", words.join("|"))
}

/// A version as `VersionId` parses it: `latest` in any case, or an integer `Integer.parseInt`
/// reads (a sign, leading zeros) that is -1 or in 1..=2^31-1, trimmed as Java trims.
fn version_pattern() -> String {
    // 1..=2147483647, digit by digit below the bound.
    let positive = "0*(?:[1-9][0-9]{0,8}|1[0-9]{9}|20[0-9]{8}|21[0-3][0-9]{7}|214[0-6][0-9]{6}\
                    |2147[0-3][0-9]{5}|21474[0-7][0-9]{4}|214748[0-2][0-9]{3}|2147483[0-5][0-9]{2}\
                    |21474836[0-3][0-9]|214748364[0-7])";
    format!(
        "^{JAVA_SPACE}(?:{}|-0*1|\\+?{positive}){JAVA_SPACE}$",
        any_case("latest")
    )
}

/// The query flags: read as Java's `Boolean.valueOf` reads them.
const FLAGS: [&str; 10] = [
    "normalize",
    "deleted",
    "deletedOnly",
    "deletedAsNegative",
    "permanent",
    "verbose",
    "fetchMaxId",
    "defaultToGlobal",
    "force",
    "latestOnly",
];

/// The operations that answer a schema's text itself.
const RAW_SCHEMA_OPERATIONS: [&str; 2] = ["raw_by_id", "raw_version"];

/// The operations that refuse a subject name with control characters (42208).
const NAMING_OPERATIONS: [&str; 3] = ["register", "put_subject_config", "put_subject_mode"];

/// A parameter's schema as the server reads it, where the annotations cannot say it.
fn exact_parameter(parameter: &mut Value, checks_subject: bool) {
    let name = parameter["name"].as_str().unwrap_or("").to_string();
    let schema = match (parameter["in"].as_str(), name.as_str()) {
        (Some("path"), "subject") if checks_subject => json!({
            "type": "string",
            "minLength": 1,
            "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]+$",
            "example": "orders-value"
        }),
        (Some("path"), "subject") => {
            json!({"type": "string", "minLength": 1, "example": "orders-value"})
        }
        (Some("path"), "version") | (Some("query"), "from" | "to") => {
            json!({"type": "string", "pattern": version_pattern(), "example": "latest"})
        }
        (Some("path"), "id") => json!({"type": "integer", "format": "int64", "example": 1}),
        // A colon only at either end (`:.staging:`); one inside is a 400.
        (Some("path"), "context") => json!({
            "type": "string",
            "minLength": 1,
            "pattern": "^:?[^:]*:?$",
            "example": ".staging"
        }),
        (Some("path"), "guid") => json!({
            "type": "string",
            "example": "cb0fc2f2-2f2c-bd36-9b1a-0bd5bb4bb9ed"
        }),
        (Some("query"), flag) if FLAGS.contains(&flag) => {
            let description = parameter["description"].as_str().unwrap_or("").to_string();
            parameter["description"] = Value::String(format!(
                "{description}. Any value is accepted, as Java's `Boolean.valueOf` reads it: `true` in any case is true, anything else (`False`, as Confluent's Python client sends) is false"
            ));
            json!({"anyOf": [{"type": "boolean"}, {"type": "string"}]})
        }
        _ => return,
    };
    parameter["schema"] = schema;
}

/// The request bodies, as the server reads them: required parts, accepted spellings, and the
/// unknown fields every body may carry (Confluent's clients send fields newer registries know).
fn exact_bodies(doc: &mut Value) {
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    if let Some(body) = schemas.get_mut("SchemaBody") {
        body["additionalProperties"] = json!(true);
        // Any string is read: Confluent's registries take custom providers' names, so another
        // name is the registry's refusal (42201), not a malformed body.
        body["example"] = json!({"schema": "{\"type\":\"record\",\"name\":\"Order\",\"fields\":[{\"name\":\"id\",\"type\":\"long\"}]}"});
        body["properties"]["schemaType"] = json!({
            "type": ["string", "null"],
            "description": "The schema's language: AVRO, PROTOBUF or JSON (case-sensitive); absent or null: AVRO. Any other name is refused as an invalid schema (42201); with `verbose=true`, /compatibility answers it `is_compatible: false` with the reason"
        });
    }
    // Kinds, modes and where rules run are Java enums in Confluent: any other name does not
    // map (400).
    if let Some(rule) = schemas.get_mut("Rule") {
        rule["properties"]["kind"] =
            json!({"enum": ["TRANSFORM", "CONDITION", null], "description": "Absent: TRANSFORM"});
        rule["properties"]["mode"] = json!({"enum": ["UPGRADE", "DOWNGRADE", "UPDOWN", "WRITE", "READ", "WRITEREAD", null], "description": "Absent: WRITEREAD. Migration rules take the first three, domain and encoding rules the last three (else 42210)"});
    }
    if let Some(rules) = schemas.get_mut("RuleSet") {
        rules["properties"]["enableAt"] =
            json!({"enum": ["ALL", "CLIENT", "GATEWAY", "SERVER", "NONE", null]});
    }
    // Collections (and `disabled`) sent as null read as empty (false), as Jackson reads them.
    for (name, fields) in [
        ("Metadata", &["tags", "properties", "sensitive"][..]),
        (
            "RuleSet",
            &["migrationRules", "domainRules", "encodingRules"][..],
        ),
        ("Rule", &["tags", "params", "disabled"][..]),
    ] {
        for field in fields {
            if let Some(ty) = schemas
                .get_mut(name)
                .and_then(|s| s.pointer_mut(&format!("/properties/{field}/type")))
            {
                if let Some(one) = ty.as_str() {
                    *ty = json!([one, "null"]);
                }
            }
        }
    }
    if let Some(reference) = schemas.get_mut("ReferenceBody") {
        // All three parts are needed, but one missing is refused as an invalid schema (42201),
        // which `/compatibility` with `verbose=true` answers as `is_compatible: false` instead:
        // the shape allows it, the refusal is the registry's.
        reference["additionalProperties"] = json!(true);
        reference["description"] = json!("A schema this one uses. name, subject and version are all needed: a missing or empty one is a 42201 (with `verbose=true` on /compatibility, `is_compatible: false` and the reason)");
    }
    if let Some(config) = schemas.get_mut("ConfigUpdateView") {
        config["additionalProperties"] = json!(true);
        config["example"] = json!({"compatibility": "FULL"});
        config["properties"]["compatibility"] = json!({
            "type": ["string", "null"],
            "pattern": trimmed_words(&compat::CompatibilityLevel::ALL.map(|l| l.as_str())),
            "description": "A compatibility level, in any case; null clears it"
        });
        config["properties"]["compatibilityPolicy"] = json!({
            "type": ["string", "null"],
            "pattern": format!("^(?:{}|{})$", any_case("STRICT"), any_case("LENIENT")),
            "description": "JSON Schema's policy, in any case; null clears it"
        });
    }
    if let Some(mode) = schemas.get_mut("ModeView") {
        mode["additionalProperties"] = json!(true);
        mode["example"] = json!({"mode": "READWRITE"});
        mode["properties"]["mode"] = json!({
            "type": "string",
            "pattern": trimmed_words(&["READWRITE", "READONLY", "READONLY_OVERRIDE", "IMPORT"]),
            "description": "In any case; READONLY_OVERRIDE only globally"
        });
    }
}

/// How responses lead to other operations, for clients and for stateful testing: a registered
/// schema's id to the schema, a subject to its versions, configs and modes. Declared rather
/// than left to tools to guess from names (a request's `version` of 0 means "the next one", not
/// a version to fetch).
fn links(doc: &mut Value) {
    let subject_links = json!({
        "ListVersions": {"operationId": "list_versions", "parameters": {"subject": "$request.path.subject"}},
        "GetLatest": {"operationId": "get_version", "parameters": {"subject": "$request.path.subject", "version": "latest"}},
        "GetSubjectConfig": {"operationId": "get_subject_config", "parameters": {"subject": "$request.path.subject"}},
        "GetSubjectMode": {"operationId": "get_subject_mode", "parameters": {"subject": "$request.path.subject"}},
    });
    let mut register_links = subject_links.clone();
    register_links["GetSchemaById"] =
        json!({"operationId": "by_id", "parameters": {"id": "$response.body#/id"}});
    // 7.x answers a registration with `{"id": N}` alone (the default), 8.x with the full object.
    if let Some(schema) =
        doc.pointer_mut("/paths/~1subjects~1{subject}~1versions/post/responses/200/content/application~1json/schema")
    {
        *schema = json!({"anyOf": [
            {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer", "format": "int32", "minimum": 0}}, "description": "7.x (the default, `--api-format v7`)"},
            {"$ref": "#/components/schemas/RegisteredView"}
        ]});
    }
    for (path, method, links) in [
        ("/subjects/{subject}/versions", "post", register_links),
        ("/subjects/{subject}", "post", subject_links),
    ] {
        let pointer = format!("/paths/{}/{method}/responses/200", path.replace('/', "~1"));
        if let Some(response) = doc.pointer_mut(&pointer) {
            response["links"] = links;
        }
    }
}

/// The errors of reading a body (`JsonBody`).
const BODY_ERRORS: [(&str, &str); 4] = [
    (
        "400",
        "400: the body is not JSON, or not of the shape this operation takes",
    ),
    ("413", "413: the body is larger than `--max-body-bytes`"),
    (
        "415",
        "415: the body's content type is not one of those listed",
    ),
    ("422", "422: no body"),
];

/// Adds `description` to the response for `status`, creating it (with the error body) if needed.
fn add_error(responses: &mut Map<String, Value>, status: &str, description: &str) {
    match responses.get_mut(status) {
        Some(response) => {
            let before = response["description"].as_str().unwrap_or("").to_string();
            response["description"] = Value::String(format!("{before}; {description}"));
        }
        None => {
            responses.insert(
                status.to_string(),
                json!({
                    "description": description,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
                }),
            );
        }
    }
}

/// `GET /openapi.json`.
pub async fn serve() -> Response {
    (
        StatusCode::OK,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        document(),
    )
        .into_response()
}
