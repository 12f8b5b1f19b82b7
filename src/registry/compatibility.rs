//! Compatibility checks: the one registration runs and the `/compatibility` endpoints.

use std::sync::Arc;

use compat::{check, Previous, Report};

use super::register::RegisterRequest;
use super::{Registry, State, VersionSpec};
use crate::error::ApiError;

/// The answer of `POST /compatibility/...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompatibilityAnswer {
    pub is_compatible: bool,
    /// Confluent's messages; shown only with `verbose=true`.
    pub messages: Vec<String>,
}

/// The outcome of checking a schema against a subject's history.
pub(crate) struct HistoryReport {
    /// Empty when compatible; else the messages and the `{validateFields…, compatibility…}` line.
    pub(crate) details: Vec<String>,
}

impl Registry {
    /// Checks `new` against the subject's live versions under its effective level, as
    /// registration does.
    pub(crate) fn check_against_history(
        &self,
        state: &State,
        subject: &str,
        new: &compat::Schema,
    ) -> Result<HistoryReport, ApiError> {
        let versions = state.live_versions(subject);
        self.check_versions(
            state,
            subject,
            new,
            &versions.iter().map(|(v, _)| *v).collect::<Vec<_>>(),
        )
    }

    fn check_versions(
        &self,
        state: &State,
        subject: &str,
        new: &compat::Schema,
        versions: &[i32],
    ) -> Result<HistoryReport, ApiError> {
        let started = std::time::Instant::now();
        let level = self.effective_level(state, subject);
        let mut parsed: Vec<(i32, Arc<compat::Schema>)> = Vec::with_capacity(versions.len());
        for v in versions {
            let info = state.versions(subject).and_then(|vs| vs.get(v)).copied();
            if let Some(schema) = info.and_then(|i| state.schemas.get(&i.id)) {
                parsed.push((*v, self.parsed(state, schema)?));
            }
        }
        let history: Vec<Previous<'_>> = parsed
            .iter()
            .map(|(v, s)| Previous {
                schema: s,
                version: Some(*v),
            })
            .collect();
        let Report { mut messages, .. } =
            check(level, new, &history, self.effective_policy(state, subject));
        self.inner
            .metrics
            .check(new.schema_type(), messages.is_empty(), started.elapsed());
        if !messages.is_empty() {
            messages.push(format!(
                "{{validateFields: 'false', compatibility: '{level}'}}"
            ));
        }
        Ok(HistoryReport { details: messages })
    }

    /// `POST /compatibility/subjects/{subject}/versions[/{version}]`.
    pub fn test_compatibility(
        &self,
        subject: &str,
        version: Option<VersionSpec>,
        request: RegisterRequest,
        normalize: bool,
        verbose: bool,
    ) -> Result<CompatibilityAnswer, ApiError> {
        let state = self.snapshot();
        let normalize = normalize || self.effective_normalize(&state, subject);
        let candidate = match self.candidate(&state, &request, normalize, true) {
            Ok(c) => c,
            Err(ApiError::InvalidSchema(message)) if verbose => {
                return Ok(CompatibilityAnswer {
                    is_compatible: false,
                    messages: vec![message],
                })
            }
            Err(e) => return Err(e),
        };
        let versions: Vec<i32> = match version {
            None => state
                .live_versions(subject)
                .iter()
                .map(|(v, _)| *v)
                .collect(),
            Some(VersionSpec::Latest) => state
                .latest_live(subject)
                .map(|(v, _)| v)
                .into_iter()
                .collect(),
            Some(VersionSpec::Number(n)) => {
                let live = state
                    .versions(subject)
                    .and_then(|vs| vs.get(&n))
                    .is_some_and(|i| !i.deleted);
                if !live {
                    return Err(ApiError::VersionNotFound(n));
                }
                vec![n]
            }
        };
        let report = self.check_versions(&state, subject, &candidate.parsed, &versions)?;
        Ok(CompatibilityAnswer {
            is_compatible: report.details.is_empty(),
            messages: report.details,
        })
    }
}
