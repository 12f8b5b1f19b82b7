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
pub use crate::registry::text::Text;
pub use crate::registry::versions::VersionList;
use crate::storage::{ConfigValue, Mode, Position, Record, SchemaValue, StoreError};

/// A schema known by its id in its context: its text and everything derived from it once.
///
/// Every field counts a million times over: the text is a `Box<str>` and the references a boxed
/// slice (no spare capacity word), and what is built from it on first need sits behind one
/// pointer. At 104 bytes, the record with its `Arc` counts and the allocator's header takes 128.
#[derive(Debug)]
pub struct StoredSchema {
    pub id: u32,
    pub schema_type: SchemaType,
    /// Canonical text, as registered (compressed: see `text.rs`).
    pub text: Text,
    /// MD5 of text, references and data contract (Confluent's identity, printed as the guid).
    pub identity: [u8; 16],
    /// References and data contract, which most schemas have none of: one pointer for them
    /// all (inline they cost each schema 32 bytes more).
    extras: Option<Box<Extras>>,
    /// What is built from it on first need: one pointer until then.
    pub(crate) built: OnceLock<Box<Built>>,
}

/// What only some schemas have.
#[derive(Debug)]
struct Extras {
    references: Box<[Reference]>,
    metadata: Option<Metadata>,
    rule_set: Option<RuleSet>,
    /// MD5 of text and references alone: what a request's schema is matched on before its
    /// data contract is compared (the identity, when there is no contract).
    content: [u8; 16],
}

/// The forms of a schema built on first need, each once.
#[derive(Debug, Default)]
pub(crate) struct Built {
    /// The parsed form, built the first time a compatibility check needs it.
    parsed: OnceLock<Arc<compat::Schema>>,
    /// The 7.x `GET /schemas/ids/{id}` body, built on first request.
    id_body: OnceLock<Bytes>,
}

impl StoredSchema {
    /// A schema with its parts; `content` is the identity without the contract (equal to
    /// `identity` when there is none).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        id: u32,
        schema_type: SchemaType,
        text: Text,
        references: Box<[Reference]>,
        metadata: Option<Metadata>,
        rule_set: Option<RuleSet>,
        identity: [u8; 16],
        content: [u8; 16],
    ) -> StoredSchema {
        let plain = references.is_empty() && metadata.is_none() && rule_set.is_none();
        StoredSchema {
            id,
            schema_type,
            text,
            identity,
            extras: (!plain).then(|| {
                Box::new(Extras {
                    references,
                    metadata,
                    rule_set,
                    content,
                })
            }),
            built: OnceLock::new(),
        }
    }

    pub fn references(&self) -> &[Reference] {
        self.extras.as_ref().map_or(&[], |e| &e.references)
    }

    /// The data contract's metadata, if it was registered with one.
    pub fn metadata(&self) -> Option<&Metadata> {
        self.extras.as_ref()?.metadata.as_ref()
    }

    /// The data contract's rules, if it was registered with them.
    pub fn rule_set(&self) -> Option<&RuleSet> {
        self.extras.as_ref()?.rule_set.as_ref()
    }

    /// MD5 of text and references alone.
    pub fn content(&self) -> [u8; 16] {
        self.extras.as_ref().map_or(self.identity, |e| e.content)
    }

    fn built(&self) -> &Built {
        self.built.get_or_init(Box::default)
    }

    /// The parsed form, if it was built.
    pub(crate) fn parsed(&self) -> Option<&Arc<compat::Schema>> {
        self.built.get()?.parsed.get()
    }

    /// Keeps the parsed form (the first one kept stays).
    pub(crate) fn keep_parsed(&self, parsed: Arc<compat::Schema>) {
        let _ = self.built().parsed.set(parsed);
    }

    /// The `GET /schemas/ids/{id}` body, built by `build` the first time.
    pub(crate) fn id_body(&self, build: impl FnOnce(&StoredSchema) -> Bytes) -> &Bytes {
        self.built().id_body.get_or_init(|| build(self))
    }
}

/// One version of a subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionInfo {
    pub id: u32,
    pub deleted: bool,
    /// Milliseconds since the epoch of the last write of this version, 0 when unknown.
    pub ts: i64,
}

pub use crate::registry::usages::Usages;

/// A schema id in use: the schema, and the subject versions using it.
#[derive(Debug, Clone)]
pub struct IdEntry {
    pub schema: Arc<StoredSchema>,
    pub users: Usages,
}

