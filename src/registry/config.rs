//! Compatibility configs: stored per subject or globally, resolved subject → global → the
//! server's [`Defaults`](super::Defaults) (confluent-api.md §5.6).

use compat::{CompatibilityLevel, Policy};

use super::write::Operation;
use super::{check_subject, Registry, State};
use crate::error::ApiError;
use crate::storage::{ConfigValue, Record};

/// A change to one config field: absent keeps it, JSON `null` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Patch<T> {
    #[default]
    Keep,
    Clear,
    Set(T),
}

impl<T> Patch<T> {
    fn apply(self, field: &mut Option<T>) {
        match self {
            Patch::Keep => {}
            Patch::Clear => *field = None,
            Patch::Set(v) => *field = Some(v),
        }
    }
}

/// The body of `PUT /config[/{subject}]`, validated.
#[derive(Debug, Clone, Default)]
pub struct ConfigUpdate {
    pub compatibility: Patch<CompatibilityLevel>,
    pub normalize: Patch<bool>,
    pub compatibility_policy: Patch<Policy>,
}

impl Registry {
    /// The level that applies to `subject`.
    pub(crate) fn effective_level(&self, state: &State, subject: &str) -> CompatibilityLevel {
        self.effective_config(state, Some(subject))
            .compatibility_level
            .unwrap_or(self.defaults().compatibility)
    }

    pub(crate) fn effective_policy(&self, state: &State, subject: &str) -> Policy {
        self.effective_config(state, Some(subject))
            .compatibility_policy
            .unwrap_or_default()
    }

    /// Whether the config asks for every schema to be normalized.
    pub(crate) fn effective_normalize(&self, state: &State, subject: &str) -> bool {
        self.effective_config(state, Some(subject)).normalize == Some(true)
    }

    /// The first config found: subject, then global, then the server default.
    fn effective_config(&self, state: &State, subject: Option<&str>) -> ConfigValue {
        let found = subject
            .and_then(|s| state.configs.get(&Some(s.to_string())))
            .or_else(|| state.configs.get(&None))
            .cloned()
            .unwrap_or_default();
        self.with_default_level(found)
    }

    fn with_default_level(&self, mut config: ConfigValue) -> ConfigValue {
        config.subject = None;
        if config.compatibility_level.is_none() {
            config.compatibility_level = Some(self.defaults().compatibility);
        }
        config
    }

    /// `GET /config[/{subject}]`.
    pub fn get_config(
        &self,
        subject: Option<&str>,
        default_to_global: bool,
    ) -> Result<ConfigValue, ApiError> {
        let state = self.snapshot();
        match subject {
            None => Ok(self.effective_config(&state, None)),
            Some(s) => match state.configs.get(&Some(s.to_string())) {
                Some(c) => Ok(self.with_default_level(c.clone())),
                None if default_to_global => Ok(self.effective_config(&state, None)),
                None => Err(ApiError::SubjectConfigNotFound(s.to_string())),
            },
        }
    }

    /// `PUT /config[/{subject}]`: patches the stored config and returns the result.
    pub async fn set_config(
        &self,
        subject: Option<&str>,
        update: ConfigUpdate,
    ) -> Result<ConfigValue, ApiError> {
        if let Some(s) = subject {
            check_subject(s)?;
        }
        let write = self.begin(Operation::UpdateConfig, subject).await?;
        write.permit()?;
        let key = subject.map(str::to_string);
        let mut config = write.state().configs.get(&key).cloned().unwrap_or_default();
        update.compatibility.apply(&mut config.compatibility_level);
        update.normalize.apply(&mut config.normalize);
        update
            .compatibility_policy
            .apply(&mut config.compatibility_policy);
        config.subject = key.clone();
        let record = Record::Config {
            subject: key,
            value: Some(config.clone()),
        };
        self.commit(write, vec![record]).await?;
        config.subject = None;
        Ok(config)
    }

    /// `DELETE /config[/{subject}]`: removes the stored config, returning what it was.
    pub async fn delete_config(&self, subject: Option<&str>) -> Result<ConfigValue, ApiError> {
        let write = self.begin(Operation::DeleteConfig, subject).await?;
        write.permit()?;
        let state = write.state();
        let key = subject.map(str::to_string);
        let old = match (state.configs.get(&key), subject) {
            (Some(c), _) => self.with_default_level(c.clone()),
            (None, None) => return Ok(self.effective_config(state, None)),
            (None, Some(s)) => return Err(ApiError::SubjectNotFound(s.to_string())),
        };
        let record = Record::Config {
            subject: key,
            value: None,
        };
        self.commit(write, vec![record]).await?;
        Ok(old)
    }
}
