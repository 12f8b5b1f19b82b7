//! Schema exporters (Confluent's Schema Linking API): their definitions and durable state
//! (paused or not, how far they got) are records, so they survive restarts and every
//! PostgreSQL node sees them; what an exporter is doing right now lives with the task that
//! runs it (`replication::exporter`).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::write::Operation;
use super::{context, Registry, State};
use crate::error::ApiError;
use crate::storage::{Record, StoreError};

/// An exporter, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exporter {
    pub name: String,
    /// Subject patterns (`*` any text): which subjects are exported. Empty: all.
    #[serde(default)]
    pub subjects: Vec<String>,
    /// The destination's name for a subject: `${subject}` is replaced by the subject.
    #[serde(
        rename = "subjectRenameFormat",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub subject_rename_format: Option<String>,
    #[serde(rename = "contextType", default = "none")]
    pub context_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// The destination: `schema.registry.url`, `basic.auth.user.info`, `bearer.auth.token`.
    #[serde(default)]
    pub config: BTreeMap<String, String>,
    /// Paused by `PUT /exporters/{name}/pause` (durable).
    #[serde(default)]
    pub paused: bool,
    /// Changes written to the destination since the exporter was created or reset (durable).
    #[serde(default)]
    pub offset: u64,
}

fn none() -> String {
    "NONE".into()
}

/// Config keys whose values are secrets: never shown back.
pub const SECRET_KEYS: [&str; 2] = ["basic.auth.user.info", "bearer.auth.token"];

impl Exporter {
    /// Whether `subject` is one this exporter exports.
    pub fn exports(&self, subject: &str) -> bool {
        self.subjects.is_empty() || self.subjects.iter().any(|p| wildcard(p, subject))
    }

    /// The destination's name for `subject`: its name inside its context renamed by
    /// `subjectRenameFormat` (`:.a:orders` -> `:.a:dc1.orders`), then, with `contextType`
    /// CUSTOM, put in the destination context (a subject of another source context `.a` goes
    /// to `<context>.a`, so no two source contexts meet).
    pub fn rename(&self, subject: &str) -> String {
        let name = context::unqualified(subject);
        let renamed = match &self.subject_rename_format {
            Some(format) => format.replace("${subject}", name),
            None => name.to_string(),
        };
        let source = context::context_of(subject);
        let target = match (self.destination_context(), source) {
            (Some(target), context::DEFAULT) => target,
            (Some(target), source) => format!("{target}{source}"),
            (None, source) => source.to_string(),
        };
        format!("{}{renamed}", context::prefix(&target))
    }

    /// The local subject a destination subject is the export of, if any.
    pub fn source_of(&self, destination: &str) -> Option<String> {
        let target = context::context_of(destination);
        let source = match self.destination_context() {
            Some(ours) => match target.strip_prefix(ours.as_str())? {
                "" => context::DEFAULT,
                source if source.starts_with('.') => source,
                _ => return None,
            },
            None => target,
        };
        let format = self
            .subject_rename_format
            .as_deref()
            .unwrap_or("${subject}");
        let (prefix, suffix) = format.split_once("${subject}")?;
        let name = context::unqualified(destination)
            .strip_prefix(prefix)?
            .strip_suffix(suffix)?;
        let subject = format!("{}{name}", context::prefix(source));
        (self.rename(&subject) == destination && self.exports(&subject)).then_some(subject)
    }

    /// The context exported subjects go to on the destination (`.dr`), when it is not the
    /// default one: CUSTOM's `context`, or the one AUTO was given (`.` and the source's
    /// cluster id).
    fn destination_context(&self) -> Option<String> {
        if self.context_type == "NONE" {
            return None;
        }
        let prefix = context::normalize_context(self.context.as_deref()?).ok()?;
        // `:.dr:` -> `.dr`; the default context's prefix is empty.
        let target = prefix.strip_prefix(':')?.strip_suffix(':')?;
        Some(target.to_string())
    }

