//! Registering a schema under a subject, and looking one up.
//!
//! Producers call register with the same schema at every start, so the common case must be
//! cheap: a schema text seen before (in the same spelling) is recognised from a hash of the
//! request, with no parse and no lock, and answered from the published state. Only a new
//! schema is parsed, checked and written.

use std::borrow::Cow;
use std::sync::Arc;

use compat::{Dependency, ParseOptions, Reference, SchemaType};
use md5::{Digest, Md5};

use super::config::has_defaults_or_overrides;
use super::contract::{self, Contract};
use super::metrics::Registration;
use super::write::{Operation, Write};
use super::{
    check_subject, context, dependencies, now_ms, Registry, State, StoredSchema, SubjectVersion,
};
use crate::error::ApiError;
use crate::storage::{Record, SchemaValue};

/// Most raw spellings remembered; beyond it new spellings are parsed every time.
const MAX_SPELLINGS: usize = 1_000_000;

/// The body of register, lookup and compatibility requests.
#[derive(Debug, Clone, Default)]
pub struct RegisterRequest {
    pub schema: Option<String>,
    pub schema_type: Option<String>,
    pub references: Vec<Reference>,
    /// Explicit version: must be the next one (or anything in IMPORT mode); `-1` = latest.
    pub version: Option<i32>,
    /// Explicit id: IMPORT mode only.
    pub id: Option<i32>,
    /// The data contract sent with the schema (in Confluent's canonical form).
    pub contract: Contract,
}

impl RegisterRequest {
    /// Whether the request carries a schema (else it re-uses the latest: `with_schema_or_latest`).
    fn has_schema(&self) -> bool {
        self.schema.as_deref().is_some_and(|s| !s.trim().is_empty())
    }

    /// Whether the request names a version (Confluent sets `confluent:version` then).
    fn names_version(&self) -> bool {
        self.version.is_some_and(|v| v != 0)
    }

    /// The explicit id, when the request gives one (negative ids mean none, as in Confluent).
    fn explicit_id(&self) -> Option<u32> {
        self.id.and_then(|id| u32::try_from(id).ok())
    }
}

/// The outcome of a registration.
#[derive(Debug, Clone)]
pub struct Registered {
    pub version: i32,
    pub ts: i64,
    pub schema: Arc<StoredSchema>,
    /// Whether this request wrote a new version (not: the subject held the schema already).
    pub created: bool,
    /// Whether what is stored differs from what was sent (the schema filled in from the
    /// previous version, or the data contract merged): Confluent 7.x then answers with the
    /// whole schema instead of the id alone.
    pub modified: bool,
}

/// A request's schema, parsed and ready to compare or store.
pub(crate) struct Candidate {
    pub(crate) schema_type: SchemaType,
    pub(crate) parsed: compat::Schema,
    pub(crate) references: Vec<Reference>,
    /// MD5 of the canonical text and references, without the data contract.
    pub(crate) content: [u8; 16],
}

impl Candidate {
    /// Confluent's identity of this schema with `contract`.
    fn identity(&self, contract: &Contract) -> [u8; 16] {
        compat::identity_with_contract(
            self.parsed.canonical(),
            &self.references,
            contract.metadata.as_ref(),
            contract.rule_set.as_ref(),
        )
    }
}

impl Registry {
    /// `POST /subjects/{subject}/versions`.
    pub async fn register(
        &self,
        subject: &str,
        request: &RegisterRequest,
        normalize: bool,
    ) -> Result<Registered, ApiError> {
        let result = self.register_once(subject, request, normalize).await;
        match &result {
            Ok((_, outcome)) => self.inner.metrics.registration(*outcome),
            Err(e) => self.inner.metrics.registration_failed(e),
        }
        result.map(|(registered, _)| registered)
    }

