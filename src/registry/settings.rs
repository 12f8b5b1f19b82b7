//! Compatibility configs and modes: stored per subject or globally, resolved subject → global →
//! server default (confluent-api.md §5.6, §5.7).

use std::str::FromStr;

use compat::{CompatibilityLevel, Policy};

use super::{check_subject, Registry, State};
use crate::error::ApiError;
use crate::storage::{ConfigValue, ModeValue, Record};

/// A registry mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    ReadWrite,
    ReadOnly,
    /// Global read-only that also overrides every subject's own mode.
    ReadOnlyOverride,
    /// Registrations carry explicit ids and versions, unchecked: for migrations.
    Import,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::ReadWrite => "READWRITE",
            Mode::ReadOnly => "READONLY",
            Mode::ReadOnlyOverride => "READONLY_OVERRIDE",
            Mode::Import => "IMPORT",
        }
    }
}

impl FromStr for Mode {
    type Err = ApiError;

    /// Case-insensitive, as Confluent.
    fn from_str(s: &str) -> Result<Mode, ApiError> {
        [
            Mode::ReadWrite,
            Mode::ReadOnly,
            Mode::ReadOnlyOverride,
            Mode::Import,
        ]
        .into_iter()
        .find(|m| m.as_str().eq_ignore_ascii_case(s))
        .ok_or(ApiError::InvalidMode)
    }
}

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
    pub compatibility_policy: Patch<String>,
}

impl Registry {
    /// The level that applies to `subject`.
    pub(crate) fn effective_level(&self, state: &State, subject: &str) -> CompatibilityLevel {
        self.effective_config(state, Some(subject))
            .compatibility_level
            .and_then(|l| l.parse().ok())
            .unwrap_or(self.settings().default_compatibility)
    }

    pub(crate) fn effective_policy(&self, state: &State, subject: &str) -> Policy {
        match self
            .effective_config(state, Some(subject))
            .compatibility_policy
            .as_deref()
        {
            Some(p) if p.eq_ignore_ascii_case("LENIENT") => Policy::Lenient,
            _ => Policy::Strict,
        }
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
            config.compatibility_level =
                Some(self.settings().default_compatibility.as_str().to_string());
        }
        config
    }

    pub(crate) fn effective_mode(&self, state: &State, subject: Option<&str>) -> Mode {
        let global = state.modes.get(&None).and_then(|m| m.parse().ok());
        if global == Some(Mode::ReadOnlyOverride) {
            return Mode::ReadOnlyOverride;
        }
        subject
            .and_then(|s| state.modes.get(&Some(s.to_string())))
            .and_then(|m| m.parse().ok())
            .or(global)
            .unwrap_or(Mode::ReadWrite)
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
        let write = self.begin("Failed to update compatibility level").await?;
        let state = write.state();
        if matches!(
            self.effective_mode(state, subject),
            Mode::ReadOnly | Mode::ReadOnlyOverride
        ) {
            return Err(ApiError::read_only(subject));
        }
        let key = subject.map(str::to_string);
        let mut config = state.configs.get(&key).cloned().unwrap_or_default();
        let mut level = config.compatibility_level.take();
        update.compatibility.map_into(&mut level);
        config.compatibility_level = level;
        update.normalize.apply(&mut config.normalize);
        update
            .compatibility_policy
            .apply(&mut config.compatibility_policy);
        config.subject = key.clone();
        let record = Record::Config {
            subject: key,
            value: Some(config.clone()),
        };
        self.commit(write, vec![record], "Failed to update compatibility level")
            .await?;
        config.subject = None;
        Ok(config)
    }

    /// `DELETE /config[/{subject}]`: removes the stored config, returning what it was.
    pub async fn delete_config(&self, subject: Option<&str>) -> Result<ConfigValue, ApiError> {
        let write = self.begin("Failed to delete compatibility level").await?;
        let state = write.state();
        if matches!(
            self.effective_mode(state, subject),
            Mode::ReadOnly | Mode::ReadOnlyOverride
        ) {
            return Err(ApiError::read_only(subject));
        }
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
        self.commit(write, vec![record], "Failed to delete compatibility level")
            .await?;
        Ok(old)
    }

    /// `GET /mode[/{subject}]`.
    pub fn get_mode(
        &self,
        subject: Option<&str>,
        default_to_global: bool,
    ) -> Result<Mode, ApiError> {
        let state = self.snapshot();
        let Some(s) = subject else {
            return Ok(self.effective_mode(&state, None));
        };
        let own = state.modes.contains_key(&Some(s.to_string()));
        let overridden = self.effective_mode(&state, None) == Mode::ReadOnlyOverride;
        if own || overridden || default_to_global {
            Ok(self.effective_mode(&state, Some(s)))
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
            check_subject(s)?;
        }
        let write = self.begin("Failed to update mode").await?;
        let state = write.state();
        let key = subject.map(str::to_string);
        let current = state.modes.get(&key).and_then(|m| m.parse().ok());
        let mut records = Vec::new();
        if mode == Mode::Import && current != Some(Mode::Import) && !force {
            let in_scope: Vec<String> = match subject {
                Some(s) => state
                    .versions(s)
                    .map(|_| vec![s.to_string()])
                    .unwrap_or_default(),
                None => state.subjects.keys().cloned().collect(),
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
            value: Some(ModeValue {
                subject: key,
                mode: mode.as_str().to_string(),
            }),
        });
        self.commit(write, records, "Failed to update mode").await
    }

    /// `DELETE /mode[/{subject}]`: removes the stored mode, returning what it was.
    pub async fn delete_mode(&self, subject: Option<&str>) -> Result<Mode, ApiError> {
        let write = self.begin("Failed to delete mode").await?;
        let state = write.state();
        let key = subject.map(str::to_string);
        let old = match (state.modes.get(&key).and_then(|m| m.parse().ok()), subject) {
            (Some(m), _) => m,
            (None, None) => return Ok(Mode::ReadWrite),
            (None, Some(s)) => return Err(ApiError::SubjectNotFound(s.to_string())),
        };
        let record = Record::Mode {
            subject: key,
            value: None,
        };
        self.commit(write, vec![record], "Failed to delete mode")
            .await?;
        Ok(old)
    }
}

impl Patch<CompatibilityLevel> {
    /// Applies to the stored (string) level.
    fn map_into(self, field: &mut Option<String>) {
        match self {
            Patch::Keep => {}
            Patch::Clear => *field = None,
            Patch::Set(level) => *field = Some(level.as_str().to_string()),
        }
    }
}
