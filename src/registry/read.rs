//! Reads: everything here answers from the published in-memory state.

use std::collections::{BTreeMap, VecDeque};
use std::ops::Bound;
use std::sync::Arc;

use bytes::Bytes;
use compat::SchemaType;

use super::context::{self, Scope};
use super::{Registry, State, StoredSchema, SubjectVersion, VersionSpec};
use crate::error::ApiError;

/// Filters of `GET /schemas`.
#[derive(Debug, Clone, Default)]
pub struct SchemaFilter {
    pub subject_prefix: String,
    pub deleted: bool,
    pub latest_only: bool,
    /// Only schemas with a rule of this type (in any phase).
    pub rule_type: Option<String>,
}

/// Which versions a listing includes.
#[derive(Debug, Clone, Copy, Default)]
pub struct DeletedFilter {
    /// Include soft-deleted versions.
    pub deleted: bool,
    /// Only soft-deleted versions (wins over `deleted`).
    pub deleted_only: bool,
}

impl DeletedFilter {
    fn admits(self, deleted: bool) -> bool {
        if self.deleted_only {
            deleted
        } else {
            self.deleted || !deleted
        }
    }
}

impl Registry {
    /// `GET /schemas/types`, in Confluent's order.
    pub fn schema_types(&self) -> Vec<&'static str> {
        [SchemaType::Json, SchemaType::Protobuf, SchemaType::Avro]
            .into_iter()
            .map(SchemaType::as_str)
            .collect()
    }

    /// The subject version a by-id request lands on, soft-deleted ones included: the id in
    /// `subject`'s context (any subject of it when the name is a context alone, `:.ctx:`), else,
    /// for an unqualified subject, the id under that subject in each other context, else any
    /// holder of the id in the default context (Confluent's `getSchemaKeyUsingContexts`).
    pub fn schema_by_id(&self, id: i64, subject: Option<&str>) -> Result<SubjectVersion, ApiError> {
        let state = self.snapshot();
        u32::try_from(id)
            .ok()
            .and_then(|id| locate(&state, id, subject))
            .ok_or_else(|| ApiError::SchemaIdNotFound(id.to_string()))
    }

    /// The hot path of every deserializer: a response body kept with the schema, built by
    /// `build` the first time. Without a subject, it looks in the default context only and
    /// touches no shared reference count but the body's own.
    pub fn schema_body_by_id(
        &self,
        id: i64,
        subject: Option<&str>,
        build: impl FnOnce(&StoredSchema) -> Bytes,
    ) -> Result<Bytes, ApiError> {
        let not_found = || ApiError::SchemaIdNotFound(id.to_string());
        let Some(subject) = subject else {
            let state = self.inner.published.load();
            let schema = u32::try_from(id)
                .ok()
                .and_then(|id| state.ids.schema(id))
                .ok_or_else(not_found)?;
            return Ok(schema.id_body(build).clone());
        };
        let found = self.schema_by_id(id, Some(subject))?;
        Ok(found.schema.id_body(build).clone())
    }

    /// The schema whose identity, printed as a UUID, is `guid`: in the default context, else
    /// in the first other context holding it. Its context comes with it.
    pub fn schema_by_guid(&self, guid: &str) -> Result<(String, Arc<StoredSchema>), ApiError> {
        self.ids_of_guid(guid)?
            .into_iter()
            .next()
            .ok_or_else(|| ApiError::SchemaIdNotFound(guid.to_string()))
    }

    /// `GET /schemas/guids/{guid}/ids`: the schema with this identity in each context holding it.
    pub fn ids_of_guid(&self, guid: &str) -> Result<Vec<(String, Arc<StoredSchema>)>, ApiError> {
        let hex: String = guid.chars().filter(|c| *c != '-').collect();
        let mut identity = [0u8; 16];
        let parsed = hex.len() == 32
            && identity.iter_mut().enumerate().all(|(i, b)| {
                u8::from_str_radix(hex.get(2 * i..2 * i + 2).unwrap_or("zz"), 16)
                    .map(|v| *b = v)
                    .is_ok()
            });
        let state = self.snapshot();
        let found: Vec<(String, Arc<StoredSchema>)> = if parsed {
            state
                .spaces()
                .filter_map(|(ctx, space)| {
                    let id = space.id_of(&identity)?;
                    Some((ctx.to_string(), space.schema(id)?.clone()))
                })
                .collect()
        } else {
            Vec::new()
        };
        if found.is_empty() {
            return Err(ApiError::SchemaIdNotFound(guid.to_string()));
        }
        Ok(found)
    }

    /// The schema text in a requested `format`: `serialized` turns Protobuf into a base64
    /// `FileDescriptorProto`; `resolved` defines an Avro schema's referenced types inline.
    /// `None` means the stored text (other formats, and `resolved` of a schema without
    /// references, which is the stored text, are ignored, as Confluent ignores them).
    /// `subject` holds the schema: its references are read in its context.
    pub fn formatted(
        &self,
        subject: &str,
        schema: &StoredSchema,
        format: Option<&str>,
    ) -> Result<Option<String>, ApiError> {
        let wanted = match (format, schema.schema_type) {
            (Some("serialized"), SchemaType::Protobuf) => true,
            (Some("resolved"), SchemaType::Avro) => !schema.references().is_empty(),
            _ => false,
        };
        if !wanted {
            return Ok(None);
        }
        let context = context::context_of(subject);
        match &*self.parsed(&self.snapshot(), context, schema)? {
            compat::Schema::Protobuf(p) => Ok(Some(p.to_serialized_base64())),
            compat::Schema::Avro(a) => Ok(Some(a.resolved())),
            _ => Ok(None),
        }
    }

    /// `GET /schemas/ids/{id}/versions`: the subject versions using an id, in the context a
    /// by-id request with `subject` lands in.
    pub fn versions_of_id(
        &self,
        id: i64,
        subject: Option<&str>,
        deleted: bool,
    ) -> Result<Vec<(String, i32)>, ApiError> {
        let state = self.snapshot();
        let located = u32::try_from(id)
            .ok()
            .and_then(|id| Some((id, locate(&state, id, subject)?)))
            .ok_or(ApiError::SchemaNotFound)?;
        let (id, at) = located;
        let users = state
            .space_of(&at.subject)
            .and_then(|space| space.users(id))
            .ok_or(ApiError::SchemaNotFound)?;
        Ok(users
            .iter()
            .filter(|(s, v)| {
                deleted
                    || state
                        .versions(s)
                        .and_then(|vs| vs.get(v))
                        .is_some_and(|i| !i.deleted)
            })
            .map(|(s, v)| (s.to_string(), v))
            .collect())
    }

    /// `GET /schemas/ids/{id}/subjects`.
    pub fn subjects_of_id(
        &self,
        id: i64,
        subject: Option<&str>,
        deleted: bool,
    ) -> Result<Vec<String>, ApiError> {
        let mut subjects: Vec<String> = self
            .versions_of_id(id, subject, deleted)?
            .into_iter()
            .map(|(s, _)| s)
            .collect();
        subjects.dedup();
        Ok(subjects)
    }

    /// The highest id of a context (`.` the default one).
    pub fn max_id(&self, context: &str) -> u32 {
        self.snapshot().space(context).map_or(0, |s| s.max_id)
    }

    /// `GET /schemas`: versions across subjects, ordered by subject then version.
    pub fn list_schemas(&self, filter: &SchemaFilter) -> Vec<SubjectVersion> {
        let state = self.snapshot();
        let mut out = Vec::new();
        let scope = Scope::of(&filter.subject_prefix);
        for (subject, versions) in state
            .subjects
            .range::<_, str>((Bound::Included(scope.start()), Bound::Unbounded))
        {
            if scope.past(subject) {
                break;
            }
            if !scope.admits(subject) {
                continue;
            }
            let chosen: Vec<(&i32, &super::VersionInfo)> = if filter.latest_only {
                versions
                    .iter()
                    .rev()
                    .find(|(_, i)| !i.deleted)
                    .into_iter()
                    .collect()
            } else {
                versions
                    .iter()
                    .filter(|(_, i)| filter.deleted || !i.deleted)
                    .collect()
            };
            for (v, info) in chosen {
                let schema = state.schema(subject, info.id).filter(|s| {
                    filter.rule_type.as_deref().is_none_or(|t| {
                        s.rule_set()
                            .is_some_and(|rs| rs.rules().any(|r| r.rule_type.as_deref() == Some(t)))
                    })
                });
                if let Some(schema) = schema {
                    out.push(SubjectVersion {
                        subject: subject.to_string(),
                        version: *v,
                        info: *info,
                        schema: schema.clone(),
                    });
                }
            }
        }
        out
    }

    /// `GET /subjects`: subjects `prefix` selects (see [`Scope`]) with a version the filter
    /// admits, sorted, read from one snapshot a batch at a time (a million names need not be
    /// copied at once).
    pub fn list_subjects(&self, prefix: &str, filter: DeletedFilter) -> SubjectNames {
        let scope = Scope::of(prefix);
        SubjectNames {
            state: self.snapshot(),
            next: Bound::Included(scope.start().into()),
            scope,
            filter,
            batch: VecDeque::new(),
        }
    }

    /// `GET /subjects/{subject}/versions`; soft-deleted versions as negative numbers when
    /// `as_negative`.
    pub fn list_versions(
        &self,
        subject: &str,
        filter: DeletedFilter,
        as_negative: bool,
    ) -> Result<Vec<i32>, ApiError> {
        let state = self.snapshot();
        let versions: Vec<i32> = state
            .versions(subject)
            .map(|vs| {
                vs.iter()
                    .filter(|(_, i)| as_negative || filter.admits(i.deleted))
                    .map(|(v, i)| if as_negative && i.deleted { -v } else { *v })
                    .collect()
            })
            .unwrap_or_default();
        if versions.is_empty() {
            return Err(ApiError::SubjectNotFound(subject.to_string()));
        }
        Ok(versions)
    }

    /// `GET /subjects/{subject}/versions/{version}`.
    /// `GET /subjects/{subject}/metadata`: the newest version (live only unless `deleted`)
    /// whose metadata properties hold every pair asked for.
    pub fn latest_with_metadata(
        &self,
        subject: &str,
        properties: &BTreeMap<String, String>,
        deleted: bool,
    ) -> Result<SubjectVersion, ApiError> {
        let state = self.snapshot();
        let versions = state
            .versions(subject)
            .filter(|vs| vs.values().any(|i| deleted || !i.deleted))
            .ok_or_else(|| ApiError::SubjectNotFound(subject.to_string()))?;
        let found = versions
            .iter()
            .rev()
            .filter(|(_, i)| deleted || !i.deleted)
            .find_map(|(v, info)| {
                let schema = state.schema(subject, info.id)?;
                let has = schema.metadata()?;
                properties
                    .iter()
                    .all(|(k, val)| has.properties.get(k) == Some(val))
                    .then(|| SubjectVersion {
                        subject: subject.to_string(),
                        version: *v,
                        info: *info,
                        schema: schema.clone(),
                    })
            });
        found.ok_or(ApiError::SchemaNotFound)
    }

    pub fn get_version(
        &self,
        subject: &str,
        spec: VersionSpec,
        deleted: bool,
    ) -> Result<SubjectVersion, ApiError> {
        let state = self.snapshot();
        let versions = state
            .versions(subject)
            .filter(|vs| vs.values().any(|i| deleted || !i.deleted))
            .ok_or_else(|| ApiError::SubjectNotFound(subject.to_string()))?;
        let found = match spec {
            // `latest` ignores `deleted`: it is the highest live version.
            VersionSpec::Latest => state
                .latest_live(subject)
                .ok_or(ApiError::VersionNotFound(-1))?,
            VersionSpec::Number(n) => versions
                .get(&n)
                .filter(|i| deleted || !i.deleted)
                .map(|i| (n, *i))
                .ok_or(ApiError::VersionNotFound(n))?,
        };
        let (version, info) = found;
        let schema = state
            .schema(subject, info.id)
            .cloned()
            .ok_or(ApiError::VersionNotFound(version))?;
        Ok(SubjectVersion {
            subject: subject.to_string(),
            version,
            info,
            schema,
        })
    }

    /// `GET /subjects/{subject}/versions/{version}/referencedby`: ids of the schemas that
    /// reference it.
    pub fn referenced_by(&self, subject: &str, spec: VersionSpec) -> Result<Vec<u32>, ApiError> {
        let version = self.get_version(subject, spec, true)?.version;
        Ok(self.snapshot().referrers(subject, version))
    }
}

