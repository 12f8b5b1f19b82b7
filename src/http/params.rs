//! The query parameters several operations share, declared once each for the OpenAPI document.
//! Handlers read them through [`Params`](super::extract::Params), which is as lenient as
//! Confluent's clients need (`normalize=False`, unknown parameters ignored).

// The fields are read by the OpenAPI derive, not by code: handlers read the query through `Params`.
#![allow(dead_code)]

/// `normalize`.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Normalize {
    /// Normalize the schema first (`true` in any case; anything else is false)
    pub normalize: Option<bool>,
}

/// `deleted`.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Deleted {
    /// Include soft-deleted versions
    pub deleted: Option<bool>,
}

/// `offset` and `limit`.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Page {
    /// Items to skip
    pub offset: Option<i64>,
    /// Page size (out of range: the default)
    pub limit: Option<i64>,
}

/// `format`.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Format {
    /// `serialized`: a Protobuf schema as a base64 `FileDescriptorProto`; `resolved`: an Avro
    /// schema with the types of its references defined inline
    pub format: Option<String>,
}

/// `defaultToGlobal`.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DefaultToGlobal {
    /// Return the effective value instead of 40408/40409 when the subject has none of its own
    #[param(rename = "defaultToGlobal")]
    pub default_to_global: Option<bool>,
}

/// `force`.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Force {
    /// Enter IMPORT even with live versions
    pub force: Option<bool>,
}

/// `subject` of the reads by id.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Subject {
    /// The subject (`:.ctx:name`) or context (`:.ctx:`) whose context the id is read in
    pub subject: Option<String>,
}
