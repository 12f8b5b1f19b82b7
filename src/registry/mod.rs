//! The registry's use cases, over an in-memory [`State`] kept durable by a [`Store`].
//!
//! Reads take the published snapshot (`ArcSwap`, no lock) and never touch storage. Writes are
//! serialised by one async mutex that owns the *pending* state: a writer decides against it,
//! derives the next state, hands the records to the store and releases the mutex before they
//! are durable: the store orders commits and shares one flush among concurrent ones (group
//! commit). The store publishes each state once its records are durable, in commit order, so
//! readers never see a write that could be lost.
//!
//! - `state.rs`: the in-memory state, the fold of the stored records.
//! - `context.rs`: context-qualified subject names (`:.ctx:name`); `contexts.rs`: listing and
//!   deleting contexts.
//! - `snapshot.rs`: the state written whole and read back, for a fast start.
//! - `usages.rs`: the subject versions holding a schema id.
//! - `write.rs`: how every write use case writes: the writer lock, the one mode gate, commit.
//! - `register.rs`: register and lookup (with the no-parse fast path for known spellings).
//! - `read.rs`: schemas, subjects and versions.
//! - `delete.rs`: soft and hard deletes.
//! - `config.rs`: compatibility configs, resolved subject → global → the server's [`Defaults`].
//! - `contract.rs`: data contracts (metadata and rule sets): merging, validation, matching.
//! - `mode.rs`: modes.
//! - `compatibility.rs`: the `/compatibility` checks and the check registration runs.
//! - `fields.rs`: `validateFields`: strict validation and reserved fields.
//! - `diff.rs`: the structured diff of two versions.
//! - `exporters.rs`: schema exporters' definitions and durable state.
//! - `replica.rs`: a read-only replica of another registry (`serve --follow`): the state as
//!   records, and applying a source's changes.
//! - `follow.rs`: applying other nodes' writes (shared stores), and how far behind that is.
//! - `metrics.rs`: what the use cases measure.
//! - `readiness`: whether the registry can take writes ([`Registry::readiness`]).

mod compatibility;
mod config;
pub mod context;
mod contexts;
mod contract;
mod delete;
mod diff;
mod exporters;
mod fields;
mod follow;
mod metrics;
mod mode;
mod read;
mod register;
mod replica;
mod snapshot;
mod state;
mod text;
mod usages;
mod versions;
mod write;

use std::sync::Arc;

use arc_swap::ArcSwap;
use compat::{CompatibilityLevel, Dependency, ParseOptions, Reference};
use tokio::sync::Mutex;

use crate::error::ApiError;
use crate::metrics::Metrics;
pub use crate::storage::{ConfigValue, Mode, Position};
use crate::storage::{Store, StoreError};
pub use compatibility::CompatibilityAnswer;
pub use config::{ConfigUpdate, Patch};
pub use contract::{canonical_rule_set, Contract};
pub use diff::VersionDiff;
pub use exporters::{wildcard, Exporter, ExporterUpdate, SECRET_KEYS};
pub use read::{DeletedFilter, SchemaFilter, SubjectNames};
pub use register::{RegisterRequest, Registered};
pub use replica::WeakRegistry;
pub use state::{IdSpace, State, StoredSchema, VersionInfo};

/// Confluent's default cluster id (its `schema.registry.group.id`).
pub const DEFAULT_CLUSTER_ID: &str = "schema-registry";

/// What the server assumes where nothing is stored.
#[derive(Debug, Clone)]
pub struct Defaults {
    /// The compatibility level when neither subject nor global config sets one.
    pub compatibility: CompatibilityLevel,
    /// This registry's cluster id (`--cluster-id`): what `GET /v1/metadata/id` answers, and
    /// the name of the context an exporter of contextType AUTO writes into.
    pub cluster_id: Arc<str>,
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
    /// Followed by a write that writes nothing, which may rest on commits still in flight.
    settled: tokio::sync::watch::Sender<Settled>,
    store: Arc<dyn Store>,
    defaults: Defaults,
    /// Hash of a request's raw schema spelling → identity (see `register.rs`); outside the
    /// state because it is a cache, not data, and readers add to it.
    spellings: ArcSwap<imbl::HashMap<[u8; 16], [u8; 16]>>,
    metrics: metrics::RegistryMetrics,
    /// How the last attempts to catch up with other nodes went (shared stores).
    sync: follow::SyncStatus,
    /// Dropped with the registry, which ends the task following other nodes.
    _closed: tokio::sync::watch::Sender<()>,
    /// Set on a replica of another registry: only replication writes.
    replica: std::sync::atomic::AtomicBool,
}

/// The writer's view: the state including writes not yet durable.
struct Writer {
    pending: Arc<State>,
    /// The store generation `pending` was built in.
    generation: u64,
    /// How many commits this registry has handed to the store, each numbered in turn.
    issued: u64,
}