/// The schemas of one context and their ids: each context numbers its schemas on its own, so
/// the same schema in `.a` and `.b` has an id in each, and id 1 may mean different schemas in
/// each (Confluent).
///
/// The indexes are B-trees (`OrdMap`), not hash tries: at a million schemas a trie costs over
/// 100 bytes an entry in half-empty nodes, a B-tree little more than its entries (measured:
/// 44 bytes an id, 26 an identity, leaves full from a snapshot). An id's schema and its users
/// share one entry: two maps keyed by id cost a second tree and a second key.
#[derive(Debug, Clone, Default)]
pub struct IdSpace {
    /// Id → its schema and the subject versions using it (sorted; an id with none left is
    /// gone).
    entries: OrdMap<u32, IdEntry>,
    /// Identity → id. The first id registered for an identity wins.
    pub by_identity: OrdMap<[u8; 16], u32>,
    /// Highest id ever seen in this context; new ids come after it.
    pub max_id: u32,
}

impl IdSpace {
    /// The ids of a snapshot: `entries` sorted by id, `by_identity` by identity.
    pub fn from_sorted(
        entries: Vec<(u32, IdEntry)>,
        by_identity: Vec<([u8; 16], u32)>,
        max_id: u32,
    ) -> IdSpace {
        let (entries, by_identity) = both(|| build_sorted(entries), || build_sorted(by_identity));
        IdSpace {
            entries,
            by_identity,
            max_id,
        }
    }

    /// The id of a schema identity, if any subject version still holds it.
    pub fn id_of(&self, identity: &[u8; 16]) -> Option<u32> {
        self.by_identity.get(identity).copied()
    }

    pub fn schema(&self, id: u32) -> Option<&Arc<StoredSchema>> {
        self.entries.get(&id).map(|e| &e.schema)
    }

    /// The schema of `id` and its users.
    pub fn entry(&self, id: u32) -> Option<&IdEntry> {
        self.entries.get(&id)
    }

    /// The subject versions using `id`, sorted.
    pub fn users(&self, id: u32) -> Option<&Usages> {
        self.entries.get(&id).map(|e| &e.users)
    }

    /// The schemas by id.
    pub fn schemas(&self) -> impl DoubleEndedIterator<Item = &Arc<StoredSchema>> + '_ {
        self.entries.values().map(|e| &e.schema)
    }

    /// The ids in use, ascending, with their schemas and users.
    pub fn entries(&self) -> impl DoubleEndedIterator<Item = (&u32, &IdEntry)> + '_ {
        self.entries.iter()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Runs two builds at once, on this thread and one more.
fn both<A: Send, B: Send>(a: impl FnOnce() -> A + Send, b: impl FnOnce() -> B) -> (A, B) {
    std::thread::scope(|scope| {
        let a = scope.spawn(a);
        let b = b();
        (a.join().expect("building a map does not panic"), b)
    })
}

/// A persistent map of entries sorted by key, with leaves full.
///
/// `imbl` has no bulk build: inserting in ascending order splits each full leaf in two halves
/// and never touches the left one again, so every leaf ends half full, and a half-full leaf
/// costs twice its entries' size (measured at a million: 40 to 80 bytes an entry). Inserting
/// every other entry first, then the ones between, lands each of the second half in a leaf the
/// first pass left half full: the leaves end full without a split. Lookups and later writes
/// are unchanged; only the order of the inserts depends on `imbl`'s node size and split, and
/// were those to change, the map would still be right, only larger.
pub fn build_sorted<K: Ord + Clone, V: Clone>(sorted: Vec<(K, V)>) -> OrdMap<K, V> {
    debug_assert!(sorted.windows(2).all(|w| w[0].0 < w[1].0));
    let mut map = OrdMap::new();
    let mut between = Vec::with_capacity(sorted.len() / 2);
    for (at, (key, value)) in sorted.into_iter().enumerate() {
        if at % 2 == 0 {
            map.insert(key, value);
        } else {
            between.push((key, value));
        }
    }
    for (key, value) in between {
        map.insert(key, value);
    }
    map
}

/// Entries below which the maps are never rebuilt: small maps waste little.
const REPACK_FROM: usize = 16_384;