    async fn register_once(
        &self,
        subject: &str,
        request: &RegisterRequest,
        normalize: bool,
    ) -> Result<(Registered, Registration), ApiError> {
        if let Some(rules) = &request.contract.rule_set {
            contract::validate(rules)?;
        }
        check_subject(subject, false)?;
        let snapshot = self.snapshot();
        // An import keeps the text it copies: never normalized (Confluent since July 2026).
        let importing = request.explicit_id().is_some();
        let normalize = !importing && (normalize || self.effective_normalize(&snapshot, subject));
        let sent = &request.contract;
        if request.has_schema() {
            if let Some(found) =
                self.already_registered(&snapshot, subject, request, sent, normalize)
            {
                return Ok((registered(found, false, sent), Registration::Existing));
            }
        }
        let (request, filled) = with_schema_or_latest(&snapshot, subject, request)?;
        // Validation is skipped for imports, as Confluent does: they copy what another
        // registry already accepted.
        let candidate = self.candidate(&snapshot, subject, &request, normalize, !importing)?;
        if !importing {
            self.check_fields(&snapshot, subject, &candidate.parsed)?;
        }
        let operation = if importing {
            Operation::Import
        } else {
            Operation::Register
        };
        let mut write = self.begin(operation, Some(subject)).await?;
        write.permit()?;
        // Imports keep the contract they carry, as Confluent's IMPORT mode does.
        let contract = if importing {
            sent.clone()
        } else {
            let next = next_version(write.state(), subject);
            self.merged_contract(write.state(), subject, &request, sent, Some(next))
        };
        let identity = candidate.identity(&contract);
        // Found in the writer's state, it may be a registration still in flight: answered
        // once that is durable (`settle`).
        if let Some(found) = existing_version(write.state(), subject, &request, identity) {
            self.settle(write).await?;
            return Ok((registered(found, filled, sent), Registration::Existing));
        }
        if !importing && request.version.unwrap_or(0) == 0 {
            let state = write.state();
            let same = |s: &StoredSchema| {
                s.content() == candidate.content && s.schema_type == candidate.schema_type
            };
            if let Some(found) = find_matching(state, subject, same, &contract, false, false) {
                self.settle(write).await?;
                return Ok((registered(found, filled, sent), Registration::Existing));
            }
        }
        if !importing {
            let report = self.check_against_history(
                write.state(),
                subject,
                &candidate.parsed,
                contract.metadata.as_ref(),
            )?;
            if !report.details.is_empty() {
                return Err(ApiError::Incompatible {
                    subject: subject.to_string(),
                    details: report.details,
                });
            }
        }
        let version = new_version(write.state(), subject, &request)?;
        let id = assign_id(&mut write, subject, &request, identity).await?;
        if importing {
            if let Some(done) = imported_before(write.state(), subject, version, id)? {
                self.settle(write).await?;
                return Ok((done, Registration::Existing));
            }
        }
        let ts = now_ms();
        let records = registration(
            write.state(),
            subject,
            version,
            id,
            ts,
            &candidate,
            contract,
        );
        self.commit(write, records).await?;
        let schema = self
            .snapshot()
            .schema(subject, id)
            .cloned()
            .expect("a committed registration is published");
        // The candidate's parsed form is not kept with the schema: at about 4 KB for a small
        // Avro record, keeping it made a registered schema cost four times a replayed one.
        // A compatibility check that needs it parses it then (`Registry::parsed`).
        let registered = Registered {
            version,
            ts,
            modified: filled || contract_differs(&schema, sent),
            schema,
            created: true,
        };
        Ok((registered, Registration::New))
    }

    /// The contract a registration of `request` under `subject` stores, against `state`: see
    /// [`contract::effective`]. `new_version` is `None` for lookups, which leave
    /// `confluent:version` as it is.
    fn merged_contract(
        &self,
        state: &State,
        subject: &str,
        request: &RegisterRequest,
        sent: &Contract,
        new_version: Option<i32>,
    ) -> Contract {
        let config = self.config_in_scope(state, subject);
        let previous = state
            .latest_live(subject)
            .and_then(|(_, info)| state.schema(subject, info.id));
        contract::effective(
            &config,
            sent,
            request.names_version(),
            previous.map(|p| &**p),
            new_version,
        )
    }

