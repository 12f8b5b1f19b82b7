//! A read-only replica of another registry (`serve --follow`): the state as the records that
//! rebuild it, so a follower can tell what changed on its source, and the one write a replica
//! takes: the source's changes, applied as they are.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};

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
        let mut records: Vec<Record> = self
            .contexts
            .iter()
            .filter(|(_, c)| c.recorded)
            .map(|(name, _)| Record::Context {
                context: name.clone(),
                exists: true,
            })
            .collect();
        for (subject, versions) in &self.subjects {
            for (version, info) in versions.iter() {
                let Some(schema) = self.schema(subject, info.id) else {
                    continue;
                };
                records.push(Record::Schema {
                    subject: subject.to_string(),
                    version: *version,
                    value: Some(SchemaValue {
                        subject: subject.to_string(),
                        version: *version,
                        id: info.id,
                        schema_type: schema.schema_type.as_str().to_string(),
                        references: schema.references.to_vec(),
                        schema: schema.text.to_string(),
                        metadata: schema.metadata.as_deref().cloned(),
                        rule_set: schema.rule_set.as_deref().cloned(),
                        deleted: info.deleted,
                        ts: None,
                    }),
                });
            }
        }
        let mut configs: Vec<_> = self.configs.iter().collect();
        configs.sort_by(|a, b| a.0.cmp(b.0));
        records.extend(configs.into_iter().map(|(subject, value)| Record::Config {
            subject: subject.clone(),
            value: Some(value.clone()),
        }));
        let mut modes: Vec<_> = self.modes.iter().collect();
        modes.sort_by(|a, b| a.0.cmp(b.0));
        records.extend(modes.into_iter().map(|(subject, mode)| Record::Mode {
            subject: subject.clone(),
            value: Some(ModeValue {
                subject: subject.clone(),
                mode: *mode,
            }),
        }));
        records
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
