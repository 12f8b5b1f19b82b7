//! A read-only replica of another registry (`serve --follow`): the state as the records that
//! rebuild it, so a follower can tell what changed on its source, and the one write a replica
//! takes: the source's changes, applied as they are.

use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};

use imbl::ordmap::DiffItem;

use super::state::VersionInfo;
use super::write::Operation;
use super::{Inner, Registry, State};
use crate::error::ApiError;
use crate::storage::{ModeValue, Record, SchemaValue};

/// A registry that may have gone: what a background task holds so it does not keep it open.
#[derive(Clone)]
pub struct WeakRegistry(Weak<Inner>);

impl WeakRegistry {
    pub fn upgrade(&self) -> Option<Registry> {
        self.0.upgrade().map(|inner| Registry { inner })
    }
}

impl State {
    /// The records that rebuild this state in an empty store: the contexts, every subject
    /// version (its write time left out, a replica's own), then the configs and modes, in a
    /// stable order.
    pub fn records(&self) -> Vec<Record> {
        let (mut records, settings) = self.small_records();
        for (subject, versions) in &self.subjects {
            for (version, info) in versions.iter() {
                records.extend(self.version_record(subject, *version, *info, None));
            }
        }
        records.extend(settings);
        records
    }

    /// What changed from `before` to this state, as [`State::records`] spells it: the records
    /// that are new or differ, and the records of `before` that are gone. Subjects are compared
    /// through their persistent map, which skips the nodes the two states share, so the cost is
    /// that of the change, not of the state (an exporter asks after every write).
    pub fn changes_since(&self, before: &State) -> (Vec<Record>, Vec<Record>) {
        let (mut changed, mut gone) = (Vec::new(), Vec::new());
        for item in before.subjects.diff(&self.subjects) {
            let (subject, old, new) = match item {
                DiffItem::Add(subject, new) => (subject, None, Some(new)),
                DiffItem::Update {
                    old: (subject, old),
                    new: (_, new),
                } => (subject, Some(old), Some(new)),
                DiffItem::Remove(subject, old) => (subject, Some(old), None),
            };
            for (version, info) in new.iter().flat_map(|vs| vs.iter()) {
                if old.and_then(|vs| vs.get(version)) != Some(info) {
                    changed.extend(self.version_record(subject, *version, *info, None));
                }
            }
            for (version, info) in old.iter().flat_map(|vs| vs.iter()) {
                if new.and_then(|vs| vs.get(version)).is_none() {
                    gone.extend(before.version_record(subject, *version, *info, None));
                }
            }
        }
        // Contexts, configs and modes are few: compared whole.
        let small = |state: &State| {
            let (mut records, settings) = state.small_records();
            records.extend(settings);
            records
        };
        let (now, then) = (small(self), small(before));
        changed.extend(now.iter().filter(|r| !then.contains(r)).cloned());
        let keys: HashSet<Vec<u8>> = now.iter().map(Record::key).collect();
        gone.extend(then.into_iter().filter(|r| !keys.contains(&r.key())));
        (changed, gone)
    }

    /// The contexts' records; the configs' and modes' records.
    fn small_records(&self) -> (Vec<Record>, Vec<Record>) {
        let contexts = self
            .contexts
            .iter()
            .filter(|(_, c)| c.recorded)
            .map(|(name, _)| Record::Context {
                context: name.clone(),
                exists: true,
            })
            .collect();
        let mut configs: Vec<_> = self.configs.iter().collect();
        configs.sort_by(|a, b| a.0.cmp(b.0));
        let mut settings: Vec<Record> = configs
            .into_iter()
            .map(|(subject, value)| Record::Config {
                subject: subject.clone(),
                value: Some(value.clone()),
            })
            .collect();
        let mut modes: Vec<_> = self.modes.iter().collect();
        modes.sort_by(|a, b| a.0.cmp(b.0));
        settings.extend(modes.into_iter().map(|(subject, mode)| Record::Mode {
            subject: subject.clone(),
            value: Some(ModeValue {
                subject: subject.clone(),
                mode: *mode,
            }),
        }));
        (contexts, settings)
    }

