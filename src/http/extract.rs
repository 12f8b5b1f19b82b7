//! Request parsing the way Confluent's clients need it: lenient query flags (`normalize=False`
//! from Python), bodies under any of the registry's JSON content types, and path parameters whose
//! failures become Confluent error bodies instead of axum's plain text.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use percent_encoding::percent_decode_str;
use serde::de::DeserializeOwned;

use super::AppState;
use crate::error::ApiError;
use crate::registry::{context, VersionSpec};

/// The query string, every parameter kept (some repeat).
#[derive(Debug, Default)]
pub struct Params(Vec<(String, String)>);

impl Params {
    pub fn parse(query: &str) -> Params {
        Params(
            query
                .split('&')
                .filter(|p| !p.is_empty())
                .map(|pair| {
                    let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                    (decode(k), decode(v))
                })
                .collect(),
        )
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a repeated parameter, in order (JAX-RS `List<String>`).
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Java's `Boolean.valueOf`: `true` in any case is true; anything else, or absence, false.
    pub fn flag(&self, name: &str) -> bool {
        self.get(name)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }

    /// An integer parameter; one that does not parse (spaces included) is a 404, as JAX-RS
    /// answers.
    pub fn int(&self, name: &str) -> Result<Option<i64>, ApiError> {
        self.get(name)
            .map(|v| v.parse::<i64>().map_err(|_| ApiError::NotFound))
            .transpose()
    }

    /// `offset`/`limit` applied to a list: a limit outside `1..=max` means the default.
    pub fn page<T>(&self, items: Vec<T>, default_limit: Option<usize>) -> Result<Vec<T>, ApiError> {
        let (offset, limit) = self.page_bounds(default_limit)?;
        Ok(items.into_iter().skip(offset).take(limit).collect())
    }

    /// `offset` and `limit` (see [`Params::page`]), for a listing that skips and takes itself.
    pub fn page_bounds(&self, default_limit: Option<usize>) -> Result<(usize, usize), ApiError> {
        let offset = self.int("offset")?.unwrap_or(0).max(0) as usize;
        let limit = self
            .int("limit")?
            .filter(|l| *l > 0 && default_limit.is_none_or(|max| *l as usize <= max))
            .map(|l| l as usize)
            .or(default_limit)
            .unwrap_or(usize::MAX);
        Ok((offset, limit))
    }
}

fn decode(s: &str) -> String {
    percent_decode_str(&s.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Params, ApiError> {
        Ok(Params::parse(parts.uri.query().unwrap_or("")))
    }
}

/// A JSON body under one of the content types Confluent accepts (none at all counts as JSON).
pub struct JsonBody<T>(pub T);

pub const ACCEPTED_TYPES: [&str; 4] = [
    "application/vnd.schemaregistry.v1+json",
    "application/vnd.schemaregistry+json",
    "application/json",
    "application/octet-stream",
];

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<JsonBody<T>, ApiError> {
        let bytes = read_body(req, state).await?;
        json(&bytes).map(JsonBody)
    }
}

/// A request's body, under one of the accepted content types and within the size limit.
pub async fn read_body(req: Request, state: &AppState) -> Result<Bytes, ApiError> {
    if let Some(value) = req.headers().get(CONTENT_TYPE) {
        let essence = value
            .to_str()
            .unwrap_or("")
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if !ACCEPTED_TYPES.contains(&essence.as_str()) {
            return Err(ApiError::UnsupportedMediaType);
        }
    }
    let limit = state.max_body_bytes;
    axum::body::to_bytes(req.into_body(), limit)
        .await
        .map_err(|_| ApiError::PayloadTooLarge(limit))
}

/// A JSON object body read into `T`.
pub fn json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::MissingBody);
    }
    // Every body is an object; serde would also read a struct from an array.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::BadRequest(
            "Invalid JSON body: expected an object".into(),
        ));
    }
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::BadRequest(format!("Invalid JSON body: {e}")))
}

/// Java's `String.trim`: strips every character up to the space, controls included. Confluent
/// trims versions, levels and modes this way.
pub fn java_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

/// Parses a `{version}` path segment: `latest` (any case), `-1`, or 1..=2^31-1, trimmed as
/// Java does (Confluent's `VersionId`).
pub fn version(raw: &str) -> Result<VersionSpec, ApiError> {
    let trimmed = java_trim(raw);
    if trimmed.eq_ignore_ascii_case("latest") {
        return Ok(VersionSpec::Latest);
    }
    match trimmed.parse::<i64>() {
        Ok(-1) => Ok(VersionSpec::Latest),
        Ok(n) if (1..=i32::MAX as i64).contains(&n) => Ok(VersionSpec::Number(n as i32)),
        _ => Err(ApiError::InvalidVersion(raw.to_string())),
    }
}

/// The named path parameters, percent-decoded by axum (`%2F` in a subject is a `/`).
async fn path_params<S: Send + Sync>(
    parts: &mut Parts,
    state: &S,
) -> Result<axum::extract::RawPathParams, ApiError> {
    use axum::extract::rejection::RawPathParamsRejection;
    match axum::extract::RawPathParams::from_request_parts(parts, state).await {
        Ok(raw) => Ok(raw),
        Err(RawPathParamsRejection::InvalidUtf8InPathParam(_)) => {
            Err(ApiError::BadRequest("Path is not valid UTF-8".into()))
        }
        Err(_) => Err(ApiError::NotFound),
    }
}

