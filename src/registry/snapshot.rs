//! The registry's state written whole and read back, so that a start with a million schemas
//! reads it instead of replaying (decoding JSON, hashing every schema twice, inserting one
//! record at a time). The store keeps it with the records it stands for and checks it
//! (`storage::log::snapshot`); this is only the encoding of a [`State`].
//!
//! Everything is written in key order, so the maps are built from sorted lists: the default
//! context's id space first, then each other context's with whether its CONTEXT record exists,
//! then the subjects. The users of each id are not written: they are the subjects' versions,
//! read back sharing the subjects' names. Integers are little-endian; a string is its length
//! (u32) and its bytes; a schema's text is written as it is kept, compressed (`text.rs`), so
//! a start neither compresses nor checks the UTF-8 of a million texts. Configs, modes and exporters are few: they are written as the records
//! that recreate them.

use std::io::Write;
use std::sync::Arc;

use compat::{Reference, SchemaType};

use crate::registry::context;
use crate::registry::state::{
    build_sorted, Context, IdEntry, IdSpace, State, StoredSchema, Text, Usages, VersionInfo,
    VersionList,
};
use crate::storage::{ModeValue, Record};

/// Changes with any change to the encoding: an older snapshot is then ignored, not misread.
const VERSION: u32 = 4;

/// Writes `state` to `out`.
pub fn write(state: &State, out: &mut dyn Write) -> std::io::Result<()> {
    let mut w = Writer {
        out,
        buf: Vec::new(),
    };
    w.u32(VERSION);
    write_space(&mut w, &state.ids)?;
    w.u64(state.contexts.len() as u64);
    for (name, context) in &state.contexts {
        w.str(name);
        w.u8(u8::from(context.recorded));
        write_space(&mut w, &context.ids)?;
    }
    w.u64(state.subjects.len() as u64);
    for (subject, versions) in &state.subjects {
        w.str(subject);
        w.u32(versions.len() as u32);
        for (version, info) in versions.iter() {
            w.i32(*version);
            w.u32(info.id);
            w.u8(u8::from(info.deleted));
            w.i64(info.ts);
        }
        w.flush_if_full()?;
    }
    let mut records: Vec<Record> = state
        .configs
        .iter()
        .map(|(subject, value)| Record::Config {
            subject: subject.clone(),
            value: Some(value.clone()),
        })
        .chain(state.modes.iter().map(|(subject, mode)| Record::Mode {
            subject: subject.clone(),
            value: Some(ModeValue {
                subject: subject.clone(),
                mode: *mode,
            }),
        }))
        .collect();
    for (name, exporter) in &state.exporters {
        records.push(Record::Exporter {
            name: name.clone(),
            value: Some(serde_json::to_value(exporter.as_ref())?),
        });
    }
    w.u64(records.len() as u64);
    for record in records {
        w.str_bytes(&record.key());
        w.str_bytes(&record.value().unwrap_or_default());
    }
    w.out.write_all(&w.buf)
}

/// Writes one context's schemas, identity index and highest id.
fn write_space(w: &mut Writer<'_>, space: &IdSpace) -> std::io::Result<()> {
    w.u32(space.max_id);
    w.u64(space.len() as u64);
    for schema in space.schemas() {
        w.u32(schema.id);
        w.u8(match schema.schema_type {
            SchemaType::Avro => 0,
            SchemaType::Protobuf => 1,
            SchemaType::Json => 2,
        });
        w.bytes(&schema.identity);
        w.bytes(&schema.content());
        w.str_bytes(schema.text.stored());
        w.u32(schema.references().len() as u32);
        for r in schema.references() {
            w.str(&r.name);
            w.str(&r.subject);
            w.i32(r.version);
        }
        w.json(schema.metadata())?;
        w.json(schema.rule_set())?;
        w.flush_if_full()?;
    }
    w.u64(space.by_identity.len() as u64);
    for (identity, id) in &space.by_identity {
        w.bytes(identity);
        w.u32(*id);
        w.flush_if_full()?;
    }
    Ok(())
}

