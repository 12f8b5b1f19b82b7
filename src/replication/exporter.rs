//! Running the schema exporters: each one copies the subjects it exports to its destination
//! registry through the destination's API, with IMPORT-mode registrations carrying the ids and
//! versions, then soft and hard deletes and subject configs as they are here.
//!
//! One task runs every exporter in turn, every [`TICK`]. An exporter first reads what its
//! destination holds of its subjects (so a restart, a reset or a resume writes only what is
//! missing), then writes the difference between that and this registry's state, and keeps the
//! destination's view up to date as it writes. How many changes it wrote since it was created
//! or reset is its durable `offset` (a record, see `registry::exporters`). A destination that
//! refuses (not in IMPORT mode, unreachable, unauthorized) puts the exporter in `ERROR`, the
//! refusal in `trace`; it is tried again after a backoff that doubles up to [`MAX_BACKOFF`].
//! Modes are not exported: the destination must stay in IMPORT mode to take the writes.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;

use super::remote::{encode, Credentials, Remote, RemoteError, Snapshot};
use crate::registry::{Exporter, Registry, State};
use crate::storage::{ConfigValue, Record, SchemaValue};

/// How often the exporters look for something to write.
pub const TICK: Duration = Duration::from_millis(200);
/// The longest wait before trying a refusing destination again.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
const FIRST_BACKOFF: Duration = Duration::from_millis(500);

/// What an exporter is doing, for `GET /exporters/{name}/status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// `STARTING`, `RUNNING`, `PAUSED` or `ERROR`.
    pub state: &'static str,
    pub offset: u64,
    /// Milliseconds since the epoch of the last change of state or offset.
    pub ts: i64,
    /// Why the destination refused, while it does.
    pub trace: Option<String>,
}

/// Why a node does not run the exporters (`--run-exporters false`).
const NOT_RUN_HERE: &str = "this node does not run exporters (--run-exporters false)";
/// Why a node that may run exporters does not run them now.
const LEASE_ELSEWHERE: &str =
    "another node holds the exporter lease and runs the exporters (shared storage)";

/// The exporters' statuses, shared with the HTTP layer.
#[derive(Clone, Default)]
pub struct Exporters {
    statuses: Arc<Mutex<HashMap<String, Status>>>,
    /// Why this node does not run the exporters now, when it does not.
    elsewhere: Arc<Mutex<Option<&'static str>>>,
}

impl Exporters {
    /// The statuses of a node that does not run exporters: each says so in its trace.
    pub fn elsewhere() -> Exporters {
        Exporters {
            elsewhere: Arc::new(Mutex::new(Some(NOT_RUN_HERE))),
            ..Exporters::default()
        }
    }

    fn elsewhere_now(&self) -> Option<&'static str> {
        *self
            .elsewhere
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Records whether this node runs the exporters now: when it stops, what its runs
    /// reported is stale, and is forgotten.
    fn leading(&self, leads: bool) {
        *self
            .elsewhere
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = (!leads).then_some(LEASE_ELSEWHERE);
        if !leads {
            self.lock().clear();
        }
    }

