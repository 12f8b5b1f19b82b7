//! A registry read over its REST API (Confluent's, so Confluent, Karapace, Redpanda and
//! Schemata alike), as the records its state folds from: what `export --url` writes,
//! `import --from-url` copies and a follower (`serve --follow`) keeps.

use std::collections::{BTreeSet, HashSet};

use compat::{Metadata, Reference, RuleSet};
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use reqwest::Method;
use serde_json::Value;

use crate::storage::{split_subject, ConfigValue, Mode, ModeValue, Record, SchemaValue};

const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";

/// Why talking to a registry failed; the message names the request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RemoteError(pub String);

/// A registry's REST API, with its credentials (never printed).
#[derive(Clone)]
pub struct Remote {
    base: String,
    client: reqwest::Client,
    auth: Option<Credentials>,
}

/// How to authenticate to a registry.
#[derive(Clone)]
pub enum Credentials {
    Basic { user: String, password: String },
    Bearer(String),
}

impl std::fmt::Debug for Credentials {
    /// Never the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::Basic { user, .. } => write!(f, "Basic({user}:***)"),
            Credentials::Bearer(_) => f.write_str("Bearer(***)"),
        }
    }
}

impl Credentials {
    /// `request`, carrying these credentials.
    pub fn apply(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self {
            Credentials::Basic { user, password } => request.basic_auth(user, Some(password)),
            Credentials::Bearer(token) => request.bearer_auth(token),
        }
    }

    /// From the command line's `USER:PASSWORD` or token; `None` without either.
    pub fn from_args(
        basic: Option<&str>,
        bearer: Option<&str>,
    ) -> Result<Option<Credentials>, RemoteError> {
        match (basic, bearer) {
            (Some(info), _) => {
                let (user, password) = info
                    .split_once(':')
                    .ok_or_else(|| RemoteError("basic credentials must be USER:PASSWORD".into()))?;
                Ok(Some(Credentials::Basic {
                    user: user.to_string(),
                    password: password.to_string(),
                }))
            }
            (None, Some(token)) => Ok(Some(Credentials::Bearer(token.to_string()))),
            (None, None) => Ok(None),
        }
    }
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote")
            .field("base", &self.base)
            .field("auth", &self.auth)
            .finish()
    }
}

impl Remote {
    pub fn new(url: &str, auth: Option<Credentials>) -> Remote {
        Remote::with_client(url, reqwest::Client::new(), auth)
    }

    /// The registry at `url`, reached through `client` (which carries TLS settings).
    pub fn with_client(url: &str, client: reqwest::Client, auth: Option<Credentials>) -> Remote {
        Remote {
            base: url.trim_end_matches('/').to_string(),
            client,
            auth,
        }
    }

    pub fn url(&self) -> &str {
        &self.base
    }

    /// Sends a request; the status and the JSON answer. Failing to reach the registry, or an
    /// answer that is not JSON, is an error naming the URL.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Value), RemoteError> {
        let url = format!("{}{path}", self.base);
        let mut request = self
            .client
            .request(method.clone(), &url)
            .header("Accept", CONTENT_TYPE);
        if let Some(auth) = &self.auth {
            request = auth.apply(request);
        }
        if let Some(body) = body {
            request = request
                .header("Content-Type", CONTENT_TYPE)
                .body(serde_json::to_vec(body).expect("JSON values serialize"));
        }
        let response = request
            .send()
            .await
            .map_err(|e| RemoteError(format!("{method} {url}: {}", causes(&e))))?;
        let status = response.status().as_u16();
        let text = response
            .text()
            .await
            .map_err(|e| RemoteError(format!("{method} {url}: {e}")))?;
        let value = serde_json::from_str(&text).map_err(|_| {
            RemoteError(format!(
                "{method} {url}: the registry answered {status} with a body that is not JSON: {}",
                text.chars().take(200).collect::<String>()
            ))
        })?;
        Ok((status, value))
    }

    /// GET that must answer 200 (or, when `missing_ok`, 404: `None`).
    async fn get(&self, path: &str, missing_ok: bool) -> Result<Option<Value>, RemoteError> {
        match self.send(Method::GET, path, None).await? {
            (200, v) => Ok(Some(v)),
            (404, _) if missing_ok => Ok(None),
            (status, v) => Err(RemoteError(format!(
                "GET {}{path}: the registry answered {status}: {v}",
                self.base
            ))),
        }
    }
}