/// Reads a state [`write`] wrote; an error says what does not read back.
pub fn read(bytes: &[u8]) -> Result<State, String> {
    let mut r = Reader { bytes, at: 0 };
    let version = r.u32()?;
    if version != VERSION {
        return Err(format!("encoding version {version}, not {VERSION}"));
    }
    let ids = read_space(&mut r)?;
    let mut contexts = Vec::new();
    for _ in 0..r.u64()? {
        let name = r.string()?;
        let recorded = r.u8()? != 0;
        contexts.push((name, recorded, read_space(&mut r)?));
    }
    let mut subjects = Vec::new();
    for _ in 0..r.u64()? {
        let subject: Arc<str> = r.string()?.into();
        let mut versions = Vec::new();
        for _ in 0..r.u32()? {
            let version = r.i32()?;
            let info = VersionInfo {
                id: r.u32()?,
                deleted: r.u8()? != 0,
                ts: r.i64()?,
            };
            if versions.last().is_some_and(|(last, _)| *last >= version) {
                return Err(format!("versions of {subject} out of order"));
            }
            versions.push((version, info));
        }
        if versions.is_empty() {
            return Err(format!("subject {subject} has no versions"));
        }
        subjects.push((subject, VersionList::from_sorted(versions)));
    }
    if !subjects.windows(2).all(|w| w[0].0 < w[1].0) {
        return Err("subjects out of order".into());
    }

    // The users of each id: the subject versions holding it, in the id space of the subject's
    // context.
    let mut users = vec![Vec::new(); 1 + contexts.len()];
    for (subject, versions) in &subjects {
        let ctx = context::context_of(subject);
        let at = if ctx == context::DEFAULT {
            0
        } else {
            let found = contexts.binary_search_by(|(name, ..)| name.as_str().cmp(ctx));
            1 + found.map_err(|_| format!("subject {subject} is in a context with no ids"))?
        };
        for (version, info) in versions.iter() {
            users[at].push((info.id, subject.clone(), *version));
        }
    }
    let mut users = users.into_iter();
    let mut space = |parts: SpaceParts| {
        let users = users.next().unwrap_or_default();
        Ok::<_, String>(IdSpace::from_sorted(
            with_users(parts.schemas, users)?,
            parts.by_identity,
            parts.max_id,
        ))
    };
    let (subjects, ids, contexts) = std::thread::scope(|scope| {
        let subjects = scope.spawn(|| build_sorted(subjects));
        let ids = space(ids);
        let contexts = contexts
            .into_iter()
            .map(|(name, recorded, parts)| {
                let ids = space(parts)?;
                Ok((name, Context { ids, recorded }))
            })
            .collect::<Result<Vec<_>, String>>();
        let subjects = subjects.join().expect("building a map does not panic");
        (subjects, ids, contexts)
    });
    let mut state = State {
        ids: ids?,
        contexts: contexts?.into_iter().collect(),
        subjects,
        ..State::default()
    };
    // Built from sorted lists, the maps' leaves are full.
    state.packed = state.entries();
    for _ in 0..r.u64()? {
        let key = r.slice()?;
        let value = r.slice()?;
        let record = Record::decode(key, (!value.is_empty()).then_some(value))
            .map_err(|e| format!("a config, mode or exporter cannot be read: {e}"))?
            .ok_or("a config, mode or exporter record is empty")?;
        state.apply(record).map_err(|e| e.to_string())?;
    }
    if r.at != bytes.len() {
        return Err(format!("{} bytes after the end", bytes.len() - r.at));
    }
    Ok(state)
}

/// One context's part of a snapshot, as read, in key order.
struct SpaceParts {
    max_id: u32,
    schemas: Vec<(u32, Arc<StoredSchema>)>,
    by_identity: Vec<([u8; 16], u32)>,
}