    /// The record of one subject version, with its schema and write time `ts`.
    pub(crate) fn version_record(
        &self,
        subject: &str,
        version: i32,
        info: VersionInfo,
        ts: Option<i64>,
    ) -> Option<Record> {
        let schema = self.schema(subject, info.id)?;
        Some(Record::Schema {
            subject: subject.to_string(),
            version,
            value: Some(SchemaValue {
                subject: subject.to_string(),
                version,
                id: info.id,
                schema_type: schema.schema_type.as_str().to_string(),
                references: schema.references().to_vec(),
                schema: schema.text.as_str().into_owned(),
                metadata: schema.metadata().cloned(),
                rule_set: schema.rule_set().cloned(),
                deleted: info.deleted,
                ts,
            }),
        })
    }
}

impl Registry {
    /// Makes this registry a replica: from now on it refuses every write but
    /// [`Registry::replicate`], with Confluent's read-only error.
    pub fn make_replica(&self) {
        self.inner.replica.store(true, Ordering::SeqCst);
    }

    pub(crate) fn is_replica(&self) -> bool {
        self.inner.replica.load(Ordering::SeqCst)
    }

    pub fn downgrade(&self) -> WeakRegistry {
        WeakRegistry(Arc::downgrade(&self.inner))
    }

    /// The published state as records ([`State::records`]).
    pub fn records(&self) -> Vec<Record> {
        self.snapshot().records()
    }

    /// Applies a source's changes to a replica, unchecked: the source checked them.
    pub async fn replicate(&self, records: Vec<Record>) -> Result<(), ApiError> {
        let write = self.begin(Operation::Replicate, None).await?;
        self.commit(write, records).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::state::tests::{fold, put};
    use crate::storage::ConfigValue;

    fn version(subject: &str, version: i32, id: u32, deleted: bool) -> Record {
        let text = format!("{{\"type\":\"fixed\",\"name\":\"F{id}\",\"size\":{id}}}");
        let mut record = put(subject, version, id, &text);
        if let Record::Schema {
            value: Some(value), ..
        } = &mut record
        {
            value.deleted = deleted;
        }
        record
    }

    fn keys(records: &[Record]) -> Vec<String> {
        let mut keys: Vec<String> = records
            .iter()
            .map(|r| String::from_utf8(r.key()).unwrap())
            .collect();
        keys.sort();
        keys
    }

    #[test]
    fn changes_since_names_what_was_added_changed_and_removed() {
        let before = fold(vec![
            version("a", 1, 1, false),
            version("a", 2, 2, false),
            version("b", 1, 1, false),
            version("gone", 1, 3, false),
        ]);
        let mut after = before.clone();
        for record in [
            version("a", 2, 2, true),  // soft-deleted
            version("c", 1, 4, false), // a new subject
            Record::Schema {
                // hard-deleted
                subject: "gone".into(),
                version: 1,
                value: None,
            },
            Record::Config {
                subject: Some("b".into()),
                value: Some(ConfigValue::default()),
            },
        ] {
            after.apply(record).unwrap();
        }
        let (changed, gone) = after.changes_since(&before);
        assert_eq!(
            keys(&changed),
            [
                r#"{"keytype":"CONFIG","subject":"b","magic":0}"#,
                r#"{"keytype":"SCHEMA","subject":"a","version":2,"magic":1}"#,
                r#"{"keytype":"SCHEMA","subject":"c","version":1,"magic":1}"#,
            ]
        );
        assert!(changed.iter().all(|r| after.records().contains(r)));
        assert_eq!(
            keys(&gone),
            [r#"{"keytype":"SCHEMA","subject":"gone","version":1,"magic":1}"#]
        );
        assert!(gone.iter().all(|r| before.records().contains(r)));
        // Applying the changes to the records of before gives the records of after.
        let mut rebuilt = before.records();
        rebuilt.retain(|r| !gone.contains(r) && !changed.iter().any(|c| c.key() == r.key()));
        rebuilt.extend(changed);
        assert_eq!(keys(&rebuilt), keys(&after.records()));
        assert_eq!(after.changes_since(&after), (Vec::new(), Vec::new()));
    }
}