/// Confluent's `schemaKeyById`: the holder of `id` in `subject`'s context, `subject` itself
/// unless the name is a context alone (`:.ctx:`) or absent (any holder then; the first).
fn holder(state: &State, id: u32, subject: Option<&str>) -> Option<SubjectVersion> {
    let context = subject.map_or(context::DEFAULT, context::context_of);
    let space = state.space(context)?;
    let entry = space.entry(id)?;
    let users = &entry.users;
    let (s, v) = match subject.filter(|s| !context::unqualified(s).is_empty()) {
        // The newest version of the subject holding it.
        Some(subject) => users.iter().rev().find(|(us, _)| *us == subject)?,
        None => users.iter().next()?,
    };
    Some(SubjectVersion {
        subject: s.to_string(),
        version: v,
        info: *state.versions(s)?.get(&v)?,
        schema: entry.schema.clone(),
    })
}

/// Confluent's `getSchemaKeyUsingContexts`: see [`Registry::schema_by_id`].
fn locate(state: &State, id: u32, subject: Option<&str>) -> Option<SubjectVersion> {
    let found = holder(state, id, subject);
    let Some(subject) = subject else {
        return found;
    };
    let name = context::unqualified(subject);
    let qualified = context::context_of(subject) != context::DEFAULT;
    if found.is_some() || qualified || name.is_empty() {
        return found;
    }
    state
        .contexts
        .iter()
        .filter(|(_, c)| c.recorded)
        .find_map(|(ctx, _)| {
            let in_context = format!("{}{name}", context::prefix(ctx));
            holder(state, id, Some(&in_context))
        })
        .or_else(|| holder(state, id, None))
}