/// Pairs each schema (sorted by id) with its users (`(id, subject, version)`, in any order):
/// every schema has at least one, and every user's id is a schema's.
fn with_users(
    schemas: Vec<(u32, Arc<StoredSchema>)>,
    mut users: Vec<(u32, Arc<str>, i32)>,
) -> Result<Vec<(u32, IdEntry)>, String> {
    users.sort_unstable();
    let mut users = users.into_iter().peekable();
    let mut entries = Vec::with_capacity(schemas.len());
    for (id, schema) in schemas {
        let mut held = Vec::new();
        while let Some((_, subject, version)) = users.next_if(|(user, ..)| *user == id) {
            held.push((subject, version));
        }
        let users = Usages::from_sorted(held).ok_or_else(|| format!("schema {id} has no users"))?;
        entries.push((id, IdEntry { schema, users }));
    }
    match users.next() {
        Some((id, subject, version)) => Err(format!(
            "{subject} version {version} holds schema {id}, which is not there"
        )),
        None => Ok(entries),
    }
}

/// Reads one context's part [`write_space`] wrote.
fn read_space(r: &mut Reader<'_>) -> Result<SpaceParts, String> {
    let max_id = r.u32()?;
    let mut schemas = Vec::new();
    for _ in 0..r.u64()? {
        let id = r.u32()?;
        let schema_type = match r.u8()? {
            0 => SchemaType::Avro,
            1 => SchemaType::Protobuf,
            2 => SchemaType::Json,
            other => return Err(format!("unknown schema type {other}")),
        };
        let identity = r.array()?;
        let content = r.array()?;
        let text = Text::from_stored(r.slice()?)?;
        let references = (0..r.u32()?)
            .map(|_| {
                Ok(Reference {
                    name: r.string()?,
                    subject: r.string()?,
                    version: r.i32()?,
                })
            })
            .collect::<Result<Box<[_]>, String>>()?;
        let metadata = r.json()?;
        let rule_set = r.json()?;
        if schemas.last().is_some_and(|(last, _)| *last >= id) {
            return Err(format!("schema {id} out of order"));
        }
        schemas.push((
            id,
            Arc::new(StoredSchema::new(
                id,
                schema_type,
                text,
                references,
                metadata,
                rule_set,
                identity,
                content,
            )),
        ));
    }
    let mut by_identity: Vec<([u8; 16], u32)> = Vec::new();
    for _ in 0..r.u64()? {
        let identity: [u8; 16] = r.array()?;
        if by_identity
            .last()
            .is_some_and(|(last, _)| *last >= identity)
        {
            return Err("identities out of order".into());
        }
        by_identity.push((identity, r.u32()?));
    }
    Ok(SpaceParts {
        max_id,
        schemas,
        by_identity,
    })
}

/// Encodes into a buffer, handed to the output a few hundred kilobytes at a time.
struct Writer<'a> {
    out: &'a mut dyn Write,
    buf: Vec<u8>,
}