    /// The fast path: the subject already holds this schema, known in this spelling (no parse,
    /// no lock), with the data contract a registration would store (or, as Confluent's first
    /// lookup does, the one sent), and the request's explicit id and version, if any, agree.
    fn already_registered(
        &self,
        state: &State,
        subject: &str,
        request: &RegisterRequest,
        sent: &Contract,
        normalize: bool,
    ) -> Option<SubjectVersion> {
        if request.version.is_some_and(|v| v > 0) {
            return None;
        }
        let latest_only = request.version == Some(-1);
        // Confluent looks the request up as sent only where no config default or override
        // would change its contract.
        let config = self.stored_config(state, Some(subject));
        let as_sent = (!config.is_some_and(has_defaults_or_overrides))
            .then(|| self.known(state, subject, request, normalize, sent, false, latest_only))
            .flatten();
        let found = as_sent.or_else(|| {
            if request.version.is_some() || request.explicit_id().is_some() {
                return None;
            }
            let next = next_version(state, subject);
            let merged = self.merged_contract(state, subject, request, sent, Some(next));
            (merged != *sent)
                .then(|| self.known(state, subject, request, normalize, &merged, false, false))
                .flatten()
        })?;
        let id_agrees = request.explicit_id().is_none_or(|id| id == found.schema.id);
        id_agrees.then_some(found)
    }

    /// `POST /subjects/{subject}`: the registration of this schema under the subject, matched
    /// with the contract sent and then, as Confluent does, with the contract a registration
    /// would merge from the config and the latest version.
    pub fn lookup(
        &self,
        subject: &str,
        request: &RegisterRequest,
        normalize: bool,
        deleted: bool,
    ) -> Result<SubjectVersion, ApiError> {
        let snapshot = self.snapshot();
        let has_versions = snapshot
            .versions(subject)
            .is_some_and(|vs| vs.values().any(|i| deleted || !i.deleted));
        if !has_versions {
            return Err(ApiError::SubjectNotFound(subject.to_string()));
        }
        // An import keeps the text it copies: never normalized (Confluent since July 2026).
        let importing = request.explicit_id().is_some();
        let normalize = !importing && (normalize || self.effective_normalize(&snapshot, subject));
        let sent = &request.contract;
        let mut contracts = vec![sent.clone()];
        if snapshot.latest_live(subject).is_some() {
            let merged = self.merged_contract(&snapshot, subject, request, sent, None);
            if merged != *sent {
                contracts.push(merged);
            }
        }
        for contract in &contracts {
            if let Some(found) = self.known(
                &snapshot, subject, request, normalize, contract, deleted, false,
            ) {
                return Ok(found);
            }
        }
        let candidate = self.candidate(&snapshot, subject, request, normalize, false)?;
        let same = |s: &StoredSchema| {
            s.content() == candidate.content && s.schema_type == candidate.schema_type
        };
        contracts
            .iter()
            .find_map(|c| find_matching(&snapshot, subject, same, c, deleted, false))
            .ok_or(ApiError::SchemaNotFound)
    }

    /// The subject version holding a schema already known in this spelling with a contract
    /// `contract` matches, if any: no parse.
    #[allow(clippy::too_many_arguments)]
    fn known(
        &self,
        state: &State,
        subject: &str,
        request: &RegisterRequest,
        normalize: bool,
        contract: &Contract,
        deleted: bool,
        latest_only: bool,
    ) -> Option<SubjectVersion> {
        let text = request.schema.as_deref()?;
        let schema_type = schema_type(request).ok()?;
        if request.references.iter().any(|r| r.version <= 0) {
            return None; // "latest" references can mean something new each time
        }
        // Clients that send the canonical text (Java serializers do) match the content directly.
        if !normalize {
            let content = compat::identity(text, &request.references);
            let same = |s: &StoredSchema| {
                s.content() == content && s.schema_type == schema_type && s.text.is(text)
            };
            let found = find_matching(state, subject, same, contract, deleted, latest_only);
            if found.is_some() {
                return found;
            }
        }
        let key = spelling(schema_type, text, &request.references, normalize);
        let content = self.inner.spellings.load().get(&key).copied()?;
        let same = |s: &StoredSchema| s.content() == content && s.schema_type == schema_type;
        find_matching(state, subject, same, contract, deleted, latest_only)
    }