impl IdSpace {
    /// The same ids, in maps with full leaves.
    fn repacked(&self) -> IdSpace {
        let entries = || build_sorted(self.entries.iter().map(|(k, v)| (*k, v.clone())).collect());
        let identities = || build_sorted(self.by_identity.iter().map(|(k, v)| (*k, *v)).collect());
        let (entries, by_identity) = both(entries, identities);
        IdSpace {
            entries,
            by_identity,
            max_id: self.max_id,
        }
    }
}

impl State {
    /// Entries in the maps that grow with the registry: subjects and each context's ids.
    pub(super) fn entries(&self) -> usize {
        let others: usize = self.contexts.values().map(|c| c.ids.len()).sum();
        self.subjects.len() + self.ids.len() + others
    }

    /// Whether the maps grew by an eighth since they were last built with full leaves.
    ///
    /// A map grown one insert at a time has leaves half full where its keys come in ascending
    /// order (ids) and about two-thirds full elsewhere (`build_sorted` says why), which is much
    /// of why a million schemas registered through the API held 699 MB against 565 MB read
    /// from a snapshot (`bench/README.md`). Rebuilding them each time they grow by an eighth
    /// keeps all but the newest ninth full, for a rebuild of every entry about eight times
    /// over as a registry grows from nothing.
    pub fn repack_due(&self) -> bool {
        let entries = self.entries();
        entries >= REPACK_FROM && entries >= self.packed + self.packed / 8
    }

    /// The same state, its growing maps rebuilt with full leaves (a few hundred milliseconds
    /// at a million schemas: the caller keeps it off the async threads).
    pub fn repacked(&self) -> State {
        let subjects = || {
            build_sorted(
                self.subjects
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            )
        };
        let (subjects, ids) = both(subjects, || self.ids.repacked());
        let contexts = self
            .contexts
            .iter()
            .map(|(name, c)| {
                let ids = c.ids.repacked();
                (
                    name.clone(),
                    Context {
                        ids,
                        recorded: c.recorded,
                    },
                )
            })
            .collect();
        let mut state = State {
            ids,
            contexts,
            subjects,
            ..self.clone()
        };
        state.packed = state.entries();
        state
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
    /// Subjects and their versions. The name is shared with the users of its schemas' ids.
    pub subjects: OrdMap<Arc<str>, VersionList>,
    /// Compatibility configs; `None` is the global one.
    pub configs: HashMap<Option<String>, ConfigValue>,
    /// Modes; `None` is the global one.
    pub modes: HashMap<Option<String>, Mode>,
    /// Schema exporters, by name.
    pub exporters: HashMap<String, Arc<super::exporters::Exporter>>,
    /// Where in the store's record sequence this state was read up to. It lives here, with the
    /// records it counts, so that a state thrown away takes its position with it.
    pub position: Position,
    /// How many entries the maps held when they were last built with full leaves (see
    /// [`State::repack_due`]).
    pub packed: usize,
}

/// The schema a record's value holds, with its identities computed.
fn stored(value: SchemaValue) -> Result<Arc<StoredSchema>, StoreError> {
    let schema_type: SchemaType = value.schema_type.parse().map_err(|()| {
        StoreError::Corrupt(format!(
            "schema {} has unknown type {}",
            value.id, value.schema_type
        ))
    })?;
    let content = compat::identity(&value.schema, &value.references);
    // Without a contract the identity is the content's hash: one MD5 instead of two.
    let identity = if value.metadata.is_none() && value.rule_set.is_none() {
        content
    } else {
        compat::identity_with_contract(
            &value.schema,
            &value.references,
            value.metadata.as_ref(),
            value.rule_set.as_ref(),
        )
    };
    Ok(Arc::new(StoredSchema::new(
        value.id,
        schema_type,
        Text::new(&value.schema),
        value.references.into_boxed_slice(),
        value.metadata,
        value.rule_set,
        identity,
        content,
    )))
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
                if let Some(versions) = self.subjects.get_mut(subject.as_str()) {
                    for info in versions.up_to_mut(version) {
                        info.deleted = true;
                    }
                }
            }
            Record::ClearSubject { subject } => {
                let deleted: Vec<i32> = self
                    .subjects
                    .get(subject.as_str())
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
            .is_some_and(|c| c.ids.is_empty());
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
        self.space_of(subject)?.schema(id)
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
            .map(|s| &**s)
            .collect()
    }