impl Writer<'_> {
    fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }
    fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    fn i32(&mut self, v: i32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    fn i64(&mut self, v: i64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    fn bytes(&mut self, v: &[u8]) {
        self.buf.extend_from_slice(v);
    }
    fn str(&mut self, v: &str) {
        self.str_bytes(v.as_bytes());
    }
    fn str_bytes(&mut self, v: &[u8]) {
        self.u32(v.len() as u32);
        self.bytes(v);
    }
    /// A data contract part as JSON, empty for none.
    fn json<T: serde::Serialize>(&mut self, v: Option<&T>) -> std::io::Result<()> {
        match v {
            Some(v) => self.str_bytes(&serde_json::to_vec(v)?),
            None => self.u32(0),
        }
        Ok(())
    }
    fn flush_if_full(&mut self) -> std::io::Result<()> {
        if self.buf.len() >= 256 * 1024 {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self
            .at
            .checked_add(n)
            .filter(|end| *end <= self.bytes.len());
        let end = end.ok_or_else(|| format!("ends early, at byte {}", self.at))?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], String> {
        Ok(self.take(N)?.try_into().expect("N bytes"))
    }
    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<u32, String> {
        self.array().map(u32::from_le_bytes)
    }
    fn i32(&mut self) -> Result<i32, String> {
        self.array().map(i32::from_le_bytes)
    }
    fn u64(&mut self) -> Result<u64, String> {
        self.array().map(u64::from_le_bytes)
    }
    fn i64(&mut self) -> Result<i64, String> {
        self.array().map(i64::from_le_bytes)
    }
    fn slice(&mut self) -> Result<&'a [u8], String> {
        let len = self.u32()? as usize;
        self.take(len)
    }
    fn string(&mut self) -> Result<String, String> {
        let at = self.at;
        String::from_utf8(self.slice()?.to_vec()).map_err(|_| format!("bad UTF-8 at byte {at}"))
    }
    fn json<T: serde::de::DeserializeOwned>(&mut self) -> Result<Option<T>, String> {
        let v = self.slice()?;
        if v.is_empty() {
            return Ok(None);
        }
        serde_json::from_slice(v)
            .map(Some)
            .map_err(|e| format!("a data contract cannot be read: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Metrics;
    use crate::registry::state::tests::fold;
    use crate::registry::{Defaults, Registry};
    use crate::storage::log::LogStore;
    use crate::storage::{ConfigValue, SchemaValue, Store};
    use compat::{CompatibilityLevel, Metadata, RuleSet};

    fn schema(subject: &str, version: i32, id: u32, text: &str) -> SchemaValue {
        SchemaValue {
            subject: subject.into(),
            version,
            id,
            schema_type: "AVRO".into(),
            references: vec![],
            schema: text.into(),
            metadata: None,
            rule_set: None,
            deleted: false,
            ts: Some(1_700_000_000_000 + i64::from(id)),
        }
    }

    fn put(value: SchemaValue) -> Record {
        Record::Schema {
            subject: value.subject.clone(),
            version: value.version,
            value: Some(value),
        }
    }

    /// Records that touch every part of the state.
    fn records() -> Vec<Record> {
        // Long enough to be kept compressed (`text.rs`).
        let mut referencing = schema(
            "b",
            1,
            2,
            &format!(
                "{{\"type\":\"record\",\"name\":\"B\",\"fields\":[{}]}}",
                ["x", "y", "z"]
                    .map(|f| format!("{{\"name\":\"{f}\",\"type\":\"A\"}}"))
                    .join(",")
            ),
        );
        referencing.references = vec![Reference {
            name: "A".into(),
            subject: "a".into(),
            version: 1,
        }];
        let mut contracted = schema("c", 1, 3, "\"string\"");
        contracted.schema_type = "JSON".into();
        contracted.metadata = Some(Metadata {
            properties: [("owner".to_string(), "ünïcode team".to_string())].into(),
            ..Metadata::default()
        });
        contracted.rule_set = Some(RuleSet::default());
        let mut deleted = schema("c", 2, 4, "\"int\"");
        deleted.deleted = true;
        vec![
            put(schema("a", 1, 1, "\"long\"")),
            put(referencing),
            put(contracted),
            put(deleted),
            // The same schema under a second subject: two users of one id.
            put(schema("d", 1, 1, "\"long\"")),
            put(schema("e", 1, 5, "\"bytes\"")),
            // A context of its own numbers its schemas on its own: id 1 again, another schema.
            Record::Context {
                context: ".staging".into(),
                exists: true,
            },
            put(schema(":.staging:a", 1, 1, "\"float\"")),
            put(schema(":.staging:f", 1, 1, "\"float\"")),
            put(schema("e", 2, 6, "\"double\"")),
            Record::Schema {
                subject: "e".into(),
                version: 1,
                value: None,
            },
            Record::DeleteSubject {
                subject: "d".into(),
                version: 1,
            },
            Record::Config {
                subject: None,
                value: Some(ConfigValue {
                    compatibility_level: Some(CompatibilityLevel::Full),
                    ..ConfigValue::default()
                }),
            },
            Record::Config {
                subject: Some("a".into()),
                value: Some(ConfigValue {
                    compatibility_level: Some(CompatibilityLevel::None),
                    normalize: Some(true),
                    ..ConfigValue::default()
                }),
            },
            Record::Mode {
                subject: Some("e".into()),
                value: Some(ModeValue {
                    subject: Some("e".into()),
                    mode: crate::storage::Mode::ReadOnly,
                }),
            },
            Record::Exporter {
                name: "x".into(),
                value: Some(serde_json::json!({
                    "name": "x", "subjects": ["a*"], "config": {"schema.registry.url": "http://b"},
                    "offset": 7
                })),
            },
        ]
    }

    /// Everything a state holds, in a fixed order.
    fn fingerprint(state: &State) -> String {
        let sorted = |mut v: Vec<String>| {
            v.sort();
            v
        };
        format!(
            "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
            state.ids,
            state.contexts,
            state.subjects,
            sorted(state.configs.iter().map(|c| format!("{c:?}")).collect()),
            sorted(state.modes.iter().map(|m| format!("{m:?}")).collect()),
            sorted(state.exporters.iter().map(|e| format!("{e:?}")).collect()),
        )
    }

    #[test]
    fn a_state_reads_back_as_it_was_written_and_damage_is_an_error() {
        let state = fold(records());
        let mut bytes = Vec::new();
        write(&state, &mut bytes).unwrap();
        let back = read(&bytes).unwrap();
        assert_eq!(fingerprint(&back), fingerprint(&state));
        let long = &back.ids.schema(2).unwrap().text;
        assert!(
            long.stored().len() < long.as_str().len(),
            "{long:?} compressed"
        );
        for cut in [0, 1, bytes.len() / 2, bytes.len() - 1] {
            assert!(read(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(read(&longer).err().unwrap(), "1 bytes after the end");
        let mut other_version = bytes;
        other_version[0] = 9;
        assert_eq!(
            read(&other_version).err().unwrap(),
            "encoding version 9, not 4"
        );
    }

    async fn opened(dir: &std::path::Path) -> (Arc<LogStore>, Registry) {
        let store = Arc::new(LogStore::open(dir).unwrap());
        let defaults = Defaults {
            compatibility: CompatibilityLevel::Backward,
            cluster_id: crate::registry::DEFAULT_CLUSTER_ID.into(),
        };
        let registry = Registry::open(store.clone(), defaults, &Metrics::off())
            .await
            .unwrap();
        (store, registry)
    }

    async fn commit(store: &LogStore, records: Vec<Record>) {
        let txn = store.begin().await.unwrap();
        txn.commit(records, Box::new(|_| {})).await.unwrap();
    }

    #[tokio::test]
    async fn a_start_from_a_snapshot_and_the_records_after_it_equals_a_full_replay() {
        let dir = tempfile::tempdir().unwrap();
        let mut all = records();
        let after = all.split_off(6);
        {
            let store = LogStore::open(dir.path()).unwrap();
            commit(&store, all).await;
        }
        {
            let (store, _registry) = opened(dir.path()).await;
            store.snapshot().await.unwrap();
        }
        {
            let store = LogStore::open(dir.path()).unwrap();
            commit(&store, after).await;
        }
        {
            let store = LogStore::open(dir.path()).unwrap();
            let (snapshot, tail) = store.load_snapshot().await.unwrap();
            assert!(snapshot.is_some());
            assert_eq!(tail.records, records().split_off(6));
        }
        let from_snapshot = fingerprint(&opened(dir.path()).await.1.snapshot());
        assert_eq!(from_snapshot, fingerprint(&fold(records())));

        // Damaged: ignored, and the same state from the whole log.
        let path = dir.path().join("schemas.snapshot");
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(&path, bytes).unwrap();
        let (_store, registry) = opened(dir.path()).await;
        assert_eq!(fingerprint(&registry.snapshot()), from_snapshot);
    }

    #[tokio::test]
    async fn a_snapshot_that_checks_but_does_not_read_back_is_replaced_by_a_full_replay() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = LogStore::open(dir.path()).unwrap();
            commit(&store, records()).await;
            store.keep_snapshots(Box::new(|| {
                Some(Box::new(|out: &mut dyn Write| {
                    out.write_all(b"not a state")
                }))
            }));
            store.snapshot().await.unwrap();
        }
        let (_store, registry) = opened(dir.path()).await;
        assert_eq!(
            fingerprint(&registry.snapshot()),
            fingerprint(&fold(records()))
        );
    }
}