/// The subject names of one snapshot that a [`Scope`] selects and have a version a filter
/// admits, in order. Each batch resumes after the last name of the one before.
pub struct SubjectNames {
    state: Arc<State>,
    scope: Scope,
    filter: DeletedFilter,
    /// Where the next batch starts; `Unbounded` once the scope's names are exhausted.
    next: Bound<Arc<str>>,
    batch: VecDeque<Arc<str>>,
}

impl SubjectNames {
    const BATCH: usize = 512;

    fn refill(&mut self) {
        let start = std::mem::replace(&mut self.next, Bound::Unbounded);
        if start == Bound::Unbounded {
            return;
        }
        let range = (start.as_ref().map(|s| &**s), Bound::Unbounded);
        let mut scanned = self.state.subjects.range::<_, str>(range);
        for _ in 0..Self::BATCH {
            let Some((subject, versions)) = scanned.next().filter(|(s, _)| !self.scope.past(s))
            else {
                self.next = Bound::Unbounded;
                return;
            };
            self.next = Bound::Excluded(subject.clone());
            if !self.scope.admits(subject) {
                continue;
            }
            let admitted = if self.filter.deleted_only {
                versions.values().all(|i| i.deleted)
            } else {
                versions.values().any(|i| self.filter.admits(i.deleted))
            };
            if admitted {
                self.batch.push_back(subject.clone());
            }
        }
    }
}