    /// Parses a request's schema for `subject` (with its references resolved in the subject's
    /// context) into a candidate.
    pub(crate) fn candidate(
        &self,
        state: &State,
        subject: &str,
        request: &RegisterRequest,
        normalize: bool,
        validate: bool,
    ) -> Result<Candidate, ApiError> {
        let schema_type = schema_type(request)?;
        let text = request
            .schema
            .as_deref()
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| ApiError::InvalidSchema("Empty schema".into()))?;
        let mut references = Vec::with_capacity(request.references.len());
        for r in &request.references {
            references.push(resolve_reference(state, subject, r)?);
        }
        if normalize {
            references.sort_by(|a, b| {
                (&a.name, &a.subject, a.version).cmp(&(&b.name, &b.subject, b.version))
            });
            references.dedup();
        }
        let deps = dependencies(state, context::context_of(subject), &references, false)?;
        let texts: Vec<_> = deps.iter().map(|(_, s)| s.text.as_str()).collect();
        let deps: Vec<Dependency<'_>> = deps
            .iter()
            .zip(&texts)
            .map(|((name, _), text)| Dependency { name, schema: text })
            .collect();
        let options = ParseOptions {
            normalize,
            validate,
        };
        let parsed = compat::parse(schema_type, text, &deps, options).map_err(|e| {
            ApiError::InvalidSchema(format!(
                "Invalid schema of type {schema_type}, details: {e}"
            ))
        })?;
        let content = compat::identity(parsed.canonical(), &references);
        // A spelling is remembered only when `known` cannot find the schema without it: the
        // canonical text itself (what Java serializers send) is found by its content.
        let found_directly =
            !normalize && text == parsed.canonical() && request.references == references;
        if !found_directly && request.references.iter().all(|r| r.version > 0) {
            let key = spelling(schema_type, text, &request.references, normalize);
            self.inner.spellings.rcu(|map| {
                let mut map = (**map).clone();
                if map.len() < MAX_SPELLINGS {
                    map.insert(key, content);
                }
                map
            });
        }
        Ok(Candidate {
            schema_type,
            parsed,
            references,
            content,
        })
    }
}

/// The newest version of `subject` (live only unless `deleted`; the latest live one only when
/// `latest_only`) whose schema is `same` and whose contract `contract` matches
/// ([`contract::matches`]). The newest is tried first: re-registering the latest version is the
/// common case.
fn find_matching(
    state: &State,
    subject: &str,
    same: impl Fn(&StoredSchema) -> bool,
    contract: &Contract,
    deleted: bool,
    latest_only: bool,
) -> Option<SubjectVersion> {
    let versions = state.versions(subject)?;
    let candidates = versions
        .iter()
        .rev()
        .filter(|(_, i)| deleted || !i.deleted)
        .take(if latest_only { 1 } else { usize::MAX });
    for (version, info) in candidates {
        let Some(schema) = state.schema(subject, info.id) else {
            continue;
        };
        if same(schema) && contract::matches(contract, schema, *version) {
            return Some(SubjectVersion {
                subject: subject.to_string(),
                version: *version,
                info: *info,
                schema: schema.clone(),
            });
        }
    }
    None
}

/// The subject version already holding the schema with this identity (with the explicit id,
/// when one is given), when the request asks for no other version number.
fn existing_version(
    state: &State,
    subject: &str,
    request: &RegisterRequest,
    identity: [u8; 16],
) -> Option<SubjectVersion> {
    let id = state
        .id_of(subject, &identity)
        .filter(|id| request.explicit_id().is_none_or(|e| e == *id))?;
    let found = find_version(state, subject, id, false)?;
    request
        .version
        .is_none_or(|v| v <= 0 || v == found.version)
        .then_some(found)
}