/// How far the commits handed to the store have got: the highest number settled (durable or
/// failed) and the highest that failed. The store settles them in order.
#[derive(Debug, Clone, Copy, Default)]
struct Settled {
    settled: u64,
    failed: u64,
}

impl Registry {
    /// Replays the store into memory; what the registry does is recorded in `metrics`.
    pub async fn open(
        store: Arc<dyn Store>,
        defaults: Defaults,
        metrics: &Metrics,
    ) -> Result<Registry, StoreError> {
        let started = std::time::Instant::now();
        let (snapshot, loaded) = store.load_snapshot().await?;
        let from_snapshot = snapshot.is_some();
        let count = loaded.records.len();
        // Reading the snapshot and folding every record is CPU work: off the threads that
        // answer requests (probes). `None`: the snapshot does not read back.
        let state = tokio::task::spawn_blocking(move || {
            let mut state = match snapshot.as_deref().map(snapshot::read) {
                None => State::default(),
                Some(Ok(state)) => state,
                Some(Err(why)) => {
                    tracing::warn!("the snapshot cannot be read ({why}); replaying the log");
                    return Ok(None);
                }
            };
            for record in loaded.records {
                state.apply(record)?;
            }
            state.position = loaded.position;
            if state.repack_due() {
                state = state.repacked();
            }
            Ok::<Option<State>, StoreError>(Some(state))
        })
        .await
        .map_err(|e| StoreError::Backend(format!("replaying the records: {e}")))??;
        let state = match state {
            Some(state) => state,
            None => replay(store.load().await?).await?,
        };
        tracing::info!(
            "loaded {} records{}: {} schemas in {} subjects, in {} ms",
            count,
            if from_snapshot {
                " after a snapshot"
            } else {
                ""
            },
            state.spaces().map(|(_, s)| s.len()).sum::<usize>(),
            state.subjects.len(),
            started.elapsed().as_millis()
        );
        contexts::check_upgrade(&state)?;
        let state = Arc::new(state);
        let (closed, closed_rx) = tokio::sync::watch::channel(());
        let shared = store.is_shared();
        let registry = Registry {
            inner: Arc::new(Inner {
                published: ArcSwap::new(state.clone()),
                writer: Arc::new(Mutex::new(Writer {
                    pending: state,
                    generation: 0,
                    issued: 0,
                })),
                settled: tokio::sync::watch::Sender::new(Settled::default()),
                store,
                defaults,
                spellings: ArcSwap::default(),
                metrics: metrics::RegistryMetrics::new(metrics),
                sync: follow::SyncStatus::new(),
                _closed: closed,
                replica: std::sync::atomic::AtomicBool::new(false),
            }),
        };
        metrics::observe_state(metrics, &registry.inner);
        // The store captures the published state when it is exactly the durable records; a
        // weak reference, as the store lives in the registry.
        let weak = Arc::downgrade(&registry.inner);
        registry.inner.store.keep_snapshots(Box::new(move || {
            let state = weak.upgrade()?.published.load_full();
            Some(Box::new(move |out: &mut dyn std::io::Write| {
                snapshot::write(&state, out)
            }))
        }));
        if shared {
            follow::observe(metrics, &registry.inner);
            registry.follow(closed_rx);
        }
        Ok(registry)
    }

    /// Whether the registry can take writes now: `Err` says why not (the log's disk is full,
    /// the database cannot be reached, the node is catching up with it). Reads are served
    /// from memory either way.
    pub fn readiness(&self) -> Result<(), String> {
        if let Some(why) = self.inner.store.refuses_writes() {
            return Err(why);
        }
        if self.inner.store.is_shared() {
            return self.inner.sync.readiness();
        }
        Ok(())
    }

    /// Whether this node runs the schema exporters now: on a shared store, the one node that
    /// holds its exporter lease.
    pub async fn hold_exporter_lease(&self) -> bool {
        self.inner.store.hold_exporter_lease().await
    }

    pub fn defaults(&self) -> &Defaults {
        &self.inner.defaults
    }

    /// The published state: everything durable.
    pub(crate) fn snapshot(&self) -> Arc<State> {
        self.inner.published.load_full()
    }

    /// The parsed form of a stored schema, built once and kept.
    /// `context` is the schema's: its references name subjects there.
    pub(crate) fn parsed(
        &self,
        state: &State,
        context: &str,
        schema: &StoredSchema,
    ) -> Result<Arc<compat::Schema>, ApiError> {
        if let Some(parsed) = schema.parsed() {
            return Ok(parsed.clone());
        }
        let deps = dependencies(state, context, schema.references(), true)?;
        let texts: Vec<_> = deps.iter().map(|(_, s)| s.text.as_str()).collect();
        let deps: Vec<Dependency<'_>> = deps
            .iter()
            .zip(&texts)
            .map(|((name, _), text)| Dependency { name, schema: text })
            .collect();
        let options = ParseOptions {
            normalize: false,
            validate: false,
        };
        let parsed = compat::parse(schema.schema_type, &schema.text.as_str(), &deps, options)
            .map_err(|e| {
                ApiError::InvalidSchema(format!(
                    "Stored schema {} cannot be parsed: {e}",
                    schema.id
                ))
            })?;
        let parsed = Arc::new(parsed);
        schema.keep_parsed(parsed.clone());
        Ok(parsed)
    }
}