/// A subject name in a path.
pub fn encode(subject: &str) -> String {
    utf8_percent_encode(subject, NON_ALPHANUMERIC).to_string()
}

/// One subject version as the API shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Version {
    pub subject: String,
    pub version: i32,
    pub id: u32,
    pub schema_type: String,
    pub schema: String,
    pub references: Vec<Reference>,
    /// The data contract, carried across as the source holds it.
    pub metadata: Option<Metadata>,
    pub rule_set: Option<RuleSet>,
    pub deleted: bool,
    pub ts: Option<i64>,
}

/// A registry's state as its API shows it.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// In the order they can be written: by id, references before what refers to them.
    pub versions: Vec<Version>,
    /// Stored configs; the global one (`None`) as the registry answers it.
    pub configs: Vec<(Option<String>, ConfigValue)>,
    /// Stored modes; the global one (`None`) as the registry answers it.
    pub modes: Vec<(Option<String>, Mode)>,
}

impl Snapshot {
    /// Reads every subject (soft-deleted ones too), version, config and mode.
    pub async fn read(remote: &Remote) -> Result<Snapshot, RemoteError> {
        let mut snapshot = Snapshot::default();
        let subjects: Vec<String> = from_json(
            remote.get("/subjects?deleted=true", false).await?,
            "/subjects",
        )?;
        let listed = match listed(remote).await? {
            // `GET /schemas` lists the default context's subjects only (as Confluent's does):
            // other contexts' are read subject by subject.
            Some(mut versions) => {
                let seen: HashSet<&str> = versions.iter().map(|v| v.subject.as_str()).collect();
                let unlisted: Vec<&String> = subjects
                    .iter()
                    .filter(|s| !seen.contains(s.as_str()))
                    .collect();
                for subject in unlisted {
                    versions.extend(one_by_one(remote, subject).await?);
                }
                versions
            }
            None => {
                let mut versions = Vec::new();
                for subject in &subjects {
                    versions.extend(one_by_one(remote, subject).await?);
                }
                versions
            }
        };
        snapshot.versions = listed;
        // Each context's own config and mode (`:.ctx:`), and those every context falls back to
        // (`:.__GLOBAL:`), are read with the subjects'.
        let mut scopes = subjects.clone();
        scopes.extend(context_scopes(remote).await?);
        for subject in &scopes {
            let s = encode(subject);
            if let Some(config) = remote.get(&format!("/config/{s}"), true).await? {
                snapshot
                    .configs
                    .push((Some(subject.clone()), config_value(config, Some(subject))?));
            }
            if let Some(mode) = remote.get(&format!("/mode/{s}"), true).await? {
                snapshot.modes.push((Some(subject.clone()), mode_of(mode)?));
            }
        }
        let global = remote.get("/config", false).await?.unwrap_or_default();
        snapshot
            .configs
            .insert(0, (None, config_value(global, None)?));
        let global = remote.get("/mode", false).await?.unwrap_or_default();
        snapshot.modes.insert(0, (None, mode_of(global)?));
        snapshot.versions = write_order(snapshot.versions);
        Ok(snapshot)
    }

    /// The records that rebuild this state in an empty store: each context's record, as a
    /// registration in it writes one, then the versions, configs and modes.
    pub fn records(&self) -> Vec<Record> {
        let contexts: BTreeSet<&str> = self
            .versions
            .iter()
            .map(|v| split_subject(&v.subject).0)
            .filter(|c| *c != ".")
            .collect();
        let mut records: Vec<Record> = contexts
            .into_iter()
            .map(|context| Record::Context {
                context: context.to_string(),
                exists: true,
            })
            .collect();
        records.extend(self.versions.iter().map(version_record));
        records.extend(self.configs.iter().map(|(subject, value)| Record::Config {
            subject: subject.clone(),
            value: Some(value.clone()),
        }));
        records.extend(self.modes.iter().map(|(subject, mode)| Record::Mode {
            subject: subject.clone(),
            value: Some(ModeValue {
                subject: subject.clone(),
                mode: *mode,
            }),
        }));
        records
    }
}