/// The number after every version of the subject, soft-deleted ones included.
fn next_version(state: &State, subject: &str) -> i32 {
    state
        .versions(subject)
        .and_then(|vs| vs.keys().next_back().copied())
        .unwrap_or(0)
        + 1
}

/// The version number the registration gets: the next one, or (importing) the one asked for.
fn new_version(state: &State, subject: &str, request: &RegisterRequest) -> Result<i32, ApiError> {
    let next = next_version(state, subject);
    match request.version {
        Some(v) if v > 0 && request.explicit_id().is_some() => Ok(v),
        Some(v) if v > 0 && v != next => Err(ApiError::InvalidSchema(
            "Version is not one more than previous version".into(),
        )),
        _ => Ok(next),
    }
}

/// The schema's id: the explicit one (never another schema's), the one its identity already
/// has, or a new one.
async fn assign_id(
    write: &mut Write,
    subject: &str,
    request: &RegisterRequest,
    identity: [u8; 16],
) -> Result<u32, ApiError> {
    if let Some(id) = request.explicit_id() {
        if let Some(other) = write.state().schema(subject, id) {
            if other.identity != identity {
                return Err(overwrite_refused(id));
            }
        }
        return Ok(id);
    }
    match write.state().id_of(subject, &identity) {
        Some(id) => Ok(id),
        None => write.new_id(context::context_of(subject)).await,
    }
}

/// An import of a version that exists: done already when it holds the same id, else refused.
fn imported_before(
    state: &State,
    subject: &str,
    version: i32,
    id: u32,
) -> Result<Option<Registered>, ApiError> {
    let Some(info) = state.versions(subject).and_then(|vs| vs.get(&version)) else {
        return Ok(None);
    };
    if info.id != id {
        return Err(overwrite_refused(id));
    }
    Ok(Some(Registered {
        version,
        ts: info.ts,
        schema: state
            .schema(subject, id)
            .cloned()
            .ok_or(ApiError::SchemaNotFound)?,
        created: false,
        modified: false,
    }))
}

fn overwrite_refused(id: u32) -> ApiError {
    ApiError::OperationNotPermitted(format!(
        "Overwrite new schema with id {id} is not permitted."
    ))
}

/// The records of a registration: the new version, after dropping for good any older
/// soft-deleted version holding the same id that nothing references (Confluent #846).
fn registration(
    state: &State,
    subject: &str,
    version: i32,
    id: u32,
    ts: i64,
    candidate: &Candidate,
    contract: Contract,
) -> Vec<Record> {
    let mut records: Vec<Record> = state
        .versions(subject)
        .map(|vs| {
            vs.iter()
                .filter(|(v, i)| {
                    i.deleted && i.id == id && state.referrers(subject, **v).is_empty()
                })
                .map(|(v, _)| Record::Schema {
                    subject: subject.to_string(),
                    version: *v,
                    value: None,
                })
                .collect()
        })
        .unwrap_or_default();
    // A context's first registration records it, as Confluent writes a CONTEXT record.
    let ctx = context::context_of(subject);
    let recorded = state.contexts.get(ctx).is_some_and(|c| c.recorded);
    if ctx != context::DEFAULT && !recorded {
        records.push(Record::Context {
            context: ctx.to_string(),
            exists: true,
        });
    }
    records.push(Record::Schema {
        subject: subject.to_string(),
        version,
        value: Some(SchemaValue {
            subject: subject.to_string(),
            version,
            id,
            schema_type: candidate.schema_type.as_str().to_string(),
            references: candidate.references.clone(),
            schema: candidate.parsed.canonical().to_string(),
            metadata: contract.metadata,
            rule_set: contract.rule_set,
            deleted: false,
            ts: Some(ts),
        }),
    });
    records
}