/// The fold of every record, oldest first.
/// `state`, its maps rebuilt with full leaves if they grew enough since they last were (see
/// [`State::repack_due`]); off the async threads, as it takes a few hundred milliseconds at a
/// million schemas. Should the rebuild fail, `state` is as good, only larger.
async fn repacked_if_due(state: Arc<State>) -> Arc<State> {
    if !state.repack_due() {
        return state;
    }
    let kept = state.clone();
    tokio::task::spawn_blocking(move || {
        let started = std::time::Instant::now();
        let state = state.repacked();
        tracing::info!(
            "rebuilt the maps of {} entries with full leaves in {} ms",
            state.packed,
            started.elapsed().as_millis()
        );
        Arc::new(state)
    })
    .await
    .unwrap_or(kept)
}

async fn replay(loaded: crate::storage::Batch) -> Result<State, StoreError> {
    tokio::task::spawn_blocking(move || {
        let mut state = State::default();
        for record in loaded.records {
            state.apply(record)?;
        }
        state.position = loaded.position;
        if state.repack_due() {
            state = state.repacked();
        }
        Ok(state)
    })
    .await
    .map_err(|e| StoreError::Backend(format!("replaying the records: {e}")))?
}

/// The schemas `references` (of a schema in `context`) name, with theirs, dependencies before
/// dependents, each once. `allow_deleted` lets stored schemas keep resolving after a referenced
/// version is soft-deleted; new registrations may only reference live versions.
pub(crate) fn dependencies(
    state: &State,
    context: &str,
    references: &[Reference],
    allow_deleted: bool,
) -> Result<Vec<(String, Arc<StoredSchema>)>, ApiError> {
    let mut out: Vec<(String, Arc<StoredSchema>)> = Vec::new();
    let mut visiting: Vec<(String, i32)> = Vec::new();
    collect(
        state,
        context,
        references,
        allow_deleted,
        &mut out,
        &mut visiting,
    )?;
    Ok(out)
}

fn collect(
    state: &State,
    context: &str,
    references: &[Reference],
    allow_deleted: bool,
    out: &mut Vec<(String, Arc<StoredSchema>)>,
    visiting: &mut Vec<(String, i32)>,
) -> Result<(), ApiError> {
    for r in references {
        if out.iter().any(|(name, _)| *name == r.name) {
            continue;
        }
        let subject = context::qualify_reference(context, &r.subject);
        let key = (subject.to_string(), r.version);
        if visiting.contains(&key) {
            return Err(ApiError::InvalidSchema(format!(
                "Circular reference to subject \"{}\" version {}",
                r.subject, r.version
            )));
        }
        let schema = state
            .versions(&subject)
            .and_then(|vs| vs.get(&r.version))
            .filter(|info| allow_deleted || !info.deleted)
            .and_then(|info| state.schema(&subject, info.id))
            .ok_or_else(|| {
                ApiError::InvalidSchema(format!(
                    "Invalid schema, details: No schema reference found for subject \"{}\" and version {}",
                    r.subject, r.version
                ))
            })?
            .clone();
        visiting.push(key);
        let theirs = context::context_of(&subject);
        collect(
            state,
            theirs,
            schema.references(),
            allow_deleted,
            out,
            visiting,
        )?;
        visiting.pop();
        out.push((r.name.clone(), schema));
    }
    Ok(())
}

/// The subject must be one Confluent accepts (`QualifiedSubject.isValidSubject`): no control
/// characters, not a reserved name, and in the `.__GLOBAL` context only for a config or mode.
pub(crate) fn check_subject(subject: &str, config_or_mode: bool) -> Result<(), ApiError> {
    let name = context::unqualified(subject);
    let reserved = name == "__GLOBAL" || name == "__EMPTY";
    let global = !config_or_mode && context::context_of(subject) == context::GLOBAL;
    if reserved || global || subject.chars().any(char::is_control) {
        return Err(ApiError::InvalidSubject(subject.to_string()));
    }
    Ok(())
}

/// Whether `subject` names the global context itself (`:.__GLOBAL:`), whose config and mode
/// every context falls back to.
pub fn is_global_context(subject: &str) -> bool {
    context::context_of(subject) == context::GLOBAL && context::unqualified(subject).is_empty()
}

/// Milliseconds since the epoch, for the `ts` of a write.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
