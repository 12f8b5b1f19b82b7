//! The structured diff between two versions of a subject.

use compat::{check, CompatibilityLevel, Difference, Policy, Previous};

use super::context::context_of;
use super::{Registry, SubjectVersion, VersionSpec};
use crate::error::ApiError;

/// `GET /subjects/{subject}/diff`.
#[derive(Debug)]
pub struct VersionDiff {
    pub from: SubjectVersion,
    pub to: SubjectVersion,
    /// The `to` version reads data written with `from`.
    pub backward_compatible: bool,
    /// The `from` version reads data written with `to`.
    pub forward_compatible: bool,
    pub changes: Vec<Difference>,
}

impl Registry {
    /// Compares two versions; `to` defaults to the latest, `from` to the live version before it.
    pub fn diff(
        &self,
        subject: &str,
        from: Option<VersionSpec>,
        to: Option<VersionSpec>,
    ) -> Result<VersionDiff, ApiError> {
        let to = self.get_version(subject, to.unwrap_or(VersionSpec::Latest), true)?;
        let from = match from {
            Some(spec) => self.get_version(subject, spec, true)?,
            None => {
                let state = self.snapshot();
                let previous = state
                    .live_versions(subject)
                    .into_iter()
                    .rev()
                    .find(|(v, _)| *v < to.version)
                    .map(|(v, _)| v)
                    .unwrap_or(to.version);
                self.get_version(subject, VersionSpec::Number(previous), true)?
            }
        };
        let state = self.snapshot();
        let (old, new) = (
            self.parsed(&state, context_of(subject), &from.schema)?,
            self.parsed(&state, context_of(subject), &to.schema)?,
        );
        let against = [Previous {
            schema: &old,
            version: Some(from.version),
        }];
        let verdict = |level| check(level, &new, &against, Policy::Strict).is_compatible();
        let changes = if old.schema_type() == new.schema_type() {
            compat::diff(&old, &new)
        } else {
            Vec::new()
        };
        Ok(VersionDiff {
            backward_compatible: verdict(CompatibilityLevel::Backward),
            forward_compatible: verdict(CompatibilityLevel::Forward),
            changes,
            from,
            to,
        })
    }
}
