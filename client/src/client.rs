//! [`Client`]: the registry's REST API, one method per endpoint, over several base URLs with
//! failover, retries on 5xx and 429 only, and caches for what producers and consumers ask again
//! and again. Concurrent misses for one key make one request (moka's `try_get_with`); errors are
//! never cached, except "not found" for schema ids, briefly. A success status whose body is not
//! the JSON expected is [`Error::UnexpectedResponse`] at once: no other URL, no retry.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use moka::future::Cache;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::error::Category;
use serde_json::{json, Value};

use crate::guid::Guid;
use crate::types::{
    Compatibility, Config, Mode, RegisteredSchema, Registration, Schema, SchemaReference,
    SubjectVersion,
};
use crate::wire::SchemaId;
use crate::{Error, Result};

/// Everything but RFC 3986's unreserved characters is escaped in a path segment: subjects may
/// hold `/`, `%` or spaces.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";

/// At most this many characters of an unexpected body go into its error.
const EXCERPT_CHARS: usize = 100;

/// How to authenticate.
#[derive(Debug, Clone)]
pub enum Auth {
    Basic { username: String, password: String },
    Bearer(String),
}

/// How a [`Client`] reaches the registry.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Base URLs, tried in order: a request that cannot reach one goes to the next.
    pub urls: Vec<String>,
    pub auth: Option<Auth>,
    /// Per request.
    pub timeout: Duration,
    /// Further attempts after a 5xx, a 429 or a transport failure (never after a 4xx).
    pub retries: u32,
    /// First pause between attempts; doubled each time.
    pub backoff: Duration,
    /// Entries per cache.
    pub cache_capacity: u64,
    /// How long "latest version of a subject" is believed.
    pub latest_ttl: Duration,
    /// How long "no schema with this id" is believed.
    pub not_found_ttl: Duration,
    /// PEM CA certificates trusted for the registry's certificate, besides the system's.
    pub ca_pem: Option<Vec<u8>>,
    /// A PEM client certificate (chain) and its private key, for registries that require
    /// client certificates (mTLS).
    pub identity_pem: Option<Vec<u8>>,
}

impl ClientConfig {
    /// Defaults for one registry URL: 10 s timeout, 3 retries from 100 ms, 1,000 entries per
    /// cache, "latest" kept 60 s, "not found" 5 s.
    pub fn new(url: impl Into<String>) -> ClientConfig {
        ClientConfig {
            urls: vec![url.into()],
            auth: None,
            timeout: Duration::from_secs(10),
            retries: 3,
            backoff: Duration::from_millis(100),
            cache_capacity: 1_000,
            latest_ttl: Duration::from_secs(60),
            not_found_ttl: Duration::from_secs(5),
            ca_pem: None,
            identity_pem: None,
        }
    }
}

/// A Confluent Schema Registry client. Cheap to clone: clones share connections and caches.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    config: ClientConfig,
    by_id: Cache<u32, Arc<Schema>>,
    missing_ids: Cache<u32, ()>,
    by_guid: Cache<Guid, Arc<Schema>>,
    ids: Cache<(String, Schema, bool), Arc<Registration>>,
    versions: Cache<(String, i32), Arc<RegisteredSchema>>,
    latest: Cache<String, Arc<RegisteredSchema>>,
    latest_with_metadata: Cache<(String, BTreeMap<String, String>), Arc<RegisteredSchema>>,
}

/// Moka hands shared errors back from `try_get_with`; ours are rebuilt from their text.
pub(crate) fn unshare(e: Arc<Error>) -> Error {
    match &*e {
        Error::Registry {
            status,
            code,
            message,
        } => Error::Registry {
            status: *status,
            code: *code,
            message: message.clone(),
        },
        Error::Transport(m) => Error::Transport(m.clone()),
        Error::UnexpectedResponse {
            status,
            endpoint,
            detail,
        } => Error::UnexpectedResponse {
            status: *status,
            endpoint: endpoint.clone(),
            detail: detail.clone(),
        },
        Error::InvalidFrame(m) => Error::InvalidFrame(m.clone()),
        Error::Schema(m) => Error::Schema(m.clone()),
        Error::Serialization(m) => Error::Serialization(m.clone()),
        Error::Config(m) => Error::Config(m.clone()),
        Error::Rule {
            rule,
            action,
            reason,
        } => Error::Rule {
            rule: rule.clone(),
            action: action.clone(),
            reason: reason.clone(),
        },
    }
}