    fn put_version(
        &mut self,
        subject: &str,
        version: i32,
        value: SchemaValue,
    ) -> Result<(), StoreError> {
        let ctx = context::context_of(subject);
        // One copy of the name: the subject's key when it has one already.
        let name = match self.subjects.get_key_value(subject) {
            Some((name, _)) => name.clone(),
            None => Arc::from(subject),
        };
        let id = value.id;
        let info = VersionInfo {
            id,
            deleted: value.deleted,
            ts: value.ts.unwrap_or(0),
        };
        let space = self.space_mut(ctx);
        let schema = match space.entries.get(&id) {
            Some(_) => None,
            None => Some(stored(value)?),
        };
        let previous = match self.subjects.get_mut(subject) {
            Some(versions) => versions.insert(version, info),
            None => {
                self.subjects
                    .insert(name.clone(), VersionList::one(version, info));
                None
            }
        };
        if let Some(old) = previous.filter(|old| old.id != id) {
            self.release(old.id, subject, version);
        }
        let space = self.space_mut(ctx);
        match space.entries.get_mut(&id) {
            Some(entry) => entry.users.insert(&name, version),
            // `schema` is there: the id had no entry before, and releasing another id did not
            // give it one.
            None => {
                if let Some(schema) = schema {
                    space.by_identity.entry(schema.identity).or_insert(id);
                    let users = Usages::new(name, version);
                    space.entries.insert(id, IdEntry { schema, users });
                }
            }
        }
        space.max_id = space.max_id.max(id);
        Ok(())
    }

    fn remove_version(&mut self, subject: &str, version: i32) {
        let Some(versions) = self.subjects.get_mut(subject) else {
            return;
        };
        let removed = versions.remove(&version);
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
        let Some(entry) = space.entries.get_mut(&id) else {
            return;
        };
        if !entry.users.remove(subject, version) {
            if let Some(entry) = space.entries.remove(&id) {
                let identity = entry.schema.identity;
                if space.by_identity.get(&identity) == Some(&id) {
                    space.by_identity.remove(&identity);
                }
            }
        }
    }

    /// The id a schema identity has in `subject`'s context, if any subject version holds it.
    pub fn id_of(&self, subject: &str, identity: &[u8; 16]) -> Option<u32> {
        self.space_of(subject)?.id_of(identity)
    }

