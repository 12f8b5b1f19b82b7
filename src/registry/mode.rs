//! Modes: stored per subject or globally; a global `READONLY_OVERRIDE` wins over every subject's
//! own (confluent-api.md §5.7). What each mode lets a write do is decided in one place,
//! [`Write::permit`](super::write::Write::permit).

use super::config::fallback;
use super::write::Operation;
use super::{check_subject, context, Registry, State};
use crate::error::ApiError;
use crate::storage::{Mode, ModeValue, Record};

impl State {
    /// The mode in force for `subject` (the global one for `None`): its own, its context's,
    /// then `:.__GLOBAL:`'s, as configs fall back ([`fallback`]).
    pub(crate) fn effective_mode(&self, subject: Option<&str>) -> Mode {
        if self.modes.get(&None) == Some(&Mode::ReadOnlyOverride) {
            return Mode::ReadOnlyOverride;
        }
        fallback(&self.modes, subject)
            .copied()
            .unwrap_or(Mode::ReadWrite)
    }
}

impl Registry {
    /// `GET /mode[/{subject}]`.
    pub fn get_mode(
        &self,
        subject: Option<&str>,
        default_to_global: bool,
    ) -> Result<Mode, ApiError> {
        let state = self.snapshot();
        let Some(s) = subject else {
            return Ok(state.effective_mode(None));
        };
        let own = state.modes.contains_key(&Some(s.to_string()));
        let overridden = state.effective_mode(None) == Mode::ReadOnlyOverride;
        if own || overridden || default_to_global {
            Ok(state.effective_mode(Some(s)))
        } else {
            Err(ApiError::SubjectModeNotFound(s.to_string()))
        }
    }

    /// `PUT /mode[/{subject}]`. Entering IMPORT needs a scope without live versions (unless
    /// `force`), and drops the soft-deleted ones for good.
    pub async fn set_mode(
        &self,
        subject: Option<&str>,
        mode: Mode,
        force: bool,
    ) -> Result<(), ApiError> {
        if let Some(s) = subject {
            check_subject(s, true)?;
        }
        let write = self.begin(Operation::UpdateMode, subject).await?;
        write.permit()?;
        let state = write.state();
        let key = subject.map(str::to_string);
        let current = state.modes.get(&key).copied();
        let mut records = Vec::new();
        if mode == Mode::Import && current != Some(Mode::Import) && !force {
            let in_scope: Vec<String> = match subject {
                // A context (`:.ctx:`) takes in its subjects.
                Some(s) if context::unqualified(s).is_empty() => state
                    .subjects
                    .keys()
                    .filter(|k| context::context_of(k) == context::context_of(s))
                    .map(|k| k.to_string())
                    .collect(),
                Some(s) => state
                    .versions(s)
                    .map(|_| vec![s.to_string()])
                    .unwrap_or_default(),
                None => state.subjects.keys().map(|k| k.to_string()).collect(),
            };
            if in_scope.iter().any(|s| state.latest_live(s).is_some()) {
                return Err(ApiError::OperationNotPermitted(
                    "Cannot import since found existing subjects".into(),
                ));
            }
            for s in in_scope {
                for v in state
                    .versions(&s)
                    .map(|vs| vs.keys().copied().collect::<Vec<_>>())
                    .unwrap_or_default()
                {
                    if !state.referrers(&s, v).is_empty() {
                        return Err(ApiError::ReferenceExists {
                            subject: s,
                            version: v,
                        });
                    }
                    records.push(Record::Schema {
                        subject: s.clone(),
                        version: v,
                        value: None,
                    });
                }
                records.push(Record::ClearSubject { subject: s });
            }
        }
        records.push(Record::Mode {
            subject: key.clone(),
            value: Some(ModeValue { subject: key, mode }),
        });
        self.commit(write, records).await
    }

    /// `DELETE /mode[/{subject}]`: removes the stored mode, returning what it was.
    pub async fn delete_mode(&self, subject: Option<&str>) -> Result<Mode, ApiError> {
        let write = self.begin(Operation::DeleteMode, subject).await?;
        write.permit()?;
        let key = subject.map(str::to_string);
        let old = match (write.state().modes.get(&key).copied(), subject) {
            (Some(m), _) => m,
            (None, None) => return Ok(Mode::ReadWrite),
            (None, Some(s)) => return Err(ApiError::SubjectNotFound(s.to_string())),
        };
        let record = Record::Mode {
            subject: key,
            value: None,
        };
        self.commit(write, vec![record]).await?;
        Ok(old)
    }
}