impl Iterator for SubjectNames {
    type Item = String;

    fn next(&mut self) -> Option<String> {
        while self.batch.is_empty() && self.next != Bound::Unbounded {
            self.refill();
        }
        self.batch.pop_front().map(|s| s.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::{Record, SchemaValue};

    /// 3,000 subjects under three prefixes, every third one soft-deleted: several batches.
    fn state() -> Arc<State> {
        let mut state = State::default();
        for n in 0..3000u32 {
            let subject = format!("{}-{n:05}", ["a", "ab", "b"][n as usize % 3]);
            state
                .apply(Record::Schema {
                    subject: subject.clone(),
                    version: 1,
                    value: Some(SchemaValue {
                        subject,
                        version: 1,
                        id: n + 1,
                        schema_type: "AVRO".into(),
                        references: vec![],
                        schema: format!("{{\"type\":\"fixed\",\"name\":\"f\",\"size\":{n}}}"),
                        metadata: None,
                        rule_set: None,
                        deleted: n % 7 == 0,
                        ts: None,
                    }),
                })
                .unwrap();
        }
        Arc::new(state)
    }

    fn names(state: &Arc<State>, prefix: &str, filter: DeletedFilter) -> Vec<String> {
        SubjectNames {
            state: state.clone(),
            scope: Scope::of(prefix),
            filter,
            next: Bound::Included(prefix.into()),
            batch: VecDeque::new(),
        }
        .collect()
    }

    /// What the batches must add up to: every subject, filtered in one pass.
    fn expected(state: &State, prefix: &str, filter: DeletedFilter) -> Vec<String> {
        let mut all: Vec<String> = state
            .subjects
            .iter()
            .filter(|(s, _)| s.starts_with(prefix))
            .filter(|(_, vs)| {
                let deleted = vs.values().next().unwrap().deleted;
                filter.admits(deleted)
            })
            .map(|(s, _)| s.to_string())
            .collect();
        all.sort();
        all
    }

    #[test]
    fn subject_names_come_in_batches_that_add_up_to_the_whole_listing() {
        let state = state();
        let filters = [
            DeletedFilter::default(),
            DeletedFilter {
                deleted: true,
                deleted_only: false,
            },
            DeletedFilter {
                deleted: false,
                deleted_only: true,
            },
        ];
        for prefix in ["", "a", "ab", "b", "c", "a-0001"] {
            for filter in filters {
                let got = names(&state, prefix, filter);
                assert_eq!(got, expected(&state, prefix, filter), "{prefix} {filter:?}");
            }
        }
        assert_eq!(names(&state, "", filters[1]).len(), 3000);
        assert_eq!(names(&state, "a", filters[1]).len(), 2000);
        assert_eq!(
            names(&state, "a-0001", filters[1]),
            ["a-00012", "a-00015", "a-00018"]
        );
    }
}
