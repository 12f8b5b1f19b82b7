//! Compatibility checks: the one registration runs and the `/compatibility` endpoints.

use std::sync::Arc;

use compat::{check, Metadata, Previous, Report};

use super::context::context_of;
use super::contract;
use super::fields::reserved_field_messages;
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
    /// Checks `new`, carrying `metadata`, against the subject's live versions under its
    /// effective level, as registration does. With a `compatibilityGroup` in the config, only
    /// versions whose metadata gives that property the same value (or that all lack it) count.
    pub(crate) fn check_against_history(
        &self,
        state: &State,
        subject: &str,
        new: &compat::Schema,
        metadata: Option<&Metadata>,
    ) -> Result<HistoryReport, ApiError> {
        let live = state.live_versions(subject);
        let previous = live.last().map(|(v, _)| *v);
        let versions = self.in_group(state, subject, live, metadata);
        self.check_versions(state, subject, new, (metadata, previous), &versions)
    }

    /// The versions among `versions` in the same compatibility group as `metadata`.
    fn in_group(
        &self,
        state: &State,
        subject: &str,
        versions: Vec<(i32, super::VersionInfo)>,
        metadata: Option<&Metadata>,
    ) -> Vec<i32> {
        let config = self.config_in_scope(state, subject);
        let group = contract::group_value(&config, metadata);
        versions
            .into_iter()
            .filter(|(_, info)| {
                let stored = state.schema(subject, info.id).and_then(|s| s.metadata());
                contract::group_value(&config, stored) == group
            })
            .map(|(v, _)| v)
            .collect()
    }

    /// Checks `new` against `versions`. With `validateFields`, reserved fields are checked
    /// first, between `new`'s metadata and that of the `previous` version (the last of those
    /// checked before the compatibility group narrowed them), as Confluent does.
    fn check_versions(
        &self,
        state: &State,
        subject: &str,
        new: &compat::Schema,
        (metadata, previous): (Option<&Metadata>, Option<i32>),
        versions: &[i32],
    ) -> Result<HistoryReport, ApiError> {
        let started = std::time::Instant::now();
        let level = self.effective_level(state, subject);
        let validate_fields = self.validates_fields(state, subject);
        let mut reserved = Vec::new();
        if validate_fields {
            let previous = previous
                .and_then(|v| state.versions(subject)?.get(&v).copied())
                .and_then(|info| state.schema(subject, info.id))
                .and_then(|s| s.metadata());
            reserved = reserved_field_messages(new, metadata, previous);
        }
        let mut parsed: Vec<(i32, Arc<compat::Schema>)> = Vec::with_capacity(versions.len());
        for v in versions {
            let info = state.versions(subject).and_then(|vs| vs.get(v)).copied();
            if let Some(schema) = info.and_then(|i| state.schema(subject, i.id)) {
                parsed.push((*v, self.parsed(state, context_of(subject), schema)?));
            }
        }
        let history: Vec<Previous<'_>> = parsed
            .iter()
            .map(|(v, s)| Previous {
                schema: s,
                version: Some(*v),
            })
            .collect();
        let Report { messages, .. } =
            check(level, new, &history, self.effective_policy(state, subject));
        let mut messages = [reserved, messages].concat();
        self.inner
            .metrics
            .check(new.schema_type(), messages.is_empty(), started.elapsed());
        if !messages.is_empty() {
            messages.push(format!(
                "{{validateFields: '{validate_fields}', compatibility: '{level}'}}"
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
        let candidate = self
            .candidate(&state, subject, &request, normalize, true)
            .and_then(|c| self.check_fields(&state, subject, &c.parsed).map(|()| c));
        let candidate = match candidate {
            Ok(c) => c,
            Err(ApiError::InvalidSchema(message)) if verbose => {
                return Ok(CompatibilityAnswer {
                    is_compatible: false,
                    messages: vec![message],
                })
            }
            Err(e) => return Err(e),
        };
        let versions = match version {
            None => state.live_versions(subject),
            Some(VersionSpec::Latest) => state.latest_live(subject).into_iter().collect(),
            Some(VersionSpec::Number(n)) => {
                let info = state
                    .versions(subject)
                    .and_then(|vs| vs.get(&n))
                    .filter(|i| !i.deleted)
                    .ok_or(ApiError::VersionNotFound(n))?;
                vec![(n, *info)]
            }
        };
        let previous = versions.last().map(|(v, _)| *v);
        let metadata = request.contract.metadata.as_ref();
        let versions = self.in_group(&state, subject, versions, metadata);
        let report = self.check_versions(
            &state,
            subject,
            &candidate.parsed,
            (metadata, previous),
            &versions,
        )?;
        Ok(CompatibilityAnswer {
            is_compatible: report.details.is_empty(),
            messages: report.details,
        })
    }
}