/// A request without a schema re-uses the subject's latest live schema (Confluent 7.4+): a way
/// to give the subject new metadata or rules. Says whether it did.
fn with_schema_or_latest<'r>(
    state: &State,
    subject: &str,
    request: &'r RegisterRequest,
) -> Result<(Cow<'r, RegisterRequest>, bool), ApiError> {
    if request.has_schema() {
        return Ok((Cow::Borrowed(request), false));
    }
    let (_, latest) = state
        .latest_live(subject)
        .ok_or_else(|| ApiError::InvalidSchema("Empty schema".into()))?;
    let schema = state
        .schema(subject, latest.id)
        .ok_or_else(|| ApiError::InvalidSchema("Empty schema".into()))?;
    let mut request = request.clone();
    request.schema = Some(schema.text.as_str().into_owned());
    request.schema_type = Some(schema.schema_type.as_str().to_string());
    request.references = schema.references().to_vec();
    Ok((Cow::Owned(request), true))
}

/// The request's schema type: `AVRO` when absent; case-sensitive, as Confluent.
pub(crate) fn schema_type(request: &RegisterRequest) -> Result<SchemaType, ApiError> {
    match request.schema_type.as_deref() {
        None => Ok(SchemaType::Avro),
        Some(name) => name
            .parse()
            .map_err(|()| ApiError::InvalidSchema(format!("Invalid schema type {name}"))),
    }
}

/// A reference (of a schema for `subject`) with `version: -1` pinned to the latest live
/// version; every part required.
fn resolve_reference(state: &State, subject: &str, r: &Reference) -> Result<Reference, ApiError> {
    if r.name.is_empty() || r.subject.is_empty() {
        return Err(ApiError::InvalidSchema(format!(
            "Invalid reference: name and subject are required in {{name={}, subject={}, version={}}}",
            r.name, r.subject, r.version
        )));
    }
    if r.version != -1 {
        return Ok(r.clone());
    }
    let target = context::qualify_reference(context::context_of(subject), &r.subject);
    let (version, _) = state.latest_live(&target).ok_or_else(|| {
        ApiError::InvalidSchema(format!(
            "Invalid schema, details: No schema reference found for subject \"{}\" and version -1",
            r.subject
        ))
    })?;
    Ok(Reference {
        version,
        ..r.clone()
    })
}

/// The newest version of `subject` holding `id` (live only unless `deleted`).
fn find_version(state: &State, subject: &str, id: u32, deleted: bool) -> Option<SubjectVersion> {
    let (version, info) = state
        .versions(subject)?
        .iter()
        .rev()
        .find(|(_, i)| i.id == id && (deleted || !i.deleted))?;
    Some(SubjectVersion {
        subject: subject.to_string(),
        version: *version,
        info: *info,
        schema: state.schema(subject, id)?.clone(),
    })
}

/// The answer for a version already there; `filled` when the request's schema was taken from
/// the latest version.
fn registered(found: SubjectVersion, filled: bool, sent: &Contract) -> Registered {
    Registered {
        version: found.version,
        ts: found.info.ts,
        modified: filled || contract_differs(&found.schema, sent),
        schema: found.schema,
        created: false,
    }
}

fn contract_differs(schema: &StoredSchema, sent: &Contract) -> bool {
    schema.metadata() != sent.metadata.as_ref() || schema.rule_set() != sent.rule_set.as_ref()
}

/// Hash of everything that decides what a request's text means.
fn spelling(
    schema_type: SchemaType,
    text: &str,
    references: &[Reference],
    normalize: bool,
) -> [u8; 16] {
    let mut md5 = Md5::new();
    md5.update([schema_type as u8, normalize as u8]);
    md5.update(text.as_bytes());
    for r in references {
        md5.update([0]);
        md5.update(r.name.as_bytes());
        md5.update([0]);
        md5.update(r.subject.as_bytes());
        md5.update(r.version.to_be_bytes());
    }
    md5.finalize().into()
}
