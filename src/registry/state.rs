//! The registry's in-memory state: the fold of the stored records.
//!
//! A `State` is an immutable snapshot built from persistent maps (`imbl`), so a writer derives
//! the next one from the last in O(log n) and readers keep using theirs without locks. Replay on
//! start and every write go through the same [`State::apply`].

use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use compat::{Metadata, Reference, RuleSet, SchemaType};
use imbl::{HashMap, OrdMap};

use crate::registry::context;
use crate::registry::versions::VersionList;
use crate::storage::{ConfigValue, Mode, Position, Record, SchemaValue, StoreError};

/// A schema known by its id in its context: its text and everything derived from it once.
#[derive(Debug)]
pub struct StoredSchema {
    pub id: u32,
    pub schema_type: SchemaType,
    /// Canonical text, as registered.
    pub text: String,
    pub references: Vec<Reference>,
    /// The data contract registered with it; boxed, as most schemas have none (inline, the two
    /// would cost every schema 170 bytes).
    pub metadata: Option<Box<Metadata>>,
    pub rule_set: Option<Box<RuleSet>>,
    /// MD5 of text, references and data contract (Confluent's identity, printed as the guid).
    pub identity: [u8; 16],
    /// MD5 of text and references alone: what a request's schema is matched on before its
    /// data contract is compared.
    pub content: [u8; 16],
    /// The parsed form, built the first time a compatibility check needs it.
    pub(crate) parsed: OnceLock<Arc<compat::Schema>>,
    /// The 7.x `GET /schemas/ids/{id}` body, built on first request.
    pub(crate) id_body: OnceLock<Bytes>,
}

/// One version of a subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionInfo {
    pub id: u32,
    pub deleted: bool,
    /// Milliseconds since the epoch of the last write of this version, 0 when unknown.
    pub ts: i64,
}

/// A subject's versions, by number. Shared between snapshots; cloned when written.
pub type Versions = Arc<VersionList>;

pub use crate::registry::usages::Usages;

/// The schemas of one context and their ids: each context numbers its schemas on its own, so
/// the same schema in `.a` and `.b` has an id in each, and id 1 may mean different schemas in
/// each (Confluent).
///
/// The indexes by id and by identity are B-trees (`OrdMap`), not hash tries: at a million
/// schemas a trie costs over 100 bytes an entry in half-empty nodes, a B-tree 35 to 40.
#[derive(Debug, Clone, Default)]
pub struct IdSpace {
    pub schemas: OrdMap<u32, Arc<StoredSchema>>,
    /// Identity → id. The first id registered for an identity wins.
    pub by_identity: OrdMap<[u8; 16], u32>,
    /// Id → the subject versions using it, sorted; an id with none left is gone. Usually one,
    /// kept inline.
    pub usages: OrdMap<u32, Usages>,
    /// Highest id ever seen in this context; new ids come after it.
    pub max_id: u32,
}

impl IdSpace {
    /// The id of a schema identity, if any subject version still holds it.
    pub fn id_of(&self, identity: &[u8; 16]) -> Option<u32> {
        self.by_identity.get(identity).copied()
    }
}

/// A named context: its ids, and whether a CONTEXT record says it exists (one registered before
/// Schemata had contexts has none: see [`State::unrecorded_contexts`]).
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub ids: IdSpace,
    pub recorded: bool,
}

#[derive(Debug, Clone, Default)]
pub struct State {
    /// The default context's schemas: most registries have no other, and reads by id without a
    /// subject look only here.
    pub ids: IdSpace,
    /// The other contexts (`.staging`), by name.
    pub contexts: OrdMap<String, Context>,
    pub subjects: OrdMap<String, Versions>,
    /// Compatibility configs; `None` is the global one.
    pub configs: HashMap<Option<String>, ConfigValue>,
    /// Modes; `None` is the global one.
    pub modes: HashMap<Option<String>, Mode>,
    /// Schema exporters, by name.
    pub exporters: HashMap<String, Arc<super::exporters::Exporter>>,
    /// Where in the store's record sequence this state was read up to. It lives here, with the
    /// records it counts, so that a state thrown away takes its position with it.
    pub position: Position,
}

impl State {
    /// This state at `position`: itself when that is where it already is (the embedded log,
    /// whose position never moves), else a copy (cheap: the maps are shared).
    pub fn at(self: Arc<Self>, position: Position) -> Arc<State> {
        if self.position == position {
            return self;
        }
        let mut state = (*self).clone();
        state.position = position;
        Arc::new(state)
    }