fn param(raw: &axum::extract::RawPathParams, name: &str) -> Result<String, ApiError> {
    raw.iter()
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
        .ok_or(ApiError::NotFound)
}

/// `{subject}`.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct SubjectPath {
    /// Subject name; percent-encode `/` as `%2F`
    pub subject: String,
}

impl FromRequestParts<AppState> for SubjectPath {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<SubjectPath, ApiError> {
        let raw = path_params(parts, state).await?;
        Ok(SubjectPath {
            subject: dealias(parts, state, param(&raw, "subject")?),
        })
    }
}

/// `{context}` of `DELETE /contexts/{context}`.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ContextPath {
    /// The context, `.name` or `:.name:`
    pub context: String,
}

impl<S: Send + Sync> FromRequestParts<S> for ContextPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<ContextPath, ApiError> {
        let raw = path_params(parts, state).await?;
        Ok(ContextPath {
            context: param(&raw, "context")?,
        })
    }
}

/// `{name}` of an exporter.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ExporterPath {
    /// Exporter name
    pub name: String,
}

impl<S: Send + Sync> FromRequestParts<S> for ExporterPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<ExporterPath, ApiError> {
        let raw = path_params(parts, state).await?;
        Ok(ExporterPath {
            name: param(&raw, "name")?,
        })
    }
}

/// The subject a `/subjects/{subject}/...` path (also under `/compatibility`) means, named as
/// Confluent stores it (`:.:s` is `s`, `:.ctx` the context `:.ctx:`): the subject's config
/// `alias` when it has one, as Confluent's `AliasFilter` rewrites it. Config and mode paths keep
/// the name, so an alias can be read and removed.
fn dealias(parts: &Parts, state: &AppState, subject: String) -> String {
    let subject = match context::normalize(&subject) {
        std::borrow::Cow::Borrowed(_) => subject,
        std::borrow::Cow::Owned(normalized) => normalized,
    };
    if !follows_aliases(parts.uri.path()) {
        return subject;
    }
    state.registry.alias_of(&subject).unwrap_or(subject)
}

/// Whether the `{subject}` of this path is read through the subject's alias.
pub fn follows_aliases(path: &str) -> bool {
    path.starts_with("/subjects/") || path.starts_with("/compatibility/subjects/")
}

/// `{subject}` and `{version}`. The version is parsed when the handler asks
/// ([`SubjectVersionPath::version`]): after the body, as Confluent's resources do.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct SubjectVersionPath {
    /// Subject name; percent-encode `/` as `%2F`
    pub subject: String,
    /// `latest`, `-1` (latest) or a version number in 1..=2^31-1
    version: String,
}

impl SubjectVersionPath {
    pub fn version(&self) -> Result<VersionSpec, ApiError> {
        version(&self.version)
    }
}

impl FromRequestParts<AppState> for SubjectVersionPath {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<SubjectVersionPath, ApiError> {
        let raw = path_params(parts, state).await?;
        Ok(SubjectVersionPath {
            subject: dealias(parts, state, param(&raw, "subject")?),
            version: param(&raw, "version")?,
        })
    }
}

/// `{guid}`.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct GuidPath {
    /// The schema identity as a UUID
    pub guid: String,
}

impl<S: Send + Sync> FromRequestParts<S> for GuidPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<GuidPath, ApiError> {
        let raw = path_params(parts, state).await?;
        Ok(GuidPath {
            guid: param(&raw, "guid")?,
        })
    }
}

/// The `{id}` of `/schemas/ids/{id}[/...]`, read straight from the URI so the deserializers' hot
/// path allocates nothing for it. Anything but an integer is a 404, as JAX-RS answers.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct IdPath {
    /// Global schema id
    pub id: i64,
}

impl<S: Send + Sync> FromRequestParts<S> for IdPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<IdPath, ApiError> {
        let rest = parts.uri.path().strip_prefix("/schemas/ids/").unwrap_or("");
        let segment = rest.split('/').next().unwrap_or("");
        percent_decode_str(segment)
            .decode_utf8_lossy()
            .parse::<i64>()
            .map(|id| IdPath { id })
            .map_err(|_| ApiError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_parsed_like_java() {
        let p = Params::parse("normalize=False&deleted=TRUE&verbose=1&x");
        assert!(!p.flag("normalize"));
        assert!(p.flag("deleted"));
        assert!(!p.flag("verbose"));
        assert!(!p.flag("x"));
        assert!(!p.flag("missing"));
    }

    #[test]
    fn versions_accept_latest_and_the_int_range_only() {
        assert_eq!(version("Latest ").unwrap(), VersionSpec::Latest);
        assert_eq!(version("\u{1}+007\t").unwrap(), VersionSpec::Number(7));
        assert!(version("\u{a0}7").is_err());
        assert_eq!(version("-1").unwrap(), VersionSpec::Latest);
        assert_eq!(version("7").unwrap(), VersionSpec::Number(7));
        for bad in ["0", "-2", "abc", "2147483648", ""] {
            assert!(
                matches!(version(bad), Err(ApiError::InvalidVersion(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn pages_fall_back_to_the_default_limit() {
        let p = Params::parse("offset=1&limit=0");
        assert_eq!(p.page(vec![1, 2, 3], Some(1)).unwrap(), vec![2]);
        let p = Params::parse("limit=5000");
        assert_eq!(p.page((0..2000).collect(), Some(1000)).unwrap().len(), 1000);
        let p = Params::parse("offset=x");
        assert!(p.page(vec![1], None).is_err());
    }
}