    pub fn versions(&self, subject: &str) -> Option<&VersionList> {
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
                space.schemas().filter(move |s| {
                    s.references().iter().any(|r| {
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A record of a live version of `subject` holding an Avro schema (for the registry's
    /// unit tests).
    pub(crate) fn put(subject: &str, version: i32, id: u32, text: &str) -> Record {
        Record::Schema {
            subject: subject.into(),
            version,
            value: Some(SchemaValue {
                subject: subject.into(),
                version,
                id,
                schema_type: "AVRO".into(),
                references: vec![],
                schema: text.into(),
                metadata: None,
                rule_set: None,
                deleted: false,
                ts: None,
            }),
        }
    }

    /// The state these records fold into.
    pub(crate) fn fold(records: Vec<Record>) -> State {
        let mut state = State::default();
        for r in records {
            state.apply(r).unwrap();
        }
        state
    }

    #[test]
    fn a_schema_s_record_fits_an_allocation_of_80_bytes() {
        // With the `Arc`'s two counts, 64 bytes take jemalloc's size class of 80 (the server's
        // allocator); with references and contract inline they took 112.
        assert!(std::mem::size_of::<StoredSchema>() <= 64);
    }

    #[test]
    fn references_and_contract_are_kept_apart_only_when_there_are_any() {
        let value = |id| match put("s", 1, id, "\"string\"") {
            Record::Schema { value: Some(v), .. } => v,
            _ => unreachable!("put writes a schema"),
        };
        let plain = stored(value(1)).unwrap();
        assert!(plain.extras.is_none());
        assert_eq!(plain.content(), plain.identity);
        let reference = Reference {
            name: "n".into(),
            subject: "t".into(),
            version: 1,
        };
        let metadata = Metadata {
            properties: [("owner".to_string(), "a".to_string())].into(),
            ..Default::default()
        };
        let mut with_contract = value(2);
        with_contract.references = vec![reference.clone()];
        with_contract.metadata = Some(metadata.clone());
        let contracted = stored(with_contract).unwrap();
        assert_eq!(contracted.references(), std::slice::from_ref(&reference));
        assert_eq!(contracted.metadata(), Some(&metadata));
        assert_eq!(contracted.rule_set(), None);
        assert_eq!(
            contracted.content(),
            compat::identity("\"string\"", &[reference])
        );
        assert_ne!(contracted.content(), contracted.identity);
    }

    #[test]
    fn a_map_built_from_sorted_entries_holds_each_of_them() {
        for n in [0u32, 1, 2, 3, 15, 16, 17, 33, 1000, 4099] {
            let sorted: Vec<(u32, u32)> = (0..n).map(|k| (k * 3, k)).collect();
            let map = build_sorted(sorted.clone());
            assert_eq!(map.len(), sorted.len());
            let listed: Vec<(u32, u32)> = map.iter().map(|(k, v)| (*k, *v)).collect();
            assert_eq!(listed, sorted, "{n} entries");
            assert!(sorted.iter().all(|(k, v)| map.get(k) == Some(v)));
            assert_eq!(map.get(&1), None);
        }
    }

    #[test]
    fn maps_are_rebuilt_whole_each_time_they_grow_by_an_eighth() {
        let put_n = |state: &mut State, ids: std::ops::Range<u32>| {
            for id in ids {
                let text = format!("{{\"type\":\"fixed\",\"name\":\"f{id}\",\"size\":1}}");
                state.apply(put(&format!("s{id}"), 1, id, &text)).unwrap();
            }
        };
        let mut state = fold(vec![put(":.ctx:a", 1, 1, "\"long\"")]);
        put_n(&mut state, 1..8_191);
        // Below 16,384 entries (subjects and ids) a map is never rebuilt.
        assert_eq!(state.entries(), 8_191 + 8_191);
        assert!(!state.repack_due());
        put_n(&mut state, 8_191..8_192);
        assert!(state.repack_due());
        let repacked = state.repacked();
        let shown = |s: &State| format!("{:?} {:?} {:?}", s.ids, s.contexts, s.subjects);
        assert_eq!(shown(&repacked), shown(&state));
        assert_eq!(repacked.packed, 16_384);
        assert!(!repacked.repack_due());
        // Due again once an eighth more is there: 16,384 + 2,048 entries.
        let mut state = repacked;
        put_n(&mut state, 8_192..9_215);
        assert!(!state.repack_due());
        put_n(&mut state, 9_215..9_216);
        assert!(state.repack_due());
    }

    #[test]
    fn a_subject_s_name_is_held_once_by_its_key_and_its_ids_users() {
        let state = fold(vec![
            put("a", 1, 1, "\"long\""),
            put("a", 2, 2, "\"int\""),
            put("b", 1, 1, "\"long\""),
        ]);
        let (a, versions) = state.subjects.get_key_value("a").unwrap();
        assert_eq!(versions.keys().copied().collect::<Vec<_>>(), [1, 2]);
        let users: Vec<(&str, i32)> = state.ids.users(1).unwrap().iter().collect();
        assert_eq!(users, [("a", 1), ("b", 1)]);
        let Usages::Many(many) = state.ids.users(1).unwrap() else {
            panic!("two users are a list");
        };
        assert!(Arc::ptr_eq(&many[0].0, a));
        let Usages::One(one, 2) = state.ids.users(2).unwrap() else {
            panic!("one user is inline");
        };
        assert!(Arc::ptr_eq(one, a));
    }

    #[test]
    fn an_id_goes_with_its_last_user_and_an_older_state_keeps_it() {
        let mut state = fold(vec![put("a", 1, 1, "\"long\""), put("b", 1, 1, "\"long\"")]);
        let identity = state.ids.schema(1).unwrap().identity;
        let earlier = state.clone();
        state.apply(put("a", 1, 2, "\"int\"")).unwrap();
        state
            .apply(Record::Schema {
                subject: "b".into(),
                version: 1,
                value: None,
            })
            .unwrap();
        assert!(state.ids.schema(1).is_none());
        assert_eq!(state.ids.id_of(&identity), None);
        assert!(state.subjects.get("b").is_none());
        assert_eq!(state.ids.len(), 1);
        assert_eq!(
            state.ids.users(2).unwrap().iter().collect::<Vec<_>>(),
            [("a", 1)]
        );
        // The state it was derived from still holds what it held.
        assert_eq!(earlier.ids.id_of(&identity), Some(1));
        assert_eq!(earlier.ids.users(1).unwrap().iter().count(), 2);
        assert_eq!(earlier.versions("a").unwrap().get(&1).unwrap().id, 1);
        assert_eq!(state.ids.max_id, 2);
    }
}