    /// Checks a definition as it is created or updated.
    fn check(&self) -> Result<(), ApiError> {
        let name_ok = !self.name.is_empty()
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
        if !name_ok {
            return Err(ApiError::InvalidExporterName(self.name.clone()));
        }
        match self.config.get("schema.registry.url") {
            Some(url) if url.starts_with("http://") || url.starts_with("https://") => {}
            _ => {
                return Err(ApiError::InvalidExporterConfig(
                    "schema.registry.url must be the destination's http:// or https:// URL".into(),
                ))
            }
        }
        match (self.context_type.as_str(), self.context.as_deref()) {
            ("NONE", _) => {}
            ("CUSTOM", Some(c)) if !c.trim().is_empty() => {
                context::normalize_context(c).map_err(ApiError::InvalidExporterConfig)?;
            }
            ("CUSTOM", _) => {
                return Err(ApiError::InvalidExporterConfig(
                    "contextType CUSTOM needs a context (for example \".dr\")".into(),
                ))
            }
            // The registry names AUTO's context before the check (`with_auto_context`).
            ("AUTO", Some(_)) => {}
            (other, _) => {
                return Err(ApiError::InvalidExporterConfig(format!(
                    "contextType {other} is not one of AUTO, CUSTOM, NONE"
                )))
            }
        }
        if self.subjects.iter().any(|s| s.trim().is_empty()) {
            return Err(ApiError::InvalidExporterSubjects(
                "a subject pattern is empty".into(),
            ));
        }
        if let Some(format) = &self.subject_rename_format {
            if !format.contains("${subject}") {
                return Err(ApiError::InvalidExporterSubjects(format!(
                    "subjectRenameFormat '{format}' does not contain ${{subject}}"
                )));
            }
        }
        Ok(())
    }

    /// With contextType AUTO, the context is `.` and this registry's cluster id, named when
    /// the exporter becomes AUTO and kept after, so a changed `--cluster-id` does not move an
    /// exporter's subjects on its destination. A `context` sent with AUTO is not used.
    fn with_auto_context(mut self, was_auto: bool, cluster_id: &str) -> Exporter {
        if self.context_type == "AUTO" && !(was_auto && self.context.is_some()) {
            self.context = Some(format!(".{cluster_id}"));
        }
        self
    }

    /// This exporter as a record.
    fn record(&self) -> Record {
        Record::Exporter {
            name: self.name.clone(),
            value: Some(serde_json::to_value(self).expect("exporters serialize")),
        }
    }
}

/// `*` any text, `?` one character.
pub fn wildcard(pattern: &str, text: &str) -> bool {
    let (p, s): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut i, mut j, mut star, mut mark) = (0, 0, None, 0);
    while j < s.len() {
        if i < p.len() && (p[i] == '?' || p[i] == s[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some(i);
            mark = j;
            i += 1;
        } else if let Some(st) = star {
            i = st + 1;
            mark += 1;
            j = mark;
        } else {
            return false;
        }
    }
    p[i..].iter().all(|c| *c == '*')
}

impl State {
    /// Applies an EXPORTER record.
    pub(super) fn put_exporter(
        &mut self,
        name: String,
        value: Option<serde_json::Value>,
    ) -> Result<(), StoreError> {
        match value {
            Some(v) => {
                let exporter: Exporter = serde_json::from_value(v).map_err(|e| {
                    StoreError::Corrupt(format!("exporter {name} cannot be read: {e}"))
                })?;
                self.exporters.insert(name, Arc::new(exporter));
            }
            None => {
                self.exporters.remove(&name);
            }
        }
        Ok(())
    }
}

/// What becomes of an exporter.
enum Next {
    Keep,
    Put(Exporter),
    Delete,
}

/// A change to an exporter's definition (`PUT /exporters/{name}`): what is given replaces.
#[derive(Debug, Default)]
pub struct ExporterUpdate {
    pub subjects: Option<Vec<String>>,
    pub subject_rename_format: Option<String>,
    pub context_type: Option<String>,
    pub context: Option<String>,
    /// Merged into the config: given keys replace, others stay.
    pub config: Option<BTreeMap<String, String>>,
}

