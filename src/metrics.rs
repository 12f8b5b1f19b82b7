//! Metrics: what every layer measures, rendered in the Prometheus text format (`GET /metrics`).
//!
//! Each measurement is a handle of the `metrics` crate (a [`Counter`], [`Gauge`] or
//! [`Histogram`]) registered once against this server's recorder and kept by the code that
//! records it. Recording is then an atomic operation on the handle: no lookup by name, no lock.
//! The recorder is the server's own rather than a process-wide one, so that several servers in
//! one process (the tests) count separately. [`Metrics::off`] hands out handles that do nothing,
//! for a server run with `--metrics false` and for stores opened outside a server.
//!
//! Values that are cheaper to read than to keep up to date (counts over the whole state, ages,
//! pool sizes, the process's RSS) are set just before each render by the scrape hooks the
//! layers register ([`Metrics::on_scrape`]).

use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use metrics::{Key, Label, Metadata, Recorder};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusRecorder};

pub use metrics::{Counter, Gauge, Histogram};

/// Bucket bounds of every `_seconds` histogram: from 50 µs (a read from memory) to 10 s (a
/// storage write that times out).
const SECONDS_BUCKETS: [f64; 16] = [
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
    2.5, 10.0,
];

/// Bucket bounds of histograms that count things (records per group commit).
const COUNT_BUCKETS: [f64; 12] = [
    1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0, 4096.0,
];

/// How often histogram samples are folded into their buckets when nobody scrapes, so that they
/// do not pile up in memory.
const UPKEEP: Duration = Duration::from_secs(5);

type Hook = Box<dyn Fn() + Send + Sync>;

/// This server's metrics: cheap to clone, shared by every layer.
#[derive(Clone)]
pub struct Metrics {
    inner: Option<Arc<Inner>>,
}

struct Inner {
    recorder: PrometheusRecorder,
    process: metrics_process::Collector,
    hooks: Mutex<Vec<Hook>>,
}

impl Metrics {
    /// Metrics recorded and rendered.
    pub fn on() -> Metrics {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &SECONDS_BUCKETS)
            .and_then(|b| {
                b.set_buckets_for_metric(Matcher::Suffix("_records".into()), &COUNT_BUCKETS)
            })
            .expect("bucket bounds are not empty");
        let recorder = builder.build_recorder();
        let process = metrics_process::Collector::default();
        metrics::with_local_recorder(&recorder, || process.describe());
        let metrics = Metrics {
            inner: Some(Arc::new(Inner {
                recorder,
                process,
                hooks: Mutex::new(Vec::new()),
            })),
        };
        metrics
            .gauge(
                "schemata_build_info",
                &[
                    ("version", env!("CARGO_PKG_VERSION")),
                    ("commit", crate::COMMIT),
                ],
                "Always 1; the labels say which build this is",
            )
            .set(1.0);
        metrics
    }

    /// Nothing recorded: every handle does nothing, and there is nothing to render.
    pub fn off() -> Metrics {
        Metrics { inner: None }
    }

    pub fn is_on(&self) -> bool {
        self.inner.is_some()
    }

    pub fn counter(
        &self,
        name: &'static str,
        labels: &[(&'static str, &'static str)],
        help: &'static str,
    ) -> Counter {
        let Some(inner) = &self.inner else {
            return Counter::noop();
        };
        inner
            .recorder
            .describe_counter(name.into(), None, help.into());
        inner
            .recorder
            .register_counter(&key(name, labels), &metadata())
    }

    pub fn gauge(
        &self,
        name: &'static str,
        labels: &[(&'static str, &'static str)],
        help: &'static str,
    ) -> Gauge {
        let Some(inner) = &self.inner else {
            return Gauge::noop();
        };
        inner
            .recorder
            .describe_gauge(name.into(), None, help.into());
        inner
            .recorder
            .register_gauge(&key(name, labels), &metadata())
    }

    pub fn histogram(
        &self,
        name: &'static str,
        labels: &[(&'static str, &'static str)],
        help: &'static str,
    ) -> Histogram {
        let Some(inner) = &self.inner else {
            return Histogram::noop();
        };
        inner
            .recorder
            .describe_histogram(name.into(), None, help.into());
        inner
            .recorder
            .register_histogram(&key(name, labels), &metadata())
    }

    /// A counter whose label values are known only at run time (an HTTP route and status);
    /// the caller keeps it, so the lookup happens once per label set.
    pub fn counter_owned(
        &self,
        name: &'static str,
        labels: Vec<(&'static str, String)>,
        help: &'static str,
    ) -> Counter {
        let Some(inner) = &self.inner else {
            return Counter::noop();
        };
        inner
            .recorder
            .describe_counter(name.into(), None, help.into());
        let labels: Vec<Label> = labels.into_iter().map(|(k, v)| Label::new(k, v)).collect();
        inner
            .recorder
            .register_counter(&Key::from_parts(name, labels), &metadata())
    }

    /// A histogram whose label values are known only at run time; see [`Metrics::counter_owned`].
    pub fn histogram_owned(
        &self,
        name: &'static str,
        labels: Vec<(&'static str, String)>,
        help: &'static str,
    ) -> Histogram {
        let Some(inner) = &self.inner else {
            return Histogram::noop();
        };
        inner
            .recorder
            .describe_histogram(name.into(), None, help.into());
        let labels: Vec<Label> = labels.into_iter().map(|(k, v)| Label::new(k, v)).collect();
        inner
            .recorder
            .register_histogram(&key_owned(name, labels), &metadata())
    }

    /// Runs `hook` before every render, to set values read on demand. It should hold its
    /// subject weakly: the metrics outlive nothing.
    pub fn on_scrape(&self, hook: impl Fn() + Send + Sync + 'static) {
        if let Some(inner) = &self.inner {
            inner
                .hooks
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(Box::new(hook));
        }
    }

    /// Every metric in the Prometheus text format; `None` when metrics are off.
    pub fn render(&self) -> Option<String> {
        let inner = self.inner.as_ref()?;
        for hook in inner
            .hooks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
        {
            hook();
        }
        metrics::with_local_recorder(&inner.recorder, || inner.process.collect());
        Some(inner.recorder.handle().render())
    }

    /// Spawns the task that folds histogram samples into buckets every few seconds; it ends
    /// when the metrics are dropped.
    pub fn spawn_upkeep(&self) {
        let Some(inner) = &self.inner else { return };
        let weak: Weak<Inner> = Arc::downgrade(inner);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(UPKEEP).await;
                let Some(inner) = weak.upgrade() else { return };
                inner.recorder.handle().run_upkeep();
            }
        });
    }
}

fn key(name: &'static str, labels: &[(&'static str, &'static str)]) -> Key {
    let labels: Vec<Label> = labels
        .iter()
        .map(|(k, v)| Label::from_static_parts(k, v))
        .collect();
    Key::from_parts(name, labels)
}

fn key_owned(name: &'static str, labels: Vec<Label>) -> Key {
    Key::from_parts(name, labels)
}

fn metadata() -> Metadata<'static> {
    Metadata::new(module_path!(), metrics::Level::INFO, None)
}