    /// Applies one record. Fails only for a record that cannot describe a valid state.
    pub fn apply(&mut self, record: Record) -> Result<(), StoreError> {
        match record {
            Record::Schema {
                subject,
                version,
                value: Some(value),
            } => self.put_version(&subject, version, value)?,
            Record::Schema {
                subject,
                version,
                value: None,
            } => self.remove_version(&subject, version),
            Record::Config { subject, value } => match value {
                Some(v) => {
                    self.configs.insert(subject, v);
                }
                None => {
                    self.configs.remove(&subject);
                }
            },
            Record::Mode { subject, value } => match value {
                Some(v) => {
                    self.modes.insert(subject, v.mode);
                }
                None => {
                    self.modes.remove(&subject);
                }
            },
            Record::DeleteSubject { subject, version } => {
                if let Some(versions) = self.subjects.get_mut(&subject) {
                    for info in Arc::make_mut(versions).up_to_mut(version) {
                        info.deleted = true;
                    }
                }
            }
            Record::ClearSubject { subject } => {
                let deleted: Vec<i32> = self
                    .subjects
                    .get(&subject)
                    .map(|vs| {
                        vs.iter()
                            .filter(|(_, i)| i.deleted)
                            .map(|(v, _)| *v)
                            .collect()
                    })
                    .unwrap_or_default();
                for v in deleted {
                    self.remove_version(&subject, v);
                }
            }
            Record::Exporter { name, value } => self.put_exporter(name, value)?,
            Record::Context { context, exists } => self.put_context(context, exists),
        }
        Ok(())
    }

    fn put_context(&mut self, context: String, exists: bool) {
        if context == context::DEFAULT {
            return;
        }
        if exists {
            self.contexts.entry(context).or_default().recorded = true;
            return;
        }
        // A context still holding schemas keeps its ids (the registry refuses to delete it).
        let empty = self
            .contexts
            .get(&context)
            .is_some_and(|c| c.ids.schemas.is_empty());
        if empty {
            self.contexts.remove(&context);
        } else if let Some(c) = self.contexts.get_mut(&context) {
            c.recorded = false;
        }
    }

    /// The ids of a context (`.` or `.name`), if it has any.
    pub fn space(&self, context: &str) -> Option<&IdSpace> {
        if context == context::DEFAULT {
            Some(&self.ids)
        } else {
            self.contexts.get(context).map(|c| &c.ids)
        }
    }

    /// The ids of a context, made when missing.
    fn space_mut(&mut self, context: &str) -> &mut IdSpace {
        if context == context::DEFAULT {
            &mut self.ids
        } else {
            &mut self.contexts.entry(context.to_string()).or_default().ids
        }
    }

    /// The ids a subject's schemas have: its context's.
    pub fn space_of(&self, subject: &str) -> Option<&IdSpace> {
        self.space(context::context_of(subject))
    }

    /// The schema a version of `subject` holds as `id`.
    pub fn schema(&self, subject: &str, id: u32) -> Option<&Arc<StoredSchema>> {
        self.space_of(subject)?.schemas.get(&id)
    }