fn segment(s: &str) -> String {
    utf8_percent_encode(s, SEGMENT).to_string()
}

impl Client {
    /// A client for `config`. Fails only when the TLS stack cannot be set up or the PEM given
    /// does not parse.
    pub fn new(config: ClientConfig) -> Result<Client> {
        if config.urls.is_empty() {
            return Err(Error::Config("no registry URL".into()));
        }
        // reqwest is built without a default crypto provider; ring is ours.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut http = reqwest::Client::builder().timeout(config.timeout);
        if let Some(pem) = &config.ca_pem {
            for ca in reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| Error::Config(format!("CA certificates: {e}")))?
            {
                http = http.add_root_certificate(ca);
            }
        }
        if let Some(pem) = &config.identity_pem {
            let identity = reqwest::Identity::from_pem(pem)
                .map_err(|e| Error::Config(format!("client certificate and key: {e}")))?;
            http = http.identity(identity);
        }
        let http = http.build().map_err(|e| Error::Transport(e.to_string()))?;
        let cap = config.cache_capacity;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                by_id: Cache::new(cap),
                missing_ids: Cache::builder()
                    .max_capacity(cap)
                    .time_to_live(config.not_found_ttl)
                    .build(),
                by_guid: Cache::new(cap),
                ids: Cache::new(cap),
                versions: Cache::new(cap),
                latest: Cache::builder()
                    .max_capacity(cap)
                    .time_to_live(config.latest_ttl)
                    .build(),
                latest_with_metadata: Cache::builder()
                    .max_capacity(cap)
                    .time_to_live(config.latest_ttl)
                    .build(),
                config,
            }),
        })
    }

    /// A client for one URL with the defaults of [`ClientConfig::new`].
    pub fn from_url(url: impl Into<String>) -> Result<Client> {
        Client::new(ClientConfig::new(url))
    }

    /// Sends a request, trying each URL in turn and retrying what may succeed later.
    async fn send<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<T> {
        let config = &self.inner.config;
        let mut last = Error::Transport("no attempt made".into());
        let mut pause = config.backoff;
        for attempt in 0..=config.retries {
            if attempt > 0 {
                tokio::time::sleep(pause).await;
                pause *= 2;
            }
            for base in &config.urls {
                match self.attempt(&method, base, path, body).await {
                    Ok(value) => return Ok(value),
                    Err(e) if retryable(&e) => last = e,
                    Err(e) => return Err(e),
                }
            }
        }
        Err(last)
    }

    async fn attempt<T: DeserializeOwned>(
        &self,
        method: &Method,
        base: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<T> {
        let url = format!("{}{path}", base.trim_end_matches('/'));
        let mut request = self
            .inner
            .http
            .request(method.clone(), url)
            .header("Accept", CONTENT_TYPE);
        if let Some(body) = body {
            request = request
                .header("Content-Type", CONTENT_TYPE)
                .body(body.to_string());
        }
        request = match &self.inner.config.auth {
            Some(Auth::Basic { username, password }) => {
                request.basic_auth(username, Some(password))
            }
            Some(Auth::Bearer(token)) => request.bearer_auth(token),
            None => request,
        };
        let response = request
            .send()
            .await
            .map_err(|e| Error::Transport(e.to_string()))?;
        let status = response.status();
        let answered = response.url().clone();
        let text = response
            .text()
            .await
            .map_err(|e| Error::Transport(e.to_string()))?;
        if status.is_success() {
            return serde_json::from_str(&text)
                .map_err(|e| unexpected::<T>(method, answered, status, &text, &e));
        }
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        Err(Error::Registry {
            status: status.as_u16(),
            code: body["error_code"]
                .as_i64()
                .unwrap_or(i64::from(status.as_u16())),
            message: body["message"].as_str().unwrap_or(&text).to_string(),
        })
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.send(Method::GET, path, None).await
    }

    async fn post<T: DeserializeOwned, B: Serialize>(&self, path: &str, body: &B) -> Result<T> {
        let body = serde_json::to_value(body).expect("request bodies serialize");
        self.send(Method::POST, path, Some(&body)).await
    }

    async fn put<T: DeserializeOwned, B: Serialize>(&self, path: &str, body: &B) -> Result<T> {
        let body = serde_json::to_value(body).expect("request bodies serialize");
        self.send(Method::PUT, path, Some(&body)).await
    }

    // --- Schemas -------------------------------------------------------------------------

    /// `POST /subjects/{subject}/versions`: the schema's id, registering it if it is new.
    /// Cached: the same (subject, schema) asks the registry once.
    pub async fn register(&self, subject: &str, schema: &Schema, normalize: bool) -> Result<u32> {
        Ok(self.register_full(subject, schema, normalize).await?.id)
    }

    /// [`Client::register`], with what the registry answers beside the id: the schema as
    /// registered, with its GUID and data contract, when it answers in full.
    pub async fn register_full(
        &self,
        subject: &str,
        schema: &Schema,
        normalize: bool,
    ) -> Result<Arc<Registration>> {
        let key = (subject.to_string(), schema.clone(), normalize);
        self.inner
            .ids
            .try_get_with(key, async {
                let path = format!(
                    "/subjects/{}/versions?normalize={normalize}",
                    segment(subject)
                );
                Ok::<_, Error>(Arc::new(self.post::<Registration, _>(&path, schema).await?))
            })
            .await
            .map_err(unshare)
    }

    /// `POST /subjects/{subject}`: the registered version of `schema`, if it is one. The id is
    /// cached as for [`Client::register`].
    pub async fn lookup(
        &self,
        subject: &str,
        schema: &Schema,
        normalize: bool,
    ) -> Result<RegisteredSchema> {
        let path = format!("/subjects/{}?normalize={normalize}", segment(subject));
        let found: RegisteredSchema = self.post(&path, schema).await?;
        let registration = Registration {
            id: found.id,
            guid: found.guid,
            version: Some(found.version),
            schema: Some(found.schema.clone()),
            metadata: found.metadata.clone(),
            rule_set: found.rule_set.clone(),
        };
        self.inner
            .ids
            .insert(
                (subject.to_string(), schema.clone(), normalize),
                Arc::new(registration),
            )
            .await;
        Ok(found)
    }

    /// `GET /schemas/ids/{id}`: the schema with this id. Cached for good (ids never change);
    /// "not found" is believed for [`ClientConfig::not_found_ttl`].
    pub async fn schema_by_id(&self, id: u32) -> Result<Arc<Schema>> {
        if let Some(schema) = self.inner.by_id.get(&id).await {
            return Ok(schema);
        }
        if self.inner.missing_ids.contains_key(&id) {
            return Err(Error::Registry {
                status: 404,
                code: 40403,
                message: "Schema not found".into(),
            });
        }
        let result = self
            .inner
            .by_id
            .try_get_with(id, async {
                let schema: Schema = self.get(&format!("/schemas/ids/{id}")).await?;
                Ok::<_, Error>(Arc::new(schema))
            })
            .await
            .map_err(unshare);
        if let Err(e) = &result {
            if e.is_not_found() {
                self.inner.missing_ids.insert(id, ()).await;
            }
        }
        result
    }

    /// `GET /schemas/guids/{guid}`: the schema with this GUID (Confluent 8.x). Cached for good,
    /// as ids are.
    pub async fn schema_by_guid(&self, guid: Guid) -> Result<Arc<Schema>> {
        self.inner
            .by_guid
            .try_get_with(guid, async {
                let schema: Schema = self.get(&format!("/schemas/guids/{guid}")).await?;
                Ok::<_, Error>(Arc::new(schema))
            })
            .await
            .map_err(unshare)
    }

    /// The schema a record names, by id or by GUID.
    pub async fn schema_by(&self, id: SchemaId) -> Result<Arc<Schema>> {
        match id {
            SchemaId::Id(id) => self.schema_by_id(id).await,
            SchemaId::Guid(guid) => self.schema_by_guid(guid).await,
        }
    }

    /// `GET /schemas/ids/{id}/versions`: every subject and version using the id.
    pub async fn versions_of_id(&self, id: u32) -> Result<Vec<SubjectVersion>> {
        self.get(&format!("/schemas/ids/{id}/versions")).await
    }

    /// `GET /schemas/types`.
    pub async fn schema_types(&self) -> Result<Vec<String>> {
        self.get("/schemas/types").await
    }

    // --- Subjects ------------------------------------------------------------------------

    /// `GET /subjects`.
    pub async fn subjects(&self, deleted: bool) -> Result<Vec<String>> {
        self.get(&format!("/subjects?deleted={deleted}")).await
    }

    /// `GET /subjects/{subject}/versions`.
    pub async fn versions(&self, subject: &str) -> Result<Vec<i32>> {
        self.get(&format!("/subjects/{}/versions", segment(subject)))
            .await
    }

    /// `GET /subjects/{subject}/versions/{version}`. Cached: a version's schema never changes.
    pub async fn version(&self, subject: &str, version: i32) -> Result<Arc<RegisteredSchema>> {
        self.inner
            .versions
            .try_get_with((subject.to_string(), version), async {
                let path = format!("/subjects/{}/versions/{version}", segment(subject));
                Ok::<_, Error>(Arc::new(self.get::<RegisteredSchema>(&path).await?))
            })
            .await
            .map_err(unshare)
    }

    /// `GET /subjects/{subject}/versions/latest`, cached for [`ClientConfig::latest_ttl`].
    pub async fn latest(&self, subject: &str) -> Result<Arc<RegisteredSchema>> {
        self.inner
            .latest
            .try_get_with(subject.to_string(), async {
                let path = format!("/subjects/{}/versions/latest", segment(subject));
                Ok::<_, Error>(Arc::new(self.get::<RegisteredSchema>(&path).await?))
            })
            .await
            .map_err(unshare)
    }

    /// `GET /subjects/{subject}/metadata?key=…&value=…`: the newest version whose metadata
    /// holds every one of `properties` (Confluent's `use.latest.with.metadata`), cached for
    /// [`ClientConfig::latest_ttl`].
    pub async fn latest_with_metadata(
        &self,
        subject: &str,
        properties: &BTreeMap<String, String>,
    ) -> Result<Arc<RegisteredSchema>> {
        let key = (subject.to_string(), properties.clone());
        self.inner
            .latest_with_metadata
            .try_get_with(key, async {
                let mut path = format!("/subjects/{}/metadata?deleted=false", segment(subject));
                for (k, v) in properties {
                    path.push_str(&format!("&key={}&value={}", segment(k), segment(v)));
                }
                Ok::<_, Error>(Arc::new(self.get::<RegisteredSchema>(&path).await?))
            })
            .await
            .map_err(unshare)
    }

    /// `DELETE /subjects/{subject}` (soft, or hard with `permanent`): the versions deleted.
    pub async fn delete_subject(&self, subject: &str, permanent: bool) -> Result<Vec<i32>> {
        let path = format!("/subjects/{}?permanent={permanent}", segment(subject));
        let deleted = self.send(Method::DELETE, &path, None).await?;
        self.inner.latest.invalidate(subject).await;
        // Keyed by subject and properties: dropping them all is simpler, and deletes are rare.
        self.inner.latest_with_metadata.invalidate_all();
        Ok(deleted)
    }

    /// `DELETE /subjects/{subject}/versions/{version}`: the version deleted.
    pub async fn delete_version(
        &self,
        subject: &str,
        version: i32,
        permanent: bool,
    ) -> Result<i32> {
        let path = format!(
            "/subjects/{}/versions/{version}?permanent={permanent}",
            segment(subject)
        );
        let deleted = self.send(Method::DELETE, &path, None).await?;
        self.inner.latest.invalidate(subject).await;
        // Keyed by subject and properties: dropping them all is simpler, and deletes are rare.
        self.inner.latest_with_metadata.invalidate_all();
        Ok(deleted)
    }

    /// `GET /subjects/{subject}/versions/{version}/referencedby`: ids of schemas using it.
    pub async fn referenced_by(&self, subject: &str, version: i32) -> Result<Vec<u32>> {
        let path = format!(
            "/subjects/{}/versions/{version}/referencedby",
            segment(subject)
        );
        self.get(&path).await
    }

    // --- Compatibility, config, mode -----------------------------------------------------

    /// `POST /compatibility/subjects/{subject}/versions/{version}?verbose=true` (`None`: every
    /// version the subject's level asks for).
    pub async fn check_compatibility(
        &self,
        subject: &str,
        version: Option<i32>,
        schema: &Schema,
    ) -> Result<Compatibility> {
        let path = match version {
            Some(v) => format!(
                "/compatibility/subjects/{}/versions/{v}?verbose=true",
                segment(subject)
            ),
            None => format!(
                "/compatibility/subjects/{}/versions?verbose=true",
                segment(subject)
            ),
        };
        self.post(&path, schema).await
    }

    /// `GET /config` or `GET /config/{subject}` (with the global fallback).
    pub async fn config(&self, subject: Option<&str>) -> Result<Config> {
        match subject {
            Some(s) => {
                self.get(&format!("/config/{}?defaultToGlobal=true", segment(s)))
                    .await
            }
            None => self.get("/config").await,
        }
    }

    /// `PUT /config` or `PUT /config/{subject}`.
    pub async fn set_config(&self, subject: Option<&str>, config: &Config) -> Result<Config> {
        match subject {
            Some(s) => self.put(&format!("/config/{}", segment(s)), config).await,
            None => self.put("/config", config).await,
        }
    }

    /// `GET /mode` or `GET /mode/{subject}`.
    pub async fn mode(&self, subject: Option<&str>) -> Result<Mode> {
        match subject {
            Some(s) => {
                self.get(&format!("/mode/{}?defaultToGlobal=true", segment(s)))
                    .await
            }
            None => self.get("/mode").await,
        }
    }

    /// `PUT /mode` or `PUT /mode/{subject}`.
    pub async fn set_mode(&self, subject: Option<&str>, mode: &str) -> Result<Mode> {
        let body = json!({ "mode": mode });
        match subject {
            Some(s) => self.put(&format!("/mode/{}", segment(s)), &body).await,
            None => self.put("/mode", &body).await,
        }
    }

    /// The texts of `references` and of what they reference in turn, dependencies first, as
    /// (reference name, schema text): what a parser needs beside the schema itself.
    pub async fn resolve_references(
        &self,
        references: &[SchemaReference],
    ) -> Result<Vec<(String, String)>> {
        let mut out: Vec<(String, String)> = Vec::new();
        let mut stack: Vec<(SchemaReference, bool)> = references
            .iter()
            .rev()
            .map(|r| (r.clone(), false))
            .collect();
        while let Some((reference, expanded)) = stack.pop() {
            if out.iter().any(|(name, _)| *name == reference.name) {
                continue;
            }
            let registered = self.version(&reference.subject, reference.version).await?;
            if expanded || registered.references.is_empty() {
                out.push((reference.name.clone(), registered.schema.clone()));
                continue;
            }
            if stack.len() > 10_000 {
                return Err(Error::Schema("references nest too deeply".into()));
            }
            stack.push((reference, true));
            for r in registered.references.iter().rev() {
                stack.push((r.clone(), false));
            }
        }
        Ok(out)
    }
}