impl Registry {
    pub fn exporter_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.snapshot().exporters.keys().cloned().collect();
        names.sort();
        names
    }

    pub fn exporters(&self) -> Vec<Arc<Exporter>> {
        self.snapshot().exporters.values().cloned().collect()
    }

    pub fn exporter(&self, name: &str) -> Result<Arc<Exporter>, ApiError> {
        self.snapshot()
            .exporters
            .get(name)
            .cloned()
            .ok_or_else(|| ApiError::ExporterNotFound(name.to_string()))
    }

    /// `POST /exporters`.
    pub async fn create_exporter(&self, exporter: Exporter) -> Result<(), ApiError> {
        let exporter = exporter.with_auto_context(false, &self.defaults().cluster_id);
        exporter.check()?;
        let write = self.begin(Operation::UpdateExporter, None).await?;
        write.permit()?;
        if write.state().exporters.contains_key(&exporter.name) {
            return Err(ApiError::ExporterExists(exporter.name));
        }
        self.commit(write, vec![exporter.record()]).await
    }

    /// Changes an exporter under the writer lock; `change` decides from the stored one.
    async fn change_exporter(
        &self,
        name: &str,
        change: impl FnOnce(&Exporter) -> Result<Next, ApiError>,
    ) -> Result<(), ApiError> {
        let write = self.begin(Operation::UpdateExporter, None).await?;
        write.permit()?;
        let Some(current) = write.state().exporters.get(name).cloned() else {
            return Err(ApiError::ExporterNotFound(name.to_string()));
        };
        let record = match change(&current)? {
            Next::Keep => return Ok(()),
            Next::Put(next) => next.record(),
            Next::Delete => Record::Exporter {
                name: name.to_string(),
                value: None,
            },
        };
        self.commit(write, vec![record]).await
    }

    /// `PUT /exporters/{name}` and `PUT /exporters/{name}/config`: only while paused.
    pub async fn update_exporter(
        &self,
        name: &str,
        update: ExporterUpdate,
    ) -> Result<(), ApiError> {
        let cluster_id = self.defaults().cluster_id.clone();
        self.change_exporter(name, |current| {
            if !current.paused {
                return Err(ApiError::ExporterNotPaused(name.to_string()));
            }
            let was_auto = current.context_type == "AUTO";
            let mut next = current.clone();
            if let Some(s) = update.subjects {
                next.subjects = s;
            }
            if let Some(f) = update.subject_rename_format {
                next.subject_rename_format = Some(f);
            }
            if let Some(t) = update.context_type {
                next.context_type = t;
            }
            if let Some(c) = update.context {
                next.context = Some(c);
            }
            if let Some(config) = update.config {
                next.config.extend(config);
            }
            let keep = was_auto && current.context == next.context;
            let next = next.with_auto_context(keep, &cluster_id);
            next.check()?;
            Ok(Next::Put(next))
        })
        .await
    }

    pub async fn delete_exporter(&self, name: &str) -> Result<(), ApiError> {
        self.change_exporter(name, |_| Ok(Next::Delete)).await
    }

    pub async fn pause_exporter(&self, name: &str) -> Result<(), ApiError> {
        self.change_exporter(name, |current| {
            if current.paused {
                return Err(ApiError::ExporterPaused(name.to_string()));
            }
            Ok(Next::Put(Exporter {
                paused: true,
                ..current.clone()
            }))
        })
        .await
    }

    pub async fn resume_exporter(&self, name: &str) -> Result<(), ApiError> {
        self.change_exporter(name, |current| {
            if !current.paused {
                return Err(ApiError::ExporterRunning(name.to_string()));
            }
            Ok(Next::Put(Exporter {
                paused: false,
                ..current.clone()
            }))
        })
        .await
    }

    /// `PUT /exporters/{name}/reset`: only while paused; it starts again from nothing (what
    /// the destination already holds is not written again).
    pub async fn reset_exporter(&self, name: &str) -> Result<(), ApiError> {
        self.change_exporter(name, |current| {
            if !current.paused {
                return Err(ApiError::ExporterNotPaused(name.to_string()));
            }
            Ok(Next::Put(Exporter {
                offset: 0,
                ..current.clone()
            }))
        })
        .await
    }

    /// Records how far a running exporter got; nothing when it was paused, reset or deleted
    /// meanwhile (`from` is the offset it started from).
    pub async fn advance_exporter(&self, name: &str, from: u64, by: u64) -> Result<(), ApiError> {
        self.change_exporter(name, |current| {
            if current.paused || current.offset != from {
                return Ok(Next::Keep);
            }
            Ok(Next::Put(Exporter {
                offset: from + by,
                ..current.clone()
            }))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exporter(format: Option<&str>, subjects: &[&str]) -> Exporter {
        Exporter {
            name: "e".into(),
            subjects: subjects.iter().map(|s| s.to_string()).collect(),
            subject_rename_format: format.map(str::to_string),
            context_type: "NONE".into(),
            context: None,
            config: BTreeMap::new(),
            paused: false,
            offset: 0,
        }
    }

    #[test]
    fn subject_patterns() {
        assert!(wildcard("orders-value", "orders-value"));
        assert!(wildcard("orders-*", "orders-value"));
        assert!(wildcard("*-value", "orders-value"));
        assert!(wildcard("*", ""));
        assert!(wildcard("o?ders*e", "orders-value"));
        assert!(!wildcard("orders-?", "orders-value"));
        assert!(!wildcard("orders", "orders-value"));
        assert!(wildcard("a*b*c", "axxbyyc"));
        assert!(!wildcard("a*b*c", "axxbyy"));
    }

    #[test]
    fn subjects_are_renamed_and_recognised_back() {
        let e = exporter(Some("dc1.${subject}.copy"), &["orders-*"]);
        assert_eq!(e.rename("orders-value"), "dc1.orders-value.copy");
        assert_eq!(
            e.source_of("dc1.orders-value.copy").as_deref(),
            Some("orders-value")
        );
        assert_eq!(e.source_of("dc1.payments.copy"), None);
        assert_eq!(e.source_of("orders-value"), None);
        // The format renames the name inside its context; patterns match qualified names.
        assert_eq!(e.rename(":.a:orders-value"), ":.a:dc1.orders-value.copy");
        assert_eq!(e.source_of(":.a:dc1.orders-value.copy"), None);
        let e = exporter(Some("dc1.${subject}.copy"), &[":.a:orders-*"]);
        assert_eq!(
            e.source_of(":.a:dc1.orders-value.copy").as_deref(),
            Some(":.a:orders-value")
        );
        let all = exporter(None, &[]);
        assert_eq!(all.source_of("x").as_deref(), Some("x"));
    }

    #[test]
    fn a_custom_context_holds_the_renamed_subjects_and_nests_source_contexts() {
        let mut e = exporter(Some("dc1.${subject}"), &[]);
        e.context_type = "CUSTOM".into();
        e.context = Some("dr".into());
        for (local, remote) in [
            ("orders", ":.dr:dc1.orders"),
            (":.a:orders", ":.dr.a:dc1.orders"),
        ] {
            assert_eq!(e.rename(local), remote);
            assert_eq!(e.source_of(remote).as_deref(), Some(local), "{remote}");
        }
        for foreign in [
            "dc1.orders",
            ":.drx:dc1.orders",
            ":.other:dc1.orders",
            ":.dr:orders",
        ] {
            assert_eq!(e.source_of(foreign), None, "{foreign}");
        }
        // The default context as the target is no context at all.
        e.context = Some(".".into());
        assert_eq!(e.rename("orders"), "dc1.orders");
        assert_eq!(e.source_of("dc1.orders").as_deref(), Some("orders"));
    }

    #[test]
    fn an_auto_context_is_named_once_after_the_cluster_id() {
        let mut e = exporter(None, &[]);
        e.context_type = "AUTO".into();
        // A new AUTO exporter: a context sent with it is not used.
        e.context = Some(".elsewhere".into());
        let e = e.with_auto_context(false, "dc1");
        assert_eq!(e.context.as_deref(), Some(".dc1"));
        assert_eq!(e.rename(":.a:orders"), ":.dc1.a:orders");
        // Still AUTO after the registry's --cluster-id changed: its subjects stay where they are.
        assert_eq!(
            e.clone().with_auto_context(true, "dc2").context.as_deref(),
            Some(".dc1")
        );
        // Made AUTO again from another type: named after today's id.
        assert_eq!(
            e.with_auto_context(false, "dc2").context.as_deref(),
            Some(".dc2")
        );
        // NONE and CUSTOM are left as they are.
        let none = exporter(None, &[]).with_auto_context(false, "dc1");
        assert_eq!(none.context, None);
    }
}
