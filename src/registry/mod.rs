//! The registry's use cases, over an in-memory [`State`] kept durable by a [`Store`].
//!
//! Reads take the published snapshot (`ArcSwap`, no lock) and never touch storage. Writes are
//! serialised by one async mutex that owns the *pending* state: a writer decides against it,
//! derives the next state, hands the records to the store and, when the store pipelines commits
//! (the log's group commit), releases the mutex before the fsync. The store publishes each
//! state once its records are durable, in commit order, so readers never see a write that
//! could be lost.
//!
//! - `register.rs`: register and lookup (with the no-parse fast path for known spellings).
//! - `read.rs`: schemas, subjects and versions.
//! - `delete.rs`: soft and hard deletes.
//! - `settings.rs`: compatibility configs and modes.
//! - `compatibility.rs`: the `/compatibility` checks and the check registration runs.
//! - `diff.rs`: the structured diff of two versions.
//! - `follow.rs`: applying other nodes' writes (shared stores).

mod compatibility;
mod delete;
mod diff;
mod follow;
mod read;
mod register;
mod settings;
mod state;

use std::sync::Arc;

use arc_swap::ArcSwap;
use compat::{CompatibilityLevel, Dependency, ParseOptions, Reference};
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::error::ApiError;
use crate::storage::{Record, Store, StoreError, Transaction};
pub use compatibility::CompatibilityAnswer;
pub use diff::VersionDiff;
pub use read::{DeletedFilter, SchemaFilter};
pub use register::{RegisterRequest, Registered};
pub use settings::{ConfigUpdate, Mode, Patch};
pub use state::{State, StoredSchema, VersionInfo};

/// Which Confluent generation's response shapes to produce (confluent-api.md §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ApiFormat {
    /// 7.x: `{"id":N}` from register, `schemaType` omitted for AVRO, 409 for incompatibility.
    V7,
    /// 8.x: full register response, `schemaType` always, guid/ts/deleted fields, 40901.
    V8,
}

/// Server-wide settings the use cases need.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// The compatibility level when neither subject nor global config sets one.
    pub default_compatibility: CompatibilityLevel,
    pub api: ApiFormat,
}

/// A subject version and its schema.
#[derive(Debug, Clone)]
pub struct SubjectVersion {
    pub subject: String,
    pub version: i32,
    pub info: VersionInfo,
    pub schema: Arc<StoredSchema>,
}

/// A version as a request names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionSpec {
    /// `latest` or `-1`: the highest live version.
    Latest,
    Number(i32),
}

/// The registry: cheap to clone, shared by every request.
#[derive(Clone)]
pub struct Registry {
    inner: Arc<Inner>,
}

struct Inner {
    published: ArcSwap<State>,
    writer: Arc<Mutex<Writer>>,
    store: Arc<dyn Store>,
    settings: Settings,
    /// Hash of a request's raw schema spelling → identity (see `register.rs`); outside the
    /// state because it is a cache, not data, and readers add to it.
    spellings: ArcSwap<imbl::HashMap<[u8; 16], [u8; 16]>>,
    /// Dropped with the registry, which ends the task following other nodes.
    _closed: tokio::sync::watch::Sender<()>,
}

/// The writer's view: the state including writes not yet durable.
struct Writer {
    pending: Arc<State>,
    /// The store generation `pending` was built in.
    generation: u64,
}

/// An open write: the writer lock, the store transaction and the state to decide against.
pub(crate) struct Write {
    writer: OwnedMutexGuard<Writer>,
    txn: Box<dyn Transaction>,
}

impl Write {
    pub(crate) fn state(&self) -> &State {
        &self.writer.pending
    }

    /// A fresh id for a new schema identity.
    pub(crate) async fn new_id(&mut self, identity: &[u8; 16]) -> Result<u32, ApiError> {
        let highest = self.writer.pending.max_id;
        self.txn
            .new_id(identity, highest)
            .await
            .map_err(|e| ApiError::store("Error while registering schema", e))
    }
}

impl Registry {
    /// Replays the store into memory.
    pub async fn open(store: Arc<dyn Store>, settings: Settings) -> Result<Registry, StoreError> {
        let started = std::time::Instant::now();
        let loaded = store.load().await?;
        let count = loaded.records.len();
        let mut state = State::default();
        for record in loaded.records {
            state.apply(record)?;
        }
        state.position = loaded.position;
        tracing::info!(
            "loaded {} records: {} schemas in {} subjects, in {} ms",
            count,
            state.schemas.len(),
            state.subjects.len(),
            started.elapsed().as_millis()
        );
        let state = Arc::new(state);
        let (closed, closed_rx) = tokio::sync::watch::channel(());
        let shared = store.is_shared();
        let registry = Registry {
            inner: Arc::new(Inner {
                published: ArcSwap::new(state.clone()),
                writer: Arc::new(Mutex::new(Writer {
                    pending: state,
                    generation: 0,
                })),
                store,
                settings,
                spellings: ArcSwap::default(),
                _closed: closed,
            }),
        };
        if shared {
            registry.follow(closed_rx);
        }
        Ok(registry)
    }

    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// The published state: everything durable.
    pub(crate) fn snapshot(&self) -> Arc<State> {
        self.inner.published.load_full()
    }