/// The error for a success status whose body does not deserialize into `T`: what was asked,
/// what was expected, and the start of what came back.
#[cold]
fn unexpected<T>(
    method: &Method,
    mut url: reqwest::Url,
    status: StatusCode,
    body: &str,
    e: &serde_json::Error,
) -> Error {
    // Credentials in a base URL stay out of error messages.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    let why = match e.classify() {
        Category::Data => e.to_string(),
        Category::Syntax | Category::Eof | Category::Io => format!("not JSON ({e})"),
    };
    Error::UnexpectedResponse {
        status: status.as_u16(),
        endpoint: format!("{method} {url}"),
        detail: format!(
            "expected {} as JSON, got {}: {why}",
            type_label::<T>(),
            excerpt(body)
        ),
    }
}

/// `T`'s name without module paths, `Vec<String>` for `alloc::vec::Vec<alloc::string::String>`.
fn type_label<T>() -> String {
    let mut label = String::new();
    let mut path = String::new();
    for c in std::any::type_name::<T>().chars() {
        if c.is_alphanumeric() || c == '_' || c == ':' {
            path.push(c);
        } else {
            label.push_str(path.rsplit("::").next().unwrap_or_default());
            label.push(c);
            path.clear();
        }
    }
    label.push_str(path.rsplit("::").next().unwrap_or_default());
    label
}

/// A body, or its first [`EXCERPT_CHARS`] characters, quoted on one line.
fn excerpt(body: &str) -> String {
    if body.is_empty() {
        return "an empty body".into();
    }
    let mut quoted = String::from("`");
    for c in body.chars().take(EXCERPT_CHARS) {
        if c.is_control() {
            quoted.extend(c.escape_default());
        } else {
            quoted.push(c);
        }
    }
    quoted.push('`');
    match body.chars().nth(EXCERPT_CHARS) {
        None => quoted,
        Some(_) => format!("{} bytes beginning {quoted}", body.len()),
    }
}

/// 5xx, 429 and transport failures may succeed on another node or later; 4xx never.
fn retryable(e: &Error) -> bool {
    match e {
        Error::Registry { status, .. } => {
            *status == StatusCode::TOO_MANY_REQUESTS.as_u16() || *status >= 500
        }
        Error::Transport(_) => true,
        _ => false,
    }
}