/// The config and mode keys of a registry's contexts: `:.ctx:` for each context it lists (none
/// when it does not answer `GET /contexts` with a list), and `:.__GLOBAL:`.
async fn context_scopes(remote: &Remote) -> Result<Vec<String>, RemoteError> {
    let listed = match remote.send(Method::GET, "/contexts", None).await? {
        (200, body) => serde_json::from_value::<Vec<String>>(body).unwrap_or_default(),
        _ => return Ok(Vec::new()),
    };
    let mut scopes: Vec<String> = listed
        .iter()
        .filter(|c| c.as_str() != ".")
        .map(|c| format!(":{c}:"))
        .collect();
    if !listed.is_empty() {
        scopes.push(":.__GLOBAL:".to_string());
    }
    Ok(scopes)
}

/// Every version from `GET /schemas` (pages of [`PAGE`]), soft-deleted ones told apart by
/// listing twice: a few requests instead of one per version. `None` when the registry does
/// not answer it (older ones, some others): then each version is read on its own.
async fn listed(remote: &Remote) -> Result<Option<Vec<Version>>, RemoteError> {
    let Some(all) = pages(remote, true).await? else {
        return Ok(None);
    };
    let Some(live) = pages(remote, false).await? else {
        return Ok(None);
    };
    let live: HashSet<(String, i32)> = live.into_iter().map(|l| (l.subject, l.version)).collect();
    Ok(Some(
        all.into_iter()
            .map(|l| {
                let deleted = !live.contains(&(l.subject.clone(), l.version));
                l.shown.into_version(l.subject, l.version, deleted)
            })
            .collect(),
    ))
}

/// Items per `GET /schemas` page: Confluent's default and largest.
const PAGE: usize = 1000;

/// Every page of `GET /schemas`. A registry that ignores `offset` and `limit` (Confluent
/// before 7.5 lists everything at once) is recognised by a page longer than asked, or one that
/// starts again with what was already read.
async fn pages(remote: &Remote, deleted: bool) -> Result<Option<Vec<Listed>>, RemoteError> {
    let mut out: Vec<Listed> = Vec::new();
    let mut seen: HashSet<(String, i32)> = HashSet::new();
    loop {
        let path = format!(
            "/schemas?deleted={deleted}&offset={}&limit={PAGE}",
            out.len()
        );
        let page = match remote.send(Method::GET, &path, None).await? {
            (200, body) => match serde_json::from_value::<Vec<Listed>>(body) {
                Ok(page) => page,
                Err(_) => return Ok(None),
            },
            _ => return Ok(None),
        };
        let len = page.len();
        let mut fresh = 0;
        for item in page {
            if seen.insert((item.subject.clone(), item.version)) {
                fresh += 1;
                out.push(item);
            }
        }
        if len != PAGE || fresh < len {
            return Ok(Some(out));
        }
    }
}

/// A subject's versions, each read on its own.
async fn one_by_one(remote: &Remote, subject: &str) -> Result<Vec<Version>, RemoteError> {
    let s = encode(subject);
    let all: Vec<i32> = from_json(
        remote
            .get(&format!("/subjects/{s}/versions?deleted=true"), false)
            .await?,
        "versions",
    )?;
    let live: HashSet<i32> = match remote.get(&format!("/subjects/{s}/versions"), true).await? {
        Some(v) => from_json::<Vec<i32>>(Some(v), "versions")?
            .into_iter()
            .collect(),
        None => HashSet::new(),
    };
    let mut versions = Vec::with_capacity(all.len());
    for version in all {
        let body = remote
            .get(
                &format!("/subjects/{s}/versions/{version}?deleted=true"),
                false,
            )
            .await?;
        let shown: Shown = from_json(body, "a version")?;
        let deleted = !live.contains(&version);
        versions.push(shown.into_version(subject.to_string(), version, deleted));
    }
    Ok(versions)
}

/// An item of `GET /schemas`: the fields this copy keeps.
#[derive(serde::Deserialize)]
struct Listed {
    subject: String,
    version: i32,
    #[serde(flatten)]
    shown: Shown,
}

pub fn version_record(v: &Version) -> Record {
    Record::Schema {
        subject: v.subject.clone(),
        version: v.version,
        value: Some(SchemaValue {
            subject: v.subject.clone(),
            version: v.version,
            id: v.id,
            schema_type: v.schema_type.clone(),
            references: v.references.clone(),
            schema: v.schema.clone(),
            metadata: v.metadata.clone(),
            rule_set: v.rule_set.clone(),
            deleted: v.deleted,
            ts: v.ts,
        }),
    }
}