    /// Takes the writer lock and starts a store transaction, catching up with other nodes.
    pub(crate) async fn begin(&self, failure: &'static str) -> Result<Write, ApiError> {
        let mut writer = self.inner.writer.clone().lock_owned().await;
        let txn = self
            .inner
            .store
            .begin()
            .await
            .map_err(|e| ApiError::store(failure, e))?;
        if txn.generation() != writer.generation {
            // Writes the store had accepted were lost: start again from what is durable.
            writer.pending = self.inner.published.load_full();
            writer.generation = txn.generation();
        }
        if self.inner.store.is_shared() {
            // Inside the store's write lock: after this, nothing committed elsewhere is unseen.
            self.sync(&mut writer)
                .await
                .map_err(|e| ApiError::store(failure, e))?;
        }
        Ok(Write { writer, txn })
    }

    /// Makes `records` durable and visible, then returns. Nothing to write is a no-op.
    pub(crate) async fn commit(
        &self,
        mut write: Write,
        records: Vec<Record>,
        failure: &'static str,
    ) -> Result<(), ApiError> {
        if records.is_empty() {
            return Ok(());
        }
        let mut next = (*write.writer.pending).clone();
        for record in &records {
            next.apply(record.clone())
                .map_err(|e| ApiError::store(failure, e))?;
        }
        let next = Arc::new(next);
        let inner = self.inner.clone();
        let published = next.clone();
        let pipelined = write.txn.pipelined();
        let durable = write.txn.commit(
            records,
            Box::new(move |position| inner.published.store(published.at(position))),
        );
        write.writer.pending = next;
        let result = if pipelined {
            drop(write.writer);
            durable.await
        } else {
            let result = durable.await;
            // Durable: the published state, now with the commit's position. Failed: what was
            // durable before, with its position, so the next write reads again whatever this one
            // had caught up on.
            write.writer.pending = self.inner.published.load_full();
            result
        };
        if let Err(e) = result {
            if pipelined {
                let mut writer = self.inner.writer.lock().await;
                writer.pending = self.inner.published.load_full();
            }
            return Err(ApiError::store(failure, e));
        }
        Ok(())
    }

    /// The parsed form of a stored schema, built once and kept.
    pub(crate) fn parsed(
        &self,
        state: &State,
        schema: &StoredSchema,
    ) -> Result<Arc<compat::Schema>, ApiError> {
        if let Some(parsed) = schema.parsed.get() {
            return Ok(parsed.clone());
        }
        let deps = dependencies(state, &schema.references, true)?;
        let deps: Vec<Dependency<'_>> = deps
            .iter()
            .map(|(name, s)| Dependency {
                name,
                schema: &s.text,
            })
            .collect();
        let options = ParseOptions {
            normalize: false,
            validate: false,
        };
        let parsed =
            compat::parse(schema.schema_type, &schema.text, &deps, options).map_err(|e| {
                ApiError::InvalidSchema(format!(
                    "Stored schema {} cannot be parsed: {e}",
                    schema.id
                ))
            })?;
        let parsed = Arc::new(parsed);
        let _ = schema.parsed.set(parsed.clone());
        Ok(parsed)
    }
}

/// The schemas `references` name, with theirs, dependencies before dependents, each once.
/// `allow_deleted` lets stored schemas keep resolving after a referenced version is
/// soft-deleted; new registrations may only reference live versions.
pub(crate) fn dependencies(
    state: &State,
    references: &[Reference],
    allow_deleted: bool,
) -> Result<Vec<(String, Arc<StoredSchema>)>, ApiError> {
    let mut out: Vec<(String, Arc<StoredSchema>)> = Vec::new();
    let mut visiting: Vec<(String, i32)> = Vec::new();
    collect(state, references, allow_deleted, &mut out, &mut visiting)?;
    Ok(out)
}

fn collect(
    state: &State,
    references: &[Reference],
    allow_deleted: bool,
    out: &mut Vec<(String, Arc<StoredSchema>)>,
    visiting: &mut Vec<(String, i32)>,
) -> Result<(), ApiError> {
    for r in references {
        if out.iter().any(|(name, _)| *name == r.name) {
            continue;
        }
        let key = (r.subject.clone(), r.version);
        if visiting.contains(&key) {
            return Err(ApiError::InvalidSchema(format!(
                "Circular reference to subject \"{}\" version {}",
                r.subject, r.version
            )));
        }
        let schema = state
            .versions(&r.subject)
            .and_then(|vs| vs.get(&r.version))
            .filter(|info| allow_deleted || !info.deleted)
            .and_then(|info| state.schemas.get(&info.id))
            .ok_or_else(|| {
                ApiError::InvalidSchema(format!(
                    "Invalid schema, details: No schema reference found for subject \"{}\" and version {}",
                    r.subject, r.version
                ))
            })?
            .clone();
        visiting.push(key);
        collect(state, &schema.references, allow_deleted, out, visiting)?;
        visiting.pop();
        out.push((r.name.clone(), schema));
    }
    Ok(())
}

/// The subject must be one Confluent accepts: no control characters, not a reserved name.
pub(crate) fn check_subject(subject: &str) -> Result<(), ApiError> {
    let reserved = subject == "__GLOBAL" || subject == "__EMPTY";
    if reserved || subject.chars().any(char::is_control) {
        return Err(ApiError::InvalidSubject(subject.to_string()));
    }
    Ok(())
}

/// Milliseconds since the epoch, for the `ts` of a write.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