    /// Every context with ids: the default one first, then the named ones by name.
    pub fn spaces(&self) -> impl Iterator<Item = (&str, &IdSpace)> + '_ {
        std::iter::once((context::DEFAULT, &self.ids)).chain(
            self.contexts
                .iter()
                .map(|(name, c)| (name.as_str(), &c.ids)),
        )
    }

    /// The contexts that exist: the default one, then those a CONTEXT record names, by name.
    pub fn context_names(&self) -> Vec<String> {
        std::iter::once(context::DEFAULT.to_string())
            .chain(
                self.contexts
                    .iter()
                    .filter(|(_, c)| c.recorded)
                    .map(|(name, _)| name.clone()),
            )
            .collect()
    }

    /// Subjects of a named context that no CONTEXT record names: written before Schemata had
    /// contexts, when `:.ctx:name` was a plain subject of the default context.
    pub fn unrecorded_contexts(&self) -> Vec<&str> {
        self.subjects
            .keys()
            .filter(|s| {
                let ctx = context::context_of(s);
                ctx != context::DEFAULT && self.contexts.get(ctx).is_none_or(|c| !c.recorded)
            })
            .map(String::as_str)
            .collect()
    }

    fn put_version(
        &mut self,
        subject: &str,
        version: i32,
        value: SchemaValue,
    ) -> Result<(), StoreError> {
        let ctx = context::context_of(subject);
        let space = self.space_mut(ctx);
        if !space.schemas.contains_key(&value.id) {
            let schema_type: SchemaType = value.schema_type.parse().map_err(|()| {
                StoreError::Corrupt(format!(
                    "schema {} has unknown type {}",
                    value.id, value.schema_type
                ))
            })?;
            let content = compat::identity(&value.schema, &value.references);
            let identity = compat::identity_with_contract(
                &value.schema,
                &value.references,
                value.metadata.as_ref(),
                value.rule_set.as_ref(),
            );
            space.schemas.insert(
                value.id,
                Arc::new(StoredSchema {
                    id: value.id,
                    schema_type,
                    text: value.schema,
                    references: value.references,
                    metadata: value.metadata.map(Box::new),
                    rule_set: value.rule_set.map(Box::new),
                    identity,
                    content,
                    parsed: OnceLock::new(),
                    id_body: OnceLock::new(),
                }),
            );
            space.by_identity.entry(identity).or_insert(value.id);
        }
        let id = value.id;
        let info = VersionInfo {
            id: value.id,
            deleted: value.deleted,
            ts: value.ts.unwrap_or(0),
        };
        let versions = self.subjects.entry(subject.to_string()).or_default();
        let previous = Arc::make_mut(versions).insert(version, info);
        if let Some(old) = previous.filter(|old| old.id != id) {
            self.release(old.id, subject, version);
        }
        let space = self.space_mut(ctx);
        match space.usages.get_mut(&id) {
            Some(users) => users.insert(subject, version),
            None => {
                space.usages.insert(id, Usages::new(subject, version));
            }
        }
        space.max_id = space.max_id.max(id);
        Ok(())
    }

    fn remove_version(&mut self, subject: &str, version: i32) {
        let Some(versions) = self.subjects.get_mut(subject) else {
            return;
        };
        let removed = Arc::make_mut(versions).remove(&version);
        if versions.is_empty() {
            self.subjects.remove(subject);
        }
        if let Some(info) = removed {
            self.release(info.id, subject, version);
        }
    }

    /// Drops one use of `id`; the schema goes when no subject version holds it any more.
    fn release(&mut self, id: u32, subject: &str, version: i32) {
        let space = self.space_mut(context::context_of(subject));
        let Some(users) = space.usages.get_mut(&id) else {
            return;
        };
        if !users.remove(subject, version) {
            space.usages.remove(&id);
            if let Some(schema) = space.schemas.remove(&id) {
                if space.by_identity.get(&schema.identity) == Some(&id) {
                    space.by_identity.remove(&schema.identity);
                }
            }
        }
    }

    /// The id a schema identity has in `subject`'s context, if any subject version holds it.
    pub fn id_of(&self, subject: &str, identity: &[u8; 16]) -> Option<u32> {
        self.space_of(subject)?.id_of(identity)
    }

    pub fn versions(&self, subject: &str) -> Option<&Versions> {
        self.subjects.get(subject)
    }

    /// Live (not soft-deleted) versions of a subject, oldest first.
    pub fn live_versions(&self, subject: &str) -> Vec<(i32, VersionInfo)> {
        self.versions(subject)
            .map(|vs| {
                vs.iter()
                    .filter(|(_, i)| !i.deleted)
                    .map(|(v, i)| (*v, *i))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The highest live version of a subject.
    pub fn latest_live(&self, subject: &str) -> Option<(i32, VersionInfo)> {
        self.versions(subject)?
            .iter()
            .rev()
            .find(|(_, i)| !i.deleted)
            .map(|(v, i)| (*v, *i))
    }

    /// Ids of schemas that reference `subject` `version`, held by any subject version (soft
    /// deleted included), ascending. A reference names a subject of its schema's context unless
    /// it is qualified.
    pub fn referrers(&self, subject: &str, version: i32) -> Vec<u32> {
        let mut ids: Vec<u32> = self
            .spaces()
            .flat_map(|(ctx, space)| {
                space.schemas.values().filter(move |s| {
                    s.references.iter().any(|r| {
                        r.version == version
                            && context::qualify_reference(ctx, &r.subject) == subject
                    })
                })
            })
            .map(|s| s.id)
            .collect();
        ids.sort_unstable();
        ids
    }
}
