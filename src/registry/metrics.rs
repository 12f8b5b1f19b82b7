//! What the use cases measure: registrations by outcome, compatibility checks, and (read at each
//! scrape) how many schemas, subjects and versions the state holds. Handles are registered once
//! here; recording one is an atomic operation, so the hot paths take no lock for it.

use std::sync::{Arc, Weak};
use std::time::Duration;

use compat::SchemaType;

use super::{Inner, State};
use crate::error::ApiError;
use crate::metrics::{Counter, Gauge, Histogram, Metrics};

/// How a registration ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Registration {
    /// A new version was written.
    New,
    /// The subject already held the schema.
    Existing,
    Incompatible,
    /// The schema (or its references, or its version) is invalid: 42201.
    Invalid,
    /// The mode, the subject's name or an explicit id forbade it (42205, 42208).
    Refused,
    /// The storage failed (50001, 50002).
    Failed,
}

const REGISTRATIONS: [(Registration, &str); 6] = [
    (Registration::New, "new"),
    (Registration::Existing, "existing"),
    (Registration::Incompatible, "incompatible"),
    (Registration::Invalid, "invalid"),
    (Registration::Refused, "refused"),
    (Registration::Failed, "failed"),
];

const FORMATS: [(SchemaType, &str); 3] = [
    (SchemaType::Avro, "avro"),
    (SchemaType::Protobuf, "protobuf"),
    (SchemaType::Json, "json"),
];

pub(crate) struct RegistryMetrics {
    registrations: [Counter; 6],
    /// Per format: compatible, incompatible.
    checks: [[Counter; 2]; 3],
    check_seconds: [Histogram; 3],
}

impl RegistryMetrics {
    pub(crate) fn new(metrics: &Metrics) -> RegistryMetrics {
        RegistryMetrics {
            registrations: REGISTRATIONS.map(|(_, result)| {
                metrics.counter(
                    "schemata_registrations_total",
                    &[("result", result)],
                    "Registrations by outcome: new, existing, incompatible, invalid, refused (mode, subject or id), failed (storage)",
                )
            }),
            checks: FORMATS.map(|(_, format)| {
                ["compatible", "incompatible"].map(|result| {
                    metrics.counter(
                        "schemata_compatibility_checks_total",
                        &[("format", format), ("result", result)],
                        "Compatibility checks (of registrations and of /compatibility requests) by format and verdict",
                    )
                })
            }),
            check_seconds: FORMATS.map(|(_, format)| {
                metrics.histogram(
                    "schemata_compatibility_check_duration_seconds",
                    &[("format", format)],
                    "Time to check a schema against the versions its level names (parsing them included)",
                )
            }),
        }
    }

    pub(crate) fn registration(&self, outcome: Registration) {
        let i = REGISTRATIONS
            .iter()
            .position(|(r, _)| *r == outcome)
            .expect("every outcome is listed");
        self.registrations[i].increment(1);
    }

    /// The outcome of a registration that failed with `error`.
    pub(crate) fn registration_failed(&self, error: &ApiError) {
        self.registration(match error {
            // Counted by the elected writer, which this one forwards to.
            ApiError::NotLeader { .. } => return,
            ApiError::Incompatible { .. } => Registration::Incompatible,
            ApiError::InvalidSchema(_) => Registration::Invalid,
            ApiError::Store { .. } => Registration::Failed,
            _ => Registration::Refused,
        });
    }

    pub(crate) fn check(&self, format: SchemaType, compatible: bool, took: Duration) {
        let f = format_index(format);
        self.checks[f][usize::from(!compatible)].increment(1);
        self.check_seconds[f].record(took);
    }
}

fn format_index(format: SchemaType) -> usize {
    FORMATS
        .iter()
        .position(|(t, _)| *t == format)
        .expect("every format is listed")
}

/// Live and soft-deleted: the two values of the `deleted` label.
struct Split {
    live: Gauge,
    deleted: Gauge,
}

impl Split {
    fn new(metrics: &Metrics, name: &'static str, help: &'static str) -> Split {
        Split {
            live: metrics.gauge(name, &[("deleted", "false")], help),
            deleted: metrics.gauge(name, &[("deleted", "true")], help),
        }
    }

    fn set(&self, (live, deleted): (usize, usize)) {
        self.live.set(live as f64);
        self.deleted.set(deleted as f64);
    }
}

/// The sizes of the published state, set at each scrape (counting walks the whole state, which
/// a scrape every few seconds can afford and a write should not pay).
pub(super) fn observe_state(metrics: &Metrics, inner: &Arc<Inner>) {
    let schemas = Split::new(
        metrics,
        "schemata_schemas",
        "Schemas (distinct ids) used by a live version, or only by soft-deleted ones",
    );
    let subjects = Split::new(
        metrics,
        "schemata_subjects",
        "Subjects with a live version, or whose versions are all soft-deleted",
    );
    let versions = Split::new(
        metrics,
        "schemata_subject_versions",
        "Subject versions, live or soft-deleted",
    );
    let weak: Weak<Inner> = Arc::downgrade(inner);
    metrics.on_scrape(move || {
        let Some(inner) = weak.upgrade() else { return };
        let state = inner.published.load();
        let counts = Counts::of(&state);
        schemas.set(counts.schemas);
        subjects.set(counts.subjects);
        versions.set(counts.versions);
    });
}

/// (live, soft-deleted) counts.
#[derive(Debug, Default, PartialEq, Eq)]
struct Counts {
    schemas: (usize, usize),
    subjects: (usize, usize),
    versions: (usize, usize),
}

impl Counts {
    fn of(state: &State) -> Counts {
        let mut counts = Counts::default();
        for versions in state.subjects.values() {
            let live = versions.values().filter(|v| !v.deleted).count();
            counts.versions.0 += live;
            counts.versions.1 += versions.len() - live;
            match (live, versions.is_empty()) {
                (0, false) => counts.subjects.1 += 1,
                (0, true) => {}
                _ => counts.subjects.0 += 1,
            }
        }
        for (id, entry) in state.spaces().flat_map(|(_, space)| space.entries()) {
            let live = entry.users.iter().any(|(subject, version)| {
                state
                    .versions(subject)
                    .and_then(|vs| vs.get(&version))
                    .is_some_and(|v| !v.deleted && v.id == *id)
            });
            if live {
                counts.schemas.0 += 1;
            } else {
                counts.schemas.1 += 1;
            }
        }
        counts
    }
}