    /// The status of `exporter`: paused (at its stored offset) when it is, else what its run
    /// last reported.
    pub fn status(&self, exporter: &Exporter) -> Status {
        let known = self.lock().get(&exporter.name).cloned();
        match known {
            _ if exporter.paused => Status {
                state: "PAUSED",
                offset: exporter.offset,
                ts: known
                    .filter(|s| s.state == "PAUSED")
                    .map_or_else(now_ms, |s| s.ts),
                trace: None,
            },
            Some(status) if status.state != "PAUSED" => status,
            _ => Status {
                state: "STARTING",
                offset: exporter.offset,
                ts: now_ms(),
                trace: self.elsewhere_now().map(str::to_string),
            },
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Status>> {
        self.statuses.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn set(&self, name: &str, state: &'static str, offset: u64, trace: Option<String>) {
        let mut statuses = self.lock();
        let unchanged = statuses
            .get(name)
            .is_some_and(|s| s.state == state && s.offset == offset && s.trace == trace);
        if !unchanged {
            statuses.insert(
                name.to_string(),
                Status {
                    state,
                    offset,
                    ts: now_ms(),
                    trace,
                },
            );
        }
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// One exporter's run: what its destination holds of its subjects, and when to try again.
#[derive(Default)]
struct Run {
    /// The destination and offset the view below belongs to: a config change or a reset
    /// starts again from the destination.
    basis: Option<(String, u64)>,
    /// The destination's records for this exporter's subjects, by key.
    view: Option<HashMap<Vec<u8>, Record>>,
    retry_at: Option<Instant>,
    backoff: Duration,
    /// The registry state last written out in full, the view above matching it: the next
    /// push sends only what changed since ([`State::changes_since`]), not a comparison of the
    /// whole state. It shares all but what changed with the published state.
    pushed: Option<Arc<State>>,
}

/// Starts running the exporters of `registry` until it is dropped; their statuses.
pub fn start(registry: &Registry) -> Exporters {
    let exporters = Exporters::default();
    let statuses = exporters.clone();
    let weak = registry.downgrade();
    tokio::spawn(async move {
        let mut runs: HashMap<String, Run> = HashMap::new();
        loop {
            let Some(registry) = weak.upgrade() else {
                return;
            };
            let defined = registry.exporters();
            runs.retain(|name, _| defined.iter().any(|e| &e.name == name));
            statuses
                .lock()
                .retain(|name, _| defined.iter().any(|e| &e.name == name));
            // The lease is asked for only while there is something to export.
            let leads = !defined.is_empty() && registry.hold_exporter_lease().await;
            statuses.leading(leads || defined.is_empty());
            if !leads {
                // A run's view of its destination is stale once another node has written.
                runs.clear();
            }
            for exporter in defined.into_iter().filter(|_| leads) {
                let run = runs.entry(exporter.name.clone()).or_default();
                step(&registry, &exporter, run, &statuses).await;
            }
            drop(registry);
            tokio::time::sleep(TICK).await;
        }
    });
    exporters
}

async fn step(registry: &Registry, exporter: &Exporter, run: &mut Run, statuses: &Exporters) {
    let name = &exporter.name;
    if exporter.paused {
        run.view = None;
        run.retry_at = None;
        statuses.set(name, "PAUSED", exporter.offset, None);
        return;
    }
    if run.retry_at.is_some_and(|at| Instant::now() < at) {
        return;
    }
    let url = exporter
        .config
        .get("schema.registry.url")
        .cloned()
        .unwrap_or_default();
    let basis = Some((format!("{url} {:?}", exporter.config), exporter.offset));
    if run.basis != basis {
        run.view = None;
        run.basis = basis;
    }
    let credentials = Credentials::from_args(
        exporter
            .config
            .get("basic.auth.user.info")
            .map(String::as_str),
        exporter.config.get("bearer.auth.token").map(String::as_str),
    );
    let result = match credentials {
        Ok(credentials) => push(registry, exporter, run, &Remote::new(&url, credentials)).await,
        Err(e) => Err((0, e)),
    };
    match result {
        Ok(0) => {
            run.backoff = Duration::ZERO;
            statuses.set(name, "RUNNING", exporter.offset, None);
        }
        Ok(written) => {
            run.backoff = Duration::ZERO;
            advance(registry, exporter, run, written, statuses).await;
        }
        Err((written, e)) => {
            if written > 0 {
                advance(registry, exporter, run, written, statuses).await;
            }
            run.view = None;
            run.backoff = (run.backoff * 2).clamp(FIRST_BACKOFF, MAX_BACKOFF);
            run.retry_at = Some(Instant::now() + run.backoff);
            statuses.set(name, "ERROR", exporter.offset + written, Some(e.0));
        }
    }
}

/// Makes the new offset durable; the run keeps its view (the offset it starts from moves on).
async fn advance(
    registry: &Registry,
    exporter: &Exporter,
    run: &mut Run,
    written: u64,
    statuses: &Exporters,
) {
    let offset = exporter.offset + written;
    match registry
        .advance_exporter(&exporter.name, exporter.offset, written)
        .await
    {
        Ok(()) => {
            if let Some((destination, _)) = run.basis.take() {
                run.basis = Some((destination, offset));
            }
            statuses.set(&exporter.name, "RUNNING", offset, None);
        }
        Err(e) => {
            tracing::warn!(
                "exporter {}: recording its offset failed: {e}",
                exporter.name
            );
            statuses.set(&exporter.name, "RUNNING", offset, None);
        }
    }
}

/// Writes what the destination lacks; how many changes it wrote, also when it then failed.
async fn push(
    registry: &Registry,
    exporter: &Exporter,
    run: &mut Run,
    destination: &Remote,
) -> Result<u64, (u64, RemoteError)> {
    if run.view.is_none() {
        run.pushed = None;
        let snapshot = Snapshot::read(destination).await.map_err(|e| (0, e))?;
        let view = snapshot
            .records()
            .into_iter()
            .filter(|r| subject_of(r).is_some_and(|s| exporter.source_of(s).is_some()))
            .map(|r| (r.key(), without_ts(r)))
            .collect();
        run.view = Some(view);
    }
    let state = registry.snapshot();
    if run.pushed.as_ref().is_some_and(|p| Arc::ptr_eq(p, &state)) {
        return Ok(0);
    }
    let view = run.view.as_mut().expect("read above");
    let exported = |r: &Record| subject_of(r).is_some_and(|s| exporter.exports(s));
    // What the destination should hold that changed, and what it holds that should go.
    let (wanted, mut gone): (Vec<Record>, Vec<Record>) = match &run.pushed {
        Some(before) => {
            let (changed, removed) = state.changes_since(before);
            let wanted = changed.into_iter().filter(exported);
            let gone = removed
                .into_iter()
                .filter(exported)
                .filter_map(|r| view.get(&renamed(exporter, r).key()).cloned())
                .collect();
            (wanted.map(|r| renamed(exporter, r)).collect(), gone)
        }
        None => {
            let all = state.records().into_iter().filter(exported);
            let wanted: Vec<Record> = all.map(|r| renamed(exporter, r)).collect();
            let keys: HashSet<Vec<u8>> = wanted.iter().map(Record::key).collect();
            let gone = view
                .iter()
                .filter(|(key, _)| !keys.contains(*key))
                .map(|(_, r)| r.clone())
                .collect();
            (wanted, gone)
        }
    };
    let mut changes: Vec<Record> = wanted
        .into_iter()
        .filter(|r| view.get(&r.key()) != Some(r))
        .collect();
    // Ids in order, so what a schema references is there before it.
    changes.sort_by_key(|r| match r {
        Record::Schema { value: Some(v), .. } => (0, v.id),
        _ => (1, 0),
    });
    gone.sort_by_key(|r| std::cmp::Reverse(r.key()));
    let mut written = 0;
    for change in changes {
        let key = change.key();
        apply(destination, &change, view.get(&key))
            .await
            .map_err(|e| (written, e))?;
        view.insert(key, change);
        written += 1;
    }
    for old in gone {
        remove(destination, &old).await.map_err(|e| (written, e))?;
        view.remove(&old.key());
        written += 1;
    }
    run.pushed = Some(state);
    Ok(written)
}

fn subject_of(record: &Record) -> Option<&str> {
    match record {
        Record::Schema { subject, .. } => Some(subject),
        Record::Config {
            subject: Some(s), ..
        } => Some(s),
        _ => None,
    }
}

fn without_ts(mut record: Record) -> Record {
    if let Record::Schema { value: Some(v), .. } = &mut record {
        v.ts = None;
    }
    record
}

/// A local record as the destination holds it: subjects (and references to exported
/// subjects) renamed.
fn renamed(exporter: &Exporter, record: Record) -> Record {
    match record {
        Record::Schema {
            subject,
            version,
            value,
        } => Record::Schema {
            subject: exporter.rename(&subject),
            version,
            value: value.map(|v| SchemaValue {
                subject: exporter.rename(&v.subject),
                references: v
                    .references
                    .into_iter()
                    .map(|mut r| {
                        if exporter.exports(&r.subject) {
                            r.subject = exporter.rename(&r.subject);
                        }
                        r
                    })
                    .collect(),
                ts: None,
                ..v
            }),
        },
        Record::Config {
            subject: Some(subject),
            value,
        } => Record::Config {
            subject: Some(exporter.rename(&subject)),
            value: value.map(|v| ConfigValue {
                subject: Some(exporter.rename(&subject)),
                ..v
            }),
        },
        other => other,
    }
}

/// A request that must answer 200.
async fn send(
    destination: &Remote,
    method: Method,
    path: &str,
    body: Option<&serde_json::Value>,
) -> Result<serde_json::Value, RemoteError> {
    match destination.send(method.clone(), path, body).await? {
        (200, answer) => Ok(answer),
        (status, answer) => Err(RemoteError(format!(
            "{method} {}{path}: the destination answered {status}: {answer}",
            destination.url()
        ))),
    }
}

/// Writes one new or changed record; `held` is what the destination has under its key.
async fn apply(
    destination: &Remote,
    change: &Record,
    held: Option<&Record>,
) -> Result<(), RemoteError> {
    match change {
        Record::Schema {
            subject,
            version,
            value: Some(v),
        } => {
            let held = match held {
                Some(Record::Schema { value: Some(h), .. }) => Some(h),
                _ => None,
            };
            if let Some(h) = held.filter(|h| h.id != v.id) {
                return Err(RemoteError(format!(
                    "{subject} version {version} has id {} on the destination, {} here",
                    h.id, v.id
                )));
            }
            let path = format!("/subjects/{}/versions", encode(subject));
            if held.is_none() {
                let mut body = json!({
                    "schema": v.schema,
                    "schemaType": v.schema_type,
                    "references": v.references,
                    "id": v.id,
                    "version": version,
                });
                // The data contract goes with the schema (it is part of its identity).
                if let Some(metadata) = &v.metadata {
                    body["metadata"] = json!(metadata);
                }
                if let Some(rule_set) = &v.rule_set {
                    body["ruleSet"] = json!(rule_set);
                }
                send(destination, Method::POST, &path, Some(&body)).await?;
            }
            if v.deleted && !held.is_some_and(|h| h.deleted) {
                send(
                    destination,
                    Method::DELETE,
                    &format!("{path}/{version}"),
                    None,
                )
                .await?;
            }
            Ok(())
        }
        Record::Config {
            subject: Some(subject),
            value: Some(v),
        } => {
            let mut body = json!({});
            if let Some(level) = v.compatibility_level {
                body["compatibility"] = json!(level.as_str());
            }
            if let Some(normalize) = v.normalize {
                body["normalize"] = json!(normalize);
            }
            if let Some(policy) = v.compatibility_policy {
                body["compatibilityPolicy"] = json!(policy.as_str());
            }
            let path = format!("/config/{}", encode(subject));
            send(destination, Method::PUT, &path, Some(&body)).await?;
            Ok(())
        }
        other => Err(RemoteError(format!(
            "exporters do not write {}",
            String::from_utf8_lossy(&other.key())
        ))),
    }
}

/// Removes from the destination what is gone here: a hard-deleted version (soft-deleted
/// first, as the API wants), a subject config.
async fn remove(destination: &Remote, held: &Record) -> Result<(), RemoteError> {
    match held {
        Record::Schema {
            subject,
            version,
            value,
        } => {
            let path = format!("/subjects/{}/versions/{version}", encode(subject));
            if value.as_ref().is_some_and(|v| !v.deleted) {
                send(destination, Method::DELETE, &path, None).await?;
            }
            send(
                destination,
                Method::DELETE,
                &format!("{path}?permanent=true"),
                None,
            )
            .await?;
            Ok(())
        }
        Record::Config {
            subject: Some(subject),
            ..
        } => {
            let path = format!("/config/{}", encode(subject));
            send(destination, Method::DELETE, &path, None).await?;
            Ok(())
        }
        _ => Ok(()),
    }
}