/// The fields of a version this copy keeps.
#[derive(serde::Deserialize)]
struct Shown {
    id: u32,
    #[serde(rename = "schemaType")]
    schema_type: Option<String>,
    schema: String,
    references: Option<Vec<Reference>>,
    metadata: Option<Metadata>,
    #[serde(rename = "ruleSet")]
    rule_set: Option<RuleSet>,
    ts: Option<i64>,
}

impl Shown {
    fn into_version(self, subject: String, version: i32, deleted: bool) -> Version {
        Version {
            subject,
            version,
            id: self.id,
            schema_type: self.schema_type.unwrap_or_else(|| "AVRO".into()),
            schema: self.schema,
            references: self.references.unwrap_or_default(),
            metadata: self.metadata,
            rule_set: self.rule_set,
            deleted,
            ts: self.ts,
        }
    }
}

fn from_json<T: serde::de::DeserializeOwned>(
    v: Option<Value>,
    what: &str,
) -> Result<T, RemoteError> {
    let v = v.unwrap_or(Value::Null);
    serde_json::from_value(v.clone())
        .map_err(|e| RemoteError(format!("unexpected answer for {what}: {e}: {v}")))
}

/// An error with its causes, as `reqwest` keeps the reason (a refused certificate, a refused
/// connection) in its source chain: "error sending request: ...: invalid peer certificate".
fn causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text = format!("{text}: {cause_text}");
        }
        source = cause.source();
    }
    text
}

/// A config as GET /config answers it, as the record stores it.
fn config_value(v: Value, subject: Option<&str>) -> Result<ConfigValue, RemoteError> {
    let mut value: ConfigValue = from_json(Some(v), "a config")?;
    value.subject = subject.map(str::to_string);
    Ok(value)
}

fn mode_of(v: Value) -> Result<Mode, RemoteError> {
    let text = v["mode"]
        .as_str()
        .ok_or_else(|| RemoteError(format!("unexpected answer for a mode: {v}")))?;
    text.parse()
        .map_err(|()| RemoteError(format!("unknown mode '{text}'")))
}

/// By id, then subject and version; a version whose references are not written yet waits
/// until they are (a reference to a version that is not there goes last, and the target
/// says what is wrong with it).
fn write_order(mut versions: Vec<Version>) -> Vec<Version> {
    versions.sort_by(|a, b| (a.id, &a.subject, a.version).cmp(&(b.id, &b.subject, b.version)));
    let present: HashSet<(String, i32)> = versions
        .iter()
        .map(|v| (v.subject.clone(), v.version))
        .collect();
    let mut written: HashSet<(String, i32)> = HashSet::new();
    let mut out = Vec::with_capacity(versions.len());
    let mut waiting = versions;
    loop {
        let before = waiting.len();
        let mut still = Vec::new();
        for v in waiting {
            let ready = v.references.iter().all(|r| {
                let key = (r.subject.clone(), r.version);
                written.contains(&key) || !present.contains(&key)
            });
            if ready {
                written.insert((v.subject.clone(), v.version));
                out.push(v);
            } else {
                still.push(v);
            }
        }
        waiting = still;
        if waiting.is_empty() || waiting.len() == before {
            break;
        }
    }
    out.extend(waiting);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(subject: &str, id: u32, refs: &[(&str, i32)]) -> Version {
        Version {
            subject: subject.into(),
            version: 1,
            id,
            schema_type: "AVRO".into(),
            schema: "\"int\"".into(),
            references: refs
                .iter()
                .map(|(s, version)| Reference {
                    name: s.to_string(),
                    subject: s.to_string(),
                    version: *version,
                })
                .collect(),
            metadata: None,
            rule_set: None,
            deleted: false,
            ts: None,
        }
    }

    #[test]
    fn references_are_written_before_what_refers_to_them() {
        let order = write_order(vec![
            v("c", 3, &[]),
            v("a", 1, &[("b", 1)]),
            v("b", 2, &[("c", 1)]),
            v("d", 4, &[("missing", 1)]),
        ]);
        let names: Vec<&str> = order.iter().map(|v| v.subject.as_str()).collect();
        assert_eq!(names, ["c", "d", "b", "a"]);
    }
}
